/*
 * Scoring for BC5CDR-style PubTator corpora and for BC2GM.
 *
 * Every PubTator unit is reduced to a flat key string "label\tpmid\t..." per
 * item.  Gold and predicted keys are sorted and de-duplicated, then one
 * merge walk counts TP/FP/FN; because the label leads the key, the keys of
 * one label form a contiguous run, so per-label rows fall out of the same
 * walk.  Sorting strings is O(n log n) on corpora of ~10^4 items, far below
 * the cost of reading the files, and needs no hash table.
 *
 * The unit definitions were checked against the official BioCreative V
 * evaluator's published figures on eval_sample (see lm_eval.h and
 * tests/test-eval.c): mentions and relations match exactly.  BC2GM follows the semantics of alt_eval.perl, whose
 * TP count is per gold gene (a prediction may validate several genes) and
 * whose FP count is per prediction.
 */
#include "../../util/lm_sort.h"
#include "lm_eval.h"

#include "../../util/lm_buf.h"
#include "../../util/lm_doc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- types ---- */

const char *lm_eval_canonical_type(const char *type)
{
    lm_ent_type t = lm_ent_type_from_label(type);
    return t == LM_ENT_NONE ? NULL : lm_ent_type_name(t);
}

/* The label an entity type is scored under: its canonical name, or the
 * name as written when it has none (SequenceVariant stays itself). */
static const char *entity_label(const char *type)
{
    const char *c = lm_eval_canonical_type(type);
    return c ? c : (type ? type : "");
}

/* ---- rows and reports ---- */

void lm_eval_row_finish(lm_eval_row *row)
{
    double tp = (double)row->tp;
    row->precision = row->tp + row->fp > 0 ? tp / (double)(row->tp + row->fp) : 0.0;
    row->recall = row->tp + row->fn > 0 ? tp / (double)(row->tp + row->fn) : 0.0;
    double s = row->precision + row->recall;
    row->f1 = s > 0 ? 2.0 * row->precision * row->recall / s : 0.0;
}

void lm_eval_report_init(lm_eval_report *r)
{
    memset(r, 0, sizeof *r);
}

void lm_eval_report_free(lm_eval_report *r)
{
    for (size_t i = 0; i < r->n_rows; i++)
        free(r->rows[i].label);
    free(r->rows);
    free(r->micro.label);
    lm_eval_report_init(r);
}

const char *lm_eval_outcome_str(lm_eval_outcome o)
{
    switch (o) {
    case LM_EVAL_TP: return "TP";
    case LM_EVAL_FP: return "FP";
    default: return "FN";
    }
}

/* Row for label[0..len), created when absent.  NULL on out-of-memory. */
static lm_eval_row *report_row(lm_eval_report *r, const char *label, size_t len)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (strlen(r->rows[i].label) == len && memcmp(r->rows[i].label, label, len) == 0)
            return &r->rows[i];
    lm_eval_row *rows = realloc(r->rows, (r->n_rows + 1) * sizeof *rows);
    if (!rows)
        return NULL;
    r->rows = rows;
    lm_eval_row *row = &rows[r->n_rows];
    memset(row, 0, sizeof *row);
    row->label = lm_strndup(label, len);
    if (!row->label)
        return NULL;
    r->n_rows++;
    return row;
}

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const lm_eval_row *)a)->label, ((const lm_eval_row *)b)->label);
}

static lm_status report_finish(lm_eval_report *r, lm_error *err)
{
    if (r->n_rows > 1)
        lm_qsort(r->rows, r->n_rows, sizeof *r->rows, cmp_row);
    memset(&r->micro, 0, sizeof r->micro);
    r->micro.label = lm_strndup("ALL", 3);
    if (!r->micro.label)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_rows; i++) {
        lm_eval_row_finish(&r->rows[i]);
        r->micro.tp += r->rows[i].tp;
        r->micro.fp += r->rows[i].fp;
        r->micro.fn += r->rows[i].fn;
    }
    lm_eval_row_finish(&r->micro);
    return LM_OK;
}

void lm_eval_report_print(FILE *out, const char *title, const lm_eval_report *r)
{
    fprintf(out, "%-22s %7s %7s %7s %9s %9s %9s\n", title, "TP", "FP", "FN", "P", "R", "F1");
    for (size_t i = 0; i <= r->n_rows; i++) {
        const lm_eval_row *row = i < r->n_rows ? &r->rows[i] : &r->micro;
        if (i == r->n_rows && r->n_rows == 1)
            break;   /* the micro row would repeat the only row */
        fprintf(out, "%-22s %7ld %7ld %7ld %9.4f %9.4f %9.4f\n", row->label ? row->label : "",
                row->tp, row->fp, row->fn, row->precision, row->recall, row->f1);
    }
}

/* ---- keys ---- */

typedef struct keyvec {
    char **v;
    size_t n, cap;
} keyvec;

static void keyvec_free(keyvec *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i]);
    free(k->v);
    memset(k, 0, sizeof *k);
}

/* Takes ownership of s (freed on failure). */
static int keyvec_push(keyvec *k, char *s)
{
    if (!s)
        return -1;
    if (lm_vec_grow((void **)&k->v, &k->cap, k->n + 1, sizeof *k->v) != LM_OK) {
        free(s);
        return -1;
    }
    k->v[k->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void keyvec_sort_unique(keyvec *k)
{
    if (k->n < 2)
        return;
    lm_qsort(k->v, k->n, sizeof *k->v, cmp_str);
    size_t w = 1;
    for (size_t i = 1; i < k->n; i++) {
        if (strcmp(k->v[i], k->v[w - 1]) == 0)
            free(k->v[i]);
        else
            k->v[w++] = k->v[i];
    }
    k->n = w;
}

static int label_wanted(const lm_eval_opts *opts, const char *label, int canonicalise)
{
    if (!opts || !opts->labels)
        return 1;
    for (size_t i = 0; i < opts->n_labels; i++) {
        const char *want = canonicalise ? entity_label(opts->labels[i]) : opts->labels[i];
        if (strcasecmp(want, label) == 0)
            return 1;
    }
    return 0;
}

/* Merges the sorted key sets into per-label counts. */
static lm_status score_keys(const keyvec *gold, const keyvec *pred, const lm_eval_opts *opts,
                            int canonicalise, lm_eval_report *out, lm_error *err)
{
    lm_eval_report_free(out);
    if (opts && opts->labels) {
        for (size_t i = 0; i < opts->n_labels; i++) {
            const char *l = canonicalise ? entity_label(opts->labels[i]) : opts->labels[i];
            if (!report_row(out, l, strlen(l)))
                return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        }
    }
    size_t i = 0, j = 0;
    while (i < gold->n || j < pred->n) {
        int c;
        if (i == gold->n)
            c = 1;
        else if (j == pred->n)
            c = -1;
        else
            c = strcmp(gold->v[i], pred->v[j]);
        const char *key = c <= 0 ? gold->v[i] : pred->v[j];
        lm_eval_outcome o = c == 0 ? LM_EVAL_TP : c < 0 ? LM_EVAL_FN : LM_EVAL_FP;
        const char *tab = strchr(key, '\t');
        size_t llen = tab ? (size_t)(tab - key) : strlen(key);
        lm_eval_row *row = NULL;
        /* A filter given as "SpecificDisease" must land in the "Disease"
         * row: rows are matched case-insensitively through the label. */
        for (size_t r = 0; r < out->n_rows; r++)
            if (strlen(out->rows[r].label) == llen &&
                strncasecmp(out->rows[r].label, key, llen) == 0)
                row = &out->rows[r];
        if (!row && !(row = report_row(out, key, llen)))
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        if (o == LM_EVAL_TP)
            row->tp++;
        else if (o == LM_EVAL_FP)
            row->fp++;
        else
            row->fn++;
        if (opts && opts->trace)
            opts->trace(opts->trace_ctx, o, key);
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    return report_finish(out, err);
}

/* ---- ids ---- */

size_t lm_eval_split_ids(const char *id, void (*cb)(void *ctx, const char *part, size_t len),
                         void *ctx)
{
    size_t n = 0;
    if (!id)
        return 0;
    const char *p = id;
    while (*p) {
        const char *a, *b;
        const char *next = lm_id_next_part(p, &a, &b);
        if ((size_t)(b - a) > 5 && strncasecmp(a, "MESH:", 5) == 0)
            a += 5;
        else if ((size_t)(b - a) > 9 && strncasecmp(a, "NCBIGene:", 9) == 0)
            a += 9;
        if (b > a && !(b - a == 2 && a[0] == '-' && a[1] == '1')) {
            cb(ctx, a, (size_t)(b - a));
            n++;
        }
        p = next;
    }
    return n;
}

/* Collects the parts of an id column into a small growable list. */
typedef struct idlist {
    lm_buf parts[16];
    size_t n;
    int overflow;
} idlist;

static void idlist_add(void *ctx, const char *part, size_t len)
{
    idlist *l = ctx;
    if (l->n == sizeof l->parts / sizeof l->parts[0]) {
        l->overflow = 1;
        return;
    }
    lm_buf_reset(&l->parts[l->n]);
    if (lm_buf_append(&l->parts[l->n], part, len) != LM_OK)
        l->overflow = 1;
    else
        l->n++;
}

static void idlist_free(idlist *l)
{
    for (size_t i = 0; i < sizeof l->parts / sizeof l->parts[0]; i++)
        lm_buf_free(&l->parts[i]);
}

/* ---- PubTator units ---- */

typedef enum unit { UNIT_MENTION, UNIT_CONCEPT, UNIT_RELATION } unit;

static lm_status collect(const lm_pt_corpus *c, unit u, const lm_eval_opts *opts, keyvec *out,
                         lm_error *err)
{
    lm_buf b;
    lm_buf_init(&b);
    idlist a, z;
    memset(&a, 0, sizeof a);
    memset(&z, 0, sizeof z);
    for (size_t i = 0; i < sizeof a.parts / sizeof a.parts[0]; i++) {
        lm_buf_init(&a.parts[i]);
        lm_buf_init(&z.parts[i]);
    }
    lm_status st = LM_OK;
    for (size_t d = 0; d < c->n_docs && st == LM_OK; d++) {
        const lm_pt_doc *doc = &c->docs[d];
        const char *pmid = doc->pmid ? doc->pmid : "";
        if (u != UNIT_RELATION) {
            for (size_t m = 0; m < doc->n_mentions && st == LM_OK; m++) {
                const lm_pt_mention *mn = &doc->mentions[m];
                const char *label = entity_label(mn->type);
                if (!label_wanted(opts, label, 1))
                    continue;
                if (u == UNIT_MENTION) {
                    lm_buf_reset(&b);
                    if (lm_buf_printf(&b, "%s\t%s\t%d\t%d", label, pmid, mn->start, mn->end) !=
                            LM_OK ||
                        keyvec_push(out, lm_buf_take(&b)) != 0)
                        st = LM_ERR_NOMEM;
                    continue;
                }
                a.n = 0;
                a.overflow = 0;
                lm_eval_split_ids(mn->id, idlist_add, &a);
                if (a.overflow) {
                    st = lm_error_set(err, LM_ERR_PARSE, "PMID %s: id '%s' has too many parts",
                                      pmid, mn->id);
                    break;
                }
                for (size_t k = 0; k < a.n && st == LM_OK; k++) {
                    lm_buf_reset(&b);
                    if (lm_buf_printf(&b, "%s\t%s\t%s", label, pmid, lm_buf_cstr(&a.parts[k])) !=
                            LM_OK ||
                        keyvec_push(out, lm_buf_take(&b)) != 0)
                        st = LM_ERR_NOMEM;
                }
            }
            continue;
        }
        for (size_t r = 0; r < doc->n_relations && st == LM_OK; r++) {
            const lm_pt_relation *rel = &doc->relations[r];
            const char *label = rel->type ? rel->type : "";
            if (!label_wanted(opts, label, 0))
                continue;
            a.n = z.n = 0;
            a.overflow = z.overflow = 0;
            lm_eval_split_ids(rel->id1, idlist_add, &a);
            lm_eval_split_ids(rel->id2, idlist_add, &z);
            if (a.overflow || z.overflow) {
                st = lm_error_set(err, LM_ERR_PARSE, "PMID %s: relation id has too many parts",
                                  pmid);
                break;
            }
            for (size_t x = 0; x < a.n && st == LM_OK; x++) {
                for (size_t y = 0; y < z.n && st == LM_OK; y++) {
                    const char *p1 = lm_buf_cstr(&a.parts[x]), *p2 = lm_buf_cstr(&z.parts[y]);
                    if (opts && opts->unordered_pairs && strcmp(p1, p2) > 0) {
                        const char *t = p1;
                        p1 = p2;
                        p2 = t;
                    }
                    lm_buf_reset(&b);
                    if (lm_buf_printf(&b, "%s\t%s\t%s\t%s", label, pmid, p1, p2) != LM_OK ||
                        keyvec_push(out, lm_buf_take(&b)) != 0)
                        st = LM_ERR_NOMEM;
                }
            }
        }
    }
    lm_buf_free(&b);
    idlist_free(&a);
    idlist_free(&z);
    if (st == LM_ERR_NOMEM)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    return st;
}

static lm_status eval_unit(const lm_pt_corpus *gold, const lm_pt_corpus *pred, unit u,
                           const lm_eval_opts *opts, lm_eval_report *out, lm_error *err)
{
    keyvec g = {0}, p = {0};
    lm_status st = collect(gold, u, opts, &g, err);
    if (st == LM_OK)
        st = collect(pred, u, opts, &p, err);
    if (st == LM_OK) {
        keyvec_sort_unique(&g);
        keyvec_sort_unique(&p);
        st = score_keys(&g, &p, opts, u != UNIT_RELATION, out, err);
    }
    keyvec_free(&g);
    keyvec_free(&p);
    return st;
}

lm_status lm_eval_mentions(const lm_pt_corpus *gold, const lm_pt_corpus *pred,
                           const lm_eval_opts *opts, lm_eval_report *out, lm_error *err)
{
    return eval_unit(gold, pred, UNIT_MENTION, opts, out, err);
}

lm_status lm_eval_concepts(const lm_pt_corpus *gold, const lm_pt_corpus *pred,
                           const lm_eval_opts *opts, lm_eval_report *out, lm_error *err)
{
    return eval_unit(gold, pred, UNIT_CONCEPT, opts, out, err);
}

lm_status lm_eval_relations(const lm_pt_corpus *gold, const lm_pt_corpus *pred,
                            const lm_eval_opts *opts, lm_eval_report *out, lm_error *err)
{
    return eval_unit(gold, pred, UNIT_RELATION, opts, out, err);
}

/* ---- BC2GM ---- */

void lm_eval_gm_set_init(lm_eval_gm_set *s)
{
    memset(s, 0, sizeof *s);
}

void lm_eval_gm_set_free(lm_eval_gm_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].sid);
        free(s->items[i].text);
    }
    free(s->items);
    lm_eval_gm_set_init(s);
}

lm_status lm_eval_gm_add(lm_eval_gm_set *s, const char *sid, int start, int end,
                         const char *text, lm_error *err)
{
    if (lm_vec_grow((void **)&s->items, &s->cap, s->n + 1, sizeof *s->items) != LM_OK)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    lm_eval_gm_mention *m = &s->items[s->n];
    m->sid = lm_strndup(sid, strlen(sid));
    m->text = lm_strndup(text ? text : "", text ? strlen(text) : 0);
    if (!m->sid || !m->text) {
        free(m->sid);
        free(m->text);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    m->start = start;
    m->end = end;
    s->n++;
    return LM_OK;
}

static int parse_int(const char *s, const char **endp, int *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *e;
    long v = strtol(s, &e, 10);
    if (errno || v < 0 || v > INT_MAX)
        return -1;
    *out = (int)v;
    *endp = e;
    return 0;
}

lm_status lm_eval_gm_read(FILE *f, const char *name, lm_eval_gm_set *out, lm_error *err)
{
    lm_buf line;
    lm_buf_init(&line);
    lm_status st = LM_OK;
    long lineno = 0;
    int c = 0;
    while (st == LM_OK && c != EOF) {
        lm_buf_reset(&line);
        while ((c = getc(f)) != EOF && c != '\n')
            if (lm_buf_append_char(&line, (char)c) != LM_OK) {
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                break;
            }
        if (st != LM_OK)
            break;
        if (c == EOF && line.len == 0)
            break;
        lineno++;
        char *s = line.data ? line.data : (char *)"";
        size_t len = line.len;
        if (len && s[len - 1] == '\r')
            s[--len] = '\0';
        if (len == 0)
            continue;
        char *bar1 = strchr(s, '|');
        char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
        int a, z;
        const char *p;
        if (!bar1 || bar1 == s || parse_int(bar1 + 1, &p, &a) != 0 || *p != ' ' ||
            parse_int(p + 1, &p, &z) != 0 || (*p != '|' && *p != '\0') || z < a ||
            (bar2 && p != bar2)) {
            st = lm_error_set(err, LM_ERR_PARSE,
                              "%s:%ld: expected 'SENTENCE-ID|start end|text'", name, lineno);
            break;
        }
        *bar1 = '\0';
        st = lm_eval_gm_add(out, s, a, z, bar2 ? bar2 + 1 : "", err);
    }
    if (st == LM_OK && ferror(f))
        st = lm_error_set(err, LM_ERR_IO, "%s: read error", name);
    lm_buf_free(&line);
    return st;
}

lm_status lm_eval_gm_load(const char *path, lm_eval_gm_set *out, lm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    lm_status st = lm_eval_gm_read(f, path, out, err);
    fclose(f);
    return st;
}

lm_status lm_eval_gm_write(FILE *f, const lm_eval_gm_set *s, lm_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        const lm_eval_gm_mention *m = &s->items[i];
        if (fprintf(f, "%s|%d %d|%s\n", m->sid, m->start, m->end, m->text ? m->text : "") < 0)
            return lm_error_set(err, LM_ERR_IO, "write error");
    }
    return LM_OK;
}

/* Sorted view of a set, so that one sentence's items are found by binary
 * search instead of a scan of the whole file per gene. */
typedef struct gm_view {
    const lm_eval_gm_mention **v;
    size_t n;
} gm_view;

static int cmp_gm(const void *a, const void *b)
{
    const lm_eval_gm_mention *x = *(const lm_eval_gm_mention *const *)a;
    const lm_eval_gm_mention *y = *(const lm_eval_gm_mention *const *)b;
    int c = strcmp(x->sid, y->sid);
    if (c)
        return c;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int gm_view_init(gm_view *w, const lm_eval_gm_set *s)
{
    w->n = s ? s->n : 0;
    w->v = malloc((w->n ? w->n : 1) * sizeof *w->v);
    if (!w->v)
        return -1;
    for (size_t i = 0; i < w->n; i++)
        w->v[i] = &s->items[i];
    if (w->n > 1)
        lm_qsort(w->v, w->n, sizeof *w->v, cmp_gm);
    return 0;
}

/* [*lo, *hi) = the items of sentence sid. */
static void gm_range(const gm_view *w, const char *sid, size_t *lo, size_t *hi)
{
    size_t a = 0, b = w->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (strcmp(w->v[m]->sid, sid) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    b = w->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (strcmp(w->v[m]->sid, sid) <= 0)
            a = m + 1;
        else
            b = m;
    }
    *hi = a;
}

static int gm_has_span(const gm_view *w, const char *sid, int start, int end)
{
    size_t lo, hi;
    gm_range(w, sid, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        if (w->v[i]->start == start && w->v[i]->end == end)
            return 1;
    return 0;
}

static void gm_trace(const lm_eval_opts *opts, lm_eval_outcome o, const lm_eval_gm_mention *m,
                     lm_buf *b)
{
    if (!opts || !opts->trace)
        return;
    lm_buf_reset(b);
    if (lm_buf_printf(b, "%s\t%d\t%d", m->sid, m->start, m->end) == LM_OK)
        opts->trace(opts->trace_ctx, o, lm_buf_cstr(b));
}

lm_status lm_eval_gm_score(const lm_eval_gm_set *gene, const lm_eval_gm_set *alt,
                           const lm_eval_gm_set *pred, const lm_eval_opts *opts,
                           lm_eval_row *out, lm_error *err)
{
    gm_view g = {0}, a = {0}, p = {0};
    lm_buf b;
    lm_buf_init(&b);
    lm_status st = LM_OK;
    if (gm_view_init(&g, gene) || gm_view_init(&a, alt) || gm_view_init(&p, pred)) {
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        goto done;
    }
    free(out->label);
    memset(out, 0, sizeof *out);
    out->label = lm_strndup("Gene", 4);
    if (!out->label) {
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < g.n; i++) {
        const lm_eval_gm_mention *gm = g.v[i];
        int found = gm_has_span(&p, gm->sid, gm->start, gm->end);
        if (!found) {
            size_t lo, hi;
            gm_range(&a, gm->sid, &lo, &hi);
            for (size_t k = lo; k < hi && !found; k++) {
                const lm_eval_gm_mention *s = a.v[k];
                if (s->start <= gm->end && gm->start <= s->end)
                    found = gm_has_span(&p, gm->sid, s->start, s->end);
            }
        }
        if (found)
            out->tp++;
        else
            out->fn++;
        gm_trace(opts, found ? LM_EVAL_TP : LM_EVAL_FN, gm, &b);
    }
    for (size_t i = 0; i < p.n; i++) {
        const lm_eval_gm_mention *t = p.v[i];
        if (gm_has_span(&g, t->sid, t->start, t->end) || gm_has_span(&a, t->sid, t->start, t->end))
            continue;
        out->fp++;
        gm_trace(opts, LM_EVAL_FP, t, &b);
    }
    lm_eval_row_finish(out);
done:
    free(g.v);
    free(a.v);
    free(p.v);
    lm_buf_free(&b);
    return st;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A byte that starts a counted character: not whitespace and not a UTF-8
 * continuation byte. */
static int counts(unsigned char c)
{
    return !is_ws(c) && (c & 0xC0) != 0x80;
}

int lm_eval_gm_span_from_bytes(const char *text, size_t len, size_t bstart, size_t bend,
                               int *start, int *end)
{
    if (bstart > bend || bend > len)
        return -1;
    long before = 0, inside = 0;
    for (size_t i = 0; i < bend; i++) {
        if (!counts((unsigned char)text[i]))
            continue;
        if (i < bstart)
            before++;
        else
            inside++;
    }
    if (inside == 0 || before + inside > INT_MAX)
        return -1;
    *start = (int)before;
    *end = (int)(before + inside - 1);
    return 0;
}

int lm_eval_gm_span_to_bytes(const char *text, size_t len, int start, int end, size_t *bstart,
                             size_t *bend)
{
    if (start < 0 || end < start)
        return -1;
    long k = -1;   /* index of the counted character at byte i */
    int have_start = 0;
    for (size_t i = 0; i < len; i++) {
        if (!counts((unsigned char)text[i]))
            continue;
        k++;
        if (k == start) {
            *bstart = i;
            have_start = 1;
        }
        if (k == end) {
            size_t j = i + 1;
            while (j < len && ((unsigned char)text[j] & 0xC0) == 0x80)
                j++;
            *bend = j;
            return have_start ? 0 : -1;
        }
    }
    return -1;
}
