# shellcheck shell=sh
# A throw-away system libvirtd for tests and benchmarks, sourced by
# tests/virt/run-virt.sh and bench/hotplug.sh.
#
#   private_libvirtd_start DIR   start it; 0 up, else 1 with the reason in
#                                $PRIVATE_LIBVIRTD_WHY.  Sets
#                                PRIVATE_LIBVIRTD_TCP  qemu+tcp://127.0.0.1:PORT/system
#                                PRIVATE_LIBVIRTD_UNIX qemu+unix:///system?socket=...
#   private_libvirtd_stop        stop it and what it started, delete what it
#                                created outside DIR
#
# Everything it can keep private is in DIR: config, its unix sockets, pid
# file, log.  TCP listens on 127.0.0.1 only with auth none.  The QEMU driver
# of a system daemon keeps its state in /run/libvirt; it refuses to run when
# another libvirt daemon is up, so nothing is shared, and removes the
# runtime directories it created.  QEMU output goes through virtlogd (the
# Debian qemu.conf default), so a private one runs when none does.

# shellcheck disable=SC2034  # PRIVATE_LIBVIRTD_* are read by the scripts that source this one
private_libvirtd_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

private_libvirtd_start() {
  _pl_dir=$1
  PRIVATE_LIBVIRTD_WHY=""
  _pl_daemon="" _pl_logd=""
  if ! command -v libvirtd >/dev/null; then
    PRIVATE_LIBVIRTD_WHY="libvirtd is not installed"
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    PRIVATE_LIBVIRTD_WHY="a system libvirtd needs root"
    return 1
  fi
  if [ -S /run/libvirt/libvirt-sock ] || pgrep -x libvirtd >/dev/null || pgrep -x virtqemud >/dev/null; then
    PRIVATE_LIBVIRTD_WHY="a libvirt daemon already runs on this machine; not starting a second one"
    return 1
  fi
  _pl_port=$(private_libvirtd_free_port)
  mkdir -p "$_pl_dir/sock" /run/libvirt
  find /run/libvirt -mindepth 1 -maxdepth 1 -printf '%f\n' >"$_pl_dir/run-before"
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
  if [ ! -S /run/libvirt/virtlogd-sock ]; then
    if ! command -v virtlogd >/dev/null; then
      PRIVATE_LIBVIRTD_WHY="virtlogd is not installed"
      return 1
    fi
    virtlogd --pid-file "$_pl_dir/virtlogd.pid" >"$_pl_dir/virtlogd.out" 2>&1 &
    _pl_logd=$!
  fi
  libvirtd --listen --config "$_pl_dir/libvirtd.conf" --pid-file "$_pl_dir/libvirtd.pid" \
    >"$_pl_dir/libvirtd.out" 2>&1 &
  _pl_daemon=$!
  PRIVATE_LIBVIRTD_TCP="qemu+tcp://127.0.0.1:$_pl_port/system"
  PRIVATE_LIBVIRTD_UNIX="qemu+unix:///system?socket=$_pl_dir/sock/libvirt-sock"
  for _ in $(seq 100); do
    if virsh -c "$PRIVATE_LIBVIRTD_TCP" uri >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$_pl_daemon" 2>/dev/null || break
    sleep 0.1
  done
  PRIVATE_LIBVIRTD_WHY="libvirtd did not come up on 127.0.0.1:$_pl_port: $(tail -3 "$_pl_dir/libvirtd.out" "$_pl_dir/libvirtd.log" 2>/dev/null)"
  return 1
}

private_libvirtd_stop() {
  if [ -n "${_pl_daemon:-}" ]; then
    # Transient test domains go with their QEMU.
    for _pl_d in $(virsh -c "$PRIVATE_LIBVIRTD_TCP" list --name 2>/dev/null); do
      virsh -c "$PRIVATE_LIBVIRTD_TCP" destroy "$_pl_d" >/dev/null 2>&1
      rm -f "/var/log/libvirt/qemu/$_pl_d.log"*
    done
    kill "$_pl_daemon" 2>/dev/null
    wait "$_pl_daemon" 2>/dev/null
    _pl_daemon=""
  fi
  if [ -n "${_pl_logd:-}" ]; then
    kill "$_pl_logd" 2>/dev/null
    wait "$_pl_logd" 2>/dev/null
    rm -f /run/libvirt/virtlogd-sock /run/libvirt/virtlogd-admin-sock
    _pl_logd=""
  fi
  if [ -n "${_pl_dir:-}" ] && [ -f "$_pl_dir/run-before" ]; then
    find /run/libvirt -mindepth 1 -maxdepth 1 -printf '%f\n' | while read -r _pl_entry; do
      grep -qxF "$_pl_entry" "$_pl_dir/run-before" || rm -rf "/run/libvirt/${_pl_entry:?}"
    done
    rm -f "$_pl_dir/run-before"
  fi
}
