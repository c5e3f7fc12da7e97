#!/bin/sh
# Render latency: 'vschan xml' on a template against virt-xml adding the
# same kind of channel (test:///default, no hypervisor), timed in
# interleaved pairs (bench/pair.py).  Prints the median of the per-pair
# ratios.  Usage: bench/xml-render.sh [VSCHAN]   (RUNS=30 pairs)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vschan=${1:-$here/../build/src/vschan}
out=$(mktemp -d)
trap 'rm -rf "${out:?}"' EXIT
trap 'exit 130' INT TERM
command -v python3 >/dev/null || { echo "xml-render: python3 is missing (scripts/install-deps)" >&2; exit 1; }
command -v virt-xml >/dev/null || { echo "xml-render: virt-xml is missing (scripts/install-deps)" >&2; exit 1; }

python3 "$here/pair.py" --warmup 3 --runs "${RUNS:-30}" --export-json "$out/r.json" \
  -n vschan "$vschan xml --template app-channel --set name=org.foo.0" \
  -n virt-xml "virt-xml --connect test:///default test --add-device --channel unix,target.type=virtio,name=org.foo.0 --print-xml"
python3 - "$out/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v, p = d["results"]
q = d["ratio"]
print(f"xml-render: vschan median {v['median']*1e3:.2f} ms (min {v['min']*1e3:.2f}, max {v['max']*1e3:.2f}); "
      f"virt-xml median {p['median']*1e3:.1f} ms (min {p['min']*1e3:.1f}, max {p['max']*1e3:.1f}); "
      f"ratio {q['median']:.0f}x, median of {len(q['per_pair'])} pairs "
      f"(IQR {q['q1']:.0f}-{q['q3']:.0f}x) (target >= 20x)")
PY
