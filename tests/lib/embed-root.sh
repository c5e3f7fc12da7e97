#!/bin/sh
# Prepare a hermetic root for libvirt's embedded QEMU driver
# (qemu:///embed?root=DIR).  The driver then keeps its state, domain
# definitions and logs under DIR and never touches the system daemon.
#
# usage: embed-root.sh DIR
# Idempotent: an existing DIR/etc/qemu.conf is rewritten with the same text.
# Exit status: 0 ready, 77 the machine cannot run the embed driver (reason
# on stderr), 2 usage.  Prints "accel: kvm" or "accel: tcg" on stdout.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: embed-root.sh DIR" >&2
  exit 2
fi
root=$1

# libvirt's QEMU driver resolves the user it was built for even in embed
# mode; Debian's libvirt-daemon-system creates it.
if ! getent passwd libvirt-qemu >/dev/null 2>&1; then
  echo "embed-root: user 'libvirt-qemu' does not exist; install libvirt-daemon-system" >&2
  exit 77
fi
if [ ! -r /usr/share/libvirt/schemas/domain.rng ]; then
  echo "embed-root: '/usr/share/libvirt/schemas/domain.rng' is missing; install libvirt-daemon" >&2
  exit 77
fi

mkdir -p "$root/etc"
# stdio_handler=file: without it the driver wants virtlogd, which an
# embedded driver has no daemon for.  As root, QEMU would otherwise run
# as libvirt-qemu and could not reach files in a private temp root.
{
  echo '# written by tests/lib/embed-root.sh'
  echo 'stdio_handler = "file"'
  # No private /dev per QEMU: libvirt builds it with bind mounts that two
  # roots starting domains at once can trip over ("Unable to move
  # ....null mount to /dev/null"), and a test domain needs no isolation.
  echo 'namespaces = []'
  if [ "$(id -u)" -eq 0 ]; then
    echo 'user = "root"'
    echo 'group = "root"'
  fi
} >"$root/etc/qemu.conf.tmp"
mv "$root/etc/qemu.conf.tmp" "$root/etc/qemu.conf"

# QEMU started by the embedded driver runs as the caller (or root), so
# KVM is usable when this user can open /dev/kvm read-write.
if [ -c /dev/kvm ] && (exec 3<>/dev/kvm) 2>/dev/null; then
  echo "accel: kvm"
else
  echo "accel: tcg (/dev/kvm missing or not accessible to $(id -un))"
fi
