#!/bin/sh
# Ask libvirt again for its verdict on every corpus document and compare
# with the checked-in verdicts.tsv (name, verdict and stage; the wording of
# libvirt's messages may change).  A difference means libvirt changed, or
# the corpus changed without recording: re-record (see record-verdicts.sh)
# and look at what the accuracy test says then.
#
# usage: check-verdicts-current.sh VSCT_VERDICT EMBED_ROOT_SH CORPUS_DIR VERDICTS.tsv
set -eu

if [ $# -ne 4 ]; then
  echo "usage: check-verdicts-current.sh VSCT_VERDICT EMBED_ROOT_SH CORPUS_DIR VERDICTS.tsv" >&2
  exit 2
fi
here=$(dirname "$0")
now=$(mktemp "${TMPDIR:-/tmp}/vsct-verdicts-now.XXXXXX")
trap 'rm -f "$now" "$now.a" "$now.b"' EXIT INT TERM

set +e
"$here/record-verdicts.sh" "$1" "$2" "$3" "$now" >/dev/null
rc=$?
set -e
[ $rc -eq 0 ] || exit $rc

grep -v '^#' "$4" | cut -f1-4 >"$now.a"
grep -v '^#' "$now" | cut -f1-4 >"$now.b"
if ! diff -u "$now.a" "$now.b"; then
  echo "check-verdicts-current: libvirt's verdicts differ from $4 (- checked in, + now)" >&2
  exit 1
fi
echo "check-verdicts-current: $(wc -l <"$now.b") verdicts unchanged"
