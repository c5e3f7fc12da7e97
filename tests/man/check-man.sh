#!/bin/sh
# The manuals render without warnings, and every command and long option
# in the code appears in vschan(1).  Usage: check-man.sh SOURCE_DIR
set -u
src=$1
fail=0 ok=0
for tool in mandoc groff; do
  command -v $tool >/dev/null || { echo "$tool is missing (Debian packages mandoc, groff-base)"; [ -n "${CI:-}" ] && exit 1; exit 77; }
done
for page in "$src"/man/*.[15]; do
  out=$(mandoc -Tlint -W warning "$page" 2>&1; groff -ww -man -z "$page" 2>&1)
  if [ -n "$out" ]; then echo "FAIL $(basename "$page") has warnings:"; echo "$out"; fail=$((fail + 1)); else ok=$((ok + 1)); fi
done

man1="$src/man/vschan.1"
# Commands: the names in the command table.
for cmd in $(sed -n 's/^VSC_COMMAND([a-z_]*, "\([a-z-]*\)".*/\1/p' "$src/src/cli/commands.def"); do
  if grep -q "^\.SS vschan $(echo "$cmd" | sed 's/-/\\\\-/g')" "$man1"; then ok=$((ok + 1)); else echo "FAIL command '$cmd' has no section in vschan(1)"; fail=$((fail + 1)); fi
done
# Options: every long option of every getopt table in src/cli.
for opt in $(grep -ho '{ "[a-z][a-z-]*", *\(no\|required\|optional\)_argument' "$src"/src/cli/*.c "$src"/src/cli/*.h | sed 's/{ "\([^"]*\)".*/\1/' | sort -u); do
  pat=$(echo "$opt" | sed 's/-/\\\\-/g')
  if grep -q "\\\\-\\\\-$pat" "$man1"; then ok=$((ok + 1)); else echo "FAIL option '--$opt' is not in vschan(1)"; fail=$((fail + 1)); fi
done
echo "$ok passed, $fail failed"
[ $fail -eq 0 ]
