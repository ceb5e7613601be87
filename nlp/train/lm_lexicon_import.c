/*
 * Lexicon importers: NLM MeSH XML, NCBI gene_info, DrugBank vocabulary CSV
 * and annotated PubTator corpora, all feeding an lm_lexicon_builder.
 *
 * MeSH records arrive one at a time from lm_mesh_read (a streaming
 * reader: the files are hundreds of megabytes); each becomes names of its
 * type, and its tree classes are recorded even when it names nothing a
 * mention could be (anatomy), so that type gating knows every MeSH id.
 * Genes get "SYMBOL (full name)" as their display name.
 *
 * gene_info is read through zlib's gzread interface, which also reads
 * uncompressed files; the DrugBank CSV through a small RFC 4180 state
 * machine (quoted fields may hold commas, doubled quotes and newlines).
 */
#include "../lm_lexicon.h"
#include "../eval/lm_bioc.h"

#include "../../util/lm_buf.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static lm_status nomem(lm_error *err)
{
    return lm_error_nomem(err, NULL);
}

/* ---- MeSH ---- */

typedef struct mesh_import {
    lm_lexicon_builder *b;
    lm_lexicon_import_stats *stats;
    lm_buf id, variant;
} mesh_import;

/* "Diabetes Mellitus, Type 2" -> "Type 2 Diabetes Mellitus" (one comma
 * only: MeSH inverts the head noun this way).  *inverted tells whether out
 * holds a variant; running out of memory is an error, not "no variant",
 * or the lexicon would quietly miss the name. */
static lm_status uninvert(const char *s, lm_buf *out, int *inverted)
{
    const char *c = strstr(s, ", ");
    *inverted = 0;
    if (!c || strchr(c + 1, ',') || c == s || !c[2])
        return LM_OK;
    lm_buf_reset(out);
    lm_status st = lm_buf_printf(out, "%s %.*s", c + 2, (int)(c - s), s);
    *inverted = st == LM_OK;
    return st;
}

static lm_status mesh_add(mesh_import *mi, lm_ent_type type, const char *name, unsigned flags,
                          double score, lm_error *err)
{
    const char *id = lm_buf_cstr(&mi->id);
    lm_status st = lm_lexicon_builder_add(mi->b, type, id, name, strlen(name), flags, score, 1,
                                          err);
    if (st == LM_OK)
        mi->stats->names++;
    int inverted = 0;
    if (st == LM_OK && uninvert(name, &mi->variant, &inverted) != LM_OK)
        st = nomem(err);
    if (st == LM_OK && inverted) {
        st = lm_lexicon_builder_add(mi->b, type, id, lm_buf_cstr(&mi->variant), mi->variant.len,
                                    LM_LEX_SYNONYM, LM_LEX_SCORE_VARIANT, 1, err);
        if (st == LM_OK)
            mi->stats->names++;
    }
    return st;
}

static lm_status mesh_record(void *ctx, const lm_mesh_record *r, lm_error *err)
{
    mesh_import *mi = ctx;
    mi->stats->records++;
    lm_buf_reset(&mi->id);
    if (lm_buf_printf(&mi->id, "MESH:%s", r->ui) != LM_OK)
        return nomem(err);
    unsigned classes = r->classes;
    if (r->supplementary && r->scr_class == 0) {
        /* no SCRClass: a disease when it maps to a known disease heading */
        classes = LM_MESH_SUPP_CHEMICAL;
        lm_buf h;
        lm_buf_init(&h);
        for (size_t i = 0; i < r->n_headings; i++) {
            lm_buf_reset(&h);
            if (lm_buf_printf(&h, "MESH:%s", r->headings[i]) != LM_OK) {
                lm_buf_free(&h);
                return nomem(err);
            }
            if (lm_lexicon_builder_concept_types(mi->b, lm_buf_cstr(&h)) &
                LM_ENT_BIT(LM_ENT_DISEASE))
                classes = LM_MESH_SUPP_DISEASE;
        }
        lm_buf_free(&h);
    }
    unsigned types = 0;
    if (classes & LM_MESH_DISEASE_CLASSES)
        types |= LM_ENT_BIT(LM_ENT_DISEASE);
    if (classes & LM_MESH_CHEMICAL_CLASSES)
        types |= LM_ENT_BIT(LM_ENT_CHEMICAL);
    if (!r->ui[0]) {
        mi->stats->skipped++;
        return LM_OK;
    }
    lm_buf_reset(&mi->variant);
    for (size_t i = 0; i < r->n_trees; i++)
        if ((i && lm_buf_append_char(&mi->variant, '|') != LM_OK) ||
            lm_buf_append_str(&mi->variant, r->trees[i]) != LM_OK)
            return nomem(err);
    lm_status st = classes ? lm_lexicon_builder_set_classes(mi->b, lm_buf_cstr(&mi->id),
                                                            classes, lm_buf_cstr(&mi->variant),
                                                            err)
                           : LM_OK;
    if (st == LM_OK && !types)
        mi->stats->skipped++;
    for (unsigned t = LM_ENT_CHEMICAL; t <= LM_ENT_GENE && st == LM_OK; t++) {
        if (!(types & LM_ENT_BIT(t)))
            continue;
        if (r->name[0])
            st = mesh_add(mi, (lm_ent_type)t, r->name, LM_LEX_PREFERRED, LM_LEX_SCORE_NAME, err);
        for (size_t i = 0; i < r->n_terms && st == LM_OK; i++)
            if (strcmp(r->terms[i], r->name) != 0)
                st = mesh_add(mi, (lm_ent_type)t, r->terms[i], LM_LEX_SYNONYM,
                              LM_LEX_SCORE_TERM, err);
    }
    return st;
}

lm_status lm_lexicon_import_mesh(lm_lexicon_builder *b, const char *path,
                                 lm_lexicon_import_stats *stats, lm_error *err)
{
    lm_lexicon_import_stats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof *stats);
    mesh_import mi = {b, stats, {0}, {0}};
    lm_buf_init(&mi.id);
    lm_buf_init(&mi.variant);
    lm_status st = lm_mesh_read(path, mesh_record, &mi, err);
    lm_buf_free(&mi.id);
    lm_buf_free(&mi.variant);
    return st;
}

/* Picks the greater name of the two (NLM's names sort by year). */
static lm_status keep_last(lm_buf *best, const char *dir, const char *name, lm_error *err)
{
    const char *cur = strrchr(lm_buf_cstr(best), '/');
    if (best->len && strcmp(cur ? cur + 1 : lm_buf_cstr(best), name) >= 0)
        return LM_OK;
    lm_buf_reset(best);
    if (lm_buf_printf(best, "%s/%s", dir, name) != LM_OK)
        return nomem(err);
    return LM_OK;
}

static int mesh_file_name(const char *name, const char *prefix)
{
    size_t n = strlen(name), k = strlen(prefix);
    if (n <= k + 4 || strncmp(name, prefix, k) != 0)
        return 0;
    return (n > 4 && strcmp(name + n - 4, ".xml") == 0) ||
           (n > 7 && strcmp(name + n - 7, ".xml.gz") == 0);
}

lm_status lm_lexicon_find_mesh(const char *dir, lm_buf *desc, lm_buf *supp, lm_error *err)
{
    lm_buf_reset(desc);
    lm_buf_reset(supp);
    DIR *d = opendir(dir);
    if (!d)
        return LM_OK;
    lm_status st = LM_OK;
    struct dirent *e;
    while (st == LM_OK && (e = readdir(d)) != NULL) {
        if (mesh_file_name(e->d_name, "desc"))
            st = keep_last(desc, dir, e->d_name, err);
        else if (mesh_file_name(e->d_name, "supp"))
            st = keep_last(supp, dir, e->d_name, err);
    }
    closedir(d);
    return st;
}

lm_status lm_lexicon_import_mesh_dir(lm_lexicon_builder *b, const char *dir, lm_error *err)
{
    lm_buf desc, supp;
    lm_buf_init(&desc);
    lm_buf_init(&supp);
    lm_status st = lm_lexicon_find_mesh(dir, &desc, &supp, err);
    if (st == LM_OK && desc.len)
        st = lm_lexicon_import_mesh(b, lm_buf_cstr(&desc), NULL, err);
    if (st == LM_OK && supp.len)
        st = lm_lexicon_import_mesh(b, lm_buf_cstr(&supp), NULL, err);
    lm_buf_free(&desc);
    lm_buf_free(&supp);
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
static lm_status add_parts(lm_lexicon_builder *b, lm_ent_type type, const char *id,
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
    lm_buf line, id, shown;
    lm_buf_init(&line);
    lm_buf_init(&id);
    lm_buf_init(&shown);
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
            st = lm_lexicon_builder_add(b, LM_ENT_GENE, gid, f[2], fl[2],
                                        LM_LEX_SYMBOL | LM_LEX_PREFERRED, LM_LEX_SCORE_SYMBOL, 1,
                                        err);
            stats->names++;
            /* shown as "SNCA (synuclein alpha)": the symbol alone ("LIGHT",
             * "PD") reads like any capitalised word */
            const char *full = nf > 11 && !is_blank_value(f[11], fl[11]) ? f[11] : f[8];
            size_t full_len = full == f[8] ? fl[8] : fl[11];
            if (st == LM_OK && !is_blank_value(full, full_len)) {
                lm_buf_reset(&shown);
                st = lm_buf_printf(&shown, "%.*s (%.*s)", (int)fl[2], f[2], (int)full_len,
                                   full) == LM_OK
                         ? lm_lexicon_builder_set_name(b, gid, lm_buf_cstr(&shown), err)
                         : nomem(err);
            }
        }
        if (st == LM_OK && nf > 10 && !is_blank_value(f[10], fl[10]))
            st = add_parts(b, LM_ENT_GENE, gid, f[10], fl[10], LM_LEX_SYMBOL,
                           LM_LEX_SCORE_SYMBOL, stats, err);
        if (st == LM_OK)
            st = add_parts(b, LM_ENT_GENE, gid, f[4], fl[4], LM_LEX_SYNONYM, LM_LEX_SCORE_SYN,
                           stats, err);
        if (st == LM_OK && nf > 11 && !is_blank_value(f[11], fl[11])) {
            st = lm_lexicon_builder_add(b, LM_ENT_GENE, gid, f[11], fl[11], 0,
                                        LM_LEX_SCORE_FULLNAME, 1, err);
            stats->names++;
        }
        if (st == LM_OK && !is_blank_value(f[8], fl[8])) {
            st = lm_lexicon_builder_add(b, LM_ENT_GENE, gid, f[8], fl[8], 0,
                                        LM_LEX_SCORE_FULLNAME, 1, err);
            stats->names++;
        }
        if (st == LM_OK && with_designations && nf > 13)
            st = add_parts(b, LM_ENT_GENE, gid, f[13], fl[13], LM_LEX_SYNONYM,
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
    lm_buf_free(&shown);
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
            st = lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, lm_buf_cstr(&id), nm->data, nm->len,
                                        LM_LEX_PREFERRED, LM_LEX_SCORE_FULLNAME, 1, err);
            stats->names++;
        }
        if (st == LM_OK && col_syn >= 0 && (size_t)col_syn < row.n)
            st = add_parts(b, LM_ENT_CHEMICAL, lm_buf_cstr(&id), lm_buf_cstr(&row.f[col_syn]),
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
            lm_ent_type t = lm_ent_type_from_label(mn->type);
            int qualified =
                t == LM_ENT_ANY || !mn->text ? -1 : lm_lexicon_qualify_id(t, mn->id, &id);
            if (qualified == -2) {
                st = nomem(err);
                break;
            }
            if (qualified != 0) {
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
    lm_status st = lm_corpus_load(path, &c, err);
    if (st == LM_OK)
        st = lm_lexicon_import_corpus(b, &c, stats, err);
    lm_pt_corpus_free(&c);
    return st;
}
