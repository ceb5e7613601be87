/*
 * bench-search: speed figures for search (printed, nothing asserted).
 *
 *   bench-search vectors          dense latency vs corpus size: sgemv + top-k
 *                                 over 10k, 100k, 1M random 256-d vectors
 *   bench-search store DIR [N]    N synthetic abstracts (default 100000):
 *                                 ingest with deferred vs immediate FTS
 *                                 maintenance, refresh time, model fit time,
 *                                 embedding throughput, query latency
 *                                 (embed + search) per mode
 *   bench-search queries DB FILE [MODELS_DIR [DUMP]]
 *                                 in-process latency of each line of FILE
 *                                 as a hybrid query on an existing
 *                                 database (searcher opened once, default
 *                                 settings): p50 and p95 (make bench-scale);
 *                                 with DUMP, then writes each query's
 *                                 hybrid top 10 and lexical top 1000
 *                                 (scores to 17 digits) there, so that
 *                                 two builds' answers can be diffed
 *
 * Synthetic abstracts draw words from a Zipf distribution over 40,000
 * pseudo-words, each document mixing two of 50 topics, so the full-text
 * index and the embedding see realistic term statistics.
 */
#include "../pipeline/lm_index.h"
#include "../pipeline/lm_search_session.h"
#include "../store/search/lm_search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of the whole process (every thread): on a shared host the
 * figure that other processes' load moves least. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rs = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_vectors(void)
{
    const size_t sizes[] = {10000, 100000, 1000000};
    int dim = 256;
    printf("dense search latency (%d dims, top-10, sgemv + heap, median of 30 queries):\n", dim);
    for (size_t s = 0; s < 3; s++) {
        lm_vec_matrix m;
        lm_vec_matrix_init(&m);
        m.dim = dim;
        m.n = sizes[s];
        m.cap = sizes[s];
        m.data = malloc(m.n * (size_t)dim * sizeof *m.data);
        m.pmids = malloc(m.n * sizeof *m.pmids);
        m.years = calloc(m.n, sizeof *m.years);
        float *scores = malloc(m.n * sizeof *scores);
        if (!m.data || !m.pmids || !m.years || !scores) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        for (size_t i = 0; i < m.n * (size_t)dim; i++)
            m.data[i] = (float)((int)(rnd() % 2001) - 1000) / 1000.0f;
        for (size_t i = 0; i < m.n; i++)
            m.pmids[i] = (int64_t)i + 1;
        double lat[30];
        float q[256];
        lm_vec_hit hits[10];
        size_t nh;
        lm_error err;
        for (int t = 0; t < 30; t++) {
            for (int j = 0; j < dim; j++)
                q[j] = (float)((int)(rnd() % 2001) - 1000) / 1000.0f;
            double t0 = now_s();
            lm_vec_search(&m, q, 10, 0, scores, hits, &nh, &err);
            lat[t] = (now_s() - t0) * 1000;
        }
        printf("  %8zu vectors (%6.0f MB f32): %8.2f ms\n", m.n,
               m.n * (double)dim * 4 / 1e6, median(lat, 30));
        free(scores);
        lm_vec_matrix_free(&m);
    }
    return 0;
}

#define VOCAB 40000
#define TOPICS 50

static char words[VOCAB][12];

static void make_words(void)
{
    for (int i = 0; i < VOCAB; i++) {
        int v = i, n = 0;
        char w[12];
        do {
            w[n++] = (char)('a' + v % 21);   /* consonant-heavy pseudo-words */
            v /= 21;
            if (n % 2)
                w[n++] = "aeiou"[v % 5];
        } while (v && n < 9);
        w[n] = '\0';
        snprintf(words[i], sizeof words[i], "%sx%s", w, n < 4 ? "in" : "");
    }
}

/* A Zipf-ish word: rank r with probability ~ 1/r, shifted by topic. */
static const char *draw_word(int topic)
{
    double u = (double)(rnd() % 1000000) / 1000000.0;
    int r = (int)(exp(u * log((double)VOCAB)) - 1);
    if (r >= 300 && rnd() % 2)   /* content words: topic-specific band */
        r = (r + topic * 733) % VOCAB;
    return words[r < VOCAB ? r : VOCAB - 1];
}

static void make_text(char *buf, size_t cap, int n_words, int t1, int t2)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < n_words && n + 16 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "",
                              draw_word(i % 3 ? t1 : t2));
}

static int ingest(lm_store *s, int n, double *secs)
{
    char title[256], abstract[4096];
    lm_error err = {0};
    double t0 = now_s();
    if (lm_store_begin(s, &err) != LM_OK)
        return -1;
    for (int i = 0; i < n; i++) {
        int t1 = (int)(rnd() % TOPICS), t2 = (int)(rnd() % TOPICS);
        make_text(title, sizeof title, 10, t1, t1);
        make_text(abstract, sizeof abstract, 180, t1, t2);
        lm_article a;
        lm_article_init(&a);
        a.pmid = 1000 + i;
        a.version = 1;
        a.year = 1990 + i % 35;
        a.title = title;
        a.abstract = abstract;
        lm_put_result r;
        if (lm_store_put_article(s, &a, "bench", &r, &err) != LM_OK)
            return -1;
        if (i % 5000 == 4999 && (lm_store_commit(s, &err) != LM_OK ||
                                 lm_store_begin(s, &err) != LM_OK))
            return -1;
    }
    if (lm_store_commit(s, &err) != LM_OK)
        return -1;
    *secs = now_s() - t0;
    return 0;
}

static lm_store *fresh(const char *dir, const char *name)
{
    char p[1024];
    const char *suf[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s%s", dir, name, suf[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/%s", dir, name);
    lm_store *s = NULL;
    lm_error err = {0};
    if (lm_store_open(&s, p, NULL, &err) != LM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    return s;
}

static int bench_store(const char *dir, int n)
{
    make_words();
    lm_error err = {0};
    double t_def = 0;
    lm_store *s = fresh(dir, "bench-search.db");
    if (!s || ingest(s, n, &t_def))
        return 1;
    lm_search_refresh_options ro = {.skip_vectors = 1};
    lm_search_refresh_stats st;
    if (lm_index_refresh(s, &ro, &st, &err) != LM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("store of %d synthetic abstracts (~190 words each):\n", n);
    printf("  ingest (full text queued):        %7.2f s  %8.0f articles/s\n", t_def, n / t_def);
    printf("  refresh (lexical index):          %7.2f s  %8.0f articles/s\n", st.fts_seconds,
           n / st.fts_seconds);

    lm_index_build_options bo;
    memset(&bo, 0, sizeof bo);
    lm_index_build_stats bs;
    if (lm_index_build(s, &bo, &bs, &err) != LM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("  model fit (LSA %d dims, %zu features, %lld docs): %.1f s (+ %.1f s reading)"
           " = %.1f s per 100k abstracts\n",
           bs.dim, bs.vocab, (long long)bs.fit_docs, bs.fit_seconds, bs.read_seconds,
           (bs.fit_seconds + bs.read_seconds) * 100000.0 / (double)bs.fit_docs);
    printf("  embed + store all:                %7.2f s  %8.0f abstracts/s\n",
           bs.refresh.embed_seconds, bs.refresh.embedded / bs.refresh.embed_seconds);

    /* Embedding alone, one thread. */
    lm_vec_model_info info;
    void *data = NULL;
    size_t len = 0;
    int found = 0;
    lm_embed_model *m = NULL;
    lm_embed_scratch *sc = NULL;
    if (lm_vec_model_current(s, &info, &data, &len, &found, &err) != LM_OK || !found ||
        lm_embed_model_load(data, len, &m, &err) != LM_OK ||
        lm_embed_scratch_init(&sc, &err) != LM_OK)
        return 1;
    free(data);
    char text[4096];
    float *v = malloc((size_t)lm_embed_model_dim(m) * sizeof *v);
    int ne = 5000;
    double emb = 0;
    for (int i = 0; i < ne; i++) {
        make_text(text, sizeof text, 190, (int)(rnd() % TOPICS), (int)(rnd() % TOPICS));
        double t0 = now_s();
        lm_embed_text(m, sc, text, strlen(text), v, &err);
        emb += now_s() - t0;
    }
    printf("  embedding throughput (1 core):    %8.0f abstracts/s\n", ne / emb);
    free(v);
    lm_embed_scratch_free(sc);
    lm_embed_model_free(m);

    double t0 = now_s();
    lm_search_session *srch = NULL;
    if (lm_search_session_open(s, NULL, &srch, &err) != LM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("  searcher open, from SQLite (%zu vectors + model): %7.2f s\n",
           lm_search_session_vectors(srch), now_s() - t0);
    /* The first open wrote the cache file; a new process maps it. */
    lm_search_session_close(srch);
    t0 = now_s();
    if (lm_search_session_open(s, NULL, &srch, &err) != LM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("  searcher open, mapped cache file:  %7.2f s\n", now_s() - t0);
    lm_search_results r;
    lm_search_results_init(&r);
    for (int mode = LM_SEARCH_HYBRID; mode <= LM_SEARCH_DENSE; mode++) {
        double lat[50], emb_ms[50];
        for (int q = 0; q < 50; q++) {
            char qt[256];
            make_text(qt, sizeof qt, 4 + q % 6, q % TOPICS, q % TOPICS);
            lm_search_options o = {(lm_search_mode)mode, 10, 0, 0, NULL};
            t0 = now_s();
            if (lm_search_session_query(srch, qt, &o, &r, &err) != LM_OK) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            lat[q] = (now_s() - t0) * 1000;
            emb_ms[q] = r.embed_ms;
        }
        printf("  query latency %-7s (embed+search, median of 50): %7.2f ms (embed %.3f ms)\n",
               lm_search_mode_name((lm_search_mode)mode), median(lat, 50), median(emb_ms, 50));
    }
    lm_search_results_free(&r);
    lm_search_session_close(srch);
    lm_store_close(s);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Writes each query of f's answers to out, untimed: hybrid top 10 and
 * lexical top 1000, every score in full. */
static int dump_answers(lm_search_session *srch, FILE *f, FILE *out, lm_search_results *r)
{
    static const struct {
        lm_search_mode mode;
        int k;
    } runs[] = {{LM_SEARCH_HYBRID, 10}, {LM_SEARCH_LEXICAL, 1000}};
    lm_error err;
    char line[1024];
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        for (size_t m = 0; m < sizeof runs / sizeof runs[0]; m++) {
            lm_search_options o = {runs[m].mode, runs[m].k, 0, 0, NULL};
            if (lm_search_session_query(srch, line, &o, r, &err) != LM_OK) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            fprintf(out, "%s %s\n", lm_search_mode_name(runs[m].mode), line);
            for (size_t i = 0; i < r->n; i++)
                fprintf(out, "%lld %.17g %.17g %.17g %d %d %d\n", (long long)r->hits[i].pmid,
                        r->hits[i].score, r->hits[i].lexical, r->hits[i].dense,
                        r->hits[i].concepts, r->hits[i].lex_rank, r->hits[i].dense_rank);
        }
    }
    return 0;
}

/* Latency of FILE's queries on the database at path, searcher loaded;
 * with dump, their answers written there afterwards. */
static int bench_queries(const char *path, const char *file, const char *models,
                         const char *dump)
{
    lm_error err;
    lm_store *s = NULL;
    lm_store_options ro = {.readonly = 1};
    if (lm_store_open(&s, path, &ro, &err) != LM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    FILE *f = fopen(file, "r");
    if (!f) {
        perror(file);
        lm_store_close(s);
        return 1;
    }
    /* As `litmine query` opens it: the models directory's lexicon and
     * tagger for the query's concepts, the mapped vector cache. */
    double t0 = now_s();
    char lexp[1024], nerp[1024];
    snprintf(lexp, sizeof lexp, "%s/lexicon.bin", models);
    snprintf(nerp, sizeof nerp, "%s/ner.bin", models);
    lm_search_session_config sc = {0};
    sc.lexicon_path = access(lexp, R_OK) == 0 ? lexp : NULL;
    sc.ner_path = access(nerp, R_OK) == 0 ? nerp : NULL;
    lm_search_session *srch = NULL;
    if (lm_search_session_open(s, &sc, &srch, &err) != LM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        fclose(f);
        lm_store_close(s);
        return 1;
    }
    double open_s = now_s() - t0;
    lm_search_results r;
    lm_search_results_init(&r);
    double lat[1000], cpu[1000], lex_ms[1000], dense_ms[1000], embed_ms[1000];
    int n = 0, rc = 0;
    char line[1024];
    while (n < 1000 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        lm_search_options o = {LM_SEARCH_HYBRID, 10, 0, 0, NULL};
        t0 = now_s();
        double c0 = cpu_s();
        if (lm_search_session_query(srch, line, &o, &r, &err) != LM_OK) {
            fprintf(stderr, "%s\n", err.msg);
            rc = 1;
            break;
        }
        lat[n] = (now_s() - t0) * 1000;
        cpu[n] = (cpu_s() - c0) * 1000;
        lex_ms[n] = r.lexical_ms;
        dense_ms[n] = r.dense_ms;
        embed_ms[n] = r.embed_ms;
        n++;
    }
    /* The lexical side alone (lexical mode: one thread, no dense scan),
     * its CPU time per query. */
    double lex_cpu[1000];
    int n_lex = 0;
    rewind(f);
    while (rc == 0 && n_lex < 1000 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        lm_search_options o = {LM_SEARCH_LEXICAL, 10, 0, 0, NULL};
        double c0 = cpu_s();
        if (lm_search_session_query(srch, line, &o, &r, &err) != LM_OK) {
            fprintf(stderr, "%s\n", err.msg);
            rc = 1;
            break;
        }
        lex_cpu[n_lex++] = (cpu_s() - c0) * 1000;
    }
    if (rc == 0 && dump) {
        FILE *out = fopen(dump, "w");
        if (!out) {
            perror(dump);
            rc = 1;
        } else {
            rc = dump_answers(srch, f, out, &r);
            if (fclose(out) != 0)
                rc = 1;
        }
    }
    fclose(f);
    if (rc == 0 && n > 0) {
        qsort(lat, (size_t)n, sizeof lat[0], cmp_double);
        printf("in-process: searcher open %.3f s; %d hybrid queries: p50 %.2f ms, p95 %.2f ms\n",
               open_s, n, lat[n / 2], lat[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1]);
        qsort(cpu, (size_t)n, sizeof cpu[0], cmp_double);
        printf("in-process CPU per query (all threads): p50 %.2f ms, p95 %.2f ms\n", cpu[n / 2],
               cpu[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1]);
        /* where a query's time goes: the analysis (tagging, embedding),
         * the lexical and the dense retrieval, medians of each */
        qsort(lex_ms, (size_t)n, sizeof lex_ms[0], cmp_double);
        qsort(dense_ms, (size_t)n, sizeof dense_ms[0], cmp_double);
        qsort(embed_ms, (size_t)n, sizeof embed_ms[0], cmp_double);
        printf("in-process medians: query embedding %.2f ms, lexical %.2f ms, dense %.2f ms\n",
               embed_ms[n / 2], lex_ms[n / 2], dense_ms[n / 2]);
        qsort(lex_cpu, (size_t)n_lex, sizeof lex_cpu[0], cmp_double);
        if (n_lex > 0)
            printf("the same queries in lexical mode: CPU p50 %.2f ms, p95 %.2f ms\n",
                   lex_cpu[n_lex / 2],
                   lex_cpu[(n_lex * 95) / 100 < n_lex ? (n_lex * 95) / 100 : n_lex - 1]);
    }
    lm_search_results_free(&r);
    lm_search_session_close(srch);
    lm_store_close(s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "queries") == 0)
        return bench_queries(argv[2], argv[3], argc >= 5 ? argv[4] : "models",
                             argc >= 6 ? argv[5] : NULL);
    if (argc >= 2 && strcmp(argv[1], "vectors") == 0)
        return bench_vectors();
    if (argc >= 3 && strcmp(argv[1], "store") == 0) {
        int n = argc >= 4 ? (int)strtol(argv[3], NULL, 10) : 100000;
        return bench_store(argv[2], n > 100 ? n : 100000);
    }
    fprintf(stderr, "usage: bench-search vectors | store DIR [N] | queries DB FILE [MODELS_DIR [DUMP]]\n");
    return 2;
}
