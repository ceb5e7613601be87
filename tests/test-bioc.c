/*
 * nlp/eval/lm_bioc: BioC written by litmine reads back through litmine's
 * own reader with every offset, type, identifier and relation intact, in
 * both encodings and with the PubTator3 id option; passages whose offsets
 * leave other gaps are rebased; bad files are refused with a message; and
 * BioRED's Dev.BioC.XML (when ../shared/data is there) reads as the same
 * corpus as its Dev.PubTator.
 */
#include "../nlp/eval/lm_bioc.h"
#include "../nlp/lm_pubtator.h"
#include "lm_test.h"

#include <stdio.h>
#include <string.h>

static char tmp[256];

static const char *tmp_path(const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/litmine-bioc-%d-%s", dir && *dir ? dir : "/tmp", (int)getpid(),
             name);
    return tmp;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* One article: a non-ASCII title so that code points and bytes differ. */
static void make_doc(lm_article *a, lm_doc *d)
{
    lm_error err;
    lm_article_init(a);
    lm_doc_init(d);
    a->pmid = 4242;
    a->title = strdup("\u03b1-Synuclein & <cisplatin>");
    a->abstract = strdup("Cisplatin induces nephrotoxicity via BRCA1.");
    lm_doc_set_text(d, a->title, a->abstract, &err);
    /* title: "α-Synuclein & <cisplatin>" (25 code points) */
    lm_doc_add_mention(d, 0, 11, LM_ENT_GENE, "\u03b1-Synuclein", "NCBIGene:6622", 0, 0.9f, &err);
    lm_doc_add_mention(d, 15, 24, LM_ENT_CHEMICAL, "cisplatin", "MESH:D002945", 0, 0.8f, &err);
    lm_doc_add_mention(d, 26, 35, LM_ENT_CHEMICAL, "Cisplatin", "MESH:D002945", 1, 0.7f, &err);
    lm_doc_add_mention(d, 44, 58, LM_ENT_DISEASE, "nephrotoxicity", "MESH:D007674", 1, 0.6f, &err);
    lm_doc_add_mention(d, 63, 68, LM_ENT_GENE, "BRCA1", "NCBIGene:672", 1, 0.5f, &err);
    lm_doc_add_pair(d, "MESH:D002945", "Cisplatin", "MESH:D007674", "nephrotoxicity", "induces",
                    0.75f, 1, 26, 70, &err);
}

static void round_trip(lm_bioc_format format, unsigned flags)
{
    lm_article a;
    lm_doc d;
    make_doc(&a, &d);
    const char *path = tmp_path(format == LM_BIOC_XML ? "rt.xml" : "rt.json");
    char saved[256];
    snprintf(saved, sizeof saved, "%s", path);
    FILE *f = fopen(saved, "w");
    LM_CHECK(f != NULL);
    if (!f)
        return;
    lm_error err = {0};
    lm_bioc_writer w;
    LM_CHECK_INT(lm_bioc_begin(&w, f, format, flags, &err), LM_OK);
    LM_CHECK_INT(lm_bioc_write_doc(&w, &a, &d, &err), LM_OK);
    LM_CHECK_INT(lm_bioc_end(&w, &err), LM_OK);
    fclose(f);

    LM_CHECK(lm_bioc_sniff(saved));
    lm_pt_corpus c;
    LM_CHECK_INT(lm_corpus_load(saved, &c, &err), LM_OK);   /* the corpus door */
    LM_CHECK_INT(c.n_docs, 1);
    if (c.n_docs == 1) {
        const lm_pt_doc *p = &c.docs[0];
        LM_CHECK_STR(p->pmid, "4242");
        LM_CHECK_STR(p->title, a.title);
        LM_CHECK_STR(p->abstract, a.abstract);
        LM_CHECK_STR(p->text, d.text);
        LM_CHECK_INT(p->n_mentions, d.n_mentions);
        for (size_t i = 0; i < p->n_mentions && i < d.n_mentions; i++) {
            LM_CHECK_INT(p->mentions[i].start, d.mentions[i].start);
            LM_CHECK_INT(p->mentions[i].end, d.mentions[i].end);
            LM_CHECK_STR(p->mentions[i].text, d.mentions[i].text);
            LM_CHECK_STR(p->mentions[i].type, lm_ent_type_name(d.mentions[i].type));
        }
        if (p->n_mentions == 5) {
            LM_CHECK_STR(p->mentions[4].id, flags ? "672" : "NCBIGene:672");
            LM_CHECK_STR(p->mentions[1].id, "MESH:D002945");
        }
        LM_CHECK_INT(p->n_relations, 1);
        if (p->n_relations == 1) {
            LM_CHECK_STR(p->relations[0].type, "induces");
            LM_CHECK_STR(p->relations[0].id1, "MESH:D002945");
            LM_CHECK_STR(p->relations[0].id2, "MESH:D007674");
        }
        lm_pt_corpus_free(&c);
    }
    remove(saved);
    lm_article_free(&a);
    lm_doc_free(&d);
}

static void test_xml_round_trip(void)
{
    round_trip(LM_BIOC_XML, 0);
}

static void test_json_round_trip(void)
{
    round_trip(LM_BIOC_JSON, 0);
}

static void test_pubtator3_ids(void)
{
    round_trip(LM_BIOC_XML, LM_BIOC_PUBTATOR3_IDS);
    round_trip(LM_BIOC_JSON, LM_BIOC_PUBTATOR3_IDS);
    LM_CHECK_STR(lm_bioc_pubtator3_id("NCBIGene:672"), "672");
    LM_CHECK_STR(lm_bioc_pubtator3_id("MESH:D003920"), "MESH:D003920");
}

/* Passages as other tools write them: two abstract sections, offsets with
 * a gap of 2 after the title, a relation through its nodes. */
static void test_rebased_passages_and_nodes(void)
{
    const char *path = tmp_path("gap.xml");
    char saved[256];
    snprintf(saved, sizeof saved, "%s", path);
    write_file(saved,
               "<?xml version='1.0'?><collection><source>x</source><document><id>7</id>"
               "<passage><infon key=\"type\">title</infon><offset>0</offset><text>Aspirin.</text>"
               "<annotation id=\"a\"><infon key=\"type\">Chemical</infon><infon key=\"identifier\">D001241</infon>"
               "<location offset=\"0\" length=\"7\"/><text>Aspirin</text></annotation></passage>"
               "<passage><infon key=\"type\">abstract</infon><offset>10</offset><text>It helps.</text></passage>"
               "<passage><infon key=\"type\">abstract</infon><offset>20</offset><text>Ulcer risk.</text>"
               "<annotation id=\"b\"><infon key=\"type\">Disease</infon><infon key=\"identifier\">D014456</infon>"
               "<location offset=\"20\" length=\"5\"/><text>Ulcer</text></annotation></passage>"
               "<relation id=\"r\"><infon key=\"type\">CID</infon><node refid=\"a\" role=\"Chemical\"/>"
               "<node refid=\"b\" role=\"Disease\"/></relation></document></collection>");
    lm_pt_corpus c;
    lm_error err = {0};
    LM_CHECK_INT(lm_bioc_load(saved, &c, &err), LM_OK);
    LM_CHECK_INT(c.n_docs, 1);
    if (c.n_docs == 1 && c.docs[0].n_mentions == 2) {
        const lm_pt_doc *d = &c.docs[0];
        LM_CHECK_STR(d->text, "Aspirin. It helps. Ulcer risk.");
        /* "Ulcer" starts at 19 in the joined text */
        LM_CHECK_INT(d->mentions[1].start, 19);
        LM_CHECK_INT(d->mentions[1].end, 24);
        LM_CHECK_INT(d->n_relations, 1);
        if (d->n_relations == 1) {
            LM_CHECK_STR(d->relations[0].id1, "D001241");
            LM_CHECK_STR(d->relations[0].id2, "D014456");
        }
    }
    lm_pt_corpus_free(&c);
    remove(saved);
}

/* The trainers ask for X.PubTator; a corpus that comes as X.BioC.XML only
 * is read in its place. */
static void test_bioc_sibling(void)
{
    char xml[256], pt[256];
    snprintf(xml, sizeof xml, "%s", tmp_path("Dev.BioC.XML"));
    snprintf(pt, sizeof pt, "%s", tmp_path("Dev.PubTator"));
    write_file(xml, "<collection><document><id>9</id><passage><offset>0</offset>"
                    "<text>Aspirin.</text></passage></document></collection>");
    lm_pt_corpus c;
    lm_error err = {0};
    LM_CHECK_INT(lm_corpus_load(pt, &c, &err), LM_OK);
    LM_CHECK_INT(c.n_docs, 1);
    if (c.n_docs == 1)
        LM_CHECK_STR(c.docs[0].pmid, "9");
    lm_pt_corpus_free(&c);
    remove(xml);
    LM_CHECK_INT(lm_corpus_load(pt, &c, &err), LM_ERR_IO);   /* neither: the PubTator error */
}

static void test_bad_files(void)
{
    const char *cases[][2] = {
        {"bad1.xml", "<collection><document><id>1</id>"},   /* truncated */
        {"bad2.xml", "<html><body>Error</body></html>"},    /* not BioC */
        {"bad3.json", "{\"source\": \"x\"}"},                /* no documents */
        {"bad4.json", "{\"documents\": [{\"passages\": []}]}"},   /* no id */
        {"bad5.json", "{\"documents\": ["},                  /* truncated */
        {"bad6.xml", "<!DOCTYPE collection [<!ENTITY a \"aaaa\">]><collection>&a;</collection>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char saved[256];
        snprintf(saved, sizeof saved, "%s", tmp_path(cases[i][0]));
        write_file(saved, cases[i][1]);
        lm_pt_corpus c;
        lm_error err = {0};
        lm_status st = lm_bioc_load(saved, &c, &err);
        LM_CHECK(st == LM_ERR_FORMAT || st == LM_ERR_PARSE);
        LM_CHECK(strstr(err.msg, saved) != NULL);
        LM_CHECK(c.n_docs == 0 && c.docs == NULL);
        remove(saved);
    }
    lm_pt_corpus c;
    lm_error err = {0};
    LM_CHECK_INT(lm_bioc_load("/nonexistent/x.xml", &c, &err), LM_ERR_IO);
}

static void test_biored_dev(void)
{
    const char *xml = "../shared/data/biored/Dev.BioC.XML", *pt = "../shared/data/biored/Dev.PubTator";
    if (access(xml, R_OK) != 0 || access(pt, R_OK) != 0)
        LM_SKIP("../shared/data/biored absent");
    lm_pt_corpus a, b;
    lm_error err = {0};
    LM_CHECK_INT(lm_corpus_load(xml, &a, &err), LM_OK);
    LM_CHECK_INT(lm_pubtator_load(pt, &b, &err), LM_OK);
    LM_CHECK_INT(a.n_docs, 100);
    LM_CHECK_INT(a.n_docs, b.n_docs);
    size_t same = 0, mentions = 0, relations = 0;
    for (size_t i = 0; i < a.n_docs && i < b.n_docs; i++) {
        same += strcmp(a.docs[i].pmid, b.docs[i].pmid) == 0 &&
                strcmp(a.docs[i].text, b.docs[i].text) == 0;
        mentions += a.docs[i].n_mentions == b.docs[i].n_mentions;
        relations += a.docs[i].n_relations == b.docs[i].n_relations;
    }
    LM_CHECK_INT(same, a.n_docs);
    LM_CHECK_INT(mentions, a.n_docs);
    LM_CHECK_INT(relations, a.n_docs);
    lm_pt_corpus_free(&a);
    lm_pt_corpus_free(&b);
}

int main(void)
{
    LM_RUN(test_xml_round_trip);
    LM_RUN(test_json_round_trip);
    LM_RUN(test_pubtator3_ids);
    LM_RUN(test_rebased_passages_and_nodes);
    LM_RUN(test_bioc_sibling);
    LM_RUN(test_bad_files);
    LM_RUN(test_biored_dev);
    return LM_DONE();
}
