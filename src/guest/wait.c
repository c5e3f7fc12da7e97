/* vsc_guest_wait_agent: wait until a guest's agent answers.
 *
 * state='connected' on the agent channel (or libvirt's agent-lifecycle
 * event) only says the guest opened the port; guest-ping says qemu-ga
 * answers.  Both are needed: pinging a port nobody opened fails at once
 * with "not connected", and an opened port may belong to an agent that is
 * still starting. */
#include "guest-priv.h"

#include "util/clock.h"

#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* How often the live XML is read again while no event says anything: a
 * safety net for drivers or versions that do not send agent events. */
#define STATE_POLL_SECONDS 1.0
/* Pause between pings that found the agent not (yet) answering. */
#define PING_RETRY_SECONDS 0.2
/* The longest single ping: libvirt's own guest-sync takes up to 5 s. */
#define PING_MAX_MS 5000

/* Shared with the event loop thread; freed by whoever lets go last
 * (libvirt releases each registration in its own time). */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  atomic_int refs;
  bool connected;        /* the latest agent event said connected */
  bool agent_event;      /* any agent event came */
  bool stopped;          /* the domain stopped */
} wait_events;

static void events_unref(void *opaque)
{
  wait_events *w = opaque;
  if (atomic_fetch_sub(&w->refs, 1) != 1)
    return;
  pthread_cond_destroy(&w->cond);
  pthread_mutex_destroy(&w->lock);
  free(w);
}

static void on_agent(virConnectPtr conn, virDomainPtr dom, int state, int reason, void *opaque)
{
  wait_events *w = opaque;
  pthread_mutex_lock(&w->lock);
  w->agent_event = true;
  w->connected = state == VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED;
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->lock);
}

static void on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
                         void *opaque)
{
  wait_events *w = opaque;
  if (event != VIR_DOMAIN_EVENT_STOPPED && event != VIR_DOMAIN_EVENT_CRASHED)
    return;
  pthread_mutex_lock(&w->lock);
  w->stopped = true;
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->lock);
}

static double earlier(double a, double b)
{
  return a < b ? a : b;
}

static void sleep_until(double t)
{
  struct timespec ts = vsc_timespec_at(t);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
  }
}

static bool domain_running(vsc_virt_domain *d)
{
  int active = virDomainIsActive(d->dom);
  virResetLastError();
  return active == 1;
}

static int not_running(vsc_virt_domain *d, bool while_waiting, vsc_diags *diags)
{
  if (while_waiting)
    vsc_error_peer(diags, NULL, "guest-stopped", "see the domain's log for why it stopped",
                   "domain '%s' stopped while waiting for its guest agent", d->name);
  else
    vsc_error(diags, NULL, "guest-not-running",
              "start it first ('virsh start DOMAIN'), then wait for its agent",
              "domain '%s' is not running", d->name);
  return -1;
}

int vsc_guest_wait_agent(vsc_virt_domain *d, double timeout, vsc_guest_wait_result *result,
                         vsc_diags *diags)
{
  virConnectPtr conn = vsc_virt_conn(d->virt);
  double t0 = vsc_now();
  double deadline = t0 + timeout;
  vsc_guest_channel_state state = VSC_GUEST_CHANNEL_NONE;
  int agent_cb = -1, life_cb = -1;
  bool connected = false;
  VSC_AUTOPTR(vsc_agent) agent = NULL;
  vsc_diags last = { 0 };
  int rc = -1;

  memset(result, 0, sizeof(*result));
  if (!domain_running(d))
    return not_running(d, false, diags);

  wait_events *w = vsc_calloc(1, sizeof(*w));
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&w->cond, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&w->lock, NULL);
  atomic_init(&w->refs, 1);

  /* Listen before reading the state, so a change in between is seen. */
  atomic_fetch_add(&w->refs, 1);
  agent_cb = virConnectDomainEventRegisterAny(conn, d->dom, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                              VIR_DOMAIN_EVENT_CALLBACK(on_agent), w, events_unref);
  if (agent_cb < 0) {
    atomic_fetch_sub(&w->refs, 1);
    virResetLastError();   /* the XML poll still works without events */
  }
  atomic_fetch_add(&w->refs, 1);
  life_cb = virConnectDomainEventRegisterAny(conn, d->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                             VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), w,
                                             events_unref);
  if (life_cb < 0) {
    atomic_fetch_sub(&w->refs, 1);
    virResetLastError();
  }

  if (vsc_guest_agent_channel_state(d, &state, diags) < 0)
    goto out;
  connected = state == VSC_GUEST_CHANNEL_CONNECTED;
  if (connected) {
    result->how = VSC_GUEST_WAIT_STATE;
    result->connected_after = vsc_now() - t0;
  }

  agent = vsc_guest_agent_for_domain(d, PING_MAX_MS);
  for (;;) {
    double now = vsc_now();
    if (now >= deadline)
      break;
    if (!connected) {
      /* Sleep until an event, the next look at the XML, or the deadline. */
      double until = earlier(deadline, now + STATE_POLL_SECONDS);
      struct timespec ts = vsc_timespec_at(until);
      bool stopped;
      pthread_mutex_lock(&w->lock);
      while (!w->connected && !w->stopped && vsc_now() < until)
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
      connected = w->connected;
      stopped = w->stopped;
      pthread_mutex_unlock(&w->lock);
      if (stopped || !domain_running(d)) {
        not_running(d, true, diags);
        goto out;
      }
      if (connected) {
        result->how = VSC_GUEST_WAIT_EVENT;
      } else {
        if (vsc_guest_agent_channel_state(d, &state, diags) < 0)
          goto out;
        connected = state == VSC_GUEST_CHANNEL_CONNECTED;
        result->how = VSC_GUEST_WAIT_STATE;
      }
      if (!connected)
        continue;
      result->connected_after = vsc_now() - t0;
    }

    /* The port is open: does the agent answer? */
    int left_ms = (int)((deadline - vsc_now()) * 1000.0) + 1;
    vsc_agent_set_timeout(agent, left_ms < PING_MAX_MS ? left_ms : PING_MAX_MS);
    vsc_diags_clear(&last);
    result->pings++;
    if (vsc_agent_ping(agent, &last) == 0) {
      if (result->connected_after == 0 && result->how != VSC_GUEST_WAIT_STATE) {
        result->how = VSC_GUEST_WAIT_PING;
        result->connected_after = vsc_now() - t0;
      }
      result->answered_after = vsc_now() - t0;
      rc = 0;
      break;
    }
    vsc_agent_failure why = vsc_agent_last_failure(agent);
    if (why == VSC_AGENT_NOT_CONNECTED) {
      /* The guest closed the port again (agent restarting), or libvirt
       * has not caught up with the event yet. */
      pthread_mutex_lock(&w->lock);
      w->connected = false;
      pthread_mutex_unlock(&w->lock);
      connected = false;
    } else if (why != VSC_AGENT_TIMED_OUT) {
      if (!domain_running(d)) {
        not_running(d, true, diags);
        goto out;
      }
      vsc_diags_move(diags, &last);
      goto out;
    }
    sleep_until(earlier(deadline, vsc_now() + PING_RETRY_SECONDS));
  }

  if (rc < 0) {
    if (!connected)
      vsc_error_peer(diags, NULL, "guest-timeout",
                     "is qemu-ga installed and running in the guest?  It opens "
                     "/dev/virtio-ports/" VSC_GUEST_AGENT_CHANNEL "; a booting guest may need longer "
                     "(--timeout)",
                     "the guest agent of domain '%s' did not connect within %g s (the agent channel "
                     "is disconnected: the guest has not opened it)", d->name, timeout);
    else
      vsc_error_peer(diags, NULL, "guest-timeout",
                     "the guest opened the agent's port but qemu-ga did not answer: it may be "
                     "starting, busy (fsfreeze, fstrim) or hung; see the guest's logs",
                     "the guest agent of domain '%s' did not answer guest-ping within %g s", d->name,
                     timeout);
  }
out:
  vsc_diags_clear(&last);
  if (agent_cb >= 0)
    virConnectDomainEventDeregisterAny(conn, agent_cb);
  if (life_cb >= 0)
    virConnectDomainEventDeregisterAny(conn, life_cb);
  events_unref(w);
  return rc;
}
