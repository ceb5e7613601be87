/*
 * Tests for nlp/encoder/lm_safetensors: a valid file (tensors, metadata,
 * F32/F16/BF16 conversion including subnormals, infinities and NaN,
 * unaligned data), then one hostile file per rule the reader enforces —
 * each must fail with LM_ERR_CORRUPT and say why — and a mutation run over
 * a real fixture's header, where every variant must load or fail cleanly.
 */
#include "../nlp/encoder/lm_safetensors.h"
#include "lm_test.h"

#include <math.h>
#include <stdint.h>

static char path_buf[512];

/* Writes header (JSON) and data as a safetensors file; hlen_override
 * replaces the length field when non-zero. */
static const char *write_file(const char *header, const void *data, size_t n, uint64_t hlen_override)
{
    snprintf(path_buf, sizeof path_buf, "%s/t.safetensors", lm_test_tmpdir());
    FILE *f = fopen(path_buf, "wb");
    uint64_t hl = hlen_override ? hlen_override : strlen(header);
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(hl >> (8 * i));
    fwrite(le, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    if (n)
        fwrite(data, 1, n, f);
    fclose(f);
    return path_buf;
}

static void test_valid_file(void)
{
    /* a: F32 [2] = {1.5, -2}; b: F16 [2, 2]; c: BF16 [1]; empty: F32 [0, 3] */
    unsigned char data[8 + 8 + 2] = {0};
    float a[2] = {1.5f, -2.0f};
    memcpy(data, a, 8);
    uint16_t h[4] = {0x3C00, 0xC000, 0x0001, 0x7C00};   /* 1, -2, 2^-24, inf */
    memcpy(data + 8, h, 8);
    uint16_t bf = 0x3F80;   /* 1.0 */
    memcpy(data + 16, &bf, 2);
    const char *hdr = "{\"__metadata__\":{\"format\":\"pt\"},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[8,16]},"
                      "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[16,18]},"
                      "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[18,18]}}";
    const char *p = write_file(hdr, data, sizeof data, 0);
    lm_safetensors *st;
    lm_error err;
    LM_CHECK(lm_safetensors_open(&st, p, &err) == LM_OK);
    if (!st)
        return;
    LM_CHECK_INT(lm_safetensors_count(st), 4);
    LM_CHECK_STR(lm_safetensors_metadata(st, "format"), "pt");
    LM_CHECK(lm_safetensors_metadata(st, "nope") == NULL);
    const lm_st_tensor *t = lm_safetensors_find(st, "b");
    LM_CHECK(t && t->dtype == LM_ST_F16 && t->ndim == 2 && t->shape[1] == 2 && t->n_elems == 4);
    float out[4];
    LM_CHECK(lm_safetensors_read_f32(t, out, &err) == LM_OK);
    LM_CHECK(out[0] == 1.0f && out[1] == -2.0f && out[2] == ldexpf(1.0f, -24) && isinf(out[3]));
    LM_CHECK(lm_safetensors_read_f32(lm_safetensors_find(st, "a"), out, &err) == LM_OK);
    LM_CHECK(out[0] == 1.5f && out[1] == -2.0f);
    LM_CHECK(lm_safetensors_read_f32(lm_safetensors_find(st, "c"), out, &err) == LM_OK);
    LM_CHECK(out[0] == 1.0f);
    LM_CHECK(lm_safetensors_find(st, "empty")->n_elems == 0);
    LM_CHECK(lm_safetensors_find(st, "zzz") == NULL);
    LM_CHECK_INT(lm_safetensors_file_size(st), 8 + strlen(hdr) + sizeof data);
    lm_safetensors_close(st);
}

static void test_half_conversions(void)
{
    LM_CHECK(lm_f16_to_f32(0x7BFF) == 65504.0f);
    LM_CHECK(lm_f16_to_f32(0x0400) == ldexpf(1.0f, -14));           /* smallest normal */
    LM_CHECK(lm_f16_to_f32(0x03FF) == ldexpf(1023.0f, -24));        /* largest subnormal */
    LM_CHECK(lm_f16_to_f32(0x8000) == 0.0f && signbit(lm_f16_to_f32(0x8000)));
    LM_CHECK(isnan(lm_f16_to_f32(0x7E00)));
    LM_CHECK(lm_f16_to_f32(0x3555) > 0.333f && lm_f16_to_f32(0x3555) < 0.3334f);
    LM_CHECK(lm_bf16_to_f32(0xC2F7) == -123.5f);
    LM_CHECK(isinf(lm_bf16_to_f32(0x7F80)));
}

static void expect_corrupt(const char *header, size_t data_len, uint64_t hlen, const char *fragment)
{
    static unsigned char zeros[64];
    const char *p = write_file(header, zeros, data_len, hlen);
    lm_safetensors *st = NULL;
    lm_error err;
    lm_error_clear(&err);
    lm_status rc = lm_safetensors_open(&st, p, &err);
    LM_CHECK(rc == LM_ERR_CORRUPT);
    LM_CHECK(st == NULL);
    if (!strstr(err.msg, fragment)) {
        fprintf(stderr, "    %.60s: \"%s\" lacks \"%s\"\n", header, err.msg, fragment);
        LM_CHECK(0);
    }
}

#define T1(dt, shape, off) "{\"x\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":" off "}}"

static void test_hostile_files(void)
{
    expect_corrupt("{}", 0, UINT64_C(1) << 62, "exceeds 100 MB");
    expect_corrupt("{}", 0, 1000, "longer than the file");
    expect_corrupt("[1,2]", 0, 0, "does not start with '{'");
    expect_corrupt("{\"x\":", 0, 0, "JSON line");
    expect_corrupt("{\"x\":1}", 0, 0, "entry is not an object");
    expect_corrupt("{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, 0, "no dtype");
    expect_corrupt(T1("F99", "[1]", "[0,4]"), 4, 0, "unknown dtype \"F99\"");
    expect_corrupt(T1("F32", "[-1]", "[0,4]"), 4, 0, "non-negative integers");
    expect_corrupt(T1("F32", "[1.5]", "[0,4]"), 4, 0, "non-negative integers");
    expect_corrupt(T1("F32", "[4294967296,4294967296,4294967296]", "[0,4]"), 4, 0, "overflows");
    expect_corrupt(T1("F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]"), 4, 0, "9 dimensions");
    expect_corrupt(T1("F32", "[1]", "[0,4,8]"), 4, 0, "data_offsets must be");
    expect_corrupt(T1("F32", "[1]", "[4,0]"), 4, 0, "data_offsets must be");
    expect_corrupt(T1("F32", "[1]", "[-4,0]"), 4, 0, "data_offsets must be");
    expect_corrupt(T1("F32", "[1]", "[0,4]"), 2, 0, "past the file");
    expect_corrupt(T1("F32", "[2]", "[0,4]"), 4, 0, "needs 8");
    expect_corrupt(T1("F32", "[1]", "[0,4]"), 6, 0, "2 bytes after the last tensor");
    expect_corrupt("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                   "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", 6, 0, "overlaps");
    expect_corrupt("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                   "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[6,10]}}", 10, 0, "gap");
    expect_corrupt("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                   "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, 0, "duplicate key");
    expect_corrupt("{\"__metadata__\":{\"a\":1}}", 0, 0, "must be strings");
    expect_corrupt("{\"__metadata__\":[]}", 0, 0, "not an object");
    /* a file shorter than the length field */
    snprintf(path_buf, sizeof path_buf, "%s/short.safetensors", lm_test_tmpdir());
    FILE *f = fopen(path_buf, "wb");
    fwrite("abc", 1, 3, f);
    fclose(f);
    lm_safetensors *st;
    lm_error err;
    LM_CHECK(lm_safetensors_open(&st, path_buf, &err) == LM_ERR_CORRUPT);
    LM_CHECK(lm_safetensors_open(&st, "/nonexistent.safetensors", &err) == LM_ERR_NOTFOUND);
    LM_CHECK(lm_safetensors_open(&st, lm_test_tmpdir(), &err) == LM_ERR_IO);
    /* wrong dtype for conversion */
    unsigned char d8[8] = {0};
    const char *p = write_file(T1("I64", "[1]", "[0,8]"), d8, 8, 0);
    LM_CHECK(lm_safetensors_open(&st, p, &err) == LM_OK);
    float o;
    LM_CHECK(lm_safetensors_read_f32(lm_safetensors_find(st, "x"), &o, &err) == LM_ERR_FORMAT);
    lm_safetensors_close(st);
}

/* Byte changes all over a real model's header: each variant opens (and
 * every tensor converts) or fails with a status, never crashes. */
static void test_mutated_headers(void)
{
    FILE *f = fopen("tests/fixtures/encoder/bert-cased-cls/model.safetensors", "rb");
    LM_CHECK(f != NULL);
    if (!f)
        return;
    static unsigned char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = hl << 8 | buf[i];
    LM_CHECK(hl < n);
    snprintf(path_buf, sizeof path_buf, "%s/m.safetensors", lm_test_tmpdir());
    static const unsigned char subst[] = {'0', '9', '[', ']', '{', '"', ',', '-', 'F', 0xFF};
    int ok = 0, failed = 0;
    uint32_t rng = 12345;
    for (int round = 0; round < 600; round++) {
        rng = rng * 1103515245u + 12345u;
        size_t pos = (rng >> 8) % (hl + 8);
        unsigned char keep = buf[pos];
        buf[pos] = subst[(rng >> 4) % sizeof subst];
        FILE *w = fopen(path_buf, "wb");
        fwrite(buf, 1, n, w);
        fclose(w);
        buf[pos] = keep;
        lm_safetensors *st = NULL;
        lm_error err;
        if (lm_safetensors_open(&st, path_buf, &err) == LM_OK) {
            ok++;
            for (size_t i = 0; i < lm_safetensors_count(st); i++) {
                const lm_st_tensor *t = lm_safetensors_at(st, i);
                if (t->n_elems <= 1 << 20) {
                    float *o = malloc((t->n_elems + 1) * sizeof *o);
                    (void)lm_safetensors_read_f32(t, o, &err);
                    free(o);
                }
            }
            lm_safetensors_close(st);
        } else {
            failed++;
        }
    }
    LM_CHECK(ok > 0);
    LM_CHECK(failed > 0);
}

int main(void)
{
    LM_RUN(test_valid_file);
    LM_RUN(test_half_conversions);
    LM_RUN(test_hostile_files);
    LM_RUN(test_mutated_headers);
    return LM_DONE();
}
