/*
 * Query terms: the words of a query, their phrases and expansions, and
 * the analysed query that search receives (see lm_qterms.h).
 */
#include "lm_qterms.h"

#include "lm_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lm_qterms_init(lm_qterms *q)
{
    memset(q, 0, sizeof *q);
    lm_words_init(&q->words);
}

void lm_qterms_free(lm_qterms *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->v[i].text);
    free(q->v);
    lm_words_free(&q->words);
    memset(q, 0, sizeof *q);
}

lm_status lm_qterms_add(lm_qterms *q, const char *text, size_t len, lm_qterm_kind kind,
                        float weight, int group, size_t *idx, lm_error *err)
{
    for (size_t i = 0; i < q->n; i++)
        if (strlen(q->v[i].text) == len && memcmp(q->v[i].text, text, len) == 0) {
            if (weight > q->v[i].weight)
                q->v[i].weight = weight;
            if (idx)
                *idx = i;
            return LM_OK;
        }
    char *t = NULL;
    if (lm_vec_grow((void **)&q->v, &q->cap, q->n + 1, sizeof *q->v) != LM_OK ||
        !(t = lm_strndup(text, len)))
        return lm_error_nomem(err, "parsing the query");
    q->v[q->n] = (lm_qterm){t, kind, weight, group};
    if (idx)
        *idx = q->n;
    q->n++;
    return LM_OK;
}

lm_status lm_qterms_parse(const char *text, const lm_qterms_options *opts, lm_qterms *q,
                          lm_error *err)
{
    lm_qterms_options o = {0};
    if (opts)
        o = *opts;
    if (o.phrase_weight <= 0)
        o.phrase_weight = 0.3f;
    for (size_t i = 0; i < q->n; i++)
        free(q->v[i].text);
    q->n = 0;
    if (!text)
        text = "";
    lm_status st = lm_words_split(text, strlen(text), &q->words, err);
    if (st != LM_OK)
        return st;
    size_t kept = 0;
    for (size_t i = 0; i < q->words.n; i++)
        if (!lm_words_is_stopword(q->words.v[i].norm, q->words.v[i].len))
            kept++;
    int keep_all = o.keep_stopwords || kept == 0;
    int group = 0;
    const lm_word *prev = NULL;
    for (size_t i = 0; st == LM_OK && i < q->words.n; i++) {
        const lm_word *w = &q->words.v[i];
        if (!keep_all && lm_words_is_stopword(w->norm, w->len)) {
            prev = NULL;
            continue;
        }
        st = lm_qterms_add(q, w->norm, w->len, LM_QTERM_WORD, 1.0f, group++, NULL, err);
        if (st == LM_OK && o.phrases && prev) {
            char pair[2 * LM_WORD_MAX + 2];
            int n = snprintf(pair, sizeof pair, "%s %s", prev->norm, w->norm);
            st = lm_qterms_add(q, pair, (size_t)n, LM_QTERM_PHRASE, o.phrase_weight, group++,
                               NULL, err);
        }
        prev = w;
    }
    return st;
}

lm_status lm_qterms_copy(lm_qterms *dst, const lm_qterms *src, lm_error *err)
{
    for (size_t i = 0; i < dst->n; i++)
        free(dst->v[i].text);
    dst->n = 0;
    for (size_t i = 0; i < src->n; i++) {
        const lm_qterm *t = &src->v[i];
        char *text = NULL;
        if (lm_vec_grow((void **)&dst->v, &dst->cap, dst->n + 1, sizeof *dst->v) != LM_OK ||
            !(text = strdup(t->text)))
            return lm_error_nomem(err, "copying the query");
        dst->v[dst->n++] = (lm_qterm){text, t->kind, t->weight, t->group};
    }
    dst->words.n = 0;
    if (src->words.n && lm_vec_grow((void **)&dst->words.v, &dst->words.cap, src->words.n,
                                    sizeof *dst->words.v) != LM_OK)
        return lm_error_nomem(err, "copying the query");
    if (src->words.n)
        memcpy(dst->words.v, src->words.v, src->words.n * sizeof *src->words.v);
    dst->words.n = src->words.n;
    return LM_OK;
}

/* ---- concepts ---- */

void lm_qconcepts_init(lm_qconcepts *c)
{
    memset(c, 0, sizeof *c);
}

void lm_qconcepts_clear(lm_qconcepts *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].id);
        free(c->v[i].name);
    }
    c->n = 0;
}

void lm_qconcepts_free(lm_qconcepts *c)
{
    lm_qconcepts_clear(c);
    free(c->v);
    lm_qconcepts_init(c);
}

lm_status lm_qconcepts_add(lm_qconcepts *c, const char *id, const char *name, int type,
                           uint32_t start, uint32_t end, lm_error *err)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].id, id) == 0)
            return LM_OK;
    if (lm_vec_grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v) != LM_OK)
        return lm_error_nomem(err, "analysing the query");
    lm_qconcept *k = &c->v[c->n];
    k->id = strdup(id);
    k->name = strdup(name ? name : "");
    k->type = type;
    k->start = start;
    k->end = end;
    if (!k->id || !k->name) {
        free(k->id);
        free(k->name);
        return lm_error_nomem(err, "analysing the query");
    }
    c->n++;
    return LM_OK;
}

void lm_qconcepts_remove(lm_qconcepts *c, size_t i)
{
    free(c->v[i].id);
    free(c->v[i].name);
    memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof *c->v);
    c->n--;
}

lm_status lm_qconcepts_copy(lm_qconcepts *dst, const lm_qconcepts *src, lm_error *err)
{
    lm_qconcepts_clear(dst);
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && i < src->n; i++)
        st = lm_qconcepts_add(dst, src->v[i].id, src->v[i].name, src->v[i].type,
                              src->v[i].start, src->v[i].end, err);
    return st;
}

/* ---- the analysed query ---- */

void lm_query_analysis_init(lm_query_analysis *q)
{
    memset(q, 0, sizeof *q);
    lm_qterms_init(&q->terms);
    lm_qconcepts_init(&q->concepts);
}

void lm_query_analysis_free(lm_query_analysis *q)
{
    lm_qterms_free(&q->terms);
    lm_qconcepts_free(&q->concepts);
    free(q->vector);
    lm_query_analysis_init(q);
}
