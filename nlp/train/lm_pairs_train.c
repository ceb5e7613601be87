/*
 * Training and evaluation of the pair classifier (see lm_pairs.h).
 *
 * Every candidate pair of every training document becomes one example per
 * head whose label is known there: BC5CDR documents label "induces" (CID)
 * and say nothing about treatment, BioRED documents label "treats"
 * (Negative_Correlation) and "associated" (any chemical–disease relation).
 * An unknown label is left out of that head's training rather than counted
 * as negative.  The knowledge prior's table (lm_pairs_kb.c) is built from
 * the CID corpus first and kept in the model; every training document,
 * twins included, sees it without its own document's contribution, as a
 * new abstract would.  Each head is an L2-regularised logistic regression fitted
 * with AdaGrad; weights are averaged over the epochs, which steadies the
 * solution on this small data more than a decaying rate did.
 *
 * Calibration and thresholds: every head also scores its training
 * documents out of fold (5 folds by document; for the stacked induces head
 * the second stage is refitted per fold on inner out-of-fold first-stage
 * scores, so no score comes from a model that saw its document).  A
 * logistic fit of those logits (Platt scaling) makes the head's output a
 * probability, and the document-level F1 is then a function of the
 * probability cut-off alone, chosen by one sweep (gold pairs that no
 * candidate covers count as misses at every threshold).  With the
 * documents as the tagger found them (cid_train_ner, from the NER
 * training's jackknife), "induces" is calibrated and thresholded on
 * those: end-to-end candidates, spurious and missed mentions included, so
 * that its probability means what it says in the pipeline's output.  No
 * development document is used, so the dev figures measured afterwards
 * are held out.
 */
#include "../../util/lm_sort.h"
#include "../eval/lm_eval.h"
#include "../lm_pairs.h"
#include "../lm_pairs_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lm_pairs_train_opts_default(lm_pairs_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->hash_bits = 20;
    o->epochs = 15;
    o->l2 = 0.2;
    o->learning_rate = 0.02;
    o->seed = 1;
    o->runs = 5;
    o->stack = 1;
    o->knowledge = 1;
}

typedef struct example {
    size_t off, n;                       /* into set idx */
    uint32_t doc;                        /* document number within its set */
    uint32_t chem, dis;                  /* concept numbers within the document */
    int8_t y[LM_PAIR_LABEL_COUNT];       /* 1, 0, or -1 unknown */
    float p[LM_PAIR_LABEL_COUNT];        /* scores after training */
} example;

typedef struct exset {
    example *v;
    size_t n, cap;
    uint32_t *idx;
    size_t n_idx, cap_idx;
    long gold[LM_PAIR_LABEL_COUNT];      /* gold pairs incl. ones no candidate covers */
} exset;

static void exset_free(exset *e)
{
    free(e->v);
    free(e->idx);
    memset(e, 0, sizeof *e);
}

static void logf_(const lm_pairs_train_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logf_(const lm_pairs_train_opts *o, const char *fmt, ...)
{
    if (!o->log)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    o->log(o->log_ctx, buf);
}

static int grow(void **v, size_t *cap, size_t n, size_t sz)
{
    return lm_vec_grow(v, cap, n, sz) == LM_OK ? 0 : -1;
}

static int pmid_in(const lm_pt_corpus *c, const char *pmid)
{
    return lm_pt_corpus_find(c, pmid) != NULL;
}

enum { SRC_CID, SRC_BIORED };

/* Relation label bits of (chem, dis) in a gold document. */
enum { REL_CID = 1, REL_POS = 2, REL_NEG = 4, REL_ANY = 8 };

static int relation_bits(const lm_pt_doc *d, const char *chem, const char *dis)
{
    int bits = 0;
    for (size_t r = 0; r < d->n_relations; r++) {
        const lm_pt_relation *rel = &d->relations[r];
        if (!rel->id1 || !rel->id2 || !rel->type)
            continue;
        int fwd = lm_id_same_concept(rel->id1, chem) && lm_id_same_concept(rel->id2, dis);
        int rev = lm_id_same_concept(rel->id2, chem) && lm_id_same_concept(rel->id1, dis);
        if (strcmp(rel->type, "CID") == 0) {
            bits |= fwd ? REL_CID : 0;
            continue;
        }
        if (!fwd && !rev)
            continue;
        bits |= REL_ANY;
        if (strcmp(rel->type, "Positive_Correlation") == 0)
            bits |= REL_POS;
        else if (strcmp(rel->type, "Negative_Correlation") == 0)
            bits |= REL_NEG;
    }
    return bits;
}

/* Number of CID relations of a document (distinct pairs). */
static long count_cid(const lm_pt_doc *d)
{
    long n = 0;
    for (size_t r = 0; r < d->n_relations; r++) {
        const lm_pt_relation *a = &d->relations[r];
        if (!a->type || strcmp(a->type, "CID") != 0 || !a->id1 || !a->id2)
            continue;
        int dup = 0;
        for (size_t q = 0; q < r && !dup; q++) {
            const lm_pt_relation *b = &d->relations[q];
            dup = b->type && strcmp(b->type, "CID") == 0 && b->id1 && b->id2 &&
                  lm_id_same_concept(a->id1, b->id1) && lm_id_same_concept(a->id2, b->id2);
        }
        n += !dup;
    }
    return n;
}

/* Examples of every candidate of corpus c.  The knowledge prior kb was
 * built from kb_docs: a document sees it without the contribution of
 * kb_docs' document of the same PMID (its own, or its twin's). */
static lm_status add_corpus(exset *e, const lm_pt_corpus *c, int src, const lm_pairs_train_opts *o,
                            const lm_pt_corpus *skip, const lm_pt_corpus *cid_docs,
                            unsigned mask, const lm_lexicon *lex, const pairs_kb *kb,
                            const lm_pt_corpus *kb_docs, lm_error *err)
{
    lm_pairs_scratch *s;
    lm_status st = lm_pairs_scratch_init(&s, err);
    if (st != LM_OK)
        return st;
    lm_doc doc;
    lm_doc_init(&doc);
    for (size_t d = 0; st == LM_OK && d < c->n_docs; d++) {
        const lm_pt_doc *pt = &c->docs[d];
        if (skip && pmid_in(skip, pt->pmid))
            continue;
        int induces_known = src == SRC_CID || (o->biored_induces && !pmid_in(cid_docs, pt->pmid));
        if (src == SRC_CID)
            e->gold[LM_PAIR_INDUCES] += count_cid(pt);
        st = lm_pairs_doc_from_pubtator(pt, &doc, err);
        if (st == LM_OK) {
            /* a training document, and each twin of it, leaves its gold
             * document's share out of the table's counts */
            const lm_pt_doc *own = kb ? lm_pt_corpus_find(kb_docs, pt->pmid) : NULL;
            st = pairs_prepare(s, &doc, mask, lex, kb, own, err);
        }
        for (size_t i = 0; st == LM_OK && i < s->n_cands; i++) {
            const pairs_cand *cand = &s->cands[i];
            size_t n = pairs_cand_unique(s, cand, err);
            if (n == (size_t)-1) {
                st = LM_ERR_NOMEM;
                break;
            }
            if (grow((void **)&e->v, &e->cap, e->n + 1, sizeof *e->v) != 0 ||
                grow((void **)&e->idx, &e->cap_idx, e->n_idx + n, sizeof *e->idx) != 0) {
                st = lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
                break;
            }
            example *x = &e->v[e->n++];
            memset(x, 0, sizeof *x);
            x->off = e->n_idx;
            x->n = n;
            x->doc = (uint32_t)d;
            x->chem = cand->chem;
            x->dis = cand->dis;
            memcpy(e->idx + e->n_idx, s->uniq, n * sizeof *s->uniq);
            e->n_idx += n;
            int bits = relation_bits(pt, pairs_key(s, s->concepts[cand->chem].key_off),
                                     pairs_key(s, s->concepts[cand->dis].key_off));
            for (int l = 0; l < LM_PAIR_LABEL_COUNT; l++)
                x->y[l] = -1;
            if (src == SRC_CID) {
                x->y[LM_PAIR_INDUCES] = (bits & REL_CID) != 0;
            } else {
                if (induces_known)
                    x->y[LM_PAIR_INDUCES] = (bits & REL_POS) != 0;
                x->y[LM_PAIR_TREATS] = (bits & REL_NEG) != 0;
                x->y[LM_PAIR_ASSOCIATED] = (bits & REL_ANY) != 0;
            }
            for (int l = 1; l < LM_PAIR_LABEL_COUNT; l++)
                if (src != SRC_CID || l == LM_PAIR_INDUCES)
                    e->gold[l] += src != SRC_CID && x->y[l] == 1;
        }
    }
    lm_doc_free(&doc);
    lm_pairs_scratch_free(s);
    return st;
}

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Which examples a fit uses: all (k_folds 0), or all but folds `fold` and
 * `fold2` (-1: none) of k_folds (by document number). */
typedef struct fold_sel {
    int k_folds, fold, fold2;
} fold_sel;

static int selected(const fold_sel *f, const example *x, int ylab)
{
    if (x->y[ylab] < 0)
        return 0;
    if (!f->k_folds)
        return 1;
    int d = (int)(x->doc % (uint32_t)f->k_folds);
    return d != f->fold && d != f->fold2;
}

/* Fits head `head` of m on the examples of sets[0..n_sets) with a known
 * label y[ylab]. */
static lm_status train_head(lm_pairs_model *m, int head, int ylab, exset *const *sets,
                            size_t n_sets, const fold_sel *fs, const lm_pairs_train_opts *o,
                            lm_error *err)
{
    int l = ylab;
    size_t total = 0;
    for (size_t k = 0; k < n_sets; k++)
        for (size_t i = 0; i < sets[k]->n; i++)
            total += selected(fs, &sets[k]->v[i], l);
    if (total == 0)
        return LM_OK;
    lm_status st = pairs_model_add_head(m, (lm_pair_label)head, err);
    if (st != LM_OK)
        return st;
    size_t dim = (size_t)m->mask + 1;
    float *w = m->w[head];
    float *g2 = calloc(dim, sizeof *g2);
    double *avg = calloc(dim, sizeof *avg);
    example **order = malloc(total * sizeof *order);
    const uint32_t **idx = malloc(total * sizeof *idx);
    if (!g2 || !avg || !order || !idx) {
        free(g2);
        free(avg);
        free(order);
        free(idx);
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    }
    size_t t = 0;
    for (size_t k = 0; k < n_sets; k++)
        for (size_t i = 0; i < sets[k]->n; i++)
            if (selected(fs, &sets[k]->v[i], l)) {
                order[t] = &sets[k]->v[i];
                idx[t] = sets[k]->idx + sets[k]->v[i].off;
                t++;
            }
    double b = 0, gb = 0, avg_b = 0;
    uint32_t rng = o->seed * 2654435761u + (uint32_t)head;
    const double lr = o->learning_rate, l2 = o->l2;
    for (int ep = 0; ep < o->epochs; ep++) {
        for (size_t i = total; i > 1; i--) {
            size_t j = lcg(&rng) % i;
            example *tx = order[i - 1];
            order[i - 1] = order[j];
            order[j] = tx;
            const uint32_t *ti = idx[i - 1];
            idx[i - 1] = idx[j];
            idx[j] = ti;
        }
        for (size_t i = 0; i < total; i++) {
            const example *x = order[i];
            const uint32_t *f = idx[i];
            double z = b;
            for (size_t q = 0; q < x->n; q++)
                z += w[f[q]];
            double g = pairs_sigmoid(z) - (double)x->y[l];
            for (size_t q = 0; q < x->n; q++) {
                uint32_t k = f[q];
                double gk = g + l2 * w[k];
                g2[k] += (float)(gk * gk);
                w[k] -= (float)(lr * gk / sqrt(g2[k] + 1e-6));
            }
            gb += g * g;
            b -= lr * g / sqrt(gb + 1e-6);
        }
        for (size_t k = 0; k < dim; k++)
            avg[k] += w[k];
        avg_b += b;
    }
    for (size_t k = 0; k < dim; k++)
        w[k] = (float)(avg[k] / o->epochs);
    m->bias[head] = (float)(avg_b / o->epochs);
    free(g2);
    free(avg);
    free(order);
    free(idx);
    return LM_OK;
}

/* Averaging the weights of runs over different example orders (all
 * linear, so this averages their logits) removes most of the
 * order-to-order variance of single AdaGrad runs. */
static lm_status train_avg(lm_pairs_model *m, int head, int ylab, exset *const *sets,
                           size_t n_sets, const fold_sel *fs, const lm_pairs_train_opts *o,
                           lm_error *err)
{
    int runs = o->runs > 0 ? o->runs : 1;
    lm_status st = LM_OK;
    for (int r = 0; st == LM_OK && r < runs; r++) {
        lm_pairs_train_opts ro = *o;
        ro.seed = o->seed + (unsigned)r * 7919u;
        lm_pairs_model *run = NULL;
        st = pairs_model_new(m->bits, &run, err);
        if (st == LM_OK)
            st = train_head(run, head, ylab, sets, n_sets, fs, &ro, err);
        if (st == LM_OK && run->has[head]) {
            if (!m->has[head])
                st = pairs_model_add_head(m, (lm_pair_label)head, err);
            for (size_t k = 0; st == LM_OK && k <= m->mask; k++)
                m->w[head][k] += run->w[head][k] / (float)runs;
            m->bias[head] += run->bias[head] / (float)runs;
        }
        lm_pairs_model_free(run);
    }
    return st;
}

static double example_logit(const lm_pairs_model *m, int head, const exset *e, const example *x)
{
    double z = m->bias[head];
    for (size_t q = 0; q < x->n; q++)
        z += m->w[head][e->idx[x->off + q]];
    return z;
}

/* out = e with each example's features extended by its stack features,
 * computed from p1 (one first-stage score per example of e). */
static lm_status stack_exset(const exset *e, const float *p1, uint32_t mask, exset *out,
                             lm_error *err)
{
    memset(out, 0, sizeof *out);
    memcpy(out->gold, e->gold, sizeof out->gold);
    uint32_t *chem = malloc((e->n + 1) * sizeof *chem), *dis = malloc((e->n + 1) * sizeof *dis);
    out->v = malloc((e->n + 1) * sizeof *out->v);
    out->cap = e->n + 1;
    out->cap_idx = e->n_idx + e->n * PAIRS_STACK_MAX + 1;
    out->idx = malloc(out->cap_idx * sizeof *out->idx);
    if (!chem || !dis || !out->v || !out->idx) {
        free(chem);
        free(dis);
        exset_free(out);
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    }
    for (size_t i = 0; i < e->n; i++) {
        chem[i] = e->v[i].chem;
        dis[i] = e->v[i].dis;
    }
    for (size_t i = 0; i < e->n;) {
        size_t j = i;
        while (j < e->n && e->v[j].doc == e->v[i].doc)
            j++;
        for (size_t k = i; k < j; k++) {
            example x = e->v[k];
            memcpy(out->idx + out->n_idx, e->idx + x.off, x.n * sizeof *out->idx);
            size_t added = pairs_stack_features(p1 + i, chem + i, dis + i, j - i, k - i, mask,
                                                out->idx + out->n_idx + x.n);
            x.off = out->n_idx;
            x.n += added;
            out->n_idx += x.n;
            out->v[out->n++] = x;
        }
        i = j;
    }
    free(chem);
    free(dis);
    return LM_OK;
}

#define STACK_FOLDS 5

/* Out-of-fold first-stage scores of head l on target: per fold, a model
 * fitted on sets without that fold's documents scores that fold's examples
 * (a document and its lexicon-id twin share a number, hence a fold).  out
 * gets one probability per example. */
static lm_status oof_scores(unsigned bits, int l, exset *const *sets, size_t n_sets,
                            const exset *target, float **out, const lm_pairs_train_opts *o,
                            lm_error *err)
{
    float *v = malloc((target->n + 1) * sizeof *v);
    if (!v)
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    lm_status st = LM_OK;
    for (int f = 0; st == LM_OK && f < STACK_FOLDS; f++) {
        lm_pairs_model *fm = NULL;
        fold_sel fs = {STACK_FOLDS, f, -1};
        st = pairs_model_new(bits, &fm, err);
        if (st == LM_OK)
            st = train_avg(fm, l, l, sets, n_sets, &fs, o, err);
        for (size_t i = 0; st == LM_OK && i < target->n; i++)
            if ((int)(target->v[i].doc % STACK_FOLDS) == f)
                v[i] = fm->has[l] ? pairs_sigmoid(example_logit(fm, l, target, &target->v[i]))
                                  : 0.0f;
        lm_pairs_model_free(fm);
    }
    if (st != LM_OK) {
        free(v);
        return st;
    }
    *out = v;
    return LM_OK;
}

/* The second stage: the stack features of the BC5CDR training documents
 * from their out-of-fold first-stage scores oof, and a fit of PAIRS_STACK
 * on them. */
static lm_status train_stack(lm_pairs_model *m, exset *tr_cid, const float *oof,
                             const lm_pairs_train_opts *o, lm_error *err)
{
    exset st2;
    lm_status st = stack_exset(tr_cid, oof, m->mask, &st2, err);
    if (st == LM_OK) {
        exset *one[1] = {&st2};
        fold_sel all = {0, 0, -1};
        st = train_avg(m, PAIRS_STACK, LM_PAIR_INDUCES, one, 1, &all, o, err);
        exset_free(&st2);
    }
    return st;
}

/* Replaces the induces scores of tr_cid by out-of-fold final ones (oof:
 * its out-of-fold first-stage scores).  Without a second stage that is oof
 * itself; with one, each fold gets a second stage fitted as train_stack
 * does but without that fold — on inner out-of-fold scores of the other
 * folds — so no score comes from a model that saw its document. */
static lm_status set_oof_scores(const lm_pairs_model *m, exset *const *sets, size_t n_sets,
                                exset *tr_cid, const float *oof, exset *tr_ner,
                                const float *oof_ner, const lm_pairs_train_opts *o,
                                lm_error *err)
{
    if (!m->has[PAIRS_STACK]) {
        for (size_t i = 0; i < tr_cid->n; i++)
            tr_cid->v[i].p[LM_PAIR_INDUCES] = oof[i];
        for (size_t i = 0; tr_ner && i < tr_ner->n; i++)
            tr_ner->v[i].p[LM_PAIR_INDUCES] = oof_ner[i];
        return LM_OK;
    }
    exset outer, outer_ner = {0};
    lm_status st = stack_exset(tr_cid, oof, m->mask, &outer, err);
    if (st == LM_OK && tr_ner)
        st = stack_exset(tr_ner, oof_ner, m->mask, &outer_ner, err);
    if (st != LM_OK) {
        exset_free(&outer);
        return st;
    }
    float *inner = calloc(tr_cid->n + 1, sizeof *inner);
    if (!inner)
        st = lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    for (int f = 0; st == LM_OK && f < STACK_FOLDS; f++) {
        for (int g = 0; st == LM_OK && g < STACK_FOLDS; g++) {
            if (g == f)
                continue;
            lm_pairs_model *gm = NULL;
            fold_sel fs = {STACK_FOLDS, f, g};
            st = pairs_model_new(m->bits, &gm, err);
            if (st == LM_OK)
                st = train_avg(gm, LM_PAIR_INDUCES, LM_PAIR_INDUCES, sets, n_sets, &fs, o, err);
            for (size_t i = 0; st == LM_OK && i < tr_cid->n; i++)
                if ((int)(tr_cid->v[i].doc % STACK_FOLDS) == g)
                    inner[i] = gm->has[LM_PAIR_INDUCES]
                                   ? pairs_sigmoid(example_logit(gm, LM_PAIR_INDUCES, tr_cid,
                                                                 &tr_cid->v[i]))
                                   : 0.0f;
            lm_pairs_model_free(gm);
        }
        exset st2;
        if (st != LM_OK || (st = stack_exset(tr_cid, inner, m->mask, &st2, err)) != LM_OK)
            break;
        exset *one[1] = {&st2};
        fold_sel fs = {STACK_FOLDS, f, -1};
        lm_pairs_model *sm = NULL;
        st = pairs_model_new(m->bits, &sm, err);
        if (st == LM_OK)
            st = train_avg(sm, PAIRS_STACK, LM_PAIR_INDUCES, one, 1, &fs, o, err);
        for (size_t i = 0; st == LM_OK && i < outer.n; i++)
            if ((int)(outer.v[i].doc % STACK_FOLDS) == f)
                tr_cid->v[i].p[LM_PAIR_INDUCES] =
                    sm->has[PAIRS_STACK]
                        ? pairs_sigmoid(example_logit(sm, PAIRS_STACK, &outer, &outer.v[i]))
                        : oof[i];
        for (size_t i = 0; st == LM_OK && i < outer_ner.n; i++)
            if ((int)(outer_ner.v[i].doc % STACK_FOLDS) == f)
                tr_ner->v[i].p[LM_PAIR_INDUCES] =
                    sm->has[PAIRS_STACK]
                        ? pairs_sigmoid(example_logit(sm, PAIRS_STACK, &outer_ner,
                                                      &outer_ner.v[i]))
                        : oof_ner[i];
        lm_pairs_model_free(sm);
        exset_free(&st2);
    }
    exset_free(&outer);
    exset_free(&outer_ner);
    free(inner);
    return st;
}

typedef struct scored {
    float p;
    int y;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return x->p > y->p ? -1 : x->p < y->p;
}

size_t pairs_precise_cut(const double *f, size_t n, double slack)
{
    double best = 0;
    for (size_t k = 0; k < n; k++)
        if (f[k] > best)
            best = f[k];
    for (size_t k = 0; k < n; k++)
        if (f[k] >= 0 && f[k] >= best - slack)
            return k;
    return n;
}

/* F1-best threshold of head l on e; fills *f1, *prec, *rec.  Near its
 * maximum the F1 curve is flat, so its arg max moves with any change of
 * the training data: the threshold is the middle one of the cuts within
 * half a point of the best F1, or with precise, the highest cut within
 * one point of it (pairs_precise_cut) — for "induces", whose every wrong
 * row costs a curator a reading where a missed one costs a little
 * recall. */
static float tune_threshold(const exset *e, int l, int precise, double *f1, double *prec,
                            double *rec)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        n += e->v[i].y[l] >= 0;
    *f1 = *prec = *rec = 0;
    scored *v = malloc((n ? n : 1) * sizeof *v);
    double *f = malloc((n ? n : 1) * sizeof *f);
    if (!v || !f) {
        free(v);
        free(f);
        return 0.5f;
    }
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->v[i].y[l] >= 0)
            v[k++] = (scored){e->v[i].p[l], e->v[i].y[l]};
    lm_qsort(v, n, sizeof *v, cmp_scored);
    long gold = e->gold[l], tp = 0;
    double best = 0;
    for (size_t i = 0; i < n; i++) {
        tp += v[i].y;
        /* a cut between ties is no cut: it scores as the last of them */
        f[i] = i + 1 < n && v[i + 1].p == v[i].p
                   ? -1
                   : 2.0 * (double)tp / ((double)gold + (double)(i + 1));
        if (f[i] > best)
            best = f[i];
    }
    size_t near = 0, pick = SIZE_MAX, first = precise ? pairs_precise_cut(f, n, 0.01) : n;
    for (size_t i = 0; i < n; i++)
        near += f[i] >= best - 0.005;
    tp = 0;
    for (size_t i = 0, seen = 0; i < n && pick == SIZE_MAX; i++) {
        tp += v[i].y;
        if (precise ? i == first : f[i] >= best - 0.005 && seen++ == near / 2) {
            pick = i;
            *f1 = f[i];
            *prec = (double)tp / (double)(i + 1);
            *rec = gold ? (double)tp / (double)gold : 0;
        }
    }
    float thr = 0.5f;
    if (pick != SIZE_MAX)
        thr = pick + 1 < n ? (v[pick].p + v[pick + 1].p) / 2 : v[pick].p;
    free(v);
    free(f);
    return thr;
}

static double logit_of(float p)
{
    double q = p < 1e-7f ? 1e-7 : p > 1 - 1e-7f ? 1 - 1e-7 : (double)p;
    return log(q / (1 - q));
}

/* Platt scaling: a, b minimising the log loss of sigmoid(a x + b) against
 * the labels y (with Platt's smoothed targets, so that separable data
 * does not drive a to infinity), by Newton's method. */
static void platt_fit(const double *x, const int8_t *y, size_t n, float *a_out, float *b_out)
{
    double np = 0, nn = 0;
    for (size_t i = 0; i < n; i++) {
        np += y[i] == 1;
        nn += y[i] == 0;
    }
    double tp = (np + 1) / (np + 2), tn = 1 / (nn + 2);
    double a = 1, b = 0;
    for (int it = 0; it < 100; it++) {
        double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
        for (size_t i = 0; i < n; i++) {
            double t = y[i] == 1 ? tp : tn;
            double p = 1 / (1 + exp(-(a * x[i] + b)));
            double d = p - t, w = p * (1 - p);
            ga += d * x[i];
            gb += d;
            haa += w * x[i] * x[i];
            hab += w * x[i];
            hbb += w;
        }
        double det = haa * hbb - hab * hab;
        if (det <= 0)
            break;
        double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
        a -= da;
        b -= db;
        if (fabs(da) < 1e-9 && fabs(db) < 1e-9)
            break;
    }
    *a_out = (float)a;
    *b_out = (float)b;
}

/* Fits the calibration of model head `head` (which scores label l) on the
 * out-of-fold probabilities p[l] of e, replaces them by calibrated ones and
 * sets the label's threshold from the out-of-fold F1 (tune_threshold). */
static lm_status calibrate_head(lm_pairs_model *m, int head, int l, exset *e,
                                const lm_pairs_train_opts *o, lm_error *err)
{
    double *x = malloc((e->n + 1) * sizeof *x);
    int8_t *y = malloc(e->n + 1);
    if (!x || !y) {
        free(x);
        free(y);
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->v[i].y[l] >= 0) {
            x[n] = logit_of(e->v[i].p[l]);
            y[n++] = e->v[i].y[l];
        }
    platt_fit(x, y, n, &m->cal_a[head], &m->cal_b[head]);
    for (size_t i = 0; i < e->n; i++)
        if (e->v[i].y[l] >= 0)
            e->v[i].p[l] = pairs_calibrate(m, head, logit_of(e->v[i].p[l]));
    free(x);
    free(y);
    double f1, p, r;
    m->threshold[l] = tune_threshold(e, l, l == LM_PAIR_INDUCES, &f1, &p, &r);
    logf_(o, "pairs: head %-10s calibration %.3f x %+.3f, threshold %.3f: out-of-fold P %.4f "
             "R %.4f F1 %.4f",
          lm_pair_label_name((lm_pair_label)l), m->cal_a[head], m->cal_b[head],
          m->threshold[l], p, r, f1);
    return LM_OK;
}

/* Logs the out-of-fold P/R/F1 of the induces decision on e (calibrated
 * out-of-fold probabilities in p[]). */
static void report_oof(const lm_pairs_model *m, const exset *e, const char *what,
                       const lm_pairs_train_opts *o)
{
    long tp = 0, fp = 0, gold = e->gold[LM_PAIR_INDUCES];
    for (size_t i = 0; i < e->n; i++)
        if (e->v[i].y[LM_PAIR_INDUCES] >= 0 &&
            e->v[i].p[LM_PAIR_INDUCES] >= m->threshold[LM_PAIR_INDUCES]) {
            tp += e->v[i].y[LM_PAIR_INDUCES] == 1;
            fp += e->v[i].y[LM_PAIR_INDUCES] == 0;
        }
    double p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    double r = gold ? (double)tp / (double)gold : 0;
    logf_(o, "pairs: head induces    out-of-fold %s: P %.4f R %.4f F1 %.4f", what, p, r,
          p + r > 0 ? 2 * p * r / (p + r) : 0);
}

lm_status lm_pairs_train(const lm_pairs_train_data *data, const lm_pairs_train_opts *opts,
                         lm_pairs_model **out, lm_error *err)
{
    lm_pairs_train_opts o;
    if (opts)
        o = *opts;
    else
        lm_pairs_train_opts_default(&o);
    if (!data || !data->cid_train)
        return lm_error_set(err, LM_ERR_USAGE, "pairs: a CID training corpus is required");
    if (o.epochs <= 0)
        o.epochs = 1;
    lm_pairs_model *m = NULL;
    lm_status st = pairs_model_new(o.hash_bits ? o.hash_bits : 20, &m, err);
    if (st != LM_OK)
        return st;
    exset tr_cid = {0}, tr_bio = {0}, tr_lex = {0}, tr_ner = {0};
    /* the knowledge prior: the CID training corpus's own pairs (BioRED
     * stays out: it re-annotates BC5CDR abstracts, dev ones included) */
    const lm_pt_corpus *kd = data->cid_train;
    if (o.knowledge)
        st = pairs_kb_build(kd, &m->kb, err);
    const pairs_kb *kb = m->kb;
    if (st == LM_OK)
        st = add_corpus(&tr_cid, kd, SRC_CID, &o, NULL, NULL, m->mask, data->lexicon, kb, kd,
                        err);
    if (st == LM_OK && data->cid_train_lexicon)
        st = add_corpus(&tr_lex, data->cid_train_lexicon, SRC_CID, &o, NULL, NULL, m->mask,
                        data->lexicon, kb, kd, err);
    if (st == LM_OK && data->cid_train_ner)
        st = add_corpus(&tr_ner, data->cid_train_ner, SRC_CID, &o, NULL, NULL, m->mask,
                        data->lexicon, kb, kd, err);
    if (st == LM_OK && data->biored_train)
        st = add_corpus(&tr_bio, data->biored_train, SRC_BIORED, &o, data->held_out,
                        data->cid_train, m->mask, data->lexicon, kb, kd, err);
    if (st == LM_OK)
        logf_(&o, "pairs: %zu BC5CDR (+ %zu with lexicon ids, + %zu as tagged) + %zu BioRED "
                  "training candidates; knowledge prior: %zu pairs from %u documents",
              tr_cid.n, tr_lex.n, tr_ner.n, tr_bio.n, pairs_kb_pairs(kb), pairs_kb_docs(kb));
    /* tr_lex's and tr_ner's documents are numbered like their tr_cid
     * twins, so the folds hold out all three together */
    exset *train_sets[4] = {&tr_cid, &tr_bio, &tr_lex, &tr_ner};
    size_t n_train_sets = 4;
    fold_sel all = {0, 0, -1};
    for (int l = 1; st == LM_OK && l < LM_PAIR_LABEL_COUNT; l++)
        st = train_avg(m, l, l, train_sets, n_train_sets, &all, &o, err);
    /* out-of-fold induces scores: the second stage's input, then (through
     * set_oof_scores) the calibration set */
    float *oof = NULL, *oof_ner = NULL;
    exset *cal = tr_ner.n ? &tr_ner : &tr_cid;
    if (st == LM_OK && m->has[LM_PAIR_INDUCES])
        st = oof_scores(m->bits, LM_PAIR_INDUCES, train_sets, n_train_sets, &tr_cid, &oof, &o, err);
    if (st == LM_OK && m->has[LM_PAIR_INDUCES] && tr_ner.n)
        st = oof_scores(m->bits, LM_PAIR_INDUCES, train_sets, n_train_sets, &tr_ner, &oof_ner, &o, err);
    if (st == LM_OK && o.stack && m->has[LM_PAIR_INDUCES])
        st = train_stack(m, &tr_cid, oof, &o, err);
    if (st == LM_OK && oof)
        st = set_oof_scores(m, train_sets, n_train_sets, &tr_cid, oof, tr_ner.n ? &tr_ner : NULL, oof_ner,
                            &o, err);
    free(oof);
    free(oof_ner);
    if (st == LM_OK && m->has[LM_PAIR_INDUCES])
        st = calibrate_head(m, m->has[PAIRS_STACK] ? PAIRS_STACK : LM_PAIR_INDUCES,
                            LM_PAIR_INDUCES, cal, &o, err);
    if (st == LM_OK && m->has[LM_PAIR_INDUCES] && cal != &tr_cid) {
        int head = m->has[PAIRS_STACK] ? PAIRS_STACK : LM_PAIR_INDUCES;
        for (size_t i = 0; i < tr_cid.n; i++)
            tr_cid.v[i].p[LM_PAIR_INDUCES] =
                pairs_calibrate(m, head, logit_of(tr_cid.v[i].p[LM_PAIR_INDUCES]));
        report_oof(m, &tr_cid, "with gold ids", &o);
    }
    if (st == LM_OK && m->has[LM_PAIR_INDUCES])
        report_oof(m, cal, cal == &tr_cid ? "with gold ids" : "as tagged", &o);
    for (int l = LM_PAIR_TREATS; st == LM_OK && l < LM_PAIR_LABEL_COUNT; l++) {
        if (!m->has[l])
            continue;
        float *p = NULL;
        st = oof_scores(m->bits, l, train_sets, n_train_sets, &tr_bio, &p, &o, err);
        for (size_t i = 0; st == LM_OK && i < tr_bio.n; i++)
            tr_bio.v[i].p[l] = p[i];
        free(p);
        if (st == LM_OK)
            st = calibrate_head(m, l, l, &tr_bio, &o, err);
    }
    exset_free(&tr_cid);
    exset_free(&tr_bio);
    exset_free(&tr_lex);
    exset_free(&tr_ner);
    if (st != LM_OK) {
        lm_pairs_model_free(m);
        return st;
    }
    *out = m;
    return LM_OK;
}

/* ---- evaluation ------------------------------------------------------- */

lm_status lm_pairs_eval_gold(const lm_pairs_model *m, const lm_pt_corpus *gold,
                             const lm_pairs_eval_opts *opts, long *tp, long *fp, long *fn,
                             lm_error *err)
{
    lm_pairs_eval_opts o = {-1.0f, 0, 0};
    if (opts)
        o = *opts;
    if (!o.cooccurrence && !m)
        return lm_error_set(err, LM_ERR_USAGE, "pairs: evaluation needs a model");
    lm_pt_corpus pred = {0};
    pred.docs = calloc(gold->n_docs ? gold->n_docs : 1, sizeof *pred.docs);
    if (!pred.docs)
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    lm_pairs_scratch *s = NULL;
    lm_status st = lm_pairs_scratch_init(&s, err);
    lm_doc doc;
    lm_doc_init(&doc);
    lm_pairs_result res;
    lm_pairs_result_init(&res);
    for (size_t d = 0; st == LM_OK && d < gold->n_docs; d++) {
        lm_pt_doc *pd = &pred.docs[pred.n_docs++];
        lm_pt_doc_init(pd);
        pd->pmid = strdup(gold->docs[d].pmid ? gold->docs[d].pmid : "");
        if (!pd->pmid) {
            st = lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
            break;
        }
        st = lm_pairs_doc_from_pubtator(&gold->docs[d], &doc, err);
        if (st != LM_OK)
            break;
        if (o.cooccurrence) {
            st = pairs_prepare(s, &doc, 0xffu, NULL, NULL, NULL, err);
            for (size_t i = 0; st == LM_OK && i < s->n_cands; i++) {
                const pairs_cand *c = &s->cands[i];
                const char *a = pairs_key(s, s->concepts[c->chem].key_off);
                const char *b = pairs_key(s, s->concepts[c->dis].key_off);
                if (!o.same_sentence || c->n_shared)
                    st = lm_pairs_add_relation(pd, "CID", a, b, err);
            }
            continue;
        }
        st = lm_pairs_extract_all(m, s, &doc, &res, err);
        for (size_t i = 0; st == LM_OK && i < res.n; i++) {
            const lm_pair *p = &res.v[i];
            int yes = o.threshold >= 0 ? p->head_score[LM_PAIR_INDUCES] >= o.threshold
                                       : p->label == LM_PAIR_INDUCES;
            if (yes)
                st = lm_pairs_add_relation(pd, "CID", p->chem_id, p->dis_id, err);
        }
    }
    if (st == LM_OK) {
        static const char *const labels[1] = {"CID"};
        lm_eval_opts eo = {0};
        eo.labels = labels;
        eo.n_labels = 1;
        lm_eval_report rep;
        lm_eval_report_init(&rep);
        st = lm_eval_relations(gold, &pred, &eo, &rep, err);
        if (st == LM_OK) {
            *tp = rep.micro.tp;
            *fp = rep.micro.fp;
            *fn = rep.micro.fn;
        }
        lm_eval_report_free(&rep);
    }
    lm_pairs_result_free(&res);
    lm_doc_free(&doc);
    lm_pairs_scratch_free(s);
    lm_pt_corpus_free(&pred);
    return st;
}
