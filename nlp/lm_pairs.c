/*
 * Chemical–disease pair extraction: candidate generation, features,
 * inference and model files (training lives in lm_pairs_train.c).
 *
 * LONG-FILE: frozen while issue 12's NLP work is open; to split
 * (candidates, features, model file) after it merges.
 *
 * The document is tokenized once (lm_token, byte spans); mentions and
 * sentences arrive in code points and are mapped to token ranges through
 * an lm_utf8_map.  Mentions are grouped into concepts by id, so a pair is
 * described by all its mentions at once: document-level cues (frequency
 * rank, title presence — in BC5CDR the title's drug and the most frequent
 * chemical are usually the cause) plus, for every sentence holding both
 * concepts, the lexical context of the closest mention pair in it.  Words
 * are kept as they are (lowercased, numbers folded) and also mapped to a
 * handful of trigger classes (induce / treat / negation / hedge) so that
 * rare verbs share evidence with common ones; a trigger at most three
 * words between the two is an explicit construction ("C-induced D", "D
 * after C", "C for D"), counted over the document as well.
 *
 * Features are strings hashed (FNV-1a) into a 2^bits table; collisions are
 * tolerated as in any hashed linear model.  The same code path feeds a
 * callback instead of the hash for lm_pairs_features(), so what tests
 * inspect is exactly what the model sees.
 */
#include "../util/lm_le.h"
#include "../util/lm_sort.h"
#include "../util/lm_file.h"
#include "lm_pairs.h"

#include "../util/lm_utf8.h"
#include "lm_abbrev.h"
#include "lm_lexicon.h"
#include "lm_ner.h"
#include "lm_pairs_impl.h"
#include "lm_sentence.h"
#include "lm_token.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- small helpers ---------------------------------------------------- */

const char *lm_pair_label_name(lm_pair_label l)
{
    switch (l) {
    case LM_PAIR_INDUCES: return "induces";
    case LM_PAIR_TREATS: return "treats";
    case LM_PAIR_ASSOCIATED: return "associated";
    default: return "none";
    }
}

float pairs_sigmoid(double x)
{
    if (x > 30)
        return 1.0f;
    if (x < -30)
        return 0.0f;
    return (float)(1.0 / (1.0 + exp(-x)));
}

const char *pairs_key(const lm_pairs_scratch *s, size_t off)
{
    return s->keys.data + off;
}

/* Grows *v (element size sz) to hold at least n elements. */
static int grow(void **v, size_t *cap, size_t n, size_t sz)
{
    return lm_vec_grow(v, cap, n, sz) == LM_OK ? 0 : -1;
}

/* ---- results ---------------------------------------------------------- */

void lm_pairs_result_init(lm_pairs_result *r)
{
    memset(r, 0, sizeof *r);
}

void lm_pairs_result_reset(lm_pairs_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].chem_id);
        free(r->v[i].chem_text);
        free(r->v[i].dis_id);
        free(r->v[i].dis_text);
    }
    r->n = 0;
}

void lm_pairs_result_free(lm_pairs_result *r)
{
    lm_pairs_result_reset(r);
    free(r->v);
    lm_pairs_result_init(r);
}

/* ---- scratch ---------------------------------------------------------- */

lm_status lm_pairs_scratch_init(lm_pairs_scratch **out, lm_error *err)
{
    lm_pairs_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: out of memory");
    lm_utf8_map_init(&s->map);
    lm_spans_init(&s->tokens);
    lm_spans_init(&s->sent_spans);
    lm_buf_init(&s->keys);
    *out = s;
    return LM_OK;
}

void lm_pairs_scratch_free(lm_pairs_scratch *s)
{
    if (!s)
        return;
    lm_utf8_map_free(&s->map);
    lm_spans_free(&s->tokens);
    lm_spans_free(&s->sent_spans);
    lm_buf_free(&s->keys);
    free(s->sent_tok);
    free(s->tok_sent);
    free(s->tok_trig);
    free(s->sent_section);
    free(s->lab);
    free(s->mentions);
    free(s->concepts);
    free(s->links);
    free(s->cands);
    free(s->feats);
    free(s->uniq);
    free(s->best);
    free(s->hs);
    free(s->z2);
    free(s);
}

/* ---- words and trigger classes ---------------------------------------- */

#define WORD_MAX 32

/* Normal form of token i: ASCII lowercased, numbers folded to "0" (their
 * value says nothing about a relation), long words cut. */
static void token_word(const lm_pairs_scratch *s, const char *text, size_t i,
                       char out[WORD_MAX])
{
    const lm_span *t = &s->tokens.v[i];
    size_t n = t->end - t->start, k = 0;
    const char *p = text + t->start;
    if (n && isdigit((unsigned char)p[0])) {
        out[0] = '0';
        out[1] = '\0';
        return;
    }
    for (size_t j = 0; j < n && k + 1 < WORD_MAX; j++)
        out[k++] = (char)tolower((unsigned char)p[j]);
    out[k] = '\0';
}

enum { TRIG_IND = 1, TRIG_TRT = 2, TRIG_NEG = 4, TRIG_HEDGE = 8, TRIG_PAT = 16 };
/* sentence_features' result besides the trigger classes between: the
 * pair is stated by an explicit construction, at most NEAR_GAP words apart */
enum { NEAR_IND = 32, NEAR_TRT = 64 };
#define NEAR_GAP 3

static int has_prefix(const char *w, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strncmp(w, list[i], strlen(list[i])) == 0)
            return 1;
    return 0;
}

static int word_in(const char *w, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(w, list[i]) == 0)
            return 1;
    return 0;
}

/* Trigger classes of a normalised word (a bit set). */
static int word_trigger(const char *w)
{
    static const char *const ind[] = {
        "induc", "caus", "provok", "elicit", "evok", "develop", "result", "toxic",
        "secondar", "precipitat", "adverse", "complicat", "exacerbat", "aggravat",
        "worsen", "trigger", "attribut", "hepatotox", "nephrotox", "cardiotox",
        "neurotox", "ototox", "produc", "lead", "led", "follow", "occur", "onset",
        NULL};
    static const char *const ind_exact[] = {"after", "due", "during", "from", "side",
                                            "risk", "related", NULL};
    static const char *const trt[] = {
        "treat", "therap", "prevent", "protect", "revers", "attenuat", "inhibit",
        "amelior", "improv", "allevia", "antagon", "block", "reduc", "suppress",
        "efficac", "effective", "manag", "reliev", "relief", "benefi", "abolish",
        "counteract", "cure", "control", "decreas", "prophyla", "rescue", "resolv",
        "lower", "antidot", NULL};
    static const char *const neg[] = {"no", "not", "without", "neither", "nor",
                                      "absence", "absent", "lack", "lacked", "failed",
                                      "none", "never", "unlikely", "unrelated", "nor",
                                      "cannot", NULL};
    static const char *const hedge[] = {"may", "might", "could", "possible", "possibly",
                                        "suggest", "suggests", "suggested", "whether",
                                        "potential", "potentially", "probably",
                                        "probable", "likely", "hypothes", NULL};
    int c = 0;
    if (has_prefix(w, ind) || word_in(w, ind_exact))
        c |= TRIG_IND;
    if (has_prefix(w, trt))
        c |= TRIG_TRT;
    if (word_in(w, neg))
        c |= TRIG_NEG;
    if (word_in(w, hedge) || strncmp(w, "hypothes", 8) == 0)
        c |= TRIG_HEDGE;
    return c;
}

static const char *const trig_names[] = {"ind", "trt", "neg", "hedge"};

/* ---- sections --------------------------------------------------------- */

enum { SEC_NONE, SEC_TITLE, SEC_BACK, SEC_METH, SEC_RES, SEC_CONC, SEC_CASE, SEC_OTHER };
static const char *const sec_names[] = {"none", "title", "back", "meth",
                                        "res",  "conc",  "case", "other"};

static int section_of_heading(const char *h)
{
    static const struct {
        const char *prefix;
        int sec;
    } map[] = {{"BACKGROUND", SEC_BACK},  {"INTRODUCTION", SEC_BACK}, {"PURPOSE", SEC_BACK},
               {"OBJECTIVE", SEC_BACK},   {"AIM", SEC_BACK},          {"CONTEXT", SEC_BACK},
               {"RATIONALE", SEC_BACK},   {"METHOD", SEC_METH},       {"MATERIAL", SEC_METH},
               {"DESIGN", SEC_METH},      {"PATIENT", SEC_METH},      {"SETTING", SEC_METH},
               {"STUDY", SEC_METH},       {"PARTICIPANT", SEC_METH},  {"INTERVENTION", SEC_METH},
               {"MEASURE", SEC_METH},     {"EXPERIMENT", SEC_METH},   {"RESULT", SEC_RES},
               {"FINDING", SEC_RES},      {"CONCLUSION", SEC_CONC},   {"INTERPRETATION", SEC_CONC},
               {"DISCUSSION", SEC_CONC},  {"SUMMARY", SEC_CONC},      {"IMPLICATION", SEC_CONC},
               {"CASE", SEC_CASE}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(h, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].sec;
    return SEC_OTHER;
}

/* A structured-abstract heading opens sentence k: up to four uppercase
 * words then ':'.  Returns its section or SEC_NONE. */
static int sentence_heading(const lm_pairs_scratch *s, const char *text, size_t k)
{
    char head[64];
    size_t hl = 0, words = 0;
    for (size_t i = s->sent_tok[k]; i < s->sent_tok[k + 1]; i++) {
        const lm_span *t = &s->tokens.v[i];
        size_t n = t->end - t->start;
        const char *p = text + t->start;
        if (n == 1 && p[0] == ':')
            return words ? section_of_heading(head) : SEC_NONE;
        if (++words > 4 || n < 2)
            return SEC_NONE;
        for (size_t j = 0; j < n; j++)
            if (!isupper((unsigned char)p[j]))
                return SEC_NONE;
        if (hl + n + 2 >= sizeof head)
            return SEC_NONE;
        if (hl)
            head[hl++] = ' ';
        memcpy(head + hl, p, n);
        hl += n;
        head[hl] = '\0';
    }
    return SEC_NONE;
}

/* ---- feature emission ------------------------------------------------- */

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    /* final avalanche so that the low bits (the table index) mix well */
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return h;
}

static void emit(lm_pairs_scratch *s, int32_t sent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void emit(lm_pairs_scratch *s, int32_t sent, const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = (int)sizeof buf - 1;
    if (s->sink) {
        s->sink(s->sink_ctx, buf, sent);
        return;
    }
    if (s->st != LM_OK)
        return;
    if (grow((void **)&s->feats, &s->cap_feats, s->n_feats + 1, sizeof *s->feats) != 0) {
        s->st = LM_ERR_NOMEM;
        return;
    }
    s->feats[s->n_feats++] = (pairs_feat){fnv1a(buf, (size_t)n) & s->mask, sent};
}

uint32_t pairs_feature_index(const char *feat, uint32_t mask)
{
    return fnv1a(feat, strlen(feat)) & mask;
}

static int bin_freq(uint32_t n)
{
    return n <= 3 ? (int)n : n <= 5 ? 4 : n <= 9 ? 5 : 6;
}

static int bin_small(int n)
{
    return n <= 2 ? n : n <= 4 ? 3 : 4;
}

static int bin_gap(int g)
{
    return g <= 0 ? 0 : g <= 1 ? 1 : g <= 2 ? 2 : g <= 4 ? 3 : g <= 7 ? 4 : g <= 12 ? 5
         : g <= 20 ? 6 : 7;
}

/* ---- document preparation --------------------------------------------- */

static lm_status nomem(lm_error *err)
{
    return lm_error_nomem(err, "in the pairs stage");
}

/* Index of the first token ending after byte b. */
static size_t token_at_or_after(const lm_spans *t, size_t b)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid].end <= b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static lm_status prepare_sentences(lm_pairs_scratch *s, const lm_doc *doc, lm_error *err)
{
    const char *text = doc->text ? doc->text : "";
    size_t n_sents;
    lm_status st;
    if (doc->n_sentences) {
        n_sents = doc->n_sentences;
    } else {
        st = lm_sentence_split(text, doc->text_len, &s->sent_spans, err);
        if (st != LM_OK)
            return st;
        n_sents = s->sent_spans.n;
    }
    if (grow((void **)&s->sent_tok, &s->cap_sents, n_sents + 2, sizeof *s->sent_tok) != 0)
        return nomem(err);
    if (grow((void **)&s->sent_section, &s->cap_sect, n_sents + 2, sizeof *s->sent_section) != 0)
        return nomem(err);
    if (grow((void **)&s->tok_sent, &s->cap_toks, s->tokens.n + 1, sizeof *s->tok_sent) != 0)
        return nomem(err);
    s->n_sents = n_sents;
    /* token i belongs to the last sentence starting at or before it */
    size_t k = 0;
    for (size_t i = 0; i < s->tokens.n; i++) {
        size_t tb = s->tokens.v[i].start;
        while (k + 1 < n_sents) {
            size_t nb;
            if (doc->n_sentences)
                nb = lm_utf8_map_to_byte(&s->map, (size_t)doc->sentences[k + 1].start);
            else
                nb = s->sent_spans.v[k + 1].start;
            if (nb == SIZE_MAX || nb > tb)
                break;
            k++;
        }
        s->tok_sent[i] = n_sents ? (int32_t)k : -1;
    }
    size_t t = 0;
    for (size_t j = 0; j <= n_sents; j++) {
        while (t < s->tokens.n && s->tok_sent[t] < (int32_t)j)
            t++;
        s->sent_tok[j] = (uint32_t)(j == n_sents ? s->tokens.n : t);
    }
    int cur = SEC_NONE;
    for (size_t j = 0; j < n_sents; j++) {
        if (j == 0) {
            s->sent_section[j] = SEC_TITLE;
            continue;
        }
        int h = sentence_heading(s, text, j);
        if (h != SEC_NONE)
            cur = h;
        s->sent_section[j] = cur;
    }
    return LM_OK;
}

static lm_status add_key(lm_pairs_scratch *s, const char *k, size_t n, size_t *off)
{
    *off = s->keys.len;
    if (lm_buf_append(&s->keys, k, n) != LM_OK || lm_buf_append_char(&s->keys, '\0') != LM_OK)
        return LM_ERR_NOMEM;
    return LM_OK;
}

/* Lowercased text of doc mention m into out (cap bytes). */
static void mention_lower(const lm_doc *doc, const lm_pairs_scratch *s, const lm_doc_mention *m,
                          char *out, size_t cap)
{
    const char *src = m->text;
    size_t n = src ? strlen(src) : 0;
    if (!src) {
        size_t b0 = lm_utf8_map_to_byte(&s->map, (size_t)m->start);
        size_t b1 = lm_utf8_map_to_byte(&s->map, (size_t)m->end);
        if (b0 == SIZE_MAX || b1 == SIZE_MAX || b1 < b0)
            b0 = b1 = 0;
        src = doc->text + b0;
        n = b1 - b0;
    }
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (char)tolower((unsigned char)src[i]);
    out[k] = '\0';
}

static lm_status link_concept(lm_pairs_scratch *s, const lm_doc *doc, int type,
                              const char *key, size_t key_len, uint32_t pm)
{
    size_t ci = s->n_concepts;
    for (size_t i = 0; i < s->n_concepts; i++) {
        const pairs_concept *c = &s->concepts[i];
        const char *k = pairs_key(s, c->key_off);
        if (c->type == type && strlen(k) == key_len && memcmp(k, key, key_len) == 0) {
            ci = i;
            break;
        }
    }
    const pairs_mention *mn = &s->mentions[pm];
    if (ci == s->n_concepts) {
        if (grow((void **)&s->concepts, &s->cap_concepts, ci + 1, sizeof *s->concepts) != 0)
            return LM_ERR_NOMEM;
        pairs_concept c;
        memset(&c, 0, sizeof c);
        c.type = type;
        if (add_key(s, key, key_len, &c.key_off) != LM_OK)
            return LM_ERR_NOMEM;
        char low[256];
        mention_lower(doc, s, &doc->mentions[mn->doc_index], low, sizeof low);
        if (add_key(s, low, strlen(low), &c.text_off) != LM_OK)
            return LM_ERR_NOMEM;
        c.first_mention = mn->doc_index;
        c.first_tok = mn->tok_start;
        s->concepts[s->n_concepts++] = c;
    }
    pairs_concept *c = &s->concepts[ci];
    /* links are appended per mention in order; concepts' link lists are
     * gathered afterwards (see group_links), so record (concept, mention) */
    if (grow((void **)&s->links, &s->cap_links, s->n_links + 2, sizeof *s->links) != 0)
        return LM_ERR_NOMEM;
    s->links[s->n_links++] = (uint32_t)ci;
    s->links[s->n_links++] = pm;
    c->n_mentions++;
    if (mn->tok_start < c->first_tok)
        c->first_tok = mn->tok_start;
    return LM_OK;
}

static int cmp_link(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Sorts the (concept, mention) link pairs by concept, drops duplicates
 * (a composite listing the same part twice) and records each concept's
 * slice; afterwards links[] holds mention indices only. */
static void group_links(lm_pairs_scratch *s)
{
    size_t n = s->n_links / 2;
    lm_qsort(s->links, n, 2 * sizeof *s->links, cmp_link);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w && s->links[2 * (w - 1)] == s->links[2 * i] &&
            s->links[2 * (w - 1) + 1] == s->links[2 * i + 1])
            continue;
        s->links[2 * w] = s->links[2 * i];
        s->links[2 * w + 1] = s->links[2 * i + 1];
        w++;
    }
    for (size_t i = 0; i < s->n_concepts; i++)
        s->concepts[i].n_mentions = s->concepts[i].n_links = 0;
    for (size_t i = 0; i < w; i++) {
        pairs_concept *c = &s->concepts[s->links[2 * i]];
        if (c->n_links == 0)
            c->link_off = (uint32_t)i;
        c->n_links++;
        c->n_mentions++;
    }
    for (size_t i = 0; i < w; i++)
        s->links[i] = s->links[2 * i + 1];
    s->n_links = w;
}

/* Whole-word containment: needle occurs in hay delimited by non-alnum. */
static int word_inside(const char *needle, const char *hay)
{
    size_t n = strlen(needle);
    if (!n || strlen(hay) <= n)
        return 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
        int left = p == hay || !isalnum((unsigned char)p[-1]);
        int right = !isalnum((unsigned char)p[n]);
        if (left && right)
            return 1;
    }
    return 0;
}

int pairs_tree_above(const char *a, const char *b)
{
    for (const char *p = a; *p;) {
        size_t n = strcspn(p, "|");
        for (const char *q = b; *q;) {
            size_t m = strcspn(q, "|");
            if (m > n && q[n] == '.' && strncmp(p, q, n) == 0)
                return 1;
            q += m + (q[m] == '|');
        }
        p += n + (p[n] == '|');
    }
    return 0;
}

static void concept_stats(lm_pairs_scratch *s)
{
    size_t last = s->n_sents ? s->n_sents - 1 : 0;
    for (size_t i = 0; i < s->n_concepts; i++) {
        pairs_concept *c = &s->concepts[i];
        c->in_title = c->in_last = 0;
        for (uint32_t j = 0; j < c->n_links; j++) {
            const pairs_mention *m = &s->mentions[s->links[c->link_off + j]];
            if (m->sent == 0)
                c->in_title = 1;
            if (s->n_sents > 1 && m->sent == (int32_t)last)
                c->in_last = 1;
        }
        int rank = 1;
        for (size_t j = 0; j < s->n_concepts; j++) {
            const pairs_concept *o = &s->concepts[j];
            if (j == i || o->type != c->type)
                continue;
            if (o->n_mentions > c->n_mentions ||
                (o->n_mentions == c->n_mentions && o->first_tok < c->first_tok))
                rank++;
        }
        c->rank = rank;
        c->general = 0;
        for (size_t j = 0; j < s->n_concepts && !c->general; j++)
            if (j != i && s->concepts[j].type == c->type &&
                word_inside(pairs_key(s, c->text_off), pairs_key(s, s->concepts[j].text_off)))
                c->general = 1;
        c->broader = c->narrower = 0;
        for (size_t j = 0; j < s->n_concepts && c->trees[0]; j++) {
            const pairs_concept *o = &s->concepts[j];
            if (j == i || o->type != c->type || !o->trees[0])
                continue;
            c->broader |= pairs_tree_above(c->trees, o->trees);
            c->narrower |= pairs_tree_above(o->trees, c->trees);
        }
    }
}

static lm_status prepare_mentions(lm_pairs_scratch *s, const lm_doc *doc,
                                  const lm_lexicon *lex, lm_error *err)
{
    s->n_mentions = s->n_concepts = s->n_links = 0;
    lm_buf_reset(&s->keys);
    for (size_t i = 0; i < doc->n_mentions; i++) {
        const lm_doc_mention *m = &doc->mentions[i];
        if (m->type != LM_ENT_CHEMICAL && m->type != LM_ENT_DISEASE)
            continue;
        if (m->start < 0 || m->end <= m->start)
            continue;
        size_t b0 = lm_utf8_map_to_byte(&s->map, (size_t)m->start);
        size_t b1 = lm_utf8_map_to_byte(&s->map, (size_t)m->end);
        if (b0 == SIZE_MAX || b1 == SIZE_MAX)
            continue;
        size_t t0 = token_at_or_after(&s->tokens, b0);
        if (t0 >= s->tokens.n || s->tokens.v[t0].start >= b1)
            continue;
        size_t t1 = t0;
        while (t1 < s->tokens.n && s->tokens.v[t1].start < b1)
            t1++;
        if (grow((void **)&s->mentions, &s->cap_mentions, s->n_mentions + 1,
                 sizeof *s->mentions) != 0)
            return nomem(err);
        s->mentions[s->n_mentions++] =
            (pairs_mention){m->type, s->tok_sent[t0], (uint32_t)t0, (uint32_t)t1, (uint32_t)i};
    }
    /* Pass 1: mentions with ids, one concept per id part. */
    for (size_t pm = 0; pm < s->n_mentions; pm++) {
        const lm_doc_mention *m = &doc->mentions[s->mentions[pm].doc_index];
        const char *id = m->concept_id;
        if (!id)
            continue;
        for (const char *p = id; *p;) {
            size_t n = strcspn(p, "|");
            if (n && !(n == 2 && p[0] == '-' && p[1] == '1') &&
                !(n == 7 && strncmp(p, "MESH:-1", 7) == 0))
                if (link_concept(s, doc, m->type, p, n, (uint32_t)pm) != LM_OK)
                    return nomem(err);
            p += n;
            if (*p)
                p++;
        }
    }
    /* Pass 2: mentions without an id join a concept whose mention has the
     * same text (an unnormalised repeat), else get a text key. */
    size_t n_id_links = s->n_links;
    char low[256], other[256], key[270];
    for (size_t pm = 0; pm < s->n_mentions; pm++) {
        const lm_doc_mention *m = &doc->mentions[s->mentions[pm].doc_index];
        int has_link = 0;
        for (size_t l = 1; l < n_id_links && !has_link; l += 2)
            has_link = s->links[l] == pm;
        if (has_link)
            continue;
        mention_lower(doc, s, m, low, sizeof low);
        int joined = 0;
        for (size_t l = 0; l + 1 < n_id_links; l += 2) {
            const pairs_mention *om = &s->mentions[s->links[l + 1]];
            if (om->type != m->type)
                continue;
            mention_lower(doc, s, &doc->mentions[om->doc_index], other, sizeof other);
            if (strcmp(low, other) != 0)
                continue;
            const char *k = pairs_key(s, s->concepts[s->links[l]].key_off);
            if (link_concept(s, doc, m->type, k, strlen(k), (uint32_t)pm) != LM_OK)
                return nomem(err);
            joined = 1;
        }
        if (joined)
            continue;
        int kl = snprintf(key, sizeof key, "text:%s", low);
        if (kl <= 5)
            continue;
        if ((size_t)kl >= sizeof key)
            kl = (int)sizeof key - 1;
        if (link_concept(s, doc, m->type, key, (size_t)kl, (uint32_t)pm) != LM_OK)
            return nomem(err);
    }
    group_links(s);
    for (size_t i = 0; i < s->n_concepts; i++) {
        lm_lexicon_concept lc;
        const char *cid = pairs_key(s, s->concepts[i].key_off);
        s->concepts[i].trees = lex && lm_lexicon_get_concept(lex, cid, &lc) ? lc.trees : "";
    }
    concept_stats(s);
    return LM_OK;
}

/* ---- candidate features ----------------------------------------------- */

static int mention_before(const pairs_mention *a, const pairs_mention *b)
{
    return a->tok_start < b->tok_start;
}

static int mention_gap(const pairs_mention *a, const pairs_mention *b)
{
    if (mention_before(a, b))
        return b->tok_start > a->tok_end ? (int)(b->tok_start - a->tok_end) : 0;
    return a->tok_start > b->tok_end ? (int)(a->tok_start - b->tok_end) : 0;
}

#define MAX_BETWEEN 20

/* Features of the closest (chem, dis) mention pair inside sentence k;
 * returns the trigger classes found between the two. */
static int sentence_features(lm_pairs_scratch *s, const lm_doc *doc, int32_t k,
                              const pairs_mention *mc, const pairs_mention *md)
{
    const char *text = doc->text;
    int cd = mention_before(mc, md);
    const pairs_mention *first = cd ? mc : md, *second = cd ? md : mc;
    const char *ord = cd ? "CD" : "DC";
    int gap = mention_gap(mc, md);
    char w[WORD_MAX], w2[WORD_MAX];
    uint32_t s0 = s->sent_tok[k], s1 = s->sent_tok[k + 1];

    emit(s, k, "td=%d", bin_gap(gap));
    emit(s, k, "ord=%s", ord);
    emit(s, k, "ord=%s&td=%d", ord, bin_gap(gap));
    int trig_between = 0, trig_sent = 0;
    if (gap <= MAX_BETWEEN) {
        char phrase[96];
        size_t pl = 0;
        for (uint32_t t = first->tok_end; t < second->tok_start; t++) {
            token_word(s, text, t, w);
            emit(s, k, "bw=%s", w);
            emit(s, k, "bw%s=%s", ord, w);
            trig_between |= s->tok_trig[t];
            size_t wl = strlen(w);
            if (pl + wl + 2 < sizeof phrase) {
                if (pl)
                    phrase[pl++] = '_';
                memcpy(phrase + pl, w, wl);
                pl += wl;
            }
            phrase[pl] = '\0';
        }
        if (gap <= 4)
            emit(s, k, "bs%s=%s", ord, gap ? phrase : "(adjacent)");
        if (gap >= 1) {
            token_word(s, text, first->tok_end, w);
            emit(s, k, "bf%s=%s", ord, w);
            token_word(s, text, second->tok_start - 1, w);
            emit(s, k, "bl%s=%s", ord, w);
        }
    } else {
        emit(s, k, "far");
    }
    for (uint32_t t = s0; t < s1; t++) {
        if (t >= first->tok_end && t < second->tok_start)
            continue;
        if (t >= first->tok_start && t < first->tok_end)
            continue;
        if (t >= second->tok_start && t < second->tok_end)
            continue;
        trig_sent |= s->tok_trig[t];
    }
    for (int b = 0; b < 4; b++) {
        if (trig_between & (1 << b)) {
            emit(s, k, "tb=%s", trig_names[b]);
            emit(s, k, "tb%s=%s", ord, trig_names[b]);
        }
        if (trig_sent & (1 << b))
            emit(s, k, "ts=%s", trig_names[b]);
    }
    if ((trig_between | trig_sent) & TRIG_NEG)
        emit(s, k, "neg&tb=%d", trig_between & (TRIG_IND | TRIG_TRT));
    /* an explicit construction, the two a few words apart with a trigger
     * between ("C-induced D", "D induced by C", "D after C", "C caused D";
     * "C for D", "D treated with C"): the same evidence whatever the verb,
     * and stronger than the same word at the other end of a long sentence */
    int near = 0;
    if (gap <= NEAR_GAP) {
        for (int b = 0; b < 2; b++)
            if (trig_between & (1 << b)) {
                emit(s, k, "tn%s=%s", ord, trig_names[b]);
                if (k == 0)
                    emit(s, k, "tn0=%s", trig_names[b]);
                near |= b ? NEAR_TRT : NEAR_IND;
            }
        if (near && (trig_between & TRIG_NEG))
            emit(s, k, "tn=neg");
    }
    /* contexts of each mention: "X-induced", "treated with X", "X toxicity" */
    const struct {
        const pairs_mention *m;
        const char *tag;
    } ctx[2] = {{mc, "c"}, {md, "d"}};
    for (int i = 0; i < 2; i++) {
        const pairs_mention *m = ctx[i].m;
        if (m->tok_start > s0) {
            token_word(s, text, m->tok_start - 1, w);
            emit(s, k, "%sL=%s", ctx[i].tag, w);
            if (m->tok_start > s0 + 1) {
                token_word(s, text, m->tok_start - 2, w2);
                emit(s, k, "%sL2=%s_%s", ctx[i].tag, w2, w);
            }
        } else {
            emit(s, k, "%sL=<s>", ctx[i].tag);
        }
        if (m->tok_end < s1) {
            token_word(s, text, m->tok_end, w);
            emit(s, k, "%sR=%s", ctx[i].tag, w);
            if (m->tok_end + 1 < s1) {
                token_word(s, text, m->tok_end + 1, w2);
                emit(s, k, "%sR2=%s_%s", ctx[i].tag, w, w2);
                if (strcmp(w, "-") == 0 && (word_trigger(w2) & TRIG_IND))
                    emit(s, k, "%s-ind%s", ctx[i].tag, ord);
            }
        } else {
            emit(s, k, "%sR=</s>", ctx[i].tag);
        }
    }
    /* other entities in between make a direct relation less likely */
    int oc = 0, od = 0, nchem = 0;
    for (size_t i = 0; i < s->n_mentions; i++) {
        const pairs_mention *m = &s->mentions[i];
        if (m->sent != k)
            continue;
        if (m->type == LM_ENT_CHEMICAL && m != mc)
            nchem++;
        if (m == mc || m == md)
            continue;
        if (m->tok_start >= first->tok_end && m->tok_end <= second->tok_start) {
            if (m->type == LM_ENT_CHEMICAL)
                oc++;
            else
                od++;
        }
    }
    emit(s, k, "ocb=%d", oc > 2 ? 2 : oc);
    emit(s, k, "odb=%d", od > 2 ? 2 : od);
    emit(s, k, "snc=%d", nchem > 3 ? 3 : nchem);
    emit(s, k, "sec=%s", sec_names[s->sent_section[k]]);
    if (k == 0)
        emit(s, k, "s0&td=%d", bin_gap(gap));
    if (s->n_sents > 1 && (size_t)k == s->n_sents - 1)
        emit(s, k, "slast");
    return trig_between | (gap > MAX_BETWEEN ? TRIG_PAT : 0) | near;
}

/* Trigger classes of the words around a concept's mentions, over every
 * sentence it appears in (its own tokens excluded). */
static int concept_sentence_triggers(const lm_pairs_scratch *s, const pairs_concept *c)
{
    int trig = 0;
    int32_t done = -1;
    for (uint32_t j = 0; j < c->n_links; j++) {
        const pairs_mention *m = &s->mentions[s->links[c->link_off + j]];
        if (m->sent < 0 || m->sent == done)
            continue;
        done = m->sent;
        for (uint32_t t = s->sent_tok[m->sent]; t < s->sent_tok[m->sent + 1]; t++)
            if (t < m->tok_start || t >= m->tok_end)
                trig |= s->tok_trig[t];
    }
    return trig;
}

/* 1 when some sentence holding concept c holds no mention of type other. */
static int concept_alone(const lm_pairs_scratch *s, const pairs_concept *c, int other)
{
    for (uint32_t j = 0; j < c->n_links; j++) {
        int32_t k = s->mentions[s->links[c->link_off + j]].sent;
        int found = 0;
        for (size_t i = 0; i < s->n_mentions && !found; i++)
            found = s->mentions[i].sent == k && s->mentions[i].type == other;
        if (!found)
            return 1;
    }
    return 0;
}

/* Number of distinct concepts of type other sharing a sentence with c. */
static int sentence_partners(const lm_pairs_scratch *s, const pairs_concept *c, int other)
{
    int n = 0;
    for (size_t i = 0; i < s->n_concepts; i++) {
        const pairs_concept *o = &s->concepts[i];
        if (o->type != other)
            continue;
        int shared = 0;
        for (uint32_t a = 0; a < c->n_links && !shared; a++)
            for (uint32_t b = 0; b < o->n_links && !shared; b++)
                shared = s->mentions[s->links[c->link_off + a]].sent ==
                         s->mentions[s->links[o->link_off + b]].sent;
        n += shared;
    }
    return n;
}

/* The word before every mention of concept c (side 'd' or 'c'), within
 * its sentence: a disease's own surroundings tell an indication or a
 * pre-existing condition ("patients with D", "treatment of D") from an
 * outcome ("developed D"), a chemical's a given drug ("received C") from
 * a studied one, even where no sentence names both.  (The words after
 * were tried too and added nothing out of fold.) */
static void mention_left_words(lm_pairs_scratch *s, const lm_doc *doc, const pairs_concept *c,
                               int co, char side)
{
    char w[WORD_MAX];
    for (uint32_t j = 0; j < c->n_links; j++) {
        const pairs_mention *m = &s->mentions[s->links[c->link_off + j]];
        if (m->sent < 0 || m->tok_start <= s->sent_tok[m->sent])
            continue;
        token_word(s, doc->text, m->tok_start - 1, w);
        emit(s, -1, "%cl1=%s&co=%d", side, w, co);
    }
}

/* The most other diseases that share a chemical-free sentence with a
 * mention of disease c: a disease listed among others where no drug is
 * named ("toxicities were leukopenia, thrombocytopenia and neuropathy")
 * is an observed outcome, usually of the abstract's main drug. */
static int disease_list(const lm_pairs_scratch *s, const pairs_concept *c)
{
    int most = 0;
    for (uint32_t j = 0; j < c->n_links; j++) {
        const pairs_mention *m = &s->mentions[s->links[c->link_off + j]];
        if (m->sent < 0)
            continue;
        int others = 0, chem = 0;
        for (size_t i = 0; i < s->n_mentions && !chem; i++) {
            const pairs_mention *o = &s->mentions[i];
            if (o->sent != m->sent)
                continue;
            chem = o->type == LM_ENT_CHEMICAL;
            others += o->type == LM_ENT_DISEASE && o->tok_start != m->tok_start;
        }
        if (!chem && others > most)
            most = others;
    }
    return most;
}

/* 0, 1, 2-3, 4+ */
static int bin_count(uint32_t n)
{
    return n < 2 ? (int)n : n < 4 ? 2 : 3;
}

/* The knowledge prior: how often other training abstracts related this
 * pair, named it without relating it, and related each concept at all. */
static void kb_features(lm_pairs_scratch *s, const pairs_concept *C, const pairs_concept *D,
                        int co)
{
    if (!s->kb)
        return;
    pairs_kb_counts k;
    pairs_kb_lookup(s->kb, pairs_key(s, C->key_off), pairs_key(s, D->key_off), s->kb_skip,
                    s->lex, D->trees, &k);
    int cid = bin_count(k.pair_cid), no = bin_count(k.pair_co - k.pair_cid);
    emit(s, -1, "kb=%d", cid);
    emit(s, -1, "kb=%d&no=%d", cid, no);
    emit(s, -1, "kb=%d&co=%d", cid, co);
    if (k.pair_co)
        emit(s, -1, "kbr=%d", (int)(4 * k.pair_cid / k.pair_co));
    /* how often each concept is one side of a CID pair where it is named */
    int dr = k.dis_docs ? (int)(4 * k.dis_cid / k.dis_docs) : -1;
    int cr = k.chem_docs ? (int)(4 * k.chem_cid / k.chem_docs) : -1;
    emit(s, -1, "kbd=%d&n=%d", dr, bin_count(k.dis_docs));
    emit(s, -1, "kbc=%d&n=%d", cr, bin_count(k.chem_docs));
    emit(s, -1, "kbd=%d&kbc=%d", dr, cr);
    if (!k.pair_cid && (k.cid_broader || k.cid_narrower))
        emit(s, -1, "kbtree=%d%d", k.cid_broader ? 1 : 0, k.cid_narrower ? 1 : 0);
}

static lm_status cand_features(lm_pairs_scratch *s, const lm_doc *doc, pairs_cand *cand,
                               lm_error *err)
{
    const pairs_concept *C = &s->concepts[cand->chem], *D = &s->concepts[cand->dis];
    size_t ns = s->n_sents ? s->n_sents : 1;
    if (grow((void **)&s->best, &s->cap_best, 3 * ns, sizeof *s->best) != 0)
        return nomem(err);
    for (size_t k = 0; k < ns; k++)
        s->best[3 * k] = -1;
    int min_sd = 1 << 30;
    for (uint32_t i = 0; i < C->n_links; i++) {
        uint32_t mi = s->links[C->link_off + i];
        const pairs_mention *mc = &s->mentions[mi];
        for (uint32_t j = 0; j < D->n_links; j++) {
            uint32_t mj = s->links[D->link_off + j];
            const pairs_mention *md = &s->mentions[mj];
            int sd = abs(mc->sent - md->sent);
            if (sd < min_sd)
                min_sd = sd;
            if (sd != 0 || mc->sent < 0)
                continue;
            int g = mention_gap(mc, md);
            int32_t *b = &s->best[3 * (size_t)mc->sent];
            if (b[0] < 0 || g < b[0]) {
                b[0] = g;
                b[1] = (int32_t)mi;
                b[2] = (int32_t)mj;
            }
        }
    }
    int shared = 0;
    for (size_t k = 0; k < ns; k++)
        shared += s->best[3 * k] >= 0;
    cand->n_shared = shared;

    /* document level */
    int co = shared > 3 ? 3 : shared;
    int cr = C->rank > 4 ? 4 : C->rank, dr = D->rank > 4 ? 4 : D->rank;
    emit(s, -1, "cf=%d", bin_freq(C->n_mentions));
    emit(s, -1, "df=%d", bin_freq(D->n_mentions));
    emit(s, -1, "cr=%d", cr);
    emit(s, -1, "dr=%d", dr);
    emit(s, -1, "crdr=%d_%d", cr, dr);
    emit(s, -1, "ct=%d", C->in_title);
    emit(s, -1, "dt=%d", D->in_title);
    emit(s, -1, "ctdt=%d%d", C->in_title, D->in_title);
    emit(s, -1, "cl=%d&dl=%d", C->in_last, D->in_last);
    int nc = 0, nd = 0, cfirst = 1, dfirst = 1;
    uint32_t chem_mentions = 0;
    for (size_t i = 0; i < s->n_concepts; i++) {
        const pairs_concept *o = &s->concepts[i];
        if (o->type == LM_ENT_CHEMICAL) {
            nc++;
            chem_mentions += o->n_mentions;
            if (o->first_tok < C->first_tok)
                cfirst = 0;
        } else {
            nd++;
            if (o->first_tok < D->first_tok)
                dfirst = 0;
        }
    }
    emit(s, -1, "cfirst=%d", cfirst);
    emit(s, -1, "dfirst=%d", dfirst);
    emit(s, -1, "nc=%d", bin_small(nc));
    emit(s, -1, "nd=%d", bin_small(nd));
    int share = chem_mentions ? (int)(5 * C->n_mentions / chem_mentions) : 0;
    emit(s, -1, "cshare=%d", share > 4 ? 4 : share);
    emit(s, -1, "co=%d", co);
    emit(s, -1, "sd=%d", bin_small(min_sd > 100 ? 100 : min_sd));
    emit(s, -1, "co=%d&cr=%d", co, cr);
    emit(s, -1, "co=%d&dr=%d", co, dr);
    emit(s, -1, "co=%d&ctdt=%d%d", co, C->in_title, D->in_title);
    emit(s, -1, "co=%d&cr=%d&dt=%d", co ? 1 : 0, cr, D->in_title);
    emit(s, -1, "dgen=%d", D->general);
    emit(s, -1, "dgen=%d&co=%d", D->general, co ? 1 : 0);
    emit(s, -1, "cgen=%d", C->general);
    /* MeSH: a disease broader than another of the abstract is seldom the
     * one a relation names; the branches say what kind of thing each is */
    emit(s, -1, "dbroad=%d&co=%d", D->broader, co ? 1 : 0);
    emit(s, -1, "dnarrow=%d", D->narrower);
    emit(s, -1, "cbroad=%d&cnarrow=%d", C->broader, C->narrower);
    for (int side = 0; side < 2; side++) {
        const char *t = side ? D->trees : C->trees;
        char top[3][4];   /* the distinct branches ("C10", "C23") seen so far */
        int n_top = 0;
        for (const char *p = t; *p && n_top < 3;) {
            size_t n = strcspn(p, "|");
            char cur[4];
            snprintf(cur, sizeof cur, "%.*s", (int)(n < 3 ? n : 3), p);
            int seen = 0;
            for (int k = 0; k < n_top; k++)
                seen |= strcmp(top[k], cur) == 0;
            if (!seen) {
                memcpy(top[n_top++], cur, sizeof cur);
                emit(s, -1, "%ctop=%s", side ? 'd' : 'c', cur);
                emit(s, -1, "%ctop=%s&co=%d", side ? 'd' : 'c', cur, co ? 1 : 0);
            }
            p += n + (p[n] == '|');
        }
    }

    emit(s, -1, "did=%s", pairs_key(s, D->key_off));
    emit(s, -1, "cid=%s", pairs_key(s, C->key_off));
    emit(s, -1, "did=%s&co=%d", pairs_key(s, D->key_off), co ? 1 : 0);
    emit(s, -1, "pair=%s&%s", pairs_key(s, C->key_off), pairs_key(s, D->key_off));
    kb_features(s, C, D, co ? 1 : 0);
    if (strncmp(pairs_key(s, C->key_off), "text:", 5) == 0)
        emit(s, -1, "cnoid");
    if (strncmp(pairs_key(s, D->key_off), "text:", 5) == 0)
        emit(s, -1, "dnoid");

    /* the contexts each concept appears in on its own: a disease listed in a
     * sentence naming no chemical, among adverse-effect words, is usually
     * blamed on the document's main chemical */
    int dtrig = D->trig, ctrig = C->trig, dnochem = D->alone;
    for (int b = 0; b < 4; b++) {
        if (dtrig & (1 << b)) {
            emit(s, -1, "dsent=%s", trig_names[b]);
            emit(s, -1, "dsent=%s&co=%d&cr=%d", trig_names[b], co ? 1 : 0, cr);
        }
        if (ctrig & (1 << b))
            emit(s, -1, "csent=%s", trig_names[b]);
    }
    int dp = D->partners, cp = C->partners;
    emit(s, -1, "dpart=%d&co=%d", dp > 3 ? 3 : dp, co ? 1 : 0);
    emit(s, -1, "cpart=%d&co=%d", cp > 4 ? 4 : cp, co ? 1 : 0);
    emit(s, -1, "dnochem=%d&co=%d&cr=%d", dnochem, co ? 1 : 0, cr);
    emit(s, -1, "dnochem=%d&ct=%d&co=%d", dnochem, C->in_title, co ? 1 : 0);
    int dl = disease_list(s, D);
    dl = dl > 3 ? 3 : dl;
    emit(s, -1, "dlist=%d&co=%d", dl, co ? 1 : 0);
    emit(s, -1, "dlist=%d&cr=%d&ct=%d", dl, cr, C->in_title);
    mention_left_words(s, doc, D, co ? 1 : 0, 'd');
    mention_left_words(s, doc, C, co ? 1 : 0, 'c');

    int n_ind = 0, n_trt = 0, n_near_ind = 0, n_near_trt = 0;
    for (size_t k = 0; k < ns; k++) {
        const int32_t *b = &s->best[3 * k];
        if (b[0] < 0)
            continue;
        int tb = sentence_features(s, doc, (int32_t)k, &s->mentions[b[1]], &s->mentions[b[2]]);
        n_ind += (tb & (TRIG_IND | TRIG_PAT)) == TRIG_IND;
        n_trt += (tb & (TRIG_TRT | TRIG_PAT)) == TRIG_TRT;
        n_near_ind += (tb & NEAR_IND) != 0;
        n_near_trt += (tb & NEAR_TRT) != 0;
    }
    /* document-level: how many sentences state it explicitly, and with
     * what else (a minor chemical of the abstract explicitly blamed for a
     * disease is still a cause, "apomorphine-induced hyperactivity") */
    if (n_near_ind || n_near_trt) {
        int ni = n_near_ind > 2 ? 2 : n_near_ind, nt = n_near_trt > 2 ? 2 : n_near_trt;
        emit(s, -1, "nnear=%d_%d", ni, nt);
        emit(s, -1, "nnear=%d_%d&cr=%d", ni, nt, cr);
        emit(s, -1, "nnear=%d_%d&dr=%d", ni, nt, dr);
    }
    if (shared) {
        emit(s, -1, "nind=%d&ntrt=%d", n_ind > 2 ? 2 : n_ind, n_trt > 2 ? 2 : n_trt);
        emit(s, -1, "nind=%d&co=%d", n_ind > 2 ? 2 : n_ind, co);
    }
    if (s->st != LM_OK)
        return nomem(err);
    return LM_OK;
}

lm_status pairs_prepare(lm_pairs_scratch *s, const lm_doc *doc, uint32_t mask,
                        const lm_lexicon *lex, const pairs_kb *kb, const lm_pt_doc *kb_skip,
                        lm_error *err)
{
    s->kb = kb;
    s->kb_skip = kb_skip;
    s->lex = lex;
    const char *text = doc->text ? doc->text : "";
    size_t len = doc->text ? doc->text_len : 0;
    s->mask = mask;
    s->st = LM_OK;
    s->n_feats = s->n_cands = 0;
    lm_status st = lm_utf8_map_build(&s->map, text, len, err);
    if (st == LM_OK)
        st = lm_token_split(text, len, &s->tokens, err);
    if (st == LM_OK)
        st = prepare_sentences(s, doc, err);
    if (st == LM_OK &&
        grow((void **)&s->tok_trig, &s->cap_trig, s->tokens.n + 1, sizeof *s->tok_trig) != 0)
        st = nomem(err);
    for (size_t t = 0; st == LM_OK && t < s->tokens.n; t++) {
        char w[WORD_MAX];
        token_word(s, text, t, w);
        s->tok_trig[t] = (unsigned char)word_trigger(w);
    }
    if (st == LM_OK)
        st = prepare_mentions(s, doc, lex, err);
    if (st != LM_OK)
        return st;
    for (size_t c = 0; c < s->n_concepts; c++) {
        pairs_concept *pc = &s->concepts[c];
        int other = pc->type == LM_ENT_CHEMICAL ? LM_ENT_DISEASE : LM_ENT_CHEMICAL;
        pc->trig = concept_sentence_triggers(s, pc);
        pc->alone = concept_alone(s, pc, other);
        pc->partners = sentence_partners(s, pc, other);
    }
    for (size_t c = 0; c < s->n_concepts; c++) {
        if (s->concepts[c].type != LM_ENT_CHEMICAL)
            continue;
        for (size_t d = 0; d < s->n_concepts; d++) {
            if (s->concepts[d].type != LM_ENT_DISEASE)
                continue;
            if (grow((void **)&s->cands, &s->cap_cands, s->n_cands + 1, sizeof *s->cands) != 0)
                return nomem(err);
            pairs_cand *cand = &s->cands[s->n_cands++];
            memset(cand, 0, sizeof *cand);
            cand->chem = (uint32_t)c;
            cand->dis = (uint32_t)d;
            cand->feat_off = s->n_feats;
            st = cand_features(s, doc, cand, err);
            if (st != LM_OK)
                return st;
            cand->n_feat = s->n_feats - cand->feat_off;
        }
    }
    return LM_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

size_t pairs_cand_unique(lm_pairs_scratch *s, const pairs_cand *c, lm_error *err)
{
    if (grow((void **)&s->uniq, &s->cap_uniq, c->n_feat + 1, sizeof *s->uniq) != 0) {
        nomem(err);
        return (size_t)-1;
    }
    for (size_t i = 0; i < c->n_feat; i++)
        s->uniq[i] = s->feats[c->feat_off + i].idx;
    lm_qsort(s->uniq, c->n_feat, sizeof *s->uniq, cmp_u32);
    size_t w = 0;
    for (size_t i = 0; i < c->n_feat; i++)
        if (w == 0 || s->uniq[w - 1] != s->uniq[i])
            s->uniq[w++] = s->uniq[i];
    return w;
}

/* ---- stack features --------------------------------------------------- */

static int bin_rank(size_t r)
{
    return r <= 3 ? (int)r : r <= 5 ? 4 : 5;
}

static uint32_t hash_str(const char *buf, uint32_t mask)
{
    return fnv1a(buf, strlen(buf)) & mask;
}

size_t pairs_stack_features(const float *p1, const uint32_t *chem, const uint32_t *dis, size_t n,
                            size_t i, uint32_t mask, uint32_t *out)
{
    float v = p1[i], best = 0;
    size_t rank = 1, rank_d = 1, rank_c = 1, above = 0, chems_d = 0, dis_c = 0;
    float best_other_d = 0;
    for (size_t j = 0; j < n; j++) {
        float u = p1[j];
        if (u > best)
            best = u;
        above += u >= 0.3f;
        int beats = u > v || (u == v && j < i);
        if (j == i)
            continue;
        rank += beats;
        if (dis[j] == dis[i]) {
            rank_d += beats;
            chems_d++;
            if (u > best_other_d)
                best_other_d = u;
        }
        if (chem[j] == chem[i]) {
            rank_c += beats;
            dis_c++;
        }
    }
    int dec = (int)(v * 10);
    if (dec > 9)
        dec = 9;
    int rel = best > 0 ? (int)(5 * v / best) : 0;
    if (rel > 4)
        rel = 4;
    int other = (int)(best_other_d * 5);
    if (other > 4)
        other = 4;
    char buf[64];
    size_t k = 0;
#define STACK_FEAT(...)                                                                      \
    do {                                                                                     \
        snprintf(buf, sizeof buf, __VA_ARGS__);                                              \
        out[k++] = hash_str(buf, mask);                                                      \
    } while (0)
    STACK_FEAT("S:p=%d", dec);
    STACK_FEAT("S:r=%d", bin_rank(rank));
    STACK_FEAT("S:rd=%d", bin_rank(rank_d));
    STACK_FEAT("S:rc=%d", bin_rank(rank_c));
    STACK_FEAT("S:rel=%d", rel);
    STACK_FEAT("S:above=%d", bin_rank(above));
    STACK_FEAT("S:p=%d&rd=%d", dec, bin_rank(rank_d));
    STACK_FEAT("S:p=%d&rel=%d", dec, rel);
    STACK_FEAT("S:other=%d&p=%d", other, dec / 2);
    STACK_FEAT("S:nd=%d&rd=%d", bin_rank(chems_d + 1), bin_rank(rank_d));
    STACK_FEAT("S:nc=%d&rc=%d", bin_rank(dis_c + 1), bin_rank(rank_c));
    STACK_FEAT("S:above=%d&r=%d", bin_rank(above), bin_rank(rank));
#undef STACK_FEAT
    return k;
}

/* ---- model ------------------------------------------------------------ */

lm_status pairs_model_new(unsigned bits, lm_pairs_model **out, lm_error *err)
{
    if (bits < 8 || bits > 26)
        return lm_error_set(err, LM_ERR_USAGE, "pairs: hash bits %u out of range 8..26", bits);
    lm_pairs_model *m = calloc(1, sizeof *m);
    if (!m)
        return nomem(err);
    m->bits = bits;
    m->mask = (1u << bits) - 1;
    for (int l = 0; l < PAIRS_HEADS; l++) {
        m->threshold[l] = 2.0f;
        m->cal_a[l] = 1.0f;
    }
    *out = m;
    return LM_OK;
}

lm_status pairs_model_add_head(lm_pairs_model *m, lm_pair_label l, lm_error *err)
{
    if ((int)l <= LM_PAIR_NONE || (int)l >= PAIRS_HEADS)
        return lm_error_set(err, LM_ERR_USAGE, "pairs: bad head %d", (int)l);
    if (!m->w[l]) {
        m->w[l] = calloc((size_t)m->mask + 1, sizeof(float));
        if (!m->w[l])
            return nomem(err);
    }
    m->has[l] = 1;
    m->threshold[l] = 0.5f;
    m->cal_a[l] = 1.0f;
    m->cal_b[l] = 0.0f;
    return LM_OK;
}

void lm_pairs_model_free(lm_pairs_model *m)
{
    if (!m)
        return;
    for (int l = 0; l < PAIRS_HEADS; l++)
        free(m->w[l]);
    pairs_kb_free(m->kb);
    free(m);
}

float lm_pairs_model_threshold(const lm_pairs_model *m, lm_pair_label l)
{
    return l > LM_PAIR_NONE && l < LM_PAIR_LABEL_COUNT ? m->threshold[l] : 2.0f;
}

void lm_pairs_model_set_threshold(lm_pairs_model *m, lm_pair_label l, float t)
{
    if (l > LM_PAIR_NONE && l < LM_PAIR_LABEL_COUNT && m->has[l])
        m->threshold[l] = t;
}

void lm_pairs_model_use_lexicon(lm_pairs_model *m, const lm_lexicon *lex)
{
    m->lex = lex;
}

float pairs_calibrate(const lm_pairs_model *m, int head, double logit)
{
    return pairs_sigmoid((double)m->cal_a[head] * logit + (double)m->cal_b[head]);
}

int lm_pairs_model_has_head(const lm_pairs_model *m, lm_pair_label l)
{
    return l > LM_PAIR_NONE && l < LM_PAIR_LABEL_COUNT && m->has[l];
}

lm_status lm_pairs_default_path(const lm_config *cfg, lm_buf *out, lm_error *err)
{
    const char *dir = cfg ? lm_config_get_or(cfg, "models", "dir", "models") : "models";
    lm_buf_reset(out);
    if (lm_buf_printf(out, "%s/%s", *dir ? dir : ".", LM_PAIRS_DEFAULT_MODEL) != LM_OK)
        return nomem(err);
    return LM_OK;
}

/* File layout (little-endian):
 *   0  "LMPAIR\0\n"         8  format version      12 feature version
 *   16 hash bits            20 payload length      24 compressed length
 *   28 compressed payload   end-4: CRC-32 of every preceding byte
 * Payload: n_heads, then per head label, bias, threshold, calibration a
 * and b, nnz and nnz (index, weight) pairs; then 1 and the knowledge
 * prior's table (pairs_kb_write), or 0 when the model has none.  Format 3
 * added the table. */
#define PAIRS_MAGIC "LMPAIR\0\n"
#define PAIRS_FORMAT 3
#define PAIRS_HEAD_BYTES 24
#define PAIRS_HEADER 28

lm_status lm_pairs_model_save(const lm_pairs_model *m, const char *path, lm_error *err)
{
    size_t raw_len = 4;
    for (int l = 1; l < PAIRS_HEADS; l++) {
        if (!m->has[l])
            continue;
        raw_len += PAIRS_HEAD_BYTES;
        for (size_t i = 0; i <= m->mask; i++)
            raw_len += m->w[l][i] != 0.0f ? 8 : 0;
    }
    raw_len += 4 + (m->kb ? pairs_kb_size(m->kb) : 0);
    if (raw_len > 0xffffffffu)
        return lm_error_set(err, LM_ERR_USAGE, "pairs: model too large");
    unsigned char *raw = malloc(raw_len);
    if (!raw)
        return nomem(err);
    unsigned char *p = raw + 4;
    uint32_t heads = 0;
    for (int l = 1; l < PAIRS_HEADS; l++) {
        if (!m->has[l])
            continue;
        heads++;
        uint32_t nnz = 0;
        for (size_t i = 0; i <= m->mask; i++)
            nnz += m->w[l][i] != 0.0f;
        lm_le32_put(p, (uint32_t)l);
        lm_le32_put(p + 4, lm_f32_bits(m->bias[l]));
        lm_le32_put(p + 8, lm_f32_bits(m->threshold[l]));
        lm_le32_put(p + 12, lm_f32_bits(m->cal_a[l]));
        lm_le32_put(p + 16, lm_f32_bits(m->cal_b[l]));
        lm_le32_put(p + 20, nnz);
        p += PAIRS_HEAD_BYTES;
        for (size_t i = 0; i <= m->mask; i++) {
            if (m->w[l][i] == 0.0f)
                continue;
            lm_le32_put(p, (uint32_t)i);
            lm_le32_put(p + 4, lm_f32_bits(m->w[l][i]));
            p += 8;
        }
    }
    lm_le32_put(p, m->kb ? 1 : 0);
    if (m->kb)
        pairs_kb_write(m->kb, p + 4);
    lm_le32_put(raw, heads);
    uLongf zlen = compressBound((uLong)raw_len);
    unsigned char *z = malloc(PAIRS_HEADER + zlen + 4);
    if (!z) {
        free(raw);
        return nomem(err);
    }
    int zr = compress2(z + PAIRS_HEADER, &zlen, raw, (uLong)raw_len, 9);
    free(raw);
    if (zr != Z_OK) {
        free(z);
        return lm_error_set(err, LM_ERR_NOMEM, "pairs: zlib compress failed (%d)", zr);
    }
    memcpy(z, PAIRS_MAGIC, 8);
    lm_le32_put(z + 8, PAIRS_FORMAT);
    lm_le32_put(z + 12, PAIRS_FEATURE_VERSION);
    lm_le32_put(z + 16, m->bits);
    lm_le32_put(z + 20, (uint32_t)raw_len);
    lm_le32_put(z + 24, (uint32_t)zlen);
    size_t total = PAIRS_HEADER + zlen;
    lm_le32_put(z + total, (uint32_t)crc32(0L, z, (uInt)total));
    total += 4;

    lm_status st = lm_file_write_atomic(path, z, total, err);
    free(z);
    return st;
}

static lm_status read_file(const char *path, unsigned char **out, size_t *len, lm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    lm_buf b;
    lm_buf_init(&b);
    char chunk[65536];
    size_t n;
    lm_status st = LM_OK;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (lm_buf_append(&b, chunk, n) != LM_OK) {
            st = nomem(err);
            break;
        }
    if (st == LM_OK && ferror(f))
        st = lm_error_set(err, LM_ERR_IO, "%s: read error", path);
    fclose(f);
    if (st != LM_OK) {
        lm_buf_free(&b);
        return st;
    }
    *len = b.len;
    *out = (unsigned char *)lm_buf_take(&b);
    return LM_OK;
}

lm_status lm_pairs_model_load(const char *path, lm_pairs_model **out, lm_error *err)
{
    unsigned char *z = NULL;
    size_t len = 0;
    lm_status st = read_file(path, &z, &len, err);
    if (st != LM_OK)
        return st;
    unsigned char *raw = NULL;
    lm_pairs_model *m = NULL;
    if (len < PAIRS_HEADER + 4 || memcmp(z, PAIRS_MAGIC, 8) != 0) {
        st = lm_error_set(err, LM_ERR_CORRUPT, "%s: not a litmine pairs model", path);
        goto done;
    }
    if (lm_le32_get(z + len - 4) != (uint32_t)crc32(0L, z, (uInt)(len - 4))) {
        st = lm_error_set(err, LM_ERR_CORRUPT, "%s: checksum mismatch", path);
        goto done;
    }
    if (lm_le32_get(z + 8) != PAIRS_FORMAT || lm_le32_get(z + 12) != PAIRS_FEATURE_VERSION) {
        st = lm_error_set(err, LM_ERR_FORMAT,
                          "%s: model format %u / features %u, this build reads %u / %u "
                          "(retrain with `litmine train pairs`)",
                          path, lm_le32_get(z + 8), lm_le32_get(z + 12), PAIRS_FORMAT,
                          PAIRS_FEATURE_VERSION);
        goto done;
    }
    uint32_t bits = lm_le32_get(z + 16), raw_len = lm_le32_get(z + 20), zlen = lm_le32_get(z + 24);
    if ((size_t)zlen + PAIRS_HEADER + 4 != len || raw_len < 4 || bits < 8 || bits > 26) {
        st = lm_error_set(err, LM_ERR_CORRUPT, "%s: inconsistent header", path);
        goto done;
    }
    raw = malloc(raw_len);
    if (!raw) {
        st = nomem(err);
        goto done;
    }
    uLongf rl = raw_len;
    if (uncompress(raw, &rl, z + PAIRS_HEADER, zlen) != Z_OK || rl != raw_len) {
        st = lm_error_set(err, LM_ERR_CORRUPT, "%s: payload does not decompress", path);
        goto done;
    }
    st = pairs_model_new(bits, &m, err);
    if (st != LM_OK)
        goto done;
    const unsigned char *p = raw + 4, *end = raw + raw_len;
    uint32_t heads = lm_le32_get(raw);
    for (uint32_t h = 0; h < heads && st == LM_OK; h++) {
        if (end - p < PAIRS_HEAD_BYTES) {
            st = lm_error_set(err, LM_ERR_CORRUPT, "%s: truncated head", path);
            break;
        }
        uint32_t l = lm_le32_get(p), nnz = lm_le32_get(p + 20);
        if (l == 0 || l >= PAIRS_HEADS || m->has[l] ||
            (size_t)(end - p - PAIRS_HEAD_BYTES) / 8 < nnz) {
            st = lm_error_set(err, LM_ERR_CORRUPT, "%s: bad head", path);
            break;
        }
        st = pairs_model_add_head(m, (lm_pair_label)l, err);
        if (st != LM_OK)
            break;
        m->bias[l] = lm_f32_from_bits(lm_le32_get(p + 4));
        m->threshold[l] = lm_f32_from_bits(lm_le32_get(p + 8));
        m->cal_a[l] = lm_f32_from_bits(lm_le32_get(p + 12));
        m->cal_b[l] = lm_f32_from_bits(lm_le32_get(p + 16));
        p += PAIRS_HEAD_BYTES;
        for (uint32_t i = 0; i < nnz; i++, p += 8) {
            uint32_t idx = lm_le32_get(p);
            if (idx > m->mask) {
                st = lm_error_set(err, LM_ERR_CORRUPT, "%s: weight index out of range", path);
                break;
            }
            m->w[l][idx] = lm_f32_from_bits(lm_le32_get(p + 4));
        }
    }
    if (st == LM_OK && end - p < 4)
        st = lm_error_set(err, LM_ERR_CORRUPT, "%s: truncated payload", path);
    if (st == LM_OK) {
        uint32_t has_kb = lm_le32_get(p);
        p += 4;
        size_t used = 0;
        if (has_kb > 1)
            st = lm_error_set(err, LM_ERR_CORRUPT, "%s: bad knowledge table flag", path);
        else if (has_kb && (st = pairs_kb_read(p, (size_t)(end - p), &used, &m->kb, err)) != LM_OK)
            lm_error_wrap(err, "%s", path);
        p += used;
    }
    if (st == LM_OK && p != end)
        st = lm_error_set(err, LM_ERR_CORRUPT, "%s: trailing payload bytes", path);
done:
    free(z);
    free(raw);
    if (st != LM_OK) {
        lm_pairs_model_free(m);
        return st;
    }
    *out = m;
    return LM_OK;
}

/* ---- inference -------------------------------------------------------- */

static double head_raw(const lm_pairs_model *m, int l, const uint32_t *idx, size_t n)
{
    double z = m->bias[l];
    for (size_t i = 0; i < n; i++)
        z += m->w[l][idx[i]];
    return z;
}

static char *dup_str(const char *s)
{
    return strdup(s ? s : "");
}

static lm_status push_pair(lm_pairs_result *out, const lm_pair *p, lm_error *err)
{
    if (grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v) != 0)
        return nomem(err);
    out->v[out->n++] = *p;
    return LM_OK;
}

static int cmp_pair(const void *a, const void *b)
{
    const lm_pair *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    int c = strcmp(x->chem_id, y->chem_id);
    return c ? c : strcmp(x->dis_id, y->dis_id);
}

/* The decision: the first head (in label order, from `from`) whose
 * calibrated probability reaches its threshold labels the pair; none, a
 * co-occurrence. */
static lm_pair_label decide(const lm_pairs_model *m, const float *row, int from)
{
    for (int l = from; l < LM_PAIR_LABEL_COUNT; l++)
        if (m->has[l] && row[l] >= m->threshold[l])
            return (lm_pair_label)l;
    return LM_PAIR_NONE;
}

/* BC5CDR's guidelines relate a chemical to the most specific disease the
 * abstract names ("arrhythmia" and "ventricular tachycardia": only the
 * latter).  So a chemical's induces decision on a disease whose MeSH tree
 * number is an ancestor of another disease it induces in the abstract, at
 * least as probably, falls to the next label that holds (or
 * co-occurrence).  The probability condition keeps a broad disease the
 * abstract is about ("amnesia" over a passing "retrograde amnesia"):
 * without it the rule removed 11 right pairs with 26 wrong ones on BC5CDR
 * dev as ingested, with it 4 with 18.  Decisions are read before any is
 * changed, so a chain (heart diseases > arrhythmias > tachycardia) keeps
 * only its most specific member. */
static void drop_broader(const lm_pairs_model *m, const lm_pairs_scratch *s, unsigned char *lab)
{
    for (size_t i = 0; i < s->n_cands; i++) {
        const pairs_cand *c = &s->cands[i];
        const pairs_concept *D = &s->concepts[c->dis];
        if (lab[i] != LM_PAIR_INDUCES || !D->broader)
            continue;
        for (size_t j = 0; j < s->n_cands; j++) {
            const pairs_cand *o = &s->cands[j];
            if (j == i || o->chem != c->chem || (lab[j] & 0x7f) != LM_PAIR_INDUCES ||
                s->hs[j * LM_PAIR_LABEL_COUNT + LM_PAIR_INDUCES] <
                    s->hs[i * LM_PAIR_LABEL_COUNT + LM_PAIR_INDUCES] ||
                !pairs_tree_above(D->trees, s->concepts[o->dis].trees))
                continue;
            lab[i] = 0x80 | LM_PAIR_INDUCES;   /* marked, read as induces until all are seen */
            break;
        }
    }
    for (size_t i = 0; i < s->n_cands; i++)
        if (lab[i] & 0x80)
            lab[i] = (unsigned char)decide(m, s->hs + i * LM_PAIR_LABEL_COUNT,
                                           LM_PAIR_INDUCES + 1);
}

/* Sum of head `head`'s weights over the features candidate c draws from
 * each shared sentence: the best sentence and its sum through the
 * pointers (-1 and -inf when c shares none).  A sentence's features are
 * emitted together (sentence_features), so they are contiguous. */
static void best_shared_sentence(const lm_pairs_model *m, int head, const lm_pairs_scratch *s,
                                 const pairs_cand *c, int32_t *best, double *best_v)
{
    *best = -1;
    *best_v = -1e300;
    if (!c->n_shared || !m->has[head])
        return;
    int32_t cur = -2;
    double v = 0;
    for (size_t f = 0; f <= c->n_feat; f++) {
        const pairs_feat *pf = f < c->n_feat ? &s->feats[c->feat_off + f] : NULL;
        if (!pf || pf->sent != cur) {
            if (cur >= 0 && v > *best_v) {
                *best_v = v;
                *best = cur;
            }
            if (!pf)
                break;
            cur = pf->sent;
            v = 0;
        }
        v += m->w[head][pf->idx];
    }
}

/* The nearest sentences naming the chemical and the disease of c in
 * different sentences (the earliest such pair at the smallest distance);
 * both -1 when every mention of one shares a sentence with the other's. */
static void nearest_apart(const lm_pairs_scratch *s, const pairs_cand *c, int32_t *cs,
                          int32_t *ds)
{
    const pairs_concept *C = &s->concepts[c->chem], *D = &s->concepts[c->dis];
    int best = 1 << 30;
    *cs = *ds = -1;
    for (uint32_t i = 0; i < C->n_links; i++) {
        int32_t a = s->mentions[s->links[C->link_off + i]].sent;
        for (uint32_t j = 0; j < D->n_links; j++) {
            int32_t b = s->mentions[s->links[D->link_off + j]].sent;
            int d = abs(a - b);
            if (a < 0 || b < 0 || d == 0)
                continue;
            int first = a < b ? a : b;
            if (d < best || (d == best && first < (*cs < *ds ? *cs : *ds))) {
                best = d;
                *cs = a;
                *ds = b;
            }
        }
    }
}

/* Code-point span of sentences [a, b] of the document (as prepared). */
static void sentence_span(const lm_pairs_scratch *s, const lm_doc *doc, int32_t a, int32_t b,
                          int32_t *start, int32_t *end)
{
    *start = *end = -1;
    if (a < 0 || b < a)
        return;
    if (doc->n_sentences) {
        if ((size_t)b >= doc->n_sentences)
            return;
        *start = doc->sentences[a].start;
        *end = doc->sentences[b].end;
    } else if ((size_t)b < s->sent_spans.n) {
        *start = (int32_t)lm_utf8_map_to_cp(&s->map, s->sent_spans.v[a].start);
        *end = (int32_t)lm_utf8_map_to_cp(&s->map, s->sent_spans.v[b].end);
    }
}

/* Evidence of a pair: the shared sentence that speaks most for its label
 * (the head's weights over that sentence's features sum above zero); else
 * the nearest sentences naming each concept — both when adjacent, else the
 * one where the label's effect is usually stated (the chemical's for
 * treats, the disease's otherwise); else, when the concepts only ever meet
 * in sentences that do not speak for the label, the best of those. */
static void pair_evidence(const lm_pairs_model *m, const lm_pairs_scratch *s, const lm_doc *doc,
                          const pairs_cand *c, lm_pair_label label, lm_pair *p)
{
    int head = label != LM_PAIR_NONE ? (int)label : LM_PAIR_INDUCES;
    if (head == LM_PAIR_INDUCES && m->has[PAIRS_STACK])
        head = PAIRS_STACK;
    int32_t shared, a, b;
    double v;
    best_shared_sentence(m, head, s, c, &shared, &v);
    nearest_apart(s, c, &a, &b);
    if (shared >= 0 && (v > 0 || a < 0)) {
        a = b = shared;
    } else if (a >= 0 && abs(a - b) > 1) {
        a = b = label == LM_PAIR_TREATS ? a : b;
    } else if (a > b) {
        int32_t t = a;
        a = b;
        b = t;
    }
    p->sentence = a;
    sentence_span(s, doc, a, b, &p->sent_start, &p->sent_end);
    if (p->sent_start < 0)
        p->sentence = -1;
}

static lm_status extract(const lm_pairs_model *m, lm_pairs_scratch *scratch, const lm_doc *doc,
                         int keep_all, lm_pairs_result *out, lm_error *err)
{
    lm_pairs_result_reset(out);
    lm_pairs_scratch *s = scratch;
    lm_status st = LM_OK;
    if (!s && (st = lm_pairs_scratch_init(&s, err)) != LM_OK)
        return st;
    st = pairs_prepare(s, doc, m->mask, m->lex, m->kb, NULL, err);
    /* calibrated probabilities per head; slot 0 is unused */
    if (st == LM_OK && grow((void **)&s->hs, &s->cap_hs, (s->n_cands + 1) * LM_PAIR_LABEL_COUNT,
                            sizeof *s->hs) != 0)
        st = nomem(err);
    if (st == LM_OK && grow((void **)&s->z2, &s->cap_z2, s->n_cands + 1, sizeof *s->z2) != 0)
        st = nomem(err);
    /* the first stage's raw induces probabilities feed the second stage,
     * as in training; they go in the spare slot 0 */
    for (size_t i = 0; st == LM_OK && i < s->n_cands; i++) {
        size_t n = pairs_cand_unique(s, &s->cands[i], err);
        if (n == (size_t)-1) {
            st = LM_ERR_NOMEM;
            break;
        }
        float *row = s->hs + i * LM_PAIR_LABEL_COUNT;
        for (int l = 1; l < LM_PAIR_LABEL_COUNT; l++) {
            double z = m->has[l] ? head_raw(m, l, s->uniq, n) : 0.0;
            row[l] = m->has[l] ? pairs_calibrate(m, l, z) : 0.0f;
            if (l == LM_PAIR_INDUCES)
                row[0] = pairs_sigmoid(z);
        }
        s->z2[i] = m->has[PAIRS_STACK] ? head_raw(m, PAIRS_STACK, s->uniq, n) : 0.0;
    }
    if (st == LM_OK && m->has[PAIRS_STACK] && m->has[LM_PAIR_INDUCES]) {
        /* second stage: every first-stage score is needed before any is
         * replaced, so the features read a copy */
        float *p1 = malloc((s->n_cands + 1) * sizeof *p1);
        uint32_t *cd = malloc((2 * s->n_cands + 1) * sizeof *cd);
        if (!p1 || !cd) {
            st = nomem(err);
        } else {
            for (size_t i = 0; i < s->n_cands; i++) {
                p1[i] = s->hs[i * LM_PAIR_LABEL_COUNT];
                cd[i] = s->cands[i].chem;
                cd[s->n_cands + i] = s->cands[i].dis;
            }
            for (size_t i = 0; i < s->n_cands; i++) {
                uint32_t f[PAIRS_STACK_MAX];
                size_t k = pairs_stack_features(p1, cd, cd + s->n_cands, s->n_cands, i, m->mask, f);
                double z = s->z2[i];
                for (size_t q = 0; q < k; q++)
                    z += m->w[PAIRS_STACK][f[q]];
                s->hs[i * LM_PAIR_LABEL_COUNT + LM_PAIR_INDUCES] =
                    pairs_calibrate(m, PAIRS_STACK, z);
            }
        }
        free(p1);
        free(cd);
    }
    if (st == LM_OK && grow((void **)&s->lab, &s->cap_lab, s->n_cands + 1, sizeof *s->lab) != 0)
        st = nomem(err);
    for (size_t i = 0; st == LM_OK && i < s->n_cands; i++)
        s->lab[i] = (unsigned char)decide(m, s->hs + i * LM_PAIR_LABEL_COUNT, 1);
    if (st == LM_OK)
        drop_broader(m, s, s->lab);
    for (size_t i = 0; st == LM_OK && i < s->n_cands; i++) {
        const pairs_cand *c = &s->cands[i];
        const float *row = s->hs + i * LM_PAIR_LABEL_COUNT;
        lm_pair p;
        memset(&p, 0, sizeof p);
        for (int l = 1; l < LM_PAIR_LABEL_COUNT; l++)
            p.head_score[l] = row[l];
        p.label = (lm_pair_label)s->lab[i];
        if (p.label == LM_PAIR_NONE && !keep_all)
            continue;
        if (p.label != LM_PAIR_NONE) {
            p.score = row[p.label];
        } else {
            for (int l = 1; l < LM_PAIR_LABEL_COUNT; l++)
                if (row[l] > p.score)
                    p.score = row[l];
        }
        pair_evidence(m, s, doc, c, p.label, &p);
        p.same_sentence = c->n_shared > 0;
        const pairs_concept *C = &s->concepts[c->chem], *D = &s->concepts[c->dis];
        p.chem_id = dup_str(pairs_key(s, C->key_off));
        p.dis_id = dup_str(pairs_key(s, D->key_off));
        /* mention text not stored in the doc: the lowercased form */
        const char *ct = doc->mentions[C->first_mention].text;
        const char *dt = doc->mentions[D->first_mention].text;
        p.chem_text = dup_str(ct ? ct : pairs_key(s, C->text_off));
        p.dis_text = dup_str(dt ? dt : pairs_key(s, D->text_off));
        if (!p.chem_id || !p.dis_id || !p.chem_text || !p.dis_text ||
            push_pair(out, &p, err) != LM_OK) {
            free(p.chem_id);
            free(p.dis_id);
            free(p.chem_text);
            free(p.dis_text);
            st = nomem(err);
        }
    }
    if (st == LM_OK)
        lm_qsort(out->v, out->n, sizeof *out->v, cmp_pair);
    else
        lm_pairs_result_reset(out);
    if (!scratch)
        lm_pairs_scratch_free(s);
    return st;
}

lm_status lm_pairs_extract(const lm_pairs_model *m, lm_pairs_scratch *scratch,
                           const lm_doc *doc, lm_pairs_result *out, lm_error *err)
{
    return extract(m, scratch, doc, 0, out, err);
}

lm_status lm_pairs_extract_all(const lm_pairs_model *m, lm_pairs_scratch *scratch,
                               const lm_doc *doc, lm_pairs_result *out, lm_error *err)
{
    return extract(m, scratch, doc, 1, out, err);
}

lm_status lm_pairs_features(const lm_doc *doc, const lm_lexicon *lex, const char *chem_id,
                            const char *dis_id,
                            void (*cb)(void *ctx, const char *feat, int32_t sentence),
                            void *ctx, lm_error *err)
{
    lm_pairs_scratch *s;
    lm_status st = lm_pairs_scratch_init(&s, err);
    if (st != LM_OK)
        return st;
    st = pairs_prepare(s, doc, 0xffffffffu, lex, NULL, NULL, err);
    size_t found = s->n_cands;
    for (size_t i = 0; st == LM_OK && i < s->n_cands; i++)
        if (strcmp(pairs_key(s, s->concepts[s->cands[i].chem].key_off), chem_id) == 0 &&
            strcmp(pairs_key(s, s->concepts[s->cands[i].dis].key_off), dis_id) == 0)
            found = i;
    if (st == LM_OK && found == s->n_cands)
        st = lm_error_set(err, LM_ERR_NOTFOUND, "pairs: (%s, %s) is not a candidate", chem_id,
                          dis_id);
    if (st == LM_OK) {
        s->sink = cb;
        s->sink_ctx = ctx;
        pairs_cand c = s->cands[found];
        st = cand_features(s, doc, &c, err);
    }
    lm_pairs_scratch_free(s);
    return st;
}

/* ---- documents -------------------------------------------------------- */

static lm_status add_split_sentences(lm_doc *out, const char *text, size_t len, int32_t cp0,
                                     lm_spans *spans, lm_error *err)
{
    lm_status st = lm_sentence_split(text, len, spans, err);
    size_t cp = 0, b = 0;
    for (size_t i = 0; st == LM_OK && i < spans->n; i++) {
        /* sentence spans are increasing, so one forward sweep converts them */
        cp += lm_utf8_count(text + b, spans->v[i].start - b);
        b = spans->v[i].start;
        int32_t s0 = cp0 + (int32_t)cp;
        cp += lm_utf8_count(text + b, spans->v[i].end - b);
        b = spans->v[i].end;
        st = lm_doc_add_sentence(out, s0, cp0 + (int32_t)cp, err);
    }
    return st;
}

static int32_t sentence_index(const lm_doc *d, int32_t cp)
{
    for (size_t i = 0; i < d->n_sentences; i++)
        if (cp >= d->sentences[i].start && cp < d->sentences[i].end)
            return (int32_t)i;
    return -1;
}

lm_status lm_pairs_doc_from_pubtator(const lm_pt_doc *pt, lm_doc *out, lm_error *err)
{
    lm_doc_free(out);
    const char *title = pt->title ? pt->title : "", *abs = pt->abstract ? pt->abstract : "";
    lm_status st = lm_doc_set_text(out, title, abs, err);
    lm_spans spans;
    lm_spans_init(&spans);
    size_t tl = strlen(title);
    if (st == LM_OK)
        st = add_split_sentences(out, title, tl, 0, &spans, err);
    if (st == LM_OK)
        st = add_split_sentences(out, abs, strlen(abs), (int32_t)lm_utf8_count(title, tl) + 1,
                                 &spans, err);
    lm_spans_free(&spans);
    lm_buf id;
    lm_buf_init(&id);
    for (size_t i = 0; st == LM_OK && i < pt->n_mentions; i++) {
        const lm_pt_mention *m = &pt->mentions[i];
        lm_ent_type t = lm_ent_type_parse(m->type);
        if (t == LM_ENT_NONE)
            continue;
        int qualified = lm_lexicon_qualify_id(t, m->id, &id);
        if (qualified == -2) {
            st = nomem(err);
            break;
        }
        int have = qualified == 0;
        st = lm_doc_add_mention(out, m->start, m->end, t, m->text,
                                have ? lm_buf_cstr(&id) : NULL, sentence_index(out, m->start),
                                1.0f, err);
    }
    lm_buf_free(&id);
    if (st != LM_OK)
        lm_doc_free(out);
    return st;
}

lm_status lm_pairs_add_relation(lm_pt_doc *pt, const char *rel_type, const char *chem_id,
                                const char *dis_id, lm_error *err)
{
    if (strncmp(chem_id, "text:", 5) == 0 || strncmp(dis_id, "text:", 5) == 0)
        return LM_OK;
    lm_pt_relation *v = realloc(pt->relations, (pt->n_relations + 1) * sizeof *v);
    if (!v)
        return nomem(err);
    pt->relations = v;
    lm_pt_relation rel = {strdup(rel_type), strdup(lm_id_bare_mesh(chem_id)),
                          strdup(lm_id_bare_mesh(dis_id))};
    if (!rel.type || !rel.id1 || !rel.id2) {
        free(rel.type);
        free(rel.id1);
        free(rel.id2);
        return nomem(err);
    }
    pt->relations[pt->n_relations++] = rel;
    return LM_OK;
}

lm_status lm_pairs_result_to_pubtator(const lm_pairs_result *r, lm_pair_label label,
                                      const char *rel_type, lm_pt_doc *pt, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; i < r->n && st == LM_OK; i++)
        if (r->v[i].label == label)
            st = lm_pairs_add_relation(pt, rel_type, r->v[i].chem_id, r->v[i].dis_id, err);
    return st;
}

/* ---- NER output to a doc ---------------------------------------------- */

/* The mention's id: the lexicon's reading of it, else (when made is not
 * NULL) the '|'-joined ids of the diseases it names together ("ovarian and
 * breast carcinoma"), a string handed to the caller in *made; NULL when
 * unknown or when memory runs out (*failed set). */
static const char *lookup_id(const lm_lexicon *lex, lm_ent_type t, const char *ns,
                             const char *text, size_t len, char **made, int *failed)
{
    lm_lexicon_match m;
    if (!lex)
        return NULL;
    if (lm_lexicon_lookup_mention(lex, t, ns, text, len, &m, 1))
        return m.id;
    if (!made)
        return NULL;
    lm_buf ids;
    lm_buf_init(&ids);
    int found = lm_lexicon_lookup_composite(lex, t, ns, text, len, &ids);
    if (found < 0 || (found > 0 && !(*made = lm_buf_take(&ids))))
        *failed = 1;
    lm_buf_free(&ids);
    return *made;
}

/* Does name share a specific word with text (4+ letters, compared on their
 * first 5, so "disorders" meets "disorder")?  Words that name a kind of
 * thing rather than the thing do not count. */
static int shares_word(const char *name, const char *text, size_t len)
{
    static const char *const generic[] = {"disea", "disor", "syndr", "injur", "defic",
                                          "chron", "acute", "induc", "recep", "facto",
                                          "prote", "cells", "acid", NULL};
    for (size_t i = 0; name[i];) {
        while (name[i] && !isalpha((unsigned char)name[i]))
            i++;
        size_t a = i;
        while (isalpha((unsigned char)name[i]))
            i++;
        size_t n = i - a;
        if (n < 4)
            continue;
        size_t k = n < 5 ? n : 5;
        int skip = 0;
        for (size_t g = 0; generic[g] && !skip; g++)
            skip = strlen(generic[g]) == k && strncasecmp(name + a, generic[g], k) == 0;
        if (skip)
            continue;
        for (size_t j = 0; j + k <= len; j++)
            if ((j == 0 || !isalpha((unsigned char)text[j - 1])) &&
                strncasecmp(text + j, name + a, k) == 0)
                return 1;
    }
    return 0;
}

/* The id of a short form whose long form the lexicon does not know: the
 * lexicon's reading of the short form alone, only when its concept's name
 * shares a word with the long form ("PTLD" for "posttransplant
 * lymphoproliferative disorder" is lymphoproliferative disorders; "AAP"
 * for "aminoantipyrine" is not acetaminophen) or the long form misspells
 * one of the concept's names ("AZT" for "3'-azido-3'dideoxythymidine"). */
static const char *short_form_id(const lm_lexicon *lex, lm_ent_type t, const char *ns,
                                 const char *text, const lm_abbrev *d)
{
    lm_lexicon_match m;
    if (!lex || !lm_lexicon_lookup_mention(lex, t, ns, text + d->short_start,
                                           d->short_end - d->short_start, &m, 1))
        return NULL;
    const char *lf = text + d->long_start;
    size_t ln = d->long_end - d->long_start;
    return shares_word(m.name, lf, ln) || lm_lexicon_has_near_name(lex, m.id, lf, ln) ? m.id
                                                                                     : NULL;
}

typedef struct ner_item {
    uint32_t start, end;        /* bytes */
    lm_ent_type type;
    float score;
    const char *id;             /* owned by the lexicon or by an item's made, or NULL */
    int defined;                /* a defined short form or a use of one */
    char *made;                 /* an id made for this mention (a composite) */
} ner_item;

/* Does the mention text[a..b) look like an abbreviation: one word of 2-10
 * characters, at least two of them capitals ("ALF", "TNSs", "CCl4")? */
static int looks_short_form(const char *text, uint32_t a, uint32_t b)
{
    if (b - a < 2 || b - a > 10)
        return 0;
    int upper = 0;
    for (uint32_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c >= 0x80)
            return 0;
        upper += c >= 'A' && c <= 'Z';
    }
    return upper >= 2;
}

/* Are the letters of the short form text[a..b) the initials of the words
 * of text[la..lb) (split at spaces and hyphens), in order and all of them?
 * "ALF" of "acute liver failure", "TG" of "transplant glomerulopathy". */
static int word_initials(const char *text, uint32_t a, uint32_t b, uint32_t la, uint32_t lb)
{
    uint32_t s = a;
    for (uint32_t i = la; i < lb; i++) {
        unsigned char c = (unsigned char)text[i];
        int starts = isalnum(c) && (i == la || text[i - 1] == ' ' || text[i - 1] == '-');
        if (!starts)
            continue;
        while (s < b && !isalpha((unsigned char)text[s]))
            s++;
        if (s == b || tolower((unsigned char)text[s]) != tolower(c))
            return 0;
        s++;
    }
    while (s < b && !isalpha((unsigned char)text[s]))
        s++;
    return s == b || (s + 1 == b && text[s] == 's');   /* "TNSs" */
}

/* A short form the abstract uses without defining it ("ALF" after "acute
 * liver failure (ATT-ALF)", "TG" for transplant glomerulopathy) takes the
 * concept of the mention of its type whose words it abbreviates — only
 * when every such mention agrees on the concept. */
static void undefined_short_forms(const char *text, ner_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ner_item *it = &items[i];
        if (it->defined || !looks_short_form(text, it->start, it->end))
            continue;
        /* the words' initials first, then (for a form the lexicon cannot
         * read) the detector's looser match */
        for (int loose = 0; loose < (it->id ? 1 : 2); loose++) {
            const char *id = NULL;
            int conflict = 0;
            for (size_t j = 0; j < n && !conflict; j++) {
                const ner_item *lf = &items[j];
                if (j == i || lf->type != it->type || !lf->id || lf->end - lf->start <= it->end - it->start)
                    continue;
                if (!(loose ? lm_abbrev_initials_match(text, it->start, it->end, lf->start, lf->end)
                            : word_initials(text, it->start, it->end, lf->start, lf->end)))
                    continue;
                if (id && strcmp(id, lf->id) != 0)
                    conflict = 1;
                id = lf->id;
            }
            if (conflict)
                break;
            if (id) {
                it->id = id;
                break;
            }
        }
    }
}

/* The mention of an abbreviation's long form: the one of exactly its
 * span, else one starting at or before it and ending within a character
 * of its end, else the longest one inside it that ends there — the head
 * of "ribavirin-induced hemolytic anemia (RIHA)" is the disease. */
static const ner_item *long_form_mention(const ner_item *items, size_t n, const lm_abbrev *d)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].start == d->long_start && items[i].end == d->long_end)
            return &items[i];
    for (size_t i = 0; i < n; i++)
        if (items[i].start <= d->long_start && items[i].end >= d->long_end - 1 &&
            items[i].end <= d->long_end + 1)
            return &items[i];
    const ner_item *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (items[i].start > d->long_start && items[i].start < d->long_end &&
            items[i].end >= d->long_end - 1 && items[i].end <= d->long_end + 1 &&
            (!best || items[i].start < best->start))
            best = &items[i];
    return best;
}

lm_status lm_pairs_doc_add_ner(lm_doc *doc, const lm_ner_mentions *ner, const lm_lexicon *lex,
                               const char *ns, lm_error *err)
{
    const char *text = doc->text ? doc->text : "";
    size_t len = doc->text ? doc->text_len : 0;
    lm_utf8_map map;
    lm_utf8_map_init(&map);
    lm_abbrevs ab;
    lm_abbrevs_init(&ab);
    lm_abbrev_uses uses;
    lm_abbrev_uses_init(&uses);
    ner_item *items = NULL;
    size_t n = 0, cap = 0;
    lm_status st = lm_utf8_map_build(&map, text, len, err);
    if (st == LM_OK && !doc->n_sentences) {
        lm_spans sp;
        lm_spans_init(&sp);
        st = lm_sentence_split(text, len, &sp, err);
        for (size_t i = 0; st == LM_OK && i < sp.n; i++)
            st = lm_doc_add_sentence(doc, (int32_t)lm_utf8_map_to_cp(&map, sp.v[i].start),
                                     (int32_t)lm_utf8_map_to_cp(&map, sp.v[i].end), err);
        lm_spans_free(&sp);
    }
    /* the tagger's definitions when it gives them (its own rules' too),
     * else the detector's */
    if (st == LM_OK)
        st = ner->has_abbrevs ? lm_abbrevs_copy(&ab, &ner->abbrevs, err)
                              : lm_abbrev_detect(text, len, &ab, err);
    /* lm_abbrev_find_uses sorts its output even when empty, which UBSan
     * rejects for a NULL array: give it storage up front */
    if (st == LM_OK && !uses.v) {
        uses.v = malloc(4 * sizeof *uses.v);
        if (!uses.v)
            st = nomem(err);
        else
            uses.cap = 4;
    }
    if (st == LM_OK && ab.n)
        st = lm_abbrev_find_uses(text, len, &ab, &uses, err);
    for (size_t i = 0; st == LM_OK && i < ner->n; i++) {
        const lm_ner_mention *m = &ner->v[i];
        if (m->type != LM_ENT_CHEMICAL && m->type != LM_ENT_DISEASE)
            continue;
        if (grow((void **)&items, &cap, n + 1, sizeof *items) != 0) {
            st = nomem(err);
            break;
        }
        ner_item *it = &items[n++];
        *it = (ner_item){m->start, m->end, m->type, m->score, NULL, 0, NULL};
        int failed = 0;
        it->id = lookup_id(lex, m->type, ns, text + m->start, m->end - m->start, &it->made,
                           &failed);
        if (failed)
            st = nomem(err);
    }
    /* Abbreviations: a short form defined in the document takes the id of
     * its long form — the mention of the long form, else the lexicon's
     * reading of the long form's text — and never a reading of the short
     * form alone that the long form does not support ("AAP" defined as
     * aminoantipyrine is not acetaminophen here; "CP" is cyclophosphamide
     * in one abstract, captopril in another; see short_form_id).  Uses of
     * a short form the tagger missed become mentions of the long form's
     * type. */
    for (size_t a = 0; st == LM_OK && a < ab.n; a++) {
        const lm_abbrev *d = &ab.v[a];
        const ner_item *longm = long_form_mention(items, n, d);
        lm_ent_type t = LM_ENT_NONE;
        float lscore = 0;
        const char *id = NULL;
        if (longm) {
            /* copied out: items may move when it grows below */
            t = longm->type;
            lscore = longm->score;
            id = longm->id;
            /* a mention of only the head of the long form ("heparin" in
             * "low-molecular-weight heparin (LMWH)"): the short form
             * names the whole, read by the lexicon when it knows it */
            if (longm->start > d->long_start) {
                const char *whole = lookup_id(lex, t, ns, text + d->long_start,
                                              d->long_end - d->long_start, NULL, NULL);
                if (whole)
                    id = whole;
            }
        } else {
            /* the long form untagged: the short form's own tag types it,
             * or that of a Chemical mention spelling the definition out
             * inside it ("prostaglandin (PG) E2": PG is prostaglandin).
             * Not a Disease mention: what it spells out is its site,
             * agent or gene ("gastrointestinal (GI) tolerability",
             * "hepatitis B virus (HBV) infection", "G6PD deficiency"),
             * which BC5CDR and NCBI-disease do not annotate */
            for (size_t i = 0; i < n && t == LM_ENT_NONE; i++)
                if ((items[i].start == d->short_start && items[i].end == d->short_end) ||
                    (items[i].type == LM_ENT_CHEMICAL && items[i].start <= d->long_start &&
                     items[i].end > d->short_end && d->long_start < d->short_start)) {
                    t = items[i].type;
                    lscore = items[i].score;
                }
            if (t == LM_ENT_NONE)
                continue;
        }
        if (!id)
            id = lookup_id(lex, t, ns, text + d->long_start, d->long_end - d->long_start, NULL,
                           NULL);
        if (!id)
            id = short_form_id(lex, t, ns, text, d);
        size_t sl = d->short_end - d->short_start;
        for (size_t u = 0; u <= uses.n && st == LM_OK; u++) {
            uint32_t us, ue;
            if (u == uses.n) {
                us = d->short_start;
                ue = d->short_end;
            } else {
                if (uses.v[u].pair != a)
                    continue;
                us = uses.v[u].start;
                ue = uses.v[u].end;
            }
            if (ue - us != sl)
                continue;
            int covered = 0;
            for (size_t i = 0; i < n; i++) {
                if (items[i].start < ue && us < items[i].end && items[i].type == t) {
                    covered = 1;
                    if (items[i].start == us && items[i].end == ue) {
                        items[i].id = id;
                        items[i].defined = 1;
                    }
                }
            }
            if (covered)
                continue;
            if (grow((void **)&items, &cap, n + 1, sizeof *items) != 0) {
                st = nomem(err);
                break;
            }
            items[n++] = (ner_item){us, ue, t, lscore, id, 1, NULL};
        }
    }
    if (st == LM_OK)
        undefined_short_forms(text, items, n);
    char *mt = NULL;
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        const ner_item *it = &items[i];
        free(mt);
        mt = malloc(it->end - it->start + 1);
        if (!mt) {
            st = nomem(err);
            break;
        }
        memcpy(mt, text + it->start, it->end - it->start);
        mt[it->end - it->start] = '\0';
        int32_t cs = (int32_t)lm_utf8_map_to_cp(&map, it->start);
        st = lm_doc_add_mention(doc, cs, (int32_t)lm_utf8_map_to_cp(&map, it->end), (int)it->type,
                                mt, it->id, sentence_index(doc, cs), it->score, err);
    }
    free(mt);
    for (size_t i = 0; i < n; i++)
        free(items[i].made);
    free(items);
    lm_abbrev_uses_free(&uses);
    lm_abbrevs_free(&ab);
    lm_utf8_map_free(&map);
    return st;
}

/* ---- gold spans, lexicon ids ------------------------------------------ */

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static lm_status copy_relations(const lm_pt_doc *from, lm_pt_doc *to, lm_error *err)
{
    if (!from->n_relations)
        return LM_OK;
    to->relations = calloc(from->n_relations, sizeof *to->relations);
    if (!to->relations)
        return nomem(err);
    for (size_t i = 0; i < from->n_relations; i++) {
        const lm_pt_relation *r = &from->relations[i];
        lm_pt_relation *o = &to->relations[to->n_relations++];
        o->type = dup_or_empty(r->type);
        o->id1 = dup_or_empty(r->id1);
        o->id2 = dup_or_empty(r->id2);
        if (!o->type || !o->id1 || !o->id2)
            return nomem(err);
    }
    return LM_OK;
}

lm_status lm_pairs_gold_as_ner(const lm_pt_doc *gold, const lm_doc *doc, int loose_types,
                               lm_ner_mentions *out, lm_error *err)
{
    lm_utf8_map map;
    lm_utf8_map_init(&map);
    lm_status st = lm_utf8_map_build(&map, doc->text, doc->text_len, err);
    out->n = 0;
    out->has_abbrevs = 0;
    for (size_t i = 0; st == LM_OK && i < gold->n_mentions; i++) {
        const lm_pt_mention *m = &gold->mentions[i];
        lm_ent_type t = loose_types ? lm_ent_type_from_label(m->type) : lm_ent_type_parse(m->type);
        if ((t != LM_ENT_CHEMICAL && t != LM_ENT_DISEASE) || m->start < 0 || m->end <= m->start)
            continue;
        size_t b0 = lm_utf8_map_to_byte(&map, (size_t)m->start);
        size_t b1 = lm_utf8_map_to_byte(&map, (size_t)m->end);
        if (b0 == SIZE_MAX || b1 == SIZE_MAX || b1 <= b0)
            continue;
        if (grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v) != 0) {
            st = nomem(err);
            break;
        }
        out->v[out->n++] = (lm_ner_mention){(uint32_t)b0, (uint32_t)b1, t, 1.0f};
    }
    /* the definitions the ner stage would hand on: the detector's and the
     * tagger's bracketed word after a chemical (lm_abbrev_add_bracketed) */
    if (st == LM_OK)
        st = lm_abbrev_detect(doc->text ? doc->text : "", doc->text ? doc->text_len : 0,
                              &out->abbrevs, err);
    for (size_t i = 0; st == LM_OK && i < out->n; i++)
        if (out->v[i].type == LM_ENT_CHEMICAL)
            st = lm_abbrev_add_bracketed(doc->text, doc->text_len, out->v[i].start,
                                         out->v[i].end, &out->abbrevs, err);
    out->has_abbrevs = st == LM_OK;
    lm_utf8_map_free(&map);
    return st;
}

lm_status lm_pairs_renormalize(const lm_pt_doc *gold, const lm_lexicon *lex, const char *ns,
                               lm_pt_doc *out, lm_error *err)
{
    lm_pt_doc_init(out);
    lm_pt_doc text_only = *gold;   /* shallow: only its text is read */
    text_only.n_mentions = 0;
    text_only.n_relations = 0;
    lm_doc doc;
    lm_doc_init(&doc);
    lm_ner_mentions spans;
    lm_ner_mentions_init(&spans);
    lm_status st = lm_pairs_doc_from_pubtator(&text_only, &doc, err);
    if (st == LM_OK)
        st = lm_pairs_gold_as_ner(gold, &doc, 0, &spans, err);
    if (st == LM_OK)
        st = lm_pairs_doc_add_ner(&doc, &spans, lex, ns, err);
    if (st == LM_OK) {
        out->pmid = dup_or_empty(gold->pmid);
        out->title = dup_or_empty(gold->title);
        out->abstract = dup_or_empty(gold->abstract);
        out->text = dup_or_empty(gold->text);
        out->mentions = calloc(doc.n_mentions ? doc.n_mentions : 1, sizeof *out->mentions);
        if (!out->pmid || !out->title || !out->abstract || !out->text || !out->mentions)
            st = nomem(err);
    }
    for (size_t i = 0; st == LM_OK && i < doc.n_mentions; i++) {
        const lm_doc_mention *m = &doc.mentions[i];
        lm_pt_mention *o = &out->mentions[out->n_mentions++];
        o->start = m->start;
        o->end = m->end;
        o->text = dup_or_empty(m->text);
        o->type = dup_or_empty(m->type == LM_ENT_CHEMICAL ? "Chemical" : "Disease");
        o->id = dup_or_empty(m->concept_id ? m->concept_id : "-1");
        if (!o->text || !o->type || !o->id)
            st = nomem(err);
    }
    if (st == LM_OK)
        st = copy_relations(gold, out, err);
    if (st != LM_OK)
        lm_pt_doc_free(out);
    lm_ner_mentions_free(&spans);
    lm_doc_free(&doc);
    return st;
}
