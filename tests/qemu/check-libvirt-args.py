#!/usr/bin/env python3
"""vschan qemu-args on libvirt's own test documents: for every x86_64
document of libvirt 9.0's tests/qemuxml2argvdata that has a character
device and the arguments libvirt generates for it (NAME.x86_64-latest.args),
the -chardev options vschan writes for the domain's XML equal libvirt's,
ids and fd passing aside (libvirt hands QEMU a listening socket or a file
as a file descriptor: its path= is not in the arguments).

Usage: check-libvirt-args.py VSCHAN [SOURCE [OUT.tsv]]
SOURCE is libvirt's orig tarball or an unpacked tree (default:
$VSCHAN_LIBVIRT_SOURCE, else what scripts/get-libvirt-source fetched).
The agreement, one line per document,
  NAME  AGREE|DIFFER  LIBVIRT'S CHARDEVS  VSCHAN'S (or its error)
is recorded in libvirt-args-agreement.tsv next to this script (OUT.tsv
writes it anew); the run must give the same.  The documents that differ
for a reason are listed with it in libvirt-args-known.tsv; any other
difference fails, and so does a known one that agrees now (the list must
stay true)."""
import glob, os, re, subprocess, sys, tarfile, tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
from testlib import skip  # noqa: E402
vschan = sys.argv[1]
cached = sorted(glob.glob("/var/cache/vschan/libvirt-source/libvirt_*.orig.tar.xz"))
source = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("VSCHAN_LIBVIRT_SOURCE") or (cached[0] if cached else None)
out_path = sys.argv[3] if len(sys.argv) > 3 else None
record = os.path.join(here, "libvirt-args-agreement.tsv")
if not source or not os.path.exists(source):
    sys.exit(skip("libvirt's source package is not here: run scripts/get-libvirt-source (as root)"))

def split_opts(opts):
    """QEMU's option string into its items (",," is a comma in a value)."""
    items, cur, i = [], "", 0
    while i < len(opts):
        if opts[i] == "," and opts[i + 1:i + 2] == ",":
            cur += ",,"
            i += 2
        elif opts[i] == ",":
            items.append(cur)
            cur = ""
            i += 1
        else:
            cur += opts[i]
            i += 1
    return items + [cur]

def norm(opts):
    """A -chardev value without its id and what fd passing decides: libvirt
    opens a listening unix socket, a file and a log file itself and hands
    QEMU the descriptor (fd=, path=/dev/fdset/N, then always append=on and
    logappend=on, having truncated the file itself or not)."""
    items = [i for i in split_opts(opts) if i.split("=", 1)[0] not in ("id", "fd")]
    backend = items[0] if items else ""
    listening = "server=on" in items
    out = []
    for item in items:
        key = item.split("=", 1)[0]
        if (backend == "socket" and listening and key == "path") or (backend == "file" and key in ("path", "append")):
            continue
        if key == "logappend":
            continue
        out.append("logfile=*" if key == "logfile" else item)
    return ",".join(out)

CHAR_ID = re.compile(r"(^|,)id=char(channel|console|serial|parallel)\d+(,|$)")

def libvirt_chardevs(args_text):
    words = args_text.replace("\\\n", " ").split()
    return sorted(norm(words[i + 1]) for i in range(len(words) - 1)
                  if words[i] == "-chardev" and CHAR_ID.search(words[i + 1]))

with tempfile.TemporaryDirectory(prefix="vschan-lvargs-") as tmp:
    if os.path.isdir(source):
        tree = source
    else:
        with tarfile.open(source) as t:
            members = [m for m in t.getmembers() if "/tests/qemuxml2argvdata/" in m.name
                       and (m.name.endswith(".xml") or m.name.endswith(".x86_64-latest.args"))]
            t.extractall(tmp, members)
        tree = glob.glob(os.path.join(tmp, "libvirt-*"))[0]
    data = os.path.join(tree, "tests", "qemuxml2argvdata")
    known = {}
    for line in open(os.path.join(here, "libvirt-args-known.tsv")):
        if line.strip() and not line.startswith("#"):
            name, why = line.rstrip("\n").split("\t", 1)
            known[name] = why
    rows, agree, differ, failures = [], 0, 0, []
    for xml in sorted(glob.glob(os.path.join(data, "*.xml"))):
        name = os.path.basename(xml)[:-4]
        args = os.path.join(data, name + ".x86_64-latest.args")
        text = open(xml, encoding="utf-8", errors="replace").read()
        if not os.path.exists(args) or not re.search(r"<(channel|console|serial|parallel)[ >]", text):
            continue
        theirs = libvirt_chardevs(open(args).read())
        r = subprocess.run([vschan, "qemu-args", "--argv", xml, "--socket-dir", "/run/vschan-test",
                            "--bus", "", "--addr", ""], capture_output=True, text=True)
        if r.returncode == 0:
            words = r.stdout.split("\n")
            mine = sorted(norm(words[i + 1]) for i in range(len(words) - 1) if words[i] == "-chardev")
            shown = " ".join(mine)
        else:
            mine = None
            shown = "refused: " + " ".join(l.replace(data + "/", "") for l in r.stderr.splitlines() if "error" in l)[:300]
        same = mine == theirs
        rows.append(f"{name}\t{'AGREE' if same else 'DIFFER'}\t{' '.join(theirs)}\t{shown}")
        if same:
            agree += 1
            if name in known:
                failures.append(f"{name}: listed as a known difference, but it agrees now")
        else:
            differ += 1
            if name not in known:
                failures.append(f"{name}: differs\n  libvirt: {theirs}\n  vschan:  {shown}")
    text = "\n".join(rows) + "\n"
    if out_path:
        with open(out_path, "w") as f:
            f.write(text)
    elif open(record).read() != text:
        failures.append("the agreement is not the one recorded in libvirt-args-agreement.tsv "
                        "(check-libvirt-args.py VSCHAN SOURCE tests/qemu/libvirt-args-agreement.tsv records it)")
    total = agree + differ
    print(f"{agree}/{total} documents agree, {differ} differ ({len(known)} known, with why)")
    for fl in failures:
        print("FAIL " + fl)
    if total < 40:
        failures.append("fewer than 40 documents: the corpus was not read")
        print("FAIL fewer than 40 documents")
    sys.exit(1 if failures else 0)
