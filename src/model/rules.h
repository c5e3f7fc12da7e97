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

/* The host's capabilities (`virsh capabilities`), when known: the domain
 * types (kvm, qemu) libvirt offers for each guest architecture. */
typedef struct {
  char *arch;
  char **virt_types;
  size_t nvirt_types;
  char **machines;             /* names and aliases (pc, q35) */
  size_t nmachines;
} vsc_host_guest;

typedef struct {
  vsc_host_guest *guests;
  size_t nguests;
} vsc_host_caps;

void vsc_host_caps_clear(vsc_host_caps *caps);

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
  char *virt_type;                /* <domain type=...> */
  int domain_line;
  bool spice_tls_port;            /* <graphics type='spice' tlsPort='N'> */
  bool spice_secure;              /* defaultMode or a <channel> mode 'secure' */
  int spice_graphics_line;
  /* The host, when known (vschan validate reads libvirt's qemu.conf):
   * spice_tls there is 1 or 0; -1 unknown. */
  int host_spice_tls;
  const vsc_host_caps *host;      /* NULL: unknown */
  /* The guest's memory: <memoryBacking> and the <numa> cells' memAccess. */
  vsc_memory_backing memory;
  size_t numa_cells, numa_shared, numa_private;
} vsc_domain_info;

void vsc_domain_info_clear(vsc_domain_info *info);

/* Where a rule id belongs. */
typedef enum {
  VSC_LAYER_INPUT,    /* what a document is and whether it can be read */
  VSC_LAYER_OPTION,   /* virt-install's option syntax */
  VSC_LAYER_RULES,    /* the device model: what libvirt and QEMU take (vschan-spec(5)) */
  VSC_LAYER_QEMU,     /* what QEMU's arguments can express */
  VSC_LAYER_PVE,      /* Proxmox VE's config */
  VSC_LAYER_LIBVIRT,  /* libvirt and the domain */
  VSC_LAYER_GUEST,    /* a running guest's devices */
  VSC_LAYER_AGENT,    /* the guest agent */
  VSC_LAYER_LAST
} vsc_rule_layer;
VSC_ENUM_DECL(vsc_rule_layer);

typedef struct {
  const char *id;
  vsc_severity severity;
  vsc_diag_class cls;       /* the class every diagnostic of the id has */
  vsc_rule_layer layer;
  const char *summary;
} vsc_rule_info;

/* Every rule id vschan reports, once, for documentation and --list-rules;
 * NULL-terminated. */
extern const vsc_rule_info vsc_rules[];

/* Check set (devices plus the spec's controller) against every rule;
 * domain may be NULL.  Appends to diags; returns the number of errors and
 * warnings found. */
size_t vsc_rules_check(const vsc_devset *set, const vsc_domain_info *domain, vsc_diags *diags);

/* The rule pass every front end runs before a generator: vsc_rules_check,
 * then every warning in diags becomes an error (vschan writes nothing
 * that libvirt accepts but that will not work).  Returns -1 when diags
 * holds an error, else 0. */
int vsc_rules_require_clean(const vsc_devset *set, const vsc_domain_info *domain,
                            vsc_diags *diags);

/* How devices are added to a domain, for vsc_rules_require_clean_in. */
enum {
  VSC_RULES_REPLACE = 1u << 0,         /* an added device replaces the domain's of its identity */
  VSC_RULES_SKIP_COMPAT = 1u << 1,     /* the domain's compat consoles are left out (libvirt's
                                        * second view of serial 0 in a definition it wrote) */
  VSC_RULES_ADDS_CONTROLLER = 1u << 2, /* a virtio-serial controller comes with added devices
                                        * that need one */
  VSC_RULES_OWN_ONLY = 1u << 3,        /* warnings about the domain's own devices are not
                                        * ours to refuse: they are dropped */
};

/* The same pass for devices added to a domain (xml --into, add, apply):
 * the domain's devices (existing) with added in them, checked as one set
 * with domain's info.  Returns -1 when it found an error. */
int vsc_rules_require_clean_in(const vsc_devset *added, const vsc_devset *existing,
                               const vsc_domain_info *domain, unsigned int flags, vsc_diags *diags);

/* libvirt's default number of ports on a virtio-serial controller. */
#define VSC_VIRTIO_SERIAL_DEFAULT_PORTS 31
/* QEMU's MAX_ISA_SERIAL_PORTS. */
#define VSC_ISA_SERIAL_MAX 4
/* sizeof(((struct sockaddr_un *)0)->sun_path) - 1 */
#define VSC_UNIX_PATH_MAX 107
