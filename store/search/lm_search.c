/*
 * lm_search: ranking an analysed query — lexical candidates from the
 * lexical index, dense candidates from the vector matrix, fusion and
 * concept boosts (see lm_search.h).
 *
 * Lexical ranking runs on litmine's own inverted index (lm_lexindex), not
 * on FTS5: FTS5 ranks through its auxiliary-function API at ~3 us per
 * matching row, 300 ms for a query of common words over 100,000
 * abstracts, where the lexical index needs ~20 ms.  BM25F parameters are
 * tuned per field and each query term carries its own weight, so that
 * phrase, synonym and feedback terms add evidence without drowning the
 * words the user typed.  It is the one full-text index: `export --query`
 * uses it too, and FTS5 (a second copy, 0.8 KB per abstract) was dropped
 * in schema 13.
 *
 * Fusion: the lexical score divided by the query's best lexical score
 * (so it lies in [0, 1] whatever the query length) plus dense_weight times
 * the cosine.  Every candidate gets both signals: a lexical candidate's
 * cosine is read from the in-memory matrix, a dense-only candidate has
 * lexical 0.  A plain reciprocal-rank fusion was measured worse (a weak
 * dense list then moves documents as much as a strong lexical one).
 */
#include "lm_search_impl.h"

#include "../../util/lm_buf.h"
#include "../../util/lm_clock.h"
#include "../../util/lm_sort.h"
#include "lm_fts.h"
#include "lm_lexindex.h"
#include "lm_vec_cache.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters and names -------------------------------------------------- */

const char *lm_search_mode_name(lm_search_mode m)
{
    switch (m) {
    case LM_SEARCH_HYBRID: return "hybrid";
    case LM_SEARCH_LEXICAL: return "lexical";
    case LM_SEARCH_DENSE: return "dense";
    }
    return "?";
}

int lm_search_mode_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "hybrid") == 0)
        return LM_SEARCH_HYBRID;
    if (strcmp(name, "lexical") == 0)
        return LM_SEARCH_LEXICAL;
    if (strcmp(name, "dense") == 0)
        return LM_SEARCH_DENSE;
    return -1;
}

void lm_search_params_default(lm_search_params *p)
{
    memset(p, 0, sizeof *p);
    p->k1 = 1.5f;
    p->b_title = 0.75f;
    p->b_abstract = 0.75f;
    p->w_title = 1.0f;
    p->w_abstract = 1.0f;
    p->phrases = 1;
    p->phrase_weight = 0.5f;
    p->lex_candidates = 1000;
    p->phrase_depth = 100;
    p->dense_candidates = 200;
    p->dense_weight = 0.35f;
    p->concept_weight = 0.1f;
    p->prf_docs = 0;
    p->prf_terms = 0;
    p->prf_weight = 0.3f;
    p->synonyms = 0;
    p->synonym_weight = 0.5f;
    p->dense_prf_docs = 1;
    p->dense_prf_weight = 1.0f;
}

/* ---- the searcher ------------------------------------------------------------- */

void lm_searcher_close(lm_searcher *srch)
{
    if (!srch)
        return;
    lm_vec_cache_close(&srch->vc);
    free(srch->scores);
    free(srch->qvec);
    lm_buf_free(&srch->fts);
    lm_lexindex_reader_free(srch->lexindex);
    free(srch);
}

lm_status lm_searcher_open(lm_store *s, const lm_searcher_config *cfg,
                           const lm_search_text_ops *ops, lm_searcher **out, lm_error *err)
{
    *out = NULL;
    lm_searcher_config c = {0};
    if (cfg)
        c = *cfg;
    lm_searcher *srch = calloc(1, sizeof *srch);
    if (!srch)
        return lm_error_set(err, LM_ERR_NOMEM, "opening the search index: out of memory");
    srch->s = s;
    lm_searcher_set_text_ops(srch, ops);
    lm_buf_init(&srch->fts);
    lm_status ls = lm_lexindex_reader_init(&srch->lexindex, err);
    if (ls == LM_OK && !c.no_vectors) {
        int found = 0;
        /* The file's checksums are verified in the background while the
         * session parses the model and the query runs its lexical side:
         * lm_searcher_query waits before it reads a vector. */
        ls = lm_vec_cache_open_async(s, NULL, c.kind, &srch->vc, &found, err);
        if (ls == LM_OK && found) {
            srch->scores = malloc((srch->vc.mat.n + 1) * sizeof *srch->scores);
            srch->qvec = malloc((size_t)srch->vc.info.dim * sizeof *srch->qvec);
            if (!srch->scores || !srch->qvec)
                ls = lm_error_set(err, LM_ERR_NOMEM, "loading vectors: out of memory");
        }
    }
    if (ls != LM_OK) {
        lm_searcher_close(srch);
        return ls;
    }
    *out = srch;
    return LM_OK;
}

void lm_searcher_set_text_ops(lm_searcher *srch, const lm_search_text_ops *ops)
{
    if (ops)
        srch->ops = *ops;
    else
        memset(&srch->ops, 0, sizeof srch->ops);
}

const void *lm_searcher_model(const lm_searcher *srch, size_t *len)
{
    *len = srch->vc.model ? srch->vc.model_len : 0;
    return srch->vc.model;
}

void lm_searcher_drop_model(lm_searcher *srch)
{
    lm_vec_cache_drop_model(&srch->vc);
}

lm_status lm_searcher_wait(lm_searcher *srch, lm_error *err)
{
    return lm_vec_cache_wait(&srch->vc, err);
}

int lm_searcher_model_mapped(const lm_searcher *srch)
{
    return srch->vc.model && !srch->vc.model_heap;
}

int lm_searcher_has_vectors(const lm_searcher *srch)
{
    return srch->qvec && srch->vc.mat.n > srch->vc.mat.n_dead;
}

size_t lm_searcher_vectors(const lm_searcher *srch)
{
    return srch->vc.mat.n - srch->vc.mat.n_dead;
}

void lm_search_results_init(lm_search_results *r)
{
    memset(r, 0, sizeof *r);
    lm_qterms_init(&r->terms);
}

static void clear_concepts(lm_search_results *r)
{
    for (size_t i = 0; i < r->n_concepts; i++) {
        free(r->concepts[i].id);
        free(r->concepts[i].name);
    }
    r->n_concepts = 0;
}

void lm_search_results_free(lm_search_results *r)
{
    clear_concepts(r);
    free(r->concepts);
    free(r->hits);
    free(r->fts_query);
    lm_qterms_free(&r->terms);
    memset(r, 0, sizeof *r);
}

/* The query's terms and concepts, as results carry them. */
static lm_status copy_query(lm_search_results *r, const lm_query_analysis *q, lm_error *err)
{
    lm_status st = lm_qterms_copy(&r->terms, &q->terms, err);
    clear_concepts(r);
    for (size_t i = 0; st == LM_OK && i < q->concepts.n; i++) {
        const lm_qconcept *c = &q->concepts.v[i];
        if (lm_vec_grow((void **)&r->concepts, &r->cap_concepts, r->n_concepts + 1,
                        sizeof *r->concepts) != LM_OK)
            return lm_error_nomem(err, "in search");
        lm_qconcept *d = &r->concepts[r->n_concepts];
        *d = *c;
        d->id = strdup(c->id);
        d->name = strdup(c->name);
        if (!d->id || !d->name) {
            free(d->id);
            free(d->name);
            return lm_error_nomem(err, "in search");
        }
        r->n_concepts++;
    }
    return st;
}

/* ---- candidates ------------------------------------------------------------------ */

typedef struct cand {
    int64_t pmid;
    double lex, dense, score;
    int lex_rank, dense_rank, concepts;
    int hopeless;             /* cannot reach the top k: concepts not counted */
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
} cands;

static lm_status cands_push(cands *c, int64_t pmid, lm_error *err)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 256;
        cand *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv)
            return lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
        c->v = nv;
        c->cap = nc;
    }
    memset(&c->v[c->n], 0, sizeof c->v[c->n]);
    c->v[c->n++].pmid = pmid;
    return LM_OK;
}

static int cmp_cand_pmid(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return (x->pmid > y->pmid) - (x->pmid < y->pmid);
}

static int cmp_cand_score(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->pmid > y->pmid) - (x->pmid < y->pmid);
}

typedef struct since_ctx {
    lm_store *s;
    int since;
} since_ctx;

static int keep_since(void *ctx, int64_t pmid, lm_error *err)
{
    since_ctx *c = ctx;
    sqlite3_stmt *st = lm_store_stmt(c->s, SL_YEAR, "SELECT year FROM articles WHERE pmid = ?1",
                                     err);
    if (!st)
        return -1;
    int brc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &brc);
    int rc = lm_bind_step(st, brc);
    int keep = rc == SQLITE_ROW && sqlite3_column_int(st, 0) >= c->since;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        lm_store_fail(c->s, rc, err, "reading publication years");
        return -1;
    }
    return keep;
}

/* The lexical candidates: (pmid, BM25F) best first, from the lexical
 * index (the FTS5 expression is kept for display only). */
static lm_status run_lexical(lm_searcher *srch, const lm_search_params *p, const lm_qterms *q,
                             int since, int limit, cands *out, lm_error *err)
{
    out->n = 0;
    if (q->n == 0)
        return LM_OK;
    lm_status st = lm_fts_expr(q, &srch->fts, err);
    if (st != LM_OK)
        return st;
    lm_lexindex_params lp = {p->k1,         p->b_title,    p->b_abstract,
                             p->w_title,    p->w_abstract, (size_t)p->phrase_depth};
    since_ctx sc = {srch->s, since};
    const lm_lexindex_hit *hits = NULL;
    size_t n = 0;
    st = lm_lexindex_search(srch->lexindex, srch->s, &lp, q, (size_t)limit,
                            since > 0 ? keep_since : NULL, &sc, &hits, &n, err);
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        st = cands_push(out, hits[i].pmid, err);
        if (st == LM_OK) {
            out->v[out->n - 1].lex = hits[i].score;
            out->v[out->n - 1].lex_rank = (int)out->n;
        }
    }
    return st;
}

/* Pseudo-relevance feedback: the words that weigh most (tf * idf, idf
 * from the embedding model's vocabulary) in the top documents join the
 * query with a lower weight. */
typedef struct prf_term {
    char norm[LM_WORD_MAX + 1];
    char stem[LM_WORD_MAX + 1];
    double w;
} prf_term;

static int cmp_prf(const void *a, const void *b)
{
    const prf_term *x = a, *y = b;
    if (x->w != y->w)
        return x->w < y->w ? 1 : -1;
    return strcmp(x->stem, y->stem);
}

static lm_status add_feedback(lm_searcher *srch, const lm_search_params *p, const cands *lex,
                              lm_qterms *q, lm_error *err)
{
    if (!srch->ops.word_weight || p->prf_docs <= 0 || p->prf_terms <= 0 || lex->n == 0)
        return LM_OK;
    prf_term *terms = NULL;
    size_t n = 0, cap = 0;
    lm_words words;
    lm_words_init(&words);
    lm_status st = LM_OK;
    size_t ndocs = lex->n < (size_t)p->prf_docs ? lex->n : (size_t)p->prf_docs;
    for (size_t d = 0; st == LM_OK && d < ndocs; d++) {
        sqlite3_stmt *a =
            lm_store_stmt(srch->s, SL_ARTICLE_TEXT, LM_SEARCH_ARTICLE_SQL, err);
        if (!a)
            st = lm_store_stmt_err(err);
        if (st != LM_OK)
            break;
        int brc = SQLITE_OK;
        lm_bind_int64(a, 1, lex->v[d].pmid, &brc);
        if (lm_bind_step(a, brc) == SQLITE_ROW) {
            lm_buf t;
            lm_buf_init(&t);
            const char *ti = (const char *)sqlite3_column_text(a, 0);
            const char *ab = (const char *)sqlite3_column_text(a, 1);
            if (lm_buf_append_str(&t, ti ? ti : "") != LM_OK || lm_buf_append_char(&t, ' ') ||
                lm_buf_append_str(&t, ab ? ab : ""))
                st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
            if (st == LM_OK)
                st = lm_words_split(lm_buf_cstr(&t), t.len, &words, err);
            lm_buf_free(&t);
            double doc_w = lex->v[d].lex / (lex->v[0].lex > 0 ? lex->v[0].lex : 1);
            for (size_t i = 0; st == LM_OK && i < words.n; i++) {
                const lm_word *w = &words.v[i];
                if (w->len < 3 || !w->has_alpha || lm_words_is_stopword(w->norm, w->len))
                    continue;
                char stem[LM_WORD_MAX + 1];
                lm_words_stem(w->norm, w->len, stem, sizeof stem);
                size_t j = 0;
                while (j < n && strcmp(terms[j].stem, stem) != 0)
                    j++;
                if (j == n) {
                    if (n == cap) {
                        size_t nc = cap ? 2 * cap : 256;
                        prf_term *nv = realloc(terms, nc * sizeof *nv);
                        if (!nv) {
                            st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
                            break;
                        }
                        terms = nv;
                        cap = nc;
                    }
                    memcpy(terms[n].norm, w->norm, (size_t)w->len + 1);
                    memcpy(terms[n].stem, stem, strlen(stem) + 1);
                    terms[n].w = 0;
                    n++;
                }
                terms[j].w += doc_w;
            }
        }
        sqlite3_reset(a);
    }
    for (size_t j = 0; j < n; j++)
        terms[j].w *= srch->ops.word_weight(srch->ops.ctx, terms[j].norm, strlen(terms[j].norm));
    if (n > 0)
        lm_qsort(terms, n, sizeof *terms, cmp_prf);
    size_t added = 0;
    double top = n ? terms[0].w : 1;
    for (size_t j = 0; st == LM_OK && j < n && added < (size_t)p->prf_terms; j++) {
        int known = 0;
        for (size_t k = 0; k < q->n; k++) {
            char qs[LM_WORD_MAX + 1];
            lm_words_stem(q->v[k].text, strlen(q->v[k].text), qs, sizeof qs);
            if (strcmp(qs, terms[j].stem) == 0)
                known = 1;
        }
        if (known || terms[j].w <= 0)
            continue;
        st = lm_qterms_add(q, terms[j].norm, strlen(terms[j].norm), LM_QTERM_SYNONYM,
                           (float)(p->prf_weight * terms[j].w / top), -1, NULL, err);
        added++;
    }
    free(terms);
    lm_words_free(&words);
    return st;
}

static int has_type(lm_searcher *srch, int64_t pmid, unsigned types, lm_error *err)
{
    for (int t = LM_ENT_CHEMICAL; t < LM_ENT_COUNT; t++) {
        if (!(types & (1u << t)))
            continue;
        sqlite3_stmt *st = lm_store_stmt(srch->s, SL_MENTION_TYPE,
                                         "SELECT 1 FROM mentions WHERE pmid = ?1 AND type = ?2"
                                         " LIMIT 1",
                                         err);
        if (!st)
            return -1;
        int brc = SQLITE_OK;
        lm_bind_int64(st, 1, pmid, &brc);
        lm_bind_text(st, 2, lm_ent_type_name((lm_ent_type)t), &brc);
        int rc = lm_bind_step(st, brc);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
            return 1;
        if (rc != SQLITE_DONE) {
            lm_store_fail(srch->s, rc, err, "filtering by entity type");
            return -1;
        }
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Whether the article pmid mentions concept id: 1, 0, or -1 on error. */
static int mentions_concept(lm_searcher *srch, int64_t concept, int64_t pmid, lm_error *err)
{
    sqlite3_stmt *q = lm_store_stmt(srch->s, SL_CONCEPT_PROBE,
                                    "SELECT 1 FROM mentions_data WHERE concept = ?1 AND pmid = ?2",
                                    err);
    if (!q)
        return -1;
    int brc = SQLITE_OK;
    lm_bind_int64(q, 1, concept, &brc);
    lm_bind_int64(q, 2, pmid, &brc);
    int rc = lm_bind_step(q, brc);
    sqlite3_reset(q);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE) {
        lm_store_fail(srch->s, rc, err, "looking up concept mentions");
        return -1;
    }
    return 0;
}

/* The id of concept in names: 1, 0 when no article mentions it, < 0 on
 * error.  Read once per query concept, not in each probe. */
static int concept_id(lm_searcher *srch, const char *concept, int64_t *id, lm_error *err)
{
    sqlite3_stmt *q = lm_store_stmt(srch->s, SL_CONCEPT_ID, "SELECT id FROM names WHERE name = ?1",
                                    err);
    if (!q)
        return -1;
    int brc = SQLITE_OK;
    lm_bind_text(q, 1, concept, &brc);
    int rc = lm_bind_step(q, brc);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        lm_store_fail(srch->s, rc, err, "looking up concept mentions");
        return -1;
    }
    return rc == SQLITE_ROW;
}

/* Counts, per candidate, the query concepts its mentions carry.  A
 * concept's articles are read whole while they are few against the
 * candidates (a rare concept: one range of the covering index
 * mentions_concept, read without the view's joins); a common one (tens of
 * thousands of articles at 1M abstracts, ~100 ms to list) is instead
 * looked up per candidate, at most 4 x (lexical + dense candidates)
 * index rows read before the switch, so the cost is bounded by the
 * candidates, not by the corpus. */
static lm_status count_concepts(lm_searcher *srch, const lm_search_results *r, unsigned types,
                                cands *c, lm_error *err)
{
    lm_status st = LM_OK;
    int64_t *docs = NULL;
    size_t n = 0, cap = 0;
    size_t n_hopeful = 0;
    for (size_t i = 0; i < c->n; i++)
        n_hopeful += !c->v[i].hopeless;
    int64_t list_limit = 4 * (int64_t)n_hopeful + 1;
    for (size_t k = 0; st == LM_OK && k < r->n_concepts; k++) {
        if (types && !(types & (1u << r->concepts[k].type)))
            continue;
        int64_t id = 0;
        int known = concept_id(srch, r->concepts[k].id, &id, err);
        if (known < 0)
            st = lm_store_stmt_err(err);
        if (known <= 0)
            continue;
        sqlite3_stmt *q = lm_store_stmt(srch->s, SL_CONCEPT_DOCS,
                                        "SELECT DISTINCT pmid FROM mentions_data WHERE concept = ?1"
                                        " LIMIT ?2",
                                        err);
        if (!q) {
            st = lm_store_stmt_err(err);
            break;
        }
        int brc = SQLITE_OK;
        lm_bind_int64(q, 1, id, &brc);
        lm_bind_int64(q, 2, list_limit, &brc);
        n = 0;
        int rc;
        while ((rc = lm_bind_step(q, brc)) == SQLITE_ROW) {
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 256;
                int64_t *nv = realloc(docs, nc * sizeof *nv);
                if (!nv) {
                    st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
                    break;
                }
                docs = nv;
                cap = nc;
            }
            docs[n++] = sqlite3_column_int64(q, 0);
        }
        if (st == LM_OK && rc != SQLITE_DONE)
            st = lm_store_fail(srch->s, rc, err, "looking up concept mentions");
        sqlite3_reset(q);
        if (st != LM_OK)
            break;
        if ((int64_t)n == list_limit) {
            for (size_t i = 0; st == LM_OK && i < c->n; i++) {
                if (c->v[i].hopeless)
                    continue;
                int has = mentions_concept(srch, id, c->v[i].pmid, err);
                if (has < 0)
                    st = lm_store_stmt_err(err);
                else
                    c->v[i].concepts += has;
            }
            continue;
        }
        if (n > 0)
            lm_qsort(docs, n, sizeof *docs, cmp_i64);
        for (size_t i = 0; i < c->n; i++)
            if (n && !c->v[i].hopeless && bsearch(&c->v[i].pmid, docs, n, sizeof *docs, cmp_i64))
                c->v[i].concepts++;
    }
    free(docs);
    return st;
}

/* A candidate's score before the concept boost (best: the query's best
 * lexical score, which scales the lexical one to [0, 1]). */
static double fused(lm_search_mode mode, const lm_search_params *p, double best, const cand *c)
{
    double l = best > 0 ? c->lex / best : 0;
    switch (mode) {
    case LM_SEARCH_LEXICAL: return l;
    case LM_SEARCH_DENSE: return c->dense;
    case LM_SEARCH_HYBRID: break;
    }
    return l + p->dense_weight * c->dense;
}

static int cmp_double_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Marks the candidates that cannot reach the top k whatever their
 * concepts: the boost only adds (concept_weight >= 0, at most
 * concept_weight), so the k-th best score before it is a floor for the
 * k-th best after, and a candidate below that floor even with the whole
 * boost (strictly, with a margin for rounding) is never shown.  Their
 * concepts are not looked up: one index probe each for a common concept,
 * for a thousand candidates or more. */
static lm_status skip_hopeless(cands *all, lm_search_mode mode, const lm_search_params *p,
                               double best, size_t k, lm_error *err)
{
    if (all->n <= k)
        return LM_OK;
    double *base = malloc(all->n * sizeof *base);
    if (!base)
        return lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
    for (size_t i = 0; i < all->n; i++)
        base[i] = fused(mode, p, best, &all->v[i]);
    lm_qsort(base, all->n, sizeof *base, cmp_double_desc);
    double kth = base[k - 1];
    double boost = (double)p->concept_weight;
    for (size_t i = 0; i < all->n; i++) {
        double most = fused(mode, p, best, &all->v[i]) + boost;
        all->v[i].hopeless = most + 1e-9 * (fabs(most) + 1.0) < kth;
    }
    free(base);
    return LM_OK;
}

static double ms_since(double t0)
{
    return (lm_now_seconds() - t0) * 1000.0;
}

lm_status lm_searcher_query(lm_searcher *srch, const lm_query_analysis *q,
                            const lm_search_options *opts, lm_search_results *out,
                            lm_error *err)
{
    double t_start = lm_now_seconds();
    lm_search_options o = {0};
    if (opts)
        o = *opts;
    lm_search_params p;
    if (o.params)
        p = *o.params;
    else
        lm_search_params_default(&p);
    size_t k = o.k > 0 ? (size_t)o.k : 10;
    out->n = 0;
    free(out->fts_query);
    out->fts_query = NULL;
    out->embed_ms = q->embed_ms;
    out->lexical_ms = out->dense_ms = 0;
    lm_search_mode mode = o.mode;
    int has_query_vector = q->vector && q->dim == srch->vc.mat.dim;
    if (mode != LM_SEARCH_LEXICAL && !(lm_searcher_has_vectors(srch) && has_query_vector)) {
        if (mode == LM_SEARCH_DENSE)
            return lm_error_set(err, LM_ERR_USAGE,
                                "no vectors: run `litmine index build` first");
        mode = LM_SEARCH_LEXICAL;
    }
    out->mode_used = mode;
    lm_status st = copy_query(out, q, err);
    if (st != LM_OK)
        return st;

    cands lex = {0}, dense = {0}, all = {0};
    double t0 = lm_now_seconds();
    int want_lex = mode != LM_SEARCH_DENSE;
    int lex_limit = p.lex_candidates > 0 ? p.lex_candidates : 1000;
    if ((size_t)lex_limit < k)
        lex_limit = (int)k;
    if (want_lex) {
        st = run_lexical(srch, &p, &out->terms, o.since_year, lex_limit, &lex, err);
        if (st == LM_OK && p.prf_docs > 0 && p.prf_terms > 0 && lex.n > 0) {
            size_t before = out->terms.n;
            st = add_feedback(srch, &p, &lex, &out->terms, err);
            if (st == LM_OK && out->terms.n > before)
                st = run_lexical(srch, &p, &out->terms, o.since_year, lex_limit, &lex, err);
        }
    }
    out->lexical_ms = ms_since(t0);
    if (st == LM_OK && want_lex) {
        out->fts_query = strdup(lm_buf_cstr(&srch->fts));
        if (!out->fts_query)
            st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
    }

    /* The vector file's background check (lm_searcher_open) ends here,
     * before any vector is read: a damaged file fails a query asked for
     * in hybrid or dense mode, also one that falls back to lexical (its
     * words have no vector), as it failed the open; one asked for in
     * lexical mode reads no vector, as `litmine query --mode lexical`
     * opens none. */
    if (st == LM_OK && o.mode != LM_SEARCH_LEXICAL)
        st = lm_vec_cache_wait(&srch->vc, err);
    int use_dense = mode != LM_SEARCH_LEXICAL;
    if (st == LM_OK && use_dense) {
        memcpy(srch->qvec, q->vector, (size_t)q->dim * sizeof *srch->qvec);
        if (p.dense_prf_docs > 0 && lex.n > 0) {
            /* The top lexical hits pull the query vector toward their
             * neighbourhood, where the dense signal is most reliable. */
            size_t m = lex.n < (size_t)p.dense_prf_docs ? lex.n : (size_t)p.dense_prf_docs;
            int dim = srch->vc.mat.dim;
            for (size_t i = 0; i < m; i++) {
                long row = lm_vec_matrix_find(&srch->vc.mat, lex.v[i].pmid);
                if (row >= 0)
                    lm_vec_matrix_axpy(&srch->vc.mat, (size_t)row, p.dense_prf_weight / (float)m,
                                       srch->qvec);
            }
            float nrm = cblas_snrm2(dim, srch->qvec, 1);
            if (nrm > 0)
                cblas_sscal(dim, 1.0f / nrm, srch->qvec, 1);
        }
        t0 = lm_now_seconds();
        size_t dk = p.dense_candidates > 0 ? (size_t)p.dense_candidates : 200;
        if (mode == LM_SEARCH_DENSE && dk < k)
            dk = k;
        lm_vec_hit *vh = st == LM_OK ? malloc(dk * sizeof *vh) : NULL;
        size_t nh = 0;
        if (st == LM_OK && !vh)
            st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
        /* A query with no known feature embeds as zero: it has no
         * neighbours, rather than every article tied at 0. */
        if (st == LM_OK && cblas_snrm2(srch->vc.mat.dim, srch->qvec, 1) > 0)
            st = lm_vec_search(&srch->vc.mat, srch->qvec, dk, o.since_year, srch->scores, vh, &nh,
                               err);
        for (size_t i = 0; st == LM_OK && i < nh; i++) {
            st = cands_push(&dense, vh[i].pmid, err);
            if (st == LM_OK) {
                dense.v[dense.n - 1].dense = vh[i].score;
                dense.v[dense.n - 1].dense_rank = (int)i + 1;
            }
        }
        free(vh);
        out->dense_ms = ms_since(t0);
    }

    /* Union by PMID; every candidate gets both scores. */
    for (size_t i = 0; st == LM_OK && i < lex.n + dense.n; i++) {
        const cand *src = i < lex.n ? &lex.v[i] : &dense.v[i - lex.n];
        st = cands_push(&all, src->pmid, err);
        if (st == LM_OK)
            all.v[all.n - 1] = *src;
    }
    if (st == LM_OK && all.n > 0) {
        lm_qsort(all.v, all.n, sizeof *all.v, cmp_cand_pmid);
        size_t w = 0;
        for (size_t i = 0; i < all.n; i++) {
            if (w > 0 && all.v[w - 1].pmid == all.v[i].pmid) {
                cand *d = &all.v[w - 1];
                if (all.v[i].lex_rank) {
                    d->lex = all.v[i].lex;
                    d->lex_rank = all.v[i].lex_rank;
                }
                if (all.v[i].dense_rank) {
                    d->dense = all.v[i].dense;
                    d->dense_rank = all.v[i].dense_rank;
                }
            } else {
                all.v[w++] = all.v[i];
            }
        }
        all.n = w;
    }
    if (st == LM_OK && use_dense)
        for (size_t i = 0; i < all.n; i++) {
            if (all.v[i].dense_rank)
                continue;
            long row = lm_vec_matrix_find(&srch->vc.mat, all.v[i].pmid);
            float d = row < 0 ? 0.0f : lm_vec_matrix_dot(&srch->vc.mat, (size_t)row, srch->qvec);
            all.v[i].dense = isfinite(d) ? d : 0.0f;   /* never a NaN score */
        }
    double best = 0;
    for (size_t i = 0; i < all.n; i++)
        if (all.v[i].lex > best)
            best = all.v[i].lex;
    if (st == LM_OK && out->n_concepts) {
        if (!o.types && p.concept_weight >= 0)
            st = skip_hopeless(&all, mode, &p, best, k, err);
        if (st == LM_OK)
            st = count_concepts(srch, out, o.types, &all, err);
    }
    if (st == LM_OK) {
        for (size_t i = 0; i < all.n; i++) {
            cand *c = &all.v[i];
            double nc = out->n_concepts ? (double)c->concepts / (double)out->n_concepts : 0;
            c->score = fused(mode, &p, best, c) + p.concept_weight * nc;
        }
        if (all.n > 0)
            lm_qsort(all.v, all.n, sizeof *all.v, cmp_cand_score);
    }
    for (size_t i = 0; st == LM_OK && i < all.n && out->n < k; i++) {
        if (o.types) {
            int h = has_type(srch, all.v[i].pmid, o.types, err);
            if (h < 0)
                st = lm_store_stmt_err(err);
            if (h <= 0)
                continue;
        }
        if (out->n == out->cap) {
            size_t nc = out->cap ? 2 * out->cap : 16;
            lm_search_hit *nv = realloc(out->hits, nc * sizeof *nv);
            if (!nv) {
                st = lm_error_set(err, LM_ERR_NOMEM, "search: out of memory");
                break;
            }
            out->hits = nv;
            out->cap = nc;
        }
        const cand *c = &all.v[i];
        out->hits[out->n++] = (lm_search_hit){c->pmid,     c->score,    c->lex, c->dense,
                                              c->concepts, c->lex_rank, c->dense_rank};
    }
    free(lex.v);
    free(dense.v);
    free(all.v);
    out->total_ms = ms_since(t_start);
    return st;
}
