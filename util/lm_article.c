/*
 * Ownership helpers for lm_article.  Lists grow geometrically: a real
 * article has a few dozen MeSH headings, but a hostile one may have tens
 * of thousands before the parser's cap stops it, and growing one element
 * at a time would copy the list each time.
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

/* Returns v, or a reallocation of it, with room for element n (cap
 * elements of sz held); NULL with v untouched when memory runs out. */
static void *grow(void *v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return v;
    size_t nc = n ? 2 * n : 4;
    void *p = realloc(v, nc * sz);
    if (p)
        *cap = nc;
    return p;
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
    lm_mesh_heading *grown = grow(a->mesh, a->n_mesh, &a->cap_mesh, sizeof *grown);
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
    lm_pubtype *grown = grow(a->pubtypes, a->n_pubtypes, &a->cap_pubtypes, sizeof *grown);
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
