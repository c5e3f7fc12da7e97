#!/usr/bin/env python3
"""Injection property test: hostile values through every output of vschan.

Thousands of generated values -- with commas, ',,', quotes, spaces, '=',
newlines, XML metacharacters, shell metacharacters, control characters,
non-UTF-8 bytes, non-characters and very long runs -- go into one field of
a device (a unix socket path, a file path, a tcp host, a virtio channel
name, a log file, an alias), given either in a spec (JSON) or in the
compact option syntax (raw bytes on the command line).  Each value goes
through:
  vschan xml             parsed back with xml.etree: the element tree is the
                         one a plain value gives, and the attribute holds
                         exactly the value;
  vschan qemu-args --argv  split into arguments and each option value into
                         keys and values by a reference of QEMU's option
                         parser (',,' is a literal comma; the first bare
                         item is the implied key): the same options and keys
                         as a plain value gives, the field's key holding
                         exactly the value;
  vschan qm              the same config keys as for a plain value; the
                         args: value split by Perl's Text::ParseWords::
                         shellwords (as qemu-server does), then the QEMU
                         check above.
Each command either exits 0 with the value read back exactly, or exits 1
with an error on stderr and nothing on stdout.  Never silently altered,
never an added element, option or config line.

usage: injection.py VSCHAN [COUNT]   (VSCHAN_PROPERTY_SEED=N repeats a run)
"""
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import LONG_S, skip  # noqa: E402

# Set by main(); injection-real.py imports this file for its pieces and
# its reference of QEMU's option parser.
VSCHAN = None
COUNT = 1500
# A fixed seed keeps CI reproducible; VSCHAN_PROPERTY_SEED explores others.
SEED = int(os.environ.get("VSCHAN_PROPERTY_SEED", "20261121"))
failures = []


def fail(msg):
    if len(failures) < 50:
        print("FAIL " + msg, flush=True)
    failures.append(msg)


# ------------------------------------------------------------- the fields
# spec(v): the spec document; option(v): the compact option (bytes) or
# None; xml: (element path, attribute) of the value; qemu: the QEMU key
# that holds it; plain: a value every output accepts.
FIELDS = {
    "unix-path": dict(
        spec=lambda v: {"channels": [{"type": "unix", "source": {"mode": "bind", "path": v},
                                      "target": {"type": "virtio", "name": "org.example.0"}}]},
        option=lambda v: ["--channel", b"unix,mode=bind,name=org.example.0,path=" + v.replace(b",", b",,")],
        xml=("channel/source", "path"), qemu="path", plain="/run/plain.sock"),
    "file-path": dict(
        spec=lambda v: {"serials": [{"type": "file", "source": {"path": v}}]},
        option=lambda v: ["--serial", b"file,path=" + v.replace(b",", b",,")],
        xml=("serial/source", "path"), qemu="path", plain="/var/log/plain.log"),
    "tcp-host": dict(
        spec=lambda v: {"serials": [{"type": "tcp", "source": {"mode": "connect", "host": v, "service": "2222"}}]},
        option=None,   # host=HOST:PORT is split on ':' by design
        xml=("serial/source", "host"), qemu="host", plain="example.org"),
    "channel-name": dict(
        spec=lambda v: {"channels": [{"type": "pty", "target": {"type": "virtio", "name": v}}]},
        option=lambda v: ["--channel", b"pty,name=" + v.replace(b",", b",,")],
        xml=("channel/target", "name"), qemu="name", plain="org.example.plain.0"),
    "log-file": dict(
        spec=lambda v: {"serials": [{"type": "pty", "log": {"file": v}}]},
        option=lambda v: ["--serial", b"pty,log.file=" + v.replace(b",", b",,")],
        xml=("serial/log", "file"), qemu="logfile", plain="/var/log/plain.log"),
    "alias": dict(
        spec=lambda v: {"serials": [{"type": "pty", "alias": v}]},
        option=lambda v: ["--serial", b"pty,alias.name=" + v.replace(b",", b",,")],
        xml=("serial/alias", "name"), qemu=None, plain="ua-plain",
        # documented (vschan-spec(5)): the ua- prefix libvirt requires is added when missing
        expect=lambda v: v if v.startswith(b"ua-") else b"ua-" + v),
}

PIECES = [",", ",,", ",,,", "\"", "'", " ", "  ", "=", "\n", "\r", "\t", "<", ">", "&", "&amp;",
          "]]>", "<!--", "\\", "$", "`", ";", "|", "#", "-", "--", "id=", ",id=evil", "=on",
          "path=/etc/shadow", ",server=on", " -device ", "' -x '", "\" -x \"", "\\'", "%",
          "%E2%80%93", "\x01", "\x1f", "\x7f", "\x85", "\xa0", "é", "\u2028", "☃", "\U0001F600",
          "\ufffe", "\uffff", "\ud800", "{", "}", "[", "]", ":", "::", "@", "..", "/", "//",
          "org.example.", "a", "0"]
RAW = [b"\xff", b"\xc3", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf5\x80\x80\x80"]


def generate(rng, field):
    """A hostile value: str for the spec, bytes for the option syntax."""
    plain = FIELDS[field]["plain"]
    parts = []
    if rng.random() < 0.6:   # keep it close to something the rules accept
        parts.append(plain[: rng.randrange(1, len(plain) + 1)] if field != "alias" else "ua-")
    for _ in range(rng.randrange(1, 6)):
        parts.append(rng.choice(PIECES))
        if rng.random() < 0.5:
            parts.append(rng.choice(["a", "b", "x", "0", "run", "sock", "org"]))
    if rng.random() < 0.05:
        parts.append(rng.choice(["a", ",", "x,,", "<&>", "é"]) * rng.choice([100, 1000, 5000, 15000]))
    if rng.random() < 0.3 and field == "channel-name":
        parts = ["org.example."] + parts
    value = "".join(parts)
    if FIELDS[field]["option"] and rng.random() < 0.4:
        raw = value.encode("utf-8", "surrogatepass")
        if rng.random() < 0.4:
            at = rng.randrange(len(raw) + 1)
            raw = raw[:at] + rng.choice(RAW) + raw[at:]
        return raw.replace(b"\0", b"")
    return value


# --------------------------------------------------------------- readers

def qemu_opts(s, implied):
    """QEMU's opts_do_parse/get_opt_name_value, on bytes."""
    out, p, first = [], 0, True
    while p < len(s):
        n = p
        while n < len(s) and s[n:n + 1] not in (b"=", b","):
            n += 1
        if n == len(s) or s[n:n + 1] != b"=":
            if first and implied:
                key, (val, p) = implied, opt_value(s, p)
            else:
                key, val, p = s[p:n], b"on", n
        else:
            key, (val, p) = s[p:n], opt_value(s, n + 1)
        out.append((key, val))
        first = False
        if p < len(s) and s[p:p + 1] == b",":
            p += 1
    return out


def opt_value(s, p):
    v = bytearray()
    while p < len(s):
        if s[p:p + 1] == b",":
            if s[p + 1:p + 2] == b",":
                v += b","
                p += 2
                continue
            break
        v += s[p:p + 1]
        p += 1
    return bytes(v), p


IMPLIED = {b"-chardev": b"backend", b"-device": b"driver", b"-netdev": b"type"}


def qemu_structure(argv):
    """[(option, [(key, value)...])...], or a string saying what is wrong."""
    if len(argv) % 2:
        return "odd number of arguments"
    out = []
    for i in range(0, len(argv), 2):
        opt, val = argv[i], argv[i + 1]
        if opt not in IMPLIED:
            return "unexpected argument %r" % opt[:80]
        out.append((opt, qemu_opts(val, IMPLIED[opt])))
    return out


def compare_qemu(where, got, ref, field, value):
    """got/ref: parsed structures; the field's key must hold value exactly."""
    if isinstance(got, str):
        return fail("%s: %s" % (where, got))
    if [(o, [k for k, _ in kv]) for o, kv in got] != [(o, [k for k, _ in kv]) for o, kv in ref]:
        return fail("%s: options or keys differ from a plain value's:\n  %r\n  %r" %
                    (where, [(o, [k for k, _ in kv]) for o, kv in got][:6],
                     [(o, [k for k, _ in kv]) for o, kv in ref][:6]))
    key = FIELDS[field]["qemu"]
    if not key:
        return
    plain = FIELDS[field]["plain"].encode()
    hits = 0
    for (o, kv), (_, rkv) in zip(got, ref):
        for (k, v), (_, rv) in zip(kv, rkv):
            if k == key.encode() and rv == plain:
                hits += 1
                if v != value:
                    fail("%s: %s=%r, expected %r" % (where, key, v[:200], value[:200]))
    if hits == 0:
        fail("%s: no %s= holding the value" % (where, key))


def tree_shape(elem, skip):
    """Tags, attribute names and values, except the attribute under test."""
    attrs = sorted((k, v) for k, v in elem.attrib.items() if (elem, k) != skip)
    return (elem.tag, attrs, [tree_shape(c, skip) for c in elem])


# ------------------------------------------------------------------ runs

def run(args, stdin=None):
    p = subprocess.run([VSCHAN] + args, input=stdin, capture_output=True, timeout=LONG_S,
                       env=dict(os.environ, NO_COLOR="1"))
    return p


def invocation(field, value):
    """Arguments and stdin for a value: spec on stdin, or option bytes."""
    if isinstance(value, bytes):
        return FIELDS[field]["option"](value), None
    return ["-"], json.dumps(FIELDS[field]["spec"](value)).encode()


def check_rejection(where, p):
    if p.returncode != 1:
        fail("%s: exit %d (want 0, or 1 with an error): %r" % (where, p.returncode, p.stderr[-300:]))
    elif p.stdout:
        fail("%s: refused but printed to stdout" % where)
    elif b"error" not in p.stderr:
        fail("%s: refused without an error message" % where)


def as_bytes(value):
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


REFS = {}


def references():
    for field, f in FIELDS.items():
        plain = f["plain"]
        for mode in ("spec", "option"):
            if mode == "option" and not f["option"]:
                continue
            v = plain.encode() if mode == "option" else plain
            args, stdin = invocation(field, v)
            xml = run(["xml"] + args, stdin)
            qa = run(["qemu-args", "--argv"] + args, stdin)
            qm = run(["qm", "100"] + args, stdin)
            for name, p in (("xml", xml), ("qemu-args", qa), ("qm", qm)):
                if p.returncode != 0:
                    raise SystemExit("reference %s %s %s fails: %s" % (name, field, mode, p.stderr.decode()))
            REFS[field, mode] = (xml.stdout, qa.stdout, qm.stdout)


def check_one(field, value):
    """Run the three outputs; returns (field, value, outcomes, qm args value or None)."""
    mode = "option" if isinstance(value, bytes) else "spec"
    args, stdin = invocation(field, value)
    raw = as_bytes(value)
    label = "%s/%s %r" % (field, mode, value[:60] if len(value) > 60 else value)
    ref_xml, ref_qa, ref_qm = REFS[field, mode]
    outcome = {}

    # XML
    p = run(["xml"] + args, stdin)
    outcome["xml"] = p.returncode
    if p.returncode == 0:
        path, attr = FIELDS[field]["xml"]
        try:
            got, ref = ET.fromstring(p.stdout), ET.fromstring(ref_xml)
            ge, re_ = got.find(path), ref.find(path)
            if ge is None:
                fail("xml %s: no %s element" % (label, path))
            else:
                try:
                    text = FIELDS[field].get("expect", lambda v: v)(raw).decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                if text is None:
                    fail("xml %s: accepted a value that is not UTF-8" % label)
                elif ge.get(attr) != text:
                    fail("xml %s: read back %r" % (label, (ge.get(attr) or "")[:200]))
                if tree_shape(got, (ge, attr)) != tree_shape(ref, (re_, attr)):
                    fail("xml %s: the element tree differs from a plain value's" % label)
        except ET.ParseError as e:
            fail("xml %s: output does not parse: %s" % (label, e))
    else:
        check_rejection("xml " + label, p)

    # QEMU arguments, one per line
    p = run(["qemu-args", "--argv"] + args, stdin)
    outcome["qemu-args"] = p.returncode
    if p.returncode == 0:
        got = qemu_structure(p.stdout.split(b"\n")[:-1])
        ref = qemu_structure(ref_qa.split(b"\n")[:-1])
        compare_qemu("qemu-args " + label, got, ref, field, raw)
    else:
        check_rejection("qemu-args " + label, p)

    # Proxmox config lines
    p = run(["qm", "100"] + args, stdin)
    outcome["qm"] = p.returncode
    qm_args = None
    if p.returncode == 0:
        lines, ref_lines = p.stdout.split(b"\n"), ref_qm.split(b"\n")
        keys = [ln.split(b":", 1)[0] for ln in lines]
        if keys != [ln.split(b":", 1)[0] for ln in ref_lines]:
            fail("qm %s: config lines differ from a plain value's: %r" % (label, keys[:10]))
        else:
            for ln, rl in zip(lines, ref_lines):
                if ln.startswith(b"args: "):
                    qm_args = (ln[6:], rl[6:])
                elif ln != rl:
                    fail("qm %s: line %r changed" % (label, ln[:100]))
    else:
        check_rejection("qm " + label, p)
    return field, value, outcome, qm_args


def shellwords(values):
    """Split each value with Perl's Text::ParseWords::shellwords, in one perl."""
    script = r'''
use Text::ParseWords;
binmode STDIN; binmode STDOUT;
while (my $hex = <STDIN>) {
  chomp $hex;
  my @w = shellwords(pack("H*", $hex));
  print join(" ", map { unpack("H*", $_) . "." } @w), "\n";
}
'''
    data = b"".join(v.hex().encode() + b"\n" for v in values)
    p = subprocess.run(["perl", "-e", script], input=data, capture_output=True, timeout=120)
    if p.returncode != 0:
        raise SystemExit("perl failed: %s" % p.stderr.decode())
    out = []
    for line in p.stdout.decode().split("\n")[:-1]:
        out.append([bytes.fromhex(w[:-1]) for w in line.split(" ") if w])
    return out


def main():
    global VSCHAN, COUNT
    VSCHAN = sys.argv[1]
    COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
    if not shutil.which("perl") or subprocess.run(["perl", "-MText::ParseWords", "-e1"]).returncode:
        return skip("perl with Text::ParseWords is missing (apt-get install perl)")
    print("seed %d (VSCHAN_PROPERTY_SEED=%d repeats this run), %d values" % (SEED, SEED, COUNT), flush=True)
    rng = random.Random(SEED)
    references()
    work = []
    for _ in range(COUNT):
        field = rng.choice(list(FIELDS))
        work.append((field, generate(rng, field)))

    stats = {}
    qm_checks = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for field, value, outcome, qm_args in pool.map(lambda fv: check_one(*fv), work):
            for out, rc in outcome.items():
                s = stats.setdefault(out, {0: 0, 1: 0})
                s[rc] = s.get(rc, 0) + 1
            if qm_args:
                qm_checks.append((field, value, qm_args))

    # qm's args: through shellwords, then QEMU's parser
    if qm_checks:
        split = shellwords([a for _, _, (a, _) in qm_checks] + [r for _, _, (_, r) in qm_checks])
        n = len(qm_checks)
        for i, (field, value, _) in enumerate(qm_checks):
            label = "qm args %s %r" % (field, value[:60])
            compare_qemu(label, qemu_structure(split[i]), qemu_structure(split[n + i]), field, as_bytes(value))

    for out, s in sorted(stats.items()):
        print("%s: %d accepted and read back exactly, %d refused with an error" % (out, s.get(0, 0), s.get(1, 0)))
        if s.get(0, 0) < COUNT // 10:
            fail("%s accepted only %d values: the generator no longer tests escaping" % (out, s.get(0, 0)))
    if failures:
        print("%d failures (seed %d)" % (len(failures), SEED))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
