/*
 * lm_lexindex: the inverted index behind lexical ranking (see lm_lexindex.h):
 * writing segments, merging them, checking them.  Ranking is in
 * lm_lexindex_search.c; both share lm_lexindex_impl.h.
 *
 * Layout: log-structured segments, as in Lucene.  Each refresh batch of the
 * search queue becomes one segment: per stem, one lex_postings row whose
 * BLOB holds the segment's postings as varints — PMID delta, title tf,
 * abstract tf, title length, abstract length.  Lengths ride along so that
 * scoring never looks a document up.  lex_docs names the segment holding
 * each article's current postings; when an article is replaced or deleted
 * a trigger removes its lex_docs row and another records (segment, PMID)
 * in lex_dead, so readers skip those postings until a merge drops them.
 * Merges follow size classes (lm_lexindex.h): F segments of one class
 * become one of the next, so each article is rewritten about once per
 * class — log_F of the corpus — and a class holds at most F - 1
 * segments, which bounds the rows read per query word.  The policy this
 * replaced merged the smallest segments whenever there were more than 8,
 * keeping the 4 largest: with 20 new segments per refresh, each refresh
 * rewrote one of the largest (a quarter of the corpus) with them, so
 * ingest cost grew with the corpus.  A segment more than a fifth dead is
 * rewritten whatever its size, which bounds the dead set every query
 * loads.
 *
 * Collection statistics (article count, average field lengths, document
 * frequencies) come from the segment rows and count dead postings until
 * their segment is rewritten (at most a fifth of it) — the approximation
 * Lucene makes; it moves scores a little and never changes which articles
 * match.
 */
#include "lm_lexindex_impl.h"

#include "../../util/lm_buf.h"
#include "../../util/lm_sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t encode_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(0x80 | (v & 0x7f));
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

/* The first posting of a list stores its PMID whole, later ones the gap. */
static lm_status put_posting(lm_buf *b, int64_t prev, const posting *x)
{
    unsigned char tmp[50];
    size_t n = encode_varint(tmp, (uint64_t)(prev == INT64_MIN ? x->pmid : x->pmid - prev));
    n += encode_varint(tmp + n, x->tf_title);
    n += encode_varint(tmp + n, x->tf_abstract);
    n += encode_varint(tmp + n, x->len_title);
    n += encode_varint(tmp + n, x->len_abstract);
    return lm_buf_append(b, (const char *)tmp, n);
}

/* ---- the writer ----------------------------------------------------------- */

typedef struct wterm {
    size_t key;               /* offset of the NUL-terminated stem in keys */
    size_t key_len;
    const char *key_ptr;      /* set once the keys stop growing (flush) */
    uint32_t df;
    uint32_t doc_seen;        /* last document (1-based) that touched it */
    uint32_t tf[2];           /* in that document: title, abstract */
    int64_t last_pmid;
    lm_buf postings;
} wterm;

typedef struct wform {
    size_t off;               /* in forms */
    uint32_t len, term;
} wform;

typedef struct wdoc {
    int64_t pmid;
    uint32_t len[2];
} wdoc;

struct lm_lexindex_writer {
    lm_buf keys;
    wterm *terms;
    size_t n_terms, cap_terms;
    uint32_t *slots;          /* open addressing: term index + 1, 0 empty */
    size_t n_slots;
    wdoc *docs;
    size_t n_docs, cap_docs;
    uint32_t *touched;
    size_t n_touched, cap_touched;
    lm_words words;
    /* Normal form -> term: a segment's words repeat, so each distinct
     * form is stemmed once (stemming was half of the indexing time). */
    lm_buf forms;
    wform *form_slots;        /* open addressing; term == UINT32_MAX empty */
    size_t n_form_slots, n_forms;
};

lm_status lm_lexindex_writer_init(lm_lexindex_writer **out, lm_error *err)
{
    lm_lexindex_writer *w = calloc(1, sizeof *w);
    if (!w)
        return nomem(err);
    lm_buf_init(&w->keys);
    lm_buf_init(&w->forms);
    lm_words_init(&w->words);
    *out = w;
    return LM_OK;
}

static void writer_clear(lm_lexindex_writer *w)
{
    for (size_t i = 0; i < w->n_terms; i++)
        lm_buf_free(&w->terms[i].postings);
    w->n_terms = 0;
    w->n_docs = 0;
    lm_buf_reset(&w->keys);
    if (w->slots)
        memset(w->slots, 0, w->n_slots * sizeof *w->slots);
    lm_buf_reset(&w->forms);
    for (size_t i = 0; i < w->n_form_slots; i++)
        w->form_slots[i].term = UINT32_MAX;
    w->n_forms = 0;
}

void lm_lexindex_writer_free(lm_lexindex_writer *w)
{
    if (!w)
        return;
    writer_clear(w);
    free(w->terms);
    free(w->slots);
    free(w->docs);
    free(w->touched);
    free(w->form_slots);
    lm_buf_free(&w->forms);
    lm_buf_free(&w->keys);
    lm_words_free(&w->words);
    free(w);
}

static lm_status grow_slots(lm_lexindex_writer *w)
{
    size_t n = w->n_slots ? 2 * w->n_slots : 4096;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return LM_ERR_NOMEM;
    for (size_t i = 0; i < w->n_terms; i++) {
        size_t h = (size_t)hash_bytes(w->keys.data + w->terms[i].key, w->terms[i].key_len) &
                   (n - 1);
        while (s[h])
            h = (h + 1) & (n - 1);
        s[h] = (uint32_t)i + 1;
    }
    free(w->slots);
    w->slots = s;
    w->n_slots = n;
    return LM_OK;
}

/* The index of stem's term, added when new; (size_t)-1 when out of memory. */
static size_t term_of(lm_lexindex_writer *w, const char *stem, size_t len)
{
    if (2 * (w->n_terms + 1) > w->n_slots && grow_slots(w) != LM_OK)
        return (size_t)-1;
    size_t mask = w->n_slots - 1;
    size_t h = (size_t)hash_bytes(stem, len) & mask;
    for (; w->slots[h]; h = (h + 1) & mask) {
        const wterm *t = &w->terms[w->slots[h] - 1];
        if (t->key_len == len && memcmp(w->keys.data + t->key, stem, len) == 0)
            return w->slots[h] - 1;
    }
    if (w->n_terms == w->cap_terms) {
        size_t nc = w->cap_terms ? 2 * w->cap_terms : 4096;
        wterm *nt = realloc(w->terms, nc * sizeof *nt);
        if (!nt)
            return (size_t)-1;
        w->terms = nt;
        w->cap_terms = nc;
    }
    size_t off = w->keys.len;
    if (lm_buf_append(&w->keys, stem, len) != LM_OK || lm_buf_append_char(&w->keys, '\0'))
        return (size_t)-1;
    wterm *t = &w->terms[w->n_terms];
    memset(t, 0, sizeof *t);
    t->key = off;
    t->key_len = len;
    t->last_pmid = INT64_MIN;
    lm_buf_init(&t->postings);
    w->slots[h] = (uint32_t)w->n_terms + 1;
    return w->n_terms++;
}

static lm_status grow_forms(lm_lexindex_writer *w)
{
    size_t n = w->n_form_slots ? 2 * w->n_form_slots : 4096;
    wform *f = malloc(n * sizeof *f);
    if (!f)
        return LM_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        f[i].term = UINT32_MAX;
    for (size_t i = 0; i < w->n_form_slots; i++) {
        if (w->form_slots[i].term == UINT32_MAX)
            continue;
        size_t h = (size_t)hash_bytes(w->forms.data + w->form_slots[i].off,
                                      w->form_slots[i].len) & (n - 1);
        while (f[h].term != UINT32_MAX)
            h = (h + 1) & (n - 1);
        f[h] = w->form_slots[i];
    }
    free(w->form_slots);
    w->form_slots = f;
    w->n_form_slots = n;
    return LM_OK;
}

/* The term of a word's normal form (stemmed on first sight). */
static size_t term_of_form(lm_lexindex_writer *w, const char *norm, size_t len)
{
    if (2 * (w->n_forms + 1) > w->n_form_slots && grow_forms(w) != LM_OK)
        return (size_t)-1;
    size_t mask = w->n_form_slots - 1;
    size_t h = (size_t)hash_bytes(norm, len) & mask;
    for (; w->form_slots[h].term != UINT32_MAX; h = (h + 1) & mask) {
        const wform *f = &w->form_slots[h];
        if (f->len == len && memcmp(w->forms.data + f->off, norm, len) == 0)
            return f->term;
    }
    char stem[LM_WORD_MAX + 1];
    size_t n = lm_words_porter(norm, len, stem, sizeof stem);
    size_t ti = term_of(w, stem, n);
    size_t off = w->forms.len;
    if (ti == (size_t)-1 || lm_buf_append(&w->forms, norm, len) != LM_OK)
        return (size_t)-1;
    w->form_slots[h] = (wform){off, (uint32_t)len, (uint32_t)ti};
    w->n_forms++;
    return ti;
}

static lm_status add_field(lm_lexindex_writer *w, const char *text, int field, uint32_t doc,
                           uint32_t *len, lm_error *err)
{
    lm_status st = lm_words_split(text ? text : "", text ? strlen(text) : 0, &w->words, err);
    if (st != LM_OK)
        return st;
    *len = (uint32_t)w->words.n;
    for (size_t i = 0; i < w->words.n; i++) {
        size_t ti = term_of_form(w, w->words.v[i].norm, w->words.v[i].len);
        if (ti == (size_t)-1)
            return nomem(err);
        wterm *t = &w->terms[ti];
        if (t->doc_seen != doc) {
            t->doc_seen = doc;
            t->tf[0] = t->tf[1] = 0;
            if (w->n_touched == w->cap_touched) {
                size_t nc = w->cap_touched ? 2 * w->cap_touched : 1024;
                uint32_t *nv = realloc(w->touched, nc * sizeof *nv);
                if (!nv)
                    return nomem(err);
                w->touched = nv;
                w->cap_touched = nc;
            }
            w->touched[w->n_touched++] = (uint32_t)ti;
        }
        t->tf[field]++;
    }
    return LM_OK;
}

lm_status lm_lexindex_writer_add(lm_lexindex_writer *w, int64_t pmid, const char *title,
                                 const char *abstract, lm_error *err)
{
    if (w->n_docs > 0 && pmid <= w->docs[w->n_docs - 1].pmid)
        return lm_error_set(err, LM_ERR_USAGE,
                            "lexical index: PMID %lld added out of order", (long long)pmid);
    if (w->n_docs == UINT32_MAX - 1)
        return lm_error_set(err, LM_ERR_USAGE, "lexical index: segment too large");
    if (w->n_docs == w->cap_docs) {
        size_t nc = w->cap_docs ? 2 * w->cap_docs : 1024;
        wdoc *nd = realloc(w->docs, nc * sizeof *nd);
        if (!nd)
            return nomem(err);
        w->docs = nd;
        w->cap_docs = nc;
    }
    uint32_t doc = (uint32_t)w->n_docs + 1;
    wdoc *d = &w->docs[w->n_docs];
    d->pmid = pmid;
    w->n_touched = 0;
    lm_status st = add_field(w, title, 0, doc, &d->len[0], err);
    if (st == LM_OK)
        st = add_field(w, abstract, 1, doc, &d->len[1], err);
    for (size_t i = 0; st == LM_OK && i < w->n_touched; i++) {
        wterm *t = &w->terms[w->touched[i]];
        posting x = {pmid, t->tf[0], t->tf[1], d->len[0], d->len[1]};
        st = put_posting(&t->postings, t->last_pmid, &x);
        t->last_pmid = pmid;
        t->df++;
    }
    if (st == LM_ERR_NOMEM)
        return nomem(err);
    if (st == LM_OK)
        w->n_docs++;
    return st;
}

static int cmp_term_key(const void *a, const void *b)
{
    const wterm *x = a, *y = b;
    return strcmp(x->key_ptr, y->key_ptr);
}

/* Steps st unless one of its binds failed (brc, see lm_bind_*). */
static lm_status step_done(lm_store *s, sqlite3_stmt *st, int brc, const char *what,
                           lm_error *err)
{
    int rc = lm_bind_step(st, brc);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? LM_OK : lm_store_fail(s, rc, err, "%s", what);
}

/* Sets the segment's article count and field length totals from lex_docs. */
static lm_status segment_update_stats(lm_store *s, int64_t seg, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(
        s, SL_SEG_STATS,
        "UPDATE lex_segments SET (n_docs, len_title, len_abstract) ="
        " (SELECT count(*), coalesce(sum(len_title), 0), coalesce(sum(len_abstract), 0)"
        " FROM lex_docs WHERE segment = ?1) WHERE id = ?1",
        err);
    if (!st)
        return lm_store_stmt_err(err);
    return step_done(s, st, sqlite3_bind_int64(st, 1, seg), "updating a lexical index segment",
                     err);
}

static lm_status segment_add(lm_store *s, int64_t *seg, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_SEG_ADD,
                                     "INSERT INTO lex_segments (n_docs, len_title, len_abstract,"
                                     " created_at) VALUES (0, 0, 0, ?1)",
                                     err);
    if (!st)
        return lm_store_stmt_err(err);
    int brc = SQLITE_OK;
    lm_bind_text_copy(st, 1, lm_store_now(s), &brc);
    lm_status ls = step_done(s, st, brc, "adding a lexical index segment", err);
    *seg = sqlite3_last_insert_rowid(lm_store_sqlite(s));
    return ls;
}

static lm_status postings_add(lm_store *s, const char *term, int64_t seg, int64_t df,
                              const lm_buf *data, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, SL_POSTING_ADD,
                                     "INSERT INTO lex_postings (term, segment, df, data)"
                                     " VALUES (?1, ?2, ?3, ?4)",
                                     err);
    if (!st)
        return lm_store_stmt_err(err);
    int brc = SQLITE_OK;
    lm_bind_text(st, 1, term, &brc);
    lm_bind_int64(st, 2, seg, &brc);
    lm_bind_int64(st, 3, df, &brc);
    lm_bind_blob(st, 4, data->data, data->len, &brc);
    return step_done(s, st, brc, "writing the lexical index", err);
}

lm_status lm_lexindex_writer_flush(lm_lexindex_writer *w, lm_store *s, lm_error *err)
{
    if (w->n_docs == 0) {
        writer_clear(w);
        return LM_OK;
    }
    int64_t seg = 0;
    lm_status ls = segment_add(s, &seg, err);
    for (size_t i = 0; ls == LM_OK && i < w->n_docs; i++) {
        /* Deleting first lets the trigger mark the old postings dead. */
        sqlite3_stmt *del = lm_store_stmt(s, SL_DOC_DELETE,
                                          "DELETE FROM lex_docs WHERE pmid = ?1", err);
        if (!del) {
            ls = lm_store_stmt_err(err);
            break;
        }
        ls = step_done(s, del, sqlite3_bind_int64(del, 1, w->docs[i].pmid),
                       "updating the lexical index", err);
        sqlite3_stmt *add = ls == LM_OK ? lm_store_stmt(s, SL_DOC_ADD,
                                                        "INSERT INTO lex_docs (pmid, segment,"
                                                        " len_title, len_abstract)"
                                                        " VALUES (?1, ?2, ?3, ?4)",
                                                        err)
                                        : NULL;
        if (ls == LM_OK && !add)
            ls = lm_store_stmt_err(err);
        if (ls != LM_OK)
            break;
        int brc = SQLITE_OK;
        lm_bind_int64(add, 1, w->docs[i].pmid, &brc);
        lm_bind_int64(add, 2, seg, &brc);
        lm_bind_int64(add, 3, w->docs[i].len[0], &brc);
        lm_bind_int64(add, 4, w->docs[i].len[1], &brc);
        ls = step_done(s, add, brc, "updating the lexical index", err);
    }
    /* Key order keeps the b-tree appends local. */
    for (size_t i = 0; i < w->n_terms; i++)
        w->terms[i].key_ptr = w->keys.data + w->terms[i].key;
    if (ls == LM_OK)
        lm_qsort(w->terms, w->n_terms, sizeof *w->terms, cmp_term_key);
    for (size_t i = 0; ls == LM_OK && i < w->n_terms; i++)
        ls = postings_add(s, w->terms[i].key_ptr, seg, w->terms[i].df,
                          &w->terms[i].postings, err);
    if (ls == LM_OK)
        ls = segment_update_stats(s, seg, err);
    writer_clear(w);
    return ls;
}

static lm_status dead_add(dead_set *d, int64_t seg, int64_t pmid)
{
    if (2 * (d->n + 1) > d->cap) {
        size_t nc = d->cap ? 2 * d->cap : 256;
        dead_key *nv = malloc(nc * sizeof *nv);
        if (!nv)
            return LM_ERR_NOMEM;
        for (size_t i = 0; i < nc; i++)
            nv[i].pmid = INT64_MIN;
        for (size_t i = 0; i < d->cap; i++) {
            if (d->v[i].pmid == INT64_MIN)
                continue;
            size_t h = dead_hash(d->v[i].segment, d->v[i].pmid, nc - 1);
            while (nv[h].pmid != INT64_MIN)
                h = (h + 1) & (nc - 1);
            nv[h] = d->v[i];
        }
        free(d->v);
        d->v = nv;
        d->cap = nc;
    }
    size_t mask = d->cap - 1;
    size_t h = dead_hash(seg, pmid, mask);
    for (; d->v[h].pmid != INT64_MIN; h = (h + 1) & mask)
        if (d->v[h].pmid == pmid && d->v[h].segment == seg)
            return LM_OK;
    d->v[h] = (dead_key){seg, pmid};
    d->n++;
    return LM_OK;
}

lm_status lm_lexindex_dead_load(lm_store *s, dead_set *d, lm_error *err)
{
    if (d->v)
        for (size_t i = 0; i < d->cap; i++)
            d->v[i].pmid = INT64_MIN;
    d->n = 0;
    sqlite3_stmt *st = lm_store_stmt(s, SL_DEAD_ALL, "SELECT segment, pmid FROM lex_dead", err);
    if (!st)
        return lm_store_stmt_err(err);
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        if (dead_add(d, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)) != LM_OK)
            ls = nomem(err);
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the lexical index");
    sqlite3_reset(st);
    return ls;
}

/* ---- merging ---------------------------------------------------------- */

typedef struct seg_info {
    int64_t id, n_docs, n_dead;
    int level;                /* size class (tiered policy) */
    int chosen;
} seg_info;

static int cmp_seg_size(const void *a, const void *b)
{
    const seg_info *x = a, *y = b;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    if (x->n_docs != y->n_docs)
        return x->n_docs < y->n_docs ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_posting_pmid(const void *a, const void *b)
{
    const posting *x = a, *y = b;
    return (x->pmid > y->pmid) - (x->pmid < y->pmid);
}

typedef struct seg_cursor {
    sqlite3_stmt *st;
    int64_t id;
    int live;                 /* st is on a row */
} seg_cursor;

static lm_status cursor_step(lm_store *s, seg_cursor *c, lm_error *err)
{
    int rc = sqlite3_step(c->st);
    c->live = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "reading the lexical index");
    return LM_OK;
}

/* Opens c on its segment's postings in term order, after the term
 * `after` when it is not NULL. */
static lm_status cursor_open(lm_store *s, seg_cursor *c, const char *after, lm_error *err)
{
    sqlite3_finalize(c->st);
    c->st = NULL;
    c->live = 0;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s),
                                after ? "SELECT term, data FROM lex_postings WHERE segment = ?1"
                                        " AND term > ?2 ORDER BY term"
                                      : "SELECT term, data FROM lex_postings WHERE segment = ?1"
                                        " ORDER BY term",
                                -1, &c->st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(c->st, 1, c->id);
    if (rc == SQLITE_OK && after)
        rc = sqlite3_bind_text(c->st, 2, after, -1, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        return lm_store_fail(s, rc, err, "merging the lexical index");
    return cursor_step(s, c, err);
}

/* The merge writes a copy of every list it reads.  Deleting the victims'
 * rows up to the last merged term every reclaim_bytes of output puts
 * their pages on the free list while the transaction still runs, and the
 * rows written next reuse them: the file grows by about reclaim_bytes
 * rather than by the whole merged index, which `index build`'s full merge
 * otherwise left behind as free pages (~570 bytes per abstract at
 * 200,000 abstracts, growing with the corpus). */
/* Deletes the victims' postings up to term (merged already) and reopens
 * the cursors after it: a statement reading a table must not be open
 * while rows it has yet to visit are deleted. */
static lm_status merge_reclaim(lm_store *s, seg_cursor *cur, size_t nv, const char *term,
                               lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(s);
    for (size_t i = 0; i < nv; i++) {
        sqlite3_finalize(cur[i].st);
        cur[i].st = NULL;
        cur[i].live = 0;
    }
    lm_status ls = LM_OK;
    for (size_t i = 0; ls == LM_OK && i < nv; i++) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, "DELETE FROM lex_postings WHERE segment = ?1"
                                        " AND term <= ?2", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            lm_bind_int64(st, 1, cur[i].id, &rc);
            lm_bind_text(st, 2, term, &rc);
            rc = lm_bind_step(st, rc);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            ls = lm_store_fail(s, rc, err, "merging the lexical index");
    }
    for (size_t i = 0; ls == LM_OK && i < nv; i++)
        ls = cursor_open(s, &cur[i], term, err);
    return ls;
}

static lm_status merge_segments(lm_store *s, const seg_info *victims, size_t nv,
                                size_t reclaim_bytes, lm_error *err)
{
    sqlite3 *db = lm_store_sqlite(s);
    dead_set dead = {0};
    seg_cursor *cur = calloc(nv, sizeof *cur);
    posting *buf = NULL;
    size_t nbuf = 0, capbuf = 0, unreclaimed = 0;
    lm_buf out, term;
    lm_buf_init(&out);
    lm_buf_init(&term);
    int64_t seg = 0;
    lm_status ls = cur ? lm_lexindex_dead_load(s, &dead, err) : nomem(err);
    if (ls == LM_OK)
        ls = segment_add(s, &seg, err);
    for (size_t i = 0; ls == LM_OK && i < nv; i++) {
        cur[i].id = victims[i].id;
        ls = cursor_open(s, &cur[i], NULL, err);
    }
    while (ls == LM_OK) {
        /* The smallest term among the cursors, then all its lists. */
        const char *min = NULL;
        for (size_t i = 0; i < nv; i++) {
            const char *t = cur[i].live ? (const char *)sqlite3_column_text(cur[i].st, 0) : NULL;
            if (t && (!min || strcmp(t, min) < 0))
                min = t;
        }
        if (!min)
            break;
        lm_buf_reset(&term);
        if (lm_buf_append_str(&term, min) != LM_OK) {
            ls = nomem(err);
            break;
        }
        nbuf = 0;
        for (size_t i = 0; ls == LM_OK && i < nv; i++) {
            if (!cur[i].live || strcmp((const char *)sqlite3_column_text(cur[i].st, 0),
                                       lm_buf_cstr(&term)) != 0)
                continue;
            const unsigned char *p = sqlite3_column_blob(cur[i].st, 1);
            const unsigned char *end = p + sqlite3_column_bytes(cur[i].st, 1);
            posting x = {INT64_MIN, 0, 0, 0, 0};
            int r;
            while ((r = next_posting(&p, end, &x)) == 1) {
                if (dead_has(&dead, cur[i].id, x.pmid))
                    continue;
                if (nbuf == capbuf) {
                    size_t nc = capbuf ? 2 * capbuf : 4096;
                    posting *nb = realloc(buf, nc * sizeof *nb);
                    if (!nb) {
                        ls = nomem(err);
                        break;
                    }
                    buf = nb;
                    capbuf = nc;
                }
                buf[nbuf++] = x;
            }
            if (ls == LM_OK && r < 0)
                ls = lm_error_set(err, LM_ERR_DB,
                                  "lexical index: malformed postings of \"%s\" in segment %lld",
                                  lm_buf_cstr(&term), (long long)cur[i].id);
            if (ls == LM_OK)
                ls = cursor_step(s, &cur[i], err);
        }
        if (ls != LM_OK || nbuf == 0)
            continue;
        lm_qsort(buf, nbuf, sizeof *buf, cmp_posting_pmid);
        lm_buf_reset(&out);
        int64_t prev = INT64_MIN;
        for (size_t j = 0; ls == LM_OK && j < nbuf; j++) {
            if (put_posting(&out, prev, &buf[j]) != LM_OK)
                ls = nomem(err);
            prev = buf[j].pmid;
        }
        if (ls == LM_OK)
            ls = postings_add(s, lm_buf_cstr(&term), seg, (int64_t)nbuf, &out, err);
        unreclaimed += out.len;
        if (ls == LM_OK && unreclaimed >= reclaim_bytes) {
            ls = merge_reclaim(s, cur, nv, lm_buf_cstr(&term), err);
            unreclaimed = 0;
        }
    }
    for (size_t i = 0; cur && i < nv; i++)
        sqlite3_finalize(cur[i].st);
    static const char *const moves[] = {
        "UPDATE lex_docs SET segment = ?2 WHERE segment = ?1",
        "DELETE FROM lex_postings WHERE segment = ?1",
        "DELETE FROM lex_dead WHERE segment = ?1",
        "DELETE FROM lex_segments WHERE id = ?1",
    };
    for (size_t i = 0; ls == LM_OK && i < nv; i++)
        for (size_t m = 0; ls == LM_OK && m < sizeof moves / sizeof moves[0]; m++) {
            sqlite3_stmt *st = NULL;
            int rc = sqlite3_prepare_v2(db, moves[m], -1, &st, NULL);
            if (rc == SQLITE_OK) {
                lm_bind_int64(st, 1, victims[i].id, &rc);
                if (m == 0)
                    lm_bind_int64(st, 2, seg, &rc);
                rc = lm_bind_step(st, rc);
            }
            sqlite3_finalize(st);
            if (rc != SQLITE_DONE)
                ls = lm_store_fail(s, rc, err, "merging the lexical index");
        }
    if (ls == LM_OK)
        ls = segment_update_stats(s, seg, err);
    free(cur);
    free(buf);
    free(dead.v);
    lm_buf_free(&out);
    lm_buf_free(&term);
    return ls;
}

/* Segments with more dead postings than this fraction of their articles
 * are rewritten even when they are large, so that the dead set readers
 * load stays small and collection statistics stay close. */
#define DEAD_SHARE_REWRITE 0.2

/* The size class of a segment of n live articles: 0 under floor * factor,
 * then L while under floor * factor^(L+1). */
static int size_class(int64_t n, const lm_lexindex_tiers *t)
{
    int level = 0;
    int64_t cap = t->floor_docs * t->factor;
    while (n >= cap && cap <= INT64_MAX / t->factor) {
        cap *= t->factor;
        level++;
    }
    return level;
}

/* The victims come first in segs; returns how many.  t NULL merges all.
 * Tiered: the lowest class holding factor segments or more, all of them
 * (a refresh adds many small segments at once: merging the whole class
 * lifts its articles a class up in one rewrite), plus any segment more
 * than a fifth dead. */
static size_t choose_victims(seg_info *segs, size_t n, const lm_lexindex_tiers *t)
{
    for (size_t i = 0; i < n; i++) {
        segs[i].level = t ? size_class(segs[i].n_docs, t) : 0;
        segs[i].chosen = !t;
    }
    lm_qsort(segs, n, sizeof *segs, cmp_seg_size);
    for (size_t i = 0; t && i < n;) {
        size_t j = i;
        while (j < n && segs[j].level == segs[i].level)
            j++;
        if (j - i >= (size_t)t->factor) {
            for (size_t m = i; m < j; m++)
                segs[m].chosen = 1;
            break;
        }
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        if ((double)segs[i].n_dead > DEAD_SHARE_REWRITE * (double)segs[i].n_docs)
            segs[i].chosen = 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (segs[i].chosen) {
            seg_info x = segs[i];
            segs[i] = segs[k];
            segs[k++] = x;
        }
    /* One segment is worth rewriting only to drop its dead postings. */
    if (k == 1 && segs[0].n_dead == 0)
        k = 0;
    return k;
}

/* One merge in its own transaction: the victims t (NULL: all) picks.
 * stats gets the segments and articles rewritten. */
static lm_status merge_once(lm_store *s, const lm_lexindex_tiers *t, size_t reclaim_bytes,
                            lm_lexindex_merge_stats *stats, lm_error *err)
{
    /* The list is read inside the write transaction: a concurrent merge
     * cannot have taken the victims away meanwhile. */
    lm_status ls = lm_store_begin(s, err);
    if (ls != LM_OK)
        return ls;
    seg_info *segs = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st = lm_store_stmt(s, SL_SEGMENTS,
                                     "SELECT g.id, g.n_docs, (SELECT count(*) FROM lex_dead d"
                                     " WHERE d.segment = g.id) FROM lex_segments g",
                                     err);
    int rc = SQLITE_DONE;
    if (!st)
        ls = lm_store_stmt_err(err);
    while (ls == LM_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            seg_info *nv = realloc(segs, nc * sizeof *nv);
            if (!nv) {
                ls = nomem(err);
                break;
            }
            segs = nv;
            cap = nc;
        }
        segs[n++] = (seg_info){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                               sqlite3_column_int64(st, 2), 0, 0};
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "reading the lexical index");
    if (st)
        sqlite3_reset(st);
    size_t victims = ls == LM_OK ? choose_victims(segs, n, t) : 0;
    if (victims > 0)
        ls = merge_segments(s, segs, victims, reclaim_bytes, err);
    if (ls == LM_OK)
        ls = lm_store_commit(s, err);
    else
        lm_store_rollback(s, NULL);
    memset(stats, 0, sizeof *stats);
    if (ls == LM_OK && victims > 0) {
        stats->merges = 1;
        stats->segments = (int64_t)victims;
        for (size_t i = 0; i < victims; i++)
            stats->docs += segs[i].n_docs;
    }
    free(segs);
    return ls;
}

lm_status lm_lexindex_merge_tiered(lm_store *s, const lm_lexindex_tiers *t,
                                   lm_lexindex_merge_stats *stats, lm_error *err)
{
    if (t->factor < 2 || t->floor_docs < 1)
        return lm_error_set(err, LM_ERR_USAGE,
                            "lexical index: merge factor must be >= 2 and floor >= 1");
    /* Each merge empties a class or a dead segment: the loop ends. */
    for (;;) {
        lm_lexindex_merge_stats one;
        lm_status ls = merge_once(s, t, t->reclaim_bytes, &one, err);
        if (ls != LM_OK)
            return ls;
        if (one.merges == 0)
            return LM_OK;
        if (stats) {
            stats->merges += one.merges;
            stats->segments += one.segments;
            stats->docs += one.docs;
        }
    }
}

lm_status lm_lexindex_merge(lm_store *s, int all, int *merged, lm_error *err)
{
    return lm_lexindex_merge_reclaiming(s, all, LM_LEXINDEX_RECLAIM_BYTES, merged, err);
}

lm_status lm_lexindex_merge_reclaiming(lm_store *s, int all, size_t reclaim_bytes, int *merged,
                                       lm_error *err)
{
    lm_lexindex_merge_stats stats = {0};
    lm_status ls;
    if (all) {
        ls = merge_once(s, NULL, reclaim_bytes, &stats, err);
    } else {
        lm_lexindex_tiers t = {LM_LEXINDEX_MERGE_FACTOR, LM_LEXINDEX_FLOOR_DOCS, reclaim_bytes};
        ls = lm_lexindex_merge_tiered(s, &t, &stats, err);
    }
    if (merged)
        *merged = ls == LM_OK ? (int)stats.segments : 0;
    return ls;
}

lm_status lm_lexindex_reset(lm_store *s, lm_error *err)
{
    int rc = sqlite3_exec(lm_store_sqlite(s),
                          "DELETE FROM lex_postings; DELETE FROM lex_docs;"
                          " DELETE FROM lex_dead; DELETE FROM lex_segments;"
                          " INSERT OR IGNORE INTO search_pending (pmid)"
                          " SELECT pmid FROM articles;",
                          NULL, NULL, NULL);
    return rc == SQLITE_OK ? LM_OK : lm_store_fail(s, rc, err, "resetting the lexical index");
}

static lm_status count_sql(lm_store *s, const char *sql, int64_t *out, lm_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(lm_store_sqlite(s), sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? LM_OK : lm_store_fail(s, rc, err, "reading the lexical index");
}

lm_status lm_lexindex_get_info(lm_store *s, lm_lexindex_info *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    lm_status ls = count_sql(s, "SELECT count(*) FROM lex_segments", &out->segments, err);
    if (ls == LM_OK)
        ls = count_sql(s, "SELECT count(*) FROM lex_docs", &out->docs, err);
    if (ls == LM_OK)
        ls = count_sql(s, "SELECT count(*) FROM lex_dead", &out->dead, err);
    if (ls == LM_OK)
        ls = count_sql(s, "SELECT count(DISTINCT term) FROM lex_postings", &out->terms, err);
    return ls;
}

lm_status lm_lexindex_check(lm_store *s, lm_error *err)
{
    int64_t stray = 0;
    lm_status ls = count_sql(s,
                             "SELECT count(*) FROM lex_docs d WHERE NOT EXISTS"
                             " (SELECT 1 FROM articles a WHERE a.pmid = d.pmid)"
                             " OR NOT EXISTS (SELECT 1 FROM lex_segments g"
                             " WHERE g.id = d.segment)",
                             &stray, err);
    if (ls != LM_OK)
        return ls;
    if (stray)
        return lm_error_set(err, LM_ERR_DB,
                            "lexical index: %lld indexed article(s) no longer exist",
                            (long long)stray);
    /* With nothing queued, every article must be indexed. */
    int64_t missing = 0;
    ls = count_sql(s,
                   "SELECT (SELECT count(*) FROM articles) - (SELECT count(*) FROM lex_docs)"
                   " - (SELECT count(*) FROM search_pending)",
                   &missing, err);
    if (ls == LM_OK && missing > 0)
        ls = lm_error_set(err, LM_ERR_DB,
                          "lexical index: %lld article(s) neither indexed nor queued",
                          (long long)missing);
    if (ls != LM_OK)
        return ls;
    dead_set dead = {0};
    ls = lm_lexindex_dead_load(s, &dead, err);
    sqlite3_stmt *st = NULL, *doc = NULL;
    int rc = SQLITE_OK;
    if (ls == LM_OK)
        rc = sqlite3_prepare_v2(lm_store_sqlite(s),
                                "SELECT term, segment, df, data FROM lex_postings", -1, &st, NULL);
    if (ls == LM_OK && rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(lm_store_sqlite(s),
                                "SELECT 1 FROM lex_docs WHERE pmid = ?1 AND segment = ?2", -1,
                                &doc, NULL);
    if (ls == LM_OK && rc != SQLITE_OK)
        ls = lm_store_fail(s, rc, err, "checking the lexical index");
    while (ls == LM_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(st, 0);
        int64_t seg = sqlite3_column_int64(st, 1), df = sqlite3_column_int64(st, 2), n = 0;
        const unsigned char *p = sqlite3_column_blob(st, 3);
        const unsigned char *end = p + sqlite3_column_bytes(st, 3);
        posting x = {INT64_MIN, 0, 0, 0, 0};
        int r;
        while (ls == LM_OK && (r = next_posting(&p, end, &x)) == 1) {
            n++;
            if (x.tf_title + x.tf_abstract == 0 || x.tf_title > x.len_title ||
                x.tf_abstract > x.len_abstract)
                ls = lm_error_set(err, LM_ERR_DB,
                                  "lexical index: impossible counts for \"%s\" in article %lld",
                                  term, (long long)x.pmid);
            else if (!dead_has(&dead, seg, x.pmid)) {
                int brc = SQLITE_OK;
                lm_bind_int64(doc, 1, x.pmid, &brc);
                lm_bind_int64(doc, 2, seg, &brc);
                int drc = lm_bind_step(doc, brc);
                sqlite3_reset(doc);
                if (drc != SQLITE_ROW && drc != SQLITE_DONE)
                    ls = lm_store_fail(s, drc, err, "checking the lexical index");
                else if (drc == SQLITE_DONE)
                    ls = lm_error_set(err, LM_ERR_DB,
                                      "lexical index: article %lld in segment %lld is neither"
                                      " live nor dead",
                                      (long long)x.pmid, (long long)seg);
            }
        }
        if (ls == LM_OK && (r < 0 || n != df))
            ls = lm_error_set(err, LM_ERR_DB,
                              "lexical index: malformed postings of \"%s\" in segment %lld",
                              term ? term : "", (long long)seg);
    }
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = lm_store_fail(s, rc, err, "checking the lexical index");
    sqlite3_finalize(st);
    sqlite3_finalize(doc);
    free(dead.v);
    return ls;
}

