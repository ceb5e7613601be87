/*
 * Helpers every command shares: diagnostics on stderr, the mapping from
 * library status to exit status, and opening the store with the error
 * reporting users expect.
 */
#include "lm_cli.h"

#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_ner.h"
#include "../pipeline/lm_index.h"
#include "../pipeline/lm_search_session.h"
#include "../util/lm_date.h"
#include "../util/lm_sha256.h"
#include "../util/lm_utf8.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lm_cli_printable(const char *s, char *out, size_t cap)
{
    size_t o = 0, n = strlen(s);
    for (size_t i = 0; i < n && o + 8 < cap;) {
        uint32_t cp;
        size_t len = lm_utf8_decode(s + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            unsigned c = len == 0 ? (unsigned char)s[i] : cp;
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            if (named)
                o += (size_t)snprintf(out + o, cap - o, "%s", named);
            else if (len == 0 || c < 0x80)
                o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
            else
                o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
            i += len ? len : 1;
            continue;
        }
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
    return out;
}

/* Writes one diagnostic line.  Under systemd the journal reads a "<N>"
 * syslog priority prefix (3 error, 4 warning, 5 notice, 6 info) instead of
 * our "litmine: " tag, which journald adds by itself.  The message is one
 * line whatever it quotes: a file name or a remote server's text with a
 * newline or a terminal escape is printed escaped, so it can neither forge
 * a log line nor drive the terminal. */
static void emit(const lm_cli *cli, int priority, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void emit(const lm_cli *cli, int priority, const char *fmt, va_list ap)
{
    char msg[2 * LM_ERROR_MSG_MAX], shown[8 * LM_ERROR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (cli->journald)
        fprintf(stderr, "<%d>", priority);
    else
        fputs("litmine: ", stderr);
    if (priority == 4 && !cli->journald)
        fputs("warning: ", stderr);
    fputs(lm_cli_printable(msg, shown, sizeof shown), stderr);
    fputc('\n', stderr);
}

void lm_cli_error(const lm_cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(cli, 3, fmt, ap);
    va_end(ap);
}

void lm_cli_info(const lm_cli *cli, const char *fmt, ...)
{
    if (!cli->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(cli, 6, fmt, ap);
    va_end(ap);
}

void lm_cli_notice(const lm_cli *cli, const char *fmt, ...)
{
    if (cli->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(cli, 5, fmt, ap);
    va_end(ap);
}

static void warn(const lm_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const lm_cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(cli, 4, fmt, ap);
    va_end(ap);
}

int lm_cli_exit_for(lm_status st)
{
    switch (st) {
    case LM_OK: return LM_EXIT_OK;
    case LM_ERR_USAGE: return LM_EXIT_USAGE;
    case LM_ERR_DB:
    case LM_ERR_BUSY: return LM_EXIT_DB;
    case LM_ERR_INTERRUPTED: return LM_EXIT_INTERRUPTED;
    default: return LM_EXIT_FAILURE;
    }
}

/* A migration that removes something says what, before it runs. */
static void store_notice(void *ctx, const char *msg)
{
    lm_cli_notice((const lm_cli *)ctx, "upgrading the database: %s", msg);
}

int lm_cli_open_store(const lm_cli *cli, int readonly, lm_store **out)
{
    lm_error err;
    lm_store_options opts = {0};
    opts.readonly = readonly;
    opts.on_notice = store_notice;
    opts.notice_ctx = (void *)(uintptr_t)cli;
    long timeout;
    if (lm_config_get_int(cli->config, "store", "busy_timeout_ms", 5000, 0, 3600000,
                          &timeout, &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return LM_EXIT_USAGE;
    }
    opts.busy_timeout_ms = (int)timeout;
    lm_status st = lm_store_open(out, cli->db_path, &opts, &err);
    if (st == LM_OK)
        return LM_EXIT_OK;
    lm_cli_error(cli, "%s", err.msg);
    /* Whatever the reason (missing, not a database, newer schema, locked),
     * the database is the problem. */
    return st == LM_ERR_NOMEM ? LM_EXIT_FAILURE : LM_EXIT_DB;
}

int lm_cli_to_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

int lm_cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int lm_cli_parse_long(const lm_cli *cli, const char *flag, const char *arg, long min,
                      long max, long *out)
{
    if (lm_cli_to_long(arg, min, max, out))
        return 1;
    lm_cli_error(cli, "%s: expected an integer in %ld..%ld, got \"%s\"", flag, min, max, arg);
    return 0;
}

int lm_cli_option_long(const lm_cli *cli, const char *cmd, const char *name, const char *arg,
                       long min, long max, long *out)
{
    if (lm_cli_to_long(arg, min, max, out))
        return 1;
    lm_cli_error(cli, "%s: --%s wants an integer in [%ld, %ld], got '%s'", cmd, name, min, max,
                 arg);
    return 0;
}

/* The pipeline options: LM_EXIT_OK or LM_EXIT_USAGE when c is one, else -1. */
static int pipeline_option(const lm_cli *cli, int c, const char *arg, lm_cli_pipeline *p)
{
    switch (c) {
    case 't':
        return lm_cli_parse_long(cli, "--threads", arg, 1, 64, &p->threads) ? LM_EXIT_OK
                                                                             : LM_EXIT_USAGE;
    case 'b':
        return lm_cli_parse_long(cli, "--batch-size", arg, 1, 1000000, &p->batch_size)
                   ? LM_EXIT_OK
                   : LM_EXIT_USAGE;
    case 's': p->stages = arg; return LM_EXIT_OK;
    default: return -1;
    }
}

int lm_cli_getopt(lm_cli_optscan *scan, int argc, char **argv, const char *shortopts,
                  const struct option *longopts, int *longindex)
{
    scan->shortopts = shortopts;
    scan->longopts = longopts;
    scan->before = optind;
    return getopt_long(argc, argv, shortopts, longopts, longindex);
}

/* Where the argument getopt_long refused is.  It moves optind past an
 * argument when it refuses a long option or the last letter of a short
 * cluster, and leaves optind on it for a letter with more after it.  So
 * an optind that has not moved since the call points at the cluster; one
 * that moved points just past the argument, unless the call first skipped
 * operands (getopt permutes them to the end) and stopped on the first
 * letter of the argument after them. */
static int refused_index(const lm_cli_optscan *scan, int argc, char **argv)
{
    int after = optind;
    if (after < argc && after == scan->before)
        return after;
    const char *prev = after - 1 >= 1 ? argv[after - 1] : "";
    int prev_is_option = prev[0] == '-' && prev[1] != '\0';
    if (prev_is_option || after >= argc)
        return after - 1;
    return after;
}

void lm_cli_bad_option(const lm_cli *cli, const char *cmd, const lm_cli_optscan *scan,
                       int argc, char **argv)
{
    int at = refused_index(scan, argc, argv);
    const char *arg = at >= 1 && at < argc ? argv[at] : "";
    if (strncmp(arg, "--", 2) == 0) {
        /* the long option it names, by the rules of getopt_long: an exact
         * name, else the one name it abbreviates */
        size_t n = strcspn(arg + 2, "=");
        const struct option *found = NULL;
        int matches = 0;
        for (const struct option *o = scan->longopts; o && o->name; o++) {
            if (strncmp(o->name, arg + 2, n) != 0)
                continue;
            if (strlen(o->name) == n) {
                found = o;
                matches = 1;
                break;
            }
            found = o;
            matches++;
        }
        if (matches > 1)
            lm_cli_error(cli, "%s: ambiguous option '%s'", cmd, arg);
        else if (!found)
            lm_cli_error(cli, "%s: unknown option '%s'", cmd, arg);
        else if (arg[2 + n] == '=' && found->has_arg == no_argument)
            lm_cli_error(cli, "%s: option '--%s' takes no value", cmd, found->name);
        else
            lm_cli_error(cli, "%s: option '--%s' needs a value", cmd, found->name);
        return;
    }
    char letter = (char)optopt;
    const char *known = letter && scan->shortopts ? strchr(scan->shortopts, letter) : NULL;
    if (known && known[1] == ':')
        lm_cli_error(cli, "%s: option -%c needs a value", cmd, letter);
    else if (strlen(arg) > 2 && letter)
        lm_cli_error(cli, "%s: unknown option -%c in '%s' (an argument that starts with '-' "
                          "goes after --)",
                     cmd, letter, arg);
    else
        lm_cli_error(cli, "%s: unknown option '%s'", cmd, arg);
}

int lm_cli_getopt_pipeline(const lm_cli *cli, lm_cli_optscan *scan, int argc, char **argv,
                           const char *shortopts, const struct option *longopts,
                           lm_cli_pipeline *p, int *rc)
{
    int c;
    while ((c = lm_cli_getopt(scan, argc, argv, shortopts, longopts, NULL)) != -1) {
        int r = pipeline_option(cli, c, optarg, p);
        if (r < 0)
            return c;
        if (r != LM_EXIT_OK) {
            *rc = r;
            return -1;
        }
    }
    return -1;
}

int lm_cli_pipeline_defaults(const lm_cli *cli, lm_cli_pipeline *p)
{
    lm_error err;
    p->stages = lm_config_get_or(cli->config, "pipeline", "stages", LM_DEFAULT_STAGES);
    if (lm_config_get_int(cli->config, "pipeline", "threads", 0, 0, 64, &p->threads, &err) !=
            LM_OK ||
        lm_config_get_int(cli->config, "store", "batch_size", 1000, 1, 1000000, &p->batch_size,
                          &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return LM_EXIT_USAGE;
    }
    return LM_EXIT_OK;
}

int lm_cli_pipeline_load(const lm_cli *cli, const lm_cli_pipeline *p, lm_stage_chain *chain)
{
    lm_error err;
    const char *stages = p->stages && strcmp(p->stages, "none") != 0 ? p->stages : "";
    lm_status st = lm_stage_chain_init(chain, stages, cli->config, &err);
    if (st == LM_OK)
        return LM_EXIT_OK;
    lm_cli_error(cli, "%s", err.msg);
    if (st == LM_ERR_IO)
        lm_cli_models_hint(cli);
    return st == LM_ERR_USAGE ? LM_EXIT_USAGE : LM_EXIT_FAILURE;
}

int lm_cli_pipeline_open(const lm_cli *cli, const lm_cli_pipeline *p, lm_stage_chain *chain,
                         lm_store **store)
{
    int rc = lm_cli_pipeline_load(cli, p, chain);
    if (rc != LM_EXIT_OK)
        return rc;
    rc = lm_cli_open_store(cli, 0, store);
    if (rc != LM_EXIT_OK) {
        lm_stage_chain_free(chain);
        return rc;
    }
    lm_error err;
    lm_status st = lm_stage_chain_attach(chain, *store, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        lm_store_close(*store);
        *store = NULL;
        lm_stage_chain_free(chain);
        return lm_cli_exit_for(st);
    }
    return LM_EXIT_OK;
}

void lm_cli_print_warning(void *ctx, const char *msg)
{
    const lm_cli *cli = ctx;
    if (!cli->quiet)
        warn(cli, "%s", msg);
}

void lm_cli_xml_message(void *ctx, int is_warning, const char *msg)
{
    const lm_cli *cli = ctx;
    if (is_warning)
        lm_cli_print_warning(ctx, msg);
    else
        lm_cli_error(cli, "%s", msg);
}

int lm_cli_refresh_index(const lm_cli *cli, lm_store *store)
{
    lm_error err;
    lm_search_refresh_stats stats;
    lm_status st = lm_index_refresh(store, NULL, &stats, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "search index: %s", err.msg);
        return lm_cli_exit_for(st);
    }
    if (stats.fts_added || stats.embedded)
        lm_cli_info(cli, "search index: %lld articles indexed, %lld embedded (%.1f s)",
                    (long long)stats.fts_added, (long long)stats.embedded,
                    stats.fts_seconds + stats.embed_seconds);
    return LM_EXIT_OK;
}

lm_lexicon *lm_cli_load_names(const lm_cli *cli)
{
    lm_buf path;
    lm_buf_init(&path);
    const char *explicit_path = lm_config_get(cli->config, "models", "lexicon");
    lm_status st = explicit_path
                       ? lm_buf_append_str(&path, explicit_path)
                       : lm_buf_printf(&path, "%s/lexicon.bin",
                                       lm_config_get_or(cli->config, "models", "dir",
                                                        lm_ner_default_model_dir()));
    lm_lexicon *lex = NULL;
    lm_error err;
    if (st == LM_OK && (st = lm_lexicon_load(lm_buf_cstr(&path), &lex, &err)) != LM_OK &&
        st != LM_ERR_IO)
        warn(cli, "concept names: %s", err.msg);
    lm_buf_free(&path);
    return st == LM_OK ? lex : NULL;
}

const char *lm_cli_concept_name(const lm_lexicon *lex, const char *id, const char *fallback)
{
    lm_lexicon_concept c;
    if (lex && id && lm_lexicon_get_concept(lex, id, &c) && c.name[0])
        return c.name;
    return fallback;
}

int lm_cli_find_models(lm_cli *cli)
{
    lm_error err;
    lm_status st = lm_models_find(&cli->models, cli->models_flag, getenv("LITMINE_MODELS"),
                                  lm_config_get(cli->config, "models", "dir"), NULL, &err);
    const char *dir = st == LM_OK ? lm_models_dir(&cli->models) : NULL;
    if (st == LM_OK && dir)
        st = lm_config_set(cli->config, "models", "dir", dir, &err);
    if (st == LM_OK)
        return LM_EXIT_OK;
    lm_cli_error(cli, "%s", err.msg);
    return LM_EXIT_FAILURE;
}

void lm_cli_models_hint(const lm_cli *cli)
{
    char looked[2048];
    lm_models_describe(&cli->models, looked, sizeof looked);
    const char *dir = lm_models_dir(&cli->models);
    if (dir && cli->models.tried[cli->models.chosen].origin[0] != 'b' &&
        cli->models.tried[cli->models.chosen].origin[0] != 'i')
        lm_cli_error(cli, "models: using %s (from %s); fix or remove that setting to search "
                     "the default places", dir, cli->models.tried[cli->models.chosen].origin);
    else
        lm_cli_error(cli, "models: no directory with ner.bin found; looked in %s. Pass --models DIR, "
                     "set LITMINE_MODELS or [models] dir, or reinstall (make install copies "
                     "models/ to PREFIX/share/litmine/models)", looked);
}

/* The training date models/MANIFEST gives a file with this digest. */
static int manifest_date(const char *dir, const char *file, const char *hex, char date[16])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512], name[256], digest[80], when[32];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        if (sscanf(line, "%255s %79s %31s", name, digest, when) == 3 &&
            strcmp(name, file) == 0 && strcmp(digest, hex) == 0) {
            snprintf(date, 16, "%.15s", when);
            found = 1;
        }
    fclose(f);
    return found;
}

static int file_sha256(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    lm_sha256 h;
    lm_sha256_init(&h);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        lm_sha256_update(&h, buf, n);
    int ok = !ferror(f);
    fclose(f);
    lm_sha256_final_hex(&h, hex);
    return ok;
}

int lm_cli_print_version(const lm_cli *cli)
{
    static const char *const files[] = {"ner.bin", "ner-ncbi.bin", "lexicon.bin", "pairs.bin"};
    printf("litmine %s\n", LM_VERSION);
    printf("database schema version %d\n", lm_store_schema_version());
    const char *dir = lm_models_dir(&cli->models);
    if (!dir) {
        char looked[2048];
        lm_models_describe(&cli->models, looked, sizeof looked);
        printf("models: none found (looked in %s)\n", looked);
        return LM_EXIT_OK;
    }
    printf("models: %s (%s)\n", dir, cli->models.tried[cli->models.chosen].origin);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4096], hex[65], date[16];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (!file_sha256(path, hex)) {
            printf("  %-13s missing\n", files[i]);
            continue;
        }
        printf("  %-13s id %.12s  trained %s\n", files[i], hex,
               manifest_date(dir, files[i], hex, date) ? date : "unknown (not in MANIFEST)");
    }
    return LM_EXIT_OK;
}

const char *lm_cli_concept_namer(void *ctx, const char *id)
{
    return lm_cli_concept_name(ctx, id, NULL);
}

int lm_cli_parse_date(const lm_cli *cli, const char *flag, const char *arg, char sep,
                      char out[11])
{
    lm_error err;
    int64_t days;
    if (lm_date_parse(arg, 0, &days, &err) != LM_OK) {
        lm_cli_error(cli, "%s: expected a date YYYY-MM-DD or YYYY/MM/DD, got \"%s\"", flag, arg);
        return 0;
    }
    lm_date_format(days, sep, out);
    return 1;
}

const char *lm_cli_parse_type(const lm_cli *cli, const char *flag, const char *arg)
{
    lm_ent_type t = lm_ent_type_from_label(arg);
    if (t == LM_ENT_NONE) {
        lm_cli_error(cli, "%s: expected Chemical, Disease or Gene (any case), got \"%s\"", flag,
                     arg);
        return NULL;
    }
    return lm_ent_type_name(t);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int lm_cli_read_pmids(const lm_cli *cli, const char *path, int64_t **pmids, size_t *n)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        lm_cli_error(cli, "--pmids: cannot open %s: %s", path, strerror(errno));
        return 0;
    }
    int64_t *v = NULL;
    size_t len = 0, cap = 0, lineno = 0;
    char *line = NULL;
    size_t line_cap = 0;
    int ok = 1;
    while (ok && getline(&line, &line_cap, f) >= 0) {
        lineno++;
        char *s = line + strspn(line, " \t");
        s[strcspn(s, "#\r\n")] = '\0';
        size_t k = strlen(s);
        while (k && (s[k - 1] == ' ' || s[k - 1] == '\t'))
            s[--k] = '\0';
        if (!*s)
            continue;
        long pmid;
        if (!lm_cli_to_long(s, 1, 999999999999L, &pmid)) {
            lm_cli_error(cli, "--pmids: %s:%zu: \"%s\" is not a PMID", path, lineno, s);
            ok = 0;
        } else if (len == cap) {
            cap = cap ? 2 * cap : 256;
            int64_t *grown = realloc(v, cap * sizeof *v);
            if (!grown) {
                lm_cli_error(cli, "--pmids: out of memory");
                ok = 0;
            } else {
                v = grown;
            }
        }
        if (ok)
            v[len++] = pmid;
    }
    if (ok && ferror(f)) {
        lm_cli_error(cli, "--pmids: reading %s: %s", path, strerror(errno));
        ok = 0;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    if (!ok) {
        free(v);
        return 0;
    }
    if (len)
        qsort(v, len, sizeof *v, cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < len; i++)
        if (!u || v[u - 1] != v[i])
            v[u++] = v[i];
    *pmids = v;
    *n = u;
    return 1;
}

/* Every configuration key litmine reads (etc/litmine.conf documents each). */
static const char *const known_keys[] = {
    "store.path", "store.batch_size", "store.busy_timeout_ms",
    "pipeline.stages", "pipeline.threads",
    "models.dir", "models.ner", "models.lexicon", "models.pairs",
    "eutils.api_key", "eutils.base_url", "eutils.batch_size", "eutils.deadline_s",
    "eutils.email", "eutils.max_response_mb", "eutils.max_rps", "eutils.max_tries",
    "eutils.timeout_s", "eutils.tool", "eutils.watch_first_days",
    "sync.base_url", "sync.deadline_s", "sync.max_file_mb", "sync.max_tries", "sync.spool_dir",
    "run.lock_file", "run.sync", "run.watches",
    "model.backoff_ms", "model.hub_url", "model.max_tries",
    "watch.report_dir",
    "serve.listen", "serve.threads",
    "embed.model", "embed.pooling", "embed.precision", "ner.model", "ner.aggregation",
    "ner.precision",
    NULL};

/* Levenshtein distance, capped: enough to suggest "email" for "emial". */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 99;
    int d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;   /* a transposition */
        }
    return d[la][lb];
}

static void warn_unknown(void *ctx, const char *file, int line, const char *section,
                         const char *key)
{
    const lm_cli *cli = ctx;
    const char *best = NULL;
    int best_d = 3;
    char full[160];
    snprintf(full, sizeof full, "%s.%s", section, key);
    for (size_t i = 0; known_keys[i]; i++) {
        int dd = distance(full, known_keys[i]);
        if (dd < best_d) {
            best_d = dd;
            best = known_keys[i];
        }
    }
    if (best)
        warn(cli, "%s:%d: unknown setting [%s] %s (did you mean [%.*s] %s?)", file, line, section,
             key, (int)(strchr(best, '.') - best), best, strchr(best, '.') + 1);
    else
        warn(cli, "%s:%d: unknown setting [%s] %s (ignored)", file, line, section, key);
}

void lm_cli_check_config(const lm_cli *cli)
{
    if (!cli->quiet)
        lm_config_each_unknown(cli->config, known_keys, warn_unknown, (void *)cli);
}

int lm_cli_load_credentials(lm_cli *cli)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    const char *env = getenv("NCBI_API_KEY");
    if (!dir || !*dir || (env && *env) || lm_config_get(cli->config, "eutils", "api_key"))
        return LM_EXIT_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/api_key", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return LM_EXIT_OK;   /* the service passes no key: run without */
    char key[256] = "";
    int ok = fgets(key, sizeof key, f) != NULL;
    fclose(f);
    key[strcspn(key, "\r\n")] = '\0';
    lm_error err;
    if (ok && key[0] && lm_config_set(cli->config, "eutils", "api_key", key, &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        ok = -1;
    }
    /* The key lives on in the configuration only. */
    volatile char *p = key;
    for (size_t i = 0; i < sizeof key; i++)
        p[i] = 0;
    return ok < 0 ? LM_EXIT_FAILURE : LM_EXIT_OK;
}
