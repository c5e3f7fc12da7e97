"""What the Python tests share with tests/lib/test.sh: when a test may
skip, and the wall-clock bounds of its checks.  A script imports it with
sys.path.insert(0, <tests/lib>)."""
import os
import sys

# A wait may take LONG_S seconds before a check fails; a deadline may be
# overrun by MARGIN_S (tests/lib/test.sh, "Time").
LONG_S = 120
MARGIN_S = 40


def skip(reason):
    """The exit status of a test that cannot run here, after saying why:
    77 (ctest's SKIP_RETURN_CODE), or 1 when CI is set (tests/README.md)."""
    if os.environ.get("CI"):
        print("FAIL: %s (CI is set, so a test that cannot run fails)" % reason, flush=True)
        return 1
    print("SKIP: " + reason, flush=True)
    return 77


class Checks:
    """The checks of a script: check(name, cond, detail) counts one,
    printing "ok NAME" (unless quiet) or "FAIL NAME: DETAIL"; finish()
    prints the counts and exits 1 when one failed."""

    def __init__(self, quiet=False):
        self.quiet = quiet
        self.passed = 0
        self.failures = []

    def __call__(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            if not self.quiet:
                print(f"ok {name}", flush=True)
        else:
            self.failures.append(name)
            print(f"FAIL {name}: {detail}", flush=True)

    def finish(self, prefix=""):
        print(f"{prefix}{self.passed} passed, {len(self.failures)} failed")
        sys.exit(1 if self.failures else 0)
