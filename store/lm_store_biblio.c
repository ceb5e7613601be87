/*
 * The bibliographic lists of an article (schema migration 11): authors and
 * their affiliations, keywords, grants, references and linked notices,
 * MeSH qualifiers and the ChemicalList.  Each list is a child table keyed
 * (pmid, position) that goes with its article (ON DELETE CASCADE), so
 * lm_store.c writes them inside the article's own insert and never updates
 * them in place: a replaced article takes its old lists with it.
 */
#include "lm_store_internal.h"

#include <string.h>

enum {
    SLOT_AUTHOR_PUT = LM_STORE_SLOT_BIBLIO,
    SLOT_AFFIL_PUT,
    SLOT_KEYWORD_PUT,
    SLOT_GRANT_PUT,
    SLOT_REF_PUT,
    SLOT_QUAL_PUT,
    SLOT_CHEM_PUT,
    SLOT_GET_FIRST   /* 7 slots: one per list read back */
};

/* Binds texts[0..n) to ?3.. after (pmid, position) and runs the insert. */
static lm_status put_row(lm_store *s, int slot, const char *sql, int64_t pmid, int64_t pos,
                         const char *const *texts, size_t n, const int64_t *tail_int,
                         const char *what, lm_error *err)
{
    sqlite3_stmt *st = lm_store_stmt(s, slot, sql, err);
    if (!st)
        return err->code;
    int rc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &rc);
    lm_bind_int64(st, 2, pos, &rc);
    for (size_t i = 0; i < n; i++)
        lm_bind_text(st, 3 + (int)i, texts[i], &rc);
    if (tail_int)
        lm_bind_int64(st, 3 + (int)n, *tail_int, &rc);
    rc = lm_bind_step(st, rc);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return lm_store_fail(s, rc, err, "inserting %s of article %lld", what, (long long)pmid);
    return LM_OK;
}

lm_status lm_store_biblio_put(lm_store *s, const lm_article *a, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && i < a->n_authors; i++) {
        const lm_author *au = &a->authors[i];
        const char *v[] = {au->last_name, au->fore_name, au->initials, au->collective, au->orcid};
        st = put_row(s, SLOT_AUTHOR_PUT,
                     "INSERT INTO authors (pmid, position, last_name, fore_name, initials,"
                     " collective_name, orcid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     a->pmid, (int64_t)i, v, 5, NULL, "an author", err);
        for (size_t k = 0; st == LM_OK && k < au->n_affiliations; k++) {
            const char *aff[] = {au->affiliations[k]};
            int64_t author = (int64_t)i;
            /* (pmid, position, affiliation, author): the author index
             * rides as the trailing integer. */
            st = put_row(s, SLOT_AFFIL_PUT,
                         "INSERT INTO author_affiliations (pmid, position, affiliation, author)"
                         " VALUES (?1, ?2, ?3, ?4)",
                         a->pmid, (int64_t)k, aff, 1, &author, "an affiliation", err);
        }
    }
    for (size_t i = 0; st == LM_OK && i < a->n_keywords; i++) {
        const char *v[] = {a->keywords[i].keyword};
        int64_t major = a->keywords[i].major != 0;
        st = put_row(s, SLOT_KEYWORD_PUT,
                     "INSERT INTO keywords (pmid, position, keyword, major) VALUES (?1, ?2, ?3, ?4)",
                     a->pmid, (int64_t)i, v, 1, &major, "a keyword", err);
    }
    for (size_t i = 0; st == LM_OK && i < a->n_grants; i++) {
        const lm_grant *g = &a->grants[i];
        const char *v[] = {g->grant_id, g->acronym, g->agency, g->country};
        st = put_row(s, SLOT_GRANT_PUT,
                     "INSERT INTO grants (pmid, position, grant_id, acronym, agency, country)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                     a->pmid, (int64_t)i, v, 4, NULL, "a grant", err);
    }
    for (size_t i = 0; st == LM_OK && i < a->n_references; i++) {
        const lm_reference *r = &a->references[i];
        const char *v[] = {r->kind, r->citation, r->doi, r->pmcid};
        int64_t ref = r->pmid;
        st = put_row(s, SLOT_REF_PUT,
                     "INSERT INTO article_references (pmid, position, kind, citation, doi, pmcid,"
                     " ref_pmid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0))",
                     a->pmid, (int64_t)i, v, 4, &ref, "a reference", err);
    }
    for (size_t i = 0; st == LM_OK && i < a->n_mesh; i++)
        for (size_t k = 0; st == LM_OK && k < a->mesh[i].n_qualifiers; k++) {
            const lm_mesh_qualifier *q = &a->mesh[i].qualifiers[k];
            const char *v[] = {q->ui, q->name};
            /* position packs (heading, qualifier): headings and
             * qualifiers each stay far below 2^20. */
            int64_t major = q->major_topic != 0;
            st = put_row(s, SLOT_QUAL_PUT,
                         "INSERT INTO mesh_qualifiers (pmid, heading, position, ui, name,"
                         " major_topic) VALUES (?1, ?2 >> 20, ?2 & 1048575, ?3, ?4, ?5)",
                         a->pmid, ((int64_t)i << 20) | (int64_t)k, v, 2, &major,
                         "a MeSH qualifier", err);
        }
    for (size_t i = 0; st == LM_OK && i < a->n_chemicals; i++) {
        const lm_chemical *c = &a->chemicals[i];
        const char *v[] = {c->ui, c->name, c->registry_number};
        st = put_row(s, SLOT_CHEM_PUT,
                     "INSERT INTO chemicals (pmid, position, ui, name, registry_number)"
                     " VALUES (?1, ?2, ?3, ?4, ?5)",
                     a->pmid, (int64_t)i, v, 3, NULL, "a chemical", err);
    }
    return st;
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* A heap copy of a column, NULL for SQL NULL; *bad set when out of memory. */
static char *dup(sqlite3_stmt *st, int i, int *bad)
{
    const char *v = col(st, i);
    if (!v)
        return NULL;
    char *c = strdup(v);
    if (!c)
        *bad = 1;
    return c;
}

static lm_status author_row(sqlite3_stmt *st, void *ctx)
{
    lm_article *out = ctx;
    lm_author *au;
    if (lm_article_add_author(out, &au) != LM_OK)
        return LM_ERR_NOMEM;
    int bad = 0;
    au->last_name = dup(st, 0, &bad);
    au->fore_name = dup(st, 1, &bad);
    au->initials = dup(st, 2, &bad);
    au->collective = dup(st, 3, &bad);
    au->orcid = dup(st, 4, &bad);
    return bad ? LM_ERR_NOMEM : LM_OK;
}

static lm_status affiliation_row(sqlite3_stmt *st, void *ctx)
{
    lm_article *out = ctx;
    int64_t author = sqlite3_column_int64(st, 0);
    if (author < 0 || (size_t)author >= out->n_authors || !col(st, 1))
        return LM_OK;
    return lm_author_add_affiliation(&out->authors[author], col(st, 1));
}

static lm_status keyword_row(sqlite3_stmt *st, void *ctx)
{
    lm_article *out = ctx;
    return col(st, 0) ? lm_article_add_keyword(out, col(st, 0), sqlite3_column_int(st, 1))
                      : LM_OK;
}

static lm_status grant_row(sqlite3_stmt *st, void *ctx)
{
    lm_article *out = ctx;
    lm_grant *g;
    if (lm_article_add_grant(out, &g) != LM_OK)
        return LM_ERR_NOMEM;
    int bad = 0;
    g->grant_id = dup(st, 0, &bad);
    g->acronym = dup(st, 1, &bad);
    g->agency = dup(st, 2, &bad);
    g->country = dup(st, 3, &bad);
    return bad ? LM_ERR_NOMEM : LM_OK;
}

static lm_status reference_row(sqlite3_stmt *st, void *ctx)
{
    lm_article *out = ctx;
    lm_reference *r;
    if (lm_article_add_reference(out, col(st, 0), &r) != LM_OK)
        return LM_ERR_NOMEM;
    int bad = 0;
    r->citation = dup(st, 1, &bad);
    r->pmid = sqlite3_column_int64(st, 2);
    r->doi = dup(st, 3, &bad);
    r->pmcid = dup(st, 4, &bad);
    return bad ? LM_ERR_NOMEM : LM_OK;
}

static lm_status qualifier_row(sqlite3_stmt *st, void *ctx)
{
    lm_article *out = ctx;
    int64_t heading = sqlite3_column_int64(st, 0);
    if (heading < 0 || (size_t)heading >= out->n_mesh)
        return LM_OK;
    /* lm_article_add_qualifier attaches to the last heading: swap the
     * target in as last for the call. */
    size_t n = out->n_mesh;
    out->n_mesh = (size_t)heading + 1;
    lm_status st2 = lm_article_add_qualifier(out, col(st, 1), col(st, 2), sqlite3_column_int(st, 3));
    out->n_mesh = n;
    return st2;
}

static lm_status chemical_row(sqlite3_stmt *st, void *ctx)
{
    lm_article *out = ctx;
    return col(st, 1) ? lm_article_add_chemical(out, col(st, 0), col(st, 1), col(st, 2)) : LM_OK;
}

lm_status lm_store_biblio_get(lm_store *s, int64_t pmid, lm_article *out, lm_error *err)
{
    static const struct {
        const char *sql, *what;
        lm_status (*row)(sqlite3_stmt *st, void *ctx);
    } lists[] = {
        {"SELECT last_name, fore_name, initials, collective_name, orcid FROM authors"
         " WHERE pmid = ?1 ORDER BY position", "authors", author_row},
        {"SELECT author, affiliation FROM author_affiliations WHERE pmid = ?1"
         " ORDER BY author, position", "affiliations", affiliation_row},
        {"SELECT keyword, major FROM keywords WHERE pmid = ?1 ORDER BY position", "keywords",
         keyword_row},
        {"SELECT grant_id, acronym, agency, country FROM grants WHERE pmid = ?1"
         " ORDER BY position", "grants", grant_row},
        {"SELECT kind, citation, ref_pmid, doi, pmcid FROM article_references"
         " WHERE pmid = ?1 ORDER BY position", "references", reference_row},
        {"SELECT heading, ui, name, major_topic FROM mesh_qualifiers WHERE pmid = ?1"
         " ORDER BY heading, position", "MeSH qualifiers", qualifier_row},
        {"SELECT ui, name, registry_number FROM chemicals WHERE pmid = ?1 ORDER BY position",
         "chemicals", chemical_row},
    };
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && i < sizeof lists / sizeof lists[0]; i++) {
        lm_error_clear(err);
        st = lm_store_each_row_of(s, SLOT_GET_FIRST + (int)i, lists[i].sql, pmid, lists[i].row,
                                  out, lists[i].what, err);
        /* The row functions fail only when memory runs out, unsaid. */
        if (st != LM_OK && err->code == LM_OK)
            st = lm_error_set(err, st, "reading article %lld: out of memory", (long long)pmid);
    }
    return st;
}
