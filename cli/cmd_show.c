/*
 * `litmine show PMID [--json]` — one stored article, as readable text or
 * as a JSON object whose keys match the JSONL export.
 */
#include "../util/lm_rows.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "usage: litmine show [--json] PMID\n"
    "\n"
    "Prints a stored article with its MeSH headings and publication types.\n";

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

static void json_field(const char *key, const char *value, int *first)
{
    printf("%s\"%s\":", *first ? "{" : ",", key);
    *first = 0;
    if (value)
        lm_json_write_string(stdout, value);
    else
        fputs("null", stdout);
}

static void print_json(const lm_article *a, const char *source, const char *ingested_at)
{
    int first = 1;
    printf("{\"pmid\":%" PRId64 ",\"version\":%d", a->pmid, a->version);
    first = 0;
    json_field("title", a->title ? a->title : "", &first);
    json_field("abstract", a->abstract ? a->abstract : "", &first);
    json_field("journal", a->journal, &first);
    if (a->year)
        printf(",\"year\":%d", a->year);
    else
        fputs(",\"year\":null", stdout);
    json_field("doi", a->doi, &first);
    json_field("language", a->language, &first);
    json_field("date_revised", a->date_revised, &first);
    printf(",\"is_book\":%s", a->is_book ? "true" : "false");
    fputs(",\"mesh\":[", stdout);
    for (size_t i = 0; i < a->n_mesh; i++) {
        int f = 1;
        if (i)
            putchar(',');
        json_field("ui", a->mesh[i].ui, &f);
        json_field("name", a->mesh[i].name, &f);
        printf(",\"major_topic\":%s}", a->mesh[i].major_topic ? "true" : "false");
    }
    fputs("],\"publication_types\":[", stdout);
    for (size_t i = 0; i < a->n_pubtypes; i++) {
        int f = 1;
        if (i)
            putchar(',');
        json_field("ui", a->pubtypes[i].ui, &f);
        json_field("name", a->pubtypes[i].name, &f);
        putchar('}');
    }
    putchar(']');
    json_field("source", source, &first);
    json_field("ingested_at", ingested_at, &first);
    puts("}");
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
    if (st == LM_OK) {
        if (json)
            print_json(&a, source, ingested_at);
        else
            print_text(&a, source, ingested_at);
    } else {
        lm_cli_error(cli, "%s", err.msg);
    }
    free(source);
    free(ingested_at);
    lm_article_free(&a);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
