/* guest-exec: start, then poll guest-exec-status until the command exits.
 * qemu-ga reaps the process on the status call that reports the exit, so
 * that reply is the only copy of the result. */
#define _GNU_SOURCE
#include "agent.h"

#include "util/clock.h"
#include "base64.h"

#include <string.h>

/* The first poll comes soon (most commands are quick), then the pauses
 * double up to this. */
#define EXEC_POLL_FIRST_MS 5
#define EXEC_POLL_MAX_MS 500

static void bad_status(vsc_diags *diags, int64_t pid, const char *what)
{
  vsc_error_peer(diags, NULL, "agent-bad-reply",
                 "the agent in the guest does not speak the qemu-ga protocol as expected",
                 "'guest-exec-status' for pid %jd returned %s", (intmax_t)pid, what);
}

/* Decode "out-data"/"err-data"; absent means empty. */
static int decode_stream(json_t *status, const char *key, unsigned char **data, size_t *len,
                         int64_t pid, vsc_diags *diags)
{
  json_t *value = json_object_get(status, key);
  *data = NULL;
  *len = 0;
  if (!value) {
    *data = vsc_calloc(1, 1);
    return 0;
  }
  if (!json_is_string(value) ||
      !(*data = vsc_base64_decode(json_string_value(value), json_string_length(value), len))) {
    VSC_AUTOFREE(char) what = vsc_asprintf("\"%s\" that is not base64", key);
    bad_status(diags, pid, what);
    return -1;
  }
  return 0;
}

static int take_exit_status(json_t *status, vsc_agent_exec_result *result, vsc_diags *diags)
{
  json_t *code = json_object_get(status, "exitcode");
  json_t *sig = json_object_get(status, "signal");

  if ((code && !json_is_integer(code)) || (sig && !json_is_integer(sig))) {
    bad_status(diags, result->pid, "an \"exitcode\" or \"signal\" that is not an integer");
    return -1;
  }
  result->has_exitcode = code != NULL;
  result->exitcode = (int)json_integer_value(code);
  result->has_signal = sig != NULL;
  result->signal = (int)json_integer_value(sig);
  result->out_truncated = json_is_true(json_object_get(status, "out-truncated"));
  result->err_truncated = json_is_true(json_object_get(status, "err-truncated"));
  if (decode_stream(status, "out-data", &result->out, &result->out_len, result->pid, diags) < 0 ||
      decode_stream(status, "err-data", &result->err, &result->err_len, result->pid, diags) < 0)
    return -1;
  json_object_set_new(status, "pid", json_integer(result->pid));
  result->status = json_incref(status);
  return 0;
}

int vsc_agent_exec(vsc_agent *agent, const vsc_agent_exec_opts *opts,
                   vsc_agent_exec_result *result, vsc_diags *diags)
{
  memset(result, 0, sizeof(*result));
  result->pid = -1;
  if (!opts->argv || !opts->argv[0] || !*opts->argv[0]) {
    vsc_error_usage(diags, NULL, "agent-exec", "give the program and its arguments after '--'",
                    "no command to run in the guest");
    return -1;
  }

  json_t *args = json_pack("{s:s, s:b}", "path", opts->argv[0], "capture-output", 1);
  json_t *arg = json_array();
  for (size_t i = 1; opts->argv[i]; i++)
    json_array_append_new(arg, json_string(opts->argv[i]));
  json_object_set_new(args, "arg", arg);
  if (opts->env) {
    json_t *env = json_array();
    for (size_t i = 0; opts->env[i]; i++)
      json_array_append_new(env, json_string(opts->env[i]));
    json_object_set_new(args, "env", env);
  }
  if (opts->input) {
    char *encoded = vsc_base64_encode(opts->input, opts->input_len);
    json_object_set_new(args, "input-data", json_string(encoded));
    free(encoded);
  }

  json_auto_t *started = vsc_agent_call_typed(agent, "guest-exec", args, JSON_OBJECT, diags);
  if (!started)
    return -1;
  json_t *pid = json_object_get(started, "pid");
  if (!json_is_integer(pid)) {
    vsc_error_peer(diags, NULL, "agent-bad-reply",
                   "the agent in the guest does not speak the qemu-ga protocol as expected",
                   "'guest-exec' returned no \"pid\"");
    return -1;
  }
  result->pid = (int64_t)json_integer_value(pid);

  int64_t start = vsc_now_ms();
  int64_t pause = EXEC_POLL_FIRST_MS;
  for (;;) {
    json_auto_t *status = vsc_agent_call_typed(agent, "guest-exec-status",
                                               json_pack("{s:I}", "pid", (json_int_t)result->pid),
                                               JSON_OBJECT, diags);
    if (!status)
      return -1;
    if (json_is_true(json_object_get(status, "exited")))
      return take_exit_status(status, result, diags);

    int64_t elapsed = vsc_now_ms() - start;
    if (opts->timeout_ms > 0 && elapsed >= opts->timeout_ms) {
      VSC_AUTOFREE(char) shown = vsc_agent_printable(opts->argv[0], 200);
      vsc_error_peer(diags, NULL, "agent-exec-timeout",
                     "it keeps running in the guest; raise 'exec --timeout', or give 0 to wait "
                     "without a limit",
                     "'%s' (pid %jd in the guest) has not exited after %d.%03d s", shown,
                     (intmax_t)result->pid, opts->timeout_ms / 1000, opts->timeout_ms % 1000);
      return -1;
    }
    int64_t wait = pause;
    if (opts->timeout_ms > 0 && wait > opts->timeout_ms - elapsed)
      wait = opts->timeout_ms - elapsed;
    vsc_sleep_ms(wait);
    pause = pause * 2 > EXEC_POLL_MAX_MS ? EXEC_POLL_MAX_MS : pause * 2;
  }
}

void vsc_agent_exec_result_clear(vsc_agent_exec_result *result)
{
  free(result->out);
  free(result->err);
  json_decref(result->status);
  memset(result, 0, sizeof(*result));
  result->pid = -1;
}
