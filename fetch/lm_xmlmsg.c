/*
 * Routing of libxml2's global messages (see lm_xmlmsg.h).
 *
 * libxml2 has two global channels: the structured one receives whole
 * xmlError records (most errors raised without a parser context), the
 * generic one printf-style fragments (a few direct reports such as
 * "xmlParseChunk: encoder error"), which are gathered here until their
 * newline.  Both are per-thread in libxml2; the thread defaults cover
 * threads started after the call.  The sink is process-wide
 * configuration, set once at start-up.
 */
#include "lm_xmlmsg.h"

#include <libxml/globals.h>
#include <libxml/xmlerror.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static lm_xmlmsg_sink sink_fn;
static void *sink_ctx;

/* Generic fragments of the line being assembled, per thread. */
static _Thread_local char pending[512];
static _Thread_local size_t pending_len;

/* The last line delivered in this thread: libxml2 often reports the same
 * conversion failure twice in a row. */
static _Thread_local char last_line[512];

static void deliver(int is_warning, char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == ' ' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (!n || !sink_fn || strncmp(line, last_line, sizeof last_line - 1) == 0)
        return;
    snprintf(last_line, sizeof last_line, "%s", line);
    sink_fn(sink_ctx, is_warning, line);
}

static void on_structured(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    if (!e || e->level == XML_ERR_NONE)
        return;
    char line[512];
    if (e->file && e->line > 0)
        snprintf(line, sizeof line, "libxml2: %s:%d: %s", e->file, e->line,
                 e->message ? e->message : "error");
    else
        snprintf(line, sizeof line, "libxml2: %s", e->message ? e->message : "error");
    deliver(e->level == XML_ERR_WARNING, line);
}

static void on_generic(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void on_generic(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    char piece[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    for (const char *p = piece; *p; p++) {
        if (*p == '\n') {
            char line[sizeof pending + 16];
            snprintf(line, sizeof line, "libxml2: %.*s", (int)pending_len, pending);
            pending_len = 0;
            deliver(0, line);
        } else if (pending_len + 1 < sizeof pending) {
            pending[pending_len++] = *p;
        }
    }
}

void lm_xmlmsg_route(lm_xmlmsg_sink sink, void *ctx)
{
    sink_fn = sink;
    sink_ctx = ctx;
    xmlSetStructuredErrorFunc(NULL, on_structured);
    xmlThrDefSetStructuredErrorFunc(NULL, on_structured);
    xmlSetGenericErrorFunc(NULL, on_generic);
    xmlThrDefSetGenericErrorFunc(NULL, on_generic);
}
