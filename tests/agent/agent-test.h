/* Scaffolding for the agent tests: temporary directories, an agent process
 * (the fake or the real qemu-ga) on a socket in them, and clocks. */
#pragma once

#define _GNU_SOURCE
#include "agent/agent.h"
#include "test.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  char dir[256];
  char sock[300];
  char log[300];
  pid_t pid;
} agent_proc;

static inline double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove(path);
}

static inline int proc_mkdir(agent_proc *p)
{
  memset(p, 0, sizeof(*p));
  snprintf(p->dir, sizeof(p->dir), "/tmp/vschan-agent-test-XXXXXX");
  if (!mkdtemp(p->dir))
    return -1;
  snprintf(p->sock, sizeof(p->sock), "%s/s", p->dir);
  snprintf(p->log, sizeof(p->log), "%s/log", p->dir);
  /* Lock files of the tests stay in the test's own directory. */
  setenv("VSCHAN_LOCK_DIR", p->dir, 1);
  return 0;
}

/* Wait until the socket exists (the agent listens) or the process died. */
static inline int proc_wait_socket(agent_proc *p)
{
  for (int i = 0; i < VSCT_LONG_S * 200; i++) {
    struct stat st;
    int status;
    if (stat(p->sock, &st) == 0 && S_ISSOCK(st.st_mode))
      return 0;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
      p->pid = 0;
      return -1;
    }
    usleep(5000);
  }
  return -1;
}

static inline int proc_spawn(agent_proc *p, char *const argv[])
{
  p->pid = fork();
  if (p->pid < 0)
    return -1;
  if (p->pid == 0) {
    /* A test that crashes must not leave its agent running (SIGKILL:
     * qemu-ga 7.2 can deadlock in its SIGTERM handler). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execv(argv[0], argv);
    _exit(127);
  }
  return proc_wait_socket(p);
}

static inline int fake_start(agent_proc *p, const char *scenario)
{
  if (proc_mkdir(p) < 0)
    return -1;
  char *argv[] = { (char *)FAKE_AGENT, p->sock, (char *)scenario, p->log, NULL };
  return proc_spawn(p, argv);
}

/* Is the process still running (not exited on its own)? */
static inline int proc_alive(agent_proc *p)
{
  int status;
  return p->pid > 0 && waitpid(p->pid, &status, WNOHANG) == 0;
}

static inline void proc_stop(agent_proc *p)
{
  if (p->pid > 0) {
    /* SIGTERM, then SIGKILL after 2 s: qemu-ga 7.2 was seen to deadlock
     * in its SIGTERM handler, and the test then never ended. */
    kill(p->pid, SIGTERM);
    for (int i = 0; i < 200 && waitpid(p->pid, NULL, WNOHANG) == 0; i++)
      usleep(10000);
    if (waitpid(p->pid, NULL, WNOHANG) == 0) {
      kill(p->pid, SIGKILL);
      waitpid(p->pid, NULL, 0);
    }
  }
  p->pid = 0;
  if (p->dir[0])
    nftw(p->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  p->dir[0] = '\0';
}

static inline vsc_agent *agent_open(agent_proc *p, int timeout_ms, size_t max_reply)
{
  vsc_diags d = { 0 };
  vsc_agent_socket_opts o = { .path = p->sock, .timeout_ms = timeout_ms, .max_reply = max_reply };
  vsc_agent *a = vsc_agent_open_socket(&o, &d);
  if (!a)
    vsc_diags_print(&d, stderr, false); /* why, for the test's log */
  vsc_diags_clear(&d);
  return a;
}

/* The first error's message contains needle (printed when not). */
static inline int diags_have(const vsc_diags *d, const char *needle)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->items[i].severity == VSC_SEV_ERROR && strstr(d->items[i].message, needle))
      return 1;
  fprintf(stderr, "\n  expected an error with '%s', got:\n", needle);
  vsc_diags_print(d, stderr, false);
  return 0;
}

static inline int diags_rule(const vsc_diags *d, const char *rule)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->items[i].rule && strcmp(d->items[i].rule, rule) == 0)
      return 1;
  return 0;
}

/* How many lines of the fake's request log start with prefix. */
static inline int log_count(agent_proc *p, const char *prefix)
{
  FILE *f = fopen(p->log, "r");
  char line[8192];
  int n = 0;
  if (!f)
    return 0;
  while (fgets(line, sizeof(line), f))
    n += strncmp(line, prefix, strlen(prefix)) == 0;
  fclose(f);
  return n;
}

static inline void sockaddr_set(struct sockaddr_un *sa, const char *path)
{
  size_t n = strlen(path);
  if (n >= sizeof(sa->sun_path))
    n = sizeof(sa->sun_path) - 1;
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, path, n);
  sa->sun_path[n] = '\0';
}
