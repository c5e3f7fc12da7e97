/* apply: compare a spec with the domain's definitions and converge.
 *
 * The comparison takes away what libvirt adds by itself, so a device that
 * was attached from the spec compares equal to it: aliases (identity is
 * matched before), addresses, tty and pty paths, virtio state, generated
 * unix paths, and the defaults libvirt writes out (target type, port and
 * model of serials and consoles, connect mode, tcp's raw protocol; for
 * vhost-user devices a MAC address, the access mode, a disk's bus). */
#include "txn.h"
#include "virt-priv.h"
#include "xml/xml.h"
#include "model/backend.h"
#include "model/vhost.h"

#include <stdio.h>
#include <string.h>

VSC_ENUM_IMPL(vsc_plan_action, VSC_PLAN_LAST, "add", "replace", "remove");

static void clear_str(char **s)
{
  free(*s);
  *s = NULL;
}

/* have normalized toward want: what want leaves to libvirt is dropped. */
static void normalize(vsc_chardev *dev, const vsc_chardev *want)
{
  vsc_backend backend = vsc_chardev_backend(dev);
  const vsc_backend_info *bi = vsc_backend_info_of(backend);

  clear_str(&dev->alias);
  clear_str(&dev->tty);
  clear_str(&dev->target.state);
  clear_str(&dev->origin.file);
  clear_str(&dev->origin.pointer);
  dev->origin.line = 0;
  vsc_address_clear(&dev->address);
  dev->backend = backend;
  dev->has_backend = true;

  for (size_t i = 0; i < dev->nsources; i++) {
    vsc_source *src = &dev->sources[i];
    if (bi->flags & VSC_BF_PTY_PATH)
      clear_str(&src->path);
    /* Two ends have their modes given; one end has libvirt's default. */
    if (!src->mode && dev->nsources == 1)
      src->mode = bi->default_mode;
    /* The live definition spells out tls='no'. */
    if (src->tls == VSC_TRI_NO && want && !(vsc_chardev_main_source(want) &&
                                             vsc_chardev_main_source(want)->tls))
      src->tls = VSC_TRI_ABSENT;
  }
  /* libvirt writes tcp's raw protocol out. */
  if ((bi->flags & VSC_BF_PROTOCOL) && !dev->protocol)
    dev->protocol = VSC_PROTOCOL_RAW;

  if (!want)
    return;
  /* A virtio unix channel without a path gets one from libvirt (bind). */
  if (vsc_chardev_path_generated(want)) {
    for (size_t i = 0; i < dev->nsources; i++)
      vsc_source_clear(&dev->sources[i]);
    free(dev->sources);
    dev->sources = NULL;
    dev->nsources = 0;
  }
  /* Targets: the type, port and model libvirt fills in when not given. */
  vsc_target_type deflt = vsc_chardev_target_type(want);
  if (dev->has_target) {
    if (!(want->has_target && want->target.type) && dev->target.type == deflt)
      dev->target.type = VSC_TARGET_ABSENT;
    if (!(want->has_target && want->target.has_port) && dev->kind != VSC_KIND_CHANNEL) {
      dev->target.has_port = false;
      dev->target.port = 0;
    }
    if (!(want->has_target && want->target.model) &&
        dev->target.model == vsc_serial_model_for_target(vsc_chardev_target_type(dev) ? vsc_chardev_target_type(dev) : deflt))
      dev->target.model = VSC_MODEL_ABSENT;
    if (!want->has_target && !dev->target.type && !dev->target.has_port && !dev->target.model &&
        !dev->target.name && !dev->target.address)
      dev->has_target = false;
  }
}

static char *text_of(const vsc_chardev *dev)
{
  return vsc_xml_chardev_to_string(dev);
}

/* The first line that differs, for the plan's "because". */
static char *first_difference(const char *want, const char *have)
{
  const char *w = want, *h = have;
  while (*w || *h) {
    const char *we = strchr(w, '\n'), *he = strchr(h, '\n');
    size_t wl = we ? (size_t)(we - w) : strlen(w), hl = he ? (size_t)(he - h) : strlen(h);
    if (wl != hl || strncmp(w, h, wl) != 0) {
      while (wl && (*w == ' ')) { w++; wl--; }
      while (hl && (*h == ' ')) { h++; hl--; }
      return vsc_asprintf("has %.*s, spec wants %.*s", (int)hl, h, (int)wl, w);
    }
    w += wl + (we ? 1 : 0);
    h += hl + (he ? 1 : 0);
  }
  return vsc_strdup("differs");
}

/* The two definitions' text, the same or (why) the first difference. */
static bool same_text(const char *want, const char *have, char **why)
{
  bool same = strcmp(want, have) == 0;
  if (!same && why)
    *why = first_difference(want, have);
  return same;
}

bool vsc_virt_dev_matches(const vsc_chardev *want, const vsc_chardev *have, char **why)
{
  VSC_AUTOPTR(vsc_chardev) w = vsc_chardev_copy(want);
  VSC_AUTOPTR(vsc_chardev) h = vsc_chardev_copy(have);
  /* want's own choices of address and alias are not compared either. */
  normalize(w, want);
  normalize(h, want);
  VSC_AUTOFREE(char) wt = text_of(w);
  VSC_AUTOFREE(char) ht = text_of(h);
  return same_text(wt, ht, why);
}

/* Fields of a vhost-user device libvirt fills in when the spec leaves
 * them out (a generated MAC address, the bus a disk target's prefix
 * implies): no difference then. */
static const vsc_vhost_field_id libvirt_fills[] = { VSC_VF_MAC, VSC_VF_TARGET_BUS };

static void normalize_vhost(vsc_vhost *dev, const vsc_vhost *want)
{
  vsc_vhost_set(dev, VSC_VF_ALIAS, NULL);
  vsc_address_clear(&dev->address);
  for (size_t i = 0; i < VSC_N_ELEMENTS(libvirt_fills); i++)
    if (!vsc_vhost_get(want, libvirt_fills[i]))
      vsc_vhost_set(dev, libvirt_fills[i], NULL);
}

bool vsc_virt_vhost_matches(const vsc_vhost *want, const vsc_vhost *have, char **why)
{
  VSC_AUTOPTR(vsc_vhost) w = vsc_vhost_copy(want);
  VSC_AUTOPTR(vsc_vhost) h = vsc_vhost_copy(have);
  normalize_vhost(w, want);
  normalize_vhost(h, want);
  VSC_AUTOFREE(char) wt = vsc_xml_vhost_to_string(w);
  VSC_AUTOFREE(char) ht = vsc_xml_vhost_to_string(h);
  return same_text(wt, ht, why);
}

char *vsc_plan_item_describe(const vsc_plan_item *it)
{
  if (it->vwant || it->vhave)
    return vsc_vhost_describe(it->vwant ? it->vwant : vsc_virt_vhost_main(it->vhave));
  return vsc_chardev_describe(it->want ? it->want : vsc_virt_dev_main(it->have));
}

/* The first device of the domain, not taken yet, of want's identity in
 * its live or its persistent definition; taken then. */
static const vsc_virt_dev *find_entry(const vsc_virt_state *st, vsc_index *by_identity,
                                      const vsc_chardev *want, bool *taken)
{
  size_t i = vsc_identity_index_first(by_identity, want, taken);
  if (i >= st->ndevs)
    return NULL;
  taken[i] = true;
  return &st->devs[i];
}

/* What one definition needs for want: nothing (-1), add or replace. */
static int needs(const vsc_chardev *want, const vsc_chardev *have, char **why)
{
  if (!have)
    return VSC_PLAN_ADD;
  if (vsc_virt_dev_matches(want, have, why))
    return -1;
  return VSC_PLAN_REPLACE;
}

static int needs_vhost(const vsc_vhost *want, const vsc_vhost *have, char **why)
{
  if (!have)
    return VSC_PLAN_ADD;
  if (vsc_virt_vhost_matches(want, have, why))
    return -1;
  return VSC_PLAN_REPLACE;
}

/* One item, or one per definition when they need different things
 * (drifted apart); a device both have right needs none.  The item takes
 * want's copy. */
static void plan_device(vsc_plan *plan, vsc_chardev *want, const vsc_virt_dev *have, vsc_vhost *vwant,
                        const vsc_virt_vhost *vhave, int on_live, int on_config, char *why_live,
                        char *why_config)
{
  bool both = on_live >= 0 && on_live == on_config;
  for (int config = 0; config <= 1; config++) {
    int action = config ? on_config : on_live;
    char *why = config ? why_config : why_live;
    if (action < 0 || (both && config)) {
      free(why);
      continue;
    }
    vsc_plan_item *it = vsc_append(&plan->items, &plan->nitems, sizeof(*it));
    it->action = (vsc_plan_action)action;
    it->want = want ? vsc_chardev_copy(want) : NULL;
    it->have = have;
    it->vwant = vwant ? vsc_vhost_copy(vwant) : NULL;
    it->vhave = vhave;
    it->live = both || !config;
    it->config = both || config;
    it->why = why;
  }
}

/* The keys a vhost-user device is found by: what names it (tag, disk
 * target, MAC), and its socket, for a spec that leaves the name to
 * libvirt (an interface without a MAC address). */
static char *vhost_key(const vsc_vhost *dev, bool by_socket)
{
  const char *kind = vsc_vhost_kind_to_string(dev->kind);
  if (by_socket)
    return vsc_vhost_socket(dev) ? vsc_asprintf("socket %s %s", kind, vsc_vhost_socket(dev)) : NULL;
  return vsc_vhost_name(dev) ? vsc_asprintf("name %s %s", kind, vsc_vhost_name(dev)) : NULL;
}

/* The vhost-user devices: matched by name (else socket), compared, and
 * with prune the managed ones the spec does not list removed. */
static void plan_vhosts(const vsc_virt_state *st, const vsc_devset *set, bool live, bool config,
                        bool prune, vsc_plan *plan)
{
  bool *taken = vsc_calloc(st->nvhosts + 1, sizeof(bool));
  vsc_index keys = { 0 };
  for (size_t i = 0; i < st->nvhosts; i++)
    for (int by_socket = 0; by_socket <= 1; by_socket++) {
      VSC_AUTOFREE(char) key = vhost_key(vsc_virt_vhost_main(&st->vhosts[i]), by_socket);
      if (key)
        vsc_index_add(&keys, key, i);
    }
  for (size_t i = 0; i < set->nvhosts; i++) {
    vsc_vhost *want = set->vhosts[i];
    VSC_AUTOFREE(char) key = vhost_key(want, vsc_vhost_name(want) == NULL);
    size_t j = key ? vsc_index_first(&keys, key, taken) : SIZE_MAX;
    const vsc_virt_vhost *e = j < st->nvhosts ? &st->vhosts[j] : NULL;
    if (e)
      taken[j] = true;
    char *why_live = NULL, *why_config = NULL;
    int on_live = live ? needs_vhost(want, e ? e->live : NULL, &why_live) : -1;
    int on_config = config ? needs_vhost(want, e ? e->config : NULL, &why_config) : -1;
    plan_device(plan, NULL, NULL, want, e, on_live, on_config, why_live, why_config);
  }
  for (size_t i = 0; prune && i < st->nvhosts; i++) {
    const vsc_virt_vhost *e = &st->vhosts[i];
    bool on_live = live && e->live, on_config = config && e->config;
    if (!taken[i] && vsc_virt_vhost_is_managed(e) && (on_live || on_config))
      plan_device(plan, NULL, NULL, NULL, e, on_live ? VSC_PLAN_REMOVE : -1,
                  on_config ? VSC_PLAN_REMOVE : -1, NULL, NULL);
  }
  vsc_index_clear(&keys);
  free(taken);
}

int vsc_virt_plan(const vsc_virt_state *st, const vsc_devset *set, bool live, bool config,
                  bool prune, vsc_plan *plan, vsc_diags *diags)
{
  if (vsc_virt_check_supported(set, diags) < 0)
    return -1;
  bool *taken = vsc_calloc(st->ndevs + 1, sizeof(bool));
  vsc_index by_identity = { 0 };

  for (size_t i = 0; i < st->ndevs; i++) {
    if (st->devs[i].live)
      vsc_identity_index_add(&by_identity, st->devs[i].live, i);
    if (st->devs[i].config)
      vsc_identity_index_add(&by_identity, st->devs[i].config, i);
  }
  memset(plan, 0, sizeof(*plan));
  plan->live = live;
  plan->config = config;
  for (size_t i = 0; i < set->ndevs; i++) {
    vsc_chardev *want = set->devs[i];
    const vsc_virt_dev *e = find_entry(st, &by_identity, want, taken);
    char *why_live = NULL, *why_config = NULL;
    int on_live = live ? needs(want, e ? e->live : NULL, &why_live) : -1;
    int on_config = config ? needs(want, e ? e->config : NULL, &why_config) : -1;
    plan_device(plan, want, e, NULL, NULL, on_live, on_config, why_live, why_config);
  }
  if (prune) {
    for (size_t i = 0; i < st->ndevs; i++) {
      const vsc_virt_dev *e = &st->devs[i];
      bool on_live = live && e->live, on_config = config && e->config;
      if (taken[i] || !vsc_virt_dev_is_managed(e) || !(on_live || on_config) ||
          vsc_chardev_is_compat_console(vsc_virt_dev_main(e)))
        continue;
      plan_device(plan, NULL, e, NULL, NULL, on_live ? VSC_PLAN_REMOVE : -1,
                  on_config ? VSC_PLAN_REMOVE : -1, NULL, NULL);
    }
  }
  plan_vhosts(st, set, live, config, prune, plan);
  vsc_index_clear(&by_identity);
  free(taken);
  return 0;
}

void vsc_plan_clear(vsc_plan *plan)
{
  for (size_t i = 0; i < plan->nitems; i++) {
    vsc_chardev_free(plan->items[i].want);
    vsc_vhost_free(plan->items[i].vwant);
    free(plan->items[i].why);
  }
  free(plan->items);
  memset(plan, 0, sizeof(*plan));
}

int vsc_virt_plan_check(const vsc_virt_domain *d, const vsc_virt_state *st, const vsc_plan *plan,
                        vsc_diags *diags)
{
  vsc_devset adding;

  if (plan->nitems == 0)
    return 0;
  vsc_devset_init(&adding);
  for (size_t i = 0; i < plan->nitems; i++) {
    if (plan->items[i].want)
      vsc_devset_add(&adding, vsc_chardev_copy(plan->items[i].want));
    if (plan->items[i].vwant)
      vsc_devset_add_vhost(&adding, vsc_vhost_copy(plan->items[i].vwant));
  }
  bool live_adds = false;
  for (size_t i = 0; i < plan->nitems; i++)
    live_adds |= plan->items[i].want && plan->items[i].live &&
                 vsc_chardev_is_virtio_serial(plan->items[i].want);
  if (live_adds && st->live_info.nvirtio_serial == 0) {
    vsc_error(diags, NULL, "virt-no-controller",
              "apply with --config: that also adds a virtio-serial controller to the persistent "
              "definition; the devices appear after the next boot",
              "running domain '%s' has no virtio-serial controller, and QEMU cannot hot-plug one",
              d->name);
    vsc_devset_clear(&adding);
    return -1;
  }
  if ((plan->live && vsc_virt_check_rules(&adding, st, true, true, diags) < 0) ||
      (plan->config && vsc_virt_check_rules(&adding, st, false, true, diags) < 0)) {
    vsc_devset_clear(&adding);
    return -1;
  }
  vsc_devset_clear(&adding);
  return 0;
}

int vsc_virt_plan_apply(vsc_virt_domain *d, const vsc_virt_state *st, const vsc_plan *plan,
                        double timeout, const vsc_virt_progress *progress, vsc_diags *diags)
{
  bool controller = false;
  int rc = 0;

  if (plan->nitems == 0 || vsc_virt_plan_check(d, st, plan, diags) < 0)
    return plan->nitems == 0 ? 0 : -1;
  for (size_t i = 0; i < plan->nitems; i++) {
    const vsc_plan_item *it = &plan->items[i];
    if (it->want && it->config && vsc_chardev_is_virtio_serial(it->want))
      controller = true;
  }

  size_t steps = 0;
  for (size_t i = 0; i < plan->nitems; i++)
    steps += plan->items[i].action == VSC_PLAN_REPLACE ? 2 : 1;
  vsc_virt_txn *txn = vsc_virt_txn_new(d, st, timeout, progress, steps);

  /* Removals first: a replaced device frees its alias, name and port. */
  for (size_t i = 0; i < plan->nitems && rc == 0; i++) {
    const vsc_plan_item *it = &plan->items[i];
    if (it->action == VSC_PLAN_ADD)
      continue;
    vsc_virt_step step = it->action == VSC_PLAN_REMOVE ? VSC_VIRT_STEP_REMOVE : VSC_VIRT_STEP_REPLACE;
    rc = it->vhave ? vsc_virt_txn_detach_vhost(txn, it->vhave, it->live, it->config, step, diags)
                   : vsc_virt_txn_detach(txn, it->have, it->live, it->config, step, diags);
  }
  if (rc == 0 && controller && st->has_config && st->config_info.nvirtio_serial == 0)
    rc = vsc_virt_txn_add_controller(txn, &(vsc_controller){ 0 }, diags);
  for (size_t i = 0; i < plan->nitems && rc == 0; i++) {
    const vsc_plan_item *it = &plan->items[i];
    if (it->action == VSC_PLAN_REMOVE)
      continue;
    vsc_virt_step step = it->action == VSC_PLAN_ADD ? VSC_VIRT_STEP_ADD : VSC_VIRT_STEP_REPLACE;
    rc = it->vwant ? vsc_virt_txn_attach_vhost(txn, it->vwant, it->live, it->config, step, diags)
                   : vsc_virt_txn_attach(txn, it->want, it->live, it->config, step, diags);
  }
  if (rc < 0)
    vsc_virt_txn_rollback(txn, diags);
  vsc_virt_txn_free(txn);
  return rc;
}
