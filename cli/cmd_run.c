/*
 * `litmine run` — the nightly job, as systemd's litmine.service runs it:
 *
 *   1. saved E-utilities watches   ([run] watches = yes|no, default yes)
 *   2. NLM bulk-file sync          ([run] sync = no|updates|baseline|all, default no)
 *   3. index maintenance           (PRAGMA optimize, WAL checkpoint)
 *   4. concept-watch reports        (cli/cmd_watch.c, pipeline/lm_watch_concept.h)
 *
 * The job itself is pipeline/lm_nightly.h's; this file parses options,
 * takes the lock, reloads the configuration on SIGHUP between steps and
 * prints.  The NLP stages run inside steps 1 and 2, as articles arrive.  A lock
 * file (flock) keeps two runs from overlapping — a slow night must not be
 * joined by the next one.  SIGINT/SIGTERM finish the article batches in
 * flight, commit and end the run with status 0: a stop asked for by the
 * service manager is not a failure, and the next run resumes.  SIGHUP
 * reloads the configuration before the next step.  The last line is a
 * summary for the journal.
 */
#include "../pipeline/lm_nightly.h"
#include "lm_signal.h"
#include "../util/lm_buf.h"
#include "lm_cli.h"
#include "lm_cli_progress.h"
#include "lm_commands.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: litmine run [--no-watches] [--sync no|updates|baseline|all]\n"
    "\n"
    "The nightly job: runs every saved watch (`litmine watch`), optionally syncs\n"
    "NLM's bulk files, runs the NLP stages on what arrived, then maintains the\n"
    "database.  Settings: [run] watches, sync, lock_file.  Exit status 0 when\n"
    "every step worked (or was stopped by SIGINT/SIGTERM after committing).\n";

/* Takes the run lock; returns the descriptor or -1 (message printed). */
static int take_lock(const lm_cli *cli)
{
    lm_buf path;
    lm_buf_init(&path);
    const char *configured = lm_config_get(cli->config, "run", "lock_file");
    if (configured)
        lm_buf_append_str(&path, configured);
    else
        lm_buf_printf(&path, "%s.lock", cli->db_path);
    int fd = open(lm_buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        lm_cli_error(cli, "cannot open lock file %s: %s", lm_buf_cstr(&path), strerror(errno));
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        lm_cli_error(cli, "another litmine run holds %s", lm_buf_cstr(&path));
        close(fd);
        fd = -1;
    }
    lm_buf_free(&path);
    return fd;
}

static void reload_config_if_asked(lm_cli *cli)
{
    if (!lm_signal_take_hangup() || !lm_config_path(cli->config))
        return;
    lm_config *fresh = NULL;
    lm_error err;
    if (lm_config_init(&fresh, &err) == LM_OK &&
        lm_config_load(fresh, lm_config_path(cli->config), &err) == LM_OK &&
        /* The database path stays (it may come from --db); db_path points
         * into the old config, so it moves to the new one first. */
        lm_config_set(fresh, "store", "path", cli->db_path, &err) == LM_OK) {
        lm_config_free(cli->config);
        cli->config = fresh;
        cli->db_path = lm_config_get(fresh, "store", "path");
        lm_cli_notice(cli, "configuration reloaded from %s", lm_config_path(fresh));
    } else {
        lm_config_free(fresh);
        lm_cli_error(cli, "keeping the old configuration: %s", err.msg);
    }
}

/* Worst of two step results; an interruption is not a failure. */
static int combine(int rc, int step_rc)
{
    if (step_rc == LM_EXIT_INTERRUPTED)
        step_rc = LM_EXIT_OK;
    return rc != LM_EXIT_OK ? rc : step_rc;
}

static const lm_config *before_step(void *ctx, const char *step)
{
    (void)step;
    lm_cli *cli = ctx;
    reload_config_if_asked(cli);
    return cli->config;
}

/* A step's setup failure or the index refresh after it, as exit statuses. */
static int step_exit(const lm_cli *cli, const lm_nightly_step_status *s, int rc)
{
    if (s->setup) {
        lm_cli_error(cli, "%s", s->msg);
        return s->st == LM_ERR_USAGE ? LM_EXIT_USAGE : LM_EXIT_FAILURE;
    }
    if (s->index_st != LM_OK) {
        lm_cli_error(cli, "search index: %s", s->index_msg);
        if (rc == LM_EXIT_OK)
            rc = lm_cli_exit_for(s->index_st);
    }
    return rc;
}

/* The exit status of the run, with the messages the summary holds. */
static int run_exit(const lm_cli *cli, const lm_nightly_summary *sum)
{
    int rc = LM_EXIT_OK;
    if (sum->watches.ran) {
        const lm_watch_run_result *w = &sum->watch_result;
        int wrc = LM_EXIT_OK;
        if (!sum->watches.setup) {
            if (sum->watches.st != LM_OK && sum->watches.st != LM_ERR_INTERRUPTED &&
                !w->store_failed)
                lm_cli_error(cli, "%s", sum->watches.msg);
            if (w->watches == 0 && sum->watches.st == LM_OK && !cli->quiet)
                fprintf(stderr, "litmine: no watches (add one with `litmine watch add`)\n");
            wrc = lm_cli_watch_exit(sum->watches.st, w);
        }
        rc = combine(rc, step_exit(cli, &sum->watches, wrc));
    }
    if (sum->sync.ran) {
        const lm_sync_result *r = &sum->sync_result;
        int src = LM_EXIT_OK;
        if (!sum->sync.setup) {
            if (sum->sync.st != LM_OK)
                lm_cli_error(cli, "%s", sum->sync.msg);
            src = lm_cli_sync_exit(sum->sync.st, r);
            if (!cli->quiet && (cli->verbose || cli->stderr_is_tty))
                fprintf(stderr, "sync: %" PRId64 " new files ingested\n", r->files_done);
            if (r->rejected && src == LM_EXIT_OK)
                src = LM_EXIT_DATA;   /* reported article by article */
        }
        rc = combine(rc, step_exit(cli, &sum->sync, src));
    }
    if (sum->maintain_st != LM_OK) {
        lm_cli_error(cli, "%s", sum->maintain_msg);
        rc = combine(rc, lm_cli_exit_for(sum->maintain_st));
    }
    return rc;
}

int lm_cmd_run(lm_cli *cli, int argc, char **argv)
{
    static const struct option options[] = {{"no-watches", no_argument, NULL, 'W'},
                                            {"sync", required_argument, NULL, 's'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *watches = lm_config_get_or(cli->config, "run", "watches", "yes");
    const char *sync = lm_config_get_or(cli->config, "run", "sync", "no");
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'W': watches = "no"; break;
        case 's': sync = optarg; break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_bad_option(cli, "run", &scan, argc, argv);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "run: unexpected argument '%s'", argv[optind]);
        return LM_EXIT_USAGE;
    }
    /* A SIGHUP reload frees the strings of the old configuration. */
    lm_buf db_path;
    lm_buf_init(&db_path);
    lm_buf_append_str(&db_path, cli->db_path);
    lm_nightly_steps steps = {
        .db_path = lm_buf_cstr(&db_path),
        .before_step = before_step,
        .cancel = lm_signal_token(),
        .on_warning = lm_cli_print_warning,
        .on_batch = lm_cli_on_batch,
        .on_watch_start = lm_cli_on_watch_start,
        .on_watch_done = lm_cli_on_watch_done,
        .on_download = lm_cli_on_download,
        .on_ingested = lm_cli_on_file_ingested,
        .ctx = cli,
    };
    if (strcmp(sync, "updates") == 0 || strcmp(sync, "all") == 0)
        steps.sync_updates = 1;
    if (strcmp(sync, "baseline") == 0 || strcmp(sync, "all") == 0)
        steps.sync_baseline = 1;
    if (!steps.sync_updates && !steps.sync_baseline && strcmp(sync, "no") != 0) {
        lm_cli_error(cli, "run: sync must be no, updates, baseline or all, got \"%s\"", sync);
        lm_buf_free(&db_path);
        return LM_EXIT_USAGE;
    }
    if (strcmp(watches, "yes") != 0 && strcmp(watches, "no") != 0) {
        lm_cli_error(cli, "run: [run] watches must be yes or no, got \"%s\"", watches);
        lm_buf_free(&db_path);
        return LM_EXIT_USAGE;
    }
    steps.watches = strcmp(watches, "yes") == 0;

    int lock = take_lock(cli);
    if (lock < 0) {
        lm_buf_free(&db_path);
        return LM_EXIT_DB;
    }
    lm_signal_install();
    lm_store *store;
    int rc = lm_cli_open_store(cli, 0, &store);
    if (rc != LM_EXIT_OK) {
        close(lock);
        lm_buf_free(&db_path);
        return rc;
    }
    lm_cli_notice(cli, "run started: watches %s, sync %s", watches, sync);
    lm_nightly_summary sum;
    lm_error err;
    lm_status st = lm_nightly_run(store, cli->config, &steps, &sum, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        lm_store_close(store);
        close(lock);
        lm_buf_free(&db_path);
        return lm_cli_exit_for(st);
    }
    rc = run_exit(cli, &sum);
    /* The concept watches report what this run stored (and anything a
     * failed earlier report left), after the index is up to date. */
    if (!sum.stopped)
        rc = combine(rc, lm_cli_report_concept_watches(cli, store, NULL));
    if (sum.runs < 0)
        lm_cli_error(cli, "run: the ingest log could not be read for the summary");
    const lm_ingest_counts *t = &sum.counts;
    lm_cli_notice(cli,
                  "run %s: %" PRId64 " sources, %" PRId64 " articles (%" PRId64 " new, %" PRId64
                  " updated, %" PRId64 " unchanged), %" PRId64 " deleted, %" PRId64
                  " failed a stage, %" PRId64 " rejected as bad input, %.1f s%s",
                  rc == LM_EXIT_OK ? "done" : "failed", sum.runs < 0 ? 0 : sum.runs,
                  t->articles, t->inserted, t->replaced, t->unchanged, t->deleted, t->failed,
                  t->rejected, sum.seconds, sum.stopped ? " (stopped by signal)" : "");
    lm_store_close(store);
    close(lock);
    lm_buf_free(&db_path);
    return rc;
}
