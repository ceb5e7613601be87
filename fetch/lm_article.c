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

lm_status lm_article_copy(lm_article *dst, const lm_article *src)
{
    lm_article_init(dst);
    int failed = 0;
    dst->pmid = src->pmid;
    dst->version = src->version;
    dst->is_book = src->is_book;
    dst->year = src->year;
    dst->title = dup_or_null(src->title, &failed);
    dst->abstract = dup_or_null(src->abstract, &failed);
    dst->journal = dup_or_null(src->journal, &failed);
    dst->doi = dup_or_null(src->doi, &failed);
    dst->language = dup_or_null(src->language, &failed);
    dst->date_revised = dup_or_null(src->date_revised, &failed);
    for (size_t i = 0; !failed && i < src->n_mesh; i++)
        failed = lm_article_add_mesh(dst, src->mesh[i].ui, src->mesh[i].name,
                                     src->mesh[i].major_topic) != LM_OK;
    for (size_t i = 0; !failed && i < src->n_pubtypes; i++)
        failed = lm_article_add_pubtype(dst, src->pubtypes[i].ui, src->pubtypes[i].name) != LM_OK;
    if (failed) {
        lm_article_free(dst);
        return LM_ERR_NOMEM;
    }
    return LM_OK;
}
