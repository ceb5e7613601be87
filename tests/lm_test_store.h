/*
 * lm_test_store: the one store helper the store-backed tests share.  Kept
 * apart from lm_test.h, which the tests of modules without a store use
 * and which must not pull in SQLite.
 */
#ifndef LM_TEST_STORE_H
#define LM_TEST_STORE_H

#include "../store/lm_store.h"
#include "lm_test.h"

#include <stdio.h>

/* Opens (creating and migrating) NAME in the test's scratch directory;
 * NULL, with the reason on stderr, when that fails. */
static inline lm_store *lm_test_open_store(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", lm_test_tmpdir(), name);
    lm_store *s = NULL;
    lm_error err = {0};
    if (lm_store_open(&s, path, NULL, &err) != LM_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.msg);
        return NULL;
    }
    return s;
}

#endif
