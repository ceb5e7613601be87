/*
 * lm_lexindex_search: ranking with the lexical index (see lm_lexindex.h):
 * BM25F over the posting lists of the query's words, document at a time,
 * then phrase evidence from the text of the best candidates.
 *
 * Without a filter the best `limit` articles are kept in a heap while the
 * lists are walked, and MaxScore pruning skips the articles that cannot
 * enter it: a word adds at most weight x idf x (k1 + 1) (BM25's
 * saturation limit, whatever the term frequency and length), so once the
 * heap is full the words whose bounds sum below its worst score are
 * "non-essential": an article holding only those cannot enter, and
 * candidates come from the other lists alone.  The non-essential lists are
 * only moved forward to each candidate (decoding PMIDs, skipping the other
 * fields), and stop being read for a candidate as soon as its score so far
 * plus their bounds falls below the heap's worst.  The pruning is exact:
 * an article is dropped only when its bound is strictly below the worst
 * kept score (with a margin for rounding), every article kept is scored
 * in full, its terms summed in the same order as the exhaustive walk, so
 * the hits and their scores are the ones the exhaustive walk gives.  Phrase
 * evidence is added after the selection, to the first phrase_depth hits,
 * so it changes their order but not which articles are selected.  With a
 * filter (`query --year-from`, a year lookup per article) every
 * article is scored and sorted, then filtered in order; tests reach that
 * exhaustive walk without a filter through
 * lm_lexindex_reader_set_exhaustive.
 */
#include "lm_lexindex_impl.h"

#include "../../util/lm_buf.h"
#include "../../util/lm_sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- ranking ---------------------------------------------------------- */

/* Evaluation is document at a time: within a segment, the posting lists
 * of the query's words are walked together in PMID order and each
 * article's score is summed from the lists positioned on it.  Every read
 * is sequential — a hash table of accumulators, the obvious alternative,
 * misses the cache on nearly every posting once it outgrows L2. */

typedef struct tcursor {
    int64_t seg;
    size_t off, len;          /* the list's bytes in reader->blobs */
    const unsigned char *p, *end;
    const unsigned char *rest;   /* after cursor_seek: cur's fields, not yet decoded */
    posting cur;
    double w;                 /* query weight x idf */
    int live;
} tcursor;

/* Phrase evidence stems every word of the best candidates' text, the
 * same words again and again: their stem hashes are remembered (a pure
 * function of the word), in a direct-mapped table kept across queries. */
#define STEM_CACHE 8192

typedef struct stem_slot {
    uint64_t stem;
    uint8_t len;              /* 0: empty */
    char norm[LM_WORD_MAX];
} stem_slot;

typedef struct phrase {
    uint64_t stems[8];        /* hashes of the stemmed words */
    size_t n;
    double weight, idf;
} phrase;

struct lm_lexindex_reader {
    lm_buf blobs;             /* copies of the query's posting lists */
    tcursor *cur;
    size_t n_cur, cap_cur;
    lm_lexindex_hit *all;     /* every scored article */
    size_t n_all, cap_all;
    lm_lexindex_hit *hits;
    size_t hits_cap;
    int exhaustive;           /* score every article (tests compare) */
    size_t n_scored;          /* articles scored in full by the last search */
    double *contrib, *ub;     /* per cursor of a segment: its term's score, bound */
    double *below;            /* below[j]: the bounds of order[0..j) summed */
    size_t *order;            /* the segment's cursors by increasing bound */
    unsigned char *matched;
    size_t cap_seg;
    dead_set dead;
    double *inv_norm[2];      /* 1 / BM25 length norm by field length */
    size_t norm_len[2];
    phrase *phrases;
    size_t n_phrases, cap_phrases;
    lm_words words;
    uint64_t *text_stems;
    size_t cap_text_stems;
    unsigned char first_bytes[256];   /* first bytes of phrase words */
    struct stem_slot *stems;  /* STEM_CACHE words' stem hashes, direct-mapped */
};

lm_status lm_lexindex_reader_init(lm_lexindex_reader **out, lm_error *err)
{
    lm_lexindex_reader *r = calloc(1, sizeof *r);
    if (!r)
        return nomem(err);
    lm_buf_init(&r->blobs);
    lm_words_init(&r->words);
    *out = r;
    return LM_OK;
}

void lm_lexindex_reader_free(lm_lexindex_reader *r)
{
    if (!r)
        return;
    lm_buf_free(&r->blobs);
    free(r->cur);
    free(r->all);
    free(r->hits);
    free(r->contrib);
    free(r->ub);
    free(r->below);
    free(r->order);
    free(r->matched);
    free(r->dead.v);
    free(r->inv_norm[0]);
    free(r->inv_norm[1]);
    free(r->phrases);
    free(r->text_stems);
    free(r->stems);
    lm_words_free(&r->words);
    free(r);
}

void lm_lexindex_reader_set_exhaustive(lm_lexindex_reader *r, int on)
{
    r->exhaustive = on != 0;
}

size_t lm_lexindex_reader_scored(const lm_lexindex_reader *r)
{
    return r->n_scored;
}

typedef struct collection {
    double n_docs, avg_len[2];
} collection;

static lm_status collection_stats(lm_store *s, collection *c, int64_t n_dead, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_COLLECTION,
                                     "SELECT coalesce(sum(n_docs), 0), coalesce(sum(len_title), 0),"
                                     " coalesce(sum(len_abstract), 0) FROM lex_segments",
                                     err);
    if (!st)
        return lm_store_stmt_err(err);
    int rc = sqlite3_step(st);
    double docs = 0, lt = 0, la = 0;
    if (rc == SQLITE_ROW) {
        docs = (double)sqlite3_column_int64(st, 0);
        lt = (double)sqlite3_column_int64(st, 1);
        la = (double)sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return lm_store_fail(s, rc, err, "reading the lexical index");
    c->n_docs = docs - (double)n_dead > 1 ? docs - (double)n_dead : 1;
    c->avg_len[0] = docs > 0 && lt > 0 ? lt / docs : 1;
    c->avg_len[1] = docs > 0 && la > 0 ? la / docs : 1;
    return LM_OK;
}

/* The document frequency from the covering index (term, df) of schema 17,
 * named: with ANALYZE's statistics SQLite may prefer a skip-scan of the
 * primary key, which reads each row's posting list. */
static lm_status term_df(lm_store *s, const char *stem, int64_t *df, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_TERM_DF,
                                     "SELECT coalesce(sum(df), 0) FROM lex_postings"
                                     " INDEXED BY lex_postings_term WHERE term = ?1",
                                     err);
    if (!st)
        return lm_store_stmt_err(err);
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, stem, &brc);
    int rc = lm_bind_step(st, brc);
    *df = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? LM_OK : lm_store_fail(s, rc, err, "reading the lexical index");
}

static double idf_of(const collection *c, int64_t df)
{
    /* Lucene's IDF: never negative, so a very common word adds a little
     * instead of subtracting. */
    return log(1.0 + (c->n_docs - (double)df + 0.5) / ((double)df + 0.5));
}

/* Field lengths up to this get their norm from a table. */
#define NORM_TABLE 4096

static double field_norm(const lm_lexindex_params *p, const collection *c, int f, double len)
{
    double b = f == 0 ? p->b_title : p->b_abstract;
    double w = f == 0 ? p->w_title : p->w_abstract;
    return w / (1.0 - b + b * len / c->avg_len[f]);
}

static lm_status norms_prepare(lm_lexindex_reader *r, const lm_lexindex_params *p,
                               const collection *c)
{
    for (int f = 0; f < 2; f++) {
        if (!r->inv_norm[f]) {
            r->inv_norm[f] = malloc(NORM_TABLE * sizeof *r->inv_norm[f]);
            if (!r->inv_norm[f])
                return LM_ERR_NOMEM;
        }
        for (size_t len = 0; len < NORM_TABLE; len++)
            r->inv_norm[f][len] = field_norm(p, c, f, (double)len);
    }
    return LM_OK;
}

static inline double norm_of(const lm_lexindex_reader *r, const lm_lexindex_params *p,
                             const collection *c, int f, uint32_t len)
{
    return len < NORM_TABLE ? r->inv_norm[f][len] : field_norm(p, c, f, (double)len);
}

/* BM25F: per-field tf scaled by weight and length norm, then saturated. */
static inline double bm25f(const lm_lexindex_reader *r, const lm_lexindex_params *p,
                           const collection *c, uint32_t tf_t, uint32_t tf_a, uint32_t len_t,
                           uint32_t len_a)
{
    double t = 0;
    if (tf_t)
        t += tf_t * norm_of(r, p, c, 0, len_t);
    if (tf_a)
        t += tf_a * norm_of(r, p, c, 1, len_a);
    return t > 0 ? t * (p->k1 + 1.0) / (t + p->k1) : 0;
}

static lm_status cursor_push(lm_lexindex_reader *r, int64_t seg, const void *data, size_t len,
                             double w)
{
    if (r->n_cur == r->cap_cur) {
        size_t nc = r->cap_cur ? 2 * r->cap_cur : 32;
        tcursor *nv = realloc(r->cur, nc * sizeof *nv);
        if (!nv)
            return LM_ERR_NOMEM;
        r->cur = nv;
        r->cap_cur = nc;
    }
    tcursor *c = &r->cur[r->n_cur++];
    memset(c, 0, sizeof *c);
    c->seg = seg;
    c->off = r->blobs.len;
    c->len = len;
    c->w = w;
    return len ? lm_buf_append(&r->blobs, data, len) : LM_OK;
}

/* Copies the posting lists of one word (every segment) into the reader. */
static lm_status load_term(lm_lexindex_reader *r, lm_store *s, const char *stem, double w,
                           lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_TERM_POSTINGS,
                                     "SELECT segment, data FROM lex_postings WHERE term = ?1",
                                     err);
    if (!st)
        return lm_store_stmt_err(err);
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, stem, &brc);
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW)
        if (cursor_push(r, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
                        (size_t)sqlite3_column_bytes(st, 1), w) != LM_OK)
            ls = nomem(err);
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the lexical index");
    sqlite3_reset(st);
    return ls;
}

static int cmp_cursor_seg(const void *a, const void *b)
{
    const tcursor *x = a, *y = b;
    return (x->seg > y->seg) - (x->seg < y->seg);
}

static lm_status cursor_next(tcursor *c)
{
    int k = next_posting(&c->p, c->end, &c->cur);
    c->live = k == 1;
    return k < 0 ? LM_ERR_DB : LM_OK;
}

static lm_status all_push(lm_lexindex_reader *r, int64_t pmid, double score)
{
    if (r->n_all == r->cap_all) {
        size_t nc = r->cap_all ? 2 * r->cap_all : 4096;
        lm_lexindex_hit *nv = realloc(r->all, nc * sizeof *nv);
        if (!nv)
            return LM_ERR_NOMEM;
        r->all = nv;
        r->cap_all = nc;
    }
    r->all[r->n_all++] = (lm_lexindex_hit){pmid, score};
    return LM_OK;
}

/* Walks the cursors cur[0..n) of one segment together. */
static lm_status score_segment(lm_lexindex_reader *r, const lm_lexindex_params *p,
                               const collection *c, tcursor *cur, size_t n, lm_error *err)
{
    int64_t seg = cur[0].seg;
    for (size_t i = 0; i < n; i++) {
        cur[i].p = (const unsigned char *)r->blobs.data + cur[i].off;
        cur[i].end = cur[i].p + cur[i].len;
        cur[i].cur.pmid = INT64_MIN;
        if (cursor_next(&cur[i]) != LM_OK)
            return lm_error_set(err, LM_ERR_DB,
                                "lexical index: malformed postings in segment %lld",
                                (long long)seg);
    }
    for (;;) {
        int64_t pmid = INT64_MAX;
        int any = 0;
        for (size_t i = 0; i < n; i++)
            if (cur[i].live && cur[i].cur.pmid <= pmid) {
                pmid = cur[i].cur.pmid;
                any = 1;
            }
        if (!any)
            return LM_OK;
        double score = 0;
        for (size_t i = 0; i < n; i++) {
            tcursor *t = &cur[i];
            if (!t->live || t->cur.pmid != pmid)
                continue;
            score += t->w * bm25f(r, p, c, t->cur.tf_title, t->cur.tf_abstract,
                                  t->cur.len_title, t->cur.len_abstract);
            if (cursor_next(t) != LM_OK)
                return lm_error_set(err, LM_ERR_DB,
                                    "lexical index: malformed postings in segment %lld",
                                    (long long)seg);
        }
        if (r->dead.n && dead_has(&r->dead, seg, pmid))
            continue;
        if (all_push(r, pmid, score) != LM_OK)
            return nomem(err);
    }
}

static int hit_better(const lm_lexindex_hit *a, const lm_lexindex_hit *b)
{
    return a->score > b->score || (a->score == b->score && a->pmid < b->pmid);
}

static int cmp_hit(const void *a, const void *b)
{
    const lm_lexindex_hit *x = a, *y = b;
    return hit_better(x, y) ? -1 : hit_better(y, x) ? 1 : 0;
}

/* Min-heap on "better": the root is the worst hit kept. */
static void heap_down(lm_lexindex_hit *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && hit_better(&h[m], &h[l]))
            m = l;
        if (l + 1 < n && hit_better(&h[m], &h[l + 1]))
            m = l + 1;
        if (m == i)
            return;
        lm_lexindex_hit t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_up(lm_lexindex_hit *h, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!hit_better(&h[parent], &h[i]))
            return;
        lm_lexindex_hit t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

static lm_status hits_reserve(lm_lexindex_reader *r, size_t limit, lm_error *err)
{
    if (limit > r->hits_cap) {
        lm_lexindex_hit *nv = realloc(r->hits, limit * sizeof *nv);
        if (!nv)
            return nomem(err);
        r->hits = nv;
        r->hits_cap = limit;
    }
    return LM_OK;
}

/* ---- pruned walk ---------------------------------------------------------- */

/* Whether a bound falls below theta with a margin: a sum of a few dozen
 * doubles in another order differs by far less.  The margin is added, not
 * multiplied, so that it stays on the safe side for a negative bound (a
 * negative query weight). */
static inline int bound_below(double bound, double theta)
{
    return bound + 1e-9 * (fabs(bound) + 1.0) < theta;
}

/* Skips n varints from p; NULL when the bytes end first.  A varint ends
 * at each byte whose high bit is clear: eight bytes are read at once when
 * the host is little-endian (the stops' order is then the bytes'). */
static inline const unsigned char *skip_varints(const unsigned char *p,
                                                const unsigned char *end, int n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, sizeof x);
        uint64_t stops = ~x & 0x8080808080808080ULL;
        for (int k = 1; k < n; k++)
            stops &= stops - 1;
        if (stops)
            return p + __builtin_ctzll(stops) / 8 + 1;
    }
#endif
    for (; n > 0; n--) {
        while (p < end && (*p & 0x80))
            p++;
        if (p == end)
            return NULL;
        p++;
    }
    return p;
}

/* Moves c to its first posting at or after target, decoding only the
 * PMIDs on the way: the fields of the posting it stops on are decoded by
 * cursor_fields when needed.  c is on a decoded posting before. */
static lm_status cursor_seek(tcursor *c, int64_t target)
{
    while (c->live && c->cur.pmid < target) {
        if (c->p >= c->end) {
            c->live = 0;
            break;
        }
        uint64_t gap;
        const unsigned char *f = get_varint(c->p, c->end, &gap);
        if (!f || gap == 0 || gap > (uint64_t)(INT64_MAX - c->cur.pmid))
            return LM_ERR_DB;
        c->cur.pmid += (int64_t)gap;
        c->rest = f;
        c->p = skip_varints(f, c->end, 4);
        if (!c->p)
            return LM_ERR_DB;
    }
    return LM_OK;
}

static lm_status cursor_fields(tcursor *c)
{
    if (!c->rest)
        return LM_OK;
    uint64_t v[4];
    const unsigned char *f = c->rest;
    for (int i = 0; i < 4; i++) {
        f = get_varint(f, c->end, &v[i]);
        if (!f || v[i] > UINT32_MAX)
            return LM_ERR_DB;
    }
    c->cur.tf_title = (uint32_t)v[0];
    c->cur.tf_abstract = (uint32_t)v[1];
    c->cur.len_title = (uint32_t)v[2];
    c->cur.len_abstract = (uint32_t)v[3];
    c->rest = NULL;
    return LM_OK;
}

static lm_status seg_scratch(lm_lexindex_reader *r, size_t n)
{
    if (n <= r->cap_seg)
        return LM_OK;
    double *contrib = realloc(r->contrib, n * sizeof *contrib);
    if (contrib)
        r->contrib = contrib;
    double *ub = realloc(r->ub, n * sizeof *ub);
    if (ub)
        r->ub = ub;
    double *below = realloc(r->below, (n + 1) * sizeof *below);
    if (below)
        r->below = below;
    size_t *order = realloc(r->order, n * sizeof *order);
    if (order)
        r->order = order;
    unsigned char *matched = realloc(r->matched, n);
    if (matched)
        r->matched = matched;
    if (!contrib || !ub || !below || !order || !matched)
        return LM_ERR_NOMEM;
    r->cap_seg = n;
    return LM_OK;
}

/* How many of the segment's cursors, taken by increasing bound, an
 * article can hold and still fall strictly below theta. */
static size_t non_essential(const lm_lexindex_reader *r, size_t n, double theta)
{
    size_t m = 0;
    while (m < n && bound_below(r->below[m + 1], theta))
        m++;
    return m;
}

/* Offers one scored article to the heap of the best *k (at most limit);
 * 1 when the heap's worst score may have risen. */
static int heap_offer(lm_lexindex_hit *h, size_t *k, size_t limit, int64_t pmid, double score)
{
    lm_lexindex_hit hit = {pmid, score};
    if (*k < limit) {
        h[*k] = hit;
        heap_up(h, (*k)++);
        return *k == limit;
    }
    if (!hit_better(&hit, &h[0]))
        return 0;
    h[0] = hit;
    heap_down(h, *k, 0);
    return 1;
}

/* The MaxScore walk of one segment's cursors cur[0..n) into the heap
 * r->hits[0..*k) (see the top of the file). */
static lm_status score_segment_pruned(lm_lexindex_reader *r, const lm_lexindex_params *p,
                                      const collection *c, tcursor *cur, size_t n,
                                      size_t limit, size_t *k, lm_error *err)
{
    int64_t seg = cur[0].seg;
    if (seg_scratch(r, n) != LM_OK)
        return nomem(err);
    double sat = (double)p->k1 + 1.0;
    for (size_t i = 0; i < n; i++) {
        cur[i].p = (const unsigned char *)r->blobs.data + cur[i].off;
        cur[i].end = cur[i].p + cur[i].len;
        cur[i].rest = NULL;
        cur[i].cur.pmid = INT64_MIN;
        r->ub[i] = cur[i].w > 0 ? cur[i].w * sat : 0;
        r->matched[i] = 0;
        size_t j = i;   /* insertion by bound; ties keep cursor order */
        while (j > 0 && r->ub[r->order[j - 1]] > r->ub[i]) {
            r->order[j] = r->order[j - 1];
            j--;
        }
        r->order[j] = i;
        if (cursor_next(&cur[i]) != LM_OK)
            goto malformed;
    }
    r->below[0] = 0;
    for (size_t j = 0; j < n; j++)
        r->below[j + 1] = r->below[j] + r->ub[r->order[j]];
    size_t m = *k == limit ? non_essential(r, n, r->hits[0].score) : 0;
    while (m < n) {
        int64_t pmid = INT64_MAX;
        int any = 0;
        for (size_t j = m; j < n; j++) {
            const tcursor *t = &cur[r->order[j]];
            if (t->live && t->cur.pmid <= pmid) {
                pmid = t->cur.pmid;
                any = 1;
            }
        }
        if (!any)
            break;
        /* The lists on pmid bound it first: most candidates stop here. */
        double bound = r->below[m];
        for (size_t j = m; j < n; j++) {
            const tcursor *t = &cur[r->order[j]];
            if (t->live && t->cur.pmid == pmid)
                bound += r->ub[r->order[j]];
        }
        if (*k == limit && bound_below(bound, r->hits[0].score)) {
            for (size_t j = m; j < n; j++) {
                tcursor *t = &cur[r->order[j]];
                if (t->live && t->cur.pmid == pmid && cursor_next(t) != LM_OK)
                    goto malformed;
            }
            continue;
        }
        double part = 0;
        for (size_t j = m; j < n; j++) {
            size_t i = r->order[j];
            tcursor *t = &cur[i];
            if (!t->live || t->cur.pmid != pmid)
                continue;
            r->contrib[i] = t->w * bm25f(r, p, c, t->cur.tf_title, t->cur.tf_abstract,
                                         t->cur.len_title, t->cur.len_abstract);
            r->matched[i] = 1;
            part += r->contrib[i];
            if (cursor_next(t) != LM_OK)
                goto malformed;
        }
        /* The non-essential lists, largest bound first, while the
         * article can still enter. */
        int pruned = 0;
        for (size_t j = m; j-- > 0;) {
            if (bound_below(part + r->below[j + 1], r->hits[0].score)) {
                pruned = 1;
                break;
            }
            size_t i = r->order[j];
            tcursor *t = &cur[i];
            if (cursor_seek(t, pmid) != LM_OK)
                goto malformed;
            if (!t->live || t->cur.pmid != pmid)
                continue;
            if (cursor_fields(t) != LM_OK)
                goto malformed;
            r->contrib[i] = t->w * bm25f(r, p, c, t->cur.tf_title, t->cur.tf_abstract,
                                         t->cur.len_title, t->cur.len_abstract);
            r->matched[i] = 1;
            part += r->contrib[i];
        }
        double score = 0;
        for (size_t i = 0; i < n; i++)
            if (r->matched[i]) {
                score += r->contrib[i];
                r->matched[i] = 0;
            }
        if (pruned || (r->dead.n && dead_has(&r->dead, seg, pmid)))
            continue;
        r->n_scored++;
        if (heap_offer(r->hits, k, limit, pmid, score))
            m = non_essential(r, n, r->hits[0].score);
    }
    return LM_OK;
malformed:
    return lm_error_set(err, LM_ERR_DB, "lexical index: malformed postings in segment %lld",
                        (long long)seg);
}

/* The best `limit` scored articles that pass keep, best first. */
static lm_status select_hits(lm_lexindex_reader *r, size_t limit, lm_lexindex_filter keep,
                             void *keep_ctx, size_t *n, lm_error *err)
{
    *n = 0;
    lm_status ls = hits_reserve(r, limit, err);
    if (ls != LM_OK)
        return ls;
    if (!keep) {
        size_t k = 0;
        for (size_t i = 0; i < r->n_all; i++) {
            if (k < limit) {
                r->hits[k] = r->all[i];
                heap_up(r->hits, k++);
            } else if (hit_better(&r->all[i], &r->hits[0])) {
                r->hits[0] = r->all[i];
                heap_down(r->hits, k, 0);
            }
        }
        lm_qsort(r->hits, k, sizeof *r->hits, cmp_hit);
        *n = k;
        return LM_OK;
    }
    /* Filtered: everything sorted, then kept in order until full. */
    lm_qsort(r->all, r->n_all, sizeof *r->all, cmp_hit);
    size_t w = 0;
    for (size_t i = 0; i < r->n_all && w < limit; i++) {
        int v = keep(keep_ctx, r->all[i].pmid, err);
        if (v < 0)
            return lm_store_stmt_err(err);
        if (v)
            r->hits[w++] = r->all[i];
    }
    *n = w;
    return LM_OK;
}

/* Stem hash of a word, or 0 when its first byte starts no phrase word
 * (stemming only strips suffixes, so it never changes the first byte). */
static uint64_t stem_hash(const lm_lexindex_reader *r, const lm_word *wd)
{
    if (wd->len == 0 || !r->first_bytes[(unsigned char)wd->norm[0]])
        return 0;
    stem_slot *slot = NULL;
    if (r->stems && wd->len <= LM_WORD_MAX) {
        slot = &r->stems[hash_bytes(wd->norm, wd->len) & (STEM_CACHE - 1)];
        if (slot->len == wd->len && memcmp(slot->norm, wd->norm, wd->len) == 0)
            return slot->stem;
    }
    char stem[LM_WORD_MAX + 1];
    size_t n = lm_words_porter(wd->norm, wd->len, stem, sizeof stem);
    uint64_t h = hash_bytes(stem, n);
    if (slot) {
        slot->stem = h;
        slot->len = wd->len;
        memcpy(slot->norm, wd->norm, wd->len);
    }
    return h;
}

/* Occurrences of ph among the words of one field. */
static uint32_t count_phrase(const phrase *ph, const uint64_t *stems, size_t n)
{
    uint32_t c = 0;
    for (size_t i = 0; i + ph->n <= n; i++) {
        size_t j = 0;
        while (j < ph->n && stems[i + j] == ph->stems[j])
            j++;
        c += j == ph->n;
    }
    return c;
}

static lm_status field_stems(lm_lexindex_reader *r, const char *text, size_t off, size_t *n,
                             lm_error *err)
{
    lm_status st = lm_words_split(text ? text : "", text ? strlen(text) : 0, &r->words, err);
    if (st != LM_OK)
        return st;
    if (off + r->words.n > r->cap_text_stems) {
        size_t nc = 2 * (off + r->words.n) + 64;
        uint64_t *nv = realloc(r->text_stems, nc * sizeof *nv);
        if (!nv)
            return nomem(err);
        r->text_stems = nv;
        r->cap_text_stems = nc;
    }
    for (size_t i = 0; i < r->words.n; i++)
        r->text_stems[off + i] = stem_hash(r, &r->words.v[i]);
    *n = r->words.n;
    return LM_OK;
}

/* Adds phrase evidence to the first `depth` hits, from their text. */
static lm_status rescore_phrases(lm_lexindex_reader *r, lm_store *s, const lm_lexindex_params *p,
                                 const collection *c, size_t depth, lm_error *err)
{
    if (!r->stems)
        r->stems = calloc(STEM_CACHE, sizeof *r->stems);   /* without it: no cache */
    lm_status ls = LM_OK;
    for (size_t i = 0; ls == LM_OK && i < depth; i++) {
        sqlite3_stmt *st = lm_store_stmt(s, SL_TEXT,
                                         "SELECT title, abstract FROM articles WHERE pmid = ?1",
                                         err);
        if (!st)
            return lm_store_stmt_err(err);
        int brc = SQLITE_OK;
        lm_bind_int64(st, 1, r->hits[i].pmid, &brc);
        int rc = lm_bind_step(st, brc);
        size_t nt = 0, na = 0;
        if (rc == SQLITE_ROW) {
            ls = field_stems(r, (const char *)sqlite3_column_text(st, 0), 0, &nt, err);
            if (ls == LM_OK)
                ls = field_stems(r, (const char *)sqlite3_column_text(st, 1), nt, &na, err);
        } else if (rc != SQLITE_DONE) {
            ls = lm_store_fail(s, rc, err, "reading article text");
        }
        sqlite3_reset(st);
        for (size_t j = 0; ls == LM_OK && rc == SQLITE_ROW && j < r->n_phrases; j++) {
            const phrase *ph = &r->phrases[j];
            uint32_t ct = count_phrase(ph, r->text_stems, nt);
            uint32_t ca = count_phrase(ph, r->text_stems + nt, na);
            if (ct + ca)
                r->hits[i].score += ph->weight * ph->idf *
                                    bm25f(r, p, c, ct, ca, (uint32_t)nt, (uint32_t)na);
        }
    }
    if (ls == LM_OK)
        lm_qsort(r->hits, depth, sizeof *r->hits, cmp_hit);
    return ls;
}

typedef struct uterm {
    char stem[LM_WORD_MAX + 1];
    double weight;
} uterm;

/* Splits q into one-word terms (merged by stem) and phrases (merged by
 * their stems; idf of their rarest word). */
static lm_status plan_query(lm_lexindex_reader *r, lm_store *s, const collection *c,
                            const lm_qterms *q, uterm *u, size_t *nu, lm_error *err)
{
    lm_words qw;
    lm_words_init(&qw);
    lm_status ls = LM_OK;
    *nu = 0;
    r->n_phrases = 0;
    memset(r->first_bytes, 0, sizeof r->first_bytes);
    for (size_t i = 0; ls == LM_OK && i < q->n; i++) {
        ls = lm_words_split(q->v[i].text, strlen(q->v[i].text), &qw, err);
        if (ls != LM_OK || qw.n == 0)
            continue;
        if (qw.n == 1) {
            char stem[LM_WORD_MAX + 1];
            lm_words_porter(qw.v[0].norm, qw.v[0].len, stem, sizeof stem);
            size_t j = 0;
            while (j < *nu && strcmp(u[j].stem, stem) != 0)
                j++;
            if (j == *nu) {
                memcpy(u[j].stem, stem, strlen(stem) + 1);
                u[j].weight = q->v[i].weight;
                ++*nu;
            } else if (q->v[i].weight > u[j].weight) {
                u[j].weight = q->v[i].weight;
            }
            continue;
        }
        phrase ph = {{0}, qw.n < 8 ? qw.n : 8, q->v[i].weight, 0};
        for (size_t k = 0; ls == LM_OK && k < ph.n; k++) {
            char stem[LM_WORD_MAX + 1];
            size_t sn = lm_words_porter(qw.v[k].norm, qw.v[k].len, stem, sizeof stem);
            ph.stems[k] = hash_bytes(stem, sn);
            int64_t df = 0;
            ls = term_df(s, stem, &df, err);
            if (ls == LM_OK && idf_of(c, df) > ph.idf)
                ph.idf = idf_of(c, df);
        }
        if (ls != LM_OK)
            break;
        size_t j = 0;
        while (j < r->n_phrases && (r->phrases[j].n != ph.n ||
                                    memcmp(r->phrases[j].stems, ph.stems,
                                           ph.n * sizeof ph.stems[0]) != 0))
            j++;
        if (j < r->n_phrases) {
            if (ph.weight > r->phrases[j].weight)
                r->phrases[j].weight = ph.weight;
            continue;
        }
        if (r->n_phrases == r->cap_phrases) {
            size_t nc = r->cap_phrases ? 2 * r->cap_phrases : 16;
            phrase *nv = realloc(r->phrases, nc * sizeof *nv);
            if (!nv) {
                ls = nomem(err);
                break;
            }
            r->phrases = nv;
            r->cap_phrases = nc;
        }
        r->phrases[r->n_phrases++] = ph;
        for (size_t k = 0; k < ph.n; k++)
            r->first_bytes[(unsigned char)qw.v[k].norm[0]] = 1;
    }
    lm_words_free(&qw);
    return ls;
}

lm_status lm_lexindex_search(lm_lexindex_reader *r, lm_store *s, const lm_lexindex_params *p,
                             const lm_qterms *q, size_t limit, lm_lexindex_filter keep,
                             void *keep_ctx, const lm_lexindex_hit **hits, size_t *n,
                             lm_error *err)
{
    *hits = r->hits;
    *n = 0;
    r->n_cur = r->n_all = r->n_scored = 0;
    lm_buf_reset(&r->blobs);
    if (q->n == 0 || limit == 0)
        return LM_OK;
    uterm *u = calloc(q->n, sizeof *u);
    size_t nu = 0;
    collection c = {0};
    /* One read transaction: in WAL mode each statement would otherwise
     * see its own snapshot, and a refresh committed between reading the
     * dead set and the postings could return an article twice or one
     * already deleted. */
    sqlite3 *db = lm_store_sqlite(s);
    int began = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) ==
                                                   SQLITE_OK;
    lm_status ls = u ? lm_lexindex_dead_load(s, &r->dead, err) : nomem(err);
    if (ls == LM_OK)
        ls = collection_stats(s, &c, (int64_t)r->dead.n, err);
    if (ls == LM_OK && norms_prepare(r, p, &c) != LM_OK)
        ls = nomem(err);
    if (ls == LM_OK)
        ls = plan_query(r, s, &c, q, u, &nu, err);
    for (size_t i = 0; ls == LM_OK && i < nu; i++) {
        int64_t df = 0;
        ls = term_df(s, u[i].stem, &df, err);
        if (ls == LM_OK && df > 0)
            ls = load_term(r, s, u[i].stem, u[i].weight * idf_of(&c, df), err);
    }
    if (ls == LM_OK)
        lm_qsort(r->cur, r->n_cur, sizeof *r->cur, cmp_cursor_seg);
    /* BM25's bound needs k1 > 0 (bm25f then lies in [0, k1 + 1)). */
    int pruned = !keep && !r->exhaustive && p->k1 > 0 && isfinite(p->k1);
    size_t k = 0;
    if (ls == LM_OK && pruned)
        ls = hits_reserve(r, limit, err);
    for (size_t i = 0; ls == LM_OK && i < r->n_cur;) {
        size_t j = i + 1;
        while (j < r->n_cur && r->cur[j].seg == r->cur[i].seg)
            j++;
        ls = pruned ? score_segment_pruned(r, p, &c, r->cur + i, j - i, limit, &k, err)
                    : score_segment(r, p, &c, r->cur + i, j - i, err);
        i = j;
    }
    if (ls == LM_OK && pruned) {
        lm_qsort(r->hits, k, sizeof *r->hits, cmp_hit);
        *n = k;
    } else if (ls == LM_OK) {
        r->n_scored = r->n_all;
        ls = select_hits(r, limit, keep, keep_ctx, n, err);
    }
    if (ls == LM_OK && r->n_phrases > 0 && *n > 0)
        ls = rescore_phrases(r, s, p, &c, *n < p->phrase_depth ? *n : p->phrase_depth, err);
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (ls != LM_OK)
        *n = 0;
    *hits = r->hits;
    free(u);
    return ls;
}

/* ---- every word ---------------------------------------------------------- */

static int cmp_pmid(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The live PMIDs of the posting lists loaded in r, sorted; *out grows. */
static lm_status live_pmids(lm_lexindex_reader *r, int64_t **out, size_t *n, size_t *cap,
                            lm_error *err)
{
    *n = 0;
    for (size_t i = 0; i < r->n_cur; i++) {
        tcursor *c = &r->cur[i];
        c->p = (const unsigned char *)r->blobs.data + c->off;
        c->end = c->p + c->len;
        c->cur.pmid = INT64_MIN;
        for (;;) {
            if (cursor_next(c) != LM_OK)
                return lm_error_set(err, LM_ERR_DB,
                                    "lexical index: damaged posting list in segment %lld"
                                    " (run `litmine index check`)",
                                    (long long)c->seg);
            if (!c->live)
                break;
            if (dead_has(&r->dead, c->seg, c->cur.pmid))
                continue;
            if (*n == *cap) {
                size_t nc = *cap ? 2 * *cap : 1024;
                int64_t *nv = realloc(*out, nc * sizeof *nv);
                if (!nv)
                    return nomem(err);
                *out = nv;
                *cap = nc;
            }
            (*out)[(*n)++] = c->cur.pmid;
        }
    }
    lm_qsort(*out, *n, sizeof **out, cmp_pmid);
    return LM_OK;
}

lm_status lm_lexindex_match_all(lm_lexindex_reader *r, lm_store *s, const char *text,
                                int64_t **pmids, size_t *n, lm_error *err)
{
    *pmids = NULL;
    *n = 0;
    lm_words w;
    lm_words_init(&w);
    lm_status ls = lm_words_split(text, strlen(text), &w, err);
    if (ls == LM_OK && w.n == 0)
        ls = lm_error_set(err, LM_ERR_USAGE, "no word to search for in '%s'", text);
    if (ls != LM_OK) {
        lm_words_free(&w);
        return ls;
    }
    sqlite3 *db = lm_store_sqlite(s);
    int began = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) ==
                                                   SQLITE_OK;
    int64_t *set = NULL, *word = NULL;
    size_t n_set = 0, cap_set = 0, n_word = 0, cap_word = 0;
    ls = lm_lexindex_dead_load(s, &r->dead, err);
    for (size_t i = 0; ls == LM_OK && i < w.n; i++) {
        char stem[LM_WORD_MAX + 1];
        lm_words_porter(w.v[i].norm, w.v[i].len, stem, sizeof stem);
        r->n_cur = 0;
        lm_buf_reset(&r->blobs);
        ls = load_term(r, s, stem, 1.0, err);
        if (ls == LM_OK)
            ls = live_pmids(r, i == 0 ? &set : &word, i == 0 ? &n_set : &n_word,
                            i == 0 ? &cap_set : &cap_word, err);
        if (ls != LM_OK)
            continue;
        if (i > 0) {   /* set = set AND word, both sorted */
            size_t a = 0, b = 0, k = 0;
            while (a < n_set && b < n_word) {
                if (set[a] < word[b]) {
                    a++;
                } else if (set[a] > word[b]) {
                    b++;
                } else {
                    set[k++] = set[a];
                    a++;
                    b++;
                }
            }
            n_set = k;
        }
        if (n_set == 0)
            break;
    }
    if (began)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    lm_words_free(&w);
    free(word);
    if (ls != LM_OK || n_set == 0) {
        free(set);
        return ls;
    }
    *pmids = set;
    *n = n_set;
    return LM_OK;
}
