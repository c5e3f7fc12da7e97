/* The client against the real qemu-ga from Debian's qemu-guest-agent, run
 * on this host in unix-listen mode.  It executes commands as the current
 * user on the HOST, so commands that change the machine (shutdown,
 * suspend, fsfreeze, fstrim, set-password, set-time, ...) are blocked with
 * -b, which also tests how a disabled command is reported; everything else
 * stays in a temporary directory. */
#include "agent-test.h"
#include "unit.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Commands that must never run against the host. */
#define QGA_BLOCKED                                                                      \
  "guest-shutdown,guest-suspend-disk,guest-suspend-ram,guest-suspend-hybrid,"            \
  "guest-fsfreeze-freeze,guest-fsfreeze-freeze-list,guest-fsfreeze-thaw,guest-fstrim,"  \
  "guest-set-user-password,guest-set-time,guest-set-vcpus,guest-set-memory-blocks,"      \
  "guest-ssh-add-authorized-keys,guest-ssh-remove-authorized-keys"

static const char *qga_path;
static agent_proc qga;
static vsc_agent *agent;

static const char *find_qga(void)
{
  static const char *const candidates[] = { "/usr/sbin/qemu-ga", "/usr/bin/qemu-ga",
                                            "/usr/local/bin/qemu-ga" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(candidates); i++)
    if (access(candidates[i], X_OK) == 0)
      return candidates[i];
  return NULL;
}

static int suite_init(void)
{
  char statedir[300], pidfile[320], logfile[320];
  if (proc_mkdir(&qga) < 0)
    return -1;
  snprintf(statedir, sizeof(statedir), "%s/state", qga.dir);
  snprintf(pidfile, sizeof(pidfile), "%s/qga.pid", qga.dir);
  snprintf(logfile, sizeof(logfile), "%s/qga.log", qga.dir);
  mkdir(statedir, 0700);
  char *argv[] = { (char *)qga_path, "-m", "unix-listen", "-p", qga.sock, "-t", statedir,
                   "-f", pidfile, "-l", logfile, "-b", QGA_BLOCKED, NULL };
  if (proc_spawn(&qga, argv) < 0) {
    fprintf(stderr, "qemu-ga did not start; its log is %s\n", logfile);
    proc_stop(&qga);
    return -1;
  }
  agent = agent_open(&qga, 5000, 0);
  if (!agent) { /* every test would use it: fail them all instead */
    proc_stop(&qga);
    return -1;
  }
  return 0;
}

static int suite_clean(void)
{
  vsc_agent_free(agent);
  proc_stop(&qga);
  return 0;
}

static void test_ping_info(void)
{
  vsc_diags d = { 0 };
  CU_ASSERT_EQUAL(vsc_agent_ping(agent, &d), 0);
  json_t *info = vsc_agent_info(agent, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(info);
  CU_ASSERT_TRUE(json_is_string(json_object_get(info, "version")));
  CU_ASSERT_TRUE(vsc_agent_info_enabled(info, "guest-exec"));
  CU_ASSERT_FALSE(vsc_agent_info_enabled(info, "guest-shutdown"));
  json_decref(info);
  CU_ASSERT_EQUAL(d.n, 0);
  vsc_diags_clear(&d);
}

static void test_queries(void)
{
  vsc_diags d = { 0 };
  json_t *os = vsc_agent_osinfo(agent, &d);
  CU_ASSERT_TRUE(json_is_string(json_object_get(os, "kernel-release")));
  json_decref(os);

  char *host = vsc_agent_hostname(agent, &d);
  char mine[256] = "";
  gethostname(mine, sizeof(mine));
  CU_ASSERT_PTR_NOT_NULL(host);
  if (host) {
    CU_ASSERT_STRING_EQUAL(host, mine);
  }
  free(host);

  int64_t ns;
  CU_ASSERT_EQUAL(vsc_agent_time(agent, &ns, &d), 0);
  struct timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  CU_ASSERT_TRUE(llabs(ns / 1000000000 - (int64_t)real.tv_sec) < 60);

  json_t *nics = vsc_agent_interfaces(agent, &d);
  bool lo = false;
  size_t i;
  json_t *nic;
  json_array_foreach(nics, i, nic) {
    const char *name = json_string_value(json_object_get(nic, "name"));
    lo |= name && strcmp(name, "lo") == 0;
  }
  CU_ASSERT_TRUE(lo);
  json_decref(nics);

  json_t *fs = vsc_agent_fsinfo(agent, &d);
  CU_ASSERT_TRUE(json_is_array(fs));
  json_decref(fs);
  json_t *users = vsc_agent_users(agent, &d);
  CU_ASSERT_TRUE(json_is_array(users));
  json_decref(users);
  json_t *st = vsc_agent_fsfreeze(agent, VSC_AGENT_FSFREEZE_STATUS, &d);
  /* CUnit's string asserts strcmp() a NULL: check it first. */
  CU_ASSERT_PTR_NOT_NULL(json_string_value(st));
  if (json_string_value(st))
    CU_ASSERT_STRING_EQUAL(json_string_value(st), "thawed");
  json_decref(st);
  json_t *tz = vsc_agent_raw(agent, "{\"execute\": \"guest-get-timezone\"}", &d);
  CU_ASSERT_TRUE(json_is_integer(json_object_get(tz, "offset")));
  json_decref(tz);

  if (d.n)
    vsc_diags_print(&d, stderr, false);
  CU_ASSERT_EQUAL(d.n, 0);
  vsc_diags_clear(&d);
}

static void test_blocked(void)
{
  vsc_diags d = { 0 };
  /* A no-reply command still gets its error back, at once: long before
   * the deadline that ends the wait for a reply that never comes. */
  vsc_agent_set_timeout(agent, VSCT_LONG_S * 1000);
  double t0 = now_s();
  CU_ASSERT_EQUAL(vsc_agent_power(agent, VSC_AGENT_POWER_SHUTDOWN, &d), -1);
  CU_ASSERT_TRUE(now_s() - t0 < VSCT_AT_ONCE_S);
  vsc_agent_set_timeout(agent, 5000);
  CU_ASSERT_TRUE(diags_have(&d, "'guest-shutdown' is not allowed by guest policy"));
  vsc_diags_clear(&d);
  CU_ASSERT_PTR_NULL(vsc_agent_fsfreeze(agent, VSC_AGENT_FSFREEZE_FREEZE, &d));
  CU_ASSERT_TRUE(diags_rule(&d, "agent-command-disabled"));
  vsc_diags_clear(&d);
  CU_ASSERT_EQUAL(vsc_agent_set_password(agent, "nobody", "x", false, &d), -1);
  CU_ASSERT_TRUE(diags_have(&d, "Command guest-set-user-password has been disabled"));
  vsc_diags_clear(&d);
  CU_ASSERT_PTR_NULL(vsc_agent_raw(agent, "{\"execute\": \"guest-no-such-command\"}", &d));
  CU_ASSERT_TRUE(diags_rule(&d, "agent-command-disabled"));
  vsc_diags_clear(&d);
}

static void test_exec(void)
{
  vsc_diags d = { 0 };
  vsc_agent_exec_result r;
  const char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL };
  vsc_agent_exec_opts o = { .argv = argv, .timeout_ms = 20000 };

  CU_ASSERT_EQUAL_FATAL(vsc_agent_exec(agent, &o, &r, &d), 0);
  CU_ASSERT_TRUE(r.has_exitcode);
  CU_ASSERT_EQUAL(r.exitcode, 3);
  CU_ASSERT_EQUAL_FATAL(r.out_len, 4);
  CU_ASSERT_NSTRING_EQUAL(r.out, "out\n", 4);
  CU_ASSERT_EQUAL_FATAL(r.err_len, 4);
  CU_ASSERT_NSTRING_EQUAL(r.err, "err\n", 4);
  CU_ASSERT_FALSE(r.out_truncated);
  vsc_agent_exec_result_clear(&r);

  /* Standard input, binary-safe, and the environment. */
  const char *cat[] = { "/bin/sh", "-c", "cat; printf %s \"$VSCHAN_T\"", NULL };
  const char *env[] = { "VSCHAN_T=env-ok", NULL };
  static const char input[] = "in\0put\xff\n";
  vsc_agent_exec_opts oc = { .argv = cat, .env = env, .input = input,
                             .input_len = sizeof(input) - 1, .timeout_ms = 20000 };
  CU_ASSERT_EQUAL_FATAL(vsc_agent_exec(agent, &oc, &r, &d), 0);
  CU_ASSERT_EQUAL(r.exitcode, 0);
  CU_ASSERT_EQUAL(r.out_len, sizeof(input) - 1 + 6);
  CU_ASSERT_EQUAL(memcmp(r.out, "in\0put\xff\nenv-ok", r.out_len), 0);
  vsc_agent_exec_result_clear(&r);

  /* Killed by a signal. */
  const char *kill_self[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
  vsc_agent_exec_opts ok = { .argv = kill_self, .timeout_ms = 20000 };
  CU_ASSERT_EQUAL_FATAL(vsc_agent_exec(agent, &ok, &r, &d), 0);
  CU_ASSERT_TRUE(r.has_signal);
  CU_ASSERT_EQUAL(r.signal, SIGTERM);
  vsc_agent_exec_result_clear(&r);

  /* A program that does not exist: the agent says so. */
  const char *missing[] = { "/no/such/program", NULL };
  vsc_agent_exec_opts om = { .argv = missing };
  CU_ASSERT_EQUAL(vsc_agent_exec(agent, &om, &r, &d), -1);
  CU_ASSERT_TRUE(diags_have(&d, "/no/such/program"));
  vsc_agent_exec_result_clear(&r);

  /* The time limit (the process is left running in the "guest"). */
  vsc_diags_clear(&d);
  const char *slow[] = { "/bin/sleep", "1", NULL };
  vsc_agent_exec_opts os = { .argv = slow, .timeout_ms = 100 };
  CU_ASSERT_EQUAL(vsc_agent_exec(agent, &os, &r, &d), -1);
  CU_ASSERT_TRUE(diags_have(&d, "has not exited after 0.100 s"));
  vsc_agent_exec_result_clear(&r);
  vsc_diags_clear(&d);
}

static int write_file(const char *path, const unsigned char *data, size_t n)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t w = fwrite(data, 1, n, f);
  return fclose(f) == 0 && w == n ? 0 : -1;
}

static unsigned char *read_whole(const char *path, size_t *n)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc((size_t)len + 1);
  *n = fread(buf, 1, (size_t)len, f);
  fclose(f);
  return buf;
}

static void test_file_round_trip(void)
{
  vsc_diags d = { 0 };
  /* Several MiB and not a multiple of the chunk or of 3 (base64). */
  size_t size = (size_t)5 * 1024 * 1024 + 12345;
  unsigned char *data = malloc(size);
  uint32_t seed = 42;
  for (size_t i = 0; i < size; i++) {
    seed = seed * 1664525 + 1013904223;
    data[i] = (unsigned char)(seed >> 24);
  }
  data[0] = 0xff;   /* the sentinel byte, and a NUL, in the data */
  data[1] = 0;
  char local[400], guest[400], back[400];
  snprintf(local, sizeof(local), "%s/local.bin", qga.dir);
  snprintf(guest, sizeof(guest), "%s/guest.bin", qga.dir);
  snprintf(back, sizeof(back), "%s/back.bin", qga.dir);
  CU_ASSERT_EQUAL_FATAL(write_file(local, data, size), 0);

  uint64_t total = 0;
  double t0 = now_s();
  CU_ASSERT_EQUAL(vsc_agent_file_put(agent, local, guest, &total, &d), 0);
  CU_ASSERT_EQUAL(total, size);
  CU_ASSERT_EQUAL(vsc_agent_file_get(agent, guest, back, &total, &d), 0);
  CU_ASSERT_EQUAL(total, size);
  fprintf(stderr, " [%zu bytes there and back in %.2f s] ", size, now_s() - t0);

  size_t n = 0;
  unsigned char *got = read_whole(back, &n);
  CU_ASSERT_EQUAL(n, size);
  CU_ASSERT_TRUE(got && n == size && memcmp(got, data, size) == 0);
  free(got);
  got = read_whole(guest, &n);
  CU_ASSERT_TRUE(got && n == size && memcmp(got, data, size) == 0);
  free(got);

  /* An empty file. */
  char empty[400], empty_back[400];
  snprintf(empty, sizeof(empty), "%s/empty", qga.dir);
  snprintf(empty_back, sizeof(empty_back), "%s/empty.back", qga.dir);
  CU_ASSERT_EQUAL(write_file(empty, data, 0), 0);
  CU_ASSERT_EQUAL(vsc_agent_file_get(agent, empty, empty_back, &total, &d), 0);
  CU_ASSERT_EQUAL(total, 0);
  CU_ASSERT_EQUAL(access(empty_back, F_OK), 0);

  if (d.n)
    vsc_diags_print(&d, stderr, false);
  CU_ASSERT_EQUAL(d.n, 0);
  vsc_diags_clear(&d);
  free(data);
}

static void test_file_errors(void)
{
  vsc_diags d = { 0 };
  char missing[400], local[400];
  snprintf(missing, sizeof(missing), "%s/no-such-file", qga.dir);
  snprintf(local, sizeof(local), "%s/never-written", qga.dir);
  CU_ASSERT_EQUAL(vsc_agent_file_get(agent, missing, local, NULL, &d), -1);
  CU_ASSERT_TRUE(diags_have(&d, "'guest-file-open' failed"));
  CU_ASSERT_TRUE(diags_have(&d, "No such file or directory"));
  /* No file, and no temporary file, left behind. */
  CU_ASSERT_NOT_EQUAL(access(local, F_OK), 0);
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "ls -a %s | grep -q never-written", qga.dir);
  CU_ASSERT_NOT_EQUAL(system(cmd), 0);
  vsc_diags_clear(&d);

  CU_ASSERT_EQUAL(vsc_agent_file_put(agent, missing, local, NULL, &d), -1);
  CU_ASSERT_TRUE(diags_rule(&d, "agent-local-io"));
  vsc_diags_clear(&d);
}

static void test_reconnect_and_alive(void)
{
  vsc_diags d = { 0 };
  /* The suite's client holds the socket's lock while connected. */
  vsc_agent_free(agent);
  agent = NULL;
  /* Many short connections in a row: each syncs, drains and closes, and
   * qemu-ga 7.2 (which exits on a reset) stays up. */
  for (int i = 0; i < 20; i++) {
    vsc_agent *a = agent_open(&qga, 5000, 0);
    CU_ASSERT_EQUAL(vsc_agent_ping(a, &d), 0);
    vsc_agent_free(a);
  }
  /* A half-written request left in the agent's parser by someone else:
   * our 0xFF flushes it. */
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  sockaddr_set(&sa, qga.sock);
  CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  CU_ASSERT_EQUAL(write(fd, "{\"execute\":\"guest-pi", 20), 20);
  shutdown(fd, SHUT_WR);
  char buf[256];
  while (read(fd, buf, sizeof(buf)) > 0) {
  }
  close(fd);
  agent = agent_open(&qga, 5000, 0);
  CU_ASSERT_EQUAL(vsc_agent_ping(agent, &d), 0);
  CU_ASSERT_TRUE(proc_alive(&qga));
  if (d.n)
    vsc_diags_print(&d, stderr, false);
  vsc_diags_clear(&d);
}

int main(void)
{
  qga_path = find_qga();
  if (!qga_path)
    return vsct_skip("qemu-ga not found (install Debian's qemu-guest-agent)");

  static CU_TestInfo tests[] = {
    { "ping and info", test_ping_info },
    { "osinfo, hostname, time, interfaces, fsinfo, users, fsfreeze status, raw", test_queries },
    { "blocked commands are reported as policy", test_blocked },
    { "exec: exit status, stderr, stdin, env, signal, errors, time limit", test_exec },
    { "file round trip of several MiB", test_file_round_trip },
    { "file errors", test_file_errors },
    { "reconnects; the agent stays up", test_reconnect_and_alive },
    CU_TEST_INFO_NULL,
  };
  CU_SuiteInfo suites[] = { { "agent-qga", suite_init, suite_clean, NULL, NULL, tests },
                            CU_SUITE_INFO_NULL };
  vsc_mem_init();
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  CU_register_suites(suites);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
                    CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
