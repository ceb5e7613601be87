/*
 * lm_md5: MD5 (RFC 1321) for file identity, not security.
 *
 * NLM publishes an .md5 beside every PubMed bulk file; computing the same
 * digest while we stream a file lets the ingest log recognise a file it has
 * already stored and lets `sync` verify downloads without a crypto library.
 */
#ifndef LM_MD5_H
#define LM_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct lm_md5 {
    uint32_t state[4];
    uint64_t length;          /* bytes hashed so far */
    unsigned char block[64];
    size_t block_len;
} lm_md5;

void lm_md5_init(lm_md5 *m);
void lm_md5_update(lm_md5 *m, const void *data, size_t len);
void lm_md5_final(lm_md5 *m, unsigned char digest[16]);
/* Finalises and writes 32 lowercase hex digits plus NUL. */
void lm_md5_final_hex(lm_md5 *m, char hex[33]);

#endif
