/* The device model: enum tables, identity, source comparison, copies. */
#include "unit.h"
#include "model/chardev.h"
#include "model/rules.h"
#include "spec/spec.h"

static void round_trip(const char *const *table, int last, const char *(*to)(int), int (*from)(const char *))
{
  for (int i = 0; i < last; i++) {
    const char *s = to(i);
    CU_ASSERT_PTR_NOT_NULL(s);
    if (s && *s)
      CU_ASSERT_EQUAL(from(s), i);
  }
  CU_ASSERT_PTR_NULL(to(last));
  CU_ASSERT_PTR_NULL(to(-1));
  CU_ASSERT_EQUAL(from("no-such-value"), -1);
  CU_ASSERT_EQUAL(from(NULL), -1);
  CU_ASSERT_EQUAL(from(""), -1);   /* the "absent" slot is never a value */
  (void)table;
}

static void test_enums(void)
{
  round_trip(vsc_kind_table, VSC_KIND_LAST, vsc_kind_to_string, vsc_kind_from_string);
  round_trip(vsc_backend_table, VSC_BACKEND_LAST, vsc_backend_to_string, vsc_backend_from_string);
  round_trip(vsc_mode_table, VSC_MODE_LAST, vsc_mode_to_string, vsc_mode_from_string);
  round_trip(vsc_protocol_table, VSC_PROTOCOL_LAST, vsc_protocol_to_string, vsc_protocol_from_string);
  round_trip(vsc_target_type_table, VSC_TARGET_LAST, vsc_target_type_to_string, vsc_target_type_from_string);
  round_trip(vsc_serial_model_table, VSC_MODEL_LAST, vsc_serial_model_to_string, vsc_serial_model_from_string);
  round_trip(vsc_mouse_mode_table, VSC_MOUSE_LAST, vsc_mouse_mode_to_string, vsc_mouse_mode_from_string);
  CU_ASSERT_STRING_EQUAL(vsc_backend_to_string(VSC_BACKEND_QEMU_VDAGENT), "qemu-vdagent");
  CU_ASSERT_EQUAL(vsc_target_type_from_string("isa-debug"), VSC_TARGET_ISA_DEBUG);
}

static void test_target_tables(void)
{
  /* Every serial target type with a fixed model maps to it, and only
   * serials take serial target types. */
  CU_ASSERT_EQUAL(vsc_serial_model_for_target(VSC_TARGET_PCI_SERIAL), VSC_MODEL_PCI_SERIAL);
  CU_ASSERT_EQUAL(vsc_serial_model_for_target(VSC_TARGET_ISA_DEBUG), VSC_MODEL_ISA_DEBUGCON);
  CU_ASSERT_EQUAL(vsc_serial_model_for_target(VSC_TARGET_SYSTEM_SERIAL), VSC_MODEL_ABSENT);
  CU_ASSERT_TRUE(vsc_target_type_allowed(VSC_KIND_CHANNEL, VSC_TARGET_GUESTFWD));
  CU_ASSERT_FALSE(vsc_target_type_allowed(VSC_KIND_CONSOLE, VSC_TARGET_GUESTFWD));
  CU_ASSERT_FALSE(vsc_target_type_allowed(VSC_KIND_SERIAL, VSC_TARGET_VIRTIO));
  CU_ASSERT_TRUE(vsc_target_type_allowed(VSC_KIND_CONSOLE, VSC_TARGET_VIRTIO));
  CU_ASSERT_FALSE(vsc_target_type_allowed(VSC_KIND_PARALLEL, VSC_TARGET_ISA_SERIAL));
  for (int t = 1; t < VSC_TARGET_LAST; t++) {
    int kinds = 0;
    for (int k = 0; k < VSC_KIND_LAST; k++)
      kinds += vsc_target_type_allowed((vsc_kind)k, (vsc_target_type)t);
    CU_ASSERT(kinds >= 1 && kinds <= 2);
  }
  /* Rules are listed once each. */
  for (const vsc_rule_info *a = vsc_rules; a->id; a++)
    for (const vsc_rule_info *b = a + 1; b->id; b++)
      CU_ASSERT(strcmp(a->id, b->id) != 0);
}

static vsc_chardev *parse_one(const char *json)
{
  vsc_devset set;
  vsc_diags diags = { 0 };
  vsc_devset_init(&set);
  CU_ASSERT_EQUAL_FATAL(vsc_spec_parse(json, strlen(json), "t", &set, &diags), 0);
  CU_ASSERT_EQUAL_FATAL(set.ndevs, 1);
  vsc_chardev *dev = set.devs[0];
  set.ndevs = 0;
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
  return dev;
}

static void test_identity(void)
{
  vsc_chardev *a = parse_one("{\"channels\":[{\"type\":\"unix\",\"target\":{\"type\":\"virtio\",\"name\":\"org.a\"}}]}");
  vsc_chardev *b = parse_one("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"org.a\"}}]}");
  vsc_chardev *c = parse_one("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"org.b\"},\"alias\":\"x\"}]}");
  vsc_chardev *d = parse_one("{\"serials\":[{\"type\":\"pty\",\"alias\":\"ua-x\",\"target\":{\"port\":1}}]}");
  vsc_chardev *g1 = parse_one("{\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"guestfwd\",\"address\":\"10.0.2.1\",\"port\":1}}]}");
  vsc_chardev *g2 = parse_one("{\"channels\":[{\"type\":\"unix\",\"source\":{\"path\":\"/p\"},\"target\":{\"type\":\"guestfwd\",\"address\":\"10.0.2.1\",\"port\":1}}]}");
  vsc_chardev *s0 = parse_one("{\"serials\":[{\"type\":\"pty\",\"target\":{\"port\":0}}]}");
  vsc_chardev *c0 = parse_one("{\"consoles\":[{\"type\":\"pty\",\"target\":{\"type\":\"serial\",\"port\":0}}]}");

  CU_ASSERT_TRUE(vsc_chardev_same_identity(a, b));        /* same virtio name */
  CU_ASSERT_FALSE(vsc_chardev_same_identity(a, c));
  CU_ASSERT_TRUE(vsc_chardev_same_identity(c, d));        /* alias, with or without ua- */
  CU_ASSERT_TRUE(vsc_chardev_same_identity(g1, g2));      /* guestfwd address:port */
  CU_ASSERT_FALSE(vsc_chardev_same_identity(g1, a));
  CU_ASSERT_FALSE(vsc_chardev_same_identity(s0, c0));     /* different kinds */
  CU_ASSERT_FALSE(vsc_chardev_same_source(a, b));
  CU_ASSERT_TRUE(vsc_chardev_same_source(b, c));          /* both pty, no source */
  CU_ASSERT_FALSE(vsc_chardev_same_source(g1, g2));

  vsc_chardev *copy = vsc_chardev_copy(g2);
  json_t *j1 = vsc_spec_format_chardev(g2), *j2 = vsc_spec_format_chardev(copy);
  CU_ASSERT_TRUE(json_equal(j1, j2));
  json_decref(j1);
  json_decref(j2);

  char *what = vsc_chardev_describe(g1);
  CU_ASSERT_STRING_EQUAL(what, "guestfwd channel 10.0.2.1:1");
  free(what);
  what = vsc_chardev_describe(c);
  CU_ASSERT_STRING_EQUAL(what, "channel 'ua-x'");
  free(what);

  vsc_chardev *all[] = { a, b, c, d, g1, g2, s0, c0, copy };
  for (size_t i = 0; i < VSC_N_ELEMENTS(all); i++)
    vsc_chardev_free(all[i]);
}

int main(void)
{
  static const CU_TestInfo tests[] = {
    { "enum tables round-trip", test_enums },
    { "target type tables", test_target_tables },
    { "identity and source comparison", test_identity },
    CU_TEST_INFO_NULL,
  };
  return unit_run("model", tests);
}
