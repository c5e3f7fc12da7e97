/* The XML reader and writer: reading vschan's own output and writing it
 * again gives the same text for every golden case, and XML
 * metacharacters survive. */
#include "unit.h"
#include "spec/spec.h"
#include "util/file.h"
#include "xml/xml.h"

static int round_trips;

static void round_trip_case(const char *dir, const char *name)
{
  char path[4096];
  vsc_diags diags = { 0 };
  vsc_devset set;
  size_t len;

  snprintf(path, sizeof(path), "%s/expected.xml", dir);
  char *text = vsc_file_read(path, 0, &len, &diags);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  xmlDocPtr doc = vsc_xml_read(text, len, path, &diags);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  xmlNodePtr root = xmlDocGetRootElement(doc);
  if (strcmp((const char *)root->name, "devices") == 0) {
    vsc_devset_init(&set);
    CU_ASSERT_EQUAL(vsc_xml_collect(root, path, &set, &diags), 0);
    char *again = vsc_xml_devset_to_string(&set);
    if (strcmp(again, text) != 0)
      printf("XML round trip differs: %s\n%s\n", name, again);
    CU_ASSERT_STRING_EQUAL(again, text);
    free(again);
    vsc_devset_clear(&set);
    round_trips++;
  }
  xmlFreeDoc(doc);
  free(text);
  vsc_diags_clear(&diags);
}

static void test_round_trip(void)
{
  unit_each_case("expected.xml", round_trip_case);
  CU_ASSERT(round_trips >= 60);
}

static void test_escaping(void)
{
  static const char spec[] =
    "{\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"/run/a<b>&\\\"c'd\"},"
    "\"target\":{\"type\":\"virtio\",\"name\":\"org.x\"}}]}";
  vsc_devset set, back;
  vsc_diags diags = { 0 };
  vsc_devset_init(&set);
  vsc_devset_init(&back);
  CU_ASSERT_EQUAL_FATAL(vsc_spec_parse(spec, strlen(spec), "t", &set, &diags), 0);
  char *text = vsc_xml_devset_to_string(&set);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "a&lt;b&gt;&amp;&quot;c'd"));
  xmlDocPtr doc = vsc_xml_read(text, strlen(text), "t", &diags);
  CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
  CU_ASSERT_EQUAL(vsc_xml_collect(xmlDocGetRootElement(doc), "t", &back, &diags), 0);
  CU_ASSERT_EQUAL_FATAL(back.ndevs, 1);
  CU_ASSERT_STRING_EQUAL(back.devs[0]->sources[0].path, "/run/a<b>&\"c'd");
  xmlFreeDoc(doc);
  free(text);
  vsc_devset_clear(&set);
  vsc_devset_clear(&back);
  vsc_diags_clear(&diags);
}

static void test_hostile_xml(void)
{
  static const char *bad[] = {
    "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><devices>&b;</devices>",
    "<!DOCTYPE d SYSTEM \"http://192.0.2.1/evil.dtd\"><devices/>",
    "<devices><channel type='pty'>",
    "<devices>\xff\xfe</devices>",
    "",
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad); i++) {
    vsc_diags diags = { 0 };
    xmlDocPtr doc = vsc_xml_read(bad[i], strlen(bad[i]), "bad.xml", &diags);
    CU_ASSERT_PTR_NULL(doc);
    CU_ASSERT_TRUE(vsc_diags_has_errors(&diags));
    if (doc)
      xmlFreeDoc(doc);
    vsc_diags_clear(&diags);
  }
}

static void test_structure_errors(void)
{
  static const char *bad[] = {
    "<serial type='tcp'><source mode='bind' host='a' service='1'/><source mode='connect' host='b' service='2'/></serial>",
    "<serial type='file'><source path='/a'/><log file='/b'/><log file='/c'/></serial>",
    "<serial type='socket'/>",
    "<serial type='file'><source path='/a' append='yes'/></serial>",
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad); i++) {
    vsc_diags diags = { 0 };
    xmlDocPtr doc = vsc_xml_read(bad[i], strlen(bad[i]), "x.xml", &diags);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    vsc_chardev *dev = vsc_xml_parse_chardev(xmlDocGetRootElement(doc), "x.xml", &diags);
    CU_ASSERT_PTR_NULL(dev);
    CU_ASSERT_TRUE(diags.n >= 1 && diags.items[0].line == 1);
    vsc_chardev_free(dev);
    xmlFreeDoc(doc);
    vsc_diags_clear(&diags);
  }
}

int main(void)
{
  static const CU_TestInfo tests[] = {
    { "XML round trip over every golden case", test_round_trip },
    { "XML metacharacters are escaped and read back", test_escaping },
    { "entities, DTDs, bad bytes and truncation are refused", test_hostile_xml },
    { "libvirt's structural rules", test_structure_errors },
    CU_TEST_INFO_NULL,
  };
  return unit_run("xml", tests);
}
