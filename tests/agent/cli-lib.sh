# Shared by the cli-*.sh tests: run 'vschan agent', check what it printed
# and how long it took, count and report.  Sourced, not run.
set -u
PASSED=0
FAILED=0
OUT= ERR= RC= ELAPSED=

skip_or_fail() {
  if [ -n "${CI:-}" ]; then
    echo "FAIL: $1 (CI is set, so this is a failure)"
    exit 1
  fi
  echo "SKIP: $1"
  exit 77
}

# agent ARGS...: run vschan agent --socket $SOCK ARGS (stdin as given).
agent() {
  local t0
  t0=$(date +%s%N)
  "$VSCHAN" agent --socket "$SOCK" "$@" >"$DIR/out" 2>"$DIR/err"
  RC=$?
  ELAPSED=$((($(date +%s%N) - t0) / 1000000))
  # Runs in this shell (never at the end of a pipe): RC and OUT must
  # survive.  NULs are dropped from the copies, not from the files.
  OUT=$(tr -d '\000' <"$DIR/out")
  ERR=$(tr -d '\000' <"$DIR/err")
}

ok() { PASSED=$((PASSED + 1)); echo "ok: $1"; }
not_ok() {
  FAILED=$((FAILED + 1))
  echo "FAILED: $1"
  echo "  rc=$RC elapsed=${ELAPSED} ms"
  echo "  stdout: $(head -c 600 "$DIR/out")"
  echo "  stderr: $(head -c 600 "$DIR/err")"
}

# expect NAME RC [stdout-regex] [stderr-regex] [max-milliseconds]
expect() {
  local name=$1 rc=$2 out_re=${3:-} err_re=${4:-} max=${5:-}
  if [ "$RC" != "$rc" ]; then not_ok "$name (exit status $RC, expected $rc)"; return; fi
  if [ -n "$out_re" ] && ! grep -Eq -- "$out_re" "$DIR/out"; then not_ok "$name (stdout lacks /$out_re/)"; return; fi
  if [ -n "$err_re" ] && ! grep -Eq -- "$err_re" "$DIR/err"; then not_ok "$name (stderr lacks /$err_re/)"; return; fi
  if [ -n "$max" ] && [ "$ELAPSED" -gt "$max" ]; then not_ok "$name (took $ELAPSED ms, limit $max ms)"; return; fi
  ok "$name"
}

wait_socket() {
  for _ in $(seq 200); do
    [ -S "$SOCK" ] && return 0
    sleep 0.02
  done
  return 1
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}
