/*
 * `litmine eval search` — retrieval quality on a BEIR-format benchmark.
 *
 *   litmine eval search --corpus corpus.jsonl[.gz] --queries queries.jsonl
 *                       --qrels qrels.tsv [--mode hybrid|lexical|dense|all]
 *
 * The corpus is ingested into a temporary store (or --work-db FILE, kept
 * and reused when it already holds the corpus), indexed and embedded as
 * `litmine index build` would, then every judged query runs and the
 * standard metrics are printed as `NAME VALUE` lines.  --mode all reports
 * every mode, each line prefixed with the mode's name.
 * --set NAME=VALUE overrides one ranking parameter (for tuning on dev
 * data; see lm_search_params).
 */
#include "../nlp/eval/lm_metrics.h"
#include "../pipeline/lm_index.h"
#include "../pipeline/lm_search_session.h"
#include "../util/lm_json.h"
#include "../util/lm_sort.h"
#include "lm_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

int lm_cmd_eval_search(lm_cli *cli, int argc, char **argv);

static const char usage[] =
    "usage: litmine eval search --corpus CORPUS.jsonl[.gz] --queries QUERIES.jsonl\n"
    "                           --qrels QRELS.tsv [--mode hybrid|lexical|dense|all]\n"
    "                           [--work-db FILE] [--dim N] [--vec-format f32|f16|i8]\n"
    "                           [--set NAME=VALUE]... [--details]\n"
    "\n"
    "Ingests a BEIR corpus into a temporary store, builds the search index and\n"
    "embedding model, runs every judged query and prints nDCG@10, Recall@100,\n"
    "MRR@10 and latency_ms_median (one NAME VALUE line each).  --mode all prints\n"
    "them for lexical, dense and hybrid (prefixed).\n"
    "--set tunes a ranking parameter: k1, b_title, b_abstract, w_title,\n"
    "w_abstract, phrases, phrase_weight, dense_weight, concept_weight, prf_docs,\n"
    "prf_terms, prf_weight, synonyms, synonym_weight, lex_candidates, phrase_depth,\n"
    "dense_candidates; or a fit option: sigma_exp, min_df, max_vocab, bigrams.\n";

/* ---- BEIR lines ------------------------------------------------------------ */

/* Reads the members _id (a string, or an integer), title and text of one
 * JSON object line; -1 when it is not one. */
static int parse_beir_line(const lm_buf *line, lm_buf *id, lm_buf *title, lm_buf *text)
{
    lm_buf_reset(id);
    lm_buf_reset(title);
    lm_buf_reset(text);
    lm_json *doc = NULL;
    lm_error err;
    if (lm_json_parse(&doc, line->data, line->len, NULL, NULL, &err) != LM_OK)
        return -1;
    const lm_json_value *root = lm_json_root(doc), *v = lm_json_get(root, "_id");
    int64_t num;
    size_t n;
    const char *sv = lm_json_str(v, &n);
    int ok = lm_json_type_of(root) == LM_JSON_OBJECT;
    if (sv)
        ok &= lm_buf_append(id, sv, n) == LM_OK;
    else if (lm_json_int64(v, &num))
        ok &= lm_buf_printf(id, "%lld", (long long)num) == LM_OK;
    if ((sv = lm_json_str(lm_json_get(root, "title"), &n)) != NULL)
        ok &= lm_buf_append(title, sv, n) == LM_OK;
    if ((sv = lm_json_str(lm_json_get(root, "text"), &n)) != NULL)
        ok &= lm_buf_append(text, sv, n) == LM_OK;
    lm_json_free(doc);
    return ok && id->len > 0 ? 0 : -1;
}

/* Reads one line of a (possibly gzip) file into b; 0 at EOF. */
static int read_line(gzFile f, lm_buf *b)
{
    lm_buf_reset(b);
    char chunk[65536];
    while (gzgets(f, chunk, sizeof chunk)) {
        size_t n = strlen(chunk);
        lm_buf_append(b, chunk, n);
        if (n && chunk[n - 1] == '\n')
            return 1;
    }
    return b->len > 0;
}

/* ---- document ids ---------------------------------------------------------
 * BEIR ids are strings; numeric ones (PMIDs, as in SciFact) are used as
 * they are, others get numbers above 10^12 in order of appearance. */

typedef struct id_map {
    char **names;
    int64_t *nums;
    size_t n, cap;
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

static int64_t map_id(id_map *m, const char *s, int add)
{
    int64_t v = numeric_id(s);
    if (v > 0)
        return v;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->names[i], s) == 0)
            return m->nums[i];
    if (!add)
        return -1;
    if (m->n == m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 64;
        char **nn = realloc(m->names, nc * sizeof *nn);
        if (nn)
            m->names = nn;
        int64_t *nv = nn ? realloc(m->nums, nc * sizeof *nv) : NULL;
        if (!nv)
            return -1;
        m->nums = nv;
        m->cap = nc;
    }
    m->names[m->n] = strdup(s);
    if (!m->names[m->n])
        return -1;
    m->nums[m->n] = 1000000000000LL + (int64_t)m->n;
    return m->nums[m->n++];
}

static void id_map_free(id_map *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->names[i]);
    free(m->names);
    free(m->nums);
}

/* ---- queries and judgements ------------------------------------------------ */

typedef struct equery {
    char *id;
    char *text;
    lm_qrel *rels;
    size_t n_rels, cap_rels;
} equery;

typedef struct eval_set {
    equery *q;
    size_t n, cap;
} eval_set;

static void eval_set_free(eval_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->q[i].id);
        free(s->q[i].text);
        free(s->q[i].rels);
    }
    free(s->q);
}

static equery *find_query(eval_set *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->q[i].id, id) == 0)
            return &s->q[i];
    return NULL;
}

static int load_queries(const lm_cli *cli, const char *path, eval_set *s)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        lm_cli_error(cli, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    lm_buf line, id, title, text;
    lm_buf_init(&line);
    lm_buf_init(&id);
    lm_buf_init(&title);
    lm_buf_init(&text);
    int rc = 0;
    size_t lineno = 0;
    while (read_line(f, &line)) {
        lineno++;
        if (line.len <= 1)
            continue;
        if (parse_beir_line(&line, &id, &title, &text) != 0) {
            lm_cli_error(cli, "%s:%zu: not a BEIR query line", path, lineno);
            rc = -1;
            break;
        }
        if (s->n == s->cap) {
            size_t nc = s->cap ? 2 * s->cap : 64;
            equery *nv = realloc(s->q, nc * sizeof *nv);
            if (!nv) {
                rc = -1;
                break;
            }
            s->q = nv;
            s->cap = nc;
        }
        memset(&s->q[s->n], 0, sizeof s->q[s->n]);
        s->q[s->n].id = lm_buf_take(&id);
        s->q[s->n].text = lm_buf_take(&text);
        if (!s->q[s->n].id || !s->q[s->n].text) {
            rc = -1;
            break;
        }
        s->n++;
    }
    gzclose(f);
    lm_buf_free(&line);
    lm_buf_free(&id);
    lm_buf_free(&title);
    lm_buf_free(&text);
    return rc;
}

static int load_qrels(const lm_cli *cli, const char *path, eval_set *s, id_map *ids)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        lm_cli_error(cli, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    size_t lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
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
            lm_cli_error(cli, "%s:%zu: bad relevance grade", path, lineno);
            rc = -1;
            break;
        }
        equery *q = find_query(s, qid);
        if (!q)
            continue;   /* judged query not in this query file */
        int64_t doc = map_id(ids, did, 0);
        if (q->n_rels == q->cap_rels) {
            size_t nc = q->cap_rels ? 2 * q->cap_rels : 4;
            lm_qrel *nv = realloc(q->rels, nc * sizeof *nv);
            if (!nv) {
                rc = -1;
                break;
            }
            q->rels = nv;
            q->cap_rels = nc;
        }
        q->rels[q->n_rels++] = (lm_qrel){doc, (int)grade};
    }
    fclose(f);
    return rc;
}

/* ---- ingesting the corpus ---------------------------------------------------- */

static int ingest_corpus(const lm_cli *cli, lm_store *store, const char *path, id_map *ids,
                         size_t *n_docs)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        lm_cli_error(cli, "cannot open %s: %s", path, strerror(errno));
        return LM_EXIT_FAILURE;
    }
    lm_buf line, id, title, text;
    lm_buf_init(&line);
    lm_buf_init(&id);
    lm_buf_init(&title);
    lm_buf_init(&text);
    lm_error err = {0};
    lm_status st = lm_store_begin(store, &err);
    size_t lineno = 0, n = 0;
    int rc = LM_EXIT_OK;
    while (st == LM_OK && read_line(f, &line)) {
        lineno++;
        if (line.len <= 1)
            continue;
        if (parse_beir_line(&line, &id, &title, &text) != 0) {
            lm_cli_error(cli, "%s:%zu: not a BEIR corpus line", path, lineno);
            rc = LM_EXIT_FAILURE;
            break;
        }
        lm_article a;
        lm_article_init(&a);
        a.pmid = map_id(ids, lm_buf_cstr(&id), 1);
        a.version = 1;
        a.title = (char *)lm_buf_cstr(&title);
        a.abstract = (char *)lm_buf_cstr(&text);
        lm_put_result res;
        if (a.pmid > 0)
            st = lm_store_put_article(store, &a, path, &res, &err);
        n++;
        if (st == LM_OK && n % 5000 == 0) {
            st = lm_store_commit(store, &err);
            if (st == LM_OK)
                st = lm_store_begin(store, &err);
        }
    }
    if (st == LM_OK)
        st = lm_store_commit(store, &err);
    if (st != LM_OK) {
        lm_store_rollback(store, NULL);
        lm_cli_error(cli, "%s", err.msg);
        rc = lm_cli_exit_for(st);
    }
    gzclose(f);
    lm_buf_free(&line);
    lm_buf_free(&id);
    lm_buf_free(&title);
    lm_buf_free(&text);
    *n_docs = n;
    return rc;
}

/* ---- running ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct eval_scores {
    double ndcg, recall, mrr, latency;
} eval_scores;

static int run_mode(const lm_cli *cli, lm_search_session *srch, eval_set *qs,
                    int mode, const lm_search_params *params, int details, eval_scores *out)
{
    lm_search_results r;
    lm_search_results_init(&r);
    double *lat = calloc(qs->n ? qs->n : 1, sizeof *lat);
    int64_t *ranked = malloc(100 * sizeof *ranked);
    if (!lat || !ranked) {
        free(lat);
        free(ranked);
        return LM_EXIT_FAILURE;
    }
    size_t judged = 0;
    double ndcg = 0, recall = 0, mrr = 0;
    int rc = LM_EXIT_OK;
    for (size_t i = 0; i < qs->n; i++) {
        equery *q = &qs->q[i];
        if (q->n_rels == 0)
            continue;
        lm_error err = {0};
        size_t nr = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        lm_search_options o = {(lm_search_mode)mode, 100, 0, 0, params};
        lm_status st = lm_search_session_query(srch, q->text, &o, &r, &err);
        for (size_t j = 0; st == LM_OK && j < r.n && j < 100; j++)
            ranked[nr++] = r.hits[j].pmid;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (st != LM_OK) {
            lm_cli_error(cli, "query %s: %s", q->id, err.msg);
            rc = lm_cli_exit_for(st);
            break;
        }
        lat[judged] = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
        double n10 = lm_metric_ndcg(ranked, nr, q->rels, q->n_rels, 10);
        ndcg += n10;
        recall += lm_metric_recall(ranked, nr, q->rels, q->n_rels, 100);
        mrr += lm_metric_mrr(ranked, nr, q->rels, q->n_rels, 10);
        if (details)
            printf("INFO\t%s\t%s\t%.4f\t%s\n", lm_search_mode_name(mode), q->id, n10,
                   q->text);
        judged++;
    }
    if (judged) {
        lm_qsort(lat, judged, sizeof *lat, cmp_double);
        out->ndcg = ndcg / (double)judged;
        out->recall = recall / (double)judged;
        out->mrr = mrr / (double)judged;
        out->latency = judged % 2 ? lat[judged / 2]
                                  : (lat[judged / 2 - 1] + lat[judged / 2]) / 2;
    }
    free(lat);
    free(ranked);
    lm_search_results_free(&r);
    return rc;
}

static void print_scores(const char *prefix, const eval_scores *s)
{
    printf("%snDCG@10 %.4f\n", prefix, s->ndcg);
    printf("%sRecall@100 %.4f\n", prefix, s->recall);
    printf("%sMRR@10 %.4f\n", prefix, s->mrr);
    printf("%slatency_ms_median %.3f\n", prefix, s->latency);
}

/* Applies NAME=VALUE to the ranking parameters or fit options. */
static int set_param(const char *kv, lm_search_params *p, lm_embed_fit_options *fit)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        return -1;
    char name[64];
    size_t n = (size_t)(eq - kv);
    if (n >= sizeof name)
        return -1;
    memcpy(name, kv, n);
    name[n] = '\0';
    char *end;
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || *end)
        return -1;
    struct {
        const char *name;
        float *f;
        int *i;
    } const table[] = {
        {"k1", &p->k1, NULL},
        {"b_title", &p->b_title, NULL},
        {"b_abstract", &p->b_abstract, NULL},
        {"w_title", &p->w_title, NULL},
        {"w_abstract", &p->w_abstract, NULL},
        {"phrases", NULL, &p->phrases},
        {"phrase_weight", &p->phrase_weight, NULL},
        {"lex_candidates", NULL, &p->lex_candidates},
        {"phrase_depth", NULL, &p->phrase_depth},
        {"dense_candidates", NULL, &p->dense_candidates},
        {"dense_weight", &p->dense_weight, NULL},
        {"concept_weight", &p->concept_weight, NULL},
        {"prf_docs", NULL, &p->prf_docs},
        {"prf_terms", NULL, &p->prf_terms},
        {"prf_weight", &p->prf_weight, NULL},
        {"synonyms", NULL, &p->synonyms},
        {"synonym_weight", &p->synonym_weight, NULL},
        {"dense_prf_docs", NULL, &p->dense_prf_docs},
        {"dense_prf_weight", &p->dense_prf_weight, NULL},
        {"min_df", NULL, &fit->min_df},
        {"max_vocab", NULL, &fit->max_vocab},
        {"power_iters", NULL, &fit->power_iters},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            if (table[i].f)
                *table[i].f = (float)v;
            else
                *table[i].i = (int)v;
            return 0;
        }
    if (strcmp(name, "sigma_exp") == 0) {
        fit->sigma_exp = v;
        return 0;
    }
    if (strcmp(name, "bigrams") == 0) {
        fit->no_bigrams = v == 0;
        return 0;
    }
    if (strcmp(name, "max_df") == 0) {
        fit->max_df = v;
        return 0;
    }
    return -1;
}

int lm_cmd_eval_search(lm_cli *cli, int argc, char **argv)
{
    const char *corpus = NULL, *queries = NULL, *qrels = NULL, *work_db = NULL;
    const char *mode_name = "hybrid";
    int details = 0, dim = 0;
    lm_vec_format format = LM_VEC_DEFAULT;
    lm_search_params params;
    lm_search_params_default(&params);
    lm_embed_fit_options fit;
    memset(&fit, 0, sizeof fit);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--details") == 0) {
            details = 1;
            continue;
        }
        if (!v) {
            lm_cli_error(cli, "eval search: %s needs a value", a);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
        i++;
        if (strcmp(a, "--corpus") == 0) {
            corpus = v;
        } else if (strcmp(a, "--queries") == 0) {
            queries = v;
        } else if (strcmp(a, "--qrels") == 0) {
            qrels = v;
        } else if (strcmp(a, "--mode") == 0) {
            mode_name = v;
        } else if (strcmp(a, "--work-db") == 0) {
            work_db = v;
        } else if (strcmp(a, "--dim") == 0) {
            char *end;
            long d = strtol(v, &end, 10);
            if (*end || d < 2 || d > 4096) {
                lm_cli_error(cli, "eval search: --dim must be 2..4096");
                return LM_EXIT_USAGE;
            }
            dim = (int)d;
        } else if (strcmp(a, "--vec-format") == 0) {
            int f = lm_vec_format_parse(v);
            if (f < 0) {
                lm_cli_error(cli, "eval search: --vec-format must be f32, f16 or i8");
                return LM_EXIT_USAGE;
            }
            format = (lm_vec_format)f;
        } else if (strcmp(a, "--set") == 0) {
            if (set_param(v, &params, &fit) != 0) {
                lm_cli_error(cli, "eval search: bad --set %s", v);
                return LM_EXIT_USAGE;
            }
        } else {
            lm_cli_error(cli, "eval search: unknown option %s", a);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    int all = strcmp(mode_name, "all") == 0;
    int mode = all ? LM_SEARCH_HYBRID : lm_search_mode_parse(mode_name);
    if (!corpus || !queries || !qrels || mode < 0) {
        lm_cli_error(cli, "eval search: %s", mode < 0 ? "--mode must be hybrid, lexical, "
                                                        "dense or all"
                                                      : "--corpus, --queries and --qrels "
                                                        "are required");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    fit.dim = dim;

    char tmpdir[256] = "", dbpath[512];
    if (work_db) {
        snprintf(dbpath, sizeof dbpath, "%s", work_db);
    } else {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/litmine-eval-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            lm_cli_error(cli, "cannot create a temporary directory: %s", strerror(errno));
            return LM_EXIT_FAILURE;
        }
        snprintf(dbpath, sizeof dbpath, "%s/eval.db", tmpdir);
    }

    eval_set qs = {0};
    id_map ids = {0};
    lm_store *store = NULL;
    lm_search_session *srch = NULL;
    lm_error err = {0};
    int rc = LM_EXIT_OK;
    lm_status st = lm_store_open(&store, dbpath, NULL, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        rc = LM_EXIT_DB;
        goto done;
    }
    lm_search_info info;
    st = lm_search_get_info(store, &info, &err);
    size_t n_docs = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (st == LM_OK && (info.articles == 0 || !info.has_model)) {
        if (info.articles == 0)
            rc = ingest_corpus(cli, store, corpus, &ids, &n_docs);
        if (rc == LM_EXIT_OK && !all && mode == LM_SEARCH_LEXICAL) {
            /* Full text only: no embedding model needed. */
            lm_search_refresh_options ro;
            memset(&ro, 0, sizeof ro);
            ro.skip_vectors = 1;
            st = lm_index_refresh(store, &ro, NULL, &err);
        } else if (rc == LM_EXIT_OK) {
            lm_index_build_options bo;
            memset(&bo, 0, sizeof bo);
            bo.fit = fit;
            bo.refresh.format = format;
            bo.refresh.format_set = 1;
            lm_index_build_stats bs;
            st = lm_index_build(store, &bo, &bs, &err);
            if (st == LM_OK)
                lm_cli_info(cli, "model %lld: %d dims, %zu features, fitted on %lld docs in "
                            "%.2f s; embedded %lld in %.2f s",
                            (long long)bs.model_id, bs.dim, bs.vocab, (long long)bs.fit_docs,
                            bs.fit_seconds, (long long)bs.refresh.embedded,
                            bs.refresh.embed_seconds);
        }
    } else if (st == LM_OK) {
        /* A reused store: rebuild the id map for non-numeric ids. */
        gzFile f = gzopen(corpus, "rb");
        lm_buf line, id, title, text;
        lm_buf_init(&line);
        lm_buf_init(&id);
        lm_buf_init(&title);
        lm_buf_init(&text);
        while (f && read_line(f, &line))
            if (line.len > 1 && parse_beir_line(&line, &id, &title, &text) == 0)
                map_id(&ids, lm_buf_cstr(&id), 1);
        if (f)
            gzclose(f);
        lm_buf_free(&line);
        lm_buf_free(&id);
        lm_buf_free(&title);
        lm_buf_free(&text);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        rc = lm_cli_exit_for(st);
    }
    if (rc != LM_EXIT_OK)
        goto done;
    lm_cli_info(cli, "indexed %zu documents in %.2f s", n_docs,
                (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (load_queries(cli, queries, &qs) != 0 || load_qrels(cli, qrels, &qs, &ids) != 0) {
        rc = LM_EXIT_FAILURE;
        goto done;
    }
    char lexp[1024], nerp[1024];
    lm_search_session_config sc;
    lm_search_session_config_default(&sc, cli->config, lexp, sizeof lexp, nerp, sizeof nerp);
    st = lm_search_session_open(store, &sc, &srch, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        rc = lm_cli_exit_for(st);
        goto done;
    }
    eval_scores s;
    if (all) {
        static const int modes[] = {LM_SEARCH_LEXICAL, LM_SEARCH_DENSE, LM_SEARCH_HYBRID};
        for (size_t i = 0; rc == LM_EXIT_OK && i < 3; i++) {
            memset(&s, 0, sizeof s);
            rc = run_mode(cli, srch, &qs, modes[i], &params, details, &s);
            char prefix[32];
            snprintf(prefix, sizeof prefix, "%s.", lm_search_mode_name(modes[i]));
            if (rc == LM_EXIT_OK)
                print_scores(prefix, &s);
        }
    } else {
        memset(&s, 0, sizeof s);
        rc = run_mode(cli, srch, &qs, mode, &params, details, &s);
        if (rc == LM_EXIT_OK)
            print_scores("", &s);
    }

done:
    lm_search_session_close(srch);
    lm_store_close(store);
    eval_set_free(&qs);
    id_map_free(&ids);
    if (tmpdir[0]) {
        char p[600];
        const char *suffix[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", dbpath, suffix[i]);
            unlink(p);
        }
        rmdir(tmpdir);
    }
    return rc;
}
