/* What every command gets from main: the global options, the output
 * settings, its entry of the command table, and the reading of its words
 * (vsc_cli_args).  Commands read their own options and print; the work
 * happens in the library folders, which never print. */
#pragma once

#include "util/diag.h"
#include "util/exitcode.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct vsc_command vsc_command;

typedef struct {
  char **argv;         /* the whole command line, for running vschan-libvirt */
  const char *uri;     /* -c URI, else NULL (LIBVIRT_DEFAULT_URI, libvirt's default) */
  const char **uris;   /* every -c, in order (apply --domains takes several) */
  size_t nuris;
  int verbosity;       /* -q: -1, default 0, -v: 1 and up */
  bool color_stdout;   /* only on a terminal, never with NO_COLOR */
  bool color_stderr;
  const vsc_command *cmd;  /* the command being run */
} vsc_cli;

typedef int (*vsc_cmd_fn)(vsc_cli *cli, int argc, char **argv);

/* What a command needs besides its own options (commands.def). */
enum {
  VSC_CMD_DEVICES = 1 << 0,  /* devices: a spec file as the last operand, or options */
  VSC_CMD_JSON = 1 << 1,     /* --json */
};

/* One entry of the command table (commands.def). */
struct vsc_command {
  const char *name;
  vsc_cmd_fn fn;
  unsigned needs;        /* VSC_CMD_* */
  int min_operands;
  int max_operands;      /* -1: no limit */
  const char *too_few;   /* the usage errors for a wrong count; NULL: the command checks */
  const char *too_many;
  const char *summary;
  const char *usage;     /* synopsis lines after "vschan NAME" */
};

#define VSC_COMMAND(id, name, needs, min, max, too_few, too_many, summary, usage) \
  int cmd_##id(vsc_cli *cli, int argc, char **argv);
#ifdef VSCHAN_WITH_LIBVIRT
#define VSC_LIBVIRT_COMMAND VSC_COMMAND
#else
#define VSC_LIBVIRT_COMMAND(id, name, needs, min, max, too_few, too_many, summary, usage)
#endif
#include "commands.def"
#undef VSC_COMMAND
#undef VSC_LIBVIRT_COMMAND

/* ---- reading a command's words ----
 *
 * Options may stand anywhere among the operands, as with virsh and GNU
 * tools; "--" ends the options (what follows is an operand even when it
 * starts with '-').  --help prints the command's help, --json and the
 * device options are read here for the commands whose table entry asks
 * for them, an unknown option or a bad value is a usage error, and once
 * the options are read the number of operands is checked against the
 * table.  The command's own options come back one by one:
 *
 *   vsc_cli_args a;
 *   vsc_cli_args_init(&a, cli, argc, argv, usage);
 *   vsc_cli_args_options(&a, opts, "o:");
 *   while ((c = vsc_cli_args_next(&a)) > 0)
 *     switch (c) { ... }        (a bad value: a.rc = vsc_cli_usage_error(...))
 *   if (c < 0) return a.rc;     (a usage error, or 0 after --help)
 *   ... a.operands[0] ...
 *   vsc_cli_args_clear(&a);
 */
#include "input.h"

#include <getopt.h>

#define VSC_CLI_OPERAND 1   /* vsc_cli_args_next: an operand, with one_by_one */
#define VSC_CLI_OPT_JSON 0x0f00

typedef struct {
  vsc_cli *cli;
  int argc;
  char **argv;
  void (*usage)(FILE *out);
  const struct option *own;    /* the command's options (vsc_cli_args_options) */
  const char *own_short;
  const struct option *also;   /* more options, after own (vsc_cli_args_also) */
  struct option *table;        /* own, also, then what the table entry asks for */
  char *optstring;
  bool started;
  char **operands;             /* in the order given, NULL after the last; point into argv */
  size_t noperands;
  bool json;                   /* --json (VSC_CMD_JSON) */
  vsc_cli_input input;         /* --template, --channel, ... (VSC_CMD_DEVICES) */
  bool one_by_one;             /* return each operand as VSC_CLI_OPERAND (it is
                                * still collected), for commands whose later
                                * options depend on it (agent) */
  int rc;                      /* the exit code once vsc_cli_args_next is -1 */
} vsc_cli_args;

void vsc_cli_args_init(vsc_cli_args *a, vsc_cli *cli, int argc, char **argv,
                       void (*usage)(FILE *out));
/* The command's own options (NULL-terminated table, and its short
 * options, e.g. "o:"; 'h' is always there).  May be called again between
 * operands to change them (agent sub-commands). */
void vsc_cli_args_options(vsc_cli_args *a, const struct option *own, const char *own_short);
/* More options, read after the own ones, which win when both have a name
 * (agent: its options stay readable after a verb that has its own). */
void vsc_cli_args_also(vsc_cli_args *a, const struct option *also);
/* The next option of the command's own (its code, > 0), VSC_CLI_OPERAND
 * with one_by_one, 0 when all is read and the operands are counted right,
 * -1 when the command is to stop with a.rc (a usage error was printed, or
 * the help).  A command that refuses an option's value sets a.rc to the
 * usage error: the next call returns -1. */
int vsc_cli_args_next(vsc_cli_args *a);
/* Stop at the operand just returned (one_by_one): it and every word after
 * it, as given (agent exec: what follows PROGRAM is the program's). */
char **vsc_cli_args_stop(vsc_cli_args *a, int *n);
/* The devices: the spec file (the last operand when the command got its
 * most) and the device options.  -1 with a.rc set, the error printed or in
 * diags. */
int vsc_cli_args_devices(vsc_cli_args *a, vsc_devset *set, vsc_diags *diags);
void vsc_cli_args_clear(vsc_cli_args *a);

/* Run the whole command line again in vschan-libvirt, the executable that
 * has the libvirt commands.  Returns only when it cannot be run, with the
 * exit code to use. */
int vsc_cli_run_libvirt(vsc_cli *cli);

/* Print the diagnostics to stderr and return the exit code they mean. */
int vsc_cli_report(vsc_cli *cli, vsc_diags *diags);
/* The same at the end of a command that says only whether it failed
 * (rc VSC_EXIT_FAILURE): its exit code is then the one its errors' class
 * means (an unreadable file 2, libvirt 3).  Other codes stay. */
int vsc_cli_finish(vsc_cli *cli, vsc_diags *diags, int rc);
/* "vschan: error: ..." for a usage problem; returns VSC_EXIT_USAGE. */
int vsc_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage error for getopt_long's '?': names the option and says whether
 * it is unknown, lacks its value or takes none.  getopt's own message is
 * off (opterr = 0 in main), so this is the only one. */
int vsc_cli_option_error(const char *cmd, char **argv, const char *optstring);
/* Print a --json document to stdout (indented, jansson flags added, a
 * newline after it) and free it. */
void vsc_cli_print_json(json_t *doc, size_t flags);
/* --timeout SECONDS: more than 0, at most a day; usage error printed and
 * -1 otherwise. */
int vsc_cli_parse_timeout(const char *arg, const char *cmd, double *out);
