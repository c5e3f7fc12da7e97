/* Enums declared once with their string table, as libvirt's VIR_ENUM_IMPL:
 *
 *   typedef enum { VSC_MODE_DEFAULT, VSC_MODE_BIND, VSC_MODE_CONNECT, VSC_MODE_LAST } vsc_mode;
 *   VSC_ENUM_DECL(vsc_mode);                               (in the header)
 *   VSC_ENUM_IMPL(vsc_mode, VSC_MODE_LAST, "", "bind", "connect");   (in a .c)
 *
 * gives vsc_mode_to_string() and vsc_mode_from_string() (-1 if unknown).
 * The table length is checked at compile time against the _LAST value.
 */
#pragma once

#include <string.h>

int vsc_enum_from_string(const char *const *table, int n, const char *s);
const char *vsc_enum_to_string(const char *const *table, int n, int v);

#define VSC_ENUM_DECL(name) \
  const char *name##_to_string(int v); \
  int name##_from_string(const char *s); \
  extern const char *const name##_table[]

#define VSC_ENUM_IMPL(name, last, ...) \
  const char *const name##_table[] = { __VA_ARGS__ }; \
  _Static_assert(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *) == (last), \
                 "string table of " #name " does not match its enum"); \
  const char *name##_to_string(int v) { return vsc_enum_to_string(name##_table, last, v); } \
  int name##_from_string(const char *s) { return vsc_enum_from_string(name##_table, last, s); }
