/*
 * lm_map: an open-addressing hash map from 64-bit keys to 64-bit values.
 *
 * The one hash table for integer keys: PMID sets, feature hashes to
 * vocabulary rows, counts.  Linear probing in a power-of-two table kept at
 * most half full (16 slots at least, doubling).  The slot is the key folded
 * to 32 bits, not rehashed: the keys are hashes already, or dense integers
 * such as PMIDs, which fill consecutive slots without colliding (keys that
 * differ only above bit 32 in a pattern would cluster; none here do).  The
 * embedder's features iterate in slot order into float sums, so this
 * layout is part of its numeric results: keep it.  Key 0 marks an empty
 * slot and cannot be stored: keys that may be 0 (hashes) go through
 * lm_map_key(), which folds 0 onto 1.
 *
 * The fields are public for iteration: every slot i with keys[i] != 0
 * holds the pair (keys[i], vals[i]); the order is the table's, so callers
 * that need a stable order sort what they collect.  Not thread-safe for
 * writers; any number of readers may share a map nobody changes.
 */
#ifndef LM_MAP_H
#define LM_MAP_H

#include "lm_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_map {
    uint64_t *keys;   /* 0 = empty slot */
    uint64_t *vals;
    size_t cap;       /* slots: 0 or a power of two */
    size_t n;         /* keys stored */
} lm_map;

static inline uint64_t lm_map_key(uint64_t k)
{
    return k ? k : 1;
}

void lm_map_init(lm_map *m);
void lm_map_free(lm_map *m);
/* Forgets every key, keeping the table. */
void lm_map_clear(lm_map *m);
/* Makes room for n keys without growing again. */
lm_status lm_map_reserve(lm_map *m, size_t n);

/* The value of key, or NULL when absent. */
const uint64_t *lm_map_get(const lm_map *m, uint64_t key);
/* The value of key, added with value 0 when absent (*added, which may be
 * NULL, tells which); NULL when memory runs out.  The pointer is valid
 * until the next insertion. */
uint64_t *lm_map_upsert(lm_map *m, uint64_t key, int *added);
/* Sets key to val. */
lm_status lm_map_put(lm_map *m, uint64_t key, uint64_t val);

#endif
