/* Shared inside src/guest only. */
#pragma once

#include "guest.h"

#include <libvirt/libvirt.h>
#include <stdatomic.h>

/* One byte stream to a device: a socket we hold ourselves, or a libvirt
 * stream whose readiness the event loop thread reports through a pipe. */
struct vsc_guest_channel {
  char *what;             /* for messages */
  int fd;                 /* a socket or a pty; -1 for a stream */
  bool is_socket;         /* fd is a socket (send/recv, half-close) */
  virStreamPtr stream;    /* NULL for a socket */
  int notify[2];          /* stream: the event loop writes a byte on events */
  bool has_callback;
  atomic_int events;      /* stream: VIR_STREAM_EVENT_* seen since the last look */
  int armed;              /* stream: the events last asked for */
};

/* Which stream events to be told about (the callback disarms itself, so
 * the event loop thread never spins on a stream the pump is not ready
 * for). */
void vsc_guest_stream_arm(vsc_guest_channel *ch, int events);
