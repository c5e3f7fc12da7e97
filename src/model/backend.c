/* The backend table and the <source> field descriptors (backend.h). */
#include "backend.h"

#include "util/str.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the fields of <source> ---- */

#define FIELD(id, field_name, elem, field_type, member, grp, ...) \
  [id] = { .name = (field_name), .element = (elem), .type = (field_type), \
           .offset = offsetof(vsc_source, member), .group = (grp), __VA_ARGS__ }
#define RECONNECT .element_offset = offsetof(vsc_source, has_reconnect)

const vsc_source_field vsc_source_fields[VSC_SF_LAST] = {
  FIELD(VSC_SF_MODE, "mode", NULL, VSC_FIELD_ENUM, mode, VSC_SRC_MODE,
        .values = vsc_mode_table, .nvalues = VSC_MODE_LAST, .identity = true, .short_key = true),
  FIELD(VSC_SF_PATH, "path", NULL, VSC_FIELD_STRING, path, VSC_SRC_PATH,
        .identity = true, .short_key = true),
  /* host= takes HOST:PORT in the option syntax: read by hand there. */
  FIELD(VSC_SF_HOST, "host", NULL, VSC_FIELD_STRING, host, VSC_SRC_HOST, .identity = true,
        .unescaped = true),
  FIELD(VSC_SF_SERVICE, "service", NULL, VSC_FIELD_SERVICE, service, VSC_SRC_SERVICE,
        .identity = true, .short_key = true, .unescaped = true),
  FIELD(VSC_SF_CHANNEL, "channel", NULL, VSC_FIELD_STRING, channel, VSC_SRC_CHANNEL,
        .identity = true, .may_be_empty = true),
  FIELD(VSC_SF_MASTER, "master", NULL, VSC_FIELD_STRING, master, VSC_SRC_NMDM,
        .identity = true, .may_be_empty = true),
  FIELD(VSC_SF_SLAVE, "slave", NULL, VSC_FIELD_STRING, slave, VSC_SRC_NMDM,
        .identity = true, .may_be_empty = true),
  FIELD(VSC_SF_APPEND, "append", NULL, VSC_FIELD_TRISTATE, append, VSC_SRC_APPEND,
        .onoff = true, .identity = true),
  /* libvirt does not compare tls= when it looks for a device to detach. */
  FIELD(VSC_SF_TLS, "tls", NULL, VSC_FIELD_TRISTATE, tls, VSC_SRC_TLS),
  FIELD(VSC_SF_RECONNECT_ENABLED, "enabled", "reconnect", VSC_FIELD_TRISTATE, reconnect.enabled,
        VSC_SRC_RECONNECT, RECONNECT, .identity = true),
  FIELD(VSC_SF_RECONNECT_TIMEOUT, "timeout", "reconnect", VSC_FIELD_UINT, reconnect.timeout,
        VSC_SRC_RECONNECT, RECONNECT, .given_offset = offsetof(vsc_source, reconnect.has_timeout),
        .max = UINT_MAX, .identity = true),
  FIELD(VSC_SF_SECLABEL, "seclabel", "seclabel", VSC_FIELD_SECLABELS, seclabels, VSC_SRC_SECLABEL),
  FIELD(VSC_SF_COPYPASTE, "copypaste", "clipboard", VSC_FIELD_TRISTATE, copypaste, VSC_SRC_VDAGENT,
        .identity = true),
  FIELD(VSC_SF_MOUSE, "mode", "mouse", VSC_FIELD_ENUM, mouse, VSC_SRC_VDAGENT, .label = "mouse mode",
        .values = vsc_mouse_mode_table, .nvalues = VSC_MOUSE_LAST, .identity = true),
  FIELD(VSC_SF_WAIT, "wait", NULL, VSC_FIELD_TRISTATE, wait, VSC_SRC_WAIT, .onoff = true, .qemu_only = true),
  FIELD(VSC_SF_NODELAY, "nodelay", NULL, VSC_FIELD_TRISTATE, nodelay, VSC_SRC_NODELAY, .onoff = true,
        .qemu_only = true),
  FIELD(VSC_SF_WIDTH, "width", NULL, VSC_FIELD_UINT, width, VSC_SRC_VC_SIZE,
        .given_offset = offsetof(vsc_source, has_width), .max = 65535, .qemu_only = true),
  FIELD(VSC_SF_HEIGHT, "height", NULL, VSC_FIELD_UINT, height, VSC_SRC_VC_SIZE,
        .given_offset = offsetof(vsc_source, has_height), .max = 65535, .qemu_only = true),
  FIELD(VSC_SF_COLS, "cols", NULL, VSC_FIELD_UINT, cols, VSC_SRC_VC_SIZE,
        .given_offset = offsetof(vsc_source, has_cols), .max = 65535, .qemu_only = true),
  FIELD(VSC_SF_ROWS, "rows", NULL, VSC_FIELD_UINT, rows, VSC_SRC_VC_SIZE,
        .given_offset = offsetof(vsc_source, has_rows), .max = 65535, .qemu_only = true),
};

void *vsc_source_field_ptr(vsc_source *src, const vsc_source_field *f)
{
  return (char *)src + f->offset;
}

const void *vsc_source_field_cptr(const vsc_source *src, const vsc_source_field *f)
{
  return (const char *)src + f->offset;
}

int vsc_source_field_int(const vsc_source *src, const vsc_source_field *f)
{
  /* Enums and vsc_tristate are ints. */
  return *(const int *)vsc_source_field_cptr(src, f);
}

void vsc_source_field_set_int(vsc_source *src, const vsc_source_field *f, int v)
{
  *(int *)vsc_source_field_ptr(src, f) = v;
}

const char *vsc_source_field_string(const vsc_source *src, const vsc_source_field *f)
{
  return *(char *const *)vsc_source_field_cptr(src, f);
}

void vsc_source_field_set_string(vsc_source *src, const vsc_source_field *f, const char *value)
{
  char **s = vsc_source_field_ptr(src, f);
  free(*s);
  *s = vsc_strdup(value);
}

bool vsc_source_field_given(const vsc_source *src, const vsc_source_field *f)
{
  switch (f->type) {
  case VSC_FIELD_STRING:
  case VSC_FIELD_SERVICE:
    return vsc_source_field_string(src, f) != NULL;
  case VSC_FIELD_ENUM:
  case VSC_FIELD_TRISTATE:
    return vsc_source_field_int(src, f) != 0;
  case VSC_FIELD_UINT:
    return *(const bool *)((const char *)src + f->given_offset);
  case VSC_FIELD_SECLABELS:
    return src->nseclabels > 0;
  }
  return false;
}

size_t vsc_source_element_span(const vsc_source_field *f)
{
  size_t n = 1;
  while (f + n < vsc_source_fields + VSC_SF_LAST && vsc_streq0(f[n].element, f->element))
    n++;
  return n;
}

bool vsc_source_element_given(const vsc_source *src, const vsc_source_field *f)
{
  if (f->element_offset && *(const bool *)((const char *)src + f->element_offset))
    return true;
  size_t n = vsc_source_element_span(f);
  for (size_t i = 0; i < n; i++)
    if (vsc_source_field_given(src, &f[i]))
      return true;
  return false;
}

void vsc_source_element_set(vsc_source *src, const vsc_source_field *f)
{
  if (f->element_offset)
    *(bool *)((char *)src + f->element_offset) = true;
}

void vsc_source_clear(vsc_source *src)
{
  for (size_t i = 0; i < VSC_SF_LAST; i++) {
    const vsc_source_field *f = &vsc_source_fields[i];
    if (f->type == VSC_FIELD_STRING || f->type == VSC_FIELD_SERVICE)
      free(*(char **)vsc_source_field_ptr(src, f));
  }
  for (size_t i = 0; i < src->nseclabels; i++) {
    free(src->seclabels[i].model);
    free(src->seclabels[i].label);
  }
  free(src->seclabels);
  memset(src, 0, sizeof(*src));
}

void vsc_source_copy(vsc_source *dst, const vsc_source *src)
{
  *dst = *src;
  for (size_t i = 0; i < VSC_SF_LAST; i++) {
    const vsc_source_field *f = &vsc_source_fields[i];
    if (f->type == VSC_FIELD_STRING || f->type == VSC_FIELD_SERVICE) {
      char **s = vsc_source_field_ptr(dst, f);
      *s = vsc_strdup(*s);
    }
  }
  dst->seclabels = NULL;
  dst->nseclabels = 0;
  for (size_t i = 0; i < src->nseclabels; i++) {
    vsc_seclabel *s = vsc_append(&dst->seclabels, &dst->nseclabels, sizeof(*s));
    s->model = vsc_strdup(src->seclabels[i].model);
    s->relabel = src->seclabels[i].relabel;
    s->label = vsc_strdup(src->seclabels[i].label);
  }
}

bool vsc_source_same(const vsc_source *a, const vsc_source *b)
{
  static const vsc_source none;
  if (!a)
    a = &none;
  if (!b)
    b = &none;
  if (a->has_reconnect != b->has_reconnect)
    return false;
  for (size_t i = 0; i < VSC_SF_LAST; i++) {
    const vsc_source_field *f = &vsc_source_fields[i];
    if (!f->identity)
      continue;
    switch (f->type) {
    case VSC_FIELD_STRING:
    case VSC_FIELD_SERVICE:
      if (!vsc_streq0(vsc_source_field_string(a, f), vsc_source_field_string(b, f)))
        return false;
      break;
    case VSC_FIELD_ENUM:
    case VSC_FIELD_TRISTATE:
      if (vsc_source_field_int(a, f) != vsc_source_field_int(b, f))
        return false;
      break;
    case VSC_FIELD_UINT:
      if (*(const unsigned int *)vsc_source_field_cptr(a, f) !=
          *(const unsigned int *)vsc_source_field_cptr(b, f))
        return false;
      break;
    case VSC_FIELD_SECLABELS:
      break;
    }
  }
  return true;
}

/* ---- the backends ---- */

VSC_ENUM_IMPL(vsc_backend, VSC_BACKEND_LAST,
              "null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp", "tcp", "unix",
              "spicevmc", "spiceport", "nmdm", "qemu-vdagent", "dbus", "msmouse", "braille");

#define END_NEEDS { VSC_SF_LAST, NULL, NULL, NULL, NULL, false }
static const vsc_source_need needs_nothing[] = { END_NEEDS };
static const vsc_source_need needs_path[] = {
  { VSC_SF_PATH, "source-path", "/source/path", "give the source an absolute path",
    "missing source path for a '%s' backend", false },
  END_NEEDS,
};
static const vsc_source_need needs_unix[] = {
  { VSC_SF_PATH, "source-path", "/source/path",
    "give the source a path (mode bind to listen); only virtio channels get a generated one",
    "missing source path for a unix socket", false },
  END_NEEDS,
};
static const vsc_source_need needs_tcp[] = {
  { VSC_SF_HOST, "tcp-host", "/source/host",
    "give the source a host, such as 127.0.0.1 (0.0.0.0 listens on all)",
    "missing source host for a tcp backend", false },
  { VSC_SF_SERVICE, "tcp-service", "/source/service", "give the source a service (a port), such as 4555",
    "missing source service for a tcp backend", false },
  END_NEEDS,
};
static const vsc_source_need needs_udp[] = {
  { VSC_SF_SERVICE, "udp-service", "/source", "give a source in connect mode with the peer's port as service",
    "missing source service for the connect end of a udp backend", false },
  END_NEEDS,
};
static const vsc_source_need needs_channel[] = {
  { VSC_SF_CHANNEL, "source-channel", "/source/channel", "use a name such as org.qemu.console.serial.0",
    "a '%s' backend needs a source channel name of [A-Za-z0-9_.-]", true },
  END_NEEDS,
};

#define END_OPTS { NULL, -1, 0, NULL, 0 }
static const vsc_qemu_opt qemu_none[] = { END_OPTS };
static const vsc_qemu_opt qemu_path[] = {
  { "path", VSC_SF_PATH, VSC_QOPT_REQUIRED, NULL, 0 }, END_OPTS,
};
static const vsc_qemu_opt qemu_file[] = {
  { "path", VSC_SF_PATH, VSC_QOPT_REQUIRED, NULL, 0 },
  { "append", VSC_SF_APPEND, VSC_QOPT_ONOFF, NULL, VSC_TRI_YES }, END_OPTS,
};
/* libvirt writes all four, empty (and port 0) where not given. */
static const vsc_qemu_opt qemu_udp[] = {
  { "host", VSC_SF_HOST, 0, "", 0 },
  { "port", VSC_SF_SERVICE, VSC_QOPT_REQUIRED, NULL, 0 },
  { "localaddr", VSC_SF_HOST, VSC_QOPT_BIND_END, "", 0 },
  { "localport", VSC_SF_SERVICE, VSC_QOPT_BIND_END, "0", 0 }, END_OPTS,
};
static const vsc_qemu_opt qemu_tcp[] = {
  { "host", VSC_SF_HOST, VSC_QOPT_REQUIRED, NULL, 0 },
  { "port", VSC_SF_SERVICE, VSC_QOPT_REQUIRED, NULL, 0 },
  { "nodelay", VSC_SF_NODELAY, VSC_QOPT_ONOFF, NULL, VSC_TRI_YES }, END_OPTS,
};
/* QEMU's text console: its size in pixels or characters. */
static const vsc_qemu_opt qemu_vc[] = {
  { "width", VSC_SF_WIDTH, 0, NULL, 0 },
  { "height", VSC_SF_HEIGHT, 0, NULL, 0 },
  { "cols", VSC_SF_COLS, 0, NULL, 0 },
  { "rows", VSC_SF_ROWS, 0, NULL, 0 }, END_OPTS,
};
static const vsc_qemu_opt qemu_unix[] = {
  { "path", VSC_SF_PATH, VSC_QOPT_REQUIRED | VSC_QOPT_GENERATED, NULL, 0 }, END_OPTS,
};
/* libvirt's subtype of spicevmc. */
static const vsc_qemu_opt qemu_spicevmc[] = {
  { "name", -1, 0, "vdagent", 0 }, END_OPTS,
};
static const vsc_qemu_opt qemu_channel[] = {
  { "name", VSC_SF_CHANNEL, VSC_QOPT_REQUIRED, NULL, 0 }, END_OPTS,
};
static const vsc_qemu_opt qemu_vdagent[] = {
  { "name", -1, 0, "vdagent", 0 },
  { "clipboard", VSC_SF_COPYPASTE, VSC_QOPT_ONOFF, NULL, VSC_TRI_YES },
  { "mouse", VSC_SF_MOUSE, VSC_QOPT_ONOFF, NULL, VSC_MOUSE_CLIENT }, END_OPTS,
};

#define CHANNEL_BIT VSC_KIND_BIT(VSC_KIND_CHANNEL)
#define PORT_BITS (VSC_KIND_BIT(VSC_KIND_CONSOLE) | VSC_KIND_BIT(VSC_KIND_SERIAL) | \
                   VSC_KIND_BIT(VSC_KIND_PARALLEL))
#define FILE_HINT "read or write the file it names on the host instead"
#define SPICE_PORT_NAME "com.redhat.spice.0"

static const vsc_backend_info backends[VSC_BACKEND_LAST] = {
  [VSC_BACKEND_NULL] = {
    .needs = needs_nothing, .qemu_driver = "null", .qemu_opts = qemu_none,
  },
  [VSC_BACKEND_VC] = {
    .fields = VSC_SRC_VC_SIZE, .needs = needs_nothing, .qemu_driver = "vc", .qemu_opts = qemu_vc,
  },
  [VSC_BACKEND_PTY] = {
    /* libvirt reports the pty it allocated as the source path in live XML */
    .fields = VSC_SRC_PATH, .flags = VSC_BF_PTY_PATH, .needs = needs_nothing,
    .qemu_driver = "pty", .qemu_opts = qemu_none,
    .show = VSC_SHOW_PTY, .stream_kinds = PORT_BITS, .direct_kinds = CHANNEL_BIT,
    .unreachable_hint = "libvirt does not open a channel's pty; run vschan on the libvirt host",
  },
  [VSC_BACKEND_DEV] = {
    .fields = VSC_SRC_PATH, .needs = needs_path,
    .qemu_driver = "serial", .qemu_driver_parallel = "parallel", .qemu_opts = qemu_path,
    .show = VSC_SHOW_PATH, .unreachable_hint = FILE_HINT, .pve = VSC_PVE_HOST_DEVICE,
  },
  [VSC_BACKEND_FILE] = {
    .fields = VSC_SRC_PATH | VSC_SRC_APPEND, .flags = VSC_BF_WRITES_FILE, .needs = needs_path,
    .qemu_driver = "file", .qemu_opts = qemu_file,
    .show = VSC_SHOW_PATH, .unreachable_hint = FILE_HINT,
  },
  [VSC_BACKEND_PIPE] = {
    .fields = VSC_SRC_PATH, .flags = VSC_BF_NO_HOTPLUG, .needs = needs_path,
    .qemu_driver = "pipe", .qemu_opts = qemu_path,
    .show = VSC_SHOW_PATH, .unreachable_hint = FILE_HINT,
  },
  [VSC_BACKEND_STDIO] = {
    .flags = VSC_BF_NO_HOTPLUG | VSC_BF_NEEDS_STDIO, .needs = needs_nothing, .qemu_driver = "stdio", .qemu_opts = qemu_none,
  },
  [VSC_BACKEND_UDP] = {
    .fields = VSC_SRC_MODE | VSC_SRC_HOST | VSC_SRC_SERVICE, .flags = VSC_BF_TWO_ENDS,
    .default_mode = VSC_MODE_CONNECT, .needs = needs_udp,
    .qemu_driver = "udp", .qemu_opts = qemu_udp, .show = VSC_SHOW_DATAGRAM,
  },
  [VSC_BACKEND_TCP] = {
    .fields = VSC_SRC_MODE | VSC_SRC_HOST | VSC_SRC_SERVICE | VSC_SRC_TLS | VSC_SRC_RECONNECT | VSC_SRC_WAIT |
              VSC_SRC_NODELAY,
    .flags = VSC_BF_PROTOCOL | VSC_BF_QEMU_SOCKET,
    .default_mode = VSC_MODE_CONNECT, .option_mode = VSC_MODE_CONNECT, .needs = needs_tcp,
    .qemu_driver = "socket", .qemu_opts = qemu_tcp, .show = VSC_SHOW_HOST_PORT,
    .unreachable_hint = "connect to its host and port with a TCP client (telnet, nc) instead",
  },
  [VSC_BACKEND_UNIX] = {
    .fields = VSC_SRC_MODE | VSC_SRC_PATH | VSC_SRC_RECONNECT | VSC_SRC_WAIT,
    .flags = VSC_BF_GENERATED_PATH | VSC_BF_SOCKET_PATH | VSC_BF_QEMU_SOCKET,
    /* virt-install listens where libvirt connects */
    .default_mode = VSC_MODE_CONNECT, .option_mode = VSC_MODE_BIND, .needs = needs_unix,
    .qemu_driver = "socket", .qemu_opts = qemu_unix,
    .show = VSC_SHOW_SOCKET, .stream_kinds = CHANNEL_BIT, .direct_kinds = PORT_BITS,
    .unreachable_hint = "the socket is on the libvirt host: run 'vschan connect --socket PATH' there",
    .unreachable_connect_hint = "QEMU connects to that socket: the program listening on it has the stream",
    .pve = VSC_PVE_OWN_SOCKET,
  },
  [VSC_BACKEND_SPICEVMC] = {
    .flags = VSC_BF_NEEDS_SPICE | VSC_BF_VIRTIO_ONLY, .port_name = SPICE_PORT_NAME,
    .needs = needs_nothing, .qemu_driver = "spicevmc", .qemu_opts = qemu_spicevmc,
  },
  [VSC_BACKEND_SPICEPORT] = {
    .fields = VSC_SRC_CHANNEL, .flags = VSC_BF_NEEDS_SPICE | VSC_BF_NO_HOTPLUG, .needs = needs_channel,
    .qemu_driver = "spiceport", .qemu_opts = qemu_channel, .show = VSC_SHOW_CHANNEL,
  },
  [VSC_BACKEND_NMDM] = {
    .fields = VSC_SRC_NMDM, .flags = VSC_BF_NO_HOTPLUG, .needs = needs_nothing,
    .qemu_opts = qemu_none, .qemu_missing_hint = "nmdm is for bhyve guests; use pty or unix on QEMU",
  },
  [VSC_BACKEND_QEMU_VDAGENT] = {
    .fields = VSC_SRC_VDAGENT, .port_name = SPICE_PORT_NAME, .needs = needs_nothing,
    .qemu_driver = "qemu-vdagent", .qemu_opts = qemu_vdagent,
  },
  [VSC_BACKEND_DBUS] = {
    .fields = VSC_SRC_CHANNEL, .needs = needs_channel,
    .qemu_driver = "dbus", .qemu_opts = qemu_channel, .show = VSC_SHOW_CHANNEL,
  },
  /* QEMU's serial mouse: mouse events from the display as a serial
   * Microsoft mouse. */
  [VSC_BACKEND_MSMOUSE] = {
    .flags = VSC_BF_NOT_LIBVIRT, .needs = needs_nothing,
    .qemu_driver = "msmouse", .qemu_opts = qemu_none,
  },
  /* A Baum braille display, through the host's BrlAPI server (brltty). */
  [VSC_BACKEND_BRAILLE] = {
    .flags = VSC_BF_NOT_LIBVIRT, .needs = needs_nothing,
    .qemu_driver = "braille", .qemu_opts = qemu_none,
  },
};

const vsc_backend_info *vsc_backend_info_of(vsc_backend b)
{
  return &backends[(unsigned int)b < VSC_BACKEND_LAST ? b : VSC_BACKEND_PTY];
}

const vsc_backend_info *vsc_chardev_backend_info(const vsc_chardev *dev)
{
  return vsc_backend_info_of(vsc_chardev_backend(dev));
}

const char *vsc_backend_qemu_names(void)
{
  static char names[256];
  if (!names[0]) {
    size_t n = 0, listed = 0;
    for (int b = 0; b < VSC_BACKEND_LAST; b++)
      n += backends[b].qemu_driver != NULL;
    for (int b = 0; b < VSC_BACKEND_LAST; b++) {
      if (!backends[b].qemu_driver)
        continue;
      const char *sep = listed == 0 ? "" : listed + 1 == n ? " or " : ", ";
      size_t len = strlen(names);
      snprintf(names + len, sizeof(names) - len, "%s%s", sep, vsc_backend_to_string(b));
      listed++;
    }
  }
  return names;
}

bool vsc_chardev_path_generated(const vsc_chardev *dev)
{
  const vsc_source *src = vsc_chardev_main_source(dev);
  vsc_target_type tt = vsc_chardev_target_type(dev);
  return (vsc_chardev_backend_info(dev)->flags & VSC_BF_GENERATED_PATH) &&
         dev->kind == VSC_KIND_CHANNEL && (tt == VSC_TARGET_VIRTIO || tt == VSC_TARGET_XEN) &&
         (!src || !src->path);
}

/* libvirt's system channel directory (qemu.conf channel_target_dir). */
#define LIBVIRT_CHANNEL_DIR "/var/lib/libvirt/qemu/channel/target/"

bool vsc_chardev_path_dropped(const vsc_chardev *dev)
{
  const vsc_source *src = vsc_chardev_main_source(dev);
  const char *name = dev->has_target ? dev->target.name : NULL;
  if (dev->kind != VSC_KIND_CHANNEL || vsc_chardev_target_type(dev) != VSC_TARGET_VIRTIO ||
      vsc_chardev_backend(dev) != VSC_BACKEND_UNIX || !src || !src->path || !name)
    return false;
  const char *path = src->path;
  /* libvirt's pattern, ^DIR/([^/]+\.)|(domain-[^/]+/)NAME$, is two
   * alternatives: a first segment under DIR with a '.' after its first
   * character, or (anywhere) domain-X/NAME at the end. */
  size_t dlen = strlen(LIBVIRT_CHANNEL_DIR);
  if (strncmp(path, LIBVIRT_CHANNEL_DIR, dlen) == 0) {
    const char *seg = path + dlen, *end = seg + strcspn(seg, "/");
    const char *dot = end > seg + 1 ? memchr(seg + 1, '.', (size_t)(end - seg - 1)) : NULL;
    if (dot)
      return true;
  }
  size_t plen = strlen(path), nlen = strlen(name);
  if (plen < nlen + 2 || strcmp(path + plen - nlen, name) != 0 || path[plen - nlen - 1] != '/')
    return false;
  const char *slash = path + plen - nlen - 1, *seg = slash;
  while (seg > path && seg[-1] != '/')
    seg--;
  /* "domain-" in that segment, with at least one character after it */
  for (const char *p = seg; p + 7 < slash; p++)
    if (strncmp(p, "domain-", 7) == 0)
      return true;
  return false;
}

static const char *or_empty(const char *s)
{
  return s ? s : "";
}

char *vsc_chardev_host_side(const vsc_chardev *dev)
{
  const vsc_source *src = vsc_chardev_main_source(dev);
  static const vsc_source none;
  const char *mode;

  if (!src)
    src = &none;
  mode = src->mode ? vsc_mode_to_string(src->mode) : "connect";
  switch (vsc_chardev_backend_info(dev)->show) {
  case VSC_SHOW_PTY:
    if (src->path)
      return vsc_strdup(src->path);
    return vsc_strdup(dev->tty ? dev->tty : "-");
  case VSC_SHOW_SOCKET:
    if (!src->path)
      return vsc_strdup("(path chosen at start)");
    return vsc_asprintf("%s (%s)", src->path, mode);
  case VSC_SHOW_HOST_PORT:
    return vsc_asprintf("%s:%s (%s%s)", or_empty(src->host), or_empty(src->service), mode,
                        dev->protocol == VSC_PROTOCOL_TELNET ? ", telnet" : "");
  case VSC_SHOW_DATAGRAM: {
    const vsc_source *local = vsc_chardev_udp_bind_source(dev);
    if (local)
      return vsc_asprintf("%s:%s from %s:%s", or_empty(src->host), or_empty(src->service),
                          or_empty(local->host), or_empty(local->service));
    return vsc_asprintf("%s:%s", or_empty(src->host), or_empty(src->service));
  }
  case VSC_SHOW_PATH:
    return vsc_strdup(src->path ? src->path : "-");
  case VSC_SHOW_CHANNEL:
    return vsc_strdup(src->channel ? src->channel : "-");
  case VSC_SHOW_NOTHING:
    break;
  }
  return vsc_strdup("-");
}

vsc_reach vsc_chardev_reach(const vsc_chardev *dev, bool local, const char **hint)
{
  const vsc_backend_info *bi = vsc_chardev_backend_info(dev);
  const vsc_source *src = vsc_chardev_main_source(dev);
  unsigned int kind = VSC_KIND_BIT(dev->kind);
  /* In connect mode QEMU connects out of a socket: nobody listens there. */
  bool qemu_connects = src && src->mode == VSC_MODE_CONNECT;

  if (bi->stream_kinds & kind)
    return VSC_REACH_STREAM;
  if ((bi->direct_kinds & kind) && local && src && src->path &&
      !((bi->flags & VSC_BF_SOCKET_PATH) && qemu_connects))
    return (bi->flags & VSC_BF_PTY_PATH) ? VSC_REACH_PTY : VSC_REACH_SOCKET;
  *hint = qemu_connects && bi->unreachable_connect_hint ? bi->unreachable_connect_hint
        : bi->unreachable_hint ? bi->unreachable_hint
        : dev->kind == VSC_KIND_CHANNEL
          ? "give the channel a unix or pty backend to connect to it"
          : "give it a pty backend to connect to it ('vschan add DOMAIN --template serial-pty')";
  return VSC_REACH_NONE;
}
