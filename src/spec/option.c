#include "option.h"

#include "util/buf.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *option;
  const char *text;
  vsc_diags *diags;
  int errors;
  bool bind_keys; /* bind_host or bind_service given: only udp has them */
} parser;

static void __attribute__((format(printf, 3, 4)))
fail(parser *p, const char *hint, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  vsc_loc loc = { .file = p->option };
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  vsc_error(p->diags, &loc, "option-syntax", hint, "'%s': %s", p->text, msg);
  p->errors++;
}

/* Split on single commas; ",," is a literal comma. */
static char **split(const char *text, size_t *n)
{
  char **items = NULL;
  vsc_buf cur = { 0 };
  *n = 0;
  for (const char *s = text;; s++) {
    if (*s == ',' && s[1] == ',') {
      vsc_buf_addc(&cur, ',');
      s++;
    } else if (*s == ',' || !*s) {
      *(char **)vsc_append(&items, n, sizeof(char *)) = vsc_buf_steal(&cur);
      if (!*s)
        break;
    } else {
      vsc_buf_addc(&cur, *s);
    }
  }
  return items;
}

static bool parse_bool(parser *p, const char *key, const char *v, vsc_tristate *out)
{
  if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
    *out = VSC_TRI_YES;
  else if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
    *out = VSC_TRI_NO;
  else {
    fail(p, "use yes or no", "%s='%s' is not a boolean", key, v);
    return false;
  }
  return true;
}

static bool parse_uint(parser *p, const char *key, const char *v, unsigned int max, unsigned int *out)
{
  char *end;
  unsigned long n = strtoul(v, &end, 10);
  if (!*v || *end || v[0] == '-' || n > max) {
    char hint[64];
    snprintf(hint, sizeof(hint), "use a number from 0 to %u", max);
    fail(p, hint, "%s='%s' is not a valid number", key, v);
    return false;
  }
  *out = (unsigned int)n;
  return true;
}

/* "HOST:PORT", "HOST", ":PORT" and "[v6]:PORT" into host and service. */
static void split_host(const char *v, char **host, char **service)
{
  const char *colon = NULL;
  if (v[0] == '[') {
    const char *close = strchr(v, ']');
    if (close) {
      *host = vsc_strndup(v + 1, (size_t)(close - v - 1));
      if (close[1] == ':')
        *service = vsc_strdup(close + 2);
      return;
    }
  }
  colon = strrchr(v, ':');
  if (colon && strchr(v, ':') == colon) {
    *host = vsc_strndup(v, (size_t)(colon - v));
    *service = vsc_strdup(colon + 1);
  } else {
    *host = vsc_strdup(v);
  }
}

/* host=HOST:PORT sets the host, and the service when a port is given. */
static void set_host(vsc_source *s, const char *v)
{
  char *host = NULL, *service = NULL;
  split_host(v, &host, &service);
  free(s->host);
  s->host = host;
  if (service) {
    free(s->service);
    s->service = service;
  }
}

static void set_str(char **field, const char *v)
{
  free(*field);
  *field = vsc_strdup(v);
}

/* The source to put main (connect-side) fields in, and udp's bind end. */
static vsc_source *main_source(vsc_chardev *dev)
{
  for (size_t i = 0; i < dev->nsources; i++)
    if (dev->sources[i].mode != VSC_MODE_BIND || vsc_chardev_backend(dev) != VSC_BACKEND_UDP)
      return &dev->sources[i];
  return vsc_chardev_add_source(dev);
}

static vsc_source *bind_source(vsc_chardev *dev)
{
  for (size_t i = 0; i < dev->nsources; i++)
    if (dev->sources[i].mode == VSC_MODE_BIND)
      return &dev->sources[i];
  vsc_source *s = vsc_chardev_add_source(dev);
  s->mode = VSC_MODE_BIND;
  return s;
}

static vsc_seclabel *seclabel(vsc_source *src)
{
  if (!src->nseclabels)
    vsc_append(&src->seclabels, &src->nseclabels, sizeof(*src->seclabels));
  return &src->seclabels[0];
}

static bool key_is(const char *key, const char *a, const char *b)
{
  return !strcmp(key, a) || (b && !strcmp(key, b));
}

static void apply(parser *p, vsc_chardev *dev, const char *key, const char *v)
{
  int e;

  if (key_is(key, "type", NULL)) {
    if ((e = vsc_backend_from_string(v)) < 0)
      fail(p, "use null, vc, pty, dev, file, pipe, stdio, udp, tcp, unix, spicevmc, spiceport, qemu-vdagent or dbus",
           "unknown backend type '%s'", v);
    else {
      dev->backend = (vsc_backend)e;
      dev->has_backend = true;
    }
  } else if (key_is(key, "path", "source.path")) {
    set_str(&main_source(dev)->path, v);
  } else if (key_is(key, "mode", "source.mode")) {
    if ((e = vsc_mode_from_string(v)) < 0)
      fail(p, "use bind or connect", "unknown mode '%s'", v);
    else
      main_source(dev)->mode = (vsc_mode)e;
  } else if (key_is(key, "host", "source.host")) {
    set_host(main_source(dev), v);
  } else if (key_is(key, "service", "source.service")) {
    set_str(&main_source(dev)->service, v);
  } else if (key_is(key, "bind_host", "source.bind_host")) {
    set_host(bind_source(dev), v);
    p->bind_keys = true;
  } else if (key_is(key, "bind_service", "source.bind_service")) {
    set_str(&bind_source(dev)->service, v);
    p->bind_keys = true;
  } else if (key_is(key, "source.tls", NULL)) {
    parse_bool(p, key, v, &main_source(dev)->tls);
  } else if (key_is(key, "source.append", NULL)) {
    parse_bool(p, key, v, &main_source(dev)->append);
  } else if (key_is(key, "source.channel", NULL)) {
    set_str(&main_source(dev)->channel, v);
  } else if (key_is(key, "source.master", NULL)) {
    set_str(&main_source(dev)->master, v);
  } else if (key_is(key, "source.slave", NULL)) {
    set_str(&main_source(dev)->slave, v);
  } else if (key_is(key, "source.reconnect.enabled", NULL)) {
    vsc_source *s = main_source(dev);
    s->has_reconnect = true;
    parse_bool(p, key, v, &s->reconnect.enabled);
  } else if (key_is(key, "source.reconnect.timeout", NULL)) {
    vsc_source *s = main_source(dev);
    s->has_reconnect = true;
    if (parse_uint(p, key, v, 1u << 30, &s->reconnect.timeout))
      s->reconnect.has_timeout = true;
  } else if (key_is(key, "source.seclabel.model", NULL)) {
    set_str(&seclabel(main_source(dev))->model, v);
  } else if (key_is(key, "source.seclabel.relabel", NULL)) {
    parse_bool(p, key, v, &seclabel(main_source(dev))->relabel);
  } else if (key_is(key, "source.seclabel.label", NULL)) {
    set_str(&seclabel(main_source(dev))->label, v);
  } else if (key_is(key, "source.clipboard.copypaste", NULL)) {
    parse_bool(p, key, v, &main_source(dev)->copypaste);
  } else if (key_is(key, "source.mouse.mode", NULL)) {
    if ((e = vsc_mouse_mode_from_string(v)) < 0)
      fail(p, "use server or client", "unknown mouse mode '%s'", v);
    else
      main_source(dev)->mouse = (vsc_mouse_mode)e;
  } else if (key_is(key, "name", "target.name") || key_is(key, "target_name", NULL)) {
    dev->has_target = true;
    set_str(&dev->target.name, v);
  } else if (key_is(key, "target_type", "target.type")) {
    dev->has_target = true;
    if ((e = vsc_target_type_from_string(v)) < 0)
      fail(p, "see vschan-spec(5) for the target types", "unknown target type '%s'", v);
    else
      dev->target.type = (vsc_target_type)e;
  } else if (key_is(key, "target_address", "target.address")) {
    char *host = NULL, *port = NULL;
    dev->has_target = true;
    split_host(v, &host, &port);
    free(dev->target.address);
    dev->target.address = host;
    if (port && parse_uint(p, key, port, 65535, &dev->target.port))
      dev->target.has_port = true;
    free(port);
  } else if (key_is(key, "target_port", "target.port")) {
    dev->has_target = true;
    if (parse_uint(p, key, v, 65535, &dev->target.port))
      dev->target.has_port = true;
  } else if (key_is(key, "target.model.name", "target_model_name")) {
    dev->has_target = true;
    if ((e = vsc_serial_model_from_string(v)) < 0)
      fail(p, "see vschan-spec(5) for the models", "unknown target model '%s'", v);
    else
      dev->target.model = (vsc_serial_model)e;
  } else if (key_is(key, "protocol", "protocol.type")) {
    if ((e = vsc_protocol_from_string(v)) < 0)
      fail(p, "use raw or telnet", "unknown protocol '%s'", v);
    else
      dev->protocol = (vsc_protocol)e;
  } else if (key_is(key, "log.file", "log_file")) {
    set_str(&dev->log_file, v);
  } else if (key_is(key, "log.append", "log_append")) {
    parse_bool(p, key, v, &dev->log_append);
  } else if (key_is(key, "alias", "alias.name")) {
    free(dev->alias);
    dev->alias = vsc_alias_user(v);
  } else if (strncmp(key, "address.", 8) == 0 && key[8]) {
    if (!strcmp(key, "address.type"))
      set_str(&dev->address.type, v);
    else if (!vsc_text_is_name(key + 8))   /* it becomes an XML attribute name */
      fail(p, "address attributes are names such as controller, bus, port, iobase",
           "'%s' is not an attribute name", key + 8);
    else
      vsc_address_set(&dev->address, key + 8, v);
  } else {
    fail(p, "see 'vschan help xml' or vschan-spec(5) for the keys", "unknown key '%s'", key);
  }
}

/* virt-install's defaults, so pasted options mean what they meant there. */
static void apply_defaults(vsc_chardev *dev)
{
  vsc_backend b = vsc_chardev_backend(dev);

  if (dev->kind == VSC_KIND_CHANNEL && (!dev->has_target || dev->target.type == VSC_TARGET_ABSENT)) {
    dev->has_target = true;
    dev->target.type = VSC_TARGET_VIRTIO;
  }
  if (dev->kind == VSC_KIND_CHANNEL && dev->target.type == VSC_TARGET_VIRTIO && !dev->target.name &&
      (b == VSC_BACKEND_SPICEVMC || b == VSC_BACKEND_QEMU_VDAGENT))
    dev->target.name = vsc_strdup("com.redhat.spice.0");
  if (b == VSC_BACKEND_UNIX) {
    vsc_source *s = main_source(dev);
    if (s->mode == VSC_MODE_ABSENT)
      s->mode = VSC_MODE_BIND;
  }
  if (b == VSC_BACKEND_TCP && main_source(dev)->mode == VSC_MODE_ABSENT)
    main_source(dev)->mode = VSC_MODE_CONNECT;
  if (b == VSC_BACKEND_TCP || b == VSC_BACKEND_UDP) {
    for (size_t i = 0; i < dev->nsources; i++) {
      vsc_source *s = &dev->sources[i];
      if (s->host && !*s->host) {
        free(s->host);
        s->host = vsc_strdup("127.0.0.1");
      }
    }
  }
  /* udp: the end given with host= is the connect end. */
  if (b == VSC_BACKEND_UDP)
    for (size_t i = 0; i < dev->nsources; i++)
      if (dev->sources[i].mode == VSC_MODE_ABSENT)
        dev->sources[i].mode = VSC_MODE_CONNECT;
  /* Keep udp's bind end first, as libvirt writes it. */
  if (b == VSC_BACKEND_UDP && dev->nsources == 2 && dev->sources[1].mode == VSC_MODE_BIND) {
    vsc_source tmp = dev->sources[0];
    dev->sources[0] = dev->sources[1];
    dev->sources[1] = tmp;
  }
}

int vsc_option_parse(vsc_kind kind, const char *text, const char *option,
                     vsc_devset *set, vsc_diags *diags)
{
  parser p = { .option = option, .text = text, .diags = diags };
  char why[128];
  vsc_loc loc = { .file = option };

  /* The text becomes XML: refuse what XML cannot carry rather than write
   * something else (and do not echo the bytes back). */
  if (vsc_text_problem(text, why, sizeof(why))) {
    vsc_error(diags, &loc, "option-syntax", "write the value in UTF-8, without control characters",
              "the option %s", why);
    return -1;
  }
  size_t n;
  char **items = split(text, &n);
  VSC_AUTOPTR(vsc_chardev) dev = vsc_chardev_new(kind);

  dev->origin.file = vsc_strdup(option);
  for (size_t i = 0; i < n; i++) {
    char *item = items[i];
    char *eq = strchr(item, '=');
    if (!*item) {
      if (n > 1)
        fail(&p, "remove the empty item, or write a literal comma as ',,'", "empty item");
    } else if (!eq && i == 0) {
      apply(&p, dev, "type", item);
    } else if (!eq) {
      fail(&p, "options are KEY=VALUE after the type; write a literal comma as ',,'",
           "'%s' is not KEY=VALUE", item);
    } else {
      *eq = '\0';
      apply(&p, dev, item, eq + 1);
    }
    free(item);
  }
  free(items);
  /* The spec reader and libvirt take a second (bind) source only for udp. */
  if (!p.errors && (dev->nsources > 1 || p.bind_keys) && vsc_chardev_backend(dev) != VSC_BACKEND_UDP)
    fail(&p, "bind_host and bind_service are for udp; use host and mode=bind otherwise",
         "bind_host and bind_service are only allowed for udp, not %s",
         vsc_backend_to_string(vsc_chardev_backend(dev)));
  else if (!p.errors && dev->nsources > 2)   /* mode=bind made the connect end a bind end */
    fail(&p, "for udp, host and service give the connect end and bind_host and bind_service the bind end",
         "a udp device has one connect end and one bind end; mode= cannot change them");
  if (p.errors)
    return -1;
  apply_defaults(dev);
  vsc_devset_add(set, vsc_steal(&dev));
  return 0;
}
