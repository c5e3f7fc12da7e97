#!/bin/bash
# vhost-user devices against real daemons: virtiofsd (virtiofs) and
# qemu-storage-daemon (a vhost-user-blk export), both from
# qemu-system-common.
#
#  1. `vschan qemu-args --memory` output starts real QEMU, which realizes
#     vhost-user-fs-pci and vhost-user-blk-pci on the daemons' sockets (QMP
#     shows the devices, the mount tag and the shared memfd of -m's size);
#     a socket path with a comma reaches QEMU escaped, as one path.
#  2. The same devices, as libvirt 9.0 generates them from the output of
#     `vschan xml --into` (domxml-to-native): the same -chardev and -device
#     options, ids and placement aside.
#  3. `vschan xml --into` gives a domain that libvirt defines and starts
#     under qemu:///embed against the same kind of daemons.
#  4. Bad input: no --memory, a wrong --memory, a path too long, a relative
#     path, virtiofs for libvirt's virtiofsd: an error, nothing printed.
#
#   vhost-user.sh VSCHAN EMBED_ROOT_SH
# Exit 0 pass, 1 fail, 77 no QEMU or daemons (a failure when CI is set).
set -u

vschan=${1:?usage: vhost-user.sh VSCHAN EMBED_ROOT_SH}
embed_root=${2:?usage: vhost-user.sh VSCHAN EMBED_ROOT_SH}
. "$(dirname "$0")/../lib/test.sh"
. "$(dirname "$0")/../lib/embed.sh"
virtiofsd=/usr/lib/qemu/virtiofsd
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found; install qemu-system-x86"
[ -x "$virtiofsd" ] || skip "$virtiofsd not found; install qemu-system-common"
command -v qemu-storage-daemon >/dev/null || skip "qemu-storage-daemon not found; install qemu-system-common"
command -v python3 >/dev/null || skip "python3 not found"

# Short: socket paths must fit sun_path.
TEST_TMP=$(mktemp -d /tmp/vsvu.XXXXXX)
pids=""
root=""
cleanup() {
  if [ -n "$root" ]; then
    embed_virsh "$root" "destroy vu" >/dev/null 2>&1
    embed_kill_qemus "$root"
  fi
  for pid in $pids; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "${TEST_TMP:?}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir "$TEST_TMP/share"
echo "written by the host" >"$TEST_TMP/share/hello"
truncate -s 16M "$TEST_TMP/disk.img"

# virtiofsd serves one QEMU and then exits: one per start.
start_virtiofsd() {  # SOCKET
  "$virtiofsd" --socket-path="$1" -o source="$TEST_TMP/share" -o cache=none \
    >>"$TEST_TMP/virtiofsd.log" 2>&1 &
  pids="$pids $!"
  wait_for "$TEST_LONG_S" test -S "$1" || fail "virtiofsd did not open $1"
}
start_storage_daemon() {  # SOCKET
  qemu-storage-daemon --blockdev "driver=file,node-name=f,filename=$TEST_TMP/disk.img" \
    --export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$1,writable=on" \
    >>"$TEST_TMP/qsd.log" 2>&1 &
  pids="$pids $!"
  wait_for "$TEST_LONG_S" test -S "$1" || fail "qemu-storage-daemon did not open $1"
}

# A comma in the virtiofs socket: QEMU must get it as one path.
fs_sock="$TEST_TMP/fs,1.sock"
blk_sock="$TEST_TMP/blk.sock"
cat >"$TEST_TMP/spec.json" <<JSON
{
  "filesystems": [
    { "driver": { "type": "virtiofs", "queue": 1024 }, "source": { "socket": "$fs_sock" },
      "target": { "dir": "hostshare" } }
  ],
  "disks": [
    { "type": "vhostuser", "device": "disk", "driver": { "name": "qemu", "type": "raw" },
      "source": { "type": "unix", "path": "$blk_sock" }, "target": { "dev": "vdb", "bus": "virtio" } }
  ]
}
JSON

# --- 1. qemu-args on real QEMU ---
run "$vschan" qemu-args --memory 256M "$TEST_TMP/spec.json"
expect 0 "qemu-args writes the memory object, the chardevs and the devices" \
  "memory-backend-memfd,id=vschan-mem,size=268435456,share=on" '^$'
has "$out" "-machine memory-backend=vschan-mem" "the memory is bound with -machine memory-backend="
has "$out" "path=$TEST_TMP/fs,,1.sock" "the comma in the socket path is doubled"
line=$out

start_virtiofsd "$fs_sock"
start_storage_daemon "$blk_sock"
eval "set -- $line"
qmp=$(printf '%s\n' '{"execute":"qmp_capabilities"}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-fs-hostshare","property":"type"}}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-fs-hostshare/virtio-backend","property":"tag"}}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-disk-vdb","property":"type"}}' \
        '{"execute":"qom-get","arguments":{"path":"/objects/vschan-mem","property":"size"}}' \
        '{"execute":"qom-get","arguments":{"path":"/objects/vschan-mem","property":"share"}}' \
        '{"execute":"query-chardev"}' \
        '{"execute":"quit"}' |
      timeout "$TEST_LONG_S" qemu-system-x86_64 -machine pc -nodefaults -display none -S -accel tcg \
        -m 256 -qmp stdio "$@" 2>"$TEST_TMP/qemu.log")
check "QEMU starts with vschan's arguments" '[ $? -eq 0 ]'
has "$qmp" '{"return": "vhost-user-fs-pci"}' "QEMU realized vhost-user-fs-pci"
has "$qmp" '{"return": "hostshare"}' "with the mount tag"
has "$qmp" '{"return": "vhost-user-blk-pci"}' "QEMU realized vhost-user-blk-pci"
has "$qmp" '{"return": 268435456}' "the memfd object has -m's size"
has "$qmp" '{"return": true}' "and is shared"
[ "$TEST_FAILED" -eq 0 ] || { test_quote "$qmp"; test_quote "$(cat "$TEST_TMP/qemu.log")"; }

# A memory size that is not -m's: QEMU refuses to start, which is why
# --memory must be the guest's -m.  (The disk only: virtiofsd has gone
# with its QEMU; the storage daemon takes another.)
printf '{"disks": [{"source": {"path": "%s"}, "target": {"dev": "vdb", "bus": "virtio"}}]}\n' "$blk_sock" \
  >"$TEST_TMP/disk.json"
run "$vschan" qemu-args --memory 512M "$TEST_TMP/disk.json"
eval "set -- $out"
timeout "$TEST_LONG_S" qemu-system-x86_64 -machine pc -nodefaults -display none -S -accel tcg -m 256 \
  "$@" </dev/null >/dev/null 2>"$TEST_TMP/qemu2.log"
check "QEMU refuses a memory object whose size is not -m's" '[ $? -ne 0 ]'
has "$(cat "$TEST_TMP/qemu2.log")" "does not match the size of the memory backend" "and says why"

# --- 2. the options libvirt generates for the same devices ---
root="$TEST_TMP/root"
if ! "$embed_root" "$root" >"$TEST_TMP/embed.out" 2>"$TEST_TMP/embed.err"; then
  root=""
  skip "the embedded libvirt driver cannot run here: $(cat "$TEST_TMP/embed.err")"
fi
cat >"$TEST_TMP/domain.xml" <<XML
<domain type='qemu'>
  <name>vu</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
run "$vschan" xml "$TEST_TMP/spec.json" --into "$TEST_TMP/domain.xml" -o "$TEST_TMP/vu.xml"
expect 0 "xml --into writes the domain and says it made the memory shared" '^$' \
  "note: the guest's memory is now shared in <memoryBacking>"
has "$(cat "$TEST_TMP/vu.xml")" "<source type=\"memfd\"/>" "with a memfd source"
has "$(cat "$TEST_TMP/vu.xml")" "<access mode=\"shared\"/>" "and shared access"
run "$vschan" validate "$TEST_TMP/vu.xml"
expect 0 "vschan validate passes it" '' '^$'

native=$(embed_virsh "$root" "domxml-to-native qemu-argv $TEST_TMP/vu.xml" 2>&1)
check "libvirt translates the domain" '[ $? -eq 0 ]'
# Each device's -chardev and -device (key=value or libvirt's JSON) as
# sorted key=value lists without the ids and the placement: PCI, and the
# bootindex libvirt gives the first disk from <os>'s default boot dev='hd'.
normalize() {
  python3 -c '
import json, shlex, sys
args = shlex.split(sys.stdin.read())
out = []
for opt, val in zip(args, args[1:]):
    if opt == "-device" and "vhost-user" in val:
        d = json.loads(val) if val.startswith("{") else dict(
            [("driver", val.split(",")[0])] + [kv.split("=", 1) for kv in val.split(",")[1:]])
        out.append("device " + " ".join(sorted("%s=%s" % (k, str(v).lower()) for k, v in d.items()
                                              if k not in ("id", "chardev", "bus", "addr", "bootindex"))))
    elif opt == "-chardev" and val.startswith("socket,") and "charmonitor" not in val:
        out.append("chardev " + " ".join(sorted(kv for kv in val.replace(",,", "\0").split(",")[1:]
                                                if not kv.startswith("id="))).replace("\0", ","))
print("\n".join(sorted(out)))'
}
ours=$(printf '%s' "$line" | normalize)
theirs=$(printf '%s' "$native" | normalize)
check "vschan's -chardev and -device options equal libvirt's (ids and placement aside)" '[ "$ours" = "$theirs" ]'
[ "$ours" = "$theirs" ] || { test_quote "vschan:"; test_quote "$ours"; test_quote "libvirt:"; test_quote "$theirs"; }
has "$ours" "device driver=vhost-user-fs-pci queue-size=1024 tag=hostshare" "the comparison saw the virtiofs device"

# libvirt's own test data for vhost-user interfaces (domxml-to-native
# writes interfaces as tap devices): net-vhostuser-multiq's four, as a
# spec, against the -chardev, -netdev and -device libvirt generated.
source=${VSCHAN_LIBVIRT_SOURCE:-$(ls /var/cache/vschan/libvirt-source/libvirt_*.orig.tar.xz 2>/dev/null | head -1)}
if [ -z "$source" ]; then
  skip "libvirt's source package is not here: run scripts/get-libvirt-source (as root)"
fi
tar -xJf "$source" -C "$TEST_TMP" --wildcards '*/tests/qemuxml2argvdata/net-vhostuser-multiq.args'
cat >"$TEST_TMP/multiq.json" <<'JSON'
{
  "interfaces": [
    { "type": "vhostuser", "mac": { "address": "52:54:00:ee:96:6b" },
      "source": { "type": "unix", "path": "/tmp/vhost0.sock", "mode": "server" }, "model": { "type": "virtio" } },
    { "type": "vhostuser", "mac": { "address": "52:54:00:ee:96:6c" },
      "source": { "type": "unix", "path": "/tmp/vhost1.sock", "mode": "client" }, "model": { "type": "virtio" } },
    { "type": "vhostuser", "mac": { "address": "52:54:00:ee:96:6d" },
      "source": { "type": "unix", "path": "/tmp/vhost2.sock", "mode": "client",
                  "reconnect": { "enabled": true, "timeout": 10 } }, "model": { "type": "virtio" } },
    { "type": "vhostuser", "mac": { "address": "52:54:00:ee:96:6e" },
      "source": { "type": "unix", "path": "/tmp/vhost3.sock", "mode": "client",
                  "reconnect": { "enabled": false } }, "model": { "type": "virtio" }, "driver": { "queues": 4 } }
  ]
}
JSON
run "$vschan" qemu-args --memory 214 --qemu-version 7.2 "$TEST_TMP/multiq.json"
expect 0 "qemu-args writes libvirt's net-vhostuser-multiq interfaces" "-netdev vhost-user,chardev=" '^$'
# key=value lists without ids, names of other objects and placement
net_normalize() {
  python3 -c '
import shlex, sys
args = shlex.split(sys.stdin.read().replace("\\\n", " "))
drop = ("id", "chardev", "netdev", "bus", "addr")
out = []
for opt, val in zip(args, args[1:]):
    if opt in ("-chardev", "-netdev", "-device") and "charmonitor" not in val:
        parts = val.split(",")
        if opt == "-device" and parts[0] != "virtio-net-pci":
            continue
        if opt == "-netdev" and parts[0] != "vhost-user":
            continue
        out.append(opt + " " + parts[0] + " " + " ".join(sorted(kv for kv in parts[1:] if kv.split("=")[0] not in drop)))
print("\n".join(sorted(out)))'
}
ours=$(printf '%s' "$out" | net_normalize)
theirs=$(net_normalize <"$(ls "$TEST_TMP"/libvirt-*/tests/qemuxml2argvdata/net-vhostuser-multiq.args)")
check "vschan's interfaces equal libvirt's test data (ids and placement aside)" '[ "$ours" = "$theirs" ]'
[ "$ours" = "$theirs" ] || { test_quote "vschan:"; test_quote "$ours"; test_quote "libvirt:"; test_quote "$theirs"; }
has "$theirs" "-netdev vhost-user queues=4" "the comparison saw the multiqueue interface"

# --- 3. libvirt defines and starts it against the daemons ---
start_virtiofsd "$fs_sock"
out=$(embed_virsh "$root" "define $TEST_TMP/vu.xml; start vu; qemu-monitor-command vu --pretty '{\"execute\":\"query-pci\"}'" 2>&1)
check "libvirt defines and starts the domain from xml --into" '[ $? -eq 0 ]'
has "$out" '"qdev_id": "fs0"' "libvirt's QEMU has the virtiofs device"
has "$out" '"qdev_id": "virtio-disk1"' "and the vhost-user disk"
[ "$TEST_FAILED" -eq 0 ] || { test_quote "$out"; cat "$root"/log/qemu/vu.log 2>/dev/null | tail -5; }
run "$vschan" -c "qemu:///embed?root=$root" add vu "$TEST_TMP/spec.json"
expect 1 "vschan add of devices the running domain has: refused before libvirt, the domain's devices in view" '^$' \
  "error: at /filesystems/0/target: virtiofs filesystem 'hostshare': filesystem target 'hostshare' specified twice \\[vhost-target-unique\\]"
embed_virsh "$root" "destroy vu; undefine vu" >/dev/null 2>&1

# --- 4. bad input: an error, nothing on stdout ---
run "$vschan" qemu-args "$TEST_TMP/spec.json"
expect 1 "no --memory: refused" '^$' "error: vhost-user devices need the guest's memory shared .*\\[qemu-memory\\]"
run "$vschan" qemu-args --memory 1X "$TEST_TMP/spec.json"
expect 1 "a size -m would not take: refused" '^$' "--memory '1X' is not a size \\[qemu-memory\\]"
long="/tmp/$(printf '%0110d' 0).sock"
printf '{"disks": [{"source": {"path": "%s"}, "target": {"dev": "vdc", "bus": "virtio"}}]}\n' "$long" \
  >"$TEST_TMP/long.json"
run "$vschan" qemu-args --memory 1G "$TEST_TMP/long.json"
expect 1 "a socket path over 107 bytes: refused" '^$' "at /disks/0/source/path: .*sockaddr_un holds at most 107 \\[unix-path-length\\]"
printf '{"filesystems": [{"source": {"socket": "run/fs.sock"}, "target": {"dir": "t"}}]}\n' >"$TEST_TMP/rel.json"
run "$vschan" qemu-args --memory 1G "$TEST_TMP/rel.json"
expect 1 "a relative socket path: refused (libvirt's schema wants an absolute one)" '^$' \
  "at /filesystems/0/source/socket: source/socket 'run/fs.sock' is not an absolute path"
printf '{"vhostuser": [{"device": "vsock", "source": {"path": "run/v.sock"}}]}\n' >"$TEST_TMP/rel-vsock.json"
run "$vschan" qemu-args --memory 1G "$TEST_TMP/rel-vsock.json"
expect 1 "a relative socket path of a QEMU-only device: refused" '^$' \
  "at /vhostuser/0/source/path: .*is relative.*\\[vhost-socket-relative\\]"
printf '{"filesystems": [{"source": {"dir": "/srv"}, "target": {"dir": "t"}}]}\n' >"$TEST_TMP/dir.json"
run "$vschan" qemu-args --memory 1G "$TEST_TMP/dir.json"
expect 1 "virtiofs with a directory: QEMU cannot start virtiofsd" '^$' "\\[qemu-virtiofsd\\]"
printf '{"vhostuser": [{"device": "vsock", "source": {"path": "/run/v.sock"}}]}\n' >"$TEST_TMP/vsock.json"
run "$vschan" xml "$TEST_TMP/vsock.json"
expect 1 "vschan xml refuses a vhost-user device libvirt cannot express" '^$' \
  "at /vhostuser/0/device: .*no element for vhost-user-vsock-pci \\[xml-device\\]"
has "$err" "hint: give it to 'vschan qemu-args' or 'vschan qm'" "and points to qemu-args and qm"
printf '{"filesystems": [{"source": {"socket": "/run/fs.sock"}, "target": {"dir": "t"}}], "memoryBacking": {"source": {"type": "memfd"}, "access": {"mode": "shared"}}}\n' >"$TEST_TMP/mb.json"
run "$vschan" xml "$TEST_TMP/mb.json"
expect 2 "memoryBacking without --into: refused (it belongs to the domain)" '^$' "\\[xml-memory-backing\\]"

summary
