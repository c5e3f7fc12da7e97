/* The vhost-user devices' tables: one descriptor per field, one row per
 * kind.  See vhost.h. */
#include "vhost.h"
#include "util/str.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

VSC_ENUM_IMPL(vsc_vhost_kind, VSC_VHOST_LAST, "fs", "net", "blk", "vsock", "rng", "gpio", "i2c",
              "input", "scsi", "other");

#define FS VSC_VHOST_BIT(VSC_VHOST_FS)
#define NET VSC_VHOST_BIT(VSC_VHOST_NET)
#define BLK VSC_VHOST_BIT(VSC_VHOST_BLK)
#define QONLY VSC_VHOST_QEMU_ONLY
#define ALL (FS | NET | BLK | QONLY)

#define VALUES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* In libvirt's order of attributes within each element. */
const vsc_vhost_field vsc_vhost_fields[VSC_VF_LAST] = {
  [VSC_VF_TYPE] = { "type", NULL, "type", VSC_VFT_STRING, 0, NULL, FS | NET | BLK, VSC_VFF_ANY },
  [VSC_VF_ACCESSMODE] = { "accessmode", NULL, "accessmode", VSC_VFT_ENUM, 0,
                          VALUES("passthrough", "mapped", "squash"), FS, VSC_VFF_ANY },
  /* libvirt's schema has floppy, cdrom and lun too; none works on the
   * virtio bus a vhost-user disk needs. */
  [VSC_VF_DEVICE] = { "device", NULL, "device", VSC_VFT_ENUM, 0, VALUES("disk"), BLK, VSC_VFF_ANY },
  [VSC_VF_MAC] = { "mac/address", "mac", "address", VSC_VFT_STRING, 0, NULL, NET, VSC_VFF_MAC },
  /* libvirt's QEMU driver refuses any other driver name */
  [VSC_VF_DRIVER_NAME] = { "driver/name", "driver", "name", VSC_VFT_ENUM, 0, VALUES("qemu"), BLK, VSC_VFF_ANY },
  [VSC_VF_DRIVER_TYPE] = { "driver/type", "driver", "type", VSC_VFT_STRING, 0, NULL, FS, VSC_VFF_ANY },
  /* the same attribute on a disk: storageFormat in libvirt's schema */
  [VSC_VF_DISK_FORMAT] = { "driver/type", "driver", "type", VSC_VFT_ENUM, 0,
                           VALUES("raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd",
                                  "ploop", "luks", "cow", "qcow", "qcow2", "qed", "vmdk", "aio"),
                           BLK, VSC_VFF_ANY },
  [VSC_VF_DRIVER_QUEUE] = { "driver/queue", "driver", "queue", VSC_VFT_UINT, 65535, NULL, FS, VSC_VFF_ANY },
  [VSC_VF_DRIVER_QUEUES] = { "driver/queues", "driver", "queues", VSC_VFT_UINT, 1024, NULL, NET | BLK, VSC_VFF_POSITIVE },
  [VSC_VF_DRIVER_RX_QUEUE_SIZE] = { "driver/rx_queue_size", "driver", "rx_queue_size", VSC_VFT_UINT, 1024,
                                    NULL, NET, VSC_VFF_POW2 },
  [VSC_VF_DRIVER_TX_QUEUE_SIZE] = { "driver/tx_queue_size", "driver", "tx_queue_size", VSC_VFT_UINT, 1024,
                                    NULL, NET, VSC_VFF_POW2 },
  [VSC_VF_BINARY_PATH] = { "binary/path", "binary", "path", VSC_VFT_STRING, 0, NULL, FS, VSC_VFF_ABS_PATH },
  [VSC_VF_BINARY_XATTR] = { "binary/xattr", "binary", "xattr", VSC_VFT_ONOFF, 0, NULL, FS, VSC_VFF_ANY },
  [VSC_VF_CACHE_MODE] = { "binary/cache/mode", "binary/cache", "mode", VSC_VFT_ENUM, 0,
                          VALUES("none", "always"), FS, VSC_VFF_ANY },
  [VSC_VF_SANDBOX_MODE] = { "binary/sandbox/mode", "binary/sandbox", "mode", VSC_VFT_ENUM, 0,
                            VALUES("namespace", "chroot"), FS, VSC_VFF_ANY },
  [VSC_VF_LOCK_POSIX] = { "binary/lock/posix", "binary/lock", "posix", VSC_VFT_ONOFF, 0, NULL, FS, VSC_VFF_ANY },
  [VSC_VF_LOCK_FLOCK] = { "binary/lock/flock", "binary/lock", "flock", VSC_VFT_ONOFF, 0, NULL, FS, VSC_VFF_ANY },
  [VSC_VF_THREAD_POOL_SIZE] = { "binary/thread_pool/size", "binary/thread_pool", "size", VSC_VFT_UINT,
                                1024, NULL, FS, VSC_VFF_ANY },
  [VSC_VF_SOURCE_TYPE] = { "source/type", "source", "type", VSC_VFT_STRING, 0, NULL, NET | BLK, VSC_VFF_ANY },
  [VSC_VF_SOURCE_PATH] = { "source/path", "source", "path", VSC_VFT_STRING, 0, NULL, NET | BLK | QONLY,
                           VSC_VFF_ABS_PATH },
  [VSC_VF_SOURCE_MODE] = { "source/mode", "source", "mode", VSC_VFT_ENUM, 0, VALUES("client", "server"),
                           NET, VSC_VFF_ANY },
  [VSC_VF_SOURCE_SOCKET] = { "source/socket", "source", "socket", VSC_VFT_STRING, 0, NULL, FS, VSC_VFF_ABS_PATH },
  [VSC_VF_SOURCE_DIR] = { "source/dir", "source", "dir", VSC_VFT_STRING, 0, NULL, FS, VSC_VFF_ABS_PATH },
  [VSC_VF_RECONNECT_ENABLED] = { "source/reconnect/enabled", "source/reconnect", "enabled", VSC_VFT_YESNO,
                                 0, NULL, NET | BLK | QONLY, VSC_VFF_ANY },
  [VSC_VF_RECONNECT_TIMEOUT] = { "source/reconnect/timeout", "source/reconnect", "timeout", VSC_VFT_UINT,
                                 65535, NULL, NET | BLK | QONLY, VSC_VFF_ANY },
  [VSC_VF_MODEL_TYPE] = { "model/type", "model", "type", VSC_VFT_ENUM, 0,
                          VALUES("virtio", "virtio-transitional", "virtio-non-transitional", "e1000",
                                 "e1000e", "rtl8139", "vmxnet3", "ne2k_pci", "pcnet", "igb"),
                          NET, VSC_VFF_ANY },
  [VSC_VF_TARGET_DIR] = { "target/dir", "target", "dir", VSC_VFT_STRING, 0, NULL, FS, VSC_VFF_ANY },
  [VSC_VF_TARGET_DEV] = { "target/dev", "target", "dev", VSC_VFT_STRING, 0, NULL, BLK, VSC_VFF_DISK_TARGET },
  [VSC_VF_TARGET_BUS] = { "target/bus", "target", "bus", VSC_VFT_STRING, 0, NULL, BLK, VSC_VFF_ANY },
  [VSC_VF_BOOT_ORDER] = { "boot/order", "boot", "order", VSC_VFT_UINT, 65535, NULL, FS | NET | BLK, VSC_VFF_POSITIVE },
  /* The spec writes a device's alias as a string, as for chardevs. */
  [VSC_VF_ALIAS] = { "alias", "alias", "name", VSC_VFT_STRING, 0, NULL, ALL, VSC_VFF_ANY },
};

static const vsc_vhost_fixed fixed_fs[] = {
  { VSC_VF_TYPE, "mount" }, { VSC_VF_DRIVER_TYPE, "virtiofs" }, { VSC_VF_LAST, NULL } };
static const vsc_vhost_fixed fixed_net[] = {
  { VSC_VF_TYPE, "vhostuser" }, { VSC_VF_SOURCE_TYPE, "unix" }, { VSC_VF_LAST, NULL } };
static const vsc_vhost_fixed fixed_blk[] = {
  { VSC_VF_TYPE, "vhostuser" }, { VSC_VF_SOURCE_TYPE, "unix" }, { VSC_VF_LAST, NULL } };
static const vsc_vhost_fixed fixed_none[] = { { VSC_VF_LAST, NULL } };

static const char *const elements_fs[] = { "driver", "binary", "binary/cache", "binary/sandbox",
                                           "binary/lock", "binary/thread_pool", "source", "target",
                                           "boot", "alias", NULL };
static const char *const elements_net[] = { "mac", "source", "source/reconnect", "model", "driver",
                                            "boot", "alias", NULL };
static const char *const elements_blk[] = { "driver", "source", "source/reconnect", "target", "boot",
                                            "alias", NULL };
static const char *const elements_qemu[] = { "source", "source/reconnect", "alias", NULL };

#define QEMU_ONLY_ROW(label, device)                                                        \
  { .name = "vhost-user " label, .libvirt_name = "vhost-user-" label, .spec_key = "vhostuser", \
    .elements = elements_qemu, .fixed = fixed_none, .socket = VSC_VF_SOURCE_PATH,              \
    .name_field = VSC_VF_LAST, .qemu_device = (device) }

static const vsc_vhost_info kinds[VSC_VHOST_LAST] = {
  [VSC_VHOST_FS] = { .name = "virtiofs filesystem", .libvirt_name = "virtiofs", .spec_key = "filesystems",
                     .element = "filesystem", .elements = elements_fs, .fixed = fixed_fs,
                     .socket = VSC_VF_SOURCE_SOCKET, .name_field = VSC_VF_TARGET_DIR, .qemu_device = "vhost-user-fs-pci",
                     .alias_prefix = "fs", .libvirt_requires_shared_memory = true },
  [VSC_VHOST_NET] = { .name = "vhost-user interface", .libvirt_name = "vhostuser", .spec_key = "interfaces",
                      .element = "interface", .elements = elements_net, .fixed = fixed_net,
                      .socket = VSC_VF_SOURCE_PATH, .name_field = VSC_VF_MAC, .qemu_device = "virtio-net-pci",
                      .alias_prefix = "net" },
  [VSC_VHOST_BLK] = { .name = "vhost-user disk", .libvirt_name = "vhostuser", .spec_key = "disks",
                      .element = "disk", .elements = elements_blk, .fixed = fixed_blk,
                      .socket = VSC_VF_SOURCE_PATH, .name_field = VSC_VF_TARGET_DEV, .qemu_device = "vhost-user-blk-pci",
                      .alias_prefix = "virtio-disk", .libvirt_requires_shared_memory = true },
  [VSC_VHOST_VSOCK] = QEMU_ONLY_ROW("vsock", "vhost-user-vsock-pci"),
  [VSC_VHOST_RNG] = QEMU_ONLY_ROW("rng", "vhost-user-rng-pci"),
  [VSC_VHOST_GPIO] = QEMU_ONLY_ROW("gpio", "vhost-user-gpio-pci"),
  [VSC_VHOST_I2C] = QEMU_ONLY_ROW("i2c", "vhost-user-i2c-pci"),
  [VSC_VHOST_INPUT] = QEMU_ONLY_ROW("input", "vhost-user-input-pci"),
  [VSC_VHOST_SCSI] = QEMU_ONLY_ROW("scsi", "vhost-user-scsi-pci"),
  [VSC_VHOST_OTHER] = QEMU_ONLY_ROW("device", NULL),
};

const vsc_vhost_info *vsc_vhost_info_of(vsc_vhost_kind kind)
{
  return &kinds[kind];
}

vsc_vhost *vsc_vhost_new(vsc_vhost_kind kind)
{
  vsc_vhost *dev = vsc_calloc(1, sizeof(*dev));
  dev->kind = kind;
  return dev;
}

void vsc_vhost_free(vsc_vhost *dev)
{
  if (!dev)
    return;
  for (size_t i = 0; i < VSC_VF_LAST; i++)
    free(dev->values[i]);
  free(dev->qemu_driver);
  for (size_t i = 0; i < dev->nproperties; i++) {
    free(dev->properties[i].key);
    free(dev->properties[i].value);
  }
  free(dev->properties);
  vsc_address_clear(&dev->address);
  vsc_origin_clear(&dev->origin);
  free(dev);
}

vsc_vhost *vsc_vhost_copy(const vsc_vhost *dev)
{
  vsc_vhost *c = vsc_vhost_new(dev->kind);
  for (size_t i = 0; i < VSC_VF_LAST; i++)
    c->values[i] = vsc_strdup(dev->values[i]);
  c->qemu_driver = vsc_strdup(dev->qemu_driver);
  for (size_t i = 0; i < dev->nproperties; i++) {
    vsc_attr *a = vsc_append(&c->properties, &c->nproperties, sizeof(*a));
    a->key = vsc_strdup(dev->properties[i].key);
    a->value = vsc_strdup(dev->properties[i].value);
  }
  vsc_address_copy(&c->address, &dev->address);
  vsc_origin_copy(&c->origin, &dev->origin);
  return c;
}

const char *vsc_vhost_fixed_value(vsc_vhost_kind kind, vsc_vhost_field_id field)
{
  for (const vsc_vhost_fixed *f = kinds[kind].fixed; f->field != VSC_VF_LAST; f++)
    if (f->field == field)
      return f->value;
  return NULL;
}

const char *vsc_vhost_get(const vsc_vhost *dev, vsc_vhost_field_id field)
{
  /* "" is what XML cannot write back (an attribute vschan leaves out) */
  return dev->values[field] && *dev->values[field] ? dev->values[field] : vsc_vhost_fixed_value(dev->kind, field);
}

void vsc_vhost_set(vsc_vhost *dev, vsc_vhost_field_id field, const char *value)
{
  free(dev->values[field]);
  dev->values[field] = vsc_strdup(value);
}

bool vsc_vhost_takes(vsc_vhost_kind kind, vsc_vhost_field_id field)
{
  return (vsc_vhost_fields[field].kinds & VSC_VHOST_BIT(kind)) != 0;
}

const char *vsc_vhost_socket(const vsc_vhost *dev)
{
  return dev->values[kinds[dev->kind].socket];
}

bool vsc_vhost_listens(const vsc_vhost *dev)
{
  const char *mode = vsc_vhost_get(dev, VSC_VF_SOURCE_MODE);
  return dev->kind == VSC_VHOST_NET && mode && strcmp(mode, "server") == 0;
}

const char *vsc_vhost_qemu_device(const vsc_vhost *dev)
{
  return kinds[dev->kind].qemu_device ? kinds[dev->kind].qemu_device : dev->qemu_driver;
}

const char *vsc_vhost_name(const vsc_vhost *dev)
{
  vsc_vhost_field_id f = kinds[dev->kind].name_field;
  return f == VSC_VF_LAST ? NULL : vsc_vhost_get(dev, f);
}

char *vsc_vhost_describe(const vsc_vhost *dev)
{
  const char *name = vsc_vhost_name(dev) ? vsc_vhost_name(dev) : vsc_vhost_socket(dev);
  const char *what = dev->kind == VSC_VHOST_OTHER && dev->qemu_driver ? dev->qemu_driver : kinds[dev->kind].name;
  return name ? vsc_asprintf("%s '%s'", what, name) : vsc_strdup(what);
}

/* A name libvirt keeps, else (an interface without a MAC) its socket. */
char *vsc_vhost_identity(const vsc_vhost *dev)
{
  if (kinds[dev->kind].name_field == VSC_VF_LAST)
    return NULL;
  const char *key = vsc_vhost_name(dev) ? vsc_vhost_name(dev) : vsc_vhost_socket(dev);
  return key ? vsc_asprintf("%s\n%s", vsc_vhost_kind_to_string(dev->kind), key) : NULL;
}

int vsc_vhost_bool(const vsc_vhost_field *f, const char *value)
{
  const char *yes = f->type == VSC_VFT_ONOFF ? "on" : "yes";
  const char *no = f->type == VSC_VFT_ONOFF ? "off" : "no";
  if (!value)
    return -1;
  return strcmp(value, yes) == 0 ? 1 : strcmp(value, no) == 0 ? 0 : -1;
}

const char *vsc_vhost_bool_string(const vsc_vhost_field *f, bool value)
{
  if (f->type == VSC_VFT_ONOFF)
    return value ? "on" : "off";
  return value ? "yes" : "no";
}

static bool hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The patterns of libvirt's schema (basictypes.rng, domaincommon.rng). */
static bool form_ok(vsc_vhost_field_form form, const char *v, char *why, size_t whylen)
{
  switch (form) {
  case VSC_VFF_ANY:
  case VSC_VFF_POSITIVE:   /* numbers: see vsc_vhost_value_ok */
  case VSC_VFF_POW2:
    return true;
  case VSC_VFF_ABS_PATH:
    if (v[0] == '/' && v[1])
      return true;
    snprintf(why, whylen, "an absolute path");
    return false;
  case VSC_VFF_MAC: {
    bool ok = strlen(v) == 17 && strchr("02468aAcCeE", v[1]);
    for (size_t i = 0; ok && i < 17; i++)
      ok = i % 3 == 2 ? v[i] == ':' : hex(v[i]);
    if (!ok)
      snprintf(why, whylen, "a unicast MAC address such as 52:54:00:12:34:56");
    return ok;
  }
  case VSC_VFF_DISK_TARGET: {
    static const char *const prefixes[] = { "fd", "hd", "sd", "vd", "xvd", "ubd" };
    const char *rest = strncmp(v, "ioemu:", 6) == 0 ? v + 6 : v;
    for (size_t i = 0; i < VSC_N_ELEMENTS(prefixes); i++) {
      size_t n = strlen(prefixes[i]);
      if (strncmp(rest, prefixes[i], n) == 0 && rest[n] && vsc_text_only_chars(rest + n, "_"))
        return true;
    }
    snprintf(why, whylen, "a disk name such as vdb");
    return false;
  }
  }
  return false;
}

bool vsc_vhost_value_ok(vsc_vhost_kind kind, const vsc_vhost_field *f, const char *value, char *why,
                        size_t whylen)
{
  switch (f->type) {
  case VSC_VFT_STRING:
    /* libvirt's forms bind what goes into libvirt's XML; QEMU takes any
     * path for a device libvirt has no element for */
    return (VSC_VHOST_BIT(kind) & VSC_VHOST_QEMU_ONLY) || form_ok(f->form, value, why, whylen);
  case VSC_VFT_UINT: {
    char *end = NULL;
    unsigned int min = f->form == VSC_VFF_POSITIVE || f->form == VSC_VFF_POW2 ? 1 : 0;
    unsigned long long v = value[0] >= '0' && value[0] <= '9' ? strtoull(value, &end, 10) : 0;
    if (!end || *end || v < min || v > f->max) {
      snprintf(why, whylen, "a number from %u to %u", min, f->max);
      return false;
    }
    if (f->form == VSC_VFF_POW2 && (v & (v - 1)) != 0) {
      snprintf(why, whylen, "a power of two (libvirt: \"%s has to be a power of two\")", f->attr);
      return false;
    }
    return true;
  }
  case VSC_VFT_ENUM: {
    size_t off = (size_t)snprintf(why, whylen, "one of:");
    for (const char *const *v = f->values; *v; v++) {
      if (strcmp(*v, value) == 0)
        return true;
      if (off < whylen)
        off += (size_t)snprintf(why + off, whylen - off, " %s", *v);
    }
    return false;
  }
  case VSC_VFT_ONOFF:
  case VSC_VFT_YESNO:
    if (vsc_vhost_bool(f, value) >= 0)
      return true;
    snprintf(why, whylen, "%s", f->type == VSC_VFT_ONOFF ? "on or off" : "yes or no");
    return false;
  }
  return false;
}

const char *vsc_vhost_value_problem(vsc_vhost_kind kind, vsc_vhost_field_id id, const char *label,
                                    const char *value, char *buf, size_t len)
{
  const vsc_vhost_field *f = &vsc_vhost_fields[id];
  const char *fixed = vsc_vhost_fixed_value(kind, id);
  char why[256];
  if (fixed && strcmp(value, fixed) != 0)
    snprintf(buf, len, "a %s has %s '%s', not '%s'", kinds[kind].name, label, fixed, value);
  else if (!vsc_vhost_value_ok(kind, f, value, why, sizeof(why)))
    snprintf(buf, len, "%s '%s' is not %s", label, value, why);
  else
    return NULL;
  return buf;
}
