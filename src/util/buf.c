#include "buf.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void reserve(vsc_buf *b, size_t extra)
{
  if (b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1)
    cap *= 2;
  b->data = vsc_realloc(b->data, cap);
  b->cap = cap;
}

void vsc_buf_addn(vsc_buf *b, const char *s, size_t n)
{
  reserve(b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void vsc_buf_add(vsc_buf *b, const char *s)
{
  vsc_buf_addn(b, s, strlen(s));
}

void vsc_buf_addc(vsc_buf *b, char c)
{
  vsc_buf_addn(b, &c, 1);
}

void vsc_buf_printf(vsc_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n <= 0)
    return;
  reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

char *vsc_buf_steal(vsc_buf *b)
{
  char *s = b->data ? b->data : vsc_strdup("");
  b->data = NULL;
  b->len = b->cap = 0;
  return s;
}

void vsc_buf_clear(vsc_buf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
