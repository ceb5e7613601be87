/*
 * Feature extraction for the NER taggers.
 *
 * ner_doc_prepare() turns one document into per-token hash bundles and the
 * base features every tagger shares (word, affixes, shapes, character
 * n-grams, context words, clusters).  ner_doc_extra() adds what is specific
 * to one tagger: its gazetteers and the output of the taggers stacked under
 * it, seen three ways — the upstream tag at and around the token, how the
 * same word was tagged elsewhere in the document (document consistency),
 * and where the upstream mentions' strings recur, plus what an abbreviation's
 * long form (or short form) was tagged as.  Training calls exactly these
 * functions, so training and inference cannot drift apart.
 */
#include "../util/lm_buf.h"
#include "lm_ner_impl.h"

#include "lm_abbrev.h"
#include "../util/lm_utf8.h"

#include <stdlib.h>
#include <string.h>

/* ---- hash map ---- */

void ner_map_init(ner_map *m)
{
    memset(m, 0, sizeof *m);
}

void ner_map_free(ner_map *m)
{
    free(m->keys);
    free(m->vals);
    ner_map_init(m);
}

static lm_status map_rehash(ner_map *m, size_t slots)
{
    uint64_t *k = calloc(slots, sizeof *k);
    uint64_t *v = calloc(slots, sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return LM_ERR_NOMEM;
    }
    size_t mask = slots - 1;
    if (m->keys) {
        for (size_t i = 0; i <= m->mask; i++) {
            if (!m->keys[i])
                continue;
            size_t j = (size_t)ner_fmix(m->keys[i]) & mask;
            while (k[j])
                j = (j + 1) & mask;
            k[j] = m->keys[i];
            v[j] = m->vals[i];
        }
    }
    free(m->keys);
    free(m->vals);
    m->keys = k;
    m->vals = v;
    m->mask = mask;
    return LM_OK;
}

lm_status ner_map_reserve(ner_map *m, size_t n)
{
    size_t slots = m->keys ? m->mask + 1 : 0;
    if (n * 2 <= slots)
        return LM_OK;
    size_t want = 16;
    while (want < n * 2)
        want *= 2;
    return map_rehash(m, want);
}

lm_status ner_map_put(ner_map *m, uint64_t key, uint64_t val, int or_into)
{
    if (ner_map_reserve(m, m->n + 1) != LM_OK)
        return LM_ERR_NOMEM;
    size_t j = (size_t)ner_fmix(key) & m->mask;
    while (m->keys[j] && m->keys[j] != key)
        j = (j + 1) & m->mask;
    if (!m->keys[j]) {
        m->keys[j] = key;
        m->vals[j] = val;
        m->n++;
    } else if (or_into) {
        m->vals[j] |= val;
    } else {
        m->vals[j] = val;
    }
    return LM_OK;
}

const uint64_t *ner_map_get(const ner_map *m, uint64_t key)
{
    if (!m->keys)
        return NULL;
    size_t j = (size_t)ner_fmix(key) & m->mask;
    while (m->keys[j]) {
        if (m->keys[j] == key)
            return &m->vals[j];
        j = (j + 1) & m->mask;
    }
    return NULL;
}

static void map_clear(ner_map *m)
{
    if (m->keys && m->n) {
        memset(m->keys, 0, (m->mask + 1) * sizeof *m->keys);
        m->n = 0;
    }
}

/* ---- tags ---- */

int ner_tag_allowed(int K, int a, int b)
{
    int bp = ner_tag_pos(b);
    if (a == K || a == 0 || ner_tag_pos(a) >= 2)        /* start, O, L, U */
        return b == 0 || bp == 0 || bp == 3;
    /* after B or I: I or L of the same type */
    return b != 0 && (bp == 1 || bp == 2) && ner_tag_type(a) == ner_tag_type(b);
}

/* ---- template seeds ---- */

enum {
    T_BIAS = 1, T_W, T_LW, T_NW, T_SH, T_SS, T_PRE, T_SUF, T_LWM1, T_LWP1, T_LWM2, T_LWP2,
    T_BGM, T_BGP, T_BGM2, T_BGP2, T_SKIP, T_SS3, T_SSM1, T_SSP1, T_SPACE, T_SUFM1, T_SUFP1,
    T_CL, T_CLM1, T_CLP1, T_NG, T_SENT, T_GREEK, T_LEN, T_CLBG, T_ABHEAD, T_ABFIRST, T_ABSUF,
    T_ABCL,
    T_GAZ = 64, T_GAZLEN, T_GAZCTX, T_UP0, T_UPM, T_UPP, T_DW, T_DW0, T_DM, T_ABS, T_ABL, T_UPW,
    SEED_W = 1001, SEED_LW, SEED_NW, SEED_SH, SEED_SS, SEED_PRE, SEED_SUF, SEED_PAD,
    SEED_GAZ = NER_SEED_GAZ, SEED_NG
};

static inline uint32_t f1(uint64_t t, uint64_t a)
{
    return (uint32_t)ner_mix(t, a);
}

static inline uint32_t f2(uint64_t t, uint64_t a, uint64_t b)
{
    return (uint32_t)ner_mix(ner_mix(t, a), b);
}

static inline uint32_t f3(uint64_t t, uint64_t a, uint64_t b, uint64_t c)
{
    return (uint32_t)ner_mix(ner_mix(ner_mix(t, a), b), c);
}

/* ---- growth helpers ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    return lm_vec_grow(p, cap, need, elem) == LM_OK ? 0 : -1;
}

#define GROW(ptr, capv, need) grow((void **)&(ptr), &(capv), (need), sizeof *(ptr))

/* ---- token analysis ---- */

static const char *const greek_names[] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau",
    "upsilon", "phi", "chi", "psi", "omega"};

static int is_greek_name(const char *lw, size_t n)
{
    for (size_t i = 0; i < sizeof greek_names / sizeof greek_names[0]; i++)
        if (strlen(greek_names[i]) == n && memcmp(greek_names[i], lw, n) == 0)
            return 1;
    return 0;
}

static void analyse_token(const char *text, size_t text_len, ner_tok *tk, char *lw)
{
    const unsigned char *p = (const unsigned char *)text + tk->start;
    size_t n = tk->end - tk->start;
    char shape[24], sshape[24], norm[64];
    size_t ns = 0, nss = 0;
    unsigned flags = 0;
    int upper = 0, lower = 0, digit = 0, other = 0, inner_upper = 0, greek = 0, high = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        char sc;
        if (c >= 'A' && c <= 'Z') {
            lw[i] = (char)(c + 32);
            sc = 'X';
            upper++;
            if (i > 0)
                inner_upper = 1;
        } else if (c >= 'a' && c <= 'z') {
            lw[i] = (char)c;
            sc = 'x';
            lower++;
        } else if (c >= '0' && c <= '9') {
            lw[i] = (char)c;
            sc = 'd';
            digit++;
        } else if (c >= 0x80) {
            lw[i] = (char)c;
            high = 1;
            if ((c & 0xC0) == 0x80)
                continue;            /* continuation byte: one shape char per code point */
            if (c == 0xCE || c == 0xCF)
                greek = 1;
            sc = 'g';
        } else {
            lw[i] = (char)c;
            sc = (char)c;
            other++;
        }
        if (ns < sizeof shape - 1)
            shape[ns++] = sc;
        if (nss == 0 || sshape[nss - 1] != sc) {
            if (nss < sizeof sshape - 1)
                sshape[nss++] = sc;
        }
    }
    if (upper && !lower && !digit && !other && !high && n > 0)
        flags |= NER_TF_ALLCAP;
    if (n > 0 && p[0] >= 'A' && p[0] <= 'Z')
        flags |= NER_TF_INITCAP;
    if (digit)
        flags |= NER_TF_HASDIGIT;
    if (digit && (size_t)digit == n)
        flags |= NER_TF_ALLDIGIT;
    if (inner_upper && lower)
        flags |= NER_TF_MIXED;
    if (other && n == 1)
        flags |= NER_TF_PUNCT;
    if (high)
        flags |= NER_TF_NONASCII;
    if (greek || is_greek_name(lw, n))
        flags |= NER_TF_GREEK;
    if (tk->start == 0 || text[tk->start - 1] == ' ' || text[tk->start - 1] == '\n'
        || text[tk->start - 1] == '\t')
        flags |= NER_TF_SPB;
    if (tk->end >= text_len || text[tk->end] == ' ' || text[tk->end] == '\n'
        || text[tk->end] == '\t')
        flags |= NER_TF_SPA;

    size_t nn = n < sizeof norm ? n : sizeof norm;
    for (size_t i = 0; i < nn; i++)
        norm[i] = (lw[i] >= '0' && lw[i] <= '9') ? '0' : lw[i];

    tk->hw = ner_hash_bytes(SEED_W, (const char *)p, n);
    tk->hlw = ner_hash_bytes(SEED_LW, lw, n);
    tk->hnw = ner_hash_bytes(SEED_NW, norm, nn);
    tk->hsh = ner_hash_bytes(SEED_SH, shape, ns);
    tk->hss = ner_hash_bytes(SEED_SS, sshape, nss);
    for (size_t k = 0; k < 4; k++)
        tk->hpre[k] = (k < n && !(flags & NER_TF_PUNCT)) ? ner_hash_bytes(SEED_PRE, lw, k + 1) : 0;
    for (size_t k = 0; k < 5; k++)
        tk->hsuf[k] = (k < n && !(flags & NER_TF_PUNCT))
                          ? ner_hash_bytes(SEED_SUF, lw + n - k - 1, k + 1) : 0;
    tk->flags = (uint16_t)flags;
    tk->len = (uint16_t)(n > 65535 ? 65535 : n);
}

uint64_t ner_word_key(const char *p, size_t n)
{
    char norm[64];
    size_t nn = n < sizeof norm ? n : sizeof norm;
    for (size_t i = 0; i < nn; i++) {
        char c = p[i];
        norm[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (c >= '0' && c <= '9') ? '0' : c;
    }
    return ner_hash_bytes(SEED_NW, norm, nn);
}

/* ---- base features ---- */

static size_t max_feats(size_t len)
{
    return 64 + 3 * (len + 2);
}

static void push_base(const lm_ner_model *m, lm_ner_scratch *s, size_t a, size_t b, size_t t)
{
    uint32_t *o = s->bf + s->bf_n;
    size_t k = 0;
    const ner_tok *x = &s->tok[t];
    const ner_tok *p1 = t > a ? &s->tok[t - 1] : NULL;
    const ner_tok *p2 = t > a + 1 ? &s->tok[t - 2] : NULL;
    const ner_tok *n1 = t + 1 < b ? &s->tok[t + 1] : NULL;
    const ner_tok *n2 = t + 2 < b ? &s->tok[t + 2] : NULL;
    uint64_t pad = SEED_PAD;
    uint64_t lm1 = p1 ? p1->hlw : pad, lm2 = p2 ? p2->hlw : pad + 1;
    uint64_t lp1 = n1 ? n1->hlw : pad + 2, lp2 = n2 ? n2->hlw : pad + 3;
    uint32_t ff = m->feat_flags;

    o[k++] = f1(T_BIAS, 0);
    o[k++] = f1(T_W, x->hw);
    o[k++] = f1(T_LW, x->hlw);
    o[k++] = f1(T_NW, x->hnw);
    o[k++] = f1(T_SH, x->hsh);
    o[k++] = f1(T_SS, x->hss);
    for (int i = 0; i < 4; i++)
        if (x->hpre[i])
            o[k++] = f1(T_PRE, x->hpre[i]);
    for (int i = 0; i < 5; i++)
        if (x->hsuf[i])
            o[k++] = f1(T_SUF, x->hsuf[i]);
    o[k++] = f1(T_LWM1, lm1);
    o[k++] = f1(T_LWP1, lp1);
    o[k++] = f2(T_BGM, lm1, x->hlw);
    o[k++] = f2(T_BGP, x->hlw, lp1);
    o[k++] = f2(T_SKIP, lm1, lp1);
    if (ff & NER_F_CTX2) {
        o[k++] = f1(T_LWM2, lm2);
        o[k++] = f1(T_LWP2, lp2);
        o[k++] = f2(T_BGM2, lm2, lm1);
        o[k++] = f2(T_BGP2, lp1, lp2);
    }
    uint64_t sm1 = p1 ? p1->hss : pad, sp1 = n1 ? n1->hss : pad + 2;
    o[k++] = f3(T_SS3, sm1, x->hss, sp1);
    o[k++] = f1(T_SSM1, sm1);
    o[k++] = f1(T_SSP1, sp1);
    o[k++] = f2(T_SPACE, x->flags & (NER_TF_SPB | NER_TF_SPA), x->hss);
    if (ff & NER_F_CTXSUF) {
        o[k++] = f1(T_SUFM1, p1 && p1->hsuf[2] ? p1->hsuf[2] : pad);
        o[k++] = f1(T_SUFP1, n1 && n1->hsuf[2] ? n1->hsuf[2] : pad);
    }
    if (x->flags & NER_TF_SENT)
        o[k++] = f1(T_SENT, x->hss);
    if (x->flags & NER_TF_GREEK)
        o[k++] = f1(T_GREEK, 1);
    o[k++] = f1(T_LEN, x->len > 12 ? 12 : x->len);
    if ((ff & NER_F_CLUSTER) && m->clusters.n) {
        for (int g = 0; g < NER_NCLUS; g++)
            if (x->clus[g])
                o[k++] = f2(T_CL, (uint64_t)g, x->clus[g]);
        o[k++] = f1(T_CLM1, p1 ? p1->clus[1] : 65535);
        o[k++] = f1(T_CLP1, n1 ? n1->clus[1] : 65535);
        o[k++] = f2(T_CLBG, p1 ? p1->clus[1] : 65535, x->clus[1]);
    }
    if (s->abtok[t] != UINT32_MAX) {
        /* an abbreviation: what its long form looks like */
        const ner_abbr *d = &s->abbr[s->abtok[t]];
        o[k++] = f1(T_ABHEAD, s->tok[d->l1 - 1].hlw);
        o[k++] = f1(T_ABFIRST, s->tok[d->l0].hlw);
        o[k++] = f1(T_ABSUF, s->tok[d->l1 - 1].hsuf[2] ? s->tok[d->l1 - 1].hsuf[2] : 1);
        if (s->tok[d->l1 - 1].clus[1])
            o[k++] = f1(T_ABCL, s->tok[d->l1 - 1].clus[1]);
    }
    if ((ff & NER_F_NGRAM) && !(x->flags & (NER_TF_PUNCT | NER_TF_ALLDIGIT)) && x->len >= 3) {
        char buf[72];
        size_t n = x->len > 64 ? 64 : x->len;
        buf[0] = '<';
        memcpy(buf + 1, s->lower + x->start, n);
        buf[n + 1] = '>';
        size_t bl = n + 2;
        size_t nmax = (ff & NER_F_NGRAM5) ? 5 : 4;
        for (size_t g = 3; g <= nmax; g++)
            for (size_t i = 0; i + g <= bl; i++)
                o[k++] = (uint32_t)ner_hash_bytes(SEED_NG + g, buf + i, g);
    }
    s->bf_n += k;
}

static void lookup_clusters(const lm_ner_model *m, ner_tok *tk)
{
    const uint64_t *v = ner_map_get(&m->clusters, ner_key(tk->hnw));
    for (int g = 0; g < NER_NCLUS; g++)
        tk->clus[g] = v ? (uint16_t)(*v >> (16 * g)) : 0;
}

lm_status ner_doc_prepare(const lm_ner_model *m, lm_ner_scratch *s, const char *text,
                          size_t len, const lm_span *tokens, size_t n_tokens,
                          const uint32_t *sent_start, size_t n_sents, lm_error *err)
{
    s->text = text;
    s->text_len = len;
    s->n = n_tokens;
    if (GROW(s->tok, s->tok_cap, n_tokens + 1) || GROW(s->lower, s->lower_cap, len + 1)
        || GROW(s->sent, s->sent_cap, n_sents + 2) || GROW(s->boff, s->boff_cap, n_tokens + 1))
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    s->n_sents = 0;
    for (size_t i = 0; i < n_sents; i++) {
        uint32_t st = sent_start[i];
        if (st >= n_tokens || (s->n_sents && st <= s->sent[s->n_sents - 1]))
            continue;                                 /* empty or unordered: merge */
        s->sent[s->n_sents++] = st;
    }
    if (n_tokens && (s->n_sents == 0 || s->sent[0] != 0)) {
        memmove(s->sent + 1, s->sent, s->n_sents * sizeof *s->sent);
        s->sent[0] = 0;
        s->n_sents++;
    }
    s->sent[s->n_sents] = (uint32_t)n_tokens;

    size_t need = 0;
    for (size_t t = 0; t < n_tokens; t++) {
        ner_tok *tk = &s->tok[t];
        tk->start = tokens[t].start;
        tk->end = tokens[t].end;
        if (tk->end < tk->start || tk->end > len)
            return lm_error_set(err, LM_ERR_USAGE, "ner: token %zu out of range", t);
        analyse_token(text, len, tk, s->lower + tk->start);
        if (m->clusters.n)
            lookup_clusters(m, tk);
        else
            memset(tk->clus, 0, sizeof tk->clus);
        need += max_feats(tk->len);
    }
    for (size_t i = 0; i < s->n_sents; i++)
        if (s->sent[i] < n_tokens)
            s->tok[s->sent[i]].flags |= NER_TF_SENT;
    if (GROW(s->bf, s->bf_cap, need + 1) || GROW(s->abtok, s->abtok_cap, n_tokens + 1))
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    s->n_abbr = 0;
    for (size_t t = 0; t < n_tokens; t++)
        s->abtok[t] = UINT32_MAX;
    if (m->feat_flags & NER_F_ABBR) {
        lm_status st = ner_doc_abbrevs(s, err);
        if (st != LM_OK)
            return st;
        for (size_t i = 0; i < s->n_abbr; i++) {
            const ner_abbr *x = &s->abbr[i];
            uint32_t def = x->l0 == x->l1 ? x->l0 : (uint32_t)i;
            for (uint32_t t = x->s0; t < x->s1; t++)
                s->abtok[t] = def;
        }
    }
    s->bf_n = 0;
    for (size_t si = 0; si < s->n_sents; si++) {
        size_t a = s->sent[si], b = s->sent[si + 1];
        for (size_t t = a; t < b; t++) {
            s->boff[t] = (uint32_t)s->bf_n;
            push_base(m, s, a, b, t);
        }
    }
    s->boff[n_tokens] = (uint32_t)s->bf_n;

    /* gazetteer matches, per lexicon, leftmost-longest within sentences */
    if (GROW(s->gazpos, s->gaz_cap, (n_tokens + 1) * NER_MAX_LEX)
        || GROW(s->gazlen, s->gazlen_cap, (n_tokens + 1) * NER_MAX_LEX))
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    memset(s->gazpos, 0, n_tokens * NER_MAX_LEX);
    if ((m->feat_flags & NER_F_GAZ) && m->gaz.n && m->n_lex) {
        for (size_t si = 0; si < s->n_sents; si++) {
            size_t a = s->sent[si], b = s->sent[si + 1];
            size_t freep[NER_MAX_LEX];
            for (int l = 0; l < NER_MAX_LEX; l++)
                freep[l] = a;
            for (size_t i = a; i < b; i++) {
                if (s->tok[i].flags & NER_TF_PUNCT)
                    continue;                  /* entries never start with punctuation */
                size_t longest[NER_MAX_LEX];
                memset(longest, 0, sizeof longest);
                uint64_t h = SEED_GAZ;
                for (size_t j = i; j < b && j < i + NER_GAZ_MAXLEN; j++) {
                    h = ner_mix(h, s->tok[j].hlw);
                    const uint64_t *v = ner_map_get(&m->gaz, ner_key(h));
                    if (!v)
                        break;
                    for (int l = 0; l < m->n_lex; l++)
                        if (*v & (1u << l))
                            longest[l] = j + 1;
                    if (!(*v & NER_GAZ_PREFIX))
                        break;
                }
                for (int l = 0; l < m->n_lex; l++) {
                    if (!longest[l] || i < freep[l])
                        continue;
                    size_t e = longest[l], ml = e - i;
                    for (size_t t = i; t < e; t++) {
                        uint8_t pos = ml == 1 ? 4 : t == i ? 1 : t + 1 == e ? 3 : 2;
                        s->gazpos[t * NER_MAX_LEX + l] = pos;
                        s->gazlen[t * NER_MAX_LEX + l] = (uint8_t)(ml > 255 ? 255 : ml);
                    }
                    freep[l] = e;
                }
            }
        }
    }
    return LM_OK;
}

/* ---- gazetteer construction ---- */

lm_status ner_gaz_add(lm_ner_model *m, int lex, const char *entry, size_t len,
                      lm_spans *tmp, lm_error *err)
{
    if (lex < 0 || lex >= NER_MAX_LEX)
        return lm_error_set(err, LM_ERR_USAGE, "ner: lexicon index %d out of range", lex);
    lm_status st = lm_token_split(entry, len, tmp, err);
    if (st != LM_OK)
        return st;
    if (tmp->n == 0 || tmp->n > NER_GAZ_MAXLEN)
        return LM_OK;
    char lw[256];
    uint64_t h = SEED_GAZ;
    for (size_t i = 0; i < tmp->n; i++) {
        size_t n = tmp->v[i].end - tmp->v[i].start;
        if (n > sizeof lw)
            return LM_OK;
        const char *p = entry + tmp->v[i].start;
        if (i == 0 && n == 1 && !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')
                                  || (p[0] >= '0' && p[0] <= '9') || (unsigned char)p[0] >= 0x80))
            return LM_OK;                      /* matcher never starts at punctuation */
        for (size_t k = 0; k < n; k++)
            lw[k] = (p[k] >= 'A' && p[k] <= 'Z') ? (char)(p[k] + 32) : p[k];
        h = ner_mix(h, ner_hash_bytes(SEED_LW, lw, n));
        uint64_t v = i + 1 < tmp->n ? NER_GAZ_PREFIX : (1u << lex);
        if (ner_map_put(&m->gaz, ner_key(h), v, 1) != LM_OK)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    }
    return LM_OK;
}

/* ---- abbreviations ---- */

/* Index of the first token starting at or after byte b (binary search). */
size_t ner_tok_at_or_after(const lm_ner_scratch *s, size_t b)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->tok[mid].start < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Token range [t0, t1) exactly covering bytes [b0, b1), or 0. */
static int tok_range(const lm_ner_scratch *s, size_t b0, size_t b1, uint32_t *t0, uint32_t *t1)
{
    size_t a = ner_tok_at_or_after(s, b0), b = a;
    if (a >= s->n || s->tok[a].start != b0)
        return 0;
    while (b < s->n && s->tok[b].end < b1)
        b++;
    if (b >= s->n || s->tok[b].end != b1)
        return 0;
    *t0 = (uint32_t)a;
    *t1 = (uint32_t)(b + 1);
    return 1;
}

static lm_status abbr_push(lm_ner_scratch *s, uint32_t s0, uint32_t s1, uint32_t l0, uint32_t l1,
                           lm_error *err)
{
    if (GROW(s->abbr, s->abbr_cap, s->n_abbr + 1))
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    ner_abbr *x = &s->abbr[s->n_abbr++];
    x->s0 = s0;
    x->s1 = s1;
    x->l0 = l0;
    x->l1 = l1;
    return LM_OK;
}

/* Definitions (short and long form) and later uses of each short form.  A
 * use is stored as an entry whose long range is empty (l0 == l1) and whose
 * l0 names the defining entry. */
lm_status ner_doc_abbrevs(lm_ner_scratch *s, lm_error *err)
{
    s->n_abbr = 0;
    lm_status st = lm_abbrev_detect(s->text, s->text_len, &s->abv, err);
    if (st != LM_OK || s->abv.n == 0)
        return st;
    st = lm_abbrev_find_uses(s->text, s->text_len, &s->abv, &s->abu, err);
    if (st != LM_OK)
        return st;
    /* index of each pair's definition entry, or UINT64_MAX */
    if (GROW(s->tmp64, s->tmp64_cap, s->abv.n + 1))
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    for (size_t i = 0; i < s->abv.n; i++) {
        const lm_abbrev *a = &s->abv.v[i];
        uint32_t s0, s1, l0, l1;
        s->tmp64[i] = UINT64_MAX;
        if (!tok_range(s, a->short_start, a->short_end, &s0, &s1)
            || !tok_range(s, a->long_start, a->long_end, &l0, &l1) || s1 - s0 > 6)
            continue;
        s->tmp64[i] = s->n_abbr;
        st = abbr_push(s, s0, s1, l0, l1, err);
        if (st != LM_OK)
            return st;
    }
    for (size_t i = 0; i < s->abu.n; i++) {
        const lm_abbrev_use *u = &s->abu.v[i];
        uint32_t s0, s1;
        if (u->pair >= s->abv.n || s->tmp64[u->pair] == UINT64_MAX
            || !tok_range(s, u->start, u->end, &s0, &s1))
            continue;
        uint32_t def = (uint32_t)s->tmp64[u->pair];
        st = abbr_push(s, s0, s1, def, def, err);
        if (st != LM_OK)
            return st;
    }
    return LM_OK;
}

/* ---- per-tagger extra features ---- */

static int push_x(lm_ner_scratch *s, uint32_t f)
{
    if (s->xf_n == s->xf_cap && GROW(s->xf, s->xf_cap, s->xf_n + 1))
        return -1;
    s->xf[s->xf_n++] = f;
    return 0;
}

/* Type index (0-based) of upstream tag sequence at t, -1 for O. */
static int up_type(const lm_ner_scratch *s, int u, size_t t)
{
    return ner_tag_type(s->tags[(size_t)u * s->n + t]);
}

/* Per-token extra feature lists are built token by token into parallel
 * temporary lists; simplest is one pass per token collecting everything. */
lm_status ner_doc_extra(const lm_ner_model *m, int ti, lm_ner_scratch *s, lm_error *err)
{
    const ner_tagger *tg = &m->tg[ti];
    size_t n = s->n;
    if (GROW(s->xoff, s->xoff_cap, n + 1))
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    s->xf_n = 0;

    /* Document-level tables of each upstream tagger first, three words per
     * token each in tmp64: [0, n) word statistics, [n, 2n) recurring
     * mention strings, [2n, 3n) abbreviation links; then one token-major
     * pass writes the features. */
    uint64_t *dw, *dm, *abf;
    size_t need64 = (size_t)(tg->n_up ? tg->n_up : 1) * 3 * n + 4;
    if (GROW(s->tmp64, s->tmp64_cap, need64))
        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
    for (int ui = 0; ui < tg->n_up; ui++) {
        int u = tg->up[ui];
        const ner_tagger *ut = &m->tg[u];
        dw = s->tmp64 + (size_t)ui * 3 * n;
        dm = dw + n;
        abf = dm + n;
        memset(dw, 0, 3 * n * sizeof *dw);
        if (!(m->feat_flags & (NER_F_DOC | NER_F_ABBR)))
            continue;
        /* document word statistics: per lower-case word, the number of
         * occurrences and how many the upstream tagged with each type */
        if (m->feat_flags & NER_F_DOC) {
            map_clear(&s->docmap);
            if (ner_map_reserve(&s->docmap, n + 1) != LM_OK)
                return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
            for (size_t t = 0; t < n; t++) {
                if (s->tok[t].flags & NER_TF_PUNCT)
                    continue;
                int k = up_type(s, u, t);
                uint64_t key = ner_key(s->tok[t].hlw);
                const uint64_t *v = ner_map_get(&s->docmap, key);
                uint64_t val = v ? *v : 0;
                if ((val & 0xFFFF) < 0xFFFF)
                    val += 1;
                if (k >= 0 && k < 6) {
                    uint64_t c = (val >> (16 + 8 * k)) & 0xFF;
                    if (c < 0xFF)
                        val += 1ULL << (16 + 8 * k);
                }
                ner_map_put(&s->docmap, key, val, 0);
            }
            for (size_t t = 0; t < n; t++) {
                if (s->tok[t].flags & NER_TF_PUNCT)
                    continue;
                const uint64_t *v = ner_map_get(&s->docmap, ner_key(s->tok[t].hlw));
                uint64_t val = v ? *v : 0;
                unsigned tot = (unsigned)(val & 0xFFFF);
                int own = up_type(s, u, t);
                if (tot <= 1)
                    continue;
                tot -= 1;
                /* pack: for each type a 2-bit bucket, bit 62 = seen-only-as-O */
                uint64_t packed = 0;
                int any = 0;
                for (int k = 0; k < ut->n_types && k < 6; k++) {
                    unsigned c = (unsigned)((val >> (16 + 8 * k)) & 0xFF);
                    if (own == k && c)
                        c--;
                    if (!c)
                        continue;
                    any = 1;
                    unsigned bucket = 2 * c < tot ? 1 : c < tot ? 2 : 3;
                    packed |= (uint64_t)bucket << (2 * k);
                }
                dw[t] = any ? packed | (1ULL << 61) : (1ULL << 62);
            }
            /* where upstream mention strings recur in the document */
            map_clear(&s->docmap);
            int maxlen = 0;
            for (size_t t = 0; t < n;) {
                int tag = s->tags[(size_t)u * n + t];
                if (!tag || ner_tag_pos(tag) == 1 || ner_tag_pos(tag) == 2) {
                    t++;
                    continue;
                }
                size_t e = t + 1;
                if (ner_tag_pos(tag) == 0)
                    while (e < n && ner_tag_pos(s->tags[(size_t)u * n + e]) == 1)
                        e++;
                if (ner_tag_pos(tag) == 0 && e < n && ner_tag_pos(s->tags[(size_t)u * n + e]) == 2)
                    e++;
                int k = ner_tag_type(tag);
                if (e - t <= NER_GAZ_MAXLEN) {
                    uint64_t h = SEED_GAZ;
                    for (size_t j = t; j < e; j++) {
                        h = ner_mix(h, s->tok[j].hlw);
                        uint64_t v = j + 1 < e ? NER_GAZ_PREFIX : (1u << k);
                        if (ner_map_put(&s->docmap, ner_key(h), v, 1) != LM_OK)
                            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
                    }
                    if ((int)(e - t) > maxlen)
                        maxlen = (int)(e - t);
                }
                t = e;
            }
            if (s->docmap.n) {
                for (size_t si = 0; si < s->n_sents; si++) {
                    size_t a = s->sent[si], b = s->sent[si + 1];
                    size_t freep[NER_MAX_TYPES];
                    for (int k = 0; k < NER_MAX_TYPES; k++)
                        freep[k] = a;
                    for (size_t i = a; i < b; i++) {
                        size_t longest[NER_MAX_TYPES] = {0};
                        uint64_t h = SEED_GAZ;
                        for (size_t j = i; j < b && j < i + (size_t)maxlen; j++) {
                            h = ner_mix(h, s->tok[j].hlw);
                            const uint64_t *v = ner_map_get(&s->docmap, ner_key(h));
                            if (!v)
                                break;
                            for (int k = 0; k < ut->n_types; k++)
                                if (*v & (1u << k))
                                    longest[k] = j + 1;
                            if (!(*v & NER_GAZ_PREFIX))
                                break;
                        }
                        for (int k = 0; k < ut->n_types; k++) {
                            if (!longest[k] || i < freep[k])
                                continue;
                            size_t e = longest[k], ml = e - i;
                            for (size_t t = i; t < e; t++) {
                                uint64_t pos = ml == 1 ? 4 : t == i ? 1 : t + 1 == e ? 3 : 2;
                                dm[t] |= pos << (3 * k);
                            }
                            freep[k] = e;
                        }
                    }
                }
            }
        }
        /* abbreviations: the short form (at its definition and every use)
         * sees the upstream type of its long form; the long form sees the
         * short form's */
        if ((m->feat_flags & NER_F_ABBR) && s->n_abbr) {
            for (size_t ai = 0; ai < s->n_abbr; ai++) {
                const ner_abbr *x = &s->abbr[ai];
                const ner_abbr *def = x->l0 == x->l1 ? &s->abbr[x->l0] : x;
                int klong = -1, kshort = -1;
                int tag = s->tags[(size_t)u * n + def->l1 - 1];
                if (ner_tag_pos(tag) == 2 || ner_tag_pos(tag) == 3)
                    klong = ner_tag_type(tag);
                for (size_t t = def->s0; t < def->s1; t++)
                    if (up_type(s, u, t) >= 0)
                        kshort = up_type(s, u, t);
                if (x == def)
                    for (size_t t = x->l0; t < x->l1; t++)
                        abf[t] |= (uint64_t)(kshort + 2) << 8;
                size_t sl = x->s1 - x->s0;
                for (size_t j = 0; j < sl; j++) {
                    uint64_t pos = sl == 1 ? 4 : j == 0 ? 1 : j + 1 == sl ? 3 : 2;
                    abf[x->s0 + j] = (abf[x->s0 + j] & ~0xFFULL) | (uint64_t)(klong + 2)
                                     | (pos << 4);
                }
            }
        }
    }

    for (size_t t = 0; t < n; t++) {
        s->xoff[t] = (uint32_t)s->xf_n;
        /* gazetteers */
        for (int l = 0; l < m->n_lex; l++) {
            if (!(tg->lex_mask & (1u << l)))
                continue;
            uint8_t pos = s->gazpos[t * NER_MAX_LEX + l];
            if (!pos)
                continue;
            uint8_t gl = s->gazlen[t * NER_MAX_LEX + l];
            if (push_x(s, f2(T_GAZ, (uint64_t)l, pos))
                || push_x(s, f3(T_GAZLEN, (uint64_t)l, pos, gl > 6 ? 6 : gl))
                || push_x(s, f3(T_GAZCTX, (uint64_t)l, pos, s->tok[t].hss)))
                return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        }
        for (int ui = 0; ui < tg->n_up; ui++) {
            int u = tg->up[ui];
            uint64_t tg0 = s->tags[(size_t)u * n + t];
            int in_sent_prev = t > 0 && !(s->tok[t].flags & NER_TF_SENT);
            int in_sent_next = t + 1 < n && !(s->tok[t + 1].flags & NER_TF_SENT);
            uint64_t tgm = in_sent_prev ? s->tags[(size_t)u * n + t - 1] : 255;
            uint64_t tgp = in_sent_next ? s->tags[(size_t)u * n + t + 1] : 255;
            if (push_x(s, f2(T_UP0, (uint64_t)ui, tg0))
                || push_x(s, f3(T_UPM, (uint64_t)ui, tgm, tg0))
                || push_x(s, f3(T_UPP, (uint64_t)ui, tg0, tgp)))
                return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
            const uint64_t *base = s->tmp64 + (size_t)ui * 3 * n;
            uint64_t d = base[t], g = base[n + t], ab = base[2 * n + t];
            if (d) {
                if (d & (1ULL << 62)) {
                    if (push_x(s, f1(T_DW0, (uint64_t)ui)))
                        return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
                } else {
                    for (int k = 0; k < NER_MAX_TYPES; k++) {
                        uint64_t bk = (d >> (2 * k)) & 3;
                        if (bk && push_x(s, f3(T_DW, (uint64_t)ui, (uint64_t)k, bk)))
                            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
                    }
                }
            }
            for (int k = 0; k < NER_MAX_TYPES && g; k++) {
                uint64_t pos = (g >> (3 * k)) & 7;
                if (pos && push_x(s, f3(T_DM, (uint64_t)ui, (uint64_t)k, pos)))
                    return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
            }
            if (ab & 0xFF) {
                if (push_x(s, f3(T_ABS, (uint64_t)ui, ab & 0x0F, (ab >> 4) & 0x0F)))
                    return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
            }
            if (ab & 0xFF00) {
                if (push_x(s, f2(T_ABL, (uint64_t)ui, (ab >> 8) & 0xFF)))
                    return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
            }
        }
    }
    s->xoff[n] = (uint32_t)s->xf_n;
    return LM_OK;
}
