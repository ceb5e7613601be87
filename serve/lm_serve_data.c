/*
 * The article and concept pages' data, the autocomplete lookup and the
 * pairs filter: views loaded once per request (inside the request's read
 * transaction) and rendered as HTML or JSON.  A concept's counts come
 * from the concept index (lm_serve_index.c) when it holds the concept,
 * else from SQL; its pairs always from SQL.
 *
 * Mention offsets are stored as code points into title + " " + abstract;
 * the views add byte offsets once, so renderers slice strings directly.
 */
#include "../util/lm_sort.h"
#include "../util/lm_utf8.h"
#include "lm_serve_impl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- article ----------------------------------------------------------------- */

typedef struct article_load {
    lm_serve_article_view *v;
    size_t cap_m, cap_p;
} article_load;

static lm_status keep_mention(void *ctx, const lm_mention_row *r)
{
    article_load *l = ctx;
    lm_serve_article_view *v = l->v;
    if (lm_vec_grow((void **)&v->mentions, &l->cap_m, v->n_mentions + 1, sizeof *v->mentions) !=
        LM_OK)
        return LM_ERR_NOMEM;
    lm_serve_mention *m = &v->mentions[v->n_mentions++];
    memset(m, 0, sizeof *m);
    int failed = 0;
    m->start = r->start;
    m->end = r->end;
    m->text = lm_strdup_opt(r->text, &failed);
    m->type = lm_strdup_opt(r->type ? r->type : "", &failed);
    int grounded = r->concept_id && r->concept_id[0] && strcmp(r->concept_id, "-") != 0;
    m->concept_id = grounded ? lm_strdup_opt(r->concept_id, &failed) : NULL;
    return failed ? LM_ERR_NOMEM : LM_OK;
}

static lm_status keep_pair(void *ctx, const lm_pair_row *r)
{
    article_load *l = ctx;
    lm_serve_article_view *v = l->v;
    if (lm_vec_grow((void **)&v->pairs, &l->cap_p, v->n_pairs + 1, sizeof *v->pairs) != LM_OK)
        return LM_ERR_NOMEM;
    lm_pair_row *p = &v->pairs[v->n_pairs++];
    int failed = 0;
    *p = *r;
    p->chemical_id = lm_strdup_opt(r->chemical_id, &failed);
    p->chemical_text = lm_strdup_opt(r->chemical_text, &failed);
    p->disease_id = lm_strdup_opt(r->disease_id, &failed);
    p->disease_text = lm_strdup_opt(r->disease_text, &failed);
    p->relation = lm_strdup_opt(r->relation, &failed);
    p->evidence = lm_strdup_opt(r->evidence, &failed);
    return failed ? LM_ERR_NOMEM : LM_OK;
}

void lm_serve_article_view_free(lm_serve_article_view *v)
{
    lm_article_free(&v->a);
    free(v->text);
    for (size_t i = 0; i < v->n_mentions; i++) {
        free(v->mentions[i].text);
        free(v->mentions[i].type);
        free(v->mentions[i].concept_id);
    }
    free(v->mentions);
    for (size_t i = 0; i < v->n_pairs; i++) {
        free((char *)v->pairs[i].chemical_id);
        free((char *)v->pairs[i].chemical_text);
        free((char *)v->pairs[i].disease_id);
        free((char *)v->pairs[i].disease_text);
        free((char *)v->pairs[i].relation);
        free((char *)v->pairs[i].evidence);
    }
    free(v->pairs);
    memset(v, 0, sizeof *v);
}

lm_status lm_serve_article_load(lm_serve *sv, lm_store *s, int64_t pmid,
                                lm_serve_article_view *v, lm_error *err)
{
    (void)sv;
    memset(v, 0, sizeof *v);
    lm_article_init(&v->a);
    lm_status st = lm_store_get_article(s, pmid, &v->a, NULL, NULL, err);
    if (st != LM_OK) {
        lm_serve_article_view_free(v);
        return st;
    }
    const char *title = v->a.title ? v->a.title : "";
    const char *abstract = v->a.abstract ? v->a.abstract : "";
    size_t tl = strlen(title), al = strlen(abstract);
    v->text = malloc(tl + al + 2);
    if (!v->text) {
        lm_serve_article_view_free(v);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    memcpy(v->text, title, tl);
    v->text[tl] = ' ';
    memcpy(v->text + tl + 1, abstract, al + 1);
    v->title_bytes = tl;

    article_load l = {v, 0, 0};
    st = lm_store_article_mentions(s, pmid, keep_mention, &l, err);
    if (st == LM_OK)
        st = lm_store_article_pairs(s, pmid, keep_pair, &l, err);
    if (st == LM_ERR_NOMEM)
        lm_error_set(err, st, "out of memory");
    lm_utf8_map map;
    lm_utf8_map_init(&map);
    if (st == LM_OK)
        st = lm_utf8_map_build(&map, v->text, tl + 1 + al, err);
    /* A mention past the text (an article replaced under a stale stage
     * row cannot happen with cascades, but offsets are data) is dropped. */
    size_t kept = 0;
    for (size_t i = 0; st == LM_OK && i < v->n_mentions; i++) {
        lm_serve_mention *m = &v->mentions[i];
        size_t b0 = lm_utf8_map_to_byte(&map, (size_t)m->start);
        size_t b1 = lm_utf8_map_to_byte(&map, (size_t)m->end);
        if (m->start < 0 || m->end < m->start || b0 == SIZE_MAX || b1 == SIZE_MAX) {
            free(m->text);
            free(m->type);
            free(m->concept_id);
            continue;
        }
        m->bstart = (uint32_t)b0;
        m->bend = (uint32_t)b1;
        v->mentions[kept++] = *m;
    }
    if (st == LM_OK)
        v->n_mentions = kept;
    lm_utf8_map_free(&map);
    if (st != LM_OK)
        lm_serve_article_view_free(v);
    return st;
}

/* ---- concept ---------------------------------------------------------------- */

typedef struct counts {
    lm_serve_count **v;
    size_t *n, cap;
} counts;

static lm_serve_count *count_add(counts *c)
{
    if (lm_vec_grow((void **)c->v, &c->cap, *c->n + 1, sizeof **c->v) != LM_OK)
        return NULL;
    lm_serve_count *e = &(*c->v)[(*c->n)++];
    memset(e, 0, sizeof *e);
    return e;
}

static lm_status keep_year(void *ctx, int year, int64_t n)
{
    lm_serve_count *e = count_add(ctx);
    if (!e)
        return LM_ERR_NOMEM;
    e->year = year;
    e->n = n;
    return LM_OK;
}

static lm_status keep_name(void *ctx, const char *text, int64_t n)
{
    lm_serve_count *e = count_add(ctx);
    if (!e || !(e->text = strdup(text ? text : "")))
        return LM_ERR_NOMEM;
    e->n = n;
    return LM_OK;
}

static lm_status keep_comention(void *ctx, const lm_comention_row *r)
{
    lm_serve_count *e = count_add(ctx);
    int failed = 0;
    if (!e)
        return LM_ERR_NOMEM;
    e->id = lm_strdup_opt(r->concept_id, &failed);
    e->type = lm_strdup_opt(r->type, &failed);
    e->text = lm_strdup_opt(r->text, &failed);
    e->n = r->articles;
    return failed ? LM_ERR_NOMEM : LM_OK;
}

typedef struct pair_counts {
    lm_serve_concept_view *v;
    size_t cap;
} pair_counts;

static lm_status keep_pair_count(void *ctx, const lm_pair_count_row *r)
{
    pair_counts *pc = ctx;
    lm_serve_concept_view *v = pc->v;
    if (lm_vec_grow((void **)&v->pairs, &pc->cap, v->n_pairs + 1, sizeof *v->pairs) != LM_OK)
        return LM_ERR_NOMEM;
    lm_serve_pair_count *p = &v->pairs[v->n_pairs++];
    int failed = 0;
    p->chemical_id = lm_strdup_opt(r->chemical_id, &failed);
    p->chemical = lm_strdup_opt(r->chemical_text, &failed);
    p->disease_id = lm_strdup_opt(r->disease_id, &failed);
    p->disease = lm_strdup_opt(r->disease_text, &failed);
    p->relation = lm_strdup_opt(r->relation, &failed);
    p->articles = r->articles;
    p->max_score = r->max_score;
    p->first_year = r->first_year;
    return failed ? LM_ERR_NOMEM : LM_OK;
}

static void counts_free(lm_serve_count *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].type);
        free(v[i].text);
    }
    free(v);
}

void lm_serve_concept_view_free(lm_serve_concept_view *v)
{
    free(v->id);
    counts_free(v->years, v->n_years);
    counts_free(v->names, v->n_names);
    counts_free(v->comentions, v->n_comentions);
    for (size_t i = 0; i < v->n_pairs; i++) {
        free(v->pairs[i].chemical_id);
        free(v->pairs[i].chemical);
        free(v->pairs[i].disease_id);
        free(v->pairs[i].disease);
        free(v->pairs[i].relation);
    }
    free(v->pairs);
    memset(v, 0, sizeof *v);
}

/* The concept's articles: the list of its one (id, type), or the union of
 * several, as a heap copy. */
static uint32_t *concept_articles(const lm_serve_index *ix, size_t first, size_t n_types,
                                  size_t *n)
{
    size_t total = 0;
    for (size_t t = first; t < first + n_types; t++)
        total += ix->concepts[t].n_articles;
    uint32_t *v = malloc((total ? total : 1) * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t t = first; t < first + n_types; t++) {
        const lm_serve_concept *c = &ix->concepts[t];
        memcpy(v + k, ix->concept_articles + c->articles, c->n_articles * sizeof *v);
        k += c->n_articles;
    }
    if (n_types > 1) {
        lm_qsort(v, k, sizeof *v, lm_serve_cmp_u32);
        size_t w = 0;
        for (size_t i = 0; i < k; i++)
            if (i == 0 || v[i] != v[i - 1])
                v[w++] = v[i];
        k = w;
    }
    *n = k;
    return v;
}

typedef struct comention {
    uint32_t concept, n;
} comention;

static int cmp_comention(const void *a, const void *b)
{
    const comention *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return (x->concept > y->concept) - (x->concept < y->concept);
}

/* Years, names and co-mentioned concepts from the index: counted over
 * the concept's articles (co-mentions: each article's concepts once). */
static lm_status concept_from_index(const lm_serve_index *ix, size_t first, size_t n_types,
                                    lm_serve_concept_view *v)
{
    const lm_serve_concept *c0 = &ix->concepts[first];
    size_t main = first;
    for (size_t t = first; t < first + n_types; t++) {
        v->sum.mentions += ix->concepts[t].mentions;
        if (ix->concepts[t].mentions > ix->concepts[main].mentions)
            main = t;
    }
    snprintf(v->sum.type, sizeof v->sum.type, "%s", ix->concepts[main].type);
    size_t n = 0;
    uint32_t *arts = concept_articles(ix, first, n_types, &n);
    uint32_t *count = calloc(ix->n_concepts ? ix->n_concepts : 1, sizeof *count);
    comention *seen = NULL;
    size_t n_seen = 0, cap_seen = 0;
    counts years = {&v->years, &v->n_years, 0}, names = {&v->names, &v->n_names, 0},
           comentions = {&v->comentions, &v->n_comentions, 0};
    lm_status st = arts && count ? LM_OK : LM_ERR_NOMEM;
    v->sum.articles = (int64_t)n;
    /* Articles per year: a histogram over the years present. */
    int lo = INT16_MAX, hi = 0;
    for (size_t i = 0; i < n; i++) {
        lo = ix->years[arts[i]] < lo ? ix->years[arts[i]] : lo;
        hi = ix->years[arts[i]] > hi ? ix->years[arts[i]] : hi;
    }
    int64_t *hist = n && st == LM_OK ? calloc((size_t)(hi - lo + 1), sizeof *hist) : NULL;
    if (n && !hist)
        st = LM_ERR_NOMEM;
    for (size_t i = 0; i < n && st == LM_OK; i++) {
        uint32_t a = arts[i];
        hist[ix->years[a] - lo]++;
        for (uint32_t j = ix->article_at[a]; j < ix->article_at[a + 1]; j++) {
            uint32_t o = ix->article_concepts[j];
            if (o >= first && o < first + n_types)
                continue;
            if (count[o]++ == 0) {
                if (lm_vec_grow((void **)&seen, &cap_seen, n_seen + 1, sizeof *seen) != LM_OK) {
                    st = LM_ERR_NOMEM;
                    break;
                }
                seen[n_seen++].concept = o;
            }
        }
    }
    for (int y = lo; hist && y <= hi && st == LM_OK; y++)
        if (hist[y - lo])
            st = keep_year(&years, y, hist[y - lo]);
    free(hist);
    for (size_t i = 0; i < n_seen; i++)
        seen[i].n = count[seen[i].concept];
    if (st == LM_OK && n_seen)
        lm_qsort(seen, n_seen, sizeof *seen, cmp_comention);
    for (size_t i = 0; i < n_seen && i < 12 && st == LM_OK; i++) {
        const lm_serve_concept *o = &ix->concepts[seen[i].concept];
        lm_comention_row r = {o->id, o->type, o->name, seen[i].n};
        st = keep_comention(&comentions, &r);
    }
    for (size_t i = 0; i < c0->n_synonyms && st == LM_OK; i++)
        st = keep_name(&names, c0->synonyms[i].text, c0->synonyms[i].n);
    free(arts);
    free(count);
    free(seen);
    return st;
}

lm_status lm_serve_concept_load(lm_serve *sv, lm_serve_worker *w, const char *id,
                                lm_serve_concept_view *v, lm_error *err)
{
    memset(v, 0, sizeof *v);
    if (!(v->id = strdup(id)))
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_store *s = w->store;
    size_t n_types = 0;
    size_t first = w->index ? lm_serve_index_concept(w->index, id, &n_types) : 0;
    lm_status st;
    counts years = {&v->years, &v->n_years, 0}, names = {&v->names, &v->n_names, 0},
           comentions = {&v->comentions, &v->n_comentions, 0};
    pair_counts pc = {v, 0};
    if (n_types > 0) {
        st = concept_from_index(w->index, first, n_types, v);
        if (st == LM_OK)
            st = lm_store_concept_pair_count(s, id, &v->sum.pairs, err);
    } else {
        /* Not in the index (mentioned since it was built): from SQL. */
        st = lm_store_concept_summary(s, id, &v->sum, err);
        if (st == LM_OK)
            st = lm_store_concept_years(s, id, keep_year, &years, err);
        if (st == LM_OK)
            st = lm_store_concept_names(s, id, 12, keep_name, &names, err);
        if (st == LM_OK)
            st = lm_store_concept_comentions(s, id, 12, keep_comention, &comentions, err);
    }
    if (st == LM_OK)
        st = lm_store_concept_pairs(s, id, 15, keep_pair_count, &pc, err);
    if (st == LM_ERR_NOMEM)
        lm_error_set(err, st, "out of memory");
    if (st != LM_OK) {
        lm_serve_concept_view_free(v);
        return st;
    }
    v->name = lm_serve_concept_name(sv, id, v->n_names ? v->names[0].text : id);
    return LM_OK;
}

/* ---- autocomplete -------------------------------------------------------------- */

size_t lm_serve_names_complete(const lm_serve_index *ix, const char *prefix, const char *type,
                               const lm_serve_name **out, size_t max)
{
    char key[LM_SERVE_MAX_ARG + 1];
    size_t kl = 0;
    for (; prefix[kl] && kl < LM_SERVE_MAX_ARG; kl++)
        key[kl] = (char)tolower((unsigned char)prefix[kl]);
    key[kl] = 0;
    if (kl == 0 || max == 0)
        return 0;
    size_t lo = 0, hi = ix->n_complete;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->complete[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Keep the max most mentioned of the matches (insertion into a short
     * list); a one-letter prefix over a big corpus scans a bounded run. */
    size_t n = 0;
    for (size_t i = lo, scanned = 0; i < ix->n_complete && scanned < 50000; i++, scanned++) {
        const lm_serve_name *e = &ix->complete[i];
        if (strncmp(e->key, key, kl) != 0)
            break;
        if (type && strcasecmp(type, e->type) != 0)
            continue;
        int dup = 0;
        for (size_t j = 0; j < n && !dup; j++)
            dup = strcmp(out[j]->id, e->id) == 0 && strcmp(out[j]->type, e->type) == 0;
        if (dup)
            continue;
        size_t at = n < max ? n++ : max;
        while (at > 0 && out[at - 1]->mentions < e->mentions) {
            if (at < max)
                out[at] = out[at - 1];
            at--;
        }
        if (at < max)
            out[at] = e;
    }
    return n;
}

/* ---- the pairs filter ------------------------------------------------------------ */

int lm_serve_pairs_args(const lm_serve *sv, const lm_serve_request *rq, lm_pairs_query *q,
                        char *why, size_t why_cap)
{
    memset(q, 0, sizeof *q);
    static const char *const text_args[] = {"chemical", "disease", "relation"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = rq->arg(rq, text_args[i]);
        if (v && strlen(v) > LM_SERVE_MAX_ARG) {
            snprintf(why, why_cap, "%s: longer than %d bytes", text_args[i], LM_SERVE_MAX_ARG);
            return 0;
        }
    }
    q->chemical = lm_serve_resolve_concept(sv, LM_ENT_CHEMICAL, rq->arg(rq, "chemical"));
    q->disease = lm_serve_resolve_concept(sv, LM_ENT_DISEASE, rq->arg(rq, "disease"));
    q->relation = rq->arg(rq, "relation");
    if (q->relation && q->relation[0] && strcmp(q->relation, "induces") != 0 &&
        strcmp(q->relation, "treats") != 0 && strcmp(q->relation, "associated") != 0 &&
        strcmp(q->relation, "cooccurs") != 0) {
        snprintf(why, why_cap, "relation: induces, treats, associated or cooccurs");
        return 0;
    }
    const char *ms = rq->arg(rq, "min_score");
    if (ms && ms[0]) {
        char *end;
        q->min_score = strtod(ms, &end);
        if (*end || !(q->min_score >= 0 && q->min_score <= 1)) {
            snprintf(why, why_cap, "min_score: a number from 0 to 1");
            return 0;
        }
    }
    const char *sort = rq->arg(rq, "sort");
    if (sort && sort[0]) {
        if (strcmp(sort, "score") != 0 && strcmp(sort, "oldest") != 0 &&
            strcmp(sort, "newest") != 0) {
            snprintf(why, why_cap, "sort: score, oldest or newest");
            return 0;
        }
        q->by_year = strcmp(sort, "oldest") == 0 ? 1 : strcmp(sort, "newest") == 0 ? -1 : 0;
    }
    long y;
    if (!lm_serve_arg_int(rq, "year_from", 1, 9999, 0, &y)) {
        snprintf(why, why_cap, "year_from: a year");
        return 0;
    }
    q->year_from = (int)y;
    if (!lm_serve_arg_int(rq, "year_to", 1, 9999, 0, &y)) {
        snprintf(why, why_cap, "year_to: a year");
        return 0;
    }
    q->year_to = (int)y;
    return 1;
}
