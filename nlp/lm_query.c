/*
 * The query analyzer (see lm_query.h).  Concepts: the tagger's mentions
 * first, normalised as the ner stage does; then, in a short query, the
 * lexicon's longest names, which win over a tagged mention they contain.
 */
#include "lm_query.h"

#include "../util/lm_buf.h"
#include "../util/lm_clock.h"
#include "lm_embed.h"
#include "lm_lexicon.h"
#include "lm_ner.h"
#include "lm_sentence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct lm_query_analyzer {
    lm_lexicon *lex;
    char *ner_path;           /* the tagger, loaded on first need */
    lm_ner_model *ner;
    lm_ner_scratch *ner_scratch;
    lm_ner_mentions ments;
    lm_embed_model *model;
    lm_embed_scratch *scratch;
    lm_embed_encoder *encoder;
    lm_encoder_ws *ws;
};

static int file_exists(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void lm_query_analyzer_config_default(lm_query_analyzer_config *out, const lm_config *cfg,
                                      char *lex_buf, size_t lex_cap, char *ner_buf,
                                      size_t ner_cap)
{
    memset(out, 0, sizeof *out);
    const char *dir = lm_config_get_or(cfg, "models", "dir", lm_ner_default_model_dir());
    const char *lex = lm_config_get(cfg, "models", "lexicon");
    const char *ner = lm_config_get(cfg, "models", "ner");
    snprintf(lex_buf, lex_cap, "%s", lex ? lex : "");
    if (!lex)
        snprintf(lex_buf, lex_cap, "%s/lexicon.bin", dir);
    snprintf(ner_buf, ner_cap, "%s", ner ? ner : "");
    if (!ner)
        snprintf(ner_buf, ner_cap, "%s/%s", dir, LM_NER_DEFAULT_MODEL);
    out->lexicon_path = file_exists(lex_buf) ? lex_buf : NULL;
    out->ner_path = file_exists(ner_buf) ? ner_buf : NULL;
}

void lm_query_analyzer_close(lm_query_analyzer *an)
{
    if (!an)
        return;
    lm_lexicon_free(an->lex);
    free(an->ner_path);
    lm_ner_model_free(an->ner);
    lm_ner_scratch_free(an->ner_scratch);
    lm_ner_mentions_free(&an->ments);
    lm_embed_model_free(an->model);
    lm_embed_scratch_free(an->scratch);
    lm_encoder_ws_free(an->ws);
    lm_embed_encoder_free(an->encoder);
    free(an);
}

lm_status lm_query_analyzer_open(const lm_query_analyzer_config *cfg, lm_query_analyzer **out,
                                 lm_error *err)
{
    *out = NULL;
    lm_query_analyzer *an = calloc(1, sizeof *an);
    if (!an)
        return lm_error_nomem(err, "opening the query analyzer");
    lm_ner_mentions_init(&an->ments);
    lm_status st = LM_OK;
    if (cfg && cfg->lexicon_path)
        st = lm_lexicon_load(cfg->lexicon_path, &an->lex, err);
    if (st == LM_OK && cfg && cfg->ner_path && !(an->ner_path = strdup(cfg->ner_path)))
        st = lm_error_nomem(err, "opening the query analyzer");
    if (st != LM_OK) {
        lm_query_analyzer_close(an);
        return st;
    }
    *out = an;
    return LM_OK;
}

static lm_status use_embedding(lm_query_analyzer *an, const void *model, size_t len, int mapped,
                               lm_error *err)
{
    lm_embed_model_free(an->model);
    an->model = NULL;
    lm_status st = mapped ? lm_embed_model_map(model, len, &an->model, err)
                          : lm_embed_model_load(model, len, &an->model, err);
    if (st == LM_OK && !an->scratch)
        st = lm_embed_scratch_init(&an->scratch, err);
    return st;
}

lm_status lm_query_analyzer_set_embedding(lm_query_analyzer *an, const void *model, size_t len,
                                          lm_error *err)
{
    return use_embedding(an, model, len, 0, err);
}

lm_status lm_query_analyzer_map_embedding(lm_query_analyzer *an, const void *model, size_t len,
                                          lm_error *err)
{
    return use_embedding(an, model, len, 1, err);
}

lm_status lm_query_analyzer_set_encoder(lm_query_analyzer *an, lm_embed_encoder *enc,
                                        lm_error *err)
{
    lm_encoder_ws_free(an->ws);
    lm_embed_encoder_free(an->encoder);
    an->ws = NULL;
    an->encoder = enc;
    lm_status st = lm_encoder_ws_init(&an->ws, lm_embed_encoder_model(enc), err);
    if (st != LM_OK) {
        lm_embed_encoder_free(an->encoder);
        an->encoder = NULL;
    }
    return st;
}

int lm_query_analyzer_tagger_loaded(const lm_query_analyzer *an)
{
    return an->ner != NULL;
}

/* Loads the tagger the first time a query needs it.  A file that cannot
 * be loaded fails that query (and the next that needs it) with the
 * loader's message; queries that need no tagger still work. */
static lm_status need_tagger(lm_query_analyzer *an, lm_error *err)
{
    if (an->ner || !an->ner_path)
        return LM_OK;
    lm_status st = lm_ner_model_load(an->ner_path, &an->ner, err);
    if (st == LM_OK && !an->ner_scratch)
        st = lm_ner_scratch_init(&an->ner_scratch, err);
    if (st != LM_OK) {
        lm_ner_model_free(an->ner);
        an->ner = NULL;
    }
    return st;
}

int lm_query_analyzer_has_embedding(const lm_query_analyzer *an)
{
    return an->model != NULL || an->encoder != NULL;
}

float lm_query_word_weight(void *analyzer, const char *norm, size_t len)
{
    const lm_query_analyzer *an = analyzer;
    return an->model ? lm_embed_word_idf(an->model, norm, len) : 0.0f;
}

lm_status lm_query_split_sentences(void *analyzer, const char *text, size_t len,
                                   lm_spans *out, lm_error *err)
{
    (void)analyzer;
    return lm_sentence_split(text, len, out, err);
}

const char *lm_query_concept_name(void *analyzer, const char *id)
{
    const lm_query_analyzer *an = analyzer;
    lm_lexicon_concept c;
    return an->lex && lm_lexicon_get_concept(an->lex, id, &c) ? c.name : NULL;
}

/* Longest lexicon name starting at query word i (at most 6 words; a single
 * word only when it looks like a name: 4+ letters or an identifier with
 * digits, and not a stopword; no name starts or ends with a stopword).
 * Returns its length in words, 0 when none. */
static size_t lexicon_name_at(const lm_query_analyzer *an, const char *text,
                              const lm_words *w, size_t i, lm_lexicon_match *out)
{
    for (size_t n = w->n - i < 6 ? w->n - i : 6; n >= 1; n--) {
        const lm_word *a = &w->v[i], *z = &w->v[i + n - 1];
        if (n == 1 && (lm_words_is_stopword(a->norm, a->len) || (a->len < 4 && !a->has_digit)))
            continue;
        if (lm_words_is_stopword(a->norm, a->len) || lm_words_is_stopword(z->norm, z->len))
            continue;
        if (lm_lexicon_lookup(an->lex, LM_ENT_ANY, text + a->start, z->end - a->start, out) &&
            out->score >= 0.8)
            return n;
    }
    return 0;
}

/* Queries of at most this many words are also read against the lexicon. */
#define SHORT_QUERY_WORDS 6

/* A lexicon name found over query words [w0, w1]. */
typedef struct qname {
    size_t w0, w1;
    lm_lexicon_match m;
} qname;

/* The lexicon's longest names over a short query's words, left to right;
 * *covered is set when every content word lies inside one of them. */
static lm_status lexicon_names(const lm_query_analyzer *an, const char *text, const lm_words *w,
                               qname **out, size_t *n_out, int *covered, lm_error *err)
{
    *out = NULL;
    *n_out = 0;
    *covered = 1;
    qname *v = malloc((w->n ? w->n : 1) * sizeof *v);
    if (!v)
        return lm_error_nomem(err, "analysing the query");
    size_t n = 0;
    for (size_t i = 0; i < w->n;) {
        size_t k = lexicon_name_at(an, text, w, i, &v[n].m);
        if (!k) {
            *covered &= lm_words_is_stopword(w->v[i].norm, w->v[i].len);
            i++;
            continue;
        }
        v[n].w0 = i;
        v[n].w1 = i + k - 1;
        n++;
        i += k;
    }
    *out = v;
    *n_out = n;
    return LM_OK;
}

/* Concepts of the query.  Names are compared in the lexicon's normal form,
 * so case, possessives and hyphens do not matter ("Parkinson's disease",
 * "parkinson-disease").  The tagger's mentions come first, normalised as
 * the pipeline does; in a short query the lexicon's longest names are
 * read too, and win over a tagged mention they contain ("Parkinson
 * disease" over a tagged "Parkinson") — a few words often lack the context
 * the tagger needs.  So a short query whose every content word lies in a
 * lexicon name is read by the lexicon alone, and the tagger is not even
 * loaded (`litmine query "BRCA1 repair"` maps the lexicon only); the
 * tagger is loaded on the first query that needs it.  Without a tagger the
 * lexicon alone is read. */
static lm_status find_concepts(lm_query_analyzer *an, const char *text, lm_query_analysis *r,
                               lm_error *err)
{
    lm_qconcepts_clear(&r->concepts);
    if (!an->lex)
        return LM_OK;
    const lm_words *w = &r->terms.words;
    size_t content = 0;
    for (size_t i = 0; i < w->n; i++)
        content += !lm_words_is_stopword(w->v[i].norm, w->v[i].len);
    qname *names = NULL;
    size_t n_names = 0;
    int covered = 0;
    lm_status st = LM_OK;
    if (content <= SHORT_QUERY_WORDS || !an->ner_path)
        st = lexicon_names(an, text, w, &names, &n_names, &covered, err);
    if (st == LM_OK && an->ner_path && !(covered && content > 0 && content <= SHORT_QUERY_WORDS))
        st = need_tagger(an, err);
    size_t len = strlen(text);
    if (st == LM_OK && an->ner && !(covered && content > 0 && content <= SHORT_QUERY_WORDS)) {
        st = lm_ner_tag(an->ner, an->ner_scratch, text, len, &an->ments, err);
        for (size_t i = 0; st == LM_OK && i < an->ments.n; i++) {
            const lm_ner_mention *m = &an->ments.v[i];
            lm_lexicon_match match;
            if (lm_lexicon_lookup_mention(an->lex, m->type, NULL, text + m->start,
                                          m->end - m->start, &match, 1))
                st = lm_qconcepts_add(&r->concepts, match.id, match.name, (int)m->type, m->start,
                                      m->end, err);
        }
    }
    for (size_t j = 0; st == LM_OK && j < n_names; j++) {
        uint32_t s0 = w->v[names[j].w0].start, s1 = w->v[names[j].w1].end;
        /* a tagged concept overlapping the name: kept when the name does not
         * contain it, else replaced */
        int keep_tagged = 0;
        for (size_t k = 0; k < r->concepts.n; k++) {
            const lm_qconcept *c = &r->concepts.v[k];
            if (c->start < s1 && s0 < c->end)
                keep_tagged |= !(s0 <= c->start && c->end <= s1 && s1 - s0 > c->end - c->start);
        }
        if (!keep_tagged) {
            for (size_t k = 0; k < r->concepts.n;) {
                const lm_qconcept *c = &r->concepts.v[k];
                if (c->start < s1 && s0 < c->end)
                    lm_qconcepts_remove(&r->concepts, k);
                else
                    k++;
            }
            const lm_lexicon_match *bm = &names[j].m;
            st = lm_qconcepts_add(&r->concepts, bm->id, bm->name, bm->type, s0, s1, err);
        }
    }
    free(names);
    return st;
}

/* Each concept's name, as its words in normal form, becomes a synonym. */
static lm_status add_synonyms(lm_query_analysis *r, float weight, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && i < r->concepts.n; i++) {
        lm_words nw;
        lm_words_init(&nw);
        const char *name = r->concepts.v[i].name;
        st = lm_words_split(name, strlen(name), &nw, err);
        lm_buf phrase;
        lm_buf_init(&phrase);
        for (size_t j = 0; st == LM_OK && j < nw.n; j++)
            if (lm_buf_printf(&phrase, "%s%s", j ? " " : "", nw.v[j].norm) != LM_OK)
                st = lm_error_nomem(err, "analysing the query");
        if (st == LM_OK && phrase.len)
            st = lm_qterms_add(&r->terms, lm_buf_cstr(&phrase), phrase.len, LM_QTERM_SYNONYM,
                               weight, -1, NULL, err);
        lm_buf_free(&phrase);
        lm_words_free(&nw);
    }
    return st;
}

lm_status lm_query_analyze(lm_query_analyzer *an, const char *text,
                           const lm_query_analyze_options *opts, lm_query_analysis *out,
                           lm_error *err)
{
    lm_query_analyze_options o = {0};
    if (opts)
        o = *opts;
    if (!text)
        text = "";
    free(out->vector);
    out->vector = NULL;
    out->dim = 0;
    out->embed_ms = 0;
    lm_qterms_options qo = {0, o.phrases, o.phrase_weight};
    lm_status st = lm_qterms_parse(text, &qo, &out->terms, err);
    if (st == LM_OK)
        st = find_concepts(an, text, out, err);
    if (st == LM_OK && o.synonyms)
        st = add_synonyms(out, o.synonym_weight, err);
    if (st == LM_OK && o.embed && (an->model || an->encoder)) {
        double t0 = lm_now_seconds();
        int dim = an->encoder ? lm_embed_encoder_dim(an->encoder) : lm_embed_model_dim(an->model);
        out->vector = malloc((size_t)dim * sizeof *out->vector);
        if (!out->vector)
            return lm_error_nomem(err, "embedding the query");
        out->dim = dim;
        size_t len = strlen(text);
        st = an->encoder
                 ? lm_embed_encoder_texts(an->encoder, an->ws, &text, &len, 1, out->vector, err)
                 : lm_embed_text(an->model, an->scratch, text, len, out->vector, err);
        out->embed_ms = (lm_now_seconds() - t0) * 1000.0;
    }
    return st;
}
