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
  pthread_t loop;
  bool loop_running;
  atomic_bool quit;
  int wake_timer;
  bool local;
};

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
  vsc_virt *v = opaque;
  while (!atomic_load(&v->quit))
    if (virEventRunDefaultImpl() < 0)
      break;
  return NULL;
}

/* What to do next, by libvirt's error.  Messages are matched where the
 * code alone is too coarse (QEMU's reasons all come as internal errors). */
static const char *hint_for(const virError *err)
{
  const char *msg = err && err->message ? err->message : "";
  int code = err ? err->code : VIR_ERR_OK;

  if (strstr(msg, "Hotplug unsupported for char device type"))
    return "this backend cannot be hot-plugged: add it with --config and restart the domain";
  if (strstr(msg, "'isa.0' does not support hotplugging"))
    return "ISA devices (isa-serial, isa-debug, parallel) cannot be hot-plugged: add it with "
           "--config and restart the domain, or use a usb-serial or pci-serial target";
  if (strstr(msg, "'pci.0' does not support hotplugging"))
    return "PCI hotplug on this machine needs ACPI: add <features><acpi/></features> to the "
           "domain, or add the device with --config and restart the domain";
  if (strstr(msg, "virtio-serial controller"))
    return "the virtio-serial controller cannot be hot-plugged: add the devices with --config "
           "(which adds the controller for the next boot) and restart the domain";
  if (strstr(msg, "detaching serial console is not supported"))
    return "a serial console is the serial port seen twice: remove the serial port (serialN)";
  if (strstr(msg, "UNIX socket path") && strstr(msg, "too long"))
    return "a socket path must fit 107 bytes: give the channel a shorter explicit path";
  if (strstr(msg, "non unique alias"))
    return "the alias is already used in the domain: choose another one or remove that device";
  if (strstr(msg, "A port already exists"))
    return "QEMU placed a console on that virtio-serial port; give the channel another port";
  if (strstr(msg, "chardev already exists"))
    return "the device is attached already: see 'vschan list DOMAIN'";
  /* A missing daemon socket is a connection problem, not a device path. */
  if (strstr(msg, "Failed to connect socket") || strstr(msg, "libvirt-sock"))
    return "is libvirtd (or virtqemud) running, and is the URI right? 'virsh -c URI list' tells";
  if (strstr(msg, "unable to stat") || strstr(msg, "No such file"))
    return "the path must exist before attaching (a connect-mode peer must be listening)";
  if (strstr(msg, "spice graphics"))
    return "add <graphics type='spice'> to the domain, or use another backend";
  if (strstr(msg, "Address already in use"))
    return "another program listens on that address; choose another port or path";
  if (strstr(msg, "no device found with alias"))
    return "see 'vschan list DOMAIN' for the devices and their aliases";
  switch (code) {
  case VIR_ERR_NO_DOMAIN:
    return "see 'virsh list --all' on the same connection for the domain names";
  case VIR_ERR_NO_CONNECT:
  case VIR_ERR_NO_SUPPORT:
    return "check the URI (-c or $LIBVIRT_DEFAULT_URI) and that the libvirt daemon runs there";
  case VIR_ERR_AUTH_FAILED:
  case VIR_ERR_AUTH_CANCELLED:
  case VIR_ERR_AUTH_UNAVAILABLE:
    return "check your credentials and the daemon's access policy (polkit, SASL, group of the socket)";
  case VIR_ERR_OPERATION_INVALID:
    return "check the domain's state with 'virsh domstate DOMAIN'";
  case VIR_ERR_OPERATION_TIMEOUT:
    return "the domain or the daemon is busy; try again";
  case VIR_ERR_SYSTEM_ERROR:
    if (err && err->domain == VIR_FROM_RPC)
      return "check the URI (-c or $LIBVIRT_DEFAULT_URI) and that the libvirt daemon runs there";
    return "see the domain's QEMU log (/var/log/libvirt/qemu/DOMAIN.log)";
  default:
    return "see the domain's QEMU log (/var/log/libvirt/qemu/DOMAIN.log) and libvirt's log";
  }
}

void vsc_virt_error(vsc_diags *diags, const char *subject, const char *what)
{
  virErrorPtr err = virGetLastError();
  const char *msg = err && err->message ? err->message : "unknown libvirt error";
  vsc_loc loc = { .pointer = subject };
  VSC_AUTOFREE(char) injected = vsc_virt_fault_take();

  if (injected) {
    vsc_error(diags, subject ? &loc : NULL, "libvirt",
              "a test asked for this failure: unset VSCHAN_FAIL_LIBVIRT", "%s: %s", what, injected);
    virResetLastError();
    return;
  }
  vsc_error(diags, subject ? &loc : NULL, "libvirt", hint_for(err), "%s: %s", what, msg);
  virResetLastError();
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
  static bool registered;
  VSC_AUTOPTR(vsc_virt) v = NULL;
  double t0;

  embed_log_to_root(uri ? uri : getenv("LIBVIRT_DEFAULT_URI"));
  virSetErrorFunc(NULL, quiet_error);
  if (!registered) {
    t0 = vsc_now();
    int rc = virEventRegisterDefaultImpl();
    vsc_virt_time_add(vsc_now() - t0);
    if (rc < 0) {
      vsc_virt_error(diags, NULL, "cannot start the libvirt event loop");
      return NULL;
    }
    registered = true;
  }
  v = vsc_calloc(1, sizeof(*v));
  v->wake_timer = virEventAddTimeout(-1, wake, NULL, NULL);
  if (v->wake_timer < 0) {
    vsc_error(diags, NULL, "libvirt", NULL, "cannot add a timer to the libvirt event loop");
    return NULL;
  }
  if (pthread_create(&v->loop, NULL, run_loop, v) != 0) {
    vsc_error(diags, NULL, "libvirt", NULL, "cannot start the event loop thread");
    return NULL;
  }
  v->loop_running = true;

  t0 = vsc_now();
  v->conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
  vsc_virt_time_add(vsc_now() - t0);
  if (!v->conn) {
    const char *shown = uri ? uri : getenv("LIBVIRT_DEFAULT_URI");
    VSC_AUTOFREE(char) what = vsc_asprintf("cannot connect to '%s'", shown ? shown : "libvirt's default URI");
    virErrorPtr err = virGetLastError();
    if (err && strstr(err->message ? err->message : "", "pid file")) {
      vsc_error(diags, NULL, "libvirt",
                "another process has this embedded driver root open; wait for it to finish",
                "%s: %s", what, err->message);
      virResetLastError();
    } else {
      vsc_virt_error(diags, NULL, what);
    }
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
  if (v->loop_running) {
    atomic_store(&v->quit, true);
    virEventUpdateTimeout(v->wake_timer, 0);
    pthread_join(v->loop, NULL);
  }
  if (v->wake_timer >= 0)
    virEventRemoveTimeout(v->wake_timer);
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
