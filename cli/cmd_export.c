/*
 * `litmine export articles --format csv|tsv|jsonl [--out FILE] [--excel]`
 *
 * Streams rows from the store through lm_rows, so memory stays flat for any
 * database size.  With --out the rows go to FILE.partial first and the file
 * is renamed into place only after the last row is written and flushed: a
 * failed export (disk full, Ctrl-C) never leaves a truncated FILE that a
 * script could mistake for a complete one.  Column order is part of the
 * interface (README.md) and only ever grows at the end.
 */
#include "../util/lm_buf.h"
#include "../util/lm_rows.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: litmine export articles [--format csv|tsv|jsonl] [--out FILE] [--excel]\n"
    "\n"
    "  --format F   csv (RFC 4180, default), tsv or jsonl\n"
    "  --out FILE   write to FILE (atomically) instead of stdout\n"
    "  --excel      start CSV output with a UTF-8 byte-order mark for Excel\n"
    "\n"
    "articles columns: pmid, version, title, abstract, journal, year, doi,\n"
    "                  language, date_revised\n";

static const char *const article_columns[] = {"pmid",  "version", "title",
                                              "abstract", "journal", "year",
                                              "doi",   "language", "date_revised"};

typedef struct export_ctx {
    lm_rows rows;
    lm_error *err;
} export_ctx;

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

int lm_cmd_export(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"format", required_argument, NULL, 'f'},
                                            {"out", required_argument, NULL, 'o'},
                                            {"excel", no_argument, NULL, 'x'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    lm_error err;
    lm_rows_format format = LM_ROWS_CSV;
    const char *out_path = NULL;
    int excel = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (lm_rows_parse_format(optarg, &format, &err) != LM_OK) {
                lm_cli_error(cli, "%s", err.msg);
                return LM_EXIT_USAGE;
            }
            break;
        case 'o': out_path = optarg; break;
        case 'x': excel = 1; break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_error(cli, "export: unknown or incomplete option '%s'", argv[optind - 1]);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        lm_cli_error(cli, "export: expected one of: articles");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    if (strcmp(argv[optind], "articles") != 0) {
        lm_cli_error(cli, "export: unknown table '%s' (expected: articles)", argv[optind]);
        return LM_EXIT_USAGE;
    }

    lm_store *store;
    int open_rc = lm_cli_open_store(cli, 1, &store);
    if (open_rc != LM_EXIT_OK)
        return open_rc;
    lm_status st;

    FILE *out = stdout;
    lm_buf partial;
    lm_buf_init(&partial);
    if (out_path) {
        if (lm_buf_printf(&partial, "%s.partial", out_path) != LM_OK) {
            lm_store_close(store);
            lm_cli_error(cli, "out of memory");
            return LM_EXIT_FAILURE;
        }
        out = fopen(lm_buf_cstr(&partial), "wb");
        if (!out) {
            lm_cli_error(cli, "cannot create %s: %s", lm_buf_cstr(&partial), strerror(errno));
            lm_buf_free(&partial);
            lm_store_close(store);
            return LM_EXIT_FAILURE;
        }
    }

    export_ctx x = {.err = &err};
    st = lm_rows_init(&x.rows, out, format, article_columns,
                      sizeof article_columns / sizeof article_columns[0], excel, &err);
    if (st == LM_OK)
        st = lm_store_each_article(store, write_article, &x, &err);
    if (st == LM_OK && fflush(out) != 0)
        st = lm_error_set(&err, LM_ERR_IO, "write failed: %s", strerror(errno));
    if (out_path) {
        if (fclose(out) != 0 && st == LM_OK)
            st = lm_error_set(&err, LM_ERR_IO, "write failed: %s", strerror(errno));
        if (st == LM_OK && rename(lm_buf_cstr(&partial), out_path) != 0)
            st = lm_error_set(&err, LM_ERR_IO, "cannot rename to %s: %s", out_path,
                              strerror(errno));
        if (st != LM_OK)
            unlink(lm_buf_cstr(&partial));
    }
    if (st != LM_OK)
        lm_cli_error(cli, "export: %s", err.msg);
    lm_buf_free(&partial);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
