/* vschan template: list and show the shipped templates. */
#include "cli.h"
#include "input.h"
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
  static const struct option opts[] = {
    { "json", no_argument, NULL, 'j' },
    { "templates-dir", required_argument, NULL, 'd' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *dirarg = NULL;
  bool json = false;
  vsc_diags diags = { 0 };
  int rc, c;

  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'j':
      json = true;
      break;
    case 'd':
      dirarg = optarg;
      break;
    case 'h':
      usage(stdout);
      return VSC_EXIT_OK;
    default:
      return vsc_cli_option_error("template", argv, "h");
    }
  }
  const char *verb = optind < argc ? argv[optind] : NULL;
  if (!verb)
    return vsc_cli_usage_error("template", "say 'list' or 'show NAME'");
  if (strcmp(verb, "list") == 0 && argc - optind == 1) {
    VSC_AUTOFREE(char) dir = vsc_template_dir(dirarg, &diags);
    rc = dir ? list(dir, json, &diags) : VSC_EXIT_USAGE;
  } else if (strcmp(verb, "show") == 0 && argc - optind == 2) {
    VSC_AUTOFREE(char) dir = vsc_template_dir(dirarg, &diags);
    rc = dir ? show(dir, argv[optind + 1], json, &diags) : VSC_EXIT_USAGE;
  } else {
    return vsc_cli_usage_error("template", "say 'list' or 'show NAME'");
  }
  vsc_cli_report(cli, &diags);
  vsc_diags_clear(&diags);
  return rc;
}
