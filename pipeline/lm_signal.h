/*
 * lm_signal: turns SIGINT/SIGTERM into a "stop requested" flag.
 *
 * A signal handler can only touch a volatile sig_atomic_t, so this is the
 * one piece of process-wide mutable state litmine has.  Long-running loops
 * (parsing, fetching, the pipeline's reader) poll lm_signal_stop_requested()
 * between articles and wind down: finish the batch, commit, exit 130.  A
 * second signal while stopping restores the default action, so an impatient
 * Ctrl-C still kills the process (SQLite's WAL keeps the database safe).
 */
#ifndef LM_SIGNAL_H
#define LM_SIGNAL_H

void lm_signal_install(void);
int lm_signal_stop_requested(void);
/* 1 once after each SIGHUP (installed by lm_signal_install): the nightly
 * run reloads its configuration between steps. */
int lm_signal_take_hangup(void);
/* For tests: forget a previous request. */
void lm_signal_reset(void);

#endif
