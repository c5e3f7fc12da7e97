/* The two-way pump between the local side (in_fd, out_fd) and a device.
 *
 * One thread, one poll(): the device side is tried first (non-blocking
 * socket, or a non-blocking libvirt stream), and only what would block is
 * waited for.  A libvirt stream has no descriptor to poll; its callback
 * runs on the libvirt event loop thread and wakes this one through a pipe.
 * Each direction has its own buffer, written out strictly in the order it
 * was read, and nothing is read from a side whose buffer is full, so a
 * slow reader slows the writer instead of losing bytes. */
#define _GNU_SOURCE
#include "guest-priv.h"

#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/virterror.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Per direction.  libvirt moves at most 256 KiB per stream message. */
#define PUMP_BUF_SIZE ((size_t)256 << 10)

typedef struct {
  unsigned char *data;
  size_t off, len;      /* pending bytes are data[off..len) */
} pump_buf;

static size_t pending(const pump_buf *b)
{
  return b->len - b->off;
}

/* Room at the end, after moving the pending bytes to the front when that
 * makes enough room. */
static size_t room(pump_buf *b)
{
  if (b->off == b->len) {
    b->off = b->len = 0;
  } else if (b->off > 0 && PUMP_BUF_SIZE - b->len < PUMP_BUF_SIZE / 4) {
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
  }
  return PUMP_BUF_SIZE - b->len;
}

/* Pipes and sockets go non-blocking while the pump runs; terminals and
 * files stay as they are (a terminal's file description is shared with
 * the shell, and poll() says when they are ready anyway). */
typedef struct {
  int fd;
  int saved;
  bool changed;
} local_fd;

static void make_nonblocking(local_fd *l, int fd)
{
  struct stat st;
  l->fd = fd;
  l->changed = false;
  if (isatty(fd) || fstat(fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
    return;
  l->saved = fcntl(fd, F_GETFL);
  if (l->saved < 0 || (l->saved & O_NONBLOCK))
    return;
  if (fcntl(fd, F_SETFL, l->saved | O_NONBLOCK) == 0)
    l->changed = true;
}

static void restore_blocking(local_fd *l)
{
  if (l->changed)
    fcntl(l->fd, F_SETFL, l->saved);
}

typedef struct {
  vsc_guest_channel *ch;
  const vsc_guest_pump_opts *opts;
  vsc_guest_pump_result *result;
  vsc_diags *diags;
  pump_buf to_dev, to_out;
  bool in_open;          /* in_fd has not ended */
  bool escaped;          /* the escape byte was read */
  bool dev_open;         /* the device has not closed */
  bool half_closed;      /* no more writes to the device: --half-close shut it, or its peer closed */
  bool out_closed;
  double quiet_since;    /* the drain clock: input end, or the last byte received */
  double sent_since;     /* the stall clock: input end, or the last byte sent */
} pump;

static bool would_block(int e)
{
  return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

static void device_closed(pump *p, const char *why)
{
  if (!p->dev_open)
    return;
  p->dev_open = false;
  if (why)
    vsc_warning_peer(p->diags, NULL, "guest-stream-ended", NULL, "the stream of %s ended: %s",
                     p->ch->what, why);
}

static const char *libvirt_message(void)
{
  virErrorPtr err = virGetLastError();
  return err && err->message ? err->message : "unknown libvirt error";
}

/* Read from the device what fits.  Returns after would-block, EOF or a
 * full buffer. */
static void device_read(pump *p)
{
  while (p->dev_open) {
    size_t n = room(&p->to_out);
    if (n == 0)
      return;
    ssize_t got;
    if (p->ch->stream) {
      got = virStreamRecv(p->ch->stream, (char *)p->to_out.data + p->to_out.len, n);
      if (got == -2)
        return;
      if (got < 0) {
        device_closed(p, libvirt_message());
        virResetLastError();
        return;
      }
    } else {
      if (p->ch->is_socket)
        got = recv(p->ch->fd, p->to_out.data + p->to_out.len, n, 0);
      else
        got = read(p->ch->fd, p->to_out.data + p->to_out.len, n);
      if (got < 0 && would_block(errno))
        return;
      if (got < 0) {
        /* A peer that closes with our data unread resets the connection,
         * a pty whose other side is gone gives EIO: for us both are the
         * end of its stream. */
        device_closed(p, errno == ECONNRESET || errno == EIO ? NULL : strerror(errno));
        return;
      }
    }
    if (got == 0) {
      device_closed(p, NULL);
      return;
    }
    p->to_out.len += (size_t)got;
    p->result->received += (uint64_t)got;
    p->quiet_since = vsc_now();
  }
}

/* How long the input may take to show whether it had more, once the
 * device takes no more: a writer such as cat, between its read and its
 * write, leaves the pipe empty for a moment. */
#define INPUT_GRACE_MS 500

/* The device takes no more input: count what was read and not sent, and
 * whether the input (a pipe or file; a terminal ends with the session)
 * had more to give.  An input that is open but idle (a held FIFO) loses
 * nothing. */
static void count_undelivered(pump *p)
{
  p->result->undelivered += pending(&p->to_dev);
  if (p->in_open && !p->escaped && !isatty(p->opts->in_fd)) {
    struct pollfd in = { .fd = p->opts->in_fd, .events = POLLIN };
    if (poll(&in, 1, INPUT_GRACE_MS) > 0) {
      ssize_t got = read(p->opts->in_fd, p->to_dev.data, PUMP_BUF_SIZE);
      if (got > 0) {
        p->result->undelivered += (uint64_t)got;
        p->result->input_left = true;
      }
    }
  }
  p->to_dev.off = p->to_dev.len = 0;
  p->in_open = false;
}

/* The peer of a socket closed its end: it takes no more input, but what it
 * sent before may still wait in our receive queue and must reach the
 * output, so only the input side ends here; reading goes on to the EOF.
 * Input read but not delivered is counted (the error comes when the
 * session ends, after the output is written). */
static void device_refuses_input(pump *p)
{
  count_undelivered(p);
  p->half_closed = true;
  p->quiet_since = p->sent_since = vsc_now();
}

static void device_write(pump *p)
{
  while (p->dev_open && !p->half_closed && pending(&p->to_dev) > 0) {
    size_t n = pending(&p->to_dev);
    ssize_t put;
    if (p->ch->stream) {
      put = virStreamSend(p->ch->stream, (const char *)p->to_dev.data + p->to_dev.off, n);
      if (put == -2)
        return;
      if (put < 0) {
        device_closed(p, libvirt_message());
        virResetLastError();
        return;
      }
    } else {
      if (p->ch->is_socket)
        put = send(p->ch->fd, p->to_dev.data + p->to_dev.off, n, MSG_NOSIGNAL);
      else
        put = write(p->ch->fd, p->to_dev.data + p->to_dev.off, n);
      if (put < 0 && would_block(errno))
        return;
      if (put < 0 && p->ch->is_socket && (errno == EPIPE || errno == ECONNRESET)) {
        device_refuses_input(p);
        return;
      }
      if (put < 0) {
        device_closed(p, errno == EPIPE || errno == EIO ? NULL : strerror(errno));
        return;
      }
    }
    p->to_dev.off += (size_t)put;
    p->result->sent += (uint64_t)put;
    p->sent_since = vsc_now();
  }
}

static int out_write(pump *p)
{
  while (pending(&p->to_out) > 0 && !p->out_closed) {
    ssize_t put = write(p->opts->out_fd, p->to_out.data + p->to_out.off, pending(&p->to_out));
    if (put < 0 && would_block(errno))
      return 0;
    if (put < 0 && errno == EPIPE) {
      /* The reader went away (| head): what the device sent is lost. */
      p->out_closed = true;
      p->result->unwritten = pending(&p->to_out);
      return 0;
    }
    if (put < 0) {
      vsc_error_io(p->diags, NULL, "guest-io-local", NULL, "cannot write the output: %s",
                   strerror(errno));
      return -1;
    }
    p->to_out.off += (size_t)put;
  }
  return 0;
}

static int in_read(pump *p)
{
  size_t n = room(&p->to_dev);
  if (n == 0)
    return 0;
  ssize_t got = read(p->opts->in_fd, p->to_dev.data + p->to_dev.len, n);
  if (got < 0 && would_block(errno))
    return 0;
  if (got < 0) {
    vsc_error_io(p->diags, NULL, "guest-io-local", NULL, "cannot read the input: %s",
                 strerror(errno));
    return -1;
  }
  if (got == 0) {
    p->in_open = false;
    p->quiet_since = p->sent_since = vsc_now();
    return 0;
  }
  /* The stall clock runs while input waits for the device. */
  if (pending(&p->to_dev) == 0)
    p->sent_since = vsc_now();
  if (p->opts->escape >= 0) {
    unsigned char *hit = memchr(p->to_dev.data + p->to_dev.len, p->opts->escape, (size_t)got);
    if (hit) {
      got = hit - (p->to_dev.data + p->to_dev.len);
      p->in_open = false;
      p->escaped = true;
    }
  }
  p->to_dev.len += (size_t)got;
  return 0;
}

/* How long a device may take none of the input that waits for it (a guest
 * that does not read its port); never less than this. */
#define STALL_SECONDS 5.0

static double stall_limit(const pump *p)
{
  return p->opts->drain_timeout > STALL_SECONDS ? p->opts->drain_timeout : STALL_SECONDS;
}

/* When finished() may next change its mind by the clock alone; < 0 never. */
static double next_deadline(const pump *p)
{
  if (p->escaped || pending(&p->to_out) > 0)
    return -1;
  if (pending(&p->to_dev) > 0 && p->dev_open && !p->half_closed)
    return p->sent_since + stall_limit(p);
  if (p->in_open || p->opts->drain_timeout < 0)
    return -1;
  return p->quiet_since + p->opts->drain_timeout;
}

/* At the end, after the output is written: 1, or -1 when the peer of a
 * socket closed with input undelivered. */
static int input_lost(pump *p)
{
  if (p->result->undelivered == 0 && !p->result->input_left)
    return 1;
  vsc_error_peer(p->diags, NULL, "guest-input-lost",
                 "the other end stopped reading: check that it takes all it is sent",
                 "%s closed before the input ended: %ju bytes were sent, %ju read but not sent%s",
                 p->ch->what, (uintmax_t)p->result->sent, (uintmax_t)p->result->undelivered,
                 p->result->input_left ? ", and the rest of the input was not read" : "");
  return -1;
}

/* Whether the session is over (result->end says why); -1 when it ends
 * with input the device would not take, or output nobody read. */
static int finished(pump *p)
{
  if (p->out_closed) {
    p->result->end = VSC_GUEST_END_OUTPUT_CLOSED;
    vsc_error_io(p->diags, NULL, "guest-output-closed",
                 "read the whole output, or end the session from the guest's side",
                 "the output was closed after %ju bytes: %ju bytes from %s were not written",
                 (uintmax_t)(p->result->received - p->result->unwritten),
                 (uintmax_t)p->result->unwritten, p->ch->what);
    return -1;
  }
  if (p->escaped) {
    /* Someone at the keyboard wants out: what the device has not taken
     * of the last keys is not worth waiting for. */
    p->result->end = VSC_GUEST_END_ESCAPE;
    return 1;
  }
  if (pending(&p->to_out) > 0)
    return 0;   /* what the device sent is written out first */
  if (!p->dev_open) {
    p->result->end = VSC_GUEST_END_PEER_CLOSED;
    count_undelivered(p);
    return input_lost(p);
  }
  double deadline = next_deadline(p);
  if (deadline < 0 || vsc_now() < deadline)
    return 0;
  if (pending(&p->to_dev) > 0) {
    vsc_error_peer(p->diags, NULL, "guest-stalled",
                   "is a program in the guest reading the port?  A guest that does not read stops "
                   "the device from taking more",
                   "%s took no input for %.0f s: %zu bytes of the input were not delivered%s",
                   p->ch->what, stall_limit(p), pending(&p->to_dev),
                   p->in_open ? ", nor the rest of the input" : "");
    return -1;
  }
  p->result->end = VSC_GUEST_END_DRAINED;
  return input_lost(p);
}

static int run(pump *p)
{
  const vsc_guest_pump_opts *o = p->opts;
  vsc_guest_channel *ch = p->ch;

  for (;;) {
    device_read(p);
    if (out_write(p) < 0)
      return -1;
    device_write(p);
    if (!p->in_open && pending(&p->to_dev) == 0 && o->half_close && ch->is_socket &&
        !p->half_closed && p->dev_open) {
      shutdown(ch->fd, SHUT_WR);
      p->half_closed = true;
    }
    int done = finished(p);
    if (done != 0)
      return done > 0 ? 0 : -1;

    struct pollfd fds[4];
    int nfds = 0, in_i = -1, dev_i = -1, stop_i = -1;
    if (p->in_open && p->dev_open && room(&p->to_dev) > 0) {
      in_i = nfds;
      fds[nfds++] = (struct pollfd){ .fd = o->in_fd, .events = POLLIN };
    }
    if (pending(&p->to_out) > 0)
      fds[nfds++] = (struct pollfd){ .fd = o->out_fd, .events = POLLOUT };
    if (p->dev_open) {
      bool want_read = room(&p->to_out) > 0, want_write = pending(&p->to_dev) > 0;
      if (ch->stream) {
        vsc_guest_stream_arm(ch, (want_read ? VIR_STREAM_EVENT_READABLE : 0) |
                                 (want_write ? VIR_STREAM_EVENT_WRITABLE : 0));
        dev_i = nfds;
        fds[nfds++] = (struct pollfd){ .fd = ch->notify[0], .events = POLLIN };
      } else if (want_read || want_write) {
        dev_i = nfds;
        fds[nfds++] = (struct pollfd){
          .fd = ch->fd, .events = (short)((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0)),
        };
      }
    }
    if (o->stop_fd >= 0) {
      stop_i = nfds;
      fds[nfds++] = (struct pollfd){ .fd = o->stop_fd, .events = POLLIN };
    }

    int timeout_ms = -1;
    double deadline = next_deadline(p);
    if (deadline >= 0) {
      double left = deadline - vsc_now();
      timeout_ms = left <= 0 ? 0 : (int)(left * 1000.0) + 1;
    }
    if (poll(fds, (nfds_t)nfds, timeout_ms) < 0 && errno != EINTR) {
      vsc_error_io(p->diags, NULL, "guest-io-local", NULL, "cannot wait for input: %s",
                   strerror(errno));
      return -1;
    }
    if (stop_i >= 0 && fds[stop_i].revents) {
      p->result->end = VSC_GUEST_END_STOPPED;
      return 0;
    }
    if (ch->stream && dev_i >= 0 && fds[dev_i].revents) {
      char drain[64];
      while (read(ch->notify[0], drain, sizeof(drain)) > 0) {
      }
    }
    if (in_i >= 0 && fds[in_i].revents && in_read(p) < 0)
      return -1;
  }
}

int vsc_guest_pump(vsc_guest_channel *ch, const vsc_guest_pump_opts *opts,
                   vsc_guest_pump_result *result, vsc_diags *diags)
{
  pump p = {
    .ch = ch, .opts = opts, .result = result, .diags = diags,
    .in_open = true, .dev_open = true, .quiet_since = vsc_now(), .sent_since = vsc_now(),
  };
  local_fd in, out;

  memset(result, 0, sizeof(*result));
  p.to_dev.data = vsc_malloc(PUMP_BUF_SIZE);
  p.to_out.data = vsc_malloc(PUMP_BUF_SIZE);
  make_nonblocking(&in, opts->in_fd);
  make_nonblocking(&out, opts->out_fd);
  int rc = run(&p);
  /* In reverse: in_fd and out_fd may share one file description. */
  restore_blocking(&out);
  restore_blocking(&in);
  free(p.to_dev.data);
  free(p.to_out.data);
  return rc;
}
