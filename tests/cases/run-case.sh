#!/bin/bash
# Run one golden case, tests/cases/AREA/NAME/, by the files it holds.
# Its input says what runs (in the case directory):
#   spec.json      `vschan xml spec.json`; optional when args names a template
#   args           extra arguments for `vschan xml`, whitespace separated
#   domain.xml     `vschan xml ... --into domain.xml`
#   changes        a Proxmox config edit: `test-pve case changes` (the config
#                  it names in tests/pve/data/ and the changes; see test-pve.c)
# and one expected file what that prints:
#   expected.xml   (vschan xml) or
#   expected.pve   (test-pve case): the standard output, exit status 0
#   expected.err   or: the standard error, exit status 1
#   expected.note  with expected.xml: the notes on stderr (none without it)
# (libvirt.chardev, libvirt's own output for expected.xml, is for the
# qemu/libvirt-oracle test.)
# VSCHAN_REGEN=1 rewrites the expected file from what was printed.
# VSCHAN_TEST_WRAPPER (e.g. "valgrind -q --error-exitcode=99") runs the program under a tool.
#
#   run-case.sh VSCHAN TEST_PVE DIR
set -u
[ $# -eq 3 ] || { echo "usage: run-case.sh VSCHAN TEST_PVE DIR" >&2; exit 2; }
vschan=$(realpath -- "$1") test_pve=$(realpath -- "$2") dir=$3
name=$(basename "$(dirname "$dir")")/$(basename "$dir")
fail() { echo "FAIL $name: $*"; exit 1; }

if [ -f "$dir/changes" ]; then
  out_file=expected.pve
  command=("$test_pve" case changes)
else
  out_file=expected.xml
  command=("$vschan" xml)
  [ -f "$dir/spec.json" ] && command+=(spec.json)
  if [ -f "$dir/args" ]; then
    read -r -a extra < "$dir/args"
    command+=("${extra[@]}")
  fi
  [ -f "$dir/domain.xml" ] && command+=(--into domain.xml)
fi

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
cd "$dir" || exit 2
# shellcheck disable=SC2086
${VSCHAN_TEST_WRAPPER:-} "${command[@]}" >"$out" 2>"$err"
rc=$?

if [ "${VSCHAN_REGEN:-}" = 1 ]; then
  case $rc in
  0) rm -f expected.err expected.note; cp "$out" "$out_file"
     [ -s "$err" ] && cp "$err" expected.note ;;
  1) rm -f "$out_file" expected.note; cp "$err" expected.err ;;
  *) cat "$err"; fail "exit status $rc: neither output nor refusal, nothing regenerated" ;;
  esac
  echo "regenerated $name (exit $rc)"
  exit 0
fi

if [ -f expected.err ]; then
  [ $rc -eq 1 ] || { cat "$err"; fail "exit status $rc, expected 1"; }
  [ -s "$out" ] && fail "printed to stdout on error"
  diff -u expected.err "$err" || fail "stderr differs from expected.err"
elif [ -f "$out_file" ]; then
  [ $rc -eq 0 ] || { cat "$err"; fail "exit status $rc, expected 0"; }
  if [ -f expected.note ]; then
    diff -u expected.note "$err" || fail "stderr differs from expected.note"
  else
    [ -s "$err" ] && { cat "$err"; fail "printed to stderr"; }
  fi
  diff -u "$out_file" "$out" || fail "stdout differs from $out_file"
else
  fail "no $out_file or expected.err (run with VSCHAN_REGEN=1)"
fi
echo "ok $name"
