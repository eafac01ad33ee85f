/*
 * workpool — a few threads that run long blocking jobs (copying gigabytes, fsyncing a large
 * body) away from the HTTP event threads, each of which serves many connections and must not
 * stall them.
 *
 * Calling sequence: workpool_start(n, &p); workpool_submit(p, fn, arg) any number of times from
 * any thread; workpool_stop(p) runs every job still queued, then joins the threads and frees p.
 * Jobs run in submission order per thread, in no particular order overall.
 */
#ifndef S3TRAIL_WORKPOOL_H
#define S3TRAIL_WORKPOOL_H

#include <stddef.h>

struct workpool;

int workpool_start(size_t nthreads, struct workpool **out) __attribute__((warn_unused_result));
/* 0, or -ENOMEM (the job does not run). */
int workpool_submit(struct workpool *p, void (*fn)(void *arg), void *arg)
    __attribute__((warn_unused_result));
void workpool_stop(struct workpool *p);

#endif
