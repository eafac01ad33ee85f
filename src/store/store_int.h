/*
 * store_int — declarations private to src/store/: the store object, the work item the writer
 * batches, the metadata back-end vtable and the helpers the store's files share.
 *
 * Who owns what:
 *   store.c        public entry points and lifecycle (open: dirs, lock, metadata, sweep, writer);
 *   meta_sqlite.c  the SQLite metadata back end (schema, migrations, per-thread read
 *                  connections, the write connection, listing);
 *   writer.c       the writer thread: queue, group commit, unlink-after-commit, done callbacks;
 *   blob.c         body files: temp file, fsync, rename, fan-out directories, the orphan sweep;
 *   sse.c          server-side encryption: the master key, data keys, the segment format (sse.h).
 *
 * Metadata sits behind `struct meta_backend` so a PostgreSQL back end can slot in: store.c and
 * writer.c only ever call through st->meta. Bodies are plain functions, not a vtable, because the
 * public blob interface is file-shaped (struct blob_writer carries an fd and a temp path, and
 * store_blob_open() returns an fd): a RADOS back end needs a different public interface anyway,
 * and a vtable drawn around today's file calls would freeze the wrong shape.
 */
#ifndef S3TRAIL_STORE_INT_H
#define S3TRAIL_STORE_INT_H

#include "store/store.h"

#include <pthread.h>

/* 32 hex digits and a NUL: blob ids. */
#define STORE_BLOB_ID_LEN 32

/* What a work item's transaction changed that matters after commit: the blobs its committed
 * changes stopped naming. Filled by the back end's write functions through
 * store__txn_drop_blob(); emptied when the item's savepoint is rolled back. */
struct store_txn {
    struct store *st;
    char (*drops)[STORE_BLOB_ID_LEN + 1];
    size_t ndrops, cap;
};

/* Records that the running item's change stopped naming blob_id; the writer unlinks it after the
 * batch commits, if the item's savepoint was released and no committed row still names it.
 * -ENOMEM (the caller must then fail, so the change is rolled back and nothing leaks). */
int store__txn_drop_blob(struct store_txn *t, const char *blob_id) WUR;

enum account_by {
    ACCOUNT_BY_ID,
    ACCOUNT_BY_CANONICAL,
    ACCOUNT_BY_EMAIL,
    ACCOUNT_FIRST, /* value ignored: the first account created */
};

/*
 * A metadata back end. `be` is the state open() returned. Read slots that take a
 * `struct store_txn *t` read through that transaction when t is non-NULL (writer thread, inside
 * apply) and through the calling thread's own read snapshot when t is NULL. Write slots always
 * run inside t's transaction and must refuse to run when it is gone (so a write can never
 * autocommit on its own). Every slot returns 0 or a negative errno as store.h describes.
 */
struct meta_backend {
    /* Short name for logs ("sqlite"). */
    const char *name;
    /* Opens (creating) the metadata of data directory dir and migrates its schema to the newest
     * version; called once by store_open() before the writer thread starts. */
    int (*open)(const char *dir, void **be);
    /* Closes every connection the back end holds (read connections of all threads, then the
     * write connection) and frees be. No other call may be running or follow. */
    void (*close)(void *be);
    /* 1 when a row visible to the write connection names blob_id (an object segment or an
     * upload part), 0 when none, or -errno. Called by the orphan sweep before the writer starts
     * and by the writer inside a batch, before COMMIT, to spare blobs still named. */
    int (*blob_referenced)(void *be, const char *blob_id);

    /* Group commit; writer thread only, in this order: batch_begin, then per item item_begin
     * + item_end, then batch_commit (or batch_rollback). */
    /* Starts the batch transaction, taking the write lock now (BEGIN IMMEDIATE). */
    int (*batch_begin)(void *be);
    /* Opens the item's savepoint. */
    int (*item_begin)(void *be);
    /* keep: releases the savepoint; !keep: rolls back to it and releases it. */
    int (*item_end)(void *be, bool keep);
    /* True when the engine itself rolled the whole batch back (I/O error, disk full, out of
     * memory): every earlier item's changes are gone too. */
    bool (*batch_aborted)(void *be);
    /* Commits the batch; durable on return (one fsync). On failure the batch is still open. */
    int (*batch_commit)(void *be);
    /* Rolls the batch back if it is still open. */
    void (*batch_rollback)(void *be);

    /* Accounts and access keys. */
    int (*account_get)(void *be, enum account_by by, const char *value, struct account *out);
    int (*account_count)(void *be, int64_t *out);
    int (*account_create)(void *be, struct store_txn *t, const struct account *a);
    int (*key_get)(void *be, const char *access_key, struct access_key *out);
    int (*key_create)(void *be, struct store_txn *t, const struct access_key *k);
    /* An IAM user's keys (store.h); reads through t when not NULL. */
    int (*key_list)(void *be, struct store_txn *t, const char *account, const char *user,
                    struct access_key **out, size_t *n);
    int (*key_set_active)(void *be, struct store_txn *t, const char *access_key, bool active);
    int (*key_delete)(void *be, struct store_txn *t, const char *access_key);

    /* Buckets and their configuration documents. */
    int (*bucket_get)(void *be, struct store_txn *t, const char *name, struct bucket *out);
    int (*bucket_list)(void *be, const char *owner, const char *prefix, const char *start_after,
                       size_t max, struct bucket **out, size_t *n);
    int (*bucket_create)(void *be, struct store_txn *t, struct bucket *b);
    int (*bucket_delete)(void *be, struct store_txn *t, int64_t bucket_id);
    int (*bucket_set_acl)(void *be, struct store_txn *t, int64_t bucket_id, const char *acl);
    /* 1 when the bucket holds no object and no upload, 0 when it does. */
    int (*bucket_is_empty)(void *be, int64_t bucket_id);
    int (*config_get)(void *be, int64_t bucket_id, const char *name, char **value);
    int (*config_set)(void *be, struct store_txn *t, int64_t bucket_id, const char *name,
                      const char *value);
    /* Account documents (store.h); doc_get reads through t when not NULL. */
    int (*doc_get)(void *be, struct store_txn *t, const char *kind, const char *account,
                   const char *name, char **value);
    int (*doc_set)(void *be, struct store_txn *t, const char *kind, const char *account,
                   const char *name, const char *value);
    int (*doc_list)(void *be, const char *kind, const char *account, struct store_doc **out,
                    size_t *n);
    /* Deletes at most max documents whose "ExpiresMs" < before_ms; returns the count. */
    int (*doc_prune)(void *be, struct store_txn *t, const char *kind, const char *account,
                     int64_t before_ms, size_t max);

    /* Objects. put and delete record the blobs they stop naming with store__txn_drop_blob(). */
    int (*object_get)(void *be, struct store_txn *t, int64_t bucket_id, const char *key,
                      struct object_meta *out);
    int (*object_put)(void *be, struct store_txn *t, struct object_meta *m);
    int (*object_delete)(void *be, struct store_txn *t, int64_t bucket_id, const char *key);
    int (*object_set_acl)(void *be, struct store_txn *t, int64_t object_id, const char *acl);
    int (*object_list)(void *be, int64_t bucket_id, const struct list_params *p,
                       struct list_result *out);

    /* Multipart uploads and parts. part_put and upload_delete record dropped blobs. */
    int (*upload_get)(void *be, struct store_txn *t, const char *upload_id, struct upload *out);
    int (*upload_create)(void *be, struct store_txn *t, const struct upload *u);
    int (*upload_delete)(void *be, struct store_txn *t, const char *upload_id,
                         const char *const *keep_blobs, size_t nkeep);
    int (*upload_list)(void *be, int64_t bucket_id, const struct upload_list_params *p,
                       struct upload_list *out);
    int (*part_put)(void *be, struct store_txn *t, const char *upload_id, const struct part *p);
    /* t NULL: parts numbered > after, at most max (0 = all); t set: all parts (after 0, max 0). */
    int (*part_list)(void *be, struct store_txn *t, const char *upload_id, int after, size_t max,
                     struct part **out, size_t *n);

    /* The event journal. append sets e->seq; a management row's resources JSON must be an array
     * of {ResourceType, ResourceName} objects (-EINVAL otherwise), a data row's is stored as
     * given. lookup: -EINVAL for an attr_key not among the eight; max 0 = no limit. prune
     * removes at most STORE_EVENT_PRUNE_MAX rows and returns how many. */
    int (*event_append)(void *be, struct store_txn *t, struct event_row *e);
    int (*event_lookup)(void *be, const struct event_query *q, struct event_row **out,
                        size_t *n);
    /* The highest seq ever assigned (0 for none), through t when not NULL. */
    int (*event_last_seq)(void *be, struct store_txn *t, int64_t *seq);
    int (*event_scan)(void *be, int64_t after_seq, size_t max, struct event_row **out,
                      size_t *n);
    int (*event_prune)(void *be, struct store_txn *t, int64_t before_ms);
    /* Data rows with seq <= upto_seq and older than before_ms, at most STORE_EVENT_PRUNE_MAX;
     * the count removed. */
    int (*event_prune_data)(void *be, struct store_txn *t, int64_t upto_seq, int64_t before_ms);
};

extern const struct meta_backend store__meta_sqlite;

struct store_work; /* writer.c */

struct store {
    char *dir;
    int lock_fd; /* <dir>/lock, flock()ed: one process per data directory */
    const struct meta_backend *meta;
    void *be;
    /* Serialises fan-out directory creation (blob.c), so no thread can rename a blob into a
     * directory whose own entry another thread created but has not yet made durable. */
    pthread_mutex_t fanout_mu;
    /* SSE-S3's master key (<dir>/master.key, sse.h), loaded or created by store_open() before
     * anything can read or write a body; constant afterwards, so readable from any thread. */
    unsigned char master_key[32];

    /* The writer (writer.c). mu guards the queue, `stopping` and `stats`. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t writer;
    bool writer_running;
    bool stopping;
    struct store_work *head, *tail;
    struct store_stats stats;
};

/* writer.c */
int store__writer_start(struct store *st) WUR;
/* Drains the queue (every queued item's done runs), then joins the writer. */
void store__writer_stop(struct store *st);

/* blob.c */
/* Creates <dir>/blobs and <dir>/tmp (0700) if missing. */
int store__blob_init_dirs(struct store *st) WUR;
/* Removes everything in <dir>/tmp and every blob file no committed row names. Runs in
 * store_open() before the writer starts, so no blob can be in flight. */
int store__blob_sweep(struct store *st) WUR;
/* Unlinks a blob after the commit that dropped it; 0, or -errno other than ENOENT. */
int store__blob_unlink(struct store *st, const char *blob_id);
/* True for exactly 32 lower-case hex digits. */
bool store__blob_id_valid(const char *id);

/* sse.c */
/* Loads <dir>/master.key into st->master_key, creating it first when absent (sse.h tells how).
 * -EINVAL (and a log line) when the file is not exactly 32 bytes. Needs <dir>/tmp. */
int store__sse_master_init(struct store *st) WUR;

#endif
