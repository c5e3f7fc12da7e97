/* vsct-verdict: libvirt's own verdict on domain documents.
 *
 *   vsct-verdict --root DIR [--rng PATH] FILE...
 *
 * For each FILE: validate against libvirt's installed RNG schema (what
 * virt-xml-validate does), then define it on the embedded QEMU driver
 * (qemu:///embed?root=DIR, prepared by tests/lib/embed-root.sh) and
 * undefine it again.  Both steps run whatever the other says, so the
 * verdict records each.  One line per file on stdout:
 *
 *   NAME<TAB>accept|reject<TAB>rng:ok|fail<TAB>define:ok|fail<TAB>MESSAGE
 *
 * NAME is the file name without directory and ".xml"; MESSAGE is the
 * first schema error or libvirt's define error ("-" when accepted), on
 * one line.  The domain is defined under the name vsct-verdict-NAME so a
 * corpus document never collides with anything else in the root.
 *
 * Exit 0 when every file got a verdict, 1 on a file that cannot be read,
 * 2 on usage errors, 77 when libvirt's driver cannot run here (1 with CI
 * set). */
#include "embed.h"
#include "test.h"

#include "util/buf.h"
#include "util/mem.h"

#include <ctype.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_RNG "/usr/share/libvirt/schemas/domain.rng"

static void first_error(void *opaque, xmlErrorPtr err)
{
  vsc_buf *b = opaque;
  if (b->len > 0 || !err->message)
    return;
  vsc_buf_add(b, err->message);
}

/* Tabs and new lines would break the TSV. */
static void one_line(char *s)
{
  for (; *s; s++)
    if (*s == '\t' || *s == '\n' || *s == '\r')
      *s = ' ';
}

static char *trimmed(char *s)
{
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  one_line(s);
  return s;
}

static char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  const char *b = slash ? slash + 1 : path;
  size_t n = strlen(b);
  if (n > 4 && strcmp(b + n - 4, ".xml") == 0)
    n -= 4;
  return vsc_strndup(b, n);
}

static int verdict(vsct_embed *e, xmlRelaxNGPtr rng, const char *path)
{
  VSC_AUTOFREE(char) name = base_name(path);
  xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) {
    fprintf(stderr, "vsct-verdict: cannot parse '%s'\n", path);
    return -1;
  }

  vsc_buf rng_msg = { 0 };
  xmlRelaxNGValidCtxtPtr v = xmlRelaxNGNewValidCtxt(rng);
  xmlRelaxNGSetValidStructuredErrors(v, first_error, &rng_msg);
  bool rng_ok = xmlRelaxNGValidateDoc(v, doc) == 0;
  xmlRelaxNGFreeValidCtxt(v);

  /* Define under a name of ours; a document without a name keeps none. */
  VSC_AUTOFREE(char) dom_name = vsc_asprintf("vsct-verdict-%s", name);
  xmlNodePtr root = xmlDocGetRootElement(doc);
  for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "name"))
      xmlNodeSetContent(n, BAD_CAST dom_name);
  xmlChar *xml = NULL;
  int len = 0;
  xmlDocDumpMemory(doc, &xml, &len);
  xmlFreeDoc(doc);

  virDomainPtr dom = vsct_embed_define(e, (const char *)xml);
  xmlFree(xml);
  VSC_AUTOFREE(char) define_msg = vsc_strdup(dom ? "" : vsct_embed_error(e));
  if (dom && vsct_embed_destroy_undefine(e, dom) < 0)
    fprintf(stderr, "vsct-verdict: cannot undefine '%s': %s\n", dom_name, vsct_embed_error(e));

  VSC_AUTOFREE(char) rng_text = vsc_buf_steal(&rng_msg);
  const char *msg = !rng_ok ? trimmed(rng_text) : !dom ? trimmed(define_msg) : "-";
  printf("%s\t%s\trng:%s\tdefine:%s\t%s\n", name, rng_ok && dom ? "accept" : "reject", rng_ok ? "ok" : "fail",
         dom ? "ok" : "fail", *msg ? msg : "-");
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv)
{
  static const struct option longopts[] = {
    { "root", required_argument, NULL, 'r' },
    { "rng", required_argument, NULL, 's' },
    { NULL, 0, NULL, 0 },
  };
  const char *root = NULL, *rng_path = DEFAULT_RNG;
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'r': root = optarg; break;
    case 's': rng_path = optarg; break;
    default: return 2;
    }
  }
  if (!root || optind >= argc) {
    fprintf(stderr, "usage: vsct-verdict --root DIR [--rng PATH] FILE...\n");
    return 2;
  }
  if (!getpwnam("libvirt-qemu") || access(rng_path, R_OK) != 0)
    return vsct_skip("vsct-verdict: libvirt-daemon-system or '%s' is missing", rng_path);
  xmlRelaxNGParserCtxtPtr p = xmlRelaxNGNewParserCtxt(rng_path);
  xmlRelaxNGPtr rng = xmlRelaxNGParse(p);
  xmlRelaxNGFreeParserCtxt(p);
  if (!rng) {
    fprintf(stderr, "vsct-verdict: cannot compile '%s'\n", rng_path);
    return 1;
  }
  char *error = NULL;
  vsct_embed *e = vsct_embed_open(root, &error);
  if (!e) {
    int rc = vsct_skip("vsct-verdict: %s", error);
    free(error);
    xmlRelaxNGFree(rng);
    return rc;
  }
  int rc = 0;
  for (int i = optind; i < argc; i++)
    if (verdict(e, rng, argv[i]) < 0)
      rc = 1;
  vsct_embed_close(e);
  xmlRelaxNGFree(rng);
  return rc;
}
