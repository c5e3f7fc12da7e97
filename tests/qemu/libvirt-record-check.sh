#!/bin/sh
# The recorded libvirt output is what libvirt on this machine generates:
# libvirt-argv.sh again for each golden case AREA/NAME, on its
# expected.xml, compared with its libvirt.chardev.
#
#   libvirt-record-check.sh AREA/NAME...
# Exit 0 same, 1 different, 77 no libvirt (a failure when CI is set).
set -u

here=$(cd "$(dirname "$0")" && pwd)
cases=$here/../cases
. "$here/../lib/test.sh"
status=0
for name; do
  got=$("$here/libvirt-argv.sh" "$cases/$name/expected.xml")
  rc=$?
  [ $rc -eq 77 ] && skip "libvirt-argv.sh cannot run here (see above)"
  want=$(grep -v '^#' "$cases/$name/libvirt.chardev")
  if [ $rc -ne 0 ] || [ "$got" != "$want" ]; then
    echo "libvirt-record-check: '$name' differs from its record; run tests/qemu/record-libvirt.sh $name" >&2
    printf 'recorded:\n%s\nlibvirt now:\n%s\n' "$want" "$got" >&2
    status=1
  else
    echo "ok $name"
  fi
done
exit $status
