#!/bin/sh
# The CI recipes of README.md run as written: each 'vschan validate' line
# of the GitHub and GitLab jobs, on a domains/ tree that is valid and then
# has an invalid document, gives the job the verdict's exit status (0, then
# 1: not xargs's 123) and the JUnit report.  Usage: test-ci-recipes.sh VSCHAN SRCDIR
set -u
vschan=$(realpath -- "$1") src=$(realpath -- "$2")
. "$src/tests/lib/test.sh"
TEST_TMP=$(mktemp -d)
trap 'rm -rf "${TEST_TMP:?}"' EXIT
mkdir "$TEST_TMP/bin"
ln -s "$vschan" "$TEST_TMP/bin/vschan"
PATH=$TEST_TMP/bin:$PATH
export PATH

# The commands: a job step's "run:" or a script item that calls vschan validate.
sed -n '/^## In CI/,/^## /p' "$src/README.md" |
  sed -n 's/^ *- \(run: \)\{0,1\}\(vschan validate .*\)$/\2/p' >"$TEST_TMP/recipes"
n=$(grep -c . "$TEST_TMP/recipes")
check "README.md's CI section has the GitHub and GitLab commands ($n found)" '[ "$n" -eq 2 ]'

i=0
while IFS= read -r recipe; do
  i=$((i + 1))
  work=$TEST_TMP/job$i
  mkdir -p "$work/domains/prod"
  cp "$src/tests/validate/corpus/valid-channel-alias.xml" "$work/domains/prod/web.xml"
  cd "$work" || exit 1
  run sh -c "$recipe"
  expect 0 "recipe $i on valid domains: exit 0 ($recipe)"
  check "recipe $i: the JUnit report is written" 'grep -q "<testsuites tests=\"1\" failures=\"0\"" vschan-junit.xml'
  cp "$src/tests/validate/corpus/err-alias-duplicate.xml" "$work/domains/prod/db.xml"
  run sh -c "$recipe"
  expect 1 "recipe $i with an invalid domain: exit 1, the job fails on the verdict" 'db\.xml'
  check "recipe $i: the report names the failure" 'grep -q "<testsuites tests=\"2\" failures=\"1\"" vschan-junit.xml'
  cd "$TEST_TMP" || exit 1
done <"$TEST_TMP/recipes"
summary
