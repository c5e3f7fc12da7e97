/* libvirt domain XML ↔ device model.  parse.c and format.c mirror each
 * other element for element; domain.c merges devices into a domain. */
#pragma once

#include "model/chardev.h"
#include "model/rules.h"
#include "util/diag.h"

#include <libxml/tree.h>
#include <stdbool.h>

#define VSC_XML_MAX_SIZE (64 * 1024 * 1024)

/* dom.c: whether n (may be NULL) is an element of that name; its first
 * child element of that name; a copy of an attribute (NULL when absent,
 * caller frees); whether an attribute has that value. */
bool vsc_xml_is_element(xmlNodePtr n, const char *name);
xmlNodePtr vsc_xml_child(xmlNodePtr parent, const char *name);
char *vsc_xml_attr(xmlNodePtr node, const char *name);
bool vsc_xml_attr_is(xmlNodePtr node, const char *name, const char *value);

/* Whether an element name is one of ours: channel, console, serial, parallel. */
bool vsc_xml_is_chardev_name(const char *name, vsc_kind *kind);

/* Whether libvirt's domain XML can express every device of set: a
 * backend only QEMU has (msmouse, braille) cannot.  The writers' callers
 * check this first.  Returns -1 with an error per device in diags. */
int vsc_xml_check_expressible(const vsc_devset *set, vsc_diags *diags);

/* Model → element (owned by doc, not linked into the tree). */
xmlNodePtr vsc_xml_format_chardev(xmlDocPtr doc, const vsc_chardev *dev);
xmlNodePtr vsc_xml_format_controller(xmlDocPtr doc, const vsc_controller *c);
/* A vhost-user device libvirt can express (vsc_xml_check_expressible). */
xmlNodePtr vsc_xml_format_vhost(xmlDocPtr doc, const vsc_vhost *dev);
/* Its XML as a standalone string (for virDomainAttachDevice).  Free it. */
char *vsc_xml_vhost_to_string(const vsc_vhost *dev);
xmlNodePtr vsc_xml_format_memory_backing(xmlDocPtr doc, const vsc_memory_backing *m);
/* Whether node is a vhost-user device vschan reads (a virtiofs
 * <filesystem>, an <interface> or <disk> of type vhostuser). */
bool vsc_xml_is_vhost(xmlNodePtr node);
vsc_vhost *vsc_xml_parse_vhost(xmlNodePtr node, const char *file, vsc_diags *diags);
void vsc_xml_parse_memory_backing(xmlNodePtr node, const char *file, vsc_memory_backing *m);
/* A <devices> element holding the controller (if any) and every device. */
xmlNodePtr vsc_xml_format_devset(xmlDocPtr doc, const vsc_devset *set);

/* A device, a controller or a <devices> element as standalone indented
 * text: what libvirt's attach calls take and what 'vschan xml' prints.
 * Caller frees. */
char *vsc_xml_chardev_to_string(const vsc_chardev *dev);
char *vsc_xml_controller_to_string(const vsc_controller *c);
char *vsc_xml_devset_to_string(const vsc_devset *set);

/* Indented text of a node, like virsh dumpxml.  Caller frees. */
char *vsc_xml_node_to_string(xmlDocPtr doc, xmlNodePtr node);
/* Whole document, with the XML declaration left out (as virsh does). */
char *vsc_xml_doc_to_string(xmlDocPtr doc);

/* Element → model.  file is used in messages and kept as the origin.
 * Reads what libvirt reads (live output included: tty, state, alias,
 * address); structural errors are reported as libvirt reports them. */
vsc_chardev *vsc_xml_parse_chardev(xmlNodePtr node, const char *file, vsc_diags *diags);
/* <controller type='virtio-serial'> → c. */
void vsc_xml_parse_controller(xmlNodePtr node, vsc_controller *c);

/* Parse XML text safely: no network, no external entities, no DTD
 * loading, no entity expansion; huge documents refused.  Returns NULL
 * with the error (file:line) in diags. */
xmlDocPtr vsc_xml_read(const char *text, size_t len, const char *file, vsc_diags *diags);
xmlDocPtr vsc_xml_read_file(const char *path, vsc_diags *diags);

/* Read every chardev below node (a <domain>, <devices> or one device
 * element) into set, and the virtio-serial controller(s).  Returns -1 on
 * errors. */
int vsc_xml_collect(xmlNodePtr node, const char *file, vsc_devset *set, vsc_diags *diags);
/* One child of <devices>: a chardev into set, the first virtio-serial
 * controller into set->controller, anything else ignored.  -1 when the
 * chardev does not read (the error is in diags). */
int vsc_xml_collect_element(xmlNodePtr node, const char *file, vsc_devset *set, vsc_diags *diags);

/* Fill info from a <domain> element. */
void vsc_xml_domain_info(xmlNodePtr domain, vsc_domain_info *info);

/* Merge set into the <domain> document: a device with the same identity
 * is replaced, others are inserted next to their kind, and a virtio-serial
 * controller is added when one is needed and none exists.  Everything else
 * stays as it was. */
/* The guest memory vhost-user devices need, in doc (a <domain>): the
 * spec's memoryBacking replaces the domain's; else, when set has
 * vhost-user devices libvirt writes and the domain's memory is not
 * shared, it is made shared (a new <memoryBacking> with a memfd source,
 * or access shared in the one the domain has) and *added set.  An access
 * the domain gives and NUMA cells are kept as they are. */
int vsc_xml_merge_memory(xmlDocPtr doc, const vsc_devset *set, bool *added);
int vsc_xml_merge_into_domain(xmlDocPtr doc, const vsc_devset *set, vsc_diags *diags);
