/* Domains: lookup, both definitions read into the model, and which
 * definitions a change goes to. */
#include "virt-priv.h"
#include "model/vhost.h"
#include "xml/xml.h"

#include <libvirt/virterror.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

vsc_virt_domain *vsc_virt_domain_lookup(vsc_virt *v, const char *name, vsc_diags *diags)
{
  virConnectPtr conn = vsc_virt_conn(v);
  virDomainPtr dom = VIRT_CALL(virDomainLookupByName(conn, name));
  char *end;

  if (!dom && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {
    dom = VIRT_CALL(virDomainLookupByUUIDString(conn, name));
    if (!dom) {
      long id = strtol(name, &end, 10);
      if (*name && !*end && id >= 0 && id <= INT32_MAX)
        dom = VIRT_CALL(virDomainLookupByID(conn, (int)id));
    }
    /* The by-name error is the one users expect. */
    if (!dom)
      dom = VIRT_CALL(virDomainLookupByName(conn, name));
  }
  if (!dom) {
    VSC_AUTOFREE(char) what = vsc_asprintf("cannot find domain '%s'", name);
    vsc_virt_error(diags, NULL, what);
    return NULL;
  }
  virResetLastError();

  vsc_virt_domain *d = vsc_calloc(1, sizeof(*d));
  d->virt = v;
  d->dom = dom;
  const char *real = VIRT_CALL(virDomainGetName(dom));
  d->name = vsc_strdup(real ? real : name);
  int active = VIRT_CALL(virDomainIsActive(dom));
  int persistent = VIRT_CALL(virDomainIsPersistent(dom));
  if (active < 0 || persistent < 0) {
    VSC_AUTOFREE(char) what = vsc_asprintf("cannot read the state of domain '%s'", d->name);
    vsc_virt_error(diags, NULL, what);
    vsc_virt_domain_free(d);
    return NULL;
  }
  d->running = active == 1;
  d->persistent = persistent == 1;
  return d;
}

void vsc_virt_domain_free(vsc_virt_domain *d)
{
  if (!d)
    return;
  vsc_virt_events_release(d);
  if (d->dom)
    VIRT_CALL(virDomainFree(d->dom));
  free(d->name);
  free(d);
}

bool vsc_virt_alias_is_managed(const char *alias)
{
  return alias && strncmp(alias, VSC_VIRT_MANAGED_PREFIX, strlen(VSC_VIRT_MANAGED_PREFIX)) == 0;
}

static int read_definition(vsc_virt_domain *d, bool inactive, vsc_devset *set,
                           vsc_domain_info *info, vsc_diags *diags)
{
  const char *which = inactive ? "persistent" : "live";
  VSC_AUTOFREE(char) label = vsc_asprintf("%s definition of '%s'", which, d->name);
  VSC_AUTOFREE(char) text =
    VIRT_CALL(virDomainGetXMLDesc(d->dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0));

  if (!text) {
    VSC_AUTOFREE(char) what = vsc_asprintf("cannot read the %s", label);
    vsc_virt_error(diags, NULL, what);
    return -1;
  }
  xmlDocPtr doc = vsc_xml_read(text, strlen(text), label, diags);
  if (!doc)
    return -1;
  int rc = vsc_xml_collect(xmlDocGetRootElement(doc), label, set, diags);
  vsc_xml_domain_info(xmlDocGetRootElement(doc), info);
  xmlFreeDoc(doc);
  return rc;
}

/* The same device in both definitions: a user alias survives in the
 * persistent one; otherwise the target decides.  As keys: a live device
 * with an alias is its config device of the same kind and alias, or (an
 * alias libvirt chose, which the config lacks) of its place without
 * alias; one without alias is the config device of its place. */
enum { KEY_ALIAS, KEY_PLACE_ANY, KEY_PLACE_NO_ALIAS };

/* The key of family for dev, or NULL (free it). */
static char *match_key(const vsc_chardev *dev, int family)
{
  if (family == KEY_ALIAS)
    return dev->alias ? vsc_asprintf("alias %s %s", vsc_kind_to_string(dev->kind), dev->alias) : NULL;
  vsc_chardev bare = *dev;
  char *keys[VSC_IDENTITY_KEYS], *key = NULL;
  bare.alias = NULL;
  if (vsc_chardev_identity_keys(&bare, keys) == 1) {
    key = vsc_asprintf("%d %s", family, keys[0]);
    free(keys[0]);
  }
  return key;
}

static void index_config(vsc_index *ix, const vsc_chardev *config, size_t item)
{
  for (int family = KEY_ALIAS; family <= KEY_PLACE_NO_ALIAS; family++) {
    if (family == KEY_PLACE_NO_ALIAS && config->alias)
      continue;
    VSC_AUTOFREE(char) key = match_key(config, family);
    if (key)
      vsc_index_add(ix, key, item);
  }
}

static size_t find_config(vsc_index *ix, const vsc_chardev *live, const bool *used)
{
  int families[2] = { KEY_PLACE_ANY, -1 };
  size_t first = SIZE_MAX;
  if (live->alias) {
    families[0] = KEY_ALIAS;
    families[1] = vsc_alias_is_user(live->alias) ? -1 : KEY_PLACE_NO_ALIAS;
  }
  for (int i = 0; i < 2 && families[i] >= 0; i++) {
    VSC_AUTOFREE(char) key = match_key(live, families[i]);
    size_t item = key ? vsc_index_first(ix, key, used) : SIZE_MAX;
    if (item < first)
      first = item;
  }
  return first;
}

/* The keys of a vhost-user device: its user alias, what names it. */
static char *merge_key(const vsc_vhost *dev, bool by_alias)
{
  const char *alias = vsc_vhost_get(dev, VSC_VF_ALIAS);
  if (by_alias)
    return vsc_alias_is_user(alias) ? vsc_asprintf("alias %s", alias) : NULL;
  VSC_AUTOFREE(char) identity = vsc_vhost_identity(dev);
  return identity ? vsc_asprintf("name %s", identity) : NULL;
}

/* As for character devices: a live device with a user alias is the
 * config device with that alias; otherwise (libvirt's alias, which the
 * persistent definition lacks) the one that the same name names. */
static void merge_vhosts(vsc_virt_state *st)
{
  bool *used = vsc_calloc(st->config.nvhosts + 1, sizeof(bool));
  vsc_index configs = { 0 };
  for (size_t j = 0; j < st->config.nvhosts; j++)
    for (int by_alias = 1; by_alias >= 0; by_alias--) {
      VSC_AUTOFREE(char) key = merge_key(st->config.vhosts[j], by_alias);
      if (key)
        vsc_index_add(&configs, key, j);
    }
  for (size_t i = 0; i < st->live.nvhosts; i++) {
    vsc_virt_vhost *e = vsc_append(&st->vhosts, &st->nvhosts, sizeof(*e));
    e->live = st->live.vhosts[i];
    bool by_alias = vsc_alias_is_user(vsc_vhost_get(e->live, VSC_VF_ALIAS));
    VSC_AUTOFREE(char) key = merge_key(e->live, by_alias);
    size_t j = key ? vsc_index_first(&configs, key, used) : SIZE_MAX;
    if (j < st->config.nvhosts) {
      used[j] = true;
      e->config = st->config.vhosts[j];
    }
  }
  vsc_index_clear(&configs);
  for (size_t j = 0; j < st->config.nvhosts; j++)
    if (!used[j])
      ((vsc_virt_vhost *)vsc_append(&st->vhosts, &st->nvhosts, sizeof(vsc_virt_vhost)))->config =
        st->config.vhosts[j];
  free(used);
}

int vsc_virt_state_read(vsc_virt_domain *d, vsc_virt_state *st, vsc_diags *diags)
{
  memset(st, 0, sizeof(*st));
  if (d->running) {
    if (read_definition(d, false, &st->live, &st->live_info, diags) < 0)
      return -1;
    st->has_live = true;
  }
  if (d->persistent) {
    if (read_definition(d, true, &st->config, &st->config_info, diags) < 0)
      return -1;
    st->has_config = true;
  }

  bool *used = vsc_calloc(st->config.ndevs + 1, sizeof(bool));
  vsc_index configs = { 0 };
  for (size_t j = 0; j < st->config.ndevs; j++)
    index_config(&configs, st->config.devs[j], j);
  for (size_t i = 0; i < st->live.ndevs; i++) {
    vsc_virt_dev *e = vsc_append(&st->devs, &st->ndevs, sizeof(*e));
    e->live = st->live.devs[i];
    size_t j = find_config(&configs, e->live, used);
    if (j < st->config.ndevs) {
      used[j] = true;
      e->config = st->config.devs[j];
    }
  }
  vsc_index_clear(&configs);
  for (size_t j = 0; j < st->config.ndevs; j++) {
    if (used[j])
      continue;
    vsc_virt_dev *e = vsc_append(&st->devs, &st->ndevs, sizeof(*e));
    e->config = st->config.devs[j];
  }
  free(used);
  merge_vhosts(st);
  return 0;
}

void vsc_virt_state_clear(vsc_virt_state *st)
{
  vsc_devset_clear(&st->live);
  vsc_devset_clear(&st->config);
  vsc_domain_info_clear(&st->live_info);
  vsc_domain_info_clear(&st->config_info);
  free(st->devs);
  free(st->vhosts);
  memset(st, 0, sizeof(*st));
}

const vsc_chardev *vsc_virt_dev_main(const vsc_virt_dev *d)
{
  return d->live ? d->live : d->config;
}

const vsc_vhost *vsc_virt_vhost_main(const vsc_virt_vhost *v)
{
  return v->live ? v->live : v->config;
}

bool vsc_virt_dev_is_managed(const vsc_virt_dev *d)
{
  return (d->live && vsc_virt_alias_is_managed(d->live->alias)) ||
         (d->config && vsc_virt_alias_is_managed(d->config->alias));
}

bool vsc_virt_vhost_is_managed(const vsc_virt_vhost *v)
{
  return (v->live && vsc_virt_alias_is_managed(vsc_vhost_get(v->live, VSC_VF_ALIAS))) ||
         (v->config && vsc_virt_alias_is_managed(vsc_vhost_get(v->config, VSC_VF_ALIAS)));
}

int vsc_virt_affect_resolve(const vsc_virt_domain *d, vsc_virt_affect affect, bool *live,
                            bool *config, vsc_diags *diags)
{
  *live = *config = false;
  switch (affect) {
  case VSC_VIRT_AFFECT_DEFAULT:
    *live = d->running;
    *config = d->persistent;
    break;
  case VSC_VIRT_AFFECT_LIVE:
    *live = true;
    break;
  case VSC_VIRT_AFFECT_CONFIG:
    *config = true;
    break;
  case VSC_VIRT_AFFECT_LIVE_CONFIG:
    *live = *config = true;
    break;
  case VSC_VIRT_AFFECT_PERSISTENT:
    *config = true;
    *live = d->running;
    break;
  case VSC_VIRT_AFFECT_CURRENT:
    *live = d->running;
    *config = !d->running;
    break;
  }
  if (*live && !d->running) {
    vsc_error(diags, NULL, "virt-not-running",
              "start it first ('virsh start DOMAIN'), or use --config to change the definition "
              "for the next boot",
              "domain '%s' is not running, so --live cannot change it", d->name);
    return -1;
  }
  if (*config && !d->persistent) {
    vsc_error(diags, NULL, "virt-transient",
              "use --live for a transient domain, or define it first ('virsh define')",
              "domain '%s' is transient: it has no persistent definition to change", d->name);
    return -1;
  }
  return 0;
}
