/*
 * The command entry points; cli/main.c holds the one table that names
 * them (commands, and subcommands with options of their own: train ner,
 * train pairs, eval search).  Each is implemented in cli/cmd_<name>.c
 * (cmd_<command>_<subcommand>.c); argv[0] is the command's or the
 * subcommand's name.  No entry point calls another.
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
int lm_cmd_train_ner(lm_cli *cli, int argc, char **argv);
int lm_cmd_lexicon(lm_cli *cli, int argc, char **argv);
int lm_cmd_model(lm_cli *cli, int argc, char **argv);
int lm_cmd_merge(lm_cli *cli, int argc, char **argv);
int lm_cmd_serve(lm_cli *cli, int argc, char **argv);

#endif
