/*
 * Tests for pipeline/lm_sync and pipeline/lm_nightly, in C without the
 * binary.  The sync runs against a file:// mirror made here (gzipped files
 * with NLM-style .md5 files beside them): listing, the ingest log's skip,
 * the spool's cleanup, the order of directories and the stop at the first
 * bad file.  The nightly run goes through its steps — watches against the
 * stand-in E-utilities server, the sync from such a mirror — and its
 * summary counts what this run logged.
 */
#include "../pipeline/lm_nightly.h"
#include "../util/lm_md5.h"
#include "lm_test.h"
#include "lm_test_server.h"
#include "lm_test_store.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static char mirror_base[600];
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
    snprintf(mirror_base, sizeof mirror_base, "file://%s", mirror);
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
    lm_sync_options o = {.base_url = mirror_base,
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

    /* A cancelled token stops the ingest: nothing of the file is logged. */
    LM_CHECK(put_file("updatefiles", "pubmed99n0005.xml.gz", 5000, 3, 0));
    lm_cancel cancel = {1};
    o.ingest.cancel = &cancel;
    LM_CHECK_INT(lm_sync_run(store, http, &o, &r, &err), LM_ERR_INTERRUPTED);
    LM_CHECK_INT(r.files_done, 0);
    LM_CHECK_INT(lm_store_ingest_done(store, "pubmed99n0005.xml.gz", &done, &err), LM_OK);
    LM_CHECK(!done);
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
    snprintf(mirror_base, sizeof mirror_base, "file://%s/absent", mirror);
    LM_CHECK(lm_sync_run(store, http, &o, &r, &err) != LM_OK);
    LM_CHECK_INT(r.failed, LM_SYNC_LIST);
    LM_CHECK(strstr(err.msg, "listing file://") != NULL);

    /* Nothing asked for is a usage error. */
    o.baseline = o.updates = 0;
    LM_CHECK_INT(lm_sync_run(store, http, &o, &r, &err), LM_ERR_USAGE);
    lm_http_free(http);
    lm_store_close(store);
}

static int steps_seen;

static const lm_config *count_step(void *ctx, const char *step)
{
    (void)ctx;
    (void)step;
    steps_seen++;
    return NULL;
}

static int set(lm_config *cfg, const char *section, const char *key, const char *value)
{
    lm_error err;
    return lm_config_set(cfg, section, key, value, &err) == LM_OK;
}

static void test_nightly_run_steps(void)
{
    if (!server_start())
        LM_SKIP("no stand-in server (python3 missing?)");
    make_mirror("m3");
    LM_CHECK(put_file("updatefiles", "pubmed99n0001.xml.gz", 5000, 2, 0));
    lm_store *store = lm_test_open_store("m3.db");
    lm_config *cfg = NULL;
    lm_error err = {0};
    LM_CHECK(store && lm_config_init(&cfg, &err) == LM_OK);
    if (!store || !cfg)
        return;
    char spool[700];
    snprintf(spool, sizeof spool, "%s/spool", mirror);
    LM_CHECK(set(cfg, "eutils", "base_url", base_url) && set(cfg, "eutils", "max_tries", "1") &&
             set(cfg, "sync", "base_url", mirror_base) && set(cfg, "sync", "spool_dir", spool) &&
             set(cfg, "pipeline", "stages", "sentences") && set(cfg, "pipeline", "threads", "1"));
    LM_CHECK_INT(lm_store_watch_add(store, "w-malaria", "malaria", "edat", "2022/05/01", &err),
                 LM_OK);
    lm_nightly_steps steps = {.watches = 1, .sync_updates = 1, .before_step = count_step};
    lm_nightly_summary sum;
    steps_seen = 0;
    LM_CHECK_INT(lm_nightly_run(store, cfg, &steps, &sum, &err), LM_OK);
    LM_CHECK_INT(steps_seen, 2);
    LM_CHECK(sum.watches.ran && sum.sync.ran);
    LM_CHECK_INT(sum.watches.st, LM_OK);
    LM_CHECK_INT(sum.watch_result.counts.articles, 300);
    LM_CHECK_INT(sum.sync.st, LM_OK);
    LM_CHECK_INT(sum.sync_result.files_done, 1);
    LM_CHECK_INT(sum.watches.index_st, LM_OK);
    LM_CHECK_INT(sum.maintain_st, LM_OK);
    LM_CHECK_INT(sum.runs, 2);                 /* one watch fetch, one bulk file */
    LM_CHECK_INT(sum.counts.articles, 302);

    /* Again, the sync alone: nothing new, and the summary counts only this run. */
    steps.watches = 0;
    LM_CHECK_INT(lm_nightly_run(store, cfg, &steps, &sum, &err), LM_OK);
    LM_CHECK(!sum.watches.ran);
    LM_CHECK_INT(sum.sync_result.files_done, 0);
    LM_CHECK_INT(sum.runs, 0);

    /* A bad setting fails its step before any work; the other step runs. */
    LM_CHECK(set(cfg, "sync", "max_tries", "0"));
    steps.watches = 1;
    LM_CHECK_INT(lm_nightly_run(store, cfg, &steps, &sum, &err), LM_OK);
    LM_CHECK(sum.sync.setup);
    LM_CHECK_INT(sum.sync.st, LM_ERR_USAGE);
    LM_CHECK(strstr(sum.sync.msg, "max_tries") != NULL);
    LM_CHECK_INT(sum.watches.st, LM_OK);
    LM_CHECK_INT(sum.watch_result.up_to_date + sum.watch_result.ran, 1);

    /* Cancelled before it starts: no step runs, and the summary says so. */
    lm_cancel cancel = {1};
    steps.cancel = &cancel;
    steps_seen = 0;
    LM_CHECK_INT(lm_nightly_run(store, cfg, &steps, &sum, &err), LM_OK);
    LM_CHECK(sum.stopped && !sum.watches.ran && !sum.sync.ran);
    LM_CHECK_INT(steps_seen, 0);
    lm_config_free(cfg);
    lm_store_close(store);
}

int main(void)
{
    LM_RUN(test_sync_then_nothing_new);
    LM_RUN(test_stops_at_first_bad_file);
    LM_RUN(test_nightly_run_steps);
    return LM_DONE();
}
