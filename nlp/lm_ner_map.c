/*
 * The tagger's mapped cache (util/lm_mapcache.h): lm_ner_model_load maps
 * the cache of a model file when there is a valid one, else reads the file
 * (ner_model_load_file, lm_ner.c) and writes the cache for next time.
 *
 * The cache holds what reading the file builds, as it is in memory: a
 * header of struct sizes and hash-table slot counts, the model struct
 * itself with its pointers cleared, then the cluster and gazetteer hash
 * tables' key and value slot arrays, the base table and each tagger's
 * extra table.  Mapping sets the pointers into those sections: no
 * inflating, no rehashing, and the hash tables are the very slot arrays
 * the file's reading built, so lookups (and tags) are identical.  Bump
 * NER_MAP_LAYOUT on any change to these sections or to struct
 * lm_ner_model / ner_tagger.
 */
#include "../util/lm_mapcache.h"
#include "lm_ner_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NER_MAP_LAYOUT 1u
#define NER_MAP_SECTIONS (7 + NER_MAX_TAGGERS)

static size_t map_slots(const ner_map *mp)
{
    return mp->keys ? mp->mask + 1 : 0;
}

/* Section sizes of a model whose struct is m; 0 total when its shape is
 * not one ner_model_load_file accepts. */
static size_t map_sections(const lm_ner_model *m, const uint32_t *h, size_t sizes[])
{
    if (m->base_bits < 8 || m->base_bits > 26 || m->KW < 1 || m->KW > 8 * NER_MAX_TAGS ||
        m->n_taggers < 1 || m->n_taggers > NER_MAX_TAGGERS)
        return 0;
    sizes[0] = 8 * sizeof(uint32_t);
    sizes[1] = sizeof *m;
    sizes[2] = sizes[3] = (size_t)h[2] * sizeof(uint64_t);
    sizes[4] = sizes[5] = (size_t)h[3] * sizeof(uint64_t);
    sizes[6] = ((size_t)1 << m->base_bits) * (size_t)m->KW * sizeof(int16_t);
    size_t total = 0;
    for (int i = 0; i < 7; i++)
        total += lm_mapcache_padded(sizes[i]);
    for (int i = 0; i < NER_MAX_TAGGERS; i++) {
        const ner_tagger *t = &m->tg[i];
        sizes[7 + i] = 0;
        if (i >= m->n_taggers)
            continue;
        if (t->xbits < 8 || t->xbits > 24 || t->K != 1 + 4 * t->n_types || t->n_types < 1 ||
            t->n_types > NER_MAX_TYPES)
            return 0;
        sizes[7 + i] = ((size_t)1 << t->xbits) * (size_t)t->K * sizeof(int16_t);
        total += lm_mapcache_padded(sizes[7 + i]);
    }
    return total;
}

static lm_ner_model *model_from_cache(lm_mapcache *c)
{
    uint32_t h[8];
    if (c->len < lm_mapcache_padded(sizeof h) + sizeof(lm_ner_model))
        return NULL;
    memcpy(h, c->payload, sizeof h);
    if (h[0] != sizeof(lm_ner_model) || h[1] != sizeof(ner_tagger) ||
        (h[2] & (h[2] - 1)) || (h[3] & (h[3] - 1)))
        return NULL;
    lm_ner_model *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    memcpy(m, c->payload + lm_mapcache_padded(sizeof h), sizeof *m);
    size_t sizes[NER_MAP_SECTIONS];
    if (map_sections(m, h, sizes) != c->len) {
        free(m);
        return NULL;
    }
    const unsigned char *sec[NER_MAP_SECTIONS], *p = c->payload;
    for (int i = 0; i < NER_MAP_SECTIONS; i++) {
        sec[i] = p;
        p += lm_mapcache_padded(sizes[i]);
    }
    /* read-only mapping: a stray write faults instead of corrupting */
    m->clusters.keys = h[2] ? (uint64_t *)(uintptr_t)sec[2] : NULL;
    m->clusters.vals = h[2] ? (uint64_t *)(uintptr_t)sec[3] : NULL;
    m->clusters.mask = h[2] ? h[2] - 1 : 0;
    m->gaz.keys = h[3] ? (uint64_t *)(uintptr_t)sec[4] : NULL;
    m->gaz.vals = h[3] ? (uint64_t *)(uintptr_t)sec[5] : NULL;
    m->gaz.mask = h[3] ? h[3] - 1 : 0;
    m->base_w = (int16_t *)(uintptr_t)sec[6];
    for (int i = 0; i < m->n_taggers; i++)
        m->tg[i].x16 = (int16_t *)(uintptr_t)sec[7 + i];
    m->mapped = c;
    return m;
}

/* Writes the cache after a miss; best effort (the next process retries). */
static void model_to_cache(const lm_ner_model *m, const lm_mapcache *c)
{
    lm_ner_model bare;
    memcpy(&bare, m, sizeof bare);
    bare.clusters.keys = bare.clusters.vals = NULL;
    bare.gaz.keys = bare.gaz.vals = NULL;
    bare.base_w = NULL;
    bare.mapped = NULL;
    for (int i = 0; i < NER_MAX_TAGGERS; i++)
        bare.tg[i].w16 = bare.tg[i].x16 = NULL, bare.tg[i].wf = NULL;
    uint32_t h[8] = {sizeof(lm_ner_model), sizeof(ner_tagger), (uint32_t)map_slots(&m->clusters),
                     (uint32_t)map_slots(&m->gaz), 0, 0, 0, 0};
    size_t sizes[NER_MAP_SECTIONS];
    if (!map_sections(m, h, sizes) || !m->base_w)
        return;
    const void *data[NER_MAP_SECTIONS] = {h, &bare, m->clusters.keys, m->clusters.vals,
                                          m->gaz.keys, m->gaz.vals, m->base_w};
    for (int i = 0; i < m->n_taggers; i++)
        data[7 + i] = m->tg[i].x16;
    lm_error err;
    lm_mapcache_writer *w = NULL;
    if (lm_mapcache_begin(c, &w, &err) != LM_OK)
        return;
    for (int i = 0; i < NER_MAP_SECTIONS; i++)
        if (sizes[i] && lm_mapcache_add(w, data[i], sizes[i], &err) != LM_OK) {
            lm_mapcache_abort(w);
            return;
        }
    (void)lm_mapcache_commit(w, &err);
}

lm_status lm_ner_model_load(const char *path, lm_ner_model **out, lm_error *err)
{
    *out = NULL;
    lm_mapcache *c = calloc(1, sizeof *c);
    if (!c)
        return lm_error_set(err, LM_ERR_NOMEM, "model file %s: out of memory", path);
    if (lm_mapcache_open(c, path, "ner", NER_MAP_LAYOUT)) {
        lm_ner_model *m = model_from_cache(c);
        if (m) {
            *out = m;
            return LM_OK;
        }
        lm_file_map_close(&c->map);
    }
    lm_status st = ner_model_load_file(path, out, err);
    if (st == LM_OK)
        model_to_cache(*out, c);
    lm_mapcache_close(c);
    free(c);
    return st;
}

int lm_ner_model_is_mapped(const lm_ner_model *m)
{
    return m && m->mapped;
}
