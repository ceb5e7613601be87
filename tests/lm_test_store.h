/*
 * lm_test_store: the store helpers the store-backed tests share.  Kept
 * apart from lm_test.h, which the tests of modules without a store use
 * and which must not pull in SQLite.
 */
#ifndef LM_TEST_STORE_H
#define LM_TEST_STORE_H

#include "../store/lm_store.h"
#include "lm_test.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* NAME in the test's scratch directory, left as it is. */
static inline void lm_test_scratch_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", lm_test_tmpdir(), name);
}

/* Opens (creating and migrating) NAME in the test's scratch directory;
 * NULL, with the reason on stderr, when that fails. */
static inline lm_store *lm_test_open_store(const char *name)
{
    char path[512];
    lm_test_scratch_path(path, sizeof path, name);
    lm_store *s = NULL;
    lm_error err = {0};
    if (lm_store_open(&s, path, NULL, &err) != LM_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.msg);
        return NULL;
    }
    return s;
}

/* Raw SQLite access for checking what the store wrote, and a fresh path in
 * the scratch directory (the file and its WAL files removed). */
static inline void db_path(char *buf, size_t n, const char *name)
{
    lm_test_scratch_path(buf, n, name);
    unlink(buf);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", buf);
    unlink(side);
}

static inline sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "raw open %s: %s\n", path, sqlite3_errmsg(db));
        exit(2);
    }
    sqlite3_busy_timeout(db, 2000);
    return db;
}

static inline int raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  raw exec failed: %s\n", msg ? msg : "?");
    sqlite3_free(msg);
    return rc;
}

/* First column of the first row as an integer; -999 when there is none. */
static inline long long raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -999;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Copies FROM to TO (created or truncated); 0, or -1 when FROM is
 * missing or a read or write fails.  The buffer is on the stack: the
 * allocation walks count the test's own mallocs as well as the library's,
 * and a copy between runs must not shift them. */
static inline int lm_test_copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    char buf[16384];
    ssize_t n = 0;
    int ok = out >= 0;
    while (ok && (n = read(in, buf, sizeof buf)) > 0)
        ok = write(out, buf, (size_t)n) == n;
    ok = ok && n == 0;
    close(in);
    if (out >= 0)
        ok = close(out) == 0 && ok;
    return ok ? 0 : -1;
}

/* Abstract i of a generated corpus: 40 made-up words ("q" and three
 * letters) drawn from the first `words` (at most 17,576), each in a few
 * abstracts: postings and model features in numbers a test can count. */
static inline void lm_test_wordy_abstract(char *out, size_t cap, int i, unsigned words)
{
    size_t len = 0;
    out[0] = '\0';
    for (int w = 0; w < 40 && len < cap; w++) {
        unsigned x = (unsigned)(i * 7919 + w * 104729) % words;
        len += (size_t)snprintf(out + len, cap - len, "%sq%c%c%c", w ? " " : "",
                                'a' + (int)(x % 26), 'a' + (int)(x / 26 % 26),
                                'a' + (int)(x / 676 % 26));
    }
}

#endif
