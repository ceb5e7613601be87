/*
 * Disease rewordings of mention lookup (lm_lexicon_mention.c, whose
 * find_rewrite calls them): how a disease a vocabulary names one way is
 * worded in abstracts.  lm_lexicon_find_disease_words tries one word
 * sequence — as it is, an organ word swapped for its synonym, two words
 * MeSH writes as one, a hyphenated pair turned around, the head word's
 * noun form, leading modifiers of course or severity dropped, harm to an
 * organ read as the organ's diseases ("retinal toxicity"), a site or
 * setting dropped; lm_lexicon_find_disease_reworded turns whole phrases
 * around ("prolongation of the QT interval", "decreased renal function",
 * "type B hepatitis", "infection with hepatitis C virus") and sends each
 * through lm_lexicon_find_disease_words.
 *
 * As in lm_lexicon_chemical.c, a rule returns the key index of the first
 * form the lexicon knows, -1 when none.  lm_lexicon_harm_words is shared
 * with the composite rules: a second part that only names harm is no
 * disease of its own.
 */
#include "lm_lexicon_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One-word synonyms (mostly organ adjectives and nouns) swapped in a
 * disease name; each pair is tried both ways. */
static const char *const word_syn[][2] = {
    {"cardiac", "heart"},     {"myocardial", "cardiac"}, {"myocardial", "heart"},
    {"renal", "kidney"},      {"hepatic", "liver"},      {"muscular", "muscle"},
    {"neuronal", "neuron"},   {"pulmonary", "lung"},     {"gastric", "stomach"},
    {"cerebral", "brain"},    {"ocular", "eye"},         {"visual", "vision"},
    {"auditory", "hearing"},  {"cutaneous", "skin"},
    {"dermal", "skin"},       {"bone", "osseous"},       {"vascular", "vessel"},
    {"tumors", "neoplasms"},  {"tumor", "neoplasm"},     {"cancer", "neoplasm"},
    {"tumours", "neoplasms"}, {"tumour", "neoplasm"},
    {"cancers", "neoplasms"}, {"carcinoma", "cancer"},   {"seizure", "convulsion"},
    {"seizures", "convulsions"}, {"bleeding", "hemorrhage"}, {"haemorrhage", "bleeding"},
    {"vein", "venous"},       {"adenocarcinoma", "cancer"}, {"adenocarcinomas", "cancers"},
    {"dysrhythmia", "arrhythmia"}, {"dysrhythmias", "arrhythmias"}, {"intraocular", "ocular"},
    {"tachyarrhythmia", "tachycardia"}, {"tachyarrhythmias", "tachycardias"},
};

/* A disease named by an adjective or a patient noun is found under its
 * noun: (ending, replacement) for the last word, first known one wins
 * ("dyskinetic" -> dyskinesia, "parkinsonian" -> parkinsonism,
 * "cataleptic" -> catalepsy, "edematous" -> edema, "migraineurs" ->
 * migraine). */
static const char *const head_morph[][2] = {
    {"etic", "esia"}, {"ic", "ia"},   {"ic", "y"},       {"ic", "e"},    {"ian", "ism"},
    {"otic", "osis"},
    {"ptic", "psy"}, {"atous", "a"},  {"al", ""},        {"ful", ""},    {"oid", "osis"},
    {"ive", "ion"},  {"urs", ""},     {"ics", "ia"},     {"al", "e"},    {"al", "a"},
    {"ptiform", "psy"}, {"iform", "a"}, {"iform", "is"},
};

/* Modifiers of extent, course and severity that a vocabulary leaves out
 * of most names ("bilateral optic neuropathy" is optic neuropathy). */
static const char *const disease_modifiers[] = {
    "acute",     "chronic",    "severe",     "mild",       "moderate",    "bilateral",
    "unilateral", "progressive", "transient", "recurrent",  "persistent",  "marked",
    "significant", "fatal",     "possible",   "clinical",   "overt",       "subclinical",
    "drug-induced", "generalized", "focal",   "diffuse",    "experimental", "reversible",
    "irreversible", "sudden",   "isolated",   "prolonged",  "posttransplant", "post-transplant",
    "idiopathic", "canine",     "murine",     "feline",     "porcine",     "bovine",
    "equine",    "rat",         "mouse",
    NULL};

/* Sites and settings a vocabulary leaves out of a disease's name when
 * it has no name for the disease there ("brainstem seizures",
 * "cerebral venous thrombosis", "postoperative convulsive seizures"). */
static const char *const disease_settings[] = {
    "peripheral", "cerebral", "brainstem", "muscular", "postoperative", "post-operative",
    "perioperative", "spontaneous", "extensive", NULL};

/* A disease described as harm to an organ or system ("retinal toxicity",
 * "hepatic impairment", "cranial nerve dysfunction") is annotated as that
 * organ's diseases: the words naming the harm, and the organ's noun as
 * MeSH files its diseases ("<organ> diseases" / "<organ> disorders"). */
const char *const lm_lexicon_harm_words[] = {
    "toxicity",     "damage",       "injury",      "injuries",    "dysfunction",
    "dysfunctions", "impairment",   "impairments", "complication", "complications",
    "abnormality",  "abnormalities", "disorder",   "disorders",   "disturbance",
    "disturbances", "lesion",       "lesions",     "deficit",     "deficits",
    "alteration",   "alterations",  "problems",    "insult",      "defects",
    "involvement",  "illness",      "suppression", "disease",    "diseases",   "toxicities",
    "toxicosis",    "retardation",  "aes",         NULL};   /* AEs: adverse events */

/* Toxicity to an organ is the vocabularies' single word for it when there
 * is one ("hepatic toxicity" is hepatotoxicity, drug-induced liver injury,
 * not liver diseases; "cardiac toxicity" cardiotoxicity): the organ words
 * and the combining form before "toxicity". */
static const char *const organ_combining[][2] = {
    {"hepatic", "hepato"},      {"liver", "hepato"},         {"renal", "nephro"},
    {"kidney", "nephro"},       {"cardiac", "cardio"},       {"heart", "cardio"},
    {"myocardial", "cardio"},   {"neural", "neuro"},         {"neurologic", "neuro"},
    {"neurological", "neuro"},  {"nerve", "neuro"},          {"auditory", "oto"},
    {"ear", "oto"},             {"hematologic", "hemato"},   {"hematological", "hemato"},
    {"haematologic", "hemato"}, {"haematological", "hemato"}, {"blood", "hemato"},
    {"muscle", "myo"},          {"muscular", "myo"},         {"skeletal muscle", "myo"},
};

static const char *const organ_nouns[][2] = {
    {"hepatic", "liver"},          {"renal", "kidney"},
    {"cardiac", "heart"},          {"pulmonary", "lung"},
    {"cerebral", "brain"},         {"gastric", "stomach"},
    {"neurological", "nervous system"}, {"neurologic", "nervous system"},
    {"neural", "nervous system"},  {"haematological", "hematologic"},
    {"hematological", "hematologic"}, {"haematologic", "hematologic"},
    {"auditory", "hearing"},       {"visual", "vision"},
    {"ocular", "eye"},             {"cerebellum", "cerebellar"},
    {"cord", "spinal cord"},       {"bladder", "urinary bladder"},
    {"cutaneous", "skin"},         {"dermal", "skin"},
    {"muscular", "muscular"},      {"skeletal", "bone"},
    {"thyroidal", "thyroid"},      {"pancreatic", "pancreatic"},
    {"valvular heart", "heart valve"}, {"intracranial vascular", "cerebrovascular"},
    {"valvular", "heart valve"},   {"glomerular", "kidney"},
    {"tubular", "kidney"},         {"marrow", "bone marrow"},
    {"urothelial", "urinary bladder"}, {"cognitive", "cognition"},
    {"gi", "gastrointestinal"},    {"venous", "vascular"},
};

static long find_organ_harm(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const mwords *w)
{
    if (w->count < 2 ||
        !word_in_list(w->s[w->count - 1], w->n[w->count - 1], lm_lexicon_harm_words))
        return -1;
    mwords organ = *w;
    organ.count--;
    char phrase[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX + 16];
    size_t pn = lm_lexicon_join_words(&organ, SIZE_MAX, NULL, phrase, sizeof phrase);
    if (!pn)
        return -1;
    const char *harm = w->s[w->count - 1];
    size_t hn = w->n[w->count - 1];
    if (word_is(harm, hn, "toxicity") || word_is(harm, hn, "toxicities"))
        for (size_t k = 0; k < sizeof organ_combining / sizeof organ_combining[0]; k++)
            if (strcasecmp(phrase, organ_combining[k][0]) == 0) {
                int n = snprintf(buf, sizeof buf, "%stoxicity", organ_combining[k][1]);
                long ki = n > 0 && (size_t)n < sizeof buf
                              ? find_text(lex, type, ns, buf, (size_t)n)
                              : -1;
                if (ki >= 0)
                    return ki;
                break;
            }
    static const char *const kinds[] = {" diseases", " disorders"};
    for (int pass = 0; pass < 2; pass++) {
        const char *o = phrase;
        if (pass == 1) {
            o = NULL;
            for (size_t k = 0; k < sizeof organ_nouns / sizeof organ_nouns[0] && !o; k++)
                if (strcasecmp(phrase, organ_nouns[k][0]) == 0)
                    o = organ_nouns[k][1];
            if (!o)
                break;
        }
        for (size_t k = 0; k < 2; k++) {
            int n = snprintf(buf, sizeof buf, "%s%s", o, kinds[k]);
            long ki = n > 0 && (size_t)n < sizeof buf ? find_text(lex, type, ns, buf, (size_t)n)
                                                       : -1;
            if (ki >= 0)
                return ki;
        }
    }
    return -1;
}

/* Key index of text with its last word rewritten by head_morph, -1 if none
 * is known. */
static long find_head_morph(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const mwords *w)
{
    char word[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX];
    size_t last = w->count - 1, wn = w->n[last];
    for (size_t k = 0; k < sizeof head_morph / sizeof head_morph[0]; k++) {
        size_t fl = strlen(head_morph[k][0]), tl = strlen(head_morph[k][1]);
        if (wn < fl + 3 || wn - fl + tl >= sizeof word ||
            strncasecmp(w->s[last] + wn - fl, head_morph[k][0], fl) != 0)
            continue;
        memcpy(word, w->s[last], wn - fl);
        memcpy(word + wn - fl, head_morph[k][1], tl + 1);
        size_t n = lm_lexicon_join_words(w, last, word, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* Two words MeSH writes as one ("coronary artery spasm" is coronary
 * vasospasm); each pair swapped one way. */
static const char *const pair_syn[][3] = {
    {"artery", "spasm", "vasospasm"},
    {"arterial", "spasm", "vasospasm"},
    {"vessel", "spasm", "vasospasm"},
};

static long find_pair_syn(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                          const mwords *w)
{
    char buf[LM_LEXICON_KEY_MAX];
    for (size_t i = 0; i + 1 < w->count; i++)
        for (size_t s = 0; s < sizeof pair_syn / sizeof pair_syn[0]; s++) {
            if (!word_is(w->s[i], w->n[i], pair_syn[s][0]) ||
                !word_is(w->s[i + 1], w->n[i + 1], pair_syn[s][1]))
                continue;
            mwords re = *w;
            mw_drop(&re, i + 1);
            size_t n = lm_lexicon_join_words(&re, i, pair_syn[s][2], buf, sizeof buf);
            long ki = n ? find_text(lex, type, ns, buf, n) : -1;
            if (ki >= 0)
                return ki;
        }
    return -1;
}

/* Two adjectives joined by a hyphen say the same in either order
 * ("clonic-tonic convulsions" are tonic-clonic ones): each word of two
 * alphabetic halves of 4 or more letters swapped. */
static long find_hyphen_swap(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                             const mwords *w)
{
    char word[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX];
    for (size_t i = 0; i < w->count; i++) {
        const char *h = memchr(w->s[i], '-', w->n[i]);
        if (!h || w->n[i] >= sizeof word)
            continue;
        size_t a = (size_t)(h - w->s[i]), b = w->n[i] - a - 1;
        if (a < 4 || b < 4)
            continue;
        int alpha = 1;
        for (size_t k = 0; k < w->n[i] && alpha; k++)
            alpha = k == a || (w->s[i][k] >= 'a' && w->s[i][k] <= 'z') ||
                    (w->s[i][k] >= 'A' && w->s[i][k] <= 'Z');
        if (!alpha)
            continue;
        memcpy(word, h + 1, b);
        word[b] = '-';
        memcpy(word + b + 1, w->s[i], a);
        word[w->n[i]] = '\0';
        size_t n = lm_lexicon_join_words(w, i, word, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* The disease rewrites of one word sequence, first known one wins: the
 * words as they are, one organ word swapped for its synonym, the head
 * word's noun form, leading modifiers of course or severity dropped (with
 * the noun form again), harm to an organ read as the organ's diseases. */
long lm_lexicon_find_disease_words(const lm_lexicon *lex, const char *ns, const mwords *w)
{
    const lm_ent_type type = LM_ENT_DISEASE;
    char buf[LM_LEXICON_KEY_MAX];
    long ki;
    size_t n;
    if (w->count == 0)
        return -1;
    if ((n = lm_lexicon_join_words(w, SIZE_MAX, NULL, buf, sizeof buf)) &&
        (ki = find_text(lex, type, ns, buf, n)) >= 0)
        return ki;
    for (size_t i = 0; i < w->count; i++)
        for (size_t s = 0; s < sizeof word_syn / sizeof word_syn[0]; s++)
            for (int dir = 0; dir < 2; dir++)
                if (word_is(w->s[i], w->n[i], word_syn[s][dir]) &&
                    (n = lm_lexicon_join_words(w, i, word_syn[s][!dir], buf, sizeof buf)) &&
                    (ki = find_text(lex, type, ns, buf, n)) >= 0)
                    return ki;
    if ((ki = find_pair_syn(lex, type, ns, w)) >= 0)
        return ki;
    if ((ki = find_hyphen_swap(lex, type, ns, w)) >= 0)
        return ki;
    if ((ki = find_head_morph(lex, type, ns, w)) >= 0)
        return ki;
    mwords rest = *w;
    while (rest.count > 1 && word_in_list(rest.s[0], rest.n[0], disease_modifiers)) {
        memmove(rest.s, rest.s + 1, (rest.count - 1) * sizeof rest.s[0]);
        memmove(rest.n, rest.n + 1, (rest.count - 1) * sizeof rest.n[0]);
        rest.count--;
        if ((n = lm_lexicon_join_words(&rest, SIZE_MAX, NULL, buf, sizeof buf)) &&
            (ki = find_text(lex, type, ns, buf, n)) >= 0)
            return ki;
        if ((ki = find_head_morph(lex, type, ns, &rest)) >= 0)
            return ki;
    }
    if ((ki = find_organ_harm(lex, type, ns, &rest)) >= 0)
        return ki;
    /* where or when a known disease arose, said before it: read last,
     * after the organ's own diseases ("peripheral nervous system damage"
     * is a disease of that system, "peripheral edema" is edema) */
    while (rest.count > 1 && word_in_list(rest.s[0], rest.n[0], disease_settings)) {
        mw_drop(&rest, 0);
        if ((n = lm_lexicon_join_words(&rest, SIZE_MAX, NULL, buf, sizeof buf)) &&
            (ki = find_text(lex, type, ns, buf, n)) >= 0)
            return ki;
    }
    return -1;
}

/* Words that only say a disease shows itself ("tic-like symptoms",
 * "syncopal attacks", "epileptiform activity"): dropped from the end. */
static const char *const showing_words[] = {
    "symptoms", "symptom", "episodes", "episode", "attacks", "attack", "events",
    "activity", "behavior", "behaviour", "behaviors", "signs", "manifestations", "lesions",
    "lesion", NULL};

/* Words around a named infection ("hepatitis B virus infection",
 * "infected with hepatitis C virus", "HIV disease" = HIV infections). */
static const char *const infection_words[] = {"infection", "infections", "infected", "virus",
                                              "with", "by", NULL};

/* Prepositions after the head of a disease phrase written head first
 * ("cancer of the breast", "injury to the kidney"). */
static const char *const head_preps[] = {"of", "to", "in", "within", "at", NULL};
static const char *const articles[] = {"the", "a", "an", NULL};

/* Disease names reworded the way MeSH words them, each form through
 * lm_lexicon_find_disease_words: a head written first turned around ("prolongation
 * of the QT interval" = "QT interval prolongation"), an organ's lost
 * function as its insufficiency or impairment ("decreased renal
 * function"), a type written first ("type B hepatitis"), a raised pressure
 * as hypertension, words showing the disease dropped ("tic-like symptoms"
 * = tics), a named infection read
 * without the words around it ("chronic infection with hepatitis C virus"
 * = chronic hepatitis C), a leading cause dropped ("swallowing-induced",
 * "transplant-associated") and "X disease" as "X infections" (for
 * viruses: "adenovirus disease"). */
long lm_lexicon_find_disease_reworded(const lm_lexicon *lex, const char *ns, const mwords *w)
{
    long ki;
    /* a change in a disease named before it: "increase in tardive
     * dyskinesia" is tardive dyskinesia */
    static const char *const change_words[] = {"increase", "increases", "worsening",
                                               "exacerbation", "aggravation", NULL};
    if (w->count > 2 && word_in_list(w->s[0], w->n[0], change_words) &&
        (word_is(w->s[1], w->n[1], "in") || word_is(w->s[1], w->n[1], "of"))) {
        mwords rest = {.count = 0};
        mw_append(&rest, w, 2, w->count);
        if ((ki = lm_lexicon_find_disease_words(lex, ns, &rest)) >= 0)
            return ki;
    }
    /* head first: "H [of|to|in] [the] M..." -> "M... H" */
    for (size_t p = 1; p + 1 < w->count; p++) {
        if (!word_in_list(w->s[p], w->n[p], head_preps))
            continue;
        mwords inv = {.count = 0};
        size_t m = p + 1;
        if (m + 1 < w->count && word_in_list(w->s[m], w->n[m], articles))
            m++;
        for (size_t i = m; i < w->count; i++) {
            inv.s[inv.count] = w->s[i];
            inv.n[inv.count++] = w->n[i];
        }
        for (size_t i = 0; i < p; i++) {
            inv.s[inv.count] = w->s[i];
            inv.n[inv.count++] = w->n[i];
        }
        if ((ki = lm_lexicon_find_disease_words(lex, ns, &inv)) >= 0)
            return ki;
        break;
    }
    /* an organ's function lost: "decreased renal function", "loss of
     * kidney function" -> renal insufficiency, else the organ's diseases
     * ("impaired cognitive functions" -> cognition disorders) */
    size_t fl = w->count - 1;
    if (w->count >= 3 && w->n[fl] >= 8 && strncasecmp(w->s[fl], "function", 8) == 0) {
        static const char *const loss_words[] = {
            "decreased", "reduced", "impaired", "reduction", "decrease", "decline", "declines",
            "loss",      "failure", "of",       "in",        "deteriorated", "poor",
            "impairment", "impairments", NULL};
        size_t a = 0;
        while (a < fl && word_in_list(w->s[a], w->n[a], loss_words))
            a++;
        if (a > 0 && a < fl) {
            static const char *const lost[] = {"insufficiency", "impairment"};
            for (size_t k = 0; k < 2; k++) {
                mwords organ = {.count = 0};
                mw_append(&organ, w, a, fl);
                organ.s[organ.count] = lost[k];
                organ.n[organ.count++] = strlen(lost[k]);
                if ((ki = lm_lexicon_find_disease_words(lex, ns, &organ)) >= 0)
                    return ki;
            }
        }
    }
    /* "type B hepatitis" -> "hepatitis B", "hepatitis type B" */
    if (w->count >= 3 && word_is(w->s[0], w->n[0], "type") && w->n[1] <= 3) {
        for (int keep_type = 0; keep_type < 2; keep_type++) {
            mwords re = {.count = 0};
            mw_append(&re, w, 2, w->count);
            mw_append(&re, w, keep_type ? 0 : 1, 2);
            if ((ki = lm_lexicon_find_disease_words(lex, ns, &re)) >= 0)
                return ki;
        }
    }
    /* a pressure raised: "elevated intraocular pressure" -> ocular
     * hypertension, "rise in resting blood pressure" -> hypertension */
    if (w->count >= 2 && word_is(w->s[w->count - 1], w->n[w->count - 1], "pressure")) {
        static const char *const raised[] = {"elevated", "increased", "raised", "high",
                                             "rise", "increase", "in", "of", NULL};
        static const char *const plain[] = {"blood", "arterial", "resting", "systemic", NULL};
        size_t a = 0;
        while (a + 1 < w->count && word_in_list(w->s[a], w->n[a], raised))
            a++;
        if (a > 0) {
            static const char *const hyper = "hypertension";
            mwords re = {.count = 0};
            for (size_t i = a; i + 1 < w->count; i++)
                if (!word_in_list(w->s[i], w->n[i], plain))
                    mw_append(&re, w, i, i + 1);
            re.s[re.count] = hyper;
            re.n[re.count++] = strlen(hyper);
            if ((ki = lm_lexicon_find_disease_words(lex, ns, &re)) >= 0)
                return ki;
        }
    }
    /* showing words */
    mwords core = *w;
    while (core.count > 1 && word_in_list(core.s[core.count - 1], core.n[core.count - 1],
                                          showing_words))
        core.count--;
    size_t last = core.count - 1;
    if (core.n[last] > 7 && strncasecmp(core.s[last] + core.n[last] - 5, "-like", 5) == 0)
        core.n[last] -= 5;
    if ((core.count < w->count || core.n[last] < w->n[last]) &&
        (ki = lm_lexicon_find_disease_words(lex, ns, &core)) >= 0)
        return ki;
    /* a cause written into the name: "swallowing-induced ...",
     * "transplant-associated ..." */
    static const char *const cause_suffixes[] = {"-induced", "-associated", "-related",
                                                 "-mediated", NULL};
    for (size_t k = 0; cause_suffixes[k] && w->count > 1; k++) {
        size_t sl = strlen(cause_suffixes[k]);
        if (w->n[0] > sl + 2 && strncasecmp(w->s[0] + w->n[0] - sl, cause_suffixes[k], sl) == 0) {
            mwords rest = *w;
            mw_drop(&rest, 0);
            if ((ki = lm_lexicon_find_disease_words(lex, ns, &rest)) >= 0)
                return ki;
            break;
        }
    }
    /* a drug written before the disease it causes: "corticosteroid
     * glaucoma", "adrenaline arrhythmia" (a word the lexicon knows as a
     * chemical and not as a disease) */
    if (w->count > 1 && find_text(lex, LM_ENT_CHEMICAL, NULL, w->s[0], w->n[0]) >= 0 &&
        find_text(lex, LM_ENT_DISEASE, NULL, w->s[0], w->n[0]) < 0) {
        mwords rest = *w;
        mw_drop(&rest, 0);
        if ((ki = lm_lexicon_find_disease_words(lex, ns, &rest)) >= 0)
            return ki;
    }
    /* infections */
    int infection = 0;
    for (size_t i = 0; i < w->count; i++)
        infection |= word_is(w->s[i], w->n[i], "infection") ||
                     word_is(w->s[i], w->n[i], "infections") ||
                     word_is(w->s[i], w->n[i], "infected");
    if (infection) {
        mwords named = *w;
        for (size_t i = named.count; i-- > 0;)
            if (word_in_list(named.s[i], named.n[i], infection_words) && named.count > 1)
                mw_drop(&named, i);
        if (named.count < w->count && (ki = lm_lexicon_find_disease_words(lex, ns, &named)) >= 0)
            return ki;
    }
    if (w->count > 1 && word_is(w->s[w->count - 1], w->n[w->count - 1], "disease")) {
        char buf[LM_LEXICON_KEY_MAX];
        size_t n = lm_lexicon_join_words(w, w->count - 1, "infections", buf, sizeof buf);
        if (n && (ki = find_text(lex, LM_ENT_DISEASE, ns, buf, n)) >= 0)
            return ki;
    }
    return -1;
}
