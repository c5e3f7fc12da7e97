#!/bin/sh
# Cost against the number of devices: bench/scale.py (10 to 100,000
# devices; xml, validate, qemu-args, qm and the apply planner).  Not a
# comparison with a peer: it prints the growth of the time per device,
# which should stay within 2x from 1,000 devices on.
# Usage: bench/scale.sh [VSCHAN]   (SCALE_MAX=100000, RUNS=3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/scale.py" "$@"
