/*
 * lm_digest: XXH3-128 through libxxhash's streaming API, and whole-file
 * digests for the ingest log's re-ingest check (see lm_digest.h for why
 * there are two algorithms).  The XXH3 state is heap-allocated by the
 * library because it needs 64-byte alignment; callers keep one per file.
 */
#include "lm_digest.h"

#include "lm_md5.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct lm_digest_xxh128 {
    XXH3_state_t *state;
};

lm_status lm_digest_xxh128_init(lm_digest_xxh128 **out, lm_error *err)
{
    *out = NULL;
    lm_digest_xxh128 *h = malloc(sizeof *h);
    if (!h)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    h->state = XXH3_createState();
    if (!h->state) {
        free(h);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    XXH3_128bits_reset(h->state);
    *out = h;
    return LM_OK;
}

void lm_digest_xxh128_update(lm_digest_xxh128 *h, const void *data, size_t len)
{
    XXH3_128bits_update(h->state, data, len);
}

void lm_digest_xxh128_hex(const lm_digest_xxh128 *h, char hex[33])
{
    /* The canonical form is big-endian, the byte order xxhsum prints. */
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->state));
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = digits[c.digest[i] >> 4];
        hex[2 * i + 1] = digits[c.digest[i] & 15];
    }
    hex[32] = '\0';
}

void lm_digest_xxh128_free(lm_digest_xxh128 *h)
{
    if (!h)
        return;
    XXH3_freeState(h->state);
    free(h);
}

lm_status lm_digest_file(const char *path, int which, lm_file_digest *out, lm_error *err)
{
    out->xxh128[0] = '\0';
    out->md5[0] = '\0';
    lm_digest_xxh128 *x = NULL;
    if (which & LM_DIGEST_XXH128) {
        lm_status st = lm_digest_xxh128_init(&x, err);
        if (st != LM_OK)
            return st;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        lm_digest_xxh128_free(x);
        return lm_error_set(err, LM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    }
    lm_md5 m;
    lm_md5_init(&m);
    static const size_t chunk = 1 << 16;
    unsigned char *buf = malloc(chunk);
    if (!buf) {
        fclose(f);
        lm_digest_xxh128_free(x);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    size_t got;
    while ((got = fread(buf, 1, chunk, f)) > 0) {
        if (x)
            lm_digest_xxh128_update(x, buf, got);
        if (which & LM_DIGEST_MD5)
            lm_md5_update(&m, buf, got);
    }
    int failed = ferror(f);
    fclose(f);
    free(buf);
    if (failed) {
        lm_digest_xxh128_free(x);
        return lm_error_set(err, LM_ERR_IO, "cannot read %s", path);
    }
    if (x)
        lm_digest_xxh128_hex(x, out->xxh128);
    if (which & LM_DIGEST_MD5)
        lm_md5_final_hex(&m, out->md5);
    lm_digest_xxh128_free(x);
    return LM_OK;
}

int lm_digest_is_hex32(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f') ||
              (s[n] >= 'A' && s[n] <= 'F')))
            return 0;
    return n == 32;
}
