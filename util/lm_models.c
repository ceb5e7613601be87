/*
 * Finding the models directory (see lm_models.h for the order and why an
 * explicit place is never second-guessed).  The executable's own directory
 * comes from /proc/self/exe, resolved through symlinks, so that
 * /usr/local/bin/litmine finds /usr/local/share/litmine/models and a
 * checkout's ./litmine its ./models wherever the shell happens to be.
 */
#include "lm_models.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LM_MODELS_DIR
#define LM_MODELS_DIR "/usr/local/share/litmine/models"
#endif

static int holds_models(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/ner.bin", dir) >= (int)sizeof path)
        return 0;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static lm_status add(lm_models_search *s, const char *dir, const char *origin, int explicit_place,
                     lm_error *err)
{
    if (s->chosen >= 0 || s->n_tried == LM_MODELS_PLACES)
        return LM_OK;
    char *copy = strdup(dir);
    if (!copy)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    s->tried[s->n_tried].dir = copy;
    s->tried[s->n_tried].origin = origin;
    if (explicit_place || holds_models(copy))
        s->chosen = (int)s->n_tried;
    s->n_tried++;
    return LM_OK;
}

lm_status lm_models_find(lm_models_search *s, const char *flag_dir, const char *env_dir,
                         const char *config_dir, const char *exe_path, lm_error *err)
{
    memset(s, 0, sizeof *s);
    s->chosen = -1;
    lm_status st = LM_OK;
    if (flag_dir && *flag_dir)
        st = add(s, flag_dir, "--models", 1, err);
    if (st == LM_OK && env_dir && *env_dir)
        st = add(s, env_dir, "LITMINE_MODELS", 1, err);
    if (st == LM_OK && config_dir && *config_dir)
        st = add(s, config_dir, "[models] dir", 1, err);
    char exe[PATH_MAX];
    if (st == LM_OK && s->chosen < 0) {
        ssize_t n = -1;
        if (exe_path) {
            n = (ssize_t)strlen(exe_path);
            if (n < (ssize_t)sizeof exe)
                memcpy(exe, exe_path, (size_t)n + 1);
            else
                n = -1;
        } else {
            n = readlink("/proc/self/exe", exe, sizeof exe - 1);
            if (n >= 0)
                exe[n] = '\0';
        }
        char *slash = n > 0 ? strrchr(exe, '/') : NULL;
        if (slash) {
            *slash = '\0';
            char dir[PATH_MAX + 32];
            snprintf(dir, sizeof dir, "%s/models", slash == exe ? "" : exe);
            st = add(s, dir, "beside the executable", 0, err);
            snprintf(dir, sizeof dir, "%s/../share/litmine/models", slash == exe ? "" : exe);
            if (st == LM_OK)
                st = add(s, dir, "beside the executable", 0, err);
        }
    }
    if (st == LM_OK)
        st = add(s, LM_MODELS_DIR, "install prefix", 0, err);
    if (st != LM_OK)
        lm_models_search_free(s);
    return st;
}

const char *lm_models_dir(const lm_models_search *s)
{
    return s->chosen >= 0 ? s->tried[s->chosen].dir : NULL;
}

void lm_models_describe(const lm_models_search *s, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n_tried && o < cap; i++) {
        int n = snprintf(out + o, cap - o, "%s%s (%s)", i ? ", " : "", s->tried[i].dir,
                         s->tried[i].origin);
        if (n < 0 || (size_t)n >= cap - o) {
            if (cap > 4)
                memcpy(out + cap - 4, "...", 4);
            return;
        }
        o += (size_t)n;
    }
}

void lm_models_search_free(lm_models_search *s)
{
    for (size_t i = 0; i < s->n_tried; i++)
        free(s->tried[i].dir);
    s->n_tried = 0;
    s->chosen = -1;
}
