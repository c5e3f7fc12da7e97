/* A growable string buffer for messages and command lines.  XML and JSON
 * are never built with it: they go through libxml2 and jansson. */
#pragma once

#include <stddef.h>

typedef struct {
  char *data;
  size_t len;
  size_t cap;
} vsc_buf;

void vsc_buf_add(vsc_buf *b, const char *s);
void vsc_buf_addn(vsc_buf *b, const char *s, size_t n);
void vsc_buf_addc(vsc_buf *b, char c);
void vsc_buf_printf(vsc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Return the NUL-terminated content (never NULL) and reset the buffer. */
char *vsc_buf_steal(vsc_buf *b);
void vsc_buf_clear(vsc_buf *b);
