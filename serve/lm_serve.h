/*
 * lm_serve: `litmine serve`, a read-only web front end and JSON API over
 * the database — litmine's own PubTator for the user's corpus.
 *
 * The HTTP front end is the top layer beside cli/: it may include
 * pipeline/, store/, nlp/ and util/, and nothing below includes it.  The
 * server runs on libmicrohttpd with a fixed pool of threads; each thread
 * borrows one of as many worker contexts, each owning a read-only store
 * connection (WAL readers never block the nightly writer, nor it them)
 * and a searcher.  Every page reads inside one read transaction, so it
 * never shows half of an ingest batch.
 *
 * lm_serve_run() serves until SIGTERM or SIGINT, then stops accepting,
 * lets requests in flight finish and frees everything; it prints
 * nothing — the caller learns the bound address through on_ready.
 */
#ifndef LM_SERVE_H
#define LM_SERVE_H

#include "../util/lm_config.h"
#include "../util/lm_error.h"

typedef struct lm_serve_options {
    const char *db_path;
    const char *listen;       /* "ADDR:PORT", IPv4 or [IPv6]; port 0 picks a free
                                 one; NULL: "127.0.0.1:8080" */
    int threads;              /* server threads = store connections; 0: 4 */
    const lm_config *config;  /* [models] for the searcher and concept names;
                                 may be NULL */
    int timeout_seconds;      /* idle connection timeout; 0: 15 */
    /* Called once the socket listens, with "http://ADDR:PORT/"; may be NULL. */
    void (*on_ready)(void *ctx, const char *url);
    void *ctx;
} lm_serve_options;

/* Serves until SIGTERM or SIGINT (both blocked in the calling thread and
 * the server's, and taken with sigwait), then shuts down cleanly and
 * returns LM_OK.  Errors before serving (bad address, port in use,
 * missing or unreadable database): LM_ERR_USAGE, LM_ERR_IO,
 * LM_ERR_NOTFOUND, ... with a message. */
lm_status lm_serve_run(const lm_serve_options *o, lm_error *err);

/* Parses "ADDR:PORT" into a printable host and a port; 0 on a bad form. */
int lm_serve_parse_listen(const char *listen, char *host, size_t host_cap, int *port);

#endif
