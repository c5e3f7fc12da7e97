#!/usr/bin/env python3
"""'vschan connect --socket' on a terminal (a pty made here): raw mode while
the session runs (keys go through unechoed and untranslated), the escape
key ends it, and the terminal is restored however the session ends
(escape key, a signal, the peer closing).

usage: tty-session.py VSCHAN ECHO_PEER DIR
Prints one line per check; exits 1 if any failed.
"""
import os
import select
import signal
import subprocess
import sys
import termios
import time

vschan, peer_script, workdir = sys.argv[1:4]
sock = os.path.join(workdir, "tty-peer.sock")
failures = 0


def check(cond, what):
    global failures
    print(("  ok: " if cond else "  FAIL: ") + what)
    if not cond:
        failures += 1


def start_peer(*args):
    p = subprocess.Popen([sys.executable, peer_script, sock] + list(args),
                         stdout=subprocess.PIPE)
    p.stdout.readline()   # "ready"
    return p


def read_until(fd, want, timeout=60.0):
    """Read from the pty master until want (bytes) shows up."""
    got = b""
    end = time.monotonic() + timeout
    while want not in got:
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got


def session(extra, peer_args, drive, what):
    """Run vschan on a fresh pty; drive(master, proc) does the talking and
    returns what it expects the exit status to be."""
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    peer = start_peer(*peer_args)
    proc = subprocess.Popen([vschan, "connect", "--socket", sock] + extra,
                            stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    try:
        banner = read_until(master, b"Escape character is" if "none" not in extra
                            else b"No escape character")
        check(b"Connected to socket" in banner, what + ": banner on the terminal")
        during = termios.tcgetattr(slave)
        check(not (during[3] & termios.ECHO) and not (during[3] & termios.ICANON),
              what + ": raw mode while connected (no echo, no line editing)")
        want_rc = drive(master, proc)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
            check(False, what + ": vschan did not exit")
        check(rc == want_rc, "%s: exit status %d (expected %d)" % (what, rc, want_rc))
        after = termios.tcgetattr(slave)
        check(after == before, what + ": terminal restored")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        peer.kill()
        peer.wait()
        os.close(master)
        os.close(slave)


def escape_key(master, proc):
    os.write(master, b"hello\r")
    got = read_until(master, b"hello\r")
    # Raw mode: the echo comes once (from the peer, no local echo) and the
    # CR stays a CR.
    check(got.count(b"hello") == 1 and b"hello\r" in got,
          "escape: keys reach the peer and come back once, untranslated (%r)" % got)
    os.write(master, b"\x1d")
    return 0


def other_escape(master, proc):
    os.write(master, b"\x1d")       # not the escape key now: goes through
    got = read_until(master, b"\x1d")
    check(b"\x1d" in got, "--escape ^a: ^] goes through to the peer")
    os.write(master, b"\x01")
    return 0


def sigterm(master, proc):
    # The banner has come: vschan catches signals before it connects.
    proc.send_signal(signal.SIGTERM)
    return 128 + signal.SIGTERM


def peer_closes(master, proc):
    os.write(master, b"12345")
    got = read_until(master, b"ended")
    check(b"12345" in got and b"the device closed the connection" in got,
          "peer closes: output, then the reason on the terminal (%r)" % got[-120:])
    return 0


session([], ["echo"], escape_key, "escape key ^]")
session(["--escape", "^a"], ["echo"], other_escape, "escape key ^a")
session([], ["echo"], sigterm, "SIGTERM")
session(["--escape", "none"], ["close-after", "5"], peer_closes, "peer closes")
sys.exit(1 if failures else 0)
