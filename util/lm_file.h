/*
 * lm_file: replacing a file atomically and durably, done once.
 *
 * Whatever litmine writes as a whole file — a model, the lexicon, the
 * vector cache, an export, a download once verified — must never be seen
 * half-written, and must survive a power cut once the call returns.  The
 * recipe: write a temporary file in the same directory (a rename is
 * atomic only within one file system), flush it and fsync it (or the
 * rename could reach the disk before the data, leaving a complete-looking
 * file of garbage), rename it over the target, then fsync the directory
 * (or the rename itself could be lost).
 *
 * The temporary file is "<path>.partial.<pid>.<n>", created exclusively
 * with mode 0666 filtered by the umask as fopen() would, so two writers
 * never share one and a crash leaves a name that says what it is.
 */
#ifndef LM_FILE_H
#define LM_FILE_H

#include "lm_error.h"

#include <stddef.h>
#include <stdio.h>

/* Writes data[0..len) to path as described above. */
lm_status lm_file_write_atomic(const char *path, const void *data, size_t len, lm_error *err);

/* The same for output produced piecewise: begin opens the temporary file
 * (write to a->f), commit makes it path, abort removes it.  After either,
 * a holds nothing. */
typedef struct lm_file_atomic {
    FILE *f;
    char *tmp;
    char *path;
} lm_file_atomic;

lm_status lm_file_atomic_begin(lm_file_atomic *a, const char *path, lm_error *err);
lm_status lm_file_atomic_commit(lm_file_atomic *a, lm_error *err);
void lm_file_atomic_abort(lm_file_atomic *a);

/* Makes a file written by other means (a resumable download's part file)
 * the final one: fsyncs from, renames it to to, fsyncs the directory. */
lm_status lm_file_publish(const char *from, const char *to, lm_error *err);

/* fsyncs the directory that holds path (best effort: some file systems
 * refuse directory fsync, and the data itself is already safe). */
void lm_file_sync_dir(const char *path);

/* A whole file mapped read-only (private: a later rewrite of the file by
 * rename does not change what is mapped), its pages read in at once —
 * callers map files they are about to read through. */
typedef struct lm_file_map {
    void *data;
    size_t len;
} lm_file_map;

/* LM_ERR_IO when the file cannot be opened or mapped (an empty file
 * cannot be mapped either). */
lm_status lm_file_map_open(const char *path, lm_file_map *m, lm_error *err);
void lm_file_map_close(lm_file_map *m);

#endif
