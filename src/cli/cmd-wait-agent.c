/* vschan wait-agent: wait until the guest agent of a domain answers. */
#include "cli.h"
#include "guest/guest.h"
#include "virt-cmd.h"

#include <jansson.h>
#include <string.h>

#define WAIT_DEFAULT_TIMEOUT 60.0

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] wait-agent DOMAIN [--timeout S] [--json]\n"
        "\n"
        "Wait until the QEMU guest agent (qemu-ga) of a running domain answers, for\n"
        "scripts that talk to a guest right after starting it.  The agent channel's\n"
        "state in the live definition says whether the guest opened the port; if it\n"
        "has not, vschan waits for libvirt's agent-lifecycle event (and looks at the\n"
        "state again every second), then sends guest-ping until the agent answers.\n"
        "\n"
        "Options:\n"
        "  --timeout S    give up after S seconds (default 60; fractions allowed).  A\n"
        "                 ping in flight may overrun it by up to 5 s: libvirt's own\n"
        "                 guest-sync waits that long for a connected but silent agent.\n"
        "  --json         print what happened as JSON\n"
        "  -h, --help     show this help\n"
        "\n"
        "Exit status: 0 the agent answers; 1 the domain is not running or has no\n"
        "usable agent channel (waiting cannot help; add one with 'vschan add DOMAIN\n"
        "--template guest-agent'); 2 usage; 3 the deadline passed, the domain stopped,\n"
        "or libvirt failed.\n"
        "\n"
        "Examples:\n"
        "  virsh start vm1 && vschan wait-agent vm1 --timeout 120 && vschan agent vm1 osinfo\n"
        "  vschan -c qemu:///system wait-agent vm1 --json\n", out);
}

static const char *how_name(vsc_guest_wait_how how)
{
  switch (how) {
  case VSC_GUEST_WAIT_STATE:
    return "state";
  case VSC_GUEST_WAIT_EVENT:
    return "event";
  case VSC_GUEST_WAIT_PING:
    return "ping";
  }
  return "";
}

int cmd_wait_agent(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_TIMEOUT = 0x100 };
  static const struct option opts[] = {
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { NULL, 0, NULL, 0 },
  };
  vsc_cli_args a;
  double timeout = WAIT_DEFAULT_TIMEOUT;
  int c;

  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, opts, NULL);
  while ((c = vsc_cli_args_next(&a)) > 0)
    if (c == OPT_TIMEOUT && vsc_cli_parse_timeout(optarg, "wait-agent", &timeout) < 0)
      a.rc = VSC_EXIT_USAGE;
  if (c < 0) {
    vsc_cli_args_clear(&a);
    return a.rc;
  }
  const char *domain = a.operands[0];
  bool json = a.json;
  vsc_cli_args_clear(&a);

  vsc_virt_session s = { 0 };
  vsc_diags diags = { 0 };
  vsc_guest_wait_result r;
  int rc;

  if (vsc_virt_session_begin(cli, domain, &s, &diags) < 0 ||
      vsc_guest_wait_agent(s.dom, timeout, &r, &diags) < 0) {
    rc = vsc_cli_report(cli, &diags);
  } else {
    if (json) {
      json_t *o = json_pack("{s:s,s:s,s:f,s:f,s:i}", "domain", s.dom->name, "how",
                            how_name(r.how), "connected_after", r.connected_after,
                            "answered_after", r.answered_after, "pings", (int)r.pings);
      vsc_cli_print_json(o, 0);
    } else if (cli->verbosity >= 0) {
      printf("the guest agent of domain '%s' answers (after %.2f s)\n", s.dom->name,
             r.answered_after);
    }
    rc = vsc_cli_report(cli, &diags);
  }
  vsc_virt_session_end(&s);
  vsc_diags_clear(&diags);
  return rc;
}
