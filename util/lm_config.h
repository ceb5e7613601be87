/*
 * lm_config: the INI configuration file, read once per process.
 *
 *     # comment           ; comment
 *     [store]
 *     path = /var/lib/litmine/litmine.db
 *
 * Sections and keys are case-sensitive ASCII; values are trimmed, may be
 * quoted with "..." to keep surrounding spaces.  Unknown sections and keys
 * are kept (so newer config files load in older binaries) and listed, with
 * file and line, by lm_config_each_unknown for a warning about typos.  Command-line flags override the
 * file; the file overrides built-in defaults.
 */
#ifndef LM_CONFIG_H
#define LM_CONFIG_H

#include "lm_error.h"

typedef struct lm_config lm_config;

lm_status lm_config_init(lm_config **out, lm_error *err);   /* empty config */
/* Parses path, adding to / overriding cfg.  Errors name file and line. */
lm_status lm_config_load(lm_config *cfg, const char *path, lm_error *err);
lm_status lm_config_load_string(lm_config *cfg, const char *name, const char *text,
                                lm_error *err);
void lm_config_free(lm_config *cfg);

/* Value or NULL; valid until cfg is freed or changed. */
const char *lm_config_get(const lm_config *cfg, const char *section, const char *key);
const char *lm_config_get_or(const lm_config *cfg, const char *section,
                             const char *key, const char *fallback);
/* Parses an integer value within [min, max]; absent → fallback.  A present
 * but invalid value is an error naming the key. */
lm_status lm_config_get_int(const lm_config *cfg, const char *section, const char *key,
                            long fallback, long min, long max, long *out, lm_error *err);
/* Sets (or overrides) a value, e.g. from a command-line flag. */
lm_status lm_config_set(lm_config *cfg, const char *section, const char *key,
                        const char *value, lm_error *err);
/* Calls cb for every key read from a file that is not in known, a
 * NULL-terminated list of "section.key": typos like [eutils] emial, with
 * the file and line to fix. */
void lm_config_each_unknown(const lm_config *cfg, const char *const *known,
                            void (*cb)(void *ctx, const char *file, int line, const char *section,
                                       const char *key),
                            void *ctx);
/* The file the values came from, or NULL. */
const char *lm_config_path(const lm_config *cfg);

#endif
