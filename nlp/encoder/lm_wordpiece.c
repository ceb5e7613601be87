/*
 * WordPiece tokenisation with offsets (see lm_wordpiece.h for the rules).
 *
 * The text is normalised once into arrays of code points, each carrying
 * the byte span of the original character it came from (a character that
 * decomposes or lower-cases into several keeps its span on all of them).
 * Canonical ordering runs over the whole decomposed text before marks are
 * dropped, as NFD of the whole string does.  A CJK ideograph is flagged in
 * bit 31 of its code point so the pre-tokenizer isolates it.
 *
 * WordPiece then works on one word at a time, re-encoded as UTF-8 in the
 * scratch buffer with the code point index of every byte; candidate pieces
 * never exceed the vocabulary's longest token, so the greedy search costs
 * O(word length x longest token) lookups at worst.
 */
#include "lm_wordpiece.h"

#include "../../util/lm_unicode.h"
#include "../../util/lm_utf8.h"

#include <string.h>

#define CJK_FLAG 0x80000000u
#define CP_MASK 0x7FFFFFFFu

static int is_chinese_char(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int is_bert_whitespace(uint32_t c)
{
    return c == '\t' || c == '\n' || c == '\r' || lm_uc_is_white_space(c);
}

static int is_bert_control(uint32_t c)
{
    if (c == '\t' || c == '\n' || c == '\r')
        return 0;
    return LM_UC_IS_OTHER(lm_uc_category(c));
}

static int is_bert_punct(uint32_t c)
{
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
        (c >= 123 && c <= 126))
        return 1;
    return c >= 128 && LM_UC_IS_PUNCT(lm_uc_category(c));
}

/* Appends one normalised code point. */
static lm_status put_cp(lm_tokseq *s, size_t *n, uint32_t cp, uint32_t b0, uint32_t b1,
                        lm_error *err)
{
    if (*n == s->cp_cap) {
        lm_status st = lm_tokseq_reserve_cp(s, *n + 1, err);
        if (st != LM_OK)
            return st;
    }
    s->cp[*n] = cp;
    s->cp_start[*n] = b0;
    s->cp_end[*n] = b1;
    (*n)++;
    return LM_OK;
}

/* Steps 1-4: text -> s->cp[0..*n_out). */
static lm_status normalise(const lm_wordpiece_config *cfg, const char *text, size_t len,
                           lm_tokseq *s, size_t *n_out, lm_error *err)
{
    size_t n = 0;
    lm_status st;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = lm_utf8_decode(text + i, len - i, &cp);
        if (k == 0)
            k = 1;   /* cp is U+FFFD */
        uint32_t b0 = (uint32_t)i, b1 = (uint32_t)(i + k);
        i += k;
        if (cfg->clean_text) {
            if (cp == 0 || cp == 0xFFFD || is_bert_control(cp))
                continue;
            if (is_bert_whitespace(cp))
                cp = ' ';
        }
        uint32_t flag = cfg->chinese_chars && is_chinese_char(cp) ? CJK_FLAG : 0;
        if (cfg->strip_accents) {
            uint32_t d[LM_UC_DECOMP_MAX];
            size_t nd = lm_uc_decompose(cp, d);
            for (size_t j = 0; j < nd; j++)
                if ((st = put_cp(s, &n, d[j] | flag, b0, b1, err)) != LM_OK)
                    return st;
        } else if ((st = put_cp(s, &n, cp | flag, b0, b1, err)) != LM_OK) {
            return st;
        }
    }
    if (cfg->strip_accents) {
        /* NFD's canonical ordering, then drop the non-spacing marks.  The
         * CJK flag never sits on a character with a combining class, so
         * the ordering sees plain code points where it matters. */
        lm_uc_canonical_order(s->cp, s->cp_start, s->cp_end, n);
        size_t m = 0;
        for (size_t j = 0; j < n; j++) {
            if (lm_uc_category(s->cp[j] & CP_MASK) == LM_UC_MN)
                continue;
            s->cp[m] = s->cp[j];
            s->cp_start[m] = s->cp_start[j];
            s->cp_end[m] = s->cp_end[j];
            m++;
        }
        n = m;
    }
    if (cfg->lowercase) {
        /* Lower-casing may lengthen the text (U+0130 -> i + U+0307): work
         * backwards into room reserved at the end. */
        size_t extra = 0;
        uint32_t lo[3];
        for (size_t j = 0; j < n; j++)
            extra += lm_uc_to_lower(s->cp[j] & CP_MASK, lo) - 1;
        if (extra > 0) {
            if ((st = lm_tokseq_reserve_cp(s, n + extra, err)) != LM_OK)
                return st;
            size_t w = n + extra;
            for (size_t j = n; j-- > 0;) {
                uint32_t flag = s->cp[j] & CJK_FLAG;
                size_t nl = lm_uc_to_lower(s->cp[j] & CP_MASK, lo);
                uint32_t b0 = s->cp_start[j], b1 = s->cp_end[j];
                for (size_t q = nl; q-- > 0;) {
                    w--;
                    s->cp[w] = lo[q] | flag;
                    s->cp_start[w] = b0;
                    s->cp_end[w] = b1;
                }
            }
            n += extra;
        } else {
            for (size_t j = 0; j < n; j++) {
                lm_uc_to_lower(s->cp[j] & CP_MASK, lo);
                s->cp[j] = lo[0] | (s->cp[j] & CJK_FLAG);
            }
        }
    }
    *n_out = n;
    return LM_OK;
}

/* Byte span of normalised characters [a, b) in the original text: the
 * first one's start to the last one's end, as the reference aligns. */
static void span_of(const lm_tokseq *s, size_t a, size_t b, uint32_t *start, uint32_t *end)
{
    *start = s->cp_start[a];
    *end = s->cp_end[b - 1];
    if (*end < *start)   /* only after canonical reordering of odd marks */
        *end = *start;
}

/* Step 6 for the word of normalised characters [a, b). */
static lm_status wordpiece_word(const lm_vocab *vocab, const lm_wordpiece_config *cfg,
                                lm_tokseq *s, size_t a, size_t b, lm_error *err)
{
    uint32_t w0, w1;
    span_of(s, a, b, &w0, &w1);
    if (b - a > cfg->max_chars_per_word)
        return lm_tokseq_push(s, cfg->unk_id, w0, w1, err);
    /* UTF-8 of the word; buf_cp[byte] = index of its character. */
    lm_status st = lm_tokseq_reserve_buf(s, (b - a) * 4 + 1, err);
    if (st != LM_OK)
        return st;
    size_t blen = 0;
    for (size_t j = a; j < b; j++) {
        char enc[4];
        size_t k = lm_utf8_encode(s->cp[j] & CP_MASK, enc);
        if (k == 0) {   /* a surrogate cannot come out of UTF-8 decoding */
            enc[0] = '?';
            k = 1;
        }
        for (size_t q = 0; q < k; q++) {
            s->buf[blen] = enc[q];
            s->buf_cp[blen] = (uint32_t)j;
            blen++;
        }
    }
    size_t first = s->n;
    size_t max_len = lm_vocab_max_len(vocab);
    for (size_t pos = 0; pos < blen;) {
        size_t limit = pos == 0 ? max_len : (max_len > 2 ? max_len - 2 : 0);
        size_t e = blen - pos > limit ? pos + limit : blen;
        int32_t id = -1;
        for (;;) {
            /* back to a character boundary */
            while (e > pos && e < blen && ((unsigned char)s->buf[e] & 0xC0) == 0x80)
                e--;
            if (e <= pos)
                break;
            id = pos == 0 ? lm_vocab_find(vocab, s->buf, e)
                          : lm_vocab_find_cont(vocab, s->buf + pos, e - pos);
            if (id >= 0)
                break;
            e--;
        }
        if (id < 0) {
            s->n = first;   /* no piece fits here: the whole word is unknown */
            return lm_tokseq_push(s, cfg->unk_id, w0, w1, err);
        }
        uint32_t t0, t1;
        span_of(s, s->buf_cp[pos], s->buf_cp[e - 1] + 1, &t0, &t1);
        if ((st = lm_tokseq_push(s, id, t0, t1, err)) != LM_OK)
            return st;
        pos = e;
    }
    return LM_OK;
}

lm_status lm_wordpiece_encode(const lm_vocab *vocab, const lm_wordpiece_config *cfg,
                              const char *text, size_t len, lm_tokseq *out, lm_error *err)
{
    lm_tokseq_reset(out);
    if (len >= UINT32_MAX)
        return lm_error_set(err, LM_ERR_USAGE, "text of %zu bytes is too long to tokenise", len);
    size_t n;
    lm_status st = normalise(cfg, text, len, out, &n, err);
    if (st != LM_OK)
        return st;
    for (size_t i = 0; i < n;) {
        uint32_t c = out->cp[i] & CP_MASK;
        if (is_bert_whitespace(c)) {
            i++;
            continue;
        }
        size_t j = i + 1;
        if (!(out->cp[i] & CJK_FLAG) && !is_bert_punct(c)) {
            while (j < n) {
                uint32_t d = out->cp[j];
                if ((d & CJK_FLAG) || is_bert_whitespace(d & CP_MASK) || is_bert_punct(d & CP_MASK))
                    break;
                j++;
            }
        }
        if ((st = wordpiece_word(vocab, cfg, out, i, j, err)) != LM_OK)
            return st;
        i = j;
    }
    return LM_OK;
}
