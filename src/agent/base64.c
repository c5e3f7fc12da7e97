#include "base64.h"
#include "util/mem.h"

#include <stdint.h>

static const char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *vsc_base64_encode(const void *data, size_t n)
{
  const unsigned char *in = data;
  char *out = vsc_malloc((n + 2) / 3 * 4 + 1);
  char *o = out;
  size_t i = 0;

  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    *o++ = alphabet[v >> 18 & 63];
    *o++ = alphabet[v >> 12 & 63];
    *o++ = alphabet[v >> 6 & 63];
    *o++ = alphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    *o++ = alphabet[v >> 18 & 63];
    *o++ = alphabet[v >> 12 & 63];
    *o++ = '=';
    *o++ = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    *o++ = alphabet[v >> 18 & 63];
    *o++ = alphabet[v >> 12 & 63];
    *o++ = alphabet[v >> 6 & 63];
    *o++ = '=';
  }
  *o = '\0';
  return out;
}

static int sextet(unsigned char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

unsigned char *vsc_base64_decode(const char *text, size_t len, size_t *out_len)
{
  const unsigned char *in = (const unsigned char *)text;
  size_t pad = 0;

  if (len % 4 != 0)
    return NULL;
  if (len >= 1 && in[len - 1] == '=')
    pad++;
  if (len >= 2 && in[len - 2] == '=')
    pad++;

  unsigned char *out = vsc_malloc(len / 4 * 3 + 1);
  size_t o = 0;
  for (size_t i = 0; i < len; i += 4) {
    bool last = i + 4 == len;
    int s[4];
    for (int k = 0; k < 4; k++) {
      bool is_pad = last && k >= 4 - (int)pad;
      s[k] = is_pad ? 0 : sextet(in[i + k]);
      if (s[k] < 0) {
        free(out);
        return NULL;
      }
    }
    uint32_t v = (uint32_t)s[0] << 18 | (uint32_t)s[1] << 12 | (uint32_t)s[2] << 6 | (uint32_t)s[3];
    out[o++] = (unsigned char)(v >> 16);
    if (!(last && pad == 2))
      out[o++] = (unsigned char)(v >> 8);
    if (!(last && pad >= 1))
      out[o++] = (unsigned char)v;
    /* Bits hidden under the padding must be zero, or two texts would
     * decode to the same bytes. */
    if (last && ((pad == 2 && (s[1] & 15)) || (pad == 1 && (s[2] & 3)))) {
      free(out);
      return NULL;
    }
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}
