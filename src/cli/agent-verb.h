/* The sub-commands of 'vschan agent' ("verbs"): one row each in
 * agent_verbs (agent-verbs.c).  A row either asks the agent and prints
 * the answer (ask, then show or --json), or runs a flow of its own (run:
 * exec, the file copies, set-password, each in its own file).  cmd-agent.c
 * reads the command line, opens the transport and calls the row; a verb
 * only talks to src/agent and prints. */
#pragma once

#include "agent/agent.h"
#include "cli.h"

#include <jansson.h>

typedef struct agent_verb agent_verb;

typedef struct {
  vsc_cli *cli;
  const agent_verb *verb;
  vsc_agent *agent;
  bool json;            /* --json */
  int argc;             /* the verb's operands, after its name */
  char **argv;
  vsc_diags *diags;
  /* The verbs' own options, as read. */
  vsc_agent_exec_opts exec;   /* exec: --timeout; argv is the program's */
  const char **env;           /* exec --env NAME=VALUE..., NULL-terminated */
  size_t nenv;
  bool exec_stdin;            /* exec --stdin */
  bool crypted;               /* set-password --crypted */
} agent_call;

struct agent_verb {
  const char *name;
  int min_args;                 /* operands after the name; max -1: no limit */
  int max_args;
  const char *wrong_count;      /* the usage error for another count (NULL: a generic one) */
  const struct option *options; /* the verb's own options (after its name), or NULL */
  /* Take one of them: 0, or the exit status of the usage error printed. */
  int (*option)(agent_call *call, int opt, const char *arg);
  bool stops_at_operand;        /* its first operand ends the options (exec: PROGRAM) */
  /* Check the operands before the agent is reached: 0, or the exit
   * status of the usage error printed. */
  int (*check)(agent_call *call);
  /* Ask the agent: the answer as --json prints it (a new reference), or
   * NULL with the error in call->diags. */
  json_t *(*ask)(agent_call *call);
  /* Print the answer for people. */
  void (*show)(agent_call *call, json_t *answer);
  /* Instead of ask and show: the whole verb; returns the exit status. */
  int (*run)(agent_call *call);
};

extern const agent_verb agent_verbs[];
extern const size_t agent_nverbs;

/* The row named name, or NULL. */
const agent_verb *agent_verb_find(const char *name);

/* Print the diagnostics; the exit status: 3 when the agent failed, 2 for
 * local trouble. */
int agent_report(agent_call *call);

/* The verbs with a flow of their own, and their options (codes from
 * 0x300 on, clear of the agent's own). */
extern const struct option agent_exec_options[];
int agent_exec_option(agent_call *call, int opt, const char *arg);
int agent_run_exec(agent_call *call);
#define AGENT_EXEC_DEFAULT_TIMEOUT_MS 30000
int agent_run_file_get(agent_call *call);
int agent_run_file_put(agent_call *call);
extern const struct option agent_password_options[];
int agent_password_option(agent_call *call, int opt, const char *arg);
int agent_run_set_password(agent_call *call);

/* Seconds ("5", "0.5") as milliseconds; allow_zero for "no limit".  -1
 * when text is not such a number. */
int agent_parse_seconds(const char *text, bool allow_zero, int *ms);
