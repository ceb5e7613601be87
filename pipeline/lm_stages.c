/*
 * The built-in pipeline stages: thin adapters from nlp/ functions to the
 * lm_stage interface.  Each converts the byte spans nlp/ works in to the
 * code-point offsets the store keeps, once, through an lm_utf8_map kept in
 * the worker's scratch.
 *
 *   sentences  sentence spans (lm_sentence)
 *   ner        mentions (lm_ner) with their sentence index, and
 *              abbreviation definitions (lm_abbrev)
 *
 * Stage order matters only in that ner uses the sentences stage's spans to
 * number mentions' sentences when it ran before it (else -1).
 */
#include "../nlp/lm_abbrev.h"
#include "../nlp/lm_ner.h"
#include "../nlp/lm_sentence.h"
#include "../util/lm_buf.h"
#include "../util/lm_utf8.h"
#include "lm_stage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

static lm_status sentences_process(const void *state, void *scratch, const lm_article *a,
                                   lm_doc *doc, lm_error *err)
{
    (void)state;
    (void)a;
    sentence_scratch *s = scratch;
    lm_status st = lm_sentence_split(doc->text, doc->text_len, &s->spans, err);
    if (st == LM_OK)
        st = lm_utf8_map_build(&s->map, doc->text, doc->text_len, err);
    for (size_t i = 0; st == LM_OK && i < s->spans.n; i++)
        st = lm_doc_add_sentence(doc, (int32_t)lm_utf8_map_to_cp(&s->map, s->spans.v[i].start),
                                 (int32_t)lm_utf8_map_to_cp(&s->map, s->spans.v[i].end), err);
    return st;
}

static const lm_stage_ops sentences_stage = {
    "sentences", sentences_init, sentences_free, sentences_scratch_init,
    sentences_scratch_free, sentences_process};

/* ---- ner -------------------------------------------------------------- */

typedef struct ner_scratch {
    lm_ner_scratch *tagger;
    lm_ner_mentions mentions;
    lm_abbrevs abbrevs;
    lm_utf8_map map;
    lm_buf text;
} ner_scratch;

/* The model file: [models] ner, else <[models] dir>/ner.bin. */
static lm_status ner_model_path(const lm_config *cfg, lm_buf *path, lm_error *err)
{
    const char *file = lm_config_get(cfg, "models", "ner");
    lm_status st = file ? lm_buf_append_str(path, file)
                        : lm_buf_printf(path, "%s/%s",
                                        lm_config_get_or(cfg, "models", "dir",
                                                         lm_ner_default_model_dir()),
                                        LM_NER_DEFAULT_MODEL);
    return st == LM_OK ? LM_OK : lm_error_set(err, LM_ERR_NOMEM, "out of memory");
}

static lm_status ner_init(void **state, const lm_config *cfg, lm_error *err)
{
    lm_buf path;
    lm_buf_init(&path);
    lm_status st = ner_model_path(cfg, &path, err);
    lm_ner_model *model = NULL;
    if (st == LM_OK)
        st = lm_ner_model_load(lm_buf_cstr(&path), &model, err);
    if (st == LM_ERR_IO)
        lm_error_wrap(err, "NER model (set [models] dir or run `make train`)");
    lm_buf_free(&path);
    *state = model;
    return st;
}

static void ner_free(void *state)
{
    lm_ner_model_free(state);
}

static lm_status ner_scratch_init(const void *state, void **scratch, lm_error *err)
{
    (void)state;
    ner_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_status st = lm_ner_scratch_init(&s->tagger, err);
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

static lm_status ner_process(const void *state, void *scratch, const lm_article *a,
                             lm_doc *doc, lm_error *err)
{
    (void)a;
    ner_scratch *s = scratch;
    lm_status st = lm_ner_tag(state, s->tagger, doc->text, doc->text_len, &s->mentions, err);
    if (st == LM_OK)
        st = lm_utf8_map_build(&s->map, doc->text, doc->text_len, err);
    for (size_t i = 0; st == LM_OK && i < s->mentions.n; i++) {
        const lm_ner_mention *m = &s->mentions.v[i];
        int32_t start = (int32_t)lm_utf8_map_to_cp(&s->map, m->start);
        int32_t end = (int32_t)lm_utf8_map_to_cp(&s->map, m->end);
        st = span_text(s, doc->text, m->start, m->end, err);
        if (st == LM_OK)
            st = lm_doc_add_mention(doc, start, end, (int)m->type, lm_buf_cstr(&s->text), NULL,
                                    sentence_of(doc, start), m->score, err);
    }
    if (st == LM_OK)
        st = lm_abbrev_detect(doc->text, doc->text_len, &s->abbrevs, err);
    for (size_t i = 0; st == LM_OK && i < s->abbrevs.n; i++) {
        const lm_abbrev *ab = &s->abbrevs.v[i];
        st = span_text(s, doc->text, ab->long_start, ab->long_end, err);
        if (st != LM_OK)
            break;
        char *long_form = lm_buf_take(&s->text);
        st = span_text(s, doc->text, ab->short_start, ab->short_end, err);
        if (st == LM_OK)
            st = lm_doc_add_abbrev(doc, lm_buf_cstr(&s->text), long_form,
                                   (int32_t)lm_utf8_map_to_cp(&s->map, ab->short_start),
                                   (int32_t)lm_utf8_map_to_cp(&s->map, ab->short_end), err);
        free(long_form);
    }
    return st;
}

static const lm_stage_ops ner_stage = {"ner", ner_init, ner_free, ner_scratch_init,
                                       ner_scratch_free, ner_process};

/* ---- the chain -------------------------------------------------------- */

static const lm_stage_ops *const known_stages[] = {&sentences_stage, &ner_stage};

const char *lm_stage_known(void)
{
    return "sentences,ner";
}

void lm_stage_chain_free(lm_stage_chain *chain)
{
    for (int i = 0; i < chain->n; i++)
        chain->ops[i]->free(chain->state[i]);
    chain->n = 0;
}

lm_status lm_stage_chain_init(lm_stage_chain *chain, const char *names,
                              const lm_config *cfg, lm_error *err)
{
    memset(chain, 0, sizeof *chain);
    const char *p = names ? names : "";
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t len = strcspn(p, ", ");
        if (!len)
            break;
        const lm_stage_ops *ops = NULL;
        for (size_t k = 0; k < sizeof known_stages / sizeof known_stages[0]; k++)
            if (strlen(known_stages[k]->name) == len &&
                strncmp(known_stages[k]->name, p, len) == 0)
                ops = known_stages[k];
        if (!ops) {
            lm_stage_chain_free(chain);
            return lm_error_set(err, LM_ERR_USAGE, "unknown stage \"%.*s\" (known: %s)",
                                (int)len, p, lm_stage_known());
        }
        for (int i = 0; i < chain->n; i++)
            if (chain->ops[i] == ops) {
                lm_stage_chain_free(chain);
                return lm_error_set(err, LM_ERR_USAGE, "stage \"%s\" listed twice", ops->name);
            }
        if (chain->n == LM_STAGE_MAX) {
            lm_stage_chain_free(chain);
            return lm_error_set(err, LM_ERR_USAGE, "too many stages");
        }
        lm_status st = ops->init(&chain->state[chain->n], cfg, err);
        if (st != LM_OK) {
            lm_stage_chain_free(chain);
            return st;
        }
        chain->ops[chain->n++] = ops;
        p += len;
    }
    return LM_OK;
}
