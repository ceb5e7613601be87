/*
 * lm_cancel: the one way litmine stops work in flight.  A caller owns a
 * token and hands it down; whatever runs long (HTTP waits and transfers,
 * the rate limiter, parsing, the pipeline's reader, the fetch and sync
 * workflows) polls lm_cancel_requested() and ends with LM_ERR_INTERRUPTED
 * after committing what it holds.  The CLI's SIGINT/SIGTERM handler sets
 * its token (cli/lm_signal.h); tests set theirs directly.  Setting is
 * async-signal-safe; a NULL token is never cancelled.
 */
#ifndef LM_CANCEL_H
#define LM_CANCEL_H

#include <signal.h>

typedef struct lm_cancel {
    volatile sig_atomic_t requested;
} lm_cancel;

static inline void lm_cancel_request(lm_cancel *c)
{
    c->requested = 1;
}

static inline int lm_cancel_requested(const lm_cancel *c)
{
    return c && c->requested;
}

static inline void lm_cancel_reset(lm_cancel *c)
{
    c->requested = 0;
}

#endif
