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
# the same documents as recorded in the repository (--all), none of them
# differing (libvirt-corpus.sh fails then).  libvirt's verdict itself
# depends on the host (domains of type kvm, host CPU features, without
# /dev/kvm), and with it whether a refusal is in vschan's scope: AGREE and
# SCOPE change places from one machine to another, as vschan follows it.
if [ "$1" = --all ] && [ $rc -eq 0 ]; then
  cut -f1 "$out" | sort >"$out.now"
  grep -v '^#' "$here/libvirt-corpus-all.tsv" | cut -f1 | sort >"$out.recorded"
  if ! diff -u "$out.recorded" "$out.now" >"$out.diff"; then
    echo "libvirt-corpus: the documents are not those of tests/validate/libvirt-corpus-all.tsv (record it again: see its first line)"
    head -40 "$out.diff"
    rc=1
  fi
  rm -f "$out.now" "$out.recorded" "$out.diff"
fi
(exit $rc)
rc=$?
[ $rc -eq 77 ] && skip "libvirt's embedded driver cannot run here"
exit $rc
