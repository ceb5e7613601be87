/*
 * Explaining a hit: the article's sentence with the most query evidence,
 * where the query's words and concepts are in it, and the article's
 * relations (see lm_searcher_explain in lm_search.h).  Sentences come from
 * the store, or from the text operations' splitter for an article stored
 * without them.
 */
#include "lm_search_impl.h"

#include "../../util/lm_sort.h"
#include "../../util/lm_utf8.h"

#include <stdlib.h>
#include <string.h>

void lm_search_explanation_free(lm_search_explanation *e)
{
    free(e->title);
    free(e->journal);
    free(e->sentence);
    free(e->marks);
    for (size_t i = 0; i < e->n_pairs; i++) {
        free(e->pairs[i].chemical);
        free(e->pairs[i].disease);
        free(e->pairs[i].relation);
    }
    free(e->pairs);
    memset(e, 0, sizeof *e);
}

/* A NULL column stays NULL; a copy that fails sets *failed, so that out of
 * memory is not mistaken for a missing value. */
static char *dup_col(sqlite3_stmt *st, int i, int *failed)
{
    return lm_strdup_opt((const char *)sqlite3_column_text(st, i), failed);
}

/* A concept's display name (the text operations' lexicon), else the text
 * of its mention (a concept without an id, or no names known). */
static char *concept_name(const lm_searcher *srch, sqlite3_stmt *st, int id_col, int text_col,
                          int *failed)
{
    const char *id = (const char *)sqlite3_column_text(st, id_col);
    const char *name = srch->ops.concept_name && id ? srch->ops.concept_name(srch->ops.ctx, id)
                                                    : NULL;
    if (name && name[0])
        return lm_strdup_opt(name, failed);
    return dup_col(st, text_col, failed);
}

/* The article's relations, as the pairs stage decided them (candidates it
 * left as mere co-occurrences are not shown). */
static lm_status load_pairs(lm_searcher *srch, int64_t pmid, lm_search_explanation *e,
                            lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(srch->s, SL_PAIRS,
                                     "SELECT chemical_id, chemical_text, disease_id, disease_text,"
                                     " relation, score FROM pairs WHERE pmid = ?1"
                                     " AND relation <> 'cooccurs' ORDER BY score DESC LIMIT 5",
                                     err);
    if (!st)
        return lm_store_stmt_err(err);
    int brc = SQLITE_OK, failed = 0, rc = SQLITE_DONE;
    lm_bind_int64(st, 1, pmid, &brc);
    while (!failed && (rc = lm_bind_step(st, brc)) == SQLITE_ROW) {
        lm_search_pair *nv = realloc(e->pairs, (e->n_pairs + 1) * sizeof *nv);
        if (!nv) {
            failed = 1;
            break;
        }
        e->pairs = nv;
        lm_search_pair *pr = &e->pairs[e->n_pairs++];
        pr->chemical = concept_name(srch, st, 0, 1, &failed);
        pr->disease = concept_name(srch, st, 2, 3, &failed);
        pr->relation = dup_col(st, 4, &failed);
        pr->score = sqlite3_column_double(st, 5);
    }
    sqlite3_reset(st);
    /* a hit explained with fewer pairs than stored would look complete */
    if (failed)
        return lm_error_nomem(err, "explaining a hit");
    if (rc != SQLITE_DONE)
        return lm_store_fail(srch->s, rc, err, "reading the relations of article %lld",
                             (long long)pmid);
    return LM_OK;
}

typedef struct mark_list {
    lm_search_span *v;
    size_t n, cap;
} mark_list;

static int mark_push(mark_list *m, uint32_t a, uint32_t b)
{
    if (m->n == m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 16;
        lm_search_span *nv = realloc(m->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        m->v = nv;
        m->cap = nc;
    }
    m->v[m->n++] = (lm_search_span){a, b};
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const lm_search_span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end < y->end) - (x->end > y->end);
}

lm_status lm_searcher_explain(lm_searcher *srch, const lm_search_results *r, size_t hit,
                              lm_search_explanation *e, lm_error *err)
{
    memset(e, 0, sizeof *e);
    if (hit >= r->n)
        return lm_error_set(err, LM_ERR_USAGE, "no hit %zu", hit);
    int64_t pmid = r->hits[hit].pmid;
    e->pmid = pmid;
    sqlite3_stmt *a = lm_store_stmt(srch->s, SL_ARTICLE_TEXT, LM_SEARCH_ARTICLE_SQL, err);
    if (!a)
        return lm_store_stmt_err(err);
    int brc = SQLITE_OK;
    lm_bind_int64(a, 1, pmid, &brc);
    int rc = lm_bind_step(a, brc);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(a);
        return rc == SQLITE_DONE
                   ? lm_error_set(err, LM_ERR_NOTFOUND, "article %lld is gone", (long long)pmid)
                   : lm_store_fail(srch->s, rc, err, "reading article %lld", (long long)pmid);
    }
    lm_buf text;
    lm_buf_init(&text);
    const char *ti = (const char *)sqlite3_column_text(a, 0);
    const char *ab = (const char *)sqlite3_column_text(a, 1);
    size_t title_len = ti ? strlen(ti) : 0;
    lm_status st = LM_OK;
    if (lm_buf_append_str(&text, ti ? ti : "") != LM_OK || lm_buf_append_char(&text, ' ') ||
        lm_buf_append_str(&text, ab ? ab : ""))
        st = lm_error_nomem(err, "explaining a hit");
    e->title = ti ? strdup(ti) : strdup("");
    e->year = sqlite3_column_int(a, 2);
    int failed = 0;
    e->journal = dup_col(a, 3, &failed);
    sqlite3_reset(a);
    if (st == LM_OK && (!e->title || failed))
        st = lm_error_nomem(err, "explaining a hit");

    /* Sentence spans: stored (code points) or split now (bytes). */
    lm_spans sents;
    lm_spans_init(&sents);
    lm_utf8_map map;
    lm_utf8_map_init(&map);
    if (st == LM_OK)
        st = lm_utf8_map_build(&map, lm_buf_cstr(&text), text.len, err);
    if (st == LM_OK) {
        sqlite3_stmt *q = lm_store_stmt(srch->s, SL_SENTENCES,
                                        "SELECT start, \"end\" FROM sentences WHERE pmid = ?1"
                                        " ORDER BY idx",
                                        err);
        if (!q)
            st = lm_store_stmt_err(err);
        else {
            brc = sqlite3_bind_int64(q, 1, pmid);
            while (st == LM_OK && (rc = lm_bind_step(q, brc)) == SQLITE_ROW) {
                size_t b0 = lm_utf8_map_to_byte(&map, (size_t)sqlite3_column_int(q, 0));
                size_t b1 = lm_utf8_map_to_byte(&map, (size_t)sqlite3_column_int(q, 1));
                if (b0 != SIZE_MAX && b1 != SIZE_MAX && b0 < b1 && b1 <= text.len &&
                    lm_spans_push(&sents, (uint32_t)b0, (uint32_t)b1) != LM_OK)
                    st = lm_error_nomem(err, "explaining a hit");
            }
            sqlite3_reset(q);
            /* a failed read is not an article stored without sentences */
            if (st == LM_OK && rc != SQLITE_DONE)
                st = lm_store_fail(srch->s, rc, err, "reading the sentences of article %lld",
                                   (long long)pmid);
        }
    }
    if (st == LM_OK && sents.n == 0) {
        /* Titles often lack a final period: split the title and the
         * abstract separately so the first sentence does not swallow it. */
        lm_spans abs_sents;
        lm_spans_init(&abs_sents);
        if (title_len > 0 && lm_spans_push(&sents, 0, (uint32_t)title_len) != LM_OK)
            st = lm_error_nomem(err, "explaining a hit");
        if (st == LM_OK && text.len > title_len + 1) {
            const char *abstract = text.data + title_len + 1;
            size_t abstract_len = text.len - title_len - 1;
            if (srch->ops.split_sentences)
                st = srch->ops.split_sentences(srch->ops.ctx, abstract, abstract_len, &abs_sents,
                                               err);
            else if (lm_spans_push(&abs_sents, 0, (uint32_t)abstract_len) != LM_OK)
                st = lm_error_nomem(err, "explaining a hit");
        }
        for (size_t i = 0; st == LM_OK && i < abs_sents.n; i++)
            if (lm_spans_push(&sents, abs_sents.v[i].start + (uint32_t)title_len + 1,
                              abs_sents.v[i].end + (uint32_t)title_len + 1) != LM_OK)
                st = lm_error_nomem(err, "explaining a hit");
        lm_spans_free(&abs_sents);
    }

    /* Concept mention spans (bytes) of the query's concepts. */
    mark_list cm = {0};
    for (size_t k = 0; st == LM_OK && k < r->n_concepts; k++) {
        sqlite3_stmt *q = lm_store_stmt(srch->s, SL_CONCEPT_SPANS,
                                        "SELECT start, \"end\" FROM mentions WHERE pmid = ?1"
                                        " AND concept_id = ?2",
                                        err);
        if (!q) {
            st = lm_store_stmt_err(err);
            break;
        }
        brc = SQLITE_OK;
        lm_bind_int64(q, 1, pmid, &brc);
        lm_bind_text(q, 2, r->concepts[k].id, &brc);
        while (st == LM_OK && (rc = lm_bind_step(q, brc)) == SQLITE_ROW) {
            size_t b0 = lm_utf8_map_to_byte(&map, (size_t)sqlite3_column_int(q, 0));
            size_t b1 = lm_utf8_map_to_byte(&map, (size_t)sqlite3_column_int(q, 1));
            if (b0 != SIZE_MAX && b1 != SIZE_MAX && b0 < b1 && mark_push(&cm, (uint32_t)b0,
                                                                       (uint32_t)b1) != 0)
                st = lm_error_nomem(err, "explaining a hit");
        }
        sqlite3_reset(q);
        if (st == LM_OK && rc != SQLITE_DONE)
            st = lm_store_fail(srch->s, rc, err, "reading the concepts of article %lld",
                               (long long)pmid);
    }

    /* Query stems (words typed and expansions). */
    size_t nq = r->terms.n;
    char(*qstems)[LM_WORD_MAX + 1] = calloc(nq ? nq : 1, sizeof *qstems);
    float *qw = calloc(nq ? nq : 1, sizeof *qw);
    if (st == LM_OK && (!qstems || !qw))
        st = lm_error_nomem(err, "explaining a hit");
    size_t nqs = 0;
    for (size_t i = 0; st == LM_OK && i < nq; i++) {
        if (r->terms.v[i].kind == LM_QTERM_PHRASE || strchr(r->terms.v[i].text, ' '))
            continue;
        lm_words_stem(r->terms.v[i].text, strlen(r->terms.v[i].text), qstems[nqs],
                      sizeof qstems[nqs]);
        float idf = srch->ops.word_weight
                        ? srch->ops.word_weight(srch->ops.ctx, r->terms.v[i].text,
                                                strlen(r->terms.v[i].text))
                        : 1.0f;
        qw[nqs++] = r->terms.v[i].weight * (idf > 0 ? idf : 1.0f);
    }

    /* Best sentence: most distinct query stems (weighted) and concepts;
     * the title only when no abstract sentence matches. */
    lm_words words;
    lm_words_init(&words);
    double best = -1;
    size_t best_i = 0;
    unsigned char *seen = calloc(nqs ? nqs : 1, 1);
    if (st == LM_OK && !seen)
        st = lm_error_nomem(err, "explaining a hit");
    for (size_t si = 0; st == LM_OK && si < sents.n; si++) {
        uint32_t s0 = sents.v[si].start, s1 = sents.v[si].end;
        st = lm_words_split(text.data + s0, s1 - s0, &words, err);
        memset(seen, 0, nqs ? nqs : 1);
        double sc = 0;
        for (size_t wi = 0; st == LM_OK && wi < words.n; wi++) {
            char stem[LM_WORD_MAX + 1];
            lm_words_stem(words.v[wi].norm, words.v[wi].len, stem, sizeof stem);
            for (size_t q = 0; q < nqs; q++)
                if (!seen[q] && strcmp(stem, qstems[q]) == 0) {
                    seen[q] = 1;
                    sc += qw[q];
                }
        }
        for (size_t c = 0; c < cm.n; c++)
            if (cm.v[c].start >= s0 && cm.v[c].end <= s1)
                sc += 1.0;
        if (s1 <= title_len && sents.n > 1)
            sc *= 0.5;   /* the title is printed anyway */
        if (sc > best) {
            best = sc;
            best_i = si;
        }
    }
    if (st == LM_OK && sents.n > 0) {
        uint32_t s0 = sents.v[best_i].start, s1 = sents.v[best_i].end;
        e->sentence = lm_strndup(text.data + s0, s1 - s0);
        if (!e->sentence)
            st = lm_error_nomem(err, "explaining a hit");
        mark_list ml = {0};
        if (st == LM_OK)
            st = lm_words_split(e->sentence, s1 - s0, &words, err);
        for (size_t wi = 0; st == LM_OK && wi < words.n; wi++) {
            char stem[LM_WORD_MAX + 1];
            lm_words_stem(words.v[wi].norm, words.v[wi].len, stem, sizeof stem);
            for (size_t q = 0; q < nqs; q++)
                if (strcmp(stem, qstems[q]) == 0) {
                    if (mark_push(&ml, words.v[wi].start, words.v[wi].end) != 0)
                        st = lm_error_nomem(err, "explaining a hit");
                    break;
                }
        }
        for (size_t c = 0; st == LM_OK && c < cm.n; c++)
            if (cm.v[c].start >= s0 && cm.v[c].end <= s1 &&
                mark_push(&ml, cm.v[c].start - s0, cm.v[c].end - s0) != 0)
                st = lm_error_nomem(err, "explaining a hit");
        /* Sorted and merged, so a printer can walk them once. */
        if (ml.n > 0)
            lm_qsort(ml.v, ml.n, sizeof *ml.v, cmp_span);
        size_t w = 0;
        for (size_t i = 0; i < ml.n; i++) {
            if (w && ml.v[i].start <= ml.v[w - 1].end) {
                if (ml.v[i].end > ml.v[w - 1].end)
                    ml.v[w - 1].end = ml.v[i].end;
            } else {
                ml.v[w++] = ml.v[i];
            }
        }
        e->marks = ml.v;
        e->n_marks = w;
    }
    if (st == LM_OK)
        st = load_pairs(srch, pmid, e, err);
    free(seen);
    free(qstems);
    free(qw);
    free(cm.v);
    lm_words_free(&words);
    lm_spans_free(&sents);
    lm_utf8_map_free(&map);
    lm_buf_free(&text);
    if (st != LM_OK)
        lm_search_explanation_free(e);
    return st;
}
