/*
 * lm_signal: SIGINT/SIGTERM set the process's cancellation token, SIGHUP
 * asks for a configuration reload.
 *
 * A signal handler can only touch a volatile sig_atomic_t, so the token
 * (util/lm_cancel.h) is the one piece of process-wide mutable state
 * litmine has; the commands hand it down to what they run, which polls it
 * between articles and winds down: finish the batch, commit, exit 130.  A
 * second signal while stopping restores the default action, so an
 * impatient Ctrl-C still kills the process (SQLite's WAL keeps the
 * database safe).
 */
#ifndef LM_SIGNAL_H
#define LM_SIGNAL_H

#include "../util/lm_cancel.h"

void lm_signal_install(void);
/* The token SIGINT/SIGTERM set once lm_signal_install ran. */
lm_cancel *lm_signal_token(void);
/* 1 once after each SIGHUP (installed by lm_signal_install): the nightly
 * run reloads its configuration between steps. */
int lm_signal_take_hangup(void);

#endif
