/* Detaching: by alias, waiting for libvirt's device-removed event, and
 * deleting the listen socket libvirt leaves behind.  Also the names a
 * user may give a device (remove's IDENT). */
#include "virt-priv.h"

#include "model/vhost.h"
#include "xml/xml.h"

#include <libvirt/virterror.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *vsc_virt_listen_socket(const vsc_chardev *dev)
{
  const char *path = vsc_chardev_unix_path(dev);
  return path && vsc_chardev_main_source(dev)->mode == VSC_MODE_BIND ? path : NULL;
}

void vsc_virt_unlink_socket(vsc_virt_domain *d, const char *path)
{
  struct stat st;
  /* On a remote host the file is out of reach. */
  if (!path || !vsc_virt_is_local(d->virt))
    return;
  if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(path);
}

/* The live character device with this alias, from a fresh read of the
 * live XML; *present: some device has it (a vhost-user one too). */
static vsc_chardev *live_device(vsc_virt_domain *d, const char *alias, bool *present)
{
  vsc_devset set;
  vsc_diags ignored = { 0 };
  vsc_chardev *found = NULL;
  *present = false;
  VSC_AUTOFREE(char) text = VIRT_CALL(virDomainGetXMLDesc(d->dom, 0));

  virResetLastError();
  if (!text)
    return NULL;
  vsc_devset_init(&set);
  xmlDocPtr doc = vsc_xml_read(text, strlen(text), "live", &ignored);
  if (doc) {
    vsc_xml_collect(xmlDocGetRootElement(doc), "live", &set, &ignored);
    xmlFreeDoc(doc);
  }
  for (size_t i = 0; i < set.ndevs && !found; i++)
    if (vsc_streq(set.devs[i]->alias, alias))
      found = vsc_chardev_copy(set.devs[i]);
  *present = found != NULL;
  for (size_t i = 0; i < set.nvhosts; i++)
    *present |= vsc_streq(vsc_vhost_get(set.vhosts[i], VSC_VF_ALIAS), alias);
  vsc_devset_clear(&set);
  vsc_diags_clear(&ignored);
  return found;
}

/* Make libvirt write the domain's status file now.  libvirt 9.0 removes a
 * guestfwd without writing it, and emits device-removed before it writes
 * it for other devices; the next process to open the driver
 * (qemu:///embed, or a restarted daemon) would see the device again.
 * Removing vschan's (absent) live metadata changes nothing, waits for the
 * job that removes the device, and saves the status. */
static void persist_live_state(vsc_virt_domain *d)
{
  VIRT_CALL(virDomainSetMetadata(d->dom, VIR_DOMAIN_METADATA_ELEMENT, NULL, NULL,
                                 VSC_VIRT_METADATA_NS, VIR_DOMAIN_AFFECT_LIVE));
  virResetLastError();
}

int vsc_virt_detach_live(vsc_virt_domain *d, const char *alias, const char *what,
                         double timeout, vsc_diags *diags)
{
  bool removed = false, refused = false;

  if (vsc_virt_events_watch(d, diags) < 0)
    return -1;
  /* Remember the socket now: after the unplug the XML no longer says. */
  bool present = false;
  VSC_AUTOPTR(vsc_chardev) before = live_device(d, alias, &present);
  VSC_AUTOFREE(char) sock = before && vsc_virt_listen_socket(before)
                              ? vsc_strdup(vsc_virt_listen_socket(before)) : NULL;

  vsc_virt_events_forget(d, alias);

  if (VIRT_CHANGE(VSC_VIRT_FAULT_DETACH,
                  virDomainDetachDeviceAlias(d->dom, alias, VIR_DOMAIN_AFFECT_LIVE)) < 0) {
    VSC_AUTOFREE(char) msg = vsc_asprintf("cannot detach %s from the live definition of '%s'",
                                          what, d->name);
    vsc_virt_error(diags, NULL, msg);
    return -1;
  }

  /* The call returns once QEMU was asked; "removed" means the event. */
  vsc_virt_events_wait(d, alias, timeout, &removed, &refused);

  if (!removed && !refused) {
    /* No event: trust the definition if the device is gone from it. */
    vsc_chardev_free(live_device(d, alias, &present));
    removed = !present;
  }
  if (refused) {
    vsc_error_peer(diags, NULL, "libvirt-unplug",
                   "the guest refused to release the device; try again, or stop the domain and use "
                   "--config",
                   "QEMU could not unplug %s from domain '%s'", what, d->name);
    return -1;
  }
  if (!removed) {
    vsc_error_peer(diags, NULL, "libvirt-timeout",
                   "the guest has not released it yet; wait and check 'vschan list DOMAIN', or "
                   "raise --timeout",
                   "%s is still attached to domain '%s' after %g s", what, d->name, timeout);
    return -1;
  }
  persist_live_state(d);
  vsc_virt_unlink_socket(d, sock);
  return 0;
}

static int detach_config_failed(vsc_virt_domain *d, const char *what, vsc_diags *diags)
{
  VSC_AUTOFREE(char) msg = vsc_asprintf("cannot detach %s from the persistent definition of '%s'", what, d->name);
  vsc_virt_error(diags, NULL, msg);
  return -1;
}

int vsc_virt_detach_config(vsc_virt_domain *d, const vsc_chardev *dev, const char *what,
                           vsc_diags *diags)
{
  if (vsc_alias_is_user(dev->alias))
    return vsc_virt_detach_config_alias(d, dev->alias, what, diags);
  /* libvirt keeps no other alias in the persistent definition; its own
   * XML of the device matches (virDomainChrEquals). */
  VSC_AUTOPTR(vsc_chardev) copy = vsc_chardev_copy(dev);
  VSC_AUTOFREE(char) xml = vsc_xml_chardev_to_string(copy);
  if (VIRT_CHANGE(VSC_VIRT_FAULT_DETACH, virDomainDetachDeviceFlags(d->dom, xml, VIR_DOMAIN_AFFECT_CONFIG)) < 0)
    return detach_config_failed(d, what, diags);
  return 0;
}

int vsc_virt_detach_config_vhost(vsc_virt_domain *d, const vsc_vhost *dev, const char *what, vsc_diags *diags)
{
  const char *alias = vsc_vhost_get(dev, VSC_VF_ALIAS);
  if (vsc_alias_is_user(alias))
    return vsc_virt_detach_config_alias(d, alias, what, diags);
  VSC_AUTOFREE(char) xml = vsc_xml_vhost_to_string(dev);
  if (VIRT_CHANGE(VSC_VIRT_FAULT_DETACH, virDomainDetachDeviceFlags(d->dom, xml, VIR_DOMAIN_AFFECT_CONFIG)) < 0)
    return detach_config_failed(d, what, diags);
  return 0;
}

int vsc_virt_detach_config_alias(vsc_virt_domain *d, const char *alias, const char *what, vsc_diags *diags)
{
  if (VIRT_CHANGE(VSC_VIRT_FAULT_DETACH,
                  virDomainDetachDeviceAlias(d->dom, alias, VIR_DOMAIN_AFFECT_CONFIG)) < 0)
    return detach_config_failed(d, what, diags);
  return 0;
}

/* ---- IDENT ---- */

/* The alias as libvirt shows it, or without its ua- prefix. */
static bool alias_matches(const char *alias, const char *ident)
{
  return alias && (vsc_streq(alias, ident) || vsc_streq(vsc_alias_bare(alias), ident));
}

static bool alias_is(const vsc_chardev *dev, const char *ident)
{
  return dev && alias_matches(dev->alias, ident);
}

static bool vhost_alias_is(const vsc_vhost *dev, const char *ident)
{
  return dev && alias_matches(vsc_vhost_get(dev, VSC_VF_ALIAS), ident);
}

static bool vhost_name_is(const vsc_vhost *dev, const char *ident)
{
  const char *name = vsc_vhost_name(dev);
  /* MAC addresses in any case, as libvirt reads them */
  return name && (dev->kind == VSC_VHOST_NET ? strcasecmp(name, ident) == 0 : strcmp(name, ident) == 0);
}

static bool name_is(const vsc_chardev *dev, const char *ident)
{
  return dev && vsc_chardev_target_type(dev) == VSC_TARGET_VIRTIO && vsc_streq(dev->target.name, ident);
}

static bool guestfwd_is(const vsc_chardev *dev, const char *ident)
{
  if (!dev || vsc_chardev_target_type(dev) != VSC_TARGET_GUESTFWD || !dev->target.address ||
      !dev->target.has_port)
    return false;
  VSC_AUTOFREE(char) text = vsc_asprintf("%s:%u", dev->target.address, dev->target.port);
  return strcmp(text, ident) == 0;
}

/* "serial2" → kind serial, 2. */
static bool parse_kind_index(const char *ident, vsc_kind *kind, unsigned int *n)
{
  for (int k = 0; k < VSC_KIND_LAST; k++) {
    const char *name = vsc_kind_to_string(k);
    size_t len = strlen(name);
    if (strncmp(ident, name, len) != 0 || !ident[len])
      continue;
    char *end;
    unsigned long v = strtoul(ident + len, &end, 10);
    if (*end || ident[len] < '0' || ident[len] > '9' || v > 65535)
      return false;
    *kind = (vsc_kind)k;
    *n = (unsigned int)v;
    return true;
  }
  return false;
}

void vsc_virt_selection_clear(vsc_virt_selection *sel)
{
  free(sel->devs);
  free(sel->vhosts);
  memset(sel, 0, sizeof(*sel));
}

static void add_index(size_t **idx, size_t *nidx, size_t i)
{
  for (size_t j = 0; j < *nidx; j++)
    if ((*idx)[j] == i)
      return;
  *(size_t *)vsc_append(idx, nidx, sizeof(size_t)) = i;
}

char *vsc_virt_dev_ident(const vsc_virt_state *st, size_t i)
{
  const vsc_virt_dev *e = &st->devs[i];
  const vsc_chardev *dev = vsc_virt_dev_main(e);
  const char *alias = e->live && e->live->alias ? e->live->alias : e->config ? e->config->alias : NULL;

  if (alias)
    return vsc_strdup(alias);
  if (vsc_chardev_is_virtio_serial(dev) && dev->kind == VSC_KIND_CHANNEL && dev->target.name)
    return vsc_strdup(dev->target.name);
  if (vsc_chardev_target_type(dev) == VSC_TARGET_GUESTFWD && dev->target.address && dev->target.has_port)
    return vsc_asprintf("%s:%u", dev->target.address, dev->target.port);
  if ((dev->kind == VSC_KIND_SERIAL || dev->kind == VSC_KIND_PARALLEL) && dev->has_target &&
      dev->target.has_port)
    return vsc_asprintf("%s%u", vsc_kind_to_string(dev->kind), dev->target.port);
  /* channels and consoles: their position among their kind */
  unsigned int position = 0;
  for (size_t j = 0; j < i; j++)
    position += vsc_virt_dev_main(&st->devs[j])->kind == dev->kind;
  return vsc_asprintf("%s%u", vsc_kind_to_string(dev->kind), position);
}

char *vsc_virt_vhost_ident(const vsc_virt_state *st, size_t i)
{
  const vsc_virt_vhost *e = &st->vhosts[i];
  const char *alias = e->live ? vsc_vhost_get(e->live, VSC_VF_ALIAS) : NULL;
  if (!alias && e->config)
    alias = vsc_vhost_get(e->config, VSC_VF_ALIAS);
  const vsc_vhost *dev = vsc_virt_vhost_main(e);
  const char *name = alias ? alias : vsc_vhost_name(dev) ? vsc_vhost_name(dev) : vsc_vhost_socket(dev);
  return vsc_strdup(name ? name : "-");
}

int vsc_virt_resolve_ident(const vsc_virt_state *st, const char *ident, vsc_virt_selection *sel,
                           vsc_diags *diags)
{
  size_t **idx = &sel->devs, *nidx = &sel->ndevs;
  size_t before = *nidx, vbefore = sel->nvhosts;
  vsc_kind kind;
  unsigned int n;

  /* The most specific name wins: alias, then what names a vhost-user
   * device (a tag, a disk target, a MAC address), virtio name, guestfwd,
   * position. */
  for (size_t i = 0; i < st->ndevs; i++)
    if (alias_is(st->devs[i].live, ident) || alias_is(st->devs[i].config, ident))
      add_index(idx, nidx, i);
  for (size_t i = 0; i < st->nvhosts; i++)
    if (vhost_alias_is(st->vhosts[i].live, ident) || vhost_alias_is(st->vhosts[i].config, ident))
      add_index(&sel->vhosts, &sel->nvhosts, i);
  if (*nidx == before && sel->nvhosts == vbefore)
    for (size_t i = 0; i < st->nvhosts; i++)
      if (vhost_name_is(vsc_virt_vhost_main(&st->vhosts[i]), ident))
        add_index(&sel->vhosts, &sel->nvhosts, i);
  if (sel->nvhosts > vbefore)
    return 0;
  for (size_t i = 0; i < st->ndevs && *nidx == before; i++)
    if (name_is(vsc_virt_dev_main(&st->devs[i]), ident))
      add_index(idx, nidx, i);
  for (size_t i = 0; i < st->ndevs && *nidx == before; i++)
    if (guestfwd_is(vsc_virt_dev_main(&st->devs[i]), ident))
      add_index(idx, nidx, i);
  if (*nidx == before && parse_kind_index(ident, &kind, &n)) {
    size_t position = 0;
    for (size_t i = 0; i < st->ndevs && *nidx == before; i++) {
      const vsc_chardev *dev = vsc_virt_dev_main(&st->devs[i]);
      if (dev->kind != kind)
        continue;
      bool hit;
      if (kind == VSC_KIND_SERIAL || kind == VSC_KIND_PARALLEL)
        hit = dev->has_target && dev->target.has_port && dev->target.port == n;
      else
        hit = position == n;  /* channels and consoles: Nth of their kind */
      position++;
      if (hit)
        add_index(idx, nidx, i);
    }
  }
  if (*nidx == before) {
    vsc_error(diags, NULL, "virt-unknown-device",
              "name a device by its alias, virtio name, guestfwd address:port, as "
              "serialN/consoleN/parallelN/channelN, or a vhost-user device by its mount tag, "
              "disk target or MAC address; 'vschan list DOMAIN' shows them",
              "the domain has no device '%s'", ident);
    return -1;
  }
  return 0;
}

/* One device to detach, of either family. */
typedef struct {
  const char *live_alias;      /* NULL: not in the live definition */
  const vsc_chardev *config;   /* one of these two when in the persistent one */
  const vsc_vhost *vconfig;
  char *what;
} removal;

static size_t removals(const vsc_virt_state *st, const vsc_virt_selection *sel, removal **out)
{
  size_t n = sel->ndevs + sel->nvhosts;
  removal *r = vsc_calloc(n + 1, sizeof(*r));
  for (size_t k = 0; k < sel->ndevs; k++) {
    const vsc_virt_dev *e = &st->devs[sel->devs[k]];
    r[k].live_alias = e->live ? e->live->alias : NULL;
    r[k].config = e->config;
    r[k].what = vsc_chardev_describe(vsc_virt_dev_main(e));
  }
  for (size_t k = 0; k < sel->nvhosts; k++) {
    const vsc_virt_vhost *e = &st->vhosts[sel->vhosts[k]];
    removal *v = &r[sel->ndevs + k];
    v->live_alias = e->live ? vsc_vhost_get(e->live, VSC_VF_ALIAS) : NULL;
    v->vconfig = e->config;
    v->what = vsc_vhost_describe(vsc_virt_vhost_main(e));
  }
  *out = r;
  return n;
}

int vsc_virt_remove(vsc_virt_domain *d, const vsc_virt_state *st, const vsc_virt_selection *sel,
                    bool live, bool config, double timeout, const vsc_virt_progress *progress,
                    vsc_diags *diags)
{
  removal *r;
  size_t n = removals(st, sel, &r);
  bool refused = false, failed = false;

  /* Refuse before touching anything when a device is not where asked. */
  for (size_t k = 0; k < n && !refused; k++) {
    bool in_live = r[k].live_alias != NULL, in_config = r[k].config || r[k].vconfig;
    if ((live && in_live) || (config && in_config))
      continue;
    vsc_error(diags, NULL, "virt-not-in-definition",
              live ? "it is only in the persistent definition: use --config"
                   : "it is only in the live definition: use --live",
              "%s is not in the %s definition of '%s'", r[k].what, live ? "live" : "persistent", d->name);
    refused = true;
  }
  for (size_t k = 0; k < n && !refused; k++) {
    bool ok = true;
    if (progress && progress->fn)
      progress->fn(progress->opaque, VSC_VIRT_STEP_REMOVE, k + 1, n, r[k].what, false, false);
    if (live && r[k].live_alias && vsc_virt_detach_live(d, r[k].live_alias, r[k].what, timeout, diags) < 0)
      ok = false;
    /* Keep the definitions alike: only drop the config once live is gone. */
    if (ok && config && r[k].config && vsc_virt_detach_config(d, r[k].config, r[k].what, diags) < 0)
      ok = false;
    if (ok && config && r[k].vconfig && vsc_virt_detach_config_vhost(d, r[k].vconfig, r[k].what, diags) < 0)
      ok = false;
    if (progress && progress->fn)
      progress->fn(progress->opaque, VSC_VIRT_STEP_REMOVE, k + 1, n, r[k].what, true, ok);
    failed |= !ok;  /* the others are still removed */
  }
  for (size_t k = 0; k < n; k++)
    free(r[k].what);
  free(r);
  return refused || failed ? -1 : 0;
}
