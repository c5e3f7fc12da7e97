/* QEMU's arguments read back into devices: what `vschan qm import` finds
 * in an args: line, and what a legacy -serial string means.
 *
 * The reverse of argv.c.  A chardev becomes a device through what uses it
 * (-device virtserialport/virtconsole/isa-serial/pci-serial/usb-serial/
 * isa-parallel, -netdev user,guestfwd=, -serial/-parallel chardev:ID), its
 * options through the backend table's QEMU mapping, read backwards.  An
 * option the model has no field for (TLS credentials, a chardev
 * multiplexed otherwise than with the monitor, ...) leaves the device
 * unread: it is named in a warning and stays the user's argument, never
 * half read. */
#include "qemu.h"

#include "model/backend.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- QEMU's option strings: key=value,key=value (",," a comma) ---- */

typedef struct {
  char *key;
  char *value;
  bool used;
} qopt;

typedef struct {
  qopt *items;
  size_t n;
} qopts;

static void qopts_clear(qopts *o)
{
  for (size_t i = 0; i < o->n; i++) {
    free(o->items[i].key);
    free(o->items[i].value);
  }
  free(o->items);
  o->items = NULL;
  o->n = 0;
}

/* Split s as QEMU's option parser does.  The first item without '='
 * stands for implied (the backend, the driver); any other item without
 * '=' is a short boolean: "server" is server=on, "nowait" wait=off. */
static void qopts_parse(const char *s, const char *implied, qopts *o)
{
  bool first = true;
  memset(o, 0, sizeof(*o));
  for (const char *p = s; *p || first; first = false) {
    vsc_buf item = { 0 };
    while (*p && !(*p == ',' && p[1] != ',')) {
      if (*p == ',')
        p++;
      vsc_buf_addc(&item, *p++);
    }
    p += *p == ',';
    VSC_AUTOFREE(char) text = vsc_buf_steal(&item);
    if (!text)
      text = vsc_strdup("");
    char *eq = strchr(text, '=');
    qopt *q = vsc_append(&o->items, &o->n, sizeof(*o->items));
    if (eq) {
      q->key = vsc_strndup(text, (size_t)(eq - text));
      q->value = vsc_strdup(eq + 1);
    } else if (first && implied) {
      q->key = vsc_strdup(implied);
      q->value = vsc_steal(&text);
    } else if (strncmp(text, "no", 2) == 0 && text[2]) {
      q->key = vsc_strdup(text + 2);
      q->value = vsc_strdup("off");
    } else {
      q->key = vsc_steal(&text);
      q->value = vsc_strdup("on");
    }
    if (!*p)
      break;
  }
}

/* The value of key (the last one, as QEMU takes it), marked used. */
static const char *qopts_take(qopts *o, const char *key)
{
  const char *v = NULL;
  for (size_t i = 0; i < o->n; i++) {
    if (strcmp(o->items[i].key, key) == 0) {
      o->items[i].used = true;
      v = o->items[i].value;
    }
  }
  return v;
}

/* Give key back, unused: a value that is not what it should be is left
 * for the caller's message (qopts_unused). */
static void qopts_untake(qopts *o, const char *key)
{
  for (size_t i = 0; i < o->n; i++)
    if (strcmp(o->items[i].key, key) == 0)
      o->items[i].used = false;
}

/* The first option nothing took, or NULL. */
static const qopt *qopts_unused(const qopts *o)
{
  for (size_t i = 0; i < o->n; i++)
    if (!o->items[i].used)
      return &o->items[i];
  return NULL;
}

char *vsc_qemu_opt_value(const char *opts, const char *implied, const char *key)
{
  qopts o;
  qopts_parse(opts, implied, &o);
  const char *v = qopts_take(&o, key);
  char *copy = v ? vsc_strdup(v) : NULL;
  qopts_clear(&o);
  return copy;
}

/* An option vschan has no field for, for a message ("nodelay" is
 * QEMU's delay=off). */
static char *unused_text(const qopt *q)
{
  return vsc_asprintf("the option '%s=%s', which vschan has no field for", q->key, q->value);
}

/* QEMU's booleans (qapi_bool_parse): on/yes/true/y, off/no/false/n. */
static int qbool(const char *v)
{
  if (!v)
    return -1;
  if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "y"))
    return 1;
  if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "n"))
    return 0;
  return -1;
}

/* ---- a -chardev into a device's backend and source ---- */

/* The backend whose QEMU driver is driver (socket: unix with path=, tcp
 * with host= or port=). */
static int backend_of_driver(const char *driver, qopts *o, vsc_kind *kind)
{
  if (!strcmp(driver, "socket")) {
    bool path = false;
    for (size_t i = 0; i < o->n; i++)
      path |= !strcmp(o->items[i].key, "path");
    return path ? VSC_BACKEND_UNIX : VSC_BACKEND_TCP;
  }
  if (!strcmp(driver, "tty"))
    driver = "serial";
  if (!strcmp(driver, "parport"))
    driver = "parallel";
  for (int b = 0; b < VSC_BACKEND_LAST; b++) {
    const vsc_backend_info *bi = vsc_backend_info_of(b);
    if (vsc_streq(bi->qemu_driver, driver))
      return b;
    if (vsc_streq(bi->qemu_driver_parallel, driver)) {
      *kind = VSC_KIND_PARALLEL;
      return b;
    }
  }
  return -1;
}

/* Fill dev's backend and source from the options of a -chardev (without
 * its id).  *why gets the first thing the model cannot hold. */
static int read_chardev_opts(qopts *o, vsc_chardev *dev, char **why)
{
  const char *driver = qopts_take(o, "backend");
  vsc_kind kind = dev->kind;
  int b = driver ? backend_of_driver(driver, o, &kind) : -1;

  qopts_take(o, "id");
  if (b < 0) {
    *why = vsc_asprintf("chardev backend '%s'", driver ? driver : "");
    return -1;
  }
  if (kind == VSC_KIND_PARALLEL && dev->kind != VSC_KIND_PARALLEL) {
    *why = vsc_strdup("a parallel host device on a port that is not a parallel port");
    return -1;
  }
  const vsc_backend_info *bi = vsc_backend_info_of(b);
  dev->backend = b;
  dev->has_backend = true;
  /* indices, not pointers: adding a source moves them */
  int main_at = -1, bind_at = -1;

  for (const vsc_qemu_opt *q = bi->qemu_opts; q->key; q++) {
    const char *v = qopts_take(o, q->key);
    if (q->field < 0) {
      if (v && !vsc_streq(v, q->value)) {
        *why = vsc_asprintf("%s=%s", q->key, v);
        return -1;
      }
      continue;
    }
    /* udp: what libvirt writes for an absent bind end is no bind end */
    if (!v || ((q->flags & VSC_QOPT_BIND_END) && vsc_streq(v, q->value)))
      continue;
    const vsc_source_field *f = &vsc_source_fields[q->field];
    int *at = (q->flags & VSC_QOPT_BIND_END) ? &bind_at : &main_at;
    if (*at < 0) {
      vsc_chardev_add_source(dev);
      *at = (int)dev->nsources - 1;
    }
    vsc_source *src = &dev->sources[*at];
    if (f->type == VSC_FIELD_UINT) {
      if (!vsc_str_to_uint(v, f->max, (unsigned int *)vsc_source_field_ptr(src, f))) {
        *why = vsc_asprintf("%s=%s", q->key, v);
        return -1;
      }
      *(bool *)((char *)src + f->given_offset) = true;
      continue;
    }
    if (q->flags & VSC_QOPT_ONOFF) {
      int on = qbool(v);
      if (on < 0) {
        *why = vsc_asprintf("%s=%s", q->key, v);
        return -1;
      }
      int other = f->type == VSC_FIELD_TRISTATE ? (q->on == VSC_TRI_YES ? VSC_TRI_NO : VSC_TRI_YES)
                                                : (q->on == VSC_MOUSE_CLIENT ? VSC_MOUSE_SERVER : VSC_MOUSE_CLIENT);
      vsc_source_field_set_int(src, f, on ? q->on : other);
    } else {
      vsc_source_field_set_string(src, f, v);
    }
  }
  vsc_source *main_src = main_at >= 0 ? &dev->sources[main_at] : NULL;
  vsc_source *bind_src = bind_at >= 0 ? &dev->sources[bind_at] : NULL;
  if (b == VSC_BACKEND_UDP) {
    if (main_src)
      main_src->mode = VSC_MODE_CONNECT;
    if (bind_src)
      bind_src->mode = VSC_MODE_BIND;
  }
  if (bi->flags & VSC_BF_QEMU_SOCKET) {
    int server = qbool(qopts_take(o, "server"));
    const char *wait = qopts_take(o, "wait");
    /* QEMU reads the short "nodelay" as delay=off */
    const char *delay = qopts_take(o, "delay");
    if (delay && qbool(delay) == 0 && (bi->flags & VSC_BF_PROTOCOL)) {
      if (!main_src)
        main_src = vsc_chardev_add_source(dev);
      main_src->nodelay = VSC_TRI_YES;
    } else if (delay && qbool(delay) != 1) {
      *why = vsc_asprintf("delay=%s", delay);
      return -1;
    }
    const char *telnet = qopts_take(o, "telnet");
    const char *reconnect = qopts_take(o, "reconnect");
    const char *reconnect_ms = qopts_take(o, "reconnect-ms");
    if (!main_src)
      main_src = vsc_chardev_add_source(dev);
    main_src->mode = server == 1 ? VSC_MODE_BIND : VSC_MODE_CONNECT;
    /* QEMU's server waits for its client unless wait=off */
    if (server == 1 && qbool(wait) != 0)
      main_src->wait = VSC_TRI_YES;
    else if (wait && qbool(wait) < 0) {
      *why = vsc_asprintf("wait=%s", wait);
      return -1;
    }
    if (telnet && qbool(telnet) == 1 && (bi->flags & VSC_BF_PROTOCOL))
      dev->protocol = VSC_PROTOCOL_TELNET;
    else if (telnet && qbool(telnet) != 0) {
      *why = vsc_asprintf("telnet=%s", telnet);
      return -1;
    }
    /* reconnect-ms (QEMU >= 9.2) in whole seconds, as the model keeps it */
    unsigned int secs = 0, ms = 0;
    if (reconnect_ms && !(vsc_str_to_uint(reconnect_ms, UINT_MAX, &ms) && ms % 1000 == 0)) {
      *why = vsc_asprintf("reconnect-ms=%s", reconnect_ms);
      return -1;
    }
    if (!reconnect_ms && reconnect && !vsc_str_to_uint(reconnect, UINT_MAX, &secs)) {
      *why = vsc_asprintf("reconnect=%s", reconnect);
      return -1;
    }
    if (reconnect_ms)
      secs = ms / 1000;
    if (reconnect || reconnect_ms) {
      main_src->has_reconnect = true;
      main_src->reconnect.enabled = secs ? VSC_TRI_YES : VSC_TRI_NO;
      main_src->reconnect.has_timeout = secs != 0;
      main_src->reconnect.timeout = secs;
    }
  }
  /* tls-creds=ID: the caller finds the -object (use_chardev) */
  const char *creds = qopts_take(o, "tls-creds");
  if (creds) {
    if (!(bi->fields & VSC_SRC_TLS)) {
      *why = vsc_asprintf("tls-creds=%s", creds);
      return -1;
    }
    if (!main_src)
      main_src = vsc_chardev_add_source(dev);
    main_src->tls = VSC_TRI_YES;
  }
  /* mux=on: shared with the monitor (-mon), which the caller checks */
  const char *mux = qopts_take(o, "mux");
  if (mux && qbool(mux) == 1)
    dev->monitor = VSC_TRI_YES;
  else if (mux && qbool(mux) != 0) {
    *why = vsc_asprintf("mux=%s", mux);
    return -1;
  }
  const char *logfile = qopts_take(o, "logfile");
  const char *logappend = qopts_take(o, "logappend");
  if (logfile) {
    dev->log_file = vsc_strdup(logfile);
    if (logappend)
      dev->log_append = qbool(logappend) == 1 ? VSC_TRI_YES : VSC_TRI_NO;
  }
  const qopt *left = qopts_unused(o);
  if (left) {
    *why = unused_text(left);
    return -1;
  }
  return 0;
}

/* ---- legacy -serial / -parallel strings (qemu_chr_parse_compat) ---- */

/* The -chardev options a legacy string stands for, as QEMU 7.2 turns it
 * into them; NULL with *why when QEMU has no such form or the model
 * cannot hold it. */
static char *legacy_to_opts(const char *s, char **why)
{
  const char *p;
  char host[65], port[33];
  int pos = 0;

  if (!strcmp(s, "null") || !strcmp(s, "pty") || !strcmp(s, "stdio") || !strcmp(s, "vc") ||
      !strcmp(s, "msmouse") || !strcmp(s, "braille"))
    return vsc_strdup(s);
  if ((p = vsc_str_skip(s, "vc:"))) {
    /* pixels (800x600) or characters (80Cx24C), as QEMU reads them */
    char w[8], h[8];
    int end = 0;
    if (sscanf(p, "%7[0-9]x%7[0-9]%n", w, h, &end) == 2 && !p[end])
      return vsc_asprintf("vc,width=%s,height=%s", w, h);
    if (sscanf(p, "%7[0-9]Cx%7[0-9]C%n", w, h, &end) == 2 && !p[end])
      return vsc_asprintf("vc,cols=%s,rows=%s", w, h);
    goto fail;
  }
  if (!strncmp(s, "websocket", 9) ||
      !strncmp(s, "COM", 3) || !strncmp(s, "con:", 4) || !strncmp(s, "ringbuf", 7) ||
      !strncmp(s, "memory", 6)) {
    *why = vsc_strdup("a backend vschan has no form for");
    return NULL;
  }
  if (!strncmp(s, "/dev/parport", 12) || !strncmp(s, "/dev/ppi", 8))
    return vsc_asprintf("parallel,path=%s", s);
  if (!strncmp(s, "/dev/", 5))
    return vsc_asprintf("tty,path=%s", s);
  if ((p = vsc_str_skip(s, "file:")))
    return vsc_asprintf("file,path=%s", p);
  if ((p = vsc_str_skip(s, "pipe:")))
    return vsc_asprintf("pipe,path=%s", p);
  if ((p = vsc_str_skip(s, "unix:")))
    return vsc_asprintf("socket,path=%s", p);
  if ((p = vsc_str_skip(s, "tcp:")) || (p = vsc_str_skip(s, "telnet:"))) {
    bool telnet = s[0] == 't' && s[1] == 'e';
    if (sscanf(p, "%64[^:]:%32[^,]%n", host, port, &pos) < 2) {
      host[0] = '\0';
      if (sscanf(p, ":%32[^,]%n", port, &pos) < 1)
        goto fail;
    }
    /* an empty host: QEMU listens on every address (0.0.0.0) or
     * connects to localhost; libvirt's XML needs one */
    return vsc_asprintf("socket,host=%s,port=%s%s%s", host, port, telnet ? ",telnet=on" : "", p + pos);
  }
  if ((p = vsc_str_skip(s, "udp:"))) {
    char lhost[65] = "", lport[33] = "";
    if (sscanf(p, "%64[^:]:%32[^@,]%n", host, port, &pos) < 2) {
      host[0] = '\0';
      if (sscanf(p, ":%32[^@,]%n", port, &pos) < 1)
        goto fail;
    }
    if (p[pos] == '@') {
      const char *l = p + pos + 1;
      int lpos = 0;
      if (sscanf(l, "%64[^:]:%32[^,]%n", lhost, lport, &lpos) < 2) {
        lhost[0] = '\0';
        if (sscanf(l, ":%32[^,]%n", lport, &lpos) < 1) {
          *why = vsc_asprintf("QEMU reads the local end after '@' as [ADDRESS]:PORT, so it refuses "
                              "this one (write '@:%s' for a port on every address)", l);
          return NULL;
        }
      }
      if (l[lpos])
        goto fail;
      return vsc_asprintf("udp,host=%s,port=%s,localaddr=%s,localport=%s", host, port, lhost, lport);
    }
    if (p[pos])
      goto fail;
    return vsc_asprintf("udp,host=%s,port=%s", host, port);
  }
fail:
  *why = vsc_strdup("not a form of QEMU's -serial option");
  return NULL;
}

/* The remote host a legacy string leaves empty, as QEMU uses it: for
 * tcp every address when listening, localhost when connecting; for udp
 * localhost (qemu_chr_parse_udp). */
static void legacy_empty_host(vsc_chardev *dev)
{
  vsc_source *src = dev->nsources ? &dev->sources[0] : NULL;
  if (!src || !src->host || *src->host)
    return;
  if (dev->backend == VSC_BACKEND_TCP)
    vsc_source_field_set_string(src, &vsc_source_fields[VSC_SF_HOST],
                                src->mode == VSC_MODE_BIND ? "0.0.0.0" : "localhost");
  else if (dev->backend == VSC_BACKEND_UDP)
    vsc_source_field_set_string(src, &vsc_source_fields[VSC_SF_HOST], "localhost");
}

bool vsc_qemu_legacy_form(const char *s)
{
  /* virt-install's TYPE[,key=value]... never has ':' or '/' in its type */
  size_t first = strcspn(s, ",");
  return s[0] == '/' || memchr(s, ':', first) != NULL || !strcmp(s, "none") ||
         !strcmp(s, "msmouse") || !strcmp(s, "braille");
}

vsc_chardev *vsc_qemu_read_legacy(const char *s, vsc_kind kind, char **why)
{
  char problem[128];
  /* mon:STRING: the monitor multiplexed onto STRING's chardev */
  const char *inner = vsc_str_skip(s, "mon:");
  if (inner) {
    if (vsc_str_skip(inner, "mon:")) {
      *why = vsc_strdup("not a form of QEMU's -serial option");
      return NULL;
    }
    vsc_chardev *dev = vsc_qemu_read_legacy(inner, kind, why);
    if (dev)
      dev->monitor = VSC_TRI_YES;
    return dev;
  }
  /* what a spec holds is UTF-8 text (XML and JSON carry nothing else) */
  if (vsc_text_problem(s, problem, sizeof(problem))) {
    *why = vsc_asprintf("the string %s", problem);
    return NULL;
  }
  VSC_AUTOFREE(char) opts = legacy_to_opts(s, why);
  if (!opts)
    return NULL;
  qopts o;
  qopts_parse(opts, "backend", &o);
  vsc_chardev *dev = vsc_chardev_new(kind);
  int rc = read_chardev_opts(&o, dev, why);
  qopts_clear(&o);
  if (rc < 0) {
    vsc_chardev_free(dev);
    return NULL;
  }
  legacy_empty_host(dev);
  if (kind == VSC_KIND_SERIAL) {
    dev->has_target = true;
    dev->target.type = VSC_TARGET_ISA_SERIAL;
  }
  return dev;
}

/* ---- a whole argument list ---- */

typedef struct {
  size_t at;          /* the option's index in argv */
  char *id;
  char *opts;         /* its value */
  bool used;
  size_t mon_at;      /* the -mon on it (a readline monitor), or 0 */
} chardev_arg;

/* A -object tls-creds-x509 a chardev may name. */
typedef struct {
  size_t at;
  char *id;
  char *dir;
  bool verify;        /* verify-peer, QEMU's default on */
  bool server;        /* endpoint=server */
  bool ok;            /* nothing else in it */
} tls_arg;

static void unread(vsc_diags *diags, char *const *argv, size_t at, const char *why)
{
  static const char hint[] =
    "vschan leaves it in args: as the user's; write it as a device of the spec to let vschan manage it";
  char problem[128];
  /* a message is text: bytes that are not are not echoed */
  if (vsc_text_problem(argv[at], problem, sizeof(problem)) || vsc_text_problem(argv[at + 1], problem, sizeof(problem)))
    vsc_warning(diags, NULL, "qemu-import", hint, "argument %zu and the one after it are not read: %s", at + 1, why);
  else
    vsc_warning(diags, NULL, "qemu-import", hint, "'%s %s' is not read: %s", argv[at], argv[at + 1], why);
}

static chardev_arg *find_chardev(chardev_arg *cds, size_t n, const char *id)
{
  for (size_t i = 0; id && i < n; i++)
    if (!strcmp(cds[i].id, id))
      return &cds[i];
  return NULL;
}

/* A chardev used by a device: read it into dev, mark both arguments. */
/* The -object tls-creds-x509 of id, or NULL. */
static const tls_arg *find_tls(const tls_arg *tls, size_t n, const char *id)
{
  for (size_t i = 0; id && i < n; i++)
    if (!strcmp(tls[i].id, id))
      return &tls[i];
  return NULL;
}

/* The TLS credentials objects of the argument list. */
typedef struct {
  const tls_arg *items;
  size_t n;
} tls_args;

static bool use_chardev(chardev_arg *cd, const tls_args *creds_list, vsc_chardev *dev, char *const *argv,
                        size_t dev_at, size_t *used, size_t dev_mark, vsc_diags *diags)
{
  qopts o;
  char *why = NULL, problem[128];
  const tls_arg *tls = NULL;
  if (vsc_text_problem(cd->opts, problem, sizeof(problem))) {
    cd->used = true;
    VSC_AUTOFREE(char) text = vsc_asprintf("the value %s", problem);
    unread(diags, argv, cd->at, text);
    return false;
  }
  qopts_parse(cd->opts, "backend", &o);
  const char *creds = NULL;
  for (size_t k = 0; k < o.n; k++)
    if (!strcmp(o.items[k].key, "tls-creds"))
      creds = o.items[k].value;
  VSC_AUTOFREE(char) creds_id = creds ? vsc_strdup(creds) : NULL;
  int rc = read_chardev_opts(&o, dev, &why);
  qopts_clear(&o);
  cd->used = true;   /* read or named in a warning: not again as unused */
  if (rc == 0 && creds_id) {
    const vsc_source *src = vsc_chardev_main_source(dev);
    tls = find_tls(creds_list->items, creds_list->n, creds_id);
    if (!tls || !tls->ok) {
      why = vsc_asprintf("tls-creds=%s names no -object tls-creds-x509 vschan can read", creds_id);
      rc = -1;
    } else if (src && tls->server != (src->mode == VSC_MODE_BIND)) {
      why = vsc_asprintf("the TLS endpoint of '%s' is not the socket's side", creds_id);
      rc = -1;
    }
  }
  if (rc == 0 && dev->monitor == VSC_TRI_YES && !cd->mon_at) {
    why = vsc_strdup("a multiplexed chardev (mux=on) without a monitor on it");
    rc = -1;
  }
  if (rc < 0) {
    unread(diags, argv, cd->at, why);
    free(why);
    return false;
  }
  if (used) {
    /* dev_mark: the device's number in the set once added, plus one */
    used[cd->at] = used[cd->at + 1] = dev_mark;
    used[dev_at] = used[dev_at + 1] = dev_mark;
    if (dev->monitor == VSC_TRI_YES)
      used[cd->mon_at] = used[cd->mon_at + 1] = dev_mark;
    if (tls)
      used[tls->at] = used[tls->at + 1] = dev_mark;
  }
  /* the spec says tls=yes; where the credentials are is the command's */
  if (tls && (!vsc_streq(tls->dir, VSC_QEMU_TLS_DIR) || !tls->verify))
    vsc_diag_add(diags, VSC_SEV_NOTE, NULL, NULL, "give the same to qemu-args or qm: --tls-dir DIR, --tls-no-verify",
                 "the TLS credentials of '%s' are in %s%s", cd->id, tls->dir ? tls->dir : "(no directory)",
                 tls->verify ? "" : ", without verifying the peer");
  return true;
}

/* bus=pci.N (pcie.0) and addr=0xS[.0xF], as argv.c writes a PCI address;
 * left unused (for the caller's message) when they are not that. */
static void read_pci_address(qopts *o, vsc_address *addr)
{
  const char *bus = qopts_take(o, "bus"), *at = qopts_take(o, "addr");
  unsigned int b = 0, slot = 0, fn = 0;
  bool ok = false;
  if (!bus && !at)
    return;
  const char *p = at ? vsc_str_skip(at, "0x") : NULL;
  if (p && vsc_str_take_uint(&p, 16, 0x1f, &slot)) {
    const char *q = vsc_str_skip(p, ".0x");
    ok = !*p || (q && vsc_str_take_uint(&q, 16, 7, &fn) && !*q);
  }
  const char *bn = bus ? vsc_str_skip(bus, "pci.") : NULL;
  if (bus && strcmp(bus, "pcie.0") != 0 && !(bn && vsc_str_take_uint(&bn, 10, 0xff, &b) && !*bn))
    ok = false;
  if (!ok) {
    qopts_untake(o, "bus");
    qopts_untake(o, "addr");
    return;
  }
  char v[16];
  addr->type = vsc_strdup("pci");
  snprintf(v, sizeof(v), "0x%02x", b);
  vsc_address_set(addr, "bus", v);
  snprintf(v, sizeof(v), "0x%02x", slot);
  vsc_address_set(addr, "slot", v);
  if (fn) {
    snprintf(v, sizeof(v), "0x%x", fn);
    vsc_address_set(addr, "function", v);
  }
}

/* -device DRIVER,chardev=ID,...: the kind and target it gives. */
static vsc_chardev *device_of(qopts *o, const char *driver)
{
  vsc_chardev *dev = NULL;
  const char *v;
  if (!strcmp(driver, "virtserialport") || !strcmp(driver, "virtconsole")) {
    bool console = driver[4] == 'c';   /* virtconsole */
    dev = vsc_chardev_new(console ? VSC_KIND_CONSOLE : VSC_KIND_CHANNEL);
    dev->has_target = true;
    dev->target.type = VSC_TARGET_VIRTIO;
    if ((v = qopts_take(o, "name")) && !console)
      dev->target.name = vsc_strdup(v);
    /* the port number stays (virtio-serial address port); the bus is the
     * one controller's, whatever its name */
    qopts_take(o, "bus");
    unsigned int nr;
    if ((v = qopts_take(o, "nr")) && !vsc_str_to_uint(v, 65535, &nr)) {
      qopts_untake(o, "nr");
    } else if (v) {
      char port[16];
      snprintf(port, sizeof(port), "%u", nr);
      dev->address.type = vsc_strdup("virtio-serial");
      vsc_address_set(&dev->address, "controller", "0");
      vsc_address_set(&dev->address, "bus", "0");
      vsc_address_set(&dev->address, "port", port);
    }
  } else if (!strcmp(driver, "isa-serial") || !strcmp(driver, "pci-serial") || !strcmp(driver, "usb-serial") ||
             !strcmp(driver, "isa-parallel") || !strcmp(driver, "isa-debugcon")) {
    bool parallel = driver[4] == 'p', debugcon = driver[4] == 'd';
    dev = vsc_chardev_new(parallel ? VSC_KIND_PARALLEL : VSC_KIND_SERIAL);
    if (!parallel) {
      dev->has_target = true;
      dev->target.type = debugcon           ? VSC_TARGET_ISA_DEBUG
                         : driver[0] == 'i' ? VSC_TARGET_ISA_SERIAL
                         : driver[0] == 'p' ? VSC_TARGET_PCI_SERIAL
                                            : VSC_TARGET_USB_SERIAL;
      if (debugcon)
        dev->target.model = VSC_MODEL_ISA_DEBUGCON;
    }
    /* the ISA or PCI address argv.c writes from an <address> */
    if (driver[0] == 'i') {
      const char *iobase = qopts_take(o, "iobase"), *irq = qopts_take(o, "irq");
      if (iobase || irq)
        dev->address.type = vsc_strdup("isa");
      if (iobase)
        vsc_address_set(&dev->address, "iobase", iobase);
      if (irq)
        vsc_address_set(&dev->address, "irq", irq);
    } else if (driver[0] == 'p') {
      read_pci_address(o, &dev->address);
    }
    if (driver[0] == 'i' && !debugcon && (v = qopts_take(o, "index"))) {
      unsigned int idx;
      if (!vsc_str_to_uint(v, 3, &idx)) {
        qopts_untake(o, "index");
        return dev;
      }
      dev->has_target = true;
      dev->target.has_port = true;
      dev->target.port = idx;
    }
  }
  qopts_take(o, "id");
  qopts_take(o, "driver");
  qopts_take(o, "chardev");
  return dev;
}

/* The alias a chardev id under alias_prefix stands for: libvirt's user
 * alias of what follows the prefix. */
static void set_alias(vsc_chardev *dev, const char *id, const char *alias_prefix)
{
  const char *bare = alias_prefix ? vsc_str_skip(id, alias_prefix) : NULL;
  if (bare && *bare) {
    free(dev->alias);
    dev->alias = vsc_asprintf("ua-%s", bare);
  }
}

/* guestfwd=tcp:ADDR:PORT-chardev:ID (ADDR of digits and dots). */
static bool read_guestfwd(const char *fwd, char *addr, size_t addr_size, unsigned int *port, char *cid,
                          size_t cid_size)
{
  const char *p = vsc_str_skip(fwd, "tcp:");
  size_t alen = p ? strspn(p, "0123456789.") : 0;
  if (!alen || alen >= addr_size || p[alen] != ':')
    return false;
  memcpy(addr, p, alen);
  addr[alen] = '\0';
  p += alen + 1;
  if (!vsc_str_take_uint(&p, 10, 65535, port) || !(p = vsc_str_skip(p, "-chardev:")))
    return false;
  size_t clen = strlen(p);
  if (!clen || clen >= cid_size || strpbrk(p, " \t\n"))
    return false;
  memcpy(cid, p, clen + 1);
  return true;
}

int vsc_qemu_read_args(char *const *argv, size_t n, const char *alias_prefix, vsc_devset *set, size_t *used,
                       vsc_diags *diags)
{
  chardev_arg *cds = NULL;
  size_t ncds = 0;

  /* every -chardev first: a device may name one that comes later */
  for (size_t i = 0; i + 1 < n; i++) {
    const char *opt = argv[i] + (strncmp(argv[i], "--", 2) == 0);
    if (strcmp(opt, "-chardev") != 0)
      continue;
    qopts o;
    qopts_parse(argv[i + 1], "backend", &o);
    const char *id = qopts_take(&o, "id");
    if (id)
      *(chardev_arg *)vsc_append(&cds, &ncds, sizeof(*cds)) =
        (chardev_arg){ .at = i, .id = vsc_strdup(id), .opts = vsc_strdup(argv[i + 1]) };
    qopts_clear(&o);
    i++;
  }
  /* TLS credentials: -object tls-creds-x509,id=ID,dir=DIR,endpoint=E,verify-peer=B */
  tls_arg *tls = NULL;
  size_t ntls = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    const char *opt = argv[i] + (strncmp(argv[i], "--", 2) == 0);
    if (strcmp(opt, "-object") != 0 || strncmp(argv[i + 1], "tls-creds-x509,", 15) != 0)
      continue;
    qopts o;
    qopts_parse(argv[i + 1], "qom-type", &o);
    qopts_take(&o, "qom-type");
    const char *id = qopts_take(&o, "id"), *dir = qopts_take(&o, "dir"), *endpoint = qopts_take(&o, "endpoint");
    const char *verify = qopts_take(&o, "verify-peer");
    if (id) {
      tls_arg *t = vsc_append(&tls, &ntls, sizeof(*tls));
      *t = (tls_arg){ .at = i, .id = vsc_strdup(id), .dir = dir ? vsc_strdup(dir) : NULL,
                      .verify = !verify || qbool(verify) == 1, .server = vsc_streq(endpoint, "server") };
      t->ok = dir && !qopts_unused(&o) && (!verify || qbool(verify) >= 0) &&
              (!endpoint || !strcmp(endpoint, "server") || !strcmp(endpoint, "client"));
    }
    qopts_clear(&o);
    i++;
  }
  const tls_args creds = { tls, ntls };

  /* a readline monitor on a chardev: -mon chardev=ID[,mode=readline] */
  for (size_t i = 0; i + 1 < n; i++) {
    const char *opt = argv[i] + (strncmp(argv[i], "--", 2) == 0);
    if (strcmp(opt, "-mon") != 0)
      continue;
    qopts o;
    qopts_parse(argv[i + 1], "chardev", &o);
    chardev_arg *cd = find_chardev(cds, ncds, qopts_take(&o, "chardev"));
    const char *mode = qopts_take(&o, "mode");
    if (cd && !qopts_unused(&o) && (!mode || !strcmp(mode, "readline")))
      cd->mon_at = i;
    qopts_clear(&o);
    i++;
  }

  for (size_t i = 0; i + 1 < n; i++) {
    const char *opt = argv[i] + (strncmp(argv[i], "--", 2) == 0);
    const char *val = argv[i + 1];
    bool is_serial = !strcmp(opt, "-serial"), is_parallel = !strcmp(opt, "-parallel");

    if (is_serial || is_parallel) {
      vsc_kind kind = is_serial ? VSC_KIND_SERIAL : VSC_KIND_PARALLEL;
      const char *ref = vsc_str_skip(val, "chardev:");
      vsc_chardev *dev = NULL;
      char *why = NULL;
      if (!strcmp(val, "none")) {
        if (used)
          used[i] = used[i + 1] = SIZE_MAX;   /* read, and no device */
        i++;
        continue;
      }
      if (ref) {
        chardev_arg *cd = find_chardev(cds, ncds, ref);
        dev = vsc_chardev_new(kind);
        if (!cd || !use_chardev(cd, &creds, dev, argv, i, used, set->ndevs + 1, diags)) {
          if (!cd)
            unread(diags, argv, i, "no -chardev has that id");
          vsc_chardev_free(dev);
          dev = NULL;
        } else {
          set_alias(dev, cd->id, alias_prefix);
        }
      } else if (!(dev = vsc_qemu_read_legacy(val, kind, &why))) {
        unread(diags, argv, i, why);
      } else if (used) {
        used[i] = used[i + 1] = set->ndevs + 1;
      }
      free(why);
      if (dev && is_serial && !dev->has_target) {
        dev->has_target = true;
        dev->target.type = VSC_TARGET_ISA_SERIAL;
      }
      if (dev)
        vsc_devset_add(set, dev);
      i++;
      continue;
    }
    if (!strcmp(opt, "-device")) {
      qopts o;
      qopts_parse(val, "driver", &o);
      const char *driver = qopts_take(&o, "driver");
      const char *ref = qopts_take(&o, "chardev");
      chardev_arg *cd = find_chardev(cds, ncds, ref);
      vsc_chardev *dev = cd && driver ? device_of(&o, driver) : NULL;
      const qopt *left = qopts_unused(&o);
      if (dev && left) {
        VSC_AUTOFREE(char) why = unused_text(left);
        unread(diags, argv, i, why);
        cd->used = true;
        vsc_chardev_free(dev);
      } else if (dev && use_chardev(cd, &creds, dev, argv, i, used, set->ndevs + 1, diags)) {
        set_alias(dev, cd->id, alias_prefix);
        vsc_devset_add(set, dev);
      } else {
        vsc_chardev_free(dev);
      }
      qopts_clear(&o);
      i++;
      continue;
    }
    if (!strcmp(opt, "-netdev") && !strncmp(val, "user,", 5)) {
      qopts o;
      qopts_parse(val, "type", &o);
      qopts_take(&o, "type");
      qopts_take(&o, "id");
      const char *fwd = qopts_take(&o, "guestfwd");
      char addr[64], cid[128];
      unsigned int port;
      /* tcp:ADDR:PORT-chardev:ID, and nothing else on the netdev */
      if (fwd && !qopts_unused(&o) && read_guestfwd(fwd, addr, sizeof(addr), &port, cid, sizeof(cid))) {
        chardev_arg *cd = find_chardev(cds, ncds, cid);
        vsc_chardev *dev = vsc_chardev_new(VSC_KIND_CHANNEL);
        dev->has_target = true;
        dev->target.type = VSC_TARGET_GUESTFWD;
        dev->target.address = vsc_strdup(addr);
        dev->target.has_port = true;
        dev->target.port = port;
        if (cd && use_chardev(cd, &creds, dev, argv, i, used, set->ndevs + 1, diags)) {
          set_alias(dev, cd->id, alias_prefix);
          vsc_devset_add(set, dev);
        }
        else
          vsc_chardev_free(dev);
      }
      qopts_clear(&o);
      i++;
      continue;
    }
  }
  for (size_t k = 0; k < ncds; k++) {
    free(cds[k].id);
    free(cds[k].opts);
  }
  free(cds);
  for (size_t k = 0; k < ntls; k++) {
    free(tls[k].id);
    free(tls[k].dir);
  }
  free(tls);
  return 0;
}
