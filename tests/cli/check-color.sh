#!/bin/sh
# Messages are coloured only on a terminal, and never with NO_COLOR.
# A real pseudo-terminal comes from script(1).  Usage: check-color.sh VSCHAN
set -u
vschan=$1
. "$(dirname "$0")/../lib/test.sh"
command -v script >/dev/null || skip "script is missing (Debian package bsdutils)"
esc=$(printf '\033[')

bad='{"serials":[{"type":"tcp"}]}'
tty_out=$(env -u NO_COLOR TERM=xterm script -qec "echo '$bad' | $vschan xml -" /dev/null 2>&1)
check "an error on a terminal is coloured" 'case "$tty_out" in *"${esc}"*) true;; *) false;; esac'
nocolor=$(NO_COLOR=1 TERM=xterm script -qec "echo '$bad' | $vschan xml -" /dev/null 2>&1)
check "NO_COLOR turns colour off on a terminal" 'case "$nocolor" in *"${esc}"*) false;; *error:*) true;; *) false;; esac'
dumb=$(env -u NO_COLOR TERM=dumb script -qec "echo '$bad' | $vschan xml -" /dev/null 2>&1)
check "TERM=dumb turns colour off" 'case "$dumb" in *"${esc}"*) false;; *error:*) true;; *) false;; esac'
piped=$(echo "$bad" | env -u NO_COLOR TERM=xterm "$vschan" xml - 2>&1)
check "an error into a pipe is not coloured" 'case "$piped" in *"${esc}"*) false;; *error:*) true;; *) false;; esac'
summary
