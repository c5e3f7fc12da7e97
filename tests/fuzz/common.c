#include "fuzz.h"
#include "qemu/qemu.h"

#include "model/rules.h"
#include "model/vhost.h"
#include "spec/spec.h"
#include "util/mem.h"
#include "xml/xml.h"

#include <libxml/parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "%s:%d: invariant broken: %s\n  ", file, line, cond);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

/* libxml2 prints what it reports to no context on stderr; vschan must
 * catch every error itself, so a message here is a finding. */
static void __attribute__((format(printf, 2, 3))) stray_libxml2_message(void *ctx, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  (void)ctx;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  fuzz_fail(__FILE__, __LINE__, "no libxml2 message on stderr", "libxml2 printed: %s", msg);
}

void fuzz_init(void)
{
  static int done;
  if (done++)
    return;
  vsc_mem_init();
  xmlInitParser();
  xmlSetGenericErrorFunc(NULL, stray_libxml2_message);
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
  return vsc_strndup((const char *)data, size);
}

char *fuzz_spec_text(const vsc_devset *set)
{
  json_t *j = vsc_spec_format(set);
  char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(j);
  FUZZ_CHECK(s != NULL, "json_dumps failed on a formatted spec");
  return s;
}

/* The XML leaves out empty strings (libvirt's defaults apply, as for an
 * absent key) and then an empty <source/>; the spec keeps both. */
static void drop_empty_strings(json_t *v)
{
  const char *key;
  json_t *member;
  void *tmp;
  size_t i;
  if (json_is_object(v)) {
    json_object_foreach_safe(v, tmp, key, member) {
      if (json_is_string(member) && json_string_length(member) == 0) {
        json_object_del(v, key);
      } else {
        drop_empty_strings(member);
        if (strcmp(key, "log") == 0 && !json_object_get(member, "file"))
          json_object_del(v, key);   /* no <log/> without a file */
      }
    }
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, member)
      drop_empty_strings(member);
  }
}

static void drop_empty_sources(json_t *dev)
{
  json_t *src = json_object_get(dev, "source");
  if (json_is_object(src) && json_object_size(src) == 0) {
    json_object_del(dev, "source");
  } else if (json_is_array(src)) {
    for (size_t i = json_array_size(src); i-- > 0;) {
      json_t *one = json_array_get(src, i);
      if (json_is_object(one) && json_object_size(one) == 0)
        json_array_remove(src, i);
    }
    if (json_array_size(src) == 0)
      json_object_del(dev, "source");
    else if (json_array_size(src) == 1)
      json_object_set(dev, "source", json_array_get(src, 0));
  }
}

static char *spec_text_as_xml_keeps_it(const vsc_devset *set)
{
  json_t *j = vsc_spec_format(set), *devs;
  const char *key;
  drop_empty_strings(j);
  json_object_foreach(j, key, devs) {
    size_t i;
    json_t *dev;
    if (json_is_array(devs))
      json_array_foreach(devs, i, dev)
        drop_empty_sources(dev);
  }
  char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(j);
  FUZZ_CHECK(s != NULL, "json_dumps failed on a formatted spec");
  return s;
}

void fuzz_check_xml_round_trip(const vsc_devset *set)
{
  vsc_diags diags = { 0 };
  vsc_rules_check(set, NULL, &diags);
  /* 'vschan xml' promotes warnings to errors and refuses QEMU-only backends */
  bool clean = diags.n == 0 && vsc_xml_check_expressible(set, &diags) == 0 &&
               !set->memory.present;   /* written with --into only */
  vsc_diags_clear(&diags);
  if (!clean)
    return;

  xmlDocPtr out = xmlNewDoc(BAD_CAST "1.0");
  xmlNodePtr devices = vsc_xml_format_devset(out, set);
  xmlDocSetRootElement(out, devices);
  char *text = vsc_xml_node_to_string(out, devices);
  xmlFreeDoc(out);

  xmlDocPtr back = vsc_xml_read(text, strlen(text), "round-trip.xml", &diags);
  FUZZ_CHECK(back != NULL, "vschan's own XML does not parse: %s\n%s",
             diags.n ? diags.items[0].message : "?", text);
  vsc_devset again;
  vsc_devset_init(&again);
  int rc = vsc_xml_collect(xmlDocGetRootElement(back), "round-trip.xml", &again, &diags);
  FUZZ_CHECK(rc == 0, "vschan's own XML does not read back: %s\n%s",
             diags.n ? diags.items[0].message : "?", text);

  /* The XML always names the backend (libvirt's schema wants type=). */
  vsc_devset expected;
  vsc_devset_init(&expected);
  for (size_t i = 0; i < set->ndevs; i++) {
    vsc_chardev *dev = vsc_chardev_copy(set->devs[i]);
    dev->backend = vsc_chardev_backend(dev);
    dev->has_backend = true;
    vsc_devset_add(&expected, dev);
  }
  /* ... and the values a vhost-user device's kind fixes (type='mount') */
  for (size_t i = 0; i < set->nvhosts; i++) {
    vsc_vhost *dev = vsc_vhost_copy(set->vhosts[i]);
    for (int f = 0; f < VSC_VF_LAST; f++)
      if (vsc_vhost_takes(dev->kind, (vsc_vhost_field_id)f) && vsc_vhost_fixed_value(dev->kind, (vsc_vhost_field_id)f))
        vsc_vhost_set(dev, (vsc_vhost_field_id)f, vsc_vhost_fixed_value(dev->kind, (vsc_vhost_field_id)f));
    vsc_devset_add_vhost(&expected, dev);
  }
  expected.controller = set->controller;
  char *before = spec_text_as_xml_keeps_it(&expected), *after = spec_text_as_xml_keeps_it(&again);
  vsc_devset_clear(&expected);
  FUZZ_CHECK(strcmp(before, after) == 0, "XML round trip changed the model\n before: %s\n after:  %s\n xml: %s",
             before, after, text);
  free(before);
  free(after);
  vsc_devset_clear(&again);
  xmlFreeDoc(back);
  vsc_diags_clear(&diags);
  free(text);
}

static char *argv_text(char **argv, size_t argc)
{
  size_t len = 1;
  for (size_t i = 0; i < argc; i++)
    len += strlen(argv[i]) + 1;
  char *text = vsc_calloc(len, 1);
  for (size_t i = 0; i < argc; i++) {
    strcat(text, argv[i]);
    strcat(text, "\n");
  }
  return text;
}

void fuzz_check_argv_round_trip(const vsc_devset *set)
{
  vsc_diags diags = { 0 };
  vsc_qemu_opts opts = { .socket_dir = "/run/fuzz" };
  char **argv = NULL, **again = NULL;
  size_t argc = 0, argc2 = 0;
  vsc_devset back;
  vsc_devset_init(&back);
  /* vhost-user devices are not character devices; the controller's own
   * options are read by qm import, not by the argument reader */
  if (set->nvhosts || set->memory.present || set->controller.present ||
      vsc_rules_require_clean(set, NULL, &diags) < 0 || vsc_qemu_build_argv(set, &opts, &argv, &argc, &diags) < 0)
    goto out;
  size_t *used = vsc_calloc(argc + 1, sizeof(size_t));
  vsc_qemu_read_args(argv, argc, VSC_QEMU_DEFAULT_PREFIX, &back, used, &diags);
  char *text = argv_text(argv, argc);
  for (size_t i = 0; i < argc; i++)
    FUZZ_CHECK(used[i] || strncmp(argv[i], "virtio-serial-pci,", 18) == 0 ||
                 (i + 1 < argc && strncmp(argv[i + 1], "virtio-serial-pci,", 18) == 0),
               "argument %zu of vschan's own is not read back: %s\n%s", i, argv[i], text);
  free(used);
  /* a serial console beside a serial port is that port (libvirt's alias) */
  size_t written = set->ndevs;
  bool serial = vsc_devset_first(set, VSC_KIND_SERIAL) != NULL;
  for (size_t i = 0; i < set->ndevs; i++)
    written -= serial && vsc_chardev_is_compat_console(set->devs[i]);
  FUZZ_CHECK(back.ndevs == written, "%zu devices written, %zu read back:\n%s", written, back.ndevs, text);
  FUZZ_CHECK(vsc_qemu_build_argv(&back, &opts, &again, &argc2, &diags) == 0,
             "the devices read back do not write:\n%s", text);
  char *text2 = argv_text(again, argc2);
  for (size_t i = 0; i < argc && i < argc2; i++)
    FUZZ_CHECK(strcmp(argv[i], again[i]) == 0, "argument %zu read back writes otherwise:\n  %s\n  %s\nin:\n%s", i,
               argv[i], again[i], text);
  FUZZ_CHECK(strcmp(text, text2) == 0, "arguments read back write otherwise:\n%s---\n%s", text, text2);
  free(text2);
  free(text);
  vsc_qemu_argv_free(again, argc2);
out:
  if (argv)
    vsc_qemu_argv_free(argv, argc);
  vsc_devset_clear(&back);
  vsc_diags_clear(&diags);
}
