/*
 * lm_hub: downloads a model directory from the Hugging Face hub.
 *
 * `litmine model fetch NAME` asks the hub's API which files the model has
 * at a revision (GET BASE/api/models/NAME/revision/REV?blobs=true: the
 * commit, and each file's size and, for Git LFS files, SHA-256), then
 * downloads, pinned to that commit, the files an encoder needs:
 * config.json first (so an unsupported model is refused before its
 * weights are fetched), tokenizer files, sentence-transformers settings,
 * and model.safetensors last.  Files go through lm_http (the one door to
 * libcurl: retries, backoff, redirects to the hub's CDN).
 *
 * Every file lands as NAME.part and is renamed only when complete and
 * verified (fsync'ed, then the directory), so a file with its final name
 * is always whole.  An interrupted download resumes its .part with a byte
 * range (in the same run after a network error, or in a later run); a
 * server that ignores the range restarts it.  Verification: the size the
 * API gives, and for LFS files the SHA-256, which must also agree with the
 * X-Linked-Etag header the hub sends with its redirect; a resumed file
 * that fails is fetched once more from scratch, then the error stands and
 * nothing is left behind.  A file already present with the right size
 * (and digest) is not fetched again.  The directory records where it came
 * from in litmine-source.json.
 *
 * No access tokens: gated and private models fail with the hub's answer.
 */
#ifndef LM_HUB_H
#define LM_HUB_H

#include "../util/lm_error.h"
#include "lm_http.h"

#include <stdint.h>

#define LM_HUB_DEFAULT_URL "https://huggingface.co"
#define LM_HUB_MAX_FILES 16

typedef struct lm_hub_file {
    char name[64];
    int64_t size;          /* bytes, -1 when the hub did not say */
    char sha256[65];       /* "" when not an LFS file */
    int64_t downloaded;    /* bytes transferred by this call */
    int resumed;           /* continued a .part */
    int already_present;
} lm_hub_file;

typedef struct lm_hub_result {
    char commit[65];
    size_t n_files;
    lm_hub_file files[LM_HUB_MAX_FILES];
} lm_hub_result;

typedef struct lm_hub_options {
    const char *base_url;  /* NULL: LM_HUB_DEFAULT_URL */
    const char *revision;  /* branch, tag, commit or refs/pr/N; NULL: "main" */
    /* Called once config.json is in place, before anything else is
     * fetched; an error stops the download.  May be NULL. */
    lm_status (*check_config)(void *ctx, const char *config_path, lm_error *err);
    /* Called before each file (done 0) and after it (done 1).  May be NULL. */
    void (*progress)(void *ctx, const lm_hub_file *file, int done);
    void *ctx;
} lm_hub_options;

/* 1 when name is a hub repository id: "owner/name" or "name" of letters,
 * digits, '-', '_' and '.', without ".." or a leading '.'. */
int lm_hub_valid_name(const char *name);

/* Downloads model `name` into dest (created if missing).  res may be
 * NULL. */
lm_status lm_hub_fetch(lm_http *http, const char *name, const char *dest, const lm_hub_options *opt,
                       lm_hub_result *res, lm_error *err);

#endif
