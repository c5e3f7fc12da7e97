# Shared by the cli-*.sh tests: the checks of tests/lib/test.sh, and
# 'vschan agent' on the socket $SOCK.  Sourced, not run; the script sets
# VSCHAN, DIR (TEST_TMP) and SOCK.
set -u
# shellcheck source=../lib/test.sh
. "$(dirname "$0")/../lib/test.sh"

# agent ARGS...: run vschan agent --socket $SOCK ARGS (stdin as given).
agent() {
  run "$VSCHAN" agent --socket "$SOCK" "$@"
}

wait_socket() {
  wait_for "$TEST_LONG_S" test -S "$SOCK"
}
