/* vschan template: list and show the shipped templates. */
#include "cli.h"
#include "spec/template.h"

#include <jansson.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("usage: vschan template list [--json] [--templates-dir DIR]\n"
        "       vschan template show NAME [--json] [--templates-dir DIR]\n"
        "\n"
        "Templates are specs for common setups with ${name} placeholders; render one\n"
        "with 'vschan xml --template NAME --set KEY=VALUE'.\n"
        "\n"
        "Options:\n"
        "  --json               print JSON instead of text\n"
        "  --templates-dir DIR  read templates from DIR instead of the installed ones\n"
        "  -h, --help           show this help\n"
        "\n"
        "Examples:\n"
        "  vschan template list\n"
        "  vschan template show guest-agent\n", out);
}

static int show(const char *dir, const char *name, bool json, vsc_diags *diags)
{
  json_t *tmpl = vsc_template_load(dir, name, diags);
  const char *key;
  json_t *p;

  if (!tmpl)
    return VSC_EXIT_FAILURE;
  if (json) {
    vsc_cli_print_json(tmpl, JSON_PRESERVE_ORDER);
    return VSC_EXIT_OK;
  }
  printf("%s: %s\n\nParameters:\n", name, json_string_value(json_object_get(tmpl, "description")) ?: "");
  json_object_foreach(json_object_get(tmpl, "parameters"), key, p) {
    json_t *def = json_object_get(p, "default");
    char *defs = def ? json_dumps(def, JSON_ENCODE_ANY) : NULL;
    printf("  %-10s %s (default: %s)\n", key, json_string_value(json_object_get(p, "description")) ?: "",
           defs && strcmp(defs, "\"\"") != 0 ? defs : "none");
    free(defs);
  }
  printf("\nSpec:\n");
  vsc_cli_print_json(json_incref(json_object_get(tmpl, "spec")), JSON_PRESERVE_ORDER);
  json_decref(tmpl);
  return VSC_EXIT_OK;
}

static int list(const char *dir, bool json, vsc_diags *diags)
{
  char **names = vsc_template_list(dir, diags);
  json_t *arr = json ? json_array() : NULL;

  if (!names)
    return VSC_EXIT_USAGE;
  for (char **n = names; *n; n++) {
    vsc_diags ignored = { 0 };
    json_t *tmpl = vsc_template_load(dir, *n, &ignored);
    const char *desc = tmpl ? json_string_value(json_object_get(tmpl, "description")) : NULL;
    if (json)
      json_array_append_new(arr, json_pack("{s:s, s:s}", "name", *n, "description", desc ?: ""));
    else
      printf("%-16s %s\n", *n, desc ?: "");
    json_decref(tmpl);
    vsc_diags_clear(&ignored);
  }
  if (json) {
    vsc_cli_print_json(arr, 0);
  }
  vsc_strv_free(names);
  return VSC_EXIT_OK;
}

int cmd_template(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_TEMPLATES_DIR = 0x100 };
  static const struct option opts[] = {
    { "templates-dir", required_argument, NULL, OPT_TEMPLATES_DIR },
    { NULL, 0, NULL, 0 },
  };
  vsc_cli_args a;
  const char *dirarg = NULL;
  vsc_diags diags = { 0 };
  int rc, c;

  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, opts, NULL);
  while ((c = vsc_cli_args_next(&a)) > 0)
    if (c == OPT_TEMPLATES_DIR)
      dirarg = optarg;
  if (c < 0) {
    rc = a.rc;
    goto out;
  }
  const char *verb = a.operands[0];
  if (strcmp(verb, "list") == 0 && a.noperands == 1) {
    VSC_AUTOFREE(char) dir = vsc_template_dir(dirarg, &diags);
    rc = dir ? list(dir, a.json, &diags) : VSC_EXIT_USAGE;
  } else if (strcmp(verb, "show") == 0 && a.noperands == 2) {
    VSC_AUTOFREE(char) dir = vsc_template_dir(dirarg, &diags);
    rc = dir ? show(dir, a.operands[1], a.json, &diags) : VSC_EXIT_USAGE;
  } else {
    rc = vsc_cli_usage_error("template", "say 'list' or 'show NAME'");
    goto out;
  }
  vsc_cli_report(cli, &diags);
out:
  vsc_diags_clear(&diags);
  vsc_cli_args_clear(&a);
  return rc;
}
