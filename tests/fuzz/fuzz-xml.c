/* The libvirt XML reader and the rules: any bytes either read into the
 * model or give an error.  What was read writes back to XML that reads and
 * writes again to the same text; a <domain> also takes its own devices
 * merged back in; as input to qemu-args (and qm), its QEMU arguments read
 * back into devices that write the same arguments. */
#include "fuzz.h"
#include "model/rules.h"
#include "xml/xml.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_init();
  return 0;
}

/* Formatting what was read is a fixed point after one step. */
static void check_rewrite(const vsc_devset *set)
{
  vsc_diags diags = { 0 };
  vsc_devset again;
  char *text = vsc_xml_devset_to_string(set);
  xmlDocPtr doc = vsc_xml_read(text, strlen(text), "rewrite.xml", &diags);
  FUZZ_CHECK(doc != NULL, "vschan's own XML does not parse: %s\n%s",
             diags.n ? diags.items[0].message : "?", text);
  vsc_devset_init(&again);
  int rc = vsc_xml_collect(xmlDocGetRootElement(doc), "rewrite.xml", &again, &diags);
  FUZZ_CHECK(rc == 0, "vschan's own XML does not read back: %s\n%s",
             diags.n ? diags.items[0].message : "?", text);
  char *text2 = vsc_xml_devset_to_string(&again);
  FUZZ_CHECK(strcmp(text, text2) == 0, "XML rewrite differs\n%s\n---\n%s", text, text2);
  free(text2);
  vsc_devset_clear(&again);
  xmlFreeDoc(doc);
  vsc_diags_clear(&diags);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vsc_diags diags = { 0 };
  vsc_devset set;
  xmlDocPtr doc = vsc_xml_read((const char *)data, size, "fuzz.xml", &diags);
  if (!doc) {
    FUZZ_CHECK(vsc_diags_has_errors(&diags), "read failed without an error");
    vsc_diags_clear(&diags);
    return 0;
  }
  xmlNodePtr root = xmlDocGetRootElement(doc);
  vsc_devset_init(&set);
  if (root && vsc_xml_collect(root, "fuzz.xml", &set, &diags) == 0) {
    vsc_domain_info info = { 0 };
    bool domain = strcmp((const char *)root->name, "domain") == 0;
    if (domain)
      vsc_xml_domain_info(root, &info);
    vsc_rules_check(&set, domain ? &info : NULL, &diags);
    vsc_domain_info_clear(&info);
    check_rewrite(&set);
    /* a domain's XML as input to qemu-args and qm */
    fuzz_check_argv_round_trip(&set);
    if (domain && vsc_xml_merge_into_domain(doc, &set, &diags) == 0)
      free(vsc_xml_doc_to_string(doc));
  }
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
  xmlFreeDoc(doc);
  return 0;
}
