#!/bin/sh
# Print the -chardev option strings libvirt generates for the character
# devices of an XML file, one per line, in libvirt's order.
#
#   libvirt-argv.sh DEVICES.xml
#
# DEVICES.xml is a <domain> or any element holding <channel>, <console>,
# <serial> and <parallel> elements (a golden case's expected.xml).  The
# devices are placed into a minimal i440fx domain (with spice graphics
# when a spice backend needs it) and translated with
#   virsh -c 'qemu:///embed?root=DIR' domxml-to-native qemu-argv
# which needs neither a running libvirtd nor root; DIR is a temporary
# root with a qemu.conf.  Lines of the output are the option strings as
# QEMU receives them (the shell quoting of virsh's output undone), with
# the temporary root written as @ROOT@ (it shows in the socket paths
# libvirt generates).  Set VSCHAN_LIBVIRT_RAW=1 to see virsh's whole
# command line on stderr.
set -eu

in=${1:?usage: libvirt-argv.sh DEVICES.xml}
[ -r "$in" ] || { echo "libvirt-argv.sh: cannot read '$in'" >&2; exit 2; }
for tool in virsh xmllint; do
  command -v "$tool" >/dev/null || { echo "libvirt-argv.sh: '$tool' not found" >&2; exit 77; }
done

root=$(mktemp -d "${TMPDIR:-/tmp}/vschan-libvirt.XXXXXX")
trap 'rm -rf "${root:?}"' EXIT INT TERM
mkdir -p "$root/etc"
{
  echo 'stdio_handler = "file"'
  if [ "$(id -u)" = 0 ]; then
    echo 'user = "root"'
    echo 'group = "root"'
  fi
} > "$root/etc/qemu.conf"

devices=$(xmllint --xpath '//*[self::channel or self::console or self::serial or self::parallel or (self::controller and @type="virtio-serial") or self::filesystem or ((self::disk or self::interface) and @type="vhostuser")]' "$in" 2>/dev/null || true)
[ -n "$devices" ] || { echo "libvirt-argv.sh: no character or vhost-user devices in '$in'" >&2; exit 2; }
# domxml-to-native writes every interface as a tap device: it is no
# oracle for vhost-user interfaces (tests/qemu/vhost-user.sh compares
# those with libvirt's own test data instead).
case $devices in
  *"<interface"*) echo "domxml-to-native writes interfaces as tap devices, not as vhost-user" >&2; exit 1 ;;
esac
# vhost-user devices need the guest's memory shared
memory_backing=
case $devices in
  *"<filesystem"*|*"vhostuser"*) memory_backing="<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>" ;;
esac
graphics=
case $devices in
  *"type='spice"*|*'type="spice'*) graphics="<graphics type='spice' autoport='no' port='5999'/>" ;;
esac

cat > "$root/domain.xml" <<XML
<domain type='qemu'>
  <name>vschan-oracle</name>
  <memory unit='MiB'>64</memory>
  $memory_backing
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>$(command -v qemu-system-x86_64 || echo /usr/bin/qemu-system-x86_64)</emulator>
    $graphics
    $devices
  </devices>
</domain>
XML

# A non-root caller's driver also writes below HOME and XDG_CACHE_HOME:
# keep those in the temporary root too.
mkdir -p "$root/home"
cmdline=$(HOME=$root/home XDG_CACHE_HOME=$root/home/.cache XDG_CONFIG_HOME=$root/home/.config \
          virsh -q -c "qemu:///embed?root=$root" domxml-to-native qemu-argv "$root/domain.xml")
if [ -n "${VSCHAN_LIBVIRT_RAW:-}" ]; then
  printf '%s\n' "$cmdline" >&2
fi
# virsh quotes for a POSIX shell; let the shell undo it, then keep the
# value after each -chardev.
eval "set -- $cmdline"
prev=
for arg in "$@"; do
  if [ "$prev" = -chardev ]; then
    while case $arg in *"$root"*) true ;; *) false ;; esac; do
      arg=${arg%%"$root"*}@ROOT@${arg#*"$root"}
    done
    case $arg in
      *,id=charmonitor,*) ;;
      *) printf '%s\n' "$arg" ;;
    esac
  fi
  prev=$arg
done
