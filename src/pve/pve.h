/* Proxmox VE (qemu-server) support: the quoting of the free-form "args:"
 * line, a byte-preserving model of /etc/pve/qemu-server/VMID.conf, the
 * merge of vschan's arguments into a user's "args:", and a locked, atomic
 * edit of the file.  Nothing here prints; errors go to the vsc_diags.
 *
 * Facts this code relies on (qemu-server 9.x, pve-common):
 *  - parse_vm_config splits the file on "\n"; "[PENDING]", "[special:NAME]"
 *    and "[snapname]" start sections; "#" lines are the %-escaped
 *    description of their section; keys match ^[a-z][a-z_-]*\d*: and the
 *    value is trimmed.  write_vm_config rewrites everything sorted, so any
 *    edit by qemu-server normalises the file anyway; we still keep every
 *    line we don't touch byte for byte.
 *  - "args:" is split with Text::ParseWords::shellwords, then appended to
 *    the QEMU command line.  An unbalanced quote makes shellwords return an
 *    empty list (all args silently dropped), and check_type strips a value
 *    that starts AND ends with '"' on the next write.
 *  - qm set locks with flock(LOCK_EX) on /var/lock/qemu-server/
 *    lock-VMID.conf (10 s timeout) and writes "VMID.conf.tmp.PID" with
 *    O_EXCL, then renames it over the config.
 */
#pragma once

#include "model/chardev.h"
#include "util/diag.h"
#include "util/enum.h"
#include "util/mem.h"

#include <stdbool.h>
#include <stddef.h>

#define VSC_PVE_CONF_DIR "/etc/pve/qemu-server"
#define VSC_PVE_LOCK_DIR "/var/lock/qemu-server"
#define VSC_PVE_RUN_DIR "/var/run/qemu-server"
#define VSC_PVE_LOCK_TIMEOUT 10.0 /* seconds, as PVE::AbstractConfig::lock_config */
#define VSC_PVE_MAX_SERIAL 4      /* serial0..serial3, and QEMU's ISA serial limit */
#define VSC_PVE_MAX_PARALLEL 3    /* parallel0..parallel2 */
#define VSC_PVE_ID_PREFIX "vschan-"
#define VSC_PVE_MAX_CONF_SIZE (1024 * 1024) /* pmxcfs refuses larger files */

/* ------------------------------------------------------------------ */
/* VMIDs                                                                */

/* Parse a VMID as qemu-server accepts it: ^[1-9][0-9]{2,8}$, that is
 * 100..999999999 without sign, spaces or leading zeros.  Rule "pve-vmid". */
int vsc_pve_vmid_parse(const char *s, unsigned *vmid, vsc_diags *diags);

/* ------------------------------------------------------------------ */
/* The args: value (Text::ParseWords::shellwords)                       */

/* Quote argv into one "args:" value that shellwords splits back into
 * exactly argv.  Style: an argument made only of [A-Za-z0-9] and
 * "-_./=:,@%+^~" stays bare; any other argument is put in single quotes
 * as a whole, its "'" and "\" spliced in outside the quotes as "\'" and
 * "\\" ('it'\''s').  Why:
 *  - quotes only where needed keep the common "-device a=b,c=d"
 *    readable and diff-friendly;
 *  - a backslash inside single quotes still pairs with the next character
 *    for shellwords (but not for a shell), so it never goes inside;
 *  - the value never starts with '"' (a '"' only appears inside single
 *    quotes), so qemu-server never strips it, and quotes always balance;
 *  - bytes >= 0x80 are quoted, so the result does not depend on whether
 *    Perl sees the line as bytes or as decoded UTF-8 (where U+00A0 and
 *    friends would count as whitespace);
 *  - the result also means the same to a POSIX shell, which helps users
 *    who paste it into "qm set VMID --args '...'" with one more layer.
 * A "\n" or "\r" in an argument cannot be stored on one config line and is
 * rejected (rule "pve-args-line").  An empty argv gives "".  The result is
 * checked with vsc_pve_args_split before it is returned. */
char *vsc_pve_args_quote(char *const *argv, size_t n, vsc_diags *diags);

/* Where a word came from in the split value: value[start, end). */
typedef struct {
  size_t start;
  size_t end;
} vsc_pve_span;

/* Split an "args:" value exactly as Perl's shellwords does (Text::
 * ParseWords 3.31, byte semantics: whitespace is " \t\n\v\f\r"):
 * leading whitespace is skipped, "\x" outside quotes gives x, "..." keeps
 * its content with every "\x" turned into x, '...' keeps its content
 * verbatim (a backslash still escapes the next character when finding the
 * closing quote), adjacent pieces join into one word.  Where shellwords
 * would return an empty list for a non-blank value (unbalanced quote, a
 * trailing backslash) this returns NULL with rule "pve-args-quotes",
 * because qemu-server would silently drop every argument.
 * Returns a NULL-terminated array (free with vsc_pve_argv_free) and its
 * length in *n; spans (optional, free()) gets the source of each word. */
char **vsc_pve_args_split(const char *value, size_t *n, vsc_pve_span **spans, vsc_diags *diags);
void vsc_pve_argv_free(char **argv);

/* Does this single QEMU argument belong to vschan?  True when one of its
 * QEMU options id=, chardev=, bus=, netdev= starts with prefix (",," is a
 * literal comma), when guestfwd= contains "-chardev:PREFIX", or when a
 * JSON argument ("{...}") has a string value starting with prefix. */
bool vsc_pve_arg_is_owned(const char *arg, const char *prefix);

/* The user's words of an "args:" value: every word but vschan's (an owned
 * value together with the option before it), split as qemu-server
 * splits it; none when it does not split.  Free with vsc_pve_argv_free;
 * *n gets their number.  prefix NULL means VSC_PVE_ID_PREFIX. */
char **vsc_pve_args_user(const char *value, const char *prefix, size_t *n);

/* Merge vschan's new arguments into an existing "args:" value (NULL or ""
 * for none): drop every argument of vschan's (an owned value together with
 * the option before it, e.g. "-chardev socket,id=vschan-x,..."), keep the
 * user's arguments in their order and as they were written, then append
 * argv quoted.  Every element of argv must be owned or an option followed
 * by an owned value (rule "pve-args-owner"), so the next run can replace it.
 * drop (n_drop words: option, value, option, value, ...) are arguments
 * of the user's that vschan takes over: each pair is removed as often as
 * it is listed.
 * An existing value that shellwords cannot split is an error.  Returns the
 * new value ("" when nothing is left: delete the key), or NULL.
 * prefix NULL means VSC_PVE_ID_PREFIX. */
char *vsc_pve_args_merge(const char *existing, char *const *argv, size_t n, char *const *drop, size_t n_drop,
                         const char *prefix, vsc_diags *diags);

/* ------------------------------------------------------------------ */
/* The VM config file                                                   */

typedef enum {
  VSC_PVE_SECTION_MAIN,
  VSC_PVE_SECTION_PENDING,
  VSC_PVE_SECTION_SPECIAL,  /* [special:cloudinit], [special:fleecing] */
  VSC_PVE_SECTION_SNAPSHOT, /* [snapname] */
  VSC_PVE_SECTION_UNKNOWN,  /* any other [...]: qemu-server skips it, we keep it */
  VSC_PVE_SECTION_LAST
} vsc_pve_section_kind;
VSC_ENUM_DECL(vsc_pve_section_kind);

typedef struct {
  char *text;   /* the line without its "\n" (a "\r" stays) */
  bool newline; /* "\n" followed; only the file's last line may lack it */
} vsc_pve_line;

typedef struct {
  vsc_pve_section_kind kind;
  char *name;          /* text between the brackets; NULL for the main section */
  vsc_pve_line *lines; /* the header line first (except main), then its body */
  size_t n_lines;
} vsc_pve_section;

typedef struct {
  vsc_pve_section *sections; /* [0] is always the main section (maybe empty) */
  size_t n_sections;
  char *file;                /* for diagnostics; NULL when unknown */
} vsc_pve_conf;

/* Parse a config.  Never loses a byte: vsc_pve_conf_format of an
 * unmodified result equals the input.  Fails only on a NUL byte.  file is
 * used for diagnostics (may be NULL). */
vsc_pve_conf *vsc_pve_conf_parse(const char *data, size_t len, const char *file, vsc_diags *diags);
/* The file content (NUL-terminated); *len (optional) its length. */
char *vsc_pve_conf_format(const vsc_pve_conf *conf, size_t *len);
void vsc_pve_conf_free(vsc_pve_conf *conf);
VSC_DEFINE_AUTOPTR(vsc_pve_conf, vsc_pve_conf_free)

/* The [PENDING] section, or NULL. */
vsc_pve_section *vsc_pve_conf_pending(vsc_pve_conf *conf);

/* The value of key in the main section or in [PENDING], trimmed as
 * qemu-server trims it; the last line wins as in qemu-server.  NULL when
 * absent or empty.  Caller frees. */
char *vsc_pve_conf_get(const vsc_pve_conf *conf, bool pending, const char *key);

/* The value key will have at the next start: the [PENDING] value, else
 * nothing if [PENDING] deletes it, else the main value.  Caller frees. */
char *vsc_pve_conf_get_effective(const vsc_pve_conf *conf, const char *key);

/* The value a change is made against: the effective one when the change
 * goes to [PENDING], else the main value.  Caller frees. */
char *vsc_pve_conf_get_for(const vsc_pve_conf *conf, bool pending, const char *key);

/* Whether the args: a change is made against (vsc_pve_conf_get_for; args.c) has
 * arguments of vschan's, or does not split. */
bool vsc_pve_args_have_ours(const vsc_pve_conf *conf, bool pending, const char *prefix);

/* Is key listed in the "delete:" line of [PENDING]? */
bool vsc_pve_conf_pending_deletes(const vsc_pve_conf *conf, const char *key);

/* Set key to value in the main section or in [PENDING].  An existing line
 * is replaced in place (other lines of the same key are removed); a new
 * one goes where qemu-server would put it: in sorted order among the keys.
 * [PENDING] is created right after the main section when missing, before
 * any [special:...] or snapshot section.  Setting a key in [PENDING] also
 * takes it off the pending "delete:" list, as qm set does, and setting it
 * to the value the main section already has removes the pending line
 * instead (qemu-server's cleanup_pending), so a no-op stays a no-op.  In
 * a CRLF file the new line ends in CRLF too.
 * The key must match ^[a-z][a-z_-]*\d*$ and the value must be one line,
 * not empty, without surrounding whitespace and not wrapped in '"'
 * (rule "pve-value"). */
int vsc_pve_conf_set(vsc_pve_conf *conf, bool pending, const char *key, const char *value,
                     vsc_diags *diags);

/* Remove every line of key from the main section or [PENDING].  A
 * [PENDING] section left without content is removed.  Returns the number
 * of lines removed. */
size_t vsc_pve_conf_delete(vsc_pve_conf *conf, bool pending, const char *key);

/* Record in [PENDING] that key is to be deleted at the next start (its
 * pending value, if any, is removed), as "qm set --delete" does on a
 * running VM. */
void vsc_pve_conf_pending_delete(vsc_pve_conf *conf, const char *key);

/* The value of "lock:" in the main section (backup, migrate, snapshot,
 * ...), or NULL.  Caller frees. */
char *vsc_pve_conf_lock(const vsc_pve_conf *conf);

/* A key vschan is about to change must stand once in its section (main or
 * [PENDING]): with two lines qemu-server reads only one, and rewriting one
 * would drop the other.  The user decides which: -1 with rule
 * "pve-duplicate-key" naming the lines, 0 when it is there once or not. */
int vsc_pve_conf_check_unique(const vsc_pve_conf *conf, bool pending, const char *key,
                              vsc_diags *diags);

/* Where key's line is, for a diagnostic: the config's file and the line
 * of the effective (last) key line of the main section or [PENDING]
 * (then the main section's when [PENDING] has none); line 0 when there is
 * none. */
vsc_loc vsc_pve_conf_key_loc(const vsc_pve_conf *conf, bool pending, const char *key);

/* The description of the main section as qemu-server reads it (its "#"
 * lines, each %-decoded, joined by newlines), the value 'qm set
 * --description' takes; NULL when there is none. */
char *vsc_pve_conf_description(const vsc_pve_conf *conf);

/* Insert text (taken) as a line of s at index at; remove line at. */
void vsc_pve_section_insert_line(vsc_pve_section *s, size_t at, char *text);
void vsc_pve_section_remove_line(vsc_pve_section *s, size_t at);

/* The values qemu-server's schema takes: serialN (/dev/[^,]+|socket)
 * and parallelN (/dev/parport\d+|/dev/usb/lp\d+). */
bool vsc_pve_serial_value_ok(const char *value);
bool vsc_pve_parallel_value_ok(const char *value);

/* serialN: socket or serialN: /dev/..., N 0..3 (rule "pve-serial"). */
int vsc_pve_conf_set_serial(vsc_pve_conf *conf, bool pending, int index, const char *value,
                            vsc_diags *diags);

/* parallelN: /dev/parportN or /dev/usb/lpN, N 0..2 (rule "pve-parallel"). */
int vsc_pve_conf_set_parallel(vsc_pve_conf *conf, bool pending, int index, const char *value,
                              vsc_diags *diags);

/* Enable the guest agent on its virtio port: "agent: 1", keeping the
 * other agent options (freeze-fs, fstrim_cloned_disks) of an existing
 * line; type=isa is dropped (that agent is an ISA serial port). */
int vsc_pve_conf_set_agent(vsc_pve_conf *conf, bool pending, vsc_diags *diags);

/* ------------------------------------------------------------------ */
/* Which native lines are vschan's (owner.c): agent, serialN, parallelN */

/* The native lines vschan writes and records, NULL-terminated. */
#define VSC_PVE_N_NATIVE_KEYS (1 + VSC_PVE_MAX_SERIAL + VSC_PVE_MAX_PARALLEL)
extern const char *const vsc_pve_native_keys[VSC_PVE_N_NATIVE_KEYS + 1];
/* The value for key among a set of native lines: "1" for agent when
 * agent, serial[N] for serialN, parallel[N] for parallelN. */
const char *vsc_pve_native_pick(const char *key, bool agent, const char *const *serial,
                                const char *const *parallel);

typedef enum {
  VSC_PVE_LINE_ABSENT, /* no such line (for pending: none at the next start) */
  VSC_PVE_LINE_OURS,   /* vschan wrote it, and it still has that value */
  VSC_PVE_LINE_USERS,  /* anyone else's, or changed since vschan wrote it */
} vsc_pve_line_owner;

/* Who owns key's line (agent, serialN): the value the change is made
 * against (vsc_pve_conf_get_for) is vschan's when the record line of the
 * description ("#vschan owns KEY=HASH ...") has its hash. */
vsc_pve_line_owner vsc_pve_owner_of(const vsc_pve_conf *conf, bool pending, const char *key);

/* Rewrite the record so that it names exactly keys[0..n) (those that have
 * a line), with the values they have now: in place, else after the last
 * "#" line of the main section, else at its top; no record line when
 * nothing is left. */
void vsc_pve_owner_record(vsc_pve_conf *conf, bool pending, const char *const *keys, size_t n);

/* ------------------------------------------------------------------ */
/* One change set: what "vschan qm --write" does to a config            */

typedef struct {
  const char *id_prefix; /* NULL: VSC_PVE_ID_PREFIX */
  bool merge_args;       /* replace vschan's arguments in args: by args[] */
  char *const *args;     /* vschan's new arguments (n_args 0: remove them) */
  size_t n_args;
  char *const *drop;     /* the user's option/value pairs vschan takes over (--force) */
  size_t n_drop;
  /* The native lines vschan wants; every other line of its own (see
   * vsc_pve_owner_of) is removed, and the user's are never changed: */
  const char *serial[VSC_PVE_MAX_SERIAL]; /* "socket" or "/dev/..."; NULL: none */
  const char *parallel[VSC_PVE_MAX_PARALLEL]; /* "/dev/parportN" or "/dev/usb/lpN" */
  bool agent;            /* the guest agent on its virtio port */
  bool force;            /* take over a line of the user's that has another value */
  bool pending;          /* write to [PENDING] (the VM is running) */
} vsc_pve_changes;

/* Apply changes to conf.  A native line vschan wants and the user's line
 * already has is left as it is (and stays the user's); one the user's
 * line has with another value is an error naming the line (rule
 * "pve-owner"), unless force.  The record of vschan's lines is rewritten.
 * In pending mode the args merge starts from the
 * value the VM will have at the next start, and an args left empty
 * becomes a pending delete (or no pending line when main has none).
 * Without pending mode a [PENDING] value of a changed key gives a warning:
 * it would override the change at the next start.  An args line that
 * shellwords cannot split is an error when args are merged.  Then the
 * result must pass vsc_pve_vm_check. */
int vsc_pve_changes_apply(vsc_pve_conf *conf, const vsc_pve_changes *changes, vsc_diags *diags);

/* Whether QEMU can start the VM conf describes (pending: as of the next
 * start), as far as character devices go (vm.c).  Errors: more than four
 * ISA serial ports (serialN, isa-serial devices and -serial options in
 * args, an ISA agent; rule "pve-serial-count"); two at one ISA index,
 * one of them vschan's (ids with prefix; NULL: VSC_PVE_ID_PREFIX), as
 * QEMU numbers them ("pve-serial-index", a warning when both are the
 * user's); two virtio-serial ports of
 * one name among qemu-server's own (agent, SPICE agent, VNC clipboard,
 * SPICE folder sharing) and those in args ("pve-port-name"); a spiceport
 * chardev without a SPICE display ("pve-spice-not-enabled", a warning for
 * spicevmc).  Warning: an args line that shellwords cannot split (it adds
 * nothing: qemu-server drops it whole). */
int vsc_pve_vm_check(const vsc_pve_conf *conf, bool pending, const char *prefix, vsc_diags *diags);

/* Where an agent: value puts the guest agent: nowhere (not enabled), on
 * qemu-server's virtio-serial port, or on an ISA serial port (type=isa). */
typedef enum { VSC_PVE_AGENT_OFF, VSC_PVE_AGENT_VIRTIO, VSC_PVE_AGENT_ISA } vsc_pve_agent_port;
vsc_pve_agent_port vsc_pve_agent_port_of(const char *value);

/* The character devices of a config (as of the next start when pending;
 * import.c): serialN: and parallelN: as ports at their index, an agent:
 * on its virtio port as the agent channel on qemu-server's socket, and
 * args: as vsc_qemu_read_args reads it, warning about what it cannot
 * (vschan's own devices too, with the alias their id comes from when the
 * name does not give it; a note counts vschan's arguments that are not
 * character devices).  Each device's origin is its line.  -1 when args:
 * does not split. */
int vsc_pve_import(const vsc_pve_conf *conf, unsigned vmid, bool pending, const char *prefix,
                   vsc_devset *set, vsc_diags *diags);

/* ------------------------------------------------------------------ */
/* Locked, atomic edit                                                  */

/* Take qemu-server's config lock: open DIR/lock-VMID.conf with
 * O_WRONLY|O_APPEND|O_CREAT (creating DIR if missing) and flock(LOCK_EX),
 * retrying until timeout seconds have passed (<= 0: VSC_PVE_LOCK_TIMEOUT).
 * flock, not fcntl: only flock excludes Perl's flock.  Returns the file
 * descriptor (close it to unlock) or -1 (rule "pve-lock-timeout"). */
int vsc_pve_lock(const char *lock_dir, unsigned vmid, double timeout, vsc_diags *diags);

/* Is the VM running here?  RUN_DIR/VMID.pid names a live process. */
bool vsc_pve_vm_running(const char *run_dir, unsigned vmid);

/* The socket qemu-server (or vschan's plan) put in run_dir (NULL:
 * VSC_PVE_RUN_DIR) for VM vmid_text: RUN_DIR/VMID.NAME, where NAME is
 * serialN (serialN: socket), qga (the agent) or a channel's port name.
 * Usage errors (rule "pve-socket", or "pve-vmid"): a name with a '/',
 * or one of qemu-server's sockets that carry no guest's stream (qmp,
 * mon, vnc, pid).  *path is the caller's. */
int vsc_pve_vm_socket(const char *run_dir, const char *vmid_text, const char *name, char **path,
                      vsc_diags *diags);

typedef int (*vsc_pve_edit_fn)(vsc_pve_conf *conf, void *opaque, vsc_diags *diags);

typedef struct {
  unsigned vmid;
  const char *conf_path; /* NULL: VSC_PVE_CONF_DIR/VMID.conf */
  const char *lock_dir;  /* NULL: VSC_PVE_LOCK_DIR */
  double timeout;        /* lock timeout in seconds; <= 0: VSC_PVE_LOCK_TIMEOUT */
  bool skiplock;         /* edit even when the config has a lock: line */
  bool dry_run;          /* compute the new content, take no lock, write nothing */
  const char *digest;    /* refuse unless the config read has this SHA-1 (hex), as
                          * 'qm set --digest' does; NULL: any */
} vsc_pve_edit_opts;

/* Read a VM's config (for vmid, in messages): a regular file of at most
 * VSC_PVE_MAX_CONF_SIZE bytes (rule "pve-conf" otherwise: a FIFO or a
 * device is refused, never read); *st gets its stat.  NULL on errors. */
struct stat;
char *vsc_pve_conf_read(const char *path, unsigned vmid, struct stat *st, size_t *len, vsc_diags *diags);

/* The safe edit: lock, read the config under the lock, refuse when its
 * SHA-1 is not opts->digest (rule "pve-digest") or its
 * main section has "lock:" (rule "pve-locked") unless skiplock, call fn on
 * the parsed config, and when the content changed write it to
 * "PATH.tmp.PID" in the same directory (O_EXCL; a stale one is removed)
 * with a single write, fsync, and rename it over PATH.  The file mode is
 * passed to open(), never chmod()ed (pmxcfs refuses chmod).  On any
 * failure PATH is untouched and the temporary file removed.
 * old_out and new_out (optional) receive the content before and after
 * (equal when nothing changed).  Returns 0 or -1. */
int vsc_pve_edit(const vsc_pve_edit_opts *opts, vsc_pve_edit_fn fn, void *opaque,
                 char **old_out, char **new_out, vsc_diags *diags);

/* vsc_pve_edit with vsc_pve_changes_apply as fn. */
int vsc_pve_edit_changes(const vsc_pve_edit_opts *opts, const vsc_pve_changes *changes,
                         char **old_out, char **new_out, vsc_diags *diags);

/* Fault injection for tests: make the next writes of vsc_pve_edit fail
 * half way through the write() or between the write and the rename.  The
 * environment variable VSCHAN_PVE_FAULT=write-half|before-rename does the
 * same for a whole process (for tests of the command line). */
typedef enum {
  VSC_PVE_FAULT_NONE,
  VSC_PVE_FAULT_WRITE_HALF,
  VSC_PVE_FAULT_BEFORE_RENAME,
  VSC_PVE_FAULT_LAST
} vsc_pve_fault;
VSC_ENUM_DECL(vsc_pve_fault);
void vsc_pve_set_fault(vsc_pve_fault fault);

/* ------------------------------------------------------------------ */
/* Showing what changed                                                 */

/* A unified diff of two texts, line by line, with 3 lines of context,
 * "--- old_label" / "+++ new_label" headers and "@@ -a,b +c,d @@" hunks;
 * "\ No newline at end of file" where it applies.  "" when equal. */
char *vsc_pve_diff(const char *old_text, const char *new_text, const char *old_label,
                   const char *new_label);
