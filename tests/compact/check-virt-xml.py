#!/usr/bin/env python3
"""vschan's compact option syntax must mean what virt-xml makes of it.

For every option in virt-install-examples.txt, render the device with
`vschan xml` and with `virt-xml --connect test:///default test --add-device
... --print-xml`, and compare the device elements.  virt-xml writes an empty
<source mode="bind"/> beside the real source of tcp devices (a quirk of its
XML builder that libvirt ignores); that element is dropped before comparing.
Usage: check-virt-xml.py VSCHAN
"""
import os, shlex, subprocess, sys
import xml.etree.ElementTree as ET

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
from testlib import skip  # noqa: E402
vschan = sys.argv[1]

if subprocess.run(["sh", "-c", "command -v virt-xml"], capture_output=True).returncode:
    sys.exit(skip("virt-xml is missing (Debian package virtinst)"))

def normalize(el):
    sources = [c for c in el if c.tag == "source"]
    for s in sources:
        if len(sources) > 1 and set(s.attrib) <= {"mode"} and len(s) == 0:
            el.remove(s)
    return canon(el)

def canon(el):
    return (el.tag, tuple(sorted(el.attrib.items())), tuple(sorted(canon(c) for c in el)))

def vschan_device(opt, value):
    out = subprocess.run([vschan, "xml", opt, value], capture_output=True, text=True)
    if out.returncode:
        return None, out.stderr.strip()
    return list(ET.fromstring(out.stdout))[-1], None

def virt_xml_device(opt, value):
    out = subprocess.run(["virt-xml", "--connect", "test:///default", "test", "--add-device",
                          opt, value, "--print-xml"], capture_output=True, text=True)
    if out.returncode:
        return None, out.stderr.strip()
    return list(ET.fromstring(out.stdout).find("devices"))[-1], None

failed = passed = 0
for line in open(os.path.join(here, "virt-install-examples.txt")):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    opt, value = shlex.split(line)
    ours, err = vschan_device(opt, value)
    theirs, err2 = virt_xml_device(opt, value)
    if ours is None or theirs is None:
        print(f"FAIL {line}: vschan: {err} virt-xml: {err2}")
        failed += 1
    elif normalize(ours) != normalize(theirs):
        print(f"FAIL {line}:\n  vschan:   {ET.tostring(ours).decode().strip()}\n  virt-xml: {ET.tostring(theirs).decode().strip()}")
        failed += 1
    else:
        print(f"ok {line}")
        passed += 1
print(f"{passed} passed, {failed} failed")
# The examples file holds 22; fewer compared means it was not read whole.
if passed + failed < 20:
    print(f"FAIL only {passed + failed} examples compared")
    sys.exit(1)
sys.exit(1 if failed else 0)
