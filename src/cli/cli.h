/* What every command gets from main: the global options and the output
 * settings.  Commands parse their own options and print; the work happens
 * in the library folders, which never print. */
#pragma once

#include "util/diag.h"
#include "util/exitcode.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct {
  char **argv;         /* the whole command line, for running vschan-libvirt */
  const char *uri;     /* -c URI, else NULL (LIBVIRT_DEFAULT_URI, libvirt's default) */
  int verbosity;       /* -q: -1, default 0, -v: 1 and up */
  bool color_stdout;   /* only on a terminal, never with NO_COLOR */
  bool color_stderr;
} vsc_cli;

typedef int (*vsc_cmd_fn)(vsc_cli *cli, int argc, char **argv);

typedef struct {
  const char *name;
  vsc_cmd_fn fn;
  const char *summary;
  const char *usage;    /* synopsis lines after "vschan NAME" */
} vsc_command;

#define VSC_COMMAND(id, name, summary, usage) int cmd_##id(vsc_cli *cli, int argc, char **argv);
#ifdef VSCHAN_WITH_LIBVIRT
#define VSC_LIBVIRT_COMMAND VSC_COMMAND
#else
#define VSC_LIBVIRT_COMMAND(id, name, summary, usage)
#endif
#include "commands.def"
#undef VSC_COMMAND
#undef VSC_LIBVIRT_COMMAND

/* Run the whole command line again in vschan-libvirt, the executable that
 * has the libvirt commands.  Returns only when it cannot be run, with the
 * exit code to use. */
int vsc_cli_run_libvirt(vsc_cli *cli);

/* Print the diagnostics to stderr and return the exit code they mean. */
int vsc_cli_report(vsc_cli *cli, vsc_diags *diags);
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
/* Print the help of one command to out. */
