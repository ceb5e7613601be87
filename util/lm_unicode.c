/*
 * Unicode property lookups over the generated tables (see lm_unicode.h).
 *
 * Categories: ~4,000 runs of equal category cover the code space; a
 * binary search finds the run, Latin-1 has a direct table.  Lower-case and
 * decomposition tables are sorted by code point.  Hangul syllables
 * decompose arithmetically (Unicode 3.12), which keeps 11,172 entries out
 * of the tables.
 */
#include "lm_unicode.h"

extern const size_t lm_uc_cat_runs_n;
extern const uint32_t lm_uc_cat_runs[];
extern const uint8_t lm_uc_cat_latin1[256];
extern const size_t lm_uc_lower1_n;
extern const uint32_t lm_uc_lower1[][2];
extern const size_t lm_uc_lower_multi_n;
extern const uint32_t lm_uc_lower_multi[][5];
extern const size_t lm_uc_decomp_n;
extern const uint32_t lm_uc_decomp[][2];
extern const uint32_t lm_uc_decomp_seq[];
extern const size_t lm_uc_ccc_runs_n;
extern const uint32_t lm_uc_ccc_runs[][3];

#define HANGUL_S 0xAC00u
#define HANGUL_L 0x1100u
#define HANGUL_V 0x1161u
#define HANGUL_T 0x11A7u
#define HANGUL_V_COUNT 21u
#define HANGUL_T_COUNT 28u
#define HANGUL_COUNT 11172u

lm_uc_cat lm_uc_category(uint32_t cp)
{
    if (cp < 256)
        return (lm_uc_cat)lm_uc_cat_latin1[cp];
    if (cp >= 0x110000)
        return LM_UC_CN;
    size_t lo = 0, hi = lm_uc_cat_runs_n;   /* last run starting <= cp */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((lm_uc_cat_runs[mid] >> 5) <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return (lm_uc_cat)(lm_uc_cat_runs[lo] & 31);
}

int lm_uc_is_white_space(uint32_t cp)
{
    /* Unicode's PropList.txt White_Space: a fixed, short list. */
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Index of cp in a table of n rows whose first column is sorted, or n. */
static size_t find_row(const uint32_t *table, size_t stride, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t v = table[mid * stride];
        if (v == cp)
            return mid;
        if (v < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n;
}

size_t lm_uc_to_lower(uint32_t cp, uint32_t out[3])
{
    if (cp < 0x80) {
        out[0] = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        return 1;
    }
    size_t i = find_row(&lm_uc_lower1[0][0], 2, lm_uc_lower1_n, cp);
    if (i < lm_uc_lower1_n) {
        out[0] = lm_uc_lower1[i][1];
        return 1;
    }
    i = find_row(&lm_uc_lower_multi[0][0], 5, lm_uc_lower_multi_n, cp);
    if (i < lm_uc_lower_multi_n) {
        size_t n = lm_uc_lower_multi[i][1];
        for (size_t k = 0; k < n; k++)
            out[k] = lm_uc_lower_multi[i][2 + k];
        return n;
    }
    out[0] = cp;
    return 1;
}

size_t lm_uc_decompose(uint32_t cp, uint32_t out[LM_UC_DECOMP_MAX])
{
    if (cp < 0xC0) {   /* nothing below U+00C0 decomposes */
        out[0] = cp;
        return 1;
    }
    if (cp >= HANGUL_S && cp < HANGUL_S + HANGUL_COUNT) {
        uint32_t s = cp - HANGUL_S;
        out[0] = HANGUL_L + s / (HANGUL_V_COUNT * HANGUL_T_COUNT);
        out[1] = HANGUL_V + (s % (HANGUL_V_COUNT * HANGUL_T_COUNT)) / HANGUL_T_COUNT;
        if (s % HANGUL_T_COUNT == 0)
            return 2;
        out[2] = HANGUL_T + s % HANGUL_T_COUNT;
        return 3;
    }
    size_t i = find_row(&lm_uc_decomp[0][0], 2, lm_uc_decomp_n, cp);
    if (i == lm_uc_decomp_n) {
        out[0] = cp;
        return 1;
    }
    uint32_t off = lm_uc_decomp[i][1] >> 3, n = lm_uc_decomp[i][1] & 7;
    for (uint32_t k = 0; k < n; k++)
        out[k] = lm_uc_decomp_seq[off + k];
    return n;
}

unsigned lm_uc_ccc(uint32_t cp)
{
    if (cp < 0x300)
        return 0;
    size_t lo = 0, hi = lm_uc_ccc_runs_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < lm_uc_ccc_runs[mid][0])
            hi = mid;
        else if (cp > lm_uc_ccc_runs[mid][1])
            lo = mid + 1;
        else
            return lm_uc_ccc_runs[mid][2];
    }
    return 0;
}

static void swap_u32(uint32_t *a, size_t j)
{
    uint32_t t = a[j];
    a[j] = a[j - 1];
    a[j - 1] = t;
}

void lm_uc_canonical_order(uint32_t *cps, uint32_t *aux1, uint32_t *aux2, size_t n)
{
    /* Insertion sort inside each run of non-starters: runs are short
     * (a few marks), and insertion sort is stable. */
    for (size_t i = 1; i < n; i++) {
        unsigned c = lm_uc_ccc(cps[i]);
        if (c == 0)
            continue;
        size_t j = i;
        while (j > 0) {
            unsigned p = lm_uc_ccc(cps[j - 1]);
            if (p == 0 || p <= c)
                break;
            swap_u32(cps, j);
            if (aux1)
                swap_u32(aux1, j);
            if (aux2)
                swap_u32(aux2, j);
            j--;
        }
    }
}
