/*
 * `litmine export articles|authors|mentions|concepts|pairs` — stored data
 * for spreadsheets, R/pandas and the field's tools.
 *
 * Rows stream from the store through lm_rows (CSV per RFC 4180, TSV, JSON
 * Lines); the document formats (PubTator, BioC XML and JSON) write every
 * selected article with its mentions and relations, one document at a
 * time (nlp/eval/lm_bioc, nlp/lm_pubtator); memory stays flat for any
 * database size.  With --out the rows go to FILE.partial first and the
 * file is renamed into place only after the last row is written and
 * flushed, so a failed export (disk full, Ctrl-C) never leaves a truncated
 * FILE that a script could take for a complete one.  Column order is part
 * of the interface (docs/usage.md) and only ever grows at the end.
 *
 * Concepts are named as the lexicon names them (MeSH heading, gene symbol
 * and name, DrugBank name), not by how an abstract spelled them; pairs are
 * the pipeline's decisions, and the candidates it left as co-occurrences
 * only with --all-candidates.
 */
#include "../nlp/eval/lm_bioc.h"
#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_pubtator.h"
#include "../pipeline/lm_annotated.h"
#include "../store/lm_store_export.h"
#include "../util/lm_buf.h"
#include "../util/lm_file.h"
#include "../util/lm_rows.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: litmine export articles|authors|mentions|concepts|pairs\n"
    "                      [--format csv|tsv|jsonl|pubtator|bioc-xml|bioc-json]\n"
    "                      [--type T] [--concept ID] [--pmid ID] [--pmids FILE]\n"
    "                      [--ingested-since DATE] [--year-from Y] [--year-to Y]\n"
    "                      [--query TEXT] [--min-score X] [--all-candidates]\n"
    "                      [--pubtator3-ids] [--out FILE] [--excel]\n"
    "\n"
    "  --format F     csv (RFC 4180, default), tsv, jsonl; or a document format:\n"
    "                 pubtator, bioc-xml, bioc-json (every selected article with its\n"
    "                 mentions and relations, whatever the table named)\n"
    "  --type T       mentions/concepts of this type (Chemical, Disease, Gene; any\n"
    "                 case); articles/authors: articles mentioning one\n"
    "  --concept ID   this concept, e.g. MESH:D003920 (pairs: as chemical or disease)\n"
    "  --pmid ID      this article only\n"
    "  --pmids FILE   the articles listed in FILE, one PMID a line ('-': stdin)\n"
    "  --ingested-since DATE  articles ingested on or after DATE (YYYY-MM-DD or\n"
    "                 YYYY/MM/DD; --since is the same)\n"
    "  --year-from Y, --year-to Y  articles published in these years (inclusive)\n"
    "  --query TEXT   articles whose title/abstract contain every word of TEXT\n"
    "                 (Greek letters match as symbols or names, accents are folded)\n"
    "  --min-score X  mentions/pairs scoring at least X (0..1)\n"
    "  --all-candidates  pairs: also the candidates no relation was found for\n"
    "                 (relation cooccurs)\n"
    "  --pubtator3-ids  document formats: gene ids bare as PubTator3 writes them\n"
    "                 (672, not NCBIGene:672)\n"
    "  --out FILE     write to FILE (atomically) instead of stdout\n"
    "  --excel        CSV for Excel: a UTF-8 byte-order mark, and text starting with\n"
    "                 = + - @ TAB or CR prefixed with ' so Excel never runs it as a\n"
    "                 formula (plain CSV keeps every text exactly as stored)\n"
    "\n"
    "Columns:\n"
    "  articles  pmid, version, title, abstract, journal, year, doi, language, date_revised,\n"
    "            pmcid, authors, keywords, mesh, chemicals, grants, cited_pmids\n"
    "            (lists joined with \"; \"; mesh: *major, Descriptor/qualifier)\n"
    "  authors   pmid, position, last_name, fore_name, initials, collective_name, orcid,\n"
    "            affiliations (joined with \" | \")\n"
    "  mentions  pmid, start, end, text, type, concept_id, sentence, score\n"
    "  concepts  concept_id, type, name, mentions, articles, first_year, last_year\n"
    "  pairs     pmid, chemical_id, chemical_text, disease_id, disease_text, relation,\n"
    "            score, evidence_start, evidence_end, evidence, chemical_name,\n"
    "            disease_name\n"
    "Offsets are character (code point) offsets into title + \" \" + abstract.\n";

static const char *const article_columns[] = {
    "pmid",    "version", "title", "abstract", "journal",   "year",   "doi",        "language",
    "date_revised", "pmcid", "authors", "keywords", "mesh", "chemicals", "grants", "cited_pmids"};
static const char *const author_columns[] = {"pmid",     "position",        "last_name",
                                             "fore_name", "initials",       "collective_name",
                                             "orcid",    "affiliations"};
static const char *const mention_columns[] = {"pmid", "start",      "end",      "text",
                                              "type", "concept_id", "sentence", "score"};
static const char *const concept_columns[] = {"concept_id", "type",       "name",     "mentions",
                                              "articles",   "first_year", "last_year"};
static const char *const pair_columns[] = {"pmid",         "chemical_id", "chemical_text",
                                           "disease_id",   "disease_text", "relation",
                                           "score",        "evidence_start", "evidence_end",
                                           "evidence",     "chemical_name", "disease_name"};

typedef struct export_ctx {
    lm_rows rows;
    lm_error *err;
    /* PubTator output */
    FILE *out;
    lm_store *store;
    int64_t current_pmid;
    const lm_lexicon *names;   /* concept display names, may be NULL */
    /* document formats */
    const lm_export_filter *filter;
    int doc_format;            /* 0: rows; else a table of its own */
    lm_bioc_writer bioc;
    unsigned bioc_flags;
} export_ctx;

#define N_COLS(a) (sizeof a / sizeof a[0])

/* The article's lists as one "; "-joined text: 0 authors ("Last FM"),
 * 1 keywords, 2 MeSH ("*" for major, "Descriptor/qualifier"), 3 chemicals,
 * 4 grant ids, 5 cited PMIDs. */
static lm_status join_list(const lm_article *a, int which, lm_buf *out)
{
    lm_status st = LM_OK;
    size_t n = which == 0 ? a->n_authors : which == 1 ? a->n_keywords : which == 2 ? a->n_mesh
             : which == 3 ? a->n_chemicals : which == 4 ? a->n_grants : a->n_references;
    for (size_t i = 0; st == LM_OK && i < n; i++) {
        const char *sep = out->len ? "; " : "";
        if (which == 0) {
            const lm_author *au = &a->authors[i];
            st = au->collective ? lm_buf_printf(out, "%s%s", sep, au->collective)
                                : lm_buf_printf(out, "%s%s%s%s", sep, au->last_name ? au->last_name : "",
                                                au->initials ? " " : "", au->initials ? au->initials : "");
        } else if (which == 1) {
            st = lm_buf_printf(out, "%s%s", sep, a->keywords[i].keyword);
        } else if (which == 2) {
            const lm_mesh_heading *h = &a->mesh[i];
            st = lm_buf_printf(out, "%s%s%s", sep, h->major_topic ? "*" : "", h->name ? h->name : "");
            for (size_t k = 0; st == LM_OK && k < h->n_qualifiers; k++)
                st = lm_buf_printf(out, "/%s", h->qualifiers[k].name ? h->qualifiers[k].name : "");
        } else if (which == 3) {
            st = lm_buf_printf(out, "%s%s", sep, a->chemicals[i].name);
        } else if (which == 4) {
            if (a->grants[i].grant_id)
                st = lm_buf_printf(out, "%s%s", sep, a->grants[i].grant_id);
        } else if (a->references[i].pmid > 0 && strcmp(a->references[i].kind, "Cites") == 0) {
            st = lm_buf_printf(out, "%s%" PRId64, sep, a->references[i].pmid);
        }
    }
    return st;
}

static lm_status write_article(void *ctx, const lm_article *a)
{
    export_ctx *x = ctx;
    lm_rows *r = &x->rows;
    lm_error *err = x->err;
    lm_status st = lm_rows_int(r, a->pmid, err);
    if (st == LM_OK) st = lm_rows_int(r, a->version, err);
    if (st == LM_OK) st = lm_rows_text(r, a->title ? a->title : "", err);
    if (st == LM_OK) st = lm_rows_text(r, a->abstract ? a->abstract : "", err);
    if (st == LM_OK) st = lm_rows_text(r, a->journal, err);
    if (st == LM_OK) st = a->year ? lm_rows_int(r, a->year, err) : lm_rows_null(r, err);
    if (st == LM_OK) st = lm_rows_text(r, a->doi, err);
    if (st == LM_OK) st = lm_rows_text(r, a->language, err);
    if (st == LM_OK) st = lm_rows_text(r, a->date_revised, err);
    /* The bibliographic lists live in their own tables: load them. */
    lm_article full;
    lm_article_init(&full);
    if (st == LM_OK)
        st = lm_store_get_article(x->store, a->pmid, &full, NULL, NULL, err);
    lm_buf list;
    lm_buf_init(&list);
    if (st == LM_OK) st = lm_rows_text(r, full.pmcid, err);
    for (int col = 0; st == LM_OK && col < 6; col++) {
        lm_buf_reset(&list);
        st = join_list(&full, col, &list);
        if (st != LM_OK)
            st = lm_error_set(err, st, "out of memory");
        else
            st = list.len ? lm_rows_text(r, lm_buf_cstr(&list), err) : lm_rows_null(r, err);
    }
    lm_buf_free(&list);
    lm_article_free(&full);
    if (st == LM_OK) st = lm_rows_end(r, err);
    return st;
}

static lm_status write_authors(void *ctx, const lm_article *a)
{
    export_ctx *x = ctx;
    lm_rows *r = &x->rows;
    lm_error *err = x->err;
    lm_article full;
    lm_article_init(&full);
    lm_status st = lm_store_get_article(x->store, a->pmid, &full, NULL, NULL, err);
    lm_buf affs;
    lm_buf_init(&affs);
    for (size_t i = 0; st == LM_OK && i < full.n_authors; i++) {
        const lm_author *au = &full.authors[i];
        lm_buf_reset(&affs);
        for (size_t k = 0; st == LM_OK && k < au->n_affiliations; k++)
            if (lm_buf_printf(&affs, "%s%s", k ? " | " : "", au->affiliations[k]) != LM_OK)
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        if (st == LM_OK) st = lm_rows_int(r, full.pmid, err);
        if (st == LM_OK) st = lm_rows_int(r, (int64_t)i + 1, err);
        if (st == LM_OK) st = lm_rows_text(r, au->last_name, err);
        if (st == LM_OK) st = lm_rows_text(r, au->fore_name, err);
        if (st == LM_OK) st = lm_rows_text(r, au->initials, err);
        if (st == LM_OK) st = lm_rows_text(r, au->collective, err);
        if (st == LM_OK) st = lm_rows_text(r, au->orcid, err);
        if (st == LM_OK) st = affs.len ? lm_rows_text(r, lm_buf_cstr(&affs), err) : lm_rows_null(r, err);
        if (st == LM_OK) st = lm_rows_end(r, err);
    }
    lm_buf_free(&affs);
    lm_article_free(&full);
    return st;
}

/* Keeps the annotations a document export shows: mentions of --type and
 * at --min-score, pairs at --min-score (co-occurrences only with
 * --all-candidates, which lm_annotated_load already applied). */
static void filter_doc(lm_doc *d, const lm_export_filter *f)
{
    size_t kept = 0;
    for (size_t i = 0; i < d->n_mentions; i++) {
        lm_doc_mention *m = &d->mentions[i];
        int keep = (!f->type || strcmp(lm_ent_type_name(m->type), f->type) == 0) &&
                   (!f->has_min_score || m->score >= f->min_score);
        if (keep) {
            d->mentions[kept++] = *m;
        } else {
            free(m->text);
            free(m->concept_id);
        }
    }
    d->n_mentions = kept;
    kept = 0;
    for (size_t i = 0; i < d->n_pairs; i++) {
        lm_doc_pair *p = &d->pairs[i];
        if (!f->has_min_score || p->score >= f->min_score) {
            d->pairs[kept++] = *p;
        } else {
            free(p->chem_id);
            free(p->chem_text);
            free(p->dis_id);
            free(p->dis_text);
        }
    }
    d->n_pairs = kept;
}

/* PubTator: every document, with its mention lines and one relation line
 * per pair (PMID, relation, chemical id, disease id). */
static lm_status write_pubtator_doc(export_ctx *x, const lm_annotated *an)
{
    const lm_doc *d = &an->doc;
    char pmid[32];
    snprintf(pmid, sizeof pmid, "%" PRId64, an->article.pmid);
    lm_pt_doc pt;
    lm_pt_doc_init(&pt);
    pt.pmid = pmid;
    pt.title = an->article.title;
    pt.abstract = an->article.abstract;
    lm_pt_mention *ms = calloc(d->n_mentions ? d->n_mentions : 1, sizeof *ms);
    lm_pt_relation *rs = calloc(d->n_pairs ? d->n_pairs : 1, sizeof *rs);
    if (!ms || !rs) {
        free(ms);
        free(rs);
        return lm_error_set(x->err, LM_ERR_NOMEM, "out of memory");
    }
    int bare = (x->bioc_flags & LM_BIOC_PUBTATOR3_IDS) != 0;
    for (size_t i = 0; i < d->n_mentions; i++) {
        const lm_doc_mention *m = &d->mentions[i];
        /* Borrowed strings: lm_pubtator_write only reads them. */
        ms[i].start = m->start;
        ms[i].end = m->end;
        ms[i].text = m->text;
        ms[i].type = (char *)lm_ent_type_name(m->type);
        ms[i].id = bare ? (char *)lm_bioc_pubtator3_id(m->concept_id) : m->concept_id;
    }
    for (size_t i = 0; i < d->n_pairs; i++) {
        rs[i].type = (char *)d->pairs[i].relation;
        rs[i].id1 = bare ? (char *)lm_bioc_pubtator3_id(d->pairs[i].chem_id) : d->pairs[i].chem_id;
        rs[i].id2 = bare ? (char *)lm_bioc_pubtator3_id(d->pairs[i].dis_id) : d->pairs[i].dis_id;
    }
    pt.mentions = ms;
    pt.n_mentions = d->n_mentions;
    pt.relations = rs;
    pt.n_relations = d->n_pairs;
    lm_status st = lm_pubtator_write(x->out, &pt, x->err);
    free(ms);
    free(rs);
    return st;
}

static lm_status write_document(void *ctx, const lm_article *a)
{
    export_ctx *x = ctx;
    lm_annotated an;
    lm_annotated_init(&an);
    lm_status st = lm_annotated_load(x->store, a->pmid, x->filter->all_candidates, &an, x->err);
    if (st == LM_OK) {
        filter_doc(&an.doc, x->filter);
        st = x->doc_format == 'p' ? write_pubtator_doc(x, &an)
                                  : lm_bioc_write_doc(&x->bioc, &an.article, &an.doc, x->err);
    }
    lm_annotated_free(&an);
    return st;
}

static lm_status write_mention(void *ctx, const lm_mention_row *m)
{
    export_ctx *x = ctx;
    lm_rows *r = &x->rows;
    lm_error *err = x->err;
    lm_status st = lm_rows_int(r, m->pmid, err);
    if (st == LM_OK) st = lm_rows_int(r, m->start, err);
    if (st == LM_OK) st = lm_rows_int(r, m->end, err);
    if (st == LM_OK) st = lm_rows_text(r, m->text, err);
    if (st == LM_OK) st = lm_rows_text(r, m->type, err);
    if (st == LM_OK) st = lm_rows_text(r, m->concept_id, err);
    if (st == LM_OK) st = m->sentence >= 0 ? lm_rows_int(r, m->sentence, err) : lm_rows_null(r, err);
    if (st == LM_OK) st = lm_rows_real(r, m->score, err);
    if (st == LM_OK) st = lm_rows_end(r, err);
    return st;
}

static lm_status write_concept(void *ctx, const lm_concept_row *c)
{
    export_ctx *x = ctx;
    lm_rows *r = &x->rows;
    lm_error *err = x->err;
    lm_status st = lm_rows_text(r, c->concept_id, err);
    if (st == LM_OK) st = lm_rows_text(r, c->type, err);
    if (st == LM_OK) st = lm_rows_text(r, lm_cli_concept_name(x->names, c->concept_id, c->name), err);
    if (st == LM_OK) st = lm_rows_int(r, c->mentions, err);
    if (st == LM_OK) st = lm_rows_int(r, c->articles, err);
    if (st == LM_OK) st = c->first_year ? lm_rows_int(r, c->first_year, err) : lm_rows_null(r, err);
    if (st == LM_OK) st = c->last_year ? lm_rows_int(r, c->last_year, err) : lm_rows_null(r, err);
    if (st == LM_OK) st = lm_rows_end(r, err);
    return st;
}

static lm_status write_pair(void *ctx, const lm_pair_row *p)
{
    export_ctx *x = ctx;
    lm_rows *r = &x->rows;
    lm_error *err = x->err;
    int has_ev = p->evidence_start >= 0;
    lm_status st = lm_rows_int(r, p->pmid, err);
    if (st == LM_OK) st = lm_rows_text(r, p->chemical_id, err);
    if (st == LM_OK) st = lm_rows_text(r, p->chemical_text, err);
    if (st == LM_OK) st = lm_rows_text(r, p->disease_id, err);
    if (st == LM_OK) st = lm_rows_text(r, p->disease_text, err);
    if (st == LM_OK) st = lm_rows_text(r, p->relation, err);
    if (st == LM_OK) st = lm_rows_real(r, p->score, err);
    if (st == LM_OK) st = has_ev ? lm_rows_int(r, p->evidence_start, err) : lm_rows_null(r, err);
    if (st == LM_OK) st = has_ev ? lm_rows_int(r, p->evidence_end, err) : lm_rows_null(r, err);
    if (st == LM_OK) st = lm_rows_text(r, p->evidence, err);
    if (st == LM_OK) st = lm_rows_text(r, lm_cli_concept_name(x->names, p->chemical_id, NULL), err);
    if (st == LM_OK) st = lm_rows_text(r, lm_cli_concept_name(x->names, p->disease_id, NULL), err);
    if (st == LM_OK) st = lm_rows_end(r, err);
    return st;
}

typedef enum table { T_ARTICLES, T_MENTIONS, T_CONCEPTS, T_PAIRS, T_AUTHORS } table;

static int parse_table(const char *name, table *t)
{
    static const char *const names[] = {"articles", "mentions", "concepts", "pairs", "authors"};
    for (int i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0) {
            *t = (table)i;
            return 1;
        }
    return 0;
}

static lm_status run_export(lm_store *store, table t, const lm_export_filter *f, export_ctx *x,
                            lm_error *err)
{
    if (x->doc_format) {
        /* Every article the filters select, whether or not it has
         * mentions: --type narrows the annotations, not the documents. */
        lm_export_filter docs = *f;
        docs.type = NULL;
        return lm_store_export_articles(store, &docs, write_document, x, err);
    }
    switch (t) {
    case T_ARTICLES: return lm_store_export_articles(store, f, write_article, x, err);
    case T_AUTHORS: return lm_store_export_articles(store, f, write_authors, x, err);
    case T_MENTIONS: return lm_store_export_mentions(store, f, write_mention, x, err);
    case T_CONCEPTS: return lm_store_export_concepts(store, f, write_concept, x, err);
    case T_PAIRS: return lm_store_export_pairs(store, f, write_pair, x, err);
    }
    return LM_ERR_USAGE;
}

int lm_cmd_export(lm_cli *cli, int argc, char **argv)
{
    enum { O_PMID = 256, O_PMIDS, O_YEAR_FROM, O_YEAR_TO, O_PT3 };
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'}, {"out", required_argument, NULL, 'o'},
        {"excel", no_argument, NULL, 'x'},        {"type", required_argument, NULL, 't'},
        {"concept", required_argument, NULL, 'c'}, {"since", required_argument, NULL, 's'},
        {"ingested-since", required_argument, NULL, 's'},
        {"year-from", required_argument, NULL, O_YEAR_FROM},
        {"year-to", required_argument, NULL, O_YEAR_TO},
        {"pmid", required_argument, NULL, O_PMID}, {"pmids", required_argument, NULL, O_PMIDS},
        {"pubtator3-ids", no_argument, NULL, O_PT3},
        {"query", required_argument, NULL, 'q'},  {"min-score", required_argument, NULL, 'm'},
        {"all-candidates", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    lm_error err;
    lm_rows_format format = LM_ROWS_CSV;
    int doc_format = 0, excel = 0;
    unsigned bioc_flags = 0;
    const char *out_path = NULL, *query = NULL, *pmids_path = NULL;
    char since[11];
    lm_export_filter f = {0};
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    long v;
    while ((c = lm_cli_getopt(&scan, argc, argv, "ho:", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "pubtator") == 0) {
                doc_format = 'p';
            } else if (strcmp(optarg, "bioc-xml") == 0 || strcmp(optarg, "bioc") == 0) {
                doc_format = 'x';
            } else if (strcmp(optarg, "bioc-json") == 0) {
                doc_format = 'j';
            } else if (lm_rows_parse_format(optarg, &format, &err) != LM_OK) {
                lm_cli_error(cli, "%s (or pubtator, bioc-xml, bioc-json)", err.msg);
                return LM_EXIT_USAGE;
            }
            break;
        case 'o': out_path = optarg; break;
        case 'x': excel = 1; break;
        case 't':
            if (!(f.type = lm_cli_parse_type(cli, "--type", optarg)))
                return LM_EXIT_USAGE;
            break;
        case 'c': f.concept = optarg; break;
        case 's':
            if (!lm_cli_parse_date(cli, "--ingested-since", optarg, '-', since))
                return LM_EXIT_USAGE;
            f.since = since;
            break;
        case O_YEAR_FROM:
        case O_YEAR_TO:
            if (!lm_cli_parse_long(cli, c == O_YEAR_FROM ? "--year-from" : "--year-to", optarg, 1,
                                   9999, &v))
                return LM_EXIT_USAGE;
            *(c == O_YEAR_FROM ? &f.year_from : &f.year_to) = (int)v;
            break;
        case O_PMID:
            if (!lm_cli_parse_long(cli, "--pmid", optarg, 1, 999999999999L, &v))
                return LM_EXIT_USAGE;
            f.pmid = v;
            break;
        case O_PMIDS: pmids_path = optarg; break;
        case O_PT3: bioc_flags |= LM_BIOC_PUBTATOR3_IDS; break;
        case 'q': query = optarg; break;
        case 'A': f.all_candidates = 1; break;
        case 'm': {
            char *end;
            f.min_score = strtod(optarg, &end);
            if (*end || end == optarg || f.min_score < 0 || f.min_score > 1) {
                lm_cli_error(cli, "--min-score: expected a number in 0..1, got \"%s\"", optarg);
                return LM_EXIT_USAGE;
            }
            f.has_min_score = 1;
            break;
        }
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_bad_option(cli, "export", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    table t;
    if (optind != argc - 1 || !parse_table(argv[optind], &t)) {
        lm_cli_error(cli, "export: expected one of articles, authors, mentions, concepts, pairs");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    if (doc_format && t == T_CONCEPTS) {
        lm_cli_error(cli, "export concepts: document formats (pubtator, bioc-xml, bioc-json) "
                          "are for articles, mentions and pairs");
        return LM_EXIT_USAGE;
    }
    if (!doc_format && bioc_flags) {
        lm_cli_error(cli, "export: --pubtator3-ids is for --format pubtator, bioc-xml, bioc-json");
        return LM_EXIT_USAGE;
    }
    if (f.year_from && f.year_to && f.year_from > f.year_to) {
        lm_cli_error(cli, "export: --year-from %d is after --year-to %d", f.year_from, f.year_to);
        return LM_EXIT_USAGE;
    }
    if (!doc_format && ((t == T_PAIRS && f.type) ||
                        ((t == T_ARTICLES || t == T_AUTHORS) && f.has_min_score) ||
                        (t != T_PAIRS && f.all_candidates))) {
        lm_cli_error(cli, "export %s: %s does not apply", argv[optind],
                     t == T_PAIRS       ? "--type"
                     : f.all_candidates ? "--all-candidates"
                                        : "--min-score");
        return LM_EXIT_USAGE;
    }
    int64_t *pmids = NULL;
    static const int64_t none = 0;
    if (pmids_path) {
        if (!lm_cli_read_pmids(cli, pmids_path, &pmids, &f.n_pmids))
            return LM_EXIT_USAGE;
        /* An empty list selects nothing, not everything. */
        f.pmids = pmids ? pmids : &none;
    }
    f.words = query;

    lm_store *store;
    int rc = lm_cli_open_store(cli, 1, &store);
    if (rc != LM_EXIT_OK) {
        free(pmids);
        return rc;
    }
    FILE *out = stdout;
    lm_lexicon *names = NULL;
    lm_file_atomic file = {0};
    lm_status st = LM_OK;
    /* A device or pipe (/dev/null, a FIFO a reader waits on) is written
     * directly: renaming a finished file over it would replace it. */
    struct stat sb;
    int direct = out_path && stat(out_path, &sb) == 0 && !S_ISREG(sb.st_mode);
    if (out_path && direct) {
        out = fopen(out_path, "wb");
        if (!out)
            st = lm_error_set(&err, LM_ERR_IO, "cannot create %s: %s", out_path,
                              strerror(errno));
    } else if (out_path) {
        st = lm_file_atomic_begin(&file, out_path, &err);
        out = file.f;
    }
    if (st == LM_OK) {
        export_ctx x = {.err = &err, .out = out, .store = store, .filter = &f,
                        .doc_format = doc_format, .bioc_flags = bioc_flags};
        if (!doc_format && (t == T_CONCEPTS || t == T_PAIRS))
            x.names = names = lm_cli_load_names(cli);
        static const char *const *const columns[] = {article_columns, mention_columns,
                                                      concept_columns, pair_columns,
                                                      author_columns};
        static const size_t n_columns[] = {N_COLS(article_columns), N_COLS(mention_columns),
                                           N_COLS(concept_columns), N_COLS(pair_columns),
                                           N_COLS(author_columns)};
        if (!doc_format)
            st = lm_rows_init(&x.rows, out, format, columns[t], n_columns[t], excel, &err);
        else if (doc_format != 'p')
            st = lm_bioc_begin(&x.bioc, out, doc_format == 'x' ? LM_BIOC_XML : LM_BIOC_JSON,
                               bioc_flags, &err);
        if (st == LM_OK)
            st = run_export(store, t, &f, &x, &err);
        if (st == LM_OK && doc_format && doc_format != 'p')
            st = lm_bioc_end(&x.bioc, &err);
        if (st == LM_OK && fflush(out) != 0)
            st = lm_error_set(&err, LM_ERR_IO, "write failed: %s", strerror(errno));
        if (out_path && direct && fclose(out) != 0 && st == LM_OK)
            st = lm_error_set(&err, LM_ERR_IO, "write failed: %s", strerror(errno));
        else if (out_path && !direct && st == LM_OK)
            st = lm_file_atomic_commit(&file, &err);
    }
    if (file.f)
        lm_file_atomic_abort(&file);   /* a failed export leaves no file behind */
    if (st != LM_OK)
        lm_cli_error(cli, "export: %s", err.msg);
    free(pmids);
    lm_lexicon_free(names);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
