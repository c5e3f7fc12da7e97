#!/bin/sh
# The guestfwd-network rule says what real QEMU says: for addresses in and
# out of the user network 10.0.2.0/24, on its host and DNS addresses,
# vschan refuses exactly those that QEMU refuses to start with
# (-netdev user,guestfwd=tcp:ADDR:PORT-chardev:ID, as libvirt passes it).
#
#   guestfwd-network.sh VSCHAN
# Exit 0 pass, 1 fail, 77 no QEMU (a failure when CI is set).
set -u
vschan=${1:?usage: guestfwd-network.sh VSCHAN}
. "$(dirname "$0")/../lib/test.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found; install qemu-system-x86"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vsqg.XXXXXX")
trap 'rm -rf "${TEST_TMP:?}"' EXIT

refused=0
for addr in 10.0.2.1 10.0.2.0 10.0.2.4 10.0.2.15 10.0.2.100 10.0.2.255 10.0.2.2 10.0.2.3 10.0.3.1 10.0.1.255 192.168.122.1 127.0.0.1; do
  printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
    timeout "$TEST_LONG_S" qemu-system-x86_64 -machine none -nodefaults -display none -S -qmp stdio \
      -chardev null,id=c -netdev "user,id=n,guestfwd=tcp:$addr:4600-chardev:c" >/dev/null 2>"$TEST_TMP/qemu.err"
  qemu_rc=$?
  "$vschan" xml --channel "null,target_type=guestfwd,target_address=$addr:4600" >/dev/null 2>"$TEST_TMP/vschan.err"
  vschan_rc=$?
  if [ $qemu_rc -eq 0 ]; then
    check "$addr: QEMU starts, vschan accepts" '[ $vschan_rc -eq 0 ]'
  else
    refused=$((refused + 1))
    check "$addr: QEMU refuses ($(head -c 120 "$TEST_TMP/qemu.err")), vschan refuses with guestfwd-network" \
      '[ $vschan_rc -eq 1 ] && grep -q "\[guestfwd-network\]" "$TEST_TMP/vschan.err"'
  fi
done
check "QEMU refused some of them ($refused), so the comparison means something" '[ $refused -ge 4 ]'
summary
