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
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok: $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() {
  echo "SKIP: $*"
  if [ -n "${CI-}" ]; then echo "CI is set, so a skip is a failure"; exit 1; fi
  exit 77
}
[ -x "$VSCHAN" ] || skip "'$VSCHAN' is not built"
command -v virsh >/dev/null 2>&1 || skip "'virsh' is missing (libvirt-clients)"

# Short: libvirt puts the agent socket 68 characters below the root.
root=$(mktemp -d /tmp/vsc-gio.XXXXXX) || exit 1
URI="qemu:///embed?root=$root"
export LIBVIRT_LOG_OUTPUTS="3:file:$root/libvirt.log"
# shellcheck source=../lib/embed.sh
. "${EMBED_ROOT_SH%/*}/embed.sh"
evsh() { embed_virsh "$root" "$1"; }
cleanup() {
  evsh "destroy gio-run; destroy gio-noagent; undefine gio-run; undefine gio-noagent; undefine gio-off" >/dev/null 2>&1
  embed_kill_qemus "$root"
  rm -rf "$root"
}
trap cleanup EXIT

sh "$EMBED_ROOT_SH" "$root" >/dev/null
rc=$?
[ $rc -eq 77 ] && skip "libvirt's embedded QEMU driver cannot run here"
[ $rc -eq 0 ] || { not_ok "embed-root.sh failed ($rc)"; exit 1; }

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
  { not_ok "cannot start the domains: $states (see $root/log)"; exit 1; }
evsh "dumpxml gio-noagent --inactive" 2>/dev/null | grep -q guest_agent ||
  { not_ok "cannot add the agent channel to the config of 'gio-noagent'"; exit 1; }

# vs ARGS...: $out, $err, $rc, $ms (stdin from /dev/null unless redirected).
vs() {
  local t0
  t0=$(date +%s%N)
  "$VSCHAN" -c "$URI" "$@" >"$root/out" 2>"$root/err"
  rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  out=$(cat "$root/out")
  err=$(cat "$root/err")
}

# expect WHAT RC [STDERR-REGEX [MAX-MS [MIN-MS]]]
expect() {
  local what=$1 want=$2 re=${3-} max=${4-} min=${5-}
  if [ "$rc" -ne "$want" ]; then
    not_ok "$what: exit $rc, expected $want"
    printf '  stdout: %s\n  stderr: %s\n' "$(head -c 500 <<<"$out")" "$(head -c 800 <<<"$err")"
  elif [ -n "$re" ] && ! grep -Eq -- "$re" <<<"$err"; then
    not_ok "$what: stderr lacks /$re/"
    printf '  stderr: %s\n' "$err"
  elif [ -n "$max" ] && [ "$ms" -gt "$max" ]; then
    not_ok "$what: took $ms ms, limit $max ms"
  elif [ -n "$min" ] && [ "$ms" -lt "$min" ]; then
    not_ok "$what: took $ms ms, at least $min ms expected"
  else
    ok "$what ($ms ms)"
  fi
}

# --- vschan agent DOMAIN --------------------------------------------------------
vs agent gio-run ping </dev/null
expect "agent: the agent channel is disconnected" 3 "is not connected.*\[agent-not-connected\]" 3000
vs agent --timeout 1 gio-run raw '{"execute":"guest-info"}' </dev/null
expect "agent raw: the same" 3 "is not connected" 3000
vs agent gio-noagent ping </dev/null
expect "agent: no agent channel" 3 "has no guest agent channel.*\[agent-not-configured\]" 3000
grep -q "vschan add DOMAIN --template guest-agent" <<<"$err" && ok "agent: the hint names the template" ||
  not_ok "agent: no template hint: $err"
vs agent gio-off ping </dev/null
expect "agent: domain not running" 3 "not running" 3000
vs agent no-such-domain ping </dev/null
expect "agent: unknown domain" 3 "cannot find domain 'no-such-domain'" 3000
vs agent shutdown </dev/null
expect "agent: a command alone is not a domain" 2 "name a DOMAIN"

# --- vschan wait-agent ------------------------------------------------------------
vs wait-agent gio-off </dev/null
expect "wait-agent: domain not running: refused at once" 1 "domain 'gio-off' is not running" 3000
vs wait-agent gio-noagent --timeout 30 </dev/null
expect "wait-agent: channel in the persistent definition only: refused at once" 1 \
  "running domain 'gio-noagent' has no guest agent channel.*\[guest-no-agent-channel\]" 3000
grep -q "restart the domain, or add it live" <<<"$err" && ok "wait-agent: the hint says how to get it live" ||
  not_ok "wait-agent: hint: $err"
evsh "detach-device gio-noagent $root/ga.xml --config" >/dev/null
vs wait-agent gio-noagent --timeout 30 </dev/null
expect "wait-agent: no agent channel: refused at once" 1 "has no guest agent channel" 3000
grep -q "vschan add DOMAIN --template guest-agent" <<<"$err" && ok "wait-agent: the hint names the template" ||
  not_ok "wait-agent: no template hint: $err"
vs wait-agent gio-run --timeout 1.5 </dev/null
expect "wait-agent: nobody opens the port: times out within its bound" 3 \
  "did not connect within 1.5 s.*disconnected.*\[guest-timeout\]" 4000 1400
vs wait-agent gio-run --timeout 1 --json </dev/null
expect "wait-agent --json: the timeout is an error, nothing on stdout" 3 "guest-timeout"
[ -z "$out" ] && ok "wait-agent --json: no output on failure" || not_ok "wait-agent --json printed '$out'"
vs wait-agent no-such-domain --timeout 1 </dev/null
expect "wait-agent: unknown domain" 3 "cannot find domain"
vs wait-agent </dev/null
expect "wait-agent: no domain: usage" 2
vs wait-agent gio-run --timeout 0 </dev/null
expect "wait-agent: --timeout 0: usage" 2

# --- vschan connect DOMAIN IDENT: refusals ----------------------------------------
vs connect gio-run no-such-device </dev/null
expect "connect: unknown device" 1 "no character device 'no-such-device'"
vs connect gio-run org.example.file </dev/null
expect "connect: a file backend" 1 "channel 'org.example.file' of domain 'gio-run': its 'file' backend"
vs connect gio-run serial2 </dev/null
expect "connect: a tcp serial port" 1 "serial port 2 .*'tcp' backend"
grep -q "TCP client" <<<"$err" && ok "connect: tcp: the hint says to use a TCP client" || not_ok "connect: tcp hint: $err"
vs connect gio-run org.qemu.guest_agent.0 </dev/null
expect "connect: the agent channel is libvirt's" 1 "libvirt itself holds the guest agent channel"
vs connect gio-off org.qemu.guest_agent.0 </dev/null
expect "connect: domain not running" 1 "domain 'gio-off' is not running"
vs connect no-such-domain serial0 </dev/null
expect "connect: unknown domain" 3 "cannot find domain"

# --- vschan connect DOMAIN IDENT: the kinds it opens ---------------------------------
vs -v connect gio-run serial0 </dev/null
expect "connect serial0 (pty, libvirt console stream): clean exit at the end of input" 0 \
  "serial port 0 of domain 'gio-run' ended: input ended" 4000
vs -v connect gio-run serial0 --force </dev/null
expect "connect serial0 --force" 0 "ended" 4000
vs -v connect gio-run console1 </dev/null
expect "connect console1 (virtio console, pty, libvirt console stream)" 0 "console 'console1'.*ended" 4000
vs -v connect gio-run org.example.unix </dev/null
expect "connect org.example.unix (unix, libvirt channel stream)" 0 "channel 'org.example.unix'.*ended" 4000
vs -v connect gio-run channel1 </dev/null
expect "connect channel1 (the second channel: org.example.unix)" 0 "channel 'org.example.unix'" 4000
vs -v connect gio-run org.example.pty </dev/null
expect "connect org.example.pty (a channel's pty, opened directly)" 0 "pty '/dev/pts/.*ended" 4000
vs -v connect gio-run serial1 </dev/null
expect "connect serial1 (a unix socket QEMU listens on, directly)" 0 "socket '$root/s1.sock'.*ended" 4000
vs connect gio-run serial0 --drain-timeout 0 </dev/null
expect "connect --drain-timeout 0: exits at once" 0 "" 3000

# Nothing in the guest reads serial0: the pty takes a few KiB, then the
# rest of the input waits for a reader that never comes.
head -c 200000 /dev/zero >"$root/zeros"
vs connect gio-run serial0 --drain-timeout 0.5 <"$root/zeros"
expect "connect: a device that takes no input: stalled error after 5 s" 3 \
  "took no input for 5 s: [0-9]+ bytes of the input were not delivered.*\[guest-stalled\]" 20000 4500

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
