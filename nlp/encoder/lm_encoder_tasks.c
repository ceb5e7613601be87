/*
 * What the encoder is used for (see lm_encoder.h): tokenising with the
 * model's special tokens, embeddings, sequence classification, and token
 * classification decoded into mentions.
 *
 * Batching: texts are tokenised, sorted by length (so a pass holds texts
 * of similar length and long ones do not straggle) and packed into passes
 * of at most batch_tokens tokens; results go back to the caller's order.
 *
 * Mentions follow the Hugging Face token-classification pipeline:
 *   - scores are the softmax of each token's logits; special tokens are
 *     left out;
 *   - "simple": every token is an entity labelled by its argmax;
 *     "first": tokens are grouped into words (a token continues a word
 *     when its vocabulary string is longer or shorter than the text it
 *     covers, i.e. a "##" piece, for WordPiece; when it starts right
 *     after a non-space for BPE; [UNK] never continues one) and a word
 *     takes the argmax of its first token;
 *   - consecutive entities of the same type join into one mention unless
 *     the later one is a B- (a mention's score is the mean of its
 *     entities'); entities labelled O are dropped.
 * BILOU / BIOES labels, which that pipeline does not know, are read as
 * one would expect: U-/S- is a mention of its own, L-/E- closes one.
 * Long texts: windows of max_length tokens overlapping by `stride`; each
 * token takes its scores from the window where it is farthest from an
 * edge (the pipeline instead aggregates per window and merges the
 * entities).
 */
#include "lm_encoder_impl.h"

#include "../../util/lm_utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ------------------------------------------------------------------ */

static lm_status tokenize_text(const lm_encoder *e, lm_encoder_ws *ws, const char *text,
                               size_t len, lm_error *err)
{
    if (e->bpe)
        return lm_bpe_encode(e->bpe, &e->bpe_cfg, text, len, &ws->tok, err);
    return lm_wordpiece_encode(e->vocab, &e->wp, text, len, &ws->tok, err);
}

/* ws->in_* = [CLS] tok[from..from+n) [SEP] */
static lm_status build_input(const lm_encoder *e, lm_encoder_ws *ws, size_t from, size_t n,
                             lm_error *err)
{
    size_t cap = ws->in_cap, need = n + 2;
    if (need > cap) {
        size_t c1 = cap, c2 = cap;
        if (lm_vec_grow((void **)&ws->in_ids, &cap, need, sizeof *ws->in_ids) != LM_OK ||
            lm_vec_grow((void **)&ws->in_start, &c1, need, sizeof *ws->in_start) != LM_OK ||
            lm_vec_grow((void **)&ws->in_end, &c2, need, sizeof *ws->in_end) != LM_OK)
            return lm_error_nomem(err, "running the encoder");
        ws->in_cap = cap;
    }
    ws->in_ids[0] = e->cls_id;
    ws->in_start[0] = ws->in_end[0] = 0;
    for (size_t i = 0; i < n; i++) {
        ws->in_ids[i + 1] = ws->tok.ids[from + i];
        ws->in_start[i + 1] = ws->tok.start[from + i];
        ws->in_end[i + 1] = ws->tok.end[from + i];
    }
    ws->in_ids[n + 1] = e->sep_id;
    ws->in_start[n + 1] = ws->in_end[n + 1] = 0;
    return LM_OK;
}

lm_status lm_encoder_tokenize(const lm_encoder *e, lm_encoder_ws *ws, const char *text,
                              size_t len, int max_len, lm_encoder_input *out, lm_error *err)
{
    if (max_len <= 0 || max_len > e->info.max_length)
        max_len = max_len <= 0 ? e->info.embed_max_length : e->info.max_length;
    lm_status st = tokenize_text(e, ws, text, len, err);
    if (st != LM_OK)
        return st;
    size_t n = ws->tok.n < (size_t)max_len - 2 ? ws->tok.n : (size_t)max_len - 2;
    if ((st = build_input(e, ws, 0, n, err)) != LM_OK)
        return st;
    out->ids = ws->in_ids;
    out->start = ws->in_start;
    out->end = ws->in_end;
    out->n = n + 2;
    return LM_OK;
}

/* ---- raw passes ------------------------------------------------------------------ */

lm_status lm_encoder_forward(const lm_encoder *e, lm_encoder_ws *ws, const int32_t *ids,
                             const int *lens, int n_seqs, const float **hidden, lm_error *err)
{
    int64_t total = 0;
    int max_pos = e->info.max_positions - e->pos_offset;
    for (int s = 0; s < n_seqs; s++) {
        if (lens[s] < 1 || lens[s] > max_pos || lens[s] > ws->cap_len)
            return lm_error_set(err, LM_ERR_USAGE, "sequence of %d tokens (the model takes 1 to %d)",
                                lens[s], max_pos < ws->cap_len ? max_pos : ws->cap_len);
        total += lens[s];
    }
    if (n_seqs < 1 || total > ws->cap_tokens)
        return lm_error_set(err, LM_ERR_USAGE, "%lld tokens in %d sequences do not fit a pass of %d",
                            (long long)total, n_seqs, ws->cap_tokens);
    for (int64_t i = 0; i < total; i++)
        if (ids[i] < 0 || ids[i] >= e->info.vocab_size)
            return lm_error_set(err, LM_ERR_USAGE, "token id %d outside the vocabulary", ids[i]);
    lm_status st = enc_ws_reserve(ws, (int)total, n_seqs, err);
    if (st != LM_OK)
        return st;
    enc_forward(e, ws, ids, lens, n_seqs);
    *hidden = ws->x;
    return LM_OK;
}

lm_status lm_encoder_head_logits(const lm_encoder *e, lm_encoder_ws *ws, const float **logits,
                                 lm_error *err)
{
    if (e->info.head == LM_ENC_HEAD_NONE)
        return lm_error_set(err, LM_ERR_USAGE, "%s has no classification head", e->info.dir);
    if (ws->n_tokens == 0)
        return lm_error_set(err, LM_ERR_USAGE, "no forward pass yet");
    enc_head_forward(e, ws);
    *logits = ws->logits;
    return LM_OK;
}

/* ---- batches of texts ------------------------------------------------------------- */

typedef void (*batch_done_fn)(const lm_encoder *e, lm_encoder_ws *ws, void *ctx);

/* Tokenises texts, sorts them by length, runs passes of at most
 * batch_tokens tokens and calls done after each; ws->batch_text[s] is the
 * caller's index of sequence s of the pass. */
static lm_status run_batches(const lm_encoder *e, lm_encoder_ws *ws, const char *const *texts,
                             const size_t *lens, size_t n, int max_len, batch_done_fn done,
                             void *ctx, lm_error *err)
{
    /* token ids of every text, back to back; offsets in order[] */
    size_t ids_cap = ws->batch_cap, used = 0;
    size_t *tok_off = NULL, *tok_len = NULL;
    size_t *order = NULL;
    lm_status st = LM_OK;
    tok_off = malloc((n ? n : 1) * sizeof *tok_off);
    tok_len = malloc((n ? n : 1) * sizeof *tok_len);
    order = malloc((n ? n : 1) * sizeof *order);
    if (!tok_off || !tok_len || !order) {
        st = lm_error_nomem(err, "running the encoder");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        lm_encoder_input in;
        if ((st = lm_encoder_tokenize(e, ws, texts[i], lens[i], max_len, &in, err)) != LM_OK)
            goto done;
        if (lm_vec_grow((void **)&ws->batch_ids, &ids_cap, used + in.n,
                        sizeof *ws->batch_ids) != LM_OK) {
            st = lm_error_nomem(err, "running the encoder");
            goto done;
        }
        ws->batch_cap = ids_cap;
        memcpy(ws->batch_ids + used, in.ids, in.n * sizeof *in.ids);
        tok_off[i] = used;
        tok_len[i] = in.n;
        order[i] = i;
        used += in.n;
    }
    /* stable sort by length (insertion sort on runs would do; n is a batch) */
    for (size_t i = 1; i < n; i++) {
        size_t k = order[i], j = i;
        while (j > 0 && tok_len[order[j - 1]] > tok_len[k]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    int32_t *pass_ids = NULL;
    int *pass_lens = NULL;
    size_t cap_ids = 0, cap_lens = 0;
    for (size_t i = 0; i < n && st == LM_OK;) {
        size_t tokens = 0, seqs = 0;
        while (i + seqs < n && tokens + tok_len[order[i + seqs]] <= (size_t)ws->cap_tokens)
            tokens += tok_len[order[i + seqs++]];
        if (lm_vec_grow((void **)&pass_ids, &cap_ids, tokens, sizeof *pass_ids) != LM_OK ||
            lm_vec_grow((void **)&pass_lens, &cap_lens, seqs, sizeof *pass_lens) != LM_OK ||
            lm_vec_grow((void **)&ws->batch_text, &ws->batch_text_cap, seqs,
                        sizeof *ws->batch_text) != LM_OK) {
            st = lm_error_nomem(err, "running the encoder");
            break;
        }
        size_t at = 0;
        for (size_t s = 0; s < seqs; s++) {
            size_t k = order[i + s];
            memcpy(pass_ids + at, ws->batch_ids + tok_off[k], tok_len[k] * sizeof *pass_ids);
            pass_lens[s] = (int)tok_len[k];
            ws->batch_text[s] = k;
            at += tok_len[k];
        }
        const float *hidden;
        st = lm_encoder_forward(e, ws, pass_ids, pass_lens, (int)seqs, &hidden, err);
        if (st == LM_OK)
            done(e, ws, ctx);
        i += seqs;
    }
    free(pass_ids);
    free(pass_lens);
done:
    free(tok_off);
    free(tok_len);
    free(order);
    return st;
}

/* ---- embeddings ------------------------------------------------------------------- */

typedef struct embed_ctx {
    lm_encoder_pooling pooling;
    float *out;
} embed_ctx;

static void embed_done(const lm_encoder *e, lm_encoder_ws *ws, void *p)
{
    embed_ctx *c = p;
    size_t h = (size_t)e->info.hidden;
    for (int s = 0; s < ws->n_seqs; s++) {
        float *v = c->out + ws->batch_text[s] * h;
        const float *x = ws->x + (size_t)ws->seq_start[s] * h;
        int l = ws->seq_len[s];
        if (c->pooling == LM_ENC_POOL_CLS) {
            memcpy(v, x, h * sizeof *v);
        } else {
            /* double sums: a 512-token mean should not lose digits */
            for (size_t j = 0; j < h; j++) {
                double acc = 0;
                for (int r = 0; r < l; r++)
                    acc += x[(size_t)r * h + j];
                v[j] = (float)(acc / l);
            }
        }
        if (e->info.normalize) {
            double ss = 0;
            for (size_t j = 0; j < h; j++)
                ss += (double)v[j] * v[j];
            double inv = 1.0 / (sqrt(ss) > 1e-12 ? sqrt(ss) : 1e-12);
            for (size_t j = 0; j < h; j++)
                v[j] = (float)(v[j] * inv);
        }
    }
}

lm_status lm_encoder_embed(const lm_encoder *e, lm_encoder_ws *ws, const char *const *texts,
                           const size_t *lens, size_t n, lm_encoder_pooling pooling, float *out,
                           lm_error *err)
{
    if (e->unsupported_module)
        return lm_error_set(err, LM_ERR_FORMAT,
                            "%s/modules.json: module %s is not supported (litmine applies "
                            "Transformer, Pooling and Normalize)",
                            e->info.dir, e->unsupported_module);
    if (pooling == LM_ENC_POOL_DEFAULT)
        pooling = e->info.pooling;
    if (pooling == LM_ENC_POOL_UNSUPPORTED)
        return lm_error_set(err, LM_ERR_FORMAT,
                            "%s/1_Pooling/config.json: %s pooling is not supported; choose mean "
                            "or cls",
                            e->info.dir, e->info.pooling_name);
    embed_ctx c = {pooling, out};
    return run_batches(e, ws, texts, lens, n, e->info.embed_max_length, embed_done, &c, err);
}

/* ---- sequence classification -------------------------------------------------------- */

static void classify_done(const lm_encoder *e, lm_encoder_ws *ws, void *p)
{
    float *out = p;
    size_t nl = (size_t)e->info.n_labels;
    enc_head_forward(e, ws);
    for (int s = 0; s < ws->n_seqs; s++)
        memcpy(out + ws->batch_text[s] * nl, ws->logits + (size_t)s * nl, nl * sizeof *out);
}

lm_status lm_encoder_classify(const lm_encoder *e, lm_encoder_ws *ws, const char *const *texts,
                              const size_t *lens, size_t n, float *out, lm_error *err)
{
    if (e->info.head != LM_ENC_HEAD_SEQUENCE)
        return lm_error_set(err, LM_ERR_USAGE, "%s is not a sequence-classification model (%s)",
                            e->info.dir, e->info.architecture[0] ? e->info.architecture : "no head");
    return run_batches(e, ws, texts, lens, n, e->info.max_length, classify_done, out, err);
}

/* ---- token classification ---------------------------------------------------------------- */

void lm_encoder_mentions_init(lm_encoder_mentions *m)
{
    memset(m, 0, sizeof *m);
}

void lm_encoder_mentions_free(lm_encoder_mentions *m)
{
    free(m->items);
    lm_encoder_mentions_init(m);
}

static lm_status add_mention(lm_encoder_mentions *m, uint32_t start, uint32_t end, int group,
                             float score, lm_error *err)
{
    if (lm_vec_grow((void **)&m->items, &m->cap, m->n + 1, sizeof *m->items) != LM_OK)
        return lm_error_nomem(err, "running the encoder");
    m->items[m->n++] = (lm_encoder_mention){start, end, group, score};
    return LM_OK;
}

/* Whether token i (of ws->tok) continues the previous token's word. */
static int is_subword(const lm_encoder *e, const lm_encoder_ws *ws, const char *text, size_t len,
                      size_t i)
{
    const lm_tokseq *t = &ws->tok;
    if (t->ids[i] == e->unk_id)
        return 0;
    uint32_t s = t->start[i], en = t->end[i];
    if (e->bpe) {
        /* no subword marker: a token glued to a non-space is a subword */
        if (s == 0)
            return 0;
        size_t before = s - 1;   /* the character before: find its first byte */
        while (before > 0 && ((unsigned char)text[before] & 0xC0) == 0x80)
            before--;
        return text[before] != ' ' && (s >= len || text[s] != ' ');
    }
    const char *piece = lm_vocab_token(e->vocab, t->ids[i]);
    size_t piece_chars = piece ? lm_utf8_count(piece, strlen(piece)) : 0;
    return piece_chars != lm_utf8_count(text + s, en - s);
}

static int argmax(const float *p, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (p[k] > p[best])
            best = k;
    return best;
}

/* Runs the windows of the text in ws->tok and leaves each token's label
 * probabilities in ws->tag_prob. */
static lm_status score_tokens(const lm_encoder *e, lm_encoder_ws *ws, lm_error *err)
{
    size_t n = ws->tok.n, nl = (size_t)e->info.n_labels;
    size_t cap = ws->tag_cap, cap2 = ws->tag_cap;
    if (lm_vec_grow((void **)&ws->tag_prob, &cap, n * nl, sizeof *ws->tag_prob) != LM_OK ||
        lm_vec_grow((void **)&ws->tag_ctx, &cap2, n, sizeof *ws->tag_ctx) != LM_OK)
        return lm_error_nomem(err, "running the encoder");
    ws->tag_cap = cap < cap2 ? cap : cap2;
    for (size_t i = 0; i < n; i++)
        ws->tag_ctx[i] = -1;
    size_t content = (size_t)e->info.max_length - 2, step = content - (size_t)e->stride;
    /* windows [w, w + content) at w = 0, step, 2 step, ... until one
     * reaches the end; several windows share a pass when they fit */
    size_t w = 0;
    int last = 0;
    lm_status st = LM_OK;
    int32_t *ids = ws->batch_ids;
    size_t ids_cap = ws->batch_cap;
    while (!last && st == LM_OK) {
        size_t starts[64];
        int lens[64];
        int seqs = 0;
        size_t tokens = 0;
        while (!last && seqs < 64) {
            size_t stop = w + content < n ? w + content : n;
            size_t len = stop - w + 2;
            if (tokens + len > (size_t)ws->cap_tokens)
                break;
            if (lm_vec_grow((void **)&ids, &ids_cap, tokens + len, sizeof *ids) != LM_OK) {
                ws->batch_ids = ids;
                ws->batch_cap = ids_cap;
                return lm_error_nomem(err, "running the encoder");
            }
            ids[tokens] = e->cls_id;
            memcpy(ids + tokens + 1, ws->tok.ids + w, (stop - w) * sizeof *ids);
            ids[tokens + len - 1] = e->sep_id;
            starts[seqs] = w;
            lens[seqs++] = (int)len;
            tokens += len;
            last = stop == n;
            w += step;
        }
        ws->batch_ids = ids;
        ws->batch_cap = ids_cap;
        const float *hidden;
        if ((st = lm_encoder_forward(e, ws, ids, lens, seqs, &hidden, err)) != LM_OK)
            break;
        enc_head_forward(e, ws);
        for (int s = 0; s < seqs; s++) {
            size_t stop = starts[s] + (size_t)lens[s] - 2;
            for (size_t i = starts[s]; i < stop; i++) {
                size_t left = i - starts[s], right = stop - 1 - i;
                int ctx = (int)(left < right ? left : right);
                if (ctx <= ws->tag_ctx[i])
                    continue;
                ws->tag_ctx[i] = ctx;
                const float *row = ws->logits + (size_t)(ws->seq_start[s] + 1 + (int)left) * nl;
                memcpy(ws->tag_prob + i * nl, row, nl * sizeof *row);
            }
        }
    }
    if (st == LM_OK)
        for (size_t i = 0; i < n; i++)
            enc_softmax_row(ws->tag_prob + i * nl, (int)nl);
    return st;
}

lm_status lm_encoder_tag(const lm_encoder *e, lm_encoder_ws *ws, const char *text, size_t len,
                         lm_encoder_agg agg, lm_encoder_mentions *out, lm_error *err)
{
    out->n = 0;
    if (e->info.head != LM_ENC_HEAD_TOKEN)
        return lm_error_set(err, LM_ERR_USAGE, "%s is not a token-classification model (%s)",
                            e->info.dir, e->info.architecture[0] ? e->info.architecture : "no head");
    lm_status st = tokenize_text(e, ws, text, len, err);
    size_t n = ws->tok.n;
    if (st != LM_OK || n == 0)
        return st;
    if ((st = score_tokens(e, ws, err)) != LM_OK)
        return st;
    int nl = e->info.n_labels;
    if (lm_vec_grow((void **)&ws->ents, &ws->ents_cap, n, sizeof *ws->ents) != LM_OK)
        return lm_error_nomem(err, "running the encoder");
    /* entities: tokens, or words labelled by their first token */
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        const float *p = ws->tag_prob + i * (size_t)nl;
        if (agg == LM_ENC_AGG_FIRST && ne > 0 && is_subword(e, ws, text, len, i)) {
            ws->ents[ne - 1].end = ws->tok.end[i];
            continue;
        }
        int k = argmax(p, nl);
        ws->ents[ne++] = (enc_entity){ws->tok.start[i], ws->tok.end[i], k, p[k]};
    }
    /* group entities into mentions */
    int cur = -1, closed = 0;
    uint32_t m_start = 0, m_end = 0;
    double m_score = 0;
    int m_count = 0;
    for (size_t i = 0; i <= ne && st == LM_OK; i++) {
        int g = -1;
        label_kind kind = LK_OUTSIDE;
        if (i < ne) {
            g = e->label_group[ws->ents[i].label];
            kind = e->label_kind[ws->ents[i].label];
        }
        int joins = i < ne && cur >= 0 && g == cur && !closed &&
                    (kind == LK_INSIDE || kind == LK_LAST);
        if (joins) {
            m_end = ws->ents[i].end;
            m_score += ws->ents[i].score;
            m_count++;
        } else {
            if (cur >= 0)
                st = add_mention(out, m_start, m_end, cur, (float)(m_score / m_count), err);
            cur = g;
            if (g >= 0) {
                m_start = ws->ents[i].start;
                m_end = ws->ents[i].end;
                m_score = ws->ents[i].score;
                m_count = 1;
            }
        }
        closed = kind == LK_LAST || kind == LK_UNIT;
    }
    return st;
}
