#!/bin/bash
# vhost-user interfaces against a real back end: DPDK's testpmd
# (dpdk-testpmd, Debian's dpdk-dev) with a net_vhost port, run without
# hugepages (--no-huge: its memory is malloc'd, the guest's is mapped from
# the memfd QEMU passes).  The guest driver is the NIC's own option ROM:
# SeaBIOS boots iPXE from the network (-boot n), and iPXE drives the
# virtio-net device and sends DHCP and IPv6 router solicitations.
#
#  1. mode "client" (testpmd listens, QEMU connects): `vschan qemu-args
#     --memory 256M` output starts real QEMU; testpmd's vhost log shows
#     the connection, the protocol and virtio feature negotiation, the
#     guest's memory (one region of --memory's size, the shared memfd)
#     mapped by the back end, DRIVER_OK and "virtio is now ready"; testpmd
#     receives the guest's packets, from the spec's MAC, and forwards them
#     back into the guest's receive ring (its TX count).  QMP shows the
#     device, its MAC and the connected chardev.
#  2. mode "server" (QEMU listens, testpmd connects with client=1), two
#     queue pairs: QEMU waits for the back end, then the same data path;
#     QEMU sets up the four vrings of two queue pairs on the back end and
#     the device has multiqueue on.
#
# The packets are what prove the memory is shared: with share=off QEMU
# still negotiates and testpmd still says "ready", but no packet passes.
# Not proven: traffic on the second queue pair (iPXE does not negotiate
# VIRTIO_NET_F_MQ, so only pair 0 runs), offloads and mergeable buffers
# (iPXE takes neither), reconnection, a Linux guest's driver.
#
#   vhost-user-net.sh VSCHAN
# Exit 0 pass, 1 fail, 77 no QEMU or testpmd (a failure when CI is set).
set -u

vschan=${1:?usage: vhost-user-net.sh VSCHAN}
. "$(dirname "$0")/../lib/test.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found; install qemu-system-x86"
command -v dpdk-testpmd >/dev/null || skip "dpdk-testpmd not found; install dpdk-dev"

# Short: socket paths must fit sun_path.
TEST_TMP=$(mktemp -d /tmp/vsvn.XXXXXX)
# DPDK keeps a runtime directory per --file-prefix (even with
# --no-shconf): /var/run/dpdk/PREFIX for root, else under
# $XDG_RUNTIME_DIR or /tmp.  Ours has a name of its own and goes with us.
if [ "$(id -u)" -eq 0 ]; then dpdk_run=/var/run/dpdk; else dpdk_run=${XDG_RUNTIME_DIR:-/tmp}/dpdk; fi
dpdk_run_made=
[ -d "$dpdk_run" ] || dpdk_run_made=1
dpdk_prefix=vschan-test-${TEST_TMP##*.}
qemu_pid=
tp_pid=
patience=$TEST_LONG_S
# Stop PID: TERM, then KILL if it has not gone within 30 s.
stop_pid() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null
  wait_for 30 sh -c "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  exec 8>&- 9>&-
  stop_pid "$qemu_pid"
  stop_pid "$tp_pid"
  rm -rf "${TEST_TMP:?}" "${dpdk_run:?}/${dpdk_prefix:?}"
  [ -z "$dpdk_run_made" ] || rmdir "$dpdk_run" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start_testpmd NAME VDEV-ARGS [TESTPMD-ARGS]: interactive testpmd reading
# its commands from a fifo (fd 9), its log in $TEST_TMP/NAME.tp.log (line
# buffered: its packet dumps are printf's).
# 2048 mbufs: its default pool does not fit -m 256 without hugepages.
start_testpmd() {
  tp_log=$TEST_TMP/$1.tp.log
  mkfifo "$TEST_TMP/$1.tp.in"
  # shellcheck disable=SC2086  # $3: testpmd's options, split
  stdbuf -oL dpdk-testpmd --no-huge -m 256 --no-pci --no-shconf --file-prefix="$dpdk_prefix" \
    --log-level=lib.vhost.config:debug --vdev "net_vhost0,$2" \
    -- -i --total-num-mbufs=2048 --forward-mode=macswap ${3-} \
    <"$TEST_TMP/$1.tp.in" >"$tp_log" 2>&1 &
  tp_pid=$!
  exec 9>"$TEST_TMP/$1.tp.in"
  # verbose: each received packet is logged with its MACs
  printf '%s\n' "set verbose 1" "start" >&9
}
stop_testpmd() {
  echo quit >&9
  exec 9>&-
  wait_for "$TEST_LONG_S" sh -c "! kill -0 $tp_pid 2>/dev/null"
  stop_pid "$tp_pid"
  tp_pid=
}
# start_qemu NAME ARGS...: QEMU with QMP on a fifo (fd 8), its replies in
# $TEST_TMP/NAME.qmp, its stderr in NAME.qemu.log.  No -S: the firmware
# must run, iPXE is the guest's driver.
start_qemu() {
  qemu_name=$1
  shift
  mkfifo "$TEST_TMP/$qemu_name.qmp.in"
  qemu-system-x86_64 -machine pc -nodefaults -display none -accel tcg -m 256 -boot n \
    -qmp stdio "$@" <"$TEST_TMP/$qemu_name.qmp.in" >"$TEST_TMP/$qemu_name.qmp" \
    2>"$TEST_TMP/$qemu_name.qemu.log" &
  qemu_pid=$!
  exec 8>"$TEST_TMP/$qemu_name.qmp.in"
  echo '{"execute":"qmp_capabilities"}' >&8
}
stop_qemu() {
  echo '{"execute":"quit"}' >&8
  exec 8>&-
  wait_for "$TEST_LONG_S" sh -c "! kill -0 $qemu_pid 2>/dev/null"
  stop_pid "$qemu_pid"
  qemu_pid=
  has "$(cat "$TEST_TMP/$qemu_name.qmp")" '"reason": "host-qmp-quit"' "QEMU quits when asked"
}
tp_has() {  # PATTERN WHAT: testpmd's log has the basic regex PATTERN
  if grep -q -- "$1" "$tp_log"; then ok "$2"; else fail "$2: no '$1' in testpmd's log"; fi
}
# testpmd's port counters, nonzero both ways: "show port stats" until
# RX-packets (from the guest) and TX-packets (into its receive ring) are.
tp_stats_nonzero() {
  echo "show port stats 0" >&9
  sleep 0.5
  grep -q 'RX-packets: [1-9]' "$tp_log" && grep -q 'TX-packets: [1-9]' "$tp_log"
}
# What one mode proves, from testpmd's log, QMP and QEMU's stderr.
# check_data_path MAC
check_data_path() {
  # once one wait has failed, the others do not wait long (ctest's timeout)
  wait_for "$TEST_LONG_S" grep -q "virtio is now ready for processing" "$tp_log" || patience=5
  tp_has "virtio is now ready for processing" "iPXE drove the device: testpmd says 'virtio is now ready for processing'"
  tp_has "new device, handle is 0" "testpmd took QEMU's vhost-user connection"
  tp_has "negotiated Vhost-user protocol features: 0x" "they negotiated the vhost-user protocol features"
  tp_has "VHOST_USER_SET_OWNER" "QEMU took ownership of the back end"
  tp_has "negotiated Virtio features: 0x" "the guest's virtio features reached the back end"
  tp_has "guest memory region size: 0x10000000" \
    "the back end mapped the guest's memory: one region of --memory's 256M, the shared memfd"
  tp_has "DRIVER_OK: 1" "the driver set DRIVER_OK"
  wait_for "$patience" grep -q "src=$1 " "$tp_log" || patience=5
  tp_has "src=$1 " "testpmd received the guest's packets, from the spec's MAC $1"
  wait_for "$patience" tp_stats_nonzero || patience=5
  check "testpmd's counters: packets from the guest and back into its receive ring" tp_stats_nonzero
  qmp=$TEST_TMP/$qemu_name.qmp
  printf '%s\n' \
    '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-net","property":"type"}}' \
    '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-net/virtio-backend","property":"mac"}}' \
    '{"execute":"query-chardev"}' >&8
  wait_for "$patience" grep -q '"label": "vschan-net"' "$qmp"
  has "$(cat "$qmp")" '{"return": "virtio-net-pci"}' "QEMU realized virtio-net-pci"
  has "$(cat "$qmp")" "{\"return\": \"$1\"}" "with the spec's MAC"
  has "$(cat "$qmp")" '"frontend-open": true, "filename": "unix:[^"]*", "label": "vschan-net"' \
    "the vhost-user chardev is connected"
}

# --- 1. mode "client": testpmd listens, QEMU connects ---
sock=$TEST_TMP/client.sock
mac=52:54:00:12:34:56
cat >"$TEST_TMP/client.json" <<JSON
{"interfaces": [{"type": "vhostuser", "mac": {"address": "$mac"},
  "source": {"type": "unix", "path": "$sock", "mode": "client"}, "model": {"type": "virtio"}}]}
JSON
run "$vschan" qemu-args --memory 256M "$TEST_TMP/client.json"
expect 0 "qemu-args writes the interface with QEMU as the client" \
  "-chardev socket,id=vschan-net,path=$sock -netdev vhost-user,chardev=vschan-net,id=vschan-net -device virtio-net-pci,netdev=vschan-net,id=vschan-net,mac=$mac" '^$'
has "$out" "memory-backend-memfd,id=vschan-mem,size=268435456,share=on" "and the guest's memory as a shared memfd"
lacks "$out" "server=on" "QEMU does not listen"
line=$out

start_testpmd client "iface=$sock,queues=1"
wait_for "$TEST_LONG_S" test -S "$sock" ||
  { test_quote "$(cat "$tp_log")"; fail "testpmd did not open $sock"; summary; exit 1; }
ok "testpmd listens on $sock (net_vhost, --no-huge)"
eval "set -- $line"
start_qemu client "$@"
check_data_path "$mac"
[ "$TEST_FAILED" -eq 0 ] || { test_quote "$(cat "$tp_log")" 6000; test_quote "$(cat "$TEST_TMP/client.qemu.log")"; }
stop_qemu
tp_has "vhost peer closed" "testpmd saw QEMU go"
stop_testpmd

# --- 2. mode "server": QEMU listens, testpmd connects; two queue pairs ---
sock=$TEST_TMP/server.sock
mac=52:54:00:12:34:57
cat >"$TEST_TMP/server.json" <<JSON
{"interfaces": [{"type": "vhostuser", "mac": {"address": "$mac"},
  "source": {"type": "unix", "path": "$sock", "mode": "server"}, "model": {"type": "virtio"},
  "driver": {"queues": 2}}]}
JSON
run "$vschan" qemu-args --memory 256M "$TEST_TMP/server.json"
expect 0 "qemu-args writes the interface with QEMU as the server, two queue pairs" \
  "-chardev socket,id=vschan-net,path=$sock,server=on -netdev vhost-user,chardev=vschan-net,id=vschan-net,queues=2 -device virtio-net-pci,netdev=vschan-net,id=vschan-net,mac=$mac,mq=on" '^$'
line=$out

eval "set -- $line"
start_qemu server "$@"
wait_for "$TEST_LONG_S" test -S "$sock" ||
  { test_quote "$(cat "$TEST_TMP/server.qemu.log")"; fail "QEMU did not open $sock"; summary; exit 1; }
has "$(cat "$TEST_TMP/server.qemu.log")" "QEMU waiting for connection on: disconnected:unix:$sock,server=on" \
  "QEMU listens on the socket and waits for the back end"
start_testpmd server "iface=$sock,queues=2,client=1" "--rxq=2 --txq=2"
check_data_path "$mac"
tp_has "vring call idx:3 " "QEMU set up the four vrings of two queue pairs on the back end"
echo '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-net/virtio-backend","property":"mq"}}' >&8
wait_for "$TEST_LONG_S" grep -q '{"return": true}' "$TEST_TMP/server.qmp"
has "$(cat "$TEST_TMP/server.qmp")" '{"return": true}' "the device has multiqueue on"
[ "$TEST_FAILED" -eq 0 ] || { test_quote "$(cat "$tp_log")" 6000; test_quote "$(cat "$TEST_TMP/server.qemu.log")"; }
stop_qemu
stop_testpmd

summary
