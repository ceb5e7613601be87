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

typedef struct lm_mesh_heading {
    char *ui;        /* descriptor UI, e.g. "D006801" */
    char *name;      /* descriptor name, e.g. "Humans" */
    int major_topic; /* 1 when the descriptor or any qualifier is major */
} lm_mesh_heading;

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
} lm_article;

void lm_article_init(lm_article *a);
void lm_article_free(lm_article *a);   /* frees members, re-initialises */

lm_status lm_article_add_mesh(lm_article *a, const char *ui, const char *name,
                              int major_topic);
lm_status lm_article_add_pubtype(lm_article *a, const char *ui, const char *name);

#endif
