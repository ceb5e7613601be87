/*
 * Strict JSON reader (see lm_json.h).
 *
 * Recursive descent over the input, depth-capped.  Nodes are stored in
 * pre-order in one growable array, so a container's first child is the
 * node right after it and a node's next sibling is `span` nodes further
 * (span = size of its subtree); accessors therefore need no pointer to the
 * document.  Decoded strings go to one pool allocated up front at input
 * length + 1 bytes: decoding never lengthens a string (every escape is at
 * least as long as what it stands for, and the closing quote pays for the
 * NUL), so the pool never moves and nodes can point into it.
 *
 * Numbers are validated against the RFC grammar by hand, then converted:
 * integer literals of up to 18 digits exactly (int64), anything else with
 * strtod on a NUL-terminated copy (litmine never changes LC_NUMERIC).
 */
#include "lm_json.h"

#include "lm_utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MAX_DEPTH 128
#define DEFAULT_MAX_BYTES ((size_t)64 << 20)

enum { FLAG_INT = 1, FLAG_HAS_NEXT = 2 };

struct lm_json_value {
    uint8_t type;
    uint8_t flags;
    uint32_t span;      /* nodes in this subtree, itself included */
    uint32_t key_len;
    uint32_t n;         /* string length in bytes, or child count */
    const char *key;    /* member key in the pool, NULL outside objects */
    union {
        const char *s;
        double d;
        int64_t i;      /* when FLAG_INT */
    } u;
};

struct lm_json {
    lm_json_value *nodes;
    size_t n_nodes, cap_nodes;
    char *pool;
    size_t pool_len;
};

typedef struct parser {
    const char *p, *start, *end;
    size_t depth, max_depth;
    lm_json *doc;
    const char *name;
    lm_error *err;
} parser;

/* ---- errors -------------------------------------------------------------- */

static lm_status fail_at(parser *ps, const char *at, const char *what)
{
    size_t line = 1, col = 1;
    for (const char *q = ps->start; q < at && q < ps->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            col++;
        }
    }
    return lm_error_set(ps->err, LM_ERR_PARSE, "%s%sJSON line %zu, column %zu: %s",
                        ps->name ? ps->name : "", ps->name ? ": " : "", line, col, what);
}

static lm_status nomem(parser *ps)
{
    return lm_error_set(ps->err, LM_ERR_NOMEM, "out of memory parsing JSON");
}

/* ---- nodes --------------------------------------------------------------- */

static lm_status new_node(parser *ps, lm_json_type type, size_t *idx)
{
    lm_json *d = ps->doc;
    if (d->n_nodes == d->cap_nodes) {
        size_t cap = d->cap_nodes ? d->cap_nodes * 2 : 64;
        if (cap > UINT32_MAX)
            return fail_at(ps, ps->p, "too many values");
        lm_json_value *nn = realloc(d->nodes, cap * sizeof *nn);
        if (!nn)
            return nomem(ps);
        d->nodes = nn;
        d->cap_nodes = cap;
    }
    lm_json_value *v = &d->nodes[d->n_nodes];
    memset(v, 0, sizeof *v);
    v->type = (uint8_t)type;
    v->span = 1;
    *idx = d->n_nodes++;
    return LM_OK;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* ---- strings ------------------------------------------------------------- */

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* Decodes the string starting at the opening quote into the pool; *s and
 * *len describe the result (NUL-terminated). */
static lm_status parse_string(parser *ps, const char **s, uint32_t *len)
{
    lm_json *d = ps->doc;
    char *out = d->pool + d->pool_len;
    char *o = out;
    const char *q = ps->p + 1;
    for (;;) {
        if (q >= ps->end)
            return fail_at(ps, ps->p, "unterminated string");
        unsigned char c = (unsigned char)*q;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail_at(ps, q, "control character in string (must be escaped)");
        if (c == '\\') {
            if (q + 1 >= ps->end)
                return fail_at(ps, q, "unterminated escape");
            char e = q[1];
            const char *esc = q;
            q += 2;
            switch (e) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                uint32_t cp, lo;
                if (ps->end - q < 4 || !hex4(q, &cp))
                    return fail_at(ps, esc, "bad \\u escape");
                q += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return fail_at(ps, esc, "unpaired low surrogate in \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (ps->end - q < 6 || q[0] != '\\' || q[1] != 'u' || !hex4(q + 2, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return fail_at(ps, esc, "unpaired high surrogate in \\u escape");
                    q += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                char enc[4];
                size_t n = lm_utf8_encode(cp, enc);
                memcpy(o, enc, n);   /* n <= escape length: 6 or 12 bytes */
                o += n;
                break;
            }
            default:
                return fail_at(ps, esc, "unknown escape in string");
            }
            continue;
        }
        if (c < 0x80) {
            *o++ = (char)c;
            q++;
            continue;
        }
        uint32_t cp;
        size_t n = lm_utf8_decode(q, (size_t)(ps->end - q), &cp);
        if (n == 0)
            return fail_at(ps, q, "invalid UTF-8 in string");
        memcpy(o, q, n);
        o += n;
        q += n;
    }
    size_t n = (size_t)(o - out);
    if (n > UINT32_MAX)
        return fail_at(ps, ps->p, "string too long");
    *o = '\0';
    d->pool_len += n + 1;
    *s = out;
    *len = (uint32_t)n;
    ps->p = q + 1;
    return LM_OK;
}

/* ---- numbers ------------------------------------------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static lm_status parse_number(parser *ps, lm_json_value *v)
{
    const char *s = ps->p, *q = s;
    int negative = 0, integral = 1;
    if (q < ps->end && *q == '-') {
        negative = 1;
        q++;
    }
    if (q >= ps->end || !is_digit(*q))
        return fail_at(ps, s, "invalid number");
    if (*q == '0') {
        q++;
        if (q < ps->end && is_digit(*q))
            return fail_at(ps, s, "leading zero in number");
    } else {
        while (q < ps->end && is_digit(*q))
            q++;
    }
    size_t int_digits = (size_t)(q - s) - (size_t)negative;
    if (q < ps->end && *q == '.') {
        integral = 0;
        q++;
        if (q >= ps->end || !is_digit(*q))
            return fail_at(ps, s, "digit expected after decimal point");
        while (q < ps->end && is_digit(*q))
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        integral = 0;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || !is_digit(*q))
            return fail_at(ps, s, "digit expected in exponent");
        while (q < ps->end && is_digit(*q))
            q++;
    }
    v->type = LM_JSON_NUMBER;
    if (integral && int_digits <= 18) {
        int64_t x = 0;
        for (const char *c = s + negative; c < q; c++)
            x = x * 10 + (*c - '0');
        v->u.i = negative ? -x : x;
        v->flags |= FLAG_INT;
    } else {
        /* A NUL-terminated copy for strtod, in pool space not yet used: the
         * pool has room for every byte of input. */
        char *tmp = ps->doc->pool + ps->doc->pool_len;
        memcpy(tmp, s, (size_t)(q - s));
        tmp[q - s] = '\0';
        errno = 0;
        double dv = strtod(tmp, NULL);
        if (isinf(dv))
            return fail_at(ps, s, "number out of range");
        v->u.d = dv;
    }
    ps->p = q;
    return LM_OK;
}

/* ---- values -------------------------------------------------------------- */

static lm_status parse_value(parser *ps, size_t *idx);

static int keys_equal(const lm_json_value *a, const lm_json_value *b)
{
    return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

static int cmp_key_ptr(const void *x, const void *y)
{
    const lm_json_value *a = *(const lm_json_value *const *)x;
    const lm_json_value *b = *(const lm_json_value *const *)y;
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    if (c)
        return c;
    return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

/* Rejects an object that names a key twice. */
static lm_status check_duplicates(parser *ps, size_t obj, const char *at)
{
    lm_json_value *nodes = ps->doc->nodes;
    size_t n = nodes[obj].n;
    if (n < 2)
        return LM_OK;
    const lm_json_value *dup = NULL;
    if (n <= 8) {
        const lm_json_value *m[8];
        const lm_json_value *c = &nodes[obj + 1];
        for (size_t i = 0; i < n; i++, c += c->span)
            m[i] = c;
        for (size_t i = 0; i < n && !dup; i++)
            for (size_t j = i + 1; j < n && !dup; j++)
                if (keys_equal(m[i], m[j]))
                    dup = m[i];
    } else {
        const lm_json_value **m = malloc(n * sizeof *m);
        if (!m)
            return nomem(ps);
        const lm_json_value *c = &nodes[obj + 1];
        for (size_t i = 0; i < n; i++, c += c->span)
            m[i] = c;
        qsort(m, n, sizeof *m, cmp_key_ptr);
        for (size_t i = 1; i < n && !dup; i++)
            if (keys_equal(m[i - 1], m[i]))
                dup = m[i];
        free(m);
    }
    if (!dup)
        return LM_OK;
    char msg[160];
    snprintf(msg, sizeof msg, "duplicate key \"%.100s\"", dup->key);
    return fail_at(ps, at, msg);
}

static lm_status parse_container(parser *ps, size_t idx, int is_object)
{
    const char *open = ps->p;
    char close = is_object ? '}' : ']';
    if (++ps->depth > ps->max_depth)
        return fail_at(ps, open, "nesting too deep");
    ps->p++;
    skip_ws(ps);
    size_t count = 0, prev = 0;
    lm_status st;
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return LM_OK;
    }
    for (;;) {
        const char *key = NULL;
        uint32_t key_len = 0;
        skip_ws(ps);
        if (is_object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail_at(ps, ps->p, "object key (a string) expected");
            if ((st = parse_string(ps, &key, &key_len)) != LM_OK)
                return st;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail_at(ps, ps->p, "':' expected after object key");
            ps->p++;
        }
        size_t child;
        if ((st = parse_value(ps, &child)) != LM_OK)
            return st;
        lm_json_value *nodes = ps->doc->nodes;
        nodes[child].key = key;
        nodes[child].key_len = key_len;
        if (count > 0)
            nodes[prev].flags |= FLAG_HAS_NEXT;
        prev = child;
        if (++count > UINT32_MAX)
            return fail_at(ps, ps->p, "too many elements");
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            break;
        }
        return fail_at(ps, ps->p, is_object ? "',' or '}' expected" : "',' or ']' expected");
    }
    lm_json_value *self = &ps->doc->nodes[idx];
    self->n = (uint32_t)count;
    self->span = (uint32_t)(ps->doc->n_nodes - idx);
    ps->depth--;
    return is_object ? check_duplicates(ps, idx, open) : LM_OK;
}

static int literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return 0;
    ps->p += n;
    return 1;
}

static lm_status parse_value(parser *ps, size_t *idx)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail_at(ps, ps->p, "value expected, found end of input");
    lm_status st = new_node(ps, LM_JSON_NULL, idx);
    if (st != LM_OK)
        return st;
    lm_json_value *v = &ps->doc->nodes[*idx];
    char c = *ps->p;
    switch (c) {
    case '{':
        v->type = LM_JSON_OBJECT;
        return parse_container(ps, *idx, 1);
    case '[':
        v->type = LM_JSON_ARRAY;
        return parse_container(ps, *idx, 0);
    case '"':
        v->type = LM_JSON_STRING;
        return parse_string(ps, &v->u.s, &v->n);
    case 't':
        v->type = LM_JSON_TRUE;
        return literal(ps, "true") ? LM_OK : fail_at(ps, ps->p, "invalid literal");
    case 'f':
        v->type = LM_JSON_FALSE;
        return literal(ps, "false") ? LM_OK : fail_at(ps, ps->p, "invalid literal");
    case 'n':
        return literal(ps, "null") ? LM_OK : fail_at(ps, ps->p, "invalid literal");
    default:
        if (c == '-' || is_digit(c))
            return parse_number(ps, v);
        return fail_at(ps, ps->p, "unexpected character (a value was expected)");
    }
}

/* ---- public -------------------------------------------------------------- */

lm_status lm_json_parse(lm_json **out, const char *text, size_t len, const lm_json_limits *lim,
                        const char *name, lm_error *err)
{
    *out = NULL;
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : DEFAULT_MAX_BYTES;
    size_t max_depth = lim && lim->max_depth ? lim->max_depth : DEFAULT_MAX_DEPTH;
    if (len > max_bytes)
        return lm_error_set(err, LM_ERR_FORMAT, "%s%sJSON document of %zu bytes exceeds the %zu-byte limit",
                            name ? name : "", name ? ": " : "", len, max_bytes);
    lm_json *doc = calloc(1, sizeof *doc);
    if (!doc || !(doc->pool = malloc(len + 1))) {
        free(doc);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory parsing JSON");
    }
    parser ps = {.p = text, .start = text, .end = text + len, .max_depth = max_depth,
                 .doc = doc, .name = name, .err = err};
    lm_status st;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        st = fail_at(&ps, text, "byte-order mark before JSON text");
    } else {
        size_t root;
        st = parse_value(&ps, &root);
        if (st == LM_OK) {
            skip_ws(&ps);
            if (ps.p != ps.end)
                st = fail_at(&ps, ps.p, "unexpected text after the JSON value");
        }
    }
    if (st != LM_OK) {
        lm_json_free(doc);
        return st;
    }
    *out = doc;
    return LM_OK;
}

lm_status lm_json_parse_file(lm_json **out, const char *path, const lm_json_limits *lim,
                             lm_error *err)
{
    *out = NULL;
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : DEFAULT_MAX_BYTES;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, errno == ENOENT ? LM_ERR_NOTFOUND : LM_ERR_IO, "%s: %s", path,
                            strerror(errno));
    struct stat stt;
    if (fstat(fileno(f), &stt) != 0 || !S_ISREG(stt.st_mode)) {
        fclose(f);
        return lm_error_set(err, LM_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)stt.st_size > max_bytes) {
        fclose(f);
        return lm_error_set(err, LM_ERR_FORMAT, "%s: %lld bytes exceeds the %zu-byte JSON limit",
                            path, (long long)stt.st_size, max_bytes);
    }
    size_t n = (size_t)stt.st_size;
    char *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory reading %s", path);
    }
    size_t got = fread(buf, 1, n, f);
    int bad = ferror(f) || got != n;
    fclose(f);
    if (bad) {
        free(buf);
        return lm_error_set(err, LM_ERR_IO, "%s: read failed", path);
    }
    lm_status st = lm_json_parse(out, buf, n, lim, path, err);
    free(buf);
    return st;
}

void lm_json_free(lm_json *doc)
{
    if (!doc)
        return;
    free(doc->nodes);
    free(doc->pool);
    free(doc);
}

const lm_json_value *lm_json_root(const lm_json *doc)
{
    return doc && doc->n_nodes ? &doc->nodes[0] : NULL;
}

lm_json_type lm_json_type_of(const lm_json_value *v)
{
    return v ? (lm_json_type)v->type : LM_JSON_NULL;
}

const char *lm_json_type_name(lm_json_type t)
{
    switch (t) {
    case LM_JSON_NULL: return "null";
    case LM_JSON_FALSE:
    case LM_JSON_TRUE: return "boolean";
    case LM_JSON_NUMBER: return "number";
    case LM_JSON_STRING: return "string";
    case LM_JSON_ARRAY: return "array";
    case LM_JSON_OBJECT: return "object";
    }
    return "?";
}

static int is_container(const lm_json_value *v)
{
    return v && (v->type == LM_JSON_ARRAY || v->type == LM_JSON_OBJECT);
}

size_t lm_json_count(const lm_json_value *v)
{
    return is_container(v) ? v->n : 0;
}

const lm_json_value *lm_json_first(const lm_json_value *v)
{
    return is_container(v) && v->n > 0 ? v + 1 : NULL;
}

const lm_json_value *lm_json_next(const lm_json_value *v)
{
    return v && (v->flags & FLAG_HAS_NEXT) ? v + v->span : NULL;
}

const lm_json_value *lm_json_at(const lm_json_value *v, size_t i)
{
    if (!is_container(v) || i >= v->n)
        return NULL;
    const lm_json_value *c = v + 1;
    while (i-- > 0)
        c += c->span;
    return c;
}

const lm_json_value *lm_json_get(const lm_json_value *obj, const char *key)
{
    if (!obj || obj->type != LM_JSON_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    for (const lm_json_value *c = lm_json_first(obj); c; c = lm_json_next(c))
        if (c->key_len == kl && memcmp(c->key, key, kl) == 0)
            return c;
    return NULL;
}

const char *lm_json_key(const lm_json_value *member, size_t *len)
{
    if (len)
        *len = member && member->key ? member->key_len : 0;
    return member ? member->key : NULL;
}

int lm_json_bool(const lm_json_value *v, int *out)
{
    if (!v || (v->type != LM_JSON_TRUE && v->type != LM_JSON_FALSE))
        return 0;
    *out = v->type == LM_JSON_TRUE;
    return 1;
}

int lm_json_double(const lm_json_value *v, double *out)
{
    if (!v || v->type != LM_JSON_NUMBER)
        return 0;
    *out = (v->flags & FLAG_INT) ? (double)v->u.i : v->u.d;
    return 1;
}

int lm_json_int64(const lm_json_value *v, int64_t *out)
{
    if (!v || v->type != LM_JSON_NUMBER || !(v->flags & FLAG_INT))
        return 0;
    *out = v->u.i;
    return 1;
}

const char *lm_json_str(const lm_json_value *v, size_t *len)
{
    if (!v || v->type != LM_JSON_STRING)
        return NULL;
    if (len)
        *len = v->n;
    return v->u.s;
}

const char *lm_json_get_str(const lm_json_value *obj, const char *key, const char *def)
{
    const char *s = lm_json_str(lm_json_get(obj, key), NULL);
    return s ? s : def;
}

int64_t lm_json_get_int(const lm_json_value *obj, const char *key, int64_t def)
{
    int64_t v;
    return lm_json_int64(lm_json_get(obj, key), &v) ? v : def;
}

double lm_json_get_double(const lm_json_value *obj, const char *key, double def)
{
    double v;
    return lm_json_double(lm_json_get(obj, key), &v) ? v : def;
}

int lm_json_get_bool(const lm_json_value *obj, const char *key, int def)
{
    int v;
    return lm_json_bool(lm_json_get(obj, key), &v) ? v : def;
}
