/*
 * Hugging Face hub downloads (see lm_hub.h).
 *
 * The .part file is lm_download's (fetch/lm_part.h: resumed with a byte
 * range, restarted on a 200), but it is verified with SHA-256 and sizes
 * from the hub's API and headers rather than a published .md5.  The digest is computed by reading the
 * finished .part back: one more pass over a file that is in the page
 * cache, and the only way a resumed file's digest covers its old bytes.
 */
#include "lm_hub.h"

#include "../util/lm_buf.h"
#include "../util/lm_file.h"
#include "../util/lm_json.h"
#include "../util/lm_sha256.h"
#include "lm_part.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define API_MAX_BYTES ((size_t)16 << 20)
#define SOURCE_FILE "litmine-source.json"

/* What an encoder directory needs, in download order: the config first
 * (checked before anything big), the weights last. */
static const char *const wanted[] = {
    "config.json",      "tokenizer_config.json",     "special_tokens_map.json",
    "vocab.txt",        "vocab.json",                "merges.txt",
    "modules.json",     "sentence_bert_config.json", "1_Pooling/config.json",
    "model.safetensors",
};

int lm_hub_valid_name(const char *name)
{
    if (!name || !*name || strlen(name) > 200)
        return 0;
    int slashes = 0;
    const char *seg = name;
    for (const char *p = name;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t n = (size_t)(p - seg);
            if (n == 0 || seg[0] == '.')
                return 0;
            for (size_t k = 0; k + 1 < n; k++)
                if (seg[k] == '.' && seg[k + 1] == '.')
                    return 0;
            if (*p == '\0')
                break;
            if (++slashes > 1)
                return 0;
            seg = p + 1;
            continue;
        }
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return 0;
    }
    return 1;
}

static int valid_revision(const char *r)
{
    if (!*r || strlen(r) > 200 || strstr(r, ".."))
        return 0;
    for (; *r; r++)
        if (!isalnum((unsigned char)*r) && !strchr("-_./", *r))
            return 0;
    return 1;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return s[n] == '\0';
}

/* "W/\"abc\"" -> abc, lower-cased; "" when it is not a SHA-256. */
static void normalise_etag(const char *v, char out[65])
{
    out[0] = '\0';
    if (strncmp(v, "W/", 2) == 0)
        v += 2;
    if (*v == '"')
        v++;
    size_t n = strcspn(v, "\"");
    if (n != 64)
        return;
    for (size_t i = 0; i < 64; i++)
        out[i] = (char)tolower((unsigned char)v[i]);
    out[64] = '\0';
    if (!is_hex(out, 64))
        out[0] = '\0';
}

static lm_status make_dirs(const char *path, lm_error *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return lm_error_set(err, LM_ERR_IO, "mkdir %s: %s", buf, strerror(errno));
            if (c == '\0')
                return LM_OK;
            *p = c;
        }
    }
}

static lm_status sha256_of(const char *path, char hex[65], int64_t *size, lm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char *buf = malloc(1 << 16);
    if (!buf) {
        fclose(f);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    lm_sha256 s;
    lm_sha256_init(&s);
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, 1 << 16, f)) > 0) {
        lm_sha256_update(&s, buf, n);
        *size += (int64_t)n;
    }
    int bad = ferror(f);
    fclose(f);
    free(buf);
    if (bad)
        return lm_error_set(err, LM_ERR_IO, "%s: read error", path);
    lm_sha256_final_hex(&s, hex);
    return LM_OK;
}

/* ---- the .part sink -------------------------------------------------------- */

typedef struct part_sink {
    lm_part part;            /* first: the lm_part callbacks take the sink */
    char linked_etag[65];    /* X-Linked-Etag of this attempt */
    int64_t linked_size;
} part_sink;

static lm_status part_begin(void *ctx, int64_t *resume_from, lm_error *err)
{
    part_sink *s = ctx;
    s->linked_etag[0] = '\0';
    s->linked_size = -1;
    return lm_part_on_begin(&s->part, resume_from, err);
}

static lm_status part_header(void *ctx, const char *name, const char *value, lm_error *err)
{
    (void)err;
    part_sink *s = ctx;
    if (strcasecmp(name, "x-linked-etag") == 0) {
        normalise_etag(value, s->linked_etag);
    } else if (strcasecmp(name, "x-linked-size") == 0) {
        char *end;
        long long v = strtoll(value, &end, 10);
        if (end != value && *end == '\0' && v >= 0)
            s->linked_size = v;
    }
    return LM_OK;
}

/* One GET into the .part.  The part is made durable here, once the
 * transfer is complete (a failure to do so is not worth a retry). */
static lm_status get_part(lm_http *http, const char *url, part_sink *s, lm_error *err)
{
    lm_http_sink sink = {.begin = part_begin, .headers = lm_part_on_headers,
                         .write = lm_part_on_write, .header = part_header, .ctx = s};
    lm_status st = lm_http_get(http, url, &sink, err);
    if (!s->part.fp)
        return st;
    if (st != LM_OK)
        lm_part_drop(&s->part);
    else
        st = lm_part_on_end(&s->part, err);
    return st;
}

/* ---- one file ---------------------------------------------------------------- */

typedef struct hub_ctx {
    lm_http *http;
    const char *base, *name, *dest;
    const lm_hub_options *opt;
    int same_commit;        /* dest was fetched from this very commit */
    lm_buf url, final, part;
} hub_ctx;

/* Whether final already holds the file: its size, and digest for LFS
 * files; small files count only when fetched from the same commit. */
static int already_present(hub_ctx *h, lm_hub_file *f, lm_error *err)
{
    struct stat sb;
    if (stat(lm_buf_cstr(&h->final), &sb) != 0 || (f->size >= 0 && sb.st_size != f->size))
        return 0;
    if (!f->sha256[0])
        return h->same_commit;
    char hex[65];
    int64_t size;
    lm_error ignore;
    (void)err;
    return sha256_of(lm_buf_cstr(&h->final), hex, &size, &ignore) == LM_OK &&
           strcmp(hex, f->sha256) == 0;
}

/* Checks the finished .part; LM_ERR_CORRUPT when it is not the file. */
static lm_status verify_part(hub_ctx *h, lm_hub_file *f, const part_sink *s, lm_error *err)
{
    const char *part = lm_buf_cstr(&h->part);
    if (s->linked_etag[0] && f->sha256[0] && strcmp(s->linked_etag, f->sha256) != 0)
        return lm_error_set(err, LM_ERR_CORRUPT,
                            "%s: the hub's API and its X-Linked-Etag disagree (%.12s vs %.12s)",
                            f->name, f->sha256, s->linked_etag);
    if (!f->sha256[0] && s->linked_etag[0])
        memcpy(f->sha256, s->linked_etag, 65);
    if (f->size < 0 && s->linked_size >= 0)
        f->size = s->linked_size;
    struct stat sb;
    if (stat(part, &sb) != 0)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", part, strerror(errno));
    if (f->size >= 0 && sb.st_size != f->size)
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: %lld bytes, the hub says %lld", f->name,
                            (long long)sb.st_size, (long long)f->size);
    if (!f->sha256[0])
        return LM_OK;
    char hex[65];
    int64_t size;
    lm_status st = sha256_of(part, hex, &size, err);
    if (st != LM_OK)
        return st;
    if (strcmp(hex, f->sha256) != 0)
        return lm_error_set(err, LM_ERR_CORRUPT, "%s: SHA-256 %s, the hub says %s", f->name, hex,
                            f->sha256);
    return LM_OK;
}

/* lm_part_fetch's steps for one file. */
typedef struct hub_attempt {
    hub_ctx *h;
    lm_hub_file *f;
    part_sink *s;
} hub_attempt;

static lm_status attempt_get(void *ctx, lm_error *err)
{
    hub_attempt *a = ctx;
    return get_part(a->h->http, lm_buf_cstr(&a->h->url), a->s, err);
}

static lm_status attempt_check(void *ctx, lm_error *err)
{
    hub_attempt *a = ctx;
    return verify_part(a->h, a->f, a->s, err);
}

static lm_status fetch_one(hub_ctx *h, const char *commit, lm_hub_file *f, lm_error *err)
{
    lm_buf_reset(&h->url);
    lm_buf_reset(&h->final);
    lm_buf_reset(&h->part);
    if (lm_buf_printf(&h->url, "%s/%s/resolve/%s/%s", h->base, h->name, commit, f->name) ||
        lm_buf_printf(&h->final, "%s/%s", h->dest, f->name) ||
        lm_buf_printf(&h->part, "%s/%s.part", h->dest, f->name))
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    char *slash = strrchr(f->name, '/');
    if (slash) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%.*s", h->dest, (int)(slash - f->name), f->name);
        lm_status st = make_dirs(sub, err);
        if (st != LM_OK)
            return st;
    }
    if (h->opt && h->opt->progress)
        h->opt->progress(h->opt->ctx, f, 0);
    if (already_present(h, f, err)) {
        f->already_present = 1;
        if (h->opt && h->opt->progress)
            h->opt->progress(h->opt->ctx, f, 1);
        return LM_OK;
    }
    part_sink s = {.part = {.path = lm_buf_cstr(&h->part)}};
    hub_attempt a = {h, f, &s};
    lm_status st = lm_part_fetch(&s.part, attempt_get, attempt_check, &a, err);
    f->downloaded = s.part.transferred;
    f->resumed = lm_part_resumed(&s.part);
    if (st != LM_OK)
        return st;   /* a network error leaves the .part for the next run */
    st = lm_file_publish(lm_buf_cstr(&h->part), lm_buf_cstr(&h->final), err);
    if (st != LM_OK)
        return st;
    if (h->opt && h->opt->progress)
        h->opt->progress(h->opt->ctx, f, 1);
    return LM_OK;
}

/* ---- the file list --------------------------------------------------------------- */

static int has_sibling(const lm_json_value *siblings, const char *name)
{
    for (const lm_json_value *s = lm_json_first(siblings); s; s = lm_json_next(s))
        if (strcmp(lm_json_get_str(s, "rfilename", ""), name) == 0)
            return 1;
    return 0;
}

static lm_status plan_files(const char *name, const char *rev, const lm_json_value *siblings,
                            lm_hub_result *res, lm_error *err)
{
    if (!has_sibling(siblings, "config.json"))
        return lm_error_set(err, LM_ERR_FORMAT, "%s (%s) has no config.json: not a transformers model",
                            name, rev);
    if (!has_sibling(siblings, "model.safetensors")) {
        if (has_sibling(siblings, "model.safetensors.index.json"))
            return lm_error_set(err, LM_ERR_FORMAT,
                                "%s (%s) has sharded weights (model.safetensors.index.json); litmine "
                                "reads one model.safetensors",
                                name, rev);
        return lm_error_set(err, LM_ERR_FORMAT,
                            "%s (%s) has no model.safetensors%s; litmine reads safetensors only "
                            "(many models have a conversion as a hub pull request: try --revision "
                            "refs/pr/N with N from the model's Community tab)",
                            name, rev,
                            has_sibling(siblings, "pytorch_model.bin") ? " (only pytorch_model.bin)" : "");
    }
    if (!has_sibling(siblings, "vocab.txt") &&
        !(has_sibling(siblings, "vocab.json") && has_sibling(siblings, "merges.txt")))
        return lm_error_set(err, LM_ERR_FORMAT,
                            "%s (%s) ships no vocab.txt or vocab.json + merges.txt (litmine does not "
                            "read tokenizer.json or SentencePiece tokenizers)",
                            name, rev);
    res->n_files = 0;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        for (const lm_json_value *s = lm_json_first(siblings); s; s = lm_json_next(s)) {
            if (strcmp(lm_json_get_str(s, "rfilename", ""), wanted[i]) != 0)
                continue;
            lm_hub_file *f = &res->files[res->n_files++];
            memset(f, 0, sizeof *f);
            snprintf(f->name, sizeof f->name, "%s", wanted[i]);
            const lm_json_value *lfs = lm_json_get(s, "lfs");
            f->size = lm_json_get_int(lfs, "size", lm_json_get_int(s, "size", -1));
            const char *sha = lm_json_get_str(lfs, "sha256", "");
            if (strlen(sha) == 64 && is_hex(sha, 64))
                for (int k = 0; k <= 64; k++)
                    f->sha256[k] = (char)tolower((unsigned char)sha[k]);
            break;
        }
    }
    return LM_OK;
}

static lm_status api_info(hub_ctx *h, const char *rev, lm_json **doc, lm_error *err)
{
    lm_buf url, body;
    lm_buf_init(&url);
    lm_buf_init(&body);
    lm_status st = lm_buf_printf(&url, "%s/api/models/%s/revision/", h->base, h->name);
    if (st == LM_OK)
        st = lm_http_escape(&url, rev);
    if (st == LM_OK)
        st = lm_buf_append_str(&url, "?blobs=true");
    if (st != LM_OK) {
        st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    } else if ((st = lm_http_get_buf(h->http, lm_buf_cstr(&url), API_MAX_BYTES, &body, err)) != LM_OK) {
        long code = lm_http_last_status(h->http);
        if (code == 404)
            st = lm_error_set(err, LM_ERR_NOTFOUND, "%s: no such model or revision \"%s\" on %s",
                              h->name, rev, h->base);
        else if (code == 401 || code == 403)
            st = lm_error_set(err, LM_ERR_NET,
                              "%s: the hub refuses access (HTTP %ld: a gated or private model; "
                              "litmine sends no access token)",
                              h->name, code);
    } else {
        st = lm_json_parse(doc, body.data ? body.data : "", body.len, NULL, "hub API answer", err);
    }
    lm_buf_free(&url);
    lm_buf_free(&body);
    return st;
}

/* The commit dest was last fetched from, or "". */
static void previous_commit(const char *dest, char out[65])
{
    out[0] = '\0';
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dest, SOURCE_FILE);
    lm_json *doc;
    lm_error err;
    if (lm_json_parse_file(&doc, path, NULL, &err) != LM_OK)
        return;
    snprintf(out, 65, "%s", lm_json_get_str(lm_json_root(doc), "commit", ""));
    lm_json_free(doc);
}

static lm_status write_source(hub_ctx *h, const char *rev, const lm_hub_result *res, lm_error *err)
{
    lm_buf path;
    lm_buf_init(&path);
    if (lm_buf_printf(&path, "%s/%s", h->dest, SOURCE_FILE) != LM_OK)
        return lm_error_nomem(err, NULL);
    lm_file_atomic out;
    lm_status st = lm_file_atomic_begin(&out, lm_buf_cstr(&path), err);
    lm_buf_free(&path);
    if (st != LM_OK)
        return st;
    lm_json_writer w;
    lm_json_writer_init(&w, out.f);
    w.spaced = 1;
    lm_json_begin_object(&w);
    lm_json_member_str(&w, "hub", h->base);
    lm_json_member_str(&w, "name", h->name);
    lm_json_member_str(&w, "revision", rev);
    lm_json_member_str(&w, "commit", res->commit);
    lm_json_write_key(&w, "files");
    lm_json_begin_array(&w);
    for (size_t i = 0; i < res->n_files; i++) {
        lm_json_begin_object(&w);
        lm_json_member_str(&w, "name", res->files[i].name);
        lm_json_member_int(&w, "size", res->files[i].size);
        lm_json_member_str(&w, "sha256", res->files[i].sha256);
        lm_json_end_object(&w);
    }
    lm_json_end_array(&w);
    lm_json_end_object(&w);
    fputc('\n', out.f);
    return lm_file_atomic_commit(&out, err);
}

lm_status lm_hub_fetch(lm_http *http, const char *name, const char *dest, const lm_hub_options *opt,
                       lm_hub_result *res, lm_error *err)
{
    lm_hub_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    const char *rev = opt && opt->revision ? opt->revision : "main";
    if (!lm_hub_valid_name(name))
        return lm_error_set(err, LM_ERR_USAGE, "\"%s\" is not a hub model name (owner/name)", name);
    if (!valid_revision(rev))
        return lm_error_set(err, LM_ERR_USAGE, "\"%s\" is not a revision", rev);
    hub_ctx h = {.http = http, .name = name, .dest = dest, .opt = opt};
    char base[512];
    snprintf(base, sizeof base, "%s", opt && opt->base_url ? opt->base_url : LM_HUB_DEFAULT_URL);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        base[--bl] = '\0';
    h.base = base;
    lm_buf_init(&h.url);
    lm_buf_init(&h.final);
    lm_buf_init(&h.part);
    lm_json *doc = NULL;
    lm_status st = api_info(&h, rev, &doc, err);
    const lm_json_value *root = lm_json_root(doc);
    if (st == LM_OK) {
        const char *sha = lm_json_get_str(root, "sha", "");
        if (strlen(sha) != 40 || !is_hex(sha, 40))
            st = lm_error_set(err, LM_ERR_FORMAT, "%s: the hub's answer names no commit", name);
        else
            snprintf(res->commit, sizeof res->commit, "%s", sha);
    }
    if (st == LM_OK)
        st = plan_files(name, rev, lm_json_get(root, "siblings"), res, err);
    lm_json_free(doc);
    if (st == LM_OK)
        st = make_dirs(dest, err);
    if (st == LM_OK) {
        char prev[65];
        previous_commit(dest, prev);
        h.same_commit = strcmp(prev, res->commit) == 0;
    }
    for (size_t i = 0; st == LM_OK && i < res->n_files; i++) {
        st = fetch_one(&h, res->commit, &res->files[i], err);
        if (st == LM_OK && i == 0 && opt && opt->check_config)
            st = opt->check_config(opt->ctx, lm_buf_cstr(&h.final), err);
    }
    if (st == LM_OK)
        st = write_source(&h, rev, res, err);
    lm_buf_free(&h.url);
    lm_buf_free(&h.final);
    lm_buf_free(&h.part);
    return st;
}
