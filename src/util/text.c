#include "text.h"

#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t vsc_utf8_decode(const unsigned char *s, uint32_t *cp)
{
  size_t len;
  uint32_t c, min;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if ((s[0] & 0xE0) == 0xC0)
    len = 2, c = s[0] & 0x1F, min = 0x80;
  else if ((s[0] & 0xF0) == 0xE0)
    len = 3, c = s[0] & 0x0F, min = 0x800;
  else if ((s[0] & 0xF8) == 0xF0)
    len = 4, c = s[0] & 0x07, min = 0x10000;
  else
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)   /* also stops at the NUL */
      return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return len;
}

/* XML 1.0's Char production. */
static int xml_char(uint32_t c)
{
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

const char *vsc_text_problem(const char *s, char *buf, size_t size)
{
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    uint32_t c;
    size_t n = vsc_utf8_decode(p, &c);
    if (n == 0) {
      snprintf(buf, size, "is not valid UTF-8 (byte 0x%02X at offset %zu)", *p,
               (size_t)(p - (const unsigned char *)s));
      return buf;
    }
    if (!xml_char(c)) {
      snprintf(buf, size, "holds U+%04X, which XML cannot carry", (unsigned)c);
      return buf;
    }
    p += n;
  }
  return NULL;
}

bool vsc_text_only_chars(const char *s, const char *extra)
{
  for (; *s; s++) {
    char ch = *s;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          strchr(extra, ch)))
      return false;
  }
  return true;
}

bool vsc_text_is_name(const char *s)
{
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
    return false;
  for (const char *p = s + 1; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '-'))
      return false;
  return true;
}

/* Shown as it is in a message: XML can carry it, a terminal does not
 * act on it. */
static bool printable(uint32_t c)
{
  return c == '\t' || c == '\n' || (xml_char(c) && c >= 0x20 && c != 0x7F && !(c >= 0x80 && c <= 0x9F));
}

char *vsc_text_printable(const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  uint32_t c;
  size_t n;
  while (*p && (n = vsc_utf8_decode(p, &c)) > 0 && printable(c))
    p += n;
  if (!*p)
    return NULL;
  vsc_buf b = { 0 };
  vsc_buf_addn(&b, s, (size_t)(p - (const unsigned char *)s));
  while (*p) {
    n = vsc_utf8_decode(p, &c);
    if (n == 0) {
      vsc_buf_printf(&b, "\\x%02X", *p);
      n = 1;
    } else if (printable(c)) {
      vsc_buf_addn(&b, (const char *)p, n);
    } else if (c < 0x80) {
      vsc_buf_printf(&b, "\\x%02X", (unsigned)c);
    } else {
      vsc_buf_printf(&b, "\\u%04X", (unsigned)c);
    }
    p += n;
  }
  return vsc_buf_steal(&b);
}
