/* The guest agent through libvirt: a transport for src/agent built on
 * virDomainQemuAgentCommand.
 *
 * libvirt does the protocol (guest-sync, framing, the 10 MiB cap) and
 * turns an agent's {"error": ...} into a libvirt error; that error is
 * turned back into an error reply here, so both transports report agent
 * errors alike. */
#include "guest.h"

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

typedef struct {
  char *uri;
  char *domain;
  vsc_virt *virt;          /* owned, when opened here */
  vsc_virt_domain *dom;    /* owned when virt is, else borrowed */
} virt_agent;

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
  return a->dom ? 0 : -1;
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
  VSC_AUTOFREE(char) out = virDomainQemuAgentCommand(a->dom->dom, text, seconds, 0);
  if (out) {
    json_error_t jerr;
    *reply = json_loads(out, 0, &jerr);
    if (!json_is_object(*reply)) {
      json_decref(*reply);
      *reply = NULL;
      VSC_AUTOFREE(char) shown = vsc_agent_printable(out, 80);
      vsc_error(diags, NULL, "agent-bad-reply", "the guest agent may be broken or not qemu-ga",
                "libvirt passed on a reply to '%s' from the guest agent of domain '%s' that is "
                "not a JSON object: %s", opts->command, a->dom->name, shown);
      return -1;
    }
    return 0;
  }

  virErrorPtr err = virGetLastError();
  int code = err ? err->code : VIR_ERR_OK;
  const char *msg = err && err->message ? err->message : "unknown libvirt error";

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
  case VIR_ERR_AGENT_UNRESPONSIVE:
    if (strstr(msg, "not connected"))
      vsc_error(diags, NULL, "agent-not-connected",
                "qemu-ga is not running in the guest (yet); 'vschan wait-agent DOMAIN' waits "
                "until it answers",
                "the guest agent of domain '%s' is not connected: %s", a->dom->name, msg);
    else
      vsc_error(diags, NULL, "agent-timeout",
                "is qemu-ga running in the guest?  An agent that is busy (fsfreeze, fstrim) "
                "stays silent; raise --timeout for slow commands",
                "the guest agent of domain '%s' did not answer '%s' within %d s: %s",
                a->dom->name, opts->command, seconds, msg);
    break;
  case VIR_ERR_ARGUMENT_UNSUPPORTED:
    vsc_error(diags, NULL, "agent-not-configured",
              "add the agent's channel with 'vschan add DOMAIN --template guest-agent' (the "
              "guest then needs qemu-ga running)",
              "domain '%s' has no guest agent channel: %s", a->dom->name, msg);
    break;
  case VIR_ERR_OPERATION_INVALID:
    vsc_error(diags, NULL, "libvirt-not-running", "start the domain first ('virsh start DOMAIN')",
              "cannot reach the guest agent of domain '%s': %s", a->dom->name, msg);
    break;
  default: {
    VSC_AUTOFREE(char) what =
      vsc_asprintf("cannot run '%s' on the guest agent of domain '%s'", opts->command, a->dom->name);
    vsc_virt_error(diags, NULL, what);
    return -1;
  }
  }
  virResetLastError();
  return -1;
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
