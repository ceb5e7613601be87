/*
 * Fine-grained biomedical tokenizer.
 *
 * Entity boundaries in the corpora often fall inside what a general-purpose
 * tokenizer keeps whole ("cocaine-induced" -> mention "cocaine",
 * "5-fluorouracil", "Ca2+"), so every punctuation character is its own
 * token while runs of letters and digits stay together (IL2, p53, CD4).
 * Two numeric patterns are kept whole because no mention ever ends inside
 * them: decimals (digit '.' digit: 0.05) and thousands groups
 * (digit ',' ddd: 1,000).  Non-ASCII code points are classified by block:
 * letters of any script (Greek alpha, mu, accented Latin) are word
 * characters, while dashes, quotes, math symbols (U+2013, U+2019, ±, ≥, ×)
 * are single tokens and Unicode spaces separate like ASCII ones.
 *
 * ASCII bytes go through a 256-entry class table, so the common path is one
 * load and compare per byte.
 */
#include "lm_token.h"

#include "../util/lm_utf8.h"

#include <stdlib.h>
#include <string.h>

enum { C_SPACE = 0, C_WORD = 1, C_DIGIT = 2, C_PUNCT = 3, C_HIGH = 4 };

/* Class of each ASCII byte as a digit character holding the C_ value:
 * 0 = space or control (separator), 1 = letter, 2 = digit, 3 = punctuation.
 * Bytes >= 0x80 need decoding. */
static const char ascii_class[129] =
    "00000000000000000000000000000000"
    "03333333333333332222222222333333"
    "31111111111111111111111111133333"
    "31111111111111111111111111133330";

/* Class of a non-ASCII code point: C_SPACE, C_WORD or C_PUNCT. */
static int high_class(uint32_t c)
{
    if (c < 0x100) {
        if (c == 0x85 || c == 0xA0)                 /* NEL, NBSP */
            return C_SPACE;
        if (c < 0xA0)
            return C_SPACE;                         /* C1 controls */
        if (c == 0xAA || c == 0xB5 || c == 0xBA || c == 0xB2 || c == 0xB3 || c == 0xB9)
            return C_WORD;                          /* ª µ º ² ³ ¹ */
        if (c < 0xC0 || c == 0xD7 || c == 0xF7)
            return C_PUNCT;                         /* ¡..¿ × ÷ */
        return C_WORD;
    }
    if (c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029
        || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF)
        return C_SPACE;
    if (c == 0x037E || c == 0x0387)                 /* Greek question mark, ano teleia */
        return C_PUNCT;
    if (c >= 0x2070 && c <= 0x209F) {               /* super/subscripts */
        if ((c >= 0x207A && c <= 0x207E) || (c >= 0x208A && c <= 0x208E))
            return C_PUNCT;                         /* ⁺ ⁻ ⁼ ⁽ ⁾ */
        return C_WORD;
    }
    if (c >= 0x2100 && c <= 0x214F)                 /* letterlike: Å, ℓ */
        return C_WORD;
    if (c >= 0x2000 && c <= 0x2BFF)                 /* punctuation, arrows, math */
        return C_PUNCT;
    if (c >= 0x2E00 && c <= 0x2E7F)
        return C_PUNCT;
    if (c >= 0x3000 && c <= 0x303F)                 /* CJK punctuation */
        return C_PUNCT;
    if (c >= 0xFE30 && c <= 0xFE6F)
        return C_PUNCT;
    if (c >= 0xFF00 && c <= 0xFFEF) {               /* fullwidth forms */
        if ((c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A)
            || (c >= 0xFF41 && c <= 0xFF5A) || c >= 0xFF66)
            return C_WORD;
        return C_PUNCT;
    }
    if (c >= 0xFFF0 && c <= 0xFFFF)                 /* specials incl. U+FFFD */
        return C_PUNCT;
    if (c >= 0x1F000 && c <= 0x1FFFF)               /* emoji, symbols */
        return C_PUNCT;
    return C_WORD;
}

/* Class of the character at p[i], with its byte length. */
static int byte_class(unsigned char b)
{
    if (b >= 0x80)
        return C_HIGH;
    return ascii_class[b] - '0';
}

static int class_at(const unsigned char *p, size_t len, size_t i, size_t *n)
{
    int c = byte_class(p[i]);
    if (c != C_HIGH) {
        *n = 1;
        return c;
    }
    uint32_t cp;
    size_t k = lm_utf8_decode((const char *)p + i, len - i, &cp);
    if (k == 0) {
        *n = 1;                                     /* invalid byte: own token */
        return C_PUNCT;
    }
    *n = k;
    return high_class(cp);
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

lm_status lm_token_split(const char *text, size_t len, lm_spans *out, lm_error *err)
{
    const unsigned char *p = (const unsigned char *)text;
    out->n = 0;
    if (len > UINT32_MAX)
        return lm_error_set(err, LM_ERR_USAGE, "tokenize: text too long (%zu bytes)", len);
    size_t i = 0;
    while (i < len) {
        size_t n;
        int c = class_at(p, len, i, &n);
        if (c == C_SPACE) {
            i += n;
            continue;
        }
        size_t start = i;
        i += n;
        if (c == C_PUNCT) {
            if (lm_spans_push(out, (uint32_t)start, (uint32_t)i) != LM_OK)
                return lm_error_set(err, LM_ERR_NOMEM, "tokenize: out of memory");
            continue;
        }
        /* word: letters and digits of any script, plus numeric joins */
        while (i < len) {
            int b = byte_class(p[i]);
            if (b == C_WORD || b == C_DIGIT) {
                i++;
                continue;
            }
            if (b == C_HIGH) {
                int k = class_at(p, len, i, &n);
                if (k == C_WORD) {
                    i += n;
                    continue;
                }
                break;
            }
            if (b == C_PUNCT && i + 1 < len && is_digit(p[i - 1]) && is_digit(p[i + 1])) {
                if (p[i] == '.') {
                    i += 2;                         /* 0.05 */
                    continue;
                }
                if (p[i] == ',' && i + 3 < len && is_digit(p[i + 2]) && is_digit(p[i + 3])
                    && (i + 4 >= len || !is_digit(p[i + 4]))) {
                    i += 4;                         /* 1,000 */
                    continue;
                }
            }
            break;
        }
        if (lm_spans_push(out, (uint32_t)start, (uint32_t)i) != LM_OK)
            return lm_error_set(err, LM_ERR_NOMEM, "tokenize: out of memory");
    }
    return LM_OK;
}
