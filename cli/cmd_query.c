/*
 * `litmine query TEXT` — the most relevant stored abstracts first, with why
 * they matched.
 *
 * Text output, per hit: rank, score, PMID, year, title; then the sentence
 * with the most query evidence, the query's words and concepts in bold on
 * a terminal; then the article's drug-disease pairs when a pairs table
 * exists.  --json prints one object (documented in docs/search.md):
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
#include "../pipeline/lm_index.h"
#include "../pipeline/lm_search_session.h"
#include "../util/lm_json.h"
#include "../util/lm_utf8.h"
#include "lm_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lm_cmd_query(lm_cli *cli, int argc, char **argv);

static const char usage[] =
    "usage: litmine query [-k N] [--year-from YEAR] [--year-to YEAR] [--type T]\n"
    "                     [--mode hybrid|lexical|dense] [--json] [--color auto|always|never]\n"
    "                     TEXT...\n"
    "\n"
    "Finds the stored abstracts most relevant to TEXT (a few words or a claim).\n"
    "  -k N          number of results (default 10, at most 1000)\n"
    "  --year-from YEAR  only articles published in YEAR or later (--since is the same)\n"
    "  --year-to YEAR    only articles published in YEAR or earlier (filters the\n"
    "                best 4k candidates, so fewer than k may remain)\n"
    "  --type T      only articles mentioning an entity of type T (Chemical,\n"
    "                Disease, Gene; any case; needs the ner stage); query concepts\n"
    "                of other types are not boosted\n"
    "  --mode M      hybrid (default: full-text BM25F + embedding + concepts),\n"
    "                lexical (full text only) or dense (embedding only)\n"
    "  --json        one JSON object with every result (see docs/search.md)\n"
    "  --color WHEN  bold matches: auto (on a terminal unless NO_COLOR is set),\n"
    "                always, never\n"
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

static void print_hit_json(lm_json_writer *w, const lm_search_hit *h, size_t rank,
                           const lm_search_explanation *e)
{
    lm_json_begin_object(w);
    lm_json_member_int(w, "rank", (int64_t)rank);
    lm_json_member_int(w, "pmid", h->pmid);
    lm_json_write_key(w, "year");
    if (e->year)
        lm_json_write_int(w, e->year);
    else
        lm_json_write_null(w);
    lm_json_member_str(w, "title", e->title);
    lm_json_member_str(w, "journal", e->journal);
    lm_json_member_double(w, "score", h->score, 6);
    lm_json_member_double(w, "lexical", h->lexical, 6);
    lm_json_member_double(w, "dense", h->dense, 6);
    lm_json_member_int(w, "concepts_matched", h->concepts);
    lm_json_member_str(w, "sentence", e->sentence);
    lm_json_write_key(w, "highlights");
    lm_json_begin_array(w);
    size_t slen = e->sentence ? strlen(e->sentence) : 0;
    for (size_t i = 0; i < e->n_marks; i++) {
        lm_json_begin_array(w);
        lm_json_write_int(w, (int64_t)lm_utf8_byte_to_cp(e->sentence, slen, e->marks[i].start));
        lm_json_write_int(w, (int64_t)lm_utf8_byte_to_cp(e->sentence, slen, e->marks[i].end));
        lm_json_end_array(w);
    }
    lm_json_end_array(w);
    lm_json_write_key(w, "pairs");
    lm_json_begin_array(w);
    for (size_t i = 0; i < e->n_pairs; i++) {
        lm_json_begin_object(w);
        lm_json_member_str(w, "chemical", e->pairs[i].chemical);
        lm_json_member_str(w, "disease", e->pairs[i].disease);
        lm_json_member_str(w, "relation", e->pairs[i].relation);
        lm_json_member_double(w, "score", e->pairs[i].score, 6);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_end_object(w);
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
    long k = 10, since = 0, until = 0;
    int json = 0, color = -1;
    lm_search_mode mode = LM_SEARCH_HYBRID;
    unsigned types = 0;
    static const struct option options[] = {{"k", required_argument, NULL, 'k'},
                                            {"year-from", required_argument, NULL, 'f'},
                                            {"since", required_argument, NULL, 'f'},
                                            {"year-to", required_argument, NULL, 't'},
                                            {"type", required_argument, NULL, 'T'},
                                            {"mode", required_argument, NULL, 'm'},
                                            {"color", required_argument, NULL, 'c'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    lm_cli_optscan scan;
    opterr = 0;
    int c, bad = 0;
    while (!bad && (c = lm_cli_getopt(&scan, argc, argv, "k:h", options, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        case 'j': json = 1; break;
        case 'k': bad = !lm_cli_parse_long(cli, "-k", optarg, 1, 1000, &k); break;
        case 'f': bad = !lm_cli_parse_long(cli, "--year-from", optarg, 1, 9999, &since); break;
        case 't': bad = !lm_cli_parse_long(cli, "--year-to", optarg, 1, 9999, &until); break;
        case 'T': {
            lm_ent_type t = lm_ent_type_from_label(optarg);
            if (t == LM_ENT_NONE) {
                lm_cli_error(cli, "--type: expected Chemical, Disease or Gene, got \"%s\"", optarg);
                bad = 1;
            }
            types |= 1u << t;
            break;
        }
        case 'm': {
            int m = lm_search_mode_parse(optarg);
            if (m < 0) {
                lm_cli_error(cli, "--mode: expected hybrid, lexical or dense, got \"%s\"", optarg);
                bad = 1;
            }
            mode = (lm_search_mode)(m < 0 ? 0 : m);
            break;
        }
        case 'c':
            color = strcmp(optarg, "always") == 0 ? 1 : strcmp(optarg, "never") == 0 ? 0 : -1;
            if (color < 0 && strcmp(optarg, "auto") != 0) {
                lm_cli_error(cli, "--color: expected auto, always or never, got \"%s\"", optarg);
                bad = 1;
            }
            break;
        default:
            lm_cli_bad_option(cli, "query", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (bad)
        return LM_EXIT_USAGE;
    lm_buf text;
    lm_buf_init(&text);
    for (int i = optind; i < argc; i++) {
        if ((text.len && lm_buf_append_char(&text, ' ') != LM_OK) ||
            lm_buf_append_str(&text, argv[i]) != LM_OK) {
            lm_buf_free(&text);
            lm_cli_error(cli, "out of memory");
            return LM_EXIT_FAILURE;
        }
    }
    if (text.len == 0) {
        lm_cli_error(cli, "query: no query text");
        fputs(usage, stderr);
        lm_buf_free(&text);
        return LM_EXIT_USAGE;
    }
    if (since && until && since > until) {
        lm_cli_error(cli, "query: --year-from %ld is after --year-to %ld", since, until);
        lm_buf_free(&text);
        return LM_EXIT_USAGE;
    }
    const char *no_color = getenv("NO_COLOR");
    if (color < 0)
        color = !json && isatty(STDOUT_FILENO) && !(no_color && no_color[0]);

    lm_store *store = NULL;
    int rc = lm_cli_open_store(cli, 1, &store);
    if (rc != LM_EXIT_OK) {
        lm_buf_free(&text);
        return rc;
    }
    lm_error err = {0};
    int64_t pending = 0;
    lm_status st = lm_search_count_pending(store, &pending, &err);
    if (st == LM_OK && pending > 0 && !cli->quiet)
        lm_cli_error(cli, "note: %lld article(s) are not indexed yet; run `litmine index "
                     "refresh`", (long long)pending);
    char lexp[1024], nerp[1024];
    lm_search_session_config sc;
    lm_search_session_config_default(&sc, cli->config, lexp, sizeof lexp, nerp, sizeof nerp);
    sc.no_vectors = mode == LM_SEARCH_LEXICAL;
    sc.one_query = 1;
    lm_search_session *srch = NULL;
    if (st == LM_OK)
        st = lm_search_session_open(store, &sc, &srch, &err);
    if (st == LM_OK && mode == LM_SEARCH_HYBRID && !lm_search_session_has_vectors(srch) &&
        !cli->quiet)
        lm_cli_info(cli, "no vectors yet (run `litmine index build`): lexical search only");
    lm_search_results r;
    lm_search_results_init(&r);
    /* --year-to filters the ranked list: ask for more so k remain. */
    long want = until ? (k * 4 < 1000 ? k * 4 : 1000) : k;
    lm_search_options o = {mode, (int)want, (int)since, types, NULL};
    if (st == LM_OK)
        st = lm_search_session_query(srch, lm_buf_cstr(&text), &o, &r, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        rc = lm_cli_exit_for(st);
        goto done;
    }
    lm_json_writer w;
    lm_json_writer_init(&w, stdout);
    if (json) {
        lm_json_begin_object(&w);
        lm_json_member_str(&w, "query", lm_buf_cstr(&text));
        lm_json_member_str(&w, "mode", lm_search_mode_name(r.mode_used));
        lm_json_member_str(&w, "fts_query", r.fts_query);
        lm_json_write_key(&w, "concepts");
        lm_json_begin_array(&w);
        for (size_t i = 0; i < r.n_concepts; i++) {
            lm_json_begin_object(&w);
            lm_json_member_str(&w, "id", r.concepts[i].id);
            lm_json_member_str(&w, "name", r.concepts[i].name);
            lm_json_member_str(&w, "type", lm_ent_type_name((lm_ent_type)r.concepts[i].type));
            lm_json_write_key(&w, "text");
            lm_json_write_strn(&w, lm_buf_cstr(&text) + r.concepts[i].start,
                               r.concepts[i].end - r.concepts[i].start);
            lm_json_end_object(&w);
        }
        lm_json_end_array(&w);
        lm_json_write_key(&w, "results");
        lm_json_begin_array(&w);
    } else if (r.n_concepts && !cli->quiet) {
        fputs("concepts:", stdout);
        for (size_t i = 0; i < r.n_concepts; i++)
            printf("%s %s (%s, %s)", i ? ";" : "", r.concepts[i].name, r.concepts[i].id,
                   lm_ent_type_name((lm_ent_type)r.concepts[i].type));
        putchar('\n');
    }
    size_t shown = 0;
    for (size_t i = 0; i < r.n && shown < (size_t)k; i++) {
        lm_search_explanation e;
        st = lm_search_session_explain(srch, &r, i, &e, &err);
        if (st != LM_OK) {
            lm_cli_error(cli, "%s", err.msg);
            rc = lm_cli_exit_for(st);
            break;
        }
        if (until && (!e.year || e.year > until)) {
            lm_search_explanation_free(&e);
            continue;
        }
        shown++;
        if (json) {
            print_hit_json(&w, &r.hits[i], shown, &e);
        } else {
            print_hit_text(&r.hits[i], shown, &e, color);
        }
        lm_search_explanation_free(&e);
    }
    if (json) {
        lm_json_end_array(&w);
        lm_json_end_object(&w);
        putchar('\n');
    }
    else if (shown == 0 && rc == LM_EXIT_OK)
        puts("no matching articles");
    if (fflush(stdout) != 0 && rc == LM_EXIT_OK) {
        lm_cli_error(cli, "writing results: %s", strerror(errno));
        rc = LM_EXIT_FAILURE;
    }
done:
    lm_search_results_free(&r);
    lm_search_session_close(srch);
    lm_store_close(store);
    lm_buf_free(&text);
    return rc;
}
