#!/bin/sh
# Usage errors name what was wrong, once, and point at the command's help:
# every command in commands.def, with an unknown option, an option without
# its value and a value given to a flag.  Usage: check-usage.sh VSCHAN SRCDIR
set -u
vschan=$1 src=$2
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else echo "FAIL $1"; echo "$out" | sed 's/^/  | /'; fail=$((fail + 1)); fi; }

# Expect exit 2 and exactly the two lines: the error and the hint.
expect() {  # WHAT EXPECTED-ERROR HINT-COMMAND ARGS...
  what=$1 want=$2 hint=$3; shift 3
  out=$("$vschan" "$@" 2>&1 </dev/null); rc=$?
  check "$what: exit 2, not $rc" '[ $rc -eq 2 ]'
  check "$what: says \"$want\" and nothing else" \
    '[ "$out" = "vschan: error: $want
  hint: see '"'"'vschan $hint--help'"'"'" ]'
}

. "$src/tests/lib/commands.sh"
commands=$(vsct_commands "$src")
n=$(echo "$commands" | wc -w)
check "commands.def lists the 12 commands ($n found)" '[ "$n" -eq 12 ]'
for cmd in $commands; do
  expect "$cmd --no-such-option" "unknown option '--no-such-option'" "$cmd " "$cmd" --no-such-option
  expect "$cmd -Z" "unknown option '-Z'" "$cmd " "$cmd" -Z
  expect "$cmd --help=yes" "option '--help' takes no value" "$cmd " "$cmd" --help=yes
done
for cmd in xml qemu-args qm add apply; do
  expect "$cmd --template without a name" "option '--template' needs a value" "$cmd " "$cmd" --template
done
expect "validate -j without N" "option '-j' needs a value" "validate " validate -j
expect "global --frobnicate" "unknown option '--frobnicate'" "" --frobnicate
expect "global -c without a URI" "option '-c' needs a value" "" -c
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
