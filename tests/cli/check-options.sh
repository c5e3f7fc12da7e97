#!/bin/bash
# Options anywhere on the line, as with virsh and GNU tools: for every
# command, an option after the operands does what it does before them
# (same exit status, same output, and the option had its effect), and
# "--" ends the options so that an operand may start with '-'.  The
# libvirt commands run against libvirt's test driver with a node of one
# domain (tests/completions/testnode.xml): what they print shows that the
# operands and options were read, whether the driver then does the change
# or refuses it.  The agent's verbs are checked against the real qemu-ga in
# tests/agent/cli-qga.sh.  Usage: check-options.sh VSCHAN SOURCE_DIR
set -u
vschan=$1 src=$2
dir=$(mktemp -d /tmp/vschan-options-XXXXXX)
trap 'rm -rf "${dir:?}"' EXIT
pass=0 fail=0 pairs=0
node="test://$src/tests/completions/testnode.xml"
spec=$src/tests/cases/channel/unix-bind/spec.json
dom=$src/examples/vm.xml
printf '<devices/>\n' >"$dir/empty.xml"
printf 'memory: 512\n' >"$dir/100.conf"

ok() { pass=$((pass + 1)); }
not_ok() { echo "FAIL $1"; fail=$((fail + 1)); }

# run OUT-PREFIX ARGS...: vschan ARGS, stdout and stderr to files, the
# exit status in $rc.
run() {
  local prefix=$1
  shift
  "$vschan" "$@" >"$prefix.out" 2>"$prefix.err" </dev/null
  rc=$?
}

# same NAME RC PATTERN BEFORE AFTER: BEFORE and AFTER (each one string,
# split on spaces) exit RC with the same stdout and stderr, and PATTERN
# (an extended regex; '' for none) is in what they print, which shows the
# option acted.
same() {
  local name=$1 want=$2 pattern=$3 before=$4 after=$5 rc_before
  pairs=$((pairs + 1))
  # shellcheck disable=SC2086
  run "$dir/before" $before
  rc_before=$rc
  # shellcheck disable=SC2086
  run "$dir/after" $after
  if [ "$rc_before" -ne "$want" ] || [ "$rc" -ne "$want" ]; then
    not_ok "$name: exit $rc_before before, $rc after, expected $want"
    sed 's/^/  | /' "$dir/before.err" "$dir/after.err"
    return
  fi
  if cmp -s "$dir/before.out" "$dir/after.out" && cmp -s "$dir/before.err" "$dir/after.err"; then ok; else
    not_ok "$name: '$after' printed other than '$before'"
    diff "$dir/before.out" "$dir/after.out" | head -5
    diff "$dir/before.err" "$dir/after.err" | head -5
  fi
  if [ -z "$pattern" ] || cat "$dir/after.out" "$dir/after.err" | grep -Eq -- "$pattern"; then ok; else
    not_ok "$name: the output lacks /$pattern/"
    head -5 "$dir/after.out" "$dir/after.err"
  fi
}

# GNU getopt would stop at the first operand with POSIXLY_CORRECT set;
# vschan reads the whole line the same way whatever the environment says.
export POSIXLY_CORRECT=1

# Commands without libvirt.
same "xml -o" 0 '' "xml -o $dir/o.xml $spec" "xml $spec -o $dir/o.xml"
grep -q 'org.example.app.0' "$dir/o.xml" && ok || not_ok "xml SPEC -o FILE: FILE lacks the channel"
same "xml --into" 0 '<domain' "xml --into $dom $spec" "xml $spec --into $dom"
same "xml --channel" 0 'org\.example\.b\.0' "xml --channel unix,path=/run/b.sock,name=org.example.b.0 $spec" \
  "xml $spec --channel unix,path=/run/b.sock,name=org.example.b.0"
same "template list --json" 0 '"name": "guest-agent"' "template --json list" "template list --json"
same "template show --templates-dir" 0 'org\.qemu\.guest_agent\.0' \
  "template --templates-dir $src/templates show guest-agent" "template show guest-agent --templates-dir $src/templates"
same "validate --json" 0 '"valid":1' "validate --json --no-schema $spec" "validate $spec --json --no-schema"
same "validate --junit" 0 '3 files: 3 valid' "validate --junit $dir/j.xml --no-schema $dir/empty.xml $spec $dom" \
  "validate --no-schema $dir/empty.xml $spec $dom --junit $dir/j.xml"
grep -q '<testsuites' "$dir/j.xml" && ok || not_ok "validate FILE... --junit J: J is not a JUnit report"
same "qemu-args --argv" 0 '^-chardev$' "qemu-args --argv $spec" "qemu-args $spec --argv"
same "qemu-args --json" 0 '^\[' "qemu-args --json $spec" "qemu-args $spec --json"
same "qm --print-command" 0 '^qm set 100 ' "qm --print-command 100 $spec" "qm 100 $spec --print-command"
same "qm --json" 0 '"vmid": 100' "qm --json 100 $spec" "qm 100 $spec --json"
same "qm --write --dry-run" 0 '^\+args: ' "qm --write --dry-run --conf $dir/100.conf --lock-dir $dir 100 $spec" \
  "qm 100 $spec --write --dry-run --conf $dir/100.conf --lock-dir $dir"
same "agent --timeout (a bad value is read)" 2 "invalid timeout '0'" \
  "agent --socket $dir/none --timeout 0 ping" "agent ping --socket $dir/none --timeout 0"
same "agent --socket" 3 "$dir/none" "agent --socket $dir/none ping" "agent ping --socket $dir/none"

# The libvirt commands, on the test driver.
same "list --json" 0 '"ident": "ua-app"' "-c $node list --json vm1" "-c $node list vm1 --json"
same "list --inactive" 0 'persistent' "-c $node list --inactive vm1" "-c $node list vm1 --inactive"
same "add --config" 3 "to the persistent definition of 'vm1'" "-c $node add --config vm1 --template guest-agent" \
  "-c $node add vm1 --template guest-agent --config"
same "add --channel" 3 "channel 'ua-vschan-org-example-b-0'" \
  "-c $node add --channel unix,path=/run/b.sock,name=org.example.b.0 vm1" \
  "-c $node add vm1 --channel unix,path=/run/b.sock,name=org.example.b.0"
same "apply --dry-run --json" 0 '"dry_run": true' "-c $node apply --dry-run --json vm1 $spec" \
  "-c $node apply vm1 $spec --dry-run --json"
same "apply --prune" 0 'to remove' "-c $node apply --prune --dry-run vm1 --template guest-agent" \
  "-c $node apply vm1 --template guest-agent --dry-run --prune"
same "remove --config" 3 "channel 'ua-app' from the persistent definition" "-c $node remove --config vm1 ua-app" \
  "-c $node remove vm1 ua-app --config"
same "remove --timeout (a bad value is read)" 2 "--timeout takes a number" \
  "-c $node remove --timeout 0 vm1 ua-app" "-c $node remove vm1 ua-app --timeout 0"
same "wait-agent --timeout (a bad value is read)" 2 "--timeout takes a number" \
  "-c $node wait-agent --timeout 0 vm1" "-c $node wait-agent vm1 --timeout 0"
same "connect --drain-timeout (a bad value is read)" 2 "invalid drain timeout" \
  "-c $node connect --drain-timeout x vm1 serial0" "-c $node connect vm1 serial0 --drain-timeout x"
same "connect --socket" 2 "not both" "-c $node connect --socket $dir/s vm1 serial0" \
  "-c $node connect vm1 serial0 --socket $dir/s"

# Every command was tried.
. "$src/tests/lib/commands.sh"
for cmd in $(vsct_commands "$src"); do
  if grep -Eq "^same \"$cmd " "$0"; then ok; else not_ok "no check of options after the operands for '$cmd'"; fi
done

# "--" ends the options: what follows is an operand even when it starts
# with '-'; without "--" it is an unknown option.
dash() {  # NAME RC PATTERN ARGS...
  local name=$1 want=$2 pattern=$3
  shift 3
  run "$dir/dash" "$@"
  if [ "$rc" -eq "$want" ] && grep -Eq -- "$pattern" "$dir/dash.out" "$dir/dash.err"; then ok; else
    not_ok "$name: exit $rc (expected $want), output: $(head -c 300 "$dir/dash.err")"
  fi
}
dash "remove -- -IDENT: an operand" 1 "no device '-w'" -c "$node" remove vm1 -- -w
dash "remove -IDENT: an option" 2 "unknown option '-w'" -c "$node" remove vm1 -w
dash "xml -- -FILE: an operand" 2 "cannot (open|read) '-x.json'" xml -- -x.json
dash "validate -- -FILE: an operand" 2 "-x.xml" validate -- -x.xml
dash "qm -- VMID -FILE" 2 "-x.json" qm -- 100 -x.json
dash "template show -- -NAME" 1 "-x" template show -- -x
dash "agent -- VERB" 3 "$dir/none" agent --socket "$dir/none" -- ping

if [ "$pairs" -lt 25 ]; then not_ok "only $pairs pairs ran"; else ok; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
