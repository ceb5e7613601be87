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
        for (size_t k = 0; k < a->mesh[i].n_qualifiers; k++) {
            free(a->mesh[i].qualifiers[k].ui);
            free(a->mesh[i].qualifiers[k].name);
        }
        free(a->mesh[i].qualifiers);
    }
    free(a->mesh);
    for (size_t i = 0; i < a->n_pubtypes; i++) {
        free(a->pubtypes[i].ui);
        free(a->pubtypes[i].name);
    }
    free(a->pubtypes);
    free(a->pmcid);
    for (size_t i = 0; i < a->n_authors; i++) {
        lm_author *au = &a->authors[i];
        free(au->last_name);
        free(au->fore_name);
        free(au->initials);
        free(au->collective);
        free(au->orcid);
        for (size_t k = 0; k < au->n_affiliations; k++)
            free(au->affiliations[k]);
        free(au->affiliations);
    }
    free(a->authors);
    for (size_t i = 0; i < a->n_keywords; i++)
        free(a->keywords[i].keyword);
    free(a->keywords);
    for (size_t i = 0; i < a->n_grants; i++) {
        free(a->grants[i].grant_id);
        free(a->grants[i].acronym);
        free(a->grants[i].agency);
        free(a->grants[i].country);
    }
    free(a->grants);
    for (size_t i = 0; i < a->n_references; i++) {
        free(a->references[i].kind);
        free(a->references[i].citation);
        free(a->references[i].doi);
        free(a->references[i].pmcid);
    }
    free(a->references);
    for (size_t i = 0; i < a->n_chemicals; i++) {
        free(a->chemicals[i].ui);
        free(a->chemicals[i].name);
        free(a->chemicals[i].registry_number);
    }
    free(a->chemicals);
    lm_article_init(a);
}

lm_status lm_article_add_mesh(lm_article *a, const char *ui, const char *name,
                              int major_topic)
{
    if (lm_vec_grow((void **)&a->mesh, &a->cap_mesh, a->n_mesh + 1, sizeof *a->mesh) != LM_OK)
        return LM_ERR_NOMEM;
    int failed = 0;
    lm_mesh_heading h = {lm_strdup_opt(ui, &failed), lm_strdup_opt(name, &failed),
                         major_topic, NULL, 0, 0};
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

lm_status lm_article_add_qualifier(lm_article *a, const char *ui, const char *name,
                                   int major_topic)
{
    if (!a->n_mesh)
        return LM_ERR_USAGE;
    lm_mesh_heading *h = &a->mesh[a->n_mesh - 1];
    if (lm_vec_grow((void **)&h->qualifiers, &h->cap_qualifiers, h->n_qualifiers + 1,
                    sizeof *h->qualifiers) != LM_OK)
        return LM_ERR_NOMEM;
    int failed = 0;
    lm_mesh_qualifier q = {lm_strdup_opt(ui, &failed), lm_strdup_opt(name, &failed), major_topic};
    if (failed) {
        free(q.ui);
        free(q.name);
        return LM_ERR_NOMEM;
    }
    h->qualifiers[h->n_qualifiers++] = q;
    return LM_OK;
}

lm_status lm_article_add_author(lm_article *a, lm_author **out)
{
    if (lm_vec_grow((void **)&a->authors, &a->cap_authors, a->n_authors + 1,
                    sizeof *a->authors) != LM_OK)
        return LM_ERR_NOMEM;
    *out = memset(&a->authors[a->n_authors++], 0, sizeof **out);
    return LM_OK;
}

lm_status lm_author_add_affiliation(lm_author *au, const char *affiliation)
{
    if (lm_vec_grow((void **)&au->affiliations, &au->cap_affiliations, au->n_affiliations + 1,
                    sizeof *au->affiliations) != LM_OK)
        return LM_ERR_NOMEM;
    char *copy = strdup(affiliation);
    if (!copy)
        return LM_ERR_NOMEM;
    au->affiliations[au->n_affiliations++] = copy;
    return LM_OK;
}

lm_status lm_article_add_keyword(lm_article *a, const char *keyword, int major)
{
    if (lm_vec_grow((void **)&a->keywords, &a->cap_keywords, a->n_keywords + 1,
                    sizeof *a->keywords) != LM_OK)
        return LM_ERR_NOMEM;
    char *copy = strdup(keyword);
    if (!copy)
        return LM_ERR_NOMEM;
    a->keywords[a->n_keywords++] = (lm_keyword){copy, major};
    return LM_OK;
}

lm_status lm_article_add_grant(lm_article *a, lm_grant **out)
{
    if (lm_vec_grow((void **)&a->grants, &a->cap_grants, a->n_grants + 1, sizeof *a->grants) !=
        LM_OK)
        return LM_ERR_NOMEM;
    *out = memset(&a->grants[a->n_grants++], 0, sizeof **out);
    return LM_OK;
}

lm_status lm_article_add_reference(lm_article *a, const char *kind, lm_reference **out)
{
    if (lm_vec_grow((void **)&a->references, &a->cap_references, a->n_references + 1,
                    sizeof *a->references) != LM_OK)
        return LM_ERR_NOMEM;
    char *copy = strdup(kind ? kind : "Cites");
    if (!copy)
        return LM_ERR_NOMEM;
    lm_reference *r = memset(&a->references[a->n_references++], 0, sizeof *r);
    r->kind = copy;
    *out = r;
    return LM_OK;
}

lm_status lm_article_add_chemical(lm_article *a, const char *ui, const char *name,
                                  const char *registry_number)
{
    if (lm_vec_grow((void **)&a->chemicals, &a->cap_chemicals, a->n_chemicals + 1,
                    sizeof *a->chemicals) != LM_OK)
        return LM_ERR_NOMEM;
    int failed = 0;
    lm_chemical c = {lm_strdup_opt(ui, &failed), lm_strdup_opt(name, &failed),
                     lm_strdup_opt(registry_number, &failed)};
    if (failed) {
        free(c.ui);
        free(c.name);
        free(c.registry_number);
        return LM_ERR_NOMEM;
    }
    a->chemicals[a->n_chemicals++] = c;
    return LM_OK;
}
