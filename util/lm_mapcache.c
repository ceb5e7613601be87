/*
 * Mappable model caches (see lm_mapcache.h).
 *
 * File layout (native byte order; the byte-order mark says which):
 *
 *     0  "LMMAPC\0\n"            8  u32 format version  12  u32 0x01020304
 *    16  kind[8]                24  u32 caller's layout  28  u32 path length
 *    32  u64 payload offset     40  u64 payload length   48  u64 XXH3 of payload
 *    56  u64 source device, inode, size, mtime s, mtime ns (5 x 8)
 *    96  source's first 64 bytes
 *   160  u64 XXH3 of bytes 0..160 and the path          168..192 zero
 *   192  the source's absolute path, then zeros up to the payload offset
 *
 * The payload starts on a LM_MAPCACHE_ALIGN boundary, and so does each
 * section the caller adds, so the caller's arrays are aligned in the
 * mapping (mmap returns page-aligned memory).
 */
#include "lm_mapcache.h"

#include "lm_buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define MC_MAGIC "LMMAPC\0\n"
#define MC_VERSION 1u
#define MC_BOM 0x01020304u
#define MC_HEADER 192u

int lm_mapcache_dir(char *buf, size_t cap)
{
    const char *env = getenv("LITMINE_MODEL_CACHE");
    int n;
    if (env) {
        if (!*env || strcmp(env, "off") == 0)
            return -1;
        n = snprintf(buf, cap, "%s", env);
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        /* the XDG spec: a relative XDG_CACHE_HOME is invalid, ignore it */
        if (xdg && xdg[0] == '/')
            n = snprintf(buf, cap, "%s/litmine", xdg);
        else if (home && home[0] == '/')
            n = snprintf(buf, cap, "%s/.cache/litmine", home);
        else
            return -1;
    }
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Creates dir and its parent when missing (the cache's own directory is
 * private: model caches say which models a user runs). */
static int make_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : -1;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (stat(parent, &st) != 0 && mkdir(parent, 0700) != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* The source's identity now: 0, or -1 when it cannot be read. */
static int source_ident(const char *source, uint64_t ident[5], unsigned char head[64])
{
    int fd = open(source, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    memset(head, 0, 64);
    ssize_t got = fstat(fd, &st) == 0 ? read(fd, head, 64) : -1;
    close(fd);
    if (got < 0)
        return -1;
    ident[0] = (uint64_t)st.st_dev;
    ident[1] = (uint64_t)st.st_ino;
    ident[2] = (uint64_t)st.st_size;
    ident[3] = (uint64_t)st.st_mtim.tv_sec;
    ident[4] = (uint64_t)st.st_mtim.tv_nsec;
    return 0;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t header_hash(const unsigned char *h, const char *path, size_t path_len)
{
    XXH3_state_t *s = XXH3_createState();
    if (!s)
        return 0;
    XXH3_64bits_reset(s);
    XXH3_64bits_update(s, h, 160);
    XXH3_64bits_update(s, path, path_len);
    uint64_t v = XXH3_64bits_digest(s);
    XXH3_freeState(s);
    return v;
}

void lm_mapcache_close(lm_mapcache *c)
{
    lm_file_map_close(&c->map);
    free(c->cache_path);
    free(c->source_abs);
    memset(c, 0, sizeof *c);
}

/* The cache file of the source file abs (an absolute path). */
static int cache_path_of(const char *abs, lm_buf *out)
{
    char dir[PATH_MAX];
    if (lm_mapcache_dir(dir, sizeof dir) != 0)
        return -1;
    const char *base = strrchr(abs, '/');
    base = base ? base + 1 : abs;
    return lm_buf_printf(out, "%s/%s-%016llx.map", dir, base,
                         (unsigned long long)XXH3_64bits(abs, strlen(abs))) == LM_OK ? 0 : -1;
}

int lm_mapcache_path(const char *source, lm_buf *out)
{
    char abs[PATH_MAX];
    lm_buf_reset(out);
    return realpath(source, abs) ? cache_path_of(abs, out) : -1;
}

/* Checks a mapped cache against what c expects; 1 when it is usable. */
static int cache_matches(const lm_mapcache *c)
{
    const unsigned char *h = c->map.data;
    size_t n = c->map.len, plen = strlen(c->source_abs);
    if (n < MC_HEADER || memcmp(h, MC_MAGIC, 8) != 0 || get_u32(h + 8) != MC_VERSION ||
        get_u32(h + 12) != MC_BOM || memcmp(h + 16, c->kind, 8) != 0 ||
        get_u32(h + 24) != c->layout || get_u32(h + 28) != plen || MC_HEADER + plen > n ||
        memcmp(h + MC_HEADER, c->source_abs, plen) != 0 ||
        get_u64(h + 160) != header_hash(h, c->source_abs, plen))
        return 0;
    uint64_t off = get_u64(h + 32), len = get_u64(h + 40);
    if (off % LM_MAPCACHE_ALIGN || off < MC_HEADER + plen || off > n || len != n - off)
        return 0;
    for (int i = 0; i < 5; i++)
        if (get_u64(h + 56 + 8 * i) != c->ident[i])
            return 0;
    if (memcmp(h + 96, c->head, 64) != 0)
        return 0;
    return XXH3_64bits(h + off, (size_t)len) == get_u64(h + 48);
}

int lm_mapcache_open(lm_mapcache *c, const char *source, const char *kind, uint32_t layout)
{
    memset(c, 0, sizeof *c);
    size_t kl = strlen(kind);
    memcpy(c->kind, kind, kl < sizeof c->kind ? kl : sizeof c->kind);
    c->layout = layout;
    char abs[PATH_MAX];
    if (!realpath(source, abs) || source_ident(abs, c->ident, c->head) != 0)
        return 0;
    lm_buf p;
    lm_buf_init(&p);
    if (cache_path_of(abs, &p) != 0) {
        lm_buf_free(&p);
        return 0;
    }
    c->cache_path = lm_buf_take(&p);
    c->source_abs = strdup(abs);
    if (!c->cache_path || !c->source_abs) {
        lm_mapcache_close(c);
        return 0;
    }
    lm_error err;
    if (access(c->cache_path, R_OK) != 0 || lm_file_map_open(c->cache_path, &c->map, &err) != LM_OK)
        return 0;
    if (!cache_matches(c)) {
        lm_file_map_close(&c->map);
        return 0;
    }
    const unsigned char *h = c->map.data;
    c->payload = h + get_u64(h + 32);
    c->len = (size_t)get_u64(h + 40);
    return 1;
}

/* ---- writing ---- */

struct lm_mapcache_writer {
    lm_file_atomic file;
    XXH3_state_t *hash;
    unsigned char header[MC_HEADER];
    char *source_abs;
    char *dir;
    uint64_t payload_off, payload_len;
};

void lm_mapcache_abort(lm_mapcache_writer *w)
{
    if (!w)
        return;
    if (w->file.f)
        lm_file_atomic_abort(&w->file);
    if (w->hash)
        XXH3_freeState(w->hash);
    free(w->source_abs);
    free(w->dir);
    free(w);
}

static lm_status write_zeros(lm_mapcache_writer *w, size_t n, lm_error *err)
{
    static const unsigned char zero[LM_MAPCACHE_ALIGN];
    while (n) {
        size_t k = n < sizeof zero ? n : sizeof zero;
        if (fwrite(zero, 1, k, w->file.f) != k)
            return lm_error_set(err, LM_ERR_IO, "writing %s: %s", w->file.tmp, strerror(errno));
        XXH3_64bits_update(w->hash, zero, k);
        w->payload_len += k;
        n -= k;
    }
    return LM_OK;
}

lm_status lm_mapcache_begin(const lm_mapcache *c, lm_mapcache_writer **out, lm_error *err)
{
    *out = NULL;
    if (!c->cache_path || !c->source_abs)
        return lm_error_set(err, LM_ERR_USAGE, "no model cache directory");
    lm_mapcache_writer *w = calloc(1, sizeof *w);
    if (!w)
        return lm_error_nomem(err, "writing a model cache");
    w->hash = XXH3_createState();
    w->source_abs = strdup(c->source_abs);
    w->dir = strdup(c->cache_path);
    if (!w->hash || !w->source_abs || !w->dir) {
        lm_mapcache_abort(w);
        return lm_error_nomem(err, "writing a model cache");
    }
    *strrchr(w->dir, '/') = '\0';
    if (make_dir(w->dir) != 0) {
        lm_status st = lm_error_set(err, LM_ERR_IO, "cannot create %s: %s", w->dir,
                                    strerror(errno));
        lm_mapcache_abort(w);
        return st;
    }
    lm_status st = lm_file_atomic_begin(&w->file, c->cache_path, err);
    if (st != LM_OK) {
        lm_mapcache_abort(w);
        return st;
    }
    XXH3_64bits_reset(w->hash);
    size_t plen = strlen(w->source_abs);
    unsigned char *h = w->header;
    uint32_t u32;
    uint64_t u64;
    memcpy(h, MC_MAGIC, 8);
    u32 = MC_VERSION;
    memcpy(h + 8, &u32, 4);
    u32 = MC_BOM;
    memcpy(h + 12, &u32, 4);
    memcpy(h + 16, c->kind, 8);
    memcpy(h + 24, &c->layout, 4);
    u32 = (uint32_t)plen;
    memcpy(h + 28, &u32, 4);
    w->payload_off = lm_mapcache_padded(MC_HEADER + plen);
    memcpy(h + 32, &w->payload_off, 8);
    for (int i = 0; i < 5; i++) {
        u64 = c->ident[i];
        memcpy(h + 56 + 8 * i, &u64, 8);
    }
    memcpy(h + 96, c->head, 64);
    /* the header is written last, at commit; reserve its place */
    size_t pad = (size_t)w->payload_off - MC_HEADER - plen;
    if (fwrite(h, 1, MC_HEADER, w->file.f) != MC_HEADER ||
        fwrite(w->source_abs, 1, plen, w->file.f) != plen) {
        st = lm_error_set(err, LM_ERR_IO, "writing %s: %s", w->file.tmp, strerror(errno));
        lm_mapcache_abort(w);
        return st;
    }
    while (pad--)
        if (fputc(0, w->file.f) == EOF) {
            st = lm_error_set(err, LM_ERR_IO, "writing %s: %s", w->file.tmp, strerror(errno));
            lm_mapcache_abort(w);
            return st;
        }
    *out = w;
    return LM_OK;
}

lm_status lm_mapcache_add(lm_mapcache_writer *w, const void *data, size_t len, lm_error *err)
{
    if (len && fwrite(data, 1, len, w->file.f) != len)
        return lm_error_set(err, LM_ERR_IO, "writing %s: %s", w->file.tmp, strerror(errno));
    if (len)
        XXH3_64bits_update(w->hash, data, len);
    w->payload_len += len;
    return write_zeros(w, lm_mapcache_padded(len) - len, err);
}

/* Removes the caches in dir whose source file is gone (a deleted checkout,
 * a test's temporary model), keeping the directory from growing without
 * bound.  Best effort. */
static void remove_orphans(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".map") != 0)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        unsigned char h[MC_HEADER];
        char src[PATH_MAX];
        ssize_t got = read(fd, h, sizeof h);
        uint32_t plen = got == (ssize_t)sizeof h ? get_u32(h + 28) : 0;
        int ok = got == (ssize_t)sizeof h && memcmp(h, MC_MAGIC, 8) == 0 && plen > 0 &&
                 plen < sizeof src && read(fd, src, plen) == (ssize_t)plen;
        close(fd);
        if (!ok)
            continue;
        src[plen] = '\0';
        struct stat st;
        if (stat(src, &st) != 0 && errno == ENOENT)
            unlink(path);
    }
    closedir(d);
}

lm_status lm_mapcache_commit(lm_mapcache_writer *w, lm_error *err)
{
    size_t plen = strlen(w->source_abs);
    uint64_t digest = XXH3_64bits_digest(w->hash);
    memcpy(w->header + 40, &w->payload_len, 8);
    memcpy(w->header + 48, &digest, 8);
    uint64_t hh = header_hash(w->header, w->source_abs, plen);
    memcpy(w->header + 160, &hh, 8);
    lm_status st = LM_OK;
    if (fseek(w->file.f, 0, SEEK_SET) != 0 ||
        fwrite(w->header, 1, MC_HEADER, w->file.f) != MC_HEADER)
        st = lm_error_set(err, LM_ERR_IO, "writing %s: %s", w->file.tmp, strerror(errno));
    if (st == LM_OK)
        st = lm_file_atomic_commit(&w->file, err);
    if (st == LM_OK)
        remove_orphans(w->dir);
    lm_mapcache_abort(w);
    return st;
}
