/*
 * Vocabulary storage (see lm_vocab.h).
 *
 * Token bytes live in one blob; `tok_off[id]` is an offset into it.  The
 * hash tables store ids; a probe compares the candidate's bytes.  A second
 * table indexes the "##" continuation pieces by what follows "##", so
 * WordPiece looks them up without building "##" + piece strings.  For
 * vocab.txt a later duplicate line takes over the token, as the reference
 * tokenizers' dictionaries do (the earlier id keeps its string, so
 * id -> token still works for both).
 */
#include "lm_vocab.h"

#include "../../util/lm_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define NO_TOKEN UINT32_MAX

struct lm_vocab {
    char *blob;
    size_t blob_len, blob_cap;
    uint32_t *tok_off;      /* per id: offset in blob, NO_TOKEN when unused */
    uint32_t *tok_len;
    size_t n_ids, ids_cap;
    int32_t *table;         /* ids, -1 = empty */
    int32_t *cont;          /* ids of "##..." tokens, hashed without "##" */
    size_t table_cap;       /* power of two, for both tables */
    size_t max_len;
};

static size_t probe_start(const char *s, size_t n, size_t cap)
{
    return (size_t)XXH3_64bits(s, n) & (cap - 1);
}

/* Looks s[0..n) up in table t, comparing against tokens minus skip
 * leading bytes (2 for the "##" table). */
static int32_t find_in(const lm_vocab *v, const int32_t *t, size_t skip, const char *s, size_t n)
{
    size_t mask = v->table_cap - 1;
    for (size_t i = probe_start(s, n, v->table_cap);; i = (i + 1) & mask) {
        int32_t id = t[i];
        if (id < 0)
            return -1;
        if (v->tok_len[id] == n + skip && memcmp(v->blob + v->tok_off[id] + skip, s, n) == 0)
            return id;
    }
}

int32_t lm_vocab_find(const lm_vocab *v, const char *s, size_t n)
{
    return find_in(v, v->table, 0, s, n);
}

int32_t lm_vocab_find_cont(const lm_vocab *v, const char *s, size_t n)
{
    return find_in(v, v->cont, 2, s, n);
}

const char *lm_vocab_token(const lm_vocab *v, int32_t id)
{
    if (id < 0 || (size_t)id >= v->n_ids || v->tok_off[id] == NO_TOKEN)
        return NULL;
    return v->blob + v->tok_off[id];
}

size_t lm_vocab_size(const lm_vocab *v)
{
    return v->n_ids;
}

size_t lm_vocab_max_len(const lm_vocab *v)
{
    return v->max_len;
}

void lm_vocab_free(lm_vocab *v)
{
    if (!v)
        return;
    free(v->blob);
    free(v->tok_off);
    free(v->tok_len);
    free(v->table);
    free(v->cont);
    free(v);
}

/* Records token s[0..n) under id (ids may arrive in any order). */
static lm_status add_token(lm_vocab *v, int64_t id, const char *s, size_t n, lm_error *err)
{
    if (id < 0 || id >= LM_VOCAB_MAX_IDS)
        return lm_error_set(err, LM_ERR_FORMAT, "token id %lld out of range", (long long)id);
    if (n >= UINT32_MAX / 2 || v->blob_len + n + 1 > UINT32_MAX)
        return lm_error_set(err, LM_ERR_FORMAT, "vocabulary too large");
    if ((size_t)id >= v->ids_cap) {
        size_t cap = v->ids_cap ? v->ids_cap : 1024;
        while (cap <= (size_t)id)
            cap *= 2;
        uint32_t *off = realloc(v->tok_off, cap * sizeof *off);
        if (!off)
            return lm_error_nomem(err, "loading a vocabulary");
        v->tok_off = off;
        uint32_t *len = realloc(v->tok_len, cap * sizeof *len);
        if (!len)
            return lm_error_nomem(err, "loading a vocabulary");
        v->tok_len = len;
        for (size_t i = v->ids_cap; i < cap; i++)
            v->tok_off[i] = NO_TOKEN;
        v->ids_cap = cap;
    }
    if ((size_t)id >= v->n_ids)
        v->n_ids = (size_t)id + 1;
    if (v->tok_off[id] != NO_TOKEN)
        return lm_error_set(err, LM_ERR_FORMAT, "token id %lld used twice", (long long)id);
    if (v->blob_len + n + 1 > v->blob_cap) {
        size_t cap = v->blob_cap ? v->blob_cap : 4096;
        while (cap < v->blob_len + n + 1)
            cap *= 2;
        char *b = realloc(v->blob, cap);
        if (!b)
            return lm_error_nomem(err, "loading a vocabulary");
        v->blob = b;
        v->blob_cap = cap;
    }
    memcpy(v->blob + v->blob_len, s, n);
    v->blob[v->blob_len + n] = '\0';
    v->tok_off[id] = (uint32_t)v->blob_len;
    v->tok_len[id] = (uint32_t)n;
    v->blob_len += n + 1;
    if (n > v->max_len)
        v->max_len = n;
    return LM_OK;
}

/* Puts id into table t under its bytes minus skip leading bytes.  A token
 * seen twice maps to the later id when later_wins, else it is an error. */
static lm_status insert(lm_vocab *v, int32_t *t, size_t skip, int32_t id, int later_wins,
                        const char *path, lm_error *err)
{
    const char *s = v->blob + v->tok_off[id] + skip;
    size_t len = v->tok_len[id] - skip, mask = v->table_cap - 1;
    for (size_t i = probe_start(s, len, v->table_cap);; i = (i + 1) & mask) {
        int32_t other = t[i];
        if (other < 0) {
            t[i] = id;
            return LM_OK;
        }
        if (v->tok_len[other] == len + skip &&
            memcmp(v->blob + v->tok_off[other] + skip, s, len) == 0) {
            if (!later_wins)
                return lm_error_set(err, LM_ERR_FORMAT, "%s: token \"%.60s\" appears twice", path,
                                    v->blob + v->tok_off[id]);
            t[i] = id;   /* ids ascend: this one is later */
            return LM_OK;
        }
    }
}

static lm_status build_tables(lm_vocab *v, int later_wins, const char *path, lm_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_ids; i++)
        n += v->tok_off[i] != NO_TOKEN;
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    v->table = malloc(cap * sizeof *v->table);
    v->cont = malloc(cap * sizeof *v->cont);
    if (!v->table || !v->cont)
        return lm_error_nomem(err, "loading a vocabulary");
    memset(v->table, 0xFF, cap * sizeof *v->table);
    memset(v->cont, 0xFF, cap * sizeof *v->cont);
    v->table_cap = cap;
    for (size_t id = 0; id < v->n_ids; id++) {
        if (v->tok_off[id] == NO_TOKEN)
            continue;
        lm_status st = insert(v, v->table, 0, (int32_t)id, later_wins, path, err);
        if (st == LM_OK && v->tok_len[id] >= 2 && memcmp(v->blob + v->tok_off[id], "##", 2) == 0)
            st = insert(v, v->cont, 2, (int32_t)id, 1, path, err);
        if (st != LM_OK)
            return st;
    }
    return LM_OK;
}

lm_status lm_vocab_load_txt(lm_vocab **out, const char *path, lm_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, errno == ENOENT ? LM_ERR_NOTFOUND : LM_ERR_IO, "%s: %s", path,
                            strerror(errno));
    lm_vocab *v = calloc(1, sizeof *v);
    if (!v) {
        fclose(f);
        return lm_error_nomem(err, "loading a vocabulary");
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int64_t id = 0;
    lm_status st = LM_OK;
    while ((got = getline(&line, &cap, f)) >= 0) {
        size_t n = (size_t)got;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if ((st = add_token(v, id++, line, n, err)) != LM_OK)
            break;
    }
    if (st == LM_OK && ferror(f))
        st = lm_error_set(err, LM_ERR_IO, "%s: read failed", path);
    free(line);
    fclose(f);
    if (st == LM_OK && id == 0)
        st = lm_error_set(err, LM_ERR_FORMAT, "%s: empty vocabulary", path);
    if (st == LM_OK)
        st = build_tables(v, 1, path, err);
    if (st != LM_OK) {
        if (st != LM_ERR_NOMEM && !strstr(err ? err->msg : "", path))
            lm_error_wrap(err, "%s", path);
        lm_vocab_free(v);
        return st;
    }
    *out = v;
    return LM_OK;
}

lm_status lm_vocab_load_json(lm_vocab **out, const char *path, lm_error *err)
{
    *out = NULL;
    lm_json *doc;
    lm_status st = lm_json_parse_file(&doc, path, NULL, err);
    if (st != LM_OK)
        return st;
    const lm_json_value *root = lm_json_root(doc);
    lm_vocab *v = calloc(1, sizeof *v);
    if (!v) {
        lm_json_free(doc);
        return lm_error_nomem(err, "loading a vocabulary");
    }
    if (lm_json_type_of(root) != LM_JSON_OBJECT || lm_json_count(root) == 0)
        st = lm_error_set(err, LM_ERR_FORMAT, "%s: not a JSON object of token ids", path);
    for (const lm_json_value *m = lm_json_first(root); st == LM_OK && m; m = lm_json_next(m)) {
        size_t n;
        const char *tok = lm_json_key(m, &n);
        int64_t id;
        if (!lm_json_int64(m, &id))
            st = lm_error_set(err, LM_ERR_FORMAT, "%s: id of \"%.60s\" is not an integer", path,
                              tok);
        else if ((st = add_token(v, id, tok, n, err)) != LM_OK)
            lm_error_wrap(err, "%s", path);
    }
    lm_json_free(doc);
    if (st == LM_OK)
        st = build_tables(v, 0, path, err);
    if (st != LM_OK) {
        lm_vocab_free(v);
        return st;
    }
    *out = v;
    return LM_OK;
}
