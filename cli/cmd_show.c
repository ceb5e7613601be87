/*
 * `litmine show PMID [--json]` — one stored article, as readable text or
 * as a JSON object whose keys match the JSONL export, with the
 * chemical–disease relations the pipeline found in it (the rows `export
 * pairs` gives, concepts shown by their lexicon names).
 */
#include "../nlp/lm_lexicon.h"
#include "../store/lm_store_export.h"
#include "../util/lm_rows.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: litmine show [--json] PMID\n"
    "\n"
    "Prints a stored article with its MeSH headings, publication types and the\n"
    "chemical-disease relations found in it.\n";

static void print_text(const lm_article *a, const char *source, const char *ingested_at)
{
    printf("PMID:       %" PRId64 " (version %d)%s\n", a->pmid, a->version,
           a->is_book ? " [book]" : "");
    printf("Title:      %s\n", a->title ? a->title : "");
    if (a->journal)
        printf("Journal:    %s\n", a->journal);
    if (a->year)
        printf("Year:       %d\n", a->year);
    if (a->doi)
        printf("DOI:        %s\n", a->doi);
    if (a->language)
        printf("Language:   %s\n", a->language);
    if (a->date_revised)
        printf("Revised:    %s\n", a->date_revised);
    for (size_t i = 0; i < a->n_pubtypes; i++)
        printf("%s%s\n", i ? "            " : "Type:       ", a->pubtypes[i].name);
    for (size_t i = 0; i < a->n_mesh; i++)
        printf("%s%s%s (%s)\n", i ? "            " : "MeSH:       ",
               a->mesh[i].major_topic ? "*" : "", a->mesh[i].name,
               a->mesh[i].ui ? a->mesh[i].ui : "-");
    printf("Source:     %s, ingested %s\n", source ? source : "-",
           ingested_at ? ingested_at : "-");
    printf("\n%s\n", a->abstract && a->abstract[0] ? a->abstract : "(no abstract)");
}

/* The article's relations, gathered from the pairs export. */
typedef struct relations {
    lm_pair_row *v;
    size_t n;
} relations;

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

static lm_status keep_pair(void *ctx, const lm_pair_row *r)
{
    relations *rel = ctx;
    lm_pair_row *v = realloc(rel->v, (rel->n + 1) * sizeof *v);
    if (!v)
        return LM_ERR_NOMEM;
    rel->v = v;
    lm_pair_row c = *r;
    c.chemical_id = dup_opt(r->chemical_id);
    c.chemical_text = dup_opt(r->chemical_text);
    c.disease_id = dup_opt(r->disease_id);
    c.disease_text = dup_opt(r->disease_text);
    c.relation = dup_opt(r->relation);
    c.evidence = dup_opt(r->evidence);
    rel->v[rel->n++] = c;
    return LM_OK;
}

static void relations_free(relations *rel)
{
    for (size_t i = 0; i < rel->n; i++) {
        free((char *)rel->v[i].chemical_id);
        free((char *)rel->v[i].chemical_text);
        free((char *)rel->v[i].disease_id);
        free((char *)rel->v[i].disease_text);
        free((char *)rel->v[i].relation);
        free((char *)rel->v[i].evidence);
    }
    free(rel->v);
}

static void print_relations_text(const relations *rel, const lm_lexicon *names)
{
    for (size_t i = 0; i < rel->n; i++) {
        const lm_pair_row *r = &rel->v[i];
        printf("%s%s %s %s (%.2f)\n", i ? "            " : "Relations:  ",
               lm_cli_concept_name(names, r->chemical_id, r->chemical_text), r->relation,
               lm_cli_concept_name(names, r->disease_id, r->disease_text), r->score);
        printf("              %s -> %s", r->chemical_id, r->disease_id);
        if (r->evidence)
            printf(": \"%s\"", r->evidence);
        putchar('\n');
    }
}

static void print_json(const lm_article *a, const char *source, const char *ingested_at,
                       const relations *rel, const lm_lexicon *names)
{
    lm_json_writer w;
    lm_json_writer_init(&w, stdout);
    lm_json_begin_object(&w);
    lm_json_member_int(&w, "pmid", a->pmid);
    lm_json_member_int(&w, "version", a->version);
    lm_json_member_str(&w, "title", a->title ? a->title : "");
    lm_json_member_str(&w, "abstract", a->abstract ? a->abstract : "");
    lm_json_member_str(&w, "journal", a->journal);
    lm_json_write_key(&w, "year");
    if (a->year)
        lm_json_write_int(&w, a->year);
    else
        lm_json_write_null(&w);
    lm_json_member_str(&w, "doi", a->doi);
    lm_json_member_str(&w, "language", a->language);
    lm_json_member_str(&w, "date_revised", a->date_revised);
    lm_json_write_key(&w, "is_book");
    lm_json_write_bool(&w, a->is_book);
    lm_json_write_key(&w, "mesh");
    lm_json_begin_array(&w);
    for (size_t i = 0; i < a->n_mesh; i++) {
        lm_json_begin_object(&w);
        lm_json_member_str(&w, "ui", a->mesh[i].ui);
        lm_json_member_str(&w, "name", a->mesh[i].name);
        lm_json_write_key(&w, "major_topic");
        lm_json_write_bool(&w, a->mesh[i].major_topic);
        lm_json_end_object(&w);
    }
    lm_json_end_array(&w);
    lm_json_write_key(&w, "publication_types");
    lm_json_begin_array(&w);
    for (size_t i = 0; i < a->n_pubtypes; i++) {
        lm_json_begin_object(&w);
        lm_json_member_str(&w, "ui", a->pubtypes[i].ui);
        lm_json_member_str(&w, "name", a->pubtypes[i].name);
        lm_json_end_object(&w);
    }
    lm_json_end_array(&w);
    lm_json_member_str(&w, "source", source);
    lm_json_member_str(&w, "ingested_at", ingested_at);
    lm_json_write_key(&w, "pairs");
    lm_json_begin_array(&w);
    for (size_t i = 0; i < rel->n; i++) {
        const lm_pair_row *r = &rel->v[i];
        lm_json_begin_object(&w);
        lm_json_member_str(&w, "chemical_id", r->chemical_id);
        lm_json_member_str(&w, "chemical",
                           lm_cli_concept_name(names, r->chemical_id, r->chemical_text));
        lm_json_member_str(&w, "disease_id", r->disease_id);
        lm_json_member_str(&w, "disease",
                           lm_cli_concept_name(names, r->disease_id, r->disease_text));
        lm_json_member_str(&w, "relation", r->relation);
        lm_json_member_double(&w, "score", r->score, 4);
        lm_json_member_str(&w, "evidence", r->evidence);
        lm_json_end_object(&w);
    }
    lm_json_end_array(&w);
    lm_json_end_object(&w);
    putchar('\n');
}

int lm_cmd_show(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int json = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return LM_EXIT_OK;
        }
        if (c == 'j') {
            json = 1;
            continue;
        }
        lm_cli_error(cli, "show: unknown option '%s'", argv[optind - 1]);
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        lm_cli_error(cli, "show: expected exactly one PMID");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    char *end;
    errno = 0;
    long long pmid = strtoll(argv[optind], &end, 10);
    if (errno || *end || end == argv[optind] || pmid <= 0) {
        lm_cli_error(cli, "show: \"%s\" is not a PMID", argv[optind]);
        return LM_EXIT_USAGE;
    }
    lm_store *store;
    int open_rc = lm_cli_open_store(cli, 1, &store);
    if (open_rc != LM_EXIT_OK)
        return open_rc;
    lm_status st;
    lm_article a;
    lm_article_init(&a);
    char *source = NULL, *ingested_at = NULL;
    lm_error err;
    st = lm_store_get_article(store, pmid, &a, &source, &ingested_at, &err);
    relations rel = {NULL, 0};
    lm_lexicon *names = NULL;
    if (st == LM_OK) {
        lm_export_filter f;
        memset(&f, 0, sizeof f);
        f.pmid = pmid;
        st = lm_store_export_pairs(store, &f, keep_pair, &rel, &err);
        if (st == LM_ERR_NOMEM)
            lm_error_set(&err, st, "out of memory");
    }
    if (st == LM_OK && rel.n)
        names = lm_cli_load_names(cli);
    if (st == LM_OK) {
        if (json) {
            print_json(&a, source, ingested_at, &rel, names);
        } else {
            print_text(&a, source, ingested_at);
            if (rel.n)
                putchar('\n');
            print_relations_text(&rel, names);
        }
    } else {
        lm_cli_error(cli, "%s", err.msg);
    }
    free(source);
    free(ingested_at);
    relations_free(&rel);
    lm_lexicon_free(names);
    lm_article_free(&a);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
