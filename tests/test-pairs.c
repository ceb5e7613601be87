/*
 * Tests for nlp/lm_pairs: candidate generation and features on a
 * hand-written document, a tiny model trained on inline documents, model
 * file round trip and corruption, training on lexicon-id twins with a
 * threshold tuned on training folds, NER-output normalisation with
 * abbreviation propagation (the detector's definitions or the tagger's
 * list), concurrent extraction on a shared model, and —
 * with ../shared/data and models/pairs.bin — the BC5CDR dev CID score with
 * gold entities.
 *
 * Documents are written in a small markup, "[C:D001:aspirin]" for a
 * Chemical mention with id D001 and "[D:-1:pain]" for a Disease without
 * one, which the helper turns into PubTator lines with exact offsets.
 *
 * LONG-FILE: one test file per module, as lm_pairs.c is one module; each
 * case builds its own small lexicon or corpus inline.
 */
#include "../nlp/lm_lexicon.h"
#include "../nlp/lm_pairs.h"
#include "../nlp/lm_pairs_impl.h"
#include "../util/lm_le.h"
#include "lm_test.h"

#include <pthread.h>
#include <stdarg.h>
#include <zlib.h>

/* ---- fixtures --------------------------------------------------------- */

/* Appends the text of tpl with markup removed to out and the mention lines
 * to ann; offset is the code-point position of tpl's start in the doc. */
static void render(const char *pmid, const char *tpl, int offset, lm_buf *out, lm_buf *ann)
{
    int pos = offset;
    for (const char *p = tpl; *p;) {
        if (p[0] == '[' && (p[1] == 'C' || p[1] == 'D') && p[2] == ':') {
            const char *id = p + 3, *idend = strchr(id, ':');
            const char *txt = idend + 1, *txtend = strchr(txt, ']');
            int n = (int)(txtend - txt);
            lm_buf_append(out, txt, (size_t)n);
            lm_buf_printf(ann, "%s\t%d\t%d\t%.*s\t%s\t%.*s\n", pmid, pos, pos + n, n, txt,
                          p[1] == 'C' ? "Chemical" : "Disease", (int)(idend - id), id);
            pos += n;
            p = txtend + 1;
        } else {
            lm_buf_append_char(out, *p++);
            pos++;
        }
    }
}

/* Appends one PubTator document; rels is "TYPE id1 id2;TYPE id1 id2". */
static void add_doc(lm_buf *file, const char *pmid, const char *title, const char *abstract,
                    const char *rels)
{
    lm_buf t, a, ann;
    lm_buf_init(&t);
    lm_buf_init(&a);
    lm_buf_init(&ann);
    render(pmid, title, 0, &t, &ann);
    render(pmid, abstract, (int)t.len + 1, &a, &ann);
    lm_buf_printf(file, "%s|t|%s\n%s|a|%s\n%s", pmid, lm_buf_cstr(&t), pmid, lm_buf_cstr(&a),
                  lm_buf_cstr(&ann));
    for (const char *r = rels; r && *r;) {
        char type[32], id1[32], id2[32];
        int used = 0;
        if (sscanf(r, "%31s %31s %31[^;]%n", type, id1, id2, &used) != 3)
            break;
        lm_buf_printf(file, "%s\t%s\t%s\t%s\n", pmid, type, id1, id2);
        r += used;
        if (*r == ';')
            r++;
    }
    lm_buf_append_char(file, '\n');
    lm_buf_free(&t);
    lm_buf_free(&a);
    lm_buf_free(&ann);
}

static int load_text(const char *name, const lm_buf *text, lm_pt_corpus *c)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", lm_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(lm_buf_cstr(text), f);
    fclose(f);
    lm_error err;
    if (lm_pubtator_load(path, c, &err) != LM_OK) {
        fprintf(stderr, "  load %s: %s\n", path, err.msg);
        return -1;
    }
    return 0;
}

static const char *hand_title = "[C:D008012:Lidocaine]-induced [D:D006323:cardiac asystole].";
static const char *hand_abstract =
    "BACKGROUND: Intravenous [C:D008012:lidocaine] was given to a 67-year-old man. "
    "RESULTS: He developed [D:D012640:seizures] and no [D:D007022|D001145:hypotension or "
    "arrhythmia]. The [D:D012640:seizures] were treated with [C:D003975:diazepam]. "
    "[C:-1:Compound X] was not given.";

/* ---- features --------------------------------------------------------- */

typedef struct feat_log {
    char items[512][96];
    int sent[512];
    int n;
} feat_log;

static void collect(void *ctx, const char *feat, int32_t sentence)
{
    feat_log *l = ctx;
    if (l->n < 512) {
        snprintf(l->items[l->n], sizeof l->items[0], "%s", feat);
        l->sent[l->n++] = sentence;
    }
}

/* Sentence of feature f, -2 when absent. */
static int feat_sentence(const feat_log *l, const char *f)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->items[i], f) == 0)
            return l->sent[i];
    return -2;
}

static void test_doc_from_pubtator(void)
{
    lm_buf file;
    lm_buf_init(&file);
    add_doc(&file, "1", hand_title, hand_abstract, "CID D008012 D006323");
    lm_pt_corpus c = {0};
    LM_CHECK(load_text("hand.txt", &file, &c) == 0);
    lm_doc doc;
    lm_doc_init(&doc);
    lm_error err;
    LM_CHECK(c.n_docs == 1 && lm_pairs_doc_from_pubtator(&c.docs[0], &doc, &err) == LM_OK);
    /* title is sentence 0 on its own; the abstract's four sentences follow */
    LM_CHECK_INT(doc.n_sentences, 5);
    LM_CHECK_INT(doc.sentences[0].start, 0);
    LM_CHECK_INT(doc.sentences[0].end, (int)strlen(c.docs[0].title));
    LM_CHECK_INT(doc.n_mentions, 8);
    LM_CHECK_STR(doc.mentions[0].concept_id, "MESH:D008012");
    LM_CHECK_INT(doc.mentions[0].type, LM_ENT_CHEMICAL);
    LM_CHECK_INT(doc.mentions[0].sentence, 0);
    LM_CHECK_STR(doc.mentions[4].concept_id, "MESH:D007022|MESH:D001145");
    LM_CHECK(doc.mentions[7].concept_id == NULL);
    LM_CHECK_INT(doc.mentions[5].sentence, 3);
    lm_doc_free(&doc);
    lm_pt_corpus_free(&c);
    lm_buf_free(&file);
}

/* A lexicon with MeSH tree numbers: arrhythmia (C14.280.067), asystole
 * under it (and a sign, C23), lidocaine (D02). */
static lm_lexicon *tree_lexicon(void)
{
    lm_error err;
    lm_lexicon_builder *b = NULL;
    lm_lexicon *lex = NULL;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_set_classes(b, "MESH:D001145", LM_MESH_DISEASE, "C14.280.067",
                                            &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_set_classes(b, "MESH:D006323", LM_MESH_DISEASE,
                                            "C14.280.067.100|C23.550.073", &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_set_classes(b, "MESH:D008012", LM_MESH_CHEMICAL, "D02.065.277",
                                            &err) == LM_OK);
    const char *names[3][2] = {{"MESH:D001145", "arrhythmia"}, {"MESH:D006323", "asystole"},
                               {"MESH:D008012", "lidocaine"}};
    for (int i = 0; i < 3; i++)
        LM_CHECK(lm_lexicon_builder_add(b, i < 2 ? LM_ENT_DISEASE : LM_ENT_CHEMICAL, names[i][0],
                                        names[i][1], strlen(names[i][1]), LM_LEX_PREFERRED,
                                        LM_LEX_SCORE_NAME, 1, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    return lex;
}

static void test_features_handwritten(void)
{
    lm_buf file;
    lm_buf_init(&file);
    add_doc(&file, "1", hand_title, hand_abstract, "CID D008012 D006323");
    lm_pt_corpus c = {0};
    LM_CHECK(load_text("hand.txt", &file, &c) == 0);
    lm_doc doc;
    lm_doc_init(&doc);
    lm_error err;
    LM_CHECK(lm_pairs_doc_from_pubtator(&c.docs[0], &doc, &err) == LM_OK);

    static feat_log l;
    memset(&l, 0, sizeof l);
    LM_CHECK(lm_pairs_features(&doc, NULL, "MESH:D008012", "MESH:D006323", collect, &l, &err) ==
             LM_OK);
    /* "Lidocaine-induced cardiac asystole": the pattern, in the title */
    LM_CHECK_INT(feat_sentence(&l, "bsCD=-_induced"), 0);
    LM_CHECK_INT(feat_sentence(&l, "c-indCD"), 0);
    LM_CHECK_INT(feat_sentence(&l, "tbCD=ind"), 0);
    LM_CHECK_INT(feat_sentence(&l, "sec=title"), 0);
    LM_CHECK_INT(feat_sentence(&l, "ct=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dt=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "co=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "cr=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "cfirst=1"), -1);
    /* ... an explicit construction (a trigger at most 3 words between),
     * counted over the document */
    LM_CHECK_INT(feat_sentence(&l, "tnCD=ind"), 0);
    LM_CHECK_INT(feat_sentence(&l, "tn0=ind"), 0);
    LM_CHECK_INT(feat_sentence(&l, "nnear=1_0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "nnear=1_0&cr=1"), -1);

    /* lidocaine and seizures: no shared sentence, one apart */
    memset(&l, 0, sizeof l);
    LM_CHECK(lm_pairs_features(&doc, NULL, "MESH:D008012", "MESH:D012640", collect, &l, &err) ==
             LM_OK);
    LM_CHECK_INT(feat_sentence(&l, "co=0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "sd=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dsent=ind"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dsent=neg"), -1);
    LM_CHECK_INT(feat_sentence(&l, "nnear=0_0"), -2);   /* no shared sentence, no construction */
    /* seizures' own surroundings: "developed" before it, and listed with
     * one other disease (hypotension or arrhythmia) where no drug is named */
    LM_CHECK_INT(feat_sentence(&l, "dl1=developed&co=0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dl1=the&co=0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dlist=1&co=0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dlist=1&cr=1&ct=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "cl1=intravenous&co=0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dlist=0&co=0"), -2);

    /* diazepam treats seizures: the treatment cue between, in sentence 3 */
    memset(&l, 0, sizeof l);
    LM_CHECK(lm_pairs_features(&doc, NULL, "MESH:D003975", "MESH:D012640", collect, &l, &err) ==
             LM_OK);
    LM_CHECK_INT(feat_sentence(&l, "tbDC=trt"), 3);
    LM_CHECK_INT(feat_sentence(&l, "bsDC=were_treated_with"), 3);
    LM_CHECK_INT(feat_sentence(&l, "tnDC=trt"), 3);
    LM_CHECK_INT(feat_sentence(&l, "tn0=trt"), -2);
    LM_CHECK_INT(feat_sentence(&l, "nnear=0_1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "sec=res"), 3);
    LM_CHECK_INT(feat_sentence(&l, "cr=2"), -1);
    /* the disease's list count is its own, crossed with this pair's
     * shared sentence; diazepam follows "with" */
    LM_CHECK_INT(feat_sentence(&l, "dlist=1&co=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "cl1=with&co=1"), -1);

    /* composite ids expand to each part; a mention without id gets a text key */
    memset(&l, 0, sizeof l);
    LM_CHECK(lm_pairs_features(&doc, NULL, "MESH:D008012", "MESH:D001145", collect, &l, &err) ==
             LM_OK);
    LM_CHECK_INT(feat_sentence(&l, "dsent=neg"), -1);   /* "no hypotension or arrhythmia" */
    LM_CHECK_INT(feat_sentence(&l, "co=0"), -1);
    LM_CHECK(lm_pairs_features(&doc, NULL, "MESH:D008012", "MESH:D007022", collect, &l, &err) ==
             LM_OK);
    LM_CHECK(lm_pairs_features(&doc, NULL, "text:compound x", "MESH:D012640", collect, &l, &err) ==
             LM_OK);
    LM_CHECK(lm_pairs_features(&doc, NULL, "MESH:D008012", "MESH:D999999", collect, &l, &err) ==
             LM_ERR_NOTFOUND);

    /* MeSH trees: a disease broader than another of the abstract, and the
     * branches of both concepts */
    lm_lexicon *lex = tree_lexicon();
    memset(&l, 0, sizeof l);
    LM_CHECK(lm_pairs_features(&doc, lex, "MESH:D008012", "MESH:D001145", collect, &l, &err) ==
             LM_OK);
    LM_CHECK_INT(feat_sentence(&l, "dbroad=1&co=0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dnarrow=0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dtop=C14"), -1);
    LM_CHECK_INT(feat_sentence(&l, "ctop=D02"), -1);
    memset(&l, 0, sizeof l);
    LM_CHECK(lm_pairs_features(&doc, lex, "MESH:D008012", "MESH:D006323", collect, &l, &err) ==
             LM_OK);
    LM_CHECK_INT(feat_sentence(&l, "dbroad=0&co=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dnarrow=1"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dtop=C23&co=1"), -1);
    /* without a lexicon: no branches */
    memset(&l, 0, sizeof l);
    LM_CHECK(lm_pairs_features(&doc, NULL, "MESH:D008012", "MESH:D006323", collect, &l, &err) ==
             LM_OK);
    LM_CHECK_INT(feat_sentence(&l, "dnarrow=0"), -1);
    LM_CHECK_INT(feat_sentence(&l, "dtop=C14"), -2);
    lm_lexicon_free(lex);
    lm_doc_free(&doc);
    lm_pt_corpus_free(&c);
    lm_buf_free(&file);
}

/* ---- a tiny model ----------------------------------------------------- */

static const char *chems[] = {"D001", "aspirin", "D002", "cisplatin", "D003", "heparin",
                              "D004", "lithium", "D005", "cocaine",   "D006", "haloperidol"};
static const char *diss[] = {"D101", "nephrotoxicity", "D102", "seizures", "D103", "thrombosis",
                             "D104", "tremor",         "D105", "psychosis", "D106", "hepatitis"};

/* Document i: chemical a induces disease b (title pattern, stated again in
 * the abstract) while chemical c treats disease d; BioRED-style documents
 * state the treatment as a Negative_Correlation. */
static void tiny_doc(lm_buf *file, int i, int biored)
{
    int a = i % 6, b = (i / 6 + i) % 6, c = (a + 1 + i % 5) % 6, d = (b + 1 + i % 4) % 6;
    if (c == a)
        c = (c + 1) % 6;
    if (d == b)
        d = (d + 1) % 6;
    char pmid[16], title[256], abs[512], rels[128];
    snprintf(pmid, sizeof pmid, "%d", 1000 + i + (biored ? 500 : 0));
    snprintf(title, sizeof title, "[C:%s:%s]-induced [D:%s:%s] in rats.", chems[2 * a],
             chems[2 * a + 1], diss[2 * b], diss[2 * b + 1]);
    snprintf(abs, sizeof abs,
             "Rats given [C:%s:%s] developed [D:%s:%s] after two weeks. "
             "[D:%s:%s] was successfully treated with [C:%s:%s]. Doses were recorded.",
             chems[2 * a], chems[2 * a + 1], diss[2 * b], diss[2 * b + 1], diss[2 * d],
             diss[2 * d + 1], chems[2 * c], chems[2 * c + 1]);
    if (biored)
        snprintf(rels, sizeof rels, "Positive_Correlation %s %s;Negative_Correlation %s %s",
                 chems[2 * a], diss[2 * b], diss[2 * d], chems[2 * c]);
    else
        snprintf(rels, sizeof rels, "CID %s %s", chems[2 * a], diss[2 * b]);
    add_doc(file, pmid, title, abs, rels);
}

static lm_pairs_model *train_tiny(void)
{
    lm_buf tr, bio;
    lm_buf_init(&tr);
    lm_buf_init(&bio);
    for (int i = 0; i < 36; i++) {
        tiny_doc(&tr, i, 0);
        tiny_doc(&bio, i, 1);
    }
    lm_pt_corpus ctr = {0}, cbio = {0};
    lm_pairs_model *m = NULL;
    if (load_text("tiny-train.txt", &tr, &ctr) == 0 && load_text("tiny-bio.txt", &bio, &cbio) == 0) {
        lm_pairs_train_opts o;
        lm_pairs_train_opts_default(&o);
        o.hash_bits = 16;
        o.runs = 2;
        o.learning_rate = 0.1;
        o.l2 = 0.01;
        lm_pairs_train_data d = {&ctr, &cbio, NULL, NULL, NULL, NULL};
        lm_error err;
        if (lm_pairs_train(&d, &o, &m, &err) != LM_OK) {
            fprintf(stderr, "  train: %s\n", err.msg);
            m = NULL;
        }
    }
    lm_pt_corpus_free(&ctr);
    lm_pt_corpus_free(&cbio);
    lm_buf_free(&tr);
    lm_buf_free(&bio);
    return m;
}

static const char *probe_title = "[C:D003:Heparin]-induced [D:D104:tremor] in rats.";
static const char *probe_abstract =
    "Rats given [C:D003:heparin] developed [D:D104:tremor] after two weeks. "
    "[D:D101:Nephrotoxicity] was successfully treated with [C:D006:haloperidol]. "
    "Doses were recorded.";

static int probe_doc(lm_doc *doc)
{
    lm_buf file;
    lm_buf_init(&file);
    add_doc(&file, "9", probe_title, probe_abstract, NULL);
    lm_pt_corpus c = {0};
    int rc = load_text("probe.txt", &file, &c);
    lm_error err;
    if (rc == 0 && lm_pairs_doc_from_pubtator(&c.docs[0], doc, &err) != LM_OK)
        rc = -1;
    lm_pt_corpus_free(&c);
    lm_buf_free(&file);
    return rc;
}

static const lm_pair *find_pair(const lm_pairs_result *r, const char *chem, const char *dis)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].chem_id, chem) == 0 && strcmp(r->v[i].dis_id, dis) == 0)
            return &r->v[i];
    return NULL;
}

static void test_train_tiny(void)
{
    lm_pairs_model *m = train_tiny();
    LM_CHECK(m != NULL);
    if (!m)
        return;
    LM_CHECK(lm_pairs_model_has_head(m, LM_PAIR_INDUCES));
    LM_CHECK(lm_pairs_model_has_head(m, LM_PAIR_TREATS));
    LM_CHECK(lm_pairs_model_has_head(m, LM_PAIR_ASSOCIATED));
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(probe_doc(&doc) == 0);
    lm_pairs_result r;
    lm_pairs_result_init(&r);
    lm_error err;
    LM_CHECK(lm_pairs_extract(m, NULL, &doc, &r, &err) == LM_OK);
    const lm_pair *ind = find_pair(&r, "MESH:D003", "MESH:D104");
    LM_CHECK(ind != NULL);
    if (ind) {
        LM_CHECK_INT(ind->label, LM_PAIR_INDUCES);
        LM_CHECK(ind->score >= lm_pairs_model_threshold(m, LM_PAIR_INDUCES));
        LM_CHECK(ind->score <= 1.0f);
        LM_CHECK_STR(ind->chem_text, "Heparin");
        LM_CHECK_STR(ind->dis_text, "tremor");
        LM_CHECK(ind->same_sentence);
        /* evidence: the title or the abstract's first sentence */
        LM_CHECK(ind->sentence == 0 || ind->sentence == 1);
        if (ind->sentence >= 0) {
            LM_CHECK_INT(ind->sent_start, doc.sentences[ind->sentence].start);
            LM_CHECK_INT(ind->sent_end, doc.sentences[ind->sentence].end);
        }
    }
    const lm_pair *trt = find_pair(&r, "MESH:D006", "MESH:D101");
    LM_CHECK(trt != NULL);
    if (trt) {
        LM_CHECK_INT(trt->label, LM_PAIR_TREATS);
        LM_CHECK(trt->head_score[LM_PAIR_INDUCES] < lm_pairs_model_threshold(m, LM_PAIR_INDUCES));
        LM_CHECK_INT(trt->sentence, 2);
    }
    /* unrelated pairs neither induce nor treat, and score below the related
     * ones on every head (this tiny model's thresholds, tuned on its own
     * training data, sit near 0.5, so "associated" may still fire) */
    const char *unrelated[2][2] = {{"MESH:D006", "MESH:D104"}, {"MESH:D003", "MESH:D101"}};
    for (int u = 0; u < 2; u++) {
        const lm_pair *x = find_pair(&r, unrelated[u][0], unrelated[u][1]);
        if (!x)
            continue;
        LM_CHECK(x->label != LM_PAIR_INDUCES && x->label != LM_PAIR_TREATS);
        if (ind)
            LM_CHECK(x->head_score[LM_PAIR_ASSOCIATED] < ind->head_score[LM_PAIR_ASSOCIATED]);
        if (trt)
            LM_CHECK(x->head_score[LM_PAIR_ASSOCIATED] < trt->head_score[LM_PAIR_ASSOCIATED]);
    }

    /* extract_all lists every candidate, sorted by score */
    lm_pairs_result all;
    lm_pairs_result_init(&all);
    LM_CHECK(lm_pairs_extract_all(m, NULL, &doc, &all, &err) == LM_OK);
    LM_CHECK_INT(all.n, 4);
    for (size_t i = 1; i < all.n; i++)
        LM_CHECK(all.v[i - 1].score >= all.v[i].score);
    /* one decision: the first head at its threshold labels a pair, and a
     * pair no head reaches stays a co-occurrence scored by its best head */
    for (size_t i = 0; i < all.n; i++) {
        const lm_pair *x = &all.v[i];
        lm_pair_label want = LM_PAIR_NONE;
        float best = 0;
        for (int l = LM_PAIR_INDUCES; l < LM_PAIR_LABEL_COUNT; l++) {
            LM_CHECK(x->head_score[l] >= 0.0f && x->head_score[l] <= 1.0f);
            if (want == LM_PAIR_NONE && x->head_score[l] >= lm_pairs_model_threshold(m, l))
                want = (lm_pair_label)l;
            if (x->head_score[l] > best)
                best = x->head_score[l];
        }
        LM_CHECK_INT(x->label, want);
        LM_CHECK(x->score == (want != LM_PAIR_NONE ? x->head_score[want] : best));
        /* lm_pairs_extract returns exactly the labelled ones */
        const lm_pair *y = find_pair(&r, x->chem_id, x->dis_id);
        LM_CHECK((y != NULL) == (want != LM_PAIR_NONE));
    }
    /* evidence of concepts that never share a sentence: the nearest
     * sentences naming each, both when adjacent */
    const lm_pair *apart = find_pair(&all, "MESH:D006", "MESH:D104");
    LM_CHECK(apart != NULL && !apart->same_sentence);
    if (apart) {
        LM_CHECK_INT(apart->sentence, 1);
        LM_CHECK_INT(apart->sent_start, doc.sentences[1].start);
        LM_CHECK_INT(apart->sent_end, doc.sentences[2].end);
    }

    /* CID output: induces pairs only, ids without the MESH: prefix */
    lm_pt_doc pt;
    lm_pt_doc_init(&pt);
    LM_CHECK(lm_pairs_result_to_pubtator(&r, LM_PAIR_INDUCES, "CID", &pt, &err) == LM_OK);
    LM_CHECK_INT(pt.n_relations, 1);
    if (pt.n_relations == 1) {
        LM_CHECK_STR(pt.relations[0].type, "CID");
        LM_CHECK_STR(pt.relations[0].id1, "D003");
        LM_CHECK_STR(pt.relations[0].id2, "D104");
    }
    lm_pt_doc_free(&pt);
    lm_pairs_result_free(&all);
    lm_pairs_result_free(&r);
    lm_doc_free(&doc);
    lm_pairs_model_free(m);
}

/* Training with the lexicon-id twins of the documents and a threshold
 * tuned on training folds: lm_pairs_renormalize keeps text and relations,
 * gives each span the lexicon's id (or -1), and the model still finds the
 * probe's induced tremor. */
/* A model trained on the lithium corpus: a threshold strictly inside (0, 1),
 * and the probe's heparin-tremor pair labelled induces.  Frees m. */
static void check_probe_induces(lm_pairs_model *m)
{
    if (!m)
        return;
    float t = lm_pairs_model_threshold(m, LM_PAIR_INDUCES);
    LM_CHECK(t > 0.0f && t < 1.0f);
    lm_error err;
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(probe_doc(&doc) == 0);
    lm_pairs_result r;
    lm_pairs_result_init(&r);
    LM_CHECK(lm_pairs_extract(m, NULL, &doc, &r, &err) == LM_OK);
    const lm_pair *ind = find_pair(&r, "MESH:D003", "MESH:D104");
    LM_CHECK(ind != NULL && ind->label == LM_PAIR_INDUCES);
    lm_pairs_result_free(&r);
    lm_doc_free(&doc);
    lm_pairs_model_free(m);
}

static void append_line(void *ctx, const char *line)
{
    char *log = ctx;
    size_t n = strlen(log);
    snprintf(log + n, 4096 - n, "%s\n", line);
}

static void test_train_lexicon_ids(void)
{
    lm_error err;
    lm_lexicon_builder *b = NULL;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    for (int i = 0; i < 6; i++) {
        char id[32];
        if (i != 3) {   /* lithium stays unknown */
            snprintf(id, sizeof id, "MESH:%s", chems[2 * i]);
            LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, id, chems[2 * i + 1],
                                            strlen(chems[2 * i + 1]), LM_LEX_CORPUS,
                                            LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
        }
        snprintf(id, sizeof id, "MESH:%s", diss[2 * i]);
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_DISEASE, id, diss[2 * i + 1],
                                        strlen(diss[2 * i + 1]), LM_LEX_CORPUS,
                                        LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
    }
    lm_lexicon *lex = NULL;
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    if (!lex)
        return;
    lm_buf tr;
    lm_buf_init(&tr);
    for (int i = 0; i < 36; i++)
        tiny_doc(&tr, i, 0);
    lm_pt_corpus ctr = {0}, clex = {0};
    LM_CHECK(load_text("tiny-lex.txt", &tr, &ctr) == 0);
    clex.docs = calloc(ctr.n_docs + 1, sizeof *clex.docs);
    LM_CHECK(clex.docs != NULL);
    int unknown = 0, known = 0;
    for (size_t d = 0; clex.docs && d < ctr.n_docs; d++) {
        lm_pt_doc *o = &clex.docs[clex.n_docs++];
        LM_CHECK(lm_pairs_renormalize(&ctr.docs[d], lex, "MESH:", o, &err) == LM_OK);
        LM_CHECK_STR(o->pmid, ctr.docs[d].pmid);
        LM_CHECK_INT(o->n_mentions, ctr.docs[d].n_mentions);
        LM_CHECK_INT(o->n_relations, ctr.docs[d].n_relations);
        for (size_t i = 0; i < o->n_mentions && i < ctr.docs[d].n_mentions; i++) {
            const lm_pt_mention *g = &ctr.docs[d].mentions[i], *x = &o->mentions[i];
            LM_CHECK(x->start == g->start && x->end == g->end);
            if (strcmp(g->text, "lithium") == 0) {
                LM_CHECK_STR(x->id, "-1");
                unknown++;
            } else {
                char want[32];
                snprintf(want, sizeof want, "MESH:%s", g->id);
                LM_CHECK_STR(x->id, want);
                known++;
            }
        }
    }
    LM_CHECK(unknown > 0 && known > unknown);
    lm_pairs_model *m = NULL;
    lm_pairs_train_opts o;
    lm_pairs_train_opts_default(&o);
    o.hash_bits = 16;
    o.runs = 2;
    o.learning_rate = 0.1;
    o.l2 = 0.01;
    lm_pairs_train_data data = {&ctr, NULL, NULL, &clex, NULL, NULL};
    LM_CHECK(lm_pairs_train(&data, &o, &m, &err) == LM_OK);
    check_probe_induces(m);
    /* with the documents as a tagger found them too (here: missing every
     * lithium, as if it had tagged nothing there), calibrated on those */
    lm_pt_corpus ctag = {0};
    ctag.docs = calloc(clex.n_docs + 1, sizeof *ctag.docs);
    LM_CHECK(ctag.docs != NULL);
    for (size_t d = 0; ctag.docs && d < clex.n_docs; d++) {
        lm_pt_doc twin = ctr.docs[d];
        lm_pt_mention kept[16];
        twin.n_mentions = 0;
        twin.mentions = kept;
        for (size_t i = 0; i < ctr.docs[d].n_mentions && twin.n_mentions < 16; i++)
            if (strcmp(ctr.docs[d].mentions[i].text, "lithium") != 0)
                kept[twin.n_mentions++] = ctr.docs[d].mentions[i];
        LM_CHECK(lm_pairs_renormalize(&twin, lex, "MESH:", &ctag.docs[ctag.n_docs++], &err) ==
                 LM_OK);
    }
    lm_pairs_train_data tagged = {&ctr, NULL, NULL, &clex, NULL, &ctag};
    m = NULL;
    char log[4096] = "";
    o.log = append_line;
    o.log_ctx = log;
    LM_CHECK(lm_pairs_train(&tagged, &o, &m, &err) == LM_OK);
    /* the tagged twins were learnt from, and the threshold tuned on them */
    LM_CHECK(strstr(log, "+ 0 as tagged") == NULL && strstr(log, " as tagged)") != NULL);
    LM_CHECK(strstr(log, "out-of-fold as tagged:") != NULL);
    check_probe_induces(m);
    lm_pt_corpus_free(&ctag);
    lm_pt_corpus_free(&clex);
    lm_pt_corpus_free(&ctr);
    lm_buf_free(&tr);
    lm_lexicon_free(lex);
}

/* The induces threshold sits at the precise end of the F1 plateau: the
 * highest cut within the slack of the best F1, not its middle or arg max. */
static void test_precise_cut(void)
{
    /* from the highest threshold down; -1: a cut between tied scores */
    const double f[8] = {0.30, 0.488, -1, 0.492, 0.497, 0.500, 0.49, 0.40};
    LM_CHECK_INT(pairs_precise_cut(f, 8, 0.01), 3);
    LM_CHECK_INT(pairs_precise_cut(f, 8, 0.0), 5);
    LM_CHECK_INT(pairs_precise_cut(f, 8, 0.15), 1);
    LM_CHECK_INT(pairs_precise_cut(f, 0, 0.01), 0);
    const double none[2] = {-1, -1};
    LM_CHECK_INT(pairs_precise_cut(none, 2, 0.01), 2);
}

static void test_model_roundtrip_and_corruption(void)
{
    lm_pairs_model *m = train_tiny();
    LM_CHECK(m != NULL);
    if (!m)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/pairs.bin", lm_test_tmpdir());
    lm_error err;
    LM_CHECK(lm_pairs_model_save(m, path, &err) == LM_OK);
    lm_pairs_model *m2 = NULL;
    LM_CHECK(lm_pairs_model_load(path, &m2, &err) == LM_OK);
    if (!m2) {
        lm_pairs_model_free(m);
        return;
    }
    for (int l = LM_PAIR_INDUCES; l < LM_PAIR_LABEL_COUNT; l++) {
        LM_CHECK(lm_pairs_model_threshold(m, (lm_pair_label)l) ==
                 lm_pairs_model_threshold(m2, (lm_pair_label)l));

    }
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(probe_doc(&doc) == 0);
    lm_pairs_result a, b;
    lm_pairs_result_init(&a);
    lm_pairs_result_init(&b);
    LM_CHECK(lm_pairs_extract_all(m, NULL, &doc, &a, &err) == LM_OK);
    LM_CHECK(lm_pairs_extract_all(m2, NULL, &doc, &b, &err) == LM_OK);
    LM_CHECK_INT(a.n, b.n);
    for (size_t i = 0; i < a.n && i < b.n; i++) {
        LM_CHECK_STR(a.v[i].chem_id, b.v[i].chem_id);
        LM_CHECK_STR(a.v[i].dis_id, b.v[i].dis_id);
        LM_CHECK_INT(a.v[i].label, b.v[i].label);
        LM_CHECK(memcmp(a.v[i].head_score, b.v[i].head_score, sizeof a.v[i].head_score) == 0);
        LM_CHECK_INT(a.v[i].sentence, b.v[i].sentence);
    }
    lm_pairs_result_free(&a);
    lm_pairs_result_free(&b);
    lm_doc_free(&doc);
    lm_pairs_model_free(m2);

    /* read the file, then damage copies of it in several ways */
    FILE *f = fopen(path, "rb");
    LM_CHECK(f != NULL);
    static unsigned char buf[1 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    LM_CHECK(n > 40 && n < sizeof buf);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.bin", lm_test_tmpdir());
    struct {
        size_t at;       /* byte to flip, or SIZE_MAX to truncate */
        lm_status want;
    } cases[] = {{n / 2, LM_ERR_CORRUPT}, {0, LM_ERR_CORRUPT}, {n - 1, LM_ERR_CORRUPT},
                 {SIZE_MAX, LM_ERR_CORRUPT}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        FILE *g = fopen(bad, "wb");
        LM_CHECK(g != NULL);
        if (!g)
            continue;
        if (cases[k].at == SIZE_MAX) {
            fwrite(buf, 1, n - 10, g);
        } else {
            buf[cases[k].at] ^= 0x5a;
            fwrite(buf, 1, n, g);
            buf[cases[k].at] ^= 0x5a;
        }
        fclose(g);
        lm_pairs_model *x = NULL;
        LM_CHECK_INT(lm_pairs_model_load(bad, &x, &err), cases[k].want);
        LM_CHECK(x == NULL);
    }
    /* well-formed files from another version, refused with the retrain
     * message rather than mis-scored (bytes 8..15 hold the format and
     * feature-set versions; the CRC is recomputed): another feature set,
     * and the previous format (2, features 8: no knowledge table) */
    uint32_t versions[2][2] = {{lm_le32_get(buf + 8), lm_le32_get(buf + 12) ^ 0x40},
                               {2, 8}};
    for (int v = 0; v < 2; v++) {
        unsigned char save[12];
        memcpy(save, buf + 8, 8);
        memcpy(save + 8, buf + n - 4, 4);
        lm_le32_put(buf + 8, versions[v][0]);
        lm_le32_put(buf + 12, versions[v][1]);
        lm_le32_put(buf + n - 4, (uint32_t)crc32(0L, buf, (uInt)(n - 4)));
        FILE *g = fopen(bad, "wb");
        LM_CHECK(g != NULL);
        if (g) {
            fwrite(buf, 1, n, g);
            fclose(g);
            lm_pairs_model *x = NULL;
            LM_CHECK_INT(lm_pairs_model_load(bad, &x, &err), LM_ERR_FORMAT);
            LM_CHECK(strstr(err.msg, "retrain") != NULL);
            LM_CHECK(v == 0 || strstr(err.msg, "format 2 / features 8") != NULL);
        }
        memcpy(buf + 8, save, 8);
        memcpy(buf + n - 4, save + 8, 4);
    }
    snprintf(bad, sizeof bad, "%s/missing.bin", lm_test_tmpdir());
    lm_pairs_model *x = NULL;
    LM_CHECK_INT(lm_pairs_model_load(bad, &x, &err), LM_ERR_IO);
    lm_pairs_model_free(m);
}

/* ---- threads ---------------------------------------------------------- */

typedef struct thread_job {
    const lm_pairs_model *m;
    const lm_doc *doc;
    float sum;
    int ok;
} thread_job;

static void *run_job(void *arg)
{
    thread_job *j = arg;
    lm_pairs_scratch *s = NULL;
    lm_error err;
    lm_pairs_result r;
    lm_pairs_result_init(&r);
    j->ok = lm_pairs_scratch_init(&s, &err) == LM_OK;
    for (int k = 0; j->ok && k < 50; k++) {
        j->ok = lm_pairs_extract_all(j->m, s, j->doc, &r, &err) == LM_OK;
        j->sum = 0;
        for (size_t i = 0; i < r.n; i++)
            j->sum += r.v[i].score;
    }
    lm_pairs_result_free(&r);
    lm_pairs_scratch_free(s);
    return NULL;
}

static void test_threads_share_model(void)
{
    lm_pairs_model *m = train_tiny();
    LM_CHECK(m != NULL);
    if (!m)
        return;
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(probe_doc(&doc) == 0);
    thread_job jobs[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (thread_job){m, &doc, 0, 0};
        LM_CHECK(pthread_create(&th[i], NULL, run_job, &jobs[i]) == 0);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) {
        LM_CHECK(jobs[i].ok);
        LM_CHECK(jobs[i].sum == jobs[0].sum);
    }
    LM_CHECK(jobs[0].sum > 0);
    lm_doc_free(&doc);
    lm_pairs_model_free(m);
}

/* ---- the decision: the most specific disease ------------------------- */

/* Label of the pair (chem, dis) in r; -1 when absent. */
static int pair_label(const lm_pairs_result *r, const char *chem, const char *dis)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].chem_id, chem) == 0 && strcmp(r->v[i].dis_id, dis) == 0)
            return (int)r->v[i].label;
    return -1;
}

/* A chemical induces arrhythmia (C14.280.067) and asystole (under it) in
 * one abstract: only the narrower one keeps "induces", the broader one
 * falls to the next label that holds, or to co-occurrence; unless the
 * narrower pair scores lower.  Another chemical's pairs are its own. */
static void test_drop_broader(void)
{
    lm_error err;
    lm_lexicon *lex = tree_lexicon();
    lm_buf file;
    lm_buf_init(&file);
    add_doc(&file, "7", "[C:D008012:Lidocaine] and [D:D001145:arrhythmia].",
            "[C:D008012:Lidocaine] caused [D:D006323:asystole]. [C:D003975:Diazepam] did not.",
            "");
    lm_pt_corpus c = {0};
    LM_CHECK(load_text("broader.txt", &file, &c) == 0);
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(c.n_docs == 1 && lm_pairs_doc_from_pubtator(&c.docs[0], &doc, &err) == LM_OK);
    lm_pairs_model *m = NULL;
    LM_CHECK(pairs_model_new(16, &m, &err) == LM_OK);
    if (!m || !lex) {
        lm_pairs_model_free(m);
        lm_lexicon_free(lex);
        lm_doc_free(&doc);
        lm_pt_corpus_free(&c);
        lm_buf_free(&file);
        return;
    }
    LM_CHECK(pairs_model_add_head(m, LM_PAIR_INDUCES, &err) == LM_OK);
    m->bias[LM_PAIR_INDUCES] = 1.0f;   /* every pair: p = 0.73, over 0.5 */
    lm_pairs_model_use_lexicon(m, lex);
    lm_pairs_result r;
    lm_pairs_result_init(&r);
    LM_CHECK(lm_pairs_extract_all(m, NULL, &doc, &r, &err) == LM_OK);
    LM_CHECK_INT(pair_label(&r, "MESH:D008012", "MESH:D006323"), LM_PAIR_INDUCES);
    LM_CHECK_INT(pair_label(&r, "MESH:D008012", "MESH:D001145"), LM_PAIR_NONE);
    LM_CHECK_INT(pair_label(&r, "MESH:D003975", "MESH:D006323"), LM_PAIR_INDUCES);
    LM_CHECK_INT(pair_label(&r, "MESH:D003975", "MESH:D001145"), LM_PAIR_NONE);
    /* exported without --all-candidates, the broader pair is gone */
    LM_CHECK(lm_pairs_extract(m, NULL, &doc, &r, &err) == LM_OK);
    LM_CHECK_INT(pair_label(&r, "MESH:D008012", "MESH:D001145"), -1);
    LM_CHECK_INT(pair_label(&r, "MESH:D008012", "MESH:D006323"), LM_PAIR_INDUCES);

    /* the next label that holds takes it */
    LM_CHECK(pairs_model_add_head(m, LM_PAIR_ASSOCIATED, &err) == LM_OK);
    m->bias[LM_PAIR_ASSOCIATED] = 1.0f;
    LM_CHECK(lm_pairs_extract_all(m, NULL, &doc, &r, &err) == LM_OK);
    LM_CHECK_INT(pair_label(&r, "MESH:D008012", "MESH:D001145"), LM_PAIR_ASSOCIATED);

    /* the narrower pair scored lower (one of its own features weighs
     * against it, still over the threshold): both keep induces */
    lm_pairs_scratch *s = NULL;
    LM_CHECK(lm_pairs_scratch_init(&s, &err) == LM_OK);
    LM_CHECK(s && pairs_prepare(s, &doc, m->mask, lex, NULL, NULL, &err) == LM_OK);
    const pairs_cand *narrow = NULL, *broad = NULL;
    for (size_t i = 0; s && i < s->n_cands; i++) {
        const pairs_cand *cand = &s->cands[i];
        if (strcmp(pairs_key(s, s->concepts[cand->chem].key_off), "MESH:D008012") != 0)
            continue;
        if (strcmp(pairs_key(s, s->concepts[cand->dis].key_off), "MESH:D006323") == 0)
            narrow = cand;
        else
            broad = cand;
    }
    LM_CHECK(narrow && broad);
    for (size_t f = 0; narrow && broad && f < narrow->n_feat; f++) {
        uint32_t idx = s->feats[narrow->feat_off + f].idx;
        int shared = 0;
        for (size_t g = 0; g < broad->n_feat; g++)
            shared |= s->feats[broad->feat_off + g].idx == idx;
        for (size_t g = 0; g < s->n_cands; g++)   /* diazepam's pairs stay as they were */
            if (&s->cands[g] != narrow && &s->cands[g] != broad)
                for (size_t h = 0; h < s->cands[g].n_feat; h++)
                    shared |= s->feats[s->cands[g].feat_off + h].idx == idx;
        if (!shared)
            m->w[LM_PAIR_INDUCES][idx] = -0.01f;
    }
    lm_pairs_scratch_free(s);
    LM_CHECK(lm_pairs_extract_all(m, NULL, &doc, &r, &err) == LM_OK);
    LM_CHECK_INT(pair_label(&r, "MESH:D008012", "MESH:D006323"), LM_PAIR_INDUCES);
    LM_CHECK_INT(pair_label(&r, "MESH:D008012", "MESH:D001145"), LM_PAIR_INDUCES);

    /* without MeSH trees (no lexicon) nothing is broader */
    lm_pairs_model_use_lexicon(m, NULL);
    memset(m->w[LM_PAIR_INDUCES], 0, ((size_t)m->mask + 1) * sizeof(float));
    LM_CHECK(lm_pairs_extract_all(m, NULL, &doc, &r, &err) == LM_OK);
    LM_CHECK_INT(pair_label(&r, "MESH:D008012", "MESH:D001145"), LM_PAIR_INDUCES);
    lm_pairs_result_free(&r);
    lm_pairs_model_free(m);
    lm_lexicon_free(lex);
    lm_doc_free(&doc);
    lm_pt_corpus_free(&c);
    lm_buf_free(&file);
}

/* ---- NER output ------------------------------------------------------- */

static void test_doc_add_ner(void)
{
    lm_error err;
    lm_lexicon_builder *b = NULL;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    /* "DOX" read as another drug by the lexicon: the text's own definition
     * wins */
    const char *entries[][3] = {{"Chemical", "MESH:D004317", "doxorubicin"},
                                {"Disease", "MESH:D066126", "cardiotoxicity"},
                                {"Chemical", "DRUGBANK:DB00997", "adriamycin"},
                                {"Chemical", "MESH:D004318", "DOX"}};
    for (size_t i = 0; i < 4; i++)
        LM_CHECK(lm_lexicon_builder_add(b, lm_ent_type_from_label(entries[i][0]), entries[i][1],
                                        entries[i][2], strlen(entries[i][2]), LM_LEX_PREFERRED,
                                        LM_LEX_SCORE_NAME, 1, &err) == LM_OK);
    lm_lexicon *lex = NULL;
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);

    const char *text = "Doxorubicin (DOX) causes cardiotoxicity. DOX and adriamycin were tested.";
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(lm_doc_set_text(&doc, text, NULL, &err) == LM_OK);
    doc.text_len = strlen(text);   /* no abstract: drop the joining space */
    lm_ner_mentions ner;
    lm_ner_mentions_init(&ner);
    lm_ner_mention items[] = {{0, 11, LM_ENT_CHEMICAL, 0.9f},
                              {13, 16, LM_ENT_CHEMICAL, 0.8f},
                              {25, 39, LM_ENT_DISEASE, 0.9f},
                              {49, 59, LM_ENT_CHEMICAL, 0.7f}};
    ner.v = items;
    ner.n = ner.cap = 4;
    LM_CHECK(lm_pairs_doc_add_ner(&doc, &ner, lex, "MESH:", &err) == LM_OK);
    LM_CHECK_INT(doc.n_sentences, 2);
    /* four tagged mentions plus the untagged second use of DOX */
    LM_CHECK_INT(doc.n_mentions, 5);
    if (doc.n_mentions == 5) {
        LM_CHECK_STR(doc.mentions[0].concept_id, "MESH:D004317");
        LM_CHECK_STR(doc.mentions[1].text, "DOX");
        LM_CHECK_STR(doc.mentions[1].concept_id, "MESH:D004317");   /* via its long form */
        LM_CHECK_STR(doc.mentions[2].concept_id, "MESH:D066126");
        LM_CHECK(doc.mentions[3].concept_id == NULL);   /* only a DrugBank id: not MeSH */
        LM_CHECK_STR(doc.mentions[4].text, "DOX");
        LM_CHECK_INT(doc.mentions[4].start, 41);
        LM_CHECK_INT(doc.mentions[4].type, LM_ENT_CHEMICAL);
        LM_CHECK_STR(doc.mentions[4].concept_id, "MESH:D004317");
        LM_CHECK_INT(doc.mentions[4].sentence, 1);
    }
    lm_doc_free(&doc);

    /* no abbreviation at all, a mention the lexicon does not know, and one
     * it knows through a rewrite (salt word dropped) */
    const char *plain = "Cardiotoxicity after foo-123 and doxorubicin hydrochloride.";
    lm_doc_init(&doc);
    LM_CHECK(lm_doc_set_text(&doc, plain, NULL, &err) == LM_OK);
    doc.text_len = strlen(plain);
    lm_ner_mention three[] = {{0, 14, LM_ENT_DISEASE, 0.9f},
                              {21, 28, LM_ENT_CHEMICAL, 0.9f},
                              {33, 58, LM_ENT_CHEMICAL, 0.9f}};
    ner.v = three;
    ner.n = ner.cap = 3;
    LM_CHECK(lm_pairs_doc_add_ner(&doc, &ner, lex, "MESH:", &err) == LM_OK);
    LM_CHECK_INT(doc.n_mentions, 3);
    if (doc.n_mentions == 3) {
        LM_CHECK_STR(doc.mentions[0].concept_id, "MESH:D066126");
        LM_CHECK(doc.mentions[1].concept_id == NULL);
        LM_CHECK_STR(doc.mentions[1].text, "foo-123");
        LM_CHECK_STR(doc.mentions[2].text, "doxorubicin hydrochloride");
        LM_CHECK_STR(doc.mentions[2].concept_id, "MESH:D004317");
    }
    lm_doc_free(&doc);
    lm_lexicon_free(lex);
}

/* The definitions the tagger read the text with, its own rules' included,
 * are the ones normalisation follows: "NH4Ac", which the letter-matching
 * detector cannot pair with "ammonium acetate", takes its concept at the
 * definition and at a later use; without the tagger's list it has none. */
static void test_doc_add_ner_tagger_abbrevs(void)
{
    lm_error err;
    lm_lexicon_builder *b = NULL;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_CHEMICAL, "MESH:D000641", "ammonium acetate", 16,
                                    LM_LEX_PREFERRED, LM_LEX_SCORE_NAME, 1, &err) == LM_OK);
    lm_lexicon *lex = NULL;
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    const char *text = "Ammonium acetate (NH4Ac) was given. NH4Ac had no effect.";
    for (int given = 0; given < 2; given++) {
        lm_doc doc;
        lm_doc_init(&doc);
        LM_CHECK(lm_doc_set_text(&doc, text, NULL, &err) == LM_OK);
        doc.text_len = strlen(text);
        lm_ner_mention items[] = {{0, 16, LM_ENT_CHEMICAL, 0.9f},
                                  {18, 23, LM_ENT_CHEMICAL, 0.9f},
                                  {36, 41, LM_ENT_CHEMICAL, 0.9f}};
        lm_ner_mentions ner;
        lm_ner_mentions_init(&ner);
        if (given) {
            ner.has_abbrevs = 1;
            LM_CHECK(lm_abbrev_add(&ner.abbrevs, 18, 23, 0, 16, &err) == LM_OK);
        }
        lm_ner_mention *v = ner.v;
        ner.v = items;
        ner.n = ner.cap = 3;
        LM_CHECK(lm_pairs_doc_add_ner(&doc, &ner, lex, "MESH:", &err) == LM_OK);
        LM_CHECK_INT(doc.n_mentions, 3);
        for (size_t i = 0; i < doc.n_mentions; i++)
            LM_CHECK_STR(doc.mentions[i].concept_id ? doc.mentions[i].concept_id : "-",
                         i == 0 || given ? "MESH:D000641" : "-");
        ner.v = v;
        lm_ner_mentions_free(&ner);
        lm_doc_free(&doc);
    }
    lm_lexicon_free(lex);
}

/* A mention naming two diseases gets both ids, '|'-joined, as corpus
 * composites do; the ner stage keeps the string it made. */
static void test_doc_add_ner_composite(void)
{
    lm_error err;
    lm_lexicon_builder *b = NULL;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    const char *entries[][2] = {{"MESH:D010051", "ovarian cancer"},
                                {"MESH:D001943", "breast cancer"}};
    for (size_t i = 0; i < 2; i++)
        LM_CHECK(lm_lexicon_builder_add(b, LM_ENT_DISEASE, entries[i][0], entries[i][1],
                                        strlen(entries[i][1]), LM_LEX_PREFERRED,
                                        LM_LEX_SCORE_NAME, 1, &err) == LM_OK);
    lm_lexicon *lex = NULL;
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    const char *text = "Risk of ovarian and breast cancer (OBC) rose; OBC and gastric cancer.";
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(lm_doc_set_text(&doc, text, NULL, &err) == LM_OK);
    doc.text_len = strlen(text);
    lm_ner_mention items[] = {{8, 33, LM_ENT_DISEASE, 0.9f}, {54, 68, LM_ENT_DISEASE, 0.9f}};
    lm_ner_mentions ner = {.v = items, .n = 2, .cap = 2};
    LM_CHECK(lm_pairs_doc_add_ner(&doc, &ner, lex, "MESH:", &err) == LM_OK);
    /* the two tagged mentions, and OBC (defined and used) from its long form */
    LM_CHECK_INT(doc.n_mentions, 4);
    for (size_t i = 0; i < doc.n_mentions; i++) {
        const lm_doc_mention *m = &doc.mentions[i];
        if (strcmp(m->text, "gastric cancer") == 0)
            LM_CHECK(m->concept_id == NULL);
        else
            LM_CHECK_STR(m->concept_id ? m->concept_id : "", "MESH:D010051|MESH:D001943");
    }
    lm_doc_free(&doc);
    lm_lexicon_free(lex);
}

/* Tags text (one sentence run, no abstract) with the given mentions and
 * normalises them with lex as the ner stage does. */
static void normalise(lm_doc *doc, const char *text, lm_ner_mention *items, size_t n,
                      const lm_lexicon *lex)
{
    lm_error err;
    lm_doc_init(doc);
    LM_CHECK(lm_doc_set_text(doc, text, NULL, &err) == LM_OK);
    doc->text_len = strlen(text);
    lm_ner_mentions ner = {.v = items, .n = n, .cap = n};
    LM_CHECK(lm_pairs_doc_add_ner(doc, &ner, lex, NULL, &err) == LM_OK);
}

static const char *id_of(const lm_doc *doc, const char *text, int32_t start)
{
    for (size_t i = 0; i < doc->n_mentions; i++)
        if (strcmp(doc->mentions[i].text, text) == 0 && doc->mentions[i].start == start)
            return doc->mentions[i].concept_id ? doc->mentions[i].concept_id : "";
    return "(no mention)";
}

/* A short form defined in the abstract takes its long form's concept,
 * whatever the lexicon says about the short form alone. */
static void test_abbreviations_win(void)
{
    lm_error err;
    lm_lexicon_builder *b = NULL;
    LM_CHECK(lm_lexicon_builder_init(&b, &err) == LM_OK);
    const char *entries[][3] = {{"Chemical", "MESH:D000082", "acetaminophen"},
                                {"Chemical", "MESH:D000082", "AAP"},
                                {"Chemical", "MESH:D000644", "aminoantipyrine"},
                                {"Disease", "MESH:D000743", "hemolytic anemia"},
                                {"Disease", "MESH:D008232", "lymphoproliferative disorders"},
                                {"Disease", "MESH:D008232", "PTLD"},
                                {"Disease", "MESH:D010300", "PD"},
                                {"Disease", "MESH:D017114", "acute liver failure"},
                                {"Disease", "MESH:D005355", "acute lung fibrosis"},
                                {"Chemical", "MESH:D015215", "zidovudine"},
                                {"Chemical", "MESH:D015215", "AZT"},
                                {"Chemical", "MESH:D015215", "3'-azido-3'-deoxythymidine"},
                                {"Chemical", "MESH:D006493", "heparin"},
                                {"Chemical", "MESH:D006495", "low-molecular-weight heparin"}};
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        LM_CHECK(lm_lexicon_builder_add(b, lm_ent_type_from_label(entries[i][0]), entries[i][1],
                                        entries[i][2], strlen(entries[i][2]), LM_LEX_CORPUS,
                                        LM_LEX_SCORE_CORPUS, 1, &err) == LM_OK);
    lm_lexicon *lex = NULL;
    LM_CHECK(lm_lexicon_builder_finish(b, &lex, &err) == LM_OK);
    lm_lexicon_builder_free(b);
    lm_doc doc;

    /* the long form is tagged: its id, not acetaminophen's */
    const char *t1 = "Rats received aminoantipyrine (AAP). AAP was cleared fast.";
    lm_ner_mention m1[] = {{14, 29, LM_ENT_CHEMICAL, 0.9f}, {31, 34, LM_ENT_CHEMICAL, 0.9f}};
    normalise(&doc, t1, m1, 2, lex);
    LM_CHECK_STR(id_of(&doc, "AAP", 31), "MESH:D000644");
    LM_CHECK_STR(id_of(&doc, "AAP", 37), "MESH:D000644");   /* a use the tagger missed */
    lm_doc_free(&doc);

    /* the long form untagged: looked up from the text; unknown there, the
     * short form gets no id rather than the lexicon's other reading */
    lm_ner_mention m2[] = {{31, 34, LM_ENT_CHEMICAL, 0.9f}};
    normalise(&doc, t1, m2, 1, lex);
    LM_CHECK_STR(id_of(&doc, "AAP", 31), "MESH:D000644");
    lm_doc_free(&doc);
    const char *t3 = "Rats received aminoalkylpyridine (AAP) daily.";
    lm_ner_mention m3[] = {{34, 37, LM_ENT_CHEMICAL, 0.9f}};
    normalise(&doc, t3, m3, 1, lex);
    LM_CHECK_STR(id_of(&doc, "AAP", 34), "");
    lm_doc_free(&doc);

    /* a long form the lexicon cannot read keeps the short form's reading
     * when that concept's name shares a word with it; "PD" defined as
     * panic disorder is not Parkinson disease */
    const char *t4 = "After posttransplant lymphoproliferative disorder (PTLD) and panic "
                     "disorder (PD), PTLD and PD recurred.";
    lm_ner_mention m4[] = {{6, 49, LM_ENT_DISEASE, 0.9f},
                           {51, 55, LM_ENT_DISEASE, 0.9f},
                           {61, 75, LM_ENT_DISEASE, 0.9f},
                           {77, 79, LM_ENT_DISEASE, 0.9f}};
    normalise(&doc, t4, m4, 4, lex);
    LM_CHECK_STR(id_of(&doc, "PTLD", 51), "MESH:D008232");
    LM_CHECK_STR(id_of(&doc, "PTLD", 82), "MESH:D008232");
    LM_CHECK_STR(id_of(&doc, "PD", 77), "");
    LM_CHECK_STR(id_of(&doc, "PD", 91), "");
    lm_doc_free(&doc);

    /* ... or when the long form misspells one of that concept's names (two
     * edits here), not when it is further off */
    const char *t4b = "Rats received 3'-azido-3'dideoxythymidine (AZT). AZT was stopped.";
    lm_ner_mention m4b[] = {{14, 41, LM_ENT_CHEMICAL, 0.9f}, {43, 46, LM_ENT_CHEMICAL, 0.9f}};
    normalise(&doc, t4b, m4b, 2, lex);
    LM_CHECK_STR(id_of(&doc, "AZT", 43), "MESH:D015215");
    LM_CHECK_STR(id_of(&doc, "AZT", 49), "MESH:D015215");
    lm_doc_free(&doc);
    const char *t4c = "Rats received 3'-azido-thymine (AZT) daily.";
    lm_ner_mention m4c[] = {{32, 35, LM_ENT_CHEMICAL, 0.9f}};
    normalise(&doc, t4c, m4c, 1, lex);
    LM_CHECK_STR(id_of(&doc, "AZT", 32), "");
    lm_doc_free(&doc);

    /* the long form's mention is its head: "ribavirin-induced hemolytic
     * anemia (RIHA)" is the anemia */
    const char *t5 = "We saw ribavirin-induced hemolytic anemia (RIHA) twice.";
    lm_ner_mention m5[] = {{7, 16, LM_ENT_CHEMICAL, 0.9f}, {25, 41, LM_ENT_DISEASE, 0.9f}};
    normalise(&doc, t5, m5, 2, lex);
    LM_CHECK_STR(id_of(&doc, "RIHA", 43), "MESH:D000743");
    lm_doc_free(&doc);
    /* ... but a short form names its whole definition, when the lexicon
     * knows it: LMWH is low-molecular-weight heparin, not heparin */
    const char *t5b = "Rats got low-molecular-weight heparin (LMWH). LMWH was safe.";
    lm_ner_mention m5b[] = {{30, 37, LM_ENT_CHEMICAL, 0.9f}, {39, 43, LM_ENT_CHEMICAL, 0.9f}};
    normalise(&doc, t5b, m5b, 2, lex);
    LM_CHECK_STR(id_of(&doc, "heparin", 30), "MESH:D006493");
    LM_CHECK_STR(id_of(&doc, "LMWH", 39), "MESH:D006495");
    LM_CHECK_STR(id_of(&doc, "LMWH", 46), "MESH:D006495");
    lm_doc_free(&doc);

    /* a short form used without a definition takes the concept of the
     * mention whose words it abbreviates ("ALF" is only defined inside
     * "ATT-ALF"), when every such mention agrees; otherwise the lexicon's
     * reading of the short form stands */
    const char *t6 = "Drug-induced acute liver failure (ATT-ALF) and hemolytic anemia; "
                     "ALF was fatal and HA rare.";
    lm_ner_mention m6[] = {{13, 32, LM_ENT_DISEASE, 0.9f},
                           {47, 63, LM_ENT_DISEASE, 0.9f},
                           {65, 68, LM_ENT_DISEASE, 0.9f},
                           {83, 85, LM_ENT_DISEASE, 0.9f}};
    normalise(&doc, t6, m6, 4, lex);
    LM_CHECK_STR(id_of(&doc, "ALF", 65), "MESH:D017114");
    LM_CHECK_STR(id_of(&doc, "HA", 83), "MESH:D000743");
    lm_doc_free(&doc);
    const char *t7 = "Acute liver failure and acute lung fibrosis; ALF was fatal. "
                     "Panic disorder came with PD.";
    lm_ner_mention m7[] = {{0, 19, LM_ENT_DISEASE, 0.9f},
                           {24, 43, LM_ENT_DISEASE, 0.9f},
                           {45, 48, LM_ENT_DISEASE, 0.9f},
                           {60, 74, LM_ENT_DISEASE, 0.9f},
                           {85, 87, LM_ENT_DISEASE, 0.9f}};
    normalise(&doc, t7, m7, 5, lex);
    LM_CHECK_STR(id_of(&doc, "ALF", 45), "");               /* two readings: none */
    LM_CHECK_STR(id_of(&doc, "PD", 85), "MESH:D010300");    /* panic disorder unknown */
    lm_doc_free(&doc);
    lm_lexicon_free(lex);
}

/* ---- the committed model on BC5CDR dev -------------------------------- */

/* Measured when the model was trained (gold entities, official CID
 * scoring): F1 0.640; the floor leaves room for retraining noise. */
#define DEV_F1_FLOOR 0.62

/* ---- knowledge prior -------------------------------------------------- */

/* Three training abstracts: aspirin (D001) induces tremor (D101) in 1 and
 * 2; in 3 both are named but not related; 2 also names D002 and D102. */
static int kb_corpus(lm_pt_corpus *c)
{
    lm_buf f;
    lm_buf_init(&f);
    add_doc(&f, "1", "[C:D001:Aspirin] and [D:D101:tremor].", "No more.", "CID D001 D101");
    add_doc(&f, "2", "[C:D001:Aspirin] and [D:D101:tremor].",
            "[C:D002:Caffeine] and [D:D102|D101:headache or tremor].", "CID D001 D101");
    add_doc(&f, "3", "[C:D001:Aspirin] was given.", "Some had [D:D101:tremor] before.", NULL);
    int rc = load_text("kb.txt", &f, c);
    lm_buf_free(&f);
    return rc;
}

/* Does candidate (chem, dis) of s carry feature feat (mask all ones)? */
static int cand_has(lm_pairs_scratch *s, const char *chem, const char *dis, const char *feat)
{
    uint32_t want = pairs_feature_index(feat, 0xffffffffu);
    for (size_t i = 0; i < s->n_cands; i++) {
        const pairs_cand *c = &s->cands[i];
        if (strcmp(pairs_key(s, s->concepts[c->chem].key_off), chem) != 0 ||
            strcmp(pairs_key(s, s->concepts[c->dis].key_off), dis) != 0)
            continue;
        for (size_t k = 0; k < c->n_feat; k++)
            if (s->feats[c->feat_off + k].idx == want)
                return 1;
        return 0;
    }
    return -1;
}

static void test_knowledge_counts(void)
{
    lm_pt_corpus c = {0};
    LM_CHECK(kb_corpus(&c) == 0);
    pairs_kb *kb = NULL;
    lm_error err;
    LM_CHECK(pairs_kb_build(&c, &kb, &err) == LM_OK);
    if (!kb) {
        lm_pt_corpus_free(&c);
        return;
    }
    LM_CHECK_INT(pairs_kb_docs(kb), 3);
    LM_CHECK_INT(pairs_kb_pairs(kb), 4);   /* D001 and D002 with D101 and D102 */
    pairs_kb_counts k;
    pairs_kb_lookup(kb, "MESH:D001", "MESH:D101", NULL, NULL, NULL, &k);
    LM_CHECK_INT(k.pair_cid, 2);
    LM_CHECK_INT(k.pair_co, 3);
    LM_CHECK_INT(k.chem_cid, 2);
    LM_CHECK_INT(k.chem_docs, 3);
    LM_CHECK_INT(k.dis_cid, 2);
    LM_CHECK_INT(k.dis_docs, 3);
    pairs_kb_lookup(kb, "D001", "D101", NULL, NULL, NULL, &k);   /* as BC5CDR writes ids */
    LM_CHECK_INT(k.pair_cid, 2);
    /* leave one document out: its own contribution is gone */
    const lm_pt_doc *own = lm_pt_corpus_find(&c, "1");
    LM_CHECK(own == &c.docs[0]);
    pairs_kb_lookup(kb, "MESH:D001", "MESH:D101", own, NULL, NULL, &k);
    LM_CHECK_INT(k.pair_cid, 1);
    LM_CHECK_INT(k.pair_co, 2);
    LM_CHECK_INT(k.chem_cid, 1);
    LM_CHECK_INT(k.chem_docs, 2);
    pairs_kb_lookup(kb, "MESH:D001", "MESH:D101", &c.docs[2], NULL, NULL, &k);
    LM_CHECK_INT(k.pair_cid, 2);
    LM_CHECK_INT(k.pair_co, 2);
    LM_CHECK_INT(k.dis_cid, 2);
    LM_CHECK_INT(k.dis_docs, 2);
    /* the composite id counts as each part; an unseen or text: pair is 0 */
    pairs_kb_lookup(kb, "MESH:D002", "MESH:D102", NULL, NULL, NULL, &k);
    LM_CHECK_INT(k.pair_co, 1);
    LM_CHECK_INT(k.pair_cid, 0);
    pairs_kb_lookup(kb, "MESH:D002", "text:tremor", NULL, NULL, NULL, &k);
    LM_CHECK_INT(k.pair_co + k.dis_docs, 0);
    LM_CHECK(lm_pt_corpus_find(&c, "77") == NULL);

    /* a twin of abstract 1 (the same PMID, its own mentions, here the
     * chemical without an id) leaves abstract 1's gold contribution out */
    lm_buf f;
    lm_buf_init(&f);
    add_doc(&f, "1", "[C:D001:Aspirin] and [D:D101:tremor].", "[C:-1:Salicin] too.", NULL);
    lm_pt_corpus twin = {0};
    LM_CHECK(load_text("kb-twin.txt", &f, &twin) == 0);
    lm_doc doc;
    lm_doc_init(&doc);
    lm_pairs_scratch *s = NULL;
    LM_CHECK(lm_pairs_scratch_init(&s, &err) == LM_OK);
    if (twin.n_docs == 1 && s &&
        lm_pairs_doc_from_pubtator(&twin.docs[0], &doc, &err) == LM_OK) {
        const lm_pt_doc *skip = lm_pt_corpus_find(&c, twin.docs[0].pmid);
        LM_CHECK(skip == &c.docs[0]);
        LM_CHECK(pairs_prepare(s, &doc, 0xffffffffu, NULL, kb, skip, &err) == LM_OK);
        LM_CHECK_INT(cand_has(s, "MESH:D001", "MESH:D101", "kb=1"), 1);
        LM_CHECK_INT(cand_has(s, "MESH:D001", "MESH:D101", "kb=2"), 0);
        LM_CHECK_INT(cand_has(s, "text:salicin", "MESH:D101", "kb=0"), 1);
        /* a new abstract (nothing left out) sees both training pairs */
        LM_CHECK(pairs_prepare(s, &doc, 0xffffffffu, NULL, kb, NULL, &err) == LM_OK);
        LM_CHECK_INT(cand_has(s, "MESH:D001", "MESH:D101", "kb=2"), 1);
        /* without the table, no prior */
        LM_CHECK(pairs_prepare(s, &doc, 0xffffffffu, NULL, NULL, NULL, &err) == LM_OK);
        LM_CHECK_INT(cand_has(s, "MESH:D001", "MESH:D101", "kb=0"), 0);
    }
    lm_pairs_scratch_free(s);
    lm_doc_free(&doc);
    lm_pt_corpus_free(&twin);
    lm_buf_free(&f);
    pairs_kb_free(kb);
    lm_pt_corpus_free(&c);
}

/* A chemical the table relates to a narrower disease (asystole, under
 * arrhythmia in the lexicon's trees) counts for the broader one as
 * cid_narrower, and the other way round as cid_broader; the document left
 * out takes its share with it; without trees, neither. */
static void test_knowledge_tree_counts(void)
{
    lm_buf f;
    lm_buf_init(&f);
    add_doc(&f, "1", "[C:D008012:Lidocaine] and [D:D006323:asystole].", "", "CID D008012 D006323");
    add_doc(&f, "2", "[C:D008012:Lidocaine] and [D:D006323:asystole].", "", "CID D008012 D006323");
    add_doc(&f, "3", "[C:D008012:Lidocaine] and [D:D001145:arrhythmia].", "",
            "CID D008012 D001145");
    lm_pt_corpus c = {0};
    lm_lexicon *lex = tree_lexicon();
    pairs_kb *kb = NULL;
    lm_error err;
    LM_CHECK(load_text("kb-trees.txt", &f, &c) == 0);
    LM_CHECK(pairs_kb_build(&c, &kb, &err) == LM_OK);
    if (kb && lex && c.n_docs == 3) {
        pairs_kb_counts k;
        pairs_kb_lookup(kb, "MESH:D008012", "MESH:D001145", NULL, lex, "C14.280.067", &k);
        LM_CHECK_INT(k.pair_cid, 1);
        LM_CHECK_INT(k.cid_narrower, 2);
        LM_CHECK_INT(k.cid_broader, 0);
        pairs_kb_lookup(kb, "MESH:D008012", "MESH:D001145", &c.docs[0], lex, "C14.280.067", &k);
        LM_CHECK_INT(k.cid_narrower, 1);
        pairs_kb_lookup(kb, "MESH:D008012", "MESH:D006323", NULL, lex,
                        "C14.280.067.100|C23.550.073", &k);
        LM_CHECK_INT(k.pair_cid, 2);
        LM_CHECK_INT(k.cid_broader, 1);
        LM_CHECK_INT(k.cid_narrower, 0);
        pairs_kb_lookup(kb, "MESH:D008012", "MESH:D001145", NULL, NULL, "C14.280.067", &k);
        LM_CHECK_INT(k.cid_narrower + k.cid_broader, 0);
    }
    pairs_kb_free(kb);
    lm_lexicon_free(lex);
    lm_pt_corpus_free(&c);
    lm_buf_free(&f);
}

/* The table's section of pairs.bin round-trips, also empty (a corpus
 * without ids), and each kind of damage to it is refused as corrupt rather
 * than read: the loader trusts its sort order for binary search. */
static lm_status kb_read_patched(const unsigned char *img, size_t n, size_t len, size_t at,
                                 uint32_t value)
{
    unsigned char *q = malloc(n ? n : 1);
    if (!q)
        return LM_ERR_NOMEM;
    memcpy(q, img, n);
    if (at != (size_t)-1)
        lm_le32_put(q + at, value);
    size_t used = 0;
    pairs_kb *kb = NULL;
    lm_error err;
    lm_status st = pairs_kb_read(q, len, &used, &kb, &err);
    if (st == LM_OK)
        LM_CHECK_INT(used, n);
    pairs_kb_free(kb);
    free(q);
    return st;
}

/* "MESH:" in any case names the same concept when the table is built, as
 * when it is looked up (lm_id_bare_mesh): a relation written "mesh:D001"
 * relates the mention annotated "D001". */
static void test_knowledge_prefix_case(void)
{
    lm_buf f;
    lm_buf_init(&f);
    add_doc(&f, "5", "[C:D001:Aspirin] and [D:D101:tremor].", "No more.", "CID mesh:D001 MESH:D101");
    lm_pt_corpus c = {0};
    LM_CHECK(load_text("kb-case.txt", &f, &c) == 0);
    lm_buf_free(&f);
    pairs_kb *kb = NULL;
    lm_error err;
    LM_CHECK(pairs_kb_build(&c, &kb, &err) == LM_OK);
    if (kb) {
        LM_CHECK_INT(pairs_kb_pairs(kb), 1);   /* not a second chemical "mesh:D001" */
        pairs_kb_counts k;
        pairs_kb_lookup(kb, "MESH:D001", "D101", NULL, NULL, NULL, &k);
        LM_CHECK_INT(k.pair_cid, 1);
        LM_CHECK_INT(k.pair_co, 1);
        pairs_kb_lookup(kb, "mesh:D001", "mesh:D101", NULL, NULL, NULL, &k);
        LM_CHECK_INT(k.pair_cid, 1);
    }
    pairs_kb_free(kb);
    lm_pt_corpus_free(&c);
}

static void test_knowledge_table_corrupt(void)
{
    lm_pt_corpus c = {0};
    LM_CHECK(kb_corpus(&c) == 0);
    pairs_kb *kb = NULL;
    lm_error err;
    LM_CHECK(pairs_kb_build(&c, &kb, &err) == LM_OK);
    size_t n = kb ? pairs_kb_size(kb) : 0;
    unsigned char *img = n ? malloc(n) : NULL;
    if (!img) {
        pairs_kb_free(kb);
        lm_pt_corpus_free(&c);
        return;
    }
    pairs_kb_write(kb, img);
    uint32_t n_pairs = lm_le32_get(img + 4), blob_len = lm_le32_get(img + 12);
    size_t pairs_at = 16 + blob_len, concepts_at = pairs_at + 16 * (size_t)n_pairs;
    LM_CHECK(n_pairs >= 2);
    LM_CHECK_INT(kb_read_patched(img, n, n, (size_t)-1, 0), LM_OK);
    LM_CHECK_INT(kb_read_patched(img, n, 15, (size_t)-1, 0), LM_ERR_CORRUPT);
    LM_CHECK_INT(kb_read_patched(img, n, n - 1, (size_t)-1, 0), LM_ERR_CORRUPT);
    LM_CHECK_INT(kb_read_patched(img, n, n, 12, blob_len + 64), LM_ERR_CORRUPT);
    LM_CHECK_INT(kb_read_patched(img, n, n, 4, 0xfffffff0u), LM_ERR_CORRUPT);
    /* the blob's last string loses its NUL */
    LM_CHECK_INT(kb_read_patched(img, n, n, 16 + blob_len - 4, 0x41414141u), LM_ERR_CORRUPT);
    /* the second pair sorted before the first: its key copied from the first */
    memcpy(img + pairs_at + 16, img + pairs_at, 8);
    LM_CHECK_INT(kb_read_patched(img, n, n, (size_t)-1, 0), LM_ERR_CORRUPT);
    pairs_kb_write(kb, img);
    /* more CID documents than documents naming the pair */
    LM_CHECK_INT(kb_read_patched(img, n, n, pairs_at + 8, 1000), LM_ERR_CORRUPT);
    /* a concept typed Gene, a concept counted like that pair */
    LM_CHECK_INT(kb_read_patched(img, n, n, concepts_at + 4, LM_ENT_GENE), LM_ERR_CORRUPT);
    LM_CHECK_INT(kb_read_patched(img, n, n, concepts_at + 8, 1000), LM_ERR_CORRUPT);
    free(img);
    pairs_kb_free(kb);
    lm_pt_corpus_free(&c);

    /* a corpus that names no concept gives an empty table, which
     * round-trips */
    lm_buf f;
    lm_buf_init(&f);
    add_doc(&f, "9", "Nothing [C:-1:here].", "", NULL);
    lm_pt_corpus none = {0};
    LM_CHECK(load_text("kb-none.txt", &f, &none) == 0);
    kb = NULL;
    LM_CHECK(pairs_kb_build(&none, &kb, &err) == LM_OK);
    if (kb) {
        LM_CHECK_INT(pairs_kb_pairs(kb), 0);
        unsigned char empty[16];
        LM_CHECK_INT(pairs_kb_size(kb), sizeof empty);
        pairs_kb_write(kb, empty);
        LM_CHECK_INT(kb_read_patched(empty, sizeof empty, sizeof empty, (size_t)-1, 0), LM_OK);
    }
    pairs_kb_free(kb);
    lm_pt_corpus_free(&none);
    lm_buf_free(&f);
}

/* The table travels in pairs.bin and the prior fires where the pipeline
 * scores pairs (lm_pairs_extract): a model whose only evidence is "seen
 * twice as CID" labels that pair, before and after a save and load. */
static void test_knowledge_in_model(void)
{
    lm_pt_corpus c = {0};
    LM_CHECK(kb_corpus(&c) == 0);
    lm_pairs_model *m = NULL;
    lm_error err;
    LM_CHECK(pairs_model_new(16, &m, &err) == LM_OK);
    if (!m) {
        lm_pt_corpus_free(&c);
        return;
    }
    LM_CHECK(pairs_kb_build(&c, &m->kb, &err) == LM_OK);
    LM_CHECK(pairs_model_add_head(m, LM_PAIR_INDUCES, &err) == LM_OK);
    m->bias[LM_PAIR_INDUCES] = -5.0f;
    m->cal_a[LM_PAIR_INDUCES] = 1.0f;
    m->threshold[LM_PAIR_INDUCES] = 0.5f;
    m->w[LM_PAIR_INDUCES][pairs_feature_index("kb=2", m->mask)] = 10.0f;
    lm_buf f;
    lm_buf_init(&f);
    add_doc(&f, "50", "[C:D001:Aspirin], [C:D002:caffeine] and [D:D101:tremor].", "Nothing.",
            NULL);
    lm_pt_corpus nc = {0};
    LM_CHECK(load_text("kb-new.txt", &f, &nc) == 0);
    lm_doc doc;
    lm_doc_init(&doc);
    LM_CHECK(nc.n_docs == 1 && lm_pairs_doc_from_pubtator(&nc.docs[0], &doc, &err) == LM_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/pairs-kb.bin", lm_test_tmpdir());
    LM_CHECK(lm_pairs_model_save(m, path, &err) == LM_OK);
    lm_pairs_model *m2 = NULL;
    LM_CHECK(lm_pairs_model_load(path, &m2, &err) == LM_OK);
    LM_CHECK(m2 && m2->kb && pairs_kb_pairs(m2->kb) == 4 && pairs_kb_docs(m2->kb) == 3);
    lm_pairs_result r;
    lm_pairs_result_init(&r);
    for (int k = 0; k < 2; k++) {
        const lm_pairs_model *mm = k ? m2 : m;
        if (!mm)
            continue;
        LM_CHECK(lm_pairs_extract_all(mm, NULL, &doc, &r, &err) == LM_OK);
        const lm_pair *seen = find_pair(&r, "MESH:D001", "MESH:D101");
        const lm_pair *unseen = find_pair(&r, "MESH:D002", "MESH:D101");
        LM_CHECK(seen && seen->label == LM_PAIR_INDUCES);
        LM_CHECK(unseen && unseen->label == LM_PAIR_NONE);
    }
    if (m2) {
        pairs_kb_counts k1, k2;
        pairs_kb_lookup(m->kb, "D001", "D101", NULL, NULL, NULL, &k1);
        pairs_kb_lookup(m2->kb, "D001", "D101", NULL, NULL, NULL, &k2);
        LM_CHECK(memcmp(&k1, &k2, sizeof k1) == 0);
    }
    /* a damaged table (its first pair's disease offset pointing inside a
     * string) is refused as corrupt, with a valid checksum */
    FILE *g = fopen(path, "rb");
    static unsigned char buf[1 << 16];
    size_t n = g ? fread(buf, 1, sizeof buf, g) : 0;
    if (g)
        fclose(g);
    LM_CHECK(n > 40 && n < sizeof buf);
    if (n > 40 && n < sizeof buf) {
        uLongf rl = lm_le32_get(buf + 20);
        static unsigned char raw[1 << 16];
        LM_CHECK(rl < sizeof raw &&
                 uncompress(raw, &rl, buf + 28, lm_le32_get(buf + 24)) == Z_OK);
        /* payload: 1 head (24 bytes + nnz * 8), the flag, the table */
        size_t at = 4 + 24 + 8 * (size_t)lm_le32_get(raw + 4 + 20) + 4;
        LM_CHECK_INT(lm_le32_get(raw + at - 4), 1);
        uint32_t blob = lm_le32_get(raw + at + 12);
        lm_le32_put(raw + at + 16 + blob + 4, 1);
        static unsigned char z[1 << 16];
        uLongf zl = sizeof z - 32;
        LM_CHECK(compress2(z + 28, &zl, raw, rl, 9) == Z_OK);
        memcpy(z, buf, 28);
        lm_le32_put(z + 24, (uint32_t)zl);
        lm_le32_put(z + 28 + zl, (uint32_t)crc32(0L, z, (uInt)(28 + zl)));
        g = fopen(path, "wb");
        if (g) {
            fwrite(z, 1, 28 + zl + 4, g);
            fclose(g);
        }
        lm_pairs_model *x = NULL;
        LM_CHECK_INT(lm_pairs_model_load(path, &x, &err), LM_ERR_CORRUPT);
        LM_CHECK(strstr(err.msg, "knowledge") != NULL);
        lm_pairs_model_free(x);
    }
    lm_pairs_result_free(&r);
    lm_doc_free(&doc);
    lm_pt_corpus_free(&nc);
    lm_buf_free(&f);
    lm_pairs_model_free(m2);
    lm_pairs_model_free(m);
    lm_pt_corpus_free(&c);
}

static void test_bc5cdr_dev(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data not found");
    lm_pairs_model *m = NULL;
    lm_error err;
    if (access("models/pairs.bin", F_OK) != 0)
        LM_SKIP("models/pairs.bin not found (run scripts/train-pairs.sh)");
    /* a committed model the features have outgrown fails here, not skips */
    LM_CHECK(lm_pairs_model_load("models/pairs.bin", &m, &err) == LM_OK);
    if (!m)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/bc5cdr/CDR_DevelopmentSet.PubTator.txt", data);
    lm_pt_corpus dev = {0};
    LM_CHECK(lm_pubtator_load(path, &dev, &err) == LM_OK);
    long tp = 0, fp = 0, fn = 0;
    LM_CHECK(lm_pairs_eval_gold(m, &dev, NULL, &tp, &fp, &fn, &err) == LM_OK);
    double p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    double r = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    double f = p + r > 0 ? 2 * p * r / (p + r) : 0;
    fprintf(stderr, "  dev CID (gold entities): P %.4f R %.4f F1 %.4f (TP %ld FP %ld FN %ld)\n",
            p, r, f, tp, fp, fn);
    LM_CHECK_INT(tp + fn, 1012);   /* every gold relation is counted */
    LM_CHECK(f >= DEV_F1_FLOOR);
    /* the baseline from the same candidates is far below */
    lm_pairs_eval_opts co = {-1.0f, 1, 0};
    long ctp = 0, cfp = 0, cfn = 0;
    LM_CHECK(lm_pairs_eval_gold(NULL, &dev, &co, &ctp, &cfp, &cfn, &err) == LM_OK);
    LM_CHECK_INT(ctp, 1012);   /* candidates cover every gold pair */
    LM_CHECK(cfp > 4 * fp);
    lm_pt_corpus_free(&dev);
    lm_pairs_model_free(m);
}

int main(void)
{
    LM_RUN(test_doc_from_pubtator);
    LM_RUN(test_features_handwritten);
    LM_RUN(test_train_tiny);
    LM_RUN(test_train_lexicon_ids);
    LM_RUN(test_model_roundtrip_and_corruption);
    LM_RUN(test_threads_share_model);
    LM_RUN(test_drop_broader);
    LM_RUN(test_doc_add_ner);
    LM_RUN(test_doc_add_ner_composite);
    LM_RUN(test_doc_add_ner_tagger_abbrevs);
    LM_RUN(test_precise_cut);
    LM_RUN(test_abbreviations_win);
    LM_RUN(test_knowledge_counts);
    LM_RUN(test_knowledge_prefix_case);
    LM_RUN(test_knowledge_table_corrupt);
    LM_RUN(test_knowledge_tree_counts);
    LM_RUN(test_knowledge_in_model);
    LM_RUN(test_bc5cdr_dev);
    return LM_DONE();
}
