/* The device input every spec-taking command shares: a spec file (or "-"),
 * or --template NAME with --set KEY=VALUE (and --templates-dir DIR), plus
 * devices in virt-install's syntax with --channel, --console, --serial and
 * --parallel, vhost-user devices with --filesystem, --network and --disk,
 * and --memorybacking (repeatable, mixable with a spec). */
#pragma once

#include "model/chardev.h"
#include "spec/option.h"
#include "spec/template.h"
#include "util/diag.h"

#include <getopt.h>
#include <stdbool.h>

typedef enum { VSC_COMPACT_CHARDEV, VSC_COMPACT_VHOST, VSC_COMPACT_MEMORY } vsc_compact_what;

typedef struct {
  vsc_compact_what what;
  vsc_kind kind;             /* CHARDEV */
  vsc_vhost_kind vhost;      /* VHOST */
  const char *text;
  const char *option;
} vsc_cli_compact;

typedef struct {
  const char *template_name;
  const char *templates_dir;
  vsc_template_setting *settings;
  size_t nsettings;
  vsc_cli_compact *compact;
  size_t ncompact;
  /* The devices go into a domain, and the rule pass runs there with the
   * domain's devices (xml --into, add, apply); otherwise loading runs it. */
  bool into_domain;
} vsc_cli_input;

enum {
  VSC_OPT_TEMPLATE = 0x1000,
  VSC_OPT_SET,
  VSC_OPT_TEMPLATES_DIR,
  VSC_OPT_CHANNEL,
  VSC_OPT_CONSOLE,
  VSC_OPT_SERIAL,
  VSC_OPT_PARALLEL,
  VSC_OPT_FILESYSTEM,
  VSC_OPT_NETWORK,
  VSC_OPT_DISK,
  VSC_OPT_MEMORYBACKING,
};

/* getopt_long entries for the options above; splice into a command's table. */
#define VSC_CLI_INPUT_OPTIONS \
  { "template", required_argument, NULL, VSC_OPT_TEMPLATE }, \
  { "set", required_argument, NULL, VSC_OPT_SET }, \
  { "templates-dir", required_argument, NULL, VSC_OPT_TEMPLATES_DIR }, \
  { "channel", required_argument, NULL, VSC_OPT_CHANNEL }, \
  { "console", required_argument, NULL, VSC_OPT_CONSOLE }, \
  { "serial", required_argument, NULL, VSC_OPT_SERIAL }, \
  { "parallel", required_argument, NULL, VSC_OPT_PARALLEL }, \
  { "filesystem", required_argument, NULL, VSC_OPT_FILESYSTEM }, \
  { "network", required_argument, NULL, VSC_OPT_NETWORK }, \
  { "disk", required_argument, NULL, VSC_OPT_DISK }, \
  { "memorybacking", required_argument, NULL, VSC_OPT_MEMORYBACKING }

/* Feed one parsed option; returns true if it was one of ours, and sets
 * *rc to a usage error code when its value is bad. */
bool vsc_cli_input_option(vsc_cli_input *in, int opt, const char *arg, const char *cmd, int *rc);

/* Read the devices: from spec_path or the template (at most one of them),
 * then the compact options, and run the rule pass on them (unless
 * into_domain).  At least one source of devices must be given (usage
 * error otherwise, returned as VSC_EXIT_USAGE through *rc). */
int vsc_cli_input_load(vsc_cli_input *in, const char *spec_path, vsc_devset *set,
                       vsc_diags *diags, const char *cmd, int *rc);

void vsc_cli_input_clear(vsc_cli_input *in);
