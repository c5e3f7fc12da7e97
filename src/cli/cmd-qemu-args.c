/* vschan qemu-args: the QEMU command-line arguments for a spec. */
#include "cli.h"
#include "qemu-version.h"
#include "qemu/qemu.h"

#include <jansson.h>
#include <stdlib.h>

static void usage(FILE *out)
{
  fputs("usage: vschan qemu-args SPEC.json|- [--argv] [--prefix P] [--bus BUS --addr ADDR]\n"
        "                        [--socket-dir DIR] [--qemu-version V] [--machine TYPE]\n"
        "                        [--memory SIZE] [--tls-dir DIR] [--tls-no-verify]\n"
        "       vschan qemu-args --template NAME [--set KEY=VALUE]... | --channel OPTS ...\n"
        "\n"
        "Print the QEMU (>= 6) arguments for the devices: -chardev, -device, -netdev and a\n"
        "virtio-serial-pci controller, in key=value form, shell-quoted on one line so that\n"
        "eval \"set -- $(vschan qemu-args spec.json)\" yields the exact argv.  Every value\n"
        "is escaped for QEMU's option parser (',' becomes ',,'); values QEMU cannot take\n"
        "are refused.  Ids are prefixed so they never collide with libvirt's or Proxmox's.\n"
        "\n"
        "Options:\n"
        "  --argv               one argument per line instead of a shell-quoted line\n"
        "  --json               a JSON array of the arguments\n"
        "  --prefix P           id prefix (default: vschan-)\n"
        "  --bus BUS, --addr A  pin the virtio-serial-pci controller (e.g. pci.2, 0x1f)\n"
        "  --socket-dir DIR     where unix channels without a path listen (DIR/NAME)\n"
        "  --qemu-version V     the QEMU the arguments are for, e.g. 9.2 (default: the\n"
        "                       installed one); from 9.2 on, reconnect is reconnect-ms\n"
        "  --machine TYPE       the -machine type, for explicit PCI addresses: bus 0 is\n"
        "                       pcie.0 on q35 and pci.0 otherwise (default pc)\n"
        "  --memory SIZE        the guest's -m (4G, 512M, or MiB): vhost-user devices get\n"
        "                       the guest's memory as a shared memfd object of that size,\n"
        "                       bound with -machine memory-backend=\n"
        "  --tls-dir DIR        the x509 credentials of a tcp source with tls: true\n"
        "                       (default /etc/pki/qemu, libvirt's)\n"
        "  --tls-no-verify      do not verify the peer's certificate (verify-peer=off)\n"
        "  --template NAME, --set KEY=VALUE, --templates-dir DIR, --channel/--console/\n"
        "  --serial/--parallel OPTS   as for 'vschan xml'\n"
        "  -h, --help           show this help\n"
        "\n"
        "Examples:\n"
        "  vschan qemu-args spec.json\n"
        "  eval \"set -- $(vschan qemu-args --template serial-telnet)\"; qemu-system-x86_64 \"$@\" ...\n"
        "  vschan qemu-args --argv --channel unix,path=/run/app.sock,name=org.example.app.0\n"
        "  vschan qemu-args --memory 4G virtiofs.json\n", out);
}

int cmd_qemu_args(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_ARGV = 0x2000, OPT_PREFIX, OPT_BUS, OPT_ADDR, OPT_QEMU_VERSION, OPT_MACHINE, OPT_SOCKET_DIR, OPT_MEMORY, OPT_TLS_DIR, OPT_TLS_NO_VERIFY };
  static const struct option opts[] = {
    { "argv", no_argument, NULL, OPT_ARGV },
    { "prefix", required_argument, NULL, OPT_PREFIX },
    { "bus", required_argument, NULL, OPT_BUS },
    { "addr", required_argument, NULL, OPT_ADDR },
    { "qemu-version", required_argument, NULL, OPT_QEMU_VERSION },
    { "machine", required_argument, NULL, OPT_MACHINE },
    { "socket-dir", required_argument, NULL, OPT_SOCKET_DIR },
    { "tls-dir", required_argument, NULL, OPT_TLS_DIR },
    { "tls-no-verify", no_argument, NULL, OPT_TLS_NO_VERIFY },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { NULL, 0, NULL, 0 },
  };
  vsc_cli_args a;
  vsc_qemu_opts qopts = { 0 };
  vsc_diags diags = { 0 };
  vsc_devset set;
  bool one_per_line = false;
  char **args = NULL;
  size_t nargs = 0;
  int rc = VSC_EXIT_OK, c;

  vsc_devset_init(&set);
  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, opts, NULL);
  while ((c = vsc_cli_args_next(&a)) > 0) {
    switch (c) {
    case OPT_ARGV:
      one_per_line = true;
      break;
    case OPT_PREFIX:
      qopts.id_prefix = optarg;
      break;
    case OPT_BUS:
      qopts.controller_bus = *optarg ? optarg : NULL; /* '': not pinned, as in qm */
      break;
    case OPT_ADDR:
      qopts.controller_addr = *optarg ? optarg : NULL;
      break;
    case OPT_QEMU_VERSION:
      a.rc = vsc_cli_qemu_version_option("qemu-args", optarg, &qopts.qemu_version);
      break;
    case OPT_MACHINE:
      qopts.machine = optarg;
      break;
    case OPT_SOCKET_DIR:
      qopts.socket_dir = optarg;
      break;
    case OPT_MEMORY:
      qopts.memory = optarg;
      break;
    case OPT_TLS_DIR:
      qopts.tls_dir = optarg;
      break;
    case OPT_TLS_NO_VERIFY:
      qopts.tls_no_verify = true;
      break;
    }
  }
  if (c < 0 || vsc_cli_args_devices(&a, &set, &diags) < 0) {
    rc = a.rc;
    goto report;
  }
  if (!qopts.qemu_version)
    qopts.qemu_version = vsc_cli_qemu_version_default(&set);
  if (vsc_qemu_build_argv(&set, &qopts, &args, &nargs, &diags) < 0) {
    rc = VSC_EXIT_FAILURE;
    goto report;
  }
  if (a.json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < nargs; i++)
      json_array_append_new(arr, json_string(args[i]));
    vsc_cli_print_json(arr, 0);
  } else if (one_per_line) {
    char *text = vsc_qemu_argv_to_lines(args, nargs, &diags);
    if (!text) {
      rc = VSC_EXIT_FAILURE;
      goto report;
    }
    fputs(text, stdout);
    free(text);
  } else {
    char *text = vsc_qemu_argv_to_shell(args, nargs);
    puts(text);
    free(text);
  }

report:
  rc = vsc_cli_finish(cli, &diags, rc);
  if (args)
    vsc_qemu_argv_free(args, nargs);
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
  vsc_cli_args_clear(&a);
  return rc;
}
