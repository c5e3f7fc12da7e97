/* Escaping for QEMU option strings and for the shell. */
#include "qemu/qemu.h"

#include "util/buf.h"
#include "util/mem.h"

#include <string.h>

char *vsc_qemu_escape_value(const char *value)
{
  vsc_buf b = { 0 };

  for (const char *p = value; *p; p++) {
    /* QEMU's get_opt_value() ends a value at a single ',' and reads ",,"
     * as one literal ','; nothing else is special inside a value. */
    if (*p == ',')
      vsc_buf_addc(&b, ',');
    vsc_buf_addc(&b, *p);
  }
  return vsc_buf_steal(&b);
}

/* Length of the UTF-8 sequence at s, or 0 if it is not valid UTF-8
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_sequence_length(const unsigned char *s)
{
  unsigned int cp;
  size_t len;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    len = 2;
    cp = s[0] & 0x1f;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    len = 3;
    cp = s[0] & 0x0f;
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    len = 4;
    cp = s[0] & 0x07;
  } else {
    return 0;
  }
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

const char *vsc_qemu_value_problem(const char *value)
{
  const unsigned char *p = (const unsigned char *)value;

  /* QEMU itself takes any byte but NUL; what it cannot give back is the
   * problem: QMP answers in JSON and turns invalid UTF-8 into U+FFFD, a
   * Proxmox config and --argv output are line based, and a control
   * character in a path is a mistake far more often than intended. */
  while (*p) {
    if (*p < 0x20 || *p == 0x7f)
      return *p == '\n' ? "contains a newline" : "contains a control character";
    size_t len = utf8_sequence_length(p);
    if (len == 0)
      return "is not valid UTF-8";
    p += len;
  }
  return NULL;
}

static bool id_char(char c, bool first)
{
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first)
    return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool vsc_qemu_id_valid(const char *id)
{
  if (!id || !id_char(id[0], true))
    return false;
  for (const char *p = id + 1; *p; p++)
    if (!id_char(*p, false))
      return false;
  return true;
}

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

static void shell_quote(vsc_buf *b, const char *s)
{
  if (shell_safe(s)) {
    vsc_buf_add(b, s);
    return;
  }
  /* Single quotes, with ' and \ written outside them: inside single
   * quotes sh keeps a backslash but shellwords reads \\ and \' as
   * escapes, while outside quotes both read \' and \\ alike. */
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

char *vsc_qemu_argv_to_shell(char *const *argv, size_t n)
{
  vsc_buf b = { 0 };

  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      vsc_buf_addc(&b, ' ');
    shell_quote(&b, argv[i]);
  }
  return vsc_buf_steal(&b);
}

char *vsc_qemu_argv_to_lines(char *const *argv, size_t n, vsc_diags *diags)
{
  vsc_buf b = { 0 };

  for (size_t i = 0; i < n; i++) {
    if (strchr(argv[i], '\n')) {
      vsc_error(diags, NULL, "qemu-argv-newline",
                "use the shell-quoted form (without --argv)",
                "argument %zu contains a newline and cannot be written one per line", i + 1);
      vsc_buf_clear(&b);
      return NULL;
    }
    vsc_buf_add(&b, argv[i]);
    vsc_buf_addc(&b, '\n');
  }
  return vsc_buf_steal(&b);
}
