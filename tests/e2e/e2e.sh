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
failures=0
say() { echo "e2e: [$((SECONDS - started))s] $*"; }
ok() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# A failure after which the rest cannot run.
die() {
  fail "$*"
  show_console >&2
  exit 1
}
skip() {
  echo "SKIP: $*" >&2
  if [ -n "${CI-}" ]; then
    echo "CI is set, so a skip is a failure" >&2
    exit 1
  fi
  exit 77
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
    rm -rf "$root"
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
# vs ARGS...: run vschan on the root; $out, $err, $rc, $ms hold what happened.
vs() {
  local t0
  t0=$(date +%s%N)
  "$VSCHAN" -c "$URI" "$@" >"$root/out" 2>"$root/err"
  rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  out=$(cat "$root/out")
  err=$(cat "$root/err")
}

# expect RC WHAT [STDOUT-REGEX [STDERR-REGEX]]
expect() {
  if [ "$rc" -ne "$1" ]; then
    fail "$2: exit $rc, expected $1"
    printf '  stdout: %s\n  stderr: %s\n' "$(head -c 600 "$root/out")" "$(head -c 600 "$root/err")" >&2
    return 1
  fi
  if [ -n "${3-}" ] && ! grep -Eq -- "$3" "$root/out"; then
    fail "$2: stdout lacks /$3/"
    printf '  stdout: %s\n' "$(head -c 600 "$root/out")" >&2
    return 1
  fi
  if [ -n "${4-}" ] && ! grep -Eq -- "$4" "$root/err"; then
    fail "$2: stderr lacks /$4/"
    printf '  stderr: %s\n' "$(head -c 600 "$root/err")" >&2
    return 1
  fi
  ok "$2 (${ms} ms)"
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
  local limit=$((SECONDS + 15)) names
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
    [ "$SECONDS" -lt "$limit" ] || { fail "'$1' is not $2 in the guest after 15 s (it has: $(paste -sd ' ' <<<"$names"))"; return 1; }
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
if [ "$accel" = kvm ]; then agent_limit=60; else agent_limit=150; fi

# --- the agent ----------------------------------------------------------------
vs wait-agent "$dom" --timeout "$agent_limit" --json
expect 0 "wait-agent: the agent answers" '"answered_after"' || die "the guest agent never answered"
say "agent answered: $(tr -d ' \n' <<<"$out")"
vs wait-agent "$dom" --timeout 10
expect 0 "wait-agent on a connected agent returns at once" "answers" &&
  [ "$ms" -lt 5000 ] || fail "wait-agent on a connected agent took $ms ms"

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
"$VSCHAN" -c "$URI" agent "$dom" exec --stdin -- /bin/cat <"$root/in" >"$root/out" 2>"$root/err"
rc=$? ms=0
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
"$VSCHAN" -c "$URI" connect "$dom" "$port" --drain-timeout 5 <"$root/line" >"$root/echo" 2>"$root/err"
rc=$? ms=0
expect 0 "connect by virtio name: a line" && cmp -s "$root/line" "$root/echo" &&
  ok "the line came back echoed" || {
  # Keep the evidence: the exact bytes both ways, and whether the empty
  # input of the connect before really was empty.
  fail "the line did not come back: '$(cat "$root/echo")'"
  od -A d -c "$root/line" | sed 's/^/  sent: /' >&2
  od -A d -c "$root/echo" | sed 's/^/  back: /' >&2
  printf '  /dev/null: %s\n' "$(ls -l /dev/null)" >&2
}

head -c $((4 << 20)) /dev/urandom >"$root/random"
t0=$(date +%s%N)
cat "$root/random" | "$VSCHAN" -c "$URI" connect "$dom" "$alias" --drain-timeout 5 2>"$root/err" | cat >"$root/random.back"
rc=${PIPESTATUS[1]}
took=$((($(date +%s%N) - t0) / 1000000))
expect 0 "connect by alias, through pipes: 4 MiB of random bytes"
if cmp -s "$root/random" "$root/random.back"; then
  ok "4 MiB came back byte for byte (${took} ms including the 5 s drain)"
else
  fail "4 MiB: sent $(wc -c <"$root/random") bytes, got $(wc -c <"$root/random.back") back, $(cmp "$root/random" "$root/random.back" 2>&1 | head -n 1)"
fi

# The same device through the socket QEMU listens on, without libvirt;
# the echo service in the guest survives the host side reconnecting.
printf 'direct\n' | "$VSCHAN" connect --socket "$sock" --drain-timeout 5 >"$root/echo" 2>"$root/err"
rc=$? ms=0
expect 0 "connect --socket to the channel's socket" && [ "$(cat "$root/echo")" = direct ] &&
  ok "echoed through the socket" || fail "through the socket: got '$(cat "$root/echo")'"

# Unplugged under a connected session: the session ends cleanly.  (The
# embedded driver admits one process at a time, so the session goes
# through the socket while vschan remove holds the root.)
mkfifo "$root/hold"
sleep 60 >"$root/hold" &
holder=$!
bg_pids="$bg_pids $holder"
"$VSCHAN" connect --socket "$sock" --drain-timeout forever <"$root/hold" >"$root/unplug.out" 2>"$root/unplug.err" &
session=$!
bg_pids="$bg_pids $session"
sleep 1
vs remove "$dom" "$port"
expect 0 "remove '$port' while a session is connected"
limit=$((SECONDS + 10))
while kill -0 "$session" 2>/dev/null && [ "$SECONDS" -lt "$limit" ]; do sleep 0.1; done
if kill -0 "$session" 2>/dev/null; then
  fail "the session did not end within 10 s of the unplug"
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
expect 1 "connect to the removed device: unknown device" "" "no character device '$port'"

# --- the end of a libvirt stream ------------------------------------------------
# Plug the channel again and hold a session through a libvirt stream; when
# QEMU goes away the stream ends and the session with it.
vs add "$dom" --template app-channel --set "name=$port" --set "path=$sock" --live
expect 0 "add '$port' again"
wait_port "$port" present
mkfifo "$root/hold2"
sleep 60 >"$root/hold2" &
holder=$!
bg_pids="$bg_pids $holder"
"$VSCHAN" -c "$URI" connect "$dom" "$port" --drain-timeout forever <"$root/hold2" >"$root/kill.out" 2>"$root/kill.err" &
session=$!
bg_pids="$bg_pids $session"
sleep 2
kill -0 "$session" 2>/dev/null || fail "the libvirt stream session ended early: $(cat "$root/kill.err")"
qemu_pid=$(cat "$root/run/qemu/$dom.pid" 2>/dev/null)
[ -n "$qemu_pid" ] && kill "$qemu_pid"
limit=$((SECONDS + 15))
while kill -0 "$session" 2>/dev/null && [ "$SECONDS" -lt "$limit" ]; do sleep 0.1; done
if kill -0 "$session" 2>/dev/null; then
  fail "the libvirt stream session did not end within 15 s of QEMU going away"
else
  wait "$session"
  src=$?
  [ "$src" -eq 0 ] && ok "the libvirt stream session ended cleanly when QEMU went away" ||
    fail "the libvirt stream session ended with exit $src: $(cat "$root/kill.err")"
fi
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

say "$failures failure(s)"
[ "$failures" -eq 0 ]
