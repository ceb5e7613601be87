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
#include "../util/lm_utf8.h"

#include <errno.h>
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
    case LM_ERR_CORRUPT:
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

int lm_cli_parse_long(const lm_cli *cli, const char *flag, const char *arg, long min,
                      long max, long *out)
{
    if (lm_cli_to_long(arg, min, max, out))
        return 1;
    lm_cli_error(cli, "%s: expected an integer in %ld..%ld, got \"%s\"", flag, min, max, arg);
    return 0;
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
