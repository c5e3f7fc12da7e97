#!/bin/sh
# Record what libvirt generates (oracle 1 of issue 5): for every golden
# case's expected.xml, the -chardev option strings of `virsh
# domxml-to-native qemu-argv`, through libvirt-argv.sh, into the case's
# tests/cases/AREA/NAME/libvirt.chardev.  test-libvirt-oracle compares
# vschan's chardevs with these files; run this again when cases change or
# libvirt is upgraded.
#
#   tests/qemu/record-libvirt.sh [AREA/NAME...]     (default: all)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cases=$(cd "$here/../cases" && pwd)
versions="libvirt $(virsh --version), $(qemu-system-x86_64 --version | head -n 1)"

record() {  # XML OUT
  tmp=$1.out.$$
  if err=$("$here/libvirt-argv.sh" "$1" 2>&1 >"$tmp"); then
    { echo "# recorded by tests/qemu/record-libvirt.sh with $versions"; cat "$tmp"; } >"$2"
  else
    { echo "# recorded by tests/qemu/record-libvirt.sh with $versions"
      echo "# libvirt-error: $(printf '%s' "$err" | tr '\n' ' ')"; } >"$2"
  fi
  rm -f "$tmp"
  echo "recorded $2"
}

wanted() {
  [ $# -eq 0 ] && return 0
  for w; do [ "$w" = "$name" ] && return 0; done
  return 1
}

for xml in "$cases"/*/*/expected.xml; do
  [ -e "$xml" ] || continue
  dir=$(dirname "$xml")
  name=$(basename "$(dirname "$dir")")/$(basename "$dir")
  wanted "$@" || continue
  # --into cases: expected.xml is a whole domain after the merge, not
  # what the spec alone describes
  [ -e "$dir/domain.xml" ] && continue
  record "$xml" "$dir/libvirt.chardev"
done
