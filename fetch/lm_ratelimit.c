/*
 * Rate limiter (see lm_ratelimit.h).  Times are nanoseconds on the
 * limiter's lm_clock, CLOCK_MONOTONIC unless a test gave another, so that
 * wall-clock jumps (NTP, DST) neither stall nor unleash requests.  The
 * mutex only guards the slot reservation; sleeping happens unlocked so a
 * cancelled waiter never blocks the others.
 */
#include "lm_ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* Slots are spaced 1% wider than 1/rate: requests leave on time but arrive
 * with a little jitter, and the server counts arrivals. */
#define LM_RATELIMIT_MARGIN 1.01

/* Waits are cut into steps this long so a stop request is noticed fast. */
#define LM_SLEEP_STEP_NS 50000000LL

struct lm_ratelimit {
    pthread_mutex_t lock;
    double rps;
    int64_t interval_ns;
    int64_t next_ns;   /* earliest start of the next request */
    lm_clock clock;
    int own_clock;     /* clock was given (else CLOCK_MONOTONIC) */
};

static const lm_clock *clock_of(const lm_ratelimit *rl)
{
    return rl->own_clock ? &rl->clock : NULL;
}

lm_status lm_ratelimit_init_clock(lm_ratelimit **out, double rps, double ceiling,
                                  const lm_clock *clk, lm_error *err)
{
    *out = NULL;
    if (!(ceiling > 0))
        return lm_error_set(err, LM_ERR_USAGE, "rate limit ceiling must be positive");
    if (!(rps > 0) || rps > ceiling)
        rps = ceiling;
    lm_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    if (pthread_mutex_init(&rl->lock, NULL) != 0) {
        free(rl);
        return lm_error_set(err, LM_ERR_NOMEM, "cannot create mutex");
    }
    rl->rps = rps;
    rl->interval_ns = (int64_t)(1e9 * LM_RATELIMIT_MARGIN / rps);
    rl->next_ns = 0;
    if (clk) {
        rl->clock = *clk;
        rl->own_clock = 1;
    }
    *out = rl;
    return LM_OK;
}

lm_status lm_ratelimit_init(lm_ratelimit **out, double rps, double ceiling, lm_error *err)
{
    return lm_ratelimit_init_clock(out, rps, ceiling, NULL, err);
}

void lm_ratelimit_free(lm_ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

double lm_ratelimit_rate(const lm_ratelimit *rl)
{
    return rl->rps;
}

/* Sleeps until clk reads `until`, polling cancel. */
static lm_status sleep_until(const lm_clock *clk, int64_t until, const lm_cancel *cancel,
                             lm_error *err)
{
    for (;;) {
        if (lm_cancel_requested(cancel))
            return lm_error_set(err, LM_ERR_INTERRUPTED, "interrupted while waiting");
        int64_t now = lm_clock_now_ns(clk);
        if (now >= until)
            return LM_OK;
        int64_t step = until - now;
        if (step > LM_SLEEP_STEP_NS)
            step = LM_SLEEP_STEP_NS;
        lm_clock_sleep_until_ns(clk, now + step);
    }
}

int64_t lm_ratelimit_reserve(lm_ratelimit *rl)
{
    pthread_mutex_lock(&rl->lock);
    int64_t now = lm_clock_now_ns(clock_of(rl));
    int64_t slot = rl->next_ns > now ? rl->next_ns : now;
    rl->next_ns = slot + rl->interval_ns;
    pthread_mutex_unlock(&rl->lock);
    return slot;
}

lm_status lm_ratelimit_acquire(lm_ratelimit *rl, const lm_cancel *cancel, lm_error *err)
{
    return sleep_until(clock_of(rl), lm_ratelimit_reserve(rl), cancel, err);
}

void lm_ratelimit_defer(lm_ratelimit *rl, double seconds)
{
    if (!(seconds > 0))
        return;
    pthread_mutex_lock(&rl->lock);
    int64_t until = lm_clock_now_ns(clock_of(rl)) + (int64_t)(seconds * 1e9);
    if (rl->next_ns < until)
        rl->next_ns = until;
    pthread_mutex_unlock(&rl->lock);
}

lm_status lm_sleep_ms(long ms, const lm_cancel *cancel, lm_error *err)
{
    if (ms <= 0)
        return lm_cancel_requested(cancel)
            ? lm_error_set(err, LM_ERR_INTERRUPTED, "interrupted while waiting")
            : LM_OK;
    return sleep_until(NULL, lm_clock_now_ns(NULL) + (int64_t)ms * 1000000LL, cancel, err);
}
