#!/bin/sh
# vschan validate against libvirt on libvirt's own test documents.
#
# usage: libvirt-corpus.sh [--all] VSCHAN VSCT_VERDICT EMBED_ROOT_SH SOURCE OUT.tsv
#
# SOURCE is libvirt's source: the orig tarball of Debian's source package
# (apt-get source --download-only libvirt, after a deb-src entry for
# bookworm main) or an unpacked tree.  Takes the x86_64 domain documents
# of tests/{qemuxml2argvdata,qemuxml2xmloutdata,genericxml2xmlindata,
# qemuhotplugtestdomains} that have a <channel>, <console>, <serial> or
# <parallel>, points their <emulator> at this machine's QEMU, asks libvirt
# (its RNG schema, then define on the embedded QEMU driver: vsct-verdict)
# and vschan validate (given the driver's capabilities and qemu.conf), and
# writes per document
#   NAME  libvirt:accept|reject  vschan:accept|reject  AGREE|DIFFER  LIBVIRT'S MESSAGE  VSCHAN'S RULES
# to OUT.tsv.  Prints the agreement; host-dependent documents listed in
# libvirt-corpus-host.tsv (next to this script, with why) are counted
# apart.  Exit 0 when every other document agrees, 1 otherwise, 77 when
# libvirt cannot run here.
#
# With --all: every domain document of those directories, whatever its
# architecture and devices.  A document libvirt accepts must then get no
# error from vschan; one it refuses must get one when libvirt's reason is
# in vschan's scope (character devices, their controllers, the graphics
# they need, aliases, the host's domain types); other refusals (disks,
# CPUs, NUMA, ...) are counted as out of scope.
set -eu
all=false
if [ "${1-}" = --all ]; then
  all=true
  shift
fi
if [ $# -ne 5 ]; then
  echo "usage: libvirt-corpus.sh [--all] VSCHAN VSCT_VERDICT EMBED_ROOT_SH SOURCE OUT.tsv" >&2
  exit 2
fi
vschan=$1 verdict=$2 embed_root=$3 source=$4 out=$5
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vsct-libvirt-corpus.XXXXXX")
trap 'rm -rf "${work:?}"' EXIT INT TERM
qemu=$(command -v qemu-system-x86_64 || echo /usr/bin/qemu-system-x86_64)

dirs="qemuxml2argvdata qemuxml2xmloutdata genericxml2xmlindata qemuhotplugtestdomains"
if [ -d "$source" ]; then
  tree=$source
else
  pattern=""
  for d in $dirs; do pattern="$pattern */tests/$d/*.xml"; done
  # shellcheck disable=SC2086
  tar -xJf "$source" -C "$work" --wildcards $pattern
  tree=$(echo "$work"/libvirt-*)
fi

mkdir "$work/docs"
for d in $dirs; do
  for f in "$tree/tests/$d"/*.xml; do
    [ -f "$f" ] || continue
    grep -q '<domain' "$f" || continue
    if $all; then
      sed "s|<emulator>[^<]*</emulator>|<emulator>$qemu</emulator>|" "$f" >"$work/docs/$d--$(basename "$f")"
      continue
    fi
    grep -q -E '<(channel|console|serial|parallel)[ >]' "$f" || continue
    # x86_64: said so, or left to the emulator's default
    grep -q -E "arch=['\"](x86_64|i686)['\"]|<emulator>/usr/bin/qemu-system-x86_64<" "$f" || continue
    grep -q -E "arch=['\"]" "$f" && ! grep -q -E "arch=['\"]x86_64['\"]" "$f" && continue
    sed "s|<emulator>[^<]*</emulator>|<emulator>$qemu</emulator>|" "$f" >"$work/docs/$d--$(basename "$f")"
  done
done
ndocs=$(ls "$work/docs" | wc -l)

set +e
"$embed_root" "$work/root" >/dev/null
rc=$?
set -e
[ $rc -eq 0 ] || exit $rc
"$verdict" --root "$work/root" "$work"/docs/*.xml >"$work/libvirt.tsv"
# What depends on the host, as vschan learns it: the capabilities of the
# same driver (--host) and its qemu.conf (--qemu-conf).
virsh -c "qemu:///embed?root=$work/root" capabilities >"$work/caps.xml"

: >"$out"
agree=0 differ=0 host=0 scope=0
# libvirt's reasons that are vschan's to find (--all)
in_scope='serial|channel|console|parallel|chardev|character device|virtio-serial|spice graphics|spice TLS|spicevmc|spiceport|alias|support virt type|support machine type'

while IFS="$(printf '\t')" read -r name lv _rng _define msg; do
  doc=$work/docs/$name.xml
  json=$("$vschan" validate --json --host "$work/caps.xml" --qemu-conf "$work/root/etc/qemu.conf" "$doc" 2>/dev/null || true)
  if printf '%s' "$json" | grep -q '"severity":"error"'; then vv=reject; else vv=accept; fi
  rules=$(printf '%s' "$json" | grep -o '"rule":"[a-z0-9-]*"' | sed 's/"rule":"//; s/"$//' | sort -u | tr '\n' ' ')
  if [ "$lv" = "$vv" ]; then
    verdict_word=AGREE agree=$((agree + 1))
  elif $all && [ "$lv" = reject ] && ! printf '%s' "$msg" | grep -q -i -E "$in_scope"; then
    verdict_word=SCOPE scope=$((scope + 1))
  elif grep -q "^${name#*--}	" "$here/libvirt-corpus-host.tsv"; then
    verdict_word=HOST host=$((host + 1))
  else
    verdict_word=DIFFER differ=$((differ + 1))
  fi
  printf '%s\tlibvirt:%s\tvschan:%s\t%s\t%s\t%s\n' "$name" "$lv" "$vv" "$verdict_word" "$msg" "${rules:--}" >>"$out"
done <"$work/libvirt.tsv"
if $all; then
  echo "libvirt-corpus: all $ndocs domain documents: $agree agree, $differ differ, $scope refused by" \
       "libvirt for a reason outside vschan's scope, $host differ on what depends on the host"
else
  echo "libvirt-corpus: $ndocs x86_64 documents with character devices: $agree agree, $differ differ," \
       "$host differ on what depends on the host (libvirt-corpus-host.tsv)"
fi
grep '	DIFFER	' "$out" | cut -f1-3,5 | sed 's/^/  differ: /' || true
[ "$differ" -eq 0 ]
