/*
 * `litmine query TEXT` — the most relevant stored abstracts first, with why
 * they matched.
 *
 * Text output, per hit: rank, score, PMID, year, title; then the sentence
 * with the most query evidence, the query's words and concepts in bold on
 * a terminal; then the article's drug-disease pairs when a pairs table
 * exists.  --json prints one object (documented in README.md):
 *
 *   {"query": ..., "mode": ..., "fts_query": ..., "concepts": [...],
 *    "results": [{"rank", "pmid", "year", "title", "journal", "score",
 *                 "lexical", "dense", "concepts_matched", "sentence",
 *                 "highlights": [[start, end], ...], "pairs": [...]}]}
 *
 * where highlight offsets are Unicode code points into "sentence".
 * The database is opened read-only, so queries run while ingest writes.
 */
#include "../nlp/lm_ner.h"
#include "../store/lm_search.h"
#include "../util/lm_rows.h"
#include "../util/lm_utf8.h"
#include "lm_cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lm_cmd_query(lm_cli *cli, int argc, char **argv);

static const char usage[] =
    "usage: litmine query [-k N] [--since YEAR] [--type Chemical|Disease|Gene]\n"
    "                     [--mode hybrid|lexical|dense] [--json] [--color auto|always|never]\n"
    "                     TEXT...\n"
    "\n"
    "Finds the stored abstracts most relevant to TEXT (a few words or a claim).\n"
    "  -k N          number of results (default 10, at most 1000)\n"
    "  --since YEAR  only articles published in YEAR or later\n"
    "  --type T      only articles mentioning an entity of type T (needs the ner\n"
    "                stage); query concepts of other types are not boosted\n"
    "  --mode M      hybrid (default: full-text BM25F + embedding + concepts),\n"
    "                lexical (full text only) or dense (embedding only)\n"
    "  --json        one JSON object with every result (see README)\n"
    "Run `litmine index build` once to enable dense and hybrid search; without\n"
    "vectors hybrid falls back to lexical.\n";

/* Writes s[0..len) with the marked spans in bold. */
static void print_marked(const char *s, const lm_search_span *marks, size_t n, int color)
{
    size_t pos = 0, len = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (marks[i].start < pos || marks[i].end > len)
            continue;
        fwrite(s + pos, 1, marks[i].start - pos, stdout);
        if (color)
            fputs("\033[1m", stdout);
        fwrite(s + marks[i].start, 1, marks[i].end - marks[i].start, stdout);
        if (color)
            fputs("\033[0m", stdout);
        pos = marks[i].end;
    }
    fwrite(s + pos, 1, len - pos, stdout);
}

static void json_key(const char *k, int *first)
{
    printf("%s\"%s\":", *first ? "" : ",", k);
    *first = 0;
}

static void json_str(const char *k, const char *v, int *first)
{
    json_key(k, first);
    if (v)
        lm_json_write_string(stdout, v);
    else
        fputs("null", stdout);
}

/* JSON has no NaN or infinity: such a number is written null. */
static void json_number(double v)
{
    if (isfinite(v))
        printf("%.6g", v);
    else
        fputs("null", stdout);
}

static void print_hit_json(const lm_search_hit *h, size_t rank, const lm_search_explanation *e)
{
    int first = 1;
    putchar('{');
    json_key("rank", &first);
    printf("%zu", rank);
    json_key("pmid", &first);
    printf("%lld", (long long)h->pmid);
    json_key("year", &first);
    if (e->year)
        printf("%d", e->year);
    else
        fputs("null", stdout);
    json_str("title", e->title, &first);
    json_str("journal", e->journal, &first);
    json_key("score", &first);
    json_number(h->score);
    json_key("lexical", &first);
    json_number(h->lexical);
    json_key("dense", &first);
    json_number(h->dense);
    json_key("concepts_matched", &first);
    printf("%d", h->concepts);
    json_str("sentence", e->sentence, &first);
    json_key("highlights", &first);
    putchar('[');
    size_t slen = e->sentence ? strlen(e->sentence) : 0;
    for (size_t i = 0; i < e->n_marks; i++)
        printf("%s[%zu,%zu]", i ? "," : "",
               lm_utf8_byte_to_cp(e->sentence, slen, e->marks[i].start),
               lm_utf8_byte_to_cp(e->sentence, slen, e->marks[i].end));
    putchar(']');
    json_key("pairs", &first);
    putchar('[');
    for (size_t i = 0; i < e->n_pairs; i++) {
        int f2 = 1;
        printf("%s{", i ? "," : "");
        json_str("chemical", e->pairs[i].chemical, &f2);
        json_str("disease", e->pairs[i].disease, &f2);
        json_str("relation", e->pairs[i].relation, &f2);
        json_key("score", &f2);
        json_number(e->pairs[i].score);
        putchar('}');
    }
    fputs("]}", stdout);
}

static void print_hit_text(const lm_search_hit *h, size_t rank, const lm_search_explanation *e,
                           int color)
{
    char year[16] = "----";
    if (e->year)
        snprintf(year, sizeof year, "%d", e->year);
    printf("%2zu. %.3f  PMID %lld  %s  ", rank, h->score, (long long)h->pmid, year);
    if (color)
        fputs("\033[1m", stdout);
    fputs(e->title && e->title[0] ? e->title : "(no title)", stdout);
    if (color)
        fputs("\033[0m", stdout);
    putchar('\n');
    if (e->sentence && e->sentence[0]) {
        fputs("    ", stdout);
        print_marked(e->sentence, e->marks, e->n_marks, color);
        putchar('\n');
    }
    for (size_t i = 0; i < e->n_pairs; i++)
        printf("    pair: %s %s %s (%.2f)\n", e->pairs[i].chemical ? e->pairs[i].chemical : "?",
               e->pairs[i].relation ? e->pairs[i].relation : "-",
               e->pairs[i].disease ? e->pairs[i].disease : "?", e->pairs[i].score);
}

int lm_cmd_query(lm_cli *cli, int argc, char **argv)
{
    long k = 10, since = 0;
    int json = 0, color = -1;
    lm_search_mode mode = LM_SEARCH_HYBRID;
    unsigned types = 0;
    lm_buf text;
    lm_buf_init(&text);
    int only_text = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (only_text || a[0] != '-' || !a[1]) {
            if ((text.len && lm_buf_append_char(&text, ' ') != LM_OK) ||
                lm_buf_append_str(&text, a) != LM_OK) {
                lm_buf_free(&text);
                lm_cli_error(cli, "out of memory");
                return LM_EXIT_FAILURE;
            }
            continue;
        }
        int bad = 0;
        if (strcmp(a, "--") == 0) {
            only_text = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            lm_buf_free(&text);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if ((strcmp(a, "-k") == 0 || strcmp(a, "--k") == 0) && v) {
            bad = !lm_cli_to_long(v, 1, 1000, &k);
            i++;
        } else if (strcmp(a, "--since") == 0 && v) {
            bad = !lm_cli_to_long(v, 1, 9999, &since);
            i++;
        } else if (strcmp(a, "--type") == 0 && v) {
            lm_ent_type t = lm_ent_type_parse(v);
            bad = t == LM_ENT_NONE;
            types |= 1u << t;
            i++;
        } else if (strcmp(a, "--mode") == 0 && v) {
            int m = lm_search_mode_parse(v);
            bad = m < 0;
            mode = (lm_search_mode)(m < 0 ? 0 : m);
            i++;
        } else if (strcmp(a, "--color") == 0 && v) {
            color = strcmp(v, "always") == 0 ? 1 : strcmp(v, "never") == 0 ? 0 : -1;
            bad = color < 0 && strcmp(v, "auto") != 0;
            i++;
        } else {
            lm_cli_error(cli, "query: unknown or incomplete option '%s'", a);
            fputs(usage, stderr);
            lm_buf_free(&text);
            return LM_EXIT_USAGE;
        }
        if (bad) {
            lm_cli_error(cli, "query: bad value '%s' for %s", v, a);
            lm_buf_free(&text);
            return LM_EXIT_USAGE;
        }
    }
    if (text.len == 0) {
        lm_cli_error(cli, "query: no query text");
        fputs(usage, stderr);
        lm_buf_free(&text);
        return LM_EXIT_USAGE;
    }
    if (color < 0)
        color = !json && isatty(STDOUT_FILENO);

    lm_store *store = NULL;
    int rc = lm_cli_open_store(cli, 1, &store);
    if (rc != LM_EXIT_OK) {
        lm_buf_free(&text);
        return rc;
    }
    lm_error err = {0};
    lm_search_info info;
    lm_status st = lm_search_get_info(store, &info, &err);
    if (st == LM_OK && info.fts_pending > 0 && !cli->quiet)
        lm_cli_error(cli, "note: %lld article(s) are not indexed yet; run `litmine index "
                     "refresh`", (long long)info.fts_pending);
    char lexp[1024], nerp[1024];
    lm_searcher_config sc;
    lm_searcher_config_default(&sc, cli->config, lexp, sizeof lexp, nerp, sizeof nerp);
    sc.no_vectors = mode == LM_SEARCH_LEXICAL;
    lm_searcher *srch = NULL;
    if (st == LM_OK)
        st = lm_searcher_open(store, &sc, &srch, &err);
    if (st == LM_OK && mode == LM_SEARCH_HYBRID && !lm_searcher_has_vectors(srch) &&
        !cli->quiet)
        lm_cli_info(cli, "no vectors yet (run `litmine index build`): lexical search only");
    lm_search_results r;
    lm_search_results_init(&r);
    lm_search_options o = {mode, (int)k, (int)since, types, NULL};
    if (st == LM_OK)
        st = lm_searcher_query(srch, lm_buf_cstr(&text), &o, &r, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        rc = lm_cli_exit_for(st);
        goto done;
    }
    if (json) {
        int first = 1;
        putchar('{');
        json_str("query", lm_buf_cstr(&text), &first);
        json_str("mode", lm_search_mode_name(r.mode_used), &first);
        json_str("fts_query", r.fts_query, &first);
        json_key("concepts", &first);
        putchar('[');
        for (size_t i = 0; i < r.n_concepts; i++) {
            int f2 = 1;
            printf("%s{", i ? "," : "");
            json_str("id", r.concepts[i].id, &f2);
            json_str("name", r.concepts[i].name, &f2);
            json_str("type", lm_ent_type_name((lm_ent_type)r.concepts[i].type), &f2);
            char *span = strndup(lm_buf_cstr(&text) + r.concepts[i].start,
                                 r.concepts[i].end - r.concepts[i].start);
            json_str("text", span, &f2);
            free(span);
            putchar('}');
        }
        putchar(']');
        json_key("results", &first);
        putchar('[');
    } else if (r.n_concepts && !cli->quiet) {
        fputs("concepts:", stdout);
        for (size_t i = 0; i < r.n_concepts; i++)
            printf("%s %s (%s, %s)", i ? ";" : "", r.concepts[i].name, r.concepts[i].id,
                   lm_ent_type_name((lm_ent_type)r.concepts[i].type));
        putchar('\n');
    }
    for (size_t i = 0; i < r.n; i++) {
        lm_search_explanation e;
        st = lm_searcher_explain(srch, &r, i, &e, &err);
        if (st != LM_OK) {
            lm_cli_error(cli, "%s", err.msg);
            rc = lm_cli_exit_for(st);
            break;
        }
        if (json) {
            if (i)
                putchar(',');
            print_hit_json(&r.hits[i], i + 1, &e);
        } else {
            print_hit_text(&r.hits[i], i + 1, &e, color);
        }
        lm_search_explanation_free(&e);
    }
    if (json)
        fputs("]}\n", stdout);
    else if (r.n == 0 && rc == LM_EXIT_OK)
        puts("no matching articles");
    if (fflush(stdout) != 0 && rc == LM_EXIT_OK) {
        lm_cli_error(cli, "writing results: %s", strerror(errno));
        rc = LM_EXIT_FAILURE;
    }
done:
    lm_search_results_free(&r);
    lm_searcher_close(srch);
    lm_store_close(store);
    lm_buf_free(&text);
    return rc;
}
