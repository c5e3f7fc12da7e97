#!/usr/bin/env python3
"""Injection property test, read back by the real components.

injection.py checks thousands of hostile values against references of the
parsers; this test hands a few hundred of them to the parsers themselves.
Each value goes into one field of a virtio channel -- a unix socket path, a
file path, a log file, a tcp host or service, the port name, an alias --
given in a spec or in the compact option syntax.  First every value runs
alone through 'vschan qemu-args', 'vschan qm' and 'vschan xml': a refusal
must be exit 1 with an error naming its rule and nothing on stdout.  The
accepted values are then put together, 30 channels to a spec, and read back:

qemu     'vschan qemu-args --argv' of every spec, all in ONE QEMU (-S, TCG),
         asked over QMP: qom-get of each port's name and chardev, qom-get of
         each socket chardev's addr (path, or host and port), query-chardev's
         filename ("disconnected:unix:PATH,server=on"), and the files and
         sockets QEMU made.  Exactly one port per channel, one chardev per
         port, one controller per spec, and no file but the given ones.
         Then 'vschan qm' of the same specs: the args: line is split with
         Perl's Text::ParseWords::shellwords, as PVE::Tools::split_args does,
         and that argv goes to a second QEMU with the same checks.
libvirt  'vschan xml --into' one domain per spec, defined in a hermetic
         qemu:///embed root: 'virsh dumpxml' holds each value exactly, and
         exactly the channels given; 'virsh domxml-to-native qemu-argv' has
         one -chardev and one virtserialport -device per channel, each
         chardev with the same keys as a plain value's and the value in its
         key after QEMU's comma doubling is undone.

Fixed edge cases run every time: paths of 107 and 108 bytes (sun_path), a
255-byte file name and a 4,000-byte path, 4,000-byte hosts and names,
non-UTF-8 bytes, newline, ',', '=', quotes, '<', '&', ']]>' and "".

usage: injection-real.py VSCHAN qemu|libvirt [COUNT]
Environment: VSCHAN_PROPERTY_SEED=N repeats a run; EMBED_ROOT_SH
(tests/lib/embed-root.sh); CI set: a missing QEMU, libvirt or Perl fails
instead of skipping.
"""
import concurrent.futures
import ctypes
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import stat
import string
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import injection as model  # noqa: E402  (pieces, QEMU option reference, shellwords)
from testlib import LONG_S, skip  # noqa: E402  (injection put tests/lib on the path)

VSCHAN = model.VSCHAN = sys.argv[1] if len(sys.argv) > 1 else None
STAGE = sys.argv[2] if len(sys.argv) > 2 else None
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 300
SEED = int(os.environ.get("VSCHAN_PROPERTY_SEED", "20261122"))
EMBED_ROOT_SH = os.environ.get("EMBED_ROOT_SH", os.path.join(HERE, "..", "lib", "embed-root.sh"))
QEMU = "qemu-system-x86_64"
PER_SPEC = 30           # a virtio-serial controller has 31 ports; port 0 is the console's
OUTPUTS = ("qemu-args", "qm", "xml")
STAGE_OUTPUTS = {"qemu": ("qemu-args", "qm"), "libvirt": ("xml",)}
fail, failures = model.fail, model.failures


def short(v, n=70):
    return repr(v if len(v) <= n else v[:n] + (b"..." if isinstance(v, bytes) else "..."))


# ---------------------------------------------------------------- values
# A value is a dict: i (unique number), field, v (str: given in a spec;
# bytes: in the option syntax), expect ({output: "ok" | "refused" | rule}).

def name_of(val):
    return val["v"] if val["field"] == "channel-name" else "org.inj.%d" % val["i"]


def device(val):
    """The channel of a value, as a spec device."""
    f, v, target = val["field"], val["v"], {"type": "virtio", "name": name_of(val)}
    if f == "unix-path":
        return {"type": "unix", "source": {"mode": "bind", "path": v}, "target": target}
    if f == "file-path":
        return {"type": "file", "source": {"path": v}, "target": target}
    if f == "log-file":
        return {"type": "pty", "log": {"file": v}, "target": target}
    if f in ("tcp-host", "tcp-service"):
        host, service = (v, "1") if f == "tcp-host" else ("127.0.0.1", v)
        # reconnect: QEMU connects in the background, so a host that does
        # not resolve does not stop it from starting.
        return {"type": "tcp", "target": target,
                "source": {"mode": "connect", "host": host, "service": service,
                           "reconnect": {"enabled": True, "timeout": 1}}}
    if f == "channel-name":
        return {"type": "pty", "target": target}
    if f == "alias":
        return {"type": "pty", "alias": v, "target": target}
    raise ValueError(f)


def option(val):
    """The channel of a value (bytes) in the compact option syntax."""
    f, esc = val["field"], val["v"].replace(b",", b",,")
    name = b"name=" + name_of(val).encode() if f != "channel-name" else b"name=" + esc
    return {"unix-path": b"unix,mode=bind," + name + b",path=" + esc,
            "file-path": b"file," + name + b",path=" + esc,
            "log-file": b"pty," + name + b",log.file=" + esc,
            "channel-name": b"pty," + name,
            "alias": b"pty," + name + b",alias.name=" + esc}[f]


OPTION_FIELDS = ("unix-path", "file-path", "log-file", "channel-name", "alias")
PATH_FIELDS = ("unix-path", "file-path", "log-file")
ID_CHARS = string.ascii_letters + string.digits + "_-"


def cut(s, nbytes):
    while len(s.encode("utf-8", "surrogatepass")) > nbytes:
        s = s[:-1]
    return s


def hostile(rng):
    parts = []
    for _ in range(rng.randrange(1, 6)):
        parts.append(rng.choice(model.PIECES))
        if rng.random() < 0.5:
            parts.append(rng.choice(["a", "x", "0", "run", "sock", "org"]))
    if rng.random() < 0.05:
        parts.append(rng.choice(["a", ",", "x,,", "<&>", "é"]) * rng.choice([30, 200, 1500]))
    return "".join(parts).replace("\0", "")


def generate(rng, i, field, vdir):
    """A generated value for field; paths live under vdir."""
    if field in PATH_FIELDS:
        # One level under vdir: '/' would need directories, '..' could leave it.
        tail = hostile(rng).replace("/", "_")
        prefix = "%s/%s%d-" % (vdir, field[0], i)
        if field != "unix-path":       # NAME_MAX is the file system's, not an escaping limit
            tail = cut(tail, 240)
        v = prefix + tail
    elif field == "tcp-host":
        v = rng.choice(["127.0.0.1", "example.org", "::1", "", "h"]) + hostile(rng)
    elif field == "tcp-service":
        v = rng.choice(["1", "ssh", ""]) + cut(hostile(rng), 60)
    else:
        ok = "".join(rng.choice(ID_CHARS + ".") for _ in range(rng.choice([1, 5, 20, 60, 400])))
        if rng.random() < 0.5:
            at = rng.randrange(len(ok) + 1)
            ok = ok[:at] + rng.choice(model.PIECES) + ok[at:]
        v = ("org.i%d." % i if field == "channel-name" else "ua-i%d" % i) + ok
    if field in OPTION_FIELDS and rng.random() < 0.3:
        raw = v.encode("utf-8", "surrogatepass")
        if rng.random() < 0.3:
            at = rng.randrange(len(raw) - 1, len(raw) + 1)
            raw = raw[:at] + rng.choice(model.RAW) + raw[at:]
        return raw.replace(b"\0", b"")
    return v


def edge_cases(vdir):
    """(field, value, expect): the fixed cases, run every time."""
    ok = {o: "ok" for o in OUTPUTS}

    def refused(rule, outputs=OUTPUTS):
        return {o: rule for o in outputs}

    unix107 = vdir + "/e107-"
    unix107 += "u" * (107 - len(unix107))
    deep = vdir + "/" + "/".join(["d%02d-" % k + "p" * 195 for k in range(19)]) + "/deep,x=y"
    return [
        ("unix-path", unix107, ok),
        ("unix-path", unix107 + "u", refused("unix-path-length")),
        ("unix-path", vdir + "/e,server=off,path=" + vdir + "/x", ok),
        ("unix-path", vdir + "/e ,,'\"<&>]]>=;$`|", ok),
        ("unix-path", vdir + "/e-é☃\U0001F600", ok),
        ("unix-path", vdir + "/e,", ok),
        ("unix-path", vdir + "/e-nl\nx", refused("refused", ("qemu-args", "qm"))),
        ("unix-path", (vdir + "/e-\xff").encode("latin-1"), refused("option-syntax")),
        ("unix-path", (vdir + "/e-\xc3(").encode("latin-1"), refused("option-syntax")),
        ("file-path", vdir + "/e-" + "n" * 252, ok),
        ("file-path", deep, ok),
        ("file-path", vdir + "/e,,", ok),
        ("file-path", vdir + "/e=", ok),
        ("file-path", vdir + "/e']]>&lt;", ok),
        ("file-path", (vdir + "/e,x").encode(), ok),
        ("log-file", vdir + "/e,logappend=on", ok),
        ("log-file", vdir + "/e\"<!--", ok),
        # libvirt 9.0 writes host= and port= without doubling commas, so the
        # XML must not carry one; QEMU itself takes them (either is right).
        ("tcp-host", "127.0.0.1,logfile=" + vdir + "/injected-host", {"xml": "refused"}),
        ("tcp-host", "example.org,server=on", {"xml": "refused"}),
        ("tcp-host", "h" * 4000, ok),
        ("tcp-host", "a b'\"<&>]]>=", {"qemu-args": "ok", "qm": "ok"}),
        ("tcp-service", "1,logfile=" + vdir + "/injected-port", {"xml": "refused"}),
        # "" is no value: the XML writer leaves an empty attribute out.
        ("unix-path", "", refused("refused")),
        ("file-path", "", refused("refused")),
        ("log-file", "", refused("refused")),
        ("tcp-host", "", refused("refused")),
        ("tcp-service", "", refused("refused")),
        ("channel-name", "org.e." + "a" * 3000, ok),
        ("channel-name", "org.e,x", refused("channel-name-chars")),
        ("channel-name", "org.e.]]>", refused("channel-name-chars")),
        ("channel-name", "org.e.=", refused("channel-name-chars")),
        ("alias", "ua-" + "a" * 1000, ok),
        ("alias", "ua-a,b", refused("alias-format")),
        ("alias", "ua-a\nb", refused("alias-format")),
    ]


def make_values(vdir):
    rng = random.Random(SEED)
    values = []
    for field, v, expect in edge_cases(vdir):
        values.append(dict(i=len(values), field=field, v=v, expect=expect))
    fields = ["unix-path", "file-path", "log-file", "tcp-host", "tcp-service", "channel-name", "alias"]
    while len(values) < COUNT:
        field = rng.choice(fields)
        values.append(dict(i=len(values), field=field, v=None, expect={}))
        values[-1]["v"] = generate(rng, values[-1]["i"], field, vdir)
    return values


def directories_for(values):
    """Parent directories the path values need (the deep edge case)."""
    return sorted({os.path.dirname(v["v"]) for v in values
                   if v["field"] in PATH_FIELDS and isinstance(v["v"], str) and v["v"]})


# ----------------------------------------------------------------- vschan

vschan = model.run


def invocation(vals):
    """Arguments and stdin for a group of values of one form."""
    if isinstance(vals[0]["v"], bytes):
        args = []
        for val in vals:
            args += ["--channel", option(val)]
        return args, None
    return ["-"], json.dumps({"channels": [device(v) for v in vals]}).encode()


def single_command(output):
    return {"qemu-args": ["qemu-args", "--argv"], "qm": ["qm", "100"], "xml": ["xml"]}[output]


RULE = re.compile(rb"\[([a-z0-9-]+)\]")


def classify(val):
    """Run each output on the value alone: {output: True accepted | False}."""
    out = {}
    args, stdin = invocation([val])
    for output in STAGE_OUTPUTS[STAGE]:
        p = vschan(single_command(output) + args, stdin)
        want = val["expect"].get(output)
        where = "%s %s %s" % (output, val["field"], short(val["v"]))
        if p.returncode == 0:
            out[output] = True
            if want not in (None, "ok"):
                fail("%s: accepted, expected a refusal (%s)" % (where, want))
            continue
        out[output] = False
        rules = RULE.findall(p.stderr)
        if p.returncode != 1 or p.stdout or b"error:" not in p.stderr or not rules:
            fail("%s: refused without exit 1, an 'error:' naming its rule and an empty stdout "
                 "(exit %d): %r" % (where, p.returncode, p.stderr[-300:]))
        elif want == "ok":
            fail("%s: refused, expected it to be accepted: %r" % (where, p.stderr[-300:]))
        elif want not in (None, "refused") and want.encode() not in rules:
            fail("%s: refused by %r, expected [%s]" % (where, rules, want))
    return val, out


def groups(values):
    """Accepted values in specs of PER_SPEC, each spec of one form."""
    out = []
    for form in (str, bytes):
        same = [v for v in values if isinstance(v["v"], form)]
        out += [same[k:k + PER_SPEC] for k in range(0, len(same), PER_SPEC)]
    return out


# ------------------------------------------------------------------- QEMU

def die_with_parent():
    # QEMU must not outlive the test, even one killed by a ctest timeout.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


class Qemu:
    """A QEMU started with argv, asked over a QMP socketpair."""

    def __init__(self, machine, argv, workdir, label):
        self.label = label
        ours, theirs = socket.socketpair()
        self.errfile = open(os.path.join(workdir, "qemu-%s.err" % label), "w+b")
        full = [QEMU, "-M", machine, "-accel", "tcg", "-nodefaults", "-no-user-config",
                "-display", "none", "-S", "-m", "64",
                "-chardev", "socket,id=vsc-qmp,fd=%d" % theirs.fileno(),
                "-mon", "chardev=vsc-qmp,mode=control"] + argv
        self.proc = subprocess.Popen(full, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                     stdout=self.errfile, stderr=self.errfile,
                                     preexec_fn=die_with_parent)
        theirs.close()
        ours.settimeout(LONG_S)
        self.sock = ours
        self.io = ours.makefile("rwb")
        self.greeting = self.io.readline()

    def stderr(self):
        """QEMU's last message, which says what it refused."""
        self.errfile.seek(0)
        lines = self.errfile.read().decode("utf-8", "replace").strip().splitlines()
        return short(lines[-1], 300) if lines else ""

    def started(self):
        if self.greeting:
            self.cmd("qmp_capabilities")
            return True
        self.proc.wait(timeout=LONG_S)
        return False

    def cmd(self, execute, **arguments):
        self.io.write(json.dumps({"execute": execute, "arguments": arguments}).encode() + b"\n")
        self.io.flush()
        while True:
            line = self.io.readline()
            if not line:
                raise RuntimeError("QEMU closed QMP during %s: %s" % (execute, self.stderr()))
            reply = json.loads(line)
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError("%s: %s" % (execute, reply["error"].get("desc")))

    def stop(self):
        try:
            if self.proc.poll() is None and self.greeting:
                self.cmd("quit")
                self.proc.wait(timeout=10)
        except (OSError, RuntimeError, subprocess.TimeoutExpired, ValueError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.io.close()
        self.sock.close()
        self.errfile.close()


def addr_fields(addr):
    """qom-get addr: {'type': 'unix', 'path': ...} (flat) or {..., 'data': {...}}."""
    return addr.get("data", addr)


def read_back_qemu(q, specs, vdir, label):
    """Check what the running QEMU q made of specs ([(prefix, [values])])."""
    values = [v for _, vals in specs for v in vals]
    peripherals = q.cmd("qom-list", path="/machine/peripheral")
    ports, controllers, others = {}, [], []
    for child in peripherals:
        if child["type"] == "child<virtserialport>":
            path = "/machine/peripheral/" + child["name"]
            name = q.cmd("qom-get", path=path, property="name")
            if name in ports:
                fail("%s: two ports named %s" % (label, short(name)))
            ports[name] = (child["name"], q.cmd("qom-get", path=path, property="chardev"))
        elif child["type"] == "child<virtio-serial-pci>":
            controllers.append(child["name"])
        elif child["type"].startswith("child<"):
            others.append(child)
    chardevs = {c["label"]: c["filename"] for c in q.cmd("query-chardev")}
    chardevs.pop("vsc-qmp", None)

    # Nothing added: one port per channel, one chardev per port, one
    # controller per spec (the qm chain also has its pci-bridge).
    if len(ports) != len(values):
        fail("%s: %d virtserialports for %d channels" % (label, len(ports), len(values)))
    if len(controllers) != len(specs):
        fail("%s: %d virtio-serial-pci for %d specs" % (label, len(controllers), len(specs)))
    if [o for o in others if o["type"] != "child<pci-bridge>"]:
        fail("%s: devices nobody asked for: %r" % (label, others[:5]))
    if sorted(chardevs) != sorted(c for _, c in ports.values()):
        fail("%s: %d chardevs for %d ports" % (label, len(chardevs), len(ports)))

    expected_files = set()
    for prefix, vals in specs:
        for val in vals:
            f, v = val["field"], val["v"]
            if isinstance(v, bytes):
                v = v.decode("utf-8")
            where = "%s %s %s" % (label, f, short(v))
            name = name_of(dict(val, v=v))
            if name not in ports:
                fail("%s: no port named %s" % (where, short(name)))
                continue
            dev_id, chardev = ports[name]
            if f == "alias" and dev_id != prefix + v[len("ua-"):]:
                fail("%s: the port's id is %s" % (where, short(dev_id)))
            if f in ("unix-path", "tcp-host", "tcp-service"):
                addr = addr_fields(q.cmd("qom-get", path="/chardevs/" + chardev, property="addr"))
                if f == "unix-path":
                    if addr.get("path") != v:
                        fail("%s: QEMU listens on %s" % (where, short(addr.get("path", ""))))
                    want = "disconnected:unix:%s,server=on" % v
                    if chardevs.get(chardev) != want:
                        fail("%s: query-chardev says %s" % (where, short(chardevs.get(chardev, ""))))
                    if not os.path.exists(v) or not stat.S_ISSOCK(os.lstat(v).st_mode):
                        fail("%s: no socket at the path" % where)
                else:
                    got = (addr.get("host"), addr.get("port"))
                    want = (v, "1") if f == "tcp-host" else ("127.0.0.1", v)
                    if got != want:
                        fail("%s: QEMU connects to %s" % (where, short(repr(got))))
            if f in ("file-path", "log-file"):
                if not os.path.isfile(v):
                    fail("%s: QEMU made no file at the path" % where)
                if f == "file-path" and chardevs.get(chardev) != "file":
                    fail("%s: query-chardev says %s" % (where, short(chardevs.get(chardev, ""))))
            if f in PATH_FIELDS:
                expected_files.add(v)

    made = set()
    for top, _, files in os.walk(vdir):
        made.update(os.path.join(top, f) for f in files)
    for extra in sorted(made - expected_files)[:10]:
        fail("%s: QEMU made a file nobody asked for: %s" % (label, short(extra)))


def run_qemu(label, machine, argv, specs, workdir, vdir, values, argv_of_spec):
    reset_vdir(vdir, values)
    t = time.monotonic()
    q = Qemu(machine, argv, workdir, label)
    try:
        if q.started():
            read_back_qemu(q, specs, vdir, label)
        else:
            fail("%s: QEMU refused the arguments (exit %s): %s"
                 % (label, q.proc.returncode, q.stderr()))
            refused_specs(label, machine, specs, workdir, vdir, values, argv_of_spec)
    except (RuntimeError, OSError, ValueError) as e:
        fail("%s: %s" % (label, e))
    finally:
        q.stop()
    n = sum(len(v) for _, v in specs)
    print("%s: %d channels in %d specs, one QEMU, read back in %.1f s"
          % (label, n, len(specs), time.monotonic() - t), flush=True)


def refused_specs(label, machine, specs, workdir, vdir, values, argv_of_spec):
    """Which specs QEMU refuses, one QEMU each (only after a refusal)."""
    for k, (prefix, vals) in enumerate(specs):
        reset_vdir(vdir, values)
        q = Qemu(machine, argv_of_spec(k), workdir, "%s-%d" % (label, k))
        try:
            if not q.started():
                fail("%s: QEMU refuses spec %d (%s): %s" % (label, k, ", ".join(
                    "%s %s" % (v["field"], short(v["v"], 30)) for v in vals[:4]) + ", ...",
                    q.stderr()))
        finally:
            q.stop()


def reset_vdir(vdir, values):
    shutil.rmtree(vdir, ignore_errors=True)
    os.makedirs(vdir)
    for d in directories_for(values):
        os.makedirs(d, exist_ok=True)


def stage_qemu(values, accepted, workdir, vdir):
    # vschan qemu-args: every spec's argv, in one QEMU
    specs, argvs = [], []
    for k, vals in enumerate(groups([v for v in values if accepted[v["i"]]["qemu-args"]])):
        prefix = "i%d-" % k
        args, stdin = invocation(vals)
        p = vschan(["qemu-args", "--argv", "--prefix", prefix] + args, stdin)
        if p.returncode != 0:
            fail("qemu-args of spec %d (%d channels): %s" % (k, len(vals), p.stderr[-400:]))
            continue
        specs.append((prefix, vals))
        argvs.append(p.stdout.split(b"\n")[:-1])
    run_qemu("qemu-args", "q35", sum(argvs, []), specs, workdir, vdir, values, lambda k: argvs[k])

    # vschan qm: args: split as qemu-server splits it, in another QEMU
    specs, lines = [], []
    for k, vals in enumerate(groups([v for v in values if accepted[v["i"]]["qm"]])):
        prefix = "q%d-" % k
        args, stdin = invocation(vals)
        p = vschan(["qm", "100", "--prefix", prefix, "--addr", "0x%x" % (k + 1)] + args, stdin)
        out = p.stdout.split(b"\n")
        if p.returncode != 0 or len(out) != 2 or out[1] or not out[0].startswith(b"args: "):
            fail("qm of spec %d: exit %d, %r %r" % (k, p.returncode, p.stdout[:200], p.stderr[-300:]))
            continue
        specs.append((prefix, vals))
        lines.append(out[0][len(b"args: "):])
    bridge = ["-device", "pci-bridge,id=pci.2,chassis_nr=2"]
    argvs = model.shellwords(lines)
    run_qemu("qm args", "pc", bridge + sum(argvs, []), specs, workdir, vdir, values,
             lambda k: bridge + argvs[k])


# ---------------------------------------------------------------- libvirt

BASE = """<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
"""

XML_PLACE = {"unix-path": ("source", "path"), "file-path": ("source", "path"),
             "log-file": ("log", "file"), "tcp-host": ("source", "host"),
             "tcp-service": ("source", "service"), "channel-name": ("target", "name"),
             "alias": ("alias", "name")}
QEMU_KEY = {"unix-path": b"path", "file-path": b"path", "log-file": b"logfile",
            "tcp-host": b"host", "tcp-service": b"port"}


def embed_virsh(root, commands):
    """Commands in one settled virsh process on the embed root (tests/lib/embed.sh)."""
    script = '. "$1"; embed_virsh "$2" "$3"'
    p = subprocess.run(["bash", "-c", script, "embed-virsh", os.path.join(os.path.dirname(EMBED_ROOT_SH),
                        "embed.sh"), root, commands], capture_output=True, timeout=300)
    return p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def sections(text):
    """Output of 'echo @@NAME@@; cmd; ...' split into {NAME: text}.  virsh -q
    echoes without a newline, so a marker may start a line of output."""
    parts = re.split(r"@@([A-Za-z0-9-]+)@@", text)
    return dict(zip(parts[1::2], parts[2::2]))


def native_chardevs(cmdline):
    """libvirt's QEMU command line: ({id: [(key, value)]}, {port name: chardev id})."""
    argv = shlex.split(cmdline)
    chardevs, ports, devices = {}, {}, 0
    for opt, val in zip(argv, argv[1:]):
        if opt == "-chardev":
            kv = model.qemu_opts(val.encode(), b"backend")
            ids = [v for k, v in kv if k == b"id"]
            chardevs[ids[0].decode() if ids else "?"] = kv
        elif opt == "-device":
            devices += 1
            if val.startswith("{"):
                d = json.loads(val)
                if d.get("driver") == "virtserialport":
                    ports.setdefault(d.get("name"), []).append(d.get("chardev"))
    chardevs.pop("charmonitor", None)
    return chardevs, ports


def stage_libvirt(values, accepted, workdir):
    root = os.path.join(workdir, "e")
    r = subprocess.run(["sh", EMBED_ROOT_SH, root], capture_output=True, text=True)
    if r.returncode == 77:
        return skip("libvirt's embedded QEMU driver cannot run here: " + r.stderr.strip())
    if r.returncode != 0:
        fail("embed-root.sh: %s" % r.stderr.strip())
        return 1
    doms, commands = [], []
    # A reference domain: one plain channel per field gives each field's
    # -chardev keys in libvirt's command line.
    plain = {"unix-path": workdir + "/plain.sock", "file-path": workdir + "/plain.log",
             "log-file": workdir + "/plain-log.log", "tcp-host": "example.org",
             "tcp-service": "4555", "channel-name": "org.plain.name", "alias": "ua-plain"}
    refs = [dict(i=1000000 + k, field=f, v=v) for k, (f, v) in enumerate(plain.items())]
    batches = [("ref", refs)]
    batches += [("inj%d" % k, vals) for k, vals in
                enumerate(groups([v for v in values if accepted[v["i"]]["xml"]]))]
    for name, vals in batches:
        base = os.path.join(workdir, name + "-base.xml")
        with open(base, "w") as f:
            f.write(BASE % name)
        args, stdin = invocation(vals)
        p = vschan(["xml", "--into", base, "-o", os.path.join(workdir, name + ".xml")] + args, stdin)
        if p.returncode != 0:
            fail("xml of %s (%d channels): %s" % (name, len(vals), p.stderr[-400:]))
            continue
        doms.append((name, vals))
        xml = os.path.join(workdir, name + ".xml")
        commands.append("echo @@%s-define@@; define %s; echo @@%s-dump@@; dumpxml --inactive %s; "
                        "echo @@%s-native@@; domxml-to-native qemu-argv --xml %s; undefine %s"
                        % (name, xml, name, name, name, xml, name))
    t = time.monotonic()
    try:
        out, err = embed_virsh(root, "; ".join(commands))
    finally:
        # Nothing runs, but a define that half happened leaves a domain.
        embed_virsh(root, "; ".join("undefine %s" % n for n, _ in doms) + "; list --all --name")
    parts = sections(out)
    keys_of = {}
    for name, vals in doms:
        dump, native = parts.get(name + "-dump", ""), parts.get(name + "-native", "")
        if not dump.strip():
            fail("libvirt %s: define or dumpxml failed: %s" % (name, err[-300:]))
            refused_values(root, workdir, vals)
            continue
        check_dumpxml(name, vals, dump)
        chardevs, ports = native_chardevs(native)
        check_native(name, vals, chardevs, ports, keys_of)
    print("libvirt: %d channels in %d domains defined, dumped and turned into a QEMU command line "
          "in %.1f s" % (sum(len(v) for _, v in doms[1:]), len(doms) - 1, time.monotonic() - t),
          flush=True)
    return 0


def refused_values(root, workdir, vals):
    """Which values libvirt refuses, one virsh each (only after a refusal)."""
    base = os.path.join(workdir, "one-base.xml")
    with open(base, "w") as f:
        f.write(BASE % "inj-one")
    for val in vals:
        args, stdin = invocation([val])
        xml = os.path.join(workdir, "one.xml")
        if vschan(["xml", "--into", base, "-o", xml] + args, stdin).returncode != 0:
            continue
        _, err = embed_virsh(root, "define %s; undefine inj-one" % xml)
        if "error" in err:
            fail("libvirt refuses %s %s: %s" % (val["field"], short(val["v"]), err.strip()[:200]))


def check_dumpxml(name, vals, dump):
    try:
        dom = ET.fromstring(dump)
    except ET.ParseError as e:
        return fail("libvirt %s: dumpxml does not parse: %s" % (name, e))
    chardev_tags = [d.tag for d in dom.find("devices") if d.tag in ("channel", "serial", "console",
                                                                     "parallel")]
    if chardev_tags != ["channel"] * len(vals):
        fail("libvirt %s: %d channels given, dumpxml has %r" % (name, len(vals), chardev_tags[:8]))
    by_name = {}
    for ch in dom.iter("channel"):
        target = ch.find("target")
        by_name.setdefault(target.get("name") if target is not None else None, []).append(ch)
    for val in vals:
        v = val["v"].decode() if isinstance(val["v"], bytes) else val["v"]
        where = "libvirt %s %s %s" % (name, val["field"], short(v))
        found = by_name.get(name_of(dict(val, v=v)), [])
        if len(found) != 1:
            fail("%s: %d channels with its name" % (where, len(found)))
            continue
        elem, attr = XML_PLACE[val["field"]]
        node = found[0].find(elem)
        if node is None or node.get(attr) != v:
            fail("%s: dumpxml reads %s" % (where, short(node.get(attr) or "") if node is not None
                                            else "no <%s>" % elem))


def check_native(name, vals, chardevs, ports, keys_of):
    if len(chardevs) != len(vals) or sum(len(c) for c in ports.values()) != len(vals):
        fail("libvirt %s: %d channels, but %d -chardev and %d virtserialport -device"
             % (name, len(vals), len(chardevs), sum(len(c) for c in ports.values())))
    for val in vals:
        v = val["v"].decode() if isinstance(val["v"], bytes) else val["v"]
        where = "libvirt %s qemu-argv %s %s" % (name, val["field"], short(v))
        chardev = ports.get(name_of(dict(val, v=v)), [None])[0]
        kv = chardevs.get(chardev)
        if kv is None:
            fail("%s: no port or chardev" % where)
            continue
        keys = [k for k, _ in kv]
        if name == "ref":
            keys_of[val["field"]] = keys
        elif keys != keys_of.get(val["field"]):
            fail("%s: -chardev keys %r, a plain value gives %r" % (where, keys, keys_of.get(val["field"])))
            continue
        key = QEMU_KEY.get(val["field"])
        if key:
            held = [x for k, x in kv if k == key]
            if held != [v.encode()]:
                fail("%s: QEMU would read %s=%s" % (where, key.decode(), short(held)))


# ------------------------------------------------------------------- main

def main():
    if STAGE not in ("qemu", "libvirt") or not VSCHAN:
        print(__doc__.split("usage:")[1].split("\n")[0].join(["usage:", ""]), file=sys.stderr)
        return 2
    if not shutil.which(QEMU):
        return skip("'%s' is missing (qemu-system-x86)" % QEMU)
    if STAGE == "qemu" and (not shutil.which("perl") or
                            subprocess.run(["perl", "-MText::ParseWords", "-e1"]).returncode):
        return skip("perl with Text::ParseWords is missing (perl)")
    if STAGE == "libvirt" and not shutil.which("virsh"):
        return skip("'virsh' is missing (libvirt-clients)")
    print("seed %d (VSCHAN_PROPERTY_SEED=%d repeats this run), %d values"
          % (SEED, SEED, COUNT), flush=True)
    t = time.monotonic()
    # Short: unix socket paths have 107 bytes, and the values sit below it.
    workdir = tempfile.mkdtemp(prefix="vsc-inj.", dir="/tmp")
    vdir = os.path.join(workdir, "v")
    rc = 0
    try:
        values = make_values(vdir)
        accepted = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for val, out in pool.map(classify, values):
                accepted[val["i"]] = out
        for o in STAGE_OUTPUTS[STAGE]:
            n = sum(1 for a in accepted.values() if a[o])
            print("%s: %d accepted, %d refused with an error naming the rule"
                  % (o, n, len(values) - n), flush=True)
            if n < len(values) // 4:
                fail("%s accepted only %d values: the generator no longer tests escaping" % (o, n))
        if STAGE == "qemu":
            stage_qemu(values, accepted, workdir, vdir)
        else:
            rc = stage_libvirt(values, accepted, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("%.1f s" % (time.monotonic() - t))
    if failures:
        print("%d failures (seed %d)" % (len(failures), SEED))
        return 1
    if rc:
        return rc
    print("ok")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
