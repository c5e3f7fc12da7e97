#!/bin/sh
# validate slices a <devices> element with many children (libxml2's
# interleave is quadratic): the verdict must stay libvirt's RNG verdict,
# taken from xmllint on the whole document, for the counts a slice could
# hide (a second <emulator>, a repeated element allowed once) and an
# invalid device in the middle must be found on its line.
# Usage: test-many-devices.sh VSCHAN
set -u
vschan=$1
. "$(dirname "$0")/../lib/test.sh"
TEST_TMP=$(mktemp -d)
trap 'rm -rf "${TEST_TMP:?}"' EXIT
rng=/usr/share/libvirt/schemas/domain.rng
[ -r "$rng" ] || skip "libvirt's schema $rng is missing (Debian package libvirt-common)"
command -v xmllint >/dev/null || skip "xmllint is missing (Debian package libxml2-utils)"

# domain NAME CHANNELS EXTRA [BAD]: a domain with CHANNELS unix channels
# (one line each, after EXTRA on line 1) and, with BAD, an unknown
# attribute on channel number BAD (on line BAD + 2)
domain() {
  awk -v n="$2" -v extra="$3" -v bad="${4:--1}" 'BEGIN {
    print "<domain type=\"kvm\"><name>v</name><memory>65536</memory><os><type arch=\"x86_64\">hvm</type></os><devices>" extra
    for (i = 0; i < n; i++)
      printf "<channel type=\"unix\"%s><source mode=\"bind\" path=\"/run/c%d.sock\"/><target type=\"virtio\" name=\"org.x.c%d\"/></channel>\n", (i == bad ? " bogus=\"1\"" : ""), i, i
    print "<controller type=\"virtio-serial\" index=\"0\"/></devices></domain>"
  }' > "$TEST_TMP/$1.xml"
}
emu="<emulator>/usr/bin/qemu-system-x86_64</emulator>"
balloon="<memballoon model=\"virtio\"/>"
domain valid 1500 "$emu$balloon"
domain two-emulators 1500 "$emu$emu"
domain two-balloons 1500 "$balloon$balloon"
domain many-balloons 1500 "$(printf '%s' "$balloon$balloon$balloon$balloon$balloon$balloon")"
domain bad-channel 1500 "$emu" 700
domain few 300 "$emu$emu"

for name in valid two-emulators two-balloons many-balloons bad-channel few; do
  doc="$TEST_TMP/$name.xml"
  if xmllint --noout --relaxng "$rng" "$doc" >/dev/null 2>&1; then want=0; else want=1; fi
  run "$vschan" validate "$doc"
  expect "$want" "$name: the verdict of libvirt's schema on the whole document (exit $want)"
done
run "$vschan" validate "$TEST_TMP/bad-channel.xml"
expect 1 "the bad channel in the middle is named on its line" "bad-channel.xml:702: error: <channel> does not take the attribute bogus='1'"
summary
