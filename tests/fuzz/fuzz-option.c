/* The compact option syntax (--channel unix,path=...,name=...).  Input:
 * "--KIND TEXT" as users write it (KIND channel, console, serial,
 * parallel, and for vhost-user devices filesystem, network, disk and
 * memorybacking), or bare TEXT for a channel.  A parsed device the rules
 * accept renders to XML that reads back to the same model. */
#include "fuzz.h"
#include "qemu/qemu.h"
#include "spec/option.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const struct { const char *prefix; vsc_kind kind; } kinds[] = {
    { "--channel ", VSC_KIND_CHANNEL },
    { "--console ", VSC_KIND_CONSOLE },
    { "--serial ", VSC_KIND_SERIAL },
    { "--parallel ", VSC_KIND_PARALLEL },
  };
  /* VSC_VHOST_LAST: --memorybacking */
  static const struct { const char *prefix; vsc_vhost_kind kind; } vhost_kinds[] = {
    { "--filesystem ", VSC_VHOST_FS },
    { "--network ", VSC_VHOST_NET },
    { "--disk ", VSC_VHOST_BLK },
    { "--memorybacking ", VSC_VHOST_LAST },
  };
  char *input = fuzz_cstring(data, size);
  const char *text = input, *option = "--channel";
  vsc_kind kind = VSC_KIND_CHANNEL;
  vsc_diags diags = { 0 };
  vsc_devset set;

  for (size_t i = 0; i < VSC_N_ELEMENTS(kinds); i++) {
    size_t n = strlen(kinds[i].prefix);
    if (strncmp(input, kinds[i].prefix, n) == 0) {
      kind = kinds[i].kind;
      text = input + n;
      option = kinds[i].prefix;
      break;
    }
  }
  vsc_devset_init(&set);
  for (size_t i = 0; i < VSC_N_ELEMENTS(vhost_kinds); i++) {
    size_t n = strlen(vhost_kinds[i].prefix);
    if (strncmp(input, vhost_kinds[i].prefix, n) != 0)
      continue;
    bool memory = vhost_kinds[i].kind == VSC_VHOST_LAST;
    int rc = memory ? vsc_option_parse_memory_backing(input + n, vhost_kinds[i].prefix, &set, &diags)
                    : vsc_option_parse_vhost(vhost_kinds[i].kind, input + n, vhost_kinds[i].prefix, &set, &diags);
    if (rc == 0) {
      FUZZ_CHECK(set.ndevs == 0, "a vhost-user option gave %zu character devices", set.ndevs);
      FUZZ_CHECK(memory ? set.memory.present && set.nvhosts == 0
                        : set.nvhosts == 1 && set.vhosts[0]->kind == vhost_kinds[i].kind,
                 "%s gave %zu vhost-user devices", vhost_kinds[i].prefix, set.nvhosts);
      fuzz_check_xml_round_trip(&set);
    } else {
      FUZZ_CHECK(vsc_diags_has_errors(&diags), "parse failed without an error");
    }
    goto done;
  }
  /* QEMU's legacy -serial strings, as the command line reads them */
  if ((kind == VSC_KIND_SERIAL || kind == VSC_KIND_PARALLEL) && vsc_qemu_legacy_form(text)) {
    char *why = NULL;
    vsc_chardev *dev = vsc_qemu_read_legacy(text, kind, &why);
    FUZZ_CHECK((dev == NULL) == (why != NULL), "a legacy string read and refused at once: %s", text);
    if (dev) {
      FUZZ_CHECK(dev->kind == kind && dev->has_backend, "a legacy string gave no backend: %s", text);
      vsc_devset_add(&set, dev);
      fuzz_check_xml_round_trip(&set);
      fuzz_check_argv_round_trip(&set);
    }
    free(why);
    goto done;
  }
  if (vsc_option_parse(kind, text, option, &set, &diags) == 0) {
    FUZZ_CHECK(set.ndevs == 1, "one option gave %zu devices", set.ndevs);
    FUZZ_CHECK(set.devs[0]->kind == kind, "option gave a device of another kind");
    fuzz_check_xml_round_trip(&set);
    fuzz_check_argv_round_trip(&set);
  } else {
    FUZZ_CHECK(vsc_diags_has_errors(&diags), "parse failed without an error");
  }
done:
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
  free(input);
  return 0;
}
