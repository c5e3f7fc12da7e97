"""What the Python tests share with tests/lib/test.sh: when a test may
skip, and the wall-clock bounds of its checks.  A script imports it with
sys.path.insert(0, <tests/lib>)."""
import os

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
