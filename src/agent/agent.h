/* A client of the QEMU guest agent (qemu-ga).
 *
 * The commands are written once against a transport: a function that sends
 * one command and returns the agent's reply.  Two transports exist: the
 * host end of the org.qemu.guest_agent.0 channel as a unix socket (socket.c,
 * vsc_agent_open_socket), and libvirt's virDomainQemuAgentCommand, which
 * src/virt plugs in through vsc_agent_new().
 *
 * Everything that comes back from the guest is untrusted: replies are
 * type-checked before use, and strings meant for a terminal go through
 * vsc_agent_printable().  Nothing here prints. */
#pragma once

#include "util/diag.h"
#include "util/mem.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The deadline of one command (connect, sync, write and read together). */
#define VSC_AGENT_DEFAULT_TIMEOUT_MS 5000
/* The largest reply accepted.  qemu-ga caps each exec output stream at
 * 16 MiB, which is about 22 MiB as base64; both streams and the JSON around
 * them fit in 64 MiB.  Larger data goes through file-get in chunks. */
#define VSC_AGENT_DEFAULT_MAX_REPLY ((size_t)64 << 20)
/* How long closing waits for the agent's side to close after ours: qemu-ga
 * 7.2 in unix-listen mode exits when the client leaves unread data. */
#define VSC_AGENT_DRAIN_MS 500
/* ...and how much it reads that was queued already, however late. */
#define VSC_AGENT_DRAIN_MAX_BYTES ((size_t)1 << 20)

/* Why a command got no reply, for callers that wait for the agent
 * (wait-agent): its port is not open, or it did not answer in time. */
typedef enum {
  VSC_AGENT_FAILED,
  VSC_AGENT_NOT_CONNECTED,
  VSC_AGENT_TIMED_OUT,
} vsc_agent_failure;

typedef struct {
  const char *command;  /* "guest-ping": for messages */
  int timeout_ms;       /* the deadline of this command; > 0 */
  /* The command sends no reply when it succeeds (guest-shutdown,
   * guest-suspend-*): silence until the deadline, or the connection
   * closing, counts as success. */
  bool no_reply;
  /* Where a transport that fails says why (VSC_AGENT_FAILED unless set). */
  vsc_agent_failure *failure;
} vsc_agent_call_opts;

/* A transport: send request ({"execute": ..., "arguments": ...}) and wait
 * for the reply.  Returns 0 with *reply set to the reply object
 * ({"return": ...} or {"error": ...}; the caller checks its shape), or, for
 * opts->no_reply, 0 with *reply NULL when no reply came.  Returns -1 with
 * the error recorded when no reply could be had (connection, timeout,
 * garbage). */
typedef int (*vsc_agent_send_fn)(void *opaque, json_t *request, const vsc_agent_call_opts *opts,
                                 json_t **reply, vsc_diags *diags);
typedef void (*vsc_agent_close_fn)(void *opaque);

typedef struct vsc_agent vsc_agent;

/* A client over any transport.  where names it in messages ("socket
 * '/run/x.sock'", "domain 'vm1'"); close (may be NULL) frees opaque. */
vsc_agent *vsc_agent_new(vsc_agent_send_fn send, vsc_agent_close_fn close, void *opaque,
                         const char *where);
void vsc_agent_free(vsc_agent *agent);
VSC_DEFINE_AUTOPTR(vsc_agent, vsc_agent_free)

/* Why the last command that failed got no reply. */
vsc_agent_failure vsc_agent_last_failure(const vsc_agent *agent);

/* The deadline of each command from now on (default 5 s). */
void vsc_agent_set_timeout(vsc_agent *agent, int timeout_ms);

/* The direct transport. */
typedef struct {
  const char *path;       /* the host end of the channel (a unix socket) */
  int timeout_ms;         /* 0: VSC_AGENT_DEFAULT_TIMEOUT_MS */
  size_t max_reply;       /* 0: VSC_AGENT_DEFAULT_MAX_REPLY */
  /* Where the per-socket lock files live; NULL: $VSCHAN_LOCK_DIR, else
   * /run/lock, else /tmp. */
  const char *lock_dir;
} vsc_agent_socket_opts;

/* Nothing is connected yet: the first command locks, connects and syncs
 * within its own deadline, so a dead agent costs one timeout, not two. */
vsc_agent *vsc_agent_open_socket(const vsc_agent_socket_opts *opts, vsc_diags *diags);

/* Run COMMAND with ARGS (an object, taken over; NULL for none) and return
 * its "return" value (a new reference).  An agent error is recorded with
 * its desc; a command the guest's policy disables gets rule
 * "agent-command-disabled". */
json_t *vsc_agent_call(vsc_agent *agent, const char *command, json_t *args, vsc_diags *diags);
/* The same, and the value must be of type TYPE. */
json_t *vsc_agent_call_typed(vsc_agent *agent, const char *command, json_t *args, json_type type,
                             vsc_diags *diags);
/* For commands that send no reply on success. */
int vsc_agent_call_no_reply(vsc_agent *agent, const char *command, json_t *args, vsc_diags *diags);
/* Whether the agent sends no reply when COMMAND succeeds. */
bool vsc_agent_command_has_no_reply(const char *command);

/* Any command as JSON text ({"execute": "guest-...", "arguments": {...}}).
 * Returns the "return" value; json_null() for a command without a reply
 * that got none. */
json_t *vsc_agent_raw(vsc_agent *agent, const char *text, vsc_diags *diags);

/* The simple commands.  Each returns the checked "return" value. */
int vsc_agent_ping(vsc_agent *agent, vsc_diags *diags);
json_t *vsc_agent_info(vsc_agent *agent, vsc_diags *diags);        /* object */
json_t *vsc_agent_osinfo(vsc_agent *agent, vsc_diags *diags);      /* object */
char *vsc_agent_hostname(vsc_agent *agent, vsc_diags *diags);
int vsc_agent_time(vsc_agent *agent, int64_t *ns, vsc_diags *diags);
json_t *vsc_agent_interfaces(vsc_agent *agent, vsc_diags *diags);  /* array */
json_t *vsc_agent_fsinfo(vsc_agent *agent, vsc_diags *diags);      /* array */
json_t *vsc_agent_users(vsc_agent *agent, vsc_diags *diags);       /* array */

typedef enum {
  VSC_AGENT_FSFREEZE_STATUS,
  VSC_AGENT_FSFREEZE_FREEZE,
  VSC_AGENT_FSFREEZE_THAW,
} vsc_agent_fsfreeze_op;
/* status: "thawed" or "frozen"; freeze/thaw: the number of file systems
 * frozen or thawed.  The value is the raw "return". */
json_t *vsc_agent_fsfreeze(vsc_agent *agent, vsc_agent_fsfreeze_op op, vsc_diags *diags);

typedef enum {
  VSC_AGENT_POWER_SHUTDOWN,
  VSC_AGENT_POWER_REBOOT,
} vsc_agent_power_op;
int vsc_agent_power(vsc_agent *agent, vsc_agent_power_op op, vsc_diags *diags);

/* The password is sent base64-encoded, as qemu-ga wants it; crypted says
 * it is already a crypt(3) hash. */
int vsc_agent_set_password(vsc_agent *agent, const char *user, const char *password, bool crypted,
                           vsc_diags *diags);

/* Is COMMAND known and enabled?  From the "return" of guest-info. */
bool vsc_agent_info_enabled(json_t *info, const char *command);

/* guest-exec and guest-exec-status. */
typedef struct {
  const char *const *argv;  /* argv[0] is the program's path in the guest */
  const char *const *env;   /* NULL, or "NAME=VALUE" strings, NULL-terminated */
  const void *input;        /* standard input for the command, or NULL */
  size_t input_len;
  int timeout_ms;           /* how long to wait for the command; 0: forever */
} vsc_agent_exec_opts;

typedef struct {
  int64_t pid;
  bool has_exitcode;
  int exitcode;
  bool has_signal;
  int signal;
  unsigned char *out;       /* decoded standard output; NUL-terminated */
  size_t out_len;
  bool out_truncated;       /* the agent cut it (16 MiB on qemu-ga) */
  unsigned char *err;
  size_t err_len;
  bool err_truncated;
  json_t *status;           /* the last guest-exec-status "return", with "pid" added */
} vsc_agent_exec_result;

/* Start the command and poll guest-exec-status with backoff until it
 * exits.  Returns 0 when it exited (its status is in result), -1 when it
 * could not be run or did not exit in time (the error says which; the
 * pid stays in result->pid). */
int vsc_agent_exec(vsc_agent *agent, const vsc_agent_exec_opts *opts,
                   vsc_agent_exec_result *result, vsc_diags *diags);
void vsc_agent_exec_result_clear(vsc_agent_exec_result *result);

/* Files, in chunks of this many bytes (about 1.4 MiB of base64 a reply). */
#define VSC_AGENT_FILE_CHUNK ((size_t)1 << 20)

/* A sink gets the bytes of a guest file in order; returns 0 or -1 with
 * the error recorded. */
typedef int (*vsc_agent_sink_fn)(void *opaque, const void *data, size_t n, vsc_diags *diags);
/* A source fills buf with up to n bytes; returns how many, 0 at the end,
 * -1 with the error recorded. */
typedef ssize_t (*vsc_agent_source_fn)(void *opaque, void *buf, size_t n, vsc_diags *diags);

/* Stop the file transfer under way after its current chunk, closing the
 * guest's handle (rule "agent-interrupted").  Async-signal-safe: for a
 * SIGINT/SIGTERM handler. */
void vsc_agent_interrupt(void);

/* Read GUEST_PATH from the guest into sink.  The guest's file handle is
 * closed on every path, vsc_agent_interrupt() included.  *total (may be NULL) gets the bytes read. */
int vsc_agent_file_read(vsc_agent *agent, const char *guest_path, vsc_agent_sink_fn sink,
                        void *opaque, uint64_t *total, vsc_diags *diags);
/* Write what source gives to GUEST_PATH (created or truncated). */
int vsc_agent_file_write(vsc_agent *agent, const char *guest_path, vsc_agent_source_fn source,
                         void *opaque, uint64_t *total, vsc_diags *diags);
/* The same between a guest file and a local one ("-": stdout or stdin).
 * A local file is written to a temporary file and renamed, so a failed
 * copy leaves no half file behind. */
int vsc_agent_file_get(vsc_agent *agent, const char *guest_path, const char *local_path,
                       uint64_t *total, vsc_diags *diags);
int vsc_agent_file_put(vsc_agent *agent, const char *local_path, const char *guest_path,
                       uint64_t *total, vsc_diags *diags);

/* A copy of text from the guest that is safe to print on a terminal:
 * control characters become \xNN, at most max bytes are kept. */
char *vsc_agent_printable(const char *text, size_t max);
