/*
 * `litmine tag`: named-entity tagging of text read from stdin.
 *
 * Input is either PubTator (detected from the first non-empty line,
 * `PMID|t|...`; existing annotation lines are ignored) or plain text, where
 * every non-empty line is one document numbered from 1.  Output is PubTator
 * (title and abstract lines, then `PMID<TAB>start<TAB>end<TAB>text<TAB>type
 * <TAB>id` with code-point offsets into title + " " + abstract) or JSON Lines
 * (one object per document with its mentions, same offsets).  The model is
 * --model FILE, else ner.bin in --model-dir, the config key [models] dir, or
 * lm_ner_default_model_dir(); --model DIR (or [ner] model = DIR) tags with a
 * token-classification transformer instead.
 *
 * Documents go through the pipeline's own sentences and ner stages, so a
 * mention printed here — its span, type, concept id from the lexicon and
 * abbreviation propagation — is exactly what ingestion stores.
 */
#define _GNU_SOURCE             /* fopencookie: replay the sniffed first line */

#include "lm_cli.h"

#include "../util/lm_doc.h"
#include "../nlp/lm_ner.h"
#include "../nlp/lm_pubtator.h"
#include "../pipeline/lm_stage.h"
#include "../util/lm_buf.h"
#include "../util/lm_json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: litmine tag [--format pubtator|jsonl] [--model-dir DIR]\n"
            "                   [--model FILE|DIR]\n"
            "\n"
            "Tags chemicals, diseases and genes in text read from stdin: PubTator documents\n"
            "(detected automatically) or plain text, one document per non-empty line.\n"
            "\n"
            "  --format F       pubtator (default) or jsonl\n"
            "  --model-dir DIR  directory holding %s (default: config [models] dir,\n"
            "                   else %s)\n"
            "  --model FILE     a specific model file, e.g. models/ner-ncbi.bin\n"
            "  --model DIR      a token-classification transformer (Hugging Face model\n"
            "                   directory, e.g. from `litmine model fetch`) instead\n",
            LM_NER_DEFAULT_MODEL, lm_ner_default_model_dir());
}

enum { FMT_PUBTATOR, FMT_JSONL };

typedef struct tagger_ctx {
    lm_cli *cli;
    lm_stage_chain chain;
    void *scratch[LM_STAGE_MAX];
    int format;
} tagger_ctx;

/* Tags one document and prints it.  text = title + " " + abstract. */
static lm_status tag_doc(tagger_ctx *t, const char *id, const char *title, const char *abstract,
                         const char *text, lm_error *err)
{
    (void)text;
    lm_article a;
    lm_article_init(&a);
    a.title = (char *)title;   /* read-only use; the casts only drop const */
    a.abstract = (char *)abstract;
    lm_doc doc;
    lm_doc_init(&doc);
    lm_status st = lm_stage_chain_run(&t->chain, t->scratch, &a, &doc, NULL, NULL, err);
    if (st != LM_OK) {
        lm_doc_free(&doc);
        return st;
    }
    if (t->format == FMT_PUBTATOR) {
        printf("%s|t|%s\n%s|a|%s\n", id, title, id, abstract);
        for (size_t i = 0; i < doc.n_mentions; i++) {
            const lm_doc_mention *m = &doc.mentions[i];
            printf("%s\t%d\t%d\t%s\t%s\t%s\n", id, m->start, m->end, m->text,
                   lm_ent_type_name(m->type), m->concept_id ? m->concept_id : "-");
        }
        putchar('\n');
    } else {
        lm_json_writer w;
        lm_json_writer_init(&w, stdout);
        lm_json_begin_object(&w);
        lm_json_member_str(&w, "id", id);
        lm_json_write_key(&w, "mentions");
        lm_json_begin_array(&w);
        for (size_t i = 0; i < doc.n_mentions; i++) {
            const lm_doc_mention *m = &doc.mentions[i];
            lm_json_begin_object(&w);
            lm_json_member_int(&w, "start", m->start);
            lm_json_member_int(&w, "end", m->end);
            lm_json_member_str(&w, "text", m->text);
            lm_json_member_str(&w, "type", lm_ent_type_name(m->type));
            lm_json_write_key(&w, "score");
            lm_json_write_fixed(&w, m->score, 4);
            lm_json_member_str(&w, "id", m->concept_id);
            lm_json_end_object(&w);
        }
        lm_json_end_array(&w);
        lm_json_end_object(&w);
        putchar('\n');
    }
    lm_doc_free(&doc);
    if (ferror(stdout))
        return lm_error_set(err, LM_ERR_IO, "writing to stdout failed");
    return LM_OK;
}

static lm_status pubtator_cb(void *ctx, const lm_pt_doc *doc, lm_error *err)
{
    tagger_ctx *t = ctx;
    return tag_doc(t, doc->pmid, doc->title ? doc->title : "",
                   doc->abstract ? doc->abstract : "", doc->text ? doc->text : "", err);
}

/* Whether line looks like "ID|t|..." */
static int is_pubtator_line(const char *s)
{
    size_t i = 0;
    while (s[i] && s[i] != '|' && s[i] != '\t' && s[i] != ' ')
        i++;
    return i > 0 && s[i] == '|' && (s[i + 1] == 't' || s[i + 1] == 'a') && s[i + 2] == '|';
}

static lm_status tag_plain(tagger_ctx *t, FILE *in, const lm_buf *first, lm_error *err)
{
    lm_status st = LM_OK;
    char *line = NULL;
    size_t cap = 0;
    long doc = 0;
    lm_buf title, full;
    lm_buf_init(&title);
    lm_buf_init(&full);
    int have_first = first->len > 0;
    for (;;) {
        const char *s;
        size_t n;
        if (have_first) {
            s = lm_buf_cstr(first);
            n = first->len;
            have_first = 0;
        } else {
            ssize_t got = getline(&line, &cap, in);
            if (got < 0)
                break;
            s = line;
            n = (size_t)got;
        }
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
            n--;
        size_t k = 0;
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k == n)
            continue;
        /* the line is the title, the abstract is empty: offsets index
         * line + " ", as in PubTator */
        lm_buf_reset(&title);
        lm_buf_reset(&full);
        if (lm_buf_append(&title, s, n) != LM_OK || lm_buf_append(&full, s, n) != LM_OK
            || lm_buf_append_char(&full, ' ') != LM_OK) {
            st = lm_error_set(err, LM_ERR_NOMEM, "out of memory");
            break;
        }
        char id[32];
        snprintf(id, sizeof id, "%ld", ++doc);
        st = tag_doc(t, id, lm_buf_cstr(&title), "", lm_buf_cstr(&full), err);
        if (st != LM_OK)
            break;
    }
    if (st == LM_OK && ferror(in))
        st = lm_error_set(err, LM_ERR_IO, "reading stdin failed");
    free(line);
    lm_buf_free(&title);
    lm_buf_free(&full);
    return st;
}

/* A FILE that first replays the already-read line, then the rest of in. */
typedef struct replay {
    lm_buf head;
    size_t pos;
    FILE *in;
} replay;

static ssize_t replay_read(void *c, char *buf, size_t n)
{
    replay *r = c;
    if (r->pos < r->head.len) {
        size_t k = r->head.len - r->pos;
        if (k > n)
            k = n;
        memcpy(buf, r->head.data + r->pos, k);
        r->pos += k;
        return (ssize_t)k;
    }
    size_t got = fread(buf, 1, n, r->in);
    if (got == 0 && ferror(r->in))
        return -1;
    return (ssize_t)got;
}

int lm_cmd_tag(lm_cli *cli, int argc, char **argv)
{
    const char *model_dir = NULL, *model_file = NULL;
    int format = FMT_PUBTATOR;
    static const struct option options[] = {{"format", required_argument, NULL, 'f'},
                                            {"model-dir", required_argument, NULL, 'd'},
                                            {"model", required_argument, NULL, 'm'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    lm_cli_optscan scan;
    opterr = 0;
    int c;
    while ((c = lm_cli_getopt(&scan, argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return LM_EXIT_OK;
        case 'f':
            if (strcmp(optarg, "pubtator") == 0)
                format = FMT_PUBTATOR;
            else if (strcmp(optarg, "jsonl") == 0)
                format = FMT_JSONL;
            else {
                lm_cli_error(cli, "tag: unknown format '%s' (pubtator, jsonl)", optarg);
                return LM_EXIT_USAGE;
            }
            break;
        case 'd': model_dir = optarg; break;
        case 'm': model_file = optarg; break;
        default:
            lm_cli_bad_option(cli, "tag", &scan, argc, argv);
            usage(stderr);
            return LM_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        lm_cli_error(cli, "tag: unexpected argument '%s' (tag reads stdin)", argv[optind]);
        usage(stderr);
        return LM_EXIT_USAGE;
    }
    lm_error err;
    lm_status st = LM_OK;
    struct stat sb;
    if (model_file && stat(model_file, &sb) == 0 && S_ISDIR(sb.st_mode))
        st = lm_config_set(cli->config, "ner", "model", model_file, &err);   /* an encoder */
    else if (model_file)
        st = lm_config_set(cli->config, "models", "ner", model_file, &err);
    else if (model_dir)
        st = lm_config_set(cli->config, "models", "dir", model_dir, &err);
    tagger_ctx t;
    memset(&t, 0, sizeof t);
    t.cli = cli;
    t.format = format;
    if (st == LM_OK)
        st = lm_stage_chain_init(&t.chain, "sentences,ner", cli->config, &err);
    if (st != LM_OK) {
        lm_cli_error(cli, "tag: %s", err.msg);
        if (st == LM_ERR_IO && !model_file && !model_dir)
            lm_cli_models_hint(cli);
        return st == LM_ERR_USAGE ? LM_EXIT_USAGE : LM_EXIT_FAILURE;
    }
    for (int i = 0; st == LM_OK && i < t.chain.n; i++)
        st = t.chain.ops[i]->scratch_init(t.chain.state[i], &t.scratch[i], &err);

    /* peek at the first non-empty line to choose the input format */
    replay r;
    lm_buf_init(&r.head);
    r.pos = 0;
    r.in = stdin;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int pubtator = 0;
    while (st == LM_OK && (got = getline(&line, &cap, stdin)) >= 0) {
        size_t k = 0;
        while (k < (size_t)got && (line[k] == ' ' || line[k] == '\t' || line[k] == '\n'
                                   || line[k] == '\r'))
            k++;
        if (k == (size_t)got)
            continue;
        pubtator = is_pubtator_line(line);
        if (lm_buf_append(&r.head, line, (size_t)got) != LM_OK)
            st = lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
        break;
    }
    free(line);
    if (st == LM_OK && r.head.len) {
        if (pubtator) {
            cookie_io_functions_t io = {replay_read, NULL, NULL, NULL};
            FILE *f = fopencookie(&r, "r", io);
            if (!f)
                st = lm_error_set(&err, LM_ERR_NOMEM, "out of memory");
            else {
                st = lm_pubtator_read(f, "stdin", pubtator_cb, &t, &err);
                fclose(f);
            }
        } else {
            st = tag_plain(&t, stdin, &r.head, &err);
        }
    }
    if (st == LM_OK && fflush(stdout) != 0)
        st = lm_error_set(&err, LM_ERR_IO, "writing to stdout failed");
    lm_buf_free(&r.head);
    for (int i = 0; i < t.chain.n; i++)
        if (t.scratch[i])
            t.chain.ops[i]->scratch_free(t.scratch[i]);
    lm_stage_chain_free(&t.chain);
    if (st != LM_OK) {
        lm_cli_error(cli, "tag: %s", err.msg);
        return LM_EXIT_FAILURE;
    }
    return LM_EXIT_OK;
}
