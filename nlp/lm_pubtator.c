/*
 * PubTator reader and writer.
 *
 * The reader is a line-driven state machine: a `PMID|t|` line opens a
 * document, `PMID|a|` completes its text, tab-separated lines add mentions
 * (second column numeric) or relations (anything else), and a blank line or
 * end of file closes it.  It is strict where a mistake would silently shift
 * data (wrong PMID, non-numeric or out-of-range offsets) and lenient where
 * real corpora are sloppy: CRLF line ends, repeated or missing blank lines,
 * extra trailing columns, and trailing spaces in a mention's text column
 * that its span does not cover (NCBI-disease PMID 10923035).  Offsets are
 * stored exactly as written (code points); lm_utf8 converts them.
 *
 * A corpus written as PubMed XML comes back from the PubMed parser with its
 * whitespace runs collapsed, so what is found in that text is re-pointed
 * at the document's own text (lm_pubtator_map_offsets) by aligning the two
 * code point by code point: they differ only in collapsible characters.
 */
#include "lm_pubtator.h"

#include "../util/lm_buf.h"
#include "../util/lm_utf8.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void lm_pt_doc_init(lm_pt_doc *d)
{
    memset(d, 0, sizeof *d);
}

void lm_pt_doc_free(lm_pt_doc *d)
{
    free(d->pmid);
    free(d->title);
    free(d->abstract);
    free(d->text);
    for (size_t i = 0; i < d->n_mentions; i++) {
        free(d->mentions[i].text);
        free(d->mentions[i].type);
        free(d->mentions[i].id);
    }
    free(d->mentions);
    for (size_t i = 0; i < d->n_relations; i++) {
        free(d->relations[i].type);
        free(d->relations[i].id1);
        free(d->relations[i].id2);
    }
    free(d->relations);
    lm_pt_doc_init(d);
}

/* Parses a whole field as a non-negative int; 0 on failure. */
static int parse_offset(const char *s, size_t n, int *out)
{
    if (n == 0 || n > 10)
        return 0;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v > INT_MAX)
        return 0;
    *out = (int)v;
    return 1;
}

static int is_number(const char *s, size_t n)
{
    int v;
    if (n > 0 && s[0] == '-')
        return n > 1 && parse_offset(s + 1, n - 1, &v);
    return parse_offset(s, n, &v);
}

/* ---- reader ---- */

#define MAX_FIELDS 8

typedef struct field {
    const char *s;
    size_t n;
} field;

typedef struct reader {
    const char *name;
    size_t lineno;
    lm_pt_doc doc;
    int open;             /* a document is in progress */
    size_t cap_mentions;
    size_t cap_relations;
    long text_cps;        /* code points in doc.text, -1 until needed */
} reader;

typedef lm_status (*take_cb)(void *ctx, lm_pt_doc *doc, lm_error *err);

static lm_status nomem(reader *r, lm_error *err)
{
    return lm_error_set(err, LM_ERR_NOMEM, "%s:%zu: out of memory", r->name, r->lineno);
}

static lm_status set_text(reader *r, lm_error *err)
{
    const char *t = r->doc.title ? r->doc.title : "";
    const char *a = r->doc.abstract ? r->doc.abstract : "";
    size_t tn = strlen(t), an = strlen(a);
    char *text = malloc(tn + an + 2);
    if (!text)
        return nomem(r, err);
    memcpy(text, t, tn);
    text[tn] = ' ';
    memcpy(text + tn + 1, a, an + 1);
    free(r->doc.text);
    r->doc.text = text;
    r->text_cps = -1;
    return LM_OK;
}

static lm_status text_line(reader *r, const char *line, size_t len, size_t bar,
                           lm_error *err)
{
    char kind = line[bar + 1];
    const char *body = line + bar + 3;
    size_t body_n = len - bar - 3;
    if (kind == 't') {
        if (r->open)
            return lm_error_set(err, LM_ERR_PARSE,
                                "%s:%zu: title line inside document %s (missing blank line?)",
                                r->name, r->lineno, r->doc.pmid);
        if (bar == 0)
            return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: empty PMID", r->name, r->lineno);
        r->doc.pmid = lm_strndup(line, bar);
        r->doc.title = lm_strndup(body, body_n);
        r->doc.abstract = lm_strndup("", 0);
        r->open = 1;
        if (!r->doc.pmid || !r->doc.title || !r->doc.abstract)
            return nomem(r, err);
        return set_text(r, err);
    }
    if (!r->open)
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: abstract line before title line",
                            r->name, r->lineno);
    if (strlen(r->doc.pmid) != bar || memcmp(r->doc.pmid, line, bar) != 0)
        return lm_error_set(err, LM_ERR_PARSE,
                            "%s:%zu: abstract line for PMID %.*s inside document %s",
                            r->name, r->lineno, (int)(bar > 40 ? 40 : bar), line, r->doc.pmid);
    if (r->doc.n_mentions || r->doc.n_relations)
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: abstract line after annotations",
                            r->name, r->lineno);
    char *abs = lm_strndup(body, body_n);
    if (!abs)
        return nomem(r, err);
    free(r->doc.abstract);
    r->doc.abstract = abs;
    return set_text(r, err);
}

static lm_status mention_line(reader *r, const field *f, size_t nf, lm_error *err)
{
    int start, end;
    if (nf < 5)
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: mention line has %zu columns, want >= 5",
                            r->name, r->lineno, nf);
    if (!parse_offset(f[1].s, f[1].n, &start))
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: bad mention start \"%.*s\"",
                            r->name, r->lineno, (int)(f[1].n > 20 ? 20 : f[1].n), f[1].s);
    if (!parse_offset(f[2].s, f[2].n, &end))
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: bad mention end \"%.*s\"",
                            r->name, r->lineno, (int)(f[2].n > 20 ? 20 : f[2].n), f[2].s);
    if (end < start)
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: mention end %d before start %d",
                            r->name, r->lineno, end, start);
    if (r->text_cps < 0)
        r->text_cps = (long)lm_utf8_count(r->doc.text, strlen(r->doc.text));
    if (end > r->text_cps)
        return lm_error_set(err, LM_ERR_PARSE,
                            "%s:%zu: mention end %d beyond document text (%ld characters)",
                            r->name, r->lineno, end, r->text_cps);
    /* Tolerate trailing blanks in the text column when dropping them makes
     * it fit the span; any other mismatch is kept as written. */
    size_t tn = f[3].n;
    if (lm_utf8_count(f[3].s, tn) != (size_t)(end - start)) {
        size_t k = tn;
        while (k > 0 && (f[3].s[k - 1] == ' ' || f[3].s[k - 1] == '\t'))
            k--;
        if (lm_utf8_count(f[3].s, k) == (size_t)(end - start))
            tn = k;
    }
    if (r->doc.n_mentions == r->cap_mentions) {
        size_t cap = r->cap_mentions ? 2 * r->cap_mentions : 16;
        lm_pt_mention *m = realloc(r->doc.mentions, cap * sizeof *m);
        if (!m)
            return nomem(r, err);
        r->doc.mentions = m;
        r->cap_mentions = cap;
    }
    lm_pt_mention *m = &r->doc.mentions[r->doc.n_mentions];
    m->start = start;
    m->end = end;
    m->text = lm_strndup(f[3].s, tn);
    m->type = lm_strndup(f[4].s, f[4].n);
    m->id = nf >= 6 ? lm_strndup(f[5].s, f[5].n) : NULL;
    r->doc.n_mentions++;   /* counted even on failure so doc_free releases it */
    if (!m->text || !m->type || (nf >= 6 && !m->id))
        return nomem(r, err);
    return LM_OK;
}

static lm_status relation_line(reader *r, const field *f, size_t nf, lm_error *err)
{
    if (nf < 4)
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: relation line has %zu columns, want >= 4",
                            r->name, r->lineno, nf);
    if (r->doc.n_relations == r->cap_relations) {
        size_t cap = r->cap_relations ? 2 * r->cap_relations : 8;
        lm_pt_relation *v = realloc(r->doc.relations, cap * sizeof *v);
        if (!v)
            return nomem(r, err);
        r->doc.relations = v;
        r->cap_relations = cap;
    }
    lm_pt_relation *rel = &r->doc.relations[r->doc.n_relations];
    rel->type = lm_strndup(f[1].s, f[1].n);
    rel->id1 = lm_strndup(f[2].s, f[2].n);
    rel->id2 = lm_strndup(f[3].s, f[3].n);
    r->doc.n_relations++;
    if (!rel->type || !rel->id1 || !rel->id2)
        return nomem(r, err);
    return LM_OK;
}

static lm_status tab_line(reader *r, const char *line, size_t len, lm_error *err)
{
    field f[MAX_FIELDS];
    size_t nf = 0;
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && line[j] != '\t')
            j++;
        if (nf < MAX_FIELDS) {
            f[nf].s = line + i;
            f[nf].n = j - i;
            nf++;
        }
        if (j >= len)
            break;
        i = j + 1;
    }
    if (!r->open)
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: annotation line outside a document",
                            r->name, r->lineno);
    if (strlen(r->doc.pmid) != f[0].n || memcmp(r->doc.pmid, f[0].s, f[0].n) != 0)
        return lm_error_set(err, LM_ERR_PARSE,
                            "%s:%zu: annotation for PMID %.*s inside document %s",
                            r->name, r->lineno, (int)(f[0].n > 40 ? 40 : f[0].n), f[0].s,
                            r->doc.pmid);
    if (nf < 2)
        return lm_error_set(err, LM_ERR_PARSE, "%s:%zu: annotation line has 1 column",
                            r->name, r->lineno);
    /* A second column that looks numeric makes a mention: then a bad third
     * column is an error rather than a strange relation. */
    if (is_number(f[1].s, f[1].n))
        return mention_line(r, f, nf, err);
    if (nf >= 5 && f[1].n > 0
        && (f[1].s[0] == '-' || f[1].s[0] == '+' || (f[1].s[0] >= '0' && f[1].s[0] <= '9')))
        return mention_line(r, f, nf, err);
    if (nf >= 6 && is_number(f[2].s, f[2].n) && !is_number(f[3].s, f[3].n))
        return mention_line(r, f, nf, err);   /* start column garbled */
    return relation_line(r, f, nf, err);
}

static lm_status close_doc(reader *r, take_cb cb, void *ctx, lm_error *err)
{
    if (!r->open)
        return LM_OK;
    lm_status st = cb(ctx, &r->doc, err);
    lm_pt_doc_free(&r->doc);
    r->open = 0;
    r->cap_mentions = r->cap_relations = 0;
    r->text_cps = -1;
    return st;
}

static lm_status read_lines(FILE *f, const char *name, take_cb cb, void *ctx, lm_error *err)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.name = name ? name : "(pubtator)";
    r.text_cps = -1;
    lm_pt_doc_init(&r.doc);
    char *line = NULL;
    size_t line_cap = 0;
    lm_status st = LM_OK;
    for (;;) {
        errno = 0;
        ssize_t got = getline(&line, &line_cap, f);
        if (got < 0) {
            if (ferror(f))
                st = lm_error_set(err, LM_ERR_IO, "%s:%zu: read error: %s", r.name,
                                  r.lineno + 1, strerror(errno ? errno : EIO));
            else if (!feof(f))
                st = lm_error_set(err, LM_ERR_NOMEM, "%s:%zu: out of memory", r.name,
                                  r.lineno + 1);
            break;
        }
        r.lineno++;
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (memchr(line, '\0', len)) {
            st = lm_error_set(err, LM_ERR_PARSE, "%s:%zu: NUL byte in line", r.name, r.lineno);
            break;
        }
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len) {
            st = close_doc(&r, cb, ctx, err);
            if (st != LM_OK)
                break;
            continue;
        }
        /* `PMID|t|` / `PMID|a|`: the first '|' comes before any tab */
        size_t bar = 0;
        while (bar < len && line[bar] != '|' && line[bar] != '\t')
            bar++;
        if (bar + 2 < len && line[bar] == '|' && (line[bar + 1] == 't' || line[bar + 1] == 'a')
            && line[bar + 2] == '|')
            st = text_line(&r, line, len, bar, err);
        else if (bar + 2 == len && line[bar] == '|' && (line[bar + 1] == 't' || line[bar + 1] == 'a'))
            st = lm_error_set(err, LM_ERR_PARSE, "%s:%zu: truncated text line", r.name, r.lineno);
        else if (bar < len && line[bar] == '\t')
            st = tab_line(&r, line, len, err);
        else
            st = lm_error_set(err, LM_ERR_PARSE, "%s:%zu: unrecognised line \"%.*s\"", r.name,
                              r.lineno, (int)(len > 40 ? 40 : len), line);
        if (st != LM_OK)
            break;
    }
    if (st == LM_OK)
        st = close_doc(&r, cb, ctx, err);
    free(line);
    lm_pt_doc_free(&r.doc);
    return st;
}

typedef struct const_adapter {
    lm_status (*cb)(void *ctx, const lm_pt_doc *doc, lm_error *err);
    void *ctx;
} const_adapter;

static lm_status call_const(void *ctx, lm_pt_doc *doc, lm_error *err)
{
    const_adapter *a = ctx;
    return a->cb(a->ctx, doc, err);
}

lm_status lm_pubtator_read(FILE *f, const char *name,
                           lm_status (*cb)(void *ctx, const lm_pt_doc *doc, lm_error *err),
                           void *ctx, lm_error *err)
{
    if (!f || !cb)
        return lm_error_set(err, LM_ERR_USAGE, "lm_pubtator_read: NULL argument");
    const_adapter a = {cb, ctx};
    return read_lines(f, name, call_const, &a, err);
}

/* ---- loader ---- */

typedef struct loader {
    lm_pt_corpus *c;
    size_t cap;
} loader;

static lm_status take_doc(void *ctx, lm_pt_doc *doc, lm_error *err)
{
    loader *l = ctx;
    if (l->c->n_docs == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        lm_pt_doc *v = realloc(l->c->docs, cap * sizeof *v);
        if (!v)
            return lm_error_set(err, LM_ERR_NOMEM, "pubtator load: out of memory");
        l->c->docs = v;
        l->cap = cap;
    }
    /* steal the document; the reader frees the emptied shell */
    l->c->docs[l->c->n_docs++] = *doc;
    lm_pt_doc_init(doc);
    return LM_OK;
}

lm_status lm_pubtator_load(const char *path, lm_pt_corpus *out, lm_error *err)
{
    out->docs = NULL;
    out->n_docs = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    loader l = {out, 0};
    lm_status st = read_lines(f, path, take_doc, &l, err);
    fclose(f);
    if (st != LM_OK)
        lm_pt_corpus_free(out);
    return st;
}

void lm_pt_corpus_free(lm_pt_corpus *c)
{
    for (size_t i = 0; i < c->n_docs; i++)
        lm_pt_doc_free(&c->docs[i]);
    free(c->docs);
    c->docs = NULL;
    c->n_docs = 0;
}

const lm_pt_doc *lm_pt_corpus_find(const lm_pt_corpus *c, const char *pmid)
{
    if (!c || !pmid)
        return NULL;
    for (size_t i = 0; i < c->n_docs; i++)
        if (c->docs[i].pmid && strcmp(c->docs[i].pmid, pmid) == 0)
            return &c->docs[i];
    return NULL;
}

/* ---- writer ---- */

/* A field must not break the line structure it is written into. */
static int field_ok(const char *s, int allow_tab)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || (!allow_tab && *s == '\t'))
            return 0;
    return 1;
}

lm_status lm_pubtator_write(FILE *f, const lm_pt_doc *doc, lm_error *err)
{
    const char *pmid = doc->pmid ? doc->pmid : "";
    const char *title = doc->title ? doc->title : "";
    const char *abs = doc->abstract ? doc->abstract : "";
    if (!pmid[0] || strpbrk(pmid, "|\t\r\n "))
        return lm_error_set(err, LM_ERR_USAGE, "pubtator write: invalid PMID \"%s\"", pmid);
    if (!field_ok(title, 1) || !field_ok(abs, 1))
        return lm_error_set(err, LM_ERR_USAGE, "pubtator write: %s: newline in title/abstract",
                            pmid);
    fprintf(f, "%s|t|%s\n%s|a|%s\n", pmid, title, pmid, abs);
    for (size_t i = 0; i < doc->n_mentions; i++) {
        const lm_pt_mention *m = &doc->mentions[i];
        const char *text = m->text ? m->text : "";
        const char *type = m->type ? m->type : "";
        if (!field_ok(text, 0) || !field_ok(type, 0) || (m->id && !field_ok(m->id, 0)))
            return lm_error_set(err, LM_ERR_USAGE,
                                "pubtator write: %s: tab or newline in mention %zu", pmid, i);
        if (m->start < 0 || m->end < m->start)
            return lm_error_set(err, LM_ERR_USAGE,
                                "pubtator write: %s: bad mention span %d-%d", pmid, m->start,
                                m->end);
        fprintf(f, "%s\t%d\t%d\t%s\t%s", pmid, m->start, m->end, text, type);
        if (m->id)
            fprintf(f, "\t%s", m->id);
        fputc('\n', f);
    }
    for (size_t i = 0; i < doc->n_relations; i++) {
        const lm_pt_relation *r = &doc->relations[i];
        const char *type = r->type ? r->type : "";
        const char *id1 = r->id1 ? r->id1 : "";
        const char *id2 = r->id2 ? r->id2 : "";
        if (!field_ok(type, 0) || !field_ok(id1, 0) || !field_ok(id2, 0) || !type[0]
            || is_number(type, strlen(type)))
            return lm_error_set(err, LM_ERR_USAGE, "pubtator write: %s: bad relation %zu", pmid,
                                i);
        fprintf(f, "%s\t%s\t%s\t%s\n", pmid, type, id1, id2);
    }
    fputc('\n', f);
    if (ferror(f))
        return lm_error_set(err, LM_ERR_IO, "pubtator write: %s: write failed", pmid);
    return LM_OK;
}

/* XML character data: the markup characters escaped, and the control
 * characters XML 1.0 forbids written as spaces (one byte for one, so
 * offsets hold). */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            fputs("&amp;", f);
        else if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            fputc(' ', f);
        else
            fputc(c, f);
    }
}

lm_status lm_pubtator_write_pubmed(FILE *f, const lm_pt_corpus *c, lm_error *err)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PubmedArticleSet>\n", f);
    for (size_t d = 0; d < c->n_docs; d++) {
        const lm_pt_doc *doc = &c->docs[d];
        const char *pmid = doc->pmid ? doc->pmid : "";
        if (!pmid[0] || !is_number(pmid, strlen(pmid)))
            return lm_error_set(err, LM_ERR_USAGE, "PubMed XML: PMID \"%s\" is not a number",
                                pmid);
        fprintf(f, "<PubmedArticle><MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\">"
                   "<PMID Version=\"1\">%s</PMID><Article><ArticleTitle>",
                pmid);
        xml_text(f, doc->title ? doc->title : "");
        fputs("</ArticleTitle>", f);
        if (doc->abstract && doc->abstract[0]) {
            fputs("<Abstract><AbstractText>", f);
            xml_text(f, doc->abstract);
            fputs("</AbstractText></Abstract>", f);
        }
        fputs("</Article></MedlineCitation></PubmedArticle>\n", f);
    }
    fputs("</PubmedArticleSet>\n", f);
    if (ferror(f))
        return lm_error_set(err, LM_ERR_IO, "PubMed XML: write failed");
    return LM_OK;
}

/* A code point the PubMed parser's whitespace normalisation can remove or
 * turn into a space: C0 controls and the space, DEL, C1 controls and the
 * no-break space. */
static int collapsible(uint32_t cp)
{
    return cp <= 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0xa0);
}

/* The code point at s[i..n) and its length (an invalid byte is one code
 * point of length 1, as lm_utf8_count counts it). */
static size_t next_cp(const char *s, size_t i, size_t n, uint32_t *cp)
{
    size_t len = lm_utf8_decode(s + i, n - i, cp);
    return len ? len : 1;
}

/* at[k]: the code-point offset in text of read_back's code point k, and
 * at[n] the length of text in code points.  Every code point of read_back
 * is matched, in order, to an equal one of text (or a space to any
 * collapsible one); code points of text in between must be collapsible. */
static lm_status align_read_back(const char *text, const char *read_back, uint32_t *at,
                                 lm_error *err)
{
    size_t tn = strlen(text), rn = strlen(read_back);
    size_t i = 0, j = 0, ti = 0, k = 0;
    while (j < rn) {
        uint32_t want, got = 0;
        j += next_cp(read_back, j, rn, &want);
        for (;;) {
            if (i >= tn)
                return lm_error_set(err, LM_ERR_FORMAT,
                                    "text read back runs past the document's at character %zu",
                                    k);
            i += next_cp(text, i, tn, &got);
            if (got == want || (want == ' ' && collapsible(got)))
                break;
            if (!collapsible(got))
                return lm_error_set(err, LM_ERR_FORMAT,
                                    "text read back differs from the document's at character "
                                    "%zu",
                                    k);
            ti++;
        }
        at[k++] = (uint32_t)ti++;
    }
    for (uint32_t cp; i < tn; ti++)
        i += next_cp(text, i, tn, &cp);
    at[k] = (uint32_t)ti;
    return LM_OK;
}

lm_status lm_pubtator_map_offsets(const char *text, const char *read_back, lm_pt_mention *m,
                                  size_t n, lm_error *err)
{
    if (strcmp(text, read_back) == 0 || n == 0)
        return LM_OK;
    size_t tn = strlen(text), n_cps = lm_utf8_count(read_back, strlen(read_back));
    if (n_cps >= UINT32_MAX || tn >= UINT32_MAX)
        return lm_error_set(err, LM_ERR_FORMAT, "document text over 4 GiB");
    uint32_t *at = malloc((n_cps + 1) * sizeof *at);
    if (!at)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_status st = align_read_back(text, read_back, at, err);
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        int start = m[i].start, end = m[i].end;
        if (start < 0 || end < start || (size_t)end > n_cps) {
            st = lm_error_set(err, LM_ERR_FORMAT, "mention %d-%d beyond the text read back",
                              start, end);
            break;
        }
        m[i].start = (int)at[start];
        m[i].end = end > start ? (int)at[end - 1] + 1 : m[i].start;
        if (m[i].end - m[i].start == end - start)
            continue;
        /* a collapsed run inside the span: its text as the document has it */
        size_t b0 = lm_utf8_cp_to_byte(text, tn, (size_t)m[i].start);
        size_t b1 = lm_utf8_cp_to_byte(text, tn, (size_t)m[i].end);
        char *span = lm_strndup(text + b0, b1 - b0);
        if (!span) {
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            break;
        }
        free(m[i].text);
        m[i].text = span;
    }
    free(at);
    return st;
}
