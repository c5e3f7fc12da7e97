#!/bin/sh
# Validation throughput: one 'vschan validate' run over 1,000 domain
# documents against 'virt-xml-validate' run on each of them, which is what
# a CI job does today.  The documents are the accuracy corpus
# (tests/validate/corpus: valid domains and character-device mistakes)
# copied round-robin.  Timed in interleaved pairs (bench/pair.py); prints
# the median of the per-pair ratios, and the peak memory of vschan for 100
# and for 1,000 files (it should not grow).  A pair takes about 20 s.
# Usage: bench/validate.sh [VSCHAN]   (N=1000 documents, RUNS=5 pairs)
# DOCS=DIR takes every *.xml of DIR instead (bench/libvirt-corpus.sh: the
# documents of libvirt's own tests), TARGET the ratio to name.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vschan=${1:-$here/../build/src/vschan}
n=${N:-1000}
out=$(mktemp -d)
trap 'rm -rf "${out:?}"' EXIT
trap 'exit 130' INT TERM
command -v python3 >/dev/null || { echo "validate: python3 is missing (scripts/install-deps)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "validate: /usr/bin/time is missing (scripts/install-deps)" >&2; exit 1; }
command -v virt-xml-validate >/dev/null || { echo "validate: virt-xml-validate is missing (scripts/install-deps)" >&2; exit 1; }

mkdir "$out/docs"
if [ -n "${DOCS:-}" ]; then
  cp "$DOCS"/*.xml "$out/docs/"
  n=$(ls "$out"/docs/*.xml | wc -l)
else
  set -- "$here"/../tests/validate/corpus/*.xml
  count=$#
  i=0
  while [ $i -lt "$n" ]; do
    k=$((i % count + 1))
    eval "src=\${$k}"
    cp "$src" "$out/docs/$(printf 'd%05d' $i)-$(basename "$src")"
    i=$((i + 1))
  done
fi
ls "$out"/docs/*.xml >"$out/list"
ls "$out"/docs/*.xml | head -100 >"$out/list100"

# Both commands read the same list; exit status 1 (invalid documents) is expected.
cat >"$out/vschan.sh" <<SH
#!/bin/sh
xargs -a "$out/list" "$vschan" validate >/dev/null 2>&1 || true
SH
cat >"$out/peer.sh" <<SH
#!/bin/sh
while read -r f; do virt-xml-validate "\$f" domain >/dev/null 2>&1 || true; done <"$out/list"
SH
chmod +x "$out/vschan.sh" "$out/peer.sh"
# xargs must pass all files to one vschan process, or this measures startups.
[ "$(xargs -a "$out/list" echo | wc -l)" -eq 1 ] || { echo "validate: the file list does not fit one command line" >&2; exit 1; }

python3 "$here/pair.py" --warmup 1 --runs "${RUNS:-5}" --export-json "$out/r.json" \
  -n vschan "$out/vschan.sh" -n virt-xml-validate "$out/peer.sh"

rss() { /usr/bin/time -f %M xargs -a "$1" "$vschan" validate 2>&1 >/dev/null | tail -1; }
rss100=$(rss "$out/list100")
rssn=$(rss "$out/list")

python3 - "$out/r.json" "$n" "$rss100" "$rssn" "$(nproc)" "${TARGET:-50}" "${NAME:-validate}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v, p = d["results"]
q = d["ratio"]
n = int(sys.argv[2])
print(f"{sys.argv[7]}: {n} documents; vschan validate median {v['median']*1e3:.0f} ms "
      f"({v['median']/n*1e3:.2f} ms a file, {sys.argv[5]} cores); "
      f"virt-xml-validate on each median {p['median']:.1f} s ({p['median']/n*1e3:.1f} ms a file); "
      f"ratio {q['median']:.0f}x, median of {len(q['per_pair'])} pairs (IQR {q['q1']:.0f}-{q['q3']:.0f}x) "
      f"(target >= {sys.argv[6]}x); "
      f"vschan peak RSS {int(sys.argv[3])//1024} MiB for 100 files, {int(sys.argv[4])//1024} MiB for {n}")
PY
