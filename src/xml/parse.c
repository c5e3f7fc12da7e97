/* libvirt XML → device model.  Mirrors format.c element for element and
 * enforces the structure libvirt's parser enforces
 * (virDomainChrDefParseXML, virDomainChrSourceDefParseXML). */
#include "xml.h"
#include "model/backend.h"
#include "model/vhost.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *file;
  vsc_diags *diags;
  int errors;
} reader;

static void __attribute__((format(printf, 5, 6)))
fail(reader *r, xmlNodePtr node, const char *rule, const char *hint, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  vsc_loc loc = { .file = r->file, .line = node ? (int)xmlGetLineNo(node) : 0 };

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  vsc_error(r->diags, &loc, rule, hint, "%s", msg);
  r->errors++;
}

bool vsc_xml_is_chardev_name(const char *name, vsc_kind *kind)
{
  int k = vsc_kind_from_string(name);
  if (k < 0)
    return false;
  if (kind)
    *kind = (vsc_kind)k;
  return true;
}

static void read_enum(reader *r, xmlNodePtr node, const char *name,
                      const char *const *table, int n, int *out)
{
  VSC_AUTOFREE(char) v = vsc_xml_attr(node, name);
  if (!v)
    return;
  int e = vsc_enum_from_string(table, n, v);
  if (e < 0)
    fail(r, node, "xml-bad-value", NULL, "unknown %s '%s' on <%s>", name, v, (const char *)node->name);
  else
    *out = e;
}

#define READ_ENUM(r, node, name, ename, last, out) \
  do { int _e = (int)*(out); read_enum((r), (node), (name), ename##_table, (last), &_e); *(out) = _e; } while (0)

/* yes/no or on/off, as the attribute's grammar says. */
static void read_tristate(reader *r, xmlNodePtr node, const char *name, bool onoff, vsc_tristate *out)
{
  VSC_AUTOFREE(char) v = vsc_xml_attr(node, name);
  const char *yes = onoff ? "on" : "yes", *no = onoff ? "off" : "no";
  if (!v)
    return;
  if (strcmp(v, yes) == 0)
    *out = VSC_TRI_YES;
  else if (strcmp(v, no) == 0)
    *out = VSC_TRI_NO;
  else
    fail(r, node, "xml-bad-value", NULL, "%s='%s' on <%s> must be '%s' or '%s'", name, v,
         (const char *)node->name, yes, no);
}

static void read_uint(reader *r, xmlNodePtr node, const char *name, unsigned int *out, bool *has)
{
  VSC_AUTOFREE(char) v = vsc_xml_attr(node, name);
  char *end;
  if (!v)
    return;
  errno = 0;
  unsigned long n = strtoul(v, &end, 10);
  if (!*v || *end || errno || n > UINT_MAX || v[0] == '-') {
    fail(r, node, "xml-bad-value", "use a non-negative integer", "invalid %s '%s' on <%s>", name, v,
         (const char *)node->name);
    return;
  }
  *out = (unsigned int)n;
  *has = true;
}

static void read_seclabel(reader *r, xmlNodePtr node, vsc_source *src)
{
  vsc_seclabel *s = vsc_append(&src->seclabels, &src->nseclabels, sizeof(*s));
  s->model = vsc_xml_attr(node, "model");
  read_tristate(r, node, "relabel", false, &s->relabel);
  /* Only the first <label> counts, as libvirt's string(./label). */
  for (xmlNodePtr l = node->children; l && !s->label; l = l->next) {
    if (vsc_xml_is_element(l, "label")) {
      xmlChar *text = xmlNodeGetContent(l);
      s->label = vsc_strdup((const char *)text);
      xmlFree(text);
    }
  }
}

/* One field of a source from node (<source> or its child element), as its
 * descriptor says: the mirror of format_source_field in format.c. */
static void read_source_field(reader *r, xmlNodePtr node, const vsc_source_field *f, vsc_source *src)
{
  void *p = vsc_source_field_ptr(src, f);
  switch (f->type) {
  case VSC_FIELD_STRING:
  case VSC_FIELD_SERVICE:
    free(*(char **)p);
    *(char **)p = vsc_xml_attr(node, f->name);
    break;
  case VSC_FIELD_ENUM: {
    int e = vsc_source_field_int(src, f);
    read_enum(r, node, f->name, f->values, f->nvalues, &e);
    vsc_source_field_set_int(src, f, e);
    break;
  }
  case VSC_FIELD_TRISTATE:
    read_tristate(r, node, f->name, f->onoff, p);
    break;
  case VSC_FIELD_UINT:
    read_uint(r, node, f->name, p, (bool *)((char *)src + f->given_offset));
    break;
  case VSC_FIELD_SECLABELS:
    read_seclabel(r, node, src);
    break;
  }
}

static void read_source(reader *r, xmlNodePtr node, vsc_source *src)
{
  /* QEMU's own options are no attributes of libvirt's: not read */
  for (size_t i = 0; i < VSC_SF_LAST; i++)
    if (!vsc_source_fields[i].element && !vsc_source_fields[i].qemu_only)
      read_source_field(r, node, &vsc_source_fields[i], src);
  for (xmlNodePtr c = node->children; c; c = c->next) {
    for (size_t i = 0; i < VSC_SF_LAST; i++) {
      const vsc_source_field *f = &vsc_source_fields[i];
      if (!f->element || !vsc_xml_is_element(c, f->element))
        continue;
      size_t n = vsc_source_element_span(f);
      vsc_source_element_set(src, f);
      for (size_t j = 0; j < n; j++)
        read_source_field(r, c, &f[j], src);
      break;
    }
  }
}

static void read_target(reader *r, xmlNodePtr node, vsc_chardev *dev)
{
  dev->has_target = true;
  READ_ENUM(r, node, "type", vsc_target_type, VSC_TARGET_LAST, &dev->target.type);
  dev->target.name = vsc_xml_attr(node, "name");
  dev->target.address = vsc_xml_attr(node, "address");
  /* port='-1' asks libvirt to pick one, as if it were absent. */
  VSC_AUTOFREE(char) port = vsc_xml_attr(node, "port");
  if (!port || strcmp(port, "-1") != 0)
    read_uint(r, node, "port", &dev->target.port, &dev->target.has_port);
  dev->target.state = vsc_xml_attr(node, "state");
  for (xmlNodePtr c = node->children; c; c = c->next)
    if (vsc_xml_is_element(c, "model"))
      READ_ENUM(r, c, "name", vsc_serial_model, VSC_MODEL_LAST, &dev->target.model);
}

static void read_address(xmlNodePtr node, vsc_address *addr)
{
  addr->type = vsc_xml_attr(node, "type");
  if (!addr->type)
    addr->type = vsc_strdup("");
  for (xmlAttrPtr a = node->properties; a; a = a->next) {
    if (strcmp((const char *)a->name, "type") == 0)
      continue;
    xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
    vsc_address_set(addr, (const char *)a->name, v ? (const char *)v : "");
    xmlFree(v);
  }
}

vsc_chardev *vsc_xml_parse_chardev(xmlNodePtr node, const char *file, vsc_diags *diags)
{
  reader r = { .file = file, .diags = diags };
  vsc_kind kind;
  size_t nlog = 0, nprotocol = 0, ntarget = 0, nalias = 0, naddress = 0;

  if (!vsc_xml_is_chardev_name((const char *)node->name, &kind)) {
    fail(&r, node, "xml-structure", NULL, "<%s> is not a character device", (const char *)node->name);
    return NULL;
  }
  VSC_AUTOPTR(vsc_chardev) dev = vsc_chardev_new(kind);
  dev->origin.file = vsc_strdup(file);
  dev->origin.line = (int)xmlGetLineNo(node);

  VSC_AUTOFREE(char) type = vsc_xml_attr(node, "type");
  if (type) {
    int b = vsc_backend_from_string(type);
    /* what only QEMU has is as unknown to libvirt as a typo */
    if (b < 0 || (vsc_backend_info_of((vsc_backend)b)->flags & VSC_BF_NOT_LIBVIRT))
      fail(&r, node, "xml-bad-value",
           b < 0 ? "see vschan-spec(5) for the backends"
                 : "QEMU has it, libvirt does not: write it in a spec for 'vschan qemu-args' or 'vschan qm'",
           "unknown %s type '%s'", vsc_kind_to_string(kind), type);
    else {
      dev->backend = (vsc_backend)b;
      dev->has_backend = true;
    }
  }
  dev->tty = vsc_xml_attr(node, "tty");

  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE)
      continue;
    if (vsc_xml_is_element(c, "source")) {
      read_source(&r, c, vsc_chardev_add_source(dev));
    } else if (vsc_xml_is_element(c, "target")) {
      if (ntarget++ == 0)
        read_target(&r, c, dev);
    } else if (vsc_xml_is_element(c, "protocol")) {
      nprotocol++;
      READ_ENUM(&r, c, "type", vsc_protocol, VSC_PROTOCOL_LAST, &dev->protocol);
    } else if (vsc_xml_is_element(c, "log")) {
      if (nlog++ == 0) {   /* more than one is an error below */
        dev->log_file = vsc_xml_attr(c, "file");
        read_tristate(&r, c, "append", true, &dev->log_append);
      }
    } else if (vsc_xml_is_element(c, "alias")) {
      /* libvirt reads the first <alias> and <address> and ignores the rest. */
      if (nalias++ == 0)
        dev->alias = vsc_xml_attr(c, "name");
    } else if (vsc_xml_is_element(c, "address")) {
      if (naddress++ == 0)
        read_address(c, &dev->address);
    } else if (vsc_xml_is_element(c, "acpi")) {
      read_uint(&r, c, "index", &dev->acpi_index, &dev->has_acpi_index);
    }
  }

  /* The structure virDomainChrSourceDefParseXML insists on. */
  if (dev->nsources > 1 && !((vsc_chardev_backend_info(dev)->flags & VSC_BF_TWO_ENDS) && dev->nsources == 2))
    fail(&r, node, "xml-structure", "keep a single <source>; only udp takes two (bind and connect)",
         "only one <source> element is allowed for a %s of type '%s'", vsc_kind_to_string(kind),
         vsc_backend_to_string(vsc_chardev_backend(dev)));
  if (nlog > 1)
    fail(&r, node, "xml-structure", "keep a single <log>", "only one <log> element is allowed");
  if (nprotocol > 1)
    fail(&r, node, "xml-structure", "keep a single <protocol>", "only one <protocol> element is allowed");
  if (ntarget > 1)
    fail(&r, node, "xml-structure", "keep a single <target>", "only one <target> element is allowed");
  if (r.errors)
    return NULL;
  return vsc_steal(&dev);
}

void vsc_xml_parse_controller(xmlNodePtr node, vsc_controller *c)
{
  reader r = { 0 };
  vsc_diags ignored = { 0 };
  r.diags = &ignored;
  c->present = true;
  read_uint(&r, node, "index", &c->index, &c->has_index);
  read_uint(&r, node, "ports", &c->ports, &c->has_ports);
  read_uint(&r, node, "vectors", &c->vectors, &c->has_vectors);
  vsc_diags_clear(&ignored);
}

/* Which vhost-user kind node is, if it is one (a <filesystem> with the
 * virtiofs driver, an <interface> or <disk> of type vhostuser). */
static bool vhost_kind_of(xmlNodePtr node, vsc_vhost_kind *kind)
{
  if (vsc_xml_is_element(node, "filesystem"))
    *kind = VSC_VHOST_FS;
  else if (vsc_xml_is_element(node, "interface") && vsc_xml_attr_is(node, "type", "vhostuser"))
    *kind = VSC_VHOST_NET;
  else if (vsc_xml_is_element(node, "disk") && vsc_xml_attr_is(node, "type", "vhostuser"))
    *kind = VSC_VHOST_BLK;
  else
    return false;
  return *kind != VSC_VHOST_FS || vsc_xml_attr_is(vsc_xml_child(node, "driver"), "type", "virtiofs");
}

bool vsc_xml_is_vhost(xmlNodePtr node)
{
  vsc_vhost_kind kind;
  return vhost_kind_of(node, &kind);
}

/* The element at path ("binary/cache") below node, or NULL. */
static xmlNodePtr element_at(xmlNodePtr node, const char *path)
{
  while (node && path && *path) {
    size_t len = strcspn(path, "/");
    VSC_AUTOFREE(char) name = vsc_strndup(path, len);
    node = vsc_xml_child(node, name);
    path += len + (path[len] == '/');
  }
  return node;
}

vsc_vhost *vsc_xml_parse_vhost(xmlNodePtr node, const char *file, vsc_diags *diags)
{
  reader r = { .file = file, .diags = diags };
  vsc_vhost_kind kind;
  if (!vhost_kind_of(node, &kind)) {
    fail(&r, node, "xml-structure", NULL, "<%s> is not a vhost-user device", (const char *)node->name);
    return NULL;
  }
  vsc_vhost *dev = vsc_vhost_new(kind);
  dev->origin.file = vsc_strdup(file);
  dev->origin.line = (int)xmlGetLineNo(node);
  /* Each value in the form the spec reader wants too (the table's), so
   * that the rules see the same model from either input. */
  for (size_t i = 0; i < VSC_VF_LAST; i++) {
    const vsc_vhost_field *f = &vsc_vhost_fields[i];
    if (!vsc_vhost_takes(kind, (vsc_vhost_field_id)i))
      continue;
    xmlNodePtr at = f->element ? element_at(node, f->element) : node;
    char *value = at ? vsc_xml_attr(at, f->attr) : NULL;
    if (value) {
      char why[512];
      VSC_AUTOFREE(char) label = vsc_asprintf("<%s> %s", (const char *)at->name, f->attr);
      if (vsc_vhost_value_problem(kind, (vsc_vhost_field_id)i, label, value, why, sizeof(why)))
        fail(&r, at, "xml-bad-value", NULL, "%s", why);
    }
    dev->values[i] = value;
  }
  xmlNodePtr addr = vsc_xml_child(node, "address");
  if (addr)
    read_address(addr, &dev->address);
  if (r.errors)
    vsc_vhost_free(dev);
  return r.errors ? NULL : dev;
}

void vsc_xml_parse_memory_backing(xmlNodePtr node, const char *file, vsc_memory_backing *m)
{
  m->present = true;
  m->source_type = vsc_xml_attr(vsc_xml_child(node, "source"), "type");
  m->access_mode = vsc_xml_attr(vsc_xml_child(node, "access"), "mode");
  m->hugepages = vsc_xml_child(node, "hugepages") != NULL;
  m->origin.file = vsc_strdup(file);
  m->origin.line = (int)xmlGetLineNo(node);
}
