/* Adding devices: derived aliases, the rules with the domain, then one
 * transaction (txn.c). */
#include "virt-priv.h"
#include "txn.h"
#include "model/backend.h"
#include "model/vhost.h"
#include "xml/xml.h"

#include <stdio.h>
#include <string.h>

/* libvirt takes [A-Za-z0-9_-] after "ua-"; anything else becomes '-'. */
static char *alias_from(const char *fmt_part)
{
  VSC_AUTOFREE(char) raw = vsc_asprintf(VSC_VIRT_MANAGED_PREFIX "%s", fmt_part);
  for (char *p = raw + strlen(VSC_VIRT_MANAGED_PREFIX); *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      *p = '-';
  }
  return vsc_steal(&raw);
}

/* A vhost-user device's alias: ua-vschan-<libvirt's prefix>-<its name>
 * (fs-TAG, virtio-disk-vdb, net-MAC), or the position among its kind.
 * A rollback detaches the device by it. */
static void derive_vhost_aliases(vsc_devset *set, vsc_namer *aliases, const vsc_virt_state *avoid)
{
  size_t counters[VSC_VHOST_LAST] = { 0 };
  for (size_t i = 0; i < set->nvhosts; i++)
    vsc_namer_take(aliases, vsc_vhost_get(set->vhosts[i], VSC_VF_ALIAS));
  const vsc_devset *sets[] = { avoid ? &avoid->live : NULL, avoid ? &avoid->config : NULL };
  for (size_t s = 0; s < 2; s++)
    for (size_t i = 0; sets[s] && i < sets[s]->nvhosts; i++)
      vsc_namer_take(aliases, vsc_vhost_get(sets[s]->vhosts[i], VSC_VF_ALIAS));
  for (size_t i = 0; i < set->nvhosts; i++) {
    vsc_vhost *dev = set->vhosts[i];
    const vsc_vhost_info *vi = vsc_vhost_info_of(dev->kind);
    if (vsc_vhost_get(dev, VSC_VF_ALIAS))
      continue;
    const char *name = vsc_vhost_name(dev);
    const char *prefix = vi->alias_prefix ? vi->alias_prefix : "vhost";
    VSC_AUTOFREE(char) part = name ? vsc_asprintf("%s-%s", prefix, name)
                                   : vsc_asprintf("%s-%zu", prefix, counters[dev->kind]++);
    VSC_AUTOFREE(char) base = alias_from(part);
    VSC_AUTOFREE(char) alias = vsc_namer_new(aliases, base);
    vsc_vhost_set(dev, VSC_VF_ALIAS, alias);
  }
}

void vsc_virt_derive_aliases(vsc_devset *set, const vsc_virt_state *avoid)
{
  size_t counters[VSC_KIND_LAST] = { 0 };
  vsc_namer aliases = { 0 };

  for (size_t i = 0; i < set->ndevs; i++)
    vsc_namer_take(&aliases, set->devs[i]->alias);
  for (size_t i = 0; avoid && i < avoid->ndevs; i++) {
    if (avoid->devs[i].live)
      vsc_namer_take(&aliases, avoid->devs[i].live->alias);
    if (avoid->devs[i].config)
      vsc_namer_take(&aliases, avoid->devs[i].config->alias);
  }

  for (size_t i = 0; i < set->ndevs; i++) {
    vsc_chardev *dev = set->devs[i];
    vsc_target_type tt = vsc_chardev_target_type(dev);
    VSC_AUTOFREE(char) base = NULL;

    if (dev->alias)
      continue;
    if (dev->kind == VSC_KIND_CHANNEL && tt != VSC_TARGET_GUESTFWD && dev->target.name)
      base = alias_from(dev->target.name);
    else if (tt == VSC_TARGET_GUESTFWD && dev->target.address && dev->target.has_port) {
      VSC_AUTOFREE(char) part = vsc_asprintf("guestfwd-%s-%u", dev->target.address, dev->target.port);
      base = alias_from(part);
    } else if (dev->has_target && dev->target.has_port) {
      VSC_AUTOFREE(char) part = vsc_asprintf("%s%u", vsc_kind_to_string(dev->kind), dev->target.port);
      base = alias_from(part);
    } else {
      /* No name and no port: the position among its kind, stable as long
       * as the spec keeps its order. */
      const char *type = tt != VSC_TARGET_ABSENT ? vsc_target_type_to_string(tt)
                                                 : vsc_backend_to_string(vsc_chardev_backend(dev));
      VSC_AUTOFREE(char) part =
        vsc_asprintf("%s-%s-%zu", vsc_kind_to_string(dev->kind), type, counters[dev->kind]++);
      base = alias_from(part);
    }
    dev->alias = vsc_namer_new(&aliases, base);
  }
  derive_vhost_aliases(set, &aliases, avoid);
  vsc_namer_clear(&aliases);
}

int vsc_virt_check_rules(const vsc_devset *set, const vsc_virt_state *st, bool live,
                         bool replacing, vsc_diags *diags)
{
  const vsc_devset *existing = live ? &st->live : &st->config;
  vsc_domain_info dinfo = live ? st->live_info : st->config_info;

  /* The persistent definition gets a controller from us when it needs one;
   * a live domain without one is refused before (the controller cannot be
   * hot-plugged). */
  if (!live && dinfo.nvirtio_serial == 0)
    dinfo.nvirtio_serial = 1;
  if (vsc_xml_check_expressible(set, diags) < 0)
    return -1;
  /* What the domain already has is not ours to refuse; what we would add
   * must be clean, warnings included. */
  return vsc_rules_require_clean_in(set, existing, &dinfo,
                                    (replacing ? VSC_RULES_REPLACE : 0) | VSC_RULES_SKIP_COMPAT |
                                    VSC_RULES_OWN_ONLY, diags);
}

int vsc_virt_check_supported(const vsc_devset *set, vsc_diags *diags)
{
  if (!set->memory.present)
    return 0;
  const vsc_origin *o = &set->memory.origin;
  vsc_loc loc = { .file = o->file, .line = o->line, .pointer = o->pointer };
  vsc_error(diags, &loc, "virt-memory-backing",
            "write it into the domain with 'vschan xml SPEC --into DOMAIN.xml' and 'virsh define'; "
            "the change takes effect at the next start",
            "the guest's memory is not a device: vschan add and apply cannot change memoryBacking");
  return -1;
}

static bool needs_controller(const vsc_devset *set)
{
  for (size_t i = 0; i < set->ndevs; i++)
    if (vsc_chardev_is_virtio_serial(set->devs[i]))
      return true;
  return false;
}

int vsc_virt_add(vsc_virt_domain *d, vsc_devset *set, bool live, bool config,
                 double timeout, const vsc_virt_progress *progress, vsc_diags *diags)
{
  vsc_virt_state st;
  int rc = -1;

  if (vsc_virt_check_supported(set, diags) < 0)
    return -1;

  if (vsc_virt_state_read(d, &st, diags) < 0)
    goto out;
  vsc_virt_derive_aliases(set, &st);
  if (live && needs_controller(set) && st.live_info.nvirtio_serial == 0) {
    vsc_error(diags, NULL, "virt-no-controller",
              "add the devices with --config: that also adds a virtio-serial controller to the "
              "persistent definition; they appear after the next boot ('virsh shutdown' and "
              "'virsh start', a reboot from inside keeps the old hardware)",
              "running domain '%s' has no virtio-serial controller, and QEMU cannot hot-plug one",
              d->name);
    goto out;
  }
  if ((live && vsc_virt_check_rules(set, &st, true, false, diags) < 0) ||
      (config && vsc_virt_check_rules(set, &st, false, false, diags) < 0))
    goto out;

  vsc_virt_txn *txn = vsc_virt_txn_new(d, &st, timeout, progress, set->ndevs + set->nvhosts);
  rc = 0;
  if (config && needs_controller(set) && st.config_info.nvirtio_serial == 0)
    rc = vsc_virt_txn_add_controller(txn, &set->controller, diags);
  for (size_t i = 0; i < set->ndevs && rc == 0; i++)
    rc = vsc_virt_txn_attach(txn, set->devs[i], live, config, VSC_VIRT_STEP_ADD, diags);
  for (size_t i = 0; i < set->nvhosts && rc == 0; i++)
    rc = vsc_virt_txn_attach_vhost(txn, set->vhosts[i], live, config, VSC_VIRT_STEP_ADD, diags);
  if (rc < 0)
    vsc_virt_txn_rollback(txn, diags);
  vsc_virt_txn_free(txn);
out:
  vsc_virt_state_clear(&st);
  return rc;
}
