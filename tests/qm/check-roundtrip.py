#!/usr/bin/env python3
"""A property of vschan qm: for random specs, `qm --write` into a config,
then `qm import` of that config gives the same devices (the same native
lines and the same QEMU arguments), and writing the imported spec changes
nothing.  VSCHAN_TEST_SEED=N replays one run (printed on failure).
Usage: check-roundtrip.py VSCHAN"""
import json, os, random, subprocess, sys, tempfile

vschan = sys.argv[1]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import Checks  # noqa: E402
check = Checks(quiet=True)
seed = int(os.environ.get("VSCHAN_TEST_SEED", random.randrange(1 << 30)))
RUNS = int(os.environ.get("VSCHAN_TEST_RUNS", "120"))
VMID = "101"


def random_spec(rnd):
    """A spec qemu-server can start: at most four ISA serial ports, distinct
    port names and indices."""
    serials, channels, consoles, parallels = [], [], [], []
    isa = list(range(4))
    rnd.shuffle(isa)
    for _ in range(rnd.randint(0, 3)):
        port = isa.pop()
        kind = rnd.choice(["own", "dev", "tcp", "telnet", "udp", "file", "pty", "unix"])
        tgt = {"type": "isa-serial", "port": port}
        if kind == "own":
            serials.append({"type": "unix", "source": {"mode": "bind", "path": f"/var/run/qemu-server/{VMID}.serial{port}"},
                            "target": tgt})
        elif kind == "dev":
            serials.append({"type": "dev", "source": {"path": rnd.choice(["/dev/ttyS1", "/dev/ttyUSB0", "/dev/serial/by-id/usb-x"])},
                            "target": tgt})
        elif kind in ("tcp", "telnet"):
            d = {"type": "tcp", "source": {"mode": rnd.choice(["bind", "connect"]), "host": "127.0.0.1",
                                           "service": rnd.randint(1024, 65000)}, "target": tgt}
            if kind == "telnet":
                d["protocol"] = "telnet"
            serials.append(d)
        elif kind == "udp":
            serials.append({"type": "udp", "source": [{"mode": "connect", "host": "127.0.0.1", "service": rnd.randint(1024, 65000)},
                                                      {"mode": "bind", "service": rnd.randint(1024, 65000)}],
                            "target": tgt})
        elif kind == "file":
            serials.append({"type": "file", "source": {"path": f"/var/log/vm{port}.log", "append": rnd.choice([True, False])},
                            "target": tgt})
        elif kind == "unix":
            serials.append({"type": "unix", "source": {"mode": "bind", "path": f"/run/s{port}.sock"}, "target": tgt})
        else:
            serials.append({"type": "pty", "target": tgt})
    names = set()
    for i in range(rnd.randint(0, 4)):
        kind = rnd.choice(["agent", "unix", "guestfwd", "pty", "unix-connect"])
        if kind == "agent" and "org.qemu.guest_agent.0" not in names:
            names.add("org.qemu.guest_agent.0")
            channels.append({"type": "unix", "source": {"mode": "bind", "path": f"/var/run/qemu-server/{VMID}.qga"},
                             "target": {"type": "virtio", "name": "org.qemu.guest_agent.0"}})
        elif kind == "guestfwd":
            channels.append({"type": "tcp", "source": {"mode": "connect", "host": "127.0.0.1", "service": rnd.randint(1024, 65000)},
                             "target": {"type": "guestfwd", "address": f"10.0.2.{100 + i}", "port": rnd.randint(1, 65000)}})
        elif kind != "agent":
            name = f"org.example.p{i}"
            names.add(name)
            src = {"pty": None, "unix": {"mode": "bind", "path": f"/run/p{i}.sock"},
                   "unix-connect": {"mode": "connect", "path": f"/run/c{i}.sock", "reconnect": {"enabled": True, "timeout": 5}}}[kind]
            d = {"type": "pty" if kind == "pty" else "unix", "target": {"type": "virtio", "name": name}}
            if src:
                d["source"] = src
            channels.append(d)
    if rnd.random() < 0.3:
        consoles.append({"type": "pty", "target": {"type": "virtio"}})
    if rnd.random() < 0.3:
        parallels.append({"type": "dev", "source": {"path": "/dev/parport0"}, "target": {"port": 0}}
                         if rnd.random() < 0.5 else {"type": "file", "source": {"path": "/var/log/lp.log"}})
    spec = {"version": 1}
    for key, devs in (("channels", channels), ("consoles", consoles), ("serials", serials), ("parallels", parallels)):
        if devs:
            spec[key] = devs
    return spec

def qm(*args):
    return subprocess.run([vschan, "qm", VMID, *args], capture_output=True, text=True)

with tempfile.TemporaryDirectory(prefix="vschan-roundtrip-") as tmp:
    lock = os.path.join(tmp, "lock")
    nowhere = os.path.join(tmp, "no-such.conf")
    rnd = random.Random(seed)
    refused = 0
    for run in range(RUNS):
        spec = random_spec(rnd)
        spec_path = os.path.join(tmp, "spec.json")
        json.dump(spec, open(spec_path, "w"))
        conf = os.path.join(tmp, f"{VMID}.conf")
        base = "#a VM\nboot: order=scsi0\nmemory: 2048\nname: rt\n" + rnd.choice(["", "args: -no-reboot\n", "serial3: /dev/ttyS3\n"])
        open(conf, "w").write(base)
        name = f"seed {seed} run {run}"
        w = qm(spec_path, "--write", "--conf", conf, "--lock-dir", lock)
        if w.returncode != 0:
            # what qemu-server would number otherwise (its serialN ports
            # first), or the base config's own serial3: a refusal, nothing written
            check(f"{name}: a refusal is an ISA index or a line of the user's, and writes nothing",
                  (("[pve-owner]" in w.stderr and "serial3" in base) or "[pve-serial-index]" in w.stderr)
                  and open(conf).read() == base, w.stderr + json.dumps(spec))
            refused += 1
            continue
        written = open(conf).read()
        imp = subprocess.run([vschan, "qm", "import", VMID, "--conf", conf], capture_output=True, text=True)
        check(f"{name}: import reads the config", imp.returncode == 0, imp.stderr)
        imported = os.path.join(tmp, "imported.json")
        open(imported, "w").write(imp.stdout)
        # the same devices: what qm makes of them on a VM without a config
        want = qm(spec_path, "--json", "--conf", nowhere)
        got = qm(imported, "--json", "--conf", nowhere)
        if "serial3" in base:
            # the user's serial3 comes back too, as a device of its own
            got_j = json.loads(got.stdout) if got.returncode == 0 else {}
            got_j.get("serial", {}).pop("serial3", None)
            got_text = json.dumps(got_j, sort_keys=True)
        else:
            got_text = json.dumps(json.loads(got.stdout), sort_keys=True) if got.returncode == 0 else got.stderr
        want_text = json.dumps(json.loads(want.stdout), sort_keys=True) if want.returncode == 0 else want.stderr
        if "-no-reboot" in base and got.returncode == 0:
            g = json.loads(got_text)
            g["argv"] = [a for a in g["argv"] if a != "-no-reboot"]
            got_text = json.dumps(g, sort_keys=True)
        check(f"{name}: import gives the devices the spec has", got_text == want_text and want.returncode == 0,
              f"\n  spec:     {json.dumps(spec)}\n  imported: {imp.stdout}\n  want: {want_text}\n  got:  {got_text}")
        w2 = qm(imported, "--write", "--conf", conf, "--lock-dir", lock)
        check(f"{name}: writing the imported spec changes nothing",
              w2.returncode == 0 and open(conf).read() == written, w2.stdout + w2.stderr)

    check("most random specs are written (not refused)", refused * 2 < RUNS, f"{refused} of {RUNS} refused")

check.finish(f"seed {seed}: ")
