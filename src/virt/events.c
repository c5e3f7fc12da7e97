/* libvirt's device-removed and device-removal-failed events of a domain:
 * registered once per domain, kept as lists of aliases that detach.c
 * waits on, released with the domain. */
#include "virt-priv.h"

#include "util/clock.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

struct vsc_virt_events {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  char **removed;       /* aliases libvirt reported removed */
  size_t nremoved;
  char **failed;        /* aliases whose removal the guest refused */
  size_t nfailed;
  int removed_id, failed_id;
};

static void push(struct vsc_virt_events *ev, char ***list, size_t *n, const char *alias)
{
  pthread_mutex_lock(&ev->lock);
  *(char **)vsc_append(list, n, sizeof(char *)) = vsc_strdup(alias);
  pthread_cond_broadcast(&ev->cond);
  pthread_mutex_unlock(&ev->lock);
}

static void on_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
  struct vsc_virt_events *ev = opaque;
  push(ev, &ev->removed, &ev->nremoved, alias);
}

static void on_removal_failed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
  struct vsc_virt_events *ev = opaque;
  push(ev, &ev->failed, &ev->nfailed, alias);
}

static void drop(char ***list, size_t *n, const char *alias)
{
  size_t j = 0;
  for (size_t i = 0; i < *n; i++) {
    if (strcmp((*list)[i], alias) == 0)
      free((*list)[i]);
    else
      (*list)[j++] = (*list)[i];
  }
  *n = j;
}

static bool contains(char **list, size_t n, const char *alias)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(list[i], alias) == 0)
      return true;
  return false;
}

static void events_free(void *opaque)
{
  struct vsc_virt_events *ev = opaque;
  for (size_t i = 0; i < ev->nremoved; i++)
    free(ev->removed[i]);
  for (size_t i = 0; i < ev->nfailed; i++)
    free(ev->failed[i]);
  free(ev->removed);
  free(ev->failed);
  pthread_mutex_destroy(&ev->lock);
  pthread_cond_destroy(&ev->cond);
  free(ev);
}

void vsc_virt_events_release(vsc_virt_domain *d)
{
  struct vsc_virt_events *ev = d->events;
  virConnectPtr conn = vsc_virt_conn(d->virt);
  if (!ev)
    return;
  int removed_id = ev->removed_id, failed_id = ev->failed_id;
  if (failed_id >= 0)
    VIRT_CALL(virConnectDomainEventDeregisterAny(conn, failed_id));
  /* The last deregistration frees ev (through its free callback). */
  VIRT_CALL(virConnectDomainEventDeregisterAny(conn, removed_id));
  d->events = NULL;
}

int vsc_virt_events_watch(vsc_virt_domain *d, vsc_diags *diags)
{
  virConnectPtr conn = vsc_virt_conn(d->virt);
  struct vsc_virt_events *ev;
  pthread_condattr_t attr;

  if (d->events)
    return 0;
  ev = vsc_calloc(1, sizeof(*ev));
  pthread_mutex_init(&ev->lock, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&ev->cond, &attr);
  pthread_condattr_destroy(&attr);
  ev->failed_id = -1;
  ev->removed_id = VIRT_CALL(virConnectDomainEventRegisterAny(
    conn, d->dom, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(on_removed), ev,
    events_free));
  if (ev->removed_id < 0) {
    vsc_virt_error(diags, NULL, "cannot listen for libvirt's device-removed events");
    events_free(ev);
    return -1;
  }
  d->events = ev;
  /* Optional: without it a refused unplug shows as a timeout. */
  ev->failed_id = VIRT_CALL(virConnectDomainEventRegisterAny(
    conn, d->dom, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED,
    VIR_DOMAIN_EVENT_CALLBACK(on_removal_failed), ev, NULL));
  virResetLastError();
  return 0;
}

void vsc_virt_events_forget(vsc_virt_domain *d, const char *alias)
{
  struct vsc_virt_events *ev = d->events;
  pthread_mutex_lock(&ev->lock);
  drop(&ev->removed, &ev->nremoved, alias);
  drop(&ev->failed, &ev->nfailed, alias);
  pthread_mutex_unlock(&ev->lock);
}

void vsc_virt_events_wait(vsc_virt_domain *d, const char *alias, double timeout, bool *removed,
                          bool *refused)
{
  struct vsc_virt_events *ev = d->events;
  double t0 = vsc_now();
  struct timespec deadline = vsc_timespec_at(t0 + timeout);

  *removed = *refused = false;
  pthread_mutex_lock(&ev->lock);
  for (;;) {
    *removed = contains(ev->removed, ev->nremoved, alias);
    *refused = contains(ev->failed, ev->nfailed, alias);
    if (*removed || *refused)
      break;
    if (pthread_cond_timedwait(&ev->cond, &ev->lock, &deadline) == ETIMEDOUT)
      break;
  }
  pthread_mutex_unlock(&ev->lock);
  vsc_virt_time_add(vsc_now() - t0);
}
