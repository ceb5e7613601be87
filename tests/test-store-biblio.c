/*
 * store/lm_store_biblio.c: whole PubMed records (schema migration 11) —
 * authors with ORCID and affiliations, keywords, grants, references and
 * notices, MeSH qualifiers, chemicals, the PMCID — are stored with their
 * article and read back as they were; re-putting the same record changes
 * nothing, a changed one replaces its lists; and an article stored before
 * the migration gets its lists when it is ingested again.
 */
#include "../store/lm_store.h"
#include "lm_test_store.h"

#include <stdlib.h>
#include <string.h>

static lm_store *open_or_die(const char *path)
{
    lm_store *s = NULL;
    lm_error err = {0};
    if (lm_store_open(&s, path, NULL, &err) != LM_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.msg);
        exit(2);
    }
    return s;
}

static void make_article(lm_article *a, int64_t pmid)
{
    lm_article_init(a);
    a->pmid = pmid;
    a->title = strdup("Aspirin and the heart");
    a->abstract = strdup("x");
    a->journal = strdup("Lancet");
    a->year = 2001;
    lm_article_add_mesh(a, "D001241", "Aspirin", 1);
    lm_article_add_mesh(a, "D006801", "Humans", 0);
}

/* Whole records (migration 11) go in and come back as they were. */
static void add_biblio(lm_article *a)
{
    lm_author *au;
    lm_article_add_author(a, &au);
    au->last_name = strdup("Okafor");
    au->initials = strdup("C");
    au->orcid = strdup("0000-0002-1825-0097");
    lm_author_add_affiliation(au, "Basel");
    lm_author_add_affiliation(au, "Z\u00fcrich");
    lm_article_add_author(a, &au);
    au->collective = strdup("Consortium");
    lm_article_add_keyword(a, "aspirin", 1);
    lm_grant *g;
    lm_article_add_grant(a, &g);
    g->grant_id = strdup("R01 HL1");
    g->agency = strdup("NHLBI");
    lm_reference *r;
    lm_article_add_reference(a, "Cites", &r);
    r->citation = strdup("Smith 2000");
    r->pmid = 10000001;
    lm_article_add_reference(a, "RetractionIn", &r);
    r->pmid = 10000002;
    a->n_mesh = 1;   /* the qualifier attaches to the first heading */
    lm_article_add_qualifier(a, "Q000009", "adverse effects", 1);
    a->n_mesh = 2;
    lm_article_add_chemical(a, "D001241", "Aspirin", "R16CO5Y76E");
    a->pmcid = strdup("PMC1");
}

static void test_biblio_round_trip(void)
{
    char p[512];
    db_path(p, sizeof p, "biblio.db");
    lm_store *s = open_or_die(p);
    lm_error err = {0};
    lm_article a, b;
    make_article(&a, 7);
    add_biblio(&a);
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", NULL, &err), LM_OK);
    lm_article_init(&b);
    LM_CHECK_INT(lm_store_get_article(s, 7, &b, NULL, NULL, &err), LM_OK);
    LM_CHECK_STR(b.pmcid, "PMC1");
    LM_CHECK_INT(b.n_authors, 2);
    if (b.n_authors == 2) {
        LM_CHECK_STR(b.authors[0].orcid, "0000-0002-1825-0097");
        LM_CHECK_INT(b.authors[0].n_affiliations, 2);
        if (b.authors[0].n_affiliations == 2)
            LM_CHECK_STR(b.authors[0].affiliations[1], "Z\u00fcrich");
        LM_CHECK_STR(b.authors[1].collective, "Consortium");
    }
    LM_CHECK_INT(b.n_keywords, 1);
    LM_CHECK_INT(b.n_grants, 1);
    LM_CHECK_INT(b.n_references, 2);
    if (b.n_references == 2) {
        LM_CHECK_STR(b.references[1].kind, "RetractionIn");
        LM_CHECK_INT(b.references[1].pmid, 10000002);
        LM_CHECK(b.references[1].citation == NULL);
    }
    LM_CHECK_INT(b.n_mesh, 2);
    if (b.n_mesh == 2) {
        LM_CHECK_INT(b.mesh[0].n_qualifiers, 1);
        LM_CHECK_INT(b.mesh[1].n_qualifiers, 0);
    }
    LM_CHECK_INT(b.n_chemicals, 1);
    /* The same record again changes nothing; a changed author list replaces. */
    lm_put_result res;
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", &res, &err), LM_OK);
    LM_CHECK_INT(res, LM_PUT_UNCHANGED);
    free(a.authors[1].collective);
    a.authors[1].collective = strdup("Other consortium");
    LM_CHECK_INT(lm_store_put_article(s, &a, "f", &res, &err), LM_OK);
    LM_CHECK_INT(res, LM_PUT_REPLACED);
    /* Replacing takes the old lists with it: no row twice. */
    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM authors"), 2);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM author_affiliations"), 2);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM mesh_qualifiers"), 1);
    sqlite3_close(db);
    lm_article_free(&a);
    lm_article_free(&b);
    lm_store_close(s);
}

/* An article stored before migration 11 keeps its row through the
 * migration, without the new lists, and gets them when it is ingested
 * again: the content hash now covers them, so the same version is
 * replaced, not skipped as unchanged. */
static void test_migration_10_fills_on_reingest(void)
{
    char p[512];
    db_path(p, sizeof p, "mig10.db");
    lm_error err = {0};
    LM_CHECK_INT(lm_store_migrate_path(p, 9, &err), LM_OK);
    sqlite3 *db = raw_open(p);
    LM_CHECK_INT(raw_exec(db, "INSERT INTO articles (pmid, version, title, abstract, journal,"
                              " year, content_hash, source, ingested_at) VALUES"
                              " (7, 1, 'Aspirin and the heart', 'x', 'Lancet', 2001, 42, 'old',"
                              " '2020-01-01T00:00:00Z')"), 0);
    sqlite3_close(db);
    lm_store *s = open_or_die(p);
    db = raw_open(p);
    LM_CHECK_INT(raw_int(db, "SELECT version FROM schema_version"), lm_store_schema_version());
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles WHERE pmid = 7 AND pmcid IS NULL"), 1);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM authors"), 0);
    lm_article a;
    make_article(&a, 7);
    add_biblio(&a);
    lm_put_result res;
    LM_CHECK_INT(lm_store_put_article(s, &a, "again", &res, &err), LM_OK);
    LM_CHECK_INT(res, LM_PUT_REPLACED);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM authors WHERE pmid = 7"), 2);
    LM_CHECK_INT(raw_int(db, "SELECT count(*) FROM articles WHERE pmcid = 'PMC1'"), 1);
    sqlite3_close(db);
    lm_article_free(&a);
    lm_store_close(s);
}

int main(void)
{
    LM_RUN(test_biblio_round_trip);
    LM_RUN(test_migration_10_fills_on_reingest);
    return LM_DONE();
}
