/* The device input every spec-taking command shares: a spec file (or "-"),
 * or --template NAME with --set KEY=VALUE, and --templates-dir DIR. */
#pragma once

#include "model/chardev.h"
#include "spec/template.h"
#include "util/diag.h"

#include <getopt.h>
#include <stdbool.h>

typedef struct {
  const char *template_name;
  const char *templates_dir;
  vsc_template_setting *settings;
  size_t nsettings;
} vsc_cli_input;

enum { VSC_OPT_TEMPLATE = 0x1000, VSC_OPT_SET, VSC_OPT_TEMPLATES_DIR };

/* getopt_long entries for the options above; splice into a command's table. */
#define VSC_CLI_INPUT_OPTIONS \
  { "template", required_argument, NULL, VSC_OPT_TEMPLATE }, \
  { "set", required_argument, NULL, VSC_OPT_SET }, \
  { "templates-dir", required_argument, NULL, VSC_OPT_TEMPLATES_DIR }

/* Feed one parsed option; returns true if it was one of ours, and sets
 * *rc to a usage error code when its value is bad. */
bool vsc_cli_input_option(vsc_cli_input *in, int opt, const char *arg, const char *cmd, int *rc);

/* Read the devices: from spec_path, or from the template.  Exactly one of
 * them must be given (usage error otherwise, reported and returned as
 * VSC_EXIT_USAGE through *rc). */
int vsc_cli_input_load(vsc_cli_input *in, const char *spec_path, vsc_devset *set,
                       vsc_diags *diags, const char *cmd, int *rc);

void vsc_cli_input_clear(vsc_cli_input *in);
