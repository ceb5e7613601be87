/*
 * `litmine lexicon import|build|lookup|info` — manage the normalization
 * lexicon (nlp/lm_lexicon) stored at [models] dir/lexicon.bin.
 *
 * import adds dictionary files to the existing lexicon file (loaded,
 * extended, written back atomically; a corrupt file is reported and left
 * alone), build makes the default lexicon from ../shared/data (what
 * scripts/build-lexicon.sh runs for `make train`), lookup is a debugging
 * aid that shows every candidate for a name.
 */
#include "../nlp/lm_lexicon.h"
#include "../nlp/eval/lm_bioc.h"
#include "lm_cli.h"
#include "lm_commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: litmine lexicon import KIND FILE... [--lexicon PATH] [--tax N|all] [--designations]\n"
    "       litmine lexicon build [--data DIR] [--out PATH] [--with-dev] [--tax N|all]\n"
    "                             [--mesh FILE]...\n"
    "       litmine lexicon lookup [--lexicon PATH] [--type TYPE] [--namespace NS] TEXT...\n"
    "       litmine lexicon info [--lexicon PATH]\n"
    "\n"
    "The lexicon maps entity names to concept ids (MESH:, NCBIGene:, DRUGBANK:).\n"
    "Default file: [models] dir/lexicon.bin, else models/lexicon.bin.\n"
    "\n"
    "import KIND   add FILEs to the lexicon (created when absent).  KIND is\n"
    "              mesh (NLM desc20XX.xml / supp20XX.xml, .gz ok; import the\n"
    "              descriptors first), gene_info (NCBI, .gz ok; --tax selects the\n"
    "              taxon, default 9606, 'all' for every one; --designations adds\n"
    "              Other_designations), drugbank (open vocabulary CSV) or pubtator\n"
    "              (annotated corpus: each name keeps its most frequent id).\n"
    "              DrugBank drugs that are MeSH chemicals then merge into them.\n"
    "build         rebuild the default lexicon from DIR (default ../shared/data):\n"
    "              BC5CDR, NCBI-disease and BioRED training annotations, MeSH\n"
    "              (the newest desc20XX.xml[.gz] and supp20XX.xml[.gz] in\n"
    "              DIR/lexicons/mesh, or the --mesh FILEs), human gene_info and\n"
    "              DrugBank (BC5CDR's ids win disagreements; a DrugBank drug that is\n"
    "              a MeSH chemical becomes its cross-reference); --with-dev adds the\n"
    "              development sets (without it their documents are also left out\n"
    "              of the training sets that re-annotate them)\n"
    "lookup        print every candidate concept for each TEXT with its display\n"
    "              name and cross-references (--type Chemical, Disease or Gene\n"
    "              restricts the type, --namespace MESH: the ids)\n"
    "info          print the lexicon's size\n";

typedef struct lex_args {
    const char *lexicon, *data, *out, *type, *ns;
    const char *mesh[4];
    int n_mesh;
    long tax;
    int designations, with_dev;
} lex_args;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A usage error: msg, then the usage. */
static int usage_error(const lm_cli *cli, const char *msg)
{
    lm_cli_error(cli, "%s", msg);
    fputs(usage, stderr);
    return LM_EXIT_USAGE;
}

static int fail(const lm_cli *cli, lm_status st, const lm_error *err)
{
    lm_cli_error(cli, "%s", err->msg);
    return lm_cli_exit_for(st);
}

/* A new lexicon builder into *b; the exit status (a failure said). */
static int builder_init(const lm_cli *cli, lm_lexicon_builder **b)
{
    lm_error err;
    lm_status st = lm_lexicon_builder_init(b, &err);
    return st == LM_OK ? LM_EXIT_OK : fail(cli, st, &err);
}

/* The lexicon file: --lexicon, else the configured default. */
static int lexicon_path(const lm_cli *cli, const lex_args *a, lm_buf *out)
{
    lm_error err;
    lm_buf_reset(out);
    lm_status st = a->lexicon ? lm_buf_append_str(out, a->lexicon)
                              : lm_lexicon_default_path(cli->config, out, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "out of memory");
        return LM_EXIT_FAILURE;
    }
    return LM_EXIT_OK;
}

static void print_stats(const lm_cli *cli, const char *what, const char *path,
                        const lm_lexicon_import_stats *s, double secs)
{
    if (cli->quiet)
        return;
    char shown[1024];
    fprintf(stderr, "%s %s: %zu records, %zu names, %zu skipped (%.1f s)\n", what,
            lm_cli_printable(path, shown, sizeof shown), s->records, s->names, s->skipped, secs);
}

/* Merges DrugBank drugs into the MeSH chemicals they are, then builds and
 * writes the lexicon. */
static int finish_and_save(const lm_cli *cli, lm_lexicon_builder *b, const char *path)
{
    lm_error err;
    lm_lexicon *lex = NULL;
    size_t merged = 0;
    lm_status st = lm_lexicon_builder_merge_xrefs(b, LM_ENT_CHEMICAL, "DRUGBANK:", "MESH:",
                                                  &merged, &err);
    if (st == LM_OK && merged)
        lm_cli_info(cli, "%zu DrugBank drugs merged into MeSH chemicals", merged);
    if (st == LM_OK)
        st = lm_lexicon_builder_finish(b, &lex, &err);
    if (st == LM_OK)
        st = lm_lexicon_save(lex, path, &err);
    if (st != LM_OK) {
        lm_lexicon_free(lex);
        return fail(cli, st, &err);
    }
    lm_lexicon_info info;
    lm_lexicon_get_info(lex, &info);
    if (!cli->quiet) {
        struct stat s;
        long size = stat(path, &s) == 0 ? (long)s.st_size : -1;
        char shown[1024];
        fprintf(stderr, "%s: %zu names, %zu concepts, %zu entries, %.1f MB\n",
                lm_cli_printable(path, shown, sizeof shown), info.n_names, info.n_concepts,
                info.n_entries, (double)size / 1e6);
    }
    lm_lexicon_free(lex);
    return LM_EXIT_OK;
}

/* PMIDs left out of the corpora imported by build: the development sets'
 * documents, which BioRED's training set partly re-annotates. */
typedef struct pmid_set {
    char **v;
    size_t n, cap;
} pmid_set;

static void pmid_set_free(pmid_set *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static lm_status pmid_set_add_corpus(pmid_set *p, const char *path, lm_error *err)
{
    lm_pt_corpus c = {0};
    lm_status st = lm_corpus_load(path, &c, err);
    for (size_t d = 0; st == LM_OK && d < c.n_docs; d++) {
        if (!c.docs[d].pmid)
            continue;
        if (p->n == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 1024;
            char **v = realloc(p->v, cap * sizeof *v);
            if (!v) {
                st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
                break;
            }
            p->v = v;
            p->cap = cap;
        }
        p->v[p->n] = strdup(c.docs[d].pmid);
        if (!p->v[p->n])
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
        else
            p->n++;
    }
    lm_pt_corpus_free(&c);
    if (st == LM_OK && p->n > 1)
        qsort(p->v, p->n, sizeof *p->v, cmp_str);
    return st;
}

static int pmid_set_has(const pmid_set *p, const char *pmid)
{
    return pmid && p->n && bsearch(&pmid, p->v, p->n, sizeof *p->v, cmp_str) != NULL;
}

/* Imports an annotated corpus without the documents in skip. */
static lm_status import_corpus_file(lm_lexicon_builder *b, const char *file, unsigned weight,
                                    const pmid_set *skip, lm_lexicon_import_stats *s,
                                    lm_error *err)
{
    lm_pt_corpus c = {0};
    lm_status st = lm_corpus_load(file, &c, err);
    if (st != LM_OK)
        return st;
    lm_pt_corpus kept = {calloc(c.n_docs ? c.n_docs : 1, sizeof *kept.docs), 0};
    if (!kept.docs) {
        lm_pt_corpus_free(&c);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    for (size_t d = 0; d < c.n_docs; d++)   /* shallow copies: c owns the documents */
        if (!skip || !pmid_set_has(skip, c.docs[d].pmid))
            kept.docs[kept.n_docs++] = c.docs[d];
    st = lm_lexicon_import_corpus_weighted(b, &kept, weight, s, err);
    free(kept.docs);
    lm_pt_corpus_free(&c);
    return st;
}

static int import_one(const lm_cli *cli, lm_lexicon_builder *b, const char *kind,
                      const char *file, const lex_args *a, const pmid_set *skip)
{
    lm_error err;
    lm_lexicon_import_stats s;
    double t0 = now();
    lm_status st;
    if (strcmp(kind, "mesh") == 0)
        st = lm_lexicon_import_mesh(b, file, &s, &err);
    else if (strcmp(kind, "gene_info") == 0)
        st = lm_lexicon_import_gene_info(b, file, a->tax, a->designations, &s, &err);
    else if (strcmp(kind, "drugbank") == 0)
        st = lm_lexicon_import_drugbank(b, file, &s, &err);
    else
        st = import_corpus_file(b, file,
                                strcmp(kind, "pubtator-main") == 0 ? LM_LEX_MAIN_CORPUS_WEIGHT
                                                                   : 1,
                                skip, &s, &err);
    if (st != LM_OK)
        return fail(cli, st, &err);
    print_stats(cli, kind, file, &s, now() - t0);
    return LM_EXIT_OK;
}

static int cmd_import(const lm_cli *cli, const lex_args *a, int n, char **rest)
{
    if (n < 2)
        return usage_error(cli, "lexicon import: need KIND and at least one FILE");
    const char *kind = rest[0];
    if (strcmp(kind, "mesh") != 0 && strcmp(kind, "gene_info") != 0 &&
        strcmp(kind, "drugbank") != 0 && strcmp(kind, "pubtator") != 0) {
        lm_cli_error(cli, "lexicon import: unknown kind '%s' (mesh, gene_info, drugbank, pubtator)",
                     kind);
        return LM_EXIT_USAGE;
    }
    lm_buf path;
    lm_buf_init(&path);
    int rc = lexicon_path(cli, a, &path);
    lm_error err;
    lm_lexicon_builder *b = NULL;
    if (rc == LM_EXIT_OK)
        rc = builder_init(cli, &b);
    if (rc == LM_EXIT_OK) {
        struct stat sb;
        lm_lexicon *old = NULL;
        if (stat(lm_buf_cstr(&path), &sb) != 0 && errno == ENOENT) {
            lm_cli_info(cli, "%s does not exist yet: starting an empty lexicon",
                        lm_buf_cstr(&path));
        } else {
            lm_status st = lm_lexicon_load(lm_buf_cstr(&path), &old, &err);
            if (st == LM_OK)
                st = lm_lexicon_builder_add_lexicon(b, old, &err);
            lm_lexicon_free(old);
            if (st != LM_OK)
                rc = fail(cli, st, &err);
        }
    }
    for (int i = 1; i < n && rc == LM_EXIT_OK; i++)
        rc = import_one(cli, b, kind, rest[i], a, NULL);
    if (rc == LM_EXIT_OK)
        rc = finish_and_save(cli, b, lm_buf_cstr(&path));
    lm_lexicon_builder_free(b);
    lm_buf_free(&path);
    return rc;
}

/* The --mesh files, else the newest desc and supp files of
 * DIR/lexicons/mesh (descriptors first: supplementary records are typed by
 * the headings they map to). */
static int import_mesh_files(const lm_cli *cli, lm_lexicon_builder *b, const lex_args *a,
                             const char *dir)
{
    for (int i = 0; i < a->n_mesh; i++) {
        int rc = import_one(cli, b, "mesh", a->mesh[i], a, NULL);
        if (rc != LM_EXIT_OK)
            return rc;
    }
    if (a->n_mesh)
        return LM_EXIT_OK;
    lm_buf mdir, desc, supp;
    lm_buf_init(&mdir);
    lm_buf_init(&desc);
    lm_buf_init(&supp);
    lm_error err;
    lm_status st = lm_buf_printf(&mdir, "%s/lexicons/mesh", dir) == LM_OK
                       ? lm_lexicon_find_mesh(lm_buf_cstr(&mdir), &desc, &supp, &err)
                       : lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
    int rc = st == LM_OK ? LM_EXIT_OK : fail(cli, st, &err);
    if (rc == LM_EXIT_OK && !desc.len)
        lm_cli_notice(cli, "warning: no MeSH descriptors (desc20XX.xml) in %s: the lexicon will miss "
                         "most MeSH names", lm_buf_cstr(&mdir));
    if (rc == LM_EXIT_OK && desc.len)
        rc = import_one(cli, b, "mesh", lm_buf_cstr(&desc), a, NULL);
    if (rc == LM_EXIT_OK && supp.len)
        rc = import_one(cli, b, "mesh", lm_buf_cstr(&supp), a, NULL);
    lm_buf_free(&mdir);
    lm_buf_free(&desc);
    lm_buf_free(&supp);
    return rc;
}

static int cmd_build(const lm_cli *cli, const lex_args *a)
{
    static const struct {
        const char *kind, *file;
        int dev;
    } sources[] = {
        {"pubtator-main", "bc5cdr/CDR_TrainingSet.PubTator.txt", 0},
        {"pubtator-main", "bc5cdr/CDR_DevelopmentSet.PubTator.txt", 1},
        {"pubtator", "ncbi_disease/NCBItrainset_corpus.txt", 0},
        {"pubtator", "ncbi_disease/NCBIdevelopset_corpus.txt", 1},
        {"pubtator", "biored/Train.PubTator", 0},
        {"pubtator", "biored/Dev.PubTator", 1},
        {"mesh", NULL, 0},   /* the MeSH files, found below */
        {"gene_info", "lexicons/Homo_sapiens.gene_info.gz", 0},
        {"drugbank", "lexicons/drugbank_vocabulary.csv", 0},
    };
    const char *dir = a->data ? a->data : LM_CLI_DEFAULT_DATA;
    lm_buf out, file;
    lm_buf_init(&out);
    lm_buf_init(&file);
    int rc = LM_EXIT_OK;
    if (a->out) {
        if (lm_buf_append_str(&out, a->out) != LM_OK)
            rc = LM_EXIT_FAILURE;
    } else {
        rc = lexicon_path(cli, a, &out);
    }
    lm_error err;
    lm_lexicon_builder *b = NULL;
    if (rc == LM_EXIT_OK)
        rc = builder_init(cli, &b);
    double t0 = now();
    pmid_set dev = {0};
    for (size_t i = 0; i < sizeof sources / sizeof sources[0] && rc == LM_EXIT_OK; i++) {
        if (!sources[i].dev || a->with_dev || !sources[i].file)
            continue;
        lm_buf_reset(&file);
        lm_status st = lm_buf_printf(&file, "%s/%s", dir, sources[i].file);
        /* a data directory without a dev set has nothing to hold out */
        if (st == LM_OK && access(lm_buf_cstr(&file), R_OK) == 0)
            st = pmid_set_add_corpus(&dev, lm_buf_cstr(&file), &err);
        if (st != LM_OK)
            rc = fail(cli, st, &err);
    }
    for (size_t i = 0; i < sizeof sources / sizeof sources[0] && rc == LM_EXIT_OK; i++) {
        if (sources[i].dev && !a->with_dev)
            continue;
        if (!sources[i].file) {
            rc = import_mesh_files(cli, b, a, dir);
            continue;
        }
        lm_buf_reset(&file);
        if (lm_buf_printf(&file, "%s/%s", dir, sources[i].file) != LM_OK) {
            rc = LM_EXIT_FAILURE;
            break;
        }
        rc = import_one(cli, b, sources[i].kind, lm_buf_cstr(&file), a, &dev);
    }
    pmid_set_free(&dev);
    if (rc == LM_EXIT_OK)
        rc = finish_and_save(cli, b, lm_buf_cstr(&out));
    if (rc == LM_EXIT_OK && !cli->quiet)
        fprintf(stderr, "built in %.1f s\n", now() - t0);
    lm_lexicon_builder_free(b);
    lm_buf_free(&out);
    lm_buf_free(&file);
    return rc;
}

static int load_lexicon(const lm_cli *cli, const lex_args *a, lm_lexicon **lex)
{
    lm_buf path;
    lm_buf_init(&path);
    int rc = lexicon_path(cli, a, &path);
    if (rc == LM_EXIT_OK) {
        lm_error err;
        double t0 = now();
        lm_status st = lm_lexicon_load(lm_buf_cstr(&path), lex, &err);
        if (st != LM_OK)
            rc = fail(cli, st, &err);
        else
            lm_cli_info(cli, "loaded %s in %.3f s", lm_buf_cstr(&path), now() - t0);
    }
    lm_buf_free(&path);
    return rc;
}

static const char *flag_words(unsigned f, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s", f & LM_LEX_CORPUS ? " corpus" : "",
             f & LM_LEX_PREFERRED ? " preferred" : "", f & LM_LEX_SYMBOL ? " symbol" : "",
             f & LM_LEX_SYNONYM ? " synonym" : "");
    return buf;
}

static int cmd_lookup(const lm_cli *cli, const lex_args *a, int n, char **texts)
{
    if (n < 1)
        return usage_error(cli, "lexicon lookup: no TEXT given");
    lm_ent_type type = LM_ENT_ANY;
    if (a->type && (type = lm_ent_type_from_label(a->type)) == LM_ENT_ANY) {
        lm_cli_error(cli, "lexicon lookup: unknown --type '%s' (Chemical, Disease, Gene)",
                     a->type);
        return LM_EXIT_USAGE;
    }
    lm_lexicon *lex = NULL;
    int rc = load_lexicon(cli, a, &lex);
    if (rc != LM_EXIT_OK)
        return rc;
    for (int i = 0; i < n; i++) {
        char key[LM_LEXICON_KEY_MAX];
        size_t klen = lm_lexicon_normalize(texts[i], strlen(texts[i]), key, sizeof key);
        printf("%s\t(normal form \"%s\")\n", texts[i], klen ? key : "");
        lm_lexicon_match m[32];
        size_t got = lm_lexicon_lookup_ns(lex, type, a->ns, texts[i], strlen(texts[i]), m, 32);
        if (got == 0)
            printf("  no match\n");
        for (size_t k = 0; k < got; k++) {
            char fl[64], note[160];
            const char *words = flag_words(m[k].flags, fl, sizeof fl);
            snprintf(note, sizeof note, "%s%s", *words ? words + 1 : "dictionary",
                     m[k].variant ? ", via singular/plural variant" : "");
            if (m[k].count && (m[k].flags & LM_LEX_CORPUS)) {
                size_t nl = strlen(note);
                snprintf(note + nl, sizeof note - nl, ", %u annotations", m[k].count);
            }
            printf("  %-8s %-22s %.3f  %s  [%s; %d candidate%s]%s%s\n",
                   lm_ent_type_name(m[k].type), m[k].id, m[k].score, m[k].name, note,
                   m[k].n_candidates, m[k].n_candidates == 1 ? "" : "s",
                   m[k].xref[0] ? "  also " : "", m[k].xref);
        }
    }
    lm_lexicon_free(lex);
    return LM_EXIT_OK;
}

static int cmd_info(const lm_cli *cli, const lex_args *a)
{
    lm_lexicon *lex = NULL;
    int rc = load_lexicon(cli, a, &lex);
    if (rc != LM_EXIT_OK)
        return rc;
    lm_lexicon_info info;
    lm_lexicon_get_info(lex, &info);
    printf("names\t%zu\nconcepts\t%zu\nentries\t%zu\n", info.n_names, info.n_concepts,
           info.n_entries);
    lm_lexicon_free(lex);
    return LM_EXIT_OK;
}

int lm_cmd_lexicon(lm_cli *cli, int argc, char **argv)
{
    if (argc >= 2 && lm_cli_is_help(argv[1])) {
        fputs(usage, stdout);
        return LM_EXIT_OK;
    }
    if (argc < 2)
        return usage_error(cli, "lexicon: which action? (import, build, lookup, info)");
    const char *action = argv[1];
    static const struct option options[] = {
        {"lexicon", required_argument, NULL, 'l'}, {"data", required_argument, NULL, 'D'},
        {"out", required_argument, NULL, 'o'},     {"type", required_argument, NULL, 't'},
        {"tax", required_argument, NULL, 'x'},     {"designations", no_argument, NULL, 'g'},
        {"with-dev", no_argument, NULL, 'w'},      {"namespace", required_argument, NULL, 'n'},
        {"mesh", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    lex_args a;
    memset(&a, 0, sizeof a);
    a.tax = 9606;
    lm_cli_optscan scan;
    opterr = 0;
    optind = 1;
    int c;
    /* permute: options may follow the positional arguments */
    while ((c = lm_cli_getopt(&scan, argc - 1, argv + 1, "h", options, NULL)) != -1) {
        switch (c) {
        case 'l': a.lexicon = optarg; break;
        case 'D': a.data = optarg; break;
        case 'o': a.out = optarg; break;
        case 't': a.type = optarg; break;
        case 'g': a.designations = 1; break;
        case 'w': a.with_dev = 1; break;
        case 'n': a.ns = optarg; break;
        case 'm':
            if (a.n_mesh == (int)(sizeof a.mesh / sizeof a.mesh[0])) {
                lm_cli_error(cli, "lexicon: too many --mesh files");
                return LM_EXIT_USAGE;
            }
            a.mesh[a.n_mesh++] = optarg;
            break;
        case 'x':
            if (strcmp(optarg, "all") == 0) {
                a.tax = 0;
            } else {
                char *end;
                errno = 0;
                a.tax = strtol(optarg, &end, 10);
                if (errno || *end || end == optarg || a.tax <= 0) {
                    lm_cli_error(cli, "--tax: expected a taxon id or 'all', got \"%s\"", optarg);
                    return LM_EXIT_USAGE;
                }
            }
            break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_bad_option(cli, "lexicon", &scan, argc - 1, argv + 1);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    int n = argc - 1 - optind;
    char **rest = argv + 1 + optind;
    if (strcmp(action, "import") == 0)
        return cmd_import(cli, &a, n, rest);
    if (n > 0 && strcmp(action, "lookup") != 0) {
        lm_cli_error(cli, "lexicon %s: unexpected argument '%s'", action, rest[0]);
        return LM_EXIT_USAGE;
    }
    if (strcmp(action, "build") == 0)
        return cmd_build(cli, &a);
    if (strcmp(action, "lookup") == 0)
        return cmd_lookup(cli, &a, n, rest);
    if (strcmp(action, "info") == 0)
        return cmd_info(cli, &a);
    lm_cli_error(cli, "lexicon: unknown action '%s' (import, build, lookup, info)", action);
    fputs(usage, stderr);
    return LM_EXIT_USAGE;
}
