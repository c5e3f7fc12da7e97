#!/bin/sh
# Record libvirt's verdict on every corpus document (RNG schema + define
# on the embedded QEMU driver) into a TSV file.
#
# usage: record-verdicts.sh VSCT_VERDICT EMBED_ROOT_SH CORPUS_DIR OUT.tsv
#
# Regenerate the checked-in verdicts after changing the corpus:
#   python3 tests/validate/make-corpus.py tests/validate/corpus
#   tests/validate/record-verdicts.sh build/tests/validate/vsct-verdict \
#     tests/lib/embed-root.sh tests/validate/corpus tests/validate/verdicts.tsv
# Exit status: that of vsct-verdict (77: libvirt cannot run here).
set -eu

if [ $# -ne 4 ]; then
  echo "usage: record-verdicts.sh VSCT_VERDICT EMBED_ROOT_SH CORPUS_DIR OUT.tsv" >&2
  exit 2
fi
verdict=$1 embed_root=$2 corpus=$3 out=$4

root=$(mktemp -d "${TMPDIR:-/tmp}/vsct-verdict.XXXXXX")
tmp_out=$(mktemp "${TMPDIR:-/tmp}/vsct-verdict-out.XXXXXX")
trap 'rm -rf "${root:?}" "$tmp_out"' EXIT INT TERM

set +e
"$embed_root" "$root" >/dev/null
rc=$?
set -e
# shellcheck source=../lib/test.sh
[ $rc -eq 77 ] && . "${embed_root%/*}/test.sh" && skip "this machine cannot run the embedded libvirt driver"
[ $rc -eq 0 ] || exit $rc

{
  printf '# libvirt %s verdicts (RNG schema + define on qemu:///embed), written by record-verdicts.sh\n' \
    "$(virsh --version 2>/dev/null || echo '?')"
  printf '# name\tverdict\trng\tdefine\tmessage\n'
} >"$tmp_out"
set +e
"$verdict" --root "$root" "$corpus"/*.xml >>"$tmp_out"
rc=$?
set -e
[ $rc -eq 0 ] || exit $rc
cp "$tmp_out" "$out"
echo "record-verdicts: $(grep -vc '^#' "$out") verdicts in $out"
