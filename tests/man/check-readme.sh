#!/bin/sh
# Every command of src/cli/commands.def has a row in the command table of
# README.md (the table under "## Commands").  Usage: check-readme.sh SOURCE_DIR
set -u
src=$1
fail=0 ok=0
. "$src/tests/lib/commands.sh"
commands=$(vsct_commands "$src")
declared=$(vsct_commands_declared "$src")
if [ "$(echo "$commands" | wc -w)" -eq "$declared" ] && [ "$declared" -ge 12 ]; then ok=$((ok + 1)); else
  echo "FAIL read $(echo "$commands" | wc -w) command names of $declared declared in commands.def"; fail=$((fail + 1)); fi
# The table: the lines starting with '|' after the heading, up to the next heading.
table=$(sed -n '/^## Commands/,/^#/p' "$src/README.md" | grep '^|')
if [ -n "$table" ]; then ok=$((ok + 1)); else echo "FAIL README.md has no table under '## Commands'"; fail=$((fail + 1)); fi
for cmd in $commands; do
  if echo "$table" | grep -q "^| \`vschan $cmd[\` ]"; then ok=$((ok + 1)); else
    echo "FAIL command '$cmd' has no row in the command table of README.md"; fail=$((fail + 1)); fi
done
echo "$ok passed, $fail failed"
[ $fail -eq 0 ]
