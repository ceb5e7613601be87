/*
 * Bulk-file downloads (see lm_download.h).
 *
 * The .part file is written as bytes arrive, so whatever an interrupted
 * attempt received survives for the next one to resume; the MD5 is kept
 * running alongside (after re-hashing the bytes already on disk when
 * resuming), so verifying costs no second read of the file.  The part is
 * fsync'ed before the rename and the directory after it: a power cut
 * leaves either the old state or the verified file, never a torn one.
 */
#include "../util/lm_sort.h"
#include "lm_download.h"

#include "../util/lm_buf.h"
#include "../util/lm_file.h"
#include "../util/lm_md5.h"
#include "lm_part.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MD5_FILE_MAX 4096
#define INDEX_PAGE_MAX ((size_t)16 << 20)

void lm_download_result_free(lm_download_result *r)
{
    if (!r)
        return;
    free(r->path);
    memset(r, 0, sizeof *r);
}

/* ---- names and digests -------------------------------------------------- */

int lm_download_bulk_name(const char *name, int *year, long *number)
{
    const char *p = name;
    if (strncmp(p, "pubmed", 6) != 0)
        return 0;
    p += 6;
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != 'n')
        return 0;
    int yy = (p[0] - '0') * 10 + (p[1] - '0');
    p += 3;
    long num = 0;
    int digits = 0;
    while (isdigit((unsigned char)*p) && digits < 9) {
        num = num * 10 + (*p++ - '0');
        digits++;
    }
    if (digits < 4 || strcmp(p, ".xml.gz") != 0)
        return 0;
    if (year)
        *year = yy;
    if (number)
        *number = num;
    return 1;
}

static int is_hex32(const char *s)
{
    for (int i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return !isxdigit((unsigned char)s[32]);
}

static void copy_hex(char hex[33], const char *s)
{
    for (int i = 0; i < 32; i++)
        hex[i] = (char)tolower((unsigned char)s[i]);
    hex[32] = '\0';
}

lm_status lm_download_parse_md5(const char *text, const char *expected_name, char hex[33],
                                lm_error *err)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    char named[256] = "";
    if (strncmp(p, "MD5(", 4) == 0) {
        const char *close = strstr(p, ")=");
        if (!close || (size_t)(close - p - 4) >= sizeof named)
            goto bad;
        memcpy(named, p + 4, (size_t)(close - p - 4));
        named[close - p - 4] = '\0';
        p = close + 2;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!is_hex32(p))
            goto bad;
        copy_hex(hex, p);
    } else if (is_hex32(p)) {
        copy_hex(hex, p);
        p += 32;
        while (*p == ' ' || *p == '\t' || *p == '*')
            p++;
        size_t n = strcspn(p, "\r\n");
        if (n >= sizeof named)
            n = sizeof named - 1;
        memcpy(named, p, n);
        named[n] = '\0';
        while (n > 0 && isspace((unsigned char)named[n - 1]))
            named[--n] = '\0';
    } else {
        goto bad;
    }
    if (expected_name && named[0] && strcmp(named, expected_name) != 0)
        return lm_error_set(err, LM_ERR_FORMAT, "MD5 file is for \"%s\", not \"%s\"", named,
                            expected_name);
    return LM_OK;
bad:
    return lm_error_set(err, LM_ERR_FORMAT, "unrecognised MD5 file: \"%.60s\"", text);
}

/* The last path segment of a URL (query and fragment dropped). */
static lm_status url_basename(const char *url, char *out, size_t cap, lm_error *err)
{
    size_t end = strcspn(url, "?#");
    size_t start = end;
    while (start > 0 && url[start - 1] != '/')
        start--;
    size_t n = end - start;
    if (n == 0 || n >= cap || url[start] == '.' || memchr(url + start, '%', n))
        return lm_error_set(err, LM_ERR_USAGE, "cannot take a file name from \"%.200s\"", url);
    memcpy(out, url + start, n);
    out[n] = '\0';
    return LM_OK;
}

static lm_status md5_of_file(const char *path, lm_md5 *m, int64_t *size, lm_error *err)
{
    lm_md5_init(m);
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
        lm_md5_update(m, buf, n);
        *size += (int64_t)n;
    }
    int bad = ferror(fp);
    fclose(fp);
    return bad ? lm_error_set(err, LM_ERR_IO, "%s: read error", path) : LM_OK;
}

/* ---- the download sink -------------------------------------------------- */

static void md5_reset(void *ctx)
{
    lm_md5_init(ctx);
}

static void md5_update(void *ctx, const void *data, size_t len)
{
    lm_md5_update(ctx, data, len);
}

/* One lm_http_get into the .part, made durable at the end of the
 * transfer; returns the MD5 of the whole part. */
static lm_status fetch_part(lm_http *http, const char *url, lm_part *p, char hex[33],
                            lm_error *err)
{
    lm_http_sink sink = {.begin = lm_part_on_begin, .headers = lm_part_on_headers,
                         .write = lm_part_on_write, .end = lm_part_on_end, .ctx = p};
    lm_status st = lm_http_get(http, url, &sink, err);
    lm_part_drop(p);
    if (st == LM_OK)
        lm_md5_final_hex(p->digest.ctx, hex);
    return st;
}

/* lm_part_fetch's steps for one file. */
typedef struct download_attempt {
    lm_http *http;
    const char *url, *name, *want;
    lm_part *part;
    char got[33];   /* the MD5 of the finished part */
} download_attempt;

static lm_status attempt_get(void *ctx, lm_error *err)
{
    download_attempt *a = ctx;
    return fetch_part(a->http, a->url, a->part, a->got, err);
}

static lm_status attempt_check(void *ctx, lm_error *err)
{
    const download_attempt *a = ctx;
    if (strcmp(a->got, a->want) == 0)
        return LM_OK;
    return lm_error_set(err, LM_ERR_CORRUPT, "%s: MD5 mismatch: downloaded %s, expected %s",
                        a->name, a->got, a->want);
}

lm_status lm_download_file(lm_http *http, const char *url, const char *spool_dir,
                           const char *md5_url, lm_download_result *res, lm_error *err)
{
    lm_download_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    char name[256];
    lm_status st = url_basename(url, name, sizeof name, err);
    if (st != LM_OK)
        return st;
    lm_buf final, part, md5u, text;
    lm_buf_init(&final);
    lm_buf_init(&part);
    lm_buf_init(&md5u);
    lm_buf_init(&text);
    if (lm_buf_printf(&final, "%s/%s", spool_dir, name) != LM_OK ||
        lm_buf_printf(&part, "%s/.%s.part", spool_dir, name) != LM_OK ||
        lm_buf_printf(&md5u, "%s.md5", url) != LM_OK) {
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        goto out;
    }
    int verify = !md5_url || md5_url[0];
    char want[33] = "";
    if (verify) {
        const char *mu = md5_url ? md5_url : lm_buf_cstr(&md5u);
        st = lm_http_get_buf(http, mu, MD5_FILE_MAX, &text, err);
        if (st == LM_OK)
            st = lm_download_parse_md5(lm_buf_cstr(&text), name, want, err);
        if (st != LM_OK) {
            lm_error_wrap(err, "%s: cannot get its MD5", name);
            goto out;
        }
    }

    struct stat sb;
    if (stat(lm_buf_cstr(&final), &sb) == 0) {
        lm_md5 m;
        int64_t size;
        char have[33];
        if ((st = md5_of_file(lm_buf_cstr(&final), &m, &size, err)) != LM_OK)
            goto out;
        lm_md5_final_hex(&m, have);
        if (!verify || strcmp(have, want) == 0) {
            res->already_present = 1;
            res->bytes = size;
            memcpy(res->md5, have, 33);
            goto done;
        }
        /* A stale or damaged copy: fetch anew; the rename replaces it. */
    }

    if (verify && stat(lm_buf_cstr(&part), &sb) == 0) {
        /* A run that died between the last byte and the rename left a
         * complete part: it needs verifying, not fetching. */
        lm_md5 m;
        int64_t size;
        char have[33];
        if (md5_of_file(lm_buf_cstr(&part), &m, &size, err) == LM_OK) {
            lm_md5_final_hex(&m, have);
            lm_error ignored;
            if (strcmp(have, want) == 0 &&
                lm_file_publish(lm_buf_cstr(&part), lm_buf_cstr(&final), &ignored) == LM_OK) {
                res->resumed = 1;
                res->bytes = size;
                memcpy(res->md5, have, 33);
                goto done;
            }
        }
    }

    lm_md5 md5;
    lm_part s = {.path = lm_buf_cstr(&part), .digest = {md5_reset, md5_update, &md5}};
    download_attempt a = {http, url, name, want, &s, ""};
    st = lm_part_fetch(&s, attempt_get, verify ? attempt_check : NULL, &a, err);
    res->downloaded = s.transferred;
    res->resumed = lm_part_resumed(&s);
    if (st != LM_OK) {
        if (st != LM_ERR_CORRUPT)   /* that message names the file */
            lm_error_wrap(err, "%s", name);
        goto out;   /* a .part a network error stopped stays for a later resume */
    }
    if ((st = lm_file_publish(lm_buf_cstr(&part), lm_buf_cstr(&final), err)) != LM_OK)
        goto out;
    res->bytes = s.have;
    memcpy(res->md5, a.got, 33);
done:
    res->path = lm_buf_take(&final);
    if (!res->path)
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
out:
    lm_buf_free(&final);
    lm_buf_free(&part);
    lm_buf_free(&md5u);
    lm_buf_free(&text);
    if (res == &local)
        lm_download_result_free(&local);
    return st;
}

/* ---- directory listings ------------------------------------------------- */

typedef struct name_list {
    char **names;
    size_t n, cap;
} name_list;

static lm_status list_add(name_list *l, const char *s, size_t len)
{
    char name[256];
    if (len >= sizeof name)
        return LM_OK;
    memcpy(name, s, len);
    name[len] = '\0';
    if (!lm_download_bulk_name(name, NULL, NULL))
        return LM_OK;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return LM_OK;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        char **grown = realloc(l->names, nc * sizeof *grown);
        if (!grown)
            return LM_ERR_NOMEM;
        l->names = grown;
        l->cap = nc;
    }
    if (!(l->names[l->n] = strdup(name)))
        return LM_ERR_NOMEM;
    l->n++;
    return LM_OK;
}

static int compare_bulk(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int yx = 0, yy = 0;
    long nx = 0, ny = 0;
    lm_download_bulk_name(x, &yx, &nx);
    lm_download_bulk_name(y, &yy, &ny);
    if (yx != yy)
        return yx < yy ? -1 : 1;
    if (nx != ny)
        return nx < ny ? -1 : 1;
    return strcmp(x, y);
}

static int hexval(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

static lm_status list_local(const char *dir_url, name_list *l, lm_error *err)
{
    const char *p = dir_url + 7;   /* after "file://" */
    if (strncasecmp(p, "localhost/", 10) == 0)
        p += 9;
    if (*p != '/')
        return lm_error_set(err, LM_ERR_USAGE, "file URL must be absolute: %.200s", dir_url);
    char path[4096];
    size_t o = 0;
    for (; *p && o + 1 < sizeof path; p++) {
        if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            path[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            path[o++] = *p;
        }
    }
    path[o] = '\0';
    DIR *d = opendir(path);
    if (!d)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    lm_status st = LM_OK;
    struct dirent *e;
    while (st == LM_OK && (e = readdir(d)) != NULL)
        st = list_add(l, e->d_name, strlen(e->d_name));
    closedir(d);
    return st == LM_OK ? st : lm_error_set(err, st, "out of memory");
}

static const char *find_href(const char *p)
{
    for (; *p; p++)
        if (strncasecmp(p, "href=", 5) == 0)
            return p;
    return NULL;
}

/* Links of an HTML index page: href="..." values, reduced to basenames. */
static lm_status list_html(const char *page, name_list *l)
{
    const char *p = page;
    while ((p = find_href(p)) != NULL) {
        p += 5;
        char quote = (*p == '"' || *p == '\'') ? *p++ : 0;
        const char *e = p;
        while (*e && (quote ? *e != quote : !isspace((unsigned char)*e) && *e != '>'))
            e++;
        const char *end = p;
        while (end < e && *end != '?' && *end != '#')
            end++;
        const char *start = end;
        while (start > p && start[-1] != '/')
            start--;
        lm_status st = list_add(l, start, (size_t)(end - start));
        if (st != LM_OK)
            return st;
        p = e;
    }
    return LM_OK;
}

/* An FTP name list: one entry per line. */
static lm_status list_lines(const char *text, name_list *l)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\r\n");
        const char *start = p + n;
        while (start > p && start[-1] != '/')
            start--;
        lm_status st = list_add(l, start, (size_t)(p + n - start));
        if (st != LM_OK)
            return st;
        p += n;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    return LM_OK;
}

lm_status lm_download_list_dir(lm_http *http, const char *dir_url, lm_download_list *out,
                               lm_error *err)
{
    memset(out, 0, sizeof *out);
    name_list l = {0};
    lm_status st;
    if (strncasecmp(dir_url, "file://", 7) == 0) {
        st = list_local(dir_url, &l, err);
    } else {
        lm_buf page;
        lm_buf_init(&page);
        st = lm_http_get_buf(http, dir_url, INDEX_PAGE_MAX, &page, err);
        if (st == LM_OK) {
            st = strncasecmp(dir_url, "ftp", 3) == 0 ? list_lines(lm_buf_cstr(&page), &l)
                                                    : list_html(lm_buf_cstr(&page), &l);
            if (st != LM_OK)
                st = lm_error_set(err, st, "out of memory");
        }
        lm_buf_free(&page);
    }
    if (st != LM_OK) {
        lm_download_list tmp = {l.names, l.n};
        lm_download_list_free(&tmp);
        return st;
    }
    if (l.n > 1)
        lm_qsort(l.names, l.n, sizeof *l.names, compare_bulk);
    out->names = l.names;
    out->n = l.n;
    return LM_OK;
}

void lm_download_list_free(lm_download_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}
