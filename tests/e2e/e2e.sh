#!/bin/bash
# End to end with a real Linux guest, through the vschan binary only
# (issue 6): boot the guest of tests/guest under libvirt's embedded QEMU
# driver, then
#   vschan wait-agent                       the agent answers
#   vschan agent ping/osinfo/hostname/exec  through libvirt
#   vschan add --template app-channel       hot-plug org.vschan.test.0
#   vschan agent exec                       the port is in the guest
#   vschan connect                          bytes go through and come back
#                                           (the guest echoes the port)
#   vschan remove                           the port is gone in the guest
# and the ways a session ends: the device unplugged under a connected
# socket, QEMU killed under a libvirt stream.
#
# usage: e2e.sh VSCHAN IMAGEDIR
# Environment (set by CMake): BUILD_IMAGE_SH, DOMAIN_XML_IN, EMBED_ROOT_SH.
#   VSCHAN_GUEST_ACCEL=kvm|tcg  force the accelerator (default: KVM when
#                               usable, TCG when the guest shows no sign of
#                               life under KVM within 20 s)
#   VSCHAN_E2E_KEEP=1           keep the root (console, logs) after a failure
# Exit: 0 pass, 1 fail, 77 skip (image or libvirt unavailable, CI unset).
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: e2e.sh VSCHAN IMAGEDIR" >&2
  exit 2
fi
VSCHAN=$1
image=$2
: "${BUILD_IMAGE_SH:?}" "${DOMAIN_XML_IN:?}" "${EMBED_ROOT_SH:?}"
dom=vschan-e2e
port=org.vschan.test.0
alias=ua-vschan-org-vschan-test-0

started=$SECONDS
say() { echo "e2e: [$((SECONDS - started))s] $*"; }
# shellcheck source=../lib/test.sh
. "${EMBED_ROOT_SH%/*}/test.sh"
# A failure after which the rest cannot run.
die() {
  fail "$*"
  show_console >&2
  exit 1
}

[ -x "$VSCHAN" ] || skip "'$VSCHAN' is not built"
command -v virsh >/dev/null 2>&1 || skip "'virsh' is missing (libvirt-clients); it defines and starts the domain"
# Sessions below read '</dev/null' as "no input".  When /dev/null was once
# a regular file here (replaced by a rename; see d2f6723), concurrent
# '>/dev/null' writers left NUL-filled holes in it, and those bytes went
# through the channel and came back: say so instead of blaming the channel.
if [ ! -c /dev/null ]; then
  echo "FAIL: /dev/null is not a character device on this machine: $(ls -l /dev/null)"
  exit 1
fi

# --- the image ------------------------------------------------------------------
sh "$BUILD_IMAGE_SH" "$image" >/dev/null
rc=$?
[ $rc -eq 77 ] && skip "the guest image cannot be built here (packages cannot be downloaded)"
[ $rc -eq 0 ] || { echo "FAIL: build-image.sh failed ($rc)" >&2; exit 1; }
kernel=$(cd "$image" && pwd)/vmlinuz
initrd=$(cd "$image" && pwd)/initrd.img

# --- the root and its cleanup --------------------------------------------------
# libvirt puts the agent socket 68 characters below the root and a unix
# socket path has at most 107: keep the root short.
root=$(mktemp -d /tmp/vsc-e2e.XXXXXX) || exit 1
TEST_TMP=$root
URI="qemu:///embed?root=$root"
console_log=$root/console.log
sock=$root/t0.sock
# The embedded driver logs to stderr (taint warnings); keep that in the root.
export LIBVIRT_LOG_OUTPUTS="3:file:$root/libvirt.log"
# shellcheck source=../lib/embed.sh
. "${EMBED_ROOT_SH%/*}/embed.sh"
bg_pids=""

show_console() {
  [ -s "$console_log" ] || return 0
  echo "--- last lines of the guest console ---"
  tail -n 30 "$console_log"
  echo "---"
}

cleanup() {
  status=$?
  trap - EXIT INT TERM
  for p in $bg_pids; do kill "$p" 2>/dev/null; done
  embed_virsh "$root" "destroy $dom" >/dev/null 2>&1
  embed_virsh "$root" "undefine $dom" >/dev/null 2>&1
  embed_kill_qemus "$root"
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && [ -n "${VSCHAN_E2E_KEEP-}" ]; then
    echo "e2e: kept '$root'" >&2
  else
    rm -rf "${root:?}"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

accel_line=$(sh "$EMBED_ROOT_SH" "$root")
rc=$?
[ $rc -eq 77 ] && skip "libvirt's embedded QEMU driver cannot run here"
[ $rc -eq 0 ] || die "embed-root.sh failed ($rc)"
case ${VSCHAN_GUEST_ACCEL-} in
kvm | tcg) accel=$VSCHAN_GUEST_ACCEL forced=1 ;;
"") case $accel_line in "accel: kvm"*) accel=kvm ;; *) accel=tcg ;; esac; forced= ;;
*) echo "e2e: VSCHAN_GUEST_ACCEL must be kvm or tcg" >&2; exit 2 ;;
esac

# --- helpers ------------------------------------------------------------------
# vs ARGS...: run vschan on the root (see run in tests/lib/test.sh).
vs() {
  run "$VSCHAN" -c "$URI" "$@"
}

domain_xml() {
  for p in "$kernel" "$initrd" "$console_log"; do
    case $p in *[\'\"\<\>\&\|]*) die "path '$p' has characters this test does not escape" ;; esac
  done
  sed -e "s|@TYPE@|$1|" -e "s|@NAME@|$dom|" -e "s|@KERNEL@|$kernel|" \
      -e "s|@INITRD@|$initrd|" -e "s|@CONSOLE_LOG@|$console_log|" "$DOMAIN_XML_IN"
}

boot() {
  domain_xml "$1" >"$root/domain.xml"
  embed_virsh "$root" "define $root/domain.xml" >/dev/null || die "cannot define the domain"
  embed_virsh "$root" "start $dom" >/dev/null || die "cannot start the domain"
  say "started '$dom' ($accel)"
}

# The guest's virtio port names, through vschan agent exec.
guest_ports() {
  vs agent --timeout 10 "$dom" exec -- /bin/ls /dev/virtio-ports
  [ "$rc" -eq 0 ] || return 1
  printf '%s\n' "$out"
}

# wait_port NAME present|absent: the guest rescans its ports every 0.2 s.
# Only a real listing counts (the agent answered, and its own port is in
# it): a failed or empty one proves no absence.
wait_port() {
  local limit=$((SECONDS + TEST_LONG_S)) names
  while :; do
    if ! names=$(guest_ports) || ! grep -qx org.qemu.guest_agent.0 <<<"$names"; then
      [ "$SECONDS" -lt "$limit" ] || { fail "cannot list the guest's ports: agent exec keeps failing"; return 1; }
      sleep 0.5
      continue
    fi
    if grep -qx "$1" <<<"$names"; then
      [ "$2" = present ] && return 0
    else
      [ "$2" = absent ] && return 0
    fi
    [ "$SECONDS" -lt "$limit" ] || { fail "'$1' is not $2 in the guest after $TEST_LONG_S s (it has: $(paste -sd ' ' <<<"$names"))"; return 1; }
    sleep 0.5
  done
}

# --- boot ---------------------------------------------------------------------
# The domain is not running yet: wait-agent refuses at once (before boot).
domain_xml qemu >"$root/domain.xml"
embed_virsh "$root" "define $root/domain.xml" >/dev/null || die "cannot define the domain"
vs wait-agent "$dom" --timeout 5
expect 1 "wait-agent on a domain that is not running refuses at once" "" "is not running"
embed_virsh "$root" "undefine $dom" >/dev/null

if [ "$accel" = kvm ]; then
  boot kvm
  limit=$((SECONDS + 20))
  while [ "$SECONDS" -lt "$limit" ] && ! grep -q 'Run /init' "$console_log" 2>/dev/null; do
    sleep 0.5
  done
  if ! grep -q 'Run /init' "$console_log" 2>/dev/null; then
    [ -n "$forced" ] && die "no kernel output within 20 s under KVM"
    say "no kernel output within 20 s under KVM (nested KVM that cannot run the guest); TCG instead"
    embed_virsh "$root" "destroy $dom" >/dev/null 2>&1
    embed_virsh "$root" "undefine $dom" >/dev/null || die "cannot undefine the domain"
    rm -f "$console_log"
    accel=tcg
  fi
fi
[ "$accel" = tcg ] && boot qemu
# Waits for the guest to boot; TCG on a busy machine is slow.
if [ "$accel" = kvm ]; then agent_limit=$TEST_LONG_S; else agent_limit=300; fi

# --- the agent ----------------------------------------------------------------
vs wait-agent "$dom" --timeout "$agent_limit" --json
expect 0 "wait-agent: the agent answers" '"answered_after"' || die "the guest agent never answered"
say "agent answered: $(tr -d ' \n' <<<"$out")"
vs wait-agent "$dom" --timeout "$TEST_LONG_S"
expect 0 "wait-agent on a connected agent returns at once" "answers" "" "$AT_ONCE_MS"

vs agent "$dom" ping
expect 0 "agent ping" "the guest agent answers"
vs agent --json "$dom" ping
expect 0 "agent --json ping" '^\{\}$'
vs agent "$dom" osinfo
expect 0 "agent osinfo" "vschan test guest"
vs agent "$dom" hostname
expect 0 "agent hostname" "^vschan-guest$"
vs agent "$dom" exec -- /bin/sh -c 'echo to-stdout; echo to-stderr >&2; exit 7'
expect 7 "agent exec: the program's exit status, stdout and stderr" "^to-stdout$" "to-stderr"
printf 'piped input\n' >"$root/in"
vs agent "$dom" exec --stdin -- /bin/cat <"$root/in"
expect 0 "agent exec --stdin" "^piped input$"
vs agent "$dom" raw '{"execute":"guest-no-such-command"}'
expect 3 "agent raw: an unknown command is reported with the agent's desc" "" "not allowed by guest policy.*has not been found"
vs agent "$dom" raw '{"execute":"guest-file-open","arguments":{"path":"/no/such/file"}}'
expect 3 "agent raw: an agent error comes back as the socket transport shows it" "" "'guest-file-open' failed on the guest agent of domain '$dom': failed to open file"
names=$(guest_ports) && grep -qx org.qemu.guest_agent.0 <<<"$names" &&
  ok "the guest sees its agent port: $(paste -sd ' ' <<<"$names")" ||
  fail "the guest's /dev/virtio-ports lacks org.qemu.guest_agent.0: $names"

# --- a hot-plugged channel ----------------------------------------------------
vs add "$dom" --template app-channel --set "name=$port" --set "path=$sock" --live
expect 0 "add '$port' (unix, QEMU listens on '$sock')"
wait_port "$port" present && ok "'$port' appeared in the guest"

vs connect "$dom" "$port" --drain-timeout 0 </dev/null
expect 0 "connect: stdin at EOF at once, --drain-timeout 0: clean exit"

printf 'hello through %s\n' "$port" >"$root/line"
vs connect "$dom" "$port" --drain-timeout 5 <"$root/line"
expect 0 "connect by virtio name: a line" && cmp -s "$root/line" "$root/out" &&
  ok "the line came back echoed" || {
  # Keep the evidence: the exact bytes both ways, and whether the empty
  # input of the connect before really was empty.
  fail "the line did not come back: '$out'"
  od -A d -c "$root/line" | sed 's/^/  sent: /' >&2
  od -A d -c "$root/out" | sed 's/^/  back: /' >&2
  printf '  /dev/null: %s\n' "$(ls -l /dev/null)" >&2
}

head -c $((4 << 20)) /dev/urandom >"$root/random"
t0=$(test_now_ms)
cat "$root/random" | "$VSCHAN" -c "$URI" connect "$dom" "$alias" --drain-timeout 5 2>"$root/err" | cat >"$root/random.back"
rc=${PIPESTATUS[1]}
took=$(($(test_now_ms) - t0)) ms=$took out='' err=$(cat "$root/err")
expect 0 "connect by alias, through pipes: 4 MiB of random bytes"
if cmp -s "$root/random" "$root/random.back"; then
  ok "4 MiB came back byte for byte (${took} ms including the 5 s drain)"
else
  fail "4 MiB: sent $(wc -c <"$root/random") bytes, got $(wc -c <"$root/random.back") back, $(cmp "$root/random" "$root/random.back" 2>&1 | head -n 1)"
fi

# The same device through the socket QEMU listens on, without libvirt;
# the echo service in the guest survives the host side reconnecting.
printf 'direct\n' >"$root/direct"
run "$VSCHAN" connect --socket "$sock" --drain-timeout 5 <"$root/direct"
expect 0 "connect --socket to the channel's socket" && [ "$out" = direct ] &&
  ok "echoed through the socket" || fail "through the socket: got '$out'"

# hold FIFO LINE: a writer that sends LINE into FIFO, then keeps it open;
# its pid in $holder.
hold() {
  mkfifo "$1"
  { printf '%s\n' "$2"; exec sleep 600; } >"$1" &
  holder=$!
  bg_pids="$bg_pids $holder"
}

# session_ended: the session in the background is over.
session_ended() { ! kill -0 "$session" 2>/dev/null; }

# Unplugged under a connected session: the session ends cleanly.  (The
# embedded driver admits one process at a time, so the session goes
# through the socket while vschan remove holds the root.)  It is
# connected once its first line has come back.
hold "$root/hold" "before the unplug"
"$VSCHAN" connect --socket "$sock" --drain-timeout forever <"$root/hold" >"$root/unplug.out" 2>"$root/unplug.err" &
session=$!
bg_pids="$bg_pids $session"
wait_for "$TEST_LONG_S" grep -q "before the unplug" "$root/unplug.out" ||
  fail "the session through the socket did not echo its line: $(cat "$root/unplug.err")"
vs remove "$dom" "$port"
expect 0 "remove '$port' while a session is connected"
if ! wait_for "$TEST_LONG_S" session_ended; then
  fail "the session did not end within $TEST_LONG_S s of the unplug"
else
  wait "$session"
  src=$?
  [ "$src" -eq 0 ] && ok "the session ended cleanly when the device was unplugged" ||
    fail "the session ended with exit $src after the unplug: $(cat "$root/unplug.err")"
fi
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
wait_port "$port" absent && ok "'$port' is gone from the guest"
vs connect "$dom" "$port" </dev/null
expect 1 "connect to the removed device: unknown device" "" "has no device '$port'"

# --- the end of a libvirt stream ------------------------------------------------
# Plug the channel again and hold a session through a libvirt stream; when
# QEMU goes away the stream ends and the session with it.
vs add "$dom" --template app-channel --set "name=$port" --set "path=$sock" --live
expect 0 "add '$port' again"
wait_port "$port" present
hold "$root/hold2" "through the stream"
"$VSCHAN" -c "$URI" connect "$dom" "$port" --drain-timeout forever <"$root/hold2" >"$root/kill.out" 2>"$root/kill.err" &
session=$!
bg_pids="$bg_pids $session"
wait_for "$TEST_LONG_S" grep -q "through the stream" "$root/kill.out" ||
  fail "the libvirt stream session did not echo its line: $(cat "$root/kill.err")"
kill -0 "$session" 2>/dev/null || fail "the libvirt stream session ended early: $(cat "$root/kill.err")"
qemu_pid=$(cat "$root/run/qemu/$dom.pid" 2>/dev/null)
[ -n "$qemu_pid" ] && kill "$qemu_pid"
if ! wait_for "$TEST_LONG_S" session_ended; then
  fail "the libvirt stream session did not end within $TEST_LONG_S s of QEMU going away"
else
  wait "$session"
  src=$?
  [ "$src" -eq 0 ] && ok "the libvirt stream session ended cleanly when QEMU went away" ||
    fail "the libvirt stream session ended with exit $src: $(cat "$root/kill.err")"
fi
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

summary
