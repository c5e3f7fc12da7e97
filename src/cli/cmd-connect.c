/* vschan connect: standard input to a device, the device to standard
 * output; an interactive session with an escape key on a terminal. */
#define _GNU_SOURCE
#include "cli.h"
#include "pve/pve.h"
#include "guest/guest.h"
#include "virt-cmd.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_ESCAPE 0x1d       /* Ctrl-], as virsh console */
#define DEFAULT_DRAIN_TIMEOUT 1.0

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] connect DOMAIN IDENT [--escape CHAR] [--drain-timeout S]\n"
        "                                [--force]\n"
        "       vschan connect --socket PATH [--escape CHAR] [--drain-timeout S]\n"
        "       vschan connect --vmid VMID serialN|NAME [--run-dir DIR] [...]\n"
        "                      [--half-close]\n"
        "\n"
        "Connect standard input and output to a channel, console or serial port:\n"
        "what vschan reads goes to the guest, what the guest sends is written out,\n"
        "byte for byte and in order, so it works in a pipe as well as on a terminal.\n"
        "IDENT names the device as in 'vschan remove': an alias, a virtio name, a\n"
        "guestfwd ADDRESS:PORT, or serialN, parallelN (target port N), consoleN,\n"
        "channelN (the Nth of its kind).  libvirt opens channels on a unix or pty\n"
        "backend and consoles, serial and parallel ports on a pty backend\n"
        "(virDomainOpenChannel, virDomainOpenConsole); a console or serial port on a\n"
        "unix socket QEMU listens on is opened directly on a local connection.\n"
        "--socket PATH connects to a unix socket directly, without libvirt; --vmid VMID\n"
        "to a Proxmox VE VM's socket, as 'qm terminal' does: serialN (serialN: socket)\n"
        "or a channel vschan put next to it (RUN_DIR/VMID.NAME).\n"
        "\n"
        "On a terminal, the terminal is put in raw mode (every key goes to the guest)\n"
        "and the escape character ends the session; the terminal is restored on every\n"
        "way out.  The session ends when the device closes (the stream ends, the\n"
        "device is unplugged, the domain stops), or after standard input ends and the\n"
        "device has been quiet for the drain timeout: a guest service that echoes\n"
        "never closes, so vschan cannot know that the last answer has come.\n"
        "\n"
        "Options:\n"
        "  --socket PATH        a unix socket instead of a domain's device\n"
        "  --vmid VMID          a Proxmox VE VM's socket instead (IDENT: serialN or a\n"
        "                       channel's name)\n"
        "  --run-dir DIR        qemu-server's socket directory (default /var/run/qemu-server)\n"
        "  --escape CHAR        the key that ends a terminal session: ^X for Ctrl-X,\n"
        "                       a single character, or 'none' (default ^])\n"
        "  --drain-timeout S    after standard input ends, how long the device may be\n"
        "                       quiet before vschan exits (default 1; 0: exit once\n"
        "                       all input is sent; 'forever': until the device closes)\n"
        "  --half-close         with --socket: shut down the socket's sending side when\n"
        "                       standard input ends, for peers that answer at EOF (a\n"
        "                       QEMU chardev takes it as a disconnect)\n"
        "  --force              take the device over from another session (virsh\n"
        "                       console, another vschan connect)\n"
        "  -h, --help           show this help\n"
        "\n"
        "Exit status: 0 the session ended (device closed, input drained, escape key);\n"
        "1 the device cannot be connected to (unknown IDENT, a backend without a\n"
        "stream, domain not running); 2 usage, or reading input or writing output\n"
        "failed; 3 libvirt or the socket failed; 128+N ended by signal N.\n"
        "\n"
        "Examples:\n"
        "  vschan connect vm1 serial0\n"
        "  vschan connect vm1 org.example.app.0 < request.bin > reply.bin\n"
        "  printf 'hello\\n' | vschan connect vm1 org.vschan.test.0 --drain-timeout 3\n"
        "  vschan connect --socket /run/vm1/app.sock --escape ^a\n", out);
}

/* ---- the terminal and signals ---- */

static struct termios saved_tty;
static bool tty_raw;
static int signal_pipe[2] = { -1, -1 };

static void restore_tty(void)
{
  if (tty_raw) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
    tty_raw = false;
  }
}

static int make_raw(void)
{
  struct termios raw;
  if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
    return -1;
  raw = saved_tty;
  cfmakeraw(&raw);
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0)
    return -1;
  tty_raw = true;
  atexit(restore_tty);
  return 0;
}

/* Any thread may take the signal: the pump sees the pipe and stops, and
 * the terminal is restored on the way out. */
static void on_signal(int sig)
{
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  ssize_t n = write(signal_pipe[1], &b, 1);
  (void)n;
  errno = saved;
}

static int catch_signals(void)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
  if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    return -1;
  struct sigaction sa = { .sa_handler = on_signal };
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < VSC_N_ELEMENTS(sigs); i++)
    sigaction(sigs[i], &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  return 0;
}

static int caught_signal(void)
{
  unsigned char b = 0;
  if (read(signal_pipe[0], &b, 1) != 1)
    return SIGTERM;
  return b;
}

/* "^]", "^a", "x", "none". */
static int parse_escape(const char *text, int *escape)
{
  if (strcmp(text, "none") == 0) {
    *escape = -1;
    return 0;
  }
  if (text[0] == '^' && text[1] && !text[2]) {
    int c = (unsigned char)text[1];
    if (c == '?') {
      *escape = 0x7f;
      return 0;
    }
    if (c >= 'a' && c <= 'z')
      c -= 'a' - 'A';
    if (c < '@' || c > '_')
      return -1;
    *escape = c - '@';
    return 0;
  }
  if (text[0] && !text[1]) {
    *escape = (unsigned char)text[0];
    return 0;
  }
  return -1;
}

static void show_escape(int escape, char *out, size_t n)
{
  if (escape < 0x20)
    snprintf(out, n, "^%c", escape + '@');
  else if (escape == 0x7f)
    snprintf(out, n, "^?");
  else
    snprintf(out, n, "%c", escape);
}

static int parse_drain(const char *text, double *seconds)
{
  if (strcmp(text, "forever") == 0) {
    *seconds = -1;
    return 0;
  }
  return vsc_seconds_parse(text, true, 86400, seconds);
}

static const char *end_name(vsc_guest_end end)
{
  switch (end) {
  case VSC_GUEST_END_PEER_CLOSED:
    return "the device closed the connection";
  case VSC_GUEST_END_DRAINED:
    return "input ended and the device went quiet";
  case VSC_GUEST_END_ESCAPE:
    return "escape key";
  case VSC_GUEST_END_STOPPED:
    return "signal";
  case VSC_GUEST_END_OUTPUT_CLOSED:
    return "the output was closed";
  }
  return "";
}

static int session(vsc_cli *cli, vsc_guest_channel *ch, vsc_guest_pump_opts *po,
                   vsc_diags *diags)
{
  vsc_guest_pump_result r;
  bool terminal = isatty(STDIN_FILENO);

  if (terminal) {
    char esc[8] = "";
    if (po->escape >= 0)
      show_escape(po->escape, esc, sizeof(esc));
    /* Raw before the banner: keys typed once it shows go through as
     * they are (and the banner needs its own carriage returns). */
    if (make_raw() < 0) {
      vsc_error_io(diags, NULL, "guest-io-local", "run it with standard input redirected",
                   "cannot put the terminal in raw mode: %s", strerror(errno));
      return -1;
    }
    if (cli->verbosity >= 0) {
      fprintf(stderr, "Connected to %s.\r\n", vsc_guest_channel_describe(ch));
      if (po->escape >= 0)
        fprintf(stderr, "Escape character is %s\r\n", esc);
      else
        fprintf(stderr, "No escape character: end the session from the guest or with a signal\r\n");
    }
  } else {
    /* The escape key is for people at a keyboard; piped data may hold
     * any byte. */
    po->escape = -1;
  }

  int rc = vsc_guest_pump(ch, po, &r, diags);
  restore_tty();
  if (terminal && cli->verbosity >= 0)
    fputc('\n', stderr);
  if (rc < 0)
    return -1;
  if (cli->verbosity > 0 || (terminal && cli->verbosity >= 0 &&
                             r.end == VSC_GUEST_END_PEER_CLOSED))
    fprintf(stderr, "vschan: session with %s ended: %s (sent %ju bytes, received %ju)\n",
            vsc_guest_channel_describe(ch), end_name(r.end), (uintmax_t)r.sent,
            (uintmax_t)r.received);
  if (r.end == VSC_GUEST_END_STOPPED)
    return 128 + caught_signal();
  return 0;
}

int cmd_connect(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_SOCKET = 0x100, OPT_ESCAPE, OPT_DRAIN, OPT_HALF_CLOSE, OPT_FORCE, OPT_VMID, OPT_RUN_DIR };
  static const struct option opts[] = {
    { "socket", required_argument, NULL, OPT_SOCKET },
    { "escape", required_argument, NULL, OPT_ESCAPE },
    { "drain-timeout", required_argument, NULL, OPT_DRAIN },
    { "half-close", no_argument, NULL, OPT_HALF_CLOSE },
    { "force", no_argument, NULL, OPT_FORCE },
    { "vmid", required_argument, NULL, OPT_VMID },
    { "run-dir", required_argument, NULL, OPT_RUN_DIR },
    { NULL, 0, NULL, 0 },
  };
  vsc_guest_pump_opts po = {
    .in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO, .escape = DEFAULT_ESCAPE,
    .drain_timeout = DEFAULT_DRAIN_TIMEOUT, .stop_fd = -1,
  };
  vsc_guest_open_opts oo = { 0 };
  const char *socket_path = NULL, *vmid = NULL, *run_dir = NULL;
  VSC_AUTOFREE(char) vm_socket = NULL;
  vsc_cli_args a;
  int c;

  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, opts, NULL);
  while ((c = vsc_cli_args_next(&a)) > 0) {
    switch (c) {
    case OPT_SOCKET:
      socket_path = optarg;
      break;
    case OPT_ESCAPE:
      if (parse_escape(optarg, &po.escape) < 0)
        a.rc = vsc_cli_usage_error("connect", "invalid escape character '%s': give ^X, one "
                                   "character, or 'none'", optarg);
      break;
    case OPT_DRAIN:
      if (parse_drain(optarg, &po.drain_timeout) < 0)
        a.rc = vsc_cli_usage_error("connect", "invalid drain timeout '%s': give seconds from 0 to 86400 "
                                   "(a day), or 'forever'", optarg);
      break;
    case OPT_HALF_CLOSE:
      po.half_close = true;
      break;
    case OPT_FORCE:
      oo.force = true;
      break;
    case OPT_VMID:
      vmid = optarg;
      break;
    case OPT_RUN_DIR:
      run_dir = optarg;
      break;
    }
  }
  /* DOMAIN IDENT, or none with --socket. */
  size_t nargs = a.noperands;
  char *domain = nargs > 0 ? a.operands[0] : NULL, *ident = nargs > 1 ? a.operands[1] : NULL;
  vsc_cli_args_clear(&a);
  if (c < 0)
    return a.rc;
  if (run_dir && !vmid)
    return vsc_cli_usage_error("connect", "--run-dir goes with --vmid");
  if (vmid) {
    if (socket_path || nargs != 1)
      return vsc_cli_usage_error("connect", "with --vmid, name the VM's socket only: serialN or a channel's name");
    if (strcmp(domain, "qga") == 0)
      return vsc_cli_usage_error("connect", "VMID.qga is the guest agent's: use 'vschan agent --vmid %s COMMAND'",
                                 vmid);
    vsc_diags vd = { 0 };
    if (vsc_pve_vm_socket(run_dir, vmid, domain, &vm_socket, &vd) < 0) {
      vsc_cli_report(cli, &vd);
      vsc_diags_clear(&vd);
      return VSC_EXIT_USAGE;
    }
    socket_path = vm_socket;
    nargs = 0;
  }
  if (socket_path && nargs != 0)
    return vsc_cli_usage_error("connect", "give either --socket PATH or DOMAIN IDENT, not both");
  if (!socket_path && nargs != 2)
    return vsc_cli_usage_error("connect", "name the domain and the device: 'vschan connect "
                               "DOMAIN IDENT', or give --socket PATH");
  if (po.half_close && !socket_path)
    return vsc_cli_usage_error("connect", "--half-close applies to --socket only (a libvirt "
                               "stream cannot be half closed)");
  if (oo.force && socket_path)
    return vsc_cli_usage_error("connect", "--force applies to a domain's device only");

  if (catch_signals() < 0) {
    fprintf(stderr, "vschan: error: cannot create a pipe: %s\n", strerror(errno));
    return VSC_EXIT_USAGE;
  }
  po.stop_fd = signal_pipe[0];

  vsc_virt_session s = { 0 };
  vsc_diags diags = { 0 };
  vsc_guest_channel *ch = NULL;
  int rc;

  if (socket_path)
    ch = vsc_guest_channel_open_socket(socket_path, &diags);
  else if (vsc_virt_session_begin(cli, domain, &s, &diags) == 0)
    ch = vsc_guest_channel_open_domain(s.dom, ident, &oo, &diags);
  if (!ch) {
    rc = vsc_cli_report(cli, &diags);
  } else {
    rc = session(cli, ch, &po, &diags);
    int reported = vsc_cli_report(cli, &diags);
    if (rc < 0)
      rc = reported;
  }
  /* The stream goes before the connection it belongs to. */
  vsc_guest_channel_close(ch);
  if (!socket_path)
    vsc_virt_session_end(&s);
  vsc_diags_clear(&diags);
  return rc;
}
