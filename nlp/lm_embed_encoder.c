/*
 * A transformer encoder as the embedder (see lm_embed_encoder.h).  Vectors
 * are always made unit-length here, whatever the model's sentence-
 * transformers modules say: the store scores by inner product and calls
 * it cosine, as it does for LSA vectors.
 */
#include "lm_embed_encoder.h"

#include "../util/lm_json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_FORMAT 1

struct lm_embed_encoder {
    lm_encoder *enc;
    char *dir;                  /* absolute */
    lm_encoder_pooling pooling;
    char content_id[65];        /* "" until computed */
    char fingerprint[65];
};

static const char *pooling_name(lm_encoder_pooling p)
{
    return p == LM_ENC_POOL_CLS ? "cls" : "mean";
}

void lm_embed_encoder_free(lm_embed_encoder *e)
{
    if (!e)
        return;
    lm_encoder_free(e->enc);
    free(e->dir);
    free(e);
}

lm_status lm_embed_encoder_open(lm_embed_encoder **out, const char *dir, const char *pooling,
                                lm_error *err)
{
    return lm_embed_encoder_open_as(out, dir, pooling, NULL, err);
}

lm_status lm_embed_encoder_open_as(lm_embed_encoder **out, const char *dir, const char *pooling,
                                   const char *precision, lm_error *err)
{
    *out = NULL;
    lm_encoder_options opt = {0};
    if (lm_encoder_precision_option(&opt, precision, "[embed] precision", err) != LM_OK)
        return err->code;
    lm_encoder_pooling want = LM_ENC_POOL_DEFAULT;
    if (pooling && *pooling) {
        if (strcmp(pooling, "mean") == 0)
            want = LM_ENC_POOL_MEAN;
        else if (strcmp(pooling, "cls") == 0)
            want = LM_ENC_POOL_CLS;
        else
            return lm_error_set(err, LM_ERR_USAGE, "[embed] pooling \"%s\": use mean or cls",
                                pooling);
    }
    lm_embed_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return lm_error_nomem(err, "loading the embedding model");
    /* Loaded from its canonical path, so that the fingerprint (which
     * covers the files' paths) is the same from any working directory. */
    e->dir = realpath(dir, NULL);
    lm_status st = e->dir ? lm_encoder_load(&e->enc, e->dir, &opt, err)
                          : lm_error_set(err, LM_ERR_IO, "%s: %s", dir, strerror(errno));
    if (st == LM_OK) {
        const lm_encoder_info *info = lm_encoder_get_info(e->enc);
        e->pooling = want != LM_ENC_POOL_DEFAULT ? want : info->pooling;
        if (e->pooling == LM_ENC_POOL_DEFAULT)
            e->pooling = LM_ENC_POOL_MEAN;
        if (e->pooling == LM_ENC_POOL_UNSUPPORTED)
            st = lm_error_set(err, LM_ERR_USAGE,
                              "%s: the model asks for %s pooling, which litmine lacks; set "
                              "[embed] pooling = mean or cls",
                              dir, info->pooling_name ? info->pooling_name : "another");
    }
    if (st == LM_OK)
        st = lm_encoder_fingerprint(e->enc, e->fingerprint, err);
    if (st != LM_OK) {
        lm_embed_encoder_free(e);
        return st;
    }
    *out = e;
    return LM_OK;
}

const lm_encoder *lm_embed_encoder_model(const lm_embed_encoder *e)
{
    return e->enc;
}

int lm_embed_encoder_dim(const lm_embed_encoder *e)
{
    return lm_encoder_get_info(e->enc)->hidden;
}

const char *lm_embed_encoder_dir(const lm_embed_encoder *e)
{
    return e->dir;
}

const char *lm_embed_encoder_pooling(const lm_embed_encoder *e)
{
    return pooling_name(e->pooling);
}

static lm_status content_id(lm_embed_encoder *e, lm_error *err)
{
    if (e->content_id[0])
        return LM_OK;
    lm_status st = lm_encoder_content_id(e->enc, e->content_id, err);
    if (st != LM_OK)
        e->content_id[0] = '\0';
    return st;
}

lm_status lm_embed_encoder_record(lm_embed_encoder *e, lm_buf *out, lm_error *err)
{
    lm_status st = content_id(e, err);
    if (st != LM_OK)
        return st;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return lm_error_nomem(err, "writing the encoder record");
    const lm_encoder_info *info = lm_encoder_get_info(e->enc);
    lm_json_writer w;
    lm_json_writer_init(&w, f);
    lm_json_begin_object(&w);
    lm_json_member_int(&w, "format", RECORD_FORMAT);
    lm_json_member_str(&w, "dir", e->dir);
    lm_json_member_str(&w, "content_id", e->content_id);
    lm_json_member_str(&w, "fingerprint", e->fingerprint);
    lm_json_member_str(&w, "pooling", pooling_name(e->pooling));
    lm_json_member_int(&w, "dim", info->hidden);
    lm_json_member_str(&w, "model_type", info->model_type);
    lm_json_end_object(&w);
    int bad = fclose(f) != 0;
    if (!bad)
        bad = lm_buf_append(out, text, len) != LM_OK;
    free(text);
    return bad ? lm_error_nomem(err, "writing the encoder record") : LM_OK;
}

typedef struct record {
    lm_json *doc;
    const char *dir, *content_id, *fingerprint, *pooling;
    int64_t dim;
} record;

static lm_status record_parse(record *r, const void *data, size_t len, lm_error *err)
{
    memset(r, 0, sizeof *r);
    lm_error ignored;
    if (!data || lm_json_parse(&r->doc, data, len, NULL, "encoder record", &ignored) != LM_OK)
        return lm_error_set(err, LM_ERR_CORRUPT, "the stored encoder record is not JSON");
    const lm_json_value *root = lm_json_root(r->doc);
    r->dir = lm_json_get_str(root, "dir", NULL);
    r->content_id = lm_json_get_str(root, "content_id", NULL);
    r->fingerprint = lm_json_get_str(root, "fingerprint", "");
    r->pooling = lm_json_get_str(root, "pooling", NULL);
    r->dim = lm_json_get_int(root, "dim", 0);
    if (lm_json_get_int(root, "format", 0) != RECORD_FORMAT || !r->dir || !r->content_id ||
        !r->pooling || r->dim <= 0) {
        lm_json_free(r->doc);
        r->doc = NULL;
        return lm_error_set(err, LM_ERR_CORRUPT, "the stored encoder record is incomplete");
    }
    return LM_OK;
}

static lm_status record_matches(lm_embed_encoder *e, const record *r, int *same, lm_error *err)
{
    *same = 0;
    if (strcmp(r->pooling, pooling_name(e->pooling)) != 0 ||
        r->dim != lm_embed_encoder_dim(e))
        return LM_OK;
    if (strcmp(r->fingerprint, e->fingerprint) == 0 && strcmp(r->dir, e->dir) == 0) {
        *same = 1;
        return LM_OK;
    }
    lm_status st = content_id(e, err);
    if (st == LM_OK)
        *same = strcmp(r->content_id, e->content_id) == 0;
    return st;
}

lm_status lm_embed_encoder_matches(lm_embed_encoder *e, const void *data, size_t len, int *same,
                                   lm_error *err)
{
    record r;
    lm_status st = record_parse(&r, data, len, err);
    if (st == LM_OK)
        st = record_matches(e, &r, same, err);
    lm_json_free(r.doc);
    return st;
}

lm_status lm_embed_encoder_open_record(lm_embed_encoder **out, const void *data, size_t len,
                                       lm_error *err)
{
    *out = NULL;
    record r;
    lm_status st = record_parse(&r, data, len, err);
    lm_embed_encoder *e = NULL;
    if (st == LM_OK) {
        st = lm_embed_encoder_open(&e, r.dir, r.pooling, err);
        if (st != LM_OK)
            lm_error_wrap(err, "the encoder the vectors were made with");
    }
    int same = 0;
    if (st == LM_OK)
        st = record_matches(e, &r, &same, err);
    if (st == LM_OK && !same)
        st = lm_error_set(err, LM_ERR_USAGE,
                          "%s no longer holds the model the vectors were made with (content "
                          "id %.8s); run `litmine index build` to embed the articles again",
                          r.dir, r.content_id);
    lm_json_free(r.doc);
    if (st != LM_OK) {
        lm_embed_encoder_free(e);
        return st;
    }
    *out = e;
    return LM_OK;
}

void lm_embed_encoder_describe(const void *data, size_t len, char *buf, size_t cap)
{
    record r;
    lm_error ignored;
    if (record_parse(&r, data, len, &ignored) != LM_OK) {
        snprintf(buf, cap, "an unreadable encoder record");
        return;
    }
    snprintf(buf, cap, "%s (content id %.8s, %s pooling, %lld dimensions)", r.dir, r.content_id,
             r.pooling, (long long)r.dim);
    lm_json_free(r.doc);
}

lm_status lm_embed_encoder_texts(const lm_embed_encoder *e, lm_encoder_ws *ws,
                                 const char *const *texts, const size_t *lens, size_t n,
                                 float *out, lm_error *err)
{
    lm_status st = lm_encoder_embed(e->enc, ws, texts, lens, n, e->pooling, out, err);
    if (st != LM_OK)
        return st;
    int dim = lm_embed_encoder_dim(e);
    for (size_t i = 0; i < n; i++) {
        float *v = out + i * (size_t)dim;
        double ss = 0;
        for (int j = 0; j < dim; j++)
            ss += (double)v[j] * v[j];
        if (ss > 0 && isfinite(ss)) {
            float inv = (float)(1.0 / sqrt(ss));
            for (int j = 0; j < dim; j++)
                v[j] *= inv;
        }
    }
    return LM_OK;
}

lm_status lm_embed_encoder_article_text(const char *title, const char *abstract, lm_buf *out,
                                        lm_error *err)
{
    if (lm_buf_append_str(out, title ? title : "") != LM_OK ||
        lm_buf_append_char(out, ' ') != LM_OK ||
        lm_buf_append_str(out, abstract ? abstract : "") != LM_OK)
        return lm_error_nomem(err, "embedding an article");
    return LM_OK;
}
