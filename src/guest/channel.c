/* Opening a byte stream to a device: a unix socket directly, or a device
 * of a running domain through a libvirt stream.
 *
 * Which devices libvirt 9.0 opens (qemuDomainOpenChannel/OpenConsole): a
 * channel by its alias or virtio name, on a unix backend only ("channel
 * channel1 is not using a UNIX socket" for a pty); a console, serial or
 * parallel port by its alias, on a pty backend only.  vschan names the
 * device by alias, which both accept.  On a local connection vschan opens
 * the rest of what it can itself: a channel's pty, and a console or
 * serial port on a unix socket that QEMU listens on. */
#define _GNU_SOURCE
#include "guest-priv.h"
#include "model/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static vsc_guest_channel *channel_new(const char *what)
{
  vsc_guest_channel *ch = vsc_calloc(1, sizeof(*ch));
  ch->what = vsc_strdup(what);
  ch->fd = -1;
  ch->notify[0] = ch->notify[1] = -1;
  return ch;
}

const char *vsc_guest_channel_describe(const vsc_guest_channel *ch)
{
  return ch->what;
}

void vsc_guest_channel_close(vsc_guest_channel *ch)
{
  if (!ch)
    return;
  if (ch->stream) {
    if (ch->has_callback)
      virStreamEventRemoveCallback(ch->stream);
    /* Finish fails on a stream that already failed; abort is then what
     * is left to do, and both only release libvirt's side. */
    if (virStreamFinish(ch->stream) < 0)
      virStreamAbort(ch->stream);
    virStreamFree(ch->stream);
    virResetLastError();
  }
  if (ch->fd >= 0)
    close(ch->fd);
  for (int i = 0; i < 2; i++)
    if (ch->notify[i] >= 0)
      close(ch->notify[i]);
  free(ch->what);
  free(ch);
}

static int connect_unix(const char *path, const char *what, vsc_diags *diags)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof(addr.sun_path)) {
    vsc_error(diags, NULL, "guest-socket-path", "use a shorter path (or a symlink to it)",
              "the socket path '%s' is longer than %zu bytes", path, sizeof(addr.sun_path) - 1);
    return -1;
  }
  memcpy(addr.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    vsc_error_io(diags, NULL, "guest-io", NULL, "cannot create a socket: %s", strerror(errno));
    return -1;
  }
  /* A unix connect completes at once or fails (EAGAIN: backlog full). */
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    int e = errno;
    const char *hint = e == ENOENT || e == ECONNREFUSED
      ? "is the domain running and the device in 'bind' mode (QEMU listens)?  'vschan list "
        "DOMAIN' shows the devices and their sockets"
      : e == EACCES ? "run vschan as a user who may open the socket (root, or the socket's group)"
      : e == EAGAIN ? "QEMU accepts one client per chardev: another program holds it"
      : NULL;
    vsc_error_peer(diags, NULL, "guest-connect", hint, "cannot connect to %s: %s", what, strerror(e));
    close(fd);
    return -1;
  }
  return fd;
}

vsc_guest_channel *vsc_guest_channel_open_socket(const char *path, vsc_diags *diags)
{
  VSC_AUTOFREE(char) what = vsc_asprintf("socket '%s'", path);
  int fd = connect_unix(path, what, diags);
  if (fd < 0)
    return NULL;
  vsc_guest_channel *ch = channel_new(what);
  ch->fd = fd;
  ch->is_socket = true;
  return ch;
}

/* The guest side of a pty QEMU holds, raw (no echo, no line editing, no
 * CR/LF translation), as libvirt opens it for a console. */
static int open_pty(const char *path, const char *what, vsc_diags *diags)
{
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    vsc_error_peer(diags, NULL, "guest-connect",
                   errno == EACCES ? "run vschan as a user who may open the pty (root)" : NULL,
                   "cannot open %s: %s", what, strerror(errno));
    return -1;
  }
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
  }
  return fd;
}

/* The event loop thread's side: stop listening until the pump asks again,
 * wake the pump.  opaque is its own copy of the pipe's write end, which
 * libvirt closes (close_notify) once no callback can run any more, so a
 * callback still running while the channel closes touches nothing freed. */
static void on_stream(virStreamPtr st, int events, void *opaque)
{
  int *fd = opaque;
  virStreamEventUpdateCallback(st, 0);
  ssize_t n = write(*fd, "", 1);
  (void)n;   /* a full pipe already holds a wake-up */
}

static void close_notify(void *opaque)
{
  int *fd = opaque;
  close(*fd);
  free(fd);
}

void vsc_guest_stream_arm(vsc_guest_channel *ch, int events)
{
  /* ERROR and HANGUP are always reported by libvirt, asked or not. */
  virStreamEventUpdateCallback(ch->stream, events);
}

static int open_stream(vsc_guest_channel *ch, vsc_virt_domain *d, const vsc_chardev *dev,
                       bool force, vsc_diags *diags)
{
  virConnectPtr conn = vsc_virt_conn(d->virt);
  const char *name = dev->alias ? dev->alias : dev->target.name;
  int rc;

  ch->stream = virStreamNew(conn, VIR_STREAM_NONBLOCK);
  if (!ch->stream) {
    vsc_virt_error(diags, NULL, "cannot create a libvirt stream");
    return -1;
  }
  if (dev->kind == VSC_KIND_CHANNEL)
    rc = virDomainOpenChannel(d->dom, name, ch->stream, force ? VIR_DOMAIN_CHANNEL_FORCE : 0);
  else
    rc = virDomainOpenConsole(d->dom, name, ch->stream, force ? VIR_DOMAIN_CONSOLE_FORCE : 0);
  if (rc < 0) {
    VSC_AUTOFREE(char) what = vsc_asprintf("cannot open %s", ch->what);
    vsc_virt_error_in(diags, VSC_VIRT_CALL_OPEN, "libvirt-open", NULL, what);
    virStreamFree(ch->stream);
    ch->stream = NULL;
    return -1;
  }
  if (pipe2(ch->notify, O_CLOEXEC | O_NONBLOCK) < 0) {
    vsc_error_io(diags, NULL, "guest-io", NULL, "cannot create a pipe: %s", strerror(errno));
    return -1;
  }
  int *fd = vsc_malloc(sizeof(*fd));
  *fd = fcntl(ch->notify[1], F_DUPFD_CLOEXEC, 0);
  if (*fd < 0) {
    vsc_error_io(diags, NULL, "guest-io", NULL, "cannot duplicate a pipe: %s", strerror(errno));
    free(fd);
    return -1;
  }
  if (virStreamEventAddCallback(ch->stream, 0, on_stream, fd, close_notify) < 0) {
    close_notify(fd);
    vsc_virt_error(diags, NULL, "cannot watch the libvirt stream");
    return -1;
  }
  ch->has_callback = true;
  return 0;
}

/* How dev is reached (its backend's row says), the error saying what to
 * do otherwise. */
static vsc_reach check_openable(vsc_virt_domain *d, const vsc_chardev *dev, const char *what,
                                vsc_diags *diags)
{
  const char *hint = NULL;

  if (dev->kind == VSC_KIND_CHANNEL && dev->target.type == VSC_TARGET_VIRTIO && dev->target.name &&
      strcmp(dev->target.name, VSC_GUEST_AGENT_CHANNEL) == 0) {
    vsc_error(diags, NULL, "guest-agent-channel-busy",
              "talk to the agent with 'vschan agent DOMAIN COMMAND'",
              "libvirt itself holds the guest agent channel of domain '%s'", d->name);
    return VSC_REACH_NONE;
  }
  vsc_reach reach = vsc_chardev_reach(dev, vsc_virt_is_local(d->virt), &hint);
  if (reach == VSC_REACH_NONE)
    vsc_error(diags, NULL, "guest-backend", hint,
              "cannot connect to %s: its '%s' backend carries no stream to open", what,
              vsc_backend_to_string(vsc_chardev_backend(dev)));
  return reach;
}

/* The live device ident names; NULL with the error when there is none,
 * or more than one. */
static const vsc_chardev *find_live_device(vsc_virt_domain *d, const vsc_virt_state *st,
                                           const char *ident, vsc_diags *diags)
{
  vsc_virt_selection sel = { 0 };

  if (vsc_virt_resolve_ident(st, ident, &sel, diags) < 0)
    return NULL;
  VSC_AUTOFREE(size_t) idx = sel.devs;
  size_t nidx = sel.ndevs;
  if (nidx == 0) {
    VSC_AUTOFREE(char) what = vsc_vhost_describe(vsc_virt_vhost_main(&st->vhosts[sel.vhosts[0]]));
    vsc_error(diags, NULL, "guest-backend",
              "a vhost-user device's socket belongs to its daemon and QEMU; name a channel, "
              "console or serial port",
              "cannot connect to %s: it is a vhost-user device, not a character device", what);
    free(sel.vhosts);
    return NULL;
  }
  free(sel.vhosts);
  /* The first serial port's compat console carries the serial's alias:
   * it is the same device, seen twice. */
  size_t kept = 0;
  for (size_t i = 0; i < nidx; i++)
    if (nidx == 1 || !vsc_chardev_is_compat_console(vsc_virt_dev_main(&st->devs[idx[i]])))
      idx[kept++] = idx[i];
  nidx = kept ? kept : nidx;
  if (nidx > 1) {
    vsc_error(diags, NULL, "guest-ambiguous-device",
              "name it by its alias ('vschan list DOMAIN' shows them)",
              "'%s' names %zu devices of domain '%s'", ident, nidx, d->name);
    return NULL;
  }
  const vsc_virt_dev *e = &st->devs[idx[0]];
  if (!e->live) {
    VSC_AUTOFREE(char) what = vsc_chardev_describe(vsc_virt_dev_main(e));
    vsc_error(diags, NULL, "guest-not-live",
              "restart the domain, or add the device live ('vschan add --live')",
              "%s is only in the persistent definition of '%s', not in the running domain", what,
              d->name);
    return NULL;
  }
  return e->live;
}

/* Named as users name it: libvirt's own aliases (channel2) say less than
 * the virtio name or the port. */
static char *describe(const vsc_chardev *dev)
{
  if (dev->kind == VSC_KIND_CHANNEL && dev->target.type == VSC_TARGET_VIRTIO && dev->target.name)
    return vsc_asprintf("channel '%s'", dev->target.name);
  if ((dev->kind == VSC_KIND_SERIAL || dev->kind == VSC_KIND_PARALLEL) && dev->has_target &&
      dev->target.has_port)
    return vsc_asprintf("%s port %u", vsc_kind_to_string(dev->kind), dev->target.port);
  return vsc_chardev_describe(dev);
}

static vsc_guest_channel *open_device(vsc_virt_domain *d, const vsc_chardev *dev, bool force,
                                      vsc_diags *diags)
{
  VSC_AUTOFREE(char) desc = describe(dev);
  VSC_AUTOFREE(char) what = vsc_asprintf("%s of domain '%s'", desc, d->name);
  vsc_reach reach = check_openable(d, dev, what, diags);
  const vsc_source *src = vsc_chardev_main_source(dev);

  if (reach == VSC_REACH_NONE)
    return NULL;
  if (reach != VSC_REACH_STREAM && src) {
    bool pty = reach == VSC_REACH_PTY;
    VSC_AUTOFREE(char) full =
      vsc_asprintf("%s (%s '%s')", what, pty ? "pty" : "socket", src->path);
    int fd = pty ? open_pty(src->path, full, diags) : connect_unix(src->path, full, diags);
    if (fd < 0)
      return NULL;
    vsc_guest_channel *ch = channel_new(full);
    ch->fd = fd;
    ch->is_socket = !pty;
    return ch;
  }
  vsc_guest_channel *ch = channel_new(what);
  if (open_stream(ch, d, dev, force, diags) < 0) {
    vsc_guest_channel_close(ch);
    return NULL;
  }
  return ch;
}

vsc_guest_channel *vsc_guest_channel_open_domain(vsc_virt_domain *d, const char *ident,
                                                 const vsc_guest_open_opts *opts,
                                                 vsc_diags *diags)
{
  vsc_virt_state st = { 0 };
  vsc_guest_channel *ch = NULL;

  int active = virDomainIsActive(d->dom);
  virResetLastError();
  if (active != 1) {
    vsc_error(diags, NULL, "guest-not-running", "start it first ('virsh start DOMAIN')",
              "domain '%s' is not running", d->name);
    return NULL;
  }
  if (vsc_virt_state_read(d, &st, diags) < 0)
    return NULL;
  const vsc_chardev *dev = find_live_device(d, &st, ident, diags);
  if (dev)
    ch = open_device(d, dev, opts && opts->force, diags);
  vsc_virt_state_clear(&st);
  return ch;
}
