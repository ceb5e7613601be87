/*
 * Fuzzes the INI configuration parser (util/lm_config) and the typed
 * readers every command applies to it: [eutils] through
 * lm_eutils_config_from, integers with their ranges, and lookups of what
 * was parsed.
 */
#include "../../fetch/lm_eutils.h"
#include "../../util/lm_config.h"
#include "lm_fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    lm_config *cfg;
    lm_error err;
    if (lm_config_init(&cfg, &err) != LM_OK) {
        free(text);
        return 0;
    }
    if (lm_config_load_string(cfg, "fuzz.conf", text, &err) == LM_OK) {
        lm_eutils_config ec;
        (void)lm_eutils_config_from(&ec, cfg, &err);
        static const char *const keys[][2] = {
            {"store", "path"},      {"store", "batch_size"}, {"pipeline", "threads"},
            {"pipeline", "stages"}, {"sync", "max_tries"},   {"sync", "deadline_s"},
            {"run", "sync"},        {"models", "dir"},
        };
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const char *v = lm_config_get(cfg, keys[i][0], keys[i][1]);
            if (v)
                (void)strlen(v);
            long n;
            if (lm_config_get_int(cfg, keys[i][0], keys[i][1], 7, -5, 1000, &n, &err) == LM_OK)
                LM_FUZZ_ASSERT(n == 7 || (n >= -5 && n <= 1000));
        }
        LM_FUZZ_ASSERT(lm_config_set(cfg, "store", "path", "x.db", &err) == LM_OK);
        LM_FUZZ_ASSERT(strcmp(lm_config_get(cfg, "store", "path"), "x.db") == 0);
    } else {
        LM_FUZZ_ASSERT(err.msg[0] != '\0');
    }
    lm_config_free(cfg);
    free(text);
    return 0;
}
