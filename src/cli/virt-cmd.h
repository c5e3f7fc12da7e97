/* What add, remove, list and apply share: the connection and domain,
 * the --live/--config family, --timeout, per-device progress on a
 * terminal, exit codes and VSCHAN_TIMING. */
#pragma once

#include "cli.h"
#include "input.h"
#include "virt/virt.h"

typedef struct {
  vsc_virt *virt;
  vsc_virt_domain *dom;
  double started;
} vsc_virt_session;

/* Connect (cli->uri) and look the domain up.  -1 with the error in diags. */
int vsc_virt_session_begin(vsc_cli *cli, const char *domain, vsc_virt_session *s,
                           vsc_diags *diags);
/* Close, and with VSCHAN_TIMING=1 print the time spent inside libvirt
 * against the whole run to stderr. */
void vsc_virt_session_end(vsc_virt_session *s);
/* Note the start of the run for VSCHAN_TIMING. */
void vsc_virt_session_start_clock(vsc_virt_session *s);

/* Print the diagnostics; exit code 3 when libvirt or QEMU failed, 1 when
 * vschan refused, 0 without errors. */
int vsc_virt_cli_report(vsc_cli *cli, vsc_diags *diags);

/* Per-device progress on stderr when it is a terminal (or with -v). */
vsc_virt_progress vsc_virt_cli_progress(vsc_cli *cli);

/* Options shared by add and apply (and remove for --live/--config). */
enum {
  VSC_OPT_LIVE = 0x1100,
  VSC_OPT_CONFIG,
  VSC_OPT_PERSISTENT,
  VSC_OPT_CURRENT,
  VSC_OPT_TIMEOUT,
  VSC_OPT_JSON,
};
#define VSC_VIRT_AFFECT_OPTIONS \
  { "live", no_argument, NULL, VSC_OPT_LIVE }, \
  { "config", no_argument, NULL, VSC_OPT_CONFIG }, \
  { "persistent", no_argument, NULL, VSC_OPT_PERSISTENT }, \
  { "current", no_argument, NULL, VSC_OPT_CURRENT }

typedef struct {
  bool live, config, persistent, current;
} vsc_virt_affect_opts;

/* Feed one option; true if it was one of the four. */
bool vsc_virt_affect_option(vsc_virt_affect_opts *o, int opt);
/* Combine them as virsh does; -1 (usage error printed) for a bad mix. */
int vsc_virt_affect_from_opts(const vsc_virt_affect_opts *o, const char *cmd,
                              vsc_virt_affect *out);

/* What add and apply take after their options: DOMAIN [SPEC], and the
 * --live family.  Sets *domain, *affect and the devices from the spec
 * and/or the input options; -1 with *rc set (usage or I/O) or with the
 * error in diags (bad spec, *rc then left for the report). */
int vsc_virt_cli_domain_and_spec(const char *cmd, int argc, char **argv,
                                 const vsc_virt_affect_opts *aff, vsc_cli_input *in,
                                 const char **domain, vsc_virt_affect *affect, vsc_devset *set,
                                 vsc_diags *diags, int *rc);

/* A device as add, remove and apply print it with --json: {kind, alias,
 * device (the one-line description), live, persistent}. */
json_t *vsc_virt_cli_device_json(const vsc_chardev *dev, bool live, bool persistent);

/* "live and persistent", "live", "persistent" */
const char *vsc_virt_where(bool live, bool config);
