/*
 * Document-level post-processing of Chemical and Disease mentions.
 *
 * The second-stage taggers see the document only through features and the
 * CRF decodes one sentence at a time, so an abstract can still come out
 * with a string tagged in one sentence and not in the next, or with an
 * abbreviation left untagged after its long form was tagged.  BC5CDR
 * annotates every occurrence of a chemical or disease name in an abstract
 * alike and gives an abbreviation the type of its long form, so once the
 * taggers are done, for each of the two types:
 *   1. an abbreviation whose long form is exactly a mention becomes one too,
 *      at its definition and at every later use;
 *   2. an abbreviation tagged although nothing in its long form is loses
 *      that mention ("contrast media (CM)", "hormone therapy (HT)");
 *   3. every other whole-token occurrence of a mention's words (compared
 *      lower-case) becomes a mention.
 * Before these steps, a Disease mention that a longer Gene mention begins
 * with is dropped: "tumour necrosis" of "tumour necrosis factor
 * inhibitors", "breast cancer" of "breast cancer 1" name a gene, not the
 * disease (relations drawn from them were nonsense).
 * Added spans never overlap a mention of the same type.  On the BC5CDR dev
 * set this is worth about half a point of F1 for each type; BioRED genes
 * lose from steps 2 and 3, so Gene mentions are left alone.  Models carry
 * NER_F_POST when they were trained (and evaluated) with this pass.
 */
#include "../util/lm_sort.h"
#include "lm_ner_impl.h"

#include <stdlib.h>
#include <string.h>

/* Token index starting exactly at byte b, or SIZE_MAX. */
static size_t tok_starting(const lm_ner_scratch *s, uint32_t b)
{
    size_t t = ner_tok_at_or_after(s, b);
    return t < s->n && s->tok[t].start == b ? t : SIZE_MAX;
}

/* One past the token ending exactly at byte b, searching from token t0;
 * SIZE_MAX when no token ends there. */
static size_t tok_end_after(const lm_ner_scratch *s, size_t t0, uint32_t b)
{
    for (size_t t = t0; t < s->n && s->tok[t].start < b; t++)
        if (s->tok[t].end == b)
            return t + 1;
    return SIZE_MAX;
}

/* s->pend[t]: one past the last token of the mention starting at token t,
 * 0 when none starts there, s->pscore[t] its score; s->pcover[t]: token t
 * is inside a mention. */
static void mark(lm_ner_scratch *s, size_t t0, size_t t1, float score)
{
    s->pend[t0] = (uint32_t)t1;
    s->pscore[t0] = score;
    for (size_t t = t0; t < t1; t++)
        s->pcover[t] = 1;
}

static void coverage(lm_ner_scratch *s, const lm_ner_mentions *out, lm_ent_type type)
{
    memset(s->pcover, 0, s->n);
    memset(s->pend, 0, s->n * sizeof *s->pend);
    for (size_t i = 0; i < out->n; i++) {
        const lm_ner_mention *x = &out->v[i];
        if (x->type != type)
            continue;
        size_t t0 = tok_starting(s, x->start);
        size_t t1 = t0 == SIZE_MAX ? SIZE_MAX : tok_end_after(s, t0, x->end);
        if (t1 != SIZE_MAX)
            mark(s, t0, t1, x->score);
    }
}

static int is_free(const lm_ner_scratch *s, size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++)
        if (s->pcover[t])
            return 0;
    return 1;
}

/* A mention added here carries the score of the one it was copied from. */
static lm_status add(lm_ner_scratch *s, lm_ner_mentions *out, size_t t0, size_t t1,
                     lm_ent_type type, float score, lm_error *err)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 32;
        lm_ner_mention *v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        out->v = v;
        out->cap = cap;
    }
    lm_ner_mention *x = &out->v[out->n++];
    x->start = s->tok[t0].start;
    x->end = s->tok[t1 - 1].end;
    x->type = type;
    x->score = score;
    mark(s, t0, t1, score);
    return LM_OK;
}

/* Steps 1 and 2: abbreviations (s->abbr, found by ner_doc_prepare). */
static lm_status abbreviations(lm_ner_scratch *s, lm_ner_mentions *out, lm_ent_type type,
                               lm_error *err)
{
    int dropped = 0;
    for (size_t ai = 0; ai < s->n_abbr; ai++) {
        const ner_abbr *x = &s->abbr[ai];
        const ner_abbr *def = x->l0 == x->l1 ? &s->abbr[x->l0] : x;
        if (def->l1 <= def->l0)
            continue;
        if (s->pend[def->l0] == def->l1) {
            if (is_free(s, x->s0, x->s1)) {
                lm_status st = add(s, out, x->s0, x->s1, type, s->pscore[def->l0], err);
                if (st != LM_OK)
                    return st;
            }
        } else if (is_free(s, def->l0, def->l1)) {
            /* Every mention with the short form's words goes, not only
             * those the abbreviation finder located (a use before the
             * definition would otherwise survive, and step 3 would copy
             * it back everywhere). */
            uint64_t hs = 0;
            for (size_t j = x->s0; j < x->s1; j++)
                hs = ner_mix(hs, s->tok[j].hlw);
            for (size_t t = 0; t < s->n; t++) {
                size_t e = s->pend[t];
                if (e != t + (x->s1 - x->s0))
                    continue;
                uint64_t h = 0;
                for (size_t j = t; j < e; j++)
                    h = ner_mix(h, s->tok[j].hlw);
                if (h != hs)
                    continue;
                uint32_t b0 = s->tok[t].start, b1 = s->tok[e - 1].end;
                for (size_t i = 0; i < out->n; i++)
                    if (out->v[i].type == type && out->v[i].start == b0 &&
                        out->v[i].end == b1) {
                        out->v[i].type = LM_ENT_NONE;
                        dropped = 1;
                    }
            }
        }
    }
    if (dropped) {
        size_t w = 0;
        for (size_t i = 0; i < out->n; i++)
            if (out->v[i].type != LM_ENT_NONE)
                out->v[w++] = out->v[i];
        out->n = w;
        coverage(s, out, type);
    }
    return LM_OK;
}

/* Step 3: other occurrences of the mentions' token sequences, found
 * leftmost-longest through a map of the sequences' hashes and their
 * prefixes (value bit 0: a proper prefix, bit 1: a whole mention, bits
 * 8-23: the best score of the mentions with these words, in 1/65535). */
static lm_status recurrences(lm_ner_scratch *s, lm_ner_mentions *out, lm_ent_type type,
                             lm_error *err)
{
    ner_map *mp = &s->docmap;
    if (mp->keys && mp->n) {
        memset(mp->keys, 0, (mp->mask + 1) * sizeof *mp->keys);
        mp->n = 0;
    }
    size_t maxlen = 0;
    for (size_t t = 0; t < s->n; t++) {
        size_t e = s->pend[t];
        if (!e || e - t > NER_GAZ_MAXLEN)
            continue;
        float sc = s->pscore[t] < 0 ? 0 : s->pscore[t] > 1 ? 1 : s->pscore[t];
        uint64_t q = (uint64_t)(sc * 65535.0f + 0.5f);
        uint64_t h = 0;
        for (size_t j = t; j < e; j++) {
            h = ner_mix(h, s->tok[j].hlw);
            uint64_t key = ner_key(h);
            const uint64_t *old = ner_map_get(mp, key);
            uint64_t bits = (old ? *old & 3 : 0) | (j + 1 < e ? 1 : 2);
            uint64_t best = old ? *old >> 8 : 0;
            if (j + 1 == e && q > best)
                best = q;
            if (ner_map_put(mp, key, bits | best << 8, 0) != LM_OK)
                return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        }
        if (e - t > maxlen)
            maxlen = e - t;
    }
    for (size_t si = 0; si < s->n_sents && mp->n; si++) {
        size_t a = s->sent[si], b = s->sent[si + 1];
        for (size_t i = a; i < b; i++) {
            if (s->pcover[i])
                continue;
            size_t e = 0;
            float sc = 0;
            uint64_t h = 0;
            for (size_t j = i; j < b && j < i + maxlen; j++) {
                h = ner_mix(h, s->tok[j].hlw);
                const uint64_t *v = ner_map_get(mp, ner_key(h));
                if (!v)
                    break;
                if (*v & 2) {
                    e = j + 1;
                    sc = (float)((*v >> 8) & 0xFFFF) / 65535.0f;
                }
                if (!(*v & 1))
                    break;
            }
            /* Matching whole tokens is matching whole words: the tokenizer
             * never leaves two word tokens side by side ("HSP70" and
             * "painful" are one token each). */
            if (!e || !is_free(s, i, e))
                continue;
            lm_status st = add(s, out, i, e, type, sc, err);
            if (st != LM_OK)
                return st;
            i = e - 1;
        }
    }
    return LM_OK;
}

lm_status ner_doc_post(const lm_ner_model *m, lm_ner_scratch *s, lm_ner_mentions *out,
                       lm_error *err)
{
    if (!(m->feat_flags & NER_F_POST) || !s->n || !out->n)
        return LM_OK;
    if (s->n + 1 > s->pcover_cap) {
        size_t cap = 2 * (s->n + 1);
        uint8_t *c = realloc(s->pcover, cap);
        if (c)
            s->pcover = c;
        uint32_t *e = realloc(s->pend, cap * sizeof *e);
        if (e)
            s->pend = e;
        float *f = realloc(s->pscore, cap * sizeof *f);
        if (f)
            s->pscore = f;
        if (!c || !e || !f)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        s->pcover_cap = cap;
    }
    size_t w = 0;
    for (size_t i = 0; i < out->n; i++) {
        const lm_ner_mention *d = &out->v[i];
        int in_gene = 0;
        for (size_t j = 0; j < out->n && !in_gene && d->type == LM_ENT_DISEASE; j++)
            in_gene = out->v[j].type == LM_ENT_GENE && out->v[j].start == d->start &&
                      out->v[j].end > d->end;
        if (!in_gene)
            out->v[w++] = *d;
    }
    out->n = w;
    static const lm_ent_type types[] = {LM_ENT_CHEMICAL, LM_ENT_DISEASE};
    lm_status st = LM_OK;
    for (size_t k = 0; k < sizeof types / sizeof types[0] && st == LM_OK; k++) {
        coverage(s, out, types[k]);
        st = abbreviations(s, out, types[k], err);
        if (st == LM_OK)
            st = recurrences(s, out, types[k], err);
    }
    if (st == LM_OK)
        lm_qsort(out->v, out->n, sizeof *out->v, ner_mention_cmp);
    return st;
}
