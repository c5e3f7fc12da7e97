/* Device model → JSON spec.  Mirrors parse.c field for field. */
#include "spec.h"
#include "model/backend.h"
#include "model/vhost.h"

#include <stdlib.h>
#include <string.h>

static void put_string(json_t *obj, const char *key, const char *value)
{
  if (value)
    json_object_set_new(obj, key, json_string(value));
}

static void put_bool(json_t *obj, const char *key, vsc_tristate value)
{
  if (value != VSC_TRI_ABSENT)
    json_object_set_new(obj, key, json_boolean(value == VSC_TRI_YES));
}

static void put_enum(json_t *obj, const char *key, const char *value)
{
  if (value && *value)
    json_object_set_new(obj, key, json_string(value));
}

/* Services that are plain port numbers are written as integers: only the
 * canonical form ("0", "2222"; not " 0", "+5" or "007"), which the reader
 * turns back into the same text. */
static void put_service(json_t *obj, const char *key, const char *service)
{
  size_t len;
  long port;
  if (!service)
    return;
  len = strspn(service, "0123456789");
  port = len > 0 && len <= 5 && !service[len] ? strtol(service, NULL, 10) : -1;
  if (port >= 0 && port <= 65535 && (service[0] != '0' || len == 1))
    json_object_set_new(obj, key, json_integer(port));
  else
    json_object_set_new(obj, key, json_string(service));
}

static void format_address(json_t *o, const vsc_address *addr)
{
  if (!addr->type)
    return;
  json_t *a = json_object();
  put_string(a, "type", addr->type);
  for (size_t i = 0; i < addr->nattrs; i++)
    put_string(a, addr->attrs[i].key, addr->attrs[i].value);
  json_object_set_new(o, "address", a);
}

static json_t *format_seclabels(const vsc_source *src)
{
  json_t *arr = json_array();
  for (size_t i = 0; i < src->nseclabels; i++) {
    json_t *s = json_object();
    put_string(s, "model", src->seclabels[i].model);
    put_bool(s, "relabel", src->seclabels[i].relabel);
    put_string(s, "label", src->seclabels[i].label);
    json_array_append_new(arr, s);
  }
  return arr;
}

/* One field of a source, as its descriptor says: the mirror of
 * read_source_field in parse.c. */
static void format_source_field(json_t *o, const vsc_source_field *f, const vsc_source *src)
{
  switch (f->type) {
  case VSC_FIELD_STRING:
    put_string(o, f->name, vsc_source_field_string(src, f));
    break;
  case VSC_FIELD_SERVICE:
    put_service(o, f->name, vsc_source_field_string(src, f));
    break;
  case VSC_FIELD_ENUM:
    put_enum(o, f->name, vsc_enum_to_string(f->values, f->nvalues, vsc_source_field_int(src, f)));
    break;
  case VSC_FIELD_TRISTATE:
    put_bool(o, f->name, (vsc_tristate)vsc_source_field_int(src, f));
    break;
  case VSC_FIELD_UINT:
    if (vsc_source_field_given(src, f))
      json_object_set_new(o, f->name, json_integer(*(const unsigned int *)vsc_source_field_cptr(src, f)));
    break;
  case VSC_FIELD_SECLABELS:
    if (src->nseclabels)
      json_object_set_new(o, f->name, format_seclabels(src));
    break;
  }
}

static json_t *format_source(const vsc_source *src)
{
  json_t *o = json_object();

  for (size_t i = 0; i < VSC_SF_LAST;) {
    const vsc_source_field *f = &vsc_source_fields[i];
    size_t n = f->element ? vsc_source_element_span(f) : 1;
    if (!f->element || f->type == VSC_FIELD_SECLABELS) {
      format_source_field(o, f, src);
    } else if (vsc_source_element_given(src, f)) {
      json_t *sub = json_object();
      for (size_t j = 0; j < n; j++)
        format_source_field(sub, &f[j], src);
      json_object_set_new(o, f->element, sub);
    }
    i += n;
  }
  return o;
}

json_t *vsc_spec_format_chardev(const vsc_chardev *dev)
{
  json_t *o = json_object();

  if (dev->has_backend)
    put_enum(o, "type", vsc_backend_to_string(dev->backend));
  if (dev->nsources == 1) {
    json_object_set_new(o, "source", format_source(&dev->sources[0]));
  } else if (dev->nsources > 1) {
    json_t *arr = json_array();
    for (size_t i = 0; i < dev->nsources; i++)
      json_array_append_new(arr, format_source(&dev->sources[i]));
    json_object_set_new(o, "source", arr);
  }
  if (dev->has_target) {
    json_t *t = json_object();
    put_enum(t, "type", vsc_target_type_to_string(dev->target.type));
    put_string(t, "name", dev->target.name);
    put_string(t, "address", dev->target.address);
    if (dev->target.has_port)
      json_object_set_new(t, "port", json_integer(dev->target.port));
    put_enum(t, "model", vsc_serial_model_to_string(dev->target.model));
    json_object_set_new(o, "target", t);
  }
  put_enum(o, "protocol", vsc_protocol_to_string(dev->protocol));
  if (dev->log_file) {
    json_t *l = json_object();
    put_string(l, "file", dev->log_file);
    put_bool(l, "append", dev->log_append);
    json_object_set_new(o, "log", l);
  }
  put_bool(o, "monitor", dev->monitor);
  put_string(o, "alias", dev->alias);
  format_address(o, &dev->address);
  if (dev->has_acpi_index) {
    json_t *a = json_object();
    json_object_set_new(a, "index", json_integer(dev->acpi_index));
    json_object_set_new(o, "acpi", a);
  }
  return o;
}

/* One field of a vhost-user device at its spec path: the mirror of
 * read_vhost_value in parse.c. */
static void format_vhost_value(json_t *o, const vsc_vhost_field *f, const char *value)
{
  const char *key = f->spec;
  for (const char *slash; (slash = strchr(key, '/')); key = slash + 1) {
    VSC_AUTOFREE(char) part = vsc_strndup(key, (size_t)(slash - key));
    json_t *sub = json_object_get(o, part);
    if (!sub) {
      sub = json_object();
      json_object_set_new(o, part, sub);
    }
    o = sub;
  }
  switch (f->type) {
  case VSC_VFT_STRING:
  case VSC_VFT_ENUM:
    json_object_set_new(o, key, json_string(value));
    break;
  case VSC_VFT_UINT:
    json_object_set_new(o, key, json_integer(strtoll(value, NULL, 10)));
    break;
  case VSC_VFT_ONOFF:
  case VSC_VFT_YESNO:
    json_object_set_new(o, key, json_boolean(vsc_vhost_bool(f, value) == 1));
    break;
  }
}

json_t *vsc_spec_format_vhost(const vsc_vhost *dev)
{
  json_t *o = json_object();
  if (VSC_VHOST_BIT(dev->kind) & VSC_VHOST_QEMU_ONLY)
    put_string(o, "device", dev->kind == VSC_VHOST_OTHER ? dev->qemu_driver : vsc_vhost_kind_to_string(dev->kind));
  for (size_t i = 0; i < VSC_VF_LAST; i++)
    if (dev->values[i])
      format_vhost_value(o, &vsc_vhost_fields[i], dev->values[i]);
  format_address(o, &dev->address);
  if (dev->nproperties) {
    json_t *p = json_object();
    for (size_t i = 0; i < dev->nproperties; i++)
      put_string(p, dev->properties[i].key, dev->properties[i].value);
    json_object_set_new(o, "properties", p);
  }
  return o;
}

static json_t *format_memory_backing(const vsc_memory_backing *m)
{
  json_t *o = json_object();
  if (m->source_type) {
    json_t *src = json_object();
    put_string(src, "type", m->source_type);
    json_object_set_new(o, "source", src);
  }
  if (m->access_mode) {
    json_t *acc = json_object();
    put_string(acc, "mode", m->access_mode);
    json_object_set_new(o, "access", acc);
  }
  if (m->hugepages)
    json_object_set_new(o, "hugepages", json_object());
  return o;
}

json_t *vsc_spec_format(const vsc_devset *set)
{
  json_t *root = json_object();

  json_object_set_new(root, "version", json_integer(VSC_SPEC_VERSION));
  for (int kind = 0; kind < VSC_KIND_LAST; kind++) {
    json_t *arr = NULL;
    for (size_t i = 0; i < set->ndevs; i++) {
      if (set->devs[i]->kind != (vsc_kind)kind)
        continue;
      if (!arr)
        arr = json_array();
      json_array_append_new(arr, vsc_spec_format_chardev(set->devs[i]));
    }
    if (arr)
      json_object_set_new(root, vsc_spec_kind_key((vsc_kind)kind), arr);
  }
  if (set->controller.present) {
    json_t *c = json_object();
    if (set->controller.has_index)
      json_object_set_new(c, "index", json_integer(set->controller.index));
    if (set->controller.has_ports)
      json_object_set_new(c, "ports", json_integer(set->controller.ports));
    if (set->controller.has_vectors)
      json_object_set_new(c, "vectors", json_integer(set->controller.vectors));
    json_object_set_new(root, "controller", c);
  }
  for (size_t i = 0; i < set->nvhosts; i++) {
    const char *key = vsc_vhost_info_of(set->vhosts[i]->kind)->spec_key;
    json_t *arr = json_object_get(root, key);
    if (!arr) {
      arr = json_array();
      json_object_set_new(root, key, arr);
    }
    json_array_append_new(arr, vsc_spec_format_vhost(set->vhosts[i]));
  }
  if (set->memory.present)
    json_object_set_new(root, "memoryBacking", format_memory_backing(&set->memory));
  return root;
}
