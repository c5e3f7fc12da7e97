/* What each host backend of a character device is (the type= of
 * <channel>, <console>, <serial> and <parallel>): one row per backend in
 * backend.c, and one descriptor per field of <source>.
 *
 * The readers and writers consult these tables instead of switching on
 * the backend: the spec, the option syntax and libvirt XML read and write
 * <source> through the field descriptors (so parse and format mirror each
 * other by construction); the rules check what a row says the backend
 * reads and needs; qemu-args writes the -chardev from the row's QEMU
 * mapping; `list` shows and `connect` reaches a device as its row says;
 * the apply planner and the Proxmox plan take the defaults and what
 * qemu-server can express from it.  Adding a backend is a row here and
 * its value in vsc_backend (chardev.h). */
#pragma once

#include "model/chardev.h"

#include <stdbool.h>
#include <stddef.h>

/* The fields of <source>, one bit per group libvirt reads together
 * (virDomainChrSourceDefParseXML): which a backend reads. */
enum {
  VSC_SRC_MODE = 1u << 0,
  VSC_SRC_PATH = 1u << 1,
  VSC_SRC_HOST = 1u << 2,
  VSC_SRC_SERVICE = 1u << 3,
  VSC_SRC_APPEND = 1u << 4,
  VSC_SRC_TLS = 1u << 5,
  VSC_SRC_CHANNEL = 1u << 6,
  VSC_SRC_NMDM = 1u << 7,       /* master, slave */
  VSC_SRC_RECONNECT = 1u << 8,
  VSC_SRC_VDAGENT = 1u << 9,    /* clipboard copypaste, mouse mode */
  VSC_SRC_SECLABEL = 1u << 10,  /* on every backend: never unused */
  VSC_SRC_WAIT = 1u << 11,      /* QEMU's only: a listening socket waits (wait=on) */
  VSC_SRC_NODELAY = 1u << 12,   /* QEMU's only: nodelay=on */
  VSC_SRC_VC_SIZE = 1u << 13,   /* QEMU's only: vc width, height, cols, rows */
};

/* ---- the fields of <source> ---- */

typedef enum {
  VSC_FIELD_STRING,     /* char * */
  VSC_FIELD_SERVICE,    /* char *: a port number or a service name; the spec
                         * takes and writes port numbers as numbers */
  VSC_FIELD_ENUM,       /* an enum with a string table, 0 when absent */
  VSC_FIELD_TRISTATE,   /* vsc_tristate: true/false in the spec, yes/no or
                         * on/off in XML */
  VSC_FIELD_UINT,       /* unsigned int with a bool saying it is given */
  VSC_FIELD_SECLABELS,  /* the <seclabel> list: read and written by hand */
} vsc_field_type;

/* Every field, in libvirt's order of attributes, then child elements. */
typedef enum {
  VSC_SF_MODE,
  VSC_SF_PATH,
  VSC_SF_HOST,
  VSC_SF_SERVICE,
  VSC_SF_CHANNEL,
  VSC_SF_MASTER,
  VSC_SF_SLAVE,
  VSC_SF_APPEND,
  VSC_SF_TLS,
  VSC_SF_RECONNECT_ENABLED,
  VSC_SF_RECONNECT_TIMEOUT,
  VSC_SF_SECLABEL,
  VSC_SF_COPYPASTE,
  VSC_SF_MOUSE,
  VSC_SF_WAIT,
  VSC_SF_NODELAY,
  VSC_SF_WIDTH,
  VSC_SF_HEIGHT,
  VSC_SF_COLS,
  VSC_SF_ROWS,
  VSC_SF_LAST
} vsc_source_field_id;

typedef struct {
  const char *name;            /* the spec's key and the XML attribute */
  const char *element;         /* the child element (spec: object) holding it, or
                                * NULL: an attribute of <source> itself */
  const char *label;           /* in messages, when not the name: "unknown mouse mode 'x'" */
  const char *const *values;   /* ENUM: its string table, nvalues long */
  size_t offset;               /* of the value in vsc_source */
  size_t given_offset;         /* UINT: of its bool "given" (0: none) */
  size_t element_offset;       /* of a bool saying the element was given, even
                                * empty (0: given when a field of it is) */
  vsc_field_type type;
  unsigned int group;          /* VSC_SRC_* */
  int nvalues;
  unsigned int max;            /* UINT */
  bool onoff;                  /* TRISTATE: on/off in XML, else yes/no */
  bool identity;               /* compared when libvirt matches a source
                                * (virDomainChrSourceDefIsEqual) */
  bool may_be_empty;           /* "" is a value that XML keeps */
  bool unescaped;              /* libvirt writes it into QEMU's options without
                                * doubling a ',' (host=, port=) */
  bool short_key;              /* the option syntax also takes it without
                                * "source." (path=, mode=, service=) */
  bool qemu_only;              /* QEMU's own option, which libvirt's XML lacks:
                                * the XML reader skips it, the XML writer
                                * refuses it (qemu-args and qm write it) */
} vsc_source_field;

extern const vsc_source_field vsc_source_fields[VSC_SF_LAST];

/* The value of f in src. */
void *vsc_source_field_ptr(vsc_source *src, const vsc_source_field *f);
const void *vsc_source_field_cptr(const vsc_source *src, const vsc_source_field *f);
/* Whether f has a value in src (a string, even "", counts). */
bool vsc_source_field_given(const vsc_source *src, const vsc_source_field *f);
/* Whether the element of f (f->element) is in src: its flag, or a value
 * of one of its fields. */
bool vsc_source_element_given(const vsc_source *src, const vsc_source_field *f);
/* Set the element of f as given (reconnect), when it has a flag for it. */
void vsc_source_element_set(vsc_source *src, const vsc_source_field *f);
/* The descriptors of the element f starts, up to the next element:
 * returns how many (at least 1). */
size_t vsc_source_element_span(const vsc_source_field *f);
/* An enum or tristate field as an int (0: absent). */
int vsc_source_field_int(const vsc_source *src, const vsc_source_field *f);
void vsc_source_field_set_int(vsc_source *src, const vsc_source_field *f, int v);
/* The string of a STRING or SERVICE field. */
const char *vsc_source_field_string(const vsc_source *src, const vsc_source_field *f);
/* Replace a STRING or SERVICE field with a copy of value. */
void vsc_source_field_set_string(vsc_source *src, const vsc_source_field *f, const char *value);

/* Copies and compares (identity fields only) every field. */
void vsc_source_copy(vsc_source *dst, const vsc_source *src);
bool vsc_source_same(const vsc_source *a, const vsc_source *b);

/* ---- the backends ---- */

/* How a backend's rows flag what it is. */
enum {
  VSC_BF_TWO_ENDS = 1u << 0,       /* two sources: a bind (local) and a connect end (udp) */
  VSC_BF_PROTOCOL = 1u << 1,       /* reads <protocol> (tcp) */
  VSC_BF_PTY_PATH = 1u << 2,       /* its path is the pty libvirt allocated: output only */
  VSC_BF_GENERATED_PATH = 1u << 3, /* a virtio or xen channel without a path gets one
                                    * from libvirt, listening (unix) */
  VSC_BF_SOCKET_PATH = 1u << 4,    /* its path is a unix socket (sun_path, one per device) */
  VSC_BF_NEEDS_SPICE = 1u << 5,    /* needs <graphics type='spice'> */
  VSC_BF_VIRTIO_ONLY = 1u << 6,    /* only on a virtio channel named port_name (spicevmc) */
  VSC_BF_NO_HOTPLUG = 1u << 7,     /* libvirt refuses to hot-plug it
                                    * (qemuChardevGetBackendProps) */
  VSC_BF_QEMU_SOCKET = 1u << 8,    /* QEMU's socket chardev: listens in bind mode,
                                    * reconnects, takes telnet */
  VSC_BF_WRITES_FILE = 1u << 9,    /* QEMU creates the file at its path */
  VSC_BF_NEEDS_STDIO = 1u << 10,   /* QEMU's own stdin and stdout: refused with
                                    * -daemonize, as qemu-server starts QEMU */
  VSC_BF_NOT_LIBVIRT = 1u << 11,   /* QEMU's only: libvirt's XML has no such type,
                                    * so only qemu-args and qm write it */
};

/* A source field the backend cannot do without, and the rule that says so. */
typedef struct {
  vsc_source_field_id field;
  const char *rule;
  const char *sub;             /* JSON pointer below the device, for the message */
  const char *hint;
  const char *message;         /* "%s" is the backend's name */
  bool name_chars;             /* also a name of [A-Za-z0-9_.-] */
} vsc_source_need;

/* One option of QEMU's -chardev, from a source field or fixed. */
enum {
  VSC_QOPT_REQUIRED = 1u << 0,   /* no value, no option: a rule has refused the device */
  VSC_QOPT_ONOFF = 1u << 1,      /* on when the field's value is `on`, else off */
  VSC_QOPT_BIND_END = 1u << 2,   /* from the bind end of a two-ended backend */
  VSC_QOPT_GENERATED = 1u << 3,  /* a socket path qemu-args may generate */
};

typedef struct {
  const char *key;             /* QEMU's option; NULL ends the list */
  int field;                   /* vsc_source_field_id, or -1 for a fixed value */
  unsigned int flags;          /* VSC_QOPT_* */
  const char *value;           /* the fixed value, or the one written when the
                                * field is absent (NULL: leave the option out) */
  int on;                      /* ONOFF: the field's value written as on */
} vsc_qemu_opt;

#define VSC_KIND_BIT(kind) (1u << (kind))

/* How `list` shows the host side (vsc_chardev_host_side). */
typedef enum {
  VSC_SHOW_NOTHING,
  VSC_SHOW_PATH,               /* the path */
  VSC_SHOW_PTY,                /* the pty path, or the tty libvirt reports */
  VSC_SHOW_SOCKET,             /* path (mode) */
  VSC_SHOW_HOST_PORT,          /* host:service (mode[, telnet]) */
  VSC_SHOW_DATAGRAM,           /* host:service [from host:service] */
  VSC_SHOW_CHANNEL,            /* the channel name */
} vsc_show;

/* What Proxmox VE's qemu-server can create itself. */
typedef enum {
  VSC_PVE_ARGS,                /* nothing: the device goes to args: */
  VSC_PVE_OWN_SOCKET,          /* its own listening socket: serialN: socket, agent: 1 */
  VSC_PVE_HOST_DEVICE,         /* a host device: serialN: /dev/... */
} vsc_pve_native;

typedef struct {
  unsigned int fields;         /* the VSC_SRC_* groups it reads */
  unsigned int flags;          /* VSC_BF_* */
  vsc_mode default_mode;       /* libvirt's mode when none is given (ABSENT: none) */
  vsc_mode option_mode;        /* virt-install's: what the option syntax sets */
  const char *port_name;       /* the virtio port name it defaults to, or NULL */
  const vsc_source_need *needs;/* ends with field VSC_SF_LAST */

  /* QEMU */
  const char *qemu_driver;     /* the -chardev backend; NULL: QEMU has none */
  const char *qemu_driver_parallel;  /* on a <parallel>, when it differs */
  const vsc_qemu_opt *qemu_opts;     /* in QEMU's order; NULL-key terminated */
  const char *qemu_missing_hint;     /* why not on QEMU, what instead */

  /* list and connect */
  vsc_show show;
  unsigned int stream_kinds;   /* VSC_KIND_BIT()s: libvirt opens a stream to it */
  unsigned int direct_kinds;   /* VSC_KIND_BIT()s: vschan opens it itself on the
                                * libvirt host (a pty, or a socket QEMU listens on) */

  /* Proxmox VE */
  vsc_pve_native pve;

  /* list and connect: what to do instead when it carries no stream */
  const char *unreachable_hint;           /* NULL: by kind */
  const char *unreachable_connect_hint;   /* the same when QEMU connects (unix) */
} vsc_backend_info;

/* The row of a backend (VSC_BACKEND_LAST gives pty's, libvirt's default). */
const vsc_backend_info *vsc_backend_info_of(vsc_backend b);
/* The row of dev's effective backend. */
const vsc_backend_info *vsc_chardev_backend_info(const vsc_chardev *dev);

/* The backends QEMU has, as "a, b or c", for a hint.  Static. */
const char *vsc_backend_qemu_names(void);

/* The host side as `list` shows it: "/run/a.sock (bind)", "127.0.0.1:4555
 * (bind, telnet)", "-".  Caller frees. */
char *vsc_chardev_host_side(const vsc_chardev *dev);

/* How `connect` reaches a live device. */
typedef enum {
  VSC_REACH_NONE,              /* it carries no stream: *hint says what to do */
  VSC_REACH_STREAM,            /* through libvirt (virDomainOpenChannel/Console) */
  VSC_REACH_PTY,               /* the pty at its source path, on the libvirt host */
  VSC_REACH_SOCKET,            /* the socket QEMU listens on, on the libvirt host */
} vsc_reach;

/* local: vschan runs on the libvirt host. */
vsc_reach vsc_chardev_reach(const vsc_chardev *dev, bool local, const char **hint);

/* Whether libvirt generates dev's source path (a unix virtio or xen
 * channel without one), and then listens on it. */
bool vsc_chardev_path_generated(const vsc_chardev *dev);

/* Whether libvirt takes dev's source path for one it generated, drops it
 * at define and generates its own (listening): a unix virtio channel
 * whose path ends in domain-SOMETHING/TARGET-NAME, or is
 * CHANNEL_DIR/SOMETHING.TARGET-NAME (qemuDomainChrDefDropDefaultPath,
 * with the system driver's channel directory). */
bool vsc_chardev_path_dropped(const vsc_chardev *dev);
