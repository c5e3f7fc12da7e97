# shellcheck shell=sh
# The checks of the shell tests, sourced by sh and bash scripts alike (zsh
# sources it in sh emulation).  Sourcing it defines functions and
# TEST_-prefixed variables only.
#
#   ok WHAT                  a check passed
#   fail WHAT                a check failed (counted; the script goes on)
#   skip REASON              the test cannot run here: exit 77, or exit 1
#                            when CI is set (tests/README.md, "Skips")
#   check WHAT EXPR          the shell expression EXPR (run by eval) is true
#   has TEXT PATTERN [WHAT]  TEXT matches the basic regex PATTERN
#   lacks TEXT PATTERN [WHAT]  it does not
#   run CMD [ARG]...         run a command (stdin as given): its exit
#                            status in $rc, stdout and stderr in the files
#                            $TEST_TMP/out and err and (without NULs) in
#                            $out and $err, its wall time in $ms
#   expect RC WHAT [STDOUT-ERE [STDERR-ERE [MAX-MS [MIN-MS]]]]
#                            the last run ($rc, $out, $err, $ms) exited
#                            with RC and printed what the extended regexes
#                            say, in at most MAX-MS and at least MIN-MS
#                            milliseconds
#   show_run                 what the last run did, for a failure
#   wait_for S CMD [ARG]...  poll CMD until it succeeds (status 0) or S
#                            seconds have passed (status 1): wait for an
#                            event, never for a fixed time
#   with_wrapper PROG DIR    PROG, or a script in DIR running it under
#                            $VSCHAN_TEST_WRAPPER (valgrind) when that is set
#   summary                  print "N passed, N failed"; true when none failed
#
# Time.  A check states behaviour, not speed, so that only a real wait
# breaks it on a busy machine:
#   - "at once": the command may wait $TEST_LONG_S seconds (its own
#     timeout option, or `timeout $TEST_LONG_S`) and must end in less than
#     half of that: MAX-MS $AT_ONCE_MS;
#   - "within a deadline of S seconds": MAX-MS $(deadline_ms S), S plus a
#     margin that no honest run needs;
#   - "waited at least S seconds" (MIN-MS) is behaviour, and stays exact.
#
# TEST_TMP (set by the script): the directory for run's files; a failure
# is also counted in $TEST_TMP/failures, so that checks inside $(...)
# count too.

TEST_PASSED=0
TEST_FAILED=0
# A vschan run that opens libvirt's embedded driver was seen to take 20 s
# on two cores shared with other test runs.  tests/lib/test.h for C.
TEST_LONG_S=120
AT_ONCE_MS=60000
TEST_MARGIN_S=40

ok() {
  TEST_PASSED=$((TEST_PASSED + 1))
  echo "ok: $*"
}

fail() {
  TEST_FAILED=$((TEST_FAILED + 1))
  echo "FAIL: $*" >&2
  if [ -n "${TEST_TMP-}" ]; then echo failed >>"$TEST_TMP/failures"; fi
}

skip() {
  if [ -n "${CI-}" ]; then
    echo "FAIL: $* (CI is set, so a test that cannot run fails)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

# The lines of TEXT, indented, for a failure's context.
test_quote() {
  printf '%s\n' "$1" | head -c "${2:-2000}" | sed 's/^/  | /' >&2
}

check() {
  if eval "$2"; then
    ok "$1"
  else
    fail "$1"
    return 1
  fi
}

has() {
  if printf '%s\n' "$1" | grep -q -- "$2"; then
    ok "${3:-has '$2'}"
  else
    fail "${3:-has '$2'}: no '$2' in:"
    test_quote "$1"
    return 1
  fi
}

lacks() {
  if printf '%s\n' "$1" | grep -q -- "$2"; then
    fail "${3:-lacks '$2'}: '$2' is still in:"
    test_quote "$1"
    return 1
  else
    ok "${3:-lacks '$2'}"
  fi
}

# Milliseconds since the epoch.
test_now_ms() {
  echo $(($(date +%s%N) / 1000000))
}

run() {
  test_t0=$(test_now_ms)
  "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
  rc=$?
  ms=$(($(test_now_ms) - test_t0))
  out=$(tr -d '\000' <"$TEST_TMP/out")
  err=$(tr -d '\000' <"$TEST_TMP/err")
}

wait_for() {
  test_until=$(($(test_now_ms) + $1 * 1000))
  shift
  until "$@"; do
    [ "$(test_now_ms)" -lt "$test_until" ] || return 1
    sleep 0.02
  done
}

# deadline_ms S: the bound of a check that a deadline of S seconds holds.
deadline_ms() {
  awk -v s="$1" -v m="$TEST_MARGIN_S" 'BEGIN { printf "%d\n", (s + m) * 1000 }'
}

show_run() {
  echo "  exit status $rc${ms:+ after $ms ms}" >&2
  echo "  stdout:" >&2
  test_quote "${out-}" 600
  echo "  stderr:" >&2
  test_quote "${err-}" 800
}

expect() {
  if [ "$rc" -ne "$1" ]; then
    fail "$2: exit $rc, expected $1$([ "$rc" -eq 124 ] && echo " (124: killed by timeout)")"
  elif [ -n "${3-}" ] && ! printf '%s\n' "${out-}" | grep -Eq -- "$3"; then
    fail "$2: stdout lacks /$3/"
  elif [ -n "${4-}" ] && ! printf '%s\n' "${err-}" | grep -Eq -- "$4"; then
    fail "$2: stderr lacks /$4/"
  elif [ -n "${5-}" ] && [ "$ms" -gt "$5" ]; then
    fail "$2: took $ms ms, more than $5 ms"
  elif [ -n "${6-}" ] && [ "$ms" -lt "$6" ]; then
    fail "$2: took $ms ms, less than $6 ms"
  else
    ok "$2${ms:+ ($ms ms)}"
    return 0
  fi
  show_run
  return 1
}

# with_wrapper PROGRAM DIR: PROGRAM, or, when VSCHAN_TEST_WRAPPER is set
# (e.g. "valgrind -q --error-exitcode=99"), a script in DIR that runs
# PROGRAM under it, for the tests that call the program in many places.
with_wrapper() {
  if [ -z "${VSCHAN_TEST_WRAPPER:-}" ]; then
    printf '%s\n' "$1"
    return
  fi
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$VSCHAN_TEST_WRAPPER" "$1" >"$2/wrapped-$(basename "$1")"
  chmod +x "$2/wrapped-$(basename "$1")"
  printf '%s\n' "$2/wrapped-$(basename "$1")"
}

summary() {
  if [ -n "${TEST_TMP-}" ] && [ -s "$TEST_TMP/failures" ]; then
    test_n=$(wc -l <"$TEST_TMP/failures")
    [ "$test_n" -gt "$TEST_FAILED" ] && TEST_FAILED=$test_n
  fi
  echo "$TEST_PASSED passed, $TEST_FAILED failed"
  [ "$TEST_FAILED" -eq 0 ]
}
