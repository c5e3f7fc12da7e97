/* Files through guest-file-open/-read/-write/-close, in chunks.
 *
 * qemu-ga's file handles belong to the agent, not to the connection: a
 * handle we leave open stays open in the guest until the agent restarts.
 * So once a handle is open, every path closes it, even after a timeout
 * (the close then goes over a fresh, synced connection). */
#define _GNU_SOURCE
#include "agent.h"
#include "base64.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A guest that answers "0 bytes, not at the end" this many times in a row
 * is not making progress. */
#define MAX_EMPTY_CHUNKS 3

static volatile sig_atomic_t interrupted;

void vsc_agent_interrupt(void)
{
  interrupted = 1;
}

/* Checked between chunks, so the handle is closed before the process
 * goes (a handle left open stays open in the guest). */
static bool stop_requested(vsc_diags *diags)
{
  if (!interrupted)
    return false;
  vsc_error_peer(diags, NULL, "agent-interrupted", NULL,
                 "interrupted; the copy stopped and the guest's file handle was closed");
  return true;
}

static void bad_reply(vsc_diags *diags, const char *command, const char *what)
{
  vsc_error_peer(diags, NULL, "agent-bad-reply",
                 "the agent in the guest does not speak the qemu-ga protocol as expected",
                 "'%s' returned %s", command, what);
}

static int file_open(vsc_agent *agent, const char *path, const char *mode, int64_t *handle,
                     vsc_diags *diags)
{
  json_t *value = vsc_agent_call_typed(agent, "guest-file-open",
                                       json_pack("{s:s, s:s}", "path", path, "mode", mode),
                                       JSON_INTEGER, diags);
  if (!value)
    return -1;
  *handle = (int64_t)json_integer_value(value);
  json_decref(value);
  return 0;
}

/* Close the handle; rc is the result so far.  A failed close after a good
 * copy is a failure (the data may not be written); after a failed copy it
 * is reported too, so the user knows a handle may be left open. */
static int file_close(vsc_agent *agent, int64_t handle, int rc, vsc_diags *diags)
{
  json_t *value = vsc_agent_call(agent, "guest-file-close",
                                 json_pack("{s:I}", "handle", (json_int_t)handle), diags);
  if (!value)
    return -1;
  json_decref(value);
  return rc;
}

int vsc_agent_file_read(vsc_agent *agent, const char *guest_path, vsc_agent_sink_fn sink,
                        void *opaque, uint64_t *total, vsc_diags *diags)
{
  int64_t handle;
  uint64_t done = 0;
  int empty = 0;
  int rc = 0;

  if (total)
    *total = 0;
  if (file_open(agent, guest_path, "r", &handle, diags) < 0)
    return -1;
  for (;;) {
    if (stop_requested(diags)) {
      rc = -1;
      break;
    }
    json_auto_t *chunk = vsc_agent_call_typed(
      agent, "guest-file-read",
      json_pack("{s:I, s:I}", "handle", (json_int_t)handle, "count", (json_int_t)VSC_AGENT_FILE_CHUNK),
      JSON_OBJECT, diags);
    if (!chunk) {
      rc = -1;
      break;
    }
    json_t *b64 = json_object_get(chunk, "buf-b64");
    json_t *count = json_object_get(chunk, "count");
    size_t len = 0;
    VSC_AUTOFREE(unsigned char) data = NULL;
    if (!json_is_string(b64) || !json_is_integer(count)) {
      bad_reply(diags, "guest-file-read", "no \"buf-b64\" string or \"count\" integer");
      rc = -1;
      break;
    }
    data = vsc_base64_decode(json_string_value(b64), json_string_length(b64), &len);
    if (!data) {
      bad_reply(diags, "guest-file-read", "a \"buf-b64\" that is not base64");
      rc = -1;
      break;
    }
    if ((json_int_t)len != json_integer_value(count) || len > VSC_AGENT_FILE_CHUNK) {
      VSC_AUTOFREE(char) what = vsc_asprintf("%zu bytes with a \"count\" of %jd (asked for at most %zu)",
                                             len, (intmax_t)json_integer_value(count),
                                             VSC_AGENT_FILE_CHUNK);
      bad_reply(diags, "guest-file-read", what);
      rc = -1;
      break;
    }
    if (len > 0 && sink(opaque, data, len, diags) < 0) {
      rc = -1;
      break;
    }
    done += len;
    if (json_is_true(json_object_get(chunk, "eof")))
      break;
    if (len == 0 && ++empty >= MAX_EMPTY_CHUNKS) {
      bad_reply(diags, "guest-file-read", "no data and no end of file, again and again");
      rc = -1;
      break;
    }
    if (len > 0)
      empty = 0;
  }
  rc = file_close(agent, handle, rc, diags);
  if (total)
    *total = done;
  return rc;
}

static int write_chunk(vsc_agent *agent, int64_t handle, const unsigned char *data, size_t n,
                       vsc_diags *diags)
{
  int empty = 0;
  while (n > 0) {
    VSC_AUTOFREE(char) encoded = vsc_base64_encode(data, n);
    json_auto_t *value = vsc_agent_call_typed(
      agent, "guest-file-write",
      json_pack("{s:I, s:s}", "handle", (json_int_t)handle, "buf-b64", encoded), JSON_OBJECT,
      diags);
    if (!value)
      return -1;
    json_t *count = json_object_get(value, "count");
    if (!json_is_integer(count) || json_integer_value(count) < 0 ||
        (uint64_t)json_integer_value(count) > n) {
      bad_reply(diags, "guest-file-write", "a \"count\" that is missing or out of range");
      return -1;
    }
    size_t written = (size_t)json_integer_value(count);
    if (written == 0 && ++empty >= MAX_EMPTY_CHUNKS) {
      vsc_error_peer(diags, NULL, "agent-file", "is the guest's file system full?",
                     "the guest agent writes nothing more to the file");
      return -1;
    }
    data += written;
    n -= written;
  }
  return 0;
}

int vsc_agent_file_write(vsc_agent *agent, const char *guest_path, vsc_agent_source_fn source,
                         void *opaque, uint64_t *total, vsc_diags *diags)
{
  VSC_AUTOFREE(unsigned char) buf = vsc_malloc(VSC_AGENT_FILE_CHUNK);
  int64_t handle;
  uint64_t done = 0;
  int rc = 0;

  if (total)
    *total = 0;
  if (file_open(agent, guest_path, "w", &handle, diags) < 0)
    return -1;
  for (;;) {
    if (stop_requested(diags)) {
      rc = -1;
      break;
    }
    ssize_t n = source(opaque, buf, VSC_AGENT_FILE_CHUNK, diags);
    if (n < 0) {
      rc = -1;
      break;
    }
    if (n == 0)
      break;
    if (write_chunk(agent, handle, buf, (size_t)n, diags) < 0) {
      rc = -1;
      break;
    }
    done += (uint64_t)n;
  }
  rc = file_close(agent, handle, rc, diags);
  if (total)
    *total = done;
  return rc;
}

/* Local ends. */

typedef struct {
  int fd;
  const char *path;   /* for messages */
} local_file;

static int write_fd(void *opaque, const void *data, size_t n, vsc_diags *diags)
{
  local_file *f = opaque;
  const char *p = data;
  while (n > 0) {
    ssize_t w = write(f->fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      vsc_loc loc = { .file = f->path };
      vsc_error_io(diags, &loc, "agent-local-io", "check free space and permissions",
                   "cannot write '%s': %s", f->path, strerror(errno));
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Fill whole chunks, so a pipe's small reads do not become many small
 * guest writes. */
static ssize_t read_fd(void *opaque, void *buf, size_t n, vsc_diags *diags)
{
  local_file *f = opaque;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(f->fd, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      vsc_loc loc = { .file = f->path };
      vsc_error_io(diags, &loc, "agent-local-io", NULL, "cannot read '%s': %s", f->path,
                   strerror(errno));
      return -1;
    }
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

int vsc_agent_file_get(vsc_agent *agent, const char *guest_path, const char *local_path,
                       uint64_t *total, vsc_diags *diags)
{
  vsc_file_replace r;
  if (vsc_file_replace_begin(&r, local_path, "agent-local-io", diags) < 0)
    return -1;
  local_file out = { r.fd, r.fd == STDOUT_FILENO ? "standard output" : local_path };
  if (vsc_agent_file_read(agent, guest_path, write_fd, &out, total, diags) < 0) {
    vsc_file_replace_abort(&r);
    return -1;
  }
  return vsc_file_replace_commit(&r, "agent-local-io", diags);
}

int vsc_agent_file_put(vsc_agent *agent, const char *local_path, const char *guest_path,
                       uint64_t *total, vsc_diags *diags)
{
  vsc_loc loc = { .file = local_path };
  bool use_stdin = strcmp(local_path, "-") == 0;
  int fd = use_stdin ? STDIN_FILENO : open(local_path, O_RDONLY | O_CLOEXEC);
  struct stat st;

  if (fd < 0) {
    vsc_error_io(diags, &loc, "agent-local-io", errno == ENOENT ? "check the path" : NULL,
                 "cannot open '%s': %s", local_path, strerror(errno));
    return -1;
  }
  /* Refuse before the guest file is truncated. */
  if (!use_stdin && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    vsc_error_io(diags, &loc, "agent-local-io", "give a regular file", "'%s' is a directory",
                 local_path);
    close(fd);
    return -1;
  }
  local_file in = { fd, use_stdin ? "standard input" : local_path };
  int rc = vsc_agent_file_write(agent, guest_path, read_fd, &in, total, diags);
  if (!use_stdin)
    close(fd);
  return rc;
}
