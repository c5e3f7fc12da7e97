#!/bin/bash
# 'vschan agent' through the binary against the real qemu-ga, run on this
# host in unix-listen mode.  qemu-ga runs commands as the current user on
# the HOST: commands that change the machine are blocked with -b (which
# also shows how a disabled command is reported), files stay in a
# temporary directory.
#   cli-qga.sh VSCHAN
VSCHAN=$1
. "$(dirname "$0")/cli-lib.sh"

[ -x "$VSCHAN" ] || skip_or_fail "'$VSCHAN' is not built yet"
QGA=
for q in /usr/sbin/qemu-ga /usr/bin/qemu-ga; do [ -x "$q" ] && QGA=$q && break; done
[ -n "$QGA" ] || skip_or_fail "qemu-ga not found (install Debian's qemu-guest-agent)"

BLOCKED=guest-shutdown,guest-suspend-disk,guest-suspend-ram,guest-suspend-hybrid
BLOCKED=$BLOCKED,guest-fsfreeze-freeze,guest-fsfreeze-freeze-list,guest-fsfreeze-thaw,guest-fstrim
BLOCKED=$BLOCKED,guest-set-user-password,guest-set-time,guest-set-vcpus,guest-set-memory-blocks
BLOCKED=$BLOCKED,guest-ssh-add-authorized-keys,guest-ssh-remove-authorized-keys

DIR=$(mktemp -d /tmp/vschan-agent-cli-XXXXXX)
SOCK=$DIR/qga.sock
export VSCHAN_LOCK_DIR=$DIR
mkdir "$DIR/state"
"$QGA" -m unix-listen -p "$SOCK" -t "$DIR/state" -f "$DIR/qga.pid" -l "$DIR/qga.log" -b "$BLOCKED" &
QPID=$!
trap 'kill $QPID 2>/dev/null; wait $QPID 2>/dev/null; rm -rf "$DIR"' EXIT
wait_socket || { echo "FAIL: qemu-ga did not start"; cat "$DIR/qga.log"; exit 1; }

agent ping;                 expect "ping" 0 '^the guest agent answers$'
agent --json ping;          expect "ping --json" 0 '^\{\}$'
agent info;                 expect "info table" 0 '^COMMAND +ENABLED +REPLIES'
grep -Eq '^guest-shutdown +no +no$' "$DIR/out" && ok "info: blocked guest-shutdown is disabled, no reply" \
  || not_ok "info: guest-shutdown row"
agent --json info;          expect "info --json" 0 '"supported_commands"'
agent osinfo;               expect "osinfo" 0 '^kernel-release +'
agent hostname;             expect "hostname" 0 "^$(hostname)\$"
agent time;                 expect "time" 0 '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$'
agent --json time;          expect "time --json" 0 '^[0-9]{19}$'
agent interfaces;           expect "interfaces" 0 '^lo +00:00:00:00:00:00 +127\.0\.0\.1/8'
agent --json interfaces;    expect "interfaces --json" 0 '"ip-address-type"'
agent fsinfo;               expect "fsinfo" 0 '^MOUNTPOINT +TYPE'
agent users;                expect "users" 0 '^USER +DOMAIN +LOGIN-TIME'
agent fsfreeze status;      expect "fsfreeze status" 0 '^thawed$'
agent fsfreeze freeze;      expect "fsfreeze freeze blocked" 3 '' "'guest-fsfreeze-freeze' is not allowed by guest policy"
agent fsfreeze melt;        expect "fsfreeze bad action" 2 '' "unknown fsfreeze action 'melt'"
agent shutdown;             expect "shutdown blocked: the error comes back at once" 3 '' \
                              "Command guest-shutdown has been disabled" 3000
agent reboot;               expect "reboot blocked" 3 '' "not allowed by guest policy"
agent set-password nobody < <(echo pw)
expect "set-password blocked" 3 '' "guest-set-user-password' is not allowed by guest policy"

agent exec -- /bin/sh -c 'echo out; echo err >&2; exit 3'
expect "exec: exit status 3" 3 '^out$' '^err$'
[ "$OUT" = out ] && ok "exec: stdout exactly" || not_ok "exec: stdout exactly"
agent exec --stdin -- /bin/cat < <(echo hello)
expect "exec --stdin" 0 '^hello$'
agent exec --env VSCHAN_T=env-ok -- /bin/sh -c 'echo $VSCHAN_T'
expect "exec --env" 0 '^env-ok$'
agent --json exec -- /bin/sh -c 'echo hi; exit 5'
expect "exec --json" 5 '"out-data": "aGkK"'
agent exec -- /bin/sh -c 'kill -TERM $$'
expect "exec: killed by a signal" 143 '' 'killed by signal 15'
agent exec --timeout 0.2 -- /bin/sleep 2
expect "exec --timeout" 3 '' 'has not exited after 0.200 s' 3000
agent exec -- /no/such/program
expect "exec: missing program" 3 '' '/no/such/program'
agent exec
expect "exec without program" 2 '' 'exec needs a program'

head -c 6000123 /dev/urandom >"$DIR/big"
agent file-put "$DIR/big" "$DIR/big.guest"
expect "file-put 6 MB" 0 '^copied 6000123 bytes'
agent file-get "$DIR/big.guest" "$DIR/big.back"
expect "file-get 6 MB" 0 '^copied 6000123 bytes'
cmp -s "$DIR/big" "$DIR/big.back" && ok "file round trip: same bytes" || not_ok "file round trip: bytes differ"
printf 'a\0b\377c' >"$DIR/small"
agent file-get "$DIR/small" - 
cmp -s "$DIR/small" "$DIR/out" && ok "file-get to stdout, binary" || not_ok "file-get to stdout"
# An interrupted copy closes the guest's file handle; one left open would
# stay open in qemu-ga until it restarts.  40 MiB take seconds in chunks of
# 1 MiB, so the INT comes mid-copy.
head -c $((40 << 20)) /dev/zero >"$DIR/huge.guest"
"$VSCHAN" agent --socket "$SOCK" file-get "$DIR/huge.guest" "$DIR/huge.back" >"$DIR/out" 2>"$DIR/err" &
copy=$!
sleep 0.3
kill -INT "$copy"
wait "$copy"
rc=$?
open=$(ls -l "/proc/$QPID/fd" 2>/dev/null | grep -c huge.guest)
grep -q "interrupted.*handle was closed.*\[agent-interrupted\]" "$DIR/err" && [ "$open" -eq 0 ] &&
  [ ! -e "$DIR/huge.back" ] && ok "file-get interrupted: the guest's handle is closed, nothing left here" ||
  not_ok "file-get interrupted: rc $rc, $open handle(s) open in qemu-ga, stderr: $(cat "$DIR/err")"
rm -f "$DIR/huge.guest"

# A FIFO (as /dev/null) is written through, not replaced by a renamed file.
mkfifo "$DIR/fifo"
cat "$DIR/fifo" >"$DIR/through-fifo" &
reader=$!
agent file-get "$DIR/small" "$DIR/fifo"
wait "$reader"
[ -p "$DIR/fifo" ] && cmp -s "$DIR/small" "$DIR/through-fifo" && ok "file-get into a FIFO: written through, still a FIFO" ||
  not_ok "file-get into a FIFO (rc $RC): $(ls -l "$DIR/fifo")"
agent file-put - "$DIR/from-stdin" < <(printf 'from stdin')
[ "$(cat "$DIR/from-stdin")" = "from stdin" ] && ok "file-put from stdin" || not_ok "file-put from stdin"
agent file-get "$DIR/no-such" "$DIR/x"
expect "file-get of a missing file" 3 '' "'guest-file-open' failed.*No such file"
[ ! -e "$DIR/x" ] && ok "file-get: nothing left behind" || not_ok "file-get left a file"
agent file-put "$DIR/no-such" "$DIR/y"
expect "file-put of a missing local file" 2 '' "cannot open"

agent raw '{"execute":"guest-get-timezone"}'
expect "raw" 0 '"offset"'
agent raw '{"execute":'
expect "raw: bad JSON" 2 '' 'not valid JSON'
agent raw '{"execute":"guest-no-such"}'
expect "raw: unknown command" 3 '' "'guest-no-such' is not allowed by guest policy"

"$VSCHAN" agent ping >"$DIR/out" 2>"$DIR/err"; RC=$?
expect "no --socket and no DOMAIN: usage error naming both" 2 '' "name a DOMAIN"
"$VSCHAN" -c test:///default agent no-such-vm --json ping >"$DIR/out" 2>"$DIR/err"; RC=$?
expect "DOMAIN form, options after the domain: libvirt's error for an unknown domain" 3 '' "no-such-vm"
agent frobnicate;           expect "unknown command" 2 '' "unknown agent command 'frobnicate'"
agent ping extra;           expect "extra argument" 2 '' "wrong number of arguments"
"$VSCHAN" agent --socket "$SOCK" --timeout 0 ping >"$DIR/out" 2>"$DIR/err"; RC=$?
expect "bad timeout" 2 '' "invalid timeout '0'"
"$VSCHAN" agent --help >"$DIR/out" 2>"$DIR/err"; RC=$?
expect "--help" 0 '^Examples:'

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
  if [ "$RC" != "$rc_before" ]; then not_ok "$name after the operands: exit $RC, before them $rc_before"; return; fi
  if [ -z "$re" ]; then
    cmp -s "$DIR/before" "$DIR/out" && cmp -s "$DIR/before.err" "$DIR/err" ||
      { not_ok "$name after the operands: printed other than before them"; return; }
    grep -q . "$DIR/out" "$DIR/err" || { not_ok "$name: printed nothing"; return; }
  elif ! grep -Eq -- "$re" "$DIR/before" || ! grep -Eq -- "$re" "$DIR/out"; then
    not_ok "$name: stdout lacks /$re/ before or after the operands"; return
  fi
  ok "$name: options after the operands (exit $RC)"
}
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
"$VSCHAN" agent exec --json --socket "$SOCK" -- /bin/echo hi >"$DIR/out" 2>"$DIR/err"; RC=$?
tried="$tried exec"
expect "exec: options between the verb and PROGRAM" 0 '"out-data": "aGkK"'
[ "$(grep -v '"pid"' "$DIR/before")" = "$(grep -v '"pid"' "$DIR/out")" ] && ok "exec: the same status, the pid aside" ||
  not_ok "exec: the same status, the pid aside"
anywhere "file-get" '' file-get "$DIR/anywhere" "$DIR/anywhere.back"
anywhere "file-put" '' file-put "$DIR/anywhere" "$DIR/anywhere.guest"
anywhere "fsfreeze" '' fsfreeze status
anywhere "shutdown (blocked)" '' shutdown
anywhere "reboot (blocked)" '' reboot
anywhere "set-password (blocked)" '' set-password nobody
anywhere "raw" '' raw '{"execute":"guest-get-timezone"}'
verbs=$("$VSCHAN" agent --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)\( | \([a-z]*\)\)\{0,1\}.*/\1 \3/p')
[ "$(echo "$verbs" | wc -w)" -ge 16 ] && ok "agent --help lists $(echo "$verbs" | wc -w) verbs" ||
  not_ok "read only '$verbs' from agent --help"
for verb in $verbs; do
  case " $tried " in *" $verb "*) ok "$verb: tried with options after its operands" ;;
    *) not_ok "$verb: not tried with options after its operands" ;; esac
done
# The verbs' own options after their operands too, and the agent's after
# the verb.
agent exec --env VSCHAN_T=env-ok -- /bin/sh -c 'echo $VSCHAN_T'
before=$OUT
"$VSCHAN" agent exec --socket "$SOCK" --env VSCHAN_T=env-ok /bin/sh -c 'echo $VSCHAN_T' >"$DIR/out" 2>"$DIR/err"; RC=$?
expect "exec: its options and the agent's between the verb and PROGRAM" 0 '^env-ok$'
[ "$(cat "$DIR/out")" = "$before" ] && ok "exec --env: the same output" || not_ok "exec --env: the same output"
"$VSCHAN" agent --socket "$SOCK" exec /bin/echo --json -n x >"$DIR/out" 2>"$DIR/err"; RC=$?
expect "exec: what follows PROGRAM is the program's, options too" 0 '^--json -n x$'
agent set-password nobody --crypted < <(echo pw)
expect "set-password USER --crypted" 3 '' "guest-set-user-password' is not allowed by guest policy"
"$VSCHAN" agent --socket "$SOCK" ping --timeout 0 >"$DIR/out" 2>"$DIR/err"; RC=$?
expect "--timeout after the verb is the agent's" 2 '' "invalid timeout '0'"
# "--" ends the options: a guest path that starts with '-'.
agent file-get -- -no-such "$DIR/x"
expect "file-get -- -PATH: a path, not an option" 3 '' "'guest-file-open' failed.*No such file"
agent file-get -no-such "$DIR/x"
expect "file-get -PATH: an option" 2 '' "unknown option '-n'"

kill -0 $QPID 2>/dev/null && ok "qemu-ga is still running (every connection drained)" \
  || not_ok "qemu-ga exited"
finish
