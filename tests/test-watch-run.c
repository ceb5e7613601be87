/*
 * Tests for pipeline/lm_watch_run: the saved watches fetched in C, without
 * the binary, against the stand-in E-utilities server — the window of a
 * watch (its since day, then its marker, up to "yesterday"), the marker
 * moving, a rerun finding nothing to do, and a failing watch that does
 * not stop the others.  "Today" is passed in, so the windows are exact.
 */
#include "../pipeline/lm_watch_run.h"
#include "lm_test.h"
#include "lm_test_server.h"
#include "lm_test_store.h"

#include <string.h>

static int have_server;

#define NEED_SERVER()                                                         \
    do {                                                                      \
        if (!have_server)                                                     \
            LM_SKIP("no stand-in server (python3 missing?)");                \
    } while (0)

typedef struct seen {
    int started, done, up_to_date, failed;
    char first_window[32];
    char failed_name[32];
} seen;

static void on_start(void *ctx, const lm_watch_outcome *o)
{
    seen *s = ctx;
    if (!s->started++)
        snprintf(s->first_window, sizeof s->first_window, "%s-%s", o->mindate, o->maxdate);
}

static void on_done(void *ctx, const lm_watch_outcome *o)
{
    seen *s = ctx;
    s->done++;
    s->up_to_date += o->up_to_date;
    if (o->status != LM_OK) {
        s->failed++;
        snprintf(s->failed_name, sizeof s->failed_name, "%s", o->name);
    }
}

typedef struct marker {
    const char *name;
    char done_through[32], status[16];
} marker;

static lm_status find_watch(void *ctx, const lm_watch *w)
{
    marker *m = ctx;
    if (strcmp(w->name, m->name) == 0) {
        snprintf(m->done_through, sizeof m->done_through, "%s",
                 w->done_through ? w->done_through : "none");
        snprintf(m->status, sizeof m->status, "%s", w->last_status ? w->last_status : "none");
    }
    return LM_OK;
}

static marker watch_state(lm_store *s, const char *name)
{
    marker m = {.name = name};
    lm_error err;
    lm_store_watch_each(s, find_watch, &m, &err);
    return m;
}

static lm_eutils *client(int max_tries)
{
    lm_eutils_config cfg = {.base_url = base_url, .tool = "litmine-test",
                            .email = "dev@example.org", .batch_size = 500,
                            .max_tries = max_tries};
    lm_eutils *c = NULL;
    lm_error err;
    if (lm_eutils_init(&c, &cfg, &err) != LM_OK)
        fprintf(stderr, "eutils: %s\n", err.msg);
    return c;
}

static lm_watch_run_options options(seen *s, int64_t today)
{
    lm_watch_run_options o = {.job = {.threads = 1, .batch_size = 200},
                              .today = today,
                              .on_start = on_start,
                              .on_done = on_done,
                              .ctx = s};
    return o;
}

static void test_windows_markers_and_rerun(void)
{
    NEED_SERVER();
    server_reset();
    lm_store *store = lm_test_open_store("w1.db");
    lm_eutils *c = client(1);
    LM_CHECK(store && c);
    if (!store || !c)
        return;
    lm_error err;
    LM_CHECK_INT(lm_store_watch_add(store, "w-malaria", "malaria", "edat", "2022/05/01", &err),
                 LM_OK);
    LM_CHECK_INT(lm_store_watch_add(store, "w-nothing", "no-such-term", "edat", "2022/05/01",
                                    &err),
                 LM_OK);
    int64_t today;
    LM_CHECK_INT(lm_date_parse("2022/05/20", 0, &today, &err), LM_OK);
    seen s = {0};
    lm_watch_run_options o = options(&s, today);
    lm_watch_run_result r;
    LM_CHECK_INT(lm_watch_run_all(store, c, &o, &r, &err), LM_OK);
    LM_CHECK_INT(r.watches, 2);
    LM_CHECK_INT(r.ran, 2);
    LM_CHECK_INT(r.failed, 0);
    LM_CHECK_INT(r.counts.articles, 300);   /* malaria: 300 records over 10 days */
    LM_CHECK_STR(s.first_window, "2022/05/01-2022/05/19");
    marker m = watch_state(store, "w-malaria");
    LM_CHECK(strstr(m.done_through, "2022") && strstr(m.done_through, "19"));
    LM_CHECK_STR(m.status, "done");

    /* The same day again: every watch is up to date, nothing is fetched. */
    memset(&s, 0, sizeof s);
    LM_CHECK_INT(lm_watch_run_all(store, c, &o, &r, &err), LM_OK);
    LM_CHECK_INT(r.ran, 0);
    LM_CHECK_INT(r.up_to_date, 2);
    LM_CHECK_INT(s.started, 0);
    LM_CHECK_INT(s.up_to_date, 2);

    /* Two days later the window starts the day after the marker. */
    memset(&s, 0, sizeof s);
    o.today = today + 2;
    LM_CHECK_INT(lm_watch_run_all(store, c, &o, &r, &err), LM_OK);
    LM_CHECK_STR(s.first_window, "2022/05/20-2022/05/21");
    LM_CHECK_INT(r.ran, 2);
    lm_eutils_free(c);
    lm_store_close(store);
}

static void test_failed_watch_does_not_stop_the_others(void)
{
    NEED_SERVER();
    server_reset();
    lm_store *store = lm_test_open_store("w2.db");
    lm_eutils *c = client(1);
    LM_CHECK(store && c);
    if (!store || !c)
        return;
    lm_error err;
    LM_CHECK_INT(lm_store_watch_add(store, "a-first", "malaria", "edat", "2022/05/01", &err),
                 LM_OK);
    LM_CHECK_INT(lm_store_watch_add(store, "b-second", "malaria", "edat", "2022/05/01", &err),
                 LM_OK);
    /* The first request (a-first's ESearch) fails; one try only. */
    LM_CHECK(ctl_post("/control", "{\"fail_next\": [500], \"target\": \"esearch\"}"));
    int64_t today;
    LM_CHECK_INT(lm_date_parse("2022/05/20", 0, &today, &err), LM_OK);
    seen s = {0};
    lm_watch_run_options o = options(&s, today);
    lm_watch_run_result r;
    LM_CHECK_INT(lm_watch_run_all(store, c, &o, &r, &err), LM_OK);
    LM_CHECK_INT(r.failed, 1);
    LM_CHECK_INT(r.ran, 2);
    LM_CHECK_STR(s.failed_name, "a-first");
    LM_CHECK_STR(watch_state(store, "a-first").status, "failed");
    LM_CHECK_STR(watch_state(store, "a-first").done_through, "none");
    LM_CHECK_STR(watch_state(store, "b-second").status, "done");
    LM_CHECK_INT(r.counts.articles, 300);
    lm_eutils_free(c);
    lm_store_close(store);
}

int main(void)
{
    have_server = server_start();
    if (!have_server)
        fprintf(stderr, "could not start tests/eutils_server.py (is python3 installed?)\n");
    LM_RUN(test_windows_markers_and_rerun);
    LM_RUN(test_failed_watch_does_not_stop_the_others);
    return LM_DONE();
}
