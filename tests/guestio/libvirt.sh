#!/bin/bash
# 'vschan agent DOMAIN', 'vschan wait-agent' and 'vschan connect DOMAIN
# IDENT' against real domains of libvirt's embedded QEMU driver, without a
# guest OS: no agent ever answers, so this is every way they refuse or
# fail (not running, no agent channel, the agent channel disconnected,
# timeouts within their bound, unknown devices, backends without a
# stream), and the device kinds connect opens (pty serial and console
# through libvirt, a unix channel through libvirt, a channel's pty and a
# serial port's unix socket directly), each ending cleanly at the end of
# its input.  What the guest answers is proven in tests/e2e.
#
# usage: libvirt.sh VSCHAN
# Environment: EMBED_ROOT_SH (tests/lib/embed-root.sh).
# Exit: 0 pass, 1 fail, 77 skip (libvirt cannot run here, CI unset).
set -uo pipefail

VSCHAN=${1:?usage: libvirt.sh VSCHAN}
: "${EMBED_ROOT_SH:?}"
# shellcheck source=../lib/test.sh
. "${EMBED_ROOT_SH%/*}/test.sh"
[ -x "$VSCHAN" ] || skip "'$VSCHAN' is not built"
command -v virsh >/dev/null 2>&1 || skip "'virsh' is missing (libvirt-clients)"

# Short: libvirt puts the agent socket 68 characters below the root.
root=$(mktemp -d /tmp/vsc-gio.XXXXXX) || exit 1
TEST_TMP=$root
URI="qemu:///embed?root=$root"
export LIBVIRT_LOG_OUTPUTS="3:file:$root/libvirt.log"
# shellcheck source=../lib/embed.sh
. "${EMBED_ROOT_SH%/*}/embed.sh"
evsh() { embed_virsh "$root" "$1"; }
cleanup() {
  evsh "destroy gio-run; destroy gio-noagent; undefine gio-run; undefine gio-noagent; undefine gio-off" >/dev/null 2>&1
  embed_kill_qemus "$root"
  rm -rf "${root:?}"
}
trap cleanup EXIT
# ctest's timeout sends SIGTERM: clean up then too.
trap 'exit 143' TERM
trap 'exit 130' INT

sh "$EMBED_ROOT_SH" "$root" >/dev/null
rc=$?
[ $rc -eq 77 ] && skip "libvirt's embedded QEMU driver cannot run here"
[ $rc -eq 0 ] || { fail "embed-root.sh failed ($rc)"; exit 1; }

tcp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# domain NAME DEVICES: TCG, no disk, no OS: SeaBIOS finds nothing to boot.
domain() {
  cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <controller type='usb' model='none'/>
    <controller type='virtio-serial' index='0'/>
    $2
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

run_devices="
    <serial type='pty'><target port='0'/></serial>
    <serial type='unix'><source mode='bind' path='$root/s1.sock'/><target port='1'/></serial>
    <serial type='tcp'><source mode='bind' host='127.0.0.1' service='$tcp_port'/><protocol type='raw'/><target port='2'/></serial>
    <console type='pty'><target type='virtio'/></console>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <channel type='unix'><source mode='bind' path='$root/u.sock'/><target type='virtio' name='org.example.unix'/></channel>
    <channel type='pty'><target type='virtio' name='org.example.pty'/></channel>
    <channel type='file'><source path='$root/f.log'/><target type='virtio' name='org.example.file'/></channel>"

# All three are defined, and two started, by one virsh process while no
# domain runs yet: it has nothing to reconnect to (see embed.sh).
agent_channel="<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
domain gio-run "$run_devices" >"$root/gio-run.xml"
domain gio-noagent "" >"$root/gio-noagent.xml"
domain gio-off "$agent_channel" >"$root/gio-off.xml"
# gio-noagent: an agent channel in the persistent definition only.
echo "$agent_channel" >"$root/ga.xml"
evsh "define $root/gio-run.xml; define $root/gio-noagent.xml; define $root/gio-off.xml;
  start gio-run; start gio-noagent; attach-device gio-noagent $root/ga.xml --config" >/dev/null
states=$(evsh "domstate gio-run; domstate gio-noagent" 2>&1)
[ "$(grep -cx running <<<"$states")" -eq 2 ] ||
  { fail "cannot start the domains: $states (see $root/log)"; exit 1; }
evsh "dumpxml gio-noagent --inactive" 2>/dev/null | grep -q guest_agent ||
  { fail "cannot add the agent channel to the config of 'gio-noagent'"; exit 1; }

# vs ARGS...: run vschan on the root (see run), stdin from /dev/null
# unless redirected; killed after TEST_LONG_S seconds, so that a command
# that waits for ever fails its check instead of the whole test.
vs() {
  run timeout -k 5 "$TEST_LONG_S" "$VSCHAN" -c "$URI" "$@"
}

# --- vschan agent DOMAIN --------------------------------------------------------
# Refusals come at once: each command may wait TEST_LONG_S seconds for the
# agent and must end in half of that (tests/lib/test.sh, "Time").
vs agent --timeout "$TEST_LONG_S" gio-run ping </dev/null
expect 3 "agent: the agent channel is disconnected" "" "is not connected.*\[agent-not-connected\]" "$AT_ONCE_MS"
vs agent --timeout "$TEST_LONG_S" gio-run raw '{"execute":"guest-info"}' </dev/null
expect 3 "agent raw: the same" "" "is not connected" "$AT_ONCE_MS"
vs agent --timeout "$TEST_LONG_S" gio-noagent ping </dev/null
expect 3 "agent: no agent channel" "" "has no guest agent channel.*\[agent-not-configured\]" "$AT_ONCE_MS"
grep -q "vschan add DOMAIN --template guest-agent" <<<"$err" && ok "agent: the hint names the template" ||
  fail "agent: no template hint: $err"
vs agent --timeout "$TEST_LONG_S" gio-off ping </dev/null
expect 3 "agent: domain not running" "" "not running" "$AT_ONCE_MS"
vs agent --timeout "$TEST_LONG_S" no-such-domain ping </dev/null
expect 3 "agent: unknown domain" "" "cannot find domain 'no-such-domain'" "$AT_ONCE_MS"
vs agent shutdown </dev/null
expect 2 "agent: a command alone is not a domain" "" "name a DOMAIN"

# --- vschan wait-agent ------------------------------------------------------------
vs wait-agent gio-off --timeout "$TEST_LONG_S" </dev/null
expect 1 "wait-agent: domain not running: refused at once" "" "domain 'gio-off' is not running" "$AT_ONCE_MS"
vs wait-agent gio-noagent --timeout "$TEST_LONG_S" </dev/null
expect 1 "wait-agent: channel in the persistent definition only: refused at once" "" \
  "running domain 'gio-noagent' has no guest agent channel.*\[guest-no-agent-channel\]" "$AT_ONCE_MS"
grep -q "restart the domain, or add it live" <<<"$err" && ok "wait-agent: the hint says how to get it live" ||
  fail "wait-agent: hint: $err"
evsh "detach-device gio-noagent $root/ga.xml --config" >/dev/null
vs wait-agent gio-noagent --timeout "$TEST_LONG_S" </dev/null
expect 1 "wait-agent: no agent channel: refused at once" "" "has no guest agent channel" "$AT_ONCE_MS"
grep -q "vschan add DOMAIN --template guest-agent" <<<"$err" && ok "wait-agent: the hint names the template" ||
  fail "wait-agent: no template hint: $err"
# The deadline holds (well under the default of 60 s), and is waited for.
vs wait-agent gio-run --timeout 1.5 </dev/null
expect 3 "wait-agent: nobody opens the port: times out within its bound" "" \
  "did not connect within 1.5 s.*disconnected.*\[guest-timeout\]" "$(deadline_ms 1.5)" 1400
vs wait-agent gio-run --timeout 1 --json </dev/null
expect 3 "wait-agent --json: the timeout is an error, nothing on stdout" "" "guest-timeout"
[ -z "$out" ] && ok "wait-agent --json: no output on failure" || fail "wait-agent --json printed '$out'"
vs wait-agent no-such-domain --timeout 1 </dev/null
expect 3 "wait-agent: unknown domain" "" "cannot find domain"
vs wait-agent </dev/null
expect 2 "wait-agent: no domain: usage"
vs wait-agent gio-run --timeout 0 </dev/null
expect 2 "wait-agent: --timeout 0: usage"

# --- vschan connect DOMAIN IDENT: refusals ----------------------------------------
vs connect gio-run no-such-device </dev/null
expect 1 "connect: unknown device" "" "has no device 'no-such-device'"
vs connect gio-run org.example.file </dev/null
expect 1 "connect: a file backend" "" "channel 'org.example.file' of domain 'gio-run': its 'file' backend"
vs connect gio-run serial2 </dev/null
expect 1 "connect: a tcp serial port" "" "serial port 2 .*'tcp' backend"
grep -q "TCP client" <<<"$err" && ok "connect: tcp: the hint says to use a TCP client" || fail "connect: tcp hint: $err"
vs connect gio-run org.qemu.guest_agent.0 </dev/null
expect 1 "connect: the agent channel is libvirt's" "" "libvirt itself holds the guest agent channel"
vs connect gio-off org.qemu.guest_agent.0 </dev/null
expect 1 "connect: domain not running" "" "domain 'gio-off' is not running"
vs connect no-such-domain serial0 </dev/null
expect 3 "connect: unknown domain" "" "cannot find domain"

# --- vschan connect DOMAIN IDENT: the kinds it opens ---------------------------------
# Each ends after the default drain of 1 s: nothing in the guest talks.
drained=$(deadline_ms 1)
vs -v connect gio-run serial0 </dev/null
expect 0 "connect serial0 (pty, libvirt console stream): clean exit at the end of input" "" \
  "serial port 0 of domain 'gio-run' ended: input ended" "$drained"
vs -v connect gio-run serial0 --force </dev/null
expect 0 "connect serial0 --force" "" "ended" "$drained"
vs -v connect gio-run console1 </dev/null
expect 0 "connect console1 (virtio console, pty, libvirt console stream)" "" "console 'console1'.*ended" "$drained"
vs -v connect gio-run org.example.unix </dev/null
expect 0 "connect org.example.unix (unix, libvirt channel stream)" "" "channel 'org.example.unix'.*ended" "$drained"
vs -v connect gio-run channel1 </dev/null
expect 0 "connect channel1 (the second channel: org.example.unix)" "" "channel 'org.example.unix'" "$drained"
vs -v connect gio-run org.example.pty </dev/null
expect 0 "connect org.example.pty (a channel's pty, opened directly)" "" "pty '/dev/pts/.*ended" "$drained"
vs -v connect gio-run serial1 </dev/null
expect 0 "connect serial1 (a unix socket QEMU listens on, directly)" "" "socket '$root/s1.sock'.*ended" "$drained"
# --drain-timeout 0 does not wait for the device to go quiet: a drain as
# long as the limit vs gives it would be killed there.  (That it ends
# even while the device talks is shown by connect-socket.sh.)
vs connect gio-run serial0 --drain-timeout 0 </dev/null
expect 0 "connect --drain-timeout 0: exits at once" "" "" "$AT_ONCE_MS"

# Nothing in the guest reads serial0: the pty takes a few KiB, then the
# rest of the input waits for a reader that never comes.
head -c 200000 /dev/zero >"$root/zeros"
vs connect gio-run serial0 --drain-timeout 0.5 <"$root/zeros"
expect 3 "connect: a device that takes no input: stalled error after 5 s" "" \
  "took no input for 5 s: [0-9]+ bytes of the input were not delivered.*\[guest-stalled\]" "$(deadline_ms 5)" 4500

summary
