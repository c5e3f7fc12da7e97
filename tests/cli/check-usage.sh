#!/bin/sh
# Usage errors name what was wrong, once, and point at the command's help:
# every command in commands.def, with an unknown option, an option without
# its value and a value given to a flag.  Usage: check-usage.sh VSCHAN SRCDIR
set -u
vschan=$1 src=$2
. "$src/tests/lib/test.sh"

# usage_error WHAT EXPECTED-ERROR HINT-COMMAND ARGS...: exit 2 and exactly
# the two lines, the error and the hint.
usage_error() {
  what=$1 want=$2 hint=$3; shift 3
  out=$("$vschan" "$@" 2>&1 </dev/null); rc=$?
  check "$what: exit 2, not $rc" '[ $rc -eq 2 ]' || test_quote "$out"
  check "$what: says \"$want\" and nothing else" \
    '[ "$out" = "vschan: error: $want
  hint: see '"'"'vschan $hint--help'"'"'" ]' || test_quote "$out"
}

. "$src/tests/lib/commands.sh"
commands=$(vsct_commands "$src")
n=$(echo "$commands" | wc -w)
check "commands.def lists the 12 commands ($n found)" '[ "$n" -eq 12 ]'
for cmd in $commands; do
  usage_error "$cmd --no-such-option" "unknown option '--no-such-option'" "$cmd " "$cmd" --no-such-option
  usage_error "$cmd -Z" "unknown option '-Z'" "$cmd " "$cmd" -Z
  usage_error "$cmd --help=yes" "option '--help' takes no value" "$cmd " "$cmd" --help=yes
done
for cmd in xml qemu-args qm add apply; do
  usage_error "$cmd --template without a name" "option '--template' needs a value" "$cmd " "$cmd" --template
done
usage_error "validate -j without N" "option '-j' needs a value" "validate " validate -j
usage_error "global --frobnicate" "unknown option '--frobnicate'" "" --frobnicate
usage_error "global -c without a URI" "option '-c' needs a value" "" -c
# A duration out of range names the range (3e6 seconds is a number, but
# too large: "greater than 0" alone would be wrong)
usage_error "agent --timeout too large" \
  "invalid timeout '3e6': give seconds greater than 0, at most 604800 (a week)" "agent " \
  agent --socket /nonexistent --timeout 3e6 ping
usage_error "wait-agent --timeout too large" \
  "--timeout takes a number of seconds greater than 0, at most 86400 (a day), not '1e9'" "wait-agent " \
  wait-agent --timeout 1e9 vm1
summary
