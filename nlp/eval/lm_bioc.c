/*
 * BioC XML and JSON, written from litmine's articles and read into
 * PubTator corpora (see lm_bioc.h for the mapping both ways).
 *
 * The XML writer escapes by hand (five characters; the text is already
 * valid UTF-8 without control characters, which the PubMed parser and
 * lm_doc guarantee), the JSON writer is util/lm_json's.  The XML reader
 * builds a libxml2 tree — corpora are a few megabytes — with network and
 * DTD loading off, and refuses a document that declares entities.
 */
#include "lm_bioc.h"

#include "../../util/lm_buf.h"
#include "../../util/lm_utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

const char *lm_bioc_pubtator3_id(const char *id)
{
    if (id && strncmp(id, "NCBIGene:", 9) == 0)
        return id + 9;
    return id;
}

/* ---- writing ------------------------------------------------------------ */

static void xml_text(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            /* XML 1.0 has no place for other C0 controls. */
            if ((unsigned char)s[i] >= 0x20 || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
                fputc(s[i], f);
            else
                fputc(' ', f);
        }
    }
}

static void xml_str(FILE *f, const char *s)
{
    xml_text(f, s, strlen(s));
}

static void xml_infon(FILE *f, const char *key, const char *value)
{
    fprintf(f, "<infon key=\"%s\">", key);
    xml_str(f, value);
    fputs("</infon>", f);
}

static void today(char out[16])
{
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(out, 16, "%Y-%m-%d", &tm);
    else
        strcpy(out, "1970-01-01");
}

lm_status lm_bioc_begin(lm_bioc_writer *w, FILE *out, lm_bioc_format format, unsigned flags,
                        lm_error *err)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->format = format;
    w->flags = flags;
    char date[16];
    today(date);
    if (format == LM_BIOC_XML) {
        fprintf(out, "<?xml version='1.0' encoding='UTF-8'?>\n"
                     "<!DOCTYPE collection SYSTEM \"BioC.dtd\">\n"
                     "<collection><source>litmine</source><date>%s</date>"
                     "<key>litmine.key</key>\n", date);
    } else {
        lm_json_writer_init(&w->json, out);
        lm_json_begin_object(&w->json);
        lm_json_member_str(&w->json, "source", "litmine");
        lm_json_member_str(&w->json, "date", date);
        lm_json_member_str(&w->json, "key", "litmine.key");
        lm_json_write_key(&w->json, "infons");
        lm_json_begin_object(&w->json);
        lm_json_end_object(&w->json);
        lm_json_write_key(&w->json, "documents");
        lm_json_begin_array(&w->json);
    }
    if (ferror(out))
        return lm_error_set(err, LM_ERR_IO, "write failed: %s", strerror(errno));
    return LM_OK;
}

/* Where things are in the document: the title's length in code points and
 * byte offsets of the abstract, and the annotation id of each mention. */
typedef struct layout {
    int32_t title_cp;
    size_t title_bytes;
    int has_abstract;
} layout;

static const char *mention_id(const lm_bioc_writer *w, const lm_doc_mention *m)
{
    return w->flags & LM_BIOC_PUBTATOR3_IDS ? lm_bioc_pubtator3_id(m->concept_id)
                                             : m->concept_id;
}

/* The first mention of concept id (preferring one inside the pair's
 * evidence sentence), for a relation's node; -1 when there is none. */
static long node_for(const lm_doc *d, const char *id, const lm_doc_pair *p)
{
    long first = -1;
    for (size_t i = 0; id && i < d->n_mentions; i++) {
        const lm_doc_mention *m = &d->mentions[i];
        if (!m->concept_id || strcmp(m->concept_id, id) != 0)
            continue;
        if (p->evidence_start >= 0 && m->start >= p->evidence_start && m->end <= p->evidence_end)
            return (long)i;
        if (first < 0)
            first = (long)i;
    }
    return first;
}

static void score_text(char out[32], double v)
{
    snprintf(out, 32, "%.4f", v);
}

static void write_xml_passage(lm_bioc_writer *w, const lm_doc *d, const layout *lay, int abstract)
{
    FILE *f = w->out;
    size_t from = abstract ? lay->title_bytes + 1 : 0;
    size_t to = abstract ? d->text_len : lay->title_bytes;
    fputs("<passage>", f);
    xml_infon(f, "type", abstract ? "abstract" : "title");
    fprintf(f, "<offset>%d</offset><text>", abstract ? lay->title_cp + 1 : 0);
    xml_text(f, d->text + from, to - from);
    fputs("</text>", f);
    for (size_t i = 0; i < d->n_mentions; i++) {
        const lm_doc_mention *m = &d->mentions[i];
        if ((m->start > lay->title_cp) != abstract)
            continue;
        char score[32];
        score_text(score, m->score);
        fprintf(f, "<annotation id=\"T%zu\">", i);
        xml_infon(f, "type", lm_ent_type_name(m->type));
        if (m->concept_id)
            xml_infon(f, "identifier", mention_id(w, m));
        xml_infon(f, "score", score);
        fprintf(f, "<location offset=\"%d\" length=\"%d\"/><text>", m->start, m->end - m->start);
        xml_str(f, m->text ? m->text : "");
        fputs("</text></annotation>", f);
    }
    fputs("</passage>", f);
}

static const char *pair_id(const lm_bioc_writer *w, const char *id)
{
    return w->flags & LM_BIOC_PUBTATOR3_IDS ? lm_bioc_pubtator3_id(id) : id;
}

static void write_xml_doc(lm_bioc_writer *w, const lm_article *a, const lm_doc *d,
                          const layout *lay)
{
    FILE *f = w->out;
    fprintf(f, "<document><id>%" PRId64 "</id>", a->pmid);
    write_xml_passage(w, d, lay, 0);
    if (lay->has_abstract)
        write_xml_passage(w, d, lay, 1);
    for (size_t i = 0; i < d->n_pairs; i++) {
        const lm_doc_pair *p = &d->pairs[i];
        char score[32];
        score_text(score, p->score);
        fprintf(f, "<relation id=\"R%zu\">", i);
        xml_infon(f, "type", p->relation);
        xml_infon(f, "entity1", pair_id(w, p->chem_id));
        xml_infon(f, "entity2", pair_id(w, p->dis_id));
        xml_infon(f, "score", score);
        long c = node_for(d, p->chem_id, p), s = node_for(d, p->dis_id, p);
        if (c >= 0)
            fprintf(f, "<node refid=\"T%ld\" role=\"Chemical\"/>", c);
        if (s >= 0)
            fprintf(f, "<node refid=\"T%ld\" role=\"Disease\"/>", s);
        fputs("</relation>", f);
    }
    fputs("</document>\n", f);
}

static void json_infon(lm_json_writer *j, const char *key, const char *value)
{
    lm_json_member_str(j, key, value);
}

static void write_json_passage(lm_bioc_writer *w, const lm_doc *d, const layout *lay, int abstract)
{
    lm_json_writer *j = &w->json;
    size_t from = abstract ? lay->title_bytes + 1 : 0;
    size_t to = abstract ? d->text_len : lay->title_bytes;
    lm_json_begin_object(j);
    lm_json_write_key(j, "infons");
    lm_json_begin_object(j);
    json_infon(j, "type", abstract ? "abstract" : "title");
    lm_json_end_object(j);
    lm_json_member_int(j, "offset", abstract ? lay->title_cp + 1 : 0);
    lm_json_write_key(j, "text");
    lm_json_write_strn(j, d->text + from, to - from);
    lm_json_write_key(j, "sentences");
    lm_json_begin_array(j);
    lm_json_end_array(j);
    lm_json_write_key(j, "annotations");
    lm_json_begin_array(j);
    for (size_t i = 0; i < d->n_mentions; i++) {
        const lm_doc_mention *m = &d->mentions[i];
        if ((m->start > lay->title_cp) != abstract)
            continue;
        char id[32], score[32];
        snprintf(id, sizeof id, "T%zu", i);
        score_text(score, m->score);
        lm_json_begin_object(j);
        lm_json_member_str(j, "id", id);
        lm_json_write_key(j, "infons");
        lm_json_begin_object(j);
        json_infon(j, "type", lm_ent_type_name(m->type));
        if (m->concept_id)
            json_infon(j, "identifier", mention_id(w, m));
        json_infon(j, "score", score);
        lm_json_end_object(j);
        lm_json_member_str(j, "text", m->text ? m->text : "");
        lm_json_write_key(j, "locations");
        lm_json_begin_array(j);
        lm_json_begin_object(j);
        lm_json_member_int(j, "offset", m->start);
        lm_json_member_int(j, "length", m->end - m->start);
        lm_json_end_object(j);
        lm_json_end_array(j);
        lm_json_end_object(j);
    }
    lm_json_end_array(j);
    lm_json_write_key(j, "relations");
    lm_json_begin_array(j);
    lm_json_end_array(j);
    lm_json_end_object(j);
}

static void write_json_doc(lm_bioc_writer *w, const lm_article *a, const lm_doc *d,
                           const layout *lay)
{
    lm_json_writer *j = &w->json;
    char pmid[32];
    snprintf(pmid, sizeof pmid, "%" PRId64, a->pmid);
    lm_json_begin_object(j);
    lm_json_member_str(j, "id", pmid);
    lm_json_write_key(j, "infons");
    lm_json_begin_object(j);
    lm_json_end_object(j);
    lm_json_write_key(j, "passages");
    lm_json_begin_array(j);
    write_json_passage(w, d, lay, 0);
    if (lay->has_abstract)
        write_json_passage(w, d, lay, 1);
    lm_json_end_array(j);
    lm_json_write_key(j, "annotations");
    lm_json_begin_array(j);
    lm_json_end_array(j);
    lm_json_write_key(j, "relations");
    lm_json_begin_array(j);
    for (size_t i = 0; i < d->n_pairs; i++) {
        const lm_doc_pair *p = &d->pairs[i];
        char id[32], score[32];
        snprintf(id, sizeof id, "R%zu", i);
        score_text(score, p->score);
        lm_json_begin_object(j);
        lm_json_member_str(j, "id", id);
        lm_json_write_key(j, "infons");
        lm_json_begin_object(j);
        json_infon(j, "type", p->relation);
        json_infon(j, "entity1", pair_id(w, p->chem_id));
        json_infon(j, "entity2", pair_id(w, p->dis_id));
        json_infon(j, "score", score);
        lm_json_end_object(j);
        lm_json_write_key(j, "nodes");
        lm_json_begin_array(j);
        long c = node_for(d, p->chem_id, p), s = node_for(d, p->dis_id, p);
        for (int k = 0; k < 2; k++) {
            long n = k ? s : c;
            if (n < 0)
                continue;
            snprintf(id, sizeof id, "T%ld", n);
            lm_json_begin_object(j);
            lm_json_member_str(j, "refid", id);
            lm_json_member_str(j, "role", k ? "Disease" : "Chemical");
            lm_json_end_object(j);
        }
        lm_json_end_array(j);
        lm_json_end_object(j);
    }
    lm_json_end_array(j);
    lm_json_end_object(j);
}

lm_status lm_bioc_write_doc(lm_bioc_writer *w, const lm_article *a, const lm_doc *d,
                            lm_error *err)
{
    layout lay;
    lay.title_bytes = a->title ? strlen(a->title) : 0;
    if (!d->text || d->text_len < lay.title_bytes)
        return lm_error_set(err, LM_ERR_USAGE, "BioC: article %" PRId64 " has no text",
                            a->pmid);
    lay.title_cp = (int32_t)lm_utf8_count(d->text, lay.title_bytes);
    lay.has_abstract = d->text_len > lay.title_bytes + 1;
    if (w->format == LM_BIOC_XML)
        write_xml_doc(w, a, d, &lay);
    else
        write_json_doc(w, a, d, &lay);
    w->n_docs++;
    if (ferror(w->out))
        return lm_error_set(err, LM_ERR_IO, "write failed: %s", strerror(errno));
    return LM_OK;
}

lm_status lm_bioc_end(lm_bioc_writer *w, lm_error *err)
{
    if (w->format == LM_BIOC_XML) {
        fputs("</collection>\n", w->out);
    } else {
        lm_json_end_array(&w->json);
        lm_json_end_object(&w->json);
        fputc('\n', w->out);
    }
    if (ferror(w->out))
        return lm_error_set(err, LM_ERR_IO, "write failed: %s", strerror(errno));
    return LM_OK;
}

/* ---- reading ------------------------------------------------------------ */

/* One passage as read, and where its text lands in title + " " + rest. */
typedef struct passage {
    long offset;        /* as the file gives it */
    int32_t start;      /* in the joined text, code points */
    int32_t len;        /* code points */
} passage;

/* One annotation or relation as read, before rebasing. */
typedef struct raw_ann {
    char *id, *type, *identifier, *text;
    long offset, length;
} raw_ann;

typedef struct raw_rel {
    char *type, *e1, *e2, *ref1, *ref2;
} raw_rel;

typedef struct builder {
    lm_pt_doc doc;
    lm_buf title, rest;
    passage *pass;
    size_t n_pass;
    raw_ann *anns;
    size_t n_anns;
    raw_rel *rels;
    size_t n_rels;
    int oom;
} builder;

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *c = strdup(s);
    if (!c)
        *oom = 1;
    return c;
}

static void builder_init(builder *b)
{
    memset(b, 0, sizeof *b);
    lm_pt_doc_init(&b->doc);
    lm_buf_init(&b->title);
    lm_buf_init(&b->rest);
}

static void builder_free(builder *b)
{
    lm_pt_doc_free(&b->doc);
    lm_buf_free(&b->title);
    lm_buf_free(&b->rest);
    free(b->pass);
    for (size_t i = 0; i < b->n_anns; i++) {
        free(b->anns[i].id);
        free(b->anns[i].type);
        free(b->anns[i].identifier);
        free(b->anns[i].text);
    }
    free(b->anns);
    for (size_t i = 0; i < b->n_rels; i++) {
        free(b->rels[i].type);
        free(b->rels[i].e1);
        free(b->rels[i].e2);
        free(b->rels[i].ref1);
        free(b->rels[i].ref2);
    }
    free(b->rels);
    memset(b, 0, sizeof *b);
}

static void add_passage(builder *b, long offset, const char *type, const char *text)
{
    if (!text)
        return;
    int32_t len = (int32_t)lm_utf8_count(text, strlen(text));
    int is_title = b->n_pass == 0 && (!type || strcmp(type, "title") == 0 ||
                                      strcmp(type, "front") == 0);
    passage *v = realloc(b->pass, (b->n_pass + 1) * sizeof *v);
    if (!v) {
        b->oom = 1;
        return;
    }
    b->pass = v;
    passage *p = &b->pass[b->n_pass++];
    p->offset = offset;
    p->len = len;
    if (is_title) {
        p->start = 0;
        b->oom |= lm_buf_append_str(&b->title, text) != LM_OK;
    } else {
        int32_t title_len = (int32_t)lm_utf8_count(b->title.data ? b->title.data : "", b->title.len);
        int32_t rest_len = (int32_t)lm_utf8_count(b->rest.data ? b->rest.data : "", b->rest.len);
        if (b->rest.len) {
            b->oom |= lm_buf_append_char(&b->rest, ' ') != LM_OK;
            rest_len++;
        }
        p->start = title_len + 1 + rest_len;
        b->oom |= lm_buf_append_str(&b->rest, text) != LM_OK;
    }
}

static raw_ann *add_ann(builder *b)
{
    raw_ann *v = realloc(b->anns, (b->n_anns + 1) * sizeof *v);
    if (!v) {
        b->oom = 1;
        return NULL;
    }
    b->anns = v;
    return memset(&b->anns[b->n_anns++], 0, sizeof *v);
}

static raw_rel *add_rel(builder *b)
{
    raw_rel *v = realloc(b->rels, (b->n_rels + 1) * sizeof *v);
    if (!v) {
        b->oom = 1;
        return NULL;
    }
    b->rels = v;
    return memset(&b->rels[b->n_rels++], 0, sizeof *v);
}

/* Turns what was read into a PubTator document and appends it. */
static lm_status builder_finish(builder *b, lm_pt_corpus *c, const char *path, lm_error *err)
{
    lm_pt_doc *d = &b->doc;
    int oom = b->oom;
    d->title = dup_or_null(lm_buf_cstr(&b->title), &oom);
    d->abstract = dup_or_null(lm_buf_cstr(&b->rest), &oom);
    lm_buf text;
    lm_buf_init(&text);
    oom |= lm_buf_printf(&text, "%s %s", lm_buf_cstr(&b->title), lm_buf_cstr(&b->rest)) != LM_OK;
    d->text = oom ? NULL : lm_buf_take(&text);
    lm_buf_free(&text);
    if (b->n_anns) {
        d->mentions = calloc(b->n_anns, sizeof *d->mentions);
        oom |= !d->mentions;
    }
    for (size_t i = 0; !oom && i < b->n_anns; i++) {
        raw_ann *r = &b->anns[i];
        /* The passage holding the annotation, by the file's offsets. */
        const passage *p = NULL;
        for (size_t k = 0; k < b->n_pass; k++)
            if (r->offset >= b->pass[k].offset && r->offset <= b->pass[k].offset + b->pass[k].len)
                p = &b->pass[k];
        if (!p || r->length < 0)
            continue;
        lm_pt_mention *m = &d->mentions[d->n_mentions++];
        m->start = p->start + (int)(r->offset - p->offset);
        m->end = m->start + (int)r->length;
        m->text = dup_or_null(r->text ? r->text : "", &oom);
        m->type = dup_or_null(r->type ? r->type : "", &oom);
        m->id = dup_or_null(r->identifier, &oom);
    }
    if (b->n_rels) {
        d->relations = calloc(b->n_rels, sizeof *d->relations);
        oom |= !d->relations;
    }
    for (size_t i = 0; !oom && i < b->n_rels; i++) {
        raw_rel *r = &b->rels[i];
        const char *e[2] = {r->e1, r->e2}, *ref[2] = {r->ref1, r->ref2};
        for (int k = 0; k < 2; k++)
            for (size_t a = 0; !e[k] && ref[k] && a < b->n_anns; a++)
                if (b->anns[a].id && strcmp(b->anns[a].id, ref[k]) == 0)
                    e[k] = b->anns[a].identifier;
        if (!e[0] || !e[1])
            continue;
        lm_pt_relation *rel = &d->relations[d->n_relations++];
        rel->type = dup_or_null(r->type ? r->type : "Association", &oom);
        rel->id1 = dup_or_null(e[0], &oom);
        rel->id2 = dup_or_null(e[1], &oom);
    }
    if (oom)
        return lm_error_set(err, LM_ERR_NOMEM, "%s: out of memory", path);
    lm_pt_doc *v = realloc(c->docs, (c->n_docs + 1) * sizeof *v);
    if (!v)
        return lm_error_set(err, LM_ERR_NOMEM, "%s: out of memory", path);
    c->docs = v;
    c->docs[c->n_docs++] = *d;
    lm_pt_doc_init(d);
    return LM_OK;
}

/* -- XML -- */

static int is_elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The text of a node's children, as a heap string (NULL: out of memory). */
static char *node_text(const xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    char *s = strdup(c ? (const char *)c : "");
    xmlFree(c);
    return s;
}

static char *attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *s = v ? strdup((const char *)v) : NULL;
    xmlFree(v);
    return s;
}

/* The value of the infon with this key among n's children (heap), or NULL. */
static char *infon(const xmlNode *n, const char *key)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (!is_elem(c, "infon"))
            continue;
        char *k = attr(c, "key");
        int match = k && strcmp(k, key) == 0;
        free(k);
        if (match)
            return node_text(c);
    }
    return NULL;
}

static void xml_relation(builder *b, const xmlNode *n)
{
    raw_rel *r = add_rel(b);
    if (!r)
        return;
    r->type = infon(n, "type");
    r->e1 = infon(n, "entity1");
    r->e2 = infon(n, "entity2");
    for (const xmlNode *c = n->children; c; c = c->next)
        if (is_elem(c, "node")) {
            char **slot = !r->ref1 ? &r->ref1 : !r->ref2 ? &r->ref2 : NULL;
            if (slot)
                *slot = attr(c, "refid");
        }
}

static void xml_annotation(builder *b, const xmlNode *n)
{
    raw_ann *a = add_ann(b);
    if (!a)
        return;
    a->id = attr(n, "id");
    a->type = infon(n, "type");
    a->identifier = infon(n, "identifier");
    if (!a->identifier)
        a->identifier = infon(n, "Identifier");
    a->offset = a->length = -1;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (is_elem(c, "location") && a->offset < 0) {
            char *o = attr(c, "offset"), *l = attr(c, "length");
            a->offset = o ? strtol(o, NULL, 10) : -1;
            a->length = l ? strtol(l, NULL, 10) : -1;
            free(o);
            free(l);
        } else if (is_elem(c, "text") && !a->text) {
            a->text = node_text(c);
        }
    }
}

static lm_status xml_document(const xmlNode *doc, lm_pt_corpus *c, const char *path,
                              lm_error *err)
{
    builder b;
    builder_init(&b);
    for (const xmlNode *n = doc->children; n; n = n->next) {
        if (is_elem(n, "id") && !b.doc.pmid) {
            b.doc.pmid = node_text(n);
        } else if (is_elem(n, "passage")) {
            char *type = infon(n, "type"), *text = NULL;
            long offset = 0;
            for (const xmlNode *k = n->children; k; k = k->next) {
                if (is_elem(k, "offset")) {
                    char *o = node_text(k);
                    offset = o ? strtol(o, NULL, 10) : 0;
                    free(o);
                } else if (is_elem(k, "text") && !text) {
                    text = node_text(k);
                }
            }
            add_passage(&b, offset, type, text);
            free(type);
            free(text);
            for (const xmlNode *k = n->children; k; k = k->next) {
                if (is_elem(k, "annotation"))
                    xml_annotation(&b, k);
                else if (is_elem(k, "relation"))
                    xml_relation(&b, k);
            }
        } else if (is_elem(n, "annotation")) {
            xml_annotation(&b, n);
        } else if (is_elem(n, "relation")) {
            xml_relation(&b, n);
        }
    }
    lm_status st = b.doc.pmid ? builder_finish(&b, c, path, err)
                              : lm_error_set(err, LM_ERR_FORMAT, "%s: a BioC document without <id>",
                                             path);
    builder_free(&b);
    return st;
}

static lm_status load_xml(const char *path, lm_pt_corpus *out, lm_error *err)
{
    xmlDocPtr x = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                          XML_PARSE_NOWARNING);
    if (!x) {
        const xmlError *e = xmlGetLastError();
        return lm_error_set(err, LM_ERR_FORMAT, "%s: not well-formed BioC XML%s%s", path,
                            e && e->message ? ": " : "", e && e->message ? e->message : "");
    }
    lm_status st = LM_OK;
    const xmlNode *root = xmlDocGetRootElement(x);
    /* Entity declarations are how a hostile file multiplies itself
     * ("billion laughs"); BioC has no use for them. */
    if (x->intSubset && x->intSubset->entities)
        st = lm_error_set(err, LM_ERR_FORMAT, "%s: declares XML entities, which BioC never needs",
                          path);
    else if (!root || !is_elem(root, "collection"))
        st = lm_error_set(err, LM_ERR_FORMAT, "%s: not BioC (the root element is not <collection>)",
                          path);
    for (const xmlNode *n = root ? root->children : NULL; st == LM_OK && n; n = n->next)
        if (is_elem(n, "document"))
            st = xml_document(n, out, path, err);
    xmlFreeDoc(x);
    return st;
}

/* -- JSON -- */

static char *json_dup(const lm_json_value *obj, const char *key)
{
    const char *s = lm_json_get_str(obj, key, NULL);
    return s ? strdup(s) : NULL;
}

static void json_annotation(builder *b, const lm_json_value *a)
{
    raw_ann *r = add_ann(b);
    if (!r)
        return;
    const lm_json_value *inf = lm_json_get(a, "infons");
    r->id = json_dup(a, "id");
    r->type = json_dup(inf, "type");
    r->identifier = json_dup(inf, "identifier");
    r->text = json_dup(a, "text");
    const lm_json_value *loc = lm_json_first(lm_json_get(a, "locations"));
    r->offset = loc ? (long)lm_json_get_int(loc, "offset", -1) : -1;
    r->length = loc ? (long)lm_json_get_int(loc, "length", -1) : -1;
}

static void json_relation(builder *b, const lm_json_value *rel)
{
    raw_rel *r = add_rel(b);
    if (!r)
        return;
    const lm_json_value *inf = lm_json_get(rel, "infons");
    r->type = json_dup(inf, "type");
    r->e1 = json_dup(inf, "entity1");
    r->e2 = json_dup(inf, "entity2");
    const lm_json_value *n = lm_json_first(lm_json_get(rel, "nodes"));
    if (n) {
        r->ref1 = json_dup(n, "refid");
        n = lm_json_next(n);
        if (n)
            r->ref2 = json_dup(n, "refid");
    }
}

static lm_status load_json(const char *path, lm_pt_corpus *out, lm_error *err)
{
    lm_json_limits lim = {0, 1024u * 1024 * 1024};
    lm_json *j;
    lm_status st = lm_json_parse_file(&j, path, &lim, err);
    if (st != LM_OK)
        return st;
    const lm_json_value *root = lm_json_root(j);
    /* A collection, or a bare list of documents (PubTator3's API). */
    const lm_json_value *docs = lm_json_type_of(root) == LM_JSON_ARRAY
                                    ? root
                                    : lm_json_get(root, "documents");
    if (!docs || lm_json_type_of(docs) != LM_JSON_ARRAY)
        st = lm_error_set(err, LM_ERR_FORMAT, "%s: not BioC JSON (no \"documents\" list)", path);
    for (const lm_json_value *d = lm_json_first(docs); st == LM_OK && d; d = lm_json_next(d)) {
        builder b;
        builder_init(&b);
        const lm_json_value *id = lm_json_get(d, "id");
        char num[32];
        int64_t v;
        if (lm_json_int64(id, &v)) {
            snprintf(num, sizeof num, "%" PRId64, v);
            b.doc.pmid = strdup(num);
        } else {
            b.doc.pmid = json_dup(d, "id");
        }
        for (const lm_json_value *p = lm_json_first(lm_json_get(d, "passages")); p;
             p = lm_json_next(p)) {
            add_passage(&b, (long)lm_json_get_int(p, "offset", 0),
                        lm_json_get_str(lm_json_get(p, "infons"), "type", NULL),
                        lm_json_get_str(p, "text", NULL));
            for (const lm_json_value *a = lm_json_first(lm_json_get(p, "annotations")); a;
                 a = lm_json_next(a))
                json_annotation(&b, a);
            for (const lm_json_value *r = lm_json_first(lm_json_get(p, "relations")); r;
                 r = lm_json_next(r))
                json_relation(&b, r);
        }
        for (const lm_json_value *a = lm_json_first(lm_json_get(d, "annotations")); a;
             a = lm_json_next(a))
            json_annotation(&b, a);
        for (const lm_json_value *r = lm_json_first(lm_json_get(d, "relations")); r;
             r = lm_json_next(r))
            json_relation(&b, r);
        st = b.doc.pmid ? builder_finish(&b, out, path, err)
                        : lm_error_set(err, LM_ERR_FORMAT, "%s: a BioC document without \"id\"",
                                       path);
        builder_free(&b);
    }
    lm_json_free(j);
    return st;
}

/* The first byte that is not whitespace (or a UTF-8 BOM), or EOF. */
static int first_byte(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return EOF;
    int ch;
    while ((ch = fgetc(f)) != EOF && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
                                      ch == 0xef || ch == 0xbb || ch == 0xbf))
        ;
    fclose(f);
    return ch;
}

int lm_bioc_sniff(const char *path)
{
    int ch = first_byte(path);
    return ch == '<' || ch == '{' || ch == '[';
}

lm_status lm_bioc_load(const char *path, lm_pt_corpus *out, lm_error *err)
{
    out->docs = NULL;
    out->n_docs = 0;
    int ch = first_byte(path);
    if (ch == EOF) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
        fclose(f);
        return lm_error_set(err, LM_ERR_FORMAT, "%s: empty file", path);
    }
    lm_status st = ch == '<' ? load_xml(path, out, err) : load_json(path, out, err);
    if (st != LM_OK)
        lm_pt_corpus_free(out);
    return st;
}

/* For ".../X.PubTator" (or ".PubTator.txt"), the first existing of
 * X.BioC.XML, X.BioC.xml, X.BioC.JSON, X.BioC.json into out. */
static int bioc_sibling(const char *path, char *out, size_t cap)
{
    static const char *const suffixes[] = {".PubTator.txt", ".PubTator"};
    static const char *const bioc[] = {".BioC.XML", ".BioC.xml", ".BioC.JSON", ".BioC.json"};
    size_t n = strlen(path);
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(suffixes[i]);
        if (n <= k || strcmp(path + n - k, suffixes[i]) != 0)
            continue;
        for (size_t j = 0; j < 4; j++)
            if ((size_t)snprintf(out, cap, "%.*s%s", (int)(n - k), path, bioc[j]) < cap &&
                access(out, R_OK) == 0)
                return 1;
    }
    return 0;
}

lm_status lm_corpus_load(const char *path, lm_pt_corpus *out, lm_error *err)
{
    if (lm_bioc_sniff(path))
        return lm_bioc_load(path, out, err);
    char sibling[4096];
    if (access(path, F_OK) != 0 && bioc_sibling(path, sibling, sizeof sibling))
        return lm_bioc_load(sibling, out, err);
    return lm_pubtator_load(path, out, err);
}
