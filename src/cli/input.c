#include "input.h"

#include "qemu/qemu.h"
#include "xml/xml.h"
#include "cli.h"
#include "model/backend.h"
#include "model/rules.h"
#include "spec/spec.h"
#include "util/file.h"

#include <stdlib.h>
#include <string.h>

bool vsc_cli_input_option(vsc_cli_input *in, int opt, const char *arg, const char *cmd, int *rc)
{
  switch (opt) {
  case VSC_OPT_TEMPLATE:
    in->template_name = arg;
    return true;
  case VSC_OPT_TEMPLATES_DIR:
    in->templates_dir = arg;
    return true;
  case VSC_OPT_SET: {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
      *rc = vsc_cli_usage_error(cmd, "--set takes KEY=VALUE, not '%s'", arg);
      return true;
    }
    vsc_template_setting *s = vsc_append(&in->settings, &in->nsettings, sizeof(*s));
    s->key = vsc_strndup(arg, (size_t)(eq - arg));
    s->value = vsc_strdup(eq + 1);
    return true;
  }
  case VSC_OPT_CHANNEL:
  case VSC_OPT_CONSOLE:
  case VSC_OPT_SERIAL:
  case VSC_OPT_PARALLEL: {
    static const struct { int opt; vsc_kind kind; const char *name; } map[] = {
      { VSC_OPT_CHANNEL, VSC_KIND_CHANNEL, "--channel" },
      { VSC_OPT_CONSOLE, VSC_KIND_CONSOLE, "--console" },
      { VSC_OPT_SERIAL, VSC_KIND_SERIAL, "--serial" },
      { VSC_OPT_PARALLEL, VSC_KIND_PARALLEL, "--parallel" },
    };
    for (size_t i = 0; i < VSC_N_ELEMENTS(map); i++) {
      if (map[i].opt != opt)
        continue;
      vsc_cli_compact *c = vsc_append(&in->compact, &in->ncompact, sizeof(*c));
      c->what = VSC_COMPACT_CHARDEV;
      c->kind = map[i].kind;
      c->text = arg;
      c->option = map[i].name;
    }
    return true;
  }
  case VSC_OPT_FILESYSTEM:
  case VSC_OPT_NETWORK:
  case VSC_OPT_DISK:
  case VSC_OPT_MEMORYBACKING: {
    vsc_cli_compact *c = vsc_append(&in->compact, &in->ncompact, sizeof(*c));
    c->what = opt == VSC_OPT_MEMORYBACKING ? VSC_COMPACT_MEMORY : VSC_COMPACT_VHOST;
    c->vhost = opt == VSC_OPT_FILESYSTEM ? VSC_VHOST_FS : opt == VSC_OPT_NETWORK ? VSC_VHOST_NET : VSC_VHOST_BLK;
    c->text = arg;
    c->option = opt == VSC_OPT_FILESYSTEM ? "--filesystem" : opt == VSC_OPT_NETWORK ? "--network"
              : opt == VSC_OPT_DISK ? "--disk" : "--memorybacking";
    return true;
  }
  default:
    return false;
  }
}

/* --serial/--parallel in QEMU's own syntax ('tcp::4444,server=on,wait=off',
 * 'udp::4555@:4556', /dev/ttyS0), meaning what it means to QEMU. */
static int load_legacy(const vsc_cli_compact *c, vsc_devset *set, vsc_diags *diags)
{
  char *why = NULL;
  if (strcmp(c->text, "none") == 0)
    return 0;   /* QEMU's "no port here" */
  vsc_chardev *dev = vsc_qemu_read_legacy(c->text, c->kind, &why);
  if (!dev) {
    vsc_loc loc = { .pointer = (char *)c->option };
    vsc_error(diags, &loc, "option-legacy",
              "write it in virt-install's syntax (e.g. --serial tcp,host=0.0.0.0:4444,mode=bind); "
              "vschan(1) lists the QEMU forms it reads",
              "%s '%s': %s", c->option, c->text, why);
    free(why);
    return -1;
  }
  dev->origin.pointer = vsc_strdup(c->option);
  vsc_devset_add(set, dev);
  return 0;
}

/* The compact options, then the rule pass every front end runs before a
 * generator. */
static int load_compact(vsc_cli_input *in, vsc_devset *set, vsc_diags *diags, int *rc)
{
  int failed = 0;
  for (size_t i = 0; i < in->ncompact; i++) {
    const vsc_cli_compact *c = &in->compact[i];
    switch (c->what) {
    case VSC_COMPACT_CHARDEV:
      if ((c->kind == VSC_KIND_SERIAL || c->kind == VSC_KIND_PARALLEL) && vsc_qemu_legacy_form(c->text))
        failed |= load_legacy(c, set, diags) < 0;
      else
        failed |= vsc_option_parse(c->kind, c->text, c->option, set, diags) < 0;
      break;
    case VSC_COMPACT_VHOST:
      failed |= vsc_option_parse_vhost(c->vhost, c->text, c->option, set, diags) < 0;
      break;
    case VSC_COMPACT_MEMORY:
      failed |= vsc_option_parse_memory_backing(c->text, c->option, set, diags) < 0;
      break;
    }
  }
  if (failed || (!in->into_domain && vsc_rules_require_clean(set, NULL, diags) < 0)) {
    *rc = VSC_EXIT_FAILURE;
    return -1;
  }
  return 0;
}

/* libvirt domain XML where a spec goes (a <domain>, or a <devices> or
 * device fragment): the way to carry a libvirt VM's channels to plain
 * QEMU or Proxmox VE. */
static bool is_xml(const char *text)
{
  while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
    text++;
  return *text == '<';
}

static int load_domain(const char *text, size_t len, const char *file, vsc_devset *set, vsc_diags *diags)
{
  xmlDocPtr doc = vsc_xml_read(text, len, file, diags);
  if (!doc)
    return -1;
  int rc = vsc_xml_collect(xmlDocGetRootElement(doc), file, set, diags);
  xmlFreeDoc(doc);
  /* a live domain's XML (virsh dumpxml) names the channel sockets libvirt
   * generated; libvirt drops such a path at define, and so does this:
   * the channel listens where the new host puts it */
  for (size_t i = 0; i < set->ndevs; i++) {
    vsc_chardev *dev = set->devs[i];
    if (vsc_chardev_path_dropped(dev)) {
      free(dev->sources[0].path);
      dev->sources[0].path = NULL;
      dev->sources[0].mode = VSC_MODE_BIND;
    }
  }
  return rc;
}

int vsc_cli_input_load(vsc_cli_input *in, const char *spec_path, vsc_devset *set,
                       vsc_diags *diags, const char *cmd, int *rc)
{
  if (spec_path && in->template_name) {
    *rc = vsc_cli_usage_error(cmd, "give either a spec file or --template, not both");
    return -1;
  }
  if (!spec_path && !in->template_name && !in->ncompact) {
    *rc = vsc_cli_usage_error(cmd, "no devices given: name a spec file, '-' for stdin, --template NAME, "
                                   "or --channel/--console/--serial/--parallel/--filesystem/--network/--disk");
    return -1;
  }
  if (in->nsettings && !in->template_name) {
    *rc = vsc_cli_usage_error(cmd, "--set only goes with --template");
    return -1;
  }
  if (spec_path) {
    size_t len;
    VSC_AUTOFREE(char) text = vsc_file_read(spec_path, VSC_SPEC_MAX_SIZE, &len, diags);
    /* A file that cannot be read is an I/O error; a bad one is invalid input. */
    if (!text) {
      *rc = VSC_EXIT_USAGE;
      return -1;
    }
    const char *name = strcmp(spec_path, "-") == 0 ? "<stdin>" : spec_path;
    if ((is_xml(text) ? load_domain(text, len, name, set, diags) : vsc_spec_parse(text, len, name, set, diags)) < 0) {
      *rc = VSC_EXIT_FAILURE;
      return -1;
    }
    return load_compact(in, set, diags, rc);
  }
  if (!in->template_name)
    return load_compact(in, set, diags, rc);
  VSC_AUTOFREE(char) dir = vsc_template_dir(in->templates_dir, diags);
  if (!dir || vsc_template_render(dir, in->template_name, in->settings, in->nsettings, set, diags) < 0) {
    *rc = VSC_EXIT_FAILURE;
    return -1;
  }
  return load_compact(in, set, diags, rc);
}

void vsc_cli_input_clear(vsc_cli_input *in)
{
  for (size_t i = 0; i < in->nsettings; i++) {
    free(in->settings[i].key);
    free(in->settings[i].value);
  }
  free(in->settings);
  free(in->compact);
  in->compact = NULL;
  in->ncompact = 0;
  in->settings = NULL;
  in->nsettings = 0;
}
