/* What of a device set Proxmox VE can express natively, and what has to go
 * into the free-form args: line. */
#pragma once

#include "model/chardev.h"
#include "pve.h"
#include "qemu/qemu.h"
#include "util/diag.h"

typedef struct {
  /* serialN: "socket" or "/dev/..."; NULL when not set natively. */
  char *serial[VSC_PVE_MAX_SERIAL];
  /* parallelN: a host device; NULL when not set natively. */
  char *parallel[VSC_PVE_MAX_PARALLEL];
  bool agent;                 /* agent: 1 */
  vsc_devset rest;            /* everything else, for args: */
  char **drop;                /* the user's arguments vschan takes over:
                               * option, value, option, value, ... */
  size_t ndrop;
  char **argv;                /* QEMU arguments of rest */
  size_t argc;
} vsc_pve_plan;

/* Split set for VM vmid: a serial port on a unix listen socket at
 * qemu-server's own path (/var/run/qemu-server/VMID.serialN) or on a host
 * device becomes serialN:, the standard guest agent channel becomes
 * agent: 1, and every other device goes to args:.  Unix channels without a
 * path listen on /var/run/qemu-server/VMID.NAME.  conf (NULL when the
 * VM's config is not at hand) is the config the plan is for, as of the
 * next start when pending: a host device port without a target port takes
 * the serialN line that has its path, else the first line that is not the
 * user's.  A device the user's own words of args: already give is left to
 * the user; with adopt (--force) vschan takes it over: it writes it with
 * its own ids, and plan->drop lists the user's words to remove. */
int vsc_pve_plan_build(unsigned vmid, const vsc_devset *set, const vsc_qemu_opts *qopts,
                       const vsc_pve_conf *conf, bool pending, bool adopt, vsc_pve_plan *plan, vsc_diags *diags);
void vsc_pve_plan_clear(vsc_pve_plan *plan);

/* The plan's value of a native line (a key of vsc_pve_native_keys): "1"
 * for agent, serialN's or parallelN's; NULL when the plan has none. */
const char *vsc_pve_plan_native(const vsc_pve_plan *plan, const char *key);
/* Whether the plan has any native line. */
bool vsc_pve_plan_has_native(const vsc_pve_plan *plan);

/* The guest memory vhost-user devices need, from the VM's config (read
 * from path): numa with hugepages, or virtiofsN lines, mean qemu-server
 * shares the memory itself (qopts->memory_shared); numa without hugepages
 * is refused (its memory-backend-ram cannot be shared); otherwise the
 * shared object gets memory:'s size (qopts->memory = *size, free it). */
int vsc_pve_plan_memory(const vsc_pve_conf *conf, const char *path, vsc_qemu_opts *qopts, char **size,
                        vsc_diags *diags);

/* The change set that puts the plan into a config (it points into plan);
 * force: take over the user's lines that collide. */
vsc_pve_changes vsc_pve_plan_changes(const vsc_pve_plan *plan, const char *id_prefix, bool pending,
                                     bool force);

/* vschan qm --write: put the plan into the VM's config with the safe edit
 * (vsc_pve_edit): vschan's arguments in args: replaced, the user's kept,
 * the native lines set (force: taking over the user's that collide).  A running VM gets the change under [PENDING]
 * as 'qm set' does (with a note saying so); pending asks for it anyway.
 * id_prefix NULL: VSC_PVE_ID_PREFIX.  old_out and new_out (optional) get
 * the content before and after. */
int vsc_pve_plan_write(const vsc_pve_edit_opts *opts, const vsc_pve_plan *plan,
                       const char *id_prefix, bool pending, bool force, char **old_out, char **new_out,
                       vsc_diags *diags);
