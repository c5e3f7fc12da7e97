/* Test helper: the embedded libvirt QEMU driver.  See embed.h. */
#include "embed.h"

#include "util/mem.h"
#include "virt/virt.h"

#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct vsct_embed {
  virConnectPtr conn;
  pthread_t loop;
  bool loop_running;
  atomic_bool quit;
  int wake_timer;   /* disabled timer armed only to wake the loop on close */
  int kvm;          /* -1 unknown, else 0/1 */
  char *error;
};

static void ignore_libvirt_error(void *opaque, virErrorPtr err) {}

static void wake_loop(int timer, void *opaque) {}

static void *run_event_loop(void *opaque) {
  vsct_embed *e = opaque;
  while (!atomic_load(&e->quit)) {
    if (virEventRunDefaultImpl() < 0)
      break;
  }
  return NULL;
}

static void set_error(vsct_embed *e, char *msg) {
  free(e->error);
  e->error = msg;
}

static void set_libvirt_error(vsct_embed *e) {
  const char *msg = virGetLastErrorMessage();
  set_error(e, vsc_strdup(msg ? msg : "unknown libvirt error"));
}

/* Keep libvirt's own log lines (taint warnings, errors we report anyway)
 * out of the test output: they go to a file in the root unless the user
 * chose an output.  libvirt reads the variable once, at its first call. */
static void route_libvirt_log(const char *root) {
  if (getenv("LIBVIRT_LOG_OUTPUTS"))
    return;
  VSC_AUTOFREE(char) logdir = vsc_asprintf("%s/log", root);
  mkdir(root, 0755);
  mkdir(logdir, 0755);
  VSC_AUTOFREE(char) outputs = vsc_asprintf("3:file:%s/libvirt.log", logdir);
  setenv("LIBVIRT_LOG_OUTPUTS", outputs, 0);
}

vsct_embed *vsct_embed_open(const char *root, char **error) {
  static bool event_impl_registered;
  *error = NULL;

  route_libvirt_log(root);
  /* The default error handler prints every error to stderr; callers
   * report vsct_embed_error() themselves. */
  virSetErrorFunc(NULL, ignore_libvirt_error);
  if (!event_impl_registered) {
    if (virEventRegisterDefaultImpl() < 0) {
      *error = vsc_asprintf("cannot start the libvirt event loop: %s",
                            virGetLastErrorMessage());
      return NULL;
    }
    event_impl_registered = true;
  }

  vsct_embed *e = vsc_calloc(1, sizeof(*e));
  e->kvm = -1;
  e->wake_timer = virEventAddTimeout(-1, wake_loop, NULL, NULL);
  if (e->wake_timer < 0) {
    *error = vsc_strdup("cannot add a libvirt event timer");
    free(e);
    return NULL;
  }
  if (pthread_create(&e->loop, NULL, run_event_loop, e) != 0) {
    *error = vsc_strdup("cannot start the event loop thread");
    virEventRemoveTimeout(e->wake_timer);
    free(e);
    return NULL;
  }
  e->loop_running = true;

  VSC_AUTOFREE(char) uri = vsc_asprintf("qemu:///embed?root=%s", root);
  e->conn = virConnectOpen(uri);
  if (!e->conn) {
    const char *msg = virGetLastErrorMessage();
    const char *hint = "";
    if (msg && strstr(msg, "pid file"))
      hint = " (another process has this embed root open; use a separate root)";
    *error = vsc_asprintf("cannot open '%s': %s%s", uri, msg ? msg : "unknown error", hint);
    vsct_embed_close(e);
    return NULL;
  }
  /* Domains started by an earlier process: wait until libvirt has
   * reconnected to them, or this process may crash when it exits. */
  vsc_virt_embed_settle(e->conn);
  return e;
}

void vsct_embed_close(vsct_embed *e) {
  if (!e)
    return;
  if (e->conn)
    virConnectClose(e->conn);
  if (e->loop_running) {
    atomic_store(&e->quit, true);
    virEventUpdateTimeout(e->wake_timer, 0);
    pthread_join(e->loop, NULL);
  }
  virEventRemoveTimeout(e->wake_timer);
  free(e->error);
  free(e);
}

virConnectPtr vsct_embed_conn(vsct_embed *e) { return e->conn; }

const char *vsct_embed_error(const vsct_embed *e) { return e->error ? e->error : ""; }

bool vsct_embed_has_kvm(vsct_embed *e) {
  if (e->kvm < 0) {
    char *caps = virConnectGetDomainCapabilities(e->conn, NULL, "x86_64", NULL, "kvm", 0);
    e->kvm = caps != NULL;
    free(caps);
    virResetLastError();
  }
  return e->kvm == 1;
}

static xmlNodePtr add_child(xmlNodePtr parent, const char *name, const char *text) {
  return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text);
}

static void set_prop(xmlNodePtr node, const char *name, const char *value) {
  xmlNewProp(node, BAD_CAST name, BAD_CAST value);
}

xmlDocPtr vsct_embed_domain_doc(const char *name, const vsct_domain_opts *opts,
                                xmlNodePtr *devices) {
  xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr dom = xmlNewNode(NULL, BAD_CAST "domain");
  xmlDocSetRootElement(doc, dom);
  set_prop(dom, "type", opts->kvm ? "kvm" : "qemu");
  add_child(dom, "name", name);
  set_prop(add_child(dom, "memory", "64"), "unit", "MiB");
  if (opts->shared_memory) {
    xmlNodePtr mb = add_child(dom, "memoryBacking", NULL);
    set_prop(add_child(mb, "source", NULL), "type", "memfd");
    set_prop(add_child(mb, "access", NULL), "mode", "shared");
  }
  add_child(dom, "vcpu", "1");
  if (opts->shared_numa) {
    xmlNodePtr cell = add_child(add_child(add_child(dom, "cpu", NULL), "numa", NULL), "cell", NULL);
    set_prop(cell, "id", "0");
    set_prop(cell, "cpus", "0");
    set_prop(cell, "memory", "64");
    set_prop(cell, "unit", "MiB");
    set_prop(cell, "memAccess", "shared");
  }
  xmlNodePtr os = add_child(dom, "os", NULL);
  xmlNodePtr type = add_child(os, "type", "hvm");
  set_prop(type, "arch", "x86_64");
  set_prop(type, "machine", "pc");
  /* ACPI: pci-serial hotplug needs it (see the chardev reference). */
  add_child(add_child(dom, "features", NULL), "acpi", NULL);
  add_child(dom, "on_poweroff", "destroy");
  add_child(dom, "on_reboot", "destroy");
  add_child(dom, "on_crash", "destroy");

  xmlNodePtr devs = add_child(dom, "devices", NULL);
  if (opts->virtio_serial) {
    xmlNodePtr ctl = add_child(devs, "controller", NULL);
    set_prop(ctl, "type", "virtio-serial");
    set_prop(ctl, "index", "0");
  }
  if (opts->spice) {
    /* listen type none: no TCP port is opened on the test machine. */
    xmlNodePtr gfx = add_child(devs, "graphics", NULL);
    set_prop(gfx, "type", "spice");
    set_prop(add_child(gfx, "listen", NULL), "type", "none");
  }
  set_prop(add_child(devs, "memballoon", NULL), "model", "none");
  *devices = devs;
  return doc;
}

char *vsct_embed_minimal_domain_xml(vsct_embed *e, const char *name,
                                    const char *extra_devices_xml, bool with_spice) {
  vsct_domain_opts opts = {
    .kvm = vsct_embed_has_kvm(e), .spice = with_spice, .virtio_serial = true,
  };
  xmlNodePtr devices;
  xmlDocPtr doc = vsct_embed_domain_doc(name, &opts, &devices);
  if (extra_devices_xml && *extra_devices_xml) {
    xmlNodePtr list = NULL;
    if (xmlParseBalancedChunkMemory(doc, NULL, NULL, 0, BAD_CAST extra_devices_xml, &list) != 0) {
      xmlFreeNodeList(list);
      xmlFreeDoc(doc);
      set_error(e, vsc_strdup("the extra device XML is not well-formed"));
      return NULL;
    }
    xmlAddChildList(devices, list);
  }
  xmlChar *mem = NULL;
  int len = 0;
  xmlDocDumpFormatMemory(doc, &mem, &len, 1);
  xmlFreeDoc(doc);
  char *xml = vsc_strdup((const char *)mem);
  xmlFree(mem);
  return xml;
}

virDomainPtr vsct_embed_define(vsct_embed *e, const char *xml) {
  /* A domain left by an interrupted earlier run must not make this fail. */
  xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
  if (doc) {
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next) {
      if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "name")) {
        xmlChar *name = xmlNodeGetContent(n);
        virDomainPtr old = virDomainLookupByName(e->conn, (const char *)name);
        xmlFree(name);
        if (old)
          vsct_embed_destroy_undefine(e, old);
        break;
      }
    }
    xmlFreeDoc(doc);
  }
  virResetLastError();

  virDomainPtr dom = virDomainDefineXML(e->conn, xml);
  if (!dom)
    set_libvirt_error(e);
  return dom;
}

char *vsct_embed_inactive_xml(vsct_embed *e, virDomainPtr dom) {
  char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
  if (!xml)
    set_libvirt_error(e);
  return xml;
}

char *vsct_embed_live_xml(vsct_embed *e, virDomainPtr dom) {
  char *xml = virDomainGetXMLDesc(dom, 0);
  if (!xml)
    set_libvirt_error(e);
  return xml;
}

int vsct_embed_start(vsct_embed *e, virDomainPtr dom) {
  if (virDomainCreate(dom) < 0) {
    set_libvirt_error(e);
    return -1;
  }
  return 0;
}

int vsct_embed_destroy_undefine(vsct_embed *e, virDomainPtr dom) {
  if (!dom)
    return 0;
  int ret = 0;
  /* Observed with a domain started by an earlier process: the destroy
   * kills QEMU but reports "domain is not running", because the monitor
   * EOF handler stops the domain first.  What counts is that it is off. */
  if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0 &&
      virDomainIsActive(dom) != 0) {
    set_libvirt_error(e);
    ret = -1;
  }
  virResetLastError();
  if (ret == 0 && virDomainUndefine(dom) < 0) {
    set_libvirt_error(e);
    ret = -1;
  }
  virDomainFree(dom);
  return ret;
}
