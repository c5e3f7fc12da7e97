/* Oracle 2: real QEMU.  Build device sets, turn them into arguments
 * with vsc_qemu_build_argv, start
 *   qemu-system-x86_64 -machine M -nodefaults -display none -S -accel tcg
 *                      -qmp unix:SOCK,server=on,wait=off ARGS...
 * and ask QMP (query-chardev, qom-list, qom-get, info network) whether
 * every chardev and port exists with the intended backend, name, port
 * and path; then quit.  Paths and names hold commas, spaces and quotes.
 *
 *   qemu-oracle pc|q35
 *
 * Exit 0 pass, 1 fail, 77 skip (no QEMU; a failure when CI is set). */
#define _GNU_SOURCE  /* nftw, posix_openpt */
#include "qemu/qemu.h"
#include "test.h"
#include "util/buf.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *qemu_bin = "qemu-system-x86_64";
static char tmpdir[64];
static pid_t qemu_pid = -1;
static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("FAIL: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  failures++;
}

/* ---- cleanup: QEMU, sockets, files ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void stop_qemu(void)
{
  if (qemu_pid <= 0)
    return;
  for (int i = 0; i < 100; i++) {
    if (waitpid(qemu_pid, NULL, WNOHANG) == qemu_pid) {
      qemu_pid = -1;
      return;
    }
    usleep(50 * 1000);
  }
  kill(qemu_pid, SIGKILL);
  waitpid(qemu_pid, NULL, 0);
  qemu_pid = -1;
}

static void cleanup(void)
{
  if (qemu_pid > 0) {
    kill(qemu_pid, SIGKILL);
    waitpid(qemu_pid, NULL, 0);
    qemu_pid = -1;
  }
  if (tmpdir[0])
    nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  tmpdir[0] = '\0';
}

static void on_signal(int sig)
{
  cleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* ---- building devices ---- */

typedef struct {
  const char *id;           /* the id vschan must derive */
  const char *chardev_type; /* QOM type under /chardevs */
  const char *device_type;  /* QOM type under /machine/peripheral; NULL: guestfwd netdev */
  const char *name;         /* virtserialport name */
  int nr;                   /* virtio port, or -1 */
  int index;                /* isa index, or -1 */
  char *socket;             /* a listening unix socket that must exist */
  char *file;               /* a file that must exist */
  char *filename_has;       /* text query-chardev's filename must contain */
} expectation;

typedef struct {
  vsc_devset set;
  expectation *exp;
  size_t nexp;
  char **extra;             /* extra QEMU arguments */
  size_t nextra;
} scenario;

static char *in_tmp(const char *name)
{
  return vsc_asprintf("%s/%s", tmpdir, name);
}

static vsc_chardev *add_dev(scenario *s, vsc_kind kind, vsc_backend backend, expectation e)
{
  vsc_chardev *dev = vsc_chardev_new(kind);
  dev->has_backend = true;
  dev->backend = backend;
  vsc_devset_add(&s->set, dev);
  *(expectation *)vsc_append(&s->exp, &s->nexp, sizeof(e)) = e;
  return dev;
}

static vsc_source *source(vsc_chardev *dev, vsc_mode mode, const char *path)
{
  vsc_source *src = vsc_chardev_add_source(dev);
  src->mode = mode;
  src->path = vsc_strdup(path);
  return src;
}

static void target(vsc_chardev *dev, vsc_target_type type, const char *name, int port)
{
  dev->has_target = true;
  dev->target.type = type;
  dev->target.name = vsc_strdup(name);
  if (port >= 0) {
    dev->target.has_port = true;
    dev->target.port = (unsigned int)port;
  }
}

static void extra(scenario *s, const char *arg)
{
  *(char **)vsc_append(&s->extra, &s->nextra, sizeof(char *)) = vsc_strdup(arg);
}

static const char *quoted_dir = "d,i r'q\"";

/* i440fx: every backend and every front end once. */
static void scenario_pc(scenario *s, char **pty_slave)
{
  vsc_chardev *d;
  vsc_source *src;
  char *p;

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_UNIX,
              (expectation){ "vschan-org.example.a_b__c_", "chardev-socket", "virtserialport",
                             "org.example.a,b 'c\"", 1, -1, NULL, NULL, NULL });
  p = vsc_asprintf("%s/%s/s,1 'a\".sock", tmpdir, quoted_dir);
  source(d, VSC_MODE_BIND, p);
  s->exp[s->nexp - 1].socket = p;
  s->exp[s->nexp - 1].filename_has = vsc_strdup(p);
  target(d, VSC_TARGET_VIRTIO, "org.example.a,b 'c\"", -1);

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_UNIX,
              (expectation){ "vschan-org.example.reconnect", "chardev-socket", "virtserialport",
                             "org.example.reconnect", 2, -1, NULL, NULL, NULL });
  p = vsc_asprintf("%s/%s/no,peer.sock", tmpdir, quoted_dir);
  src = source(d, VSC_MODE_CONNECT, p);
  src->has_reconnect = true;
  src->reconnect.enabled = VSC_TRI_YES;
  src->reconnect.has_timeout = true;
  src->reconnect.timeout = 1;
  s->exp[s->nexp - 1].filename_has = p;
  target(d, VSC_TARGET_VIRTIO, "org.example.reconnect", -1);

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_TCP,
              (expectation){ "vschan-org.example.tcp", "chardev-socket", "virtserialport",
                             "org.example.tcp", 3, -1, NULL, NULL, vsc_strdup("telnet:127.0.0.1:") });
  src = source(d, VSC_MODE_BIND, NULL);
  src->host = vsc_strdup("127.0.0.1");
  src->service = vsc_strdup("0");
  d->protocol = VSC_PROTOCOL_TELNET;
  target(d, VSC_TARGET_VIRTIO, "org.example.tcp", -1);

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_UDP,
              (expectation){ "vschan-org.example.udp", "chardev-udp", "virtserialport",
                             "org.example.udp", 4, -1, NULL, NULL, NULL });
  src = source(d, VSC_MODE_CONNECT, NULL);
  src->host = vsc_strdup("127.0.0.1");
  src->service = vsc_strdup("9");
  target(d, VSC_TARGET_VIRTIO, "org.example.udp", -1);

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_SPICEVMC,
              (expectation){ "vschan-channel", "chardev-spicevmc", "virtserialport",
                             "com.redhat.spice.0", 5, -1, NULL, NULL, NULL });
  target(d, VSC_TARGET_VIRTIO, NULL, -1);

  add_dev(s, VSC_KIND_CONSOLE, VSC_BACKEND_PTY,
          (expectation){ "vschan-console", "chardev-pty", "virtconsole", NULL, 0, -1, NULL, NULL,
                         vsc_strdup("pty:/dev/pts/") });
  target(s->set.devs[s->set.ndevs - 1], VSC_TARGET_VIRTIO, NULL, -1);
  add_dev(s, VSC_KIND_CONSOLE, VSC_BACKEND_PTY,
          (expectation){ "vschan-console-2", "chardev-pty", "virtconsole", NULL, 6, -1, NULL, NULL,
                         NULL });
  target(s->set.devs[s->set.ndevs - 1], VSC_TARGET_VIRTIO, NULL, -1);

  d = add_dev(s, VSC_KIND_SERIAL, VSC_BACKEND_FILE,
              (expectation){ "vschan-serial0", "chardev-file", "isa-serial", NULL, -1, 0, NULL, NULL,
                             NULL });
  p = vsc_asprintf("%s/%s/f,1 \"x'.log", tmpdir, quoted_dir);
  source(d, VSC_MODE_ABSENT, p)->append = VSC_TRI_YES;
  s->exp[s->nexp - 1].file = p;
  d->log_file = vsc_asprintf("%s/%s/l,og 'x.log", tmpdir, quoted_dir);
  d->log_append = VSC_TRI_NO;
  target(d, VSC_TARGET_ISA_SERIAL, NULL, 0);
  /* the log file must exist too: a second expectation on the same chardev */
  *(expectation *)vsc_append(&s->exp, &s->nexp, sizeof(expectation)) =
    (expectation){ "vschan-serial0", "chardev-file", "isa-serial", NULL, -1, 0, NULL,
                   vsc_strdup(d->log_file), NULL };

  d = add_dev(s, VSC_KIND_SERIAL, VSC_BACKEND_DEV,
              (expectation){ "vschan-serial1", "chardev-serial", "isa-serial", NULL, -1, 1, NULL,
                             NULL, NULL });
  source(d, VSC_MODE_ABSENT, *pty_slave);
  target(d, VSC_TARGET_ISA_SERIAL, NULL, 1);

  /* an explicit PCI address on the root bus, pci.0 on pc */
  d = add_dev(s, VSC_KIND_SERIAL, VSC_BACKEND_NULL,
              (expectation){ "vschan-serial", "chardev-null", "pci-serial", NULL, -1, -1, NULL,
                             NULL, NULL });
  target(d, VSC_TARGET_PCI_SERIAL, NULL, -1);
  d->address.type = vsc_strdup("pci");
  vsc_address_set(&d->address, "bus", "0");
  vsc_address_set(&d->address, "slot", "0x0a");

  d = add_dev(s, VSC_KIND_SERIAL, VSC_BACKEND_VC,
              (expectation){ "vschan-serial-2", "chardev-vc", "usb-serial", NULL, -1, -1, NULL,
                             NULL, NULL });
  target(d, VSC_TARGET_USB_SERIAL, NULL, -1);
  extra(s, "-device");
  extra(s, "piix3-usb-uhci");

  d = add_dev(s, VSC_KIND_SERIAL, VSC_BACKEND_STDIO,
              (expectation){ "vschan-serial-3", "chardev-stdio", "isa-debugcon", NULL, -1, -1, NULL,
                             NULL, NULL });
  target(d, VSC_TARGET_ISA_DEBUG, NULL, -1);
  vsc_address_set(&d->address, "iobase", "0x402");
  free(d->address.type);
  d->address.type = vsc_strdup("isa");

  d = add_dev(s, VSC_KIND_PARALLEL, VSC_BACKEND_PIPE,
              (expectation){ "vschan-parallel0", "chardev-pipe", "isa-parallel", NULL, -1, 0, NULL,
                             NULL, NULL });
  p = vsc_asprintf("%s/%s/p,ipe 'x\"", tmpdir, quoted_dir);
  if (mkfifo(p, 0600) < 0)
    fail("mkfifo '%s': %s", p, strerror(errno));
  source(d, VSC_MODE_ABSENT, p);
  free(p);
  target(d, VSC_TARGET_ABSENT, NULL, 0);

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_UNIX,
              (expectation){ "vschan-guestfwd-10.0.2.100-4600", "chardev-socket", NULL, NULL, -1,
                             -1, NULL, NULL, NULL });
  p = vsc_asprintf("%s/%s/g,f 'x\".sock", tmpdir, quoted_dir);
  source(d, VSC_MODE_BIND, p);
  s->exp[s->nexp - 1].socket = p;
  target(d, VSC_TARGET_GUESTFWD, NULL, 4600);
  d->target.address = vsc_strdup("10.0.2.100");
}

/* q35: the other backends, explicit ports, an alias, the options. */
static void scenario_q35(scenario *s)
{
  vsc_chardev *d;
  vsc_source *src;
  char *p;

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_QEMU_VDAGENT,
              (expectation){ "vsq-com.redhat.spice.0", "chardev-qemu-vdagent", "virtserialport",
                             "com.redhat.spice.0", 1, -1, NULL, NULL, NULL });
  src = source(d, VSC_MODE_ABSENT, NULL);
  src->copypaste = VSC_TRI_YES;
  src->mouse = VSC_MOUSE_CLIENT;
  target(d, VSC_TARGET_VIRTIO, "com.redhat.spice.0", -1);

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_SPICEPORT,
              (expectation){ "vsq-org.example.sp", "chardev-spiceport", "virtserialport",
                             "org.example.sp", 2, -1, NULL, NULL, NULL });
  source(d, VSC_MODE_ABSENT, NULL)->channel = vsc_strdup("org.spice-space.x,y");
  target(d, VSC_TARGET_VIRTIO, "org.example.sp", -1);
  p = vsc_asprintf("unix=on,addr=%s/spice.sock,disable-ticketing=on", tmpdir);
  extra(s, "-spice");
  extra(s, p);
  free(p);

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_DBUS,
              (expectation){ "vsq-org.example.dbus", "chardev-dbus", "virtserialport",
                             "org.example.dbus", 3, -1, NULL, NULL, NULL });
  source(d, VSC_MODE_ABSENT, NULL)->channel = vsc_strdup("org.example.dbus");
  target(d, VSC_TARGET_VIRTIO, "org.example.dbus", -1);

  d = add_dev(s, VSC_KIND_CHANNEL, VSC_BACKEND_UNIX,
              (expectation){ "vsq-my.chan", "chardev-socket", "virtserialport", "org.example.my",
                             7, -1, NULL, NULL, NULL });
  p = vsc_asprintf("%s/%s/my \"c,h'an\".sock", tmpdir, quoted_dir);
  source(d, VSC_MODE_BIND, p);
  s->exp[s->nexp - 1].socket = p;
  target(d, VSC_TARGET_VIRTIO, "org.example.my", -1);
  d->alias = vsc_strdup("ua-my.chan");
  d->address.type = vsc_strdup("virtio-serial");
  vsc_address_set(&d->address, "controller", "0");
  vsc_address_set(&d->address, "bus", "0");
  vsc_address_set(&d->address, "port", "7");

  /* an explicit PCI address on the root bus, pcie.0 on q35 */
  d = add_dev(s, VSC_KIND_SERIAL, VSC_BACKEND_NULL,
              (expectation){ "vsq-serial", "chardev-null", "pci-serial", NULL, -1, -1, NULL,
                             NULL, NULL });
  target(d, VSC_TARGET_PCI_SERIAL, NULL, -1);
  d->address.type = vsc_strdup("pci");
  vsc_address_set(&d->address, "bus", "0");
  vsc_address_set(&d->address, "slot", "0x0a");

  d = add_dev(s, VSC_KIND_CONSOLE, VSC_BACKEND_FILE,
              (expectation){ "vsq-console", "chardev-file", "virtconsole", NULL, 0, -1, NULL, NULL,
                             NULL });
  p = vsc_asprintf("%s/%s/con sole,1.log", tmpdir, quoted_dir);
  source(d, VSC_MODE_ABSENT, p);
  s->exp[s->nexp - 1].file = p;
  target(d, VSC_TARGET_VIRTIO, NULL, -1);

  d = add_dev(s, VSC_KIND_SERIAL, VSC_BACKEND_TCP,
              (expectation){ "vsq-serial3", "chardev-socket", "isa-serial", NULL, -1, 3, NULL, NULL,
                             vsc_strdup("tcp:127.0.0.1:") });
  src = source(d, VSC_MODE_BIND, NULL);
  src->host = vsc_strdup("127.0.0.1");
  src->service = vsc_strdup("0");
  target(d, VSC_TARGET_ISA_SERIAL, NULL, 3);

  d = add_dev(s, VSC_KIND_PARALLEL, VSC_BACKEND_NULL,
              (expectation){ "vsq-parallel2", "chardev-null", "isa-parallel", NULL, -1, 2, NULL,
                             NULL, NULL });
  target(d, VSC_TARGET_ABSENT, NULL, 2);
}

/* ---- QMP ---- */

typedef struct {
  int fd;
  vsc_buf in;
} qmp_conn;

static int qmp_connect(qmp_conn *q, const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };

  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  for (int i = 0; i < VSCT_LONG_S * 20; i++) {
    int status;
    if (waitpid(qemu_pid, &status, WNOHANG) == qemu_pid) {
      qemu_pid = -1;
      return -1;
    }
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd >= 0 && connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
      return 0;
    if (q->fd >= 0)
      close(q->fd);
    usleep(50 * 1000);
  }
  return -1;
}

/* The next message that is not an event; NULL on EOF or after
 * VSCT_LONG_S. */
static json_t *qmp_read(qmp_conn *q)
{
  for (;;) {
    char *nl = q->in.data ? memchr(q->in.data, '\n', q->in.len) : NULL;
    if (nl) {
      size_t len = (size_t)(nl - q->in.data) + 1;
      json_error_t err;
      json_t *msg = json_loadb(q->in.data, len, 0, &err);
      memmove(q->in.data, q->in.data + len, q->in.len - len);
      q->in.len -= len;
      q->in.data[q->in.len] = '\0';
      if (msg && json_object_get(msg, "event")) {
        json_decref(msg);
        continue;
      }
      return msg;
    }
    struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
    char chunk[4096];
    if (poll(&pfd, 1, VSCT_LONG_S * 1000) <= 0)
      return NULL;
    ssize_t got = read(q->fd, chunk, sizeof(chunk));
    if (got <= 0)
      return NULL;
    vsc_buf_addn(&q->in, chunk, (size_t)got);
  }
}

/* Run a command; its "return" value (a new reference) or NULL. */
static json_t *qmp_cmd(qmp_conn *q, const char *cmd, json_t *args)
{
  json_t *req = json_pack("{s:s}", "execute", cmd);
  if (args)
    json_object_set_new(req, "arguments", args);
  char *text = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  size_t len = strlen(text);
  ssize_t put = write(q->fd, text, len);
  put += write(q->fd, "\n", 1);
  free(text);
  if (put != (ssize_t)len + 1)
    return NULL;
  json_t *reply = qmp_read(q);
  json_t *ret = reply ? json_object_get(reply, "return") : NULL;
  if (!ret) {
    char *r = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
    fail("QMP %s: %s", cmd, r ? r : "no reply");
    free(r);
    json_decref(reply);
    return NULL;
  }
  json_incref(ret);
  json_decref(reply);
  return ret;
}

static json_t *qom_get(qmp_conn *q, const char *id, const char *prop)
{
  VSC_AUTOFREE(char) path = vsc_asprintf("/machine/peripheral/%s", id);
  return qmp_cmd(q, "qom-get", json_pack("{s:s,s:s}", "path", path, "property", prop));
}

/* name → type of qom-list path, as "child<TYPE>" */
static const char *qom_child_type(json_t *list, const char *name)
{
  size_t i;
  json_t *it;
  json_array_foreach(list, i, it) {
    const char *n = json_string_value(json_object_get(it, "name"));
    if (n && strcmp(n, name) == 0)
      return json_string_value(json_object_get(it, "type"));
  }
  return NULL;
}

static void check_child(json_t *list, const char *where, const char *id, const char *type)
{
  const char *got = qom_child_type(list, id);
  VSC_AUTOFREE(char) want = vsc_asprintf("child<%s>", type);
  if (!got || strcmp(got, want) != 0)
    fail("%s/%s: type %s, wanted %s", where, id, got ? got : "(missing)", want);
}

static void check_string_prop(qmp_conn *q, const char *id, const char *prop, const char *want)
{
  json_t *v = qom_get(q, id, prop);
  const char *got = json_string_value(v);
  if (!got || strcmp(got, want) != 0)
    fail("%s.%s = '%s', wanted '%s'", id, prop, got ? got : "(none)", want);
  json_decref(v);
}

static void check_int_prop(qmp_conn *q, const char *id, const char *prop, long long want)
{
  json_t *v = qom_get(q, id, prop);
  if (!json_is_integer(v) || json_integer_value(v) != want)
    fail("%s.%s = %lld, wanted %lld", id, prop, v ? (long long)json_integer_value(v) : -1, want);
  json_decref(v);
}

static void check_qemu(qmp_conn *q, const scenario *s)
{
  json_t *chardevs = qmp_cmd(q, "qom-list", json_pack("{s:s}", "path", "/chardevs"));
  json_t *periph = qmp_cmd(q, "qom-list", json_pack("{s:s}", "path", "/machine/peripheral"));
  json_t *info = qmp_cmd(q, "query-chardev", NULL);
  json_t *net = qmp_cmd(q, "human-monitor-command",
                        json_pack("{s:s}", "command-line", "info network"));

  for (size_t i = 0; i < s->nexp && chardevs && periph && info && net; i++) {
    const expectation *e = &s->exp[i];
    check_child(chardevs, "/chardevs", e->id, e->chardev_type);
    if (e->device_type) {
      check_child(periph, "/machine/peripheral", e->id, e->device_type);
      check_string_prop(q, e->id, "chardev", e->id);
    } else {
      VSC_AUTOFREE(char) line = vsc_asprintf("%s: index=", e->id);
      if (!strstr(json_string_value(net), line))
        fail("netdev '%s' missing from 'info network': %s", e->id, json_string_value(net));
    }
    if (e->name)
      check_string_prop(q, e->id, "name", e->name);
    if (e->nr >= 0)
      check_int_prop(q, e->id, "nr", e->nr);
    if (e->index >= 0)
      check_int_prop(q, e->id, "index", e->index);
    if (e->filename_has) {
      size_t j;
      json_t *it;
      bool found = false;
      json_array_foreach(info, j, it) {
        const char *label = json_string_value(json_object_get(it, "label"));
        const char *fn = json_string_value(json_object_get(it, "filename"));
        if (label && fn && strcmp(label, e->id) == 0)
          found = strstr(fn, e->filename_has) != NULL;
      }
      if (!found)
        fail("query-chardev: filename of '%s' does not contain '%s'", e->id, e->filename_has);
    }
    struct stat st;
    if (e->socket && (stat(e->socket, &st) < 0 || !S_ISSOCK(st.st_mode)))
      fail("%s: no listening socket at '%s'", e->id, e->socket);
    if (e->file && stat(e->file, &st) < 0)
      fail("%s: no file at '%s'", e->id, e->file);
  }
  if (s->nexp && (!chardevs || !periph || !info || !net))
    fail("QMP queries failed");
  json_decref(chardevs);
  json_decref(periph);
  json_decref(info);
  json_decref(net);
}

static void print_file(const char *path)
{
  FILE *f = fopen(path, "r");
  char line[1024];
  if (!f)
    return;
  while (fgets(line, sizeof(line), f))
    fprintf(stderr, "  qemu: %s", line);
  fclose(f);
}

static int run(const char *machine, scenario *s, const vsc_qemu_opts *opts)
{
  char **args = NULL, **dev_argv = NULL;
  size_t nargs = 0, ndev = 0;
  vsc_diags diags = { 0 };
  VSC_AUTOFREE(char) qmp_path = in_tmp("qmp.sock");
  VSC_AUTOFREE(char) qmp_arg = vsc_asprintf("unix:%s,server=on,wait=off", qmp_path);
  VSC_AUTOFREE(char) log_path = in_tmp("qemu.log");
  const char *fixed[] = { qemu_bin, "-machine", machine, "-nodefaults", "-display", "none", "-S",
                          "-accel", "tcg", "-qmp", qmp_arg };

  if (vsc_qemu_build_argv(&s->set, opts, &dev_argv, &ndev, &diags) < 0) {
    vsc_diags_print(&diags, stderr, false);
    vsc_diags_clear(&diags);
    fail("vsc_qemu_build_argv refused the %s scenario", machine);
    return -1;
  }
  for (size_t i = 0; i < VSC_N_ELEMENTS(fixed); i++)
    *(char **)vsc_append(&args, &nargs, sizeof(char *)) = (char *)fixed[i];
  for (size_t i = 0; i < s->nextra; i++)
    *(char **)vsc_append(&args, &nargs, sizeof(char *)) = s->extra[i];
  for (size_t i = 0; i < ndev; i++)
    *(char **)vsc_append(&args, &nargs, sizeof(char *)) = dev_argv[i];
  *(char **)vsc_append(&args, &nargs, sizeof(char *)) = NULL;

  VSC_AUTOFREE(char) shown = vsc_qemu_argv_to_shell(args, nargs - 1);
  fprintf(stderr, "# %s\n", shown);

  qemu_pid = fork();
  if (qemu_pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  /* never outlive the test */
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    execvp(args[0], args);
    _exit(127);
  }
  free(args);
  vsc_qemu_argv_free(dev_argv, ndev);

  qmp_conn q = { .fd = -1 };
  if (qemu_pid < 0 || qmp_connect(&q, qmp_path) < 0) {
    fail("QEMU did not start (%s)", machine);
    print_file(log_path);
    return -1;
  }
  json_t *greeting = qmp_read(&q);
  if (!greeting) {
    /* QEMU opens the QMP socket before it builds the devices: a device
     * it refuses ends it here */
    fail("QEMU (%s) closed QMP before its greeting", machine);
    close(q.fd);
    vsc_buf_clear(&q.in);
    stop_qemu();
    print_file(log_path);
    return -1;
  }
  json_decref(greeting);
  json_decref(qmp_cmd(&q, "qmp_capabilities", NULL));
  check_qemu(&q, s);
  json_decref(qmp_cmd(&q, "quit", NULL));
  close(q.fd);
  vsc_buf_clear(&q.in);
  stop_qemu();
  if (failures)
    print_file(log_path);
  return 0;
}

static void scenario_free(scenario *s)
{
  vsc_devset_clear(&s->set);
  for (size_t i = 0; i < s->nexp; i++) {
    free(s->exp[i].socket);
    free(s->exp[i].file);
    free(s->exp[i].filename_has);
  }
  free(s->exp);
  for (size_t i = 0; i < s->nextra; i++)
    free(s->extra[i]);
  free(s->extra);
}

static bool have_qemu(void)
{
  return system("command -v qemu-system-x86_64 >/dev/null 2>&1") == 0;
}

int main(int argc, char **argv)
{
  const char *machine = argc > 1 ? argv[1] : "pc";
  scenario s = { 0 };
  vsc_qemu_opts opts = { 0 };
  char *pty_slave = NULL;
  int master = -1;

  vsc_mem_init();
  if (!have_qemu()) {
    return vsct_skip("qemu-oracle: qemu-system-x86_64 not found; install qemu-system-x86");
  }
  /* The arguments for the QEMU that runs them, as 'vschan qemu-args' writes
   * them by default (the syntax of reconnect depends on it). */
  opts.qemu_version = vsc_qemu_version_detect();
  if (!opts.qemu_version) {
    fprintf(stderr, "qemu-oracle: cannot read the version of qemu-system-x86_64\n");
    return 1;
  }
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/vsq.XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  atexit(cleanup);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);  /* a QEMU that exits is a failure to report, with its log */
  VSC_AUTOFREE(char) quoted = in_tmp(quoted_dir);
  mkdir(quoted, 0700);

  vsc_devset_init(&s.set);
  if (strcmp(machine, "q35") == 0) {
    opts.id_prefix = "vsq-";
    opts.machine = "q35";
    opts.controller_bus = "pcie.0";
    opts.controller_addr = "0x9";
    scenario_q35(&s);
  } else {
    /* a real serial line for the 'dev' backend: a pty slave */
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
      perror("posix_openpt");
      return 1;
    }
    pty_slave = vsc_strdup(ptsname(master));
    opts.controller_bus = "pci.0";
    opts.controller_addr = "0x9";
    scenario_pc(&s, &pty_slave);
  }
  if (!failures)
    run(machine, &s, &opts);
  scenario_free(&s);
  free(pty_slave);
  if (master >= 0)
    close(master);
  if (failures) {
    fprintf(stderr, "qemu-oracle %s: %d failure(s)\n", machine, failures);
    return 1;
  }
  fprintf(stderr, "qemu-oracle %s: ok\n", machine);
  return 0;
}
