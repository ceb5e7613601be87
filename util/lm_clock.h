/*
 * lm_clock: monotonic seconds, for rates, progress and stage timings.
 */
#ifndef LM_CLOCK_H
#define LM_CLOCK_H

#include <time.h>

static inline double lm_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
