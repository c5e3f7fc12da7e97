#include "chardev.h"
#include "backend.h"
#include "vhost.h"

#include "util/str.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

VSC_ENUM_IMPL(vsc_kind, VSC_KIND_LAST, "channel", "console", "serial", "parallel");

VSC_ENUM_IMPL(vsc_mode, VSC_MODE_LAST, "", "bind", "connect");

VSC_ENUM_IMPL(vsc_protocol, VSC_PROTOCOL_LAST, "", "raw", "telnet", "telnets", "tls");

VSC_ENUM_IMPL(vsc_target_type, VSC_TARGET_LAST,
              "", "virtio", "guestfwd", "xen",
              "serial", "sclp", "sclplm", "lxc", "openvz", "uml",
              "isa-serial", "usb-serial", "pci-serial", "spapr-vio-serial",
              "system-serial", "sclp-serial", "isa-debug");

VSC_ENUM_IMPL(vsc_serial_model, VSC_MODEL_LAST,
              "", "isa-serial", "usb-serial", "pci-serial", "spapr-vty", "pl011",
              "16550a", "sclpconsole", "sclplmconsole", "isa-debugcon");

VSC_ENUM_IMPL(vsc_mouse_mode, VSC_MOUSE_LAST, "", "server", "client");

vsc_chardev *vsc_chardev_new(vsc_kind kind)
{
  vsc_chardev *dev = vsc_calloc(1, sizeof(*dev));
  dev->kind = kind;
  return dev;
}

void vsc_address_clear(vsc_address *addr)
{
  for (size_t i = 0; i < addr->nattrs; i++) {
    free(addr->attrs[i].key);
    free(addr->attrs[i].value);
  }
  free(addr->attrs);
  free(addr->type);
  memset(addr, 0, sizeof(*addr));
}

void vsc_address_copy(vsc_address *dst, const vsc_address *src)
{
  memset(dst, 0, sizeof(*dst));
  dst->type = vsc_strdup(src->type);
  for (size_t i = 0; i < src->nattrs; i++)
    vsc_address_set(dst, src->attrs[i].key, src->attrs[i].value);
}

void vsc_origin_copy(vsc_origin *dst, const vsc_origin *src)
{
  *dst = *src;
  dst->file = vsc_strdup(src->file);
  dst->pointer = vsc_strdup(src->pointer);
}

void vsc_origin_clear(vsc_origin *origin)
{
  free(origin->file);
  free(origin->pointer);
  memset(origin, 0, sizeof(*origin));
}

void vsc_chardev_free(vsc_chardev *dev)
{
  if (!dev)
    return;
  for (size_t i = 0; i < dev->nsources; i++)
    vsc_source_clear(&dev->sources[i]);
  free(dev->sources);
  free(dev->target.name);
  free(dev->target.address);
  free(dev->target.state);
  free(dev->log_file);
  free(dev->alias);
  vsc_address_clear(&dev->address);
  free(dev->tty);
  vsc_origin_clear(&dev->origin);
  free(dev);
}

vsc_chardev *vsc_chardev_copy(const vsc_chardev *dev)
{
  vsc_chardev *c = vsc_malloc(sizeof(*c));
  *c = *dev;
  c->sources = NULL;
  c->nsources = 0;
  for (size_t i = 0; i < dev->nsources; i++)
    vsc_source_copy(vsc_chardev_add_source(c), &dev->sources[i]);
  c->target.name = vsc_strdup(dev->target.name);
  c->target.address = vsc_strdup(dev->target.address);
  c->target.state = vsc_strdup(dev->target.state);
  c->log_file = vsc_strdup(dev->log_file);
  c->alias = vsc_strdup(dev->alias);
  vsc_address_copy(&c->address, &dev->address);
  c->tty = vsc_strdup(dev->tty);
  vsc_origin_copy(&c->origin, &dev->origin);
  return c;
}

vsc_source *vsc_chardev_add_source(vsc_chardev *dev)
{
  return vsc_append(&dev->sources, &dev->nsources, sizeof(*dev->sources));
}

void vsc_devset_init(vsc_devset *set)
{
  memset(set, 0, sizeof(*set));
}

void vsc_devset_clear(vsc_devset *set)
{
  for (size_t i = 0; i < set->ndevs; i++)
    vsc_chardev_free(set->devs[i]);
  free(set->devs);
  for (size_t i = 0; i < set->nvhosts; i++)
    vsc_vhost_free(set->vhosts[i]);
  free(set->vhosts);
  vsc_memory_backing_clear(&set->memory);
  memset(set, 0, sizeof(*set));
}

void vsc_memory_backing_clear(vsc_memory_backing *m)
{
  free(m->source_type);
  free(m->access_mode);
  vsc_origin_clear(&m->origin);
  memset(m, 0, sizeof(*m));
}

void vsc_devset_add_vhost(vsc_devset *set, vsc_vhost *dev)
{
  *(vsc_vhost **)vsc_append(&set->vhosts, &set->nvhosts, sizeof(*set->vhosts)) = dev; // NOLINT(bugprone-sizeof-expression)
}

void vsc_devset_add(vsc_devset *set, vsc_chardev *dev)
{
  /* An array of pointers: the element is the pointer. */
  *(vsc_chardev **)vsc_append(&set->devs, &set->ndevs, sizeof(*set->devs)) = dev; // NOLINT(bugprone-sizeof-expression)
}

void vsc_address_set(vsc_address *addr, const char *key, const char *value)
{
  for (size_t i = 0; i < addr->nattrs; i++) {
    if (strcmp(addr->attrs[i].key, key) == 0) {
      free(addr->attrs[i].value);
      addr->attrs[i].value = vsc_strdup(value);
      return;
    }
  }
  vsc_attr *a = vsc_append(&addr->attrs, &addr->nattrs, sizeof(*a));
  a->key = vsc_strdup(key);
  a->value = vsc_strdup(value);
}

const char *vsc_address_get(const vsc_address *addr, const char *key)
{
  for (size_t i = 0; i < addr->nattrs; i++)
    if (strcmp(addr->attrs[i].key, key) == 0)
      return addr->attrs[i].value;
  return NULL;
}

const vsc_chardev *vsc_devset_first(const vsc_devset *set, vsc_kind kind)
{
  for (size_t i = 0; i < set->ndevs; i++)
    if (set->devs[i]->kind == kind)
      return set->devs[i];
  return NULL;
}

vsc_backend vsc_chardev_backend(const vsc_chardev *dev)
{
  return dev->has_backend ? dev->backend : VSC_BACKEND_PTY;
}

const vsc_source *vsc_chardev_main_source(const vsc_chardev *dev)
{
  if (dev->nsources == 0)
    return NULL;
  if (vsc_chardev_backend_info(dev)->flags & VSC_BF_TWO_ENDS) {
    for (size_t i = 0; i < dev->nsources; i++)
      if (dev->sources[i].mode != VSC_MODE_BIND)
        return &dev->sources[i];
    return NULL;
  }
  return &dev->sources[0];
}

const vsc_source *vsc_chardev_udp_bind_source(const vsc_chardev *dev)
{
  if (!(vsc_chardev_backend_info(dev)->flags & VSC_BF_TWO_ENDS))
    return NULL;
  for (size_t i = 0; i < dev->nsources; i++)
    if (dev->sources[i].mode == VSC_MODE_BIND)
      return &dev->sources[i];
  return NULL;
}

vsc_target_type vsc_chardev_target_type(const vsc_chardev *dev)
{
  if (dev->has_target && dev->target.type != VSC_TARGET_ABSENT)
    return dev->target.type;
  switch (dev->kind) {
  case VSC_KIND_SERIAL:
    return VSC_TARGET_ISA_SERIAL;
  case VSC_KIND_CONSOLE:
    return VSC_TARGET_SERIAL;
  case VSC_KIND_CHANNEL:
  case VSC_KIND_PARALLEL:
  case VSC_KIND_LAST:
    break;
  }
  return VSC_TARGET_ABSENT;
}

/* The target type axis: which elements take each type, and the serial
 * model libvirt pairs with it. */
#define KIND(k) (1u << VSC_KIND_##k)
static const struct {
  unsigned int kinds;
  vsc_serial_model model;
} target_types[VSC_TARGET_LAST] = {
  [VSC_TARGET_ABSENT] = { KIND(CHANNEL) | KIND(CONSOLE) | KIND(SERIAL) | KIND(PARALLEL), VSC_MODEL_ABSENT },
  [VSC_TARGET_VIRTIO] = { KIND(CHANNEL) | KIND(CONSOLE), VSC_MODEL_ABSENT },
  [VSC_TARGET_GUESTFWD] = { KIND(CHANNEL), VSC_MODEL_ABSENT },
  [VSC_TARGET_XEN] = { KIND(CHANNEL) | KIND(CONSOLE), VSC_MODEL_ABSENT },
  [VSC_TARGET_SERIAL] = { KIND(CONSOLE), VSC_MODEL_ABSENT },
  [VSC_TARGET_SCLP] = { KIND(CONSOLE), VSC_MODEL_ABSENT },
  [VSC_TARGET_SCLPLM] = { KIND(CONSOLE), VSC_MODEL_ABSENT },
  [VSC_TARGET_LXC] = { KIND(CONSOLE), VSC_MODEL_ABSENT },
  [VSC_TARGET_OPENVZ] = { KIND(CONSOLE), VSC_MODEL_ABSENT },
  [VSC_TARGET_UML] = { KIND(CONSOLE), VSC_MODEL_ABSENT },
  [VSC_TARGET_ISA_SERIAL] = { KIND(SERIAL), VSC_MODEL_ISA_SERIAL },
  [VSC_TARGET_USB_SERIAL] = { KIND(SERIAL), VSC_MODEL_USB_SERIAL },
  [VSC_TARGET_PCI_SERIAL] = { KIND(SERIAL), VSC_MODEL_PCI_SERIAL },
  [VSC_TARGET_SPAPR_VIO_SERIAL] = { KIND(SERIAL), VSC_MODEL_SPAPR_VTY },
  [VSC_TARGET_SYSTEM_SERIAL] = { KIND(SERIAL), VSC_MODEL_ABSENT },  /* pl011 or 16550a, by machine */
  [VSC_TARGET_SCLP_SERIAL] = { KIND(SERIAL), VSC_MODEL_SCLPCONSOLE },
  [VSC_TARGET_ISA_DEBUG] = { KIND(SERIAL), VSC_MODEL_ISA_DEBUGCON },
};
#undef KIND

bool vsc_target_type_allowed(vsc_kind kind, vsc_target_type type)
{
  return (unsigned int)type < VSC_TARGET_LAST && (unsigned int)kind < VSC_KIND_LAST &&
         (target_types[type].kinds & (1u << kind));
}

vsc_serial_model vsc_serial_model_for_target(vsc_target_type type)
{
  return (unsigned int)type < VSC_TARGET_LAST ? target_types[type].model : VSC_MODEL_ABSENT;
}

bool vsc_chardev_is_virtio_serial(const vsc_chardev *dev)
{
  return (dev->kind == VSC_KIND_CHANNEL || dev->kind == VSC_KIND_CONSOLE) &&
         dev->has_target && dev->target.type == VSC_TARGET_VIRTIO;
}

const char *vsc_chardev_unix_path(const vsc_chardev *dev)
{
  const vsc_source *src = vsc_chardev_main_source(dev);
  if (!(vsc_chardev_backend_info(dev)->flags & VSC_BF_SOCKET_PATH) || !src)
    return NULL;
  return src->path;
}

char *vsc_chardev_describe(const vsc_chardev *dev)
{
  const char *kind = vsc_kind_to_string(dev->kind);
  vsc_target_type tt = vsc_chardev_target_type(dev);

  if (dev->alias)
    return vsc_asprintf("%s '%s'", kind, dev->alias);
  if (tt == VSC_TARGET_VIRTIO && dev->target.name)
    return vsc_asprintf("%s '%s'", kind, dev->target.name);
  if (tt == VSC_TARGET_GUESTFWD && dev->target.address && dev->target.has_port)
    return vsc_asprintf("guestfwd channel %s:%u", dev->target.address, dev->target.port);
  if (dev->has_target && dev->target.has_port)
    return vsc_asprintf("%s port %u", kind, dev->target.port);
  return vsc_asprintf("%s (%s)", kind, vsc_backend_to_string(vsc_chardev_backend(dev)));
}

unsigned int vsc_chardev_virtio_port(const vsc_chardev *dev)
{
  const char *port;
  if (!dev->address.type || strcmp(dev->address.type, "virtio-serial") != 0)
    return 0;
  port = vsc_address_get(&dev->address, "port");
  return port ? (unsigned int)strtoul(port, NULL, 0) : 0;
}


bool vsc_chardev_same_source(const vsc_chardev *a, const vsc_chardev *b)
{
  if (vsc_chardev_backend(a) != vsc_chardev_backend(b))
    return false;
  if (!vsc_source_same(vsc_chardev_main_source(a), vsc_chardev_main_source(b)))
    return false;
  return vsc_source_same(vsc_chardev_udp_bind_source(a), vsc_chardev_udp_bind_source(b)) &&
         (!(vsc_chardev_backend_info(a)->flags & VSC_BF_PROTOCOL) || a->protocol == b->protocol);
}

void vsc_devset_combine(vsc_devset *out, const vsc_devset *existing, const vsc_devset *added,
                        bool replacing, bool skip_compat_consoles)
{
  bool *used = vsc_calloc(added->ndevs ? added->ndevs : 1, sizeof(*used));
  vsc_index by_identity = { 0 };
  for (size_t j = 0; replacing && j < added->ndevs; j++)
    vsc_identity_index_add(&by_identity, added->devs[j], j);
  for (size_t i = 0; i < existing->ndevs; i++) {
    const vsc_chardev *dev = existing->devs[i];
    if (skip_compat_consoles && vsc_chardev_is_compat_console(dev))
      continue;
    /* Every existing device of an added one's identity goes; the added
     * one takes the place of the first. */
    size_t j = replacing ? vsc_identity_index_first(&by_identity, dev, NULL) : SIZE_MAX;
    bool in_domain = true;
    if (j < added->ndevs) {
      if (used[j])
        continue;
      dev = added->devs[j];
      used[j] = true;
      in_domain = false;
    }
    vsc_chardev *copy = vsc_chardev_copy(dev);
    copy->origin.in_domain = in_domain;
    vsc_devset_add(out, copy);
  }
  for (size_t j = 0; j < added->ndevs; j++) {
    if (used[j])
      continue;
    vsc_chardev *copy = vsc_chardev_copy(added->devs[j]);
    copy->origin.in_domain = false;
    vsc_devset_add(out, copy);
  }
  vsc_index_clear(&by_identity);
  free(used);
}

bool vsc_chardev_is_compat_console(const vsc_chardev *dev)
{
  return dev->kind == VSC_KIND_CONSOLE && vsc_chardev_target_type(dev) == VSC_TARGET_SERIAL;
}

bool vsc_alias_is_user(const char *alias)
{
  return alias && strncmp(alias, VSC_USER_ALIAS_PREFIX, strlen(VSC_USER_ALIAS_PREFIX)) == 0;
}

const char *vsc_alias_bare(const char *alias)
{
  return vsc_alias_is_user(alias) ? alias + strlen(VSC_USER_ALIAS_PREFIX) : alias;
}

char *vsc_alias_user(const char *alias)
{
  return vsc_alias_is_user(alias) ? vsc_strdup(alias) : vsc_asprintf(VSC_USER_ALIAS_PREFIX "%s", alias);
}

size_t vsc_chardev_identity_keys(const vsc_chardev *dev, char *keys[VSC_IDENTITY_KEYS])
{
  vsc_target_type tt = vsc_chardev_target_type(dev);
  const char *kind = vsc_kind_to_string(dev->kind);
  size_t n = 0;

  if (dev->alias)
    keys[n++] = vsc_asprintf("alias %s", vsc_alias_bare(dev->alias));
  switch (dev->kind) {
  case VSC_KIND_CHANNEL:
    if (tt == VSC_TARGET_GUESTFWD) {
      if (dev->target.address && dev->target.has_port)
        keys[n++] = vsc_asprintf("guestfwd %u %s", dev->target.port, dev->target.address);
    } else if (dev->target.name) {
      keys[n++] = vsc_asprintf("channel %d %s", (int)tt, dev->target.name);
    }
    break;
  case VSC_KIND_CONSOLE:
  case VSC_KIND_SERIAL:
  case VSC_KIND_PARALLEL:
    if (dev->has_target && dev->target.has_port)
      keys[n++] = dev->kind == VSC_KIND_CONSOLE ? vsc_asprintf("%s %u %d", kind, dev->target.port, (int)tt)
                                                : vsc_asprintf("%s %u", kind, dev->target.port);
    break;
  case VSC_KIND_LAST:
    break;
  }
  return n;
}

static void free_keys(char **keys, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(keys[i]);
}

bool vsc_chardev_same_identity(const vsc_chardev *a, const vsc_chardev *b)
{
  char *ka[VSC_IDENTITY_KEYS], *kb[VSC_IDENTITY_KEYS];
  size_t na = vsc_chardev_identity_keys(a, ka), nb = vsc_chardev_identity_keys(b, kb);
  bool same = false;
  for (size_t i = 0; i < na && !same; i++)
    for (size_t j = 0; j < nb && !same; j++)
      same = strcmp(ka[i], kb[j]) == 0;
  free_keys(ka, na);
  free_keys(kb, nb);
  return same;
}

void vsc_identity_index_add(vsc_index *ix, const vsc_chardev *dev, size_t item)
{
  char *keys[VSC_IDENTITY_KEYS];
  size_t n = vsc_chardev_identity_keys(dev, keys);
  for (size_t i = 0; i < n; i++)
    vsc_index_add(ix, keys[i], item);
  free_keys(keys, n);
}

size_t vsc_identity_index_first(vsc_index *ix, const vsc_chardev *dev, const bool *skip)
{
  char *keys[VSC_IDENTITY_KEYS];
  size_t n = vsc_chardev_identity_keys(dev, keys), first = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    size_t item = vsc_index_first(ix, keys[i], skip);
    if (item < first)
      first = item;
  }
  free_keys(keys, n);
  return first;
}
