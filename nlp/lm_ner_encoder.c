/*
 * NER by a token-classification encoder (see lm_ner_encoder.h).  The label
 * table maps squeezed, lower-cased type names; it lists the spellings of
 * the corpora litmine's users fine-tune on (BC5CDR, NCBI-disease, BC2GM,
 * JNLPBA, BioRED, CRAFT, ChemProt, the PubTator types) rather than
 * guessing by substring, so that "Cell_type" never reads as a Gene.
 */
#include "lm_ner_encoder.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct lm_ner_encoder {
    lm_encoder *enc;
    lm_encoder_agg agg;
    lm_ent_type *group_type;    /* per entity group of the model */
    unsigned types;
};

struct lm_ner_encoder_scratch {
    lm_encoder_ws *ws;
    lm_encoder_mentions found;
};

static const struct {
    const char *name;
    lm_ent_type type;
} type_names[] = {
    {"chemical", LM_ENT_CHEMICAL},        {"chemicals", LM_ENT_CHEMICAL},
    {"chem", LM_ENT_CHEMICAL},            {"chemicalentity", LM_ENT_CHEMICAL},
    {"simplechemical", LM_ENT_CHEMICAL},  {"chemicalordrug", LM_ENT_CHEMICAL},
    {"drug", LM_ENT_CHEMICAL},            {"drugs", LM_ENT_CHEMICAL},
    {"chebi", LM_ENT_CHEMICAL},           {"compound", LM_ENT_CHEMICAL},
    {"disease", LM_ENT_DISEASE},          {"diseases", LM_ENT_DISEASE},
    {"dis", LM_ENT_DISEASE},              {"disorder", LM_ENT_DISEASE},
    {"specificdisease", LM_ENT_DISEASE},  {"diseaseclass", LM_ENT_DISEASE},
    {"compositemention", LM_ENT_DISEASE}, {"modifier", LM_ENT_DISEASE},
    {"diseaseorphenotypicfeature", LM_ENT_DISEASE},
    {"diseaseordisorder", LM_ENT_DISEASE},
    {"gene", LM_ENT_GENE},                {"genes", LM_ENT_GENE},
    {"protein", LM_ENT_GENE},             {"geneprotein", LM_ENT_GENE},
    {"geneorprotein", LM_ENT_GENE},       {"geneorgeneproduct", LM_ENT_GENE},
    {"geneorgeneproducts", LM_ENT_GENE},  {"gp", LM_ENT_GENE},
    {"genen", LM_ENT_GENE},               {"geney", LM_ENT_GENE},
    {"ggp", LM_ENT_GENE},                 {"dnaorprotein", LM_ENT_GENE},
};

lm_ent_type lm_ner_encoder_label_type(const char *label)
{
    if (!label)
        return LM_ENT_NONE;
    size_t n = strlen(label);
    if (n > 2 && (label[1] == '-' || label[1] == '_') && strchr("BIULESbiules", label[0]))
        label += 2;
    char key[64];
    size_t k = 0;
    for (const char *p = label; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '-' || c == '_' || c == ' ' || c == '/')
            continue;
        if (k + 1 >= sizeof key)
            return LM_ENT_NONE;
        key[k++] = (char)tolower(c);
    }
    key[k] = '\0';
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcmp(type_names[i].name, key) == 0)
            return type_names[i].type;
    return LM_ENT_NONE;
}

void lm_ner_encoder_free(lm_ner_encoder *m)
{
    if (!m)
        return;
    lm_encoder_free(m->enc);
    free(m->group_type);
    free(m);
}

lm_status lm_ner_encoder_open(lm_ner_encoder **out, const char *dir, const char *aggregation,
                              const char *precision, lm_error *err)
{
    *out = NULL;
    lm_encoder_options opt = {0};
    if (lm_encoder_precision_option(&opt, precision, "[ner] precision", err) != LM_OK)
        return err->code;
    lm_encoder_agg agg = LM_ENC_AGG_FIRST;
    if (aggregation && *aggregation && strcmp(aggregation, "first") != 0) {
        if (strcmp(aggregation, "simple") != 0)
            return lm_error_set(err, LM_ERR_USAGE,
                                "[ner] aggregation \"%s\": use first or simple", aggregation);
        agg = LM_ENC_AGG_SIMPLE;
    }
    lm_ner_encoder *m = calloc(1, sizeof *m);
    if (!m)
        return lm_error_nomem(err, "loading the NER model");
    m->agg = agg;
    lm_status st = lm_encoder_load(&m->enc, dir, &opt, err);
    const lm_encoder_info *info = st == LM_OK ? lm_encoder_get_info(m->enc) : NULL;
    if (st == LM_OK && info->head != LM_ENC_HEAD_TOKEN)
        st = lm_error_set(err, LM_ERR_USAGE,
                          "%s is not a token-classification model (%s); [ner] model needs one "
                          "such as a PubMedBERT NER fine-tune",
                          dir, info->architecture[0] ? info->architecture : info->model_type);
    if (st == LM_OK) {
        m->group_type = calloc((size_t)info->n_groups + 1, sizeof *m->group_type);
        if (!m->group_type)
            st = lm_error_nomem(err, "loading the NER model");
    }
    for (int g = 0; st == LM_OK && g < info->n_groups; g++) {
        m->group_type[g] = lm_ner_encoder_label_type(info->groups[g]);
        if (m->group_type[g] != LM_ENT_NONE)
            m->types |= LM_ENT_BIT(m->group_type[g]);
    }
    if (st == LM_OK && !m->types)
        st = lm_error_set(err, LM_ERR_USAGE,
                          "%s: none of the model's entity types (%s%s) is a chemical, disease "
                          "or gene",
                          dir, info->n_groups ? info->groups[0] : "no labels",
                          info->n_groups > 1 ? ", ..." : "");
    if (st != LM_OK) {
        lm_ner_encoder_free(m);
        return st;
    }
    *out = m;
    return LM_OK;
}

const lm_encoder *lm_ner_encoder_model(const lm_ner_encoder *m)
{
    return m->enc;
}

unsigned lm_ner_encoder_types(const lm_ner_encoder *m)
{
    return m->types;
}

lm_status lm_ner_encoder_scratch_init(const lm_ner_encoder *m, lm_ner_encoder_scratch **out,
                                      lm_error *err)
{
    *out = NULL;
    lm_ner_encoder_scratch *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_nomem(err, "NER scratch");
    lm_encoder_mentions_init(&s->found);
    lm_status st = lm_encoder_ws_init(&s->ws, m->enc, err);
    if (st != LM_OK) {
        lm_ner_encoder_scratch_free(s);
        return st;
    }
    *out = s;
    return LM_OK;
}

void lm_ner_encoder_scratch_free(lm_ner_encoder_scratch *s)
{
    if (!s)
        return;
    lm_encoder_ws_free(s->ws);
    lm_encoder_mentions_free(&s->found);
    free(s);
}

lm_status lm_ner_encoder_tag(const lm_ner_encoder *m, lm_ner_encoder_scratch *s,
                             const char *text, size_t len, lm_ner_mentions *out,
                             lm_error *err)
{
    out->n = 0;
    out->has_abbrevs = 0;   /* no definitions of its own: callers detect them */
    lm_status st = lm_encoder_tag(m->enc, s->ws, text, len, m->agg, &s->found, err);
    if (st != LM_OK)
        return st;
    if (out->cap < s->found.n) {
        lm_ner_mention *v = realloc(out->v, s->found.n * sizeof *v);
        if (!v)
            return lm_error_nomem(err, "NER mentions");
        out->v = v;
        out->cap = s->found.n;
    }
    for (size_t i = 0; i < s->found.n; i++) {
        const lm_encoder_mention *f = &s->found.items[i];
        lm_ent_type t = m->group_type[f->group];
        /* Byte-level BPE spans carry the space before a word; a mention's
         * text never starts or ends with one. */
        uint32_t a = f->start, b = f->end;
        while (a < b && isspace((unsigned char)text[a]))
            a++;
        while (b > a && isspace((unsigned char)text[b - 1]))
            b--;
        if (t == LM_ENT_NONE || b <= a)
            continue;
        out->v[out->n++] = (lm_ner_mention){a, b, t, f->score};
    }
    return LM_OK;
}
