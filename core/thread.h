/* core/thread.h: the two thread chores the trainer's pool and the store's
** checkpointer share. */
#ifndef METARL_THREAD_H
#define METARL_THREAD_H

#include <pthread.h>

/* Start fn(arg) on a new thread with every signal blocked in it, so that
** SIGINT and SIGTERM always reach the calling thread, which polls for them.
** Return pthread_create's result (0 on success). */
int thread_start_quiet(pthread_t *t, void *(*fn)(void *), void *arg);

/* A mutex and the two conditions a hand-off between threads needs. Return 0,
** or -1 with nothing left initialised. */
int thread_sync_init(pthread_mutex_t *mu, pthread_cond_t *a, pthread_cond_t *b);
void thread_sync_destroy(pthread_mutex_t *mu, pthread_cond_t *a, pthread_cond_t *b);

#endif
