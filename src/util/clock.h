/* The monotonic clock, for deadlines and timing: never the wall clock,
 * which NTP or an administrator may step. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Seconds since an arbitrary start. */
double vsc_now(void);
/* A time on vsc_now()'s clock as a timespec, for waits on a condition
 * variable set to CLOCK_MONOTONIC. */
struct timespec vsc_timespec_at(double t);
/* Milliseconds since the same start. */
int64_t vsc_now_ms(void);
/* A duration given by a user, in seconds ("5", "0.5"): a finite number,
 * not negative, 0 only with allow_zero, at most max.  -1 otherwise. */
int vsc_seconds_parse(const char *text, bool allow_zero, double max, double *seconds);
/* Sleep ms milliseconds, resuming after signals. */
void vsc_sleep_ms(int64_t ms);

/* A clock that tests substitute for the real one, to play a peer against
 * the code under test in the same thread (tests/fuzz/fuzz-agent-peer.c):
 * every reading of vsc_now_ms() and vsc_now(), and every vsc_sleep_ms(),
 * goes through it.  poll() and other waits in the kernel still take real
 * time, so such a test keeps its peer's data ready whenever it matters. */
typedef struct {
  int64_t (*now_ms)(void *opaque);
  void (*sleep_ms)(void *opaque, int64_t ms);
  void *opaque;
} vsc_clock_source;
/* NULL restores the monotonic clock. */
void vsc_clock_replace(const vsc_clock_source *source);
