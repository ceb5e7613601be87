/*
 * Lexicon importers: NLM MeSH XML, NCBI gene_info, DrugBank vocabulary CSV
 * and annotated PubTator corpora, all feeding an lm_lexicon_builder.
 *
 * MeSH files are hundreds of megabytes, so they are streamed with libxml2's
 * xmlTextReader and each record is handled as soon as it closes.  Elements
 * are recognised by their path below the record (DescriptorRecord/
 * DescriptorName/String and not, say, the DescriptorName/String inside a
 * PharmacologicalAction reference), which is what keeps cross-references
 * from leaking foreign names into a record.  libxml2 errors go to a handler
 * that keeps the first message, so nothing is printed.
 *
 * gene_info is read through zlib's gzread interface, which also reads
 * uncompressed files; the DrugBank CSV through a small RFC 4180 state
 * machine (quoted fields may hold commas, doubled quotes and newlines).
 */
#include "lm_lexicon.h"

#include "../util/lm_buf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/xmlreader.h>
#include <zlib.h>

static lm_status nomem(lm_error *err)
{
    return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
}

/* ---- a small list of owned strings ---- */

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static void strlist_clear(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

static void strlist_free(strlist *l)
{
    strlist_clear(l);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int strlist_add(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (!p)
        return -1;
    memcpy(p, s, n + 1);
    l->v[l->n++] = p;
    return 0;
}

/* ---- MeSH ---- */

typedef struct mesh_ctx {
    lm_lexicon_builder *b;
    lm_lexicon_import_stats *stats;
    int depth;
    lm_buf path;          /* element path below the root, '/'-joined */
    size_t path_len[32];  /* path length before each depth's element */
    lm_buf text;
    int kind;             /* 1 descriptor, 2 supplementary, 0 outside */
    lm_buf ui, name;
    strlist terms, trees, headings;
    int scr_class;
    char xml_error[256];
} mesh_ctx;

#if LIBXML_VERSION >= 21200
static void mesh_on_error(void *arg, const xmlError *e)
#else
static void mesh_on_error(void *arg, xmlErrorPtr e)
#endif
{
    mesh_ctx *c = arg;
    if (c->xml_error[0] || !e)
        return;
    snprintf(c->xml_error, sizeof c->xml_error, "line %d: %s", e->line,
             e->message ? e->message : "XML error");
    size_t n = strlen(c->xml_error);
    while (n && (c->xml_error[n - 1] == '\n' || c->xml_error[n - 1] == ' '))
        c->xml_error[--n] = '\0';
}

/* "Diabetes Mellitus, Type 2" -> "Type 2 Diabetes Mellitus" (one comma
 * only: MeSH inverts the head noun this way). */
static int uninvert(const char *s, lm_buf *out)
{
    const char *c = strstr(s, ", ");
    if (!c || strchr(c + 1, ',') || c == s || !c[2])
        return 0;
    lm_buf_reset(out);
    return lm_buf_printf(out, "%s %.*s", c + 2, (int)(c - s), s) == LM_OK;
}

static lm_status mesh_add(mesh_ctx *c, lm_lex_type type, const char *id, const char *name,
                          unsigned flags, double score, lm_error *err)
{
    lm_status st = lm_lexicon_builder_add(c->b, type, id, name, strlen(name), flags, score, 1,
                                          err);
    if (st == LM_OK)
        c->stats->names++;
    lm_buf v;
    lm_buf_init(&v);
    if (st == LM_OK && uninvert(name, &v)) {
        st = lm_lexicon_builder_add(c->b, type, id, lm_buf_cstr(&v), v.len, LM_LEX_SYNONYM,
                                    LM_LEX_SCORE_VARIANT, 1, err);
        if (st == LM_OK)
            c->stats->names++;
    }
    lm_buf_free(&v);
    return st;
}

static lm_status mesh_emit(mesh_ctx *c, lm_error *err)
{
    c->stats->records++;
    unsigned types = 0;
    if (c->kind == 1) {
        for (size_t i = 0; i < c->trees.n; i++) {
            const char *t = c->trees.v[i];
            if (t[0] == 'C' || strncmp(t, "F03", 3) == 0)
                types |= LM_LEX_DISEASE;
            else if (t[0] == 'D')
                types |= LM_LEX_CHEMICAL;
        }
    } else if (c->scr_class == 1 || c->scr_class == 2) {
        types = LM_LEX_CHEMICAL;
    } else if (c->scr_class == 3) {
        types = LM_LEX_DISEASE;
    } else if (c->scr_class == 0) {
        types = LM_LEX_CHEMICAL;
        for (size_t i = 0; i < c->headings.n; i++) {
            lm_buf id;
            lm_buf_init(&id);
            const char *h = c->headings.v[i];
            if (*h == '*')
                h++;
            if (lm_buf_printf(&id, "MESH:%s", h) != LM_OK) {
                lm_buf_free(&id);
                return nomem(err);
            }
            if (lm_lexicon_builder_concept_types(c->b, lm_buf_cstr(&id)) & LM_LEX_DISEASE)
                types = LM_LEX_DISEASE;
            lm_buf_free(&id);
        }
    }
    if (!types || c->ui.len == 0) {
        c->stats->skipped++;
        return LM_OK;
    }
    lm_buf id;
    lm_buf_init(&id);
    if (lm_buf_printf(&id, "MESH:%s", lm_buf_cstr(&c->ui)) != LM_OK)
        return nomem(err);
    lm_status st = LM_OK;
    for (unsigned t = LM_LEX_CHEMICAL; t <= LM_LEX_GENE && st == LM_OK; t <<= 1) {
        if (!(types & t))
            continue;
        if (c->name.len)
            st = mesh_add(c, (lm_lex_type)t, lm_buf_cstr(&id), lm_buf_cstr(&c->name),
                          LM_LEX_PREFERRED, LM_LEX_SCORE_NAME, err);
        for (size_t i = 0; i < c->terms.n && st == LM_OK; i++)
            if (strcmp(c->terms.v[i], lm_buf_cstr(&c->name)) != 0)
                st = mesh_add(c, (lm_lex_type)t, lm_buf_cstr(&id), c->terms.v[i],
                              LM_LEX_SYNONYM, LM_LEX_SCORE_TERM, err);
    }
    lm_buf_free(&id);
    return st;
}

static void mesh_reset_record(mesh_ctx *c)
{
    lm_buf_reset(&c->ui);
    lm_buf_reset(&c->name);
    strlist_clear(&c->terms);
    strlist_clear(&c->trees);
    strlist_clear(&c->headings);
    c->scr_class = 0;
}

static const char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* An element closes: file its text by path. */
static lm_status mesh_end(mesh_ctx *c, lm_error *err)
{
    const char *p = lm_buf_cstr(&c->path);
    const char *t = trim(c->text.data ? c->text.data : (char[]){""});
    int bad = 0;
    if (c->kind == 1) {
        if (strcmp(p, "DescriptorRecord/DescriptorUI") == 0)
            bad = lm_buf_append_str(&c->ui, t) != LM_OK;
        else if (strcmp(p, "DescriptorRecord/DescriptorName/String") == 0)
            bad = lm_buf_append_str(&c->name, t) != LM_OK;
        else if (strcmp(p, "DescriptorRecord/TreeNumberList/TreeNumber") == 0)
            bad = strlist_add(&c->trees, t) != 0;
        else if (strcmp(p, "DescriptorRecord/ConceptList/Concept/TermList/Term/String") == 0)
            bad = strlist_add(&c->terms, t) != 0;
        else if (strcmp(p, "DescriptorRecord") == 0)
            return mesh_emit(c, err);
    } else if (c->kind == 2) {
        if (strcmp(p, "SupplementalRecord/SupplementalRecordUI") == 0)
            bad = lm_buf_append_str(&c->ui, t) != LM_OK;
        else if (strcmp(p, "SupplementalRecord/SupplementalRecordName/String") == 0)
            bad = lm_buf_append_str(&c->name, t) != LM_OK;
        else if (strcmp(p, "SupplementalRecord/ConceptList/Concept/TermList/Term/String") == 0)
            bad = strlist_add(&c->terms, t) != 0;
        else if (strcmp(p, "SupplementalRecord/HeadingMappedToList/HeadingMappedTo/"
                           "DescriptorReferredTo/DescriptorUI") == 0)
            bad = strlist_add(&c->headings, t) != 0;
        else if (strcmp(p, "SupplementalRecord") == 0)
            return mesh_emit(c, err);
    }
    return bad ? nomem(err) : LM_OK;
}

static lm_status mesh_start(mesh_ctx *c, xmlTextReaderPtr r, const char *name, lm_error *err)
{
    if (c->depth == 0) {
        if (strcmp(name, "DescriptorRecordSet") != 0 && strcmp(name, "SupplementalRecordSet") != 0)
            return lm_error_set(err, LM_ERR_FORMAT,
                                "root element <%s>: not a MeSH descriptor or supplementary "
                                "record file",
                                name);
        return LM_OK;
    }
    if (c->depth == 1) {
        mesh_reset_record(c);
        c->kind = strcmp(name, "DescriptorRecord") == 0     ? 1
                  : strcmp(name, "SupplementalRecord") == 0 ? 2
                                                            : 0;
        if (c->kind == 2) {
            xmlChar *cls = xmlTextReaderGetAttribute(r, BAD_CAST "SCRClass");
            if (cls) {
                char *end;
                long v = strtol((const char *)cls, &end, 10);
                c->scr_class = (*end == '\0' && v >= 1 && v <= 9) ? (int)v : 9;
                xmlFree(cls);
            }
        }
    }
    if (c->depth > 1 && lm_buf_append_char(&c->path, '/') != LM_OK)
        return nomem(err);
    if (lm_buf_append_str(&c->path, name) != LM_OK)
        return nomem(err);
    lm_buf_reset(&c->text);
    return LM_OK;
}

lm_status lm_lexicon_import_mesh(lm_lexicon_builder *b, const char *path,
                                 lm_lexicon_import_stats *stats, lm_error *err)
{
    lm_lexicon_import_stats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof *stats);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    fclose(probe);
    mesh_ctx c;
    memset(&c, 0, sizeof c);
    c.b = b;
    c.stats = stats;
    lm_buf_init(&c.path);
    lm_buf_init(&c.text);
    lm_buf_init(&c.ui);
    lm_buf_init(&c.name);
    /* No DTD loading and no network: the DOCTYPE's URL is never fetched. */
    xmlTextReaderPtr r = xmlReaderForFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA);
    if (!r)
        return lm_error_set(err, LM_ERR_IO, "%s: cannot open for XML reading", path);
    xmlTextReaderSetStructuredErrorHandler(r, mesh_on_error, &c);
    lm_status st = LM_OK;
    int rc;
    int saw_root = 0;
    while (st == LM_OK && (rc = xmlTextReaderRead(r)) == 1) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT) {
            const char *name = (const char *)xmlTextReaderConstLocalName(r);
            int depth = xmlTextReaderDepth(r);
            if (depth < 0 || depth >= (int)(sizeof c.path_len / sizeof c.path_len[0]))
                continue;   /* deeper than any element we read */
            c.depth = depth;
            c.path_len[depth] = c.path.len;
            saw_root = 1;
            st = mesh_start(&c, r, name ? name : "", err);
            if (st == LM_OK && xmlTextReaderIsEmptyElement(r)) {
                if (depth > 0)
                    st = mesh_end(&c, err);
                c.path.len = c.path_len[depth];
                if (c.path.data)
                    c.path.data[c.path.len] = '\0';
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            int depth = xmlTextReaderDepth(r);
            if (depth < 0 || depth >= (int)(sizeof c.path_len / sizeof c.path_len[0]))
                continue;
            if (depth > 0)
                st = mesh_end(&c, err);
            c.path.len = c.path_len[depth];
            if (c.path.data)
                c.path.data[c.path.len] = '\0';
            lm_buf_reset(&c.text);
        } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                   type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
            const char *v = (const char *)xmlTextReaderConstValue(r);
            if (v && lm_buf_append_str(&c.text, v) != LM_OK)
                st = nomem(err);
        }
    }
    if (st == LM_OK && (rc < 0 || c.xml_error[0]))
        st = lm_error_set(err, LM_ERR_PARSE, "%s: %s", path,
                          c.xml_error[0] ? c.xml_error : "XML parse error");
    if (st == LM_OK && !saw_root)
        st = lm_error_set(err, LM_ERR_PARSE, "%s: empty XML document", path);
    xmlFreeTextReader(r);
    lm_buf_free(&c.path);
    lm_buf_free(&c.text);
    lm_buf_free(&c.ui);
    lm_buf_free(&c.name);
    strlist_free(&c.terms);
    strlist_free(&c.trees);
    strlist_free(&c.headings);
    return st;
}

/* ---- gene_info ---- */

/* Reads one line (without its newline) from a gz stream; 0 at EOF. */
static int gz_line(gzFile g, lm_buf *line, int *err_nomem)
{
    char chunk[8192];
    lm_buf_reset(line);
    int any = 0;
    while (gzgets(g, chunk, sizeof chunk)) {
        any = 1;
        size_t n = strlen(chunk);
        int done = n && chunk[n - 1] == '\n';
        if (done)
            n--;
        if (lm_buf_append(line, chunk, n) != LM_OK) {
            *err_nomem = 1;
            return 0;
        }
        if (done)
            break;
    }
    if (line->len && line->data[line->len - 1] == '\r')
        line->data[--line->len] = '\0';
    return any;
}

static int is_blank_value(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '-');
}

/* "(-)-bupivacaine" is levobupivacaine, but its normal form drops the sign
 * and would equal bupivacaine's: such synonyms are left out. */
static int optical_prefix(const char *s, size_t n)
{
    static const char *const signs[] = {"(-)", "(+)", "(\xc2\xb1)", "(+/-)", "(+-)", "(-/+)"};
    for (size_t i = 0; i < sizeof signs / sizeof signs[0]; i++) {
        size_t k = strlen(signs[i]);
        if (n > k && memcmp(s, signs[i], k) == 0)
            return 1;
    }
    return 0;
}

/* Adds every |-separated part of s[0..n), except optical isomers' names. */
static lm_status add_parts(lm_lexicon_builder *b, lm_lex_type type, const char *id,
                           const char *s, size_t n, unsigned flags, double score,
                           lm_lexicon_import_stats *stats, lm_error *err)
{
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != '|')
            j++;
        size_t a = i, z = j;
        while (a < z && s[a] == ' ')
            a++;
        while (z > a && s[z - 1] == ' ')
            z--;
        if (!is_blank_value(s + a, z - a) && !optical_prefix(s + a, z - a)) {
            lm_status st = lm_lexicon_builder_add(b, type, id, s + a, z - a, flags, score, 1, err);
            if (st != LM_OK)
                return st;
            stats->names++;
        }
        i = j + 1;
    }
    return LM_OK;
}

lm_status lm_lexicon_import_gene_info(lm_lexicon_builder *b, const char *path, long tax_id,
                                      int with_designations, lm_lexicon_import_stats *stats,
                                      lm_error *err)
{
    lm_lexicon_import_stats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof *stats);
    gzFile g = gzopen(path, "rb");
    if (!g)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path,
                            errno ? strerror(errno) : "cannot open");
    lm_buf line, id;
    lm_buf_init(&line);
    lm_buf_init(&id);
    lm_status st = LM_OK;
    int oom = 0;
    long lineno = 0;
    while (st == LM_OK && gz_line(g, &line, &oom)) {
        lineno++;
        if (line.len == 0 || line.data[0] == '#')
            continue;
        const char *f[16];
        size_t fl[16];
        size_t nf = 0;
        const char *p = line.data, *end = line.data + line.len;
        while (nf < 16) {
            const char *q = memchr(p, '\t', (size_t)(end - p));
            f[nf] = p;
            fl[nf] = q ? (size_t)(q - p) : (size_t)(end - p);
            nf++;
            if (!q)
                break;
            p = q + 1;
        }
        char *e;
        errno = 0;
        long tax = strtol(f[0], &e, 10);
        int gid_ok = fl[1] > 0 && fl[1] < 20;
        for (size_t k = 0; k < fl[1] && gid_ok; k++)
            gid_ok = f[1][k] >= '0' && f[1][k] <= '9';
        if (nf < 9 || errno || e != f[0] + fl[0] || fl[0] == 0 || !gid_ok) {
            st = lm_error_set(err, LM_ERR_PARSE,
                              "%s:%ld: not a gene_info line (want tax_id, GeneID, Symbol, ... "
                              "tab-separated)",
                              path, lineno);
            break;
        }
        stats->records++;
        if (tax_id && tax != tax_id) {
            stats->skipped++;
            continue;
        }
        lm_buf_reset(&id);
        if (lm_buf_printf(&id, "NCBIGene:%.*s", (int)fl[1], f[1]) != LM_OK) {
            st = nomem(err);
            break;
        }
        const char *gid = lm_buf_cstr(&id);
        if (!is_blank_value(f[2], fl[2])) {
            st = lm_lexicon_builder_add(b, LM_LEX_GENE, gid, f[2], fl[2],
                                        LM_LEX_SYMBOL | LM_LEX_PREFERRED, LM_LEX_SCORE_SYMBOL, 1,
                                        err);
            stats->names++;
        }
        if (st == LM_OK && nf > 10 && !is_blank_value(f[10], fl[10]))
            st = add_parts(b, LM_LEX_GENE, gid, f[10], fl[10], LM_LEX_SYMBOL,
                           LM_LEX_SCORE_SYMBOL, stats, err);
        if (st == LM_OK)
            st = add_parts(b, LM_LEX_GENE, gid, f[4], fl[4], LM_LEX_SYNONYM, LM_LEX_SCORE_SYN,
                           stats, err);
        if (st == LM_OK && nf > 11 && !is_blank_value(f[11], fl[11])) {
            st = lm_lexicon_builder_add(b, LM_LEX_GENE, gid, f[11], fl[11], 0,
                                        LM_LEX_SCORE_FULLNAME, 1, err);
            stats->names++;
        }
        if (st == LM_OK && !is_blank_value(f[8], fl[8])) {
            st = lm_lexicon_builder_add(b, LM_LEX_GENE, gid, f[8], fl[8], 0,
                                        LM_LEX_SCORE_FULLNAME, 1, err);
            stats->names++;
        }
        if (st == LM_OK && with_designations && nf > 13)
            st = add_parts(b, LM_LEX_GENE, gid, f[13], fl[13], LM_LEX_SYNONYM,
                           LM_LEX_SCORE_SYN, stats, err);
    }
    if (st == LM_OK && oom)
        st = nomem(err);
    if (st == LM_OK) {
        int zerr;
        const char *msg = gzerror(g, &zerr);
        if (zerr != Z_OK && zerr != Z_STREAM_END)
            st = lm_error_set(err, zerr == Z_ERRNO ? LM_ERR_IO : LM_ERR_PARSE, "%s: %s", path,
                              zerr == Z_ERRNO ? strerror(errno) : msg);
    }
    gzclose(g);
    lm_buf_free(&line);
    lm_buf_free(&id);
    return st;
}

/* ---- DrugBank CSV ---- */

typedef struct csv_row {
    lm_buf *f;
    size_t n, cap;
} csv_row;

static void csv_row_free(csv_row *r)
{
    for (size_t i = 0; i < r->cap; i++)
        lm_buf_free(&r->f[i]);
    free(r->f);
    memset(r, 0, sizeof *r);
}

static lm_buf *csv_next_field(csv_row *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        lm_buf *v = realloc(r->f, cap * sizeof *v);
        if (!v)
            return NULL;
        for (size_t i = r->cap; i < cap; i++)
            lm_buf_init(&v[i]);
        r->f = v;
        r->cap = cap;
    }
    lm_buf_reset(&r->f[r->n]);
    return &r->f[r->n++];
}

/* Reads one RFC 4180 record.  Returns 1 with a record, 0 at EOF, -1 on
 * error (status in *st, message in err).  *line counts physical lines. */
static int csv_read(FILE *f, const char *name, csv_row *row, long *line, lm_status *st,
                    lm_error *err)
{
    row->n = 0;
    int c = getc(f);
    if (c == EOF)
        return 0;
    long start_line = *line + 1;
    lm_buf *fld = csv_next_field(row);
    if (!fld)
        goto oom;
    int quoted = 0, in_quotes = 0;
    for (;; c = getc(f)) {
        if (in_quotes) {
            if (c == EOF) {
                *st = lm_error_set(err, LM_ERR_PARSE, "%s:%ld: unterminated quoted field",
                                   name, start_line);
                return -1;
            }
            if (c == '"') {
                int d = getc(f);
                if (d == '"') {
                    if (lm_buf_append_char(fld, '"') != LM_OK)
                        goto oom;
                    continue;
                }
                in_quotes = 0;
                c = d;   /* fall through with the character after the quote */
            } else {
                if (c == '\n')
                    (*line)++;
                if (lm_buf_append_char(fld, (char)c) != LM_OK)
                    goto oom;
                continue;
            }
        }
        if (c == EOF || c == '\n') {
            (*line)++;
            if (fld->len && fld->data[fld->len - 1] == '\r' && !quoted)
                fld->data[--fld->len] = '\0';
            return 1;
        }
        if (c == '\r') {
            int d = getc(f);
            if (d == '\n' || d == EOF) {
                (*line)++;
                return 1;
            }
            ungetc(d, f);
            if (lm_buf_append_char(fld, '\r') != LM_OK)
                goto oom;
        } else if (c == ',') {
            fld = csv_next_field(row);
            if (!fld)
                goto oom;
            quoted = 0;
        } else if (c == '"' && fld->len == 0 && !quoted) {
            in_quotes = quoted = 1;
        } else {
            if (quoted) {
                *st = lm_error_set(err, LM_ERR_PARSE, "%s:%ld: text after a closing quote",
                                   name, *line + 1);
                return -1;
            }
            if (lm_buf_append_char(fld, (char)c) != LM_OK)
                goto oom;
        }
    }
oom:
    *st = nomem(err);
    return -1;
}

lm_status lm_lexicon_import_drugbank(lm_lexicon_builder *b, const char *path,
                                     lm_lexicon_import_stats *stats, lm_error *err)
{
    lm_lexicon_import_stats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof *stats);
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    /* skip a UTF-8 byte order mark */
    int c1 = getc(f), c2 = getc(f), c3 = getc(f);
    if (!(c1 == 0xEF && c2 == 0xBB && c3 == 0xBF))
        rewind(f);
    csv_row row = {0};
    long line = 0;
    lm_status st = LM_OK;
    lm_buf id;
    lm_buf_init(&id);
    lm_status rst = LM_OK;
    int got = csv_read(f, path, &row, &line, &rst, err);
    long col_id = -1, col_name = -1, col_syn = -1;
    if (got == 1)
        for (size_t i = 0; i < row.n; i++) {
            const char *h = lm_buf_cstr(&row.f[i]);
            if (strcasecmp(h, "DrugBank ID") == 0)
                col_id = (long)i;
            else if (strcasecmp(h, "Common name") == 0)
                col_name = (long)i;
            else if (strcasecmp(h, "Synonyms") == 0)
                col_syn = (long)i;
        }
    if (got < 0) {
        st = rst;
    } else if (col_id < 0 || col_name < 0) {
        st = lm_error_set(err, LM_ERR_FORMAT,
                          "%s: no 'DrugBank ID' and 'Common name' columns in the header", path);
    }
    while (st == LM_OK && (got = csv_read(f, path, &row, &line, &rst, err)) == 1) {
        if (row.n == 1 && row.f[0].len == 0)
            continue;   /* blank line */
        stats->records++;
        if ((size_t)col_id >= row.n || (size_t)col_name >= row.n) {
            st = lm_error_set(err, LM_ERR_PARSE, "%s:%ld: %zu columns, header has more", path,
                              line, row.n);
            break;
        }
        const char *dbid = lm_buf_cstr(&row.f[col_id]);
        if (strncmp(dbid, "DB", 2) != 0) {
            stats->skipped++;
            continue;
        }
        lm_buf_reset(&id);
        if (lm_buf_printf(&id, "DRUGBANK:%s", dbid) != LM_OK) {
            st = nomem(err);
            break;
        }
        const lm_buf *nm = &row.f[col_name];
        if (nm->len) {
            st = lm_lexicon_builder_add(b, LM_LEX_CHEMICAL, lm_buf_cstr(&id), nm->data, nm->len,
                                        LM_LEX_PREFERRED, LM_LEX_SCORE_FULLNAME, 1, err);
            stats->names++;
        }
        if (st == LM_OK && col_syn >= 0 && (size_t)col_syn < row.n)
            st = add_parts(b, LM_LEX_CHEMICAL, lm_buf_cstr(&id), lm_buf_cstr(&row.f[col_syn]),
                           row.f[col_syn].len, LM_LEX_SYNONYM, LM_LEX_SCORE_SYN, stats, err);
    }
    if (st == LM_OK && got < 0)
        st = rst;
    if (st == LM_OK && ferror(f))
        st = lm_error_set(err, LM_ERR_IO, "%s: read error", path);
    fclose(f);
    csv_row_free(&row);
    lm_buf_free(&id);
    return st;
}

/* ---- annotated corpora ---- */

lm_status lm_lexicon_import_corpus(lm_lexicon_builder *b, const lm_pt_corpus *c,
                                   lm_lexicon_import_stats *stats, lm_error *err)
{
    return lm_lexicon_import_corpus_weighted(b, c, 1, stats, err);
}

lm_status lm_lexicon_import_corpus_weighted(lm_lexicon_builder *b, const lm_pt_corpus *c,
                                            unsigned weight, lm_lexicon_import_stats *stats,
                                            lm_error *err)
{
    lm_lexicon_import_stats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof *stats);
    lm_buf id;
    lm_buf_init(&id);
    lm_status st = LM_OK;
    for (size_t d = 0; d < c->n_docs && st == LM_OK; d++) {
        const lm_pt_doc *doc = &c->docs[d];
        for (size_t m = 0; m < doc->n_mentions && st == LM_OK; m++) {
            const lm_pt_mention *mn = &doc->mentions[m];
            stats->records++;
            lm_lex_type t = lm_lex_type_from_name(mn->type);
            if (t == LM_LEX_ANY || !mn->text || lm_lexicon_qualify_id(t, mn->id, &id) != 0) {
                stats->skipped++;
                continue;
            }
            st = lm_lexicon_builder_add(b, t, lm_buf_cstr(&id), mn->text, strlen(mn->text),
                                        LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS, weight ? weight : 1,
                                        err);
            stats->names++;
        }
    }
    lm_buf_free(&id);
    return st;
}

lm_status lm_lexicon_import_pubtator(lm_lexicon_builder *b, const char *path,
                                     lm_lexicon_import_stats *stats, lm_error *err)
{
    lm_pt_corpus c = {0};
    lm_status st = lm_pubtator_load(path, &c, err);
    if (st == LM_OK)
        st = lm_lexicon_import_corpus(b, &c, stats, err);
    lm_pt_corpus_free(&c);
    return st;
}
