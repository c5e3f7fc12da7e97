#!/bin/sh
# Validation of libvirt's own test suite: every domain document of
# tests/{qemuxml2argvdata,qemuxml2xmloutdata,genericxml2xmlindata,
# qemuhotplugtestdomains} in libvirt's source package (about 1,800; the
# ones tests/validate/libvirt-corpus.sh compares verdicts on), in one
# 'vschan validate' run against 'virt-xml-validate' on each, with vschan's
# peak memory for 100 files and for all (flat in the number of files).
# The measuring is bench/validate.sh's.  Needs scripts/get-libvirt-source.
# Usage: bench/libvirt-corpus.sh [VSCHAN]   (RUNS=3 pairs)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
source=$(ls /var/cache/vschan/libvirt-source/libvirt_*.orig.tar.xz 2>/dev/null | head -1)
[ -n "$source" ] || { echo "libvirt-corpus: run scripts/get-libvirt-source first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "${work:?}"' EXIT
trap 'exit 130' INT TERM
tar -xJf "$source" -C "$work" --wildcards '*/tests/qemuxml2argvdata/*.xml' '*/tests/qemuxml2xmloutdata/*.xml' \
  '*/tests/genericxml2xmlindata/*.xml' '*/tests/qemuhotplugtestdomains/*.xml'
mkdir "$work/docs"
for f in "$work"/libvirt-*/tests/*/*.xml; do
  grep -q '<domain' "$f" || continue
  d=$(basename "$(dirname "$f")")
  cp "$f" "$work/docs/$d--$(basename "$f")"
done
DOCS=$work/docs TARGET=100 NAME=libvirt-corpus RUNS=${RUNS:-3} "$here/validate.sh" "$@"
