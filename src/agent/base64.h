/* Base64 (RFC 4648, standard alphabet, with padding): the encoding qemu-ga
 * uses for file data, exec input/output and passwords. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Encode n bytes; returns a NUL-terminated string.  Never fails. */
char *vsc_base64_encode(const void *data, size_t n);

/* Decode text of len characters into a new buffer of *out_len bytes (with a
 * NUL after it for convenience).  Returns NULL for anything that is not
 * canonical base64; the input comes from the guest and is not trusted. */
unsigned char *vsc_base64_decode(const char *text, size_t len, size_t *out_len);
