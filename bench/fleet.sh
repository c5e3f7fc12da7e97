#!/bin/sh
# Fleet apply: 4 virtio channels into each of N running domains (8, 16,
# 32, 64) by one 'vschan apply --domains' against a shell loop of
# 'vschan apply DOMAIN' and against a loop of 'virsh attach-device --live
# --config' (4 a domain), through the same libvirtd (a private one on this
# machine, see tests/virt/private-libvirtd.sh).  Every timed run starts
# from domains without the channels ('vschan apply --prune' of an empty
# spec, untimed).  The three are timed in interleaved rounds, in pairs as
# bench/pair.py times them (bench/fleet.py): the medians of the per-round
# ratios loop/fleet and virsh/fleet are printed for each N, and the curve
# is written into bench/README.md and bench/fleet.png.
#
# Usage: bench/fleet.sh [VSCHAN]   (RUNS=N rounds, default 7; RUNS_64,
#                                   default 5; FLEET_COUNTS=8,16,32,64)
# Needs root, libvirtd, QEMU and python3 (scripts/install-deps); a system
# libvirtd may run, the private one shares nothing with it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vschan=${1:-$here/../build/src/vschan}
counts=${FLEET_COUNTS:-8,16,32,64}
command -v python3 >/dev/null || { echo "fleet: python3 is missing (scripts/install-deps)" >&2; exit 1; }
[ -x "$vschan" ] || { echo "fleet: '$vschan' is not built (scripts/build)" >&2; exit 1; }
case $vschan in /*) ;; *) vschan=$(pwd)/$vschan ;; esac
last=0
for n in $(echo "$counts" | tr , ' '); do
  [ "$n" -gt "$last" ] || { echo "fleet: FLEET_COUNTS must grow: $counts" >&2; exit 2; }
  last=$n
done
[ "$last" -le 99 ] || { echo "fleet: at most 99 domains" >&2; exit 2; }

# Short: libvirt's socket paths must fit 107 bytes.
tmp=$(mktemp -d /tmp/vsfleet.XXXXXX)
uri=""
# shellcheck source=tests/virt/private-libvirtd.sh
. "$here/../tests/virt/private-libvirtd.sh"
cleanup() {
  # The domains first, several at once (one 'virsh destroy' takes a
  # second or more here); private_libvirtd_stop then finds none left.
  if [ -n "$uri" ]; then
    virsh -q -c "$uri" list --name 2>/dev/null | grep . |
      xargs -r -P 8 -I{} virsh -q -c "$uri" destroy {} >/dev/null 2>&1 || :
  fi
  private_libvirtd_stop
  rm -rf "${tmp:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! private_libvirtd_start "$tmp/daemon"; then
  echo "fleet: $PRIVATE_LIBVIRTD_WHY" >&2
  exit 1
fi
uri=$PRIVATE_LIBVIRTD_UNIX

# KVM when the daemon offers it (its QEMU runs as root), TCG otherwise:
# an idle guest still costs the host a little, times 64.
accel=qemu
if private_libvirtd_kvm; then accel=kvm; fi

# bf-01 .. bf-NN: persistent, running, minimal (64 MiB, no disk), with a
# virtio-serial controller.  Started as the counts grow, so that only the
# domains of the count being measured run.
qemu=$(command -v qemu-system-x86_64)
cat >"$tmp/start-one.sh" <<EOF
cat >"$tmp/\$1.xml" <<XML
<domain type='$accel'>
  <name>\$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>$qemu</emulator>
    <controller type='virtio-serial' index='0'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
virsh -q -c '$uri' define "$tmp/\$1.xml" >/dev/null && virsh -q -c '$uri' start "\$1" >/dev/null
EOF
running=0
start_domains() {
  i=$((running + 1))
  while [ $i -le "$1" ]; do
    printf 'bf-%02d\n' $i
    i=$((i + 1))
  done | xargs -P 4 -n 1 sh "$tmp/start-one.sh" ||
    { echo "fleet: cannot start the domains: $(tail -2 "$tmp/daemon/libvirtd.log" 2>/dev/null)" >&2; exit 1; }
  running=$1
}

# The same 4 channels for every tool: unix sockets libvirt names itself
# (bind, no path), one virtio port each.  The virsh XML carries the alias
# vschan derives (ua-vschan-<target name>), so that every contender leaves
# the same devices and the reset between runs removes them all.
printf '{}\n' >"$tmp/empty.json"
{
  printf '{"version":1,"channels":['
  c=0
  while [ $c -lt 4 ]; do
    [ $c -gt 0 ] && printf ','
    printf '{"type":"unix","source":{"mode":"bind"},"target":{"type":"virtio","name":"org.bench.fleet.%d"}}' $c
    c=$((c + 1))
  done
  printf ']}\n'
} >"$tmp/spec.json"
c=0
while [ $c -lt 4 ]; do
  cat >"$tmp/c$c.xml" <<EOF
<channel type='unix'>
  <source mode='bind'/>
  <target type='virtio' name='org.bench.fleet.$c'/>
  <alias name='ua-vschan-org-bench-fleet-$c'/>
</channel>
EOF
  c=$((c + 1))
done

# Per N: the domains, their names, the two loops and the reset (every
# domain at once: an unplug waits about 60 ms for QEMU's event here), then
# the timing.
for n in $(echo "$counts" | tr , ' '); do
  start_domains "$n"
  echo "fleet: $n domains run ($([ $accel = kvm ] && echo KVM || echo TCG)), timing ..." >&2
  names="" list=""
  i=1
  while [ $i -le "$n" ]; do
    name=$(printf 'bf-%02d' $i)
    names="$names $name"
    list="${list:+$list,}$name"
    i=$((i + 1))
  done
  echo "$list" >"$tmp/names-$n"
  cat >"$tmp/loop-$n.sh" <<EOF
for d in$names; do
  '$vschan' -q -c '$uri' apply "\$d" '$tmp/spec.json' >/dev/null || exit 1
done
EOF
  cat >"$tmp/virsh-$n.sh" <<EOF
for d in$names; do
  for c in 0 1 2 3; do
    virsh -q -c '$uri' attach-device "\$d" "$tmp/c\$c.xml" --live --config >/dev/null || exit 1
  done
done
EOF
  cat >"$tmp/reset-$n.sh" <<EOF
exec '$vschan' -q -c '$uri' apply --domains '$list' '$tmp/empty.json' --prune --parallel 16 >/dev/null
EOF
  python3 "$here/fleet.py" measure --vschan "$vschan" --uri "$uri" --dir "$tmp" --count "$n"
done
python3 "$here/fleet.py" report --dir "$tmp" --counts "$counts" --accel "$accel"
