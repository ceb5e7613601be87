/*
 * lm_eval_mesh: scoring across MeSH editions.
 *
 * A gold corpus carries the MeSH ids of the year it was annotated in
 * (BC5CDR: 2015) and the lexicon those of a later edition (MeSH 2021 in
 * ../shared/data).  In between NLM made descriptors of many drugs that
 * were supplementary records (quetiapine was C069541, is D000069348) and
 * split descriptors ("vestibulotoxicity", D000081015, was filed under
 * vestibular diseases), so a mention litmine reads right can carry an id
 * the gold's edition did not have.  The files in ../shared/data say
 * nothing of what a new descriptor replaced (no supplementary records, no
 * previous-indexing notes), so the mapping cannot come from MeSH here:
 * it comes from the mention.  Descriptors created from MeSH 2016 on have
 * ten-character UIs ("D" and nine digits, D000067... upwards), older ones
 * seven, so such an id is newer than any 2015 gold whatever the lexicon.
 * lm_eval_map_newer_mesh reads a newer descriptor given to a mention that
 * overlaps a gold mention of the same type as that gold mention's id, in
 * that document only, in its mentions and relations alike.
 *
 * This forgives a newer descriptor given to a wrong concept too, so the
 * figure it gives is the most the edition gap can cost: `eval` computes it
 * only on request (--newer-mesh), the documents quote it beside the plain
 * figure of a run without the flag, and exported ids are never rewritten —
 * the current descriptor is what a user wants.
 */
#include "lm_eval.h"

#include "../../util/lm_doc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int lm_eval_newer_mesh_id(const char *id)
{
    if (!id)
        return 0;
    id = lm_id_bare_mesh(id);
    if (id[0] != 'D')
        return 0;
    size_t n = 0;
    while (isdigit((unsigned char)id[1 + n]))
        n++;
    return n == 9 && id[1 + n] == '\0';
}

static void skip_part(void *ctx, const char *part, size_t len)
{
    (void)ctx;
    (void)part;
    (void)len;
}

/* One concept, not -1, empty or a composite of any separator the scorer
 * splits on ("D1|D2", "D1+D2"): only such a gold id can stand for a
 * newer descriptor. */
static int single_id(const char *id)
{
    return lm_eval_split_ids(id, skip_part, NULL) == 1;
}

int lm_eval_newer_mesh_reads_as(const char *pred_id, const char *gold_id)
{
    return lm_eval_newer_mesh_id(pred_id) && single_id(gold_id) &&
           !lm_eval_newer_mesh_id(gold_id);
}

/* The one gold id of the gold mention of doc overlapping [start, end)
 * with type, else NULL (none, several, composite, or -1). */
static const char *gold_id_at(const lm_pt_doc *doc, int start, int end, const char *type)
{
    const char *want = lm_eval_canonical_type(type);
    const char *found = NULL;
    for (size_t i = 0; i < doc->n_mentions; i++) {
        const lm_pt_mention *g = &doc->mentions[i];
        if (g->start >= end || start >= g->end || !g->id || !g->type)
            continue;
        const char *gt = lm_eval_canonical_type(g->type);
        if (!gt || !want || strcmp(gt, want) != 0)
            continue;
        if (!single_id(g->id))
            return NULL;
        if (found && !lm_id_same_concept(found, g->id))
            return NULL;
        found = g->id;
    }
    return found;
}

static lm_status replace(char **slot, const char *from, const char *to, lm_error *err)
{
    if (!*slot || !lm_id_same_concept(*slot, from))
        return LM_OK;
    char *c = strdup(to);
    if (!c)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    free(*slot);
    *slot = c;
    return LM_OK;
}

static lm_status map_doc(const lm_pt_doc *gold, lm_pt_doc *pred, size_t *n, lm_error *err)
{
    lm_status st = LM_OK;
    for (size_t i = 0; st == LM_OK && i < pred->n_mentions; i++) {
        const lm_pt_mention *m = &pred->mentions[i];
        if (!lm_eval_newer_mesh_id(m->id) || !m->type)
            continue;
        const char *to = gold_id_at(gold, m->start, m->end, m->type);
        if (!to || !lm_eval_newer_mesh_reads_as(m->id, to))
            continue;
        /* copied: the replacements below free m->id */
        char *from = strdup(m->id);
        if (!from)
            return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        for (size_t k = 0; st == LM_OK && k < pred->n_mentions; k++)
            st = replace(&pred->mentions[k].id, from, to, err);
        for (size_t k = 0; st == LM_OK && k < pred->n_relations; k++) {
            st = replace(&pred->relations[k].id1, from, to, err);
            if (st == LM_OK)
                st = replace(&pred->relations[k].id2, from, to, err);
        }
        free(from);
        (*n)++;
    }
    return st;
}

lm_status lm_eval_map_newer_mesh(const lm_pt_corpus *gold, lm_pt_corpus *pred, size_t *mapped,
                                 lm_error *err)
{
    size_t n = 0;
    lm_status st = LM_OK;
    for (size_t d = 0; st == LM_OK && d < pred->n_docs; d++) {
        lm_pt_doc *p = &pred->docs[d];
        const lm_pt_doc *g = lm_pt_corpus_find(gold, p->pmid);
        if (g)
            st = map_doc(g, p, &n, err);
    }
    if (mapped)
        *mapped = n;
    return st;
}
