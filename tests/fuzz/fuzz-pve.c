/* The Proxmox VE config reader and the args: quoting.  Parse then format
 * gives the input back byte for byte; an args: value that splits quotes
 * back into a value that splits into the same words; applying vschan's
 * changes gives a config that parses and formats to itself.  qm import
 * reads any config into devices or gives an error; writing what it read
 * into a config without lines of vschan's changes nothing, or is refused
 * with an error. */
#include "fuzz.h"
#include "model/rules.h"
#include "pve/plan.h"
#include "pve/pve.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_init();
  return 0;
}

static void check_split(const char *value)
{
  vsc_diags diags = { 0 };
  vsc_pve_span *spans = NULL;
  size_t n;
  char **argv = vsc_pve_args_split(value, &n, &spans, &diags);
  if (!argv) {
    FUZZ_CHECK(vsc_diags_has_errors(&diags), "split failed without an error");
    vsc_diags_clear(&diags);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    FUZZ_CHECK(spans[i].start < spans[i].end && spans[i].end <= strlen(value),
               "word %zu has span [%zu, %zu) in %zu bytes", i, spans[i].start, spans[i].end, strlen(value));
    (void)vsc_pve_arg_is_owned(argv[i], NULL);
  }
  char *quoted = vsc_pve_args_quote(argv, n, &diags);
  if (quoted) {
    size_t n2;
    char **again = vsc_pve_args_split(quoted, &n2, NULL, &diags);
    FUZZ_CHECK(again != NULL, "quoted value does not split: %s", quoted);
    FUZZ_CHECK(n2 == n, "quoted value splits into %zu words, not %zu", n2, n);
    for (size_t i = 0; i < n; i++)
      FUZZ_CHECK(strcmp(argv[i], again[i]) == 0, "word %zu changed: '%s' -> '%s'", i, argv[i], again[i]);
    vsc_pve_argv_free(again);
    free(quoted);
  } else {
    /* Only a line break cannot be quoted onto one config line. */
    bool has_break = false;
    for (size_t i = 0; i < n; i++)
      has_break |= strpbrk(argv[i], "\r\n") != NULL;
    FUZZ_CHECK(has_break, "quoting refused words without a line break");
  }
  vsc_pve_argv_free(argv);
  free(spans);
  vsc_diags_clear(&diags);
}

static void check_changes(vsc_pve_conf *conf, const char *original, bool pending)
{
  static char *const args[] = { "-chardev", "socket,id=vschan-c0,path=/run/vschan/a.sock,server=on,wait=off",
                                "-device", "virtserialport,chardev=vschan-c0,name=org.example.0" };
  vsc_pve_changes changes = {
    .merge_args = true, .args = args, .n_args = VSC_N_ELEMENTS(args),
    .serial = { [1] = "socket" }, .agent = true, .pending = pending,
  };
  vsc_diags diags = { 0 };
  if (vsc_pve_changes_apply(conf, &changes, &diags) == 0) {
    size_t len;
    char *text = vsc_pve_conf_format(conf, &len);
    vsc_pve_conf *again = vsc_pve_conf_parse(text, len, "changed.conf", &diags);
    FUZZ_CHECK(again != NULL, "the changed config does not parse");
    size_t len2;
    char *text2 = vsc_pve_conf_format(again, &len2);
    FUZZ_CHECK(len == len2 && memcmp(text, text2, len) == 0, "the changed config does not round trip");
    char *diff = vsc_pve_diff(original, text, "a", "b");
    FUZZ_CHECK((diff[0] == '\0') == (strcmp(original, text) == 0), "diff disagrees with strcmp");
    free(diff);
    /* Without pending mode the main args: is written; a [PENDING] value
     * or delete that overrides it at the next start is warned about. */
    char *eff = vsc_pve_conf_get_effective(again, "args");
    char *written = vsc_pve_conf_get(again, pending, "args");
    /* (a pending value equal to the main one is dropped, as qemu-server does) */
    FUZZ_CHECK(written || (pending && eff), "the changed config lost args:\n%s", text);
    bool warned = false;
    for (size_t i = 0; i < diags.n; i++)
      warned |= diags.items[i].rule && strcmp(diags.items[i].rule, "pve-pending") == 0;
    FUZZ_CHECK(eff || (!pending && warned), "args: is overridden at the next start, without a warning");
    check_split(written ? written : eff);
    free(written);
    free(eff);
    free(text2);
    vsc_pve_conf_free(again);
    free(text);
  } else {
    FUZZ_CHECK(vsc_diags_has_errors(&diags), "changes failed without an error");
  }
  vsc_diags_clear(&diags);
}

/* Whether a config has anything of vschan's (its record, its ids in
 * args:), which a write may put in today's form. */
static bool has_vschan(const vsc_pve_conf *conf, bool pending)
{
  bool ours = vsc_pve_args_have_ours(conf, pending, NULL);
  for (size_t j = 0; j < conf->sections[0].n_lines && !ours; j++)
    ours = strncmp(conf->sections[0].lines[j].text, "#vschan", 7) == 0;
  return ours;
}

static void check_import(const vsc_pve_conf *conf, const char *text, size_t len, bool pending)
{
  vsc_diags diags = { 0 };
  vsc_devset set;
  vsc_devset_init(&set);
  if (vsc_pve_import(conf, 101, pending, NULL, &set, &diags) < 0) {
    FUZZ_CHECK(vsc_diags_has_errors(&diags), "import failed without an error");
    goto out;
  }
  for (size_t i = 0; i < set.ndevs; i++)
    FUZZ_CHECK(set.devs[i]->origin.line > 0, "an imported device has no line");
  /* what import read, written back: nothing changes */
  vsc_diags quiet = { 0 };
  vsc_qemu_opts qopts = { .controller_bus = "pci.2", .controller_addr = "0x1f", .memory_shared = true };
  vsc_pve_plan plan;
  memset(&plan, 0, sizeof(plan));
  vsc_pve_conf *copy = vsc_pve_conf_parse(text, len, "fuzz.conf", &quiet);
  if (copy && !has_vschan(copy, pending) && vsc_rules_require_clean(&set, NULL, &quiet) == 0 &&
      vsc_pve_plan_build(101, &set, &qopts, copy, pending, false, &plan, &quiet) == 0) {
    vsc_pve_changes ch = vsc_pve_plan_changes(&plan, NULL, pending, false);
    if (vsc_pve_changes_apply(copy, &ch, &quiet) == 0) {
      size_t len2;
      char *text2 = vsc_pve_conf_format(copy, &len2);
      FUZZ_CHECK(len2 == len && memcmp(text2, text, len) == 0,
                 "writing the imported devices changed the config:\n%s\n---\n%s", text, text2);
      free(text2);
    } else {
      FUZZ_CHECK(vsc_diags_has_errors(&quiet), "the imported devices were refused without an error");
    }
  }
  vsc_pve_plan_clear(&plan);
  vsc_pve_conf_free(copy);
  vsc_diags_clear(&quiet);
out:
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vsc_diags diags = { 0 };
  vsc_pve_conf *conf = vsc_pve_conf_parse((const char *)data, size, "fuzz.conf", &diags);
  if (!conf) {
    FUZZ_CHECK(memchr(data, '\0', size) != NULL, "only a NUL byte may fail the parse");
    vsc_diags_clear(&diags);
    char *s = fuzz_cstring(data, size);
    check_split(s);
    free(s);
    return 0;
  }
  size_t len;
  char *text = vsc_pve_conf_format(conf, &len);
  FUZZ_CHECK(len == size && memcmp(text, data, size) == 0,
             "format(parse(x)) != x: %zu bytes in, %zu out", size, len);

  for (int pending = 0; pending <= 1; pending++) {
    char *args = vsc_pve_conf_get(conf, pending, "args");
    if (args)
      check_split(args);
    free(args);
  }
  free(vsc_pve_conf_lock(conf));
  (void)vsc_pve_conf_pending_deletes(conf, "args");

  /* The whole input as one args: value too, for the splitter's sake. */
  char *s = fuzz_cstring(data, size);
  check_split(s);
  free(s);

  check_import(conf, text, len, size > 1 && data[1] & 1);
  check_changes(conf, text, size > 0 && data[0] & 1);
  free(text);
  vsc_pve_conf_free(conf);
  vsc_diags_clear(&diags);
  return 0;
}
