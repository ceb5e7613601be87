/*
 * lm_article: one PubMed citation as litmine keeps it.
 *
 * This is the unit of work that flows from fetch/ (XML parsing, E-utilities,
 * bulk files) through nlp/ to store/.  The struct owns every string it
 * points to; lm_article_free() releases them.  Text fields are valid UTF-8
 * with XML entities decoded and markup removed.  Absent fields are NULL
 * (year: 0, version: 1 when PubMed gives none).
 */
#ifndef LM_ARTICLE_H
#define LM_ARTICLE_H

#include "lm_error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lm_mesh_qualifier {
    char *ui;        /* qualifier UI, e.g. "Q000139" */
    char *name;      /* e.g. "chemically induced" */
    int major_topic;
} lm_mesh_qualifier;

typedef struct lm_mesh_heading {
    char *ui;        /* descriptor UI, e.g. "D006801" */
    char *name;      /* descriptor name, e.g. "Humans" */
    int major_topic; /* 1 when the descriptor or any qualifier is major */
    lm_mesh_qualifier *qualifiers;
    size_t n_qualifiers, cap_qualifiers;
} lm_mesh_heading;

/* One author in AuthorList order: a person (last/fore name, initials) or
 * a group (collective); ORCID as NLM gives it, usually the bare
 * 0000-0000-0000-0000 or its https://orcid.org/ URL. */
typedef struct lm_author {
    char *last_name, *fore_name, *initials, *collective, *orcid;
    char **affiliations;
    size_t n_affiliations, cap_affiliations;
} lm_author;

typedef struct lm_keyword {
    char *keyword;
    int major;       /* MajorTopicYN="Y" */
} lm_keyword;

typedef struct lm_grant {
    char *grant_id, *acronym, *agency, *country;   /* each may be NULL */
} lm_grant;

/* A cited work (ReferenceList: kind "Cites") or a linked notice
 * (CommentsCorrections: kind is its RefType, e.g. "ErratumIn",
 * "CommentIn", "RetractionIn"). */
typedef struct lm_reference {
    char *kind;
    char *citation;  /* Citation or RefSource text, may be NULL */
    int64_t pmid;    /* 0 when not given */
    char *doi;       /* may be NULL */
    char *pmcid;     /* may be NULL */
} lm_reference;

typedef struct lm_chemical {
    char *ui;        /* NameOfSubstance UI, e.g. "D002945" */
    char *name;      /* e.g. "Cisplatin" */
    char *registry_number;   /* CAS, UNII or EC number; "0" means none */
} lm_chemical;

typedef struct lm_pubtype {
    char *ui;        /* e.g. "D016428"; may be NULL in old files */
    char *name;      /* e.g. "Journal Article" */
} lm_pubtype;

typedef struct lm_article {
    int64_t pmid;
    int version;
    int is_book;          /* from a PubmedBookArticle */
    char *title;
    char *abstract;       /* sections joined by a space, "LABEL: " headings */
    char *journal;
    int year;             /* publication year, 0 when unknown */
    char *doi;
    char *language;       /* first Language element, e.g. "eng" */
    char *date_revised;   /* "YYYY-MM-DD" */
    lm_mesh_heading *mesh;
    size_t n_mesh, cap_mesh;
    lm_pubtype *pubtypes;
    size_t n_pubtypes, cap_pubtypes;
    /* The whole record (stored since schema 10): */
    char *pmcid;          /* "PMC1234567" */
    lm_author *authors;
    size_t n_authors, cap_authors;
    lm_keyword *keywords;
    size_t n_keywords, cap_keywords;
    lm_grant *grants;
    size_t n_grants, cap_grants;
    lm_reference *references;
    size_t n_references, cap_references;
    lm_chemical *chemicals;
    size_t n_chemicals, cap_chemicals;
} lm_article;

void lm_article_init(lm_article *a);
void lm_article_free(lm_article *a);   /* frees members, re-initialises */

lm_status lm_article_add_mesh(lm_article *a, const char *ui, const char *name,
                              int major_topic);
lm_status lm_article_add_pubtype(lm_article *a, const char *ui, const char *name);
/* Adds a qualifier to the last MeSH heading (LM_ERR_USAGE without one). */
lm_status lm_article_add_qualifier(lm_article *a, const char *ui, const char *name,
                                   int major_topic);
/* Adds an empty author / grant / reference / keyword / chemical and
 * returns it through *out (owned by the article; strings are set by the
 * caller with heap copies, or through the add functions' arguments). */
lm_status lm_article_add_author(lm_article *a, lm_author **out);
lm_status lm_author_add_affiliation(lm_author *au, const char *affiliation);
lm_status lm_article_add_keyword(lm_article *a, const char *keyword, int major);
lm_status lm_article_add_grant(lm_article *a, lm_grant **out);
lm_status lm_article_add_reference(lm_article *a, const char *kind, lm_reference **out);
lm_status lm_article_add_chemical(lm_article *a, const char *ui, const char *name,
                                  const char *registry_number);

#endif
