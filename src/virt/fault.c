/* Fault injection for the transaction tests (tests/virt/txn-faults.sh).
 *
 *   VSCHAN_FAIL_LIBVIRT=attach:N    the N-th device attach of the process
 *   VSCHAN_FAIL_LIBVIRT=detach:N    the N-th device detach of the process
 *   VSCHAN_FAIL_LIBVIRT=attach:N,detach:M   both
 *
 * An attach is a virDomainAttachDeviceFlags call, a detach a
 * virDomainDetachDeviceAlias or virDomainDetachDeviceFlags call, live or
 * config, counted from 1 in the order vschan makes them.  The chosen call
 * does not reach libvirt; it fails as if libvirt had refused it, and
 * vsc_virt_error reports "injected failure ...".  One failure per process:
 * after it every call reaches libvirt, so the rollback it causes runs
 * unhindered (with attach:N,detach:M, whichever comes first fails).
 * Unset, nothing changes.  A value that does not parse fails the first
 * such call, so a typo in a test cannot pass unnoticed. */
#include "virt-priv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* apply --fleet works on domains from several threads */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool parsed, malformed, fired;
static unsigned long fail_at[VSC_VIRT_FAULT_LAST];   /* 0: never */
static unsigned long calls[VSC_VIRT_FAULT_LAST];
static char *pending;                                 /* for vsc_virt_error */

static const char *const op_names[VSC_VIRT_FAULT_LAST] = { "attach", "detach" };

static void parse(const char *env)
{
  VSC_AUTOFREE(char) copy = vsc_strdup(env);
  char *save = NULL;
  for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    bool known = false;
    for (int op = 0; op < VSC_VIRT_FAULT_LAST; op++) {
      size_t len = strlen(op_names[op]);
      char *end;
      if (strncmp(item, op_names[op], len) != 0 || item[len] != ':')
        continue;
      unsigned long n = strtoul(item + len + 1, &end, 10);
      if (*end || end == item + len + 1 || n == 0)
        break;
      fail_at[op] = n;
      known = true;
    }
    if (!known)
      malformed = true;
  }
}

bool vsc_virt_fault(vsc_virt_fault_op op)
{
  const char *env = getenv("VSCHAN_FAIL_LIBVIRT");
  bool fire = false;
  if (!env || !*env)
    return false;
  pthread_mutex_lock(&lock);
  if (fired)
    goto out;
  if (!parsed) {
    parse(env);
    parsed = true;
  }
  unsigned long n = ++calls[op];
  if (!malformed && n != fail_at[op])
    goto out;
  fired = fire = true;
  free(pending);
  pending = malformed
    ? vsc_asprintf("injected failure: VSCHAN_FAIL_LIBVIRT='%s' is not attach:N or detach:N", env)
    : vsc_asprintf("injected failure of %s call %lu (VSCHAN_FAIL_LIBVIRT=%s)", op_names[op], n,
                   env);
out:
  pthread_mutex_unlock(&lock);
  return fire;
}

char *vsc_virt_fault_take(void)
{
  pthread_mutex_lock(&lock);
  char *p = vsc_steal(&pending);
  pthread_mutex_unlock(&lock);
  return p;
}
