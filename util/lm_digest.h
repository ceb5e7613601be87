/*
 * lm_digest: checksums of a source file's raw bytes, for the ingest log.
 *
 * Two algorithms for two jobs, neither used for security.  XXH3-128
 * (Debian's libxxhash) is the re-ingest guard for every file: it runs at
 * memory speed, so a 200 MB plain-XML ingest spends about 0.02 s on it,
 * where MD5 took 0.4 s, a fifth of the whole ingest on one core.  MD5 is
 * kept for gzip files only, because NLM publishes one beside each bulk
 * file (pubmed26n0001.xml.gz.md5): the log then records a digest a user
 * can check against NLM's, and hashing compressed bytes costs little next
 * to inflating them.
 */
#ifndef LM_DIGEST_H
#define LM_DIGEST_H

#include "lm_error.h"

#include <stddef.h>

/* Lowercase hex digests; "" = not computed. */
typedef struct lm_file_digest {
    char xxh128[33];
    char md5[33];
} lm_file_digest;

/* Streaming XXH3-128. */
typedef struct lm_digest_xxh128 lm_digest_xxh128;

lm_status lm_digest_xxh128_init(lm_digest_xxh128 **out, lm_error *err);
void lm_digest_xxh128_update(lm_digest_xxh128 *h, const void *data, size_t len);
/* Writes 32 lowercase hex digits plus NUL; more input may follow. */
void lm_digest_xxh128_hex(const lm_digest_xxh128 *h, char hex[33]);
void lm_digest_xxh128_free(lm_digest_xxh128 *h);

enum { LM_DIGEST_XXH128 = 1, LM_DIGEST_MD5 = 2 };

/* Reads the whole file once and fills the digests named in `which`; the
 * others are left "". */
lm_status lm_digest_file(const char *path, int which, lm_file_digest *out, lm_error *err);

/* 1 when s is exactly 32 hex digits (either case). */
int lm_digest_is_hex32(const char *s);

#endif
