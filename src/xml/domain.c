/* Reading XML safely, collecting devices from a document, and merging a
 * device set into a domain. */
#include "xml.h"
#include "model/vhost.h"
#include "util/file.h"

#include <libxml/parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libxml2 reports some errors (the encoding of a document that starts
 * with NUL bytes is taken for UCS-4) to no parser context, only to the
 * generic handler, which prints on stderr: the parse result says enough. */
static void ignore_generic_error(void *ctx, const char *msg, ...)
{
  (void)ctx;
  (void)msg;
}

/* libxml2's message, unless it speaks of libxml2 itself (its options) or
 * hides what the document did: then the document's terms. */
static const char *syntax_message(const xmlError *err, char *buf, size_t size, const char **hint)
{
  *hint = "fix the XML at that place";
  switch (err->code) {
  case XML_ERR_ENTITY_LOOP:
  case XML_ERR_ENTITY_BOUNDARY:
  case XML_ERR_UNDECLARED_ENTITY:
  case XML_WAR_UNDECLARED_ENTITY:
    *hint = "remove the <!DOCTYPE> declaration and the entity references";
    return "the document uses entities (an entity that expands into itself or into "
           "millions of characters is an attack), which domain XML never does";
  case XML_ERR_INTERNAL_ERROR:
    /* In libxml2 2.9 the nesting limit is reported as an internal error,
     * and only its text tells it from the others. */
    if (err->message && strstr(err->message, "depth"))
      return "the document nests elements more than 256 levels deep; a domain is a few "
             "levels deep";
    break;
  default:
    break;
  }
  if (!err->message)
    return "not well-formed XML";
  snprintf(buf, size, "%s", err->message);
  size_t n = strlen(buf);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  return buf;
}

xmlDocPtr vsc_xml_read(const char *text, size_t len, const char *file, vsc_diags *diags)
{
  vsc_loc loc = { .file = file };
  xmlParserCtxtPtr ctxt;
  xmlDocPtr doc;

  if (len > VSC_XML_MAX_SIZE) {
    vsc_error(diags, &loc, "xml-syntax", "split the document",
              "document is larger than %d bytes", VSC_XML_MAX_SIZE);
    return NULL;
  }
  if (len > INT_MAX) {
    vsc_error(diags, &loc, "xml-syntax", NULL, "document is too large");
    return NULL;
  }
  ctxt = xmlNewParserCtxt();
  /* No network, no external DTD or entities, no entity substitution; the
   * error goes to diags rather than stderr. */
  xmlGenericErrorFunc generic = xmlGenericError;   /* this thread's */
  void *generic_ctx = xmlGenericErrorContext;
  xmlSetGenericErrorFunc(NULL, ignore_generic_error);
  doc = xmlCtxtReadMemory(ctxt, text, (int)len, file, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
  xmlSetGenericErrorFunc(generic_ctx, generic);
  if (!doc) {
    const xmlError *err = xmlCtxtGetLastError(ctxt);
    if (err) {
      char buf[512];
      const char *hint;
      const char *msg = syntax_message(err, buf, sizeof(buf), &hint);
      loc.line = err->line;
      loc.column = err->int2;
      vsc_error(diags, &loc, "xml-syntax", hint, "%s", msg);
    } else {
      vsc_error(diags, &loc, "xml-syntax", "fix the XML at that place", "not well-formed XML");
    }
    xmlFreeParserCtxt(ctxt);
    return NULL;
  }
  xmlFreeParserCtxt(ctxt);
  /* libvirt documents never carry a DTD; one here can only be an entity
   * expansion or external-entity attempt. */
  if (doc->intSubset || doc->extSubset) {
    loc.line = doc->intSubset ? (int)xmlGetLineNo((xmlNodePtr)doc->intSubset) : 0;
    vsc_error(diags, &loc, "xml-doctype", "remove the <!DOCTYPE> declaration",
              "DOCTYPE and entity declarations are not allowed in domain XML");
    xmlFreeDoc(doc);
    return NULL;
  }
  if (!xmlDocGetRootElement(doc)) {
    vsc_error(diags, &loc, "xml-syntax", NULL, "document has no root element");
    xmlFreeDoc(doc);
    return NULL;
  }
  return doc;
}

xmlDocPtr vsc_xml_read_file(const char *path, vsc_diags *diags)
{
  size_t len;
  VSC_AUTOFREE(char) text = vsc_file_read(path, VSC_XML_MAX_SIZE, &len, diags);
  if (!text)
    return NULL;
  return vsc_xml_read(text, len, strcmp(path, "-") == 0 ? "<stdin>" : path, diags);
}

int vsc_xml_collect_element(xmlNodePtr node, const char *file, vsc_devset *set, vsc_diags *diags)
{
  if (node->type != XML_ELEMENT_NODE)
    return 0;
  if (vsc_xml_is_chardev_name((const char *)node->name, NULL)) {
    vsc_chardev *dev = vsc_xml_parse_chardev(node, file, diags);
    if (!dev)
      return -1;
    vsc_devset_add(set, dev);
  } else if (vsc_xml_is_vhost(node)) {
    vsc_vhost *dev = vsc_xml_parse_vhost(node, file, diags);
    if (!dev)
      return -1;
    vsc_devset_add_vhost(set, dev);
  } else if (vsc_xml_is_element(node, "controller") && vsc_xml_attr_is(node, "type", "virtio-serial") &&
             !set->controller.present) {
    vsc_xml_parse_controller(node, &set->controller);
  }
  return 0;
}

int vsc_xml_collect(xmlNodePtr node, const char *file, vsc_devset *set, vsc_diags *diags)
{
  int rc = 0;

  if (vsc_xml_is_element(node, "domain")) {
    xmlNodePtr mb = vsc_xml_child(node, "memoryBacking");
    if (mb && !set->memory.present)
      vsc_xml_parse_memory_backing(mb, file, &set->memory);
    node = vsc_xml_child(node, "devices");
  }
  if (!node)
    return 0;
  if (vsc_xml_is_chardev_name((const char *)node->name, NULL))
    return vsc_xml_collect_element(node, file, set, diags);
  for (xmlNodePtr c = node->children; c; c = c->next)
    if (vsc_xml_collect_element(c, file, set, diags) < 0)
      rc = -1;
  return rc;
}

void vsc_xml_domain_info(xmlNodePtr domain, vsc_domain_info *info)
{
  xmlNodePtr devices = vsc_xml_child(domain, "devices");
  xmlNodePtr os = vsc_xml_child(domain, "os");
  xmlNodePtr type = vsc_xml_child(os, "type");
  bool usb_none = false;

  memset(info, 0, sizeof(*info));
  info->known = true;
  info->host_spice_tls = -1;
  if (type) {
    info->arch = vsc_xml_attr(type, "arch");
    info->machine = vsc_xml_attr(type, "machine");
  }
  info->virt_type = vsc_xml_attr(domain, "type");
  info->domain_line = (int)xmlGetLineNo(domain);
  for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next) {
    if (vsc_xml_is_element(c, "graphics") && vsc_xml_attr_is(c, "type", "spice")) {
      VSC_AUTOFREE(char) tls_port = vsc_xml_attr(c, "tlsPort");
      VSC_AUTOFREE(char) port = vsc_xml_attr(c, "port");
      long tls = tls_port ? strtol(tls_port, NULL, 10) : 0;
      /* libvirt's define forgets the ports of autoport (or of the old
       * port='-1' tlsPort='-1'), and checks a TLS port only where spice
       * listens on an address or network (not a socket, not none) */
      bool autoport = vsc_xml_attr_is(c, "autoport", "yes") ||
                      (port && strcmp(port, "-1") == 0 && tls == -1);
      xmlNodePtr listen = vsc_xml_child(c, "listen");
      bool on_address = !listen || vsc_xml_attr_is(listen, "type", "address") ||
                        vsc_xml_attr_is(listen, "type", "network");
      bool secure = vsc_xml_attr_is(c, "defaultMode", "secure");
      for (xmlNodePtr ch = c->children; ch; ch = ch->next)
        secure |= vsc_xml_is_element(ch, "channel") && vsc_xml_attr_is(ch, "mode", "secure");
      info->has_spice_graphics = true;
      info->spice_graphics_line = (int)xmlGetLineNo(c);
      info->spice_tls_port |= tls > 0 && !autoport && on_address;
      /* at start, autoport allocates a TLS port for secure channels */
      info->spice_secure |= autoport && secure;
    }
    if (vsc_xml_is_element(c, "controller") && vsc_xml_attr_is(c, "type", "virtio-serial")) {
      vsc_controller ctl = { 0 };
      vsc_xml_parse_controller(c, &ctl);
      if (ctl.index < VSC_N_ELEMENTS(info->ports))
        info->ports[ctl.index] = ctl.has_ports ? ctl.ports : 0;
      info->nvirtio_serial++;
    }
    if (vsc_xml_is_element(c, "controller") && vsc_xml_attr_is(c, "type", "usb") && vsc_xml_attr_is(c, "model", "none"))
      usb_none = true;
  }
  /* libvirt adds a USB controller to x86 machines unless told model='none'. */
  info->has_usb = !usb_none;

  xmlNodePtr mb = vsc_xml_child(domain, "memoryBacking");
  if (mb)
    vsc_xml_parse_memory_backing(mb, NULL, &info->memory);
  xmlNodePtr numa = vsc_xml_child(vsc_xml_child(domain, "cpu"), "numa");
  for (xmlNodePtr c = numa ? numa->children : NULL; c; c = c->next) {
    if (!vsc_xml_is_element(c, "cell"))
      continue;
    info->numa_cells++;
    info->numa_shared += vsc_xml_attr_is(c, "memAccess", "shared");
    info->numa_private += vsc_xml_attr_is(c, "memAccess", "private");
  }
}

/* libvirt's order of device elements, as far as it matters for placing
 * ours next to their kind. */
static const char *const device_order[] = {
  "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard",
  "serial", "parallel", "console", "channel",
};

static int order_of(const char *name)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(device_order); i++)
    if (strcmp(device_order[i], name) == 0)
      return (int)i;
  return -1;
}

/* The whitespace that precedes child elements of parent, to indent what we
 * insert like its siblings.  Caller frees. */
static char *child_indent(xmlNodePtr parent)
{
  for (xmlNodePtr c = parent->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE && c->next && c->next->type == XML_ELEMENT_NODE) {
      xmlChar *t = xmlNodeGetContent(c);
      const char *s = (const char *)t;
      const char *nl = s ? strrchr(s, '\n') : NULL;
      char *indent = vsc_strdup(nl ? nl : "\n    ");
      xmlFree(t);
      return indent;
    }
  }
  return vsc_strdup("\n    ");
}

/* libxml2 does not format inside elements that already hold whitespace
 * text, so give a new subtree the indentation of its place: indent is the
 * text that precedes node ("\n    "). */
static void indent_subtree(xmlNodePtr node, const char *indent)
{
  bool has_elements = false;
  VSC_AUTOFREE(char) inner = vsc_asprintf("%s  ", indent);

  for (xmlNodePtr c = node->children; c; c = c->next)
    has_elements |= c->type == XML_ELEMENT_NODE;
  if (!has_elements)
    return;
  for (xmlNodePtr c = node->children; c;) {
    xmlNodePtr next = c->next;
    if (c->type == XML_ELEMENT_NODE) {
      xmlAddPrevSibling(c, xmlNewText(BAD_CAST inner));
      indent_subtree(c, inner);
    }
    c = next;
  }
  xmlAddChild(node, xmlNewText(BAD_CAST indent));
}

#define N_ORDER VSC_N_ELEMENTS(device_order)

/* Where new devices go in <devices>: after the last element of their
 * kind or an earlier one in libvirt's order, else before the first
 * element.  last_le[o] is the last element (in document order) of an
 * order up to o, kept up to date as devices go in, so that placing n
 * devices costs n, not n times the children. */
typedef struct {
  xmlNodePtr devices;
  char *indent;
  xmlNodePtr last_le[N_ORDER];
} placer;

static void placer_scan(placer *pl)
{
  memset(pl->last_le, 0, sizeof(pl->last_le));
  for (xmlNodePtr c = pl->devices->children; c; c = c->next) {
    int q = c->type == XML_ELEMENT_NODE ? order_of((const char *)c->name) : -1;
    for (size_t o = q < 0 ? N_ORDER : (size_t)q; o < N_ORDER; o++)
      pl->last_le[o] = c;
  }
}

static void placer_init(placer *pl, xmlNodePtr devices)
{
  pl->devices = devices;
  pl->indent = child_indent(devices);
  placer_scan(pl);
}

static void placer_clear(placer *pl)
{
  free(pl->indent);
}

static void insert_device(placer *pl, xmlNodePtr node)
{
  int k = order_of((const char *)node->name);
  xmlNodePtr after = k >= 0 ? pl->last_le[k] : NULL, before = pl->devices->children;

  while (before && before->type != XML_ELEMENT_NODE)
    before = before->next;
  indent_subtree(node, pl->indent);
  if (after) {
    xmlNodePtr ws = xmlNewText(BAD_CAST pl->indent);
    xmlAddNextSibling(after, ws);
    xmlAddNextSibling(ws, node);
  } else if (before) {
    xmlNodePtr ws = xmlNewText(BAD_CAST pl->indent);
    xmlAddPrevSibling(before, node);
    xmlAddPrevSibling(before, ws);
  } else {
    /* An empty <devices/>: indent relative to the closing tag. */
    xmlAddChild(pl->devices, xmlNewText(BAD_CAST "\n    "));
    xmlAddChild(pl->devices, node);
    xmlAddChild(pl->devices, xmlNewText(BAD_CAST "\n  "));
  }
  /* node directly follows after (or leads): it is the last of every
   * order from k on whose last was after (or that had none) */
  for (size_t o = k >= 0 ? (size_t)k : N_ORDER; o < N_ORDER; o++)
    if (pl->last_le[o] == after)
      pl->last_le[o] = node;
}

/* Put fresh where old was, indented like its siblings. */
static void replace_device(placer *pl, xmlNodePtr old, xmlNodePtr fresh)
{
  bool same_order = order_of((const char *)old->name) == order_of((const char *)fresh->name);
  indent_subtree(fresh, pl->indent);
  xmlReplaceNode(old, fresh);
  xmlFreeNode(old);
  if (!same_order) {
    placer_scan(pl);  /* an alias matched across kinds: rare */
    return;
  }
  for (size_t o = 0; o < N_ORDER; o++)
    if (pl->last_le[o] == old)
      pl->last_le[o] = fresh;
}

static bool set_needs_virtio_serial(const vsc_devset *set)
{
  for (size_t i = 0; i < set->ndevs; i++)
    if (vsc_chardev_is_virtio_serial(set->devs[i]))
      return true;
  return false;
}

/* The vhost-user devices: each replaces the domain's device of the same
 * identity, or goes in at its kind's place. */
static void merge_vhosts(xmlDocPtr doc, placer *pl, const vsc_devset *set)
{
  vsc_strset ids = { 0 };
  size_t n = 0;
  for (xmlNodePtr c = pl->devices->children; c; c = c->next)
    n++;
  xmlNodePtr *nodes = vsc_calloc(n + set->nvhosts + 1, sizeof(xmlNodePtr));
  n = 0;
  for (xmlNodePtr c = pl->devices->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || !vsc_xml_is_vhost(c))
      continue;
    vsc_diags ignored = { 0 };
    VSC_AUTOPTR(vsc_vhost) existing = vsc_xml_parse_vhost(c, NULL, &ignored);
    vsc_diags_clear(&ignored);
    VSC_AUTOFREE(char) id = existing ? vsc_vhost_identity(existing) : NULL;
    if (id && vsc_strset_add(&ids, id)) {
      vsc_strset_find(&ids, id)->value = n;
      nodes[n++] = c;
    }
  }
  for (size_t i = 0; i < set->nvhosts; i++) {
    xmlNodePtr fresh = vsc_xml_format_vhost(doc, set->vhosts[i]);
    VSC_AUTOFREE(char) id = vsc_vhost_identity(set->vhosts[i]);
    vsc_strset_entry *e = id ? vsc_strset_find(&ids, id) : NULL;
    if (e) {
      replace_device(pl, nodes[e->value], fresh);
      nodes[e->value] = fresh;
    } else {
      insert_device(pl, fresh);
      if (id && vsc_strset_add(&ids, id)) {
        vsc_strset_find(&ids, id)->value = n;
        nodes[n++] = fresh;
      }
    }
  }
  free(nodes);
  vsc_strset_clear(&ids);
}

/* Put child into node where libvirt's order (order, NULL-terminated)
 * places it among node's children, indented like them. */
static void insert_ordered(xmlNodePtr node, xmlNodePtr child, const char *const *order)
{
  VSC_AUTOFREE(char) indent = child_indent(node);
  size_t rank = 0;
  xmlNodePtr last = NULL;
  while (order[rank] && strcmp(order[rank], (const char *)child->name) != 0)
    rank++;
  indent_subtree(child, indent);
  for (xmlNodePtr c = node->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE)
      continue;
    size_t r = 0;
    while (order[r] && strcmp(order[r], (const char *)c->name) != 0)
      r++;
    if (r > rank) {
      xmlAddPrevSibling(c, child);
      xmlAddPrevSibling(c, xmlNewText(BAD_CAST indent));
      return;
    }
    last = c;
  }
  if (last) {
    xmlNodePtr ws = xmlNewText(BAD_CAST indent);
    xmlAddNextSibling(last, ws);
    xmlAddNextSibling(ws, child);
  } else {
    xmlAddChild(node, child);
  }
}

static bool set_has_vhost(const vsc_devset *set)
{
  for (size_t i = 0; i < set->nvhosts; i++)
    if (vsc_vhost_info_of(set->vhosts[i]->kind)->element)
      return true;
  return false;
}

int vsc_xml_merge_memory(xmlDocPtr doc, const vsc_devset *set, bool *added)
{
  static const char *const domain_order[] = { "name", "uuid", "genid", "title", "description", "metadata",
                                              "maxMemory", "memory", "currentMemory", "blkiotune",
                                              "memtune", "memoryBacking", NULL };
  xmlNodePtr domain = xmlDocGetRootElement(doc);
  xmlNodePtr mb = vsc_xml_child(domain, "memoryBacking");
  *added = false;
  if (!vsc_xml_is_element(domain, "domain"))
    return -1;
  if (set->memory.present) {   /* the spec says what it wants */
    xmlNodePtr fresh = vsc_xml_format_memory_backing(doc, &set->memory);
    if (mb) {
      VSC_AUTOFREE(char) indent = child_indent(domain);
      indent_subtree(fresh, indent);
      xmlReplaceNode(mb, fresh);
      xmlFreeNode(mb);
    } else {
      insert_ordered(domain, fresh, domain_order);
    }
    return 0;
  }
  xmlNodePtr numa = vsc_xml_child(vsc_xml_child(domain, "cpu"), "numa");
  /* NUMA cells say per cell; a private access is the user's choice: the
   * rules say what is wrong with either. */
  if (!set_has_vhost(set) || (numa && vsc_xml_child(numa, "cell")))
    return 0;
  if (!mb) {
    vsc_memory_backing shared = { .present = true, .source_type = "memfd", .access_mode = "shared" };
    insert_ordered(domain, vsc_xml_format_memory_backing(doc, &shared), domain_order);
    *added = true;
    return 0;
  }
  /* access shared is what libvirt checks; without a memfd source it
   * backs shared memory with a file of its own, which daemons map too */
  if (vsc_xml_child(mb, "access"))
    return 0;   /* shared already, or private: the user's choice, which the rules judge */
  static const char *const backing_order[] = { "hugepages", "nosharepages", "locked", "source", "access",
                                               "allocation", "discard", NULL };
  xmlNodePtr access = xmlNewDocNode(doc, NULL, BAD_CAST "access", NULL);
  xmlSetProp(access, BAD_CAST "mode", BAD_CAST "shared");
  insert_ordered(mb, access, backing_order);
  *added = true;
  return 0;
}

int vsc_xml_merge_into_domain(xmlDocPtr doc, const vsc_devset *set, vsc_diags *diags)
{
  xmlNodePtr domain = xmlDocGetRootElement(doc);
  xmlNodePtr devices;
  vsc_loc loc = { .file = doc->URL ? (const char *)doc->URL : NULL };

  if (!vsc_xml_is_element(domain, "domain")) {
    vsc_error(diags, &loc, "xml-structure", "give a whole <domain> document to --into",
              "root element is <%s>, not <domain>", domain ? (const char *)domain->name : "");
    return -1;
  }
  devices = vsc_xml_child(domain, "devices");
  if (!devices) {
    devices = xmlNewDocNode(doc, NULL, BAD_CAST "devices", NULL);
    xmlAddChild(domain, xmlNewText(BAD_CAST "  "));
    xmlAddChild(domain, devices);
    xmlAddChild(domain, xmlNewText(BAD_CAST "\n"));
  }

  /* The chardevs of the domain by identity: items are placements, a
   * replaced one dead, so that each device is parsed once. */
  placer pl;
  placer_init(&pl, devices);
  size_t nchildren = 0, nplaced = 0;
  for (xmlNodePtr c = devices->children; c; c = c->next)
    nchildren++;
  xmlNodePtr *placed = vsc_calloc(nchildren + set->ndevs + 1, sizeof(xmlNodePtr));
  bool *dead = vsc_calloc(nchildren + set->ndevs + 1, sizeof(bool));
  vsc_index by_identity = { 0 };
  for (xmlNodePtr c = devices->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || !vsc_xml_is_chardev_name((const char *)c->name, NULL))
      continue;
    vsc_diags ignored = { 0 };
    vsc_chardev *existing = vsc_xml_parse_chardev(c, NULL, &ignored);
    vsc_diags_clear(&ignored);
    if (existing)
      vsc_identity_index_add(&by_identity, existing, nplaced);
    vsc_chardev_free(existing);
    placed[nplaced++] = c;
  }
  for (size_t i = 0; i < set->ndevs; i++) {
    const vsc_chardev *dev = set->devs[i];
    xmlNodePtr fresh = vsc_xml_format_chardev(doc, dev);
    size_t match = vsc_identity_index_first(&by_identity, dev, dead);

    if (match < nplaced) {
      replace_device(&pl, placed[match], fresh);
      dead[match] = true;
    } else {
      insert_device(&pl, fresh);
    }
    vsc_identity_index_add(&by_identity, dev, nplaced);
    placed[nplaced++] = fresh;
  }
  vsc_index_clear(&by_identity);
  free(placed);
  free(dead);
  merge_vhosts(doc, &pl, set);

  /* The controller: update the one with the same index, or add one when
   * the spec asks for it or virtio devices need it. */
  xmlNodePtr ctl_node = NULL;
  unsigned int want_index = set->controller.has_index ? set->controller.index : 0;
  bool any_ctl = false;
  for (xmlNodePtr c = devices->children; c; c = c->next) {
    if (vsc_xml_is_element(c, "controller") && vsc_xml_attr_is(c, "type", "virtio-serial")) {
      vsc_controller ctl = { 0 };
      vsc_xml_parse_controller(c, &ctl);
      any_ctl = true;
      if ((ctl.has_index ? ctl.index : 0) == want_index)
        ctl_node = c;
    }
  }
  if (set->controller.present) {
    xmlNodePtr fresh = vsc_xml_format_controller(doc, &set->controller);
    if (ctl_node) {
      replace_device(&pl, ctl_node, fresh);
    } else {
      insert_device(&pl, fresh);
    }
  } else if (!any_ctl && set_needs_virtio_serial(set)) {
    vsc_controller def = { .present = true, .has_index = true, .index = 0 };
    insert_device(&pl, vsc_xml_format_controller(doc, &def));
  }
  placer_clear(&pl);
  return 0;
}
