/*
 * tests/test-serve: the pieces of serve/ that need no socket — HTML
 * escaping, the year chart, --listen parsing and the autocomplete list.
 * The pages and API over HTTP are tests/test-serve.sh's.
 */
#include "../serve/lm_serve_impl.h"
#include "lm_test.h"

#include <stdlib.h>
#include <string.h>

/* What writer(f) writes, as a heap string. */
static char *capture(void (*writer)(FILE *f, const void *arg), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    writer(f, arg);
    fclose(f);
    return buf;
}

static void write_escaped(FILE *f, const void *arg)
{
    lm_serve_html_escape(f, arg);
}

static void test_escape(void)
{
    char *s = capture(write_escaped, "<script>alert(\"x\")</script> & 'q' café");
    LM_CHECK_STR(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; café");
    free(s);
    s = capture(write_escaped, "");
    LM_CHECK_STR(s, "");
    free(s);
    s = capture(write_escaped, NULL);
    LM_CHECK_STR(s, "");
    free(s);
}

typedef struct years_arg {
    const lm_serve_count *v;
    size_t n;
} years_arg;

static void write_chart(FILE *f, const void *arg)
{
    const years_arg *y = arg;
    lm_serve_svg_years(f, y->v, y->n);
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

static void test_chart(void)
{
    lm_serve_count v[4];
    memset(v, 0, sizeof v);
    v[0].year = 0;   /* unknown year: not drawn */
    v[0].n = 5;
    v[1].year = 2010;
    v[1].n = 2;
    v[2].year = 2012;
    v[2].n = 4;
    v[3].year = 2013;
    v[3].n = 1;
    years_arg a = {v, 4};
    char *s = capture(write_chart, &a);
    LM_CHECK(s && strncmp(s, "<svg class=\"chart\"", 18) == 0);
    LM_CHECK(s && strstr(s, "</svg>") != NULL);
    LM_CHECK_INT(count(s, "<rect class=\"bar\""), 3);
    LM_CHECK(strstr(s, "<title>2012: 4 articles</title>") != NULL);
    LM_CHECK(strstr(s, "<title>2013: 1 article</title>") != NULL);
    /* the tallest bar spans the plot: 4 of 4 */
    LM_CHECK(strstr(s, "height=\"180.0\"><title>2012") != NULL);
    LM_CHECK(strstr(s, ">4</text>") != NULL);   /* y axis maximum */
    free(s);
    years_arg none = {v, 1};
    s = capture(write_chart, &none);
    LM_CHECK(s && strstr(s, "<svg") == NULL && strstr(s, "No publication years") != NULL);
    free(s);
}

static void test_listen(void)
{
    char host[64];
    int port = -1;
    LM_CHECK(lm_serve_parse_listen("127.0.0.1:8080", host, sizeof host, &port));
    LM_CHECK_STR(host, "127.0.0.1");
    LM_CHECK_INT(port, 8080);
    LM_CHECK(lm_serve_parse_listen("[::1]:0", host, sizeof host, &port));
    LM_CHECK_STR(host, "::1");
    LM_CHECK_INT(port, 0);
    LM_CHECK(!lm_serve_parse_listen("127.0.0.1", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen("127.0.0.1:", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen("127.0.0.1:65536", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen(":80", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen("[::1]80", host, sizeof host, &port));
    LM_CHECK(!lm_serve_parse_listen("127.0.0.1:8x", host, sizeof host, &port));
}

static void test_complete(void)
{
    /* sorted by key, as lm_serve_names_load leaves them */
    lm_serve_name names[] = {
        {"acetaminophen", "acetaminophen", "MESH:D000082", "Chemical", 30},
        {"acetylcysteine", "acetylcysteine", "MESH:D000111", "Chemical", 50},
        {"acute liver failure", "acute liver failure", "MESH:D017114", "Disease", 10},
        {"apap", "APAP", "MESH:D000082", "Chemical", 30},
        {"hepatotoxicity", "hepatotoxicity", "MESH:D056486", "Disease", 60},
    };
    lm_serve_index ix;
    memset(&ix, 0, sizeof ix);
    ix.complete = names;
    ix.n_complete = sizeof names / sizeof names[0];
    const lm_serve_name *out[4];
    size_t n = lm_serve_names_complete(&ix, "AC", NULL, out, 4);
    LM_CHECK_INT(n, 3);
    LM_CHECK_STR(out[0]->id, "MESH:D000111");   /* most mentioned first */
    LM_CHECK_STR(out[1]->id, "MESH:D000082");
    LM_CHECK_STR(out[2]->id, "MESH:D017114");
    n = lm_serve_names_complete(&ix, "ac", "disease", out, 4);
    LM_CHECK_INT(n, 1);
    LM_CHECK_STR(out[0]->name, "acute liver failure");
    n = lm_serve_names_complete(&ix, "a", NULL, out, 2);
    LM_CHECK_INT(n, 2);
    LM_CHECK_STR(out[0]->id, "MESH:D000111");
    LM_CHECK_STR(out[1]->id, "MESH:D000082");   /* once, though under two names */
    n = lm_serve_names_complete(&ix, "a", NULL, out, 4);
    LM_CHECK_INT(n, 3);
    LM_CHECK_INT(lm_serve_names_complete(&ix, "zz", NULL, out, 4), 0);
    LM_CHECK_INT(lm_serve_names_complete(&ix, "", NULL, out, 4), 0);
}

int main(void)
{
    LM_RUN(test_escape);
    LM_RUN(test_chart);
    LM_RUN(test_listen);
    LM_RUN(test_complete);
    return LM_DONE();
}
