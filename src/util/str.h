/* Small string predicates used across the modules. */
#pragma once

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Both there and equal: an absent string equals nothing. */
static inline bool vsc_streq(const char *a, const char *b)
{
  return a && b && strcmp(a, b) == 0;
}

/* Equal, two absent strings included. */
static inline bool vsc_streq0(const char *a, const char *b)
{
  return (!a && !b) || vsc_streq(a, b);
}

/* s is one of the strings of list (NULL-terminated). */
static inline bool vsc_str_in_list(const char *s, const char *const *list)
{
  for (; *list; list++)
    if (strcmp(*list, s) == 0)
      return true;
  return false;
}

/* What follows prefix in s, or NULL when s does not start with it. */
static inline const char *vsc_str_skip(const char *s, const char *prefix)
{
  size_t n = strlen(prefix);
  return s && strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* Read an unsigned number (strtoul, base 10, 16 or 0) at *p, of at most max;
 * *p moves past it.  False when there are no digits or it is too big
 * (and *p stays). */
static inline bool vsc_str_take_uint(const char **p, int base, unsigned long max, unsigned int *out)
{
  const char *s = *p;
  char *end;
  /* (strtoul would also take a sign and leading spaces) */
  bool digit = base == 16 ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s);
  if (!digit)
    return false;
  errno = 0;
  unsigned long v = strtoul(s, &end, base);
  if (errno || v > max)
    return false;
  *out = (unsigned int)v;
  *p = end;
  return true;
}

/* s is all of one unsigned number of at most max, read as QEMU and
 * libvirt read them (strtoul base 0: 10, 0x1f, 017); no sign, no
 * trailing text. */
static inline bool vsc_str_to_uint(const char *s, unsigned long max, unsigned int *out)
{
  const char *p = s;
  return s && vsc_str_take_uint(&p, 0, max, out) && !*p;
}
