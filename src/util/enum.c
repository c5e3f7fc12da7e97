#include "enum.h"

#include <stddef.h>

int vsc_enum_from_string(const char *const *table, int n, const char *s)
{
  if (!s)
    return -1;
  for (int i = 0; i < n; i++)
    if (table[i] && *table[i] && strcmp(table[i], s) == 0)
      return i;
  return -1;
}

const char *vsc_enum_to_string(const char *const *table, int n, int v)
{
  return v >= 0 && v < n ? table[v] : NULL;
}
