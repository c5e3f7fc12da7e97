/* vschan remove: detach devices by name and wait until they are gone. */
#include "cli.h"
#include "virt-cmd.h"

#include <jansson.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] remove DOMAIN IDENT... [--timeout S] [--json]\n"
        "                              [--live|--config|--persistent|--current]\n"
        "\n"
        "Detach character devices and vhost-user devices.  IDENT is an alias (ua-...\n"
        "or libvirt's channel0, fs0), a virtio target name, a guestfwd ADDRESS:PORT,\n"
        "serialN, parallelN (target port N), consoleN, channelN (the Nth of its kind),\n"
        "or a vhost-user device's mount tag, disk target or MAC address.  PCI devices\n"
        "(vhost-user) leave only when the guest lets them go.  Live devices are detached\n"
        "by alias and vschan waits for libvirt's device-removed event, so 'removed'\n"
        "means removed; the unix listen socket file libvirt created is deleted.  A pty\n"
        "console is found without knowing its /dev/pts path.\n"
        "\n"
        "Options:\n"
        "  --timeout S            wait at most S seconds for each unplug (default 10)\n"
        "  --live                 the running domain only\n"
        "  --config               the persistent definition only\n"
        "  --persistent           the persistent definition, and the running domain if it\n"
        "                         runs (the default)\n"
        "  --current              the running domain if it runs, else the definition\n"
        "  --json                 print {domain, removed: [{kind, alias, device, live,\n"
        "                         persistent}]} instead of a line per device\n"
        "  -h, --help             show this help\n"
        "\n"
        "Exit status: 0 all removed, 1 unknown IDENT or wrong definition (nothing\n"
        "touched), 2 usage, 3 libvirt or QEMU failed or the unplug timed out.\n"
        "\n"
        "Examples:\n"
        "  vschan remove vm1 org.qemu.guest_agent.0\n"
        "  vschan remove vm1 console1 10.0.2.1:4600 --timeout 30\n"
        "  vschan remove vm1 ua-vschan-org-example-app-0 --config\n", out);
}

/* The devices removed, as --json or a line each. */
static void print_removed(vsc_cli *cli, const vsc_virt_change *ch, const vsc_virt_state *st,
                          const vsc_virt_selection *sel)
{
  const char *name = ch->session.dom->name;
  json_t *removed = json_array();
  for (size_t k = 0; k < sel->ndevs + sel->nvhosts; k++) {
    bool chardev = k < sel->ndevs;
    const vsc_virt_dev *e = chardev ? &st->devs[sel->devs[k]] : NULL;
    const vsc_virt_vhost *v = chardev ? NULL : &st->vhosts[sel->vhosts[k - sel->ndevs]];
    bool live = ch->live && (chardev ? e->live != NULL : v->live != NULL);
    bool config = ch->config && (chardev ? e->config != NULL : v->config != NULL);
    if (ch->args.json) {
      json_array_append_new(removed, chardev ? vsc_virt_cli_device_json(vsc_virt_dev_main(e), live, config)
                                             : vsc_virt_cli_vhost_json(vsc_virt_vhost_main(v), live, config));
    } else if (cli->verbosity >= 0) {
      VSC_AUTOFREE(char) what = chardev ? vsc_chardev_describe(vsc_virt_dev_main(e))
                                        : vsc_vhost_describe(vsc_virt_vhost_main(v));
      printf("removed %s from the %s definition of '%s'\n", what, vsc_virt_where(live, config), name);
    }
  }
  if (ch->args.json)
    vsc_cli_print_json(json_pack("{s:s,s:o}", "domain", name, "removed", removed), 0);
  else
    json_decref(removed);
}

int cmd_remove(vsc_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    VSC_VIRT_CHANGE_OPTIONS,
    { NULL, 0, NULL, 0 },
  };
  vsc_virt_change ch;
  vsc_virt_state st = { 0 };
  vsc_virt_selection sel = { 0 };
  int c;

  vsc_virt_change_init(&ch, cli, argc, argv, usage, opts);
  while ((c = vsc_virt_change_next(&ch)) > 0)
    ;
  if (c < 0 || vsc_virt_change_read(&ch, NULL) < 0 || vsc_virt_change_connect(&ch) < 0 ||
      vsc_virt_state_read(ch.session.dom, &st, &ch.diags) < 0)
    goto out;
  /* Every IDENT must name something before anything is detached. */
  bool unknown = false;
  for (size_t i = 1; i < ch.args.noperands; i++)
    if (vsc_virt_resolve_ident(&st, ch.args.operands[i], &sel, &ch.diags) < 0)
      unknown = true;
  if (unknown)
    goto out;
  vsc_virt_progress progress = vsc_virt_cli_progress(cli);
  if (vsc_virt_remove(ch.session.dom, &st, &sel, ch.live, ch.config, ch.opts.timeout, &progress,
                      &ch.diags) == 0)
    print_removed(cli, &ch, &st, &sel);
out:
  vsc_virt_selection_clear(&sel);
  vsc_virt_state_clear(&st);
  return vsc_virt_change_finish(&ch);
}
