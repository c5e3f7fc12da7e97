/* vschan validate on any bytes: vsc_validate_text with libvirt's RNG
 * schema (compiled once, in LLVMFuzzerInitialize, as 'vschan validate'
 * compiles it once per run), then the JSON and JUnit reports.
 *
 * Invariants:
 *  - the same input validated again (with --werror) gives the same
 *    diagnostics, warnings promoted to errors;
 *  - every diagnostic names the file and a rule vschan documents; one
 *    about an XML element has its line, one about a spec value its JSON
 *    pointer or line (only the domain-wide rules have no device to point at);
 *  - the rules alone (no schema) say the same when the schema found
 *    nothing: the schema only ever takes devices away from the rules;
 *  - an XML document judged valid reads into the model ('vschan xml
 *    --into' and 'add' read it the same way), with as many devices as it
 *    has character-device elements; a valid spec parses; without
 *    warnings, what vschan writes for those devices is valid too,
 *    libvirt's schema included;
 *  - the JSON report holds every diagnostic and the JUnit report is
 *    well-formed XML, also for a file name that is not UTF-8. */
#include "fuzz.h"
#include "spec/spec.h"
#include "util/mem.h"
#include "util/str.h"
#include "validate/validate.h"
#include "xml/xml.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_NAME "fuzz.xml"

static vsc_schema *schema;
/* FUZZ_PRINT=1: print each verdict (to look at a replayed input). */
static bool print_verdicts;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_init();
  print_verdicts = getenv("FUZZ_PRINT") && strcmp(getenv("FUZZ_PRINT"), "1") == 0;
  vsc_diags diags = { 0 };
  schema = vsc_schema_load(NULL, false, &diags);
  if (!schema) {
    vsc_diags_print(&diags, stderr, false);
    fprintf(stderr, "fuzz-validate: no schema to validate with\n");
    exit(1);
  }
  /* The fragment grammar is compiled on first use; do it now so that the
   * first input is not slower than the others. */
  static const char warm[] = "<channel type='bogus'/>";
  vsc_validate_opts opts = { .schema = schema };
  vsc_validate_result res;
  vsc_validate_text(warm, sizeof(warm) - 1, FILE_NAME, &opts, &res);
  vsc_validate_result_clear(&res);
  return 0;
}

static bool rule_known(const char *id)
{
  for (const vsc_rule_info *r = vsc_rules; r->id; r++)
    if (strcmp(r->id, id) == 0)
      return true;
  return false;
}

static bool domain_wide(const char *rule)
{
  return strcmp(rule, "virtio-serial-controller") == 0;
}

static void check_locations(const vsc_validate_result *res)
{
  for (size_t i = 0; i < res->diags.n; i++) {
    const vsc_diag *d = &res->diags.items[i];
    FUZZ_CHECK(d->file && strcmp(d->file, FILE_NAME) == 0, "diagnostic %zu names file '%s'", i,
               d->file ? d->file : "(null)");
    FUZZ_CHECK(d->rule && rule_known(d->rule), "diagnostic %zu has rule '%s'", i, d->rule ? d->rule : "(null)");
    FUZZ_CHECK(d->message && *d->message, "diagnostic %zu has no message", i);
    FUZZ_CHECK(!strpbrk(d->message, "\r\n"), "diagnostic %zu has a line break: %s", i, d->message);
    if (domain_wide(d->rule))
      continue;
    if (res->kind == VSC_INPUT_SPEC)
      FUZZ_CHECK(d->line > 0 || (d->pointer && *d->pointer), "spec diagnostic %zu has no place: %s", i,
                 d->message);
    else if (res->kind != VSC_INPUT_UNKNOWN)
      FUZZ_CHECK(d->line > 0, "diagnostic %zu about an element has no line: [%s] %s", i, d->rule,
                 d->message);
  }
}

static void check_same(const vsc_validate_result *a, const vsc_validate_result *b, bool promoted, const char *what)
{
  FUZZ_CHECK(a->kind == b->kind, "%s: kind %d, then %d", what, (int)a->kind, (int)b->kind);
  FUZZ_CHECK(a->diags.n == b->diags.n, "%s: %zu diagnostics, then %zu", what, a->diags.n, b->diags.n);
  for (size_t i = 0; i < a->diags.n; i++) {
    const vsc_diag *x = &a->diags.items[i], *y = &b->diags.items[i];
    vsc_severity expected = promoted && x->severity == VSC_SEV_WARNING ? VSC_SEV_ERROR : x->severity;
    FUZZ_CHECK(y->severity == expected && x->line == y->line && x->column == y->column &&
                 vsc_streq0(x->rule, y->rule) && vsc_streq0(x->message, y->message) &&
                 vsc_streq0(x->hint, y->hint) && vsc_streq0(x->pointer, y->pointer),
               "%s: diagnostic %zu differs:\n  %d:%s %s\n  %d:%s %s", what, i, x->line,
               x->rule ? x->rule : "", x->message, y->line, y->rule ? y->rule : "", y->message);
  }
}

static size_t count_schema_errors(const vsc_validate_result *res)
{
  size_t n = 0;
  for (size_t i = 0; i < res->diags.n; i++)
    n += res->diags.items[i].rule && strcmp(res->diags.items[i].rule, "schema") == 0;
  return n;
}

/* Character-device elements where validate looks for them: the root, or
 * the children of <devices> (of the root or of <domain>). */
static size_t count_chardevs(xmlNodePtr root)
{
  if (vsc_xml_is_chardev_name((const char *)root->name, NULL))
    return 1;
  xmlNodePtr devices = xmlStrEqual(root->name, BAD_CAST "devices") ? root : NULL;
  for (xmlNodePtr c = root->children; c && !devices; c = c->next)
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "devices"))
      devices = c;
  size_t n = 0;
  for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next)
    n += c->type == XML_ELEMENT_NODE && vsc_xml_is_chardev_name((const char *)c->name, NULL);
  return n;
}

/* What vschan writes for the devices of a valid document without
 * warnings ('vschan xml' for a spec), validate accepts too, schema
 * included (as a <devices> fragment: the domain-wide rules are left out
 * there). */
static void check_written_is_valid(const vsc_devset *set, const char *text, size_t len)
{
  vsc_validate_opts opts = { .schema = schema };
  vsc_validate_result res;
  char *written = vsc_xml_devset_to_string(set);
  vsc_validate_text(written, strlen(written), FILE_NAME, &opts, &res);
  FUZZ_CHECK(vsc_validate_result_valid(&res), "what vschan writes for a valid document is not valid: %s\n%s\n---\n%.*s",
             res.diags.n ? res.diags.items[0].message : "?", written, (int)len, text);
  vsc_validate_result_clear(&res);
  free(written);
}

/* What validate accepted, the readers of the other commands read. */
static void check_valid_reads(const char *text, size_t len, const vsc_validate_result *res)
{
  vsc_diags diags = { 0 };
  vsc_devset set;
  vsc_devset_init(&set);
  if (res->kind == VSC_INPUT_SPEC) {
    int rc = vsc_spec_parse(text, len, FILE_NAME, &set, &diags);
    FUZZ_CHECK(rc == 0, "a valid spec does not parse: %s", diags.n ? diags.items[0].message : "?");
  } else {
    xmlDocPtr doc = vsc_xml_read(text, len, FILE_NAME, &diags);
    FUZZ_CHECK(doc != NULL, "a valid document does not read: %s", diags.n ? diags.items[0].message : "?");
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int rc = vsc_xml_collect(root, FILE_NAME, &set, &diags);
    FUZZ_CHECK(rc == 0, "a valid document does not read into the model: %s",
               diags.n ? diags.items[0].message : "?");
    FUZZ_CHECK(set.ndevs == count_chardevs(root), "a valid document has %zu devices, the model %zu",
               count_chardevs(root), set.ndevs);
    xmlFreeDoc(doc);
  }
  /* 'vschan xml' writes nothing for a set with warnings: a warning is a
   * mistake libvirt lets through, which its schema may still refuse. */
  if (vsc_diags_count(&res->diags, VSC_SEV_WARNING) == 0)
    check_written_is_valid(&set, text, len);
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
}

static void check_reports_named(const vsc_validate_result *res)
{
  json_t *j = vsc_validate_result_to_json(res);
  FUZZ_CHECK(j != NULL, "no JSON report for %zu diagnostics", res->diags.n);
  FUZZ_CHECK(json_array_size(json_object_get(j, "diagnostics")) == res->diags.n,
             "the JSON report has %zu of %zu diagnostics", json_array_size(json_object_get(j, "diagnostics")),
             res->diags.n);
  char *s = json_dumps(j, JSON_COMPACT);
  FUZZ_CHECK(s != NULL, "the JSON report does not serialize");
  free(s);
  json_decref(j);

  char *junit = vsc_validate_result_to_junit(res);
  xmlDocPtr doc = xmlReadMemory(junit, (int)strlen(junit), "junit.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  FUZZ_CHECK(doc != NULL, "the JUnit report is not well-formed:\n%s", junit);
  xmlFreeDoc(doc);
  free(junit);
}

/* The reports of the verdict, for this file and for a file whose name is
 * not text (a path is bytes). */
static void check_reports(vsc_validate_result *res)
{
  static char odd_name[] = "odd\xff\x01\"'<&>.xml";
  check_reports_named(res);
  char *file = res->file;
  char **files = vsc_calloc(res->diags.n + 1, sizeof(char *));
  res->file = odd_name;
  for (size_t i = 0; i < res->diags.n; i++) {
    files[i] = res->diags.items[i].file;
    res->diags.items[i].file = odd_name;
  }
  check_reports_named(res);
  res->file = file;
  for (size_t i = 0; i < res->diags.n; i++)
    res->diags.items[i].file = files[i];
  free(files);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = (const char *)data;
  vsc_validate_opts with_schema = { .schema = schema }, werror = { .schema = schema, .werror = true },
                    rules_only = { 0 };
  vsc_validate_result res, again, rules;

  vsc_validate_text(text, size, FILE_NAME, &with_schema, &res);
  if (print_verdicts) {
    printf("%s, %s\n", vsc_input_kind_to_string(res.kind), vsc_validate_result_valid(&res) ? "valid" : "invalid");
    vsc_diags_print(&res.diags, stdout, false);
  }
  check_locations(&res);
  check_reports(&res);

  vsc_validate_text(text, size, FILE_NAME, &werror, &again);
  check_same(&res, &again, true, "validated again with --werror");
  vsc_validate_result_clear(&again);

  if (count_schema_errors(&res) == 0) {
    vsc_validate_text(text, size, FILE_NAME, &rules_only, &rules);
    check_same(&res, &rules, false, "the rules alone");
    vsc_validate_result_clear(&rules);
  }

  if (vsc_validate_result_valid(&res)) {
    FUZZ_CHECK(res.kind != VSC_INPUT_UNKNOWN, "valid, but of no kind");
    check_valid_reads(text, size, &res);
  }
  vsc_validate_result_clear(&res);
  return 0;
}
