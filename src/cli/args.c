/* Reading a command's words: its options anywhere on the line, what the
 * command table says it needs, and the count of its operands.  See the
 * comment of vsc_cli_args in cli.h. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const struct option help_option[] = {
  { "help", no_argument, NULL, 'h' },
};
static const struct option json_option[] = {
  { "json", no_argument, NULL, VSC_CLI_OPT_JSON },
};
static const struct option device_options[] = {
  VSC_CLI_INPUT_OPTIONS,
};

void vsc_cli_args_init(vsc_cli_args *a, vsc_cli *cli, int argc, char **argv,
                       void (*usage)(FILE *out))
{
  memset(a, 0, sizeof(*a));
  a->cli = cli;
  a->argc = argc;
  a->argv = argv;
  a->usage = usage;
}

static size_t count(const struct option *opts)
{
  size_t n = 0;
  while (opts && opts[n].name)
    n++;
  return n;
}

static bool has_name(const struct option *opts, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(opts[i].name, name) == 0)
      return true;
  return false;
}

/* Append the options of add that table does not name yet: the command's
 * own come first and win. */
static void merge(struct option *table, size_t *n, const struct option *add, size_t nadd)
{
  for (size_t i = 0; i < nadd; i++)
    if (!has_name(table, *n, add[i].name))
      table[(*n)++] = add[i];
}

static void build(vsc_cli_args *a)
{
  unsigned needs = a->cli->cmd ? a->cli->cmd->needs : 0;
  size_t n = 0, cap = count(a->own) + count(a->also) + VSC_N_ELEMENTS(help_option) +
                      VSC_N_ELEMENTS(json_option) + VSC_N_ELEMENTS(device_options) + 1;

  free(a->table);
  free(a->optstring);
  a->table = vsc_calloc(cap, sizeof(*a->table));
  merge(a->table, &n, a->own, count(a->own));
  merge(a->table, &n, a->also, count(a->also));
  merge(a->table, &n, help_option, VSC_N_ELEMENTS(help_option));
  if (needs & VSC_CMD_JSON)
    merge(a->table, &n, json_option, VSC_N_ELEMENTS(json_option));
  if (needs & VSC_CMD_DEVICES)
    merge(a->table, &n, device_options, VSC_N_ELEMENTS(device_options));
  /* "-": operands come back in place, so options may follow them however
   * POSIXLY_CORRECT is set, and a command can stop at one (agent exec). */
  a->optstring = vsc_asprintf("-%sh", a->own_short ? a->own_short : "");
}

void vsc_cli_args_options(vsc_cli_args *a, const struct option *own, const char *own_short)
{
  a->own = own;
  a->own_short = own_short;
  if (a->table)
    build(a);
}

void vsc_cli_args_also(vsc_cli_args *a, const struct option *also)
{
  a->also = also;
  if (a->table)
    build(a);
}

static const char *cmd_name(const vsc_cli_args *a)
{
  return a->cli->cmd ? a->cli->cmd->name : NULL;
}

static void add_operand(vsc_cli_args *a, char *word)
{
  a->operands = vsc_realloc(a->operands, (a->noperands + 2) * sizeof(*a->operands));
  a->operands[a->noperands++] = word;
  a->operands[a->noperands] = NULL;
}

static int stop(vsc_cli_args *a, int rc)
{
  a->rc = rc;
  return -1;
}

/* The count the table asks for; the usage error it names otherwise. */
static int check_count(vsc_cli_args *a)
{
  const vsc_command *cmd = a->cli->cmd;
  if (!cmd)
    return 0;
  if (a->noperands < (size_t)cmd->min_operands)
    return stop(a, vsc_cli_usage_error(cmd->name, "%s", cmd->too_few ? cmd->too_few
                                                                     : "too few arguments"));
  if (cmd->max_operands >= 0 && a->noperands > (size_t)cmd->max_operands)
    return stop(a, vsc_cli_usage_error(cmd->name, "%s", cmd->too_many ? cmd->too_many
                                                                      : "too many arguments"));
  return 0;
}

int vsc_cli_args_next(vsc_cli_args *a)
{
  /* The command refused the value of its last option. */
  if (a->rc)
    return -1;
  if (!a->started) {
    build(a);
    optind = 0;  /* a fresh scan of this argv */
    a->started = true;
  }
  unsigned needs = a->cli->cmd ? a->cli->cmd->needs : 0;
  for (;;) {
    int c = getopt_long(a->argc, a->argv, a->optstring, a->table, NULL);
    int rc = VSC_EXIT_OK;

    switch (c) {
    case VSC_CLI_OPERAND:
      add_operand(a, optarg);
      if (a->one_by_one)
        return VSC_CLI_OPERAND;
      continue;
    case -1:
      /* After "--": operands, whatever they look like. */
      for (; optind < a->argc; optind++)
        add_operand(a, a->argv[optind]);
      return check_count(a);
    case 'h':
      if (a->usage)
        a->usage(stdout);
      return stop(a, VSC_EXIT_OK);
    case '?':
      return stop(a, vsc_cli_option_error(cmd_name(a), a->argv, a->optstring));
    case VSC_CLI_OPT_JSON:
      a->json = true;
      continue;
    default:
      if ((needs & VSC_CMD_DEVICES) && vsc_cli_input_option(&a->input, c, optarg, cmd_name(a), &rc)) {
        if (rc)
          return stop(a, rc);
        continue;
      }
      return c;
    }
  }
}

char **vsc_cli_args_stop(vsc_cli_args *a, int *n)
{
  /* "-" keeps argv in its order: the operand is the word before optind. */
  *n = a->argc - optind + 1;
  return a->argv + optind - 1;
}

int vsc_cli_args_devices(vsc_cli_args *a, vsc_devset *set, vsc_diags *diags)
{
  const vsc_command *cmd = a->cli->cmd;
  /* The spec file is the optional last operand. */
  const char *spec = cmd->max_operands > 0 && a->noperands == (size_t)cmd->max_operands
                       ? a->operands[a->noperands - 1] : NULL;
  return vsc_cli_input_load(&a->input, spec, set, diags, cmd->name, &a->rc);
}

void vsc_cli_args_clear(vsc_cli_args *a)
{
  free(a->table);
  free(a->optstring);
  free(a->operands);
  vsc_cli_input_clear(&a->input);
  a->table = NULL;
  a->optstring = NULL;
  a->operands = NULL;
  a->noperands = 0;
}
