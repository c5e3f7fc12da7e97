#!/bin/bash
# Run one golden case: tests/cases/AREA/NAME/ holds
#   spec.json      the input (optional when args names a template)
#   args           extra arguments for 'vschan xml', whitespace separated (optional)
#   domain.xml     merged into with --into (optional)
#   expected.xml   the expected standard output, exit status 0
#   expected.err   or: the expected standard error, exit status 1
# VSCHAN_REGEN=1 rewrites the expected file from what vschan prints.
# VSCHAN_TEST_WRAPPER (e.g. "valgrind -q --error-exitcode=99") runs vschan under a tool.
set -u
vschan=$1
dir=$2
name=$(basename "$(dirname "$dir")")/$(basename "$dir")

args=()
[ -f "$dir/spec.json" ] && args+=(spec.json)
if [ -f "$dir/args" ]; then
  read -r -a extra < "$dir/args"
  args+=("${extra[@]}")
fi
[ -f "$dir/domain.xml" ] && args+=(--into domain.xml)

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
cd "$dir" || exit 2
# shellcheck disable=SC2086
${VSCHAN_TEST_WRAPPER:-} "$vschan" xml "${args[@]}" >"$out" 2>"$err"
rc=$?

if [ "${VSCHAN_REGEN:-}" = 1 ]; then
  rm -f expected.xml expected.err
  if [ $rc -eq 0 ]; then cp "$out" expected.xml; else cp "$err" expected.err; fi
  echo "regenerated $name (exit $rc)"
  exit 0
fi

fail() { echo "FAIL $name: $*"; exit 1; }
if [ -f expected.err ]; then
  [ $rc -eq 1 ] || { cat "$err"; fail "exit status $rc, expected 1"; }
  [ -s "$out" ] && fail "printed to stdout on error"
  diff -u expected.err "$err" || fail "stderr differs from expected.err"
elif [ -f expected.xml ]; then
  [ $rc -eq 0 ] || { cat "$err"; fail "exit status $rc, expected 0"; }
  [ -s "$err" ] && { cat "$err"; fail "printed to stderr"; }
  diff -u expected.xml "$out" || fail "stdout differs from expected.xml"
else
  fail "no expected.xml or expected.err (run with VSCHAN_REGEN=1)"
fi
echo "ok $name"
