/*
 * litmine's entry point: global options, configuration, command dispatch.
 *
 *     litmine [--db PATH] [--config FILE] [--verbose|--quiet] COMMAND [ARGS]
 *
 * The config file is --config, else $LITMINE_CONFIG; else
 * /etc/litmine/litmine.conf and then the user's
 * $XDG_CONFIG_HOME/litmine/litmine.conf (~/.config/... without
 * XDG_CONFIG_HOME), each silently skipped when absent, the user's values
 * winning.  Precedence: flags > config files > defaults.  Global options
 * may also follow the command.  Each command lives in cli/cmd_<name>.c and
 * returns its exit status.
 *
 * Whatever the command, its output is checked here once more when it
 * ends: stdout is flushed and closed, and a write that failed (a full
 * disk, /dev/full, a closed pipe's EPIPE) turns a success into exit
 * status 1 with a message, so no command can report success for output
 * that was lost.
 */
#include "lm_cli.h"
#include "lm_commands.h"

#include "../fetch/lm_xmlmsg.h"
#include "../util/lm_models.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSTEM_CONFIG "/etc/litmine/litmine.conf"

/* The one table of litmine's commands.  A row with a subcommand (sub)
 * names an entry point of its own (`litmine train pairs`); a command whose
 * rows all have one (train) has a row without fn for its summary, and
 * main answers `litmine train [--help]` from the table.  Subcommands that
 * share their command's options (watch add|list, eval ner|cid, ...) are
 * that command's business. */
static const struct command {
    const char *name;
    const char *sub;
    lm_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"ingest", NULL, lm_cmd_ingest, "ingest PubMed XML files (.xml, .xml.gz, - for stdin)"},
    {"stats", NULL, lm_cmd_stats, "row counts per table and the latest ingests"},
    {"show", NULL, lm_cmd_show, "print one stored article"},
    {"export", NULL, lm_cmd_export, "export stored data as CSV, TSV or JSON Lines"},
    {"query", NULL, lm_cmd_query, "search stored abstracts: litmine query \"BRCA1 repair\""},
    {"index", NULL, lm_cmd_index, "build or refresh the search index and embeddings"},
    {"fetch", NULL, lm_cmd_fetch, "fetch PubMed records from NCBI E-utilities"},
    {"watch", NULL, lm_cmd_watch, "saved PubMed searches for nightly fetches"},
    {"sync", NULL, lm_cmd_sync, "mirror NLM's PubMed baseline and update files"},
    {"reprocess", NULL, lm_cmd_reprocess, "rerun NLP stages over stored articles"},
    {"run", NULL, lm_cmd_run, "the nightly job: watches, sync, index maintenance"},
    {"tag", NULL, lm_cmd_tag, "tag chemicals, diseases and genes in text or PubTator"},
    {"train", NULL, NULL, "train the NER and pair models from the corpora"},
    {"train", "ner", lm_cmd_train_ner, "the named-entity tagger"},
    {"train", "pairs", lm_cmd_train_pairs, "the chemical-disease pair classifier"},
    {"lexicon", NULL, lm_cmd_lexicon, "import, build and look up concept lexicons"},
    {"eval", NULL, lm_cmd_eval, "score predictions against gold corpora (BC5CDR, BC2GM)"},
    {"eval", "search", lm_cmd_eval_search, "retrieval quality on a BEIR-format benchmark"},
    {"model", NULL, lm_cmd_model, "fetch, describe and run Hugging Face transformer encoders"},
    {"merge", NULL, lm_cmd_merge, "merge shard databases (cluster ingests) into one"},
    {"serve", NULL, lm_cmd_serve, "read-only web pages and JSON API over the database"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: litmine [--db PATH] [--config FILE] [--models DIR] [--verbose | --quiet] COMMAND [ARGS]\n"
            "       litmine --help | --version\n"
            "\n"
            "Global options:\n"
            "  --db PATH       SQLite database (default: config [store] path, else ./litmine.db)\n"
            "  --config FILE   configuration file (default: $LITMINE_CONFIG, else %s\n"
            "                  then $XDG_CONFIG_HOME/litmine/litmine.conf)\n"
            "  --models DIR    the models directory (default: $LITMINE_MODELS, [models] dir,\n"
            "                  beside the executable, then the install prefix)\n"
            "  --verbose, -v   more messages on stderr\n"
            "  --quiet, -q     only errors on stderr\n"
            "Global options may also follow the command.\n"
            "\n"
            "Commands:\n",
            SYSTEM_CONFIG);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!commands[i].sub)
            fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nSubcommands with options of their own:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (commands[i].sub) {
            char both[64];
            snprintf(both, sizeof both, "%s %s", commands[i].name, commands[i].sub);
            fprintf(out, "  %-14s %s\n", both, commands[i].summary);
        }
    fprintf(out, "\nRun 'litmine COMMAND --help' for a command's options.\n");
}

/* `litmine train [--help]`: a command made only of subcommands. */
static void print_subcommands(FILE *out, const char *name)
{
    const char *lead = "usage:";
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (commands[i].sub && strcmp(commands[i].name, name) == 0) {
            char both[64];
            snprintf(both, sizeof both, "%s %s [OPTIONS]", name, commands[i].sub);
            fprintf(out, "%-6s litmine %-22s %s\n", lead, both, commands[i].summary);
            lead = "";
        }
    fprintf(out, "\nRun 'litmine %s SUBCOMMAND --help' for its options.\n", name);
}

/* The subcommand names of a command, "ner, pairs", into out. */
static const char *subcommand_names(const char *name, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_COMMANDS && len < cap; i++)
        if (commands[i].sub && strcmp(commands[i].name, name) == 0)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "",
                                    commands[i].sub);
    return out;
}

/* The entry point for argv[0..argc) (argv[0] the command): the row of its
 * subcommand argv[1], else the command's own row.  NULL, with *rc set and
 * the message printed, when there is none; NULL with *rc LM_EXIT_OK after
 * printing a subcommand-only command's usage for --help. */
static const struct command *find_command(int argc, char **argv, int *rc)
{
    const struct command *own = NULL;
    int known = 0;
    for (size_t k = 0; k < N_COMMANDS; k++) {
        if (strcmp(argv[0], commands[k].name) != 0)
            continue;
        known = 1;
        if (!commands[k].sub)
            own = &commands[k];
        else if (argc > 1 && strcmp(argv[1], commands[k].sub) == 0)
            return &commands[k];
    }
    char shown[512];
    if (!known) {
        fprintf(stderr, "litmine: unknown command '%s'\n",
                lm_cli_printable(argv[0], shown, sizeof shown));
        print_usage(stderr);
        *rc = LM_EXIT_USAGE;
        return NULL;
    }
    if (own && own->fn)
        return own;
    if (argc > 1 && lm_cli_is_help(argv[1])) {
        print_subcommands(stdout, argv[0]);
        *rc = LM_EXIT_OK;
        return NULL;
    }
    char names[256];
    subcommand_names(argv[0], names, sizeof names);
    if (argc < 2)
        fprintf(stderr, "litmine: %s: which one? (%s)\n", argv[0], names);
    else
        fprintf(stderr, "litmine: %s: unknown subcommand '%s' (%s)\n", argv[0],
                lm_cli_printable(argv[1], shown, sizeof shown), names);
    print_subcommands(stderr, argv[0]);
    *rc = LM_EXIT_USAGE;
    return NULL;
}

/* systemd sets JOURNAL_STREAM to "device:inode" of the journal socket it
 * connected stderr to; compare so that a redirected stderr is not taken
 * for the journal. */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int load_one(lm_cli *cli, const char *path, int must_exist)
{
    lm_error err;
    if (!must_exist && access(path, F_OK) != 0)
        return LM_EXIT_OK;
    if (lm_config_load(cli->config, path, &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return err.code == LM_ERR_PARSE ? LM_EXIT_USAGE : LM_EXIT_FAILURE;
    }
    return LM_EXIT_OK;
}

/* --config or $LITMINE_CONFIG name the one file to read; otherwise the
 * system file, then the user's own (whose values win), both optional. */
static int load_config(lm_cli *cli, const char *flag_path)
{
    const char *path = flag_path;
    if (!path)
        path = getenv("LITMINE_CONFIG");
    if (path && *path)
        return load_one(cli, path, 1);
    int rc = load_one(cli, SYSTEM_CONFIG, 0);
    char user[4096];
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n = -1;
    if (xdg && xdg[0] == '/')
        n = snprintf(user, sizeof user, "%s/litmine/litmine.conf", xdg);
    else if (home && home[0] == '/')
        n = snprintf(user, sizeof user, "%s/.config/litmine/litmine.conf", home);
    if (rc == LM_EXIT_OK && n > 0 && (size_t)n < sizeof user)
        rc = load_one(cli, user, 0);
    return rc;
}

/* Flushes and closes stdout.  A failure (now, or an earlier write the
 * stream remembers) turns success or partial success into a failure, said
 * here; a command that failed already has said why. */
static int finish_stdout(int rc)
{
    int failed = ferror(stdout);
    int saved = errno;
    if (fflush(stdout) != 0) {
        failed = 1;
        saved = errno;
    }
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed || (rc != LM_EXIT_OK && rc != LM_EXIT_DATA))
        return rc;
    fprintf(stderr, "litmine: cannot write to standard output: %s\n",
            saved ? strerror(saved) : "write error");
    return LM_EXIT_FAILURE;
}

/* A global option at argv[i]: 1 (and *i moved past its value) when it is
 * one, 0 when it is not, -1 when it is one without its value. */
static int take_global(lm_cli *cli, const char **config_flag, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    static const char *const with_value[] = {"--db", "--config", "--models"};
    if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
        cli->verbose = 1;
        return 1;
    }
    if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
        cli->quiet = 1;
        return 1;
    }
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(with_value[k]);
        const char *v = NULL;
        if (strcmp(a, with_value[k]) == 0) {
            if (*i + 1 >= argc)
                return -1;
            v = argv[++*i];
        } else if (strncmp(a, with_value[k], n) == 0 && a[n] == '=') {
            v = a + n + 1;
        } else {
            continue;
        }
        if (k == 0)
            cli->db_path = v;
        else if (k == 1)
            *config_flag = v;
        else
            cli->models_flag = v;
        return 1;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    lm_cli cli = {0};
    const char *config_flag = NULL;
    int want_version = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            want_version = 1;
            continue;
        }
        int g = take_global(&cli, &config_flag, argc, argv, &i);
        if (g != 1) {
            char shown[512];
            fprintf(stderr, "litmine: unknown or incomplete option '%s'\n",
                    lm_cli_printable(a, shown, sizeof shown));
            print_usage(stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (i >= argc && !want_version) {
        print_usage(stderr);
        return LM_EXIT_USAGE;
    }
    /* Global options are accepted after the command too (`reprocess
     * --stages ner -v`): they are taken out of the command's arguments, up
     * to a "--" that ends option parsing. */
    int cmd_argc = 1;
    for (int k = i + 1; !want_version && k < argc; k++) {
        if (strcmp(argv[k], "--") == 0) {
            while (k < argc)
                argv[i + cmd_argc++] = argv[k++];
            break;
        }
        int g = take_global(&cli, &config_flag, argc, argv, &k);
        if (g < 0) {
            fprintf(stderr, "litmine: option '%s' needs a value\n", argv[k]);
            return LM_EXIT_USAGE;
        }
        if (g == 0)
            argv[i + cmd_argc++] = argv[k];
    }
    if (!want_version) {
        argc = i + cmd_argc;
        argv[argc] = NULL;
    }
    if (cli.verbose && cli.quiet) {
        fprintf(stderr, "litmine: --verbose and --quiet exclude each other\n");
        return LM_EXIT_USAGE;
    }
    const struct command *cmd = NULL;
    if (!want_version) {
        int rc = LM_EXIT_USAGE;
        cmd = find_command(argc - i, argv + i, &rc);
        if (!cmd)
            return rc;
        if (cmd->sub)
            i++;   /* the subcommand's entry point gets argv[0] = its name */
    }

    lm_xmlmsg_route(lm_cli_xml_message, &cli);
    lm_error err;
    if (lm_config_init(&cli.config, &err) != LM_OK) {
        lm_cli_error(&cli, "%s", err.msg);
        return LM_EXIT_FAILURE;
    }
    int rc = load_config(&cli, config_flag);
    if (rc == LM_EXIT_OK) {
        /* The commands open the database themselves and hand it to what
         * needs it (stages get it through lm_stage_chain_attach). */
        if (!cli.db_path)
            cli.db_path = lm_config_get_or(cli.config, "store", "path", "litmine.db");
        cli.stderr_is_tty = isatty(STDERR_FILENO);
        cli.journald = stderr_is_journal();
        lm_cli_check_config(&cli);
        rc = lm_cli_load_credentials(&cli);
        if (rc == LM_EXIT_OK)
            rc = lm_cli_find_models(&cli);
        if (rc == LM_EXIT_OK)
            rc = want_version ? lm_cli_print_version(&cli) : cmd->fn(&cli, argc - i, argv + i);
    }
    lm_xmlmsg_route(NULL, NULL);   /* cli is about to go */
    lm_models_search_free(&cli.models);
    lm_config_free(cli.config);
    return rc;
}

int main(int argc, char **argv)
{
    return finish_stdout(run(argc, argv));
}
