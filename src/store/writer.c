/*
 * writer — the one thread that writes metadata, and group commit.
 *
 * Requests queue work items (store_submit); the writer takes everything queued (up to
 * BATCH_MAX items), runs them in ONE transaction, each under its own savepoint, and commits once:
 * one fsync makes the whole batch durable. While it waits on that fsync, new items queue up and
 * form the next batch, so the batch grows with the load and the fsync cost per item shrinks.
 *
 * After a commit the writer unlinks the blobs the batch's surviving items stopped naming (a
 * replaced or deleted object's segments, a replaced part, the parts of a finished upload not kept)
 * and only then calls each item's done. Unlinking before the commit would lose bodies on a crash
 * that loses the commit; unlinking after done would let a client observe a deleted object's blob
 * still on disk, which is harmless, but the order here keeps the accounting simple. A crash
 * between commit and unlink leaves orphans that the next store_open() sweeps.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An upper bound on one transaction: large enough that the fsync is amortised (at 256 the
 * per-item cost is far below the fsync), small enough that one batch's locks and memory stay
 * bounded and the first item's done is not delayed by an unbounded queue behind it. */
#define BATCH_MAX 256

struct store_work {
    struct store_work *next;
    store_apply_fn apply;
    store_done_fn done;
    void *arg;
    int rc;
    struct store_txn txn;
};

int store__txn_drop_blob(struct store_txn *t, const char *blob_id)
{
    if (!t || !store__blob_id_valid(blob_id))
        return -EINVAL;
    if (t->ndrops == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 8;
        void *p = realloc(t->drops, nc * sizeof t->drops[0]);
        if (!p)
            return -ENOMEM;
        t->drops = p;
        t->cap = nc;
    }
    memcpy(t->drops[t->ndrops], blob_id, STORE_BLOB_ID_LEN + 1);
    t->ndrops++;
    return 0;
}

static void txn_clear(struct store_txn *t)
{
    free(t->drops);
    t->drops = NULL;
    t->ndrops = t->cap = 0;
}

int store_txn_nest(struct store_txn *t, store_apply_fn fn, void *arg)
{
    const struct meta_backend *m = t->st->meta;
    size_t ndrops = t->ndrops;
    int rc = m->item_begin(t->st->be);
    if (rc)
        return rc;
    int frc = fn(t, arg);
    rc = m->item_end(t->st->be, frc == 0);
    if (frc || rc)
        t->ndrops = ndrops; /* rolled back: what it dropped is named again */
    return frc ? frc : rc;
}

int store_submit(struct store *st, store_apply_fn apply, store_done_fn done, void *arg)
{
    if (!st || !apply)
        return -EINVAL;
    struct store_work *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->apply = apply;
    w->done = done;
    w->arg = arg;
    w->txn.st = st;
    pthread_mutex_lock(&st->mu);
    if (st->stopping || !st->writer_running) {
        pthread_mutex_unlock(&st->mu);
        free(w);
        return -ESHUTDOWN;
    }
    if (st->tail)
        st->tail->next = w;
    else
        st->head = w;
    st->tail = w;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return 0;
}

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* private: only this waiter sleeps on it */
    bool finished;
    int rc;
    store_apply_fn apply;
    void *arg;
};

static int wait_apply(struct store_txn *t, void *arg)
{
    struct waiter *w = arg;
    return w->apply(t, w->arg);
}

static void wait_done(void *arg, int rc)
{
    struct waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->rc = rc;
    w->finished = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int store_submit_wait(struct store *st, store_apply_fn apply, void *arg)
{
    if (!st || !apply)
        return -EINVAL;
    /* From inside an apply or done the writer would wait for itself. */
    pthread_mutex_lock(&st->mu);
    bool self = st->writer_running && pthread_equal(pthread_self(), st->writer);
    pthread_mutex_unlock(&st->mu);
    if (self)
        return -EDEADLK;
    struct waiter w = {.apply = apply, .arg = arg};
    if (pthread_mutex_init(&w.mu, NULL) != 0)
        return -ENOMEM;
    if (pthread_cond_init(&w.cv, NULL) != 0) {
        pthread_mutex_destroy(&w.mu);
        return -ENOMEM;
    }
    int rc = store_submit(st, wait_apply, wait_done, &w);
    if (rc == 0) {
        pthread_mutex_lock(&w.mu);
        while (!w.finished)
            pthread_cond_wait(&w.cv, &w.mu);
        rc = w.rc;
        pthread_mutex_unlock(&w.mu);
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return rc;
}

void store_stats_get(struct store *st, struct store_stats *out)
{
    pthread_mutex_lock(&st->mu);
    *out = st->stats;
    pthread_mutex_unlock(&st->mu);
}

/* Calls done for items[from..to) and frees them. */
static void finish(struct store_work **items, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        struct store_work *w = items[i];
        if (w->done)
            w->done(w->arg, w->rc);
        txn_clear(&w->txn);
        free(w);
    }
}

/*
 * Runs items[first..n) in one transaction until they are all done or the engine aborts the
 * transaction; returns the index of the first item not yet finished. Every item it covers has
 * had its done called when it returns.
 */
static size_t run_txn(struct store *st, struct store_work **items, size_t first, size_t n)
{
    const struct meta_backend *m = st->meta;
    struct store_stats d = {.batches = 1};
    size_t i = first;
    int rc = m->batch_begin(st->be);
    if (rc) {
        /* Nothing ran: every remaining item fails with the cause (-EBUSY, -EIO, ...). */
        for (; i < n; i++)
            items[i]->rc = rc;
        d.commit_errors = 1;
        goto out;
    }

    int abort_rc = 0;
    for (; i < n; i++) {
        struct store_work *w = items[i];
        rc = m->item_begin(st->be);
        if (rc == 0) {
            w->rc = w->apply(&w->txn, w->arg);
            rc = m->item_end(st->be, w->rc == 0);
        }
        if (rc && w->rc == 0)
            w->rc = rc;
        if (w->rc)
            txn_clear(&w->txn); /* rolled back: it dropped nothing */
        bool aborted = m->batch_aborted(st->be);
        if (rc || aborted) {
            /* The engine rolled the whole transaction back (disk full, I/O error, out of memory:
             * the item's own error says which), or a savepoint could not be closed: every item
             * so far lost its changes. */
            m->batch_rollback(st->be);
            abort_rc = aborted && w->rc ? w->rc : (rc ? rc : -EIO);
            i++;
            break;
        }
    }

    if (!abort_rc) {
        /* A blob dropped by one item may be named again by a later one (or by a row the caller
         * reused it in): unlink only what nothing names once the batch is applied. Asked before
         * COMMIT, inside the transaction, so the answer is exactly the state being committed. */
        for (size_t k = first; k < i; k++) {
            struct store_txn *t = &items[k]->txn;
            size_t keep = 0;
            for (size_t j = 0; j < t->ndrops; j++) {
                int r = m->blob_referenced(st->be, t->drops[j]);
                if (r == 0)
                    memmove(t->drops[keep++], t->drops[j], sizeof t->drops[0]);
                /* r > 0: still named; r < 0: unknown, so keep the file (the sweep decides). */
            }
            t->ndrops = keep;
        }
        rc = m->batch_commit(st->be);
        if (rc) {
            m->batch_rollback(st->be);
            abort_rc = rc;
        }
    }

    if (abort_rc) {
        for (size_t k = first; k < i; k++) {
            if (items[k]->rc == 0)
                items[k]->rc = abort_rc;
            txn_clear(&items[k]->txn);
        }
        d.commit_errors = 1;
    } else {
        d.commits = 1;
        for (size_t k = first; k < i; k++) {
            struct store_txn *t = &items[k]->txn;
            for (size_t j = 0; j < t->ndrops; j++)
                if (store__blob_unlink(st, t->drops[j]) == 0)
                    d.blobs_unlinked++;
        }
    }
out:
    pthread_mutex_lock(&st->mu);
    st->stats.items += i - first;
    st->stats.batches += d.batches;
    st->stats.commits += d.commits;
    st->stats.commit_errors += d.commit_errors;
    st->stats.blobs_unlinked += d.blobs_unlinked;
    pthread_mutex_unlock(&st->mu);
    finish(items, first, i);
    return i;
}

static void *writer_main(void *arg)
{
    struct store *st = arg;
    struct store_work *items[BATCH_MAX];
    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (!st->head && !st->stopping)
            pthread_cond_wait(&st->cv, &st->mu);
        if (!st->head)
            break; /* stopping and drained */
        size_t n = 0;
        while (st->head && n < BATCH_MAX) {
            items[n++] = st->head;
            st->head = st->head->next;
        }
        if (!st->head)
            st->tail = NULL;
        pthread_mutex_unlock(&st->mu);
        for (size_t i = 0; i < n;)
            i = run_txn(st, items, i, n);
        pthread_mutex_lock(&st->mu);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

int store__writer_start(struct store *st)
{
    pthread_mutex_lock(&st->mu);
    st->stopping = false;
    int rc = pthread_create(&st->writer, NULL, writer_main, st);
    if (rc == 0)
        st->writer_running = true;
    pthread_mutex_unlock(&st->mu);
    return -rc;
}

void store__writer_stop(struct store *st)
{
    pthread_mutex_lock(&st->mu);
    bool running = st->writer_running;
    st->stopping = true;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    if (running)
        pthread_join(st->writer, NULL);
    pthread_mutex_lock(&st->mu);
    st->writer_running = false;
    pthread_mutex_unlock(&st->mu);
}
