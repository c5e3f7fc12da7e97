#!/bin/sh
# vschan validate agrees with libvirt on libvirt's own test documents
# (libvirt-corpus.sh), when Debian's source package of libvirt is there:
# scripts/get-libvirt-source puts it in /var/cache/vschan/libvirt-source
# (.ci/run does), or VSCHAN_LIBVIRT_SOURCE names the tarball or tree.
# Usage: check-libvirt-corpus.sh VSCHAN VSCT_VERDICT EMBED_ROOT_SH
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/test.sh"
source=${VSCHAN_LIBVIRT_SOURCE:-$(ls /var/cache/vschan/libvirt-source/libvirt_*.orig.tar.xz 2>/dev/null | head -1)}
[ -n "$source" ] && [ -e "$source" ] ||
  skip "libvirt's source package is not here: run scripts/get-libvirt-source (as root)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$here/libvirt-corpus.sh" "$@" "$source" "$out"
rc=$?
[ $rc -eq 77 ] && skip "libvirt's embedded driver cannot run here"
exit $rc
