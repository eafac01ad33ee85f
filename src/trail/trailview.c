#include "trail/trailview.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/acl.h"
#include "trail/selectors.h"

static void copy_str(json_t *o, const char *key, char *out, size_t cap)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(out, cap, "%s", v ? v : "");
}

static int64_t get_i64(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int trail_view_parse(const char *text, struct trail_view *t)
{
    char account[13], doc_name[200];
    const char *kind = t->kind ? t->kind : TRAIL_DOC_KIND;
    snprintf(account, sizeof account, "%s", t->account_id);
    snprintf(doc_name, sizeof doc_name, "%s", t->doc_name);
    memset(t, 0, sizeof *t);
    t->kind = kind;
    snprintf(t->account_id, sizeof t->account_id, "%s", account);
    snprintf(t->doc_name, sizeof t->doc_name, "%s", doc_name);
    json_t *o = json_loads(text, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return -EINVAL;
    }
    copy_str(o, "Name", t->name, sizeof t->name);
    copy_str(o, "HomeRegion", t->home_region, sizeof t->home_region);
    copy_str(o, "TrailARN", t->arn, sizeof t->arn);
    copy_str(o, "S3BucketName", t->bucket, sizeof t->bucket);
    copy_str(o, "S3KeyPrefix", t->prefix, sizeof t->prefix);
    t->multi_region = json_is_true(json_object_get(o, "IsMultiRegionTrail"));
    t->logging = json_is_true(json_object_get(o, "IsLogging"));
    t->cursor = get_i64(json_object_get(o, "delivery"), "cursor");
    t->stop_seq = get_i64(o, "StopLoggingSeq");
    json_t *skip = json_object_get(json_object_get(o, "delivery"), "skip");
    int rc = 0;
    if (json_array_size(skip)) {
        t->skip = calloc(json_array_size(skip), sizeof *t->skip);
        rc = t->skip ? 0 : -ENOMEM;
        size_t i;
        json_t *w;
        json_array_foreach(skip, i, w)
        {
            if (rc)
                break;
            t->skip[t->nskip][0] = json_integer_value(json_array_get(w, 0));
            t->skip[t->nskip][1] = json_integer_value(json_array_get(w, 1));
            t->nskip++;
        }
    }
    if (!rc)
        rc = selectors_compile_trail(o, &t->sel);
    json_decref(o);
    if (rc)
        trail_view_free(t);
    return rc;
}

void trail_view_free(struct trail_view *t)
{
    selectors_free(t->sel);
    t->sel = NULL;
    free(t->skip);
    t->skip = NULL;
    t->nskip = 0;
}

int64_t trail_limit_seq(const struct trail_view *t, int64_t journal_end)
{
    if (t->logging)
        return journal_end;
    return t->stop_seq > t->cursor ? t->stop_seq : t->cursor;
}

bool trail_takes(const struct trail_view *t, const struct event_row *e)
{
    if (strcmp(e->account_id, t->account_id) != 0)
        return false;
    if (!t->multi_region && strcmp(e->region, t->home_region) != 0)
        return false;
    for (size_t i = 0; i < t->nskip; i++)
        if (e->seq > t->skip[i][0] && e->seq <= t->skip[i][1])
            return false;
    return selectors_match(t->sel, e, NULL);
}

/* Re-reads the document in the transaction, lets `change` edit its "delivery" object, writes it
 * back. */
static int update_delivery(struct store_txn *tx, const struct trail_view *t,
                           void (*change)(json_t *d, const void *arg), const void *arg)
{
    char *text = NULL;
    int rc = store_txn_doc_get(tx, t->kind, t->account_id, t->doc_name, &text);
    if (rc)
        return rc;
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    if (!json_is_object(o)) {
        json_decref(o);
        return -EIO;
    }
    json_t *d = json_object_get(o, "delivery");
    if (!json_is_object(d)) {
        d = json_object();
        json_object_set_new(o, "delivery", d);
    }
    change(d, arg);
    char *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!out)
        return -ENOMEM;
    rc = store_txn_doc_set(tx, t->kind, t->account_id, t->doc_name, out);
    free(out);
    return rc;
}

struct delivered {
    int64_t cursor, now_ms;
};

/* Moves the cursor and drops the skipped windows it has passed. */
static void move_cursor(json_t *d, int64_t cursor)
{
    json_object_set_new(d, "cursor", json_integer(cursor));
    json_t *skip = json_object_get(d, "skip");
    while (json_array_size(skip) &&
           json_integer_value(json_array_get(json_array_get(skip, 0), 1)) <= cursor)
        json_array_remove(skip, 0);
    if (skip && !json_array_size(skip))
        json_object_del(d, "skip");
}

static void set_delivered(json_t *d, const void *arg)
{
    const struct delivered *x = arg;
    move_cursor(d, x->cursor);
    json_object_set_new(d, "LatestDeliveryTime", json_integer(x->now_ms));
    json_object_set_new(d, "LatestDeliveryAttemptTime", json_integer(x->now_ms));
    json_object_set_new(d, "LatestDeliveryAttemptSucceeded", json_integer(x->now_ms));
    json_object_del(d, "LatestDeliveryError");
}

int trail_doc_delivered(struct store_txn *tx, const struct trail_view *t, int64_t cursor,
                        int64_t now_ms)
{
    struct delivered x = {cursor, now_ms};
    return update_delivery(tx, t, set_delivered, &x);
}

struct failed {
    const char *code;
    int64_t now_ms;
};

static void set_failed(json_t *d, const void *arg)
{
    const struct failed *x = arg;
    json_object_set_new(d, "LatestDeliveryError", json_string(x->code));
    json_object_set_new(d, "LatestDeliveryAttemptTime", json_integer(x->now_ms));
}

int trail_doc_delivery_failed(struct store_txn *tx, const struct trail_view *t, const char *code,
                              int64_t now_ms)
{
    struct failed x = {code, now_ms};
    return update_delivery(tx, t, set_failed, &x);
}

static void set_cursor(json_t *d, const void *arg)
{
    move_cursor(d, *(const int64_t *)arg);
}

struct advance {
    const struct trail_view *t;
    int64_t cursor;
};

static int advance_apply(struct store_txn *tx, void *arg)
{
    struct advance *a = arg;
    /* Only forward, and only from where this pass started (an API change or another pass may
     * have moved it meanwhile). */
    char *text = NULL;
    int rc = store_txn_doc_get(tx, a->t->kind, a->t->account_id, a->t->doc_name, &text);
    if (rc)
        return rc == -ENOENT ? 0 : rc;
    struct trail_view now;
    now.kind = a->t->kind;
    snprintf(now.account_id, sizeof now.account_id, "%s", a->t->account_id);
    snprintf(now.doc_name, sizeof now.doc_name, "%s", a->t->doc_name);
    rc = trail_view_parse(text, &now);
    free(text);
    if (rc)
        return rc;
    bool same = now.cursor == a->t->cursor;
    trail_view_free(&now);
    return same ? update_delivery(tx, a->t, set_cursor, &a->cursor) : 0;
}

int trail_doc_advance(struct store *st, const struct trail_view *t, int64_t cursor)
{
    struct advance a = {t, cursor};
    return store_submit_wait(st, advance_apply, &a);
}

char *trail_bucket_owner_acl(struct store *st, const char *owner_account)
{
    /* CloudTrail writes with bucket-owner-full-control; the object is the bucket owner's here,
     * so that is the owner's full control and nobody else's. */
    struct account a;
    char *acl = NULL;
    if (store_account_get(st, owner_account, &a))
        return NULL;
    return acl_from_canned("private", a.canonical_id, a.canonical_id, &acl) ? NULL : acl;
}

static int retire_apply(struct store_txn *tx, void *arg)
{
    const struct trail_view *t = arg;
    return store_txn_doc_set(tx, TRAIL_RETIRED_KIND, t->account_id, t->doc_name, NULL);
}

int trail_doc_retire(struct store *st, const struct trail_view *t)
{
    return store_submit_wait(st, retire_apply, (void *)t);
}
