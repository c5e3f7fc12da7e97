/* Talking to a running guest through libvirt: the guest agent over
 * virDomainQemuAgentCommand, waiting until the agent answers, and byte
 * streams to a channel, console or serial port (libvirt streams, or the
 * host end of a unix socket directly).
 *
 * Nothing here prints.  Errors go to vsc_diags with their class: failures
 * of libvirt, QEMU or the guest are VSC_CLASS_PEER (exit code 3), refusals
 * before anything was tried VSC_CLASS_INVALID (exit code 1), our own
 * input and output VSC_CLASS_IO (exit code 2). */
#pragma once

#include "agent/agent.h"
#include "util/diag.h"
#include "virt/virt.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The virtio port name qemu-ga opens, and the one libvirt looks for. */
#define VSC_GUEST_AGENT_CHANNEL "org.qemu.guest_agent.0"

/* ---- the agent through libvirt (agent.c) ---- */

/* A client of the guest agent of DOMAIN through libvirt
 * (virDomainQemuAgentCommand), for the commands of src/agent.  Nothing is
 * opened yet: the first command connects to uri (NULL: libvirt's default)
 * and looks the domain up, so every failure is reported by a command.
 * libvirt takes whole seconds: the deadline is rounded up, and libvirt's
 * own guest-sync before each command may add up to 5 s when the agent is
 * connected but silent. */
vsc_agent *vsc_guest_agent_open(const char *uri, const char *domain, int timeout_ms);

/* The same over a domain already looked up (d must outlive the agent). */
vsc_agent *vsc_guest_agent_for_domain(vsc_virt_domain *d, int timeout_ms);

/* ---- waiting for the agent (wait.c) ---- */

typedef enum {
  VSC_GUEST_WAIT_STATE,       /* the live XML said state='connected' */
  VSC_GUEST_WAIT_EVENT,       /* an agent-lifecycle 'connected' event came */
  VSC_GUEST_WAIT_PING,        /* a ping answered before either */
} vsc_guest_wait_how;

typedef struct {
  vsc_guest_wait_how how;
  double connected_after;     /* seconds until the guest opened the port */
  double answered_after;      /* seconds until guest-ping answered */
  unsigned int pings;         /* guest-ping calls made */
} vsc_guest_wait_result;

/* Wait up to timeout seconds until the guest agent of d answers
 * guest-ping: the live XML first (state='connected' on the agent channel),
 * else libvirt's agent-lifecycle event, then guest-ping until it answers.
 * Refuses at once (rule guest-not-running / guest-no-agent-channel /
 * guest-agent-channel-type) when it can never succeed; rule
 * guest-timeout when the deadline passes. */
int vsc_guest_wait_agent(vsc_virt_domain *d, double timeout, vsc_guest_wait_result *result,
                         vsc_diags *diags);

/* ---- byte streams (channel.c, pump.c) ---- */

typedef struct vsc_guest_channel vsc_guest_channel;

/* The host end of a channel as a unix socket (QEMU listens on it). */
vsc_guest_channel *vsc_guest_channel_open_socket(const char *path, vsc_diags *diags);

typedef struct {
  /* Take the device over from another session (libvirt's
   * VIR_DOMAIN_CONSOLE_FORCE / VIR_DOMAIN_CHANNEL_FORCE). */
  bool force;
} vsc_guest_open_opts;

/* A device of a running domain, named as 'vschan remove' names it
 * (alias, virtio name, guestfwd address:port, serialN/consoleN/...):
 * through a libvirt stream for a channel on a unix backend
 * (virDomainOpenChannel) and a console, serial or parallel port on a pty
 * (virDomainOpenConsole); directly, on a local connection, for a
 * channel's pty and a console or serial port on a unix socket QEMU
 * listens on (libvirt opens neither).  d stays borrowed until the channel
 * is closed. */
vsc_guest_channel *vsc_guest_channel_open_domain(vsc_virt_domain *d, const char *ident,
                                                 const vsc_guest_open_opts *opts,
                                                 vsc_diags *diags);

/* What it is, for messages: "channel 'org.vschan.test.0' of domain 'vm1'",
 * "socket '/run/x.sock'". */
const char *vsc_guest_channel_describe(const vsc_guest_channel *ch);
void vsc_guest_channel_close(vsc_guest_channel *ch);
VSC_DEFINE_AUTOPTR(vsc_guest_channel, vsc_guest_channel_close)

/* Why a pump ended. */
typedef enum {
  VSC_GUEST_END_PEER_CLOSED,  /* the device closed (EOF, hang-up, unplug) */
  VSC_GUEST_END_DRAINED,      /* input ended and the device was quiet for drain_timeout */
  VSC_GUEST_END_ESCAPE,       /* the escape byte was read */
  VSC_GUEST_END_STOPPED,      /* stop_fd became readable (a signal) */
  VSC_GUEST_END_OUTPUT_CLOSED,/* the reader of our output went away (EPIPE) */
} vsc_guest_end;

typedef struct {
  int in_fd;                  /* read from here, send to the device (usually 0) */
  int out_fd;                 /* what the device sends goes here (usually 1) */
  int escape;                 /* a byte of in_fd that ends the session; -1: none */
  /* After in_fd ends: seconds the device may stay quiet before the pump
   * ends (a guest echo service never closes).  0: end once everything is
   * sent; < 0: wait until the device closes. */
  double drain_timeout;
  /* For a socket: shut down its sending side once in_fd has ended and all
   * was sent, for peers that answer at EOF.  A QEMU chardev takes it as a
   * disconnect and drops what the guest still sends. */
  bool half_close;
  int stop_fd;                /* readable: end now (a signal's self-pipe); -1: none */
} vsc_guest_pump_opts;

typedef struct {
  vsc_guest_end end;
  uint64_t sent;              /* bytes from in_fd delivered to the device */
  uint64_t received;          /* bytes read from the device */
  uint64_t undelivered;       /* bytes read from in_fd the device never took */
  bool input_left;            /* ...and in_fd (no terminal) had more */
  uint64_t unwritten;         /* bytes of the device not written: out_fd was closed */
} vsc_guest_pump_result;

/* Move bytes both ways until the session ends, in order and without loss:
 * what was read from in_fd before the end is sent (unless the device
 * closed), what the device sent is written out.  in_fd and out_fd may be
 * pipes, files or terminals; pipes are switched to non-blocking mode for
 * the duration.  Returns 0 (result->end says why), or -1 with the error
 * in diags, and nothing is lost silently: rule guest-io-local when
 * reading in_fd or writing out_fd failed, guest-output-closed when the
 * reader of out_fd went away with bytes of the device unwritten (exit 2);
 * guest-stalled when input waited and the device took none of it for
 * max(drain_timeout, 5) s, guest-input-lost when the device closed with
 * input read and not sent, or more waiting in in_fd (exit 3). */
int vsc_guest_pump(vsc_guest_channel *ch, const vsc_guest_pump_opts *opts,
                   vsc_guest_pump_result *result, vsc_diags *diags);
