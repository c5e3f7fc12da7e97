/* The rules: what a set of character devices must satisfy to work on
 * libvirt's QEMU driver, and the mistakes libvirt lets through.  One
 * implementation of each rule, shared by every front end (spec, XML,
 * validate).
 *
 * Errors are what libvirt's QEMU driver itself rejects; warnings are what
 * it accepts but what then fails or silently does something else.  vschan
 * refuses to generate anything with either; `vschan validate` reports
 * warnings as warnings unless --werror. */
#pragma once

#include "model/chardev.h"
#include "util/diag.h"

/* What the surrounding domain offers; rules that need it are skipped when
 * known is false. */
typedef struct {
  bool known;
  bool has_spice_graphics;
  size_t nvirtio_serial;          /* virtio-serial controllers */
  unsigned int ports[8];          /* ports= of controllers 0..7; 0 = default */
  bool has_usb;
  char *arch;                     /* NULL means x86_64 */
  char *machine;
} vsc_domain_info;

void vsc_domain_info_clear(vsc_domain_info *info);

typedef struct {
  const char *id;
  vsc_severity severity;
  const char *summary;
} vsc_rule_info;

/* Every rule, for documentation and --list-rules; NULL-terminated. */
extern const vsc_rule_info vsc_rules[];

/* Check set (devices plus the spec's controller) against every rule;
 * domain may be NULL.  Appends to diags; returns the number of errors and
 * warnings found. */
size_t vsc_rules_check(const vsc_devset *set, const vsc_domain_info *domain, vsc_diags *diags);

/* The generators' policy: vsc_rules_check, then every warning in diags
 * becomes an error.  Returns -1 when diags holds an error, else 0. */
int vsc_rules_require_clean(const vsc_devset *set, const vsc_domain_info *domain,
                            vsc_diags *diags);

/* libvirt's default number of ports on a virtio-serial controller. */
#define VSC_VIRTIO_SERIAL_DEFAULT_PORTS 31
/* sizeof(((struct sockaddr_un *)0)->sun_path) - 1 */
#define VSC_UNIX_PATH_MAX 107
