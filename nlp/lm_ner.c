/*
 * The NER tagger: model file I/O, Viterbi decoding and the tagging API.
 *
 * Model file layout (all integers little-endian):
 *
 *     "LMNER\0\0\0"  u32 version  u32 flags  u64 raw_len  u64 stored_len
 *     u32 crc32(stored payload)  stored payload (zlib when flags & 1)
 *
 * The payload lists the feature flags, lexicon names, cluster and
 * gazetteer entries (64-bit hash keys: no strings are kept), the shared
 * int16 base-feature table (one row per hashed feature holding every
 * tagger's weights, so a feature costs one memory access for the whole
 * stack), and each tagger's header, transitions and small int16 table for
 * its own gazetteer/stacking features.  The checksum is
 * verified before anything is parsed, and every length is checked against
 * what remains, so a flipped or missing byte is reported as corruption
 * instead of producing a silently different tagger.  Hash maps are rebuilt
 * at load.  Inflating and rebuilding take ~0.2 s, so lm_ner_model_load
 * (lm_ner_map.c) reads a file only when it has no mappable cache of it.
 *
 * Decoding is first-order Viterbi with BILOU constraints per sentence.
 * A mention's score is a logistic of its max-marginal margin: how much
 * lower the best labelling that disagrees with the mention's tokens
 * scores, scaled per tagger.
 */
#include "../util/lm_sort.h"
#include "../util/lm_file.h"
#include "../util/lm_mapcache.h"
#include "lm_ner_impl.h"

#include "lm_sentence.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#ifndef LM_MODELS_DIR
#define LM_MODELS_DIR "/usr/local/share/litmine/models"
#endif

#define NER_MAGIC "LMNER\0\0\0"
#define NER_VERSION 1u
#define NER_HEADER 36

/* ---- small public helpers ---- */

void lm_ner_mentions_init(lm_ner_mentions *m)
{
    m->v = NULL;
    m->n = 0;
    m->cap = 0;
    lm_abbrevs_init(&m->abbrevs);
    m->has_abbrevs = 0;
}

void lm_ner_mentions_free(lm_ner_mentions *m)
{
    free(m->v);
    lm_abbrevs_free(&m->abbrevs);
    lm_ner_mentions_init(m);
}

static lm_status mentions_push(lm_ner_mentions *m, const lm_ner_mention *x)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 32;
        lm_ner_mention *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return LM_ERR_NOMEM;
        m->v = v;
        m->cap = cap;
    }
    m->v[m->n++] = *x;
    return LM_OK;
}

const char *lm_ner_default_model_dir(void)
{
    struct stat st;
    if (stat("models", &st) == 0 && S_ISDIR(st.st_mode))
        return "./models";
    return LM_MODELS_DIR;
}

/* ---- model construction ---- */

lm_status ner_model_new(lm_ner_model **out, lm_error *err)
{
    lm_ner_model *m = calloc(1, sizeof *m);
    if (!m)
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    m->feat_flags = NER_F_DEFAULT;
    ner_map_init(&m->clusters);
    ner_map_init(&m->gaz);
    *out = m;
    return LM_OK;
}

lm_status ner_tagger_add(lm_ner_model *m, const char *name, const lm_ent_type *types,
                         int n_types, int bits, int xbits, lm_error *err)
{
    if (m->n_taggers >= NER_MAX_TAGGERS)
        return lm_error_set(err, LM_ERR_USAGE, "ner: too many taggers");
    if (n_types < 1 || n_types > NER_MAX_TYPES || bits < 8 || bits > 26 || xbits < 8
        || xbits > 24)
        return lm_error_set(err, LM_ERR_USAGE, "ner: bad tagger shape");
    ner_tagger *t = &m->tg[m->n_taggers];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->n_types = n_types;
    for (int i = 0; i < n_types; i++)
        t->types[i] = types[i];
    t->K = 1 + 4 * n_types;
    t->bits = bits;
    t->xbits = xbits;
    t->scale = t->xscale = 1.0f;
    t->score_a = 1.0f;
    size_t rows = ((size_t)1 << bits) + ((size_t)1 << xbits);
    t->wf = calloc(rows * (size_t)t->K, sizeof *t->wf);
    if (!t->wf)
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory for %d-bit table", bits);
    m->n_taggers++;
    return LM_OK;
}

static int16_t *quantize(const float *w, size_t n, float *scale)
{
    float mx = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(w[i]) > mx)
            mx = fabsf(w[i]);
    int16_t *q = malloc((n ? n : 1) * sizeof *q);
    if (!q)
        return NULL;
    *scale = mx > 0 ? mx / 32767.0f : 1.0f;
    float inv = 1.0f / *scale;
    for (size_t i = 0; i < n; i++)
        q[i] = (int16_t)lrintf(w[i] * inv);
    return q;
}

lm_status ner_tagger_quantize(ner_tagger *t, lm_error *err)
{
    size_t nb = ((size_t)1 << t->bits) * (size_t)t->K;
    size_t nx = ((size_t)1 << t->xbits) * (size_t)t->K;
    int16_t *b = quantize(t->wf, nb, &t->scale);
    int16_t *x = quantize(t->wf + nb, nx, &t->xscale);
    if (!b || !x) {
        free(b);
        free(x);
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    }
    free(t->w16);
    free(t->x16);
    t->w16 = b;
    t->x16 = x;
    free(t->wf);
    t->wf = NULL;
    return LM_OK;
}

lm_status ner_model_pack(lm_ner_model *m, lm_error *err)
{
    if (m->n_taggers < 1)
        return lm_error_set(err, LM_ERR_USAGE, "ner: model without taggers");
    int bits = m->tg[0].bits, kw = 0;
    for (int i = 0; i < m->n_taggers; i++) {
        if (m->tg[i].bits != bits || !m->tg[i].w16)
            return lm_error_set(err, LM_ERR_USAGE, "ner: taggers not packable");
        m->tg[i].base_off = kw;
        kw += m->tg[i].K;
    }
    kw = (kw + 7) & ~7;
    size_t rows = (size_t)1 << bits;
    int16_t *w = calloc(rows * (size_t)kw, sizeof *w);
    if (!w)
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    for (int i = 0; i < m->n_taggers; i++) {
        ner_tagger *t = &m->tg[i];
        for (size_t r = 0; r < rows; r++)
            memcpy(w + r * (size_t)kw + t->base_off, t->w16 + r * (size_t)t->K,
                   (size_t)t->K * sizeof *w);
        free(t->w16);
        t->w16 = NULL;
    }
    free(m->base_w);
    m->base_w = w;
    m->base_bits = bits;
    m->KW = kw;
    return LM_OK;
}

void lm_ner_model_free(lm_ner_model *m)
{
    if (!m)
        return;
    if (m->mapped) {
        lm_mapcache_close(m->mapped);
        free(m->mapped);
        free(m);
        return;
    }
    for (int i = 0; i < m->n_taggers; i++) {
        free(m->tg[i].w16);
        free(m->tg[i].x16);
        free(m->tg[i].wf);
    }
    free(m->base_w);
    ner_map_free(&m->clusters);
    ner_map_free(&m->gaz);
    free(m);
}

unsigned lm_ner_model_types(const lm_ner_model *m)
{
    unsigned bits = 0;
    for (int i = 0; i < m->n_taggers; i++)
        if (m->tg[i].emit)
            for (int k = 0; k < m->tg[i].n_types; k++)
                bits |= 1u << m->tg[i].types[k];
    return bits;
}

lm_status lm_ner_model_describe(const lm_ner_model *m, char *buf, size_t cap)
{
    size_t off = 0;
    if (cap)
        buf[0] = '\0';
    for (int i = 0; i < m->n_taggers && off < cap; i++) {
        const ner_tagger *t = &m->tg[i];
        int k = snprintf(buf + off, cap - off, "tagger %d %s: %s", i, t->name,
                         t->emit ? "emits" : "internal");
        for (int j = 0; j < t->n_types && k > 0 && off + (size_t)k < cap; j++)
            k += snprintf(buf + off + k, cap - off - (size_t)k, " %s",
                          lm_ent_type_name(t->types[j]));
        if (k > 0 && off + (size_t)k < cap)
            k += snprintf(buf + off + k, cap - off - (size_t)k,
                          ", base 2^%d rows, extra 2^%d rows, %d upstream\n", t->bits, t->xbits,
                          t->n_up);
        if (k < 0)
            break;
        off += (size_t)k;
    }
    return LM_OK;
}

/* ---- serialisation ---- */

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
} wbuf;

static int wb_put(wbuf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return 0;
}

static int wb_u32(wbuf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return wb_put(b, x, 4);
}

static int wb_u64(wbuf *b, uint64_t v)
{
    return wb_u32(b, (uint32_t)v) || wb_u32(b, (uint32_t)(v >> 32));
}

static int wb_f32(wbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return wb_u32(b, v);
}

static int wb_map(wbuf *b, const ner_map *m, int val_bytes)
{
    if (wb_u64(b, m->n))
        return -1;
    if (!m->keys)
        return 0;
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->keys[i])
            continue;
        if (wb_u64(b, m->keys[i]))
            return -1;
        uint64_t v = m->vals[i];
        for (int k = 0; k < val_bytes; k++) {
            unsigned char c = (unsigned char)(v >> (8 * k));
            if (wb_put(b, &c, 1))
                return -1;
        }
    }
    return 0;
}

static int wb_i16s(wbuf *b, const int16_t *w, size_t n)
{
    unsigned char x[4096];
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k + 2 <= sizeof x; i++, k += 2) {
            uint16_t v = (uint16_t)w[i];
            x[k] = (unsigned char)v;
            x[k + 1] = (unsigned char)(v >> 8);
        }
        if (wb_put(b, x, k))
            return -1;
    }
    return 0;
}

static int wb_tagger(wbuf *b, const ner_tagger *t)
{
    char name[32] = {0};
    snprintf(name, sizeof name, "%s", t->name);
    if (wb_put(b, name, sizeof name) || wb_u32(b, (uint32_t)t->n_types))
        return -1;
    for (int i = 0; i < NER_MAX_TYPES; i++)
        if (wb_u32(b, i < t->n_types ? (uint32_t)t->types[i] : 0))
            return -1;
    if (wb_u32(b, (uint32_t)t->K) || wb_u32(b, (uint32_t)t->bits) || wb_u32(b, (uint32_t)t->xbits)
        || wb_u32(b, (uint32_t)t->base_off) || wb_u32(b, t->lex_mask)
        || wb_u32(b, (uint32_t)t->n_up))
        return -1;
    for (int i = 0; i < NER_MAX_UP; i++)
        if (wb_u32(b, i < t->n_up ? (uint32_t)t->up[i] : 0))
            return -1;
    if (wb_u32(b, (uint32_t)t->emit) || wb_f32(b, t->scale) || wb_f32(b, t->xscale)
        || wb_f32(b, t->score_a) || wb_f32(b, t->score_b))
        return -1;
    for (int i = 0; i < (t->K + 1) * t->K; i++)
        if (wb_f32(b, t->trans[i]))
            return -1;
    for (int i = 0; i < t->K; i++)
        if (wb_f32(b, t->trans_end[i]))
            return -1;
    return wb_i16s(b, t->x16, ((size_t)1 << t->xbits) * (size_t)t->K);
}

lm_status lm_ner_model_save(const lm_ner_model *m, const char *path, lm_error *err)
{
    if (!m->base_w)
        return lm_error_set(err, LM_ERR_USAGE, "ner: model is not packed");
    wbuf b = {0};
    int bad = wb_u32(&b, 0x01020304u) || wb_u32(&b, m->feat_flags)
              || wb_u32(&b, (uint32_t)m->n_lex);
    for (int i = 0; i < m->n_lex && !bad; i++) {
        char name[24] = {0};
        snprintf(name, sizeof name, "%s", m->lex_name[i]);
        bad = wb_put(&b, name, sizeof name);
    }
    bad = bad || wb_map(&b, &m->clusters, 2 * NER_NCLUS) || wb_map(&b, &m->gaz, 4)
          || wb_u32(&b, (uint32_t)m->base_bits) || wb_u32(&b, (uint32_t)m->KW)
          || wb_i16s(&b, m->base_w, ((size_t)1 << m->base_bits) * (size_t)m->KW)
          || wb_u32(&b, (uint32_t)m->n_taggers);
    for (int i = 0; i < m->n_taggers && !bad; i++)
        bad = wb_tagger(&b, &m->tg[i]);
    if (bad) {
        free(b.p);
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory serialising model");
    }
    uLongf zcap = compressBound((uLong)b.n);
    unsigned char *z = malloc(NER_HEADER + zcap);
    if (!z) {
        free(b.p);
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory serialising model");
    }
    if (compress2(z + NER_HEADER, &zcap, b.p, (uLong)b.n, 6) != Z_OK) {
        free(b.p);
        free(z);
        return lm_error_set(err, LM_ERR_NOMEM, "ner: zlib compression failed");
    }
    uint32_t crc = (uint32_t)crc32(0L, z + NER_HEADER, (uInt)zcap);
    wbuf h = {0};
    bad = wb_put(&h, NER_MAGIC, 8) || wb_u32(&h, NER_VERSION) || wb_u32(&h, 1)
          || wb_u64(&h, b.n) || wb_u64(&h, zcap) || wb_u32(&h, crc);
    free(b.p);
    if (bad) {
        free(z);
        free(h.p);
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    }
    memcpy(z, h.p, NER_HEADER);
    free(h.p);

    lm_status st = lm_file_write_atomic(path, z, NER_HEADER + zcap, err);
    free(z);
    if (st != LM_OK)
        lm_error_wrap(err, "model file %s", path);
    return st;
}

typedef struct rbuf {
    const unsigned char *p;
    size_t n, off;
    int bad;
} rbuf;

static const unsigned char *rb_take(rbuf *r, size_t n)
{
    if (r->bad || n > r->n - r->off) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *p = r->p + r->off;
    r->off += n;
    return p;
}

static uint32_t rb_u32(rbuf *r)
{
    const unsigned char *p = rb_take(r, 4);
    return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
             : 0;
}

static uint64_t rb_u64(rbuf *r)
{
    uint64_t lo = rb_u32(r);
    return lo | (uint64_t)rb_u32(r) << 32;
}

static float rb_f32(rbuf *r)
{
    uint32_t v = rb_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static int rb_map(rbuf *r, ner_map *m, int val_bytes)
{
    uint64_t n = rb_u64(r);
    if (r->bad || n > (r->n - r->off) / (8 + (size_t)val_bytes))
        return -1;
    if (ner_map_reserve(m, (size_t)n) != LM_OK)
        return -2;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = rb_u64(r);
        const unsigned char *p = rb_take(r, (size_t)val_bytes);
        if (!p || !k)
            return -1;
        uint64_t v = 0;
        for (int j = 0; j < val_bytes; j++)
            v |= (uint64_t)p[j] << (8 * j);
        if (ner_map_put(m, k, v, 0) != LM_OK)
            return -2;
    }
    return 0;
}

static int16_t *rb_i16s(rbuf *r, size_t n)
{
    if (r->bad || n > (r->n - r->off) / 2) {
        r->bad = 1;
        return NULL;
    }
    int16_t *w = malloc((n ? n : 1) * sizeof *w);
    if (!w)
        return NULL;
    const unsigned char *p = rb_take(r, 2 * n);
    for (size_t i = 0; i < n; i++)
        w[i] = (int16_t)(uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
    return w;
}

static int rb_tagger(rbuf *r, ner_tagger *t, int index, const lm_ner_model *m)
{
    const unsigned char *name = rb_take(r, 32);
    if (!name)
        return -1;
    memcpy(t->name, name, 31);
    t->name[31] = '\0';
    t->n_types = (int)rb_u32(r);
    if (t->n_types < 1 || t->n_types > NER_MAX_TYPES)
        return -1;
    for (int i = 0; i < NER_MAX_TYPES; i++) {
        uint32_t ty = rb_u32(r);
        if (i < t->n_types) {
            if (ty >= LM_ENT_COUNT)
                return -1;
            t->types[i] = (lm_ent_type)ty;
        }
    }
    t->K = (int)rb_u32(r);
    t->bits = (int)rb_u32(r);
    t->xbits = (int)rb_u32(r);
    t->base_off = (int)rb_u32(r);
    t->lex_mask = rb_u32(r);
    t->n_up = (int)rb_u32(r);
    if (t->K != 1 + 4 * t->n_types || t->bits != m->base_bits || t->xbits < 8 || t->xbits > 24
        || t->base_off < 0 || t->base_off + t->K > m->KW || t->n_up < 0 || t->n_up > NER_MAX_UP)
        return -1;
    for (int i = 0; i < NER_MAX_UP; i++) {
        uint32_t u = rb_u32(r);
        if (i < t->n_up) {
            if ((int)u >= index)
                return -1;
            t->up[i] = (int)u;
        }
    }
    t->emit = (int)rb_u32(r);
    t->scale = rb_f32(r);
    t->xscale = rb_f32(r);
    t->score_a = rb_f32(r);
    t->score_b = rb_f32(r);
    for (int i = 0; i < (t->K + 1) * t->K; i++)
        t->trans[i] = rb_f32(r);
    for (int i = 0; i < t->K; i++)
        t->trans_end[i] = rb_f32(r);
    t->x16 = rb_i16s(r, ((size_t)1 << t->xbits) * (size_t)t->K);
    if (!t->x16)
        return r->bad ? -1 : -2;
    return r->bad ? -1 : 0;
}

lm_status ner_model_load_file(const char *path, lm_ner_model **out, lm_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "model file %s: %s", path, strerror(errno));
    unsigned char hdr[NER_HEADER];
    size_t got = fread(hdr, 1, NER_HEADER, f);
    if (got >= 5 && memcmp(hdr, NER_MAGIC, 5) != 0) {
        fclose(f);
        return lm_error_set(err, LM_ERR_FORMAT, "model file %s: not a litmine NER model", path);
    }
    if (got < NER_HEADER) {
        fclose(f);
        return lm_error_set(err, LM_ERR_CORRUPT, "model file %s: truncated header", path);
    }
    rbuf h = {hdr, NER_HEADER, 8, 0};
    uint32_t version = rb_u32(&h), flags = rb_u32(&h);
    uint64_t raw_len = rb_u64(&h), stored_len = rb_u64(&h);
    uint32_t crc = rb_u32(&h);
    if (version != NER_VERSION) {
        fclose(f);
        return lm_error_set(err, LM_ERR_FORMAT,
                            "model file %s: format version %u, this build reads %u", path,
                            version, NER_VERSION);
    }
    if (stored_len > ((uint64_t)1 << 34) || raw_len > ((uint64_t)1 << 34)) {
        fclose(f);
        return lm_error_set(err, LM_ERR_CORRUPT, "model file %s: implausible sizes", path);
    }
    unsigned char *z = malloc(stored_len ? (size_t)stored_len : 1);
    if (!z) {
        fclose(f);
        return lm_error_set(err, LM_ERR_NOMEM, "model file %s: out of memory", path);
    }
    got = fread(z, 1, (size_t)stored_len, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != stored_len) {
        free(z);
        return lm_error_set(err, LM_ERR_CORRUPT, "model file %s: truncated (%zu of %llu bytes)",
                            path, got, (unsigned long long)stored_len);
    }
    if (extra) {
        free(z);
        return lm_error_set(err, LM_ERR_CORRUPT, "model file %s: trailing bytes", path);
    }
    if ((uint32_t)crc32(0L, z, (uInt)stored_len) != crc) {
        free(z);
        return lm_error_set(err, LM_ERR_CORRUPT, "model file %s: checksum mismatch", path);
    }
    unsigned char *raw = z;
    if (flags & 1) {
        raw = malloc(raw_len ? (size_t)raw_len : 1);
        uLongf rl = (uLongf)raw_len;
        int zr = raw ? uncompress(raw, &rl, z, (uLong)stored_len) : Z_MEM_ERROR;
        free(z);
        if (zr != Z_OK || rl != raw_len) {
            free(raw);
            if (zr == Z_MEM_ERROR)
                return lm_error_set(err, LM_ERR_NOMEM, "model file %s: out of memory", path);
            return lm_error_set(err, LM_ERR_CORRUPT, "model file %s: bad compressed payload",
                                path);
        }
    }
    lm_ner_model *m = NULL;
    lm_status st = ner_model_new(&m, err);
    if (st != LM_OK) {
        free(raw);
        return st;
    }
    rbuf r = {raw, (size_t)raw_len, 0, 0};
    int rc = 0;
    if (rb_u32(&r) != 0x01020304u)
        rc = -1;
    m->feat_flags = rb_u32(&r);
    m->n_lex = (int)rb_u32(&r);
    if (m->n_lex < 0 || m->n_lex > NER_MAX_LEX)
        rc = -1;
    for (int i = 0; !rc && i < m->n_lex; i++) {
        const unsigned char *p = rb_take(&r, 24);
        if (!p)
            rc = -1;
        else {
            memcpy(m->lex_name[i], p, 23);
            m->lex_name[i][23] = '\0';
        }
    }
    if (!rc)
        rc = rb_map(&r, &m->clusters, 2 * NER_NCLUS);
    if (!rc)
        rc = rb_map(&r, &m->gaz, 4);
    if (!rc) {
        m->base_bits = (int)rb_u32(&r);
        m->KW = (int)rb_u32(&r);
        if (m->base_bits < 8 || m->base_bits > 26 || m->KW < 1 || m->KW > 8 * NER_MAX_TAGS
            || (m->KW & 7))
            rc = -1;
        else {
            m->base_w = rb_i16s(&r, ((size_t)1 << m->base_bits) * (size_t)m->KW);
            if (!m->base_w)
                rc = r.bad ? -1 : -2;
        }
    }
    if (!rc) {
        m->n_taggers = (int)rb_u32(&r);
        if (m->n_taggers < 1 || m->n_taggers > NER_MAX_TAGGERS) {
            m->n_taggers = 0;
            rc = -1;
        }
    }
    for (int i = 0; !rc && i < m->n_taggers; i++) {
        memset(&m->tg[i], 0, sizeof m->tg[i]);
        rc = rb_tagger(&r, &m->tg[i], i, m);
    }
    if (!rc && (r.bad || r.off != r.n))
        rc = -1;
    free(raw);
    if (rc) {
        lm_ner_model_free(m);
        if (rc == -2)
            return lm_error_set(err, LM_ERR_NOMEM, "model file %s: out of memory", path);
        return lm_error_set(err, LM_ERR_CORRUPT, "model file %s: inconsistent payload", path);
    }
    *out = m;
    return LM_OK;
}

/* ---- scratch ---- */

lm_status lm_ner_scratch_init(lm_ner_scratch **out, lm_error *err)
{
    lm_ner_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    lm_spans_init(&s->tokens);
    lm_spans_init(&s->sents);
    ner_map_init(&s->docmap);
    lm_abbrevs_init(&s->abv);
    lm_abbrev_uses_init(&s->abu);
    *out = s;
    return LM_OK;
}

void lm_ner_scratch_free(lm_ner_scratch *s)
{
    if (!s)
        return;
    lm_spans_free(&s->tokens);
    lm_spans_free(&s->sents);
    free(s->sent_tok);
    free(s->sent);
    free(s->tok);
    free(s->lower);
    free(s->bf);
    free(s->boff);
    free(s->xf);
    free(s->xoff);
    free(s->tags);
    free(s->margin);
    free(s->emit);
    free(s->bem);
    free(s->alpha);
    free(s->beta);
    free(s->bp);
    free(s->gazpos);
    free(s->gazlen);
    ner_map_free(&s->docmap);
    free(s->tmp64);
    free(s->abbr);
    free(s->abtok);
    free(s->pcover);
    free(s->pend);
    free(s->pscore);
    lm_abbrevs_free(&s->abv);
    lm_abbrev_uses_free(&s->abu);
    free(s);
}

/* ---- decoding ---- */

lm_status ner_doc_base(const lm_ner_model *m, lm_ner_scratch *s, lm_error *err)
{
    const int KW = m->KW;
    size_t need = (s->n + 1) * (size_t)KW;
    if (need > s->bem_cap) {
        int32_t *p = realloc(s->bem, 2 * need * sizeof *p);
        if (!p)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        s->bem = p;
        s->bem_cap = 2 * need;
    }
    const uint32_t mask = (uint32_t)((1u << m->base_bits) - 1);
    const int nblk = KW / 8;
    for (size_t i = 0; i < s->n; i++) {
        /* blocks of 8 columns with a constant trip count vectorize even at
         * -O2; the row reads are the real cost (one random access each) */
        int32_t acc[8 * NER_MAX_TAGS];
        for (int k = 0; k < KW; k++)
            acc[k] = 0;
        const uint32_t *f = s->bf + s->boff[i];
        size_t nf = s->boff[i + 1] - s->boff[i];
        for (size_t j = 0; j < nf; j++) {
            const int16_t *w = m->base_w + (size_t)(f[j] & mask) * (size_t)KW;
            for (int b = 0; b < nblk; b++) {
                int32_t *a = acc + 8 * b;
                const int16_t *x = w + 8 * b;
                for (int k = 0; k < 8; k++)
                    a[k] += x[k];
            }
        }
        memcpy(s->bem + i * (size_t)KW, acc, (size_t)KW * sizeof *acc);
    }
    return LM_OK;
}

void ner_emissions(const lm_ner_model *m, const ner_tagger *t, const lm_ner_scratch *s,
                   size_t a, size_t b, float *out)
{
    const int K = t->K;
    const uint32_t mask = (uint32_t)((1u << t->bits) - 1);
    const uint32_t xmask = (uint32_t)((1u << t->xbits) - 1);
    for (size_t i = a; i < b; i++) {
        float *o = out + (i - a) * (size_t)K;
        size_t nb = s->boff[i + 1] - s->boff[i], nx = s->xoff[i + 1] - s->xoff[i];
        /* A tagger without features of a kind leaves that array NULL, and
         * an offset applied to NULL is undefined even when it is 0. */
        const uint32_t *bf = nb ? s->bf + s->boff[i] : NULL;
        const uint32_t *xf = nx ? s->xf + s->xoff[i] : NULL;
        if (t->wf) {
            const float *xw = t->wf + ((size_t)1 << t->bits) * (size_t)K;
            for (int k = 0; k < K; k++)
                o[k] = 0;
            for (size_t j = 0; j < nb; j++) {
                const float *w = t->wf + (size_t)(bf[j] & mask) * (size_t)K;
                for (int k = 0; k < K; k++)
                    o[k] += w[k];
            }
            for (size_t j = 0; j < nx; j++) {
                const float *w = xw + (size_t)(xf[j] & xmask) * (size_t)K;
                for (int k = 0; k < K; k++)
                    o[k] += w[k];
            }
        } else {
            int32_t acc[NER_MAX_TAGS] = {0};
            for (size_t j = 0; j < nx; j++) {
                const int16_t *w = t->x16 + (size_t)(xf[j] & xmask) * (size_t)K;
                for (int k = 0; k < K; k++)
                    acc[k] += w[k];
            }
            const int32_t *be = s->bem + i * (size_t)m->KW + t->base_off;
            for (int k = 0; k < K; k++)
                o[k] = (float)be[k] * t->scale + (float)acc[k] * t->xscale;
        }
    }
}

#define NEG_INF (-1e30f)

/* Transition matrix with BILOU constraints folded in. */
static void constrained_trans(const ner_tagger *t, float *tr, float *te)
{
    const int K = t->K;
    for (int a = 0; a <= K; a++)
        for (int b = 0; b < K; b++)
            tr[a * K + b] = ner_tag_allowed(K, a, b) ? t->trans[a * K + b] : NEG_INF;
    for (int b = 0; b < K; b++)
        te[b] = (b == 0 || ner_tag_pos(b) >= 2) ? t->trans_end[b] : NEG_INF;
}

void ner_viterbi(const ner_tagger *t, const float *em, size_t n, int *bp, float *vit,
                 uint8_t *tags)
{
    const int K = t->K;
    float tr[(NER_MAX_TAGS + 1) * NER_MAX_TAGS], te[NER_MAX_TAGS];
    if (n == 0)
        return;
    constrained_trans(t, tr, te);
    for (int k = 0; k < K; k++) {
        vit[k] = tr[K * K + k] + em[k];
        bp[k] = -1;
    }
    for (size_t i = 1; i < n; i++) {
        const float *pv = vit + (i - 1) * (size_t)K;
        float *cv = vit + i * (size_t)K;
        int *cb = bp + i * (size_t)K;
        for (int k = 0; k < K; k++) {
            float best = NEG_INF * 4;
            int arg = 0;
            for (int j = 0; j < K; j++) {
                float v = pv[j] + tr[j * K + k];
                if (v > best) {
                    best = v;
                    arg = j;
                }
            }
            cv[k] = best + em[i * (size_t)K + k];
            cb[k] = arg;
        }
    }
    const float *lv = vit + (n - 1) * (size_t)K;
    float best = NEG_INF * 4;
    int arg = 0;
    for (int k = 0; k < K; k++) {
        float v = lv[k] + te[k];
        if (v > best) {
            best = v;
            arg = k;
        }
    }
    for (size_t i = n; i-- > 0;) {
        tags[i] = (uint8_t)arg;
        if (i > 0)
            arg = bp[i * (size_t)K + arg];
    }
}

/* Max-marginal margins: for each token, best total score minus the best
 * score of a labelling giving that token a different tag. */
static void margins(const ner_tagger *t, const float *em, size_t n, float *al, float *be,
                    const uint8_t *tags, float *out)
{
    const int K = t->K;
    float tr[(NER_MAX_TAGS + 1) * NER_MAX_TAGS], te[NER_MAX_TAGS];
    constrained_trans(t, tr, te);
    for (int k = 0; k < K; k++)
        al[k] = tr[K * K + k] + em[k];
    for (size_t i = 1; i < n; i++)
        for (int k = 0; k < K; k++) {
            float best = NEG_INF * 4;
            for (int j = 0; j < K; j++) {
                float v = al[(i - 1) * (size_t)K + j] + tr[j * K + k];
                if (v > best)
                    best = v;
            }
            al[i * (size_t)K + k] = best + em[i * (size_t)K + k];
        }
    for (int k = 0; k < K; k++)
        be[(n - 1) * (size_t)K + k] = te[k];
    for (size_t i = n - 1; i-- > 0;)
        for (int j = 0; j < K; j++) {
            float best = NEG_INF * 4;
            for (int k = 0; k < K; k++) {
                float v = tr[j * K + k] + em[(i + 1) * (size_t)K + k] + be[(i + 1) * (size_t)K + k];
                if (v > best)
                    best = v;
            }
            be[i * (size_t)K + j] = best;
        }
    for (size_t i = 0; i < n; i++) {
        float own = al[i * (size_t)K + tags[i]] + be[i * (size_t)K + tags[i]];
        float other = NEG_INF * 4;
        for (int k = 0; k < K; k++) {
            if (k == tags[i])
                continue;
            float v = al[i * (size_t)K + k] + be[i * (size_t)K + k];
            if (v > other)
                other = v;
        }
        out[i] = own - other;
    }
}

int ner_scratch_reserve_tags(lm_ner_scratch *s, size_t n)
{
    if (NER_MAX_TAGGERS * (n + 1) <= s->tags_cap)
        return 0;
    size_t cap = 2 * NER_MAX_TAGGERS * (n + 1);
    uint8_t *tg = realloc(s->tags, cap);
    if (tg)
        s->tags = tg;
    float *mg = realloc(s->margin, cap * sizeof *mg);
    if (mg)
        s->margin = mg;
    if (!tg || !mg)
        return -1;
    s->tags_cap = cap;
    return 0;
}

lm_status ner_doc_decode(const lm_ner_model *m, int ti, lm_ner_scratch *s, int want_margin,
                         lm_error *err)
{
    const ner_tagger *t = &m->tg[ti];
    size_t n = s->n;
    size_t maxs = 0;
    for (size_t i = 0; i < s->n_sents; i++)
        if (s->sent[i + 1] - s->sent[i] > maxs)
            maxs = s->sent[i + 1] - s->sent[i];
    size_t need = (maxs + 1) * (size_t)t->K;
    if (need > s->dec_cap) {
        size_t cap = need * 2;
        float *e = realloc(s->emit, cap * sizeof *e);
        if (e)
            s->emit = e;
        float *al = realloc(s->alpha, cap * sizeof *al);
        if (al)
            s->alpha = al;
        float *be = realloc(s->beta, cap * sizeof *be);
        if (be)
            s->beta = be;
        int *bp = realloc(s->bp, cap * sizeof *bp);
        if (bp)
            s->bp = bp;
        if (!e || !al || !be || !bp)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        s->dec_cap = cap;
    }
    if (ner_scratch_reserve_tags(s, n))
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    uint8_t *tags = s->tags + (size_t)ti * n;
    float *mg = s->margin + (size_t)ti * n;
    for (size_t si = 0; si < s->n_sents; si++) {
        size_t a = s->sent[si], b = s->sent[si + 1];
        if (a == b)
            continue;
        ner_emissions(m, t, s, a, b, s->emit);
        ner_viterbi(t, s->emit, b - a, s->bp, s->alpha, tags + a);
        if (want_margin)
            margins(t, s->emit, b - a, s->alpha, s->beta, tags + a, mg + a);
    }
    return LM_OK;
}

lm_status ner_doc_mentions(const lm_ner_model *m, int ti, const lm_ner_scratch *s,
                           lm_ner_mentions *out, lm_error *err)
{
    const ner_tagger *t = &m->tg[ti];
    const uint8_t *tags = s->tags + (size_t)ti * s->n;
    const float *mg = s->margin + (size_t)ti * s->n;
    for (size_t i = 0; i < s->n;) {
        int tag = tags[i];
        int pos = ner_tag_pos(tag);
        if (pos != 0 && pos != 3) {
            i++;
            continue;
        }
        size_t e = i + 1;
        if (pos == 0) {
            while (e < s->n && ner_tag_pos(tags[e]) == 1)
                e++;
            if (e < s->n && ner_tag_pos(tags[e]) == 2)
                e++;
        }
        float mn = 1e30f;
        for (size_t j = i; j < e; j++)
            if (mg[j] < mn)
                mn = mg[j];
        lm_ner_mention x;
        x.start = s->tok[i].start;
        x.end = s->tok[e - 1].end;
        x.type = t->types[ner_tag_type(tag)];
        x.score = 1.0f / (1.0f + expf(-(t->score_a * mn + t->score_b)));
        if (mentions_push(out, &x) != LM_OK)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        i = e;
    }
    return LM_OK;
}

int ner_mention_cmp(const void *a, const void *b)
{
    const lm_ner_mention *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (int)x->type - (int)y->type;
}

lm_status lm_ner_tag_tokens(const lm_ner_model *m, lm_ner_scratch *s, const char *text,
                            size_t len, const lm_span *tokens, size_t n_tokens,
                            const uint32_t *sent_start, size_t n_sents,
                            lm_ner_mentions *out, lm_error *err)
{
    out->n = 0;
    out->abbrevs.n = 0;
    out->has_abbrevs = 1;
    lm_status st = ner_doc_prepare(m, s, text, len, tokens, n_tokens, sent_start, n_sents, err);
    /* the definitions the features read, or the detector's when the model
     * has no abbreviation features; post-processing adds its own */
    if (st == LM_OK)
        st = (m->feat_flags & NER_F_ABBR) ? lm_abbrevs_copy(&out->abbrevs, &s->abv, err)
                                          : lm_abbrev_detect(text, len, &out->abbrevs, err);
    if (st != LM_OK)
        return st;
    if (n_tokens == 0)
        return LM_OK;
    if (!m->base_w)
        return lm_error_set(err, LM_ERR_USAGE, "ner: model is not packed");
    st = ner_doc_base(m, s, err);
    if (st != LM_OK)
        return st;
    for (int ti = 0; ti < m->n_taggers; ti++) {
        st = ner_doc_extra(m, ti, s, err);
        if (st == LM_OK)
            st = ner_doc_decode(m, ti, s, m->tg[ti].emit, err);
        if (st == LM_OK && m->tg[ti].emit)
            st = ner_doc_mentions(m, ti, s, out, err);
        if (st != LM_OK)
            return st;
    }
    if (out->n > 1) {
        lm_qsort(out->v, out->n, sizeof *out->v, ner_mention_cmp);
        /* two taggers emitting the same span and type: keep the surer one */
        size_t w = 0;
        for (size_t i = 0; i < out->n; i++) {
            if (w && out->v[w - 1].start == out->v[i].start && out->v[w - 1].end == out->v[i].end
                && out->v[w - 1].type == out->v[i].type) {
                if (out->v[i].score > out->v[w - 1].score)
                    out->v[w - 1].score = out->v[i].score;
                continue;
            }
            out->v[w++] = out->v[i];
        }
        out->n = w;
    }
    return ner_doc_post(m, s, out, err);
}

lm_status lm_ner_tag(const lm_ner_model *m, lm_ner_scratch *s, const char *text, size_t len,
                     lm_ner_mentions *out, lm_error *err)
{
    out->n = 0;
    lm_status st = lm_token_split(text, len, &s->tokens, err);
    if (st == LM_OK)
        st = lm_sentence_split(text, len, &s->sents, err);
    if (st != LM_OK)
        return st;
    /* sentence byte spans -> index of each sentence's first token */
    if (s->sents.n + 1 > s->sent_tok_cap) {
        size_t cap = 2 * (s->sents.n + 1);
        uint32_t *p = realloc(s->sent_tok, cap * sizeof *p);
        if (!p)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        s->sent_tok = p;
        s->sent_tok_cap = cap;
    }
    size_t ns = 0, t = 0;
    for (size_t i = 0; i < s->sents.n; i++) {
        while (t < s->tokens.n && s->tokens.v[t].start < s->sents.v[i].start)
            t++;
        s->sent_tok[ns++] = (uint32_t)t;
    }
    return lm_ner_tag_tokens(m, s, text, len, s->tokens.v, s->tokens.n, s->sent_tok, ns, out,
                             err);
}
