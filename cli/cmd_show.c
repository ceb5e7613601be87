/*
 * `litmine show PMID [--json] [--color WHEN] [--all-candidates]` — one
 * stored article as a reader wants it: the record, then the title and
 * abstract with every mention highlighted by type, the concepts they were
 * grounded to (id and lexicon name), and the chemical–disease pairs with
 * relation, score and evidence sentence.
 *
 * On a terminal the mentions are coloured (Chemical green, Disease red,
 * Gene blue); anywhere else — a pipe, a file, NO_COLOR set, TERM=dumb —
 * they are marked with plain brackets, [text|Type], so the output stays
 * readable and greppable.  --json prints the same as one object (schema in
 * docs/usage.md).  Loading is pipeline/lm_annotated's; this file prints.
 */
#include "../nlp/lm_lexicon.h"
#include "../pipeline/lm_annotated.h"
#include "../util/lm_json.h"
#include "../util/lm_utf8.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: litmine show [--json] [--color auto|always|never] [--all-candidates] PMID\n"
    "\n"
    "Prints a stored article: its record (journal, authors, MeSH, ...), the title\n"
    "and abstract with the mentions found in it highlighted by type, the concepts\n"
    "they name and the chemical-disease pairs with relation, score and evidence.\n"
    "\n"
    "  --json            the same as one JSON object (docs/usage.md gives its keys)\n"
    "  --color WHEN      colour mentions: auto (default: on a terminal unless NO_COLOR\n"
    "                    is set), always, never (plain [text|Type] brackets)\n"
    "  --all-candidates  also the pairs only seen co-occurring (relation cooccurs)\n";

static const char *type_color(int type)
{
    switch (type) {
    case LM_ENT_CHEMICAL: return "\033[1;32m";
    case LM_ENT_DISEASE: return "\033[1;31m";
    case LM_ENT_GENE: return "\033[1;34m";
    default: return "\033[1m";
    }
}

/* Prints text[from, to) (byte offsets) with the mentions that lie wholly
 * inside it marked; mentions are sorted by start and a mention starting
 * inside the previous one is not marked again. */
static void print_marked(const lm_doc *d, size_t from, size_t to, const size_t *mstart,
                         const size_t *mend, int color)
{
    size_t at = from, last_end = 0;
    for (size_t i = 0; i < d->n_mentions; i++) {
        if (mstart[i] < from || mend[i] > to || mstart[i] < at || mstart[i] < last_end)
            continue;
        fwrite(d->text + at, 1, mstart[i] - at, stdout);
        const char *type = lm_ent_type_name(d->mentions[i].type);
        if (color)
            printf("%s%.*s\033[0m", type_color(d->mentions[i].type), (int)(mend[i] - mstart[i]),
                   d->text + mstart[i]);
        else
            printf("[%.*s|%s]", (int)(mend[i] - mstart[i]), d->text + mstart[i], type);
        at = last_end = mend[i];
    }
    fwrite(d->text + at, 1, to - at, stdout);
    putchar('\n');
}

/* Authors as "Last FM" in lines of about 90 columns, each with the
 * numbers of its affiliations when there is more than one, which NLM
 * repeats per author and are printed once below. */
static void print_authors(const lm_article *a)
{
    const char **affs = NULL;
    size_t n_affs = 0;
    for (size_t i = 0; i < a->n_authors; i++)
        for (size_t k = 0; k < a->authors[i].n_affiliations; k++) {
            const char *aff = a->authors[i].affiliations[k];
            size_t j = 0;
            while (j < n_affs && strcmp(affs[j], aff) != 0)
                j++;
            if (j == n_affs) {
                const char **grown = realloc(affs, (n_affs + 1) * sizeof *affs);
                if (!grown)
                    continue;
                affs = grown;
                affs[n_affs++] = aff;
            }
        }
    int col = 0;
    for (size_t i = 0; i < a->n_authors; i++) {
        const lm_author *au = &a->authors[i];
        char name[512];
        int n = au->collective ? snprintf(name, sizeof name, "%s", au->collective)
                               : snprintf(name, sizeof name, "%s%s%s",
                                          au->last_name ? au->last_name : "",
                                          au->initials ? " " : "", au->initials ? au->initials : "");
        for (size_t k = 0; n_affs > 1 && k < au->n_affiliations && n < (int)sizeof name - 16; k++) {
            size_t j = 0;
            while (j < n_affs && strcmp(affs[j], au->affiliations[k]) != 0)
                j++;
            n += snprintf(name + n, sizeof name - (size_t)n, "%s%zu", k ? "," : " [", j + 1);
            if (k + 1 == au->n_affiliations)
                n += snprintf(name + n, sizeof name - (size_t)n, "]");
        }
        if (au->orcid && n < (int)sizeof name - 40)
            snprintf(name + n, sizeof name - (size_t)n, " (ORCID %s)", au->orcid);
        if (i == 0)
            col = printf("Authors:    %s", name);
        else if (col + 2 + (int)strlen(name) > 90)
            col = printf(",\n            %s", name) - 2;
        else
            col += printf(", %s", name);
    }
    if (a->n_authors)
        putchar('\n');
    for (size_t j = 0; j < n_affs; j++)
        printf("%s%zu. %s\n", j ? "            " : "Affiliation ", j + 1, affs[j]);
    free(affs);
}

static void print_record(const lm_annotated *an)
{
    const lm_article *a = &an->article;
    printf("PMID:       %" PRId64 " (version %d)%s\n", a->pmid, a->version,
           a->is_book ? " [book]" : "");
    if (a->journal)
        printf("Journal:    %s\n", a->journal);
    if (a->year)
        printf("Year:       %d\n", a->year);
    if (a->doi)
        printf("DOI:        %s\n", a->doi);
    if (a->pmcid)
        printf("PMCID:      %s\n", a->pmcid);
    if (a->language)
        printf("Language:   %s\n", a->language);
    if (a->date_revised)
        printf("Revised:    %s\n", a->date_revised);
    print_authors(a);
    for (size_t i = 0; i < a->n_pubtypes; i++)
        printf("%s%s\n", i ? "            " : "Type:       ", a->pubtypes[i].name);
    for (size_t i = 0; i < a->n_mesh; i++) {
        printf("%s%s%s (%s)", i ? "            " : "MeSH:       ", a->mesh[i].major_topic ? "*" : "",
               a->mesh[i].name, a->mesh[i].ui ? a->mesh[i].ui : "-");
        for (size_t k = 0; k < a->mesh[i].n_qualifiers; k++)
            printf(" / %s%s", a->mesh[i].qualifiers[k].major_topic ? "*" : "",
                   a->mesh[i].qualifiers[k].name);
        putchar('\n');
    }
    for (size_t i = 0; i < a->n_chemicals; i++) {
        /* Registry number "0": NLM's way of saying there is none. */
        const char *rn = a->chemicals[i].registry_number;
        int has_rn = rn && strcmp(rn, "0") != 0;
        printf("%s%s (%s%s%s)\n", i ? "            " : "Chemicals:  ", a->chemicals[i].name,
               a->chemicals[i].ui ? a->chemicals[i].ui : "-", has_rn ? ", " : "", has_rn ? rn : "");
    }
    for (size_t i = 0; i < a->n_keywords; i++)
        printf("%s%s%s\n", i ? "            " : "Keywords:   ", a->keywords[i].major ? "*" : "",
               a->keywords[i].keyword);
    for (size_t i = 0; i < a->n_grants; i++) {
        const lm_grant *g = &a->grants[i];
        printf("%s%s%s%s%s%s%s\n", i ? "            " : "Grants:     ", g->grant_id ? g->grant_id : "-",
               g->agency ? " (" : "", g->agency ? g->agency : "", g->agency && g->country ? ", " : "",
               g->agency && g->country ? g->country : "", g->agency ? ")" : "");
    }
    /* Notices (errata, retractions, comments) matter to a reader; the
     * cited works are only counted. */
    size_t cited = 0, notices = 0;
    for (size_t i = 0; i < a->n_references; i++) {
        const lm_reference *r = &a->references[i];
        if (strcmp(r->kind, "Cites") == 0) {
            cited++;
            continue;
        }
        printf("%s%s: %s", notices++ ? "            " : "Notices:    ", r->kind,
               r->citation ? r->citation : "-");
        if (r->pmid > 0)
            printf(" (PMID %" PRId64 ")", r->pmid);
        putchar('\n');
    }
    if (cited)
        printf("References: %zu cited works (show --json lists them)\n", cited);
    printf("Source:     %s, ingested %s\n", an->source ? an->source : "-",
           an->ingested_at ? an->ingested_at : "-");
}

static void print_text(const lm_annotated *an, const lm_lexicon *names, int color)
{
    const lm_doc *d = &an->doc;
    print_record(an);
    size_t n = d->n_mentions ? d->n_mentions : 1;
    size_t *ms = calloc(n, sizeof *ms), *me = calloc(n, sizeof *me);
    if (!ms || !me) {
        free(ms);
        free(me);
        return;
    }
    for (size_t i = 0; i < d->n_mentions; i++) {
        ms[i] = lm_utf8_cp_to_byte(d->text, d->text_len, (size_t)d->mentions[i].start);
        me[i] = lm_utf8_cp_to_byte(d->text, d->text_len, (size_t)d->mentions[i].end);
    }
    size_t title_len = an->article.title ? strlen(an->article.title) : 0;
    putchar('\n');
    print_marked(d, 0, title_len, ms, me, color);
    putchar('\n');
    if (an->article.abstract && an->article.abstract[0])
        print_marked(d, title_len + 1, d->text_len, ms, me, color);
    else
        puts("(no abstract)");
    free(ms);
    free(me);

    /* Concepts in order of first mention, each once. */
    int header = 0;
    for (size_t i = 0; i < d->n_mentions; i++) {
        const lm_doc_mention *m = &d->mentions[i];
        if (!m->concept_id)
            continue;
        int seen = 0, count = 0;
        for (size_t k = 0; k < d->n_mentions; k++)
            if (d->mentions[k].concept_id && strcmp(d->mentions[k].concept_id, m->concept_id) == 0) {
                seen |= k < i;
                count++;
            }
        if (seen)
            continue;
        if (!header)
            printf("\nConcepts:\n");
        header = 1;
        printf("  %-9s %-18s %s (%d mention%s)\n", lm_ent_type_name(m->type), m->concept_id,
               lm_cli_concept_name(names, m->concept_id, m->text), count, count == 1 ? "" : "s");
    }
    if (d->n_pairs)
        printf("\nPairs:\n");
    for (size_t i = 0; i < d->n_pairs; i++) {
        const lm_doc_pair *p = &d->pairs[i];
        printf("  %s %s %s (%.2f)\n", lm_cli_concept_name(names, p->chem_id, p->chem_text),
               p->relation, lm_cli_concept_name(names, p->dis_id, p->dis_text), p->score);
        printf("    %s -> %s", p->chem_id, p->dis_id);
        if (p->evidence_start >= 0) {
            size_t b0 = lm_utf8_cp_to_byte(d->text, d->text_len, (size_t)p->evidence_start);
            size_t b1 = lm_utf8_cp_to_byte(d->text, d->text_len, (size_t)p->evidence_end);
            printf(": \"%.*s\"", (int)(b1 - b0), d->text + b0);
        }
        putchar('\n');
    }
}

int lm_cmd_show(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"json", no_argument, NULL, 'j'},
                                            {"color", required_argument, NULL, 'c'},
                                            {"colour", required_argument, NULL, 'c'},
                                            {"all-candidates", no_argument, NULL, 'A'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int json = 0, all = 0;
    const char *when = "auto";
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return LM_EXIT_OK;
        } else if (c == 'j') {
            json = 1;
        } else if (c == 'A') {
            all = 1;
        } else if (c == 'c' && (!strcmp(optarg, "auto") || !strcmp(optarg, "always") ||
                                !strcmp(optarg, "never"))) {
            when = optarg;
        } else {
            lm_cli_bad_option(cli, "show", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        lm_cli_error(cli, "show: expected exactly one PMID");
        fputs(usage, stderr);
        return LM_EXIT_USAGE;
    }
    char *end;
    errno = 0;
    long long pmid = strtoll(argv[optind], &end, 10);
    if (errno || *end || end == argv[optind] || pmid <= 0) {
        lm_cli_error(cli, "show: \"%s\" is not a PMID", argv[optind]);
        return LM_EXIT_USAGE;
    }
    const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
    int color = strcmp(when, "always") == 0 ||
                (strcmp(when, "auto") == 0 && isatty(STDOUT_FILENO) &&
                 !(no_color && no_color[0]) && !(term && strcmp(term, "dumb") == 0));
    lm_store *store;
    int open_rc = lm_cli_open_store(cli, 1, &store);
    if (open_rc != LM_EXIT_OK)
        return open_rc;
    lm_annotated an;
    lm_annotated_init(&an);
    lm_error err;
    lm_status st = lm_annotated_load(store, pmid, all, &an, &err);
    lm_lexicon *names = NULL;
    if (st == LM_OK && (an.doc.n_mentions || an.doc.n_pairs))
        names = lm_cli_load_names(cli);
    if (st == LM_OK && json) {
        lm_json_writer w;
        lm_json_writer_init(&w, stdout);
        lm_annotated_write_json(&w, &an, names ? lm_cli_concept_namer : NULL, names);
        putchar('\n');
    } else if (st == LM_OK) {
        print_text(&an, names, color);
    } else {
        lm_cli_error(cli, "%s", err.msg);
    }
    lm_annotated_free(&an);
    lm_lexicon_free(names);
    lm_store_close(store);
    return lm_cli_exit_for(st);
}
