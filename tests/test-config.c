/* Tests for util/lm_config: parsing, precedence, typed getters, errors. */
#include "../util/lm_config.h"
#include "lm_test.h"

static void test_parse_sections_and_values(void)
{
    lm_config *c;
    lm_error err;
    LM_CHECK(lm_config_init(&c, &err) == LM_OK);
    const char *text = "# comment\n; other comment\n\n[store]\npath = /var/lib/x.db  \n"
                       "batch_size=250\n[eutils]\nemail = \"  spaced@example.org \"\n"
                       "tool =litmine\n";
    LM_CHECK(lm_config_load_string(c, "t.conf", text, &err) == LM_OK);
    LM_CHECK_STR(lm_config_get(c, "store", "path"), "/var/lib/x.db");
    LM_CHECK_STR(lm_config_get(c, "eutils", "email"), "  spaced@example.org ");
    LM_CHECK_STR(lm_config_get(c, "eutils", "tool"), "litmine");
    LM_CHECK(lm_config_get(c, "store", "missing") == NULL);
    LM_CHECK(lm_config_get(c, "nosection", "path") == NULL);
    LM_CHECK_STR(lm_config_get_or(c, "store", "missing", "dflt"), "dflt");
    long n = 0;
    LM_CHECK(lm_config_get_int(c, "store", "batch_size", 1, 1, 1000, &n, &err) == LM_OK);
    LM_CHECK_INT(n, 250);
    LM_CHECK(lm_config_get_int(c, "store", "absent", 7, 1, 1000, &n, &err) == LM_OK);
    LM_CHECK_INT(n, 7);
    lm_config_free(c);
}

static void test_later_values_override(void)
{
    lm_config *c;
    lm_error err;
    lm_config_init(&c, &err);
    LM_CHECK(lm_config_load_string(c, "a", "[s]\nk = 1\nk = 2\n", &err) == LM_OK);
    LM_CHECK_STR(lm_config_get(c, "s", "k"), "2");
    LM_CHECK(lm_config_set(c, "s", "k", "flag", &err) == LM_OK);
    LM_CHECK_STR(lm_config_get(c, "s", "k"), "flag");
    lm_config_free(c);
}

static void test_errors_name_file_and_line(void)
{
    lm_config *c;
    lm_error err;
    lm_config_init(&c, &err);
    LM_CHECK(lm_config_load_string(c, "x.conf", "[s]\nok = 1\nno equals\n", &err) ==
             LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "x.conf:3") != NULL);
    LM_CHECK(lm_config_load_string(c, "y.conf", "key = outside\n", &err) == LM_ERR_PARSE);
    LM_CHECK(strstr(err.msg, "outside any [section]") != NULL);
    LM_CHECK(lm_config_load_string(c, "z.conf", "[bad section\n", &err) == LM_ERR_PARSE);
    LM_CHECK(lm_config_load_string(c, "w.conf", "[s]\nbad key = 1\n", &err) == LM_ERR_PARSE);
    LM_CHECK(lm_config_load_string(c, "v.conf", "[s]\nn = 12x\n", &err) == LM_OK);
    long n;
    LM_CHECK(lm_config_get_int(c, "s", "n", 0, 0, 100, &n, &err) == LM_ERR_USAGE);
    LM_CHECK(strstr(err.msg, "[s] n") != NULL);
    LM_CHECK(lm_config_load_string(c, "u.conf", "[s]\nn = 101\n", &err) == LM_OK);
    LM_CHECK(lm_config_get_int(c, "s", "n", 0, 0, 100, &n, &err) == LM_ERR_USAGE);
    lm_config_free(c);
}

static void test_load_file(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/c.conf", lm_test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("[store]\npath = here.db\n", f);
    fclose(f);
    lm_config *c;
    lm_error err;
    lm_config_init(&c, &err);
    LM_CHECK(lm_config_load(c, path, &err) == LM_OK);
    LM_CHECK_STR(lm_config_get(c, "store", "path"), "here.db");
    LM_CHECK_STR(lm_config_path(c), path);
    LM_CHECK(lm_config_load(c, "/nonexistent/litmine.conf", &err) == LM_ERR_IO);
    LM_CHECK(strstr(err.msg, "/nonexistent/litmine.conf") != NULL);
    lm_config_free(c);
}

int main(void)
{
    LM_RUN(test_parse_sections_and_values);
    LM_RUN(test_later_values_override);
    LM_RUN(test_errors_name_file_and_line);
    LM_RUN(test_load_file);
    return LM_DONE();
}
