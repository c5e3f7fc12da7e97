/* Small string predicates used across the modules. */
#pragma once

#include <stdbool.h>
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
