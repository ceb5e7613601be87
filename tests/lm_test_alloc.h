/*
 * lm_test_alloc: fails a chosen allocation of litmine's own code, for
 * tests/test-alloc.c, test-alloc-pipeline.c and test-alloc-vectors.c
 * (curl's "fail each allocation in turn").
 *
 * Only a binary linked with
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,
 *            --wrap=strndup,--wrap=aligned_alloc
 * may include this header (the Makefile gives those flags to the
 * tests/test-alloc*.c binaries alone).  GNU ld then sends every call to
 * those functions made from the objects of that link — the test itself
 * and liblitmine.a — to the __wrap_ functions below, which count the
 * calls and make one fail; the library is not changed and release builds
 * have no hook.  Calls made inside shared libraries (libxml2, SQLite,
 * zlib, libcurl, OpenBLAS, and libc's own getline, open_memstream and
 * realpath) are not redirected, so their internal allocations are
 * neither counted nor failed: the tests cover how litmine handles its own
 * allocations failing, not how those libraries handle theirs.  The
 * sanitizers still see every allocation:
 * __real_malloc is the malloc ASan intercepts.
 *
 * While armed with index n, allocation n (0-based, counted from the arming)
 * fails with errno ENOMEM; in LM_ALLOC_FAIL_FROM mode every later one
 * fails too, so error paths that allocate meet an empty heap as well.
 * Disarmed, nothing fails and calls are still counted.  Below the
 * wrappers, the walk that runs an operation once per allocation point.
 */
#ifndef LM_TEST_ALLOC_H
#define LM_TEST_ALLOC_H

#include "lm_test.h"

#include "../util/lm_buf.h"
#include "../util/lm_error.h"
#include "../util/lm_mapcache.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <unistd.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *ptr, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__real_aligned_alloc(size_t alignment, size_t size);

typedef enum lm_alloc_fail_mode {
    LM_ALLOC_FAIL_ONCE,   /* allocation n fails, the rest succeed */
    LM_ALLOC_FAIL_FROM    /* allocation n and every later one fail */
} lm_alloc_fail_mode;

/* Atomic because a library call may allocate from more than one thread;
 * the operations walked allocate from one at a time (ingest's writer only
 * after its parser), which keeps the index of each allocation the same
 * from run to run. */
static atomic_long lm_alloc_calls;        /* allocations since arming */
static atomic_long lm_alloc_fail_index = -1;
static atomic_int lm_alloc_fail_from;
static atomic_long lm_alloc_injected;     /* allocations failed since arming */

static inline void lm_alloc_arm(long index, lm_alloc_fail_mode mode)
{
    atomic_store(&lm_alloc_fail_from, mode == LM_ALLOC_FAIL_FROM);
    atomic_store(&lm_alloc_injected, 0);
    atomic_store(&lm_alloc_calls, 0);
    atomic_store(&lm_alloc_fail_index, index);
}

/* Counting goes on, failing stops. */
static inline void lm_alloc_disarm(void)
{
    atomic_store(&lm_alloc_fail_index, -1);
}

static inline long lm_alloc_count(void)
{
    return atomic_load(&lm_alloc_calls);
}

static inline long lm_alloc_injected_count(void)
{
    return atomic_load(&lm_alloc_injected);
}

/* Counts one allocation; 1 when it is to fail. */
static inline int lm_alloc_should_fail(void)
{
    long at = atomic_fetch_add(&lm_alloc_calls, 1);
    long fail = atomic_load(&lm_alloc_fail_index);
    if (fail < 0 || at < fail || (at > fail && !atomic_load(&lm_alloc_fail_from)))
        return 0;
    atomic_fetch_add(&lm_alloc_injected, 1);
    errno = ENOMEM;
    return 1;
}

void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size)
{
    return lm_alloc_should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size);
void *__wrap_calloc(size_t count, size_t size)
{
    return lm_alloc_should_fail() ? NULL : __real_calloc(count, size);
}

/* A failed realloc leaves ptr allocated, as the real one does. */
void *__wrap_realloc(void *ptr, size_t size);
void *__wrap_realloc(void *ptr, size_t size)
{
    return lm_alloc_should_fail() ? NULL : __real_realloc(ptr, size);
}

char *__wrap_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
    return lm_alloc_should_fail() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n)
{
    return lm_alloc_should_fail() ? NULL : __real_strndup(s, n);
}

void *__wrap_aligned_alloc(size_t alignment, size_t size);
void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    return lm_alloc_should_fail() ? NULL : __real_aligned_alloc(alignment, size);
}

/* ---- walking an operation's allocations ----------------------------------
 *
 * lm_alloc_walk(name, op) first runs op with nothing failing, then once per
 * allocation it makes with that allocation failing, in each mode.  A run
 * passes when it gives what the clean run gave (status, message and the
 * summary op writes) or fails with LM_ERR_NOMEM carried by its lm_error
 * with a message; the walk ends with the first run that makes fewer
 * allocations than the index armed.  Then LeakSanitizer looks for
 * anything a run left allocated. */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LM_ALLOC_HAVE_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LM_ALLOC_HAVE_LSAN 1
#endif
#ifdef LM_ALLOC_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* No operation walked makes nearly this many allocations: a walk that
 * gets this far is not ending. */
#define LM_ALLOC_MAX_POINTS 20000
#define LM_ALLOC_SUMMARY_MAX 4096
/* Problems printed per walk; the rest are only counted. */
#define LM_ALLOC_REPORT_MAX 5

/* An operation under test: does its work, frees everything, and on
 * success describes its result in summary (without allocating, so that
 * the description itself cannot fail). */
typedef lm_status (*lm_alloc_op)(char *summary, size_t cap, lm_error *err);

/* Appends printf-style text to the NUL-terminated summary. */
static void lm_alloc_summary(char *summary, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void lm_alloc_summary(char *summary, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(summary);
    if (used + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(summary + used, cap - used, fmt, ap);
    va_end(ap);
}

static const char *lm_alloc_mode_name(lm_alloc_fail_mode mode)
{
    return mode == LM_ALLOC_FAIL_ONCE ? "once" : "from";
}

/* What a run with nothing failing gave, which every run must give unless
 * it fails with LM_ERR_NOMEM. */
typedef struct lm_alloc_expect {
    lm_status status;
    char msg[LM_ERROR_MSG_MAX];
    char summary[LM_ALLOC_SUMMARY_MAX];
} lm_alloc_expect;

/* Runs op with allocation 0, 1, 2, ... failing in the given mode; returns
 * the number of allocation points walked, or -1 when the walk did not
 * end.  Problems are printed (the first LM_ALLOC_REPORT_MAX) and counted in
 * *problems. */
static long lm_alloc_walk_mode(const char *name, lm_alloc_op op, lm_alloc_fail_mode mode,
                               const lm_alloc_expect *want, int *problems)
{
    static char got[LM_ALLOC_SUMMARY_MAX];
    for (long n = 0; n < LM_ALLOC_MAX_POINTS; n++) {
        lm_error err;
        memset(&err, 0, sizeof err);
        got[0] = '\0';
        lm_alloc_arm(n, mode);
        lm_status st = op(got, sizeof got, &err);
        long injected = lm_alloc_injected_count();
        lm_alloc_disarm();
        const char *why = NULL;
        if (st == want->status && (st == LM_OK || strcmp(err.msg, want->msg) == 0)) {
            if (strcmp(got, want->summary) != 0)
                why = "gave a different result";
        } else if (injected == 0) {
            why = "gave another answer with nothing failing";
        } else if (st != LM_ERR_NOMEM) {
            why = "failed with another status or message than LM_ERR_NOMEM or the clean run's";
        } else if (err.code != st) {
            why = "returned a status its lm_error does not carry";
        } else if (err.msg[0] == '\0') {
            why = "failed without a message";
        }
        if (why && ++*problems <= LM_ALLOC_REPORT_MAX) {
            fprintf(stderr, "  %s, allocation %ld failing (%s): %s: %s \"%s\"\n", name, n,
                    lm_alloc_mode_name(mode), why, lm_status_str(st), err.msg);
            fprintf(stderr, "    got:  %.300s\n    want: %s \"%s\" %.300s\n", got,
                    lm_status_str(want->status), want->msg, want->summary);
        }
        if (injected == 0)
            return n;
    }
    return -1;
}

/* The whole walk of one operation in both modes, then a leak check.  The
 * operation must end with want_status when nothing fails (an error, for
 * the operations on bad input); LM_TEST_VERBOSE=1 prints what it gave. */
static void lm_alloc_walk_expecting(const char *name, lm_alloc_op op, lm_status want_status)
{
    static lm_alloc_expect want;
    lm_error err;
    memset(&err, 0, sizeof err);
    memset(&want, 0, sizeof want);
    lm_alloc_disarm();
    want.status = op(want.summary, sizeof want.summary, &err);
    memcpy(want.msg, err.msg, sizeof want.msg);
    if (want.status != want_status || getenv("LM_TEST_VERBOSE"))
        fprintf(stderr, "  %s: %s \"%s\" %s\n", name, lm_status_str(want.status), err.msg,
                want.summary);
    LM_CHECK_INT(want.status, want_status);
    LM_CHECK(want_status == LM_OK ? want.summary[0] != '\0' : want.msg[0] != '\0');
    /* a summary cut at its buffer's end would hide a difference past it */
    LM_CHECK(strlen(want.summary) + 1 < sizeof want.summary);
    if (want.status != want_status)
        return;
    int problems = 0;
    long once = lm_alloc_walk_mode(name, op, LM_ALLOC_FAIL_ONCE, &want, &problems);
    long from = lm_alloc_walk_mode(name, op, LM_ALLOC_FAIL_FROM, &want, &problems);
    fprintf(stderr, "  %s: %ld allocation points (failing one), %ld (failing all from one)\n",
            name, once, from);
    LM_CHECK(once > 0);
    LM_CHECK(from > 0);
    LM_CHECK_INT(problems, 0);
#ifdef LM_ALLOC_HAVE_LSAN
    LM_CHECK_INT(__lsan_do_recoverable_leak_check(), 0);
#endif
}

static void lm_alloc_walk(const char *name, lm_alloc_op op)
{
    lm_alloc_walk_expecting(name, op, LM_OK);
}

/* ---- loading models through their map cache ------------------------------
 *
 * lm_alloc_walk_model_loads walks an operation that loads a model from
 * source three ways: mapped from the cache (util/lm_mapcache.h) the first
 * load wrote, with the cache off (the file inflated and parsed), and with
 * the cache removed first (the load writes it). */
static lm_alloc_op lm_alloc_model_load;
static char lm_alloc_model_cache[600];

static lm_status lm_alloc_load_without_cache(char *summary, size_t cap, lm_error *err)
{
    setenv("LITMINE_MODEL_CACHE", "off", 1);
    lm_status st = lm_alloc_model_load(summary, cap, err);
    lm_test_private_model_cache();
    return st;
}

static lm_status lm_alloc_load_writing_cache(char *summary, size_t cap, lm_error *err)
{
    unlink(lm_alloc_model_cache);
    return lm_alloc_model_load(summary, cap, err);
}

/* inline: a test that walks no model load leaves it unused. */
static inline void lm_alloc_walk_model_loads(const char *name, lm_alloc_op load, const char *source)
{
    char label[128];
    lm_buf cache;
    lm_buf_init(&cache);
    LM_CHECK_INT(lm_mapcache_path(source, &cache), 0);
    snprintf(lm_alloc_model_cache, sizeof lm_alloc_model_cache, "%s", lm_buf_cstr(&cache));
    lm_buf_free(&cache);
    lm_alloc_model_load = load;
    lm_alloc_walk(name, load);
    snprintf(label, sizeof label, "%s without a cache", name);
    lm_alloc_walk(label, lm_alloc_load_without_cache);
    snprintf(label, sizeof label, "%s writing its cache", name);
    lm_alloc_walk(label, lm_alloc_load_writing_cache);
}

#endif
