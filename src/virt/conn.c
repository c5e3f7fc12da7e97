/* The libvirt connection: event loop thread, errors with hints, and the
 * clock that VSCHAN_TIMING reports. */
#include "virt.h"

#include "util/clock.h"
#include "virt-priv.h"

#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct vsc_virt {
  virConnectPtr conn;
  bool loop_held;
  bool local;
};

/* libvirt's default event loop is one per process, whatever the number of
 * connections (apply --fleet opens one per host, from several threads):
 * one thread runs it while a connection is open. */
static struct {
  pthread_mutex_t lock;
  bool registered;
  int users;
  pthread_t thread;
  atomic_bool quit;
  int wake_timer;
} loop = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake_timer = -1 };

static _Atomic long long libvirt_ns;

void vsc_virt_time_add(double seconds)
{
  atomic_fetch_add(&libvirt_ns, (long long)(seconds * 1e9));
}

double vsc_virt_libvirt_seconds(void)
{
  return (double)atomic_load(&libvirt_ns) / 1e9;
}

/* libvirt's default handler prints every error to stderr; vschan reports
 * them itself, once, with a hint. */
static void quiet_error(void *opaque, virErrorPtr err) {}

static void wake(int timer, void *opaque) {}

static void *run_loop(void *opaque)
{
  while (!atomic_load(&loop.quit))
    if (virEventRunDefaultImpl() < 0)
      break;
  return NULL;
}

/* Take a share of the event loop, starting it for the first user. */
static int loop_acquire(vsc_diags *diags)
{
  int rc = 0;
  pthread_mutex_lock(&loop.lock);
  if (!loop.registered) {
    double t0 = vsc_now();
    rc = virEventRegisterDefaultImpl();
    vsc_virt_time_add(vsc_now() - t0);
    if (rc < 0) {
      vsc_virt_error(diags, NULL, "cannot start the libvirt event loop");
      goto out;
    }
    loop.registered = true;
  }
  if (loop.users == 0) {
    if (loop.wake_timer < 0 && (loop.wake_timer = virEventAddTimeout(-1, wake, NULL, NULL)) < 0) {
      vsc_error_peer(diags, NULL, "libvirt", NULL, "cannot add a timer to the libvirt event loop");
      rc = -1;
      goto out;
    }
    atomic_store(&loop.quit, false);
    if (pthread_create(&loop.thread, NULL, run_loop, NULL) != 0) {
      vsc_error_peer(diags, NULL, "libvirt", NULL, "cannot start the event loop thread");
      rc = -1;
      goto out;
    }
  }
  loop.users++;
out:
  pthread_mutex_unlock(&loop.lock);
  return rc;
}

/* Give the share back; the last user stops the thread (the timer wakes
 * it from its wait). */
static void loop_release(void)
{
  pthread_mutex_lock(&loop.lock);
  if (--loop.users == 0) {
    atomic_store(&loop.quit, true);
    virEventUpdateTimeout(loop.wake_timer, 0);
    pthread_join(loop.thread, NULL);
    virEventUpdateTimeout(loop.wake_timer, -1);
  }
  pthread_mutex_unlock(&loop.lock);
}

/* What to do next, by libvirt's error: the first row that matches.  Rows
 * with a code are where libvirt's code tells the cases apart.  The reasons
 * QEMU gives (device_add, chardev-add) and most of the driver's own come
 * as VIR_ERR_INTERNAL_ERROR or VIR_ERR_OPERATION_FAILED, so for those only
 * a piece of the message says what happened: those rows are kept here,
 * and nowhere else looks into libvirt's messages. */
typedef struct {
  vsc_virt_call call;        /* where it applies; VSC_VIRT_CALL_ANY: anywhere */
  int code;                  /* virErrorNumber; -1: any */
  int from;                  /* virErrorDomain; -1: any */
  vsc_virt_reason reason;
  const char *text;          /* in the message (and also, when given); NULL: any */
  const char *also;
  const char *hint;
} hint_row;

#define OPEN_BUSY_HINT \
  "another session (virsh console, vschan connect) has the device open; --force takes it over"
#define OPEN_BACKEND_HINT \
  "libvirt opens consoles and serial ports on a pty backend, channels on a unix or pty backend"
#define DAEMON_HINT "is libvirtd (or virtqemud) running, and is the URI right? 'virsh -c URI list' tells"
#define STAT_HINT "the path must exist before attaching (a connect-mode peer must be listening)"
#define AUTH_HINT "check your credentials and the daemon's access policy (polkit, SASL, group of the socket)"
#define CONNECTION_HINT "check the URI (-c or $LIBVIRT_DEFAULT_URI) and that the libvirt daemon runs there"
#define QEMU_LOG_HINT "see the domain's QEMU log (/var/log/libvirt/qemu/DOMAIN.log)"
#define ANY VSC_VIRT_CALL_ANY
#define OPEN VSC_VIRT_CALL_OPEN
#define FAILED VSC_VIRT_FAILED

static const hint_row hint_rows[] = {
  /* Opening a stream to a device (virDomainOpenChannel/OpenConsole). */
  { OPEN, -1, -1, FAILED, "Active console session", NULL, OPEN_BUSY_HINT },
  { OPEN, -1, -1, FAILED, "already in use", NULL, OPEN_BUSY_HINT },
  { OPEN, -1, -1, FAILED, "Active channel stream", NULL, OPEN_BUSY_HINT },
  { OPEN, -1, -1, FAILED, "not using a PTY", NULL, OPEN_BACKEND_HINT },
  { OPEN, -1, -1, FAILED, "not using a UNIX socket", NULL, OPEN_BACKEND_HINT },
  { OPEN, -1, -1, FAILED, "unsupported", NULL, OPEN_BACKEND_HINT },
  { OPEN, -1, -1, FAILED, NULL, NULL, "see 'vschan list DOMAIN' for the devices and their backends" },
  /* QEMU's and the driver's reasons. */
  { ANY, -1, -1, FAILED, "'isa.0' does not support hotplugging", NULL,
    "ISA devices (isa-serial, isa-debug, parallel) cannot be hot-plugged: add it with "
    "--config and restart the domain, or use a usb-serial or pci-serial target" },
  { ANY, -1, -1, FAILED, "'pci.0' does not support hotplugging", NULL,
    "PCI hotplug on this machine needs ACPI: add <features><acpi/></features> to the "
    "domain, or add the device with --config and restart the domain" },
  { ANY, -1, -1, FAILED, "virtio-serial controller", NULL,
    "the virtio-serial controller cannot be hot-plugged: add the devices with --config "
    "(which adds the controller for the next boot) and restart the domain" },
  { ANY, -1, -1, FAILED, "detaching serial console is not supported", NULL,
    "a serial console is the serial port seen twice: remove the serial port (serialN)" },
  { ANY, -1, -1, FAILED, "UNIX socket path", "too long",
    "a socket path must fit 107 bytes: give the channel a shorter explicit path" },
  /* vschan's rules found the memory shared, or libvirt would not be asked:
   * libvirt 9.0 then also wants the machine's default RAM id, which it
   * does not keep in a running domain's status (lost on every daemon
   * restart, and in each new qemu:///embed process). */
  { ANY, -1, -1, FAILED, "requires shared memory", NULL,
    "the domain's memory is shared, but libvirt 9.0 cannot tell once it has restarted since the domain "
    "started: give the domain a NUMA cell with memAccess='shared' (<cpu><numa><cell id='0' cpus='0-N' "
    "memory='SIZE' memAccess='shared'/></numa></cpu>), or restart the domain and attach before libvirt "
    "restarts" },
  { ANY, -1, -1, FAILED, "non unique alias", NULL,
    "the alias is already used in the domain: choose another one or remove that device" },
  { ANY, -1, -1, VSC_VIRT_PORT_TAKEN, "A port already exists", NULL,
    "QEMU placed a console on that virtio-serial port; give the channel another port" },
  { ANY, -1, -1, FAILED, "chardev already exists", NULL, "the device is attached already: see 'vschan list DOMAIN'" },
  /* A missing daemon socket is a connection problem, not a device path. */
  { ANY, -1, -1, FAILED, "Failed to connect socket", NULL, DAEMON_HINT },
  { ANY, -1, -1, FAILED, "libvirt-sock", NULL, DAEMON_HINT },
  { ANY, -1, -1, FAILED, "pid file", NULL,
    "another process has this embedded driver root open; wait for it to finish" },
  { ANY, -1, -1, FAILED, "unable to stat", NULL, STAT_HINT },
  { ANY, -1, -1, FAILED, "No such file", NULL, STAT_HINT },
  { ANY, -1, -1, FAILED, "spice graphics", NULL, "add <graphics type='spice'> to the domain, or use another backend" },
  { ANY, -1, -1, FAILED, "Address already in use", NULL,
    "another program listens on that address; choose another port or path" },
  { ANY, -1, -1, FAILED, "no device found with alias", NULL,
    "see 'vschan list DOMAIN' for the devices and their aliases" },
  /* A live attach of a backend the backend table says libvirt cannot
   * hot-plug, refused for no reason above. */
  { VSC_VIRT_CALL_HOTPLUG_REFUSED, -1, -1, FAILED, NULL, NULL,
    "this backend cannot be hot-plugged: add it with --config and restart the domain" },
  /* libvirt's codes. */
  { ANY, VIR_ERR_NO_DOMAIN, -1, FAILED, NULL, NULL,
    "see 'virsh list --all' on the same connection for the domain names" },
  { ANY, VIR_ERR_NO_CONNECT, -1, FAILED, NULL, NULL, CONNECTION_HINT },
  { ANY, VIR_ERR_NO_SUPPORT, -1, FAILED, NULL, NULL, CONNECTION_HINT },
  { ANY, VIR_ERR_AUTH_FAILED, -1, FAILED, NULL, NULL, AUTH_HINT },
  { ANY, VIR_ERR_AUTH_CANCELLED, -1, FAILED, NULL, NULL, AUTH_HINT },
  { ANY, VIR_ERR_AUTH_UNAVAILABLE, -1, FAILED, NULL, NULL, AUTH_HINT },
  { ANY, VIR_ERR_OPERATION_INVALID, -1, FAILED, NULL, NULL, "check the domain's state with 'virsh domstate DOMAIN'" },
  { ANY, VIR_ERR_OPERATION_TIMEOUT, -1, FAILED, NULL, NULL, "the domain or the daemon is busy; try again" },
  { ANY, VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC, FAILED, NULL, NULL, CONNECTION_HINT },
  { ANY, VIR_ERR_SYSTEM_ERROR, -1, FAILED, NULL, NULL, QEMU_LOG_HINT },
  { ANY, -1, -1, FAILED, NULL, NULL, QEMU_LOG_HINT " and libvirt's log" },
};

static const hint_row *hint_for(const virError *err, vsc_virt_call call)
{
  const char *msg = err && err->message ? err->message : "";
  int code = err ? err->code : VIR_ERR_OK;
  int from = err ? err->domain : VIR_FROM_NONE;

  for (size_t i = 0; i < VSC_N_ELEMENTS(hint_rows); i++) {
    const hint_row *r = &hint_rows[i];
    if ((r->call == ANY || r->call == call) && (r->code < 0 || r->code == code) &&
        (r->from < 0 || r->from == from) && (!r->text || strstr(msg, r->text)) &&
        (!r->also || strstr(msg, r->also)))
      return r;
  }
  return &hint_rows[VSC_N_ELEMENTS(hint_rows) - 1];
}

vsc_virt_reason vsc_virt_error_in(vsc_diags *diags, vsc_virt_call call, const char *rule,
                                  const char *subject, const char *what)
{
  virErrorPtr err = virGetLastError();
  const char *msg = err && err->message ? err->message : "unknown libvirt error";
  vsc_loc loc = { .pointer = subject };
  VSC_AUTOFREE(char) injected = vsc_virt_fault_take();
  vsc_virt_reason reason = FAILED;

  if (injected) {
    vsc_error_peer(diags, subject ? &loc : NULL, rule,
                   "a test asked for this failure: unset VSCHAN_FAIL_LIBVIRT", "%s: %s", what, injected);
  } else {
    const hint_row *r = hint_for(err, call);
    vsc_error_peer(diags, subject ? &loc : NULL, rule, r->hint, "%s: %s", what, msg);
    reason = r->reason;
  }
  virResetLastError();
  return reason;
}

vsc_virt_reason vsc_virt_error(vsc_diags *diags, const char *subject, const char *what)
{
  return vsc_virt_error_in(diags, ANY, "libvirt", subject, what);
}

/* A URI without a transport and without a host is served on this machine
 * (qemu:///system, qemu:///session, qemu:///embed?...). */
static bool uri_is_local(const char *uri)
{
  const char *colon;
  if (!uri)
    return false;
  colon = strstr(uri, "://");
  if (!colon)
    return false;
  if (memchr(uri, '+', (size_t)(colon - uri)))
    return strncmp(colon - 5, "+unix", 5) == 0;
  return colon[3] == '/';
}

/* With qemu:///embed the QEMU driver runs inside vschan, and its log
 * (warnings such as "tainted: high-privileges") would land on our stderr
 * next to vschan's own messages, which already carry libvirt's errors.
 * Send it to the root's log directory, as a daemon would, unless the user
 * chose LIBVIRT_LOG_OUTPUTS.  Must run before the first libvirt call. */
static void embed_log_to_root(const char *uri)
{
  const char *root;
  if (!uri || strncmp(uri, "qemu:///embed", 13) != 0 || getenv("LIBVIRT_LOG_OUTPUTS"))
    return;
  if (!(root = strstr(uri, "root=")))
    return;
  root += 5;
  VSC_AUTOFREE(char) dir = vsc_strndup(root, strcspn(root, "&"));
  VSC_AUTOFREE(char) outputs = vsc_asprintf("3:file:%s/log/libvirt.log", dir);
  VSC_AUTOFREE(char) logdir = vsc_asprintf("%s/log", dir);
  mkdir(logdir, 0700);
  setenv("LIBVIRT_LOG_OUTPUTS", outputs, 0);
}

void vsc_virt_embed_settle(virConnectPtr conn)
{
  virDomainPtr *doms = NULL;
  double t0 = vsc_now();
  int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
  for (int i = 0; i < n; i++) {
    /* Any call that takes the domain job will do; this one changes nothing. */
    virDomainMemoryStatStruct stats[VIR_DOMAIN_MEMORY_STAT_NR];
    virDomainMemoryStats(doms[i], stats, VIR_DOMAIN_MEMORY_STAT_NR, 0);
    virDomainFree(doms[i]);
  }
  free(doms);
  virResetLastError();
  vsc_virt_time_add(vsc_now() - t0);
}

vsc_virt *vsc_virt_open(const char *uri, vsc_diags *diags)
{
  VSC_AUTOPTR(vsc_virt) v = NULL;
  double t0;

  embed_log_to_root(uri ? uri : getenv("LIBVIRT_DEFAULT_URI"));
  virSetErrorFunc(NULL, quiet_error);
  v = vsc_calloc(1, sizeof(*v));
  if (loop_acquire(diags) < 0)
    return NULL;
  v->loop_held = true;

  t0 = vsc_now();
  v->conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
  vsc_virt_time_add(vsc_now() - t0);
  if (!v->conn) {
    const char *shown = uri ? uri : getenv("LIBVIRT_DEFAULT_URI");
    VSC_AUTOFREE(char) what = vsc_asprintf("cannot connect to '%s'", shown ? shown : "libvirt's default URI");
    vsc_virt_error(diags, NULL, what);
    return NULL;
  }
  VSC_AUTOFREE(char) actual = virConnectGetURI(v->conn);
  v->local = uri_is_local(actual);
  if (actual && strncmp(actual, "qemu:///embed", 13) == 0)
    vsc_virt_embed_settle(v->conn);
  return vsc_steal(&v);
}

void vsc_virt_close(vsc_virt *v)
{
  if (!v)
    return;
  if (v->conn) {
    double t0 = vsc_now();
    virConnectClose(v->conn);
    vsc_virt_time_add(vsc_now() - t0);
  }
  if (v->loop_held)
    loop_release();
  free(v);
}

virConnectPtr vsc_virt_conn(vsc_virt *v)
{
  return v->conn;
}

bool vsc_virt_is_local(vsc_virt *v)
{
  return v->local;
}
