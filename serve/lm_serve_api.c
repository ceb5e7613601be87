/*
 * The JSON API (one endpoint per page, same views as the pages), the
 * pairs CSV download and the PubTator3-compatible endpoints.  Schemas are
 * documented in docs/serve.md; every document is written with the
 * streaming lm_json writer.
 *
 * Offsets in JSON are Unicode code points, as in every litmine output
 * (and in PubTator): into the snippet for search highlights, into
 * title + " " + abstract for mentions and evidence.
 */
#include "../nlp/eval/lm_bioc.h"
#include "../nlp/lm_pubtator.h"
#include "../pipeline/lm_annotated.h"
#include "../util/lm_json.h"
#include "../util/lm_rows.h"
#include "../util/lm_utf8.h"
#include "lm_serve_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void json_year(lm_json_writer *w, const char *key, int year)
{
    lm_json_write_key(w, key);
    if (year > 0)
        lm_json_write_int(w, year);
    else
        lm_json_write_null(w);
}

static void json_begin(lm_serve_response *r, lm_json_writer *w)
{
    r->content_type = "application/json";
    lm_json_writer_init(w, r->f);
}

/* Opens the array member key of the object being written. */
static void json_array_at(lm_json_writer *w, const char *key)
{
    lm_json_write_key(w, key);
    lm_json_begin_array(w);
}

/* A concept's id, type and display name (the lexicon's preferred name when
 * it has one, else the text seen), as every concept list shows it. */
static void json_concept(lm_json_writer *w, const lm_serve *sv, const char *id, const char *type,
                         const char *text)
{
    lm_json_member_str(w, "id", id);
    lm_json_member_str(w, "type", type);
    lm_json_member_str(w, "name", lm_serve_concept_name(sv, id, text));
}

/* A counted list of concepts (search facets, co-mentioned concepts) as the
 * array member key, each count under count_key. */
static void json_concept_counts(lm_json_writer *w, const lm_serve *sv, const char *key,
                                const char *count_key, const lm_serve_count *v, size_t n)
{
    json_array_at(w, key);
    for (size_t i = 0; i < n; i++) {
        lm_json_begin_object(w);
        json_concept(w, sv, v[i].id, v[i].type, v[i].text);
        lm_json_member_int(w, count_key, v[i].n);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
}

/* A counted list of years (search facets, a concept's articles per year)
 * as the array member key; year 0 (unknown) is null. */
static void json_year_counts(lm_json_writer *w, const char *key, const char *count_key,
                             const lm_serve_count *v, size_t n)
{
    json_array_at(w, key);
    for (size_t i = 0; i < n; i++) {
        lm_json_begin_object(w);
        json_year(w, "year", v[i].year);
        lm_json_member_int(w, count_key, v[i].n);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
}

/* A pair's chemical and disease: ids and display names. */
static void json_pair_ends(lm_json_writer *w, const lm_serve *sv, const char *chemical_id,
                           const char *chemical_text, const char *disease_id,
                           const char *disease_text)
{
    lm_json_member_str(w, "chemical_id", chemical_id);
    lm_json_member_str(w, "chemical", lm_serve_concept_name(sv, chemical_id, chemical_text));
    lm_json_member_str(w, "disease_id", disease_id);
    lm_json_member_str(w, "disease", lm_serve_concept_name(sv, disease_id, disease_text));
}

/* ---- /api/search -------------------------------------------------------------- */

void lm_serve_api_search(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                         lm_serve_response *r)
{
    long k;
    if (!lm_serve_arg_int(rq, "k", 1, LM_SERVE_MAX_K, LM_SERVE_PAGE_HITS, &k)) {
        lm_serve_fail(r, 400, 1, "k: 1 to %d", LM_SERVE_MAX_K);
        return;
    }
    lm_serve_search_view v;
    if (!lm_serve_search_request(sv, w, rq, r, 1, (int)k, &v))
        return;
    lm_json_writer j;
    json_begin(r, &j);
    lm_json_begin_object(&j);
    lm_json_member_str(&j, "query", v.query);
    lm_json_member_str(&j, "mode", v.mode);
    lm_json_member_int(&j, "page", v.page);
    lm_json_member_int(&j, "per_page", k);
    lm_json_member_int(&j, "total", v.total);
    lm_json_write_key(&j, "filters");
    lm_json_begin_object(&j);
    json_year(&j, "year", v.year ? atoi(v.year) : 0);
    lm_json_member_str(&j, "concept", v.concept);
    lm_json_end_object(&j);
    json_array_at(&j, "query_concepts");
    for (size_t i = 0; i < v.n_query_concepts; i++) {
        lm_json_begin_object(&j);
        lm_json_member_str(&j, "id", v.query_concepts[i].id);
        lm_json_member_str(&j, "name", v.query_concepts[i].text);
        lm_json_member_str(&j, "type", v.query_concepts[i].type);
        lm_json_end_object(&j);
    }
    lm_json_end_array(&j);
    lm_json_write_key(&j, "facets");
    lm_json_begin_object(&j);
    json_year_counts(&j, "years", "count", v.years, v.n_years);
    json_concept_counts(&j, sv, "concepts", "count", v.concepts, v.n_concepts);
    lm_json_end_object(&j);
    json_array_at(&j, "results");
    for (size_t i = 0; i < v.n_hits; i++) {
        const lm_serve_hit *h = &v.hits[i];
        size_t sl = h->snippet ? strlen(h->snippet) : 0;
        lm_json_begin_object(&j);
        lm_json_member_int(&j, "pmid", h->pmid);
        lm_json_member_str(&j, "title", h->title);
        lm_json_member_str(&j, "journal", h->journal);
        json_year(&j, "year", h->year);
        lm_json_member_double(&j, "score", h->score, 6);
        lm_json_member_str(&j, "snippet", h->snippet);
        json_array_at(&j, "highlights");
        for (size_t s = 0; s < h->n_spans; s++) {
            const lm_serve_span *sp = &h->spans[s];
            if (sp->end > sl)
                continue;
            lm_json_begin_object(&j);
            lm_json_member_int(&j, "start",
                               (int64_t)lm_utf8_byte_to_cp(h->snippet, sl, sp->start));
            lm_json_member_int(&j, "end", (int64_t)lm_utf8_byte_to_cp(h->snippet, sl, sp->end));
            lm_json_member_str(&j, "kind", sp->query ? "query" : "entity");
            lm_json_member_str(&j, "type", sp->type);
            lm_json_member_str(&j, "concept_id", sp->concept_id);
            lm_json_end_object(&j);
        }
        lm_json_end_array(&j);
        lm_json_end_object(&j);
    }
    lm_json_end_array(&j);
    lm_json_write_key(&j, "timing_ms");
    lm_json_begin_object(&j);
    lm_json_member_double(&j, "search", v.search_ms, 4);
    lm_json_member_double(&j, "facets", v.facets_ms, 4);
    lm_json_member_double(&j, "snippets", v.snippets_ms, 4);
    lm_json_end_object(&j);
    lm_json_end_object(&j);
    fputc('\n', r->f);
    lm_serve_search_view_free(&v);
}

/* ---- /api/article/PMID ----------------------------------------------------------- */

static int parse_pmid(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v <= 0 || !isdigit((unsigned char)s[0]))
        return 0;
    *out = v;
    return 1;
}

static void json_pair(lm_json_writer *j, const lm_serve *sv, const lm_pair_row *p)
{
    json_pair_ends(j, sv, p->chemical_id, p->chemical_text, p->disease_id, p->disease_text);
    lm_json_member_str(j, "relation", p->relation);
    lm_json_member_double(j, "score", p->score, 4);
    lm_json_member_str(j, "evidence", p->evidence);
    lm_json_write_key(j, "evidence_start");
    if (p->evidence_start >= 0)
        lm_json_write_int(j, p->evidence_start);
    else
        lm_json_write_null(j);
    lm_json_write_key(j, "evidence_end");
    if (p->evidence_end >= 0)
        lm_json_write_int(j, p->evidence_end);
    else
        lm_json_write_null(j);
}

void lm_serve_api_article(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r)
{
    int64_t pmid;
    const char *id = rq->path + strlen("/api/article/");
    if (!parse_pmid(id, &pmid)) {
        lm_serve_fail(r, 400, 1, "not a PMID: %.40s", id);
        return;
    }
    lm_serve_article_view v;
    lm_error err = {0};
    lm_status st = lm_serve_article_load(sv, w->store, pmid, &v, &err);
    if (st != LM_OK) {
        lm_serve_fail(r, st == LM_ERR_NOTFOUND ? 404 : 500, 1, "%s", err.msg);
        return;
    }
    const lm_article *a = &v.a;
    lm_json_writer j;
    json_begin(r, &j);
    lm_json_begin_object(&j);
    lm_json_member_int(&j, "pmid", a->pmid);
    lm_json_member_str(&j, "title", a->title ? a->title : "");
    lm_json_member_str(&j, "abstract", a->abstract ? a->abstract : "");
    lm_json_member_str(&j, "journal", a->journal);
    json_year(&j, "year", a->year);
    lm_json_member_str(&j, "doi", a->doi);
    json_array_at(&j, "mesh");
    for (size_t i = 0; i < a->n_mesh; i++) {
        lm_json_begin_object(&j);
        lm_json_member_str(&j, "ui", a->mesh[i].ui);
        lm_json_member_str(&j, "name", a->mesh[i].name);
        lm_json_write_key(&j, "major_topic");
        lm_json_write_bool(&j, a->mesh[i].major_topic);
        lm_json_end_object(&j);
    }
    lm_json_end_array(&j);
    json_array_at(&j, "publication_types");
    for (size_t i = 0; i < a->n_pubtypes; i++)
        lm_json_write_str(&j, a->pubtypes[i].name);
    lm_json_end_array(&j);
    json_array_at(&j, "mentions");
    for (size_t i = 0; i < v.n_mentions; i++) {
        const lm_serve_mention *m = &v.mentions[i];
        lm_json_begin_object(&j);
        lm_json_member_int(&j, "start", m->start);
        lm_json_member_int(&j, "end", m->end);
        lm_json_member_str(&j, "text", m->text);
        lm_json_member_str(&j, "type", m->type);
        lm_json_member_str(&j, "concept_id", m->concept_id);
        lm_json_end_object(&j);
    }
    lm_json_end_array(&j);
    json_array_at(&j, "pairs");
    for (size_t i = 0; i < v.n_pairs; i++) {
        lm_json_begin_object(&j);
        json_pair(&j, sv, &v.pairs[i]);
        lm_json_end_object(&j);
    }
    lm_json_end_array(&j);
    char url[80];
    snprintf(url, sizeof url, "https://pubmed.ncbi.nlm.nih.gov/%lld/", (long long)pmid);
    lm_json_member_str(&j, "pubmed_url", url);
    lm_json_end_object(&j);
    fputc('\n', r->f);
    lm_serve_article_view_free(&v);
}

/* ---- /api/concept/ID ---------------------------------------------------------------- */

void lm_serve_api_concept(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r)
{
    const char *id = rq->path + strlen("/api/concept/");
    if (strlen(id) > LM_SERVE_MAX_ARG) {
        lm_serve_fail(r, 400, 1, "concept id too long");
        return;
    }
    lm_serve_concept_view v;
    lm_error err = {0};
    lm_status st = lm_serve_concept_load(sv, w, id, &v, &err);
    if (st != LM_OK) {
        lm_serve_fail(r, st == LM_ERR_NOTFOUND ? 404 : 500, 1, "%s", err.msg);
        return;
    }
    lm_json_writer j;
    json_begin(r, &j);
    lm_json_begin_object(&j);
    lm_json_member_str(&j, "id", v.id);
    lm_json_member_str(&j, "name", v.name);
    lm_json_member_str(&j, "type", v.sum.type);
    lm_json_member_int(&j, "articles", v.sum.articles);
    lm_json_member_int(&j, "mentions", v.sum.mentions);
    lm_json_member_int(&j, "pairs", v.sum.pairs);
    json_array_at(&j, "synonyms");
    for (size_t i = 0; i < v.n_names; i++) {
        lm_json_begin_object(&j);
        lm_json_member_str(&j, "text", v.names[i].text);
        lm_json_member_int(&j, "mentions", v.names[i].n);
        lm_json_end_object(&j);
    }
    lm_json_end_array(&j);
    json_year_counts(&j, "years", "articles", v.years, v.n_years);
    json_concept_counts(&j, sv, "comentioned", "articles", v.comentions, v.n_comentions);
    json_array_at(&j, "top_pairs");
    for (size_t i = 0; i < v.n_pairs; i++) {
        const lm_serve_pair_count *p = &v.pairs[i];
        lm_json_begin_object(&j);
        json_pair_ends(&j, sv, p->chemical_id, p->chemical, p->disease_id, p->disease);
        lm_json_member_str(&j, "relation", p->relation);
        lm_json_member_int(&j, "articles", p->articles);
        lm_json_member_double(&j, "max_score", p->max_score, 4);
        json_year(&j, "first_year", p->first_year);
        lm_json_end_object(&j);
    }
    lm_json_end_array(&j);
    lm_json_end_object(&j);
    fputc('\n', r->f);
    lm_serve_concept_view_free(&v);
}

/* ---- /api/pairs and /pairs.csv -------------------------------------------------------- */

typedef struct pairs_out {
    const lm_serve *sv;
    lm_json_writer *j;
    lm_rows *rows;
    lm_error *err;
} pairs_out;

static lm_status pairs_json_row(void *ctx, const lm_pairs_query_row *r)
{
    pairs_out *po = ctx;
    lm_json_begin_object(po->j);
    lm_json_member_int(po->j, "pmid", r->pair.pmid);
    json_year(po->j, "year", r->year);
    lm_json_member_str(po->j, "title", r->title);
    json_pair(po->j, po->sv, &r->pair);
    lm_json_end_object(po->j);
    return LM_OK;
}

void lm_serve_api_pairs(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                        lm_serve_response *r)
{
    lm_pairs_query q;
    char why[128] = "";
    long limit, offset;
    if (!lm_serve_pairs_args(sv, rq, &q, why, sizeof why) ||
        !lm_serve_arg_int(rq, "limit", 1, LM_SERVE_MAX_PAIRS, LM_SERVE_PAGE_PAIRS, &limit) ||
        !lm_serve_arg_int(rq, "offset", 0, 100000000, 0, &offset)) {
        lm_serve_fail(r, 400, 1, "%s", why[0] ? why : "limit: 1 to 1000; offset: 0 or more");
        return;
    }
    lm_error err = {0};
    int64_t total = 0;
    lm_status st = lm_store_pairs_query_count(w->store, &q, &total, &err);
    if (st != LM_OK) {
        lm_serve_fail(r, 500, 1, "%s", err.msg);
        return;
    }
    q.limit = limit;
    q.offset = offset;
    lm_json_writer j;
    json_begin(r, &j);
    lm_json_begin_object(&j);
    lm_json_member_int(&j, "total", total);
    lm_json_member_int(&j, "offset", offset);
    lm_json_member_int(&j, "limit", limit);
    json_array_at(&j, "pairs");
    pairs_out po = {sv, &j, NULL, &err};
    st = lm_store_pairs_query(w->store, &q, pairs_json_row, &po, &err);
    if (st != LM_OK) {
        lm_serve_fail(r, 500, 1, "%s", err.msg);
        return;
    }
    lm_json_end_array(&j);
    lm_json_end_object(&j);
    fputc('\n', r->f);
}

static const char *const csv_columns[] = {"pmid",    "year",     "chemical_id", "chemical",
                                          "disease_id", "disease", "relation",    "score",
                                          "evidence", "title"};

static lm_status pairs_csv_row(void *ctx, const lm_pairs_query_row *r)
{
    pairs_out *po = ctx;
    lm_rows *rows = po->rows;
    lm_error *err = po->err;
    const lm_pair_row *p = &r->pair;
    lm_status st = lm_rows_int(rows, p->pmid, err);
    if (st == LM_OK)
        st = r->year ? lm_rows_int(rows, r->year, err) : lm_rows_null(rows, err);
    if (st == LM_OK)
        st = lm_rows_text(rows, p->chemical_id, err);
    if (st == LM_OK)
        st = lm_rows_text(rows, lm_serve_concept_name(po->sv, p->chemical_id, p->chemical_text),
                          err);
    if (st == LM_OK)
        st = lm_rows_text(rows, p->disease_id, err);
    if (st == LM_OK)
        st = lm_rows_text(rows, lm_serve_concept_name(po->sv, p->disease_id, p->disease_text),
                          err);
    if (st == LM_OK)
        st = lm_rows_text(rows, p->relation, err);
    if (st == LM_OK)
        st = lm_rows_real(rows, p->score, err);
    if (st == LM_OK)
        st = lm_rows_text(rows, p->evidence, err);
    if (st == LM_OK)
        st = lm_rows_text(rows, r->title, err);
    return st == LM_OK ? lm_rows_end(rows, err) : st;
}

void lm_serve_pairs_csv(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                        lm_serve_response *r)
{
    lm_pairs_query q;
    char why[128] = "";
    if (!lm_serve_pairs_args(sv, rq, &q, why, sizeof why)) {
        lm_serve_fail(r, 400, 0, "%s", why);
        return;
    }
    q.limit = LM_SERVE_MAX_CSV;
    r->content_type = "text/csv; charset=utf-8";
    r->disposition = "attachment; filename=\"litmine-pairs.csv\"";
    lm_rows rows;
    lm_error err = {0};
    lm_status st = lm_rows_init(&rows, r->f, LM_ROWS_CSV, csv_columns,
                                sizeof csv_columns / sizeof csv_columns[0], 1, &err);
    pairs_out po = {sv, NULL, &rows, &err};
    if (st == LM_OK)
        st = lm_store_pairs_query(w->store, &q, pairs_csv_row, &po, &err);
    if (st != LM_OK)
        lm_serve_fail(r, 500, 0, "%s", err.msg);
}

/* ---- PubTator3-compatible endpoints ---------------------------------------------------- */

/* "pmids=1,2,3": at most LM_SERVE_MAX_PMIDS; 0 on a bad list. */
static size_t parse_pmids(const char *s, int64_t *out, char *why, size_t cap)
{
    size_t n = 0;
    if (!s || !s[0]) {
        snprintf(why, cap, "pmids: a comma-separated list of PMIDs");
        return 0;
    }
    while (*s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || v <= 0 || !isdigit((unsigned char)*s) ||
            (*end && *end != ',')) {
            snprintf(why, cap, "pmids: a comma-separated list of PMIDs");
            return 0;
        }
        if (n == LM_SERVE_MAX_PMIDS) {
            snprintf(why, cap, "pmids: at most %d per request", LM_SERVE_MAX_PMIDS);
            return 0;
        }
        out[n++] = v;
        s = *end ? end + 1 : end;
    }
    return n;
}

/* The request's pmids= list into pmids; 0 after answering 400. */
static size_t pmids_arg(const lm_serve_request *rq, lm_serve_response *r, int64_t *pmids)
{
    char why[128];
    size_t n = parse_pmids(rq->arg(rq, "pmids"), pmids, why, sizeof why);
    if (!n)
        lm_serve_fail(r, 400, 1, "%s", why);
    return n;
}

/* Our relation names in PubTator's vocabulary: BC5CDR's CID for a
 * chemical inducing a disease, as the corpora and litmine's reader
 * spell it. */
static const char *pubtator_relation(const char *rel)
{
    if (strcmp(rel, "induces") == 0)
        return "CID";
    if (strcmp(rel, "treats") == 0)
        return "Treat";
    if (strcmp(rel, "associated") == 0)
        return "Association";
    return rel;
}

void lm_serve_pt_pubtator(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r)
{
    int64_t pmids[LM_SERVE_MAX_PMIDS];
    size_t n = pmids_arg(rq, r, pmids);
    if (!n)
        return;
    r->content_type = "text/plain; charset=utf-8";
    for (size_t i = 0; i < n; i++) {
        lm_serve_article_view v;
        lm_error err = {0};
        lm_status st = lm_serve_article_load(sv, w->store, pmids[i], &v, &err);
        if (st == LM_ERR_NOTFOUND)
            continue;   /* as PubTator: PMIDs it does not hold are left out */
        if (st != LM_OK) {
            lm_serve_fail(r, 500, 1, "%s", err.msg);
            return;
        }
        char pmid[24];
        snprintf(pmid, sizeof pmid, "%lld", (long long)pmids[i]);
        lm_pt_doc d;
        lm_pt_doc_init(&d);
        d.pmid = pmid;
        d.title = v.a.title ? v.a.title : (char *)"";
        d.abstract = v.a.abstract ? v.a.abstract : (char *)"";
        d.text = v.text;
        lm_pt_mention *ms = calloc(v.n_mentions + 1, sizeof *ms);
        lm_pt_relation *rs = calloc(v.n_pairs + 1, sizeof *rs);
        if (ms && rs) {
            for (size_t k = 0; k < v.n_mentions; k++) {
                lm_pt_mention m = {v.mentions[k].start, v.mentions[k].end, v.mentions[k].text,
                                   v.mentions[k].type, v.mentions[k].concept_id};
                ms[k] = m;
            }
            for (size_t k = 0; k < v.n_pairs; k++) {
                lm_pt_relation rel = {(char *)pubtator_relation(v.pairs[k].relation),
                                      (char *)v.pairs[k].chemical_id,
                                      (char *)v.pairs[k].disease_id};
                rs[k] = rel;
            }
            d.mentions = ms;
            d.n_mentions = v.n_mentions;
            d.relations = rs;
            d.n_relations = v.n_pairs;
            st = lm_pubtator_write(r->f, &d, &err);
        } else {
            st = lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
        }
        free(ms);
        free(rs);
        lm_serve_article_view_free(&v);
        if (st != LM_OK) {
            lm_serve_fail(r, 500, 1, "%s", err.msg);
            return;
        }
    }
}

/* BioC JSON as PubTator3 serves it: one collection, a document per stored
 * PMID (others left out), passages with their annotations and relations,
 * gene ids bare as PubTator3 writes them. */
void lm_serve_pt_biocjson(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r)
{
    (void)sv;
    int64_t pmids[LM_SERVE_MAX_PMIDS];
    size_t n = pmids_arg(rq, r, pmids);
    if (!n)
        return;
    r->content_type = "application/json";
    lm_error err = {0};
    lm_bioc_writer bw;
    lm_status st = lm_bioc_begin(&bw, r->f, LM_BIOC_JSON, LM_BIOC_PUBTATOR3_IDS, &err);
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        lm_annotated an;
        lm_annotated_init(&an);
        st = lm_annotated_load(w->store, pmids[i], 0, &an, &err);
        if (st == LM_OK)
            st = lm_bioc_write_doc(&bw, &an.article, &an.doc, &err);
        else if (st == LM_ERR_NOTFOUND)
            st = LM_OK;   /* as PubTator3: PMIDs it does not hold are left out */
        lm_annotated_free(&an);
    }
    if (st == LM_OK)
        st = lm_bioc_end(&bw, &err);
    if (st != LM_OK)
        lm_serve_fail(r, 500, 1, "%s", err.msg);
}

/* PubTator3's autocomplete: [{"_id": "@DISEASE_Hepatotoxicity", "biotype":
 * "disease", "db_id": "D056486", "db": "ncbi_mesh", "name": ..., "match":
 * "Matched on name <m>Hepato</m>toxicity"}, ...], plus litmine's own
 * concept_id and mentions. */
void lm_serve_pt_autocomplete(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                              lm_serve_response *r)
{
    (void)sv;
    const char *query = rq->arg(rq, "query");
    const char *concept = rq->arg(rq, "concept");
    long limit;
    if (!query || !query[0]) {
        lm_serve_fail(r, 400, 1, "query: the text to complete is missing");
        return;
    }
    if (!lm_serve_arg_int(rq, "limit", 1, 50, 10, &limit)) {
        lm_serve_fail(r, 400, 1, "limit: 1 to 50");
        return;
    }
    if (concept && !concept[0])
        concept = NULL;
    const lm_serve_name *hits[50];
    size_t n = lm_serve_names_complete(w->index, query, concept, hits, (size_t)limit);
    size_t ql = strlen(query);
    lm_json_writer j;
    json_begin(r, &j);
    lm_json_begin_array(&j);
    for (size_t i = 0; i < n; i++) {
        const lm_serve_name *e = hits[i];
        lm_buf b;
        lm_buf_init(&b);
        lm_buf_append_char(&b, '@');
        for (const char *p = e->type; *p; p++)
            lm_buf_append_char(&b, (char)toupper((unsigned char)*p));
        lm_buf_append_char(&b, '_');
        for (const char *p = e->name; *p; p++)
            lm_buf_append_char(&b, *p == ' ' ? '_' : *p);
        lm_json_begin_object(&j);
        lm_json_member_str(&j, "_id", lm_buf_cstr(&b));
        lm_buf_reset(&b);
        for (const char *p = e->type; *p; p++)
            lm_buf_append_char(&b, (char)tolower((unsigned char)*p));
        lm_json_member_str(&j, "biotype", lm_buf_cstr(&b));
        const char *colon = strchr(e->id, ':');
        lm_json_member_str(&j, "db_id", colon ? colon + 1 : e->id);
        lm_buf_reset(&b);
        if (colon && strncmp(e->id, "MESH:", 5) == 0)
            lm_buf_append_str(&b, "ncbi_mesh");
        else if (colon && strncasecmp(e->id, "NCBIGene:", 9) == 0)
            lm_buf_append_str(&b, "ncbi_gene");
        else if (colon)
            for (const char *p = e->id; p < colon; p++)
                lm_buf_append_char(&b, (char)tolower((unsigned char)*p));
        lm_json_member_str(&j, "db", colon ? lm_buf_cstr(&b) : NULL);
        lm_json_member_str(&j, "name", e->name);
        lm_buf_reset(&b);
        size_t pl = ql < strlen(e->name) ? ql : strlen(e->name);
        lm_buf_append_str(&b, "Matched on name <m>");
        lm_buf_append(&b, e->name, pl);
        lm_buf_append_str(&b, "</m>");
        lm_buf_append_str(&b, e->name + pl);
        lm_json_member_str(&j, "match", lm_buf_cstr(&b));
        lm_json_member_str(&j, "concept_id", e->id);
        lm_json_member_int(&j, "mentions", e->mentions);
        lm_json_end_object(&j);
        lm_buf_free(&b);
    }
    lm_json_end_array(&j);
    fputc('\n', r->f);
}
