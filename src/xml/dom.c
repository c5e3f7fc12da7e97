/* The few DOM questions every reader asks, answered one way: element
 * names compare without namespace, attributes are read without one. */
#include "xml.h"
#include "util/mem.h"

#include <string.h>

bool vsc_xml_is_element(xmlNodePtr n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr vsc_xml_child(xmlNodePtr parent, const char *name)
{
  for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
    if (vsc_xml_is_element(c, name))
      return c;
  return NULL;
}

char *vsc_xml_attr(xmlNodePtr node, const char *name)
{
  xmlChar *v = xmlGetNoNsProp(node, BAD_CAST name);
  char *copy = v ? vsc_strdup((const char *)v) : NULL;
  xmlFree(v);
  return copy;
}

bool vsc_xml_attr_is(xmlNodePtr node, const char *name, const char *value)
{
  xmlChar *v = xmlGetNoNsProp(node, BAD_CAST name);
  bool eq = v && strcmp((const char *)v, value) == 0;
  xmlFree(v);
  return eq;
}
