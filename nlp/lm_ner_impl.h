/*
 * lm_ner_impl: internals shared by the tagger (lm_ner.c), its feature
 * extractor (lm_ner_feat.c) and the trainer (lm_ner_train.c).  Not a public
 * interface: callers outside nlp/lm_ner*.c use lm_ner.h / lm_ner_train.h.
 *
 * Features are never materialised as strings.  Each token gets a handful of
 * 64-bit hashes (word, lowercase, shape, affixes ...) and every feature is a
 * mix of a template seed with one or more of those hashes; the low bits pick
 * a row of the tagger's weight table, which holds one weight per tag, so a
 * feature costs one cache line however many tags there are.
 */
#ifndef LM_NER_IMPL_H
#define LM_NER_IMPL_H

#include "lm_abbrev.h"
#include "lm_ner.h"

#include <stdint.h>

#define NER_MAX_TAGGERS 8
#define NER_MAX_TYPES 6          /* entity types of one tagger */
#define NER_MAX_UP 3             /* upstream taggers feeding one tagger */
#define NER_MAX_LEX 31           /* gazetteer lexicons (bit 31 = prefix) */
#define NER_GAZ_PREFIX 0x80000000u
#define NER_MAX_TAGS (1 + 4 * NER_MAX_TYPES)
#define NER_GAZ_MAXLEN 12        /* tokens in one gazetteer entry */
#define NER_NCLUS 3              /* clusterings: K, K/4, K/16 */
/* Seed of a gazetteer key: ner_mix(... ner_mix(NER_SEED_GAZ, hlw of the first
 * token) ..., hlw of the last) */
#define NER_SEED_GAZ 1009

/* Feature groups, switchable for ablation at training time; stored in the
 * model so inference computes exactly what training saw. */
enum {
    NER_F_NGRAM = 1u << 0,    /* character 3/4-grams */
    NER_F_CLUSTER = 1u << 1,  /* word cluster ids */
    NER_F_GAZ = 1u << 2,      /* gazetteer matches */
    NER_F_CTX2 = 1u << 3,     /* +-2 words and outer bigrams */
    NER_F_DOC = 1u << 4,      /* document-level stacking features */
    NER_F_ABBR = 1u << 5,     /* abbreviation features */
    NER_F_NGRAM5 = 1u << 6,   /* character 5-grams too */
    NER_F_CTXSUF = 1u << 7,   /* neighbours' suffixes */
    NER_F_POST = 1u << 8,     /* document-level post-processing (lm_ner_post.c) */
    NER_F_DEFAULT = 0x1BF
};

/* ---- hashing ---- */

static inline uint64_t ner_fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t ner_mix(uint64_t a, uint64_t b)
{
    return ner_fmix(a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL);
}

static inline uint64_t ner_hash_bytes(uint64_t seed, const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return ner_fmix(h);
}

/* ---- open-addressing hash map uint64 -> small payload ---- */

typedef struct ner_map {
    uint64_t *keys;      /* 0 = empty slot */
    uint64_t *vals;
    size_t mask;         /* slots - 1; 0 when empty */
    size_t n;
} ner_map;

void ner_map_init(ner_map *m);
void ner_map_free(ner_map *m);
lm_status ner_map_reserve(ner_map *m, size_t n);
/* Sets key (never 0: callers pass key|1 style keys) to val, or ORs val in
 * when or_into is set.  Grows as needed. */
lm_status ner_map_put(ner_map *m, uint64_t key, uint64_t val, int or_into);
/* Pointer to the value or NULL. */
const uint64_t *ner_map_get(const ner_map *m, uint64_t key);

static inline uint64_t ner_key(uint64_t h)
{
    return h ? h : 1;
}

/* ---- one tagger ---- */

typedef struct ner_tagger {
    char name[32];
    int n_types;
    lm_ent_type types[NER_MAX_TYPES];
    int K;                     /* 1 + 4 * n_types (BILOU) */
    int bits;                  /* log2 rows of the base table (model-wide) */
    int xbits;                 /* log2 rows of its extra-feature table */
    int base_off;              /* first column of its tags in the base rows */
    uint32_t lex_mask;         /* gazetteers whose matches are features */
    int n_up;
    int up[NER_MAX_UP];        /* earlier taggers whose output are features */
    int emit;                  /* its mentions are part of the output */
    float scale;               /* base weight = int16 * scale */
    float xscale;              /* extra weight = x16 * xscale */
    float score_a, score_b;    /* mention score = logistic(a * margin + b) */
    int16_t *w16;              /* base rows x K until packed into the model */
    int16_t *x16;              /* extra rows x K */
    float *wf;                 /* training: base rows then extra rows, x K */
    float trans[(NER_MAX_TAGS + 1) * NER_MAX_TAGS]; /* [from][to], row K = start */
    float trans_end[NER_MAX_TAGS];
} ner_tagger;

/* In training feature stores, extra (per-tagger) features carry this bit so
 * that one float table can hold both regions. */
#define NER_XFEAT 0x80000000u

struct lm_ner_model {
    uint32_t feat_flags;
    /* The base features of all taggers share one table: a row holds every
     * tagger's weights for that feature (tagger i at columns base_off ..
     * base_off + K), so one memory access serves the whole stack. */
    int base_bits;
    int KW;                    /* row width, padded to a multiple of 8 */
    int16_t *base_w;           /* (1 << base_bits) x KW; NULL until packed */
    /* word -> clusters; value packs NER_NCLUS uint16 ids (0 = none) */
    ner_map clusters;
    /* gazetteer: hash of a lowercase token sequence -> lexicon bits,
     * NER_GAZ_PREFIX set when the sequence is a proper prefix of an entry */
    ner_map gaz;
    int n_lex;
    char lex_name[NER_MAX_LEX][24];
    int n_taggers;
    ner_tagger tg[NER_MAX_TAGGERS];
    /* Set when the tables point into a mapped cache (lm_ner.c), which
     * then owns them.  The cache stores this struct as bytes with its
     * pointers cleared: a new pointer member must be cleared and set
     * there too (model_to_cache, model_from_cache), and NER_MAP_LAYOUT
     * bumped. */
    struct lm_mapcache *mapped;
};

/* Reads a model file (lm_ner.c): what lm_ner_model_load (lm_ner_map.c)
 * does when the file has no usable cache. */
lm_status ner_model_load_file(const char *path, lm_ner_model **out, lm_error *err);

/* ---- per-document working state ---- */

enum {
    NER_TF_INITCAP = 1u << 0,
    NER_TF_ALLCAP = 1u << 1,
    NER_TF_HASDIGIT = 1u << 2,
    NER_TF_ALLDIGIT = 1u << 3,
    NER_TF_MIXED = 1u << 4,     /* an upper-case letter after the first */
    NER_TF_PUNCT = 1u << 5,     /* single non-word character */
    NER_TF_GREEK = 1u << 6,     /* Greek letter or its spelled name */
    NER_TF_SPB = 1u << 7,       /* whitespace before */
    NER_TF_SPA = 1u << 8,       /* whitespace after */
    NER_TF_SENT = 1u << 9,      /* first token of a sentence */
    NER_TF_NONASCII = 1u << 10
};

typedef struct ner_tok {
    uint32_t start, end;       /* bytes */
    uint64_t hw;               /* word as written */
    uint64_t hlw;              /* lower case */
    uint64_t hnw;              /* lower case, digits -> 0 */
    uint64_t hsh;              /* shape: Xxxd- */
    uint64_t hss;              /* short shape (runs collapsed) */
    uint64_t hpre[4];          /* lower-case prefixes of 1..4 chars, 0 if shorter */
    uint64_t hsuf[5];          /* suffixes of 1..5 chars */
    uint16_t clus[NER_NCLUS];
    uint16_t flags;
    uint16_t len;
} ner_tok;

struct lm_ner_scratch {
    const char *text;
    size_t text_len;
    lm_spans tokens;           /* used by lm_ner_tag */
    lm_spans sents;
    uint32_t *sent_tok;
    size_t sent_tok_cap;
    uint32_t *sent;            /* n_sents + 1 token offsets */
    size_t n_sents, sent_cap;
    ner_tok *tok;
    size_t n, tok_cap;
    char *lower;               /* lower-cased token bytes, per token */
    size_t lower_cap;
    uint32_t *bf, *boff;       /* base features and offsets (n + 1) */
    size_t bf_n, bf_cap, boff_cap;
    uint32_t *xf, *xoff;       /* per-tagger extra features */
    size_t xf_n, xf_cap, xoff_cap;
    uint8_t *tags;             /* NER_MAX_TAGGERS x n */
    float *margin;             /* NER_MAX_TAGGERS x n */
    size_t tags_cap;
    float *emit;               /* n x K */
    int32_t *bem;              /* n x KW: base scores of every tagger */
    size_t bem_cap;
    float *alpha, *beta;       /* n x K */
    int *bp;                   /* n x K */
    size_t dec_cap;
    uint8_t *gazpos;           /* n x NER_MAX_LEX: 1 B, 2 I, 3 L, 4 U, 0 none */
    uint8_t *gazlen;           /* n x NER_MAX_LEX match length */
    size_t gaz_cap, gazlen_cap;
    ner_map docmap;            /* doc-level helpers */
    uint64_t *tmp64;
    size_t tmp64_cap;
    struct ner_abbr *abbr;     /* abbreviation definitions and uses */
    size_t n_abbr, abbr_cap;
    lm_abbrevs abv;
    lm_abbrev_uses abu;
    uint32_t *abtok;           /* n: defining abbr entry of a short-form token */
    size_t abtok_cap;
    uint8_t *pcover;           /* post-processing (lm_ner_post.c): n flags */
    uint32_t *pend;            /* n mention ends */
    float *pscore;             /* n mention scores */
    size_t pcover_cap;
};

typedef struct ner_abbr {
    uint32_t s0, s1;           /* short form token range [s0, s1) */
    uint32_t l0, l1;           /* long form token range; for a later use of
                                  the short form l0 == l1 == index of the
                                  defining entry */
} ner_abbr;

/* Tags: 0 = O; type index k has B = 1+4k, I = 2+4k, L = 3+4k, U = 4+4k. */
static inline int ner_tag_type(int tag) { return tag ? (tag - 1) / 4 : -1; }
static inline int ner_tag_pos(int tag) { return tag ? (tag - 1) % 4 : -1; }   /* 0 B 1 I 2 L 3 U */
static inline int ner_tag_make(int type, int pos) { return 1 + 4 * type + pos; }
/* Whether tag b may follow tag a (a == K means sequence start). */
int ner_tag_allowed(int K, int a, int b);

/* Prepares tokens and base features of one document.  tokens/sents as in
 * lm_ner_tag_tokens. */
lm_status ner_doc_prepare(const lm_ner_model *m, lm_ner_scratch *s, const char *text,
                          size_t len, const lm_span *tokens, size_t n_tokens,
                          const uint32_t *sent_start, size_t n_sents, lm_error *err);
/* Builds tagger ti's extra features (gazetteers, upstream outputs) from the
 * tags already stored in s for its upstream taggers. */
lm_status ner_doc_extra(const lm_ner_model *m, int ti, lm_ner_scratch *s, lm_error *err);
/* Grows s->tags and s->margin to hold every tagger's tags for n tokens;
 * 0, or -1 when out of memory (callers word their own error). */
int ner_scratch_reserve_tags(lm_ner_scratch *s, size_t n);
/* Decodes tagger ti over every sentence into s->tags[ti] (and margins when
 * want_margin). */
lm_status ner_doc_decode(const lm_ner_model *m, int ti, lm_ner_scratch *s, int want_margin,
                         lm_error *err);
/* Emission scores of tokens [a, b) of tagger t into out ((b-a) x K): from
 * its float training weights when it has them, else from the packed base
 * scores (ner_doc_base) plus its extra table. */
void ner_emissions(const lm_ner_model *m, const ner_tagger *t, const lm_ner_scratch *s,
                   size_t a, size_t b, float *out);
/* Viterbi over n tokens with emissions em (n x K); writes tags. */
void ner_viterbi(const ner_tagger *t, const float *em, size_t n, int *bp, float *vit,
                 uint8_t *tags);
/* Appends tagger ti's mentions (types mapped to lm_ent_type) to out. */
lm_status ner_doc_mentions(const lm_ner_model *m, int ti, const lm_ner_scratch *s,
                           lm_ner_mentions *out, lm_error *err);
/* Document-level post-processing of the sorted mentions of a tagged
 * document (lm_ner_post.c); keeps out sorted. */
/* Mention order: start, then end, then type (qsort comparator). */
int ner_mention_cmp(const void *a, const void *b);
/* Index of the first token of s starting at or after byte b. */
size_t ner_tok_at_or_after(const lm_ner_scratch *s, size_t b);
lm_status ner_doc_post(const lm_ner_model *m, lm_ner_scratch *s, lm_ner_mentions *out,
                       lm_error *err);
/* Finds abbreviation definitions in the document (token ranges). */
lm_status ner_doc_abbrevs(lm_ner_scratch *s, lm_error *err);

/* Lexicon helpers for training: adds a (lower-cased, tokenized) entry. */
lm_status ner_gaz_add(lm_ner_model *m, int lex, const char *entry, size_t len,
                      lm_spans *tmp, lm_error *err);

/* Key of a word in the cluster map: hash of its lower-cased form with
 * digits replaced by 0 (what ner_tok.hnw holds). */
uint64_t ner_word_key(const char *p, size_t n);

/* Word clusters (lm_ner_cluster.c): learns model->clusters from text
 * (documents separated by newlines); k_fine = finest cluster count. */
lm_status ner_clusters_learn(lm_ner_model *m, const char *text, size_t len, int k_fine,
                             int min_count, int dim, unsigned seed, lm_error *err);
lm_status ner_clusters_save(const lm_ner_model *m, const char *path, lm_error *err);
lm_status ner_clusters_load(lm_ner_model *m, const char *path, lm_error *err);

/* Model bookkeeping. */
lm_status ner_model_new(lm_ner_model **out, lm_error *err);
/* Adds a tagger with float training weights (base and extra regions). */
lm_status ner_tagger_add(lm_ner_model *m, const char *name, const lm_ent_type *types,
                         int n_types, int bits, int xbits, lm_error *err);
/* Converts float training weights of tagger ti to int16. */
lm_status ner_tagger_quantize(ner_tagger *t, lm_error *err);
/* After quantizing every tagger: merges their base tables into the shared
 * one.  All taggers must have the same bits. */
lm_status ner_model_pack(lm_ner_model *m, lm_error *err);
/* Base scores of every tagger for every token of the prepared document. */
lm_status ner_doc_base(const lm_ner_model *m, lm_ner_scratch *s, lm_error *err);

#endif
