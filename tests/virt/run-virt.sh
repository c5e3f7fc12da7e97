#!/bin/sh
# shellcheck disable=SC2317  # scenario functions are called by name ("sc_$1")
# Integration scenarios for vschan add/remove/list/apply against the real
# libvirt QEMU driver (embedded, hermetic root) and real QEMU.
#
#   run-virt.sh setup      prepare $VSCT_ROOT, prove a domain can start
#   run-virt.sh cleanup    stop every domain and QEMU of the root, delete it
#   run-virt.sh SCENARIO   one scenario (see the functions named sc_*)
#
# private-libvirtd.sh (next to this script) runs the daemon of tcp-daemon;
# txn-faults.sh holds the txn-faults scenario (fault injection).
# Environment (set by CMake): VSCHAN, VSCT_VIRT, EMBED_ROOT_SH, VSCT_ROOT.
# The vschan binary and vsct-virt take turns on the root: an embedded root
# admits one process at a time, and domains outlive the process that
# started them.  Exit 0 pass, 1 fail, 77 skip (a failure when CI is set).
set -u

: "${VSCHAN:?}" "${VSCT_VIRT:?}" "${EMBED_ROOT_SH:?}" "${VSCT_ROOT:?}"
URI="qemu:///embed?root=$VSCT_ROOT"
scenario=${1:?usage: run-virt.sh setup|cleanup|SCENARIO}
domains=""
tmp=""

# ok, fail, skip, has, lacks, expect, summary; a failure inside $(...)
# happens in a subshell, and $TEST_TMP/failures counts it too.
# shellcheck source=../lib/test.sh
. "${EMBED_ROOT_SH%/*}/test.sh"

# shellcheck source=../lib/embed.sh
. "${EMBED_ROOT_SH%/*}/embed.sh"

# shellcheck disable=SC2317  # called through the trap
finish() {
  for d in $domains; do
    "$VSCT_VIRT" "$VSCT_ROOT" destroy "$d" >/dev/null 2>&1
  done
  [ -n "$tmp" ] && rm -rf "${tmp:?}"
}

begin() {
  [ -d "$VSCT_ROOT/etc" ] || skip "the embed root was not set up (virt/setup skipped or failed)"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/vsct-virt.XXXXXX") || exit 1
  TEST_TMP=$tmp
  trap finish EXIT
  trap 'exit 130' INT TERM
}

# start NAME [vsct-virt define options]: a running minimal domain.
start() {
  name=$1
  shift
  domains="$domains $name"
  "$VSCT_VIRT" "$VSCT_ROOT" start "$name" "$@" || { fail "cannot start domain '$name'"; exit 1; }
}

define() {
  name=$1
  shift
  domains="$domains $name"
  "$VSCT_VIRT" "$VSCT_ROOT" define "$name" "$@" || { fail "cannot define domain '$name'"; exit 1; }
}

# vs ARGS...: run vschan; $out, $err, $rc and $ms hold what happened.
vs() {
  run "$VSCHAN" -c "$URI" "$@"
}

absent() { # absent PATH WHAT: no such file (a socket left behind fails)
  if [ -e "$1" ]; then fail "$2: '$1' was left behind"; else ok "$2"; fi
}

# What libvirt and QEMU say; a helper that fails (or crashes) fails the
# test, so that 'lacks' never passes on empty output.
virt_says() {
  "$VSCT_VIRT" "$VSCT_ROOT" "$@" || fail "vsct-virt $* failed (exit $?)"
}
live_xml() { virt_says xml "$1"; }
config_xml() { virt_says xml "$1" --inactive; }
qemu_view() { virt_says qom "$1" "$2"; }

# The last vs's --json document on one line, so that a missing key fails:
#   json_line plan            "RESULT live=L persistent=P ACTION:KIND:ALIAS:WHY..." (apply)
#   json_line added|removed   "DOMAIN KIND:ALIAS:live=L:persistent=P..." (add, remove)
json_line() {
  printf '%s' "$out" | python3 -c '
import json, sys
d, key = json.load(sys.stdin), sys.argv[1]
if key == "plan":
    head = [d["result"], "live=%s" % d["live"], "persistent=%s" % d["persistent"]]
    items = ["%s:%s:%s:%s" % (i["action"], i["kind"], i["alias"], i["why"]) for i in d[key]]
else:
    head = [d["domain"]]
    items = ["%s:%s:live=%s:persistent=%s" % (i["kind"], i["alias"], i["live"], i["persistent"])
             for i in d[key]]
print(*head, *items)' "$1" || echo "not JSON: $out"
}

spec() {  # spec FILE JSON-DEVICES: a spec file with version 1
  printf '{"version":1,%s}\n' "$2" >"$tmp/$1"
}

# A TCP port nobody listens on (the kernel picks a free one).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- fixture ----

sc_setup() {
  "$0" cleanup >/dev/null 2>&1
  "$EMBED_ROOT_SH" "$VSCT_ROOT"
  rc=$?
  [ $rc -eq 77 ] && skip "this machine cannot run the embedded libvirt driver"
  [ $rc -ne 0 ] && exit 1
  # The first open probes QEMU's capabilities (seconds); later ones reuse them.
  if ! "$VSCT_VIRT" "$VSCT_ROOT" start vt-probe; then
    "$VSCT_VIRT" "$VSCT_ROOT" destroy vt-probe >/dev/null 2>&1
    if [ ! -c /dev/kvm ] && ! qemu-system-x86_64 -accel help 2>/dev/null | grep -q tcg; then
      skip "neither /dev/kvm nor QEMU's TCG can run a guest here"
    fi
    skip "a minimal domain does not start on this machine (see $VSCT_ROOT/log)"
  fi
  "$VSCT_VIRT" "$VSCT_ROOT" destroy vt-probe || { echo "FAIL: cannot destroy vt-probe" >&2; exit 1; }
}

sc_cleanup() {
  if [ -d "$VSCT_ROOT/etc" ]; then
    "$VSCT_VIRT" "$VSCT_ROOT" cleanup
  fi
  embed_kill_qemus "$VSCT_ROOT" # a crashed driver leaves them
  rm -rf "${VSCT_ROOT:?}"
}

# ---- scenarios ----

# One backend through its whole life: add, libvirt's live XML, QEMU's own
# view (query-chardev, the device's QOM path), list, remove, both again.
#   cycle DOMAIN ALIAS IDENT QOM-TYPE CHARDEV-PATTERN SPEC-BODY
cycle() {
  d=$1 alias=$2 ident=$3 qtype=$4 cpat=$5
  spec cycle.json "$6"
  vs add "$d" "$tmp/cycle.json"
  expect 0 "$alias: add"
  xml=$(live_xml "$d")
  has "$xml" "<alias name='$alias'/>" "$alias: in libvirt's live XML"
  has "$(config_xml "$d")" "<alias name='$alias'/>" "$alias: in the persistent XML"
  view=$(qemu_view "$d" "$alias")
  has "$view" "^chardev char$alias $cpat" "$alias: QEMU has the chardev"
  if [ "$qtype" != - ]; then
    has "$view" "^device $alias $qtype\$" "$alias: QEMU has the device at /machine/peripheral/$alias"
  fi
  vs list "$d"
  has "$out" "^[a-z]* *$alias .* both\$" "$alias: listed in both definitions"
  vs remove "$d" "$ident"
  expect 0 "$alias: remove '$ident'"
  lacks "$(live_xml "$d")" "<alias name='$alias'/>" "$alias: gone from the live XML"
  lacks "$(config_xml "$d")" "<alias name='$alias'/>" "$alias: gone from the persistent XML"
  lacks "$(qemu_view "$d" "$alias")" "$alias" "$alias: gone from QEMU"
}

sc_hotplug_backends() {
  begin
  d=vt-backends
  start "$d"
  port=$(free_port)

  cycle "$d" ua-vschan-org-example-unix org.example.unix virtserialport "disconnected:unix:$tmp/u.sock" \
    "\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/u.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.unix\"}}]"
  absent "$tmp/u.sock" "unix: listen socket deleted"

  cycle "$d" ua-vschan-org-example-pty ua-vschan-org-example-pty virtserialport "pty:/dev/pts/" \
    '"channels":[{"type":"pty","target":{"type":"virtio","name":"org.example.pty"}}]'

  cycle "$d" ua-vschan-org-example-file org.example.file virtserialport "file" \
    "\"channels\":[{\"type\":\"file\",\"source\":{\"path\":\"$tmp/f.log\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.file\"}}]"

  cycle "$d" ua-vschan-org-example-tcp org.example.tcp virtserialport "disconnected:telnet:127.0.0.1:$port,server=on" \
    "\"channels\":[{\"type\":\"tcp\",\"source\":{\"mode\":\"bind\",\"host\":\"127.0.0.1\",\"service\":\"$port\"},\"protocol\":\"telnet\",\"target\":{\"type\":\"virtio\",\"name\":\"org.example.tcp\"}}]"

  cycle "$d" ua-udp channel0 virtserialport "udp" \
    "\"channels\":[{\"type\":\"udp\",\"alias\":\"udp\",\"source\":{\"host\":\"127.0.0.1\",\"service\":\"$port\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.udp\"}}]"

  cycle "$d" ua-vschan-org-example-null org.example.null virtserialport "null" \
    '"channels":[{"type":"null","target":{"type":"virtio","name":"org.example.null"}}]'

  cycle "$d" ua-vschan-console-virtio-0 console0 virtconsole "pty:/dev/pts/" \
    '"consoles":[{"type":"pty","target":{"type":"virtio"}}]'

  # guestfwd is a -netdev user with the alias as its id: no QOM device.
  cycle "$d" ua-vschan-guestfwd-10-0-2-1-4600 10.0.2.1:4600 - "disconnected:unix:$tmp/g.sock" \
    "\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/g.sock\"},\"target\":{\"type\":\"guestfwd\",\"address\":\"10.0.2.1\",\"port\":4600}}]"
  absent "$tmp/g.sock" "guestfwd: listen socket deleted"

  cycle "$d" ua-vschan-serial-usb-serial-0 serial0 usb-serial "pty:/dev/pts/" \
    '"serials":[{"type":"pty","target":{"type":"usb-serial"}}]'

  # pci-serial plugs in with <acpi/>; unplugging a PCI device needs the
  # guest to eject it, and this guest has no OS: the removal must end in a
  # clear timeout, not in a false "removed".
  spec pci.json '"serials":[{"type":"pty","target":{"type":"pci-serial"}}]'
  vs add "$d" "$tmp/pci.json"
  expect 0 "pci-serial: add"
  has "$(qemu_view "$d" ua-vschan-serial-pci-serial-0)" "^device ua-vschan-serial-pci-serial-0 pci-serial$" \
    "pci-serial: QEMU has the device"
  vs list "$d" --json
  has "$out" '"alias": "ua-vschan-serial-pci-serial-0"' "pci-serial: listed as JSON"
  vs remove "$d" ua-vschan-serial-pci-serial-0 --timeout 1
  expect 3 "pci-serial: remove without a guest OS times out"
  has "$err" "still attached to domain '$d' after 1 s" "pci-serial: the timeout says so"
}

# Four devices, the third fails in QEMU: nothing of the run may remain.
sc_rollback() {
  begin
  d=vt-rollback
  start "$d"
  closed=$(free_port)
  before_live=$(live_xml "$d" | grep -c '<channel')
  spec four.json "\"channels\":[
    {\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/one.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.one\"}},
    {\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/two.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.two\"}},
    {\"type\":\"tcp\",\"source\":{\"mode\":\"connect\",\"host\":\"127.0.0.1\",\"service\":\"$closed\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.three\"}},
    {\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/four.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.four\"}}]"
  vs -v add "$d" "$tmp/four.json"
  expect 3 "rollback: the add fails"
  has "$err" "org-example-three" "rollback: the error names the third device"
  has "$err" "taking back channel .*: ok" "rollback: progress shows the devices taken back"
  live=$(live_xml "$d")
  config=$(config_xml "$d")
  if [ "$(printf '%s\n' "$live" | grep -c '<channel')" = "$before_live" ]; then
    ok "rollback: live channels as before"
  else
    fail "rollback: the live definition changed"
  fi
  lacks "$live" "org.example.one\|org.example.two" "rollback: live has none of the run's devices"
  lacks "$config" "org.example" "rollback: config has none of the run's devices"
  for s in one two four; do
    absent "$tmp/$s.sock" "rollback: no '$s.sock'"
  done
  lacks "$(qemu_view "$d" ua-vschan-org-example-one)" "ua-vschan" "rollback: QEMU has no trace of device one"
}

sc_apply_idempotent() {
  begin
  d=vt-apply
  start "$d"
  body="\"channels\":[
    {\"type\":\"unix\",\"target\":{\"type\":\"virtio\",\"name\":\"org.qemu.guest_agent.0\"}},
    {\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/app.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.app\"}},
    {\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/gf.sock\"},\"target\":{\"type\":\"guestfwd\",\"address\":\"10.0.2.1\",\"port\":4600}}],
    \"consoles\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\"}}],
    \"serials\":[{\"type\":\"pty\",\"target\":{\"type\":\"usb-serial\"}}]"
  spec want.json "$body"
  vs apply "$d" "$tmp/want.json"
  expect 0 "apply: first run"
  has "$out" "Plan: 5 to add, 0 to replace, 0 to remove" "apply: plans five additions"
  vs apply "$d" "$tmp/want.json"
  expect 0 "apply: second run"
  has "$out" "Nothing to do" "apply: the second run has nothing to do"
  vs apply "$d" "$tmp/want.json" --config
  has "$out" "Nothing to do" "apply: the persistent definition matches too"

  # A device someone else added is never pruned.
  spec foreign.json "\"channels\":[{\"type\":\"pty\",\"alias\":\"ua-foreign\",\"target\":{\"type\":\"virtio\",\"name\":\"org.example.foreign\"}}]"
  vs add "$d" "$tmp/foreign.json"
  expect 0 "apply: a foreign device is added"

  sed "s|$tmp/app.sock|$tmp/app2.sock|" "$tmp/want.json" >"$tmp/changed.json"
  vs apply "$d" "$tmp/changed.json" --dry-run
  expect 0 "apply: dry run"
  has "$out" "~ replace  channel 'ua-vschan-org-example-app'" "apply: a changed path is a replace"
  has "$out" "app2.sock" "apply: the plan says what differs"
  has "$(live_xml "$d")" "$tmp/app.sock" "apply: the dry run changed nothing"
  vs apply "$d" "$tmp/changed.json" --dry-run --json
  expect 0 "apply --dry-run --json"
  has "$(json_line plan)" "^dry-run live=True persistent=True replace:channel:ua-vschan-org-example-app:has .*spec wants .*app2.sock" \
    "apply --json: the dry run's plan, one replace saying what differs"
  vs apply "$d" "$tmp/changed.json" --json
  expect 0 "apply --json"
  has "$(json_line plan)" "^applied .*replace:channel:ua-vschan-org-example-app:" "apply --json: applied"
  has "$(live_xml "$d")" "$tmp/app2.sock" "apply --json: the change was made"
  vs apply "$d" "$tmp/changed.json" --json
  has "$(json_line plan)" "^nothing-to-do live=True persistent=True$" "apply --json: converged, an empty plan"

  spec less.json "\"channels\":[{\"type\":\"unix\",\"target\":{\"type\":\"virtio\",\"name\":\"org.qemu.guest_agent.0\"}}]"
  vs apply "$d" "$tmp/less.json" --prune
  expect 0 "apply --prune"
  has "$out" "Plan: 0 to add, 0 to replace, 4 to remove" "apply --prune: removes the four others vschan added"
  live=$(live_xml "$d")
  has "$live" "ua-foreign" "apply --prune: the foreign device stays"
  has "$live" "org.qemu.guest_agent.0" "apply --prune: the listed device stays"
  lacks "$live" "org.example.app" "apply --prune: the unlisted device is gone"
  absent "$tmp/app.sock" "apply --prune: app.sock deleted"
  vs apply "$d" "$tmp/less.json" --prune
  has "$out" "Nothing to do" "apply --prune: converged"
}

# A pty console from the domain's XML, removed without its /dev/pts path.
sc_pty_console() {
  begin
  d=vt-console
  start "$d" --devices "<console type='pty'><target type='virtio' port='0'/></console>"
  has "$(live_xml "$d")" "/dev/pts/" "pty console: QEMU allocated a pty"
  vs list "$d"
  has "$out" "^console  *console0 .*virtio port 0" "pty console: listed"
  vs remove "$d" console0
  expect 0 "pty console: remove console0"
  lacks "$(live_xml "$d")" "<console" "pty console: gone live"
  lacks "$(config_xml "$d")" "<console" "pty console: gone from the persistent definition"
}

# Two hot-plugged consoles take ports 0 and 1 behind libvirt's back; the
# next channel must still find a free port.
sc_consoles_then_channel() {
  begin
  d=vt-ports
  start "$d"
  spec con.json '"consoles":[{"type":"pty","target":{"type":"virtio"}}]'
  vs add "$d" "$tmp/con.json"
  expect 0 "ports: first console"
  vs add "$d" "$tmp/con.json"
  expect 0 "ports: second console"
  spec chan.json "\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/c.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.after\"}}]"
  vs add "$d" "$tmp/chan.json"
  expect 0 "ports: a channel after two consoles"
  c1=$(qemu_view "$d" ua-vschan-console-virtio-0 | sed -n 's/^nr [^ ]* //p')
  c2=$(qemu_view "$d" ua-vschan-console-virtio-0-2 | sed -n 's/^nr [^ ]* //p')
  ch=$(qemu_view "$d" ua-vschan-org-example-after | sed -n 's/^nr [^ ]* //p')
  if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c1" != "$c2" ] && [ -n "$ch" ] &&
     [ "$ch" != "$c1" ] && [ "$ch" != "$c2" ]; then
    ok "ports: consoles on $c1 and $c2, channel on $ch"
  else
    fail "ports: consoles on '$c1' and '$c2', channel on '$ch'"
  fi
}

sc_errors() {
  begin
  d=vt-errors
  start "$d"
  vs remove "$d" org.example.nothing
  expect 1 "errors: unknown IDENT"
  has "$err" "has no device 'org.example.nothing'" "errors: the message names it"
  has "$err" "hint: .*vschan list" "errors: the hint points to list"
  vs remove vt-no-such-domain channel0
  expect 3 "errors: unknown domain"
  has "$err" "cannot find domain 'vt-no-such-domain'" "errors: the domain is named"
  has "$err" "hint:" "errors: with a hint"
  vs add "$d"
  expect 2 "errors: add without a spec is a usage error"
  spec bad.json '"channels":[{"type":"unix","target":{"type":"guestfwd","address":"::1","port":1}}]'
  vs add "$d" "$tmp/bad.json"
  expect 1 "errors: a rule violation is refused before libvirt"
  vs add --help
  expect 0 "errors: add --help"
  has "$out" "Examples:" "errors: add --help has examples"
  for c in remove list apply; do
    vs "$c" --help
    has "$out" "usage: vschan" "errors: $c --help"
  done
}

sc_live_stopped() {
  begin
  d=vt-stopped
  define "$d"
  spec chan.json "\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/s.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.s\"}}]"
  vs add "$d" "$tmp/chan.json" --live
  expect 1 "stopped: --live is refused"
  has "$err" "domain '$d' is not running" "stopped: the reason"
  has "$err" "hint: .*--config" "stopped: the hint offers --config"
  vs add "$d" "$tmp/chan.json" --json
  expect 0 "stopped: the default changes the persistent definition"
  has "$(json_line added)" "^$d channel:ua-vschan-org-example-s:live=False:persistent=True$" \
    "stopped: add --json names the device and the definition"
  vs list "$d" --inactive
  has "$out" "ua-vschan-org-example-s .* persistent\$" "stopped: listed as persistent"
  vs remove "$d" org.example.s --live
  expect 1 "stopped: remove --live is refused"
  vs remove "$d" org.example.s --json
  expect 0 "stopped: remove from the persistent definition"
  has "$(json_line removed)" "^$d channel:ua-vschan-org-example-s:live=False:persistent=True$" \
    "stopped: remove --json names the device and the definition"
  lacks "$(config_xml "$d")" "org.example.s" "stopped: gone"
}

sc_not_hotpluggable() {
  begin
  d=vt-nohot
  start "$d" --spice
  spec isa.json '"serials":[{"type":"pty","target":{"type":"isa-serial","port":1}}]'
  vs add "$d" "$tmp/isa.json"
  expect 3 "isa-serial: refused by QEMU"
  has "$err" "does not support hotplugging" "isa-serial: libvirt's reason"
  has "$err" "hint: ISA devices .*--config" "isa-serial: the hint"
  lacks "$(config_xml "$d")" "<serial" "isa-serial: the persistent definition is unchanged"
  spec sp.json '"channels":[{"type":"spiceport","source":{"channel":"org.example.port"},"target":{"type":"virtio","name":"org.example.sp"}}]'
  vs add "$d" "$tmp/sp.json"
  expect 3 "spiceport: refused by libvirt"
  has "$err" "Hotplug unsupported for char device type 'spiceport'" "spiceport: libvirt's reason"
  has "$err" "hint: this backend cannot be hot-plugged" "spiceport: the hint"
  vs add "$d" "$tmp/sp.json" --config
  expect 0 "spiceport: --config takes it for the next boot"
}

# vhost-user devices hot-plugged by add (issue 13): a virtiofs share on a
# real virtiofsd into a domain with shared memory, live and persistent;
# a second add whose disk has no daemon is taken back whole (the
# filesystem before it too); a domain with private memory and apply are
# refused before anything is touched.
# libvirt 9.0 checks shared memory on a live attach with the machine's
# default RAM id, which it keeps only in the process that started the
# domain (not in its status file): vsct-virt starts the domains and vschan
# is another process, as after any daemon restart, so memoryBacking alone
# is refused there and a NUMA cell with memAccess='shared' is what works.
sc_vhost_user() {
  begin
  virtiofsd=/usr/lib/qemu/virtiofsd
  [ -x "$virtiofsd" ] || skip "no $virtiofsd (Debian's qemu-system-common)"
  vhost_pids=""
  trap 'for p in $vhost_pids; do kill "$p" 2>/dev/null; done; finish' EXIT
  mkdir "$tmp/share"
  start_virtiofsd() {  # SOCKET: one QEMU each, then it exits
    "$virtiofsd" --socket-path="$1" -o source="$tmp/share" -o cache=none >>"$tmp/virtiofsd.log" 2>&1 &
    vhost_pids="$vhost_pids $!"
    wait_for "$TEST_LONG_S" test -S "$1" || fail "virtiofsd did not open $1"
  }
  spec fs.json "\"filesystems\":[{\"source\":{\"socket\":\"$tmp/fs.sock\"},\"target\":{\"dir\":\"share\"}}]"
  d0=vt-vhost-nonuma
  start "$d0" --shared-memory
  vs add "$d0" "$tmp/fs.json" --live
  expect 3 "memoryBacking without NUMA: libvirt refuses the live attach after a reconnect"
  has "$err" "'virtiofs' requires shared memory \\[libvirt\\]" "memoryBacking without NUMA: libvirt's message"
  has "$err" "hint: the domain's memory is shared, but libvirt 9.0 cannot tell" "memoryBacking without NUMA: the hint says why"
  vs add "$d0" "$tmp/fs.json" --config
  expect 3 "memoryBacking without NUMA: the persistent definition is checked the same way"
  lacks "$(config_xml "$d0")" "<filesystem" "memoryBacking without NUMA: nothing was added"

  d=vt-vhost
  start "$d" --shared-numa
  start_virtiofsd "$tmp/fs.sock"
  vs add "$d" "$tmp/fs.json" --json
  expect 0 "virtiofs: add"
  has "$(json_line added)" "^$d filesystem:ua-vschan-fs-share:live=True:persistent=True\$" \
    "virtiofs: --json names the filesystem and its derived alias"
  has "$(live_xml "$d")" "<alias name='ua-vschan-fs-share'/>" "virtiofs: in libvirt's live XML"
  has "$(config_xml "$d")" "<target dir='share'/>" "virtiofs: in the persistent XML"
  has "$(qemu_view "$d" ua-vschan-fs-share)" "^device ua-vschan-fs-share vhost-user-fs-pci\$" \
    "virtiofs: QEMU has the vhost-user-fs-pci device"

  # list shows it beside the character devices; remove finds it by its
  # tag.  The persistent side goes at once; live, see the end.
  vs list "$d" --json
  expect 0 "list: a domain with a vhost-user device"
  has "$(printf '%s' "$out" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["backend"] == "vhost-user":
        print(e["kind"], e["ident"], e["host"], e["target"]["dir"], e["live"], e["persistent"], e["managed"])')" \
    "^filesystem ua-vschan-fs-share $tmp/fs.sock share True True True\$" \
    "list --json: the filesystem, its socket, its tag, in both definitions, vschan's"
  vs list "$d"
  has "$out" "^filesystem  *ua-vschan-fs-share  *vhost-user  *$tmp/fs.sock  *tag share  *-  *both\$" "list: a row for the filesystem"
  vs connect "$d" share
  expect 1 "connect: a vhost-user device is refused"
  has "$err" "cannot connect to virtiofs filesystem 'share': it is a vhost-user device" "connect: says why"
  vs remove "$d" nosuch
  expect 1 "remove: an unknown name"
  has "$err" "the domain has no device 'nosuch'" "remove: says so"
  has "$err" "or a vhost-user device by its mount tag, disk target or MAC address" "remove: the hint names the vhost-user names"
  vs remove "$d" share --config --json
  expect 0 "remove --config: by the mount tag"
  has "$(json_line removed)" "^$d filesystem:ua-vschan-fs-share:live=False:persistent=True\$" "remove --config --json: names it"
  lacks "$(config_xml "$d")" "<filesystem" "remove --config: gone from the persistent definition"
  has "$(live_xml "$d")" "<alias name='ua-vschan-fs-share'/>" "remove --config: still live"
  vs list "$d"
  has "$out" "^filesystem  *ua-vschan-fs-share .* live\$" "list: now live only"
  vs remove "$d" ua-vschan-fs-share --config
  expect 1 "remove --config: no longer in the persistent definition"
  has "$err" "only in the live definition: use --live" "remove --config: says where it is"

  # The second transaction: a filesystem that works, then a disk whose
  # socket nobody serves (QEMU refuses it).  The filesystem is taken back
  # from the persistent definition at once; live, a PCI device leaves only
  # when the guest's OS releases it, and this domain has no OS: the
  # rollback must say that the domain still differs, never claim it did.
  start_virtiofsd "$tmp/fs2.sock"
  spec two.json "\"filesystems\":[{\"source\":{\"socket\":\"$tmp/fs2.sock\"},\"target\":{\"dir\":\"second\"}}],
    \"disks\":[{\"type\":\"vhostuser\",\"device\":\"disk\",\"source\":{\"type\":\"unix\",\"path\":\"$tmp/none.sock\"},
                 \"target\":{\"dev\":\"vdb\",\"bus\":\"virtio\"}}]"
  vs -v add "$d" "$tmp/two.json" --timeout 3
  expect 3 "rollback: a disk without its daemon fails the add"
  has "$err" "cannot attach vhost-user disk 'vdb' to the live definition" "rollback: the error names the disk"
  has "$err" "rollback: virtiofs filesystem 'second' is still attached to domain 'vt-vhost' after 3 s" \
    "rollback: a guest without an OS keeps the filesystem, and the error says so"
  has "$err" "hint: the domain still differs from before this run" "rollback: and what it means"
  lacks "$(config_xml "$d")" "dir='second'\\|dev='vdb'" "rollback: the persistent definition has none of the run's devices"
  lacks "$(live_xml "$d")" "ua-vschan-virtio-disk-vdb" "rollback: live has no disk"

  # The persistent side alone, with the second attach failing on purpose:
  # the first is detached again by its alias.
  spec cfg.json "\"filesystems\":[{\"source\":{\"socket\":\"$tmp/fs3.sock\"},\"target\":{\"dir\":\"third\"}},
    {\"source\":{\"socket\":\"$tmp/fs4.sock\"},\"target\":{\"dir\":\"fourth\"}}]"
  VSCHAN_FAIL_LIBVIRT=attach:2 vs add "$d" "$tmp/cfg.json" --config
  expect 3 "config rollback: the second attach fails"
  has "$err" "cannot attach virtiofs filesystem 'fourth' to the persistent definition" "config rollback: names it"
  lacks "$(config_xml "$d")" "dir='third'\\|dir='fourth'" "config rollback: neither is left in the persistent XML"

  # Refused before anything is touched.
  d2=vt-vhost-private
  start "$d2"
  vs add "$d2" "$tmp/fs.json"
  expect 1 "private memory: refused"
  has "$err" "'virtiofs' requires shared memory .*\[vhost-shared-memory\]" "private memory: libvirt's reason, vschan's rule"
  lacks "$(config_xml "$d2")" "<filesystem" "private memory: the persistent definition is unchanged"

  # apply converges vhost-user devices: added on the first run, nothing to
  # do on the second (what libvirt fills in is no difference), a changed
  # queue size is a replace, --prune takes vschan's device away.  The
  # persistent side only for the changes: live, a PCI device leaves only
  # with the guest's consent (tests/guest).
  d3=vt-vhost-apply
  start "$d3" --shared-numa
  start_virtiofsd "$tmp/fsa.sock"
  spec fsa.json "\"filesystems\":[{\"driver\":{\"type\":\"virtiofs\",\"queue\":1024},\"source\":{\"socket\":\"$tmp/fsa.sock\"},\"target\":{\"dir\":\"applied\"}}]"
  vs apply "$d3" "$tmp/fsa.json" --json
  expect 0 "apply: a vhost-user device is added"
  has "$(json_line plan)" "^applied live=True persistent=True add:filesystem:ua-vschan-fs-applied:None\$" \
    "apply --json: one add of the filesystem, live and persistent"
  has "$(qemu_view "$d3" ua-vschan-fs-applied)" "^device ua-vschan-fs-applied vhost-user-fs-pci\$" \
    "apply: QEMU has the device"
  vs apply "$d3" "$tmp/fsa.json" --json
  expect 0 "apply: second run"
  has "$(json_line plan)" "^nothing-to-do live=True persistent=True\$" \
    "apply: the second run has nothing to do (libvirt's alias and address are no difference)"
  # An interface without a MAC address: libvirt makes one up; the second
  # run finds the interface by its socket and takes the MAC as libvirt's.
  spec net.json "\"interfaces\":[{\"type\":\"vhostuser\",\"source\":{\"type\":\"unix\",\"path\":\"$tmp/net.sock\",\"mode\":\"server\"},\"model\":{\"type\":\"virtio\"}}]"
  vs apply "$d3" "$tmp/net.json" --config --json
  expect 0 "apply --config: an interface without a MAC address"
  has "$(json_line plan)" "^applied live=False persistent=True add:interface:" "apply --config: the interface is added"
  has "$(config_xml "$d3")" "<mac address='52:54:00:" "apply --config: libvirt gave it a MAC address"
  vs apply "$d3" "$tmp/net.json" --config --json
  expect 0 "apply --config: the interface again"
  has "$(json_line plan)" "^nothing-to-do live=False persistent=True\$" \
    "apply --config: found by its socket, libvirt's MAC address is no difference"
  # Nobody serves that socket: list says so, the filesystem's is there.
  vs list "$d3" --json
  has "$(printf '%s' "$out" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["backend"] == "vhost-user":
        print(e["kind"], e["socket_exists"])')" "^interface False\$" "list --json: the interface's socket does not exist"
  vs list "$d3"
  has "$out" "^interface .* $tmp/net.sock (no socket) " "list: the table says no socket"

  spec fsa2.json "\"filesystems\":[{\"driver\":{\"type\":\"virtiofs\",\"queue\":512},\"source\":{\"socket\":\"$tmp/fsa.sock\"},\"target\":{\"dir\":\"applied\"}}]"
  vs apply "$d3" "$tmp/fsa2.json" --config --json
  expect 0 "apply --config: a changed queue size"
  has "$(json_line plan)" "^applied live=False persistent=True replace:filesystem:ua-vschan-fs-applied:has .*queue=.1024.*spec wants .*queue=.512" \
    "apply --config: a replace that says what differs"
  has "$(config_xml "$d3")" "queue='512'" "apply --config: the persistent definition has the new queue size"
  has "$(live_xml "$d3")" "queue='1024'" "apply --config: live keeps the old one"
  spec none.json "\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/ap.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.ap\"}}]"
  vs apply "$d3" "$tmp/none.json" --config --prune --json
  expect 0 "apply --prune --config: a spec without the filesystem"
  has "$(json_line plan)" "remove:filesystem:ua-vschan-fs-applied:None" "apply --prune: removes vschan's filesystem"
  has "$(json_line plan)" "remove:interface:ua-vschan-" "apply --prune: and vschan's interface"
  lacks "$(config_xml "$d3")" "<filesystem\|<interface" "apply --prune: both gone from the persistent definition"
  spec mem.json '"memoryBacking":{"source":{"type":"memfd"},"access":{"mode":"shared"}}'
  vs add "$d2" "$tmp/mem.json"
  expect 1 "memoryBacking: refused by add"
  has "$err" "cannot change memoryBacking" "memoryBacking: says why"

  # A live remove asks QEMU to unplug the PCI device; without an OS in the
  # guest nothing releases it, and remove must say so, not claim it gone
  # (tests/guest/vhost-user-test.sh removes live from a booted guest).
  vs remove "$d" share --live --timeout 2
  expect 3 "remove --live: a guest without an OS keeps the filesystem"
  has "$err" "virtiofs filesystem 'share' is still attached to domain '$d' after 2 s" "remove --live: says so"
}

sc_no_controller() {
  begin
  d=vt-noctl
  start "$d" --no-virtio-serial
  spec chan.json "\"channels\":[{\"type\":\"unix\",\"source\":{\"mode\":\"bind\",\"path\":\"$tmp/n.sock\"},\"target\":{\"type\":\"virtio\",\"name\":\"org.example.n\"}}]"
  vs add "$d" "$tmp/chan.json"
  expect 1 "no controller: refused"
  has "$err" "has no virtio-serial controller" "no controller: the reason"
  has "$err" "hint: add the devices with --config" "no controller: how to add one"
  # The controller vschan adds is part of the transaction: when the
  # channel after it fails, the rollback takes the controller back too.
  VSCHAN_FAIL_LIBVIRT=attach:2 vs add "$d" "$tmp/chan.json" --config
  expect 3 "no controller: the channel's attach fails after the controller's"
  has "$err" "injected failure of attach call 2 " "no controller: the failure was the channel's"
  lacks "$(config_xml "$d")" "<controller type='virtio-serial'" "no controller: the rollback took the controller back"
  vs add "$d" "$tmp/chan.json" --config
  expect 0 "no controller: --config"
  config=$(config_xml "$d")
  has "$config" "<controller type='virtio-serial'" "no controller: the persistent definition got one"
  has "$config" "org.example.n" "no controller: and the channel"
  lacks "$(live_xml "$d")" "org.example.n" "no controller: live is unchanged"
}

# A libvirtd on loopback TCP (auth none, everything in a temp dir, see
# private-libvirtd.sh) and the remote driver: qemu+tcp://127.0.0.1:PORT/system.
# The domain runs under KVM and under TCG when the daemon offers KVM, under
# TCG alone when it does not; when root may open /dev/kvm, the daemon must
# offer KVM (its QEMU runs as root).
sc_tcp_daemon() {
  begin
  # shellcheck source=tests/virt/private-libvirtd.sh
  . "$(dirname "$0")/private-libvirtd.sh"
  # shellcheck disable=SC2317
  stop_daemon() {
    private_libvirtd_stop
    finish
  }
  trap stop_daemon EXIT
  private_libvirtd_start "$tmp/daemon" || skip "$PRIVATE_LIBVIRTD_WHY"
  tcp_uri=$PRIVATE_LIBVIRTD_TCP
  if private_libvirtd_kvm; then
    types="kvm qemu"
    ok "tcp: the daemon offers KVM; the domain runs under KVM, then TCG"
  elif [ -c /dev/kvm ] && (exec 3<>/dev/kvm) 2>/dev/null; then
    fail "tcp: root may open /dev/kvm, but the daemon offers no KVM (see $tmp/daemon/libvirtd.log)"
    types=qemu
  else
    types=qemu
    ok "tcp: no usable /dev/kvm on this machine: the domain runs under TCG only"
  fi
  # The domain vsct-virt builds, as libvirt completes it, under another name.
  "$VSCT_VIRT" "$VSCT_ROOT" define vt-xmlsrc >/dev/null || exit 1
  xml=$(virt_says xml vt-xmlsrc --inactive)
  "$VSCT_VIRT" "$VSCT_ROOT" destroy vt-xmlsrc
  [ -n "$xml" ] || { fail "tcp: no XML of vt-xmlsrc"; exit 1; }
  spec chan.json "\"channels\":[{\"type\":\"pty\",\"target\":{\"type\":\"virtio\",\"name\":\"org.example.remote\"}}]"
  for type in $types; do
    tcp_domain "$type"
  done
}

# tcp_domain TYPE: a transient domain of that type (nothing is left in the
# daemon's directories) through add, list and remove over TCP.
tcp_domain() {
  d=vt-remote-$1
  printf '%s\n' "$xml" | sed "s|<domain type='[a-z]*'|<domain type='$1'|; s|<name>vt-xmlsrc|<name>$d|; /<uuid>/d" \
    >"$tmp/$d.xml"
  if ! virsh -c "$tcp_uri" create "$tmp/$d.xml" >"$tmp/create.out" 2>&1; then
    fail "tcp: libvirtd cannot start a domain of type $1: $(cat "$tmp/create.out")"
    return
  fi
  kvm=$(virsh -c "$tcp_uri" qemu-monitor-command "$d" '{"execute":"query-kvm"}')
  [ "$1" = kvm ] && want=true || want=false
  has "$kvm" "\"enabled\":$want" "tcp $1: QEMU runs with KVM enabled=$want"
  "$VSCHAN" -c "$tcp_uri" add "$d" "$tmp/chan.json" >"$tmp/out" 2>"$tmp/err"
  rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
  expect 0 "tcp $1: add through qemu+tcp"
  has "$out" "live definition of '$d'" "tcp $1: a transient domain is changed live"
  LIBVIRT_DEFAULT_URI=$tcp_uri "$VSCHAN" list "$d" >"$tmp/out" 2>"$tmp/err"
  rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
  expect 0 "tcp $1: list through LIBVIRT_DEFAULT_URI"
  has "$out" "ua-vschan-org-example-remote .* live\$" "tcp $1: the channel is listed"
  "$VSCHAN" -c "$tcp_uri" remove "$d" org.example.remote >"$tmp/out" 2>"$tmp/err"
  rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
  expect 0 "tcp $1: remove waits for the event over the remote driver"
  live=$(virsh -c "$tcp_uri" dumpxml "$d") || fail "tcp $1: virsh dumpxml $d failed"
  has "$live" "<domain type='$1'" "tcp $1: libvirtd still describes the domain"
  lacks "$live" "org.example.remote" "tcp $1: gone"
  virsh -c "$tcp_uri" destroy "$d" >/dev/null || fail "tcp $1: cannot destroy $d"
}

case $scenario in
setup) sc_setup ;;
cleanup) sc_cleanup ;;
*)
  # Scenarios too large for this file live next to it.
  if [ "$scenario" = txn-faults ]; then
    # shellcheck source=tests/virt/txn-faults.sh
    . "$(dirname "$0")/txn-faults.sh"
  fi
  fn=sc_$(printf '%s' "$scenario" | tr - _)
  if ! command -v "$fn" >/dev/null 2>&1; then
    echo "run-virt.sh: unknown scenario '$scenario'" >&2
    exit 2
  fi
  "$fn"
  ;;
esac
summary
