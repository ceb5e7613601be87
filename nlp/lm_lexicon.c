/*
 * Lexicon core: the normal form of names, concept ids, the built lexicon's
 * arrays, its binary file and cache, and the lookup of a name.  What a
 * lexicon is made from and what a tagged mention is read as live beside
 * it: the builder in lm_lexicon_builder.c, the lookup of a mention the
 * lexicon does not know as written in lm_lexicon_mention.c (its chemical
 * rewrites in lm_lexicon_chemical.c, its disease rewordings in
 * lm_lexicon_disease.c), the importers in nlp/train/lm_lexicon_import.c.
 * The builder and the mention files share this file's arrays and key
 * search through lm_lexicon_internal.h; callers see lm_lexicon.h only.
 *
 * Representation.  A built lexicon is four flat arrays: concepts (id, name,
 * types), a sorted array of normalised names (keys), for each key a run of
 * entries (concept, type, flags, score, count) ordered best first, and one
 * string blob.  Lookup is a binary search over the keys — no hash table to
 * rebuild at load time, so loading is reading + inflating + validating the
 * file, and the structure is naturally read-only and thread-safe.
 *
 * Loading maps a cache of the file when there is one (util/lm_mapcache.h,
 * lm_lexicon_load): the four arrays and the strings as they are in
 * memory, so a mapped lexicon only sets its pointers.
 *
 * File.  40-byte header — magic "LMLEX\0\r\n", version, flags, raw and
 * stored payload sizes, CRC-32 of the stored payload and of the header —
 * then the zlib-deflated payload.  All integers little-endian.  Every
 * offset and index is validated at load so a file that passes the checksum
 * but was written by a buggy tool still cannot make lookups read out of
 * bounds.
 */
#include "../util/lm_buf.h"
#include "../util/lm_le.h"
#include "../util/lm_sort.h"
#include "../util/lm_file.h"
#include "../util/lm_mapcache.h"
#include "lm_lexicon_internal.h"

#include "../util/lm_utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

/* ---- normalization ---- */

static const char *const greek[25] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "sigma",
    "tau", "upsilon", "phi", "chi", "psi", "omega"};

/* ASCII spelling of U+00C0..U+00FF ("" = separator). */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y"};

/* British -> American spellings, applied inside a token.  Every target is
 * shorter than its source so the rewrite happens in place. */
static const struct {
    const char *from, *to;
    size_t flen, tlen;
} spelling[] = {
#define SP(a, b) {a, b, sizeof a - 1, sizeof b - 1}
    SP("tumour", "tumor"),
    SP("behaviour", "behavior"),
    SP("colour", "color"),
    SP("aemia", "emia"),
    SP("haem", "hem"),
    SP("oedem", "edem"),
    SP("oesophag", "esophag"),
    SP("ischaem", "ischem"),
    SP("oea", "ea"),
    SP("oestr", "estr"),
    SP("foet", "fet"),
    SP("paediatr", "pediatr"),
    SP("anaesth", "anesth"),
    SP("sulph", "sulf"),
    SP("orthopaed", "orthoped"),
    SP("gynaec", "gynec"),
    SP("leucocyt", "leukocyt"),
    SP("aluminium", "aluminum"),
    SP("caesium", "cesium"),
    SP("aetiol", "etiol"),
#undef SP
};

static const struct {
    const char *roman, *digit;
} romans[] = {
    {"ii", "2"}, {"iii", "3"}, {"iv", "4"}, {"vi", "6"}, {"vii", "7"}, {"viii", "8"}, {"ix", "9"},
};

typedef struct normw {
    char *out;
    size_t cap, n;
    int overflow;
    size_t tok;          /* start of the current token in out */
    char prev[12];       /* previous token, for "type I" */
} normw;

static void nw_put(normw *w, const char *s, size_t n)
{
    if (w->n + n + 1 > w->cap) {
        w->overflow = 1;
        return;
    }
    memcpy(w->out + w->n, s, n);
    w->n += n;
}

static void nw_end_token(normw *w)
{
    char *t = w->out + w->tok;
    size_t n = w->n - w->tok;
    if (n == 0)
        return;
    /* spelling variants */
    size_t r = 0, o = 0;
    while (r < n) {
        size_t k = 0;
        for (; k < sizeof spelling / sizeof spelling[0]; k++) {
            size_t fl = spelling[k].flen;
            if (fl <= n - r && t[r] == spelling[k].from[0] &&
                memcmp(t + r, spelling[k].from, fl) == 0)
                break;
        }
        if (k < sizeof spelling / sizeof spelling[0]) {
            memmove(t + o, spelling[k].to, spelling[k].tlen);
            o += spelling[k].tlen;
            r += spelling[k].flen;
        } else {
            t[o++] = t[r++];
        }
    }
    n = o;
    /* Roman numerals standing alone */
    int roman = 0;
    for (size_t k = 0; k < sizeof romans / sizeof romans[0] && !roman; k++) {
        if (strlen(romans[k].roman) == n && memcmp(t, romans[k].roman, n) == 0) {
            t[0] = romans[k].digit[0];
            n = 1;
            roman = 1;
        }
    }
    if (!roman && n == 1 && t[0] == 'i') {
        static const char *const before_one[] = {"type", "class", "grade", "stage", "phase",
                                                 "factor", "complex"};
        for (size_t k = 0; k < sizeof before_one / sizeof before_one[0]; k++)
            if (strcmp(w->prev, before_one[k]) == 0)
                t[0] = '1';
    }
    if (n < sizeof w->prev) {
        memcpy(w->prev, t, n);
        w->prev[n] = '\0';
    } else {
        w->prev[0] = '\0';
    }
    w->n = w->tok + n;
    w->tok = w->n;
}

size_t lm_lexicon_normalize(const char *text, size_t len, char *out, size_t cap)
{
    if (!out || cap == 0)
        return 0;
    normw w = {out, cap, 0, 0, 0, ""};
    size_t i = 0;
    while (i < len && !w.overflow) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80) {
            if (is_alnum_ascii(c)) {
                char l = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                nw_put(&w, &l, 1);
            } else if (c == '\'' && i + 1 < len && (text[i + 1] == 's' || text[i + 1] == 'S') &&
                       (i + 2 == len || !is_alnum_ascii((unsigned char)text[i + 2]))) {
                nw_end_token(&w);
                i += 2;   /* possessive 's */
                continue;
            } else {
                nw_end_token(&w);
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = lm_utf8_decode(text + i, len - i, &cp);
        if (n == 0) {   /* invalid byte: a separator */
            nw_end_token(&w);
            i++;
            continue;
        }
        if (cp >= 0x3B1 && cp <= 0x3C9) {
            nw_put(&w, greek[cp - 0x3B1], strlen(greek[cp - 0x3B1]));
        } else if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) {
            nw_put(&w, greek[cp - 0x391], strlen(greek[cp - 0x391]));
        } else if (cp == 0xB5) {
            nw_put(&w, "mu", 2);
        } else if (cp >= 0xC0 && cp <= 0xFF && latin1[cp - 0xC0][0]) {
            nw_put(&w, latin1[cp - 0xC0], strlen(latin1[cp - 0xC0]));
        } else if ((cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
                   (cp >= 0x2000 && cp <= 0x206F) || cp == 0x2212) {
            /* apostrophes ’ and ′ before a possessive s */
            if ((cp == 0x2019 || cp == 0x2032) && i + n < len &&
                (text[i + n] == 's' || text[i + n] == 'S') &&
                (i + n + 1 == len || !is_alnum_ascii((unsigned char)text[i + n + 1]))) {
                nw_end_token(&w);
                i += n + 1;
                continue;
            }
            nw_end_token(&w);
        } else {
            nw_put(&w, text + i, n);   /* other scripts: kept as they are */
        }
        i += n;
    }
    if (!w.overflow)
        nw_end_token(&w);
    if (w.overflow || w.n < 2) {
        out[0] = '\0';
        return 0;
    }
    out[w.n] = '\0';
    return w.n;
}

/* ---- ids ---- */

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int lm_lexicon_qualify_id(lm_ent_type type, const char *id, lm_buf *out)
{
    lm_buf_reset(out);
    if (!id)
        return -1;
    int parts = 0;
    const char *p = id;
    while (*p) {
        const char *a, *b;
        p = lm_id_next_part(p, &a, &b);
        size_t n = (size_t)(b - a);
        if (n == 0 || (n == 2 && a[0] == '-' && a[1] == '1'))
            continue;
        if (parts && lm_buf_append_char(out, '|') != LM_OK)
            return -2;
        lm_status st;
        if (n > 5 && strncasecmp(a, "MESH:", 5) == 0)
            st = lm_buf_printf(out, "MESH:%.*s", (int)(n - 5), a + 5);
        else if (n > 9 && strncasecmp(a, "NCBIGene:", 9) == 0)
            st = lm_buf_printf(out, "NCBIGene:%.*s", (int)(n - 9), a + 9);
        else if (memchr(a, ':', n))
            st = lm_buf_append(out, a, n);
        else if (type == LM_ENT_GENE && all_digits(a, n))
            st = lm_buf_printf(out, "NCBIGene:%.*s", (int)n, a);
        else if ((a[0] == 'D' || a[0] == 'C') && all_digits(a + 1, n - 1))
            st = lm_buf_printf(out, "MESH:%.*s", (int)n, a);
        else
            st = lm_buf_append(out, a, n);
        if (st != LM_OK)
            return -2;
        parts++;
    }
    return parts ? 0 : -1;
}

/* ---- the built lexicon ---- */

void lm_lexicon_free(lm_lexicon *lex)
{
    if (!lex)
        return;
    if (lex->mapped) {
        lm_mapcache_close(lex->mapped);
        free(lex->mapped);
        free(lex);
        return;
    }
    free(lex->strings);
    free(lex->concepts);
    free(lex->key_off);
    free(lex->first);
    free(lex->entries);
    free(lex);
}

void lm_lexicon_get_info(const lm_lexicon *lex, lm_lexicon_info *out)
{
    out->n_concepts = lex->n_concepts;
    out->n_names = lex->n_keys;
    out->n_entries = lex->n_entries;
}

static double entry_score(const lex_entry *e)
{
    if (e->flags & LM_LEX_CORPUS)
        return LM_LEX_SCORE_CORPUS;
    return e->score / 1000.0;
}

/* ---- file ---- */

#define LEX_MAGIC "LMLEX\0\r\n"
#define LEX_VERSION 2u
#define LEX_HEADER 40u
#define LEX_FLAG_DEFLATE 1u

static void put64(unsigned char *p, uint64_t v)
{
    lm_le32_put(p, (uint32_t)v);
    lm_le32_put(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)lm_le32_get(p) | (uint64_t)lm_le32_get(p + 4) << 32;
}

/* Payload: counts, concepts, key offsets, key firsts, entries, strings. */
static size_t payload_size(const lm_lexicon *lex)
{
    return 16 + (size_t)lex->n_concepts * 24 + (size_t)lex->n_keys * 4 +
           ((size_t)lex->n_keys + 1) * 4 + (size_t)lex->n_entries * 12 + lex->strings_len;
}
/* The file keeps entity types as the bits 1 Chemical, 2 Disease, 4 Gene
 * (concept type sets, and one bit per entry); in memory they are
 * lm_ent_type values and LM_ENT_BIT masks. */
static unsigned file_types(unsigned mask)
{
    return mask >> 1;
}

static unsigned mem_types(unsigned bits)
{
    return bits << 1;
}

static uint8_t entry_type(unsigned bit)
{
    return (uint8_t)(bit == 1 ? LM_ENT_CHEMICAL : bit == 2 ? LM_ENT_DISEASE
                     : bit == 4 ? LM_ENT_GENE : LM_ENT_NONE);
}


static void payload_write(const lm_lexicon *lex, unsigned char *p)
{
    lm_le32_put(p, lex->n_concepts);
    lm_le32_put(p + 4, lex->n_keys);
    lm_le32_put(p + 8, lex->n_entries);
    lm_le32_put(p + 12, lex->strings_len);
    p += 16;
    for (uint32_t i = 0; i < lex->n_concepts; i++, p += 24) {
        lm_le32_put(p, lex->concepts[i].id_off);
        lm_le32_put(p + 4, lex->concepts[i].name_off);
        lm_le32_put(p + 8, file_types(lex->concepts[i].types));
        lm_le32_put(p + 12, lex->concepts[i].classes);
        lm_le32_put(p + 16, lex->concepts[i].xref_off);
        lm_le32_put(p + 20, lex->concepts[i].trees_off);
    }
    for (uint32_t i = 0; i < lex->n_keys; i++, p += 4)
        lm_le32_put(p, lex->key_off[i]);
    for (uint32_t i = 0; i <= lex->n_keys; i++, p += 4)
        lm_le32_put(p, lex->first[i]);
    for (uint32_t i = 0; i < lex->n_entries; i++, p += 12) {
        const lex_entry *e = &lex->entries[i];
        lm_le32_put(p, e->concept);
        lm_le32_put(p + 4, e->count);
        p[8] = (unsigned char)(e->score & 0xFF);
        p[9] = (unsigned char)(e->score >> 8);
        p[10] = (unsigned char)file_types(LM_ENT_BIT(e->type));
        p[11] = e->flags;
    }
    if (lex->strings_len)
        memcpy(p, lex->strings, lex->strings_len);
}

lm_status lm_lexicon_save(const lm_lexicon *lex, const char *path, lm_error *err)
{
    size_t raw_len = payload_size(lex);
    unsigned char *raw = malloc(raw_len);
    uLongf zlen = compressBound((uLong)raw_len);
    unsigned char *z = malloc(LEX_HEADER + zlen);
    if (!raw || !z) {
        free(raw);
        free(z);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory saving the lexicon");
    }
    payload_write(lex, raw);
    int zr = compress2(z + LEX_HEADER, &zlen, raw, (uLong)raw_len, Z_DEFAULT_COMPRESSION);
    free(raw);
    if (zr != Z_OK) {
        free(z);
        return lm_error_set(err, LM_ERR_NOMEM, "zlib compress failed (%d)", zr);
    }
    memcpy(z, LEX_MAGIC, 8);
    lm_le32_put(z + 8, LEX_VERSION);
    lm_le32_put(z + 12, LEX_FLAG_DEFLATE);
    put64(z + 16, raw_len);
    put64(z + 24, zlen);
    lm_le32_put(z + 32, (uint32_t)crc32(0L, z + LEX_HEADER, (uInt)zlen));
    lm_le32_put(z + 36, (uint32_t)crc32(0L, z, 36));

    lm_status st = lm_file_write_atomic(path, z, LEX_HEADER + (size_t)zlen, err);
    free(z);
    return st;
}

static lm_status corrupt(lm_error *err, const char *path, const char *what)
{
    return lm_error_set(err, LM_ERR_CORRUPT, "%s: corrupt lexicon file (%s)", path, what);
}

/* Checks every index of a decoded payload. */
static const char *validate(const lm_lexicon *lex)
{
    if (lex->strings_len == 0 || lex->strings[lex->strings_len - 1] != '\0')
        return "string table";
    for (uint32_t i = 0; i < lex->n_concepts; i++) {
        if (lex->concepts[i].id_off >= lex->strings_len ||
            lex->concepts[i].name_off >= lex->strings_len ||
            lex->concepts[i].xref_off >= lex->strings_len ||
            lex->concepts[i].trees_off >= lex->strings_len)
            return "concept table";
        if (i && strcmp(lex->strings + lex->concepts[i - 1].id_off,
                        lex->strings + lex->concepts[i].id_off) >= 0)
            return "concept order";
    }
    if (lex->first[0] != 0 || lex->first[lex->n_keys] != lex->n_entries)
        return "key table";
    for (uint32_t i = 0; i < lex->n_keys; i++) {
        if (lex->key_off[i] >= lex->strings_len || lex->first[i] >= lex->first[i + 1])
            return "key table";
        if (i && strcmp(lex->strings + lex->key_off[i - 1], lex->strings + lex->key_off[i]) >= 0)
            return "key order";
    }
    for (uint32_t i = 0; i < lex->n_entries; i++) {
        const lex_entry *e = &lex->entries[i];
        if (e->concept >= lex->n_concepts || e->score > 1000 ||
            (e->type != LM_ENT_CHEMICAL && e->type != LM_ENT_DISEASE && e->type != LM_ENT_GENE))
            return "entry table";
    }
    return NULL;
}

static lm_status load_file(const char *path, lm_lexicon **out, lm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char h[LEX_HEADER];
    size_t got = fread(h, 1, sizeof h, f);
    if (got != sizeof h) {
        int e = ferror(f);
        fclose(f);
        return e ? lm_error_set(err, LM_ERR_IO, "%s: read error", path)
                 : corrupt(err, path, "truncated header");
    }
    if (memcmp(h, LEX_MAGIC, 8) != 0) {
        fclose(f);
        return corrupt(err, path, "not a litmine lexicon");
    }
    if (lm_le32_get(h + 36) != (uint32_t)crc32(0L, h, 36)) {
        fclose(f);
        return corrupt(err, path, "header checksum");
    }
    if (lm_le32_get(h + 8) != LEX_VERSION) {
        fclose(f);
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: lexicon version %u, this build reads %u",
                            path, (unsigned)lm_le32_get(h + 8), LEX_VERSION);
    }
    uint64_t raw_len = get64(h + 16), zlen = get64(h + 24);
    if (lm_le32_get(h + 12) != LEX_FLAG_DEFLATE || raw_len < 16 || raw_len > ((uint64_t)1 << 32) ||
        zlen > ((uint64_t)1 << 32)) {
        fclose(f);
        return corrupt(err, path, "header fields");
    }
    unsigned char *z = malloc(zlen ? (size_t)zlen : 1);
    unsigned char *raw = malloc((size_t)raw_len);
    if (!z || !raw) {
        fclose(f);
        free(z);
        free(raw);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory loading %s", path);
    }
    got = fread(z, 1, (size_t)zlen, f);
    int extra = getc(f) != EOF;
    int rerr = ferror(f);
    fclose(f);
    lm_status st = LM_OK;
    lm_lexicon *lex = NULL;
    const char *why = NULL;
    uLongf rl = (uLongf)raw_len;
    if (rerr)
        st = lm_error_set(err, LM_ERR_IO, "%s: read error", path);
    else if (got != zlen || extra)
        why = "wrong length";
    else if (lm_le32_get(h + 32) != (uint32_t)crc32(0L, z, (uInt)zlen))
        why = "payload checksum";
    else if (uncompress(raw, &rl, z, (uLong)zlen) != Z_OK || rl != raw_len)
        why = "deflate stream";
    free(z);
    if (st != LM_OK || why)
        goto fail;

    lex = calloc(1, sizeof *lex);
    if (!lex)
        goto nomem;
    const unsigned char *p = raw;
    lex->n_concepts = lm_le32_get(p);
    lex->n_keys = lm_le32_get(p + 4);
    lex->n_entries = lm_le32_get(p + 8);
    lex->strings_len = lm_le32_get(p + 12);
    if (lex->n_keys == UINT32_MAX || payload_size(lex) != raw_len) {
        why = "table sizes";
        goto fail;
    }
    p += 16;
    lex->concepts = malloc((lex->n_concepts ? lex->n_concepts : 1) * sizeof *lex->concepts);
    lex->key_off = malloc((lex->n_keys ? lex->n_keys : 1) * sizeof *lex->key_off);
    lex->first = malloc(((size_t)lex->n_keys + 1) * sizeof *lex->first);
    lex->entries = malloc((lex->n_entries ? lex->n_entries : 1) * sizeof *lex->entries);
    lex->strings = malloc(lex->strings_len ? lex->strings_len : 1);
    if (!lex->concepts || !lex->key_off || !lex->first || !lex->entries || !lex->strings)
        goto nomem;
    for (uint32_t i = 0; i < lex->n_concepts; i++, p += 24) {
        lex->concepts[i].id_off = lm_le32_get(p);
        lex->concepts[i].name_off = lm_le32_get(p + 4);
        lex->concepts[i].types = mem_types(lm_le32_get(p + 8));
        lex->concepts[i].classes = lm_le32_get(p + 12);
        lex->concepts[i].xref_off = lm_le32_get(p + 16);
        lex->concepts[i].trees_off = lm_le32_get(p + 20);
    }
    for (uint32_t i = 0; i < lex->n_keys; i++, p += 4)
        lex->key_off[i] = lm_le32_get(p);
    for (uint32_t i = 0; i <= lex->n_keys; i++, p += 4)
        lex->first[i] = lm_le32_get(p);
    for (uint32_t i = 0; i < lex->n_entries; i++, p += 12) {
        lex_entry *e = &lex->entries[i];
        e->concept = lm_le32_get(p);
        e->count = lm_le32_get(p + 4);
        e->score = (uint16_t)(p[8] | p[9] << 8);
        e->type = entry_type(p[10]);
        e->flags = p[11];
    }
    if (lex->strings_len)
        memcpy(lex->strings, p, lex->strings_len);
    why = validate(lex);
    if (why)
        goto fail;
    free(raw);
    *out = lex;
    return LM_OK;
nomem:
    st = lm_error_set(err, LM_ERR_NOMEM, "out of memory loading %s", path);
fail:
    if (why)
        st = corrupt(err, path, why);
    free(raw);
    lm_lexicon_free(lex);
    return st;
}

/* The mapped cache (util/lm_mapcache.h): the loaded arrays as they are in
 * memory — a header of counts and struct sizes, then concepts, key
 * offsets, key firsts, entries and strings, each section aligned — so a
 * mapped lexicon's pointers are set, not filled.  Bump on any change to
 * the sections or to lex_concept / lex_entry. */
#define LEX_MAP_LAYOUT 1u

static size_t map_sections(const uint32_t *h, size_t sizes[6])
{
    sizes[0] = 8 * sizeof(uint32_t);
    sizes[1] = (size_t)h[0] * sizeof(lex_concept);
    sizes[2] = (size_t)h[1] * sizeof(uint32_t);
    sizes[3] = ((size_t)h[1] + 1) * sizeof(uint32_t);
    sizes[4] = (size_t)h[2] * sizeof(lex_entry);
    sizes[5] = h[3];
    size_t total = 0;
    for (int i = 0; i < 6; i++)
        total += lm_mapcache_padded(sizes[i]);
    return total;
}

/* Points a lexicon into a verified cache; NULL when its sections do not
 * add up (a cache of another build). */
static lm_lexicon *lex_from_cache(lm_mapcache *c)
{
    uint32_t h[8];
    if (c->len < sizeof h)
        return NULL;
    memcpy(h, c->payload, sizeof h);
    size_t sizes[6];
    if (h[4] != sizeof(lex_concept) || h[5] != sizeof(lex_entry) || h[1] == UINT32_MAX ||
        map_sections(h, sizes) != c->len || h[3] == 0)
        return NULL;
    lm_lexicon *lex = calloc(1, sizeof *lex);
    if (!lex)
        return NULL;
    const unsigned char *p = c->payload;
    const void *sec[6];
    for (int i = 0; i < 6; i++) {
        sec[i] = p;
        p += lm_mapcache_padded(sizes[i]);
    }
    lex->n_concepts = h[0];
    lex->n_keys = h[1];
    lex->n_entries = h[2];
    lex->strings_len = h[3];
    /* read-only mapping: a stray write faults instead of corrupting */
    lex->concepts = (lex_concept *)(uintptr_t)sec[1];
    lex->key_off = (uint32_t *)(uintptr_t)sec[2];
    lex->first = (uint32_t *)(uintptr_t)sec[3];
    lex->entries = (lex_entry *)(uintptr_t)sec[4];
    lex->strings = (char *)(uintptr_t)sec[5];
    return lex;
}

/* Writes the cache after a miss; best effort (the next process retries). */
static void lex_to_cache(const lm_lexicon *lex, const lm_mapcache *c)
{
    lm_error err;
    lm_mapcache_writer *w = NULL;
    uint32_t h[8] = {lex->n_concepts, lex->n_keys, lex->n_entries, lex->strings_len,
                     sizeof(lex_concept), sizeof(lex_entry), 0, 0};
    if (lm_mapcache_begin(c, &w, &err) != LM_OK)
        return;
    if (lm_mapcache_add(w, h, sizeof h, &err) != LM_OK ||
        lm_mapcache_add(w, lex->concepts, (size_t)lex->n_concepts * sizeof(lex_concept),
                        &err) != LM_OK ||
        lm_mapcache_add(w, lex->key_off, (size_t)lex->n_keys * sizeof(uint32_t), &err) != LM_OK ||
        lm_mapcache_add(w, lex->first, ((size_t)lex->n_keys + 1) * sizeof(uint32_t), &err) !=
            LM_OK ||
        lm_mapcache_add(w, lex->entries, (size_t)lex->n_entries * sizeof(lex_entry), &err) !=
            LM_OK ||
        lm_mapcache_add(w, lex->strings, lex->strings_len, &err) != LM_OK) {
        lm_mapcache_abort(w);
        return;
    }
    (void)lm_mapcache_commit(w, &err);
}

lm_status lm_lexicon_load(const char *path, lm_lexicon **out, lm_error *err)
{
    *out = NULL;
    lm_mapcache *c = calloc(1, sizeof *c);
    if (!c)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory loading %s", path);
    if (lm_mapcache_open(c, path, "lexicon", LEX_MAP_LAYOUT)) {
        lm_lexicon *lex = lex_from_cache(c);
        if (lex) {
            lex->mapped = c;
            *out = lex;
            return LM_OK;
        }
        lm_file_map_close(&c->map);
    }
    lm_status st = load_file(path, out, err);
    if (st == LM_OK)
        lex_to_cache(*out, c);
    lm_mapcache_close(c);
    free(c);
    return st;
}

int lm_lexicon_is_mapped(const lm_lexicon *lex)
{
    return lex && lex->mapped;
}

lm_status lm_lexicon_default_path(const lm_config *cfg, lm_buf *out, lm_error *err)
{
    const char *dir = cfg ? lm_config_get_or(cfg, "models", "dir", "models") : "models";
    lm_buf_reset(out);
    if (lm_buf_printf(out, "%s/lexicon.bin", *dir ? dir : ".") != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    return LM_OK;
}

/* ---- lookup ---- */

int lm_lexicon_get_concept(const lm_lexicon *lex, const char *id, lm_lexicon_concept *out)
{
    size_t a = 0, b = lex && id ? lex->n_concepts : 0;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        const lex_concept *c = &lex->concepts[m];
        int cmp = strcmp(lex->strings + c->id_off, id);
        if (cmp == 0) {
            out->id = lex->strings + c->id_off;
            out->name = lex->strings + c->name_off;
            out->xref = lex->strings + c->xref_off;
            out->trees = lex->strings + c->trees_off;
            out->types = c->types;
            out->classes = c->classes;
            return 1;
        }
        if (cmp < 0)
            a = m + 1;
        else
            b = m;
    }
    return 0;
}

long lm_lexicon_find_key(const lm_lexicon *lex, const char *key)
{
    size_t a = 0, b = lex->n_keys;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        int c = strcmp(lex->strings + lex->key_off[m], key);
        if (c == 0)
            return (long)m;
        if (c < 0)
            a = m + 1;
        else
            b = m;
    }
    return -1;
}

/* Does entry e satisfy the type and namespace filters? */
int lm_lexicon_entry_ok(const lm_lexicon *lex, const lex_entry *e, lm_ent_type want,
                        const char *ns)
{
    if (want != LM_ENT_ANY && (unsigned)want != e->type)
        return 0;
    return !ns || strncmp(lex->strings + lex->concepts[e->concept].id_off, ns, strlen(ns)) == 0;
}

/* Does key index ki have an entry of the wanted type whose concept is a
 * MeSH one (for want_mesh) or any (else)? */
static int form_has(const lm_lexicon *lex, long ki, lm_ent_type type, const char *ns,
                    int want_mesh)
{
    for (uint32_t e = lex->first[ki]; e < lex->first[ki + 1]; e++)
        if (lm_lexicon_entry_ok(lex, &lex->entries[e], type, ns) &&
            (!want_mesh ||
             strncmp(lex->strings + lex->concepts[lex->entries[e].concept].id_off, "MESH:", 5) ==
                 0))
            return 1;
    return 0;
}

/* Key index of the first form of key (exact, then singular/plural
 * variants of the last word) that has an entry of the wanted type.
 * MeSH files an ion or a class of salts under its plural ("Nitrites",
 * "Chlorides") while DrugBank has a drug for the singular ("Nitrite"): a
 * chemical whose exact form names only concepts without a MeSH id takes
 * the MeSH concept of a singular/plural form when there is one, so that
 * "nitrite" and "nitrites" are one concept. */
long lm_lexicon_find_form(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                          const char *key, size_t n, int *variant)
{
    char v[LM_LEXICON_KEY_MAX + 4];
    long exact = -1;
    for (int form = 0; form < 6; form++) {
        const char *k = v;
        if (form == 0) {
            k = key;
        } else if (form == 1 && n > 4 && strcmp(key + n - 3, "ies") == 0) {
            snprintf(v, sizeof v, "%.*sy", (int)(n - 3), key);
        } else if (form == 2 && n > 4 && strcmp(key + n - 2, "es") == 0) {
            snprintf(v, sizeof v, "%.*s", (int)(n - 2), key);
        } else if (form == 3 && n > 3 && key[n - 1] == 's' && key[n - 2] != 's' &&
                   key[n - 2] != 'u' && key[n - 2] != 'i') {
            snprintf(v, sizeof v, "%.*s", (int)(n - 1), key);
        } else if (form == 4 && n > 2 && key[n - 1] == 'y') {
            snprintf(v, sizeof v, "%.*sies", (int)(n - 1), key);
        } else if (form == 5 && n > 2 && key[n - 1] != 's') {
            snprintf(v, sizeof v, "%ss", key);
        } else {
            continue;
        }
        long ki = lm_lexicon_find_key(lex, k);
        if (ki < 0)
            continue;
        if (exact >= 0) {
            if (form_has(lex, ki, type, ns, 1)) {
                *variant = 1;
                return ki;
            }
            continue;
        }
        if (!form_has(lex, ki, type, ns, 0))
            continue;
        *variant = form != 0;
        if (form != 0 || type != LM_ENT_CHEMICAL || form_has(lex, ki, type, ns, 1))
            return ki;
        exact = ki;
    }
    if (exact >= 0)
        *variant = 0;
    return exact;
}

static void fill_match(const lm_lexicon *lex, const lex_entry *e, int variant, int n_cand,
                       lm_lexicon_match *out)
{
    const lex_concept *c = &lex->concepts[e->concept];
    out->id = lex->strings + c->id_off;
    out->name = lex->strings + c->name_off;
    out->xref = lex->strings + c->xref_off;
    out->classes = c->classes;
    out->type = (lm_ent_type)e->type;
    out->score = entry_score(e) * (variant == 0 ? 1.0 : variant == 3 ? 0.8 : 0.9);
    out->flags = e->flags;
    out->count = e->count;
    out->n_candidates = n_cand;
    out->variant = variant;
}

/* The entries of form ki that pass the type/namespace filter; each
 * match counts the candidates of its own type, its ambiguity. */
size_t lm_lexicon_matches_of_form(const lm_lexicon *lex, long ki, lm_ent_type type,
                                  const char *ns, int variant, lm_lexicon_match *out,
                                  size_t max)
{
    size_t got = 0;
    for (uint32_t e = lex->first[ki]; e < lex->first[ki + 1] && got < max; e++) {
        const lex_entry *x = &lex->entries[e];
        if (!lm_lexicon_entry_ok(lex, x, type, ns))
            continue;
        int cand = 0;
        for (uint32_t f = lex->first[ki]; f < lex->first[ki + 1]; f++)
            cand += lm_lexicon_entry_ok(lex, &lex->entries[f], (lm_ent_type)x->type, ns);
        fill_match(lex, x, variant, cand, &out[got++]);
    }
    return got;
}

size_t lm_lexicon_lookup_ns(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const char *text, size_t len, lm_lexicon_match *out, size_t max)
{
    char key[LM_LEXICON_KEY_MAX];
    size_t n = lm_lexicon_normalize(text, len, key, sizeof key);
    if (n == 0 || !lex)
        return 0;
    if (ns && !*ns)
        ns = NULL;
    int variant = 0;
    long ki = lm_lexicon_find_form(lex, type, ns, key, n, &variant);
    if (ki < 0)
        return 0;
    return lm_lexicon_matches_of_form(lex, ki, type, ns, variant, out, max);
}

size_t lm_lexicon_lookup_all(const lm_lexicon *lex, lm_ent_type type, const char *text,
                             size_t len, lm_lexicon_match *out, size_t max)
{
    return lm_lexicon_lookup_ns(lex, type, NULL, text, len, out, max);
}

int lm_lexicon_lookup(const lm_lexicon *lex, lm_ent_type type, const char *text, size_t len,
                      lm_lexicon_match *out)
{
    return lm_lexicon_lookup_ns(lex, type, NULL, text, len, out, 1) == 1;
}
