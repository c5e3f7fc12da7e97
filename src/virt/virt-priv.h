/* Shared inside src/virt only. */
#pragma once

#include "virt.h"
#include "util/clock.h"
#include "util/str.h"

#include <string.h>

/* Evaluate a libvirt call and add its duration to the libvirt clock. */
#define VIRT_CALL(expr) ({ \
  double _t0 = vsc_now(); \
  __typeof__(expr) _r = (expr); \
  vsc_virt_time_add(vsc_now() - _t0); \
  _r; })

void vsc_virt_time_add(double seconds);

/* Fault injection for tests (fault.c): whether this attach or detach of a
 * device is the one $VSCHAN_FAIL_LIBVIRT asks to fail.  Off when unset. */
typedef enum { VSC_VIRT_FAULT_ATTACH, VSC_VIRT_FAULT_DETACH, VSC_VIRT_FAULT_LAST } vsc_virt_fault_op;
bool vsc_virt_fault(vsc_virt_fault_op op);
/* The message of the failure just injected, or NULL (caller frees). */
char *vsc_virt_fault_take(void);

/* VIRT_CALL for the calls that attach or detach a device: they go through
 * the fault injection, and an injected failure returns -1 without
 * reaching libvirt (vsc_virt_error then reports it). */
#define VIRT_CHANGE(op, expr) (vsc_virt_fault(op) ? -1 : VIRT_CALL(expr))

/* Detach a live device by alias and wait up to timeout seconds for the
 * device-removed event (or for it to be gone from the live XML). */
int vsc_virt_detach_live(vsc_virt_domain *d, const char *alias, const char *what,
                         double timeout, vsc_diags *diags);
/* Detach from the persistent definition: by alias when libvirt keeps it
 * there (ua-...), else by the device's XML. */
int vsc_virt_detach_config(vsc_virt_domain *d, const vsc_chardev *dev, const char *what,
                           vsc_diags *diags);
/* The same for a user alias (ua-...), which libvirt keeps there. */
/* A vhost-user device of the persistent definition: by its user alias,
 * else by its XML (libvirt finds it by mount tag, disk target or MAC). */
int vsc_virt_detach_config_vhost(vsc_virt_domain *d, const vsc_vhost *dev, const char *what, vsc_diags *diags);
int vsc_virt_detach_config_alias(vsc_virt_domain *d, const char *alias, const char *what, vsc_diags *diags);

/* Device events of d (events.c).  Start listening (once per domain);
 * forget what was heard about alias before detaching it; wait up to
 * timeout seconds until libvirt says alias was removed or that the guest
 * refused; stop listening (vsc_virt_domain_free). */
int vsc_virt_events_watch(vsc_virt_domain *d, vsc_diags *diags);
void vsc_virt_events_forget(vsc_virt_domain *d, const char *alias);
void vsc_virt_events_wait(vsc_virt_domain *d, const char *alias, double timeout, bool *removed,
                          bool *refused);
void vsc_virt_events_release(vsc_virt_domain *d);

/* The listen socket a live unix device in bind mode uses, or NULL. */
const char *vsc_virt_listen_socket(const vsc_chardev *dev);
/* Delete path if it is a socket (what libvirt leaves after an unplug). */
void vsc_virt_unlink_socket(vsc_virt_domain *d, const char *path);

