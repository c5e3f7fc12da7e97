#!/bin/bash
# 'vschan agent' through the binary against the hostile fake agent: each
# misbehaviour ends in a clear error (exit 3) within the deadline.
#   cli-hostile.sh VSCHAN FAKE_AGENT
VSCHAN=$1
FAKE=$2
. "$(dirname "$0")/cli-lib.sh"

[ -x "$VSCHAN" ] || skip "'$VSCHAN' is not built yet"
[ -x "$FAKE" ] || skip "'$FAKE' is not built yet"

DIR=$(mktemp -d /tmp/vschan-agent-cli-XXXXXX)
TEST_TMP=$DIR
VSCHAN=$(with_wrapper "$VSCHAN" "$DIR")
SOCK=$DIR/fake.sock
export VSCHAN_LOCK_DIR=$DIR
FPID=
stop_fake() { [ -n "$FPID" ] && kill "$FPID" 2>/dev/null && wait "$FPID" 2>/dev/null; FPID=; rm -f "$SOCK"; }
trap 'stop_fake; rm -rf "${DIR:?}"' EXIT
fake() {
  stop_fake
  "$FAKE" "$SOCK" "$1" "$DIR/log" &
  FPID=$!
  wait_socket || { echo "FAIL: the fake agent did not start"; exit 1; }
}

# The deadline is 0.5 s; a failure may take it plus the 0.5 s drain.
LIMIT=$(deadline_ms 1)

fake good
agent --timeout 0.5 ping;    expect 0 "good: ping" 'answers' '' $LIMIT
agent --timeout 0.5 shutdown
expect 0 "shutdown: silence until the deadline is success" 'shutdown requested' '' $LIMIT
agent set-password alice < <(printf 's3cret pass\n')
expect 0 "set-password: the password from stdin, base64" "password of 'alice' set"
agent exec -- /bin/sh -c x
expect 3 "exec: output, exit status and truncation" '^out$' 'cut the program.s standard output'
fake shutdown-close
agent --timeout "$TEST_LONG_S" reboot
expect 0 "reboot: a hang-up is success, at once" 'reboot requested' '' "$AT_ONCE_MS"
fake disabled
agent exec -- /bin/true;     expect 3 "disabled exec" '' "'guest-exec' is not allowed by guest policy"
fake stale
agent hostname;              expect 0 "stale replies skipped" '^fake$'
fake batch
agent hostname;              expect 0 "several replies in one write" '^fake$'
fake split
agent info;                  expect 0 "a reply split over many writes" '^guest-ping +yes +yes$'
fake garbage-before-sync
agent ping;                  expect 0 "garbage, NULs and high bytes before the sentinel" 'answers'
fake garbage-reply
agent --timeout 0.5 ping;    expect 3 "garbage reply" '' 'a line that is not JSON' $LIMIT
fake nul-reply
agent --timeout 0.5 ping;    expect 3 "NUL in a reply" '' '\\x00' $LIMIT
fake highbytes-reply
agent --timeout 0.5 ping;    expect 3 "high bytes in a reply" '' '\\x80\\x81' $LIMIT
fake error-reply
agent --timeout 0.5 ping;    expect 3 "agent error with its desc" '' 'boom \\x1b\[31mred' $LIMIT
grep -q $'\x1b' "$DIR/err" && fail "a raw escape reached stderr" || ok "no raw escape on stderr"
fake oversize
agent --timeout 0.5 --max-reply 1M ping
expect 3 "oversized reply" '' 'larger than 1048576 bytes' $LIMIT
fake endless
agent --timeout 0.5 --max-reply 1M ping
expect 3 "endless reply" '' 'larger than 1048576 bytes' $LIMIT
fake silence
agent --timeout 0.5 ping
expect 3 "silence" '' 'did not answer guest-sync-delimited within 0.500 s' $LIMIT
fake trickle
agent --timeout 0.5 ping
expect 3 "trickle before the sentinel" '' 'did not answer guest-sync-delimited within 0.500 s' $LIMIT
fake silent-command
agent --timeout 0.5 hostname
expect 3 "silent on a command" '' "did not answer 'guest-get-host-name' within 0.500 s" $LIMIT
fake close-half
agent --timeout 0.5 ping
expect 3 "closed half way" '' 'in the middle of the reply' $LIMIT
fake close-immediately
agent --timeout 0.5 ping
expect 3 "closed at once" '' 'closed the connection before' $LIMIT

# Two processes on one socket: the second waits for the lock, then gives
# up at its own deadline, long before the first lets go.  The first holds
# the lock once the fake has its command; it ends when the fake goes.
fake silent-command
pings=$(grep -c '^guest-ping' "$DIR/log")
"$VSCHAN" agent --socket "$SOCK" --timeout "$TEST_LONG_S" ping >/dev/null 2>&1 &
FIRST=$!
wait_for "$TEST_LONG_S" eval '[ "$(grep -c "^guest-ping" "$DIR/log")" -gt "$pings" ]' ||
  fail "the first process did not send its command"
agent --timeout 0.3 ping
expect 3 "a second process waits for the lock, within its deadline" '' \
  'another vschan process is using' "$(deadline_ms 0.3)"
stop_fake
wait $FIRST

# Processes queueing on one socket all get through in turn, and each
# holder removes its lock file when done: none is left behind.
fake good
pids=
for i in 1 2 3 4 5 6; do
  "$VSCHAN" agent --socket "$SOCK" --timeout 5 ping >"$DIR/queue$i" 2>&1 &
  pids="$pids $!"
done
failed=0
for pid in $pids; do wait "$pid" || failed=$((failed + 1)); done
if [ $failed -eq 0 ] && [ "$(cat "$DIR"/queue* | grep -c answers)" -eq 6 ]; then
  ok "six processes queueing on one socket: each answered"
else
  fail "six processes queueing on one socket: $failed failed: $(cat "$DIR"/queue*)"
fi
left=$(find "$DIR" -name 'vschan-agent-*.lock')
if [ -z "$left" ]; then ok "no lock file is left behind"; else fail "lock files left: $left"; fi

rm -f "$SOCK"
agent --timeout 0.5 ping
expect 3 "no socket" '' 'No such file or directory'
summary
