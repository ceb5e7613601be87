/*
 * Signal handlers (see lm_signal.h).  SA_RESETHAND makes the second
 * SIGINT/SIGTERM fatal.
 */
#include "lm_signal.h"

#include <signal.h>
#include <string.h>

static lm_cancel token;
static volatile sig_atomic_t hangup;

static void on_hangup(int sig)
{
    (void)sig;
    hangup = 1;
}

static void on_stop_signal(int sig)
{
    (void)sig;
    lm_cancel_request(&token);
}

void lm_signal_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct sigaction hup;
    memset(&hup, 0, sizeof hup);
    hup.sa_handler = on_hangup;
    sigemptyset(&hup.sa_mask);
    hup.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &hup, NULL);
}

lm_cancel *lm_signal_token(void)
{
    return &token;
}

int lm_signal_take_hangup(void)
{
    if (!hangup)
        return 0;
    hangup = 0;
    return 1;
}
