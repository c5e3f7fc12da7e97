#!/bin/bash
# Channel throughput: 100 MiB of random bytes through 'vschan connect' and
# back, MiB/s printed (each MiB travels both ways).
#   1. --socket against a fast local echo peer (Python, 1 MiB buffers),
#      against OpenBSD netcat (nc -N -U) on the same peer; timed in
#      interleaved pairs (bench/pair.py), median of the per-pair ratios.
#   2. Through the echo service of the real test guest (tests/guest, TCG
#      by default): a channel hot-plugged with 'vschan add', reached with
#      'vschan connect DOMAIN IDENT' (a libvirt stream) and with
#      'vschan connect --socket' on the channel's socket.  The guest never
#      closes the port, so vschan waits for 2 s of quiet after the last
#      byte (--drain-timeout 2); the 2 s are taken off the time.  Every run
#      is checked byte for byte.  nc cannot do this (-q counts from the end
#      of its input, not from the last byte back): what it gets is shown.
#
# usage: bench/channel-throughput.sh [VSCHAN]
#   RUNS=N        timed pairs for part 1 (default 10)
#   GUEST=0       skip part 2
#   IMAGE=DIR     the guest image (default BUILD/guest-image, built if needed)
#   VSCHAN_GUEST_ACCEL=kvm|tcg  (default tcg)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vschan=$(realpath "${1:-$here/../build/src/vschan}")
runs=${RUNS:-10}
mib=100
for tool in python3 nc sha256sum; do
  command -v "$tool" >/dev/null || { echo "channel-throughput: '$tool' is missing (scripts/install-deps)" >&2; exit 1; }
done
[ -x "$vschan" ] || { echo "channel-throughput: '$vschan' is not built (scripts/build)" >&2; exit 1; }

. "$here/../tests/lib/embed.sh"
tmp=$(mktemp -d /tmp/vsbench.XXXXXX)
uri="qemu:///embed?root=$tmp/root"
dom=vschan-bench-chan
peer_pid=
cleanup() {
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
  if [ -d "$tmp/root" ]; then
    # One settled virsh on a root with a running domain (tests/lib/embed.sh).
    embed_virsh "$tmp/root" "destroy $dom; undefine $dom" >/dev/null 2>&1
    embed_kill_qemus "$tmp/root"
  fi
  rm -rf "${tmp:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export LIBVIRT_LOG_OUTPUTS="3:file:$tmp/libvirt.log"

head -c $((mib << 20)) /dev/urandom >"$tmp/data"
want=$(sha256sum <"$tmp/data" | cut -d' ' -f1)

# check WHAT COMMAND: one run, byte for byte.
check() {
  got=$(bash -c "$2" | sha256sum | cut -d' ' -f1)
  if [ "$got" = "$want" ]; then
    echo "channel-throughput: $1: $mib MiB came back byte for byte"
  else
    echo "channel-throughput: $1: the data came back DIFFERENT" >&2
    exit 1
  fi
}

# --- 1. a local echo peer -------------------------------------------------------
python3 - "$tmp/echo.sock" <<'EOF' &
import os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(4)
buf = bytearray(1 << 20)
while True:
    conn, _ = srv.accept()
    view = memoryview(buf)
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        conn.sendall(view[:n])
    conn.close()
EOF
peer_pid=$!
# Bounded wait for the peer's socket (at most 5 s).
for _ in $(seq 100); do [ -S "$tmp/echo.sock" ] && break; sleep 0.05; done

check "vschan connect --socket" "'$vschan' connect --socket '$tmp/echo.sock' --half-close < '$tmp/data'"
check "nc -N -U" "nc -N -U '$tmp/echo.sock' < '$tmp/data'"
python3 "$here/pair.py" --warmup 1 --runs "$runs" --input "$tmp/data" --export-json "$tmp/local.json" \
  -n "vschan connect --socket" "'$vschan' connect --socket '$tmp/echo.sock' --half-close" \
  -n "nc -N -U" "nc -N -U '$tmp/echo.sock'"
python3 - "$tmp/local.json" "$mib" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
mib = int(sys.argv[2])
v, n = d["results"][0]["median"], d["results"][1]["median"]
q = d["ratio"]
print("channel-throughput: local echo peer: vschan %.0f MiB/s (%.0f ms), nc %.0f MiB/s (%.0f ms) median; "
      "nc/vschan time per pair: median %.2fx (IQR %.2f-%.2fx, %d pairs)"
      % (mib / v, v * 1e3, mib / n, n * 1e3, q["median"], q["q1"], q["q3"], len(q["per_pair"])))
EOF

# --- 2. the guest's echo service ------------------------------------------------
if [ "${GUEST:-1}" = 0 ]; then
  exit 0
fi
image=${IMAGE:-$(dirname "$vschan")/../guest-image}
sh "$here/../tests/guest/build-image.sh" "$image" >/dev/null
image=$(cd "$image" && pwd)
sh "$here/../tests/lib/embed-root.sh" "$tmp/root" >/dev/null
type=qemu
[ "${VSCHAN_GUEST_ACCEL:-tcg}" = kvm ] && type=kvm
sed -e "s|@TYPE@|$type|" -e "s|@NAME@|$dom|" -e "s|@KERNEL@|$image/vmlinuz|" \
    -e "s|@INITRD@|$image/initrd.img|" -e "s|@CONSOLE_LOG@|$tmp/console.log|" \
    "$here/../tests/guest/domain.xml.in" >"$tmp/domain.xml"
virsh -q -c "$uri" define "$tmp/domain.xml" >/dev/null
virsh -q -c "$uri" start "$dom" >/dev/null
echo "channel-throughput: booting the test guest ($type) ..."
"$vschan" -c "$uri" wait-agent "$dom" --timeout 180 >/dev/null
"$vschan" -c "$uri" add "$dom" --template app-channel --set name=org.vschan.test.0 \
  --set "path=$tmp/chan.sock" --live >/dev/null
# The guest's udev creates the port's name a moment after the hot-plug and
# tells nobody: ask the guest agent, at most 60 times in 30 s.
for _ in $(seq 60); do
  "$vschan" -c "$uri" agent "$dom" exec -- /bin/ls /dev/virtio-ports 2>/dev/null |
    grep -qx org.vschan.test.0 && break
  sleep 0.5
done

# timed WHAT COMMAND: one run through the guest, 2 s of drain taken off.
timed() {
  local t0 t1 got
  t0=$(date +%s%N)
  got=$(bash -c "$2" | sha256sum | cut -d' ' -f1)
  t1=$(date +%s%N)
  [ "$got" = "$want" ] || { echo "channel-throughput: $1: the data came back DIFFERENT" >&2; exit 1; }
  python3 -c "
ms = ($t1 - $t0) / 1e6 - 2000
print('channel-throughput: guest echo, %s: %.1f MiB/s (%.0f ms for $mib MiB both ways, byte for byte)' % ('$1', $mib / (ms / 1000), ms))"
}
timed "vschan connect DOMAIN IDENT (libvirt stream)" \
  "'$vschan' -c '$uri' connect $dom org.vschan.test.0 --drain-timeout 2 < '$tmp/data'"
timed "vschan connect --socket" "'$vschan' connect --socket '$tmp/chan.sock' --drain-timeout 2 < '$tmp/data'"
# nc has no quiet timer: -q N quits N s after its input ends, whatever is
# still on its way back, so it cannot stand in here; show what it keeps.
got=$(nc -q 2 -U "$tmp/chan.sock" <"$tmp/data" | wc -c)
echo "channel-throughput: guest echo, nc -U -q 2 for comparison: got $got of $((mib << 20)) bytes back (it stops 2 s after its input ends)"
