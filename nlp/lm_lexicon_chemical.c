/*
 * Chemical rewrites of mention lookup (lm_lexicon_mention.c, whose
 * find_rewrite calls them in order): how a chemical a vocabulary files
 * under another spelling is written in abstracts — a formula or an ion
 * ("CaCl2", "K+"), a leading locant, isomer or radiolabel
 * ("5-hydroxyindoleacetic acid", "[3H]dopamine"), a metal before a drug's
 * salt ("sodium thiopental"),
 * another word order, a plural on an inner word, substituents out of
 * alphabetical order, an action for its agents ("sedation").
 *
 * Each rule takes the words or the text of a mention and returns the key
 * index of the first rewritten form the lexicon knows, -1 when none: it
 * never looks at what the lexicon means by it (lm_lexicon_matches_of_form
 * does).  The word tables are short and written out here, not imported:
 * they name spellings, not concepts.
 */
#include "lm_lexicon_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Metal words among them are dropped only after the drug's name:
 * "warfarin sodium" is warfarin, "sodium fluoride" is its own compound. */
const char *const lm_lexicon_metal_words[] = {"sodium", "potassium", "calcium", "magnesium",
                                          "disodium", NULL};

/* "5-hydroxyindoleacetic acid" is filed as hydroxyindoleacetic acid:
 * length of a leading locant ("5-", "3',5'-", "2,4-"), 0 if none.  Only
 * before a name spelled out, a letter then three lowercase ones: before
 * an abbreviation the locants are part of what it abbreviates ("5,7-DHT"
 * is 5,7-dihydroxytryptamine, "DHT" dihydrotestosterone; "3,4-DHPG" the
 * glycol, "DHPG" the glycine). */
size_t lm_lexicon_locant_prefix(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (is_digit(s[i]) || s[i] == '\'' || s[i] == ','))
        i++;
    if (!(i > 0 && is_digit(s[0]) && i + 1 < n && s[i] == '-'))
        return 0;
    const unsigned char *r = (const unsigned char *)s + i + 1;
    if (n - i - 1 < 4 || !is_alpha_ascii(r[0]) || !is_lower_ascii(r[1]) ||
        !is_lower_ascii(r[2]) || !is_lower_ascii(r[3]))
        return 0;
    return i + 1;
}

/* An isomer's Greek prefix ("alpha-benzene hexachloride" is filed as
 * benzene hexachloride, hexachlorocyclohexane): its length with the
 * hyphen, 0 if none. */
size_t lm_lexicon_isomer_prefix(const char *s, size_t n)
{
    static const char *const isomers[] = {"alpha-", "beta-", "gamma-", "delta-", NULL};
    for (size_t k = 0; isomers[k]; k++) {
        size_t l = strlen(isomers[k]);
        if (n > l + 2 && strncasecmp(s, isomers[k], l) == 0)
            return l;
    }
    return 0;
}

/* Chemical elements by symbol, for mentions written as a symbol, an ion
 * or a simple formula ("K", "Ca2+", "CaCl(2)", "CO2"), which no vocabulary
 * lists; anion: the name of the element as the second part of a binary
 * compound ("chloride"), NULL when it does not take that place. */
static const struct {
    const char *sym, *name, *anion;
} elements[] = {
    {"H", "hydrogen", "hydride"},  {"Li", "lithium", NULL},    {"B", "boron", NULL},
    {"C", "carbon", "carbide"},    {"N", "nitrogen", "nitride"}, {"O", "oxygen", "oxide"},
    {"F", "fluorine", "fluoride"}, {"Na", "sodium", NULL},     {"Mg", "magnesium", NULL},
    {"Al", "aluminum", NULL},      {"Si", "silicon", NULL},    {"P", "phosphorus", "phosphide"},
    {"S", "sulfur", "sulfide"},    {"Cl", "chlorine", "chloride"}, {"K", "potassium", NULL},
    {"Ca", "calcium", NULL},       {"Cr", "chromium", NULL},   {"Mn", "manganese", NULL},
    {"Fe", "iron", NULL},          {"Co", "cobalt", NULL},     {"Ni", "nickel", NULL},
    {"Cu", "copper", NULL},        {"Zn", "zinc", NULL},       {"As", "arsenic", NULL},
    {"Se", "selenium", "selenide"}, {"Br", "bromine", "bromide"}, {"Sr", "strontium", NULL},
    {"Ag", "silver", NULL},        {"Cd", "cadmium", NULL},    {"Sn", "tin", NULL},
    {"I", "iodine", "iodide"},     {"Cs", "cesium", NULL},     {"Ba", "barium", NULL},
    {"Gd", "gadolinium", NULL},    {"Pt", "platinum", NULL},   {"Au", "gold", NULL},
    {"Hg", "mercury", NULL},       {"Tl", "thallium", NULL},   {"Pb", "lead", NULL},
    {"Bi", "bismuth", NULL},
};

/* Formulas whose names are not built from their parts. */
static const char *const formula_names[][2] = {
    {"H2O", "water"}, {"H2O2", "hydrogen peroxide"}, {"O2", "oxygen"},
    {"N2O", "nitrous oxide"}, {"NO", "nitric oxide"}, {"O3", "ozone"},
    {"O2-", "superoxides"}, {"O2(-)", "superoxides"}, {"O2.-", "superoxides"},
};

/* Reads an element symbol at s (case-sensitive) and a count after it
 * ("2", "(2)"); returns the bytes read, 0 when none. */
static size_t read_element(const char *s, size_t n, int *el, int *count)
{
    size_t best = 0;
    for (size_t k = 0; k < sizeof elements / sizeof elements[0]; k++) {
        size_t l = strlen(elements[k].sym);
        if (l <= n && l > best && memcmp(s, elements[k].sym, l) == 0 &&
            !(l == 1 && n > 1 && s[1] >= 'a' && s[1] <= 'z')) {
            best = l;
            *el = (int)k;
        }
    }
    if (!best)
        return 0;
    size_t i = best, open = i < n && s[i] == '(';
    size_t d = i + open;
    *count = 0;
    while (d < n && s[d] >= '0' && s[d] <= '9' && *count < 100)
        *count = *count * 10 + (s[d++] - '0');
    if (d > i + open && (!open || (d < n && s[d] == ')')))
        i = d + open;
    else
        *count = 1;
    return i;
}

/* The lexicon's entry for a symbol, ion or binary formula: "K", "Ca2+",
 * "Ca(2+)" -> the element; "CaCl2", "CaCl(2)" -> "calcium chloride";
 * "CO2", "CCl4" -> "carbon dioxide", "carbon tetrachloride"; a few
 * formulas by their names ("H2O").  A lone one-letter symbol counts only
 * for potassium ("K"): "C", "P" or "T" alone are abbreviations. */
long lm_lexicon_find_formula(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                             const char *text, size_t len)
{
    for (size_t k = 0; k < sizeof formula_names / sizeof formula_names[0]; k++)
        if (strlen(formula_names[k][0]) == len && memcmp(text, formula_names[k][0], len) == 0)
            return find_text(lex, type, ns, formula_names[k][1], strlen(formula_names[k][1]));
    /* a charge: "(2+)", "(+)", "2+", "+" */
    if (len >= 3 && text[len - 1] == ')' && (text[len - 2] == '+' || text[len - 2] == '-')) {
        size_t k = len - 2;
        while (k > 0 && text[k - 1] >= '0' && text[k - 1] <= '9')
            k--;
        if (k > 0 && text[k - 1] == '(')
            len = k - 1;
    } else if (len >= 2 && (text[len - 1] == '+' || text[len - 1] == '-')) {
        len--;
        while (len > 1 && text[len - 1] >= '0' && text[len - 1] <= '9')
            len--;
    }
    if (!len || len > 12)
        return -1;
    int e1, c1, e2 = -1, c2 = 0;
    size_t a = read_element(text, len, &e1, &c1);
    if (!a)
        return -1;
    size_t b = a < len ? read_element(text + a, len - a, &e2, &c2) : 0;
    if (a + b != len || (!b && c1 != 1) || (b && (c1 != 1 || !elements[e2].anion)))
        return -1;
    if (!b) {
        if (strlen(elements[e1].sym) == 1 && strcmp(elements[e1].sym, "K") != 0)
            return -1;
        return find_text(lex, type, ns, elements[e1].name, strlen(elements[e1].name));
    }
    static const char *const mult[] = {"", "", "di", "tri", "tetra", "penta", "hexa"};
    char buf[64];
    for (int prefixed = 0; prefixed < 2; prefixed++) {
        if (prefixed && (c2 < 2 || c2 > 6))
            break;
        int n = snprintf(buf, sizeof buf, "%s %s%s", elements[e1].name,
                         prefixed ? mult[c2] : "", elements[e2].anion);
        long ki = n > 0 && (size_t)n < sizeof buf ? find_text(lex, type, ns, buf, (size_t)n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* Radioisotopes a label names before a compound: symbol and name. */
static const char *const isotopes[][2] = {
    {"3H", "tritium"},      {"11C", "carbon-11"},    {"14C", "carbon-14"},
    {"13C", "carbon-13"},   {"15N", "nitrogen-15"},  {"18F", "fluorine-18"},
    {"32P", "phosphorus-32"}, {"35S", "sulfur-35"},  {"45Ca", "calcium-45"},
    {"51Cr", "chromium-51"}, {"67Ga", "gallium-67"}, {"68Ga", "gallium-68"},
    {"75Se", "selenium-75"}, {"86Rb", "rubidium-86"}, {"99mTc", "technetium-99m"},
    {"111In", "indium-111"}, {"123I", "iodine-123"}, {"125I", "iodine-125"},
    {"131I", "iodine-131"}, {"201Tl", "thallium-201"},
};

/* A radiolabel before a compound's name ("[3H]dopamine",
 * "125I-albumin", "iodine-125-metaiodobenzylguanidine"): its length with
 * the hyphen after it, 0 if none.  Unbracketed, tritium's "3H-" is left
 * alone: it is also a ring's indicated hydrogen ("3H-indole"). */
size_t lm_lexicon_label_prefix(const char *s, size_t n)
{
    for (size_t k = 0; k < sizeof isotopes / sizeof isotopes[0]; k++) {
        size_t sl = strlen(isotopes[k][0]), nl = strlen(isotopes[k][1]), l = 0;
        if (n > sl + 2 && s[0] == '[' && memcmp(s + 1, isotopes[k][0], sl) == 0 &&
            s[sl + 1] == ']')
            l = sl + 2;
        else if (n > sl + 1 && k > 0 && memcmp(s, isotopes[k][0], sl) == 0 && s[sl] == '-')
            l = sl;
        else if (n > nl + 1 && strncasecmp(s, isotopes[k][1], nl) == 0 && s[nl] == '-')
            l = nl;
        if (!l)
            continue;
        if (l < n && s[l] == '-')
            l++;
        return l < n ? l : 0;
    }
    return 0;
}

/* Anions a metal forms its own compound with ("sodium fluoride",
 * "potassium nitrate"): the metal stays before them. */
static int inorganic_anion(const char *w, size_t n)
{
    static const char *const anions[] = {"nitrate", "sulfate", "sulphate", "phosphate",
                                         "carbonate", "bicarbonate", "chlorate", "perchlorate",
                                         "bromate", "iodate", "silicate", "borate", "acetate",
                                         "citrate", "lactate", "oxalate", "salicylate", NULL};
    return (n > 3 && (strncasecmp(w + n - 3, "ide", 3) == 0 ||
                      strncasecmp(w + n - 3, "ite", 3) == 0)) ||
           word_in_list(w, n, anions);
}

/* A drug's salt named metal first, "sodium thiopental", "disodium
 * edetate" (MeSH: thiopental, edetic acid): the name without the metal,
 * unless what follows is an inorganic anion.  bare receives the words
 * left when it has none yet (for a misspelling of them). */
long lm_lexicon_find_metal_salt(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                const mwords *w, mwords *bare)
{
    if (w->count < 2 || !word_in_list(w->s[0], w->n[0], lm_lexicon_metal_words) ||
        inorganic_anion(w->s[w->count - 1], w->n[w->count - 1]))
        return -1;
    mwords rest = *w;
    mw_drop(&rest, 0);
    if (!bare->count)
        *bare = rest;
    char buf[LM_LEXICON_KEY_MAX];
    size_t n = lm_lexicon_join_words(&rest, SIZE_MAX, NULL, buf, sizeof buf);
    return n ? find_text(lex, type, ns, buf, n) : -1;
}

/* Key index of the first order of w's words (other than their own when
 * skip_own: it was looked up already) that the lexicon knows, -1 if none. */
static long find_permuted(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                          const mwords *w, int skip_own)
{
    size_t k = w->count, idx[4], total = 1;
    if (k < 2 || k > 4)
        return -1;
    for (size_t d = 0; d < k; d++)
        total *= k;
    char buf[LM_LEXICON_KEY_MAX];
    for (size_t code = 0; code < total; code++) {
        size_t c = code;
        unsigned used = 0;
        int ok = 1, own = 1;
        for (size_t d = 0; d < k && ok; d++) {
            idx[d] = c % k;
            c /= k;
            ok = !(used & (1u << idx[d]));
            used |= 1u << idx[d];
            own &= idx[d] == d;
        }
        if (!ok || (own && skip_own))
            continue;
        mwords p = {.count = k};
        for (size_t d = 0; d < k; d++) {
            p.s[d] = w->s[idx[d]];
            p.n[d] = w->n[idx[d]];
        }
        size_t n = lm_lexicon_join_words(&p, SIZE_MAX, NULL, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* A chemical class or compound named in another word order than the
 * vocabulary's: "alpha2-adrenergic receptor agonist" (MeSH: adrenergic
 * alpha-2 receptor agonists), "cyclic adenosine 3',5'-monophosphate"
 * (adenosine cyclic 3',5'-monophosphate).  Words are split at spaces and
 * at a hyphen between two words that begin with letters and have two or
 * more bytes (a locant or a one-letter "N-" stays with its word); every
 * other order of 2 to 4 words is tried, the first known one wins.  Then,
 * for a class of blocking agents, the words without "blocking" in any
 * order: MeSH names the kinds of neuromuscular blockers "neuromuscular
 * nondepolarizing agents" and "neuromuscular depolarizing agents"
 * ("nondepolarizing neuromuscular blocking agents"). */
long lm_lexicon_find_reordered(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                               const char *text, size_t len)
{
    mwords w = {.count = 0};
    size_t i = 0;
    while (i < len) {
        if (text[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && text[j] != ' ') {
            if (text[j] == '-' && j - i >= 2 && is_alpha_ascii((unsigned char)text[i]) &&
                j + 2 < len && is_alpha_ascii((unsigned char)text[j + 1]) && text[j + 2] != ' ' &&
                text[j + 2] != '-')
                break;
            j++;
        }
        if (w.count == 4)
            return -1;
        w.s[w.count] = text + i;
        w.n[w.count++] = j - i;
        i = j + (j < len && text[j] == '-');
    }
    long ki = find_permuted(lex, type, ns, &w, 1);
    if (ki >= 0 || w.count < 3)
        return ki;
    size_t last = w.count - 1;
    if (!word_is(w.s[last], w.n[last], "agents") && !word_is(w.s[last], w.n[last], "agent"))
        return -1;
    for (size_t k = 0; k < last; k++)
        if (word_is(w.s[k], w.n[k], "blocking")) {
            mwords rest = w;
            mw_drop(&rest, k);
            return find_permuted(lex, type, ns, &rest, 0);
        }
    return -1;
}

/* A plural MeSH puts on a word other than the last ("prostaglandin E":
 * prostaglandins E): each earlier word of 4 or more letters with an "s"
 * added, or taken off. */
long lm_lexicon_find_inner_plural(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                  const mwords *w)
{
    char word[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX];
    for (size_t i = 0; i + 1 < w->count; i++) {
        size_t wn = w->n[i];
        if (wn < 4 || wn + 2 > sizeof word)
            continue;
        int alpha = 1;
        for (size_t k = 0; k < wn && alpha; k++)
            alpha = is_alpha_ascii((unsigned char)w->s[i][k]);
        if (!alpha)
            continue;
        memcpy(word, w->s[i], wn);
        if (word[wn - 1] == 's' && word[wn - 2] != 's')
            word[wn - 1] = '\0';
        else if (word[wn - 1] != 's')
            memcpy(word + wn, "s", 2);
        else
            continue;
        size_t n = lm_lexicon_join_words(w, i, word, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}

/* Substituent prefixes of a compound's name, which IUPAC writes in
 * alphabetical order (lm_lexicon_find_substituents_sorted). */
static const char *const substituents[] = {
    "acetyl", "amino", "benzyl", "bromo", "butyl", "carboxy", "chloro", "cyano", "ethoxy",
    "ethyl", "fluoro", "formyl", "hydroxy", "iodo", "methoxy", "methyl", "nitro", "nitroso",
    "oxo", "phenyl", "propyl", NULL};

/* The substituent of the list that w begins with (the longest), its
 * length; 0 if none. */
static size_t substituent_at(const char *w, size_t n)
{
    size_t best = 0;
    for (size_t k = 0; substituents[k]; k++) {
        size_t l = strlen(substituents[k]);
        if (l <= n && l > best && strncasecmp(w, substituents[k], l) == 0)
            best = l;
    }
    return best;
}

/* A compound named with its substituents out of alphabetical order,
 * "N-nitroso-N-methylurea" (MeSH: N-methyl-N-nitrosourea): a name of the
 * form locant-substituent-...-locant-substituent+parent, locants of one
 * to three bytes, rewritten with the (locant, substituent) pairs sorted by
 * substituent. */
long lm_lexicon_find_substituents_sorted(const lm_lexicon *lex, lm_ent_type type,
                                         const char *ns, const char *text, size_t len)
{
    struct {
        const char *loc, *sub;
        size_t ln, sn;
    } part[6], t;
    size_t np = 0, i = 0;
    const char *parent = NULL;
    size_t parent_n = 0;
    while (i < len) {
        const char *h = memchr(text + i, '-', len - i);
        if (!h || (size_t)(h - text) - i > 3 || (size_t)(h - text) - i == 0 || np == 6)
            return -1;
        part[np].loc = text + i;
        part[np].ln = (size_t)(h - text) - i;
        i = (size_t)(h - text) + 1;
        const char *e = memchr(text + i, '-', len - i);
        size_t wn = e ? (size_t)(e - text) - i : len - i;
        size_t sl = substituent_at(text + i, wn);
        if (!sl)
            return -1;
        part[np].sub = text + i;
        part[np].sn = e ? wn : sl;
        np++;
        if (!e) {
            parent = text + i + sl;
            parent_n = wn - sl;
            break;
        }
        i += wn + 1;
    }
    if (np < 2 || parent_n < 3)
        return -1;
    int moved = 0;
    for (size_t a = 1; a < np; a++)
        for (size_t b = a; b > 0; b--) {
            size_t m = part[b - 1].sn < part[b].sn ? part[b - 1].sn : part[b].sn;
            int c = strncasecmp(part[b - 1].sub, part[b].sub, m);
            if (c < 0 || (c == 0 && part[b - 1].sn <= part[b].sn))
                break;
            t = part[b - 1];
            part[b - 1] = part[b];
            part[b] = t;
            moved = 1;
        }
    if (!moved)
        return -1;
    char buf[LM_LEXICON_KEY_MAX];
    size_t o = 0;
    for (size_t k = 0; k < np; k++) {
        if (o + part[k].ln + part[k].sn + 3 > sizeof buf)
            return -1;
        memcpy(buf + o, part[k].loc, part[k].ln);
        o += part[k].ln;
        buf[o++] = '-';
        memcpy(buf + o, part[k].sub, part[k].sn);
        o += part[k].sn;
        if (k + 1 < np)
            buf[o++] = '-';
    }
    if (o + parent_n + 1 > sizeof buf)
        return -1;
    memcpy(buf + o, parent, parent_n);
    o += parent_n;
    return find_text(lex, type, ns, buf, o);
}

/* A chemical named by what it does, "oral contraception" (MeSH: oral
 * contraceptives), "sedation": the last word's "-ion" read as "-ives",
 * then "-ive". */
long lm_lexicon_find_agent_noun(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                const mwords *w)
{
    size_t last = w->count - 1, wn = w->n[last];
    char word[LM_LEXICON_KEY_MAX], buf[LM_LEXICON_KEY_MAX];
    if (wn < 6 || wn + 2 >= sizeof word || strncasecmp(w->s[last] + wn - 3, "ion", 3) != 0)
        return -1;
    static const char *const endings[] = {"ives", "ive"};
    for (size_t k = 0; k < 2; k++) {
        snprintf(word, sizeof word, "%.*s%s", (int)(wn - 3), w->s[last], endings[k]);
        size_t n = lm_lexicon_join_words(w, last, word, buf, sizeof buf);
        long ki = n ? find_text(lex, type, ns, buf, n) : -1;
        if (ki >= 0)
            return ki;
    }
    return -1;
}
