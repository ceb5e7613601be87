/*
 * lm_mapcache: a memory-mappable, uncompressed copy of a compressed model
 * file, made once and mapped by every later process.
 *
 * Why a cache and not a mappable committed format.  The committed models
 * (models/ner.bin, models/lexicon.bin) are zlib files of 17 and 6 MB that
 * inflate to 35 and 25 MB; committing them uncompressed would more than
 * double what every retraining adds to the repository's history, and the
 * trainer (nlp/train) and the importers keep writing the one portable,
 * checksummed format they write today.  What costs at start-up is
 * inflating and parsing (a quarter of a second per `litmine query`), not
 * the format: so the first process that loads a model writes what it
 * parsed, in the host's own layout (native integers, hash tables as
 * slot arrays), to a cache file, and later processes map that file and use
 * the tables in place.  A cache is host-specific and disposable: deleting
 * it costs one slow start.
 *
 * Where: $LITMINE_MODEL_CACHE when set ("off" or "" disables caching),
 * else $XDG_CACHE_HOME/litmine, else $HOME/.cache/litmine (the XDG base
 * directory convention for non-essential data).  One file per source file,
 * named "<source name>-<hash of its absolute path>.map", so models of the
 * same name in two checkouts keep their own.  When no directory can be
 * made or written, models load from their files as before: a cache only
 * ever saves time.
 *
 * Trust.  A cache is used only when it was made from the source file as
 * it is now — same device, inode, size, modification time and first 64
 * bytes (the models' headers carry their payload checksum and sizes) —
 * by a build of the same cache layout (format version, the caller's
 * layout version, byte order), and when the XXH3-64 of its payload
 * (~2 ms per 25 MB, faster than reading it) matches the header.  Anything
 * else — stale, truncated, damaged, foreign — is a miss: the caller loads
 * the source, whose own checksum decides whether it is damaged (a clear
 * error), and replaces the cache.  Writes are atomic (lm_file), so
 * concurrent first loads each publish a complete file; when a cache is
 * written, caches in the directory whose source file no longer exists are
 * removed.
 */
#ifndef LM_MAPCACHE_H
#define LM_MAPCACHE_H

#include "lm_buf.h"
#include "lm_error.h"
#include "lm_file.h"

#include <stddef.h>
#include <stdint.h>

/* Payload sections start at multiples of this (cache lines; the widest
 * type a caller maps is 8 bytes). */
#define LM_MAPCACHE_ALIGN 64

/* The cache directory for this process (see above) into buf; returns 0,
 * or -1 when caching is off or no directory is known. */
int lm_mapcache_dir(char *buf, size_t cap);
/* Where the cache of the (existing) file source is or would be; 0, or -1
 * when caching is off or source cannot be resolved. */
int lm_mapcache_path(const char *source, lm_buf *out);

/* A cache being looked up: after a hit, payload[0..len) in the writer's
 * layout, mapped and verified; after a miss, what the source file was
 * before the caller read it (so a cache can never claim a newer source
 * than the one it was made from) and where its cache goes. */
typedef struct lm_mapcache {
    lm_file_map map;
    const unsigned char *payload;
    size_t len;
    char *cache_path;       /* NULL: caching off or impossible */
    char *source_abs;
    char kind[8];
    uint32_t layout;
    uint64_t ident[5];      /* device, inode, size, mtime s, mtime ns */
    unsigned char head[64]; /* the source's first bytes, zero padded */
} lm_mapcache;

/* Looks up the cache of source for kind ("lexicon", "ner"; at most 8
 * bytes) written with layout version layout.  Returns 1 on a hit, 0 on any
 * miss; never fails otherwise.  lm_mapcache_close(c) in both cases. */
int lm_mapcache_open(lm_mapcache *c, const char *source, const char *kind, uint32_t layout);
void lm_mapcache_close(lm_mapcache *c);

/* Writing a cache after a miss: sections appended in order, each padded to
 * LM_MAPCACHE_ALIGN; commit publishes the file atomically.  Callers treat
 * a failure as "no cache" (the error says why). */
typedef struct lm_mapcache_writer lm_mapcache_writer;
lm_status lm_mapcache_begin(const lm_mapcache *c, lm_mapcache_writer **out, lm_error *err);
lm_status lm_mapcache_add(lm_mapcache_writer *w, const void *data, size_t len, lm_error *err);
lm_status lm_mapcache_commit(lm_mapcache_writer *w, lm_error *err);
void lm_mapcache_abort(lm_mapcache_writer *w);

/* The size of a section of len bytes once padded. */
static inline size_t lm_mapcache_padded(size_t len)
{
    return (len + LM_MAPCACHE_ALIGN - 1) / LM_MAPCACHE_ALIGN * LM_MAPCACHE_ALIGN;
}

#endif
