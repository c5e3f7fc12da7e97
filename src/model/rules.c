/* The rules.  Each check names its rule id; the table below is the list
 * users see (vschan-spec(5), `vschan validate --list-rules`). */
#include "rules.h"
#include "backend.h"
#include "vhost.h"

#include "util/buf.h"
#include "util/str.h"
#include "util/strset.h"
#include "util/text.h"

#include <arpa/inet.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every rule id vschan reports, once: its severity, its class (what the
 * exit status says, vsc_diags_exit_code), its layer and what it means.
 * The device model's rules are documented in vschan-spec(5); `vschan
 * validate --list-rules` lists them and the input layer.
 * tests/man/check-rule-ids.py holds the code to this table: no other id
 * is reported, each with the class given here. */
const vsc_rule_info vsc_rules[] = {
  /* What a document is and whether it can be read. */
  { "io", VSC_SEV_ERROR, VSC_CLASS_IO, VSC_LAYER_INPUT, "the file cannot be read (exit status 2)" },
  { "input-kind", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "the document is not a domain, a device fragment or a vschan spec" },
  { "input-size", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "the file is larger than vschan reads (64 MiB)" },
  { "xml-syntax", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "the XML is not well-formed (or not UTF-8 as declared)" },
  { "xml-doctype", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "DOCTYPE and entity declarations are refused: libvirt never writes them" },
  { "schema", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "libvirt's RNG schema (or the bundled one) rejects the element" },
  { "xml-structure", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "libvirt's parser rejects the structure (e.g. two <source> elements)" },
  { "xml-bad-value", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "libvirt's parser rejects the value" },
  { "spec-syntax", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "the vschan spec is not JSON, or has a key or value the spec does not take "
    "(see vschan-spec(5))" },
  { "fleet", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "a fleet file (apply --fleet) has the form vschan(1) gives it" },
  { "spec", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_INPUT,
    "the vschan spec is not valid (see vschan-spec(5))" },
  { "option-syntax", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_OPTION,
    "a --channel, --console, --serial or --parallel option is not virt-install's syntax" },
  /* The device model: what libvirt's QEMU driver refuses (errors) and what
   * it accepts but then fails or does something else (warnings). */
  { "target-missing", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "a channel needs a target type" },
  { "target-type", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "the target type belongs to another element or is not supported by QEMU" },
  { "spicevmc-target", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "spicevmc only on a <channel> with a virtio target" },
  { "guestfwd-address", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "guestfwd needs an IPv4 address" },
  { "guestfwd-port", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "guestfwd needs a port" },
  { "source-path", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "file, pipe, dev and unix (except virtio channels) need a source path" },
  { "tcp-host", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "tcp needs a host" },
  { "tcp-service", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "tcp needs a service (port)" },
  { "udp-service", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "udp needs the service of its connect end" },
  { "udp-sources", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "two udp sources are one bind and one connect end (libvirt keeps one of two alike)" },
  { "reconnect-mode", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "reconnect only in connect mode" },
  { "wait-mode", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "wait (QEMU's) only in bind mode" },
  { "channel-path-dropped", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a virtio channel's socket path is not of the form libvirt generates (.../domain-NAME/TARGET): "
    "libvirt drops such a path at define and listens on its own" },
  { "reconnect-timeout", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "an enabled reconnect needs a timeout greater than 0" },
  { "source-channel", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "spiceport and dbus need a channel name of [A-Za-z0-9_.-]" },
  { "alias-format", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "aliases use [A-Za-z0-9_.-] (user aliases: ua- and then those)" },
  { "console-serial-first", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "only the first console can be a serial console" },
  { "serial-model", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "the serial target model matches the target type" },
  { "target-arch", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "the target type exists on the guest architecture" },
  { "virtio-port-unique", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "explicit virtio-serial ports are unique" },
  { "virtio-port-range", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "virtio-serial ports fit the controller's ports" },
  { "address-type", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "the address type fits the device" },
  { "usb-serial-usb", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a usb-serial port needs USB (no <controller type='usb' model='none'/>)" },
  { "spice-graphics", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "spicevmc and spiceport need <graphics type='spice'>" },
  { "isa-serial-max", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, "at most 4 ISA serial ports" },
  { "backend-unsupported", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "the backend does not exist on QEMU (nmdm is bhyve's); libvirt defines it, starting fails" },
  { "spicevmc-name", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a spicevmc channel is named com.redhat.spice.0; libvirt defines another name, starting fails" },
  { "guestfwd-network", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a guestfwd address is in QEMU's user network 10.0.2.0/24 and not its host (.2) or DNS (.3) "
    "address; libvirt defines others, QEMU refuses to start" },
  { "guestfwd-port-zero", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a guestfwd port is 1 to 65535; libvirt defines port 0" },
  { "host-virt-type", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "the domain type (kvm, qemu) is one the host offers for the domain's arch (checked when vschan "
    "validate --host reads the host's capabilities)" },
  { "host-machine", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "the machine type is one the host's QEMU has for the domain's arch (checked when vschan "
    "validate --host reads the host's capabilities)" },
  { "spice-tls", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a SPICE TLS port (spice listening on an address, no autoport) needs spice_tls = 1 in the host's "
    "qemu.conf (checked when vschan validate reads it)" },
  { "spice-tls-autoport", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "secure SPICE channels with autoport need spice_tls = 1 in the host's qemu.conf; libvirt defines "
    "the domain, starting fails" },
  { "alias-unique", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "aliases are unique (libvirt refuses a duplicate)" },
  { "alias-unique-first-serial", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "the first serial port's alias is unique too: libvirt does not check it (the serial console "
    "shares it) and defines a duplicate, QEMU refuses to start" },
  { "system-serial-arch", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "system-serial is for machines with a platform serial port; libvirt defines it on x86, starting fails" },
  { "virtio-address", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "virtio channels and consoles take a virtio-serial address; libvirt defines others" },
  { "address-attr", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "an address attribute its type does not have; libvirt drops it" },
  { "address-value", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "an address attribute's value has the form libvirt's schema gives it" },
  { "channel-name-unique", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "two virtio ports with the same name (QEMU refuses to start)" },
  { "channel-name-chars", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "virtio port names use [A-Za-z0-9_.-]" },
  { "vhost-socket", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a vhost-user device names its daemon's socket (virtiofs: a socket, or a directory for libvirt's virtiofsd)" },
  { "vhost-socket-relative", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "the socket path of a QEMU-only vhost-user device is absolute (QEMU would resolve it against its own "
    "directory; libvirt's schema refuses a relative one elsewhere)" },
  { "vhost-socket-shared", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "each vhost-user socket serves one device, and no chardev of the domain binds it" },
  { "vhost-target", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a virtiofs filesystem has a target dir (the guest's mount tag), a vhost-user disk a target dev" },
  { "vhost-target-unique", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "each filesystem has its own tag and each disk its own target dev (libvirt refuses a duplicate)" },
  { "boot-order-unique", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "each device has its own boot order (libvirt refuses a duplicate)" },
  { "vhost-shared-memory", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "virtiofs and vhost-user disks require shared guest memory (libvirt refuses them without)" },
  { "vhost-shared-memory-net", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a vhost-user interface needs shared guest memory: libvirt defines it, but the back end cannot map the guest's RAM" },
  { "virtiofs-queue", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a virtiofs queue size is a power of two up to 1024 (QEMU refuses others at start)" },
  { "virtiofs-accessmode", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "libvirt's virtiofsd only supports accessmode passthrough" },
  { "vhost-net-model", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a vhost-user interface has a virtio model" },
  { "vhost-net-mode", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a vhost-user interface's source has mode client or server, and reconnect only in client mode" },
  { "vhost-disk-bus", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a vhost-user disk is on the virtio bus" },
  { "unix-path-shared", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "two devices on the same unix socket path" },
  { "unix-path-length", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a unix socket path fits the 107 bytes of sun_path" },
  { "protocol-ignored", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "telnets/tls protocols, or a protocol on a non-tcp backend, are ignored by libvirt" },
  { "xen-target", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "xen channel targets do not work on QEMU" },
  { "source-unused", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a source field the backend does not read" },
  { "target-unused", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a target field the target type does not have (a port on a virtio channel)" },
  { "serial-port-unique", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "serial target ports are unique; libvirt defines duplicates, starting fails" },
  { "guestfwd-unique", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "guestfwd address:port pairs are unique" },
  { "console-compat", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a serial console differs from the serial port it aliases" },
  { "virtio-serial-controller", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "virtio ports need a virtio-serial controller in the domain" },
  { "alias-dropped", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "an alias with '.', which libvirt drops from the persistent definition" },
  { "value-empty", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a path, host, service or log file is not \"\": the XML writer drops an empty attribute, so it would read back as absent" },
  { "log-file-absolute", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "a log file is an absolute path (libvirt's schema refuses another)" },
  { "value-whitespace", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "no tab, newline or carriage return in a value: libvirt writes them raw into its XML, where they read back as spaces" },
  { "host-comma", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_RULES,
    "no ',' in a tcp or udp host or service: libvirt passes them to QEMU without doubling it, as a new option" },
  /* What QEMU's arguments (qemu-args, qm) cannot express. */
  { "option-legacy", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "a --serial/--parallel in QEMU's own syntax is a form QEMU takes and a spec can hold" },
  { "qemu-import", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "a QEMU argument read back is one the model can hold, or it is named and left as it is" },
  { "qemu-value", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "a value holds no control character and is UTF-8, so QEMU's command line can carry it" },
  { "qemu-missing", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "a value QEMU needs is there (a unix channel without a path needs --socket-dir)" },
  { "qemu-unsupported", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "the device exists on x86 QEMU as qemu-args writes it (it writes no TLS credentials)" },
  { "qemu-memory", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "vhost-user devices need the guest's memory shared: --memory SIZE (the -m), memfd" },
  { "qemu-virtiofsd", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "QEMU does not start virtiofsd: a virtiofs filesystem for qemu-args names the socket of one you run" },
  { "qemu-address", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "the address fits the device and vschan's one virtio-serial controller and bus" },
  { "qemu-port", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "each virtio-serial port is used once and fits the controller's ports" },
  { "qemu-isa-index", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "ISA serial ports are 0 to 3, parallel ports 0 to 2, each used once" },
  { "qemu-isa-count", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU, "at most 3 parallel ports" },
  { "qemu-id-collision", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "no id is one libvirt or qemu-server uses for its own objects" },
  { "qemu-id-prefix", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU, "--prefix is a QEMU id" },
  { "qemu-bus", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU, "--bus is a QEMU bus id" },
  { "qemu-addr", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU, "--addr is a PCI slot" },
  { "qemu-argv-newline", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_QEMU,
    "--argv writes one argument per line: none holds a newline" },
  /* Proxmox VE: the VM's config and what qemu-server does with it. */
  { "pve-memory", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "vhost-user devices need the guest's memory shared, which this VM's memory settings cannot give" },
  { "pve-vmid", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE, "a VMID is a number from 100 to 999999999" },
  { "pve-conf", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "the VM's config is a readable text file that pmxcfs takes" },
  { "pve-value", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "a config value fits on one line as it is" },
  { "pve-serial", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "serialN: is serial0 to serial3, a /dev path or socket" },
  { "pve-socket", VSC_SEV_ERROR, VSC_CLASS_USAGE, VSC_LAYER_PVE,
    "a VM's socket is named serialN, qga or a channel's port name, none of qemu-server's others" },
  { "pve-parallel", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "parallelN: is parallel0 to parallel2, /dev/parportN or /dev/usb/lpN" },
  { "pve-serial-index", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "a serial port of vschan's takes an ISA index no other port of the VM has (qemu-server numbers its serialN ports first)" },
  { "pve-serial-count", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "the VM has at most four ISA serial ports in all" },
  { "pve-port-name", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "no virtio-serial port name twice in the VM, qemu-server's ports included" },
  { "pve-spice-not-enabled", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "a spiceport or spicevmc chardev needs a SPICE display" },
  { "pve-args-quotes", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "quotes in args: are balanced, or qemu-server drops the whole line" },
  { "pve-args-line", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE, "no argument holds a line break" },
  { "pve-args-owner", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "every device vschan puts in args: has an id with its prefix, so the next run finds it" },
  { "pve-internal", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "the quoted args: split back into the arguments (a bug of vschan otherwise)" },
  { "pve-pending", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "a pending change of the same key overrides the change at the next start" },
  { "pve-digest", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE, "the config is the one --digest names" },
  { "pve-locked", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "the VM is not locked by a task (unless --force)" },
  { "pve-lock-timeout", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "the config's lock was free within the timeout" },
  { "pve-lock", VSC_SEV_ERROR, VSC_CLASS_IO, VSC_LAYER_PVE,
    "the config's lock file cannot be opened or locked" },
  { "pve-write", VSC_SEV_ERROR, VSC_CLASS_IO, VSC_LAYER_PVE, "the config cannot be written" },
  { "pve-backend", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "the backend works in a QEMU that qemu-server starts (-daemonize refuses stdio)" },
  { "pve-duplicate-key", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "a key vschan writes is in the config (or its pending section) once" },
  { "pve-owner", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "vschan changes only the serialN:/agent: lines its record names (--force takes one over)" },
  { "pve-no-config", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_PVE,
    "a qm set command is computed against the VM's config, which keeps the user's args: and lines" },
  /* libvirt and the domain. */
  { "fleet-selected-twice", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "apply --fleet: one entry, one spec, per domain of a host" },
  { "fleet-no-match", VSC_SEV_WARNING, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "apply --fleet/--domains: a pattern or tag selects at least one domain of its host" },
  { "xml-option", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "libvirt's XML carries no QEMU-only source option (wait, nodelay, a console's size)" },
  { "xml-device", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "a vhost-user device libvirt 9.0's XML cannot express (vsock, rng, ...): qemu-args and qm write it" },
  { "xml-memory-backing", VSC_SEV_ERROR, VSC_CLASS_USAGE, VSC_LAYER_LIBVIRT,
    "a spec's memoryBacking belongs to the domain, not to <devices>: written with --into only" },
  { "virt-memory-backing", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "add and apply cannot change memoryBacking, which is the domain's, not a device" },
  { "xml-backend", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "the backend exists in libvirt's domain XML (msmouse and braille are QEMU's only: qemu-args and qm write them)" },
  { "libvirt", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_LIBVIRT,
    "libvirt refused or failed; its message follows" },
  { "libvirt-not-running", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_LIBVIRT,
    "libvirt says the domain is not running" },
  { "libvirt-open", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_LIBVIRT,
    "libvirt cannot open a stream to the device" },
  { "libvirt-unplug", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_LIBVIRT,
    "the guest or QEMU refused to unplug the device" },
  { "libvirt-timeout", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_LIBVIRT,
    "the device was not gone within the timeout" },
  { "virt-not-running", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "--live on a domain that is not running" },
  { "virt-transient", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "--config or --inactive on a domain without a persistent definition" },
  { "virt-no-controller", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "a running domain without a virtio-serial controller takes no virtio port (QEMU cannot hot-plug the controller)" },
  { "virt-ports", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "the virtio-serial controller has a free port" },
  { "virt-unknown-device", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "the domain has a device of that name" },
  { "virt-not-in-definition", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_LIBVIRT,
    "the device is in the definition it is removed from" },
  /* A running guest: its devices, and its agent through libvirt. */
  { "guest-not-running", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_GUEST, "the domain is running" },
  { "guest-no-agent-channel", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_GUEST,
    "the running domain has the guest agent channel" },
  { "guest-agent-channel-type", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_GUEST,
    "the guest agent channel is a unix socket, as libvirt needs" },
  { "guest-agent-channel-busy", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_GUEST,
    "connect opens no guest agent channel: libvirt holds it" },
  { "guest-backend", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_GUEST,
    "the device's backend carries a stream vschan can open" },
  { "guest-ambiguous-device", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_GUEST,
    "the name names one device" },
  { "guest-not-live", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_GUEST,
    "the device is in the running domain" },
  { "guest-socket-path", VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_GUEST, "the socket path fits sun_path" },
  { "guest-connect", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_GUEST, "the socket or pty cannot be opened" },
  { "guest-io", VSC_SEV_ERROR, VSC_CLASS_IO, VSC_LAYER_GUEST, "vschan cannot make a socket or pipe" },
  { "guest-io-local", VSC_SEV_ERROR, VSC_CLASS_IO, VSC_LAYER_GUEST,
    "reading the input or writing the output failed" },
  { "guest-input-lost", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_GUEST,
    "the other end closed before it took all of the input" },
  { "guest-output-closed", VSC_SEV_ERROR, VSC_CLASS_IO, VSC_LAYER_GUEST,
    "the output was closed before the device's bytes were written" },
  { "guest-stalled", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_GUEST, "the device took no more input" },
  { "guest-stream-ended", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_GUEST, "libvirt's stream failed" },
  { "guest-stopped", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_GUEST,
    "the domain stopped while vschan waited" },
  { "guest-timeout", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_GUEST,
    "the guest agent did not answer in time" },
  /* The guest agent (qemu-ga). */
  { "agent-connect", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the agent's socket cannot be connected" },
  { "agent-lock", VSC_SEV_ERROR, VSC_CLASS_IO, VSC_LAYER_AGENT,
    "the lock file of the agent's socket cannot be opened or locked" },
  { "agent-busy", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "another vschan process holds the agent's socket" },
  { "agent-io", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "reading or writing the agent's socket failed" },
  { "agent-closed", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT, "the agent closed the connection" },
  { "agent-timeout", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT, "the agent did not answer in time" },
  { "agent-not-connected", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the guest has not opened the agent's port" },
  { "agent-not-configured", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "libvirt says the domain has no agent channel" },
  { "agent-garbage", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the agent sent something that is not JSON" },
  { "agent-reply-too-large", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the agent's reply is larger than vschan reads" },
  { "agent-bad-reply", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the agent's reply is not what the command returns" },
  { "agent-error", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT, "the agent answered with an error" },
  { "agent-command-disabled", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the agent does not know the command, or its policy disables it" },
  { "agent-frozen", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT, "the guest's file systems are frozen" },
  { "agent-exec-timeout", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the program in the guest did not end in time" },
  { "agent-exec-truncated", VSC_SEV_WARNING, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the agent cut the program's output" },
  { "agent-exec-signal", VSC_SEV_WARNING, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the program in the guest was killed by a signal" },
  { "agent-file", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT,
    "the agent wrote less of the file than it was given" },
  { "agent-interrupted", VSC_SEV_ERROR, VSC_CLASS_PEER, VSC_LAYER_AGENT, "a file transfer was interrupted" },
  { "agent-local-io", VSC_SEV_ERROR, VSC_CLASS_IO, VSC_LAYER_AGENT,
    "the local file or standard input cannot be read or written" },
  { "agent-raw-json", VSC_SEV_ERROR, VSC_CLASS_USAGE, VSC_LAYER_AGENT,
    "raw takes one JSON object with \"execute\"" },
  { "agent-exec", VSC_SEV_ERROR, VSC_CLASS_USAGE, VSC_LAYER_AGENT, "exec takes a program" },
  { NULL, VSC_SEV_ERROR, VSC_CLASS_INVALID, VSC_LAYER_RULES, NULL },
};

VSC_ENUM_IMPL(vsc_rule_layer, VSC_LAYER_LAST,
              "input", "option", "rules", "qemu", "pve", "libvirt", "guest", "agent");

static vsc_severity severity_of(const char *id)
{
  for (const vsc_rule_info *r = vsc_rules; r->id; r++)
    if (strcmp(r->id, id) == 0)
      return r->severity;
  return VSC_SEV_ERROR;
}

typedef struct {
  const vsc_devset *set;
  const vsc_domain_info *domain;
  vsc_diags *diags;
  size_t found;
  bool own_only;   /* warnings about the domain's own devices are dropped */
} checker;

/* Report rule on dev; sub is the JSON pointer below the device
 * ("/target/port") used when the device came from a spec. */
static void __attribute__((format(printf, 6, 7)))
report(checker *c, const vsc_chardev *dev, const char *sub, const char *rule,
       const char *hint, const char *fmt, ...)
{
  char msg[1024];
  VSC_AUTOFREE(char) pointer = NULL;
  VSC_AUTOFREE(char) what = dev ? vsc_chardev_describe(dev) : NULL;
  va_list ap;
  vsc_loc loc = { 0 };
  vsc_severity severity = severity_of(rule);

  if (c->own_only && dev && dev->origin.in_domain && severity == VSC_SEV_WARNING)
    return;
  if (dev) {
    loc.file = dev->origin.file;
    loc.line = dev->origin.line;
    if (dev->origin.pointer)
      pointer = vsc_asprintf("%s%s", dev->origin.pointer, sub ? sub : "");
    loc.pointer = pointer;
  }
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (what)
    vsc_diag_add(c->diags, severity, &loc, rule, hint, "%s: %s", what, msg);
  else
    vsc_diag_add(c->diags, severity, &loc, rule, hint, "%s", msg);
  c->found++;
}


static bool is_x86(const vsc_domain_info *d)
{
  const char *arch = d && d->arch ? d->arch : "x86_64";
  return strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0;
}

/* Names of the groups of source fields, for messages. */
static const struct {
  unsigned int group;
  const char *name;
} field_groups[] = {
  { VSC_SRC_MODE, "mode" },       { VSC_SRC_PATH, "path" },         { VSC_SRC_HOST, "host" },
  { VSC_SRC_SERVICE, "service" }, { VSC_SRC_APPEND, "append" },     { VSC_SRC_TLS, "tls" },
  { VSC_SRC_CHANNEL, "channel" }, { VSC_SRC_NMDM, "master/slave" }, { VSC_SRC_RECONNECT, "reconnect" },
  { VSC_SRC_VDAGENT, "clipboard/mouse" }, { VSC_SRC_WAIT, "wait" }, { VSC_SRC_NODELAY, "nodelay" },
  { VSC_SRC_VC_SIZE, "width/height/cols/rows" },
};

/* The groups of fields s gives. */
static unsigned int given_groups(const vsc_source *s)
{
  unsigned int groups = 0;
  for (size_t i = 0; i < VSC_SF_LAST; i++)
    if (vsc_source_field_given(s, &vsc_source_fields[i]))
      groups |= vsc_source_fields[i].group;
  if (s->has_reconnect)
    groups |= VSC_SRC_RECONNECT;
  return groups;
}

static void check_source_fields(checker *c, const vsc_chardev *dev, const vsc_backend_info *bi)
{
  /* libvirt reports the pty it allocated as source path in live XML */
  unsigned int allowed = bi->fields | VSC_SRC_SECLABEL | ((bi->flags & VSC_BF_PTY_PATH) ? VSC_SRC_PATH : 0);
  for (size_t i = 0; i < dev->nsources; i++) {
    unsigned int unused = given_groups(&dev->sources[i]) & ~allowed;
    for (size_t g = 0; g < VSC_N_ELEMENTS(field_groups); g++)
      if (unused & field_groups[g].group)
        report(c, dev, "/source", "source-unused", "remove it, or pick the backend that uses it",
               "a '%s' backend does not use source %s; libvirt ignores it",
               vsc_backend_to_string(vsc_chardev_backend(dev)), field_groups[g].name);
  }
}

static bool is_ipv4(const char *s)
{
  struct in_addr a;
  return s && inet_pton(AF_INET, s, &a) == 1;
}

/* QEMU's user network for guestfwd (libvirt gives each guestfwd channel a
 * -netdev user of its own, with slirp's defaults): 10.0.2.0/24, whose
 * .2 is the host and .3 the DNS server.  slirp refuses to forward to
 * those or out of the network. */
static const char *guestfwd_address_problem(const char *s)
{
  struct in_addr a;
  if (!s || inet_pton(AF_INET, s, &a) != 1)
    return NULL;
  uint32_t v = ntohl(a.s_addr);
  if ((v & 0xffffff00u) != 0x0a000200u)
    return "outside QEMU's user network 10.0.2.0/24";
  if (v == 0x0a000202u)
    return "the user network's host address (10.0.2.2)";
  if (v == 0x0a000203u)
    return "the user network's DNS address (10.0.2.3)";
  return NULL;
}

static bool looks_ipv6(const char *s)
{
  return s && strchr(s, ':');
}

static void check_target(checker *c, const vsc_chardev *dev, size_t console_index)
{
  vsc_target_type tt = vsc_chardev_target_type(dev);
  const char *tts = vsc_target_type_to_string(tt);

  if (dev->kind == VSC_KIND_CHANNEL && tt == VSC_TARGET_ABSENT) {
    report(c, dev, "/target", "target-missing",
           "give it a virtio target with a port name (such as org.example.app.0) or a guestfwd target",
           "target type must be specified for channel device");
    return;
  }
  if (!vsc_target_type_allowed(dev->kind, tt)) {
    report(c, dev, "/target/type", "target-type", "see vschan-spec(5) for the target types of each element",
           "target type '%s' is not valid for a %s",
           tts, vsc_kind_to_string(dev->kind));
    return;
  }
  switch (tt) {
  case VSC_TARGET_GUESTFWD:
    if (!dev->target.address)
      report(c, dev, "/target/address", "guestfwd-address", "give the target an IPv4 address, such as 10.0.2.1",
             "a guestfwd channel needs a target address");
    else if (looks_ipv6(dev->target.address))
      report(c, dev, "/target/address", "guestfwd-address", "use an IPv4 address of the user network, such as 10.0.2.1",
             "guestfwd channel only supports IPv4 addresses, not '%s'", dev->target.address);
    else if (!is_ipv4(dev->target.address))
      report(c, dev, "/target/address", "guestfwd-address", "use an IPv4 address such as 10.0.2.1",
             "'%s' is not an IPv4 address", dev->target.address);
    else if (guestfwd_address_problem(dev->target.address))
      report(c, dev, "/target/address", "guestfwd-network",
             "use an address of 10.0.2.0/24 other than .2 and .3, such as 10.0.2.1",
             "guestfwd address %s is %s: libvirt defines it, QEMU refuses to start (Conflicting/invalid "
             "host:port in guest forwarding rule)", dev->target.address,
             guestfwd_address_problem(dev->target.address));
    if (!dev->target.has_port)
      report(c, dev, "/target/port", "guestfwd-port", "give the target a port, such as 4600",
             "a guestfwd channel needs a target port from 1 to 65535");
    else if (dev->target.port == 0)
      report(c, dev, "/target/port", "guestfwd-port-zero", "use the guest-side port to forward, e.g. 4600",
             "guestfwd port 0 forwards nothing; use a port from 1 to 65535");
    break;
  case VSC_TARGET_XEN:
    if (dev->kind == VSC_KIND_CHANNEL)
      report(c, dev, "/target/type", "xen-target", "use a virtio target on QEMU/KVM",
             "a xen channel target does not work on QEMU (libvirt fails with 'An error occurred, but the cause is unknown')");
    else
      report(c, dev, "/target/type", "target-type", "use a serial or virtio console on QEMU/KVM",
             "unsupported console target type xen");
    break;
  case VSC_TARGET_LXC:
  case VSC_TARGET_OPENVZ:
  case VSC_TARGET_UML:
    report(c, dev, "/target/type", "target-type", "use a serial or virtio console on QEMU/KVM",
           "unsupported console target type %s", tts);
    break;
  case VSC_TARGET_SERIAL:
    if (dev->kind == VSC_KIND_CONSOLE && console_index > 0)
      report(c, dev, "/target/type", "console-serial-first",
             "make it a virtio console (target type virtio)",
             "only the first console can be a serial port");
    break;
  case VSC_TARGET_SYSTEM_SERIAL:
    /* with a model (pl011 for ARM, 16550a for RISC-V), libvirt refuses
     * it on x86; without one it defines it and QEMU fails */
    if (is_x86(c->domain) && dev->target.model != VSC_MODEL_ABSENT)
      report(c, dev, "/target/model", "target-arch", "x86 guests use isa-serial, pci-serial or usb-serial",
             "Serial device with target type 'system-serial' and target model '%s' not compatible with "
             "guest architecture or machine type", vsc_serial_model_to_string(dev->target.model));
    else if (is_x86(c->domain))
      report(c, dev, "/target/type", "system-serial-arch", "x86 guests use isa-serial, pci-serial or usb-serial",
             "target type 'system-serial' is for ARM and RISC-V machines; on x86 QEMU fails to start "
             "('Invalid target model for serial device')");
    break;
  case VSC_TARGET_SCLP:
  case VSC_TARGET_SCLPLM:
  case VSC_TARGET_SPAPR_VIO_SERIAL:
  case VSC_TARGET_SCLP_SERIAL:
    if (is_x86(c->domain))
      report(c, dev, "/target/type", "target-arch", "x86 guests use isa-serial, pci-serial or usb-serial",
             "target type '%s' is not compatible with the x86 guest architecture", tts);
    break;
  case VSC_TARGET_ABSENT:
  case VSC_TARGET_VIRTIO:
  case VSC_TARGET_ISA_SERIAL:
  case VSC_TARGET_USB_SERIAL:
  case VSC_TARGET_PCI_SERIAL:
  case VSC_TARGET_ISA_DEBUG:
  case VSC_TARGET_LAST:
    break;
  }

  if (dev->kind == VSC_KIND_SERIAL && dev->target.model != VSC_MODEL_ABSENT && dev->has_target &&
      dev->target.type != VSC_TARGET_ABSENT) {
    vsc_serial_model want = vsc_serial_model_for_target(tt);
    bool ok = want == dev->target.model;
    if (tt == VSC_TARGET_SYSTEM_SERIAL)
      ok = dev->target.model == VSC_MODEL_PL011 || dev->target.model == VSC_MODEL_16550A;
    if (!ok)
      report(c, dev, "/target/model", "serial-model",
             want ? "drop the model, or use the one that belongs to the type" : NULL,
             "target model '%s' does not belong to target type '%s'%s%s%s",
             vsc_serial_model_to_string(dev->target.model), tts, want ? "; it takes '" : "",
             want ? vsc_serial_model_to_string(want) : "", want ? "'" : "");
  }
  if (dev->target.model != VSC_MODEL_ABSENT && dev->kind != VSC_KIND_SERIAL)
    report(c, dev, "/target/model", "target-type", "remove the model", "only serial ports take a target model");

  /* What libvirt reads of a target besides its type: the name of a virtio
   * or xen channel, the address and port of guestfwd, the port of the
   * others.  It ignores the rest, and its schema refuses it. */
  bool named = dev->kind == VSC_KIND_CHANNEL && (tt == VSC_TARGET_VIRTIO || tt == VSC_TARGET_XEN);
  const char *unused = NULL;
  if (!named && dev->target.name)
    unused = "name";
  else if (dev->target.address && tt != VSC_TARGET_GUESTFWD)
    unused = "address";
  else if (named && dev->target.has_port)
    unused = "port";
  if (unused) {
    VSC_AUTOFREE(char) sub = vsc_asprintf("/target/%s", unused);
    report(c, dev, sub, "target-unused", "remove it, or pick the target type that uses it",
           "a '%s' target does not use %s; libvirt ignores it", tts, unused);
  }

  if (tt == VSC_TARGET_VIRTIO && dev->target.name &&
      !vsc_text_only_chars(dev->target.name, "_.-"))
    report(c, dev, "/target/name", "channel-name-chars",
           "use letters, digits, '.', '_' and '-', as in org.example.app.0",
           "virtio port name '%s' has characters other than [A-Za-z0-9_.-]", dev->target.name);
}

/* What the backend needs: one rule each (the row's needs). */
static void check_needs(checker *c, const vsc_chardev *dev, const vsc_backend_info *bi)
{
  const vsc_source *src = vsc_chardev_main_source(dev);
  const char *bs = vsc_backend_to_string(vsc_chardev_backend(dev));

  for (const vsc_source_need *n = bi->needs; n->field != VSC_SF_LAST; n++) {
    const char *v = src ? vsc_source_field_string(src, &vsc_source_fields[n->field]) : NULL;
    bool missing = !v || (n->name_chars && (!*v || !vsc_text_only_chars(v, "_.-")));
    /* A unix virtio channel gets a path from libvirt. */
    if (!missing || (n->field == VSC_SF_PATH && vsc_chardev_path_generated(dev)))
      continue;
    /* The row's message names the backend where it says %s. */
    const char *at = strstr(n->message, "%s");
    if (at)
      report(c, dev, n->sub, n->rule, n->hint, "%.*s%s%s", (int)(at - n->message), n->message, bs, at + 2);
    else
      report(c, dev, n->sub, n->rule, n->hint, "%s", n->message);
  }
}

static void check_source(checker *c, const vsc_chardev *dev)
{
  const vsc_backend_info *bi = vsc_chardev_backend_info(dev);
  vsc_target_type tt = vsc_chardev_target_type(dev);
  const char *bs = vsc_backend_to_string(vsc_chardev_backend(dev));
  const vsc_source *src = vsc_chardev_main_source(dev);

  check_source_fields(c, dev, bi);

  if (!bi->qemu_driver)
    report(c, dev, "/type", "backend-unsupported", bi->qemu_missing_hint,
           "unsupported chardev '%s': libvirt defines it, but the guest cannot start on QEMU", bs);
  if (bi->flags & VSC_BF_VIRTIO_ONLY) {
    if (dev->kind != VSC_KIND_CHANNEL || tt != VSC_TARGET_VIRTIO) {
      VSC_AUTOFREE(char) hint = vsc_asprintf("use a channel with a virtio target named %s", bi->port_name);
      report(c, dev, "/type", "spicevmc-target", hint, "%s device type only supports virtio", bs);
    } else if (dev->target.name && strcmp(dev->target.name, bi->port_name) != 0) {
      VSC_AUTOFREE(char) hint = vsc_asprintf("name it %s, or leave the name out", bi->port_name);
      report(c, dev, "/target/name", "spicevmc-name", hint,
             "unsupported %s target name '%s': libvirt defines it, but the guest cannot start", bs,
             dev->target.name);
    }
  }
  check_needs(c, dev, bi);
  if ((bi->flags & VSC_BF_TWO_ENDS) && dev->nsources > 1) {
    size_t binds = 0;
    for (size_t i = 0; i < dev->nsources; i++)
      binds += dev->sources[i].mode == VSC_MODE_BIND;
    if (binds != 1)
      report(c, dev, "/source", "udp-sources",
             "make one source mode bind (the local end) and the other mode connect (the peer)",
             "a %s backend with %zu sources in %s mode; libvirt keeps only one of them", bs, dev->nsources,
             binds ? "bind" : "connect");
  }

  /* A path of the form libvirt generates is dropped at define, and
   * libvirt generates its own, listening. */
  bool dropped = src && vsc_chardev_path_dropped(dev);
  if (dropped && !(src && src->has_reconnect && src->reconnect.enabled == VSC_TRI_YES))
    report(c, dev, "/source/path", "channel-path-dropped",
           "name the socket otherwise (libvirt's pattern is .../domain-NAME/TARGET), or leave the path out",
           "libvirt takes '%s' for a path it generated and drops it: the channel gets a path of its own "
           "choosing, in bind mode", src->path);
  /* reconnect: connect mode only, timeout > 0 when enabled. */
  for (size_t i = 0; i < dev->nsources; i++) {
    const vsc_source *s = &dev->sources[i];
    if (!s->has_reconnect || !(bi->fields & VSC_SRC_RECONNECT))
      continue;
    /* A unix source without a path (or with a dropped one) gets a
     * generated one in bind mode. */
    bool bind = s->mode == VSC_MODE_BIND || ((bi->flags & VSC_BF_GENERATED_PATH) && (!s->path || dropped));
    if (bind && s->reconnect.enabled == VSC_TRI_YES)
      report(c, dev, "/source/reconnect", "reconnect-mode",
             !s->path ? "give a path in connect mode, or remove reconnect"
             : dropped ? "libvirt drops this path as one it generated and listens: name the socket otherwise"
                       : "remove reconnect, or use connect mode",
             "chardev reconnect is possible only for connect mode");
    if (s->reconnect.enabled != VSC_TRI_NO) {
      if (!s->reconnect.has_timeout)
        report(c, dev, "/source/reconnect", "reconnect-timeout", "give reconnect a timeout in seconds, such as 10",
               "an enabled reconnect needs a timeout");
      else if (s->reconnect.timeout == 0)
        report(c, dev, "/source/reconnect/timeout", "reconnect-timeout", "use a timeout of 1 second or more",
               "chardev reconnect source timeout cannot be '0'");
    }
  }

  /* QEMU's wait=on: only a listening socket has a client to wait for */
  for (size_t i = 0; i < dev->nsources; i++) {
    const vsc_source *s = &dev->sources[i];
    bool bind = s->mode == VSC_MODE_BIND || ((bi->flags & VSC_BF_GENERATED_PATH) && !s->path);
    if (s->wait == VSC_TRI_YES && (bi->fields & VSC_SRC_WAIT) && !bind)
      report(c, dev, "/source/wait", "wait-mode", "remove wait, or use bind mode (a server)",
             "only a listening socket waits for its client");
  }

  if (dev->protocol != VSC_PROTOCOL_ABSENT) {
    if (!(bi->flags & VSC_BF_PROTOCOL))
      report(c, dev, "/protocol", "protocol-ignored", "remove the protocol; only tcp reads it",
             "libvirt ignores a protocol on a '%s' backend", bs);
    else if (dev->protocol == VSC_PROTOCOL_TELNETS || dev->protocol == VSC_PROTOCOL_TLS)
      report(c, dev, "/protocol", "protocol-ignored",
             "for TLS set tls on the source (with chardev_tls in qemu.conf) and use protocol raw or telnet",
             "libvirt accepts protocol '%s' but ignores it: the connection is neither telnet nor TLS",
             vsc_protocol_to_string(dev->protocol));
  }

  const char *upath = vsc_chardev_unix_path(dev);
  if (upath && strlen(upath) > VSC_UNIX_PATH_MAX)
    report(c, dev, "/source/path", "unix-path-length", "use a shorter path, e.g. under /run",
           "unix socket path is %zu bytes; sockaddr_un holds at most %d", strlen(upath), VSC_UNIX_PATH_MAX);
}

/* A rule about something a chardev and a vhost-user device share (one of
 * dev, vhost). */
static void __attribute__((format(printf, 7, 8)))
report_on(checker *c, const vsc_chardev *dev, const vsc_vhost *vhost, const char *sub, const char *rule,
          const char *hint, const char *fmt, ...);

static void check_alias(checker *c, const vsc_chardev *dev, const vsc_vhost *vhost, const char *alias)
{
  /* Live XML carries libvirt's own aliases (channel0, serial0, ...). */
  if (!vsc_alias_is_user(alias))
    return;
  /* libvirt's schema: [a-zA-Z0-9_\-.]+ ; "ua-" alone is accepted and works. */
  const char *rest = vsc_alias_bare(alias);
  if (!vsc_text_only_chars(rest, "_.-"))
    report_on(c, dev, vhost, "/alias", "alias-format", "use letters, digits, '_' and '-' after 'ua-'",
              "alias '%s' must be 'ua-' followed by [A-Za-z0-9_.-]", alias);
  /* Defined with a '.', the alias is gone from the persistent definition
   * read back (seen with libvirt 9.0 by the oracle test), so nothing can
   * find the device by it later. */
  else if (strchr(rest, '.'))
    report_on(c, dev, vhost, "/alias", "alias-dropped", "use '_' or '-' instead of '.'",
              "libvirt accepts alias '%s' but drops it from the persistent definition", alias);
}

/* Values libvirt keeps but does not give back.  Its XML writer escapes
 * only <>&'" in attributes, so a tab, newline or CR comes back as a space
 * the next time the XML is read (libvirtd restart, dumpxml, vschan list);
 * and libvirt 9.0 writes a chardev's host= and port= into QEMU's command
 * line with a single ',' left as it is (path= and logfile= are escaped). */
static void check_values(checker *c, const vsc_chardev *dev)
{
  struct { const char *sub, *name, *value; } fields[] = {
    { "/target/name", "target name", dev->target.name },
    { "/log/file", "log file", dev->log_file },
    { "/alias", "alias", dev->alias },
  };
  for (size_t f = 0; f < VSC_N_ELEMENTS(fields); f++)
    if (fields[f].value && strpbrk(fields[f].value, "\t\n\r"))
      report(c, dev, fields[f].sub, "value-whitespace", "remove the character from the value",
             "the %s holds a tab, newline or carriage return, which libvirt reads back as a space",
             fields[f].name);
  if (dev->log_file && !*dev->log_file)
    report(c, dev, "/log/file", "value-empty", "give the log a file, or leave the log out",
           "the log file is \"\"");
  /* absFilePath: '/' (or a drive letter) and something after it */
  else if (dev->log_file && !(dev->log_file[0] == '/' && dev->log_file[1]) &&
           !(isalpha((unsigned char)dev->log_file[0]) && dev->log_file[1] == ':' && dev->log_file[2] == '\\' &&
             dev->log_file[3]))
    report(c, dev, "/log/file", "log-file-absolute", "give the absolute path of the log file",
           "log file '%s' is not an absolute path", dev->log_file);
  for (size_t i = 0; i < dev->nsources; i++) {
    const vsc_source *s = &dev->sources[i];
    /* Each rule reports a source once, at its first field. */
    const char *empty = NULL, *comma = NULL, *comma_value = NULL;
    bool whitespace = false;
    for (size_t f = 0; f < VSC_SF_LAST; f++) {
      const vsc_source_field *field = &vsc_source_fields[f];
      if (field->type != VSC_FIELD_STRING && field->type != VSC_FIELD_SERVICE)
        continue;
      const char *v = vsc_source_field_string(s, field);
      if (!v)
        continue;
      if (!*v && !field->may_be_empty && !empty)
        empty = field->name;
      whitespace |= strpbrk(v, "\t\n\r") != NULL;
      if (field->unescaped && strchr(v, ',') && !comma) {
        comma = field->name;
        comma_value = v;
      }
    }
    if (empty)
      report(c, dev, "/source", "value-empty", "give the value, or leave the key out",
             "source %s is \"\"", empty);
    if (whitespace)
      report(c, dev, "/source", "value-whitespace", "remove the character from the value",
             "a source value holds a tab, newline or carriage return, which libvirt reads back as a space");
    if (comma)
      report(c, dev, "/source", "host-comma", "give a host name, an IP address and a port number",
             "source %s '%s' has a ',', which libvirt passes on to QEMU as the start of another option",
             comma, comma_value);
  }
}

/* Whether value is all of the extended regular expression pattern, or a
 * decimal number up to max (when max is not 0). */
static bool value_has_form(const char *value, const char *pattern, unsigned long max)
{
  if (max && *value && strspn(value, "0123456789") == strlen(value) && strlen(value) <= 10)
    return strtoul(value, NULL, 10) <= max;
  VSC_AUTOFREE(char) anchored = vsc_asprintf("^(%s)$", pattern);
  regex_t re;
  if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
    return false;
  bool ok = regexec(&re, value, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

/* The address of a chardev or a vhost-user device (one of dev, vhost)
 * against libvirt's schema: whether libvirt knows its type. */
static bool check_address_form(checker *c, const vsc_chardev *dev, const vsc_vhost *vhost,
                               const vsc_address *address)
{
  const char *type = address->type;
  /* The types of libvirt's schema (domaincommon.rng, "address"), the
   * attributes of each and the form of their values (the schema's pattern,
   * or a decimal number up to max where it also takes one); libvirt's
   * parser ignores any other attribute. */
  typedef struct {
    const char *name, *pattern;
    unsigned long max;
  } attr_form;
  static const struct {
    const char *type;
    attr_form attrs[6];
  } known[] = {
    { "ccid", { { "controller", "[0-9]{1,2}", 0 }, { "slot", "[0-9]{1,2}", 0 } } },
    { "ccw", { { "cssid", "0x[0-9a-eA-E][0-9a-fA-F]?|0x[fF][0-9a-eA-E]?", 0 },
               { "ssid", "(0x)?[0-3]", 0 }, { "devno", "0x[0-9a-fA-F]{1,4}", 65535 } } },
    { "dimm", { { "slot", "[0-9]+", 0 }, { "base", "(0x)?[0-9a-f]+", 0 } } },
    { "drive", { { "controller", "[0-9]{1,2}", 0 }, { "bus", "[0-9]{1,2}", 0 },
                 { "target", "[0-9]{1,2}", 0 }, { "unit", "[0-9]{1,5}", 0 } } },
    { "isa", { { "iobase", "0x[a-fA-F0-9]{1,4}", 0 }, { "irq", "0x[a-fA-F0-9]", 0 } } },
    { "pci", { { "domain", "(0x)?[0-9a-fA-F]{1,8}", 4294967295UL }, { "bus", "0x[0-9a-fA-F]{1,2}", 255 },
               { "slot", "(0x)?[0-1]?[0-9a-fA-F]", 31 }, { "function", "(0x)?[0-7]", 7 },
               { "multifunction", "on|off", 0 } } },
    { "spapr-vio", { { "reg", "(0x)?[0-9a-fA-F]{1,8}", 0 } } },
    { "unassigned", { { NULL, NULL, 0 } } },
    { "usb", { { "bus", "(0x)?[0-9a-fA-F]{1,3}", 0 },
               { "port", "((0x)?[0-9a-fA-F]{1,3}[.]){0,3}(0x)?[0-9a-fA-F]{1,3}", 0 } } },
    { "virtio-mmio", { { NULL, NULL, 0 } } },
    { "virtio-serial", { { "controller", "[0-9]{1,2}", 0 }, { "bus", "[0-9]{1,2}", 0 },
                         { "port", "[0-9]{1,2}", 0 } } },
  };
  size_t k = 0;
  while (k < VSC_N_ELEMENTS(known) && strcmp(type, known[k].type) != 0)
    k++;
  if (k == VSC_N_ELEMENTS(known)) {
    report_on(c, dev, vhost, "/address/type", "address-type", "remove the address and let libvirt assign one",
              "libvirt has no address type '%s'", type);
    return false;
  }
  for (size_t a = 0; a < address->nattrs; a++) {
    const char *key = address->attrs[a].key, *value = address->attrs[a].value;
    const attr_form *form = NULL;
    for (size_t i = 0; i < VSC_N_ELEMENTS(known[k].attrs) && known[k].attrs[i].name && !form; i++)
      if (strcmp(key, known[k].attrs[i].name) == 0)
        form = &known[k].attrs[i];
    VSC_AUTOFREE(char) sub = vsc_asprintf("/address/%s", key);
    if (!form)
      report_on(c, dev, vhost, sub, "address-attr", "remove it, or check its spelling",
                "an address of type '%s' has no attribute '%s'; libvirt drops it", type, key);
    else if (value && !value_has_form(value, form->pattern, form->max))
      report_on(c, dev, vhost, sub, "address-value", "write it in the form shown, as libvirt's schema does",
                "address %s='%s' is not of the form libvirt takes (%s%s)", key, value, form->pattern,
                form->max ? ", or a decimal number" : "");
  }
  return true;
}

static void check_address(checker *c, const vsc_chardev *dev)
{
  const char *type = dev->address.type;
  if (!type || vsc_chardev_is_compat_console(dev) || !check_address_form(c, dev, NULL, &dev->address))
    return;
  bool virtio = vsc_chardev_is_virtio_serial(dev);
  vsc_target_type tt = vsc_chardev_target_type(dev);
  bool ok;
  if (strcmp(type, "virtio-serial") == 0)
    ok = virtio;
  else if (strcmp(type, "pci") == 0)
    ok = tt == VSC_TARGET_PCI_SERIAL;
  else if (strcmp(type, "usb") == 0)
    ok = tt == VSC_TARGET_USB_SERIAL;
  else if (strcmp(type, "isa") == 0)
    ok = dev->kind == VSC_KIND_SERIAL || dev->kind == VSC_KIND_PARALLEL;
  else
    ok = !is_x86(c->domain);
  if (!ok && virtio)
    report(c, dev, "/address/type", "virtio-address", "use <address type='virtio-serial' .../>, or leave it out",
           "a virtio port takes a virtio-serial address; libvirt keeps the '%s' address but cannot use it", type);
  else if (!ok)
    report(c, dev, "/address/type", "address-type", "remove the address and let libvirt assign one",
           "an address of type '%s' does not fit this device", type);
}

static unsigned int addr_uint(const vsc_chardev *dev, const char *key)
{
  const char *v = vsc_address_get(&dev->address, key);
  return v ? (unsigned int)strtoul(v, NULL, 0) : 0;
}

/* The sets of identities a device may not share, one per rule. */
enum { SET_ALIAS, SET_NAME, SET_PATH, SET_FWD, SET_PORT, SET_VPORT, SET_LAST };

/* Whether key was taken by an earlier device: adds it otherwise. */
static bool taken(vsc_strset *seen, const char *key)
{
  return key && !vsc_strset_add(seen, key);
}

/* Each device is reported once per rule, when its identity was taken by
 * an earlier one: one message per later duplicate, in linear time. */
static void check_vhost_set(checker *c, vsc_strset *aliases);

static void check_set(checker *c)
{
  const vsc_devset *set = c->set;
  vsc_strset seen[SET_LAST] = { { 0 } };
  size_t nisa = 0;
  const vsc_chardev *first_serial = vsc_devset_first(set, VSC_KIND_SERIAL);

  for (size_t i = 0; i < set->ndevs; i++) {
    const vsc_chardev *a = set->devs[i];
    bool serial = a->kind == VSC_KIND_SERIAL;
    vsc_target_type tt = vsc_chardev_target_type(a);
    unsigned int vport = vsc_chardev_virtio_port(a);

    if (serial && tt == VSC_TARGET_ISA_SERIAL && ++nisa == VSC_ISA_SERIAL_MAX + 1)
      report(c, a, NULL, "isa-serial-max", "use pci-serial or usb-serial, or a virtio console",
             "more than %d ISA serial ports; QEMU supports at most %d", VSC_ISA_SERIAL_MAX,
             VSC_ISA_SERIAL_MAX);
    /* libvirt checks every alias but the first serial port's (its
     * console shares it): a clash with that one is only QEMU's to refuse */
    if (a == first_serial && a->alias) {
      if (vsc_strset_count(&seen[SET_ALIAS], a->alias))
        report(c, a, "/alias", "alias-unique-first-serial", "give each device its own alias",
               "non unique alias %s; libvirt defines it (it does not check the first serial port), "
               "but QEMU refuses to start (duplicate chardev id)", a->alias);
    } else if (!vsc_chardev_is_compat_console(a) && taken(&seen[SET_ALIAS], a->alias)) {
      report(c, a, "/alias", "alias-unique", "give each device its own alias",
             "non unique alias detected: %s", a->alias);
    } else if (a->alias && first_serial && vsc_streq(a->alias, first_serial->alias) &&
               !vsc_chardev_is_compat_console(a)) {
      report(c, a, "/alias", "alias-unique-first-serial", "give each device its own alias",
             "non unique alias %s, also the first serial port's; libvirt defines it (it does not "
             "check that one), but QEMU refuses to start (duplicate chardev id)", a->alias);
    }
    if (vsc_chardev_is_virtio_serial(a) && taken(&seen[SET_NAME], a->target.name))
      report(c, a, "/target/name", "channel-name-unique", "give each port its own name",
             "the port name '%s' is used twice; QEMU refuses to start with duplicate virtserialport names",
             a->target.name);
    if (taken(&seen[SET_PATH], vsc_chardev_unix_path(a)))
      report(c, a, "/source/path", "unix-path-shared", "give each device its own socket path",
             "socket path '%s' is also used by another device", vsc_chardev_unix_path(a));
    if (tt == VSC_TARGET_GUESTFWD && a->target.address && a->target.has_port) {
      VSC_AUTOFREE(char) key = vsc_asprintf("%s\n%u", a->target.address, a->target.port);
      if (taken(&seen[SET_FWD], key))
        report(c, a, "/target", "guestfwd-unique", "forward each address:port once",
               "guestfwd %s:%u is forwarded twice", a->target.address, a->target.port);
    }
    if (serial && a->target.has_port) {
      VSC_AUTOFREE(char) key = vsc_asprintf("%u", a->target.port);
      if (taken(&seen[SET_PORT], key))
        report(c, a, "/target/port", "serial-port-unique", "give each serial port its own target port, or leave it out",
               "serial target port %u is used twice; libvirt defines it, but starting fails "
               "('target port already allocated')", a->target.port);
    }
    if (vport) {
      VSC_AUTOFREE(char) key = vsc_asprintf("%u.%u.%u", addr_uint(a, "controller"), addr_uint(a, "bus"), vport);
      if (taken(&seen[SET_VPORT], key))
        report(c, a, "/address/port", "virtio-port-unique", "pick another port, or leave the address out",
               "virtio serial port %u on controller %u is already occupied", vport,
               addr_uint(a, "controller"));
    }
  }
  /* <console> with a serial target is an alias of the first <serial>;
   * libvirt keeps the serial's backend and drops the console's (in a
   * fragment too: both land in the same domain). */
  const vsc_chardev *serial0 = vsc_devset_first(c->set, VSC_KIND_SERIAL);
  const vsc_chardev *console0 = vsc_devset_first(c->set, VSC_KIND_CONSOLE);
  if (serial0 && console0 && vsc_chardev_target_type(console0) == VSC_TARGET_SERIAL &&
      !vsc_chardev_same_source(serial0, console0))
    report(c, console0, NULL, "console-compat",
           "give the console the same backend as the first serial port, or drop one of them",
           "this serial console is an alias of the first serial port, whose '%s' backend wins",
           vsc_backend_to_string(vsc_chardev_backend(serial0)));
  check_vhost_set(c, &seen[SET_ALIAS]);
  for (int k = 0; k < SET_LAST; k++)
    vsc_strset_clear(&seen[k]);
}

/* The domain type against what the host offers for the domain's arch. */
static void check_host_virt_type(checker *c)
{
  const vsc_domain_info *d = c->domain;
  const char *arch = d->arch ? d->arch : "x86_64";
  const vsc_host_guest *g = NULL;
  vsc_buf offered = { 0 };

  for (size_t i = 0; i < d->host->nguests && !g; i++)
    if (strcmp(d->host->guests[i].arch, arch) == 0)
      g = &d->host->guests[i];
  bool type_ok = false;
  for (size_t i = 0; g && i < g->nvirt_types; i++) {
    type_ok |= strcmp(g->virt_types[i], d->virt_type) == 0;
    vsc_buf_printf(&offered, "%s%s", i ? ", " : "", g->virt_types[i]);
  }
  if (type_ok) {
    vsc_buf_clear(&offered);
    bool machine_ok = !d->machine || g->nmachines == 0;
    for (size_t i = 0; !machine_ok && i < g->nmachines; i++)
      machine_ok = strcmp(g->machines[i], d->machine) == 0;
    if (!machine_ok) {
      vsc_loc loc = { .file = c->set->ndevs ? c->set->devs[0]->origin.file : NULL, .line = d->domain_line };
      vsc_error(c->diags, &loc, "host-machine",
                "use a machine type 'virsh capabilities' lists for the arch, such as pc or q35",
                "the host's QEMU does not support machine type '%s' for %s guests", d->machine, arch);
      c->found++;
    }
    return;
  }
  VSC_AUTOFREE(char) list = vsc_buf_steal(&offered);
  vsc_loc loc = { .file = c->set->ndevs ? c->set->devs[0]->origin.file : NULL, .line = d->domain_line };
  if (!g)
    vsc_error(c->diags, &loc, "host-virt-type", "define it on a host with such guests, or change <os><type arch=>",
              "the host offers no %s guests (virsh capabilities)", arch);
  else {
    VSC_AUTOFREE(char) hint = vsc_asprintf("use <domain type='%s'>, or define it on a host that offers '%s'",
                                           g->nvirt_types ? g->virt_types[0] : "qemu", d->virt_type);
    vsc_error(c->diags, &loc, "host-virt-type", hint,
              "domain type '%s' is not offered by this host for %s guests (it offers %s)", d->virt_type, arch,
              *list ? list : "none");
  }
  c->found++;
}

static void check_domain(checker *c)
{
  const vsc_domain_info *d = c->domain;
  const vsc_devset *set = c->set;
  bool any_virtio = false;

  for (size_t i = 0; i < set->ndevs; i++) {
    const vsc_chardev *dev = set->devs[i];
    if ((vsc_chardev_backend_info(dev)->flags & VSC_BF_NEEDS_SPICE) && !d->has_spice_graphics)
      report(c, dev, "/type", "spice-graphics", "add <graphics type='spice'/> to the domain",
             "chardev '%s' not supported without spice graphics",
             vsc_backend_to_string(vsc_chardev_backend(dev)));
    if (vsc_chardev_is_virtio_serial(dev)) {
      any_virtio = true;
      unsigned int port = vsc_chardev_virtio_port(dev), ctl = addr_uint(dev, "controller");
      unsigned int max = ctl < VSC_N_ELEMENTS(d->ports) && d->ports[ctl] ? d->ports[ctl]
                                                                       : VSC_VIRTIO_SERIAL_DEFAULT_PORTS;
      if (port >= max)
        report(c, dev, "/address/port", "virtio-port-range", "use a lower port or raise the controller's ports=",
               "virtio-serial port %u does not fit controller %u, which has %u ports", port, ctl, max);
    }
    if (dev->kind == VSC_KIND_SERIAL && vsc_chardev_target_type(dev) == VSC_TARGET_USB_SERIAL && !d->has_usb)
      report(c, dev, "/target/type", "usb-serial-usb", "remove <controller type='usb' model='none'/>, or use pci-serial",
             "USB is disabled for this domain, but a usb-serial port needs it");
  }
  /* libvirt refuses at define a domain type the host's QEMU lacks */
  if (d->host && d->virt_type)
    check_host_virt_type(c);
  /* What the host's qemu.conf cannot serve: a TLS port libvirt refuses
   * at define; secure channels with autoport define, and the start fails
   * when libvirt allocates their TLS port. */
  vsc_loc spice_loc = { .file = set->ndevs ? set->devs[0]->origin.file : NULL, .line = d->spice_graphics_line };
  if (d->host_spice_tls == 0 && d->spice_tls_port) {
    vsc_error(c->diags, &spice_loc, "spice-tls", "set spice_tls = 1 (and the certificates) in qemu.conf, or drop tlsPort",
              "spice TLS port set in XML configuration, but TLS is disabled in qemu.conf");
    c->found++;
  } else if (d->host_spice_tls == 0 && d->spice_secure) {
    vsc_warning(c->diags, &spice_loc, "spice-tls-autoport",
                "set spice_tls = 1 (and the certificates) in qemu.conf, or make the channels insecure",
                "secure spice channels with autoport: libvirt defines it, but the start fails (Auto "
                "allocation of spice TLS port requested but spice TLS is disabled in qemu.conf)");
    c->found++;
  }
  if (any_virtio && d->nvirtio_serial == 0 && !set->controller.present)
    report(c, NULL, NULL, "virtio-serial-controller",
           "add <controller type='virtio-serial'/>: libvirt adds one at define time, but it cannot be hot-plugged later",
           "virtio channels or consoles but no virtio-serial controller");
}

/* ---- vhost-user devices ---- */

/* Report rule on a vhost-user device: as report() does for a chardev. */
static void __attribute__((format(printf, 6, 7)))
report_vhost(checker *c, const vsc_vhost *dev, const char *sub, const char *rule, const char *hint,
             const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  VSC_AUTOFREE(char) what = vsc_vhost_describe(dev);
  VSC_AUTOFREE(char) pointer = dev->origin.pointer ? vsc_asprintf("%s%s", dev->origin.pointer, sub) : NULL;
  vsc_loc loc = { .file = dev->origin.file, .line = dev->origin.line, .pointer = pointer };
  vsc_severity severity = severity_of(rule);
  if (c->own_only && dev->origin.in_domain && severity == VSC_SEV_WARNING)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  vsc_diag_add(c->diags, severity, &loc, rule, hint, "%s: %s", what, msg);
  c->found++;
}

static void report_on(checker *c, const vsc_chardev *dev, const vsc_vhost *vhost, const char *sub,
                      const char *rule, const char *hint, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (dev)
    report(c, dev, sub, rule, hint, "%s", msg);
  else
    report_vhost(c, vhost, sub, rule, hint, "%s", msg);
}

/* The guest memory the devices see: the domain's when known, else what
 * the spec says; NULL when neither says (a fragment). */
static const vsc_memory_backing *guest_memory(const checker *c)
{
  if (c->domain)
    return &c->domain->memory;
  return c->set->memory.present ? &c->set->memory : NULL;
}

/* Whether libvirt sees shared memory (qemuValidateDomainDefVhostUserRequire-
 * SharedMemory): memoryBacking access shared, or every NUMA cell shared
 * (by its memAccess, or by default from memoryBacking). */
static bool memory_shared(const checker *c, const vsc_memory_backing *m)
{
  bool backing = m->access_mode && strcmp(m->access_mode, "shared") == 0;
  const vsc_domain_info *d = c->domain;
  if (!d || d->numa_cells == 0)
    return backing;
  return d->numa_private == 0 && (backing || d->numa_shared == d->numa_cells);
}

static void check_vhost_memory(checker *c, const vsc_vhost *dev, const vsc_vhost_info *vi)
{
  const vsc_memory_backing *m = guest_memory(c);
  if (!m)
    return;
  static const char hint[] = "share the guest's memory: <memoryBacking><access mode='shared'/></memoryBacking> "
                             "('vschan xml --into' adds it to a domain that says nothing), or \"memoryBacking\" "
                             "in the spec";
  if (!memory_shared(c, m)) {
    if (vi->libvirt_requires_shared_memory)
      report_vhost(c, dev, "", "vhost-shared-memory", hint, "'%s' requires shared memory", vi->libvirt_name);
    else
      report_vhost(c, dev, "", "vhost-shared-memory-net", hint,
                   "the guest's memory is not shared: libvirt defines it, but the back end cannot map "
                   "the guest's RAM and the link never comes up");
  }
  /* Shared memory always has a file descriptor for the daemon: libvirt
   * backs shared memory without a memfd source with a file of its
   * memory_backing_dir (qemuBuildMemoryBackendProps). */
}

static void check_vhost(checker *c, const vsc_vhost *dev)
{
  const vsc_vhost_info *vi = vsc_vhost_info_of(dev->kind);
  const char *sock = vsc_vhost_socket(dev);
  const char *sock_sub = dev->kind == VSC_VHOST_FS ? "/source/socket" : "/source/path";

  if (dev->kind == VSC_VHOST_FS && !sock && !vsc_vhost_get(dev, VSC_VF_SOURCE_DIR))
    report_vhost(c, dev, "/source", "vhost-socket",
                 "give source.socket (a virtiofsd you run) or source.dir (libvirt starts virtiofsd)",
                 "a virtiofs filesystem needs a source");
  else if (dev->kind != VSC_VHOST_FS && !sock)
    report_vhost(c, dev, "/source/path", "vhost-socket", "give source.path, the daemon's unix socket",
                 "a vhost-user device needs its daemon's socket");
  if (sock && sock[0] != '/')
    report_vhost(c, dev, sock_sub, "vhost-socket-relative", "give the absolute path of the socket",
                 "socket path '%s' is relative: QEMU resolves it against its own working directory", sock);
  if (sock && strlen(sock) > VSC_UNIX_PATH_MAX)
    report_vhost(c, dev, sock_sub, "unix-path-length", "use a shorter path, e.g. under /run",
                 "unix socket path is %zu bytes; sockaddr_un holds at most %d", strlen(sock), VSC_UNIX_PATH_MAX);

  switch (dev->kind) {
  case VSC_VHOST_FS: {
    const char *queue = vsc_vhost_get(dev, VSC_VF_DRIVER_QUEUE);
    unsigned long q = queue ? strtoul(queue, NULL, 10) : 0;
    if (!vsc_vhost_get(dev, VSC_VF_TARGET_DIR))
      report_vhost(c, dev, "/target", "vhost-target", "give target.dir, the tag the guest mounts",
                   "a virtiofs filesystem needs a target dir");
    if (queue && (q == 0 || q > 1024 || (q & (q - 1)) != 0))
      report_vhost(c, dev, "/driver/queue", "virtiofs-queue", "use 64, 128, 256, 512 or 1024",
                   "queue size %s: libvirt defines it, but QEMU refuses to start (a power of two up to 1024)",
                   queue);
    const char *am = vsc_vhost_get(dev, VSC_VF_ACCESSMODE);
    if (!sock && am && strcmp(am, "passthrough") != 0)
      report_vhost(c, dev, "/accessmode", "virtiofs-accessmode", "use accessmode passthrough, or leave it out",
                   "virtiofs only supports passthrough accessmode");
    break;
  }
  case VSC_VHOST_NET: {
    const char *model = vsc_vhost_get(dev, VSC_VF_MODEL_TYPE);
    const char *mode = vsc_vhost_get(dev, VSC_VF_SOURCE_MODE);
    if (!model || strncmp(model, "virtio", 6) != 0)
      report_vhost(c, dev, "/model/type", "vhost-net-model", "add \"model\": {\"type\": \"virtio\"}",
                   "wrong or no <model> 'type' attribute specified with <interface type='vhostuser'/>: "
                   "vhostuser requires the virtio-net* frontend");
    if (!mode)
      report_vhost(c, dev, "/source/mode", "vhost-net-mode",
                   "say who listens: mode client (the daemon does) or server (QEMU does)",
                   "a vhost-user interface's source needs a mode");
    else if (strcmp(mode, "server") == 0 && vsc_streq(vsc_vhost_get(dev, VSC_VF_RECONNECT_ENABLED), "yes"))
      report_vhost(c, dev, "/source/reconnect", "vhost-net-mode", "remove reconnect, or use mode client",
                   "'reconnect' attribute unsupported 'server' mode for <interface type='vhostuser'>");
    break;
  }
  case VSC_VHOST_BLK: {
    const char *bus = vsc_vhost_get(dev, VSC_VF_TARGET_BUS);
    if (!vsc_vhost_get(dev, VSC_VF_TARGET_DEV))
      report_vhost(c, dev, "/target", "vhost-target", "give target.dev, e.g. vdb",
                   "a vhost-user disk needs a target dev");
    if (bus && strcmp(bus, "virtio") != 0)
      report_vhost(c, dev, "/target/bus", "vhost-disk-bus", "use bus virtio", "vhostuser disk supports only virtio bus");
    break;
  }
  case VSC_VHOST_VSOCK:
  case VSC_VHOST_RNG:
  case VSC_VHOST_GPIO:
  case VSC_VHOST_I2C:
  case VSC_VHOST_INPUT:
  case VSC_VHOST_SCSI:
  case VSC_VHOST_OTHER:
  case VSC_VHOST_LAST:
    break;
  }
  check_vhost_memory(c, dev, vi);
  check_alias(c, NULL, dev, vsc_vhost_get(dev, VSC_VF_ALIAS));
  /* a virtio device: on a PC its address is a PCI one */
  const char *type = dev->address.type;
  if (type && check_address_form(c, NULL, dev, &dev->address) && strcmp(type, "pci") != 0 && is_x86(c->domain))
    report_vhost(c, dev, "/address/type", "address-type", "remove the address and let libvirt assign one",
                 "an address of type '%s' does not fit this device", type);
}

/* What libvirt and QEMU want unique among the vhost-user devices, and
 * their aliases among every device's (aliases: those the chardevs took). */
static void check_vhost_set(checker *c, vsc_strset *aliases)
{
  /* One socket, one device: a daemon serves one front end, and a chardev
   * bound on the path would take it. */
  vsc_strset paths = { 0 }, targets = { 0 }, boots = { 0 };
  for (size_t i = 0; i < c->set->ndevs; i++)
    if (vsc_chardev_unix_path(c->set->devs[i]))
      vsc_strset_add(&paths, vsc_chardev_unix_path(c->set->devs[i]));
  for (size_t i = 0; i < c->set->nvhosts; i++) {
    const vsc_vhost *dev = c->set->vhosts[i];
    const char *sock = vsc_vhost_socket(dev);
    const char *alias = vsc_vhost_get(dev, VSC_VF_ALIAS);
    const char *boot = vsc_vhost_get(dev, VSC_VF_BOOT_ORDER);
    const char *target = dev->kind == VSC_VHOST_FS    ? vsc_vhost_get(dev, VSC_VF_TARGET_DIR)
                         : dev->kind == VSC_VHOST_BLK ? vsc_vhost_get(dev, VSC_VF_TARGET_DEV)
                                                      : NULL;
    VSC_AUTOFREE(char) target_key = target ? vsc_asprintf("%d\n%s", (int)dev->kind, target) : NULL;
    if (sock && taken(&paths, sock))
      report_vhost(c, dev, dev->kind == VSC_VHOST_FS ? "/source/socket" : "/source/path", "vhost-socket-shared",
                   "give each device its own socket (start one daemon per device)",
                   "socket path '%s' is also another device's; libvirt defines it, but the daemon serves "
                   "one front end and the other device does not start", sock);
    if (taken(aliases, alias))
      report_vhost(c, dev, "/alias", "alias-unique", "give each device its own alias",
                   "non unique alias detected: %s", alias);
    if (taken(&targets, target_key))
      report_vhost(c, dev, "/target", "vhost-target-unique",
                   dev->kind == VSC_VHOST_FS ? "give each filesystem its own tag" : "give each disk its own name",
                   dev->kind == VSC_VHOST_FS ? "filesystem target '%s' specified twice"
                                             : "target '%s' duplicated for two disks",
                   target);
    if (taken(&boots, boot))
      report_vhost(c, dev, "/boot/order", "boot-order-unique", "give each device its own boot order",
                   "boot order '%s' used for more than one device", boot);
  }
  vsc_strset_clear(&paths);
  vsc_strset_clear(&targets);
  vsc_strset_clear(&boots);
}

static size_t run_checks(checker *c)
{
  size_t console_index = 0;

  for (size_t i = 0; i < c->set->ndevs; i++) {
    const vsc_chardev *dev = c->set->devs[i];
    check_target(c, dev, dev->kind == VSC_KIND_CONSOLE ? console_index++ : 0);
    check_source(c, dev);
    check_alias(c, dev, NULL, dev->alias);
    check_values(c, dev);
    check_address(c, dev);
  }
  check_set(c);
  for (size_t i = 0; i < c->set->nvhosts; i++)
    check_vhost(c, c->set->vhosts[i]);
  if (c->domain)
    check_domain(c);
  return c->found;
}

size_t vsc_rules_check(const vsc_devset *set, const vsc_domain_info *domain, vsc_diags *diags)
{
  checker c = { .set = set, .domain = domain && domain->known ? domain : NULL, .diags = diags };
  return run_checks(&c);
}

void vsc_host_caps_clear(vsc_host_caps *caps)
{
  for (size_t i = 0; i < caps->nguests; i++) {
    free(caps->guests[i].arch);
    for (size_t j = 0; j < caps->guests[i].nvirt_types; j++)
      free(caps->guests[i].virt_types[j]);
    free(caps->guests[i].virt_types);
    for (size_t j = 0; j < caps->guests[i].nmachines; j++)
      free(caps->guests[i].machines[j]);
    free(caps->guests[i].machines);
  }
  free(caps->guests);
  memset(caps, 0, sizeof(*caps));
}

void vsc_domain_info_clear(vsc_domain_info *info)
{
  free(info->arch);
  free(info->machine);
  free(info->virt_type);
  vsc_memory_backing_clear(&info->memory);
  memset(info, 0, sizeof(*info));
}

int vsc_rules_require_clean(const vsc_devset *set, const vsc_domain_info *domain,
                            vsc_diags *diags)
{
  vsc_rules_check(set, domain, diags);
  vsc_diags_promote(diags);
  return vsc_diags_has_errors(diags) ? -1 : 0;
}

int vsc_rules_require_clean_in(const vsc_devset *added, const vsc_devset *existing,
                               const vsc_domain_info *domain, unsigned int flags, vsc_diags *diags)
{
  vsc_devset combined;
  vsc_diags found = { 0 };

  vsc_devset_init(&combined);
  vsc_devset_combine(&combined, existing, added, flags & VSC_RULES_REPLACE,
                     flags & VSC_RULES_SKIP_COMPAT);
  combined.controller = added->controller.present ? added->controller : existing->controller;
  /* vhost-user devices: the domain's, then the added ones (their
   * identities are the XML merge's business) */
  vsc_strset added_ids = { 0 };
  for (size_t i = 0; i < added->nvhosts; i++) {
    VSC_AUTOFREE(char) id = vsc_vhost_identity(added->vhosts[i]);
    if (id)
      vsc_strset_add(&added_ids, id);
  }
  for (size_t i = 0; i < existing->nvhosts; i++) {
    VSC_AUTOFREE(char) id = vsc_vhost_identity(existing->vhosts[i]);
    if ((flags & VSC_RULES_REPLACE) && id && vsc_strset_count(&added_ids, id))
      continue;
    vsc_vhost *v = vsc_vhost_copy(existing->vhosts[i]);
    v->origin.in_domain = true;
    vsc_devset_add_vhost(&combined, v);
  }
  vsc_strset_clear(&added_ids);
  for (size_t i = 0; i < added->nvhosts; i++)
    vsc_devset_add_vhost(&combined, vsc_vhost_copy(added->vhosts[i]));
  for (size_t i = 0; (flags & VSC_RULES_ADDS_CONTROLLER) && i < added->ndevs; i++)
    combined.controller.present |= vsc_chardev_is_virtio_serial(added->devs[i]);

  checker c = { .set = &combined, .domain = domain && domain->known ? domain : NULL,
                .diags = &found, .own_only = flags & VSC_RULES_OWN_ONLY };
  run_checks(&c);
  vsc_devset_clear(&combined);
  vsc_diags_promote(&found);
  bool refused = vsc_diags_has_errors(&found);
  vsc_diags_move(diags, &found);
  return refused ? -1 : 0;
}
