/*
 * Ownership helpers for lm_article.  Lists grow geometrically: a real
 * article has a few dozen MeSH headings, but a hostile one may have tens
 * of thousands before the parser's cap stops it, and growing one element
 * at a time would copy the list each time.
 */
#include "lm_article.h"

#include "lm_buf.h"

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

lm_status lm_article_add_mesh(lm_article *a, const char *ui, const char *name,
                              int major_topic)
{
    if (lm_vec_grow((void **)&a->mesh, &a->cap_mesh, a->n_mesh + 1, sizeof *a->mesh) != LM_OK)
        return LM_ERR_NOMEM;
    int failed = 0;
    lm_mesh_heading h = {lm_strdup_opt(ui, &failed), lm_strdup_opt(name, &failed),
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
    if (lm_vec_grow((void **)&a->pubtypes, &a->cap_pubtypes, a->n_pubtypes + 1,
                    sizeof *a->pubtypes) != LM_OK)
        return LM_ERR_NOMEM;
    int failed = 0;
    lm_pubtype p = {lm_strdup_opt(ui, &failed), lm_strdup_opt(name, &failed)};
    if (failed) {
        free(p.ui);
        free(p.name);
        return LM_ERR_NOMEM;
    }
    a->pubtypes[a->n_pubtypes++] = p;
    return LM_OK;
}
