/* One file through both layers: what it is (by content), the schema, then
 * the rules on the devices the schema let through. */
#include "internal.h"

#include "spec/spec.h"
#include "util/file.h"
#include "util/mem.h"
#include "xml/xml.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const input_kind_names[] = {
  "unknown", "domain", "devices", "channel", "console", "serial", "parallel", "spec",
};

const char *vsc_input_kind_to_string(vsc_input_kind kind)
{
  return kind < VSC_INPUT_LAST ? input_kind_names[kind] : "unknown";
}

static vsc_input_kind kind_of_root(xmlNodePtr root)
{
  static const struct { const char *name; vsc_input_kind kind; } roots[] = {
    { "domain", VSC_INPUT_DOMAIN },   { "devices", VSC_INPUT_DEVICES }, { "channel", VSC_INPUT_CHANNEL },
    { "console", VSC_INPUT_CONSOLE }, { "serial", VSC_INPUT_SERIAL },   { "parallel", VSC_INPUT_PARALLEL },
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(roots); i++)
    if (xmlStrEqual(root->name, BAD_CAST roots[i].name))
      return roots[i].kind;
  return VSC_INPUT_UNKNOWN;
}

static bool listed(const xmlNodePtr *nodes, size_t n, xmlNodePtr node)
{
  for (size_t i = 0; i < n; i++)
    if (nodes[i] == node)
      return true;
  return false;
}

static void validate_xml(const char *text, size_t len, const vsc_validate_opts *opts, vsc_validate_result *res)
{
  const char *file = res->file;
  xmlDocPtr doc = vsc_xml_read(text, len, file, &res->diags);
  if (!doc)
    return;
  xmlNodePtr root = xmlDocGetRootElement(doc);
  res->kind = kind_of_root(root);
  if (res->kind == VSC_INPUT_UNKNOWN) {
    vsc_loc loc = { .file = file, .line = (int)xmlGetLineNo(root) };
    vsc_error(&res->diags, &loc, "input-kind",
              "give a <domain>, <devices>, <channel>, <console>, <serial> or <parallel> document, or a vschan spec",
              "root element <%s> is not a domain or a character device", (const char *)root->name);
    xmlFreeDoc(doc);
    return;
  }

  xmlNodePtr *bad = NULL;
  size_t nbad = 0;
  if (opts->schema)
    vsc_schema_check(opts->schema, doc, file, &res->diags, &bad, &nbad);

  /* The rules, on the devices the schema let through. */
  vsc_devset set;
  vsc_devset_init(&set);
  xmlNodePtr devices = res->kind == VSC_INPUT_DOMAIN ? vsc_xml_child(root, "devices") : root;
  if (devices && res->kind != VSC_INPUT_DOMAIN && res->kind != VSC_INPUT_DEVICES) {
    if (!listed(bad, nbad, devices))
      vsc_xml_collect_element(devices, file, &set, &res->diags);
  } else if (devices) {
    for (xmlNodePtr c = devices->children; c; c = c->next)
      if (!listed(bad, nbad, c))
        vsc_xml_collect_element(c, file, &set, &res->diags);
  }
  /* Only a whole domain says what surrounds the devices; a fragment
   * will be merged into a domain we cannot see. */
  vsc_domain_info info = { 0 };
  if (res->kind == VSC_INPUT_DOMAIN) {
    vsc_xml_domain_info(root, &info);
    info.host_spice_tls = opts->host_spice_tls;
    info.host = opts->host;
  }
  vsc_rules_check(&set, res->kind == VSC_INPUT_DOMAIN ? &info : NULL, &res->diags);
  vsc_domain_info_clear(&info);
  vsc_devset_clear(&set);
  free(bad);
  xmlFreeDoc(doc);
}

static bool looks_like_json(const char *text, size_t len)
{
  size_t i = 0;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    i = 3;
  while (i < len && strchr(" \t\r\n", text[i]))
    i++;
  return i < len && text[i] == '{';
}

/* Every diagnostic names the file and a rule, so output formats need no
 * special cases (the rules' domain-wide checks have no device). */
static void complete_diags(vsc_validate_result *res, const char *default_rule)
{
  for (size_t i = 0; i < res->diags.n; i++) {
    vsc_diag *d = &res->diags.items[i];
    if (!d->file)
      d->file = vsc_strdup(res->file);
    if (!d->rule)
      d->rule = vsc_strdup(default_rule);
    /* libxml2 puts line breaks in some messages ("...encoding !\nBytes:"). */
    for (char *p = d->message; p && *p; p++)
      if (*p == '\n' || *p == '\r')
        *p = ' ';
  }
}

void vsc_validate_text(const char *text, size_t len, const char *file, const vsc_validate_opts *opts,
                       vsc_validate_result *res)
{
  memset(res, 0, sizeof(*res));
  res->file = vsc_strdup(file);
  if (looks_like_json(text, len)) {
    vsc_devset set;
    vsc_devset_init(&set);
    res->kind = VSC_INPUT_SPEC;
    if (vsc_spec_parse(text, len, res->file, &set, &res->diags) == 0)
      vsc_rules_check(&set, NULL, &res->diags);
    vsc_devset_clear(&set);
    complete_diags(res, "spec");
  } else {
    validate_xml(text, len, opts, res);
    complete_diags(res, "xml-syntax");
  }
  if (opts->werror)
    vsc_diags_promote(&res->diags);
}

void vsc_validate_file(const char *path, const vsc_validate_opts *opts, vsc_validate_result *res)
{
  bool is_stdin = strcmp(path, "-") == 0;
  const char *name = is_stdin ? "<stdin>" : path;
  struct stat st;
  size_t len;

  if (!is_stdin && stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > VSC_XML_MAX_SIZE) {
    memset(res, 0, sizeof(*res));
    res->file = vsc_strdup(name);
    vsc_loc loc = { .file = name };
    vsc_error(&res->diags, &loc, "input-size", "split the document; libvirt domain XML is a few kilobytes",
              "file is %lld bytes; vschan reads at most %d", (long long)st.st_size, VSC_XML_MAX_SIZE);
    return;
  }
  vsc_diags diags = { 0 };
  VSC_AUTOFREE(char) text = vsc_file_read(path, VSC_XML_MAX_SIZE, &len, &diags);
  if (!text) {
    memset(res, 0, sizeof(*res));
    res->file = vsc_strdup(name);
    res->io_error = true;
    vsc_diags_move(&res->diags, &diags);
    complete_diags(res, "io");
    return;
  }
  vsc_validate_text(text, len, name, opts, res);
}

bool vsc_validate_result_valid(const vsc_validate_result *res)
{
  return !res->io_error && !vsc_diags_has_errors(&res->diags);
}

void vsc_validate_result_clear(vsc_validate_result *res)
{
  free(res->file);
  vsc_diags_clear(&res->diags);
  memset(res, 0, sizeof(*res));
}

int vsc_qemu_conf_spice_tls(const char *path, vsc_diags *diags)
{
  size_t len;
  VSC_AUTOFREE(char) text = vsc_file_read(path, 1024 * 1024, &len, diags);
  int value = 0;
  if (!text)
    return -1;
  /* libvirt's conf syntax: 'key = value' lines, '#' comments; the last
   * setting wins */
  for (char *line = text, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    line += strspn(line, " \t");
    if (strncmp(line, "spice_tls", 9) != 0)
      continue;
    char *p = line + 9 + strspn(line + 9, " \t");
    if (*p == '=')
      value = strtol(p + 1 + strspn(p + 1, " \t"), NULL, 10) != 0;
  }
  return value;
}
