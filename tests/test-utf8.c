/*
 * Tests for util/lm_utf8: strict decoding (the Unicode table 3-7 edge
 * cases), encoding round trips, sanitising, and offset conversion both one
 * at a time and through a prebuilt map.
 */
#include "lm_test.h"

#include "../util/lm_utf8.h"

#include <stdint.h>

static size_t dec(const char *s, size_t n, uint32_t *cp)
{
    return lm_utf8_decode(s, n, cp);
}

static void test_decode_valid(void)
{
    uint32_t cp;
    LM_CHECK_INT(dec("A", 1, &cp), 1);
    LM_CHECK_INT(cp, 'A');
    LM_CHECK_INT(dec("\xC2\xB5", 2, &cp), 2);           /* µ */
    LM_CHECK_INT(cp, 0xB5);
    LM_CHECK_INT(dec("\xCE\xB1", 2, &cp), 2);           /* α */
    LM_CHECK_INT(cp, 0x3B1);
    LM_CHECK_INT(dec("\xE2\x80\x93", 3, &cp), 3);       /* en dash */
    LM_CHECK_INT(cp, 0x2013);
    LM_CHECK_INT(dec("\xED\x9F\xBF", 3, &cp), 3);       /* U+D7FF, last before surrogates */
    LM_CHECK_INT(cp, 0xD7FF);
    LM_CHECK_INT(dec("\xEE\x80\x80", 3, &cp), 3);       /* U+E000 */
    LM_CHECK_INT(cp, 0xE000);
    LM_CHECK_INT(dec("\xF0\x9F\x98\x80", 4, &cp), 4);   /* U+1F600 */
    LM_CHECK_INT(cp, 0x1F600);
    LM_CHECK_INT(dec("\xF4\x8F\xBF\xBF", 4, &cp), 4);   /* U+10FFFF */
    LM_CHECK_INT(cp, 0x10FFFF);
    LM_CHECK_INT(dec("\xE0\xA0\x80", 3, &cp), 3);       /* U+0800, smallest 3-byte */
    LM_CHECK_INT(cp, 0x800);
}

static void test_decode_invalid(void)
{
    uint32_t cp;
    LM_CHECK_INT(dec("", 0, &cp), 0);
    LM_CHECK_INT(dec("\x80", 1, &cp), 0);               /* lone continuation */
    LM_CHECK_INT(cp, LM_UTF8_REPLACEMENT);
    LM_CHECK_INT(dec("\xC0\xAF", 2, &cp), 0);           /* overlong '/' */
    LM_CHECK_INT(dec("\xC1\xBF", 2, &cp), 0);
    LM_CHECK_INT(dec("\xE0\x80\xAF", 3, &cp), 0);       /* overlong 3-byte */
    LM_CHECK_INT(dec("\xE0\x9F\xBF", 3, &cp), 0);
    LM_CHECK_INT(dec("\xF0\x80\x80\xAF", 4, &cp), 0);   /* overlong 4-byte */
    LM_CHECK_INT(dec("\xF0\x8F\xBF\xBF", 4, &cp), 0);
    LM_CHECK_INT(dec("\xED\xA0\x80", 3, &cp), 0);       /* U+D800 surrogate */
    LM_CHECK_INT(dec("\xED\xBF\xBF", 3, &cp), 0);       /* U+DFFF */
    LM_CHECK_INT(dec("\xF4\x90\x80\x80", 4, &cp), 0);   /* U+110000 */
    LM_CHECK_INT(dec("\xF5\x80\x80\x80", 4, &cp), 0);
    LM_CHECK_INT(dec("\xFF", 1, &cp), 0);
    LM_CHECK_INT(dec("\xCE", 1, &cp), 0);               /* truncated */
    LM_CHECK_INT(dec("\xE2\x80", 2, &cp), 0);
    LM_CHECK_INT(dec("\xE2\x80\x41", 3, &cp), 0);       /* bad continuation */
    LM_CHECK_INT(dec("\xF0\x9F\x98", 3, &cp), 0);
}

static void test_encode_roundtrip(void)
{
    static const uint32_t cps[] = {0, 0x41, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000,
                                   0xFFFD, 0xFFFF, 0x10000, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char b[4];
        uint32_t back;
        size_t n = lm_utf8_encode(cps[i], b);
        LM_CHECK(n >= 1 && n <= 4);
        LM_CHECK_INT(lm_utf8_decode(b, n, &back), n);
        LM_CHECK_INT(back, cps[i]);
    }
    char b[4];
    LM_CHECK_INT(lm_utf8_encode(0xD800, b), 0);
    LM_CHECK_INT(lm_utf8_encode(0x110000, b), 0);
}

static void test_validate(void)
{
    const char ok[] = "TNF-\xCE\xB1 \xE2\x89\xA5 5 \xC2\xB5M";
    LM_CHECK(lm_utf8_valid(ok, sizeof ok - 1));
    LM_CHECK_INT(lm_utf8_find_invalid(ok, sizeof ok - 1), sizeof ok - 1);
    const char bad[] = "abc\xED\xA0\x80xyz";
    LM_CHECK(!lm_utf8_valid(bad, sizeof bad - 1));
    LM_CHECK_INT(lm_utf8_find_invalid(bad, sizeof bad - 1), 3);
    LM_CHECK(!lm_utf8_valid("ab\xCE", 3));
    LM_CHECK(lm_utf8_valid("", 0));
}

static void test_sanitize(void)
{
    lm_buf b;
    lm_error err;
    size_t nrep = 99;
    lm_buf_init(&b);
    const char in[] = "a\xFF" "b\xCE\xB1\xC0\xAF" "c\xE2\x80";
    LM_CHECK_INT(lm_utf8_sanitize(in, sizeof in - 1, &b, &nrep, &err), LM_OK);
    LM_CHECK_STR(lm_buf_cstr(&b), "a\xEF\xBF\xBD" "b\xCE\xB1\xEF\xBF\xBD\xEF\xBF\xBD"
                                  "c\xEF\xBF\xBD\xEF\xBF\xBD");
    LM_CHECK_INT(nrep, 5);
    LM_CHECK(lm_utf8_valid(b.data, b.len));
    /* code-point counts agree before and after sanitising */
    LM_CHECK_INT(lm_utf8_count(in, sizeof in - 1), lm_utf8_count(b.data, b.len));
    lm_buf_reset(&b);
    LM_CHECK_INT(lm_utf8_sanitize("plain", 5, &b, &nrep, &err), LM_OK);
    LM_CHECK_STR(lm_buf_cstr(&b), "plain");
    LM_CHECK_INT(nrep, 0);
    lm_buf_reset(&b);
    LM_CHECK_INT(lm_utf8_sanitize("", 0, &b, NULL, &err), LM_OK);
    LM_CHECK_STR(lm_buf_cstr(&b), "");
    lm_buf_free(&b);
}

static void test_offsets(void)
{
    /* "aαb€c😀d": 1+2+1+3+1+4+1 = 13 bytes, 7 code points */
    const char s[] = "a\xCE\xB1" "b\xE2\x82\xAC" "c\xF0\x9F\x98\x80" "d";
    size_t n = sizeof s - 1;
    static const size_t cp_start[] = {0, 1, 3, 4, 7, 8, 12, 13};
    LM_CHECK_INT(n, 13);
    LM_CHECK_INT(lm_utf8_count(s, n), 7);
    for (size_t k = 0; k <= 7; k++) {
        LM_CHECK_INT(lm_utf8_cp_to_byte(s, n, k), cp_start[k]);
        LM_CHECK_INT(lm_utf8_byte_to_cp(s, n, cp_start[k]), k);
    }
    LM_CHECK_INT(lm_utf8_cp_to_byte(s, n, 8), SIZE_MAX);
    LM_CHECK_INT(lm_utf8_byte_to_cp(s, n, 2), 2);   /* mid-character: counts starts before */
    LM_CHECK_INT(lm_utf8_byte_to_cp(s, n, 100), 7);

    lm_utf8_map m;
    lm_error err;
    lm_utf8_map_init(&m);
    LM_CHECK_INT(lm_utf8_map_build(&m, s, n, &err), LM_OK);
    LM_CHECK_INT(m.n_cps, 7);
    LM_CHECK(m.cp_of_byte != NULL);
    for (size_t k = 0; k <= 7; k++) {
        LM_CHECK_INT(lm_utf8_map_to_byte(&m, k), cp_start[k]);
        LM_CHECK_INT(lm_utf8_map_to_cp(&m, cp_start[k]), k);
    }
    LM_CHECK_INT(lm_utf8_map_to_cp(&m, 2), 1);       /* inside α -> α */
    LM_CHECK_INT(lm_utf8_map_to_cp(&m, 10), 5);      /* inside 😀 */
    LM_CHECK_INT(lm_utf8_map_to_byte(&m, 8), SIZE_MAX);
    for (size_t b = 0; b <= n; b++)                   /* map agrees with the slow path */
        LM_CHECK_INT(lm_utf8_map_to_cp(&m, b),
                     lm_utf8_byte_to_cp(s, n, b) - ((b < n && ((unsigned char)s[b] & 0xC0) == 0x80) ? 1 : 0));

    /* ASCII: identity without tables */
    LM_CHECK_INT(lm_utf8_map_build(&m, "hello", 5, &err), LM_OK);
    LM_CHECK(m.cp_of_byte == NULL);
    LM_CHECK_INT(lm_utf8_map_to_cp(&m, 3), 3);
    LM_CHECK_INT(lm_utf8_map_to_byte(&m, 5), 5);
    LM_CHECK_INT(lm_utf8_map_to_byte(&m, 6), SIZE_MAX);

    /* invalid bytes count as one code point each */
    LM_CHECK_INT(lm_utf8_map_build(&m, "a\xFF\xFE" "b", 4, &err), LM_OK);
    LM_CHECK_INT(m.n_cps, 4);
    LM_CHECK_INT(lm_utf8_map_to_byte(&m, 3), 3);
    lm_utf8_map_free(&m);
    lm_utf8_map_free(&m);   /* double free of an emptied map is harmless */
}

int main(void)
{
    LM_RUN(test_decode_valid);
    LM_RUN(test_decode_invalid);
    LM_RUN(test_encode_roundtrip);
    LM_RUN(test_validate);
    LM_RUN(test_sanitize);
    LM_RUN(test_offsets);
    return LM_DONE();
}
