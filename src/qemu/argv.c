/* The QEMU arguments for a device set.
 *
 * Three passes: plan what each device becomes (its QEMU device and id),
 * place the virtio ports and check the ISA indices, then write the
 * arguments.  Every problem is recorded and the passes go on, so one run
 * reports every bad device; nothing is returned unless all are good. */
#define _GNU_SOURCE  /* vasprintf */
#include "qemu/qemu.h"

#include "model/backend.h"
#include "model/rules.h"
#include "model/vhost.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/strset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a device becomes on the QEMU side. */
typedef enum {
  FRONT_NONE,           /* nothing: a console that only aliases serial 0 */
  FRONT_VIRTSERIALPORT,
  FRONT_VIRTCONSOLE,
  FRONT_GUESTFWD,
  FRONT_ISA_SERIAL,
  FRONT_USB_SERIAL,
  FRONT_PCI_SERIAL,
  FRONT_ISA_DEBUGCON,
  FRONT_ISA_PARALLEL,
} front_kind;

/* QEMU's MAX_PARALLEL_PORTS (MAX_ISA_SERIAL_PORTS is the rules'). */
enum { ISA_PARALLEL_MAX = 3 };

typedef struct {
  const vsc_chardev *dev;
  front_kind front;
  char *id;
  bool has_nr;
  unsigned int nr;
  bool has_index;
  unsigned int index;
} plan;

typedef struct {
  const vsc_devset *set;
  const vsc_qemu_opts *opts;
  const char *prefix;
  vsc_diags *diags;
  plan *plans;
  size_t nplans;
  char *controller_id;
  vsc_namer ids;               /* the ids given, the controller's too */
  bool failed;
  char **argv;
  size_t argc;
} builder;

/* ---- messages ---- */

/* A device (what, from origin) QEMU's arguments cannot carry. */
static void __attribute__((format(printf, 6, 0)))
vitem_error(builder *b, const vsc_origin *origin, const char *what, const char *rule, const char *hint,
            const char *fmt, va_list ap)
{
  VSC_AUTOFREE(char) msg = NULL;
  vsc_loc loc = { .file = origin->file, .line = origin->line, .pointer = origin->pointer };

  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  vsc_error(b->diags, &loc, rule, hint, "%s: %s", what, msg ? msg : "out of memory");
  b->failed = true;
}

static void dev_error(builder *b, const vsc_chardev *dev, const char *rule, const char *hint,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void dev_error(builder *b, const vsc_chardev *dev, const char *rule, const char *hint,
                      const char *fmt, ...)
{
  VSC_AUTOFREE(char) what = vsc_chardev_describe(dev);
  va_list ap;
  va_start(ap, fmt);
  vitem_error(b, &dev->origin, what, rule, hint, fmt, ap);
  va_end(ap);
}

static void vhost_error(builder *b, const vsc_vhost *dev, const char *rule, const char *hint,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void vhost_error(builder *b, const vsc_vhost *dev, const char *rule, const char *hint,
                        const char *fmt, ...)
{
  VSC_AUTOFREE(char) what = vsc_vhost_describe(dev);
  va_list ap;
  va_start(ap, fmt);
  vitem_error(b, &dev->origin, what, rule, hint, fmt, ap);
  va_end(ap);
}

/* ---- option strings ---- */

/* Append ",key=value" with value checked and escaped; field names the
 * value in a message ("source path"). */
static void opt(builder *b, vsc_buf *out, const vsc_chardev *dev, const char *field,
                const char *key, const char *value)
{
  const char *problem = vsc_qemu_value_problem(value);

  if (problem) {
    dev_error(b, dev, "qemu-value", "remove the character from the value", "%s %s", field,
              problem);
    return;
  }
  VSC_AUTOFREE(char) escaped = vsc_qemu_escape_value(value);
  vsc_buf_printf(out, ",%s=%s", key, escaped);
}

/* A value the device must have: missing or empty is an error. */
static void opt_required(builder *b, vsc_buf *out, const vsc_chardev *dev, const char *field,
                         const char *key, const char *value)
{
  if (!value || !*value) {
    dev_error(b, dev, "qemu-missing", "add it to the device", "%s is missing", field);
    return;
  }
  opt(b, out, dev, field, key, value);
}

static const char *on_off(vsc_tristate t)
{
  return t == VSC_TRI_YES ? "on" : "off";
}

static void push(builder *b, char *arg)
{
  *(char **)vsc_append(&b->argv, &b->argc, sizeof(char *)) = arg;
}

/* ---- numbers in addresses ---- */

/* libvirt reads address numbers with base 0 (decimal or 0x hex). */

static bool address_is(const vsc_chardev *dev, const char *type)
{
  return dev->address.type && strcmp(dev->address.type, type) == 0;
}

/* ---- the chardev ---- */

/* The rules have refused a reconnect in bind mode and one without a
 * timeout. */
static void reconnect_values(builder *b, vsc_buf *out, vsc_tristate enabled, unsigned int timeout)
{
  /* QEMU 9.2 renamed it (in milliseconds) and deprecated the old name. */
  bool ms = b->opts->qemu_version >= VSC_QEMU_VERSION(9, 2);
  if (enabled == VSC_TRI_NO)
    vsc_buf_add(out, ms ? ",reconnect-ms=0" : ",reconnect=0");
  else if (ms)
    vsc_buf_printf(out, ",reconnect-ms=%llu", timeout * 1000ull);
  else
    vsc_buf_printf(out, ",reconnect=%u", timeout);
}

static void reconnect_opts(builder *b, vsc_buf *out, const vsc_source *src, bool listen)
{
  if (!src || !src->has_reconnect || src->reconnect.enabled == VSC_TRI_ABSENT || listen)
    return;
  reconnect_values(b, out, src->reconnect.enabled, src->reconnect.timeout);
}

/* A unix channel without a path: libvirt's names, the port name when it
 * makes a file name, else vioser-<controller>-<bus>-<port>.sock. */
static void generated_path_opt(builder *b, vsc_buf *out, const plan *p, const char *key)
{
  const char *name = p->dev->target.name;
  VSC_AUTOFREE(char) generated = NULL;

  if (!b->opts->socket_dir) {
    dev_error(b, p->dev, "qemu-missing", "give a source path, or a socket directory",
              "source path is missing");
    return;
  }
  if (name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
    generated = vsc_asprintf("%s/%s", b->opts->socket_dir, name);
  else if (p->has_nr)
    generated = vsc_asprintf("%s/vioser-00-00-%02u.sock", b->opts->socket_dir, p->nr);
  else
    generated = vsc_asprintf("%s/%s.sock", b->opts->socket_dir, p->id);
  opt(b, out, p->dev, "generated socket path", key, generated);
}

/* One option of the backend's row.  Returns whether it was a socket
 * path qemu-args generated (QEMU then listens on it). */
static bool backend_opt(builder *b, vsc_buf *out, const plan *p, const vsc_qemu_opt *q)
{
  const vsc_chardev *dev = p->dev;
  bool bind_end = q->flags & VSC_QOPT_BIND_END;
  const vsc_source *src = bind_end ? vsc_chardev_udp_bind_source(dev) : vsc_chardev_main_source(dev);

  if (q->field < 0) {
    vsc_buf_printf(out, ",%s=%s", q->key, q->value);
    return false;
  }
  const vsc_source_field *f = &vsc_source_fields[q->field];
  if (q->flags & VSC_QOPT_ONOFF) {
    int v = src ? vsc_source_field_int(src, f) : 0;
    if (v)
      vsc_buf_printf(out, ",%s=%s", q->key, v == q->on ? "on" : "off");
    return false;
  }
  if (f->type == VSC_FIELD_UINT) {
    if (src && vsc_source_field_given(src, f))
      vsc_buf_printf(out, ",%s=%u", q->key, *(const unsigned int *)vsc_source_field_cptr(src, f));
    return false;
  }
  const char *v = src ? vsc_source_field_string(src, f) : NULL;
  if (!v && (q->flags & VSC_QOPT_GENERATED)) {
    generated_path_opt(b, out, p, q->key);
    return true;
  }
  VSC_AUTOFREE(char) label = vsc_asprintf("%s %s", bind_end ? "bind source" : "source", f->name);
  if (q->flags & VSC_QOPT_REQUIRED)
    opt_required(b, out, dev, label, q->key, v);
  else if (v || q->value)
    opt(b, out, dev, label, q->key, v ? v : q->value);
  return false;
}

/* The backend and its options, as the backend's row maps the source
 * fields, without "id=".  Returns QEMU's name of the backend. */
static const char *chardev_backend_opts(builder *b, vsc_buf *out, const plan *p)
{
  const vsc_chardev *dev = p->dev;
  const vsc_backend_info *bi = vsc_chardev_backend_info(dev);
  const vsc_source *src = vsc_chardev_main_source(dev);
  const char *driver = dev->kind == VSC_KIND_PARALLEL && bi->qemu_driver_parallel
                         ? bi->qemu_driver_parallel : bi->qemu_driver;
  bool generated = false;

  if (!driver) {
    dev_error(b, dev, "qemu-unsupported", bi->qemu_missing_hint, "backend '%s' does not exist on QEMU",
              vsc_backend_to_string(vsc_chardev_backend(dev)));
    return "null";
  }
  for (const vsc_qemu_opt *q = bi->qemu_opts; q->key; q++)
    generated |= backend_opt(b, out, p, q);
  if (!(bi->flags & VSC_BF_QEMU_SOCKET))
    return driver;
  bool listen = generated || (src && src->mode == VSC_MODE_BIND);
  if ((bi->flags & VSC_BF_PROTOCOL) && dev->protocol == VSC_PROTOCOL_TELNET)
    vsc_buf_add(out, ",telnet=on");
  /* QEMU >= 6 form; the short "server,nowait" is deprecated.  A server
   * that waits holds the guest's start until its client comes. */
  if (listen)
    vsc_buf_add(out, src && src->wait == VSC_TRI_YES ? ",server=on,wait=on" : ",server=on,wait=off");
  reconnect_opts(b, out, src, listen);
  /* the credentials object comes first on the command line (tls_object) */
  if (src && src->tls == VSC_TRI_YES)
    vsc_buf_printf(out, ",tls-creds=%s-tls", p->id);
  return driver;
}

/* A tcp source with tls=yes: its x509 credentials, as libvirt makes them
 * from qemu.conf (an endpoint of the socket's side, the directory, and
 * whether the peer's certificate is verified). */
static void tls_object(builder *b, const plan *p)
{
  const vsc_source *src = vsc_chardev_main_source(p->dev);
  if (!src || src->tls != VSC_TRI_YES || !(vsc_chardev_backend_info(p->dev)->fields & VSC_SRC_TLS))
    return;
  vsc_buf out = { 0 };
  vsc_buf_printf(&out, "tls-creds-x509,id=%s-tls", p->id);
  opt(b, &out, p->dev, "TLS directory", "dir", b->opts->tls_dir ? b->opts->tls_dir : VSC_QEMU_TLS_DIR);
  vsc_buf_printf(&out, ",endpoint=%s,verify-peer=%s", src->mode == VSC_MODE_BIND ? "server" : "client",
                 b->opts->tls_no_verify ? "off" : "on");
  push(b, vsc_strdup("-object"));
  push(b, vsc_buf_steal(&out));
}

static char *chardev_arg(builder *b, const plan *p)
{
  vsc_buf opts = { 0 }, out = { 0 };
  const char *backend = chardev_backend_opts(b, &opts, p);

  if (p->dev->log_file) {
    opt_required(b, &opts, p->dev, "log file", "logfile", p->dev->log_file);
    if (p->dev->log_append != VSC_TRI_ABSENT)
      vsc_buf_printf(&opts, ",logappend=%s", on_off(p->dev->log_append));
  }
  /* the monitor shares the chardev with the device (QEMU's mon:) */
  if (p->dev->monitor == VSC_TRI_YES)
    vsc_buf_add(&opts, ",mux=on");
  vsc_buf_printf(&out, "%s,id=%s%s", backend, p->id, opts.data ? opts.data : "");
  vsc_buf_clear(&opts);
  return vsc_buf_steal(&out);
}

/* ---- planning ---- */

static bool has_virtio_address(const vsc_chardev *dev)
{
  return address_is(dev, "virtio-serial");
}

/* What the device becomes.  The rules have refused every target that
 * does not exist on x86 QEMU (target-missing, target-type, target-arch,
 * xen-target, system-serial-arch) and models that do not fit. */
static front_kind front_for(builder *b, const vsc_chardev *dev)
{
  vsc_target_type tt = vsc_chardev_target_type(dev);

  switch (tt) {
  case VSC_TARGET_VIRTIO:
    return dev->kind == VSC_KIND_CONSOLE ? FRONT_VIRTCONSOLE : FRONT_VIRTSERIALPORT;
  case VSC_TARGET_GUESTFWD:
    return FRONT_GUESTFWD;
  case VSC_TARGET_SERIAL:
    /* libvirt's compat console: an alias of the first serial port, which
     * it creates when there is none. */
    return vsc_devset_first(b->set, VSC_KIND_SERIAL) ? FRONT_NONE : FRONT_ISA_SERIAL;
  case VSC_TARGET_ISA_SERIAL:
    return FRONT_ISA_SERIAL;
  case VSC_TARGET_USB_SERIAL:
    return FRONT_USB_SERIAL;
  case VSC_TARGET_PCI_SERIAL:
    return FRONT_PCI_SERIAL;
  case VSC_TARGET_ISA_DEBUG:
    return FRONT_ISA_DEBUGCON;
  case VSC_TARGET_ABSENT:
    if (dev->kind == VSC_KIND_PARALLEL)
      return FRONT_ISA_PARALLEL;
    break;
  case VSC_TARGET_XEN:
  case VSC_TARGET_SCLP:
  case VSC_TARGET_SCLPLM:
  case VSC_TARGET_LXC:
  case VSC_TARGET_OPENVZ:
  case VSC_TARGET_UML:
  case VSC_TARGET_SPAPR_VIO_SERIAL:
  case VSC_TARGET_SYSTEM_SERIAL:
  case VSC_TARGET_SCLP_SERIAL:
  case VSC_TARGET_LAST:
    break;
  }
  dev_error(b, dev, "qemu-unsupported", "see vschan-spec(5) for the target types of each element",
            "%s target type '%s' has no device on x86 QEMU", vsc_kind_to_string(dev->kind),
            vsc_target_type_to_string(tt));
  return FRONT_NONE;
}

/* The readable part of an id: the alias without libvirt's "ua-", the
 * virtio name, or the kind and port. */
static char *id_base(const vsc_chardev *dev, front_kind front)
{
  const char *kind = vsc_kind_to_string(dev->kind);

  if (dev->alias && *dev->alias) {
    const char *bare = vsc_alias_bare(dev->alias);
    return vsc_strdup(*bare ? bare : dev->alias);
  }
  if ((front == FRONT_VIRTSERIALPORT || front == FRONT_VIRTCONSOLE) && dev->target.name &&
      *dev->target.name)
    return vsc_strdup(dev->target.name);
  if (front == FRONT_GUESTFWD && dev->target.address && dev->target.has_port)
    return vsc_asprintf("guestfwd-%s-%u", dev->target.address, dev->target.port);
  if (dev->has_target && dev->target.has_port)
    return vsc_asprintf("%s%u", kind, dev->target.port);
  return vsc_strdup(kind);
}

/* prefix + base with every character QEMU refuses in an id replaced by
 * '_', then "-2", "-3", ... until it is unused. */
static char *make_id(builder *b, const char *base)
{
  VSC_AUTOFREE(char) clean = vsc_asprintf("%s%s", b->prefix, base);

  for (char *p = clean + strlen(b->prefix); *p; p++) {
    bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_';
    if (!ok)
      *p = '_';
  }
  return vsc_namer_new(&b->ids, clean);
}

static bool is_virtio_port(front_kind f)
{
  return f == FRONT_VIRTSERIALPORT || f == FRONT_VIRTCONSOLE;
}

/* Explicit virtio-serial addresses: vschan's own controller has one bus,
 * 0, and is controller 0, or the index the set's controller has (a
 * domain whose one virtio-serial controller is index 1). */
static void read_virtio_address(builder *b, plan *p)
{
  const vsc_chardev *dev = p->dev;
  const char *s;
  unsigned int v;

  if (!dev->address.type)
    return;
  if (!has_virtio_address(dev)) {
    dev_error(b, dev, "qemu-address", "use an address of type 'virtio-serial' or none",
              "address type '%s' does not fit a virtio port", dev->address.type);
    return;
  }
  for (size_t i = 0; i < dev->address.nattrs; i++) {
    const vsc_attr *a = &dev->address.attrs[i];
    if (strcmp(a->key, "controller") == 0 || strcmp(a->key, "bus") == 0) {
      const vsc_controller *c = &b->set->controller;
      unsigned int own = strcmp(a->key, "controller") == 0 && c->present && c->has_index ? c->index : 0;
      if (!vsc_str_to_uint(a->value, UINT_MAX, &v) || v != own)
        dev_error(b, dev, "qemu-address", "remove the attribute, or name the one controller's index and bus 0",
                  "address %s '%s' does not exist: qemu-args has one controller with one bus",
                  a->key, a->value);
    } else if (strcmp(a->key, "port") != 0) {
      dev_error(b, dev, "qemu-address", NULL, "unknown virtio-serial address attribute '%s'",
                a->key);
    }
  }
  s = vsc_address_get(&dev->address, "port");
  if (!s)
    return;
  if (!vsc_str_to_uint(s, UINT_MAX, &v)) {
    dev_error(b, dev, "qemu-address", "give a port number", "address port '%s' is not a number",
              s);
    return;
  }
  /* libvirt treats port 0 of a channel as unassigned; a console may sit
   * on port 0, which QEMU keeps for virtconsole. */
  if (v == 0 && p->front == FRONT_VIRTSERIALPORT)
    return;
  p->has_nr = true;
  p->nr = v;
}

static unsigned int virtio_port_limit(const builder *b)
{
  const vsc_controller *c = &b->set->controller;
  return c->present && c->has_ports && c->ports > 0 ? c->ports : VSC_VIRTIO_SERIAL_DEFAULT_PORTS;
}

static int by_nr(const void *x, const void *y)
{
  const plan *p = *(const plan *const *)x, *q = *(const plan *const *)y;
  if (p->nr != q->nr)
    return p->nr < q->nr ? -1 : 1;
  return p < q ? -1 : p > q;
}

/* For each virtio port given a number, the earlier port with the same
 * number (or NULL): sorted by number, in n log n. */
static const plan **earlier_holders(const builder *b)
{
  const plan **holder = vsc_calloc(b->nplans + 1, sizeof(*holder)); // NOLINT(bugprone-sizeof-expression)
  const plan **given = vsc_calloc(b->nplans + 1, sizeof(*given));   // NOLINT(bugprone-sizeof-expression)
  size_t n = 0;
  for (size_t i = 0; i < b->nplans; i++)
    if (is_virtio_port(b->plans[i].front) && b->plans[i].has_nr)
      given[n++] = &b->plans[i];
  qsort(given, n, sizeof(*given), by_nr); // NOLINT(bugprone-sizeof-expression)
  for (size_t k = 1, first = 0; k < n; k++) {
    if (given[k]->nr != given[first]->nr)
      first = k;
    else
      holder[given[k] - b->plans] = given[first];
  }
  free(given);
  return holder;
}

static void place_virtio_ports(builder *b)
{
  unsigned int limit = virtio_port_limit(b);
  /* n ports leave a free number below n + 2: only those are tracked */
  size_t ntracked = limit < b->nplans + 2 ? limit : b->nplans + 2;
  bool *taken = vsc_calloc(ntracked, sizeof(*taken));
  const plan **holder = earlier_holders(b);

  for (size_t i = 0; i < b->nplans; i++) {
    plan *p = &b->plans[i];
    if (!is_virtio_port(p->front) || !p->has_nr)
      continue;
    if (p->nr >= limit) {
      dev_error(b, p->dev, "qemu-port", "use a lower port or raise the controller's ports",
                "virtio-serial port %u is beyond the controller's %u ports", p->nr, limit);
    } else if (holder[i]) {
      VSC_AUTOFREE(char) them = vsc_chardev_describe(holder[i]->dev);
      dev_error(b, p->dev, "qemu-port", "give each device its own port",
                "virtio-serial port %u is already taken by %s", p->nr, them);
    }
    if (p->nr < ntracked)
      taken[p->nr] = true;
  }
  /* What libvirt and QEMU end up with: the first console on port 0,
   * channels from 1, further consoles on the next free port.  Ports are
   * only taken, so the lowest free one never moves back. */
  unsigned int next = 1;
  for (int pass = 0; pass < 3; pass++) {
    front_kind want = pass == 1 ? FRONT_VIRTSERIALPORT : FRONT_VIRTCONSOLE;
    for (size_t i = 0; i < b->nplans; i++) {
      plan *p = &b->plans[i];
      if (p->front != want || p->has_nr)
        continue;
      if (pass == 0) {
        if (!taken[0])
          p->has_nr = taken[0] = true;  /* p->nr is 0 */
        break;
      }
      while (next < ntracked && taken[next])
        next++;
      if (next >= limit) {
        dev_error(b, p->dev, "qemu-port", "remove devices or raise the controller's ports",
                  "no free virtio-serial port: the controller has %u", limit);
        continue;
      }
      p->has_nr = taken[next] = true;
      p->nr = next;
    }
  }
  free(taken);
  free(holder);
}

/* ISA serial and parallel ports: index = target port, below QEMU's
 * limit.  How many there are and that each index is used once is the
 * rules' for serial ports (isa-serial-max, serial-port-unique); libvirt
 * has no such rule for parallel ports, so it is checked here. */
static void place_isa_ports(builder *b, front_kind front, unsigned int max, const char *what)
{
  size_t count = 0;
  bool counted = front == FRONT_ISA_PARALLEL;
  const plan *holder[8] = { 0 };  /* the port at each index */

  _Static_assert(VSC_ISA_SERIAL_MAX <= 8 && ISA_PARALLEL_MAX <= 8, "holder[] has a slot per index");

  for (size_t i = 0; i < b->nplans; i++) {
    plan *p = &b->plans[i];
    if (p->front != front)
      continue;
    if (counted && ++count == max + 1)
      dev_error(b, p->dev, "qemu-isa-count", "remove a port",
                "more than %u %s ports: QEMU has no more", max, what);
    if (p->dev->kind == VSC_KIND_CONSOLE) {
      p->has_index = true;  /* the compat console is serial port 0 */
      p->index = p->dev->has_target && p->dev->target.has_port ? p->dev->target.port : 0;
    } else if (p->dev->has_target && p->dev->target.has_port) {
      p->has_index = true;
      p->index = p->dev->target.port;
    }
    if (!p->has_index)
      continue;
    if (p->index >= max) {
      dev_error(b, p->dev, "qemu-isa-index", "use a port number below the limit",
                "%s port %u does not exist: QEMU has ports 0 to %u", what, p->index, max - 1);
      continue;
    }
    if (counted && holder[p->index]) {
      VSC_AUTOFREE(char) them = vsc_chardev_describe(holder[p->index]->dev);
      dev_error(b, p->dev, "qemu-isa-index", "give each port its own number",
                "%s port %u is already taken by %s", what, p->index, them);
    } else if (counted) {
      holder[p->index] = p;
    }
  }
}

static void check_address_fits(builder *b, const plan *p)
{
  const char *type = p->dev->address.type;

  if (!type || is_virtio_port(p->front))
    return;
  if ((p->front == FRONT_ISA_SERIAL || p->front == FRONT_ISA_DEBUGCON ||
       p->front == FRONT_ISA_PARALLEL) && strcmp(type, "isa") == 0)
    return;
  if (p->front == FRONT_PCI_SERIAL && strcmp(type, "pci") == 0)
    return;
  dev_error(b, p->dev, "qemu-address", "remove the address",
            "address type '%s' cannot be expressed for this device", type);
}

static void plan_devices(builder *b)
{
  const vsc_devset *set = b->set;

  b->plans = vsc_calloc(set->ndevs ? set->ndevs : 1, sizeof(*b->plans));
  b->controller_id = vsc_asprintf("%svser0", b->prefix);
  vsc_namer_take(&b->ids, b->controller_id);
  for (size_t i = 0; i < set->ndevs; i++) {
    plan *p = &b->plans[b->nplans];
    p->dev = set->devs[i];
    p->front = front_for(b, p->dev);
    if (p->front == FRONT_NONE)
      continue;
    VSC_AUTOFREE(char) base = id_base(p->dev, p->front);
    p->id = make_id(b, base);
    if (vsc_qemu_id_reserved(p->id))
      dev_error(b, p->dev, "qemu-id-collision", "choose another --prefix, or another alias",
                "id '%s' would collide with one qemu-server or libvirt uses for its own objects",
                p->id);
    b->nplans++;
    if (is_virtio_port(p->front))
      read_virtio_address(b, p);
    else
      check_address_fits(b, p);
    if (p->dev->has_acpi_index && p->front != FRONT_PCI_SERIAL)
      dev_error(b, p->dev, "qemu-address", "remove the ACPI index",
                "an ACPI index fits only a PCI device");
  }
  place_virtio_ports(b);
  place_isa_ports(b, FRONT_ISA_SERIAL, VSC_ISA_SERIAL_MAX, "ISA serial");
  place_isa_ports(b, FRONT_ISA_PARALLEL, ISA_PARALLEL_MAX, "parallel");
}

/* ---- the device ---- */

static void isa_address_opts(builder *b, vsc_buf *out, const vsc_chardev *dev)
{
  for (size_t i = 0; i < dev->address.nattrs; i++) {
    const vsc_attr *a = &dev->address.attrs[i];
    unsigned int v;
    bool known = strcmp(a->key, "iobase") == 0 || strcmp(a->key, "irq") == 0;
    if (!known) {
      dev_error(b, dev, "qemu-address", NULL, "unknown isa address attribute '%s'", a->key);
    } else if (!vsc_str_to_uint(a->value, strcmp(a->key, "irq") == 0 ? 15 : 0xffff, &v)) {
      dev_error(b, dev, "qemu-address", "give a number such as 0x3f8",
                "isa address %s '%s' is not a valid number", a->key, a->value);
    } else {
      vsc_buf_printf(out, strcmp(a->key, "irq") == 0 ? ",%s=%u" : ",%s=0x%x", a->key, v);
    }
  }
}

/* pci address of a chardev's or a vhost-user device's (one of dev,
 * vhost), for messages. */
static void address_error(builder *b, const vsc_chardev *dev, const vsc_vhost *vhost, const char *hint,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void address_error(builder *b, const vsc_chardev *dev, const vsc_vhost *vhost, const char *hint,
                          const char *fmt, ...)
{
  VSC_AUTOFREE(char) what = dev ? vsc_chardev_describe(dev) : vsc_vhost_describe(vhost);
  va_list ap;
  va_start(ap, fmt);
  vitem_error(b, dev ? &dev->origin : &vhost->origin, what, "qemu-address", hint, fmt, ap);
  va_end(ap);
}

static void pci_address_opts(builder *b, vsc_buf *out, const vsc_address *addr, const vsc_chardev *dev,
                             const vsc_vhost *vhost)
{
  unsigned int domain = 0, bus = 0, slot = 0, function = 0;
  const char *s;

  if (!addr->type || strcmp(addr->type, "pci") != 0)
    return;
  for (size_t i = 0; i < addr->nattrs; i++) {
    const char *k = addr->attrs[i].key;
    if (strcmp(k, "domain") != 0 && strcmp(k, "bus") != 0 && strcmp(k, "slot") != 0 &&
        strcmp(k, "function") != 0)
      address_error(b, dev, vhost, NULL, "unknown pci address attribute '%s'", k);
  }
  if ((s = vsc_address_get(addr, "domain")) && !vsc_str_to_uint(s, 0, &domain))
    address_error(b, dev, vhost, "use domain 0", "pci address domain '%s' is not 0", s);
  if ((s = vsc_address_get(addr, "bus")) && !vsc_str_to_uint(s, 0xff, &bus))
    address_error(b, dev, vhost, NULL, "pci address bus '%s' is not valid", s);
  if ((s = vsc_address_get(addr, "slot")) && !vsc_str_to_uint(s, 0x1f, &slot))
    address_error(b, dev, vhost, NULL, "pci address slot '%s' is not valid", s);
  if ((s = vsc_address_get(addr, "function")) && !vsc_str_to_uint(s, 7, &function))
    address_error(b, dev, vhost, NULL, "pci address function '%s' is not valid", s);
  /* libvirt's names: the root bus is pcie.0 on q35 and pci.0 elsewhere, bus
   * N its controller pci.N (also qemu-server's names). */
  const char *m = b->opts->machine;
  bool q35 = m && (strncmp(m, "q35", 3) == 0 || strncmp(m, "pc-q35", 6) == 0);
  if (bus == 0 && q35)
    vsc_buf_printf(out, ",bus=pcie.0,addr=0x%x", slot);
  else
    vsc_buf_printf(out, ",bus=pci.%u,addr=0x%x", bus, slot);
  if (function)
    vsc_buf_printf(out, ".0x%x", function);
}

static void device_args(builder *b, const plan *p)
{
  const vsc_chardev *dev = p->dev;
  vsc_buf out = { 0 };

  switch (p->front) {
  case FRONT_NONE:
    return;
  case FRONT_GUESTFWD:
    push(b, vsc_strdup("-netdev"));
    vsc_buf_printf(&out, "user,id=%s", p->id);
    if (dev->target.address) {
      VSC_AUTOFREE(char) fwd = vsc_asprintf("tcp:%s:%u-chardev:%s", dev->target.address,
                                            dev->target.port, p->id);
      opt(b, &out, dev, "guestfwd", "guestfwd", fwd);
    }
    push(b, vsc_buf_steal(&out));
    return;
  case FRONT_VIRTSERIALPORT:
  case FRONT_VIRTCONSOLE: {
    const char *name = dev->target.name;
    /* libvirt names the port of spicevmc and qemu-vdagent itself */
    if (!name && p->front == FRONT_VIRTSERIALPORT)
      name = vsc_chardev_backend_info(dev)->port_name;
    vsc_buf_printf(&out, "%s,bus=%s.0,nr=%u,chardev=%s,id=%s",
                   p->front == FRONT_VIRTCONSOLE ? "virtconsole" : "virtserialport",
                   b->controller_id, p->nr, p->id, p->id);
    if (name)
      opt_required(b, &out, dev, "target name", "name", name);
    break;
  }
  case FRONT_ISA_SERIAL:
    vsc_buf_printf(&out, "isa-serial,chardev=%s,id=%s", p->id, p->id);
    if (p->has_index)
      vsc_buf_printf(&out, ",index=%u", p->index);
    isa_address_opts(b, &out, dev);
    break;
  case FRONT_USB_SERIAL:
    vsc_buf_printf(&out, "usb-serial,chardev=%s,id=%s", p->id, p->id);
    break;
  case FRONT_PCI_SERIAL:
    vsc_buf_printf(&out, "pci-serial,chardev=%s,id=%s", p->id, p->id);
    pci_address_opts(b, &out, &dev->address, dev, NULL);
    if (dev->has_acpi_index)
      vsc_buf_printf(&out, ",acpi-index=%u", dev->acpi_index);
    break;
  case FRONT_ISA_DEBUGCON:
    vsc_buf_printf(&out, "isa-debugcon,chardev=%s,id=%s", p->id, p->id);
    isa_address_opts(b, &out, dev);
    break;
  case FRONT_ISA_PARALLEL:
    vsc_buf_printf(&out, "isa-parallel,chardev=%s,id=%s", p->id, p->id);
    if (p->has_index)
      vsc_buf_printf(&out, ",index=%u", p->index);
    isa_address_opts(b, &out, dev);
    break;
  }
  push(b, vsc_strdup("-device"));
  push(b, vsc_buf_steal(&out));
}

static void controller_args(builder *b)
{
  const vsc_controller *c = &b->set->controller;
  vsc_buf out = { 0 };
  bool needed = false;

  for (size_t i = 0; i < b->nplans; i++)
    needed |= is_virtio_port(b->plans[i].front);
  if (!needed)
    return;
  vsc_buf_printf(&out, "virtio-serial-pci,id=%s", b->controller_id);
  if (b->opts->controller_bus)
    vsc_buf_printf(&out, ",bus=%s", b->opts->controller_bus);
  if (b->opts->controller_addr)
    vsc_buf_printf(&out, ",addr=%s", b->opts->controller_addr);
  if (c->present && c->has_ports)
    vsc_buf_printf(&out, ",max_ports=%u", c->ports);
  if (c->present && c->has_vectors)
    vsc_buf_printf(&out, ",vectors=%u", c->vectors);
  push(b, vsc_strdup("-device"));
  push(b, vsc_buf_steal(&out));
}

static void opts_error(builder *b, const char *rule, const char *hint, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

static void opts_error(builder *b, const char *rule, const char *hint, const char *fmt, ...)
{
  VSC_AUTOFREE(char) msg = NULL;
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  vsc_error(b->diags, NULL, rule, hint, "%s", msg ? msg : "out of memory");
  b->failed = true;
}

/* bus= and addr= of the controller come from the command line: a bus
 * id and a PCI slot[.function], nothing that could carry an option. */
static void check_opts(builder *b)
{
  const vsc_qemu_opts *o = b->opts;

  if (!vsc_qemu_id_valid(b->prefix))
    opts_error(b, "qemu-id-prefix", "start with a letter; use letters, digits, '-', '.' and '_'",
               "id prefix '%s' is not a valid QEMU id", b->prefix);
  if (o->controller_bus && !vsc_qemu_id_valid(o->controller_bus))
    opts_error(b, "qemu-bus", "give a bus id such as 'pci.2'",
               "controller bus '%s' is not a valid QEMU bus id", o->controller_bus);
  if (o->controller_addr) {
    const char *a = o->controller_addr;
    bool ok = *a != '\0';
    for (; *a; a++)
      ok &= (*a >= '0' && *a <= '9') || (*a >= 'a' && *a <= 'f') || (*a >= 'A' && *a <= 'F') ||
            *a == 'x' || *a == 'X' || *a == '.';
    if (!ok)
      opts_error(b, "qemu-addr", "give a slot such as '0x1f' or '0x1f.0x1'",
                 "controller address '%s' is not a PCI slot", o->controller_addr);
  }
  if (o->socket_dir) {
    const char *problem = vsc_qemu_value_problem(o->socket_dir);
    if (problem)
      opts_error(b, "qemu-value", "choose another directory", "socket directory %s", problem);
  }
}

/* ---- vhost-user devices and the guest memory they share ---- */

/* ",key=value" for a vhost-user device, value checked and escaped. */
static void vhost_opt(builder *b, vsc_buf *out, const vsc_vhost *dev, const char *field, const char *key,
                      const char *value)
{
  const char *problem = vsc_qemu_value_problem(value);
  if (problem) {
    vhost_error(b, dev, "qemu-value", "remove the character from the value", "%s %s", field, problem);
    return;
  }
  VSC_AUTOFREE(char) escaped = vsc_qemu_escape_value(value);
  vsc_buf_printf(out, ",%s=%s", key, escaped);
}

/* ",key=N" for a number field, when given. */
static void vhost_number_opt(vsc_buf *out, const vsc_vhost *dev, vsc_vhost_field_id field, const char *key)
{
  const char *v = vsc_vhost_get(dev, field);
  if (v)
    vsc_buf_printf(out, ",%s=%lu", key, strtoul(v, NULL, 10));
}

static char *vhost_id_base(const vsc_vhost *dev)
{
  const char *alias = vsc_vhost_get(dev, VSC_VF_ALIAS);
  if (alias && *alias) {
    const char *bare = vsc_alias_bare(alias);
    return vsc_strdup(*bare ? bare : alias);
  }
  switch (dev->kind) {
  case VSC_VHOST_FS:
    return vsc_asprintf("fs-%s", vsc_vhost_get(dev, VSC_VF_TARGET_DIR) ? vsc_vhost_get(dev, VSC_VF_TARGET_DIR) : "");
  case VSC_VHOST_BLK:
    return vsc_asprintf("disk-%s", vsc_vhost_get(dev, VSC_VF_TARGET_DEV) ? vsc_vhost_get(dev, VSC_VF_TARGET_DEV) : "");
  case VSC_VHOST_NET:
    return vsc_strdup("net");
  case VSC_VHOST_OTHER:
    return vsc_strdup(dev->qemu_driver ? dev->qemu_driver : "vhost-user");
  case VSC_VHOST_VSOCK:
  case VSC_VHOST_RNG:
  case VSC_VHOST_GPIO:
  case VSC_VHOST_I2C:
  case VSC_VHOST_INPUT:
  case VSC_VHOST_SCSI:
  case VSC_VHOST_LAST:
    break;
  }
  return vsc_asprintf("vhost-user-%s", vsc_vhost_kind_to_string(dev->kind));
}

/* -chardev socket to the daemon, as libvirt writes it. */
static void vhost_chardev_args(builder *b, const vsc_vhost *dev, const char *id)
{
  vsc_buf out = { 0 };
  const char *enabled = vsc_vhost_get(dev, VSC_VF_RECONNECT_ENABLED);
  const char *timeout = vsc_vhost_get(dev, VSC_VF_RECONNECT_TIMEOUT);

  vsc_buf_printf(&out, "socket,id=%s", id);
  vhost_opt(b, &out, dev, "socket path", "path", vsc_vhost_socket(dev));
  if (vsc_vhost_listens(dev))
    vsc_buf_add(&out, ",server=on");
  else if (enabled)
    reconnect_values(b, &out, strcmp(enabled, "yes") == 0 ? VSC_TRI_YES : VSC_TRI_NO,
                     timeout ? (unsigned int)strtoul(timeout, NULL, 10) : 0);
  push(b, vsc_strdup("-chardev"));
  push(b, vsc_buf_steal(&out));
}

/* virtio-net-pci's name for a model: virtio-net-pci[-transitional|-non-transitional]. */
static const char *net_device(const vsc_vhost *dev)
{
  const char *model = vsc_vhost_get(dev, VSC_VF_MODEL_TYPE);
  if (model && strcmp(model, "virtio-transitional") == 0)
    return "virtio-net-pci-transitional";
  if (model && strcmp(model, "virtio-non-transitional") == 0)
    return "virtio-net-pci-non-transitional";
  return "virtio-net-pci";
}

static void vhost_device_args(builder *b, const vsc_vhost *dev)
{
  VSC_AUTOFREE(char) base = vhost_id_base(dev);
  VSC_AUTOFREE(char) id = make_id(b, base);
  vsc_buf out = { 0 };

  if (dev->kind == VSC_VHOST_FS && !vsc_vhost_socket(dev)) {
    vhost_error(b, dev, "qemu-virtiofsd",
                "run virtiofsd yourself (virtiofsd --socket-path=SOCKET -o source=DIR) and give source.socket",
                "QEMU does not start virtiofsd for source.dir: only libvirt does");
    return;
  }
  vhost_chardev_args(b, dev, id);
  if (dev->kind == VSC_VHOST_NET) {
    vsc_buf_printf(&out, "vhost-user,chardev=%s,id=%s", id, id);
    vhost_number_opt(&out, dev, VSC_VF_DRIVER_QUEUES, "queues");
    push(b, vsc_strdup("-netdev"));
    push(b, vsc_buf_steal(&out));
    vsc_buf_printf(&out, "%s,netdev=%s,id=%s", net_device(dev), id, id);
    if (vsc_vhost_get(dev, VSC_VF_MAC))
      vhost_opt(b, &out, dev, "MAC address", "mac", vsc_vhost_get(dev, VSC_VF_MAC));
    const char *queues = vsc_vhost_get(dev, VSC_VF_DRIVER_QUEUES);
    unsigned long nq = queues ? strtoul(queues, NULL, 10) : 1;
    if (nq > 1)   /* as libvirt: a vector per queue each way, config and control */
      vsc_buf_printf(&out, ",mq=on,vectors=%lu", 2 * nq + 2);
    vhost_number_opt(&out, dev, VSC_VF_DRIVER_RX_QUEUE_SIZE, "rx_queue_size");
    vhost_number_opt(&out, dev, VSC_VF_DRIVER_TX_QUEUE_SIZE, "tx_queue_size");
  } else {
    vsc_buf_printf(&out, "%s,chardev=%s,id=%s", vsc_vhost_qemu_device(dev), id, id);
    if (dev->kind == VSC_VHOST_FS) {
      vhost_opt(b, &out, dev, "target dir", "tag", vsc_vhost_get(dev, VSC_VF_TARGET_DIR));
      vhost_number_opt(&out, dev, VSC_VF_DRIVER_QUEUE, "queue-size");
    }
    if (dev->kind == VSC_VHOST_BLK)
      vhost_number_opt(&out, dev, VSC_VF_DRIVER_QUEUES, "num-queues");
    for (size_t i = 0; i < dev->nproperties; i++) {
      VSC_AUTOFREE(char) field = vsc_asprintf("property %s", dev->properties[i].key);
      vhost_opt(b, &out, dev, field, dev->properties[i].key, dev->properties[i].value);
    }
  }
  vhost_number_opt(&out, dev, VSC_VF_BOOT_ORDER, "bootindex");
  pci_address_opts(b, &out, &dev->address, NULL, dev);
  if (dev->address.type && strcmp(dev->address.type, "pci") != 0)
    vhost_error(b, dev, "qemu-address", "give a pci address, or none", "a '%s' address: the device is on PCI",
                dev->address.type);
  push(b, vsc_strdup("-device"));
  push(b, vsc_buf_steal(&out));
}

int vsc_qemu_memory_parse(const char *s, unsigned long long *bytes)
{
  char *end = NULL;
  if (!s || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  unsigned long long n = strtoull(s, &end, 10);
  unsigned int shift = 20;
  if (errno || n == 0)
    return -1;
  if (*end) {
    const char *suffixes = "KMGT";
    const char *at = strchr(suffixes, *end >= 'a' ? *end - 'a' + 'A' : *end);
    if (!at || end[1])
      return -1;
    shift = 10 * (unsigned int)(at - suffixes + 1);
  }
  if (n > (ULLONG_MAX >> shift))
    return -1;
  *bytes = n << shift;
  return 0;
}

/* The guest's memory as a shared memfd object, once: vhost-user daemons
 * map it through the file descriptor QEMU passes them.  Bound with
 * -machine memory-backend= (QEMU >= 5.0), which leaves -numa to the user. */
static void memory_args(builder *b)
{
  const vsc_devset *set = b->set;
  const vsc_memory_backing *m = &set->memory;
  unsigned long long bytes;
  if (set->nvhosts == 0 || b->opts->memory_shared)
    return;
  vsc_loc loc = { .file = m->origin.file, .pointer = m->origin.pointer };
  if (m->present && ((m->access_mode && strcmp(m->access_mode, "shared") != 0) ||
                     (m->source_type && strcmp(m->source_type, "memfd") != 0))) {
    vsc_error(b->diags, &loc, "qemu-memory", "write \"memoryBacking\": {\"source\": {\"type\": \"memfd\"}}, or leave it out",
              "qemu-args shares the guest's memory as memfd; this memoryBacking asks for %s",
              m->access_mode && strcmp(m->access_mode, "shared") != 0 ? "private memory" : "another source");
    b->failed = true;
    return;
  }
  if (!b->opts->memory) {
    vsc_error(b->diags, &loc, "qemu-memory", "give --memory SIZE, the guest's -m (e.g. 4G)",
              "vhost-user devices need the guest's memory shared with their daemons, as an object of the "
              "guest's memory size");
    b->failed = true;
    return;
  }
  if (vsc_qemu_memory_parse(b->opts->memory, &bytes) < 0) {
    vsc_error(b->diags, NULL, "qemu-memory", "give it as -m takes it: 4G, 512M, or a number of MiB",
              "--memory '%s' is not a size", b->opts->memory);
    b->failed = true;
    return;
  }
  VSC_AUTOFREE(char) id = make_id(b, "mem");
  push(b, vsc_strdup("-object"));
  push(b, vsc_asprintf("memory-backend-memfd,id=%s,size=%llu,share=on%s", id, bytes,
                       m->hugepages ? ",hugetlb=on" : ""));
  push(b, vsc_strdup("-machine"));
  push(b, vsc_asprintf("memory-backend=%s", id));
}

void vsc_qemu_argv_free(char **argv, size_t argc)
{
  if (!argv)
    return;
  for (size_t i = 0; i < argc; i++)
    free(argv[i]);
  free(argv);
}

int vsc_qemu_build_argv(const vsc_devset *set, const vsc_qemu_opts *opts,
                        char ***argv, size_t *argc, vsc_diags *diags)
{
  static const vsc_qemu_opts no_opts = { 0 };
  builder b = { .set = set, .opts = opts ? opts : &no_opts, .diags = diags };

  *argv = NULL;
  *argc = 0;
  b.prefix = b.opts->id_prefix ? b.opts->id_prefix : VSC_QEMU_DEFAULT_PREFIX;
  check_opts(&b);
  if (!b.failed) {
    plan_devices(&b);
    controller_args(&b);
    for (size_t i = 0; i < b.nplans; i++) {
      tls_object(&b, &b.plans[i]);
      push(&b, vsc_strdup("-chardev"));
      push(&b, chardev_arg(&b, &b.plans[i]));
      device_args(&b, &b.plans[i]);
      if (b.plans[i].dev->monitor == VSC_TRI_YES) {
        push(&b, vsc_strdup("-mon"));
        push(&b, vsc_asprintf("chardev=%s,mode=readline", b.plans[i].id));
      }
    }
    memory_args(&b);
    for (size_t i = 0; i < set->nvhosts; i++)
      vhost_device_args(&b, set->vhosts[i]);
  }
  for (size_t i = 0; i < b.nplans; i++)
    free(b.plans[i].id);
  free(b.plans);
  free(b.controller_id);
  vsc_namer_clear(&b.ids);
  if (b.failed) {
    vsc_qemu_argv_free(b.argv, b.argc);
    return -1;
  }
  push(&b, NULL);
  *argv = b.argv;
  *argc = b.argc - 1;
  return 0;
}

char *vsc_qemu_device_text(const vsc_chardev *dev, const vsc_qemu_opts *opts)
{
  vsc_devset one;
  vsc_diags quiet = { 0 };
  char **argv = NULL;
  size_t argc = 0;
  vsc_buf b = { 0 };
  vsc_devset_init(&one);
  vsc_devset_add(&one, vsc_chardev_copy(dev));
  if (vsc_qemu_build_argv(&one, opts, &argv, &argc, &quiet) == 0) {
    for (size_t i = 0; i < argc; i++)
      vsc_buf_printf(&b, "%s\n", argv[i]);
    vsc_qemu_argv_free(argv, argc);
  }
  vsc_diags_clear(&quiet);
  vsc_devset_clear(&one);
  char *text = vsc_buf_steal(&b);
  return text ? text : vsc_strdup("");
}
