#!/usr/bin/env python3
"""QEMU's legacy -serial strings given to vschan (--serial STRING) mean what
they mean to QEMU: real QEMU started with '-serial STRING' and real QEMU
started with the arguments vschan writes for it report the same chardev
(QMP query-chardev: backend, addresses, server or client); the strings QEMU
refuses, or that a spec cannot hold, vschan refuses with a reason.
Usage: check-legacy.py VSCHAN"""
import json, os, shutil, socket, subprocess, sys, tempfile, time

vschan = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
from testlib import LONG_S, skip, Checks  # noqa: E402
check = Checks()

if shutil.which("qemu-system-x86_64") is None:
    sys.exit(skip("qemu-system-x86_64 is missing (Debian package qemu-system-x86)"))


def free_port(kind=socket.SOCK_STREAM):
    """A port nothing listens on now (a busy machine runs other tests)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def chardevs(args, tmp):
    """{label: filename} of QEMU started (stopped, -S) with args; or the
    error QEMU printed when it did not start."""
    qmp = os.path.join(tmp, "qmp.sock")
    if os.path.exists(qmp):
        os.unlink(qmp)
    p = subprocess.Popen(["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-nodefaults",
                          "-display", "none", "-S", "-qmp", f"unix:{qmp},server=on,wait=off", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + LONG_S
        while True:
            if p.poll() is not None:
                return p.stderr.read()
            if time.monotonic() > deadline:
                return "QEMU did not open its QMP socket"
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(qmp)
                break
            except OSError:
                s.close()
                time.sleep(0.05)
        s.settimeout(LONG_S)
        f = s.makefile("rw")
        out = {}
        try:
            f.readline()
            for cmd in ("qmp_capabilities", "query-chardev"):
                f.write(json.dumps({"execute": cmd}) + "\n")
                f.flush()
                while True:
                    r = json.loads(f.readline())
                    if "event" not in r:
                        break
                if cmd == "query-chardev":
                    out = {c["label"]: c["filename"] for c in r["return"]}
            f.write(json.dumps({"execute": "quit"}) + "\n")
            f.flush()
        except (OSError, ValueError):
            # QEMU opens its QMP socket before it reads -serial, and may
            # refuse the option and exit while we talk to it
            try:
                p.wait(timeout=LONG_S)
            except subprocess.TimeoutExpired:
                return "QEMU closed QMP and went on running"
            return p.stderr.read()
        finally:
            s.close()
        return out
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()

with tempfile.TemporaryDirectory(prefix="vschan-legacy-") as tmp:
    pipe = os.path.join(tmp, "p")
    os.mkfifo(pipe + ".in")
    os.mkfifo(pipe + ".out")
    # Each form of QEMU's -serial documentation that a spec can hold.
    # Each form as a template: {t}/{u} is a TCP/UDP port free when it runs
    # (tried again with others when the machine took one meanwhile).
    same = ["null", "pty", "vc", "msmouse", f"file:{tmp}/serial.log", f"pipe:{pipe}",
            f"unix:{tmp}/s.sock,server=on,wait=off", f"unix:{tmp}/s2.sock,server,nowait",
            "tcp:127.0.0.1:{t},server=on,wait=off", "tcp::{t},server=on,wait=off", "tcp::{t},server,nowait",
            "telnet:127.0.0.1:{t},server=on,wait=off", "telnet::{t},server,nowait",
            "tcp:127.0.0.1:{t},reconnect=5", "udp:127.0.0.1:{u}", "udp::{u}", "udp::{u}@:{u2}",
            "udp:127.0.0.1:{u}@127.0.0.1:{u2}", "/dev/ttyS0", "/dev/ptmx",
            # QEMU's own, which libvirt's XML lacks
            "vc:80Cx24C", "vc:800x600", "tcp::{t},server=on,wait=off,nodelay=on", "tcp::{t},server,nowait,nodelay",
            "mon:telnet::{t},server=on,wait=off", "mon:null"]
    for form in same:
        for attempt in range(3):
            legacy = form.format(t=free_port(), u=free_port(socket.SOCK_DGRAM), u2=free_port(socket.SOCK_DGRAM))
            qemu_view = chardevs(["-serial", legacy], tmp)
            r = subprocess.run([vschan, "qemu-args", "--argv", "--serial", legacy, "--bus", "", "--addr", ""],
                               capture_output=True, text=True)
            argv = r.stdout.split("\n")[:-1]
            ours = chardevs(argv, tmp) if r.returncode == 0 else r.stderr
            if "Address already in use" not in str(qemu_view) + str(ours):
                break
        if legacy.startswith("/dev/") and not isinstance(qemu_view, dict):
            print(f"# {legacy}: QEMU cannot open it here ({qemu_view.strip()}); not compared")
            continue
        # (mon: gives a mux chardev over its base: serial0 and serial0-base;
        # whether a client socket found a peer yet is the machine's business)
        state = lambda v: v[len("disconnected:"):] if v.startswith("disconnected:") else v
        theirs = sorted(state(v) for k, v in qemu_view.items() if k.startswith("serial0")) \
            if isinstance(qemu_view, dict) else [qemu_view]
        mine = sorted(state(v) for k, v in ours.items() if k.startswith("vschan-")) if isinstance(ours, dict) else [ours]
        check(f"--serial '{legacy}': QEMU's chardev is the one of '-serial {legacy}'",
              isinstance(qemu_view, dict) and mine == theirs, f"\n  -serial: {theirs}\n  vschan:  {mine}")

    # What QEMU refuses, and what a spec cannot hold: refused, with why.
    for legacy, why in [("udp::4555@4556", "[ADDRESS]:PORT"),
                        ("vc:80x", "not a form"),
                        ("mon:mon:null", "not a form"),
                        ("websocket:127.0.0.1:5000", "no form")]:
        r = subprocess.run([vschan, "xml", "--serial", legacy], capture_output=True, text=True)
        check(f"--serial '{legacy}': refused ({why})",
              r.returncode == 1 and why in r.stderr and "[option-legacy]" in r.stderr and r.stdout == "", r.stderr)
    qemu_view = chardevs(["-serial", "udp::4555@4556"], tmp)
    check("QEMU refuses 'udp::4555@4556' too", not isinstance(qemu_view, dict), qemu_view)

    # QEMU's own options: in qemu-args, refused by xml with what to use
    for legacy, want in [("tcp::4444,server", "server=on,wait=on"), ("tcp::4444,server=on,wait=off,nodelay", "nodelay=on"),
                         ("vc:80Cx24C", "cols=80,rows=24"), ("mon:null", "-mon chardev=vschan-serial,mode=readline")]:
        r = subprocess.run([vschan, "qemu-args", "--serial", legacy], capture_output=True, text=True)
        check(f"--serial '{legacy}': qemu-args writes {want}", r.returncode == 0 and want in r.stdout, r.stdout + r.stderr)
        r = subprocess.run([vschan, "xml", "--serial", legacy], capture_output=True, text=True)
        check(f"--serial '{legacy}': xml refuses it, pointing to qemu-args and qm",
              r.returncode == 1 and "[xml-option]" in r.stderr and "qemu-args" in r.stderr, r.stderr)

    # the defaults QEMU leaves implicit, written out
    r = subprocess.run([vschan, "xml", "--serial", "udp::4555"], capture_output=True, text=True)
    check("udp: an empty host is localhost", 'host="localhost" service="4555"' in r.stdout, r.stdout + r.stderr)
    r = subprocess.run([vschan, "xml", "--serial", "tcp::4444,server=on,wait=off"], capture_output=True, text=True)
    check("tcp: a listening port on an empty host is every address",
          'mode="bind" host="0.0.0.0" service="4444"' in r.stdout, r.stdout + r.stderr)
    r = subprocess.run([vschan, "xml", "--parallel", "/dev/parport0"], capture_output=True, text=True)
    check("--parallel /dev/parport0 is a parallel host device",
          '<parallel type="dev">' in r.stdout and 'path="/dev/parport0"' in r.stdout, r.stdout + r.stderr)

check.finish()
