/*
 * bench-serve: drives a running `litmine serve` over HTTP/1.1 keep-alive
 * from many client threads and prints what it measured; asserts nothing.
 *
 *   bench-serve HOST PORT PATHS_FILE CLIENTS SECONDS [SERVER_PID]
 *
 * PATHS_FILE holds one request path per line, each prefixed by a label
 * ("search /search?q=..."); client i starts at line i and walks the list.
 * Every response must be 200 with a complete body (Content-Length), else
 * it counts as an error.  Printed per label: requests, errors, and the
 * server-side time (its Server-Timing header) and the client-side
 * latency at p50/p95/p99; overall: requests/s; with SERVER_PID, the
 * server's resident memory sampled every 250 ms (first, last, peak), in
 * all and anonymous only, to see that it stays flat under load.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PATHS 4096
#define MAX_LABELS 8

typedef struct sample {
    int label;
    float server_ms, client_ms;
} sample;

typedef struct client {
    pthread_t th;
    int id;
    sample *s;
    size_t n, cap;
    long errors;
} client;

static char *labels[MAX_LABELS];
static int n_labels;
static char *paths[MAX_PATHS];
static int path_label[MAX_PATHS];
static int n_paths;
static struct sockaddr_in addr;
static double deadline;
static char host_header[128];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The value of header name (with its colon, lower case) in the header
 * block head[0..end), or NULL. */
static const char *header(const char *head, const char *end, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
        if ((size_t)(end - p - 2) >= n && strncasecmp(p + 2, name, n) == 0) {
            const char *v = p + 2 + n;
            while (*v == ' ')
                v++;
            return v;
        }
    }
    return NULL;
}

/* One request on fd; 0 when a complete 200 came back (server_ms from
 * Server-Timing), -1 otherwise (the connection is then dropped). */
static int one_request(int fd, const char *path, char *buf, size_t cap, float *server_ms,
                       int *closing)
{
    char req[8192];
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host_header);
    if (len <= 0 || (size_t)len >= sizeof req || send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
        return -1;
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have + 1 >= cap)
            return -1;
        ssize_t r = recv(fd, buf + have, cap - 1 - have, 0);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        buf[have] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    const char *cl = header(buf, end, "content-length:");
    const char *st = header(buf, end, "server-timing:");
    const char *conn = header(buf, end, "connection:");
    *closing = conn && strncasecmp(conn, "close", 5) == 0;
    if (!cl)
        return -1;
    long body = strtol(cl, NULL, 10);
    *server_ms = st && strncmp(st, "app;dur=", 8) == 0 ? strtof(st + 8, NULL) : -1;
    size_t got = have - (size_t)(end + 4 - buf);
    /* drain the body without keeping it */
    while ((long)got < body) {
        ssize_t r = recv(fd, buf, cap - 1, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return status == 200 && (long)got == body ? 0 : -1;
}

static void *run_client(void *arg)
{
    client *c = arg;
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    int fd = -1;
    for (long i = c->id; buf && now_s() < deadline; i++) {
        int k = (int)(i % n_paths);
        if (fd < 0 && (fd = connect_server()) < 0) {
            c->errors++;
            usleep(1000);
            continue;
        }
        double t0 = now_s();
        float sms = -1;
        int closing = 0;
        int rc = one_request(fd, paths[k], buf, cap, &sms, &closing);
        double t1 = now_s();
        if (rc != 0 || closing) {
            close(fd);
            fd = -1;
        }
        if (rc != 0) {
            c->errors++;
            continue;
        }
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 4096;
            sample *s = realloc(c->s, c->cap * sizeof *s);
            if (!s)
                break;
            c->s = s;
        }
        c->s[c->n++] = (sample){path_label[k], sms, (float)((t1 - t0) * 1e3)};
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float pct(const float *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

/* The server's resident memory from /proc/PID/status: field is "VmRSS:"
 * (all) or "RssAnon:" (heap and stacks: what would grow with a leak;
 * the rest is mapped files, the database and the vector cache, which
 * the kernel pages in as they are read and may drop). */
static long rss_kb(long pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0)
            kb = strtol(line + n, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench-serve HOST PORT PATHS_FILE CLIENTS SECONDS [SERVER_PID]\n");
        return 2;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "bench-serve: %s is not an IPv4 address\n", argv[1]);
        return 2;
    }
    snprintf(host_header, sizeof host_header, "%s:%s", argv[1], argv[2]);
    FILE *pf = fopen(argv[3], "r");
    char line[4096];
    while (pf && n_paths < MAX_PATHS && fgets(line, sizeof line, pf)) {
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = 0;
        line[strcspn(sp + 1, "\n") + (size_t)(sp + 1 - line)] = 0;
        int l = 0;
        while (l < n_labels && strcmp(labels[l], line) != 0)
            l++;
        if (l == n_labels) {
            if (n_labels == MAX_LABELS)
                continue;
            labels[n_labels++] = strdup(line);
        }
        path_label[n_paths] = l;
        paths[n_paths++] = strdup(sp + 1);
    }
    if (pf)
        fclose(pf);
    if (!n_paths) {
        fprintf(stderr, "bench-serve: no paths in %s\n", argv[3]);
        return 2;
    }
    int clients = atoi(argv[4]);
    double secs = atof(argv[5]);
    long pid = argc > 6 ? atol(argv[6]) : 0;
    if (clients < 1 || clients > 1024 || secs <= 0)
        return 2;
    client *cs = calloc((size_t)clients, sizeof *cs);
    double t0 = now_s();
    deadline = t0 + secs;
    for (int i = 0; i < clients; i++) {
        cs[i].id = i * 7;
        pthread_create(&cs[i].th, NULL, run_client, &cs[i]);
    }
    long rss_first = -1, rss_last = -1, rss_max = -1, anon_first = -1, anon_last = -1,
         anon_max = -1;
    while (pid && now_s() < deadline) {
        long kb = rss_kb(pid, "VmRSS:"), akb = rss_kb(pid, "RssAnon:");
        if (rss_first < 0) {
            rss_first = kb;
            anon_first = akb;
        }
        if (kb > rss_max)
            rss_max = kb;
        if (akb > anon_max)
            anon_max = akb;
        usleep(250000);
    }
    for (int i = 0; i < clients; i++)
        pthread_join(cs[i].th, NULL);
    double wall = now_s() - t0;
    if (pid) {
        rss_last = rss_kb(pid, "VmRSS:");
        anon_last = rss_kb(pid, "RssAnon:");
    }
    long total = 0, errors = 0;
    for (int i = 0; i < clients; i++) {
        total += (long)cs[i].n;
        errors += cs[i].errors;
    }
    printf("  %d client(s), %.1f s: %ld requests, %.0f requests/s, %ld errors\n", clients, wall,
           total, (double)total / wall, errors);
    for (int l = 0; l < n_labels; l++) {
        size_t n = 0;
        for (int i = 0; i < clients; i++)
            for (size_t k = 0; k < cs[i].n; k++)
                n += cs[i].s[k].label == l;
        float *sv = malloc((n + 1) * sizeof *sv), *cv = malloc((n + 1) * sizeof *cv);
        size_t j = 0;
        for (int i = 0; i < clients; i++)
            for (size_t k = 0; k < cs[i].n; k++)
                if (cs[i].s[k].label == l) {
                    sv[j] = cs[i].s[k].server_ms;
                    cv[j++] = cs[i].s[k].client_ms;
                }
        qsort(sv, n, sizeof *sv, cmp_float);
        qsort(cv, n, sizeof *cv, cmp_float);
        printf("  %-8s %7zu requests  server p50 %6.2f ms  p95 %6.2f  p99 %6.2f   "
               "client p50 %6.2f ms  p95 %6.2f  p99 %6.2f\n",
               labels[l], n, pct(sv, n, 0.5), pct(sv, n, 0.95), pct(sv, n, 0.99),
               pct(cv, n, 0.5), pct(cv, n, 0.95), pct(cv, n, 0.99));
        free(sv);
        free(cv);
    }
    if (pid) {
        printf("  server RSS: %.1f MB at start, %.1f MB at the end, peak %.1f MB\n",
               rss_first / 1024.0, rss_last / 1024.0, rss_max / 1024.0);
        printf("  of which anonymous (heap, stacks): %.1f MB at start, %.1f MB at the end, "
               "peak %.1f MB\n",
               anon_first / 1024.0, anon_last / 1024.0, anon_max / 1024.0);
    }
    for (int i = 0; i < clients; i++)
        free(cs[i].s);
    free(cs);
    return 0;
}
