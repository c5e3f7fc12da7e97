#!/bin/sh
# End to end: `vschan qemu-args` output, split by the shell exactly as
# the issue promises (eval "set -- $(vschan qemu-args spec.json)"), is
# accepted by QEMU, which reports every chardev and port over QMP.
#
#   cli-e2e.sh VSCHAN
# Exit 0 pass, 1 fail, 77 no QEMU (a failure when CI is set).
set -eu

vschan=${1:?usage: cli-e2e.sh VSCHAN}
. "$(dirname "$0")/../lib/test.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found; install qemu-system-x86"
dir=$(mktemp -d "${TMPDIR:-/tmp}/vsqe.XXXXXX")
trap 'rm -rf "${dir:?}"' EXIT INT TERM
weird="$dir/w,e i'r\"d"
mkdir "$weird"
weird_json=$(printf '%s' "$weird" | sed 's/"/\\"/g')   # as JSON writes it

cat >"$dir/spec.json" <<JSON
{
  "channels": [
    { "type": "unix", "source": { "mode": "bind", "path": "$weird_json/a,b 'c\\".sock" },
      "target": { "type": "virtio", "name": "org.example.e2e" } },
    { "type": "unix", "source": { "mode": "bind" },
      "target": { "type": "virtio", "name": "org.qemu.guest_agent.0" } }
  ],
  "consoles": [ { "type": "pty", "target": { "type": "virtio" } } ],
  "serials": [ { "type": "file", "source": { "path": "$weird_json/s,1.log" },
                 "target": { "type": "isa-serial", "port": 1 } } ]
}
JSON

line=$("$vschan" qemu-args --socket-dir "$weird" --bus pci.0 --addr 0x1e "$dir/spec.json")
eval "set -- $line"

out=$(printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-chardev"}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-org.example.e2e","property":"name"}}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-serial1","property":"index"}}' \
        '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/vschan-console","property":"nr"}}' \
        '{"execute":"quit"}' |
      timeout "$TEST_LONG_S" qemu-system-x86_64 -machine pc -nodefaults -display none -S -accel tcg \
        -qmp stdio "$@" 2>"$dir/qemu.log") || {
  echo "cli-e2e: QEMU refused the arguments:" >&2
  cat "$dir/qemu.log" >&2
  exit 1
}

# qmp_says TEXT: QEMU's QMP output has TEXT.
qmp_says() {
  case $out in
    *"$1"*) ok "QMP output has $1" ;;
    *) fail "QMP output lacks: $1" ;;
  esac
}
qmp_says "\"filename\": \"disconnected:unix:$weird_json/a,b 'c\\\".sock,server=on\""
qmp_says "\"label\": \"vschan-org.example.e2e\""
qmp_says "\"filename\": \"disconnected:unix:$weird_json/org.qemu.guest_agent.0,server=on\""
qmp_says '{"return": "org.example.e2e"}'
qmp_says '{"return": 1}'
qmp_says '{"return": 0}'
[ -f "$weird/s,1.log" ] || fail "no file '$weird/s,1.log'"
if [ "$TEST_FAILED" -ne 0 ]; then
  printf 'vschan qemu-args: %s\nQMP:\n%s\n' "$line" "$out" >&2
  exit 1
fi

# --qemu-version: QEMU 9.2 renamed reconnect; the default is the QEMU
# installed here, whose arguments it must then accept.
rc_opt=--channel=unix,source.mode=connect,source.path=$dir/peer.sock,source.reconnect.enabled=yes,source.reconnect.timeout=2,target.name=org.example.rc
new=$("$vschan" qemu-args --argv --qemu-version 9.2 "$rc_opt") && old=$("$vschan" qemu-args --argv --qemu-version 9.1.3 "$rc_opt") ||
  { echo "cli-e2e: qemu-args --qemu-version failed" >&2; exit 1; }
case $new in *",reconnect-ms=2000"*) ;; *) echo "cli-e2e: 9.2 lacks reconnect-ms=2000: $new" >&2; exit 1 ;; esac
case $old in *",reconnect=2"*) ;; *) echo "cli-e2e: 9.1 lacks reconnect=2: $old" >&2; exit 1 ;; esac
line=$("$vschan" qemu-args "$rc_opt") || { echo "cli-e2e: qemu-args with reconnect failed" >&2; exit 1; }
eval "set -- $line"
echo '{"execute":"qmp_capabilities"}{"execute":"quit"}' |
  timeout "$TEST_LONG_S" qemu-system-x86_64 -machine pc -nodefaults -display none -S -accel tcg -qmp stdio "$@" \
    >/dev/null 2>"$dir/qemu.log" || {
  echo "cli-e2e: the installed QEMU refused the default reconnect syntax ($line):" >&2
  cat "$dir/qemu.log" >&2
  exit 1
}
# Proxmox VE's QEMU is 'kvm', asked first; it cannot run here, so a stand-in
# prints what pve-qemu-kvm 9.2 prints.
mkdir -p "$dir/bin"
printf '#!/bin/sh\necho "QEMU emulator version 9.2.0 (pve-qemu-kvm_9.2.0-5)"\n' >"$dir/bin/kvm"
chmod +x "$dir/bin/kvm"
pve=$(PATH="$dir/bin:$PATH" "$vschan" qm 100 "$rc_opt") || { echo "cli-e2e: qm failed" >&2; exit 1; }
case $pve in *",reconnect-ms=2000"*) ;; *) echo "cli-e2e: qm with kvm 9.2 installed lacks reconnect-ms=2000: $pve" >&2; exit 1 ;; esac
for bad in 9 9.x "" 9.2.0.1; do
  if "$vschan" qemu-args --qemu-version "$bad" "$rc_opt" >/dev/null 2>"$dir/err"; then
    echo "cli-e2e: --qemu-version '$bad' was accepted" >&2; exit 1
  fi
  grep -q "qemu-version takes a version" "$dir/err" || { echo "cli-e2e: --qemu-version '$bad': $(cat "$dir/err")" >&2; exit 1; }
done
# Ids never collide with qemu-server's or libvirt's, whatever the prefix;
# a value that merely contains ",,id=qmp" is no id.
for case in "q:mp:qmp" "s:erial0:serial0" "char:channel0:charchannel0"; do
  prefix=${case%%:*} rest=${case#*:} name=${rest%%:*} id=${rest#*:}
  if "$vschan" qemu-args --prefix "$prefix" --channel "unix,path=$dir/x.sock,name=$name" >/dev/null 2>"$dir/err" ||
     ! grep -q "id '$id' would collide" "$dir/err"; then
    echo "cli-e2e: --prefix $prefix, name $name: no collision reported: $(cat "$dir/err")" >&2; exit 1
  fi
done
"$vschan" qm 100 --channel "unix,path=$dir/a,,id=qmp.sock,name=org.example.c" >/dev/null 2>"$dir/err" ||
  { echo "cli-e2e: a path with ',,id=qmp' taken for an id: $(cat "$dir/err")" >&2; exit 1; }
summary
