/*
 * Loading one article with its annotations (lm_annotated.h): the record
 * through lm_store_get_article, the NLP rows through lm_store_get_doc, and
 * the text rebuilt exactly as the stages saw it, so that every stored
 * offset indexes it.
 */
#include "lm_annotated.h"

#include "../util/lm_json.h"
#include "../util/lm_utf8.h"

#include <stdlib.h>
#include <string.h>

void lm_annotated_init(lm_annotated *a)
{
    memset(a, 0, sizeof *a);
    lm_article_init(&a->article);
    lm_doc_init(&a->doc);
}

void lm_annotated_free(lm_annotated *a)
{
    lm_article_free(&a->article);
    lm_doc_free(&a->doc);
    free(a->source);
    free(a->ingested_at);
    lm_annotated_init(a);
}

lm_status lm_annotated_load(lm_store *s, int64_t pmid, int all_candidates, lm_annotated *out,
                            lm_error *err)
{
    lm_annotated_free(out);
    lm_status st = lm_store_get_article(s, pmid, &out->article, &out->source, &out->ingested_at,
                                        err);
    if (st == LM_OK)
        st = lm_doc_set_text(&out->doc, out->article.title, out->article.abstract, err);
    unsigned found = 0;
    if (st == LM_OK)
        st = lm_store_get_doc(s, pmid, LM_DOC_SENTENCES | LM_DOC_MENTIONS | LM_DOC_PAIRS,
                              &out->doc, &found, err);
    if (st == LM_OK && !all_candidates) {
        size_t kept = 0;
        for (size_t i = 0; i < out->doc.n_pairs; i++) {
            lm_doc_pair *p = &out->doc.pairs[i];
            if (strcmp(p->relation, "cooccurs") == 0) {
                free(p->chem_id);
                free(p->chem_text);
                free(p->dis_id);
                free(p->dis_text);
            } else {
                out->doc.pairs[kept++] = *p;
            }
        }
        out->doc.n_pairs = kept;
    }
    if (st != LM_OK)
        lm_annotated_free(out);
    return st;
}

static void member_opt_int(lm_json_writer *w, const char *key, int64_t v, int present)
{
    lm_json_write_key(w, key);
    if (present)
        lm_json_write_int(w, v);
    else
        lm_json_write_null(w);
}

void lm_article_write_json_members(lm_json_writer *w, const lm_article *a)
{
    lm_json_member_int(w, "pmid", a->pmid);
    lm_json_member_int(w, "version", a->version);
    lm_json_member_str(w, "title", a->title ? a->title : "");
    lm_json_member_str(w, "abstract", a->abstract ? a->abstract : "");
    lm_json_member_str(w, "journal", a->journal);
    member_opt_int(w, "year", a->year, a->year != 0);
    lm_json_member_str(w, "doi", a->doi);
    lm_json_member_str(w, "language", a->language);
    lm_json_member_str(w, "date_revised", a->date_revised);
    lm_json_member_str(w, "pmcid", a->pmcid);
    lm_json_write_key(w, "is_book");
    lm_json_write_bool(w, a->is_book);
    lm_json_write_key(w, "authors");
    lm_json_begin_array(w);
    for (size_t i = 0; i < a->n_authors; i++) {
        const lm_author *au = &a->authors[i];
        lm_json_begin_object(w);
        lm_json_member_str(w, "last_name", au->last_name);
        lm_json_member_str(w, "fore_name", au->fore_name);
        lm_json_member_str(w, "initials", au->initials);
        lm_json_member_str(w, "collective_name", au->collective);
        lm_json_member_str(w, "orcid", au->orcid);
        lm_json_write_key(w, "affiliations");
        lm_json_begin_array(w);
        for (size_t k = 0; k < au->n_affiliations; k++)
            lm_json_write_str(w, au->affiliations[k]);
        lm_json_end_array(w);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_write_key(w, "keywords");
    lm_json_begin_array(w);
    for (size_t i = 0; i < a->n_keywords; i++) {
        lm_json_begin_object(w);
        lm_json_member_str(w, "keyword", a->keywords[i].keyword);
        lm_json_write_key(w, "major");
        lm_json_write_bool(w, a->keywords[i].major);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_write_key(w, "mesh");
    lm_json_begin_array(w);
    for (size_t i = 0; i < a->n_mesh; i++) {
        lm_json_begin_object(w);
        lm_json_member_str(w, "ui", a->mesh[i].ui);
        lm_json_member_str(w, "name", a->mesh[i].name);
        lm_json_write_key(w, "major_topic");
        lm_json_write_bool(w, a->mesh[i].major_topic);
        lm_json_write_key(w, "qualifiers");
        lm_json_begin_array(w);
        for (size_t k = 0; k < a->mesh[i].n_qualifiers; k++) {
            const lm_mesh_qualifier *q = &a->mesh[i].qualifiers[k];
            lm_json_begin_object(w);
            lm_json_member_str(w, "ui", q->ui);
            lm_json_member_str(w, "name", q->name);
            lm_json_write_key(w, "major_topic");
            lm_json_write_bool(w, q->major_topic);
            lm_json_end_object(w);
        }
        lm_json_end_array(w);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_write_key(w, "publication_types");
    lm_json_begin_array(w);
    for (size_t i = 0; i < a->n_pubtypes; i++) {
        lm_json_begin_object(w);
        lm_json_member_str(w, "ui", a->pubtypes[i].ui);
        lm_json_member_str(w, "name", a->pubtypes[i].name);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_write_key(w, "chemicals");
    lm_json_begin_array(w);
    for (size_t i = 0; i < a->n_chemicals; i++) {
        lm_json_begin_object(w);
        lm_json_member_str(w, "ui", a->chemicals[i].ui);
        lm_json_member_str(w, "name", a->chemicals[i].name);
        lm_json_member_str(w, "registry_number", a->chemicals[i].registry_number);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_write_key(w, "grants");
    lm_json_begin_array(w);
    for (size_t i = 0; i < a->n_grants; i++) {
        lm_json_begin_object(w);
        lm_json_member_str(w, "grant_id", a->grants[i].grant_id);
        lm_json_member_str(w, "acronym", a->grants[i].acronym);
        lm_json_member_str(w, "agency", a->grants[i].agency);
        lm_json_member_str(w, "country", a->grants[i].country);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_write_key(w, "references");
    lm_json_begin_array(w);
    for (size_t i = 0; i < a->n_references; i++) {
        const lm_reference *r = &a->references[i];
        lm_json_begin_object(w);
        lm_json_member_str(w, "kind", r->kind);
        lm_json_member_str(w, "citation", r->citation);
        member_opt_int(w, "pmid", r->pmid, r->pmid > 0);
        lm_json_member_str(w, "doi", r->doi);
        lm_json_member_str(w, "pmcid", r->pmcid);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
}

static const char *name_of(lm_concept_namer namer, void *ctx, const char *id, const char *fallback)
{
    const char *n = namer && id ? namer(ctx, id) : NULL;
    return n ? n : fallback;
}

void lm_annotated_write_json(lm_json_writer *w, const lm_annotated *an, lm_concept_namer namer,
                             void *namer_ctx)
{
    const lm_doc *d = &an->doc;
    lm_json_begin_object(w);
    lm_article_write_json_members(w, &an->article);
    lm_json_member_str(w, "source", an->source);
    lm_json_member_str(w, "ingested_at", an->ingested_at);
    lm_json_member_str(w, "text", d->text);
    lm_json_write_key(w, "mentions");
    lm_json_begin_array(w);
    for (size_t i = 0; i < d->n_mentions; i++) {
        const lm_doc_mention *m = &d->mentions[i];
        lm_json_begin_object(w);
        lm_json_member_int(w, "start", m->start);
        lm_json_member_int(w, "end", m->end);
        lm_json_member_str(w, "text", m->text);
        lm_json_member_str(w, "type", lm_ent_type_name(m->type));
        lm_json_member_str(w, "concept_id", m->concept_id);
        member_opt_int(w, "sentence", m->sentence, m->sentence >= 0);
        lm_json_member_double(w, "score", m->score, 4);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    /* Each concept once, in order of first mention. */
    lm_json_write_key(w, "concepts");
    lm_json_begin_array(w);
    for (size_t i = 0; i < d->n_mentions; i++) {
        const lm_doc_mention *m = &d->mentions[i];
        int seen = 0;
        int64_t count = 0;
        for (size_t k = 0; m->concept_id && k < d->n_mentions; k++)
            if (d->mentions[k].concept_id && strcmp(d->mentions[k].concept_id, m->concept_id) == 0) {
                seen |= k < i;
                count++;
            }
        if (!m->concept_id || seen)
            continue;
        lm_json_begin_object(w);
        lm_json_member_str(w, "concept_id", m->concept_id);
        lm_json_member_str(w, "type", lm_ent_type_name(m->type));
        lm_json_member_str(w, "name", name_of(namer, namer_ctx, m->concept_id, m->text));
        lm_json_member_int(w, "mentions", count);
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_write_key(w, "pairs");
    lm_json_begin_array(w);
    for (size_t i = 0; i < d->n_pairs; i++) {
        const lm_doc_pair *p = &d->pairs[i];
        lm_json_begin_object(w);
        lm_json_member_str(w, "chemical_id", p->chem_id);
        lm_json_member_str(w, "chemical", name_of(namer, namer_ctx, p->chem_id, p->chem_text));
        lm_json_member_str(w, "disease_id", p->dis_id);
        lm_json_member_str(w, "disease", name_of(namer, namer_ctx, p->dis_id, p->dis_text));
        lm_json_member_str(w, "relation", p->relation);
        lm_json_member_double(w, "score", p->score, 4);
        int has = p->evidence_start >= 0;
        member_opt_int(w, "evidence_start", p->evidence_start, has);
        member_opt_int(w, "evidence_end", p->evidence_end, has);
        lm_json_write_key(w, "evidence");
        if (has) {
            size_t b0 = lm_utf8_cp_to_byte(d->text, d->text_len, (size_t)p->evidence_start);
            size_t b1 = lm_utf8_cp_to_byte(d->text, d->text_len, (size_t)p->evidence_end);
            lm_json_write_strn(w, d->text + b0, b1 - b0);
        } else {
            lm_json_write_null(w);
        }
        lm_json_end_object(w);
    }
    lm_json_end_array(w);
    lm_json_end_object(w);
}
