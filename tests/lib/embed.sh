# Sourced by test scripts (sh or bash): the shell side of tests/lib/embed.c,
# for an embed root of libvirt's QEMU driver (qemu:///embed?root=ROOT)
# prepared by embed-root.sh.
#
# embed_domains ROOT
#   The names of the domains that have a QEMU pid file in ROOT (running, or
#   left behind by a crash).  driver.pid is the driver's own lock, not a
#   domain.
#
# embed_virsh ROOT 'CMD; CMD...'                                    (bash)
#   Runs the commands in one virsh process on the root and prints what they
#   print.  Exit status: that of the last command.
#
#   Why not plain virsh: every process that opens the embedded driver
#   reconnects to each running QEMU in a thread of its own, and libvirt 9.0
#   crashes when the process exits before those threads are done (CI saw
#   'virsh define' segfault while two domains ran).  A monitor command waits
#   for its domain's reconnection, so one goes to each domain first; their
#   output is dropped (up to a marker that 'virsh -q echo' prints without a
#   newline).  vschan does the same in vsc_virt_embed_settle().
#
# embed_kill_qemus ROOT
#   Kills the QEMU processes of the root's pid files, for a cleanup after
#   libvirt could not stop them (a pid file whose process is no QEMU any
#   more is left alone).

embed_domains() {
  for _embed_pidfile in "$1"/run/qemu/*.pid; do
    [ -f "$_embed_pidfile" ] || continue
    _embed_name=${_embed_pidfile##*/}
    _embed_name=${_embed_name%.pid}
    [ "$_embed_name" = driver ] || printf '%s\n' "$_embed_name"
  done
}

embed_virsh() {
  local root=$1 settle="" name
  for name in $(embed_domains "$root"); do
    settle+="qemu-monitor-command '$name' '{\"execute\":\"query-status\"}'; "
  done
  LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-"3:file:$root/libvirt.log"} \
    virsh -q -c "qemu:///embed?root=$root" "${settle}echo embed-virsh-settled; $2" |
    awk -v m=embed-virsh-settled 'seen { print; next }
      (i = index($0, m)) { seen = 1; $0 = substr($0, i + length(m)); if ($0 != "") print }'
  return "${PIPESTATUS[0]}"
}

embed_kill_qemus() {
  for _embed_name in $(embed_domains "$1"); do
    _embed_pid=$(cat "$1/run/qemu/$_embed_name.pid" 2>/dev/null) || continue
    case $(readlink "/proc/$_embed_pid/exe" 2>/dev/null) in
    */qemu-system-*) kill "$_embed_pid" 2>/dev/null ;;
    esac
  done
}
