/*
 * Tests for lm_lexicon: the normal form, id qualification, each importer
 * on the hand-written fixtures in tests/fixtures/lexicon (exact ids, names,
 * types, skipped records), the ambiguity rules, mention lookup with
 * word-level rewrites, DrugBank-to-MeSH bridging, weighted corpora,
 * save/load round trip, corruption detection, concurrent read-only lookups, and — when
 * ../shared/data exists — real lookups against gene_info, DrugBank and the
 * BC5CDR training annotations.
 *
 * LONG-FILE: one test file per module, as lm_lexicon.c is one module; to
 * split with it (normalisation, builder, file format, lookup).
 */
#include "../nlp/lm_lexicon.h"
#include "../util/lm_mapcache.h"
#include "lm_test.h"

#include <math.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define FIX "tests/fixtures/lexicon/"

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static const char *norm(const char *s)
{
    static char buf[LM_LEXICON_KEY_MAX];
    lm_lexicon_normalize(s, strlen(s), buf, sizeof buf);
    return buf;
}

static int same_norm(const char *a, const char *b)
{
    char x[LM_LEXICON_KEY_MAX], y[LM_LEXICON_KEY_MAX];
    size_t nx = lm_lexicon_normalize(a, strlen(a), x, sizeof x);
    size_t ny = lm_lexicon_normalize(b, strlen(b), y, sizeof y);
    if (nx == 0 || ny == 0 || strcmp(x, y) != 0) {
        fprintf(stderr, "    '%s' -> '%s'  vs  '%s' -> '%s'\n", a, x, b, y);
        return 0;
    }
    return 1;
}

static void test_normalize(void)
{
    LM_CHECK_STR(norm("TNF-alpha"), "tnfalpha");
    LM_CHECK(same_norm("TNF-alpha", "TNF \xce\xb1"));        /* α */
    LM_CHECK(same_norm("TNF-alpha", "tnf\xce\x91"));         /* Α */
    LM_CHECK(same_norm("TNF-alpha", "Tnf  Alpha"));
    LM_CHECK(same_norm("\xce\xb2-blocker", "beta blocker"));
    LM_CHECK(same_norm("IL-2", "IL 2"));
    LM_CHECK(same_norm("IL-2", "il2"));
    LM_CHECK(same_norm("Tumour necrosis factor", "tumor necrosis factor"));
    LM_CHECK(same_norm("anaemia", "Anemia"));
    LM_CHECK(same_norm("oedema", "edema"));
    LM_CHECK(same_norm("haemorrhage", "hemorrhage"));
    LM_CHECK(same_norm("diarrhoea", "diarrhea"));
    LM_CHECK(same_norm("leukaemia", "leukemia"));
    LM_CHECK(same_norm("Type II diabetes", "type 2 diabetes"));
    LM_CHECK(same_norm("type I diabetes", "Type-1 Diabetes"));
    LM_CHECK(same_norm("Crohn's disease", "Crohn disease"));
    LM_CHECK(same_norm("Crohn\xe2\x80\x99s disease", "crohn disease"));   /* ’ */
    LM_CHECK(same_norm("Sj\xc3\xb6gren syndrome", "Sjogren Syndrome"));
    LM_CHECK(same_norm("5\xe2\x80\x93HT", "5-HT"));                       /* en dash */
    LM_CHECK(same_norm("Na+/K+-ATPase", "Na K ATPase"));
    LM_CHECK_STR(norm("\xc2\xb5g"), "mug");
    /* Things that must stay apart. */
    char f1[32], f2[32];
    lm_lexicon_normalize("factor I", 8, f1, sizeof f1);
    lm_lexicon_normalize("factor II", 9, f2, sizeof f2);
    LM_CHECK_STR(f1, "factor1");
    LM_CHECK_STR(f2, "factor2");
    LM_CHECK_STR(norm("vitamin I"), "vitamini");   /* only after type/class/... */
    /* Empty and too short. */
    char out[8];
    LM_CHECK_INT(lm_lexicon_normalize("", 0, out, sizeof out), 0);
    LM_CHECK_INT(lm_lexicon_normalize(" - ", 3, out, sizeof out), 0);
    LM_CHECK_INT(lm_lexicon_normalize("a", 1, out, sizeof out), 0);
    LM_CHECK_INT(lm_lexicon_normalize("ab", 2, out, sizeof out), 2);
    LM_CHECK_STR(out, "ab");
    /* Does not fit: 0, never a truncated key. */
    LM_CHECK_INT(lm_lexicon_normalize("abcdefghij", 10, out, sizeof out), 0);
    LM_CHECK_STR(out, "");
    /* Invalid UTF-8 is a separator, not a crash. */
    LM_CHECK_STR(norm("ab\xff" "cd"), "abcd");
}

static void test_qualify_id(void)
{
    lm_buf b;
    lm_buf_init(&b);
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_DISEASE, "D003920", &b) == 0);
    LM_CHECK_STR(lm_buf_cstr(&b), "MESH:D003920");
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_CHEMICAL, "mesh:C000002", &b) == 0);
    LM_CHECK_STR(lm_buf_cstr(&b), "MESH:C000002");
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_GENE, "672", &b) == 0);
    LM_CHECK_STR(lm_buf_cstr(&b), "NCBIGene:672");
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_DISEASE, "D058186|D017093", &b) == 0);
    LM_CHECK_STR(lm_buf_cstr(&b), "MESH:D058186|MESH:D017093");
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_DISEASE, "D1+OMIM:1234", &b) == 0);
    LM_CHECK_STR(lm_buf_cstr(&b), "MESH:D1|OMIM:1234");
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_DISEASE, "D000001,D000002", &b) == 0);
    LM_CHECK_STR(lm_buf_cstr(&b), "MESH:D000001|MESH:D000002");
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_DISEASE, "-1", &b) == -1);
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_DISEASE, "", &b) == -1);
    LM_CHECK(lm_lexicon_qualify_id(LM_ENT_DISEASE, NULL, &b) == -1);
    lm_buf_free(&b);
}

static void test_types(void)
{
    LM_CHECK(lm_ent_type_from_label("Chemical") == LM_ENT_CHEMICAL);
    LM_CHECK(lm_ent_type_from_label("DiseaseOrPhenotypicFeature") == LM_ENT_DISEASE);
    LM_CHECK(lm_ent_type_from_label("GeneOrGeneProduct") == LM_ENT_GENE);
    LM_CHECK(lm_ent_type_from_label("SequenceVariant") == LM_ENT_ANY);
    LM_CHECK_STR(lm_ent_type_name(LM_ENT_GENE), "Gene");
}

/* Builds a lexicon from every fixture file. */
static lm_lexicon *fixture_lexicon(lm_lexicon_import_stats st[4])
{
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    if (lm_lexicon_builder_init(&b, &err) != LM_OK)
        return NULL;
    if (lm_lexicon_import_mesh(b, FIX "desc_sample.xml", &st[0], &err) != LM_OK ||
        lm_lexicon_import_mesh(b, FIX "supp_sample.xml", &st[1], &err) != LM_OK ||
        lm_lexicon_import_gene_info(b, FIX "human_genes_sample.tsv", 9606, 0, &st[2], &err) !=
            LM_OK ||
        lm_lexicon_import_drugbank(b, FIX "drugbank_sample.csv", &st[3], &err) != LM_OK ||
        lm_lexicon_builder_finish(b, &lex, &err) != LM_OK)
        fprintf(stderr, "  fixture lexicon: %s\n", err.msg);
    lm_lexicon_builder_free(b);
    return lex;
}

/* The id of the best match, or "" */
static const char *best(const lm_lexicon *lex, lm_ent_type t, const char *text)
{
    static char id[128];
    lm_lexicon_match m;
    id[0] = '\0';
    if (lm_lexicon_lookup(lex, t, text, strlen(text), &m))
        snprintf(id, sizeof id, "%s", m.id);
    return id;
}

static void test_import_mesh(void)
{
    lm_lexicon_import_stats st[4];
    lm_lexicon *lex = fixture_lexicon(st);
    LM_CHECK(lex != NULL);
    if (!lex)
        return;
    LM_CHECK_INT(st[0].records, 8);
    LM_CHECK_INT(st[0].skipped, 1);   /* Body Regions (A01) */
    LM_CHECK_INT(st[1].records, 6);
    LM_CHECK_INT(st[1].skipped, 1);   /* SCRClass 4 organism */

    lm_lexicon_match m;
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_CHEMICAL, "Paracetamol", 11, &m) == 1);
    LM_CHECK_STR(m.id, "MESH:D000082");
    LM_CHECK_STR(m.name, "Acetaminophen");
    LM_CHECK(m.type == LM_ENT_CHEMICAL);
    LM_CHECK(near(m.score, LM_LEX_SCORE_TERM));
    LM_CHECK(m.variant == 0);
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_DISEASE, "Paracetamol", 11, &m) == 0);
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_DISEASE, "Diabetes Mellitus", 17, &m) == 1);
    LM_CHECK_STR(m.id, "MESH:D003920");
    LM_CHECK(near(m.score, LM_LEX_SCORE_NAME) && (m.flags & LM_LEX_PREFERRED));
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "NIDDM"), "MESH:D003924");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "type II diabetes mellitus"), "MESH:D003924");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "maturity onset diabetes mellitus"), "MESH:D003924");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "noninsulin-dependent diabetes mellitus"),
                 "MESH:D003924");
    /* F03 mental disorder and C23 symptom are diseases */
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "melancholia"), "MESH:D003866");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "pain"), "MESH:D010146");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "aches and pains") , "");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "Aches & Pains"), "MESH:D010146");
    /* un-inverted entry term */
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_DISEASE, "endogenous depression", 21, &m) == 1);
    LM_CHECK_STR(m.id, "MESH:D003866");
    LM_CHECK(near(m.score, LM_LEX_SCORE_VARIANT));
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "high blood pressure"), "MESH:D006973");
    /* plural variant */
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_DISEASE, "Hypertensions", 13, &m) == 1);
    LM_CHECK_STR(m.id, "MESH:D006973");
    LM_CHECK(m.variant == 1 && near(m.score, LM_LEX_SCORE_NAME * 0.9));
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "depressive disorders"), "MESH:D003866");
    /* Greek letter as a character reference in the XML */
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "TNF alpha"), "MESH:D014409");
    /* cross-references and qualifiers do not leak in; anatomy skipped */
    LM_CHECK_STR(best(lex, LM_ENT_ANY, "Analgesics, Non-Narcotic"), "");
    LM_CHECK_STR(best(lex, LM_ENT_ANY, "blood"), "");
    LM_CHECK_STR(best(lex, LM_ENT_ANY, "Benzilates"), "");
    LM_CHECK_STR(best(lex, LM_ENT_ANY, "body regions"), "");
    /* supplementary records */
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "bevonium methyl sulfate"), "MESH:C000002");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "IVA protocol"), "MESH:C064227");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "malignant mesenchymal tumour"), "MESH:C535700");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "familial example type hypertension"),
                 "MESH:C999002");   /* no SCRClass: mapped to a disease heading */
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "examplomycin"), "MESH:C999003");
    LM_CHECK_STR(best(lex, LM_ENT_ANY, "example virus 1"), "");
    lm_lexicon_free(lex);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The MeSH reader on NLM's layout: records in file order, the heading,
 * terms of every concept, tree numbers summarised as classes; a
 * supplementary record's class from its SCRClass and its headings without
 * the major-topic star. */
typedef struct mesh_seen {
    char ui[8][16];
    unsigned classes[8];
    size_t n_terms[8], n_trees[8];
    char heading[8][16];
    int n;
} mesh_seen;

static lm_status see_record(void *ctx, const lm_mesh_record *r, lm_error *err)
{
    (void)err;
    mesh_seen *m = ctx;
    if (m->n < 8) {
        snprintf(m->ui[m->n], sizeof m->ui[0], "%s", r->ui);
        m->classes[m->n] = r->classes;
        m->n_terms[m->n] = r->n_terms;
        m->n_trees[m->n] = r->n_trees;
        snprintf(m->heading[m->n], sizeof m->heading[0], "%s",
                 r->n_headings ? r->headings[0] : "");
        m->n++;
    }
    return LM_OK;
}

static void test_mesh_reader(void)
{
    LM_CHECK_INT(lm_mesh_tree_class("C23.888.592.612"), LM_MESH_SYMPTOM);
    LM_CHECK_INT(lm_mesh_tree_class("C10.597"), LM_MESH_DISEASE);
    LM_CHECK_INT(lm_mesh_tree_class("F03.600"), LM_MESH_MENTAL);
    LM_CHECK_INT(lm_mesh_tree_class("F02.830"), LM_MESH_OTHER);
    LM_CHECK_INT(lm_mesh_tree_class("D12.644"), LM_MESH_PROTEIN);
    LM_CHECK_INT(lm_mesh_tree_class("D27.505"), LM_MESH_ACTION);
    LM_CHECK_INT(lm_mesh_tree_class("D02.065"), LM_MESH_CHEMICAL);
    LM_CHECK_INT(lm_mesh_tree_class("A01"), LM_MESH_ANATOMY);
    mesh_seen d = {.n = 0}, sp = {.n = 0};
    lm_error err;
    LM_CHECK(lm_mesh_read(FIX "desc_sample.xml", see_record, &d, &err) == LM_OK);
    LM_CHECK(lm_mesh_read(FIX "supp_sample.xml", see_record, &sp, &err) == LM_OK);
    LM_CHECK_INT(d.n, 8);
    LM_CHECK_STR(d.ui[1], "D003924");
    LM_CHECK_INT(d.n_terms[1], 4);   /* both concepts' terms */
    LM_CHECK_INT(d.n_trees[1], 2);
    /* pain: C10 (disease), C23 (sign), F02 (other) */
    for (int i = 0; i < d.n; i++)
        if (strcmp(d.ui[i], "D010146") == 0)
            LM_CHECK_INT(d.classes[i], LM_MESH_DISEASE | LM_MESH_SYMPTOM | LM_MESH_OTHER);
    LM_CHECK_INT(sp.n, 6);
    LM_CHECK_INT(sp.classes[0], LM_MESH_SUPP_CHEMICAL);
    LM_CHECK_STR(sp.heading[0], "D001561");
    LM_CHECK_INT(sp.classes[1], LM_MESH_SUPP_CHEMICAL);   /* protocol */
    LM_CHECK_INT(sp.classes[2], LM_MESH_SUPP_DISEASE);
    LM_CHECK_INT(sp.classes[3], 0);                       /* no SCRClass */
    LM_CHECK_INT(sp.classes[5], LM_MESH_SUPP_ORGANISM);
    /* an unreadable file is an I/O error */
    LM_CHECK(lm_mesh_read("/nonexistent/desc.xml", see_record, &d, &err) == LM_ERR_IO);

    /* the newest desc and supp files of a directory, by name */
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/meshdir", lm_test_tmpdir());
    mkdir(dir, 0700);
    const char *files[] = {"desc2020.xml", "desc2021.xml.gz", "supp2021.xml", "desc.txt",
                           "supp2019.xml.gz"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        write_file(p, "x");
    }
    lm_buf desc, supp;
    lm_buf_init(&desc);
    lm_buf_init(&supp);
    LM_CHECK(lm_lexicon_find_mesh(dir, &desc, &supp, &err) == LM_OK);
    snprintf(p, sizeof p, "%s/desc2021.xml.gz", dir);
    LM_CHECK_STR(lm_buf_cstr(&desc), p);
    snprintf(p, sizeof p, "%s/supp2021.xml", dir);
    LM_CHECK_STR(lm_buf_cstr(&supp), p);
    LM_CHECK(lm_lexicon_find_mesh("/nonexistent", &desc, &supp, &err) == LM_OK);
    LM_CHECK(desc.len == 0 && supp.len == 0);
    lm_buf_free(&desc);
    lm_buf_free(&supp);
}

static void test_import_gene_info(void)
{
    lm_lexicon_import_stats st[4];
    lm_lexicon *lex = fixture_lexicon(st);
    LM_CHECK(lex != NULL);
    if (!lex)
        return;
    LM_CHECK_INT(st[2].records, 7);
    LM_CHECK_INT(st[2].skipped, 1);   /* mouse */
    lm_lexicon_match m[8];
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_GENE, "BRCA1", 5, m) == 1);
    LM_CHECK_STR(m[0].id, "NCBIGene:672");
    /* a gene is shown by its symbol and full name, not the symbol alone */
    LM_CHECK_STR(m[0].name, "BRCA1 (BRCA1 DNA repair associated)");
    LM_CHECK(m[0].flags & LM_LEX_SYMBOL);
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "rnf53"), "NCBIGene:672");
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "BRCA1 DNA repair associated"), "NCBIGene:672");
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "breast cancer type 1 susceptibility protein"), "");
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "tumour protein p53"), "NCBIGene:7157");
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "p53"), "NCBIGene:7157");
    /* Ambiguity: TP53 is 7157's symbol and 9999's synonym -> 7157 only. */
    size_t n = lm_lexicon_lookup_all(lex, LM_ENT_GENE, "TP53", 4, m, 8);
    LM_CHECK_INT(n, 1);
    LM_CHECK(n == 1 && strcmp(m[0].id, "NCBIGene:7157") == 0 && m[0].n_candidates == 1);
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "BAR7"), "NCBIGene:9999");
    /* A synonym of two genes and nobody's symbol: both kept, lowest id first. */
    n = lm_lexicon_lookup_all(lex, LM_ENT_GENE, "XYZ9", 4, m, 8);
    LM_CHECK_INT(n, 2);
    LM_CHECK(n == 2 && strcmp(m[0].id, "NCBIGene:8888") == 0 &&
             strcmp(m[1].id, "NCBIGene:8889") == 0 && m[0].n_candidates == 2);
    /* The same name as gene and as chemical, told apart by type. */
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "TNF-\xce\xb1"), "NCBIGene:7124");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "TNF-\xce\xb1"), "MESH:D014409");
    n = lm_lexicon_lookup_all(lex, LM_ENT_ANY, "TNF alpha", 9, m, 8);
    LM_CHECK_INT(n, 2);
    /* taxon filter */
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "bbl"), "");
    lm_lexicon_builder *b;
    lm_lexicon *all = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_gene_info(b, FIX "human_genes_sample.tsv", 0, 1, &st[0], &err) ==
             LM_OK);
    LM_CHECK_INT(st[0].skipped, 0);
    LM_CHECK(lm_lexicon_builder_finish(b, &all, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    LM_CHECK_STR(best(all, LM_ENT_GENE, "bbl"), "NCBIGene:22059");
    /* with_designations */
    LM_CHECK_STR(best(all, LM_ENT_GENE, "breast cancer type 1 susceptibility protein"),
                 "NCBIGene:672");
    lm_lexicon_free(all);
    lm_lexicon_free(lex);
}

static void test_import_drugbank(void)
{
    lm_lexicon_import_stats st[4];
    lm_lexicon *lex = fixture_lexicon(st);
    LM_CHECK(lex != NULL);
    if (!lex)
        return;
    LM_CHECK_INT(st[3].records, 5);
    lm_lexicon_match m;
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_CHEMICAL, "Aspirin", 7, &m) == 1);
    LM_CHECK_STR(m.id, "DRUGBANK:DB00945");
    LM_CHECK_STR(m.name, "Acetylsalicylic acid");
    LM_CHECK(near(m.score, LM_LEX_SCORE_SYN));
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "\"Bayer\" aspirin"), "DRUGBANK:DB00945");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "[Leu1, Thr2]-63-desulfohirudin"),
                 "DRUGBANK:DB00001");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "lepirudin"), "DRUGBANK:DB00001");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "cetuximab"), "DRUGBANK:DB00002");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "bivalirudinum"), "DRUGBANK:DB00006");
    /* Records after a quoted field with a newline are intact. */
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "Tylenol"), "MESH:D000082");   /* MeSH 0.90 */
    lm_lexicon_match all[4];
    size_t n = lm_lexicon_lookup_all(lex, LM_ENT_CHEMICAL, "tylenol", 7, all, 4);
    LM_CHECK_INT(n, 2);
    LM_CHECK(n == 2 && strcmp(all[1].id, "DRUGBANK:DB00316") == 0);
    /* namespace filter */
    n = lm_lexicon_lookup_ns(lex, LM_ENT_CHEMICAL, "DRUGBANK:", "tylenol", 7, all, 4);
    LM_CHECK(n == 1 && strcmp(all[0].id, "DRUGBANK:DB00316") == 0 && all[0].n_candidates == 1);
    n = lm_lexicon_lookup_ns(lex, LM_ENT_CHEMICAL, "MESH:", "tylenol", 7, all, 4);
    LM_CHECK(n == 1 && strcmp(all[0].id, "MESH:D000082") == 0);
    LM_CHECK_INT(lm_lexicon_lookup_ns(lex, LM_ENT_CHEMICAL, "MESH:", "aspirin", 7, all, 4), 0);
    LM_CHECK_INT(lm_lexicon_lookup_ns(lex, LM_ENT_CHEMICAL, "", "aspirin", 7, all, 4), 1);
    /* "Acetaminophen": MeSH heading (0.95) beats DrugBank common name (0.85) */
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "acetaminophen"), "MESH:D000082");
    lm_lexicon_free(lex);
}


static void test_import_errors(void)
{
    lm_lexicon_builder *b;
    lm_error err;
    char p[512];
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_mesh(b, "/nonexistent/desc.xml", NULL, &err) == LM_ERR_IO);
    snprintf(p, sizeof p, "%s/bad.xml", lm_test_tmpdir());
    write_file(p, "<DescriptorRecordSet><DescriptorRecord><DescriptorUI>D1</Descr");
    LM_CHECK(lm_lexicon_import_mesh(b, p, NULL, &err) == LM_ERR_PARSE);
    write_file(p, "<PubmedArticleSet></PubmedArticleSet>");
    LM_CHECK(lm_lexicon_import_mesh(b, p, NULL, &err) == LM_ERR_FORMAT);
    LM_CHECK(lm_lexicon_import_gene_info(b, "/nonexistent/gene_info", 0, 0, NULL, &err) ==
             LM_ERR_IO);
    snprintf(p, sizeof p, "%s/bad_gene_info", lm_test_tmpdir());
    write_file(p, "#tax_id\tGeneID\n9606\t672\tBRCA1\t-\t-\t-\t-\t-\tx\n9606\tabc\tX\n");
    LM_CHECK(lm_lexicon_import_gene_info(b, p, 0, 0, NULL, &err) == LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, ":3:") != NULL);
    snprintf(p, sizeof p, "%s/bad.csv", lm_test_tmpdir());
    write_file(p, "DrugBank ID,Common name\nDB1,\"unterminated\n");
    LM_CHECK(lm_lexicon_import_drugbank(b, p, NULL, &err) == LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, ":2:") != NULL);
    write_file(p, "ID,Name\nDB1,x\n");
    LM_CHECK(lm_lexicon_import_drugbank(b, p, NULL, &err) == LM_ERR_FORMAT);
    write_file(p, "DrugBank ID,Common name\nDB1,\"x\"y\n");
    LM_CHECK(lm_lexicon_import_drugbank(b, p, NULL, &err) == LM_ERR_PARSE);
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_ANY, "X:1", "abc", 3, 0, 1, 1, &err) ==
             LM_ERR_USAGE);
    lm_lexicon_builder_free(b);
}

static void test_corpus_rule(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/corpus.txt", lm_test_tmpdir());
    write_file(p, "1|t|Aspirin and aspirin and ASPIRIN.\n"
                  "1|a|Renal and hepatic failure. Hypertension x.\n"
                  "1\t0\t7\tAspirin\tChemical\tD001241\n"
                  "1\t12\t19\taspirin\tChemical\tD001241\n"
                  "1\t24\t31\tASPIRIN\tChemical\tD000001\n"
                  "1\t33\t58\tRenal and hepatic failure\tDisease\tD058186|D017093\tx|y\n"
                  "1\t60\t72\tHypertension\tDisease\tD000002\n"
                  "1\t73\t74\tx\tDisease\t-1\n"
                  "\n"
                  "2|t|Hypertension.\n2|a|x\n"
                  "2\t0\t12\tHypertension\tDisease\tD000002\n"
                  "\n");
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    lm_lexicon_import_stats st;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_mesh(b, FIX "desc_sample.xml", NULL, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_pubtator(b, p, &st, &err) == LM_OK);
    LM_CHECK_INT(st.records, 7);
    LM_CHECK_INT(st.skipped, 1);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    if (!lex)
        return;
    lm_lexicon_match m[4];
    size_t n = lm_lexicon_lookup_all(lex, LM_ENT_CHEMICAL, "aspirin", 7, m, 4);
    LM_CHECK_INT(n, 1);   /* the runner-up id (1 of 3) is dropped */
    LM_CHECK(n == 1 && strcmp(m[0].id, "MESH:D001241") == 0 && m[0].count == 2 &&
             (m[0].flags & LM_LEX_CORPUS) && near(m[0].score, LM_LEX_SCORE_CORPUS));
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "renal and hepatic failure"),
                 "MESH:D058186|MESH:D017093");
    /* corpus annotations (two: one alone would not outrank the MeSH
     * heading, test_heading_over_lone_annotation) outrank the dictionary,
     * which stays second */
    n = lm_lexicon_lookup_all(lex, LM_ENT_DISEASE, "hypertension", 12, m, 4);
    LM_CHECK_INT(n, 2);
    LM_CHECK(n == 2 && strcmp(m[0].id, "MESH:D000002") == 0 &&
             strcmp(m[1].id, "MESH:D006973") == 0);
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "x"), "");
    lm_lexicon_free(lex);
}

/* The best id of lm_lexicon_lookup_mention restricted to ns, or "" */
static const char *mention_id(const lm_lexicon *lex, lm_ent_type t, const char *ns,
                              const char *text, int *variant)
{
    static char id[128];
    lm_lexicon_match m;
    id[0] = '\0';
    if (lm_lexicon_lookup_mention(lex, t, ns, text, strlen(text), &m, 1) == 1) {
        snprintf(id, sizeof id, "%s", m.id);
        if (variant)
            *variant = m.variant;
    }
    return id;
}

static void test_lookup_mention(void)
{
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    static const struct {
        lm_ent_type t;
        const char *id, *name;
    } names[] = {
        {LM_ENT_DISEASE, "MESH:D006333", "heart failure"},
        {LM_ENT_DISEASE, "MESH:D009127", "muscular rigidity"},
        {LM_ENT_DISEASE, "MESH:D012640", "convulsions"},
        {LM_ENT_CHEMICAL, "MESH:D016642", "bupropion"},
        {LM_ENT_CHEMICAL, "MESH:D012965", "sodium chloride"},
        {LM_ENT_CHEMICAL, "DRUGBANK:DB00363", "clozapine"},
        {LM_ENT_CHEMICAL, "MESH:D005459", "fluoride"},
        {LM_ENT_CHEMICAL, "MESH:D014859", "warfarin"},
        {LM_ENT_GENE, "NCBIGene:3855", "kidney injury molecule 1"},
        {LM_ENT_DISEASE, "MESH:D004409", "dyskinesia"},
        {LM_ENT_DISEASE, "MESH:D010302", "parkinsonism"},
        {LM_ENT_DISEASE, "MESH:D002375", "catalepsy"},
        {LM_ENT_DISEASE, "MESH:D004487", "edema"},
        {LM_ENT_DISEASE, "MESH:D009901", "optic neuritis"},
        {LM_ENT_CHEMICAL, "MESH:D006897", "hydroxyindoleacetic acid"},
        {LM_ENT_CHEMICAL, "MESH:D014031", "tobramycin"},
        {LM_ENT_CHEMICAL, "MESH:D011433", "propranolol"},
        {LM_ENT_CHEMICAL, "MESH:D011434", "propanolol-x"},
        {LM_ENT_DISEASE, "MESH:D012164", "retinal diseases"},
        {LM_ENT_DISEASE, "MESH:D008107", "liver diseases"},
        {LM_ENT_DISEASE, "MESH:D006311", "hearing disorders"},
        {LM_ENT_CHEMICAL, "MESH:D011188", "potassium"},
        {LM_ENT_CHEMICAL, "MESH:D002118", "calcium"},
        {LM_ENT_CHEMICAL, "MESH:D002122", "calcium chloride"},
        {LM_ENT_CHEMICAL, "MESH:D002251", "carbon tetrachloride"},
        {LM_ENT_CHEMICAL, "MESH:D014867", "water"},
        {LM_ENT_CHEMICAL, "MESH:D013481", "superoxides"},
        {LM_ENT_CHEMICAL, "MESH:D010100", "oxygen"},
        {LM_ENT_DISEASE, "MESH:D009422", "nervous system diseases"},
        {LM_ENT_DISEASE, "MESH:D010523", "peripheral nervous system diseases"},
        {LM_ENT_DISEASE, "MESH:D008113", "liver neoplasms"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        LM_CHECK(lm_lexicon_builder_add(b, names[i].t, names[i].id, names[i].name,
                                        strlen(names[i].name), LM_LEX_CORPUS,
                                        LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    if (!lex)
        return;
    int v = -1;
    /* exact forms come first, with their own variant number */
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, "MESH:", "Heart failures", &v), "MESH:D006333");
    LM_CHECK_INT(v, 1);
    /* one word swapped for its synonym, both ways */
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, "MESH:", "cardiac failure", &v),
                 "MESH:D006333");
    LM_CHECK_INT(v, 2);
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "muscle rigidity", NULL), "MESH:D009127");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "seizures", NULL), "MESH:D012640");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "liver tumours", NULL), "MESH:D008113");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "liver tumour", NULL), "MESH:D008113");
    /* salt words dropped from chemicals only, never down to nothing */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, "MESH:", "bupropion HCl", &v), "MESH:D016642");
    LM_CHECK_INT(v, 2);
    /* every salt the tagger joins to a drug (one list, lm_lexicon_is_salt_word) */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "tobramycin enanthate", NULL),
                 "MESH:D014031");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "propranolol decanoate", NULL),
                 "MESH:D011433");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "warfarin Gluconate", NULL),
                 "MESH:D014859");
    LM_CHECK(lm_lexicon_is_salt_word("HCl", 3) && lm_lexicon_is_salt_word("enanthate", 9));
    LM_CHECK(!lm_lexicon_is_salt_word("sulfate", 7) && !lm_lexicon_is_salt_word("hcl2", 3 + 1));
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "sodium chloride", &v), "MESH:D012965");
    LM_CHECK_INT(v, 0);
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "sodium", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "bupropion HCl", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "cardiac failure", NULL), "");
    /* a metal word goes only after the drug: sodium fluoride is a compound */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "warfarin sodium", NULL), "MESH:D014859");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "sodium fluoride", NULL), "");
    /* genes are not rewritten */
    LM_CHECK_STR(mention_id(lex, LM_ENT_GENE, NULL, "renal injury molecule 1", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_GENE, NULL, "kidney injury molecule 1", NULL),
                 "NCBIGene:3855");
    /* a disease named by an adjective is found under its noun */
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "dyskinetic", &v), "MESH:D004409");
    LM_CHECK_INT(v, 2);
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "parkinsonian", NULL), "MESH:D010302");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "cataleptic", NULL), "MESH:D002375");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "edematous", NULL), "MESH:D004487");
    /* leading modifiers of course and severity dropped, others kept */
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "bilateral optic neuritis", NULL),
                 "MESH:D009901");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "acute severe optic neuritis", NULL),
                 "MESH:D009901");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "toxic optic neuritis", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "dyskinetic", NULL), "");
    /* ... and "idiopathic" and the species a disease was seen in; a change
     * in a known disease is that disease; a site or setting goes last,
     * after the organ's own diseases; an organ's function impaired */
    static const char *const readings[][2] = {
        {"idiopathic optic neuritis", "MESH:D009901"},
        {"canine convulsions", "MESH:D012640"},
        {"increase in dyskinesia", "MESH:D004409"},
        {"worsening of edema", "MESH:D004487"},
        {"increase in toxic optic neuritis", ""},
        {"peripheral edema", "MESH:D004487"},
        {"postoperative brainstem convulsions", "MESH:D012640"},
        {"peripheral nervous system damage", "MESH:D010523"},
        {"cerebral toxic optic neuritis", ""},
        {"peripheral", ""},
        {"impairment of hepatic function", "MESH:D008107"},
    };
    for (size_t i = 0; i < sizeof readings / sizeof readings[0]; i++) {
        v = -1;
        LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, readings[i][0], &v), readings[i][1]);
        LM_CHECK_INT(v, readings[i][1][0] ? 2 : -1);
    }
    /* a chemical's leading locant */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "5-hydroxyindoleacetic acid", &v),
                 "MESH:D006897");
    LM_CHECK_INT(v, 2);
    /* one edit away: a misspelling, unless the name is short, the edit
     * touches a digit or two names are that close */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "tobramycn", &v), "MESH:D014031");
    LM_CHECK_INT(v, 3);
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "tobramicyn", NULL), "");   /* two edits */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "tobramycine", NULL), "MESH:D014031");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "dyskinesai", NULL), "MESH:D004409");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "tobramycim", NULL), "MESH:D014031");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "warfari", NULL), "");   /* 7 letters */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "propranololx", NULL), "");   /* two */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "xobramycin", NULL), "");   /* first letters */
    /* harm to an organ is annotated as the organ's diseases */
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "retinal toxicity", &v), "MESH:D012164");
    LM_CHECK_INT(v, 2);
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "hepatic impairment", NULL),
                 "MESH:D008107");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "liver damage", NULL), "MESH:D008107");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "auditory dysfunction", NULL),
                 "MESH:D006311");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "retinal", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "retinal detachment", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "retinal toxicity", NULL), "");
    /* symbols, ions and simple formulas of chemicals; case matters, and a
     * lone one-letter symbol other than K is an abbreviation */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "K", &v), "MESH:D011188");
    LM_CHECK_INT(v, 2);
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "K+", NULL), "MESH:D011188");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "Ca(2+)", NULL), "MESH:D002118");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "Ca2+", NULL), "MESH:D002118");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "CaCl(2)", NULL), "MESH:D002122");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "CaCl2", NULL), "MESH:D002122");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "CCl4", NULL), "MESH:D002251");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "H2O", NULL), "MESH:D014867");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "O2-", NULL), "MESH:D013481");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "O2", NULL), "MESH:D010100");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "O", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "CA", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "Ca2Cl", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "Ca2+", NULL), "");
    /* rewrites keep to the namespace */
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, "MESH:", "clozapine maleate", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "clozapine maleate", NULL),
                 "DRUGBANK:DB00363");
    /* plain lookups are untouched */
    lm_lexicon_match m;
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_DISEASE, "cardiac failure", 15, &m) == 0);
    lm_lexicon_free(lex);
}

static lm_lexicon *disease_fixture(void)
{
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    /* a drug, and a word that is both a drug and a disease */
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, "MESH:D000305", "corticosteroid", 14,
                                    LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, "MESH:D999999", "coma", 4,
                                    LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
    static const struct {
        const char *id, *name;
    } names[] = {
        {"MESH:D001943", "breast neoplasms"},      {"MESH:D001943", "breast cancer"},
        {"MESH:D010051", "ovarian cancer"},        {"MESH:D006509", "hepatitis b"},
        {"MESH:D019698", "chronic hepatitis c"},   {"MESH:D000257", "adenoviridae infections"},
        {"MESH:D000257", "adenovirus infections"}, {"MESH:D020323", "tics"},
        {"MESH:D013575", "syncope"},               {"MESH:D001281", "atrial fibrillation"},
        {"MESH:D008133", "qt interval prolongation"},
        {"MESH:D005234", "fatty liver"},           {"MESH:D005234", "steatosis, liver"},
        {"MESH:D005234", "steatosis of liver"},    {"MESH:D012164", "retinal diseases"},
        {"MESH:D017180", "ventricular tachycardia"}, {"MESH:D014693", "ventricular fibrillation"},
        {"MESH:D002971", "cleft lip"},             {"MESH:D002972", "cleft palate"},
        {"MESH:D007674", "kidney diseases"},       {"MESH:D008107", "liver diseases"},
        {"MESH:D009230", "myxedema"},              {"MESH:D003128", "coma"},
        {"MESH:D006333", "heart failure"},         {"MESH:D004827", "epilepsy"},
        {"MESH:D008232", "lymphoproliferative disorders"},
        {"MESH:D051437", "renal insufficiency"},   {"MESH:D003072", "cognition disorders"},
        {"MESH:D001855", "bone marrow diseases"},  {"MESH:D009798", "ocular hypertension"},
        {"MESH:D006973", "hypertension"},
        {"MESH:D013617", "atrial tachycardia"},    {"MESH:D056486", "hepatotoxicity"},
        {"MESH:D011596", "psychomotor disorders"}, {"MESH:D005767", "gastrointestinal diseases"},
        {"MESH:D006349", "heart valve diseases"},  {"MESH:D014652", "vascular diseases"},
        {"MESH:D003329", "coronary vasospasm"},    {"MESH:D054537", "atrioventricular block"},
        {"MESH:D002819", "chorea"},                {"MESH:D011565", "psoriasis"},
        {"MESH:D001264", "athetosis"},             {"MESH:D004830", "tonic-clonic seizures"},
        {"MESH:D005901", "glaucoma"},              {"MESH:D011230", "precancerous"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_DISEASE, names[i].id, names[i].name,
                                        strlen(names[i].name), LM_LEX_CORPUS,
                                        LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    return lex;
}

/* Disease names worded otherwise than the vocabulary words them. */
static void test_disease_rewording(void)
{
    lm_lexicon *lex = disease_fixture();
    if (!lex)
        return;
    static const struct {
        const char *text, *id;
    } cases[] = {
        /* a head written first, turned around (and its synonym swapped in) */
        {"cancer of the breast", "MESH:D001943"},
        {"prolongation of the QT interval", "MESH:D008133"},
        {"cancer of the lung", ""},
        /* words that only say the disease shows itself */
        {"tic-like symptoms", "MESH:D020323"},
        {"syncopal attacks", "MESH:D013575"},
        {"symptoms", ""},
        /* a named infection */
        {"hepatitis B virus infection", "MESH:D006509"},
        {"chronic infection with hepatitis C virus", "MESH:D019698"},
        {"adenovirus disease", "MESH:D000257"},
        {"infection", ""},
        /* a cause written into the name */
        {"swallowing-induced atrial fibrillation", "MESH:D001281"},
        {"posttransplant-associated lymphoproliferative disorder", "MESH:D008232"},
        /* an organ's function lost: its insufficiency, else its diseases */
        {"decreased renal function", "MESH:D051437"},
        {"loss of kidney function", "MESH:D051437"},
        {"impaired cognitive functions", "MESH:D003072"},
        {"decreased function", ""},
        /* a type written first; a pressure raised */
        {"type B hepatitis", "MESH:D006509"},
        {"elevated intraocular pressure", "MESH:D009798"},
        {"rise in resting blood pressure", "MESH:D006973"},
        {"intraocular pressure", ""},
        /* parts of organs and more words for harm */
        {"glomerular lesions", "MESH:D007674"},
        {"marrow suppression", "MESH:D001855"},
        {"renal involvement", "MESH:D007674"},
        /* a name cut short of how the vocabulary files it: one concept,
         * and the text most of the name */
        {"steatosis", "MESH:D005234"},
        {"retinal", ""},
        {"ventricular", ""},   /* two concepts */
        /* tachyarrhythmia is tachycardia */
        {"swallowing-induced atrial tachyarrhythmia", "MESH:D013617"},
        {"atrial tachyarrhythmias", "MESH:D013617"},
        /* "-iform": like the disease */
        {"epileptiform activity", "MESH:D004827"},
        {"choreiform", "MESH:D002819"},
        {"psoriasiform", "MESH:D011565"},
        {"uniform", ""},
        /* the setting of a disease dropped like its course */
        {"posttransplant lymphoproliferative disorder", "MESH:D008232"},
        {"post-transplant lymphoproliferative disorders", "MESH:D008232"},
        /* an organ's "disease" read as its diseases; "retardation" is harm */
        {"glomerular disease", "MESH:D007674"},
        {"valvular disease", "MESH:D006349"},
        {"psychomotor retardation", "MESH:D011596"},
        /* toxicity to an organ: the combining form's word first, else the
         * organ's diseases; plural toxicities, the GI tract */
        {"hepatic toxicity", "MESH:D056486"},
        {"liver toxicity", "MESH:D056486"},
        {"renal toxicity", "MESH:D007674"},
        {"gastrointestinal toxicities", "MESH:D005767"},
        {"GI toxicity", "MESH:D005767"},
        {"toxicity", ""},
        /* two words MeSH writes as one; veins are vessels */
        {"coronary artery spasm", "MESH:D003329"},
        {"venous complications", "MESH:D014652"},
        {"artery spasm", ""},
        /* adverse events of an organ */
        {"GI AEs", "MESH:D005767"},
        /* two hyphenated adjectives in either order */
        {"clonic-tonic seizures", "MESH:D004830"},
        {"clonic-ton seizures", ""},
        /* a drug before the disease it causes; not a word that is also a
         * disease ("coma glaucoma" is two diseases, not glaucoma) */
        {"corticosteroid glaucoma", "MESH:D005901"},
        {"coma glaucoma", ""},
        /* lesions only show a disease */
        {"precancerous lesions", "MESH:D011230"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int v = -1;
        LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, cases[i].text, &v), cases[i].id);
        if (cases[i].id[0])
            LM_CHECK_INT(v, 2);   /* through a rewrite */
    }
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "steatosis", NULL), "");
    /* an abbreviation spelled out inside the mention is read without it,
     * only when words follow it and it is one short word */
    int v = -1;
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "atrioventricular (AV) block", &v),
                 "MESH:D054537");
    LM_CHECK_INT(v, 0);
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "gastrointestinal (GI) toxicity", NULL),
                 "MESH:D005767");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "atrioventricular block (AV)", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "(AV) block", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "atrioventricular (A V) block", NULL), "");
    LM_CHECK_STR(
        mention_id(lex, LM_ENT_DISEASE, NULL, "atrioventricular (atrioventricle) block", NULL),
        "");
    lm_lexicon_free(lex);
}

/* MeSH files an ion under its plural class, DrugBank has a drug for the
 * singular: the chemical is the MeSH one, unless the caller asks for
 * DrugBank ids, and a DrugBank drug with no MeSH form stays. */
/* A lexicon of chemical vocabulary names, names[i] = {id, name}. */
static lm_lexicon *chemical_fixture(const char *const (*names)[2], size_t n)
{
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    for (size_t i = 0; i < n; i++)
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, names[i][0], names[i][1],
                                        strlen(names[i][1]), 0, LM_LEX_SCORE_NAME, 1,
                                        &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    return lex;
}

static void test_mesh_plural_over_drugbank(void)
{
    static const char *const names[][2] = {
        {"DRUGBANK:DB12529", "nitrite"},  {"MESH:D009573", "nitrites"},
        {"DRUGBANK:DB00363", "clozapine"}, {"DRUGBANK:DB00001", "chloride ion"},
        {"MESH:D002712", "chlorides"},    {"DRUGBANK:DB00002", "chloride"},
    };
    lm_lexicon *lex = chemical_fixture(names, sizeof names / sizeof names[0]);
    if (!lex)
        return;
    int v = -1;
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "nitrite", &v), "MESH:D009573");
    LM_CHECK_INT(v, 1);
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "Chloride", NULL), "MESH:D002712");
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "nitrites", &v), "MESH:D009573");
    LM_CHECK_INT(v, 0);
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, "DRUGBANK:", "nitrite", &v), "DRUGBANK:DB12529");
    LM_CHECK_INT(v, 0);
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "clozapine", &v), "DRUGBANK:DB00363");
    LM_CHECK_INT(v, 0);
    lm_lexicon_match m;
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_CHEMICAL, "nitrite", 7, &m) &&
             strcmp(m.id, "MESH:D009573") == 0);
    lm_lexicon_free(lex);
}

/* Chemical names written otherwise than MeSH files them: a class's
 * "drugs" as its "agents", an isomer's Greek prefix, a radiolabel, and the
 * rewrites found reading BC5CDR dev's errors; each case is found by its
 * rule alone, and the near misses that must not be read so are not. */
static void test_chemical_rewrites(void)
{
    static const char *const names[][2] = {
        {"MESH:D000319", "beta-adrenergic blocking agents"},
        {"MESH:D001556", "benzene hexachloride"},
        {"MESH:D019797", "metaiodobenzylguanidine"},
        {"MESH:D014859", "warfarin"},
        {"MESH:D007531", "diisopropyl phosphorofluoridate"},
        {"MESH:D013874", "thiopental"},
        {"MESH:D004492", "edetate"},
        {"MESH:D012969", "sodium fluoride"},
        {"MESH:D005459", "fluoride"},
        {"MESH:D009566", "nitrates"},
        {"MESH:D058647", "adrenergic alpha 2 receptor agonist"},
        {"MESH:D000242", "adenosine cyclic 3',5'-monophosphate"},
        {"MESH:D011458", "prostaglandins e"},
        {"MESH:D011453", "prostaglandins"},
        {"MESH:D004298", "dopamine"},
        {"MESH:D007211", "indole"},
        {"MESH:D008770", "n-methyl-n-nitrosourea"},
        {"MESH:D003473", "neuromuscular nondepolarizing agents"},
        {"MESH:D009466", "neuromuscular blocking agents"},
        {"MESH:D003276", "oral contraceptives"},
        {"MESH:D005472", "5-fluorouracil"},
        {"MESH:D000001", "5-ht1b receptor agonist"},
        /* abbreviations a locant must not be read off (review of
         * 545621f: "5,7-DHT" was dihydrotestosterone) */
        {"MESH:D013196", "DHT"},
        {"DRUGBANK:DB04228", "DHPG"},
        {"MESH:D006916", "hydroxyindoleacetic acid"},
        /* a numbered member of a family */
        {"MESH:D002117", "1,25-dihydroxyvitamin D3"},
        /* a long name: past the misspelling search's length */
        {"MESH:D000002", "dimethylaminopropylchlorophenothiazine hydrochloride"},
    };
    lm_lexicon *lex = chemical_fixture(names, sizeof names / sizeof names[0]);
    if (!lex)
        return;
    static const struct {
        const char *text, *id;
    } cases[] = {
        {"beta-adrenergic blocking drugs", "MESH:D000319"},
        {"beta-adrenergic blocking drug", "MESH:D000319"},   /* and the plural */
        {"drugs", ""},
        {"alpha-benzene hexachloride", "MESH:D001556"},
        {"gamma-benzene hexachloride", "MESH:D001556"},
        {"alpha-", ""},
        {"radiolabeled metaiodobenzylguanidine", "MESH:D019797"},
        {"radiolabelled metaiodobenzylguanidine", "MESH:D019797"},
        /* the rest were found reading BC5CDR dev's errors (docs/nlp.md) */
        /* a locant read on the text, whose words split at its comma */
        {"0,0'-diisopropyl phosphorofluoridate", "MESH:D007531"},
        /* a leading metal dropped, unless an inorganic anion follows */
        {"disodium edetate", "MESH:D004492"},
        {"sodium thiopental", "MESH:D013874"},
        {"potassium nitrate", ""},
        {"potassium fluoride", ""},
        /* and a misspelling of the rest */
        {"Sodium thiopenthal", "MESH:D013874"},
        /* other word orders, split at a hyphen between words */
        {"alpha2-adrenergic receptor agonist", "MESH:D058647"},
        {"cyclic adenosine 3',5'-monophosphate", "MESH:D000242"},
        /* a plural on an earlier word */
        {"prostaglandin E", "MESH:D011458"},
        /* radiolabels; unbracketed 3H- is a ring's hydrogen */
        {"iodine-125-metaiodobenzylguanidine", "MESH:D019797"},
        {"125I-metaiodobenzylguanidine", "MESH:D019797"},
        {"[3H]dopamine", "MESH:D004298"},
        {"[3H]-dopamine", "MESH:D004298"},
        {"3H-indole", ""},
        /* a kind of blocking agents as MeSH names it, without "blocking" */
        {"nondepolarizing neuromuscular blocking agents", "MESH:D003473"},
        {"nondepolarizing neuromuscular blocking agent", "MESH:D003473"},
        {"neuromuscular blocking agents", "MESH:D009466"},
        {"nondepolarizing neuromuscular blocking", ""},
        /* substituents in alphabetical order */
        {"N-nitroso-N-methylurea", "MESH:D008770"},
        /* an action's noun read as its agents' */
        {"oral contraception", "MESH:D003276"},
        /* a misspelling away from the digits of a name */
        {"5 flourouracil", "MESH:D005472"},
        {"5-HT1A receptor agonist", ""},
        /* a locant only before a name spelled out, not an abbreviation:
         * 5,7-dihydroxytryptamine, not dihydrotestosterone */
        {"5-hydroxyindoleacetic acid", "MESH:D006916"},
        {"5-Hydroxyindoleacetic acid", "MESH:D006916"},
        {"5,7-DHT", ""},
        {"5,6-DHT", ""},
        {"3,4-DHPG", ""},
        {"5-Dht", ""},
        /* no digit put at the end: the family is not its D3 */
        {"1,25-dihydroxyvitamin D", ""},
        {"1,25-dihydroxyvitamn D3", "MESH:D002117"},
        /* the misspelling search stops at 40 bytes */
        {"dimethylaminopropylchlorophenothiazine hydrochlorde", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = mention_id(lex, LM_ENT_CHEMICAL, NULL, cases[i].text, NULL);
        if (strcmp(got, cases[i].id) != 0)
            fprintf(stderr, "    case '%s'\n", cases[i].text);
        LM_CHECK_STR(got, cases[i].id);
    }
    /* diseases are not read so */
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "alpha-benzene hexachloride", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "prostaglandin E", NULL), "");
    LM_CHECK_STR(mention_id(lex, LM_ENT_DISEASE, NULL, "oral contraception", NULL), "");
    lm_lexicon_free(lex);
}

/* A misspelling is found among every name one edit away, not only the
 * names sorted next to it: a crowd of "fluorx..." names sorts between
 * "fluorthyl" and "flurothyl". */
static void test_misspelling_far_in_order(void)
{
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    for (int i = 0; i < 200; i++) {
        char id[32], name[64];
        snprintf(id, sizeof id, "MESH:D9%05d", i);
        snprintf(name, sizeof name, "fluorx%c%cchemical", 'a' + i / 26, 'a' + i % 26);
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, id, name, strlen(name), 0,
                                        LM_LEX_SCORE_NAME, 1, &err) == LM_OK);
    }
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, "MESH:D005481", "flurothyl", 9, 0,
                                    LM_LEX_SCORE_NAME, 1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    if (!lex)
        return;
    int v = -1;
    LM_CHECK_STR(mention_id(lex, LM_ENT_CHEMICAL, NULL, "fluorthyl", &v), "MESH:D005481");
    LM_CHECK_INT(v, 3);
    lm_lexicon_free(lex);
}

static const char *composite(const lm_lexicon *lex, const char *text)
{
    static char out[256];
    lm_buf ids;
    lm_buf_init(&ids);
    out[0] = '\0';
    if (lm_lexicon_lookup_composite(lex, LM_ENT_DISEASE, "MESH:", text, strlen(text), &ids))
        snprintf(out, sizeof out, "%s", lm_buf_cstr(&ids));
    else
        LM_CHECK_INT((int)ids.len, 0);
    lm_buf_free(&ids);
    return out;
}

/* Mentions naming several diseases take their parts' ids in written
 * order. */
static void test_composite_mentions(void)
{
    lm_lexicon *lex = disease_fixture();
    if (!lex)
        return;
    /* a head shared from the right */
    LM_CHECK_STR(composite(lex, "ovarian and breast cancer"), "MESH:D010051|MESH:D001943");
    /* (hepatic toxicity is hepatotoxicity, renal toxicity kidney diseases) */
    LM_CHECK_STR(composite(lex, "renal or hepatic toxicity"), "MESH:D007674|MESH:D056486");
    LM_CHECK_STR(composite(lex, "renal or hepatic lesions"), "MESH:D007674|MESH:D008107");
    /* a modifier shared from the left */
    LM_CHECK_STR(composite(lex, "ventricular tachycardia and fibrillation"),
                 "MESH:D017180|MESH:D014693");
    LM_CHECK_STR(composite(lex, "cleft lip and palate"), "MESH:D002971|MESH:D002972");
    /* each conjunct alone, a comma list, one id once */
    LM_CHECK_STR(composite(lex, "syncope, coma and epilepsy"),
                 "MESH:D013575|MESH:D003128|MESH:D004827");
    LM_CHECK_STR(composite(lex, "kidney and renal diseases"), "MESH:D007674");
    /* two diseases side by side; not a disease and a kind of disease */
    LM_CHECK_STR(composite(lex, "myxedema coma"), "MESH:D009230|MESH:D003128");
    LM_CHECK_STR(composite(lex, "epilepsy syndrome"), "");
    LM_CHECK_STR(composite(lex, "coma toxicity"), "");
    /* every part must be known */
    LM_CHECK_STR(composite(lex, "ovarian and gastric cancer"), "");
    LM_CHECK_STR(composite(lex, "postoperative coma"), "");
    LM_CHECK_STR(composite(lex, "coma"), "");
    /* two diseases fused by a combining vowel: the first with its ending
     * put back, the second as it is read alone */
    LM_CHECK_STR(composite(lex, "choreoathetosis"), "MESH:D002819|MESH:D001264");
    LM_CHECK_STR(composite(lex, "choreoathetoid"), "MESH:D002819|MESH:D001264");
    LM_CHECK_STR(composite(lex, "choreocoma"), "");         /* second part under 6 letters... */
    LM_CHECK_STR(composite(lex, "choreoxathetosis"), "");   /* ...or unknown */
    LM_CHECK_STR(composite(lex, "choreo-athetosis"), "");
    lm_buf ids;
    lm_buf_init(&ids);
    LM_CHECK(!lm_lexicon_lookup_composite(lex, LM_ENT_CHEMICAL, NULL, "coma and syncope", 16,
                                          &ids));
    LM_CHECK(!lm_lexicon_lookup_composite(NULL, LM_ENT_DISEASE, NULL, "coma and syncope", 16,
                                          &ids));
    lm_buf_free(&ids);
    lm_lexicon_free(lex);
}

/* A gene only the corpora name (another species': gene_info is human)
 * does not outrank a gene the vocabulary names; among genes the
 * vocabulary names, corpus annotations still come first. */
static void test_gene_vocabulary_first(void)
{
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    static const struct {
        const char *id, *name;
        unsigned flags;
        double score;
    } names[] = {
        {"NCBIGene:2064", "ERBB2", LM_LEX_SYMBOL | LM_LEX_PREFERRED, LM_LEX_SCORE_SYMBOL},
        {"NCBIGene:2064", "HER2", LM_LEX_SYNONYM, LM_LEX_SCORE_SYN},
        {"NCBIGene:13866", "Her2", LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS},   /* mouse */
        {"NCBIGene:2065", "ERBB3", LM_LEX_SYMBOL | LM_LEX_PREFERRED, LM_LEX_SCORE_SYMBOL},
        {"NCBIGene:2065", "p185", LM_LEX_SYNONYM, LM_LEX_SCORE_SYN},
        {"NCBIGene:2064", "p185", LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_GENE, names[i].id, names[i].name,
                                        strlen(names[i].name), names[i].flags, names[i].score,
                                        1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    if (!lex)
        return;
    lm_lexicon_match m[2];
    LM_CHECK_INT((int)lm_lexicon_lookup_all(lex, LM_ENT_GENE, "HER2", 4, m, 2), 2);
    LM_CHECK_STR(m[0].id, "NCBIGene:2064");
    LM_CHECK_STR(m[1].id, "NCBIGene:13866");
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "p185"), "NCBIGene:2064");
    lm_lexicon_free(lex);
}

/* DrugBank drugs merge into the MeSH chemicals they are: one drug, one
 * concept, with the DrugBank id as its cross-reference. */
static void test_merge_xrefs(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/merge.csv", lm_test_tmpdir());
    write_file(p, "DrugBank ID,Accession Numbers,Common name,CAS,UNII,Synonyms,Standard InChI Key\n"
                  "DB00316,,Acetaminophen,,,Tylenol | Paracetamolum,\n"
                  "DB00599,,Thiopental,,,Thiopentone | Pentothal,\n"
                  "DB01197,,Captopril,,,CP | Captoprilum,\n"
                  "DB01002,,Levobupivacaine,,,(-)-bupivacaine | (S)-bupivacaine,\n"
                  "DB00001,,Mixtum,,,alphaname | betaname,\n");
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    static const struct {
        const char *id, *name;
    } corpus[] = {
        {"MESH:D013874", "thiopentone"},
        {"MESH:D003520", "CP"},          /* cyclophosphamide: too short to link */
        {"MESH:D002045", "bupivacaine"},
        {"MESH:D000001", "alphaname"},   /* two ids for one drug: no link */
        {"MESH:D000002", "betaname"},
    };
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, corpus[i].id, corpus[i].name,
                                        strlen(corpus[i].name), LM_LEX_CORPUS,
                                        LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_mesh(b, FIX "desc_sample.xml", NULL, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_drugbank(b, p, NULL, &err) == LM_OK);
    size_t merged = 0;
    LM_CHECK(lm_lexicon_builder_merge_xrefs(b, LM_ENT_CHEMICAL, "DRUGBANK:", "MESH:", &merged,
                                            &err) == LM_OK);
    LM_CHECK_INT(merged, 2);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    if (!lex)
        return;
    lm_lexicon_match m[4];
    /* through the MeSH heading: DrugBank's names are the MeSH concept's */
    LM_CHECK_INT(lm_lexicon_lookup_all(lex, LM_ENT_CHEMICAL, "Tylenol", 7, m, 4), 1);
    LM_CHECK_STR(m[0].id, "MESH:D000082");
    LM_CHECK_STR(m[0].name, "Acetaminophen");
    LM_CHECK_STR(m[0].xref, "DRUGBANK:DB00316");
    LM_CHECK_INT(lm_lexicon_lookup_all(lex, LM_ENT_CHEMICAL, "acetaminophen", 13, m, 4), 1);
    lm_lexicon_concept c;
    LM_CHECK(lm_lexicon_get_concept(lex, "MESH:D000082", &c) == 1);
    LM_CHECK_STR(c.xref, "DRUGBANK:DB00316");
    LM_CHECK(lm_lexicon_get_concept(lex, "DRUGBANK:DB00316", &c) == 0);
    /* through corpus annotations: the drug takes the annotated id, and its
     * DrugBank name is its display name (no MeSH record names it) */
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "Pentothal"), "MESH:D013874");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "thiopental"), "MESH:D013874");
    LM_CHECK(lm_lexicon_get_concept(lex, "MESH:D013874", &c) == 1);
    LM_CHECK_STR(c.name, "Thiopental");
    LM_CHECK_STR(c.xref, "DRUGBANK:DB00599");
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_CHEMICAL, "thiopentone", 11, m) == 1 &&
             (m[0].flags & LM_LEX_CORPUS));
    /* short names, conflicting ids and optical isomers link nothing */
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "captopril"), "DRUGBANK:DB01197");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "mixtum"), "DRUGBANK:DB00001");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "levobupivacaine"), "DRUGBANK:DB01002");
    LM_CHECK_INT(lm_lexicon_lookup_all(lex, LM_ENT_CHEMICAL, "bupivacaine", 11, m, 4), 1);
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "S-bupivacaine"), "DRUGBANK:DB01002");
    lm_lexicon_free(lex);
}

/* Tree numbers gate types: whatever a corpus says, a Disease id must be
 * under C or F03 and a Chemical one under D; a gene id names neither. */
static void test_type_gating(void)
{
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    static const struct {
        lm_ent_type type;
        const char *id, *name;
    } corpus[] = {
        {LM_ENT_DISEASE, "MESH:D000082", "tylenol poisoning"},   /* D tree */
        {LM_ENT_CHEMICAL, "MESH:D003920", "sugar disease"},      /* C tree */
        {LM_ENT_DISEASE, "MESH:D001829", "body regions"},        /* A tree */
        {LM_ENT_DISEASE, "NCBIGene:672", "brca1 deficiency"},
        {LM_ENT_CHEMICAL, "NCBIGene:3630", "insulin"},
        {LM_ENT_DISEASE, "MESH:D999999", "unknown to MeSH"},     /* no tree: kept */
        {LM_ENT_DISEASE, "OMIM:114480", "breast cancer"},
        {LM_ENT_DISEASE, "MESH:D010146", "aches"},               /* C23 */
    };
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
        LM_CHECK(lm_lexicon_builder_add(b, corpus[i].type, corpus[i].id, corpus[i].name,
                                        strlen(corpus[i].name), LM_LEX_CORPUS,
                                        LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_mesh(b, FIX "desc_sample.xml", NULL, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    if (!lex)
        return;
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "tylenol poisoning"), "");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "sugar disease"), "");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "body regions"), "");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "brca1 deficiency"), "");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "insulin"), "");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "unknown to MeSH"), "MESH:D999999");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "breast cancer"), "OMIM:114480");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "aches"), "MESH:D010146");
    /* the concepts keep their classes and only their allowed types */
    lm_lexicon_concept c;
    LM_CHECK(lm_lexicon_get_concept(lex, "MESH:D000082", &c) == 1);
    LM_CHECK(c.types == LM_ENT_BIT(LM_ENT_CHEMICAL) && (c.classes & LM_MESH_CHEMICAL));
    LM_CHECK(lm_lexicon_get_concept(lex, "MESH:D010146", &c) == 1);
    LM_CHECK(c.types == LM_ENT_BIT(LM_ENT_DISEASE) && (c.classes & LM_MESH_SYMPTOM));
    LM_CHECK(lm_lexicon_get_concept(lex, "MESH:D001829", &c) == 0);   /* names nothing */
    lm_lexicon_free(lex);
}

static void test_weighted_corpus(void)
{
    char main_c[512], other[512];
    snprintf(main_c, sizeof main_c, "%s/main.txt", lm_test_tmpdir());
    snprintf(other, sizeof other, "%s/other.txt", lm_test_tmpdir());
    write_file(main_c, "1|t|sorafenib\n1|a|x\n1\t0\t9\tsorafenib\tChemical\tC471405\n\n");
    write_file(other, "2|t|sorafenib sorafenib sorafenib\n2|a|x\n"
                      "2\t0\t9\tsorafenib\tChemical\tD000077157\n"
                      "2\t10\t19\tsorafenib\tChemical\tD000077157\n"
                      "2\t20\t29\tsorafenib\tChemical\tD000077157\n\n");
    for (int weighted = 0; weighted < 2; weighted++) {
        lm_lexicon_builder *b;
        lm_lexicon *lex = NULL;
        lm_error err;
        lm_lexicon_import_stats st;
        LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
        lm_pt_corpus c = {0};
        LM_CHECK(lm_pubtator_load(main_c, &c, &err) == LM_OK);
        LM_CHECK(lm_lexicon_import_corpus_weighted(b, &c, weighted ? LM_LEX_MAIN_CORPUS_WEIGHT : 1,
                                                   &st, &err) == LM_OK);
        lm_pt_corpus_free(&c);
        LM_CHECK_INT(st.names, 1);
        LM_CHECK(lm_lexicon_import_pubtator(b, other, NULL, &err) == LM_OK);
        LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
        lm_lexicon_builder_free(b);
        if (!lex)
            continue;
        LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "Sorafenib"),
                     weighted ? "MESH:C471405" : "MESH:D000077157");
        lm_lexicon_free(lex);
    }
}

/* A disease name one training annotation gives one concept and MeSH
 * makes another's heading goes to the heading; two annotations, a
 * chemical (renumbered supplementary records), a non-MeSH corpus id, or a
 * corpus concept that also has the name from MeSH keep the corpus id. */
static void test_heading_over_lone_annotation(void)
{
    static const struct {
        lm_ent_type type;
        const char *corpus_id;
        unsigned count;
        int corpus_term;          /* the corpus concept has the name as an entry term */
        const char *want;
    } cases[] = {
        {LM_ENT_DISEASE, "MESH:D019698", LM_LEX_MAIN_CORPUS_WEIGHT, 0, "MESH:D006526"},
        {LM_ENT_DISEASE, "MESH:D019698", 1, 0, "MESH:D006526"},
        {LM_ENT_DISEASE, "MESH:D019698", 2 * LM_LEX_MAIN_CORPUS_WEIGHT, 0, "MESH:D019698"},
        {LM_ENT_DISEASE, "MESH:D019698", 2, 0, "MESH:D019698"},
        {LM_ENT_DISEASE, "MESH:D019698", LM_LEX_MAIN_CORPUS_WEIGHT, 1, "MESH:D019698"},
        {LM_ENT_DISEASE, "OMIM:609532", 1, 0, "OMIM:609532"},
        {LM_ENT_CHEMICAL, "MESH:C076029", LM_LEX_MAIN_CORPUS_WEIGHT, 0, "MESH:C076029"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lm_lexicon_builder *b;
        lm_lexicon *lex = NULL;
        lm_error err;
        LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
        const char *name = "hepatitis C";
        LM_CHECK(lm_lexicon_builder_add(b, cases[i].type, "MESH:D006526", name, strlen(name),
                                        LM_LEX_PREFERRED, LM_LEX_SCORE_NAME, 1, &err) == LM_OK);
        if (cases[i].corpus_term)
            LM_CHECK(lm_lexicon_builder_add(b, cases[i].type, cases[i].corpus_id, name,
                                            strlen(name), LM_LEX_SYNONYM, LM_LEX_SCORE_TERM, 1,
                                            &err) == LM_OK);
        LM_CHECK(lm_lexicon_builder_add(b, cases[i].type, cases[i].corpus_id, name, strlen(name),
                                        LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS, cases[i].count,
                                        &err) == LM_OK);
        LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
        lm_lexicon_builder_free(b);
        if (!lex)
            continue;
        LM_CHECK_STR(best(lex, cases[i].type, "Hepatitis C"), cases[i].want);
        lm_lexicon_free(lex);
    }
}

static long file_size(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 ? (long)s.st_size : -1;
}

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    int c, ok = a && b;
    while (ok && (c = getc(a)) != EOF)
        putc(c, b);
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    return ok ? 0 : -1;
}

static void test_save_load(void)
{
    lm_lexicon_import_stats st[4];
    lm_lexicon *lex = fixture_lexicon(st);
    LM_CHECK(lex != NULL);
    if (!lex)
        return;
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s/lexicon.bin", lm_test_tmpdir());
    snprintf(bad, sizeof bad, "%s/bad.bin", lm_test_tmpdir());
    lm_error err;
    LM_CHECK(lm_lexicon_save(lex, path, &err) == LM_OK);
    lm_lexicon *back = NULL;
    LM_CHECK(lm_lexicon_load(path, &back, &err) == LM_OK);
    if (back) {
        lm_lexicon_info a, b;
        lm_lexicon_get_info(lex, &a);
        lm_lexicon_get_info(back, &b);
        LM_CHECK(a.n_concepts == b.n_concepts && a.n_names == b.n_names &&
                 a.n_entries == b.n_entries);
        LM_CHECK(a.n_entries > 40);
        LM_CHECK_STR(best(back, LM_ENT_CHEMICAL, "Paracetamol"), "MESH:D000082");
        LM_CHECK_STR(best(back, LM_ENT_GENE, "TP53"), "NCBIGene:7157");
        lm_lexicon_match m[4];
        LM_CHECK_INT(lm_lexicon_lookup_all(back, LM_ENT_GENE, "XYZ9", 4, m, 4), 2);
        /* extending a saved lexicon keeps everything */
        lm_lexicon_builder *bld;
        lm_lexicon *ext = NULL;
        LM_CHECK(lm_lexicon_builder_init(&bld, &err) == LM_OK);
        LM_CHECK(lm_lexicon_builder_add_lexicon(bld, back, &err) == LM_OK);
        LM_CHECK(lm_lexicon_builder_add(bld, LM_ENT_CHEMICAL, "MESH:D999999", "newcompound", 11,
                                        LM_LEX_PREFERRED, 0.95, 1, &err) == LM_OK);
        LM_CHECK(lm_lexicon_builder_finish(bld, &ext, &err) == LM_OK);
        lm_lexicon_builder_free(bld);
        if (ext) {
            lm_lexicon_info c;
            lm_lexicon_get_info(ext, &c);
            LM_CHECK_INT(c.n_entries, a.n_entries + 1);
            LM_CHECK_INT(c.n_concepts, a.n_concepts + 1);
            LM_CHECK_STR(best(ext, LM_ENT_CHEMICAL, "newcompound"), "MESH:D999999");
            LM_CHECK_STR(best(ext, LM_ENT_DISEASE, "endogenous depression"), "MESH:D003866");
            LM_CHECK_INT(lm_lexicon_lookup_all(ext, LM_ENT_GENE, "XYZ9", 4, m, 4), 2);
            lm_lexicon_free(ext);
        }
        lm_lexicon_free(back);
        back = NULL;
    }
    /* corruption anywhere is detected */
    long size = file_size(path);
    LM_CHECK(size > 40);
    long offsets[] = {0, 9, 20, 33, 40, size / 2, size - 1};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        LM_CHECK(copy_file(path, bad) == 0);
        lm_test_flip_byte(bad, offsets[i]);
        lm_status s = lm_lexicon_load(bad, &back, &err);
        LM_CHECK_INT(s, LM_ERR_CORRUPT);
        if (s == LM_OK)
            lm_lexicon_free(back);
    }
    LM_CHECK(copy_file(path, bad) == 0);
    LM_CHECK(truncate(bad, size - 10) == 0);
    LM_CHECK_INT(lm_lexicon_load(bad, &back, &err), LM_ERR_CORRUPT);
    LM_CHECK(truncate(bad, 12) == 0);
    LM_CHECK_INT(lm_lexicon_load(bad, &back, &err), LM_ERR_CORRUPT);
    write_file(bad, "not a lexicon at all, just some text of some length\n");
    LM_CHECK_INT(lm_lexicon_load(bad, &back, &err), LM_ERR_CORRUPT);
    LM_CHECK(strstr(err.msg, "bad.bin") != NULL);
    LM_CHECK_INT(lm_lexicon_load("/nonexistent/lexicon.bin", &back, &err), LM_ERR_IO);
    /* saving into a missing directory fails cleanly */
    LM_CHECK_INT(lm_lexicon_save(lex, "/nonexistent/dir/lexicon.bin", &err), LM_ERR_IO);
    lm_lexicon_free(lex);
}

/* The mapped cache: the second load maps what the first wrote, and
 * answers every lookup the same; a damaged cache is a miss. */
static void check_lookups(const lm_lexicon *a, const lm_lexicon *b)
{
    static const char *const names[] = {"Paracetamol", "TP53", "endogenous depression",
                                        "XYZ9", "acetaminophens", "nothing known"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        lm_lexicon_match x[4], y[4];
        size_t nx = lm_lexicon_lookup_all(a, LM_ENT_ANY, names[i], strlen(names[i]), x, 4);
        size_t ny = lm_lexicon_lookup_all(b, LM_ENT_ANY, names[i], strlen(names[i]), y, 4);
        LM_CHECK_INT(ny, nx);
        for (size_t k = 0; k < nx && k < ny; k++) {
            LM_CHECK_STR(y[k].id, x[k].id);
            LM_CHECK_STR(y[k].name, x[k].name);
            LM_CHECK(y[k].score == x[k].score && y[k].type == x[k].type);
        }
    }
    lm_lexicon_info ia, ib;
    lm_lexicon_get_info(a, &ia);
    lm_lexicon_get_info(b, &ib);
    LM_CHECK(ia.n_concepts == ib.n_concepts && ia.n_names == ib.n_names &&
             ia.n_entries == ib.n_entries);
    lm_lexicon_concept ca, cb;
    LM_CHECK(lm_lexicon_get_concept(a, "MESH:D000082", &ca) == 1);
    LM_CHECK(lm_lexicon_get_concept(b, "MESH:D000082", &cb) == 1);
    LM_CHECK_STR(cb.name, ca.name);
}

static int load_mapped(const char *path, const lm_lexicon *want)
{
    lm_lexicon *lex = NULL;
    lm_error err;
    if (lm_lexicon_load(path, &lex, &err) != LM_OK)
        return -1;
    check_lookups(want, lex);
    int mapped = lm_lexicon_is_mapped(lex);
    lm_lexicon_free(lex);
    return mapped;
}

static void test_mapped_cache(void)
{
    lm_lexicon_import_stats st[4];
    lm_lexicon *lex = fixture_lexicon(st);
    LM_CHECK(lex != NULL);
    if (!lex)
        return;
    char path[512], moved[512];
    snprintf(path, sizeof path, "%s/mapped.bin", lm_test_tmpdir());
    snprintf(moved, sizeof moved, "%s/mapped.new", lm_test_tmpdir());
    lm_error err;
    LM_CHECK(lm_lexicon_save(lex, path, &err) == LM_OK);
    lm_buf cache;
    lm_buf_init(&cache);
    LM_CHECK(lm_mapcache_path(path, &cache) == 0);
    LM_CHECK_INT(load_mapped(path, lex), 0);
    LM_CHECK_INT(load_mapped(path, lex), 1);
    /* a mapped lexicon extends like a loaded one */
    lm_lexicon *back = NULL, *ext = NULL;
    LM_CHECK(lm_lexicon_load(path, &back, &err) == LM_OK);
    lm_lexicon_builder *bld;
    LM_CHECK(lm_lexicon_builder_init(&bld, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_add_lexicon(bld, back, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(bld, &ext, &err) == LM_OK);
    lm_lexicon_builder_free(bld);
    if (ext)
        check_lookups(lex, ext);
    lm_lexicon_free(ext);
    lm_lexicon_free(back);
    /* damaged or truncated cache: a miss, then rewritten */
    long size = file_size(lm_buf_cstr(&cache));
    lm_test_flip_byte(lm_buf_cstr(&cache), size - 2);
    LM_CHECK_INT(load_mapped(path, lex), 0);
    LM_CHECK_INT(load_mapped(path, lex), 1);
    LM_CHECK(truncate(lm_buf_cstr(&cache), size - 64) == 0);
    LM_CHECK_INT(load_mapped(path, lex), 0);
    LM_CHECK_INT(load_mapped(path, lex), 1);
    /* the file replaced by a damaged copy: reported, not served from cache */
    LM_CHECK(copy_file(path, moved) == 0);
    lm_test_flip_byte(moved, file_size(moved) / 2);
    LM_CHECK(rename(moved, path) == 0);
    LM_CHECK_INT(lm_lexicon_load(path, &back, &err), LM_ERR_CORRUPT);
    LM_CHECK(strstr(err.msg, "mapped.bin") != NULL);
    lm_buf_free(&cache);
    lm_lexicon_free(lex);
}

static void test_empty_lexicon(void)
{
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL, *back = NULL;
    lm_error err;
    char path[512];
    snprintf(path, sizeof path, "%s/empty.bin", lm_test_tmpdir());
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    LM_CHECK(lm_lexicon_save(lex, path, &err) == LM_OK);
    LM_CHECK(lm_lexicon_load(path, &back, &err) == LM_OK);
    LM_CHECK_STR(best(back, LM_ENT_ANY, "anything"), "");
    lm_lexicon_free(lex);
    lm_lexicon_free(back);
}

static void test_default_path(void)
{
    lm_buf b;
    lm_buf_init(&b);
    lm_error err;
    LM_CHECK(lm_lexicon_default_path(NULL, &b, &err) == LM_OK);
    LM_CHECK_STR(lm_buf_cstr(&b), "models/lexicon.bin");
    lm_config *cfg;
    LM_CHECK(lm_config_init(&cfg, &err) == LM_OK);
    LM_CHECK(lm_config_set(cfg, "models", "dir", "/srv/litmine/models", &err) == LM_OK);
    LM_CHECK(lm_lexicon_default_path(cfg, &b, &err) == LM_OK);
    LM_CHECK_STR(lm_buf_cstr(&b), "/srv/litmine/models/lexicon.bin");
    lm_config_free(cfg);
    lm_buf_free(&b);
}

typedef struct thread_arg {
    const lm_lexicon *lex;
    int bad;
} thread_arg;

static void *lookup_thread(void *p)
{
    thread_arg *a = p;
    for (int i = 0; i < 2000; i++) {
        lm_lexicon_match m;
        if (!lm_lexicon_lookup(a->lex, LM_ENT_GENE, "TP53", 4, &m) ||
            strcmp(m.id, "NCBIGene:7157") != 0)
            a->bad++;
        if (!lm_lexicon_lookup(a->lex, LM_ENT_CHEMICAL, "paracetamol", 11, &m) ||
            strcmp(m.id, "MESH:D000082") != 0)
            a->bad++;
    }
    return NULL;
}

static void test_threads(void)
{
    lm_lexicon_import_stats st[4];
    lm_lexicon *lex = fixture_lexicon(st);
    LM_CHECK(lex != NULL);
    if (!lex)
        return;
    pthread_t t[4];
    thread_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i].lex = lex;
        a[i].bad = 0;
        LM_CHECK(pthread_create(&t[i], NULL, lookup_thread, &a[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        LM_CHECK_INT(a[i].bad, 0);
    }
    lm_lexicon_free(lex);
}

static void test_real_data(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data not found");
    char gi[512], db[512], tr[512];
    snprintf(gi, sizeof gi, "%s/lexicons/Homo_sapiens.gene_info.gz", data);
    snprintf(db, sizeof db, "%s/lexicons/drugbank_vocabulary.csv", data);
    snprintf(tr, sizeof tr, "%s/bc5cdr/CDR_TrainingSet.PubTator.txt", data);
    lm_lexicon_builder *b;
    lm_lexicon *lex = NULL;
    lm_error err;
    lm_lexicon_import_stats s1, s2, s3;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_gene_info(b, gi, 9606, 0, &s1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_drugbank(b, db, &s2, &err) == LM_OK);
    LM_CHECK(lm_lexicon_import_pubtator(b, tr, &s3, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    LM_CHECK_INT(s1.records, 77614);
    LM_CHECK_INT(s2.records, 17430);
    LM_CHECK_INT(s3.records, 5203 + 4182);
    if (!lex)
        return;
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "BRCA1"), "NCBIGene:672");
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "tumor protein p53"), "NCBIGene:7157");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "Lepirudin"), "DRUGBANK:DB00001");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "Cetuximab"), "DRUGBANK:DB00002");
    /* BC5CDR annotations: corpus ids win over DrugBank for chemicals */
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "hypertension"), "MESH:D006973");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "Depression"), "MESH:D003866");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "lidocaine"), "MESH:D008012");
    lm_lexicon_free(lex);
}

/* The committed models/lexicon.bin (built by scripts/build-lexicon.sh)
 * loads, passes its checksum and knows the usual names. */
static void test_committed_lexicon(void)
{
    struct stat sb;
    if (stat("models/lexicon.bin", &sb) != 0)
        LM_SKIP("models/lexicon.bin not built");
    lm_lexicon *lex = NULL;
    lm_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    LM_CHECK(lm_lexicon_load("models/lexicon.bin", &lex, &err) == LM_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "  models/lexicon.bin loaded in %.3f s\n", secs);
    LM_CHECK(secs < 5.0);   /* ~0.1 s optimised; generous for sanitizer builds */
    if (!lex)
        return;
    LM_CHECK(sb.st_size < 20 * 1000 * 1000);
    LM_CHECK_STR(best(lex, LM_ENT_GENE, "BRCA1"), "NCBIGene:672");
    LM_CHECK_STR(best(lex, LM_ENT_DISEASE, "hypertension"), "MESH:D006973");
    LM_CHECK_STR(best(lex, LM_ENT_CHEMICAL, "lidocaine"), "MESH:D008012");
    lm_lexicon_free(lex);
}

/* The shown name of a concept: a preferred name when one is given, else
 * the spelling annotated most often (not the first one seen). */
static void test_display_name(void)
{
    lm_lexicon_builder *b = NULL;
    lm_lexicon *lex = NULL;
    lm_error err = {0};
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    if (!b)
        return;
    const char *names[] = {"childhood-onset obesity", "obesity", "Obesity", "obesity"};
    for (size_t i = 0; i < 4; i++)
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_DISEASE, "MESH:D009765", names[i],
                                        strlen(names[i]), LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS, 1,
                                        &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, "MESH:D000082", "paracetamol", 11,
                                    LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS, 5, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, "MESH:D000082", "Acetaminophen", 13,
                                    LM_LEX_PREFERRED, LM_LEX_SCORE_NAME, 1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, "MESH:D000082", "APAP", 4,
                                    LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS, 50, &err) == LM_OK);
    /* A short form annotated more often still gives way to the long one. */
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_DISEASE, "MESH:D054198", "ALL", 3, LM_LEX_CORPUS,
                                    LM_LEX_SCORE_CORPUS, 30, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_DISEASE, "MESH:D054198",
                                    "acute lymphoblastic leukemia", 28, LM_LEX_CORPUS,
                                    LM_LEX_SCORE_CORPUS, 2, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    lm_lexicon_match m;
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_DISEASE, "childhood-onset obesity", 23, &m) == 1);
    LM_CHECK_STR(m.name, "obesity");
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_CHEMICAL, "APAP", 4, &m) == 1);
    LM_CHECK_STR(m.name, "Acetaminophen");
    LM_CHECK(lm_lexicon_lookup(lex, LM_ENT_DISEASE, "ALL", 3, &m) == 1);
    LM_CHECK_STR(m.name, "acute lymphoblastic leukemia");
    lm_lexicon_free(lex);
}

/* A long name misspelled by up to two edits is a name of its concept, for
 * that concept only; short names and further edits are not. */
static void test_near_name(void)
{
    lm_lexicon_builder *b = NULL;
    lm_lexicon *lex = NULL;
    lm_error err = {0};
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    if (!b)
        return;
    static const char *const names[][2] = {{"MESH:D015215", "3'-azido-3'-deoxythymidine"},
                                           {"MESH:D015215", "zidovudine"},
                                           {"MESH:D000082", "acetaminophen"}};
    for (size_t i = 0; i < 3; i++)
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, names[i][0], names[i][1],
                                        strlen(names[i][1]), LM_LEX_CORPUS, LM_LEX_SCORE_CORPUS,
                                        1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    const char *two = "3'-azido-3'dideoxythymidine", *three = "3'-azido-3'-dideoxythymidne";
    LM_CHECK_INT(lm_lexicon_has_near_name(lex, "MESH:D015215", two, strlen(two)), 1);
    LM_CHECK_INT(lm_lexicon_has_near_name(lex, "MESH:D000082", two, strlen(two)), 0);
    LM_CHECK_INT(lm_lexicon_has_near_name(lex, "MESH:D015215", three, strlen(three)), 0);
    LM_CHECK_INT(lm_lexicon_has_near_name(lex, "MESH:D015215", "zidovudin", 9), 0);
    LM_CHECK_INT(lm_lexicon_has_near_name(NULL, "MESH:D015215", two, strlen(two)), 0);
    lm_lexicon_free(lex);
}

int main(void)
{
    lm_test_private_model_cache();
    LM_RUN(test_near_name);
    LM_RUN(test_normalize);
    LM_RUN(test_qualify_id);
    LM_RUN(test_types);
    LM_RUN(test_import_mesh);
    LM_RUN(test_mesh_reader);
    LM_RUN(test_import_gene_info);
    LM_RUN(test_import_drugbank);
    LM_RUN(test_import_errors);
    LM_RUN(test_corpus_rule);
    LM_RUN(test_lookup_mention);
    LM_RUN(test_disease_rewording);
    LM_RUN(test_mesh_plural_over_drugbank);
    LM_RUN(test_chemical_rewrites);
    LM_RUN(test_misspelling_far_in_order);
    LM_RUN(test_composite_mentions);
    LM_RUN(test_gene_vocabulary_first);
    LM_RUN(test_merge_xrefs);
    LM_RUN(test_type_gating);
    LM_RUN(test_weighted_corpus);
    LM_RUN(test_heading_over_lone_annotation);
    LM_RUN(test_display_name);
    LM_RUN(test_save_load);
    LM_RUN(test_mapped_cache);
    LM_RUN(test_empty_lexicon);
    LM_RUN(test_default_path);
    LM_RUN(test_threads);
    LM_RUN(test_real_data);
    LM_RUN(test_committed_lexicon);
    return LM_DONE();
}
