/*
 * lm_cli: what every `litmine <command>` implementation receives.
 *
 * cli/main.c parses the global options (--db, --config, --verbose, --quiet)
 * and the config file, then calls the command's entry point with the
 * remaining arguments (argv[0] is the command name).  Commands return a
 * process exit status (see LM_EXIT_*), print data to stdout and diagnostics
 * to stderr through lm_cli_error()/lm_cli_info().
 */
#ifndef LM_CLI_H
#define LM_CLI_H

#include "../pipeline/lm_stage.h"
#include "../store/lm_store.h"
#include "../util/lm_config.h"
#include "../util/lm_error.h"
#include "../util/lm_models.h"

#include <stdio.h>

/* Exit statuses, documented in docs/usage.md (Exit status). */
enum {
    LM_EXIT_OK = 0,
    LM_EXIT_FAILURE = 1,   /* the command failed (bad input, I/O, network) */
    LM_EXIT_USAGE = 2,     /* unknown command/flag, bad argument */
    LM_EXIT_DATA = 3,      /* partial: some input was bad, the rest is stored */
    LM_EXIT_DB = 4,        /* database cannot be opened / is corrupt / locked */
    LM_EXIT_INTERRUPTED = 130
};

typedef struct lm_cli {
    const char *db_path;       /* --db, config [store] path, or ./litmine.db */
    lm_config *config;         /* never NULL; empty when no file was found */
    int verbose;               /* --verbose */
    int quiet;                 /* --quiet */
    int stderr_is_tty;
    int journald;              /* stderr is the systemd journal: "<N>" prefixes */
    const char *models_flag;   /* --models */
    lm_models_search models;   /* where the models directory was looked for */
} lm_cli;

void lm_cli_error(const lm_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lm_cli_info(const lm_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));   /* only with --verbose */
/* Always shown unless --quiet: run summaries for the journal. */
void lm_cli_notice(const lm_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Maps a library status to an exit status: LM_EXIT_DB for the database's
 * problems alone (LM_ERR_DB, LM_ERR_BUSY); a damaged model or other file
 * (LM_ERR_CORRUPT) is a failed command, LM_EXIT_FAILURE. */
int lm_cli_exit_for(lm_status st);

/* Opens cli->db_path (read-only when asked), printing the error itself;
 * returns LM_EXIT_OK or the exit status to return. */
int lm_cli_open_store(const lm_cli *cli, int readonly, lm_store **out);

/* Whether arg asks for a command's usage: --help or -h. */
int lm_cli_is_help(const char *arg);

/* Parses a whole decimal integer within [min, max]: 1 when valid, else 0
 * (nothing printed). */
int lm_cli_to_long(const char *s, long min, long max, long *out);

/* Parses a flag's integer argument within [min, max]; prints the error and
 * returns 0 when invalid. */
int lm_cli_parse_long(const lm_cli *cli, const char *flag, const char *arg, long min,
                      long max, long *out);

/* The same for a command's long option `name` (without the dashes), as
 * the train commands word it: "CMD: --NAME wants an integer in [MIN, MAX]". */
int lm_cli_option_long(const lm_cli *cli, const char *cmd, const char *name, const char *arg,
                       long min, long max, long *out);

/* Pipeline settings shared by ingest, fetch and sync: --threads and
 * --stages override [pipeline] threads / stages.  Loads the stage models
 * into chain; returns LM_EXIT_OK or the exit status to return. */
typedef struct lm_cli_pipeline {
    long threads;             /* 0: online CPUs */
    const char *stages;       /* NULL: config or LM_DEFAULT_STAGES */
    long batch_size;          /* articles per transaction */
} lm_cli_pipeline;
int lm_cli_pipeline_defaults(const lm_cli *cli, lm_cli_pipeline *p);
/* getopt_long for a command's options (set opterr = 0 first), with
 * longindex as getopt_long's (may be NULL).  scan remembers what
 * getopt_long was given and where it stood, so that after a '?'
 * lm_cli_bad_option can name the argument at fault: within a cluster of
 * short letters such as -dash.xml getopt has not yet moved past it, and
 * argv[optind - 1] is the argument before. */
struct option;
typedef struct lm_cli_optscan {
    const char *shortopts;
    const struct option *longopts;
    int before;               /* optind when getopt_long was last called */
} lm_cli_optscan;
int lm_cli_getopt(lm_cli_optscan *scan, int argc, char **argv, const char *shortopts,
                  const struct option *longopts, int *longindex);
/* Says why getopt_long refused an option (lm_cli_getopt returned '?'),
 * as "CMD: unknown option -d in '-dash.xml' (...)", "CMD: unknown option
 * '--bogus'", "CMD: option '--out' needs a value" and the like; argc and
 * argv are those given to lm_cli_getopt. */
void lm_cli_bad_option(const lm_cli *cli, const char *cmd, const lm_cli_optscan *scan,
                       int argc, char **argv);
/* lm_cli_getopt that takes the options ingest and sync share into p: 't'
 * --threads, 's' --stages, 'b' --batch-size (articles per transaction).
 * Returns the next other option, or -1 at the end — also after a bad
 * value for one of them, with the error printed and *rc set to
 * LM_EXIT_USAGE. */
int lm_cli_getopt_pipeline(const lm_cli *cli, lm_cli_optscan *scan, int argc, char **argv,
                           const char *shortopts, const struct option *longopts,
                           lm_cli_pipeline *p, int *rc);
int lm_cli_pipeline_load(const lm_cli *cli, const lm_cli_pipeline *p,
                         struct lm_stage_chain *chain);
/* Brings the search index (full text, and vectors when an embedding model
 * exists) up to date after new articles were stored; returns LM_EXIT_OK or
 * the exit status to return.  Must not run inside a transaction. */
int lm_cli_refresh_index(const lm_cli *cli, lm_store *store);

/* Loads the stage models, then opens the database for writing — models
 * first, so a missing model leaves no trace in the database.  On failure
 * nothing is left open; returns LM_EXIT_OK or the exit status. */
int lm_cli_pipeline_open(const lm_cli *cli, const lm_cli_pipeline *p,
                         struct lm_stage_chain *chain, lm_store **store);

/* Prints per-article warnings from the pipeline (ctx is the lm_cli). */
void lm_cli_print_warning(void *ctx, const char *msg);
/* Receives libxml2's own messages (fetch/lm_xmlmsg.h; ctx is the lm_cli):
 * printed as litmine's errors and warnings, with their priority. */
void lm_cli_xml_message(void *ctx, int is_warning, const char *msg);

/* Copies s into out (cap bytes) with what a terminal or a log would act
 * on escaped: control characters as \n, \r, \t, \xNN or \uNNNN, bytes
 * that are not UTF-8 as \xNN.  Every diagnostic goes through it; use it
 * for names printed to stderr directly.  Returns out. */
const char *lm_cli_printable(const char *s, char *out, size_t cap);

/* The lexicon the ner stage uses ([models] lexicon, else [models] dir /
 * lexicon.bin), for concepts' display names; NULL when there is none (a
 * damaged one is reported as a warning).  Free with lm_lexicon_free. */
struct lm_lexicon *lm_cli_load_names(const lm_cli *cli);
/* The display name of concept id in lex, else fallback. */
const char *lm_cli_concept_name(const struct lm_lexicon *lex, const char *id,
                                const char *fallback);

/* Where `train`, `lexicon build` and `eval` look for the corpora when
 * --data is not given: the development checkout's shared data folder.  The
 * library takes the directory as an argument and has no default. */
#define LM_CLI_DEFAULT_DATA "../shared/data"

/* One date syntax everywhere: YYYY-MM-DD or YYYY/MM/DD (also YYYY or
 * YYYY-MM for the first day); writes "YYYY-MM-DD" (sep '-') or
 * "YYYY/MM/DD" (sep '/') into out[11].  Prints the error and returns 0
 * when invalid. */
int lm_cli_parse_date(const lm_cli *cli, const char *flag, const char *arg, char sep,
                      char out[11]);
/* An entity type in any case (chemical, DISEASE, Gene; also Drug and
 * Protein): its canonical name, or NULL after printing the error. */
const char *lm_cli_parse_type(const lm_cli *cli, const char *flag, const char *arg);
/* Reads a PMID list: one per line ('-' for stdin), blank lines and
 * '#' comments ignored; sorted, duplicates removed.  Prints the error and
 * returns 0 on failure. */
int lm_cli_read_pmids(const lm_cli *cli, const char *path, int64_t **pmids, size_t *n);

/* Under systemd's LoadCredential=api_key:FILE, takes the NCBI API key from
 * $CREDENTIALS_DIRECTORY/api_key unless NCBI_API_KEY or [eutils] api_key
 * gives one. */
int lm_cli_load_credentials(lm_cli *cli);
/* Warns (file:line) about every setting litmine does not know. */
void lm_cli_check_config(const lm_cli *cli);

/* Finds the models directory (util/lm_models.h) and makes it [models]
 * dir for every stage; returns LM_EXIT_OK or the exit status. */
int lm_cli_find_models(lm_cli *cli);
/* After a model failed to load with LM_ERR_IO: says where litmine looked
 * and what to do. */
void lm_cli_models_hint(const lm_cli *cli);
/* `litmine --version`: the program, the database schema it writes, and
 * each model's id (SHA-256 prefix) and training date (models/MANIFEST). */
int lm_cli_print_version(const lm_cli *cli);

/* lm_cli_concept_name as a pipeline/lm_annotated.h namer (ctx: the
 * lexicon); NULL when the lexicon does not know the id. */
const char *lm_cli_concept_namer(void *ctx, const char *id);

/* Writes the concept-watch reports into dir (NULL: [watch] report_dir,
 * else reports/ beside the database) with a journal line per watch
 * (cli/cmd_watch.c); returns the exit status. */
int lm_cli_report_concept_watches(const lm_cli *cli, lm_store *store, const char *dir);

typedef int (*lm_cmd_fn)(lm_cli *cli, int argc, char **argv);

#endif
