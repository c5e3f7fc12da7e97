/* The direct transport: the host end of the org.qemu.guest_agent.0 channel.
 *
 * The socket leads to QEMU's chardev, not to the agent, and the two live
 * apart: late replies of an earlier client, requests queued while the agent
 * was down, and half-written JSON all wait in the stream.  So every
 * connection (and every command after a timeout, which drops the
 * connection) starts with 0xFF + guest-sync-delimited and a random id;
 * everything up to the 0xFF sentinel and every reply with another id is
 * thrown away.  An unresponsive agent gives silence, not EOF, so one
 * deadline bounds each command from the lock to the last byte read. */
#define _GNU_SOURCE
#include "agent.h"

#include "util/clock.h"
#include "reply.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
  char *path;
  char *where;
  char *lock_dir;
  size_t max_reply;
  int fd;
  int lock_fd;
  char *lock_path;      /* while lock_fd is held: removed when released */
  bool synced;
  int64_t deadline;     /* of the command under way or last run; 0 before */
  vsc_agent_stream stream;
} agent_socket;

static int remaining_ms(int64_t deadline)
{
  int64_t left = deadline - vsc_now_ms();
  return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* 1 when fd is ready, 0 at the deadline, -1 on error (errno set). */
static int wait_fd(int fd, short events, int64_t deadline)
{
  for (;;) {
    struct pollfd p = { .fd = fd, .events = events };
    int r = poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return r;
    return 1;
  }
}

/* Random, positive and below 2^53: qemu-ga takes an int64, jansson and
 * JSON clients in other languages stay exact below 2^53. */
static int64_t random_id(void)
{
  uint64_t v = 0;
  if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
    v = (uint64_t)vsc_now_ms() ^ ((uint64_t)getpid() << 32);
  v &= ((uint64_t)1 << 53) - 1;
  return v ? (int64_t)v : 1;
}

static bool libvirt_owned(const char *path)
{
  return strncmp(path, "/var/lib/libvirt/", 17) == 0 || strncmp(path, "/run/libvirt/", 13) == 0;
}

static void timeout_error(agent_socket *s, const char *what, int timeout_ms, vsc_diags *diags)
{
  const char *hint = libvirt_owned(s->path)
    ? "libvirt holds the one connection this socket takes: use 'vschan agent DOMAIN ...' "
      "through libvirt instead"
    : "is qemu-ga running in the guest?  An agent that is down, or busy with a long "
      "fsfreeze or fstrim, stays silent; raise --timeout for slow commands";
  vsc_error_peer(diags, NULL, "agent-timeout", hint, "%s did not %s within %d.%03d s", s->where, what,
                 timeout_ms / 1000, timeout_ms % 1000);
}

static const char *lock_dir(agent_socket *s)
{
  const char *env = getenv("VSCHAN_LOCK_DIR");
  if (s->lock_dir)
    return s->lock_dir;
  if (env && *env)
    return env;
  return access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
}

/* One lock file per socket (by device and inode, so two paths to the same
 * socket share it): two vschan processes on one socket would read each
 * other's replies.  The holder removes the file when it lets go, so lock
 * files do not pile up; a waiter that then gets the lock on the removed
 * file sees that the path no longer names it and starts again. */
static int take_lock(agent_socket *s, const struct stat *st, int64_t deadline, int timeout_ms,
                     vsc_diags *diags)
{
  VSC_AUTOFREE(char) path = vsc_asprintf("%s/vschan-agent-%jx-%jx.lock", lock_dir(s),
                                         (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
  int fd;

again:
  /* Open before create: in a sticky directory (protected_regular) root may
   * not O_CREAT a file another user made, but may open it. */
  for (;;) {
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 || errno != ENOENT)
      break;
    fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0 || errno != EEXIST)
      break;
  }
  if (fd < 0) {
    vsc_error_io(diags, NULL, "agent-lock", "set VSCHAN_LOCK_DIR to a writable directory",
                 "cannot open the lock file '%s' for %s: %s", path, s->where, strerror(errno));
    return -1;
  }
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      break;
    if (errno == EINTR)
      continue;
    if (errno != EWOULDBLOCK) {
      vsc_error_io(diags, NULL, "agent-lock", NULL, "cannot lock '%s': %s", path, strerror(errno));
      close(fd);
      return -1;
    }
    int left = remaining_ms(deadline);
    if (left == 0) {
      vsc_error_peer(diags, NULL, "agent-busy",
                     "wait until the other command finishes, or raise --timeout",
                     "another vschan process is using %s (lock file '%s' held for %d.%03d s)",
                     s->where, path, timeout_ms / 1000, timeout_ms % 1000);
      close(fd);
      return -1;
    }
    vsc_sleep_ms(left < 20 ? left : 20);
  }
  struct stat held, named;
  if (fstat(fd, &held) < 0 || stat(path, &named) < 0 || held.st_dev != named.st_dev ||
      held.st_ino != named.st_ino) {
    close(fd);  /* the previous holder removed it: lock the current file */
    goto again;
  }
  s->lock_fd = fd;
  s->lock_path = vsc_steal(&path);
  return 0;
}

static void release_lock(agent_socket *s)
{
  if (s->lock_fd >= 0) {
    /* Remove before unlocking, so nobody can lock a file on its way out
     * without noticing.  Another user's file in a sticky directory stays. */
    unlink(s->lock_path);
    close(s->lock_fd);
  }
  s->lock_fd = -1;
  free(s->lock_path);
  s->lock_path = NULL;
}

static int open_connection(agent_socket *s, int64_t deadline, int timeout_ms, vsc_diags *diags)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  struct stat st;

  if (strlen(s->path) >= sizeof(sa.sun_path)) {
    vsc_error_peer(diags, NULL, "agent-connect", "use a shorter path, or a symbolic link to the socket",
                   "the socket path '%s' is longer than %zu bytes", s->path, sizeof(sa.sun_path) - 1);
    return -1;
  }
  if (stat(s->path, &st) < 0) {
    vsc_error_peer(diags, NULL, "agent-connect",
                   "give the host end of the guest's org.qemu.guest_agent.0 channel; is the domain running?",
                   "cannot reach %s: %s", s->where, strerror(errno));
    return -1;
  }
  if (!S_ISSOCK(st.st_mode)) {
    vsc_error_peer(diags, NULL, "agent-connect",
                   "give the host end of the guest's org.qemu.guest_agent.0 channel",
                   "'%s' is not a unix socket", s->path);
    return -1;
  }
  if (take_lock(s, &st, deadline, timeout_ms, diags) < 0)
    return -1;

  memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    vsc_error_peer(diags, NULL, "agent-connect", NULL, "cannot create a socket: %s", strerror(errno));
    release_lock(s);
    return -1;
  }
  for (;;) {
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
      break;
    if (errno == EAGAIN) {
      /* A full backlog: the listener is alive but slow.  Retry until the
       * deadline. */
      int left = remaining_ms(deadline);
      if (left == 0) {
        timeout_error(s, "accept the connection", timeout_ms, diags);
        goto fail;
      }
      vsc_sleep_ms(left < 10 ? left : 10);
      continue;
    }
    /* An interrupted connect goes on in the background, like EINPROGRESS. */
    if (errno == EINPROGRESS || errno == EINTR) {
      int err = 0;
      socklen_t len = sizeof(err);
      int w = wait_fd(fd, POLLOUT, deadline);
      if (w == 0) {
        timeout_error(s, "accept the connection", timeout_ms, diags);
        goto fail;
      }
      if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
      if (err == 0)
        break;
      errno = err;
    }
    vsc_error_peer(diags, NULL, "agent-connect",
                   errno == ECONNREFUSED ? "nothing listens on it: is the domain running?" : NULL,
                   "cannot connect to %s: %s", s->where, strerror(errno));
    goto fail;
  }
  s->fd = fd;
  s->synced = false;
  vsc_agent_stream_reset(&s->stream);
  return 0;

fail:
  close(fd);
  release_lock(s);
  return -1;
}

/* Close our side, read what is left until the agent closes too, then
 * close: qemu-ga 7.2 exits when a client leaves unread data behind.  The
 * wait is bounded by VSC_AGENT_DRAIN_MS and by the deadline of the last
 * command, which --timeout promises to cover; what is queued already is
 * read in any case, without waiting, up to VSC_AGENT_DRAIN_MAX_BYTES. */
static void drop_connection(agent_socket *s)
{
  if (s->fd >= 0) {
    char buf[4096];
    int64_t deadline = vsc_now_ms() + VSC_AGENT_DRAIN_MS;
    if (s->deadline && s->deadline < deadline)
      deadline = s->deadline;
    /* What is queued: read without waiting, but not forever (a flood). */
    for (size_t got = 0; got < VSC_AGENT_DRAIN_MAX_BYTES;) {
      ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (r <= 0)
        break;
      got += (size_t)r;
    }
    shutdown(s->fd, SHUT_WR);
    while (remaining_ms(deadline) > 0 && wait_fd(s->fd, POLLIN, deadline) > 0) {
      ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
        break;
    }
    close(s->fd);
  }
  s->fd = -1;
  s->synced = false;
  vsc_agent_stream_reset(&s->stream);
  release_lock(s);
}

static int write_all(agent_socket *s, const char *data, size_t len, const char *command,
                     int64_t deadline, int timeout_ms, vsc_diags *diags)
{
  while (len > 0) {
    ssize_t w = send(s->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      data += w;
      len -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN) {
      /* The guest does not read: QEMU stops draining the socket. */
      int r = wait_fd(s->fd, POLLOUT, deadline);
      if (r == 0) {
        VSC_AUTOFREE(char) what = vsc_asprintf("take '%s'", command);
        timeout_error(s, what, timeout_ms, diags);
        return -1;
      }
      if (r > 0)
        continue;
    }
    if (errno == EPIPE || errno == ECONNRESET) {
      vsc_error_peer(diags, NULL, "agent-closed",
                     "the domain or the agent may be shutting down; check it and retry",
                     "%s closed the connection before taking '%s'", s->where, command);
      return -1;
    }
    vsc_error_peer(diags, NULL, "agent-io", "retry; if it keeps failing, check the domain",
                   "cannot send '%s' to %s: %s", command, s->where, strerror(errno));
    return -1;
  }
  return 0;
}

typedef enum { FILL_OK, FILL_EOF, FILL_TIMEOUT, FILL_ERROR } fill_result;

/* Read once what the agent has sent, waiting until the deadline.  The
 * clock is asked first: a peer that keeps the socket full (a flood of
 * 0xFF, stale replies) makes every poll return at once, so poll alone
 * would never see the deadline pass. */
static fill_result fill(agent_socket *s, int64_t deadline)
{
  char buf[65536];
  for (;;) {
    if (remaining_ms(deadline) == 0)
      return FILL_TIMEOUT;
    int w = wait_fd(s->fd, POLLIN, deadline);
    if (w == 0)
      return FILL_TIMEOUT;
    if (w < 0)
      return FILL_ERROR;
    ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r > 0) {
      vsc_agent_stream_feed(&s->stream, buf, (size_t)r);
      return FILL_OK;
    }
    /* A reset is the agent going away while our request was unread. */
    if (r == 0 || errno == ECONNRESET)
      return FILL_EOF;
    if (errno != EAGAIN && errno != EINTR)
      return FILL_ERROR;
  }
}

static int sync_agent(agent_socket *s, int64_t deadline, int timeout_ms, vsc_diags *diags)
{
  int64_t id = random_id();
  VSC_AUTOFREE(char) request = vsc_asprintf(
    "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":%" PRId64 "}}\n", id);
  const char *line;
  size_t len;

  /* Our 0xFF flushes any half request a previous client left in the
   * agent's parser; qemu-ga answers it with a parse error, which the
   * sentinel of our own reply lets us skip. */
  vsc_agent_stream_reset(&s->stream);
  s->stream.skip_to_sentinel = true;
  if (write_all(s, request, strlen(request), "guest-sync-delimited", deadline, timeout_ms, diags) < 0)
    return -1;

  for (;;) {
    switch (vsc_agent_stream_next(&s->stream, &line, &len)) {
    case VSC_AGENT_TOKEN_SENTINEL:
      continue;
    case VSC_AGENT_TOKEN_OVERSIZE:
      s->stream.skip_to_sentinel = true;
      continue;
    case VSC_AGENT_TOKEN_LINE: {
      vsc_agent_reply reply;
      vsc_diags ignored = { 0 };
      bool ours = vsc_agent_reply_parse(line, len, &reply, &ignored) == 0 &&
                  reply.kind == VSC_AGENT_REPLY_RETURN && json_is_integer(reply.value) &&
                  json_integer_value(reply.value) == id;
      vsc_agent_reply_clear(&reply);
      vsc_diags_clear(&ignored);
      if (ours) {
        s->synced = true;
        return 0;
      }
      /* A stale reply, an old sync id, garbage: our reply comes after a
       * sentinel of its own. */
      s->stream.skip_to_sentinel = true;
      continue;
    }
    case VSC_AGENT_TOKEN_NEED_MORE:
      break;
    }
    switch (fill(s, deadline)) {
    case FILL_OK:
      continue;
    case FILL_TIMEOUT:
      timeout_error(s, "answer guest-sync-delimited", timeout_ms, diags);
      return -1;
    case FILL_EOF:
      vsc_error_peer(diags, NULL, "agent-closed",
                     "the domain or the agent may be shutting down; check it and retry",
                     "%s closed the connection before answering guest-sync-delimited", s->where);
      return -1;
    case FILL_ERROR:
      vsc_error_peer(diags, NULL, "agent-io", NULL, "cannot read from %s: %s", s->where, strerror(errno));
      return -1;
    }
  }
}

static bool blank(const char *line, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t')
      return false;
  return true;
}

static int read_reply(agent_socket *s, const vsc_agent_call_opts *opts, int64_t deadline,
                      json_t **reply, vsc_diags *diags)
{
  const char *line;
  size_t len;

  for (;;) {
    switch (vsc_agent_stream_next(&s->stream, &line, &len)) {
    case VSC_AGENT_TOKEN_SENTINEL:
      /* Someone else's sync: it reset the line, not our request. */
      continue;
    case VSC_AGENT_TOKEN_OVERSIZE:
      vsc_error_peer(diags, NULL, "agent-reply-too-large",
                     "raise --max-reply, or move big data with file-get instead",
                     "the reply of %s to '%s' is larger than %zu bytes", s->where, opts->command,
                     s->max_reply);
      return -1;
    case VSC_AGENT_TOKEN_LINE: {
      vsc_agent_reply parsed;
      if (blank(line, len))
        continue;
      if (vsc_agent_reply_parse(line, len, &parsed, diags) < 0)
        return -1;
      *reply = json_incref(parsed.object);
      vsc_agent_reply_clear(&parsed);
      return 0;
    }
    case VSC_AGENT_TOKEN_NEED_MORE:
      break;
    }
    switch (fill(s, deadline)) {
    case FILL_OK:
      continue;
    case FILL_TIMEOUT: {
      if (opts->no_reply)
        return 0;
      VSC_AUTOFREE(char) what = vsc_asprintf("answer '%s'", opts->command);
      timeout_error(s, what, opts->timeout_ms, diags);
      return -1;
    }
    case FILL_EOF:
      if (opts->no_reply && vsc_agent_stream_pending(&s->stream) == 0)
        return 0;
      if (vsc_agent_stream_pending(&s->stream) > 0)
        vsc_error_peer(diags, NULL, "agent-closed",
                       "the domain or the agent may have stopped; check it and retry",
                       "%s closed the connection in the middle of the reply to '%s' (%zu bytes received)",
                       s->where, opts->command, vsc_agent_stream_pending(&s->stream));
      else
        vsc_error_peer(diags, NULL, "agent-closed",
                       "the domain or the agent may have stopped; check it and retry",
                       "%s closed the connection without answering '%s'", s->where, opts->command);
      return -1;
    case FILL_ERROR:
      vsc_error_peer(diags, NULL, "agent-io", NULL, "cannot read from %s: %s", s->where, strerror(errno));
      return -1;
    }
  }
}

static int exchange(agent_socket *s, json_t *request, const vsc_agent_call_opts *opts,
                    int64_t deadline, json_t **reply, vsc_diags *diags)
{
  if (!s->synced && sync_agent(s, deadline, opts->timeout_ms, diags) < 0)
    return -1;
  VSC_AUTOFREE(char) text = json_dumps(request, JSON_COMPACT);
  VSC_AUTOFREE(char) line = vsc_asprintf("%s\n", text ? text : "{}");
  if (write_all(s, line, strlen(line), opts->command, deadline, opts->timeout_ms, diags) < 0)
    return -1;
  return read_reply(s, opts, deadline, reply, diags);
}

static int socket_send(void *opaque, json_t *request, const vsc_agent_call_opts *opts,
                       json_t **reply, vsc_diags *diags)
{
  agent_socket *s = opaque;
  vsc_agent_call_opts o = *opts;

  if (o.timeout_ms <= 0)
    o.timeout_ms = VSC_AGENT_DEFAULT_TIMEOUT_MS;
  int64_t deadline = vsc_now_ms() + o.timeout_ms;
  s->deadline = deadline;
  *reply = NULL;
  if (s->fd < 0 && open_connection(s, deadline, o.timeout_ms, diags) < 0)
    return -1;
  if (exchange(s, request, &o, deadline, reply, diags) < 0) {
    /* After a timeout or garbage the stream holds who knows what: the
     * next command starts on a fresh connection, synced anew. */
    drop_connection(s);
    return -1;
  }
  if (!*reply)
    drop_connection(s);  /* a silent command: its late reply must not be read as another's */
  return 0;
}

static void socket_close(void *opaque)
{
  agent_socket *s = opaque;
  drop_connection(s);
  vsc_agent_stream_free(&s->stream);
  free(s->path);
  free(s->where);
  free(s->lock_dir);
  free(s);
}

vsc_agent *vsc_agent_open_socket(const vsc_agent_socket_opts *opts, vsc_diags *diags)
{
  if (!opts->path || !*opts->path) {
    vsc_error_peer(diags, NULL, "agent-connect", "give the socket with --socket PATH",
                   "no agent socket given");
    return NULL;
  }
  agent_socket *s = vsc_calloc(1, sizeof(*s));
  s->path = vsc_strdup(opts->path);
  s->where = vsc_asprintf("the guest agent at '%s'", opts->path);
  s->lock_dir = vsc_strdup(opts->lock_dir);
  s->max_reply = opts->max_reply ? opts->max_reply : VSC_AGENT_DEFAULT_MAX_REPLY;
  s->fd = -1;
  s->lock_fd = -1;
  vsc_agent_stream_init(&s->stream, s->max_reply);

  vsc_agent *agent = vsc_agent_new(socket_send, socket_close, s, s->where);
  vsc_agent_set_timeout(agent, opts->timeout_ms);
  return agent;
}
