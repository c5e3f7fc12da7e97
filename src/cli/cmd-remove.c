/* vschan remove: detach devices by name and wait until they are gone. */
#include "cli.h"
#include "virt-cmd.h"

#include <getopt.h>
#include <jansson.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] remove DOMAIN IDENT... [--timeout S] [--json]\n"
        "                              [--live|--config|--persistent|--current]\n"
        "\n"
        "Detach character devices.  IDENT is an alias (ua-... or libvirt's channel0),\n"
        "a virtio target name, a guestfwd ADDRESS:PORT, or serialN, parallelN (target\n"
        "port N), consoleN, channelN (the Nth of its kind).  Live devices are detached\n"
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

int cmd_remove(vsc_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    VSC_VIRT_AFFECT_OPTIONS,
    { "timeout", required_argument, NULL, VSC_OPT_TIMEOUT },
    { "json", no_argument, NULL, VSC_OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  vsc_virt_session s = { 0 };
  vsc_virt_affect_opts aff = { 0 };
  vsc_virt_affect affect;
  double timeout = VSC_VIRT_DEFAULT_TIMEOUT;
  vsc_diags diags = { 0 };
  vsc_virt_state st = { 0 };
  size_t *idx = NULL, nidx = 0;
  bool live, config, json = false;
  int rc = VSC_EXIT_OK, c;

  vsc_virt_session_start_clock(&s);
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (vsc_virt_affect_option(&aff, c))
      continue;
    switch (c) {
    case VSC_OPT_TIMEOUT:
      if (vsc_cli_parse_timeout(optarg, "remove", &timeout) < 0) {
        rc = VSC_EXIT_USAGE;
        goto out;
      }
      break;
    case VSC_OPT_JSON:
      json = true;
      break;
    case 'h':
      usage(stdout);
      goto out;
    default:
      rc = vsc_cli_option_error("remove", argv, "h");
      goto out;
    }
  }
  if (vsc_virt_affect_from_opts(&aff, "remove", &affect) < 0) {
    rc = VSC_EXIT_USAGE;
    goto out;
  }
  if (argc - optind < 2) {
    rc = vsc_cli_usage_error("remove", "name the domain and at least one device");
    goto out;
  }
  const char *domain = argv[optind++];

  if (vsc_virt_session_begin(cli, domain, &s, &diags) < 0 ||
      vsc_virt_affect_resolve(s.dom, affect, &live, &config, &diags) < 0 ||
      vsc_virt_state_read(s.dom, &st, &diags) < 0)
    goto report;
  /* Every IDENT must name something before anything is detached. */
  bool unknown = false;
  for (int i = optind; i < argc; i++)
    if (vsc_virt_resolve_ident(&st, argv[i], &idx, &nidx, &diags) < 0)
      unknown = true;
  if (unknown)
    goto report;
  vsc_virt_progress progress = vsc_virt_cli_progress(cli);
  if (vsc_virt_remove(s.dom, &st, idx, nidx, live, config, timeout, &progress, &diags) < 0)
    goto report;
  if (json) {
    json_t *removed = json_array();
    for (size_t k = 0; k < nidx; k++) {
      const vsc_virt_dev *e = &st.devs[idx[k]];
      json_array_append_new(removed, vsc_virt_cli_device_json(vsc_virt_dev_main(e), live && e->live,
                                                               config && e->config));
    }
    vsc_cli_print_json(json_pack("{s:s,s:o}", "domain", s.dom->name, "removed", removed), 0);
  } else if (cli->verbosity >= 0)
    for (size_t k = 0; k < nidx; k++) {
      const vsc_virt_dev *e = &st.devs[idx[k]];
      VSC_AUTOFREE(char) what = vsc_chardev_describe(vsc_virt_dev_main(e));
      printf("removed %s from the %s definition of '%s'\n", what,
             vsc_virt_where(live && e->live, config && e->config), s.dom->name);
    }

report: {
  int reported = vsc_virt_cli_report(cli, &diags);
  if (rc == VSC_EXIT_OK)
    rc = reported;
}
out:
  free(idx);
  vsc_virt_state_clear(&st);
  vsc_virt_session_end(&s);
  vsc_diags_clear(&diags);
  return rc;
}
