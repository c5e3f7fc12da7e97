#!/usr/bin/env python3
"""Fault injection through the vschan binary.

alloc:  VSCHAN_FAIL_ALLOC=n fails the n-th allocation.  For every n along
        renders ('vschan xml' of a spec with several devices; --into a domain
        with -o over an existing file; specs and options that fail to read
        or break rules) and along 'vschan validate' (rules only, of a valid
        domain and of files with findings: every n; with libvirt's RNG
        schema, whose compilation alone takes tens of thousands of
        allocations: every n of the first and last 500 and 300 spread in
        between, or every n with VSCHAN_FAULT_EVERY=1; libxml2 seeds its hash
        tables at random, so the count varies by a few dozen between runs and
        near the end either outcome is right), the run ends with the normal
        exit and output, or exit 4 and "vschan: error: out of memory" --
        never a signal, never a hang -- and -o leaves the old file as it was
        and no temporary file.
leaks:  nothing may be lost when a run dies at the n-th allocation, nor when
        it does not.  An ASan build (the OOM path calls LeakSanitizer before
        _exit) is checked at every n; otherwise valgrind memcheck checks
        VSCHAN_LEAK_SAMPLES n per sweep (default 32, spread over the whole
        range from a random start; VSCHAN_FAULT_SEED repeats one; "all" for
        every n), n past the end and the normal run: 0 errors, 0 bytes
        definitely lost.  No suppressions.
writes: an LD_PRELOAD shim (fault-shim.c) makes write() hit ENOSPC, short
        writes and EINTR happen, fsync/rename/mkostemp fail, and SIGKILL
        arrive before the rename or half way through the write, for
        'vschan xml -o' and 'vschan qm --write': the original file stays byte
        for byte, no temporary file is left (except after SIGKILL, where
        nothing could remove it; it is a hidden or .tmp. name and the original
        is intact), and the error says what failed.

usage: faults.py VSCHAN SHIM.so [alloc|writes]...
"""
import concurrent.futures
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testlib import LONG_S, skip  # noqa: E402

VSCHAN, SHIM = sys.argv[1], sys.argv[2]
GROUPS = sys.argv[3:] or ["alloc", "writes"]
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CASES = os.path.join(TOP, "tests", "cases")
OOM = "vschan: error: out of memory\n"
TIMEOUT = LONG_S               # a run that takes longer hangs
VALGRIND_TIMEOUT = 2 * LONG_S
failures = []

with open(VSCHAN, "rb") as _f:
    ASAN = b"__asan_init" in _f.read()
VALGRIND = None if ASAN else shutil.which("valgrind")
LEAK_CHECKER = "LeakSanitizer" if ASAN else "valgrind" if VALGRIND else None
_samples = os.environ.get("VSCHAN_LEAK_SAMPLES", "32")
LEAK_SAMPLES = None if _samples == "all" else int(_samples)
SEED = int(os.environ.get("VSCHAN_FAULT_SEED") or random.randrange(1 << 30))
rng = random.Random(SEED)


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg, flush=True)


def run(args, env_extra=None, cwd=None, leak_log=None, strict=False, umask=-1, preexec=None):
    """Run vschan; with leak_log (a file name), under the leak checker;
    strict: valgrind counts every block left at exit (a self-test); umask
    and preexec as subprocess takes them."""
    env = dict(os.environ)
    env.pop("VSCHAN_FAIL_ALLOC", None)
    env.pop("VSCHAN_SHIM", None)
    env["NO_COLOR"] = "1"
    # ASan builds: no leak report at exit, and the shim may come first.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0:verify_asan_link_order=0"
    cmd = [VSCHAN] + args
    timeout = TIMEOUT
    if leak_log and ASAN:
        # checked at exit, and by the OOM path before its _exit (src/util/mem.c)
        env["ASAN_OPTIONS"] += ":detect_leaks=1:exitcode=99"
    elif leak_log:
        cmd = [VALGRIND, "--leak-check=full", "--show-leak-kinds=definite",
               "--errors-for-leak-kinds=" + ("all" if strict else "definite"),
               "--error-exitcode=99", "--num-callers=30", "--read-inline-info=no",
               "--log-file=" + leak_log] + cmd
        timeout = VALGRIND_TIMEOUT
    env.update(env_extra or {})
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=timeout,
                           umask=umask, preexec_fn=preexec)
    except subprocess.TimeoutExpired:
        return None
    return p


def leak_problems(p, leak_log):
    """What the leak checker of a run found: a list of messages."""
    if ASAN:
        if p is None:
            return []  # hung: outcome_problems() says so
        err = p.stderr.decode(errors="replace")
        m = re.search(r"==\d+==ERROR: (LeakSanitizer|AddressSanitizer).*", err, re.S)
        if m or p.returncode == 99:
            return ["%s:\n%s" % ("LeakSanitizer" if m is None else m.group(1),
                                  (m.group(0) if m else err)[:3000])]
        return []
    try:
        with open(leak_log, errors="replace") as f:
            log = f.read()
        os.unlink(leak_log)
    except OSError:
        log = None
    if p is None:
        return []  # hung: outcome_problems() says so
    if log is None:
        return ["valgrind wrote no log (%s)" % leak_log]
    clean_errors = re.search(r"ERROR SUMMARY: 0 errors", log)
    clean_leaks = (re.search(r"definitely lost: 0 bytes", log)
                   or "All heap blocks were freed" in log)
    if p.returncode == 99 or not clean_errors or not clean_leaks:
        # the report without the banner and the summaries
        body = [l for l in log.splitlines() if not re.match(r"==\d+== ?$", l)]
        start = next((i for i, l in enumerate(body) if "Parent PID:" in l), 0) + 1
        return ["valgrind (exit %d):\n%s" % (p.returncode, "\n".join(body[start:start + 60]))]
    return []


def alloc_count(args, prepare=None):
    """The number of allocations of a run: the largest n that still fails."""
    def fails(n):
        if prepare:
            prepare()
        p = run(args, {"VSCHAN_FAIL_ALLOC": str(n)})
        return p is not None and p.returncode == 4
    hi = 1
    while fails(hi):
        hi *= 2
        if hi > 1 << 24:
            raise SystemExit("allocation count does not converge for %s" % args)
    lo = hi // 2  # fails(lo) or lo == 0; not fails(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fails(mid):
            lo = mid
        else:
            hi = mid
    # Every command allocates; a count this low means the injection never
    # fired (VSCHAN_FAIL_ALLOC ignored), and the sweep would prove nothing.
    if lo < 20:
        fail("%s: only %d allocations fail on injection: is VSCHAN_FAIL_ALLOC honoured?" % (args, lo))
    return lo


def leak_sample(ns, count):
    """The n of a sweep checked for leaks: every one with LeakSanitizer;
    under valgrind, LEAK_SAMPLES spread evenly over 1..count from a random
    start, the last n that fails and the first that does not."""
    if ASAN or LEAK_SAMPLES is None or LEAK_SAMPLES >= count:
        return set(ns)
    step = count / LEAK_SAMPLES
    start = rng.random() * step
    return {1 + int(start + i * step) for i in range(LEAK_SAMPLES)} | {count, count + 1}


def outcome_problems(p, reference):
    """What is wrong with how a run ended: exit 4 and the out-of-memory
    message, or the exit status and output of the normal run."""
    if p is None:
        return ["hung (no exit within %d s)" % TIMEOUT]
    if p.returncode < 0:
        return ["killed by signal %d" % -p.returncode]
    if p.returncode == 4:
        if p.stderr.decode(errors="replace") != OOM:
            return ["exit 4 but stderr is %r" % p.stderr[-300:]]
    elif p.returncode == reference[0]:
        if (p.stdout, p.stderr) != reference[1:]:
            return ["exit %d but the output differs from a normal run" % p.returncode]
    else:
        return ["exit %d: %r" % (p.returncode, p.stderr[-300:])]
    return []


def sweep(name, args, ns, reference, count, out_path=None, original=None, workdir=None):
    """Run with VSCHAN_FAIL_ALLOC=n for each n; check every outcome.

    reference is (exit status, stdout, stderr) of a normal run; a run whose
    allocation did not fail must give exactly that.  The normal run, a run
    whose n never comes, and leak_sample(count) run under the leak checker."""
    checked = leak_sample(ns, count) if LEAK_CHECKER else set()
    ns = sorted(set(ns) | checked)
    # none of these fails: the normal run (None) and one far past the end
    extra = [None, 1 << 40] if LEAK_CHECKER else []

    def one(n):
        env = {"VSCHAN_FAIL_ALLOC": str(n)} if n is not None else {}
        a = list(args)
        private = tempfile.mkdtemp(dir=workdir)
        if out_path:
            # each run writes its own copy of the original, in its own directory
            target = os.path.join(private, os.path.basename(out_path))
            with open(target, "wb") as f:
                f.write(original)
            a = [target if x == out_path else x for x in a]
        leak_log = os.path.join(private, "leak.log") if n is None or n in checked or n in extra else None
        p = run(a, env, leak_log=leak_log)
        # a checker's report says more than the exit status it caused
        problems = (leak_problems(p, leak_log) if leak_log else []) or outcome_problems(p, reference)
        if out_path:
            target = os.path.join(private, os.path.basename(out_path))
            with open(target, "rb") as f:
                now = f.read()
            if p is not None and p.returncode == 4 and now != original:
                problems.append("-o file changed although the run failed")
        left = sorted(set(os.listdir(private)) - {os.path.basename(out_path or "")})
        if left:
            problems.append("left behind: %s" % left)
        shutil.rmtree(private)
        return n, (p.returncode if p else None), problems

    started = time.monotonic()
    failed_before = len(failures)
    counts = {}
    # the slow runs (under valgrind) first, so that the pool ends evenly
    order = [n for n in extra + ns if n is None or n in checked or n in extra] + \
            [n for n in ns if n not in checked]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for n, rc, problems in pool.map(one, order):
            if n is not None and n not in extra:
                counts[rc] = counts.get(rc, 0) + 1
            for pr in problems:
                fail("%s: %s: %s" % (name, "a normal run" if n is None else "VSCHAN_FAIL_ALLOC=%d" % n, pr))
    if counts.get(4, 0) == 0:
        fail("%s: no run ended in out-of-memory" % name)
    leaks = "" if not LEAK_CHECKER else ", %d of them and 2 that do not fail checked by %s" % (
        len(checked), LEAK_CHECKER)
    print("%s %s: %d runs, exits %s%s (%.0f s)"
          % ("ok" if len(failures) == failed_before else "FAILED", name, len(ns),
             dict(sorted(counts.items(), key=str)), leaks, time.monotonic() - started), flush=True)


def leak_checker_works(work):
    """The leak check must be able to fail, or every clean result proves
    nothing.  A run that dies at an allocation holds plenty of memory that
    its callers still reach; told to count that as lost (LeakSanitizer: do
    not scan stacks, registers or globals; valgrind: every leak kind is an
    error), the checker must report it and leak_problems() must see that."""
    spec = os.path.join(CASES, "channel", "many", "spec.json")
    log = os.path.join(work, "canary.log")
    p = run(["xml", spec], {"VSCHAN_FAIL_ALLOC": "100",
                            "LSAN_OPTIONS": "use_stacks=0:use_registers=0:use_globals=0:use_tls=0"},
            leak_log=log, strict=True)
    if not leak_problems(p, log):
        fail("%s never reports a loss, even when told to count reachable memory: %r"
             % (LEAK_CHECKER, p.stderr[-500:] if p else "hung"))
    else:
        print("ok %s reports memory that is counted as lost" % LEAK_CHECKER, flush=True)
    if os.path.exists(log):
        os.unlink(log)


def into_sweep(work, into_dir, domain, merged):
    """Render --into a domain, -o over an existing file."""
    out = os.path.join(work, "vm.xml")
    original = b"<domain>the old file, to be kept on failure</domain>\n"
    def prepare():
        with open(out, "wb") as f:
            f.write(original)
    args = ["xml", os.path.join(into_dir, "spec.json"), "--into", domain, "-o", out]
    prepare()
    ref = run(args)
    assert ref.returncode == 0, ref.stderr
    with open(out, "rb") as f:
        assert f.read() == open(merged, "rb").read(), "--into -o wrote something else than the golden case"
    n = alloc_count(args, prepare)
    sweep("xml --into -o (%d allocations)" % n, args, list(range(1, n + 2)),
          (ref.returncode, ref.stdout, ref.stderr), n, out_path=out, original=original, workdir=work)


def wanted(label):
    """VSCHAN_FAULT_ONLY=REGEX runs only the sweeps whose name matches."""
    only = os.environ.get("VSCHAN_FAULT_ONLY")
    return not only or re.search(only, label) is not None


def alloc_tests(work):
    spec = os.path.join(CASES, "channel", "many", "spec.json")
    into_dir = os.path.join(CASES, "into", "keeps-everything")
    domain = os.path.join(into_dir, "domain.xml")
    merged = os.path.join(into_dir, "expected.xml")
    inputs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fault-inputs")
    corpus = os.path.join(TOP, "tests", "validate", "corpus")
    every = os.environ.get("VSCHAN_FAULT_EVERY") == "1"

    if LEAK_CHECKER:
        print("leak checks by %s; VSCHAN_FAULT_SEED=%d" % (LEAK_CHECKER, SEED), flush=True)
        leak_checker_works(work)
    elif os.environ.get("CI"):
        fail("neither valgrind nor an ASan build: the leak checks cannot run")
    else:
        print("SKIP leak checks: valgrind is not installed and %s is no ASan build" % VSCHAN, flush=True)

    def simple(label, args, expect_rc):
        if not wanted(label):
            return
        ref = run(args)
        if ref is None or ref.returncode != expect_rc:
            fail("%s: a normal run exits %s, not %d: %r"
                 % (label, ref and ref.returncode, expect_rc, ref and ref.stderr[-300:]))
            return
        n = alloc_count(args)
        if every or n <= 1300:
            ns = list(range(1, n + 2))
        else:
            step = (n - 1000) // 300 + 1
            ns = sorted(set(range(1, 501)) | set(range(501, n - 500, step)) | set(range(n - 500, n + 2)))
        sweep("%s (%d allocations)" % (label, n), args, ns, (ref.returncode, ref.stdout, ref.stderr), n)

    # 1. render a spec with several devices to standard output
    simple("xml SPEC", ["xml", spec], 0)

    # 2. render --into a domain, -o over an existing file
    if wanted("xml --into -o"):
        into_sweep(work, into_dir, domain, merged)

    # 3. the error paths: a spec the reader refuses, one that breaks rules,
    #    options that break rules; each diagnostic is built, kept and freed
    simple("xml reader errors", ["xml", os.path.join(inputs, "reader-errors.json")], 1)
    simple("xml rule errors", ["xml", os.path.join(inputs, "rule-errors.json")], 1)
    simple("xml option errors", ["xml", "--channel", "pty,target_type=guestfwd,target_address=fe80::1",
                                 "--channel", "unix,path=/run/x.sock,name=org.example.a",
                                 "--channel", "unix,path=/run/x.sock,name=org.example.a",
                                 "--serial", "tcp,host=example.org,service=4000,protocol=telnet"], 1)

    # 4. validate: rules only, of a valid domain and of files with findings
    #    (JSON report), then with libvirt's schema
    simple("validate --no-schema", ["validate", "-j", "1", "--no-schema", merged], 0)
    findings = [os.path.join(corpus, f) for f in ("err-channel-target-notype.xml",
                                                   "err-console-serial-second.xml",
                                                   "warn-protocol-unix.xml")]
    findings += [os.path.join(inputs, f) for f in ("broken.xml", "rule-errors.json", "reader-errors.json")]
    simple("validate --no-schema --json findings", ["validate", "-j", "1", "--no-schema", "--json"] + findings, 1)
    simple("validate", ["validate", "-j", "1", merged], 0)


# ---------------------------------------------------------------- writes

def listing(d):
    return sorted(os.listdir(d))


def write_case(name, args, target, original, shim, expect_ok, work, want_msg=None, killed=False,
               expected_content=None, signalled=None, preexec=None):
    with open(target, "wb") as f:
        f.write(original)
    d = os.path.dirname(target)
    before = listing(d)
    shim_log = os.path.join(work, "shim.log")
    if os.path.exists(shim_log):
        os.unlink(shim_log)
    p = run(args, {"VSCHAN_SHIM": shim, "LD_PRELOAD": SHIM, "VSCHAN_SHIM_LOG": shim_log} if shim else None,
            preexec=preexec)
    with open(target, "rb") as f:
        now = f.read()
    left = sorted(set(listing(d)) - set(before))
    where = "%s [%s]" % (name, shim or "no shim")
    if p is None:
        fail("%s: hung" % where)
        return
    err = p.stderr.decode(errors="replace")
    if killed:
        if p.returncode != -9:
            fail("%s: expected SIGKILL, got exit %d: %s" % (where, p.returncode, err))
        if now != original:
            fail("%s: the original changed after a crash" % where)
        for f in left:
            if not (f.startswith(".") or ".tmp." in f):
                fail("%s: a crash left %s, not a temporary name" % (where, f))
        for f in left:
            os.unlink(os.path.join(d, f))
    elif signalled:
        # the handler removed the temporary file, then the signal ended
        # the process as it would have without one
        if p.returncode != -signalled:
            fail("%s: expected death by signal %d, got exit %d: %s" % (where, signalled, p.returncode, err))
        if now != original:
            fail("%s: the original changed" % where)
        if left:
            fail("%s: left behind %s" % (where, left))
    elif expect_ok:
        if p.returncode != 0:
            fail("%s: exit %d: %s" % (where, p.returncode, err))
        elif expected_content is not None and now != expected_content:
            fail("%s: the written file differs from a normal run" % where)
        # a mode the program survives: prove the shim cut writes at all
        try:
            injected = int(open(shim_log).read().split()[1])
        except (OSError, IndexError, ValueError):
            injected = 0
        if shim and injected == 0:
            fail("%s: the shim injected nothing (is it loaded?)" % where)
        if left:
            fail("%s: left behind %s" % (where, left))
    else:
        if p.returncode in (0,) or p.returncode < 0:
            fail("%s: expected an error exit, got %d" % (where, p.returncode))
        if now != original:
            fail("%s: the original changed although the write failed" % where)
        if left:
            fail("%s: left behind %s" % (where, left))
        if want_msg and want_msg not in err:
            fail("%s: stderr lacks %r: %s" % (where, want_msg, err))
    print("ok %s: exit %s%s" % (where, p.returncode, ", left %s (removed)" % left if killed and left else ""),
          flush=True)


def keeps_attrs(name, args, target, original):
    """The replaced file keeps its mode, owner and group, whatever the
    umask (seen: a 664 root:daemon config became 600 root:root under
    umask 077)."""
    with open(target, "wb") as f:
        f.write(original)
    group = 1 if os.geteuid() == 0 else os.getgid()  # daemon, where root may choose
    os.chown(target, -1, group)
    os.chmod(target, 0o664)
    before = os.stat(target)
    p = run(args, umask=0o077)
    st = os.stat(target)
    if p is None or p.returncode != 0:
        fail("%s under umask 077: exit %s: %r" % (name, p and p.returncode, p and p.stderr))
    elif open(target, "rb").read() == original:
        fail("%s under umask 077: the file was not rewritten" % name)
    elif st.st_ino == before.st_ino:
        fail("%s under umask 077: written in place, not replaced" % name)
    elif (st.st_mode & 0o7777, st.st_uid, st.st_gid) != (0o664, before.st_uid, group):
        fail("%s under umask 077: now %04o %d:%d, was 0664 %d:%d"
             % (name, st.st_mode & 0o7777, st.st_uid, st.st_gid, before.st_uid, group))
    else:
        print("ok %s under umask 077: a new file, still 0664 %d:%d" % (name, st.st_uid, group), flush=True)


def no_file_size(name, args, target, original, work):
    """ulimit -f 0: SIGXFSZ is an ordinary write error, not a death that
    leaves the temporary file."""
    import resource
    write_case(name + " (ulimit -f 0)", args, target, original, None, False, work, "File too large",
               preexec=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)))


def signal_cases(name, args, target, original, work):
    """SIGINT, SIGTERM and SIGHUP half way through the write: the temporary
    file goes, the original stays."""
    import signal
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        write_case(name, args, target, original, "raise=%d@50" % sig, False, work, signalled=sig)


def write_tests(work):
    spec = os.path.join(CASES, "channel", "many", "spec.json")
    d = os.path.join(work, "out")
    os.makedirs(d)
    target = os.path.join(d, "vm.xml")
    original = b"<devices>\n  <!-- the old file: must survive every failed write -->\n</devices>\n" * 20
    ref = run(["xml", spec])
    assert ref.returncode == 0
    xml_args = ["xml", spec, "-o", target]

    failing = [
        ("enospc-after=0", "No space left on device"),
        ("enospc-after=100", "No space left on device"),
        ("fsync=eio", "Input/output error"),
        ("rename=eacces", "Permission denied"),
        ("rename=exdev", "Invalid cross-device link"),
        ("tmp=eacces", "Permission denied"),
    ]
    for shim, msg in failing:
        write_case("xml -o", xml_args, target, original, shim, False, work, msg)
    for shim in ("short=7", "eintr", "short=3,eintr"):
        write_case("xml -o", xml_args, target, original, shim, True, work, expected_content=ref.stdout)
    for shim in ("kill-before-rename", "kill-after=50"):
        write_case("xml -o", xml_args, target, original, shim, False, work, killed=True)
    signal_cases("xml -o", xml_args, target, original, work)
    no_file_size("xml -o", xml_args, target, original, work)
    keeps_attrs("xml -o", xml_args, target, original)

    # a directory that does not exist: nothing created anywhere
    missing = os.path.join(d, "no-such-dir", "vm.xml")
    p = run(["xml", spec, "-o", missing])
    if p.returncode != 2 or "cannot create a temporary file" not in p.stderr.decode():
        fail("xml -o into a missing directory: exit %d: %r" % (p.returncode, p.stderr))
    elif os.path.exists(os.path.dirname(missing)):
        fail("xml -o into a missing directory created it")
    else:
        print("ok xml -o into a missing directory: exit 2", flush=True)

    # a target that is no regular file is written in place: a rename would
    # put a file where the FIFO or device node was (seen: /dev/null replaced)
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    p = run(["xml", spec, "-o", fifo])
    reader.join(timeout=TIMEOUT)
    if p.returncode != 0 or not stat.S_ISFIFO(os.lstat(fifo).st_mode) or got != [ref.stdout]:
        fail("xml -o FIFO: exit %d, FIFO kept: %s, read %r" % (p.returncode, stat.S_ISFIFO(os.lstat(fifo).st_mode), got[:1]))
    else:
        print("ok xml -o FIFO: written through it, still a FIFO", flush=True)
    if os.geteuid() == 0:
        null = os.path.join(d, "null")
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        p = run(["xml", spec, "-o", null])
        if p.returncode != 0 or not stat.S_ISCHR(os.lstat(null).st_mode):
            fail("xml -o a copy of /dev/null: exit %d, still a device: %s" % (p.returncode, stat.S_ISCHR(os.lstat(null).st_mode)))
        else:
            print("ok xml -o a copy of /dev/null: still the device", flush=True)

    # standard output on a full disk
    with open("/dev/full", "wb") as full:
        p = subprocess.run([VSCHAN, "xml", spec], stdout=full, stderr=subprocess.PIPE, timeout=TIMEOUT)
    if p.returncode == 0 or b"No space left" not in p.stderr:
        fail("xml > /dev/full: exit %d: %r" % (p.returncode, p.stderr))
    else:
        print("ok xml > /dev/full: exit %d" % p.returncode, flush=True)

    # qm --write: qemu-server's config, through pve's own locked edit
    conf_src = os.path.join(TOP, "tests", "pve", "data", "101-pending.conf")
    qspec = os.path.join(TOP, "tests", "qm", "specs", "channels.json")
    if not os.path.exists(conf_src) or not os.path.exists(qspec):
        fail("qm --write: test data missing (%s, %s)" % (conf_src, qspec))
        return
    qd = os.path.join(work, "pve")
    os.makedirs(qd)
    conf = os.path.join(qd, "100.conf")
    conf_original = open(conf_src, "rb").read()
    qm_args = ["qm", "100", qspec, "--write", "--conf", conf, "--lock-dir", os.path.join(work, "lock")]
    shutil.copy(conf_src, conf)
    ref = run(qm_args)
    if ref.returncode != 0:
        fail("qm --write: a normal run exits %d: %r" % (ref.returncode, ref.stderr))
        return
    conf_new = open(conf, "rb").read()
    p = run(["qm", "100", qspec, "--write", "--conf", fifo, "--lock-dir", os.path.join(work, "lock")])
    if p.returncode != 1 or b"not a regular file" not in p.stderr or not stat.S_ISFIFO(os.lstat(fifo).st_mode):
        fail("qm --write --conf FIFO: exit %d: %r" % (p.returncode, p.stderr))
    else:
        print("ok qm --write --conf FIFO: refused, still a FIFO", flush=True)
    for shim, msg in failing:
        write_case("qm --write", qm_args, conf, conf_original, shim, False, work, msg)
    for shim in ("short=7", "eintr"):
        write_case("qm --write", qm_args, conf, conf_original, shim, True, work, expected_content=conf_new)
    for shim in ("kill-before-rename", "kill-after=50"):
        write_case("qm --write", qm_args, conf, conf_original, shim, False, work, killed=True)
    signal_cases("qm --write", qm_args, conf, conf_original, work)
    no_file_size("qm --write", qm_args, conf, conf_original, work)
    keeps_attrs("qm --write", qm_args, conf, conf_original)


def main():
    if not os.path.exists(SHIM) and "writes" in GROUPS:
        raise SystemExit("fault shim %s is missing" % SHIM)
    work = tempfile.mkdtemp(prefix="vschan-faults-")
    try:
        if "alloc" in GROUPS:
            alloc_tests(work)
        if "writes" in GROUPS:
            write_tests(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d failures" % len(failures))
        return 1
    if "alloc" in GROUPS and not LEAK_CHECKER:
        return skip("no leak checker (valgrind, or an ASan build): the leak checks did not run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
