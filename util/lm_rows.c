/*
 * Row writer.  Output errors are detected with ferror() at row end rather
 * than after every putc, which keeps the hot loop tight; a full disk is
 * reported as LM_ERR_IO from the row that hit it.
 */
#include "lm_rows.h"

#include "lm_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

lm_status lm_rows_parse_format(const char *name, lm_rows_format *out, lm_error *err)
{
    if (strcmp(name, "csv") == 0)
        *out = LM_ROWS_CSV;
    else if (strcmp(name, "tsv") == 0)
        *out = LM_ROWS_TSV;
    else if (strcmp(name, "jsonl") == 0)
        *out = LM_ROWS_JSONL;
    else
        return lm_error_set(err, LM_ERR_USAGE,
                            "unknown format \"%s\" (expected csv, tsv or jsonl)", name);
    return LM_OK;
}

/* Excel runs a cell starting with one of these as a formula (OWASP's
 * list for CSV injection). */
static int formula_like(const char *s)
{
    return s[0] && strchr("=+-@\t\r", s[0]) != NULL;
}

static void write_csv_field(FILE *out, const char *s, int defuse)
{
    const char *prefix = defuse && formula_like(s) ? "'" : "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(prefix, out);
        fputs(s, out);
        return;
    }
    putc('"', out);
    fputs(prefix, out);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', out);
        putc(*s, out);
    }
    putc('"', out);
}

static void write_tsv_field(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\t': fputs("\\t", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\\': fputs("\\\\", out); break;
        default: putc(*s, out);
        }
    }
}

static lm_status check_output(lm_rows *r, lm_error *err)
{
    if (ferror(r->out))
        return lm_error_set(err, LM_ERR_IO, "write failed: %s",
                            errno ? strerror(errno) : "output error");
    return LM_OK;
}

lm_status lm_rows_init(lm_rows *r, FILE *out, lm_rows_format format,
                       const char *const *columns, size_t n_columns, int excel,
                       lm_error *err)
{
    r->out = out;
    r->format = format;
    r->columns = columns;
    r->n_columns = n_columns;
    r->cell = 0;
    r->excel = excel && format == LM_ROWS_CSV;
    lm_json_writer_init(&r->json, out);
    if (format == LM_ROWS_JSONL)
        return LM_OK;
    if (r->excel)
        fputs("\xEF\xBB\xBF", out);
    for (size_t i = 0; i < n_columns; i++) {
        if (i)
            putc(format == LM_ROWS_CSV ? ',' : '\t', out);
        if (format == LM_ROWS_CSV)
            write_csv_field(out, columns[i], 0);
        else
            write_tsv_field(out, columns[i]);
    }
    fputs(format == LM_ROWS_CSV ? "\r\n" : "\n", out);
    return check_output(r, err);
}

/* Writes the separator / key that precedes the next cell. */
static lm_status begin_cell(lm_rows *r, lm_error *err)
{
    if (r->cell >= r->n_columns)
        return lm_error_set(err, LM_ERR_USAGE, "row has more than %zu cells", r->n_columns);
    if (r->format == LM_ROWS_JSONL) {
        if (r->cell == 0)
            lm_json_begin_object(&r->json);
        lm_json_write_key(&r->json, r->columns[r->cell]);
    } else if (r->cell) {
        putc(r->format == LM_ROWS_CSV ? ',' : '\t', r->out);
    }
    r->cell++;
    return LM_OK;
}

lm_status lm_rows_text(lm_rows *r, const char *s, lm_error *err)
{
    if (!s)
        return lm_rows_null(r, err);
    lm_status st = begin_cell(r, err);
    if (st != LM_OK)
        return st;
    switch (r->format) {
    case LM_ROWS_CSV: write_csv_field(r->out, s, r->excel); break;
    case LM_ROWS_TSV: write_tsv_field(r->out, s); break;
    case LM_ROWS_JSONL: lm_json_write_str(&r->json, s); break;
    }
    return LM_OK;
}

lm_status lm_rows_int(lm_rows *r, int64_t v, lm_error *err)
{
    lm_status st = begin_cell(r, err);
    if (st != LM_OK)
        return st;
    if (r->format == LM_ROWS_JSONL)
        lm_json_write_int(&r->json, v);
    else
        fprintf(r->out, "%" PRId64, v);
    return LM_OK;
}

lm_status lm_rows_real(lm_rows *r, double v, lm_error *err)
{
    /* No format has a spelling for NaN or infinity that its readers
     * agree on (JSON has none): such a value is written as missing. */
    if (!isfinite(v))
        return lm_rows_null(r, err);
    lm_status st = begin_cell(r, err);
    if (st != LM_OK)
        return st;
    if (r->format == LM_ROWS_JSONL)
        lm_json_write_double(&r->json, v, 6);
    else
        fprintf(r->out, "%.6g", v);
    return LM_OK;
}

lm_status lm_rows_null(lm_rows *r, lm_error *err)
{
    lm_status st = begin_cell(r, err);
    if (st != LM_OK)
        return st;
    if (r->format == LM_ROWS_JSONL)
        lm_json_write_null(&r->json);
    return LM_OK;
}

lm_status lm_rows_end(lm_rows *r, lm_error *err)
{
    if (r->cell != r->n_columns)
        return lm_error_set(err, LM_ERR_USAGE, "row has %zu cells, expected %zu", r->cell,
                            r->n_columns);
    r->cell = 0;
    switch (r->format) {
    case LM_ROWS_CSV: fputs("\r\n", r->out); break;
    case LM_ROWS_TSV: putc('\n', r->out); break;
    case LM_ROWS_JSONL:
        lm_json_end_object(&r->json);
        putc('\n', r->out);
        break;
    }
    return check_output(r, err);
}
