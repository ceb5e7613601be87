/*
 * `litmine export articles|mentions|concepts|pairs` — stored data for
 * spreadsheets, R/pandas and the field's tools.
 *
 * Rows stream from the store through lm_rows (CSV per RFC 4180, TSV, JSON
 * Lines) or, for mentions, as PubTator documents; memory stays flat for any
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
#include "../nlp/lm_lexicon.h"
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
    "usage: litmine export articles|mentions|concepts|pairs [--format csv|tsv|jsonl|pubtator]\n"
    "                      [--type Chemical|Disease|Gene] [--concept ID] [--since YYYY-MM-DD]\n"
    "                      [--query TEXT] [--min-score X] [--all-candidates] [--out FILE]\n"
    "                      [--excel]\n"
    "\n"
    "  --format F     csv (RFC 4180, default), tsv, jsonl; pubtator for mentions\n"
    "  --type T       mentions/concepts of this type; articles mentioning one\n"
    "  --concept ID   this concept, e.g. MESH:D003920 (pairs: as chemical or disease)\n"
    "  --since DATE   articles ingested on or after DATE\n"
    "  --query TEXT   articles whose title/abstract contain every word of TEXT\n"
    "                 (Greek letters match as symbols or names, accents are folded)\n"
    "  --min-score X  mentions/pairs scoring at least X (0..1)\n"
    "  --all-candidates  pairs: also the candidates no relation was found for\n"
    "                 (relation cooccurs)\n"
    "  --out FILE     write to FILE (atomically) instead of stdout\n"
    "  --excel        CSV for Excel: a UTF-8 byte-order mark, and text starting with\n"
    "                 = + - @ TAB or CR prefixed with ' so Excel never runs it as a\n"
    "                 formula (plain CSV keeps every text exactly as stored)\n"
    "\n"
    "Columns:\n"
    "  articles  pmid, version, title, abstract, journal, year, doi, language, date_revised\n"
    "  mentions  pmid, start, end, text, type, concept_id, sentence, score\n"
    "  concepts  concept_id, type, name, mentions, articles, first_year, last_year\n"
    "  pairs     pmid, chemical_id, chemical_text, disease_id, disease_text, relation,\n"
    "            score, evidence_start, evidence_end, evidence, chemical_name,\n"
    "            disease_name\n"
    "Offsets are character (code point) offsets into title + \" \" + abstract.\n";

static const char *const article_columns[] = {"pmid",  "version", "title",
                                              "abstract", "journal", "year",
                                              "doi",   "language", "date_revised"};
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
} export_ctx;

#define N_COLS(a) (sizeof a / sizeof a[0])

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
    if (st == LM_OK) st = lm_rows_end(r, err);
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

/* PubTator: the document's title and abstract lines before its first
 * mention, a blank line between documents. */
static lm_status write_pubtator_mention(void *ctx, const lm_mention_row *m)
{
    export_ctx *x = ctx;
    if (m->pmid != x->current_pmid) {
        lm_article a;
        lm_article_init(&a);
        lm_status st = lm_store_get_article(x->store, m->pmid, &a, NULL, NULL, x->err);
        if (st != LM_OK)
            return st;
        fprintf(x->out, "%s%" PRId64 "|t|%s\n%" PRId64 "|a|%s\n", x->current_pmid ? "\n" : "",
                a.pmid, a.title ? a.title : "", a.pmid, a.abstract ? a.abstract : "");
        lm_article_free(&a);
        x->current_pmid = m->pmid;
    }
    fprintf(x->out, "%" PRId64 "\t%d\t%d\t%s\t%s\t%s\n", m->pmid, m->start, m->end, m->text,
            m->type, m->concept_id ? m->concept_id : "");
    if (ferror(x->out))
        return lm_error_set(x->err, LM_ERR_IO, "write failed: %s", strerror(errno));
    return LM_OK;
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

typedef enum table { T_ARTICLES, T_MENTIONS, T_CONCEPTS, T_PAIRS } table;

static int parse_table(const char *name, table *t)
{
    static const char *const names[] = {"articles", "mentions", "concepts", "pairs"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *t = (table)i;
            return 1;
        }
    return 0;
}

static lm_status run_export(lm_store *store, table t, const lm_export_filter *f, int pubtator,
                            export_ctx *x, lm_error *err)
{
    switch (t) {
    case T_ARTICLES: return lm_store_export_articles(store, f, write_article, x, err);
    case T_MENTIONS:
        return lm_store_export_mentions(store, f, pubtator ? write_pubtator_mention : write_mention,
                                        x, err);
    case T_CONCEPTS: return lm_store_export_concepts(store, f, write_concept, x, err);
    case T_PAIRS: return lm_store_export_pairs(store, f, write_pair, x, err);
    }
    return LM_ERR_USAGE;
}

int lm_cmd_export(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'}, {"out", required_argument, NULL, 'o'},
        {"excel", no_argument, NULL, 'x'},        {"type", required_argument, NULL, 't'},
        {"concept", required_argument, NULL, 'c'}, {"since", required_argument, NULL, 's'},
        {"query", required_argument, NULL, 'q'},  {"min-score", required_argument, NULL, 'm'},
        {"all-candidates", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    lm_error err;
    lm_rows_format format = LM_ROWS_CSV;
    int pubtator = 0, excel = 0;
    const char *out_path = NULL, *query = NULL;
    lm_export_filter f = {0};
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "pubtator") == 0) {
                pubtator = 1;
            } else if (lm_rows_parse_format(optarg, &format, &err) != LM_OK) {
                lm_cli_error(cli, "%s", err.msg);
                return LM_EXIT_USAGE;
            }
            break;
        case 'o': out_path = optarg; break;
        case 'x': excel = 1; break;
        case 't':
            if (strcmp(optarg, "Chemical") && strcmp(optarg, "Disease") && strcmp(optarg, "Gene")) {
                lm_cli_error(cli, "--type: expected Chemical, Disease or Gene, got \"%s\"", optarg);
                return LM_EXIT_USAGE;
            }
            f.type = optarg;
            break;
        case 'c': f.concept = optarg; break;
        case 's':
            if (strlen(optarg) < 10 || optarg[4] != '-' || optarg[7] != '-') {
                lm_cli_error(cli, "--since: expected YYYY-MM-DD, got \"%s\"", optarg);
                return LM_EXIT_USAGE;
            }
            f.since = optarg;
            break;
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
            lm_cli_error(cli, "export: unknown or incomplete option '%s'", argv[optind - 1]);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    table t;
    if (optind != argc - 1 || !parse_table(argv[optind], &t)) {
        lm_cli_error(cli, "export: expected one of articles, mentions, concepts, pairs");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    if (pubtator && t != T_MENTIONS) {
        lm_cli_error(cli, "export: --format pubtator is for mentions");
        return LM_EXIT_USAGE;
    }
    if ((t == T_PAIRS && f.type) || (t == T_ARTICLES && f.has_min_score) ||
        (t != T_PAIRS && f.all_candidates)) {
        lm_cli_error(cli, "export %s: %s does not apply", argv[optind],
                     t == T_PAIRS       ? "--type"
                     : f.all_candidates ? "--all-candidates"
                                        : "--min-score");
        return LM_EXIT_USAGE;
    }
    f.words = query;

    lm_store *store;
    int rc = lm_cli_open_store(cli, 1, &store);
    if (rc != LM_EXIT_OK)
        return rc;
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
        export_ctx x = {.err = &err, .out = out, .store = store};
        if (t == T_CONCEPTS || t == T_PAIRS)
            x.names = names = lm_cli_load_names(cli);
        static const char *const *const columns[] = {article_columns, mention_columns,
                                                      concept_columns, pair_columns};
        static const size_t n_columns[] = {N_COLS(article_columns), N_COLS(mention_columns),
                                           N_COLS(concept_columns), N_COLS(pair_columns)};
        if (!pubtator)
            st = lm_rows_init(&x.rows, out, format, columns[t], n_columns[t], excel, &err);
        if (st == LM_OK)
            st = run_export(store, t, &f, pubtator, &x, &err);
        if (st == LM_OK && pubtator && x.current_pmid)
            fputc('\n', out);
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
    lm_lexicon_free(names);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
