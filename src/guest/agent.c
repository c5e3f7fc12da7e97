/* The guest agent through libvirt: a transport for src/agent built on
 * virDomainQemuAgentCommand.
 *
 * libvirt does the protocol (guest-sync, framing, the 10 MiB cap) and
 * turns an agent's {"error": ...} into a libvirt error; that error is
 * turned back into an error reply here, so both transports report agent
 * errors alike. */
#include "guest-priv.h"
#include "model/backend.h"

#include "util/clock.h"

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <time.h>

typedef struct {
  char *uri;
  char *domain;
  vsc_virt *virt;          /* owned, when opened here */
  vsc_virt_domain *dom;    /* owned when virt is, else borrowed */
} virt_agent;

int vsc_guest_agent_channel_state(vsc_virt_domain *d, vsc_guest_channel_state *state,
                                  vsc_diags *diags)
{
  vsc_virt_state st = { 0 };
  const vsc_chardev *live = NULL;
  bool in_config = false;

  if (vsc_virt_state_read(d, &st, diags) < 0)
    return -1;
  for (size_t i = 0; i < st.ndevs; i++) {
    const vsc_chardev *dev = vsc_virt_dev_main(&st.devs[i]);
    if (dev->kind != VSC_KIND_CHANNEL || dev->target.type != VSC_TARGET_VIRTIO ||
        !dev->target.name || strcmp(dev->target.name, VSC_GUEST_AGENT_CHANNEL) != 0)
      continue;
    if (st.devs[i].live && !live)
      live = st.devs[i].live;
    if (st.devs[i].config)
      in_config = true;
  }
  int rc = 0;
  if (!live) {
    if (in_config)
      vsc_error(diags, NULL, "guest-no-agent-channel",
                "the channel is in the persistent definition only: restart the domain, or add "
                "it live with 'vschan add DOMAIN --template guest-agent --live'",
                "the running domain '%s' has no guest agent channel ('%s')", d->name,
                VSC_GUEST_AGENT_CHANNEL);
    else
      vsc_error(diags, NULL, "guest-no-agent-channel",
                "add one with 'vschan add DOMAIN --template guest-agent'; the guest then needs "
                "qemu-ga running",
                "domain '%s' has no guest agent channel ('%s')", d->name, VSC_GUEST_AGENT_CHANNEL);
    rc = -1;
  } else if (!(vsc_chardev_backend_info(live)->flags & VSC_BF_SOCKET_PATH)) {
    vsc_error(diags, NULL, "guest-agent-channel-type",
              "libvirt talks to the agent only over a unix socket: replace the channel with "
              "'vschan add DOMAIN --template guest-agent'",
              "the guest agent channel of domain '%s' uses the '%s' backend", d->name,
              vsc_backend_to_string(vsc_chardev_backend(live)));
    rc = -1;
  } else {
    *state = live->target.state && strcmp(live->target.state, "connected") == 0
               ? VSC_GUEST_CHANNEL_CONNECTED : VSC_GUEST_CHANNEL_DISCONNECTED;
  }
  vsc_virt_state_clear(&st);
  return rc;
}

static void virt_agent_close(void *opaque)
{
  virt_agent *a = opaque;
  if (a->virt) {
    vsc_virt_domain_free(a->dom);
    vsc_virt_close(a->virt);
  }
  free(a->uri);
  free(a->domain);
  free(a);
}

static int ensure_domain(virt_agent *a, vsc_diags *diags)
{
  if (a->dom)
    return 0;
  if (!a->virt) {
    a->virt = vsc_virt_open(a->uri, diags);
    if (!a->virt)
      return -1;
  }
  a->dom = vsc_virt_domain_lookup(a->virt, a->domain, diags);
  if (!a->dom)
    return -1;
  return 0;
}

/* libvirt's text for an agent's error reply, from qemuAgentCheckError:
 * "unable to execute QEMU agent command 'guest-x': DESC". */
static json_t *agent_error_reply(const char *message)
{
  static const char marker[] = "unable to execute QEMU agent command '";
  const char *p = strstr(message, marker);
  if (!p)
    return NULL;
  p = strstr(p + sizeof(marker) - 1, "': ");
  if (!p)
    return NULL;
  const char *desc = p + 3;
  /* libvirt keeps only the desc; the class matters for one case, a
   * command the agent does not know or has disabled (qemu-ga's
   * CommandNotFound: "The command guest-x has not been found"). */
  const char *cls = strstr(desc, "has not been found") || strstr(desc, "has been disabled")
                      ? "CommandNotFound" : "GenericError";
  return json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
}

static bool is_gone(const char *message)
{
  return strstr(message, "disappeared") || strstr(message, "End of file");
}

/* After "agent is not connected" (err): whether to try again.  A process
 * that opens qemu:///embed reconnects to the running QEMU in a thread of
 * its own, and a command can beat it; while the live XML says the guest
 * has the agent's port open, libvirt is about to connect, so wait for it
 * (a little at a time, within the command's deadline). */
static bool reconnecting(virt_agent *a, const virError *err, double deadline)
{
  if (err->code != VIR_ERR_AGENT_UNRESPONSIVE || !err->message ||
      !strstr(err->message, "not connected") || vsc_now() + 0.05 >= deadline)
    return false;
  vsc_diags ignored = { 0 };
  vsc_guest_channel_state state = VSC_GUEST_CHANNEL_NONE;
  int rc = vsc_guest_agent_channel_state(a->dom, &state, &ignored);
  vsc_diags_clear(&ignored);
  virResetLastError();
  if (rc < 0 || state != VSC_GUEST_CHANNEL_CONNECTED)
    return false;
  vsc_sleep_ms(50);
  return true;
}

/* What a failed virDomainQemuAgentCommand means. */
static int send_failed(virt_agent *a, const vsc_agent_call_opts *opts, const virError *err,
                       int seconds, json_t **reply, vsc_diags *diags)
{
  int code = err->code;
  const char *msg = err->message ? err->message : "unknown libvirt error";

  /* A command that sends no reply when it works (guest-shutdown): the
   * deadline passing, or the agent going away, is what success looks
   * like. */
  if (opts->no_reply && code == VIR_ERR_AGENT_UNRESPONSIVE) {
    virResetLastError();
    return 0;
  }
  if (opts->no_reply && is_gone(msg)) {
    virResetLastError();
    return 0;
  }
  json_t *error_reply = agent_error_reply(msg);
  if (error_reply) {
    virResetLastError();
    *reply = error_reply;
    return 0;
  }
  switch (code) {
  case VIR_ERR_AGENT_UNRESPONSIVE: {
    /* libvirt has one code for both; only its message tells them apart. */
    bool closed = strstr(msg, "not connected") != NULL;
    if (opts->failure)
      *opts->failure = closed ? VSC_AGENT_NOT_CONNECTED : VSC_AGENT_TIMED_OUT;
    if (closed)
      vsc_error_peer(diags, NULL, "agent-not-connected",
                     "qemu-ga is not running in the guest (yet); 'vschan wait-agent DOMAIN' waits "
                     "until it answers",
                     "the guest agent of domain '%s' is not connected: %s", a->dom->name, msg);
    else
      vsc_error_peer(diags, NULL, "agent-timeout",
                     "is qemu-ga running in the guest?  An agent that is busy (fsfreeze, fstrim) "
                     "stays silent; raise --timeout for slow commands",
                     "the guest agent of domain '%s' did not answer '%s' within %d s: %s",
                     a->dom->name, opts->command, seconds, msg);
    break;
  }
  case VIR_ERR_ARGUMENT_UNSUPPORTED:
    vsc_error_peer(diags, NULL, "agent-not-configured",
                   "add the agent's channel with 'vschan add DOMAIN --template guest-agent' (the "
                   "guest then needs qemu-ga running)",
                   "domain '%s' has no guest agent channel: %s", a->dom->name, msg);
    break;
  case VIR_ERR_OPERATION_INVALID:
    vsc_error_peer(diags, NULL, "libvirt-not-running", "start the domain first ('virsh start DOMAIN')",
                   "cannot reach the guest agent of domain '%s': %s", a->dom->name, msg);
    break;
  default:
    vsc_error_peer(diags, NULL, "libvirt",
                   "see the domain's QEMU log (/var/log/libvirt/qemu/DOMAIN.log) and libvirt's log",
                   "cannot run '%s' on the guest agent of domain '%s': %s", opts->command,
                   a->dom->name, msg);
    break;
  }
  virResetLastError();
  return -1;
}

static int virt_agent_send(void *opaque, json_t *request, const vsc_agent_call_opts *opts,
                           json_t **reply, vsc_diags *diags)
{
  virt_agent *a = opaque;
  *reply = NULL;
  if (ensure_domain(a, diags) < 0)
    return -1;

  VSC_AUTOFREE(char) text = json_dumps(request, JSON_COMPACT);
  /* Whole seconds, rounded up: a deadline never gets shorter. */
  int seconds = opts->timeout_ms > 0 ? (opts->timeout_ms + 999) / 1000 : 5;
  double deadline = vsc_now() + (opts->timeout_ms > 0 ? opts->timeout_ms : 5000) / 1000.0;
  virError err = { 0 };
  char *out;
  for (;;) {
    out = virDomainQemuAgentCommand(a->dom->dom, text, seconds, 0);
    if (out)
      break;
    virResetError(&err);
    virCopyLastError(&err);
    if (!reconnecting(a, &err, deadline))
      break;
  }
  /* Owns out: freed by the cleanup attribute on every return below. */
  VSC_AUTOFREE(char) reply_text = out;
  if (reply_text) {
    json_error_t jerr;
    *reply = json_loads(reply_text, 0, &jerr);
    if (!json_is_object(*reply)) {
      json_decref(*reply);
      *reply = NULL;
      VSC_AUTOFREE(char) shown = vsc_agent_printable(reply_text, 80);
      vsc_error_peer(diags, NULL, "agent-bad-reply", "the guest agent may be broken or not qemu-ga",
                     "libvirt passed on a reply to '%s' from the guest agent of domain '%s' that is "
                     "not a JSON object: %s", opts->command, a->dom->name, shown);
      return -1;
    }
    return 0;
  }

  int rc = send_failed(a, opts, &err, seconds, reply, diags);
  virResetError(&err);
  virResetLastError();
  return rc;
}

static vsc_agent *new_agent(virt_agent *a, int timeout_ms)
{
  VSC_AUTOFREE(char) where = vsc_asprintf("the guest agent of domain '%s'", a->domain);
  vsc_agent *agent = vsc_agent_new(virt_agent_send, virt_agent_close, a, where);
  vsc_agent_set_timeout(agent, timeout_ms);
  return agent;
}

vsc_agent *vsc_guest_agent_open(const char *uri, const char *domain, int timeout_ms)
{
  virt_agent *a = vsc_calloc(1, sizeof(*a));
  a->uri = uri ? vsc_strdup(uri) : NULL;
  a->domain = vsc_strdup(domain);
  return new_agent(a, timeout_ms);
}

vsc_agent *vsc_guest_agent_for_domain(vsc_virt_domain *d, int timeout_ms)
{
  virt_agent *a = vsc_calloc(1, sizeof(*a));
  a->domain = vsc_strdup(d->name);
  a->dom = d;
  return new_agent(a, timeout_ms);
}
