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
 * separate callback.  Articles delivered before a fault stay delivered: a
 * malformed or truncated document yields LM_ERR_PARSE naming the source and
 * line after the callbacks have seen every complete article before it.
 */
#ifndef LM_PUBMED_H
#define LM_PUBMED_H

#include "lm_article.h"
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
} lm_pubmed_handler;

typedef struct lm_pubmed_stats {
    uint64_t articles;        /* PubmedArticle elements delivered */
    uint64_t book_articles;   /* PubmedBookArticle elements delivered */
    uint64_t deletions;       /* PMIDs in DeleteCitation blocks */
    uint64_t skipped;         /* articles without a usable PMID */
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

/* Parses a whole file ("-" = stdin), gzip or plain.  stats may be NULL.
 * digest (may be NULL) receives the XXH3-128 of the raw file bytes and, for
 * gzip files, their MD5 (for NLM files equal to the published .md5); both
 * are "" when the file was not read to its end (XML error or a callback
 * stopped the parse).  A gzip stream that ends early fails with
 * LM_ERR_PARSE "<path>: truncated gzip data" after every article before
 * the cut has been delivered. */
lm_status lm_pubmed_parse_file(const char *path, const lm_pubmed_handler *handler,
                               lm_pubmed_progress_fn progress, void *progress_ctx,
                               lm_pubmed_stats *stats, lm_file_digest *digest,
                               lm_error *err);

#endif
