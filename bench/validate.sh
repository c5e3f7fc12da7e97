#!/bin/sh
# Validation throughput: one 'vschan validate' run over 1,000 domain
# documents against 'virt-xml-validate' run on each of them, which is what
# a CI job does today.  The documents are the accuracy corpus
# (tests/validate/corpus: valid domains and character-device mistakes)
# copied round-robin.  Prints the ratio of median wall times, and the peak
# memory of vschan for 100 and for 1,000 files (it should not grow).
# Usage: bench/validate.sh [VSCHAN]   (N=1000 RUNS=10 PEER_RUNS=2)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vschan=${1:-$here/../build/src/vschan}
n=${N:-1000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
command -v hyperfine >/dev/null || { echo "validate: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }
command -v virt-xml-validate >/dev/null || { echo "validate: virt-xml-validate is missing (apt-get install libvirt-clients)" >&2; exit 1; }

mkdir "$out/docs"
set -- "$here"/../tests/validate/corpus/*.xml
count=$#
i=0
while [ $i -lt "$n" ]; do
  k=$((i % count + 1))
  eval "src=\${$k}"
  cp "$src" "$out/docs/$(printf 'd%05d' $i)-$(basename "$src")"
  i=$((i + 1))
done
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

hyperfine -N --warmup 1 --runs "${RUNS:-10}" --export-json "$out/v.json" -n vschan "$out/vschan.sh" >/dev/null
hyperfine -N --runs "${PEER_RUNS:-2}" --export-json "$out/p.json" -n virt-xml-validate "$out/peer.sh" >/dev/null

rss() { /usr/bin/time -f %M xargs -a "$1" "$vschan" validate 2>&1 >/dev/null | tail -1; }
rss100=$(rss "$out/list100")
rssn=$(rss "$out/list")

python3 - "$out/v.json" "$out/p.json" "$n" "$rss100" "$rssn" "$(nproc)" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["results"][0]
p = json.load(open(sys.argv[2]))["results"][0]
n = int(sys.argv[3])
print(f"validate: {n} documents; vschan validate median {v['median']*1e3:.0f} ms "
      f"({v['median']/n*1e3:.2f} ms a file, {sys.argv[6]} cores); "
      f"virt-xml-validate on each median {p['median']:.1f} s ({p['median']/n*1e3:.1f} ms a file); "
      f"ratio {p['median']/v['median']:.0f}x (target >= 50x); "
      f"vschan peak RSS {int(sys.argv[4])//1024} MiB for 100 files, {int(sys.argv[5])//1024} MiB for {n}")
PY
