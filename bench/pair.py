#!/usr/bin/env python3
"""Time two commands in interleaved pairs; the figure is the per-pair ratio.

usage: bench/pair.py [options] -n NAME CMD [-n NAME CMD]

  --runs N           timed pairs (default 10)
  --warmup N         untimed pairs first (default 0)
  --prepare CMD      run before every run of either command, untimed
  --input FILE       stdin of the timed commands (default /dev/null)
  --ignore-failure   a non-zero exit of a timed command is not an error
  --export-json FILE write every time and the ratios (see below)

The first command is vschan, the second its peer.  Pair i runs both back
to back, vschan first when i is even and the peer first when it is odd, so
a machine that slows down or speeds up during the run (another job,
thermal throttling, page cache) weighs on both sides of every pair alike
and the order costs neither side.  The ratio of a pair is peer time /
vschan time; the result is the median of those ratios with its quartiles
and range, and each side's median time.  With one command it only times.

A command is split like a shell line (quotes work) and run directly, not
through a shell, stdout and stderr to /dev/null: use sh -c '...' or a
script for pipes and redirections.  The clock is perf_counter_ns around
posix_spawn and wait4, which costs about as much as hyperfine -N.

The JSON has "results" (per command, as hyperfine writes it: command,
median, min, max, mean, stddev, times, plus q1, q3, user and system) and,
with two commands, "ratio" (of, median, q1, q3, min, max, per_pair).  When
BENCH_COLLECT names a directory (bench/run sets it), a copy goes there too.
The summary goes to stderr.
"""
import json
import os
import shlex
import statistics
import sys
import time


def usage(msg):
    print("pair.py: %s\nusage: bench/pair.py [--runs N] [--warmup N] [--prepare CMD] [--input FILE] "
          "[--ignore-failure] [--export-json FILE] -n NAME CMD [-n NAME CMD]" % msg, file=sys.stderr)
    sys.exit(2)


def spawn(argv, stdin_path):
    """Run argv once; return (wall ns, user s, system s, exit status)."""
    fd_in = os.open(stdin_path, os.O_RDONLY)
    fd_null = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, fd_in, 0), (os.POSIX_SPAWN_DUP2, fd_null, 1),
               (os.POSIX_SPAWN_DUP2, fd_null, 2)]
    try:
        start = time.perf_counter_ns()
        try:
            pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
        except OSError as e:
            print("pair.py: cannot run '%s': %s" % (argv[0], e.strerror), file=sys.stderr)
            sys.exit(1)
        _, status, rusage = os.wait4(pid, 0)
        took = time.perf_counter_ns() - start
    finally:
        os.close(fd_in)
        os.close(fd_null)
    return took, rusage.ru_utime, rusage.ru_stime, os.waitstatus_to_exitcode(status)


def quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def stats(xs):
    q1, q3 = quartiles(xs)
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "mean": statistics.mean(xs),
            "stddev": statistics.stdev(xs) if len(xs) > 1 else 0.0, "q1": q1, "q3": q3}


def fmt_time(s):
    if s >= 1:
        return "%.2f s" % s
    if s >= 0.001:
        return "%.1f ms" % (s * 1e3)
    return "%.0f µs" % (s * 1e6)


def main():
    args = sys.argv[1:]
    runs, warmup, prepare, stdin_path, ignore, export = 10, 0, None, os.devnull, False, None
    names, cmds = [], []
    try:
        while args:
            a = args.pop(0)
            if a == "--runs":
                runs = int(args.pop(0))
            elif a == "--warmup":
                warmup = int(args.pop(0))
            elif a == "--prepare":
                prepare = shlex.split(args.pop(0))
            elif a == "--input":
                stdin_path = args.pop(0)
            elif a == "--ignore-failure":
                ignore = True
            elif a == "--export-json":
                export = args.pop(0)
            elif a == "-n":
                names.append(args.pop(0))
                cmds.append(shlex.split(args.pop(0)))
            elif a in ("-h", "--help"):
                print(__doc__)
                return 0
            else:
                usage("unknown argument '%s'" % a)
    except (IndexError, ValueError):
        usage("'%s' needs a value" % a)
    if not 1 <= len(cmds) <= 2 or runs < 1 or warmup < 0 or not all(cmds):
        usage("give one or two commands and --runs of at least 1")

    times = [[] for _ in cmds]
    user = [[] for _ in cmds]
    system = [[] for _ in cmds]

    def one(k, keep):
        if prepare:
            rc = spawn(prepare, os.devnull)[3]
            if rc != 0:
                print("pair.py: the prepare command '%s' exited %d" % (shlex.join(prepare), rc), file=sys.stderr)
                sys.exit(1)
        took, u, s, rc = spawn(cmds[k], stdin_path)
        if rc != 0 and not ignore:
            print("pair.py: '%s' exited %d (run it by hand to see why, or --ignore-failure)"
                  % (names[k], rc), file=sys.stderr)
            sys.exit(1)
        if keep:
            times[k].append(took / 1e9)
            user[k].append(u)
            system[k].append(s)

    for i in range(warmup + runs):
        # Alternate who goes first, so the order itself favours neither side.
        order = range(len(cmds)) if i % 2 == 0 else reversed(range(len(cmds)))
        for k in order:
            one(k, i >= warmup)

    results = []
    for k, name in enumerate(names):
        r = {"command": name, **stats(times[k]), "times": times[k], "user": user[k], "system": system[k]}
        results.append(r)
        print("  %-28s median %s (IQR %s–%s, min–max %s–%s), %d runs" %
              (name, fmt_time(r["median"]), fmt_time(r["q1"]), fmt_time(r["q3"]), fmt_time(r["min"]),
               fmt_time(r["max"]), runs), file=sys.stderr)
    out = {"tool": "bench/pair.py", "order": "interleaved, alternating", "runs": runs, "warmup": warmup,
           "results": results}
    if len(cmds) == 2:
        per_pair = [b / a for a, b in zip(times[0], times[1])]
        ratio = {"of": "%s / %s" % (names[1], names[0]), **stats(per_pair), "per_pair": per_pair}
        out["ratio"] = ratio
        print("  %s per pair: median %.2fx (IQR %.2f–%.2fx, min–max %.2f–%.2fx), %d pairs" %
              (ratio["of"], ratio["median"], ratio["q1"], ratio["q3"], ratio["min"], ratio["max"], runs),
              file=sys.stderr)
    text = json.dumps(out, indent=1)
    if export:
        with open(export, "w") as f:
            f.write(text)
    collect = os.environ.get("BENCH_COLLECT")
    if collect and os.path.isdir(collect):
        n = len([f for f in os.listdir(collect) if f.endswith(".json")])
        with open(os.path.join(collect, "%03d.json" % n), "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
