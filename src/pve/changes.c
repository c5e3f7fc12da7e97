/* A change set: what "vschan qm --write" does to a config, applied with
 * the setters of conf.c and checked with the VM rules of vm.c. */
#include "plan.h"

#include "util/buf.h"
#include "util/str.h"

#include <string.h>

static void warn_pending_override(const vsc_pve_conf *conf, const char *key, vsc_diags *diags)
{
  VSC_AUTOFREE(char) pend = vsc_pve_conf_get(conf, true, key);
  if (pend || vsc_pve_conf_pending_deletes(conf, key))
    vsc_warning(diags, NULL, "pve-pending",
                "write with --pending, or apply or revert the pending changes first (qm pending)",
                "[PENDING] also changes '%s' and will override this change at the next start",
                key);
}

/* Does the line's value give what vschan wants? */
static bool native_satisfied(const char *key, const char *cur, const char *want)
{
  if (strcmp(key, "agent") == 0)
    return vsc_pve_agent_port_of(cur) == VSC_PVE_AGENT_VIRTIO;
  return strcmp(cur, want) == 0;
}

/* The serialN lines a port could take instead: those the spec leaves
 * free that are not the user's. */
static char *free_serial_keys(const vsc_pve_conf *conf, const vsc_pve_changes *ch)
{
  vsc_buf b = { 0 };
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++) {
    VSC_AUTOFREE(char) key = vsc_asprintf("serial%d", i);
    if (!ch->serial[i] && vsc_pve_owner_of(conf, ch->pending, key) != VSC_PVE_LINE_USERS)
      vsc_buf_printf(&b, "%s%s", b.len ? ", " : "", key);
  }
  return vsc_buf_steal(&b);
}

static void collision(const vsc_pve_conf *conf, const vsc_pve_changes *ch, const char *key,
                      const char *cur, const char *want, vsc_diags *diags)
{
  vsc_loc loc = vsc_pve_conf_key_loc(conf, ch->pending, key);
  if (strcmp(key, "agent") == 0) {
    vsc_error(diags, &loc, "pve-owner",
              "enable the agent yourself (qm set VMID --agent 1), leave the guest agent channel "
              "out of the spec, or give --force to take the line over",
              "'agent: %s' is not vschan's line, and it does not enable the agent's virtio port",
              cur);
    return;
  }
  if (strncmp(key, "parallel", 8) == 0) {
    vsc_error(diags, &loc, "pve-owner", "give the parallel port another target port, or --force to take the line over",
              "'%s: %s' is not vschan's line; the spec would make it '%s: %s'", key, cur, key, want);
    return;
  }
  VSC_AUTOFREE(char) free_keys = free_serial_keys(conf, ch);
  VSC_AUTOFREE(char) hint = vsc_asprintf(
    "give the serial port another target port (%s%s), or --force to take %s over",
    *free_keys ? "free: " : "no serialN line is free; use a virtio console", free_keys, key);
  vsc_error(diags, &loc, "pve-owner", hint,
            "'%s: %s' is not vschan's line; the spec would make it '%s: %s'", key, cur, key,
            want);
}

/* Remove vschan's own line of key, as the next start will see it. */
static void remove_own(vsc_pve_conf *conf, bool pending, const char *key)
{
  if (!pending) {
    vsc_pve_conf_delete(conf, false, key);
    return;
  }
  VSC_AUTOFREE(char) main_value = vsc_pve_conf_get(conf, false, key);
  if (main_value)
    vsc_pve_conf_pending_delete(conf, key);
  else
    vsc_pve_conf_delete(conf, true, key);
}

/* Make key's line what vschan wants (want NULL: none of vschan's); *ours
 * tells whether vschan owns the line afterwards. */
static int apply_native(vsc_pve_conf *conf, const vsc_pve_changes *ch, const char *key,
                        const char *want, bool *ours, vsc_diags *diags)
{
  vsc_pve_line_owner owner = vsc_pve_owner_of(conf, ch->pending, key);
  VSC_AUTOFREE(char) cur = vsc_pve_conf_get_for(conf, ch->pending, key);
  int rc;

  *ours = false;
  if (!want) {
    if (owner == VSC_PVE_LINE_OURS)
      remove_own(conf, ch->pending, key);
    return 0;
  }
  if (cur && native_satisfied(key, cur, want)) {
    *ours = owner == VSC_PVE_LINE_OURS || ch->force;   /* --force takes it over */
    return 0;
  }
  if (owner == VSC_PVE_LINE_USERS && !ch->force) {
    collision(conf, ch, key, cur, want, diags);
    return -1;
  }
  if (strcmp(key, "agent") == 0)
    rc = vsc_pve_conf_set_agent(conf, ch->pending, diags);
  else if (strncmp(key, "parallel", 8) == 0)
    rc = vsc_pve_conf_set_parallel(conf, ch->pending, key[strlen("parallel")] - '0', want, diags);
  else
    rc = vsc_pve_conf_set_serial(conf, ch->pending, key[strlen("serial")] - '0', want, diags);
  if (rc < 0)
    return -1;
  if (!ch->pending)
    warn_pending_override(conf, key, diags);
  *ours = true;
  return 0;
}

int vsc_pve_changes_apply(vsc_pve_conf *conf, const vsc_pve_changes *ch, vsc_diags *diags)
{
  const char *const *keys = vsc_pve_native_keys;
  bool pending = ch->pending;
  const char *owned[VSC_PVE_N_NATIVE_KEYS];
  size_t n_owned = 0;
  int rc = 0;

  if (ch->merge_args)
    rc |= vsc_pve_conf_check_unique(conf, pending, "args", diags);
  for (size_t k = 0; k < VSC_PVE_N_NATIVE_KEYS; k++)
    rc |= vsc_pve_conf_check_unique(conf, pending, keys[k], diags);
  if (rc < 0)
    return -1;

  /* no argument of vschan's before or after: the user's line as it is */
  if (ch->merge_args && (ch->n_args || vsc_pve_args_have_ours(conf, pending, ch->id_prefix))) {
    VSC_AUTOFREE(char) base = vsc_pve_conf_get_for(conf, pending, "args");
    VSC_AUTOFREE(char) merged =
      vsc_pve_args_merge(base, ch->args, ch->n_args, ch->drop, ch->n_drop, ch->id_prefix, diags);
    if (!merged)
      return -1;
    if (*merged) {
      if (vsc_pve_conf_set(conf, pending, "args", merged, diags) < 0)
        return -1;
    } else {
      remove_own(conf, pending, "args");
    }
    if (!pending)
      warn_pending_override(conf, "args", diags);
  }
  /* Every collision is reported, not only the first. */
  for (size_t k = 0; k < VSC_PVE_N_NATIVE_KEYS; k++) {
    bool ours;
    if (apply_native(conf, ch, keys[k], vsc_pve_native_pick(keys[k], ch->agent, ch->serial, ch->parallel), &ours, diags) < 0)
      rc = -1;
    else if (ours)
      owned[n_owned++] = keys[k];
  }
  if (rc < 0)
    return -1;
  vsc_pve_owner_record(conf, pending, owned, n_owned);
  return vsc_pve_vm_check(conf, pending, ch->id_prefix, diags);
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

vsc_pve_changes vsc_pve_plan_changes(const vsc_pve_plan *plan, const char *id_prefix, bool pending,
                                     bool force)
{
  vsc_pve_changes changes = {
    .id_prefix = id_prefix,
    .merge_args = true,
    .args = plan->argv,
    .n_args = plan->argc,
    .drop = plan->drop,
    .n_drop = plan->ndrop,
    .agent = plan->agent,
    .force = force,
    .pending = pending,
  };
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++)
    changes.serial[i] = plan->serial[i];
  for (int i = 0; i < VSC_PVE_MAX_PARALLEL; i++)
    changes.parallel[i] = plan->parallel[i];
  return changes;
}

int vsc_pve_plan_write(const vsc_pve_edit_opts *opts, const vsc_pve_plan *plan,
                       const char *id_prefix, bool pending, bool force, char **old_out, char **new_out,
                       vsc_diags *diags)
{
  if (!pending && vsc_pve_vm_running(VSC_PVE_RUN_DIR, opts->vmid)) {
    vsc_loc loc = { 0 };
    vsc_diag_add(diags, VSC_SEV_NOTE, &loc, NULL, "the change applies at the next start of the VM",
                 "VM %u is running: writing under [PENDING], as 'qm set' does", opts->vmid);
    pending = true;
  }
  vsc_pve_changes changes = vsc_pve_plan_changes(plan, id_prefix, pending, force);
  return vsc_pve_edit_changes(opts, &changes, old_out, new_out, diags);
}
