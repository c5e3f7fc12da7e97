# shellcheck shell=sh
# shellcheck disable=SC2154  # $tmp, $out, $err, $rc come from run-virt.sh
# The txn-faults scenario of run-virt.sh (which sources this file): a
# libvirt failure part-way through a transaction leaves the domain exactly
# as it was (issue 8, "libvirt failure mid-transaction").
#
# VSCHAN_FAIL_LIBVIRT=attach:N (src/virt/fault.c) makes the N-th device
# attach of the vschan process fail as if libvirt had refused it, detach:N
# the N-th detach.  On a running persistent domain (so the default
# --persistent touches live and config), for every N:
#   add    of 4 devices: unix bind channel, pty channel, virtio console,
#          guestfwd on a unix socket (8 attaches: live + config each);
#   apply  --prune that replaces a channel (new socket path), removes the
#          guestfwd and adds a file channel and a unix channel
#          (4 detaches, then 6 attaches).
# Each failing run must exit 3 and name the device and the definition it
# failed in, and afterwards the domain must be as before: vschan's list,
# the devices of the live and of the persistent XML, the rest of both
# XMLs, QEMU's devices (/machine/peripheral) and chardevs, and the files
# in the device directory.  The count of calls is found by raising N until
# the run no longer fails; that last run succeeds and must show up in the
# same comparison, which proves the comparison sees changes.

# snapshot DOMAIN FILE: what a run may change, one fact per line, sorted:
# vschan's list, the live and the persistent XML, QEMU's devices and
# chardevs (vsct-virt snapshot; pty numbers masked) and the files in the
# device directory.  Two processes on the root, no more: the scenario
# takes dozens of snapshots, and each process that opens the root pays
# for the driver's start and a reconnection to QEMU.
snapshot() {
  s_rc=${rc:-0} s_out=${out:-} s_err=${err:-}
  vs list "$1" --json
  printf '%s\n' "$out" >"$tmp/snap.list"
  { virt_says snapshot "$1" "$tmp/snap.list"
    (cd "$devdir" && find . -mindepth 1 -printf 'file %P %y\n')
  } | LC_ALL=C sort >"$2"
  for kind in list live config qemu; do
    grep -q "^$kind " "$2" || fail "snapshot of '$1': no '$kind' facts"
  done
  rc=$s_rc out=$s_out err=$s_err
}

# same WHAT: the domain is as in $tmp/before.
same() {
  snapshot "$d" "$tmp/after"
  if cmp -s "$tmp/before" "$tmp/after"; then
    ok "$1: the domain is as before"
  else
    fail "$1: the domain changed (< before, > after):"
    diff "$tmp/before" "$tmp/after" | sed -n 's/^[<>]/  &/p' >&2
    printf '%s\n' "$err" | sed 's/^/  stderr: /' >&2
  fi
}

# fault_loop WHAT OP ALSO CALLS VSCHAN-ARGS...: run vschan with the N-th
# OP failing for N = 1, 2, ... (OP attach or detach; ALSO is added to
# VSCHAN_FAIL_LIBVIRT) until N is past the calls the run makes.  CALLS
# lists the calls in order, one a line: "kind 'alias'|live" or
# "...|persistent"; the failure must name that device and definition, and
# the domain must be as before.  Sets $calls to the count of OP calls;
# the last run (no OP failed) is left in $rc, $out and $err.
fault_loop() {
  what=$1 op=$2 also=$3 list=$4
  shift 4
  [ "$op" = attach ] && prep=to || prep=from
  n=1
  while :; do
    VSCHAN_FAIL_LIBVIRT=$op:$n$also
    export VSCHAN_FAIL_LIBVIRT
    vs -v "$@"
    unset VSCHAN_FAIL_LIBVIRT
    case $err in *"injected failure of $op call $n "*) ;; *) break ;; esac
    want=$(printf '%s\n' "$list" | sed -n "${n}p")
    expect 3 "$what, $op $n fails: exit status"
    has "$err" "cannot $op ${want%|*} $prep the ${want##*|} definition of '$d': injected" \
      "$what, $op $n fails: the error names ${want%|*} (${want##*|})"
    lacks "$err" "rollback:" "$what, $op $n fails: the rollback reports no failure"
    same "$what, $op $n fails"
    n=$((n + 1))
    [ "$n" -le 40 ] || { fail "$what: $op never stops failing"; break; }
  done
  calls=$((n - 1))
  expected=$(printf '%s\n' "$list" | grep -c .)
  if [ "$calls" -eq "$expected" ]; then
    ok "$what: $calls ${op}es, each failed once"
  else
    fail "$what: the run made $calls ${op}es, expected $expected"
  fi
}

changed() {  # changed WHAT: the domain is no longer as in $tmp/before
  snapshot "$d" "$tmp/after"
  if cmp -s "$tmp/before" "$tmp/after"; then
    fail "$1: the checks see no change"
  else
    ok "$1: the checks see the change"
  fi
}

socket() {  # socket NAME WHAT
  if [ -S "$devdir/$1" ]; then ok "$2: '$1' is there"; else fail "$2: no socket '$1'"; fi
}

sc_txn_faults() {
  begin
  d=vt-faults
  devdir=$tmp/d
  mkdir "$devdir" || exit 1
  t0=$(date +%s)
  # A device of the domain's own, with its listen socket: it must stay.
  start "$d" --devices "<channel type='unix'><source mode='bind' path='$devdir/keep.sock'/><target type='virtio' name='org.example.keep'/></channel>"

  unix="channel 'ua-vschan-org-example-unix'"
  pty="channel 'ua-vschan-org-example-pty'"
  gfwd="channel 'ua-vschan-guestfwd-10-0-2-1-4600'"
  cons="console 'ua-vschan-console-virtio-0'"
  file="channel 'ua-vschan-org-example-file'"
  new="channel 'ua-vschan-org-example-new'"
  chan() {  # chan NAME SOURCE-TYPE SOURCE-JSON
    printf '{"type":"%s",%s"target":{"type":"virtio","name":"org.example.%s"}}' "$2" "$3" "$1"
  }
  bind() { printf '"source":{"mode":"bind","path":"%s"},' "$devdir/$1"; }
  guestfwd="{\"type\":\"unix\",$(bind g.sock)\"target\":{\"type\":\"guestfwd\",\"address\":\"10.0.2.1\",\"port\":4600}}"
  console='{"type":"pty","target":{"type":"virtio"}}'

  # add: four devices of different kinds, each live, then config.
  spec add.json "\"channels\":[$(chan unix unix "$(bind u.sock)"),$(chan pty pty ''),$guestfwd],
    \"consoles\":[$console]"
  snapshot "$d" "$tmp/before"
  fault_loop add attach "" "$unix|live
$unix|persistent
$pty|live
$pty|persistent
$gfwd|live
$gfwd|persistent
$cons|live
$cons|persistent" add "$d" "$tmp/add.json"
  add_cases=$calls
  expect 0 "add: the run without a failure"
  changed "add"
  socket u.sock "add"
  socket g.sock "add"

  # apply --prune: replace unix (new path), keep pty and the console,
  # remove the guestfwd, add a file channel and another unix channel.
  # Removals come first (the replaced device, then the pruned one).
  spec apply.json "\"channels\":[$(chan unix unix "$(bind u2.sock)"),$(chan pty pty ''),
    $(chan file file "\"source\":{\"path\":\"$devdir/f.log\"},"),$(chan new unix "$(bind n.sock)")],
    \"consoles\":[$console]"
  snapshot "$d" "$tmp/before"
  vs apply "$d" "$tmp/apply.json" --prune --dry-run
  has "$out" "Plan: 2 to add, 1 to replace, 1 to remove" "apply: the plan"
  # Past the last detach, attach 1 fails (one failure per run: a detach
  # that failed first leaves the rollback's attaches alone), so no run of
  # this loop succeeds.
  fault_loop "apply" detach ",attach:1" "$unix|live
$unix|persistent
$gfwd|live
$gfwd|persistent" apply "$d" "$tmp/apply.json" --prune
  apply_detach_cases=$calls
  has "$err" "injected failure of attach call 1 " "apply: past the last detach, the first attach fails"
  same "apply, attach 1 fails after every detach"
  fault_loop "apply" attach "" "$unix|live
$unix|persistent
$file|live
$file|persistent
$new|live
$new|persistent" apply "$d" "$tmp/apply.json" --prune
  apply_attach_cases=$calls
  expect 0 "apply: the run without a failure"
  changed "apply"
  for f in u2.sock n.sock keep.sock; do socket "$f" "apply"; done
  if [ -f "$devdir/f.log" ]; then ok "apply: 'f.log' is there"; else fail "apply: no 'f.log'"; fi
  absent "$devdir/u.sock" "apply: the replaced socket is gone"
  absent "$devdir/g.sock" "apply: the pruned socket is gone"
  echo "cases: add $add_cases attach; apply $apply_detach_cases detach, $apply_attach_cases attach;" \
    "$(($(date +%s) - t0)) s"
}
