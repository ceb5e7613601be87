/*
 * lm_rows: one writer for every tabular output litmine produces — CSV
 * (RFC 4180), TSV and JSON Lines — so that exports of articles, mentions,
 * concepts and pairs share quoting rules and column handling.
 *
 * Rows stream straight to a FILE*: nothing is buffered beyond stdio, so an
 * export of millions of rows runs in constant memory.  Cells are written in
 * column order; lm_rows_end() checks that a row got exactly one value per
 * column.
 *
 *   CSV   header row, CRLF line ends as RFC 4180 prescribes, a field is
 *         quoted when it holds a comma, quote, CR or LF (quotes doubled);
 *         text is written as it is stored.  For Excel (excel): a UTF-8
 *         BOM, and a text field starting with = + - @ TAB or CR gets a
 *         leading apostrophe, so that Excel shows it as text instead of
 *         running it as a formula (CSV injection); numbers are unchanged.
 *   TSV   header row, LF line ends; tab, CR, LF and backslash inside a field
 *         are written as \t \r \n \\ (the convention of PostgreSQL and
 *         R's read.delim with allowEscapes) so each row stays one line.
 *   JSONL one object per line, keys = column names, NULL → null, numbers
 *         unquoted.
 */
#ifndef LM_ROWS_H
#define LM_ROWS_H

#include "lm_error.h"
#include "lm_json.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum lm_rows_format {
    LM_ROWS_CSV,
    LM_ROWS_TSV,
    LM_ROWS_JSONL
} lm_rows_format;

typedef struct lm_rows {
    FILE *out;
    lm_rows_format format;
    const char *const *columns;
    size_t n_columns;
    size_t cell;          /* cells written in the current row */
    int excel;            /* CSV for Excel: BOM, formula-like text defused */
    lm_json_writer json;  /* JSONL */
} lm_rows;

/* Parses "csv", "tsv", "jsonl"; LM_ERR_USAGE otherwise. */
lm_status lm_rows_parse_format(const char *name, lm_rows_format *out, lm_error *err);

/* Writes the BOM (when excel and CSV) and the header (CSV/TSV). */
lm_status lm_rows_init(lm_rows *r, FILE *out, lm_rows_format format,
                       const char *const *columns, size_t n_columns, int excel,
                       lm_error *err);
lm_status lm_rows_text(lm_rows *r, const char *s, lm_error *err);   /* NULL → empty / null */
lm_status lm_rows_int(lm_rows *r, int64_t v, lm_error *err);
lm_status lm_rows_null(lm_rows *r, lm_error *err);
/* A NaN or infinity is written as a missing value (empty, JSON null). */
lm_status lm_rows_real(lm_rows *r, double v, lm_error *err);
lm_status lm_rows_end(lm_rows *r, lm_error *err);

#endif
