#include "option.h"

#include "model/backend.h"
#include "model/vhost.h"

#include "util/buf.h"
#include "util/strset.h"
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
  char *setting;  /* what the last key sets, by its first name: a key, or a
                   * synonym of one, given twice is an error */
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
  bool two_ends = vsc_chardev_backend_info(dev)->flags & VSC_BF_TWO_ENDS;
  for (size_t i = 0; i < dev->nsources; i++)
    if (dev->sources[i].mode != VSC_MODE_BIND || !two_ends)
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

/* key is a or its synonym b; p->setting becomes a. */
static bool key_is(parser *p, const char *key, const char *a, const char *b)
{
  if (strcmp(key, a) != 0 && (!b || strcmp(key, b) != 0))
    return false;
  free(p->setting);
  p->setting = vsc_strdup(a);
  return true;
}

/* The source field key names: source.NAME or source.ELEMENT.NAME, and
 * NAME alone for the short keys.  NULL if none. */
static const vsc_source_field *source_field(const char *key)
{
  const char *rest = strncmp(key, "source.", 7) == 0 ? key + 7 : NULL;
  for (size_t i = 0; i < VSC_SF_LAST; i++) {
    const vsc_source_field *f = &vsc_source_fields[i];
    size_t elen = f->element ? strlen(f->element) : 0;
    if (f->type == VSC_FIELD_SECLABELS)
      continue;
    if (rest && f->element ? strncmp(rest, f->element, elen) == 0 && rest[elen] == '.' &&
                             strcmp(rest + elen + 1, f->name) == 0
        : rest ? strcmp(rest, f->name) == 0
        : f->short_key && strcmp(key, f->name) == 0)
      return f;
  }
  return NULL;
}

/* "use a or b" for an enum's values. */
static char *values_hint(const vsc_source_field *f)
{
  vsc_buf b = { 0 };
  int n = 0, listed = 0;
  for (int i = 0; i < f->nvalues; i++)
    n += *f->values[i] != '\0';
  vsc_buf_add(&b, "use ");
  for (int i = 0; i < f->nvalues; i++) {
    if (!*f->values[i])
      continue;
    vsc_buf_add(&b, listed == 0 ? "" : listed + 1 == n ? " or " : ", ");
    vsc_buf_add(&b, f->values[i]);
    listed++;
  }
  return vsc_buf_steal(&b);
}

/* key=v for field f of the main source, as its descriptor says. */
static void apply_source_field(parser *p, vsc_chardev *dev, const char *key, const vsc_source_field *f,
                               const char *v)
{
  vsc_source *s = main_source(dev);
  void *ptr = vsc_source_field_ptr(s, f);
  int e;

  vsc_source_element_set(s, f);
  switch (f->type) {
  case VSC_FIELD_STRING:
  case VSC_FIELD_SERVICE:
    vsc_source_field_set_string(s, f, v);
    break;
  case VSC_FIELD_ENUM:
    if ((e = vsc_enum_from_string(f->values, f->nvalues, v)) < 0) {
      VSC_AUTOFREE(char) hint = values_hint(f);
      fail(p, hint, "unknown %s '%s'", f->label ? f->label : f->name, v);
    } else {
      vsc_source_field_set_int(s, f, e);
    }
    break;
  case VSC_FIELD_TRISTATE:
    parse_bool(p, key, v, ptr);
    break;
  case VSC_FIELD_UINT:
    if (parse_uint(p, key, v, f->max, ptr))
      *(bool *)((char *)s + f->given_offset) = true;
    break;
  case VSC_FIELD_SECLABELS:
    break;
  }
}

static void apply(parser *p, vsc_chardev *dev, const char *key, const char *v)
{
  const vsc_source_field *field;
  int e;

  if (key_is(p, key, "type", NULL)) {
    if ((e = vsc_backend_from_string(v)) < 0) {
      VSC_AUTOFREE(char) hint = vsc_asprintf("use %s", vsc_backend_qemu_names());
      fail(p, hint, "unknown backend type '%s'", v);
    } else {
      dev->backend = (vsc_backend)e;
      dev->has_backend = true;
    }
  } else if (key_is(p, key, "host", "source.host")) {
    set_host(main_source(dev), v);
  } else if (key_is(p, key, "bind_host", "source.bind_host")) {
    set_host(bind_source(dev), v);
    p->bind_keys = true;
  } else if (key_is(p, key, "bind_service", "source.bind_service")) {
    set_str(&bind_source(dev)->service, v);
    p->bind_keys = true;
  } else if ((field = source_field(key))) {
    free(p->setting);
    p->setting = field->element ? vsc_asprintf("source.%s.%s", field->element, field->name)
                                : vsc_asprintf("source.%s", field->name);
    apply_source_field(p, dev, key, field, v);
  } else if (key_is(p, key, "source.seclabel.model", NULL)) {
    set_str(&seclabel(main_source(dev))->model, v);
  } else if (key_is(p, key, "source.seclabel.relabel", NULL)) {
    parse_bool(p, key, v, &seclabel(main_source(dev))->relabel);
  } else if (key_is(p, key, "source.seclabel.label", NULL)) {
    set_str(&seclabel(main_source(dev))->label, v);
  } else if (key_is(p, key, "name", "target.name") || key_is(p, key, "target_name", NULL)) {
    dev->has_target = true;
    set_str(&dev->target.name, v);
  } else if (key_is(p, key, "target_type", "target.type")) {
    dev->has_target = true;
    if ((e = vsc_target_type_from_string(v)) < 0)
      fail(p, "see vschan-spec(5) for the target types", "unknown target type '%s'", v);
    else
      dev->target.type = (vsc_target_type)e;
  } else if (key_is(p, key, "target_address", "target.address")) {
    char *host = NULL, *port = NULL;
    dev->has_target = true;
    split_host(v, &host, &port);
    free(dev->target.address);
    dev->target.address = host;
    if (port && parse_uint(p, key, port, 65535, &dev->target.port))
      dev->target.has_port = true;
    free(port);
  } else if (key_is(p, key, "target_port", "target.port")) {
    dev->has_target = true;
    if (parse_uint(p, key, v, 65535, &dev->target.port))
      dev->target.has_port = true;
  } else if (key_is(p, key, "target.model.name", "target_model_name")) {
    dev->has_target = true;
    if ((e = vsc_serial_model_from_string(v)) < 0)
      fail(p, "see vschan-spec(5) for the models", "unknown target model '%s'", v);
    else
      dev->target.model = (vsc_serial_model)e;
  } else if (key_is(p, key, "protocol", "protocol.type")) {
    if ((e = vsc_protocol_from_string(v)) < 0)
      fail(p, "use raw or telnet", "unknown protocol '%s'", v);
    else
      dev->protocol = (vsc_protocol)e;
  } else if (key_is(p, key, "log.file", "log_file")) {
    set_str(&dev->log_file, v);
  } else if (key_is(p, key, "log.append", "log_append")) {
    parse_bool(p, key, v, &dev->log_append);
  } else if (key_is(p, key, "alias", "alias.name")) {
    free(dev->alias);
    dev->alias = vsc_alias_user(v);
  } else if (strncmp(key, "address.", 8) == 0 && key[8]) {
    free(p->setting);
    p->setting = vsc_strdup(key);
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
  const vsc_backend_info *bi = vsc_chardev_backend_info(dev);

  if (dev->kind == VSC_KIND_CHANNEL && (!dev->has_target || dev->target.type == VSC_TARGET_ABSENT)) {
    dev->has_target = true;
    dev->target.type = VSC_TARGET_VIRTIO;
  }
  if (dev->kind == VSC_KIND_CHANNEL && dev->target.type == VSC_TARGET_VIRTIO && !dev->target.name &&
      bi->port_name)
    dev->target.name = vsc_strdup(bi->port_name);
  if (bi->option_mode) {
    vsc_source *s = main_source(dev);
    if (s->mode == VSC_MODE_ABSENT)
      s->mode = bi->option_mode;
  }
  /* host=:PORT is the local host. */
  if (bi->fields & VSC_SRC_HOST) {
    for (size_t i = 0; i < dev->nsources; i++) {
      vsc_source *s = &dev->sources[i];
      if (s->host && !*s->host) {
        free(s->host);
        s->host = vsc_strdup("127.0.0.1");
      }
    }
  }
  if (!(bi->flags & VSC_BF_TWO_ENDS))
    return;
  /* The end given with host= is the connect end. */
  for (size_t i = 0; i < dev->nsources; i++)
    if (dev->sources[i].mode == VSC_MODE_ABSENT)
      dev->sources[i].mode = VSC_MODE_CONNECT;
  /* Keep the bind end first, as libvirt writes it. */
  if (dev->nsources == 2 && dev->sources[1].mode == VSC_MODE_BIND) {
    vsc_source tmp = dev->sources[0];
    dev->sources[0] = dev->sources[1];
    dev->sources[1] = tmp;
  }
}

/* The text becomes XML: refuse what XML cannot carry rather than write
 * something else (and do not echo the bytes back). */
static bool text_carriable(const char *text, const char *option, vsc_diags *diags)
{
  char why[128];
  vsc_loc loc = { .file = option };
  if (!vsc_text_problem(text, why, sizeof(why)))
    return true;
  vsc_error(diags, &loc, "option-syntax", "write the value in UTF-8, without control characters", "the option %s",
            why);
  return false;
}

/* Every item of p->text: KEY=VALUE, or the type when it comes first
 * bare and type_first; each key given once (p->setting says what the
 * last one set). */
static void apply_items(parser *p, bool type_first, void (*fn)(parser *p, void *dev, const char *key, const char *v),
                        void *dev)
{
  size_t n;
  char **items = split(p->text, &n);
  vsc_strset given = { 0 };
  for (size_t i = 0; i < n; i++) {
    char *item = items[i];
    char *eq = strchr(item, '=');
    if (!*item) {
      if (n > 1)
        fail(p, "remove the empty item, or write a literal comma as ',,'", "empty item");
    } else if (!eq && i == 0 && type_first) {
      fn(p, dev, "type", item);
    } else if (!eq) {
      fail(p, "options are KEY=VALUE after the type; write a literal comma as ',,'", "'%s' is not KEY=VALUE",
           item);
    } else {
      *eq = '\0';
      fn(p, dev, item, eq + 1);
    }
    if (p->setting && !vsc_strset_add(&given, p->setting))
      fail(p, "give each key once", "'%s' sets %s a second time", item, p->setting);
    free(p->setting);
    p->setting = NULL;
    free(item);
  }
  free(items);
  vsc_strset_clear(&given);
}

static void apply_chardev(parser *p, void *dev, const char *key, const char *v)
{
  apply(p, dev, key, v);
}

static void apply_vhost(parser *p, vsc_vhost *dev, const char *key, const char *v);

static void apply_vhost_item(parser *p, void *dev, const char *key, const char *v)
{
  apply_vhost(p, dev, key, v);
}

int vsc_option_parse(vsc_kind kind, const char *text, const char *option,
                     vsc_devset *set, vsc_diags *diags)
{
  parser p = { .option = option, .text = text, .diags = diags };
  vsc_loc loc = { .file = option };

  if (!text_carriable(text, option, diags))
    return -1;
  if (!*text) {
    vsc_error(diags, &loc, "option-syntax", "give the backend first, e.g. pty, or unix,path=/run/x.sock",
              "the option is empty");
    return -1;
  }
  VSC_AUTOPTR(vsc_chardev) dev = vsc_chardev_new(kind);
  dev->origin.file = vsc_strdup(option);
  apply_items(&p, true, apply_chardev, dev);
  /* The spec reader and libvirt take a second (bind) source only for udp. */
  if (!p.errors && (dev->nsources > 1 || p.bind_keys) &&
      !(vsc_chardev_backend_info(dev)->flags & VSC_BF_TWO_ENDS))
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

/* ---- vhost-user devices and memoryBacking: virt-install's --filesystem,
 * --network, --disk and --memorybacking ---- */

/* virt-install's short names, by kind (the full names are the spec paths
 * with '.' for '/': driver.queue, source.reconnect.enabled, ...). */
static const struct {
  const char *key;
  unsigned int kinds;
  vsc_vhost_field_id field;
} vhost_short_keys[] = {
  { "source", VSC_VHOST_BIT(VSC_VHOST_FS), VSC_VF_SOURCE_DIR },
  { "target", VSC_VHOST_BIT(VSC_VHOST_FS), VSC_VF_TARGET_DIR },
  { "socket", VSC_VHOST_BIT(VSC_VHOST_FS), VSC_VF_SOURCE_SOCKET },
  { "queue", VSC_VHOST_BIT(VSC_VHOST_FS), VSC_VF_DRIVER_QUEUE },
  { "mac", VSC_VHOST_BIT(VSC_VHOST_NET), VSC_VF_MAC },
  { "model", VSC_VHOST_BIT(VSC_VHOST_NET), VSC_VF_MODEL_TYPE },
  { "mode", VSC_VHOST_BIT(VSC_VHOST_NET), VSC_VF_SOURCE_MODE },
  { "path", VSC_VHOST_BIT(VSC_VHOST_NET) | VSC_VHOST_BIT(VSC_VHOST_BLK), VSC_VF_SOURCE_PATH },
  { "queues", VSC_VHOST_BIT(VSC_VHOST_NET) | VSC_VHOST_BIT(VSC_VHOST_BLK), VSC_VF_DRIVER_QUEUES },
  { "bus", VSC_VHOST_BIT(VSC_VHOST_BLK), VSC_VF_TARGET_BUS },
  { "target", VSC_VHOST_BIT(VSC_VHOST_BLK), VSC_VF_TARGET_DEV },
  { "alias.name", VSC_VHOST_QEMU_ONLY | VSC_VHOST_BIT(VSC_VHOST_FS) | VSC_VHOST_BIT(VSC_VHOST_NET) |
    VSC_VHOST_BIT(VSC_VHOST_BLK), VSC_VF_ALIAS },
  { "boot_order", VSC_VHOST_BIT(VSC_VHOST_FS) | VSC_VHOST_BIT(VSC_VHOST_NET) | VSC_VHOST_BIT(VSC_VHOST_BLK),
    VSC_VF_BOOT_ORDER },
};

/* The field key names for kind, or VSC_VF_LAST. */
static vsc_vhost_field_id vhost_field_of(vsc_vhost_kind kind, const char *key)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(vhost_short_keys); i++)
    if ((vhost_short_keys[i].kinds & VSC_VHOST_BIT(kind)) && strcmp(vhost_short_keys[i].key, key) == 0)
      return vhost_short_keys[i].field;
  VSC_AUTOFREE(char) path = vsc_strdup(key);
  for (char *c = path; *c; c++)
    if (*c == '.')
      *c = '/';
  for (int i = 0; i < VSC_VF_LAST; i++)
    if (vsc_vhost_takes(kind, (vsc_vhost_field_id)i) && strcmp(vsc_vhost_fields[i].spec, path) == 0)
      return (vsc_vhost_field_id)i;
  return VSC_VF_LAST;
}

static void apply_vhost(parser *p, vsc_vhost *dev, const char *key, const char *v)
{
  const char *address_key = strncmp(key, "address.", 8) == 0 ? key + 8 : NULL;
  if (address_key && *address_key) {
    if (strcmp(address_key, "type") == 0)
      set_str(&dev->address.type, v);
    else
      vsc_address_set(&dev->address, address_key, v);
    p->setting = vsc_strdup(key);
    return;
  }
  vsc_vhost_field_id id = vhost_field_of(dev->kind, key);
  if (id == VSC_VF_LAST) {
    vsc_buf keys = { 0 };
    for (int i = 0; i < VSC_VF_LAST; i++) {
      if (!vsc_vhost_takes(dev->kind, (vsc_vhost_field_id)i))
        continue;
      VSC_AUTOFREE(char) dotted = vsc_strdup(vsc_vhost_fields[i].spec);
      for (char *c = dotted; *c; c++)
        if (*c == '/')
          *c = '.';
      vsc_buf_printf(&keys, "%s%s", keys.len ? " " : "keys: ", dotted);
    }
    fail(p, keys.len ? keys.data : NULL, "unknown key '%s' for a %s", key, vsc_vhost_info_of(dev->kind)->name);
    vsc_buf_clear(&keys);
    return;
  }
  const vsc_vhost_field *f = &vsc_vhost_fields[id];
  const char *value = v;
  if (f->type == VSC_VFT_ONOFF || f->type == VSC_VFT_YESNO) {
    vsc_tristate t = VSC_TRI_ABSENT;
    if (!parse_bool(p, key, v, &t))
      return;
    value = vsc_vhost_bool_string(f, t == VSC_TRI_YES);
  }
  char buf[512];
  const char *problem = vsc_vhost_value_problem(dev->kind, id, f->spec, value, buf, sizeof(buf));
  if (problem) {
    fail(p, NULL, "%s", problem);
    return;
  }
  if (id == VSC_VF_ALIAS) {   /* libvirt keeps user aliases with its prefix */
    VSC_AUTOFREE(char) prefixed = vsc_alias_user(value);
    vsc_vhost_set(dev, id, prefixed);
  } else {
    vsc_vhost_set(dev, id, value);
  }
  p->setting = vsc_strdup(f->spec);
}

int vsc_option_parse_vhost(vsc_vhost_kind kind, const char *text, const char *option, vsc_devset *set,
                           vsc_diags *diags)
{
  parser p = { .option = option, .text = text, .diags = diags };
  if (!text_carriable(text, option, diags))
    return -1;
  VSC_AUTOPTR(vsc_vhost) dev = vsc_vhost_new(kind);
  dev->origin.file = vsc_strdup(option);
  /* a bare first item is the type: --network vhostuser,... */
  apply_items(&p, vsc_vhost_fixed_value(kind, VSC_VF_TYPE) != NULL, apply_vhost_item, dev);
  if (p.errors)
    return -1;
  vsc_devset_add_vhost(set, vsc_steal(&dev));
  return 0;
}

int vsc_option_parse_memory_backing(const char *text, const char *option, vsc_devset *set, vsc_diags *diags)
{
  parser p = { .option = option, .text = text, .diags = diags };
  size_t n;
  char **items = split(text, &n);
  vsc_memory_backing *m = &set->memory;
  vsc_memory_backing_clear(m);
  m->present = true;
  m->origin.file = vsc_strdup(option);
  for (size_t i = 0; i < n; i++) {
    char *item = items[i];
    char *eq = strchr(item, '=');
    const char *v = eq ? eq + 1 : "";
    if (eq)
      *eq = '\0';
    vsc_tristate t = VSC_TRI_ABSENT;
    if (!eq) {
      fail(&p, "e.g. source.type=memfd,access.mode=shared", "'%s' is not KEY=VALUE", item);
    } else if (strcmp(item, "source.type") == 0 &&
               (!strcmp(v, "memfd") || !strcmp(v, "file") || !strcmp(v, "anonymous"))) {
      set_str(&m->source_type, v);
    } else if (strcmp(item, "access.mode") == 0 && (!strcmp(v, "shared") || !strcmp(v, "private"))) {
      set_str(&m->access_mode, v);
    } else if (strcmp(item, "hugepages") == 0 && parse_bool(&p, item, v, &t)) {
      m->hugepages = t == VSC_TRI_YES;
    } else if (strcmp(item, "hugepages") != 0) {
      fail(&p, "keys: source.type (memfd, file, anonymous), access.mode (shared, private), hugepages (on, off)",
           "unknown key or value '%s=%s'", item, v);
    }
    free(items[i]);
  }
  free(items);
  return p.errors ? -1 : 0;
}
