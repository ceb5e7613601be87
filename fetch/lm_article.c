/*
 * Ownership helpers for lm_article.  Lists grow one element at a time: an
 * article has a few dozen MeSH headings at most, so simplicity wins.
 */
#include "lm_article.h"

#include <stdlib.h>
#include <string.h>

void lm_article_init(lm_article *a)
{
    memset(a, 0, sizeof *a);
    a->version = 1;
}

void lm_article_free(lm_article *a)
{
    free(a->title);
    free(a->abstract);
    free(a->journal);
    free(a->doi);
    free(a->language);
    free(a->date_revised);
    for (size_t i = 0; i < a->n_mesh; i++) {
        free(a->mesh[i].ui);
        free(a->mesh[i].name);
    }
    free(a->mesh);
    for (size_t i = 0; i < a->n_pubtypes; i++) {
        free(a->pubtypes[i].ui);
        free(a->pubtypes[i].name);
    }
    free(a->pubtypes);
    lm_article_init(a);
}

static char *dup_or_null(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

lm_status lm_article_add_mesh(lm_article *a, const char *ui, const char *name,
                              int major_topic)
{
    lm_mesh_heading *grown = realloc(a->mesh, (a->n_mesh + 1) * sizeof *grown);
    if (!grown)
        return LM_ERR_NOMEM;
    a->mesh = grown;
    int failed = 0;
    lm_mesh_heading h = {dup_or_null(ui, &failed), dup_or_null(name, &failed),
                         major_topic};
    if (failed) {
        free(h.ui);
        free(h.name);
        return LM_ERR_NOMEM;
    }
    a->mesh[a->n_mesh++] = h;
    return LM_OK;
}

lm_status lm_article_add_pubtype(lm_article *a, const char *ui, const char *name)
{
    lm_pubtype *grown = realloc(a->pubtypes, (a->n_pubtypes + 1) * sizeof *grown);
    if (!grown)
        return LM_ERR_NOMEM;
    a->pubtypes = grown;
    int failed = 0;
    lm_pubtype p = {dup_or_null(ui, &failed), dup_or_null(name, &failed)};
    if (failed) {
        free(p.ui);
        free(p.name);
        return LM_ERR_NOMEM;
    }
    a->pubtypes[a->n_pubtypes++] = p;
    return LM_OK;
}
