/*
 * Running a stage chain over one article, in bounded windows.
 *
 * The NLP stages need memory (and, for pairs, time) that grows with the
 * text they see: the tagger about 150 bytes per byte, the pair classifier
 * with the square of the concepts.  So a text longer than LM_STAGE_WINDOW
 * bytes is cut into windows of at most that size, ended where a sentence
 * ends (". ", else a space, else a character boundary), and the stages
 * that read the text run on one window at a time as if it were an article
 * of its own (the first window holds the title).  Their results are moved
 * into the article's doc with offsets and sentence numbers shifted: the
 * sentences, mentions and abbreviations of each window in turn, and for a
 * (chemical, disease) pair found in several windows the best-scored one.
 * Stages that read the article rather than the text (embed) run once, on
 * the whole of it, after the windows.  Any text up to the window is
 * processed whole, exactly as before windows existed; no PubMed abstract
 * comes near 64 KiB.
 *
 * Stored inputs (reprocess) are in the doc before the chain runs; each
 * window gets the slice of them it covers, rebased, and they are not
 * merged back: only what the chain produces is.
 */
#include "../util/lm_clock.h"
#include "../util/lm_utf8.h"
#include "lm_stage.h"

#include <stdlib.h>
#include <string.h>

/* End of the window that starts at text[from] (exclusive), at most
 * LM_STAGE_WINDOW bytes on: after the last ". " in its second half, else
 * after its last space, else at a code point boundary. */
static size_t window_end(const char *text, size_t len, size_t from)
{
    if (len - from <= LM_STAGE_WINDOW)
        return len;
    size_t limit = from + LM_STAGE_WINDOW, half = from + LM_STAGE_WINDOW / 2;
    for (size_t i = limit - 1; i > half; i--)
        if (text[i] == ' ' && text[i - 1] == '.')
            return i + 1;
    for (size_t i = limit - 1; i > half; i--)
        if (text[i] == ' ')
            return i + 1;
    size_t end = limit;
    while (end > from + 1 && ((unsigned char)text[end] & 0xc0) == 0x80)
        end--;
    return end;
}

/* Copies into sub the stored parts of doc that lie in code points
 * [cp_from, cp_to), rebased by -shift; sentence numbers rebased to the
 * first sentence in the window, whose number in doc goes to *first. */
static lm_status slice_inputs(const lm_doc *doc, unsigned inputs, int32_t cp_from,
                              int32_t cp_to, int32_t shift, lm_doc *sub, int32_t *first_out,
                              lm_error *err)
{
    lm_status st = LM_OK;
    int32_t first = -1;
    for (size_t i = 0; i < doc->n_sentences; i++) {
        const lm_doc_sentence *s = &doc->sentences[i];
        if (s->start < cp_from || s->start >= cp_to)
            continue;
        if (first < 0)
            first = (int32_t)i;
        if (inputs & LM_DOC_SENTENCES) {
            st = lm_doc_add_sentence(sub, s->start - shift,
                                     (s->end < cp_to ? s->end : cp_to) - shift, err);
            if (st != LM_OK)
                return st;
        }
    }
    for (size_t i = 0; (inputs & LM_DOC_MENTIONS) && i < doc->n_mentions; i++) {
        const lm_doc_mention *m = &doc->mentions[i];
        if (m->start < cp_from || m->end > cp_to)
            continue;
        int32_t sentence = m->sentence >= first && first >= 0 ? m->sentence - first : -1;
        st = lm_doc_add_mention(sub, m->start - shift, m->end - shift, m->type, m->text,
                                m->concept_id, sentence, m->score, err);
        if (st != LM_OK)
            return st;
    }
    *first_out = first < 0 ? (int32_t)doc->n_sentences : first;
    return LM_OK;
}

static int same_id(const char *x, const char *y)
{
    return strcmp(x ? x : "", y ? y : "") == 0;
}

/* Moves what the window's stages produced (parts) from sub into doc,
 * offsets shifted by shift and sentence numbers by n_before. */
static lm_status merge_window(lm_doc *doc, const lm_doc *sub, unsigned parts, int32_t shift,
                              int32_t n_before, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && (parts & LM_DOC_SENTENCES) && i < sub->n_sentences; i++)
        st = lm_doc_add_sentence(doc, sub->sentences[i].start + shift,
                                 sub->sentences[i].end + shift, err);
    for (size_t i = 0; st == LM_OK && (parts & LM_DOC_MENTIONS) && i < sub->n_mentions; i++) {
        const lm_doc_mention *m = &sub->mentions[i];
        st = lm_doc_add_mention(doc, m->start + shift, m->end + shift, m->type, m->text,
                                m->concept_id, m->sentence >= 0 ? m->sentence + n_before : -1,
                                m->score, err);
    }
    for (size_t i = 0; st == LM_OK && (parts & LM_DOC_MENTIONS) && i < sub->n_abbrevs; i++) {
        const lm_doc_abbrev *a = &sub->abbrevs[i];
        st = lm_doc_add_abbrev(doc, a->short_form, a->long_form, a->start + shift,
                               a->end + shift, err);
    }
    for (size_t i = 0; st == LM_OK && (parts & LM_DOC_PAIRS) && i < sub->n_pairs; i++) {
        const lm_doc_pair *p = &sub->pairs[i];
        int32_t sentence = p->sentence >= 0 ? p->sentence + n_before : -1;
        size_t k = 0;
        while (k < doc->n_pairs &&
               !(same_id(doc->pairs[k].chem_id, p->chem_id) && same_id(doc->pairs[k].dis_id, p->dis_id)))
            k++;
        if (k == doc->n_pairs) {
            st = lm_doc_add_pair(doc, p->chem_id, p->chem_text, p->dis_id, p->dis_text,
                                 p->relation, p->score, sentence, p->evidence_start + shift,
                                 p->evidence_end + shift, err);
        } else if (p->score > doc->pairs[k].score) {
            /* Same concepts, same ids: only the verdict and evidence move. */
            lm_doc_pair *q = &doc->pairs[k];
            q->relation = p->relation;
            q->score = p->score;
            q->sentence = sentence;
            q->evidence_start = p->evidence_start + shift;
            q->evidence_end = p->evidence_end + shift;
        }
    }
    return st;
}

static lm_status run_stage(const lm_stage_chain *chain, void *const *scratch, int i,
                           const lm_article *a, lm_doc *doc, double *seconds, int *failed,
                           lm_error *err)
{
    double t0 = lm_now_seconds();
    lm_status st = chain->ops[i]->process(chain->state[i], scratch[i], a, doc, err);
    if (seconds)
        seconds[i] += lm_now_seconds() - t0;
    if (st == LM_OK)
        doc->stages_done |= 1u << i;
    else
        *failed = i;
    return st;
}

/* Stages that read the article's fields rather than doc->text. */
static int reads_article(const lm_stage_ops *ops)
{
    return (ops->produces & LM_DOC_VECTOR) != 0;
}

lm_status lm_stage_chain_run(const lm_stage_chain *chain, void *const *scratch,
                             const lm_article *a, lm_doc *doc, double *seconds,
                             int *failed_stage, lm_error *err)
{
    int failed = -1;
    lm_status st = lm_doc_set_text(doc, a->title, a->abstract, err);
    if (st == LM_OK && doc->text_len <= LM_STAGE_WINDOW) {
        for (int i = 0; st == LM_OK && i < chain->n; i++)
            st = run_stage(chain, scratch, i, a, doc, seconds, &failed, err);
        if (failed_stage)
            *failed_stage = failed;
        return st;
    }

    unsigned windowed = 0;
    for (int i = 0; i < chain->n; i++)
        if (!reads_article(chain->ops[i]))
            windowed |= chain->ops[i]->produces;
    /* What the doc holds now came from the store: input, not output. */
    unsigned inputs = (doc->n_sentences ? LM_DOC_SENTENCES : 0) |
                      (doc->n_mentions ? LM_DOC_MENTIONS : 0);
    /* Sentences that are not input are kept even when no stage of the
     * chain makes them its output: ner splits a text without sentences
     * itself and numbers its mentions by that split. */
    unsigned merged = windowed | (inputs & LM_DOC_SENTENCES ? 0u : (unsigned)LM_DOC_SENTENCES);
    lm_doc whole;
    lm_doc_init(&whole);
    if (inputs) {
        whole = *doc;
        lm_doc_init(doc);
        doc->text = whole.text;
        doc->text_len = whole.text_len;
        whole.text = NULL;
    }
    const char *text = doc->text;
    size_t len = doc->text_len, tl = a->title ? strlen(a->title) : 0;
    int32_t cp_from = 0;
    for (size_t from = 0; st == LM_OK && from < len;) {
        size_t to = window_end(text, len, from);
        /* The first window is the title and what follows it; the others
         * are abstract text.  A window's doc text is exactly its slice of
         * the whole, so its offsets only shift by where it starts. */
        lm_article part;
        lm_article_init(&part);
        part.pmid = a->pmid;
        part.version = a->version;
        int32_t shift = cp_from;
        if (from == 0 && to > tl) {
            part.title = tl ? strndup(text, tl) : NULL;
            part.abstract = strndup(text + tl + 1, to - tl - 1);
        } else {
            part.abstract = strndup(text + from, to - from);
        }
        lm_doc sub;
        lm_doc_init(&sub);
        sub.text = strndup(text + from, to - from);
        sub.text_len = to - from;
        int32_t cp_to = cp_from + (int32_t)lm_utf8_count(text + from, to - from);
        if (!part.abstract || !sub.text || (tl && from == 0 && to > tl && !part.title))
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        /* Sentence numbers continue those merged so far, or, when the
         * sentences are stored input, those of the input. */
        int32_t first_input = 0;
        if (st == LM_OK && inputs)
            st = slice_inputs(&whole, inputs, cp_from, cp_to, shift, &sub, &first_input, err);
        int32_t n_before = merged & LM_DOC_SENTENCES ? (int32_t)doc->n_sentences : first_input;
        for (int i = 0; st == LM_OK && i < chain->n; i++)
            if (!reads_article(chain->ops[i]))
                st = run_stage(chain, scratch, i, &part, &sub, seconds, &failed, err);
        if (st == LM_OK)
            st = merge_window(doc, &sub, merged, shift, n_before, err);
        if (st == LM_OK)
            doc->stages_done |= sub.stages_done;
        lm_doc_free(&sub);
        lm_article_free(&part);
        cp_from = cp_to;
        from = to;
    }
    lm_doc_free(&whole);
    for (int i = 0; st == LM_OK && i < chain->n; i++)
        if (reads_article(chain->ops[i]))
            st = run_stage(chain, scratch, i, a, doc, seconds, &failed, err);
    if (failed_stage)
        *failed_stage = failed;
    return st;
}
