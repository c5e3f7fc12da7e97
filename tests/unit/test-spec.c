/* The spec reader and writer: symmetric over every golden case, and the
 * JSON Schema in sync with the reader's keys and enum tables. */
#include "unit.h"
#include "model/vhost.h"
#include "spec/spec.h"
#include "util/file.h"

static json_t *parse_format(const char *text, size_t len)
{
  vsc_devset set;
  vsc_diags diags = { 0 };
  vsc_devset_init(&set);
  int rc = vsc_spec_parse(text, len, "t", &set, &diags);
  json_t *out = rc == 0 ? vsc_spec_format(&set) : NULL;
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
  return out;
}

static int round_trips;

/* format(parse(x)) is a fixed point: parsing what we write gives it back. */
static void round_trip_case(const char *dir, const char *name)
{
  char path[4096];
  vsc_diags diags = { 0 };
  size_t len;
  snprintf(path, sizeof(path), "%s/spec.json", dir);
  char *text = vsc_file_read(path, 0, &len, &diags);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  json_t *once = parse_format(text, len);
  if (once) {
    char *again_text = json_dumps(once, 0);
    json_t *twice = parse_format(again_text, strlen(again_text));
    if (!json_equal(once, twice))
      printf("round trip differs: %s\n", name);
    CU_ASSERT_TRUE(json_equal(once, twice));
    json_decref(twice);
    free(again_text);
    round_trips++;
  }
  json_decref(once);
  free(text);
  vsc_diags_clear(&diags);
}

static void test_round_trip(void)
{
  unit_each_case("spec.json", round_trip_case);
  CU_ASSERT(round_trips >= 60);
}

static json_t *load_schema(void)
{
  json_error_t err;
  json_t *schema = json_load_file(VSCHAN_SOURCE_DIR "/schemas/vschan-spec.schema.json", 0, &err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(schema);
  return schema;
}

/* The schema object describing reader object NAME. */
static json_t *schema_object(json_t *schema, const char *name)
{
  if (strcmp(name, "root") == 0)
    return schema;
  return json_object_get(json_object_get(schema, "$defs"), name);
}

static void test_schema_keys(void)
{
  json_t *schema = load_schema();
  for (const vsc_spec_object *o = vsc_spec_objects; o->name; o++) {
    json_t *def = schema_object(schema, o->name);
    json_t *props = json_object_get(def, "properties");
    size_t nkeys = 0;
    if (!props)
      printf("schema has no object '%s'\n", o->name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(props);
    CU_ASSERT_TRUE(json_is_false(json_object_get(def, "additionalProperties")));
    for (const char *const *k = o->keys; *k; k++, nkeys++) {
      if (!json_object_get(props, *k))
        printf("schema object '%s' lacks key '%s'\n", o->name, *k);
      CU_ASSERT_PTR_NOT_NULL(json_object_get(props, *k));
    }
    if (json_object_size(props) != nkeys)
      printf("schema object '%s' has %zu keys, the reader %zu\n", o->name, json_object_size(props), nkeys);
    CU_ASSERT_EQUAL(json_object_size(props), nkeys);
  }
  json_decref(schema);
}

static void check_enum(json_t *e, const char *const *table, int last, const char *what)
{
  json_t *arr = json_object_get(e, "enum");
  size_t n = 0;
  CU_ASSERT_PTR_NOT_NULL_FATAL(arr);
  for (int i = 0; i < last; i++) {
    if (!*table[i])
      continue;
    bool found = false;
    size_t j;
    json_t *v;
    json_array_foreach(arr, j, v) found |= strcmp(json_string_value(v), table[i]) == 0;
    if (!found)
      printf("schema enum %s lacks '%s'\n", what, table[i]);
    CU_ASSERT_TRUE(found);
    n++;
  }
  CU_ASSERT_EQUAL(json_array_size(arr), n);
}

static void test_schema_enums(void)
{
  json_t *schema = load_schema();
  json_t *defs = json_object_get(schema, "$defs");
  json_t *dev = json_object_get(json_object_get(defs, "device"), "properties");
  json_t *tgt = json_object_get(json_object_get(defs, "target"), "properties");
  json_t *src = json_object_get(json_object_get(defs, "source"), "properties");
  json_t *mouse = json_object_get(json_object_get(defs, "mouse"), "properties");

  check_enum(json_object_get(dev, "type"), vsc_backend_table, VSC_BACKEND_LAST, "backend");
  check_enum(json_object_get(dev, "protocol"), vsc_protocol_table, VSC_PROTOCOL_LAST, "protocol");
  check_enum(json_object_get(tgt, "type"), vsc_target_type_table, VSC_TARGET_LAST, "target type");
  check_enum(json_object_get(tgt, "model"), vsc_serial_model_table, VSC_MODEL_LAST, "model");
  check_enum(json_object_get(src, "mode"), vsc_mode_table, VSC_MODE_LAST, "mode");
  check_enum(json_object_get(mouse, "mode"), vsc_mouse_mode_table, VSC_MOUSE_LAST, "mouse mode");
  json_decref(schema);
}

static void test_errors_have_pointers(void)
{
  static const char *bad[] = {
    "{\"channels\":[{\"type\":\"pty\",\"target\":{\"port\":\"1\"}}]}",
    "{\"serials\":[{}, {\"source\":{\"reconnect\":{\"timeout\":-1}}}]}",
    "{\"consoles\":{}}",
    "[]",
  };
  static const char *where[] = { "/channels/0/target/port", "/serials/1/source/reconnect/timeout",
                                 "/consoles", "/" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad); i++) {
    vsc_devset set;
    vsc_diags diags = { 0 };
    vsc_devset_init(&set);
    CU_ASSERT_EQUAL(vsc_spec_parse(bad[i], strlen(bad[i]), "f.json", &set, &diags), -1);
    CU_ASSERT_TRUE_FATAL(diags.n >= 1);
    CU_ASSERT_STRING_EQUAL(diags.items[0].pointer, where[i]);
    CU_ASSERT_STRING_EQUAL(diags.items[0].file, "f.json");
    vsc_devset_clear(&set);
    vsc_diags_clear(&diags);
  }
}

/* The schema of a vhost-user section against the field table: every
 * field of the kind at its spec path, no leaf the table lacks. */
static size_t schema_leaves(json_t *obj, bool top)
{
  size_t n = 0;
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(obj, "properties"), key, v) {
    /* the device's address, properties and device are read by hand */
    if (top && (strcmp(key, "address") == 0 || strcmp(key, "properties") == 0 || strcmp(key, "device") == 0))
      continue;
    n += json_object_get(v, "properties") ? schema_leaves(v, false) : 1;
  }
  return n;
}

static void test_schema_vhost(void)
{
  json_t *schema = load_schema();
  static const struct { vsc_vhost_kind kind; const char *def; } sections[] = {
    { VSC_VHOST_FS, "vhost-filesystem" }, { VSC_VHOST_NET, "vhost-interface" },
    { VSC_VHOST_BLK, "vhost-disk" }, { VSC_VHOST_VSOCK, "vhost-vhostuser" },
  };
  for (size_t s = 0; s < VSC_N_ELEMENTS(sections); s++) {
    json_t *def = json_object_get(json_object_get(schema, "$defs"), sections[s].def);
    size_t nfields = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(def);
    for (size_t i = 0; i < VSC_VF_LAST; i++) {
      const vsc_vhost_field *f = &vsc_vhost_fields[i];
      if (!vsc_vhost_takes(sections[s].kind, (vsc_vhost_field_id)i) ||
          (i == VSC_VF_DEVICE && sections[s].kind == VSC_VHOST_VSOCK))
        continue;
      nfields += i != VSC_VF_DEVICE;   /* schema_leaves skips "device" */
      json_t *o = def;
      char *path = vsc_strdup(f->spec);
      for (char *part = strtok(path, "/"); part && o; part = strtok(NULL, "/"))
        o = json_object_get(json_object_get(o, "properties"), part);
      if (!o)
        printf("schema %s lacks %s\n", sections[s].def, f->spec);
      CU_ASSERT_PTR_NOT_NULL(o);
      if (o && f->type == VSC_VFT_ENUM) {
        size_t n = 0;
        while (f->values[n])
          n++;
        CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "enum")), n);
      }
      free(path);
    }
    if (schema_leaves(def, true) != nfields)
      printf("schema %s has %zu fields, the table %zu\n", sections[s].def, schema_leaves(def, true), nfields);
    CU_ASSERT_EQUAL(schema_leaves(def, true), nfields);
  }
  json_decref(schema);
}

int main(void)
{
  static const CU_TestInfo tests[] = {
    { "spec round trip over every golden case", test_round_trip },
    { "JSON Schema keys match the reader", test_schema_keys },
    { "JSON Schema enums match the enum tables", test_schema_enums },
    { "JSON Schema of vhost-user devices matches the field table", test_schema_vhost },
    { "errors carry file and JSON pointer", test_errors_have_pointers },
    CU_TEST_INFO_NULL,
  };
  return unit_run("spec", tests);
}
