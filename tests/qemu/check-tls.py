#!/usr/bin/env python3
"""TLS on a tcp chardev (tls: true): qemu-args writes the x509 credentials
object libvirt would make from qemu.conf, real QEMU starts with it, and a
TLS client (openssl s_client, trusting the test's CA) completes the
handshake with QEMU's server socket; qm import reads it back.
Usage: check-tls.py VSCHAN"""
import json, os, shutil, socket, subprocess, sys, tempfile, time

vschan = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
from testlib import LONG_S, skip, Checks  # noqa: E402
check = Checks()

for cmd, pkg in (("qemu-system-x86_64", "qemu-system-x86"), ("openssl", "openssl")):
    if shutil.which(cmd) is None:
        sys.exit(skip(f"{cmd} is missing (Debian package {pkg})"))


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=LONG_S)

with tempfile.TemporaryDirectory(prefix="vschan-tls-") as tmp:
    pki = os.path.join(tmp, "pki")
    os.mkdir(pki)
    # a CA and a server certificate for localhost, as QEMU's x509 directory wants them
    for args in (["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca-cert.pem",
                  "-days", "2", "-subj", "/CN=vschan test CA"],
                 ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr",
                  "-subj", "/CN=localhost"],
                 ["x509", "-req", "-in", "server.csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem",
                  "-CAcreateserial", "-out", "server-cert.pem", "-days", "2"]):
        subprocess.run(["openssl", *args], cwd=pki, capture_output=True, check=True, timeout=LONG_S)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = os.path.join(tmp, "tls.json")
    json.dump({"serials": [{"type": "tcp", "source": {"mode": "bind", "host": "127.0.0.1", "service": port, "tls": True},
                            "target": {"port": 0}}]}, open(spec, "w"))

    r = run(vschan, "qemu-args", "--argv", spec)
    check("qemu-args: libvirt's default directory and verify-peer",
          "tls-creds-x509,id=vschan-serial0-tls,dir=/etc/pki/qemu,endpoint=server,verify-peer=on" in r.stdout
          and "tls-creds=vschan-serial0-tls" in r.stdout, r.stdout + r.stderr)
    r = run(vschan, "qemu-args", "--argv", spec, "--tls-dir", pki, "--tls-no-verify")
    argv = r.stdout.split("\n")[:-1]
    check("qemu-args --tls-dir --tls-no-verify", r.returncode == 0
          and f"tls-creds-x509,id=vschan-serial0-tls,dir={pki},endpoint=server,verify-peer=off" in argv, r.stdout + r.stderr)
    r = run(vschan, "xml", spec)
    check("vschan xml writes libvirt's tls='yes'", 'tls="yes"' in r.stdout, r.stdout + r.stderr)

    qemu = subprocess.Popen(["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-nodefaults", "-display", "none",
                             "-S", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + LONG_S
        listening = False
        while not listening and qemu.poll() is None and time.monotonic() < deadline:
            with socket.socket() as s:
                listening = s.connect_ex(("127.0.0.1", port)) == 0
            time.sleep(0.05)
        check("real QEMU starts with the credentials and listens", listening,
              qemu.stderr.read() if qemu.poll() is not None else "")
        if listening:
            c = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                                os.path.join(pki, "ca-cert.pem"), "-verify_return_error", "-servername", "localhost"],
                               input="", capture_output=True, text=True, timeout=LONG_S)
            check("a TLS client verifies QEMU's certificate and completes the handshake",
                  "Verify return code: 0 (ok)" in c.stdout, c.stdout[-800:] + c.stderr[-400:])
    finally:
        qemu.kill()
        qemu.wait()

    conf = os.path.join(tmp, "101.conf")
    words = run(vschan, "qemu-args", spec, "--tls-dir", pki).stdout.strip()
    open(conf, "w").write(f"args: {words}\nmemory: 512\n")
    r = run(vschan, "qm", "import", "101", "--conf", conf)
    check("qm import reads tls: true back, and says where the credentials are",
          r.returncode == 0 and '"tls": true' in r.stdout and pki in r.stderr, r.stdout + r.stderr)

check.finish()
