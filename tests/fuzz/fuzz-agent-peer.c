/* The socket transport against a guest whose bytes and timing the fuzzer
 * scripts: one vsc_agent_raw() over a real unix socket, with the clock
 * replaced (vsc_clock_replace) so that the peer runs inside each reading of
 * the clock, in the same thread, deterministically.  Virtual time passes
 * only when vschan has read everything the peer wrote, that is when it
 * would wait; so no poll() ever waits in real time, and "written before
 * the deadline" means vschan could have read it in time.
 *
 * The script, one operation after another (byte % OP_COUNT, then its
 * arguments): junk, the reply to vschan's guest-sync-delimited, stale
 * replies, the command's reply, floods of one byte, an endless flood,
 * pauses, byte-by-byte trickles, a close.  When the script ends the peer
 * falls silent.
 *
 * Invariants:
 *  - the command ends, and reads the clock only a few times after its
 *    deadline: a peer that keeps sending (0xFF, stale replies, anything)
 *    cannot hold it;
 *  - a well-behaved script (anything before the sync reply, then only
 *    sentinels and blank lines until the reply) whose reply is written
 *    before the deadline gives exactly that reply; a script without a
 *    reply, or with it after the deadline, fails;
 *  - a failure is one error with an agent-* rule. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "agent/agent.h"
#include "util/clock.h"
#include "util/mem.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { TIMEOUT_MS = 1000, LATE_READINGS_MAX = 16, FLOOD_CHUNK = 4096 };

typedef enum {
  OP_JUNK,      /* 0..63 bytes of the input, as they are */
  OP_SYNC,      /* 0xFF and the reply to vschan's guest-sync-delimited */
  OP_STALE,     /* a reply to someone else: another sync id, an error, an old ping */
  OP_REPLY,     /* {"return": {"n": N}}: the command's reply, numbered */
  OP_FLOOD,     /* 1..256 KiB of one byte */
  OP_FOREVER,   /* one byte, 4 KiB per reading of the clock, 1 ms each, forever */
  OP_PAUSE,     /* 0..2040 ms of silence before what comes next */
  OP_TRICKLE,   /* what comes next, one byte per reading, 0..15 ms apart */
  OP_CLOSE,     /* the peer closes its side */
  OP_COUNT
} op_kind;

typedef struct {
  const uint8_t *script;
  size_t size, pos;
  int fd;
  int64_t now, deadline;
  int late;                 /* readings of the clock at or after the deadline */

  char request[512];        /* the start of what vschan sent: its sync request */
  size_t request_len;
  int64_t sync_id;          /* -1 until read */

  unsigned char *out;       /* being written */
  size_t out_len, out_pos;
  int trickle_ms;           /* -1: write at once */
  bool out_is_reply;        /* out is the reply the oracle expects */
  int forever;              /* -1, or the byte of the endless flood */
  bool closed;

  /* The oracle. */
  bool well_behaved;
  bool synced;              /* the sync reply was scripted */
  int replies;              /* replies scripted so far */
  int expected_n;           /* the first reply after the sync, -1 none */
  int64_t reply_done_at;    /* when its last byte was written, -1 not yet */
} peer;

static char socket_dir[] = "/tmp/vschan-fuzz-peer-XXXXXX";
static char socket_path[sizeof(socket_dir) + 16];
static int listen_fd = -1;

static void cleanup(void)
{
  if (listen_fd >= 0)
    close(listen_fd);
  unlink(socket_path);
  rmdir(socket_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_init();
  if (!mkdtemp(socket_dir))
    abort();
  snprintf(socket_path, sizeof(socket_path), "%s/qga.sock", socket_dir);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 4) < 0)
    abort();
  atexit(cleanup);
  return 0;
}

static uint8_t arg(peer *p)
{
  return p->pos < p->size ? p->script[p->pos++] : 0;
}

static void set_out(peer *p, const void *bytes, size_t n)
{
  free(p->out);
  p->out = vsc_malloc(n ? n : 1);
  memcpy(p->out, bytes, n);
  p->out_len = n;
  p->out_pos = 0;
  p->out_is_reply = false;
}

/* What vschan wrote: keep the start, find the sync id; notice its close. */
static void read_client(peer *p)
{
  char buf[4096];
  for (;;) {
    ssize_t r = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
      /* vschan closed: close too, as qemu-ga does, which ends its drain. */
      close(p->fd);
      p->fd = -1;
      p->closed = true;
      return;
    }
    if (r < 0)
      return;
    size_t room = sizeof(p->request) - 1 - p->request_len;
    size_t n = (size_t)r < room ? (size_t)r : room;
    memcpy(p->request + p->request_len, buf, n);
    p->request_len += n;
    p->request[p->request_len] = '\0';
    const char *id = strstr(p->request, "\"id\":");
    if (p->sync_id < 0 && id && strchr(id, '\n'))
      p->sync_id = strtoll(id + 5, NULL, 10);
  }
}

/* The next operation of the script that writes something, or the end. */
static void next_op(peer *p)
{
  while (!p->out && p->forever < 0 && !p->closed) {
    if (p->pos >= p->size) {
      /* Silence: only the deadline ends the wait. */
      if (p->now < p->deadline)
        p->now = p->deadline;
      return;
    }
    bool waiting_reply = p->synced && p->expected_n < 0;
    char text[128];
    int n;
    switch ((op_kind)(arg(p) % OP_COUNT)) {
    case OP_JUNK: {
      size_t len = arg(p) % 64;
      if (len > p->size - p->pos)
        len = p->size - p->pos;
      set_out(p, p->script + p->pos, len);
      p->pos += len;
      if (waiting_reply && len > 0)
        p->well_behaved = false;
      break;
    }
    case OP_SYNC:
      n = snprintf(text, sizeof(text), "\xff{\"return\": %" PRId64 "}\n", p->sync_id);
      set_out(p, text, (size_t)n);
      if (waiting_reply)
        p->well_behaved = false;  /* a second sync reply would be read as the command's */
      p->synced = true;
      break;
    case OP_STALE: {
      /* Another sync's reply, an error, an old ping's reply. */
      uint8_t form = arg(p);
      int64_t other = p->sync_id + 1 + form;
      if (form % 3 == 0)
        n = snprintf(text, sizeof(text), "{\"return\": %" PRId64 "}\n", other);
      else if (form % 3 == 1)
        n = snprintf(text, sizeof(text),
                     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"stale %" PRId64 "\"}}\n", other);
      else
        n = snprintf(text, sizeof(text), "\xff{\"return\": {}}\n");
      set_out(p, text, (size_t)n);
      if (waiting_reply)
        p->well_behaved = false;
      break;
    }
    case OP_REPLY:
      n = snprintf(text, sizeof(text), "{\"return\": {\"n\": %d}}\n", p->replies);
      set_out(p, text, (size_t)n);
      if (waiting_reply) {
        p->expected_n = p->replies;
        p->out_is_reply = true;
      }
      p->replies++;
      break;
    case OP_FLOOD: {
      uint8_t byte = arg(p);
      size_t len = ((size_t)arg(p) + 1) * 1024;
      free(p->out);
      p->out = vsc_malloc(len);
      memset(p->out, byte, len);
      p->out_len = len;
      p->out_pos = 0;
      p->out_is_reply = false;
      if (waiting_reply && byte != 0xFF && byte != '\n')
        p->well_behaved = false;
      break;
    }
    case OP_FOREVER:
      p->forever = arg(p);
      if (waiting_reply && p->forever != 0xFF && p->forever != '\n')
        p->well_behaved = false;
      break;
    case OP_PAUSE:
      p->now += (int64_t)arg(p) * 8;
      break;
    case OP_TRICKLE:
      p->trickle_ms = arg(p) % 16;
      break;
    case OP_CLOSE:
      shutdown(p->fd, SHUT_WR);
      p->closed = true;
      break;
    case OP_COUNT:
      break;
    }
  }
}

/* Bytes written (an endless flood counts as written). */
static size_t write_some(peer *p)
{
  size_t written = 0;
  if (p->out) {
    size_t n = p->out_len - p->out_pos;
    if (n > 0) {
      ssize_t w = send(p->fd, p->out + p->out_pos, p->trickle_ms >= 0 ? 1 : n, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w > 0) {
        p->out_pos += (size_t)w;
        written = (size_t)w;
      }
      if (p->trickle_ms > 0)
        p->now += p->trickle_ms;
    }
    if (p->out_pos == p->out_len) {
      if (p->out_is_reply)
        p->reply_done_at = p->now;
      free(p->out);
      p->out = NULL;
      p->trickle_ms = -1;
    }
  } else if (p->forever >= 0) {
    unsigned char chunk[FLOOD_CHUNK];
    memset(chunk, p->forever, sizeof(chunk));
    (void)send(p->fd, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);
    p->now += 1;
    written = sizeof(chunk);
  }
  return written;
}

/* The peer's turn: every reading of the clock. */
static void run_peer(peer *p)
{
  if (p->fd < 0 && !p->closed)
    p->fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (p->fd < 0)
    return;
  read_client(p);
  /* Nothing happens before vschan's sync request, and time stands still
   * while it has unread bytes: it is reading, not waiting. */
  if (p->fd < 0 || p->closed || p->sync_id < 0)
    return;
  int unread = 0;
  if (ioctl(p->fd, SIOCOUTQ, &unread) == 0 && unread > 0)
    return;
  /* Until something is written or the wait ends: an operation that
   * writes nothing (empty junk) must not leave vschan in a real poll(). */
  do
    next_op(p);
  while (!p->closed && p->now < p->deadline && write_some(p) == 0);
}

static int64_t peer_now(void *opaque)
{
  peer *p = opaque;
  run_peer(p);
  if (p->deadline && p->now >= p->deadline) {
    p->late++;
    FUZZ_CHECK(p->late <= LATE_READINGS_MAX,
               "vschan read the clock %d times after its deadline: the peer holds it", p->late);
  }
  return p->now;
}

static void peer_sleep(void *opaque, int64_t ms)
{
  peer *p = opaque;
  p->now += ms;
  run_peer(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  peer p = {
    .script = data, .size = size, .fd = -1, .now = 1000000,
    .sync_id = -1, .trickle_ms = -1, .forever = -1, .well_behaved = true,
    .expected_n = -1, .reply_done_at = -1,
  };
  /* The first byte sets the reply cap, so oversized lines are reachable. */
  size_t max_reply = 64 + (size_t)arg(&p) * 64;
  vsc_clock_source clock = { .now_ms = peer_now, .sleep_ms = peer_sleep, .opaque = &p };
  vsc_agent_socket_opts opts = {
    .path = socket_path, .timeout_ms = TIMEOUT_MS, .max_reply = max_reply, .lock_dir = socket_dir,
  };
  vsc_diags d = { 0 };

  vsc_clock_replace(&clock);
  p.deadline = p.now + TIMEOUT_MS;  /* socket_send reads the clock once before anything moves */
  vsc_agent *agent = vsc_agent_open_socket(&opts, &d);
  FUZZ_CHECK(agent != NULL, "cannot open the agent");
  json_t *value = vsc_agent_raw(agent, "{\"execute\": \"guest-ping\"}", &d);
  int late_in_call = p.late;
  vsc_agent_free(agent);  /* drains and closes: the clock stays bounded there too */
  vsc_clock_replace(NULL);

  /* What a well-behaved script must give; anything else may go either way
   * (junk after the sync can be read as the reply: nothing tells them apart). */
  bool in_time = p.reply_done_at >= 0 && p.reply_done_at < p.deadline;
  bool expect_reply = p.well_behaved && in_time;
  bool expect_failure = p.well_behaved && !in_time;
  if (getenv("FUZZ_PRINT")) {
    VSC_AUTOFREE(char) text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (value)
      printf("reply %s", text);
    else
      printf("error %s: %s", d.n ? d.items[0].rule : "none", d.n ? d.items[0].message : "");
    printf(" (script %s, reply %d written at %+" PRId64 " ms of the deadline, %d late readings)\n",
           p.well_behaved ? "well-behaved" : "not well-behaved", p.expected_n,
           p.reply_done_at < 0 ? 0 : p.reply_done_at - p.deadline, late_in_call);
  }
  FUZZ_CHECK(late_in_call <= LATE_READINGS_MAX, "%d late readings", late_in_call);
  if (value) {
    FUZZ_CHECK(d.n == 0, "a reply and %zu diagnostics", d.n);
    FUZZ_CHECK(!expect_failure, "a reply, though none was written before the deadline");
    if (expect_reply) {
      json_t *n = json_object_get(value, "n");
      FUZZ_CHECK(json_is_integer(n) && json_integer_value(n) == p.expected_n,
                 "got another reply than reply %d, the first after the sync", p.expected_n);
    }
  } else {
    FUZZ_CHECK(!expect_reply, "no reply, though reply %d was written %" PRId64 " ms before the deadline: %s",
               p.expected_n, p.deadline - p.reply_done_at, d.n ? d.items[0].message : "no error");
    FUZZ_CHECK(d.n == 1, "a failure with %zu diagnostics", d.n);
    FUZZ_CHECK(strncmp(d.items[0].rule, "agent-", 6) == 0, "a failure with rule '%s'", d.items[0].rule);
  }
  json_decref(value);
  vsc_diags_clear(&d);
  free(p.out);
  if (p.fd >= 0)
    close(p.fd);
  /* Connections vschan opened and the peer never took (none expected). */
  for (int fd; (fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
    close(fd);
  return 0;
}
