/*
 * Open-addressing hash map (see lm_map.h).  Growth rehashes into a table
 * twice the size once the next insertion would make it more than half
 * full, which keeps probe sequences short for linear probing.
 */
#include "lm_map.h"

#include <stdlib.h>
#include <string.h>

/* The key folded to 32 bits: keys here are hashes already, or dense
 * integers (PMIDs), which linear probing spreads by themselves. */
static size_t slot_of(uint64_t k, size_t cap)
{
    return (size_t)(k ^ (k >> 32)) & (cap - 1);
}

void lm_map_init(lm_map *m)
{
    memset(m, 0, sizeof *m);
}

void lm_map_free(lm_map *m)
{
    free(m->keys);
    free(m->vals);
    lm_map_init(m);
}

void lm_map_clear(lm_map *m)
{
    if (m->cap)
        memset(m->keys, 0, m->cap * sizeof *m->keys);
    m->n = 0;
}

static lm_status rehash(lm_map *m, size_t cap)
{
    uint64_t *keys = calloc(cap, sizeof *keys);
    uint64_t *vals = malloc(cap * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return LM_ERR_NOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot_of(m->keys[i], cap);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return LM_OK;
}

lm_status lm_map_reserve(lm_map *m, size_t n)
{
    if (n > SIZE_MAX / 4)
        return LM_ERR_NOMEM;
    size_t cap = m->cap ? m->cap : 16;
    while (cap < 2 * n)
        cap *= 2;
    return cap == m->cap ? LM_OK : rehash(m, cap);
}

const uint64_t *lm_map_get(const lm_map *m, uint64_t key)
{
    if (!m->cap || !key)
        return NULL;
    for (size_t j = slot_of(key, m->cap); m->keys[j]; j = (j + 1) & (m->cap - 1))
        if (m->keys[j] == key)
            return &m->vals[j];
    return NULL;
}

uint64_t *lm_map_upsert(lm_map *m, uint64_t key, int *added)
{
    if (added)
        *added = 0;
    if (!key || lm_map_reserve(m, m->n + 1) != LM_OK)
        return NULL;
    size_t j = slot_of(key, m->cap);
    while (m->keys[j] && m->keys[j] != key)
        j = (j + 1) & (m->cap - 1);
    if (!m->keys[j]) {
        m->keys[j] = key;
        m->vals[j] = 0;
        m->n++;
        if (added)
            *added = 1;
    }
    return &m->vals[j];
}

lm_status lm_map_put(lm_map *m, uint64_t key, uint64_t val)
{
    uint64_t *v = lm_map_upsert(m, key, NULL);
    if (!v)
        return key ? LM_ERR_NOMEM : LM_ERR_USAGE;
    *v = val;
    return LM_OK;
}
