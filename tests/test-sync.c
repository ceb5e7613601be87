/*
 * Tests for pipeline/lm_sync: the bulk-file sync, run in C against a
 * file:// mirror made here (gzipped files with NLM-style .md5 files beside
 * them) — listing, the ingest log's skip, the spool's cleanup, the order
 * of directories and the stop at the first bad file.
 */
#include "../pipeline/lm_sync.h"
#include "../util/lm_md5.h"
#include "lm_test.h"
#include "lm_test_store.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static char base_url[600];
static char mirror[512];

/* Writes dir/name (gzip) holding articles first..first+n-1, and its .md5
 * (with a wrong sum when bad_md5). */
static int put_file(const char *dir, const char *name, int first, int n, int bad_md5)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s/%s", mirror, dir, name);
    gzFile gz = gzopen(path, "wb");
    if (!gz)
        return 0;
    gzprintf(gz, "<?xml version=\"1.0\"?>\n<PubmedArticleSet>\n");
    for (int i = 0; i < n; i++)
        gzprintf(gz,
                 "<PubmedArticle><MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\">"
                 "<PMID Version=\"1\">%d</PMID><Article><Journal><Title>J</Title>"
                 "<JournalIssue><PubDate><Year>2024</Year></PubDate></JournalIssue></Journal>"
                 "<ArticleTitle>Article %d on aspirin.</ArticleTitle>"
                 "<Abstract><AbstractText>Aspirin was given.</AbstractText></Abstract>"
                 "</Article></MedlineCitation></PubmedArticle>\n",
                 first + i, first + i);
    gzprintf(gz, "</PubmedArticleSet>\n");
    gzclose(gz);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    lm_md5 m;
    lm_md5_init(&m);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        lm_md5_update(&m, buf, got);
    fclose(f);
    char hex[33];
    lm_md5_final_hex(&m, hex);
    if (bad_md5)
        hex[0] = hex[0] == '0' ? '1' : '0';
    char md5_path[720];
    snprintf(md5_path, sizeof md5_path, "%s.md5", path);
    f = fopen(md5_path, "w");
    if (!f)
        return 0;
    fprintf(f, "MD5(%s)= %s\n", name, hex);
    return fclose(f) == 0;
}

static void make_mirror(const char *name)
{
    snprintf(mirror, sizeof mirror, "%s/%s", lm_test_tmpdir(), name);
    char sub[600];
    mkdir(mirror, 0755);
    snprintf(sub, sizeof sub, "%s/baseline", mirror);
    mkdir(sub, 0755);
    snprintf(sub, sizeof sub, "%s/updatefiles", mirror);
    mkdir(sub, 0755);
    snprintf(sub, sizeof sub, "%s/spool", mirror);
    mkdir(sub, 0755);
    snprintf(base_url, sizeof base_url, "file://%s", mirror);
}

static size_t files_in(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

typedef struct seen {
    int downloads, ingested;
    int64_t articles;
    char order[4][32];
} seen;

static void on_download(void *ctx, const char *url)
{
    (void)url;
    ((seen *)ctx)->downloads++;
}

static void on_ingested(void *ctx, const char *name, const lm_ingest_result *res)
{
    seen *s = ctx;
    if (s->ingested < 4)
        snprintf(s->order[s->ingested], sizeof s->order[0], "%s", name);
    s->ingested++;
    s->articles += res->counts.articles;
}

static lm_http *make_http(void)
{
    lm_http_config cfg = {.max_tries = 1};
    lm_http *h = NULL;
    lm_error err;
    if (lm_http_init(&h, &cfg, &err) != LM_OK)
        fprintf(stderr, "http: %s\n", err.msg);
    return h;
}

static lm_sync_options options(seen *s, char *spool, size_t cap)
{
    snprintf(spool, cap, "%s/spool", mirror);
    lm_sync_options o = {.base_url = base_url,
                         .baseline = 1,
                         .updates = 1,
                         .spool = spool,
                         .ingest = {.batch_size = 10, .threads = 1},
                         .on_download = on_download,
                         .on_ingested = on_ingested,
                         .ctx = s};
    return o;
}

static void test_sync_then_nothing_new(void)
{
    make_mirror("m1");
    LM_CHECK(put_file("updatefiles", "pubmed99n0003.xml.gz", 3000, 1, 0));
    LM_CHECK(put_file("baseline", "pubmed99n0002.xml.gz", 2000, 2, 0));
    LM_CHECK(put_file("baseline", "pubmed99n0001.xml.gz", 1000, 3, 0));
    lm_store *store = lm_test_open_store("m1.db");
    lm_http *http = make_http();
    LM_CHECK(store && http);
    if (!store || !http)
        return;
    seen s = {0};
    char spool[700];
    lm_sync_options o = options(&s, spool, sizeof spool);
    lm_sync_result r;
    lm_error err = {0};
    LM_CHECK_INT(lm_sync_run(store, http, &o, &r, &err), LM_OK);
    LM_CHECK_INT(r.files_done, 3);
    LM_CHECK_INT(r.failed, LM_SYNC_DONE);
    LM_CHECK_INT(s.downloads, 3);
    LM_CHECK_INT(s.articles, 6);
    /* baseline before updates, each in numeric order */
    LM_CHECK_STR(s.order[0], "pubmed99n0001.xml.gz");
    LM_CHECK_STR(s.order[1], "pubmed99n0002.xml.gz");
    LM_CHECK_STR(s.order[2], "pubmed99n0003.xml.gz");
    LM_CHECK_INT(files_in(spool), 0);
    int done = 0;
    LM_CHECK_INT(lm_store_ingest_done(store, "pubmed99n0003.xml.gz", &done, &err), LM_OK);
    LM_CHECK(done);

    /* A second run finds every file in the ingest log. */
    memset(&s, 0, sizeof s);
    LM_CHECK_INT(lm_sync_run(store, http, &o, &r, &err), LM_OK);
    LM_CHECK_INT(r.files_done, 0);
    LM_CHECK_INT(s.downloads, 0);

    /* --updates alone with --keep: the new update file stays in the spool. */
    LM_CHECK(put_file("updatefiles", "pubmed99n0004.xml.gz", 4000, 1, 0));
    o.baseline = 0;
    o.keep = 1;
    LM_CHECK_INT(lm_sync_run(store, http, &o, &r, &err), LM_OK);
    LM_CHECK_INT(r.files_done, 1);
    LM_CHECK_INT(files_in(spool), 1);
    lm_http_free(http);
    lm_store_close(store);
}

static void test_stops_at_first_bad_file(void)
{
    make_mirror("m2");
    LM_CHECK(put_file("baseline", "pubmed99n0001.xml.gz", 1000, 1, 0));
    LM_CHECK(put_file("updatefiles", "pubmed99n0002.xml.gz", 2000, 1, 1));
    LM_CHECK(put_file("updatefiles", "pubmed99n0003.xml.gz", 3000, 1, 0));
    lm_store *store = lm_test_open_store("m2.db");
    lm_http *http = make_http();
    LM_CHECK(store && http);
    if (!store || !http)
        return;
    seen s = {0};
    char spool[700];
    lm_sync_options o = options(&s, spool, sizeof spool);
    lm_sync_result r;
    lm_error err = {0};
    LM_CHECK(lm_sync_run(store, http, &o, &r, &err) != LM_OK);
    LM_CHECK_INT(r.failed, LM_SYNC_DOWNLOAD);
    LM_CHECK_INT(r.files_done, 1);
    LM_CHECK(strstr(err.msg, "pubmed99n0002.xml.gz") != NULL);
    /* The file after the bad one waits for the next run (order matters). */
    int done = 1;
    LM_CHECK_INT(lm_store_ingest_done(store, "pubmed99n0003.xml.gz", &done, &err), LM_OK);
    LM_CHECK(!done);

    /* A directory that cannot be listed names its URL. */
    snprintf(base_url, sizeof base_url, "file://%s/absent", mirror);
    LM_CHECK(lm_sync_run(store, http, &o, &r, &err) != LM_OK);
    LM_CHECK_INT(r.failed, LM_SYNC_LIST);
    LM_CHECK(strstr(err.msg, "listing file://") != NULL);

    /* Nothing asked for is a usage error. */
    o.baseline = o.updates = 0;
    LM_CHECK_INT(lm_sync_run(store, http, &o, &r, &err), LM_ERR_USAGE);
    lm_http_free(http);
    lm_store_close(store);
}

int main(void)
{
    LM_RUN(test_sync_then_nothing_new);
    LM_RUN(test_stops_at_first_bad_file);
    return LM_DONE();
}
