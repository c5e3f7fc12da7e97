#!/bin/bash
# End-to-end test on a real Linux guest (issue 6, tests item 3): boot the
# image of build-image.sh under libvirt's embedded QEMU driver, reach
# qemu-ga through libvirt, hot-plug a channel org.vschan.test.0, carry bytes
# through it both ways (the guest echoes them), see the port appear in the
# guest and disappear after unplugging.
#
# usage: boot-test.sh IMAGEDIR
#   IMAGEDIR holds vmlinuz and initrd.img (build-image.sh IMAGEDIR).
# Environment:
#   VSCHAN_GUEST_ACCEL=kvm|tcg  force the accelerator; by default KVM when
#                               embed-root.sh finds /dev/kvm usable, falling
#                               back to TCG when the guest shows no sign of
#                               life under KVM (broken nested KVM)
#   VSCHAN_GUEST_KEEP=1         keep the embed root (console log, libvirt
#                               logs) after a failure
# Exit status: 0 pass, 1 fail, 77 skipped (libvirt's embedded driver
# unusable and CI not set), 2 usage.
#
# Each step is one function (step_*), so the virsh calls can be replaced by
# the vschan commands one at a time: wait-agent, agent, add, connect, remove.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: boot-test.sh IMAGEDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
image=$(cd "$1" && pwd)
kernel=$image/vmlinuz
initrd=$image/initrd.img
dom=vschan-e2e
test_port=org.vschan.test.0
test_alias=ua-vschan-test-0

started=$SECONDS
say() { echo "boot-test: [$((SECONDS - started))s] $*"; }
# shellcheck source=../lib/test.sh
. "$here/../lib/test.sh"
# A failure ends the test.
die() {
  fail "$*"
  show_console >&2
  exit 1
}

for f in "$kernel" "$initrd"; do
  [ -r "$f" ] || { echo "boot-test: '$f' is missing; run build-image.sh '$image' first" >&2; exit 1; }
done
for tool in virsh python3; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' is missing; install libvirt-clients and python3"
done

# --- the embed root and its cleanup -----------------------------------------
# libvirt puts the agent socket 68 characters below the root, and a unix
# socket path has at most 107: keep the root short.
tmp=${TMPDIR:-/tmp}
[ "${#tmp}" -le 20 ] || tmp=/tmp
root=$(mktemp -d "$tmp/vschan-guest.XXXXXX")
console_log=$root/console.log
test_sock=$root/test0.sock

# One virsh process that waits for the driver's reconnection to the
# running domain before it exits, logging into the root (see embed.sh).
# shellcheck source=../lib/embed.sh
. "$here/../lib/embed.sh"
vvirsh() { embed_virsh "$root" "$*"; }

show_console() {
  [ -s "${console_log-}" ] || return 0
  echo "--- last lines of the guest console ($console_log) ---"
  tail -n 40 "$console_log"
  echo "---"
}

# The embedded driver runs QEMU as a daemon that outlives virsh; destroy it
# through libvirt, and kill it by its pid file if libvirt cannot.
cleanup() {
  status=$?
  trap - EXIT INT TERM
  vvirsh destroy "$dom" >/dev/null 2>&1 || true
  vvirsh undefine "$dom" >/dev/null 2>&1 || true
  embed_kill_qemus "$root"
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && [ -n "${VSCHAN_GUEST_KEEP-}" ]; then
    echo "boot-test: kept '$root'" >&2
  else
    rm -rf "${root:?}"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

set +e
accel_line=$(sh "$here/../lib/embed-root.sh" "$root")
rc=$?
set -e
[ "$rc" -eq 77 ] && skip "libvirt's embedded QEMU driver cannot run here (see above)"
[ "$rc" -eq 0 ] || die "embed-root.sh failed ($rc)"
case ${VSCHAN_GUEST_ACCEL-} in
  kvm|tcg) accel=$VSCHAN_GUEST_ACCEL; accel_forced=1 ;;
  "") case $accel_line in "accel: kvm"*) accel=kvm ;; *) accel=tcg ;; esac; accel_forced= ;;
  *) echo "boot-test: VSCHAN_GUEST_ACCEL must be 'kvm' or 'tcg'" >&2; exit 2 ;;
esac

# Waits for the guest to boot: under TCG on a busy machine it is slow.
if [ "$accel" = kvm ]; then agent_limit=$TEST_LONG_S; else agent_limit=300; fi

# --- helpers ------------------------------------------------------------------
# domain_xml TYPE: the domain of domain.xml.in for this run.
domain_xml() {
  for p in "$kernel" "$initrd" "$console_log"; do
    case $p in *[\'\"\<\>\&\|]*) die "path '$p' has characters this test does not escape" ;; esac
  done
  sed -e "s|@TYPE@|$1|" -e "s|@NAME@|$dom|" -e "s|@KERNEL@|$kernel|" \
      -e "s|@INITRD@|$initrd|" -e "s|@CONSOLE_LOG@|$console_log|" \
      "$here/domain.xml.in"
}

domain_running() {
  [ "$(vvirsh domstate "$dom" 2>/dev/null | head -n 1)" = running ]
}

oneline() { paste -sd ' ' <<<"$1"; }

console_has() { [ -f "$console_log" ] && grep -q "$1" "$console_log"; }

check_no_panic() {
  if console_has 'Kernel panic'; then die "the guest kernel panicked"; fi
  domain_running || die "the guest stopped"
}

# agent_cmd JSON: one guest agent command through libvirt; prints the reply.
# An agent command takes the agent job, not the domain job, so without
# vvirsh's settling query it could run before the reconnection has seen the
# agent channel open, and fail with "agent is not connected".
agent_cmd() {
  case $1 in *"'"*) die "agent command with a single quote: $1" ;; esac
  vvirsh "qemu-agent-command $dom --timeout 10 '$1'"
}

# json_get FIELD...: reads JSON on stdin, prints the value at that path
# (base64 fields decoded when the last name ends in -data).
json_get() {
  python3 -c '
import base64, json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[k] if not isinstance(v, list) else v[int(k)]
if sys.argv[-1].endswith("-data"):
    sys.stdout.write(base64.b64decode(v).decode("utf-8", "replace"))
elif isinstance(v, bool):
    print("true" if v else "false")
else:
    print(v)
' "$@"
}

# --- steps --------------------------------------------------------------------
# Define and start the domain; under KVM, wait for the first sign of life
# from the kernel and fall back to TCG if there is none.
step_boot() {
  domain_xml "$1" >"$root/domain.xml"
  vvirsh define "$root/domain.xml" >/dev/null || die "cannot define the domain"
  vvirsh start "$dom" >/dev/null || die "cannot start the domain"
  say "started '$dom' ($accel)"
}

boot_with_fallback() {
  if [ "$accel" = kvm ]; then
    step_boot kvm
    local limit=$((SECONDS + 20))
    while [ "$SECONDS" -lt "$limit" ]; do
      console_has 'Run /init' && return 0
      sleep 0.5
    done
    if [ -n "$accel_forced" ]; then
      die "no kernel output within 20 s under KVM"
    fi
    say "no kernel output within 20 s under KVM; this machine's KVM cannot run the guest, retrying under TCG"
    vvirsh destroy "$dom" >/dev/null 2>&1 || true
    vvirsh undefine "$dom" >/dev/null || die "cannot undefine the domain"
    rm -f "$console_log"
    accel=tcg
    agent_limit=300
  fi
  step_boot qemu
}

# Wait until qemu-ga answers guest-ping.  (vschan wait-agent)
step_wait_agent() {
  local limit=$((SECONDS + agent_limit))
  while [ "$SECONDS" -lt "$limit" ]; do
    check_no_panic
    if agent_cmd '{"execute":"guest-ping"}' >/dev/null 2>&1; then
      say "the guest agent answers"
      return 0
    fi
    sleep 1
  done
  die "the guest agent did not answer within ${agent_limit} s"
}

# step_agent_exec SHELL-COMMAND: run it in the guest with guest-exec, poll
# guest-exec-status, print its stdout; fail unless it exits 0.  (vschan agent exec)
step_agent_exec() {
  local req reply pid status limit
  req=$(python3 -c '
import json, sys
print(json.dumps({"execute": "guest-exec", "arguments": {
    "path": "/bin/sh", "arg": ["-c", sys.argv[1]], "capture-output": True}}))
' "$1")
  reply=$(agent_cmd "$req") || die "guest-exec of '$1' failed"
  pid=$(json_get return pid <<<"$reply")
  limit=$((SECONDS + TEST_LONG_S))
  while :; do
    status=$(agent_cmd "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") ||
      die "guest-exec-status for '$1' failed"
    [ "$(json_get return exited <<<"$status")" = true ] && break
    [ "$SECONDS" -lt "$limit" ] || die "'$1' did not finish in the guest within $TEST_LONG_S s"
    sleep 0.2
  done
  local code
  code=$(json_get return exitcode <<<"$status")
  [ "$code" = 0 ] || die "'$1' exited with $code in the guest: $(json_get return err-data <<<"$status" 2>/dev/null)"
  json_get return out-data <<<"$status" 2>/dev/null || true
}

# step_guest_ports: names in the guest's /dev/virtio-ports, one a line.
step_guest_ports() { step_agent_exec 'ls /dev/virtio-ports'; }

# step_wait_port NAME present|absent: the guest's port supervisor rescans
# every 0.2 s, so allow it a few seconds.
step_wait_port() {
  local limit=$((SECONDS + TEST_LONG_S)) names
  while :; do
    names=$(step_guest_ports)
    if grep -qx "$1" <<<"$names"; then
      [ "$2" = present ] && return 0
    else
      [ "$2" = absent ] && return 0
    fi
    [ "$SECONDS" -lt "$limit" ] || die "'$1' is not $2 in the guest's /dev/virtio-ports after $TEST_LONG_S s (it has: $(oneline "$names"))"
    sleep 0.5
  done
}

# Hot-plug the test channel on a unix socket QEMU listens on.  (vschan add)
step_add_channel() {
  cat >"$root/channel.xml" <<EOF
<channel type='unix'>
  <source mode='bind' path='$test_sock'/>
  <target type='virtio' name='$test_port'/>
  <alias name='$test_alias'/>
</channel>
EOF
  vvirsh attach-device "$dom" "$root/channel.xml" --live >/dev/null ||
    die "cannot hot-plug '$test_port'"
  say "hot-plugged '$test_port' on '$test_sock'"
}

# Send bytes through the test channel and read them back: a line, then
# 1 MiB of every byte value while reading concurrently, then again over a
# new connection (the echo must survive the host side reconnecting).
# (vschan connect)
step_echo() {
  python3 - "$test_sock" "$TEST_LONG_S" <<'EOF' || die "the echo through '$test_port' failed"
import os, socket, sys, threading, time

path, patience = sys.argv[1], float(sys.argv[2])

def roundtrip(data, what):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(patience)
    s.connect(path)
    sent_at = time.monotonic()
    error = []
    def send():
        try:
            s.sendall(data)
        except OSError as e:
            error.append(e)
    sender = threading.Thread(target=send)
    sender.start()
    got = bytearray()
    try:
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    sender.join()
    s.close()
    took = time.monotonic() - sent_at
    if error:
        sys.exit("%s: send failed: %s" % (what, error[0]))
    if bytes(got) != data:
        sys.exit("%s: sent %d bytes, got %d back%s" % (
            what, len(data), len(got),
            "" if len(got) != len(data) else " (different)"))
    print("boot-test:   %s: %d bytes echoed in %.2f s" % (what, len(data), took))

roundtrip(b"hello from the host\n", "line")
roundtrip(bytes(range(256)) * 4096, "1 MiB, every byte value")
roundtrip(os.urandom(4096), "random, new connection")
EOF
}

# Unplug the test channel by its alias.  (vschan remove)
step_remove_channel() {
  vvirsh detach-device-alias "$dom" "$test_alias" --live >/dev/null ||
    die "cannot unplug '$test_port'"
  say "unplugged '$test_port'"
}

# --- the test -----------------------------------------------------------------
boot_with_fallback
step_wait_agent
say "kernel and init: $(grep -c 'vschan-guest:' "$console_log" 2>/dev/null || echo 0) progress lines on the console"

names=$(step_guest_ports)
grep -qx org.qemu.guest_agent.0 <<<"$names" ||
  die "the guest's /dev/virtio-ports does not list the agent port (it has: $(oneline "$names"))"
say "the guest sees: $(oneline "$names")"

# Twice: the second plug reuses the guest's device name (vport0pN) of the
# first, which the guest must treat as a new port.
for round in 1 2; do
  say "round $round"
  step_add_channel
  step_wait_port "$test_port" present
  say "'$test_port' is in the guest"
  step_echo
  say "echo through '$test_port' works"
  step_remove_channel
  step_wait_port "$test_port" absent
  say "'$test_port' is gone from the guest"
done
check_no_panic
say "PASS"
