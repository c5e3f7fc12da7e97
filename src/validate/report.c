/* Results as JSON (one object per file) and as JUnit test cases. */
#include "validate.h"

#include "util/buf.h"
#include "util/json.h"
#include "util/mem.h"
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
