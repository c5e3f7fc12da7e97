/* Test helper: libvirt's QEMU driver embedded in the test process
 * (qemu:///embed?root=DIR), so tests define and start real domains
 * without a daemon and without touching the system's domains.
 *
 * Prepare DIR first with tests/lib/embed-root.sh.  Only one process at a
 * time can open a root: a second open fails with "Failed to acquire pid
 * file" until the first closes, so give each test program its own root
 * (ctest: RESOURCE_LOCK or a fresh temp root per test).
 *
 * Running domains belong to the process: destroy what you start before
 * vsct_embed_close().  On failure the functions return -1/NULL and
 * vsct_embed_error() says why (libvirt's message, or ours). */
#pragma once

#include <libvirt/libvirt.h>
#include <libxml/tree.h>
#include <stdbool.h>

typedef struct vsct_embed vsct_embed;

/* Open qemu:///embed?root=ROOT with an event loop thread running.  On
 * failure return NULL and set *error (free it) to the reason. */
vsct_embed *vsct_embed_open(const char *root, char **error);
/* Close the connection, then stop the event loop thread.  NULL is fine. */
void vsct_embed_close(vsct_embed *e);

virConnectPtr vsct_embed_conn(vsct_embed *e);
/* The last failure of a call on E ("" when none). */
const char *vsct_embed_error(const vsct_embed *e);

/* Whether libvirt on this machine offers KVM for x86_64 guests (asked
 * once through the domain capabilities, then cached). */
bool vsct_embed_has_kvm(vsct_embed *e);

/* Build a minimal x86_64 'pc' domain: no disk, 64 MiB, one vCPU, ACPI,
 * no memory balloon; domain type kvm or qemu (TCG).  *devices points at
 * its empty <devices> element for the caller to fill.  Never NULL. */
typedef struct {
  bool kvm;
  bool spice;          /* <graphics type='spice'> with no listening port */
  bool virtio_serial;  /* <controller type='virtio-serial' index='0'/> */
  bool shared_memory;  /* memfd, shared: what vhost-user devices need */
  bool shared_numa;    /* and one NUMA cell with memAccess='shared' (see
                        * tests/virt/run-virt.sh, sc_vhost_user) */
} vsct_domain_opts;
xmlDocPtr vsct_embed_domain_doc(const char *name, const vsct_domain_opts *opts,
                                xmlNodePtr *devices);

/* The minimal domain as a string, ready to start: KVM when usable, else
 * TCG, a virtio-serial controller, plus the devices in extra_devices_xml
 * (a fragment of sibling elements, may be NULL).  NULL when the fragment
 * is not well-formed.  Free the result. */
char *vsct_embed_minimal_domain_xml(vsct_embed *e, const char *name,
                                    const char *extra_devices_xml, bool with_spice);

/* Define a persistent domain; a leftover domain of the same name is
 * undefined first.  Free the result with virDomainFree(). */
virDomainPtr vsct_embed_define(vsct_embed *e, const char *xml);
/* The inactive (persistent) XML, as libvirt reads it back.  Free it. */
char *vsct_embed_inactive_xml(vsct_embed *e, virDomainPtr dom);
/* The live XML of a running domain.  Free it. */
char *vsct_embed_live_xml(vsct_embed *e, virDomainPtr dom);
int vsct_embed_start(vsct_embed *e, virDomainPtr dom);
/* Stop (if running) and undefine; also frees DOM.  NULL is fine. */
int vsct_embed_destroy_undefine(vsct_embed *e, virDomainPtr dom);
