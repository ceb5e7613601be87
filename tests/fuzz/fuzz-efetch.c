/*
 * Fuzzes the EFetch response check and delivery (lm_eutils_parse_fetch):
 * HTML pages, NCBI <ERROR> documents, truncated and malformed XML must all
 * end as an error with a message; a response that passes delivers its
 * articles with valid UTF-8 titles.
 */
#include "../../fetch/lm_eutils.h"
#include "../../util/lm_utf8.h"
#include "lm_fuzz.h"

#include <string.h>

static lm_status on_article(void *ctx, lm_article *a, lm_error *err)
{
    (void)err;
    (*(size_t *)ctx)++;
    LM_FUZZ_ASSERT(a->pmid > 0);
    if (a->title)
        LM_FUZZ_ASSERT(lm_utf8_valid(a->title, strlen(a->title)));
    if (a->abstract)
        LM_FUZZ_ASSERT(lm_utf8_valid(a->abstract, strlen(a->abstract)));
    return LM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    lm_pubmed_handler h = {.on_article = on_article, .ctx = &n};
    lm_error err;
    lm_status st = lm_eutils_parse_fetch((const char *)data, size, &h, &err);
    if (st != LM_OK)
        LM_FUZZ_ASSERT(err.msg[0] != '\0');
    return 0;
}
