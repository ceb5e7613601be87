/*
 * Loading a model directory (see lm_encoder.h): configuration, tokenizer,
 * weights, labels, sentence-transformers settings.
 *
 * Every value read from a file is checked before it sizes anything: the
 * dimensions are bounded, the head count divides the hidden size, every
 * tensor must have exactly the shape the configuration implies, and label
 * ids must be 0..n-1.  An unsupported configuration names the key and the
 * value (position_embedding_type "relative_key", model_type "electra") so
 * that the user knows what to look for.
 *
 * Weight names follow the Hugging Face classes: "bert." / "roberta." /
 * "distilbert." prefixes for task models and none for bare encoders
 * (sentence-transformers saves those), LayerNorm "weight"/"bias" or the
 * older "gamma"/"beta".  Weights are used in place when the file holds
 * aligned F32, else converted to F32 once here; Q, K and V are copied
 * into one fused matrix.
 */
#include "lm_encoder_impl.h"

#include "../../util/lm_json.h"
#include "../../util/lm_sha256.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DIM 65536
#define MAX_LAYERS 256
#define MAX_LABELS 4096
#define CONFIG_MAX_BYTES ((size_t)4 << 20)

/* ---- ownership ------------------------------------------------------------ */

static void *own(lm_encoder *e, void *p)
{
    if (!p)
        return NULL;
    if (e->n_owned == e->cap_owned) {
        size_t cap = e->cap_owned ? e->cap_owned * 2 : 64;
        void **o = realloc(e->owned, cap * sizeof *o);
        if (!o) {
            free(p);
            return NULL;
        }
        e->owned = o;
        e->cap_owned = cap;
    }
    e->owned[e->n_owned++] = p;
    return p;
}

static char *own_str(lm_encoder *e, const char *s)
{
    return own(e, strdup(s ? s : ""));
}

void lm_encoder_free(lm_encoder *e)
{
    if (!e)
        return;
    for (int i = 0; e->layers && i < e->info.n_layers; i++) {
        enc_layer *L = &e->layers[i];
        lm_bf16_weights_free(&L->qkv.packed);
        lm_bf16_weights_free(&L->attn_out.packed);
        lm_bf16_weights_free(&L->ffn_in.packed);
        lm_bf16_weights_free(&L->ffn_out.packed);
    }
    for (size_t i = 0; i < e->n_owned; i++)
        free(e->owned[i]);
    free(e->owned);
    lm_vocab_free(e->vocab);
    lm_bpe_free(e->bpe);
    lm_safetensors_close(e->st);
    free(e);
}

const lm_encoder_info *lm_encoder_get_info(const lm_encoder *e)
{
    return &e->info;
}

/* ---- files ---------------------------------------------------------------- */

static char *path_in(lm_encoder *e, const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return own(e, p);
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Records a file for the content id. */
static lm_status note_file(lm_encoder *e, const char *path, lm_error *err)
{
    if (e->n_files == sizeof e->files / sizeof e->files[0])
        return lm_error_set(err, LM_ERR_FORMAT, "too many model files");
    e->files[e->n_files++] = path;
    return LM_OK;
}

/* Parses an optional JSON file of the directory: *doc NULL when absent. */
static lm_status read_json(lm_encoder *e, const char *dir, const char *name, int required,
                           lm_json **doc, lm_error *err)
{
    *doc = NULL;
    char *path = path_in(e, dir, name);
    if (!path)
        return lm_error_nomem(err, "loading the model");
    if (!file_exists(path)) {
        if (!required)
            return LM_OK;
        return lm_error_set(err, LM_ERR_NOTFOUND, "%s: no %s (not a Hugging Face model directory?)",
                            dir, name);
    }
    lm_json_limits lim = {.max_bytes = CONFIG_MAX_BYTES};
    lm_status st = lm_json_parse_file(doc, path, &lim, err);
    if (st != LM_OK)
        return st;
    lm_json_type want = strcmp(name, "modules.json") == 0 ? LM_JSON_ARRAY : LM_JSON_OBJECT;
    if (lm_json_type_of(lm_json_root(*doc)) != want) {
        lm_json_free(*doc);
        *doc = NULL;
        return lm_error_set(err, LM_ERR_FORMAT, "%s: not a JSON %s", path, lm_json_type_name(want));
    }
    return note_file(e, path, err);
}

/* ---- configuration --------------------------------------------------------- */

/* An integer setting within [lo, hi]; def < lo means required. */
static lm_status get_dim(const lm_json_value *cfg, const char *key, int64_t def, int64_t lo,
                         int64_t hi, int *out, const char *file, lm_error *err)
{
    const lm_json_value *v = lm_json_get(cfg, key);
    int64_t x;
    if (!v) {
        if (def < lo)
            return lm_error_set(err, LM_ERR_FORMAT, "%s: missing \"%s\"", file, key);
        *out = (int)def;
        return LM_OK;
    }
    if (!lm_json_int64(v, &x) || x < lo || x > hi)
        return lm_error_set(err, LM_ERR_FORMAT, "%s: \"%s\" must be an integer in [%lld, %lld]",
                            file, key, (long long)lo, (long long)hi);
    *out = (int)x;
    return LM_OK;
}

static lm_status parse_act(lm_encoder *e, const char *act, const char *file, lm_error *err)
{
    static const struct {
        const char *name;
        enc_act act;
    } acts[] = {
        {"gelu", ACT_GELU}, {"gelu_new", ACT_GELU_TANH}, {"gelu_pytorch_tanh", ACT_GELU_TANH},
        {"gelu_fast", ACT_GELU_TANH}, {"quick_gelu", ACT_QUICK_GELU}, {"relu", ACT_RELU},
        {"silu", ACT_SILU}, {"swish", ACT_SILU},
    };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        if (strcmp(act, acts[i].name) == 0) {
            e->act = acts[i].act;
            e->info.hidden_act = own_str(e, act);
            return e->info.hidden_act ? LM_OK : lm_error_nomem(err, "loading the model");
        }
    }
    return lm_error_set(err, LM_ERR_FORMAT,
                        "%s: hidden activation \"%.40s\" is not supported (litmine runs gelu, "
                        "gelu_new, gelu_pytorch_tanh, gelu_fast, quick_gelu, relu, silu)",
                        file, act);
}

static lm_status parse_config(lm_encoder *e, const lm_json_value *c, const char *file,
                              lm_error *err)
{
    lm_encoder_info *in = &e->info;
    const char *mt = lm_json_get_str(c, "model_type", NULL);
    if (!mt)
        return lm_error_set(err, LM_ERR_FORMAT, "%s: no \"model_type\"", file);
    if (strcmp(mt, "bert") == 0)
        e->family = FAM_BERT;
    else if (strcmp(mt, "roberta") == 0)
        e->family = FAM_ROBERTA;
    else if (strcmp(mt, "distilbert") == 0)
        e->family = FAM_DISTILBERT;
    else
        return lm_error_set(err, LM_ERR_FORMAT,
                            "%s: model_type \"%.40s\" is not supported (litmine runs bert, "
                            "roberta and distilbert)",
                            file, mt);
    in->model_type = own_str(e, mt);
    const lm_json_value *arch = lm_json_get(c, "architectures");
    in->architecture = own_str(e, lm_json_str(lm_json_at(arch, 0), NULL));
    if (!in->model_type || !in->architecture)
        return lm_error_nomem(err, "loading the model");
    if (lm_json_get_bool(c, "is_decoder", 0) || lm_json_get_bool(c, "add_cross_attention", 0))
        return lm_error_set(err, LM_ERR_FORMAT,
                            "%s: decoder configurations (is_decoder, add_cross_attention) are not "
                            "supported",
                            file);
    lm_status st;
    if (e->family == FAM_DISTILBERT) {
        if ((st = get_dim(c, "dim", 768, 1, MAX_DIM, &in->hidden, file, err)) ||
            (st = get_dim(c, "n_layers", 6, 1, MAX_LAYERS, &in->n_layers, file, err)) ||
            (st = get_dim(c, "n_heads", 12, 1, MAX_DIM, &in->n_heads, file, err)) ||
            (st = get_dim(c, "hidden_dim", 3072, 1, 4 * MAX_DIM, &in->intermediate, file, err)) ||
            (st = get_dim(c, "max_position_embeddings", 512, 1, MAX_DIM, &in->max_positions,
                          file, err)) ||
            (st = get_dim(c, "vocab_size", 30522, 1, LM_VOCAB_MAX_IDS, &in->vocab_size, file,
                          err)))
            return st;
        in->type_vocab_size = 0;
        in->layer_norm_eps = 1e-12;   /* fixed in DistilBERT's code */
        st = parse_act(e, lm_json_get_str(c, "activation", "gelu"), file, err);
    } else {
        if ((st = get_dim(c, "hidden_size", -1, 1, MAX_DIM, &in->hidden, file, err)) ||
            (st = get_dim(c, "num_hidden_layers", -1, 1, MAX_LAYERS, &in->n_layers, file, err)) ||
            (st = get_dim(c, "num_attention_heads", -1, 1, MAX_DIM, &in->n_heads, file, err)) ||
            (st = get_dim(c, "intermediate_size", -1, 1, 4 * MAX_DIM, &in->intermediate, file,
                          err)) ||
            (st = get_dim(c, "max_position_embeddings", 512, 1, MAX_DIM, &in->max_positions,
                          file, err)) ||
            (st = get_dim(c, "type_vocab_size", 2, 0, 1024, &in->type_vocab_size, file, err)) ||
            (st = get_dim(c, "vocab_size", -1, 1, LM_VOCAB_MAX_IDS, &in->vocab_size, file, err)))
            return st;
        in->layer_norm_eps = lm_json_get_double(c, "layer_norm_eps", 1e-12);
        if (!(in->layer_norm_eps > 0 && in->layer_norm_eps < 1))
            return lm_error_set(err, LM_ERR_FORMAT, "%s: layer_norm_eps must be in (0, 1)", file);
        const char *pet = lm_json_get_str(c, "position_embedding_type", "absolute");
        if (strcmp(pet, "absolute") != 0)
            return lm_error_set(err, LM_ERR_FORMAT,
                                "%s: position_embedding_type \"%.40s\" is not supported (only "
                                "\"absolute\")",
                                file, pet);
        st = parse_act(e, lm_json_get_str(c, "hidden_act", "gelu"), file, err);
        if (e->family == FAM_ROBERTA) {
            int pad;
            if ((st = get_dim(c, "pad_token_id", 1, 0, MAX_DIM, &pad, file, err)) != LM_OK)
                return st;
            e->pos_offset = pad + 1;
        }
    }
    if (st != LM_OK)
        return st;
    if (in->hidden % in->n_heads != 0)
        return lm_error_set(err, LM_ERR_FORMAT, "%s: %d attention heads do not divide hidden size %d",
                            file, in->n_heads, in->hidden);
    if (e->pos_offset >= in->max_positions)
        return lm_error_set(err, LM_ERR_FORMAT, "%s: pad_token_id leaves no positions", file);
    e->head_dim = in->hidden / in->n_heads;
    e->eps = (float)in->layer_norm_eps;
    return LM_OK;
}

/* id2label as an array; its size is the head's output count. */
static lm_status parse_labels(lm_encoder *e, const lm_json_value *c, const char *file,
                              lm_error *err)
{
    const lm_json_value *map = lm_json_get(c, "id2label");
    size_t n = lm_json_count(map);
    if (lm_json_type_of(map) != LM_JSON_OBJECT || n == 0)
        return LM_OK;
    if (n > MAX_LABELS)
        return lm_error_set(err, LM_ERR_FORMAT, "%s: %zu labels is too many", file, n);
    e->labels = own(e, calloc(n, sizeof *e->labels));
    if (!e->labels)
        return lm_error_nomem(err, "loading the model");
    for (const lm_json_value *m = lm_json_first(map); m; m = lm_json_next(m)) {
        const char *key = lm_json_key(m, NULL);
        char *end;
        errno = 0;
        long id = strtol(key, &end, 10);
        const char *name = lm_json_str(m, NULL);
        if (*key == '\0' || *end != '\0' || errno || id < 0 || (size_t)id >= n || !name)
            return lm_error_set(err, LM_ERR_FORMAT,
                                "%s: id2label must map \"0\"..\"%zu\" to label names", file, n - 1);
        if (e->labels[id])
            return lm_error_set(err, LM_ERR_FORMAT, "%s: label id %ld given twice", file, id);
        if (!(e->labels[id] = own_str(e, name)))
            return lm_error_nomem(err, "loading the model");
    }
    e->info.n_labels = (int)n;
    e->info.labels = (const char *const *)e->labels;
    /* Entity groups and the role of every label: "B-Chemical" begins a
     * Chemical mention, "O" is outside.  BIO as the Hugging Face
     * pipeline reads it; L-/U- (BILOU) and E-/S- (BIOES) close a mention. */
    e->groups = own(e, calloc(n, sizeof *e->groups));
    e->label_kind = own(e, calloc(n, sizeof *e->label_kind));
    e->label_group = own(e, calloc(n, sizeof *e->label_group));
    if (!e->groups || !e->label_kind || !e->label_group)
        return lm_error_nomem(err, "loading the model");
    for (size_t i = 0; i < n; i++) {
        const char *l = e->labels[i];
        label_kind k = LK_INSIDE;
        const char *g = l;
        if (strcmp(l, "O") == 0) {
            k = LK_OUTSIDE;
        } else if (strlen(l) > 2 && (l[1] == '-' || l[1] == '_') &&
                   strchr("BIULESbiules", l[0])) {
            /* Some fine-tunes write b-chem or B_Gene: the prefix's case
             * and separator do not matter. */
            char p = (char)(l[0] & ~0x20);
            k = p == 'B' ? LK_BEGIN : p == 'I' ? LK_INSIDE : (p == 'L' || p == 'E') ? LK_LAST : LK_UNIT;
            g = l + 2;
        }
        e->label_kind[i] = k;
        e->label_group[i] = -1;
        if (k == LK_OUTSIDE)
            continue;
        for (int j = 0; j < e->info.n_groups; j++)
            if (strcmp(e->groups[j], g) == 0)
                e->label_group[i] = j;
        if (e->label_group[i] < 0) {
            if (!(e->groups[e->info.n_groups] = own_str(e, g)))
                return lm_error_nomem(err, "loading the model");
            e->label_group[i] = e->info.n_groups++;
        }
    }
    e->info.groups = (const char *const *)e->groups;
    return LM_OK;
}

/* A special token setting: a string, or {"content": "..."} (AddedToken). */
static const char *special_token(const lm_json_value *tc, const lm_json_value *sm, const char *key,
                                 const char *def)
{
    const lm_json_value *docs[2] = {tc, sm};
    for (int i = 0; i < 2; i++) {
        const lm_json_value *v = lm_json_get(docs[i], key);
        const char *s = lm_json_str(v, NULL);
        if (!s)
            s = lm_json_get_str(v, "content", NULL);
        if (s)
            return s;
    }
    return def;
}

static lm_status special_id(lm_encoder *e, const char *tok, int32_t *out, lm_error *err)
{
    *out = lm_vocab_find(e->vocab, tok, strlen(tok));
    if (*out < 0)
        return lm_error_set(err, LM_ERR_FORMAT, "%s: special token \"%.40s\" is not in the vocabulary",
                            e->info.dir, tok);
    return LM_OK;
}

static lm_status load_tokenizer(lm_encoder *e, const char *dir, lm_error *err)
{
    lm_json *tc_doc = NULL, *sm_doc = NULL;
    lm_status st = read_json(e, dir, "tokenizer_config.json", 0, &tc_doc, err);
    if (st == LM_OK)
        st = read_json(e, dir, "special_tokens_map.json", 0, &sm_doc, err);
    const lm_json_value *tc = lm_json_root(tc_doc), *sm = lm_json_root(sm_doc);
    lm_encoder_info *in = &e->info;
    if (st == LM_OK && e->family == FAM_ROBERTA) {
        char *vj = path_in(e, dir, "vocab.json"), *mg = path_in(e, dir, "merges.txt");
        if (!vj || !mg) {
            st = lm_error_nomem(err, "loading the model");
        } else if (!file_exists(vj) || !file_exists(mg)) {
            st = lm_error_set(err, LM_ERR_NOTFOUND,
                              "%s: a RoBERTa model needs vocab.json and merges.txt (litmine does "
                              "not read tokenizer.json or SentencePiece models)",
                              dir);
        } else if ((st = lm_vocab_load_json(&e->vocab, vj, err)) == LM_OK &&
                   (st = lm_bpe_load(&e->bpe, e->vocab, mg, err)) == LM_OK &&
                   (st = note_file(e, vj, err)) == LM_OK && (st = note_file(e, mg, err)) == LM_OK) {
            in->tokenizer = "byte-level BPE";
            e->bpe_cfg.add_prefix_space = lm_json_get_bool(tc, "add_prefix_space", 0);
            e->bpe_cfg.trim_offsets = lm_json_get_bool(tc, "trim_offsets", 1);
            st = special_id(e, special_token(tc, sm, "cls_token", "<s>"), &e->cls_id, err);
            if (st == LM_OK)
                st = special_id(e, special_token(tc, sm, "sep_token", "</s>"), &e->sep_id, err);
            if (st == LM_OK)
                st = special_id(e, special_token(tc, sm, "pad_token", "<pad>"), &e->pad_id, err);
            e->unk_id = -1;
        }
    } else if (st == LM_OK) {
        char *vt = path_in(e, dir, "vocab.txt");
        if (!vt) {
            st = lm_error_nomem(err, "loading the model");
        } else if (!file_exists(vt)) {
            st = lm_error_set(err, LM_ERR_NOTFOUND,
                              "%s: no vocab.txt (litmine reads WordPiece vocabularies from "
                              "vocab.txt, not tokenizer.json)",
                              dir);
        } else if ((st = lm_vocab_load_txt(&e->vocab, vt, err)) == LM_OK &&
                   (st = note_file(e, vt, err)) == LM_OK) {
            in->tokenizer = "wordpiece";
            lm_wordpiece_config *w = &e->wp;
            w->lowercase = lm_json_get_bool(tc, "do_lower_case", 1);
            /* strip_accents null (absent) follows lower-casing */
            w->strip_accents = lm_json_get_bool(tc, "strip_accents", w->lowercase);
            w->chinese_chars = lm_json_get_bool(tc, "tokenize_chinese_chars", 1);
            w->clean_text = 1;
            w->max_chars_per_word = 100;
            st = special_id(e, special_token(tc, sm, "unk_token", "[UNK]"), &e->unk_id, err);
            if (st == LM_OK)
                st = special_id(e, special_token(tc, sm, "cls_token", "[CLS]"), &e->cls_id, err);
            if (st == LM_OK)
                st = special_id(e, special_token(tc, sm, "sep_token", "[SEP]"), &e->sep_id, err);
            if (st == LM_OK)
                st = special_id(e, special_token(tc, sm, "pad_token", "[PAD]"), &e->pad_id, err);
            w->unk_id = e->unk_id;
            in->lowercase = w->lowercase;
            in->strip_accents = w->strip_accents;
        }
    }
    if (st == LM_OK) {
        if ((int)lm_vocab_size(e->vocab) > in->vocab_size)
            st = lm_error_set(err, LM_ERR_FORMAT,
                              "%s: the tokenizer has %zu ids but config.json's vocab_size is %d",
                              dir, lm_vocab_size(e->vocab), in->vocab_size);
    }
    if (st == LM_OK) {
        /* The window: what the positions allow, and the tokenizer's
         * model_max_length when it is a real limit (unset ones are huge). */
        int limit = in->max_positions - e->pos_offset;
        double mml = lm_json_get_double(tc, "model_max_length", 0);
        if (mml >= 3 && mml < limit)
            limit = (int)mml;
        in->max_length = limit;
    }
    lm_json_free(tc_doc);
    lm_json_free(sm_doc);
    return st;
}

/* sentence-transformers: pooling, normalisation, max_seq_length. */
static lm_status load_sentence_transformers(lm_encoder *e, const char *dir, lm_error *err)
{
    lm_encoder_info *in = &e->info;
    in->pooling = LM_ENC_POOL_MEAN;
    in->pooling_name = "mean";
    in->embed_max_length = in->max_length;
    lm_json *doc;
    lm_status st = read_json(e, dir, "1_Pooling/config.json", 0, &doc, err);
    if (st != LM_OK)
        return st;
    if (doc) {
        const lm_json_value *p = lm_json_root(doc);
        static const struct {
            const char *key, *name;
            lm_encoder_pooling mode;
        } modes[] = {
            {"pooling_mode_cls_token", "cls", LM_ENC_POOL_CLS},
            {"pooling_mode_mean_tokens", "mean", LM_ENC_POOL_MEAN},
            {"pooling_mode_max_tokens", "max", LM_ENC_POOL_UNSUPPORTED},
            {"pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len", LM_ENC_POOL_UNSUPPORTED},
            {"pooling_mode_weightedmean_tokens", "weightedmean", LM_ENC_POOL_UNSUPPORTED},
            {"pooling_mode_lasttoken", "lasttoken", LM_ENC_POOL_UNSUPPORTED},
        };
        int n_on = 0;
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
            if (lm_json_get_bool(p, modes[i].key, 0)) {
                n_on++;
                in->pooling = modes[i].mode;
                in->pooling_name = modes[i].name;
            }
        }
        if (n_on > 1) {
            in->pooling = LM_ENC_POOL_UNSUPPORTED;
            in->pooling_name = "several concatenated";
        }
        lm_json_free(doc);
    }
    if ((st = read_json(e, dir, "sentence_bert_config.json", 0, &doc, err)) != LM_OK)
        return st;
    if (doc) {
        int64_t msl = lm_json_get_int(lm_json_root(doc), "max_seq_length", 0);
        if (msl >= 3 && msl < in->embed_max_length)
            in->embed_max_length = (int)msl;
        lm_json_free(doc);
    }
    if ((st = read_json(e, dir, "modules.json", 0, &doc, err)) != LM_OK)
        return st;
    if (doc) {
        const lm_json_value *mods = lm_json_root(doc);
        if (lm_json_type_of(mods) == LM_JSON_ARRAY) {
            for (const lm_json_value *m = lm_json_first(mods); m; m = lm_json_next(m)) {
                const char *type = lm_json_get_str(m, "type", "");
                if (strcmp(type, "sentence_transformers.models.Normalize") == 0)
                    in->normalize = 1;
                else if (strcmp(type, "sentence_transformers.models.Transformer") != 0 &&
                         strcmp(type, "sentence_transformers.models.Pooling") != 0)
                    e->unsupported_module = own_str(e, type);
            }
        }
        lm_json_free(doc);
    }
    return LM_OK;
}

/* ---- weights ---------------------------------------------------------------- */

typedef struct loader {
    lm_encoder *e;
    const char *prefix;
    int n_f32, n_f16, n_bf16;
} loader;

/* The tensor prefix + name (also trying LayerNorm's old gamma/beta), with
 * exactly the given shape (d1 0 for a vector); as F32 in memory. */
static lm_status tensor(loader *ld, const char *name, int d0, int d1, const float **out,
                        lm_error *err)
{
    lm_encoder *e = ld->e;
    char full[256];
    snprintf(full, sizeof full, "%s%s", ld->prefix, name);
    const lm_st_tensor *t = lm_safetensors_find(e->st, full);
    if (!t) {
        size_t n = strlen(full);
        char alt[256];
        if (n > 7 && strcmp(full + n - 7, ".weight") == 0)
            snprintf(alt, sizeof alt, "%.*s.gamma", (int)(n - 7), full);
        else if (n > 5 && strcmp(full + n - 5, ".bias") == 0)
            snprintf(alt, sizeof alt, "%.*s.beta", (int)(n - 5), full);
        else
            alt[0] = '\0';
        if (strstr(full, "LayerNorm") && alt[0])
            t = lm_safetensors_find(e->st, alt);
    }
    if (!t)
        return lm_error_set(err, LM_ERR_FORMAT, "%s/model.safetensors: no tensor \"%s\"",
                            e->info.dir, full);
    int want_dims = d1 ? 2 : 1;
    if (t->ndim != want_dims || t->shape[0] != d0 || (d1 && t->shape[1] != d1)) {
        char got[96] = "";
        for (int i = 0; i < t->ndim && strlen(got) < 80; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? ", " : "",
                     (long long)t->shape[i]);
        if (d1)
            return lm_error_set(err, LM_ERR_FORMAT,
                                "%s/model.safetensors: tensor \"%s\" has shape [%s], the config "
                                "implies [%d, %d]",
                                e->info.dir, t->name, got, d0, d1);
        return lm_error_set(err, LM_ERR_FORMAT,
                            "%s/model.safetensors: tensor \"%s\" has shape [%s], the config "
                            "implies [%d]",
                            e->info.dir, t->name, got, d0);
    }
    switch (t->dtype) {
    case LM_ST_F32: ld->n_f32++; break;
    case LM_ST_F16: ld->n_f16++; break;
    case LM_ST_BF16: ld->n_bf16++; break;
    default:
        return lm_error_set(err, LM_ERR_FORMAT,
                            "%s/model.safetensors: tensor \"%s\" is %s (litmine reads F32, F16, BF16)",
                            e->info.dir, t->name, lm_st_dtype_name(t->dtype));
    }
    e->info.n_params += t->n_elems;
    if (t->dtype == LM_ST_F32 && ((uintptr_t)t->data & 3) == 0) {
        *out = (const float *)(const void *)t->data;   /* used in place, shared */
        return LM_OK;
    }
    float *f = own(e, malloc((size_t)t->n_elems * sizeof *f));
    if (!f)
        return lm_error_nomem(err, "loading the model");
    e->info.heap_weight_bytes += t->n_elems * sizeof *f;
    lm_status st = lm_safetensors_read_f32(t, f, err);
    *out = f;
    return st;
}

static lm_status linear(loader *ld, const char *name, int out, int in, enc_linear *l,
                        lm_error *err)
{
    char w[200], b[200];
    snprintf(w, sizeof w, "%s.weight", name);
    snprintf(b, sizeof b, "%s.bias", name);
    l->out = out;
    l->in = in;
    lm_status st = tensor(ld, w, out, in, &l->w, err);
    return st != LM_OK ? st : tensor(ld, b, out, 0, &l->b, err);
}

/* Q, K and V concatenated into one [3H][H] matrix and [3H] bias. */
static lm_status fused_qkv(loader *ld, const char *q, const char *k, const char *v, int h,
                           enc_linear *out, lm_error *err)
{
    enc_linear parts[3];
    const char *names[3] = {q, k, v};
    lm_status st;
    for (int i = 0; i < 3; i++)
        if ((st = linear(ld, names[i], h, h, &parts[i], err)) != LM_OK)
            return st;
    size_t hh = (size_t)h * (size_t)h;
    float *w = own(ld->e, malloc(3 * hh * sizeof *w));
    float *b = own(ld->e, malloc(3 * (size_t)h * sizeof *b));
    if (!w || !b)
        return lm_error_nomem(err, "loading the model");
    for (int i = 0; i < 3; i++) {
        memcpy(w + i * hh, parts[i].w, hh * sizeof *w);
        memcpy(b + (size_t)i * (size_t)h, parts[i].b, (size_t)h * sizeof *b);
    }
    ld->e->info.heap_weight_bytes += (3 * hh + 3 * (size_t)h) * sizeof(float);
    *out = (enc_linear){.w = w, .b = b, .out = 3 * h, .in = h};
    return LM_OK;
}

/* DistilBERT's sinusoidal table, for checkpoints that do not store it. */
static lm_status sinusoidal(lm_encoder *e, const float **out, lm_error *err)
{
    int n = e->info.max_positions, d = e->info.hidden;
    float *p = own(e, malloc((size_t)n * (size_t)d * sizeof *p));
    if (!p)
        return lm_error_nomem(err, "loading the model");
    for (int pos = 0; pos < n; pos++)
        for (int j = 0; j < d; j++) {
            double angle = pos / pow(10000.0, 2.0 * (j / 2) / d);
            p[(size_t)pos * (size_t)d + (size_t)j] = (float)(j % 2 == 0 ? sin(angle) : cos(angle));
        }
    e->info.heap_weight_bytes += (uint64_t)n * (uint64_t)d * sizeof *p;
    *out = p;
    return LM_OK;
}

static const char *family_prefix(enc_family f)
{
    return f == FAM_BERT ? "bert." : f == FAM_ROBERTA ? "roberta." : "distilbert.";
}

static lm_status load_bert_like(loader *ld, lm_error *err)
{
    lm_encoder *e = ld->e;
    lm_encoder_info *in = &e->info;
    int h = in->hidden, inter = in->intermediate;
    lm_status st;
    if ((st = tensor(ld, "embeddings.word_embeddings.weight", in->vocab_size, h, &e->word_emb, err)) ||
        (st = tensor(ld, "embeddings.position_embeddings.weight", in->max_positions, h, &e->pos_emb,
                     err)) ||
        (st = tensor(ld, "embeddings.LayerNorm.weight", h, 0, &e->emb_ln_g, err)) ||
        (st = tensor(ld, "embeddings.LayerNorm.bias", h, 0, &e->emb_ln_b, err)))
        return st;
    if (in->type_vocab_size > 0 &&
        (st = tensor(ld, "embeddings.token_type_embeddings.weight", in->type_vocab_size, h,
                     &e->type_emb, err)))
        return st;
    for (int i = 0; i < in->n_layers; i++) {
        enc_layer *L = &e->layers[i];
        char q[96], k[96], v[96], n[96];
        snprintf(q, sizeof q, "encoder.layer.%d.attention.self.query", i);
        snprintf(k, sizeof k, "encoder.layer.%d.attention.self.key", i);
        snprintf(v, sizeof v, "encoder.layer.%d.attention.self.value", i);
        if ((st = fused_qkv(ld, q, k, v, h, &L->qkv, err)))
            return st;
        snprintf(n, sizeof n, "encoder.layer.%d.attention.output.dense", i);
        if ((st = linear(ld, n, h, h, &L->attn_out, err)))
            return st;
        snprintf(n, sizeof n, "encoder.layer.%d.attention.output.LayerNorm.weight", i);
        if ((st = tensor(ld, n, h, 0, &L->ln1_g, err)))
            return st;
        snprintf(n, sizeof n, "encoder.layer.%d.attention.output.LayerNorm.bias", i);
        if ((st = tensor(ld, n, h, 0, &L->ln1_b, err)))
            return st;
        snprintf(n, sizeof n, "encoder.layer.%d.intermediate.dense", i);
        if ((st = linear(ld, n, inter, h, &L->ffn_in, err)))
            return st;
        snprintf(n, sizeof n, "encoder.layer.%d.output.dense", i);
        if ((st = linear(ld, n, h, inter, &L->ffn_out, err)))
            return st;
        snprintf(n, sizeof n, "encoder.layer.%d.output.LayerNorm.weight", i);
        if ((st = tensor(ld, n, h, 0, &L->ln2_g, err)))
            return st;
        snprintf(n, sizeof n, "encoder.layer.%d.output.LayerNorm.bias", i);
        if ((st = tensor(ld, n, h, 0, &L->ln2_b, err)))
            return st;
    }
    return LM_OK;
}

static lm_status load_distilbert(loader *ld, int sinusoidal_pos, lm_error *err)
{
    lm_encoder *e = ld->e;
    lm_encoder_info *in = &e->info;
    int h = in->hidden, inter = in->intermediate;
    lm_status st;
    if ((st = tensor(ld, "embeddings.word_embeddings.weight", in->vocab_size, h, &e->word_emb, err)) ||
        (st = tensor(ld, "embeddings.LayerNorm.weight", h, 0, &e->emb_ln_g, err)) ||
        (st = tensor(ld, "embeddings.LayerNorm.bias", h, 0, &e->emb_ln_b, err)))
        return st;
    char full[128];
    snprintf(full, sizeof full, "%sembeddings.position_embeddings.weight", ld->prefix);
    if (sinusoidal_pos && !lm_safetensors_find(e->st, full))
        st = sinusoidal(e, &e->pos_emb, err);
    else
        st = tensor(ld, "embeddings.position_embeddings.weight", in->max_positions, h, &e->pos_emb,
                    err);
    if (st != LM_OK)
        return st;
    for (int i = 0; i < in->n_layers; i++) {
        enc_layer *L = &e->layers[i];
        char q[96], k[96], v[96], n[96];
        snprintf(q, sizeof q, "transformer.layer.%d.attention.q_lin", i);
        snprintf(k, sizeof k, "transformer.layer.%d.attention.k_lin", i);
        snprintf(v, sizeof v, "transformer.layer.%d.attention.v_lin", i);
        if ((st = fused_qkv(ld, q, k, v, h, &L->qkv, err)))
            return st;
        snprintf(n, sizeof n, "transformer.layer.%d.attention.out_lin", i);
        if ((st = linear(ld, n, h, h, &L->attn_out, err)))
            return st;
        snprintf(n, sizeof n, "transformer.layer.%d.sa_layer_norm.weight", i);
        if ((st = tensor(ld, n, h, 0, &L->ln1_g, err)))
            return st;
        snprintf(n, sizeof n, "transformer.layer.%d.sa_layer_norm.bias", i);
        if ((st = tensor(ld, n, h, 0, &L->ln1_b, err)))
            return st;
        snprintf(n, sizeof n, "transformer.layer.%d.ffn.lin1", i);
        if ((st = linear(ld, n, inter, h, &L->ffn_in, err)))
            return st;
        snprintf(n, sizeof n, "transformer.layer.%d.ffn.lin2", i);
        if ((st = linear(ld, n, h, inter, &L->ffn_out, err)))
            return st;
        snprintf(n, sizeof n, "transformer.layer.%d.output_layer_norm.weight", i);
        if ((st = tensor(ld, n, h, 0, &L->ln2_g, err)))
            return st;
        snprintf(n, sizeof n, "transformer.layer.%d.output_layer_norm.bias", i);
        if ((st = tensor(ld, n, h, 0, &L->ln2_b, err)))
            return st;
    }
    return LM_OK;
}

/* Task heads, by architecture name. */
static lm_status load_head(loader *ld, lm_error *err)
{
    lm_encoder *e = ld->e;
    lm_encoder_info *in = &e->info;
    const char *arch = in->architecture;
    int h = in->hidden, n = in->n_labels;
    size_t al = strlen(arch);
    int token = al >= 22 && strcmp(arch + al - 22, "ForTokenClassification") == 0;
    int seq = al >= 25 && strcmp(arch + al - 25, "ForSequenceClassification") == 0;
    if (!token && !seq)
        return LM_OK;
    if (n == 0)
        return lm_error_set(err, LM_ERR_FORMAT, "%s/config.json: %s without id2label", in->dir, arch);
    /* head tensors carry no base-model prefix */
    loader top = *ld;
    top.prefix = "";
    lm_status st;
    if (token) {
        in->head = LM_ENC_HEAD_TOKEN;
        return linear(&top, "classifier", n, h, &e->classifier, err);
    }
    in->head = LM_ENC_HEAD_SEQUENCE;
    switch (e->family) {
    case FAM_BERT:
        e->pre_act = 1;
        if ((st = linear(ld, "pooler.dense", h, h, &e->pre, err)))
            return st;
        return linear(&top, "classifier", n, h, &e->classifier, err);
    case FAM_ROBERTA:
        e->pre_act = 1;
        if ((st = linear(&top, "classifier.dense", h, h, &e->pre, err)))
            return st;
        return linear(&top, "classifier.out_proj", n, h, &e->classifier, err);
    case FAM_DISTILBERT:
        e->pre_act = 2;
        if ((st = linear(&top, "pre_classifier", h, h, &e->pre, err)))
            return st;
        return linear(&top, "classifier", n, h, &e->classifier, err);
    }
    return LM_OK;
}

static lm_status load_weights(lm_encoder *e, const char *dir, int sinusoidal_pos, lm_error *err)
{
    char *path = path_in(e, dir, "model.safetensors");
    if (!path)
        return lm_error_nomem(err, "loading the model");
    if (!file_exists(path)) {
        char *bin = path_in(e, dir, "pytorch_model.bin");
        if (bin && file_exists(bin))
            return lm_error_set(err, LM_ERR_NOTFOUND,
                                "%s: only pytorch_model.bin, no model.safetensors: litmine reads "
                                "safetensors (on the hub, many models have a safetensors "
                                "conversion as a pull request: fetch it with --revision refs/pr/N)",
                                dir);
        return lm_error_set(err, LM_ERR_NOTFOUND, "%s: no model.safetensors", dir);
    }
    lm_status st = lm_safetensors_open(&e->st, path, err);
    if (st != LM_OK)
        return st;
    if ((st = note_file(e, path, err)) != LM_OK)
        return st;
    e->info.weights_file_bytes = lm_safetensors_file_size(e->st);
    e->layers = own(e, calloc((size_t)e->info.n_layers, sizeof *e->layers));
    if (!e->layers)
        return lm_error_nomem(err, "loading the model");
    loader ld = {.e = e, .prefix = ""};
    /* task models nest the encoder under the family's prefix */
    char probe[128];
    snprintf(probe, sizeof probe, "%sembeddings.word_embeddings.weight", family_prefix(e->family));
    if (lm_safetensors_find(e->st, probe))
        ld.prefix = family_prefix(e->family);
    st = e->family == FAM_DISTILBERT ? load_distilbert(&ld, sinusoidal_pos, err)
                                     : load_bert_like(&ld, err);
    if (st == LM_OK)
        st = load_head(&ld, err);
    if (st != LM_OK)
        return st;
    int kinds = (ld.n_f32 > 0) + (ld.n_f16 > 0) + (ld.n_bf16 > 0);
    e->info.weights_dtype = kinds > 1 ? "mixed" : ld.n_f16 ? "F16" : ld.n_bf16 ? "BF16" : "F32";
    return LM_OK;
}

/* ---- bf16 precision ----------------------------------------------------------- */

int lm_encoder_precision_parse(const char *name, lm_encoder_precision *out)
{
    if (strcmp(name, "f32") == 0)
        *out = LM_ENC_PREC_F32;
    else if (strcmp(name, "bf16") == 0)
        *out = LM_ENC_PREC_BF16;
    else
        return -1;
    return 0;
}

lm_status lm_encoder_precision_option(lm_encoder_options *opt, const char *value,
                                      const char *what, lm_error *err)
{
    opt->precision = LM_ENC_PREC_F32;
    if (value && *value && lm_encoder_precision_parse(value, &opt->precision) != 0)
        return lm_error_set(err, LM_ERR_USAGE, "%s \"%s\": use f32 or bf16", what, value);
    return LM_OK;
}

int lm_encoder_bf16_supported(void)
{
    return lm_bf16_supported();
}

/* Frees a heap copy of weights that packing made useless (mapped F32
 * tensors are not ours to free and cost no memory of their own). */
static void drop_owned(lm_encoder *e, const float *p, size_t n)
{
    for (size_t i = 0; i < e->n_owned; i++)
        if (e->owned[i] == p) {
            free(e->owned[i]);
            e->owned[i] = e->owned[--e->n_owned];
            e->info.heap_weight_bytes -= n * sizeof *p;
            return;
        }
}

static lm_status pack_linear(lm_encoder *e, enc_linear *l, lm_error *err)
{
    lm_status st = lm_bf16_pack(&l->packed, l->w, l->out, l->in, err);
    if (st != LM_OK)
        return st;
    e->info.heap_weight_bytes += lm_bf16_weights_bytes(&l->packed);
    drop_owned(e, l->w, (size_t)l->out * (size_t)l->in);
    l->w = NULL;
    return LM_OK;
}

/* The encoder layers' weights into lm_bf16_gemm's layout.  A BF16 file's
 * weights come through their exact f32 copies, so the packed bits are the
 * file's own. */
static lm_status pack_bf16(lm_encoder *e, lm_error *err)
{
    if (!lm_bf16_supported())
        return lm_error_set(err, LM_ERR_USAGE,
                            "precision bf16 needs a CPU with AVX512_BF16 (Intel Cooper Lake or "
                            "Sapphire Rapids, AMD Zen 4 or later) and this one has none: use "
                            "precision f32");
    lm_status st = LM_OK;
    for (int i = 0; st == LM_OK && i < e->info.n_layers; i++) {
        enc_layer *L = &e->layers[i];
        if ((st = pack_linear(e, &L->qkv, err)) == LM_OK &&
            (st = pack_linear(e, &L->attn_out, err)) == LM_OK &&
            (st = pack_linear(e, &L->ffn_in, err)) == LM_OK)
            st = pack_linear(e, &L->ffn_out, err);
    }
    return st;
}

/* ---- entry point -------------------------------------------------------------- */

lm_status lm_encoder_load(lm_encoder **out, const char *dir, const lm_encoder_options *opt,
                          lm_error *err)
{
    *out = NULL;
    lm_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return lm_error_nomem(err, "loading the model");
    e->info.dir = own_str(e, dir);
    if (!e->info.dir) {
        lm_encoder_free(e);
        return lm_error_nomem(err, "loading the model");
    }
    lm_json *cfg_doc = NULL;
    lm_status st = read_json(e, dir, "config.json", 1, &cfg_doc, err);
    char *cfg_path = path_in(e, dir, "config.json");
    if (st == LM_OK)
        st = parse_config(e, lm_json_root(cfg_doc), cfg_path, err);
    if (st == LM_OK)
        st = parse_labels(e, lm_json_root(cfg_doc), cfg_path, err);
    int sinusoidal_pos = lm_json_get_bool(lm_json_root(cfg_doc), "sinusoidal_pos_embds", 0);
    lm_json_free(cfg_doc);
    if (st == LM_OK)
        st = load_tokenizer(e, dir, err);
    if (st == LM_OK)
        st = load_sentence_transformers(e, dir, err);
    if (st == LM_OK)
        st = load_weights(e, dir, sinusoidal_pos, err);
    if (st != LM_OK) {
        lm_encoder_free(e);
        return st;
    }
    lm_encoder_info *in = &e->info;
    if (opt && opt->max_length > 0) {
        if (opt->max_length < 3)
            st = lm_error_set(err, LM_ERR_USAGE, "max_length must be at least 3");
        if (opt->max_length < in->max_length)
            in->max_length = opt->max_length;
        if (opt->max_length < in->embed_max_length)
            in->embed_max_length = opt->max_length;
    }
    if (in->embed_max_length > in->max_length)
        in->embed_max_length = in->max_length;
    e->stride = opt && opt->stride > 0 ? opt->stride : (in->max_length - 2) / 4;
    if (e->stride >= in->max_length - 2)
        st = lm_error_set(err, LM_ERR_USAGE, "stride %d leaves no room in a window of %d tokens",
                          e->stride, in->max_length);
    e->batch_tokens = opt && opt->batch_tokens > 0 ? opt->batch_tokens : 2048;
    if (e->batch_tokens < in->max_length)
        e->batch_tokens = in->max_length;
    e->precision = opt ? opt->precision : LM_ENC_PREC_F32;
    in->precision = e->precision == LM_ENC_PREC_BF16 ? "bf16" : "f32";
    if (st == LM_OK && e->precision == LM_ENC_PREC_BF16)
        st = pack_bf16(e, err);
    if (st != LM_OK) {
        lm_encoder_free(e);
        return st;
    }
    *out = e;
    return LM_OK;
}

lm_status lm_encoder_check_config(const char *path, lm_error *err)
{
    lm_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return lm_error_nomem(err, "loading the model");
    lm_json *doc;
    lm_json_limits lim = {.max_bytes = CONFIG_MAX_BYTES};
    lm_status st = lm_json_parse_file(&doc, path, &lim, err);
    if (st == LM_OK) {
        if (lm_json_type_of(lm_json_root(doc)) != LM_JSON_OBJECT)
            st = lm_error_set(err, LM_ERR_FORMAT, "%s: not a JSON object", path);
        else
            st = parse_config(e, lm_json_root(doc), path, err);
        lm_json_free(doc);
    }
    lm_encoder_free(e);
    return st;
}

lm_status lm_encoder_content_id(const lm_encoder *e, char hex[65], lm_error *err)
{
    /* SHA-256 of the concatenated per-file digests, in load order. */
    lm_sha256 all;
    lm_sha256_init(&all);
    unsigned char buf[1 << 16];
    for (size_t i = 0; i < e->n_files; i++) {
        FILE *f = fopen(e->files[i], "rb");
        if (!f)
            return lm_error_set(err, LM_ERR_IO, "%s: %s", e->files[i], strerror(errno));
        lm_sha256 one;
        lm_sha256_init(&one);
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            lm_sha256_update(&one, buf, n);
        int bad = ferror(f);
        fclose(f);
        if (bad)
            return lm_error_set(err, LM_ERR_IO, "%s: read failed", e->files[i]);
        unsigned char d[32];
        lm_sha256_final(&one, d);
        lm_sha256_update(&all, d, sizeof d);
    }
    lm_sha256_final_hex(&all, hex);
    return LM_OK;
}

lm_status lm_encoder_fingerprint(const lm_encoder *e, char hex[65], lm_error *err)
{
    lm_sha256 all;
    lm_sha256_init(&all);
    for (size_t i = 0; i < e->n_files; i++) {
        struct stat sb;
        if (stat(e->files[i], &sb) != 0)
            return lm_error_set(err, LM_ERR_IO, "%s: %s", e->files[i], strerror(errno));
        char line[128];
        int n = snprintf(line, sizeof line, "%zu %lld %lld.%09ld %llu\n", i,
                         (long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
                         sb.st_mtim.tv_nsec, (unsigned long long)sb.st_ino);
        lm_sha256_update(&all, e->files[i], strlen(e->files[i]));
        lm_sha256_update(&all, line, (size_t)n);
    }
    lm_sha256_final_hex(&all, hex);
    return LM_OK;
}

void lm_encoder_set_blas_threads(int n)
{
    openblas_set_num_threads(n > 0 ? n : 1);
}
