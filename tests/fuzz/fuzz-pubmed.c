/*
 * Fuzzes the streaming PubMed XML parser (fetch/lm_pubmed) the way ingest
 * drives it: the input is fed in chunks whose sizes come from its first
 * byte, so element, entity and UTF-8 boundaries fall everywhere, and the
 * HTML sniffing that holds back the first bytes is crossed at every
 * offset.  Every delivered article must hold valid UTF-8 text and a
 * usable PMID.
 */
#include "../../fetch/lm_pubmed.h"
#include "../../util/lm_utf8.h"
#include "lm_fuzz.h"

#include <string.h>

static void check_text(const char *s)
{
    if (s)
        LM_FUZZ_ASSERT(lm_utf8_valid(s, strlen(s)));
}

static lm_status on_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)ctx, (void)err;
    LM_FUZZ_ASSERT(a->pmid > 0);
    check_text(a->title);
    check_text(a->abstract);
    check_text(a->journal);
    check_text(a->doi);
    for (size_t i = 0; i < a->n_mesh; i++)
        check_text(a->mesh[i].name);
    for (size_t i = 0; i < a->n_pubtypes; i++)
        check_text(a->pubtypes[i].name);
    return LM_OK;
}

static lm_status on_delete(void *ctx, int64_t pmid, lm_error *err)
{
    (void)ctx, (void)err;
    LM_FUZZ_ASSERT(pmid > 0);
    return LM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] % 64 + 1;
    data++, size--;
    lm_pubmed_handler h = {.on_article = on_article, .on_delete = on_delete};
    lm_pubmed_parser *p;
    lm_error err;
    if (lm_pubmed_parser_init(&p, "fuzz", &h, &err) != LM_OK)
        return 0;
    lm_status st = LM_OK;
    for (size_t off = 0; off < size && st == LM_OK; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        st = lm_pubmed_parser_feed(p, (const char *)data + off, n, &err);
    }
    if (st == LM_OK)
        st = lm_pubmed_parser_finish(p, &err);
    if (st != LM_OK)
        LM_FUZZ_ASSERT(err.msg[0] != '\0');
    lm_pubmed_parser_free(p);
    return 0;
}
