/* Tests for util/lm_rows: CSV quoting, TSV escaping, JSONL, cell counts,
 * and for lm_buf / lm_error, which every module uses. */
#include "../util/lm_buf.h"
#include "../util/lm_rows.h"
#include "lm_test.h"

#include <math.h>

static const char *const cols[] = {"id", "text", "score"};

static char *render(lm_rows_format fmt, int bom)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    lm_rows r;
    lm_error err;
    lm_rows_init(&r, f, fmt, cols, 3, bom, &err);
    lm_rows_int(&r, 1, &err);
    lm_rows_text(&r, "plain", &err);
    lm_rows_real(&r, 0.5, &err);
    lm_rows_end(&r, &err);
    lm_rows_int(&r, 2, &err);
    lm_rows_text(&r, "a,\"b\"\nc\td\\ é", &err);
    lm_rows_null(&r, &err);
    lm_rows_end(&r, &err);
    fclose(f);
    return mem;
}

static void test_csv_quoting(void)
{
    char *s = render(LM_ROWS_CSV, 0);
    LM_CHECK_STR(s, "id,text,score\r\n1,plain,0.5\r\n2,\"a,\"\"b\"\"\nc\td\\ é\",\r\n");
    free(s);
    s = render(LM_ROWS_CSV, 1);
    LM_CHECK(memcmp(s, "\xEF\xBB\xBFid,", 6) == 0);
    free(s);
}

/* Under --excel a text cell that Excel would run as a formula starts with
 * an apostrophe; plain CSV keeps the text as stored; numbers are never
 * touched. */
static void test_csv_formula_injection(void)
{
    static const char *const cells[] = {"=HYPERLINK(\"http://x\")", "+1", "-2 mg", "@SUM(A1)",
                                        "\tx", "\rx", "a=b"};
    for (int excel = 0; excel < 2; excel++) {
        char *mem = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&mem, &len);
        lm_rows r;
        lm_error err;
        static const char *const one[] = {"v"};
        lm_rows_init(&r, f, LM_ROWS_CSV, one, 1, excel, &err);
        for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
            lm_rows_text(&r, cells[i], &err);
            lm_rows_end(&r, &err);
        }
        lm_rows_real(&r, -0.5, &err);
        lm_rows_end(&r, &err);
        fclose(f);
        if (excel)
            LM_CHECK_STR(mem, "\xEF\xBB\xBFv\r\n\"'=HYPERLINK(\"\"http://x\"\")\"\r\n'+1\r\n"
                              "'-2 mg\r\n'@SUM(A1)\r\n'\tx\r\n\"'\rx\"\r\na=b\r\n-0.5\r\n");
        else
            LM_CHECK_STR(mem, "v\r\n\"=HYPERLINK(\"\"http://x\"\")\"\r\n+1\r\n-2 mg\r\n"
                              "@SUM(A1)\r\n\tx\r\n\"\rx\"\r\na=b\r\n-0.5\r\n");
        free(mem);
    }
}

static void test_non_finite_numbers(void)
{
    for (int fmt = 0; fmt < 3; fmt++) {
        char *mem = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&mem, &len);
        lm_rows r;
        lm_error err;
        static const char *const two[] = {"a", "b"};
        lm_rows_init(&r, f, (lm_rows_format)fmt, two, 2, 0, &err);
        lm_rows_real(&r, NAN, &err);
        lm_rows_real(&r, -INFINITY, &err);
        LM_CHECK(lm_rows_end(&r, &err) == LM_OK);
        fclose(f);
        static const char *const want[] = {"a,b\r\n,\r\n", "a\tb\n\t\n",
                                           "{\"a\":null,\"b\":null}\n"};
        LM_CHECK_STR(mem, want[fmt]);
        free(mem);
    }
}

static void test_tsv_escaping(void)
{
    char *s = render(LM_ROWS_TSV, 1);
    LM_CHECK_STR(s, "id\ttext\tscore\n1\tplain\t0.5\n2\ta,\"b\"\\nc\\td\\\\ é\t\n");
    free(s);
}

static void test_jsonl(void)
{
    char *s = render(LM_ROWS_JSONL, 0);
    LM_CHECK_STR(s, "{\"id\":1,\"text\":\"plain\",\"score\":0.5}\n"
                    "{\"id\":2,\"text\":\"a,\\\"b\\\"\\nc\\td\\\\ é\",\"score\":null}\n");
    free(s);
}

static void test_cell_count_enforced(void)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    lm_rows r;
    lm_error err;
    lm_rows_init(&r, f, LM_ROWS_CSV, cols, 3, 0, &err);
    lm_rows_int(&r, 1, &err);
    LM_CHECK(lm_rows_end(&r, &err) == LM_ERR_USAGE);
    lm_rows_text(&r, "x", &err);
    lm_rows_text(&r, "y", &err);
    LM_CHECK(lm_rows_text(&r, "too many", &err) == LM_ERR_USAGE);
    lm_rows_format fmt;
    LM_CHECK(lm_rows_parse_format("tsv", &fmt, &err) == LM_OK && fmt == LM_ROWS_TSV);
    LM_CHECK(lm_rows_parse_format("xlsx", &fmt, &err) == LM_ERR_USAGE);
    fclose(f);
    free(mem);
}

static void test_write_error_reported(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        LM_SKIP("/dev/full not available");
    setvbuf(f, NULL, _IONBF, 0);
    lm_rows r;
    lm_error err;
    LM_CHECK(lm_rows_init(&r, f, LM_ROWS_CSV, cols, 3, 0, &err) == LM_ERR_IO);
    fclose(f);
}

static void test_buf_and_error(void)
{
    lm_buf b;
    lm_buf_init(&b);
    LM_CHECK_STR(lm_buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        lm_buf_append_str(&b, "ab");
    LM_CHECK_INT(b.len, 2000);
    lm_buf_reset(&b);
    lm_buf_printf(&b, "%d-%s", 42, "x");
    LM_CHECK_STR(lm_buf_cstr(&b), "42-x");
    char *taken = lm_buf_take(&b);
    LM_CHECK_STR(taken, "42-x");
    LM_CHECK(b.data == NULL && b.len == 0);
    free(taken);
    lm_buf_free(&b);

    lm_error err;
    LM_CHECK(lm_error_set(&err, LM_ERR_PARSE, "line %d", 3) == LM_ERR_PARSE);
    lm_error_wrap(&err, "file %s", "a.xml");
    LM_CHECK_STR(err.msg, "file a.xml: line 3");
    LM_CHECK(err.code == LM_ERR_PARSE);
    char longmsg[2000];
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    lm_error_set(&err, LM_ERR_IO, "%s", longmsg);
    LM_CHECK_INT(strlen(err.msg), LM_ERROR_MSG_MAX - 1);
    LM_CHECK(strcmp(err.msg + LM_ERROR_MSG_MAX - 4, "...") == 0);
    LM_CHECK_STR(lm_status_str(LM_ERR_CORRUPT), "corrupt data");
}

int main(void)
{
    LM_RUN(test_csv_quoting);
    LM_RUN(test_csv_formula_injection);
    LM_RUN(test_non_finite_numbers);
    LM_RUN(test_tsv_escaping);
    LM_RUN(test_jsonl);
    LM_RUN(test_cell_count_enforced);
    LM_RUN(test_write_error_reported);
    LM_RUN(test_buf_and_error);
    return LM_DONE();
}
