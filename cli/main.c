/*
 * litmine's entry point: global options, configuration, command dispatch.
 *
 *     litmine [--db PATH] [--config FILE] [--verbose|--quiet] COMMAND [ARGS]
 *
 * The config file is found at --config, else $LITMINE_CONFIG, else
 * /etc/litmine/litmine.conf (silently absent is fine for the last one, not
 * for the first two).  Precedence: flags > config file > defaults.  Each
 * command lives in cli/cmd_<name>.c and returns its exit status.
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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSTEM_CONFIG "/etc/litmine/litmine.conf"

static const struct command {
    const char *name;
    lm_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"ingest", lm_cmd_ingest, "ingest PubMed XML files (.xml, .xml.gz, - for stdin)"},
    {"stats", lm_cmd_stats, "row counts per table and the latest ingests"},
    {"show", lm_cmd_show, "print one stored article"},
    {"export", lm_cmd_export, "export stored data as CSV, TSV or JSON Lines"},
    {"query", lm_cmd_query, "search stored abstracts: litmine query \"BRCA1 repair\""},
    {"index", lm_cmd_index, "build or refresh the search index and embeddings"},
    {"fetch", lm_cmd_fetch, "fetch PubMed records from NCBI E-utilities"},
    {"watch", lm_cmd_watch, "saved PubMed searches for nightly fetches"},
    {"sync", lm_cmd_sync, "mirror NLM's PubMed baseline and update files"},
    {"reprocess", lm_cmd_reprocess, "rerun NLP stages over stored articles"},
    {"run", lm_cmd_run, "the nightly job: watches, sync, index maintenance"},
    {"tag", lm_cmd_tag, "tag chemicals, diseases and genes in text or PubTator"},
    {"train", lm_cmd_train, "train the NER and pair models from the corpora"},
    {"lexicon", lm_cmd_lexicon, "import, build and look up concept lexicons"},
    {"eval", lm_cmd_eval, "score predictions against gold corpora (BC5CDR, BC2GM)"},
    {"model", lm_cmd_model, "fetch, describe and run Hugging Face transformer encoders"},
    {"merge", lm_cmd_merge, "merge shard databases (cluster ingests) into one"},
};

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: litmine [--db PATH] [--config FILE] [--verbose | --quiet] COMMAND [ARGS]\n"
            "       litmine --help | --version\n"
            "\n"
            "Global options:\n"
            "  --db PATH       SQLite database (default: config [store] path, else ./litmine.db)\n"
            "  --config FILE   configuration file (default: $LITMINE_CONFIG, else %s)\n"
            "  --verbose, -v   more messages on stderr\n"
            "  --quiet, -q     only errors on stderr\n"
            "\n"
            "Commands:\n",
            SYSTEM_CONFIG);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'litmine COMMAND --help' for a command's options.\n");
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

static int load_config(lm_cli *cli, const char *flag_path)
{
    lm_error err;
    const char *path = flag_path;
    int must_exist = 1;
    if (!path)
        path = getenv("LITMINE_CONFIG");
    if (path && !*path)
        path = NULL;
    if (!path) {
        path = SYSTEM_CONFIG;
        must_exist = 0;
    }
    if (!must_exist && access(path, F_OK) != 0)
        return LM_EXIT_OK;
    if (lm_config_load(cli->config, path, &err) != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        return err.code == LM_ERR_PARSE ? LM_EXIT_USAGE : LM_EXIT_FAILURE;
    }
    return LM_EXIT_OK;
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

static int run(int argc, char **argv)
{
    lm_cli cli = {0};
    const char *config_flag = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("litmine %s\n", LM_VERSION);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            cli.verbose = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            cli.quiet = 1;
        } else if ((strcmp(a, "--db") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
            if (a[2] == 'd')
                cli.db_path = argv[++i];
            else
                config_flag = argv[++i];
        } else if (strncmp(a, "--db=", 5) == 0) {
            cli.db_path = a + 5;
        } else if (strncmp(a, "--config=", 9) == 0) {
            config_flag = a + 9;
        } else {
            char shown[512];
            fprintf(stderr, "litmine: unknown or incomplete option '%s'\n",
                    lm_cli_printable(a, shown, sizeof shown));
            print_usage(stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        print_usage(stderr);
        return LM_EXIT_USAGE;
    }
    if (cli.verbose && cli.quiet) {
        fprintf(stderr, "litmine: --verbose and --quiet exclude each other\n");
        return LM_EXIT_USAGE;
    }
    const struct command *cmd = NULL;
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (strcmp(argv[i], commands[k].name) == 0)
            cmd = &commands[k];
    if (!cmd) {
        char shown[512];
        fprintf(stderr, "litmine: unknown command '%s'\n",
                lm_cli_printable(argv[i], shown, sizeof shown));
        print_usage(stderr);
        return LM_EXIT_USAGE;
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
        rc = cmd->fn(&cli, argc - i, argv + i);
    }
    lm_xmlmsg_route(NULL, NULL);   /* cli is about to go */
    lm_config_free(cli.config);
    return rc;
}

int main(int argc, char **argv)
{
    return finish_stdout(run(argc, argv));
}
