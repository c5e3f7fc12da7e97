#!/bin/sh
# vschan validate agrees with libvirt on libvirt's own test documents
# (libvirt-corpus.sh), when Debian's source package of libvirt is there:
# scripts/get-libvirt-source puts it in /var/cache/vschan/libvirt-source
# (.ci/run does), or VSCHAN_LIBVIRT_SOURCE names the tarball or tree.
# Usage: check-libvirt-corpus.sh [--all] VSCHAN VSCT_VERDICT EMBED_ROOT_SH
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
# the same agreement as recorded in the repository (--all): whether each
# document agrees, differs or is out of scope.  libvirt's verdict itself
# may depend on the host (a domain of type kvm, host-passthrough CPUs
# without /dev/kvm); vschan, given the driver's capabilities, follows it.
if [ "$1" = --all ] && [ $rc -eq 0 ]; then
  cut -f1,4 "$out" | sort >"$out.now"
  grep -v '^#' "$here/libvirt-corpus-all.tsv" | cut -f1,4 | sort >"$out.recorded"
  if ! diff -u "$out.recorded" "$out.now" >"$out.diff"; then
    echo "libvirt-corpus: verdicts differ from tests/validate/libvirt-corpus-all.tsv (record it again: see its first line)"
    head -40 "$out.diff"
    rc=1
  fi
  rm -f "$out.now" "$out.recorded" "$out.diff"
fi
(exit $rc)
rc=$?
[ $rc -eq 77 ] && skip "libvirt's embedded driver cannot run here"
exit $rc
