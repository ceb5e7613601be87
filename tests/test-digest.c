/*
 * Tests for util/lm_digest: XXH3-128 known answers (values from xxhsum -H2,
 * which prints the canonical big-endian form), streaming in uneven pieces
 * across the library's 64-byte stripes, 256-byte input buffer and 1 KB
 * blocks, whole-file digests with either or both algorithms, a missing
 * file, and the hex validator the ingest log relies on.
 */
#include "../util/lm_digest.h"
#include "lm_test.h"

#include <stdio.h>
#include <string.h>

/* 1000 bytes: byte i is (7 i + 3) mod 256. */
static void patterned(unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)((i * 7 + 3) % 256);
}
#define PATTERN_XXH128 "6bcc7eff62da44c26c4f14bd97bd9e82"

static void hex_of(const void *data, size_t len, char hex[33])
{
    lm_digest_xxh128 *h = NULL;
    lm_error err = {0};
    LM_CHECK_INT(lm_digest_xxh128_init(&h, &err), LM_OK);
    if (!h) {
        hex[0] = '\0';
        return;
    }
    lm_digest_xxh128_update(h, data, len);
    lm_digest_xxh128_hex(h, hex);
    lm_digest_xxh128_free(h);
}

static void test_known_answers(void)
{
    char hex[33];
    hex_of("", 0, hex);
    LM_CHECK_STR(hex, "99aa06d3014798d86001c324468d497f");
    hex_of("abc", 3, hex);
    LM_CHECK_STR(hex, "06b05ab6733a618578af5f94892f3950");
    const char *fox = "The quick brown fox jumps over the lazy dog";
    hex_of(fox, strlen(fox), hex);
    LM_CHECK_STR(hex, "ddd650205ca3e7fa24a1cc2e3a8a7651");
    unsigned char buf[1000];
    patterned(buf, sizeof buf);
    hex_of(buf, sizeof buf, hex);
    LM_CHECK_STR(hex, PATTERN_XXH128);
}

static void test_streamed_pieces(void)
{
    unsigned char buf[1000];
    patterned(buf, sizeof buf);
    static const size_t steps[] = {1, 3, 63, 64, 255, 256, 257, 999};
    lm_digest_xxh128 *h = NULL;
    lm_error err = {0};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        lm_digest_xxh128_free(h);
        LM_CHECK_INT(lm_digest_xxh128_init(&h, &err), LM_OK);
        if (!h)
            return;
        for (size_t at = 0; at < sizeof buf; at += steps[k]) {
            size_t n = sizeof buf - at < steps[k] ? sizeof buf - at : steps[k];
            lm_digest_xxh128_update(h, buf + at, n);
        }
        char hex[33];
        lm_digest_xxh128_hex(h, hex);
        LM_CHECK_STR(hex, PATTERN_XXH128);
    }
    /* Reading the digest does not end the stream: more input changes it. */
    char before[33], after[33];
    lm_digest_xxh128_hex(h, before);
    lm_digest_xxh128_update(h, "x", 1);
    lm_digest_xxh128_hex(h, after);
    LM_CHECK(strcmp(before, after) != 0);
    lm_digest_xxh128_free(h);
    lm_digest_xxh128_free(NULL);
}

static void test_file_digests(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/pattern.bin", lm_test_tmpdir());
    unsigned char buf[1000];
    patterned(buf, sizeof buf);
    FILE *f = fopen(path, "wb");
    LM_CHECK(f != NULL);
    if (!f)
        return;
    LM_CHECK_INT(fwrite(buf, 1, sizeof buf, f), sizeof buf);
    fclose(f);

    lm_file_digest d;
    lm_error err = {0};
    LM_CHECK_INT(lm_digest_file(path, LM_DIGEST_XXH128 | LM_DIGEST_MD5, &d, &err), LM_OK);
    LM_CHECK_STR(d.xxh128, PATTERN_XXH128);
    LM_CHECK_STR(d.md5, "10046f077f2082ac19676b8079f1cb1a");   /* md5sum */
    LM_CHECK_INT(lm_digest_file(path, LM_DIGEST_XXH128, &d, &err), LM_OK);
    LM_CHECK_STR(d.xxh128, PATTERN_XXH128);
    LM_CHECK_STR(d.md5, "");
    LM_CHECK_INT(lm_digest_file(path, LM_DIGEST_MD5, &d, &err), LM_OK);
    LM_CHECK_STR(d.xxh128, "");
    LM_CHECK_STR(d.md5, "10046f077f2082ac19676b8079f1cb1a");

    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-file", lm_test_tmpdir());
    LM_CHECK_INT(lm_digest_file(missing, LM_DIGEST_XXH128, &d, &err), LM_ERR_IO);
    LM_CHECK(strstr(err.msg, "no-such-file") != NULL);
    LM_CHECK_STR(d.xxh128, "");
    /* A directory opens but cannot be read. */
    LM_CHECK_INT(lm_digest_file(lm_test_tmpdir(), LM_DIGEST_XXH128, &d, &err), LM_ERR_IO);
}

static void test_hex32(void)
{
    LM_CHECK(lm_digest_is_hex32("0123456789abcdef0123456789ABCDEF"));
    LM_CHECK(!lm_digest_is_hex32(""));
    LM_CHECK(!lm_digest_is_hex32("0123456789abcdef0123456789abcde"));
    LM_CHECK(!lm_digest_is_hex32("0123456789abcdef0123456789abcdef0"));
    LM_CHECK(!lm_digest_is_hex32("0123456789abcdef0123456789abcdeg"));
}

int main(void)
{
    LM_RUN(test_known_answers);
    LM_RUN(test_streamed_pieces);
    LM_RUN(test_file_digests);
    LM_RUN(test_hex32);
    return LM_DONE();
}
