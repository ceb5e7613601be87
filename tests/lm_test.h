/*
 * lm_test: the tiny harness every tests/test-<module>.c uses.
 *
 * A test file defines functions `static void test_x(void)` and runs them
 * with LM_RUN(test_x) from main().  LM_CHECK records a failure with file and
 * line but keeps going, so one run reports every broken assertion.  A test
 * passes when it made at least one check and none failed — a test that
 * asserts nothing counts as failed.  LM_SKIP marks a test skipped (used
 * when ../shared/data is absent).  LM_DONE() prints
 * "# <file>: N passed, N failed, N skipped" which tests/run.sh adds up, and
 * returns the exit status.
 */
#ifndef LM_TEST_H
#define LM_TEST_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int lm_test_passed, lm_test_failed, lm_test_skipped;
static int lm_test_checks, lm_test_check_failures, lm_test_skip_flag;

#define LM_CHECK(cond)                                                        \
    do {                                                                      \
        lm_test_checks++;                                                     \
        if (!(cond)) {                                                        \
            lm_test_check_failures++;                                         \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                     \
    } while (0)

#define LM_CHECK_STR(got, want)                                               \
    do {                                                                      \
        const char *lm_g_ = (got), *lm_w_ = (want);                           \
        lm_test_checks++;                                                     \
        if (!lm_g_ || !lm_w_ ? lm_g_ != lm_w_ : strcmp(lm_g_, lm_w_) != 0) {  \
            lm_test_check_failures++;                                         \
            fprintf(stderr, "  FAIL %s:%d: %s\n    got:  \"%s\"\n    want: \"%s\"\n", \
                    __FILE__, __LINE__, #got, lm_g_ ? lm_g_ : "(null)",       \
                    lm_w_ ? lm_w_ : "(null)");                                \
        }                                                                     \
    } while (0)

#define LM_CHECK_INT(got, want)                                               \
    do {                                                                      \
        long long lm_g_ = (long long)(got), lm_w_ = (long long)(want);        \
        lm_test_checks++;                                                     \
        if (lm_g_ != lm_w_) {                                                 \
            lm_test_check_failures++;                                         \
            fprintf(stderr, "  FAIL %s:%d: %s = %lld, want %lld\n", __FILE__, \
                    __LINE__, #got, lm_g_, lm_w_);                            \
        }                                                                     \
    } while (0)

/* Skips the rest of the current test. */
#define LM_SKIP(why)                                                          \
    do {                                                                      \
        fprintf(stderr, "  skip: %s\n", why);                                 \
        lm_test_skip_flag = 1;                                                \
        return;                                                               \
    } while (0)

#define LM_RUN(fn)                                                            \
    do {                                                                      \
        lm_test_checks = lm_test_check_failures = lm_test_skip_flag = 0;      \
        fn();                                                                 \
        if (lm_test_skip_flag && lm_test_check_failures == 0) {               \
            lm_test_skipped++;                                                \
            fprintf(stderr, "skip %s\n", #fn);                                \
        } else if (lm_test_check_failures == 0 && lm_test_checks > 0) {       \
            lm_test_passed++;                                                 \
            fprintf(stderr, "ok   %s (%d checks)\n", #fn, lm_test_checks);    \
        } else {                                                              \
            lm_test_failed++;                                                 \
            fprintf(stderr, "FAIL %s%s\n", #fn,                               \
                    lm_test_checks ? "" : " (made no checks)");               \
        }                                                                     \
    } while (0)

#define LM_DONE()                                                             \
    (printf("# %s: %d passed, %d failed, %d skipped\n", __FILE__,             \
            lm_test_passed, lm_test_failed, lm_test_skipped),                 \
     lm_test_failed ? 1 : 0)

/* Path of the shared corpora, or NULL when they are absent. */
static inline const char *lm_test_shared_data(void)
{
    static const char *dirs[] = {"../shared/data", "../../shared/data"};
    const char *env = getenv("LITMINE_SHARED_DATA");
    struct stat st;
    if (env && stat(env, &st) == 0 && S_ISDIR(st.st_mode))
        return env;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
            return dirs[i];
    return NULL;
}

static char lm_test_dir[256];

/* rm -rf for the scratch tree (plain files and directories only). */
static inline void lm_test_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *child = malloc(n);
            if (!child)
                break;
            snprintf(child, n, "%s/%s", path, e->d_name);
            lm_test_remove_tree(child);
            free(child);
        }
        if (d)
            closedir(d);
    }
    remove(path);
}

/* Removes the scratch directory at exit (set LM_TEST_KEEP=1 to keep it). */
static inline void lm_test_cleanup(void)
{
    if (lm_test_dir[0] && !getenv("LM_TEST_KEEP"))
        lm_test_remove_tree(lm_test_dir);
}

/* A fresh scratch directory for this test binary under $TMPDIR. */
static inline const char *lm_test_tmpdir(void)
{
    if (!lm_test_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(lm_test_dir, sizeof lm_test_dir, "%s/litmine-test-XXXXXX",
                 base ? base : "/tmp");
        if (!mkdtemp(lm_test_dir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(lm_test_cleanup);
    }
    return lm_test_dir;
}

/* Model caches (util/lm_mapcache.h) of this test binary go to its scratch
 * directory, not the user's ~/.cache. */
static inline void lm_test_private_model_cache(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/model-cache", lm_test_tmpdir());
    setenv("LITMINE_MODEL_CACHE", dir, 1);
}

/* Flips one byte of a file in place (damage for corruption tests). */
static inline void lm_test_flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return;
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ 0x5A, f);
    fclose(f);
}

#endif
