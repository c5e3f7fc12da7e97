/* vsct-virt ROOT COMMAND [ARGS]: the test driver's hands on an embedded
 * libvirt root, one short-lived process per step, so the vschan binary
 * under test can open the same root in between (one process at a time).
 *
 *   start NAME [--spice] [--no-virtio-serial] [--no-acpi] [--shared-memory]
 *                            [--shared-numa] [--devices XML]
 *                            define the minimal domain and start it
 *   define NAME [same options]  define only
 *   xml NAME [--inactive]    the live (or persistent) XML
 *   qmp NAME JSON            a QMP command through libvirt-qemu; the reply
 *   qom NAME ALIAS           QEMU's view of a device: one line per fact,
 *                            "chardev char<ALIAS> <filename>" from query-chardev
 *                            and "device <ALIAS> <type>" when the QOM path
 *                            /machine/peripheral/<ALIAS> exists
 *                            and "nr <ALIAS> N", its virtio-serial port
 *   hmp NAME COMMAND         a human monitor command ("info network"); the reply
 *   snapshot NAME [LIST]     what a vschan run may change, one fact a line
 *                            (unsorted): each device of the live and of the
 *                            persistent XML and the rest of both, QEMU's
 *                            peripherals and chardevs, and each device of
 *                            LIST ('vschan list --json' output); pty numbers
 *                            masked (QEMU picks new ones when a device comes
 *                            back)
 *   state NAME               running / shut off / missing
 *   destroy NAME             stop (if running) and undefine
 *   cleanup                  stop and undefine every domain of the root
 *
 * Exit 0 on success, 1 on failure (reason on stderr), 77 when the root
 * cannot be opened on this machine. */
#include "embed.h"

#include "util/mem.h"

#include <jansson.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <string.h>

static vsct_embed *e;

static int fail(const char *what)
{
  fprintf(stderr, "vsct-virt: %s: %s\n", what, e ? vsct_embed_error(e) : "");
  return 1;
}

static virDomainPtr lookup(const char *name)
{
  virDomainPtr dom = virDomainLookupByName(vsct_embed_conn(e), name);
  if (!dom)
    fprintf(stderr, "vsct-virt: no domain '%s': %s\n", name, virGetLastErrorMessage());
  return dom;
}

static char *monitor(virDomainPtr dom, const char *cmd)
{
  char *reply = NULL;
  if (virDomainQemuMonitorCommand(dom, cmd, &reply, 0) < 0) {
    fprintf(stderr, "vsct-virt: '%s': %s\n", cmd, virGetLastErrorMessage());
    return NULL;
  }
  return reply;
}

static int define(int argc, char **argv, bool start)
{
  vsct_domain_opts opts = { .kvm = vsct_embed_has_kvm(e), .virtio_serial = true };
  bool acpi = true;
  const char *devices_xml = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--spice") == 0)
      opts.spice = true;
    else if (strcmp(argv[i], "--no-virtio-serial") == 0)
      opts.virtio_serial = false;
    else if (strcmp(argv[i], "--no-acpi") == 0)
      acpi = false;
    else if (strcmp(argv[i], "--shared-memory") == 0)
      opts.shared_memory = true;
    else if (strcmp(argv[i], "--shared-numa") == 0)
      opts.shared_memory = opts.shared_numa = true;
    else if (strcmp(argv[i], "--devices") == 0 && i + 1 < argc)
      devices_xml = argv[++i];
  }
  xmlNodePtr devices;
  xmlDocPtr doc = vsct_embed_domain_doc(argv[0], &opts, &devices);
  if (!acpi) {
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = root->children; n; n = n->next)
      if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "features")) {
        xmlUnlinkNode(n);
        xmlFreeNode(n);
        break;
      }
  }
  if (devices_xml) {
    xmlNodePtr list = NULL;
    if (xmlParseBalancedChunkMemory(doc, NULL, NULL, 0, BAD_CAST devices_xml, &list) != 0) {
      fprintf(stderr, "vsct-virt: --devices is not well-formed\n");
      return 1;
    }
    xmlAddChildList(devices, list);
  }
  xmlChar *mem = NULL;
  int len = 0;
  xmlDocDumpFormatMemory(doc, &mem, &len, 1);
  xmlFreeDoc(doc);
  virDomainPtr dom = vsct_embed_define(e, (const char *)mem);
  xmlFree(mem);
  if (!dom)
    return fail("define");
  if (start && vsct_embed_start(e, dom) < 0) {
    int rc = fail("start");
    vsct_embed_destroy_undefine(e, dom);
    return rc;
  }
  virDomainFree(dom);
  return 0;
}

static int qom(virDomainPtr dom, const char *alias)
{
  VSC_AUTOFREE(char) chardevs = monitor(dom, "{\"execute\":\"query-chardev\"}");
  if (!chardevs)
    return 1;
  json_t *root = json_loads(chardevs, 0, NULL);
  json_t *list = json_object_get(root, "return");
  VSC_AUTOFREE(char) label = vsc_asprintf("char%s", alias);
  size_t i;
  json_t *item;
  json_array_foreach(list, i, item) {
    const char *l = json_string_value(json_object_get(item, "label"));
    if (l && strcmp(l, label) == 0)
      printf("chardev %s %s\n", l, json_string_value(json_object_get(item, "filename")));
  }
  json_decref(root);

  /* A guestfwd is a netdev, not a device: it has no QOM path. */
  VSC_AUTOFREE(char) cmd = vsc_asprintf(
    "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/%s\","
    "\"property\":\"type\"}}", alias);
  char *reply = NULL;
  if (virDomainQemuMonitorCommand(dom, cmd, &reply, 0) == 0) {
    json_t *r = json_loads(reply, 0, NULL);
    const char *type = json_string_value(json_object_get(r, "return"));
    if (type)
      printf("device %s %s\n", alias, type);
    json_decref(r);
    free(reply);
  }
  virResetLastError();

  /* The virtio-serial port QEMU gave a virtserialport/virtconsole. */
  VSC_AUTOFREE(char) nr_cmd = vsc_asprintf(
    "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/%s\","
    "\"property\":\"nr\"}}", alias);
  reply = NULL;
  if (virDomainQemuMonitorCommand(dom, nr_cmd, &reply, 0) == 0) {
    json_t *r = json_loads(reply, 0, NULL);
    json_t *nr = json_object_get(r, "return");
    if (json_is_integer(nr))
      printf("nr %s %lld\n", alias, (long long)json_integer_value(nr));
    json_decref(r);
    free(reply);
  }
  virResetLastError();
  return 0;
}

/* One fact a line: /dev/pts/N for any pty, no line breaks. */
static void print_fact(const char *prefix, const char *text)
{
  static const char pts[] = "/dev/pts/";
  fputs(prefix, stdout);
  for (const char *p = text; *p;) {
    if (strncmp(p, pts, sizeof(pts) - 1) == 0 && p[sizeof(pts) - 1] >= '0' &&
        p[sizeof(pts) - 1] <= '9') {
      fputs("/dev/pts/N", stdout);
      for (p += sizeof(pts) - 1; *p >= '0' && *p <= '9'; p++)
        ;
      continue;
    }
    putchar(*p == '\n' ? ' ' : *p);
    p++;
  }
  putchar('\n');
}

static void print_node(const char *prefix, xmlNodePtr node)
{
  xmlBufferPtr buf = xmlBufferCreate();
  xmlNodeDump(buf, node->doc, node, 0, 0);
  print_fact(prefix, (const char *)xmlBufferContent(buf));
  xmlBufferFree(buf);
}

/* "WHICH device <...>" for each device, then "WHICH domain <...>" for the
 * rest; blank text dropped, so only what libvirt changed differs. */
static int snapshot_xml(virDomainPtr dom, const char *which, unsigned int flags)
{
  VSC_AUTOFREE(char) xml = virDomainGetXMLDesc(dom, flags);
  xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), which, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOBLANKS) : NULL;
  if (!doc) {
    fprintf(stderr, "vsct-virt: no %s XML: %s\n", which, virGetLastErrorMessage());
    return 1;
  }
  xmlNodePtr root = xmlDocGetRootElement(doc);
  VSC_AUTOFREE(char) device = vsc_asprintf("%s device ", which);
  VSC_AUTOFREE(char) domain = vsc_asprintf("%s domain ", which);
  for (xmlNodePtr n = root->children; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, BAD_CAST "devices"))
      continue;
    for (xmlNodePtr d = n->children; d; d = d->next)
      if (d->type == XML_ELEMENT_NODE)
        print_node(device, d);
    xmlUnlinkNode(n);
    xmlFreeNode(n);
    break;
  }
  print_node(domain, root);
  xmlFreeDoc(doc);
  return 0;
}

/* The "return" array of a QMP command, or NULL (reported). */
static json_t *qmp_list(virDomainPtr dom, const char *cmd)
{
  VSC_AUTOFREE(char) reply = monitor(dom, cmd);
  json_t *root = reply ? json_loads(reply, 0, NULL) : NULL;
  json_t *list = json_incref(json_object_get(root, "return"));
  json_decref(root);
  if (reply && !json_is_array(list))
    fprintf(stderr, "vsct-virt: '%s': no list in the reply\n", cmd);
  if (!json_is_array(list)) {
    json_decref(list);
    return NULL;
  }
  return list;
}

static const char *str(json_t *obj, const char *key)
{
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? s : "?";
}

static int snapshot(virDomainPtr dom, const char *list_file)
{
  size_t i;
  json_t *item;
  if (snapshot_xml(dom, "live", 0) != 0 || snapshot_xml(dom, "config", VIR_DOMAIN_XML_INACTIVE) != 0)
    return 1;
  json_t *peripherals = qmp_list(
    dom, "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}");
  json_t *chardevs = qmp_list(dom, "{\"execute\":\"query-chardev\"}");
  int rc = peripherals && chardevs ? 0 : 1;
  json_array_foreach(peripherals, i, item) {
    VSC_AUTOFREE(char) fact = vsc_asprintf("%s %s", str(item, "name"), str(item, "type"));
    print_fact("qemu device ", fact);
  }
  json_array_foreach(chardevs, i, item) {
    VSC_AUTOFREE(char) fact = vsc_asprintf("%s %s", str(item, "label"), str(item, "filename"));
    print_fact("qemu chardev ", fact);
  }
  json_decref(peripherals);
  json_decref(chardevs);
  if (list_file) {
    json_error_t error;
    json_t *list = json_load_file(list_file, 0, &error);
    if (!json_is_array(list)) {
      fprintf(stderr, "vsct-virt: '%s' is no JSON list: %s\n", list_file, error.text);
      rc = 1;
    }
    json_array_foreach(list, i, item) {
      VSC_AUTOFREE(char) fact = json_dumps(item, JSON_SORT_KEYS | JSON_COMPACT);
      print_fact("list ", fact);
    }
    json_decref(list);
  }
  return rc;
}

static int cleanup_all(void)
{
  virDomainPtr *doms = NULL;
  int n = virConnectListAllDomains(vsct_embed_conn(e), &doms, 0);
  int rc = 0;
  for (int i = 0; i < n; i++)
    if (vsct_embed_destroy_undefine(e, doms[i]) < 0)
      rc = fail("cleanup");
  free(doms);
  return rc;
}

static int run(int argc, char **argv)
{
  const char *cmd = argv[0];
  if (strcmp(cmd, "start") == 0 && argc >= 2)
    return define(argc - 1, argv + 1, true);
  if (strcmp(cmd, "define") == 0 && argc >= 2)
    return define(argc - 1, argv + 1, false);
  if (strcmp(cmd, "cleanup") == 0)
    return cleanup_all();
  if (argc < 2) {
    fprintf(stderr, "vsct-virt: '%s' needs a domain name\n", cmd);
    return 2;
  }
  if (strcmp(cmd, "state") == 0) {
    virDomainPtr dom = virDomainLookupByName(vsct_embed_conn(e), argv[1]);
    if (!dom) {
      puts("missing");
      return 0;
    }
    puts(virDomainIsActive(dom) == 1 ? "running" : "shut off");
    virDomainFree(dom);
    return 0;
  }
  virDomainPtr dom = lookup(argv[1]);
  if (!dom)
    return 1;
  int rc = 0;
  if (strcmp(cmd, "xml") == 0) {
    bool inactive = argc > 2 && strcmp(argv[2], "--inactive") == 0;
    char *xml = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
    if (xml)
      fputs(xml, stdout);
    else
      rc = 1;
    free(xml);
  } else if (strcmp(cmd, "qmp") == 0 && argc == 3) {
    char *reply = monitor(dom, argv[2]);
    if (reply)
      puts(reply);
    else
      rc = 1;
    free(reply);
  } else if (strcmp(cmd, "hmp") == 0 && argc == 3) {
    char *reply = NULL;
    if (virDomainQemuMonitorCommand(dom, argv[2], &reply, VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP) == 0)
      fputs(reply, stdout);
    else
      rc = fail("hmp");
    free(reply);
  } else if (strcmp(cmd, "qom") == 0 && argc == 3) {
    rc = qom(dom, argv[2]);
  } else if (strcmp(cmd, "snapshot") == 0 && argc <= 3) {
    rc = snapshot(dom, argc == 3 ? argv[2] : NULL);
  } else if (strcmp(cmd, "destroy") == 0) {
    return vsct_embed_destroy_undefine(e, dom) < 0 ? fail("destroy") : 0;
  } else {
    fprintf(stderr, "vsct-virt: unknown command '%s'\n", cmd);
    rc = 2;
  }
  virDomainFree(dom);
  return rc;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: vsct-virt ROOT COMMAND [ARGS]...\n");
    return 2;
  }
  char *error = NULL;
  e = vsct_embed_open(argv[1], &error);
  if (!e) {
    fprintf(stderr, "vsct-virt: %s\n", error);
    free(error);
    return 77;
  }
  int rc = run(argc - 2, argv + 2);
  fflush(stdout);
  vsct_embed_close(e);
  return rc;
}
