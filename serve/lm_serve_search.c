/*
 * The search page's data: the one file of serve/ that calls search and
 * query analysis (pipeline/lm_search_session.h, and the lexicon lookup that
 * turns a typed name into a concept), so that when query analysis moves
 * this is the file to port.
 *
 * A query runs once for LM_SERVE_CANDIDATES hits; the facets (years and
 * concepts) are counted over those candidates from the concept index
 * (lm_serve_index.c: each article's concepts as a list of numbers; SQL
 * only for a candidate ingested since the index was built), the facet
 * filters keep the candidates that match, and only the page shown is
 * explained (best sentence, query marks) and given its entity mentions.
 * The snippet's mentions come from the stored ones: the sentence is found
 * in title + " " + abstract (one row read by PMID) and the mentions inside
 * it are kept, with their offsets moved to bytes into the sentence.
 */
#include "../pipeline/lm_search_session.h"
#include "../util/lm_map.h"
#include "../util/lm_sort.h"
#include "../util/lm_utf8.h"
#include "lm_serve_impl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *lm_serve_resolve_concept(const lm_serve *sv, int type, const char *text)
{
    lm_lexicon_match m;
    if (!text || !text[0] || strchr(text, ':') || !sv->names)
        return text;
    return lm_lexicon_lookup(sv->names, (lm_ent_type)type, text, strlen(text), &m) ? m.id : text;
}

struct lm_serve_searcher {
    lm_search_session *srch;
};

lm_status lm_serve_search_open(lm_serve *sv, lm_serve_worker *w, lm_error *err)
{
    char lexp[1024], nerp[1024];
    lm_search_session_config sc;
    lm_search_session_config_default(&sc, sv->opts.config, lexp, sizeof lexp, nerp, sizeof nerp);
    lm_serve_searcher *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_status st = lm_search_session_open(w->store, &sc, &s->srch, err);
    /* The vector file's check runs in the background after the open: a
     * server waits for it here, so that it refuses a damaged file at
     * startup (and a worker reopening on new vectors reports it) rather
     * than starting and failing searches. */
    if (st == LM_OK)
        st = lm_search_session_check(s->srch, err);
    if (st != LM_OK) {
        lm_search_session_close(s->srch);
        free(s);
        return st;
    }
    w->search = s;
    w->search_gen = w->gen;
    return LM_OK;
}

lm_status lm_serve_search_signature(lm_store *s, int64_t sig[2], lm_error *err)
{
    lm_vec_model_info info;
    int found = 0;
    sig[0] = sig[1] = 0;
    lm_status st = lm_vec_model_current_info(s, &info, &found, err);
    if (st == LM_OK && found) {
        sig[0] = info.id;
        st = lm_vec_generation(s, info.id, &sig[1], err);
    }
    return st;
}

void lm_serve_search_close(lm_serve_searcher *s)
{
    if (!s)
        return;
    lm_search_session_close(s->srch);
    free(s);
}

static void span_free(lm_serve_span *sp)
{
    free(sp->type);
    free(sp->concept_id);
}

static void facet_free(lm_serve_count *f)
{
    free(f->id);
    free(f->type);
    free(f->text);
}

void lm_serve_search_view_free(lm_serve_search_view *v)
{
    free(v->query);
    free(v->year);
    free(v->concept);
    for (size_t i = 0; i < v->n_hits; i++) {
        lm_serve_hit *h = &v->hits[i];
        free(h->title);
        free(h->journal);
        free(h->snippet);
        for (size_t j = 0; j < h->n_spans; j++)
            span_free(&h->spans[j]);
        free(h->spans);
    }
    free(v->hits);
    for (size_t i = 0; i < v->n_query_concepts; i++)
        facet_free(&v->query_concepts[i]);
    free(v->query_concepts);
    for (size_t i = 0; i < v->n_concepts; i++)
        facet_free(&v->concepts[i]);
    free(v->concepts);
    free(v->years);
    memset(v, 0, sizeof *v);
}

/* One (candidate, concept) pair seen while counting facets.  Strings are
 * the concept index's, or owned (a candidate the index does not hold yet,
 * counted from SQL). */
typedef struct seen_concept {
    const char *id, *type, *text;
    size_t hit;
    int owned;
} seen_concept;

typedef struct facet_scan {
    seen_concept *v;
    size_t n, cap;
    lm_map hit_of;               /* PMID -> 1 + index among the candidates */
    int *years;
    unsigned char *matched;      /* the candidate mentions the concept filter */
    const char *want;
} facet_scan;

static lm_status seen_push(facet_scan *fs, const char *id, const char *type, const char *text,
                           size_t hit, int owned)
{
    if (lm_vec_grow((void **)&fs->v, &fs->cap, fs->n + 1, sizeof *fs->v) != LM_OK)
        return LM_ERR_NOMEM;
    fs->v[fs->n++] = (seen_concept){id, type, text, hit, owned};
    if (fs->want && strcmp(fs->want, id) == 0)
        fs->matched[hit] = 1;
    return LM_OK;
}

/* A candidate the index does not hold: its SQL rows. */
static lm_status keep_facet(void *ctx, const lm_facet_row *r)
{
    facet_scan *fs = ctx;
    const uint64_t *at = lm_map_get(&fs->hit_of, lm_map_key((uint64_t)r->pmid));
    if (!at)
        return LM_OK;
    size_t hit = (size_t)(*at - 1);
    if (!r->concept_id) {
        fs->years[hit] = r->year;
        return LM_OK;
    }
    char *id = strdup(r->concept_id), *type = strdup(r->type ? r->type : "");
    char *text = strdup(r->text ? r->text : "");
    if (!id || !type || !text || seen_push(fs, id, type, text, hit, 1) != LM_OK) {
        free(id);
        free(type);
        free(text);
        return LM_ERR_NOMEM;
    }
    return LM_OK;
}

static void facet_scan_free(facet_scan *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->v[i].owned) {
            free((char *)fs->v[i].id);
            free((char *)fs->v[i].type);
            free((char *)fs->v[i].text);
        }
    free(fs->v);
    lm_map_free(&fs->hit_of);
}

/* The candidates' years and concepts: from the concept index, and from
 * SQL for those it does not hold (ingested since it was built). */
static lm_status scan_facets(lm_serve_worker *w, const lm_search_results *r, facet_scan *fs,
                             lm_error *err)
{
    const lm_serve_index *ix = w->index;
    int64_t *missing = malloc((r->n ? r->n : 1) * sizeof *missing);
    if (!missing)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    size_t n_missing = 0;
    lm_status st = LM_OK;
    for (size_t i = 0; i < r->n && st == LM_OK; i++) {
        size_t a = lm_serve_index_article(ix, r->hits[i].pmid);
        if (a == SIZE_MAX) {
            missing[n_missing++] = r->hits[i].pmid;
            if (lm_map_put(&fs->hit_of, lm_map_key((uint64_t)r->hits[i].pmid), i + 1) != LM_OK)
                st = LM_ERR_NOMEM;
            continue;
        }
        fs->years[i] = ix->years[a];
        for (uint32_t j = ix->article_at[a]; j < ix->article_at[a + 1] && st == LM_OK; j++) {
            const lm_serve_concept *c = &ix->concepts[ix->article_concepts[j]];
            st = seen_push(fs, c->id, c->type, c->name, i, 0);
        }
    }
    if (st == LM_OK && n_missing)
        st = lm_store_facets(w->store, missing, n_missing, keep_facet, fs, err);
    if (st == LM_ERR_NOMEM)
        lm_error_set(err, st, "out of memory");
    free(missing);
    return st;
}

static int cmp_seen(const void *a, const void *b)
{
    const seen_concept *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : strcmp(x->type, y->type);
}

typedef struct facet_group {
    const seen_concept *c;       /* the first of its run in the sorted list */
    int64_t n;
} facet_group;

static int cmp_group(const void *a, const void *b)
{
    const facet_group *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return cmp_seen(x->c, y->c);
}

/* The concept facets: distinct concepts over the kept candidates, most
 * articles first, the top 12 (only those copied). */
static lm_status count_concepts(facet_scan *fs, const unsigned char *kept,
                                lm_serve_search_view *v)
{
    if (fs->n == 0)
        return LM_OK;
    lm_qsort(fs->v, fs->n, sizeof *fs->v, cmp_seen);
    facet_group *g = malloc(fs->n * sizeof *g);
    if (!g)
        return LM_ERR_NOMEM;
    size_t ng = 0;
    for (size_t i = 0; i < fs->n;) {
        size_t j = i;
        int64_t n = 0;
        for (; j < fs->n && cmp_seen(&fs->v[i], &fs->v[j]) == 0; j++)
            n += kept[fs->v[j].hit];
        if (n > 0)
            g[ng++] = (facet_group){&fs->v[i], n};
        i = j;
    }
    lm_qsort(g, ng, sizeof *g, cmp_group);
    lm_status st = LM_OK;
    v->concepts = calloc(ng < 12 ? (ng ? ng : 1) : 12, sizeof *v->concepts);
    if (!v->concepts)
        st = LM_ERR_NOMEM;
    for (size_t k = 0; k < ng && k < 12 && st == LM_OK; k++) {
        const seen_concept *c = g[k].c;
        lm_serve_count *f = &v->concepts[v->n_concepts++];
        f->id = strdup(c->id);
        f->type = strdup(c->type);
        f->text = strdup(c->text);
        f->n = g[k].n;
        if (!f->id || !f->type || !f->text)
            st = LM_ERR_NOMEM;
    }
    free(g);
    return st;
}

static int cmp_year_desc(const void *a, const void *b)
{
    const lm_serve_count *x = a, *y = b;
    return (x->year < y->year) - (x->year > y->year);
}

static lm_status count_years(const int *years, const unsigned char *kept, size_t n,
                             lm_serve_search_view *v)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (!kept[i] || years[i] <= 0)
            continue;
        size_t j = 0;
        while (j < v->n_years && v->years[j].year != years[i])
            j++;
        if (j == v->n_years) {
            if (lm_vec_grow((void **)&v->years, &cap, v->n_years + 1, sizeof *v->years) != LM_OK)
                return LM_ERR_NOMEM;
            memset(&v->years[j], 0, sizeof v->years[j]);
            v->years[j].year = years[i];
            v->n_years++;
        }
        v->years[j].n++;
    }
    if (v->n_years)
        lm_qsort(v->years, v->n_years, sizeof *v->years, cmp_year_desc);
    return LM_OK;
}

typedef struct snippet_marks {
    lm_serve_hit *h;
    size_t *cap;
    const char *text;
    size_t from_cp, to_cp;       /* the snippet in title + " " + abstract */
    size_t from;                 /* its first byte */
} snippet_marks;

/* A stored mention inside the snippet, as a byte span of the snippet. */
static lm_status keep_snippet_mention(void *ctx, const lm_mention_row *r)
{
    snippet_marks *sm = ctx;
    if (r->start < 0 || (size_t)r->start < sm->from_cp || r->end < r->start ||
        (size_t)r->end > sm->to_cp)
        return LM_OK;
    lm_serve_hit *h = sm->h;
    if (lm_vec_grow((void **)&h->spans, sm->cap, h->n_spans + 1, sizeof *h->spans) != LM_OK)
        return LM_ERR_NOMEM;
    const char *snip = h->snippet;
    size_t sl = strlen(snip);
    lm_serve_span *sp = &h->spans[h->n_spans++];
    memset(sp, 0, sizeof *sp);
    sp->start = (uint32_t)lm_utf8_cp_to_byte(snip, sl, (size_t)r->start - sm->from_cp);
    sp->end = (uint32_t)lm_utf8_cp_to_byte(snip, sl, (size_t)r->end - sm->from_cp);
    sp->type = strdup(r->type ? r->type : "");
    int grounded = r->concept_id && r->concept_id[0] && strcmp(r->concept_id, "-") != 0;
    sp->concept_id = grounded ? strdup(r->concept_id) : NULL;
    return sp->type && (!grounded || sp->concept_id) ? LM_OK : LM_ERR_NOMEM;
}

/* The stored mentions of a hit that fall inside its snippet, as byte
 * spans into the snippet, plus the query marks explain found.  Reads the
 * article's text (to place the snippet) and its mention rows: nothing
 * else of the article. */
static lm_status hit_spans(lm_serve_worker *w, lm_serve_hit *h, const lm_search_explanation *e,
                           lm_buf *text, lm_error *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < e->n_marks; i++) {
        if (lm_vec_grow((void **)&h->spans, &cap, h->n_spans + 1, sizeof *h->spans) != LM_OK)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        lm_serve_span *sp = &h->spans[h->n_spans++];
        memset(sp, 0, sizeof *sp);
        sp->start = e->marks[i].start;
        sp->end = e->marks[i].end;
        sp->query = 1;
    }
    if (!h->snippet || !h->snippet[0])
        return LM_OK;
    size_t title_bytes;
    lm_status st = lm_store_article_text(w->store, h->pmid, text, &title_bytes, err);
    if (st != LM_OK)
        return st;
    const char *at = strstr(lm_buf_cstr(text), h->snippet);
    if (!at)
        return LM_OK;
    snippet_marks sm = {h, &cap, lm_buf_cstr(text), 0, 0, (size_t)(at - lm_buf_cstr(text))};
    sm.from_cp = lm_utf8_count(sm.text, sm.from);
    sm.to_cp = sm.from_cp + lm_utf8_count(h->snippet, strlen(h->snippet));
    st = lm_store_article_mentions(w->store, h->pmid, keep_snippet_mention, &sm, err);
    if (st == LM_ERR_NOMEM)
        lm_error_set(err, st, "out of memory");
    return st;
}

lm_status lm_serve_search_run(lm_serve *sv, lm_serve_worker *w,
                              const lm_serve_search_args *a, lm_serve_search_view *out,
                              lm_error *err)
{
    memset(out, 0, sizeof *out);
    int mode = a->mode && a->mode[0] ? lm_search_mode_parse(a->mode) : LM_SEARCH_HYBRID;
    if (mode < 0)
        return lm_error_set(err, LM_ERR_USAGE, "unknown mode (hybrid, lexical or dense)");
    /* The stored vectors changed since the searcher mapped them (an index
     * build finished): reopen it on the new ones. */
    if (w->search && w->search_gen != w->gen) {
        lm_serve_search_close(w->search);
        w->search = NULL;
    }
    if (!w->search) {
        lm_status st = lm_serve_search_open(sv, w, err);
        if (st != LM_OK)
            return st;
    }
    int failed = 0;
    out->query = lm_strdup_opt(a->query, &failed);
    out->concept = lm_strdup_opt(a->concept, &failed);
    out->page = a->page;
    if (a->year > 0) {
        char y[16];
        snprintf(y, sizeof y, "%d", a->year);
        out->year = lm_strdup_opt(y, &failed);
    }
    if (failed) {
        lm_serve_search_view_free(out);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }

    lm_search_results r;
    lm_search_results_init(&r);
    lm_search_options o = {(lm_search_mode)mode, LM_SERVE_CANDIDATES, 0, 0, NULL};
    lm_status st = lm_search_session_query(w->search->srch, a->query, &o, &r, err);
    int *years = NULL;
    unsigned char *kept = NULL, *matched = NULL;
    lm_buf text;
    lm_buf_init(&text);
    facet_scan fs;
    memset(&fs, 0, sizeof fs);
    lm_map_init(&fs.hit_of);
    fs.want = a->concept;
    if (st != LM_OK)
        goto done;
    out->mode = lm_search_mode_name(r.mode_used);
    out->search_ms = r.total_ms;
    out->query_concepts = calloc(r.n_concepts ? r.n_concepts : 1, sizeof *out->query_concepts);
    years = calloc(r.n ? r.n : 1, sizeof *years);
    kept = calloc(r.n ? r.n : 1, 1);
    matched = calloc(r.n ? r.n : 1, 1);
    if (!out->query_concepts || !years || !kept || !matched) {
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < r.n_concepts; i++) {
        lm_serve_count *f = &out->query_concepts[out->n_query_concepts++];
        f->id = lm_strdup_opt(r.concepts[i].id, &failed);
        f->text = lm_strdup_opt(r.concepts[i].name, &failed);
        f->type = lm_strdup_opt(lm_ent_type_name((lm_ent_type)r.concepts[i].type), &failed);
    }
    double t0 = now_ms();
    fs.years = years;
    fs.matched = matched;
    st = scan_facets(w, &r, &fs, err);
    for (size_t i = 0; i < r.n; i++)
        kept[i] = (!a->concept || matched[i]) && (a->year <= 0 || years[i] == a->year);
    if (st == LM_OK && (count_concepts(&fs, kept, out) != LM_OK ||
                        count_years(years, kept, r.n, out) != LM_OK || failed))
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    if (st != LM_OK)
        goto done;
    double t1 = now_ms();
    out->facets_ms = t1 - t0;
    for (size_t i = 0; i < r.n; i++)
        out->total += kept[i];
    size_t first = (size_t)(a->page > 1 ? a->page - 1 : 0) * (size_t)a->per_page, seen = 0;
    out->hits = calloc((size_t)a->per_page, sizeof *out->hits);
    if (!out->hits) {
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < r.n && st == LM_OK && out->n_hits < (size_t)a->per_page; i++) {
        if (!kept[i] || seen++ < first)
            continue;
        lm_search_explanation e;
        st = lm_search_session_explain(w->search->srch, &r, i, &e, err);
        if (st != LM_OK)
            break;
        lm_serve_hit *h = &out->hits[out->n_hits++];
        h->pmid = r.hits[i].pmid;
        h->year = e.year ? e.year : years[i];
        h->score = r.hits[i].score;
        h->title = lm_strdup_opt(e.title ? e.title : "", &failed);
        h->journal = lm_strdup_opt(e.journal, &failed);
        h->snippet = lm_strdup_opt(e.sentence, &failed);
        if (failed)
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        else
            st = hit_spans(w, h, &e, &text, err);
        lm_search_explanation_free(&e);
    }
    out->snippets_ms = now_ms() - t1;
done:
    facet_scan_free(&fs);
    lm_buf_free(&text);
    free(years);
    free(kept);
    free(matched);
    lm_search_results_free(&r);
    if (st != LM_OK)
        lm_serve_search_view_free(out);
    return st;
}
