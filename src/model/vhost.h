/* vhost-user devices: a virtio device served by a separate daemon that
 * QEMU reaches through a unix socket (a -chardev socket), and the shared
 * guest memory that daemon maps.
 *
 * One vsc_vhost for each <filesystem> with the virtiofs driver, each
 * <interface type='vhostuser'>, each <disk type='vhostuser'>, and each
 * vhost-user device libvirt 9.0 cannot express (vsock, rng, gpio, i2c,
 * input, scsi, or any other vhost-user-* device of QEMU), which only
 * qemu-args and qm write.
 *
 * Their fields are regular: each is one attribute of one element, the
 * same in libvirt's XML and in the spec (an object per element).  So a
 * device holds its values by field id, as the strings libvirt writes,
 * and vsc_vhost_fields says where each one lives: the spec and XML
 * readers and writers loop over that table, and parse and format mirror
 * each other by construction.  The kind table (vsc_vhost_kinds) says
 * which fields a kind takes, which it fixes, its element order and its
 * QEMU device. */
#pragma once

#include "model/chardev.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
  VSC_VHOST_FS,       /* <filesystem><driver type='virtiofs'/> */
  VSC_VHOST_NET,      /* <interface type='vhostuser'> */
  VSC_VHOST_BLK,      /* <disk type='vhostuser'> */
  /* QEMU's only: libvirt 9.0 has no element for them */
  VSC_VHOST_VSOCK,
  VSC_VHOST_RNG,
  VSC_VHOST_GPIO,
  VSC_VHOST_I2C,
  VSC_VHOST_INPUT,
  VSC_VHOST_SCSI,
  VSC_VHOST_OTHER,    /* another vhost-user-* device, named by its QEMU driver */
  VSC_VHOST_LAST
} vsc_vhost_kind;
VSC_ENUM_DECL(vsc_vhost_kind);

typedef enum {
  VSC_VF_TYPE,              /* type= of the device element */
  VSC_VF_ACCESSMODE,
  VSC_VF_DEVICE,            /* disk device= */
  VSC_VF_MAC,
  VSC_VF_DRIVER_NAME,
  VSC_VF_DRIVER_TYPE,       /* virtiofs */
  VSC_VF_DISK_FORMAT,       /* a disk's driver type= */
  VSC_VF_DRIVER_QUEUE,      /* virtiofs: the queue size */
  VSC_VF_DRIVER_QUEUES,     /* net, disk: the number of queues */
  VSC_VF_DRIVER_RX_QUEUE_SIZE,
  VSC_VF_DRIVER_TX_QUEUE_SIZE,
  VSC_VF_BINARY_PATH,
  VSC_VF_BINARY_XATTR,
  VSC_VF_CACHE_MODE,
  VSC_VF_SANDBOX_MODE,
  VSC_VF_LOCK_POSIX,
  VSC_VF_LOCK_FLOCK,
  VSC_VF_THREAD_POOL_SIZE,
  VSC_VF_SOURCE_TYPE,
  VSC_VF_SOURCE_PATH,       /* the socket of net, disk and QEMU-only devices */
  VSC_VF_SOURCE_MODE,
  VSC_VF_SOURCE_SOCKET,     /* virtiofs: the socket of a daemon the user runs */
  VSC_VF_SOURCE_DIR,        /* virtiofs: the directory libvirt's virtiofsd shares */
  VSC_VF_RECONNECT_ENABLED,
  VSC_VF_RECONNECT_TIMEOUT,
  VSC_VF_MODEL_TYPE,
  VSC_VF_TARGET_DIR,        /* virtiofs: the tag the guest mounts */
  VSC_VF_TARGET_DEV,
  VSC_VF_TARGET_BUS,
  VSC_VF_BOOT_ORDER,
  VSC_VF_ALIAS,
  VSC_VF_LAST
} vsc_vhost_field_id;

typedef enum {
  VSC_VFT_STRING,
  VSC_VFT_UINT,             /* decimal, at most max */
  VSC_VFT_ENUM,             /* one of values */
  VSC_VFT_ONOFF,            /* true/false in the spec, on/off in XML */
  VSC_VFT_YESNO,            /* true/false in the spec, yes/no in XML */
} vsc_vhost_field_type;

/* The form libvirt gives a field's value (its schema, or its parser). */
typedef enum {
  VSC_VFF_ANY,
  VSC_VFF_ABS_PATH,         /* absFilePath: '/' and something after it */
  VSC_VFF_MAC,              /* uniMacAddr: a unicast MAC address */
  VSC_VFF_DISK_TARGET,      /* diskTargetDev: vda, sdb, ... */
  VSC_VFF_POSITIVE,         /* a UINT of positiveInteger: 1 and up */
  VSC_VFF_POW2,             /* a UINT libvirt wants a power of two */
} vsc_vhost_field_form;

typedef struct {
  const char *spec;         /* its path in a spec device object: "driver/queue" */
  const char *element;      /* its XML element below the device ("binary/cache"), NULL: the device's */
  const char *attr;         /* its XML attribute */
  vsc_vhost_field_type type;
  unsigned int max;                 /* UINT */
  const char *const *values;        /* ENUM, NULL-terminated */
  unsigned int kinds;       /* VSC_VHOST_BIT of the kinds that take it */
  vsc_vhost_field_form form;
} vsc_vhost_field;

#define VSC_VHOST_BIT(kind) (1u << (kind))
/* The kinds libvirt cannot express, which share one spec section. */
#define VSC_VHOST_QEMU_ONLY                                                                 \
  (VSC_VHOST_BIT(VSC_VHOST_VSOCK) | VSC_VHOST_BIT(VSC_VHOST_RNG) | VSC_VHOST_BIT(VSC_VHOST_GPIO) | \
   VSC_VHOST_BIT(VSC_VHOST_I2C) | VSC_VHOST_BIT(VSC_VHOST_INPUT) | VSC_VHOST_BIT(VSC_VHOST_SCSI) | \
   VSC_VHOST_BIT(VSC_VHOST_OTHER))

extern const vsc_vhost_field vsc_vhost_fields[VSC_VF_LAST];

typedef struct {
  vsc_vhost_field_id field;
  const char *value;
} vsc_vhost_fixed;

typedef struct {
  const char *name;            /* in messages: "virtiofs filesystem" */
  const char *libvirt_name;    /* what libvirt's messages call it ("virtiofs", "vhostuser") */
  const char *spec_key;        /* the spec's array */
  const char *element;         /* libvirt's element; NULL: libvirt 9.0 cannot express it */
  const char *const *elements; /* the child elements in libvirt's order, NULL-terminated */
  const vsc_vhost_fixed *fixed;/* fields whose value the kind fixes (written even
                                * when the spec leaves them out); ends with VSC_VF_LAST */
  vsc_vhost_field_id socket;   /* the field holding the daemon's socket */
  vsc_vhost_field_id name_field; /* what names it in a domain (mount tag, disk target, MAC),
                                * VSC_VF_LAST for none: libvirt does not hold it */
  const char *qemu_device;     /* -device driver (NULL: OTHER names it; net: virtio-net-pci) */
  const char *alias_prefix;    /* libvirt's alias: fs0, virtio-disk0, net0 */
  bool libvirt_requires_shared_memory;  /* libvirt refuses it without (qemu_validate.c) */
} vsc_vhost_info;

const vsc_vhost_info *vsc_vhost_info_of(vsc_vhost_kind kind);

typedef struct vsc_vhost {
  vsc_vhost_kind kind;
  char *values[VSC_VF_LAST];   /* as libvirt writes them; NULL: absent */
  char *qemu_driver;           /* OTHER: the QEMU device, e.g. vhost-user-gpu-pci */
  vsc_attr *properties;        /* QEMU-only devices: more -device properties */
  size_t nproperties;
  vsc_address address;
  vsc_origin origin;
} vsc_vhost;

vsc_vhost *vsc_vhost_new(vsc_vhost_kind kind);
void vsc_vhost_free(vsc_vhost *dev);
vsc_vhost *vsc_vhost_copy(const vsc_vhost *dev);
VSC_DEFINE_AUTOPTR(vsc_vhost, vsc_vhost_free)

/* The value of field (not ""), or the kind's fixed value, or NULL. */
const char *vsc_vhost_get(const vsc_vhost *dev, vsc_vhost_field_id field);
void vsc_vhost_set(vsc_vhost *dev, vsc_vhost_field_id field, const char *value);
/* Whether a field is one of the kind's. */
bool vsc_vhost_takes(vsc_vhost_kind kind, vsc_vhost_field_id field);
/* The fixed value of field for the kind, or NULL. */
const char *vsc_vhost_fixed_value(vsc_vhost_kind kind, vsc_vhost_field_id field);
/* The daemon's socket path, or NULL (virtiofs with a directory: libvirt's
 * own virtiofsd). */
const char *vsc_vhost_socket(const vsc_vhost *dev);
/* Whether QEMU listens on the socket (net in server mode) rather than
 * connects to the daemon. */
bool vsc_vhost_listens(const vsc_vhost *dev);
/* The QEMU device driver of dev. */
const char *vsc_vhost_qemu_device(const vsc_vhost *dev);
/* What names dev in a domain by its kind: the mount tag, the disk target,
 * the MAC address; NULL when it has none (or its kind none). */
const char *vsc_vhost_name(const vsc_vhost *dev);
/* "virtiofs filesystem 'share'", "vhost-user disk 'vdb'": for messages. */
char *vsc_vhost_describe(const vsc_vhost *dev);
/* What names a device in a domain (its mount tag, disk target, MAC
 * address or else socket), kind included; NULL for QEMU-only devices.
 * Free it. */
char *vsc_vhost_identity(const vsc_vhost *dev);
/* A field value as a spec boolean: 1 true, 0 false, -1 not a boolean. */
int vsc_vhost_bool(const vsc_vhost_field *f, const char *value);
/* The XML string of a spec boolean for f. */
const char *vsc_vhost_bool_string(const vsc_vhost_field *f, bool value);
/* Whether value is one f takes; *why says what is wrong when not. */
bool vsc_vhost_value_ok(vsc_vhost_kind kind, const vsc_vhost_field *f, const char *value, char *why,
                        size_t whylen);
/* What is wrong with value for field id of kind (a fixed value it is not,
 * a value of the wrong form), written into buf, the field called label
 * (its name in the input: "driver/queue", "<driver> queue"); NULL when
 * it is fine. */
const char *vsc_vhost_value_problem(vsc_vhost_kind kind, vsc_vhost_field_id id, const char *label,
                                    const char *value, char *buf, size_t len);
