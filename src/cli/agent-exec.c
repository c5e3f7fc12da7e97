/* vschan agent exec: run a program in the guest, print its output and
 * exit with its exit status. */
#include "agent-verb.h"

#include "util/file.h"

#include <stdlib.h>
#include <string.h>

/* Largest standard input 'exec --stdin' sends: it travels in one JSON
 * message, base64-encoded. */
#define EXEC_STDIN_MAX ((size_t)8 << 20)

enum { OPT_TIMEOUT = 0x300, OPT_STDIN, OPT_ENV };

const struct option agent_exec_options[] = {
  { "timeout", required_argument, NULL, OPT_TIMEOUT },
  { "stdin", no_argument, NULL, OPT_STDIN },
  { "env", required_argument, NULL, OPT_ENV },
  { NULL, 0, NULL, 0 },
};

int agent_exec_option(agent_call *call, int opt, const char *arg)
{
  switch (opt) {
  case OPT_TIMEOUT:
    if (agent_parse_seconds(arg, true, &call->exec.timeout_ms) < 0)
      return vsc_cli_usage_error("agent", "invalid exec timeout '%s': give seconds up to 604800 (a week), 0 for no limit",
                                 arg);
    return 0;
  case OPT_STDIN:
    call->exec_stdin = true;
    return 0;
  case OPT_ENV:
    if (!strchr(arg, '='))
      return vsc_cli_usage_error("agent", "invalid environment setting '%s': give NAME=VALUE", arg);
    call->env = vsc_realloc(call->env, (call->nenv + 2) * sizeof(*call->env));
    call->env[call->nenv++] = arg;
    call->env[call->nenv] = NULL;
    return 0;
  default:
    return 0;
  }
}

static int write_out(FILE *f, const unsigned char *data, size_t n)
{
  return n == 0 || fwrite(data, 1, n, f) == n ? 0 : -1;
}

int agent_run_exec(agent_call *call)
{
  vsc_agent_exec_opts eo = call->exec;
  vsc_diags *diags = call->diags;

  eo.argv = (const char *const *)call->argv;
  eo.env = call->env;

  VSC_AUTOFREE(char) input = NULL;
  if (call->exec_stdin) {
    size_t len;
    input = vsc_file_read("-", EXEC_STDIN_MAX, &len, diags);
    if (!input) {
      vsc_cli_report(call->cli, diags);
      return VSC_EXIT_USAGE;
    }
    eo.input = input;
    eo.input_len = len;
  }

  vsc_agent_exec_result r;
  if (vsc_agent_exec(call->agent, &eo, &r, diags) < 0) {
    vsc_agent_exec_result_clear(&r);
    return agent_report(call);
  }
  if (call->json) {
    vsc_cli_print_json(json_incref(r.status), JSON_ENCODE_ANY);
  } else {
    /* The program's own output, byte for byte. */
    if (write_out(stdout, r.out, r.out_len) < 0 || fflush(stdout) != 0 ||
        write_out(stderr, r.err, r.err_len) < 0) {
      vsc_agent_exec_result_clear(&r);
      return VSC_EXIT_USAGE;
    }
  }
  if (r.out_truncated)
    vsc_warning_peer(diags, NULL, "agent-exec-truncated",
                     "write big output to a file in the guest and copy it with file-get",
                     "the guest agent cut the program's standard output at %zu bytes", r.out_len);
  if (r.err_truncated)
    vsc_warning_peer(diags, NULL, "agent-exec-truncated",
                     "write big output to a file in the guest and copy it with file-get",
                     "the guest agent cut the program's standard error at %zu bytes", r.err_len);
  if (r.has_signal && !call->json)
    vsc_warning_peer(diags, NULL, "agent-exec-signal", NULL,
                     "the program was killed by signal %d in the guest", r.signal);
  vsc_cli_report(call->cli, diags);

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
