#!/bin/sh
# vschan validate --format sarif: a SARIF 2.1.0 log that Microsoft's SARIF
# Multitool validates without a finding, with one result per diagnostic
# (the same as --json reports), each rule declared once in the driver,
# and file names as URIs that decode back to the file.
# The Multitool comes from the npm registry: scripts/get-sarif-multitool
# (.ci/run runs it), or VSCHAN_SARIF_MULTITOOL names the command.
# Usage: test-sarif.sh VSCHAN SRCDIR
set -u
vschan=$(realpath -- "$1") src=$(realpath -- "$2")
. "$src/tests/lib/test.sh"
tool=${VSCHAN_SARIF_MULTITOOL:-/var/cache/vschan/sarif-multitool/node_modules/.bin/sarif-multitool}
[ -x "$tool" ] || skip "the SARIF Multitool is not installed: run scripts/get-sarif-multitool (as root)"
command -v python3 >/dev/null || skip "python3 not found"
TEST_TMP=$(mktemp -d)
trap 'rm -rf "${TEST_TMP:?}"' EXIT
corpus=$src/tests/validate/corpus
mkdir -p "$TEST_TMP/tree/odd dir,1" "$TEST_TMP/good"
cp "$corpus"/*.xml "$TEST_TMP/tree/"
cp "$corpus/err-alias-duplicate.xml" "$TEST_TMP/tree/odd dir,1/b%c é.xml"
cp "$corpus/valid-channel-alias.xml" "$TEST_TMP/good/"
cd "$TEST_TMP" || exit 1

run "$vschan" validate --format sarif tree
expect 1 "sarif: invalid files give exit status 1" '"version": "2.1.0"'
printf '%s\n' "$out" >log.sarif
"$vschan" validate --json tree >log.json 2>/dev/null

# The Multitool's own findings are the results of the log it writes.
"$tool" validate log.sarif -o findings.sarif --log ForceOverwrite >multitool.out 2>&1
check "the SARIF Multitool validates the log" '[ $? -eq 0 ]'
findings=$(python3 -c 'import json; print(len(json.load(open("findings.sarif"))["runs"][0]["results"]))' 2>&1)
check "the Multitool finds nothing to say about it ($findings findings)" '[ "$findings" = 0 ]'
[ "$findings" = 0 ] || test_quote "$(python3 -c 'import json; [print(r["message"]) for r in json.load(open("findings.sarif"))["runs"][0]["results"]]')"

python3 - log.sarif log.json >check.out 2>&1 <<'PY'
import json, sys, urllib.parse
sarif = json.load(open(sys.argv[1]))
plain = json.load(open(sys.argv[2]))
run = sarif["runs"][0]
rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
diags = [(f["file"], d["rule"], d["line"] or 1) for f in plain["files"] for d in f["diagnostics"]]
results = []
for r in run["results"]:
    uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert rules[r["ruleIndex"]] == r["ruleId"], ("ruleIndex", r)
    assert r["level"] in ("error", "warning"), r
    results.append((urllib.parse.unquote(uri), r["ruleId"], line))
assert len(set(rules)) == len(rules), "a rule declared twice"
assert sorted(results) == sorted(diags), ("results differ from --json", sorted(results)[:3], sorted(diags)[:3])
assert any(f.endswith("odd dir,1/b%c é.xml") for f, _, _ in results), "the odd name did not decode back"
print("ok", len(results))
PY
check "one result per diagnostic of --json, rules by index, names decode back ($(cat check.out))" \
  'grep -q "^ok" check.out'

run "$vschan" validate --format sarif good
expect 0 "sarif: valid files give exit status 0"
check "and no result" '[ "$(printf "%s" "$out" | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"runs\"][0][\"results\"]))")" = 0 ]'
run "$vschan" validate --format sarif --json good
expect 2 "--json and --format sarif exclude each other" '^$' "exclude each other"
summary
