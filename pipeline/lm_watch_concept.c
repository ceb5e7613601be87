/*
 * Writing the concept-watch reports (lm_watch_concept.h).  The watches are
 * copied out of the store first, because each report updates its watch's
 * row; a report's rows are gathered in memory (a night's new articles on
 * one concept are a handful to a few thousand) so the JSON can nest each
 * article's pairs.
 */
#include "lm_watch_concept.h"

#include "../store/lm_store_concept_watch.h"
#include "../util/lm_buf.h"
#include "../util/lm_file.h"
#include "../util/lm_json.h"
#include "../util/lm_rows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct watch_copy {
    char *name, *concept_id, *pair_with, *relation, *reported_through;
} watch_copy;

typedef struct watch_list {
    watch_copy *v;
    size_t n;
} watch_list;

static char *dup_opt(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *c = strdup(s);
    *bad |= c == NULL;
    return c;
}

static lm_status copy_watch(void *ctx, const lm_concept_watch *w)
{
    watch_list *l = ctx;
    watch_copy *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return LM_ERR_NOMEM;
    l->v = v;
    int bad = 0;
    watch_copy c = {dup_opt(w->name, &bad), dup_opt(w->concept_id, &bad),
                    dup_opt(w->pair_with, &bad), dup_opt(w->relation, &bad),
                    dup_opt(w->reported_through, &bad)};
    l->v[l->n++] = c;
    return bad ? LM_ERR_NOMEM : LM_OK;
}

static void watches_free(watch_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].concept_id);
        free(l->v[i].pair_with);
        free(l->v[i].relation);
        free(l->v[i].reported_through);
    }
    free(l->v);
}

/* One report's rows. */
typedef struct hit {
    int64_t pmid;
    char *title, *journal, *ingested_at;
    int year;
    int64_t mentions;
} hit;

typedef struct pair {
    int64_t pmid;
    char *chem, *chem_text, *dis, *dis_text, *relation, *evidence;
    double score;
} pair;

typedef struct report {
    hit *hits;
    size_t n_hits;
    pair *pairs;
    size_t n_pairs;
    int bad;
} report;

static lm_status keep_hit(void *ctx, const lm_concept_hit *h)
{
    report *r = ctx;
    hit *v = realloc(r->hits, (r->n_hits + 1) * sizeof *v);
    if (!v)
        return LM_ERR_NOMEM;
    r->hits = v;
    hit c = {h->pmid, dup_opt(h->title, &r->bad), dup_opt(h->journal, &r->bad),
             dup_opt(h->ingested_at, &r->bad), h->year, h->mentions};
    r->hits[r->n_hits++] = c;
    return r->bad ? LM_ERR_NOMEM : LM_OK;
}

static lm_status keep_pair(void *ctx, const lm_pair_row *p)
{
    report *r = ctx;
    pair *v = realloc(r->pairs, (r->n_pairs + 1) * sizeof *v);
    if (!v)
        return LM_ERR_NOMEM;
    r->pairs = v;
    pair c = {p->pmid,
              dup_opt(p->chemical_id, &r->bad),
              dup_opt(p->chemical_text, &r->bad),
              dup_opt(p->disease_id, &r->bad),
              dup_opt(p->disease_text, &r->bad),
              dup_opt(p->relation, &r->bad),
              dup_opt(p->evidence, &r->bad),
              p->score};
    r->pairs[r->n_pairs++] = c;
    return r->bad ? LM_ERR_NOMEM : LM_OK;
}

static void report_free(report *r)
{
    for (size_t i = 0; i < r->n_hits; i++) {
        free(r->hits[i].title);
        free(r->hits[i].journal);
        free(r->hits[i].ingested_at);
    }
    free(r->hits);
    for (size_t i = 0; i < r->n_pairs; i++) {
        free(r->pairs[i].chem);
        free(r->pairs[i].chem_text);
        free(r->pairs[i].dis);
        free(r->pairs[i].dis_text);
        free(r->pairs[i].relation);
        free(r->pairs[i].evidence);
    }
    free(r->pairs);
    memset(r, 0, sizeof *r);
}

static const char *const csv_columns[] = {"watch",       "pmid",     "year",       "journal",
                                          "title",       "ingested_at", "mentions", "chemical_id",
                                          "disease_id",  "relation", "score",      "evidence"};

static lm_status csv_row(lm_rows *rows, const watch_copy *w, const hit *h, const pair *p,
                         lm_error *err)
{
    lm_status st = lm_rows_text(rows, w->name, err);
    if (st == LM_OK) st = lm_rows_int(rows, h->pmid, err);
    if (st == LM_OK) st = h->year ? lm_rows_int(rows, h->year, err) : lm_rows_null(rows, err);
    if (st == LM_OK) st = lm_rows_text(rows, h->journal, err);
    if (st == LM_OK) st = lm_rows_text(rows, h->title, err);
    if (st == LM_OK) st = lm_rows_text(rows, h->ingested_at, err);
    if (st == LM_OK) st = lm_rows_int(rows, h->mentions, err);
    if (st == LM_OK) st = lm_rows_text(rows, p ? p->chem : NULL, err);
    if (st == LM_OK) st = lm_rows_text(rows, p ? p->dis : NULL, err);
    if (st == LM_OK) st = lm_rows_text(rows, p ? p->relation : NULL, err);
    if (st == LM_OK) st = p ? lm_rows_real(rows, p->score, err) : lm_rows_null(rows, err);
    if (st == LM_OK) st = lm_rows_text(rows, p ? p->evidence : NULL, err);
    if (st == LM_OK) st = lm_rows_end(rows, err);
    return st;
}

static lm_status write_csv(const char *path, const watch_copy *w, const report *r, lm_error *err)
{
    lm_file_atomic f = {0};
    lm_status st = lm_file_atomic_begin(&f, path, err);
    lm_rows rows;
    if (st == LM_OK)
        st = lm_rows_init(&rows, f.f, LM_ROWS_CSV, csv_columns,
                          sizeof csv_columns / sizeof csv_columns[0], 0, err);
    for (size_t i = 0; st == LM_OK && i < r->n_hits; i++) {
        int any = 0;
        for (size_t k = 0; st == LM_OK && k < r->n_pairs; k++)
            if (r->pairs[k].pmid == r->hits[i].pmid) {
                st = csv_row(&rows, w, &r->hits[i], &r->pairs[k], err);
                any = 1;
            }
        if (st == LM_OK && !any)
            st = csv_row(&rows, w, &r->hits[i], NULL, err);
    }
    if (st == LM_OK)
        st = lm_file_atomic_commit(&f, err);
    if (f.f)
        lm_file_atomic_abort(&f);
    return st;
}

static lm_status write_json(const char *path, const watch_copy *w, const report *r,
                            const char *through, lm_error *err)
{
    lm_file_atomic f = {0};
    lm_status st = lm_file_atomic_begin(&f, path, err);
    if (st != LM_OK)
        return st;
    lm_json_writer j;
    lm_json_writer_init(&j, f.f);
    lm_json_begin_object(&j);
    lm_json_member_str(&j, "watch", w->name);
    lm_json_member_str(&j, "concept_id", w->concept_id);
    lm_json_member_str(&j, "pair_with", w->pair_with);
    lm_json_member_str(&j, "relation", w->relation);
    lm_json_member_str(&j, "ingested_after", w->reported_through);
    lm_json_member_str(&j, "ingested_through", through);
    lm_json_write_key(&j, "articles");
    lm_json_begin_array(&j);
    for (size_t i = 0; i < r->n_hits; i++) {
        const hit *h = &r->hits[i];
        lm_json_begin_object(&j);
        lm_json_member_int(&j, "pmid", h->pmid);
        lm_json_write_key(&j, "year");
        if (h->year)
            lm_json_write_int(&j, h->year);
        else
            lm_json_write_null(&j);
        lm_json_member_str(&j, "journal", h->journal);
        lm_json_member_str(&j, "title", h->title);
        lm_json_member_str(&j, "ingested_at", h->ingested_at);
        lm_json_member_int(&j, "mentions", h->mentions);
        lm_json_write_key(&j, "pairs");
        lm_json_begin_array(&j);
        for (size_t k = 0; k < r->n_pairs; k++) {
            const pair *p = &r->pairs[k];
            if (p->pmid != h->pmid)
                continue;
            lm_json_begin_object(&j);
            lm_json_member_str(&j, "chemical_id", p->chem);
            lm_json_member_str(&j, "chemical_text", p->chem_text);
            lm_json_member_str(&j, "disease_id", p->dis);
            lm_json_member_str(&j, "disease_text", p->dis_text);
            lm_json_member_str(&j, "relation", p->relation);
            lm_json_member_double(&j, "score", p->score, 4);
            lm_json_member_str(&j, "evidence", p->evidence);
            lm_json_end_object(&j);
        }
        lm_json_end_array(&j);
        lm_json_end_object(&j);
    }
    lm_json_end_array(&j);
    lm_json_end_object(&j);
    fputc('\n', f.f);
    if (ferror(f.f))
        st = lm_error_set(err, LM_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    if (st == LM_OK)
        st = lm_file_atomic_commit(&f, err);
    if (f.f)
        lm_file_atomic_abort(&f);
    return st;
}

lm_status lm_concept_watches_report(lm_store *s, const char *dir,
                                    void (*on_report)(void *ctx, const lm_concept_report *r),
                                    void *ctx, lm_error *err)
{
    watch_list l = {NULL, 0};
    lm_status st = lm_store_concept_watch_each(s, copy_watch, &l, err);
    if (st == LM_ERR_NOMEM)
        lm_error_set(err, st, "concept watches: out of memory");
    char through[32] = "";
    if (st == LM_OK && l.n)
        st = lm_store_newest_ingest(s, through, err);
    if (st == LM_OK && l.n && mkdir(dir, 0775) != 0 && errno != EEXIST)
        st = lm_error_set(err, LM_ERR_IO, "report directory %s: %s", dir, strerror(errno));
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    for (size_t i = 0; st == LM_OK && i < l.n; i++) {
        const watch_copy *w = &l.v[i];
        lm_concept_watch cw = {w->name, w->concept_id, w->pair_with, w->relation, NULL,
                               w->reported_through, NULL, 0, 0};
        report r = {0};
        st = lm_store_concept_watch_articles(s, &cw, through, keep_hit, &r, err);
        if (st == LM_OK)
            st = lm_store_concept_watch_pairs(s, &cw, through, keep_pair, &r, err);
        if (st == LM_ERR_NOMEM)
            lm_error_set(err, st, "watch %s: out of memory", w->name);
        lm_buf csv, json;
        lm_buf_init(&csv);
        lm_buf_init(&json);
        if (st == LM_OK && r.n_hits) {
            if (lm_buf_printf(&csv, "%s/%s-%s.csv", dir, w->name, stamp) != LM_OK ||
                lm_buf_printf(&json, "%s/%s-%s.json", dir, w->name, stamp) != LM_OK)
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            if (st == LM_OK)
                st = write_csv(lm_buf_cstr(&csv), w, &r, err);
            if (st == LM_OK)
                st = write_json(lm_buf_cstr(&json), w, &r, through, err);
        }
        if (st == LM_OK)
            st = lm_store_concept_watch_mark(s, w->name, through, (int64_t)r.n_hits,
                                             (int64_t)r.n_pairs, err);
        if (st == LM_OK && on_report) {
            lm_concept_report rep = {w->name,
                                     w->concept_id,
                                     w->pair_with,
                                     w->relation,
                                     (int64_t)r.n_hits,
                                     (int64_t)r.n_pairs,
                                     r.n_hits ? lm_buf_cstr(&csv) : NULL,
                                     r.n_hits ? lm_buf_cstr(&json) : NULL};
            on_report(ctx, &rep);
        }
        lm_buf_free(&csv);
        lm_buf_free(&json);
        report_free(&r);
    }
    watches_free(&l);
    return st;
}
