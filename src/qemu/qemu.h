/* QEMU command-line arguments for a set of character devices: what
 * `vschan qemu-args` prints and what a Proxmox `args:` line carries.
 *
 * The arguments mirror what libvirt generates for the same devices
 * (the chardev backend options are compared with libvirt's in the
 * tests), in QEMU's key=value form for QEMU >= 6, with three deliberate
 * differences: ids carry a prefix ("vschan-") so they never collide with
 * libvirt's or qemu-server's; virtio ports go on vschan's own
 * virtio-serial-pci controller with explicit port numbers; every value
 * goes through one escaping function, so no path or name can add an
 * option. */
#pragma once

#include "model/chardev.h"
#include "util/diag.h"

#include <stdbool.h>
#include <stddef.h>

#define VSC_QEMU_DEFAULT_PREFIX "vschan-"
#define VSC_QEMU_TLS_DIR "/etc/pki/qemu"   /* libvirt's default_tls_x509_cert_dir */

typedef struct {
  /* Prefix of every id; NULL means VSC_QEMU_DEFAULT_PREFIX.  Must be a
   * valid QEMU id on its own (a letter, then letters, digits, '-', '.',
   * '_'). */
  const char *id_prefix;
  /* bus= and addr= of the virtio-serial-pci controller (e.g. "pci.2",
   * "0x1f"); NULL lets QEMU place it. */
  const char *controller_bus;
  const char *controller_addr;
  /* Where unix sockets without a path go, listening, named as libvirt
   * names them: DIR/<port name>, or DIR/vioser-00-00-<port>.sock for a
   * port without a name fit for a file.  NULL: such a device is an
   * error. */
  const char *socket_dir;
  /* The QEMU the arguments are for (VSC_QEMU_VERSION); 0: before 9.2. */
  unsigned qemu_version;
  /* The machine type (-machine), for the name of the PCI root bus of an
   * explicit PCI address: pcie.0 on q35, pci.0 otherwise (NULL: pc). */
  const char *machine;
  /* The guest's memory as -m gives it ("4G", "256M", or MiB), for the
   * shared memory object vhost-user devices need; NULL: none given (an
   * error when there are such devices). */
  const char *memory;
  /* The guest's memory is shared already (qemu-server's own backends):
   * no memory object, whatever memory says. */
  bool memory_shared;
  /* TLS of a tcp source with tls=yes, as libvirt's qemu.conf gives it
   * (chardev_tls_x509_cert_dir, chardev_tls_x509_verify): the x509
   * directory (NULL: VSC_QEMU_TLS_DIR) and whether the peer's
   * certificate is verified (verify-peer; tls_no_verify turns it off). */
  const char *tls_dir;
  bool tls_no_verify;
} vsc_qemu_opts;

/* QEMU's -m SIZE into bytes: a number with an optional suffix K, M, G or
 * T (powers of 1024; no suffix: MiB).  -1 when s is not such a size. */
int vsc_qemu_memory_parse(const char *s, unsigned long long *bytes);

#define VSC_QEMU_VERSION(major, minor) ((major) * 1000u + (minor))

/* "9.2" or "9.2.0" into *version; -1 when s is not such a version. */
int vsc_qemu_version_parse(const char *s, unsigned *version);
/* The version of the QEMU installed here (kvm on Proxmox VE, else
 * qemu-system-x86_64 in PATH), or 0 when there is none. */
unsigned vsc_qemu_version_detect(void);

/* Build the arguments for every device of set: for each device its
 * -chardev followed by its -device (or -netdev for guestfwd), preceded
 * by the virtio-serial-pci controller when a virtio port needs one.
 * set must have passed the rule pass (vsc_rules_require_clean): what the
 * rules refuse is not checked again here, only what these arguments
 * cannot express (vschan's one controller, ISA indices, TLS, values QEMU
 * cannot carry).
 * On success *argv holds *argc strings plus a terminating NULL (free
 * with vsc_qemu_argv_free).  On failure every problem is recorded in
 * diags, *argv is NULL and -1 is returned. */
int vsc_qemu_build_argv(const vsc_devset *set, const vsc_qemu_opts *opts,
                        char ***argv, size_t *argc, vsc_diags *diags);
void vsc_qemu_argv_free(char **argv, size_t argc);

/* The arguments vsc_qemu_build_argv writes for dev alone, one per line
 * (its controller included), to compare devices as QEMU sees them; ""
 * when they cannot be written.  Caller frees. */
char *vsc_qemu_device_text(const vsc_chardev *dev, const vsc_qemu_opts *opts);

/* The one escaping function for a value in a QEMU option string
 * (key=value,key=value): a literal ',' becomes ",,".  Caller frees. */
char *vsc_qemu_escape_value(const char *value);

/* Why QEMU's command line, QMP or a one-line config cannot carry value,
 * or NULL if it can: control characters (newline, tab, ...) and bytes
 * that are not UTF-8 are refused. */
const char *vsc_qemu_value_problem(const char *value);

/* Whether id is a valid QEMU id: a letter, then letters, digits, '-',
 * '.' and '_'. */
bool vsc_qemu_id_valid(const char *id);

/* Whether qemu-server or libvirt use id for an object of their own
 * (ids.c); vsc_qemu_build_argv refuses to make such an id (rule
 * "qemu-id-collision"). */
bool vsc_qemu_id_reserved(const char *id);

/* One line that a POSIX shell, and Perl's Text::ParseWords::shellwords
 * (what Proxmox splits `args:` with), both split back into exactly
 * argv: `eval "set -- $(vschan qemu-args spec.json)"`.  Caller frees. */
char *vsc_qemu_argv_to_shell(char *const *argv, size_t n);

/* One argument per line (--argv).  An argument containing a newline
 * cannot be written so: recorded in diags, NULL returned. */
char *vsc_qemu_argv_to_lines(char *const *argv, size_t n, vsc_diags *diags);

/* ---- QEMU's arguments read back (read.c) ---- */

/* The value of key in a QEMU option string ("socket,id=x,path=a,,b"), as
 * QEMU's parser reads it: ",," is a comma, a first item without '=' is
 * implied's value (the backend, the driver), the last one wins.  NULL
 * when absent.  Caller frees. */
char *vsc_qemu_opt_value(const char *opts, const char *implied, const char *key);

/* The character devices of a QEMU argument list (an args: line): each
 * -chardev with the -device (virtserialport, virtconsole, isa-serial,
 * pci-serial, usb-serial, isa-debugcon, isa-parallel; their ISA or PCI
 * address as argv.c writes it) or -netdev user,guestfwd= that
 * uses it, and every -serial/-parallel (QEMU's legacy strings, or
 * chardev:ID), added to set in the order of the arguments.  used (n
 * entries, optional, zeroed) gets for each word read, option words
 * included, 1 + the number in set of the device it went into (SIZE_MAX:
 * read, no device: -serial none); 0 stays for the others.  A device the
 * model cannot hold (a chardev multiplexed otherwise than with the
 * monitor, TLS credentials it cannot read, an option it has no field
 * for) is left unread with a warning naming it (rule "qemu-import").  A device whose chardev id starts with alias_prefix
 * (vschan's own, NULL: none) gets the user alias "ua-REST", from which
 * vschan derives that id again.  Returns 0. */
int vsc_qemu_read_args(char *const *argv, size_t n, const char *alias_prefix, vsc_devset *set, size_t *used,
                       vsc_diags *diags);

/* A legacy -serial or -parallel string as QEMU 7.2 reads it
 * (qemu_chr_parse_compat): /dev/..., null, pty, stdio, vc, msmouse,
 * braille, file:, pipe:, unix:PATH[,opts], tcp:[HOST]:PORT[,opts],
 * telnet:[HOST]:PORT[,opts], udp:[HOST]:PORT[@[LHOST]:LPORT], with
 * QEMU's defaults made explicit (udp: an empty host is localhost; tcp:
 * every address when listening, localhost when connecting).  NULL with
 * *why (caller frees) when QEMU has no such form or the model cannot
 * hold it (mon:, vc:WxH, a server that waits). */
vsc_chardev *vsc_qemu_read_legacy(const char *s, vsc_kind kind, char **why);

/* Whether an option value is in QEMU's legacy -serial syntax rather than
 * virt-install's TYPE[,key=value]...: a path, a "backend:" prefix, none,
 * msmouse or braille. */
bool vsc_qemu_legacy_form(const char *s);

