#!/bin/sh
# Render latency: 'vschan xml' on a template against virt-xml adding the
# same kind of channel (test:///default, no hypervisor).  Prints the ratio
# of median wall times.  Usage: bench/xml-render.sh [VSCHAN]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vschan=${1:-$here/../build/src/vschan}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
command -v hyperfine >/dev/null || { echo "xml-render: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }
command -v virt-xml >/dev/null || { echo "xml-render: virt-xml is missing (apt-get install virtinst)" >&2; exit 1; }

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$out/r.json" \
  -n vschan "$vschan xml --template app-channel --set name=org.foo.0" \
  -n virt-xml "virt-xml --connect test:///default test --add-device --channel unix,target.type=virtio,name=org.foo.0 --print-xml" \
  >/dev/null
python3 - "$out/r.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
v, p = r["vschan"], r["virt-xml"]
print(f"xml-render: vschan median {v['median']*1e3:.2f} ms (min {v['min']*1e3:.2f}, max {v['max']*1e3:.2f}); "
      f"virt-xml median {p['median']*1e3:.1f} ms (min {p['min']*1e3:.1f}, max {p['max']*1e3:.1f}); "
      f"ratio {p['median']/v['median']:.0f}x (target >= 20x)")
PY
