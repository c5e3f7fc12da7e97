#!/bin/sh
# Hotplug throughput: 16 virtio channels attached to a running domain by
# one 'vschan add' against 16 'virsh attach-device' runs, on the same
# domain through the same libvirtd (a private one on this machine, see
# tests/virt/private-libvirtd.sh); the domain is re-created before every
# timed run.  Timed in interleaved pairs (bench/pair.py): the median of the
# per-pair ratios is printed.  Then vschan's own overhead: with
# VSCHAN_TIMING=1 vschan reports the time spent inside libvirt calls
# against its whole run.
#
# Usage: bench/hotplug.sh [VSCHAN]      (RUNS=N pairs, default 10)
# Needs root, libvirtd, QEMU and python3 (scripts/install-deps); a system
# libvirtd may run, the private one shares nothing with it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vschan=${1:-$here/../build/src/vschan}
runs=${RUNS:-10}
n=16
command -v python3 >/dev/null || { echo "hotplug: python3 is missing (scripts/install-deps)" >&2; exit 1; }
[ -x "$vschan" ] || { echo "hotplug: '$vschan' is not built (scripts/build)" >&2; exit 1; }

# Short: libvirt's socket paths must fit 107 bytes.
tmp=$(mktemp -d /tmp/vsbench.XXXXXX)
# shellcheck source=tests/virt/private-libvirtd.sh
. "$here/../tests/virt/private-libvirtd.sh"
cleanup() {
  private_libvirtd_stop
  rm -rf "${tmp:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! private_libvirtd_start "$tmp/daemon"; then
  echo "hotplug: $PRIVATE_LIBVIRTD_WHY" >&2
  exit 1
fi
uri=$PRIVATE_LIBVIRTD_UNIX

# KVM when the daemon offers it (its QEMU runs as root), TCG otherwise.
accel=qemu
if private_libvirtd_kvm; then accel=kvm; fi
[ "$accel" = kvm ] && echo "hotplug: the domain runs under KVM" || echo "hotplug: the domain runs under TCG (the daemon offers no KVM)"
cat >"$tmp/domain.xml" <<EOF
<domain type='$accel'>
  <name>vschan-bench</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <controller type='virtio-serial' index='0'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
cat >"$tmp/recreate.sh" <<EOF
virsh -q -c '$uri' destroy vschan-bench >/dev/null 2>&1
virsh -q -c '$uri' create '$tmp/domain.xml' >/dev/null
EOF

# The same 16 unix channels for both tools.
mkdir -p "$tmp/s"
{
  printf '{"version":1,"channels":['
  i=0
  while [ $i -lt $n ]; do
    [ $i -gt 0 ] && printf ','
    printf '{"type":"unix","source":{"mode":"bind","path":"%s/s/c%d.sock"},"target":{"type":"virtio","name":"org.bench.c%d"}}' "$tmp" $i $i
    i=$((i + 1))
  done
  printf ']}\n'
} >"$tmp/spec.json"
: >"$tmp/virsh.sh"
i=0
while [ $i -lt $n ]; do
  cat >"$tmp/c$i.xml" <<EOF
<channel type='unix'>
  <source mode='bind' path='$tmp/s/c$i.sock'/>
  <target type='virtio' name='org.bench.c$i'/>
</channel>
EOF
  echo "virsh -q -c '$uri' attach-device vschan-bench '$tmp/c$i.xml' --live >/dev/null" >>"$tmp/virsh.sh"
  i=$((i + 1))
done

sh "$tmp/recreate.sh"
python3 "$here/pair.py" --runs "$runs" --prepare "sh $tmp/recreate.sh" --export-json "$tmp/r.json" \
  -n vschan "'$vschan' -q -c '$uri' add vschan-bench $tmp/spec.json" \
  -n virsh "sh $tmp/virsh.sh"

# Overhead: vschan's own time against the time inside libvirt calls.
: >"$tmp/timing"
i=0
while [ $i -lt "$runs" ]; do
  sh "$tmp/recreate.sh"
  VSCHAN_TIMING=1 "$vschan" -q -c "$uri" add vschan-bench "$tmp/spec.json" 2>>"$tmp/timing"
  i=$((i + 1))
done

python3 - "$tmp/r.json" "$tmp/timing" "$n" <<'PY'
import json, re, statistics, sys
d = json.load(open(sys.argv[1]))
v, p = d["results"]
q = d["ratio"]
n = sys.argv[3]
print(f"hotplug: {n} channels, one 'vschan add': median {v['median']*1e3:.0f} ms "
      f"(min {v['min']*1e3:.0f}, max {v['max']*1e3:.0f}); "
      f"{n} 'virsh attach-device': median {p['median']*1e3:.0f} ms "
      f"(min {p['min']*1e3:.0f}, max {p['max']*1e3:.0f}); "
      f"ratio {q['median']:.1f}x, median of {len(q['per_pair'])} pairs "
      f"(IQR {q['q1']:.1f}-{q['q3']:.1f}x) (target >= 3x)")
rows = [re.search(r"total ([\d.]+) ms, inside libvirt ([\d.]+) ms, vschan ([\d.]+) ms \(([\d.]+)%\)", l)
        for l in open(sys.argv[2])]
rows = [m for m in rows if m]
if rows:
    share = statistics.median(float(m.group(4)) for m in rows)
    total = statistics.median(float(m.group(1)) for m in rows)
    own = statistics.median(float(m.group(3)) for m in rows)
    print(f"hotplug: vschan's own time {own:.1f} ms of {total:.0f} ms in-process "
          f"(median of {len(rows)}): {share:.1f}% above the libvirt calls (target < 10%)")
PY
