/*
 * tests/test-serve: the pieces of serve/ that need no socket — HTML
 * escaping, the year chart, --listen parsing, the autocomplete list, and
 * the concept index with the concept view counted from it, and the policy
 * that decides when the reloader rebuilds that index (on a simulated clock).
 * The pages and API over HTTP are tests/test-serve.sh's.
 */
#include "../serve/lm_serve_impl.h"
#include "lm_test.h"
#include "lm_test_store.h"

#include <stdlib.h>
#include <string.h>

/* What writer(f) writes, as a heap string. */
static char *capture(void (*writer)(FILE *f, const void *arg), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    writer(f, arg);
    fclose(f);
    return buf;
}

static void write_escaped(FILE *f, const void *arg)
{
    lm_serve_html_escape(f, arg);
}

static void test_escape(void)
{
    char *s = capture(write_escaped, "<script>alert(\"x\")</script> & 'q' café");
    LM_CHECK_STR(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; café");
    free(s);
    s = capture(write_escaped, "");
    LM_CHECK_STR(s, "");
    free(s);
    s = capture(write_escaped, NULL);
    LM_CHECK_STR(s, "");
    free(s);
}

typedef struct years_arg {
    const lm_serve_count *v;
    size_t n;
} years_arg;

static void write_chart(FILE *f, const void *arg)
{
    const years_arg *y = arg;
    lm_serve_svg_years(f, y->v, y->n);
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

static void test_chart(void)
{
    lm_serve_count v[4];
    memset(v, 0, sizeof v);
    v[0].year = 0;   /* unknown year: not drawn */
    v[0].n = 5;
    v[1].year = 2010;
    v[1].n = 2;
    v[2].year = 2012;
    v[2].n = 4;
    v[3].year = 2013;
    v[3].n = 1;
    years_arg a = {v, 4};
    char *s = capture(write_chart, &a);
    LM_CHECK(s && strncmp(s, "<svg class=\"chart\"", 18) == 0);
    LM_CHECK(s && strstr(s, "</svg>") != NULL);
    LM_CHECK_INT(count(s, "<rect class=\"bar\""), 3);
    LM_CHECK(strstr(s, "<title>2012: 4 articles</title>") != NULL);
    LM_CHECK(strstr(s, "<title>2013: 1 article</title>") != NULL);
    /* the tallest bar spans the plot: 4 of 4 */
    LM_CHECK(strstr(s, "height=\"180.0\"><title>2012") != NULL);
    LM_CHECK(strstr(s, ">4</text>") != NULL);   /* y axis maximum */
    free(s);
    years_arg none = {v, 1};
    s = capture(write_chart, &none);
    LM_CHECK(s && strstr(s, "<svg") == NULL && strstr(s, "No publication years") != NULL);
    free(s);
}

static void test_listen(void)
{
    char host[64];
    int port = -1;
    LM_CHECK(lm_serve_parse_listen("127.0.0.1:8080", host, sizeof host, &port));
    LM_CHECK_STR(host, "127.0.0.1");
    LM_CHECK_INT(port, 8080);
    LM_CHECK(lm_serve_parse_listen("[::1]:0", host, sizeof host, &port));
    LM_CHECK_STR(host, "::1");
    LM_CHECK_INT(port, 0);
    LM_CHECK(!lm_serve_parse_listen("127.0.0.1", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen("127.0.0.1:", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen("127.0.0.1:65536", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen(":80", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen("[::1]80", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen("127.0.0.1:8x", host, sizeof host, &port));
}

static void test_complete(void)
{
    /* sorted by key, as lm_serve_index_build leaves them */
    lm_serve_name names[] = {
        {"acetaminophen", "acetaminophen", "MESH:D000082", "Chemical", 30},
        {"acetylcysteine", "acetylcysteine", "MESH:D000111", "Chemical", 50},
        {"acute liver failure", "acute liver failure", "MESH:D017114", "Disease", 10},
        {"apap", "APAP", "MESH:D000082", "Chemical", 30},
        {"hepatotoxicity", "hepatotoxicity", "MESH:D056486", "Disease", 60},
    };
    lm_serve_index ix;
    memset(&ix, 0, sizeof ix);
    ix.complete = names;
    ix.n_complete = sizeof names / sizeof names[0];
    const lm_serve_name *out[4];
    size_t n = lm_serve_names_complete(&ix, "AC", NULL, out, 4);
    LM_CHECK_INT(n, 3);
    LM_CHECK_STR(out[0]->id, "MESH:D000111");   /* most mentioned first */
    LM_CHECK_STR(out[1]->id, "MESH:D000082");
    LM_CHECK_STR(out[2]->id, "MESH:D017114");
    n = lm_serve_names_complete(&ix, "ac", "disease", out, 4);
    LM_CHECK_INT(n, 1);
    LM_CHECK_STR(out[0]->name, "acute liver failure");
    n = lm_serve_names_complete(&ix, "a", NULL, out, 2);
    LM_CHECK_INT(n, 2);
    LM_CHECK_STR(out[0]->id, "MESH:D000111");
    LM_CHECK_STR(out[1]->id, "MESH:D000082");   /* once, though under two names */
    n = lm_serve_names_complete(&ix, "a", NULL, out, 4);
    LM_CHECK_INT(n, 3);
    LM_CHECK_INT(lm_serve_names_complete(&ix, "zz", NULL, out, 4), 0);
    LM_CHECK_INT(lm_serve_names_complete(&ix, "", NULL, out, 4), 0);
}

/* Three articles: 101 (2018) and 103 (2020) mention acetaminophen and
 * hepatotoxicity, 102 (2018) ethanol too; 103 writes "acetaminophen". */
static lm_store *index_store(void)
{
    lm_store *s = lm_test_open_store("index.db");
    lm_error err = {0};
    lm_status st = s ? lm_store_begin(s, &err) : LM_ERR_IO;
    for (int i = 0; i < 3 && st == LM_OK; i++) {
        lm_article a;
        lm_article_init(&a);
        a.pmid = 101 + i;
        a.version = 1;
        a.year = i == 2 ? 2020 : 2018;
        a.title = strdup("Acetaminophen hepatotoxicity");
        st = lm_store_put_article(s, &a, "test", NULL, &err);
        lm_article_free(&a);
        lm_doc d;
        lm_doc_init(&d);
        if (st == LM_OK)
            st = lm_doc_set_text(&d, "Acetaminophen hepatotoxicity", "", &err);
        if (st == LM_OK)
            st = lm_doc_add_mention(&d, 0, 13, LM_ENT_CHEMICAL,
                                    i == 2 ? "acetaminophen" : "Acetaminophen", "MESH:D000082", 0,
                                    1, &err);
        if (st == LM_OK)
            st = lm_doc_add_mention(&d, 14, 28, LM_ENT_DISEASE, "hepatotoxicity",
                                    "MESH:D056486", 0, 1, &err);
        if (st == LM_OK && i == 1)
            st = lm_doc_add_mention(&d, 0, 13, LM_ENT_CHEMICAL, "ethanol", "MESH:D000431", 0, 1,
                                    &err);
        if (st == LM_OK)
            st = lm_store_put_doc(s, 101 + i, &d, LM_DOC_MENTIONS, &err);
        lm_doc_free(&d);
    }
    if (st == LM_OK)
        st = lm_store_commit(s, &err);
    if (st != LM_OK) {
        fprintf(stderr, "index_store: %s\n", err.msg);
        lm_store_close(s);
        return NULL;
    }
    return s;
}

static void test_index(void)
{
    lm_store *s = index_store();
    LM_CHECK(s != NULL);
    if (!s)
        return;
    lm_error err = {0};
    lm_serve_index *ix = NULL;
    LM_CHECK_INT(lm_serve_index_build(NULL, s, &ix, &err), LM_OK);
    if (!ix) {
        lm_store_close(s);
        return;
    }
    LM_CHECK_INT(ix->n_articles, 3);
    LM_CHECK_INT(ix->n_concepts, 3);
    LM_CHECK_INT(lm_serve_index_article(ix, 102), 1);
    LM_CHECK(lm_serve_index_article(ix, 104) == SIZE_MAX);
    LM_CHECK_INT(ix->article_at[2] - ix->article_at[1], 3);   /* 102: three concepts */
    size_t n = 0, c = lm_serve_index_concept(ix, "MESH:D000082", &n);
    LM_CHECK_INT(n, 1);
    const lm_serve_concept *apap = &ix->concepts[c];
    LM_CHECK_STR(apap->type, "Chemical");
    LM_CHECK_INT(apap->mentions, 3);
    LM_CHECK_INT(apap->n_articles, 3);
    LM_CHECK_STR(apap->name, "Acetaminophen");   /* two of three */
    LM_CHECK_INT(apap->n_synonyms, 1);           /* folded by case */
    LM_CHECK_INT(apap->synonyms[0].n, 3);
    lm_serve_index_concept(ix, "MESH:D999999", &n);
    LM_CHECK_INT(n, 0);
    LM_CHECK_INT(ix->n_complete, 3);

    /* The concept view counted from the index. */
    lm_serve sv;
    memset(&sv, 0, sizeof sv);
    lm_serve_worker w = {.store = s, .index = ix};
    lm_serve_concept_view v;
    LM_CHECK_INT(lm_serve_concept_load(&sv, &w, "MESH:D000082", &v, &err), LM_OK);
    LM_CHECK_INT(v.sum.articles, 3);
    LM_CHECK_INT(v.sum.mentions, 3);
    LM_CHECK_INT(v.n_years, 2);
    LM_CHECK(v.n_years == 2 && v.years[0].year == 2018 && v.years[0].n == 2 &&
             v.years[1].year == 2020 && v.years[1].n == 1);
    LM_CHECK_INT(v.n_comentions, 2);
    LM_CHECK(v.n_comentions == 2 && strcmp(v.comentions[0].id, "MESH:D056486") == 0 &&
             v.comentions[0].n == 3 && strcmp(v.comentions[1].id, "MESH:D000431") == 0 &&
             v.comentions[1].n == 1);
    lm_serve_concept_view_free(&v);
    LM_CHECK_INT(lm_serve_concept_load(&sv, &w, "MESH:D999999", &v, &err), LM_ERR_NOTFOUND);
    lm_serve_index_free(ix);
    lm_store_close(s);
}

/* ---- the reload policy, on a simulated clock ---------------------------- */

/* A simulated server: the reloader polls every 500 ms; a rebuild started
 * at t holds every commit made up to t and ends cost_ms later. */
typedef struct reload_sim {
    lm_serve_reload_policy p;
    double cost_ms;              /* CPU (= wall, here) time of each rebuild */
    double indexed;              /* the last commit the index holds */
    double oldest_missing;       /* the oldest commit it lacks; < 0: none */
    double worst_staleness;      /* the longest a commit waited to be indexed */
    int rebuilds;
} reload_sim;

static void sim_start(reload_sim *sim, double cost_ms)
{
    memset(sim, 0, sizeof *sim);
    sim->cost_ms = cost_ms;
    sim->oldest_missing = -1;
    lm_serve_reload_built(&sim->p, 0, cost_ms);   /* the build at start */
}

/* Runs the reloader from *t to until; commits every `every` ms in
 * [first, last]. */
static void sim_run(reload_sim *sim, double *t, double until, double first, double last,
                    double every)
{
    double prev = *t;
    while (*t < until) {
        *t += 500;
        int committed = 0;
        for (double c = first; c <= last; c += every)
            if (c > prev && c <= *t) {
                committed = 1;
                if (sim->oldest_missing < 0)
                    sim->oldest_missing = c;
            }
        prev = *t;
        if (committed)
            lm_serve_reload_seen(&sim->p, *t);
        if (!lm_serve_reload_due(&sim->p, *t))
            continue;
        double start = *t, end = start + sim->cost_ms;
        if (sim->oldest_missing >= 0 && end - sim->oldest_missing > sim->worst_staleness)
            sim->worst_staleness = end - sim->oldest_missing;
        sim->oldest_missing = -1;
        sim->indexed = start;
        sim->rebuilds++;
        lm_serve_reload_built(&sim->p, end, sim->cost_ms);
        while (*t < end)
            *t += 500;
        /* Commits made during the build are seen by the next poll. */
        for (double c = first; c <= last; c += every)
            if (c > start && c <= *t && sim->oldest_missing < 0)
                sim->oldest_missing = c;
        if (sim->oldest_missing >= 0)
            lm_serve_reload_seen(&sim->p, *t);
        prev = *t;
    }
}

static void test_reload_policy(void)
{
    reload_sim sim;
    double t = 0;

    /* One commit: rebuilt once the commits have been quiet a second. */
    sim_start(&sim, 10);
    sim_run(&sim, &t, 100000, 100000, 100000, 1);
    LM_CHECK_INT(sim.rebuilds, 0);
    LM_CHECK(sim.p.dirty);
    LM_CHECK(!lm_serve_reload_due(&sim.p, 100500));
    LM_CHECK(lm_serve_reload_due(&sim.p, 101000));
    sim_run(&sim, &t, 105000, 0, -1, 1);
    LM_CHECK_INT(sim.rebuilds, 1);
    LM_CHECK(!sim.p.dirty);

    /* Commits that never settle: rebuilt at the latest every 30 s. */
    sim_start(&sim, 10);
    t = 0;
    sim_run(&sim, &t, 95000, 1000, 95000, 500);
    LM_CHECK_INT(sim.rebuilds, 3);
    LM_CHECK(sim.worst_staleness <= LM_SERVE_RELOAD_MAX_WAIT_MS + 1000);

    /* A long ingest committing every 2 s with 3 s rebuilds: a rebuild
     * after each settled commit would take the whole core; the gap keeps
     * it at a tenth, and a commit still waits a bounded time. */
    sim_start(&sim, 3000);
    t = 0;
    double hour = 3600 * 1000.0;
    sim_run(&sim, &t, hour, 2000, hour, 2000);
    LM_CHECK(sim.rebuilds * sim.cost_ms <= 0.1 * hour + sim.cost_ms);
    LM_CHECK(sim.rebuilds * sim.cost_ms >= 0.08 * hour);   /* and no slower than need be */
    LM_CHECK(sim.worst_staleness <=
             (LM_SERVE_RELOAD_GAP_FACTOR + 1) * sim.cost_ms + sim.cost_ms + 1000);
    /* After the ingest, the last batch is indexed within the same bound. */
    sim_run(&sim, &t, hour + 60000, 0, -1, 1);
    LM_CHECK(sim.indexed >= hour);
    LM_CHECK(!sim.p.dirty);

    /* Expensive rebuilds (a million abstracts): the gap outgrows 30 s. */
    sim_start(&sim, 30000);
    t = 0;
    sim_run(&sim, &t, hour, 2000, hour, 2000);
    LM_CHECK(sim.rebuilds * sim.cost_ms <= 0.1 * hour + sim.cost_ms);
    LM_CHECK(sim.worst_staleness <=
             (LM_SERVE_RELOAD_GAP_FACTOR + 1) * sim.cost_ms + sim.cost_ms + 1000);

    /* A failed rebuild keeps its commits pending and is retried after
     * its own gap. */
    lm_serve_reload_policy p;
    memset(&p, 0, sizeof p);
    lm_serve_reload_built(&p, 0, 100);
    lm_serve_reload_seen(&p, 5000);
    LM_CHECK(lm_serve_reload_due(&p, 6000));
    lm_serve_reload_failed(&p, 7000, 1000);
    LM_CHECK(p.dirty);
    LM_CHECK(!lm_serve_reload_due(&p, 15000));
    LM_CHECK(lm_serve_reload_due(&p, 16000));
}

int main(void)
{
    LM_RUN(test_escape);
    LM_RUN(test_chart);
    LM_RUN(test_listen);
    LM_RUN(test_complete);
    LM_RUN(test_index);
    LM_RUN(test_reload_policy);
    return LM_DONE();
}
