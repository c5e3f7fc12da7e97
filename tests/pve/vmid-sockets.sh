#!/bin/bash
# Proxmox VE's own sockets, without libvirt: `vschan connect --vmid VMID
# serialN` reaches RUN_DIR/VMID.serialN as 'qm terminal' does, and
# `vschan agent --vmid VMID COMMAND` the agent at RUN_DIR/VMID.qga as 'qm
# guest cmd' does.  The peers are real: QEMU listening on VMID.serial0 as
# qemu-server makes it listen (here with its monitor on that chardev, so
# that what vschan sends gets an answer), and qemu-ga on VMID.qga.
#
#   vmid-sockets.sh VSCHAN
# Exit 0 pass, 1 fail, 77 no QEMU or qemu-ga (a failure when CI is set).
set -u

vschan=${1:?usage: vmid-sockets.sh VSCHAN}
. "$(dirname "$0")/../lib/test.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is missing (Debian package qemu-system-x86)"
qemu_ga=$(command -v qemu-ga || echo /usr/bin/qemu-ga)
[ -x "$qemu_ga" ] || skip "qemu-ga is missing (Debian package qemu-guest-agent)"
TEST_TMP=$(mktemp -d /tmp/vsvm.XXXXXX)
run_dir=$TEST_TMP/run
mkdir -p "$run_dir" "$TEST_TMP/ga-state"
pids=""
cleanup() {
  for pid in $pids; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "${TEST_TMP:?}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# QEMU listening on VMID.serial0 as qemu-server makes it listen
# (proxmox.md, section 2), with its monitor on that chardev instead of the
# guest's port, so that what vschan sends there gets an answer.
qemu-system-x86_64 -machine pc -accel tcg -nodefaults -display none -S \
  -chardev "socket,id=serial0,path=$run_dir/101.serial0,server=on,wait=off" \
  -mon chardev=serial0,mode=readline >"$TEST_TMP/qemu.log" 2>&1 &
pids="$pids $!"
"$qemu_ga" -m unix-listen -p "$run_dir/101.qga" -t "$TEST_TMP/ga-state" >"$TEST_TMP/ga.log" 2>&1 &
pids="$pids $!"
wait_for "$TEST_LONG_S" test -S "$run_dir/101.serial0" || { cat "$TEST_TMP/qemu.log" >&2; fail "QEMU listens on 101.serial0"; }
wait_for "$TEST_LONG_S" test -S "$run_dir/101.qga" || { cat "$TEST_TMP/ga.log" >&2; fail "qemu-ga listens on 101.qga"; }

# The monitor answers "info version" with QEMU's version.
version=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
# "quit" ends QEMU, which closes the socket: connect ends then, whatever
# the machine's load, and does not need a short drain timeout
run sh -c "printf 'info version\nquit\n' | timeout $TEST_LONG_S '$vschan' connect --vmid 101 serial0 --run-dir '$run_dir' --drain-timeout 60"
expect 0 "connect --vmid 101 serial0 reaches RUN_DIR/101.serial0 (QEMU answers through it)" "$version"

run timeout "$TEST_LONG_S" "$vschan" agent --vmid 101 --run-dir "$run_dir" ping
expect 0 "agent --vmid 101 ping: qemu-ga on RUN_DIR/101.qga answers"
run timeout "$TEST_LONG_S" "$vschan" agent --vmid 101 --run-dir "$run_dir" --json osinfo
expect 0 "agent --vmid 101 osinfo: the real agent's answer" '"kernel-release"'

# What is not a channel of the VM, and what is missing.
run "$vschan" connect --vmid 101 qga --run-dir "$run_dir"
expect 2 "connect --vmid 101 qga: the agent's, say so" "" "vschan agent --vmid 101"
run "$vschan" connect --vmid 101 qmp --run-dir "$run_dir"
expect 2 "connect --vmid 101 qmp: QEMU's monitor, not a channel" "" "QMP monitor"
run "$vschan" connect --vmid 101 ../x --run-dir "$run_dir"
expect 2 "connect --vmid 101 ../x: not a socket name" "" "pve-socket"
run "$vschan" connect --vmid 0101 serial0 --run-dir "$run_dir"
expect 2 "connect --vmid 0101: not a VMID" "" "pve-vmid"
run timeout "$TEST_LONG_S" "$vschan" connect --vmid 102 serial0 --run-dir "$run_dir"
expect 3 "connect --vmid 102 serial0: no such socket, said with its path" "" "$run_dir/102.serial0"
run timeout "$TEST_LONG_S" "$vschan" agent --vmid 102 --run-dir "$run_dir" ping
expect 3 "agent --vmid 102: no such socket, said with its path" "" "$run_dir/102.qga"
run "$vschan" agent --vmid 101 --socket "$run_dir/101.qga" ping
expect 2 "agent --vmid with --socket: one or the other"

summary
