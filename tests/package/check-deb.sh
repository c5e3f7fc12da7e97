#!/bin/sh
# Build the .deb with CPack, check its Depends and files, unpack it into a
# fresh root and run the installed binary from there: templates and
# schemas must be found without configuration.
# Usage: check-deb.sh BUILD_DIR
set -u
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; echo "FAIL cpack"; exit 1; }
deb=$(ls "$work"/out/vschan_*.deb 2>/dev/null | head -1)
check "a .deb was built" '[ -n "$deb" ]'
[ -n "$deb" ] || exit 1
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# Every library the binary itself needs (NEEDED) comes from a package
# Depends names.
for bin in "$build/src/vschan" "$build/src/vschan-libvirt"; do
for needed in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  lib=$(ldd "$bin" | awk -v n="$needed" '$1 == n {print $3}')
  check "ldd finds $needed" '[ -n "$lib" ]'
  [ -n "$lib" ] || continue
  # dpkg knows a file by the path its package ships: with merged /usr that
  # may be /lib/... or /usr/lib/..., the link or its target.
  pkg=
  for p in "$lib" "$(readlink -f "$lib")" "${lib#/usr}" "/usr$lib"; do
    pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1)
    [ -n "$pkg" ] && break
  done
  check "a package owns $lib" '[ -n "$pkg" ]'
  [ -n "$pkg" ] || continue
  check "Depends names $pkg (for $(basename "$lib"))" 'echo "$depends" | grep -q "$pkg"'
done
done
check "Depends names jansson and libxml2" 'echo "$depends" | grep -q libjansson && echo "$depends" | grep -q libxml2'
files=$(dpkg-deb -c "$deb")
for f in ./usr/bin/vschan ./usr/libexec/vschan/vschan-libvirt ./usr/share/man/man1/vschan.1 ./usr/share/man/man5/vschan-spec.5 \
         ./usr/share/bash-completion/completions/vschan ./usr/share/zsh/vendor-completions/_vschan \
         ./usr/share/vschan/templates/guest-agent.json ./usr/share/vschan/schemas/vschan-spec.schema.json; do
  check "package holds $f" 'echo "$files" | grep -q " $f\$"'
done

root="$work/root"
dpkg-deb -x "$deb" "$root"
# Nothing of the source or build tree may be found: the installed copy only.
out=$(env -u VSCHAN_DATADIR -u VSCHAN_TEMPLATES_DIR "$root/usr/bin/vschan" --version)
check "installed vschan --version" 'echo "$out" | grep -q "^vschan [0-9]"'
out=$(cd / && env -u VSCHAN_DATADIR -u VSCHAN_TEMPLATES_DIR "$root/usr/bin/vschan" xml --template guest-agent 2>&1)
check "installed vschan renders a template from its own data" 'echo "$out" | grep -q "org.qemu.guest_agent.0"'
out=$(env -u VSCHAN_DATADIR "$root/usr/bin/vschan" template list 2>&1)
check "installed template list has the seven templates" '[ "$(echo "$out" | wc -l)" -ge 7 ]'
# The libvirt commands run through the installed libexec helper.
out=$(env -u VSCHAN_DATADIR "$root/usr/bin/vschan" -c test:///default list test 2>&1)
check "installed vschan runs a libvirt command through its libexec helper" 'echo "$out" | grep -q "^KIND"'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
