/*
 * Signal flag.  SA_RESETHAND makes the second SIGINT/SIGTERM fatal.
 */
#include "lm_signal.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
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
}

int lm_signal_stop_requested(void)
{
    return stop_requested != 0;
}

void lm_signal_reset(void)
{
    stop_requested = 0;
}
