/*
 * Strict UTF-8 decoding (RFC 3629, Unicode table 3-7) and offset maps.
 *
 * The decoder checks the second byte against the narrowed ranges that the
 * Unicode standard gives for E0, ED, F0 and F4 leads; that single rule
 * rejects overlongs, surrogates and code points above U+10FFFF without any
 * after-the-fact value checks.  Scanning loops take an ASCII fast path since
 * nearly all biomedical text is ASCII.
 */
#include "lm_utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t lm_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    *cp = LM_UTF8_REPLACEMENT;
    if (len == 0)
        return 0;
    unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;          /* below: overlong */
        else if (c == 0xED)
            hi = 0x9F;          /* above: surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;          /* below: overlong */
        else if (c == 0xF4)
            hi = 0x8F;          /* above: > U+10FFFF */
    } else {
        return 0;               /* continuation byte, C0/C1, F5..FF */
    }
    if (len < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    v = (v << 6) | (p[1] & 0x3F);
    for (size_t i = 2; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    *cp = v;
    return n;
}

size_t lm_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

/* Length of the character at s[i] for counting purposes: a valid sequence
 * counts as its length, an invalid byte as one. */
static size_t step_at(const char *s, size_t len, size_t i)
{
    if ((unsigned char)s[i] < 0x80)
        return 1;
    uint32_t cp;
    size_t n = lm_utf8_decode(s + i, len - i, &cp);
    return n ? n : 1;
}

size_t lm_utf8_find_invalid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = lm_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

int lm_utf8_valid(const char *s, size_t len)
{
    return lm_utf8_find_invalid(s, len) == len;
}

lm_status lm_utf8_sanitize(const char *s, size_t len, lm_buf *out,
                           size_t *n_replaced, lm_error *err)
{
    static const char repl[3] = {'\xEF', '\xBF', '\xBD'};
    size_t replaced = 0;
    size_t i = 0;
    if (n_replaced)
        *n_replaced = 0;
    while (i < len) {
        size_t bad = i + lm_utf8_find_invalid(s + i, len - i);
        /* copy the valid run in one go, then one U+FFFD per bad byte */
        if (lm_buf_append(out, s + i, bad - i) != LM_OK)
            return lm_error_set(err, LM_ERR_NOMEM, "utf8 sanitize: out of memory");
        if (bad == len)
            break;
        if (lm_buf_append(out, repl, sizeof repl) != LM_OK)
            return lm_error_set(err, LM_ERR_NOMEM, "utf8 sanitize: out of memory");
        replaced++;
        i = bad + 1;
    }
    if (!out->data && lm_buf_append(out, "", 0) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "utf8 sanitize: out of memory");
    if (n_replaced)
        *n_replaced = replaced;
    return LM_OK;
}

size_t lm_utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; n++)
        i += step_at(s, len, i);
    return n;
}

size_t lm_utf8_byte_to_cp(const char *s, size_t len, size_t byte)
{
    if (byte > len)
        byte = len;
    size_t n = 0;
    for (size_t i = 0; i < byte; n++)
        i += step_at(s, len, i);
    return n;
}

size_t lm_utf8_cp_to_byte(const char *s, size_t len, size_t cp)
{
    size_t i = 0;
    for (size_t n = 0; n < cp; n++) {
        if (i >= len)
            return SIZE_MAX;
        i += step_at(s, len, i);
    }
    return i;
}

void lm_utf8_map_init(lm_utf8_map *m)
{
    memset(m, 0, sizeof *m);
}

void lm_utf8_map_free(lm_utf8_map *m)
{
    free(m->cp_of_byte);
    free(m->byte_of_cp);
    lm_utf8_map_init(m);
}

lm_status lm_utf8_map_build(lm_utf8_map *m, const char *s, size_t len, lm_error *err)
{
    lm_utf8_map_free(m);
    if (len >= UINT32_MAX)
        return lm_error_set(err, LM_ERR_USAGE, "utf8 map: text too long (%zu bytes)", len);
    size_t i = 0;
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    m->n_bytes = len;
    if (i == len) {
        m->n_cps = len;
        return LM_OK;
    }
    size_t ncp = lm_utf8_count(s, len);
    m->cp_of_byte = malloc((len + 1) * sizeof *m->cp_of_byte);
    m->byte_of_cp = malloc((ncp + 1) * sizeof *m->byte_of_cp);
    if (!m->cp_of_byte || !m->byte_of_cp) {
        lm_utf8_map_free(m);
        return lm_error_set(err, LM_ERR_NOMEM, "utf8 map: out of memory");
    }
    size_t n = 0;
    for (i = 0; i < len; n++) {
        size_t step = step_at(s, len, i);
        m->byte_of_cp[n] = (uint32_t)i;
        for (size_t k = 0; k < step; k++)
            m->cp_of_byte[i + k] = (uint32_t)n;
        i += step;
    }
    m->cp_of_byte[len] = (uint32_t)n;
    m->byte_of_cp[n] = (uint32_t)len;
    m->n_bytes = len;
    m->n_cps = n;
    return LM_OK;
}

size_t lm_utf8_map_to_cp(const lm_utf8_map *m, size_t byte)
{
    if (byte > m->n_bytes)
        byte = m->n_bytes;
    return m->cp_of_byte ? m->cp_of_byte[byte] : byte;
}

size_t lm_utf8_map_to_byte(const lm_utf8_map *m, size_t cp)
{
    if (cp > m->n_cps)
        return SIZE_MAX;
    return m->byte_of_cp ? m->byte_of_cp[cp] : cp;
}
