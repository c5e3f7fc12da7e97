/* The direct client against a fake agent that misbehaves in every way the
 * guest can: garbage, NULs and high bytes, stale replies and old sync ids,
 * replies split over many writes or packed into one, oversized replies,
 * silence, trickles and hang-ups.  Each must end in a clear error (or a
 * correct answer) within the deadline: no hang, no crash. */
#include "agent-test.h"
#include "unit.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>

#define TIMEOUT_MS 500
/* The deadline (which covers the drain on close too) and a margin that a
 * busy machine never needs: a client that ignored its deadline would run
 * on until the fake agent gives up (FLOOD_S, 30 s, or for ever). */
#define WITHIN_S (TIMEOUT_MS / 1000.0 + VSCT_MARGIN_S)

typedef struct {
  agent_proc proc;
  vsc_agent *agent;
  vsc_diags diags;
  double t0;
} fixture;

static int setup(fixture *f, const char *scenario, size_t max_reply)
{
  memset(f, 0, sizeof(*f));
  if (fake_start(&f->proc, scenario) < 0) {
    CU_FAIL("the fake agent did not start");
    return -1;
  }
  f->agent = agent_open(&f->proc, TIMEOUT_MS, max_reply);
  f->t0 = now_s();
  return 0;
}

static double elapsed(fixture *f)
{
  return now_s() - f->t0;
}

static void teardown(fixture *f)
{
  vsc_agent_free(f->agent);
  vsc_diags_clear(&f->diags);
  proc_stop(&f->proc);
}

/* A ping that must fail with needle in its message, within the bound. */
static void ping_fails(const char *scenario, size_t max_reply, const char *needle,
                       double min_s)
{
  fixture f;
  if (setup(&f, scenario, max_reply) < 0)
    return;
  CU_ASSERT_EQUAL(vsc_agent_ping(f.agent, &f.diags), -1);
  double t = elapsed(&f);
  CU_ASSERT_TRUE(diags_have(&f.diags, needle));
  CU_ASSERT_TRUE(t >= min_s);
  CU_ASSERT_TRUE(t < WITHIN_S);
  if (t < min_s || t >= WITHIN_S)
    fprintf(stderr, "\n  %s: %.3f s, expected [%.3f, %.3f)\n", scenario, t, min_s, WITHIN_S);
  teardown(&f);
}

static void hostname_is_fake(const char *scenario)
{
  fixture f;
  if (setup(&f, scenario, 0) < 0)
    return;
  char *name = vsc_agent_hostname(f.agent, &f.diags);
  CU_ASSERT_PTR_NOT_NULL(name);
  if (name) {
    CU_ASSERT_STRING_EQUAL(name, "fake");
  } else {
    vsc_diags_print(&f.diags, stderr, false);
  }
  free(name);
  /* A second command on the same connection. */
  CU_ASSERT_EQUAL(vsc_agent_ping(f.agent, &f.diags), 0);
  CU_ASSERT_TRUE(elapsed(&f) < WITHIN_S);
  teardown(&f);
}

static void test_good_agent(void)
{
  fixture f;
  int64_t ns;
  if (setup(&f, "good", 0) < 0)
    return;
  CU_ASSERT_EQUAL(vsc_agent_ping(f.agent, &f.diags), 0);
  json_t *info = vsc_agent_info(f.agent, &f.diags);
  CU_ASSERT_TRUE(vsc_agent_info_enabled(info, "guest-exec"));
  CU_ASSERT_FALSE(vsc_agent_info_enabled(info, "guest-no-such"));
  json_decref(info);
  CU_ASSERT_EQUAL(vsc_agent_time(f.agent, &ns, &f.diags), 0);
  CU_ASSERT_EQUAL(ns, 1795288610762502000LL);
  json_t *st = vsc_agent_fsfreeze(f.agent, VSC_AGENT_FSFREEZE_STATUS, &f.diags);
  CU_ASSERT_STRING_EQUAL(json_string_value(st), "thawed");
  json_decref(st);
  json_t *n = vsc_agent_fsfreeze(f.agent, VSC_AGENT_FSFREEZE_FREEZE, &f.diags);
  CU_ASSERT_EQUAL(json_integer_value(n), 2);
  json_decref(n);
  n = vsc_agent_fsfreeze(f.agent, VSC_AGENT_FSFREEZE_THAW, &f.diags);
  CU_ASSERT_EQUAL(json_integer_value(n), 2);
  json_decref(n);
  CU_ASSERT_EQUAL(f.diags.n, 0);
  /* One connection, one sync. */
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-sync-delimited"), 1);
  teardown(&f);
}

static void test_set_password(void)
{
  fixture f;
  if (setup(&f, "good", 0) < 0)
    return;
  /* The fake accepts only base64("s3cret pass") for alice. */
  CU_ASSERT_EQUAL(vsc_agent_set_password(f.agent, "alice", "s3cret pass", false, &f.diags), 0);
  CU_ASSERT_EQUAL(vsc_agent_set_password(f.agent, "alice", "wrong", false, &f.diags), -1);
  CU_ASSERT_TRUE(diags_have(&f.diags, "child process has failed to set user password"));
  CU_ASSERT_TRUE(diags_rule(&f.diags, "agent-error"));
  teardown(&f);
}

static void test_exec_polls(void)
{
  fixture f;
  vsc_agent_exec_result r;
  const char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
  vsc_agent_exec_opts o = { .argv = argv, .input = "in", .input_len = 2, .timeout_ms = 5000 };
  if (setup(&f, "good", 0) < 0)
    return;
  CU_ASSERT_EQUAL(vsc_agent_exec(f.agent, &o, &r, &f.diags), 0);
  CU_ASSERT_EQUAL(r.pid, 4242);
  CU_ASSERT_TRUE(r.has_exitcode);
  CU_ASSERT_EQUAL(r.exitcode, 3);
  CU_ASSERT_EQUAL(r.out_len, 4);
  CU_ASSERT_NSTRING_EQUAL(r.out, "out\n", 4);
  CU_ASSERT_NSTRING_EQUAL(r.err, "err\n", 4);
  CU_ASSERT_TRUE(r.out_truncated);
  CU_ASSERT_FALSE(r.err_truncated);
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.status, "pid")), 4242);
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-exec-status"), 3);
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-exec {\"path\":\"/bin/sh\",\"capture-output\":true,"
                                     "\"arg\":[\"-c\",\"exit 3\"],\"input-data\":\"aW4=\"}"), 1);
  vsc_agent_exec_result_clear(&r);
  teardown(&f);
}

static void test_exec_timeout(void)
{
  fixture f;
  vsc_agent_exec_result r;
  const char *argv[] = { "/bin/sleep", "100", NULL };
  /* The fake reports "still running" twice: a 1 ms limit expires first. */
  vsc_agent_exec_opts o = { .argv = argv, .timeout_ms = 1 };
  if (setup(&f, "good", 0) < 0)
    return;
  CU_ASSERT_EQUAL(vsc_agent_exec(f.agent, &o, &r, &f.diags), -1);
  CU_ASSERT_TRUE(diags_have(&f.diags, "'/bin/sleep' (pid 4242 in the guest) has not exited after 0.001 s"));
  vsc_agent_exec_result_clear(&r);
  teardown(&f);
}

static void test_disabled(void)
{
  fixture f;
  vsc_agent_exec_result r;
  const char *argv[] = { "/bin/true", NULL };
  vsc_agent_exec_opts o = { .argv = argv };
  if (setup(&f, "disabled", 0) < 0)
    return;
  CU_ASSERT_EQUAL(vsc_agent_exec(f.agent, &o, &r, &f.diags), -1);
  CU_ASSERT_TRUE(diags_have(&f.diags, "'guest-exec' is not allowed by guest policy"));
  CU_ASSERT_TRUE(diags_have(&f.diags, "Command guest-exec has been disabled"));
  CU_ASSERT_TRUE(diags_rule(&f.diags, "agent-command-disabled"));
  CU_ASSERT_PTR_NOT_NULL(strstr(f.diags.items[0].hint, "vschan agent info"));
  vsc_agent_exec_result_clear(&r);
  /* An unknown command is told the same way. */
  vsc_diags_clear(&f.diags);
  json_t *v = vsc_agent_raw(f.agent, "{\"execute\": \"guest-no-such\"}", &f.diags);
  CU_ASSERT_PTR_NULL(v);
  CU_ASSERT_TRUE(diags_have(&f.diags, "'guest-no-such' is not allowed by guest policy"));
  teardown(&f);
}

static void test_shutdown_silence(void)
{
  fixture f;
  if (setup(&f, "good", 0) < 0)
    return;
  /* No reply is success, once the deadline has passed. */
  CU_ASSERT_EQUAL(vsc_agent_power(f.agent, VSC_AGENT_POWER_SHUTDOWN, &f.diags), 0);
  double t = elapsed(&f);
  CU_ASSERT_TRUE(t >= TIMEOUT_MS / 1000.0 - 0.02 && t < WITHIN_S);
  CU_ASSERT_EQUAL(f.diags.n, 0);
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-shutdown {\"mode\":\"powerdown\"}"), 1);
  /* The next command resyncs on a new connection. */
  CU_ASSERT_EQUAL(vsc_agent_power(f.agent, VSC_AGENT_POWER_REBOOT, &f.diags), 0);
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-shutdown {\"mode\":\"reboot\"}"), 1);
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-sync-delimited"), 2);
  teardown(&f);
}

static void test_shutdown_close(void)
{
  fixture f;
  if (setup(&f, "shutdown-close", 0) < 0)
    return;
  /* The guest powers off and QEMU hangs up: success, at once.  "At once"
   * against a long deadline: only waiting for it takes half of that. */
  vsc_agent_set_timeout(f.agent, VSCT_LONG_S * 1000);
  CU_ASSERT_EQUAL(vsc_agent_power(f.agent, VSC_AGENT_POWER_SHUTDOWN, &f.diags), 0);
  CU_ASSERT_TRUE(elapsed(&f) < VSCT_AT_ONCE_S);
  json_t *v = vsc_agent_raw(f.agent, "{\"execute\": \"guest-shutdown\"}", &f.diags);
  CU_ASSERT_TRUE(json_is_null(v));
  json_decref(v);
  CU_ASSERT_EQUAL(f.diags.n, 0);
  teardown(&f);
}

static void test_garbage_before_sync(void)
{
  hostname_is_fake("garbage-before-sync");
}

static void test_stale_replies(void)
{
  hostname_is_fake("stale");
}

static void test_batch(void)
{
  hostname_is_fake("batch");
}

static void test_split(void)
{
  hostname_is_fake("split");
}

static void test_garbage_reply(void)
{
  ping_fails("garbage-reply", 0, "the guest agent sent a line that is not JSON", 0);
}

static void test_nul_reply(void)
{
  ping_fails("nul-reply", 0, "\\x00", 0);
}

static void test_high_bytes_reply(void)
{
  ping_fails("highbytes-reply", 0, "'\\x80\\x81\\xc3(", 0);
}

static void test_not_object(void)
{
  ping_fails("not-object", 0, "a reply that is not a JSON object: '[1, 2, 3]'", 0);
}

static void test_no_return(void)
{
  ping_fails("no-return", 0, "neither \"return\" nor \"error\"", 0);
}

static void test_wrong_type(void)
{
  fixture f;
  if (setup(&f, "wrong-type", 0) < 0)
    return;
  CU_ASSERT_PTR_NULL(vsc_agent_hostname(f.agent, &f.diags));
  CU_ASSERT_TRUE(diags_have(&f.diags, "returned an integer where an object was expected: 42"));
  teardown(&f);
}

static void test_error_reply(void)
{
  fixture f;
  if (setup(&f, "error-reply", 0) < 0)
    return;
  CU_ASSERT_EQUAL(vsc_agent_ping(f.agent, &f.diags), -1);
  /* The desc, with the terminal escape made harmless. */
  CU_ASSERT_TRUE(diags_have(&f.diags, "'guest-ping' failed on the guest agent at"));
  CU_ASSERT_TRUE(diags_have(&f.diags, "boom \\x1b[31mred\\x1b[0m"));
  CU_ASSERT_PTR_NULL(strchr(f.diags.items[0].message, '\x1b'));
  teardown(&f);
}

static void test_oversize(void)
{
  ping_fails("oversize", (size_t)1 << 20, "is larger than 1048576 bytes", 0);
}

static void test_endless(void)
{
  ping_fails("endless", (size_t)1 << 20, "is larger than 1048576 bytes", 0);
}

static void test_silence(void)
{
  ping_fails("silence", 0, "did not answer guest-sync-delimited within 0.500 s",
             TIMEOUT_MS / 1000.0 - 0.02);
}

static void test_deaf(void)
{
  /* Never answers and never hangs up: the drain on close is bounded too. */
  ping_fails("deaf", 0, "did not answer guest-sync-delimited within 0.500 s",
             TIMEOUT_MS / 1000.0 - 0.02);
}

static void test_trickle(void)
{
  /* A byte every 20 ms, never a sentinel: the deadline is not pushed back
   * by each byte. */
  ping_fails("trickle", 0, "did not answer guest-sync-delimited within 0.500 s",
             TIMEOUT_MS / 1000.0 - 0.02);
}

static void test_flood_ff(void)
{
  /* 0xFF bytes as fast as we read them: each is a sentinel, none a reply,
   * and the socket is never empty.  The deadline is on the clock, not on
   * a poll that always finds data. */
  ping_fails("flood-ff", 0, "did not answer guest-sync-delimited within 0.500 s",
             TIMEOUT_MS / 1000.0 - 0.02);
}

static void test_flood_stale(void)
{
  /* Stale sync replies as fast as we read them. */
  ping_fails("flood-stale", 0, "did not answer guest-sync-delimited within 0.500 s",
             TIMEOUT_MS / 1000.0 - 0.02);
}

static void test_silent_command(void)
{
  ping_fails("silent-command", 0, "did not answer 'guest-ping' within 0.500 s",
             TIMEOUT_MS / 1000.0 - 0.02);
}

static void test_trickle_reply(void)
{
  ping_fails("trickle-reply", 0, "did not answer 'guest-ping' within 0.500 s",
             TIMEOUT_MS / 1000.0 - 0.02);
}

static void test_close_half(void)
{
  ping_fails("close-half", 0,
             "closed the connection in the middle of the reply to 'guest-ping' (20 bytes received)", 0);
}

static void test_close_immediately(void)
{
  ping_fails("close-immediately", 0, "closed the connection before", 0);
}

static void test_no_listener(void)
{
  agent_proc p;
  vsc_diags d = { 0 };
  CU_ASSERT_EQUAL_FATAL(proc_mkdir(&p), 0);

  vsc_agent *a = agent_open(&p, TIMEOUT_MS, 0);
  CU_ASSERT_EQUAL(vsc_agent_ping(a, &d), -1);
  CU_ASSERT_TRUE(diags_have(&d, "No such file or directory"));
  vsc_agent_free(a);
  vsc_diags_clear(&d);

  /* A socket nobody listens on any more. */
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  sockaddr_set(&sa, p.sock);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  close(fd);
  a = agent_open(&p, TIMEOUT_MS, 0);
  CU_ASSERT_EQUAL(vsc_agent_ping(a, &d), -1);
  CU_ASSERT_TRUE(diags_have(&d, "Connection refused"));
  vsc_agent_free(a);
  vsc_diags_clear(&d);

  /* Not a socket. */
  char file[320];
  snprintf(file, sizeof(file), "%s/file", p.dir);
  fclose(fopen(file, "w"));
  vsc_agent_socket_opts o = { .path = file, .timeout_ms = TIMEOUT_MS };
  a = vsc_agent_open_socket(&o, &d);
  CU_ASSERT_EQUAL(vsc_agent_ping(a, &d), -1);
  CU_ASSERT_TRUE(diags_have(&d, "is not a unix socket"));
  vsc_agent_free(a);
  vsc_diags_clear(&d);
  proc_stop(&p);
}

static void test_lock(void)
{
  fixture f;
  vsc_diags d = { 0 };
  if (setup(&f, "good", 0) < 0)
    return;
  /* The first client keeps its connection, and the lock, between commands. */
  CU_ASSERT_EQUAL(vsc_agent_ping(f.agent, &f.diags), 0);
  vsc_agent *second = agent_open(&f.proc, 300, 0);
  double t0 = now_s();
  CU_ASSERT_EQUAL(vsc_agent_ping(second, &d), -1);
  double t = now_s() - t0;
  CU_ASSERT_TRUE(diags_have(&d, "another vschan process is using the guest agent at"));
  CU_ASSERT_TRUE(t >= 0.28 && t < 0.3 + VSCT_MARGIN_S);
  vsc_diags_clear(&d);
  /* Once the first is done, the second gets through. */
  vsc_agent_free(f.agent);
  f.agent = NULL;
  CU_ASSERT_EQUAL(vsc_agent_ping(second, &d), 0);
  vsc_agent_free(second);
  vsc_diags_clear(&d);
  teardown(&f);
}

static int sink_count(void *opaque, const void *data, size_t n, vsc_diags *diags)
{
  *(size_t *)opaque += n;
  return 0;
}

static void file_read_closes(const char *scenario, const char *needle, int syncs)
{
  fixture f;
  size_t got = 0;
  if (setup(&f, scenario, 0) < 0)
    return;
  CU_ASSERT_EQUAL(vsc_agent_file_read(f.agent, "/etc/hostname", sink_count, &got, NULL, &f.diags), -1);
  CU_ASSERT_TRUE(diags_have(&f.diags, needle));
  /* The handle is closed whatever happened. */
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-file-close {\"handle\":1000}"), 1);
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-sync-delimited"), syncs);
  teardown(&f);
}

static void test_file_read_error(void)
{
  file_read_closes("file-read-error", "simulated read failure", 1);
}

static void test_file_read_timeout(void)
{
  /* After the timeout the close goes over a new connection, synced anew. */
  file_read_closes("file-read-silent", "did not answer 'guest-file-read'", 2);
}

static void test_file_bad_base64(void)
{
  file_read_closes("file-bad-b64", "a \"buf-b64\" that is not base64", 1);
}

static void test_file_read_good(void)
{
  fixture f;
  size_t got = 0;
  uint64_t total;
  if (setup(&f, "good", 0) < 0)
    return;
  CU_ASSERT_EQUAL(vsc_agent_file_read(f.agent, "/x", sink_count, &got, &total, &f.diags), 0);
  CU_ASSERT_EQUAL(got, 3);
  CU_ASSERT_EQUAL(total, 3);
  teardown(&f);
}

static void test_raw_usage(void)
{
  fixture f;
  if (setup(&f, "good", 0) < 0)
    return;
  CU_ASSERT_PTR_NULL(vsc_agent_raw(f.agent, "{\"execute\": ", &f.diags));
  CU_ASSERT_TRUE(diags_have(&f.diags, "the raw command is not valid JSON"));
  vsc_diags_clear(&f.diags);
  CU_ASSERT_PTR_NULL(vsc_agent_raw(f.agent, "{\"execute\": \"guest-ping\", \"x\": 1}", &f.diags));
  CU_ASSERT_TRUE(diags_have(&f.diags, "the raw command must be"));
  vsc_diags_clear(&f.diags);
  CU_ASSERT_PTR_NULL(vsc_agent_raw(f.agent, "{\"execute\": \"guest-ping\", \"arguments\": 1}", &f.diags));
  CU_ASSERT_TRUE(diags_have(&f.diags, "must be an object"));
  vsc_diags_clear(&f.diags);
  json_t *v = vsc_agent_raw(f.agent, "{\"execute\": \"guest-get-host-name\"}", &f.diags);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "host-name")), "fake");
  json_decref(v);
  /* Nothing reached the agent for the bad ones. */
  CU_ASSERT_EQUAL(log_count(&f.proc, "guest-ping"), 0);
  teardown(&f);
}

int main(void)
{
  static const CU_TestInfo tests[] = {
    { "good agent", test_good_agent },
    { "set-password is base64", test_set_password },
    { "exec polls until exit", test_exec_polls },
    { "exec time limit", test_exec_timeout },
    { "disabled command", test_disabled },
    { "shutdown: silence is success", test_shutdown_silence },
    { "shutdown: hang-up is success", test_shutdown_close },
    { "garbage, NULs, high bytes before the sync", test_garbage_before_sync },
    { "stale replies and old sync ids", test_stale_replies },
    { "several replies in one write", test_batch },
    { "replies split over many writes", test_split },
    { "garbage reply", test_garbage_reply },
    { "NUL in a reply", test_nul_reply },
    { "high bytes in a reply", test_high_bytes_reply },
    { "reply not an object", test_not_object },
    { "reply without return", test_no_return },
    { "return of the wrong type", test_wrong_type },
    { "agent error desc, escapes neutralised", test_error_reply },
    { "oversized reply", test_oversize },
    { "endless reply", test_endless },
    { "silence", test_silence },
    { "silence without hang-up", test_deaf },
    { "trickle before the sentinel", test_trickle },
    { "a flood of 0xFF", test_flood_ff },
    { "a flood of stale replies", test_flood_stale },
    { "silent on a command", test_silent_command },
    { "trickled reply", test_trickle_reply },
    { "closed half way", test_close_half },
    { "closed at once", test_close_immediately },
    { "nothing listening", test_no_listener },
    { "one client per socket", test_lock },
    { "file-read error closes the handle", test_file_read_error },
    { "file-read timeout closes the handle", test_file_read_timeout },
    { "file-read bad base64 closes the handle", test_file_bad_base64 },
    { "file-read", test_file_read_good },
    { "raw command checks", test_raw_usage },
    CU_TEST_INFO_NULL,
  };
  vsc_mem_init();
  return unit_run("agent-hostile", tests);
}
