/*
 * lm_clock: monotonic time, for rates, progress, stage timings and waits.
 *
 * lm_now_seconds() is the system's monotonic clock.  A module that waits
 * (the E-utilities rate limiter) takes an lm_clock instead, NULL meaning
 * the system's: a test hands it a clock of its own and checks the waits
 * the module computes, exactly, without sleeping or reading the wall
 * clock, so a loaded machine cannot make it fail.
 */
#ifndef LM_CLOCK_H
#define LM_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline double lm_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct lm_clock {
    int64_t (*now_ns)(void *ctx);                 /* monotonic nanoseconds */
    /* Sleeps until now_ns() >= deadline, or less (a signal): callers loop. */
    void (*sleep_until_ns)(void *ctx, int64_t deadline);
    void *ctx;
} lm_clock;

/* The clock's time (NULL: CLOCK_MONOTONIC), in nanoseconds. */
static inline int64_t lm_clock_now_ns(const lm_clock *c)
{
    if (c)
        return c->now_ns(c->ctx);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleeps until the clock reads deadline, or until a signal interrupts. */
static inline void lm_clock_sleep_until_ns(const lm_clock *c, int64_t deadline)
{
    if (c) {
        c->sleep_until_ns(c->ctx, deadline);
        return;
    }
    struct timespec ts = {(time_t)(deadline / 1000000000LL), (long)(deadline % 1000000000LL)};
    (void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

#endif
