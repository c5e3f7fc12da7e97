/* vschan agent: talk to the QEMU guest agent (qemu-ga) of a guest.
 *
 * The transport is chosen here (the host end of the channel with
 * --socket, or libvirt for a DOMAIN); the subcommands are written once
 * against src/agent and only print. */
#define _GNU_SOURCE
#include "agent/agent.h"
#include "cli.h"
#ifdef VSCHAN_WITH_LIBVIRT
#include "guest/guest.h"
#endif
#include "util/buf.h"
#include "util/clock.h"
#include "util/file.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Largest standard input 'exec --stdin' sends: it travels in one JSON
 * message, base64-encoded. */
#define EXEC_STDIN_MAX ((size_t)8 << 20)
#define EXEC_DEFAULT_TIMEOUT_MS 30000

typedef struct {
  vsc_cli *cli;
  vsc_agent *agent;
  bool json;
} agent_ctx;

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] agent [--timeout S] [--json] DOMAIN COMMAND [ARGS]...\n"
        "       vschan agent --socket PATH [--timeout S] [--max-reply BYTES] [--json]\n"
        "                    COMMAND [ARGS]...\n"
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
        "  --timeout S        deadline of each agent command: connect, write and read\n"
        "                     together (default 5; fractions allowed).  A dead agent is\n"
        "                     silent, so this is how long a failure takes.  Raise it for\n"
        "                     'fsfreeze freeze'.  shutdown and reboot send no reply:\n"
        "                     they succeed when the deadline passes without an error.\n"
        "  --max-reply BYTES  refuse replies larger than this (default 64M; suffixes K,\n"
        "                     M, G)\n"
        "  --json             print the agent's return value as JSON\n"
        "  -h, --help         show this help\n"
        "exec options:\n"
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

/* Print the diagnostics; agent trouble is exit 3, local trouble exit 2. */
static int report(agent_ctx *ctx, vsc_diags *diags)
{
  int rc = VSC_EXIT_RUNTIME;
  for (size_t i = 0; i < diags->n; i++) {
    const char *rule = diags->items[i].rule ? diags->items[i].rule : "";
    if (diags->items[i].severity == VSC_SEV_ERROR &&
        (strcmp(rule, "agent-local-io") == 0 || strcmp(rule, "agent-raw-json") == 0))
      rc = VSC_EXIT_USAGE;
  }
  vsc_cli_report(ctx->cli, diags);
  return vsc_diags_has_errors(diags) ? rc : VSC_EXIT_OK;
}

/* value stays the caller's. */
static void print_json(json_t *value)
{
  vsc_cli_print_json(json_incref(value), JSON_ENCODE_ANY);
}

/* Strings from the guest are untrusted: never let them reach the terminal
 * as they are. */
static char *shown(const char *text)
{
  return vsc_agent_printable(text ? text : "-", 200);
}

static const char *str(json_t *object, const char *key)
{
  return json_string_value(json_object_get(object, key));
}

/* Parse seconds ("5", "0.5") into milliseconds. */
static int parse_seconds(const char *text, bool allow_zero, int *ms)
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

/* Subcommands.  argv[0] is the subcommand's name. */

static int do_ping(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  if (vsc_agent_ping(ctx->agent, diags) < 0)
    return report(ctx, diags);
  if (ctx->json)
    fputs("{}\n", stdout);
  else if (ctx->cli->verbosity >= 0)
    puts("the guest agent answers");
  return VSC_EXIT_OK;
}

static int do_info(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  json_auto_t *info = vsc_agent_info(ctx->agent, diags);
  size_t i;
  json_t *item;

  if (!info)
    return report(ctx, diags);
  if (ctx->json) {
    print_json(info);
    return VSC_EXIT_OK;
  }
  json_t *list = json_object_get(info, "supported_commands");
  VSC_AUTOFREE(char) version = shown(str(info, "version"));
  printf("qemu-ga %s, %zu commands\n\n", version, json_array_size(list));
  printf("%-36s %-8s %s\n", "COMMAND", "ENABLED", "REPLIES");
  json_array_foreach(list, i, item) {
    VSC_AUTOFREE(char) name = shown(str(item, "name"));
    json_t *reply = json_object_get(item, "success-response");
    printf("%-36s %-8s %s\n", name, json_is_true(json_object_get(item, "enabled")) ? "yes" : "no",
           json_is_false(reply) ? "no" : "yes");
  }
  return VSC_EXIT_OK;
}

static int do_osinfo(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  static const char *const order[] = {
    "pretty-name", "name", "id", "version", "version-id", "variant", "variant-id",
    "kernel-release", "kernel-version", "machine",
  };
  json_auto_t *os = vsc_agent_osinfo(ctx->agent, diags);
  const char *key;
  json_t *value;

  if (!os)
    return report(ctx, diags);
  if (ctx->json) {
    print_json(os);
    return VSC_EXIT_OK;
  }
  for (size_t i = 0; i < VSC_N_ELEMENTS(order); i++)
    if (json_is_string(json_object_get(os, order[i]))) {
      VSC_AUTOFREE(char) v = shown(str(os, order[i]));
      printf("%-16s %s\n", order[i], v);
    }
  /* Fields a newer agent adds. */
  json_object_foreach(os, key, value) {
    bool known = false;
    for (size_t i = 0; i < VSC_N_ELEMENTS(order); i++)
      known |= strcmp(key, order[i]) == 0;
    if (known || !json_is_string(value))
      continue;
    VSC_AUTOFREE(char) k = shown(key);
    VSC_AUTOFREE(char) v = shown(json_string_value(value));
    printf("%-16s %s\n", k, v);
  }
  return VSC_EXIT_OK;
}

static int do_hostname(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  VSC_AUTOFREE(char) name = vsc_agent_hostname(ctx->agent, diags);
  if (!name)
    return report(ctx, diags);
  if (ctx->json) {
    json_auto_t *v = json_pack("{s:s}", "host-name", name);
    print_json(v);
  } else {
    VSC_AUTOFREE(char) s = shown(name);
    puts(s);
  }
  return VSC_EXIT_OK;
}

static int do_time(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  int64_t ns;
  if (vsc_agent_time(ctx->agent, &ns, diags) < 0)
    return report(ctx, diags);
  if (ctx->json) {
    printf("%jd\n", (intmax_t)ns);
    return VSC_EXIT_OK;
  }
  time_t secs = (time_t)(ns / 1000000000);
  long frac = (long)(ns % 1000000000);
  if (frac < 0) {
    secs--;
    frac += 1000000000;
  }
  struct tm tm;
  char when[64];
  if (!gmtime_r(&secs, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
    snprintf(when, sizeof(when), "?");
  printf("%s.%09ldZ\n", when, frac);
  return VSC_EXIT_OK;
}

static int do_interfaces(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  json_auto_t *list = vsc_agent_interfaces(ctx->agent, diags);
  size_t i, j;
  json_t *nic, *addr;

  if (!list)
    return report(ctx, diags);
  if (ctx->json) {
    print_json(list);
    return VSC_EXIT_OK;
  }
  printf("%-16s %-18s %s\n", "NAME", "MAC", "ADDRESSES");
  json_array_foreach(list, i, nic) {
    VSC_AUTOFREE(char) name = shown(str(nic, "name"));
    VSC_AUTOFREE(char) mac = shown(str(nic, "hardware-address"));
    vsc_buf addrs = { 0 };
    vsc_buf_add(&addrs, "");
    json_array_foreach(json_object_get(nic, "ip-addresses"), j, addr) {
      VSC_AUTOFREE(char) ip = shown(str(addr, "ip-address"));
      json_t *prefix = json_object_get(addr, "prefix");
      vsc_buf_printf(&addrs, "%s%s", addrs.len ? ", " : "", ip);
      if (json_is_integer(prefix))
        vsc_buf_printf(&addrs, "/%jd", (intmax_t)json_integer_value(prefix));
    }
    VSC_AUTOFREE(char) joined = vsc_buf_steal(&addrs);
    printf("%-16s %-18s %s\n", name, mac, *joined ? joined : "-");
  }
  return VSC_EXIT_OK;
}

static void human_size(json_t *bytes, char *out, size_t n)
{
  static const char units[] = "KMGTPE";
  if (!json_is_integer(bytes)) {
    snprintf(out, n, "-");
    return;
  }
  double v = (double)json_integer_value(bytes);
  int u = -1;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  if (u < 0)
    snprintf(out, n, "%.0fB", v);
  else
    snprintf(out, n, "%.1f%ci", v, units[u]);
}

static int do_fsinfo(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  json_auto_t *list = vsc_agent_fsinfo(ctx->agent, diags);
  size_t i;
  json_t *fs;

  if (!list)
    return report(ctx, diags);
  if (ctx->json) {
    print_json(list);
    return VSC_EXIT_OK;
  }
  printf("%-24s %-8s %-10s %9s %9s  %s\n", "MOUNTPOINT", "TYPE", "NAME", "USED", "TOTAL", "DISKS");
  json_array_foreach(list, i, fs) {
    VSC_AUTOFREE(char) mount = shown(str(fs, "mountpoint"));
    VSC_AUTOFREE(char) type = shown(str(fs, "type"));
    VSC_AUTOFREE(char) name = shown(str(fs, "name"));
    char used[32], total[32];
    vsc_buf disks = { 0 };
    size_t j;
    json_t *disk;
    human_size(json_object_get(fs, "used-bytes"), used, sizeof(used));
    human_size(json_object_get(fs, "total-bytes"), total, sizeof(total));
    vsc_buf_add(&disks, "");
    json_array_foreach(json_object_get(fs, "disk"), j, disk) {
      VSC_AUTOFREE(char) dev = shown(str(disk, "dev") ? str(disk, "dev") : str(disk, "serial"));
      vsc_buf_printf(&disks, "%s%s", disks.len ? ", " : "", dev);
    }
    VSC_AUTOFREE(char) joined = vsc_buf_steal(&disks);
    printf("%-24s %-8s %-10s %9s %9s  %s\n", mount, type, name, used, total,
           *joined ? joined : "-");
  }
  return VSC_EXIT_OK;
}

static int do_users(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  json_auto_t *list = vsc_agent_users(ctx->agent, diags);
  size_t i;
  json_t *user;

  if (!list)
    return report(ctx, diags);
  if (ctx->json) {
    print_json(list);
    return VSC_EXIT_OK;
  }
  printf("%-20s %-16s %s\n", "USER", "DOMAIN", "LOGIN-TIME");
  json_array_foreach(list, i, user) {
    VSC_AUTOFREE(char) name = shown(str(user, "user"));
    VSC_AUTOFREE(char) domain = shown(str(user, "domain"));
    json_t *login = json_object_get(user, "login-time");
    char when[64] = "-";
    if (json_is_number(login)) {
      time_t t = (time_t)json_number_value(login);
      struct tm tm;
      if (gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    printf("%-20s %-16s %s\n", name, domain, when);
  }
  return VSC_EXIT_OK;
}

static int write_out(FILE *f, const unsigned char *data, size_t n)
{
  return n == 0 || fwrite(data, 1, n, f) == n ? 0 : -1;
}

static int do_exec(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  static const struct option opts[] = {
    { "timeout", required_argument, NULL, 't' },
    { "stdin", no_argument, NULL, 'i' },
    { "env", required_argument, NULL, 'e' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  vsc_agent_exec_opts eo = { .timeout_ms = EXEC_DEFAULT_TIMEOUT_MS };
  VSC_AUTOFREE(const char *) env = NULL;
  size_t nenv = 0;
  bool use_stdin = false;
  int c;

  optind = 0;
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (c) {
    case 't':
      if (parse_seconds(optarg, true, &eo.timeout_ms) < 0)
        return vsc_cli_usage_error("agent", "invalid exec timeout '%s': give seconds, 0 for no limit",
                                   optarg);
      break;
    case 'i':
      use_stdin = true;
      break;
    case 'e':
      if (!strchr(optarg, '='))
        return vsc_cli_usage_error("agent", "invalid environment setting '%s': give NAME=VALUE",
                                   optarg);
      env = vsc_realloc(env, (nenv + 2) * sizeof(*env));
      env[nenv++] = optarg;
      env[nenv] = NULL;
      break;
    case 'h':
      usage(stdout);
      return VSC_EXIT_OK;
    default:
      return vsc_cli_option_error("agent", argv, "+h");
    }
  }
  if (optind >= argc)
    return vsc_cli_usage_error("agent", "exec needs a program: 'exec [OPTIONS] -- PROGRAM [ARG]...'");
  eo.argv = (const char *const *)argv + optind;
  eo.env = env;

  VSC_AUTOFREE(char) input = NULL;
  if (use_stdin) {
    size_t len;
    input = vsc_file_read("-", EXEC_STDIN_MAX, &len, diags);
    if (!input) {
      vsc_cli_report(ctx->cli, diags);
      return VSC_EXIT_USAGE;
    }
    eo.input = input;
    eo.input_len = len;
  }

  vsc_agent_exec_result r;
  if (vsc_agent_exec(ctx->agent, &eo, &r, diags) < 0) {
    vsc_agent_exec_result_clear(&r);
    return report(ctx, diags);
  }
  if (ctx->json) {
    print_json(r.status);
  } else {
    /* The program's own output, byte for byte. */
    if (write_out(stdout, r.out, r.out_len) < 0 || fflush(stdout) != 0 ||
        write_out(stderr, r.err, r.err_len) < 0) {
      vsc_agent_exec_result_clear(&r);
      return VSC_EXIT_USAGE;
    }
  }
  if (r.out_truncated)
    vsc_warning(diags, NULL, "agent-exec-truncated",
                "write big output to a file in the guest and copy it with file-get",
                "the guest agent cut the program's standard output at %zu bytes", r.out_len);
  if (r.err_truncated)
    vsc_warning(diags, NULL, "agent-exec-truncated",
                "write big output to a file in the guest and copy it with file-get",
                "the guest agent cut the program's standard error at %zu bytes", r.err_len);
  if (r.has_signal && !ctx->json)
    vsc_warning(diags, NULL, "agent-exec-signal", NULL,
                "the program was killed by signal %d in the guest", r.signal);
  vsc_cli_report(ctx->cli, diags);

  int rc;
  if (r.has_exitcode)
    rc = r.exitcode & 0xff;
  else if (r.has_signal)
    rc = 128 + (r.signal & 0x7f);
  else
    rc = VSC_EXIT_RUNTIME;
  vsc_agent_exec_result_clear(&r);
  return rc;
}

static void on_interrupt(int sig)
{
  (void)sig;
  vsc_agent_interrupt();
}

/* Ctrl-C or a TERM during a copy stops it between chunks, so the guest's
 * file handle is closed (see vsc_agent_interrupt). */
static void interrupt_copies(void)
{
  struct sigaction sa = { .sa_handler = on_interrupt, .sa_flags = SA_RESTART };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

static int do_file_get(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  uint64_t total;
  interrupt_copies();
  if (vsc_agent_file_get(ctx->agent, argv[1], argv[2], &total, diags) < 0)
    return report(ctx, diags);
  if (ctx->json && strcmp(argv[2], "-") != 0)
    printf("{\"bytes\": %ju}\n", (uintmax_t)total);
  else if (ctx->cli->verbosity >= 0 && strcmp(argv[2], "-") != 0)
    printf("copied %ju bytes from the guest's '%s' to '%s'\n", (uintmax_t)total, argv[1], argv[2]);
  return VSC_EXIT_OK;
}

static int do_file_put(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  uint64_t total;
  interrupt_copies();
  if (vsc_agent_file_put(ctx->agent, argv[1], argv[2], &total, diags) < 0)
    return report(ctx, diags);
  if (ctx->json)
    printf("{\"bytes\": %ju}\n", (uintmax_t)total);
  else if (ctx->cli->verbosity >= 0)
    printf("copied %ju bytes from '%s' to the guest's '%s'\n", (uintmax_t)total, argv[1], argv[2]);
  return VSC_EXIT_OK;
}

static int do_fsfreeze(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  vsc_agent_fsfreeze_op op;
  if (strcmp(argv[1], "status") == 0)
    op = VSC_AGENT_FSFREEZE_STATUS;
  else if (strcmp(argv[1], "freeze") == 0)
    op = VSC_AGENT_FSFREEZE_FREEZE;
  else if (strcmp(argv[1], "thaw") == 0)
    op = VSC_AGENT_FSFREEZE_THAW;
  else
    return vsc_cli_usage_error("agent", "unknown fsfreeze action '%s': give status, freeze or thaw",
                               argv[1]);

  json_auto_t *value = vsc_agent_fsfreeze(ctx->agent, op, diags);
  if (!value)
    return report(ctx, diags);
  if (ctx->json) {
    print_json(value);
    return VSC_EXIT_OK;
  }
  switch (op) {
  case VSC_AGENT_FSFREEZE_STATUS: {
    VSC_AUTOFREE(char) s = shown(json_string_value(value));
    puts(s);
    break;
  }
  case VSC_AGENT_FSFREEZE_FREEZE:
    printf("%jd file systems frozen\n", (intmax_t)json_integer_value(value));
    break;
  case VSC_AGENT_FSFREEZE_THAW:
    printf("%jd file systems thawed\n", (intmax_t)json_integer_value(value));
    break;
  }
  return VSC_EXIT_OK;
}

static int do_power(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  bool reboot = strcmp(argv[0], "reboot") == 0;
  if (vsc_agent_power(ctx->agent, reboot ? VSC_AGENT_POWER_REBOOT : VSC_AGENT_POWER_SHUTDOWN,
                      diags) < 0)
    return report(ctx, diags);
  if (ctx->json)
    fputs("null\n", stdout);
  else if (ctx->cli->verbosity >= 0)
    printf("%s requested (the agent sends no reply when it complies)\n",
           reboot ? "reboot" : "shutdown");
  return VSC_EXIT_OK;
}

/* One line of standard input, without echo on a terminal. */
static char *read_password(const char *user, vsc_diags *diags)
{
  struct termios old, quiet;
  bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  char *line = NULL;
  size_t cap = 0;

  if (tty) {
    fprintf(stderr, "new password for '%s': ", user);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  ssize_t n = getline(&line, &cap, stdin);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
  }
  if (n <= 0) {
    free(line);
    vsc_error(diags, NULL, "agent-local-io", "write the password as one line on standard input",
              "no password on standard input");
    return NULL;
  }
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  return line;
}

static int do_set_password(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  static const struct option opts[] = {
    { "crypted", no_argument, NULL, 'c' },
    { NULL, 0, NULL, 0 },
  };
  bool crypted = false;
  int c;

  optind = 0;
  while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    if (c != 'c')
      return vsc_cli_option_error("agent", argv, "+");
    crypted = true;
  }
  if (argc - optind != 1)
    return vsc_cli_usage_error("agent", "set-password takes one USER; the password comes on stdin");
  const char *user = argv[optind];

  char *password = read_password(user, diags);
  if (!password)
    return report(ctx, diags);
  if (!*password) {
    free(password);
    return vsc_cli_usage_error("agent", "the password on standard input is empty");
  }
  int rc = vsc_agent_set_password(ctx->agent, user, password, crypted, diags);
  explicit_bzero(password, strlen(password));
  free(password);
  if (rc < 0)
    return report(ctx, diags);
  if (ctx->json)
    fputs("{}\n", stdout);
  else if (ctx->cli->verbosity >= 0)
    printf("password of '%s' set\n", user);
  return VSC_EXIT_OK;
}

static int do_raw(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags)
{
  json_auto_t *value = vsc_agent_raw(ctx->agent, argv[1], diags);
  if (!value)
    return report(ctx, diags);
  print_json(value);
  return VSC_EXIT_OK;
}

typedef int (*verb_fn)(agent_ctx *ctx, int argc, char **argv, vsc_diags *diags);

/* min/max count the arguments after the subcommand; -1: any (the
 * subcommand checks). */
static const struct verb {
  const char *name;
  int min_args;
  int max_args;
  verb_fn fn;
} verbs[] = {
  { "ping", 0, 0, do_ping },
  { "info", 0, 0, do_info },
  { "osinfo", 0, 0, do_osinfo },
  { "hostname", 0, 0, do_hostname },
  { "time", 0, 0, do_time },
  { "interfaces", 0, 0, do_interfaces },
  { "fsinfo", 0, 0, do_fsinfo },
  { "users", 0, 0, do_users },
  { "exec", 0, -1, do_exec },
  { "file-get", 2, 2, do_file_get },
  { "file-put", 2, 2, do_file_put },
  { "fsfreeze", 1, 1, do_fsfreeze },
  { "shutdown", 0, 0, do_power },
  { "reboot", 0, 0, do_power },
  { "set-password", 0, -1, do_set_password },
  { "raw", 1, 1, do_raw },
};

static const struct verb *find_verb(const char *name)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(verbs); i++)
    if (strcmp(verbs[i].name, name) == 0)
      return &verbs[i];
  return NULL;
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

int cmd_agent(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_SOCKET = 0x100, OPT_TIMEOUT, OPT_MAX_REPLY, OPT_JSON };
  static const struct option opts[] = {
    { "socket", required_argument, NULL, OPT_SOCKET },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "max-reply", required_argument, NULL, OPT_MAX_REPLY },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  vsc_agent_socket_opts so = { .timeout_ms = VSC_AGENT_DEFAULT_TIMEOUT_MS };
  agent_ctx ctx = { .cli = cli };
  vsc_diags diags = { 0 };

  /* Options may come before and after a DOMAIN: parse, take the domain,
   * parse again ("+": stop at the first argument that is not an option). */
  optind = 0;
  const char *domain = NULL;
  for (int pass = 0; pass < 2; pass++) {
    int c;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
      switch (c) {
      case OPT_SOCKET:
        so.path = optarg;
        break;
      case OPT_TIMEOUT:
        if (parse_seconds(optarg, false, &so.timeout_ms) < 0)
          return vsc_cli_usage_error("agent", "invalid timeout '%s': give seconds greater than 0",
                                     optarg);
        break;
      case OPT_MAX_REPLY:
        if (parse_size(optarg, &so.max_reply) < 0)
          return vsc_cli_usage_error("agent", "invalid reply size '%s': give bytes, e.g. 64M", optarg);
        break;
      case OPT_JSON:
        ctx.json = true;
        break;
      case 'h':
        usage(stdout);
        return VSC_EXIT_OK;
      default:
        return vsc_cli_option_error("agent", argv, "+h");
      }
    }
    /* The first word is a DOMAIN unless it is an agent command (a domain
     * named like one is taken as the domain when a command follows). */
    if (pass == 0 && !so.path && optind < argc &&
        (!find_verb(argv[optind]) || (optind + 1 < argc && find_verb(argv[optind + 1]))))
      domain = argv[optind++];
    else
      break;
  }

  int nargs = argc - optind;
  char **args = argv + optind;
  if (nargs == 0)
    return vsc_cli_usage_error("agent", "missing agent command, e.g. 'ping'");
  const struct verb *verb = find_verb(args[0]);
  if (!verb)
    return vsc_cli_usage_error("agent", "unknown agent command '%s'", args[0]);
  if (!so.path && !domain)
    return vsc_cli_usage_error("agent", "name a DOMAIN (through libvirt) or give --socket PATH "
                                        "(the host end of the org.qemu.guest_agent.0 channel)");
  if (nargs - 1 < verb->min_args || (verb->max_args >= 0 && nargs - 1 > verb->max_args))
    return vsc_cli_usage_error("agent", "wrong number of arguments for '%s'", verb->name);

  ctx.agent = domain ? open_domain_agent(cli, domain, so.timeout_ms, &diags)
                     : vsc_agent_open_socket(&so, &diags);
  if (!ctx.agent) {
    vsc_cli_report(cli, &diags);
    vsc_diags_clear(&diags);
    return VSC_EXIT_RUNTIME;
  }
  int rc = verb->fn(&ctx, nargs, args, &diags);
  vsc_agent_free(ctx.agent);
  vsc_diags_clear(&diags);
  return rc;
}
