# shellcheck shell=sh
# A throw-away system libvirtd for tests and benchmarks, sourced by
# tests/virt/run-virt.sh and bench/hotplug.sh.
#
#   private_libvirtd_start DIR   start it; 0 up, else 1 with the reason in
#                                $PRIVATE_LIBVIRTD_WHY.  Sets
#                                PRIVATE_LIBVIRTD_TCP  qemu+tcp://127.0.0.1:PORT/system
#                                PRIVATE_LIBVIRTD_UNIX qemu+unix:///system?socket=...
#   private_libvirtd_stop        stop it, its domains and their QEMU
#   private_libvirtd_kvm         0 when the daemon offers KVM for x86_64
#                                guests, else 1 (TCG only)
#
# Private: a system daemon reads /etc/libvirt and keeps its state in
# /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt,
# paths no option moves.  The daemon runs in a mount namespace of its own
# in which DIR/etc, DIR/run, DIR/lib, DIR/cache and DIR/log are mounted
# over them, so it shares nothing with a system libvirtd (which may run),
# and what it leaves goes with DIR.  Its qemu.conf runs QEMU as root (so
# KVM works wherever root may open /dev/kvm), writes QEMU's output to a
# file (no virtlogd), and uses no cgroups, no per-QEMU namespaces and no
# security driver (nothing written to the host's AppArmor profiles or
# cgroup tree).  Its unix sockets are in DIR/sock, outside the namespace;
# TCP listens on 127.0.0.1 only, with auth none.
#
# Globals: PRIVATE_LIBVIRTD_* and _pl_* only (sourcing this file changes
# no variable of the script that sources it).  Safe under set -e.

# shellcheck disable=SC2034  # PRIVATE_LIBVIRTD_* are read by the scripts that source this one
private_libvirtd_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The host directories the namespace mounts over, and DIR's name for each.
_pl_mounts="/etc/libvirt:etc /run/libvirt:run /var/lib/libvirt:lib /var/cache/libvirt:cache /var/log/libvirt:log"

private_libvirtd_start() {
  _pl_dir=${1:?private_libvirtd_start needs a directory}
  PRIVATE_LIBVIRTD_WHY=""
  _pl_daemon="" _pl_made=""
  for _pl_tool in libvirtd unshare virsh; do
    if ! command -v "$_pl_tool" >/dev/null; then
      PRIVATE_LIBVIRTD_WHY="'$_pl_tool' is not installed (scripts/install-deps)"
      return 1
    fi
  done
  if [ "$(id -u)" -ne 0 ]; then
    PRIVATE_LIBVIRTD_WHY="a system libvirtd needs root"
    return 1
  fi
  _pl_port=$(private_libvirtd_free_port) || {
    PRIVATE_LIBVIRTD_WHY="no free TCP port on 127.0.0.1"
    return 1
  }
  mkdir -p "$_pl_dir/sock" || return 1
  set --
  for _pl_m in $_pl_mounts; do
    mkdir -p "$_pl_dir/${_pl_m#*:}" || return 1
    # A mount point must exist; one made here is removed again on stop.
    if [ ! -d "${_pl_m%%:*}" ]; then
      mkdir -p "${_pl_m%%:*}" || return 1
      _pl_made="$_pl_made ${_pl_m%%:*}"
    fi
    set -- "$@" "$_pl_dir/${_pl_m#*:}" "${_pl_m%%:*}"
  done
  cat >"$_pl_dir/libvirtd.conf" <<EOF
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$_pl_port"
auth_tcp = "none"
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_dir = "$_pl_dir/sock"
log_outputs = "3:file:$_pl_dir/libvirtd.log"
EOF
  cat >"$_pl_dir/etc/qemu.conf" <<EOF
# written by tests/virt/private-libvirtd.sh
user = "root"
group = "root"
stdio_handler = "file"
cgroup_controllers = []
namespaces = []
security_driver = "none"
EOF
  # unshare execs the shell, the shell mounts (pairs of arguments up to
  # --) and execs libvirtd: $! is the daemon.
  # shellcheck disable=SC2016  # expanded by that shell
  unshare --mount --propagation private sh -c '
    while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 1; shift 2; done
    shift
    exec "$@"' private-libvirtd "$@" -- \
    libvirtd --listen --config "$_pl_dir/libvirtd.conf" --pid-file "$_pl_dir/libvirtd.pid" \
    >"$_pl_dir/libvirtd.out" 2>&1 &
  _pl_daemon=$!
  PRIVATE_LIBVIRTD_TCP="qemu+tcp://127.0.0.1:$_pl_port/system"
  PRIVATE_LIBVIRTD_UNIX="qemu+unix:///system?socket=$_pl_dir/sock/libvirt-sock"
  # A bounded wait for a condition (the socket answers), not a fixed
  # sleep: libvirtd announces readiness to nobody but systemd.  Up to
  # 60 s: the first start on a busy machine probes QEMU for seconds.
  for _ in $(seq 600); do
    if [ -S "$_pl_dir/sock/libvirt-sock" ] && virsh -c "$PRIVATE_LIBVIRTD_UNIX" uri >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$_pl_daemon" 2>/dev/null || break
    sleep 0.1
  done
  PRIVATE_LIBVIRTD_WHY="libvirtd did not come up on 127.0.0.1:$_pl_port: $(tail -3 "$_pl_dir/libvirtd.out" "$_pl_dir/libvirtd.log" 2>/dev/null)"
  return 1
}

private_libvirtd_kvm() {
  virsh -c "$PRIVATE_LIBVIRTD_UNIX" domcapabilities --virttype kvm --arch x86_64 >/dev/null 2>&1
}

private_libvirtd_stop() {
  if [ -n "${_pl_daemon:-}" ]; then
    # Transient test domains go with their QEMU.
    for _pl_d in $(virsh -c "$PRIVATE_LIBVIRTD_UNIX" list --name 2>/dev/null); do
      virsh -c "$PRIVATE_LIBVIRTD_UNIX" destroy "$_pl_d" >/dev/null 2>&1 || :
    done
    kill "$_pl_daemon" 2>/dev/null || :
    wait "$_pl_daemon" 2>/dev/null || :
    _pl_daemon=""
    # A QEMU the daemon could not stop: its pid file is in DIR/run/qemu.
    for _pl_pidfile in "$_pl_dir"/run/qemu/*.pid; do
      [ -f "$_pl_pidfile" ] || continue
      _pl_pid=$(cat "$_pl_pidfile" 2>/dev/null) || continue
      case $(readlink "/proc/$_pl_pid/exe" 2>/dev/null) in
      */qemu-system-*) kill "$_pl_pid" 2>/dev/null || : ;;
      esac
    done
  fi
  for _pl_m in ${_pl_made:-}; do
    rmdir "$_pl_m" 2>/dev/null || :
  done
  _pl_made=""
}
