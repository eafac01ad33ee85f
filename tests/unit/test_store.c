/*
 * Tests of src/store: accounts, buckets, objects, listing (checked page by page against a
 * brute-force model), multipart uploads, unlink-after-commit, the orphan sweep, group commit and
 * concurrent readers. Each test works in its own temporary data directory.
 */
#include "fixture.h"
#include "unit.h"

#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static void rm_rf(const char *dir)
{
    unit_rmtree(dir);
}

struct fixture {
    char dir[64];
    struct store *st;
    int64_t bucket_id;
};

static int apply_account(struct store_txn *t, void *arg)
{
    const struct account *a = arg;
    return store_txn_account_create(t, a);
}

static int apply_bucket(struct store_txn *t, void *arg)
{
    return store_txn_bucket_create(t, arg);
}

static void make_account(struct store *st, const char *id)
{
    struct account a = {.created_ms = 1};
    snprintf(a.id, sizeof a.id, "%s", id);
    snprintf(a.canonical_id, sizeof a.canonical_id, "canon-%s", id);
    snprintf(a.display_name, sizeof a.display_name, "name-%s", id);
    snprintf(a.email, sizeof a.email, "%s@example.com", id);
    CHECK_EQ_INT(store_submit_wait(st, apply_account, &a), 0);
}

/* Opens a fresh data directory with one account "111111111111" and (if bucket) bucket "bkt". */
static bool setup(struct fixture *f, bool bucket)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/s3trail-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        CHECK(!"mkdtemp");
        return false;
    }
    int rc = store_open(f->dir, &f->st);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        return false;
    make_account(f->st, "111111111111");
    if (bucket) {
        struct bucket b = {0};
        snprintf(b.name, sizeof b.name, "bkt");
        snprintf(b.owner_account, sizeof b.owner_account, "111111111111");
        snprintf(b.region, sizeof b.region, "us-east-1");
        CHECK_EQ_INT(store_submit_wait(f->st, apply_bucket, &b), 0);
        f->bucket_id = b.id;
        CHECK(b.id > 0);
    }
    return true;
}

static void teardown(struct fixture *f)
{
    store_close(f->st);
    f->st = NULL;
    rm_rf(f->dir);
}

/* Writes a finished blob holding `text`; returns its id in id. */
static void make_blob(struct store *st, const char *text, char id[33])
{
    struct blob_writer w;
    CHECK_EQ_INT(store_blob_begin(st, &w), 0);
    CHECK_EQ_INT(store_blob_write(&w, text, strlen(text)), 0);
    CHECK_EQ_INT(w.size, strlen(text));
    memcpy(id, w.id, 33);
    CHECK_EQ_INT(store_blob_finish(st, &w), 0);
    store_blob_abort(st, &w); /* no-op after finish */
}

static bool blob_exists(struct store *st, const char *id)
{
    int fd = store_blob_open(st, id);
    if (fd >= 0) {
        close(fd);
        return true;
    }
    return false;
}

static void blob_read(struct store *st, const char *id, char *out, size_t size)
{
    int fd = store_blob_open(st, id);
    CHECK(fd >= 0);
    if (fd < 0) {
        out[0] = '\0';
        return;
    }
    ssize_t n = read(fd, out, size - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
}

/* A put of one object: inline text, or segments naming blobs. */
struct put {
    int64_t bucket_id;
    const char *key;
    const char *inline_text;
    const char *blobs[4];
    size_t nblobs;
    int fail_after; /* nonzero: apply returns this after the put (rolls it back) */
    int64_t id_out;
};

static void fill_meta(struct object_meta *m, const struct put *p, struct segment *segs)
{
    memset(m, 0, sizeof *m);
    m->bucket_id = p->bucket_id;
    m->key = (char *)p->key;
    m->mtime_ms = 1000;
    snprintf(m->etag, sizeof m->etag, "d41d8cd98f00b204e9800998ecf8427e");
    snprintf(m->owner_account, sizeof m->owner_account, "111111111111");
    m->headers = (char *)"{\"content-type\":\"text/plain\"}";
    if (p->inline_text) {
        m->inline_data = (unsigned char *)p->inline_text;
        m->inline_len = strlen(p->inline_text);
        m->size = m->inline_len;
    }
    for (size_t i = 0; i < p->nblobs; i++) {
        memset(&segs[i], 0, sizeof segs[i]);
        snprintf(segs[i].blob_id, sizeof segs[i].blob_id, "%s", p->blobs[i]);
        segs[i].size = 5;
        segs[i].part_number = p->nblobs > 1 ? (int)i + 1 : 0;
        m->size += 5;
    }
    m->segs = p->nblobs ? segs : NULL;
    m->nsegs = p->nblobs;
}

static int apply_put(struct store_txn *t, void *arg)
{
    struct put *p = arg;
    struct object_meta m;
    struct segment segs[4];
    fill_meta(&m, p, segs);
    int rc = store_txn_object_put(t, &m);
    if (rc)
        return rc;
    p->id_out = m.id;
    return p->fail_after;
}

struct del {
    int64_t bucket_id;
    const char *key;
};

static int apply_delete(struct store_txn *t, void *arg)
{
    struct del *d = arg;
    return store_txn_object_delete(t, d->bucket_id, d->key);
}

/* ---- accounts and keys -------------------------------------------------------------------- */

static int apply_key(struct store_txn *t, void *arg)
{
    return store_txn_key_create(t, arg);
}

TEST(store_accounts_keys)
{
    struct fixture f;
    if (!setup(&f, false))
        return;
    struct account a;
    CHECK_EQ_INT(store_account_get(f.st, "111111111111", &a), 0);
    CHECK_EQ_STR(a.canonical_id, "canon-111111111111");
    CHECK_EQ_STR(a.email, "111111111111@example.com");
    CHECK_EQ_INT(store_account_get(f.st, "999999999999", &a), -ENOENT);
    CHECK_EQ_INT(store_account_by_canonical(f.st, "canon-111111111111", &a), 0);
    CHECK_EQ_STR(a.id, "111111111111");
    CHECK_EQ_INT(store_account_by_email(f.st, "111111111111@example.com", &a), 0);
    CHECK_EQ_INT(store_account_by_email(f.st, "nobody@example.com", &a), -ENOENT);

    make_account(f.st, "222222222222");
    struct account dup = {.created_ms = 5};
    snprintf(dup.id, sizeof dup.id, "222222222222");
    snprintf(dup.canonical_id, sizeof dup.canonical_id, "other");
    CHECK_EQ_INT(store_submit_wait(f.st, apply_account, &dup), -EEXIST);
    int64_t n = 0;
    CHECK_EQ_INT(store_account_count(f.st, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(store_account_default(f.st, &a), 0);
    CHECK_EQ_STR(a.id, "111111111111");

    struct access_key k = {.active = true, .created_ms = 7};
    snprintf(k.access_key, sizeof k.access_key, "AKIAEXAMPLE");
    snprintf(k.secret, sizeof k.secret, "secret/with+chars");
    snprintf(k.account_id, sizeof k.account_id, "111111111111");
    CHECK_EQ_INT(store_submit_wait(f.st, apply_key, &k), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_key, &k), -EEXIST);
    struct access_key g;
    CHECK_EQ_INT(store_key_get(f.st, "AKIAEXAMPLE", &g), 0);
    CHECK_EQ_STR(g.secret, "secret/with+chars");
    CHECK_EQ_STR(g.account_id, "111111111111");
    CHECK_EQ_STR(g.user_name, "");
    CHECK(g.active);
    CHECK_EQ_INT(g.created_ms, 7);
    CHECK_EQ_INT(store_key_get(f.st, "AKIANOPE", &g), -ENOENT);
    /* A key of an account that does not exist. */
    snprintf(k.access_key, sizeof k.access_key, "AKIAORPHAN");
    snprintf(k.account_id, sizeof k.account_id, "333333333333");
    CHECK_EQ_INT(store_submit_wait(f.st, apply_key, &k), -ENOENT);
    teardown(&f);
}

/* An IAM user's keys: listed oldest first (tie broken by key id), deactivated, deleted; reads
 * through a transaction see the transaction's own writes. */
struct keyop {
    const char *key;
    int op; /* 0 deactivate, 1 activate, 2 delete, 3 delete then list in the txn */
    size_t listed;
};

static int apply_keyop(struct store_txn *t, void *arg)
{
    struct keyop *o = arg;
    if (o->op <= 1)
        return store_txn_key_set_active(t, o->key, o->op == 1);
    int rc = store_txn_key_delete(t, o->key);
    if (rc || o->op == 2)
        return rc;
    struct access_key *v;
    rc = store_txn_key_list_user(t, "111111111111", "bob", &v, &o->listed);
    free(v);
    return rc;
}

TEST(store_user_keys)
{
    struct fixture f;
    if (!setup(&f, false))
        return;
    const char *ids[] = {"AKIAB2", "AKIAB1", "AKIAROOT"};
    const char *users[] = {"bob", "bob", ""};
    for (int i = 0; i < 3; i++) {
        struct access_key k = {.active = true, .created_ms = i == 2 ? 1 : 10};
        snprintf(k.access_key, sizeof k.access_key, "%s", ids[i]);
        snprintf(k.secret, sizeof k.secret, "s%d", i);
        snprintf(k.account_id, sizeof k.account_id, "111111111111");
        snprintf(k.user_name, sizeof k.user_name, "%s", users[i]);
        CHECK_EQ_INT(store_submit_wait(f.st, apply_key, &k), 0);
    }
    struct access_key *v = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_key_list_user(f.st, "111111111111", "bob", &v, &n), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) { /* same creation time: key order */
        CHECK_EQ_STR(v[0].access_key, "AKIAB1");
        CHECK_EQ_STR(v[1].access_key, "AKIAB2");
        CHECK_EQ_STR(v[1].secret, "s0");
        CHECK(v[0].active);
    }
    free(v);
    CHECK_EQ_INT(store_key_list_user(f.st, "111111111111", "", &v, &n), 0);
    CHECK_EQ_INT(n, 1);
    free(v);
    CHECK_EQ_INT(store_key_list_user(f.st, "111111111111", "nobody", &v, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK(v == NULL);
    CHECK_EQ_INT(store_key_list_user(f.st, NULL, "bob", &v, &n), -EINVAL);

    struct keyop o = {.key = "AKIAB1", .op = 0};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_keyop, &o), 0);
    struct access_key g;
    CHECK_EQ_INT(store_key_get(f.st, "AKIAB1", &g), 0);
    CHECK(!g.active);
    o.op = 1;
    CHECK_EQ_INT(store_submit_wait(f.st, apply_keyop, &o), 0);
    CHECK_EQ_INT(store_key_get(f.st, "AKIAB1", &g), 0);
    CHECK(g.active);
    o.key = "AKIANONE";
    CHECK_EQ_INT(store_submit_wait(f.st, apply_keyop, &o), -ENOENT);
    o.op = 2;
    CHECK_EQ_INT(store_submit_wait(f.st, apply_keyop, &o), -ENOENT);
    o = (struct keyop){.key = "AKIAB2", .op = 3, .listed = 99};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_keyop, &o), 0);
    CHECK_EQ_INT(o.listed, 1);
    CHECK_EQ_INT(store_key_get(f.st, "AKIAB2", &g), -ENOENT);
    teardown(&f);
}

/* Bounded prune of documents by their "ExpiresMs". */
struct prune {
    int64_t before;
    size_t max;
    int removed;
};

static int apply_docs(struct store_txn *t, void *arg)
{
    (void)arg;
    char name[16], value[64];
    int rc = 0;
    for (int i = 0; !rc && i < 10; i++) {
        snprintf(name, sizeof name, "d%d", i);
        snprintf(value, sizeof value, "{\"ExpiresMs\":%d}", i * 100);
        rc = store_txn_doc_set(t, "k", "", name, value);
    }
    if (!rc) /* no ExpiresMs: never pruned */
        rc = store_txn_doc_set(t, "k", "", "keep", "{\"x\":1}");
    if (!rc) /* another kind */
        rc = store_txn_doc_set(t, "other", "", "o", "{\"ExpiresMs\":0}");
    return rc;
}

static int apply_prune(struct store_txn *t, void *arg)
{
    struct prune *p = arg;
    p->removed = store_txn_doc_prune_expired(t, "k", "", p->before, p->max);
    return p->removed < 0 ? p->removed : 0;
}

TEST(store_doc_prune)
{
    struct fixture f;
    if (!setup(&f, false))
        return;
    CHECK_EQ_INT(store_submit_wait(f.st, apply_docs, NULL), 0);
    struct prune p = {.before = 550, .max = 4};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_prune, &p), 0);
    CHECK_EQ_INT(p.removed, 4); /* six are expired (0..500), at most four go */
    p.max = 10;
    CHECK_EQ_INT(store_submit_wait(f.st, apply_prune, &p), 0);
    CHECK_EQ_INT(p.removed, 2);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_prune, &p), 0);
    CHECK_EQ_INT(p.removed, 0);
    struct store_doc *v;
    size_t n;
    CHECK_EQ_INT(store_doc_list(f.st, "k", "", &v, &n), 0);
    CHECK_EQ_INT(n, 5); /* d6..d9 and keep */
    store_docs_free(v, n);
    CHECK_EQ_INT(store_doc_list(f.st, "other", "", &v, &n), 0);
    CHECK_EQ_INT(n, 1);
    store_docs_free(v, n);
    teardown(&f);
}

/* ---- buckets ------------------------------------------------------------------------------ */

static int apply_bucket_delete(struct store_txn *t, void *arg)
{
    return store_txn_bucket_delete(t, *(int64_t *)arg);
}

struct cfg {
    int64_t bucket_id;
    const char *name, *value;
};

static int apply_config(struct store_txn *t, void *arg)
{
    struct cfg *c = arg;
    return store_txn_bucket_config_set(t, c->bucket_id, c->name, c->value);
}

static int apply_bucket_acl(struct store_txn *t, void *arg)
{
    struct cfg *c = arg;
    int rc = store_txn_bucket_set_acl(t, c->bucket_id, c->value);
    if (rc)
        return rc;
    struct bucket b;
    rc = store_txn_bucket_get(t, "bkt", &b); /* reads through the same transaction */
    if (rc)
        return rc;
    rc = b.acl && strcmp(b.acl, c->value) == 0 ? 0 : -EPROTO;
    store_bucket_free(&b);
    return rc;
}

static void new_bucket(struct store *st, const char *name, const char *owner, int expect)
{
    struct bucket b = {0};
    snprintf(b.name, sizeof b.name, "%s", name);
    snprintf(b.owner_account, sizeof b.owner_account, "%s", owner);
    snprintf(b.region, sizeof b.region, "eu-west-1");
    CHECK_EQ_INT(store_submit_wait(st, apply_bucket, &b), expect);
}

TEST(store_buckets)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    make_account(f.st, "222222222222");
    struct bucket b;
    CHECK_EQ_INT(store_bucket_get(f.st, "bkt", &b), 0);
    CHECK_EQ_INT(b.id, f.bucket_id);
    CHECK_EQ_STR(b.owner_account, "111111111111");
    CHECK_EQ_STR(b.region, "us-east-1");
    CHECK(b.created_ms > 0);
    CHECK(b.acl == NULL);
    store_bucket_free(&b);
    CHECK_EQ_INT(store_bucket_get(f.st, "nope", &b), -ENOENT);

    new_bucket(f.st, "bkt", "222222222222", -EEXIST); /* taken, by anyone */
    new_bucket(f.st, "alpha", "111111111111", 0);
    new_bucket(f.st, "alps", "111111111111", 0);
    new_bucket(f.st, "beta", "111111111111", 0);
    new_bucket(f.st, "other", "222222222222", 0);
    new_bucket(f.st, "ghost", "444444444444", -ENOENT); /* no such owner */

    struct bucket *v;
    size_t n;
    CHECK_EQ_INT(store_bucket_list(f.st, "111111111111", NULL, NULL, 0, &v, &n), 0);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK_EQ_STR(v[0].name, "alpha");
        CHECK_EQ_STR(v[1].name, "alps");
        CHECK_EQ_STR(v[2].name, "beta");
        CHECK_EQ_STR(v[3].name, "bkt");
    }
    for (size_t i = 0; i < n; i++)
        store_bucket_free(&v[i]);
    free(v);
    CHECK_EQ_INT(store_bucket_list(f.st, "111111111111", "al", "alpha", 10, &v, &n), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_EQ_STR(v[0].name, "alps");
    free(v);
    CHECK_EQ_INT(store_bucket_list(f.st, "111111111111", NULL, "alps", 1, &v, &n), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_EQ_STR(v[0].name, "beta");
    free(v);

    /* Configurations and ACL. */
    char *val = NULL;
    CHECK_EQ_INT(store_bucket_config_get(f.st, f.bucket_id, "policy", &val), -ENOENT);
    struct cfg c = {f.bucket_id, "policy", "{\"Version\":\"2012-10-17\"}"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_config, &c), 0);
    CHECK_EQ_INT(store_bucket_config_get(f.st, f.bucket_id, "policy", &val), 0);
    CHECK_EQ_STR(val, "{\"Version\":\"2012-10-17\"}");
    free(val);
    c.value = "{}";
    CHECK_EQ_INT(store_submit_wait(f.st, apply_config, &c), 0);
    CHECK_EQ_INT(store_bucket_config_get(f.st, f.bucket_id, "policy", &val), 0);
    CHECK_EQ_STR(val, "{}");
    free(val);
    c.value = NULL;
    CHECK_EQ_INT(store_submit_wait(f.st, apply_config, &c), 0);
    CHECK_EQ_INT(store_bucket_config_get(f.st, f.bucket_id, "policy", &val), -ENOENT);
    struct cfg bad = {987654, "cors", "<x/>"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_config, &bad), -ENOENT);
    struct cfg acl = {f.bucket_id, NULL, "{\"grants\":[]}"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_bucket_acl, &acl), 0);
    CHECK_EQ_INT(store_bucket_get(f.st, "bkt", &b), 0);
    CHECK_EQ_STR(b.acl, "{\"grants\":[]}");
    store_bucket_free(&b);

    /* Not empty with an object, then empty, then deleted (configs go with it). */
    c.value = "x";
    CHECK_EQ_INT(store_submit_wait(f.st, apply_config, &c), 0);
    CHECK_EQ_INT(store_bucket_is_empty(f.st, f.bucket_id), 1);
    struct put p = {.bucket_id = f.bucket_id, .key = "k", .inline_text = "hi"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &p), 0);
    CHECK_EQ_INT(store_bucket_is_empty(f.st, f.bucket_id), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_bucket_delete, &f.bucket_id), -ENOTEMPTY);
    struct del d = {f.bucket_id, "k"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_delete, &d), 0);
    CHECK_EQ_INT(store_bucket_is_empty(f.st, f.bucket_id), 1);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_bucket_delete, &f.bucket_id), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_bucket_delete, &f.bucket_id), -ENOENT);
    CHECK_EQ_INT(store_bucket_get(f.st, "bkt", &b), -ENOENT);
    new_bucket(f.st, "bkt", "222222222222", 0); /* the name is free again */
    teardown(&f);
}

/* ---- objects ------------------------------------------------------------------------------ */

static int apply_object_acl(struct store_txn *t, void *arg)
{
    struct put *p = arg;
    struct object_meta m;
    int rc = store_txn_object_get(t, p->bucket_id, p->key, &m);
    if (rc)
        return rc;
    rc = store_txn_object_set_acl(t, m.id, "{\"acl\":1}");
    store_object_free(&m);
    return rc;
}

TEST(store_objects)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    struct object_meta m;
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "a", &m), -ENOENT);

    /* Inline. */
    struct put p = {.bucket_id = f.bucket_id, .key = "a", .inline_text = "hello"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &p), 0);
    CHECK(p.id_out > 0);
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "a", &m), 0);
    CHECK_EQ_INT(m.id, p.id_out);
    CHECK_EQ_STR(m.key, "a");
    CHECK_EQ_INT(m.size, 5);
    CHECK_EQ_INT(m.inline_len, 5);
    CHECK(m.inline_data && memcmp(m.inline_data, "hello", 5) == 0);
    CHECK_EQ_INT(m.nsegs, 0);
    CHECK_EQ_STR(m.storage_class, "STANDARD");
    CHECK_EQ_STR(m.headers, "{\"content-type\":\"text/plain\"}");
    CHECK_EQ_STR(m.etag, "d41d8cd98f00b204e9800998ecf8427e");
    CHECK_EQ_INT(m.mtime_ms, 1000);
    CHECK(m.acl == NULL);
    store_object_free(&m);

    /* Replace with two segments. */
    char b1[33], b2[33], b3[33], buf[64];
    make_blob(f.st, "aaaaa", b1);
    make_blob(f.st, "bbbbb", b2);
    struct put q = {.bucket_id = f.bucket_id, .key = "a", .blobs = {b1, b2}, .nblobs = 2};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &q), 0);
    CHECK(q.id_out != p.id_out);
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "a", &m), 0);
    CHECK_EQ_INT(m.inline_len, 0);
    CHECK(m.inline_data == NULL);
    CHECK_EQ_INT(m.nsegs, 2);
    if (m.nsegs == 2) {
        CHECK_EQ_STR(m.segs[0].blob_id, b1);
        CHECK_EQ_STR(m.segs[1].blob_id, b2);
        CHECK_EQ_INT(m.segs[1].part_number, 2);
        blob_read(f.st, m.segs[1].blob_id, buf, sizeof buf);
        CHECK_EQ_STR(buf, "bbbbb");
    }
    store_object_free(&m);

    /* Replace again: the two old blobs are unlinked after the commit. */
    make_blob(f.st, "ccccc", b3);
    struct put r = {.bucket_id = f.bucket_id, .key = "a", .blobs = {b3}, .nblobs = 1};
    struct store_stats s0, s1;
    store_stats_get(f.st, &s0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &r), 0);
    store_stats_get(f.st, &s1);
    CHECK(!blob_exists(f.st, b1));
    CHECK(!blob_exists(f.st, b2));
    CHECK(blob_exists(f.st, b3));
    CHECK_EQ_INT(s1.blobs_unlinked - s0.blobs_unlinked, 2);

    /* ACL through a transaction read. */
    CHECK_EQ_INT(store_submit_wait(f.st, apply_object_acl, &r), 0);
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "a", &m), 0);
    CHECK_EQ_STR(m.acl, "{\"acl\":1}");
    store_object_free(&m);

    /* Put in a bucket that does not exist; a malformed blob id. */
    struct put nob = {.bucket_id = 424242, .key = "x", .inline_text = "x"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &nob), -ENOENT);
    const char *bad = "not-a-blob";
    struct put badp = {.bucket_id = f.bucket_id, .key = "y", .blobs = {bad}, .nblobs = 1};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &badp), -EINVAL);

    /* Delete: the blob goes after the commit. */
    struct del d = {f.bucket_id, "a"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_delete, &d), 0);
    CHECK(!blob_exists(f.st, b3));
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "a", &m), -ENOENT);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_delete, &d), -ENOENT);

    /* Empty object: no inline bytes, no segments. */
    struct put e = {.bucket_id = f.bucket_id, .key = "empty"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &e), 0);
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "empty", &m), 0);
    CHECK_EQ_INT(m.size, 0);
    CHECK_EQ_INT(m.nsegs, 0);
    CHECK_EQ_INT(m.inline_len, 0);
    store_object_free(&m);

    /* blob abort removes the temp file; blob discard removes a finished blob. */
    struct blob_writer w;
    CHECK_EQ_INT(store_blob_begin(f.st, &w), 0);
    CHECK_EQ_INT(store_blob_write(&w, "zz", 2), 0);
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", w.tmp_path);
    CHECK_EQ_INT(access(tmp, F_OK), 0);
    store_blob_abort(f.st, &w);
    CHECK(access(tmp, F_OK) != 0);
    store_blob_abort(f.st, &w);
    struct blob_writer z;
    memset(&z, 0, sizeof z);
    store_blob_abort(f.st, &z); /* zeroed: a no-op (and must not close fd 0) */
    CHECK(fcntl(0, F_GETFD) != -1 || errno != EBADF);
    char b4[33];
    make_blob(f.st, "ddddd", b4);
    CHECK(blob_exists(f.st, b4));
    store_blob_discard(f.st, b4);
    CHECK(!blob_exists(f.st, b4));
    CHECK_EQ_INT(store_blob_open(f.st, "../../etc/passwd"), -EINVAL);
    teardown(&f);
}

/* ---- rollback and unlink-after-commit ----------------------------------------------------- */

/* Holds the writer until released, so the items submitted meanwhile form one batch. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
};

struct gate_item {
    struct gate *g;
    int rc;
};

static int apply_gate(struct store_txn *t, void *arg)
{
    (void)t;
    struct gate *g = ((struct gate_item *)arg)->g;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return 0;
}

struct result {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
};

static void done_record(void *arg, int rc)
{
    *(int *)arg = rc;
}

static struct result *g_res;

static void done_count(void *arg, int rc)
{
    done_record(arg, rc);
    pthread_mutex_lock(&g_res->mu);
    g_res->n++;
    pthread_cond_broadcast(&g_res->cv);
    pthread_mutex_unlock(&g_res->mu);
}

struct item_put {
    struct put p;
    int rc;
};

static int apply_item_put(struct store_txn *t, void *arg)
{
    return apply_put(t, &((struct item_put *)arg)->p);
}

static void done_gate(void *arg, int rc)
{
    done_count(&((struct gate_item *)arg)->rc, rc);
}

static void done_item(void *arg, int rc)
{
    done_count(&((struct item_put *)arg)->rc, rc);
}

TEST(store_rollback_unlinks_nothing)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    char b1[33], b2[33], b3[33], b4[33], b5[33];
    make_blob(f.st, "one..", b1);
    make_blob(f.st, "two..", b2);
    make_blob(f.st, "three", b3);
    make_blob(f.st, "four.", b4);
    make_blob(f.st, "five.", b5);
    struct put p1 = {.bucket_id = f.bucket_id, .key = "x", .blobs = {b1}, .nblobs = 1};
    struct put p2 = {.bucket_id = f.bucket_id, .key = "y", .blobs = {b2}, .nblobs = 1};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &p1), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &p2), 0);

    /* Alone: a replace that fails after the put rolls back and unlinks nothing. */
    struct put bad = {
        .bucket_id = f.bucket_id, .key = "x", .blobs = {b3}, .nblobs = 1, .fail_after = -EPROTO};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &bad), -EPROTO);
    CHECK(blob_exists(f.st, b1));
    struct object_meta m;
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "x", &m), 0);
    CHECK(m.nsegs == 1 && strcmp(m.segs[0].blob_id, b1) == 0);
    store_object_free(&m);

    /* In one batch: [gate] [replace x: fails] [replace y: succeeds]. Only y's old blob goes. */
    struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
    struct result res = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    struct gate_item gi = {&g, 1};
    g_res = &res;
    CHECK_EQ_INT(store_submit(f.st, apply_gate, done_gate, &gi), 0);
    pthread_mutex_lock(&g.mu);
    while (!g.entered)
        pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    /* The gate is running inside a batch: these two queue for the next one. */
    struct store_stats s0, s1;
    store_stats_get(f.st, &s0);
    struct item_put ix = {
        {.bucket_id = f.bucket_id, .key = "x", .blobs = {b4}, .nblobs = 1, .fail_after = -EPROTO}};
    struct item_put iy = {{.bucket_id = f.bucket_id, .key = "y", .blobs = {b5}, .nblobs = 1}};
    CHECK_EQ_INT(store_submit(f.st, apply_item_put, done_item, &ix), 0);
    CHECK_EQ_INT(store_submit(f.st, apply_item_put, done_item, &iy), 0);
    pthread_mutex_lock(&g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_mutex_lock(&res.mu);
    while (res.n < 3)
        pthread_cond_wait(&res.cv, &res.mu);
    pthread_mutex_unlock(&res.mu);
    store_stats_get(f.st, &s1);
    CHECK_EQ_INT(gi.rc, 0);
    CHECK_EQ_INT(ix.rc, -EPROTO);
    CHECK_EQ_INT(iy.rc, 0);
    CHECK_EQ_INT(s1.commits - s0.commits, 2); /* the gate's batch, then x and y together */
    CHECK_EQ_INT(s1.items - s0.items, 3);
    CHECK(blob_exists(f.st, b1));  /* x kept its body */
    CHECK(!blob_exists(f.st, b2)); /* y's old body went */
    CHECK(blob_exists(f.st, b5));
    CHECK(blob_exists(f.st, b4)); /* the failed put's new blob is the caller's to discard */
    store_blob_discard(f.st, b4);
    g_res = NULL;
    teardown(&f);
}

/* A blob still named after the batch (here: the same item deletes then re-puts it under another
 * key) is not unlinked. */
struct move {
    int64_t bucket_id;
    const char *blob;
};

static int apply_move(struct store_txn *t, void *arg)
{
    struct move *mv = arg;
    int rc = store_txn_object_delete(t, mv->bucket_id, "from");
    if (rc)
        return rc;
    struct put p = {.bucket_id = mv->bucket_id, .key = "to", .blobs = {mv->blob}, .nblobs = 1};
    return apply_put(t, &p);
}

TEST(store_unlink_spares_named_blobs)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    char b[33];
    make_blob(f.st, "moved", b);
    struct put p = {.bucket_id = f.bucket_id, .key = "from", .blobs = {b}, .nblobs = 1};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &p), 0);
    struct move mv = {f.bucket_id, b};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_move, &mv), 0);
    CHECK(blob_exists(f.st, b));
    struct object_meta m;
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "to", &m), 0);
    store_object_free(&m);
    teardown(&f);
}

/* ---- listing ------------------------------------------------------------------------------ */

/* Puts many inline objects in one work item. */
struct bulk {
    int64_t bucket_id;
    char **keys;
    size_t n;
};

static int apply_bulk(struct store_txn *t, void *arg)
{
    struct bulk *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        struct put p = {.bucket_id = b->bucket_id, .key = b->keys[i], .inline_text = "x"};
        int rc = apply_put(t, &p);
        if (rc)
            return rc;
    }
    return 0;
}

static void put_keys(struct fixture *f, const char *const *keys, size_t n)
{
    struct bulk b = {f->bucket_id, (char **)keys, n};
    CHECK_EQ_INT(store_submit_wait(f->st, apply_bulk, &b), 0);
}

/* Formats a listing page as "k1,k2,P:cp1/,..." with truncated/next marker: easy to compare. */
static char *fmt_list(const struct list_result *r)
{
    size_t cap = 64;
    for (size_t i = 0; i < r->n; i++)
        cap += strlen(r->v[i].key) + 4;
    cap += r->next_marker ? strlen(r->next_marker) : 0;
    char *s = malloc(cap), *p = s;
    for (size_t i = 0; i < r->n; i++)
        p += sprintf(p, "%s%s%s", i ? "," : "", r->v[i].is_prefix ? "P:" : "", r->v[i].key);
    p += sprintf(p, "|%s|%s", r->truncated ? "T" : "F", r->next_marker ? r->next_marker : "-");
    return s;
}

static void check_list(struct fixture *f, const char *prefix, const char *delim, const char *after,
                       size_t max, const char *expect)
{
    struct list_params lp = {prefix, delim, after, max};
    struct list_result r;
    CHECK_EQ_INT(store_object_list(f->st, f->bucket_id, &lp, &r), 0);
    char *got = fmt_list(&r);
    if (strcmp(got, expect) != 0) {
        fprintf(stderr, "  list prefix=%s delim=%s after=%s max=%zu\n", prefix ? prefix : "-",
                delim ? delim : "-", after ? after : "-", max);
    }
    CHECK_EQ_STR(got, expect);
    free(got);
    store_list_free(&r);
}

/* The cases of ceph s3-tests test_bucket_list_delimiter_* and friends. */
TEST(store_list_s3_semantics)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    const char *keys[] = {"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"};
    put_keys(&f, keys, 5);
    /* test_bucket_list_delimiter_prefix */
    check_list(&f, "", "/", NULL, 1, "asdf|T|asdf");
    check_list(&f, "", "/", "asdf", 1, "P:boo/|T|boo/");
    check_list(&f, "", "/", "boo/", 1, "P:cquux/|F|-");
    check_list(&f, "", "/", NULL, 2, "asdf,P:boo/|T|boo/");
    check_list(&f, "", "/", "boo/", 2, "P:cquux/|F|-");
    check_list(&f, "boo/", "/", NULL, 1, "boo/bar|T|boo/bar");
    check_list(&f, "boo/", "/", "boo/bar", 1, "P:boo/baz/|F|-");
    check_list(&f, "boo/", "/", NULL, 2, "boo/bar,P:boo/baz/|F|-");
    /* A marker inside a common prefix's range does not repeat the prefix (AWS: CommonPrefixes
     * not lexicographically greater than the marker are filtered out). */
    check_list(&f, "", "/", "boo/bar", 10, "P:cquux/|F|-");
    check_list(&f, "", "/", "boo/baz/xyzzy", 10, "P:cquux/|F|-");
    check_list(&f, "", "/", "boo", 10, "P:boo/,P:cquux/|F|-");
    /* max-keys 0: nothing, not truncated. */
    check_list(&f, "", "/", NULL, 0, "|F|-");
    check_list(&f, "", NULL, NULL, 0, "|F|-");
    /* No delimiter; prefix; marker after everything; marker before the prefix. */
    check_list(&f, NULL, NULL, NULL, 1000, "asdf,boo/bar,boo/baz/xyzzy,cquux/bla,cquux/thud|F|-");
    check_list(&f, "boo/", NULL, NULL, 1000, "boo/bar,boo/baz/xyzzy|F|-");
    check_list(&f, NULL, NULL, "zzz", 1000, "|F|-");
    check_list(&f, "cquux/", NULL, "a", 1000, "cquux/bla,cquux/thud|F|-");
    check_list(&f, "d", "/", NULL, 1000, "|F|-");
    check_list(&f, "\n", NULL, NULL, 1000, "|F|-");
    check_list(&f, NULL, NULL, "\n", 1000, "asdf,boo/bar,boo/baz/xyzzy,cquux/bla,cquux/thud|F|-");
    teardown(&f);

    /* test_bucket_list_delimiter_alt: the delimiter is 'a'. */
    if (!setup(&f, true))
        return;
    const char *alt[] = {"bar", "baz", "cab", "foo"};
    put_keys(&f, alt, 4);
    check_list(&f, NULL, "a", NULL, 1000, "P:ba,P:ca,foo|F|-");
    check_list(&f, NULL, "ab", NULL, 1000, "bar,baz,P:cab,foo|F|-");
    check_list(&f, "b", "a", NULL, 1000, "P:ba|F|-");
    teardown(&f);

    /* test_bucket_list_delimiter_prefix_ends_with_delimiter; not_skip_special. */
    if (!setup(&f, true))
        return;
    const char *ends[] = {"asdf/"};
    put_keys(&f, ends, 1);
    check_list(&f, "asdf/", "/", NULL, 1000, "asdf/|F|-");
    teardown(&f);
    if (!setup(&f, true))
        return;
    char *special[1005];
    size_t ns = 0;
    special[ns++] = strdup("0/");
    for (int i = 1000; i < 1999; i++) {
        special[ns] = malloc(16);
        snprintf(special[ns++], 16, "0/%d", i);
    }
    special[ns++] = strdup("1999");
    special[ns++] = strdup("1999#");
    special[ns++] = strdup("1999+");
    special[ns++] = strdup("2000");
    put_keys(&f, (const char *const *)special, ns);
    check_list(&f, NULL, "/", NULL, 1000, "P:0/,1999,1999#,1999+,2000|F|-");
    for (size_t i = 0; i < ns; i++)
        free(special[i]);
    teardown(&f);
}

/* The model: S3 listing by brute force over sorted keys. */
static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b); /* unsigned char order */
}

static char *model_list(char **keys, size_t n, const char *prefix, const char *delim,
                        const char *after, size_t max)
{
    struct list_result r = {0};
    r.v = calloc(n + 1, sizeof *r.v);
    size_t plen = strlen(prefix), dlen = delim ? strlen(delim) : 0;
    bool more = false;
    for (size_t i = 0; i < n; i++) {
        const char *k = keys[i];
        if (after && strcmp(k, after) <= 0)
            continue;
        if (strncmp(k, prefix, plen) != 0)
            continue;
        char *e = NULL;
        bool isp = false;
        const char *d = dlen ? strstr(k + plen, delim) : NULL;
        if (d) {
            e = strndup(k, (size_t)(d - k) + dlen);
            isp = true;
            if ((after && strcmp(e, after) <= 0) ||
                (r.n && r.v[r.n - 1].is_prefix && strcmp(r.v[r.n - 1].key, e) == 0)) {
                free(e);
                continue;
            }
        } else {
            e = strdup(k);
        }
        if (r.n == max) {
            free(e);
            more = true;
            break;
        }
        r.v[r.n].key = e;
        r.v[r.n].is_prefix = isp;
        r.n++;
    }
    r.truncated = more && max > 0;
    if (r.truncated)
        r.next_marker = strdup(r.v[r.n - 1].key);
    char *s = fmt_list(&r);
    store_list_free(&r);
    return s;
}

TEST(store_list_pagination_model)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    /* Keys from pieces that exercise byte order: '/', multi-byte UTF-8 (bytes > 0x7F, including
     * U+00E9, U+20AC, U+1F600 and U+FFFF, whose last byte is 0xBF), and characters around '/'. */
    static const char *const pieces[] = {"a",
                                         "b",
                                         "/",
                                         "-",
                                         ".",
                                         "0",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         "\xef\xbf\xbf",
                                         "~",
                                         " ",
                                         "ab"};
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    unsigned seed = 12345;
    size_t n = 0;
    char **keys = calloc(600, sizeof *keys);
    while (n < 600) {
        char k[64] = "";
        int len = 1 + (int)(rand_r(&seed) % 6);
        for (int j = 0; j < len; j++)
            strcat(k, pieces[rand_r(&seed) % npieces]);
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(keys[i], k) == 0;
        if (!dup)
            keys[n++] = strdup(k);
    }
    put_keys(&f, (const char *const *)keys, n);
    qsort(keys, n, sizeof *keys, cmp_keys);

    static const char *const prefixes[] = {"", "a", "a/", "\xc3\xa9", "b/a", "zz", "\xef\xbf"};
    static const char *const delims[] = {NULL, "/", "\xc3\xa9", "ab", "\xbf", "a"};
    static const size_t maxes[] = {1, 2, 3, 7, 50, 1000};
    int pages = 0;
    for (size_t pi = 0; pi < sizeof prefixes / sizeof *prefixes; pi++)
        for (size_t di = 0; di < sizeof delims / sizeof *delims; di++)
            for (size_t mi = 0; mi < sizeof maxes / sizeof *maxes; mi++) {
                const char *prefix = prefixes[pi], *delim = delims[di];
                size_t max = maxes[mi];
                /* Walk every page; each must equal the model's page from the same marker, and
                 * the concatenation must equal the model's one-page listing (no repeat, no gap). */
                char *after = NULL;
                struct buf_like {
                    char *s;
                    size_t len;
                } all = {calloc(1, 1), 0};
                for (int guard = 0; guard < 2000; guard++) {
                    struct list_params lp = {prefix, delim, after, max};
                    struct list_result r;
                    int rc = store_object_list(f.st, f.bucket_id, &lp, &r);
                    CHECK_EQ_INT(rc, 0);
                    if (rc)
                        break;
                    pages++;
                    char *got = fmt_list(&r),
                         *want = model_list(keys, n, prefix, delim, after, max);
                    if (strcmp(got, want) != 0)
                        fprintf(stderr, "  page prefix=%s delim=%s max=%zu after=%s\n", prefix,
                                delim ? delim : "-", max, after ? after : "-");
                    CHECK_EQ_STR(got, want);
                    for (size_t i = 0; i < r.n; i++) {
                        size_t kl = strlen(r.v[i].key) + 4;
                        all.s = realloc(all.s, all.len + kl + 1);
                        all.len += (size_t)sprintf(all.s + all.len, "%s%s%s", all.len ? "," : "",
                                                   r.v[i].is_prefix ? "P:" : "", r.v[i].key);
                    }
                    free(got);
                    free(want);
                    free(after);
                    after = r.truncated ? strdup(r.next_marker) : NULL;
                    bool more = r.truncated;
                    store_list_free(&r);
                    if (!more)
                        break;
                }
                free(after);
                all.s = realloc(all.s, all.len + 8);
                strcpy(all.s + all.len, "|F|-");
                char *whole = model_list(keys, n, prefix, delim, NULL, (size_t)-1);
                CHECK_EQ_STR(all.s, whole);
                free(whole);
                free(all.s);
            }
    CHECK(pages > 500);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    teardown(&f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100k keys under 1000 common prefixes: listing the prefixes must seek past each one, not read
 * the 100 keys beneath it. */
TEST(store_list_perf)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    const size_t ndirs = 1000, per = 100;
    char **keys = malloc(ndirs * per * sizeof *keys);
    for (size_t d = 0; d < ndirs; d++)
        for (size_t i = 0; i < per; i++) {
            keys[d * per + i] = malloc(32);
            snprintf(keys[d * per + i], 32, "dir%04zu/file%04zu", d, i);
        }
    double t0 = now_s();
    put_keys(&f, (const char *const *)keys, ndirs * per);
    double t1 = now_s();

    struct list_params lp = {"", "/", NULL, 1000};
    struct list_result r;
    /* Warm once (connection, statements, page cache), then time. */
    CHECK_EQ_INT(store_object_list(f.st, f.bucket_id, &lp, &r), 0);
    store_list_free(&r);
    const int reps = 10;
    double t2 = now_s();
    for (int i = 0; i < reps; i++) {
        CHECK_EQ_INT(store_object_list(f.st, f.bucket_id, &lp, &r), 0);
        CHECK_EQ_INT(r.n, 1000);
        CHECK(!r.truncated);
        CHECK(r.n == 1000 && r.v[999].is_prefix && strcmp(r.v[999].key, "dir0999/") == 0);
        store_list_free(&r);
    }
    double t3 = now_s();
    /* A full walk of every key, 1000 per page, for comparison. */
    size_t total = 0;
    char *after = NULL;
    double t4 = now_s();
    for (;;) {
        struct list_params all = {NULL, NULL, after, 1000};
        CHECK_EQ_INT(store_object_list(f.st, f.bucket_id, &all, &r), 0);
        total += r.n;
        free(after);
        after = r.truncated ? strdup(r.next_marker) : NULL;
        store_list_free(&r);
        if (!after)
            break;
    }
    double t5 = now_s();
    CHECK_EQ_INT(total, ndirs * per);
    printf("  perf: insert %zu keys %.0f ms; list 1000 common prefixes over them %.2f ms; "
           "walk all keys in 1000-key pages %.0f ms\n",
           ndirs * per, (t1 - t0) * 1e3, (t3 - t2) * 1e3 / reps, (t5 - t4) * 1e3);
    /* Generous even under sanitizers: the bound catches a scan, not a slow machine. */
    CHECK((t3 - t2) / reps < 0.25);
    for (size_t i = 0; i < ndirs * per; i++)
        free(keys[i]);
    free(keys);
    teardown(&f);
}

/* ---- multipart ---------------------------------------------------------------------------- */

struct mpu {
    int64_t bucket_id;
    const char *upload_id;
    const char *key;
    int64_t initiated_ms;
};

static int apply_upload_create(struct store_txn *t, void *arg)
{
    struct mpu *m = arg;
    struct upload u = {0};
    snprintf(u.upload_id, sizeof u.upload_id, "%s", m->upload_id);
    u.bucket_id = m->bucket_id;
    u.key = (char *)m->key;
    u.initiated_ms = m->initiated_ms;
    snprintf(u.owner_account, sizeof u.owner_account, "111111111111");
    snprintf(u.checksum_algo, sizeof u.checksum_algo, "CRC32");
    u.headers = (char *)"{\"content-type\":\"a/b\"}";
    return store_txn_upload_create(t, &u);
}

struct part_put {
    const char *upload_id;
    int number;
    const char *blob;
};

static int apply_part_put(struct store_txn *t, void *arg)
{
    struct part_put *pp = arg;
    struct part p = {.number = pp->number, .size = 5, .mtime_ms = 9};
    snprintf(p.etag, sizeof p.etag, "etag%d", pp->number);
    snprintf(p.blob_id, sizeof p.blob_id, "%s", pp->blob);
    return store_txn_part_put(t, pp->upload_id, &p);
}

/* CompleteMultipartUpload's shape: read the parts, put the object naming their blobs, delete the
 * upload keeping those blobs. Parts not in the list (here: number 3) are dropped. */
struct complete {
    int64_t bucket_id;
    const char *upload_id;
    const char *key;
};

static int apply_complete(struct store_txn *t, void *arg)
{
    struct complete *c = arg;
    struct upload u;
    int rc = store_txn_upload_get(t, c->upload_id, &u);
    if (rc)
        return rc;
    store_upload_free(&u);
    struct part *parts;
    size_t n;
    rc = store_txn_part_list(t, c->upload_id, &parts, &n);
    if (rc)
        return rc;
    struct segment segs[8];
    const char *keep[8];
    size_t ns = 0;
    for (size_t i = 0; i < n && ns < 8; i++) {
        if (parts[i].number == 3)
            continue;
        memset(&segs[ns], 0, sizeof segs[ns]);
        memcpy(segs[ns].blob_id, parts[i].blob_id, 33);
        segs[ns].size = parts[i].size;
        segs[ns].part_number = parts[i].number;
        ns++;
    }
    struct object_meta m = {.bucket_id = c->bucket_id, .key = (char *)c->key, .mtime_ms = 5};
    snprintf(m.etag, sizeof m.etag, "0123456789abcdef0123456789abcdef-%zu", ns);
    snprintf(m.owner_account, sizeof m.owner_account, "111111111111");
    m.segs = segs;
    m.nsegs = ns;
    rc = store_txn_object_put(t, &m);
    for (size_t i = 0; i < ns; i++)
        keep[i] = segs[i].blob_id;
    if (!rc)
        rc = store_txn_upload_delete(t, c->upload_id, keep, ns);
    free(parts);
    return rc;
}

static int apply_abort(struct store_txn *t, void *arg)
{
    return store_txn_upload_delete(t, arg, NULL, 0);
}

TEST(store_multipart)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    struct mpu u1 = {f.bucket_id, "upload-1", "big/object", 100};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_upload_create, &u1), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_upload_create, &u1), -EEXIST);
    CHECK_EQ_INT(store_bucket_is_empty(f.st, f.bucket_id), 0); /* an upload counts */
    struct upload u;
    CHECK_EQ_INT(store_upload_get(f.st, "upload-1", &u), 0);
    CHECK_EQ_STR(u.key, "big/object");
    CHECK_EQ_STR(u.checksum_algo, "CRC32");
    CHECK_EQ_STR(u.storage_class, "STANDARD");
    CHECK_EQ_STR(u.headers, "{\"content-type\":\"a/b\"}");
    CHECK_EQ_INT(u.initiated_ms, 100);
    store_upload_free(&u);
    CHECK_EQ_INT(store_upload_get(f.st, "nope", &u), -ENOENT);

    char p1[33], p2[33], p2b[33], p3[33];
    make_blob(f.st, "part1", p1);
    make_blob(f.st, "part2", p2);
    make_blob(f.st, "PART2", p2b);
    make_blob(f.st, "part3", p3);
    struct part_put pp1 = {"upload-1", 1, p1}, pp2 = {"upload-1", 2, p2},
                    pp2b = {"upload-1", 2, p2b}, pp3 = {"upload-1", 3, p3},
                    gone = {"upload-x", 1, p1};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_part_put, &pp1), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_part_put, &pp2), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_part_put, &pp3), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_part_put, &pp2b), 0); /* replaces part 2 */
    CHECK(!blob_exists(f.st, p2));
    CHECK_EQ_INT(store_submit_wait(f.st, apply_part_put, &gone), -ENOENT);

    struct part *parts;
    size_t n;
    CHECK_EQ_INT(store_part_list(f.st, "upload-1", 0, 0, &parts, &n), 0);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_EQ_INT(parts[1].number, 2);
        CHECK_EQ_STR(parts[1].blob_id, p2b);
        CHECK_EQ_STR(parts[1].etag, "etag2");
    }
    free(parts);
    CHECK_EQ_INT(store_part_list(f.st, "upload-1", 1, 1, &parts, &n), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_EQ_INT(parts[0].number, 2);
    free(parts);
    CHECK_EQ_INT(store_part_list(f.st, "upload-x", 0, 0, &parts, &n), -ENOENT);

    /* Complete with parts 1 and 2: their blobs become the object's, part 3's goes. */
    struct complete c = {f.bucket_id, "upload-1", "big/object"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_complete, &c), 0);
    CHECK(blob_exists(f.st, p1));
    CHECK(blob_exists(f.st, p2b));
    CHECK(!blob_exists(f.st, p3));
    CHECK_EQ_INT(store_upload_get(f.st, "upload-1", &u), -ENOENT);
    struct object_meta m;
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "big/object", &m), 0);
    CHECK_EQ_INT(m.nsegs, 2);
    if (m.nsegs == 2) {
        CHECK_EQ_STR(m.segs[0].blob_id, p1);
        CHECK_EQ_STR(m.segs[1].blob_id, p2b);
        CHECK_EQ_INT(m.segs[1].part_number, 2);
    }
    CHECK_EQ_STR(m.etag, "0123456789abcdef0123456789abcdef-2");
    store_object_free(&m);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_complete, &c), -ENOENT); /* completed already */

    /* Abort: every part's blob goes. */
    struct mpu u2 = {f.bucket_id, "upload-2", "k", 0};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_upload_create, &u2), 0);
    char q1[33];
    make_blob(f.st, "q1...", q1);
    struct part_put qq = {"upload-2", 1, q1};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_part_put, &qq), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_abort, (void *)"upload-2"), 0);
    CHECK(!blob_exists(f.st, q1));
    CHECK_EQ_INT(store_submit_wait(f.st, apply_abort, (void *)"upload-2"), -ENOENT);
    struct mpu nob = {777777, "upload-3", "k", 0};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_upload_create, &nob), -ENOENT);
    teardown(&f);
}

static char *fmt_uploads(const struct upload_list *l)
{
    char *s = malloc(4096), *p = s;
    for (size_t i = 0; i < l->n; i++)
        p += sprintf(p, "%s%s%s%s%s", i ? "," : "", l->v[i].is_prefix ? "P:" : "", l->v[i].key,
                     l->v[i].is_prefix ? "" : "#", l->v[i].upload_id);
    sprintf(p, "|%s|%s|%s", l->truncated ? "T" : "F", l->next_key_marker ? l->next_key_marker : "-",
            l->next_upload_id_marker);
    return s;
}

static void check_uploads(struct fixture *f, const char *prefix, const char *delim, const char *km,
                          const char *im, size_t max, const char *expect)
{
    struct upload_list_params p = {prefix, delim, km, im, max};
    struct upload_list l;
    CHECK_EQ_INT(store_upload_list(f->st, f->bucket_id, &p, &l), 0);
    char *got = fmt_uploads(&l);
    CHECK_EQ_STR(got, expect);
    free(got);
    store_upload_list_free(&l);
}

TEST(store_upload_list)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    /* Two uploads of "a" (the later-initiated has the smaller id), one each of "b/1", "b/2",
     * "c". */
    struct mpu ups[] = {
        {f.bucket_id, "u9", "a", 10},  {f.bucket_id, "u1", "a", 20}, {f.bucket_id, "u5", "b/1", 5},
        {f.bucket_id, "u6", "b/2", 5}, {f.bucket_id, "u7", "c", 5},
    };
    for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++)
        CHECK_EQ_INT(store_submit_wait(f.st, apply_upload_create, &ups[i]), 0);
    check_uploads(&f, NULL, NULL, NULL, NULL, 1000, "a#u9,a#u1,b/1#u5,b/2#u6,c#u7|F|-|");
    check_uploads(&f, NULL, "/", NULL, NULL, 1000, "a#u9,a#u1,P:b/,c#u7|F|-|");
    check_uploads(&f, NULL, "/", NULL, NULL, 1, "a#u9|T|a|u9");
    check_uploads(&f, NULL, "/", "a", "u9", 1, "a#u1|T|a|u1");
    check_uploads(&f, NULL, "/", "a", "u1", 1, "P:b/|T|b/|");
    check_uploads(&f, NULL, "/", "b/", NULL, 2, "c#u7|F|-|");
    check_uploads(&f, NULL, "/", "a", NULL, 1000, "P:b/,c#u7|F|-|");
    check_uploads(&f, "b/", "/", NULL, NULL, 1000, "b/1#u5,b/2#u6|F|-|");
    check_uploads(&f, NULL, NULL, "b/1", "u5", 1000, "b/2#u6,c#u7|F|-|");
    /* An upload-id marker that no longer exists: ids after it, as S3 documents. */
    check_uploads(&f, NULL, NULL, "a", "u2", 1000, "a#u9,b/1#u5,b/2#u6,c#u7|F|-|");
    check_uploads(&f, NULL, NULL, NULL, NULL, 0, "|F|-|");
    teardown(&f);
}

/* ---- orphan sweep ------------------------------------------------------------------------- */

TEST(store_orphan_sweep)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    char kept_obj[33], kept_part[33], orphan[33];
    make_blob(f.st, "kept.", kept_obj);
    make_blob(f.st, "part.", kept_part);
    make_blob(f.st, "lost.", orphan);
    struct put p = {.bucket_id = f.bucket_id, .key = "k", .blobs = {kept_obj}, .nblobs = 1};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_put, &p), 0);
    struct mpu u = {f.bucket_id, "up", "k2", 0};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_upload_create, &u), 0);
    struct part_put pp = {"up", 1, kept_part};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_part_put, &pp), 0);
    /* A temp file left by a crashed request, and a stranger file the sweep must not touch. */
    struct blob_writer w;
    CHECK_EQ_INT(store_blob_begin(f.st, &w), 0);
    CHECK_EQ_INT(store_blob_write(&w, "partial", 7), 0);
    char tmp[512], stranger[600];
    snprintf(tmp, sizeof tmp, "%s", w.tmp_path);
    close(w.fd);
    snprintf(stranger, sizeof stranger, "%s/blobs/README", f.dir);
    FILE *fp = fopen(stranger, "w");
    CHECK(fp != NULL);
    if (fp)
        fclose(fp);

    store_close(f.st);
    /* The first open sweeps; a second open while the first holds the directory (an admin
     * command beside a running server) must not sweep the first one's in-flight temp files. */
    struct store *st2;
    CHECK_EQ_INT(store_open(f.dir, &st2), 0);
    struct blob_writer w2;
    CHECK_EQ_INT(store_blob_begin(st2, &w2), 0);
    struct store *st3 = NULL;
    CHECK_EQ_INT(store_open(f.dir, &st3), 0);
    CHECK_EQ_INT(access(w2.tmp_path, F_OK), 0);
    store_close(st3);
    store_blob_abort(st2, &w2);
    f.st = st2;
    CHECK(!blob_exists(f.st, orphan));
    CHECK(blob_exists(f.st, kept_obj));
    CHECK(blob_exists(f.st, kept_part));
    CHECK(access(tmp, F_OK) != 0);
    CHECK_EQ_INT(access(stranger, F_OK), 0);
    /* The data survived the reopen. */
    struct object_meta m;
    CHECK_EQ_INT(store_object_get(f.st, f.bucket_id, "k", &m), 0);
    store_object_free(&m);
    teardown(&f);
}

/* ---- concurrency -------------------------------------------------------------------------- */

struct worker {
    struct fixture *f;
    int id;
    int errors;
};

static int apply_sleepy_put(struct store_txn *t, void *arg)
{
    return apply_put(t, arg);
}

static void *submitter(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 40; i++) {
        char key[32];
        snprintf(key, sizeof key, "t%d/k%03d", w->id, i);
        struct put p = {.bucket_id = w->f->bucket_id, .key = key, .inline_text = "v"};
        if (store_submit_wait(w->f->st, apply_sleepy_put, &p) != 0)
            w->errors++;
        /* Read-after-write: once submit_wait returned, this thread's reader sees it. */
        struct object_meta m;
        if (store_object_get(w->f->st, w->f->bucket_id, key, &m) != 0)
            w->errors++;
        else
            store_object_free(&m);
    }
    return NULL;
}

static void *lister(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 30; i++) {
        struct list_params lp = {"t", "/", NULL, 1000};
        struct list_result r;
        if (store_object_list(w->f->st, w->f->bucket_id, &lp, &r) != 0)
            w->errors++;
        else
            store_list_free(&r);
        struct bucket b;
        if (store_bucket_get(w->f->st, "bkt", &b) != 0)
            w->errors++;
        else
            store_bucket_free(&b);
    }
    return NULL;
}

TEST(store_concurrent_batches_and_readers)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    enum { NSUB = 8, NREAD = 4 };
    pthread_t th[NSUB + NREAD];
    struct worker w[NSUB + NREAD];
    struct store_stats s0, s1;
    store_stats_get(f.st, &s0);
    for (int i = 0; i < NSUB + NREAD; i++) {
        w[i] = (struct worker){&f, i, 0};
        CHECK_EQ_INT(pthread_create(&th[i], NULL, i < NSUB ? submitter : lister, &w[i]), 0);
    }
    for (int i = 0; i < NSUB + NREAD; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(w[i].errors, 0);
    }
    store_stats_get(f.st, &s1);
    uint64_t items = s1.items - s0.items, commits = s1.commits - s0.commits;
    printf("  group commit: %llu items in %llu commits\n", (unsigned long long)items,
           (unsigned long long)commits);
    CHECK_EQ_INT(items, NSUB * 40);
    CHECK(commits < items); /* batching happened */
    struct list_params lp = {NULL, "/", NULL, 1000};
    struct list_result r;
    CHECK_EQ_INT(store_object_list(f.st, f.bucket_id, &lp, &r), 0);
    CHECK_EQ_INT(r.n, NSUB);
    store_list_free(&r);
    teardown(&f);
}

/* A thread that read (so it has a read connection) and outlives store_close: close frees its
 * connection, and its exit afterwards must not touch the freed store (ASan watches). */
struct lingerer {
    struct store *st;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stage; /* 1: has read; 2: store closed, may exit */
    int rc;
};

static void *linger(void *arg)
{
    struct lingerer *l = arg;
    struct bucket b;
    l->rc = store_bucket_get(l->st, "bkt", &b);
    if (l->rc == 0)
        store_bucket_free(&b);
    pthread_mutex_lock(&l->mu);
    l->stage = 1;
    pthread_cond_broadcast(&l->cv);
    while (l->stage != 2)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

TEST(store_close_with_live_reader_thread)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    struct lingerer l = {f.st, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, -1};
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, linger, &l), 0);
    pthread_mutex_lock(&l.mu);
    while (l.stage != 1)
        pthread_cond_wait(&l.cv, &l.mu);
    pthread_mutex_unlock(&l.mu);
    CHECK_EQ_INT(l.rc, 0);
    struct bucket b;
    CHECK_EQ_INT(store_bucket_get(f.st, "bkt", &b), 0); /* this thread has a connection too */
    store_bucket_free(&b);
    store_close(f.st);
    f.st = NULL;
    /* A new store: the thread's stale value for the old key must not be seen through the new. */
    struct store *st2;
    CHECK_EQ_INT(store_open(f.dir, &st2), 0);
    CHECK_EQ_INT(store_bucket_get(st2, "bkt", &b), 0);
    store_bucket_free(&b);
    pthread_mutex_lock(&l.mu);
    l.stage = 2;
    pthread_cond_broadcast(&l.cv);
    pthread_mutex_unlock(&l.mu);
    pthread_join(th, NULL);
    f.st = st2;
    teardown(&f);
}

/* submit_wait from inside an apply is refused; items queued before store_close are drained. */
static struct store *g_st;

static int apply_noop(struct store_txn *t, void *arg)
{
    (void)t;
    (void)arg;
    return 0;
}

static int apply_nested(struct store_txn *t, void *arg)
{
    (void)t;
    (void)arg;
    return store_submit_wait(g_st, apply_noop, NULL);
}

TEST(store_submit_edges)
{
    struct fixture f;
    if (!setup(&f, false))
        return;
    g_st = f.st;
    CHECK_EQ_INT(store_submit_wait(f.st, apply_nested, NULL), -EDEADLK);
    g_st = NULL;
    /* Items queued before close are drained: their done runs. */
    int rc[3] = {1, 1, 1};
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(store_submit(f.st, apply_noop, done_record, &rc[i]), 0);
    store_close(f.st);
    f.st = NULL;
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(rc[i], 0);
    rm_rf(f.dir);
}

/* DeleteBucket with an unfinished multipart upload: the bucket goes, the upload and its part
 * blobs with it (S3 does not keep a bucket alive for uploads). */
TEST(store_bucket_delete_takes_uploads)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    struct mpu u1 = {f.bucket_id, "upload-d", "k", 100};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_upload_create, &u1), 0);
    char p1[33];
    make_blob(f.st, "part1", p1);
    struct part_put pp1 = {"upload-d", 1, p1};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_part_put, &pp1), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_bucket_delete, &f.bucket_id), 0);
    struct upload u;
    CHECK_EQ_INT(store_upload_get(f.st, "upload-d", &u), -ENOENT);
    CHECK(!blob_exists(f.st, p1));
    teardown(&f);
}

struct doc_put {
    const char *kind, *account, *name, *value;
};

static int apply_doc_set(struct store_txn *t, void *arg)
{
    struct doc_put *d = arg;
    return store_txn_doc_set(t, d->kind, d->account, d->name, d->value);
}

TEST(store_docs)
{
    struct fixture f;
    if (!setup(&f, true))
        return;
    struct doc_put a = {"trail", "111111111111", "us-east-1/t1", "{\"a\":1}"};
    struct doc_put b = {"trail", "222222222222", "us-east-1/t2", "{\"b\":2}"};
    struct doc_put a2 = {"trail", "111111111111", "us-east-1/t1", "{\"a\":3}"};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_doc_set, &a), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_doc_set, &b), 0);
    CHECK_EQ_INT(store_submit_wait(f.st, apply_doc_set, &a2), 0); /* replaces */
    char *v = NULL;
    CHECK_EQ_INT(store_doc_get(f.st, "trail", "111111111111", "us-east-1/t1", &v), 0);
    CHECK_EQ_STR(v, "{\"a\":3}");
    free(v);
    CHECK_EQ_INT(store_doc_get(f.st, "trail", "111111111111", "nope", &v), -ENOENT);
    struct store_doc *docs;
    size_t n;
    CHECK_EQ_INT(store_doc_list(f.st, "trail", NULL, &docs, &n), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(docs[0].account_id, "111111111111");
        CHECK_EQ_STR(docs[1].name, "us-east-1/t2");
    }
    store_docs_free(docs, n);
    CHECK_EQ_INT(store_doc_list(f.st, "trail", "222222222222", &docs, &n), 0);
    CHECK_EQ_INT(n, 1);
    store_docs_free(docs, n);
    struct doc_put del = {"trail", "111111111111", "us-east-1/t1", NULL};
    CHECK_EQ_INT(store_submit_wait(f.st, apply_doc_set, &del), 0);
    CHECK_EQ_INT(store_doc_get(f.st, "trail", "111111111111", "us-east-1/t1", &v), -ENOENT);
    teardown(&f);
}
