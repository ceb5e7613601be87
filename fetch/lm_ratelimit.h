/*
 * lm_ratelimit: a request-rate limiter shared by every thread that talks to
 * one service (NCBI allows 3 requests/s without an API key, 10 with one).
 *
 * It is a token bucket of depth one, kept as "the earliest time the next
 * request may start" (the GCRA form): acquiring reserves the next free slot
 * under a mutex and then sleeps until it outside the lock, so threads queue
 * fairly in slot order and never burst.  Spacing starts 1/rate apart
 * guarantees at most `rate` requests in any one-second window, which is how
 * NCBI counts.  The rate is clamped to a ceiling fixed at creation, so a
 * configuration can ask for less than the service allows, never more.
 */
#ifndef LM_RATELIMIT_H
#define LM_RATELIMIT_H

#include "../util/lm_cancel.h"
#include "../util/lm_clock.h"
#include "../util/lm_error.h"

typedef struct lm_ratelimit lm_ratelimit;

/* rps <= 0 means "the ceiling"; rps above the ceiling is lowered to it.
 * ceiling must be > 0. */
lm_status lm_ratelimit_init(lm_ratelimit **out, double rps, double ceiling,
                            lm_error *err);
/* The same on clock clk (copied; NULL: CLOCK_MONOTONIC), which every
 * slot, wait and deferral is measured on: tests give a clock of their own. */
lm_status lm_ratelimit_init_clock(lm_ratelimit **out, double rps, double ceiling,
                                  const lm_clock *clk, lm_error *err);
void lm_ratelimit_free(lm_ratelimit *rl);

/* The effective rate in requests per second. */
double lm_ratelimit_rate(const lm_ratelimit *rl);

/* Blocks until the caller may start one request.  Thread-safe.  Returns
 * LM_ERR_INTERRUPTED when cancel (may be NULL) is set while waiting. */
lm_status lm_ratelimit_acquire(lm_ratelimit *rl, const lm_cancel *cancel, lm_error *err);

/* The first half of acquire: reserves the next free slot and returns its
 * start on the limiter's clock (nanoseconds), without waiting for it.
 * Thread-safe. */
int64_t lm_ratelimit_reserve(lm_ratelimit *rl);

/* Pushes the next free slot at least `seconds` into the future, so that a
 * server's Retry-After slows every thread, not just the one that saw it. */
void lm_ratelimit_defer(lm_ratelimit *rl, double seconds);

/* Sleeps for ms milliseconds in short steps, polling cancel (may be NULL).
 * Returns LM_ERR_INTERRUPTED if cancelled.  Shared by the HTTP retry loop. */
lm_status lm_sleep_ms(long ms, const lm_cancel *cancel, lm_error *err);

#endif
