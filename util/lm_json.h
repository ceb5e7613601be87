/*
 * lm_json: litmine's JSON, both ways — a strict, bounded reader (RFC 8259)
 * and a streaming writer that every command printing JSON uses.
 *
 * Reading.  Parses a whole document into a read-only tree that the caller walks with
 * the accessors below; the document owns every node and string, so one
 * lm_json_free() releases all.  Meant for files litmine does not control
 * (model configs, safetensors headers, hub API answers), so it is strict
 * and bounded rather than forgiving:
 *   - exactly one value, surrounded only by JSON whitespace; no comments,
 *     trailing commas, single quotes, NaN/Infinity, leading zeros or BOM;
 *   - strings must be valid UTF-8 without raw control characters; \u
 *     escapes must form valid code points (paired surrogates only);
 *   - duplicate keys in one object are an error (a hostile file cannot
 *     make two readers see different values);
 *   - nesting depth and input size are capped (lm_json_limits), and node
 *     memory is linear in the input, so no input can exhaust the stack or
 *     blow up memory.
 * Errors are LM_ERR_PARSE with line:column; LM_ERR_NOMEM when memory runs
 * out.  Numbers keep their double value and, when the literal is an
 * integer that fits, its exact int64 value (safetensors offsets need more
 * than a double's 53 bits only in theory, but exactness is cheap).
 *
 * Nodes live in one array with sibling links: iteration is O(1) per step,
 * lm_json_get() is a linear scan (objects here have tens of keys; walk big
 * ones such as a 50k-entry vocabulary with lm_json_first/lm_json_next).
 */
#ifndef LM_JSON_H
#define LM_JSON_H

#include "lm_error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum lm_json_type {
    LM_JSON_NULL,
    LM_JSON_FALSE,
    LM_JSON_TRUE,
    LM_JSON_NUMBER,
    LM_JSON_STRING,
    LM_JSON_ARRAY,
    LM_JSON_OBJECT
} lm_json_type;

typedef struct lm_json lm_json;             /* a parsed document */
typedef struct lm_json_value lm_json_value; /* one node, owned by its document */

typedef struct lm_json_limits {
    size_t max_depth;   /* nested arrays/objects; 0: 128 */
    size_t max_bytes;   /* input size; 0: 64 MiB */
} lm_json_limits;

/* Parses text[0..len) (need not be NUL-terminated).  lim may be NULL for
 * the defaults.  name (may be NULL) prefixes error messages, e.g. a path. */
lm_status lm_json_parse(lm_json **out, const char *text, size_t len, const lm_json_limits *lim,
                        const char *name, lm_error *err);
/* Reads and parses a whole file; files above the size limit fail before
 * being read. */
lm_status lm_json_parse_file(lm_json **out, const char *path, const lm_json_limits *lim,
                             lm_error *err);
void lm_json_free(lm_json *doc);

const lm_json_value *lm_json_root(const lm_json *doc);

lm_json_type lm_json_type_of(const lm_json_value *v);
/* "null", "boolean", "number", "string", "array", "object". */
const char *lm_json_type_name(lm_json_type t);

/* Containers.  On a value of another type (or NULL) these return 0/NULL. */
size_t lm_json_count(const lm_json_value *v);
const lm_json_value *lm_json_first(const lm_json_value *v);
const lm_json_value *lm_json_next(const lm_json_value *v);
/* The i-th element or member, O(i). */
const lm_json_value *lm_json_at(const lm_json_value *v, size_t i);
/* The member named key of an object, or NULL. */
const lm_json_value *lm_json_get(const lm_json_value *obj, const char *key);
/* The key of an object member (as returned by first/next/at on an
 * object), else NULL.  *len (may be NULL) gets its length in bytes; keys
 * may contain U+0000 written as \u0000. */
const char *lm_json_key(const lm_json_value *member, size_t *len);

/* Scalars.  Each returns 1 and stores the value when v has that type (and,
 * for int64, is an integer literal within range), else 0. */
int lm_json_bool(const lm_json_value *v, int *out);
int lm_json_double(const lm_json_value *v, double *out);
int lm_json_int64(const lm_json_value *v, int64_t *out);
/* NUL-terminated UTF-8; *len (may be NULL) gets the length in bytes. */
const char *lm_json_str(const lm_json_value *v, size_t *len);

/* Convenience lookups on an object: the member's value when present and
 * of the right type, else def. */
const char *lm_json_get_str(const lm_json_value *obj, const char *key, const char *def);
int64_t lm_json_get_int(const lm_json_value *obj, const char *key, int64_t def);
double lm_json_get_double(const lm_json_value *obj, const char *key, double def);
/* 1/0 for true/false, def when absent, null or not a boolean. */
int lm_json_get_bool(const lm_json_value *obj, const char *key, int def);

/* ---- writing ------------------------------------------------------------
 *
 * A streaming writer to a FILE*: values go out as they are given, so an
 * output of any size takes constant memory.  The writer places the commas
 * and colons; the caller names the structure:
 *
 *     lm_json_writer w;
 *     lm_json_writer_init(&w, stdout);
 *     lm_json_begin_object(&w);
 *     lm_json_member_str(&w, "title", title);      // NULL is written null
 *     lm_json_write_key(&w, "scores");
 *     lm_json_begin_array(&w);
 *     lm_json_write_double(&w, 0.5, 6);            // NaN, inf: null
 *     lm_json_end_array(&w);
 *     lm_json_end_object(&w);
 *
 * Strings are written as given (valid UTF-8 is the caller's business;
 * bytes >= 0x80 pass through) with '"', '\\' and control characters
 * escaped.  Numbers that are not finite have no JSON spelling and are
 * written null.  Write errors stay in the FILE (ferror), which the caller
 * checks once at the end. */

#define LM_JSON_WRITER_DEPTH 64

typedef struct lm_json_writer {
    FILE *out;
    int depth;                /* open containers */
    uint64_t has_items;       /* bit d: the container at depth d has a value */
    int after_key;            /* a key was written: its value is next */
    int spaced;               /* ", " and ": " rather than "," and ":" */
} lm_json_writer;

/* A compact writer; set w->spaced for files people read. */
void lm_json_writer_init(lm_json_writer *w, FILE *out);
void lm_json_begin_object(lm_json_writer *w);
void lm_json_end_object(lm_json_writer *w);
void lm_json_begin_array(lm_json_writer *w);
void lm_json_end_array(lm_json_writer *w);
void lm_json_write_key(lm_json_writer *w, const char *key);
void lm_json_write_str(lm_json_writer *w, const char *s);   /* NULL: null */
void lm_json_write_strn(lm_json_writer *w, const char *s, size_t n);
void lm_json_write_int(lm_json_writer *w, int64_t v);
/* With sig significant digits ("%.*g"); NaN and infinities as null. */
void lm_json_write_double(lm_json_writer *w, double v, int sig);
void lm_json_write_bool(lm_json_writer *w, int v);
void lm_json_write_null(lm_json_writer *w);
/* A key and its value in one call. */
void lm_json_member_str(lm_json_writer *w, const char *key, const char *s);
void lm_json_member_int(lm_json_writer *w, const char *key, int64_t v);
void lm_json_member_double(lm_json_writer *w, const char *key, double v, int sig);

/* Writes s (NULL as "") as a JSON string literal, quotes included; the
 * writer's own primitive.  Returns -1 when the stream failed. */
int lm_json_write_string(FILE *out, const char *s);

#endif
