/* vschan: character devices of QEMU/KVM guests, from one declarative spec.
 *
 * main() parses the global options, finds the command in the table
 * (commands.def) and hands over.  Each command lives in cmd-<name>.c. */
#include "cli.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/paths.h"

#include <getopt.h>
#include <libxml/parser.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VSCHAN_WITH_LIBVIRT
static int cmd_via_libvirt(vsc_cli *cli, int argc, char **argv)
{
  (void)argc;
  (void)argv;
  return vsc_cli_run_libvirt(cli);
}
#endif

static const vsc_command commands[] = {
#define VSC_COMMAND(id, name, needs, min, max, too_few, too_many, summary, usage) \
  { name, cmd_##id, needs, min, max, too_few, too_many, summary, usage },
#ifdef VSCHAN_WITH_LIBVIRT
#define VSC_LIBVIRT_COMMAND VSC_COMMAND
#else
/* Read in vschan-libvirt, which gets the whole command line. */
#define VSC_LIBVIRT_COMMAND(id, name, needs, min, max, too_few, too_many, summary, usage) \
  { name, cmd_via_libvirt, 0, 0, -1, NULL, NULL, summary, usage },
#endif
#include "commands.def"
#undef VSC_COMMAND
#undef VSC_LIBVIRT_COMMAND
};

static const vsc_command *find_command(const char *name)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(commands); i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void print_main_help(FILE *out)
{
  fputs("usage: vschan [-c URI] [-q|-v] COMMAND [ARGS]...\n"
        "\n"
        "Character devices of QEMU/KVM guests (virtio-serial channels, consoles,\n"
        "serial and parallel ports) from one declarative JSON spec.\n"
        "\n"
        "Commands:\n", out);
  for (size_t i = 0; i < VSC_N_ELEMENTS(commands); i++)
    fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fputs("\n"
        "Global options:\n"
        "  -c, --connect URI  libvirt connection URI (default: $LIBVIRT_DEFAULT_URI,\n"
        "                     then libvirt's default)\n"
        "  -q, --quiet        print only errors\n"
        "  -v, --verbose      say more (repeatable)\n"
        "  -h, --help         show this help; 'vschan help COMMAND' for a command\n"
        "  -V, --version      print the version\n"
        "\n"
        "A command's options may stand anywhere after its name; '--' ends them.\n"
        "\n"
        "Examples:\n"
        "  vschan xml --template guest-agent --into vm.xml -o vm.xml\n"
        "  vschan validate --werror /etc/libvirt/qemu/*.xml\n"
        "  vschan add vm1 --channel unix,path=/run/app.sock,name=org.example.app.0\n"
        "  vschan agent vm1 exec -- uname -a\n"
        "\n"
        "Exit status: 0 success, 1 invalid input or failed operation, 2 usage or\n"
        "I/O error, 3 libvirt/QEMU/agent failure, 4 out of memory.\n"
        "See vschan(1) and vschan-spec(5).\n", out);
}

int vsc_cli_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fputs("vschan: error: ", stderr);
  va_start(ap, fmt);
  /* clang 14's analyzer loses the va_start when it inlines this variadic
   * function into a caller (seen only since main.c is built twice). */
  vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
  va_end(ap);
  fputc('\n', stderr);
  if (cmd)
    fprintf(stderr, "  hint: see 'vschan %s --help'\n", cmd);
  else
    fputs("  hint: see 'vschan --help'\n", stderr);
  return VSC_EXIT_USAGE;
}

int vsc_cli_option_error(const char *cmd, char **argv, const char *optstring)
{
  const char *word = optind > 0 ? argv[optind - 1] : "";

  if (strncmp(word, "--", 2) == 0) {
    int len = (int)strcspn(word, "=");
    if (optopt == 0)  /* glibc: unknown, or a prefix of several options */
      return vsc_cli_usage_error(cmd, "unknown option '%.*s'", len, word);
    if (word[len] == '=')
      return vsc_cli_usage_error(cmd, "option '%.*s' takes no value", len, word);
    return vsc_cli_usage_error(cmd, "option '%s' needs a value", word);
  }
  const char *spec = optopt ? strchr(optstring, optopt) : NULL;
  if (spec && spec[1] == ':')
    return vsc_cli_usage_error(cmd, "option '-%c' needs a value", optopt);
  if (optopt)
    return vsc_cli_usage_error(cmd, "unknown option '-%c'", optopt);
  return vsc_cli_usage_error(cmd, "unknown option '%s'", word);
}

void vsc_cli_print_json(json_t *doc, size_t flags)
{
  json_dumpf(doc, stdout, JSON_INDENT(2) | flags);
  putchar('\n');
  json_decref(doc);
}

int vsc_cli_parse_timeout(const char *arg, const char *cmd, double *out)
{
  if (vsc_seconds_parse(arg, false, 86400, out) < 0) {
    vsc_cli_usage_error(cmd, "--timeout takes a number of seconds greater than 0, at most 86400 (a day), not '%s'", arg);
    return -1;
  }
  return 0;
}

int vsc_cli_report(vsc_cli *cli, vsc_diags *diags)
{
  int rc = vsc_diags_exit_code(diags);
  if (cli->verbosity < 0) {
    /* -q: errors only */
    vsc_diags quiet = { 0 };
    for (size_t i = 0; i < diags->n; i++)
      if (diags->items[i].severity == VSC_SEV_ERROR)
        *(vsc_diag *)vsc_append(&quiet.items, &quiet.n, sizeof(vsc_diag)) = diags->items[i];
    vsc_diags_print(&quiet, stderr, cli->color_stderr);
    free(quiet.items);
  } else {
    vsc_diags_print(diags, stderr, cli->color_stderr);
  }
  return rc;
}

int vsc_cli_finish(vsc_cli *cli, vsc_diags *diags, int rc)
{
  int by_class = vsc_cli_report(cli, diags);
  return rc == VSC_EXIT_FAILURE && by_class != VSC_EXIT_OK ? by_class : rc;
}

static bool want_color(int fd)
{
  const char *no = getenv("NO_COLOR");
  const char *term = getenv("TERM");
  return isatty(fd) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
}

/* Make sure what we printed reached stdout: a full disk or a closed pipe
 * must not look like success (as git does). */
static int finish_stdout(int rc)
{
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fputs("vschan: error: cannot write to standard output\n", stderr);
    return rc ? rc : VSC_EXIT_USAGE;
  }
  return rc;
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    { "connect", required_argument, NULL, 'c' },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  vsc_cli cli = { 0 };
  int c;

  vsc_mem_init();
  xmlInitParser();
  opterr = 0;  /* vsc_cli_option_error says it once, with the hint */
  cli.argv = argv;
  cli.uri = NULL;
  cli.color_stdout = want_color(STDOUT_FILENO);
  cli.color_stderr = want_color(STDERR_FILENO);

  /* "+": stop at the command name; its options are its own. */
  while ((c = getopt_long(argc, argv, "+c:qvhV", opts, NULL)) != -1) {
    switch (c) {
    case 'c':
      cli.uri = optarg;
      *(const char **)vsc_append(&cli.uris, &cli.nuris, sizeof(char *)) = optarg;
      break;
    case 'q':
      cli.verbosity = -1;
      break;
    case 'v':
      cli.verbosity = cli.verbosity < 0 ? 1 : cli.verbosity + 1;
      break;
    case 'h':
      print_main_help(stdout);
      return finish_stdout(VSC_EXIT_OK);
    case 'V':
      printf("vschan %s\n", vsc_version());
      return finish_stdout(VSC_EXIT_OK);
    default:
      return vsc_cli_option_error(NULL, argv, "+c:qvhV");
    }
  }
  if (optind >= argc) {
    print_main_help(stderr);
    return VSC_EXIT_USAGE;
  }

  const char *name = argv[optind];
  if (strcmp(name, "help") == 0) {
    if (optind + 1 >= argc) {
      print_main_help(stdout);
      return finish_stdout(VSC_EXIT_OK);
    }
    name = argv[optind + 1];
    if (!find_command(name))
      return vsc_cli_usage_error(NULL, "unknown command '%s'", name);
    /* The command prints its full help itself. */
    char *help_argv[] = { (char *)name, (char *)"--help", NULL };
    cli.cmd = find_command(name);
    return finish_stdout(cli.cmd->fn(&cli, 2, help_argv));
  }

  const vsc_command *cmd = find_command(name);
  if (!cmd)
    return vsc_cli_usage_error(NULL, "unknown command '%s'", name);

  cli.cmd = cmd;
  int rc = cmd->fn(&cli, argc - optind, argv + optind);
  return finish_stdout(rc);
}
