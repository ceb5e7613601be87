/*
 * lm_test_server: the stand-in E-utilities server (tests/eutils_server.py)
 * for the C tests that talk to it — started on 127.0.0.1 with its port
 * read from its first stdout line, killed at exit (and dying by itself
 * with its parent or after 120 s), with a control channel for faults.
 */
#ifndef LM_TEST_SERVER_H
#define LM_TEST_SERVER_H

#include "../fetch/lm_http.h"
#include "lm_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t server_pid;
static int server_port;
static char base_url[96];
static lm_http *ctl;   /* control-channel client: no limiter, no retries */

static inline void server_stop(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
    lm_http_free(ctl);
    ctl = NULL;
}

static inline int server_start(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 0;
    const char *shared = lm_test_shared_data();
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        /* Die with the test even if it crashes before killing us. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (shared)
            execlp("python3", "python3", "tests/eutils_server.py", "--timeout", "120",
                   "--shared", shared, (char *)NULL);
        else
            execlp("python3", "python3", "tests/eutils_server.py", "--timeout", "120",
                   (char *)NULL);
        _exit(127);
    }
    server_pid = pid;
    atexit(server_stop);
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[32];
    int ok = in && fgets(line, sizeof line, in) != NULL;
    if (in)
        fclose(in);
    if (!ok)
        return 0;
    char *end;
    long port = strtol(line, &end, 10);
    if (end == line || port <= 0 || port > 65535)
        return 0;
    server_port = (int)port;
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d/entrez/eutils/", server_port);
    lm_http_config hc = {.max_tries = 1, .timeout_s = 30};
    return lm_http_init(&ctl, &hc, NULL) == LM_OK;
}

static inline void server_url(char *out, size_t cap, const char *path)
{
    snprintf(out, cap, "http://127.0.0.1:%d%s", server_port, path);
}

static inline int ctl_post(const char *path, const char *body)
{
    char url[128];
    server_url(url, sizeof url, path);
    lm_error err;
    lm_status st = lm_http_post(ctl, url, body, NULL, &err);
    if (st != LM_OK)
        fprintf(stderr, "  control %s failed: %s\n", path, err.msg);
    return st == LM_OK;
}

static inline void server_reset(void)
{
    ctl_post("/reset", "");
}

#endif
