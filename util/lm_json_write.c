/*
 * The streaming JSON writer (see lm_json.h).  It keeps one bit per open
 * container — has a value been written in it yet — which is all it takes
 * to place the commas; the rest is escaping.
 */
#include "lm_json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void lm_json_writer_init(lm_json_writer *w, FILE *out)
{
    w->out = out;
    w->depth = 0;
    w->has_items = 0;
    w->after_key = 0;
    w->spaced = 0;
}

/* The separator a value (or a key) at the current depth needs. */
static void before_value(lm_json_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth <= 0 || w->depth > LM_JSON_WRITER_DEPTH)
        return;
    uint64_t bit = (uint64_t)1 << (w->depth - 1);
    if (w->has_items & bit)
        fputs(w->spaced ? ", " : ",", w->out);
    w->has_items |= bit;
}

static void begin(lm_json_writer *w, char c)
{
    before_value(w);
    putc(c, w->out);
    w->depth++;
    if (w->depth <= LM_JSON_WRITER_DEPTH)
        w->has_items &= ~((uint64_t)1 << (w->depth - 1));
}

static void end(lm_json_writer *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    w->after_key = 0;
    putc(c, w->out);
}

void lm_json_begin_object(lm_json_writer *w)
{
    begin(w, '{');
}

void lm_json_end_object(lm_json_writer *w)
{
    end(w, '}');
}

void lm_json_begin_array(lm_json_writer *w)
{
    begin(w, '[');
}

void lm_json_end_array(lm_json_writer *w)
{
    end(w, ']');
}

void lm_json_write_key(lm_json_writer *w, const char *key)
{
    before_value(w);
    lm_json_write_string(w->out, key);
    fputs(w->spaced ? ": " : ":", w->out);
    w->after_key = 1;
}

static void write_escaped(FILE *out, const unsigned char *p, size_t n)
{
    putc('"', out);
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (p[i] < 0x20)
                fprintf(out, "\\u%04x", p[i]);
            else
                putc(p[i], out);
        }
    }
    putc('"', out);
}

int lm_json_write_string(FILE *out, const char *s)
{
    s = s ? s : "";
    write_escaped(out, (const unsigned char *)s, strlen(s));
    return ferror(out) ? -1 : 0;
}

void lm_json_write_str(lm_json_writer *w, const char *s)
{
    if (!s) {
        lm_json_write_null(w);
        return;
    }
    before_value(w);
    write_escaped(w->out, (const unsigned char *)s, strlen(s));
}

void lm_json_write_strn(lm_json_writer *w, const char *s, size_t n)
{
    before_value(w);
    write_escaped(w->out, (const unsigned char *)s, n);
}

void lm_json_write_int(lm_json_writer *w, int64_t v)
{
    before_value(w);
    fprintf(w->out, "%" PRId64, v);
}

void lm_json_write_double(lm_json_writer *w, double v, int sig)
{
    if (!isfinite(v)) {
        lm_json_write_null(w);
        return;
    }
    before_value(w);
    fprintf(w->out, "%.*g", sig, v);
}

void lm_json_write_bool(lm_json_writer *w, int v)
{
    before_value(w);
    fputs(v ? "true" : "false", w->out);
}

void lm_json_write_null(lm_json_writer *w)
{
    before_value(w);
    fputs("null", w->out);
}

void lm_json_member_str(lm_json_writer *w, const char *key, const char *s)
{
    lm_json_write_key(w, key);
    lm_json_write_str(w, s);
}

void lm_json_member_int(lm_json_writer *w, const char *key, int64_t v)
{
    lm_json_write_key(w, key);
    lm_json_write_int(w, v);
}

void lm_json_member_double(lm_json_writer *w, const char *key, double v, int sig)
{
    lm_json_write_key(w, key);
    lm_json_write_double(w, v, sig);
}
