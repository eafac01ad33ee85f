#include "util/workpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct job {
    void (*fn)(void *arg);
    void *arg;
    struct job *next;
};

struct workpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *head, *tail;
    bool stopping;
    size_t nthreads;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    struct workpool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        struct job *j = p->head;
        if (!j)
            break; /* stopping and drained */
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int workpool_start(size_t nthreads, struct workpool **out)
{
    struct workpool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->threads = calloc(nthreads, sizeof *p->threads);
    if (!p->threads || pthread_mutex_init(&p->mu, NULL) || pthread_cond_init(&p->cv, NULL)) {
        free(p->threads);
        free(p);
        return -ENOMEM;
    }
    for (; p->nthreads < nthreads; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0)
            break;
    if (p->nthreads == 0) {
        workpool_stop(p);
        return -EAGAIN;
    }
    *out = p;
    return 0;
}

int workpool_submit(struct workpool *p, void (*fn)(void *arg), void *arg)
{
    struct job *j = malloc(sizeof *j);
    if (!j)
        return -ENOMEM;
    *j = (struct job){.fn = fn, .arg = arg};
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void workpool_stop(struct workpool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}
