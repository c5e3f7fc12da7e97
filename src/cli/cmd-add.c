/* vschan add: attach the devices of a spec to a domain, all or nothing. */
#include "cli.h"
#include "virt-cmd.h"

#include <jansson.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] add DOMAIN SPEC.json|- [--live|--config|--persistent|--current] [--json]\n"
        "       vschan [-c URI] add DOMAIN --template NAME [--set KEY=VALUE]... [...]\n"
        "\n"
        "Attach the devices of a spec to a domain as one transaction: when one fails,\n"
        "everything this run attached is detached again (live and persistent) and the\n"
        "socket files libvirt created are deleted.  Devices without an alias get one\n"
        "derived from their target (ua-vschan-...); virtio channels get an explicit\n"
        "virtio-serial port.  The rules are checked against the domain first.\n"
        "\n"
        "Options:\n"
        "  --live                 change the running domain only\n"
        "  --config               change the persistent definition only (next boot);\n"
        "                         adds a virtio-serial controller when one is needed\n"
        "  --persistent           the persistent definition, and the running domain if it\n"
        "                         runs (the default, except that a transient domain is\n"
        "                         then changed live only)\n"
        "  --current              the running domain if it runs, else the definition\n"
        "  --timeout S            seconds to wait for each unplug during a rollback\n"
        "                         (default 10)\n"
        "  --template NAME        use a shipped template (see 'vschan template list')\n"
        "  --set KEY=VALUE        set a template parameter (repeatable)\n"
        "  --templates-dir DIR    read templates from DIR\n"
        "  --json                 print {domain, added: [{kind, alias, device, live,\n"
        "                         persistent}]} instead of a line per device\n"
        "  --channel/--console/--serial/--parallel OPTS\n"
        "                         a device in virt-install's syntax (repeatable)\n"
        "  -h, --help             show this help\n"
        "\n"
        "Exit status: 0 all added, 1 refused before touching the domain (rules, state),\n"
        "2 usage, 3 libvirt or QEMU failed (the domain was put back as it was).\n"
        "\n"
        "Examples:\n"
        "  vschan add vm1 channels.json\n"
        "  vschan -c qemu+ssh://root@host/system add vm1 --template guest-agent\n"
        "  vschan add vm1 --config --template app-channel --set name=org.example.app.0 \\\n"
        "             --set path=/run/app.sock\n", out);
}

/* The devices added, as --json or a line each. */
static void print_added(vsc_cli *cli, const vsc_virt_change *ch, const vsc_devset *set)
{
  const char *name = ch->session.dom->name;
  if (ch->args.json) {
    json_t *added = json_array();
    for (size_t i = 0; i < set->ndevs; i++)
      json_array_append_new(added, vsc_virt_cli_device_json(set->devs[i], ch->live, ch->config));
    for (size_t i = 0; i < set->nvhosts; i++)
      json_array_append_new(added, vsc_virt_cli_vhost_json(set->vhosts[i], ch->live, ch->config));
    vsc_cli_print_json(json_pack("{s:s,s:o}", "domain", name, "added", added), 0);
  } else if (cli->verbosity >= 0) {
    for (size_t i = 0; i < set->ndevs + set->nvhosts; i++) {
      VSC_AUTOFREE(char) what = i < set->ndevs ? vsc_chardev_describe(set->devs[i])
                                               : vsc_vhost_describe(set->vhosts[i - set->ndevs]);
      printf("added %s to the %s definition of '%s'\n", what, vsc_virt_where(ch->live, ch->config), name);
    }
  }
}

int cmd_add(vsc_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    VSC_VIRT_CHANGE_OPTIONS,
    { NULL, 0, NULL, 0 },
  };
  vsc_virt_change ch;
  vsc_devset set;
  int c;

  vsc_devset_init(&set);
  vsc_virt_change_init(&ch, cli, argc, argv, usage, opts);
  while ((c = vsc_virt_change_next(&ch)) > 0)
    ;
  if (c < 0 || vsc_virt_change_read(&ch, &set) < 0)
    goto out;
  if (vsc_virt_check_supported(&set, &ch.diags) < 0) {
    ch.rc = VSC_EXIT_FAILURE;
    goto out;
  }
  if (set.ndevs + set.nvhosts == 0) {
    ch.rc = vsc_cli_usage_error("add", "the spec has no devices to add");
    goto out;
  }
  if (vsc_virt_change_connect(&ch) < 0)
    goto out;
  vsc_virt_progress progress = vsc_virt_cli_progress(cli);
  if (vsc_virt_add(ch.session.dom, &set, ch.live, ch.config, ch.opts.timeout, &progress,
                   &ch.diags) == 0)
    print_added(cli, &ch, &set);
out:
  vsc_devset_clear(&set);
  return vsc_virt_change_finish(&ch);
}
