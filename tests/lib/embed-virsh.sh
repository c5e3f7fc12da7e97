# Sourced by test scripts (bash): virsh on libvirt's embedded QEMU driver.
#
# embed_virsh ROOT 'CMD; CMD...'
#   Runs the commands in one virsh process on qemu:///embed?root=ROOT and
#   prints what they print.  Exit status: that of the last command.
#
# Why not plain virsh: every process that opens the embedded driver
# reconnects to each running QEMU in a thread of its own, and libvirt 9.0
# crashes when the process exits before those threads are done (CI saw
# 'virsh define' segfault while two domains ran).  A monitor command waits
# for its domain's reconnection, so one goes to each domain that has a pid
# file, before the caller's commands; their output is dropped (up to a
# marker that 'virsh -q echo' prints without a newline).  vschan
# itself does the same in src/virt/conn.c (embed_settle).
embed_virsh() {
  local root=$1 settle="" pidfile name
  for pidfile in "$root"/run/qemu/*.pid; do
    [ -f "$pidfile" ] || continue
    name=$(basename "$pidfile" .pid)
    [ "$name" != driver ] || continue # the embedded driver's own lock
    settle+="qemu-monitor-command '$name' '{\"execute\":\"query-status\"}'; "
  done
  LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-"3:file:$root/libvirt.log"} \
    virsh -q -c "qemu:///embed?root=$root" "${settle}echo embed-virsh-settled; $2" |
    awk -v m=embed-virsh-settled 'seen { print; next }
      (i = index($0, m)) { seen = 1; $0 = substr($0, i + length(m)); if ($0 != "") print }'
  return "${PIPESTATUS[0]}"
}
