#!/usr/bin/env python3
"""Every rule id vschan reports is in the one table of src/model/rules.c,
with the class the code gives it.

The table (vsc_rules) lists each id once with its severity, its class
(what the exit status says) and what it means.  This test reads the
sources: every string literal passed as the rule id of a diagnostic
(vsc_error*, vsc_warning*, vsc_diag_add*, the wrappers that pass a rule
on, and the needs of the backend table) must be in the table, and a
diagnostic made with a class macro (vsc_error_io, vsc_error_peer, ...)
must have the class the table gives its id.  An id in the table that
nothing reports fails too, so the table cannot go stale.

usage: check-rule-ids.py SOURCE_DIR [--list]
"""
import os
import re
import sys

src = os.path.join(sys.argv[1], "src")
listing = "--list" in sys.argv[2:]

# What makes a diagnostic: the argument that is its rule id (0-based) and
# the class it gets (None: an argument says).
MAKERS = {
    "vsc_error": (2, "INVALID"),
    "vsc_warning": (2, "INVALID"),
    "vsc_error_usage": (2, "USAGE"),
    "vsc_error_io": (2, "IO"),
    "vsc_error_peer": (2, "PEER"),
    "vsc_warning_peer": (2, "PEER"),
    "vsc_diag_add": (3, "INVALID"),
    "vsc_diag_add_class": (4, None),
    "vsc_virt_error_in": (2, "PEER"),
    "vsc_file_replace_begin": (2, "IO"),
    "vsc_file_replace_commit": (1, "IO"),
    # wrappers that pass their rule argument on
    "dev_error": (2, "INVALID"),      # qemu/argv.c
    "opts_error": (1, "INVALID"),     # qemu/argv.c
    "report": (3, "INVALID"),         # model/rules.c
    "report_vhost": (3, "INVALID"),   # model/rules.c
    "report_on": (4, "INVALID"),      # model/rules.c
    "vhost_error": (2, "INVALID"),    # qemu/argv.c
    "vitem_error": (3, "INVALID"),    # qemu/argv.c
    "fail": (2, "INVALID"),           # xml/parse.c
    "complete_diags": (1, None),      # validate/validate.c: the id of what has none
}
CLASSES = {"VSC_CLASS_INVALID": "INVALID", "VSC_CLASS_USAGE": "USAGE", "VSC_CLASS_IO": "IO",
           "VSC_CLASS_PEER": "PEER"}
# Ids a wrapper gives itself, and the needs of the backend table.
FIXED = [("src/spec/parse.c", "spec-syntax", "INVALID"), ("src/spec/option.c", "option-syntax", "INVALID"),
         ("src/virt/conn.c", "libvirt", "PEER")]
ID = re.compile(r'^"([a-z][a-z0-9]*(?:-[a-z0-9]+)*)"$')


def split_args(text, start):
    """The arguments of the call whose '(' is at text[start]."""
    args, depth, cur, i, quote = [], 0, [], start + 1, None
    while i < len(text):
        c = text[i]
        cur.append(c)
        if quote:
            if c == "\\":
                cur.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append("".join(cur[:-1]).strip())
                return args
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(cur[:-1]).strip())
            cur = []
        i += 1
    return args


used = {}   # id -> {(file, class)}
for root, _, files in os.walk(src):
    for name in files:
        if not name.endswith(".c"):
            continue
        path = os.path.join(root, name)
        rel = os.path.relpath(path, os.path.dirname(src))
        text = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group(0)),
                      open(path, encoding="utf-8").read(), flags=re.S)
        for m in re.finditer(r"\b([a-z_]+)\s*\(", text):
            maker = MAKERS.get(m.group(1))
            line = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
            if not maker or re.match(r"\s*(static\s+)?[a-z_]+\s*\**$", line):
                continue  # not a maker, or its definition
            args = split_args(text, m.end() - 1)
            pos, cls = maker
            if len(args) <= pos:
                continue
            if m.group(1) == "vsc_diag_add_class":
                cls = CLASSES.get(args[1])
            found = ID.match(args[pos])
            if found:
                used.setdefault(found.group(1), set()).add((rel, cls))
        if rel == "src/model/backend.c":
            for need in re.finditer(r'\{ VSC_SF_[A-Z_]+, "([a-z-]+)",', text):
                used.setdefault(need.group(1), set()).add((rel, "INVALID"))
for rel, rule, cls in FIXED:
    used.setdefault(rule, set()).add((rel, cls))

table = {}
for m in re.finditer(r'^  \{ "([a-z0-9-]+)", VSC_SEV_[A-Z]+, VSC_CLASS_([A-Z]+), VSC_LAYER_[A-Z]+,',
                     open(os.path.join(src, "model", "rules.c"), encoding="utf-8").read(), re.M):
    table[m.group(1)] = m.group(2)

if listing:
    for rule in sorted(used):
        classes = sorted({c or "?" for _, c in used[rule]})
        print(f"{rule:28} {','.join(classes):12} {' '.join(sorted({f for f, _ in used[rule]}))}")
    sys.exit(0)

fail = 0
for what, n in (("rows in the table of src/model/rules.c", len(table)), ("rule ids in the sources", len(used))):
    if n < 100:
        print(f"FAIL found only {n} {what}: the code changed shape, update this test")
        fail += 1
for rule, places in sorted(used.items()):
    if rule not in table:
        files = ", ".join(sorted({f for f, _ in places}))
        print(f"FAIL rule '{rule}' ({files}) is not in the table of src/model/rules.c")
        fail += 1
        continue
    for rel, cls in sorted(places, key=lambda p: (p[0], p[1] or "")):
        if cls and cls != table[rule]:
            print(f"FAIL rule '{rule}' is reported as {cls} in {rel}; the table says {table[rule]}")
            fail += 1
for rule in sorted(set(table) - set(used)):
    print(f"FAIL rule '{rule}' is in the table but nothing reports it")
    fail += 1
print(f"{len(used)} rule ids reported, {len(table)} in the table, {fail} failed")
sys.exit(1 if fail else 0)
