/*
 * Tests for nlp/lm_pubtator: inline fixtures for each corpus flavour
 * (BC5CDR composite ids, NCBI trailing spaces, BioRED 5-column relations,
 * CRLF, blank-line variations), parse errors with line numbers, callback
 * abort, write -> load round trips, and, when ../shared/data is present,
 * exact document/mention/relation counts of the real corpora plus a check
 * that every BC5CDR mention's code-point span reproduces its text.
 */
#include "lm_test.h"

#include "../fetch/lm_pubmed.h"
#include "../nlp/lm_pubtator.h"
#include "../util/lm_utf8.h"

#include <stdint.h>

static const char *write_fixture(const char *name, const char *content)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", lm_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(content, f);
    fclose(f);
    return path;
}

static const char BC5[] =
    "227508|t|Naloxone reverses the antihypertensive effect of clonidine.\n"
    "227508|a|In unanesthetized rats, clonidine lowered blood pressure.\n"
    "227508\t0\t8\tNaloxone\tChemical\tD009270\n"
    "227508\t49\t58\tclonidine\tChemical\tD003000\n"
    "227508\t22\t38\tantihypertensive\tDisease\t-1\n"
    "227508\t102\t116\tblood pressure\tChemical\tD001|D002\tblood\tpressure\n"
    "227508\tCID\tD003000\tD006973\n"
    "\n"
    "354896|t|Lidocaine-induced cardiac asystole.\n"
    "354896|a|\n"
    "354896\t0\t9\tLidocaine\tChemical\tD008012\n"
    "\n";

static void test_read_bc5cdr(void)
{
    lm_pt_corpus c;
    lm_error err;
    const char *p = write_fixture("bc5.txt", BC5);
    LM_CHECK_INT(lm_pubtator_load(p, &c, &err), LM_OK);
    LM_CHECK_INT(c.n_docs, 2);
    if (c.n_docs != 2)
        return;
    lm_pt_doc *d = &c.docs[0];
    LM_CHECK_STR(d->pmid, "227508");
    LM_CHECK_STR(d->title, "Naloxone reverses the antihypertensive effect of clonidine.");
    LM_CHECK_STR(d->abstract, "In unanesthetized rats, clonidine lowered blood pressure.");
    LM_CHECK_STR(d->text, "Naloxone reverses the antihypertensive effect of clonidine. "
                          "In unanesthetized rats, clonidine lowered blood pressure.");
    LM_CHECK_INT(d->n_mentions, 4);
    LM_CHECK_INT(d->mentions[1].start, 49);
    LM_CHECK_INT(d->mentions[1].end, 58);
    LM_CHECK_STR(d->mentions[1].text, "clonidine");
    LM_CHECK_STR(d->mentions[1].type, "Chemical");
    LM_CHECK_STR(d->mentions[2].id, "-1");
    LM_CHECK_STR(d->mentions[3].id, "D001|D002");   /* 7th column ignored */
    LM_CHECK_INT(d->n_relations, 1);
    LM_CHECK_STR(d->relations[0].type, "CID");
    LM_CHECK_STR(d->relations[0].id1, "D003000");
    LM_CHECK_STR(d->relations[0].id2, "D006973");
    d = &c.docs[1];
    LM_CHECK_STR(d->abstract, "");
    LM_CHECK_STR(d->text, "Lidocaine-induced cardiac asystole. ");
    LM_CHECK_INT(d->n_mentions, 1);
    LM_CHECK_INT(d->n_relations, 0);
    lm_pt_corpus_free(&c);
}

/* NCBI style: leading blank line, trailing spaces in a text column, a
 * mention without id, duplicate PMIDs, no trailing blank line, CRLF. */
static void test_read_tolerant(void)
{
    const char txt[] =
        "\n"
        "10923035|t|Febrile seizures plus\r\n"
        "10923035|a|Abstract here.\r\n"
        "10923035\t0\t16\tFebrile seizures  \tSpecificDisease\tD003294\r\n"
        "10923035\t8\t16\tseizures\tModifier\r\n"
        "\r\n"
        "\n"
        "\n"
        "8528200|t|Same id twice\n"
        "8528200|a|x\n"
        "\n"
        "8528200|t|Same id twice\n"
        "8528200|a|y\n"
        "8528200\tAssociation\t3175\tD003924\tNovel";
    lm_pt_corpus c;
    lm_error err;
    LM_CHECK_INT(lm_pubtator_load(write_fixture("ncbi.txt", txt), &c, &err), LM_OK);
    LM_CHECK_INT(c.n_docs, 3);
    if (c.n_docs != 3)
        return;
    LM_CHECK_STR(c.docs[0].title, "Febrile seizures plus");
    LM_CHECK_STR(c.docs[0].abstract, "Abstract here.");
    LM_CHECK_STR(c.docs[0].mentions[0].text, "Febrile seizures");
    LM_CHECK_STR(c.docs[0].mentions[0].type, "SpecificDisease");
    LM_CHECK(c.docs[0].mentions[1].id == NULL);
    LM_CHECK_STR(c.docs[1].pmid, "8528200");
    LM_CHECK_STR(c.docs[2].pmid, "8528200");
    LM_CHECK_STR(c.docs[2].abstract, "y");
    LM_CHECK_INT(c.docs[2].n_relations, 1);
    LM_CHECK_STR(c.docs[2].relations[0].type, "Association");
    LM_CHECK_STR(c.docs[2].relations[0].id1, "3175");
    LM_CHECK_STR(c.docs[2].relations[0].id2, "D003924");
    lm_pt_corpus_free(&c);
}

/* Offsets are code points: a non-ASCII title shifts bytes, not offsets. */
static void test_read_unicode(void)
{
    const char txt[] = "1|t|TNF-\xCE\xB1 and \xCE\xB2-catenin\n"
                       "1|a|\xC2\xB5M doses.\n"
                       "1\t0\t5\tTNF-\xCE\xB1\tGene\t7124\n"
                       "1\t10\t19\t\xCE\xB2-catenin\tGene\t1499\n"
                       "1\t20\t22\t\xC2\xB5M\tUnit\n";
    lm_pt_corpus c;
    lm_error err;
    LM_CHECK_INT(lm_pubtator_load(write_fixture("uni.txt", txt), &c, &err), LM_OK);
    LM_CHECK_INT(c.n_docs, 1);
    if (c.n_docs != 1)
        return;
    LM_CHECK_INT(c.docs[0].mentions[1].start, 10);
    LM_CHECK_STR(c.docs[0].mentions[1].text, "\xCE\xB2-catenin");
    lm_utf8_map m;
    lm_utf8_map_init(&m);
    LM_CHECK_INT(lm_utf8_map_build(&m, c.docs[0].text, strlen(c.docs[0].text), &err), LM_OK);
    for (size_t k = 0; k < c.docs[0].n_mentions; k++) {
        const lm_pt_mention *mm = &c.docs[0].mentions[k];
        size_t bs = lm_utf8_map_to_byte(&m, (size_t)mm->start);
        size_t be = lm_utf8_map_to_byte(&m, (size_t)mm->end);
        LM_CHECK(bs != SIZE_MAX && be != SIZE_MAX && be - bs == strlen(mm->text)
                 && memcmp(c.docs[0].text + bs, mm->text, be - bs) == 0);
    }
    lm_utf8_map_free(&m);
    lm_pt_corpus_free(&c);
}

static lm_status expect_error(const char *content, const char *want_sub)
{
    lm_pt_corpus c;
    lm_error err;
    lm_error_clear(&err);
    lm_status st = lm_pubtator_load(write_fixture("bad.txt", content), &c, &err);
    LM_CHECK_INT(st, LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, want_sub) != NULL);
    if (!strstr(err.msg, want_sub))
        fprintf(stderr, "    message: %s\n", err.msg);
    LM_CHECK_INT(c.n_docs, 0);
    return st;
}

static void test_parse_errors(void)
{
    expect_error("1|t|T\n1|a|A\n1\tx5\t6\tT\tChemical\tD1\n", "bad.txt:3: bad mention start");
    expect_error("1|t|T\n1|a|A\n1\t0\t6x\tT\tChemical\tD1\n", "bad.txt:3: bad mention end");
    expect_error("1|t|T\n1|a|A\n1\t-1\t6\tT\tChemical\tD1\n", "bad.txt:3: bad mention start");
    expect_error("1|t|T\n2|a|A\n", "bad.txt:2: abstract line for PMID 2");
    expect_error("1|t|T\n1|a|A\n2\t0\t1\tT\tChemical\tD1\n", "bad.txt:3: annotation for PMID 2");
    expect_error("1|t|Title\n1|a|A\n1\t5\t3\tT\tChemical\n", ":3: mention end 3 before start 5");
    expect_error("1|t|T\n1|a|A\n1\t0\t99\tT\tChemical\n", ":3: mention end 99 beyond");
    expect_error("1|t|T\n1|a|A\n1\t0\t1\n", ":3: mention line has 3 columns");
    expect_error("1|t|T\n1|a|A\n1\tCID\tD1\n", ":3: relation line has 3 columns");
    expect_error("1|t|T\n1|a|A\n\n\n1\t0\t1\tT\tChemical\n", ":5: annotation line outside");
    expect_error("1|t|T\n1|a|A\n2|t|U\n", ":3: title line inside document 1");
    expect_error("hello world\n", "bad.txt:1: unrecognised line");
    expect_error("1|a|A\n", ":1: abstract line before title");
    /* garbled start column on a 6-column line is still a mention error */
    expect_error("1|t|Title\n1|a|A\n1\tab\t3\tTit\tChemical\tD1\n", ":3: bad mention start");

    lm_pt_corpus c;
    lm_error err;
    LM_CHECK_INT(lm_pubtator_load("/nonexistent/dir/x.txt", &c, &err), LM_ERR_IO);
    LM_CHECK(strstr(err.msg, "/nonexistent/dir/x.txt") != NULL);
}

static lm_status count_cb(void *ctx, const lm_pt_doc *doc, lm_error *err)
{
    size_t *n = ctx;
    (void)doc;
    if (++*n == 2)
        return lm_error_set(err, LM_ERR_ABORTED, "stop");
    return LM_OK;
}

static void test_stream_abort(void)
{
    const char txt[] = "1|t|a\n1|a|b\n\n2|t|a\n2|a|b\n\n3|t|a\n3|a|b\n\n";
    const char *p = write_fixture("three.txt", txt);
    FILE *f = fopen(p, "r");
    size_t n = 0;
    lm_error err;
    LM_CHECK(f != NULL);
    if (!f)
        return;
    LM_CHECK_INT(lm_pubtator_read(f, "three", count_cb, &n, &err), LM_ERR_ABORTED);
    LM_CHECK_INT(n, 2);
    LM_CHECK_STR(err.msg, "stop");
    fclose(f);
}

static int docs_equal(const lm_pt_doc *a, const lm_pt_doc *b)
{
    if (strcmp(a->pmid, b->pmid) || strcmp(a->title, b->title)
        || strcmp(a->abstract, b->abstract) || strcmp(a->text, b->text)
        || a->n_mentions != b->n_mentions || a->n_relations != b->n_relations)
        return 0;
    for (size_t i = 0; i < a->n_mentions; i++) {
        const lm_pt_mention *x = &a->mentions[i], *y = &b->mentions[i];
        if (x->start != y->start || x->end != y->end || strcmp(x->text, y->text)
            || strcmp(x->type, y->type) || (!x->id != !y->id) || (x->id && strcmp(x->id, y->id)))
            return 0;
    }
    for (size_t i = 0; i < a->n_relations; i++) {
        const lm_pt_relation *x = &a->relations[i], *y = &b->relations[i];
        if (strcmp(x->type, y->type) || strcmp(x->id1, y->id1) || strcmp(x->id2, y->id2))
            return 0;
    }
    return 1;
}

/* load -> write -> load must reproduce every field. */
static void roundtrip(const char *src_path, const char *tmp_name)
{
    lm_pt_corpus a, b;
    lm_error err;
    char out[512];
    snprintf(out, sizeof out, "%s/%s", lm_test_tmpdir(), tmp_name);
    LM_CHECK_INT(lm_pubtator_load(src_path, &a, &err), LM_OK);
    FILE *f = fopen(out, "w");
    LM_CHECK(f != NULL);
    if (!f) {
        lm_pt_corpus_free(&a);
        return;
    }
    lm_status st = LM_OK;
    for (size_t i = 0; i < a.n_docs && st == LM_OK; i++)
        st = lm_pubtator_write(f, &a.docs[i], &err);
    LM_CHECK_INT(st, LM_OK);
    fclose(f);
    LM_CHECK_INT(lm_pubtator_load(out, &b, &err), LM_OK);
    LM_CHECK_INT(b.n_docs, a.n_docs);
    size_t same = 0;
    for (size_t i = 0; i < a.n_docs && i < b.n_docs; i++)
        same += (size_t)docs_equal(&a.docs[i], &b.docs[i]);
    LM_CHECK_INT(same, a.n_docs);
    lm_pt_corpus_free(&a);
    lm_pt_corpus_free(&b);
}

static void test_roundtrip_fixture(void)
{
    roundtrip(write_fixture("rt.txt", BC5), "rt.out");
}

static void test_write_errors(void)
{
    lm_pt_doc d;
    lm_error err;
    lm_pt_doc_init(&d);
    FILE *f = fopen("/dev/null", "w");
    LM_CHECK(f != NULL);
    if (!f)
        return;
    d.pmid = "1";
    d.title = "line\nbreak";
    d.abstract = "";
    LM_CHECK_INT(lm_pubtator_write(f, &d, &err), LM_ERR_USAGE);
    d.title = "ok";
    d.pmid = "1|2";
    LM_CHECK_INT(lm_pubtator_write(f, &d, &err), LM_ERR_USAGE);
    d.pmid = "1";
    lm_pt_mention m = {0, 2, "o\tk", "Chemical", NULL};
    d.mentions = &m;
    d.n_mentions = 1;
    LM_CHECK_INT(lm_pubtator_write(f, &d, &err), LM_ERR_USAGE);
    m.text = "ok";
    LM_CHECK_INT(lm_pubtator_write(f, &d, &err), LM_OK);
    fclose(f);
}

typedef struct corpus_counts {
    const char *file;
    size_t docs;
    const char *type_a;
    size_t n_a;
    const char *type_b;
    size_t n_b;
    size_t relations;   /* SIZE_MAX: not checked */
} corpus_counts;

static void check_counts(const char *dir, const corpus_counts *cc)
{
    char path[1024];
    lm_pt_corpus c;
    lm_error err;
    snprintf(path, sizeof path, "%s/%s", dir, cc->file);
    lm_status st = lm_pubtator_load(path, &c, &err);
    LM_CHECK_INT(st, LM_OK);
    if (st != LM_OK) {
        fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    size_t a = 0, b = 0, rel = 0;
    for (size_t i = 0; i < c.n_docs; i++) {
        for (size_t k = 0; k < c.docs[i].n_mentions; k++) {
            const char *t = c.docs[i].mentions[k].type;
            a += cc->type_a && !strcmp(t, cc->type_a);
            b += cc->type_b && !strcmp(t, cc->type_b);
        }
        rel += c.docs[i].n_relations;
    }
    LM_CHECK_INT(c.n_docs, cc->docs);
    if (cc->type_a)
        LM_CHECK_INT(a, cc->n_a);
    if (cc->type_b)
        LM_CHECK_INT(b, cc->n_b);
    if (cc->relations != SIZE_MAX)
        LM_CHECK_INT(rel, cc->relations);
    lm_pt_corpus_free(&c);
}

static void test_real_corpora(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data absent");
    static const corpus_counts counts[] = {
        {"bc5cdr/CDR_TrainingSet.PubTator.txt", 500, "Chemical", 5203, "Disease", 4182, 1038},
        {"bc5cdr/CDR_DevelopmentSet.PubTator.txt", 500, "Chemical", 5347, "Disease", 4244, 1012},
        {"ncbi_disease/NCBItrainset_corpus.txt", 593, NULL, 0, NULL, 0, 0},
        {"ncbi_disease/NCBIdevelopset_corpus.txt", 100, NULL, 0, NULL, 0, 0},
        {"biored/Train.PubTator", 400, NULL, 0, NULL, 0, SIZE_MAX},
        {"biored/Dev.PubTator", 100, NULL, 0, NULL, 0, SIZE_MAX},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        check_counts(data, &counts[i]);
}

/* Every BC5CDR mention's code-point span must reproduce its text.  The
 * shared corpora happen to be pure ASCII, so test_read_unicode is what
 * exercises multi-byte text; this guards the conversion path at scale. */
static void test_bc5cdr_spans(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data absent");
    char path[1024];
    lm_pt_corpus c;
    lm_error err;
    snprintf(path, sizeof path, "%s/bc5cdr/CDR_TrainingSet.PubTator.txt", data);
    LM_CHECK_INT(lm_pubtator_load(path, &c, &err), LM_OK);
    size_t total = 0, match = 0;
    lm_utf8_map m;
    lm_utf8_map_init(&m);
    for (size_t i = 0; i < c.n_docs; i++) {
        const lm_pt_doc *d = &c.docs[i];
        if (lm_utf8_map_build(&m, d->text, strlen(d->text), &err) != LM_OK)
            break;
        for (size_t k = 0; k < d->n_mentions; k++) {
            const lm_pt_mention *mm = &d->mentions[k];
            size_t bs = lm_utf8_map_to_byte(&m, (size_t)mm->start);
            size_t be = lm_utf8_map_to_byte(&m, (size_t)mm->end);
            total++;
            if (bs != SIZE_MAX && be != SIZE_MAX && be - bs == strlen(mm->text)
                && memcmp(d->text + bs, mm->text, be - bs) == 0)
                match++;
        }
    }
    lm_utf8_map_free(&m);
    LM_CHECK_INT(total, 9385);
    LM_CHECK_INT(match, total);
    lm_pt_corpus_free(&c);
}

/* A corpus written as PubMed XML reads back through litmine's PubMed
 * parser with title + " " + abstract as PubTator has it (markup
 * characters, non-ASCII, an empty abstract), whitespace runs collapsed as
 * the parser does for every article. */
typedef struct xml_docs {
    lm_article v[4];
    size_t n;
} xml_docs;

static lm_status keep_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)err;
    xml_docs *d = ctx;
    if (d->n < 4) {
        d->v[d->n++] = *a;
        lm_article_init(a);
    }
    return LM_OK;
}

/* Writes c as PubMed XML into xml (a path in the test's directory) and
 * reads its articles back into d with litmine's PubMed parser. */
static void via_pubmed_xml(const lm_pt_corpus *c, char *xml, size_t cap, xml_docs *d)
{
    lm_error err;
    snprintf(xml, cap, "%s/corpus.xml", lm_test_tmpdir());
    FILE *f = fopen(xml, "w");
    LM_CHECK(f && lm_pubtator_write_pubmed(f, c, &err) == LM_OK);
    if (f)
        fclose(f);
    lm_pubmed_handler h = {.on_article = keep_article, .ctx = d};
    LM_CHECK(lm_pubmed_parse_file(xml, &h, NULL, NULL, NULL, NULL, &err) == LM_OK);
}

static void test_write_pubmed(void)
{
    const char *p = write_fixture("xml.pubtator",
                                  "11|t|Ca<2+> & Mg>1: \"effects\" of α-blockers\n"
                                  "11|a|Déjà vu  with  double spaces <i>not markup</i>.\n"
                                  "\n"
                                  "12|t|Title only.\n"
                                  "12|a|\n"
                                  "\n");
    lm_pt_corpus c = {0};
    lm_error err;
    LM_CHECK(lm_pubtator_load(p, &c, &err) == LM_OK);
    xml_docs d = {.n = 0};
    char xml[512];
    via_pubmed_xml(&c, xml, sizeof xml, &d);
    LM_CHECK_INT(d.n, 2);
    for (size_t i = 0; i < d.n && i < c.n_docs; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s %s", d.v[i].title ? d.v[i].title : "",
                 d.v[i].abstract ? d.v[i].abstract : "");
        LM_CHECK_STR(text, i == 0 ? "Ca<2+> & Mg>1: \"effects\" of \xce\xb1-blockers "
                                    "D\xc3\xa9j\xc3\xa0 vu with double spaces <i>not markup</i>."
                              : "Title only. ");
        LM_CHECK_INT(d.v[i].pmid, 11 + (long long)i);
        lm_article_free(&d.v[i]);
    }
    /* a PMID that is not a number cannot be written */
    free(c.docs[1].pmid);
    c.docs[1].pmid = strdup("PMC12");
    FILE *f = fopen(xml, "w");
    LM_CHECK(f && lm_pubtator_write_pubmed(f, &c, &err) == LM_ERR_USAGE);
    if (f)
        fclose(f);
    lm_pt_corpus_free(&c);
}

/* Mentions found in the text read back from PubMed XML point into the
 * document's own text again: double spaces, a tab, no-break spaces, a DEL
 * and a control character before them or inside them, and non-ASCII
 * letters (offsets count code points). */
static void test_map_offsets(void)
{
    const char *p = write_fixture("spaces.pubtator",
                                  "21|t|Lead\tand  cadmium  poisoning:  D\xc3\xa9j\xc3\xa0  vu.\n"
                                  "21|a|  Blood lead was high;\x7f\xc2\xa0" "chelation\xc2\xa0" "with  "
                                  "succimer helped.\x01 Lead again.\n"
                                  "21\t0\t4\tLead\tChemical\n"
                                  "21\t10\t28\tcadmium  poisoning\tDisease\n"
                                  "21\t31\t39\tD\xc3\xa9j\xc3\xa0  vu\tDisease\n"
                                  "21\t65\t89\tchelation\xc2\xa0with  succimer\tChemical\n"
                                  "21\t99\t109\tLead again\tChemical\n"
                                  "\n");
    lm_pt_corpus c = {0};
    lm_error err;
    LM_CHECK(lm_pubtator_load(p, &c, &err) == LM_OK);
    LM_CHECK_INT(c.n_docs, 1);
    if (c.n_docs != 1) {
        lm_pt_corpus_free(&c);
        return;
    }
    xml_docs d = {.n = 0};
    char xml[512];
    via_pubmed_xml(&c, xml, sizeof xml, &d);
    LM_CHECK_INT(d.n, 1);
    char back[512];
    snprintf(back, sizeof back, "%s %s", d.n && d.v[0].title ? d.v[0].title : "",
             d.n && d.v[0].abstract ? d.v[0].abstract : "");
    LM_CHECK_STR(back, "Lead and cadmium poisoning: D\xc3\xa9j\xc3\xa0 vu. Blood lead was high; "
                       "chelation with succimer helped. Lead again.");
    /* what a tagger finds in that text */
    static const char *const found[] = {"Lead", "cadmium poisoning", "D\xc3\xa9j\xc3\xa0 vu",
                                        "chelation with succimer", "Lead again"};
    lm_pt_mention m[5];
    for (int i = 0; i < 5; i++) {
        const char *at = strstr(back, found[i]);
        size_t b = at ? (size_t)(at - back) : 0;
        m[i].start = (int)lm_utf8_byte_to_cp(back, strlen(back), b);
        m[i].end = m[i].start + (int)lm_utf8_count(found[i], strlen(found[i]));
        m[i].text = strdup(found[i]);
        m[i].type = NULL;
        m[i].id = NULL;
    }
    LM_CHECK_INT(lm_pubtator_map_offsets(c.docs[0].text, back, m, 5, &err), LM_OK);
    for (int i = 0; i < 5; i++) {
        LM_CHECK_INT(m[i].start, c.docs[0].mentions[i].start);
        LM_CHECK_INT(m[i].end, c.docs[0].mentions[i].end);
        LM_CHECK_STR(m[i].text, c.docs[0].mentions[i].text);
    }
    /* a text that is not the document's, and a span beyond the text */
    LM_CHECK_INT(lm_pubtator_map_offsets(c.docs[0].text, "Lead and zinc", m, 1, &err),
                 LM_ERR_FORMAT);
    lm_pt_mention far = {0, 200, NULL, NULL, NULL};
    LM_CHECK_INT(lm_pubtator_map_offsets(c.docs[0].text, back, &far, 1, &err), LM_ERR_FORMAT);
    for (int i = 0; i < 5; i++)
        free(m[i].text);
    for (size_t i = 0; i < d.n; i++)
        lm_article_free(&d.v[i]);
    lm_pt_corpus_free(&c);
}

static void test_roundtrip_real(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data absent");
    char path[1024];
    snprintf(path, sizeof path, "%s/biored/Train.PubTator", data);
    roundtrip(path, "biored.out");
    snprintf(path, sizeof path, "%s/ncbi_disease/NCBItrainset_corpus.txt", data);
    roundtrip(path, "ncbi.out");
}

int main(void)
{
    LM_RUN(test_read_bc5cdr);
    LM_RUN(test_read_tolerant);
    LM_RUN(test_read_unicode);
    LM_RUN(test_parse_errors);
    LM_RUN(test_stream_abort);
    LM_RUN(test_roundtrip_fixture);
    LM_RUN(test_write_errors);
    LM_RUN(test_real_corpora);
    LM_RUN(test_bc5cdr_spans);
    LM_RUN(test_write_pubmed);
    LM_RUN(test_map_offsets);
    LM_RUN(test_roundtrip_real);
    return LM_DONE();
}
