/* vschan agent file-get, file-put: copy a file out of or into the guest. */
#include "agent-verb.h"

#include <signal.h>
#include <string.h>

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

/* OPERANDS: GUESTPATH LOCALPATH for a get, LOCALPATH GUESTPATH for a put. */
static int copy(agent_call *call, bool into_guest)
{
  const char *from = call->argv[0], *to = call->argv[1];
  uint64_t total = 0;

  interrupt_copies();
  if ((into_guest ? vsc_agent_file_put : vsc_agent_file_get)(call->agent, from, to, &total,
                                                            call->diags) < 0)
    return agent_report(call);
  /* Copied to standard output: the file's bytes are all it prints. */
  if (!into_guest && strcmp(to, "-") == 0)
    return VSC_EXIT_OK;
  if (call->json)
    printf("{\"bytes\": %ju}\n", (uintmax_t)total);
  else if (call->cli->verbosity >= 0)
    printf("copied %ju bytes from %s'%s' to %s'%s'\n", (uintmax_t)total,
           into_guest ? "" : "the guest's ", from, into_guest ? "the guest's " : "", to);
  return VSC_EXIT_OK;
}

int agent_run_file_get(agent_call *call)
{
  return copy(call, false);
}

int agent_run_file_put(agent_call *call)
{
  return copy(call, true);
}
