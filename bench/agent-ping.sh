#!/bin/bash
# Guest agent round trip: 'vschan agent DOMAIN ping' against
# 'virsh qemu-agent-command DOMAIN {"execute":"guest-ping"}', both through
# libvirt to qemu-ga in the real test guest of tests/guest (booted under
# libvirt's embedded QEMU driver, so each run of either tool also opens
# the driver), timed in interleaved pairs (bench/pair.py), the median of
# the per-pair ratios printed.  Then the direct transport alone:
# 'vschan agent --socket' against qemu-ga run on the host
# (qemu-ga -m unix-listen): connect, guest-sync-delimited, ping, drain.
#
# Each process that opens qemu:///embed reconnects to the running QEMU in a
# thread, and an agent command that beats it fails with "agent is not
# connected": vschan waits for it (a read-only query that takes the domain
# job), virsh is given a monitor command first in the same process, which
# does the same.  On qemu:///system neither is needed.
#
# usage: bench/agent-ping.sh [VSCHAN]
#   RUNS=N                      timed pairs (default 30)
#   IMAGE=DIR                   the guest image (default: BUILD/guest-image
#                               next to VSCHAN's build tree; built if needed)
#   VSCHAN_GUEST_ACCEL=kvm|tcg  accelerator (default tcg: some nested KVM
#                               setups open /dev/kvm but cannot run a guest)
# Needs python3, virsh, QEMU, qemu-guest-agent and the packages
# tests/guest/build-image.sh downloads.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vschan=$(realpath "${1:-$here/../build/src/vschan}")
runs=${RUNS:-30}
image=${IMAGE:-$(dirname "$vschan")/../guest-image}
accel=${VSCHAN_GUEST_ACCEL:-tcg}
dom=vschan-bench-agent
for tool in virsh python3 qemu-ga; do
  command -v "$tool" >/dev/null || { echo "agent-ping: '$tool' is missing (scripts/install-deps)" >&2; exit 1; }
done
[ -x "$vschan" ] || { echo "agent-ping: '$vschan' is not built (scripts/build)" >&2; exit 1; }

sh "$here/../tests/guest/build-image.sh" "$image" >/dev/null
image=$(cd "$image" && pwd)
. "$here/../tests/lib/embed.sh"
root=$(mktemp -d /tmp/vsbench.XXXXXX)
uri="qemu:///embed?root=$root"
export LIBVIRT_LOG_OUTPUTS="3:file:$root/libvirt.log"
qga_pid=
cleanup() {
  [ -n "$qga_pid" ] && kill "$qga_pid" 2>/dev/null
  # One settled virsh on a root with a running domain (tests/lib/embed.sh).
  embed_virsh "$root" "destroy $dom; undefine $dom" >/dev/null 2>&1
  embed_kill_qemus "$root"
  rm -rf "${root:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sh "$here/../tests/lib/embed-root.sh" "$root" >/dev/null
type=qemu
[ "$accel" = kvm ] && type=kvm
sed -e "s|@TYPE@|$type|" -e "s|@NAME@|$dom|" -e "s|@KERNEL@|$image/vmlinuz|" \
    -e "s|@INITRD@|$image/initrd.img|" -e "s|@CONSOLE_LOG@|$root/console.log|" \
    "$here/../tests/guest/domain.xml.in" >"$root/domain.xml"
virsh -q -c "$uri" define "$root/domain.xml" >/dev/null
virsh -q -c "$uri" start "$dom" >/dev/null
echo "agent-ping: booting the test guest ($accel) ..."
"$vschan" -c "$uri" wait-agent "$dom" --timeout 180

echo "agent-ping: through libvirt, $runs pairs"
python3 "$here/pair.py" --warmup 3 --runs "$runs" --export-json "$root/libvirt.json" \
  -n "vschan agent DOMAIN ping" "'$vschan' -c '$uri' agent $dom ping" \
  -n "virsh qemu-agent-command" "virsh -q -c '$uri' \"qemu-monitor-command $dom '{\\\"execute\\\":\\\"query-status\\\"}'; qemu-agent-command $dom '{\\\"execute\\\":\\\"guest-ping\\\"}'\""
python3 - "$root/libvirt.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v, p = d["results"][0]["median"], d["results"][1]["median"]
q = d["ratio"]
print("agent-ping: vschan %.1f ms, virsh %.1f ms median; virsh/vschan per pair: median %.2fx (IQR %.2f-%.2fx, %d pairs)"
      % (v * 1e3, p * 1e3, q["median"], q["q1"], q["q3"], len(q["per_pair"])))
EOF

# The direct transport, against qemu-ga on the host.
qemu-ga -m unix-listen -p "$root/qga.sock" -t "$root" -l "$root/qga.log" &
qga_pid=$!
# qemu-ga tells nobody when it listens: wait for its socket, at most 5 s.
for _ in $(seq 100); do [ -S "$root/qga.sock" ] && break; sleep 0.05; done
echo "agent-ping: the direct socket transport against qemu-ga on the host, $runs runs"
python3 "$here/pair.py" --warmup 3 --runs "$runs" --export-json "$root/socket.json" \
  -n "vschan agent --socket ping" "'$vschan' agent --socket '$root/qga.sock' ping"
python3 - "$root/socket.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("agent-ping: vschan agent --socket ping %.2f ms median (min %.2f ms)" % (r["median"] * 1e3, r["min"] * 1e3))
EOF
