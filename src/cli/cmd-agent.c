/* vschan agent: talk to the QEMU guest agent (qemu-ga) of a guest.
 *
 * The transport is chosen here (the host end of the channel with
 * --socket, or libvirt for a DOMAIN); the verbs are the rows of
 * agent_verbs (agent-verb.h), written once against src/agent. */
#include "agent-verb.h"
#include "pve/pve.h"
#ifdef VSCHAN_WITH_LIBVIRT
#include "guest/guest.h"
#endif
#include "util/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_SOCKET = 0x100, OPT_TIMEOUT, OPT_MAX_REPLY, OPT_VMID, OPT_RUN_DIR };

static const struct option agent_options[] = {
  { "socket", required_argument, NULL, OPT_SOCKET },
  { "vmid", required_argument, NULL, OPT_VMID },
  { "run-dir", required_argument, NULL, OPT_RUN_DIR },
  { "timeout", required_argument, NULL, OPT_TIMEOUT },
  { "max-reply", required_argument, NULL, OPT_MAX_REPLY },
  { NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] agent [--timeout S] [--json] DOMAIN COMMAND [ARGS]...\n"
        "       vschan agent --socket PATH [--timeout S] [--max-reply BYTES] [--json]\n"
        "                    COMMAND [ARGS]...\n"
        "       vschan agent --vmid VMID [--run-dir DIR] [...] COMMAND [ARGS]...\n"
        "\n"
        "Talk to the QEMU guest agent (qemu-ga) of a guest: through libvirt for a\n"
        "DOMAIN (virDomainQemuAgentCommand; libvirt holds the agent's channel and does\n"
        "the handshake), or through the host end of the guest's org.qemu.guest_agent.0\n"
        "channel with --socket.  Every socket connection starts with a\n"
        "guest-sync-delimited handshake, so stale replies are never mistaken for ours.\n"
        "Both give the same commands and output.  Through libvirt, --timeout is rounded\n"
        "up to whole seconds, libvirt's own guest-sync may add up to 5 s when the agent\n"
        "is silent, replies are capped at 10 MiB (--max-reply does not apply), and\n"
        "libvirt marks the domain tainted (custom-ga-command).\n"
        "\n"
        "Commands:\n"
        "  ping                        check that the agent answers\n"
        "  info                        agent version and its commands (table)\n"
        "  osinfo                      the guest's operating system\n"
        "  hostname                    the guest's host name\n"
        "  time                        the guest's clock\n"
        "  interfaces                  network interfaces: name, MAC, addresses\n"
        "  fsinfo                      mounted file systems\n"
        "  users                       logged-in users\n"
        "  exec [--timeout S] [--stdin] [--env NAME=VALUE]... -- PROGRAM [ARG]...\n"
        "                              run PROGRAM in the guest, print its output and\n"
        "                              exit with its exit status (128+N for signal N)\n"
        "  file-get GUESTPATH LOCALPATH   copy a guest file here ('-': stdout)\n"
        "  file-put LOCALPATH GUESTPATH   copy a file into the guest ('-': stdin)\n"
        "  fsfreeze status|freeze|thaw freeze or thaw the guest's file systems\n"
        "  shutdown | reboot           ask the guest to power down or reboot\n"
        "  set-password [--crypted] USER  set USER's password, read from stdin\n"
        "  raw JSON                    send any command, print its return value\n"
        "\n"
        "Options:\n"
        "  --socket PATH      the host end of the org.qemu.guest_agent.0 channel (a\n"
        "                     unix socket, e.g. <source mode='bind' path='...'/>)\n"
        "  --vmid VMID        a Proxmox VE VM's agent socket (RUN_DIR/VMID.qga, as\n"
        "                     'qm guest cmd' uses it), without libvirt\n"
        "  --run-dir DIR      qemu-server's socket directory (default /var/run/qemu-server)\n"
        "  --timeout S        deadline of each agent command: connect, write and read\n"
        "                     together (default 5; fractions allowed).  A dead agent is\n"
        "                     silent, so this is how long a failure takes.  Raise it for\n"
        "                     'fsfreeze freeze'.  shutdown and reboot send no reply:\n"
        "                     they succeed when the deadline passes without an error.\n"
        "  --max-reply BYTES  refuse replies larger than this (default 64M; suffixes K,\n"
        "                     M, G)\n"
        "  --json             print the agent's return value as JSON\n"
        "  -h, --help         show this help\n"
        "exec options (between exec and PROGRAM; what follows PROGRAM is the program's):\n"
        "  --timeout S        how long to wait for the program (default 30, 0: forever)\n"
        "  --stdin            send vschan's standard input (at most 8 MiB) to the program\n"
        "  --env NAME=VALUE   set an environment variable (repeatable)\n"
        "\n"
        "Two vschan processes never share one socket: the second waits (within its\n"
        "deadline) for a lock in $VSCHAN_LOCK_DIR, /run/lock or /tmp.  The agent of a\n"
        "domain that libvirt manages is reached through libvirt ('vschan agent DOMAIN\n"
        "COMMAND'): libvirt holds the socket's one connection.  'vschan wait-agent\n"
        "DOMAIN' waits until a booting guest's agent answers.\n"
        "\n"
        "Exit status: 0 success; 2 usage or local I/O error; 3 the agent failed,\n"
        "refused, or did not answer in time; for exec, the program's exit status.\n"
        "\n"
        "Examples:\n"
        "  vschan agent vm1 ping\n"
        "  vschan -c qemu:///system agent vm1 exec -- /bin/cat /etc/os-release\n"
        "  vschan agent --socket /run/vm1/qga.sock ping\n"
        "  vschan agent --socket /run/vm1/qga.sock interfaces\n"
        "  vschan agent --socket /run/vm1/qga.sock exec -- /bin/uname -a\n"
        "  echo data | vschan agent --socket /run/vm1/qga.sock exec --stdin -- /bin/cat\n"
        "  vschan agent --socket /run/vm1/qga.sock file-get /etc/os-release os-release\n"
        "  printf 'secret\\n' | vschan agent --socket /run/vm1/qga.sock set-password root\n"
        "  vschan agent --socket /run/vm1/qga.sock raw '{\"execute\":\"guest-get-timezone\"}'\n",
        out);
}

/* Print the diagnostics; the exit status follows from their class. */
int agent_report(agent_call *call)
{
  return vsc_cli_report(call->cli, call->diags);
}

int agent_parse_seconds(const char *text, bool allow_zero, int *ms)
{
  double s;
  if (vsc_seconds_parse(text, allow_zero, 86400 * 7, &s) < 0)
    return -1;
  *ms = (int)(s * 1000 + 0.5);
  if (*ms == 0 && !allow_zero)
    *ms = 1;
  return 0;
}

static int parse_size(const char *text, size_t *bytes)
{
  char *end;
  if (!text)
    return -1;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  unsigned shift = 0;
  if (errno || end == text || text[0] == '-')
    return -1;
  if (*end == 'K' || *end == 'k')
    shift = 10;
  else if (*end == 'M' || *end == 'm')
    shift = 20;
  else if (*end == 'G' || *end == 'g')
    shift = 30;
  if (shift)
    end++;
  if (*end || v == 0 || v > (SIZE_MAX >> shift) >> 1)
    return -1;
  *bytes = (size_t)v << shift;
  return 0;
}

/* The transport for 'vschan agent DOMAIN COMMAND': libvirt's
 * virDomainQemuAgentCommand (src/guest).  It connects on the first
 * command, so a missing domain or agent is reported like any agent
 * failure (exit 3). */
static vsc_agent *open_domain_agent(vsc_cli *cli, const char *domain, int timeout_ms,
                                    vsc_diags *diags)
{
#ifdef VSCHAN_WITH_LIBVIRT
  return vsc_guest_agent_open(cli->uri, domain, timeout_ms);
#else
  /* Only vschan-libvirt has libvirt: run this command line there. */
  (void)domain;
  (void)timeout_ms;
  (void)diags;
  exit(vsc_cli_run_libvirt(cli));
#endif
}

/* Append the options of o whose names all does not have yet. */
static void add_options(struct option *all, size_t *n, const struct option *o)
{
  for (; o && o->name; o++) {
    bool seen = false;
    for (size_t i = 0; i < *n; i++)
      seen |= strcmp(all[i].name, o->name) == 0;
    if (!seen)
      all[(*n)++] = *o;
  }
}

/* Every option the line may hold, the agent's and every verb's, each
 * name once (where two share a name, both take a value or neither), for
 * verb_position. */
static struct option *all_options(void)
{
  static const struct option shared[] = {
    { "json", no_argument, NULL, VSC_CLI_OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  size_t cap = VSC_N_ELEMENTS(agent_options) + VSC_N_ELEMENTS(shared), n = 0;
  for (size_t v = 0; v < agent_nverbs; v++)
    for (const struct option *o = agent_verbs[v].options; o && o->name; o++)
      cap++;
  struct option *all = vsc_calloc(cap, sizeof(*all));
  add_options(all, &n, agent_options);
  add_options(all, &n, shared);
  for (size_t v = 0; v < agent_nverbs; v++)
    add_options(all, &n, agent_verbs[v].options);
  return all;
}

/* Which operand is the verb (0 or 1), once the first words are known:
 * with --socket the first; without, the first is the DOMAIN unless it
 * names a verb and the second does not (a domain named like a verb is
 * taken as the domain when a verb follows).  -1: not known yet. */
static int decide(char *const *words, size_t n, bool socket, bool complete)
{
  if (n == 0)
    return complete ? 0 : -1;
  if (socket || !agent_verb_find(words[0]))
    return socket ? 0 : 1;
  if (n == 1)
    return complete ? 0 : -1;
  return agent_verb_find(words[1]) ? 1 : 0;
}

/* Where the verb is.  What an option means can depend on whether it
 * comes after the verb (exec --timeout), and options may stand anywhere,
 * so this first look reads every option only to find the operands, up to
 * a verb's first operand that ends its options (exec's PROGRAM). */
static int verb_position(int argc, char **argv)
{
  VSC_AUTOFREE(struct option) all = all_options();
  char *words[3];
  size_t n = 0;
  bool socket = false;
  int c, at = -1;

  optind = 0;
  while ((c = getopt_long(argc, argv, "-h", all, NULL)) != -1) {
    if (c == OPT_SOCKET || c == OPT_VMID)
      socket = true;
    if (c != VSC_CLI_OPERAND)
      continue;
    words[n++] = optarg;
    at = decide(words, n, socket, false);
    if (at < 0)
      continue;
    const agent_verb *verb = (size_t)at < n ? agent_verb_find(words[at]) : NULL;
    if (n == VSC_N_ELEMENTS(words) || (verb && verb->stops_at_operand && n > (size_t)at + 1))
      return at;
  }
  /* After "--", operands only. */
  for (; n < VSC_N_ELEMENTS(words) && optind < argc; optind++)
    words[n++] = argv[optind];
  return decide(words, n, socket, true);
}

/* The verb's operands and options are read: is their count right? */
static int check_count(const agent_verb *verb, int nargs)
{
  if (nargs < verb->min_args || (verb->max_args >= 0 && nargs > verb->max_args)) {
    if (verb->wrong_count)
      return vsc_cli_usage_error("agent", "%s", verb->wrong_count);
    return vsc_cli_usage_error("agent", "wrong number of arguments for '%s'", verb->name);
  }
  return 0;
}

static int run_verb(agent_call *call)
{
  const agent_verb *verb = call->verb;
  if (verb->run)
    return verb->run(call);
  json_t *answer = verb->ask(call);
  if (!answer)
    return agent_report(call);
  if (call->json)
    vsc_cli_print_json(json_incref(answer), JSON_ENCODE_ANY);
  else
    verb->show(call, answer);
  json_decref(answer);
  return VSC_EXIT_OK;
}

int cmd_agent(vsc_cli *cli, int argc, char **argv)
{
  vsc_agent_socket_opts so = { .timeout_ms = VSC_AGENT_DEFAULT_TIMEOUT_MS };
  vsc_diags diags = { 0 };
  agent_call call = { .cli = cli, .diags = &diags,
                      .exec = { .timeout_ms = AGENT_EXEC_DEFAULT_TIMEOUT_MS } };
  vsc_cli_args a;
  const char *vmid = NULL, *run_dir = NULL;
  char *vm_socket = NULL;
  size_t at = (size_t)verb_position(argc, argv);
  int rc, c;

  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, agent_options, NULL);
  a.one_by_one = true;
  while ((c = vsc_cli_args_next(&a)) > 0) {
    switch (c) {
    case VSC_CLI_OPERAND:
      if (a.noperands == at + 1) {
        /* The verb: from here on its own options come first. */
        call.verb = agent_verb_find(a.operands[at]);
        if (call.verb && call.verb->options) {
          vsc_cli_args_options(&a, call.verb->options, NULL);
          vsc_cli_args_also(&a, agent_options);
        }
      }
      break;
    case OPT_SOCKET:
      so.path = optarg;
      break;
    case OPT_VMID:
      vmid = optarg;
      break;
    case OPT_RUN_DIR:
      run_dir = optarg;
      break;
    case OPT_TIMEOUT:
      if (agent_parse_seconds(optarg, false, &so.timeout_ms) < 0)
        a.rc = vsc_cli_usage_error("agent", "invalid timeout '%s': give seconds greater than 0, at most 604800 (a week)", optarg);
      break;
    case OPT_MAX_REPLY:
      if (parse_size(optarg, &so.max_reply) < 0)
        a.rc = vsc_cli_usage_error("agent", "invalid reply size '%s': give bytes, e.g. 64M", optarg);
      break;
    default:
      if (call.verb && call.verb->option)
        a.rc = call.verb->option(&call, c, optarg);
      break;
    }
    /* exec: what follows PROGRAM is the program's. */
    if (c == VSC_CLI_OPERAND && call.verb && call.verb->stops_at_operand && a.noperands == at + 2)
      break;
  }
  if (c < 0) {
    rc = a.rc;
    goto out;
  }
  if (a.noperands <= at) {
    rc = vsc_cli_usage_error("agent", "missing agent command, e.g. 'ping'");
    goto out;
  }
  if (c == VSC_CLI_OPERAND) {
    call.argv = vsc_cli_args_stop(&a, &call.argc);
  } else {
    call.argv = a.operands + at + 1;
    call.argc = (int)(a.noperands - at - 1);
  }
  if (!call.verb)
    call.verb = agent_verb_find(a.operands[at]);  /* after "--" */
  call.json = a.json;
  const char *domain = at == 1 ? a.operands[0] : NULL;
  if ((run_dir && !vmid) || (vmid && so.path)) {
    rc = vsc_cli_usage_error("agent", "--run-dir goes with --vmid, and --vmid not with --socket");
    goto out;
  }
  if (vmid) {
    if (vsc_pve_vm_socket(run_dir, vmid, "qga", &vm_socket, &diags) < 0) {
      vsc_cli_report(cli, &diags);
      rc = VSC_EXIT_USAGE;
      goto out;
    }
    so.path = vm_socket;
  }
  if (!call.verb) {
    rc = vsc_cli_usage_error("agent", "unknown agent command '%s'", a.operands[at]);
    goto out;
  }
  if (!so.path && !domain) {
    rc = vsc_cli_usage_error("agent", "name a DOMAIN (through libvirt), or give --socket PATH or --vmid VMID "
                                      "(the host end of the org.qemu.guest_agent.0 channel)");
    goto out;
  }
  if ((rc = check_count(call.verb, call.argc)) || (call.verb->check && (rc = call.verb->check(&call))))
    goto out;

  call.agent = domain ? open_domain_agent(cli, domain, so.timeout_ms, &diags)
                      : vsc_agent_open_socket(&so, &diags);
  if (!call.agent) {
    vsc_cli_report(cli, &diags);
    rc = VSC_EXIT_RUNTIME;
    goto out;
  }
  rc = run_verb(&call);
  vsc_agent_free(call.agent);
out:
  vsc_diags_clear(&diags);
  free(vm_socket);
  free(call.env);
  vsc_cli_args_clear(&a);
  return rc;
}
