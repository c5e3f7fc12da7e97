/* JSON spec → device model.  Mirrors format.c field for field. */
#include "spec.h"
#include "model/backend.h"
#include "model/vhost.h"
#include "util/file.h"
#include "util/json.h"
#include "util/str.h"
#include "util/text.h"

#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


/* The keys each object of the spec takes.  The JSON Schema is checked
 * against this table by a test (tests/unit/test-spec.c). */
const vsc_spec_object vsc_spec_objects[] = {
  { "root", (const char *const[]){ "$schema", "version", "channels", "consoles", "serials",
                                   "parallels", "controller", "filesystems", "interfaces", "disks",
                                   "vhostuser", "memoryBacking", NULL } },
  { "device", (const char *const[]){ "type", "source", "target", "protocol", "log", "alias", "monitor",
                                     "address", "acpi", NULL } },
  { "source", (const char *const[]){ "mode", "path", "host", "service", "append", "tls", "wait", "nodelay",
                                     "width", "height", "cols", "rows", "channel",
                                     "master", "slave", "reconnect", "seclabel", "clipboard",
                                     "mouse", NULL } },
  { "reconnect", (const char *const[]){ "enabled", "timeout", NULL } },
  { "seclabel", (const char *const[]){ "model", "relabel", "label", NULL } },
  { "clipboard", (const char *const[]){ "copypaste", NULL } },
  { "mouse", (const char *const[]){ "mode", NULL } },
  { "target", (const char *const[]){ "type", "name", "address", "port", "model", NULL } },
  { "log", (const char *const[]){ "file", "append", NULL } },
  { "acpi", (const char *const[]){ "index", NULL } },
  { "controller", (const char *const[]){ "index", "ports", "vectors", NULL } },
  { "memoryBacking", (const char *const[]){ "source", "access", "hugepages", NULL } },
  { NULL, NULL },
};

#define KEYS_ROOT (vsc_spec_objects[0].keys)
#define KEYS_DEVICE (vsc_spec_objects[1].keys)
#define KEYS_SOURCE (vsc_spec_objects[2].keys)
#define KEYS_SECLABEL (vsc_spec_objects[4].keys)
#define KEYS_TARGET (vsc_spec_objects[7].keys)
#define KEYS_LOG (vsc_spec_objects[8].keys)
#define KEYS_ACPI (vsc_spec_objects[9].keys)
#define KEYS_CONTROLLER (vsc_spec_objects[10].keys)
#define KEYS_MEMORY_BACKING (vsc_spec_objects[11].keys)

typedef struct {
  const char *file;
  vsc_diags *diags;
  char ptr[2048];   /* the JSON pointer of the value being read */
  size_t ptrlen;
  int errors;
} reader;

/* RFC 6901: '~' is written ~0 and '/' is written ~1. */
static size_t push_key(reader *r, const char *key)
{
  size_t saved = r->ptrlen;
  if (r->ptrlen + 1 < sizeof(r->ptr))
    r->ptr[r->ptrlen++] = '/';
  for (const char *p = key; *p && r->ptrlen + 3 < sizeof(r->ptr); p++) {
    if (*p == '~' || *p == '/') {
      r->ptr[r->ptrlen++] = '~';
      r->ptr[r->ptrlen++] = *p == '~' ? '0' : '1';
    } else {
      r->ptr[r->ptrlen++] = *p;
    }
  }
  r->ptr[r->ptrlen] = '\0';
  return saved;
}

static size_t push_index(reader *r, size_t i)
{
  char num[32];
  snprintf(num, sizeof(num), "%zu", i);
  return push_key(r, num);
}

static void pop(reader *r, size_t saved)
{
  r->ptrlen = saved;
  r->ptr[saved] = '\0';
}

static void __attribute__((format(printf, 3, 4)))
fail(reader *r, const char *hint, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  vsc_loc loc = { .file = r->file, .pointer = r->ptrlen ? r->ptr : "/" };

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  vsc_error(r->diags, &loc, "spec-syntax", hint, "%s", msg);
  r->errors++;
}

/* Every string of the model is written into XML; refuse what XML cannot
 * carry instead of writing something else.  (jansson already insists on
 * UTF-8; control characters pass as \u0001.) */
static bool check_text(reader *r, const char *s)
{
  char why[128];
  if (!vsc_text_problem(s, why, sizeof(why)))
    return true;
  fail(r, "XML 1.0 cannot hold it, not even escaped: remove it", "the value %s", why);
  return false;
}

static const char *json_type_name(const json_t *v)
{
  return vsc_json_type_name(json_typeof(v));
}

/* Levenshtein distance, to suggest the key the user meant. */
static size_t edit_distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  size_t prev[64], cur[64];
  if (la >= 63 || lb >= 63)
    return SIZE_MAX;
  for (size_t j = 0; j <= lb; j++)
    prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, sizeof(size_t) * (lb + 1));
  }
  return prev[lb];
}

/* Every key of obj must be in allowed (NULL-terminated). */
static void check_keys(reader *r, json_t *obj, const char *const *allowed)
{
  const char *key;
  json_t *value;

  json_object_foreach(obj, key, value) {
    if (vsc_str_in_list(key, allowed))
      continue;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const char *const *a = allowed; *a; a++) {
      size_t d = edit_distance(*a, key);
      if (d < best_d) {
        best_d = d;
        best = *a;
      }
    }
    size_t saved = push_key(r, key);
    char hint[512];
    size_t off = 0;
    if (best && best_d <= 2)
      off += (size_t)snprintf(hint, sizeof(hint), "did you mean '%s'? ", best);
    off += (size_t)snprintf(hint + off, sizeof(hint) - off, "allowed here:");
    for (const char *const *a = allowed; *a && off < sizeof(hint); a++)
      off += (size_t)snprintf(hint + off, sizeof(hint) - off, " %s", *a);
    fail(r, hint, "unknown key '%s'", key);
    pop(r, saved);
  }
}

static bool expect_type(reader *r, json_t *v, json_type type, const char *what)
{
  if (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)))
    return true;
  const char *hint = NULL;
  if (type == JSON_INTEGER && json_is_string(v))
    hint = "write the number without quotes";
  else if (type == JSON_STRING && (json_is_integer(v) || json_is_real(v)))
    hint = "put the value in quotes";
  else if (type == JSON_TRUE && json_is_string(v))
    hint = "write true or false without quotes";
  fail(r, hint, "expected %s, got %s", what, json_type_name(v));
  return false;
}

static void read_string(reader *r, json_t *obj, const char *key, char **out)
{
  json_t *v = json_object_get(obj, key);
  if (!v)
    return;
  size_t saved = push_key(r, key);
  if (expect_type(r, v, JSON_STRING, "a string") && check_text(r, json_string_value(v))) {
    free(*out);
    *out = vsc_strdup(json_string_value(v));
  }
  pop(r, saved);
}

static void read_bool(reader *r, json_t *obj, const char *key, vsc_tristate *out)
{
  json_t *v = json_object_get(obj, key);
  if (!v)
    return;
  size_t saved = push_key(r, key);
  if (expect_type(r, v, JSON_TRUE, "true or false"))
    *out = json_is_true(v) ? VSC_TRI_YES : VSC_TRI_NO;
  pop(r, saved);
}

static void read_uint(reader *r, json_t *obj, const char *key, unsigned int max,
                      unsigned int *out, bool *has)
{
  json_t *v = json_object_get(obj, key);
  if (!v)
    return;
  size_t saved = push_key(r, key);
  if (expect_type(r, v, JSON_INTEGER, "an integer")) {
    json_int_t i = json_integer_value(v);
    if (i < 0 || (unsigned long long)i > max) {
      char hint[64];
      snprintf(hint, sizeof(hint), "use a value from 0 to %u", max);
      fail(r, hint, "%lld is out of range", (long long)i);
    } else {
      *out = (unsigned int)i;
      *has = true;
    }
  }
  pop(r, saved);
}

/* An enum given as a string, checked against its table. */
static void read_enum(reader *r, json_t *obj, const char *key,
                      const char *const *table, int n, int *out)
{
  json_t *v = json_object_get(obj, key);
  if (!v)
    return;
  size_t saved = push_key(r, key);
  if (expect_type(r, v, JSON_STRING, "a string")) {
    int e = vsc_enum_from_string(table, n, json_string_value(v));
    if (e < 0) {
      char hint[512];
      size_t off = (size_t)snprintf(hint, sizeof(hint), "use one of:");
      for (int i = 0; i < n && off < sizeof(hint); i++)
        if (table[i] && *table[i])
          off += (size_t)snprintf(hint + off, sizeof(hint) - off, " %s", table[i]);
      fail(r, hint, "unknown value '%s'", json_string_value(v));
    } else {
      *out = e;
    }
  }
  pop(r, saved);
}

#define READ_ENUM(r, obj, key, name, last, out) \
  do { int _e = (int)*(out); read_enum((r), (obj), (key), name##_table, (last), &_e); *(out) = _e; } while (0)

/* A port number (written as a number) or a service name. */
static void read_service(reader *r, json_t *obj, const char *key, char **out)
{
  json_t *v = json_object_get(obj, key);
  if (!v)
    return;
  size_t saved = push_key(r, key);
  if (json_is_integer(v)) {
    json_int_t port = json_integer_value(v);
    if (port < 0 || port > 65535)
      fail(r, "use a port from 0 to 65535", "port %lld is out of range", (long long)port);
    else
      *out = vsc_asprintf("%lld", (long long)port);
  } else if (json_is_string(v)) {
    if (check_text(r, json_string_value(v)))
      *out = vsc_strdup(json_string_value(v));
  } else {
    fail(r, NULL, "expected a port number or a service name, got %s", json_type_name(v));
  }
  pop(r, saved);
}

static const char *const *keys_of(const char *object)
{
  for (const vsc_spec_object *o = vsc_spec_objects; o->name; o++)
    if (strcmp(o->name, object) == 0)
      return o->keys;
  return NULL;
}

static void read_seclabel(reader *r, json_t *v, vsc_source *src)
{
  if (!expect_type(r, v, JSON_OBJECT, "an object"))
    return;
  check_keys(r, v, KEYS_SECLABEL);
  vsc_seclabel *s = vsc_append(&src->seclabels, &src->nseclabels, sizeof(*s));
  read_string(r, v, "model", &s->model);
  read_bool(r, v, "relabel", &s->relabel);
  read_string(r, v, "label", &s->label);
}

/* "seclabel": one object or a list of them. */
static void read_seclabels(reader *r, json_t *obj, const char *key, vsc_source *src)
{
  json_t *v = json_object_get(obj, key);
  if (!v)
    return;
  size_t saved = push_key(r, key);
  if (json_is_array(v)) {
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
      size_t s2 = push_index(r, i);
      read_seclabel(r, item, src);
      pop(r, s2);
    }
  } else {
    read_seclabel(r, v, src);
  }
  pop(r, saved);
}

/* One field of a source, as its descriptor says: the mirror of
 * format_source_field in format.c. */
static void read_source_field(reader *r, json_t *obj, const vsc_source_field *f, vsc_source *src)
{
  void *p = vsc_source_field_ptr(src, f);
  switch (f->type) {
  case VSC_FIELD_STRING:
    read_string(r, obj, f->name, p);
    break;
  case VSC_FIELD_SERVICE:
    read_service(r, obj, f->name, p);
    break;
  case VSC_FIELD_ENUM: {
    int e = vsc_source_field_int(src, f);
    read_enum(r, obj, f->name, f->values, f->nvalues, &e);
    vsc_source_field_set_int(src, f, e);
    break;
  }
  case VSC_FIELD_TRISTATE:
    read_bool(r, obj, f->name, p);
    break;
  case VSC_FIELD_UINT:
    read_uint(r, obj, f->name, f->max, p, (bool *)((char *)src + f->given_offset));
    break;
  case VSC_FIELD_SECLABELS:
    read_seclabels(r, obj, f->name, src);
    break;
  }
}

/* The object of an element ("reconnect": {...}) and the n fields in it. */
static void read_source_element(reader *r, json_t *obj, const vsc_source_field *f, size_t n,
                                vsc_source *src)
{
  json_t *v = json_object_get(obj, f->element);
  if (!v)
    return;
  size_t saved = push_key(r, f->element);
  if (expect_type(r, v, JSON_OBJECT, "an object")) {
    check_keys(r, v, keys_of(f->element));
    vsc_source_element_set(src, f);
    for (size_t i = 0; i < n; i++)
      read_source_field(r, v, &f[i], src);
  }
  pop(r, saved);
}

static void read_source(reader *r, json_t *v, vsc_source *src)
{
  if (!expect_type(r, v, JSON_OBJECT, "an object"))
    return;
  check_keys(r, v, KEYS_SOURCE);
  for (size_t i = 0; i < VSC_SF_LAST;) {
    const vsc_source_field *f = &vsc_source_fields[i];
    size_t n = f->element ? vsc_source_element_span(f) : 1;
    if (!f->element || f->type == VSC_FIELD_SECLABELS)
      read_source_field(r, v, f, src);
    else
      read_source_element(r, v, f, n, src);
    i += n;
  }
}

static void read_target(reader *r, json_t *v, vsc_chardev *dev)
{
  if (!expect_type(r, v, JSON_OBJECT, "an object"))
    return;
  check_keys(r, v, KEYS_TARGET);
  dev->has_target = true;
  READ_ENUM(r, v, "type", vsc_target_type, VSC_TARGET_LAST, &dev->target.type);
  read_string(r, v, "name", &dev->target.name);
  read_string(r, v, "address", &dev->target.address);
  read_uint(r, v, "port", 65535, &dev->target.port, &dev->target.has_port);
  READ_ENUM(r, v, "model", vsc_serial_model, VSC_MODEL_LAST, &dev->target.model);
}

static void read_address(reader *r, json_t *v, vsc_address *addr)
{
  const char *key;
  json_t *val;

  if (!expect_type(r, v, JSON_OBJECT, "an object"))
    return;
  json_t *type = json_object_get(v, "type");
  if (!type || !json_is_string(type)) {
    fail(r, "for example {\"type\": \"virtio-serial\", \"controller\": 0, \"bus\": 0, \"port\": 2}",
         "an address needs a \"type\" string");
    return;
  }
  size_t saved_type = push_key(r, "type");
  bool type_ok = check_text(r, json_string_value(type));
  pop(r, saved_type);
  if (!type_ok)
    return;
  addr->type = vsc_strdup(json_string_value(type));
  json_object_foreach(v, key, val) {
    if (strcmp(key, "type") == 0)
      continue;
    size_t saved = push_key(r, key);
    if (!vsc_text_is_name(key)) {   /* it becomes an XML attribute name */
      fail(r, "address attributes are names such as controller, bus, port, iobase",
           "'%s' is not an attribute name", key);
    } else if (json_is_string(val)) {
      if (check_text(r, json_string_value(val)))
        vsc_address_set(addr, key, json_string_value(val));
    } else if (json_is_integer(val) && json_integer_value(val) >= 0) {
      char num[32];
      snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(val));
      vsc_address_set(addr, key, num);
    } else if (json_is_boolean(val)) {
      vsc_address_set(addr, key, json_is_true(val) ? "on" : "off");
    } else {
      fail(r, NULL, "expected a string or a non-negative integer, got %s", json_type_name(val));
    }
    pop(r, saved);
  }
}

static void read_log(reader *r, json_t *v, vsc_chardev *dev)
{
  if (!expect_type(r, v, JSON_OBJECT, "an object"))
    return;
  check_keys(r, v, KEYS_LOG);
  read_string(r, v, "file", &dev->log_file);
  read_bool(r, v, "append", &dev->log_append);
  if (!dev->log_file)
    fail(r, "add \"file\": \"/var/log/...\"", "a log needs a \"file\"");
}

static vsc_chardev *read_chardev(reader *r, json_t *v, vsc_kind kind)
{
  json_t *sub;
  size_t saved;

  if (!expect_type(r, v, JSON_OBJECT, "a device object"))
    return NULL;
  check_keys(r, v, KEYS_DEVICE);

  vsc_chardev *dev = vsc_chardev_new(kind);
  dev->origin.file = vsc_strdup(r->file);
  dev->origin.pointer = vsc_strdup(r->ptr);

  if (json_object_get(v, "type")) {
    int b = -1;
    READ_ENUM(r, v, "type", vsc_backend, VSC_BACKEND_LAST, &b);
    if (b >= 0) {
      dev->backend = (vsc_backend)b;
      dev->has_backend = true;
    }
  }
  if ((sub = json_object_get(v, "source"))) {
    saved = push_key(r, "source");
    if (json_is_array(sub)) {
      size_t i;
      json_t *item;
      if (!dev->has_backend || !(vsc_backend_info_of(dev->backend)->flags & VSC_BF_TWO_ENDS) ||
          json_array_size(sub) != 2)
        fail(r, "give one source object; only udp takes two (one \"mode\": \"bind\", one \"mode\": \"connect\")",
             "a list of sources is only allowed for udp, with exactly two entries");
      json_array_foreach(sub, i, item) {
        size_t s2 = push_index(r, i);
        read_source(r, item, vsc_chardev_add_source(dev));
        pop(r, s2);
      }
    } else {
      read_source(r, sub, vsc_chardev_add_source(dev));
    }
    pop(r, saved);
  }
  if ((sub = json_object_get(v, "target"))) {
    saved = push_key(r, "target");
    read_target(r, sub, dev);
    pop(r, saved);
  }
  READ_ENUM(r, v, "protocol", vsc_protocol, VSC_PROTOCOL_LAST, &dev->protocol);
  if ((sub = json_object_get(v, "log"))) {
    saved = push_key(r, "log");
    read_log(r, sub, dev);
    pop(r, saved);
  }
  read_bool(r, v, "monitor", &dev->monitor);
  read_string(r, v, "alias", &dev->alias);
  if (dev->alias) {
    char *prefixed = vsc_alias_user(dev->alias);
    free(dev->alias);
    dev->alias = prefixed;
  }
  if ((sub = json_object_get(v, "address"))) {
    saved = push_key(r, "address");
    read_address(r, sub, &dev->address);
    pop(r, saved);
  }
  if ((sub = json_object_get(v, "acpi"))) {
    saved = push_key(r, "acpi");
    if (expect_type(r, sub, JSON_OBJECT, "an object")) {
      check_keys(r, sub, KEYS_ACPI);
      read_uint(r, sub, "index", 16383, &dev->acpi_index, &dev->has_acpi_index);
    }
    pop(r, saved);
  }
  return dev;
}

static void read_controller(reader *r, json_t *v, vsc_controller *c)
{
  if (!expect_type(r, v, JSON_OBJECT, "an object"))
    return;
  check_keys(r, v, KEYS_CONTROLLER);
  c->present = true;
  read_uint(r, v, "index", 255, &c->index, &c->has_index);
  read_uint(r, v, "ports", 31, &c->ports, &c->has_ports);
  read_uint(r, v, "vectors", 1024, &c->vectors, &c->has_vectors);
}

/* ---- vhost-user devices: read as the field table says ---- */

/* The keys of the object at prefix ("" or "binary/") of a kind's device:
 * the next component of each field's spec path below it. */
static size_t vhost_keys(vsc_vhost_kind kind, const char *prefix, const char **keys, size_t max)
{
  size_t n = 0, plen = strlen(prefix);
  for (size_t i = 0; i < VSC_VF_LAST; i++) {
    const vsc_vhost_field *f = &vsc_vhost_fields[i];
    if (!vsc_vhost_takes(kind, (vsc_vhost_field_id)i) || strncmp(f->spec, prefix, plen) != 0)
      continue;
    const char *rest = f->spec + plen;
    size_t len = strcspn(rest, "/");
    bool seen = false;
    for (size_t k = 0; k < n && !seen; k++)
      seen = strlen(keys[k]) == len && strncmp(keys[k], rest, len) == 0;
    if (!seen && n + 1 < max)
      keys[n++] = vsc_strndup(rest, len);
  }
  keys[n] = NULL;
  return n;
}

static void read_vhost_value(reader *r, json_t *obj, const char *key, const vsc_vhost_field *f,
                             vsc_vhost *dev, vsc_vhost_field_id id)
{
  json_t *v = json_object_get(obj, key);
  if (!v)
    return;
  size_t saved = push_key(r, key);
  switch (f->type) {
  case VSC_VFT_STRING:
  case VSC_VFT_ENUM:
    if (expect_type(r, v, JSON_STRING, "a string") && check_text(r, json_string_value(v))) {
      char why[256];
      const char *problem = vsc_vhost_value_problem(dev->kind, id, f->spec, json_string_value(v), why, sizeof(why));
      if (problem)
        fail(r, vsc_vhost_fixed_value(dev->kind, id) ? "leave it out: the section fixes it" : NULL, "%s", problem);
      else
        vsc_vhost_set(dev, id, json_string_value(v));
    }
    break;
  case VSC_VFT_UINT: {
    unsigned int u = 0;
    bool has = false;
    pop(r, saved);
    read_uint(r, obj, key, f->max, &u, &has);
    if (has) {
      char num[16], why[256];
      snprintf(num, sizeof(num), "%u", u);
      const char *problem = vsc_vhost_value_problem(dev->kind, id, f->spec, num, why, sizeof(why));
      if (problem) {
        saved = push_key(r, key);
        fail(r, NULL, "%s", problem);
        pop(r, saved);
      } else {
        vsc_vhost_set(dev, id, num);
      }
    }
    return;
  }
  case VSC_VFT_ONOFF:
  case VSC_VFT_YESNO:
    if (expect_type(r, v, JSON_TRUE, "true or false"))
      vsc_vhost_set(dev, id, vsc_vhost_bool_string(f, json_is_true(v)));
    break;
  }
  pop(r, saved);
}

/* The object at prefix of dev's spec object, and the objects below it. */
static void read_vhost_object(reader *r, json_t *obj, const char *prefix, vsc_vhost *dev,
                              const char *const *extra)
{
  const char *keys[48];
  size_t n = vhost_keys(dev->kind, prefix, keys, VSC_N_ELEMENTS(keys) - 8);
  for (const char *const *e = extra; e && *e; e++)
    keys[n++] = vsc_strdup(*e);
  keys[n] = NULL;
  check_keys(r, obj, keys);
  for (size_t k = 0; k < n; k++) {
    if (extra && vsc_str_in_list(keys[k], extra))
      continue;
    VSC_AUTOFREE(char) path = vsc_asprintf("%s%s", prefix, keys[k]);
    bool leaf = false;
    for (size_t i = 0; i < VSC_VF_LAST && !leaf; i++) {
      if (vsc_vhost_takes(dev->kind, (vsc_vhost_field_id)i) && strcmp(vsc_vhost_fields[i].spec, path) == 0) {
        read_vhost_value(r, obj, keys[k], &vsc_vhost_fields[i], dev, (vsc_vhost_field_id)i);
        leaf = true;
      }
    }
    json_t *sub = json_object_get(obj, keys[k]);
    if (leaf || !sub)
      continue;
    size_t saved = push_key(r, keys[k]);
    if (expect_type(r, sub, JSON_OBJECT, "an object")) {
      VSC_AUTOFREE(char) below = vsc_asprintf("%s/", path);
      read_vhost_object(r, sub, below, dev, NULL);
    }
    pop(r, saved);
  }
  for (size_t k = 0; k < n; k++)
    free((char *)keys[k]);
}

/* "properties" of a QEMU-only device: more -device options, by name. */
static void read_vhost_properties(reader *r, json_t *v, vsc_vhost *dev)
{
  const char *key;
  json_t *val;
  if (!expect_type(r, v, JSON_OBJECT, "an object of QEMU device properties"))
    return;
  json_object_foreach(v, key, val) {
    size_t saved = push_key(r, key);
    char num[32];
    const char *text = NULL;
    if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(key))
      fail(r, "QEMU's property names are letters, digits, '-', '_' and '.' (qemu-system-x86_64 -device NAME,help)",
           "'%s' is not a property name", key);
    else if (strcmp(key, "chardev") == 0 || strcmp(key, "id") == 0)
      fail(r, "leave it out: vschan names the device and its chardev", "'%s' is vschan's to set", key);
    else if (json_is_string(val))
      text = check_text(r, json_string_value(val)) ? json_string_value(val) : NULL;
    else if (json_is_integer(val))
      snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(val)), text = num;
    else if (json_is_boolean(val))
      text = json_is_true(val) ? "on" : "off";
    else
      fail(r, NULL, "expected a string, an integer or true/false, got %s", json_type_name(val));
    if (text) {
      vsc_attr *a = vsc_append(&dev->properties, &dev->nproperties, sizeof(*a));
      a->key = vsc_strdup(key);
      a->value = vsc_strdup(text);
    }
    pop(r, saved);
  }
}

/* Which QEMU-only device "device" names: a short name or a vhost-user-*
 * driver of QEMU. */
static bool read_vhost_device(reader *r, json_t *v, vsc_vhost_kind *kind, char **driver)
{
  json_t *d = json_object_get(v, "device");
  static const char hint[] = "name the device: vsock, rng, gpio, i2c, input, scsi, or a QEMU driver "
                             "such as vhost-user-gpu-pci";
  if (!d) {
    fail(r, hint, "a vhost-user device needs \"device\"");
    return false;
  }
  size_t saved = push_key(r, "device");
  bool ok = expect_type(r, d, JSON_STRING, "a string") && check_text(r, json_string_value(d));
  if (ok) {
    const char *name = json_string_value(d);
    int k = vsc_vhost_kind_from_string(name);
    if (k >= 0 && (VSC_VHOST_BIT(k) & VSC_VHOST_QEMU_ONLY) && k != VSC_VHOST_OTHER) {
      *kind = (vsc_vhost_kind)k;
    } else if (strncmp(name, "vhost-user-", 11) == 0 && name[11] &&
               strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(name)) {
      *kind = VSC_VHOST_OTHER;
      *driver = vsc_strdup(name);
    } else if (k == VSC_VHOST_FS || k == VSC_VHOST_NET || k == VSC_VHOST_BLK) {
      fail(r, "libvirt has these: put it under \"filesystems\", \"interfaces\" or \"disks\"",
           "'%s' is not a device of this section", name);
      ok = false;
    } else {
      fail(r, hint, "unknown vhost-user device '%s'", name);
      ok = false;
    }
  }
  pop(r, saved);
  return ok;
}

static vsc_vhost *read_vhost(reader *r, json_t *v, const char *section)
{
  vsc_vhost_kind kind = VSC_VHOST_FS;
  char *driver = NULL;
  if (!expect_type(r, v, JSON_OBJECT, "a device object"))
    return NULL;
  if (strcmp(section, "vhostuser") == 0) {
    if (!read_vhost_device(r, v, &kind, &driver)) {
      check_keys(r, v, (const char *const[]){ "device", "source", "alias", "address", "properties", NULL });
      return NULL;
    }
  } else {
    kind = strcmp(section, "filesystems") == 0 ? VSC_VHOST_FS
           : strcmp(section, "interfaces") == 0 ? VSC_VHOST_NET : VSC_VHOST_BLK;
  }
  vsc_vhost *dev = vsc_vhost_new(kind);
  dev->qemu_driver = driver;
  dev->origin.file = vsc_strdup(r->file);
  dev->origin.pointer = vsc_strdup(r->ptr);
  bool qemu_only = (VSC_VHOST_BIT(kind) & VSC_VHOST_QEMU_ONLY) != 0;
  read_vhost_object(r, v, "", dev,
                    qemu_only ? (const char *const[]){ "address", "properties", "device", NULL }
                              : (const char *const[]){ "address", NULL });
  if (dev->values[VSC_VF_ALIAS]) {
    char *prefixed = vsc_alias_user(dev->values[VSC_VF_ALIAS]);
    free(dev->values[VSC_VF_ALIAS]);
    dev->values[VSC_VF_ALIAS] = prefixed;
  }
  json_t *sub;
  if ((sub = json_object_get(v, "address"))) {
    size_t saved = push_key(r, "address");
    read_address(r, sub, &dev->address);
    pop(r, saved);
  }
  if (qemu_only && (sub = json_object_get(v, "properties"))) {
    size_t saved = push_key(r, "properties");
    read_vhost_properties(r, sub, dev);
    pop(r, saved);
  }
  return dev;
}

static void read_memory_backing(reader *r, json_t *v, vsc_memory_backing *m)
{
  if (!expect_type(r, v, JSON_OBJECT, "an object"))
    return;
  check_keys(r, v, KEYS_MEMORY_BACKING);
  m->present = true;
  m->origin.file = vsc_strdup(r->file);
  m->origin.pointer = vsc_strdup(r->ptr);
  const struct {
    const char *element, *attr;
    const char *const *values;
    size_t offset;
  } parts[] = {
    { "source", "type", (const char *const[]){ "file", "anonymous", "memfd", NULL },
      offsetof(vsc_memory_backing, source_type) },
    { "access", "mode", (const char *const[]){ "shared", "private", NULL },
      offsetof(vsc_memory_backing, access_mode) },
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(parts); i++) {
    json_t *o = json_object_get(v, parts[i].element);
    if (!o)
      continue;
    size_t saved = push_key(r, parts[i].element);
    if (expect_type(r, o, JSON_OBJECT, "an object")) {
      check_keys(r, o, (const char *const[]){ parts[i].attr, NULL });
      int e = -1;
      int n = 0;
      while (parts[i].values[n])
        n++;
      read_enum(r, o, parts[i].attr, parts[i].values, n, &e);
      if (e >= 0)
        *(char **)((char *)m + parts[i].offset) = vsc_strdup(parts[i].values[e]);
    }
    pop(r, saved);
  }
  json_t *h = json_object_get(v, "hugepages");
  if (h) {
    size_t saved = push_key(r, "hugepages");
    if (expect_type(r, h, JSON_OBJECT, "an object ({} for the default page size)")) {
      check_keys(r, h, (const char *const[]){ NULL });
      m->hugepages = true;
    }
    pop(r, saved);
  }
}

static void read_vhost_section(reader *r, json_t *root, const char *section, vsc_devset *set)
{
  json_t *arr = json_object_get(root, section);
  if (!arr)
    return;
  size_t saved = push_key(r, section);
  if (expect_type(r, arr, JSON_ARRAY, "an array of device objects")) {
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item) {
      size_t s2 = push_index(r, i);
      vsc_vhost *dev = read_vhost(r, item, section);
      if (dev)
        vsc_devset_add_vhost(set, dev);
      pop(r, s2);
    }
  }
  pop(r, saved);
}

const char *vsc_spec_kind_key(vsc_kind kind)
{
  switch (kind) {
  case VSC_KIND_CHANNEL:
    return "channels";
  case VSC_KIND_CONSOLE:
    return "consoles";
  case VSC_KIND_SERIAL:
    return "serials";
  case VSC_KIND_PARALLEL:
    return "parallels";
  case VSC_KIND_LAST:
    break;
  }
  return NULL;
}

int vsc_spec_parse_json(json_t *root, const char *filename, vsc_devset *set, vsc_diags *diags)
{
  reader r = { .file = filename, .diags = diags };
  json_t *v;

  if (!json_is_object(root)) {
    fail(&r, "a spec is an object such as {\"channels\": [...]}", "expected an object at the top, got %s",
         json_type_name(root));
    return -1;
  }
  check_keys(&r, root, KEYS_ROOT);
  if ((v = json_object_get(root, "version"))) {
    size_t saved = push_key(&r, "version");
    if (!json_is_integer(v) || json_integer_value(v) != VSC_SPEC_VERSION)
      fail(&r, "this vschan reads spec version 1", "unsupported spec version");
    pop(&r, saved);
  }
  for (int kind = 0; kind < VSC_KIND_LAST; kind++) {
    const char *key = vsc_spec_kind_key((vsc_kind)kind);
    json_t *arr = json_object_get(root, key);
    if (!arr)
      continue;
    size_t saved = push_key(&r, key);
    if (expect_type(&r, arr, JSON_ARRAY, "an array of device objects")) {
      size_t i;
      json_t *item;
      json_array_foreach(arr, i, item) {
        size_t s2 = push_index(&r, i);
        vsc_chardev *dev = read_chardev(&r, item, (vsc_kind)kind);
        if (dev)
          vsc_devset_add(set, dev);
        pop(&r, s2);
      }
    }
    pop(&r, saved);
  }
  if ((v = json_object_get(root, "controller"))) {
    size_t saved = push_key(&r, "controller");
    read_controller(&r, v, &set->controller);
    pop(&r, saved);
  }
  static const char *const sections[] = { "filesystems", "interfaces", "disks", "vhostuser" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(sections); i++)
    read_vhost_section(&r, root, sections[i], set);
  if ((v = json_object_get(root, "memoryBacking"))) {
    size_t saved = push_key(&r, "memoryBacking");
    read_memory_backing(&r, v, &set->memory);
    pop(&r, saved);
  }
  return r.errors ? -1 : 0;
}

int vsc_spec_parse(const char *text, size_t len, const char *filename,
                   vsc_devset *set, vsc_diags *diags)
{
  json_error_t err;
  /* Duplicate keys are a mistake in a hand-written spec: reject them. */
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);

  if (!root) {
    vsc_loc loc = { .file = filename, .line = err.line > 0 ? err.line : 0,
                    .column = err.column > 0 ? err.column : 0 };
    vsc_error(diags, &loc, "spec-syntax", "fix the JSON syntax at that place", "%s",
              vsc_json_load_message(&err));
    return -1;
  }
  int rc = vsc_spec_parse_json(root, filename, set, diags);
  json_decref(root);
  return rc;
}

int vsc_spec_load(const char *path, vsc_devset *set, vsc_diags *diags)
{
  size_t len;
  VSC_AUTOFREE(char) text = vsc_file_read(path, VSC_SPEC_MAX_SIZE, &len, diags);
  if (!text)
    return -1;
  return vsc_spec_parse(text, len, strcmp(path, "-") == 0 ? "<stdin>" : path, set, diags);
}
