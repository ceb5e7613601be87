/*
 * lm_sha256: SHA-256 (FIPS 180-4), for verifying downloads.
 *
 * The Hugging Face hub names every large (Git LFS) file by the SHA-256 of
 * its content and sends it as the X-Linked-Etag header and in its API, so
 * `litmine model fetch` can prove a multi-hundred-megabyte weights file
 * arrived intact, resumed transfers included.  The same digest gives a
 * loaded model its content id.  Streaming: feed any split of the data.
 */
#ifndef LM_SHA256_H
#define LM_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct lm_sha256 {
    uint32_t h[8];
    uint64_t length;          /* bytes hashed so far */
    unsigned char block[64];
    size_t block_len;
} lm_sha256;

void lm_sha256_init(lm_sha256 *s);
void lm_sha256_update(lm_sha256 *s, const void *data, size_t len);
void lm_sha256_final(lm_sha256 *s, unsigned char digest[32]);
/* Finalises and writes 64 lowercase hex digits plus NUL. */
void lm_sha256_final_hex(lm_sha256 *s, char hex[65]);

#endif
