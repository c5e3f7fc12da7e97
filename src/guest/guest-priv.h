/* Shared inside src/guest only. */
#pragma once

#include "guest.h"

#include <libvirt/libvirt.h>

/* One byte stream to a device: a socket we hold ourselves, or a libvirt
 * stream whose readiness the event loop thread reports through a pipe. */
struct vsc_guest_channel {
  char *what;             /* for messages */
  int fd;                 /* a socket or a pty; -1 for a stream */
  bool is_socket;         /* fd is a socket (send/recv, half-close) */
  virStreamPtr stream;    /* NULL for a socket */
  int notify[2];          /* stream: the event loop writes a byte on events */
  bool has_callback;
};

/* Which stream events to be told about (the callback disarms itself, so
 * the event loop thread never spins on a stream the pump is not ready
 * for). */
void vsc_guest_stream_arm(vsc_guest_channel *ch, int events);

typedef enum {
  VSC_GUEST_CHANNEL_NONE,
  VSC_GUEST_CHANNEL_CONNECTED,     /* the guest has the port open */
  VSC_GUEST_CHANNEL_DISCONNECTED,
} vsc_guest_channel_state;

/* The agent channel of the live definition: whether it is there, usable
 * by libvirt, and connected.  -1 with the error when it can never work
 * (rules guest-no-agent-channel, guest-agent-channel-type). */
int vsc_guest_agent_channel_state(vsc_virt_domain *d, vsc_guest_channel_state *state,
                                  vsc_diags *diags);
