/*
 * Tests for the small util/ pieces every module shares: lm_vec_grow and
 * the string copies (util/lm_buf.h), lm_error_nomem, the hash map
 * (util/lm_map.h), calendar days (util/lm_date.h) and atomic file
 * replacement (util/lm_file.h).  Each checks the contract the replaced
 * copies relied on: growth keeps contents, the map survives rehashing and
 * folds key 0, dates round-trip across leap years and parse partial
 * dates to their first or last day, and an aborted or failed write
 * leaves the old file and no temporary behind.  Also the concept id
 * helpers of util/lm_doc.h: composite ids cut into parts, and the
 * "MESH:" prefix that the pairs classifier, its knowledge table and the
 * evaluation's MeSH-edition rule all drop the same way.
 */
#include "../util/lm_buf.h"
#include "../util/lm_date.h"
#include "../util/lm_doc.h"
#include "../util/lm_file.h"
#include "../util/lm_map.h"
#include "lm_test.h"

#include <errno.h>

static void test_vec_grow(void)
{
    int *v = NULL;
    size_t cap = 0;
    for (int i = 0; i < 1000; i++) {
        LM_CHECK(lm_vec_grow((void **)&v, &cap, (size_t)i + 1, sizeof *v) == LM_OK);
        v[i] = i * 3;
    }
    LM_CHECK(cap >= 1000 && (cap & (cap - 1)) == 0);
    int ok = 1;
    for (int i = 0; i < 1000; i++)
        ok &= v[i] == i * 3;
    LM_CHECK(ok);
    /* an impossible size fails and leaves the array alone */
    int *before = v;
    size_t cap_before = cap;
    LM_CHECK(lm_vec_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof *v) == LM_ERR_NOMEM);
    LM_CHECK(v == before && cap == cap_before);
    free(v);
}

static void test_strings(void)
{
    char *s = lm_strndup("abcdef", 3);
    LM_CHECK_STR(s, "abc");
    free(s);
    s = lm_strndup(NULL, 0);
    LM_CHECK_STR(s, "");
    free(s);
    int failed = 0;
    LM_CHECK(lm_strdup_opt(NULL, &failed) == NULL && !failed);
    s = lm_strdup_opt("x", &failed);
    LM_CHECK_STR(s, "x");
    LM_CHECK(!failed);
    free(s);
    lm_error err;
    LM_CHECK(lm_error_nomem(&err, NULL) == LM_ERR_NOMEM);
    LM_CHECK_STR(err.msg, "out of memory");
    lm_error_nomem(&err, "loading the model");
    LM_CHECK_STR(err.msg, "out of memory loading the model");
}

static void test_concept_ids(void)
{
    /* the prefix goes in any case, once, and only at the start */
    static const char *const bare[][2] = {
        {"MESH:D008012", "D008012"}, {"mesh:D008012", "D008012"}, {"Mesh:D008012", "D008012"},
        {"D008012", "D008012"},      {"MESH:MESH:D1", "MESH:D1"}, {"CHEBI:MESH:D1", "CHEBI:MESH:D1"},
        {"MESH:", ""},               {"MESH", "MESH"},            {"", ""},
        {"NCBIGene:7157", "NCBIGene:7157"},
    };
    for (size_t i = 0; i < sizeof bare / sizeof *bare; i++)
        LM_CHECK_STR(lm_id_bare_mesh(bare[i][0]), bare[i][1]);
    LM_CHECK(lm_id_same_concept("MESH:D008012", "D008012"));
    LM_CHECK(lm_id_same_concept("D008012", "mesh:D008012"));
    LM_CHECK(lm_id_same_concept("MESH:D008012", "MESH:D008012"));
    LM_CHECK(!lm_id_same_concept("MESH:D008012", "D008013"));
    LM_CHECK(!lm_id_same_concept("MESH:d008012", "D008012"));   /* the id itself keeps its case */
    LM_CHECK(!lm_id_same_concept("CHEBI:D1", "D1"));
    /* composite ids: parts without their blanks, every separator */
    const char *p = "D1| MESH:D2 +D3,,D4;D5", *a, *b;
    const char *want[] = {"D1", "MESH:D2", "D3", "", "D4", "D5"};
    size_t n = 0;
    while (*p && n < 6) {
        p = lm_id_next_part(p, &a, &b);
        LM_CHECK((size_t)(b - a) == strlen(want[n]) && strncmp(a, want[n], strlen(want[n])) == 0);
        n++;
    }
    LM_CHECK(n == 6 && *p == '\0');
}

static void test_map(void)
{
    lm_map m;
    lm_map_init(&m);
    LM_CHECK(lm_map_get(&m, 5) == NULL);
    /* dense keys (PMIDs) and scattered ones (hashes), through rehashes */
    int ok = 1;
    for (uint64_t k = 1; k <= 5000; k++)
        ok &= lm_map_put(&m, k, k * 2) == LM_OK &&
              lm_map_put(&m, k * 0x9e3779b97f4a7c15ULL, k) == LM_OK;
    LM_CHECK(ok);
    LM_CHECK_INT(m.n, 10000);
    LM_CHECK(m.cap >= 2 * m.n);
    for (uint64_t k = 1; k <= 5000; k++) {
        const uint64_t *v = lm_map_get(&m, k), *w = lm_map_get(&m, k * 0x9e3779b97f4a7c15ULL);
        ok &= v && *v == k * 2 && w && *w == k;
    }
    LM_CHECK(ok);
    LM_CHECK(lm_map_get(&m, 5001) == NULL);
    int added = -1;
    uint64_t *v = lm_map_upsert(&m, 7, &added);
    LM_CHECK(v && *v == 14 && added == 0);
    v = lm_map_upsert(&m, 123456789, &added);
    LM_CHECK(v && *v == 0 && added == 1);
    /* 0 is the empty marker: refused, and lm_map_key folds it onto 1 */
    LM_CHECK(lm_map_put(&m, 0, 1) == LM_ERR_USAGE);
    LM_CHECK(lm_map_key(0) == 1 && lm_map_key(9) == 9);
    /* iteration sees every pair once */
    size_t seen = 0;
    for (size_t i = 0; i < m.cap; i++)
        seen += m.keys[i] != 0;
    LM_CHECK_INT(seen, m.n);
    lm_map_clear(&m);
    LM_CHECK(m.n == 0 && lm_map_get(&m, 7) == NULL);
    lm_map_free(&m);
}

static void test_dates(void)
{
    char s[LM_DATE_TEXT];
    int64_t d;
    lm_error err;
    LM_CHECK(lm_date_parse("2024/02/28", 0, &d, &err) == LM_OK);
    lm_date_format(d + 1, '/', s);
    LM_CHECK_STR(s, "2024/02/29");   /* leap year */
    lm_date_format(d + 2, '-', s);
    LM_CHECK_STR(s, "2024-03-01");
    LM_CHECK(lm_date_parse("2023-12-31", 0, &d, &err) == LM_OK);
    lm_date_format(d + 1, '/', s);
    LM_CHECK_STR(s, "2024/01/01");
    /* partial dates: the first or the last day */
    LM_CHECK(lm_date_parse("2100/02", 1, &d, &err) == LM_OK);
    lm_date_format(d, '/', s);
    LM_CHECK_STR(s, "2100/02/28");   /* not a leap year */
    LM_CHECK(lm_date_parse("2000", 1, &d, &err) == LM_OK);
    lm_date_format(d, '/', s);
    LM_CHECK_STR(s, "2000/12/31");
    LM_CHECK(lm_date_parse("2000", 0, &d, &err) == LM_OK);
    lm_date_format(d, '/', s);
    LM_CHECK_STR(s, "2000/01/01");
    /* round trip over four centuries */
    int ok = 1;
    for (int64_t n = lm_date_days(1900, 1, 1); n < lm_date_days(2300, 1, 1); n += 37) {
        int y, m, dd;
        lm_date_from_days(n, &y, &m, &dd);
        ok &= lm_date_days(y, m, dd) == n;
    }
    LM_CHECK(ok);
    LM_CHECK(lm_date_parse("2024/02/30", 0, &d, &err) == LM_ERR_USAGE);
    LM_CHECK(lm_date_parse("24/01/01", 0, &d, &err) == LM_ERR_USAGE);
    LM_CHECK(lm_date_parse("2024/13", 0, &d, &err) == LM_ERR_USAGE);
    LM_CHECK(lm_date_parse("2024/01/01x", 0, &d, &err) == LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "expected YYYY") != NULL);
    /* US Eastern is never ahead of UTC */
    LM_CHECK(lm_date_today_at(-5L * 3600) <= lm_date_today_at(0));
}

/* Names in dir other than "." and "..". */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_atomic_files(void)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/files", lm_test_tmpdir());
    LM_CHECK(mkdir(dir, 0700) == 0);
    snprintf(path, sizeof path, "%s/model.bin", dir);
    lm_error err;
    LM_CHECK(lm_file_write_atomic(path, "first", 5, &err) == LM_OK);
    LM_CHECK_STR(slurp(path), "first");
    LM_CHECK(lm_file_write_atomic(path, "second", 6, &err) == LM_OK);
    LM_CHECK_STR(slurp(path), "second");
    LM_CHECK_INT(entries(dir), 1);   /* no temporary left */

    /* piecewise: the target keeps its old content until commit */
    lm_file_atomic a;
    LM_CHECK(lm_file_atomic_begin(&a, path, &err) == LM_OK);
    fputs("third", a.f);
    fflush(a.f);
    LM_CHECK_STR(slurp(path), "second");
    LM_CHECK_INT(entries(dir), 2);
    LM_CHECK(lm_file_atomic_commit(&a, &err) == LM_OK);
    LM_CHECK_STR(slurp(path), "third");
    LM_CHECK_INT(entries(dir), 1);

    /* an abort leaves the old file and nothing else */
    LM_CHECK(lm_file_atomic_begin(&a, path, &err) == LM_OK);
    fputs("never", a.f);
    lm_file_atomic_abort(&a);
    LM_CHECK_STR(slurp(path), "third");
    LM_CHECK_INT(entries(dir), 1);

    /* a directory that does not exist: an I/O error naming the file */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/missing/x.bin", dir);
    LM_CHECK(lm_file_write_atomic(bad, "x", 1, &err) == LM_ERR_IO);
    LM_CHECK(strstr(err.msg, "missing/x.bin") != NULL);

    /* publishing a finished part file */
    char part[700];
    snprintf(part, sizeof part, "%s/.download.part", dir);
    FILE *f = fopen(part, "wb");
    LM_CHECK(f != NULL);
    if (f) {
        fputs("payload", f);
        fclose(f);
    }
    snprintf(bad, sizeof bad, "%s/download", dir);
    LM_CHECK(lm_file_publish(part, bad, &err) == LM_OK);
    LM_CHECK_STR(slurp(bad), "payload");
    LM_CHECK(access(part, F_OK) != 0 && errno == ENOENT);
    LM_CHECK(lm_file_publish(part, bad, &err) == LM_ERR_IO);
}

int main(void)
{
    atexit(lm_test_cleanup);
    LM_RUN(test_vec_grow);
    LM_RUN(test_strings);
    LM_RUN(test_concept_ids);
    LM_RUN(test_map);
    LM_RUN(test_dates);
    LM_RUN(test_atomic_files);
    return LM_DONE();
}
