/*
 * Tests for util/lm_json: values and accessors, string escapes (surrogate
 * pairs, \u0000 in keys), numbers (exact integers, doubles, the RFC
 * grammar), every strictness rule with its error message and position,
 * the depth and size limits, duplicate keys in small and large objects,
 * and a mutation run: thousands of corrupted variants of a real config
 * must each parse or fail cleanly (the sanitizers watch for the rest).
 * The writer: commas and nesting, escapes, non-finite numbers as null,
 * and its output read back by the reader.
 */
#include "../util/lm_buf.h"
#include "../util/lm_json.h"
#include "lm_test.h"

#include <math.h>

static lm_json *parse(const char *text, lm_error *err)
{
    lm_json *doc = NULL;
    if (lm_json_parse(&doc, text, strlen(text), NULL, "t", err) != LM_OK)
        return NULL;
    return doc;
}

static void test_values_and_accessors(void)
{
    lm_error err;
    lm_json *doc = parse(" {\"a\": [1, -2.5, true, false, null, \"x\"], \"b\": {\"c\": {}},"
                         " \"n\": 12345678901234, \"e\": 1e3, \"s\": \"h\\u00e9\"}\n",
                         &err);
    LM_CHECK(doc != NULL);
    if (!doc)
        return;
    const lm_json_value *r = lm_json_root(doc);
    LM_CHECK_INT(lm_json_type_of(r), LM_JSON_OBJECT);
    LM_CHECK_INT(lm_json_count(r), 5);
    const lm_json_value *a = lm_json_get(r, "a");
    LM_CHECK_INT(lm_json_count(a), 6);
    int64_t i;
    double d;
    int b;
    LM_CHECK(lm_json_int64(lm_json_at(a, 0), &i) && i == 1);
    LM_CHECK(!lm_json_int64(lm_json_at(a, 1), &i));
    LM_CHECK(lm_json_double(lm_json_at(a, 1), &d) && d == -2.5);
    LM_CHECK(lm_json_bool(lm_json_at(a, 2), &b) && b == 1);
    LM_CHECK(lm_json_bool(lm_json_at(a, 3), &b) && b == 0);
    LM_CHECK_INT(lm_json_type_of(lm_json_at(a, 4)), LM_JSON_NULL);
    LM_CHECK_STR(lm_json_str(lm_json_at(a, 5), NULL), "x");
    LM_CHECK(lm_json_at(a, 6) == NULL);
    /* iteration visits siblings, skipping nested subtrees */
    const lm_json_value *m = lm_json_first(r);
    const char *keys[] = {"a", "b", "n", "e", "s"};
    for (int k = 0; k < 5; k++, m = lm_json_next(m))
        LM_CHECK_STR(m ? lm_json_key(m, NULL) : NULL, keys[k]);
    LM_CHECK(m == NULL);
    LM_CHECK_INT(lm_json_count(lm_json_get(lm_json_get(r, "b"), "c")), 0);
    LM_CHECK(lm_json_first(lm_json_get(lm_json_get(r, "b"), "c")) == NULL);
    LM_CHECK_INT(lm_json_get_int(r, "n", 0), 12345678901234LL);
    LM_CHECK(lm_json_get_double(r, "e", 0) == 1000.0);
    LM_CHECK(!lm_json_int64(lm_json_get(r, "e"), &i));   /* 1e3 is not an integer literal */
    LM_CHECK_STR(lm_json_get_str(r, "s", NULL), "h\xc3\xa9");
    LM_CHECK_STR(lm_json_get_str(r, "zz", "def"), "def");
    LM_CHECK_INT(lm_json_get_int(r, "s", -7), -7);      /* wrong type: default */
    LM_CHECK_INT(lm_json_get_bool(r, "a", 2), 2);
    LM_CHECK(lm_json_get(lm_json_at(a, 0), "x") == NULL);   /* not an object */
    lm_json_free(doc);

    doc = parse("42", &err);   /* any value may be the root */
    LM_CHECK(doc && lm_json_int64(lm_json_root(doc), &i) && i == 42);
    lm_json_free(doc);
}

static void test_strings(void)
{
    lm_error err;
    lm_json *doc = parse("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\ud83d\\ude00\", \"\xf0\x9f\x98\x80\","
                         " \"a\\u0000b\", \"\\u20AC\"]",
                         &err);
    LM_CHECK(doc != NULL);
    if (!doc)
        return;
    const lm_json_value *r = lm_json_root(doc);
    size_t n;
    LM_CHECK_STR(lm_json_str(lm_json_at(r, 0), NULL), "\"\\/\b\f\n\r\t");
    LM_CHECK_STR(lm_json_str(lm_json_at(r, 1), NULL), "\xf0\x9f\x98\x80");
    LM_CHECK_STR(lm_json_str(lm_json_at(r, 2), NULL), "\xf0\x9f\x98\x80");
    const char *s = lm_json_str(lm_json_at(r, 3), &n);
    LM_CHECK(s && n == 3 && memcmp(s, "a\0b", 3) == 0);
    LM_CHECK_STR(lm_json_str(lm_json_at(r, 4), NULL), "\xe2\x82\xac");
    lm_json_free(doc);

    /* keys holding U+0000 are distinct from their prefix */
    doc = parse("{\"a\\u0000\": 1, \"a\": 2}", &err);
    LM_CHECK(doc != NULL);
    LM_CHECK_INT(lm_json_get_int(lm_json_root(doc), "a", 0), 2);
    lm_json_free(doc);
}

static void test_numbers(void)
{
    lm_error err;
    lm_json *doc = parse("[0, -0, 123456789012345678, 1234567890123456789, 0.5, -1.25e-3, 1E+2,"
                         " 9007199254740993]",
                         &err);
    LM_CHECK(doc != NULL);
    if (!doc)
        return;
    const lm_json_value *r = lm_json_root(doc);
    int64_t i;
    double d;
    LM_CHECK(lm_json_int64(lm_json_at(r, 0), &i) && i == 0);
    LM_CHECK(lm_json_int64(lm_json_at(r, 1), &i) && i == 0);
    LM_CHECK(lm_json_int64(lm_json_at(r, 2), &i) && i == 123456789012345678LL);
    /* 19 digits: kept as a double only */
    LM_CHECK(!lm_json_int64(lm_json_at(r, 3), &i));
    LM_CHECK(lm_json_double(lm_json_at(r, 3), &d) && d > 1.2e18);
    LM_CHECK(lm_json_double(lm_json_at(r, 4), &d) && d == 0.5);
    LM_CHECK(lm_json_double(lm_json_at(r, 5), &d) && fabs(d + 1.25e-3) < 1e-18);
    LM_CHECK(lm_json_double(lm_json_at(r, 6), &d) && d == 100.0);
    /* beyond 2^53 but within 18 digits: exact as an integer */
    LM_CHECK(lm_json_int64(lm_json_at(r, 7), &i) && i == 9007199254740993LL);
    lm_json_free(doc);
}

static void expect_error(const char *text, size_t len, const char *fragment)
{
    lm_json *doc = NULL;
    lm_error err;
    lm_error_clear(&err);
    lm_status st = lm_json_parse(&doc, text, len, NULL, "in.json", &err);
    LM_CHECK(st == LM_ERR_PARSE);
    LM_CHECK(doc == NULL);
    if (!strstr(err.msg, fragment) || !strstr(err.msg, "in.json: JSON line")) {
        fprintf(stderr, "    input %.40s: message \"%s\" lacks \"%s\"\n", text, err.msg, fragment);
        LM_CHECK(0);
    }
}

#define EXPECT_ERROR(text, fragment) expect_error(text, sizeof(text) - 1, fragment)

static void test_strictness(void)
{
    EXPECT_ERROR("", "end of input");
    EXPECT_ERROR("   ", "end of input");
    EXPECT_ERROR("[1,]", "a value was expected");
    EXPECT_ERROR("[1 2]", "',' or ']' expected");
    EXPECT_ERROR("{\"a\":1,}", "object key");
    EXPECT_ERROR("{\"a\" 1}", "':' expected");
    EXPECT_ERROR("{a:1}", "object key");
    EXPECT_ERROR("['a']", "unexpected character");
    EXPECT_ERROR("01", "leading zero");
    EXPECT_ERROR("-", "invalid number");
    EXPECT_ERROR("1.", "decimal point");
    EXPECT_ERROR("1e", "exponent");
    EXPECT_ERROR(".5", "unexpected character");
    EXPECT_ERROR("+1", "unexpected character");
    EXPECT_ERROR("NaN", "unexpected character");
    EXPECT_ERROR("Infinity", "unexpected character");
    EXPECT_ERROR("1e999", "out of range");
    EXPECT_ERROR("tru", "invalid literal");
    EXPECT_ERROR("nul", "invalid literal");
    EXPECT_ERROR("\"abc", "unterminated string");
    EXPECT_ERROR("\"a\tb\"", "control character");
    EXPECT_ERROR("\"\\x\"", "unknown escape");
    EXPECT_ERROR("\"\\u12G4\"", "bad \\u escape");
    EXPECT_ERROR("\"\\ud800\"", "unpaired high surrogate");
    EXPECT_ERROR("\"\\ud800\\u0041\"", "unpaired high surrogate");
    EXPECT_ERROR("\"\\udc00\"", "unpaired low surrogate");
    EXPECT_ERROR("\"\xc3\x28\"", "invalid UTF-8");
    EXPECT_ERROR("\"\xed\xa0\x80\"", "invalid UTF-8");   /* encoded surrogate */
    EXPECT_ERROR("\"\xc0\xaf\"", "invalid UTF-8");       /* overlong */
    EXPECT_ERROR("\xef\xbb\xbf{}", "byte-order mark");
    EXPECT_ERROR("{} {}", "after the JSON value");
    EXPECT_ERROR("[1] x", "after the JSON value");
    EXPECT_ERROR("/* c */ 1", "unexpected character");
    EXPECT_ERROR("{\"a\":1,\"b\":2,\"a\":3}", "duplicate key \"a\"");
    EXPECT_ERROR("[1,\n 2,\n x]", "line 3, column 2");
    /* an embedded NUL byte is not whitespace */
    expect_error("1\0", 2, "after the JSON value");
}

static void test_duplicates_in_large_object(void)
{
    lm_buf b;
    lm_buf_init(&b);
    lm_buf_append_char(&b, '{');
    for (int i = 0; i < 500; i++)
        lm_buf_printf(&b, "%s\"k%d\": %d", i ? "," : "", i, i);
    lm_buf_append_str(&b, "}");
    lm_json *doc = NULL;
    lm_error err;
    LM_CHECK(lm_json_parse(&doc, b.data, b.len, NULL, NULL, &err) == LM_OK);
    LM_CHECK_INT(lm_json_get_int(lm_json_root(doc), "k377", -1), 377);
    LM_CHECK_INT(lm_json_count(lm_json_root(doc)), 500);
    lm_json_free(doc);
    /* the same object with one key repeated far from its twin */
    b.len--;
    lm_buf_append_str(&b, ",\"k123\": 0}");
    doc = NULL;
    LM_CHECK(lm_json_parse(&doc, b.data, b.len, NULL, NULL, &err) == LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "duplicate key \"k123\"") != NULL);
    LM_CHECK(doc == NULL);
    lm_buf_free(&b);
}

static void test_limits(void)
{
    lm_error err;
    lm_json *doc = NULL;
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    lm_json_limits lim = {.max_depth = 200};
    LM_CHECK(lm_json_parse(&doc, deep, 400, &lim, NULL, &err) == LM_OK);
    lm_json_free(doc);
    lim.max_depth = 199;
    LM_CHECK(lm_json_parse(&doc, deep, 400, &lim, NULL, &err) == LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "nesting too deep") != NULL);
    /* default depth (128) stops a 100,000-deep bracket bomb at once */
    size_t n = 100000;
    char *bomb = malloc(n);
    memset(bomb, '[', n);
    LM_CHECK(lm_json_parse(&doc, bomb, n, NULL, NULL, &err) == LM_ERR_PARSE);
    free(bomb);
    lim.max_depth = 0;
    lim.max_bytes = 10;
    LM_CHECK(lm_json_parse(&doc, "[1,2,3,4,5,6]", 13, &lim, "big", &err) == LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "exceeds the 10-byte limit") != NULL);
    LM_CHECK(lm_json_parse(&doc, "[1,2,3,4]", 9, &lim, "ok", &err) == LM_OK);
    lm_json_free(doc);
}

static void test_parse_file(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/c.json", lm_test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("{\"model_type\": \"bert\", \"hidden_size\": 32}", f);
    fclose(f);
    lm_json *doc = NULL;
    lm_error err;
    LM_CHECK(lm_json_parse_file(&doc, path, NULL, &err) == LM_OK);
    LM_CHECK_STR(lm_json_get_str(lm_json_root(doc), "model_type", NULL), "bert");
    lm_json_free(doc);
    lm_json_limits lim = {.max_bytes = 8};
    LM_CHECK(lm_json_parse_file(&doc, path, &lim, &err) == LM_ERR_FORMAT);
    snprintf(path, sizeof path, "%s/missing.json", lm_test_tmpdir());
    LM_CHECK(lm_json_parse_file(&doc, path, NULL, &err) == LM_ERR_NOTFOUND);
    LM_CHECK(lm_json_parse_file(&doc, lm_test_tmpdir(), NULL, &err) == LM_ERR_IO);
}

/* Every single-byte corruption and truncation of a realistic document
 * either parses or fails with LM_ERR_PARSE; the sanitizers catch any
 * out-of-bounds access on the way. */
static void test_mutations(void)
{
    static const char base[] =
        "{\"architectures\": [\"BertForTokenClassification\"], \"hidden_act\": \"gelu\",\n"
        " \"id2label\": {\"0\": \"O\", \"1\": \"B-Chemical\", \"2\": \"I-\\u00e9\"},\n"
        " \"layer_norm_eps\": 1e-12, \"x\": [-0.5, 1E+2, true, null, \"\\ud83d\\ude00\"]}";
    size_t n = sizeof base - 1;
    char buf[sizeof base];
    static const char subst[] = "\"\\{}[],:0-eE.u\x80\xff \t";
    int ok = 0, bad = 0, other = 0;
    for (size_t pos = 0; pos < n; pos++) {
        for (size_t k = 0; k < sizeof subst - 1; k++) {
            memcpy(buf, base, n);
            buf[pos] = subst[k];
            lm_json *doc = NULL;
            lm_error err;
            lm_status st = lm_json_parse(&doc, buf, n, NULL, NULL, &err);
            if (st == LM_OK) {
                ok++;
                /* walk the whole tree */
                const lm_json_value *r = lm_json_root(doc);
                for (const lm_json_value *c = lm_json_first(r); c; c = lm_json_next(c))
                    (void)lm_json_count(c);
                lm_json_free(doc);
            } else if (st == LM_ERR_PARSE) {
                bad++;
            } else {
                other++;
            }
        }
        lm_json *doc = NULL;
        lm_error err;
        lm_status st = lm_json_parse(&doc, base, pos, NULL, NULL, &err);   /* truncated */
        if (st == LM_OK)
            lm_json_free(doc);
        else if (st != LM_ERR_PARSE)
            other++;
    }
    LM_CHECK(ok > 0);
    LM_CHECK(bad > 0);
    LM_CHECK_INT(other, 0);
}

/* What a writer produced, as a string (memstream). */
static void test_writer(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    LM_CHECK(f != NULL);
    if (!f)
        return;
    lm_json_writer w;
    lm_json_writer_init(&w, f);
    lm_json_begin_object(&w);
    lm_json_member_str(&w, "s", "a\"b\\c\n\t\x01\xc3\xa9");
    lm_json_member_str(&w, "null", NULL);
    lm_json_member_int(&w, "big", 12345678901234LL);
    lm_json_member_double(&w, "pi", 3.14159265, 4);
    lm_json_member_double(&w, "nan", NAN, 6);
    lm_json_member_double(&w, "inf", -INFINITY, 6);
    lm_json_write_key(&w, "list");
    lm_json_begin_array(&w);
    lm_json_begin_array(&w);
    lm_json_end_array(&w);
    lm_json_begin_object(&w);
    lm_json_end_object(&w);
    lm_json_write_bool(&w, 1);
    lm_json_write_strn(&w, "xyz", 2);
    lm_json_end_array(&w);
    lm_json_end_object(&w);
    fclose(f);
    LM_CHECK_STR(text, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\xc3\xa9\",\"null\":null,"
                       "\"big\":12345678901234,\"pi\":3.142,\"nan\":null,\"inf\":null,"
                       "\"list\":[[],{},true,\"xy\"]}");
    lm_error err;
    lm_json *doc = NULL;
    LM_CHECK(lm_json_parse(&doc, text, len, NULL, "w", &err) == LM_OK);
    const lm_json_value *r = lm_json_root(doc);
    LM_CHECK_STR(lm_json_get_str(r, "s", NULL), "a\"b\\c\n\t\x01\xc3\xa9");
    LM_CHECK_INT(lm_json_get_int(r, "big", 0), 12345678901234LL);
    LM_CHECK_INT(lm_json_count(lm_json_get(r, "list")), 4);
    lm_json_free(doc);
    free(text);

    /* spaced, for files people read */
    f = open_memstream(&text, &len);
    LM_CHECK(f != NULL);
    if (!f)
        return;
    lm_json_writer_init(&w, f);
    w.spaced = 1;
    lm_json_begin_object(&w);
    lm_json_member_str(&w, "a", "b");
    lm_json_write_key(&w, "c");
    lm_json_begin_array(&w);
    lm_json_write_int(&w, 1);
    lm_json_write_int(&w, 2);
    lm_json_end_array(&w);
    lm_json_end_object(&w);
    fclose(f);
    LM_CHECK_STR(text, "{\"a\": \"b\", \"c\": [1, 2]}");
    free(text);
}

int main(void)
{
    LM_RUN(test_values_and_accessors);
    LM_RUN(test_strings);
    LM_RUN(test_numbers);
    LM_RUN(test_strictness);
    LM_RUN(test_duplicates_in_large_object);
    LM_RUN(test_limits);
    LM_RUN(test_parse_file);
    LM_RUN(test_mutations);
    LM_RUN(test_writer);
    return LM_DONE();
}
