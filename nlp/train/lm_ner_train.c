/*
 * NER training: corpora and lexicons in, a stacked tagger model out.
 *
 * LONG-FILE: frozen while issue 12's NLP work is open; to split
 * (corpora, feature store, optimiser, recipes) after it merges.
 *
 * Documents are tokenized and sentence-split exactly as at inference; gold
 * mentions become BILOU tags on tokens.  Each tagger's features are
 * computed once into a flat store (ner_doc_prepare + ner_doc_extra, the
 * inference code itself) and the learner then iterates over that store: a
 * CRF by L-BFGS (forward-backward with per-token rescaling), or an averaged
 * perceptron (--perceptron; ~10x faster, ~0.5 F1 lower).  Work is a small dependency graph of jobs — build a
 * tagger's feature store, train it on all data, train it on k-1 folds and
 * tag the held-out fold, apply it to another corpus — run by a thread pool,
 * so the independent Chemical/Disease and Gene stacks and the folds of one
 * tagger train in parallel.
 *
 * Corpus hygiene: when dev figures are wanted, every PMID of every dev set
 * (BC5CDR, NCBI-disease, BioRED) is excluded from everything trained on,
 * lexicons included (BioRED shares abstracts with BC5CDR and NCBI).  BioRED
 * chemical and disease labels are never used for the BC5CDR tagger: BioRED
 * overlaps the held-out BC5CDR test set too.
 */
#include "../../util/lm_sort.h"
#include "../eval/lm_bioc.h"
#include "lm_ner_train.h"
#include "../lm_ner_impl.h"

#include "../lm_lexicon.h"
#include "../lm_mesh.h"
#include "../lm_pubtator.h"
#include "../lm_sentence.h"
#include "../../util/lm_utf8.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- options, logging ---- */

void lm_ner_train_opts_init(lm_ner_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->recipe = "main";
    o->seed = 12345;
}

typedef struct tlog {
    const lm_ner_train_opts *o;
    pthread_mutex_t mu;
} tlog;

static void logf_(tlog *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(tlog *l, const char *fmt, ...)
{
    if (!l || !l->o || !l->o->log)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&l->mu);
    l->o->log(l->o->log_ctx, buf);
    pthread_mutex_unlock(&l->mu);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- training documents ---- */

typedef struct tgold {
    uint32_t t0, t1;           /* token range */
    uint32_t bs, be;           /* bytes, as annotated */
    lm_ent_type type;
} tgold;

typedef struct tdoc {
    char *id;                  /* in text's allocation, after the text */
    char *text;
    size_t len;
    lm_span *tok;
    uint32_t n_tok;
    uint32_t *sent;            /* first token of each sentence */
    uint32_t n_sent;
    tgold *gold;
    uint32_t n_gold, gold_cap;
} tdoc;

typedef struct tcorpus {
    char name[24];
    tdoc *d;
    size_t n, cap;
} tcorpus;

/* Frees every document the corpus counts, filled or not (see
 * corpus_add_text). */
static void tcorpus_free(tcorpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        tdoc *d = &c->d[i];
        free(d->text);   /* and the id after it */
        free(d->tok);
        free(d->sent);
        free(d->gold);
    }
    free(c->d);
    memset(c, 0, sizeof *c);
}

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Appends a document with its tokens and sentences; gold added later. */
static lm_status corpus_add_text(tcorpus *c, const char *id, const char *text, size_t len,
                                 lm_spans *tk, lm_spans *sn, tdoc **out, lm_error *err)
{
    if (lm_vec_grow((void **)&c->d, &c->cap, c->n + 1, sizeof *c->d) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    /* counted at once, so that what a failure below leaves allocated is
     * freed with the corpus */
    tdoc *d = &c->d[c->n++];
    memset(d, 0, sizeof *d);
    lm_status st = lm_token_split(text, len, tk, err);
    if (st == LM_OK)
        st = lm_sentence_split(text, len, sn, err);
    if (st != LM_OK)
        return st;
    size_t idn = strlen(id);
    d->text = malloc(len + 1 + idn + 1);
    if (d->text) {
        memcpy(d->text, text, len);
        d->text[len] = '\0';
        d->id = d->text + len + 1;
        memcpy(d->id, id, idn + 1);
    }
    d->len = len;
    d->tok = malloc((tk->n + 1) * sizeof *d->tok);
    d->sent = malloc((sn->n + 1) * sizeof *d->sent);
    if (!d->text || !d->tok || !d->sent)
        return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    memcpy(d->tok, tk->v, tk->n * sizeof *d->tok);
    d->n_tok = (uint32_t)tk->n;
    size_t t = 0;
    for (size_t i = 0; i < sn->n; i++) {
        while (t < tk->n && tk->v[t].start < sn->v[i].start)
            t++;
        if (t < tk->n && (d->n_sent == 0 || d->sent[d->n_sent - 1] != t))
            d->sent[d->n_sent++] = (uint32_t)t;
    }
    *out = d;
    return LM_OK;
}

static lm_status doc_add_gold(tdoc *d, uint32_t bs, uint32_t be, lm_ent_type type,
                              lm_error *err)
{
    if (be <= bs || be > d->len)
        return LM_OK;
    /* covering tokens: first ending after bs, last starting before be */
    uint32_t lo = 0, hi = d->n_tok;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (d->tok[mid].end <= bs)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t t0 = lo, t1 = lo;
    while (t1 < d->n_tok && d->tok[t1].start < be)
        t1++;
    if (t0 >= t1)
        return LM_OK;
    if (d->n_gold == d->gold_cap) {
        uint32_t cap = d->gold_cap ? 2 * d->gold_cap : 16;
        tgold *g = realloc(d->gold, cap * sizeof *g);
        if (!g)
            return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
        d->gold = g;
        d->gold_cap = cap;
    }
    tgold *g = &d->gold[d->n_gold++];
    g->t0 = t0;
    g->t1 = t1;
    g->bs = bs;
    g->be = be;
    g->type = type;
    return LM_OK;
}

/* PMIDs to keep out of training (dev sets). */
typedef struct idset {
    ner_map m;
} idset;

static uint64_t id_key(const char *id)
{
    return ner_key(ner_hash_bytes(77, id, strlen(id)));
}

static int idset_has(const idset *s, const char *id)
{
    return ner_map_get(&s->m, id_key(id)) != NULL;
}

static lm_status load_pubtator(tcorpus *c, const char *path, const idset *exclude,
                               lm_error *err)
{
    lm_pt_corpus pc;
    lm_status st = lm_corpus_load(path, &pc, err);
    if (st != LM_OK)
        return st;
    lm_spans tk, sn;
    lm_spans_init(&tk);
    lm_spans_init(&sn);
    lm_utf8_map um;
    lm_utf8_map_init(&um);
    for (size_t i = 0; i < pc.n_docs && st == LM_OK; i++) {
        const lm_pt_doc *pd = &pc.docs[i];
        if (exclude && idset_has(exclude, pd->pmid))
            continue;
        tdoc *d;
        size_t len = strlen(pd->text);
        st = corpus_add_text(c, pd->pmid, pd->text, len, &tk, &sn, &d, err);
        if (st == LM_OK)
            st = lm_utf8_map_build(&um, pd->text, len, err);
        for (size_t k = 0; k < pd->n_mentions && st == LM_OK; k++) {
            const lm_pt_mention *pm = &pd->mentions[k];
            lm_ent_type ty = lm_ent_type_parse(pm->type);
            if (ty == LM_ENT_NONE)
                continue;
            size_t bs = lm_utf8_map_to_byte(&um, (size_t)pm->start);
            size_t be = lm_utf8_map_to_byte(&um, (size_t)pm->end);
            if (bs == SIZE_MAX || be == SIZE_MAX)
                continue;
            st = doc_add_gold(d, (uint32_t)bs, (uint32_t)be, ty, err);
        }
    }
    lm_utf8_map_free(&um);
    lm_spans_free(&tk);
    lm_spans_free(&sn);
    lm_pt_corpus_free(&pc);
    return st;
}

/* Reads a whole (possibly gzip-compressed) file. */
static lm_status slurp(const char *path, char **out, size_t *len, lm_error *err)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            gzclose(g);
            return lm_error_set(err, LM_ERR_NOMEM, "%s: out of memory", path);
        }
        if (n == cap) {
            char *q = realloc(buf, 2 * cap + 1);
            if (!q) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = q;
            cap *= 2;
        }
        int k = gzread(g, buf + n, (unsigned)(cap - n));
        if (k < 0) {
            free(buf);
            gzclose(g);
            return lm_error_set(err, LM_ERR_IO, "%s: read error", path);
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    gzclose(g);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return LM_OK;
}

/* BC2GM: "ID text" sentences; GENE.eval "ID|s e|mention" with offsets
 * counting non-whitespace characters, end inclusive. */
static lm_status load_bc2gm(tcorpus *c, const char *dir, lm_error *err)
{
    char p1[1100], p2[1100];
    snprintf(p1, sizeof p1, "%s/train.in", dir);
    snprintf(p2, sizeof p2, "%s/GENE.eval", dir);
    char *in = NULL, *ev = NULL;
    size_t n_in, n_ev;
    lm_status st = slurp(p1, &in, &n_in, err);
    if (st == LM_OK)
        st = slurp(p2, &ev, &n_ev, err);
    if (st != LM_OK) {
        free(in);
        return st;
    }
    lm_spans tk, sn;
    lm_spans_init(&tk);
    lm_spans_init(&sn);
    ner_map ids;
    ner_map_init(&ids);
    for (char *line = in; st == LM_OK && line < in + n_in;) {
        char *nl = memchr(line, '\n', (size_t)(in + n_in - line));
        char *end = nl ? nl : in + n_in;
        char *sp = memchr(line, ' ', (size_t)(end - line));
        if (sp) {
            *sp = '\0';
            tdoc *d;
            st = corpus_add_text(c, line, sp + 1, (size_t)(end - sp - 1), &tk, &sn, &d, err);
            if (st == LM_OK && ner_map_put(&ids, id_key(line), c->n - 1, 0) != LM_OK)
                st = lm_error_set(err, LM_ERR_NOMEM, "bc2gm: out of memory");
        }
        line = end + 1;
    }
    uint32_t *nw = NULL;
    size_t nw_cap = 0;
    for (char *line = ev; st == LM_OK && line < ev + n_ev;) {
        char *nl = memchr(line, '\n', (size_t)(ev + n_ev - line));
        char *end = nl ? nl : ev + n_ev;
        *end = '\0';
        char *bar = strchr(line, '|');
        if (bar) {
            *bar = '\0';
            char *q;
            long s = strtol(bar + 1, &q, 10);
            long e = strtol(q, &q, 10);
            const uint64_t *di = ner_map_get(&ids, id_key(line));
            if (di && *q == '|' && s >= 0 && e >= s) {
                tdoc *d = &c->d[*di];
                if (d->len + 1 > nw_cap) {
                    nw_cap = 2 * (d->len + 1);
                    uint32_t *x = realloc(nw, nw_cap * sizeof *x);
                    if (!x) {
                        st = lm_error_set(err, LM_ERR_NOMEM, "bc2gm: out of memory");
                        break;
                    }
                    nw = x;
                }
                size_t k = 0;
                for (size_t b = 0; b < d->len; b++)
                    if (d->text[b] != ' ' && d->text[b] != '\t')
                        nw[k++] = (uint32_t)b;
                if ((size_t)e < k) {
                    uint32_t bs = nw[s], be = nw[e] + 1;
                    while (be < d->len && ((unsigned char)d->text[be] & 0xC0) == 0x80)
                        be++;
                    st = doc_add_gold(d, bs, be, LM_ENT_GENE, err);
                }
            }
        }
        line = end + 1;
    }
    free(nw);
    ner_map_free(&ids);
    lm_spans_free(&tk);
    lm_spans_free(&sn);
    free(in);
    free(ev);
    return st;
}

/* ---- lexicons ---- */

enum {
    L_DRUGBANK, L_GENE_SYM, L_GENE_NAME, L_CDR_CHEM, L_CDR_DIS, L_NCBI_DIS, L_BC2GM,
    /* MeSH names by tree class (lm_mesh.h): a name's branch says what it is
     * ("flank pain" is a C23 sign, "flank" alone anatomy) */
    L_MESH_DIS, L_MESH_SYMPTOM, L_MESH_MENTAL, L_MESH_CHEM, L_MESH_PROTEIN, L_MESH_ACTION,
    L_MESH_ANATOMY, L_MESH_ORGANISM, L_MESH_OTHER, L_N
};

static const char *const lex_names[L_N] = {
    "drugbank",     "gene-symbol",  "gene-name",   "cdr-chemical", "cdr-disease",
    "ncbi-disease", "bc2gm-gene",   "mesh-C",      "mesh-C23",     "mesh-F03",
    "mesh-D",       "mesh-D12",     "mesh-D27",    "mesh-A",       "mesh-B",
    "mesh-other"};

/* Lexicons made from a corpus's annotations, for taggers of other corpora
 * (never for the tagger trained on that corpus: it would learn to trust a
 * feature that fires on every training mention). */
static const struct {
    int lex, corpus;
    lm_ent_type type;
} corpus_lex[] = {
    {L_CDR_CHEM, 0 /* C_CDR */, LM_ENT_CHEMICAL},
    {L_CDR_DIS, 0 /* C_CDR */, LM_ENT_DISEASE},
    {L_NCBI_DIS, 2 /* C_NCBI */, LM_ENT_DISEASE},
    {L_BC2GM, 6 /* C_BC2GM */, LM_ENT_GENE},
};

static lm_status gaz_add_str(lm_ner_model *m, int lex, const char *s, size_t n, lm_spans *tmp,
                             lm_error *err)
{
    while (n && (s[0] == ' ' || s[0] == '"'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == '\r'))
        n--;
    if (n < 2)
        return LM_OK;
    return ner_gaz_add(m, lex, s, n, tmp, err);
}

/* Adds each piece of s split on sep. */
static lm_status gaz_add_split(lm_ner_model *m, int lex, const char *s, size_t n,
                               const char *sep, lm_spans *tmp, lm_error *err)
{
    size_t sl = strlen(sep);
    while (n) {
        const char *hit = NULL;
        for (size_t i = 0; i + sl <= n; i++)
            if (memcmp(s + i, sep, sl) == 0) {
                hit = s + i;
                break;
            }
        size_t k = hit ? (size_t)(hit - s) : n;
        if (!(k == 1 && s[0] == '-')) {
            lm_status st = gaz_add_str(m, lex, s, k, tmp, err);
            if (st != LM_OK)
                return st;
        }
        if (!hit)
            break;
        s += k + sl;
        n -= k + sl;
    }
    return LM_OK;
}

/* DrugBank vocabulary CSV: common name (column 3) and synonyms (column 6,
 * " | "-separated); fields may be double-quoted. */
static lm_status lex_drugbank(lm_ner_model *m, char *buf, size_t n, lm_spans *tmp,
                              lm_error *err)
{
    char *field = malloc(n + 1);
    if (!field)
        return lm_error_set(err, LM_ERR_NOMEM, "drugbank: out of memory");
    lm_status st = LM_OK;
    size_t i = 0;
    int line = 0;
    while (i < n && st == LM_OK) {
        int col = 0;
        for (;;) {
            size_t fl = 0;
            if (i < n && buf[i] == '"') {
                i++;
                while (i < n) {
                    if (buf[i] == '"' && i + 1 < n && buf[i + 1] == '"') {
                        field[fl++] = '"';
                        i += 2;
                    } else if (buf[i] == '"') {
                        i++;
                        break;
                    } else {
                        field[fl++] = buf[i++];
                    }
                }
            }
            while (i < n && buf[i] != ',' && buf[i] != '\n')
                field[fl++] = buf[i++];
            if (line > 0 && col == 2)
                st = gaz_add_str(m, L_DRUGBANK, field, fl, tmp, err);
            else if (line > 0 && col == 5)
                st = gaz_add_split(m, L_DRUGBANK, field, fl, " | ", tmp, err);
            col++;
            if (i >= n || buf[i] == '\n') {
                i++;
                break;
            }
            i++;
        }
        line++;
    }
    free(field);
    return st;
}

/* NCBI gene_info: symbol and synonyms (columns 3, 5, 11), names (9, 12,
 * 14: description, full name, other designations). */
static lm_status lex_gene_info(lm_ner_model *m, char *buf, size_t n, lm_spans *tmp,
                               lm_error *err)
{
    lm_status st = LM_OK;
    for (char *line = buf; st == LM_OK && line < buf + n;) {
        char *nl = memchr(line, '\n', (size_t)(buf + n - line));
        char *end = nl ? nl : buf + n;
        if (*line != '#') {
            char *col[16];
            size_t cl[16];
            int nc = 0;
            char *p = line;
            while (nc < 16) {
                char *tab = memchr(p, '\t', (size_t)(end - p));
                col[nc] = p;
                cl[nc] = (size_t)((tab ? tab : end) - p);
                nc++;
                if (!tab)
                    break;
                p = tab + 1;
            }
            if (nc >= 14) {
                st = gaz_add_str(m, L_GENE_SYM, col[2], cl[2], tmp, err);
                if (st == LM_OK)
                    st = gaz_add_split(m, L_GENE_SYM, col[4], cl[4], "|", tmp, err);
                if (st == LM_OK)
                    st = gaz_add_split(m, L_GENE_SYM, col[10], cl[10], "|", tmp, err);
                if (st == LM_OK)
                    st = gaz_add_str(m, L_GENE_NAME, col[8], cl[8], tmp, err);
                if (st == LM_OK)
                    st = gaz_add_split(m, L_GENE_NAME, col[11], cl[11], "|", tmp, err);
                if (st == LM_OK)
                    st = gaz_add_split(m, L_GENE_NAME, col[13], cl[13], "|", tmp, err);
            }
        }
        line = end + 1;
    }
    return st;
}

/* Reads the file at path whole and hands it to one of the lex_ parsers. */
static lm_status lex_file(lm_ner_model *m, const char *path,
                          lm_status (*parse)(lm_ner_model *, char *, size_t, lm_spans *,
                                             lm_error *),
                          lm_spans *tmp, lm_error *err)
{
    char *buf;
    size_t n;
    lm_status st = slurp(path, &buf, &n, err);
    if (st != LM_OK)
        return st;
    st = parse(m, buf, n, tmp, err);
    free(buf);
    return st;
}

/* MeSH names into the lexicon of each of their record's tree classes
 * (supplementary records count as chemicals or diseases). */
typedef struct mesh_gaz {
    lm_ner_model *m;
    lm_spans *tmp;
} mesh_gaz;

static lm_status mesh_gaz_record(void *ctx, const lm_mesh_record *r, lm_error *err)
{
    static const struct {
        unsigned cls;
        int lex;
    } map[] = {{LM_MESH_DISEASE | LM_MESH_SUPP_DISEASE, L_MESH_DIS},
               {LM_MESH_SYMPTOM, L_MESH_SYMPTOM},
               {LM_MESH_MENTAL, L_MESH_MENTAL},
               {LM_MESH_CHEMICAL | LM_MESH_SUPP_CHEMICAL, L_MESH_CHEM},
               {LM_MESH_PROTEIN, L_MESH_PROTEIN},
               {LM_MESH_ACTION, L_MESH_ACTION},
               {LM_MESH_ANATOMY, L_MESH_ANATOMY},
               {LM_MESH_ORGANISM | LM_MESH_SUPP_ORGANISM, L_MESH_ORGANISM},
               {LM_MESH_OTHER, L_MESH_OTHER}};
    mesh_gaz *g = ctx;
    unsigned cls = r->classes ? r->classes : LM_MESH_SUPP_CHEMICAL;
    lm_status st = LM_OK;
    for (size_t k = 0; k < sizeof map / sizeof map[0] && st == LM_OK; k++) {
        if (!(cls & map[k].cls))
            continue;
        st = gaz_add_str(g->m, map[k].lex, r->name, strlen(r->name), g->tmp, err);
        for (size_t i = 0; i < r->n_terms && st == LM_OK; i++)
            st = gaz_add_str(g->m, map[k].lex, r->terms[i], strlen(r->terms[i]), g->tmp, err);
    }
    return st;
}

/* The newest MeSH descriptors and supplementary records in dir, if any. */
static lm_status lex_mesh(lm_ner_model *m, const char *dir, lm_spans *tmp, lm_error *err)
{
    lm_buf desc, supp;
    lm_buf_init(&desc);
    lm_buf_init(&supp);
    mesh_gaz g = {m, tmp};
    lm_status st = lm_lexicon_find_mesh(dir, &desc, &supp, err);
    if (st == LM_OK && desc.len)
        st = lm_mesh_read(lm_buf_cstr(&desc), mesh_gaz_record, &g, err);
    if (st == LM_OK && supp.len)
        st = lm_mesh_read(lm_buf_cstr(&supp), mesh_gaz_record, &g, err);
    lm_buf_free(&desc);
    lm_buf_free(&supp);
    return st;
}

/* Mentions of one type from a corpus's gold annotations. */
static lm_status lex_corpus(lm_ner_model *m, int lex, const tcorpus *c, lm_ent_type type,
                            lm_spans *tmp, lm_error *err)
{
    for (size_t i = 0; i < c->n; i++) {
        for (uint32_t k = 0; k < c->d[i].n_gold; k++) {
            const tgold *g = &c->d[i].gold[k];
            if (g->type != type)
                continue;
            lm_status st = gaz_add_str(m, lex, c->d[i].text + g->bs, g->be - g->bs, tmp, err);
            if (st != LM_OK)
                return st;
        }
    }
    return LM_OK;
}

/* ---- feature stores ---- */

typedef struct fstore {
    int K;
    size_t n_docs;
    uint32_t *doc_tok;         /* n_docs + 1: first global token of each doc */
    uint32_t *doc_sent;        /* n_docs + 1: first sentence of each doc */
    uint32_t *sent;            /* n_sents + 1: first global token of each sentence */
    size_t n_sents;
    uint32_t *foff;            /* n_tok + 1 */
    uint32_t *feat;
    size_t n_feat, feat_cap;
    uint8_t *gold;             /* n_tok */
    size_t n_tok;
} fstore;

static void fstore_free(fstore *f)
{
    free(f->doc_tok);
    free(f->doc_sent);
    free(f->sent);
    free(f->foff);
    free(f->feat);
    free(f->gold);
    memset(f, 0, sizeof *f);
}

/* Gold BILOU tags of doc d for a tagger's types. */
static void gold_tags(const tdoc *d, const ner_tagger *t, uint8_t *tags)
{
    memset(tags, 0, d->n_tok);
    for (uint32_t k = 0; k < d->n_gold; k++) {
        const tgold *g = &d->gold[k];
        int ti = -1;
        for (int j = 0; j < t->n_types; j++)
            if (t->types[j] == g->type)
                ti = j;
        if (ti < 0)
            continue;
        int clash = 0;
        for (uint32_t x = g->t0; x < g->t1; x++)
            if (tags[x])
                clash = 1;
        if (clash)
            continue;            /* nested/overlapping gold: first one wins */
        if (g->t1 - g->t0 == 1)
            tags[g->t0] = (uint8_t)ner_tag_make(ti, 3);
        else
            for (uint32_t x = g->t0; x < g->t1; x++)
                tags[x] = (uint8_t)ner_tag_make(ti, x == g->t0 ? 0 : x + 1 == g->t1 ? 2 : 1);
    }
    /* the sequence must be valid BILOU within sentences; gold spans that
     * cross a sentence boundary are rare and simply kept */
}

/* Upstream tags of tagger u for every doc of a corpus: one array per doc. */
typedef struct utags {
    uint8_t **doc;             /* NULL until computed */
    size_t n;
} utags;

/* Prepares doc d in scratch s with the upstream tags of tagger ti. */
static lm_status prep_doc(const lm_ner_model *m, int ti, const tdoc *d, size_t di,
                          utags (*up)[8], int corpus, lm_ner_scratch *s, lm_error *err)
{
    lm_status st = ner_doc_prepare(m, s, d->text, d->len, d->tok, d->n_tok, d->sent, d->n_sent,
                                   err);
    if (st != LM_OK)
        return st;
    if (ner_scratch_reserve_tags(s, d->n_tok))
        return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    const ner_tagger *t = &m->tg[ti];
    for (int k = 0; k < t->n_up; k++) {
        int u = t->up[k];
        const utags *ut = &up[u][corpus];
        if (!ut->doc || !ut->doc[di])
            return lm_error_set(err, LM_ERR_USAGE, "ner train: upstream %d missing", u);
        memcpy(s->tags + (size_t)u * s->n, ut->doc[di], d->n_tok);
    }
    return ner_doc_extra(m, ti, s, err);
}

static lm_status fstore_build(const lm_ner_model *m, int ti, const tcorpus *c, int corpus,
                              utags (*up)[8], fstore *f, lm_error *err)
{
    memset(f, 0, sizeof *f);
    f->K = m->tg[ti].K;
    f->n_docs = c->n;
    size_t ntok = 0, nsent = 0;
    for (size_t i = 0; i < c->n; i++) {
        ntok += c->d[i].n_tok;
        nsent += c->d[i].n_sent ? c->d[i].n_sent : 1;
    }
    f->n_tok = ntok;
    f->doc_tok = malloc((c->n + 1) * sizeof *f->doc_tok);
    f->doc_sent = malloc((c->n + 1) * sizeof *f->doc_sent);
    f->sent = malloc((nsent + 1) * sizeof *f->sent);
    f->foff = malloc((ntok + 1) * sizeof *f->foff);
    f->gold = malloc(ntok + 1);
    f->feat_cap = ntok * 64 + 1024;
    f->feat = malloc(f->feat_cap * sizeof *f->feat);
    lm_ner_scratch *s = NULL;
    lm_status st = LM_OK;
    if (!f->doc_tok || !f->doc_sent || !f->sent || !f->foff || !f->gold || !f->feat)
        st = lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    if (st == LM_OK)
        st = lm_ner_scratch_init(&s, err);
    size_t gt = 0;
    for (size_t i = 0; i < c->n && st == LM_OK; i++) {
        const tdoc *d = &c->d[i];
        f->doc_tok[i] = (uint32_t)gt;
        f->doc_sent[i] = (uint32_t)f->n_sents;
        st = prep_doc(m, ti, d, i, up, corpus, s, err);
        if (st != LM_OK)
            break;
        for (size_t k = 0; k < s->n_sents; k++)
            f->sent[f->n_sents++] = (uint32_t)(gt + s->sent[k]);
        for (size_t t = 0; t < d->n_tok; t++) {
            size_t nb = s->boff[t + 1] - s->boff[t], nx = s->xoff[t + 1] - s->xoff[t];
            if (f->n_feat + nb + nx > f->feat_cap) {
                size_t cap = 2 * (f->n_feat + nb + nx);
                uint32_t *q = realloc(f->feat, cap * sizeof *q);
                if (!q) {
                    st = lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
                    break;
                }
                f->feat = q;
                f->feat_cap = cap;
            }
            f->foff[gt + t] = (uint32_t)f->n_feat;
            for (size_t k = 0; k < nb; k++)
                f->feat[f->n_feat++] = s->bf[s->boff[t] + k] & ~NER_XFEAT;
            for (size_t k = 0; k < nx; k++)
                f->feat[f->n_feat++] = s->xf[s->xoff[t] + k] | NER_XFEAT;
        }
        gold_tags(d, &m->tg[ti], f->gold + gt);
        gt += d->n_tok;
    }
    if (st == LM_OK) {
        f->doc_tok[c->n] = (uint32_t)gt;
        f->doc_sent[c->n] = (uint32_t)f->n_sents;
        f->sent[f->n_sents] = (uint32_t)gt;
        f->foff[gt] = (uint32_t)f->n_feat;
    }
    lm_ner_scratch_free(s);
    if (st != LM_OK)
        fstore_free(f);
    return st;
}

/* ---- averaged perceptron ---- */

typedef struct pweights {
    int K, bits, xbits;
    uint32_t mask, xmask;
    size_t xbase;               /* first row of the extra region */
    float *w, *a;               /* current and c-weighted update sums */
    float tr[(NER_MAX_TAGS + 1) * NER_MAX_TAGS], tra[(NER_MAX_TAGS + 1) * NER_MAX_TAGS];
    float te[NER_MAX_TAGS], tea[NER_MAX_TAGS];
    double c;
} pweights;

static size_t pw_rows(const pweights *p)
{
    return p->xbase + ((size_t)1 << p->xbits);
}

static int pw_init(pweights *p, int K, int bits, int xbits)
{
    memset(p, 0, sizeof *p);
    p->K = K;
    p->bits = bits;
    p->xbits = xbits;
    p->mask = (uint32_t)((1u << bits) - 1);
    p->xmask = (uint32_t)((1u << xbits) - 1);
    p->xbase = (size_t)1 << bits;
    size_t n = pw_rows(p) * (size_t)K;
    p->w = calloc(n, sizeof *p->w);
    p->a = calloc(n, sizeof *p->a);
    p->c = 1;
    return p->w && p->a ? 0 : -1;
}

static void pw_free(pweights *p)
{
    free(p->w);
    free(p->a);
    p->w = p->a = NULL;
}

static inline size_t pw_row(const pweights *p, uint32_t f)
{
    return (f & NER_XFEAT) ? p->xbase + (f & p->xmask) : (size_t)(f & p->mask);
}

static void pw_update(pweights *p, const uint32_t *f, size_t nf, int k, float d)
{
    float cd = (float)(p->c * d);
    for (size_t j = 0; j < nf; j++) {
        size_t idx = pw_row(p, f[j]) * (size_t)p->K + (size_t)k;
        p->w[idx] += d;
        p->a[idx] += cd;
    }
}

static void pw_average(pweights *p)
{
    size_t n = pw_rows(p) * (size_t)p->K;
    float ic = (float)(1.0 / p->c);
    for (size_t i = 0; i < n; i++)
        p->w[i] -= p->a[i] * ic;
    for (int i = 0; i < (p->K + 1) * p->K; i++)
        p->tr[i] -= p->tra[i] * ic;
    for (int i = 0; i < p->K; i++)
        p->te[i] -= p->tea[i] * ic;
}

static void pw_emissions(const pweights *p, const fstore *f, size_t a, size_t b, float *em)
{
    const int K = p->K;
    for (size_t t = a; t < b; t++) {
        float *o = em + (t - a) * (size_t)K;
        for (int k = 0; k < K; k++)
            o[k] = 0;
        for (uint32_t j = f->foff[t]; j < f->foff[t + 1]; j++) {
            const float *w = p->w + pw_row(p, f->feat[j]) * (size_t)K;
            for (int k = 0; k < K; k++)
                o[k] += w[k];
        }
    }
}

static void pw_tagger_view(const pweights *p, ner_tagger *t)
{
    memset(t, 0, sizeof *t);
    t->K = p->K;
    t->bits = p->bits;
    memcpy(t->trans, p->tr, sizeof t->trans);
    memcpy(t->trans_end, p->te, sizeof t->trans_end);
}

typedef struct decbuf {
    float *em, *vit;
    int *bp;
    uint8_t *tags;
    size_t cap;
} decbuf;

static int decbuf_reserve(decbuf *b, size_t n, int K)
{
    if (n * (size_t)K <= b->cap && n <= b->cap)
        return 0;
    size_t cap = 2 * n * (size_t)K + 64;
    free(b->em);
    free(b->vit);
    free(b->bp);
    free(b->tags);
    b->em = malloc(cap * sizeof *b->em);
    b->vit = malloc(cap * sizeof *b->vit);
    b->bp = malloc(cap * sizeof *b->bp);
    b->tags = malloc(cap);
    b->cap = cap;
    return b->em && b->vit && b->bp && b->tags ? 0 : -1;
}

static void decbuf_free(decbuf *b)
{
    free(b->em);
    free(b->vit);
    free(b->bp);
    free(b->tags);
    memset(b, 0, sizeof *b);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Trains on the sentences of docs with use[d] set. */
static lm_status perceptron_train(const fstore *f, const uint8_t *use, int epochs, unsigned seed,
                                  pweights *p, lm_error *err)
{
    size_t ns = 0, maxlen = 1;
    uint32_t *order = malloc((f->n_sents + 1) * sizeof *order);
    if (!order)
        return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    for (size_t d = 0; d < f->n_docs; d++) {
        if (use && !use[d])
            continue;
        for (uint32_t s = f->doc_sent[d]; s < f->doc_sent[d + 1]; s++) {
            order[ns++] = s;
            if (f->sent[s + 1] - f->sent[s] > maxlen)
                maxlen = f->sent[s + 1] - f->sent[s];
        }
    }
    decbuf db = {0};
    if (decbuf_reserve(&db, maxlen + 1, p->K)) {
        free(order);
        decbuf_free(&db);
        return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    }
    uint64_t rs = 0x9E3779B97F4A7C15ULL ^ seed;
    ner_tagger view;
    const int K = p->K;
    for (int ep = 0; ep < epochs; ep++) {
        for (size_t i = ns; i > 1; i--) {
            size_t j = (size_t)(rng_next(&rs) % i);
            uint32_t x = order[i - 1];
            order[i - 1] = order[j];
            order[j] = x;
        }
        for (size_t oi = 0; oi < ns; oi++) {
            uint32_t s = order[oi];
            size_t a = f->sent[s], b = f->sent[s + 1], n = b - a;
            if (!n)
                continue;
            pw_emissions(p, f, a, b, db.em);
            const uint8_t *g = f->gold + a;
            pw_tagger_view(p, &view);
            ner_viterbi(&view, db.em, n, db.bp, db.vit, db.tags);
            int wrong = 0;
            for (size_t t = 0; t < n; t++)
                if (g[t] != db.tags[t]) {
                    wrong = 1;
                    const uint32_t *fs = f->feat + f->foff[a + t];
                    size_t nf = f->foff[a + t + 1] - f->foff[a + t];
                    pw_update(p, fs, nf, g[t], 1.0f);
                    pw_update(p, fs, nf, db.tags[t], -1.0f);
                }
            if (wrong) {
                float c = (float)p->c;
                for (size_t t = 0; t <= n; t++) {
                    int gp = t ? g[t - 1] : K, pp = t ? db.tags[t - 1] : K;
                    if (t < n) {
                        int gc = g[t], pc = db.tags[t];
                        if (gp != pp || gc != pc) {
                            p->tr[gp * K + gc] += 1;
                            p->tra[gp * K + gc] += c;
                            p->tr[pp * K + pc] -= 1;
                            p->tra[pp * K + pc] -= c;
                        }
                    } else if (gp != pp) {
                        p->te[gp] += 1;
                        p->tea[gp] += c;
                        p->te[pp] -= 1;
                        p->tea[pp] -= c;
                    }
                }
            }
            p->c += 1;
        }
    }
    pw_average(p);
    free(order);
    decbuf_free(&db);
    return LM_OK;
}

/* ---- linear-chain CRF, L2-regularized, trained with L-BFGS ---- */

/* Parameter vector layout: emission rows (pw_rows x K), then transitions
 * ((K+1) x K, last row = start), then end scores (K). */
typedef struct crf_ctx {
    const fstore *f;
    const uint32_t *sents;
    size_t ns;
    int K;
    size_t rows;
    const pweights *shape;       /* row mapping only */
    double c2;
    double *al, *be, *em, *sc;   /* per-sentence work, maxlen x K (sc: maxlen) */
    float *dn;                   /* node gradients, maxlen x K */
    size_t maxlen;
} crf_ctx;

/* Forward-backward over one sentence of n tokens whose raw emission
 * scores are in c->em (n x K, overwritten).  Runs in probability space
 * with per-token rescaling (Rabiner): one exp per tag and token.  Writes
 * node gradients (marginal - observed) to dn (n x K), adds transition
 * gradients to Gtr/Gte, returns the sentence's negative log-likelihood. */
static double crf_fb(crf_ctx *c, const uint8_t *gold, size_t n, const float *tr, const float *te,
                     const double *ET, const double *ETE, float *dn, double *Gtr, double *Gte)
{
    const int K = c->K;
    double *em = c->em, *al = c->al, *be = c->be, *sc = c->sc;
    double logz = 0, sg = 0;
    for (size_t t = 0; t < n; t++) {
        double *o = em + t * (size_t)K;
        double mx = o[0];
        for (int k = 1; k < K; k++)
            if (o[k] > mx)
                mx = o[k];
        sg += o[gold[t]];
        for (int k = 0; k < K; k++)
            o[k] = exp(o[k] - mx);
        logz += mx;
    }
    sg += tr[K * K + gold[0]] + te[gold[n - 1]];
    for (size_t t = 1; t < n; t++)
        sg += tr[gold[t - 1] * K + gold[t]];
    for (size_t t = 0; t < n; t++) {
        double *at = al + t * (size_t)K, tot = 0;
        const double *e = em + t * (size_t)K;
        for (int k = 0; k < K; k++) {
            double v;
            if (t == 0)
                v = ET[K * K + k];
            else {
                v = 0;
                const double *ap = al + (t - 1) * (size_t)K;
                for (int j = 0; j < K; j++)
                    v += ap[j] * ET[j * K + k];
            }
            at[k] = v * e[k];
            tot += at[k];
        }
        if (tot <= 0)
            tot = 1e-300;
        sc[t] = tot;
        for (int k = 0; k < K; k++)
            at[k] /= tot;
        logz += log(tot);
    }
    double zend = 0;
    for (int k = 0; k < K; k++)
        zend += al[(n - 1) * K + k] * ETE[k];
    if (zend <= 0)
        zend = 1e-300;
    logz += log(zend);
    for (int k = 0; k < K; k++)
        be[(n - 1) * K + k] = ETE[k];
    for (size_t t = n - 1; t-- > 0;) {
        const double *bn = be + (t + 1) * (size_t)K, *e = em + (t + 1) * (size_t)K;
        double tmp[NER_MAX_TAGS];
        for (int k = 0; k < K; k++)
            tmp[k] = e[k] * bn[k];
        for (int j = 0; j < K; j++) {
            double v = 0;
            for (int k = 0; k < K; k++)
                v += ET[j * K + k] * tmp[k];
            be[t * K + j] = v / sc[t + 1];
        }
    }
    double iz = 1.0 / zend;
    for (size_t t = 0; t < n; t++) {
        const double *at = al + t * (size_t)K, *bt = be + t * (size_t)K;
        float *d = dn + t * (size_t)K;
        for (int k = 0; k < K; k++)
            d[k] = (float)(at[k] * bt[k] * iz);
        d[gold[t]] -= 1.0f;
        if (t == 0) {
            for (int k = 0; k < K; k++)
                Gtr[K * K + k] += at[k] * bt[k] * iz;
            Gtr[K * K + gold[0]] -= 1;
        } else {
            const double *ap = al + (t - 1) * (size_t)K, *e = em + t * (size_t)K;
            double q = iz / sc[t];
            for (int k = 0; k < K; k++) {
                double ek = e[k] * bt[k] * q;
                for (int j = 0; j < K; j++)
                    Gtr[j * K + k] += ap[j] * ET[j * K + k] * ek;
            }
            Gtr[gold[t - 1] * K + gold[t]] -= 1;
        }
    }
    for (int k = 0; k < K; k++)
        Gte[k] += al[(n - 1) * K + k] * ETE[k] * iz;
    Gte[gold[n - 1]] -= 1;
    return logz - sg;
}

static void crf_trans_exp(int K, const float *tr, const float *te, double *ET, double *ETE)
{
    for (int a = 0; a <= K; a++)
        for (int b = 0; b < K; b++)
            ET[a * K + b] = ner_tag_allowed(K, a, b) ? exp(tr[a * K + b]) : 0.0;
    for (int b = 0; b < K; b++)
        ETE[b] = (b == 0 || ner_tag_pos(b) >= 2) ? exp(te[b]) : 0.0;
}

/* Raw emissions of tokens [a0, a0+n) from weights x scaled by s. */
static void crf_emit(crf_ctx *c, const float *x, double s, size_t a0, size_t n)
{
    const int K = c->K;
    const fstore *f = c->f;
    for (size_t t = 0; t < n; t++) {
        float acc[NER_MAX_TAGS] = {0};
        for (uint32_t j = f->foff[a0 + t]; j < f->foff[a0 + t + 1]; j++) {
            const float *w = x + pw_row(c->shape, f->feat[j]) * (size_t)K;
            for (int k = 0; k < K; k++)
                acc[k] += w[k];
        }
        for (int k = 0; k < K; k++)
            c->em[t * (size_t)K + (size_t)k] = s * acc[k];
    }
}

/* Negative log-likelihood + L2 at x; gradient into g. */
static double crf_eval(crf_ctx *c, const float *x, float *g)
{
    const int K = c->K;
    const fstore *f = c->f;
    const size_t ne = c->rows * (size_t)K;
    const float *tr = x + ne, *te = x + ne + (size_t)(K + 1) * K;
    float *gtr = g + ne, *gte = g + ne + (size_t)(K + 1) * K;
    size_t nx = ne + (size_t)(K + 1) * K + (size_t)K;
    memset(g, 0, nx * sizeof *g);
    double ET[(NER_MAX_TAGS + 1) * NER_MAX_TAGS], ETE[NER_MAX_TAGS];
    crf_trans_exp(K, tr, te, ET, ETE);
    double Gtr[(NER_MAX_TAGS + 1) * NER_MAX_TAGS] = {0}, Gte[NER_MAX_TAGS] = {0};
    double nll = 0;
    for (size_t si = 0; si < c->ns; si++) {
        uint32_t sidx = c->sents[si];
        size_t a0 = f->sent[sidx], n = f->sent[sidx + 1] - a0;
        if (!n)
            continue;
        crf_emit(c, x, 1.0, a0, n);
        nll += crf_fb(c, f->gold + a0, n, tr, te, ET, ETE, c->dn, Gtr, Gte);
        for (size_t t = 0; t < n; t++) {
            const float *d = c->dn + t * (size_t)K;
            for (uint32_t j = f->foff[a0 + t]; j < f->foff[a0 + t + 1]; j++) {
                float *gw = g + pw_row(c->shape, f->feat[j]) * (size_t)K;
                for (int k = 0; k < K; k++)
                    gw[k] += d[k];
            }
        }
    }
    for (int i = 0; i < (K + 1) * K; i++)
        gtr[i] += (float)Gtr[i];
    for (int i = 0; i < K; i++)
        gte[i] += (float)Gte[i];
    double reg = 0;
    for (size_t i = 0; i < nx; i++) {
        reg += (double)x[i] * x[i];
        g[i] += (float)(c->c2 * x[i]);
    }
    return nll + 0.5 * c->c2 * reg;
}

static double dotf(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* L-BFGS (two-loop recursion, backtracking Armijo line search). */
static lm_status crf_train(const fstore *f, const uint8_t *use, int max_iter, double c2,
                           pweights *p, tlog *log, const char *name, lm_error *err)
{
    enum { M = 6 };
    const int K = p->K;
    crf_ctx c = {0};
    c.f = f;
    c.K = K;
    c.rows = pw_rows(p);
    c.shape = p;
    c.c2 = c2;
    size_t ne = c.rows * (size_t)K, nx = ne + (size_t)(K + 1) * K + (size_t)K;
    uint32_t *sents = malloc((f->n_sents + 1) * sizeof *sents);
    size_t ns = 0, maxlen = 1;
    if (sents)
        for (size_t d = 0; d < f->n_docs; d++) {
            if (use && !use[d])
                continue;
            for (uint32_t si = f->doc_sent[d]; si < f->doc_sent[d + 1]; si++) {
                sents[ns++] = si;
                if (f->sent[si + 1] - f->sent[si] > maxlen)
                    maxlen = f->sent[si + 1] - f->sent[si];
            }
        }
    c.sents = sents;
    c.ns = ns;
    c.al = malloc(maxlen * (size_t)K * sizeof *c.al);
    c.be = malloc(maxlen * (size_t)K * sizeof *c.be);
    c.em = malloc(maxlen * (size_t)K * sizeof *c.em);
    c.sc = malloc(maxlen * sizeof *c.sc);
    c.dn = malloc(maxlen * (size_t)K * sizeof *c.dn);
    float *x = calloc(nx, sizeof *x), *g = malloc(nx * sizeof *g), *d = malloc(nx * sizeof *d);
    float *xn = malloc(nx * sizeof *xn), *gn = malloc(nx * sizeof *gn);
    float *S = malloc((size_t)M * nx * sizeof *S), *Y = malloc((size_t)M * nx * sizeof *Y);
    double rho[M], alpha[M];
    lm_status st = LM_OK;
    if (!sents || !c.al || !c.be || !c.em || !c.sc || !c.dn || !x || !g || !d || !xn || !gn || !S || !Y) {
        st = lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory for CRF");
        goto done;
    }
    double fx = crf_eval(&c, x, g);
    int hist = 0, head = 0;
    double f_hist[10];
    for (int it = 0; it < max_iter; it++) {
        /* d = -H g */
        memcpy(d, g, nx * sizeof *d);
        for (int i = 0; i < hist; i++) {
            int j = (head - 1 - i + M) % M;
            alpha[j] = rho[j] * dotf(S + (size_t)j * nx, d, nx);
            float aj = (float)alpha[j];
            const float *yj = Y + (size_t)j * nx;
            for (size_t q = 0; q < nx; q++)
                d[q] -= aj * yj[q];
        }
        if (hist) {
            int j = (head - 1 + M) % M;
            float gam = (float)(dotf(S + (size_t)j * nx, Y + (size_t)j * nx, nx)
                                / dotf(Y + (size_t)j * nx, Y + (size_t)j * nx, nx));
            for (size_t q = 0; q < nx; q++)
                d[q] *= gam;
        } else {
            float sc = (float)(1.0 / sqrt(dotf(g, g, nx) + 1e-30));
            for (size_t q = 0; q < nx; q++)
                d[q] *= sc;
        }
        for (int i = hist - 1; i >= 0; i--) {
            int j = (head - 1 - i + M) % M;
            double b = rho[j] * dotf(Y + (size_t)j * nx, d, nx);
            float ab = (float)(alpha[j] - b);
            const float *sj = S + (size_t)j * nx;
            for (size_t q = 0; q < nx; q++)
                d[q] += ab * sj[q];
        }
        for (size_t q = 0; q < nx; q++)
            d[q] = -d[q];
        double gd = dotf(g, d, nx);
        if (gd >= 0) {                        /* not a descent direction: restart */
            for (size_t q = 0; q < nx; q++)
                d[q] = -g[q];
            gd = dotf(g, d, nx);
            hist = 0;
        }
        double step = 1.0, fn = 0;
        int ok = 0;
        for (int ls = 0; ls < 30; ls++) {
            for (size_t q = 0; q < nx; q++)
                xn[q] = x[q] + (float)step * d[q];
            fn = crf_eval(&c, xn, gn);
            if (fn <= fx + 1e-4 * step * gd) {
                ok = 1;
                break;
            }
            step *= 0.5;
        }
        if (!ok)
            break;
        float *sj = S + (size_t)head * nx, *yj = Y + (size_t)head * nx;
        for (size_t q = 0; q < nx; q++) {
            sj[q] = xn[q] - x[q];
            yj[q] = gn[q] - g[q];
        }
        double sy = dotf(sj, yj, nx);
        if (sy > 1e-10) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % M;
            if (hist < M)
                hist++;
        }
        float *t1 = x;
        x = xn;
        xn = t1;
        t1 = g;
        g = gn;
        gn = t1;
        fx = fn;
        f_hist[it % 10] = fx;
        if (log && (it % 25 == 0))
            logf_(log, "    %s: CRF iteration %d, objective %.1f", name, it, fx);
        if (it >= 10 && (f_hist[(it + 1) % 10] - fx) / fx < 1e-5)
            break;
    }
    memcpy(p->w, x, ne * sizeof *x);
    for (int i = 0; i < (K + 1) * K; i++)
        p->tr[i] = x[ne + (size_t)i];
    for (int i = 0; i < K; i++)
        p->te[i] = x[ne + (size_t)(K + 1) * K + (size_t)i];
done:
    free(sents);
    free(c.al);
    free(c.be);
    free(c.em);
    free(c.sc);
    free(c.dn);
    free(x);
    free(g);
    free(d);
    free(xn);
    free(gn);
    free(S);
    free(Y);
    return st;
}

/* Tags docs with use[d] set, writing into out[d]. */
static lm_status perceptron_predict(const fstore *f, const uint8_t *use, const pweights *p,
                                    uint8_t **out, lm_error *err)
{
    decbuf db = {0};
    ner_tagger view;
    pw_tagger_view(p, &view);
    for (size_t d = 0; d < f->n_docs; d++) {
        if (use && !use[d])
            continue;
        for (uint32_t s = f->doc_sent[d]; s < f->doc_sent[d + 1]; s++) {
            size_t a = f->sent[s], b = f->sent[s + 1], n = b - a;
            if (!n)
                continue;
            if (decbuf_reserve(&db, n + 1, p->K)) {
                decbuf_free(&db);
                return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
            }
            pw_emissions(p, f, a, b, db.em);
            ner_viterbi(&view, db.em, n, db.bp, db.vit, out[d] + (a - f->doc_tok[d]));
        }
    }
    decbuf_free(&db);
    return LM_OK;
}

/* ---- recipes ---- */

enum { C_CDR, C_CDR_DEV, C_NCBI, C_NCBI_DEV, C_BIORED, C_BIORED_DEV, C_BC2GM, C_N };

typedef struct tspec {
    const char *name;
    int corpus;
    lm_ent_type types[NER_MAX_TYPES];
    int n_types;
    uint32_t lex_mask;
    int up[NER_MAX_UP];
    int n_up;
    int emit;
} tspec;

typedef struct devspec {
    int corpus;
    lm_ent_type type;
} devspec;

#define LB(x) (1u << (x))
#define LEX_GENES (LB(L_GENE_SYM) | LB(L_GENE_NAME))
#define LEX_MESH                                                                     \
    (LB(L_MESH_DIS) | LB(L_MESH_SYMPTOM) | LB(L_MESH_MENTAL) | LB(L_MESH_CHEM) |      \
     LB(L_MESH_PROTEIN) | LB(L_MESH_ACTION) | LB(L_MESH_ANATOMY) | LB(L_MESH_ORGANISM) | \
     LB(L_MESH_OTHER))

static int recipe_build(const char *name, int stages, tspec *ts, int *n_ts, devspec *dv,
                        int *n_dv, uint32_t *corpora)
{
    int n = 0;
    if (strcmp(name, "main") == 0) {
        uint32_t cdlex = LB(L_DRUGBANK) | LEX_GENES | LB(L_NCBI_DIS) | LEX_MESH;
        uint32_t glex = LB(L_DRUGBANK) | LEX_GENES | LB(L_CDR_CHEM) | LB(L_CDR_DIS) | LB(L_NCBI_DIS);
        int cd1 = n;
        ts[n++] = (tspec){"cdr1", C_CDR, {LM_ENT_CHEMICAL, LM_ENT_DISEASE}, 2, cdlex, {0}, 0,
                          stages < 2};
        if (stages >= 2)
            ts[n++] = (tspec){"cdr2", C_CDR, {LM_ENT_CHEMICAL, LM_ENT_DISEASE}, 2, cdlex, {cd1},
                              1, 1};
        int gm = n;
        ts[n++] = (tspec){"bc2gm", C_BC2GM, {LM_ENT_GENE}, 1, glex, {0}, 0, 0};
        int g1 = n;
        ts[n++] = (tspec){"biored1", C_BIORED, {LM_ENT_GENE}, 1, glex | LB(L_BC2GM), {gm}, 1,
                          stages < 2};
        if (stages >= 2)
            ts[n++] = (tspec){"biored2", C_BIORED, {LM_ENT_GENE}, 1, glex | LB(L_BC2GM),
                              {g1, gm}, 2, 1};
        dv[0] = (devspec){C_CDR_DEV, LM_ENT_CHEMICAL};
        dv[1] = (devspec){C_CDR_DEV, LM_ENT_DISEASE};
        dv[2] = (devspec){C_BIORED_DEV, LM_ENT_GENE};
        *n_dv = 3;
        *corpora = LB(C_CDR) | LB(C_CDR_DEV) | LB(C_NCBI) | LB(C_BIORED) | LB(C_BIORED_DEV)
                   | LB(C_BC2GM);
    } else if (strcmp(name, "ncbi") == 0) {
        uint32_t lex = LB(L_DRUGBANK) | LEX_GENES | LB(L_CDR_CHEM) | LB(L_CDR_DIS) | LEX_MESH;
        ts[n++] = (tspec){"ncbi1", C_NCBI, {LM_ENT_DISEASE}, 1, lex, {0}, 0, stages < 2};
        if (stages >= 2)
            ts[n++] = (tspec){"ncbi2", C_NCBI, {LM_ENT_DISEASE}, 1, lex, {0}, 1, 1};
        dv[0] = (devspec){C_NCBI_DEV, LM_ENT_DISEASE};
        *n_dv = 1;
        *corpora = LB(C_NCBI) | LB(C_NCBI_DEV) | LB(C_CDR);
    } else {
        return -1;
    }
    *n_ts = n;
    return 0;
}

/* ---- the job graph ---- */

enum { J_FEAT, J_FOLD, J_FULL, J_DIRECT };

typedef struct job {
    int kind, tagger, fold, corpus;
    int deps[16];
    int n_deps;
    int state;                 /* 0 waiting, 1 running, 2 done */
} job;

typedef struct trainer {
    const lm_ner_train_opts *o;
    tlog log;
    lm_ner_model *m;
    tcorpus corp[C_N];
    tspec ts[NER_MAX_TAGGERS];
    int n_ts;
    int epochs, folds;
    fstore fs[NER_MAX_TAGGERS];
    utags up[NER_MAX_TAGGERS][8];       /* tags of tagger i on corpus c */
    int need_jk[NER_MAX_TAGGERS];
    uint32_t need_direct[NER_MAX_TAGGERS]; /* corpora to apply tagger i to */
    uint8_t *fold_of[C_N];
    job jobs[256];
    int n_jobs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int failed;
    lm_error first_err;
} trainer;

static int add_job(trainer *T, int kind, int tagger, int fold, int corpus)
{
    job *j = &T->jobs[T->n_jobs];
    memset(j, 0, sizeof *j);
    j->kind = kind;
    j->tagger = tagger;
    j->fold = fold;
    j->corpus = corpus;
    return T->n_jobs++;
}

static void add_dep(trainer *T, int j, int d)
{
    if (d >= 0 && T->jobs[j].n_deps < 16)
        T->jobs[j].deps[T->jobs[j].n_deps++] = d;
}

static lm_status utags_alloc(trainer *T, int ti, int c, lm_error *err)
{
    utags *u = &T->up[ti][c];
    if (u->doc)
        return LM_OK;
    u->n = T->corp[c].n;
    u->doc = calloc(u->n + 1, sizeof *u->doc);
    if (!u->doc)
        return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    for (size_t d = 0; d < u->n; d++) {
        u->doc[d] = calloc(T->corp[c].d[d].n_tok + 1, 1);
        if (!u->doc[d])
            return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    }
    return LM_OK;
}

static lm_status run_job(trainer *T, job *j, lm_error *err)
{
    int ti = j->tagger;
    ner_tagger *tg = &T->m->tg[ti];
    int c = T->ts[ti].corpus;
    double t0 = now_s();
    lm_status st = LM_OK;
    if (j->kind == J_FEAT) {
        st = fstore_build(T->m, ti, &T->corp[c], c, T->up, &T->fs[ti], err);
        if (st == LM_OK)
            logf_(&T->log, "  %s: features for %zu docs, %zu tokens, %.1f feats/token (%.1fs)",
                  tg->name, T->fs[ti].n_docs, T->fs[ti].n_tok,
                  (double)T->fs[ti].n_feat / (double)(T->fs[ti].n_tok ? T->fs[ti].n_tok : 1),
                  now_s() - t0);
    } else if (j->kind == J_FOLD || j->kind == J_FULL) {
        const fstore *f = &T->fs[ti];
        uint8_t *use = NULL;
        if (j->kind == J_FOLD) {
            use = malloc(f->n_docs + 1);
            if (!use)
                return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
            for (size_t d = 0; d < f->n_docs; d++)
                use[d] = T->fold_of[c][d] != j->fold;
        }
        pweights p;
        if (pw_init(&p, tg->K, tg->bits, tg->xbits)) {
            pw_free(&p);
            free(use);
            return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory for weights");
        }
        if (T->o->perceptron)
            st = perceptron_train(f, use, T->epochs, T->o->seed + 31u * (unsigned)j->fold, &p,
                                  err);
        else
            st = crf_train(f, use, T->o->crf_iter > 0 ? T->o->crf_iter : 100,
                           T->o->crf_c2 > 0 ? T->o->crf_c2 : 1.0, &p,
                           j->kind == J_FULL ? &T->log : NULL, tg->name, err);
        if (st == LM_OK && j->kind == J_FOLD) {
            for (size_t d = 0; d < f->n_docs; d++)
                use[d] = !use[d];
            st = perceptron_predict(f, use, &p, T->up[ti][c].doc, err);
        }
        if (st == LM_OK && j->kind == J_FULL) {
            free(tg->wf);
            tg->wf = p.w;
            p.w = NULL;
            memcpy(tg->trans, p.tr, sizeof tg->trans);
            memcpy(tg->trans_end, p.te, sizeof tg->trans_end);
        }
        pw_free(&p);
        free(use);
        if (st == LM_OK)
            logf_(&T->log, "  %s: %s trained (%.1fs)", tg->name,
                  j->kind == J_FULL ? "full model" : "fold", now_s() - t0);
    } else if (j->kind == J_DIRECT) {
        int dc = j->corpus;
        lm_ner_scratch *s;
        st = lm_ner_scratch_init(&s, err);
        for (size_t d = 0; d < T->corp[dc].n && st == LM_OK; d++) {
            const tdoc *doc = &T->corp[dc].d[d];
            st = prep_doc(T->m, ti, doc, d, T->up, dc, s, err);
            if (st == LM_OK)
                st = ner_doc_decode(T->m, ti, s, 0, err);
            if (st == LM_OK)
                memcpy(T->up[ti][dc].doc[d], s->tags + (size_t)ti * s->n, doc->n_tok);
        }
        lm_ner_scratch_free(s);
        if (st == LM_OK)
            logf_(&T->log, "  %s: applied to %s (%.1fs)", tg->name, T->corp[dc].name,
                  now_s() - t0);
    }
    return st;
}

static size_t job_cost(const trainer *T, const job *j)
{
    const tcorpus *c = &T->corp[j->kind == J_DIRECT ? j->corpus : T->ts[j->tagger].corpus];
    size_t tokens = 0;
    for (size_t i = 0; i < c->n; i++)
        tokens += c->d[i].n_tok;
    return j->kind == J_FULL || j->kind == J_FOLD ? tokens * 4 : tokens;
}

static void *worker(void *arg)
{
    trainer *T = arg;
    pthread_mutex_lock(&T->mu);
    for (;;) {
        /* longest job first: the biggest corpus's jobs start the critical path */
        int pick = -1, remaining = 0;
        size_t best = 0;
        for (int i = 0; i < T->n_jobs; i++) {
            job *j = &T->jobs[i];
            if (j->state == 2)
                continue;
            remaining++;
            if (j->state != 0)
                continue;
            int ready = 1;
            for (int k = 0; k < j->n_deps; k++)
                if (T->jobs[j->deps[k]].state != 2)
                    ready = 0;
            size_t cost = job_cost(T, j);
            if (ready && (pick < 0 || cost > best)) {
                pick = i;
                best = cost;
            }
        }
        if (!remaining || T->failed)
            break;
        if (pick < 0) {
            pthread_cond_wait(&T->cv, &T->mu);
            continue;
        }
        T->jobs[pick].state = 1;
        pthread_mutex_unlock(&T->mu);
        lm_error e;
        lm_status st = run_job(T, &T->jobs[pick], &e);
        pthread_mutex_lock(&T->mu);
        T->jobs[pick].state = 2;
        if (st != LM_OK && !T->failed) {
            T->failed = 1;
            T->first_err = e;
        }
        pthread_cond_broadcast(&T->cv);
    }
    pthread_cond_broadcast(&T->cv);
    pthread_mutex_unlock(&T->mu);
    return NULL;
}

/* Job id after which tags of tagger u on corpus c are available. */
static int tags_ready_job(trainer *T, const int *jk_last, const int *direct_job, int u, int c)
{
    if (T->ts[u].corpus == c)
        return jk_last[u];
    return direct_job[u * C_N + c];
}

static lm_status plan_and_run(trainer *T, int threads, lm_error *err)
{
    /* what is needed: tags of u on corpus c for every (u upstream of i, c =
     * corpus(i)), recursively for direct applications */
    for (int i = T->n_ts - 1; i >= 0; i--) {
        int c = T->ts[i].corpus;
        for (int k = 0; k < T->ts[i].n_up; k++) {
            int u = T->ts[i].up[k];
            if (T->ts[u].corpus == c)
                T->need_jk[u] = 1;
            else
                T->need_direct[u] |= 1u << c;
        }
        /* a direct application of i to corpus c' needs i's upstream on c' */
        for (int c2 = 0; c2 < C_N; c2++)
            if (T->need_direct[i] & (1u << c2))
                for (int k = 0; k < T->ts[i].n_up; k++) {
                    int u = T->ts[i].up[k];
                    if (T->ts[u].corpus == c2)
                        T->need_jk[u] = 1;
                    else
                        T->need_direct[u] |= 1u << c2;
                }
    }
    /* jackknife_out: the last BC5CDR tagger's out-of-fold tags too */
    for (int i = T->n_ts - 1; i >= 0 && T->o->jackknife_out; i--)
        if (T->ts[i].corpus == C_CDR) {
            T->need_jk[i] = 1;
            break;
        }
    int feat_job[NER_MAX_TAGGERS], full_job[NER_MAX_TAGGERS], jk_last[NER_MAX_TAGGERS];
    int fold_jobs[NER_MAX_TAGGERS][16];
    int direct_job[NER_MAX_TAGGERS * C_N];
    for (int i = 0; i < NER_MAX_TAGGERS * C_N; i++)
        direct_job[i] = -1;
    for (int i = 0; i < T->n_ts; i++) {
        int c = T->ts[i].corpus;
        lm_status st = LM_OK;
        if (T->need_jk[i])
            st = utags_alloc(T, i, c, err);
        for (int c2 = 0; c2 < C_N && st == LM_OK; c2++)
            if (T->need_direct[i] & (1u << c2))
                st = utags_alloc(T, i, c2, err);
        if (st != LM_OK)
            return st;
        feat_job[i] = add_job(T, J_FEAT, i, 0, c);
        for (int k = 0; k < T->ts[i].n_up; k++)
            add_dep(T, feat_job[i], tags_ready_job(T, jk_last, direct_job, T->ts[i].up[k], c));
        full_job[i] = add_job(T, J_FULL, i, 0, c);
        add_dep(T, full_job[i], feat_job[i]);
        jk_last[i] = -1;
        if (T->need_jk[i]) {
            /* a join job: a FOLD of fold -1 does nothing but wait */
            for (int f = 0; f < T->folds; f++) {
                fold_jobs[i][f] = add_job(T, J_FOLD, i, f, c);
                add_dep(T, fold_jobs[i][f], feat_job[i]);
            }
            int join = add_job(T, -1, i, 0, c);
            for (int f = 0; f < T->folds; f++)
                add_dep(T, join, fold_jobs[i][f]);
            jk_last[i] = join;
        }
        for (int c2 = 0; c2 < C_N; c2++) {
            if (!(T->need_direct[i] & (1u << c2)))
                continue;
            int dj = add_job(T, J_DIRECT, i, 0, c2);
            add_dep(T, dj, full_job[i]);
            for (int k = 0; k < T->ts[i].n_up; k++)
                add_dep(T, dj, tags_ready_job(T, jk_last, direct_job, T->ts[i].up[k], c2));
            direct_job[i * C_N + c2] = dj;
        }
    }
    /* feature stores are freed when no longer needed: simplest is at the end */
    pthread_t th[8];
    int nt = threads < 1 ? 1 : threads > 8 ? 8 : threads;
    int started = 0;
    for (int i = 0; i < nt; i++)
        if (pthread_create(&th[i], NULL, worker, T) == 0)
            started++;
    if (!started)
        worker(T);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (T->failed) {
        if (err)
            *err = T->first_err;
        return T->first_err.code;
    }
    return LM_OK;
}

/* ---- evaluation ---- */

static int cmp_pair(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    if (x[1] != y[1])
        return x[1] < y[1] ? -1 : 1;
    return 0;
}

static size_t uniq_pairs(uint32_t *v, size_t n)
{
    lm_qsort(v, n, 2 * sizeof *v, cmp_pair);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!w || v[2 * (w - 1)] != v[2 * i] || v[2 * (w - 1) + 1] != v[2 * i + 1]) {
            v[2 * w] = v[2 * i];
            v[2 * w + 1] = v[2 * i + 1];
            w++;
        }
    return w;
}

void lm_ner_score_add(lm_ner_score *s, const uint32_t *gold, size_t n_gold, const uint32_t *pred,
                      size_t n_pred)
{
    uint32_t *g = malloc((2 * n_gold + 2) * sizeof *g), *p = malloc((2 * n_pred + 2) * sizeof *p);
    if (!g || !p) {
        free(g);
        free(p);
        return;
    }
    memcpy(g, gold, 2 * n_gold * sizeof *g);
    memcpy(p, pred, 2 * n_pred * sizeof *p);
    size_t ng = uniq_pairs(g, n_gold), np = uniq_pairs(p, n_pred);
    size_t i = 0, j = 0, tp = 0;
    while (i < ng && j < np) {
        int c = cmp_pair(g + 2 * i, p + 2 * j);
        if (c == 0) {
            tp++;
            i++;
            j++;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    s->tp += (long)tp;
    s->fp += (long)(np - tp);
    s->fn += (long)(ng - tp);
    free(g);
    free(p);
}

void lm_ner_score_finish(lm_ner_score *s)
{
    s->p = s->tp + s->fp ? (double)s->tp / (double)(s->tp + s->fp) : 0;
    s->r = s->tp + s->fn ? (double)s->tp / (double)(s->tp + s->fn) : 0;
    s->f = s->p + s->r > 0 ? 2 * s->p * s->r / (s->p + s->r) : 0;
}

static lm_status eval_corpus(const lm_ner_model *m, const tcorpus *c, lm_ent_type type,
                             lm_ner_score *sc, lm_error *err)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->corpus, sizeof sc->corpus, "%s", c->name);
    sc->type = type;
    lm_ner_scratch *s;
    lm_status st = lm_ner_scratch_init(&s, err);
    if (st != LM_OK)
        return st;
    lm_ner_mentions out;
    lm_ner_mentions_init(&out);
    uint32_t *g = NULL, *p = NULL;
    size_t gcap = 0, pcap = 0;
    for (size_t i = 0; i < c->n && st == LM_OK; i++) {
        const tdoc *d = &c->d[i];
        st = lm_ner_tag_tokens(m, s, d->text, d->len, d->tok, d->n_tok, d->sent, d->n_sent, &out,
                               err);
        if (st != LM_OK)
            break;
        if (2 * (d->n_gold + 1) > gcap) {
            gcap = 4 * (d->n_gold + 1);
            free(g);
            g = malloc(gcap * sizeof *g);
        }
        if (2 * (out.n + 1) > pcap) {
            pcap = 4 * (out.n + 1);
            free(p);
            p = malloc(pcap * sizeof *p);
        }
        if (!g || !p) {
            st = lm_error_set(err, LM_ERR_NOMEM, "ner eval: out of memory");
            break;
        }
        size_t ng = 0, np = 0;
        for (uint32_t k = 0; k < d->n_gold; k++)
            if (d->gold[k].type == type) {
                g[2 * ng] = d->gold[k].bs;
                g[2 * ng + 1] = d->gold[k].be;
                ng++;
            }
        for (size_t k = 0; k < out.n; k++)
            if (out.v[k].type == type) {
                p[2 * np] = out.v[k].start;
                p[2 * np + 1] = out.v[k].end;
                np++;
            }
        lm_ner_score_add(sc, g, ng, p, np);
    }
    free(g);
    free(p);
    lm_ner_mentions_free(&out);
    lm_ner_scratch_free(s);
    lm_ner_score_finish(sc);
    return st;
}

/* ---- unlabeled text for clusters ---- */

/* Appends the "title" and "text" string values of each JSON line. */
static lm_status scifact_texts(const char *path, lm_buf *out, lm_error *err)
{
    char *buf;
    size_t n;
    lm_status st = slurp(path, &buf, &n, err);
    if (st != LM_OK)
        return st;
    static const char *keys[] = {"\"title\": \"", "\"text\": \""};
    for (char *line = buf; line < buf + n && st == LM_OK;) {
        char *nl = memchr(line, '\n', (size_t)(buf + n - line));
        char *end = nl ? nl : buf + n;
        *end = '\0';
        for (int k = 0; k < 2; k++) {
            char *p = strstr(line, keys[k]);
            if (!p)
                continue;
            p += strlen(keys[k]);
            while (*p && *p != '"' && st == LM_OK) {
                if (*p == '\\' && p[1]) {
                    p++;
                    char ch = *p == 'n' || *p == 't' ? ' ' : *p;
                    if (*p == 'u') {
                        ch = ' ';                  /* \uXXXX: a separator is enough here */
                        p += strlen(p) >= 5 ? 4 : 0;
                    }
                    st = lm_buf_append_char(out, ch) == LM_OK ? LM_OK
                         : lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                } else {
                    st = lm_buf_append_char(out, *p) == LM_OK ? LM_OK
                         : lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                }
                p++;
            }
            if (st == LM_OK && lm_buf_append_char(out, '\n') != LM_OK)
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        }
        line = end + 1;
    }
    free(buf);
    return st;
}

/* ---- the recipe driver ---- */

static lm_status exclude_ids(const char *path, idset *ex, lm_error *err)
{
    lm_pt_corpus pc;
    lm_status st = lm_corpus_load(path, &pc, err);
    if (st != LM_OK)
        return st;
    for (size_t i = 0; i < pc.n_docs; i++)
        if (ner_map_put(&ex->m, id_key(pc.docs[i].pmid), 1, 0) != LM_OK) {
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            break;
        }
    lm_pt_corpus_free(&pc);
    return st;
}

static lm_status load_corpora(trainer *T, uint32_t need, lm_error *err)
{
    const char *dd = T->o->data_dir;
    char p[C_N][1024];
    snprintf(p[C_CDR], 1024, "%s/bc5cdr/CDR_TrainingSet.PubTator.txt", dd);
    snprintf(p[C_CDR_DEV], 1024, "%s/bc5cdr/CDR_DevelopmentSet.PubTator.txt", dd);
    snprintf(p[C_NCBI], 1024, "%s/ncbi_disease/NCBItrainset_corpus.txt", dd);
    snprintf(p[C_NCBI_DEV], 1024, "%s/ncbi_disease/NCBIdevelopset_corpus.txt", dd);
    snprintf(p[C_BIORED], 1024, "%s/biored/Train.PubTator", dd);
    snprintf(p[C_BIORED_DEV], 1024, "%s/biored/Dev.PubTator", dd);
    snprintf(p[C_BC2GM], 1024, "%s/bc2gm/train", dd);
    static const char *names[C_N] = {"bc5cdr-train", "bc5cdr-dev", "ncbi-train", "ncbi-dev",
                                     "biored-train", "biored-dev", "bc2gm"};
    idset ex;
    ner_map_init(&ex.m);
    lm_status st = LM_OK;
    if (!T->o->final) {
        st = exclude_ids(p[C_CDR_DEV], &ex, err);
        if (st == LM_OK)
            st = exclude_ids(p[C_NCBI_DEV], &ex, err);
        if (st == LM_OK)
            st = exclude_ids(p[C_BIORED_DEV], &ex, err);
    }
    for (int c = 0; c < C_N && st == LM_OK; c++) {
        snprintf(T->corp[c].name, sizeof T->corp[c].name, "%s", names[c]);
        if (!(need & (1u << c)))
            continue;
        int dev = c == C_CDR_DEV || c == C_NCBI_DEV || c == C_BIORED_DEV;
        if (T->o->final && dev)
            continue;                 /* folded into the training corpus below */
        if (c == C_BC2GM)
            st = load_bc2gm(&T->corp[c], p[c], err);
        else
            st = load_pubtator(&T->corp[c], p[c], dev ? NULL : &ex, err);
        if (st == LM_OK && T->o->final && (c == C_CDR || c == C_NCBI || c == C_BIORED))
            st = load_pubtator(&T->corp[c], p[c + 1], NULL, err);
        if (st != LM_OK)
            lm_error_wrap(err, "%s", p[c]);
    }
    ner_map_free(&ex.m);
    return st;
}

static lm_status build_lexicons(trainer *T, lm_error *err)
{
    lm_ner_model *m = T->m;
    m->n_lex = L_N;
    for (int i = 0; i < L_N; i++)
        snprintf(m->lex_name[i], sizeof m->lex_name[i], "%s", lex_names[i]);

    if (m->feat_flags & NER_F_GAZ) {
        lm_spans tmp;
        lm_spans_init(&tmp);
        char p[1024];
        snprintf(p, sizeof p, "%s/lexicons/drugbank_vocabulary.csv", T->o->data_dir);
        lm_status st = lex_file(m, p, lex_drugbank, &tmp, err);
        if (st == LM_OK) {
            snprintf(p, sizeof p, "%s/lexicons/Homo_sapiens.gene_info.gz", T->o->data_dir);
            st = lex_file(m, p, lex_gene_info, &tmp, err);
        }
        if (st == LM_OK) {
            snprintf(p, sizeof p, "%s/lexicons/mesh", T->o->data_dir);
            st = lex_mesh(m, p, &tmp, err);
        }
        for (size_t i = 0; i < sizeof corpus_lex / sizeof corpus_lex[0] && st == LM_OK; i++) {
            const tcorpus *c = &T->corp[corpus_lex[i].corpus];
            if (c->n)
                st = lex_corpus(m, corpus_lex[i].lex, c, corpus_lex[i].type, &tmp, err);
        }
        lm_spans_free(&tmp);
        if (st != LM_OK)
            return st;
        logf_(&T->log, "gazetteer: %zu entries and prefixes", m->gaz.n);
    }
    return LM_OK;
}

static lm_status build_clusters(trainer *T, lm_error *err)
{
    const lm_ner_train_opts *o = T->o;
    if (!(T->m->feat_flags & NER_F_CLUSTER))
        return LM_OK;
    if (o->cluster_cache && ner_clusters_load(T->m, o->cluster_cache, NULL) == LM_OK) {
        logf_(&T->log, "clusters: %zu words from cache %s", T->m->clusters.n, o->cluster_cache);
        return LM_OK;
    }
    /* every text we have, labeled or not (labels unused), plus SciFact */
    lm_buf text;
    lm_buf_init(&text);
    lm_status st = LM_OK;
    const char *dd = o->data_dir;
    const char *files[] = {"bc5cdr/CDR_TrainingSet.PubTator.txt",
                           "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
                           "ncbi_disease/NCBItrainset_corpus.txt",
                           "ncbi_disease/NCBIdevelopset_corpus.txt", "biored/Train.PubTator",
                           "biored/Dev.PubTator"};
    for (size_t i = 0; i < sizeof files / sizeof files[0] && st == LM_OK; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dd, files[i]);
        lm_pt_corpus pc;
        st = lm_corpus_load(p, &pc, err);
        for (size_t k = 0; st == LM_OK && k < pc.n_docs; k++)
            if (lm_buf_append_str(&text, pc.docs[k].text) != LM_OK
                || lm_buf_append_char(&text, '\n') != LM_OK)
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        if (st == LM_OK)
            lm_pt_corpus_free(&pc);
    }
    if (st == LM_OK) {
        char p[1024];
        snprintf(p, sizeof p, "%s/bc2gm/train/train.in", dd);
        char *b;
        size_t n;
        st = slurp(p, &b, &n, err);
        if (st == LM_OK) {
            /* drop the sentence ids */
            for (char *line = b; line < b + n && st == LM_OK;) {
                char *nl = memchr(line, '\n', (size_t)(b + n - line));
                char *end = nl ? nl : b + n;
                char *sp = memchr(line, ' ', (size_t)(end - line));
                if (sp && (lm_buf_append(&text, sp + 1, (size_t)(end - sp - 1)) != LM_OK
                           || lm_buf_append_char(&text, '\n') != LM_OK))
                    st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                line = end + 1;
            }
            free(b);
        }
    }
    if (st == LM_OK) {
        char p[1024];
        snprintf(p, sizeof p, "%s/scifact/corpus.jsonl.gz", dd);
        st = scifact_texts(p, &text, err);
    }
    if (st == LM_OK) {
        double t0 = now_s();
        int k = o->n_clusters_fine ? o->n_clusters_fine : 1024;
        st = ner_clusters_learn(T->m, text.data, text.len, k, o->cluster_min_count,
                                o->cluster_dim > 0 ? o->cluster_dim : 100, o->seed, err);
        if (st == LM_OK)
            logf_(&T->log, "clusters: %zu words from %zu MB of text (%.1fs)", T->m->clusters.n,
                  text.len >> 20, now_s() - t0);
    }
    lm_buf_free(&text);
    if (st == LM_OK && o->cluster_cache)
        st = ner_clusters_save(T->m, o->cluster_cache, err);
    return st;
}

static int default_threads(const lm_ner_train_opts *o)
{
    if (o->threads > 0)
        return o->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

static void trainer_free(trainer *T)
{
    for (int c = 0; c < C_N; c++) {
        tcorpus_free(&T->corp[c]);
        free(T->fold_of[c]);
    }
    for (int i = 0; i < NER_MAX_TAGGERS; i++) {
        fstore_free(&T->fs[i]);
        for (int c = 0; c < 8; c++) {
            utags *u = &T->up[i][c];
            if (!u->doc)
                continue;
            for (size_t d = 0; d < u->n; d++)
                free(u->doc[d]);
            free(u->doc);
        }
    }
    pthread_mutex_destroy(&T->mu);
    pthread_cond_destroy(&T->cv);
    pthread_mutex_destroy(&T->log.mu);
}

/* Writes the out-of-fold tags of the last tagger of the BC5CDR training
 * corpus as PubTator mentions, after the document-level pass the tagger's
 * output goes through (see jackknife_out). */
static lm_status write_jackknife(const trainer *T, const char *path, lm_error *err)
{
    int ti = -1;
    for (int i = 0; i < T->n_ts; i++)
        if (T->ts[i].corpus == C_CDR && T->need_jk[i])
            ti = i;
    if (ti < 0)
        return lm_error_set(err, LM_ERR_USAGE,
                            "ner train: the recipe has no jackknifed BC5CDR tagger");
    const ner_tagger *tg = &T->m->tg[ti];
    const tcorpus *c = &T->corp[C_CDR];
    const utags *u = &T->up[ti][C_CDR];
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", tmp, strerror(errno));
    lm_utf8_map um;
    lm_utf8_map_init(&um);
    lm_ner_scratch *sc = NULL;
    lm_ner_mentions ms;
    lm_ner_mentions_init(&ms);
    lm_pt_doc pd;
    lm_status st = lm_ner_scratch_init(&sc, err);
    for (size_t d = 0; d < c->n && st == LM_OK; d++) {
        const tdoc *doc = &c->d[d];
        ms.n = 0;
        for (uint32_t i = 0; st == LM_OK && i < doc->n_tok;) {
            int tag = u->doc[d][i], pos = ner_tag_pos(tag);
            if (pos != 0 && pos != 3) {
                i++;
                continue;
            }
            uint32_t e = i + 1;
            if (pos == 0) {
                while (e < doc->n_tok && ner_tag_pos(u->doc[d][e]) == 1)
                    e++;
                if (e < doc->n_tok && ner_tag_pos(u->doc[d][e]) == 2)
                    e++;
            }
            if (ms.n == ms.cap) {
                size_t cap = ms.cap ? 2 * ms.cap : 32;
                lm_ner_mention *v = realloc(ms.v, cap * sizeof *v);
                if (!v) {
                    st = lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
                    break;
                }
                ms.v = v;
                ms.cap = cap;
            }
            ms.v[ms.n++] = (lm_ner_mention){doc->tok[i].start, doc->tok[e - 1].end,
                                            tg->types[ner_tag_type(tag)], 1.0f};
            i = e;
        }
        if (st == LM_OK)
            st = ner_doc_prepare(T->m, sc, doc->text, doc->len, doc->tok, doc->n_tok, doc->sent,
                                 doc->n_sent, err);
        if (st == LM_OK)
            st = ner_doc_post(T->m, sc, &ms, err);
        if (st == LM_OK)
            st = lm_utf8_map_build(&um, doc->text, doc->len, err);
        lm_pt_mention *pm = st == LM_OK ? calloc(ms.n + 1, sizeof *pm) : NULL;
        if (st == LM_OK && !pm)
            st = lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
        size_t n = 0;
        for (size_t k = 0; st == LM_OK && k < ms.n; k++) {
            const lm_ner_mention *x = &ms.v[k];
            if (x->type != LM_ENT_CHEMICAL && x->type != LM_ENT_DISEASE)
                continue;
            pm[n].start = (int)lm_utf8_map_to_cp(&um, x->start);
            pm[n].end = (int)lm_utf8_map_to_cp(&um, x->end);
            pm[n].text = dupn(doc->text + x->start, x->end - x->start);
            pm[n].type = (char *)(x->type == LM_ENT_CHEMICAL ? "Chemical" : "Disease");
            pm[n].id = (char *)"-1";
            if (!pm[n++].text)
                st = lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
        }
        if (st == LM_OK) {
            memset(&pd, 0, sizeof pd);
            pd.pmid = doc->id;
            pd.title = doc->text;
            pd.abstract = (char *)"";
            pd.mentions = pm;
            pd.n_mentions = n;
            st = lm_pubtator_write(f, &pd, err);
        }
        for (size_t k = 0; pm && k < n; k++)
            free(pm[k].text);
        free(pm);
    }
    lm_ner_mentions_free(&ms);
    lm_ner_scratch_free(sc);
    lm_utf8_map_free(&um);
    if (fclose(f) != 0 && st == LM_OK)
        st = lm_error_set(err, LM_ERR_IO, "%s: %s", tmp, strerror(errno));
    if (st == LM_OK && rename(tmp, path) != 0)
        st = lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    if (st != LM_OK)
        remove(tmp);
    return st;
}

/* Ends a training: the model goes to *out when st is LM_OK; the trainer
 * (and the model otherwise) is freed.  Returns st. */
static lm_status trainer_done(trainer *T, lm_status st, lm_ner_model **out)
{
    if (st == LM_OK) {
        *out = T->m;
        T->m = NULL;
    }
    lm_ner_model_free(T->m);
    trainer_free(T);
    free(T);
    return st;
}

/* A trainer with its locks, for the corpora of a recipe or of memory;
 * NULL when memory runs out. */
static trainer *trainer_new(const lm_ner_train_opts *opts)
{
    trainer *T = calloc(1, sizeof *T);
    if (!T)
        return NULL;
    T->o = opts;
    T->log.o = opts;
    pthread_mutex_init(&T->log.mu, NULL);
    pthread_mutex_init(&T->mu, NULL);
    pthread_cond_init(&T->cv, NULL);
    return T;
}

lm_status lm_ner_train_recipe(const lm_ner_train_opts *opts, lm_ner_model **out,
                              lm_ner_report *report, lm_error *err)
{
    *out = NULL;
    if (!opts->data_dir)
        return lm_error_set(err, LM_ERR_USAGE, "ner train: no corpus directory given");
    double t_start = now_s();
    trainer *T = trainer_new(opts);
    if (!T)
        return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    T->epochs = opts->epochs > 0 ? opts->epochs : 12;
    T->folds = opts->folds > 1 ? (opts->folds > 16 ? 16 : opts->folds) : 5;
    int stages = opts->stages > 0 ? opts->stages : 2;
    devspec dv[8];
    int n_dv = 0;
    uint32_t need = 0;
    if (recipe_build(opts->recipe ? opts->recipe : "main", stages, T->ts, &T->n_ts, dv, &n_dv,
                     &need)) {
        trainer_free(T);
        free(T);
        return lm_error_set(err, LM_ERR_USAGE, "ner train: unknown recipe '%s' (main, ncbi)",
                            opts->recipe);
    }
    lm_status st = ner_model_new(&T->m, err);
    if (st == LM_OK) {
        T->m->feat_flags = NER_F_DEFAULT & ~opts->feat_off;
        if (stages < 2)
            T->m->feat_flags &= ~(uint32_t)(NER_F_DOC | NER_F_ABBR);
        st = load_corpora(T, need, err);
    }
    if (st == LM_OK) {
        for (int c = 0; c < C_N; c++)
            if (T->corp[c].n)
                logf_(&T->log, "corpus %s: %zu docs", T->corp[c].name, T->corp[c].n);
        for (int c = 0; c < C_N && st == LM_OK; c++) {
            size_t n = T->corp[c].n;
            T->fold_of[c] = malloc(n + 1);
            if (!T->fold_of[c]) {
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                break;
            }
            uint64_t rs = 0x1234567ULL + opts->seed + (uint64_t)c;
            for (size_t d = 0; d < n; d++)
                T->fold_of[c][d] = (uint8_t)(rng_next(&rs) % (uint64_t)T->folds);
        }
        if (st == LM_OK)
            st = build_lexicons(T, err);
    }
    if (st == LM_OK)
        st = build_clusters(T, err);
    for (int i = 0; i < T->n_ts && st == LM_OK; i++) {
        const tspec *sp = &T->ts[i];
        int bits = opts->bits > 0 ? opts->bits : 18;
        st = ner_tagger_add(T->m, sp->name, sp->types, sp->n_types, bits, 16, err);
        if (st == LM_OK) {
            ner_tagger *t = &T->m->tg[i];
            t->lex_mask = sp->lex_mask;
            t->n_up = sp->n_up;
            for (int k = 0; k < sp->n_up; k++)
                t->up[k] = sp->up[k];
            t->emit = sp->emit;
        }
    }
    if (st == LM_OK) {
        if (opts->perceptron)
            logf_(&T->log, "training %d taggers (perceptron, %d epochs), %d folds, %d threads",
                  T->n_ts, T->epochs, T->folds, default_threads(opts));
        else
            logf_(&T->log, "training %d taggers (CRF, %d L-BFGS iterations), %d folds, %d threads",
                  T->n_ts, opts->crf_iter > 0 ? opts->crf_iter : 100, T->folds,
                  default_threads(opts));
        st = plan_and_run(T, default_threads(opts), err);
    }

    for (int i = 0; i < T->n_ts && st == LM_OK; i++)
        st = ner_tagger_quantize(&T->m->tg[i], err);
    if (st == LM_OK)
        st = ner_model_pack(T->m, err);
    if (st == LM_OK && opts->jackknife_out)
        st = write_jackknife(T, opts->jackknife_out, err);
    if (st == LM_OK && report) {
        memset(report, 0, sizeof *report);
        if (!opts->final) {
            for (int i = 0; i < n_dv && st == LM_OK; i++) {
                st = eval_corpus(T->m, &T->corp[dv[i].corpus], dv[i].type, &report->s[i], err);
                report->n = i + 1;
            }
        }
        report->seconds = now_s() - t_start;
    }
    return trainer_done(T, st, out);
}

/* ---- training from memory ---- */

lm_status lm_ner_train_docs(const lm_ner_train_doc *docs, size_t n_docs,
                            const lm_ner_train_opts *opts, lm_ner_model **out, lm_error *err)
{
    *out = NULL;
    trainer *T = trainer_new(opts);
    if (!T)
        return lm_error_set(err, LM_ERR_NOMEM, "ner train: out of memory");
    T->epochs = opts->epochs > 0 ? opts->epochs : 10;
    T->folds = 2;
    lm_status st = ner_model_new(&T->m, err);
    lm_spans tk, sn;
    lm_spans_init(&tk);
    lm_spans_init(&sn);
    unsigned types = 0;
    tcorpus *c = &T->corp[C_CDR];
    snprintf(c->name, sizeof c->name, "memory");
    for (size_t i = 0; i < n_docs && st == LM_OK; i++) {
        tdoc *d;
        char id[32];
        snprintf(id, sizeof id, "%zu", i);
        st = corpus_add_text(c, id, docs[i].text, docs[i].len, &tk, &sn, &d, err);
        for (size_t k = 0; k < docs[i].n_gold && st == LM_OK; k++) {
            const lm_ner_gold *g = &docs[i].gold[k];
            if (g->type <= LM_ENT_NONE || g->type >= LM_ENT_COUNT)
                continue;
            types |= 1u << g->type;
            st = doc_add_gold(d, g->start, g->end, g->type, err);
        }
    }
    lm_spans_free(&tk);
    lm_spans_free(&sn);
    if (st == LM_OK) {
        T->m->feat_flags = (NER_F_DEFAULT & ~opts->feat_off)
                           & ~(uint32_t)(NER_F_CLUSTER | NER_F_GAZ | NER_F_DOC | NER_F_ABBR
                                         | NER_F_POST);
        lm_ent_type ty[NER_MAX_TYPES];
        int nt = 0;
        for (int t = LM_ENT_CHEMICAL; t < LM_ENT_COUNT; t++)
            if (types & (1u << t))
                ty[nt++] = (lm_ent_type)t;
        if (!nt)
            st = lm_error_set(err, LM_ERR_USAGE, "ner train: no gold mentions");
        else {
            T->ts[0] = (tspec){"memory", C_CDR, {0}, nt, 0, {0}, 0, 1};
            T->n_ts = 1;
            st = ner_tagger_add(T->m, "memory", ty, nt, opts->bits > 0 ? opts->bits : 18, 12,
                                err);
        }
    }
    if (st == LM_OK) {
        T->m->tg[0].emit = 1;
        st = plan_and_run(T, 1, err);
    }
    if (st == LM_OK)
        st = ner_tagger_quantize(&T->m->tg[0], err);
    if (st == LM_OK)
        st = ner_model_pack(T->m, err);
    return trainer_done(T, st, out);
}
