/* What the C tests share with tests/lib/test.sh: when a test may skip,
 * and the wall-clock bounds of its checks. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* Wall-clock bounds: a check states behaviour, not speed, so that only a
 * real wait breaks it on a busy machine.
 *   - "at once": the call may wait VSCT_LONG_S seconds (its timeout) and
 *     must end in less than VSCT_AT_ONCE_S, half of that;
 *   - "within a deadline of S seconds": at most S + VSCT_MARGIN_S, a
 *     margin no busy machine needs for a call in the test's own process
 *     (the shell tests allow more: their runs open libvirt);
 *   - "waited at least S seconds" is behaviour, and stays exact. */
#define VSCT_LONG_S 120
#define VSCT_AT_ONCE_S (VSCT_LONG_S / 2)
#define VSCT_MARGIN_S 10.0

/* A test that cannot run here prints why and returns the exit status: 77
 * (ctest's SKIP_RETURN_CODE), or 1 when CI is set (tests/README.md). */
static inline int vsct_skip(const char *fmt, ...)
  __attribute__((format(printf, 1, 2)));
static inline int vsct_skip(const char *fmt, ...)
{
  const char *ci = getenv("CI");
  bool fails = ci && *ci;
  va_list ap;
  fputs(fails ? "FAIL: " : "SKIP: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs(fails ? " (CI is set, so a test that cannot run fails)\n" : "\n", stderr);
  return fails ? 1 : 77;
}
