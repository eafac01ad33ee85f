/*
 * store — the public entry points (store.h) and the store's lifecycle. Reads and transactional
 * calls dispatch to the metadata back end through st->meta; bodies are in blob.c, the writer in
 * writer.c.
 */
#include "store/store_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Temp paths are "<dir>/tmp/<32 hex>" in struct blob_writer's 512-byte tmp_path. */
#define DIR_MAX (sizeof(((struct blob_writer *)0)->tmp_path) - sizeof "/tmp/" - STORE_BLOB_ID_LEN)

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *store_dir(const struct store *st)
{
    return st->dir;
}

/* Every process that opens the data directory holds a shared flock on <dir>/lock for its
 * lifetime. The orphan sweep deletes temp files and unnamed blobs, which would destroy another
 * process's in-flight bodies, so it runs only when the lock can be taken exclusively (nobody else
 * has the directory open); the lock is then downgraded to shared. This lets `s3trail admin` work
 * on the data directory of a running server. The lock dies with the process, so a crash never
 * leaves it held. *sweep tells the caller whether it may sweep. */
static int lock_dir(struct store *st, bool *sweep)
{
    size_t n = strlen(st->dir) + sizeof "/lock";
    char *p = malloc(n);
    if (!p)
        return -ENOMEM;
    memcpy(p, st->dir, n - sizeof "/lock");
    memcpy(p + n - sizeof "/lock", "/lock", sizeof "/lock");
    st->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(p);
    if (st->lock_fd < 0)
        return -errno;
    *sweep = flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0;
    if (!*sweep && errno != EWOULDBLOCK)
        return -errno;
    if (!*sweep && flock(st->lock_fd, LOCK_SH) != 0)
        return -errno;
    return 0;
}

/* After the sweep: let other processes (admin commands) open the directory too. */
static int unlock_sweep(struct store *st)
{
    return flock(st->lock_fd, LOCK_SH) == 0 ? 0 : -errno;
}

static void store_free(struct store *st)
{
    if (st->be)
        st->meta->close(st->be);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    pthread_mutex_destroy(&st->fanout_mu);
    OPENSSL_cleanse(st->master_key, sizeof st->master_key);
    free(st->dir);
    free(st);
}

int store_open(const char *dir, struct store **out)
{
    *out = NULL;
    if (!dir || !dir[0])
        return -EINVAL;
    if (strlen(dir) > DIR_MAX)
        return -ENAMETOOLONG;
    struct store *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->lock_fd = -1;
    st->meta = &store__meta_sqlite;
    st->dir = strdup(dir);
    if (!st->dir) {
        free(st);
        return -ENOMEM;
    }
    if (pthread_mutex_init(&st->mu, NULL) != 0) {
        free(st->dir);
        free(st);
        return -ENOMEM;
    }
    if (pthread_mutex_init(&st->fanout_mu, NULL) != 0) {
        pthread_mutex_destroy(&st->mu);
        free(st->dir);
        free(st);
        return -ENOMEM;
    }
    if (pthread_cond_init(&st->cv, NULL) != 0) {
        pthread_mutex_destroy(&st->fanout_mu);
        pthread_mutex_destroy(&st->mu);
        free(st->dir);
        free(st);
        return -ENOMEM;
    }
    int rc = 0;
    bool sweep = false;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        rc = -errno;
    if (!rc)
        rc = lock_dir(st, &sweep);
    if (!rc)
        rc = store__blob_init_dirs(st);
    if (!rc)
        rc = store__sse_master_init(st);
    if (!rc)
        rc = st->meta->open(dir, &st->be);
    /* Before the writer starts: no blob can be in flight, so whatever no row names is an orphan
     * of a crash (or of a request that failed between its blob and its commit). */
    if (!rc && sweep)
        rc = store__blob_sweep(st);
    if (!rc && sweep)
        rc = unlock_sweep(st);
    if (!rc)
        rc = store__writer_start(st);
    if (rc) {
        store_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    store__writer_stop(st);
    store_free(st);
}

/* ---- accounts and keys --------------------------------------------------------------------- */

int store_account_get(struct store *st, const char *account_id, struct account *out)
{
    if (!account_id)
        return -EINVAL;
    return st->meta->account_get(st->be, ACCOUNT_BY_ID, account_id, out);
}

int store_account_by_canonical(struct store *st, const char *canonical_id, struct account *out)
{
    if (!canonical_id)
        return -EINVAL;
    return st->meta->account_get(st->be, ACCOUNT_BY_CANONICAL, canonical_id, out);
}

int store_account_by_email(struct store *st, const char *email, struct account *out)
{
    if (!email)
        return -EINVAL;
    if (!email[0])
        return -ENOENT;
    return st->meta->account_get(st->be, ACCOUNT_BY_EMAIL, email, out);
}

int store_account_default(struct store *st, struct account *out)
{
    return st->meta->account_get(st->be, ACCOUNT_FIRST, NULL, out);
}

int store_account_count(struct store *st, int64_t *out)
{
    return st->meta->account_count(st->be, out);
}

int store_key_get(struct store *st, const char *access_key, struct access_key *out)
{
    if (!access_key)
        return -EINVAL;
    return st->meta->key_get(st->be, access_key, out);
}

int store_txn_account_create(struct store_txn *t, const struct account *a)
{
    if (!t || !a || !a->id[0] || !a->canonical_id[0])
        return -EINVAL;
    return t->st->meta->account_create(t->st->be, t, a);
}

int store_txn_key_create(struct store_txn *t, const struct access_key *k)
{
    if (!t || !k || !k->access_key[0] || !k->account_id[0])
        return -EINVAL;
    return t->st->meta->key_create(t->st->be, t, k);
}

int store_key_list_user(struct store *st, const char *account_id, const char *user_name,
                        struct access_key **out, size_t *n)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!account_id || !user_name || !out || !n)
        return -EINVAL;
    return st->meta->key_list(st->be, NULL, account_id, user_name, out, n);
}

int store_txn_key_list_user(struct store_txn *t, const char *account_id, const char *user_name,
                            struct access_key **out, size_t *n)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!t || !account_id || !user_name || !out || !n)
        return -EINVAL;
    return t->st->meta->key_list(t->st->be, t, account_id, user_name, out, n);
}

int store_txn_key_set_active(struct store_txn *t, const char *access_key, bool active)
{
    if (!t || !access_key)
        return -EINVAL;
    return t->st->meta->key_set_active(t->st->be, t, access_key, active);
}

int store_txn_key_delete(struct store_txn *t, const char *access_key)
{
    if (!t || !access_key)
        return -EINVAL;
    return t->st->meta->key_delete(t->st->be, t, access_key);
}

/* ---- buckets ------------------------------------------------------------------------------- */

void store_bucket_free(struct bucket *b)
{
    if (!b)
        return;
    free(b->acl);
    b->acl = NULL;
    free(b->policy);
    b->policy = NULL;
    b->policy_loaded = false;
}

int store_bucket_get(struct store *st, const char *name, struct bucket *out)
{
    if (!name)
        return -EINVAL;
    return st->meta->bucket_get(st->be, NULL, name, out);
}

int store_txn_bucket_get(struct store_txn *t, const char *name, struct bucket *out)
{
    if (!t || !name)
        return -EINVAL;
    return t->st->meta->bucket_get(t->st->be, t, name, out);
}

int store_bucket_list(struct store *st, const char *owner_account, const char *prefix,
                      const char *start_after, size_t max, struct bucket **out, size_t *n)
{
    if (!owner_account || !out || !n)
        return -EINVAL;
    return st->meta->bucket_list(st->be, owner_account, prefix, start_after, max, out, n);
}

int store_txn_bucket_create(struct store_txn *t, struct bucket *b)
{
    if (!t || !b || !b->name[0] || !b->owner_account[0])
        return -EINVAL;
    return t->st->meta->bucket_create(t->st->be, t, b);
}

int store_txn_bucket_delete(struct store_txn *t, int64_t bucket_id)
{
    if (!t)
        return -EINVAL;
    return t->st->meta->bucket_delete(t->st->be, t, bucket_id);
}

int store_txn_bucket_set_acl(struct store_txn *t, int64_t bucket_id, const char *acl)
{
    if (!t)
        return -EINVAL;
    return t->st->meta->bucket_set_acl(t->st->be, t, bucket_id, acl);
}

int store_bucket_is_empty(struct store *st, int64_t bucket_id)
{
    return st->meta->bucket_is_empty(st->be, bucket_id);
}

int store_bucket_config_get(struct store *st, int64_t bucket_id, const char *name, char **value)
{
    if (!name || !value)
        return -EINVAL;
    return st->meta->config_get(st->be, bucket_id, name, value);
}

int store_txn_bucket_config_set(struct store_txn *t, int64_t bucket_id, const char *name,
                                const char *value)
{
    if (!t || !name || !name[0])
        return -EINVAL;
    return t->st->meta->config_set(t->st->be, t, bucket_id, name, value);
}

/* ---- objects ------------------------------------------------------------------------------- */

void store_object_free(struct object_meta *m)
{
    if (!m)
        return;
    free(m->key);
    free(m->headers);
    free(m->acl);
    free(m->inline_data);
    free(m->segs);
    free(m->sse);
    m->key = m->headers = m->acl = m->sse = NULL;
    m->inline_data = NULL;
    m->segs = NULL;
    m->inline_len = m->nsegs = 0;
}

int store_object_get(struct store *st, int64_t bucket_id, const char *key, struct object_meta *out)
{
    if (!key || !out)
        return -EINVAL;
    return st->meta->object_get(st->be, NULL, bucket_id, key, out);
}

int store_txn_object_get(struct store_txn *t, int64_t bucket_id, const char *key,
                         struct object_meta *out)
{
    if (!t || !key || !out)
        return -EINVAL;
    return t->st->meta->object_get(t->st->be, t, bucket_id, key, out);
}

int store_txn_object_put(struct store_txn *t, struct object_meta *m)
{
    if (!t || !m)
        return -EINVAL;
    return t->st->meta->object_put(t->st->be, t, m);
}

int store_txn_object_delete(struct store_txn *t, int64_t bucket_id, const char *key)
{
    if (!t || !key)
        return -EINVAL;
    return t->st->meta->object_delete(t->st->be, t, bucket_id, key);
}

int store_txn_object_set_acl(struct store_txn *t, int64_t object_id, const char *acl)
{
    if (!t)
        return -EINVAL;
    return t->st->meta->object_set_acl(t->st->be, t, object_id, acl);
}

void store_list_free(struct list_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].key);
    free(r->v);
    free(r->next_marker);
    memset(r, 0, sizeof *r);
}

int store_object_list(struct store *st, int64_t bucket_id, const struct list_params *p,
                      struct list_result *out)
{
    if (!p || !out)
        return -EINVAL;
    return st->meta->object_list(st->be, bucket_id, p, out);
}

/* ---- multipart uploads --------------------------------------------------------------------- */

void store_upload_free(struct upload *u)
{
    if (!u)
        return;
    free(u->key);
    free(u->headers);
    free(u->acl);
    u->key = u->headers = u->acl = NULL;
}

int store_upload_get(struct store *st, const char *upload_id, struct upload *out)
{
    if (!upload_id || !out)
        return -EINVAL;
    return st->meta->upload_get(st->be, NULL, upload_id, out);
}

int store_txn_upload_get(struct store_txn *t, const char *upload_id, struct upload *out)
{
    if (!t || !upload_id || !out)
        return -EINVAL;
    return t->st->meta->upload_get(t->st->be, t, upload_id, out);
}

int store_txn_upload_create(struct store_txn *t, const struct upload *u)
{
    if (!t || !u)
        return -EINVAL;
    return t->st->meta->upload_create(t->st->be, t, u);
}

int store_txn_part_put(struct store_txn *t, const char *upload_id, const struct part *p)
{
    if (!t || !upload_id || !p)
        return -EINVAL;
    return t->st->meta->part_put(t->st->be, t, upload_id, p);
}

int store_part_list(struct store *st, const char *upload_id, int after, size_t max,
                    struct part **out, size_t *n)
{
    if (!upload_id || !out || !n)
        return -EINVAL;
    return st->meta->part_list(st->be, NULL, upload_id, after, max, out, n);
}

int store_txn_part_list(struct store_txn *t, const char *upload_id, struct part **out, size_t *n)
{
    if (!t || !upload_id || !out || !n)
        return -EINVAL;
    return t->st->meta->part_list(t->st->be, t, upload_id, 0, 0, out, n);
}

int store_txn_upload_delete(struct store_txn *t, const char *upload_id,
                            const char *const *keep_blobs, size_t nkeep)
{
    if (!t || !upload_id || (nkeep && !keep_blobs))
        return -EINVAL;
    return t->st->meta->upload_delete(t->st->be, t, upload_id, keep_blobs, nkeep);
}

void store_upload_list_free(struct upload_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].key);
    free(l->v);
    free(l->next_key_marker);
    memset(l, 0, sizeof *l);
}

int store_upload_list(struct store *st, int64_t bucket_id, const struct upload_list_params *p,
                      struct upload_list *out)
{
    if (!p || !out)
        return -EINVAL;
    return st->meta->upload_list(st->be, bucket_id, p, out);
}

/* ---- the event journal --------------------------------------------------------------------- */

void store_event_rows_free(struct event_row *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].resources);
        free(v[i].record);
    }
    free(v);
}

int store_txn_event_append(struct store_txn *t, struct event_row *e)
{
    if (!t || !e || !e->record || !e->event_id[0] || !e->region[0] || !e->event_name[0] ||
        !e->event_source[0])
        return -EINVAL;
    return t->st->meta->event_append(t->st->be, t, e);
}

int store_event_lookup(struct store *st, const struct event_query *q, struct event_row **out,
                       size_t *n)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!q || !out || !n || !q->account_id || !q->region)
        return -EINVAL;
    if (q->attr_key && !q->attr_value)
        return -EINVAL;
    return st->meta->event_lookup(st->be, q, out, n);
}

int store_event_scan(struct store *st, int64_t after_seq, size_t max, struct event_row **out,
                     size_t *n)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!out || !n)
        return -EINVAL;
    return st->meta->event_scan(st->be, after_seq, max, out, n);
}

int store_txn_event_prune(struct store_txn *t, int64_t before_ms)
{
    if (!t)
        return -EINVAL;
    return t->st->meta->event_prune(t->st->be, t, before_ms);
}

/* ---- account documents ----------------------------------------------------------------------- */

void store_docs_free(struct store_doc *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
}

int store_doc_get(struct store *st, const char *kind, const char *account, const char *name,
                  char **value)
{
    return st->meta->doc_get(st->be, NULL, kind, account, name, value);
}

int store_txn_doc_get(struct store_txn *t, const char *kind, const char *account,
                      const char *name, char **value)
{
    return t->st->meta->doc_get(t->st->be, t, kind, account, name, value);
}

int store_txn_doc_set(struct store_txn *t, const char *kind, const char *account,
                      const char *name, const char *value)
{
    return t->st->meta->doc_set(t->st->be, t, kind, account, name, value);
}

int store_doc_list(struct store *st, const char *kind, const char *account,
                   struct store_doc **out, size_t *n)
{
    return st->meta->doc_list(st->be, kind, account, out, n);
}

int store_txn_doc_prune_expired(struct store_txn *t, const char *kind, const char *account,
                                int64_t before_ms, size_t max)
{
    if (!t || !kind || !account)
        return -EINVAL;
    return t->st->meta->doc_prune(t->st->be, t, kind, account, before_ms, max);
}

int store_event_last_seq(struct store *st, int64_t *seq)
{
    return st->meta->event_last_seq(st->be, NULL, seq);
}

int store_txn_event_last_seq(struct store_txn *t, int64_t *seq)
{
    return t->st->meta->event_last_seq(t->st->be, t, seq);
}

int store_txn_event_prune_data(struct store_txn *t, int64_t upto_seq, int64_t before_ms)
{
    return t->st->meta->event_prune_data(t->st->be, t, upto_seq, before_ms);
}
