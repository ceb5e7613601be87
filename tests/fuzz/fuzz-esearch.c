/*
 * Fuzzes the ESearch response parser (lm_eutils_parse_search): whatever
 * the body, the result is either an error with a message or a search
 * result whose strings are NUL-terminated and whose ID list is positive.
 */
#include "../../fetch/lm_eutils.h"
#include "lm_fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lm_eutils_search_result r;
    lm_eutils_search_result_init(&r);
    lm_error err;
    lm_status st = lm_eutils_parse_search((const char *)data, size, &r, &err);
    if (st == LM_OK) {
        LM_FUZZ_ASSERT(r.count >= 0);
        for (size_t i = 0; i < r.n_ids; i++)
            LM_FUZZ_ASSERT(r.ids[i] >= 0);
        if (r.webenv)
            (void)strlen(r.webenv);
        if (r.query_translation)
            (void)strlen(r.query_translation);
        if (r.warnings)
            (void)strlen(r.warnings);
    } else {
        LM_FUZZ_ASSERT(err.msg[0] != '\0');
        LM_FUZZ_ASSERT(r.ids == NULL && r.webenv == NULL);
    }
    lm_eutils_search_result_free(&r);
    return 0;
}
