/*
 * The built-in pipeline stages: thin adapters from nlp/ functions to the
 * lm_stage interface.  Each converts the byte spans nlp/ works in to the
 * code-point offsets the store keeps, once, through an lm_utf8_map kept in
 * the worker's scratch.
 *
 *   sentences  sentence spans (lm_sentence); the title is always
 *              sentence 0, split apart from the abstract
 *   ner        mentions (lm_ner's CRF, or with [ner] model = DIR a
 *              token-classification transformer, lm_ner_encoder),
 *              normalised to concept ids with the lexicon (lm_lexicon;
 *              abbreviations propagate ids and types), with their sentence
 *              index, and abbreviation definitions
 *   pairs      chemical–disease relations (lm_pairs) with their evidence
 *              sentence(s): every candidate pair, with the model's decision
 *              (induces, treats, associated) or "cooccurs"; needs ner
 *              before it
 *   embed      the article's vector from the store's current embedding
 *              model (lm_embed; `litmine index build` fits one); a no-op
 *              until a model exists.  With [embed] model = DIR the vector
 *              is the transformer's (lm_embed_encoder) when the store's
 *              current model is that encoder (or the store has none yet:
 *              the encoder then becomes it); otherwise the stage stays
 *              idle until `litmine index build` re-embeds, so vectors of
 *              two models never mix
 *
 * The transformer stages run one text per call on each worker's own
 * workspace, with OpenBLAS held to one thread: the workers are the
 * parallelism, and a text's result does not depend on the thread count.
 */
#include "../nlp/lm_abbrev.h"
#include "../nlp/lm_embed.h"
#include "../nlp/lm_embed_encoder.h"
#include "../store/search/lm_vectors.h"
#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_ner.h"
#include "../nlp/lm_ner_encoder.h"
#include "../nlp/lm_pairs.h"
#include "../nlp/lm_sentence.h"
#include "../util/lm_buf.h"
#include "../util/lm_digest.h"
#include "../util/lm_utf8.h"
#include "lm_stage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* ---- sentences -------------------------------------------------------- */

typedef struct sentence_scratch {
    lm_spans spans;
    lm_utf8_map map;
} sentence_scratch;

static lm_status sentences_init(void **state, const lm_config *cfg, lm_error *err)
{
    (void)cfg;
    (void)err;
    *state = NULL;
    return LM_OK;
}

static void sentences_free(void *state)
{
    (void)state;
}

static lm_status sentences_scratch_init(const void *state, void **scratch, lm_error *err)
{
    (void)state;
    sentence_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_spans_init(&s->spans);
    lm_utf8_map_init(&s->map);
    *scratch = s;
    return LM_OK;
}

static void sentences_scratch_free(void *scratch)
{
    sentence_scratch *s = scratch;
    lm_spans_free(&s->spans);
    lm_utf8_map_free(&s->map);
    free(s);
}

/* Splits text[from..to) and adds its sentences to doc. */
static lm_status add_sentences(sentence_scratch *s, lm_doc *doc, size_t from, size_t to,
                               lm_error *err)
{
    lm_status st = lm_sentence_split(doc->text + from, to - from, &s->spans, err);
    for (size_t i = 0; st == LM_OK && i < s->spans.n; i++)
        st = lm_doc_add_sentence(doc,
                                 (int32_t)lm_utf8_map_to_cp(&s->map, from + s->spans.v[i].start),
                                 (int32_t)lm_utf8_map_to_cp(&s->map, from + s->spans.v[i].end),
                                 err);
    return st;
}

static lm_status sentences_process(const void *state, void *scratch, const lm_article *a,
                                   lm_doc *doc, lm_error *err)
{
    (void)state;
    sentence_scratch *s = scratch;
    /* A title is one sentence even without a final period, and never runs
     * into the abstract: relation features rely on sentence 0 being it. */
    size_t title_len = a->title ? strlen(a->title) : 0;
    if (title_len > doc->text_len)
        title_len = doc->text_len;
    lm_status st = lm_utf8_map_build(&s->map, doc->text, doc->text_len, err);
    if (st == LM_OK && title_len)
        st = add_sentences(s, doc, 0, title_len, err);
    if (st == LM_OK && title_len < doc->text_len)
        st = add_sentences(s, doc, title_len, doc->text_len, err);
    return st;
}

static const lm_stage_ops sentences_stage = {
    "sentences", sentences_init, sentences_free, sentences_scratch_init,
    sentences_scratch_free, sentences_process, LM_DOC_SENTENCES, 0, NULL};

/* ---- ner -------------------------------------------------------------- */

typedef struct ner_state {
    lm_ner_model *model;       /* the CRF, or */
    lm_ner_encoder *encoder;   /* [ner] model = DIR */
    lm_lexicon *lexicon;   /* NULL: mentions keep their type without an id */
} ner_state;

typedef struct ner_scratch {
    lm_ner_scratch *tagger;
    lm_ner_encoder_scratch *enc;
    lm_ner_mentions mentions;
    lm_abbrevs abbrevs;
    lm_utf8_map map;
    lm_buf text;
} ner_scratch;

/* A model file: [models] <key>, else <[models] dir>/<file>. */
static lm_status model_path(const lm_config *cfg, const char *key, const char *file,
                            lm_buf *path, lm_error *err)
{
    const char *explicit_path = lm_config_get(cfg, "models", key);
    lm_status st = explicit_path
                       ? lm_buf_append_str(path, explicit_path)
                       : lm_buf_printf(path, "%s/%s",
                                       lm_config_get_or(cfg, "models", "dir",
                                                        lm_ner_default_model_dir()),
                                       file);
    return st == LM_OK ? LM_OK : lm_error_set(err, LM_ERR_NOMEM, "out of memory");
}

static void ner_free(void *state)
{
    ner_state *ns = state;
    if (!ns)
        return;
    lm_ner_model_free(ns->model);
    lm_ner_encoder_free(ns->encoder);
    lm_lexicon_free(ns->lexicon);
    free(ns);
}

static lm_status ner_init(void **state, const lm_config *cfg, lm_error *err)
{
    ner_state *ns = calloc(1, sizeof *ns);
    if (!ns)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_buf path;
    lm_buf_init(&path);
    const char *encoder_dir = lm_config_get(cfg, "ner", "model");
    lm_status st = LM_OK;
    if (encoder_dir && *encoder_dir) {
        st = lm_ner_encoder_open(&ns->encoder, encoder_dir,
                                 lm_config_get(cfg, "ner", "aggregation"),
                                 lm_config_get(cfg, "ner", "precision"), err);
        if (st != LM_OK)
            lm_error_wrap(err, "[ner] model");
        lm_encoder_set_blas_threads(1);
    } else {
        st = model_path(cfg, "ner", LM_NER_DEFAULT_MODEL, &path, err);
        if (st == LM_OK)
            st = lm_ner_model_load(lm_buf_cstr(&path), &ns->model, err);
        if (st == LM_ERR_IO)
            lm_error_wrap(err, "NER model");
    }
    if (st == LM_OK) {
        lm_buf_reset(&path);
        st = model_path(cfg, "lexicon", "lexicon.bin", &path, err);
    }
    if (st == LM_OK) {
        st = lm_lexicon_load(lm_buf_cstr(&path), &ns->lexicon, err);
        if (st == LM_ERR_IO)
            lm_error_wrap(err, "lexicon");
    }
    lm_buf_free(&path);
    if (st != LM_OK) {
        ner_free(ns);
        return st;
    }
    *state = ns;
    return LM_OK;
}

static lm_status ner_scratch_init(const void *state, void **scratch, lm_error *err)
{
    const ner_state *ns = state;
    ner_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_status st = ns->encoder ? lm_ner_encoder_scratch_init(ns->encoder, &s->enc, err)
                               : lm_ner_scratch_init(&s->tagger, err);
    if (st != LM_OK) {
        free(s);
        return st;
    }
    lm_ner_mentions_init(&s->mentions);
    lm_abbrevs_init(&s->abbrevs);
    lm_utf8_map_init(&s->map);
    lm_buf_init(&s->text);
    *scratch = s;
    return LM_OK;
}

static void ner_scratch_free(void *scratch)
{
    ner_scratch *s = scratch;
    lm_ner_scratch_free(s->tagger);
    lm_ner_encoder_scratch_free(s->enc);
    lm_ner_mentions_free(&s->mentions);
    lm_abbrevs_free(&s->abbrevs);
    lm_utf8_map_free(&s->map);
    lm_buf_free(&s->text);
    free(s);
}

/* Index of the sentence containing code point cp, or -1. */
static int32_t sentence_of(const lm_doc *doc, int32_t cp)
{
    size_t lo = 0, hi = doc->n_sentences;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (doc->sentences[mid].end <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < doc->n_sentences && doc->sentences[lo].start <= cp)
        return (int32_t)lo;
    return -1;
}

/* Copies text[start..end) into the scratch buffer as a C string. */
static lm_status span_text(ner_scratch *s, const char *text, uint32_t start, uint32_t end,
                           lm_error *err)
{
    lm_buf_reset(&s->text);
    if (lm_buf_append(&s->text, text + start, end - start) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    return LM_OK;
}

/* Genes: the lexicon's NCBI Gene id for the mention's name, if any. */
static lm_status add_genes(const ner_state *ns, ner_scratch *s, lm_doc *doc, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && i < s->mentions.n; i++) {
        const lm_ner_mention *m = &s->mentions.v[i];
        if (m->type != LM_ENT_GENE)
            continue;
        st = span_text(s, doc->text, m->start, m->end, err);
        if (st != LM_OK)
            break;
        lm_lexicon_match match;
        const char *id = NULL;
        if (ns->lexicon && lm_lexicon_lookup(ns->lexicon, LM_ENT_GENE, lm_buf_cstr(&s->text),
                                             s->text.len, &match))
            id = match.id;
        int32_t start = (int32_t)lm_utf8_map_to_cp(&s->map, m->start);
        st = lm_doc_add_mention(doc, start, (int32_t)lm_utf8_map_to_cp(&s->map, m->end),
                                m->type, lm_buf_cstr(&s->text), id, sentence_of(doc, start),
                                m->score, err);
    }
    return st;
}

/* The definitions the mentions were normalised with: the tagger's list
 * (lm_ner_mentions.abbrevs), or the detector's for a tagger without one. */
static lm_status add_abbreviations(ner_scratch *s, lm_doc *doc, lm_error *err)
{
    lm_status st = s->mentions.has_abbrevs
                       ? lm_abbrevs_copy(&s->abbrevs, &s->mentions.abbrevs, err)
                       : lm_abbrev_detect(doc->text, doc->text_len, &s->abbrevs, err);
    for (size_t i = 0; st == LM_OK && i < s->abbrevs.n; i++) {
        const lm_abbrev *ab = &s->abbrevs.v[i];
        st = span_text(s, doc->text, ab->long_start, ab->long_end, err);
        if (st != LM_OK)
            break;
        /* span_text leaves the buffer allocated, so the take cannot need
         * the empty string it allocates for a never-used buffer; checked
         * all the same, since a NULL long form would reach the store. */
        char *long_form = lm_buf_take(&s->text);
        if (!long_form) {
            st = lm_error_nomem(err, "copying an abbreviation's long form");
            break;
        }
        st = span_text(s, doc->text, ab->short_start, ab->short_end, err);
        if (st == LM_OK)
            st = lm_doc_add_abbrev(doc, lm_buf_cstr(&s->text), long_form,
                                   (int32_t)lm_utf8_map_to_cp(&s->map, ab->short_start),
                                   (int32_t)lm_utf8_map_to_cp(&s->map, ab->short_end), err);
        free(long_form);
    }
    return st;
}

static lm_status ner_process(const void *state, void *scratch, const lm_article *a,
                             lm_doc *doc, lm_error *err)
{
    (void)a;
    const ner_state *ns = state;
    ner_scratch *s = scratch;
    lm_status st =
        ns->encoder
            ? lm_ner_encoder_tag(ns->encoder, s->enc, doc->text, doc->text_len, &s->mentions, err)
            : lm_ner_tag(ns->model, s->tagger, doc->text, doc->text_len, &s->mentions, err);
    if (st == LM_OK)
        st = lm_utf8_map_build(&s->map, doc->text, doc->text_len, err);
    /* Chemicals and diseases: normalised, abbreviations propagated. */
    if (st == LM_OK)
        st = lm_pairs_doc_add_ner(doc, &s->mentions, ns->lexicon, NULL, err);
    if (st == LM_OK)
        st = add_genes(ns, s, doc, err);
    if (st == LM_OK)
        lm_doc_sort_mentions(doc);
    if (st == LM_OK)
        st = add_abbreviations(s, doc, err);
    return st;
}

/* Mentions record their sentence index: ner reads the sentences (and
 * splits the text itself when there are none). */
static const lm_stage_ops ner_stage = {"ner",           ner_init,        ner_free,
                                       ner_scratch_init, ner_scratch_free, ner_process,
                                       LM_DOC_MENTIONS,  LM_DOC_SENTENCES, NULL};

/* ---- pairs ------------------------------------------------------------ */

/* The pair model, and the lexicon the ner stage normalises with, for the
 * concepts' MeSH tree numbers. */
typedef struct pairs_state {
    lm_pairs_model *model;
    lm_lexicon *lexicon;
} pairs_state;

static void pairs_free(void *state)
{
    pairs_state *ps = state;
    if (!ps)
        return;
    lm_pairs_model_free(ps->model);
    lm_lexicon_free(ps->lexicon);
    free(ps);
}

static lm_status pairs_init(void **state, const lm_config *cfg, lm_error *err)
{
    pairs_state *ps = calloc(1, sizeof *ps);
    if (!ps)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_buf path;
    lm_buf_init(&path);
    lm_status st = model_path(cfg, "pairs", LM_PAIRS_DEFAULT_MODEL, &path, err);
    if (st == LM_OK)
        st = lm_pairs_model_load(lm_buf_cstr(&path), &ps->model, err);
    if (st == LM_ERR_IO)
        lm_error_wrap(err, "pair model");
    if (st == LM_OK) {
        lm_buf_reset(&path);
        st = model_path(cfg, "lexicon", "lexicon.bin", &path, err);
    }
    if (st == LM_OK)
        st = lm_lexicon_load(lm_buf_cstr(&path), &ps->lexicon, err);
    lm_buf_free(&path);
    if (st != LM_OK) {
        pairs_free(ps);
        return st;
    }
    lm_pairs_model_use_lexicon(ps->model, ps->lexicon);
    *state = ps;
    return LM_OK;
}

typedef struct pairs_scratch {
    lm_pairs_scratch *scratch;
    lm_pairs_result result;
} pairs_scratch;

static lm_status pairs_scratch_init(const void *state, void **scratch, lm_error *err)
{
    (void)state;
    pairs_scratch *p = calloc(1, sizeof *p);
    if (!p)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_status st = lm_pairs_scratch_init(&p->scratch, err);
    if (st != LM_OK) {
        free(p);
        return st;
    }
    lm_pairs_result_init(&p->result);
    *scratch = p;
    return LM_OK;
}

static void pairs_scratch_free(void *scratch)
{
    pairs_scratch *p = scratch;
    lm_pairs_scratch_free(p->scratch);
    lm_pairs_result_free(&p->result);
    free(p);
}

/* Every candidate pair is stored: the model's decision as its relation,
 * and "cooccurs" for the rest, which exports leave out unless asked. */
static lm_status pairs_process(const void *state, void *scratch, const lm_article *a,
                               lm_doc *doc, lm_error *err)
{
    (void)a;
    pairs_scratch *p = scratch;
    const pairs_state *ps = state;
    lm_status st = lm_pairs_extract_all(ps->model, p->scratch, doc, &p->result, err);
    for (size_t i = 0; st == LM_OK && i < p->result.n; i++) {
        const lm_pair *r = &p->result.v[i];
        const char *relation =
            r->label != LM_PAIR_NONE ? lm_pair_label_name(r->label) : LM_PAIR_COOCCURS;
        st = lm_doc_add_pair(doc, r->chem_id, r->chem_text, r->dis_id, r->dis_text, relation,
                             r->score, r->sentence, r->sent_start, r->sent_end, err);
    }
    return st;
}

static const lm_stage_ops pairs_stage = {
    "pairs",        pairs_init, pairs_free, pairs_scratch_init, pairs_scratch_free, pairs_process,
    LM_DOC_PAIRS, LM_DOC_MENTIONS | LM_DOC_SENTENCES, NULL};

/* ---- embed ------------------------------------------------------------ */

typedef struct embed_state {
    lm_embed_model *model;         /* LSA; NULL: no model fitted yet */
    lm_embed_encoder *encoder;     /* [embed] model = DIR */
    int active;                    /* 1: embed with model or encoder */
    int64_t model_id;
    int dim;
} embed_state;

typedef struct embed_scratch {
    lm_embed_scratch *lsa;
    lm_encoder_ws *ws;
    lm_buf text;
} embed_scratch;

static void embed_free(void *state)
{
    embed_state *es = state;
    if (es) {
        lm_embed_model_free(es->model);
        lm_embed_encoder_free(es->encoder);
    }
    free(es);
}

/* The model comes later, from the store the chain writes to (embed_attach):
 * until then, or when that database has none yet, the stage stays idle
 * and `litmine index build` does the work. */
static lm_status embed_init(void **state, const lm_config *cfg, lm_error *err)
{
    embed_state *es = calloc(1, sizeof *es);
    if (!es)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    const char *dir = lm_config_get(cfg, "embed", "model");
    if (dir && *dir) {
        lm_status st =
            lm_embed_encoder_open_as(&es->encoder, dir, lm_config_get(cfg, "embed", "pooling"),
                                     lm_config_get(cfg, "embed", "precision"), err);
        if (st != LM_OK) {
            free(es);
            return lm_error_wrap(err, "[embed] model");
        }
        lm_encoder_set_blas_threads(1);
    }
    *state = es;
    return LM_OK;
}

/* A store without any embedding model takes the configured encoder as
 * its current one at once, so the first ingest already has vectors. */
static lm_status adopt_encoder(embed_state *es, lm_store *store, lm_error *err)
{
    lm_buf rec;
    lm_buf_init(&rec);
    int64_t id = 0;
    lm_status st = lm_embed_encoder_record(es->encoder, &rec, err);
    if (st == LM_OK)
        st = lm_store_begin(store, err);
    if (st == LM_OK) {
        st = lm_vec_model_add(store, LM_EMBED_ENCODER_KIND, lm_embed_encoder_dim(es->encoder),
                              rec.data, rec.len, 0, 0.0, lm_buf_cstr(&rec), &id, err);
        if (st == LM_OK)
            st = lm_vec_model_activate(store, id, err);
        if (st == LM_OK)
            st = lm_store_commit(store, err);
        else
            lm_store_rollback(store, NULL);
    }
    lm_buf_free(&rec);
    if (st == LM_OK) {
        es->active = 1;
        es->model_id = id;
        es->dim = lm_embed_encoder_dim(es->encoder);
    }
    return st;
}

static lm_status embed_attach(void *state, lm_store *store, lm_error *err)
{
    embed_state *es = state;
    lm_vec_model_info info;
    void *blob = NULL;
    size_t len = 0;
    int found = 0;
    es->active = 0;
    lm_status st = lm_vec_model_current(store, &info, &blob, &len, &found, err);
    if (st == LM_OK && es->encoder) {
        int same = 0;
        if (!found)
            st = lm_store_is_readonly(store) ? LM_OK : adopt_encoder(es, store, err);
        else if (strcmp(info.kind, LM_EMBED_ENCODER_KIND) == 0)
            st = lm_embed_encoder_matches(es->encoder, blob, len, &same, err);
        if (st == LM_OK && same) {
            es->active = 1;
            es->model_id = info.id;
            es->dim = lm_embed_encoder_dim(es->encoder);
        }
    } else if (st == LM_OK && found && strcmp(info.kind, LM_EMBED_KIND) == 0) {
        lm_embed_model *m = NULL;
        st = lm_embed_model_load(blob, len, &m, err);
        if (st == LM_OK) {
            lm_embed_model_free(es->model);
            es->model = m;
            es->model_id = info.id;
            es->dim = lm_embed_model_dim(m);
            es->active = 1;
        }
    }
    /* An encoder's vectors with no [embed] model configured: the index
     * refresh after the ingest embeds the new articles with it. */
    free(blob);
    return st;
}

static void embed_scratch_free(void *scratch)
{
    embed_scratch *s = scratch;
    if (!s)
        return;
    lm_embed_scratch_free(s->lsa);
    lm_encoder_ws_free(s->ws);
    lm_buf_free(&s->text);
    free(s);
}

static lm_status embed_scratch_init(const void *state, void **scratch, lm_error *err)
{
    const embed_state *es = state;
    embed_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_buf_init(&s->text);
    lm_status st = es->encoder
                       ? lm_encoder_ws_init(&s->ws, lm_embed_encoder_model(es->encoder), err)
                       : lm_embed_scratch_init(&s->lsa, err);
    if (st != LM_OK) {
        embed_scratch_free(s);
        return st;
    }
    *scratch = s;
    return LM_OK;
}

static lm_status embed_process(const void *state, void *scratch, const lm_article *a,
                               lm_doc *doc, lm_error *err)
{
    const embed_state *es = state;
    embed_scratch *s = scratch;
    if (!es->active)
        return LM_OK;
    float *v = malloc((size_t)es->dim * sizeof *v);
    if (!v)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_status st;
    if (es->encoder) {
        lm_buf_reset(&s->text);
        st = lm_embed_encoder_article_text(a->title, a->abstract, &s->text, err);
        const char *text = lm_buf_cstr(&s->text);
        if (st == LM_OK)
            st = lm_embed_encoder_texts(es->encoder, s->ws, &text, &s->text.len, 1, v, err);
    } else {
        st = lm_embed_article(es->model, s->lsa, a->title ? a->title : "",
                              a->abstract ? a->abstract : "", v, err);
    }
    if (st == LM_OK && !lm_vec_all_finite(v, es->dim))
        st = lm_error_set(err, LM_ERR_FORMAT, "the embedding has non-finite values");
    if (st != LM_OK) {
        free(v);
        return st;
    }
    free(doc->vector);
    doc->vector = v;
    doc->vector_dim = es->dim;
    doc->vector_model = es->model_id;
    return LM_OK;
}

static const lm_stage_ops embed_stage = {"embed",           embed_init,       embed_free,
                                         embed_scratch_init, embed_scratch_free, embed_process,
                                         LM_DOC_VECTOR,     0,                embed_attach};

/* ---- the chain -------------------------------------------------------- */

static const lm_stage_ops *const known_stages[] = {&sentences_stage, &ner_stage, &pairs_stage,
                                                   &embed_stage};

const char *lm_stage_known(void)
{
    return "sentences,ner,pairs,embed";
}

lm_status lm_stage_chain_attach(lm_stage_chain *chain, lm_store *store, lm_error *err)
{
    for (int i = 0; i < chain->n; i++) {
        if (!chain->ops[i]->attach)
            continue;
        lm_status st = chain->ops[i]->attach(chain->state[i], store, err);
        if (st != LM_OK)
            return lm_error_wrap(err, "%s stage", chain->ops[i]->name);
    }
    return LM_OK;
}

void lm_stage_chain_free(lm_stage_chain *chain)
{
    for (int i = 0; i < chain->n; i++)
        chain->ops[i]->free(chain->state[i]);
    chain->n = 0;
}

/* The next name of a list separated by commas or spaces, starting at *p:
 * its first byte (NULL at the end) and its length in *len; *p moves past
 * it. */
static const char *next_name(const char **p, size_t *len)
{
    const char *s = *p + strspn(*p, ", ");
    *len = strcspn(s, ", ");
    *p = s + *len;
    return *len ? s : NULL;
}

/* The known stage called p[0..len), or NULL. */
static const lm_stage_ops *stage_named(const char *p, size_t len)
{
    for (size_t k = 0; k < sizeof known_stages / sizeof known_stages[0]; k++)
        if (strlen(known_stages[k]->name) == len && strncmp(known_stages[k]->name, p, len) == 0)
            return known_stages[k];
    return NULL;
}

unsigned lm_stage_chain_produces(const lm_stage_chain *chain)
{
    unsigned parts = 0;
    for (int i = 0; i < chain->n; i++)
        parts |= chain->ops[i]->produces;
    return parts;
}

unsigned lm_stage_chain_inputs(const lm_stage_chain *chain)
{
    unsigned made = 0, inputs = 0;
    for (int i = 0; i < chain->n; i++) {
        inputs |= chain->ops[i]->needs & ~made;
        made |= chain->ops[i]->produces;
    }
    return inputs;
}

/* Appends name to a comma-separated list in buf[cap]. */
static void list_add(char *buf, size_t cap, const char *name)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n ? "," : "", name);
}

lm_status lm_stage_rerun_list(const char *names, unsigned stored, char *out, char *added,
                              size_t cap, lm_error *err)
{
    enum { N_KNOWN = sizeof known_stages / sizeof known_stages[0] };
    int chosen[N_KNOWN] = {0};
    const char *p = names ? names : "", *name;
    size_t len;
    while ((name = next_name(&p, &len)) != NULL) {
        const lm_stage_ops *ops = stage_named(name, len);
        if (!ops)
            return lm_error_set(err, LM_ERR_USAGE, "unknown stage \"%.*s\" (known: %s)",
                                (int)len, name, lm_stage_known());
        for (size_t k = 0; k < N_KNOWN; k++)
            chosen[k] |= known_stages[k] == ops;
    }
    /* Known stages are in chain order, so one pass sees every producer
     * before the stages that read its output. */
    unsigned replaced = 0;
    out[0] = '\0';
    if (added)
        added[0] = '\0';
    for (size_t k = 0; k < N_KNOWN; k++) {
        if (!chosen[k] && (known_stages[k]->needs & replaced) &&
            (known_stages[k]->produces & stored)) {
            chosen[k] = 1;
            if (added)
                list_add(added, cap, known_stages[k]->name);
        }
        if (chosen[k]) {
            replaced |= known_stages[k]->produces;
            list_add(out, cap, known_stages[k]->name);
        }
    }
    return LM_OK;
}

#ifndef LM_VERSION
#define LM_VERSION "0.0.0"
#endif

/* Appends " <key> <xxh128 of the model file>" to out. */
static lm_status add_file_digest(const lm_config *cfg, const char *key, const char *file,
                                 lm_buf *out, lm_error *err)
{
    lm_buf path;
    lm_buf_init(&path);
    lm_file_digest d;
    lm_status st = model_path(cfg, key, file, &path, err);
    if (st == LM_OK)
        st = lm_digest_file(lm_buf_cstr(&path), LM_DIGEST_XXH128, &d, err);
    if (st == LM_OK && lm_buf_printf(out, "%s%s %s", out->len ? " " : "", key, d.xxh128) != LM_OK)
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_buf_free(&path);
    return st;
}

/* Appends " ner-encoder <xxh128>..." for a transformer NER model directory:
 * the digests of the files that decide its output (config, weights and
 * whichever tokenizer files it has). */
static lm_status add_encoder_digest(const char *dir, lm_buf *out, lm_error *err)
{
    static const char *const files[] = {"config.json", "model.safetensors", "vocab.txt",
                                        "vocab.json", "merges.txt", "tokenizer.json"};
    lm_status st = lm_buf_printf(out, "%sner-encoder", out->len ? " " : "") == LM_OK
                       ? LM_OK
                       : lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_buf path;
    lm_buf_init(&path);
    for (size_t i = 0; st == LM_OK && i < sizeof files / sizeof files[0]; i++) {
        lm_buf_reset(&path);
        if (lm_buf_printf(&path, "%s/%s", dir, files[i]) != LM_OK) {
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            break;
        }
        if (access(lm_buf_cstr(&path), R_OK) != 0)
            continue;   /* a tokenizer file this model does not use */
        lm_file_digest d;
        st = lm_digest_file(lm_buf_cstr(&path), LM_DIGEST_XXH128, &d, err);
        if (st == LM_OK && lm_buf_printf(out, " %s", d.xxh128) != LM_OK)
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    lm_buf_free(&path);
    return st;
}

/* What identifies the output of a stage: the code for sentences (the
 * litmine version), the model files' digests for ner and pairs. */
static lm_status stage_model_identity(const lm_stage_ops *ops, const lm_config *cfg,
                                      char out[LM_STAGE_MODEL_LEN], lm_error *err)
{
    lm_buf id;
    lm_buf_init(&id);
    lm_status st = LM_OK;
    if (ops == &sentences_stage)
        st = lm_buf_append_str(&id, "litmine " LM_VERSION) == LM_OK
                 ? LM_OK
                 : lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    else if (ops == &ner_stage && lm_config_get(cfg, "ner", "model") &&
             *lm_config_get(cfg, "ner", "model"))
        st = add_encoder_digest(lm_config_get(cfg, "ner", "model"), &id, err);
    else if (ops == &ner_stage)
        st = add_file_digest(cfg, "ner", LM_NER_DEFAULT_MODEL, &id, err);
    else if (ops == &pairs_stage)
        st = add_file_digest(cfg, "pairs", LM_PAIRS_DEFAULT_MODEL, &id, err);
    if (st == LM_OK && (ops == &ner_stage || ops == &pairs_stage))
        st = add_file_digest(cfg, "lexicon", "lexicon.bin", &id, err);
    snprintf(out, LM_STAGE_MODEL_LEN, "%s", lm_buf_cstr(&id));
    lm_buf_free(&id);
    return st;
}

/* stored_inputs: what a stage reads may come from the store rather than
 * an earlier stage of the chain (a rerun over stored articles). */
static lm_status chain_init(lm_stage_chain *chain, const char *names, const lm_config *cfg,
                            int stored_inputs, lm_error *err)
{
    memset(chain, 0, sizeof *chain);
    const char *p = names ? names : "", *name;
    size_t len;
    while ((name = next_name(&p, &len)) != NULL) {
        const lm_stage_ops *ops = stage_named(name, len);
        if (!ops) {
            lm_stage_chain_free(chain);
            return lm_error_set(err, LM_ERR_USAGE, "unknown stage \"%.*s\" (known: %s)",
                                (int)len, name, lm_stage_known());
        }
        int has_ner = 0;
        for (int i = 0; i < chain->n; i++) {
            has_ner |= chain->ops[i] == &ner_stage;
            if (chain->ops[i] == ops) {
                lm_stage_chain_free(chain);
                return lm_error_set(err, LM_ERR_USAGE, "stage \"%s\" listed twice", ops->name);
            }
        }
        if (ops == &pairs_stage && !has_ner && !stored_inputs) {
            lm_stage_chain_free(chain);
            return lm_error_set(err, LM_ERR_USAGE, "stage \"pairs\" needs \"ner\" before it");
        }
        if (ops == &ner_stage && stored_inputs) {
            for (int i = 0; i < chain->n; i++)
                if (chain->ops[i] == &pairs_stage) {
                    lm_stage_chain_free(chain);
                    return lm_error_set(err, LM_ERR_USAGE,
                                        "stage \"pairs\" needs \"ner\" before it");
                }
        }
        if (chain->n == LM_STAGE_MAX) {
            lm_stage_chain_free(chain);
            return lm_error_set(err, LM_ERR_USAGE, "too many stages");
        }
        lm_status st = ops->init(&chain->state[chain->n], cfg, err);
        if (st == LM_OK) {
            /* Counted before its identity is read, so that a failure there
             * (out of memory, an unreadable model file) frees the state it
             * just loaded along with the rest of the chain. */
            chain->ops[chain->n++] = ops;
            st = stage_model_identity(ops, cfg, chain->model[chain->n - 1], err);
        }
        if (st != LM_OK) {
            lm_stage_chain_free(chain);
            return st;
        }
    }
    return LM_OK;
}

lm_status lm_stage_chain_init(lm_stage_chain *chain, const char *names,
                              const lm_config *cfg, lm_error *err)
{
    return chain_init(chain, names, cfg, 0, err);
}

lm_status lm_stage_chain_init_rerun(lm_stage_chain *chain, const char *names,
                                    const lm_config *cfg, lm_error *err)
{
    return chain_init(chain, names, cfg, 1, err);
}
