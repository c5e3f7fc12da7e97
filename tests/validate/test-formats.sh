#!/bin/sh
# vschan validate for CI: a directory stands for the *.xml files below it
# (links out of the tree not followed), and --format text|json|junit|github
# with the exit status of the verdict.  Usage: test-formats.sh VSCHAN SRCDIR
set -u
vschan=$(realpath -- "$1") src=$(realpath -- "$2")
. "$src/tests/lib/test.sh"
TEST_TMP=$(mktemp -d)
trap 'rm -rf "${TEST_TMP:?}"' EXIT
corpus=$src/tests/validate/corpus
t=$TEST_TMP/tree
mkdir -p "$t/sub" "$TEST_TMP/outside" "$TEST_TMP/empty"
cp "$corpus/valid-channel-alias.xml" "$t/a.xml"
cp "$corpus/err-alias-duplicate.xml" "$t/sub/b.xml"
cp "$corpus/err-alias-duplicate.xml" "$t/sub/odd,name:1.xml"
cp "$corpus/err-alias-duplicate.xml" "$TEST_TMP/outside/c.xml"
cp "$corpus/valid-channel-alias.xml" "$t/sub/notes.txt"
ln -s ../outside/c.xml "$t/out.xml"          # leaves the tree: not taken
ln -s ../outside "$t/outdir"                 # a linked directory: not entered
ln -s sub/b.xml "$t/in.xml"                  # stays in the tree: taken
cd "$TEST_TMP" || exit 1

run "$vschan" validate tree
expect 1 "a directory: its *.xml files, in order, links out of the tree left out" \
  '^tree/in\.xml:16: error: .*\[alias-unique\]' 'vschan: 4 files: 1 valid, 3 invalid'
lacks "$out" 'outside|out\.xml|outdir|notes' "nothing from outside the tree or without .xml"

run "$vschan" validate --format github tree
expect 1 "github: one workflow command per diagnostic" \
  '^::error file=tree/in\.xml,line=16,title=alias-unique::channel .ua-dup.: non unique alias detected: ua-dup \(hint: give each device its own alias\)$'
has "$out" '^::error file=tree/sub/odd%2Cname%3A1\.xml,line=16,title=alias-unique::' \
  "github: ',' and ':' of a file name escaped as the workflow syntax needs"
check "github: 3 commands for 3 errors ($(printf '%s\n' "$out" | grep -c '^::error'))" \
  '[ "$(printf "%s\n" "$out" | grep -c "^::")" -eq 3 ]'

run "$vschan" validate --format junit tree
expect 1 "junit: the report on standard output" '<testsuites tests="4" failures="3" errors="0">'
if command -v xmllint >/dev/null; then
  printf '%s\n' "$out" > junit.xml
  check "junit: the report is well-formed XML" 'xmllint --noout junit.xml'
fi

run "$vschan" validate --format json tree/a.xml
expect 0 "json: one document, valid" '"summary":\{"files":1,"valid":1'

run "$vschan" validate empty
expect 2 "a directory without *.xml: an error (exit 2)" '' 'empty: error: no \*\.xml file below the directory \[io\]'
run "$vschan" validate --format yaml tree
expect 2 "an unknown format" '' "--format takes text, json, junit, github or sarif, not 'yaml'"
run "$vschan" validate --json --format github tree
expect 2 "--json and another format" '' '--json and --format github exclude each other'

# What depends on the host: SPICE TLS needs spice_tls = 1 in qemu.conf
# (libvirt refuses the define otherwise: tests/validate/libvirt-corpus.sh).
cat >spice.xml <<'XML'
<domain type='qemu'>
  <name>spice</name>
  <memory>65536</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <graphics type='spice' port='5903' tlsPort='5904' autoport='no'/>
    <channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>
    <controller type='virtio-serial'/>
  </devices>
</domain>
XML
printf '# spice_tls = 1\nvnc_tls = 1\n' >off.conf
printf 'spice_tls = 0\n spice_tls = 1 # the last one wins\n' >on.conf
run "$vschan" validate --qemu-conf off.conf spice.xml
expect 1 "a TLS port with spice_tls off in qemu.conf: libvirt's refusal" \
  '^spice\.xml:6: error: spice TLS port set in XML configuration, but TLS is disabled in qemu.conf \[spice-tls\]'
run "$vschan" validate --qemu-conf on.conf spice.xml
expect 0 "a TLS port with spice_tls = 1: valid"
run "$vschan" validate --qemu-conf missing.conf spice.xml
expect 2 "a qemu.conf that cannot be read: exit 2" '' "missing.conf: error: cannot open"
# --host: the domain types the host's capabilities offer per arch.
cat >caps.xml <<'XML'
<capabilities>
  <host><cpu><arch>x86_64</arch></cpu></host>
  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <domain type='qemu'/>
      <domain type='kvm'/>
    </arch>
  </guest>
</capabilities>
XML
sed "s/<domain type='qemu'>/<domain type='hvf'>/" "$corpus/valid-channel-alias.xml" >hvf.xml
grep -q "<domain type='hvf'>" hvf.xml || fail "the hvf document was not made"
run "$vschan" validate --host caps.xml hvf.xml
expect 1 "--host: a domain type the host does not offer is refused, as libvirt does" \
  "^hvf\.xml:1: error: domain type 'hvf' is not offered by this host for x86_64 guests \(it offers qemu, kvm\) \[host-virt-type\]"
run "$vschan" validate hvf.xml
expect 0 "without --host the domain type is not checked"
run "$vschan" validate --host caps.xml "$corpus/valid-channel-alias.xml"
expect 0 "--host: a qemu domain on a host that offers qemu is valid"
run "$vschan" validate --host hvf.xml hvf.xml
expect 1 "--host with a file that is not capabilities is refused" '' "hvf\.xml:1: error: <domain> is not a host's capabilities"
summary
