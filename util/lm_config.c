/*
 * INI configuration.  Entries live in a flat array in file order: a config
 * has a few dozen keys, so a linear scan is simpler and fast enough, and
 * later entries (or lm_config_set) override earlier ones by being searched
 * first (we scan from the end).
 */
#include "lm_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lm_config_entry {
    char *section;
    char *key;
    char *value;
    char *file;   /* where it was read, NULL when set by a flag */
    int line;
} lm_config_entry;

struct lm_config {
    lm_config_entry *entries;
    size_t n;
    char *path;
};

lm_status lm_config_init(lm_config **out, lm_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    return LM_OK;
}

void lm_config_free(lm_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->entries[i].section);
        free(cfg->entries[i].key);
        free(cfg->entries[i].value);
        free(cfg->entries[i].file);
    }
    free(cfg->entries);
    free(cfg->path);
    free(cfg);
}

lm_status lm_config_set(lm_config *cfg, const char *section, const char *key,
                        const char *value, lm_error *err)
{
    lm_config_entry *grown = realloc(cfg->entries, (cfg->n + 1) * sizeof *grown);
    if (!grown)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    cfg->entries = grown;
    lm_config_entry e = {strdup(section), strdup(key), strdup(value), NULL, 0};
    if (!e.section || !e.key || !e.value) {
        free(e.section);
        free(e.key);
        free(e.value);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    cfg->entries[cfg->n++] = e;
    return LM_OK;
}

const char *lm_config_get(const lm_config *cfg, const char *section, const char *key)
{
    for (size_t i = cfg->n; i-- > 0;)
        if (strcmp(cfg->entries[i].section, section) == 0 &&
            strcmp(cfg->entries[i].key, key) == 0)
            return cfg->entries[i].value;
    return NULL;
}

const char *lm_config_get_or(const lm_config *cfg, const char *section,
                             const char *key, const char *fallback)
{
    const char *v = lm_config_get(cfg, section, key);
    return v ? v : fallback;
}

lm_status lm_config_get_int(const lm_config *cfg, const char *section, const char *key,
                            long fallback, long min, long max, long *out, lm_error *err)
{
    const char *v = lm_config_get(cfg, section, key);
    if (!v) {
        *out = fallback;
        return LM_OK;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return lm_error_set(err, LM_ERR_USAGE,
                            "config [%s] %s = \"%s\": expected an integer in %ld..%ld",
                            section, key, v, min, max);
    *out = n;
    return LM_OK;
}

const char *lm_config_path(const lm_config *cfg)
{
    return cfg->path;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return 0;
    return 1;
}

/* Parses one line in place.  section is the current section buffer. */
static lm_status parse_line(lm_config *cfg, const char *name, int lineno, char *line,
                            char *section, size_t section_size, lm_error *err)
{
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';')
        return LM_OK;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close || trim(close + 1)[0] != '\0')
            return lm_error_set(err, LM_ERR_PARSE, "%s:%d: malformed section header",
                                name, lineno);
        *close = '\0';
        char *sec = trim(s + 1);
        if (!valid_name(sec) || strlen(sec) >= section_size)
            return lm_error_set(err, LM_ERR_PARSE, "%s:%d: invalid section name \"%s\"",
                                name, lineno, sec);
        memcpy(section, sec, strlen(sec) + 1);
        return LM_OK;
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return lm_error_set(err, LM_ERR_PARSE, "%s:%d: expected \"key = value\"", name,
                            lineno);
    *eq = '\0';
    char *key = trim(s);
    char *value = trim(eq + 1);
    if (!valid_name(key))
        return lm_error_set(err, LM_ERR_PARSE, "%s:%d: invalid key \"%s\"", name, lineno,
                            key);
    if (!section[0])
        return lm_error_set(err, LM_ERR_PARSE, "%s:%d: key \"%s\" outside any [section]",
                            name, lineno, key);
    size_t vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    lm_status st = lm_config_set(cfg, section, key, value, err);
    if (st == LM_OK) {
        lm_config_entry *e = &cfg->entries[cfg->n - 1];
        e->file = strdup(name);
        e->line = lineno;
        if (!e->file)
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    return st;
}

void lm_config_each_unknown(const lm_config *cfg, const char *const *known,
                            void (*cb)(void *ctx, const char *file, int line, const char *section,
                                       const char *key),
                            void *ctx)
{
    for (size_t i = 0; i < cfg->n; i++) {
        const lm_config_entry *e = &cfg->entries[i];
        if (!e->file)
            continue;
        size_t sl = strlen(e->section);
        int ok = 0;
        for (size_t k = 0; !ok && known[k]; k++)
            ok = strncmp(known[k], e->section, sl) == 0 && known[k][sl] == '.' &&
                 strcmp(known[k] + sl + 1, e->key) == 0;
        if (!ok)
            cb(ctx, e->file, e->line, e->section, e->key);
    }
}

lm_status lm_config_load_string(lm_config *cfg, const char *name, const char *text,
                                lm_error *err)
{
    char section[64] = "";
    int lineno = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(len + 1);
        if (!line)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        memcpy(line, p, len);
        line[len] = '\0';
        lineno++;
        lm_status st = parse_line(cfg, name, lineno, line, section, sizeof section, err);
        free(line);
        if (st != LM_OK)
            return st;
        p += len + (nl ? 1 : 0);
    }
    return LM_OK;
}

lm_status lm_config_load(lm_config *cfg, const char *path, lm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lm_error_set(err, LM_ERR_IO, "cannot open config %s: %s", path,
                            strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                fclose(f);
                return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            }
            text = grown;
        }
        memcpy(text + len, chunk, got);
        len += got;
    }
    int read_failed = ferror(f);
    fclose(f);
    if (read_failed) {
        free(text);
        return lm_error_set(err, LM_ERR_IO, "cannot read config %s", path);
    }
    if (memchr(text ? text : "", '\0', len)) {
        free(text);
        return lm_error_set(err, LM_ERR_PARSE, "%s: config file contains NUL bytes", path);
    }
    if (text)
        text[len] = '\0';
    lm_status st = lm_config_load_string(cfg, path, text ? text : "", err);
    free(text);
    if (st == LM_OK) {
        free(cfg->path);
        cfg->path = strdup(path);
        if (!cfg->path)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    return st;
}
