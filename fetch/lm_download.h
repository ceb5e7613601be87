/*
 * lm_download: fetch PubMed bulk files (baseline / updatefiles) for
 * `litmine sync`.
 *
 * A file is downloaded into a spool directory under the hidden temporary
 * name ".NAME.part", verified against NLM's published MD5 (the NAME.md5
 * beside it, "MD5(NAME)= <hex>"), and only then renamed to NAME — so a
 * file with its final name is always complete and verified, and a reader
 * scanning the spool never sees a partial one.  An interrupted download
 * leaves its .part behind; the next attempt (a retry inside the same call,
 * or a later run) resumes it with a byte range, starting over when the
 * server will not honour the range or the resumed file fails its MD5.
 *
 * URLs may be https://, http://, ftp:// or file:// (all through libcurl);
 * directory listings come from readdir (file://), the HTML index page's
 * links (http/s) or an FTP name list, and keep only names of the form
 * pubmedYYnNNNN.xml.gz, sorted by (YY, NNNN).
 */
#ifndef LM_DOWNLOAD_H
#define LM_DOWNLOAD_H

#include "../util/lm_error.h"
#include "lm_http.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_download_result {
    char *path;            /* the final file (malloc'd) */
    char md5[33];          /* its MD5, lowercase hex */
    int64_t bytes;         /* its size */
    int64_t downloaded;    /* bytes transferred by this call */
    int resumed;           /* continued a .part left by an earlier attempt/run */
    int already_present;   /* the final file existed and verified: nothing fetched */
} lm_download_result;

void lm_download_result_free(lm_download_result *r);   /* zeroes it */

/* Downloads url into spool_dir/NAME (NAME = the URL's last path segment).
 * md5_url: NULL means url + ".md5"; "" skips verification.  A mismatch
 * fails with LM_ERR_CORRUPT and leaves neither NAME nor .NAME.part.
 * res may be NULL. */
lm_status lm_download_file(lm_http *http, const char *url, const char *spool_dir,
                           const char *md5_url, lm_download_result *res, lm_error *err);

/* Extracts the digest from an .md5 file's text: "MD5(NAME)= hex" (NLM),
 * "hex  NAME" (md5sum) or a bare "hex".  When expected_name is non-NULL
 * and the text names a file, the names must match. */
lm_status lm_download_parse_md5(const char *text, const char *expected_name, char hex[33],
                                lm_error *err);

/* 1 when name is "pubmedYYnNNNN.xml.gz" (4 or more N digits), filling
 * *year (YY) and *number; else 0. */
int lm_download_bulk_name(const char *name, int *year, long *number);

typedef struct lm_download_list {
    char **names;   /* bulk file names, sorted by (year, number); join with the dir URL */
    size_t n;
} lm_download_list;

/* Lists the bulk files in a directory URL (ending in '/'). */
lm_status lm_download_list_dir(lm_http *http, const char *dir_url, lm_download_list *out,
                               lm_error *err);
void lm_download_list_free(lm_download_list *l);   /* zeroes it */

#endif
