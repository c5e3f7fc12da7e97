/* A byte-preserving model of a qemu-server VM config: lines grouped into
 * sections, changed only where a key is set or deleted. */
#include "pve.h"

#include "util/buf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

VSC_ENUM_IMPL(vsc_pve_section_kind, VSC_PVE_SECTION_LAST,
              "main", "pending", "special", "snapshot", "unknown");

int vsc_pve_vmid_parse(const char *s, unsigned *vmid, vsc_diags *diags)
{
  size_t len = s ? strlen(s) : 0;
  bool digits = len > 0;

  for (size_t i = 0; i < len; i++)
    digits = digits && s[i] >= '0' && s[i] <= '9';
  if (!digits || len < 3 || len > 9 || s[0] == '0') {
    vsc_error(diags, NULL, "pve-vmid",
              "a Proxmox VMID is a number from 100 to 999999999 without leading zeros, e.g. 100",
              "invalid VMID '%s'", s ? s : "");
    return -1;
  }
  *vmid = (unsigned)strtoul(s, NULL, 10);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Line classification, as parse_vm_config does it                     */

static bool is_blank(const char *t)
{
  for (; *t; t++)
    if (!isspace((unsigned char)*t))
      return false;
  return true;
}

/* Length of the key of a "key: value" line (^[a-z][a-z_-]*\d*:), or 0. */
static size_t line_key_len(const char *t)
{
  size_t i = 0;
  if (!(t[0] >= 'a' && t[0] <= 'z'))
    return 0;
  i = 1;
  while ((t[i] >= 'a' && t[i] <= 'z') || t[i] == '_' || t[i] == '-')
    i++;
  while (t[i] >= '0' && t[i] <= '9')
    i++;
  return t[i] == ':' ? i : 0;
}

static bool line_has_key(const char *t, const char *key)
{
  size_t k = line_key_len(t);
  return k && k == strlen(key) && strncmp(t, key, k) == 0;
}

/* The trimmed value of a key line (\s*(.+?)\s*$), or NULL if empty. */
static char *line_value(const char *t)
{
  const char *v = t + line_key_len(t) + 1;
  while (*v && isspace((unsigned char)*v))
    v++;
  size_t n = strlen(v);
  while (n > 0 && isspace((unsigned char)v[n - 1]))
    n--;
  return n ? vsc_strndup(v, n) : NULL;
}

/* A section header "[...]" followed only by whitespace; *name gets the
 * text between the brackets. */
static bool header_parse(const char *t, vsc_pve_section_kind *kind, char **name)
{
  const char *close;
  if (t[0] != '[' || !(close = strchr(t + 1, ']')) || !is_blank(close + 1))
    return false;
  size_t n = (size_t)(close - t - 1);
  *name = vsc_strndup(t + 1, n);
  if (strcasecmp(*name, "PENDING") == 0) {
    *kind = VSC_PVE_SECTION_PENDING;
  } else if (strncasecmp(*name, "special:", 8) == 0 &&
             (strcasecmp(*name + 8, "cloudinit") == 0 || strcasecmp(*name + 8, "fleecing") == 0)) {
    *kind = VSC_PVE_SECTION_SPECIAL;
  } else {
    /* [a-z][a-z0-9_-]+ case-insensitively */
    bool snap = n >= 2 && isalpha((unsigned char)(*name)[0]) && isascii((unsigned char)(*name)[0]);
    for (size_t i = 1; snap && i < n; i++) {
      unsigned char c = (unsigned char)(*name)[i];
      snap = isascii(c) && (isalnum(c) || c == '_' || c == '-');
    }
    *kind = snap ? VSC_PVE_SECTION_SNAPSHOT : VSC_PVE_SECTION_UNKNOWN;
  }
  return true;
}

/* ------------------------------------------------------------------ */
/* Parse and format                                                     */

static vsc_pve_section *add_section(vsc_pve_conf *conf, vsc_pve_section_kind kind, char *name)
{
  vsc_pve_section *s = vsc_append(&conf->sections, &conf->n_sections, sizeof(*conf->sections));
  s->kind = kind;
  s->name = name;
  return s;
}

void vsc_pve_section_insert_line(vsc_pve_section *s, size_t at, char *text)
{
  s->lines = vsc_realloc(s->lines, (s->n_lines + 1) * sizeof(*s->lines));
  memmove(&s->lines[at + 1], &s->lines[at], (s->n_lines - at) * sizeof(*s->lines));
  s->lines[at] = (vsc_pve_line){ .text = text, .newline = true };
  s->n_lines++;
}

void vsc_pve_section_remove_line(vsc_pve_section *s, size_t at)
{
  free(s->lines[at].text);
  memmove(&s->lines[at], &s->lines[at + 1], (s->n_lines - at - 1) * sizeof(*s->lines));
  s->n_lines--;
}

vsc_pve_conf *vsc_pve_conf_parse(const char *data, size_t len, const char *file, vsc_diags *diags)
{
  vsc_pve_conf *conf = vsc_calloc(1, sizeof(*conf));
  conf->file = file ? vsc_strdup(file) : NULL;
  vsc_pve_section *cur = add_section(conf, VSC_PVE_SECTION_MAIN, NULL);
  size_t pos = 0;
  int lineno = 0;

  while (pos < len) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - data) : len;
    lineno++;
    if (memchr(data + pos, '\0', end - pos)) {
      vsc_loc loc = { .file = file, .line = lineno };
      vsc_error(diags, &loc, "pve-conf", "a qemu-server config is text; restore it from a backup",
                "config contains a NUL byte");
      vsc_pve_conf_free(conf);
      return NULL;
    }
    char *text = vsc_strndup(data + pos, end - pos);
    vsc_pve_section_kind kind;
    char *name = NULL;
    if (header_parse(text, &kind, &name))
      cur = add_section(conf, kind, name);
    vsc_pve_line *line = vsc_append(&cur->lines, &cur->n_lines, sizeof(*cur->lines));
    line->text = text;
    line->newline = nl != NULL;
    pos = end + (nl ? 1 : 0);
  }
  return conf;
}

char *vsc_pve_conf_format(const vsc_pve_conf *conf, size_t *len)
{
  vsc_buf b = { 0 };
  for (size_t i = 0; i < conf->n_sections; i++) {
    const vsc_pve_section *s = &conf->sections[i];
    for (size_t j = 0; j < s->n_lines; j++) {
      vsc_buf_add(&b, s->lines[j].text);
      if (s->lines[j].newline)
        vsc_buf_addc(&b, '\n');
    }
  }
  if (len)
    *len = b.len;
  return vsc_buf_steal(&b);
}

static void section_clear(vsc_pve_section *s)
{
  for (size_t j = 0; j < s->n_lines; j++)
    free(s->lines[j].text);
  free(s->lines);
  free(s->name);
}

void vsc_pve_conf_free(vsc_pve_conf *conf)
{
  if (!conf)
    return;
  for (size_t i = 0; i < conf->n_sections; i++)
    section_clear(&conf->sections[i]);
  free(conf->sections);
  free(conf->file);
  free(conf);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                 */

vsc_pve_section *vsc_pve_conf_pending(vsc_pve_conf *conf)
{
  for (size_t i = 1; i < conf->n_sections; i++)
    if (conf->sections[i].kind == VSC_PVE_SECTION_PENDING)
      return &conf->sections[i];
  return NULL;
}

static const vsc_pve_section *section_of(const vsc_pve_conf *conf, bool pending)
{
  return pending ? vsc_pve_conf_pending((vsc_pve_conf *)conf) : &conf->sections[0];
}

static char *section_get(const vsc_pve_section *s, const char *key)
{
  char *value = NULL;
  for (size_t j = 0; s && j < s->n_lines; j++) {
    if (line_has_key(s->lines[j].text, key)) {
      free(value);
      value = line_value(s->lines[j].text);
    }
  }
  return value;
}

char *vsc_pve_conf_get(const vsc_pve_conf *conf, bool pending, const char *key)
{
  return section_get(section_of(conf, pending), key);
}

char *vsc_pve_conf_lock(const vsc_pve_conf *conf)
{
  return vsc_pve_conf_get(conf, false, "lock");
}

/* Split the value of "delete:" as parse_pending_delete does: "," ";" and
 * whitespace separate, a "!" marks a forced delete. */
static char **delete_list(const char *value, size_t *n)
{
  char **items = NULL;
  *n = 0;
  for (const char *p = value ? value : ""; *p;) {
    size_t skip = strspn(p, ",; \t");
    p += skip;
    size_t len = strcspn(p, ",; \t");
    if (len) {
      items = vsc_realloc(items, (*n + 1) * sizeof(*items));
      items[(*n)++] = vsc_strndup(p, len);
    }
    p += len;
  }
  return items;
}

static void free_list(char **items, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(items[i]);
  free(items);
}

bool vsc_pve_conf_pending_deletes(const vsc_pve_conf *conf, const char *key)
{
  VSC_AUTOFREE(char) value = vsc_pve_conf_get(conf, true, "delete");
  size_t n;
  char **items = delete_list(value, &n);
  bool found = false;
  for (size_t i = 0; i < n; i++)
    found = found || strcmp(items[i] + (items[i][0] == '!'), key) == 0;
  free_list(items, n);
  return found;
}

char *vsc_pve_conf_get_effective(const vsc_pve_conf *conf, const char *key)
{
  char *value = vsc_pve_conf_get(conf, true, key);
  if (value)
    return value;
  if (vsc_pve_conf_pending_deletes(conf, key))
    return NULL;
  return vsc_pve_conf_get(conf, false, key);
}

char *vsc_pve_conf_get_for(const vsc_pve_conf *conf, bool pending, const char *key)
{
  return pending ? vsc_pve_conf_get_effective(conf, key) : vsc_pve_conf_get(conf, false, key);
}

static bool key_valid(const char *key)
{
  VSC_AUTOFREE(char) probe = vsc_asprintf("%s:", key);
  return *key && line_key_len(probe) == strlen(key);
}

static int value_check(const char *key, const char *value, vsc_diags *diags)
{
  size_t n = strlen(value);
  const char *why = NULL;

  if (!key_valid(key))
    why = "is not a valid config key";
  else if (n == 0)
    why = "has an empty value";
  else if (strpbrk(value, "\n\r"))
    why = "has a line break in its value";
  else if (isspace((unsigned char)value[0]) || isspace((unsigned char)value[n - 1]))
    why = "has whitespace around its value, which qemu-server would trim";
  else if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
    why = "has a value that starts and ends with '\"', which qemu-server would strip";
  if (why) {
    vsc_error(diags, NULL, "pve-value", "a Proxmox config value must fit on one line as it is",
              "'%s' %s: '%s'", key, why, value);
    return -1;
  }
  return 0;
}

/* Create [PENDING] right after the main section, separated from its
 * neighbours by a blank line as write_vm_config does. */
static vsc_pve_section *pending_create(vsc_pve_conf *conf)
{
  vsc_pve_section *main_s = &conf->sections[0];
  bool main_has_content = false;
  for (size_t j = 0; j < main_s->n_lines; j++)
    main_has_content = main_has_content || !is_blank(main_s->lines[j].text);
  if (main_has_content && !is_blank(main_s->lines[main_s->n_lines - 1].text)) {
    main_s->lines[main_s->n_lines - 1].newline = true;
    vsc_pve_section_insert_line(main_s, main_s->n_lines, vsc_strdup(""));
  } else if (main_s->n_lines) {
    main_s->lines[main_s->n_lines - 1].newline = true;
  }

  conf->sections = vsc_realloc(conf->sections, (conf->n_sections + 1) * sizeof(*conf->sections));
  memmove(&conf->sections[2], &conf->sections[1], (conf->n_sections - 1) * sizeof(*conf->sections));
  conf->n_sections++;
  vsc_pve_section *p = &conf->sections[1];
  *p = (vsc_pve_section){ .kind = VSC_PVE_SECTION_PENDING, .name = vsc_strdup("PENDING") };
  vsc_pve_section_insert_line(p, 0, vsc_strdup("[PENDING]"));
  if (conf->n_sections > 2)
    vsc_pve_section_insert_line(p, 1, vsc_strdup(""));
  return p;
}

static void pending_remove_if_empty(vsc_pve_conf *conf)
{
  vsc_pve_section *p = vsc_pve_conf_pending(conf);
  if (!p)
    return;
  for (size_t j = 1; j < p->n_lines; j++)
    if (!is_blank(p->lines[j].text))
      return;
  size_t idx = (size_t)(p - conf->sections);
  section_clear(p);
  memmove(&conf->sections[idx], &conf->sections[idx + 1],
          (conf->n_sections - idx - 1) * sizeof(*conf->sections));
  conf->n_sections--;
}

/* Where a new key line goes: before the first key that sorts after it,
 * else after the last line that is not blank. */
static size_t insert_position(const vsc_pve_section *s, const char *key)
{
  size_t after_content = 0;
  for (size_t j = 0; j < s->n_lines; j++) {
    const char *t = s->lines[j].text;
    size_t k = line_key_len(t);
    if (k) {
      VSC_AUTOFREE(char) other = vsc_strndup(t, k);
      if (strcmp(other, key) > 0)
        return j;
    }
    if (!is_blank(t))
      after_content = j + 1;
  }
  return after_content;
}

static bool ends_with_cr(const char *t)
{
  size_t n = strlen(t);
  return n > 0 && t[n - 1] == '\r';
}

static void section_set(vsc_pve_section *s, const char *key, const char *value)
{
  size_t last = (size_t)-1;

  for (size_t j = 0; j < s->n_lines; j++)
    if (line_has_key(s->lines[j].text, key))
      last = j;
  /* Follow the file's line ending: a CRLF file gets CRLF lines. */
  size_t at = last != (size_t)-1 ? last : insert_position(s, key);
  bool crlf = (at < s->n_lines && ends_with_cr(s->lines[at].text)) ||
              (at > 0 && ends_with_cr(s->lines[at - 1].text));
  char *text = vsc_asprintf("%s: %s%s", key, value, crlf ? "\r" : "");

  if (last != (size_t)-1) {
    /* Replace the effective (last) line, drop earlier duplicates. */
    free(s->lines[last].text);
    s->lines[last].text = text;
    for (size_t j = last; j-- > 0;)
      if (line_has_key(s->lines[j].text, key))
        vsc_pve_section_remove_line(s, j);
    return;
  }
  if (at > 0)
    s->lines[at - 1].newline = true;
  vsc_pve_section_insert_line(s, at, text);
}

static size_t section_delete(vsc_pve_section *s, const char *key)
{
  size_t removed = 0;
  for (size_t j = s ? s->n_lines : 0; j-- > 0;) {
    if (line_has_key(s->lines[j].text, key)) {
      vsc_pve_section_remove_line(s, j);
      removed++;
    }
  }
  return removed;
}

/* Take key off the pending delete: list. */
static void pending_undelete(vsc_pve_conf *conf, const char *key)
{
  vsc_pve_section *p = vsc_pve_conf_pending(conf);
  VSC_AUTOFREE(char) value = vsc_pve_conf_get(conf, true, "delete");
  if (!p || !value)
    return;
  size_t n;
  char **items = delete_list(value, &n);
  vsc_buf b = { 0 };
  bool changed = false;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(items[i] + (items[i][0] == '!'), key) == 0) {
      changed = true;
      continue;
    }
    if (b.len)
      vsc_buf_addc(&b, ',');
    vsc_buf_add(&b, items[i]);
  }
  free_list(items, n);
  VSC_AUTOFREE(char) rest = vsc_buf_steal(&b);
  if (!changed)
    return;
  if (*rest)
    section_set(p, "delete", rest);
  else
    section_delete(p, "delete");
  pending_remove_if_empty(conf);
}

int vsc_pve_conf_set(vsc_pve_conf *conf, bool pending, const char *key, const char *value,
                     vsc_diags *diags)
{
  if (value_check(key, value, diags) < 0)
    return -1;
  if (!pending) {
    section_set(&conf->sections[0], key, value);
    return 0;
  }
  /* qemu-server's cleanup_pending: a pending value equal to the current
   * one changes nothing, so it is not kept. */
  VSC_AUTOFREE(char) current = vsc_pve_conf_get(conf, false, key);
  if (current && strcmp(current, value) == 0) {
    vsc_pve_conf_delete(conf, true, key);
    pending_undelete(conf, key);
    return 0;
  }
  vsc_pve_section *p = vsc_pve_conf_pending(conf);
  if (!p)
    p = pending_create(conf);
  section_set(p, key, value);
  pending_undelete(conf, key);
  return 0;
}

size_t vsc_pve_conf_delete(vsc_pve_conf *conf, bool pending, const char *key)
{
  if (!pending)
    return section_delete(&conf->sections[0], key);
  size_t removed = section_delete(vsc_pve_conf_pending(conf), key);
  pending_remove_if_empty(conf);
  return removed;
}

void vsc_pve_conf_pending_delete(vsc_pve_conf *conf, const char *key)
{
  section_delete(vsc_pve_conf_pending(conf), key);
  if (vsc_pve_conf_pending_deletes(conf, key))
    return;
  VSC_AUTOFREE(char) old = vsc_pve_conf_get(conf, true, "delete");
  VSC_AUTOFREE(char) value = old ? vsc_asprintf("%s,%s", old, key) : vsc_strdup(key);
  vsc_pve_section *p = vsc_pve_conf_pending(conf);
  if (!p)
    p = pending_create(conf);
  section_set(p, "delete", value);
}

/* ------------------------------------------------------------------ */
/* serialN and agent                                                    */

bool vsc_pve_serial_value_ok(const char *value)
{
  /* qemu-server's pattern: (/dev/[^,]+|socket), anchored. */
  bool ok = value && (strcmp(value, "socket") == 0 ||
                      (strncmp(value, "/dev/", 5) == 0 && value[5] && !strchr(value, ',')));
  for (const char *p = value; ok && *p; p++)
    ok = !iscntrl((unsigned char)*p) && !isspace((unsigned char)*p);
  return ok;
}

bool vsc_pve_parallel_value_ok(const char *value)
{
  /* qemu-server's pattern: /dev/parport\d+|/dev/usb/lp\d+, anchored. */
  const char *digits = !value                                  ? NULL
                       : strncmp(value, "/dev/parport", 12) == 0 ? value + 12
                       : strncmp(value, "/dev/usb/lp", 11) == 0  ? value + 11
                                                                 : NULL;
  return digits && *digits && strspn(digits, "0123456789") == strlen(digits);
}

int vsc_pve_conf_set_serial(vsc_pve_conf *conf, bool pending, int index, const char *value,
                            vsc_diags *diags)
{
  if (index < 0 || index >= VSC_PVE_MAX_SERIAL) {
    vsc_error(diags, NULL, "pve-serial", "qemu-server has serial0 to serial3 only",
              "serial port index %d is out of range", index);
    return -1;
  }
  if (!vsc_pve_serial_value_ok(value)) {
    vsc_error(diags, NULL, "pve-serial",
              "use 'socket' or a host device path /dev/... without commas, spaces or line breaks",
              "serial%d cannot be '%s'", index, value ? value : "");
    return -1;
  }
  VSC_AUTOFREE(char) key = vsc_asprintf("serial%d", index);
  return vsc_pve_conf_set(conf, pending, key, value, diags);
}

int vsc_pve_conf_set_parallel(vsc_pve_conf *conf, bool pending, int index, const char *value,
                              vsc_diags *diags)
{
  if (index < 0 || index >= VSC_PVE_MAX_PARALLEL || !vsc_pve_parallel_value_ok(value)) {
    vsc_error(diags, NULL, "pve-parallel", "qemu-server has parallel0 to parallel2, on /dev/parportN or /dev/usb/lpN",
              "parallel%d cannot be '%s'", index, value ? value : "");
    return -1;
  }
  VSC_AUTOFREE(char) key = vsc_asprintf("parallel%d", index);
  return vsc_pve_conf_set(conf, pending, key, value, diags);
}

int vsc_pve_conf_set_agent(vsc_pve_conf *conf, bool pending, vsc_diags *diags)
{
  VSC_AUTOFREE(char) old = vsc_pve_conf_get_for(conf, pending, "agent");
  size_t n = 0;
  char **items = NULL;
  vsc_buf b = { 0 };

  /* [enabled=]<1|0>[,freeze-fs=...][,fstrim_cloned_disks=...][,type=...] */
  for (const char *p = old ? old : ""; *p;) {
    size_t len = strcspn(p, ",");
    if (len) {
      items = vsc_realloc(items, (n + 1) * sizeof(*items));
      items[n++] = vsc_strndup(p, len);
    }
    p += len + (p[len] == ',');
  }
  vsc_buf_add(&b, "1");
  for (size_t i = 0; i < n; i++) {
    if (!strchr(items[i], '=') || strncmp(items[i], "enabled=", 8) == 0 ||
        strcmp(items[i], "type=isa") == 0)
      continue;
    vsc_buf_addc(&b, ',');
    vsc_buf_add(&b, items[i]);
  }
  free_list(items, n);
  VSC_AUTOFREE(char) value = vsc_buf_steal(&b);
  return vsc_pve_conf_set(conf, pending, "agent", value, diags);
}

int vsc_pve_conf_check_unique(const vsc_pve_conf *conf, bool pending, const char *key,
                              vsc_diags *diags)
{
  const vsc_pve_section *s = section_of(conf, pending);
  size_t first_line = 1, found = 0;
  vsc_buf where = { 0 };

  for (size_t i = 0; s && &conf->sections[i] != s; i++)
    first_line += conf->sections[i].n_lines;
  for (size_t j = 0; s && j < s->n_lines; j++)
    if (line_has_key(s->lines[j].text, key))
      vsc_buf_printf(&where, "%s%zu", found++ ? ", " : "", first_line + j);
  if (found > 1)
    vsc_error(diags, NULL, "pve-duplicate-key",
              "keep one of them (qemu-server reads only the last), then run vschan again",
              "the %sconfig has %zu '%s:' lines (lines %s)", pending ? "pending " : "", found, key,
              where.data);
  vsc_buf_clear(&where);
  return found > 1 ? -1 : 0;
}

vsc_loc vsc_pve_conf_key_loc(const vsc_pve_conf *conf, bool pending, const char *key)
{
  const vsc_pve_section *s = section_of(conf, pending);
  vsc_loc loc = { .file = conf->file };
  size_t first_line = 1;

  for (size_t i = 0; s && &conf->sections[i] != s; i++)
    first_line += conf->sections[i].n_lines;
  for (size_t j = 0; s && j < s->n_lines; j++)
    if (line_has_key(s->lines[j].text, key))
      loc.line = (int)(first_line + j);
  /* not changed under [PENDING]: the main section's line is the one */
  if (!loc.line && pending)
    return vsc_pve_conf_key_loc(conf, false, key);
  return loc;
}

static int hex_digit(char c)
{
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *vsc_pve_conf_description(const vsc_pve_conf *conf)
{
  const vsc_pve_section *s = &conf->sections[0];
  vsc_buf b = { 0 };
  bool any = false;

  for (size_t j = 0; j < s->n_lines; j++) {
    const char *t = s->lines[j].text;
    if (t[0] != '#')
      continue;
    if (any)
      vsc_buf_addc(&b, '\n');
    any = true;
    /* decode_text: uri_unescape of the line after the '#' */
    for (const char *p = t + 1; *p; p++) {
      int hi, lo;
      if (*p == '%' && (hi = hex_digit(p[1])) >= 0 && (lo = hex_digit(p[2])) >= 0) {
        vsc_buf_addc(&b, (char)(hi * 16 + lo));
        p += 2;
      } else if (!(*p == '\r' && p[1] == '\0')) {
        vsc_buf_addc(&b, *p);
      }
    }
  }
  if (!any)
    return NULL;
  return vsc_buf_steal(&b);
}
