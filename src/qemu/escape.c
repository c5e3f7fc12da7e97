/* Escaping for QEMU option strings and for the shell. */
#include "qemu/qemu.h"

#include "util/buf.h"
#include "util/mem.h"
#include "util/shell.h"
#include "util/text.h"

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
    uint32_t cp;
    size_t len = vsc_utf8_decode(p, &cp);
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

char *vsc_qemu_argv_to_shell(char *const *argv, size_t n)
{
  vsc_buf b = { 0 };

  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      vsc_buf_addc(&b, ' ');
    vsc_shell_quote(&b, argv[i]);
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
