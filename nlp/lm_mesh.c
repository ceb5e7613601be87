/*
 * MeSH XML reader (see lm_mesh.h).
 *
 * The reader keeps the element path below the record set ('/'-joined) and
 * files each element's text by that path when the element closes: only
 * DescriptorRecord/DescriptorName/String is the heading, not the
 * DescriptorName/String inside a PharmacologicalAction or an
 * EntryCombination.  Terms are read from every concept of a record (NLM's
 * files list narrower concepts' terms there; they index the same heading).
 * libxml2 errors go to a handler that keeps the first message, so nothing
 * is printed.
 */
#include "lm_mesh.h"

#include "../util/lm_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlreader.h>

unsigned lm_mesh_tree_class(const char *t)
{
    if (!t || !t[0])
        return 0;
    switch (t[0]) {
    case 'A': return LM_MESH_ANATOMY;
    case 'B': return LM_MESH_ORGANISM;
    case 'C': return strncmp(t, "C23", 3) == 0 ? LM_MESH_SYMPTOM : LM_MESH_DISEASE;
    case 'D':
        return strncmp(t, "D12", 3) == 0   ? LM_MESH_PROTEIN
               : strncmp(t, "D27", 3) == 0 ? LM_MESH_ACTION
                                           : LM_MESH_CHEMICAL;
    case 'F': return strncmp(t, "F03", 3) == 0 ? LM_MESH_MENTAL : LM_MESH_OTHER;
    default: return LM_MESH_OTHER;
    }
}

static lm_status nomem(lm_error *err)
{
    return lm_error_nomem(err, NULL);
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

/* ---- the reader ---- */

typedef struct mesh_ctx {
    lm_status (*cb)(void *ctx, const lm_mesh_record *r, lm_error *err);
    void *cb_ctx;
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

static lm_status mesh_emit(mesh_ctx *c, lm_error *err)
{
    lm_mesh_record r;
    memset(&r, 0, sizeof r);
    r.supplementary = c->kind == 2;
    r.ui = lm_buf_cstr(&c->ui);
    r.name = lm_buf_cstr(&c->name);
    r.terms = (const char *const *)c->terms.v;
    r.n_terms = c->terms.n;
    r.trees = (const char *const *)c->trees.v;
    r.n_trees = c->trees.n;
    r.headings = (const char *const *)c->headings.v;
    r.n_headings = c->headings.n;
    r.scr_class = c->scr_class;
    if (c->kind == 1) {
        for (size_t i = 0; i < c->trees.n; i++)
            r.classes |= lm_mesh_tree_class(c->trees.v[i]);
    } else if (c->scr_class == 1 || c->scr_class == 2) {
        r.classes = LM_MESH_SUPP_CHEMICAL;
    } else if (c->scr_class == 3) {
        r.classes = LM_MESH_SUPP_DISEASE;
    } else if (c->scr_class == 4) {
        r.classes = LM_MESH_SUPP_ORGANISM;
    }
    return c->cb(c->cb_ctx, &r, err);
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
            bad = strlist_add(&c->headings, t[0] == '*' ? t + 1 : t) != 0;
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

static void truncate_path(mesh_ctx *c, int depth)
{
    c->path.len = c->path_len[depth];
    if (c->path.data)
        c->path.data[c->path.len] = '\0';
}

lm_status lm_mesh_read(const char *path,
                       lm_status (*cb)(void *ctx, const lm_mesh_record *r, lm_error *err),
                       void *ctx, lm_error *err)
{
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    fclose(probe);
    mesh_ctx c;
    memset(&c, 0, sizeof c);
    c.cb = cb;
    c.cb_ctx = ctx;
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
    const int max_depth = (int)(sizeof c.path_len / sizeof c.path_len[0]);
    while (st == LM_OK && (rc = xmlTextReaderRead(r)) == 1) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT) {
            const char *name = (const char *)xmlTextReaderConstLocalName(r);
            int depth = xmlTextReaderDepth(r);
            if (depth < 0 || depth >= max_depth)
                continue;   /* deeper than any element we read */
            c.depth = depth;
            c.path_len[depth] = c.path.len;
            saw_root = 1;
            st = mesh_start(&c, r, name ? name : "", err);
            if (st == LM_OK && xmlTextReaderIsEmptyElement(r)) {
                if (depth > 0)
                    st = mesh_end(&c, err);
                truncate_path(&c, depth);
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            int depth = xmlTextReaderDepth(r);
            if (depth < 0 || depth >= max_depth)
                continue;
            if (depth > 0)
                st = mesh_end(&c, err);
            truncate_path(&c, depth);
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
