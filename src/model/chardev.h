/* The device model: one vsc_chardev for each <channel>, <console>,
 * <serial> and <parallel> element, with libvirt's own names and defaults.
 *
 * Every front end (the JSON spec, the compact option syntax, libvirt XML)
 * reads into this model and every back end (libvirt XML, QEMU arguments,
 * Proxmox lines) writes from it.  A field that is absent in the input is
 * absent here (VSC_TRI_ABSENT, 0 enum value, NULL string, has_* false), so
 * formatting writes back exactly what was given and libvirt applies its
 * own defaults. */
#pragma once

#include "util/enum.h"
#include "util/mem.h"
#include "util/strset.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
  VSC_KIND_CHANNEL,
  VSC_KIND_CONSOLE,
  VSC_KIND_SERIAL,
  VSC_KIND_PARALLEL,
  VSC_KIND_LAST
} vsc_kind;
VSC_ENUM_DECL(vsc_kind);

/* The host-side backend: the element's type= attribute. */
typedef enum {
  VSC_BACKEND_NULL,
  VSC_BACKEND_VC,
  VSC_BACKEND_PTY,
  VSC_BACKEND_DEV,
  VSC_BACKEND_FILE,
  VSC_BACKEND_PIPE,
  VSC_BACKEND_STDIO,
  VSC_BACKEND_UDP,
  VSC_BACKEND_TCP,
  VSC_BACKEND_UNIX,
  VSC_BACKEND_SPICEVMC,
  VSC_BACKEND_SPICEPORT,
  VSC_BACKEND_NMDM,
  VSC_BACKEND_QEMU_VDAGENT,
  VSC_BACKEND_DBUS,
  VSC_BACKEND_MSMOUSE,   /* QEMU's only: libvirt has no such type */
  VSC_BACKEND_BRAILLE,
  VSC_BACKEND_LAST
} vsc_backend;
VSC_ENUM_DECL(vsc_backend);

/* on/off or yes/no attributes that may be absent. */
typedef enum { VSC_TRI_ABSENT, VSC_TRI_YES, VSC_TRI_NO } vsc_tristate;

typedef enum { VSC_MODE_ABSENT, VSC_MODE_BIND, VSC_MODE_CONNECT, VSC_MODE_LAST } vsc_mode;
VSC_ENUM_DECL(vsc_mode);

typedef enum {
  VSC_PROTOCOL_ABSENT,
  VSC_PROTOCOL_RAW,
  VSC_PROTOCOL_TELNET,
  VSC_PROTOCOL_TELNETS,
  VSC_PROTOCOL_TLS,
  VSC_PROTOCOL_LAST
} vsc_protocol;
VSC_ENUM_DECL(vsc_protocol);

/* <target type=...>: one enum for all four elements; which element takes
 * which type is vsc_target_type_allowed(). */
typedef enum {
  VSC_TARGET_ABSENT,
  /* channel */
  VSC_TARGET_VIRTIO,
  VSC_TARGET_GUESTFWD,
  VSC_TARGET_XEN,
  /* console (plus virtio, xen) */
  VSC_TARGET_SERIAL,
  VSC_TARGET_SCLP,
  VSC_TARGET_SCLPLM,
  VSC_TARGET_LXC,
  VSC_TARGET_OPENVZ,
  VSC_TARGET_UML,
  /* serial */
  VSC_TARGET_ISA_SERIAL,
  VSC_TARGET_USB_SERIAL,
  VSC_TARGET_PCI_SERIAL,
  VSC_TARGET_SPAPR_VIO_SERIAL,
  VSC_TARGET_SYSTEM_SERIAL,
  VSC_TARGET_SCLP_SERIAL,
  VSC_TARGET_ISA_DEBUG,
  VSC_TARGET_LAST
} vsc_target_type;
VSC_ENUM_DECL(vsc_target_type);

/* <target><model name=.../></target> of a serial port. */
typedef enum {
  VSC_MODEL_ABSENT,
  VSC_MODEL_ISA_SERIAL,
  VSC_MODEL_USB_SERIAL,
  VSC_MODEL_PCI_SERIAL,
  VSC_MODEL_SPAPR_VTY,
  VSC_MODEL_PL011,
  VSC_MODEL_16550A,
  VSC_MODEL_SCLPCONSOLE,
  VSC_MODEL_SCLPLMCONSOLE,
  VSC_MODEL_ISA_DEBUGCON,
  VSC_MODEL_LAST
} vsc_serial_model;
VSC_ENUM_DECL(vsc_serial_model);

typedef enum { VSC_MOUSE_ABSENT, VSC_MOUSE_SERVER, VSC_MOUSE_CLIENT, VSC_MOUSE_LAST } vsc_mouse_mode;
VSC_ENUM_DECL(vsc_mouse_mode);

/* <seclabel model= relabel=><label>...</label></seclabel> inside <source>. */
typedef struct {
  char *model;
  vsc_tristate relabel;
  char *label;
} vsc_seclabel;

/* One <source> element.  Which fields a backend reads is in the table of
 * backend_info in chardev.c and checked by the validator. */
typedef struct {
  vsc_mode mode;
  char *path;
  char *host;
  char *service;       /* a port number or a service name, as libvirt keeps it */
  char *channel;       /* spiceport, dbus */
  char *master;        /* nmdm */
  char *slave;         /* nmdm */
  vsc_tristate append; /* file: append='on|off' */
  vsc_tristate tls;    /* tcp: tls='yes|no' */
  struct {
    vsc_tristate enabled;
    bool has_timeout;
    unsigned int timeout;
  } reconnect;
  bool has_reconnect;
  vsc_seclabel *seclabels;
  size_t nseclabels;
  vsc_tristate copypaste;   /* qemu-vdagent <clipboard copypaste=> */
  vsc_mouse_mode mouse;     /* qemu-vdagent <mouse mode=> */
  /* QEMU's own, which libvirt's XML lacks (qemu-args and qm only): */
  vsc_tristate wait;        /* a listening socket waits for its client (wait=on) */
  vsc_tristate nodelay;     /* tcp: TCP_NODELAY (nodelay=on) */
  bool has_width, has_height, has_cols, has_rows;
  unsigned int width, height; /* vc: the console's size in pixels */
  unsigned int cols, rows;    /* vc: or in characters */
} vsc_source;

typedef struct {
  vsc_target_type type;
  char *name;              /* virtio and xen channels */
  char *address;           /* guestfwd IPv4 address */
  bool has_port;
  unsigned int port;       /* guestfwd TCP port; serial/console/parallel port number */
  vsc_serial_model model;
  char *state;             /* output only: virtio connected/disconnected */
} vsc_target;

/* <address type=...>: kept as the attributes given, in order, so any
 * address libvirt knows can be expressed and written back unchanged.
 * The keys each type takes are checked by the validator. */
typedef struct {
  char *key;
  char *value;
} vsc_attr;

typedef struct {
  char *type;              /* NULL: no address */
  vsc_attr *attrs;
  size_t nattrs;
} vsc_address;

/* Where a device came from, for messages. */
typedef struct {
  char *file;
  int line;                /* XML: the element's line; 0 for JSON */
  char *pointer;           /* JSON pointer of the device object, e.g. /channels/2 */
  bool in_domain;          /* a device the domain already has (vsc_devset_combine),
                            * not one being added */
} vsc_origin;

typedef struct vsc_chardev {
  vsc_kind kind;
  vsc_backend backend;
  bool has_backend;        /* type= given (absent means libvirt's default, pty) */
  vsc_source *sources;     /* udp may have two: bind (local) and connect */
  size_t nsources;
  vsc_target target;
  bool has_target;
  vsc_protocol protocol;
  char *log_file;
  vsc_tristate log_append;
  char *alias;
  vsc_address address;
  bool has_acpi_index;
  unsigned int acpi_index;
  vsc_tristate monitor;    /* QEMU's own: the monitor multiplexed onto the
                            * device (-serial mon:..., mux=on and -mon) */
  char *tty;               /* output only: the pty libvirt allocated */
  vsc_origin origin;
} vsc_chardev;

/* The virtio-serial controller a spec may ask for. */
typedef struct {
  bool present;
  bool has_index, has_ports, has_vectors;
  unsigned int index, ports, vectors;
} vsc_controller;

/* <memoryBacking>: whether the guest's memory can be shared with a
 * vhost-user daemon.  Strings as libvirt writes them. */
typedef struct {
  bool present;
  char *source_type;       /* <source type=>: file, anonymous, memfd */
  char *access_mode;       /* <access mode=>: shared, private */
  bool hugepages;          /* <hugepages> */
  vsc_origin origin;
} vsc_memory_backing;

typedef struct vsc_vhost vsc_vhost;   /* model/vhost.h */

/* A set of devices: what a spec, a <devices> element or a domain holds. */
typedef struct {
  vsc_chardev **devs;
  size_t ndevs;
  vsc_controller controller;
  vsc_vhost **vhosts;      /* vhost-user devices, in the order given */
  size_t nvhosts;
  vsc_memory_backing memory;
} vsc_devset;

vsc_chardev *vsc_chardev_new(vsc_kind kind);
void vsc_chardev_free(vsc_chardev *dev);
vsc_chardev *vsc_chardev_copy(const vsc_chardev *dev);
VSC_DEFINE_AUTOPTR(vsc_chardev, vsc_chardev_free)

vsc_source *vsc_chardev_add_source(vsc_chardev *dev);
void vsc_source_clear(vsc_source *src);

void vsc_devset_init(vsc_devset *set);
void vsc_devset_clear(vsc_devset *set);
/* Take ownership of dev. */
void vsc_devset_add(vsc_devset *set, vsc_chardev *dev);
void vsc_devset_add_vhost(vsc_devset *set, vsc_vhost *dev);
void vsc_memory_backing_clear(vsc_memory_backing *m);
/* What a domain holding existing holds once added is put in, as libvirt
 * and the XML merge order it: the existing devices in their order, each
 * replaced in place by an added one of the same identity (when
 * replacing), then the other added devices.  Copies into out (initialised
 * by the caller), the existing ones marked origin.in_domain; existing
 * compat consoles are left out when skip_compat_consoles (they go with
 * their serial port).  The controller is not set. */
void vsc_devset_combine(vsc_devset *out, const vsc_devset *existing, const vsc_devset *added,
                        bool replacing, bool skip_compat_consoles);

void vsc_address_set(vsc_address *addr, const char *key, const char *value);
const char *vsc_address_get(const vsc_address *addr, const char *key);
void vsc_address_clear(vsc_address *addr);
void vsc_address_copy(vsc_address *dst, const vsc_address *src);
void vsc_origin_copy(vsc_origin *dst, const vsc_origin *src);
void vsc_origin_clear(vsc_origin *origin);

/* The first device of kind in set, or NULL. */
const vsc_chardev *vsc_devset_first(const vsc_devset *set, vsc_kind kind);

/* The effective backend: libvirt's default is pty. */
vsc_backend vsc_chardev_backend(const vsc_chardev *dev);

/* The source that names the peer: for udp the connect one (the one
 * without mode='bind'); otherwise the only one.  NULL if none. */
const vsc_source *vsc_chardev_main_source(const vsc_chardev *dev);
/* udp's local end (mode='bind'), or NULL. */
const vsc_source *vsc_chardev_udp_bind_source(const vsc_chardev *dev);

/* The target type libvirt assumes when none is given: serial ports on x86
 * are isa-serial; consoles are serial (the compat alias of serial0). */
vsc_target_type vsc_chardev_target_type(const vsc_chardev *dev);

/* Whether an element of this kind takes this target type at all. */
bool vsc_target_type_allowed(vsc_kind kind, vsc_target_type type);

/* The serial model that belongs to a serial target type (libvirt's
 * post-parse pairing), VSC_MODEL_ABSENT if none. */
vsc_serial_model vsc_serial_model_for_target(vsc_target_type type);

/* A virtio channel or console: it needs a port on a virtio-serial bus. */
bool vsc_chardev_is_virtio_serial(const vsc_chardev *dev);

/* The unix socket path of a unix backend, or NULL. */
const char *vsc_chardev_unix_path(const vsc_chardev *dev);

/* "channel 'org.qemu.guest_agent.0'", "serial port 0", ... for messages.
 * Caller frees. */
char *vsc_chardev_describe(const vsc_chardev *dev);

/* The virtio-serial port number from an explicit address, or 0. */
unsigned int vsc_chardev_virtio_port(const vsc_chardev *dev);

/* Same host side: backend and every source field (libvirt's
 * virDomainChrSourceDefIsEqual, which detach matching uses). */
bool vsc_chardev_same_source(const vsc_chardev *a, const vsc_chardev *b);

/* Identity: two descriptions of the same device.  Same user alias, or the
 * same virtio target name, the same guestfwd address:port, or the same
 * kind and target port for serial/console/parallel.  Shared by --into,
 * remove, list and apply. */
bool vsc_chardev_same_identity(const vsc_chardev *a, const vsc_chardev *b);

/* The same as keys: two devices have the same identity when they share
 * one of these strings.  Sets keys[0..n) (free them) and returns n. */
#define VSC_IDENTITY_KEYS 2
size_t vsc_chardev_identity_keys(const vsc_chardev *dev, char *keys[VSC_IDENTITY_KEYS]);

/* Devices by identity, so that matching n devices against m costs n + m:
 * list dev as item, and find the first item (in the order listed, not
 * marked in skip) with dev's identity, or SIZE_MAX (vsc_index_first). */
void vsc_identity_index_add(vsc_index *ix, const vsc_chardev *dev, size_t item);
size_t vsc_identity_index_first(vsc_index *ix, const vsc_chardev *dev, const bool *skip);

/* A console with a serial target: libvirt's second view of the first
 * serial port, not a device of its own (it goes with the serial). */
bool vsc_chardev_is_compat_console(const vsc_chardev *dev);

/* The prefix libvirt requires on user aliases. */
#define VSC_USER_ALIAS_PREFIX "ua-"

/* alias starts with the prefix (a user alias, not one libvirt chose). */
bool vsc_alias_is_user(const char *alias);
/* alias without the prefix: "ua-x" and "x" name the same user alias. */
const char *vsc_alias_bare(const char *alias);
/* A user alias for alias, prefixed unless it already is (free it). */
char *vsc_alias_user(const char *alias);
