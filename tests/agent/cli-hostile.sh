#!/bin/bash
# 'vschan agent' through the binary against the hostile fake agent: each
# misbehaviour ends in a clear error (exit 3) within the deadline.
#   cli-hostile.sh VSCHAN FAKE_AGENT
VSCHAN=$1
FAKE=$2
. "$(dirname "$0")/cli-lib.sh"

[ -x "$VSCHAN" ] || skip_or_fail "'$VSCHAN' is not built yet"
[ -x "$FAKE" ] || skip_or_fail "'$FAKE' is not built yet"

DIR=$(mktemp -d /tmp/vschan-agent-cli-XXXXXX)
SOCK=$DIR/fake.sock
export VSCHAN_LOCK_DIR=$DIR
FPID=
stop_fake() { [ -n "$FPID" ] && kill "$FPID" 2>/dev/null && wait "$FPID" 2>/dev/null; FPID=; rm -f "$SOCK"; }
trap 'stop_fake; rm -rf "$DIR"' EXIT
fake() {
  stop_fake
  "$FAKE" "$SOCK" "$1" "$DIR/log" &
  FPID=$!
  wait_socket || { echo "FAIL: the fake agent did not start"; exit 1; }
}

# The deadline is 0.5 s; a failure may take it plus the 0.5 s drain.
LIMIT=2000

fake good
agent --timeout 0.5 ping;    expect "good: ping" 0 'answers' '' $LIMIT
agent --timeout 0.5 shutdown
expect "shutdown: silence until the deadline is success" 0 'shutdown requested' '' $LIMIT
agent set-password alice < <(printf 's3cret pass\n')
expect "set-password: the password from stdin, base64" 0 "password of 'alice' set"
agent exec -- /bin/sh -c x
expect "exec: output, exit status and truncation" 3 '^out$' 'cut the program.s standard output'
fake shutdown-close
agent --timeout 5 reboot;    expect "reboot: a hang-up is success, at once" 0 'reboot requested' '' 1000
fake disabled
agent exec -- /bin/true;     expect "disabled exec" 3 '' "'guest-exec' is not allowed by guest policy"
fake stale
agent hostname;              expect "stale replies skipped" 0 '^fake$'
fake batch
agent hostname;              expect "several replies in one write" 0 '^fake$'
fake split
agent info;                  expect "a reply split over many writes" 0 '^guest-ping +yes +yes$'
fake garbage-before-sync
agent ping;                  expect "garbage, NULs and high bytes before the sentinel" 0 'answers'
fake garbage-reply
agent --timeout 0.5 ping;    expect "garbage reply" 3 '' 'a line that is not JSON' $LIMIT
fake nul-reply
agent --timeout 0.5 ping;    expect "NUL in a reply" 3 '' '\\x00' $LIMIT
fake highbytes-reply
agent --timeout 0.5 ping;    expect "high bytes in a reply" 3 '' '\\x80\\x81' $LIMIT
fake error-reply
agent --timeout 0.5 ping;    expect "agent error with its desc" 3 '' 'boom \\x1b\[31mred' $LIMIT
grep -q $'\x1b' "$DIR/err" && not_ok "a raw escape reached stderr" || ok "no raw escape on stderr"
fake oversize
agent --timeout 0.5 --max-reply 1M ping
expect "oversized reply" 3 '' 'larger than 1048576 bytes' $LIMIT
fake endless
agent --timeout 0.5 --max-reply 1M ping
expect "endless reply" 3 '' 'larger than 1048576 bytes' $LIMIT
fake silence
agent --timeout 0.5 ping
expect "silence" 3 '' 'did not answer guest-sync-delimited within 0.500 s' $LIMIT
fake trickle
agent --timeout 0.5 ping
expect "trickle before the sentinel" 3 '' 'did not answer guest-sync-delimited within 0.500 s' $LIMIT
fake silent-command
agent --timeout 0.5 hostname
expect "silent on a command" 3 '' "did not answer 'guest-get-host-name' within 0.500 s" $LIMIT
fake close-half
agent --timeout 0.5 ping
expect "closed half way" 3 '' 'in the middle of the reply' $LIMIT
fake close-immediately
agent --timeout 0.5 ping
expect "closed at once" 3 '' 'closed the connection before' $LIMIT

# Two processes on one socket: the second waits for the lock, then gives up.
fake silent-command
"$VSCHAN" agent --socket "$SOCK" --timeout 1.5 ping >/dev/null 2>&1 &
FIRST=$!
sleep 0.3
agent --timeout 0.3 ping
expect "a second process waits for the lock, within its deadline" 3 '' \
  'another vschan process is using' 1000
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
  not_ok "six processes queueing on one socket: $failed failed: $(cat "$DIR"/queue*)"
fi
left=$(find "$DIR" -name 'vschan-agent-*.lock')
if [ -z "$left" ]; then ok "no lock file is left behind"; else not_ok "lock files left: $left"; fi

rm -f "$SOCK"
agent --timeout 0.5 ping
expect "no socket" 3 '' 'No such file or directory'
finish
