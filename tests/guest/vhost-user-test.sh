#!/bin/bash
# End-to-end test of vhost-user devices on the real Linux guest (issue 13):
# the host writes a file into a directory that virtiofsd serves and a block
# into a raw image that qemu-storage-daemon exports as vhost-user-blk;
# `vschan xml --into` adds the virtiofs filesystem and the vhost-user disk
# to the test guest's domain (its memory shared by a NUMA cell), libvirt's
# embedded QEMU driver boots it, and through the guest agent (guest-exec)
# the guest mounts the virtiofs tag and reads the host's file, writes a
# file the host then reads, and reads the host's block from the disk and
# writes one the host then reads.  Then, on the running guest: `vschan
# list` shows both, `vschan remove --live` unplugs both (the guest releases
# them), `vschan add --live` plugs them back (the guest reads the share
# again), an add that fails half-way is rolled back inside the guest, and
# `vschan apply` replaces the share live.
#
# usage: vhost-user-test.sh VSCHAN IMAGEDIR
#   VSCHAN is the vschan binary; IMAGEDIR holds vmlinuz and initrd.img
#   (build-image.sh IMAGEDIR).
# Environment:
#   VSCHAN_GUEST_ACCEL=kvm|tcg  force the accelerator; by default KVM when
#                               embed-root.sh finds /dev/kvm usable, falling
#                               back to TCG when the guest shows no sign of
#                               life under KVM (broken nested KVM)
#   VSCHAN_GUEST_KEEP=1         keep the embed root (console log, libvirt
#                               and daemon logs) after a failure
# Exit status: 0 pass, 1 fail, 77 skipped (virtiofsd, qemu-storage-daemon
# or libvirt's embedded driver unusable and CI not set), 2 usage.
#
# Each step is one function (step_*) that prints an ok line or ends the
# test with a FAIL line.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: vhost-user-test.sh VSCHAN IMAGEDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
vschan=$1
image=$(cd "$2" && pwd)
kernel=$image/vmlinuz
initrd=$image/initrd.img
dom='vschan-vhost'
tag=hostshare
virtiofsd=/usr/lib/qemu/virtiofsd
# The disk image, the host's block at 1 MiB and the guest's at 2 MiB.
disk_mib=16
host_block="vschan: block written by the host"
host_block_offset=$((1024 * 1024))
guest_block="vschan: block written by the guest"
guest_block_offset=$((2 * 1024 * 1024))
# What the host and the guest write into the share (no quotes: the guest
# commands travel in JSON inside single quotes).
host_text="vschan: file written by the host, run $$-$RANDOM"
guest_text="vschan: file written by the guest, run $$-$RANDOM"

started=$SECONDS
say() { echo "vhost-user-test: [$((SECONDS - started))s] $*"; }
# shellcheck source=../lib/test.sh
. "$here/../lib/test.sh"
# A failure ends the test.
die() {
  fail "$*"
  show_logs >&2
  exit 1
}

for f in "$kernel" "$initrd"; do
  [ -r "$f" ] || { echo "vhost-user-test: '$f' is missing; run build-image.sh '$image' first" >&2; exit 1; }
done
[ -x "$vschan" ] || { echo "vhost-user-test: '$vschan' is not an executable" >&2; exit 1; }
for tool in virsh python3; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' is missing; install libvirt-clients and python3"
done
[ -x "$virtiofsd" ] || skip "'$virtiofsd' is missing; install qemu-system-common"
command -v qemu-storage-daemon >/dev/null 2>&1 ||
  skip "'qemu-storage-daemon' is missing; install qemu-system-common"

# --- the embed root, the daemons and their cleanup ----------------------------
# libvirt puts the agent socket 68 characters below the root, and a unix
# socket path has at most 107: keep the root short.
tmp=${TMPDIR:-/tmp}
[ "${#tmp}" -le 20 ] || tmp=/tmp
root=$(mktemp -d "$tmp/vschan-vhost.XXXXXX")
console_log=$root/console.log
share=$root/share
disk=$root/disk.img
fs_sock=$root/fs.sock
blk_sock=$root/blk.sock
virtiofsd_pid=
virtiofsd2_pid=
qsd_pid=

# One virsh process that waits for the driver's reconnection to the
# running domain before it exits, logging into the root (see embed.sh).
# shellcheck source=../lib/embed.sh
. "$here/../lib/embed.sh"
vvirsh() { embed_virsh "$root" "$*"; }

show_logs() {
  local log
  for log in "$console_log" "$root/virtiofsd.log" "$root/qsd.log"; do
    [ -s "$log" ] || continue
    echo "--- last lines of $log ---"
    tail -n 30 "$log"
  done
  echo "---"
}

# virtiofsd serves one QEMU and exits; qemu-storage-daemon runs until it
# is killed.  Both are children of this shell.
stop_daemons() {
  local pid
  for pid in $virtiofsd_pid $virtiofsd2_pid $qsd_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  virtiofsd_pid=
  qsd_pid=
}

# The embedded driver runs QEMU as a daemon that outlives virsh; destroy it
# through libvirt, and kill it by its pid file if libvirt cannot.  The
# vhost-user daemons go after QEMU, which is their client.
cleanup() {
  status=$?
  trap - EXIT INT TERM
  vvirsh destroy "$dom" >/dev/null 2>&1 || true
  vvirsh undefine "$dom" >/dev/null 2>&1 || true
  embed_kill_qemus "$root"
  stop_daemons
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && [ -n "${VSCHAN_GUEST_KEEP-}" ]; then
    echo "vhost-user-test: kept '$root'" >&2
  else
    rm -rf "${root:?}"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The paths go into JSON and XML unescaped.
case $root in *[\'\"\<\>\&\|\\,]*) die "path '$root' has characters this test does not escape" ;; esac
case $image in *[\'\"\<\>\&\|\\]*) die "path '$image' has characters this test does not escape" ;; esac

set +e
accel_line=$(sh "$here/../lib/embed-root.sh" "$root")
rc=$?
set -e
[ "$rc" -eq 77 ] && skip "libvirt's embedded QEMU driver cannot run here (see above)"
[ "$rc" -eq 0 ] || die "embed-root.sh failed ($rc)"
case ${VSCHAN_GUEST_ACCEL-} in
  kvm|tcg) accel=$VSCHAN_GUEST_ACCEL; accel_forced=1 ;;
  "") case $accel_line in "accel: kvm"*) accel=kvm ;; *) accel=tcg ;; esac; accel_forced= ;;
  *) echo "vhost-user-test: VSCHAN_GUEST_ACCEL must be 'kvm' or 'tcg'" >&2; exit 2 ;;
esac

# Waits for the guest to boot: under TCG on a busy machine it is slow.
if [ "$accel" = kvm ]; then agent_limit=$TEST_LONG_S; else agent_limit=300; fi

# --- helpers ------------------------------------------------------------------
# domain_xml TYPE: the test guest's domain of domain.xml.in for this run.
domain_xml() {
  sed -e "s|@TYPE@|$1|" -e "s|@NAME@|$dom|" -e "s|@KERNEL@|$kernel|" \
      -e "s|@INITRD@|$initrd|" -e "s|@CONSOLE_LOG@|$console_log|" \
      "$here/domain.xml.in"
}

domain_running() {
  [ "$(vvirsh domstate "$dom" 2>/dev/null | head -n 1)" = running ]
}

console_has() { [ -f "$console_log" ] && grep -q "$1" "$console_log"; }

check_no_panic() {
  if console_has 'Kernel panic'; then die "the guest kernel panicked"; fi
  domain_running || die "the guest stopped"
}

# agent_cmd JSON: one guest agent command through libvirt; prints the reply.
# vvirsh's settling query makes it wait for the driver's reconnection to
# the agent (see README.md).
agent_cmd() {
  case $1 in *"'"*) die "agent command with a single quote: $1" ;; esac
  vvirsh "qemu-agent-command $dom --timeout 10 '$1'"
}

# json_get FIELD...: reads JSON on stdin, prints the value at that path
# (base64 fields decoded when the last name ends in -data).
json_get() {
  python3 -c '
import base64, json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[k] if not isinstance(v, list) else v[int(k)]
if sys.argv[-1].endswith("-data"):
    sys.stdout.write(base64.b64decode(v).decode("utf-8", "replace"))
elif isinstance(v, bool):
    print("true" if v else "false")
else:
    print(v)
' "$@"
}

# guest_exec SHELL-COMMAND: run it in the guest with guest-exec, poll
# guest-exec-status, print its stdout; fail unless it exits 0.
guest_exec() {
  local req reply pid status limit code
  req=$(python3 -c '
import json, sys
print(json.dumps({"execute": "guest-exec", "arguments": {
    "path": "/bin/sh", "arg": ["-c", sys.argv[1]], "capture-output": True}}))
' "$1")
  reply=$(agent_cmd "$req") || die "guest-exec of '$1' failed"
  pid=$(json_get return pid <<<"$reply")
  limit=$((SECONDS + TEST_LONG_S))
  while :; do
    status=$(agent_cmd "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") ||
      die "guest-exec-status for '$1' failed"
    [ "$(json_get return exited <<<"$status")" = true ] && break
    [ "$SECONDS" -lt "$limit" ] || die "'$1' did not finish in the guest within $TEST_LONG_S s"
    sleep 0.2
  done
  code=$(json_get return exitcode <<<"$status")
  [ "$code" = 0 ] || die "'$1' exited with $code in the guest: $(json_get return err-data <<<"$status" 2>/dev/null)"
  json_get return out-data <<<"$status" 2>/dev/null || true
}

# --- steps --------------------------------------------------------------------
# The host's side: the shared directory with the host's file, the raw disk
# image with the host's block, and the spec of the two devices.
step_host_data() {
  mkdir "$share"
  printf '%s\n' "$host_text" >"$share/from-host.txt"
  truncate -s "${disk_mib}M" "$disk"
  printf '%s' "$host_block" |
    dd of="$disk" bs="$host_block_offset" seek=1 conv=notrunc status=none
  cat >"$root/spec.json" <<JSON
{
  "filesystems": [
    { "driver": { "type": "virtiofs", "queue": 1024 }, "source": { "socket": "$fs_sock" },
      "target": { "dir": "$tag" } }
  ],
  "disks": [
    { "type": "vhostuser", "device": "disk", "driver": { "name": "qemu", "type": "raw" },
      "source": { "type": "unix", "path": "$blk_sock" }, "target": { "dev": "vdb", "bus": "virtio" } }
  ]
}
JSON
  ok "the host wrote '$share/from-host.txt' and a block at offset $host_block_offset of '$disk'"
}

# Start virtiofsd on the share and qemu-storage-daemon on the image; QEMU
# connects to both sockets as a client.  (Again for each QEMU: virtiofsd
# serves one.)
step_start_daemons() {
  stop_daemons
  rm -f "$fs_sock" "$blk_sock"
  "$virtiofsd" --socket-path="$fs_sock" -o source="$share" -o cache=none \
    </dev/null >>"$root/virtiofsd.log" 2>&1 &
  virtiofsd_pid=$!
  qemu-storage-daemon --blockdev "driver=file,node-name=f,filename=$disk" \
    --export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$blk_sock,writable=on" \
    </dev/null >>"$root/qsd.log" 2>&1 &
  qsd_pid=$!
  wait_for "$TEST_LONG_S" test -S "$fs_sock" || die "virtiofsd did not open '$fs_sock'"
  wait_for "$TEST_LONG_S" test -S "$blk_sock" || die "qemu-storage-daemon did not open '$blk_sock'"
  ok "virtiofsd (pid $virtiofsd_pid) and qemu-storage-daemon (pid $qsd_pid) listen"
}

# The test guest's domain with the two devices merged by vschan.  The
# guest's memory is shared through a NUMA cell (memAccess='shared'), not
# through a memoryBacking alone: libvirt 9.0 checks a live vhost-user
# attach against the machine's default RAM id, which only the process
# that started the domain knows, so vschan (another process) could not
# hot-plug into it.  xml --into keeps the cell and adds no memoryBacking
# (tests/qemu/vhost-user.sh boots the memoryBacking form it adds).
step_domain() {
  domain_xml "$1" |
    sed "s|^  <clock |  <cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB' memAccess='shared'/></numa></cpu>\n&|" \
    >"$root/base.xml"
  "$vschan" xml "$root/spec.json" --into "$root/base.xml" -o "$root/domain.xml" \
    2>"$root/vschan.err" || die "vschan xml --into failed: $(cat "$root/vschan.err")"
  ! grep -q "memoryBacking" "$root/domain.xml" ||
    die "vschan xml --into added a memoryBacking to a domain whose NUMA cell shares memory"
  local what
  for what in "memAccess=\"shared\"" "<target dir=\"$tag\"/>" "<source type=\"unix\" path=\"$blk_sock\"/>"; do
    grep -qF "$what" "$root/domain.xml" || die "the domain of vschan xml --into lacks '$what'"
  done
  ok "vschan xml --into adds the virtiofs filesystem and the vhost-user disk, and keeps the shared NUMA cell"
}

# Define and start the domain.
step_boot() {
  step_start_daemons
  step_domain "$1"
  vvirsh define "$root/domain.xml" >/dev/null || die "cannot define the domain"
  vvirsh start "$dom" >/dev/null || die "cannot start the domain"
  ok "libvirt started '$dom' ($accel) with the vhost-user devices"
}

# Under KVM, wait for the first sign of life from the kernel and fall back
# to TCG if there is none.
boot_with_fallback() {
  if [ "$accel" = kvm ]; then
    step_boot kvm
    local limit=$((SECONDS + 20))
    while [ "$SECONDS" -lt "$limit" ]; do
      console_has 'Run /init' && return 0
      sleep 0.5
    done
    if [ -n "$accel_forced" ]; then
      die "no kernel output within 20 s under KVM"
    fi
    say "no kernel output within 20 s under KVM; this machine's KVM cannot run the guest, retrying under TCG"
    vvirsh destroy "$dom" >/dev/null 2>&1 || true
    vvirsh undefine "$dom" >/dev/null || die "cannot undefine the domain"
    rm -f "$console_log"
    accel=tcg
    agent_limit=300
  fi
  step_boot qemu
}

# Wait until qemu-ga answers guest-ping.
step_wait_agent() {
  local limit=$((SECONDS + agent_limit))
  while [ "$SECONDS" -lt "$limit" ]; do
    check_no_panic
    if agent_cmd '{"execute":"guest-ping"}' >/dev/null 2>&1; then
      ok "the guest agent answers"
      return 0
    fi
    sleep 1
  done
  die "the guest agent did not answer within ${agent_limit} s"
}

# Mount the virtiofs tag and read the host's file.
step_mount_share() {
  guest_exec "mount -t virtiofs $tag /mnt" >/dev/null
  local mounts
  mounts=$(guest_exec "grep \" /mnt \" /proc/mounts")
  grep -q "^$tag /mnt virtiofs " <<<"$mounts" || die "/mnt is not the virtiofs mount of '$tag': $mounts"
  ok "the guest mounts the virtiofs tag '$tag' on /mnt"
}

step_read_share() {
  local got
  got=$(guest_exec "cat /mnt/from-host.txt")
  [ "$got" = "$host_text" ] || die "the guest read '$got' from /mnt/from-host.txt, not '$host_text'"
  ok "the guest reads the host's file through virtiofs"
}

step_write_share() {
  guest_exec "echo \"$guest_text\" >/mnt/from-guest.txt && sync" >/dev/null
  [ -f "$share/from-guest.txt" ] || die "the guest's file is not in '$share'"
  local got
  got=$(cat "$share/from-guest.txt")
  [ "$got" = "$guest_text" ] || die "the host read '$got' from the guest's file, not '$guest_text'"
  ok "the host reads the file the guest wrote through virtiofs"
}

step_unmount_share() {
  guest_exec "umount /mnt" >/dev/null
  ok "the guest unmounts the share"
}

# The guest names its disks in probe order, whatever libvirt's target dev:
# the domain has no other disk, so the vhost-user disk is the only vd*.
# Its size tells it is the host's image.
step_find_disk() {
  local disks sectors
  disks=$(guest_exec "cd /sys/block && ls -d vd* 2>/dev/null || true")
  [ "$(wc -w <<<"$disks")" -eq 1 ] || die "the guest has not one virtio disk but: '$(paste -sd ' ' <<<"$disks")'"
  guest_disk=/dev/$disks
  sectors=$(guest_exec "cat /sys/block/$disks/size")
  [ "$sectors" = $((disk_mib * 2048)) ] ||
    die "$guest_disk has $sectors sectors, not the $((disk_mib * 2048)) of the host's image"
  ok "the guest sees the vhost-user disk as $guest_disk ($disk_mib MiB)"
}

step_read_block() {
  local got
  got=$(guest_exec "dd if=$guest_disk bs=$host_block_offset skip=1 count=1 2>/dev/null | head -c ${#host_block}")
  [ "$got" = "$host_block" ] ||
    die "the guest read '$got' at offset $host_block_offset of $guest_disk, not '$host_block'"
  ok "the guest reads the host's block through vhost-user-blk"
}

step_write_block() {
  guest_exec "printf \"%s\" \"$guest_block\" | dd of=$guest_disk bs=$guest_block_offset seek=1 conv=fsync 2>/dev/null" >/dev/null
  local got
  got=$(dd if="$disk" iflag=skip_bytes,count_bytes skip="$guest_block_offset" count="${#guest_block}" status=none)
  [ "$got" = "$guest_block" ] ||
    die "the host read '$got' at offset $guest_block_offset of '$disk', not '$guest_block'"
  ok "the host reads the block the guest wrote through vhost-user-blk"
}

# vschan on the embed root the guest runs in.
vvschan() { "$vschan" -c "qemu:///embed?root=$root" "$@"; }

# vschan list sees both vhost-user devices, in both definitions.
step_list_vhost() {
  local listed
  listed=$(vvschan list "$dom" --json 2>"$root/vschan.err") || die "vschan list failed: $(cat "$root/vschan.err")"
  listed=$(python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["backend"] == "vhost-user":
        t = e["target"]
        print(e["kind"], t.get("dir") or t.get("dev"), e["host"], e["live"], e["persistent"])' <<<"$listed")
  grep -qx "filesystem $tag $fs_sock True True" <<<"$listed" && grep -qx "disk vdb $blk_sock True True" <<<"$listed" ||
    die "vschan list does not show the filesystem and the disk in both definitions: $listed"
  ok "vschan list shows the virtiofs filesystem and the vhost-user disk with their sockets"
}

# remove --live unplugs both from the running guest, which lets them go
# (ACPI PCI hotplug): vschan waits for libvirt's device-removed event, the
# guest has no virtio-fs (26) or virtio-blk (2) device left, and the
# persistent definition keeps both.
step_remove_live() {
  vvschan remove "$dom" "$tag" vdb --live --timeout "$TEST_LONG_S" >"$root/remove.out" 2>"$root/vschan.err" ||
    die "vschan remove --live failed: $(cat "$root/vschan.err")"
  grep -q "removed virtiofs filesystem '$tag' from the live definition" "$root/remove.out" &&
    grep -q "removed vhost-user disk 'vdb' from the live definition" "$root/remove.out" ||
    die "vschan remove does not report both devices: $(cat "$root/remove.out")"
  local ids
  ids=$(guest_exec "cat /sys/bus/virtio/devices/*/device")
  ! grep -qx "0x001a\|0x0002" <<<"$ids" || die "the guest still has a virtio-fs or virtio-blk device: $(paste -sd ' ' <<<"$ids")"
  ! vvirsh dumpxml "$dom" | grep -q "<filesystem\|<disk" || die "the live definition still has a vhost-user device"
  vvirsh dumpxml --inactive "$dom" | grep -q "<filesystem" || die "the persistent definition lost the filesystem"
  ok "vschan remove --live unplugs both from the guest, which releases them; the persistent definition keeps them"
}

# add puts both back into the running guest (a new virtiofsd: each serves
# one QEMU connection), and the guest reads the host's file again.
step_add_live() {
  step_start_daemons
  vvschan add "$dom" "$root/spec.json" --live --timeout "$TEST_LONG_S" >"$root/add.out" 2>"$root/vschan.err" ||
    die "vschan add --live failed: $(cat "$root/vschan.err")"
  guest_exec "mount -t virtiofs $tag /mnt" >/dev/null
  local got
  got=$(guest_exec "cat /mnt/from-host.txt && umount /mnt")
  [ "$got" = "$host_text" ] || die "after add, the guest read '$got' from /mnt/from-host.txt, not '$host_text'"
  ok "vschan add --live puts them back: the guest mounts the share again and reads the host's file"
}

# A second add whose disk has no daemon fails; the filesystem attached
# before it in the same run is unplugged again, and this guest lets it go:
# the rollback is complete, the error names the disk and nothing else.
step_add_rollback() {
  local fs2_sock=$root/fs2.sock
  mkdir -p "$share/second"
  "$virtiofsd" --socket-path="$fs2_sock" -o source="$share/second" -o cache=none \
    </dev/null >>"$root/virtiofsd.log" 2>&1 &
  virtiofsd2_pid=$!
  wait_for "$TEST_LONG_S" test -S "$fs2_sock" || die "the second virtiofsd did not open '$fs2_sock'"
  cat >"$root/two.json" <<JSON
{ "filesystems": [ { "source": { "socket": "$fs2_sock" }, "target": { "dir": "second" } } ],
  "disks": [ { "type": "vhostuser", "device": "disk", "source": { "type": "unix", "path": "$root/none.sock" },
               "target": { "dev": "vdc", "bus": "virtio" } } ] }
JSON
  local rc=0
  vvschan add "$dom" "$root/two.json" --live --timeout "$TEST_LONG_S" >"$root/add2.out" 2>"$root/vschan.err" || rc=$?
  [ "$rc" -eq 3 ] || die "the add with a disk without daemon exited $rc, not 3: $(cat "$root/vschan.err")"
  grep -q "cannot attach vhost-user disk 'vdc' to the live definition" "$root/vschan.err" ||
    die "the error does not name the disk: $(cat "$root/vschan.err")"
  ! grep -q "rollback:" "$root/vschan.err" || die "the rollback left something behind: $(cat "$root/vschan.err")"
  ! vvirsh dumpxml "$dom" | grep -q "dir='second'" || die "the live definition still has the second filesystem"
  local ids
  ids=$(guest_exec "grep -c 0x001a /sys/bus/virtio/devices/*/device | grep -c :1 || true")
  [ "$ids" = 1 ] || die "the guest has $ids virtio-fs devices after the rollback, not 1 (the first share)"
  kill "$virtiofsd2_pid" 2>/dev/null || true
  wait "$virtiofsd2_pid" 2>/dev/null || true
  ok "a failed add is rolled back in the guest: the filesystem it attached first is unplugged again"
}

# apply with another socket and queue size for the share replaces it live:
# the old device is unplugged (the guest releases it), the new one plugged
# in, and the guest reads the host's file through it.
step_apply_replace() {
  local fs3_sock=$root/fs3.sock
  "$virtiofsd" --socket-path="$fs3_sock" -o source="$share" -o cache=none \
    </dev/null >>"$root/virtiofsd.log" 2>&1 &
  virtiofsd2_pid=$!
  wait_for "$TEST_LONG_S" test -S "$fs3_sock" || die "virtiofsd did not open '$fs3_sock'"
  cat >"$root/replace.json" <<JSON
{ "filesystems": [ { "driver": { "type": "virtiofs", "queue": 512 }, "source": { "socket": "$fs3_sock" },
                     "target": { "dir": "$tag" } } ] }
JSON
  vvschan apply "$dom" "$root/replace.json" --live --timeout "$TEST_LONG_S" --json >"$root/apply.out" \
    2>"$root/vschan.err" || die "vschan apply failed: $(cat "$root/vschan.err")"
  python3 -c '
import json, sys
d = json.load(sys.stdin)
items = [(i["action"], i["kind"]) for i in d["plan"]]
sys.exit(0 if d["result"] == "applied" and items == [("replace", "filesystem")] else 1)' <"$root/apply.out" ||
    die "apply did not replace the filesystem: $(cat "$root/apply.out")"
  vvirsh dumpxml "$dom" | grep -q "queue='512'" || die "the live definition lacks the new queue size"
  local got
  got=$(guest_exec "mount -t virtiofs $tag /mnt && cat /mnt/from-host.txt && umount /mnt")
  [ "$got" = "$host_text" ] || die "through the replaced share the guest read '$got', not '$host_text'"
  ok "vschan apply replaces the share live: the guest reads the host's file through the new device"
}

# --- the test -----------------------------------------------------------------
step_host_data
boot_with_fallback
step_wait_agent
step_mount_share
step_read_share
step_write_share
step_unmount_share
step_find_disk
step_read_block
step_write_block
step_list_vhost
step_remove_live
step_add_live
step_add_rollback
step_apply_replace
check_no_panic
