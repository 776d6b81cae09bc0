/* core/thread.c: see thread.h. */
#include <signal.h>

#include "core/thread.h"

int thread_start_quiet(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);   /* the new thread inherits this mask */
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int thread_sync_init(pthread_mutex_t *mu, pthread_cond_t *a, pthread_cond_t *b)
{
    if (pthread_mutex_init(mu, NULL) != 0) return -1;
    if (pthread_cond_init(a, NULL) != 0) {
        pthread_mutex_destroy(mu);
        return -1;
    }
    if (pthread_cond_init(b, NULL) != 0) {
        pthread_cond_destroy(a);
        pthread_mutex_destroy(mu);
        return -1;
    }
    return 0;
}

void thread_sync_destroy(pthread_mutex_t *mu, pthread_cond_t *a, pthread_cond_t *b)
{
    pthread_cond_destroy(b);
    pthread_cond_destroy(a);
    pthread_mutex_destroy(mu);
}
