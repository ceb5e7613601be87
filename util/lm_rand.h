/*
 * lm_rand: the small deterministic random source behind the randomized
 * SVDs (word clusters, embeddings).  A fixed seed gives the same model on
 * every machine, which is what makes `make train` reproducible.
 */
#ifndef LM_RAND_H
#define LM_RAND_H

#include <math.h>
#include <stdint.h>

/* xorshift64; *state must not be 0. */
static inline uint64_t lm_rand_next(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* A standard normal sample (Box-Muller). */
static inline float lm_rand_gauss(uint64_t *state)
{
    double u1 = ((double)(lm_rand_next(state) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(lm_rand_next(state) >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

#endif
