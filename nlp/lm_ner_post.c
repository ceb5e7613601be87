/*
 * Document-level post-processing of Chemical and Disease mentions.
 *
 * The second-stage taggers see the document only through features and the
 * CRF decodes one sentence at a time, so an abstract can still come out
 * with a string tagged in one sentence and not in the next, or with an
 * abbreviation left untagged after its long form was tagged.  BC5CDR
 * annotates every occurrence of a chemical or disease name in an abstract
 * alike and gives an abbreviation the type of its long form, so once the
 * taggers are done, for each of the two types:
 *   1. an abbreviation whose long form is exactly a mention becomes one too,
 *      at its definition and at every later use;
 *   2. an abbreviation tagged although nothing in its long form is loses
 *      that mention ("contrast media (CM)", "hormone therapy (HT)");
 *   3. every other whole-token occurrence of a mention's words (compared
 *      lower-case) becomes a mention.
 * Before these steps, single mentions are repaired where the CRF's
 * one-token view is weakest (each step was kept because it raised BC5CDR
 * dev F1 without lowering NCBI-disease or BioRED Gene, docs/nlp.md):
 *   - a Disease mention that a longer Gene mention begins with is dropped:
 *     "tumour necrosis" of "tumour necrosis factor inhibitors", "breast
 *     cancer" of "breast cancer 1" name a gene, not the disease;
 *   - a Chemical mention naming an enzyme ("-ase") or a macromolecule
 *     ("mRNA", "receptors", "hormone") is dropped: BC5CDR annotates none
 *     as a chemical, and its abbreviation then goes by step 2
 *     ("N-acetyl-beta-D-glucosaminidase (NAG)", "parathyroid hormone
 *     (PTH)");
 *   - a drug development code ("KF17837", "A-86929", "CB 3717",
 *     "Ro15-1788", "SR 48,968") becomes a Chemical mention: every match
 *     in BC5CDR train text (59) is one;
 *   - a salt name after a Chemical mention joins it ("bupropion HCl");
 *   - a mention closing a bracket it never opens, or opening one it never
 *     closes, takes in the bracket touching it ("(2R,4R)-4-...");
 *   - a Chemical mention filling a bracket that touches a word takes the
 *     word in ("poly(ADP-ribose)");
 *   - an untagged bracketed word after a Chemical mention is its
 *     abbreviation, found or not by the letter-matching finder
 *     ("ammonium acetate (NH4Ac)");
 *   - a Disease mention inside a longer MeSH disease name (C, C23, F03)
 *     grows to it, taking in the mentions inside ("migraine with aura",
 *     "malignant hyperthermia"); the model's gazetteer holds the names;
 *   - a Disease mention right after an untagged MeSH anatomy name takes it
 *     in ("coronary artery spasm", "sphincter of Oddi spasm");
 *   - a Disease mention after "ADJ and" / "ADJ or" takes the coordinated
 *     adjectives in ("acute and chronic pain", "glomerular and tubular
 *     injury"), as BC5CDR and NCBI-disease annotate such mentions whole.
 * Added spans never overlap a mention of the same type.  On the BC5CDR dev
 * set the consistency steps are worth about half a point of F1 for each
 * type; BioRED genes lose from steps 2 and 3, so Gene mentions are left
 * alone.  Models carry NER_F_POST when they were trained (and evaluated)
 * with this pass.
 */
#include "../util/lm_sort.h"
#include "lm_lexicon.h"
#include "lm_ner_impl.h"

#include <stdlib.h>
#include <string.h>

/* Token index starting exactly at byte b, or SIZE_MAX. */
static size_t tok_starting(const lm_ner_scratch *s, uint32_t b)
{
    size_t t = ner_tok_at_or_after(s, b);
    return t < s->n && s->tok[t].start == b ? t : SIZE_MAX;
}

/* One past the token ending exactly at byte b, searching from token t0;
 * SIZE_MAX when no token ends there. */
static size_t tok_end_after(const lm_ner_scratch *s, size_t t0, uint32_t b)
{
    for (size_t t = t0; t < s->n && s->tok[t].start < b; t++)
        if (s->tok[t].end == b)
            return t + 1;
    return SIZE_MAX;
}

/* s->pend[t]: one past the last token of the mention starting at token t,
 * 0 when none starts there, s->pscore[t] its score; s->pcover[t]: token t
 * is inside a mention. */
static void mark(lm_ner_scratch *s, size_t t0, size_t t1, float score)
{
    s->pend[t0] = (uint32_t)t1;
    s->pscore[t0] = score;
    for (size_t t = t0; t < t1; t++)
        s->pcover[t] = 1;
}

/* Token range [*t0, *t1) of mention x; 0 when its ends are not token
 * boundaries. */
static int mention_tokens(const lm_ner_scratch *s, const lm_ner_mention *x, size_t *t0,
                          size_t *t1)
{
    *t0 = tok_starting(s, x->start);
    *t1 = *t0 == SIZE_MAX ? SIZE_MAX : tok_end_after(s, *t0, x->end);
    return *t1 != SIZE_MAX;
}

/* Marks the mentions of the types in the bit set types (1u << type). */
static void coverage(lm_ner_scratch *s, const lm_ner_mentions *out, unsigned types)
{
    memset(s->pcover, 0, s->n);
    memset(s->pend, 0, s->n * sizeof *s->pend);
    for (size_t i = 0; i < out->n; i++) {
        const lm_ner_mention *x = &out->v[i];
        size_t t0, t1;
        if ((types & (1u << x->type)) && mention_tokens(s, x, &t0, &t1))
            mark(s, t0, t1, x->score);
    }
}

/* Removes the mentions marked LM_ENT_NONE. */
static void compact(lm_ner_mentions *out)
{
    size_t w = 0;
    for (size_t i = 0; i < out->n; i++)
        if (out->v[i].type != LM_ENT_NONE)
            out->v[w++] = out->v[i];
    out->n = w;
}

static int is_free(const lm_ner_scratch *s, size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++)
        if (s->pcover[t])
            return 0;
    return 1;
}

/* Appends a mention of tokens [t0, t1) and marks it.  A mention added by
 * the consistency steps carries the score of the one it was copied from. */
static lm_status add(lm_ner_scratch *s, lm_ner_mentions *out, size_t t0, size_t t1,
                     lm_ent_type type, float score, lm_error *err)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 32;
        lm_ner_mention *v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        out->v = v;
        out->cap = cap;
    }
    lm_ner_mention *x = &out->v[out->n++];
    x->start = s->tok[t0].start;
    x->end = s->tok[t1 - 1].end;
    x->type = type;
    x->score = score;
    mark(s, t0, t1, score);
    return LM_OK;
}

/* ---- repairs of single mentions ---- */

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Index of the sentence holding token t. */
static size_t sent_of(const lm_ner_scratch *s, size_t t)
{
    size_t lo = 0, hi = s->n_sents;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s->sent[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Whether token t is the word w (lower-case ASCII), in any case. */
static int tok_is(const lm_ner_scratch *s, size_t t, const char *w)
{
    size_t n = strlen(w);
    if (s->tok[t].end - s->tok[t].start != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s->text[s->tok[t].start + i];
        if ((c >= 'A' && c <= 'Z' ? (char)(c + 32) : c) != w[i])
            return 0;
    }
    return 1;
}

/* Lexicon bits of the gazetteer entry made of tokens [a, b), 0 if none. */
static uint64_t gaz_entry(const lm_ner_model *m, const lm_ner_scratch *s, size_t a, size_t b)
{
    uint64_t h = NER_SEED_GAZ;
    for (size_t j = a; j < b; j++)
        h = ner_mix(h, s->tok[j].hlw);
    const uint64_t *v = ner_map_get(&m->gaz, ner_key(h));
    return v ? *v & ~(uint64_t)NER_GAZ_PREFIX : 0;
}

/* Bits of the model's gazetteers named in names (NULL-terminated); 0 for
 * a model without them. */
static uint32_t lex_bits(const lm_ner_model *m, const char *const *names)
{
    uint32_t b = 0;
    for (int l = 0; l < m->n_lex; l++)
        for (size_t k = 0; names[k]; k++)
            if (strcmp(m->lex_name[l], names[k]) == 0)
                b |= 1u << l;
    return m->gaz.n ? b : 0;
}

/* Whether mention i may take bytes [b0, b1): every other mention there,
 * except those of the types in the bit set ignore, is of its type and
 * inside. */
static int may_grow(const lm_ner_mentions *out, size_t i, uint32_t b0, uint32_t b1,
                    unsigned ignore)
{
    for (size_t k = 0; k < out->n; k++) {
        const lm_ner_mention *y = &out->v[k];
        if (k == i || y->type == LM_ENT_NONE || (ignore & (1u << y->type)) || y->end <= b0
            || y->start >= b1)
            continue;
        if (y->type != out->v[i].type || y->start < b0 || y->end > b1)
            return 0;
    }
    return 1;
}

/* Gives mention i bytes [b0, b1) (may_grow said yes): the mentions inside
 * are marked LM_ENT_NONE, their best score kept. */
static void grow(lm_ner_mentions *out, size_t i, uint32_t b0, uint32_t b1)
{
    lm_ner_mention *x = &out->v[i];
    for (size_t k = 0; k < out->n; k++) {
        lm_ner_mention *y = &out->v[k];
        if (k == i || y->type != x->type || y->start < b0 || y->end > b1)
            continue;
        if (y->score > x->score)
            x->score = y->score;
        y->type = LM_ENT_NONE;
    }
    x->start = b0;
    x->end = b1;
}

/* Whether the mention's last word names an enzyme: letters ending in "ase"
 * or "ases" ("glucosaminidase", "ATPases"), not "base". */
static int names_enzyme(const char *text, const lm_ner_mention *x)
{
    uint32_t b = x->end;
    while (b > x->start && is_letter(text[b - 1]))
        b--;
    const char *w = text + b;
    size_t n = x->end - b;
    if (n && w[n - 1] == 's')
        n--;
    return n >= 5 && memcmp(w + n - 3, "ase", 3) == 0 && memcmp(w + n - 4, "base", 4) != 0;
}

/* Whether the mention's last word names a macromolecule rather than a
 * chemical ("c-fos mRNA", "anti-insulin antibodies", "dopamine
 * receptors"): none of BC5CDR train's 5,203 Chemical mentions ends in one
 * of these words. */
static int names_macromolecule(const char *text, const lm_ner_mention *x)
{
    static const char *const heads[] = {"mrna", "dna", "rna", "cdna", "antibody",
                                        "antibodies", "protein", "proteins", "receptor",
                                        "receptors", "factor", "factors", "hormone", "hormones"};
    uint32_t b = x->end;
    while (b > x->start && (is_letter(text[b - 1]) || is_digit(text[b - 1])))
        b--;
    size_t n = x->end - b;
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
        size_t h = strlen(heads[k]), j = 0;
        while (j < n && j < h && (text[b + j] | 0x20) == heads[k][j])
            j++;
        if (j == n && n == h)
            return 1;
    }
    return 0;
}

static void drop_enzymes(lm_ner_scratch *s, lm_ner_mentions *out)
{
    for (size_t i = 0; i < out->n; i++)
        if (out->v[i].type == LM_ENT_CHEMICAL && (names_enzyme(s->text, &out->v[i])
                                                  || names_macromolecule(s->text, &out->v[i])))
            out->v[i].type = LM_ENT_NONE;
    compact(out);
}

/* Length of the digits of a development code at byte i, 0 if none: min_d
 * to max_d digits or, when sep is set, 2-3 digits, a comma or a space and
 * 3 more, as codes' numbers are also written with a thousands separator
 * ("SR 48,968", "GYKI-41 099", "L-365,260"). */
static size_t code_digits(const char *t, size_t len, size_t i, size_t min_d, size_t max_d,
                          int sep)
{
    size_t d = i;
    while (i < len && is_digit(t[i]))
        i++;
    size_t n = i - d;
    if (sep && n >= 2 && n <= 3 && i + 3 < len && (t[i] == ',' || t[i] == ' ')
        && is_digit(t[i + 1]) && is_digit(t[i + 2]) && is_digit(t[i + 3])
        && !(i + 4 < len && is_digit(t[i + 4])))
        return n + 4;
    return n >= min_d && n <= max_d ? n : 0;
}

/* Length of the drug development code at byte b (a token start), 0 if
 * none, standing alone: 2-5 capitals and 4-6 digits ("KF17837"), 1-5
 * capitals, a hyphen and 4-6 digits ("A-86929"), 2-5 capitals, a space and
 * 4-5 digits ("CB 3717"; not the 6-digit "MIM 208900"), or a capital and
 * one to four lower-case letters, 1-3 digits, a hyphen and 4-5 digits
 * ("Ro15-1788", "Ro 40-5967"; not a gene's promoter variant "FOXP3-3279"
 * or a residue range "AVAQ 594-597"). */
static size_t code_len(const char *t, size_t len, size_t b)
{
    if (b > 0 && (is_letter(t[b - 1]) || is_digit(t[b - 1]) || t[b - 1] == '-'))
        return 0;
    size_t i = b;
    while (i < len && i - b < 6 && is_letter(t[i]))
        i++;
    size_t letters = i - b, n = 0;
    int caps = 1, lower = letters >= 2;
    for (size_t k = b; k < i; k++) {
        caps &= t[k] >= 'A' && t[k] <= 'Z';
        lower &= k == b || (t[k] >= 'a' && t[k] <= 'z');
    }
    if (letters < 1 || letters > 5 || t[b] < 'A' || t[b] > 'Z')
        return 0;
    size_t ro = i + (i < len && t[i] == ' ');
    size_t g1 = code_digits(t, len, ro, 1, 3, 0);
    if (lower && g1 && ro + g1 < len && t[ro + g1] == '-') {
        i = ro + g1 + 1;
        n = code_digits(t, len, i, 4, 5, 0);
    } else if (!caps) {
        return 0;
    } else if (i < len && t[i] == '-') {
        n = code_digits(t, len, ++i, 4, 6, 1);
    } else if (letters < 2) {
        return 0;
    } else if (i < len && t[i] == ' ') {
        n = code_digits(t, len, ++i, 4, 5, 1);
    } else {
        n = code_digits(t, len, i, 4, 6, 0);
    }
    i += n;
    if (!n || (i < len && (is_letter(t[i]) || is_digit(t[i]) || t[i] == '-')))
        return 0;
    return i - b;
}

/* Score of a development-code mention: every match in BC5CDR train text
 * (59, 2 of them "Ro 40-5967") is a Chemical mention, and the separator
 * forms' 2 matches in BioRED train ("L-365,260") are. */
#define NER_CODE_SCORE 0.95f

static lm_status codes(lm_ner_scratch *s, lm_ner_mentions *out, lm_error *err)
{
    coverage(s, out, 1u << LM_ENT_CHEMICAL | 1u << LM_ENT_DISEASE);
    for (size_t t = 0; t < s->n; t++) {
        size_t n = code_len(s->text, s->text_len, s->tok[t].start);
        size_t e = n ? tok_end_after(s, t, s->tok[t].start + (uint32_t)n) : SIZE_MAX;
        if (e == SIZE_MAX || !is_free(s, t, e))
            continue;
        lm_status st = add(s, out, t, e, LM_ENT_CHEMICAL, NER_CODE_SCORE, err);
        if (st != LM_OK)
            return st;
        t = e - 1;
    }
    return LM_OK;
}

/* A Chemical mention followed by the name of a salt it is sold as
 * ("bupropion HCl", "fluphenazine enanthate") takes it in: in BC5CDR
 * train 20 mentions end with one of these words, 3 stop before one.
 * "sulfate", "acetate", "chloride" and the metals are left out, as often
 * outside a mention as inside.  The list is the lexicon's
 * (lm_lexicon_is_salt_word), which drops these words again to find the
 * drug's concept. */
static void salt_forms(lm_ner_scratch *s, lm_ner_mentions *out)
{
    coverage(s, out, ~0u);
    for (size_t i = 0; i < out->n; i++) {
        lm_ner_mention *x = &out->v[i];
        size_t t0, t1;
        if (x->type != LM_ENT_CHEMICAL || !mention_tokens(s, x, &t0, &t1) || t1 >= s->n
            || s->pcover[t1] || (s->tok[t1].flags & NER_TF_SENT))
            continue;
        if (lm_lexicon_is_salt_word(s->text + s->tok[t1].start,
                                    s->tok[t1].end - s->tok[t1].start)) {
            mark(s, t0, t1 + 1, x->score);
            x->end = s->tok[t1].end;
        }
    }
}

/* An untagged word of 2-10 characters with a capital letter, in brackets
 * after a space after a Chemical mention, is its abbreviation even where
 * the abbreviation finder, matching letters, sees none ("ammonium acetate
 * (NH4Ac)"): in BC5CDR train 149 of the 158 such words after a Chemical
 * mention are Chemical mentions (the word's test, lm_abbrev_bracketed_word,
 * is shared with the gold-span path).  Step 3 then tags its other uses, and the
 * pair joins out->abbrevs, so normalisation gives the short form the
 * chemical's concept.  A
 * sequence variant ("Trp (R1306W)") is none, and one letter is too
 * little ("doxorubicin (A)" of a regimen, and step 3 would copy it to
 * every "a"). */
static lm_status bracketed_short_forms(lm_ner_scratch *s, lm_ner_mentions *out, lm_error *err)
{
    coverage(s, out, ~0u);
    size_t n = out->n;
    for (size_t i = 0; i < n; i++) {
        const lm_ner_mention *x = &out->v[i];
        size_t t0, t1;
        if (x->type != LM_ENT_CHEMICAL || !mention_tokens(s, x, &t0, &t1) || t1 + 2 >= s->n
            || !tok_is(s, t1, "(") || !(s->tok[t1].flags & NER_TF_SPB)
            || !tok_is(s, t1 + 2, ")") || s->pcover[t1 + 1])
            continue;
        const ner_tok *w = &s->tok[t1 + 1];
        if (!lm_abbrev_bracketed_word(s->text + w->start, w->end - w->start)
            || sent_of(s, t1 + 2) != sent_of(s, t0))
            continue;
        /* x may move when add grows out */
        uint32_t l0 = x->start, l1 = x->end;
        lm_status st = add(s, out, t1 + 1, t1 + 2, LM_ENT_CHEMICAL, x->score, err);
        if (st == LM_OK)
            st = lm_abbrev_add(&out->abbrevs, w->start, w->end, l0, l1, err);
        if (st != LM_OK)
            return st;
    }
    return LM_OK;
}

/* Bracket depth change over bytes [b0, b1): opened minus closed. */
static int bracket_balance(const char *t, uint32_t b0, uint32_t b1)
{
    int d = 0;
    for (uint32_t i = b0; i < b1; i++)
        d += (t[i] == '(' || t[i] == '[') - (t[i] == ')' || t[i] == ']');
    return d;
}

/* A mention closing a bracket it never opens takes in the tokens touching
 * its start up to the opening one (at most four); one opening a bracket
 * it never closes, those touching its end up to the closing one. */
static void brackets(lm_ner_scratch *s, lm_ner_mentions *out, lm_ent_type type)
{
    for (size_t i = 0; i < out->n; i++) {
        const lm_ner_mention *x = &out->v[i];
        size_t t0, t1;
        int d = x->type == type ? bracket_balance(s->text, x->start, x->end) : 0;
        if (d == 0 || !mention_tokens(s, x, &t0, &t1))
            continue;
        size_t a = t0, e = t1;
        if (d < 0)
            while (a > 0 && t0 - a < 4 && !(s->tok[a].flags & NER_TF_SPB)
                   && bracket_balance(s->text, s->tok[a].start, x->end) != 0)
                a--;
        else
            while (e < s->n && e - t1 < 4 && !(s->tok[e].flags & NER_TF_SPB)
                   && bracket_balance(s->text, x->start, s->tok[e - 1].end) != 0)
                e++;
        uint32_t b0 = s->tok[a].start, b1 = s->tok[e - 1].end;
        if ((a != t0 || e != t1) && bracket_balance(s->text, b0, b1) == 0
            && may_grow(out, i, b0, b1, 0))
            grow(out, i, b0, b1);
    }
    compact(out);
}

/* A mention inside a longer gazetteer name of the classes lex, within its
 * sentence and adding no comma (MeSH's inverted "cardiomyopathy,
 * congestive" is no name in a text), grows to the longest such name. */
static void dictionary_bounds(const lm_ner_model *m, lm_ner_scratch *s, lm_ner_mentions *out,
                              lm_ent_type type, uint32_t lex)
{
    for (size_t i = 0; i < out->n && lex; i++) {
        const lm_ner_mention *x = &out->v[i];
        size_t t0, t1;
        if (x->type != type || !mention_tokens(s, x, &t0, &t1))
            continue;
        size_t si = sent_of(s, t0);
        size_t a = s->sent[si], b = s->sent[si + 1];
        size_t bi = t0, be = t1;
        size_t lo = t1 > a + NER_GAZ_MAXLEN ? t1 - NER_GAZ_MAXLEN : a;
        for (size_t st = lo; st <= t0; st++) {
            if (s->tok[st].flags & NER_TF_PUNCT)
                continue;               /* entries never start at punctuation */
            uint64_t h = NER_SEED_GAZ;
            for (size_t j = st; j < b && j < st + NER_GAZ_MAXLEN; j++) {
                if ((j < t0 || j >= t1) && tok_is(s, j, ","))
                    break;
                h = ner_mix(h, s->tok[j].hlw);
                const uint64_t *v = ner_map_get(&m->gaz, ner_key(h));
                if (!v)
                    break;
                if (j + 1 >= t1 && (*v & lex) && j + 1 - st > be - bi) {
                    bi = st;
                    be = j + 1;
                }
                if (!(*v & NER_GAZ_PREFIX))
                    break;
            }
        }
        uint32_t b0 = s->tok[bi].start, b1 = s->tok[be - 1].end;
        if ((bi != t0 || be != t1) && may_grow(out, i, b0, b1, 0))
            grow(out, i, b0, b1);
    }
    compact(out);
}

/* A mention right after an untagged gazetteer name of the classes lex (the
 * longest one ending there, within the sentence) takes it in. */
static void dictionary_modifier(const lm_ner_model *m, lm_ner_scratch *s, lm_ner_mentions *out,
                                lm_ent_type type, uint32_t lex)
{
    coverage(s, out, ~0u);
    for (size_t i = 0; i < out->n && lex; i++) {
        lm_ner_mention *x = &out->v[i];
        size_t t0, t1;
        if (x->type != type || !mention_tokens(s, x, &t0, &t1))
            continue;
        size_t a = s->sent[sent_of(s, t0)];
        size_t st = t0 > a + NER_GAZ_MAXLEN ? t0 - NER_GAZ_MAXLEN : a;
        while (st < t0 && ((s->tok[st].flags & NER_TF_PUNCT) || !is_free(s, st, t0)
                           || !(gaz_entry(m, s, st, t0) & lex)))
            st++;
        if (st < t0) {
            mark(s, st, t1, x->score);
            x->start = s->tok[st].start;
        }
    }
}

/* Whether token t is an untagged word of letters with an adjective's
 * ending ("acute", "renal", "optic"). */
static int free_adjective(const lm_ner_scratch *s, size_t t)
{
    static const char *const endings[] = {"al", "ic", "ar", "an", "ous", "ive",
                                          "ary", "oid", "ute", "ile", "ory"};
    const char *w = s->text + s->tok[t].start;
    size_t n = s->tok[t].end - s->tok[t].start;
    if (n < 4 || s->pcover[t] || !is_letter(w[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (w[i] < 'a' || w[i] > 'z')
            return 0;
    for (size_t k = 0; k < sizeof endings / sizeof endings[0]; k++) {
        size_t e = strlen(endings[k]);
        if (n > e && memcmp(w + n - e, endings[k], e) == 0)
            return 1;
    }
    return 0;
}

/* A mention of two or more words after "ADJ and" or "ADJ or", and the
 * adjectives listed before those with commas, takes them in ("acute and
 * chronic pain", "haematological, renal and hepatic toxicity"). */
static void coordinated(lm_ner_scratch *s, lm_ner_mentions *out, lm_ent_type type)
{
    coverage(s, out, ~0u);
    for (size_t i = 0; i < out->n; i++) {
        lm_ner_mention *x = &out->v[i];
        size_t t0, t1;
        if (x->type != type || !mention_tokens(s, x, &t0, &t1) || t1 - t0 < 2)
            continue;
        size_t a0 = s->sent[sent_of(s, t0)];
        if (t0 < a0 + 2 || !(tok_is(s, t0 - 1, "and") || tok_is(s, t0 - 1, "or"))
            || !free_adjective(s, t0 - 2))
            continue;
        size_t a = t0 - 2;
        while (a >= a0 + 2 && tok_is(s, a - 1, ",") && free_adjective(s, a - 2))
            a -= 2;
        mark(s, a, t1, x->score);
        x->start = s->tok[a].start;
    }
}

/* A Chemical mention filling a bracket that touches a word before it and
 * nothing after it is that word's argument: the mention takes the word
 * and the brackets in ("poly(ADP-ribose)"; BC5CDR train annotates 11
 * such names whole, 2 by the inside alone), even across a Gene mention
 * ("poly(ADP-ribose) polymerase" names an enzyme and holds a chemical). */
static void bracket_arguments(lm_ner_scratch *s, lm_ner_mentions *out)
{
    for (size_t i = 0; i < out->n; i++) {
        const lm_ner_mention *x = &out->v[i];
        size_t t0, t1;
        if (x->type != LM_ENT_CHEMICAL || !mention_tokens(s, x, &t0, &t1) || t0 < 2
            || t1 >= s->n || !tok_is(s, t0 - 1, "(") || !tok_is(s, t1, ")")
            || (s->tok[t0 - 1].flags & NER_TF_SPB) || (s->tok[t0].flags & NER_TF_SPB)
            || (s->tok[t1].flags & NER_TF_SPB) || !is_letter(s->text[s->tok[t0 - 2].start])
            || (t1 + 1 < s->n && !(s->tok[t1 + 1].flags & NER_TF_SPB)
                && !(s->tok[t1 + 1].flags & NER_TF_PUNCT)))
            continue;
        uint32_t b0 = s->tok[t0 - 2].start, b1 = s->tok[t1].end;
        if (may_grow(out, i, b0, b1, 1u << LM_ENT_GENE))
            grow(out, i, b0, b1);
    }
    compact(out);
}

/* Steps 1 and 2: abbreviations (s->abbr, found by ner_doc_prepare). */
static lm_status abbreviations(lm_ner_scratch *s, lm_ner_mentions *out, lm_ent_type type,
                               lm_error *err)
{
    int dropped = 0;
    for (size_t ai = 0; ai < s->n_abbr; ai++) {
        const ner_abbr *x = &s->abbr[ai];
        const ner_abbr *def = x->l0 == x->l1 ? &s->abbr[x->l0] : x;
        if (def->l1 <= def->l0)
            continue;
        if (s->pend[def->l0] == def->l1) {
            if (is_free(s, x->s0, x->s1)) {
                lm_status st = add(s, out, x->s0, x->s1, type, s->pscore[def->l0], err);
                if (st != LM_OK)
                    return st;
            }
        } else if (is_free(s, def->l0, def->l1)) {
            /* Every mention with the short form's words goes, not only
             * those the abbreviation finder located (a use before the
             * definition would otherwise survive, and step 3 would copy
             * it back everywhere). */
            uint64_t hs = 0;
            for (size_t j = x->s0; j < x->s1; j++)
                hs = ner_mix(hs, s->tok[j].hlw);
            for (size_t t = 0; t < s->n; t++) {
                size_t e = s->pend[t];
                if (e != t + (x->s1 - x->s0))
                    continue;
                uint64_t h = 0;
                for (size_t j = t; j < e; j++)
                    h = ner_mix(h, s->tok[j].hlw);
                if (h != hs)
                    continue;
                uint32_t b0 = s->tok[t].start, b1 = s->tok[e - 1].end;
                for (size_t i = 0; i < out->n; i++)
                    if (out->v[i].type == type && out->v[i].start == b0 &&
                        out->v[i].end == b1) {
                        out->v[i].type = LM_ENT_NONE;
                        dropped = 1;
                    }
            }
        }
    }
    if (dropped) {
        compact(out);
        coverage(s, out, 1u << type);
    }
    return LM_OK;
}

/* Step 3: other occurrences of the mentions' token sequences, found
 * leftmost-longest through a map of the sequences' hashes and their
 * prefixes (value bit 0: a proper prefix, bit 1: a whole mention, bits
 * 8-23: the best score of the mentions with these words, in 1/65535). */
static lm_status recurrences(lm_ner_scratch *s, lm_ner_mentions *out, lm_ent_type type,
                             lm_error *err)
{
    ner_map *mp = &s->docmap;
    if (mp->keys && mp->n) {
        memset(mp->keys, 0, (mp->mask + 1) * sizeof *mp->keys);
        mp->n = 0;
    }
    size_t maxlen = 0;
    for (size_t t = 0; t < s->n; t++) {
        size_t e = s->pend[t];
        if (!e || e - t > NER_GAZ_MAXLEN)
            continue;
        float sc = s->pscore[t] < 0 ? 0 : s->pscore[t] > 1 ? 1 : s->pscore[t];
        uint64_t q = (uint64_t)(sc * 65535.0f + 0.5f);
        uint64_t h = 0;
        for (size_t j = t; j < e; j++) {
            h = ner_mix(h, s->tok[j].hlw);
            uint64_t key = ner_key(h);
            const uint64_t *old = ner_map_get(mp, key);
            uint64_t bits = (old ? *old & 3 : 0) | (j + 1 < e ? 1 : 2);
            uint64_t best = old ? *old >> 8 : 0;
            if (j + 1 == e && q > best)
                best = q;
            if (ner_map_put(mp, key, bits | best << 8, 0) != LM_OK)
                return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        }
        if (e - t > maxlen)
            maxlen = e - t;
    }
    for (size_t si = 0; si < s->n_sents && mp->n; si++) {
        size_t a = s->sent[si], b = s->sent[si + 1];
        for (size_t i = a; i < b; i++) {
            if (s->pcover[i])
                continue;
            size_t e = 0;
            float sc = 0;
            uint64_t h = 0;
            for (size_t j = i; j < b && j < i + maxlen; j++) {
                h = ner_mix(h, s->tok[j].hlw);
                const uint64_t *v = ner_map_get(mp, ner_key(h));
                if (!v)
                    break;
                if (*v & 2) {
                    e = j + 1;
                    sc = (float)((*v >> 8) & 0xFFFF) / 65535.0f;
                }
                if (!(*v & 1))
                    break;
            }
            /* Matching whole tokens is matching whole words: the tokenizer
             * never leaves two word tokens side by side ("HSP70" and
             * "painful" are one token each). */
            if (!e || !is_free(s, i, e))
                continue;
            lm_status st = add(s, out, i, e, type, sc, err);
            if (st != LM_OK)
                return st;
            i = e - 1;
        }
    }
    return LM_OK;
}

lm_status ner_doc_post(const lm_ner_model *m, lm_ner_scratch *s, lm_ner_mentions *out,
                       lm_error *err)
{
    if (!(m->feat_flags & NER_F_POST) || !s->n)
        return LM_OK;
    if (s->n + 1 > s->pcover_cap) {
        size_t cap = 2 * (s->n + 1);
        uint8_t *c = realloc(s->pcover, cap);
        if (c)
            s->pcover = c;
        uint32_t *e = realloc(s->pend, cap * sizeof *e);
        if (e)
            s->pend = e;
        float *f = realloc(s->pscore, cap * sizeof *f);
        if (f)
            s->pscore = f;
        if (!c || !e || !f)
            return lm_error_set(err, LM_ERR_NOMEM, "ner: out of memory");
        s->pcover_cap = cap;
    }
    size_t w = 0;
    for (size_t i = 0; i < out->n; i++) {
        const lm_ner_mention *d = &out->v[i];
        int in_gene = 0;
        for (size_t j = 0; j < out->n && !in_gene && d->type == LM_ENT_DISEASE; j++)
            in_gene = out->v[j].type == LM_ENT_GENE && out->v[j].start == d->start &&
                      out->v[j].end > d->end;
        if (!in_gene)
            out->v[w++] = *d;
    }
    out->n = w;
    static const char *const disease_names[] = {"mesh-C", "mesh-C23", "mesh-F03", NULL};
    static const char *const anatomy_names[] = {"mesh-A", NULL};
    lm_status st = LM_OK;
    if (lm_ner_model_types(m) & (1u << LM_ENT_CHEMICAL)) {
        drop_enzymes(s, out);
        st = codes(s, out, err);
        salt_forms(s, out);
        brackets(s, out, LM_ENT_CHEMICAL);
        bracket_arguments(s, out);
        if (st == LM_OK)
            st = bracketed_short_forms(s, out, err);
    }
    if (lm_ner_model_types(m) & (1u << LM_ENT_DISEASE)) {
        brackets(s, out, LM_ENT_DISEASE);
        dictionary_bounds(m, s, out, LM_ENT_DISEASE, lex_bits(m, disease_names));
        dictionary_modifier(m, s, out, LM_ENT_DISEASE, lex_bits(m, anatomy_names));
        coordinated(s, out, LM_ENT_DISEASE);
    }
    static const lm_ent_type types[] = {LM_ENT_CHEMICAL, LM_ENT_DISEASE};
    for (size_t k = 0; k < sizeof types / sizeof types[0] && st == LM_OK; k++) {
        coverage(s, out, 1u << types[k]);
        st = abbreviations(s, out, types[k], err);
        if (st == LM_OK)
            st = recurrences(s, out, types[k], err);
    }
    if (st == LM_OK)
        lm_qsort(out->v, out->n, sizeof *out->v, ner_mention_cmp);
    return st;
}
