#!/bin/bash
# vschan qm with vhost-user devices: they go to args: with the shared
# memory object of the config's memory: size, unless qemu-server shares the
# memory itself (numa with hugepages, virtiofsN lines); numa without
# hugepages is refused; a second run replaces vschan's own arguments and
# keeps the user's.  Real QEMU, started as qemu-server starts it (its own
# -machine and -m first, args: last), realizes the device on a real
# virtiofsd.
#
#   qm-vhost.sh VSCHAN
# Exit 0 pass, 1 fail, 77 no QEMU or virtiofsd (a failure when CI is set).
set -u

vschan=${1:?usage: qm-vhost.sh VSCHAN}
. "$(dirname "$0")/../lib/test.sh"
virtiofsd=/usr/lib/qemu/virtiofsd
TEST_TMP=$(mktemp -d /tmp/vsqv.XXXXXX)
pids=""
cleanup() {
  for pid in $pids; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "${TEST_TMP:?}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fs="--filesystem socket=$TEST_TMP/fs.sock,target=share"
conf() {  # NAME LINES...
  local name=$1
  shift
  printf '%s\n' "$@" >"$TEST_TMP/$name.conf"
}

conf plain "args: -no-reboot" "memory: 2048" "name: vm"
run "$vschan" qm 101 --conf "$TEST_TMP/plain.conf" $fs
expect 0 "the device goes to args: (after the user's own) with a shared memfd of memory:'s size" \
  "^args: -no-reboot -object memory-backend-memfd,id=vschan-mem,size=2147483648,share=on -machine memory-backend=vschan-mem -chardev socket,id=vschan-fs-share,path=$TEST_TMP/fs.sock -device vhost-user-fs-pci,chardev=vschan-fs-share,id=vschan-fs-share,tag=share$" '^$'

conf current "memory: current=1024,hotplug=0" "name: vm"
run "$vschan" qm 101 --conf "$TEST_TMP/current.conf" $fs
expect 0 "memory: current=N is read too" "size=1073741824" '^$'

conf default "name: vm"
run "$vschan" qm 101 --conf "$TEST_TMP/default.conf" $fs
expect 0 "no memory: line is qemu-server's default of 512 MiB" "size=536870912" '^$'

conf numa "memory: 4096" "numa: 1"
run "$vschan" qm 101 --conf "$TEST_TMP/numa.conf" $fs
expect 1 "numa without hugepages is refused: its memory-backend-ram cannot be shared" '^$' \
  "numa.conf: error: numa: 1 without hugepages: .*\\[pve-memory\\]"

conf huge "memory: 4096" "numa: 1" "hugepages: 2"
run "$vschan" qm 101 --conf "$TEST_TMP/huge.conf" $fs
expect 0 "numa with hugepages: qemu-server shares the memory, no second backend" "^args: -chardev socket" '^$'
lacks "$out" "memory-backend" "no memory object of vschan's"

conf virtiofs "memory: 4096" "virtiofs0: share1"
run "$vschan" qm 101 --conf "$TEST_TMP/virtiofs.conf" $fs
expect 0 "virtiofsN: qemu-server's virtiofs-mem shares the memory, no second backend" "^args: -chardev socket" '^$'
lacks "$out" "memory-backend" "no memory object of vschan's"

run "$vschan" qm 101 --conf "$TEST_TMP/plain.conf" --memory 4G $fs
expect 1 "--memory that is not memory: is refused" '^$' "is not the VM's memory: .*\\[pve-memory\\]"

run "$vschan" qm 999 --conf "$TEST_TMP/none.conf" $fs
expect 1 "no config and no --memory: refused" '^$' "the guest's memory size, and this VM's config is not here"
run "$vschan" qm 999 --conf "$TEST_TMP/none.conf" --memory 1G $fs
expect 0 "no config: --memory gives the size" "size=1073741824" '^$'

# A directory for virtiofsd to share is qemu-server's virtiofsN line,
# which names a directory mapping of the cluster: refused, with the way.
cp "$TEST_TMP/plain.conf" "$TEST_TMP/dir.conf"
run "$vschan" qm 101 --conf "$TEST_TMP/dir.conf" --lock-dir "$TEST_TMP" --write --filesystem "source.dir=/srv/data,target=data"
expect 1 "source.dir: refused for Proxmox" '^$' \
  "source.dir needs a virtiofsd that qemu-server starts from a directory mapping.*\\[qemu-virtiofsd\\]"
has "$err" "pvesh create /cluster/mapping/dir --id data --map node=NODE,path=/srv/data" "source.dir: the hint maps the directory"
has "$err" "qm set 101 --virtiofs0 dirid=data" "source.dir: and adds it to the VM"
check "source.dir: the config is untouched" 'cmp -s "$TEST_TMP/plain.conf" "$TEST_TMP/dir.conf"'

# --write: the user's args stay, vschan's are replaced on the next run
cp "$TEST_TMP/plain.conf" "$TEST_TMP/w.conf"
run "$vschan" qm 101 --conf "$TEST_TMP/w.conf" --lock-dir "$TEST_TMP" --write $fs
expect 0 "--write puts them into args:" '' ''
has "$(cat "$TEST_TMP/w.conf")" "args: -no-reboot -object memory-backend-memfd" "after the user's own argument"
run "$vschan" qm 101 --conf "$TEST_TMP/w.conf" --lock-dir "$TEST_TMP" --write \
  --filesystem "socket=$TEST_TMP/fs.sock,target=other"
expect 0 "a second run replaces vschan's arguments" '' ''
written=$(cat "$TEST_TMP/w.conf")
has "$written" "tag=other" "the new device is there"
lacks "$written" "tag=share" "the old one is gone"
check "one memory object, not two" '[ "$(grep -o "id=vschan-mem" "$TEST_TMP/w.conf" | wc -l)" -eq 1 ]'
has "$written" "args: -no-reboot " "the user's argument stays"

# Real QEMU as qemu-server starts it: its -machine and -m, then args:.
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found; install qemu-system-x86"
[ -x "$virtiofsd" ] || skip "$virtiofsd not found; install qemu-system-common"
mkdir "$TEST_TMP/share"
"$virtiofsd" --socket-path="$TEST_TMP/fs.sock" -o source="$TEST_TMP/share" -o cache=none \
  >"$TEST_TMP/virtiofsd.log" 2>&1 &
pids="$pids $!"
wait_for "$TEST_LONG_S" test -S "$TEST_TMP/fs.sock" || fail "virtiofsd did not open its socket"
run "$vschan" qm 101 --conf "$TEST_TMP/plain.conf" $fs
args=${out#args: }
# qemu-server splits args: with shellwords, which the shell's eval matches here
eval "set -- $args"
qmp=$(printf '%s\n' '{"execute":"qmp_capabilities"}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-fs-share","property":"type"}}' \
        '{"execute":"quit"}' |
      timeout "$TEST_LONG_S" qemu-system-x86_64 -machine type=pc,accel=tcg -m 2048 -nodefaults -display none \
        -S -qmp stdio "$@" 2>"$TEST_TMP/qemu.log")
check "QEMU starts with qemu-server's -machine and -m and the args: line" '[ $? -eq 0 ]'
has "$qmp" '{"return": "vhost-user-fs-pci"}' "and realizes the virtiofs device"
[ "$TEST_FAILED" -eq 0 ] || test_quote "$(cat "$TEST_TMP/qemu.log")"

summary
