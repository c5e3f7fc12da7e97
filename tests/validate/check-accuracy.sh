#!/bin/sh
# Does `vschan validate` agree with libvirt on the corpus?
#
# usage: check-accuracy.sh VSCHAN CORPUS_DIR VERDICTS.tsv ACCEPTED_BUT_WRONG.tsv
#
# Every document libvirt rejects (RNG schema or define, verdicts.tsv) must
# get an error.  Every document libvirt accepts must get no error; it must
# get no warning either, unless ACCEPTED_BUT_WRONG.tsv lists it with the
# rule id whose warning it must get.  known-disagreements.tsv (next to this
# script) lists the documents where vschan is known to differ, with why;
# they are reported, not failed.  Prints the agreement figure.
set -eu

if [ $# -ne 4 ]; then
  echo "usage: check-accuracy.sh VSCHAN CORPUS_DIR VERDICTS.tsv ACCEPTED_BUT_WRONG.tsv" >&2
  exit 2
fi
vschan=$1 corpus=$2 verdicts=$3 abw=$4
known="$(dirname "$0")/known-disagreements.tsv"

out=$(mktemp "${TMPDIR:-/tmp}/vschan-accuracy.XXXXXX")
trap 'rm -f "$out"' EXIT INT TERM

set +e
"$vschan" validate --json "$corpus"/*.xml >"$out"
rc=$?
set -e
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
  echo "check-accuracy: vschan validate failed with exit status $rc" >&2
  exit 1
fi

# One line per file in the JSON output: NAME ERRORS WARNING-RULES...
awk '
  /^\{"file":/ {
    line = $0
    match(line, /"file":"[^"]*"/); f = substr(line, RSTART + 8, RLENGTH - 9)
    sub(/.*\//, "", f); sub(/\.xml$/, "", f)
    match(line, /"errors":[0-9]+/); e = substr(line, RSTART + 9, RLENGTH - 9)
    rules = ""
    n = split(line, parts, /\{"severity":/)
    for (i = 2; i <= n; i++) {
      if (parts[i] !~ /^"warning"/) continue
      if (match(parts[i], /"rule":"[^"]*"/)) rules = rules " " substr(parts[i], RSTART + 8, RLENGTH - 9)
    }
    print f, e, rules
  }' "$out" >"$out.files"
trap 'rm -f "$out" "$out.files"' EXIT INT TERM

awk -v abw="$abw" -v known="$known" -v files="$out.files" '
  BEGIN {
    FS = "\t"
    while ((getline l < abw) > 0) { if (l ~ /^#/ || l == "") continue; split(l, a, "\t"); want[a[1]] = a[2] }
    while ((getline l < known) > 0) { if (l ~ /^#/ || l == "") continue; split(l, a, "\t"); why[a[1]] = a[2] }
    FS = " "
    while ((getline l < files) > 0) {
      n = split(l, a, " "); errs[a[1]] = a[2]; w = ""
      for (i = 3; i <= n; i++) w = w " " a[i]
      warns[a[1]] = w " "
    }
    FS = "\t"
  }
  /^#/ { next }
  {
    name = $1; verdict = $2
    if (!(name in errs)) { printf "MISSING %s: no result from vschan\n", name; bad++; next }
    total++
    ok = 1; detail = ""
    if (verdict == "reject") {
      rejected++
      if (errs[name] == 0) { ok = 0; detail = "libvirt rejects (" $5 "), vschan finds no error" }
      else caught++
    } else {
      accepted++
      if (errs[name] > 0) { ok = 0; detail = "libvirt accepts, vschan reports " errs[name] " error(s)" }
      else if (name in want) {
        if (index(warns[name], " " want[name] " ") == 0) { ok = 0; detail = "accepted but wrong: expected warning [" want[name] "], got [" warns[name] "]" }
        else { passed++; warned++ }
      } else if (warns[name] != " ") { ok = 0; detail = "libvirt accepts, vschan warns [" warns[name] "] (not listed as accepted-but-wrong)" }
      else passed++
    }
    if (ok) { agree++; next }
    if (name in why) { printf "known   %s: %s (%s)\n", name, detail, why[name]; nknown++ }
    else { printf "DIFFER  %s: %s\n", name, detail; bad++ }
  }
  END {
    for (n in want) if (!(n in errs)) { printf "STALE   accepted-but-wrong.tsv names %s, which is not in the corpus\n", n; bad++ }
    printf "agreement with libvirt: %d/%d documents (%.1f%%): %d/%d rejected documents get an error, %d/%d accepted documents pass (%d of them with their documented warning)%s\n",
      agree, total, total ? 100 * agree / total : 0, caught, rejected, passed, accepted, warned,
      nknown ? sprintf("; %d known disagreement(s)", nknown) : ""
    exit bad ? 1 : 0
  }' "$verdicts"
