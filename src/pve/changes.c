/* A change set: what "vschan qm --write" does to a config, applied with
 * the setters of conf.c and checked with the VM rules of vm.c. */
#include "plan.h"

static void warn_pending_override(const vsc_pve_conf *conf, const char *key, vsc_diags *diags)
{
  VSC_AUTOFREE(char) pend = vsc_pve_conf_get(conf, true, key);
  if (pend || vsc_pve_conf_pending_deletes(conf, key))
    vsc_warning(diags, NULL, "pve-pending",
                "write with --pending, or apply or revert the pending changes first (qm pending)",
                "[PENDING] also changes '%s' and will override this change at the next start",
                key);
}

int vsc_pve_changes_apply(vsc_pve_conf *conf, const vsc_pve_changes *ch, vsc_diags *diags)
{
  bool pending = ch->pending;
  int dup = 0;

  if (ch->merge_args)
    dup |= vsc_pve_conf_check_unique(conf, pending, "args", diags);
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++) {
    if (ch->serial[i]) {
      VSC_AUTOFREE(char) key = vsc_asprintf("serial%d", i);
      dup |= vsc_pve_conf_check_unique(conf, pending, key, diags);
    }
  }
  if (ch->agent)
    dup |= vsc_pve_conf_check_unique(conf, pending, "agent", diags);
  if (dup)
    return -1;

  if (ch->merge_args) {
    VSC_AUTOFREE(char) base = vsc_pve_conf_get_for(conf, pending, "args");
    VSC_AUTOFREE(char) merged =
      vsc_pve_args_merge(base, ch->args, ch->n_args, ch->id_prefix, diags);
    if (!merged)
      return -1;
    if (*merged) {
      if (vsc_pve_conf_set(conf, pending, "args", merged, diags) < 0)
        return -1;
    } else if (!pending) {
      vsc_pve_conf_delete(conf, false, "args");
    } else {
      VSC_AUTOFREE(char) cur = vsc_pve_conf_get(conf, false, "args");
      if (cur)
        vsc_pve_conf_pending_delete(conf, "args");
      else
        vsc_pve_conf_delete(conf, true, "args");
    }
    if (!pending)
      warn_pending_override(conf, "args", diags);
  }
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++) {
    if (!ch->serial[i])
      continue;
    VSC_AUTOFREE(char) key = vsc_asprintf("serial%d", i);
    if (vsc_pve_conf_set_serial(conf, pending, i, ch->serial[i], diags) < 0)
      return -1;
    if (!pending)
      warn_pending_override(conf, key, diags);
  }
  if (ch->agent) {
    if (vsc_pve_conf_set_agent(conf, pending, diags) < 0)
      return -1;
    if (!pending)
      warn_pending_override(conf, "agent", diags);
  }
  return vsc_pve_vm_check(conf, pending, diags);
}

static int apply_changes_cb(vsc_pve_conf *conf, void *opaque, vsc_diags *diags)
{
  return vsc_pve_changes_apply(conf, opaque, diags);
}

int vsc_pve_edit_changes(const vsc_pve_edit_opts *opts, const vsc_pve_changes *changes,
                         char **old_out, char **new_out, vsc_diags *diags)
{
  return vsc_pve_edit(opts, apply_changes_cb, (void *)changes, old_out, new_out, diags);
}

int vsc_pve_plan_write(const vsc_pve_edit_opts *opts, const vsc_pve_plan *plan,
                       const char *id_prefix, bool pending, char **old_out, char **new_out,
                       vsc_diags *diags)
{
  if (!pending && vsc_pve_vm_running(VSC_PVE_RUN_DIR, opts->vmid)) {
    vsc_loc loc = { 0 };
    vsc_diag_add(diags, VSC_SEV_NOTE, &loc, NULL, "the change applies at the next start of the VM",
                 "VM %u is running: writing under [PENDING], as 'qm set' does", opts->vmid);
    pending = true;
  }
  vsc_pve_changes changes = {
    .id_prefix = id_prefix,
    .merge_args = true,
    .args = plan->argv,
    .n_args = plan->argc,
    .agent = plan->agent,
    .pending = pending,
  };
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++)
    changes.serial[i] = plan->serial[i];
  return vsc_pve_edit_changes(opts, &changes, old_out, new_out, diags);
}
