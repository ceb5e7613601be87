/*
 * lm_pubmed: streaming parser for PubMed XML (PubmedArticleSet documents).
 *
 * Handles NLM baseline/update files (.xml or .xml.gz, detected by the gzip
 * magic bytes, not the file name), EFetch responses, and stdin.  Built on
 * libxml2's SAX2 push parser so memory stays constant whatever the input
 * size: bytes are fed in chunks (from a file here, from libcurl's write
 * callback in the E-utilities client) and each complete article is handed
 * to the caller's callback, then freed.
 *
 * Deletions (DeleteCitation blocks of update files) are reported through a
 * separate callback.
 *
 * Memory per article is bounded: a text field (title, the whole abstract,
 * a journal or MeSH name, ...) longer than LM_PUBMED_FIELD_MAX, or an
 * article whose stored text exceeds LM_PUBMED_ARTICLE_MAX, is bad input:
 * the article is not delivered but reported through on_reject with its
 * PMID and line, and the parse goes on with the next one.  Articles
 * without a valid PMID (missing, 0, negative, non-numeric, more than 18
 * digits) and DeleteCitation entries with one are reported the same way.
 * libxml2 runs with its default limits (no XML_PARSE_HUGE), so a single
 * token it must hold whole (an attribute value, a name) over 10 MB stops
 * the file as malformed instead of growing without bound.  Articles delivered before a fault stay delivered: a
 * malformed or truncated document yields LM_ERR_PARSE naming the source and
 * line after the callbacks have seen every complete article before it.
 */
#ifndef LM_PUBMED_H
#define LM_PUBMED_H

#include "../util/lm_article.h"
#include "../util/lm_cancel.h"
#include "../util/lm_digest.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_pubmed_handler {
    /* Called once per complete PubmedArticle / PubmedBookArticle.  The
     * article belongs to the parser and is freed after the call; a handler
     * that keeps it moves it out (*mine = *article, then
     * lm_article_init(article)), which saves the ingest a deep copy per
     * article.  Returning non-LM_OK
     * stops parsing and the parse call returns that status (err as filled). */
    lm_status (*on_article)(void *ctx, lm_article *article, lm_error *err);
    /* Called once per PMID listed in a DeleteCitation block.  May be NULL. */
    lm_status (*on_delete)(void *ctx, int64_t pmid, lm_error *err);
    void *ctx;
    /* Called once per bad article or deletion entry that is skipped, with
     * a one-line message naming the source, line and PMID.  May be NULL
     * (they are still counted in lm_pubmed_stats.rejected). */
    void (*on_reject)(void *ctx, const char *msg);
} lm_pubmed_handler;

/* Longest text field kept (bytes of UTF-8), and most stored text per
 * article (fields plus 64 bytes per MeSH heading or publication type).
 * The longest abstracts in PubMed are a few tens of kilobytes. */
#define LM_PUBMED_FIELD_MAX (1u << 20)
#define LM_PUBMED_ARTICLE_MAX (4u << 20)

typedef struct lm_pubmed_stats {
    uint64_t articles;        /* PubmedArticle elements delivered */
    uint64_t book_articles;   /* PubmedBookArticle elements delivered */
    uint64_t deletions;       /* PMIDs in DeleteCitation blocks */
    uint64_t rejected;        /* bad articles and deletion entries skipped
                                 (see on_reject) */
    uint64_t bytes_in;        /* bytes read from the source (compressed) */
    uint64_t bytes_xml;       /* uncompressed XML bytes parsed */
} lm_pubmed_stats;

typedef struct lm_pubmed_parser lm_pubmed_parser;

/* source_name is used in error messages ("pubmed26n0001.xml.gz:1234: ..."). */
lm_status lm_pubmed_parser_init(lm_pubmed_parser **out, const char *source_name,
                                const lm_pubmed_handler *handler, lm_error *err);
/* Feeds uncompressed XML bytes. */
lm_status lm_pubmed_parser_feed(lm_pubmed_parser *p, const char *data, size_t len,
                                lm_error *err);
/* Signals end of input; fails if the document is incomplete. */
lm_status lm_pubmed_parser_finish(lm_pubmed_parser *p, lm_error *err);
const lm_pubmed_stats *lm_pubmed_parser_stats(const lm_pubmed_parser *p);
void lm_pubmed_parser_free(lm_pubmed_parser *p);

/* Optional progress hook for lm_pubmed_parse_file, called every few MB. */
typedef void (*lm_pubmed_progress_fn)(void *ctx, const lm_pubmed_stats *stats);

/* How long lm_pubmed_parse_file waits for a writer to open a named pipe. */
#define LM_PUBMED_FIFO_WAIT_MS 30000

/* Opens an input for lm_pubmed_parse_fd: "-" is stdin (not to be closed),
 * anything else is opened read-only.  A named pipe is opened without
 * blocking and given fifo_wait_ms for a writer to open it (LM_ERR_IO when
 * none does; LM_ERR_INTERRUPTED as soon as cancel, which may be NULL,
 * is set), so a pipe nobody writes to cannot hang the caller. */
lm_status lm_pubmed_open(const char *path, int fifo_wait_ms, const lm_cancel *cancel, int *fd,
                         lm_error *err);
/* lm_pubmed_parse_file on an open descriptor, named name in messages. */
lm_status lm_pubmed_parse_fd(int fd, const char *name, const lm_pubmed_handler *handler,
                             lm_pubmed_progress_fn progress, void *progress_ctx,
                             lm_pubmed_stats *stats, lm_file_digest *digest, lm_error *err);

/* Parses a whole file ("-" = stdin), gzip or plain.  stats may be NULL.
 * digest (may be NULL) receives the XXH3-128 of the raw file bytes and, for
 * gzip files, their MD5 (for NLM files equal to the published .md5); both
 * are "" when the file was not read to its end (XML error or a callback
 * stopped the parse).  A gzip stream that ends early fails with
 * LM_ERR_PARSE "<path>: truncated gzip data" after every article before
 * the cut has been delivered; corrupt gzip data (a bad CRC included) fails
 * the same way after everything inflated before the fault.  A named pipe
 * gets LM_PUBMED_FIFO_WAIT_MS for a writer (lm_pubmed_open). */
lm_status lm_pubmed_parse_file(const char *path, const lm_pubmed_handler *handler,
                               lm_pubmed_progress_fn progress, void *progress_ctx,
                               lm_pubmed_stats *stats, lm_file_digest *digest,
                               lm_error *err);

#endif
