/* Live management through libvirt: connect, read a domain's character
 * devices into the model, attach them as one transaction, detach them by
 * alias and wait until they are gone, and plan/apply a spec.
 *
 * The library never prints.  Errors go to vsc_diags with libvirt's own
 * message and a hint; rule ids starting with "libvirt" mark failures that
 * libvirt or QEMU reported (exit code 3), other ids are refusals of vschan
 * itself before anything was touched (exit code 1).  Commands that touch
 * several devices report each step through a vsc_virt_progress.
 *
 * Which devices vschan manages (for apply --prune): those whose alias
 * starts with VSC_VIRT_MANAGED_PREFIX.  vschan derives such an alias for
 * every device a spec adds without one; a spec alias that lacks the prefix
 * keeps the device out of --prune's reach, so devices added by others are
 * never removed. */
#pragma once

#include "model/chardev.h"
#include "model/rules.h"
#include "model/vhost.h"
#include "util/diag.h"
#include "util/enum.h"

#include <libvirt/libvirt.h>
#include <stdbool.h>

#define VSC_VIRT_MANAGED_PREFIX "ua-vschan-"
#define VSC_VIRT_DEFAULT_TIMEOUT 10.0
/* vschan's XML namespace in <metadata>. */
#define VSC_VIRT_METADATA_NS "https://vschan.dev/xmlns/libvirt/1"
/* The namespace of the tags apply --tag sets (tags.c). */
#define VSC_VIRT_TAGS_NS "https://vschan.dev/xmlns/libvirt/tags/1"

/* ---- connection (conn.c) ---- */

typedef struct vsc_virt vsc_virt;

/* Open uri (NULL: $LIBVIRT_DEFAULT_URI, then libvirt's default) with an
 * event loop thread that runs until vsc_virt_close(). */
vsc_virt *vsc_virt_open(const char *uri, vsc_diags *diags);
void vsc_virt_close(vsc_virt *v);
VSC_DEFINE_AUTOPTR(vsc_virt, vsc_virt_close)

virConnectPtr vsc_virt_conn(vsc_virt *v);
/* Opening qemu:///embed makes libvirt reconnect to every running QEMU in
 * a background thread.  Until that is done a guest agent looks "not
 * connected", and a process that exits before it can crash inside
 * libvirt 9.0 (seen about 1 run in 15).  This waits for it: one call per
 * running domain that needs the domain job, which the reconnection holds.
 * vsc_virt_open() calls it for embed URIs; test helpers that open the
 * driver themselves call it too. */
void vsc_virt_embed_settle(virConnectPtr conn);
/* Whether files named in the domain are on this machine (so vschan may
 * delete the socket files libvirt leaves behind). */
bool vsc_virt_is_local(vsc_virt *v);

/* What vschan acts on in a libvirt error. */
typedef enum {
  VSC_VIRT_FAILED,           /* nothing in particular */
  VSC_VIRT_PORT_TAKEN,       /* QEMU has a port on that virtio-serial address */
} vsc_virt_reason;

/* The call that failed, where it makes the hint another. */
typedef enum {
  VSC_VIRT_CALL_ANY,
  VSC_VIRT_CALL_OPEN,              /* opening a stream to a device */
  VSC_VIRT_CALL_HOTPLUG_REFUSED,   /* a live attach of a backend libvirt cannot hot-plug */
} vsc_virt_call;

/* Record the last libvirt error as an error in diags (VSC_CLASS_PEER, rule
 * "libvirt"): "what: libvirt's message" with a hint chosen from the error.
 * subject may be NULL.  Returns what the error means to the caller. */
vsc_virt_reason vsc_virt_error(vsc_diags *diags, const char *subject, const char *what);
/* The same for a call the hint depends on, with the caller's rule id. */
vsc_virt_reason vsc_virt_error_in(vsc_diags *diags, vsc_virt_call call, const char *rule,
                                  const char *subject, const char *what);

/* Time spent inside libvirt calls and waits since the process started, in
 * seconds (for VSCHAN_TIMING). */
double vsc_virt_libvirt_seconds(void);

/* ---- domains and their devices (domain.c) ---- */

typedef struct {
  vsc_virt *virt;
  virDomainPtr dom;
  char *name;
  bool running;
  bool persistent;
  struct vsc_virt_events *events;  /* device-removed events, once registered */
} vsc_virt_domain;

/* By name, UUID or id. */
vsc_virt_domain *vsc_virt_domain_lookup(vsc_virt *v, const char *name, vsc_diags *diags);
void vsc_virt_domain_free(vsc_virt_domain *d);
VSC_DEFINE_AUTOPTR(vsc_virt_domain, vsc_virt_domain_free)

/* One character device as the domain has it, in the live definition, the
 * persistent one, or both (the same device by vsc_chardev_same_identity). */
typedef struct {
  vsc_chardev *live;     /* NULL: not in the live definition */
  vsc_chardev *config;   /* NULL: not in the persistent definition */
} vsc_virt_dev;

/* One vhost-user device as the domain has it: the same device in both
 * definitions by its user alias, else by what names it (mount tag, disk
 * target, MAC address; vsc_vhost_identity). */
typedef struct {
  vsc_vhost *live;
  vsc_vhost *config;
} vsc_virt_vhost;

/* Both definitions of a domain, read into the model. */
typedef struct {
  bool has_live, has_config;
  vsc_devset live, config;        /* the devices of each, in document order */
  vsc_domain_info live_info, config_info;
  vsc_virt_dev *devs;             /* merged view of the character devices */
  size_t ndevs;
  vsc_virt_vhost *vhosts;         /* ... and of the vhost-user devices */
  size_t nvhosts;
} vsc_virt_state;

int vsc_virt_state_read(vsc_virt_domain *d, vsc_virt_state *st, vsc_diags *diags);
void vsc_virt_state_clear(vsc_virt_state *st);
/* The device of a merged entry to show: the live one, else the config one. */
const vsc_chardev *vsc_virt_dev_main(const vsc_virt_dev *d);
const vsc_vhost *vsc_virt_vhost_main(const vsc_virt_vhost *v);
/* vschan made it: its alias in either definition has vschan's prefix. */
bool vsc_virt_dev_is_managed(const vsc_virt_dev *d);
bool vsc_virt_vhost_is_managed(const vsc_virt_vhost *v);
bool vsc_virt_alias_is_managed(const char *alias);

/* ---- tags (tags.c) ---- */

/* The tags of a domain: those of its persistent definition, or of the
 * live one for a transient domain.  Free with vsc_virt_tags_free. */
int vsc_virt_domain_tags(vsc_virt_domain *d, char ***tags, size_t *n, vsc_diags *diags);
void vsc_virt_tags_free(char **tags, size_t n);
/* Add tag (already checked: [A-Za-z0-9_.-]) to the persistent definition
 * and, when running, to the live one.  *added: it was new to one. */
int vsc_virt_domain_add_tag(vsc_virt_domain *d, const char *tag, bool *added, vsc_diags *diags);
/* What vsc_virt_domain_add_tag would do (a dry run): *lacks, one of
 * those definitions lacks the tag. */
int vsc_virt_domain_lacks_tag(vsc_virt_domain *d, const char *tag, bool *lacks, vsc_diags *diags);

/* ---- which definitions to change (virsh's --live/--config/...) ---- */

typedef enum {
  VSC_VIRT_AFFECT_DEFAULT,     /* live if running, plus config if persistent */
  VSC_VIRT_AFFECT_LIVE,
  VSC_VIRT_AFFECT_CONFIG,
  VSC_VIRT_AFFECT_LIVE_CONFIG, /* --live --config */
  VSC_VIRT_AFFECT_PERSISTENT,  /* config, plus live if running */
  VSC_VIRT_AFFECT_CURRENT,     /* live if running, else config */
} vsc_virt_affect;

/* Resolve against the domain's state; -1 with a clear error when the
 * domain cannot take it (--live on a stopped domain, --config on a
 * transient one). */
int vsc_virt_affect_resolve(const vsc_virt_domain *d, vsc_virt_affect affect, bool *live,
                            bool *config, vsc_diags *diags);

/* ---- progress ---- */

typedef enum {
  VSC_VIRT_STEP_ADD,
  VSC_VIRT_STEP_REMOVE,
  VSC_VIRT_STEP_REPLACE,
  VSC_VIRT_STEP_ROLLBACK,
} vsc_virt_step;

typedef struct {
  /* Called before (done false) and after (done true, ok) each device. */
  void (*fn)(void *opaque, vsc_virt_step step, size_t index, size_t total, const char *what,
             bool done, bool ok);
  void *opaque;
} vsc_virt_progress;

/* ---- attach (attach.c) ---- */

/* What add and apply cannot change: -1 (rule virt-memory-backing, in
 * diags) when set has a memoryBacking, which is no device; the commands
 * would otherwise leave it out. */
int vsc_virt_check_supported(const vsc_devset *set, vsc_diags *diags);

/* Give every device of set that has no alias one derived from its target
 * (ua-vschan-<virtio name>, ua-vschan-guestfwd-<address>-<port>,
 * ua-vschan-<kind><port>, ua-vschan-<kind>-<type>-<n>; vhost-user:
 * ua-vschan-fs-<tag>, -virtio-disk-<dev>, -net-<mac>, -<prefix>-<n>).  Aliases the
 * domain in avoid already uses are skipped (add: another device); apply
 * passes NULL so the same spec derives the same aliases every time. */
void vsc_virt_derive_aliases(vsc_devset *set, const vsc_virt_state *avoid);

/* Check set against the rules together with the devices the domain keeps
 * (st), before anything is touched.  -1 on errors (in diags). */
/* replacing: devices of set replace the domain's devices with the same
 * identity (apply); otherwise they come in addition (add).  Warnings are
 * errors here: vschan does not attach what will not work. */
int vsc_virt_check_rules(const vsc_devset *set, const vsc_virt_state *st, bool live,
                         bool replacing, vsc_diags *diags);

/* Attach every device of set to the chosen definitions, as one
 * transaction: on a failure everything this call attached is detached
 * again (live and config) and the socket files libvirt created for it are
 * deleted; the error names the device.  Devices without an alias get a
 * derived one (set is updated). */
int vsc_virt_add(vsc_virt_domain *d, vsc_devset *set, bool live, bool config,
                 double timeout, const vsc_virt_progress *progress, vsc_diags *diags);

/* ---- detach (detach.c) ---- */

/* The identifier of character device i that vsc_virt_resolve_ident takes
 * back: its alias, else its virtio name, guestfwd address:port, or kind
 * and number (serial0, channel2).  Caller frees. */
char *vsc_virt_dev_ident(const vsc_virt_state *st, size_t i);
/* The same for vhost-user device i: its alias, else its mount tag, disk
 * target or MAC address, else its socket. */
char *vsc_virt_vhost_ident(const vsc_virt_state *st, size_t i);

/* Devices of a domain named on the command line: indexes into st->devs
 * and st->vhosts. */
typedef struct {
  size_t *devs;
  size_t ndevs;
  size_t *vhosts;
  size_t nvhosts;
} vsc_virt_selection;
void vsc_virt_selection_clear(vsc_virt_selection *sel);

/* Add the devices ident names to sel: an alias, a virtio target name, a
 * guestfwd address:port, serialN/consoleN/parallelN/channelN, or a
 * vhost-user device's mount tag, disk target or MAC address.  -1 with an
 * error if none matches. */
int vsc_virt_resolve_ident(const vsc_virt_state *st, const char *ident, vsc_virt_selection *sel,
                           vsc_diags *diags);

/* Detach the selected devices from the chosen definitions: live by
 * alias, waiting up to timeout seconds for libvirt's device-removed
 * event; config by alias or by its XML.  Deletes the unix listen socket a
 * live character device leaves behind. */
int vsc_virt_remove(vsc_virt_domain *d, const vsc_virt_state *st, const vsc_virt_selection *sel,
                    bool live, bool config, double timeout, const vsc_virt_progress *progress,
                    vsc_diags *diags);

/* ---- plan and apply (plan.c) ---- */

typedef enum { VSC_PLAN_ADD, VSC_PLAN_REPLACE, VSC_PLAN_REMOVE, VSC_PLAN_LAST } vsc_plan_action;
VSC_ENUM_DECL(vsc_plan_action);   /* "add", "replace", "remove" */

/* An item is about a character device (want, have) or a vhost-user
 * device (vwant, vhave). */
typedef struct {
  vsc_plan_action action;
  vsc_chardev *want;          /* the spec's device; NULL for remove */
  const vsc_virt_dev *have;   /* the domain's device (in st); NULL for add */
  vsc_vhost *vwant;
  const vsc_virt_vhost *vhave;
  bool live, config;          /* which definitions the action changes */
  char *why;                  /* replace: what differs */
} vsc_plan_item;

typedef struct {
  vsc_plan_item *items;
  size_t nitems;
  bool live, config;          /* the definitions compared */
} vsc_plan;

/* Compare set (aliases derived) with the domain's definitions after
 * removing what libvirt adds by itself, and list what to change.  With
 * prune, managed devices the spec does not list are removed. */
int vsc_virt_plan(const vsc_virt_state *st, const vsc_devset *set, bool live, bool config,
                  bool prune, vsc_plan *plan, vsc_diags *diags);
/* What vsc_virt_plan_apply refuses before touching anything: virtio
 * ports for a running domain without a virtio-serial controller, and the
 * rules with the devices the domain keeps.  A dry run runs it too, so
 * that it predicts the refusal.  -1 with the errors in diags. */
int vsc_virt_plan_check(const vsc_virt_domain *d, const vsc_virt_state *st, const vsc_plan *plan,
                        vsc_diags *diags);
/* Carry the plan out as one transaction: removals first, then additions;
 * on a failure the domain is put back as it was (vsc_virt_plan_check
 * first). */
int vsc_virt_plan_apply(vsc_virt_domain *d, const vsc_virt_state *st, const vsc_plan *plan,
                        double timeout, const vsc_virt_progress *progress, vsc_diags *diags);
void vsc_plan_clear(vsc_plan *plan);

/* Whether two devices are the same once what libvirt adds is taken away
 * (aliases, addresses, generated paths, pty paths, state, defaults).
 * want is the spec's device.  If not and why is not NULL, *why says what
 * differs (caller frees). */
bool vsc_virt_dev_matches(const vsc_chardev *want, const vsc_chardev *have, char **why);
/* The same for vhost-user devices: what libvirt fills in when the spec
 * leaves it out (a MAC address, the access mode, the disk bus) is not
 * compared. */
bool vsc_virt_vhost_matches(const vsc_vhost *want, const vsc_vhost *have, char **why);
/* What a plan item is about, for messages ("virtiofs filesystem 'share'"). */
char *vsc_plan_item_describe(const vsc_plan_item *it);
