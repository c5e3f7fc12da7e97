#!/bin/bash
# 'vschan connect --socket' against local peers (tests/guestio/echo-peer.py):
# megabytes of random binary data both ways, byte for byte, through pipes
# and files; the ends of a session (peer closes, input drained, output
# closed, signal); errors.  No libvirt needed.
#
# usage: connect-socket.sh VSCHAN
# Exit: 0 pass, 1 fail, 77 skip (python3 missing, CI unset).
set -uo pipefail

VSCHAN=${1:?usage: connect-socket.sh VSCHAN}
here=$(cd "$(dirname "$0")" && pwd)
PEER=$here/echo-peer.py
# shellcheck source=../lib/test.sh
. "$here/../lib/test.sh"
[ -x "$VSCHAN" ] || skip "'$VSCHAN' is not built"
command -v python3 >/dev/null 2>&1 || skip "python3 is missing"

dir=$(mktemp -d /tmp/vsc-conn.XXXXXX) || exit 1
TEST_TMP=$dir
VSCHAN=$(with_wrapper "$VSCHAN" "$dir")
peer_pid= holder=
cleanup() {
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  rm -rf "${dir:?}"
}
trap cleanup EXIT
SOCK=$dir/peer.sock

# peer MODE [ARG]: start a peer and wait until it listens.
peer() {
  rm -f "$dir/ready"
  python3 "$PEER" "$SOCK" "$@" >"$dir/ready" &
  peer_pid=$!
  if ! wait_for "$TEST_LONG_S" test -s "$dir/ready"; then
    fail "the peer did not start ($*)"
    return 1
  fi
}

peer_done() {
  wait "$peer_pid" 2>/dev/null
  peer_pid=
}


# same WHAT A B: files A and B are equal.
same() {
  if cmp -s "$2" "$3"; then
    ok "$1 ($(wc -c <"$2") bytes, byte for byte)"
  else
    fail "$1: sent $(wc -c <"$2") bytes, got $(wc -c <"$3"); $(cmp "$2" "$3" 2>&1 | head -n 1)"
  fi
}

# 12 MiB of random bytes, with every byte value (including ^] and NUL).
head -c $((12 << 20)) /dev/urandom >"$dir/random"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 64)' >>"$dir/random"

# --- both ways ----------------------------------------------------------------
# The peer's close ends the session at once: a drain as long as
# TEST_LONG_S would otherwise be waited for.
peer echo
t0=$(test_now_ms)
cat "$dir/random" | "$VSCHAN" connect --socket "$SOCK" --half-close --drain-timeout "$TEST_LONG_S" 2>"$dir/err" |
  cat >"$dir/back"
rc=${PIPESTATUS[1]}
took=$(($(test_now_ms) - t0))
peer_done
[ "$rc" -eq 0 ] && ok "echo through pipes, --half-close: exit 0 in $took ms" ||
  fail "echo through pipes: exit $rc: $(cat "$dir/err")"
same "echo through pipes" "$dir/random" "$dir/back"
# The peer's close ends it at once, not the drain timeout: only waiting for
# that takes half of it.
[ "$took" -lt "$AT_ONCE_MS" ] || fail "echo through pipes took $took ms: the peer's close should end it at once"

peer echo
"$VSCHAN" connect --socket "$SOCK" --drain-timeout 0.5 <"$dir/random" >"$dir/back" 2>"$dir/err"
rc=$?
peer_done
[ "$rc" -eq 0 ] && ok "echo from and to files, no half-close: ends after the drain timeout" ||
  fail "echo with drain: exit $rc: $(cat "$dir/err")"
same "echo with drain" "$dir/random" "$dir/back"

# --drain-timeout 0 ends once the input is sent, even while the device
# still talks; any other drain waits until the device is quiet.
peer chatter
timeout -k 5 "$TEST_LONG_S" "$VSCHAN" connect --socket "$SOCK" --drain-timeout 0 </dev/null >"$dir/back" 2>"$dir/err"
rc=$?
peer_done
[ "$rc" -eq 0 ] && ok "a device that keeps talking, --drain-timeout 0: ends all the same" ||
  fail "a device that keeps talking, --drain-timeout 0: exit $rc$([ "$rc" -eq 124 ] && echo ", killed after $TEST_LONG_S s"): $(cat "$dir/err")"
peer chatter
timeout -k 5 8 "$VSCHAN" connect --socket "$SOCK" --drain-timeout 5 </dev/null >"$dir/back" 2>"$dir/err"
rc=$?
peer_done
[ "$rc" -eq 124 ] && [ -s "$dir/back" ] && ok "a device that keeps talking, --drain-timeout 5: still connected after 8 s" ||
  fail "a device that keeps talking, --drain-timeout 5: exit $rc within 8 s, $(wc -c <"$dir/back") bytes: $(cat "$dir/err")"

# --- one way --------------------------------------------------------------------
peer send "$dir/random"
"$VSCHAN" connect --socket "$SOCK" --drain-timeout forever </dev/null 2>"$dir/err" | cat >"$dir/back"
rc=${PIPESTATUS[0]}
peer_done
[ "$rc" -eq 0 ] && ok "peer to stdout, stdin empty, --drain-timeout forever: ends when the peer closes" ||
  fail "peer to stdout: exit $rc: $(cat "$dir/err")"
same "peer to stdout" "$dir/random" "$dir/back"

peer sink "$dir/sunk"
cat "$dir/random" | "$VSCHAN" connect --socket "$SOCK" --half-close >"$dir/back" 2>"$dir/err"
rc=$?
peer_done
[ "$rc" -eq 0 ] && ok "stdin to peer, --half-close" || fail "stdin to peer: exit $rc: $(cat "$dir/err")"
same "stdin to peer" "$dir/random" "$dir/sunk"
[ -s "$dir/back" ] && fail "stdin to peer: unexpected output"

# --- the peer closes half way ---------------------------------------------------
peer close-after 100000
t0=$(test_now_ms)
cat "$dir/random" | timeout -k 5 "$TEST_LONG_S" "$VSCHAN" connect --socket "$SOCK" --drain-timeout forever \
  >"$dir/back" 2>"$dir/err"
rc=${PIPESTATUS[1]}
took=$(($(test_now_ms) - t0))
peer_done
# The rest of the input never reaches it: an error that says how much.
if [ "$rc" -eq 3 ] &&
   grep -Eq "closed before the input ended: [0-9]+ bytes were sent, [0-9]+ read but not sent, and the rest of the input was not read \[guest-input-lost\]" "$dir/err"; then
  ok "the peer closes after 100000 bytes: exit 3 in $took ms, the input left is counted"
else
  fail "peer closes half way: exit $rc: $(cat "$dir/err")"
fi
head -c 100000 "$dir/random" >"$dir/first"
same "what came before the peer closed" "$dir/first" "$dir/back"
# --drain-timeout forever: only the peer's close ends it (a hang shows here)
[ "$took" -lt "$AT_ONCE_MS" ] || fail "the peer's close took $took ms to end the session"

# An input that is open but idle (a FIFO nobody writes) loses nothing when
# the peer closes: a clean end.
mkfifo "$dir/idle"
sleep 60 >"$dir/idle" &
idle_writer=$!
peer close-after 0
"$VSCHAN" connect --socket "$SOCK" --drain-timeout forever <"$dir/idle" >"$dir/back" 2>"$dir/err"
rc=$?
peer_done
kill "$idle_writer" 2>/dev/null
wait "$idle_writer" 2>/dev/null
[ "$rc" -eq 0 ] && [ ! -s "$dir/err" ] && ok "the peer closes, the input is open but idle: exit 0" ||
  fail "peer closes, idle input: exit $rc: $(cat "$dir/err")"

# --- the reader of our output goes away -------------------------------------------
peer send "$dir/random"
t0=$(test_now_ms)
timeout -k 5 "$TEST_LONG_S" "$VSCHAN" connect --socket "$SOCK" --drain-timeout forever </dev/null 2>"$dir/err" |
  head -c 10 >"$dir/back"
rc=${PIPESTATUS[0]}
took=$(($(test_now_ms) - t0))
peer_done
# What the peer sent and nobody read: an error that says how much; and at
# once (--drain-timeout forever: a hang shows here).
[ "$rc" -eq 2 ] && [ "$(wc -c <"$dir/back")" -eq 10 ] && [ "$took" -lt "$AT_ONCE_MS" ] &&
  grep -Eq "the output was closed after [0-9]+ bytes: [1-9][0-9]* bytes from .* were not written \[guest-output-closed\]" "$dir/err" &&
  ok "output closed early (| head -c 10): exit 2 in $took ms, the bytes not written are counted" ||
  fail "output closed early: exit $rc, $(wc -c <"$dir/back") bytes, $took ms: $(cat "$dir/err")"

# --- a peer that never reads ------------------------------------------------------
# The input waits for it while stdin is still open: bounded by the stall
# timeout (5 s), with the count, not a hang.  The long 'timeout' only
# catches a hang; the message says the bound was the 5 s.
peer deaf
timeout 120 "$VSCHAN" connect --socket "$SOCK" --drain-timeout forever <"$dir/random" >"$dir/back" 2>"$dir/err"
rc=$?
peer_done
if [ "$rc" -eq 3 ] &&
   grep -Eq "took no input for 5 s: [1-9][0-9]* bytes of the input were not delivered, nor the rest of the input \[guest-stalled\]" "$dir/err"; then
  ok "a peer that never reads: exit 3 after the stall timeout, the input left is counted"
else
  fail "a peer that never reads: exit $rc: $(cat "$dir/err")"
fi

# --- a signal ends the session ------------------------------------------------------
peer echo
mkfifo "$dir/hold"
sleep 600 >"$dir/hold" &
holder=$!
"$VSCHAN" connect --socket "$SOCK" <"$dir/hold" >/dev/null 2>"$dir/err" &
session=$!
# The peer removes its socket once it has accepted the connection.
wait_for "$TEST_LONG_S" test ! -e "$SOCK" || fail "SIGTERM: the session did not connect"
kill -TERM "$session"
wait "$session"
rc=$?
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=
peer_done
[ "$rc" -eq 143 ] && ok "SIGTERM ends the session: exit 128+15" ||
  fail "SIGTERM: exit $rc: $(cat "$dir/err")"

# --- errors ----------------------------------------------------------------------------
"$VSCHAN" connect --socket "$dir/none.sock" </dev/null >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 3 ] && grep -q "cannot connect to socket '$dir/none.sock'" "$dir/err" &&
  ok "no such socket: exit 3, '$(head -n 1 "$dir/err")'" || fail "no such socket: exit $rc: $(cat "$dir/err")"

long=/tmp/$(printf 'x%.0s' $(seq 120))
"$VSCHAN" connect --socket "$long" </dev/null >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "longer than" "$dir/err" && ok "socket path too long: exit 1" ||
  fail "socket path too long: exit $rc: $(cat "$dir/err")"

usage_case() {
  local what=$1
  shift
  "$VSCHAN" connect "$@" </dev/null >"$dir/out" 2>"$dir/err"
  local rc=$?
  [ "$rc" -eq 2 ] && ok "usage: $what: exit 2" || fail "usage: $what: exit $rc: $(cat "$dir/err")"
}
usage_case "no arguments"
usage_case "--socket and a domain" --socket "$SOCK" vm1 serial0
usage_case "--half-close without --socket" vm1 serial0 --half-close
usage_case "--force with --socket" --socket "$SOCK" --force
usage_case "bad escape" --socket "$SOCK" --escape '^1'
usage_case "bad drain timeout" --socket "$SOCK" --drain-timeout -1
"$VSCHAN" connect --help >"$dir/out" 2>&1 && grep -q -- "--drain-timeout" "$dir/out" &&
  ok "connect --help" || fail "connect --help"

# --- a terminal: raw mode, escape key, restored on every way out --------------------
python3 "$here/tty-session.py" "$VSCHAN" "$PEER" "$dir" && ok "terminal sessions (tty-session.py)" ||
  fail "terminal sessions (tty-session.py)"

summary
