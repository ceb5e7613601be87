/*
 * Tests for util/lm_unicode: categories at the edges of the tables
 * (ASCII, Latin-1, astral planes, unassigned and out-of-range values),
 * White_Space, full lower-casing (U+0130 maps to two code points), the
 * canonical decompositions that accent stripping relies on (recursive
 * ones, singletons such as OHM SIGN, arithmetic Hangul) and canonical
 * ordering of combining marks.  Expected values are from Python 3.11's
 * unicodedata (Unicode 14.0.0), the tables' source.
 */
#include "../util/lm_unicode.h"
#include "lm_test.h"

static void test_categories(void)
{
    LM_CHECK_STR(lm_uc_data_version, "14.0.0");
    LM_CHECK_INT(lm_uc_category('A'), LM_UC_LU);
    LM_CHECK_INT(lm_uc_category('z'), LM_UC_LL);
    LM_CHECK_INT(lm_uc_category('7'), LM_UC_ND);
    LM_CHECK_INT(lm_uc_category('-'), LM_UC_PD);
    LM_CHECK_INT(lm_uc_category('$'), LM_UC_SC);
    LM_CHECK_INT(lm_uc_category('^'), LM_UC_SK);
    LM_CHECK_INT(lm_uc_category(0x07), LM_UC_CC);
    LM_CHECK_INT(lm_uc_category(0xAD), LM_UC_CF);      /* soft hyphen */
    LM_CHECK_INT(lm_uc_category(0xB5), LM_UC_LL);      /* micro sign */
    LM_CHECK_INT(lm_uc_category(0x3B1), LM_UC_LL);     /* alpha */
    LM_CHECK_INT(lm_uc_category(0x394), LM_UC_LU);     /* Delta */
    LM_CHECK_INT(lm_uc_category(0x301), LM_UC_MN);     /* combining acute */
    LM_CHECK_INT(lm_uc_category(0x2013), LM_UC_PD);    /* en dash */
    LM_CHECK_INT(lm_uc_category(0x200B), LM_UC_CF);    /* zero width space */
    LM_CHECK_INT(lm_uc_category(0x4E2D), LM_UC_LO);    /* CJK */
    LM_CHECK_INT(lm_uc_category(0x1F48A), LM_UC_SO);   /* pill emoji */
    LM_CHECK_INT(lm_uc_category(0xE000), LM_UC_CO);
    LM_CHECK_INT(lm_uc_category(0xD800), LM_UC_CS);
    LM_CHECK_INT(lm_uc_category(0x378), LM_UC_CN);     /* unassigned */
    LM_CHECK_INT(lm_uc_category(0x10FFFF), LM_UC_CN);
    LM_CHECK_INT(lm_uc_category(0x110000), LM_UC_CN);
    LM_CHECK_INT(lm_uc_category(0xFFFFFFFFu), LM_UC_CN);
    LM_CHECK(LM_UC_IS_PUNCT(lm_uc_category(0xFF08)));   /* fullwidth ( */
    LM_CHECK(LM_UC_IS_NUMBER(lm_uc_category(0x2163)));  /* roman numeral four: Nl */
}

static void test_white_space(void)
{
    LM_CHECK(lm_uc_is_white_space(' '));
    LM_CHECK(lm_uc_is_white_space('\t'));
    LM_CHECK(lm_uc_is_white_space(0x0B));
    LM_CHECK(lm_uc_is_white_space(0xA0));
    LM_CHECK(lm_uc_is_white_space(0x2028));
    LM_CHECK(lm_uc_is_white_space(0x3000));
    LM_CHECK(!lm_uc_is_white_space(0x200B));
    LM_CHECK(!lm_uc_is_white_space(0x1C));
    LM_CHECK(!lm_uc_is_white_space('a'));
}

static void test_lower(void)
{
    uint32_t o[3];
    LM_CHECK(lm_uc_to_lower('Q', o) == 1 && o[0] == 'q');
    LM_CHECK(lm_uc_to_lower('5', o) == 1 && o[0] == '5');
    LM_CHECK(lm_uc_to_lower(0xC9, o) == 1 && o[0] == 0xE9);      /* É */
    LM_CHECK(lm_uc_to_lower(0x3A3, o) == 1 && o[0] == 0x3C3);    /* Σ -> σ, no context */
    LM_CHECK(lm_uc_to_lower(0x130, o) == 2 && o[0] == 'i' && o[1] == 0x307);
    LM_CHECK(lm_uc_to_lower(0x1C5, o) == 1 && o[0] == 0x1C6);    /* Dž titlecase */
    LM_CHECK(lm_uc_to_lower(0x2126, o) == 1 && o[0] == 0x3C9);   /* ohm sign */
    LM_CHECK(lm_uc_to_lower(0xFF21, o) == 1 && o[0] == 0xFF41);  /* fullwidth A */
    LM_CHECK(lm_uc_to_lower(0x10400, o) == 1 && o[0] == 0x10428); /* Deseret */
    LM_CHECK(lm_uc_to_lower(0xDF, o) == 1 && o[0] == 0xDF);      /* ß stays */
}

static void test_decompose(void)
{
    uint32_t o[LM_UC_DECOMP_MAX];
    LM_CHECK(lm_uc_decompose('e', o) == 1 && o[0] == 'e');
    LM_CHECK(lm_uc_decompose(0xE9, o) == 2 && o[0] == 'e' && o[1] == 0x301);
    /* U+1E69 s with dot below and dot above: recursive */
    LM_CHECK(lm_uc_decompose(0x1E69, o) == 3 && o[0] == 's' && o[1] == 0x323 && o[2] == 0x307);
    LM_CHECK(lm_uc_decompose(0x2126, o) == 1 && o[0] == 0x3A9);  /* singleton */
    LM_CHECK(lm_uc_decompose(0xFB01, o) == 1 && o[0] == 0xFB01); /* ligature: compat only */
    LM_CHECK(lm_uc_decompose(0xD55C, o) == 3 && o[0] == 0x1112 && o[1] == 0x1161 && o[2] == 0x11AB);
    LM_CHECK(lm_uc_decompose(0xAC00, o) == 2 && o[0] == 0x1100 && o[1] == 0x1161);
    LM_CHECK(lm_uc_decompose(0x3AC, o) == 2 && o[0] == 0x3B1 && o[1] == 0x301); /* ά */
}

static void test_canonical_order(void)
{
    LM_CHECK_INT(lm_uc_ccc('a'), 0);
    LM_CHECK_INT(lm_uc_ccc(0x301), 230);
    LM_CHECK_INT(lm_uc_ccc(0x323), 220);
    /* a + circumflex(230) + dot below(220) + b + acute(230) + dot below(220) */
    uint32_t s[6] = {'a', 0x302, 0x323, 'b', 0x301, 0x323};
    uint32_t aux[6] = {0, 1, 2, 3, 4, 5};
    lm_uc_canonical_order(s, aux, NULL, 6);
    LM_CHECK(s[0] == 'a' && s[1] == 0x323 && s[2] == 0x302);
    LM_CHECK(s[3] == 'b' && s[4] == 0x323 && s[5] == 0x301);
    LM_CHECK(aux[1] == 2 && aux[2] == 1 && aux[4] == 5 && aux[5] == 4);
    /* equal classes keep their order */
    uint32_t t[3] = {'x', 0x301, 0x300};
    lm_uc_canonical_order(t, NULL, NULL, 3);
    LM_CHECK(t[1] == 0x301 && t[2] == 0x300);
}

int main(void)
{
    LM_RUN(test_categories);
    LM_RUN(test_white_space);
    LM_RUN(test_lower);
    LM_RUN(test_decompose);
    LM_RUN(test_canonical_order);
    return LM_DONE();
}
