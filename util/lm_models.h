/*
 * lm_models: where the committed models are found.
 *
 * A user runs litmine from anywhere: a checkout, /usr/bin after `make
 * install`, a tarball unpacked in $HOME.  The models directory is the
 * first of, in order:
 *
 *   1. --models DIR                        (explicit: taken as given)
 *   2. $LITMINE_MODELS                     (explicit)
 *   3. [models] dir in the configuration   (explicit)
 *   4. <directory of the executable>/models
 *   5. <directory of the executable>/../share/litmine/models
 *   6. the install prefix's share/litmine/models (LM_MODELS_DIR)
 *
 * An explicit place is taken even when it lacks the models, so a typo is
 * reported instead of silently replaced; the others count only when they
 * hold ner.bin.  The search remembers every place it looked so that a
 * missing model can be reported with the list and what to do.
 */
#ifndef LM_MODELS_H
#define LM_MODELS_H

#include "lm_error.h"

#include <stddef.h>

#define LM_MODELS_PLACES 6

typedef struct lm_models_place {
    char *dir;            /* heap string */
    const char *origin;   /* "--models", "LITMINE_MODELS", "[models] dir", ... */
} lm_models_place;

typedef struct lm_models_search {
    lm_models_place tried[LM_MODELS_PLACES];
    size_t n_tried;
    int chosen;           /* index into tried, -1 when no place qualified */
} lm_models_search;

/* Searches in the order above.  flag_dir, env_dir and config_dir may be
 * NULL or empty (absent); exe_path is the running executable (NULL: read
 * /proc/self/exe).  Only LM_ERR_NOMEM fails. */
lm_status lm_models_find(lm_models_search *s, const char *flag_dir, const char *env_dir,
                         const char *config_dir, const char *exe_path, lm_error *err);
/* The chosen directory, or NULL. */
const char *lm_models_dir(const lm_models_search *s);
/* "DIR (origin), DIR (origin), ..." for an error message, into out (cap
 * bytes, truncated with "..."). */
void lm_models_describe(const lm_models_search *s, char *out, size_t cap);
void lm_models_search_free(lm_models_search *s);

#endif
