/* Results as JSON (one object per file) and as JUnit test cases. */
#include "validate.h"

#include "util/buf.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/paths.h"
#include "util/text.h"

#include <libxml/tree.h>
#include <string.h>

/* A file name is bytes, JSON and XML text are UTF-8: the name as given
 * when it is valid text, escaped (\xHH) when not.  Caller frees. */
static char *shown(const char *s)
{
  char *escaped = vsc_text_printable(s);
  return escaped ? escaped : vsc_strdup(s);
}

json_t *vsc_validate_result_to_json(const vsc_validate_result *res)
{
  json_t *diags = json_array();
  for (size_t i = 0; i < res->diags.n; i++) {
    json_array_append_new(diags, vsc_json_diag(&res->diags.items[i]));
  }
  return json_pack("{s:o, s:s, s:b, s:I, s:I, s:o}", "file", vsc_json_text_or_null(res->file), "kind",
                   vsc_input_kind_to_string(res->kind), "valid", vsc_validate_result_valid(res),
                   "errors", (json_int_t)vsc_diags_count(&res->diags, VSC_SEV_ERROR),
                   "warnings", (json_int_t)vsc_diags_count(&res->diags, VSC_SEV_WARNING),
                   "diagnostics", diags);
}

static void describe(vsc_buf *b, const vsc_diag *d)
{
  VSC_AUTOFREE(char) file = shown(d->file ? d->file : "");
  vsc_buf_add(b, file);
  if (d->line > 0)
    vsc_buf_printf(b, ":%d", d->line);
  vsc_buf_printf(b, ": %s: ", vsc_severity_to_string(d->severity));
  if (d->pointer && *d->pointer)
    vsc_buf_printf(b, "at %s: ", d->pointer); /* where in a spec file */
  vsc_buf_add(b, d->message ? d->message : "");
  if (d->rule)
    vsc_buf_printf(b, " [%s]", d->rule);
  vsc_buf_add(b, "\n");
  if (d->hint)
    vsc_buf_printf(b, "  hint: %s\n", d->hint);
}

char *vsc_validate_result_to_junit(const vsc_validate_result *res)
{
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr tc = xmlNewDocNode(doc, NULL, BAD_CAST "testcase", NULL);
  xmlDocSetRootElement(doc, tc);
  VSC_AUTOFREE(char) file = shown(res->file);
  xmlNewProp(tc, BAD_CAST "classname", BAD_CAST "vschan.validate");
  xmlNewProp(tc, BAD_CAST "name", BAD_CAST file);
  xmlNewProp(tc, BAD_CAST "file", BAD_CAST file);

  vsc_buf errors = { 0 }, others = { 0 };
  size_t nerr = 0;
  for (size_t i = 0; i < res->diags.n; i++) {
    const vsc_diag *d = &res->diags.items[i];
    if (d->severity == VSC_SEV_ERROR) {
      nerr++;
      describe(&errors, d);
    } else {
      describe(&others, d);
    }
  }
  VSC_AUTOFREE(char) etext = vsc_buf_steal(&errors);
  VSC_AUTOFREE(char) otext = vsc_buf_steal(&others);
  if (nerr) {
    /* A file that cannot be read is an error of the run, not a failure
     * of the document. */
    xmlNodePtr f = xmlNewTextChild(tc, NULL, BAD_CAST(res->io_error ? "error" : "failure"), BAD_CAST etext);
    VSC_AUTOFREE(char) summary = vsc_asprintf("%zu error%s", nerr, nerr == 1 ? "" : "s");
    xmlNewProp(f, BAD_CAST "message", BAD_CAST summary);
    xmlNewProp(f, BAD_CAST "type", BAD_CAST(res->io_error ? "io" : "invalid"));
  }
  if (*otext)
    xmlNewTextChild(tc, NULL, BAD_CAST "system-out", BAD_CAST otext);

  xmlBufferPtr buf = xmlBufferCreate();
  xmlNodeDump(buf, doc, tc, 2, 1);
  char *text = vsc_strdup((const char *)xmlBufferContent(buf));
  xmlBufferFree(buf);
  xmlFreeDoc(doc);
  return text;
}

/* ---- SARIF 2.1.0 ---- */

/* What validate reports: the input layer and the device model's rules
 * (--list-rules lists the same). */
static bool reported_by_validate(const vsc_rule_info *r)
{
  return r->layer == VSC_LAYER_INPUT || r->layer == VSC_LAYER_RULES;
}

json_t *vsc_validate_sarif_new(void)
{
  json_t *rules = json_array();
  for (const vsc_rule_info *r = vsc_rules; r->id; r++) {
    if (!reported_by_validate(r))
      continue;
    json_array_append_new(rules, json_pack("{s:s, s:{s:s}, s:{s:s}}", "id", r->id,
                                           "shortDescription", "text", r->summary,
                                           "defaultConfiguration", "level",
                                           r->severity == VSC_SEV_ERROR ? "error" : "warning"));
  }
  json_t *driver = json_pack("{s:s, s:s, s:s, s:o}", "name", "vschan", "version", vsc_version(),
                             "informationUri", "https://vschan.dev/", "rules", rules);
  return json_pack("{s:s, s:s, s:[{s:{s:o}, s:[]}]}", "$schema",
                   "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs",
                   "tool", "driver", driver, "results");
}

/* A file name as a URI reference (RFC 3986): relative names stay
 * relative (to the directory the scan ran in, which code scanning maps
 * to the repository), absolute ones become file: URIs; every byte but
 * the unreserved ones and '/' is percent-encoded. */
static char *file_uri(const char *path)
{
  static const char hex[] = "0123456789ABCDEF";
  vsc_buf b = { 0 };
  if (path[0] == '/')
    vsc_buf_add(&b, "file://");
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        strchr("-._~/", *p))
      vsc_buf_addc(&b, (char)*p);
    else {
      vsc_buf_addc(&b, '%');
      vsc_buf_addc(&b, hex[*p >> 4]);
      vsc_buf_addc(&b, hex[*p & 15]);
    }
  }
  return vsc_buf_steal(&b);
}

static json_int_t rule_index(const char *id)
{
  json_int_t i = 0;
  for (const vsc_rule_info *r = vsc_rules; r->id; r++) {
    if (!reported_by_validate(r))
      continue;
    if (id && strcmp(r->id, id) == 0)
      return i;
    i++;
  }
  return -1;
}

void vsc_validate_sarif_add(json_t *sarif, const vsc_validate_result *res)
{
  json_t *results = json_object_get(json_array_get(json_object_get(sarif, "runs"), 0), "results");
  for (size_t i = 0; i < res->diags.n; i++) {
    const vsc_diag *d = &res->diags.items[i];
    vsc_buf text = { 0 };
    if (d->pointer && *d->pointer)
      vsc_buf_printf(&text, "at %s: ", d->pointer);
    vsc_buf_add(&text, d->message ? d->message : "");
    if (d->hint)
      vsc_buf_printf(&text, " (hint: %s)", d->hint);
    VSC_AUTOFREE(char) message = vsc_buf_steal(&text);
    VSC_AUTOFREE(char) shown_file = shown(d->file ? d->file : res->file);
    VSC_AUTOFREE(char) uri = file_uri(shown_file);
    /* code scanning places a result on a line: a diagnostic of the whole
     * document (a missing controller) goes on its first */
    json_t *region = json_pack("{s:i}", "startLine", d->line > 0 ? d->line : 1);
    if (d->line > 0 && d->column > 0)
      json_object_set_new(region, "startColumn", json_integer(d->column));
    json_t *physical = json_pack("{s:{s:s}, s:o}", "artifactLocation", "uri", uri, "region", region);
    json_t *result = json_pack("{s:s, s:s, s:{s:s}, s:[{s:o}]}", "ruleId", d->rule ? d->rule : "vschan",
                               "level", d->severity == VSC_SEV_ERROR ? "error" : "warning", "message",
                               "text", message, "locations", "physicalLocation", physical);
    json_int_t index = rule_index(d->rule);
    if (index >= 0)
      json_object_set_new(result, "ruleIndex", json_integer(index));
    json_array_append_new(results, result);
  }
}
