/*
 * Fuzzes the vector-file loader (store/lm_vec_cache) through the path a
 * query takes: lm_searcher_open maps "<database>.vectors", checks it
 * against the store, loads the embedding model from it, and a dense and a
 * hybrid query run over its vectors.
 *
 * Once, a small store is built (40 articles, an LSA model of dimension 8)
 * and its vector file written by `index build`'s compaction.  Each input then becomes the cache file:
 * with its first byte even, as is (the header checks); odd, the valid
 * file with the rest of the input written over it from a position the
 * second byte chooses (byte/256 of the way in), so the damage reaches the
 * PMIDs, years, vectors and model behind a header that matches — without
 * the harness knowing the file's layout.  Whatever the file,
 * opening must succeed or fail with a message (a bad file is an error
 * naming the recovery), and a query must not crash.
 */
#include "../../pipeline/lm_index.h"
#include "../../pipeline/lm_search_session.h"
#include "../../store/search/lm_vec_cache.h"
#include "lm_fuzz.h"

#include <dirent.h>
#include <string.h>
#include <unistd.h>

static lm_store *store;
static char dir[] = "/tmp/litmine-fuzz-vc-XXXXXX";
static char *cache_path;
static unsigned char *good;   /* the valid cache file */
static size_t good_len;

static const char *const words[] = {
    "kinase", "receptor", "tumour", "cohort", "insulin", "mutation", "BRCA1", "repair",
    "asthma", "therapy", "placebo", "serum", "dose", "mouse", "signalling", "variant",
};

static void die(const char *what, const lm_error *err)
{
    fprintf(stderr, "fuzz-vec-cache: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

/* libFuzzer ends with exit(): the store and its files go with it. */
static void remove_dir(void)
{
    lm_store_close(store);
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[256];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    atexit(remove_dir);
    char path[128];
    snprintf(path, sizeof path, "%s/f.db", dir);
    lm_error err = {0};
    if (lm_store_open(&store, path, NULL, &err) != LM_OK)
        die("open store", &err);
    const size_t nw = sizeof words / sizeof words[0];
    for (int i = 0; i < 40; i++) {
        char title[128], abstract[512];
        snprintf(title, sizeof title, "%s %s study", words[i % nw], words[(i * 7) % nw]);
        snprintf(abstract, sizeof abstract, "%s and %s in %s; %s %s %s.", words[(i * 3) % nw],
                 words[(i * 5) % nw], words[(i + 1) % nw], words[(i * 11) % nw],
                 words[(i + 4) % nw], words[(i * 13) % nw]);
        lm_article a;
        lm_article_init(&a);
        a.pmid = 1000 + i;
        a.year = 1990 + i;
        a.title = title;
        a.abstract = abstract;
        lm_put_result r;
        if (lm_store_put_article(store, &a, "fuzz", &r, &err) != LM_OK)
            die("put article", &err);
    }
    lm_index_build_options bo;
    memset(&bo, 0, sizeof bo);
    bo.fit.dim = 8;
    bo.fit.min_df = 1;
    bo.fit.max_df = 1.0;
    if (lm_index_build(store, &bo, NULL, &err) != LM_OK)
        die("index build", &err);
    if (lm_vec_cache_path(store, &cache_path, &err) != LM_OK || !cache_path)
        die("vector file name", &err);
    lm_search_session_config sc = {0};
    lm_search_session *srch = NULL;
    if (lm_search_session_open(store, &sc, &srch, &err) != LM_OK)
        die("searcher", &err);
    lm_search_session_close(srch);
    FILE *f = fopen(cache_path, "rb");
    if (!f)
        die("no cache file written", NULL);
    fseek(f, 0, SEEK_END);
    good_len = (size_t)ftell(f);
    rewind(f);
    good = malloc(good_len);
    if (!good || fread(good, 1, good_len, f) != good_len)
        die("read cache file", NULL);
    fclose(f);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned char *file;
    size_t len;
    if (!(data[0] & 1)) {
        file = malloc(size - 1 + 1);
        memcpy(file, data + 1, size - 1);
        len = size - 1;
    } else {
        file = malloc(good_len);
        memcpy(file, good, good_len);
        len = good_len;
        size_t at = (size_t)data[1] * len / 256;
        size_t n = size - 2 < len - at ? size - 2 : len - at;
        memcpy(file + at, data + 2, n);
    }
    FILE *f = fopen(cache_path, "wb");
    if (f) {
        fwrite(file, 1, len, f);
        fclose(f);
    }
    free(file);

    lm_search_session_config sc = {0};
    lm_search_session *srch;
    lm_error err;
    if (lm_search_session_open(store, &sc, &srch, &err) != LM_OK) {
        LM_FUZZ_ASSERT(err.msg[0] != '\0');
        return 0;
    }
    static const lm_search_mode modes[] = {LM_SEARCH_DENSE, LM_SEARCH_HYBRID};
    for (size_t i = 0; i < 2; i++) {
        lm_search_options o = {.mode = modes[i], .k = 5};
        lm_search_results r;
        lm_search_results_init(&r);
        if (lm_search_session_query(srch, "kinase receptor in tumour", &o, &r, &err) == LM_OK)
            LM_FUZZ_ASSERT(r.n <= 5);
        lm_search_results_free(&r);
    }
    lm_search_session_close(srch);
    return 0;
}
