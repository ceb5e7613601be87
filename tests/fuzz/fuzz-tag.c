/*
 * Fuzzes what `litmine tag` and ingestion run on text: the PubTator reader
 * (nlp/lm_pubtator) or plain lines, then the whole NLP chain with the
 * committed models (sentences, tokens, abbreviations, NER, normalization,
 * pairs).  Every sentence, mention and evidence span must lie inside the
 * document's text, in code points, and every mention's text must be valid
 * UTF-8.
 */
#define _GNU_SOURCE   /* fmemopen */

#include "../../nlp/lm_pubtator.h"
#include "../../pipeline/lm_stage.h"
#include "../../util/lm_utf8.h"
#include "lm_fuzz.h"

#include <string.h>

#ifndef LM_FUZZ_MODELS
#define LM_FUZZ_MODELS "models"
#endif

static lm_stage_chain chain;
static void *scratch[LM_STAGE_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    lm_config *cfg;
    lm_error err;
    if (lm_config_init(&cfg, &err) != LM_OK ||
        lm_config_set(cfg, "models", "dir", LM_FUZZ_MODELS, &err) != LM_OK ||
        lm_stage_chain_init(&chain, "sentences,ner,pairs", cfg, &err) != LM_OK) {
        fprintf(stderr, "fuzz-tag: cannot load the models from %s: %s\n", LM_FUZZ_MODELS,
                err.msg);
        exit(1);
    }
    for (int i = 0; i < chain.n; i++)
        if (chain.ops[i]->scratch_init(chain.state[i], &scratch[i], &err) != LM_OK)
            exit(1);
    lm_config_free(cfg);
    return 0;
}

static void check_doc(const lm_doc *d)
{
    int32_t ncp = (int32_t)lm_utf8_count(d->text, d->text_len);
    int valid = lm_utf8_valid(d->text, d->text_len);
    for (size_t i = 0; i < d->n_sentences; i++)
        LM_FUZZ_ASSERT(d->sentences[i].start >= 0 && d->sentences[i].start <= d->sentences[i].end &&
                       d->sentences[i].end <= ncp);
    for (size_t i = 0; i < d->n_mentions; i++) {
        const lm_doc_mention *m = &d->mentions[i];
        LM_FUZZ_ASSERT(m->start >= 0 && m->start < m->end && m->end <= ncp);
        LM_FUZZ_ASSERT(m->sentence < (int32_t)d->n_sentences);
        LM_FUZZ_ASSERT(m->text && (!valid || lm_utf8_valid(m->text, strlen(m->text))));
    }
    for (size_t i = 0; i < d->n_pairs; i++) {
        const lm_doc_pair *p = &d->pairs[i];
        LM_FUZZ_ASSERT(p->relation && p->chem_id && p->dis_id);
        LM_FUZZ_ASSERT(p->evidence_start <= p->evidence_end && p->evidence_end <= ncp);
    }
}

static lm_status tag(const char *title, const char *abstract, lm_error *err)
{
    lm_article a;
    lm_article_init(&a);
    a.pmid = 1;
    a.title = (char *)title;   /* read-only use */
    a.abstract = (char *)abstract;
    lm_doc doc;
    lm_doc_init(&doc);
    lm_status st = lm_doc_set_text(&doc, title, abstract, err);
    for (int i = 0; st == LM_OK && i < chain.n; i++)
        st = chain.ops[i]->process(chain.state[i], scratch[i], &a, &doc, err);
    if (st == LM_OK)
        check_doc(&doc);
    lm_doc_free(&doc);
    return st;
}

static lm_status on_doc(void *ctx, const lm_pt_doc *d, lm_error *err)
{
    (void)ctx;
    return tag(d->title ? d->title : "", d->abstract ? d->abstract : "", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    lm_error err;
    /* As `litmine tag` decides: a first line "ID|t|..." means PubTator. */
    const char *bar = strchr(text, '|');
    if (bar && bar > text && (bar[1] == 't' || bar[1] == 'a') && bar[2] == '|' &&
        memchr(text, '\n', (size_t)(bar - text)) == NULL) {
        FILE *f = fmemopen(text, size, "r");
        if (f) {
            (void)lm_pubtator_read(f, "fuzz", on_doc, NULL, &err);
            fclose(f);
        }
    } else {
        /* Plain text: one document per line, bytes as they come (`tag`
         * does not check stdin's encoding). */
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            (void)tag(line, "", &err);
    }
    free(text);
    return 0;
}
