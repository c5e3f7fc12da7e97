#include "input.h"
#include "cli.h"
#include "spec/spec.h"
#include "util/file.h"

#include <stdlib.h>
#include <string.h>

bool vsc_cli_input_option(vsc_cli_input *in, int opt, const char *arg, const char *cmd, int *rc)
{
  switch (opt) {
  case VSC_OPT_TEMPLATE:
    in->template_name = arg;
    return true;
  case VSC_OPT_TEMPLATES_DIR:
    in->templates_dir = arg;
    return true;
  case VSC_OPT_SET: {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
      *rc = vsc_cli_usage_error(cmd, "--set takes KEY=VALUE, not '%s'", arg);
      return true;
    }
    vsc_template_setting *s = vsc_append(&in->settings, &in->nsettings, sizeof(*s));
    s->key = vsc_strndup(arg, (size_t)(eq - arg));
    s->value = vsc_strdup(eq + 1);
    return true;
  }
  default:
    return false;
  }
}

int vsc_cli_input_load(vsc_cli_input *in, const char *spec_path, vsc_devset *set,
                       vsc_diags *diags, const char *cmd, int *rc)
{
  if (spec_path && in->template_name) {
    *rc = vsc_cli_usage_error(cmd, "give either a spec file or --template, not both");
    return -1;
  }
  if (!spec_path && !in->template_name) {
    *rc = vsc_cli_usage_error(cmd, "no devices given: name a spec file, '-' for stdin, or --template NAME");
    return -1;
  }
  if (in->nsettings && !in->template_name) {
    *rc = vsc_cli_usage_error(cmd, "--set only goes with --template");
    return -1;
  }
  if (spec_path) {
    size_t len;
    VSC_AUTOFREE(char) text = vsc_file_read(spec_path, VSC_SPEC_MAX_SIZE, &len, diags);
    /* A file that cannot be read is an I/O error; a bad one is invalid input. */
    if (!text) {
      *rc = VSC_EXIT_USAGE;
      return -1;
    }
    if (vsc_spec_parse(text, len, strcmp(spec_path, "-") == 0 ? "<stdin>" : spec_path, set, diags) < 0) {
      *rc = VSC_EXIT_FAILURE;
      return -1;
    }
    return 0;
  }
  VSC_AUTOFREE(char) dir = vsc_template_dir(in->templates_dir, diags);
  if (!dir || vsc_template_render(dir, in->template_name, in->settings, in->nsettings, set, diags) < 0) {
    *rc = VSC_EXIT_FAILURE;
    return -1;
  }
  return 0;
}

void vsc_cli_input_clear(vsc_cli_input *in)
{
  for (size_t i = 0; i < in->nsettings; i++) {
    free(in->settings[i].key);
    free(in->settings[i].value);
  }
  free(in->settings);
  in->settings = NULL;
  in->nsettings = 0;
}
