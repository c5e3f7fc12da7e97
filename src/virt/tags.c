/* Tags: names vschan keeps in a domain's <metadata> (apply --tag) so that
 * a fleet can select domains by what they are rather than by name:
 *   <metadata><vschan:tags xmlns:vschan="...tags/1"><tag>monitoring</tag>...
 * In a namespace of their own: detach.c clears vschan's other namespace
 * in the live definition to make libvirt save its status. */
#include "virt-priv.h"
#include "xml/xml.h"

#include <libvirt/virterror.h>
#include <string.h>

/* libvirt's answer when the domain has no element in the namespace. */
static bool no_metadata(void)
{
  return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN_METADATA;
}

/* The tags of one definition (flags: VIR_DOMAIN_AFFECT_CONFIG or LIVE). */
static int read_tags(vsc_virt_domain *d, unsigned int flags, char ***tags, size_t *n,
                     vsc_diags *diags)
{
  VSC_AUTOFREE(char) text = VIRT_CALL(virDomainGetMetadata(d->dom, VIR_DOMAIN_METADATA_ELEMENT,
                                                           VSC_VIRT_TAGS_NS, flags));
  *tags = NULL;
  *n = 0;
  if (!text) {
    if (no_metadata()) {
      virResetLastError();
      return 0;
    }
    VSC_AUTOFREE(char) what = vsc_asprintf("cannot read the tags of domain '%s'", d->name);
    vsc_virt_error(diags, NULL, what);
    return -1;
  }
  VSC_AUTOFREE(char) label = vsc_asprintf("the tags of domain '%s'", d->name);
  xmlDocPtr doc = vsc_xml_read(text, strlen(text), label, diags);
  if (!doc)
    return -1;
  for (xmlNodePtr c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
    if (!vsc_xml_is_element(c, "tag"))
      continue;
    xmlChar *content = xmlNodeGetContent(c);
    if (content && *content)
      *(char **)vsc_append(tags, n, sizeof(char *)) = vsc_strdup((const char *)content);
    xmlFree(content);
  }
  xmlFreeDoc(doc);
  return 0;
}

static unsigned int tag_source(const vsc_virt_domain *d)
{
  return d->persistent ? VIR_DOMAIN_AFFECT_CONFIG : VIR_DOMAIN_AFFECT_LIVE;
}

int vsc_virt_domain_tags(vsc_virt_domain *d, char ***tags, size_t *n, vsc_diags *diags)
{
  return read_tags(d, tag_source(d), tags, n, diags);
}

void vsc_virt_tags_free(char **tags, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(tags[i]);
  free(tags);
}

static bool has_tag(char **tags, size_t n, const char *tag)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(tags[i], tag) == 0)
      return true;
  return false;
}

/* Add tag to one definition, keeping the others there. */
static int add_to(vsc_virt_domain *d, unsigned int flags, const char *tag, bool *added,
                  vsc_diags *diags)
{
  char **tags;
  size_t n;
  if (read_tags(d, flags, &tags, &n, diags) < 0)
    return -1;
  int rc = 0;
  if (!has_tag(tags, n, tag)) {
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewDocNode(doc, NULL, BAD_CAST "tags", NULL);
    xmlDocSetRootElement(doc, root);
    for (size_t i = 0; i < n; i++)
      xmlNewTextChild(root, NULL, BAD_CAST "tag", BAD_CAST tags[i]);
    xmlNewTextChild(root, NULL, BAD_CAST "tag", BAD_CAST tag);
    VSC_AUTOFREE(char) xml = vsc_xml_node_to_string(doc, root);
    xmlFreeDoc(doc);
    if (VIRT_CALL(virDomainSetMetadata(d->dom, VIR_DOMAIN_METADATA_ELEMENT, xml, "vschan",
                                       VSC_VIRT_TAGS_NS, flags)) < 0) {
      VSC_AUTOFREE(char) what = vsc_asprintf("cannot tag domain '%s'", d->name);
      vsc_virt_error(diags, NULL, what);
      rc = -1;
    } else {
      *added = true;
    }
  }
  vsc_virt_tags_free(tags, n);
  return rc;
}

/* Whether one definition lacks tag. */
static int lacks_in(vsc_virt_domain *d, unsigned int flags, const char *tag, bool *lacks, vsc_diags *diags)
{
  char **tags;
  size_t n;
  if (read_tags(d, flags, &tags, &n, diags) < 0)
    return -1;
  *lacks |= !has_tag(tags, n, tag);
  vsc_virt_tags_free(tags, n);
  return 0;
}

int vsc_virt_domain_lacks_tag(vsc_virt_domain *d, const char *tag, bool *lacks, vsc_diags *diags)
{
  *lacks = false;
  if (d->persistent && lacks_in(d, VIR_DOMAIN_AFFECT_CONFIG, tag, lacks, diags) < 0)
    return -1;
  if (d->running && lacks_in(d, VIR_DOMAIN_AFFECT_LIVE, tag, lacks, diags) < 0)
    return -1;
  return 0;
}

int vsc_virt_domain_add_tag(vsc_virt_domain *d, const char *tag, bool *added, vsc_diags *diags)
{
  *added = false;
  if (d->persistent && add_to(d, VIR_DOMAIN_AFFECT_CONFIG, tag, added, diags) < 0)
    return -1;
  if (d->running && add_to(d, VIR_DOMAIN_AFFECT_LIVE, tag, added, diags) < 0)
    return -1;
  return 0;
}
