#!/bin/sh
# Every command of src/cli/commands.def has a row in the command table of
# README.md (the table under "## Commands").  Usage: check-readme.sh SOURCE_DIR
set -u
src=$1
. "$src/tests/lib/test.sh"
. "$src/tests/lib/commands.sh"
commands=$(vsct_commands "$src")
declared=$(vsct_commands_declared "$src")
check "read $(echo "$commands" | wc -w) command names of $declared declared in commands.def" \
  '[ "$(echo "$commands" | wc -w)" -eq "$declared" ] && [ "$declared" -ge 12 ]'
# The table: the lines starting with '|' after the heading, up to the next heading.
table=$(sed -n '/^## Commands/,/^#/p' "$src/README.md" | grep '^|')
check "README.md has a table under '## Commands'" '[ -n "$table" ]'
for cmd in $commands; do
  check "command '$cmd' has a row in the command table of README.md" 'echo "$table" | grep -q "^| \`vschan $cmd[\` ]"'
done
summary
