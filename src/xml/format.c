/* Device model → libvirt XML.  Mirrors parse.c element for element; the
 * order of elements and attributes is libvirt's own (virDomainChrDefFormat). */
#include "xml.h"
#include "model/backend.h"
#include "model/vhost.h"

#include <libxml/xmlsave.h>
#include <stdio.h>
#include <string.h>

int vsc_xml_check_expressible(const vsc_devset *set, vsc_diags *diags)
{
  int rc = 0;
  for (size_t i = 0; i < set->ndevs; i++) {
    const vsc_chardev *dev = set->devs[i];
    if (!(vsc_chardev_backend_info(dev)->flags & VSC_BF_NOT_LIBVIRT))
      continue;
    VSC_AUTOFREE(char) what = vsc_chardev_describe(dev);
    VSC_AUTOFREE(char) pointer = dev->origin.pointer ? vsc_asprintf("%s/type", dev->origin.pointer) : NULL;
    vsc_loc loc = { .file = dev->origin.file, .line = dev->origin.line, .pointer = pointer };
    vsc_error(diags, &loc, "xml-backend",
              "give it to 'vschan qemu-args' or 'vschan qm', which write QEMU's own options",
              "%s: libvirt's domain XML has no '%s' backend", what,
              vsc_backend_to_string(vsc_chardev_backend(dev)));
    rc = -1;
  }
  /* QEMU's own options of a source (a server that waits, nodelay, a
   * console's size) and its monitor on the device: the XML has no place
   * for them */
  for (size_t i = 0; i < set->ndevs; i++) {
    const vsc_chardev *dev = set->devs[i];
    if (dev->monitor == VSC_TRI_YES) {
      VSC_AUTOFREE(char) what = vsc_chardev_describe(dev);
      VSC_AUTOFREE(char) pointer = dev->origin.pointer ? vsc_asprintf("%s/monitor", dev->origin.pointer) : NULL;
      vsc_loc loc = { .file = dev->origin.file, .line = dev->origin.line, .pointer = pointer };
      vsc_error(diags, &loc, "xml-option", "give it to 'vschan qemu-args' or 'vschan qm', which write QEMU's own options",
                "%s: libvirt's domain XML has no QEMU monitor on a device (QEMU's mon:)", what);
      rc = -1;
    }
    for (size_t s = 0; s < dev->nsources; s++) {
      for (size_t f = 0; f < VSC_SF_LAST; f++) {
        const vsc_source_field *field = &vsc_source_fields[f];
        if (!field->qemu_only || !vsc_source_field_given(&dev->sources[s], field))
          continue;
        VSC_AUTOFREE(char) what = vsc_chardev_describe(dev);
        VSC_AUTOFREE(char) pointer =
          dev->origin.pointer ? vsc_asprintf("%s/source/%s", dev->origin.pointer, field->name) : NULL;
        vsc_loc loc = { .file = dev->origin.file, .line = dev->origin.line, .pointer = pointer };
        vsc_error(diags, &loc, "xml-option", "give it to 'vschan qemu-args' or 'vschan qm', which write QEMU's own options",
                  "%s: libvirt's domain XML has no source '%s' (QEMU's %s= option)", what, field->name,
                  field->name);
        rc = -1;
      }
    }
  }
  for (size_t i = 0; i < set->nvhosts; i++) {
    const vsc_vhost *dev = set->vhosts[i];
    if (vsc_vhost_info_of(dev->kind)->element)
      continue;
    VSC_AUTOFREE(char) what = vsc_vhost_describe(dev);
    VSC_AUTOFREE(char) pointer = dev->origin.pointer ? vsc_asprintf("%s/device", dev->origin.pointer) : NULL;
    vsc_loc loc = { .file = dev->origin.file, .line = dev->origin.line, .pointer = pointer };
    vsc_error(diags, &loc, "xml-device",
              "give it to 'vschan qemu-args' or 'vschan qm', which write QEMU's own options",
              "%s: libvirt 9.0's domain XML has no element for %s", what, vsc_vhost_qemu_device(dev));
    rc = -1;
  }
  return rc;
}

static void set_attr(xmlNodePtr node, const char *name, const char *value)
{
  if (value && *value)
    xmlNewProp(node, BAD_CAST name, BAD_CAST value);
}

static void set_uint(xmlNodePtr node, const char *name, unsigned int value)
{
  char num[16];
  snprintf(num, sizeof(num), "%u", value);
  xmlNewProp(node, BAD_CAST name, BAD_CAST num);
}

static void set_onoff(xmlNodePtr node, const char *name, vsc_tristate v)
{
  if (v != VSC_TRI_ABSENT)
    set_attr(node, name, v == VSC_TRI_YES ? "on" : "off");
}

static void set_yesno(xmlNodePtr node, const char *name, vsc_tristate v)
{
  if (v != VSC_TRI_ABSENT)
    set_attr(node, name, v == VSC_TRI_YES ? "yes" : "no");
}

/* An empty string is not written (set_attr), so it does not count here
 * either: a <source/> with nothing in it would read back as no source. */
static bool given(const char *s)
{
  return s && *s;
}

static bool source_is_empty(const vsc_source *src)
{
  for (size_t i = 0; i < VSC_SF_LAST; i++) {
    const vsc_source_field *f = &vsc_source_fields[i];
    bool string = f->type == VSC_FIELD_STRING || f->type == VSC_FIELD_SERVICE;
    if (f->qemu_only)
      continue;
    if (string ? given(vsc_source_field_string(src, f)) : vsc_source_field_given(src, f))
      return false;
  }
  return !src->has_reconnect;
}

static void format_address(xmlNodePtr parent, const vsc_address *address)
{
  if (!address->type)
    return;
  xmlNodePtr addr = xmlNewChild(parent, NULL, BAD_CAST "address", NULL);
  set_attr(addr, "type", address->type);
  for (size_t i = 0; i < address->nattrs; i++)
    set_attr(addr, address->attrs[i].key, address->attrs[i].value);
}

static void format_seclabel(xmlNodePtr parent, const vsc_seclabel *s)
{
  xmlNodePtr sl = xmlNewChild(parent, NULL, BAD_CAST "seclabel", NULL);
  set_attr(sl, "model", s->model);
  set_yesno(sl, "relabel", s->relabel);
  if (s->label)
    xmlNewTextChild(sl, NULL, BAD_CAST "label", BAD_CAST s->label);
}

/* One field of a source on node, as its descriptor says: the mirror of
 * read_source_field in parse.c. */
static void format_source_field(xmlNodePtr node, const vsc_source_field *f, const vsc_source *src)
{
  switch (f->type) {
  case VSC_FIELD_STRING:
  case VSC_FIELD_SERVICE:
    set_attr(node, f->name, vsc_source_field_string(src, f));
    break;
  case VSC_FIELD_ENUM:
    set_attr(node, f->name, vsc_enum_to_string(f->values, f->nvalues, vsc_source_field_int(src, f)));
    break;
  case VSC_FIELD_TRISTATE:
    (f->onoff ? set_onoff : set_yesno)(node, f->name, (vsc_tristate)vsc_source_field_int(src, f));
    break;
  case VSC_FIELD_UINT:
    if (vsc_source_field_given(src, f))
      set_uint(node, f->name, *(const unsigned int *)vsc_source_field_cptr(src, f));
    break;
  case VSC_FIELD_SECLABELS:
    for (size_t i = 0; i < src->nseclabels; i++)
      format_seclabel(node, &src->seclabels[i]);
    break;
  }
}

static void format_source(xmlNodePtr parent, const vsc_source *src)
{
  xmlNodePtr node = xmlNewChild(parent, NULL, BAD_CAST "source", NULL);

  for (size_t i = 0; i < VSC_SF_LAST; i++)
    if (!vsc_source_fields[i].element && !vsc_source_fields[i].qemu_only)
      format_source_field(node, &vsc_source_fields[i], src);
  for (size_t i = 0; i < VSC_SF_LAST;) {
    const vsc_source_field *f = &vsc_source_fields[i];
    size_t n = f->element ? vsc_source_element_span(f) : 1;
    if (f->type == VSC_FIELD_SECLABELS) {
      format_source_field(node, f, src);
    } else if (f->element && vsc_source_element_given(src, f)) {
      xmlNodePtr child = xmlNewChild(node, NULL, BAD_CAST f->element, NULL);
      for (size_t j = 0; j < n; j++)
        format_source_field(child, &f[j], src);
    }
    i += n;
  }
}

static void format_target(xmlNodePtr parent, const vsc_chardev *dev)
{
  const vsc_target *t = &dev->target;
  xmlNodePtr node = xmlNewChild(parent, NULL, BAD_CAST "target", NULL);

  set_attr(node, "type", vsc_target_type_to_string(t->type));
  set_attr(node, "name", t->name);
  set_attr(node, "address", t->address);
  if (t->has_port)
    set_uint(node, "port", t->port);
  set_attr(node, "state", t->state);
  if (t->model != VSC_MODEL_ABSENT)
    set_attr(xmlNewChild(node, NULL, BAD_CAST "model", NULL), "name",
             vsc_serial_model_to_string(t->model));
}

xmlNodePtr vsc_xml_format_chardev(xmlDocPtr doc, const vsc_chardev *dev)
{
  xmlNodePtr node = xmlNewDocNode(doc, NULL, BAD_CAST vsc_kind_to_string(dev->kind), NULL);

  /* Always written: libvirt's schema requires it although its parser
   * defaults to pty (as virsh dumpxml writes it). */
  set_attr(node, "type", vsc_backend_to_string(vsc_chardev_backend(dev)));
  set_attr(node, "tty", dev->tty);
  for (size_t i = 0; i < dev->nsources; i++)
    if (!source_is_empty(&dev->sources[i]))
      format_source(node, &dev->sources[i]);
  if (dev->protocol != VSC_PROTOCOL_ABSENT)
    set_attr(xmlNewChild(node, NULL, BAD_CAST "protocol", NULL), "type",
             vsc_protocol_to_string(dev->protocol));
  if (given(dev->log_file)) {   /* append= alone means nothing, as in the spec */
    xmlNodePtr log = xmlNewChild(node, NULL, BAD_CAST "log", NULL);
    set_attr(log, "file", dev->log_file);
    set_onoff(log, "append", dev->log_append);
  }
  if (dev->has_target)
    format_target(node, dev);
  if (given(dev->alias))
    set_attr(xmlNewChild(node, NULL, BAD_CAST "alias", NULL), "name", dev->alias);
  if (dev->has_acpi_index)
    set_uint(xmlNewChild(node, NULL, BAD_CAST "acpi", NULL), "index", dev->acpi_index);
  format_address(node, &dev->address);
  return node;
}

/* The element at path (one of elements, the kind's list) below a
 * vhost-user device's node, made with its parents on first use; made[]
 * remembers them by path. */
static xmlNodePtr vhost_element(xmlNodePtr dev_node, const char *const *elements, const char *path,
                                const char **paths, xmlNodePtr *made, size_t *nmade)
{
  for (size_t i = 0; i < *nmade; i++)
    if (paths[i] == path)
      return made[i];
  xmlNodePtr parent = dev_node;
  const char *slash = strrchr(path, '/');
  if (slash) {
    for (const char *const *e = elements; *e; e++)
      if (strlen(*e) == (size_t)(slash - path) && strncmp(*e, path, (size_t)(slash - path)) == 0)
        parent = vhost_element(dev_node, elements, *e, paths, made, nmade);
  }
  xmlNodePtr node = xmlNewChild(parent, NULL, BAD_CAST(slash ? slash + 1 : path), NULL);
  paths[*nmade] = path;
  made[(*nmade)++] = node;
  return node;
}

xmlNodePtr vsc_xml_format_vhost(xmlDocPtr doc, const vsc_vhost *dev)
{
  const vsc_vhost_info *info = vsc_vhost_info_of(dev->kind);
  xmlNodePtr node = xmlNewDocNode(doc, NULL, BAD_CAST info->element, NULL);
  const char *paths[16];
  xmlNodePtr made[16];
  size_t nmade = 0;

  for (size_t i = 0; i < VSC_VF_LAST; i++)
    if (!vsc_vhost_fields[i].element && vsc_vhost_takes(dev->kind, (vsc_vhost_field_id)i))
      set_attr(node, vsc_vhost_fields[i].attr, vsc_vhost_get(dev, (vsc_vhost_field_id)i));
  /* Elements in libvirt's order (a parent before its children). */
  for (const char *const *e = info->elements; *e; e++) {
    for (size_t i = 0; i < VSC_VF_LAST; i++) {
      const vsc_vhost_field *f = &vsc_vhost_fields[i];
      const char *value = vsc_vhost_get(dev, (vsc_vhost_field_id)i);
      if (f->element && strcmp(f->element, *e) == 0 && given(value) && vsc_vhost_takes(dev->kind, (vsc_vhost_field_id)i))
        set_attr(vhost_element(node, info->elements, *e, paths, made, &nmade), f->attr, value);
    }
  }
  format_address(node, &dev->address);
  return node;
}

xmlNodePtr vsc_xml_format_memory_backing(xmlDocPtr doc, const vsc_memory_backing *m)
{
  xmlNodePtr node = xmlNewDocNode(doc, NULL, BAD_CAST "memoryBacking", NULL);
  if (m->hugepages)
    xmlNewChild(node, NULL, BAD_CAST "hugepages", NULL);
  if (m->source_type)
    set_attr(xmlNewChild(node, NULL, BAD_CAST "source", NULL), "type", m->source_type);
  if (m->access_mode)
    set_attr(xmlNewChild(node, NULL, BAD_CAST "access", NULL), "mode", m->access_mode);
  return node;
}

/* The vhost-user devices of kind in set (libvirt's element order puts
 * disks, filesystems and interfaces at different places). */
static void format_vhosts(xmlDocPtr doc, xmlNodePtr devices, const vsc_devset *set, vsc_vhost_kind kind)
{
  for (size_t i = 0; i < set->nvhosts; i++)
    if (set->vhosts[i]->kind == kind)
      xmlAddChild(devices, vsc_xml_format_vhost(doc, set->vhosts[i]));
}

xmlNodePtr vsc_xml_format_controller(xmlDocPtr doc, const vsc_controller *c)
{
  xmlNodePtr node = xmlNewDocNode(doc, NULL, BAD_CAST "controller", NULL);
  set_attr(node, "type", "virtio-serial");
  if (c->has_index)
    set_uint(node, "index", c->index);
  if (c->has_ports)
    set_uint(node, "ports", c->ports);
  if (c->has_vectors)
    set_uint(node, "vectors", c->vectors);
  return node;
}

xmlNodePtr vsc_xml_format_devset(xmlDocPtr doc, const vsc_devset *set)
{
  xmlNodePtr devices = xmlNewDocNode(doc, NULL, BAD_CAST "devices", NULL);

  /* libvirt's order: disks, controllers, filesystems, interfaces, ... */
  format_vhosts(doc, devices, set, VSC_VHOST_BLK);
  if (set->controller.present)
    xmlAddChild(devices, vsc_xml_format_controller(doc, &set->controller));
  format_vhosts(doc, devices, set, VSC_VHOST_FS);
  format_vhosts(doc, devices, set, VSC_VHOST_NET);
  /* libvirt's order: serials, parallels, consoles, channels. */
  static const vsc_kind order[] = { VSC_KIND_SERIAL, VSC_KIND_PARALLEL, VSC_KIND_CONSOLE,
                                    VSC_KIND_CHANNEL };
  for (size_t k = 0; k < VSC_N_ELEMENTS(order); k++)
    for (size_t i = 0; i < set->ndevs; i++)
      if (set->devs[i]->kind == order[k])
        xmlAddChild(devices, vsc_xml_format_chardev(doc, set->devs[i]));
  return devices;
}

char *vsc_xml_node_to_string(xmlDocPtr doc, xmlNodePtr node)
{
  xmlBufferPtr buf = xmlBufferCreate();
  char *out;

  xmlNodeDump(buf, doc, node, 0, 1);
  out = vsc_asprintf("%s\n", (const char *)xmlBufferContent(buf));
  xmlBufferFree(buf);
  return out;
}

char *vsc_xml_doc_to_string(xmlDocPtr doc)
{
  xmlNodePtr root = xmlDocGetRootElement(doc);
  return root ? vsc_xml_node_to_string(doc, root) : vsc_strdup("");
}

/* node was made in doc for this: make it the root, print it, drop both. */
static char *standalone(xmlDocPtr doc, xmlNodePtr node)
{
  xmlDocSetRootElement(doc, node);
  char *text = vsc_xml_node_to_string(doc, node);
  xmlFreeDoc(doc);
  return text;
}

char *vsc_xml_chardev_to_string(const vsc_chardev *dev)
{
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  return standalone(doc, vsc_xml_format_chardev(doc, dev));
}

char *vsc_xml_vhost_to_string(const vsc_vhost *dev)
{
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  return standalone(doc, vsc_xml_format_vhost(doc, dev));
}

char *vsc_xml_controller_to_string(const vsc_controller *c)
{
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  return standalone(doc, vsc_xml_format_controller(doc, c));
}

char *vsc_xml_devset_to_string(const vsc_devset *set)
{
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  return standalone(doc, vsc_xml_format_devset(doc, set));
}
