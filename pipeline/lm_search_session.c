/*
 * Search sessions (see lm_search_session.h).
 */
#include "lm_search_session.h"

#include "../nlp/lm_embed.h"
#include "../nlp/lm_embed_encoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lm_search_session {
    lm_query_analyzer *analyzer;
    lm_searcher *searcher;
    lm_query_analysis query;  /* reused from query to query */
    char *stale;              /* why the vectors cannot be used, or NULL */
};

void lm_search_session_config_default(lm_search_session_config *out, const lm_config *cfg,
                                      char *lex_buf, size_t lex_cap, char *ner_buf,
                                      size_t ner_cap)
{
    lm_query_analyzer_config ac;
    lm_query_analyzer_config_default(&ac, cfg, lex_buf, lex_cap, ner_buf, ner_cap);
    memset(out, 0, sizeof *out);
    out->lexicon_path = ac.lexicon_path;
    out->ner_path = ac.ner_path;
    out->encoder_dir = lm_config_get(cfg, "embed", "model");
    out->encoder_pooling = lm_config_get(cfg, "embed", "pooling");
    if (out->encoder_dir && !*out->encoder_dir)
        out->encoder_dir = NULL;
}

void lm_search_session_close(lm_search_session *ss)
{
    if (!ss)
        return;
    lm_searcher_close(ss->searcher);
    lm_query_analyzer_close(ss->analyzer);
    lm_query_analysis_free(&ss->query);
    free(ss->stale);
    free(ss);
}

/* Records why the stored vectors cannot serve queries. */
static lm_status set_stale(lm_search_session *ss, const char *record, size_t len,
                           const lm_search_session_config *c, lm_error *err)
{
    char made[600];
    if (record)
        lm_embed_encoder_describe(record, len, made, sizeof made);
    else
        snprintf(made, sizeof made, "the built-in LSA model");
    char msg[1400];
    snprintf(msg, sizeof msg,
             "the stored vectors were made by %s, but [embed] model is %s: run `litmine index "
             "build` to embed the articles with it (or use --mode lexical until then)",
             made, c->encoder_dir);
    ss->stale = strdup(msg);
    return ss->stale ? LM_OK : lm_error_nomem(err, "opening the search index");
}

/* The encoder of the stored vectors (a record), for the analyzer: the
 * configured one when it made them, the record's own when none is
 * configured; else the session is marked stale. */
static lm_status use_encoder(lm_search_session *ss, const void *record, size_t len,
                             const lm_search_session_config *c, lm_error *err)
{
    lm_embed_encoder *enc = NULL;
    lm_status st;
    if (c->encoder_dir) {
        int same = 0;
        st = lm_embed_encoder_open(&enc, c->encoder_dir, c->encoder_pooling, err);
        if (st != LM_OK)
            return lm_error_wrap(err, "[embed] model");
        st = lm_embed_encoder_matches(enc, record, len, &same, err);
        if (st == LM_OK && !same) {
            lm_embed_encoder_free(enc);
            return set_stale(ss, record, len, c, err);
        }
    } else {
        st = lm_embed_encoder_open_record(&enc, record, len, err);
    }
    if (st != LM_OK) {
        lm_embed_encoder_free(enc);
        return st;
    }
    return lm_query_analyzer_set_encoder(ss->analyzer, enc, err);
}

lm_status lm_search_session_open(lm_store *s, const lm_search_session_config *cfg,
                                 lm_search_session **out, lm_error *err)
{
    *out = NULL;
    lm_search_session_config c = {0};
    if (cfg)
        c = *cfg;
    lm_search_session *ss = calloc(1, sizeof *ss);
    if (!ss)
        return lm_error_nomem(err, "opening the search index");
    lm_query_analysis_init(&ss->query);
    /* One query: OpenBLAS's idle threads would spin for as long as the
     * process lives (lm_vectors.h). */
    if (c.one_query)
        lm_vec_blas_pool_stop();
    lm_vec_model_info cur;
    int found = 0;
    /* _info: neither the model's bytes nor a count of its vectors (a scan
     * of their index, ~100 ms at 1M abstracts, for a number not used here) */
    lm_status st = c.no_vectors ? LM_OK : lm_vec_model_current_info(s, &cur, &found, err);
    int is_encoder = found && strcmp(cur.kind, LM_EMBED_ENCODER_KIND) == 0;
    lm_searcher_config sc = {c.no_vectors, found ? cur.kind : LM_EMBED_KIND};
    if (st == LM_OK)
        st = lm_searcher_open(s, &sc, NULL, &ss->searcher, err);
    size_t len = 0;
    const void *model = st == LM_OK ? lm_searcher_model(ss->searcher, &len) : NULL;
    lm_query_analyzer_config ac = {c.lexicon_path, c.ner_path};
    if (st == LM_OK)
        st = lm_query_analyzer_open(&ac, &ss->analyzer, err);
    /* A model mapped from the cache file is used in place (a query then
     * reads only its own words' rows); one read from SQLite is copied and
     * its bytes released. */
    int mapped = st == LM_OK && lm_searcher_model_mapped(ss->searcher);
    if (st == LM_OK && model && is_encoder)
        st = use_encoder(ss, model, len, &c, err);
    else if (st == LM_OK && model && c.encoder_dir)
        st = set_stale(ss, NULL, 0, &c, err);
    else if (st == LM_OK && model)
        st = mapped ? lm_query_analyzer_map_embedding(ss->analyzer, model, len, err)
                    : lm_query_analyzer_set_embedding(ss->analyzer, model, len, err);
    if (st == LM_OK) {
        if (!mapped)
            lm_searcher_drop_model(ss->searcher);
        lm_search_text_ops ops = {ss->analyzer, NULL, lm_query_split_sentences,
                                  lm_query_concept_name};
        /* Feedback weighs words by the LSA model's idf; an encoder has none. */
        if (lm_query_analyzer_has_embedding(ss->analyzer) && !is_encoder)
            ops.word_weight = lm_query_word_weight;
        lm_searcher_set_text_ops(ss->searcher, &ops);
    }
    if (st != LM_OK) {
        lm_search_session_close(ss);
        return st;
    }
    *out = ss;
    return LM_OK;
}

lm_status lm_search_session_check(lm_search_session *ss, lm_error *err)
{
    return lm_searcher_wait(ss->searcher, err);
}

int lm_search_session_has_vectors(const lm_search_session *ss)
{
    return lm_searcher_has_vectors(ss->searcher) &&
           lm_query_analyzer_has_embedding(ss->analyzer);
}

size_t lm_search_session_vectors(const lm_search_session *ss)
{
    return lm_searcher_vectors(ss->searcher);
}

lm_status lm_search_session_query(lm_search_session *ss, const char *text,
                                  const lm_search_options *opts, lm_search_results *out,
                                  lm_error *err)
{
    lm_search_params p;
    if (opts && opts->params)
        p = *opts->params;
    else
        lm_search_params_default(&p);
    lm_search_mode mode = opts ? opts->mode : LM_SEARCH_HYBRID;
    if (ss->stale && mode != LM_SEARCH_LEXICAL)
        return lm_error_set(err, LM_ERR_USAGE, "%s", ss->stale);
    lm_query_analyze_options ao = {p.phrases, p.phrase_weight, p.synonyms, p.synonym_weight,
                                   mode != LM_SEARCH_LEXICAL &&
                                       lm_search_session_has_vectors(ss)};
    lm_status st = lm_query_analyze(ss->analyzer, text, &ao, &ss->query, err);
    if (st == LM_OK)
        st = lm_searcher_query(ss->searcher, &ss->query, opts, out, err);
    return st;
}

lm_status lm_search_session_explain(lm_search_session *ss, const lm_search_results *r,
                                    size_t hit, lm_search_explanation *out, lm_error *err)
{
    return lm_searcher_explain(ss->searcher, r, hit, out, err);
}
