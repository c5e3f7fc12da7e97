#!/usr/bin/env python3
"""vschan qm --write on every config of the corpus (tests/pve/data/*.conf):
only vschan's lines change, the user's stay byte for byte, a collision with
a line of the user's is refused, and vschan's own lines go when the spec
drops them.  Usage: check-corpus.py VSCHAN"""
import os, re, shutil, subprocess, sys, tempfile

vschan = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
from testlib import skip, Checks  # noqa: E402
check = Checks(quiet=True)
data = os.path.join(here, "..", "pve", "data")

if shutil.which("perl") is None:
    sys.exit(skip("perl is missing (Debian package perl)"))


def shellwords(value):
    """Proxmox's split of args: (Text::ParseWords::shellwords)."""
    out = subprocess.run(["perl", "-MText::ParseWords", "-e",
                          'print join("\\0", shellwords($ARGV[0]))', "--", value], capture_output=True)
    return out.stdout.decode("latin-1").split("\0") if out.stdout else []

HEADER = re.compile(rb"^\[([^\]]*)\]\s*$")
KEY = re.compile(rb"^([a-z][a-z_\-]*\d*):\s*(.*?)\s*$")
NATIVE = re.compile(rb"^(agent|serial[0-3]|parallel[0-2])$")

def sections(raw):
    """[(name, [lines])], the main section first (name None); lines keep
    their line ending."""
    out = [(None, [])]
    for line in raw.splitlines(keepends=True):
        m = HEADER.match(line.rstrip(b"\r\n"))
        if m:
            out.append((m.group(1).decode("latin-1").lower(), []))
        out[-1][1].append(line)
    return out

def key_of(line):
    m = KEY.match(line.rstrip(b"\r\n"))
    return m.group(1) if m else None

def value_of(lines, key):
    """The value qemu-server reads: the last line of key."""
    v = None
    for line in lines:
        m = KEY.match(line.rstrip(b"\r\n"))
        if m and m.group(1) == key:
            v = m.group(2)
    return v

def effective(raw, pending):
    """key -> value as the VM has it (pending: at its next start)."""
    secs = sections(raw)
    vals = {}
    for line in secs[0][1]:
        k = key_of(line)
        if k:
            vals[k] = value_of(secs[0][1], k)
    if pending:
        for n, lines in secs:
            if n != "pending":
                continue
            for line in lines:
                k = key_of(line)
                if k == b"delete":
                    for d in re.split(rb"[,;\s]+", value_of(lines, k) or b""):
                        vals.pop(d.lstrip(b"!"), None)
                elif k:
                    vals[k] = value_of(lines, k)
    return vals

def is_vschan(line):
    return line.startswith(b"#vschan owns")

def user_args(value, prefix=b"vschan-"):
    """The user's words of an args: value: those not vschan's (vschan's are
    an id=PREFIX value and the option before it)."""
    if value is None:
        return []
    words = [w.encode("latin-1") for w in shellwords(value.decode("latin-1"))]
    keep, skip_next = [], False
    for i, w in enumerate(words):
        owned = re.search(rb"(^|,)(id|chardev|bus|netdev)=" + re.escape(prefix), w) or \
            (b"-chardev:" + prefix) in w
        if owned:
            if keep and keep[-1].startswith(b"-") and i > 0 and words[i - 1] == keep[-1]:
                keep.pop()
            continue
        keep.append(w)
    return keep

def compare(name, before, after, section, owned_before, owned_after):
    """Everything but vschan's lines of section is unchanged; the user's
    args words are there in their order."""
    sb, sa = sections(before), sections(after)
    names_b = [n for n, _ in sb]
    for n, lines in sa:
        if n not in names_b:
            check(f"{name}: only [{section}] may be created", n == section, n)
    for n, lines in sb:
        other = dict((k, v) for k, v in sa).get(n)
        if other is None:
            check(f"{name}: section [{n}] is kept", n == section and lines and
                  all(key_of(l) in (b"args", b"delete") or not l.strip() or HEADER.match(l.strip())
                      for l in lines), lines)
            continue
        if n != section and n is not None:
            check(f"{name}: section [{n}] byte for byte", lines == other)
            continue
        mine = lambda l: is_vschan(l) or key_of(l) == b"args" or (n == section and key_of(l) == b"delete") or \
            (key_of(l) is not None and NATIVE.match(key_of(l)))
        # (a line that ended the file gets its newline when one follows)
        kept_b = [l.rstrip(b"\n") for l in lines if not mine(l) and l.strip()]
        kept_a = [l.rstrip(b"\n") for l in other if not mine(l) and l.strip()]
        check(f"{name}: [{n or 'main'}]: every line of the user's byte for byte, in order", kept_b == kept_a,
              f"\n  before: {kept_b}\n  after:  {kept_a}")
        if n == section:
            pend = section == "pending"
            ub = user_args(effective(before, pend).get(b"args"))
            ua = user_args(effective(after, pend).get(b"args"))
            check(f"{name}: [{n or 'main'}]: the user's args words are kept, in order", ub == ua,
                  f"\n  before: {ub}\n  after:  {ua}")
            eb, ea = effective(before, pend), effective(after, pend)
            for k in eb:
                if NATIVE.match(k) and k.decode() not in owned_before:
                    check(f"{name}: the user's {k.decode()}: stays", ea.get(k) == eb[k], f"{eb[k]} -> {ea.get(k)}")

def owned(raw):
    for l in sections(raw)[0][1]:
        if is_vschan(l):
            return {w.split(b"=")[0].decode() for w in l.split()[2:]}
    return set()

configs = sorted(f for f in os.listdir(data) if f.endswith(".conf"))
check("the corpus has at least 30 configs", len(configs) >= 30, len(configs))

with tempfile.TemporaryDirectory(prefix="vschan-corpus-") as tmp:
    lock_dir = os.path.join(tmp, "lock")
    full = ["--channel", "unix,name=org.example.corpus.0",
            "--channel", "unix,mode=bind,path=/var/run/qemu-server/101.qga,name=org.qemu.guest_agent.0",
            "--serial", "dev,path=/dev/ttyS3"]
    small = ["--channel", "unix,name=org.example.corpus.0"]

    def qm(conf, *opts):
        return subprocess.run([vschan, "qm", "101", *opts, "--write", "--conf", conf, "--lock-dir", lock_dir],
                              capture_output=True, env=dict(os.environ, NO_COLOR="1"))

    for cf in configs:
        orig = open(os.path.join(data, cf), "rb").read()
        secs = sections(orig)
        main = secs[0][1]
        locked = value_of(main, b"lock") is not None
        unbalanced = b"106-unbalanced" in cf.encode()
        for pending in (False, True):
            name = f"{cf}{' --pending' if pending else ''}"
            section = "pending" if pending else None
            conf = os.path.join(tmp, cf)
            open(conf, "wb").write(orig)
            extra = (["--pending"] if pending else []) + (["--skiplock"] if locked else [])
            if locked:
                r = qm(conf, *full, *([ "--pending"] if pending else []))
                check(f"{name}: a locked config is refused without --skiplock",
                      r.returncode == 1 and b"pve-locked" in r.stderr and open(conf, "rb").read() == orig, r.stderr)
            spec = full
            agent_now = effective(orig, pending).get(b"agent")
            if agent_now is not None and not re.match(rb"^(enabled=)?(1|on|yes|true)(,|$)", agent_now) \
                    or (agent_now and b"type=isa" in agent_now):
                # the user's agent: line does not give the agent's virtio port
                r = qm(conf, *full, *extra)
                check(f"{name}: the agent channel beside the user's 'agent: {agent_now.decode()}' is refused, naming it",
                      r.returncode == 1 and b"[pve-owner]" in r.stderr and b"'agent: " in r.stderr
                      and open(conf, "rb").read() == orig, r.stderr)
                spec = [a for a in full if "guest_agent" not in a]
                spec = [a for i, a in enumerate(spec) if not (a == "--channel" and (i + 1 == len(spec) or spec[i + 1].startswith("--")))]
            r = qm(conf, *spec, *extra)
            after = open(conf, "rb").read()
            if r.returncode != 0:
                # refusals the corpus holds on purpose: args that do not split,
                # an ISA serial port too many, a port name qemu-server has
                ok_rules = (b"pve-args-quotes", b"pve-serial-count", b"pve-port-name", b"pve-duplicate-key")
                check(f"{name}: a refusal says why and writes nothing",
                      r.returncode == 1 and any(x in r.stderr for x in ok_rules) and after == orig, r.stderr)
                continue
            check(f"{name}: not a config vschan must refuse", not unbalanced, r.stderr)
            compare(f"{name} (full spec)", orig, after, section, owned(orig), owned(after))
            # the same spec again changes nothing
            r2 = qm(conf, *spec, *extra)
            check(f"{name}: the same spec again changes nothing",
                  r2.returncode == 0 and open(conf, "rb").read() == after, r2.stderr)
            # a collision: the serial port on a line of the user's
            eff = {k.decode(): v for k, v in effective(after, pending).items() if k.startswith(b"serial")}
            for k in sorted(eff):
                if k in owned(after):
                    continue
                r3 = qm(conf, *small, "--serial", f"dev,path=/dev/ttyS2,target.port={k[-1]}", *extra)
                check(f"{name}: a port on the user's {k}: is refused, naming the line",
                      r3.returncode == 1 and b"[pve-owner]" in r3.stderr and f"{conf}:".encode() in r3.stderr
                      and open(conf, "rb").read() == after, r3.stderr)
                break
            # the spec drops the agent and the serial port: vschan's lines go
            r4 = qm(conf, *small, *extra)
            final = open(conf, "rb").read()
            check(f"{name}: a smaller spec is written", r4.returncode == 0, r4.stderr)
            compare(f"{name} (smaller spec)", after, final, section, owned(after), owned(final))
            check(f"{name}: vschan owns nothing after the smaller spec", not owned(final), final)
            for k in owned(after):
                sec = [lines for n, lines in sections(final) if n == section][0] if pending else sections(final)[0][1]
                gone = value_of(sec, k.encode()) is None or \
                    (pending and k.encode() in (value_of(sec, b"delete") or b"").replace(b",", b" ").split())
                check(f"{name}: vschan's {k}: is gone", gone, final)

    # qm import, then --write of what it printed: the config byte for byte
    for cf in configs:
        orig = open(os.path.join(data, cf), "rb").read()
        locked = value_of(sections(orig)[0][1], b"lock") is not None
        for pending in (False, True):
            name = f"import {cf}{' --pending' if pending else ''}"
            conf = os.path.join(tmp, cf)
            open(conf, "wb").write(orig)
            opts = ["--pending"] if pending else []
            r = subprocess.run([vschan, "qm", "import", "101", "--conf", conf, *opts], capture_output=True,
                               env=dict(os.environ, NO_COLOR="1"))
            if b"106-unbalanced" in cf.encode():
                check(f"{name}: args that do not split are refused", r.returncode == 1
                      and b"[pve-args-quotes]" in r.stderr, r.stderr)
                continue
            check(f"{name}: prints a spec", r.returncode == 0 and r.stdout.startswith(b"{"), r.stderr)
            spec = os.path.join(tmp, "imported.json")
            open(spec, "wb").write(r.stdout)
            skiplock = ["--skiplock"] if locked else []
            w = qm(conf, spec, *opts, *skiplock)
            written = open(conf, "rb").read()
            args_now = effective(orig, pending).get(b"args") or b""
            if user_args(args_now) == [x.encode("latin-1") for x in shellwords(args_now.decode("latin-1"))]:
                check(f"{name}: --write of the imported spec leaves the config byte for byte",
                      w.returncode == 0 and written == orig, w.stdout + w.stderr)
                continue
            # vschan's own arguments, written by hand or an older vschan:
            # written again in today's form, the devices and the user's
            # words the same, and from then on a fixed point
            r2 = subprocess.run([vschan, "qm", "import", "101", "--conf", conf, *opts], capture_output=True)
            check(f"{name}: vschan's own devices are read back the same after it rewrote them",
                  w.returncode == 0 and r2.returncode == 0 and r2.stdout == r.stdout, r2.stdout + r.stdout)
            check(f"{name}: the user's words of args: are kept",
                  user_args(effective(written, pending).get(b"args")) == user_args(args_now))
            w2 = qm(conf, spec, *opts, *skiplock)
            check(f"{name}: then the imported spec changes nothing",
                  w2.returncode == 0 and open(conf, "rb").read() == written, w2.stdout + w2.stderr)

check.finish()
