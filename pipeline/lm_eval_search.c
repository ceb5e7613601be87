/*
 * The BEIR search harness (see lm_eval_search.h).  The three input files
 * go through one reader each: BEIR JSON lines (corpus and queries, via the
 * strict util/lm_json reader) and the TSV judgements.  Document ids map to
 * PMIDs through a small table; only non-numeric ids enter it.
 */
#include "lm_eval_search.h"

#include "../nlp/eval/lm_metrics.h"
#include "../util/lm_clock.h"
#include "../util/lm_json.h"
#include "../util/lm_sort.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- BEIR lines ------------------------------------------------------------ */

/* Reads the members _id (a string, or an integer), title and text of one
 * JSON object line; -1 when it is not one, -2 when memory runs out (which
 * must not pass for a malformed line). */
static int parse_beir_line(const lm_buf *line, lm_buf *id, lm_buf *title, lm_buf *text)
{
    lm_buf_reset(id);
    lm_buf_reset(title);
    lm_buf_reset(text);
    lm_json *doc = NULL;
    lm_error err;
    lm_status parsed = lm_json_parse(&doc, line->data, line->len, NULL, NULL, &err);
    if (parsed != LM_OK)
        return parsed == LM_ERR_NOMEM ? -2 : -1;
    const lm_json_value *root = lm_json_root(doc), *v = lm_json_get(root, "_id");
    int64_t num;
    size_t n;
    const char *sv = lm_json_str(v, &n);
    int object = lm_json_type_of(root) == LM_JSON_OBJECT, copied = 1;
    if (sv)
        copied &= lm_buf_append(id, sv, n) == LM_OK;
    else if (lm_json_int64(v, &num))
        copied &= lm_buf_printf(id, "%lld", (long long)num) == LM_OK;
    if ((sv = lm_json_str(lm_json_get(root, "title"), &n)) != NULL)
        copied &= lm_buf_append(title, sv, n) == LM_OK;
    if ((sv = lm_json_str(lm_json_get(root, "text"), &n)) != NULL)
        copied &= lm_buf_append(text, sv, n) == LM_OK;
    lm_json_free(doc);
    if (!copied)
        return -2;
    return object && id->len > 0 ? 0 : -1;
}

/* Reads one line of a (possibly gzip) file into b; 0 at EOF, -1 when
 * memory runs out (a line cut short would read as another document). */
static int read_line(gzFile f, lm_buf *b)
{
    lm_buf_reset(b);
    char chunk[65536];
    while (gzgets(f, chunk, sizeof chunk)) {
        size_t n = strlen(chunk);
        if (lm_buf_append(b, chunk, n) != LM_OK)
            return -1;
        if (n && chunk[n - 1] == '\n')
            return 1;
    }
    return b->len > 0;
}

/* One BEIR line: its id, title and text (NUL-terminated buffers). */
typedef lm_status (*beir_fn)(void *ctx, lm_buf *id, lm_buf *title, lm_buf *text,
                             lm_error *err);

/* Calls fn for every non-blank line of path; a line that is not BEIR JSON
 * is an LM_ERR_PARSE naming it ("a BEIR <what> line"). */
static lm_status beir_each(const char *path, const char *what, beir_fn fn, void *ctx,
                           lm_error *err)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    lm_buf line, id, title, text;
    lm_buf_init(&line);
    lm_buf_init(&id);
    lm_buf_init(&title);
    lm_buf_init(&text);
    lm_status st = LM_OK;
    size_t lineno = 0;
    int got;
    while (st == LM_OK && (got = read_line(f, &line)) != 0) {
        lineno++;
        if (got < 0) {
            st = lm_error_nomem(err, "reading a BEIR file");
            break;
        }
        if (line.len <= 1)
            continue;
        int parsed = parse_beir_line(&line, &id, &title, &text);
        if (parsed == -2)
            st = lm_error_nomem(err, "reading a BEIR file");
        else if (parsed != 0)
            st = lm_error_set(err, LM_ERR_PARSE, "%s:%zu: not a BEIR %s line", path, lineno,
                              what);
        else
            st = fn(ctx, &id, &title, &text, err);
    }
    gzclose(f);
    lm_buf_free(&line);
    lm_buf_free(&id);
    lm_buf_free(&title);
    lm_buf_free(&text);
    return st;
}

/* ---- document ids ------------------------------------------------------------ */

typedef struct id_map {
    char **names;
    size_t n, cap;            /* names[i] has the number 10^12 + i */
} id_map;

static int64_t numeric_id(const char *s)
{
    if (!*s || strlen(s) > 15)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return (*end || errno || v <= 0) ? -1 : (int64_t)v;
}

/* The PMID of document id s: added to the map when add is set, else -1
 * for a name the corpus did not have; -1 also when out of memory. */
static int64_t map_id(id_map *m, const char *s, int add)
{
    int64_t v = numeric_id(s);
    if (v > 0)
        return v;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->names[i], s) == 0)
            return 1000000000000LL + (int64_t)i;
    if (!add || lm_vec_grow((void **)&m->names, &m->cap, m->n + 1, sizeof *m->names) != LM_OK)
        return -1;
    if (!(m->names[m->n] = strdup(s)))
        return -1;
    return 1000000000000LL + (int64_t)m->n++;
}

static void id_map_free(id_map *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->names[i]);
    free(m->names);
}

/* ---- queries and judgements ---------------------------------------------------- */

typedef struct equery {
    char *id;
    char *text;
    lm_qrel *rels;
    size_t n_rels, cap_rels;
} equery;

struct lm_eval_search {
    lm_store *store;
    lm_search_session *session;
    id_map ids;
    equery *q;
    size_t n_q, cap_q;
    char tmpdir[256];         /* the temporary store's directory, "" for a work database */
    char dbpath[512];
};

static lm_status add_query(void *ctx, lm_buf *id, lm_buf *title, lm_buf *text, lm_error *err)
{
    (void)title;
    lm_eval_search *ev = ctx;
    if (lm_vec_grow((void **)&ev->q, &ev->cap_q, ev->n_q + 1, sizeof *ev->q) != LM_OK)
        return lm_error_nomem(err, "reading the queries");
    equery *q = &ev->q[ev->n_q];
    memset(q, 0, sizeof *q);
    q->id = lm_buf_take(id);
    q->text = lm_buf_take(text);
    ev->n_q++;
    if (!q->id || !q->text)
        return lm_error_nomem(err, "reading the queries");
    return LM_OK;
}

static equery *find_query(lm_eval_search *ev, const char *id)
{
    for (size_t i = 0; i < ev->n_q; i++)
        if (strcmp(ev->q[i].id, id) == 0)
            return &ev->q[i];
    return NULL;
}

static lm_status load_qrels(lm_eval_search *ev, const char *path, lm_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char line[1024];
    size_t lineno = 0;
    lm_status st = LM_OK;
    while (st == LM_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *qid = line, *tab1 = strchr(line, '\t');
        if (!tab1)
            continue;
        *tab1 = '\0';
        char *did = tab1 + 1, *tab2 = strchr(did, '\t');
        if (!tab2)
            continue;
        *tab2 = '\0';
        char *end;
        long grade = strtol(tab2 + 1, &end, 10);
        if (end == tab2 + 1) {
            if (lineno == 1)
                continue;   /* the header */
            st = lm_error_set(err, LM_ERR_PARSE, "%s:%zu: bad relevance grade", path, lineno);
            break;
        }
        equery *q = find_query(ev, qid);
        if (!q)
            continue;   /* judged query not in this query file */
        if (lm_vec_grow((void **)&q->rels, &q->cap_rels, q->n_rels + 1, sizeof *q->rels) != LM_OK)
            st = lm_error_nomem(err, "reading the judgements");
        else
            q->rels[q->n_rels++] = (lm_qrel){map_id(&ev->ids, did, 0), (int)grade};
    }
    fclose(f);
    return st;
}

/* ---- the corpus ------------------------------------------------------------------ */

typedef struct corpus_ctx {
    lm_eval_search *ev;
    const char *path;
    size_t n;
} corpus_ctx;

static lm_status put_document(void *ctx, lm_buf *id, lm_buf *title, lm_buf *text, lm_error *err)
{
    corpus_ctx *c = ctx;
    lm_article a;
    lm_article_init(&a);
    a.pmid = map_id(&c->ev->ids, lm_buf_cstr(id), 1);
    /* Adding, map_id fails only when memory runs out: skipping the
     * document would score the run on a smaller corpus. */
    if (a.pmid < 0)
        return lm_error_nomem(err, "numbering the corpus");
    a.version = 1;
    a.title = (char *)lm_buf_cstr(title);
    a.abstract = (char *)lm_buf_cstr(text);
    lm_put_result res;
    lm_status st = LM_OK;
    if (a.pmid > 0)
        st = lm_store_put_article(c->ev->store, &a, c->path, &res, err);
    c->n++;
    if (st == LM_OK && c->n % 5000 == 0) {
        st = lm_store_commit(c->ev->store, err);
        if (st == LM_OK)
            st = lm_store_begin(c->ev->store, err);
    }
    return st;
}

static lm_status map_document(void *ctx, lm_buf *id, lm_buf *title, lm_buf *text, lm_error *err)
{
    (void)title;
    (void)text;
    return map_id(ctx, lm_buf_cstr(id), 1) < 0 ? lm_error_nomem(err, "numbering the corpus")
                                               : LM_OK;
}

static lm_status ingest_corpus(lm_eval_search *ev, const char *path, size_t *n_docs,
                               lm_error *err)
{
    corpus_ctx c = {ev, path, 0};
    lm_status st = lm_store_begin(ev->store, err);
    if (st == LM_OK)
        st = beir_each(path, "corpus", put_document, &c, err);
    if (st == LM_OK)
        st = lm_store_commit(ev->store, err);
    if (st != LM_OK)
        lm_store_rollback(ev->store, NULL);
    *n_docs = c.n;
    return st;
}

/* Ingests and indexes the corpus into a new store (or one without an
 * embedding model); for a reused one only rebuilds the id map. */
static lm_status prepare(lm_eval_search *ev, const lm_eval_search_options *o,
                         lm_eval_search_prep *prep, lm_error *err)
{
    lm_search_info info;
    lm_status st = lm_search_get_info(ev->store, &info, err);
    if (st != LM_OK)
        return st;
    if (info.articles == 0)
        st = ingest_corpus(ev, o->corpus, &prep->docs, err);
    else   /* A reused store: the map of non-numeric ids. */
        beir_each(o->corpus, "corpus", map_document, &ev->ids, NULL);
    if (st != LM_OK || (info.articles > 0 && info.has_model))
        return st;
    if (o->lexical_only) {
        lm_search_refresh_options ro;
        memset(&ro, 0, sizeof ro);
        ro.skip_vectors = 1;
        return lm_index_refresh(ev->store, &ro, NULL, err);
    }
    lm_index_build_options bo;
    memset(&bo, 0, sizeof bo);
    bo.fit = o->fit;
    bo.refresh.format = o->format;
    bo.encoder_dir = o->encoder_dir;
    bo.encoder_pooling = o->encoder_pooling;
    st = lm_index_build(ev->store, &bo, &prep->build, err);
    prep->built = st == LM_OK;
    return st;
}

lm_status lm_eval_search_open(const lm_eval_search_options *o, lm_eval_search **out,
                              lm_eval_search_prep *prep, lm_error *err)
{
    *out = NULL;
    memset(prep, 0, sizeof *prep);
    lm_eval_search *ev = calloc(1, sizeof *ev);
    if (!ev)
        return lm_error_nomem(err, "opening the search benchmark");
    if (o->work_db) {
        snprintf(ev->dbpath, sizeof ev->dbpath, "%s", o->work_db);
    } else {
        snprintf(ev->tmpdir, sizeof ev->tmpdir, "%s/litmine-eval-XXXXXX",
                 o->tmp_dir && *o->tmp_dir ? o->tmp_dir : "/tmp");
        if (!mkdtemp(ev->tmpdir)) {
            ev->tmpdir[0] = '\0';
            lm_eval_search_close(ev);
            return lm_error_set(err, LM_ERR_IO, "cannot create a temporary directory: %s",
                                strerror(errno));
        }
        snprintf(ev->dbpath, sizeof ev->dbpath, "%s/eval.db", ev->tmpdir);
    }
    double t0 = lm_now_seconds();
    lm_status st = lm_store_open(&ev->store, ev->dbpath, NULL, err);
    if (st == LM_OK)
        st = prepare(ev, o, prep, err);
    prep->seconds = lm_now_seconds() - t0;
    if (st == LM_OK)
        st = beir_each(o->queries, "query", add_query, ev, err);
    if (st == LM_OK)
        st = load_qrels(ev, o->qrels, err);
    if (st == LM_OK)
        st = lm_search_session_open(ev->store, &o->session, &ev->session, err);
    if (st != LM_OK) {
        lm_eval_search_close(ev);
        return st;
    }
    *out = ev;
    return LM_OK;
}

void lm_eval_search_close(lm_eval_search *ev)
{
    if (!ev)
        return;
    lm_search_session_close(ev->session);
    lm_store_close(ev->store);
    for (size_t i = 0; i < ev->n_q; i++) {
        free(ev->q[i].id);
        free(ev->q[i].text);
        free(ev->q[i].rels);
    }
    free(ev->q);
    id_map_free(&ev->ids);
    if (ev->tmpdir[0]) {
        char p[600];
        const char *suffix[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", ev->dbpath, suffix[i]);
            unlink(p);
        }
        rmdir(ev->tmpdir);
    }
    free(ev);
}

/* ---- running ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

lm_status lm_eval_search_run(lm_eval_search *ev, int mode, const lm_search_params *params,
                             lm_eval_search_query_fn on_query, void *ctx,
                             lm_eval_search_scores *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    const char *mode_name = lm_search_mode_name((lm_search_mode)mode);
    lm_search_results r;
    lm_search_results_init(&r);
    double *lat = calloc(ev->n_q ? ev->n_q : 1, sizeof *lat);
    int64_t *ranked = malloc(100 * sizeof *ranked);
    if (!lat || !ranked) {
        free(lat);
        free(ranked);
        return lm_error_nomem(err, "running the queries");
    }
    size_t judged = 0;
    double ndcg = 0, recall = 0, mrr = 0;
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && i < ev->n_q; i++) {
        equery *q = &ev->q[i];
        if (q->n_rels == 0)
            continue;
        size_t nr = 0;
        double t0 = lm_now_seconds();
        lm_search_options o = {(lm_search_mode)mode, 100, 0, 0, params};
        st = lm_search_session_query(ev->session, q->text, &o, &r, err);
        for (size_t j = 0; st == LM_OK && j < r.n && j < 100; j++)
            ranked[nr++] = r.hits[j].pmid;
        if (st != LM_OK) {
            lm_error_wrap(err, "query %s", q->id);
            break;
        }
        lat[judged] = (lm_now_seconds() - t0) * 1e3;
        double n10 = lm_metric_ndcg(ranked, nr, q->rels, q->n_rels, 10);
        ndcg += n10;
        recall += lm_metric_recall(ranked, nr, q->rels, q->n_rels, 100);
        mrr += lm_metric_mrr(ranked, nr, q->rels, q->n_rels, 10);
        if (on_query)
            on_query(ctx, mode_name, q->id, q->text, n10);
        judged++;
    }
    if (st == LM_OK && judged) {
        lm_qsort(lat, judged, sizeof *lat, cmp_double);
        out->judged = judged;
        out->ndcg10 = ndcg / (double)judged;
        out->recall100 = recall / (double)judged;
        out->mrr10 = mrr / (double)judged;
        out->latency_ms_median = judged % 2 ? lat[judged / 2]
                                            : (lat[judged / 2 - 1] + lat[judged / 2]) / 2;
    }
    free(lat);
    free(ranked);
    lm_search_results_free(&r);
    return st;
}
