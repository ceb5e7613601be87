/*
 * lm_test_alloc: fails a chosen allocation of litmine's own code, for
 * tests/test-alloc.c (curl's "fail each allocation in turn").
 *
 * Only a binary linked with
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,
 *            --wrap=strndup,--wrap=aligned_alloc
 * may include this header (the Makefile gives those flags to test-alloc
 * alone).  GNU ld then sends every call to those functions made from the
 * objects of that link — the test itself and liblitmine.a — to the
 * __wrap_ functions below, which count the calls and make one fail; the
 * library is not changed and release builds have no hook.  Calls made
 * inside shared libraries (libxml2, SQLite, libcurl, OpenBLAS, libc's own
 * getline, open_memstream and realpath) are not redirected, so their
 * internal allocations are neither counted nor failed: the tests cover
 * how litmine handles its own allocations failing, not how those
 * libraries handle theirs.  The sanitizers still see every allocation:
 * __real_malloc is the malloc ASan intercepts.
 *
 * While armed with index n, allocation n (0-based, counted from the arming)
 * fails with errno ENOMEM; in LM_ALLOC_FAIL_FROM mode every later one
 * fails too, so error paths that allocate meet an empty heap as well.
 * Disarmed, nothing fails and calls are still counted.
 */
#ifndef LM_TEST_ALLOC_H
#define LM_TEST_ALLOC_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

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
 * the operations test-alloc walks run on one, which keeps the index of
 * each allocation the same from run to run. */
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

#endif
