/*
 * Tests for lm_eval: hand-computed scores for every unit (mentions,
 * concepts, relations, BC2GM) including the 0/0 cases, the type mapping,
 * id splitting, BC2GM offset conversion, and — when ../shared/data exists —
 * the official BioCreative V figures on eval_sample and BC2GM sanity checks
 * on the real training files.
 */
#include "../nlp/eval/lm_eval.h"
#include "lm_test.h"

#include <math.h>

static int near(double a, double b)
{
    return fabs(a - b) < 1e-6;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int load_text(const char *name, const char *text, lm_pt_corpus *c)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", lm_test_tmpdir(), name);
    if (write_file(path, text) != 0)
        return -1;
    lm_error err;
    if (lm_pubtator_load(path, c, &err) != LM_OK) {
        fprintf(stderr, "  load %s: %s\n", name, err.msg);
        return -1;
    }
    return 0;
}

/* Text: "Aspirin pain Ache and fever and BRCA1 stuff."
 *        0      7 8  12 13 17   22  27    32  37 */
static const char gold_text[] =
    "1|t|Aspirin pain\n"
    "1|a|Ache and fever and BRCA1 stuff.\n"
    "1\t0\t7\tAspirin\tChemical\tD001241\n"
    "1\t8\t12\tpain\tDisease\tD010146\n"
    "1\t13\t17\tAche\tDisease\tD010146|D006261\tpain|ache\n"
    "1\t22\t27\tfever\tDisease\t-1\n"
    "1\t32\t37\tBRCA1\tGeneOrGeneProduct\t672\n"
    "1\tCID\tD001241\tD010146\n"
    "1\tCID\tD001241\tD006261\n"
    "\n";

static const char pred_text[] =
    "1|t|Aspirin pain\n"
    "1|a|Ache and fever and BRCA1 stuff.\n"
    "1\t0\t7\tAspirin\tChemical\tMESH:D001241\t0.9\n"
    "1\t8\t12\tpain\tSpecificDisease\tD010146\n"
    "1\t8\t12\tpain\tDisease\tD010146\n"
    "1\t13\t16\tAch\tDisease\tD006261\n"
    "1\t22\t27\tfever\tDisease\tD005334\n"
    "1\t32\t37\tBRCA1\tGene\tNCBIGene:672\n"
    "1\tCID\tMESH:D001241\tMESH:D010146\n"
    "1\tCID\tD001241\tD005334\n"
    "1\tCID\tD001241\tD005334\n"
    "\n";

static const lm_eval_row *row_of(const lm_eval_report *r, const char *label)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].label, label) == 0)
            return &r->rows[i];
    return NULL;
}

#define CHECK_ROW(row, TP, FP, FN)                                                           \
    do {                                                                                     \
        const lm_eval_row *r_ = (row);                                                       \
        LM_CHECK(r_ != NULL);                                                                \
        if (r_) {                                                                            \
            LM_CHECK_INT(r_->tp, TP);                                                        \
            LM_CHECK_INT(r_->fp, FP);                                                        \
            LM_CHECK_INT(r_->fn, FN);                                                        \
        }                                                                                    \
    } while (0)

static void test_canonical_type(void)
{
    LM_CHECK_STR(lm_eval_canonical_type("Chemical"), "Chemical");
    LM_CHECK_STR(lm_eval_canonical_type("ChemicalEntity"), "Chemical");
    LM_CHECK_STR(lm_eval_canonical_type("disease"), "Disease");
    LM_CHECK_STR(lm_eval_canonical_type("SpecificDisease"), "Disease");
    LM_CHECK_STR(lm_eval_canonical_type("Modifier"), "Disease");
    LM_CHECK_STR(lm_eval_canonical_type("DiseaseClass"), "Disease");
    LM_CHECK_STR(lm_eval_canonical_type("CompositeMention"), "Disease");
    LM_CHECK_STR(lm_eval_canonical_type("DiseaseOrPhenotypicFeature"), "Disease");
    LM_CHECK_STR(lm_eval_canonical_type("GeneOrGeneProduct"), "Gene");
    LM_CHECK_STR(lm_eval_canonical_type("Gene"), "Gene");
    LM_CHECK(lm_eval_canonical_type("SequenceVariant") == NULL);
    LM_CHECK(lm_eval_canonical_type("") == NULL);
    LM_CHECK(lm_eval_canonical_type(NULL) == NULL);
}

static void collect_part(void *ctx, const char *part, size_t len)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 128 - n, "[%.*s]", (int)len, part);
}

static void test_split_ids(void)
{
    char got[128] = "";
    LM_CHECK_INT(lm_eval_split_ids("MESH:D1|D2+ncbigene:5, -1;;OMIM:123", collect_part, got), 4);
    LM_CHECK_STR(got, "[D1][D2][5][OMIM:123]");
    got[0] = '\0';
    LM_CHECK_INT(lm_eval_split_ids("-1", collect_part, got), 0);
    LM_CHECK_INT(lm_eval_split_ids("", collect_part, got), 0);
    LM_CHECK_INT(lm_eval_split_ids(NULL, collect_part, got), 0);
    LM_CHECK_STR(got, "");
}

static void test_row_zero_division(void)
{
    lm_eval_row r = {0};
    lm_eval_row_finish(&r);
    LM_CHECK(r.precision == 0.0 && r.recall == 0.0 && r.f1 == 0.0);
    r.tp = 0;
    r.fp = 3;
    r.fn = 0;
    lm_eval_row_finish(&r);
    LM_CHECK(r.precision == 0.0 && r.recall == 0.0 && r.f1 == 0.0);
    r.tp = 3;
    r.fp = 1;
    r.fn = 2;
    lm_eval_row_finish(&r);
    LM_CHECK(near(r.precision, 0.75));
    LM_CHECK(near(r.recall, 0.6));
    LM_CHECK(near(r.f1, 2 * 0.75 * 0.6 / 1.35));
}

static void test_mentions(void)
{
    lm_pt_corpus g = {0}, p = {0};
    if (load_text("gold.txt", gold_text, &g) || load_text("pred.txt", pred_text, &p)) {
        LM_CHECK(!"fixture load");
        return;
    }
    lm_eval_report r;
    lm_eval_report_init(&r);
    lm_error err;
    LM_CHECK(lm_eval_mentions(&g, &p, NULL, &r, &err) == LM_OK);
    LM_CHECK_INT(r.n_rows, 3);
    CHECK_ROW(row_of(&r, "Chemical"), 1, 0, 0);
    CHECK_ROW(row_of(&r, "Disease"), 2, 1, 1);
    CHECK_ROW(row_of(&r, "Gene"), 1, 0, 0);
    CHECK_ROW(&r.micro, 4, 1, 1);
    LM_CHECK_STR(r.micro.label, "ALL");
    LM_CHECK(near(r.micro.precision, 0.8) && near(r.micro.recall, 0.8) && near(r.micro.f1, 0.8));
    const lm_eval_row *d = row_of(&r, "Disease");
    LM_CHECK(d && near(d->f1, 2.0 / 3.0));

    /* Filter by a corpus-specific name: lands in the canonical row. */
    const char *only[] = {"SpecificDisease"};
    lm_eval_opts o = {0};
    o.labels = only;
    o.n_labels = 1;
    LM_CHECK(lm_eval_mentions(&g, &p, &o, &r, &err) == LM_OK);
    LM_CHECK_INT(r.n_rows, 1);
    CHECK_ROW(row_of(&r, "Disease"), 2, 1, 1);
    CHECK_ROW(&r.micro, 2, 1, 1);

    /* A listed type without items still gets an all-zero row. */
    const char *two[] = {"Chemical", "SequenceVariant"};
    o.labels = two;
    o.n_labels = 2;
    LM_CHECK(lm_eval_mentions(&g, &p, &o, &r, &err) == LM_OK);
    LM_CHECK_INT(r.n_rows, 2);
    CHECK_ROW(row_of(&r, "SequenceVariant"), 0, 0, 0);
    const lm_eval_row *sv = row_of(&r, "SequenceVariant");
    LM_CHECK(sv && sv->f1 == 0.0);
    lm_eval_report_free(&r);
    lm_pt_corpus_free(&g);
    lm_pt_corpus_free(&p);
}

static void test_concepts(void)
{
    lm_pt_corpus g = {0}, p = {0};
    if (load_text("gold.txt", gold_text, &g) || load_text("pred.txt", pred_text, &p)) {
        LM_CHECK(!"fixture load");
        return;
    }
    lm_eval_report r;
    lm_eval_report_init(&r);
    lm_error err;
    LM_CHECK(lm_eval_concepts(&g, &p, NULL, &r, &err) == LM_OK);
    CHECK_ROW(row_of(&r, "Chemical"), 1, 0, 0);
    /* gold {D010146, D006261} (composite split, -1 dropped);
     * pred {D010146, D006261, D005334} */
    CHECK_ROW(row_of(&r, "Disease"), 2, 1, 0);
    CHECK_ROW(row_of(&r, "Gene"), 1, 0, 0);
    CHECK_ROW(&r.micro, 4, 1, 0);
    const lm_eval_row *d = row_of(&r, "Disease");
    LM_CHECK(d && near(d->precision, 2.0 / 3.0) && near(d->recall, 1.0) && near(d->f1, 0.8));
    lm_eval_report_free(&r);
    lm_pt_corpus_free(&g);
    lm_pt_corpus_free(&p);
}

typedef struct trace_log {
    char text[1024];
} trace_log;

static void log_trace(void *ctx, lm_eval_outcome o, const char *item)
{
    trace_log *t = ctx;
    size_t n = strlen(t->text);
    snprintf(t->text + n, sizeof t->text - n, "%s %s\n", lm_eval_outcome_str(o), item);
}

static void test_relations(void)
{
    lm_pt_corpus g = {0}, p = {0};
    if (load_text("gold.txt", gold_text, &g) || load_text("pred.txt", pred_text, &p)) {
        LM_CHECK(!"fixture load");
        return;
    }
    lm_eval_report r;
    lm_eval_report_init(&r);
    lm_error err;
    trace_log log = {""};
    const char *cid[] = {"CID"};
    lm_eval_opts o = {0};
    o.labels = cid;
    o.n_labels = 1;
    o.trace = log_trace;
    o.trace_ctx = &log;
    LM_CHECK(lm_eval_relations(&g, &p, &o, &r, &err) == LM_OK);
    CHECK_ROW(row_of(&r, "CID"), 1, 1, 1);
    LM_CHECK(near(r.micro.f1, 0.5));
    /* items come in key order */
    LM_CHECK_STR(log.text, "FP CID\t1\tD001241\tD005334\n"
                           "FN CID\t1\tD001241\tD006261\n"
                           "TP CID\t1\tD001241\tD010146\n");

    /* Nothing predicted: recall 0 and precision 0/0 = 0. */
    lm_pt_corpus empty = {0};
    LM_CHECK(lm_eval_relations(&g, &empty, NULL, &r, &err) == LM_OK);
    CHECK_ROW(&r.micro, 0, 0, 2);
    LM_CHECK(r.micro.precision == 0.0 && r.micro.recall == 0.0 && r.micro.f1 == 0.0);
    /* Both empty: no rows, all zero. */
    LM_CHECK(lm_eval_relations(&empty, &empty, NULL, &r, &err) == LM_OK);
    LM_CHECK_INT(r.n_rows, 0);
    CHECK_ROW(&r.micro, 0, 0, 0);
    lm_eval_report_free(&r);
    lm_pt_corpus_free(&g);
    lm_pt_corpus_free(&p);
}

static void test_unordered_pairs(void)
{
    lm_pt_corpus g = {0}, p = {0};
    if (load_text("g2.txt",
                  "7|t|x y\n7|a|z\n7\tAssociation\t672\tD001943\tNovel\n\n", &g) ||
        load_text("p2.txt", "7|t|x y\n7|a|z\n7\tAssociation\tD001943\t672\n\n", &p)) {
        LM_CHECK(!"fixture load");
        return;
    }
    lm_eval_report r;
    lm_eval_report_init(&r);
    lm_error err;
    LM_CHECK(lm_eval_relations(&g, &p, NULL, &r, &err) == LM_OK);
    CHECK_ROW(&r.micro, 0, 1, 1);
    lm_eval_opts o = {0};
    o.unordered_pairs = 1;
    LM_CHECK(lm_eval_relations(&g, &p, &o, &r, &err) == LM_OK);
    CHECK_ROW(&r.micro, 1, 0, 0);
    LM_CHECK_STR(r.rows[0].label, "Association");
    lm_eval_report_free(&r);
    lm_pt_corpus_free(&g);
    lm_pt_corpus_free(&p);
}

static void test_gm_offsets(void)
{
    const char *s = "The p53 protein binds  MDM2.";
    int a, z;
    size_t bs, be;
    LM_CHECK(lm_eval_gm_span_from_bytes(s, strlen(s), 4, 7, &a, &z) == 0);
    LM_CHECK_INT(a, 3);
    LM_CHECK_INT(z, 5);
    LM_CHECK(lm_eval_gm_span_from_bytes(s, strlen(s), 23, 27, &a, &z) == 0);
    LM_CHECK_INT(a, 18);
    LM_CHECK_INT(z, 21);
    LM_CHECK(lm_eval_gm_span_to_bytes(s, strlen(s), 18, 21, &bs, &be) == 0);
    LM_CHECK_INT(bs, 23);
    LM_CHECK_INT(be, 27);
    /* A span that crosses whitespace keeps its inner blanks. */
    LM_CHECK(lm_eval_gm_span_to_bytes(s, strlen(s), 3, 12, &bs, &be) == 0);
    LM_CHECK_INT(bs, 4);
    LM_CHECK_INT(be, 15);
    /* Only whitespace, out of range, reversed. */
    LM_CHECK(lm_eval_gm_span_from_bytes(s, strlen(s), 21, 23, &a, &z) == -1);
    LM_CHECK(lm_eval_gm_span_from_bytes(s, strlen(s), 5, 99, &a, &z) == -1);
    LM_CHECK(lm_eval_gm_span_to_bytes(s, strlen(s), 20, 30, &bs, &be) == -1);
    LM_CHECK(lm_eval_gm_span_to_bytes(s, strlen(s), 5, 4, &bs, &be) == -1);
    /* UTF-8: "IL-1\xce\xb2 x" — the beta is one character of two bytes. */
    const char *u = "IL-1\xce\xb2 x";
    LM_CHECK(lm_eval_gm_span_from_bytes(u, strlen(u), 0, 6, &a, &z) == 0);
    LM_CHECK_INT(z, 4);
    LM_CHECK(lm_eval_gm_span_to_bytes(u, strlen(u), 5, 5, &bs, &be) == 0);
    LM_CHECK_INT(bs, 7);
    LM_CHECK_INT(be, 8);
    LM_CHECK(lm_eval_gm_span_to_bytes(u, strlen(u), 4, 4, &bs, &be) == 0);
    LM_CHECK_INT(bs, 4);
    LM_CHECK_INT(be, 6);
}

static void test_gm_score(void)
{
    lm_eval_gm_set gene, alt, pred;
    lm_eval_gm_set_init(&gene);
    lm_eval_gm_set_init(&alt);
    lm_eval_gm_set_init(&pred);
    lm_error err;
    char path[512];
    snprintf(path, sizeof path, "%s/GENE.eval", lm_test_tmpdir());
    LM_CHECK(write_file(path, "S1|3 5|p53\nS1|18 21|MDM2\n\n") == 0);
    LM_CHECK(lm_eval_gm_load(path, &gene, &err) == LM_OK);
    LM_CHECK_INT(gene.n, 2);
    LM_CHECK(gene.n == 2 && strcmp(gene.items[1].text, "MDM2") == 0);
    LM_CHECK(lm_eval_gm_add(&alt, "S1", 3, 12, "p53 protein", &err) == LM_OK);
    LM_CHECK(lm_eval_gm_add(&alt, "S1", 30, 33, "elsewhere", &err) == LM_OK);
    LM_CHECK(lm_eval_gm_add(&pred, "S1", 3, 12, "p53 protein", &err) == LM_OK); /* alt: TP */
    LM_CHECK(lm_eval_gm_add(&pred, "S1", 18, 20, "MDM", &err) == LM_OK);       /* FP */
    LM_CHECK(lm_eval_gm_add(&pred, "S2", 0, 3, "RAS1", &err) == LM_OK);        /* FP */
    LM_CHECK(lm_eval_gm_add(&pred, "S1", 30, 33, "x", &err) == LM_OK); /* alt span: not FP */
    lm_eval_row row = {0};
    trace_log log = {""};
    lm_eval_opts o = {0};
    o.trace = log_trace;
    o.trace_ctx = &log;
    LM_CHECK(lm_eval_gm_score(&gene, &alt, &pred, &o, &row, &err) == LM_OK);
    LM_CHECK_INT(row.tp, 1);
    LM_CHECK_INT(row.fp, 2);
    LM_CHECK_INT(row.fn, 1);
    LM_CHECK(near(row.precision, 1.0 / 3.0) && near(row.recall, 0.5) && near(row.f1, 0.4));
    LM_CHECK_STR(log.text, "TP S1\t3\t5\nFN S1\t18\t21\nFP S1\t18\t20\nFP S2\t0\t3\n");
    /* Without alternatives the p53 prediction is wrong. */
    LM_CHECK(lm_eval_gm_score(&gene, NULL, &pred, NULL, &row, &err) == LM_OK);
    LM_CHECK_INT(row.tp, 0);
    LM_CHECK_INT(row.fp, 4);
    LM_CHECK_INT(row.fn, 2);
    free(row.label);

    /* Malformed lines name their line number. */
    lm_eval_gm_set bad;
    lm_eval_gm_set_init(&bad);
    LM_CHECK(write_file(path, "S1|3 5|p53\nS1|5|x\n") == 0);
    LM_CHECK(lm_eval_gm_load(path, &bad, &err) == LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, ":2:") != NULL);
    LM_CHECK(write_file(path, "S1|9 5|p53\n") == 0);
    LM_CHECK(lm_eval_gm_load(path, &bad, &err) == LM_ERR_PARSE);
    LM_CHECK(lm_eval_gm_load("/nonexistent/GENE.eval", &bad, &err) == LM_ERR_IO);
    lm_eval_gm_set_free(&bad);
    lm_eval_gm_set_free(&gene);
    lm_eval_gm_set_free(&alt);
    lm_eval_gm_set_free(&pred);
}

static void test_official_bc5cdr(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data not found");
    char gp[512], dp[512], cp[512];
    snprintf(gp, sizeof gp, "%s/bc5cdr/eval_sample/CDR_sample.gold.PubTator", data);
    snprintf(dp, sizeof dp, "%s/bc5cdr/eval_sample/CDR_sample.test.DNER.PubTator", data);
    snprintf(cp, sizeof cp, "%s/bc5cdr/eval_sample/CDR_sample.test.CID.PubTator", data);
    lm_pt_corpus g = {0}, d = {0}, c = {0};
    lm_error err;
    if (lm_pubtator_load(gp, &g, &err) != LM_OK || lm_pubtator_load(dp, &d, &err) != LM_OK ||
        lm_pubtator_load(cp, &c, &err) != LM_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        LM_CHECK(!"load eval_sample");
        return;
    }
    lm_eval_report r;
    lm_eval_report_init(&r);
    const char *disease[] = {"Disease"};
    lm_eval_opts o = {0};
    o.labels = disease;
    o.n_labels = 1;
    /* eval_mention.sh: Evaluate mention Disease */
    LM_CHECK(lm_eval_mentions(&g, &d, &o, &r, &err) == LM_OK);
    CHECK_ROW(&r.micro, 303, 105, 121);
    LM_CHECK(near(r.micro.precision, 0.7426470588235294));
    LM_CHECK(near(r.micro.recall, 0.714622641509434));
    LM_CHECK(near(r.micro.f1, 0.7283653846153848));
    /* eval_id.sh: Evaluate id Disease.  The official readme prints
     * TP 150 / FP 56 / FN 64.  (pmid, id) sets with composites split and
     * -1 dropped give exactly the official gold (214) and predicted (206)
     * totals but one TP fewer; no variant we tried (keeping -1, whole
     * composites, prefix handling, the BioC files) gives 150, so one pair
     * must match under a rule of the Java tool we cannot see.  Pinned
     * here so that changes to the unit are noticed. */
    LM_CHECK(lm_eval_concepts(&g, &d, &o, &r, &err) == LM_OK);
    CHECK_ROW(&r.micro, 149, 57, 65);
    LM_CHECK_INT(r.micro.tp + r.micro.fn, 150 + 64);
    LM_CHECK_INT(r.micro.tp + r.micro.fp, 150 + 56);
    /* eval_relation.sh: Evaluate relation CID */
    const char *cid[] = {"CID"};
    o.labels = cid;
    LM_CHECK(lm_eval_relations(&g, &c, &o, &r, &err) == LM_OK);
    CHECK_ROW(&r.micro, 90, 533, 33);
    LM_CHECK(near(r.micro.precision, 0.14446227929373998));
    LM_CHECK(near(r.micro.recall, 0.7317073170731707));
    LM_CHECK(near(r.micro.f1, 0.24128686327077747));
    lm_eval_report_free(&r);
    lm_pt_corpus_free(&g);
    lm_pt_corpus_free(&d);
    lm_pt_corpus_free(&c);
}

/* train.in lines are "SID text"; ids have no spaces. */
static int sid_cmp(const char *sid, const char *line)
{
    size_t n = strcspn(line, " ");
    size_t m = strlen(sid);
    int c = strncmp(sid, line, m < n ? m : n);
    return c ? c : (m > n) - (m < n);
}

static int cmp_line(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t n = strcspn(x, " ");
    char sid[256];
    snprintf(sid, sizeof sid, "%.*s", (int)n, x);
    return sid_cmp(sid, y);
}

static int cmp_sid_line(const void *key, const void *elem)
{
    return sid_cmp(key, *(char *const *)elem);
}

static void test_official_bc2gm(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data not found");
    char gp[512], ap[512], tp[512];
    snprintf(gp, sizeof gp, "%s/bc2gm/train/GENE.eval", data);
    snprintf(ap, sizeof ap, "%s/bc2gm/train/ALTGENE.eval", data);
    snprintf(tp, sizeof tp, "%s/bc2gm/train/train.in", data);
    lm_eval_gm_set gene, alt;
    lm_eval_gm_set_init(&gene);
    lm_eval_gm_set_init(&alt);
    lm_error err;
    LM_CHECK(lm_eval_gm_load(gp, &gene, &err) == LM_OK);
    LM_CHECK(lm_eval_gm_load(ap, &alt, &err) == LM_OK);
    LM_CHECK_INT(gene.n, 18265);
    LM_CHECK_INT(alt.n, 14499);
    lm_eval_row row = {0};
    /* The gold file scored against itself, and the alternatives as
     * predictions: every alternative is acceptable, so no FP. */
    LM_CHECK(lm_eval_gm_score(&gene, &alt, &gene, NULL, &row, &err) == LM_OK);
    LM_CHECK_INT(row.tp, 18265);
    LM_CHECK_INT(row.fp, 0);
    LM_CHECK_INT(row.fn, 0);
    LM_CHECK(lm_eval_gm_score(&gene, &alt, &alt, NULL, &row, &err) == LM_OK);
    LM_CHECK_INT(row.fp, 0);
    LM_CHECK(row.tp > 0 && row.tp < 18265);
    free(row.label);

    /* Offset conversion on the real sentences: converting every GENE span
     * to bytes must give back its text.  One entry of the corpus itself
     * disagrees ("/translation upstream factor" written without "/"). */
    FILE *f = fopen(tp, "rb");
    LM_CHECK(f != NULL);
    if (f) {
        /* sentences are looked up through a sorted array of ids */
        size_t cap = 16384, n = 0;
        char **lines = malloc(cap * sizeof *lines);
        char buf[8192];
        while (lines && n < cap && fgets(buf, sizeof buf, f)) {
            buf[strcspn(buf, "\n")] = '\0';
            lines[n] = strdup(buf);
            if (lines[n])
                n++;
        }
        fclose(f);
        LM_CHECK_INT(n, 15000);
        qsort(lines, n, sizeof *lines, cmp_line);
        long checked = 0, mismatched = 0;
        for (size_t i = 0; i < gene.n && lines; i++) {
            const lm_eval_gm_mention *m = &gene.items[i];
            char **hit = bsearch(m->sid, lines, n, sizeof *lines, cmp_sid_line);
            if (!hit)
                continue;
            const char *s = *hit + strlen(m->sid) + 1;
            size_t bs, be;
            int a, z;
            if (lm_eval_gm_span_to_bytes(s, strlen(s), m->start, m->end, &bs, &be) != 0) {
                mismatched += 1000;
                continue;
            }
            if (strlen(m->text) != be - bs || memcmp(s + bs, m->text, be - bs) != 0)
                mismatched++;
            if (lm_eval_gm_span_from_bytes(s, strlen(s), bs, be, &a, &z) != 0 ||
                a != m->start || z != m->end)
                mismatched += 1000;   /* round trip broken */
            checked++;
        }
        LM_CHECK_INT(checked, 18265);
        LM_CHECK_INT(mismatched, 1);
        for (size_t k = 0; k < n; k++)
            free(lines[k]);
        free(lines);
    }
    lm_eval_gm_set_free(&gene);
    lm_eval_gm_set_free(&alt);
}

/* MeSH editions: a descriptor newer than the gold's (a ten-character UI)
 * on a gold mention reads as that mention's gold id in its document, in
 * mentions and relations; older ids, other documents, mentions outside
 * the gold ones and composite gold ids are left alone. */
static void test_newer_mesh(void)
{
    LM_CHECK(lm_eval_newer_mesh_id("D000069348") && lm_eval_newer_mesh_id("MESH:D000081015"));
    /* the prefix in any case, as the gold side's id comparison reads it */
    LM_CHECK(lm_eval_newer_mesh_id("mesh:D000081015"));
    LM_CHECK(!lm_eval_newer_mesh_id("D011605") && !lm_eval_newer_mesh_id("C069541") &&
             !lm_eval_newer_mesh_id("D0000693481") && !lm_eval_newer_mesh_id("D00006934x") &&
             !lm_eval_newer_mesh_id("-1") && !lm_eval_newer_mesh_id(NULL));
    static const char gold[] =
        "7|t|Quetiapine and psychosis\n"
        "7|a|Ototoxicity.\n"
        "7\t0\t10\tQuetiapine\tChemical\tC069541\n"
        "7\t15\t24\tpsychosis\tDisease\tD011605\n"
        "7\t25\t36\tOtotoxicity\tDisease\tD006311|D015837\n"
        "7\tCID\tC069541\tD011605\n"
        "\n"
        /* out of pred's order, so the document is searched for */
        "10|t|Fatiguemania stupor comas rash\n"
        "10|a|x\n"
        "10\t0\t7\tFatigue\tDisease\tD005221\n"
        "10\t7\t12\tmania\tChemical\tD003042\n"
        "10\t13\t19\tstupor\tDisease\tD000069348\n"
        "10\t20\t25\tcomas\tDisease\tD003128+D001714\n"
        "10\t26\t30\trash\tDisease\tD005076\n"
        "\n"
        "8|t|Quetiapine\n"
        "8|a|x\n"
        "8\t0\t10\tQuetiapine\tChemical\tD000069348\n"
        "\n";
    static const char pred[] =
        "7|t|Quetiapine and psychosis\n"
        "7|a|Ototoxicity.\n"
        "7\t0\t10\tQuetiapine\tChemical\tD000069348\n"
        "7\t15\t24\tpsychosis\tDisease\tD011618\n"
        "7\t25\t36\tOtotoxicity\tDisease\tD000081015\n"
        "7\tCID\tD000069348\tD011618\n"
        "7\tCID\tD000069348\tD000081015\n"
        "\n"
        "9|t|Quetiapine\n"
        "9|a|x\n"
        "9\t0\t10\tQuetiapine\tChemical\tD000069348\n"
        "\n"
        "10|t|Fatiguemania stupor comas rash\n"
        "10|a|x\n"
        "10\t7\t12\tmania\tDisease\tD000081015\n"
        "10\t13\t19\tstupor\tDisease\tD000081016\n"
        "10\t20\t25\tcomas\tDisease\tD000081017\n"
        "10\t26\t30\trash\tDisease\tD000081018\n"
        "\n";
    lm_pt_corpus g = {0}, p = {0};
    if (load_text("newer-gold.txt", gold, &g) || load_text("newer-pred.txt", pred, &p)) {
        LM_CHECK(!"fixture load");
        return;
    }
    lm_error err;
    size_t n = 99;
    LM_CHECK(lm_eval_map_newer_mesh(&g, &p, &n, &err) == LM_OK);
    LM_CHECK_INT((int)n, 2);
    LM_CHECK_STR(p.docs[0].mentions[0].id, "C069541");
    LM_CHECK_STR(p.docs[0].mentions[1].id, "D011618");     /* not newer: a wrong id stays */
    LM_CHECK_STR(p.docs[0].mentions[2].id, "D000081015");  /* composite gold: left */
    LM_CHECK_STR(p.docs[0].relations[0].id1, "C069541");
    LM_CHECK_STR(p.docs[0].relations[1].id1, "C069541");
    LM_CHECK_STR(p.docs[1].mentions[0].id, "D000069348");  /* no gold document */
    /* next to a gold Disease, over a gold Chemical: neither is its gold */
    LM_CHECK_STR(p.docs[2].mentions[0].id, "D000081015");
    LM_CHECK_STR(p.docs[2].mentions[1].id, "D000081016");  /* gold itself newer */
    LM_CHECK_STR(p.docs[2].mentions[2].id, "D000081017");  /* composite with '+' */
    LM_CHECK_STR(p.docs[2].mentions[3].id, "D005076");
    LM_CHECK(lm_eval_newer_mesh_reads_as("MESH:D000081015", "D005076"));
    LM_CHECK(!lm_eval_newer_mesh_reads_as("D000081015", "D000069348") &&
             !lm_eval_newer_mesh_reads_as("D000081015", "D1|D2") &&
             !lm_eval_newer_mesh_reads_as("D000081015", "-1") &&
             !lm_eval_newer_mesh_reads_as("D005076", "D005221"));
    lm_pt_corpus_free(&g);
    lm_pt_corpus_free(&p);
}

int main(void)
{
    LM_RUN(test_canonical_type);
    LM_RUN(test_split_ids);
    LM_RUN(test_row_zero_division);
    LM_RUN(test_mentions);
    LM_RUN(test_concepts);
    LM_RUN(test_relations);
    LM_RUN(test_unordered_pairs);
    LM_RUN(test_newer_mesh);
    LM_RUN(test_gm_offsets);
    LM_RUN(test_gm_score);
    LM_RUN(test_official_bc5cdr);
    LM_RUN(test_official_bc2gm);
    return LM_DONE();
}
