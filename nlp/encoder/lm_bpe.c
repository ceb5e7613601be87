/*
 * Byte-level BPE (see lm_bpe.h for the rules).
 *
 * Merges are a hash map from the pair of symbol ids to (rank, merged id).
 * A piece is merged with a binary heap of candidate pairs ordered by
 * (rank, position) over a doubly linked list of symbols: O(n log n) even
 * for a megabyte-long "word", where the textbook rescan-per-merge loop
 * would be quadratic.  A popped candidate is stale when its symbols were
 * merged away or changed since it was pushed; it is then skipped, the
 * newer candidates having been pushed when the change happened.
 *
 * A piece's bytes are indexed in "piece space": index 0 is the virtual
 * prefix space when add_prefix_space put one there, the rest map one to
 * one onto the original text; so a token's span converts to original
 * offsets by a subtraction.  All working memory is the lm_tokseq's.
 */
#include "lm_bpe.h"

#include "../../util/lm_unicode.h"
#include "../../util/lm_utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct merge_entry {
    uint64_t key;      /* left id << 32 | right id */
    uint32_t rank;     /* UINT32_MAX: empty slot */
    int32_t merged;
} merge_entry;

struct lm_bpe {
    const lm_vocab *vocab;
    int32_t byte_id[256];
    merge_entry *table;
    size_t cap;        /* power of two */
    size_t n_merges;
};

typedef struct symbol {
    int32_t id;
    int32_t prev, next;   /* -1 at the ends */
    uint32_t a, b;        /* piece-space byte span [a, b); b == a when merged away */
} symbol;

typedef struct candidate {
    uint32_t rank;
    uint32_t pos;         /* left symbol */
    uint32_t right;       /* right symbol when pushed */
    int32_t merged;
} candidate;

/* ---- merges table -------------------------------------------------------- */

static size_t slot_of(uint64_t key, size_t cap)
{
    /* splitmix64's finaliser spreads the two small ids over all bits */
    uint64_t z = key + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (size_t)(z ^ (z >> 31)) & (cap - 1);
}

static const merge_entry *find_merge(const lm_bpe *b, int32_t left, int32_t right)
{
    uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
    for (size_t i = slot_of(key, b->cap);; i = (i + 1) & (b->cap - 1)) {
        const merge_entry *e = &b->table[i];
        if (e->rank == UINT32_MAX)
            return NULL;
        if (e->key == key)
            return e;
    }
}

static void put_merge(lm_bpe *b, int32_t left, int32_t right, uint32_t rank, int32_t merged)
{
    uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
    for (size_t i = slot_of(key, b->cap);; i = (i + 1) & (b->cap - 1)) {
        merge_entry *e = &b->table[i];
        if (e->rank == UINT32_MAX || e->key == key) {
            if (e->rank == UINT32_MAX)
                b->n_merges++;
            /* a repeated pair takes the later rank, as the reference's map */
            e->key = key;
            e->rank = rank;
            e->merged = merged;
            return;
        }
    }
}

/* GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves,
 * the other 68 take U+0100 onwards in byte order. */
static uint32_t byte_symbol(int byte)
{
    int printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || byte >= 174;
    if (printable)
        return (uint32_t)byte;
    uint32_t k = 0;
    for (int c = 0; c < byte; c++)
        k += !((c >= 33 && c <= 126) || (c >= 161 && c <= 172) || c >= 174);
    return 256 + k;
}

void lm_bpe_free(lm_bpe *b)
{
    if (!b)
        return;
    free(b->table);
    free(b);
}

size_t lm_bpe_merges(const lm_bpe *b)
{
    return b->n_merges;
}

lm_status lm_bpe_load(lm_bpe **out, const lm_vocab *vocab, const char *merges_path, lm_error *err)
{
    *out = NULL;
    lm_bpe *b = calloc(1, sizeof *b);
    if (!b)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    b->vocab = vocab;
    for (int c = 0; c < 256; c++) {
        char enc[4];
        size_t k = lm_utf8_encode(byte_symbol(c), enc);
        b->byte_id[c] = lm_vocab_find(vocab, enc, k);
        if (b->byte_id[c] < 0) {
            lm_bpe_free(b);
            return lm_error_set(err, LM_ERR_FORMAT,
                                "vocab.json lacks the byte-level symbol for byte 0x%02x: not a "
                                "byte-level BPE vocabulary",
                                c);
        }
    }
    FILE *f = fopen(merges_path, "rb");
    if (!f) {
        lm_status st = errno == ENOENT ? LM_ERR_NOTFOUND : LM_ERR_IO;
        lm_bpe_free(b);
        return lm_error_set(err, st, "%s: %s", merges_path, strerror(errno));
    }
    /* Count lines first to size the table (at most half full). */
    size_t lines = 0;
    for (int c; (c = getc(f)) != EOF;)
        lines += c == '\n';
    rewind(f);
    b->cap = 16;
    while (b->cap < 2 * (lines + 1))
        b->cap *= 2;
    b->table = malloc(b->cap * sizeof *b->table);
    if (!b->table) {
        fclose(f);
        lm_bpe_free(b);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory reading %s", merges_path);
    }
    for (size_t i = 0; i < b->cap; i++)
        b->table[i].rank = UINT32_MAX;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    uint32_t rank = 0;
    ssize_t got;
    lm_status st = LM_OK;
    char joined[1024];
    while (st == LM_OK && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        line[n] = '\0';
        if (strncmp(line, "#version", 8) == 0)
            continue;
        char *sp = memchr(line, ' ', n);
        if (!sp || sp == line || sp + 1 == line + n || memchr(sp + 1, ' ', (size_t)(line + n - sp - 1))) {
            st = lm_error_set(err, LM_ERR_FORMAT, "%s:%zu: a merge is two tokens separated by one space",
                              merges_path, lineno);
            break;
        }
        size_t nl = (size_t)(sp - line), nr = n - nl - 1;
        int32_t left = lm_vocab_find(vocab, line, nl), right = lm_vocab_find(vocab, sp + 1, nr);
        int32_t merged = -1;
        if (nl + nr < sizeof joined) {
            memcpy(joined, line, nl);
            memcpy(joined + nl, sp + 1, nr);
            merged = lm_vocab_find(vocab, joined, nl + nr);
        }
        if (left < 0 || right < 0 || merged < 0) {
            st = lm_error_set(err, LM_ERR_FORMAT, "%s:%zu: merge \"%.60s\" uses a token missing from vocab.json",
                              merges_path, lineno, line);
            break;
        }
        put_merge(b, left, right, rank++, merged);
    }
    if (st == LM_OK && ferror(f))
        st = lm_error_set(err, LM_ERR_IO, "%s: read failed", merges_path);
    free(line);
    fclose(f);
    if (st != LM_OK) {
        lm_bpe_free(b);
        return st;
    }
    *out = b;
    return LM_OK;
}

/* ---- the GPT-2 pre-tokenizer ---------------------------------------------- */

enum { CLS_SPACE, CLS_LETTER, CLS_NUMBER, CLS_OTHER };

static int cls_of(uint32_t c)
{
    if (lm_uc_is_white_space(c))
        return CLS_SPACE;
    lm_uc_cat k = lm_uc_category(c);
    if (LM_UC_IS_LETTER(k))
        return CLS_LETTER;
    if (LM_UC_IS_NUMBER(k))
        return CLS_NUMBER;
    return CLS_OTHER;
}

/* End of the pattern match starting at character i of cp[0..n). */
static size_t next_piece(const uint32_t *cp, size_t n, size_t i)
{
    uint32_t c = cp[i];
    if (c == '\'' && i + 1 < n) {   /* 's 't 're 've 'm 'll 'd */
        uint32_t c1 = cp[i + 1];
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
            return i + 2;
        if (i + 2 < n) {
            uint32_t c2 = cp[i + 2];
            if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
                return i + 3;
        }
    }
    int k = cls_of(c);
    /* " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional literal
     * space followed by a run of one class */
    size_t j = i;
    if (c == ' ' && i + 1 < n && cls_of(cp[i + 1]) != CLS_SPACE) {
        j = i + 1;
        k = cls_of(cp[j]);
    }
    if (k != CLS_SPACE) {
        while (j < n && cls_of(cp[j]) == k)
            j++;
        return j;
    }
    /* "\s+(?!\S)" leaves the last space of a run before a non-space to the
     * next piece; a single space there falls to "\s+". */
    while (j < n && cls_of(cp[j]) == CLS_SPACE)
        j++;
    if (j < n && j - i > 1)
        return j - 1;
    return j;
}

/* ---- merging --------------------------------------------------------------- */

static int cand_less(const candidate *x, const candidate *y)
{
    return x->rank != y->rank ? x->rank < y->rank : x->pos < y->pos;
}

static void heap_push(candidate *h, size_t *n, candidate c)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cand_less(&c, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = c;
}

static candidate heap_pop(candidate *h, size_t *n)
{
    candidate top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const candidate *best = &last;
        if (l < *n && cand_less(&h[l], best)) {
            m = l;
            best = &h[l];
        }
        if (r < *n && cand_less(&h[r], best))
            m = r;
        if (m == i)
            break;
        h[i] = h[m];
        i = m;
    }
    if (*n > 0)
        h[i] = last;
    return top;
}

static void push_pair(const lm_bpe *b, const symbol *sym, candidate *h, size_t *nh, int32_t left)
{
    if (left < 0 || sym[left].next < 0)
        return;
    int32_t right = sym[left].next;
    const merge_entry *m = find_merge(b, sym[left].id, sym[right].id);
    if (m)
        heap_push(h, nh, (candidate){m->rank, (uint32_t)left, (uint32_t)right, m->merged});
}

/* Index of the character holding byte x among the piece's characters
 * [lo, hi) (x inside the piece). */
static size_t char_at(const lm_tokseq *s, size_t lo, size_t hi, uint32_t x)
{
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->cp_start[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Tokenises the piece of characters [ci, cj); virt: a prefix space was
 * added before character 0 and belongs to this piece. */
static lm_status encode_piece(const lm_bpe *b, const lm_bpe_config *cfg, const char *text,
                              lm_tokseq *s, size_t ci, size_t cj, int virt, lm_error *err)
{
    uint32_t base = s->cp_start[ci], stop = s->cp_end[cj - 1];
    size_t n = (size_t)(stop - base) + (virt ? 1 : 0);
    size_t need = n * sizeof(symbol) + 3 * n * sizeof(candidate) + 16;
    lm_status st = lm_tokseq_reserve_work(s, need, err);
    if (st != LM_OK)
        return st;
    symbol *sym = s->work;
    candidate *heap = (candidate *)(void *)(sym + n);
    for (size_t k = 0; k < n; k++) {
        unsigned char byte = virt && k == 0 ? ' ' : (unsigned char)text[base + k - (virt ? 1 : 0)];
        sym[k] = (symbol){b->byte_id[byte], (int32_t)k - 1, k + 1 < n ? (int32_t)k + 1 : -1,
                          (uint32_t)k, (uint32_t)k + 1};
    }
    size_t nh = 0;
    for (size_t k = 0; k + 1 < n; k++)
        push_pair(b, sym, heap, &nh, (int32_t)k);
    while (nh > 0) {
        candidate c = heap_pop(heap, &nh);
        symbol *l = &sym[c.pos];
        if (l->a == l->b || l->next != (int32_t)c.right)
            continue;   /* merged away, or its neighbour changed */
        symbol *r = &sym[c.right];
        const merge_entry *m = find_merge(b, l->id, r->id);
        if (!m || m->merged != c.merged)
            continue;
        l->id = c.merged;
        l->b = r->b;
        r->a = r->b;   /* dead */
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = (int32_t)c.pos;
        push_pair(b, sym, heap, &nh, l->prev);
        push_pair(b, sym, heap, &nh, (int32_t)c.pos);
    }
    size_t vshift = virt ? 1 : 0;
    for (int32_t k = 0; k >= 0; k = sym[k].next) {
        uint32_t a = sym[k].a, e = sym[k].b;
        /* The reference aligns every byte-level symbol with the whole
         * character it came from (the virtual space with the first
         * character), so a token covers whole characters. */
        size_t c0 = a < vshift ? ci : char_at(s, ci, cj, base + a - (uint32_t)vshift);
        size_t c1 = e - 1 < vshift ? ci : char_at(s, ci, cj, base + e - 1 - (uint32_t)vshift);
        uint32_t o0 = s->cp_start[c0], o1 = s->cp_end[c1];
        if (cfg->trim_offsets) {
            uint32_t lead = 0, trail = 0;
            for (uint32_t q = a; q < e && (q < vshift || text[base + q - vshift] == ' '); q++)
                lead++;
            for (uint32_t q = e; q > a && (q - 1 < vshift || text[base + q - 1 - vshift] == ' '); q--)
                trail++;
            /* with add_prefix_space, one leading space of the first token
             * (or of one starting the text) is kept, as the reference does */
            if (cfg->add_prefix_space && (s->n == 0 || o0 == 0) && lead == 1)
                lead = 0;
            if (lead > 0)
                o0 = o0 + lead < o1 ? o0 + lead : o1;
            if (trail > 0 && o1 >= trail)
                o1 = o1 - trail > o0 ? o1 - trail : o0;
            /* trimming the virtual space off a multi-byte first character
             * can end inside it: round down, as the byte-to-character
             * conversion does */
            if (o0 < stop)
                o0 = s->cp_start[char_at(s, ci, cj, o0)];
            if (o1 < stop)
                o1 = s->cp_start[char_at(s, ci, cj, o1)];
        }
        if ((st = lm_tokseq_push(s, sym[k].id, o0, o1, err)) != LM_OK)
            return st;
    }
    return LM_OK;
}

lm_status lm_bpe_encode(const lm_bpe *b, const lm_bpe_config *cfg, const char *text, size_t len,
                        lm_tokseq *out, lm_error *err)
{
    lm_tokseq_reset(out);
    if (len >= UINT32_MAX)
        return lm_error_set(err, LM_ERR_USAGE, "text of %zu bytes is too long to tokenise", len);
    if (len == 0)
        return LM_OK;
    /* Characters with their spans; the virtual prefix space is character
     * 0 with an empty span, so the pattern sees it like a real one. */
    int virt = cfg->add_prefix_space && text[0] != ' ';
    lm_status st = lm_tokseq_reserve_cp(out, len + 1, err);
    if (st != LM_OK)
        return st;
    size_t n = 0;
    if (virt) {
        out->cp[n] = ' ';
        out->cp_start[n] = out->cp_end[n] = 0;
        n++;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = lm_utf8_decode(text + i, len - i, &cp);
        if (k == 0)
            k = 1;
        out->cp[n] = cp;
        out->cp_start[n] = (uint32_t)i;
        out->cp_end[n] = (uint32_t)(i + k);
        n++;
        i += k;
    }
    for (size_t i = 0; i < n;) {
        size_t j = next_piece(out->cp, n, i);
        int piece_virt = virt && i == 0;
        /* encode_piece spans characters by their bytes; skip the virtual
         * character when it begins the piece */
        size_t ci = piece_virt ? 1 : i;
        if (ci < j)
            st = encode_piece(b, cfg, text, out, ci, j, piece_virt, err);
        else   /* the piece is the virtual space alone */
            st = lm_tokseq_push(out, b->byte_id[' '], 0, 0, err);
        if (st != LM_OK)
            return st;
        i = j;
    }
    return LM_OK;
}
