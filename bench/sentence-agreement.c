/*
 * sentence-agreement: how closely lm_sentence_split agrees with the
 * sentence segmentation shipped with SciFact (../shared/data/scifact/
 * corpus.jsonl.gz, 5183 abstracts).
 *
 * Each reference sentence is located in the abstract text in order (after
 * trimming whitespace); its end offset is a reference boundary.  The end of
 * the last sentence is left out on both sides because every splitter gets
 * it for free.  Precision, recall and F1 of the splitter's boundaries
 * against the reference are printed.  The reference is machine-made, so the
 * figure measures agreement, not correctness.
 *
 * Usage: sentence-agreement [corpus.jsonl.gz] [-v]   (-v prints disagreements)
 *
 * Each line is one JSON object read with util/lm_json: the "text" string
 * and the "sentences" array of strings are used.
 */
#include "../nlp/lm_sentence.h"
#include "../util/lm_buf.h"
#include "../util/lm_json.h"
#include "../util/lm_utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct record {
    lm_buf text;
    lm_buf sents;        /* sentences, each NUL-terminated, back to back */
    size_t n_sents;
} record;

/* Reads the "text" string and the "sentences" array of one JSON line. */
static int parse_record(const char *line, size_t n, record *r)
{
    lm_buf_reset(&r->text);
    lm_buf_reset(&r->sents);
    r->n_sents = 0;
    lm_json *doc = NULL;
    lm_error err;
    if (lm_json_parse(&doc, line, n, NULL, NULL, &err) != LM_OK)
        return 0;
    const lm_json_value *root = lm_json_root(doc);
    size_t tn = 0;
    const char *text = lm_json_str(lm_json_get(root, "text"), &tn);
    int ok = text && lm_buf_append(&r->text, text, tn) == LM_OK;
    const lm_json_value *sents = lm_json_get(root, "sentences");
    ok &= lm_json_type_of(sents) == LM_JSON_ARRAY;
    for (const lm_json_value *v = lm_json_first(sents); ok && v; v = lm_json_next(v)) {
        size_t sn = 0;
        const char *sv = lm_json_str(v, &sn);
        ok = sv && lm_buf_append(&r->sents, sv, sn) == LM_OK &&
             lm_buf_append(&r->sents, "", 1) == LM_OK;
        r->n_sents++;
    }
    lm_json_free(doc);
    return ok;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* First occurrence of needle in hay (memmem is a GNU extension). */
static const char *find_bytes(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0)
        return hay;
    const char *p = hay, *end = hay + hn;
    while ((size_t)(end - p) >= nn) {
        p = memchr(p, needle[0], (size_t)(end - p) - nn + 1);
        if (!p)
            return NULL;
        if (memcmp(p, needle, nn) == 0)
            return p;
        p++;
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct totals {
    size_t docs, skipped, tp, fp, fn;
} totals;

static void show(const char *text, size_t len, uint32_t at, const char *tag)
{
    size_t a = at > 60 ? at - 60 : 0, b = at + 40 < len ? at + 40 : len;
    printf("%s ...", tag);
    for (size_t i = a; i < b; i++) {
        if (i == at)
            fputs(" || ", stdout);
        putchar(text[i] == '\n' ? ' ' : text[i]);
    }
    printf("...\n");
}

static void score(const record *r, lm_spans *sp, totals *t, int verbose)
{
    const char *text = lm_buf_cstr(&r->text);
    size_t len = r->text.len;
    size_t textend = len;
    while (textend > 0 && is_ws(text[textend - 1]))
        textend--;
    uint32_t *ref = malloc((r->n_sents + 1) * sizeof *ref);
    if (!ref)
        return;
    size_t nref = 0, cur = 0;
    const char *s = lm_buf_cstr(&r->sents);
    for (size_t i = 0; i < r->n_sents; i++) {
        size_t sl = strlen(s);
        const char *a = s, *b = s + sl;
        s += sl + 1;
        while (a < b && is_ws(*a))
            a++;
        while (b > a && is_ws(b[-1]))
            b--;
        if (a == b)
            continue;
        const char *hit = cur <= len ? find_bytes(text + cur, len - cur, a, (size_t)(b - a)) : NULL;
        if (!hit) {
            t->skipped++;
            free(ref);
            return;
        }
        cur = (size_t)(hit - text) + (size_t)(b - a);
        if (cur < textend)
            ref[nref++] = (uint32_t)cur;
    }
    lm_error err;
    if (lm_sentence_split(text, len, sp, &err) != LM_OK) {
        t->skipped++;
        free(ref);
        return;
    }
    t->docs++;
    qsort(ref, nref, sizeof *ref, cmp_u32);
    size_t i = 0, k = 0;
    for (;;) {
        while (k < sp->n && sp->v[k].end >= textend)
            k++;
        uint32_t p = k < sp->n ? sp->v[k].end : UINT32_MAX;
        uint32_t q = i < nref ? ref[i] : UINT32_MAX;
        if (p == UINT32_MAX && q == UINT32_MAX)
            break;
        if (p == q) {
            t->tp++;
            i++;
            k++;
        } else if (p < q) {
            t->fp++;
            if (verbose)
                show(text, len, p, "FP");
            k++;
        } else {
            t->fn++;
            if (verbose)
                show(text, len, q, "FN");
            i++;
        }
    }
    free(ref);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else
            path = argv[i];
    }
    const char *candidates[] = {"../shared/data/scifact/corpus.jsonl.gz",
                                "../../shared/data/scifact/corpus.jsonl.gz"};
    if (!path) {
        const char *env = getenv("LITMINE_SHARED_DATA");
        static char envpath[1024];
        if (env) {
            snprintf(envpath, sizeof envpath, "%s/scifact/corpus.jsonl.gz", env);
            path = envpath;
        }
        for (size_t i = 0; !path && i < 2; i++) {
            FILE *f = fopen(candidates[i], "rb");
            if (f) {
                fclose(f);
                path = candidates[i];
            }
        }
    }
    if (!path) {
        printf("sentence-agreement: skipped (../shared/data/scifact absent)\n");
        return 0;
    }
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        fprintf(stderr, "sentence-agreement: cannot open %s\n", path);
        return 1;
    }
    lm_buf line;
    record r;
    lm_spans sp;
    totals t = {0, 0, 0, 0, 0};
    lm_buf_init(&line);
    lm_buf_init(&r.text);
    lm_buf_init(&r.sents);
    lm_spans_init(&sp);
    char chunk[65536];
    int rc = 0;
    for (;;) {
        int got = gzread(gz, chunk, sizeof chunk);
        if (got < 0) {
            int zerr;
            fprintf(stderr, "sentence-agreement: %s: %s\n", path, gzerror(gz, &zerr));
            rc = 1;
            break;
        }
        size_t off = 0;
        for (int i = 0; i < got; i++) {
            if (chunk[i] != '\n')
                continue;
            lm_buf_append(&line, chunk + off, (size_t)i - off);
            off = (size_t)i + 1;
            if (line.len && !parse_record(line.data, line.len, &r)) {
                fprintf(stderr, "sentence-agreement: bad JSON record\n");
                rc = 1;
            } else if (line.len) {
                score(&r, &sp, &t, verbose);
            }
            lm_buf_reset(&line);
        }
        lm_buf_append(&line, chunk + off, (size_t)got - off);
        if (got == 0)
            break;
    }
    if (line.len && parse_record(line.data, line.len, &r))
        score(&r, &sp, &t, verbose);
    gzclose(gz);
    double p = t.tp + t.fp ? (double)t.tp / (double)(t.tp + t.fp) : 0;
    double rr = t.tp + t.fn ? (double)t.tp / (double)(t.tp + t.fn) : 0;
    double f = p + rr > 0 ? 2 * p * rr / (p + rr) : 0;
    printf("sentence-agreement: %zu abstracts (%zu skipped), boundaries tp %zu fp %zu fn %zu\n",
           t.docs, t.skipped, t.tp, t.fp, t.fn);
    printf("sentence-agreement: precision %.4f recall %.4f F1 %.4f\n", p, rr, f);
    lm_buf_free(&line);
    lm_buf_free(&r.text);
    lm_buf_free(&r.sents);
    lm_spans_free(&sp);
    return rc;
}
