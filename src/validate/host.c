/* The host's capabilities, as `virsh capabilities` prints them: which
 * domain types libvirt offers for which guest architectures (--host). */
#include "validate.h"

#include "util/mem.h"
#include "xml/xml.h"

#include <string.h>

/* A <machine>: its name (an alias such as pc when it has canonical=). */
static void add_machine(vsc_host_guest *g, xmlNodePtr m)
{
  xmlChar *name = xmlNodeGetContent(m);
  if (name && *name)
    *(char **)vsc_append(&g->machines, &g->nmachines, sizeof(char *)) = vsc_strdup((const char *)name);
  xmlFree(name);
}

static void add_guest(vsc_host_caps *caps, xmlNodePtr arch)
{
  VSC_AUTOFREE(char) name = vsc_xml_attr(arch, "name");
  vsc_host_guest *g = NULL;
  if (!name)
    return;
  /* one entry per arch, whatever the number of <guest> elements */
  for (size_t i = 0; i < caps->nguests && !g; i++)
    if (strcmp(caps->guests[i].arch, name) == 0)
      g = &caps->guests[i];
  if (!g) {
    g = vsc_append(&caps->guests, &caps->nguests, sizeof(*g));
    memset(g, 0, sizeof(*g));
    g->arch = vsc_steal(&name);
  }
  for (xmlNodePtr d = arch->children; d; d = d->next) {
    if (vsc_xml_is_element(d, "machine"))
      add_machine(g, d);
    if (!vsc_xml_is_element(d, "domain"))
      continue;
    char *type = vsc_xml_attr(d, "type");
    if (type)
      *(char **)vsc_append(&g->virt_types, &g->nvirt_types, sizeof(char *)) = type;
    /* a domain type may add machines of its own */
    for (xmlNodePtr m = d->children; m; m = m->next)
      if (vsc_xml_is_element(m, "machine"))
        add_machine(g, m);
  }
}

int vsc_host_caps_load(const char *path, vsc_host_caps *caps, vsc_diags *diags)
{
  xmlDocPtr doc = vsc_xml_read_file(path, diags);
  memset(caps, 0, sizeof(*caps));
  if (!doc)
    return -1;
  xmlNodePtr root = xmlDocGetRootElement(doc);
  if (!vsc_xml_is_element(root, "capabilities")) {
    vsc_loc loc = { .file = path, .line = (int)xmlGetLineNo(root) };
    vsc_error(diags, &loc, "input-kind", "give the output of 'virsh capabilities' on the host",
              "<%s> is not a host's capabilities", (const char *)root->name);
    xmlFreeDoc(doc);
    return -1;
  }
  for (xmlNodePtr g = root->children; g; g = g->next) {
    if (!vsc_xml_is_element(g, "guest"))
      continue;
    xmlNodePtr os = vsc_xml_child(g, "os_type");
    xmlChar *os_type = os ? xmlNodeGetContent(os) : NULL;
    bool hvm = os_type && strcmp((const char *)os_type, "hvm") == 0;
    xmlFree(os_type);
    xmlNodePtr arch = vsc_xml_child(g, "arch");
    if (hvm && arch)
      add_guest(caps, arch);
  }
  xmlFreeDoc(doc);
  return 0;
}
