/*
 * Tests for fetch/lm_pubmed: the streaming PubMed XML parser.
 *
 * LONG-FILE: one test file per module; each case is a short fixture check.
 *
 * Hand-written fixtures in tests/fixtures/pubmed/ pin exact field values:
 * structured abstracts with labels, inline markup and MathML, non-ASCII and
 * character references, versioned PMIDs, book articles, DeleteCitation
 * blocks, PMIDs and DOIs in CommentsCorrections/ReferenceList that must not
 * leak into the article.  Error paths: malformed XML after good articles
 * (delivered first, error names file and line), truncated and corrupt gzip
 * built at test time in lm_test_tmpdir(), an HTML page, E-utilities <ERROR>
 * bodies, empty input, a callback that stops the parse.  Chunked feeding
 * (down to one byte at a time) must give the same articles as one read.
 * When ../shared/data exists, the real NCBI samples are parsed and checked
 * against counts and values read off the files with zcat/grep, and the
 * streamed MD5 of the bulk files must equal NLM's published .md5.
 */
#include "../fetch/lm_pubmed.h"
#include "../util/lm_buf.h"
#include "../util/lm_digest.h"
#include "../util/lm_md5.h"
#include "lm_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define FIX "tests/fixtures/pubmed/"
#define ARTICLES_XXH128 "ee89893d86db456e90d9f9eb91619641"
#define MAX_KEEP 64

/* ---- collecting what the parser delivers ------------------------------ */

typedef struct collect {
    lm_article arts[MAX_KEEP];   /* deep copies of the first MAX_KEEP */
    size_t n;                    /* articles delivered (may exceed MAX_KEEP) */
    int64_t dels[512];
    size_t n_del;
    int64_t last_pmid;
    int in_order;                /* PMIDs delivered strictly increasing */
    size_t stop_at;              /* on_article fails on this call (1-based) */
    size_t stop_del_at;
    int progress_calls;
    uint64_t progress_last;
    int progress_monotonic;
    size_t n_reject;             /* bad articles reported */
    char rejects[2048];          /* their messages, one per line */
} collect;

static void on_reject(void *ctx, const char *msg)
{
    collect *c = ctx;
    size_t len = strlen(c->rejects);
    snprintf(c->rejects + len, sizeof c->rejects - len, "%s\n", msg);
    c->n_reject++;
}

/* Keeps the article by moving it out, as the ingest does: the parser must
 * then neither free nor read what it handed over. */
static lm_status on_article(void *ctx, lm_article *a, lm_error *err)
{
    collect *c = ctx;
    int64_t pmid = a->pmid;
    if (c->n < MAX_KEEP) {
        c->arts[c->n] = *a;
        lm_article_init(a);
    }
    c->n++;
    if (pmid <= c->last_pmid)
        c->in_order = 0;
    c->last_pmid = pmid;
    if (c->stop_at && c->n == c->stop_at)
        return lm_error_set(err, LM_ERR_ABORTED, "test stops at PMID %lld",
                            (long long)pmid);
    return LM_OK;
}

static lm_status on_delete(void *ctx, int64_t pmid, lm_error *err)
{
    collect *c = ctx;
    if (c->n_del < sizeof c->dels / sizeof c->dels[0])
        c->dels[c->n_del] = pmid;
    c->n_del++;
    if (c->stop_del_at && c->n_del == c->stop_del_at)
        return lm_error_set(err, LM_ERR_DB, "test refuses deletion %lld",
                            (long long)pmid);
    return LM_OK;
}

static void on_progress(void *ctx, const lm_pubmed_stats *st)
{
    collect *c = ctx;
    if (st->bytes_xml <= c->progress_last)
        c->progress_monotonic = 0;
    c->progress_last = st->bytes_xml;
    c->progress_calls++;
}

static void collect_init(collect *c)
{
    memset(c, 0, sizeof *c);
    c->in_order = 1;
    c->progress_monotonic = 1;
}

static void collect_free(collect *c)
{
    size_t keep = c->n < MAX_KEEP ? c->n : MAX_KEEP;
    for (size_t i = 0; i < keep; i++)
        lm_article_free(&c->arts[i]);
}

static lm_pubmed_handler handler_for(collect *c)
{
    lm_pubmed_handler h = {on_article, on_delete, c, on_reject};
    return h;
}

static lm_status parse_path(const char *path, collect *c, lm_pubmed_stats *st,
                            lm_file_digest *digest, lm_error *err)
{
    lm_pubmed_handler h = handler_for(c);
    return lm_pubmed_parse_file(path, &h, on_progress, c, st, digest, err);
}

/* Feeds a memory buffer in pieces of `step` bytes (0 = all at once). */
static lm_status parse_mem(const char *name, const char *data, size_t len, size_t step,
                           collect *c, lm_pubmed_stats *st, lm_error *err)
{
    lm_pubmed_handler h = handler_for(c);
    lm_pubmed_parser *p;
    lm_status s = lm_pubmed_parser_init(&p, name, &h, err);
    if (s != LM_OK)
        return s;
    if (step == 0)
        step = len ? len : 1;
    for (size_t off = 0; off < len && s == LM_OK; off += step)
        s = lm_pubmed_parser_feed(p, data + off, len - off < step ? len - off : step, err);
    if (s == LM_OK)
        s = lm_pubmed_parser_finish(p, err);
    if (st)
        *st = *lm_pubmed_parser_stats(p);
    lm_pubmed_parser_free(p);
    return s;
}

static lm_status parse_str(const char *doc, collect *c, lm_error *err)
{
    return parse_mem("mem.xml", doc, strlen(doc), 0, c, NULL, err);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    lm_buf b;
    lm_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        lm_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return lm_buf_take(&b);
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* gzip-compresses data into path as `members` concatenated gzip members. */
static int write_gzip(const char *path, const char *data, size_t len, int members)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int rc = 0;
    size_t per = len / (size_t)members + 1;
    for (int m = 0; m < members && rc == 0; m++) {
        size_t off = (size_t)m * per;
        size_t n = off >= len ? 0 : (len - off < per ? len - off : per);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return fclose(f), -1;
        zs.next_in = (Bytef *)(data + off);
        zs.avail_in = (uInt)n;
        unsigned char out[65536];
        int zr;
        do {
            zs.next_out = out;
            zs.avail_out = sizeof out;
            zr = deflate(&zs, Z_FINISH);
            fwrite(out, 1, sizeof out - zs.avail_out, f);
        } while (zr == Z_OK);
        if (zr != Z_STREAM_END)
            rc = -1;
        deflateEnd(&zs);
    }
    return fclose(f) == 0 ? rc : -1;
}

static void md5_of_file(const char *path, char hex[33])
{
    size_t len;
    char *data = read_file(path, &len);
    lm_md5 m;
    lm_md5_init(&m);
    if (data)
        lm_md5_update(&m, data, len);
    lm_md5_final_hex(&m, hex);
    free(data);
}

static const char *tmp_path(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", lm_test_tmpdir(), name);
    return p;
}

/* One article in the compact style of the NLM bulk files. */
static void append_article(lm_buf *b, long pmid)
{
    lm_buf_printf(b,
        "<PubmedArticle><MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\">"
        "<PMID Version=\"1\">%ld</PMID><Article PubModel=\"Print\"><Journal>"
        "<JournalIssue CitedMedium=\"Print\"><PubDate><Year>2001</Year></PubDate>"
        "</JournalIssue><Title>Synthetic journal</Title></Journal>"
        "<ArticleTitle>Synthetic article %ld.</ArticleTitle><Abstract>"
        "<AbstractText Label=\"BACKGROUND\">Filler text about Ca<sup>2+</sup> "
        "and H<sub>2</sub>O that makes the article long enough to spread a "
        "compressed stream over many blocks; %ld %ld %ld.</AbstractText>"
        "</Abstract></Article></MedlineCitation><PubmedData><ArticleIdList>"
        "<ArticleId IdType=\"pubmed\">%ld</ArticleId></ArticleIdList>"
        "</PubmedData></PubmedArticle>\n",
        pmid, pmid, pmid * 7919 % 100003, pmid * 104729 % 1000003, pmid, pmid);
}

static char *synthetic_set(long first, long count, size_t *len)
{
    lm_buf b;
    lm_buf_init(&b);
    lm_buf_append_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PubmedArticleSet>\n");
    for (long i = 0; i < count; i++)
        append_article(&b, first + i);
    lm_buf_append_str(&b, "</PubmedArticleSet>\n");
    *len = b.len;
    return lm_buf_take(&b);
}

/* ---- hand-written fixtures -------------------------------------------- */

static void test_structured_abstract_and_markup(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    lm_file_digest d;
    lm_status s = parse_path(FIX "articles.xml", &c, &st, &d, &err);
    LM_CHECK_INT(s, LM_OK);
    LM_CHECK_INT(c.n, 3);
    LM_CHECK_INT(st.articles, 3);
    LM_CHECK_INT(st.book_articles, 0);
    LM_CHECK_INT(st.rejected, 0);
    if (c.n < 1)
        return;
    const lm_article *a = &c.arts[0];
    LM_CHECK_INT(a->pmid, 31000001);
    LM_CHECK_INT(a->version, 2);
    LM_CHECK_INT(a->is_book, 0);
    LM_CHECK_STR(a->title,
                 "Ca2+ signalling controls BRCA1 expression in H2O2-treated cells.");
    LM_CHECK_STR(a->abstract,
                 "BACKGROUND: Calcium (Ca2+) is a second messenger. "
                 "PATIENTS & METHODS: We treated cells with H2O2 and measured BRCA1 "
                 "mRNA by qPCR . "
                 "RESULTS: Expression rose when x2>4 (p < 0.05). "
                 "CONCLUSIONS: Ca2+ matters.");
    LM_CHECK_STR(a->journal, "Cell & molecular biology");
    LM_CHECK_INT(a->year, 2019);
    /* PubmedData's ArticleId wins over ELocationID and the reference DOI. */
    LM_CHECK_STR(a->doi, "10.1016/j.cell.2019.03.001");
    LM_CHECK_STR(a->language, "eng");
    LM_CHECK_STR(a->date_revised, "2021-03-05");
    LM_CHECK_INT(a->n_mesh, 3);
    if (a->n_mesh == 3) {
        LM_CHECK_STR(a->mesh[0].ui, "D002118");
        LM_CHECK_STR(a->mesh[0].name, "Calcium");
        LM_CHECK_INT(a->mesh[0].major_topic, 1);   /* via a qualifier */
        LM_CHECK_STR(a->mesh[1].ui, "D019398");
        LM_CHECK_STR(a->mesh[1].name, "Genes, BRCA1");
        LM_CHECK_INT(a->mesh[1].major_topic, 1);   /* the descriptor itself */
        LM_CHECK_STR(a->mesh[2].name, "Humans");
        LM_CHECK_INT(a->mesh[2].major_topic, 0);
    }
    LM_CHECK_INT(a->n_pubtypes, 2);
    if (a->n_pubtypes == 2) {
        LM_CHECK_STR(a->pubtypes[0].ui, "D016428");
        LM_CHECK_STR(a->pubtypes[0].name, "Journal Article");
        LM_CHECK_STR(a->pubtypes[1].ui, "D013485");
        LM_CHECK_STR(a->pubtypes[1].name, "Research Support, Non-U.S. Gov't");
    }
    /* xxhsum -H2 tests/fixtures/pubmed/articles.xml; no MD5 for plain XML. */
    LM_CHECK_STR(d.xxh128, ARTICLES_XXH128);
    LM_CHECK_STR(d.md5, "");
    collect_free(&c);
}

/* Schema 10's fields, each pinned: authors (names, ORCID, affiliations in
 * order, a collective), keywords with their major flag, grants, the
 * ChemicalList, MeSH qualifiers (a major qualifier makes its heading
 * major), CommentsCorrections, the PMCID, and a nested ReferenceList. */
static void test_whole_record(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    LM_CHECK_INT(parse_path(FIX "biblio.xml", &c, &st, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);
    if (c.n != 1) {
        collect_free(&c);
        return;
    }
    const lm_article *a = &c.arts[0];
    LM_CHECK_STR(a->pmcid, "PMC9000001");
    LM_CHECK_STR(a->doi, "10.1000/jwr.2024.1");
    LM_CHECK_INT(a->n_authors, 3);
    if (a->n_authors == 3) {
        LM_CHECK_STR(a->authors[0].last_name, "M\u00fcller");
        LM_CHECK_STR(a->authors[0].fore_name, "Anna B");
        LM_CHECK_STR(a->authors[0].initials, "AB");
        LM_CHECK_STR(a->authors[0].orcid, "0000-0002-1825-0097");
        LM_CHECK_INT(a->authors[0].n_affiliations, 2);
        if (a->authors[0].n_affiliations == 2)
            LM_CHECK_STR(a->authors[0].affiliations[1], "Children's Hospital, Z\u00fcrich, Switzerland.");
        LM_CHECK(a->authors[1].orcid == NULL);
        LM_CHECK_INT(a->authors[1].n_affiliations, 1);
        LM_CHECK_STR(a->authors[2].collective, "Pediatric Kidney Consortium");
        LM_CHECK(a->authors[2].last_name == NULL);
    }
    LM_CHECK_INT(a->n_keywords, 2);
    if (a->n_keywords == 2) {
        LM_CHECK_STR(a->keywords[0].keyword, "nephrotoxicity");
        LM_CHECK_INT(a->keywords[0].major, 1);
        LM_CHECK_INT(a->keywords[1].major, 0);
    }
    LM_CHECK_INT(a->n_grants, 2);
    if (a->n_grants == 2) {
        LM_CHECK_STR(a->grants[0].grant_id, "R01 DK012345");
        LM_CHECK_STR(a->grants[0].acronym, "DK");
        LM_CHECK_STR(a->grants[0].agency, "NIDDK NIH HHS");
        LM_CHECK_STR(a->grants[0].country, "United States");
        LM_CHECK(a->grants[1].grant_id == NULL);
        LM_CHECK_STR(a->grants[1].agency, "Swiss National Science Foundation");
    }
    LM_CHECK_INT(a->n_chemicals, 2);
    if (a->n_chemicals == 2) {
        LM_CHECK_STR(a->chemicals[0].ui, "D002945");
        LM_CHECK_STR(a->chemicals[0].name, "Cisplatin");
        LM_CHECK_STR(a->chemicals[0].registry_number, "Q20Q21Q62J");
        LM_CHECK_STR(a->chemicals[1].registry_number, "0");
    }
    LM_CHECK_INT(a->n_mesh, 2);
    if (a->n_mesh == 2) {
        LM_CHECK_INT(a->mesh[0].major_topic, 1);
        LM_CHECK_INT(a->mesh[0].n_qualifiers, 2);
        if (a->mesh[0].n_qualifiers == 2) {
            LM_CHECK_STR(a->mesh[0].qualifiers[0].ui, "Q000009");
            LM_CHECK_STR(a->mesh[0].qualifiers[0].name, "adverse effects");
            LM_CHECK_INT(a->mesh[0].qualifiers[0].major_topic, 1);
            LM_CHECK_STR(a->mesh[0].qualifiers[1].name, "therapeutic use");
            LM_CHECK_INT(a->mesh[0].qualifiers[1].major_topic, 0);
        }
        LM_CHECK_INT(a->mesh[1].n_qualifiers, 0);
        LM_CHECK_INT(a->mesh[1].major_topic, 0);
    }
    LM_CHECK_INT(a->n_references, 3);
    if (a->n_references == 3) {
        LM_CHECK_STR(a->references[0].kind, "ErratumIn");
        LM_CHECK_STR(a->references[0].citation, "J Whole Rec. 2025;3:1");
        LM_CHECK_INT(a->references[0].pmid, 39000099);
        LM_CHECK_STR(a->references[1].kind, "Cites");
        LM_CHECK_INT(a->references[1].pmid, 20000001);
        LM_CHECK_STR(a->references[1].doi, "10.1000/ki.2010.1");
        LM_CHECK_STR(a->references[2].citation, "Doe R. Nephrotoxic drugs. 2012.");
        LM_CHECK_INT(a->references[2].pmid, 0);
        LM_CHECK_STR(a->references[2].pmcid, "PMC3000001");
    }
    collect_free(&c);
}

static void test_missing_abstract_and_fallbacks(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    LM_CHECK_INT(parse_path(FIX "articles.xml", &c, NULL, NULL, &err), LM_OK);
    if (c.n < 3)
        LM_SKIP("fixture not parsed");
    const lm_article *a = &c.arts[1];
    LM_CHECK_INT(a->pmid, 31000002);
    LM_CHECK_INT(a->version, 1);
    /* <ArticleTitle/> is empty: VernacularTitle stands in. */
    LM_CHECK_STR(a->title, "Les maladies rares en pédiatrie.");
    LM_CHECK(a->abstract == NULL);
    LM_CHECK_STR(a->journal, "La Revue du praticien");
    LM_CHECK_INT(a->year, 1998);   /* MedlineDate "1998 Dec-1999 Jan" */
    /* No DOI in PubmedData: ELocationID, not the reference's. */
    LM_CHECK_STR(a->doi, "10.1234/revprat.1998.77");
    LM_CHECK_STR(a->language, "fre");
    LM_CHECK_STR(a->date_revised, "2020-12-31");
    LM_CHECK_INT(a->n_mesh, 0);
    LM_CHECK_INT(a->n_pubtypes, 1);

    a = &c.arts[2];
    LM_CHECK_INT(a->pmid, 31000003);
    LM_CHECK(a->doi == NULL);      /* only a ReferenceList DOI exists */
    LM_CHECK_INT(a->year, 2020);   /* PubDate has a Season only: ArticleDate */
    LM_CHECK(a->date_revised == NULL);
    LM_CHECK(a->mesh == NULL && a->n_mesh == 0);
    collect_free(&c);
}

static void test_non_ascii_and_entities(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    LM_CHECK_INT(parse_path(FIX "articles.xml", &c, NULL, NULL, &err), LM_OK);
    if (c.n < 3)
        LM_SKIP("fixture not parsed");
    const lm_article *a = &c.arts[2];
    LM_CHECK_STR(a->title,
                 "Évaluation of α-synuclein & β-amyloid in São Paulo: <10% of cases");
    /* &#945; &#x3B2; &#8805; decoded, the no-break space and the tab/newline
     * runs collapse, U+0085 (a C1 control) is dropped, ends trimmed. */
    LM_CHECK_STR(a->abstract,
                 "The α-helix and β-sheet content was ≥ 50% in Zürich samples.");
    LM_CHECK_STR(a->journal, "Acta Ελληνική Ιατρική");
    LM_CHECK_STR(a->language, "gre");
    collect_free(&c);
}

/* The same document fed in pieces of every awkward size must give the same
 * articles: element names, entities and UTF-8 sequences get split. */
static void test_chunked_feeding(void)
{
    size_t len;
    char *doc = read_file(FIX "articles.xml", &len);
    LM_CHECK(doc != NULL);
    if (!doc)
        return;
    collect whole;
    collect_init(&whole);
    lm_error err = {0};
    LM_CHECK_INT(parse_mem("articles.xml", doc, len, 0, &whole, NULL, &err), LM_OK);
    static const size_t steps[] = {1, 2, 3, 7, 64, 255, 4096};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        collect c;
        collect_init(&c);
        lm_pubmed_stats st;
        LM_CHECK_INT(parse_mem("articles.xml", doc, len, steps[k], &c, &st, &err), LM_OK);
        LM_CHECK_INT(c.n, whole.n);
        LM_CHECK_INT(st.bytes_xml, len);
        for (size_t i = 0; i < c.n && i < whole.n; i++) {
            LM_CHECK_INT(c.arts[i].pmid, whole.arts[i].pmid);
            LM_CHECK_STR(c.arts[i].title, whole.arts[i].title);
            LM_CHECK_STR(c.arts[i].abstract, whole.arts[i].abstract);
            LM_CHECK_STR(c.arts[i].journal, whole.arts[i].journal);
            LM_CHECK_INT(c.arts[i].n_mesh, whole.arts[i].n_mesh);
        }
        collect_free(&c);
    }
    collect_free(&whole);
    free(doc);
}

static void test_book_articles(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    LM_CHECK_INT(parse_path(FIX "book.xml", &c, &st, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n, 2);
    LM_CHECK_INT(st.book_articles, 2);
    LM_CHECK_INT(st.articles, 0);
    if (c.n < 2)
        return;
    const lm_article *a = &c.arts[0];
    LM_CHECK_INT(a->is_book, 1);
    LM_CHECK_INT(a->pmid, 20301001);
    LM_CHECK_STR(a->title, "Cystic Fibrosis");   /* BookDocument/ArticleTitle */
    LM_CHECK_STR(a->abstract,
                 "CLINICAL CHARACTERISTICS: Cystic fibrosis (CF) affects the CFTR gene. "
                 "DIAGNOSIS/TESTING: Sweat chloride ≥ 60 mmol/L.");
    LM_CHECK_INT(a->year, 1993);
    LM_CHECK_STR(a->language, "eng");
    LM_CHECK_STR(a->date_revised, "2024-01-09");
    LM_CHECK(a->journal == NULL);
    LM_CHECK_INT(a->n_pubtypes, 1);
    if (a->n_pubtypes == 1)
        LM_CHECK_STR(a->pubtypes[0].name, "Review");

    a = &c.arts[1];
    LM_CHECK_INT(a->is_book, 1);
    LM_CHECK_INT(a->pmid, 20301002);
    /* No ArticleTitle: the book's title. */
    LM_CHECK_STR(a->title, "Health Literacy: A Prescription to End Confusion");
    LM_CHECK_STR(a->abstract, "Nearly half of all American adults have difficulty.");
    LM_CHECK_INT(a->year, 2004);
    LM_CHECK_STR(a->doi, "10.17226/book.2002");
    collect_free(&c);
}

static void test_update_file_deletions(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    LM_CHECK_INT(parse_path(FIX "update.xml", &c, &st, NULL, &err), LM_OK);
    /* The second article has no MedlineCitation/PMID: it is skipped, and
     * the PMIDs of its CommentsCorrections / ReferenceList / ArticleIdList
     * must not be taken for its own. */
    LM_CHECK_INT(c.n, 1);
    LM_CHECK_INT(st.articles, 1);
    LM_CHECK_INT(st.rejected, 1);
    LM_CHECK_INT(c.n_reject, 1);
    LM_CHECK(strstr(c.rejects, "update.xml:") && strstr(c.rejects, "without a PMID"));
    if (c.n >= 1) {
        LM_CHECK_INT(c.arts[0].pmid, 32000001);
        LM_CHECK_INT(c.arts[0].version, 3);
        LM_CHECK_STR(c.arts[0].title, "Revised record.");
        LM_CHECK_STR(c.arts[0].date_revised, "2025-02-14");
        LM_CHECK_INT(c.arts[0].year, 2025);
    }
    LM_CHECK_INT(st.deletions, 3);
    LM_CHECK_INT(c.n_del, 3);
    if (c.n_del == 3) {
        LM_CHECK_INT(c.dels[0], 12345);
        LM_CHECK_INT(c.dels[1], 23456789);
        LM_CHECK_INT(c.dels[2], 34567890);
    }
    collect_free(&c);

    /* Without an on_delete handler deletions are still counted. */
    lm_pubmed_handler h = {NULL, NULL, NULL, NULL};
    LM_CHECK_INT(lm_pubmed_parse_file(FIX "update.xml", &h, NULL, NULL, &st, NULL, &err),
                 LM_OK);
    LM_CHECK_INT(st.deletions, 3);
    LM_CHECK_INT(st.articles, 1);
}

/* One article per PMID text; only the valid ones are delivered, each bad
 * one is reported with what it said and counted. */
static void test_invalid_pmids_reported(void)
{
    static const char *const pmids[] = {"101", "0", "-5", "12a", "1234567890123456789",
                                        "", "102"};
    lm_buf doc;
    lm_buf_init(&doc);
    lm_buf_append_str(&doc, "<PubmedArticleSet>");
    for (size_t i = 0; i < sizeof pmids / sizeof pmids[0]; i++)
        lm_buf_printf(&doc,
                      "<PubmedArticle><MedlineCitation><PMID Version=\"1\">%s</PMID>"
                      "<Article><ArticleTitle>T%zu.</ArticleTitle></Article>"
                      "</MedlineCitation></PubmedArticle>\n",
                      pmids[i], i);
    lm_buf_append_str(&doc, "<DeleteCitation><PMID>abc</PMID><PMID>103</PMID></DeleteCitation>"
                            "</PubmedArticleSet>");
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    LM_CHECK_INT(parse_mem("pmids.xml", doc.data, doc.len, 0, &c, &st, &err), LM_OK);
    LM_CHECK_INT(c.n, 2);
    LM_CHECK_INT(st.rejected, 6);
    LM_CHECK_INT(c.n_reject, 6);
    LM_CHECK_INT(c.n_del, 1);
    LM_CHECK(strstr(c.rejects, "pmids.xml:2: article with an invalid PMID \"0\"") != NULL);
    LM_CHECK(strstr(c.rejects, "\"-5\"") && strstr(c.rejects, "\"12a\""));
    LM_CHECK(strstr(c.rejects, "\"1234567890123456789\"") != NULL);
    LM_CHECK(strstr(c.rejects, "without a PMID") != NULL);
    LM_CHECK(strstr(c.rejects, "deletion of an invalid PMID \"abc\"") != NULL);
    collect_free(&c);
    lm_buf_free(&doc);
}

/* Appends one article whose abstract is n bytes of text, in sections of
 * at most `section` bytes. */
static void add_long_article(lm_buf *doc, int64_t pmid, size_t n, size_t section)
{
    lm_buf_printf(doc, "<PubmedArticle><MedlineCitation><PMID>%lld</PMID><Article>"
                       "<ArticleTitle>Long %lld.</ArticleTitle><Abstract>",
                  (long long)pmid, (long long)pmid);
    while (n > 0) {
        size_t k = n < section ? n : section;
        lm_buf_append_str(doc, "<AbstractText>");
        for (size_t i = 0; i < k; i++)
            lm_buf_append_char(doc, i % 8 == 7 ? ' ' : 'a');
        lm_buf_append_str(doc, "</AbstractText>");
        n -= k;
    }
    lm_buf_append_str(doc, "</Abstract></Article></MedlineCitation></PubmedArticle>\n");
}

/* A field over LM_PUBMED_FIELD_MAX, or an article over
 * LM_PUBMED_ARTICLE_MAX, is bad input: reported with its PMID, and the
 * articles after it are delivered. */
static void test_field_caps(void)
{
    lm_buf doc;
    lm_buf_init(&doc);
    lm_buf_append_str(&doc, "<PubmedArticleSet>\n");
    add_long_article(&doc, 201, 1000, 1000);
    add_long_article(&doc, 202, LM_PUBMED_FIELD_MAX + 8, LM_PUBMED_FIELD_MAX + 8);
    add_long_article(&doc, 203, LM_PUBMED_FIELD_MAX - 4096, 65536);   /* at the cap: fine */
    add_long_article(&doc, 204, LM_PUBMED_FIELD_MAX + 65536, 65536);  /* sections add up */
    /* Many MeSH headings: each field small, the article over its cap. */
    lm_buf_append_str(&doc, "<PubmedArticle><MedlineCitation><PMID>205</PMID>"
                            "<Article><ArticleTitle>Mesh.</ArticleTitle></Article>"
                            "<MeshHeadingList>");
    for (size_t i = 0; i < LM_PUBMED_ARTICLE_MAX / 64 + 1; i++)
        lm_buf_append_str(&doc, "<MeshHeading><DescriptorName UI=\"D1\">x</DescriptorName>"
                                "</MeshHeading>");
    lm_buf_append_str(&doc, "</MeshHeadingList></MedlineCitation></PubmedArticle>\n");
    add_long_article(&doc, 206, 10, 10);
    lm_buf_append_str(&doc, "</PubmedArticleSet>\n");
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    LM_CHECK_INT(parse_mem("caps.xml", doc.data, doc.len, 65536, &c, &st, &err), LM_OK);
    LM_CHECK_INT(c.n, 3);
    if (c.n == 3) {
        LM_CHECK_INT(c.arts[0].pmid, 201);
        LM_CHECK_INT(c.arts[1].pmid, 203);
        LM_CHECK(c.arts[1].abstract && strlen(c.arts[1].abstract) <= LM_PUBMED_FIELD_MAX);
        LM_CHECK_INT(c.arts[2].pmid, 206);
    }
    LM_CHECK_INT(st.rejected, 3);
    LM_CHECK(strstr(c.rejects, "caps.xml:3: PMID 202 not stored: its abstract is longer") !=
             NULL);
    LM_CHECK(strstr(c.rejects, "PMID 204 not stored: its abstract") != NULL);
    LM_CHECK(strstr(c.rejects, "PMID 205 not stored: its text in total") != NULL);
    collect_free(&c);
    lm_buf_free(&doc);
}

/* Bytes a declared encoding cannot convert stop the file with an error;
 * before, libxml2 halted and the rest of the file went unread in silence. */
static void test_undecodable_bytes(void)
{
    const char *doc = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><PubmedArticleSet>"
                      "<PubmedArticle><MedlineCitation><PMID>1</PMID></MedlineCitation>"
                      "</PubmedArticle><PubmedArticle><MedlineCitation><PMID>2</PMID><Article>"
                      "<ArticleTitle>\x80\xff\xfe\x81</ArticleTitle></Article>"
                      "</MedlineCitation></PubmedArticle></PubmedArticleSet>";
    collect c;
    collect_init(&c);
    lm_error err = {0};
    LM_CHECK_INT(parse_str(doc, &c, &err), LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "declared encoding") != NULL);
    LM_CHECK_INT(c.n, 1);
    collect_free(&c);
}

/* A named pipe nobody opens for writing gives up after the wait, or at
 * once when asked to stop; one whose writer comes in time is read. */
static lm_cancel stop_now = {1};

static void test_fifo_without_writer(void)
{
    const char *path = tmp_path("nobody.fifo");
    unlink(path);
    LM_CHECK(mkfifo(path, 0600) == 0);
    int fd = -1;
    lm_error err = {0};
    LM_CHECK_INT(lm_pubmed_open(path, 300, NULL, &fd, &err), LM_ERR_IO);
    LM_CHECK(strstr(err.msg, "no writer") != NULL);
    LM_CHECK_INT(fd, -1);
    LM_CHECK_INT(lm_pubmed_open(path, 60000, &stop_now, &fd, &err), LM_ERR_INTERRUPTED);
    pid_t child = fork();
    if (child == 0) {
        int w = open(path, O_WRONLY);
        const char *doc = "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID>"
                          "</MedlineCitation></PubmedArticle></PubmedArticleSet>";
        ssize_t wr = write(w, doc, strlen(doc));
        _exit(wr > 0 ? 0 : 1);
    }
    LM_CHECK_INT(lm_pubmed_open(path, 10000, NULL, &fd, &err), LM_OK);
    collect c;
    collect_init(&c);
    lm_pubmed_handler h = handler_for(&c);
    LM_CHECK_INT(lm_pubmed_parse_fd(fd, path, &h, NULL, NULL, NULL, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);
    close(fd);
    int status;
    waitpid(child, &status, 0);
    collect_free(&c);
    unlink(path);
}

static void test_malformed_after_good_articles(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    lm_file_digest d = {"x", "x"};
    lm_status s = parse_path(FIX "malformed.xml", &c, &st, &d, &err);
    LM_CHECK_INT(s, LM_ERR_PARSE);
    LM_CHECK_INT(err.code, LM_ERR_PARSE);
    /* Both complete articles were delivered before the fault. */
    LM_CHECK_INT(c.n, 2);
    LM_CHECK_INT(st.articles, 2);
    if (c.n == 2) {
        LM_CHECK_INT(c.arts[0].pmid, 33000001);
        LM_CHECK_INT(c.arts[1].pmid, 33000002);
        LM_CHECK_STR(c.arts[1].title, "Second good article.");
    }
    /* The unclosed <ArticleTitle> of line 23 is caught at </Article>. */
    LM_CHECK(strncmp(err.msg, FIX "malformed.xml:24: ", strlen(FIX "malformed.xml:24: ")) == 0);
    LM_CHECK(strstr(err.msg, "ArticleTitle") != NULL);
    LM_CHECK(err.msg[strlen(err.msg) - 1] != '\n');
    LM_CHECK_STR(d.xxh128, "");   /* file not read to the end */
    LM_CHECK_STR(d.md5, "");
    collect_free(&c);
}

static void test_truncated_document(void)
{
    size_t len;
    char *doc = synthetic_set(5000000, 40, &len);
    collect c;
    collect_init(&c);
    lm_error err = {0};
    /* Cut in the middle of the 21st article. */
    const char *cut = doc;
    for (int i = 0; i < 21; i++)
        cut = strstr(cut + 1, "<PubmedArticle>");
    size_t keep = (size_t)(cut - doc) + 100;
    lm_status s = parse_mem("cut.xml", doc, keep, 1000, &c, NULL, &err);
    LM_CHECK_INT(s, LM_ERR_PARSE);
    LM_CHECK_INT(c.n, 20);
    LM_CHECK(c.in_order);
    LM_CHECK(strncmp(err.msg, "cut.xml:", 8) == 0);
    collect_free(&c);
    free(doc);
}

static void test_html_page(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_status s = parse_path(FIX "page.html", &c, NULL, NULL, &err);
    LM_CHECK_INT(s, LM_ERR_FORMAT);
    LM_CHECK_STR(err.msg, FIX "page.html: got an HTML page instead of PubMed XML");
    LM_CHECK_INT(c.n, 0);

    static const char *pages[] = {
        "<html><head><title>x</title></head><body>Error</body></html>",
        "\xef\xbb\xbf  \r\n<!doctype HTML><html><body><p>Service unavailable<br></body>",
        "<HTML>\n<BODY>unclosed <p> tags everywhere",
        /* Well-formed XHTML behind an XML declaration: caught at the root. */
        ("<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">"
         "<body/></html>"),
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        lm_error_clear(&err);
        s = parse_mem("page", pages[i], strlen(pages[i]), 1, &c, NULL, &err);
        LM_CHECK_INT(s, LM_ERR_FORMAT);
        LM_CHECK_STR(err.msg, "page: got an HTML page instead of PubMed XML");
    }
    /* Prefixes that only look like HTML for a few bytes are XML. */
    LM_CHECK_INT(parse_str("<htmlish/>", &c, &err), LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "not PubMed XML (root element <htmlish>)") != NULL);
    LM_CHECK_INT(parse_str("<h", &c, &err), LM_ERR_PARSE);
    LM_CHECK_INT(c.n, 0);
}

static void test_eutils_error_bodies(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_status s = parse_path(FIX "eutils_error.xml", &c, NULL, NULL, &err);
    LM_CHECK_INT(s, LM_ERR_FORMAT);
    LM_CHECK_STR(err.msg, FIX "eutils_error.xml: NCBI E-utilities error: Cannot retrieve "
                          "history data. query_key: 1, WebEnv: MCID_0123456789abcdef, "
                          "retstart: 0, retmax: 200");

    s = parse_str("<?xml version=\"1.0\"?>\n<ERROR>Invalid uid 0 &amp; more</ERROR>\n",
                  &c, &err);
    LM_CHECK_INT(s, LM_ERR_FORMAT);
    LM_CHECK_STR(err.msg, "mem.xml: NCBI E-utilities error: Invalid uid 0 & more");

    s = parse_str("<eSearchResult><ERROR>Invalid db name specified: x</ERROR>"
                  "<ERROR>second</ERROR></eSearchResult>", &c, &err);
    LM_CHECK_INT(s, LM_ERR_FORMAT);
    LM_CHECK_STR(err.msg, "mem.xml: NCBI E-utilities error: Invalid db name "
                          "specified: x; second");

    /* Other E-utilities answers are not article sets. */
    s = parse_str("<eSearchResult><Count>3</Count><IdList/></eSearchResult>", &c, &err);
    LM_CHECK_INT(s, LM_ERR_FORMAT);
    LM_CHECK_STR(err.msg, "mem.xml: not PubMed XML (root element <eSearchResult>)");
    s = parse_str("<eSummaryResult/>", &c, &err);
    LM_CHECK_INT(s, LM_ERR_FORMAT);

    /* An eFetchResult without ERROR is merely empty. */
    LM_CHECK_INT(parse_str("<eFetchResult></eFetchResult>", &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 0);
}

static void test_empty_input(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    LM_CHECK_INT(parse_str("", &c, &err), LM_ERR_PARSE);
    LM_CHECK_STR(err.msg, "mem.xml: empty document");
    lm_error_clear(&err);
    LM_CHECK_INT(parse_str(" \n\t\n", &c, &err), LM_ERR_PARSE);
    LM_CHECK_STR(err.msg, "mem.xml: empty document");
    lm_error_clear(&err);
    LM_CHECK_INT(parse_str("<?xml version=\"1.0\"?>\n", &c, &err), LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "empty document") != NULL);

    const char *path = tmp_path("empty.xml");
    LM_CHECK_INT(write_file(path, "", 0), 0);
    lm_file_digest d;
    lm_pubmed_stats st;
    LM_CHECK_INT(parse_path(path, &c, &st, &d, &err), LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "empty document") != NULL);
    LM_CHECK_STR(d.xxh128, "99aa06d3014798d86001c324468d497f");   /* XXH3-128 of nothing */
    LM_CHECK_STR(d.md5, "");
    LM_CHECK_INT(st.bytes_in, 0);

    /* An empty but valid set is fine. */
    LM_CHECK_INT(parse_str("<PubmedArticleSet/>", &c, &err), LM_OK);
    LM_CHECK_INT(c.n, 0);
}

static void test_callback_stops_parse(void)
{
    collect c;
    collect_init(&c);
    c.stop_at = 2;
    lm_error err = {0};
    lm_pubmed_stats st;
    lm_status s = parse_path(FIX "articles.xml", &c, &st, NULL, &err);
    LM_CHECK_INT(s, LM_ERR_ABORTED);
    LM_CHECK_INT(err.code, LM_ERR_ABORTED);
    LM_CHECK_STR(err.msg, "test stops at PMID 31000002");
    LM_CHECK_INT(c.n, 2);            /* the third article is never delivered */
    LM_CHECK_INT(st.articles, 1);    /* the refused one is not counted */
    collect_free(&c);

    collect_init(&c);
    c.stop_del_at = 2;
    s = parse_path(FIX "update.xml", &c, &st, NULL, &err);
    LM_CHECK_INT(s, LM_ERR_DB);
    LM_CHECK_STR(err.msg, "test refuses deletion 23456789");
    LM_CHECK_INT(c.n_del, 2);
    collect_free(&c);

    /* A later feed keeps returning the first failure. */
    collect_init(&c);
    c.stop_at = 1;
    lm_pubmed_handler h = handler_for(&c);
    lm_pubmed_parser *p;
    LM_CHECK_INT(lm_pubmed_parser_init(&p, "x", &h, &err), LM_OK);
    const char *doc = "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>"
                      "</MedlineCitation></PubmedArticle>";
    LM_CHECK_INT(lm_pubmed_parser_feed(p, doc, strlen(doc), &err), LM_ERR_ABORTED);
    lm_error_clear(&err);
    LM_CHECK_INT(lm_pubmed_parser_feed(p, "<PubmedArticle>", 15, &err), LM_ERR_ABORTED);
    LM_CHECK_STR(err.msg, "test stops at PMID 1");
    LM_CHECK_INT(lm_pubmed_parser_finish(p, &err), LM_ERR_ABORTED);
    lm_pubmed_parser_free(p);
    collect_free(&c);
}

static void test_gzip_files(void)
{
    size_t len;
    char *doc = read_file(FIX "articles.xml", &len);
    LM_CHECK(doc != NULL);
    if (!doc)
        return;
    /* Named .xml on purpose: detection is by magic bytes. */
    const char *gz = tmp_path("articles-gzipped.xml");
    LM_CHECK_INT(write_gzip(gz, doc, len, 1), 0);
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    lm_file_digest d, want;
    LM_CHECK_INT(parse_path(gz, &c, &st, &d, &err), LM_OK);
    LM_CHECK_INT(c.n, 3);
    if (c.n == 3) {
        LM_CHECK_INT(c.arts[0].pmid, 31000001);
        LM_CHECK_STR(c.arts[2].journal, "Acta Ελληνική Ιατρική");
    }
    struct stat sb;
    LM_CHECK(stat(gz, &sb) == 0);
    LM_CHECK_INT(st.bytes_in, sb.st_size);
    LM_CHECK_INT(st.bytes_xml, len);
    /* Both digests are of the compressed bytes, as NLM's .md5 is. */
    LM_CHECK_INT(lm_digest_file(gz, LM_DIGEST_XXH128 | LM_DIGEST_MD5, &want, &err), LM_OK);
    LM_CHECK_STR(d.md5, want.md5);
    LM_CHECK_STR(d.xxh128, want.xxh128);
    char md5[33];
    md5_of_file(gz, md5);
    LM_CHECK_STR(d.md5, md5);
    collect_free(&c);

    /* Concatenated members (as `cat a.gz b.gz` makes) are one stream. */
    const char *multi = tmp_path("multi.xml.gz");
    LM_CHECK_INT(write_gzip(multi, doc, len, 3), 0);
    collect_init(&c);
    LM_CHECK_INT(parse_path(multi, &c, &st, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n, 3);
    LM_CHECK_INT(st.bytes_xml, len);
    collect_free(&c);
    free(doc);
}

static void test_truncated_gzip(void)
{
    size_t len;
    char *doc = synthetic_set(7000000, 400, &len);
    const char *full = tmp_path("big.xml.gz");
    LM_CHECK_INT(write_gzip(full, doc, len, 1), 0);
    size_t gzlen;
    char *gzdata = read_file(full, &gzlen);
    LM_CHECK(gzdata != NULL && gzlen > 1000);
    if (!gzdata) {
        free(doc);
        return;
    }
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    LM_CHECK_INT(parse_path(full, &c, &st, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n, 400);
    LM_CHECK(c.in_order);
    collect_free(&c);

    const char *cut = tmp_path("cut.xml.gz");
    LM_CHECK_INT(write_file(cut, gzdata, gzlen / 2), 0);
    collect_init(&c);
    lm_file_digest d;
    lm_status s = parse_path(cut, &c, &st, &d, &err);
    LM_CHECK_INT(s, LM_ERR_PARSE);
    char want[600];
    snprintf(want, sizeof want, "%s: truncated gzip data", cut);
    LM_CHECK_STR(err.msg, want);
    /* Everything that decompressed before the cut was delivered. */
    LM_CHECK(c.n > 50 && c.n < 400);
    LM_CHECK(c.in_order);
    LM_CHECK(c.n == 0 || c.arts[0].pmid == 7000000);
    LM_CHECK_INT(st.articles, c.n);
    /* The file was read to its end, so its digests are known. */
    char file_md5[33];
    md5_of_file(cut, file_md5);
    LM_CHECK_STR(d.md5, file_md5);
    LM_CHECK_INT(strlen(d.xxh128), 32);
    collect_free(&c);

    /* Only the gzip header survives. */
    LM_CHECK_INT(write_file(cut, gzdata, 12), 0);
    collect_init(&c);
    LM_CHECK_INT(parse_path(cut, &c, NULL, NULL, &err), LM_ERR_PARSE);
    LM_CHECK_STR(err.msg, want);

    /* A bad CRC is only found after the member's last chunk: every
     * article is still delivered, then the error is reported. */
    const char *crc = tmp_path("crc.xml.gz");
    gzdata[gzlen - 8] ^= 0x55;
    LM_CHECK_INT(write_file(crc, gzdata, gzlen), 0);
    gzdata[gzlen - 8] ^= 0x55;
    collect_free(&c);
    collect_init(&c);
    LM_CHECK_INT(parse_path(crc, &c, NULL, NULL, &err), LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "corrupt gzip data (incorrect data check)") != NULL);
    LM_CHECK_INT(c.n, 400);
    collect_free(&c);
    collect_init(&c);

    /* Corrupt: an unknown compression method in the header. */
    const char *bad = tmp_path("bad.xml.gz");
    gzdata[2] = 7;
    LM_CHECK_INT(write_file(bad, gzdata, gzlen), 0);
    LM_CHECK_INT(parse_path(bad, &c, NULL, NULL, &err), LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "corrupt gzip data") != NULL);
    LM_CHECK(strncmp(err.msg, bad, strlen(bad)) == 0);
    LM_CHECK_INT(c.n, 0);
    free(gzdata);
    free(doc);
}

static void test_stdin(void)
{
    int saved = dup(0);
    int fd = open(FIX "articles.xml", O_RDONLY);
    LM_CHECK(saved >= 0 && fd >= 0);
    if (saved < 0 || fd < 0)
        return;
    LM_CHECK(dup2(fd, 0) == 0);
    close(fd);
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_file_digest d;
    LM_CHECK_INT(parse_path("-", &c, NULL, &d, &err), LM_OK);
    LM_CHECK_INT(c.n, 3);
    LM_CHECK_STR(d.xxh128, ARTICLES_XXH128);
    LM_CHECK_STR(d.md5, "");
    collect_free(&c);

    fd = open(FIX "malformed.xml", O_RDONLY);
    dup2(fd, 0);
    close(fd);
    collect_init(&c);
    LM_CHECK_INT(parse_path("-", &c, NULL, NULL, &err), LM_ERR_PARSE);
    LM_CHECK(strncmp(err.msg, "<stdin>:24: ", 12) == 0);
    collect_free(&c);
    dup2(saved, 0);
    close(saved);
}

static void test_progress_and_stats(void)
{
    /* ~9 MB so that the 4 MB progress hook fires at least twice. */
    size_t len;
    char *doc = synthetic_set(1000000, 16000, &len);
    LM_CHECK(len > 8u * 1024 * 1024);
    const char *path = tmp_path("progress.xml");
    LM_CHECK_INT(write_file(path, doc, len), 0);
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_pubmed_stats st;
    lm_file_digest d, want;
    LM_CHECK_INT(parse_path(path, &c, &st, &d, &err), LM_OK);
    /* Hashed across many 256 KB reads, equal to one pass over the file. */
    LM_CHECK_INT(lm_digest_file(path, LM_DIGEST_XXH128, &want, &err), LM_OK);
    LM_CHECK_STR(d.xxh128, want.xxh128);
    LM_CHECK_STR(d.md5, "");

    /* Its gzip form spans more than one read too: the MD5, hashed a chunk
     * at a time on a helper thread while the parser inflates the same
     * chunk, must still be the whole file's. */
    const char *gz = tmp_path("progress.xml.gz");
    LM_CHECK_INT(write_gzip(gz, doc, len, 1), 0);
    struct stat sb;
    LM_CHECK(stat(gz, &sb) == 0 && sb.st_size > 256 * 1024);
    collect_free(&c);
    collect_init(&c);
    LM_CHECK_INT(parse_path(gz, &c, NULL, &d, &err), LM_OK);
    LM_CHECK_INT(c.n, 16000);
    LM_CHECK_INT(lm_digest_file(gz, LM_DIGEST_XXH128 | LM_DIGEST_MD5, &want, &err), LM_OK);
    LM_CHECK_STR(d.md5, want.md5);
    LM_CHECK_STR(d.xxh128, want.xxh128);
    LM_CHECK_INT(c.n, 16000);
    LM_CHECK_INT(st.articles, 16000);
    LM_CHECK_INT(st.bytes_in, len);
    LM_CHECK_INT(st.bytes_xml, len);
    LM_CHECK(c.progress_calls >= 2 && c.progress_calls <= 3);
    LM_CHECK(c.progress_monotonic);
    LM_CHECK(c.in_order);
    collect_free(&c);
    free(doc);
    unlink(path);
}

static void test_io_and_usage_errors(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    LM_CHECK_INT(parse_path(FIX "does-not-exist.xml", &c, NULL, NULL, &err), LM_ERR_IO);
    LM_CHECK(strstr(err.msg, "does-not-exist.xml") != NULL);

    lm_pubmed_handler h = handler_for(&c);
    lm_pubmed_parser *p;
    LM_CHECK_INT(lm_pubmed_parser_init(&p, NULL, &h, &err), LM_OK);
    LM_CHECK_INT(lm_pubmed_parser_feed(p, "<PubmedArticleSet/>", 19, &err), LM_OK);
    LM_CHECK_INT(lm_pubmed_parser_finish(p, &err), LM_OK);
    LM_CHECK_INT(lm_pubmed_parser_feed(p, " ", 1, &err), LM_ERR_USAGE);
    lm_pubmed_parser_free(p);
    lm_pubmed_parser_free(NULL);
}

/* Whitespace and control handling on text built to hit both the fast
 * check and the rewriting path, including 8-byte word boundaries. */
static void test_text_normalisation(void)
{
    static const struct {
        const char *xml, *want;
    } cases[] = {
        {"plain text", "plain text"},
        {"  lead and trail  ", "lead and trail"},
        {"a  b", "a b"},
        {"abcdefg  hijk", "abcdefg hijk"},     /* double space across words */
        {"abcdefgh  ijk", "abcdefgh ijk"},
        {"a!  b", "a! b"},
        {"tab\there\nand\r\nthere", "tab here and there"},
        {"nb&#160;&#160;sp x&#160;", "nb sp x"},
        {"c1&#x85;&#x9F;gone", "c1gone"},
        {"keep ± ° µ · signs", "keep ± ° µ · signs"},
        {"x", "x"},
        {"   ", NULL},
        {"<i> </i>", NULL},
        {"a<i> </i>b", "a b"},
        {"<b>bold</b><i>italic</i>", "bolditalic"},
        {"H<sub>2</sub>O and CO<sub>2</sub>", "H2O and CO2"},
        {"<![CDATA[x < y]]> ok", "x < y ok"},
        /* MathML whose prefix was never declared still yields its tokens. */
        {"if <mml:math><mml:mi>y</mml:mi><mml:mo>=</mml:mo><mml:mn>1</mml:mn>"
         "</mml:math> then", "if y=1 then"},
        {"<math xmlns=\"http://www.w3.org/1998/Math/MathML\">\n  <mrow>\n"
         "    <msub><mi>K</mi><mi>d</mi></msub>\n  </mrow>\n</math>", "Kd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lm_buf b;
        lm_buf_init(&b);
        lm_buf_printf(&b, "<PubmedArticleSet><PubmedArticle><MedlineCitation>"
                          "<PMID>42</PMID><Article><ArticleTitle>%s</ArticleTitle>"
                          "</Article></MedlineCitation></PubmedArticle>"
                          "</PubmedArticleSet>", cases[i].xml);
        collect c;
        collect_init(&c);
        lm_error err = {0};
        LM_CHECK_INT(parse_str(lm_buf_cstr(&b), &c, &err), LM_OK);
        LM_CHECK_INT(c.n, 1);
        if (c.n == 1)
            LM_CHECK_STR(c.arts[0].title, cases[i].want);
        collect_free(&c);
        lm_buf_free(&b);
    }
}

static void test_edge_structures(void)
{
    collect c;
    collect_init(&c);
    lm_error err = {0};
    /* Old DTD: no Version, no UI attributes; a label-only section; a
     * PubDate with both Year and MedlineDate; unknown elements nested deep
     * inside the article; a PubmedArticle outside the set's top level is
     * not an article of the set. */
    lm_buf b;
    lm_buf_init(&b);
    lm_buf_append_str(&b,
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID>"
        "<Article><Journal><JournalIssue><PubDate><Year>1975</Year>"
        "<MedlineDate>1980 Jan</MedlineDate></PubDate></JournalIssue></Journal>"
        "<ArticleTitle>Old</ArticleTitle><Abstract>"
        "<AbstractText Label=\"NOTE\"/><AbstractText>Body.</AbstractText>"
        "<AbstractText Label=\" multi\n  word \"> x </AbstractText>"
        "</Abstract><PublicationTypeList><PublicationType>Letter</PublicationType>"
        "</PublicationTypeList></Article><MeshHeadingList><MeshHeading>"
        "<DescriptorName MajorTopicYN=\"N\">Rats</DescriptorName>"
        "<QualifierName MajorTopicYN=\"N\">x</QualifierName></MeshHeading>"
        "<MeshHeading><QualifierName>no descriptor</QualifierName></MeshHeading>"
        "</MeshHeadingList><Junk>");
    for (int i = 0; i < 200; i++)
        lm_buf_append_str(&b, "<Deep a=\"1\"><PMID>999</PMID>");
    for (int i = 0; i < 200; i++)
        lm_buf_append_str(&b, "</Deep>");
    lm_buf_append_str(&b,
        "</Junk></MedlineCitation><Wrapper><PubmedArticle><MedlineCitation>"
        "<PMID>8</PMID></MedlineCitation></PubmedArticle></Wrapper>"
        "</PubmedArticle></PubmedArticleSet>");
    LM_CHECK_INT(parse_str(lm_buf_cstr(&b), &c, &err), LM_OK);
    lm_buf_free(&b);
    LM_CHECK_INT(c.n, 1);
    if (c.n == 1) {
        const lm_article *a = &c.arts[0];
        LM_CHECK_INT(a->pmid, 7);
        LM_CHECK_INT(a->version, 1);
        LM_CHECK_INT(a->year, 1975);
        LM_CHECK_STR(a->abstract, "NOTE: Body. multi word: x");
        LM_CHECK_INT(a->n_pubtypes, 1);
        if (a->n_pubtypes == 1) {
            LM_CHECK(a->pubtypes[0].ui == NULL);
            LM_CHECK_STR(a->pubtypes[0].name, "Letter");
        }
        LM_CHECK_INT(a->n_mesh, 1);
        if (a->n_mesh == 1) {
            LM_CHECK(a->mesh[0].ui == NULL);
            LM_CHECK_STR(a->mesh[0].name, "Rats");
            LM_CHECK_INT(a->mesh[0].major_topic, 0);
        }
    }
    collect_free(&c);

    /* A text node beyond libxml2's default 10 MB limit streams through
     * the SAX handler (no XML_PARSE_HUGE needed); over litmine's cap, the
     * article is reported and the next one delivered. */
    lm_buf_init(&b);
    lm_buf_append_str(&b, "<PubmedArticleSet><PubmedArticle><MedlineCitation>"
                          "<PMID>9</PMID><Article><Abstract><AbstractText>");
    while (b.len < 10500000)
        lm_buf_append_str(&b, "lorem ipsum ");
    lm_buf_append_str(&b, "end</AbstractText></Abstract></Article></MedlineCitation>"
                          "</PubmedArticle><PubmedArticle><MedlineCitation><PMID>10</PMID>"
                          "</MedlineCitation></PubmedArticle></PubmedArticleSet>");
    collect_init(&c);
    LM_CHECK_INT(parse_mem("huge.xml", b.data, b.len, 256 * 1024, &c, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);
    LM_CHECK(c.n == 1 && c.arts[0].pmid == 10);
    LM_CHECK(strstr(c.rejects, "PMID 9 not stored: its abstract") != NULL);
    /* A token libxml2 must hold whole (an attribute value) over its 10 MB
     * limit is an error, not unbounded memory. */
    lm_buf_reset(&b);
    lm_buf_append_str(&b, "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>11</PMID>"
                          "</MedlineCitation></PubmedArticle><X a=\"");
    while (b.len < 10500000)
        lm_buf_append_str(&b, "xxxxxxxxxxxxxxxx");
    lm_buf_append_str(&b, "\"/></PubmedArticleSet>");
    collect_free(&c);
    collect_init(&c);
    LM_CHECK_INT(parse_mem("attr.xml", b.data, b.len, 256 * 1024, &c, NULL, &err), LM_ERR_PARSE);
    LM_CHECK_INT(c.n, 1);
    collect_free(&c);
    lm_buf_free(&b);

    /* A document cut off inside the root after a complete article. */
    collect_init(&c);
    LM_CHECK_INT(parse_str("<PubmedArticleSet><PubmedArticle><MedlineCitation>"
                           "<PMID>10</PMID></MedlineCitation></PubmedArticle>",
                           &c, &err), LM_ERR_PARSE);
    LM_CHECK_INT(c.n, 1);
    LM_CHECK(strncmp(err.msg, "mem.xml:1: ", 11) == 0);
    collect_free(&c);
}

/* ---- the real NCBI samples in ../shared/data -------------------------- */

typedef struct expect {
    const char *path;        /* under pubmed_eutils/ */
    uint64_t articles, books, deletions;
} expect;

/* Counted with zcat/grep -o '<PubmedArticle>' | wc -l and the like. */
static const expect expected[] = {
    {"biopython/pubmed1.xml", 2, 0, 0},
    {"biopython/pubmed2.xml", 2, 0, 0},
    {"biopython/pubmed4.xml", 1, 0, 0},
    {"biopython/pubmed5.xml", 1, 0, 0},
    {"biopython/pubmed6.xml", 1, 0, 0},
    {"biopython/pubmed7.xml", 1, 0, 0},
    {"biopython/old2008/pubmed1.xml", 2, 0, 0},
    {"biopython/old2008/pubmed2.xml", 2, 0, 0},
    {"eutils_json_samples/efetch.pubmed.xml", 2, 0, 0},
    {"eutils_json_samples/efetch.pubmedbook.xml", 0, 1, 0},
    {"eutils_json_samples/efetch.pubmedexample.xml", 1, 1, 0},
    {"pmparser_bulk_samples/pubmed20n1015.xml.gz", 29, 0, 0},
    {"pmparser_bulk_samples/pubmed20n1016.xml.gz", 28, 0, 262},
    {"pmparser_bulk_samples/pubmed26n1334.xml.gz", 30, 0, 0},
    {"pmparser_bulk_samples/pubmed26n1335.xml.gz", 30, 0, 6},
};

static int skipped_by_name(const char *name)
{
    static const char *prefixes[] = {"esearch", "einfo", "elink", "epost", "espell",
                                     "esummary"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const char *shared_file(const char *rel)
{
    static char path[1024];
    const char *d = lm_test_shared_data();
    snprintf(path, sizeof path, "%s/pubmed_eutils/%s", d ? d : ".", rel);
    return path;
}

static void test_shared_all_article_sets(void)
{
    const char *data = lm_test_shared_data();
    if (!data)
        LM_SKIP("../shared/data not present");
    static const char *dirs[] = {"biopython", "biopython/old2008", "eutils_json_samples",
                                 "pmparser_bulk_samples"};
    int files = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char dirpath[1024];
        snprintf(dirpath, sizeof dirpath, "%s/pubmed_eutils/%s", data, dirs[d]);
        DIR *dir = opendir(dirpath);
        LM_CHECK(dir != NULL);
        if (!dir)
            continue;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (!(has_suffix(e->d_name, ".xml") || has_suffix(e->d_name, ".xml.gz")) ||
                skipped_by_name(e->d_name))
                continue;
            char rel[512], path[1600];
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], e->d_name);
            snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
            const expect *x = NULL;
            for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
                if (strcmp(expected[i].path, rel) == 0)
                    x = &expected[i];
            if (!x)
                fprintf(stderr, "  no expected counts for %s\n", rel);
            LM_CHECK(x != NULL);
            collect c;
            collect_init(&c);
            lm_error err = {0};
            lm_pubmed_stats st;
            lm_status s = parse_path(path, &c, &st, NULL, &err);
            if (s != LM_OK)
                fprintf(stderr, "  %s: %s\n", rel, err.msg);
            LM_CHECK_INT(s, LM_OK);
            if (x) {
                LM_CHECK_INT(st.articles, x->articles);
                LM_CHECK_INT(st.book_articles, x->books);
                LM_CHECK_INT(st.deletions, x->deletions);
            }
            LM_CHECK_INT(st.rejected, 0);
            /* Every delivered article has a PMID, a title and valid text. */
            size_t keep = c.n < MAX_KEEP ? c.n : MAX_KEEP;
            for (size_t i = 0; i < keep; i++) {
                LM_CHECK(c.arts[i].pmid > 0);
                LM_CHECK(c.arts[i].title != NULL);
                LM_CHECK(c.arts[i].year >= 1900 && c.arts[i].year <= 2100);
            }
            collect_free(&c);
            files++;
        }
        closedir(dir);
    }
    LM_CHECK_INT(files, (int)(sizeof expected / sizeof expected[0]));
}

static void test_shared_field_values(void)
{
    if (!lm_test_shared_data())
        LM_SKIP("../shared/data not present");
    collect c;
    collect_init(&c);
    lm_error err = {0};

    /* Structured abstract with Label headings and inline <i>/<sub>. */
    LM_CHECK_INT(parse_path(shared_file("biopython/pubmed4.xml"), &c, NULL, NULL, &err),
                 LM_OK);
    if (c.n == 1) {
        const lm_article *a = &c.arts[0];
        LM_CHECK_INT(a->pmid, 27797938);
        LM_CHECK_STR(a->title, "Leucocyte telomere length, genetic variants at the TERT "
                               "gene region and risk of pancreatic cancer.");
        LM_CHECK(strncmp(a->abstract, "OBJECTIVE: Telomere shortening occurs as an early "
                         "event in pancreatic tumorigenesis, and genetic variants at the "
                         "telomerase reverse transcriptase (TERT) gene region", 155) == 0);
        LM_CHECK(strstr(a->abstract, " DESIGN: We measured prediagnostic") != NULL);
        LM_CHECK(strstr(a->abstract, " RESULTS: Shorter prediagnostic") != NULL);
        LM_CHECK(strstr(a->abstract, "95% CI 1.07 to 2.78; ptrend=0.048)") != NULL);
        LM_CHECK(strstr(a->abstract, " CONCLUSIONS: Prediagnostic leucocyte") != NULL);
        LM_CHECK(strstr(a->abstract, "BMJ Publishing") == NULL);   /* copyright */
        LM_CHECK_STR(a->journal, "Gut");
        LM_CHECK_INT(a->year, 2017);
        LM_CHECK_STR(a->doi, "10.1136/gutjnl-2016-312510");
        LM_CHECK_STR(a->date_revised, "2018-04-17");
        LM_CHECK_INT(a->n_mesh, 21);
        if (a->n_mesh == 21) {
            LM_CHECK_STR(a->mesh[0].name, "Adenocarcinoma");
            LM_CHECK_INT(a->mesh[0].major_topic, 1);
            LM_CHECK_STR(a->mesh[8].ui, "D006801");
            LM_CHECK_INT(a->mesh[8].major_topic, 0);
        }
    }
    LM_CHECK_INT(c.n, 1);
    collect_free(&c);

    /* Pretty-printed MathML inside an abstract (pubmed6.xml). */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("biopython/pubmed6.xml"), &c, NULL, NULL, &err),
                 LM_OK);
    if (c.n == 1) {
        LM_CHECK_INT(c.arts[0].pmid, 30108519);
        LM_CHECK(strstr(c.arts[0].abstract,
                        "maximal oxygen uptake ( V.O2max ) 67.6 ± 4.1 ml·kg-1·min-1]") != NULL);
    }
    collect_free(&c);

    /* An article without an abstract, then one with. */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("biopython/pubmed1.xml"), &c, NULL, NULL, &err),
                 LM_OK);
    LM_CHECK_INT(c.n, 2);
    if (c.n == 2) {
        LM_CHECK_INT(c.arts[0].pmid, 12091962);
        LM_CHECK(c.arts[0].abstract == NULL);
        LM_CHECK_INT(c.arts[0].year, 1990);
        LM_CHECK(c.arts[0].doi == NULL);
        LM_CHECK_INT(c.arts[1].pmid, 9997);
        LM_CHECK_STR(c.arts[1].doi, "10.1016/0005-2795(76)90109-4");
        LM_CHECK_INT(c.arts[1].n_mesh, 13);
        if (c.arts[1].n_mesh == 13) {
            LM_CHECK_STR(c.arts[1].mesh[1].name, "Chromatium");
            LM_CHECK_INT(c.arts[1].mesh[1].major_topic, 1);   /* qualifier Y */
        }
    }
    collect_free(&c);

    /* The 2008 DTD: <PMID> without Version. */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("biopython/old2008/pubmed1.xml"), &c, NULL, NULL,
                            &err), LM_OK);
    if (c.n == 2) {
        LM_CHECK_INT(c.arts[1].pmid, 9997);
        LM_CHECK_INT(c.arts[1].version, 1);
        LM_CHECK_STR(c.arts[1].date_revised, "2003-11-14");
    }
    collect_free(&c);

    /* Book article: title from Book/BookTitle, year from Book/PubDate. */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("eutils_json_samples/efetch.pubmedbook.xml"), &c,
                            NULL, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n, 1);
    if (c.n == 1) {
        const lm_article *a = &c.arts[0];
        LM_CHECK_INT(a->is_book, 1);
        LM_CHECK_INT(a->pmid, 20301295);
        LM_CHECK_STR(a->title, "GeneReviews™");
        LM_CHECK_INT(a->year, 1993);
        LM_CHECK_STR(a->language, "eng");
        LM_CHECK(strncmp(a->abstract, "GeneReviews are expert-authored, peer-reviewed "
                         "disease descriptions", 67) == 0);
        LM_CHECK(strstr(a->abstract, "Copyright") == NULL);
    }
    collect_free(&c);

    /* OtherAbstract must not leak into the abstract. */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("eutils_json_samples/efetch.pubmedexample.xml"), &c,
                            NULL, NULL, &err), LM_OK);
    if (c.n == 2) {
        LM_CHECK_STR(c.arts[0].abstract, "dummy-label: Lorem ipsum and ipsum lorem.");
        LM_CHECK_STR(c.arts[0].title, "Sequencing and analysis of chromosome 1 of Eimeria "
                                      "tenella reveals a unique segmental organization.");
        LM_CHECK_STR(c.arts[0].doi, "10.1101/gr.5823007");
        LM_CHECK_STR(c.arts[1].title, "GeneReviews™");
    }
    collect_free(&c);

    /* Bulk file: first article of pubmed20n1015. */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("pmparser_bulk_samples/pubmed20n1015.xml.gz"), &c,
                            NULL, NULL, &err), LM_OK);
    if (c.n >= 1) {
        const lm_article *a = &c.arts[0];
        LM_CHECK_INT(a->pmid, 31810487);
        LM_CHECK_STR(a->title, "Risk factors for the development of acute respiratory "
                               "distress syndrome in mechanically ventilated adults in "
                               "Peru: a multicenter observational study.");
        LM_CHECK_STR(a->journal, "Critical care (London, England)");
        LM_CHECK_INT(a->year, 2019);
        LM_CHECK_STR(a->doi, "10.1186/s13054-019-2646-8");
        LM_CHECK_STR(a->date_revised, "2019-12-13");
        LM_CHECK(strncmp(a->abstract, "BACKGROUND: Clinical and epidemiological", 40) == 0);
        /* The source has thin spaces (U+2009) there; they are kept. */
        LM_CHECK(strstr(a->abstract, "(27.3 vs 26.5\xe2\x80\x89kg/m2, p <\xe2\x80\x89"
                                     "0.01)") != NULL);
        LM_CHECK(strstr(a->abstract, " CONCLUSIONS: In this study") != NULL);
    }
    collect_free(&c);

    /* Update file: its DeleteCitation block, first and last PMID. */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("pmparser_bulk_samples/pubmed20n1016.xml.gz"), &c,
                            NULL, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n_del, 262);
    if (c.n_del == 262) {
        LM_CHECK_INT(c.dels[0], 31034065);
        LM_CHECK_INT(c.dels[261], 31845705);
    }
    collect_free(&c);

    /* References carry their own DOIs; the article keeps its own. */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("pmparser_bulk_samples/pubmed26n1335.xml.gz"), &c,
                            NULL, NULL, &err), LM_OK);
    LM_CHECK_INT(c.n_del, 6);
    if (c.n_del == 6) {
        LM_CHECK_INT(c.dels[0], 41456105);
        LM_CHECK_INT(c.dels[5], 41618779);
    }
    int found = 0;
    for (size_t i = 0; i < c.n && i < MAX_KEEP; i++) {
        if (c.arts[i].pmid == 41486382) {
            found = 1;
            LM_CHECK_STR(c.arts[i].doi, "10.1038/s41598-025-34367-8");
            LM_CHECK_STR(c.arts[i].journal, "Scientific reports");
        }
        if (c.arts[i].pmid == 41618279) {
            LM_CHECK(strstr(c.arts[i].abstract, "The Author(s)") == NULL);
            LM_CHECK(has_suffix(c.arts[i].abstract, "sub-national coordination is "
                                                    "indicated."));
        }
    }
    LM_CHECK(found);
    collect_free(&c);

    /* Heavy inline markup in the 2026 baseline sample. */
    collect_init(&c);
    LM_CHECK_INT(parse_path(shared_file("pmparser_bulk_samples/pubmed26n1334.xml.gz"), &c,
                            NULL, NULL, &err), LM_OK);
    found = 0;
    for (size_t i = 0; i < c.n && i < MAX_KEEP; i++)
        if (c.arts[i].pmid == 41580931) {
            found = 1;
            LM_CHECK(strstr(c.arts[i].abstract, "2D molybdenum disulfide (MoS2). By") != NULL);
            LM_CHECK(strstr(c.arts[i].abstract, "detectivity of 1.8 × 1014 Jones") != NULL);
            LM_CHECK_STR(c.arts[i].doi, "10.1002/adma.202518146");
        }
    LM_CHECK(found);
    collect_free(&c);
}

static void test_shared_error_bodies(void)
{
    if (!lm_test_shared_data())
        LM_SKIP("../shared/data not present");
    collect c;
    collect_init(&c);
    lm_error err = {0};
    LM_CHECK_INT(parse_path(shared_file("biopython/pubmed3.html"), &c, NULL, NULL, &err),
                 LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "got an HTML page instead of PubMed XML") != NULL);
    LM_CHECK_INT(c.n, 0);

    LM_CHECK_INT(parse_path(shared_file("eutils_json_samples/esearch.baderror.xml"), &c,
                            NULL, NULL, &err), LM_ERR_FORMAT);
    LM_CHECK(has_suffix(err.msg, "NCBI E-utilities error: Invalid db name specified: "
                                 "fleegle"));
    LM_CHECK_INT(parse_path(shared_file("eutils_json_samples/einfo.error.xml"), &c, NULL,
                            NULL, &err), LM_ERR_FORMAT);
    LM_CHECK(has_suffix(err.msg, "Can not retrieve DbInfo for db=fleegle"));
    LM_CHECK_INT(parse_path(shared_file("biopython/epost2.xml"), &c, NULL, NULL, &err),
                 LM_ERR_FORMAT);
    LM_CHECK(has_suffix(err.msg, "Invalid db name specified: nothing"));
    LM_CHECK_INT(parse_path(shared_file("biopython/esearch2.xml"), &c, NULL, NULL, &err),
                 LM_ERR_FORMAT);
    LM_CHECK(strstr(err.msg, "root element <eSearchResult>") != NULL);
}

/* The streamed MD5 of the compressed bulk files equals NLM's .md5. */
static void test_shared_md5_matches_published(void)
{
    if (!lm_test_shared_data())
        LM_SKIP("../shared/data not present");
    static const char *files[] = {"pubmed26n1334.xml.gz", "pubmed26n1335.xml.gz"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "pmparser_bulk_samples/%s.md5", files[i]);
        size_t len;
        char *published = read_file(shared_file(rel), &len);
        LM_CHECK(published != NULL);
        if (!published)
            continue;
        /* "MD5(pubmed26n1334.xml.gz)= 3cf5...e73\n" */
        const char *eq = strstr(published, "= ");
        LM_CHECK(eq != NULL);
        char want[33] = "";
        if (eq)
            snprintf(want, sizeof want, "%.32s", eq + 2);
        snprintf(rel, sizeof rel, "pmparser_bulk_samples/%s", files[i]);
        collect c;
        collect_init(&c);
        lm_error err = {0};
        lm_file_digest d;
        LM_CHECK_INT(parse_path(shared_file(rel), &c, NULL, &d, &err), LM_OK);
        LM_CHECK_INT(strlen(want), 32);
        LM_CHECK_STR(d.md5, want);
        collect_free(&c);
        free(published);
    }
    /* The 2020 samples have no .md5 beside them; values from md5sum. */
    collect c;
    collect_init(&c);
    lm_error err = {0};
    lm_file_digest d;
    LM_CHECK_INT(parse_path(shared_file("pmparser_bulk_samples/pubmed20n1016.xml.gz"), &c,
                            NULL, &d, &err), LM_OK);
    LM_CHECK_STR(d.md5, "172c419989004902fa52df9e632de33a");
    collect_free(&c);
}

int main(void)
{
    LM_RUN(test_structured_abstract_and_markup);
    LM_RUN(test_whole_record);
    LM_RUN(test_missing_abstract_and_fallbacks);
    LM_RUN(test_non_ascii_and_entities);
    LM_RUN(test_chunked_feeding);
    LM_RUN(test_book_articles);
    LM_RUN(test_update_file_deletions);
    LM_RUN(test_invalid_pmids_reported);
    LM_RUN(test_field_caps);
    LM_RUN(test_undecodable_bytes);
    LM_RUN(test_fifo_without_writer);
    LM_RUN(test_malformed_after_good_articles);
    LM_RUN(test_truncated_document);
    LM_RUN(test_html_page);
    LM_RUN(test_eutils_error_bodies);
    LM_RUN(test_empty_input);
    LM_RUN(test_callback_stops_parse);
    LM_RUN(test_gzip_files);
    LM_RUN(test_truncated_gzip);
    LM_RUN(test_stdin);
    LM_RUN(test_progress_and_stats);
    LM_RUN(test_io_and_usage_errors);
    LM_RUN(test_text_normalisation);
    LM_RUN(test_edge_structures);
    LM_RUN(test_shared_all_article_sets);
    LM_RUN(test_shared_field_values);
    LM_RUN(test_shared_error_bodies);
    LM_RUN(test_shared_md5_matches_published);
    return LM_DONE();
}
