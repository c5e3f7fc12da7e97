#!/bin/sh
# The pre-commit hook of .pre-commit-hooks.yaml, through the real
# pre-commit in a throw-away git repository: a valid domain passes, an
# invalid one fails the hook with vschan's message, and a file that is not
# XML is not given to vschan.  Usage: test-pre-commit.sh VSCHAN SRCDIR
set -u
vschan=$(realpath -- "$1") src=$(realpath -- "$2")
. "$src/tests/lib/test.sh"
command -v pre-commit >/dev/null || skip "pre-commit is missing (Debian package pre-commit)"
command -v git >/dev/null || skip "git is missing"
TEST_TMP=$(mktemp -d)
trap 'rm -rf "${TEST_TMP:?}"' EXIT
# the hook runs 'vschan' from PATH, as an installed one would be
mkdir "$TEST_TMP/bin"
ln -s "$vschan" "$TEST_TMP/bin/vschan"
PATH=$TEST_TMP/bin:$PATH HOME=$TEST_TMP PRE_COMMIT_HOME=$TEST_TMP/cache
export PATH HOME PRE_COMMIT_HOME
# try-repo takes the hooks file as it is in the working tree
repo=$TEST_TMP/repo
git init -q "$repo" && cd "$repo" || exit 1
git config user.email test@example.org && git config user.name test
cp "$src/tests/validate/corpus/valid-channel-alias.xml" good.xml
cp "$src/tests/validate/corpus/err-alias-duplicate.xml" bad.xml
echo 'not xml at all' > notes.txt
git add good.xml bad.xml notes.txt

run pre-commit try-repo "$src" vschan-validate --files good.xml notes.txt
expect 0 "a valid domain passes the hook" 'vschan validate .libvirt domain XML.*Passed'
run pre-commit try-repo "$src" vschan-validate --files good.xml bad.xml
expect 1 "an invalid domain fails the hook, with vschan's message" \
  'bad\.xml:16: error: .*non unique alias detected: ua-dup \[alias-unique\]'
run pre-commit try-repo "$src" vschan-validate --files notes.txt
expect 0 "a file that is not *.xml is not given to vschan" 'no files to check.*Skipped'
summary
