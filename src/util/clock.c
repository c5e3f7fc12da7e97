#include "clock.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

static vsc_clock_source replacement;

void vsc_clock_replace(const vsc_clock_source *source)
{
  replacement = source ? *source : (vsc_clock_source){ 0 };
}

double vsc_now(void)
{
  if (replacement.now_ms)
    return (double)replacement.now_ms(replacement.opaque) / 1000.0;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct timespec vsc_timespec_at(double t)
{
  struct timespec ts;
  ts.tv_sec = (time_t)t;
  ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
  return ts;
}

int64_t vsc_now_ms(void)
{
  if (replacement.now_ms)
    return replacement.now_ms(replacement.opaque);
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void vsc_sleep_ms(int64_t ms)
{
  if (replacement.sleep_ms) {
    replacement.sleep_ms(replacement.opaque, ms);
    return;
  }
  struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
  while (nanosleep(&t, &t) < 0 && errno == EINTR) {
  }
}

int vsc_seconds_parse(const char *text, bool allow_zero, double max, double *seconds)
{
  char *end;
  if (!text || !*text)
    return -1;
  errno = 0;
  double v = strtod(text, &end);
  if (*end || errno || !isfinite(v) || v < 0 || (v == 0 && !allow_zero) || v > max)
    return -1;
  *seconds = v;
  return 0;
}
