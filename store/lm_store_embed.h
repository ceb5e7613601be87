/*
 * lm_store_embed: what an embedder needs of the embedding-model table
 * beyond store/search/lm_vectors.h, kept apart so the vector storage can
 * change on its own.
 *
 * A transformer encoder build (pipeline/lm_index) leaves its model in
 * state 'building' while it embeds, committing vectors batch by batch; a
 * killed build is resumed by the next one, which must read the record of
 * each unfinished model to know whether it was made by the same encoder.
 */
#ifndef LM_STORE_EMBED_H
#define LM_STORE_EMBED_H

#include "lm_store.h"

#include <stddef.h>
#include <stdint.h>

/* The stored bytes of embedding model id (a heap copy the caller frees;
 * NULL and 0 when empty); LM_ERR_NOTFOUND when there is no such model. */
lm_status lm_store_embed_model_data(lm_store *s, int64_t id, void **data, size_t *len,
                                    lm_error *err);

#endif
