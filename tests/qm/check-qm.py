#!/usr/bin/env python3
"""vschan qm against Proxmox's two quoting layers and real QEMU, and its
safe config editing.  Usage: check-qm.py VSCHAN"""
import json, os, shutil, socket, subprocess, sys, tempfile, time

vschan = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
from testlib import LONG_S, MARGIN_S, skip, Checks  # noqa: E402
check = Checks()
data = os.path.join(here, "..", "pve", "data")

def need(cmd, pkg):
    if shutil.which(cmd) is None:
        sys.exit(skip(f"{cmd} is missing (Debian package {pkg})"))

need("perl", "perl")
need("qemu-system-x86_64", "qemu-system-x86")
need("flock", "util-linux")


def run(*args, env=None, **kw):
    e = dict(os.environ, NO_COLOR="1")
    if env:
        e.update(env)
    return subprocess.run([vschan, *args], capture_output=True, text=True, env=e, **kw)

def shellwords(value):
    """Proxmox's split: PVE::Tools::split_args is Text::ParseWords::shellwords."""
    # "--": the value starts with "-device", which perl would take for -d.
    out = subprocess.run(["perl", "-MText::ParseWords", "-e",
                          'print join("\\0", shellwords($ARGV[0]))', "--", value],
                         capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"perl failed: {out.stderr.decode()}")
    return out.stdout.decode().split("\0") if out.stdout else []

class Qmp:
    """A QMP client of the QEMU process proc, listening on path; None-like
    (ok False) when QEMU exits first, as it does on bad arguments."""
    def __init__(self, path, proc):
        self.ok = False
        deadline = time.monotonic() + LONG_S
        while True:            # QEMU listens a moment after it starts
            if proc.poll() is not None or time.monotonic() > deadline:
                return
            self.s = socket.socket(socket.AF_UNIX)
            self.s.settimeout(LONG_S)
            try:
                self.s.connect(path)
                break
            except (ConnectionRefusedError, FileNotFoundError):
                self.s.close()
                time.sleep(0.05)
        self.f = self.s.makefile("rw")
        try:                   # QEMU can greet, then stop at a bad -device
            json.loads(self.f.readline())
            self.cmd("qmp_capabilities")
        except (OSError, ValueError):
            return
        self.ok = True
    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "event" not in r:
                return r

def qemu_accepts(argv, tmp, machine):
    """Start real QEMU with argv; return (ok, detail) after checking every
    chardev and device id through QMP."""
    qmp = os.path.join(tmp, f"qmp-{machine}.sock")
    cmd = ["qemu-system-x86_64", "-machine", machine, "-nodefaults", "-display", "none", "-S",
           "-qmp", f"unix:{qmp},server=on,wait=off", *argv]
    if os.path.exists(qmp):
        os.unlink(qmp)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        q = Qmp(qmp, p)
        if not q.ok:
            p.kill()
            p.wait()
            return False, p.stderr.read() or "QEMU closed QMP without a word"
        chardevs = {c["label"] for c in q.cmd("query-chardev")["return"]}
        want_chardevs = [a.split("id=")[1].split(",")[0] for i, a in enumerate(argv)
                         if i and argv[i - 1] == "-chardev"]
        want_devices = [a.split(",id=")[1].split(",")[0] for i, a in enumerate(argv)
                        if i and argv[i - 1] == "-device" and ",id=" in a]
        missing = [c for c in want_chardevs if c not in chardevs]
        for d in want_devices:
            if "error" in q.cmd("qom-list", path=f"/machine/peripheral/{d}"):
                missing.append(d)
        q.cmd("quit")
        return not missing, f"missing in QEMU: {missing}"
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()

def isa_serial_indices(argv, tmp):
    """The index of every ISA serial port real QEMU creates for argv (info
    qtree), or None when QEMU does not start."""
    qmp = os.path.join(tmp, "qmp-isa.sock")
    if os.path.exists(qmp):
        os.unlink(qmp)
    p = subprocess.Popen(["qemu-system-x86_64", "-machine", "pc", "-nodefaults", "-display", "none", "-S",
                          "-qmp", f"unix:{qmp},server=on,wait=off", *argv],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        q = Qmp(qmp, p)
        if not q.ok:
            return None
        tree = q.cmd("human-monitor-command", **{"command-line": "info qtree"})["return"]
        q.cmd("quit")
        indices, in_serial = [], False
        for line in tree.splitlines():
            line = line.strip()
            if line.startswith("dev: "):
                in_serial = line.startswith("dev: isa-serial,")
            elif in_serial and line.startswith("index = "):
                indices.append(int(line.split()[2]))
        return indices
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()

def pve_description_rewrite(text):
    """What qemu-server's next write makes of a config's main section
    (write_vm_config): the description lines first, each %-decoded and
    encoded again with encode_text (':', '%', control and non-ASCII bytes
    %-escaped), then the key lines sorted."""
    from urllib.parse import unquote_to_bytes
    descr, keys = [], []
    for line in text.splitlines():
        if line.startswith("#"):
            raw = unquote_to_bytes(line[1:])
            descr.append("#" + "".join(chr(b) if 0x20 <= b <= 0x7e and chr(b) not in ":%" else "%%%02X" % b
                                       for b in raw))
        elif line.strip():
            keys.append(line)
    return "".join(l + "\n" for l in descr + sorted(keys))

with tempfile.TemporaryDirectory(prefix="vschan-qm-") as tmp:
    # 1. The args: value survives shellwords and is the argv QEMU accepts.
    spec_names = sorted(os.listdir(os.path.join(here, "specs")))
    check("the specs of section 1 are there", len(spec_names) >= 3, spec_names)
    for spec_name in spec_names:
        spec = os.path.join(tmp, spec_name)
        text = open(os.path.join(here, "specs", spec_name)).read().replace("@DIR@", tmp)
        open(spec, "w").write(text)
        r = run("qm", "100", spec, "--bus", "", "--addr", "")
        lines = [l for l in r.stdout.splitlines() if l.startswith("args: ")]
        check(f"{spec_name}: qm prints one args: line", r.returncode == 0 and len(lines) == 1, r.stderr)
        if not lines:
            continue
        value = lines[0][len("args: "):]
        check(f"{spec_name}: value is not wrapped in double quotes (qemu-server strips them)",
              not (value.startswith('"') and value.endswith('"')))
        r = run("qemu-args", "--argv", "--bus", "", "--addr", "", spec)
        intended = r.stdout.splitlines()
        check(f"{spec_name}: qemu-args prints the argv", r.returncode == 0 and len(intended) > 2, r.stderr)
        split = shellwords(value)
        check(f"{spec_name}: shellwords gives the intended argv", split and split == intended,
              f"\n  split:    {split}\n  intended: {intended}")
        for machine in ("pc", "q35"):
            ok, detail = qemu_accepts(split, tmp, machine)
            check(f"{spec_name}: real QEMU ({machine}) has every chardev and device", ok, detail)
        # as qemu-server starts it: its two PCI bridges (always there on
        # i440fx), vschan's controller where qm puts it by default
        r = run("qm", "100", spec)
        value_default = [l for l in r.stdout.splitlines() if l.startswith("args: ")]
        bridges = ["-device", "pci-bridge,id=pci.1,chassis_nr=1,bus=pci.0,addr=0x1e",
                   "-device", "pci-bridge,id=pci.2,chassis_nr=2,bus=pci.0,addr=0x1f"]
        ok, detail = qemu_accepts(bridges + shellwords(value_default[0][len("args: "):]), tmp, "pc") \
            if value_default else (False, r.stderr)
        check(f"{spec_name}: with qemu-server's bridges, real QEMU has every chardev and port at pci.2 0x1f", ok, detail)
        cmdline = run("qm", "100", spec, "--bus", "", "--addr", "", "--print-command").stdout
        words = subprocess.run(["sh", "-c", "eval \"set -- ${1#qm set 100 }\"; for a in \"$@\"; do printf '%s\\0' \"$a\"; done",
                                "sh", cmdline.strip()], capture_output=True).stdout.decode().split("\0")
        check(f"{spec_name}: --print-command passes the same value to qm",
              words[:2] == ["--args", value], f"{words[:2]}")

    # 2. --write keeps everything else byte for byte and is idempotent.
    conf_dir, lock_dir = os.path.join(tmp, "conf"), os.path.join(tmp, "lock")
    os.mkdir(conf_dir)
    spec = os.path.join(tmp, "w.json")
    open(spec, "w").write(json.dumps({"channels": [{"type": "unix", "source": {"mode": "bind", "path": "/run/w.sock"},
                                                    "target": {"type": "virtio", "name": "org.example.w.0"}}]}))
    for conf_name in ("100-snapshots.conf", "103-vschan.conf", "101-pending.conf"):
        conf = os.path.join(conf_dir, conf_name)
        shutil.copy(os.path.join(data, conf_name), conf)
        before = open(conf, "rb").read()
        r = run("qm", "100", spec, "--write", "--conf", conf, "--lock-dir", lock_dir)
        after = open(conf, "rb").read()
        check(f"--write {conf_name}: succeeds and prints a diff", r.returncode == 0 and r.stdout.startswith("---"),
              r.stderr)
        other = lambda b: [l for l in b.split(b"\n") if not l.startswith(b"args:")]
        check(f"--write {conf_name}: only args: changed", other(before) == other(after))
        args = [l for l in after.split(b"\n") if l.startswith(b"args:")]
        check(f"--write {conf_name}: one args: line holding vschan's arguments",
              len(args) >= 1 and b"vschan-" in args[0])
        old_user = [l for l in before.split(b"\n") if l.startswith(b"args:")]
        if old_user and b"-fw_cfg" in old_user[0]:
            check(f"--write {conf_name}: the user's own arguments are kept", b"-fw_cfg" in args[0])
        r2 = run("qm", "100", spec, "--write", "--conf", conf, "--lock-dir", lock_dir)
        check(f"--write {conf_name}: a second run changes nothing",
              r2.returncode == 0 and r2.stdout == "" and open(conf, "rb").read() == after, r2.stderr)

    # 3. A lock: line is refused unless --skiplock; nothing is written.
    conf = os.path.join(conf_dir, "102-locked.conf")
    shutil.copy(os.path.join(data, "102-locked.conf"), conf)
    before = open(conf, "rb").read()
    r = run("qm", "102", spec, "--write", "--conf", conf, "--lock-dir", lock_dir)
    check("locked config is refused", r.returncode == 1 and "lock" in r.stderr and open(conf, "rb").read() == before,
          r.stderr)
    r = run("qm", "102", spec, "--write", "--conf", conf, "--lock-dir", lock_dir, "--skiplock")
    check("--skiplock edits a locked config", r.returncode == 0 and open(conf, "rb").read() != before, r.stderr)

    # 3b. Two lines of a key vschan changes: qemu-server reads one, a
    #     rewrite would drop the other; refused with both line numbers.
    conf = os.path.join(conf_dir, "two-args.conf")
    open(conf, "wb").write(b"boot: order=scsi0\nargs: -a\nmemory: 2048\nargs: -b\n")
    before = open(conf, "rb").read()
    r = run("qm", "100", spec, "--write", "--conf", conf, "--lock-dir", lock_dir)
    check("two args: lines are refused, naming both, nothing written",
          r.returncode == 1 and "has 2 'args:' lines (lines 2, 4)" in r.stderr and "[pve-duplicate-key]" in r.stderr
          and open(conf, "rb").read() == before, r.stderr)

    # 3c. A config that is not there is an I/O error (exit 2, as vschan(1)
    #     says), and nothing is created.
    conf = os.path.join(conf_dir, "missing.conf")
    r = run("qm", "100", spec, "--write", "--conf", conf, "--lock-dir", lock_dir)
    check("missing config: exit 2, named, not created",
          r.returncode == 2 and "cannot read the config of VM 100" in r.stderr and not os.path.exists(conf),
          f"rc={r.returncode} {r.stderr}")

    # 4. A failed write leaves the original intact.
    for fault in ("write-half", "before-rename"):
        conf = os.path.join(conf_dir, f"fault-{fault}.conf")
        shutil.copy(os.path.join(data, "100-snapshots.conf"), conf)
        before = open(conf, "rb").read()
        r = run("qm", "100", spec, "--write", "--conf", conf, "--lock-dir", lock_dir, env={"VSCHAN_PVE_FAULT": fault})
        leftovers = [f for f in os.listdir(conf_dir) if ".tmp." in f]
        check(f"fault {fault}: error, original intact, no temp file",
              r.returncode != 0 and open(conf, "rb").read() == before and not leftovers, r.stderr)

    # 5. Another holder of qemu-server's lock makes vschan wait, then give up.
    conf = os.path.join(conf_dir, "lockwait.conf")
    shutil.copy(os.path.join(data, "100-snapshots.conf"), conf)
    before = open(conf, "rb").read()
    os.makedirs(lock_dir, exist_ok=True)
    # The holder says when it has the lock, and keeps it until its stdin ends.
    holder = subprocess.Popen(["flock", os.path.join(lock_dir, "lock-100.conf"), "sh", "-c", "echo held; cat"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    held = holder.stdout.readline() == "held\n"
    t0 = time.monotonic()
    r = run("qm", "100", spec, "--write", "--conf", conf, "--lock-dir", lock_dir, "--timeout", "1")
    elapsed = time.monotonic() - t0
    holder.stdin.close()
    holder.wait()
    check("a held lock times out with a clear error, nothing written",
          held and r.returncode != 0 and "lock" in r.stderr and 0.9 < elapsed < 1 + MARGIN_S
          and open(conf, "rb").read() == before,
          f"rc={r.returncode} {elapsed:.1f}s {r.stderr}")

    # 6. Bad input: a clear error and nothing written.
    conf = os.path.join(conf_dir, "bad.conf")
    shutil.copy(os.path.join(data, "100-snapshots.conf"), conf)
    before = open(conf, "rb").read()
    five = os.path.join(tmp, "five.json")
    open(five, "w").write(json.dumps({"serials": [{"type": "null", "target": {"port": i}} for i in range(5)]}))
    nl = os.path.join(tmp, "nl.json")
    open(nl, "w").write(json.dumps({"channels": [{"type": "unix", "source": {"mode": "bind", "path": "/run/a\nb.sock"},
                                                  "target": {"type": "virtio", "name": "org.x"}}]}))
    # qemu-server's own socket path makes a native serialN line.
    r = run("qm", "100", "--serial", "unix,mode=bind,path=/var/run/qemu-server/100.serial1", "--template", "guest-agent")
    check("native serial1 and agent lines", r.returncode == 0 and r.stdout == "agent: 1\nserial1: socket\n", r.stdout + r.stderr)
    for name, args, needle in [("an ISA index qemu-server's serialN takes",
                                ["100", "--serial", "unix,mode=bind,path=/var/run/qemu-server/100.serial1",
                                 "--serial", "tcp,host=:23,mode=bind,target.port=0"], "ISA index"),
                               ("VMID not a number", ["abc", spec], "VMID"),
                               ("VMID with a leading zero", ["0100", spec], "VMID"),
                               ("more than four ISA serial ports", ["100", five], "ISA"),
                               ("a path with a newline", ["100", nl], "newline"),
                               ("an id that collides with qemu-server's", ["100", spec, "--prefix", "qga",
                                                                           "--channel", "pty,name=org.c.0,alias=0"], "collide")]:
        r = run("qm", *args, "--write", "--conf", conf, "--lock-dir", lock_dir)
        check(f"bad input: {name}", r.returncode in (1, 2) and needle.lower() in r.stderr.lower()
              and open(conf, "rb").read() == before, r.stderr)

    # 6b. No device is dropped, and none is written that the QEMU
    #     qemu-server starts (-daemonize) refuses; the verdict is QEMU's own.
    r = run("qm", "100", "--console", "pty")
    args = shellwords(r.stdout[len("args: "):]) if r.stdout.startswith("args: ") else []
    check("a lone serial console becomes serial port 0, as libvirt makes it",
          r.returncode == 0 and any(a.startswith("isa-serial,") for a in args), r.stdout + r.stderr)
    ok, detail = qemu_accepts(args, tmp, "pc") if args else (False, "no args: line")
    check("a lone serial console: QEMU starts with it", ok, detail)

    def daemonized(chardev):
        """Whether QEMU started as qemu-server does (-daemonize, a VNC
        display) takes chardev on a serial port; it is stopped again."""
        pid = os.path.join(tmp, "d-%s.pid" % chardev)
        q = subprocess.run(["qemu-system-x86_64", "-daemonize", "-pidfile", pid, "-nodefaults", "-S",
                            "-accel", "tcg", "-vnc", "unix:" + os.path.join(tmp, "d.vnc"),
                            "-chardev", chardev + ",id=c", "-device", "isa-serial,chardev=c"],
                           capture_output=True, text=True, timeout=120)
        if q.returncode == 0:
            daemon = int(open(pid).read())
            os.kill(daemon, 15)
            for _ in range(LONG_S * 10):  # gone before the next test starts
                try:
                    os.kill(daemon, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        return q.returncode == 0, q.stderr
    ok, why = daemonized("stdio")
    r = run("qm", "100", "--serial", "stdio")
    check("stdio: QEMU under -daemonize refuses it, and so does qm (pve-backend)",
          not ok and "daemonize" in why and r.returncode == 1 and "[pve-backend]" in r.stderr
          and r.stdout == "", why + r.stderr)
    ok, why = daemonized("vc")
    r = run("qm", "100", "--serial", "vc")
    check("vc: QEMU under -daemonize with a VNC display takes it, and so does qm",
          ok and r.returncode == 0 and "-chardev vc," in r.stdout, why + r.stdout + r.stderr)

    # 7. qemu-server's own ports.  What vschan refuses to write, real QEMU
    # refuses to start: qemu-server's own arguments for the config line
    # (proxmox.md, section 2) plus the args: value vschan prints for the spec.
    qga = ["-chardev", f"socket,path={tmp}/qga.sock,server=on,wait=off,id=qga0",
           "-device", "virtio-serial,id=qga0", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"]
    qga_isa = ["-chardev", f"socket,path={tmp}/qga.sock,server=on,wait=off,id=qga0",
               "-device", "isa-serial,chardev=qga0"]
    spice = ["-spice", f"unix=on,addr={tmp}/spice.sock,disable-ticketing=on",
             "-device", "virtio-serial,id=spice", "-chardev", "spicevmc,id=vdagent,name=vdagent",
             "-device", "virtserialport,chardev=vdagent,name=com.redhat.spice.0"]
    agent_channel = ["--channel", f"unix,mode=bind,path={tmp}/ga.sock,name=org.qemu.guest_agent.0"]
    vdagent_channel = ["--channel", "spicevmc,target.name=com.redhat.spice.0"]
    spiceport = ["--channel", "spiceport,source.channel=org.example.0,target.name=org.example.0"]
    for name, conf_text, own_argv, opts, refused, needle, qemu_needle in [
        ("an agent channel of its own next to 'agent: 1'", "agent: 1\n", qga, agent_channel,
         True, "two virtio-serial ports named 'org.qemu.guest_agent.0'", "already exists by name org.qemu.guest_agent.0"),
        ("the same next to an ISA agent", "agent: 1,type=isa\n", qga_isa, agent_channel, False, None, None),
        ("the same next to a disabled agent", "agent: 0\n", [], agent_channel, False, None, None),
        ("a vdagent channel next to 'vga: qxl'", "vga: qxl\n", spice, vdagent_channel,
         True, "two virtio-serial ports named 'com.redhat.spice.0'", "already exists by name com.redhat.spice.0"),
        ("a spiceport channel without a SPICE display", "vga: std\n", [], spiceport,
         True, "spice not enabled", "spice not enabled"),
        ("a spiceport channel with 'vga: qxl2'", "vga: qxl2\n", spice, spiceport, False, None, None),
    ]:
        conf = os.path.join(conf_dir, "own.conf")
        open(conf, "w").write(conf_text)
        r = run("qm", "100", *opts, "--bus", "", "--addr", "", "--write", "--conf", conf, "--lock-dir", lock_dir)
        after = open(conf).read()
        if refused:
            check(f"qemu-server's ports: {name}: refused, nothing written",
                  r.returncode == 1 and needle in r.stderr and after == conf_text, r.stderr)
        else:
            check(f"qemu-server's ports: {name}: written", r.returncode == 0 and "args: " in after, r.stderr)
        printed = run("qm", "100", *opts, "--bus", "", "--addr", "").stdout
        value = [l for l in printed.splitlines() if l.startswith("args: ")][0][len("args: "):]
        ok, detail = qemu_accepts(own_argv + shellwords(value), tmp, "pc")
        if refused:
            check(f"qemu-server's ports: {name}: real QEMU refuses it too", not ok and qemu_needle in detail, detail)
        else:
            check(f"qemu-server's ports: {name}: real QEMU starts it", ok, detail)

    # 8. --dry-run shows the change and the config's digest (Proxmox's: the
    # SHA-1 of the file); --digest writes only onto that same config.
    import hashlib
    conf = os.path.join(conf_dir, "digest.conf")
    shutil.copy(os.path.join(data, "100-snapshots.conf"), conf)
    before = open(conf, "rb").read()
    spec = os.path.join(here, "specs", "channels.json")
    lock_dry = os.path.join(tmp, "lock-dry")
    r = run("qm", "100", spec, "--write", "--dry-run", "--conf", conf, "--lock-dir", lock_dry)
    digest = hashlib.sha1(before).hexdigest()
    check("--dry-run: the diff, the digest, nothing written, no lock taken",
          r.returncode == 0 and r.stdout.startswith("--- a/100.conf") and f"--digest {digest}" in r.stderr
          and open(conf, "rb").read() == before and not os.path.exists(lock_dry), r.stdout + r.stderr)
    with open(conf, "ab") as f:
        f.write(b"#edited meanwhile\n")
    edited = open(conf, "rb").read()
    r = run("qm", "100", spec, "--write", "--digest", digest, "--conf", conf, "--lock-dir", lock_dir)
    check("--digest of a config that changed since: refused, nothing written",
          r.returncode == 1 and "pve-digest" in r.stderr and open(conf, "rb").read() == edited, r.stderr)
    r = run("qm", "100", spec, "--write", "--digest", hashlib.sha1(edited).hexdigest().upper(),
            "--conf", conf, "--lock-dir", lock_dir)
    check("--digest of the config as it is: written", r.returncode == 0 and open(conf, "rb").read() != edited
          and "args: " in open(conf).read(), r.stderr)
    for bad in (["--digest", "abc", "--write"], ["--digest", "g" * 40, "--write"], ["--dry-run"],
                ["--timeout", "nan", "--write"], ["--timeout", "inf", "--write"]):
        r = run("qm", "100", spec, *bad, "--conf", conf, "--lock-dir", lock_dir)
        check(f"usage: {' '.join(bad)}", r.returncode == 2, r.stderr)

    # 9. Ownership: vschan changes only the lines it wrote (issue 17's
    #    defects 1-4), and knows them again after qemu-server rewrote the file.
    own_dir = os.path.join(tmp, "own")
    os.mkdir(own_dir)
    def qm_write(conf, *opts):
        return run("qm", "101", *opts, "--write", "--conf", conf, "--lock-dir", lock_dir)
    console = "boot: order=scsi0\nmemory: 2048\nname: vm\nserial0: socket\nvga: serial0\n"
    conf = os.path.join(own_dir, "101.conf")
    open(conf, "w").write(console)
    r = qm_write(conf, "--serial", "dev,path=/dev/ttyS1")
    after = open(conf).read()
    check("defect 1: the user's 'serial0: socket' (the VM's console) stays; the port takes serial1",
          r.returncode == 0 and "serial0: socket\n" in after and "serial1: /dev/ttyS1\n" in after
          and "vga: serial0\n" in after and after.startswith("#vschan owns serial1="), r.stderr + after)
    written = after
    r = qm_write(conf, "--serial", "dev,path=/dev/ttyS1,target.port=0")
    check("defect 1: a port the spec puts on the user's serial0: refused, naming the line, nothing written",
          r.returncode == 1 and f"{conf}:5: error: 'serial0: socket' is not vschan's line" in r.stderr
          and "--force" in r.stderr and "[pve-owner]" in r.stderr and open(conf).read() == written, r.stderr)
    r = qm_write(conf, "--serial", "dev,path=/dev/ttyS1,target.port=0", "--force")
    after = open(conf).read()
    check("--force takes serial0 over, and vschan's serial1 goes with the spec",
          r.returncode == 0 and "serial0: /dev/ttyS1\n" in after and "serial1:" not in after
          and after.startswith("#vschan owns serial0="), r.stderr + after)
    r = qm_write(conf, "--channel", "unix,name=org.example.a")
    after = open(conf).read()
    check("defect 3: a line vschan owns and the spec no longer has is removed, and so is the record",
          r.returncode == 0 and "serial0:" not in after and "#vschan" not in after and "args: " in after,
          r.stderr + after)

    open(conf, "w").write("agent: 1\nmemory: 2048\n")
    r = qm_write(conf, "--channel", "unix,name=org.example.a")
    check("defect 3: the user's own 'agent: 1' stays when the spec has no agent",
          r.returncode == 0 and "agent: 1\n" in open(conf).read(), r.stderr)
    open(conf, "w").write("memory: 2048\n")
    agent = ["--channel", "unix,mode=bind,path=/var/run/qemu-server/101.qga,name=org.qemu.guest_agent.0"]
    r1 = qm_write(conf, *agent, "--serial", "dev,path=/dev/ttyS0")
    with_agent = open(conf).read()
    r2 = qm_write(conf, "--channel", "unix,name=org.example.a")
    after = open(conf).read()
    check("defect 3: vschan's own 'agent: 1' and serialN: go when the spec drops them",
          r1.returncode == r2.returncode == 0 and "agent: 1\n" in with_agent and "serial0:" in with_agent
          and "agent:" not in after and "serial0:" not in after, r1.stderr + r2.stderr + after)

    # qemu-server rewrites the file (description first, %-escaped again,
    # keys sorted): vschan still knows its lines.
    open(conf, "w").write("#notes%3A keep 100%25\nmemory: 2048\nserial0: socket\n")
    r = qm_write(conf, *agent, "--serial", "dev,path=/dev/ttyUSB0")
    first = open(conf).read()
    rewritten = pve_description_rewrite(first)
    check("the record survives qemu-server's rewrite byte for byte",
          r.returncode == 0 and [l for l in first.splitlines() if l.startswith("#vschan")]
          == [l for l in rewritten.splitlines() if l.startswith("#vschan")], first + rewritten)
    open(conf, "w").write(rewritten)
    r = qm_write(conf, *agent, "--serial", "dev,path=/dev/ttyUSB0")
    check("after qemu-server's rewrite, the same spec changes nothing",
          r.returncode == 0 and open(conf).read() == rewritten and "nothing changed" in r.stderr,
          r.stdout + r.stderr)
    r = qm_write(conf, "--channel", "unix,name=org.example.a")
    after = open(conf).read()
    check("after qemu-server's rewrite, vschan's lines are still its own to remove; the user's stay",
          r.returncode == 0 and "agent:" not in after and "serial1:" not in after
          and "serial0: socket\n" in after and "#notes%3A keep 100%25\n" in after, after)
    open(conf, "w").write("#vschan owns serial1=00000000\nmemory: 2048\nserial1: /dev/ttyS3\n")
    r = qm_write(conf, "--serial", "dev,path=/dev/ttyS1,target.port=1")
    check("a line changed by hand since vschan wrote it is the user's again",
          r.returncode == 1 and "[pve-owner]" in r.stderr, r.stderr)

    # take a hand-written config over: qm import, then --write --force
    # makes the user's devices vschan's (its ids, its record), so that the
    # spec manages them from then on
    hand = ("args: -chardev socket,id=c0,path=/run/x.sock,server=on,wait=off -device isa-serial,chardev=c0 "
            "-serial 'tcp::4444,server,nowait' -chardev socket,id=cc,path=/run/ch.sock,server=on,wait=off "
            "-device virtio-serial-pci,id=ser9 -device virtserialport,bus=ser9.0,chardev=cc,name=org.example.x "
            "-no-reboot\nagent: 1\nmemory: 2048\nserial0: socket\n")
    open(conf, "w").write(hand)
    imp = run("qm", "import", "101", "--conf", conf)
    spec_hand = os.path.join(own_dir, "hand.json")
    open(spec_hand, "w").write(imp.stdout)
    r = qm_write(conf, spec_hand)
    check("import, then --write: the hand-written config stays byte for byte",
          imp.returncode == 0 and r.returncode == 0 and open(conf).read() == hand, r.stdout + r.stderr)
    r = qm_write(conf, spec_hand, "--force")
    taken = open(conf).read()
    args_taken = shellwords([l for l in taken.splitlines() if l.startswith("args: ")][0][len("args: "):])
    check("--force takes the user's devices over: vschan's ids, the user's other words kept",
          r.returncode == 0 and not any(w in args_taken for w in ("isa-serial,chardev=c0", "tcp::4444,server,nowait"))
          and "-no-reboot" in args_taken and "virtio-serial-pci,id=ser9" in args_taken
          and any(w.startswith("isa-serial,chardev=vschan-") for w in args_taken)
          and "#vschan owns agent=" in taken and "serial0=" in taken, taken)
    spec_small = json.loads(imp.stdout)
    spec_small["serials"] = [d for d in spec_small["serials"] if d.get("source", {}).get("path") != "/run/x.sock"]
    json.dump(spec_small, open(spec_hand, "w"))
    r = qm_write(conf, spec_hand)
    after = open(conf).read()
    check("then the spec manages them: a device dropped from it goes",
          r.returncode == 0 and "/run/x.sock" not in after and "/run/ch.sock" in after and "-no-reboot" in after, after)

    # defect 2: an isa-serial of vschan's in args: at an index one of the
    # VM's serialN ports has.  Real QEMU takes both, at one I/O port.
    open(conf, "w").write(console)
    r = qm_write(conf, "--template", "serial-telnet")
    check("defect 2: the serial-telnet template at index 0 beside serial0: refused, nothing written",
          r.returncode == 1 and "[pve-serial-index]" in r.stderr and "--set port=1" in r.stderr
          and open(conf).read() == console, r.stderr)
    own_serial0 = ["-chardev", f"socket,id=serial0,path={tmp}/s0.sock,server=on,wait=off",
                   "-device", "isa-serial,chardev=serial0"]
    clash = ["-chardev", "null,id=x", "-device", "isa-serial,chardev=x,index=0"]
    check("defect 2: real QEMU gives qemu-server's serial0 and an index=0 port the same index",
          sorted(isa_serial_indices(own_serial0 + clash, tmp) or []) == [0, 0])
    r = qm_write(conf, "--template", "serial-telnet", "--set", "port=1")
    after = open(conf).read()
    value = [l for l in after.splitlines() if l.startswith("args: ")]
    indices = isa_serial_indices(own_serial0 + shellwords(value[0][len("args: "):]), tmp) if value else []
    check("defect 2: with --set port=1 it is written, and real QEMU gives each port its own index",
          r.returncode == 0 and sorted(indices or []) == [0, 1], f"{r.stderr} {indices}")
    open(conf, "w").write("args: -device isa-serial,chardev=c0,index=0 -chardev null,id=c0\nmemory: 512\n")
    r = qm_write(conf, "--serial", "dev,path=/dev/ttyS1")
    check("an index clash of the user's own making is a warning, not a refusal",
          r.returncode == 0 and "warning" in r.stderr and "[pve-serial-index]" in r.stderr, r.stderr)

    # defect 4: --print-command keeps the user's arguments (qm set --args
    # replaces the line); without the config it says what it cannot know.
    open(conf, "w").write("args: -no-reboot -fw_cfg name=opt/x,file=/root/x.ign\nmemory: 2048\nserial0: socket\n")
    r = run("qm", "101", "--channel", "unix,name=org.example.a", "--serial", "dev,path=/dev/ttyS1",
            "--print-command", "--conf", conf)
    words = subprocess.run(["sh", "-c", "eval \"set -- ${1#qm set 101 }\"; for a in \"$@\"; do printf '%s\\0' \"$a\"; done",
                            "sh", r.stdout.strip()], capture_output=True).stdout.decode().split("\0")
    opts = dict(zip(words[0::2], words[1::2]))
    check("defect 4: --print-command --conf: --args keeps the user's arguments first",
          r.returncode == 0 and shellwords(opts.get("--args", ""))[:4] == ["-no-reboot", "-fw_cfg", "name=opt/x,file=/root/x.ign", "-device"],
          r.stdout + r.stderr)
    check("defect 4: --print-command --conf: the port takes serial1, and the record goes in --description",
          opts.get("--serial1") == "/dev/ttyS1" and "--serial0" not in opts
          and opts.get("--description", "").startswith("vschan owns serial1="), f"{opts}")
    r = run("qm", "101", "--channel", "unix,name=org.example.a", "--print-command", "--conf", os.path.join(own_dir, "none.conf"))
    check("defect 4: --print-command without the config warns that --args replaces the user's",
          r.returncode == 0 and "[pve-no-config]" in r.stderr and r.stdout.startswith("qm set 101 --args "), r.stderr)

check.finish()
