/*
 * safetensors reader (see lm_safetensors.h).
 *
 * Validation order: file size, header length, header JSON, each tensor's
 * entry, then the tiling check on offsets sorted by start.  Offsets and
 * sizes are uint64 and every product or sum is checked for overflow before
 * use, so hostile values cannot wrap around into a plausible range.
 */
#include "lm_safetensors.h"

#include "../../util/lm_json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference implementation refuses headers above 100 MB. */
#define MAX_HEADER_BYTES (100u * 1000u * 1000u)

struct lm_safetensors {
    const unsigned char *map;
    uint64_t map_len;
    lm_json *header;            /* owns tensor names and metadata strings */
    lm_st_tensor *tensors;
    size_t n_tensors;
    const lm_json_value *metadata;
};

static uint64_t le_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint16_t le_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
    [LM_ST_BOOL] = {"BOOL", 1}, [LM_ST_U8] = {"U8", 1}, [LM_ST_I8] = {"I8", 1},
    [LM_ST_F8_E5M2] = {"F8_E5M2", 1}, [LM_ST_F8_E4M3] = {"F8_E4M3", 1},
    [LM_ST_I16] = {"I16", 2}, [LM_ST_U16] = {"U16", 2}, [LM_ST_F16] = {"F16", 2},
    [LM_ST_BF16] = {"BF16", 2}, [LM_ST_I32] = {"I32", 4}, [LM_ST_U32] = {"U32", 4},
    [LM_ST_F32] = {"F32", 4}, [LM_ST_I64] = {"I64", 8}, [LM_ST_U64] = {"U64", 8},
    [LM_ST_F64] = {"F64", 8},
};

const char *lm_st_dtype_name(lm_st_dtype t)
{
    return (size_t)t < sizeof dtypes / sizeof dtypes[0] ? dtypes[t].name : "?";
}

size_t lm_st_dtype_size(lm_st_dtype t)
{
    return (size_t)t < sizeof dtypes / sizeof dtypes[0] ? dtypes[t].size : 0;
}

static int dtype_from_name(const char *s, lm_st_dtype *out)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
        if (strcmp(s, dtypes[i].name) == 0) {
            *out = (lm_st_dtype)i;
            return 1;
        }
    }
    return 0;
}

void lm_safetensors_close(lm_safetensors *st)
{
    if (!st)
        return;
    if (st->map)
        munmap((void *)st->map, (size_t)st->map_len);
    lm_json_free(st->header);
    free(st->tensors);
    free(st);
}

/* Fills t from the header entry v; data_start/data_len describe the data
 * region.  begin/end are returned for the tiling check. */
static lm_status parse_entry(const char *path, const char *name, const lm_json_value *v,
                             lm_st_tensor *t, uint64_t data_len, uint64_t *begin,
                             uint64_t *end, lm_error *err)
{
    if (lm_json_type_of(v) != LM_JSON_OBJECT)
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: tensor \"%s\": entry is not an object",
                            path, name);
    const char *dt = lm_json_get_str(v, "dtype", NULL);
    if (!dt)
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: tensor \"%s\": no dtype", path, name);
    if (!dtype_from_name(dt, &t->dtype))
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: tensor \"%s\": unknown dtype \"%.20s\"",
                            path, name, dt);
    const lm_json_value *shape = lm_json_get(v, "shape");
    if (lm_json_type_of(shape) != LM_JSON_ARRAY)
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: tensor \"%s\": no shape array", path,
                            name);
    if (lm_json_count(shape) > LM_ST_MAX_DIMS)
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: tensor \"%s\": %zu dimensions (at most %d)",
                            path, name, lm_json_count(shape), LM_ST_MAX_DIMS);
    t->name = name;
    t->ndim = (int)lm_json_count(shape);
    uint64_t n = 1;
    int k = 0;
    for (const lm_json_value *d = lm_json_first(shape); d; d = lm_json_next(d), k++) {
        int64_t x;
        if (!lm_json_int64(d, &x) || x < 0)
            return lm_error_set(err, LM_ERR_CORRUPT,
                                "%s: tensor \"%s\": shape entries must be non-negative integers",
                                path, name);
        t->shape[k] = x;
        if (x != 0 && n > UINT64_MAX / (uint64_t)x)
            return lm_error_set(err, LM_ERR_CORRUPT, "%s: tensor \"%s\": shape overflows", path,
                                name);
        n *= (uint64_t)x;
    }
    size_t esz = lm_st_dtype_size(t->dtype);
    if (n > UINT64_MAX / esz)
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: tensor \"%s\": shape overflows", path, name);
    t->n_elems = n;
    t->n_bytes = n * esz;
    const lm_json_value *off = lm_json_get(v, "data_offsets");
    int64_t b, e;
    if (lm_json_count(off) != 2 || !lm_json_int64(lm_json_at(off, 0), &b) ||
        !lm_json_int64(lm_json_at(off, 1), &e) || b < 0 || e < b)
        return lm_error_set(err, LM_ERR_CORRUPT,
                            "%s: tensor \"%s\": data_offsets must be [begin, end] with "
                            "0 <= begin <= end",
                            path, name);
    if ((uint64_t)e > data_len)
        return lm_error_set(err, LM_ERR_CORRUPT,
                            "%s: tensor \"%s\": data ends at %lld, past the file's %llu data bytes",
                            path, name, (long long)e, (unsigned long long)data_len);
    if ((uint64_t)(e - b) != t->n_bytes)
        return lm_error_set(err, LM_ERR_CORRUPT,
                            "%s: tensor \"%s\": %lld data bytes, but %s%s needs %llu", path, name,
                            (long long)(e - b), dt, " of that shape",
                            (unsigned long long)t->n_bytes);
    *begin = (uint64_t)b;
    *end = (uint64_t)e;
    return LM_OK;
}

typedef struct span {
    uint64_t begin, end;
    size_t idx;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static lm_status parse_header(lm_safetensors *st, const char *path, uint64_t hlen,
                              lm_error *err)
{
    const char *text = (const char *)st->map + 8;
    lm_json_limits lim = {.max_depth = 8, .max_bytes = MAX_HEADER_BYTES};
    lm_status rc = lm_json_parse(&st->header, text, (size_t)hlen, &lim, path, err);
    if (rc == LM_ERR_PARSE) {
        /* Not JSON: a corrupt model file, not a user's syntax error. */
        if (err)
            err->code = LM_ERR_CORRUPT;
        return LM_ERR_CORRUPT;
    }
    if (rc != LM_OK)
        return rc;
    const lm_json_value *root = lm_json_root(st->header);
    if (lm_json_type_of(root) != LM_JSON_OBJECT)
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: safetensors header is not a JSON object",
                            path);
    uint64_t data_len = st->map_len - 8 - hlen;
    size_t n = lm_json_count(root);
    st->tensors = calloc(n ? n : 1, sizeof *st->tensors);
    span *spans = calloc(n ? n : 1, sizeof *spans);
    if (!st->tensors || !spans) {
        free(spans);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory reading %s", path);
    }
    const unsigned char *data = st->map + 8 + hlen;
    for (const lm_json_value *m = lm_json_first(root); m; m = lm_json_next(m)) {
        const char *name = lm_json_key(m, NULL);
        if (strcmp(name, "__metadata__") == 0) {
            if (lm_json_type_of(m) != LM_JSON_OBJECT) {
                free(spans);
                return lm_error_set(err, LM_ERR_CORRUPT, "%s: __metadata__ is not an object",
                                    path);
            }
            for (const lm_json_value *e = lm_json_first(m); e; e = lm_json_next(e)) {
                if (lm_json_type_of(e) != LM_JSON_STRING) {
                    free(spans);
                    return lm_error_set(err, LM_ERR_CORRUPT,
                                        "%s: __metadata__ values must be strings", path);
                }
            }
            st->metadata = m;
            continue;
        }
        lm_st_tensor *t = &st->tensors[st->n_tensors];
        span *s = &spans[st->n_tensors];
        rc = parse_entry(path, name, m, t, data_len, &s->begin, &s->end, err);
        if (rc != LM_OK) {
            free(spans);
            return rc;
        }
        t->data = data + s->begin;
        s->idx = st->n_tensors++;
    }
    /* The tensors must tile the data region: sorted by offset, each starts
     * where the previous ended and the last ends at the end of the file. */
    qsort(spans, st->n_tensors, sizeof *spans, cmp_span);
    uint64_t at = 0;
    for (size_t i = 0; i < st->n_tensors; i++) {
        if (spans[i].begin != at) {
            const char *what = spans[i].begin < at ? "overlaps the tensor before it"
                                                   : "leaves a gap before it";
            lm_error_set(err, LM_ERR_CORRUPT, "%s: tensor \"%s\" %s (offset %llu)", path,
                         st->tensors[spans[i].idx].name, what,
                         (unsigned long long)spans[i].begin);
            free(spans);
            return LM_ERR_CORRUPT;
        }
        at = spans[i].end;
    }
    free(spans);
    if (at != data_len)
        return lm_error_set(err, LM_ERR_CORRUPT,
                            "%s: %llu bytes after the last tensor are not described by the header",
                            path, (unsigned long long)(data_len - at));
    return LM_OK;
}

lm_status lm_safetensors_open(lm_safetensors **out, const char *path, lm_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lm_error_set(err, errno == ENOENT ? LM_ERR_NOTFOUND : LM_ERR_IO, "%s: %s", path,
                            strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return lm_error_set(err, LM_ERR_IO, "%s: not a regular file", path);
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (size < 8 || size > SIZE_MAX) {
        close(fd);
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: %llu bytes is too short for safetensors",
                            path, (unsigned long long)size);
    }
    lm_safetensors *st = calloc(1, sizeof *st);
    if (!st) {
        close(fd);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED) {
        free(st);
        return lm_error_set(err, LM_ERR_IO, "%s: mmap: %s", path, strerror(map_errno));
    }
    st->map = map;
    st->map_len = size;
    uint64_t hlen = le_u64(st->map);
    lm_status rc;
    if (hlen > MAX_HEADER_BYTES)
        rc = lm_error_set(err, LM_ERR_CORRUPT,
                          "%s: safetensors header length %llu exceeds 100 MB (not a safetensors "
                          "file?)",
                          path, (unsigned long long)hlen);
    else if (hlen > size - 8)
        rc = lm_error_set(err, LM_ERR_CORRUPT,
                          "%s: safetensors header of %llu bytes is longer than the file (truncated "
                          "download?)",
                          path, (unsigned long long)hlen);
    else if (hlen < 2 || st->map[8] != '{')
        rc = lm_error_set(err, LM_ERR_CORRUPT, "%s: safetensors header does not start with '{'",
                          path);
    else
        rc = parse_header(st, path, hlen, err);
    if (rc != LM_OK) {
        lm_safetensors_close(st);
        return rc;
    }
    *out = st;
    return LM_OK;
}

size_t lm_safetensors_count(const lm_safetensors *st)
{
    return st->n_tensors;
}

const lm_st_tensor *lm_safetensors_at(const lm_safetensors *st, size_t i)
{
    return i < st->n_tensors ? &st->tensors[i] : NULL;
}

const lm_st_tensor *lm_safetensors_find(const lm_safetensors *st, const char *name)
{
    for (size_t i = 0; i < st->n_tensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0)
            return &st->tensors[i];
    return NULL;
}

const char *lm_safetensors_metadata(const lm_safetensors *st, const char *key)
{
    return lm_json_get_str(st->metadata, key, NULL);
}

uint64_t lm_safetensors_file_size(const lm_safetensors *st)
{
    return st->map_len;
}

float lm_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    uint32_t bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (man << 13);   /* inf / NaN */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {
        /* Subnormal half: normalise into a float. */
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float lm_bf16_to_f32(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

lm_status lm_safetensors_read_f32(const lm_st_tensor *t, float *out, lm_error *err)
{
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case LM_ST_F32:
        memcpy(out, p, (size_t)t->n_bytes);   /* the file is little-endian, as x86 and arm64 */
        return LM_OK;
    case LM_ST_F16:
        for (uint64_t i = 0; i < t->n_elems; i++)
            out[i] = lm_f16_to_f32(le_u16(p + 2 * i));
        return LM_OK;
    case LM_ST_BF16:
        for (uint64_t i = 0; i < t->n_elems; i++)
            out[i] = lm_bf16_to_f32(le_u16(p + 2 * i));
        return LM_OK;
    default:
        return lm_error_set(err, LM_ERR_FORMAT,
                            "tensor \"%s\" has dtype %s; litmine reads F32, F16 and BF16", t->name,
                            lm_st_dtype_name(t->dtype));
    }
}
