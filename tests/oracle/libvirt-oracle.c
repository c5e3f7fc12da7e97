/* vschan-libvirt-oracle: check golden expected.xml files against real
 * libvirt, not only against themselves.
 *
 *   vschan-libvirt-oracle --root DIR [--rng PATH] [--out DIR] CASEDIR...
 *
 * For each CASEDIR with an expected.xml (a <devices> element, or a whole
 * <domain>): wrap the devices in a minimal x86_64 domain, validate it
 * against libvirt's installed RNG schema, define it on the embedded QEMU
 * driver (qemu:///embed?root=DIR, prepared by tests/lib/embed-root.sh),
 * read the inactive XML back, undefine it, and check that every element,
 * attribute and text of the expected devices comes back with the same
 * value.  Devices pair up by element name (controllers by name and type)
 * in document order, child elements by name in order.  Extra attributes
 * and elements on libvirt's side are fine (it fills in addresses, models,
 * defaults); missing or different ones fail.  The two exceptions libvirt's
 * own normalisation forces are at same_value() and
 * omitted_generated_source().
 *
 * One line per case on stdout: "ok NAME", "FAIL NAME: STAGE DETAIL"
 * (STAGE is parse, rng, define or readback) or "skip NAME: REASON".
 * Exit 0 when every case passed, 1 when one failed, 2 on usage errors,
 * 77 when this machine cannot run libvirt's driver (1 when CI is set).
 *
 * One process checks every case: an embed root cannot be opened by two
 * processes at once, and opening a fresh root costs seconds (QEMU
 * capability probing), so it is done once. */
#include "embed.h"
#include "test.h"

#include "util/buf.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_RNG "/usr/share/libvirt/schemas/domain.rng"

typedef struct {
  xmlRelaxNGPtr rng;
  xmlRelaxNGPtr device_rng;  /* only to explain an rng failure; may be NULL */
  vsct_embed *embed;
  const char *out_dir;
} oracle;

VSC_DEFINE_AUTOPTR(xmlDoc, xmlFreeDoc)

static int env_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int env_failure(const char *fmt, ...) {
  char why[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  return vsct_skip("vschan-libvirt-oracle: %s", why);
}

/* Collect libxml2's messages (RNG validation, parsing) into one line. */
static void collect_xml_error(void *opaque, xmlErrorPtr err) {
  vsc_buf *b = opaque;
  if (b->len > 0)
    vsc_buf_add(b, "; ");
  if (err->node && ((xmlNodePtr)err->node)->type == XML_ELEMENT_NODE) {
    xmlChar *path = xmlGetNodePath(err->node);
    vsc_buf_printf(b, "%s: ", (const char *)path);
    xmlFree(path);
  } else if (err->line > 0) {
    vsc_buf_printf(b, "line %d: ", err->line);
  }
  size_t n = err->message ? strlen(err->message) : 0;
  while (n > 0 && isspace((unsigned char)err->message[n - 1]))
    n--;
  vsc_buf_addn(b, err->message ? err->message : "unknown error", n);
}

static xmlNodePtr first_element(xmlNodePtr n) {
  while (n && n->type != XML_ELEMENT_NODE)
    n = n->next;
  return n;
}

static xmlNodePtr next_element(xmlNodePtr n) { return first_element(n->next); }

static xmlNodePtr child_element(xmlNodePtr parent, const char *name) {
  for (xmlNodePtr n = first_element(parent->children); n; n = next_element(n))
    if (xmlStrEqual(n->name, BAD_CAST name))
      return n;
  return NULL;
}

static bool prop_equals(xmlNodePtr n, const char *name, const char *value) {
  xmlChar *v = xmlGetProp(n, BAD_CAST name);
  bool eq = v && xmlStrEqual(v, BAD_CAST value);
  xmlFree(v);
  return eq;
}

/* A console's target type; none means the serial compat console. */
static bool console_is_serial(xmlNodePtr console) {
  for (xmlNodePtr t = first_element(console->children); t; t = next_element(t))
    if (xmlStrEqual(t->name, BAD_CAST "target"))
      return !xmlHasProp(t, BAD_CAST "type") || prop_equals(t, "type", "serial");
  return true;
}

/* Devices are matched by element name, and controllers also by type:
 * libvirt adds usb and pci controllers of its own, which must not shift
 * a virtio-serial controller of the expected file onto them.  Likewise
 * consoles by serial or not: with a <serial> present, libvirt puts a
 * serial compat console first, ahead of the virtio consoles. */
static bool same_device_kind(xmlNodePtr a, xmlNodePtr b) {
  if (!xmlStrEqual(a->name, b->name))
    return false;
  if (xmlStrEqual(a->name, BAD_CAST "console"))
    return console_is_serial(a) == console_is_serial(b);
  if (!xmlStrEqual(a->name, BAD_CAST "controller"))
    return true;
  xmlChar *ta = xmlGetProp(a, BAD_CAST "type");
  xmlChar *tb = xmlGetProp(b, BAD_CAST "type");
  bool eq = ta && tb && xmlStrEqual(ta, tb);
  xmlFree(ta);
  xmlFree(tb);
  return eq;
}

static bool same_name(xmlNodePtr a, xmlNodePtr b) { return xmlStrEqual(a->name, b->name); }

/* The k-th (0-based) element child of PARENT that matches MODEL, where k
 * is MODEL's position among its own matching siblings; *index (if not
 * NULL) gets that position 1-based. */
static xmlNodePtr counterpart(xmlNodePtr model, xmlNodePtr parent,
                              bool (*match)(xmlNodePtr, xmlNodePtr), int *index) {
  int k = 0;
  for (xmlNodePtr n = first_element(model->parent->children); n != model; n = next_element(n))
    if (match(n, model))
      k++;
  if (index)
    *index = k + 1;
  for (xmlNodePtr n = first_element(parent->children); n; n = next_element(n))
    if (match(n, model) && k-- == 0)
      return n;
  return NULL;
}

static bool has_element_children(xmlNodePtr n) { return first_element(n->children) != NULL; }

/* Text content without leading and trailing white space. */
static char *trimmed_text(xmlNodePtr n) {
  xmlChar *raw = xmlNodeGetContent(n);
  const char *s = raw ? (const char *)raw : "";
  while (isspace((unsigned char)*s))
    s++;
  size_t len = strlen(s);
  while (len > 0 && isspace((unsigned char)s[len - 1]))
    len--;
  char *t = vsc_strndup(s, len);
  xmlFree(raw);
  return t;
}

/* Takes MSG (allocated). */
static void add_mismatch(vsc_buf *b, const char *path, char *msg) {
  if (b->len > 0)
    vsc_buf_add(b, "; ");
  vsc_buf_printf(b, "%s: %s", path, msg);
  free(msg);
}

/* Exception 1: libvirt rewrites the numbers of <address> in its own base
 * and width (slot='5' reads back as slot='0x05', domain='0' as
 * domain='0x0000'; RNG and parser accept both), so those compare as
 * numbers.  Every other attribute compares as text. */
static bool same_value(xmlNodePtr elem, const xmlChar *want, const xmlChar *have) {
  if (xmlStrEqual(want, have))
    return true;
  if (!xmlStrEqual(elem->name, BAD_CAST "address"))
    return false;
  char *end_w, *end_h;
  errno = 0;
  unsigned long long w = strtoull((const char *)want, &end_w, 0);
  unsigned long long h = strtoull((const char *)have, &end_h, 0);
  return errno == 0 && *want && *have && !*end_w && !*end_h && w == h;
}

/* Exception 2: a path-less unix <source mode='bind'/> on a channel is
 * not formatted in inactive XML at all: libvirt generates the path and
 * forces bind mode when the domain starts, so the element carries nothing
 * that could be lost. */
static bool omitted_generated_source(xmlNodePtr exp) {
  xmlNodePtr dev = exp->parent;
  if (!xmlStrEqual(exp->name, BAD_CAST "source") || !xmlStrEqual(dev->name, BAD_CAST "channel") ||
      !prop_equals(dev, "type", "unix") || has_element_children(exp))
    return false;
  for (xmlAttrPtr a = exp->properties; a; a = a->next)
    if (!xmlStrEqual(a->name, BAD_CAST "mode") || !prop_equals(exp, "mode", "bind"))
      return false;
  return true;
}

/* Everything in EXP (attributes, text of leaf elements, child elements
 * matched by name in order) must be in GOT with the same value. */
static void compare_element(xmlNodePtr exp, xmlNodePtr got, const char *path, vsc_buf *out) {
  for (xmlAttrPtr a = exp->properties; a; a = a->next) {
    xmlChar *want = xmlNodeGetContent((xmlNodePtr)a);
    xmlChar *have = xmlGetProp(got, a->name);
    VSC_AUTOFREE(char) where = vsc_asprintf("%s@%s", path, (const char *)a->name);
    if (!have)
      add_mismatch(out, where, vsc_asprintf("missing, expected '%s'", (const char *)want));
    else if (!same_value(exp, want, have))
      add_mismatch(out, where,
                   vsc_asprintf("expected '%s', got '%s'", (const char *)want, (const char *)have));
    xmlFree(want);
    xmlFree(have);
  }

  if (!has_element_children(exp)) {
    VSC_AUTOFREE(char) want = trimmed_text(exp);
    VSC_AUTOFREE(char) have = trimmed_text(got);
    if (*want && strcmp(want, have) != 0)
      add_mismatch(out, path, vsc_asprintf("text expected '%s', got '%s'", want, have));
    return;
  }

  for (xmlNodePtr c = first_element(exp->children); c; c = next_element(c)) {
    int index;
    xmlNodePtr g = counterpart(c, got, same_name, &index);
    VSC_AUTOFREE(char) sub = vsc_asprintf("%s/%s[%d]", path, (const char *)c->name, index);
    if (!g && !omitted_generated_source(c))
      add_mismatch(out, sub, vsc_strdup("element missing in libvirt's read-back"));
    else if (!g)
      continue;
    else
      compare_element(c, g, sub, out);
  }
}

/* "channel[2]" or "controller[type=virtio-serial][1]": the device's
 * position among the expected devices of its kind. */
static char *device_path(xmlNodePtr d) {
  int index = 1;
  for (xmlNodePtr n = first_element(d->parent->children); n != d; n = next_element(n))
    if (same_device_kind(n, d))
      index++;
  if (!xmlStrEqual(d->name, BAD_CAST "controller"))
    return vsc_asprintf("%s[%d]", (const char *)d->name, index);
  xmlChar *type = xmlGetProp(d, BAD_CAST "type");
  char *path = vsc_asprintf("controller[type=%s][%d]", type ? (const char *)type : "?", index);
  xmlFree(type);
  return path;
}

static void compare_devices(xmlNodePtr exp, xmlNodePtr got, vsc_buf *out) {
  for (xmlNodePtr d = first_element(exp->children); d; d = next_element(d)) {
    xmlNodePtr g = counterpart(d, got, same_device_kind, NULL);
    VSC_AUTOFREE(char) path = device_path(d);
    if (!g)
      add_mismatch(out, path, vsc_strdup("device missing in libvirt's read-back"));
    else
      compare_element(d, g, path, out);
  }
}

static bool needs_spice(xmlNodePtr devices) {
  for (xmlNodePtr d = first_element(devices->children); d; d = next_element(d)) {
    if (xmlStrEqual(d->name, BAD_CAST "graphics"))
      return false;
  }
  for (xmlNodePtr d = first_element(devices->children); d; d = next_element(d)) {
    if (prop_equals(d, "type", "spicevmc") || prop_equals(d, "type", "spiceport"))
      return true;
  }
  return false;
}

/* vhost-user devices (virtiofs, vhostuser disks and interfaces) need the
 * guest's memory shared. */
static bool needs_shared_memory(xmlNodePtr devices) {
  for (xmlNodePtr d = first_element(devices->children); d; d = next_element(d)) {
    if (xmlStrEqual(d->name, BAD_CAST "filesystem") || prop_equals(d, "type", "vhostuser"))
      return true;
  }
  return false;
}

/* A case directory as given, without trailing slashes and "./". */
static char *case_name(const char *dir) {
  while (strncmp(dir, "./", 2) == 0)
    dir += 2;
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/')
    len--;
  return vsc_strndup(dir, len);
}

/* Domain names: keep them short and free of anything a path would mind. */
static char *domain_name(const char *name) {
  char *dom = vsc_asprintf("oracle-%s", name);
  for (char *p = dom; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
      *p = '-';
  return dom;
}

static void write_readback(const oracle *o, const char *name, xmlNodePtr devices) {
  if (!o->out_dir)
    return;
  VSC_AUTOFREE(char) file_name = vsc_strdup(name);
  for (char *p = file_name; *p; p++)
    if (*p == '/')
      *p = '_';
  VSC_AUTOFREE(char) path = vsc_asprintf("%s/%s.xml", o->out_dir, file_name);
  xmlBufferPtr buf = xmlBufferCreate();
  xmlNodeDump(buf, devices->doc, devices, 0, 1);
  FILE *f = fopen(path, "w");
  if (!f || fprintf(f, "%s\n", (const char *)xmlBufferContent(buf)) < 0 || fclose(f) != 0)
    fprintf(stderr, "vschan-libvirt-oracle: cannot write '%s': %s\n", path, strerror(errno));
  xmlBufferFree(buf);
}

static xmlRelaxNGPtr compile_rng(xmlRelaxNGParserCtxtPtr pctxt, vsc_buf *msgs) {
  xmlRelaxNGSetParserStructuredErrors(pctxt, collect_xml_error, msgs);
  xmlRelaxNGPtr rng = xmlRelaxNGParse(pctxt);
  xmlRelaxNGFreeParserCtxt(pctxt);
  return rng;
}

/* A grammar whose start is one chardev or controller element, built on
 * the domaincommon.rng next to the domain schema.  libvirt's define names
 * are not an interface, so when this does not compile we do without. */
static xmlRelaxNGPtr compile_device_rng(const char *rng_path) {
  static const char *const defines[] = {"serial", "parallel", "console", "channel", "controller"};
  const char *slash = strrchr(rng_path, '/');
  VSC_AUTOFREE(char) common = slash ? vsc_asprintf("%.*s/domaincommon.rng",
                                                   (int)(slash - rng_path), rng_path)
                                    : vsc_strdup("domaincommon.rng");
  if (access(common, R_OK) != 0)
    return NULL;
  VSC_AUTOPTR(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr grammar = xmlNewNode(NULL, BAD_CAST "grammar");
  xmlDocSetRootElement(doc, grammar);
  xmlSetNs(grammar, xmlNewNs(grammar, BAD_CAST "http://relaxng.org/ns/structure/1.0", NULL));
  xmlNewProp(xmlNewChild(grammar, NULL, BAD_CAST "include", NULL), BAD_CAST "href", BAD_CAST common);
  xmlNodePtr choice = xmlNewChild(xmlNewChild(grammar, NULL, BAD_CAST "start", NULL), NULL,
                                  BAD_CAST "choice", NULL);
  for (size_t i = 0; i < VSC_N_ELEMENTS(defines); i++)
    xmlNewProp(xmlNewChild(choice, NULL, BAD_CAST "ref", NULL), BAD_CAST "name",
               BAD_CAST defines[i]);
  vsc_buf msgs = {0};
  xmlRelaxNGPtr rng = compile_rng(xmlRelaxNGNewDocParserCtxt(doc), &msgs);
  vsc_buf_clear(&msgs);
  return rng;
}

/* The devices of expected.xml (or only the device ONLY) in a minimal
 * domain of type qemu (TCG), so defining does not depend on /dev/kvm. */
static xmlDocPtr wrap_devices(const char *dom_name, xmlNodePtr exp_devices, xmlNodePtr only) {
  vsct_domain_opts opts = {.kvm = false, .spice = needs_spice(exp_devices),
                           .shared_memory = needs_shared_memory(exp_devices)};
  xmlNodePtr devices;
  xmlDocPtr domain = vsct_embed_domain_doc(dom_name, &opts, &devices);
  for (xmlNodePtr d = first_element(exp_devices->children); d; d = next_element(d))
    if (!only || d == only)
      xmlAddChild(devices, xmlDocCopyNode(d, domain, 1));
  return domain;
}

static bool rng_valid(xmlRelaxNGPtr schema, xmlDocPtr doc, vsc_buf *msgs) {
  xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema);
  xmlRelaxNGSetValidStructuredErrors(vctxt, collect_xml_error, msgs);
  int rc = xmlRelaxNGValidateDoc(vctxt, doc);
  xmlRelaxNGFreeValidCtxt(vctxt);
  if (rc != 0 && msgs->len == 0)
    vsc_buf_add(msgs, "the domain does not validate");
  return rc == 0;
}

static bool is_chardev_or_controller(xmlNodePtr d) {
  static const char *const names[] = {"serial", "parallel", "console", "channel", "controller"};
  for (size_t i = 0; i < VSC_N_ELEMENTS(names); i++)
    if (xmlStrEqual(d->name, BAD_CAST names[i]))
      return true;
  return false;
}

/* libxml2 blames the whole <devices> interleave ("Extra element devices
 * in interleave"); validate each device on its own to name it and, with
 * the device schema, the attribute at fault.  "" when no single device
 * is invalid (the combination is). */
static char *explain_rng_failure(const oracle *o, const char *dom_name, xmlNodePtr exp_devices) {
  vsc_buf out = {0};
  for (xmlNodePtr d = first_element(exp_devices->children); d; d = next_element(d)) {
    bool alone = o->device_rng && is_chardev_or_controller(d);
    VSC_AUTOPTR(xmlDoc) single = NULL;
    if (alone) {
      single = xmlNewDoc(BAD_CAST "1.0");
      xmlDocSetRootElement(single, xmlDocCopyNode(d, single, 1));
    } else {
      single = wrap_devices(dom_name, exp_devices, d);
    }
    vsc_buf why = {0};
    if (!rng_valid(alone ? o->device_rng : o->rng, single, &why)) {
      VSC_AUTOFREE(char) path = device_path(d);
      add_mismatch(&out, path, vsc_buf_steal(&why));
    }
    vsc_buf_clear(&why);
  }
  return vsc_buf_steal(&out);
}

/* The domain to validate and define, and in *exp_devices the expected
 * devices to look for in libvirt's read-back.  expected.xml is normally
 * a <devices> element, wrapped here in a minimal domain; a whole <domain>
 * (the cases of `vschan xml --into`) is used as it is, except that it
 * gets the case's domain name and type 'qemu' (TCG), so that defining
 * never depends on /dev/kvm; only its devices are compared.  NULL when
 * expected.xml is neither. */
static xmlDocPtr test_domain(xmlDocPtr expected, const char *dom_name, xmlNodePtr *exp_devices) {
  xmlNodePtr root = xmlDocGetRootElement(expected);
  if (root && xmlStrEqual(root->name, BAD_CAST "devices")) {
    *exp_devices = root;
    return wrap_devices(dom_name, root, NULL);
  }
  if (!root || !xmlStrEqual(root->name, BAD_CAST "domain"))
    return NULL;
  *exp_devices = child_element(root, "devices");
  xmlNodePtr name = child_element(root, "name");
  if (!*exp_devices || !name)
    return NULL;
  xmlDocPtr domain = xmlCopyDoc(expected, 1);
  xmlNodePtr droot = xmlDocGetRootElement(domain);
  xmlSetProp(droot, BAD_CAST "type", BAD_CAST "qemu");
  xmlNodeSetContent(child_element(droot, "name"), BAD_CAST dom_name);
  return domain;
}

/* Returns 0 passed, 1 failed, -1 skipped.  Prints the case's line. */
static int check_case(oracle *o, const char *dir) {
  VSC_AUTOFREE(char) name = case_name(dir);
  VSC_AUTOFREE(char) expected_path = vsc_asprintf("%s/expected.xml", name);
  if (access(expected_path, F_OK) != 0) {
    VSC_AUTOFREE(char) err_path = vsc_asprintf("%s/expected.err", name);
    printf("skip %s: %s\n", name,
           access(err_path, F_OK) == 0 ? "error case" : "no expected.xml or expected.err");
    return -1;
  }

  vsc_buf msgs = {0};
  xmlSetStructuredErrorFunc(&msgs, collect_xml_error);
  VSC_AUTOPTR(xmlDoc) expected = xmlReadFile(expected_path, NULL, XML_PARSE_NONET);
  xmlSetStructuredErrorFunc(NULL, NULL);
  VSC_AUTOFREE(char) parse_errors = vsc_buf_steal(&msgs);
  if (!expected) {
    printf("FAIL %s: parse %s\n", name, parse_errors);
    return 1;
  }

  VSC_AUTOFREE(char) dom_name = domain_name(name);
  xmlNodePtr exp_devices = NULL;
  VSC_AUTOPTR(xmlDoc) domain = test_domain(expected, dom_name, &exp_devices);
  if (!domain) {
    printf("FAIL %s: parse expected.xml is neither <devices> nor a <domain> with <devices>\n",
           name);
    return 1;
  }

  if (!rng_valid(o->rng, domain, &msgs)) {
    VSC_AUTOFREE(char) whole = vsc_buf_steal(&msgs);
    VSC_AUTOFREE(char) detail = explain_rng_failure(o, dom_name, exp_devices);
    printf("FAIL %s: rng %s\n", name, *detail ? detail : whole);
    return 1;
  }
  vsc_buf_clear(&msgs);

  xmlChar *dom_xml = NULL;
  int dom_len = 0;
  xmlDocDumpFormatMemory(domain, &dom_xml, &dom_len, 1);
  virDomainPtr dom = vsct_embed_define(o->embed, (const char *)dom_xml);
  xmlFree(dom_xml);
  if (!dom) {
    printf("FAIL %s: define %s\n", name, vsct_embed_error(o->embed));
    return 1;
  }
  char *readback = vsct_embed_inactive_xml(o->embed, dom);
  if (!readback) {
    printf("FAIL %s: readback %s\n", name, vsct_embed_error(o->embed));
    vsct_embed_destroy_undefine(o->embed, dom);
    return 1;
  }
  if (vsct_embed_destroy_undefine(o->embed, dom) < 0) {
    printf("FAIL %s: define cannot undefine '%s': %s\n", name, dom_name,
           vsct_embed_error(o->embed));
    free(readback);
    return 1;
  }

  VSC_AUTOPTR(xmlDoc) got = xmlReadMemory(readback, (int)strlen(readback), "readback.xml",
                                          NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
  free(readback);
  xmlNodePtr got_devices = got ? child_element(xmlDocGetRootElement(got), "devices") : NULL;
  if (!got_devices) {
    printf("FAIL %s: readback libvirt's XML has no <devices>\n", name);
    return 1;
  }
  write_readback(o, name, got_devices);

  compare_devices(exp_devices, got_devices, &msgs);
  VSC_AUTOFREE(char) detail = vsc_buf_steal(&msgs);
  if (*detail) {
    printf("FAIL %s: readback %s\n", name, detail);
    return 1;
  }
  printf("ok %s\n", name);
  return 0;
}

static void usage(FILE *f) {
  fprintf(f, "usage: vschan-libvirt-oracle --root DIR [--rng PATH] [--out DIR] CASEDIR...\n"
             "  --root DIR   embed root prepared by tests/lib/embed-root.sh\n"
             "  --rng PATH   libvirt domain schema (default " DEFAULT_RNG ")\n"
             "  --out DIR    write libvirt's read-back <devices> of each case there\n");
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
    {"root", required_argument, NULL, 'r'},
    {"rng", required_argument, NULL, 's'},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  const char *root = NULL, *rng_path = DEFAULT_RNG;
  oracle o = {0};
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'r': root = optarg; break;
    case 's': rng_path = optarg; break;
    case 'o': o.out_dir = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (!root || optind >= argc) {
    usage(stderr);
    return 2;
  }
  VSC_AUTOFREE(char) conf = vsc_asprintf("%s/etc/qemu.conf", root);
  if (access(conf, R_OK) != 0) {
    fprintf(stderr, "vschan-libvirt-oracle: '%s' is missing; run tests/lib/embed-root.sh '%s' first\n",
            conf, root);
    return 2;
  }
  if (o.out_dir && mkdir(o.out_dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "vschan-libvirt-oracle: cannot create '%s': %s\n", o.out_dir, strerror(errno));
    return 2;
  }
  if (!getpwnam("libvirt-qemu"))
    return env_failure("user '%s' does not exist; install libvirt-daemon-system", "libvirt-qemu");
  if (access(rng_path, R_OK) != 0)
    return env_failure("cannot read the libvirt schema '%s'; install libvirt-daemon or pass --rng",
                       rng_path);

  vsc_buf msgs = {0};
  o.rng = compile_rng(xmlRelaxNGNewParserCtxt(rng_path), &msgs);
  VSC_AUTOFREE(char) rng_errors = vsc_buf_steal(&msgs);
  if (!o.rng) {
    fprintf(stderr, "vschan-libvirt-oracle: cannot compile '%s': %s\n", rng_path, rng_errors);
    return 1;
  }

  o.device_rng = compile_device_rng(rng_path);

  char *error = NULL;
  o.embed = vsct_embed_open(root, &error);
  if (!o.embed) {
    int rc = env_failure("%s", error);
    free(error);
    xmlRelaxNGFree(o.rng);
    xmlRelaxNGFree(o.device_rng);
    return rc;
  }

  int passed = 0, failed = 0, skipped = 0;
  for (int i = optind; i < argc; i++) {
    int r = check_case(&o, argv[i]);
    if (r == 0)
      passed++;
    else if (r > 0)
      failed++;
    else
      skipped++;
    fflush(stdout);
  }
  vsct_embed_close(o.embed);
  xmlRelaxNGFree(o.rng);
  xmlRelaxNGFree(o.device_rng);
  fprintf(stderr, "vschan-libvirt-oracle: %d passed, %d failed, %d skipped\n", passed, failed,
          skipped);
  return failed ? 1 : 0;
}
