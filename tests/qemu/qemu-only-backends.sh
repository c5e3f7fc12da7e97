#!/bin/sh
# The backends only QEMU has (msmouse, braille; libvirt's XML has neither):
# `vschan xml` and the XML reader refuse them with a message that points
# to qemu-args and qm; `vschan qemu-args` writes them, and real QEMU
# realizes both serial ports (braille through a private BrlAPI server,
# brltty with no display); `vschan qm` puts them into args:.
#
#   qemu-only-backends.sh VSCHAN
# Exit 0 pass, 1 fail, 77 no QEMU or brltty (a failure when CI is set).
set -u

vschan=${1:?usage: qemu-only-backends.sh VSCHAN}
. "$(dirname "$0")/../lib/test.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found; install qemu-system-x86"
command -v brltty >/dev/null || skip "brltty not found (braille needs a BrlAPI server); install brltty"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vsqo.XXXXXX")
brl_pid=
# BrlAPI's unix sockets live in one host-wide directory; a number of our
# own keeps this server apart from any other.
brl_host=$(( $$ % 5000 + 1000 ))
brl_socket=/var/lib/BrlAPI/$brl_host
cleanup() {
  if [ -n "$brl_pid" ]; then
    kill "$brl_pid" 2>/dev/null
    wait "$brl_pid" 2>/dev/null
  fi
  rm -f "$brl_socket" "/var/lib/BrlAPI/.$brl_host"
  rm -rf "${TEST_TMP:?}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$TEST_TMP/spec.json" <<'JSON'
{
  "serials": [
    { "type": "msmouse", "target": { "type": "isa-serial", "port": 1 } },
    { "type": "braille", "target": { "type": "isa-serial", "port": 2 } }
  ]
}
JSON

# --- libvirt's XML cannot express them ---
run "$vschan" xml "$TEST_TMP/spec.json"
expect 1 "vschan xml refuses msmouse, naming the file and the JSON pointer" '^$' \
  "spec.json: error: at /serials/0/type: serial port 1: libvirt's domain XML has no 'msmouse' backend \[xml-backend\]"
has "$err" "braille' backend" "vschan xml names the braille port too"
has "$err" "hint: give it to 'vschan qemu-args' or 'vschan qm'" "the hint points to qemu-args and qm"

run "$vschan" xml --serial msmouse,target.port=0
expect 1 "the option syntax is refused the same way" '^$' "^--serial: error: .*no 'msmouse' backend"

printf '%s\n' "<devices><serial type='msmouse'><target port='0'/></serial></devices>" >"$TEST_TMP/mouse.xml"
run "$vschan" validate "$TEST_TMP/mouse.xml"
# libvirt's schema refuses it (at its <target>); without the schema,
# vschan's reader does, as an unknown type
expect 1 "validate refuses <serial type='msmouse'> as libvirt does" "mouse.xml:1: error: .*(\\[schema\\]|unknown serial type 'msmouse')"

printf '%s\n' "<domain type='kvm'><name>d</name><devices>" "<serial type='msmouse'><target port='0'/></serial>" \
  "</devices></domain>" >"$TEST_TMP/domain.xml"
run "$vschan" xml --serial pty,target.port=1 --into "$TEST_TMP/domain.xml"
expect 1 "the XML reader refuses a domain with one, as libvirt does" '^$' \
  "domain.xml:2: error: unknown serial type 'msmouse' \\[xml-bad-value\\]"
has "$err" "hint: QEMU has it, libvirt does not" "the hint says where it exists"

# --- QEMU takes them ---
run "$vschan" qemu-args "$TEST_TMP/spec.json"
expect 0 "qemu-args writes both" "-chardev msmouse,id=vschan-serial1 .*-chardev braille,id=vschan-serial2" '^$'
line=$out

brltty -n -b no -s no -x no -A "auth=none,host=:$brl_host" -f /dev/null -l warning \
  >"$TEST_TMP/brltty.log" 2>&1 &
brl_pid=$!
wait_for "$TEST_LONG_S" test -S "$brl_socket" ||
  { test_quote "$(cat "$TEST_TMP/brltty.log")"; fail "brltty did not open $brl_socket"; summary; exit 1; }

eval "set -- $line"
qmp=$(printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-chardev"}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-serial1","property":"index"}}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-serial2","property":"index"}}' \
        '{"execute":"quit"}' |
      BRLAPI_HOST=:$brl_host timeout "$TEST_LONG_S" qemu-system-x86_64 -machine pc -nodefaults \
        -display none -S -accel tcg -qmp stdio "$@" 2>"$TEST_TMP/qemu.log")
check "QEMU starts with vschan's arguments" '[ $? -eq 0 ]'
has "$qmp" '"filename": "msmouse", "label": "vschan-serial1"' "QEMU has the msmouse chardev"
has "$qmp" '"filename": "braille", "label": "vschan-serial2"' "QEMU has the braille chardev"
has "$qmp" '{"return": 1}' "the msmouse port is ISA serial index 1"
has "$qmp" '{"return": 2}' "the braille port is ISA serial index 2"
[ "$TEST_FAILED" -eq 0 ] || { test_quote "$qmp"; test_quote "$(cat "$TEST_TMP/qemu.log")"; }

# --- Proxmox: args:, as qemu-server has no such serialN: value ---
run "$vschan" qm 100 "$TEST_TMP/spec.json"
expect 0 "qm puts both into args:" \
  "^args: -chardev msmouse,id=vschan-serial1 -device isa-serial,chardev=vschan-serial1,id=vschan-serial1,index=1 -chardev braille" '^$'
lacks "$out" '^serial[0-9]' "no native serialN: line"

summary
