#!/bin/bash
# 'vschan agent' through the binary against the real qemu-ga, run on this
# host in unix-listen mode.  qemu-ga runs commands as the current user on
# the HOST: commands that change the machine are blocked with -b (which
# also shows how a disabled command is reported), files stay in a
# temporary directory.
#   cli-qga.sh VSCHAN
VSCHAN=$1
. "$(dirname "$0")/cli-lib.sh"

[ -x "$VSCHAN" ] || skip "'$VSCHAN' is not built yet"
QGA=
for q in /usr/sbin/qemu-ga /usr/bin/qemu-ga; do [ -x "$q" ] && QGA=$q && break; done
[ -n "$QGA" ] || skip "qemu-ga not found (install Debian's qemu-guest-agent)"

BLOCKED=guest-shutdown,guest-suspend-disk,guest-suspend-ram,guest-suspend-hybrid
BLOCKED=$BLOCKED,guest-fsfreeze-freeze,guest-fsfreeze-freeze-list,guest-fsfreeze-thaw,guest-fstrim
BLOCKED=$BLOCKED,guest-set-user-password,guest-set-time,guest-set-vcpus,guest-set-memory-blocks
BLOCKED=$BLOCKED,guest-ssh-add-authorized-keys,guest-ssh-remove-authorized-keys

DIR=$(mktemp -d /tmp/vschan-agent-cli-XXXXXX)
TEST_TMP=$DIR
SOCK=$DIR/qga.sock
export VSCHAN_LOCK_DIR=$DIR
mkdir "$DIR/state"
"$QGA" -m unix-listen -p "$SOCK" -t "$DIR/state" -f "$DIR/qga.pid" -l "$DIR/qga.log" -b "$BLOCKED" &
QPID=$!
trap 'kill $QPID 2>/dev/null; wait $QPID 2>/dev/null; rm -rf "${DIR:?}"' EXIT
wait_socket || { echo "FAIL: qemu-ga did not start"; cat "$DIR/qga.log"; exit 1; }

agent ping;                 expect 0 "ping" '^the guest agent answers$'
agent --json ping;          expect 0 "ping --json" '^\{\}$'
agent info;                 expect 0 "info table" '^COMMAND +ENABLED +REPLIES'
grep -Eq '^guest-shutdown +no +no$' "$DIR/out" && ok "info: blocked guest-shutdown is disabled, no reply" \
  || { fail "info: guest-shutdown row"; show_run; }
agent --json info;          expect 0 "info --json" '"supported_commands"'
agent osinfo;               expect 0 "osinfo" '^kernel-release +'
agent hostname;             expect 0 "hostname" "^$(hostname)\$"
agent time;                 expect 0 "time" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$'
agent --json time;          expect 0 "time --json" '^[0-9]{19}$'
agent interfaces;           expect 0 "interfaces" '^lo +00:00:00:00:00:00 +127\.0\.0\.1/8'
agent --json interfaces;    expect 0 "interfaces --json" '"ip-address-type"'
agent fsinfo;               expect 0 "fsinfo" '^MOUNTPOINT +TYPE'
agent users;                expect 0 "users" '^USER +DOMAIN +LOGIN-TIME'
agent fsfreeze status;      expect 0 "fsfreeze status" '^thawed$'
agent fsfreeze freeze;      expect 3 "fsfreeze freeze blocked" '' "'guest-fsfreeze-freeze' is not allowed by guest policy"
agent fsfreeze melt;        expect 2 "fsfreeze bad action" '' "unknown fsfreeze action 'melt'"
agent --timeout "$TEST_LONG_S" shutdown
expect 3 "shutdown blocked: the error comes back at once" '' "Command guest-shutdown has been disabled" "$AT_ONCE_MS"
agent reboot;               expect 3 "reboot blocked" '' "not allowed by guest policy"
agent set-password nobody < <(echo pw)
expect 3 "set-password blocked" '' "guest-set-user-password' is not allowed by guest policy"

agent exec -- /bin/sh -c 'echo out; echo err >&2; exit 3'
expect 3 "exec: exit status 3" '^out$' '^err$'
[ "$out" = out ] && ok "exec: stdout exactly" || { fail "exec: stdout exactly"; show_run; }
agent exec --stdin -- /bin/cat < <(echo hello)
expect 0 "exec --stdin" '^hello$'
agent exec --env VSCHAN_T=env-ok -- /bin/sh -c 'echo $VSCHAN_T'
expect 0 "exec --env" '^env-ok$'
agent --json exec -- /bin/sh -c 'echo hi; exit 5'
expect 5 "exec --json" '"out-data": "aGkK"'
agent exec -- /bin/sh -c 'kill -TERM $$'
expect 143 "exec: killed by a signal" '' 'killed by signal 15'
agent exec --timeout 0.2 -- /bin/sleep 2
expect 3 "exec --timeout" '' 'has not exited after 0.200 s' "$(deadline_ms 0.2)"
agent exec -- /no/such/program
expect 3 "exec: missing program" '' '/no/such/program'
agent exec
expect 2 "exec without program" '' 'exec needs a program'

head -c 6000123 /dev/urandom >"$DIR/big"
agent file-put "$DIR/big" "$DIR/big.guest"
expect 0 "file-put 6 MB" '^copied 6000123 bytes'
agent file-get "$DIR/big.guest" "$DIR/big.back"
expect 0 "file-get 6 MB" '^copied 6000123 bytes'
cmp -s "$DIR/big" "$DIR/big.back" && ok "file round trip: same bytes" || fail "file round trip: bytes differ"
printf 'a\0b\377c' >"$DIR/small"
agent file-get "$DIR/small" - 
cmp -s "$DIR/small" "$DIR/out" && ok "file-get to stdout, binary" || { fail "file-get to stdout"; show_run; }
# An interrupted copy closes the guest's file handle; one left open would
# stay open in qemu-ga until it restarts.  40 MiB take seconds in chunks of
# 1 MiB, so the INT comes mid-copy: as soon as qemu-ga has the file open.
head -c $((40 << 20)) /dev/zero >"$DIR/huge.guest"
"$VSCHAN" agent --socket "$SOCK" file-get "$DIR/huge.guest" "$DIR/huge.back" >"$DIR/out" 2>"$DIR/err" &
copy=$!
wait_for "$TEST_LONG_S" eval 'ls -l "/proc/$QPID/fd" 2>/dev/null | grep -q huge.guest' ||
  fail "file-get: qemu-ga never opened the file"
kill -INT "$copy"
wait "$copy"
rc=$?
open=$(ls -l "/proc/$QPID/fd" 2>/dev/null | grep -c huge.guest)
grep -q "interrupted.*handle was closed.*\[agent-interrupted\]" "$DIR/err" && [ "$open" -eq 0 ] &&
  [ ! -e "$DIR/huge.back" ] && ok "file-get interrupted: the guest's handle is closed, nothing left here" ||
  fail "file-get interrupted: rc $rc, $open handle(s) open in qemu-ga, stderr: $(cat "$DIR/err")"
rm -f "$DIR/huge.guest"

# A FIFO (as /dev/null) is written through, not replaced by a renamed file.
mkfifo "$DIR/fifo"
cat "$DIR/fifo" >"$DIR/through-fifo" &
reader=$!
agent file-get "$DIR/small" "$DIR/fifo"
wait "$reader"
[ -p "$DIR/fifo" ] && cmp -s "$DIR/small" "$DIR/through-fifo" && ok "file-get into a FIFO: written through, still a FIFO" ||
  fail "file-get into a FIFO (rc $rc): $(ls -l "$DIR/fifo")"
agent file-put - "$DIR/from-stdin" < <(printf 'from stdin')
[ "$(cat "$DIR/from-stdin")" = "from stdin" ] && ok "file-put from stdin" || { fail "file-put from stdin"; show_run; }
agent file-get "$DIR/no-such" "$DIR/x"
expect 3 "file-get of a missing file" '' "'guest-file-open' failed.*No such file"
[ ! -e "$DIR/x" ] && ok "file-get: nothing left behind" || fail "file-get left a file"
agent file-put "$DIR/no-such" "$DIR/y"
expect 2 "file-put of a missing local file" '' "cannot open"

agent raw '{"execute":"guest-get-timezone"}'
expect 0 "raw" '"offset"'
agent raw '{"execute":'
expect 2 "raw: bad JSON" '' 'not valid JSON'
agent raw '{"execute":"guest-no-such"}'
expect 3 "raw: unknown command" '' "'guest-no-such' is not allowed by guest policy"

run "$VSCHAN" agent ping
expect 2 "no --socket and no DOMAIN: usage error naming both" '' "name a DOMAIN"
run "$VSCHAN" -c test:///default agent no-such-vm --json ping
expect 3 "DOMAIN form, options after the domain: libvirt's error for an unknown domain" '' "no-such-vm"
agent frobnicate;           expect 2 "unknown command" '' "unknown agent command 'frobnicate'"
agent ping extra;           expect 2 "extra argument" '' "wrong number of arguments"
agent --timeout 0 ping
expect 2 "bad timeout" '' "invalid timeout '0'"
run "$VSCHAN" agent --help
expect 0 "--help" '^Examples:'

# Options anywhere: every verb with its options after its operands (and
# --socket after the verb) exits and prints as with them before.  Verbs
# whose answer changes from one call to the next (time, fsinfo) are
# compared by shape.
printf 'copy me' >"$DIR/anywhere"
tried=
anywhere() {  # NAME STDOUT-REGEX VERB [ARG]...: --json before, then after
  local name=$1 re=$2 verb=$3 rc_before
  shift 2
  tried="$tried $verb"
  "$VSCHAN" agent --socket "$SOCK" --json "$@" >"$DIR/before" 2>"$DIR/before.err" < <(echo pw)
  rc_before=$?
  "$VSCHAN" agent "$@" --json --socket "$SOCK" >"$DIR/out" 2>"$DIR/err" < <(echo pw)
  RC=$?
  if [ "$RC" != "$rc_before" ]; then fail "$name after the operands: exit $RC, before them $rc_before"; return; fi
  if [ -z "$re" ]; then
    cmp -s "$DIR/before" "$DIR/out" && cmp -s "$DIR/before.err" "$DIR/err" ||
      { fail "$name after the operands: printed other than before them"; return; }
    grep -q . "$DIR/out" "$DIR/err" || { fail "$name: printed nothing"; return; }
  elif ! grep -Eq -- "$re" "$DIR/before" || ! grep -Eq -- "$re" "$DIR/out"; then
    fail "$name: stdout lacks /$re/ before or after the operands"; return
  fi
  ok "$name: options after the operands (exit $RC)"
}
# loaded: the last run wrote $DIR/out and $DIR/err; take them as run would.
loaded() { rc=$?; out=$(cat "$DIR/out"); err=$(cat "$DIR/err"); ms=; }
anywhere "ping" '' ping
anywhere "info" '' info
anywhere "osinfo" '' osinfo
anywhere "hostname" '' hostname
anywhere "time" '^[0-9]{19}$' time
anywhere "interfaces" '' interfaces
anywhere "fsinfo" '"mountpoint"' fsinfo
anywhere "users" '' users
# exec: what follows PROGRAM is the program's, so its options go between.
"$VSCHAN" agent --socket "$SOCK" --json exec -- /bin/echo hi >"$DIR/before" 2>&1
"$VSCHAN" agent exec --json --socket "$SOCK" -- /bin/echo hi >"$DIR/out" 2>"$DIR/err"; rc=$?
out=$(cat "$DIR/out") err=$(cat "$DIR/err") ms=
tried="$tried exec"
expect 0 "exec: options between the verb and PROGRAM" '"out-data": "aGkK"'
[ "$(grep -v '"pid"' "$DIR/before")" = "$(grep -v '"pid"' "$DIR/out")" ] && ok "exec: the same status, the pid aside" ||
  fail "exec: the same status, the pid aside"
anywhere "file-get" '' file-get "$DIR/anywhere" "$DIR/anywhere.back"
anywhere "file-put" '' file-put "$DIR/anywhere" "$DIR/anywhere.guest"
anywhere "fsfreeze" '' fsfreeze status
anywhere "shutdown (blocked)" '' shutdown
anywhere "reboot (blocked)" '' reboot
anywhere "set-password (blocked)" '' set-password nobody
anywhere "raw" '' raw '{"execute":"guest-get-timezone"}'
verbs=$("$VSCHAN" agent --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)\( | \([a-z]*\)\)\{0,1\}.*/\1 \3/p')
[ "$(echo "$verbs" | wc -w)" -ge 16 ] && ok "agent --help lists $(echo "$verbs" | wc -w) verbs" ||
  fail "read only '$verbs' from agent --help"
for verb in $verbs; do
  case " $tried " in *" $verb "*) ok "$verb: tried with options after its operands" ;;
    *) fail "$verb: not tried with options after its operands" ;; esac
done
# The verbs' own options after their operands too, and the agent's after
# the verb.
agent exec --env VSCHAN_T=env-ok -- /bin/sh -c 'echo $VSCHAN_T'
before=$out
"$VSCHAN" agent exec --socket "$SOCK" --env VSCHAN_T=env-ok /bin/sh -c 'echo $VSCHAN_T' >"$DIR/out" 2>"$DIR/err"; loaded
expect 0 "exec: its options and the agent's between the verb and PROGRAM" '^env-ok$'
[ "$(cat "$DIR/out")" = "$before" ] && ok "exec --env: the same output" || fail "exec --env: the same output"
"$VSCHAN" agent --socket "$SOCK" exec /bin/echo --json -n x >"$DIR/out" 2>"$DIR/err"; loaded
expect 0 "exec: what follows PROGRAM is the program's, options too" '^--json -n x$'
agent set-password nobody --crypted < <(echo pw)
expect 3 "set-password USER --crypted" '' "guest-set-user-password' is not allowed by guest policy"
"$VSCHAN" agent --socket "$SOCK" ping --timeout 0 >"$DIR/out" 2>"$DIR/err"; loaded
expect 2 "--timeout after the verb is the agent's" '' "invalid timeout '0'"
# "--" ends the options: a guest path that starts with '-'.
agent file-get -- -no-such "$DIR/x"
expect 3 "file-get -- -PATH: a path, not an option" '' "'guest-file-open' failed.*No such file"
agent file-get -no-such "$DIR/x"
expect 2 "file-get -PATH: an option" '' "unknown option '-n'"

kill -0 $QPID 2>/dev/null && ok "qemu-ga is still running (every connection drained)" \
  || fail "qemu-ga exited"
summary
