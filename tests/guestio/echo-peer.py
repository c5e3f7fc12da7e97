#!/usr/bin/env python3
"""A unix-socket peer for the 'vschan connect --socket' tests.

usage: echo-peer.py SOCKET MODE [ARG]

  echo          echo everything; close after the client's EOF (half-close
                or close), as a guest echo service never would
  close-after N echo the first N bytes, then close the connection
  send FILE     send FILE, then close; discard what the client sends
  sink FILE     write what the client sends to FILE, send nothing; close
                after the client's EOF
  deaf          read nothing, send nothing; close when the client hangs up
                (or after 60 s)
  chatter       send a byte every 50 ms and discard what the client sends,
                until the client closes: a device that never goes quiet

Serves one connection, then exits.  Writes 'ready' to stdout once listening.
"""
import os
import select
import socket
import sys


def chatter(conn):
    try:
        while True:
            readable, _, _ = select.select([conn], [], [], 0.05)
            if readable and not conn.recv(1 << 16):
                break
            conn.sendall(b".")
    except (BrokenPipeError, ConnectionResetError):
        pass
    conn.close()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    print("ready", flush=True)
    conn, _ = srv.accept()
    srv.close()
    os.unlink(path)
    if mode == "send":
        with open(arg, "rb") as f:
            try:
                conn.sendall(f.read())
            except (BrokenPipeError, ConnectionResetError):
                pass   # the client went away first: some tests do that
        conn.close()
        return
    if mode == "deaf":
        # POLLRDHUP without reading: the client's data stays queued
        poller = select.poll()
        poller.register(conn, select.POLLRDHUP)
        poller.poll(60000)
        conn.close()
        return
    if mode == "sink":
        with open(arg, "wb") as f:
            while True:
                data = conn.recv(1 << 16)
                if not data:
                    break
                f.write(data)
        conn.close()
        return
    if mode == "chatter":
        chatter(conn)
        return
    limit = int(arg) if mode == "close-after" else None
    done = 0
    while True:
        want = 1 << 16
        if limit is not None:
            want = min(want, limit - done)
            if want == 0:
                break
        try:
            data = conn.recv(want)
        except ConnectionResetError:
            break
        if not data:
            break
        try:
            conn.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            break
        done += len(data)
    conn.close()


if __name__ == "__main__":
    main()
