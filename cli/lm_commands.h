/*
 * The table of command entry points cli/main.c dispatches to.  Each is
 * implemented in cli/cmd_<name>.c.
 */
#ifndef LM_COMMANDS_H
#define LM_COMMANDS_H

#include "lm_cli.h"

int lm_cmd_ingest(lm_cli *cli, int argc, char **argv);
int lm_cmd_stats(lm_cli *cli, int argc, char **argv);
int lm_cmd_show(lm_cli *cli, int argc, char **argv);
int lm_cmd_export(lm_cli *cli, int argc, char **argv);
int lm_cmd_eval(lm_cli *cli, int argc, char **argv);
int lm_cmd_fetch(lm_cli *cli, int argc, char **argv);
int lm_cmd_watch(lm_cli *cli, int argc, char **argv);
int lm_cmd_sync(lm_cli *cli, int argc, char **argv);
int lm_cmd_reprocess(lm_cli *cli, int argc, char **argv);
int lm_cmd_run(lm_cli *cli, int argc, char **argv);
int lm_cmd_query(lm_cli *cli, int argc, char **argv);
int lm_cmd_index(lm_cli *cli, int argc, char **argv);
int lm_cmd_eval_search(lm_cli *cli, int argc, char **argv);
int lm_cmd_train_pairs(lm_cli *cli, int argc, char **argv);
int lm_cmd_tag(lm_cli *cli, int argc, char **argv);
int lm_cmd_train(lm_cli *cli, int argc, char **argv);
int lm_cmd_lexicon(lm_cli *cli, int argc, char **argv);
int lm_cmd_model(lm_cli *cli, int argc, char **argv);
int lm_cmd_serve(lm_cli *cli, int argc, char **argv);

/* Commands contributed by later stages are listed here as they land. */
#define LM_EXTRA_COMMANDS                                                                  \
    {"query", lm_cmd_query, "search stored abstracts: litmine query \"BRCA1 repair\""},         \
    {"index", lm_cmd_index, "build or refresh the search index and embeddings"},               \
    {"fetch", lm_cmd_fetch, "fetch PubMed records from NCBI E-utilities"},                    \
    {"watch", lm_cmd_watch, "saved PubMed searches for nightly fetches"},                      \
    {"sync", lm_cmd_sync, "mirror NLM's PubMed baseline and update files"},                    \
    {"reprocess", lm_cmd_reprocess, "rerun NLP stages over stored articles"},                  \
    {"run", lm_cmd_run, "the nightly job: watches, sync, index maintenance"},                   \
    {"tag", lm_cmd_tag, "tag chemicals, diseases and genes in text or PubTator"},             \
    {"train", lm_cmd_train, "train the NER and pair models from the corpora"},                  \
    {"lexicon", lm_cmd_lexicon, "import, build and look up concept lexicons"},                \
    {"eval", lm_cmd_eval, "score predictions against gold corpora (BC5CDR, BC2GM)"},          \
    {"model", lm_cmd_model, "fetch, describe and run Hugging Face transformer encoders"},     \
    {"serve", lm_cmd_serve, "read-only web pages and JSON API over the database"},

#endif
