/*
 * lm_safetensors: read-only, memory-mapped access to a .safetensors file.
 *
 * The format (huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON mapping tensor names to {dtype, shape,
 * data_offsets}, then the tensor bytes.  Model files come from the
 * internet, so everything is checked before a byte of data is trusted:
 * the header size (at most 100 MB, as the reference implementation), the
 * JSON (strict reader, util/lm_json.h), every dtype and shape (element
 * counts overflow-checked), offsets inside the file, and that the tensors
 * tile the data region exactly — no overlaps and no holes, which is what
 * the format requires to rule out polyglot files.  A file that passes can
 * be read without further bounds checks.
 *
 * The file is mapped once (MAP_PRIVATE, read-only) and tensors point into
 * the mapping, so every thread of the process shares one copy of the
 * weights through the page cache.  Data may be unaligned (the header
 * length is arbitrary): lm_safetensors_read_f32() copies and converts
 * f16/bf16/f32 without assuming alignment.
 */
#ifndef LM_SAFETENSORS_H
#define LM_SAFETENSORS_H

#include "../../util/lm_error.h"

#include <stddef.h>
#include <stdint.h>

#define LM_ST_MAX_DIMS 8

typedef enum lm_st_dtype {
    LM_ST_BOOL, LM_ST_U8, LM_ST_I8, LM_ST_F8_E5M2, LM_ST_F8_E4M3,
    LM_ST_I16, LM_ST_U16, LM_ST_F16, LM_ST_BF16,
    LM_ST_I32, LM_ST_U32, LM_ST_F32,
    LM_ST_I64, LM_ST_U64, LM_ST_F64
} lm_st_dtype;

typedef struct lm_st_tensor {
    const char *name;
    lm_st_dtype dtype;
    int ndim;
    int64_t shape[LM_ST_MAX_DIMS];
    uint64_t n_elems;
    uint64_t n_bytes;
    const unsigned char *data;   /* inside the mapping; may be unaligned */
} lm_st_tensor;

typedef struct lm_safetensors lm_safetensors;

lm_status lm_safetensors_open(lm_safetensors **out, const char *path, lm_error *err);
void lm_safetensors_close(lm_safetensors *st);

size_t lm_safetensors_count(const lm_safetensors *st);
const lm_st_tensor *lm_safetensors_at(const lm_safetensors *st, size_t i);
/* The tensor called name, or NULL. */
const lm_st_tensor *lm_safetensors_find(const lm_safetensors *st, const char *name);
/* A "__metadata__" entry, or NULL. */
const char *lm_safetensors_metadata(const lm_safetensors *st, const char *key);
uint64_t lm_safetensors_file_size(const lm_safetensors *st);

/* "F32", "BF16", ... as in the header. */
const char *lm_st_dtype_name(lm_st_dtype t);
size_t lm_st_dtype_size(lm_st_dtype t);

/* Converts the whole tensor to f32 into out (n_elems floats).  F32, F16
 * and BF16 only; other dtypes fail with LM_ERR_FORMAT. */
lm_status lm_safetensors_read_f32(const lm_st_tensor *t, float *out, lm_error *err);

/* IEEE half and bfloat16 to float (exact; subnormals, infinities, NaN). */
float lm_f16_to_f32(uint16_t h);
float lm_bf16_to_f32(uint16_t b);

#endif
