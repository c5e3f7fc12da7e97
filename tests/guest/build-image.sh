#!/bin/sh
# Build the small Linux test guest from Debian packages:
#   OUTDIR/vmlinuz     the kernel of linux-image-amd64
#   OUTDIR/initrd.img  an initramfs (cpio newc + gzip) with busybox-static,
#                      qemu-ga with its libraries and loader, the virtio
#                      console, block and virtiofs modules and
#                      tests/guest/init as /init
#
# usage: build-image.sh OUTDIR
# Cached: nothing is done when both outputs are newer than this script and
# the init; the downloaded packages are kept in OUTDIR/debs.  Nothing needs
# root: the kernel package is downloaded and unpacked, never installed, and
# the archive is written by busybox's own cpio with root as the owner.
#
# Exit status: 0 built or up to date; 77 a package cannot be downloaded and
# CI is not set (reason on stderr); 1 any other failure (and a download
# failure under CI); 2 usage.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: build-image.sh OUTDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
script=$here/build-image.sh
init=$here/init
mkdir -p "$1"
out=$(cd "$1" && pwd)

say() { echo "build-image: $*"; }
die() { echo "build-image: $*" >&2; exit 1; }

# A missing package archive is the one reason to skip rather than fail.
. "$here/../lib/test.sh"
# Everything below is deleted and rebuilt under OUTDIR: never a system path.
case $out in "" | / | /work | /tmp | /root | /usr | /var) die "refusing OUTDIR '$out'" ;; esac
cannot_download() {
  skip "build-image: $*"
}

# newer FILE THAN: FILE exists and was modified after THAN.
newer() { [ -f "$1" ] && [ -n "$(find "$1" -prune -newer "$2")" ]; }

if newer "$out/vmlinuz" "$script" && newer "$out/vmlinuz" "$init" &&
   newer "$out/initrd.img" "$script" && newer "$out/initrd.img" "$init"; then
  say "'$out/vmlinuz' and '$out/initrd.img' are up to date"
  exit 0
fi

for tool in apt-get apt-cache dpkg-deb ldd gzip; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing; this script needs Debian's apt, dpkg, libc-bin and gzip"
done

# --- download ---------------------------------------------------------------
debs=$out/debs
mkdir -p "$debs"

# The meta package names the versioned image package that holds the kernel.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
[ -n "$kpkg" ] || cannot_download "apt knows no 'linux-image-amd64'; run 'apt-get update'"
say "kernel package: $kpkg"

# cached_deb PACKAGE: the downloaded archive of PACKAGE, if any.
cached_deb() {
  for f in "$debs/${1}_"*.deb; do
    [ -f "$f" ] && echo "$f" && return 0
  done
  return 1
}

# Download into a temporary directory so a partial download never counts as
# cached; _apt cannot write to a private directory, so don't try to drop to it.
fetch() {
  pkg=$1
  if deb=$(cached_deb "$pkg"); then
    say "cached: ${deb##*/}"
    return 0
  fi
  say "downloading $pkg"
  tmp=$(mktemp -d "$debs/.dl.XXXXXX")
  if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2); then
    rm -rf "${tmp:?}"
    cannot_download "cannot download '$pkg' with apt-get; check the network and the Debian mirror"
  fi
  mv "$tmp"/*.deb "$debs/"
  rm -rf "${tmp:?}"
}
for pkg in "$kpkg" busybox-static qemu-guest-agent; do
  fetch "$pkg"
done
# A kernel update renames the image package; drop the old 70 MB archives.
for old in "$debs"/linux-image-*.deb; do
  case ${old##*/} in "${kpkg}_"*) ;; *) [ -f "$old" ] && rm -f "$old" && say "dropped old '${old##*/}'" ;; esac
done

# --- unpack -----------------------------------------------------------------
work=$out/work
rm -rf "${work:?}"
mkdir -p "$work"
unpack() {
  say "unpacking $1"
  mkdir -p "$work/$2"
  dpkg-deb -x "$(cached_deb "$1")" "$work/$2"
}
unpack "$kpkg" kernel
unpack busybox-static busybox
unpack qemu-guest-agent qga

kver=
for d in "$work/kernel/lib/modules"/*; do
  [ -d "$d" ] && kver=${d##*/} && break
done
if [ -z "$kver" ] || [ ! -f "$work/kernel/boot/vmlinuz-$kver" ]; then
  die "'$kpkg' has no kernel image or module tree"
fi
busybox=$work/busybox/bin/busybox
[ -x "$busybox" ] || die "'busybox-static' has no '/bin/busybox'"
qga=$work/qga/usr/sbin/qemu-ga
[ -x "$qga" ] || die "'qemu-guest-agent' has no '/usr/sbin/qemu-ga'"
say "kernel $kver"

# --- root tree --------------------------------------------------------------
root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" \
         "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/tmp" "$root/root" \
         "$root/var" "$root/mnt"
ln -s ../run "$root/var/run"

say "adding busybox and its applets"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  case $applet in busybox|init) continue ;; esac
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -s ../bin/busybox "$root/sbin/init"
cp "$init" "$root/init"
chmod 0755 "$root/init"

# busybox has no shutdown; qemu-ga's guest-shutdown runs
# '/sbin/shutdown -P|-H|-r +0 MESSAGE' and wants exit status 0.
cat >"$root/sbin/shutdown" <<'EOF'
#!/bin/sh
case ${1-} in
  -r) exec reboot ;;
  -H) exec halt ;;
  *) exec poweroff ;;
esac
EOF
chmod 0755 "$root/sbin/shutdown"

cat >"$root/etc/inittab" <<'EOF'
::respawn:/init ports
::ctrlaltdel:/bin/reboot
::shutdown:/bin/umount -a -r
EOF
cat >"$root/etc/os-release" <<'EOF'
PRETTY_NAME="vschan test guest (Debian 12 packages)"
NAME="vschan test guest"
ID=vschan-test
ID_LIKE=debian
VERSION_ID="12"
EOF
echo vschan-guest >"$root/etc/hostname"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

# qemu-ga from the package, with the libraries ldd resolves on this machine
# (the same Debian release) and the dynamic loader, at the paths it names.
say "adding qemu-ga and its libraries"
cp "$qga" "$root/usr/sbin/qemu-ga"
libs=$(ldd "$qga") || die "ldd cannot read '$qga'"
if echo "$libs" | grep -q 'not found'; then
  echo "$libs" >&2
  die "libraries of qemu-ga are missing on this machine; install qemu-guest-agent"
fi
for lib in $(echo "$libs" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
  say "  $lib"
done

# Modules: Debian builds virtio_pci, virtio_console, virtio_blk (the
# vhost-user-blk disk), virtiofs and fuse (which virtiofs needs) as modules.
# depmod (busybox's) on the unpacked tree gives the dependencies; copy the
# closure and index it again inside the image for the guest's modprobe.
say "adding modules"
"$busybox" depmod -b "$work/kernel" "$kver"
kmods=$work/kernel/lib/modules/$kver
want="kernel/drivers/virtio/virtio_pci.ko kernel/drivers/char/virtio_console.ko
      kernel/drivers/block/virtio_blk.ko kernel/fs/fuse/virtiofs.ko"
need=
for m in $want; do
  deps=$(sed -n "s|^$m:||p" "$kmods/modules.dep")
  [ -f "$kmods/$m" ] || die "'$kpkg' has no module '$m'"
  need="$need $m $deps"
done
for m in $need; do
  [ -f "$root/lib/modules/$kver/$m" ] && continue
  mkdir -p "$root/lib/modules/$kver/$(dirname "$m")"
  cp "$kmods/$m" "$root/lib/modules/$kver/$m"
  say "  $m"
done
cp "$kmods/modules.builtin" "$kmods/modules.order" "$root/lib/modules/$kver/"
"$busybox" depmod -b "$root" "$kver"

# --- pack -------------------------------------------------------------------
say "packing '$out/initrd.img'"
(cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0) |
  gzip -9 >"$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
rm -rf "${work:?}"
say "done: '$out/vmlinuz' ($kver), '$out/initrd.img' ($(wc -c <"$out/initrd.img") bytes)"
