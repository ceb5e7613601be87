/*
 * Reprocessing stored articles (see lm_reprocess.h): the plan (which
 * stages, what they replace, said first), then a scan of the stored
 * articles into the engine, each with the stored inputs its stages read.
 */
#include "lm_reprocess.h"

#include "../store/search/lm_vectors.h"
#include "../util/lm_clock.h"
#include "lm_engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct scan_ctx {
    const lm_reprocess_options *o;
    lm_engine *engine;
    lm_store *reader;         /* the scan's snapshot, also for stored inputs */
    unsigned produces;        /* doc parts the chain recomputes */
    unsigned inputs;          /* parts it reads from the store */
    lm_error *err;            /* why the callback stopped the scan */
    int64_t total;
    int64_t submitted;
} scan_ctx;

static lm_status submit_article(void *ctx, const lm_article *a)
{
    scan_ctx *c = ctx;
    lm_error *err = c->err;
    if (lm_cancel_requested(c->o->cancel))
        return lm_error_set(err, LM_ERR_INTERRUPTED, "interrupted by signal");
    lm_doc stored;
    lm_doc_init(&stored);
    unsigned found = 0, replace = c->produces;
    if (c->inputs) {
        lm_status st = lm_store_get_doc(c->reader, a->pmid, c->inputs, &stored, &found, err);
        if (st != LM_OK) {
            lm_doc_free(&stored);
            return st;
        }
    }
    /* Without stored sentences ner splits the text itself and numbers its
     * mentions' sentences by that split: keep it with them (nothing
     * stored is replaced). */
    if ((c->inputs & LM_DOC_SENTENCES) && !(found & LM_DOC_SENTENCES))
        replace |= LM_DOC_SENTENCES;
    lm_article copy;
    lm_article_init(&copy);
    copy.pmid = a->pmid;
    copy.version = a->version;
    copy.title = a->title ? strdup(a->title) : NULL;
    copy.abstract = a->abstract ? strdup(a->abstract) : NULL;
    if ((a->title && !copy.title) || (a->abstract && !copy.abstract)) {
        lm_article_free(&copy);
        lm_doc_free(&stored);
        return lm_error_nomem(err, NULL);
    }
    lm_status st = lm_engine_submit_reprocess(c->engine, &copy, &stored, replace, err);
    if (++c->submitted % 1000 == 0 && c->o->on_progress)
        c->o->on_progress(c->o->ctx, c->submitted, c->total, 0);
    return st;
}

/* ---- the announcement ---------------------------------------------------- */

/* Joins words as "a, b and c" into out (cap bytes). */
static void join_words(const char *const *words, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
                 words[i]);
    }
}

/* "mentions, abbreviations and pairs" for a set of doc parts. */
static void describe_parts(unsigned parts, char *out, size_t cap)
{
    const char *words[5];
    size_t n = 0;
    if (parts & LM_DOC_SENTENCES)
        words[n++] = "sentences";
    if (parts & LM_DOC_MENTIONS) {
        words[n++] = "mentions";
        words[n++] = "abbreviations";
    }
    if (parts & LM_DOC_PAIRS)
        words[n++] = "pairs";
    if (parts & LM_DOC_VECTOR)
        words[n++] = "vectors";
    join_words(words, n, out, cap);
}

/* "ner and pairs" for "ner,pairs" (stage names have no spaces). */
static void describe_list(const char *list, char *out, size_t cap)
{
    char copy[128];
    const char *words[LM_STAGE_MAX];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *w = strtok_r(copy, ",", &save); w && n < LM_STAGE_MAX;
         w = strtok_r(NULL, ",", &save))
        words[n++] = w;
    join_words(words, n, out, cap);
}

/* Says, before anything is written, what the rerun replaces and keeps. */
static void announce(const lm_reprocess_options *o, lm_store *reader, const char *list,
                     const char *added, unsigned produces, int64_t total)
{
    if (!o->on_notice)
        return;
    char stages[128], replaced[128], kept[128], line[600];
    describe_list(list, stages, sizeof stages);
    describe_parts(produces, replaced, sizeof replaced);
    describe_parts(LM_DOC_ALL & ~produces, kept, sizeof kept);
    snprintf(line, sizeof line,
             "running %s over %" PRId64 " articles: replaces their %s%s%s", stages,
             total, replaced, kept[0] ? "; keeps their " : "", kept);
    o->on_notice(o->ctx, line);
    if (added[0]) {
        int several = strchr(added, ',') != NULL;
        describe_list(added, stages, sizeof stages);
        snprintf(line, sizeof line,
                 "%s %s too: %s stored output is computed from what is replaced",
                 stages, several ? "run" : "runs", several ? "their" : "its");
        o->on_notice(o->ctx, line);
    }
    if (produces & LM_DOC_VECTOR) {
        lm_vec_model_info info;
        int found = 0;
        lm_error err;
        if (lm_vec_model_current(reader, &info, NULL, NULL, &found, &err) == LM_OK && !found)
            o->on_notice(o->ctx, "no embedding model yet (`litmine index build` fits one): "
                                 "embed leaves the vectors as they are");
    }
}

/* ---- the run ---------------------------------------------------------------- */

/* The chain to run: the stages asked for plus those whose stored output
 * would go stale (they join only where they have some). */
static lm_status plan(lm_store *store, lm_store *reader, const lm_reprocess_options *o,
                      char *list, char *added, size_t cap, lm_stage_chain *chain, int *setup,
                      lm_error *err)
{
    const char *names = o->stages && strcmp(o->stages, "none") != 0 ? o->stages : "";
    lm_status st = lm_stage_rerun_list(names, 0, list, NULL, cap, err);
    if (st == LM_OK && !list[0])
        st = lm_error_set(err, LM_ERR_USAGE, "no stages to run");
    unsigned stored = 0;
    if (st == LM_OK)
        st = lm_store_stored_parts(reader, o->since, &stored, err);
    if (st == LM_OK)
        st = lm_stage_rerun_list(names, stored, list, added, cap, err);
    if (st != LM_OK)
        return st;
    *setup = 1;
    st = lm_stage_chain_init_rerun(chain, list, o->cfg, err);
    if (st == LM_OK && (st = lm_stage_chain_attach(chain, store, err)) != LM_OK)
        lm_stage_chain_free(chain);
    if (st == LM_OK)
        *setup = 0;
    return st;
}

lm_status lm_reprocess_run(lm_store *store, lm_store *reader, const lm_reprocess_options *o,
                           lm_reprocess_result *out, lm_error *err)
{
    memset(out, 0, sizeof *out);
    char list[128], added[128];
    lm_stage_chain chain = {0};
    lm_status st = plan(store, reader, o, list, added, sizeof list, &chain, &out->setup, err);
    if (st != LM_OK)
        return st;
    double started = lm_now_seconds();
    scan_ctx sc = {o, NULL, reader, lm_stage_chain_produces(&chain),
                   lm_stage_chain_inputs(&chain), err, 0, 0};
    st = lm_store_count_articles_since(reader, o->since, &sc.total, err);
    out->total = sc.total;
    if (st == LM_OK)
        announce(o, reader, list, added, sc.produces, sc.total);
    lm_engine_options eopts = {.threads = o->threads,
                               .batch_size = o->batch_size,
                               .chain = &chain,
                               .source = "reprocess",
                               .on_warning = o->on_warning,
                               .warning_ctx = o->ctx};
    if (st == LM_OK)
        st = lm_engine_start(&sc.engine, store, &eopts, err);
    if (st == LM_OK) {
        st = lm_store_each_article_since(reader, o->since, submit_article, &sc, err);
        lm_error ferr;
        lm_status fst = lm_engine_finish(sc.engine, 0, &out->counts, &ferr);
        if (fst != LM_OK && (st == LM_OK || st == LM_ERR_INTERRUPTED)) {
            st = fst;
            *err = ferr;
        }
        if (o->on_progress)
            o->on_progress(o->ctx, sc.submitted, sc.total, 1);
        out->ran = 1;
        out->seconds = lm_now_seconds() - started;
    }
    lm_stage_chain_free(&chain);
    return st;
}
