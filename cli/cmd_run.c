/*
 * `litmine run` — the nightly job, as systemd's litmine.service runs it:
 *
 *   1. saved E-utilities watches   ([run] watches = yes|no, default yes)
 *   2. NLM bulk-file sync          ([run] sync = no|updates|baseline|all, default no)
 *   3. index maintenance           (PRAGMA optimize, WAL checkpoint)
 *   4. concept-watch reports        (cli/cmd_watch.c, pipeline/lm_watch_concept.h)
 *
 * The NLP stages run inside steps 1 and 2, as articles arrive.  A lock
 * file (flock) keeps two runs from overlapping — a slow night must not be
 * joined by the next one.  SIGINT/SIGTERM finish the article batches in
 * flight, commit and end the run with status 0: a stop asked for by the
 * service manager is not a failure, and the next run resumes.  SIGHUP
 * reloads the configuration before the next step.  The last line is a
 * summary for the journal.
 */
#include "../util/lm_clock.h"
#include "../pipeline/lm_signal.h"
#include "../util/lm_buf.h"
#include "lm_cli.h"
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

static int summarize(lm_cli *cli, int64_t last_log_id, double started, int rc)
{
    lm_store *store;
    int open_rc = lm_cli_open_store(cli, 0, &store);
    if (open_rc != LM_EXIT_OK)
        return combine(rc, open_rc);
    lm_error err;
    lm_status st = lm_store_maintain(store, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "%s", err.msg);
        rc = combine(rc, lm_cli_exit_for(st));
    }
    if (!lm_signal_stop_requested())
        rc = combine(rc, lm_cli_report_concept_watches(cli, store, NULL));
    lm_ingest_counts c = {0};
    int64_t runs = 0;
    if (lm_store_ingest_totals_after(store, last_log_id, &c, &runs, &err) != LM_OK)
        lm_cli_error(cli, "%s", err.msg);
    lm_cli_notice(cli,
                  "run %s: %" PRId64 " sources, %" PRId64 " articles (%" PRId64 " new, %" PRId64
                  " updated, %" PRId64 " unchanged), %" PRId64 " deleted, %" PRId64
                  " failed a stage, %" PRId64 " rejected as bad input, %.1f s%s",
                  rc == LM_EXIT_OK ? "done" : "failed", runs, c.articles, c.inserted,
                  c.replaced, c.unchanged, c.deleted, c.failed, c.rejected,
                  lm_now_seconds() - started,
                  lm_signal_stop_requested() ? " (stopped by signal)" : "");
    lm_store_close(store);
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
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'W': watches = "no"; break;
        case 's': sync = optarg; break;
        case 'h': fputs(usage, stdout); return LM_EXIT_OK;
        default:
            lm_cli_error(cli, "run: unknown or incomplete option '%s'", argv[optind - 1]);
            fputs(usage, stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "run: unexpected argument '%s'", argv[optind]);
        return LM_EXIT_USAGE;
    }
    char *sync_args[3] = {"sync", NULL, NULL};
    if (strcmp(sync, "updates") == 0)
        sync_args[1] = "--updates";
    else if (strcmp(sync, "baseline") == 0)
        sync_args[1] = "--baseline";
    else if (strcmp(sync, "all") != 0 && strcmp(sync, "no") != 0) {
        lm_cli_error(cli, "run: sync must be no, updates, baseline or all, got \"%s\"", sync);
        return LM_EXIT_USAGE;
    }
    if (strcmp(watches, "yes") != 0 && strcmp(watches, "no") != 0) {
        lm_cli_error(cli, "run: [run] watches must be yes or no, got \"%s\"", watches);
        return LM_EXIT_USAGE;
    }
    int do_watches = strcmp(watches, "yes") == 0, do_sync = strcmp(sync, "no") != 0;

    int lock = take_lock(cli);
    if (lock < 0)
        return LM_EXIT_DB;
    lm_signal_install();
    double started = lm_now_seconds();
    int64_t last_log_id = 0;
    {
        lm_store *store;
        int open_rc = lm_cli_open_store(cli, 0, &store);
        if (open_rc != LM_EXIT_OK) {
            close(lock);
            return open_rc;
        }
        lm_error err;
        lm_status st = lm_store_ingest_last_id(store, &last_log_id, &err);
        lm_store_close(store);
        if (st != LM_OK) {
            lm_cli_error(cli, "%s", err.msg);
            close(lock);
            return lm_cli_exit_for(st);
        }
    }
    lm_cli_notice(cli, "run started: watches %s, sync %s", watches, sync);

    int rc = LM_EXIT_OK;
    if (do_watches && !lm_signal_stop_requested()) {
        reload_config_if_asked(cli);
        optind = 0;   /* each command parses its own argv with getopt */
        char *fetch_args[] = {"fetch", "--watches", NULL};
        rc = combine(rc, lm_cmd_fetch(cli, 2, fetch_args));
    }
    if (do_sync && !lm_signal_stop_requested()) {
        reload_config_if_asked(cli);
        optind = 0;
        rc = combine(rc, lm_cmd_sync(cli, sync_args[1] ? 2 : 1, sync_args));
    }
    rc = summarize(cli, last_log_id, started, rc);
    close(lock);
    return rc;
}
