/* What the libvirt commands share: the connection and domain, the
 * --live/--config family and --timeout of those that change a domain,
 * per-device progress on a terminal, exit codes and VSCHAN_TIMING. */
#pragma once

#include "cli.h"
#include "input.h"
#include "fleet/fleet.h"
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

/* Per-device progress on stderr when it is a terminal (or with -v). */
vsc_virt_progress vsc_virt_cli_progress(vsc_cli *cli);

/* The options of the commands that change a domain (add, apply, remove):
 * which definitions, as virsh has them, and how long an unplug may take. */
enum {
  VSC_OPT_LIVE = 0x1100,
  VSC_OPT_CONFIG,
  VSC_OPT_PERSISTENT,
  VSC_OPT_CURRENT,
  VSC_OPT_TIMEOUT,
};
#define VSC_VIRT_CHANGE_OPTIONS \
  { "live", no_argument, NULL, VSC_OPT_LIVE }, \
  { "config", no_argument, NULL, VSC_OPT_CONFIG }, \
  { "persistent", no_argument, NULL, VSC_OPT_PERSISTENT }, \
  { "current", no_argument, NULL, VSC_OPT_CURRENT }, \
  { "timeout", required_argument, NULL, VSC_OPT_TIMEOUT }

typedef struct {
  bool live, config, persistent, current;
  double timeout;   /* seconds for each unplug */
} vsc_virt_change_opts;

/* One run of add, apply or remove, start to end:
 *
 *   vsc_virt_change ch;
 *   vsc_virt_change_init(&ch, cli, argc, argv, usage, opts);
 *   while ((c = vsc_virt_change_next(&ch)) > 0)
 *     ... the command's own options ...
 *   if (c == 0 && vsc_virt_change_read(&ch, &set) == 0 &&
 *       vsc_virt_change_connect(&ch) == 0)
 *     ... the work, on ch.session.dom, ch.live, ch.config ...
 *   return vsc_virt_change_finish(&ch);
 *
 * opts holds VSC_VIRT_CHANGE_OPTIONS, read by vsc_virt_change_next. */
typedef struct {
  vsc_cli *cli;
  vsc_cli_args args;
  vsc_virt_change_opts opts;
  vsc_virt_session session;
  vsc_diags diags;
  vsc_virt_affect affect;
  bool live, config;        /* the definitions, once connected */
  int rc;                   /* an exit status set before the report, or 0 */
} vsc_virt_change;

void vsc_virt_change_init(vsc_virt_change *ch, vsc_cli *cli, int argc, char **argv,
                          void (*usage)(FILE *out), const struct option *opts);
/* As vsc_cli_args_next, with the --live family and --timeout taken. */
int vsc_virt_change_next(vsc_virt_change *ch);
/* The --live family combined, then the devices (set NULL for a command
 * without).  -1 with ch->rc or the error in ch->diags. */
int vsc_virt_change_read(vsc_virt_change *ch, vsc_devset *set);
/* Connect, find the domain (the first operand) and which definitions to
 * change.  -1 with the error in ch->diags. */
int vsc_virt_change_connect(vsc_virt_change *ch);
/* Print the diagnostics, close, free; the exit status (ch->rc when set,
 * else what the diagnostics mean). */
int vsc_virt_change_finish(vsc_virt_change *ch);

/* Combine --live and the others as virsh does; -1 (usage error printed)
 * for a bad mix. */
int vsc_virt_affect_from_opts(const vsc_virt_change_opts *o, const char *cmd,
                              vsc_virt_affect *out);

/* A device as add, remove and apply print it with --json: {kind, alias,
 * device (the one-line description), live, persistent}. */
json_t *vsc_virt_cli_device_json(const vsc_chardev *dev, bool live, bool persistent);
/* The same for a vhost-user device (kind: filesystem, interface, disk). */
json_t *vsc_virt_cli_vhost_json(const vsc_vhost *dev, bool live, bool persistent);

/* "live and persistent", "live", "persistent" */
const char *vsc_virt_where(bool live, bool config);

/* ---- apply (virt-apply.c) ---- */

/* The plan as apply prints it, and as its --json document. */
void vsc_apply_print_plan(vsc_cli *cli, const char *domain, const vsc_plan *plan);
json_t *vsc_apply_plan_json(const char *domain, const vsc_plan *plan, bool dry_run,
                            const char *result);
/* What a --json record says of its outcome: changed (or would, with
 * --dry-run), tag_added, and the errors and warnings of d. */
void vsc_apply_json_outcome(json_t *record, bool changed, bool tag_added, const vsc_diags *d);
/* apply --fleet and --domains: run the fleet (progress on a terminal),
 * print each domain and a summary (or the --json document), and return
 * the exit status. */
int vsc_apply_fleet(vsc_cli *cli, const vsc_fleet *f, const vsc_fleet_opts *opts, bool json);
