/*
 * Ownership helpers for lm_doc and lm_spans, and the entity-type names.
 * Arrays grow geometrically: an abstract has tens of mentions, a few
 * thousand at the extreme.
 */
#include "lm_doc.h"

#include "lm_buf.h"
#include "lm_sort.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- byte spans ---- */

void lm_spans_init(lm_spans *s)
{
    s->v = NULL;
    s->n = 0;
    s->cap = 0;
}

void lm_spans_free(lm_spans *s)
{
    free(s->v);
    lm_spans_init(s);
}

lm_status lm_spans_push(lm_spans *s, uint32_t start, uint32_t end)
{
    if (lm_vec_grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) != LM_OK)
        return LM_ERR_NOMEM;
    s->v[s->n++] = (lm_span){start, end};
    return LM_OK;
}

/* ---- entity types ---- */

const char *lm_ent_type_name(lm_ent_type t)
{
    switch (t) {
    case LM_ENT_CHEMICAL: return "Chemical";
    case LM_ENT_DISEASE: return "Disease";
    case LM_ENT_GENE: return "Gene";
    default: return "None";
    }
}

/* Every spelling of a type litmine reads.  The loose ones (any case, Drug,
 * Protein) are only for labels people write, not for stored rows. */
static const struct {
    const char *name;
    lm_ent_type t;
    int loose;
} type_names[] = {
    {"Chemical", LM_ENT_CHEMICAL, 0},
    {"ChemicalEntity", LM_ENT_CHEMICAL, 0},
    {"Drug", LM_ENT_CHEMICAL, 1},
    {"Disease", LM_ENT_DISEASE, 0},
    {"DiseaseOrPhenotypicFeature", LM_ENT_DISEASE, 0},
    {"SpecificDisease", LM_ENT_DISEASE, 0},
    {"Modifier", LM_ENT_DISEASE, 0},
    {"DiseaseClass", LM_ENT_DISEASE, 0},
    {"CompositeMention", LM_ENT_DISEASE, 0},
    {"Gene", LM_ENT_GENE, 0},
    {"GeneOrGeneProduct", LM_ENT_GENE, 0},
    {"Protein", LM_ENT_GENE, 1},
};

lm_ent_type lm_ent_type_parse(const char *name)
{
    if (!name)
        return LM_ENT_NONE;
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (!type_names[i].loose && strcmp(name, type_names[i].name) == 0)
            return type_names[i].t;
    return LM_ENT_NONE;
}

lm_ent_type lm_ent_type_from_label(const char *label)
{
    if (!label)
        return LM_ENT_NONE;
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcasecmp(label, type_names[i].name) == 0)
            return type_names[i].t;
    return LM_ENT_NONE;
}

const char *lm_id_next_part(const char *p, const char **a, const char **b)
{
    const char *q = p;
    while (*q && *q != '|' && *q != '+' && *q != ',' && *q != ';')
        q++;
    const char *s = p, *e = q;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *a = s;
    *b = e;
    return *q ? q + 1 : q;
}

const char *lm_id_bare_mesh(const char *id)
{
    return strncasecmp(id, "MESH:", 5) == 0 ? id + 5 : id;
}

int lm_id_same_concept(const char *a, const char *b)
{
    return strcmp(lm_id_bare_mesh(a), lm_id_bare_mesh(b)) == 0;
}

void lm_doc_init(lm_doc *d)
{
    memset(d, 0, sizeof *d);
}

void lm_doc_free(lm_doc *d)
{
    free(d->text);
    free(d->sentences);
    for (size_t i = 0; i < d->n_mentions; i++) {
        free(d->mentions[i].text);
        free(d->mentions[i].concept_id);
    }
    free(d->mentions);
    for (size_t i = 0; i < d->n_abbrevs; i++) {
        free(d->abbrevs[i].short_form);
        free(d->abbrevs[i].long_form);
    }
    free(d->abbrevs);
    for (size_t i = 0; i < d->n_pairs; i++) {
        free(d->pairs[i].chem_id);
        free(d->pairs[i].chem_text);
        free(d->pairs[i].dis_id);
        free(d->pairs[i].dis_text);
    }
    free(d->pairs);
    free(d->vector);
    lm_doc_init(d);
}

lm_status lm_doc_set_text(lm_doc *d, const char *title, const char *abstract,
                          lm_error *err)
{
    size_t tl = title ? strlen(title) : 0, al = abstract ? strlen(abstract) : 0;
    char *t = malloc(tl + 1 + al + 1);
    if (!t)
        return lm_error_nomem(err, NULL);
    if (tl)
        memcpy(t, title, tl);
    t[tl] = ' ';
    if (al)
        memcpy(t + tl + 1, abstract, al);
    t[tl + 1 + al] = '\0';
    free(d->text);
    d->text = t;
    d->text_len = tl + 1 + al;
    return LM_OK;
}

lm_status lm_doc_add_sentence(lm_doc *d, int32_t start, int32_t end, lm_error *err)
{
    if (lm_vec_grow((void **)&d->sentences, &d->cap_sentences, d->n_sentences + 1,
                    sizeof *d->sentences) != LM_OK)
        return lm_error_nomem(err, NULL);
    d->sentences[d->n_sentences++] = (lm_doc_sentence){start, end};
    return LM_OK;
}

lm_status lm_doc_add_mention(lm_doc *d, int32_t start, int32_t end, lm_ent_type type,
                             const char *text, const char *concept_id, int32_t sentence,
                             float score, lm_error *err)
{
    if (lm_vec_grow((void **)&d->mentions, &d->cap_mentions, d->n_mentions + 1,
                    sizeof *d->mentions) != LM_OK)
        return lm_error_nomem(err, NULL);
    int failed = 0;
    lm_doc_mention m = {start, end, type, lm_strdup_opt(text, &failed),
                        lm_strdup_opt(concept_id, &failed), sentence, score};
    if (failed) {
        free(m.text);
        free(m.concept_id);
        return lm_error_nomem(err, NULL);
    }
    d->mentions[d->n_mentions++] = m;
    return LM_OK;
}

lm_status lm_doc_add_abbrev(lm_doc *d, const char *short_form, const char *long_form,
                            int32_t start, int32_t end, lm_error *err)
{
    if (lm_vec_grow((void **)&d->abbrevs, &d->cap_abbrevs, d->n_abbrevs + 1,
                    sizeof *d->abbrevs) != LM_OK)
        return lm_error_nomem(err, NULL);
    int failed = 0;
    lm_doc_abbrev a = {lm_strdup_opt(short_form, &failed), lm_strdup_opt(long_form, &failed),
                       start, end};
    if (failed) {
        free(a.short_form);
        free(a.long_form);
        return lm_error_nomem(err, NULL);
    }
    d->abbrevs[d->n_abbrevs++] = a;
    return LM_OK;
}

lm_status lm_doc_add_pair(lm_doc *d, const char *chem_id, const char *chem_text,
                          const char *dis_id, const char *dis_text, const char *relation,
                          float score, int32_t sentence, int32_t evidence_start,
                          int32_t evidence_end, lm_error *err)
{
    if (lm_vec_grow((void **)&d->pairs, &d->cap_pairs, d->n_pairs + 1,
                    sizeof *d->pairs) != LM_OK)
        return lm_error_nomem(err, NULL);
    int failed = 0;
    lm_doc_pair p = {lm_strdup_opt(chem_id, &failed), lm_strdup_opt(chem_text, &failed),
                     lm_strdup_opt(dis_id, &failed),  lm_strdup_opt(dis_text, &failed),
                     relation, score, sentence, evidence_start, evidence_end};
    if (failed) {
        free(p.chem_id);
        free(p.chem_text);
        free(p.dis_id);
        free(p.dis_text);
        return lm_error_nomem(err, NULL);
    }
    d->pairs[d->n_pairs++] = p;
    return LM_OK;
}

static int cmp_mention(const void *a, const void *b)
{
    const lm_doc_mention *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->type > y->type) - (x->type < y->type);
}

void lm_doc_sort_mentions(lm_doc *d)
{
    if (d->n_mentions > 1)
        lm_qsort(d->mentions, d->n_mentions, sizeof *d->mentions, cmp_mention);
}
