/* The monotonic clock, for deadlines and timing: never the wall clock,
 * which NTP or an administrator may step. */
#pragma once

#include <stdint.h>

/* Seconds since an arbitrary start. */
double vsc_now(void);
/* Milliseconds since the same start. */
int64_t vsc_now_ms(void);
/* Sleep ms milliseconds, resuming after signals. */
void vsc_sleep_ms(int64_t ms);
