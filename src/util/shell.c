#include "shell.h"

#include <stdbool.h>
#include <string.h>

/* Characters that mean nothing to a POSIX shell nor to shellwords. */
static bool shell_safe(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++) {
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                "_@%+=:,./-", *s))
      return false;
  }
  return true;
}

void vsc_shell_quote(vsc_buf *b, const char *s)
{
  if (shell_safe(s)) {
    vsc_buf_add(b, s);
    return;
  }
  vsc_buf_addc(b, '\'');
  for (; *s; s++) {
    if (*s == '\'')
      vsc_buf_add(b, "'\\''");
    else if (*s == '\\')
      vsc_buf_add(b, "'\\\\'");
    else
      vsc_buf_addc(b, *s);
  }
  vsc_buf_addc(b, '\'');
}
