#!/bin/sh
# vschan validate from the outside: input kinds, messages at the element's
# own line, exit status, --werror, --json, --junit, --jobs, schemas.
#
# usage: test-cli.sh VSCHAN TESTS_VALIDATE_DIR
set -u
vschan=$1
src=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/vschan-validate-cli.XXXXXX")
trap 'rm -rf "${dir:?}"' EXIT INT TERM
export NO_COLOR=1
. "$(dirname "$0")/../lib/test.sh"
TEST_TMP=$dir
# validates EXPECTED_STATUS ARGS...: vschan validate ARGS; what it printed
# in $out and $err (and in $dir/out, $dir/err)
validates() {
  want=$1
  shift
  run "$vschan" validate "$@"
  expect "$want" "vschan validate $(printf '%s' "$*" | cut -c1-160)"
}

corpus=$src/corpus

# Every kind of input, told apart by content.
cat >"$dir/chan.frag" <<'XML'
<channel type='unix'>
  <source mode='bind' path='/run/vm/ga.sock'/>
  <target type='virtio' name='org.qemu.guest_agent.0'/>
</channel>
XML
printf "<console type='pty'><target type='virtio' port='0'/></console>\n" >"$dir/console.xml"
printf "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/></serial>\n" >"$dir/serial.xml"
printf "<parallel type='file'><source path='/tmp/lp'/></parallel>\n" >"$dir/parallel.xml"
printf "<devices>\n  <serial type='pty'/>\n  <channel type='pty'><target type='virtio' name='a'/></channel>\n</devices>\n" >"$dir/devices.xml"
printf '{"channels": [{"type": "unix", "target": {"type": "virtio", "name": "org.qemu.guest_agent.0"}}]}\n' >"$dir/spec.json"
validates 0 --json "$dir/chan.frag" "$dir/console.xml" "$dir/serial.xml" "$dir/parallel.xml" "$dir/devices.xml" \
  "$dir/spec.json" "$corpus/valid-mixed.xml"
for k in channel console serial parallel devices spec domain; do has "$out" "\"kind\":\"$k\",\"valid\":true"; done
has "$out" '"summary":{"files":7,"valid":7,"invalid":0'

# A rule broken: the element's own line, the rule id, a hint.
validates 1 "$corpus/err-spicevmc-no-spice.xml"
line=$(grep -n "<channel type='spicevmc'" "$corpus/err-spicevmc-no-spice.xml" | cut -d: -f1)
has "$out" "err-spicevmc-no-spice.xml:$line: error: .*spice graphics.*\[spice-graphics\]"
has "$out" "^  hint: add <graphics type='spice'/>"

# A schema failure: the deepest element and what it takes, not the interleave.
validates 1 "$corpus/err-enum-channel-target.xml"
line=$(grep -n "<target type='vsock'" "$corpus/err-enum-channel-target.xml" | cut -d: -f1)
has "$out" "err-enum-channel-target.xml:$line: error: <target type='vsock'> .*'virtio'.*\[schema\]"
lacks "$out" "interleave"
validates 1 "$corpus/err-nest-unknown-child.xml"
has "$out" "<serial> does not take a <speed> element"
validates 1 "$corpus/err-enum-reconnect.xml"
has "$out" "<reconnect enabled='true'> .*'yes', 'no'"
# Every other device of a domain is still checked by the rules.
cat >"$dir/two.xml" <<'XML'
<domain type='qemu'>
  <name>two</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <serial type='bogus'/>
    <serial type='file'/>
  </devices>
</domain>
XML
validates 1 "$dir/two.xml"
has "$out" "two.xml:6: error: <serial type='bogus'>"
has "$out" "two.xml:7: error: .*\[source-path\]"

# Warnings: exit 0, unless --werror / --strict.
validates 0 "$corpus/warn-channel-name-unique.xml"
has "$out" "warning: .*\[channel-name-unique\]"
validates 1 --werror "$corpus/warn-channel-name-unique.xml"
has "$out" "error: .*\[channel-name-unique\]"
validates 1 --strict "$corpus/warn-backend-nmdm.xml"

# JUnit: well-formed, one test case per file, failures counted.
validates 1 --junit "$dir/report.xml" "$corpus/valid-empty.xml" "$corpus/err-file-no-path.xml" "$corpus/warn-xen-channel.xml"
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout "$dir/report.xml" || fail "the JUnit report is not well-formed"
fi
has "$(cat "$dir/report.xml")" '<testsuite name="vschan validate" tests="3" failures="1" errors="0">'
has "$(cat "$dir/report.xml")" '<failure message="1 error" type="invalid">'
has "$(cat "$dir/report.xml")" '<system-out>.*\[xen-target\]'
[ "$(grep -c '<testcase ' "$dir/report.xml")" -eq 3 ] || fail "JUnit: expected 3 test cases"

# JSON is one document.
validates 1 --json "$corpus/err-two-sources.xml" "$corpus/valid-empty.xml"
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"] == 1 and len(d["files"]) == 2' \
    "$dir/out" || fail "--json output does not parse: $(cat "$dir/out")"
fi
has "$out" '"rule":"xml-structure"'

# A spec file's diagnostics (here a warning) carry their JSON pointer in both reports.
printf '{"channels": [{"type": "pty", "target": {"type": "virtio", "name": "a b"}}]}\n' >"$dir/bad-spec.json"
validates 0 --json "$dir/bad-spec.json"
has "$out" '"pointer":"/channels/0/target/name"'
validates 0 --junit "$dir/spec-report.xml" "$dir/bad-spec.json"
has "$(cat "$dir/spec-report.xml")" 'at /channels/0/target/name'

# The order of the results does not depend on --jobs.
validates 1 --jobs 1 "$corpus"/*.xml
mv "$dir/out" "$dir/out1"
validates 1 --jobs 3 "$corpus"/*.xml
cmp -s "$dir/out1" "$dir/out" || fail "--jobs 3 prints other results than --jobs 1"

# Rules listed.
validates 0 --list-rules
for r in schema spice-graphics virtio-port-range isa-serial-max alias-unique guestfwd-unique console-compat; do
  has "$out" "^$r "
done
validates 0 --list-rules --json
has "$out" '"id": "virtio-serial-controller"'

# Schemas: the bundled one says so and still checks character devices.
validates 1 --bundled-schema "$corpus/err-enum-channel-target.xml" "$corpus/valid-mixed.xml"
has "$err" "note: .*bundled schema"
has "$out" "<target type='vsock'>"
lacks "$out" "valid-mixed"
validates 0 --no-schema "$corpus/valid-mixed.xml"
validates 2 --schema-dir "$dir/nowhere" "$corpus/valid-mixed.xml"
has "$err" "cannot be read"

# Usage errors.
validates 2
validates 2 --jobs 0 "$corpus/valid-empty.xml"
validates 2 - -
validates 2 --frobnicate "$corpus/valid-empty.xml"

summary
