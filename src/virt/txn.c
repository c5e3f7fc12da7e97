/* Transactions: an undo log of device changes, and the virtio-serial
 * ports vschan hands out. */
#include "txn.h"
#include "model/backend.h"
#include "model/vhost.h"
#include "xml/xml.h"
#include "virt-priv.h"

#include <libvirt/virterror.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONTROLLERS 8
#define MAX_PORTS 512
/* Retries when QEMU holds a port libvirt's address set does not know. */
#define PORT_RETRIES 8

typedef enum {
  UNDO_DETACH_LIVE,
  UNDO_DETACH_CONFIG,
  UNDO_ATTACH_LIVE,
  UNDO_ATTACH_CONFIG,
  UNDO_UNLINK,
  UNDO_UNLINK_FILE,
  UNDO_CONTROLLER,
} undo_kind;

typedef struct {
  undo_kind kind;
  vsc_chardev *dev;   /* what to detach or re-attach, */
  vsc_vhost *vhost;   /* or this vhost-user device */
  char *text;         /* UNLINK, UNLINK_FILE: the path; CONTROLLER: its XML */
} undo;

struct vsc_virt_txn {
  vsc_virt_domain *d;
  double timeout;
  const vsc_virt_progress *progress;
  size_t total, done;
  undo *log;
  size_t nlog;
  unsigned int controller;
  unsigned int nports;
  unsigned char used[MAX_CONTROLLERS][MAX_PORTS];
  size_t live_consoles;
};

/* Attach a device's XML with the given flags; -1 with libvirt's error,
 * the device named what (at subject, a spec pointer, when known). */
static int attach_device_xml(vsc_virt_domain *d, const char *xml, unsigned int flags, const char *what,
                             const char *subject, vsc_virt_call call, vsc_virt_reason *reason, vsc_diags *diags)
{
  if (VIRT_CHANGE(VSC_VIRT_FAULT_ATTACH, virDomainAttachDeviceFlags(d->dom, xml, flags)) < 0) {
    VSC_AUTOFREE(char) msg = vsc_asprintf("cannot attach %s to the %s definition of '%s'", what,
                                          flags & VIR_DOMAIN_AFFECT_LIVE ? "live" : "persistent", d->name);
    vsc_virt_reason why = vsc_virt_error_in(diags, call, "libvirt", subject, msg);
    if (reason)
      *reason = why;
    return -1;
  }
  return 0;
}

static int attach_xml(vsc_virt_domain *d, const vsc_chardev *dev, unsigned int flags,
                      const char *what, vsc_virt_reason *reason, vsc_diags *diags)
{
  VSC_AUTOFREE(char) xml = vsc_xml_chardev_to_string(dev);
  vsc_virt_call call = (flags & VIR_DOMAIN_AFFECT_LIVE) && (vsc_chardev_backend_info(dev)->flags & VSC_BF_NO_HOTPLUG)
                         ? VSC_VIRT_CALL_HOTPLUG_REFUSED : VSC_VIRT_CALL_ANY;
  return attach_device_xml(d, xml, flags, what, dev->origin.pointer, call, reason, diags);
}

/* The device libvirt would re-create from a live or config definition:
 * libvirt's own aliases, tty and state dropped. */
static vsc_chardev *restorable(const vsc_chardev *dev)
{
  vsc_chardev *c = vsc_chardev_copy(dev);
  free(c->tty);
  c->tty = NULL;
  free(c->target.state);
  c->target.state = NULL;
  if (c->alias && !vsc_alias_is_user(c->alias)) {
    free(c->alias);
    c->alias = NULL;
  }
  /* libvirt chooses PCI and USB addresses again; a virtio-serial port is
   * kept so the device comes back where it was. */
  if (c->address.type && strcmp(c->address.type, "virtio-serial") != 0)
    vsc_address_clear(&c->address);
  /* A pty path is QEMU's choice of the moment. */
  if (vsc_chardev_backend_info(c)->flags & VSC_BF_PTY_PATH)
    for (size_t i = 0; i < c->nsources; i++) {
      free(c->sources[i].path);
      c->sources[i].path = NULL;
    }
  return c;
}

/* A vhost-user device as it can be attached again: libvirt's alias and
 * PCI address are chosen anew (a user alias is kept). */
static vsc_vhost *restorable_vhost(const vsc_vhost *dev)
{
  vsc_vhost *v = vsc_vhost_copy(dev);
  if (!vsc_alias_is_user(vsc_vhost_get(v, VSC_VF_ALIAS)))
    vsc_vhost_set(v, VSC_VF_ALIAS, NULL);
  vsc_address_clear(&v->address);
  return v;
}

static void mark(vsc_virt_txn *txn, unsigned int ctrl, unsigned int port)
{
  if (ctrl < MAX_CONTROLLERS && port < MAX_PORTS)
    txn->used[ctrl][port] = 1;
}

static unsigned int lowest_free(vsc_virt_txn *txn)
{
  for (unsigned int p = 1; p < txn->nports; p++)
    if (!txn->used[txn->controller][p])
      return p;
  return 0;
}

static bool is_virtio_console(const vsc_chardev *dev)
{
  return dev->kind == VSC_KIND_CONSOLE && vsc_chardev_is_virtio_serial(dev);
}

/* Ports taken: explicit channel addresses in either definition, port 0
 * (QEMU keeps it for a console), and where QEMU put the other consoles:
 * each took the lowest free port when it came, which libvirt does not
 * record.  Assuming they came after the channels is right for consoles
 * in the XML at boot and for consoles hot-plugged late; a collision
 * otherwise is caught by the retry in attach_live. */
static void reserve_ports(vsc_virt_txn *txn, const vsc_virt_state *st)
{
  const vsc_devset *sets[] = { &st->live, &st->config };
  const vsc_domain_info *info = st->has_live ? &st->live_info : &st->config_info;
  const vsc_controller *ctl = st->has_live ? &st->live.controller : &st->config.controller;
  size_t consoles[2] = { 0, 0 };

  txn->controller = ctl->present && ctl->has_index ? ctl->index : 0;
  if (txn->controller >= MAX_CONTROLLERS)
    txn->controller = 0;
  txn->nports = info->ports[txn->controller] ? info->ports[txn->controller]
                                             : VSC_VIRTIO_SERIAL_DEFAULT_PORTS;
  if (txn->nports > MAX_PORTS)
    txn->nports = MAX_PORTS;
  mark(txn, txn->controller, 0);
  for (size_t s = 0; s < 2; s++) {
    for (size_t i = 0; i < sets[s]->ndevs; i++) {
      const vsc_chardev *dev = sets[s]->devs[i];
      const char *ctrl = vsc_address_get(&dev->address, "controller");
      unsigned int port = vsc_chardev_virtio_port(dev);
      if (port)
        mark(txn, ctrl ? (unsigned int)strtoul(ctrl, NULL, 10) : 0, port);
      if (is_virtio_console(dev))
        consoles[s]++;
    }
  }
  txn->live_consoles = consoles[0];
  size_t most = consoles[0] > consoles[1] ? consoles[0] : consoles[1];
  for (size_t i = 1; i < most; i++)
    mark(txn, txn->controller, lowest_free(txn));
}

static void clear_log(vsc_virt_txn *txn)
{
  for (size_t i = 0; i < txn->nlog; i++) {
    vsc_chardev_free(txn->log[i].dev);
    vsc_vhost_free(txn->log[i].vhost);
    free(txn->log[i].text);
  }
  txn->nlog = 0;
}

vsc_virt_txn *vsc_virt_txn_new(vsc_virt_domain *d, const vsc_virt_state *st, double timeout,
                               const vsc_virt_progress *progress, size_t total)
{
  vsc_virt_txn *txn = vsc_calloc(1, sizeof(*txn));
  txn->d = d;
  txn->timeout = timeout;
  txn->progress = progress;
  txn->total = total;
  reserve_ports(txn, st);
  return txn;
}

void vsc_virt_txn_free(vsc_virt_txn *txn)
{
  if (!txn)
    return;
  clear_log(txn);
  free(txn->log);
  free(txn);
}

static void record(vsc_virt_txn *txn, undo_kind kind, vsc_chardev *dev, char *text)
{
  undo *u = vsc_append(&txn->log, &txn->nlog, sizeof(*u));
  u->kind = kind;
  u->dev = dev;
  u->text = text;
}

static void record_vhost(vsc_virt_txn *txn, undo_kind kind, vsc_vhost *vhost)
{
  undo *u = vsc_append(&txn->log, &txn->nlog, sizeof(*u));
  u->kind = kind;
  u->vhost = vhost;
}

/* What an undo entry names, for messages; NULL for files and the controller. */
static char *undo_subject(const undo *u)
{
  return u->dev ? vsc_chardev_describe(u->dev) : u->vhost ? vsc_vhost_describe(u->vhost) : NULL;
}

static void report(vsc_virt_txn *txn, vsc_virt_step step, const char *what, bool done, bool ok)
{
  if (txn->progress && txn->progress->fn)
    txn->progress->fn(txn->progress->opaque, step, txn->done, txn->total, what, done, ok);
}

int vsc_virt_txn_add_controller(vsc_virt_txn *txn, const vsc_controller *spec, vsc_diags *diags)
{
  vsc_controller c = { .present = true, .has_index = true, .index = 0 };
  if (spec->present)
    c = *spec;
  char *xml = vsc_xml_controller_to_string(&c);
  if (VIRT_CHANGE(VSC_VIRT_FAULT_ATTACH,
                  virDomainAttachDeviceFlags(txn->d->dom, xml, VIR_DOMAIN_AFFECT_CONFIG)) < 0) {
    VSC_AUTOFREE(char) what =
      vsc_asprintf("cannot add a virtio-serial controller to the persistent definition of '%s'",
                   txn->d->name);
    vsc_virt_error(diags, NULL, what);
    free(xml);
    return -1;
  }
  record(txn, UNDO_CONTROLLER, NULL, xml);
  return 0;
}

static bool path_exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

/* Delete path if it is a regular file: the output file or log a live
 * attach created (checked absent before), which would otherwise outlive
 * the rollback. */
static void unlink_created_file(vsc_virt_domain *d, const char *path)
{
  struct stat st;
  if (vsc_virt_is_local(d->virt) && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
    unlink(path);
}

/* Record the files a live attach of dev will create: each is ours to
 * delete on rollback when it was not there before. */
static void record_created_files(vsc_virt_txn *txn, const vsc_chardev *dev)
{
  const char *sock = vsc_virt_listen_socket(dev);
  const vsc_source *src = vsc_chardev_main_source(dev);
  const char *out = (vsc_chardev_backend_info(dev)->flags & VSC_BF_WRITES_FILE) && src ? src->path : NULL;

  /* libvirt creates a listen socket before QEMU may refuse the device,
   * and leaves it behind. */
  if (sock && !path_exists(sock))
    record(txn, UNDO_UNLINK, NULL, vsc_strdup(sock));
  if (out && !path_exists(out))
    record(txn, UNDO_UNLINK_FILE, NULL, vsc_strdup(out));
  if (dev->log_file && !path_exists(dev->log_file) && !vsc_streq(dev->log_file, out))
    record(txn, UNDO_UNLINK_FILE, NULL, vsc_strdup(dev->log_file));
}

static void set_port(vsc_chardev *dev, unsigned int ctrl, unsigned int port)
{
  char num[16];
  vsc_address_clear(&dev->address);
  dev->address.type = vsc_strdup("virtio-serial");
  snprintf(num, sizeof(num), "%u", ctrl);
  vsc_address_set(&dev->address, "controller", num);
  vsc_address_set(&dev->address, "bus", "0");
  snprintf(num, sizeof(num), "%u", port);
  vsc_address_set(&dev->address, "port", num);
}

/* Attach live; when vschan chose the port and QEMU says it is taken (a
 * console libvirt did not account for), take the next one. */
static int attach_live(vsc_virt_txn *txn, vsc_chardev *dev, bool chose_port, const char *what,
                       vsc_diags *diags)
{
  for (int attempt = 0;; attempt++) {
    vsc_diags tmp = { 0 };
    vsc_virt_reason why = VSC_VIRT_FAILED;
    if (attach_xml(txn->d, dev, VIR_DOMAIN_AFFECT_LIVE, what, &why, &tmp) == 0) {
      vsc_diags_clear(&tmp);
      return 0;
    }
    if (!chose_port || why != VSC_VIRT_PORT_TAKEN || attempt >= PORT_RETRIES) {
      vsc_diags_move(diags, &tmp);
      vsc_diags_clear(&tmp);
      return -1;
    }
    vsc_diags_clear(&tmp);
    unsigned int taken = vsc_chardev_virtio_port(dev);
    mark(txn, txn->controller, taken);
    unsigned int next = lowest_free(txn);
    if (!next) {
      vsc_error(diags, NULL, "virt-ports", "raise ports= on the virtio-serial controller",
                "no free port left on virtio-serial controller %u", txn->controller);
      return -1;
    }
    set_port(dev, txn->controller, next);
    mark(txn, txn->controller, next);
  }
}

int vsc_virt_txn_attach(vsc_virt_txn *txn, const vsc_chardev *want, bool live, bool config,
                        vsc_virt_step step, vsc_diags *diags)
{
  VSC_AUTOPTR(vsc_chardev) dev = vsc_chardev_copy(want);
  VSC_AUTOFREE(char) what = vsc_chardev_describe(dev);
  bool chose_port = false;

  txn->done++;
  report(txn, step, what, false, false);
  if (dev->kind == VSC_KIND_CHANNEL && vsc_chardev_is_virtio_serial(dev) && !dev->address.type) {
    unsigned int port = lowest_free(txn);
    if (!port) {
      vsc_error(diags, NULL, "virt-ports", "raise ports= on the virtio-serial controller",
                "%s: no free port left on virtio-serial controller %u", what, txn->controller);
      report(txn, step, what, true, false);
      return -1;
    }
    set_port(dev, txn->controller, port);
    mark(txn, txn->controller, port);
    chose_port = true;
  }

  if (live) {
    record_created_files(txn, dev);
    if (attach_live(txn, dev, chose_port, what, diags) < 0) {
      report(txn, step, what, true, false);
      return -1;
    }
    record(txn, UNDO_DETACH_LIVE, vsc_chardev_copy(dev), NULL);
    if (is_virtio_console(dev) && txn->live_consoles++ > 0)
      mark(txn, txn->controller, lowest_free(txn));
  }
  if (config) {
    if (attach_xml(txn->d, dev, VIR_DOMAIN_AFFECT_CONFIG, what, NULL, diags) < 0) {
      report(txn, step, what, true, false);
      return -1;
    }
    record(txn, UNDO_DETACH_CONFIG, vsc_chardev_copy(dev), NULL);
  }
  report(txn, step, what, true, true);
  return 0;
}

static int attach_vhost_xml(vsc_virt_domain *d, const vsc_vhost *dev, bool live, const char *what,
                            vsc_diags *diags)
{
  VSC_AUTOFREE(char) xml = vsc_xml_vhost_to_string(dev);
  return attach_device_xml(d, xml, live ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG, what,
                           dev->origin.pointer, VSC_VIRT_CALL_ANY, NULL, diags);
}

int vsc_virt_txn_attach_vhost(vsc_virt_txn *txn, const vsc_vhost *dev, bool live, bool config,
                              vsc_virt_step step, vsc_diags *diags)
{
  VSC_AUTOFREE(char) what = vsc_vhost_describe(dev);

  txn->done++;
  report(txn, step, what, false, false);
  if (live) {
    /* In server mode QEMU creates the socket, and keeps it after a failure. */
    const char *sock = vsc_vhost_socket(dev);
    if (vsc_vhost_listens(dev) && sock && !path_exists(sock))
      record(txn, UNDO_UNLINK, NULL, vsc_strdup(sock));
    if (attach_vhost_xml(txn->d, dev, true, what, diags) < 0) {
      report(txn, step, what, true, false);
      return -1;
    }
    record_vhost(txn, UNDO_DETACH_LIVE, vsc_vhost_copy(dev));
  }
  if (config) {
    if (attach_vhost_xml(txn->d, dev, false, what, diags) < 0) {
      report(txn, step, what, true, false);
      return -1;
    }
    record_vhost(txn, UNDO_DETACH_CONFIG, vsc_vhost_copy(dev));
  }
  report(txn, step, what, true, true);
  return 0;
}

int vsc_virt_txn_detach(vsc_virt_txn *txn, const vsc_virt_dev *have, bool live, bool config,
                        vsc_virt_step step, vsc_diags *diags)
{
  VSC_AUTOFREE(char) what = vsc_chardev_describe(vsc_virt_dev_main(have));

  txn->done++;
  report(txn, step, what, false, false);
  if (live && have->live) {
    if (vsc_virt_detach_live(txn->d, have->live->alias, what, txn->timeout, diags) < 0) {
      report(txn, step, what, true, false);
      return -1;
    }
    record(txn, UNDO_ATTACH_LIVE, restorable(have->live), NULL);
  }
  if (config && have->config) {
    if (vsc_virt_detach_config(txn->d, have->config, what, diags) < 0) {
      report(txn, step, what, true, false);
      return -1;
    }
    record(txn, UNDO_ATTACH_CONFIG, restorable(have->config), NULL);
  }
  report(txn, step, what, true, true);
  return 0;
}

int vsc_virt_txn_detach_vhost(vsc_virt_txn *txn, const vsc_virt_vhost *have, bool live, bool config,
                              vsc_virt_step step, vsc_diags *diags)
{
  VSC_AUTOFREE(char) what = vsc_vhost_describe(vsc_virt_vhost_main(have));

  txn->done++;
  report(txn, step, what, false, false);
  if (live && have->live) {
    if (vsc_virt_detach_live(txn->d, vsc_vhost_get(have->live, VSC_VF_ALIAS), what, txn->timeout, diags) < 0) {
      report(txn, step, what, true, false);
      return -1;
    }
    record_vhost(txn, UNDO_ATTACH_LIVE, restorable_vhost(have->live));
  }
  if (config && have->config) {
    if (vsc_virt_detach_config_vhost(txn->d, have->config, what, diags) < 0) {
      report(txn, step, what, true, false);
      return -1;
    }
    record_vhost(txn, UNDO_ATTACH_CONFIG, restorable_vhost(have->config));
  }
  report(txn, step, what, true, true);
  return 0;
}

static int undo_one(vsc_virt_txn *txn, const undo *u, vsc_diags *diags)
{
  /* Every undo but an unlink or the controller names the device it undoes. */
  if (u->kind != UNDO_UNLINK && u->kind != UNDO_UNLINK_FILE && u->kind != UNDO_CONTROLLER &&
      !u->dev && !u->vhost)
    return 0;
  VSC_AUTOFREE(char) what = undo_subject(u);

  if (u->vhost) {
    /* vschan attached it with a user alias, which both definitions keep;
     * what it detached goes back as the domain had it. */
    const char *alias = vsc_vhost_get(u->vhost, VSC_VF_ALIAS);
    switch (u->kind) {
    case UNDO_DETACH_LIVE:
      return vsc_virt_detach_live(txn->d, alias, what, txn->timeout, diags);
    case UNDO_DETACH_CONFIG:
      return vsc_virt_detach_config_vhost(txn->d, u->vhost, what, diags);
    case UNDO_ATTACH_LIVE:
    case UNDO_ATTACH_CONFIG:
      return attach_vhost_xml(txn->d, u->vhost, u->kind == UNDO_ATTACH_LIVE, what, diags);
    default:
      return 0;
    }
  }
  switch (u->kind) {
  case UNDO_DETACH_LIVE:
    return vsc_virt_detach_live(txn->d, u->dev->alias, what, txn->timeout, diags);
  case UNDO_DETACH_CONFIG:
    return vsc_virt_detach_config(txn->d, u->dev, what, diags);
  case UNDO_ATTACH_LIVE:
    return attach_xml(txn->d, u->dev, VIR_DOMAIN_AFFECT_LIVE, what, NULL, diags);
  case UNDO_ATTACH_CONFIG:
    return attach_xml(txn->d, u->dev, VIR_DOMAIN_AFFECT_CONFIG, what, NULL, diags);
  case UNDO_UNLINK:
    vsc_virt_unlink_socket(txn->d, u->text);
    return 0;
  case UNDO_UNLINK_FILE:
    unlink_created_file(txn->d, u->text);
    return 0;
  case UNDO_CONTROLLER:
    if (VIRT_CHANGE(VSC_VIRT_FAULT_DETACH,
                    virDomainDetachDeviceFlags(txn->d->dom, u->text, VIR_DOMAIN_AFFECT_CONFIG)) < 0) {
      vsc_virt_error(diags, NULL, "cannot take back the virtio-serial controller vschan added");
      return -1;
    }
    return 0;
  }
  return 0;
}

void vsc_virt_txn_rollback(vsc_virt_txn *txn, vsc_diags *diags)
{
  size_t steps = 0, step = 0;
  for (size_t i = 0; i < txn->nlog; i++)
    steps += txn->log[i].dev || txn->log[i].vhost;
  for (size_t i = txn->nlog; i-- > 0;) {
    const undo *u = &txn->log[i];
    VSC_AUTOFREE(char) what = undo_subject(u);
    if (what && txn->progress && txn->progress->fn)
      txn->progress->fn(txn->progress->opaque, VSC_VIRT_STEP_ROLLBACK, ++step, steps, what, false,
                        false);
    vsc_diags failed = { 0 };
    int rc = undo_one(txn, u, &failed);
    if (rc < 0) {
      /* The domain is not back as it was: say what is left over. */
      for (size_t j = 0; j < failed.n; j++)
        vsc_diag_add_class(diags, failed.items[j].cls, VSC_SEV_ERROR, NULL, failed.items[j].rule,
                           "the domain still differs from before this run: check 'vschan list DOMAIN'",
                           "rollback: %s", failed.items[j].message);
    }
    vsc_diags_clear(&failed);
    if (what && txn->progress && txn->progress->fn)
      txn->progress->fn(txn->progress->opaque, VSC_VIRT_STEP_ROLLBACK, step, steps, what, true,
                        rc == 0);
  }
  /* Nothing to take back a second time. */
  clear_log(txn);
}
