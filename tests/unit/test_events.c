/*
 * Tests of the store's event journal (store.h, "the event journal"): append inside writer
 * transactions, LookupEvents queries (every attribute, time range, account and region scope,
 * management rows only) checked page by page against a brute-force model, journal scans, the
 * retention prune, rollback, and the append rate (printed; 100k rows in batches of 256).
 */
#include "fixture.h"
#include "unit.h"

#include "store/store.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------ */

/* A batch of rows appended by one work item; `fail_after` > 0 makes the item fail after
 * appending that many (its savepoint must then drop them all). */
struct batch {
    struct event_row *v;
    size_t n;
    size_t fail_after;
    int rc_of_last;
};

static int apply_batch(struct store_txn *t, void *arg)
{
    struct batch *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        int rc = store_txn_event_append(t, &b->v[i]);
        b->rc_of_last = rc;
        if (rc)
            return rc;
        if (b->fail_after && i + 1 == b->fail_after)
            return -ECANCELED;
    }
    return 0;
}

static int append_rows(struct store *st, struct event_row *v, size_t n)
{
    struct batch b = {.v = v, .n = n};
    return store_submit_wait(st, apply_batch, &b);
}

static int append_one(struct store *st, struct event_row *e)
{
    return append_rows(st, e, 1);
}

/* Fills a row; the strings are copied. resources may be NULL ("[]"). */
static void row_fill(struct event_row *e, const char *account, const char *region, const char *name,
                     bool mgmt, int64_t time_ms, const char *resources)
{
    static unsigned counter;
    memset(e, 0, sizeof *e);
    snprintf(e->event_id, sizeof e->event_id, "00000000-0000-4000-8000-%012x", ++counter);
    e->event_time_ms = time_ms;
    snprintf(e->account_id, sizeof e->account_id, "%s", account);
    snprintf(e->region, sizeof e->region, "%s", region);
    snprintf(e->event_name, sizeof e->event_name, "%s", name);
    snprintf(e->event_source, sizeof e->event_source, "s3.amazonaws.com");
    e->management = mgmt;
    e->read_only = strncmp(name, "Get", 3) == 0 || strncmp(name, "List", 4) == 0;
    snprintf(e->username, sizeof e->username, "root");
    snprintf(e->access_key, sizeof e->access_key, "AKIAEXAMPLE");
    e->resources = resources ? strdup(resources) : NULL;
    char rec[256];
    snprintf(rec, sizeof rec, "{\"eventID\":\"%s\",\"eventName\":\"%s\"}", e->event_id, name);
    e->record = strdup(rec);
}

static void rows_free_fields(struct event_row *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].resources);
        free(v[i].record);
        v[i].resources = v[i].record = NULL;
    }
}

/* ---- the model ---------------------------------------------------------------------------- */

/* Small deterministic generator (xorshift), so a failure reproduces. */
static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)(rnd_state % n);
}

static const char *const M_ACCOUNTS[] = {"111111111111", "222222222222"};
static const char *const M_REGIONS[] = {"us-east-1", "eu-west-1"};
static const char *const M_NAMES[] = {"CreateBucket", "DeleteBucket", "ListBuckets",
                                      "GetBucketAcl", "PutBucketAcl", "LookupEvents"};
static const char *const M_USERS[] = {"root", "alice", "bob"};
static const char *const M_KEYS[] = {"AKIAONE", "AKIATWO", ""};
static const char *const M_BUCKETS[] = {"b1", "b2", "b3"};

/* Does row e match the resource filter (type or name) given its resources JSON as generated
 * below? The generator only writes these shapes, so a substring test on the exact member text
 * is exact. */
static bool res_has(const struct event_row *e, const char *member, const char *value)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":\"%s\"", member, value);
    return e->resources && strstr(e->resources, pat) != NULL;
}

static bool model_match(const struct event_row *e, const struct event_query *q)
{
    if (!e->management || strcmp(e->account_id, q->account_id) != 0 ||
        strcmp(e->region, q->region) != 0)
        return false;
    if (q->before_seq && e->seq >= q->before_seq)
        return false;
    if (q->start_ms && e->event_time_ms < q->start_ms)
        return false;
    if (q->end_ms && e->event_time_ms > q->end_ms)
        return false;
    if (!q->attr_key)
        return true;
    const char *k = q->attr_key, *v = q->attr_value;
    if (strcmp(k, "EventId") == 0)
        return strcmp(e->event_id, v) == 0;
    if (strcmp(k, "EventName") == 0)
        return strcmp(e->event_name, v) == 0;
    if (strcmp(k, "ReadOnly") == 0)
        return strcmp(e->read_only ? "true" : "false", v) == 0;
    if (strcmp(k, "Username") == 0)
        return strcmp(e->username, v) == 0;
    if (strcmp(k, "EventSource") == 0)
        return strcmp(e->event_source, v) == 0;
    if (strcmp(k, "AccessKeyId") == 0)
        return strcmp(e->access_key, v) == 0;
    if (strcmp(k, "ResourceType") == 0)
        return res_has(e, "ResourceType", v);
    if (strcmp(k, "ResourceName") == 0)
        return res_has(e, "ResourceName", v);
    return false;
}

/* Walks every page of q (page size `page`) and checks the concatenation against the model:
 * newest first, each matching row exactly once, every field as appended. */
static void check_query(struct store *st, const struct event_row *model, size_t nmodel,
                        struct event_query q, size_t page, const char *what)
{
    /* expected: model rows matching, seq descending (model is in seq ascending order) */
    size_t nexp = 0;
    const struct event_row **exp = calloc(nmodel + 1, sizeof *exp);
    for (size_t i = nmodel; i-- > 0;)
        if (model_match(&model[i], &q))
            exp[nexp++] = &model[i];
    size_t got = 0;
    int pages = 0;
    q.max = page;
    int64_t before = q.before_seq;
    for (;;) {
        struct event_row *v = NULL;
        size_t n = 99;
        q.before_seq = before;
        int rc = store_event_lookup(st, &q, &v, &n);
        if (rc) {
            fprintf(stderr, "  %s: lookup rc %d\n", what, rc);
            CHECK_EQ_INT(rc, 0);
            break;
        }
        pages++;
        CHECK(page == 0 || n <= page);
        for (size_t i = 0; i < n; i++, got++) {
            if (got >= nexp) {
                fprintf(stderr, "  %s: extra row seq %" PRId64 "\n", what, v[i].seq);
                unit_failures++;
                continue;
            }
            const struct event_row *x = exp[got];
            if (v[i].seq != x->seq || strcmp(v[i].event_id, x->event_id) != 0 ||
                v[i].event_time_ms != x->event_time_ms || strcmp(v[i].record, x->record) != 0 ||
                strcmp(v[i].resources, x->resources ? x->resources : "[]") != 0 ||
                strcmp(v[i].username, x->username) != 0 || v[i].read_only != x->read_only ||
                !v[i].management || strcmp(v[i].access_key, x->access_key) != 0) {
                fprintf(stderr, "  %s: row %zu is seq %" PRId64 ", expected seq %" PRId64 "\n",
                        what, got, v[i].seq, x->seq);
                unit_failures++;
            }
        }
        bool last = page == 0 || n < page;
        if (n > 0)
            before = v[n - 1].seq;
        store_event_rows_free(v, n);
        if (last || n == 0)
            break;
        if (pages > 10000) {
            CHECK(!"paging does not end");
            break;
        }
    }
    if (got != nexp) {
        fprintf(stderr, "  %s: %zu rows, expected %zu\n", what, got, nexp);
        unit_failures++;
    }
    free(exp);
}

/* ---- tests -------------------------------------------------------------------------------- */

/* A journal of 600 rows over two accounts, two regions, management and data rows, several
 * names, users, keys, sources, resource shapes and out-of-order times; every attribute, the
 * time range, the scope and paging are checked against the model. */
TEST(events_lookup_model)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    enum { N = 600 };
    struct event_row *model = calloc(N, sizeof *model);
    int64_t t0 = 1700000000000;
    for (size_t i = 0; i < N; i++) {
        char res[256];
        const char *b = M_BUCKETS[rnd(3)];
        switch (rnd(5)) {
        case 0:
            snprintf(res, sizeof res, "[]");
            break;
        case 1:
            snprintf(res, sizeof res,
                     "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"%s\"}]", b);
            break;
        case 2: /* the same name under two types: one row, not two */
            snprintf(res, sizeof res,
                     "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"%s\"},"
                     "{\"ResourceType\":\"AWS::S3::Object\",\"ResourceName\":\"%s\"}]",
                     b, b);
            break;
        case 3: /* two resources of one type: one row */
            snprintf(res, sizeof res,
                     "[{\"ResourceType\":\"AWS::S3::Object\",\"ResourceName\":\"%s/k1\"},"
                     "{\"ResourceType\":\"AWS::S3::Object\",\"ResourceName\":\"%s/k2\"}]",
                     b, b);
            break;
        default: /* a null type, as CloudTrail allows */
            snprintf(res, sizeof res, "[{\"ResourceType\":null,\"ResourceName\":\"%s\"}]", b);
            break;
        }
        /* Times wander: a later seq may carry an earlier time (requests commit out of start
         * order). */
        int64_t tm = t0 + (int64_t)i * 1000 - (int64_t)rnd(5000);
        row_fill(&model[i], M_ACCOUNTS[rnd(2)], M_REGIONS[rnd(2)], M_NAMES[rnd(6)], rnd(4) != 0, tm,
                 res);
        snprintf(model[i].username, sizeof model[i].username, "%s", M_USERS[rnd(3)]);
        snprintf(model[i].access_key, sizeof model[i].access_key, "%s", M_KEYS[rnd(3)]);
        if (rnd(5) == 0)
            snprintf(model[i].event_source, sizeof model[i].event_source,
                     "cloudtrail.amazonaws.com");
    }
    /* Appended in batches of various sizes, as the writer would group them. */
    for (size_t i = 0; i < N;) {
        size_t k = 1 + rnd(40);
        if (i + k > N)
            k = N - i;
        CHECK_EQ_INT(append_rows(st, model + i, k), 0);
        i += k;
    }
    for (size_t i = 1; i < N; i++)
        CHECK(model[i].seq > model[i - 1].seq);

    static const struct {
        const char *key;
        const char *values[6];
    } attrs[] = {
        {"EventName", {"CreateBucket", "ListBuckets", "LookupEvents", "NoSuchName"}},
        {"ReadOnly", {"true", "false", "TRUE", "1"}},
        {"Username", {"root", "alice", "bob", "carol"}},
        {"AccessKeyId", {"AKIAONE", "AKIATWO", "AKIANONE"}},
        {"EventSource", {"s3.amazonaws.com", "cloudtrail.amazonaws.com", "iam.amazonaws.com"}},
        {"ResourceType", {"AWS::S3::Bucket", "AWS::S3::Object", "AWS::IAM::User"}},
        {"ResourceName", {"b1", "b2", "b3/k1", "b4"}},
    };
    char what[160];
    for (size_t a = 0; a < 2; a++) {
        for (size_t r = 0; r < 2; r++) {
            struct event_query q = {.account_id = M_ACCOUNTS[a], .region = M_REGIONS[r]};
            snprintf(what, sizeof what, "%s/%s all", M_ACCOUNTS[a], M_REGIONS[r]);
            check_query(st, model, N, q, 7, what);
            check_query(st, model, N, q, 50, what);
            check_query(st, model, N, q, 0, what); /* no limit: one page */
            for (size_t k = 0; k < sizeof attrs / sizeof attrs[0]; k++) {
                for (size_t v = 0; attrs[k].values[v]; v++) {
                    q.attr_key = attrs[k].key;
                    q.attr_value = attrs[k].values[v];
                    snprintf(what, sizeof what, "%s/%s %s=%s", M_ACCOUNTS[a], M_REGIONS[r],
                             q.attr_key, q.attr_value);
                    check_query(st, model, N, q, 5, what);
                    /* with a time window too */
                    q.start_ms = t0 + 100000;
                    q.end_ms = t0 + 400000;
                    check_query(st, model, N, q, 3, what);
                    q.start_ms = q.end_ms = 0;
                }
            }
            q.attr_key = q.attr_value = NULL;
            /* every EventId of this scope finds exactly its row */
            for (size_t i = 0; i < N; i += 7) {
                q.attr_key = "EventId";
                q.attr_value = model[i].event_id;
                snprintf(what, sizeof what, "EventId %zu", i);
                check_query(st, model, N, q, 2, what);
            }
            q.attr_key = q.attr_value = NULL;
            /* time ranges: inclusive at both ends, open at either */
            int64_t pts[][2] = {
                {t0 + 5000, t0 + 5000},  {t0 + 100000, t0 + 100999},
                {t0 + 300000, 0},        {0, t0 + 200000},
                {t0 + 900000, t0 + 100}, {model[N / 2].event_time_ms, model[N / 2].event_time_ms}};
            for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
                q.start_ms = pts[i][0];
                q.end_ms = pts[i][1];
                snprintf(what, sizeof what, "time [%" PRId64 ", %" PRId64 "]", q.start_ms,
                         q.end_ms);
                check_query(st, model, N, q, 4, what);
            }
            /* a cursor in the middle */
            q.start_ms = q.end_ms = 0;
            q.before_seq = model[N / 3].seq;
            check_query(st, model, N, q, 9, "before_seq");
        }
    }
    /* an account or region with nothing */
    struct event_query q = {.account_id = "333333333333", .region = "us-east-1"};
    check_query(st, model, N, q, 10, "other account");
    q.account_id = M_ACCOUNTS[0];
    q.region = "ap-south-1";
    check_query(st, model, N, q, 10, "other region");

    rows_free_fields(model, N);
    free(model);
    unit_store_close(dir, st);
}

/* Exact timestamps at the boundary are included; one millisecond outside is not. */
TEST(events_lookup_time_inclusive)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    struct event_row v[3];
    row_fill(&v[0], "111111111111", "us-east-1", "CreateBucket", true, 1000, NULL);
    row_fill(&v[1], "111111111111", "us-east-1", "ListBuckets", true, 2000, NULL);
    row_fill(&v[2], "111111111111", "us-east-1", "DeleteBucket", true, 3000, NULL);
    CHECK_EQ_INT(append_rows(st, v, 3), 0);
    struct event_query q = {
        .account_id = "111111111111", .region = "us-east-1", .start_ms = 2000, .end_ms = 3000};
    struct event_row *out;
    size_t n;
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(out[0].event_name, "DeleteBucket");
        CHECK_EQ_STR(out[1].event_name, "ListBuckets");
    }
    store_event_rows_free(out, n);
    q.start_ms = 2001;
    q.end_ms = 2999;
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK(out == NULL);
    store_event_rows_free(out, n);
    rows_free_fields(v, 3);
    unit_store_close(dir, st);
}

/* Data rows are stored (scan sees them) but never looked up. */
TEST(events_management_only)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    struct event_row v[4];
    row_fill(&v[0], "111111111111", "us-east-1", "PutObject", false, 1000,
             "[{\"ResourceType\":\"AWS::S3::Object\",\"ResourceName\":\"b/k\"}]");
    row_fill(&v[1], "111111111111", "us-east-1", "CreateBucket", true, 1001,
             "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"b\"}]");
    row_fill(&v[2], "111111111111", "us-east-1", "GetObject", false, 1002,
             "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"b\"}]");
    /* a data row's resources are not parsed, so even a malformed one is stored */
    row_fill(&v[3], "111111111111", "us-east-1", "GetObject", false, 1003, "not json");
    CHECK_EQ_INT(append_rows(st, v, 4), 0);
    struct event_query q = {.account_id = "111111111111", .region = "us-east-1"};
    struct event_row *out;
    size_t n;
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_EQ_STR(out[0].event_name, "CreateBucket");
    store_event_rows_free(out, n);
    q.attr_key = "ResourceName";
    q.attr_value = "b";
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), 0);
    CHECK_EQ_INT(n, 1);
    store_event_rows_free(out, n);
    q.attr_value = "b/k";
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), 0);
    CHECK_EQ_INT(n, 0);
    store_event_rows_free(out, n);
    q.attr_key = "EventName";
    q.attr_value = "GetObject";
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), 0);
    CHECK_EQ_INT(n, 0);
    store_event_rows_free(out, n);
    CHECK_EQ_INT(store_event_scan(st, 0, 0, &out, &n), 0);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK(!out[0].management && out[1].management);
        CHECK_EQ_STR(out[3].resources, "not json");
    }
    store_event_rows_free(out, n);
    rows_free_fields(v, 4);
    unit_store_close(dir, st);
}

/* Journal order: ascending seq from a cursor, at most max, management and data alike. */
TEST(events_scan_order)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    enum { N = 100 };
    struct event_row v[N];
    for (int i = 0; i < N; i++)
        row_fill(&v[i], i % 3 ? "111111111111" : "222222222222", i % 2 ? "us-east-1" : "eu-west-1",
                 i % 2 ? "PutObject" : "CreateBucket", i % 2 == 0, 5000 - i, NULL);
    CHECK_EQ_INT(append_rows(st, v, 40), 0);
    CHECK_EQ_INT(append_rows(st, v + 40, N - 40), 0);
    int64_t after = 0;
    size_t seen = 0;
    for (int pages = 0; pages < 100; pages++) {
        struct event_row *out;
        size_t n;
        CHECK_EQ_INT(store_event_scan(st, after, 13, &out, &n), 0);
        CHECK(n <= 13);
        for (size_t i = 0; i < n; i++) {
            CHECK(seen < N);
            if (seen < N) {
                CHECK_EQ_INT(out[i].seq, v[seen].seq);
                CHECK_EQ_STR(out[i].event_id, v[seen].event_id);
                CHECK_EQ_STR(out[i].record, v[seen].record);
                CHECK_EQ_STR(out[i].resources, "[]");
                CHECK_EQ_INT(out[i].management, v[seen].management);
                CHECK_EQ_INT(out[i].event_time_ms, v[seen].event_time_ms);
            }
            seen++;
        }
        if (n)
            after = out[n - 1].seq;
        store_event_rows_free(out, n);
        if (n == 0)
            break;
    }
    CHECK_EQ_INT(seen, N);
    struct event_row *out;
    size_t n;
    CHECK_EQ_INT(store_event_scan(st, v[N - 1].seq, 10, &out, &n), 0);
    CHECK_EQ_INT(n, 0);
    store_event_rows_free(out, n);
    rows_free_fields(v, N);
    unit_store_close(dir, st);
}

static int apply_prune(struct store_txn *t, void *arg)
{
    int64_t *p = arg; /* in: before_ms, out: count */
    int rc = store_txn_event_prune(t, *p);
    if (rc < 0)
        return rc;
    *p = rc;
    return 0;
}

static int64_t prune(struct store *st, int64_t before_ms)
{
    int64_t v = before_ms;
    int rc = store_submit_wait(st, apply_prune, &v);
    CHECK_EQ_INT(rc, 0);
    return rc ? -1 : v;
}

static size_t lookup_count(struct store *st, const char *key, const char *value)
{
    struct event_query q = {
        .account_id = "111111111111", .region = "us-east-1", .attr_key = key, .attr_value = value};
    struct event_row *out;
    size_t n = 0;
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), 0);
    store_event_rows_free(out, n);
    return n;
}

/* Retention: only management rows older than the bound go, with their resources; data rows and
 * newer rows stay; seq is never reused afterwards. */
TEST(events_prune)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    struct event_row v[6];
    const char *res = "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"old\"}]";
    row_fill(&v[0], "111111111111", "us-east-1", "CreateBucket", true, 1000, res);
    row_fill(&v[1], "111111111111", "us-east-1", "PutObject", false, 1000, res);
    row_fill(&v[2], "111111111111", "us-east-1", "ListBuckets", true, 1999, NULL);
    row_fill(&v[3], "111111111111", "us-east-1", "DeleteBucket", true, 2000,
             "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"new\"}]");
    row_fill(&v[4], "111111111111", "us-east-1", "GetObject", false, 500, NULL);
    row_fill(&v[5], "111111111111", "us-east-1", "ListBuckets", true, 3000, NULL);
    CHECK_EQ_INT(append_rows(st, v, 6), 0);
    CHECK_EQ_INT(lookup_count(st, "ResourceName", "old"), 1);
    CHECK_EQ_INT(prune(st, 2000), 2); /* v[0], v[2]: < 2000 and management */
    CHECK_EQ_INT(prune(st, 2000), 0);
    CHECK_EQ_INT(lookup_count(st, "ResourceName", "old"), 0);
    CHECK_EQ_INT(lookup_count(st, "ResourceName", "new"), 1);
    CHECK_EQ_INT(lookup_count(st, "ResourceType", "AWS::S3::Bucket"), 1);
    CHECK_EQ_INT(lookup_count(st, NULL, NULL), 2);
    struct event_row *out;
    size_t n;
    CHECK_EQ_INT(store_event_scan(st, 0, 0, &out, &n), 0);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK_EQ_INT(out[0].seq, v[1].seq);
        CHECK_EQ_INT(out[1].seq, v[3].seq);
        CHECK_EQ_INT(out[2].seq, v[4].seq);
        CHECK_EQ_INT(out[3].seq, v[5].seq);
    }
    store_event_rows_free(out, n);
    /* Everything management goes, the newest row included; the next row still gets a higher
     * seq than any row ever appended. */
    CHECK_EQ_INT(prune(st, INT64_MAX), 2);
    struct event_row w;
    row_fill(&w, "111111111111", "us-east-1", "CreateBucket", true, 4000, NULL);
    CHECK_EQ_INT(append_one(st, &w), 0);
    CHECK(w.seq > v[5].seq);
    rows_free_fields(&w, 1);
    rows_free_fields(v, 6);
    unit_store_close(dir, st);
}

/* A prune takes at most STORE_EVENT_PRUNE_MAX rows, oldest first; calling again finishes. */
TEST(events_prune_bounded)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    enum { N = STORE_EVENT_PRUNE_MAX + 5 };
    struct event_row *v = calloc(N, sizeof *v);
    for (int i = 0; i < N; i++)
        row_fill(&v[i], "111111111111", "us-east-1", "ListBuckets", true, 10 + (N - i), NULL);
    for (int i = 0; i < N; i += 1000)
        CHECK_EQ_INT(append_rows(st, v + i, i + 1000 <= N ? 1000 : (size_t)(N - i)), 0);
    CHECK_EQ_INT(prune(st, INT64_MAX), STORE_EVENT_PRUNE_MAX);
    /* times fall as seq rises, so the oldest are the highest seqs: what is left are the 5
     * newest in time, the lowest seqs */
    struct event_row *out;
    size_t n;
    CHECK_EQ_INT(store_event_scan(st, 0, 0, &out, &n), 0);
    CHECK_EQ_INT(n, 5);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(out[i].seq, v[i].seq);
    store_event_rows_free(out, n);
    CHECK_EQ_INT(prune(st, INT64_MAX), 5);
    rows_free_fields(v, N);
    free(v);
    unit_store_close(dir, st);
}

/* Refused rows and arguments; a failed item leaves no row. */
TEST(events_invalid)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    static const char *const bad[] = {
        "not json", "{}", "[1]", "[{\"ResourceName\":7}]", "[{\"ResourceType\":[]}]", "\"x\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct event_row e;
        row_fill(&e, "111111111111", "us-east-1", "CreateBucket", true, 1, bad[i]);
        CHECK_EQ_INT(append_one(st, &e), -EINVAL);
        CHECK_EQ_INT(e.seq, 0);
        rows_free_fields(&e, 1);
    }
    struct event_row e;
    row_fill(&e, "111111111111", "us-east-1", "CreateBucket", true, 1, NULL);
    free(e.record);
    e.record = NULL;
    CHECK_EQ_INT(append_one(st, &e), -EINVAL);
    e.record = strdup("{}");
    e.event_id[0] = '\0';
    CHECK_EQ_INT(append_one(st, &e), -EINVAL);
    memset(e.event_id, 'a', sizeof e.event_id); /* no terminator */
    CHECK_EQ_INT(append_one(st, &e), -EINVAL);
    snprintf(e.event_id, sizeof e.event_id, "x");
    e.region[0] = '\0';
    CHECK_EQ_INT(append_one(st, &e), -EINVAL);
    rows_free_fields(&e, 1);

    /* an item that fails after appending keeps nothing */
    struct event_row v[3];
    for (int i = 0; i < 3; i++)
        row_fill(&v[i], "111111111111", "us-east-1", "CreateBucket", true, 1,
                 "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"gone\"}]");
    struct batch b = {.v = v, .n = 3, .fail_after = 2};
    CHECK_EQ_INT(store_submit_wait(st, apply_batch, &b), -ECANCELED);
    rows_free_fields(v, 3);

    struct event_row *out = (void *)1;
    size_t n = 7;
    CHECK_EQ_INT(store_event_scan(st, 0, 0, &out, &n), 0);
    CHECK_EQ_INT(n, 0);
    store_event_rows_free(out, n);

    /* An anonymous call on no bucket belongs to no account: stored, never looked up. */
    row_fill(&e, "", "us-east-1", "ListBuckets", true, 1, NULL);
    CHECK_EQ_INT(append_one(st, &e), 0);
    CHECK(e.seq > 0);
    rows_free_fields(&e, 1);
    struct event_query any = {.account_id = "", .region = "us-east-1"};
    CHECK_EQ_INT(store_event_lookup(st, &any, &out, &n), 0);
    CHECK_EQ_INT(n, 1); /* the store answers what it is asked; LookupEvents never asks for "" */
    store_event_rows_free(out, n);
    CHECK_EQ_INT(store_event_scan(st, 0, 0, &out, &n), 0);
    CHECK_EQ_INT(n, 1);
    store_event_rows_free(out, n);
    CHECK_EQ_INT(lookup_count(st, "ResourceName", "gone"), 0);

    struct event_query q = {.account_id = "111111111111",
                            .region = "us-east-1",
                            .attr_key = "Region",
                            .attr_value = "x"};
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), -EINVAL);
    q.attr_key = "eventname"; /* keys are case-sensitive */
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), -EINVAL);
    q.attr_key = "EventName";
    q.attr_value = NULL;
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), -EINVAL);
    q.attr_key = NULL;
    q.account_id = NULL;
    CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), -EINVAL);
    CHECK_EQ_INT(store_event_scan(st, 0, 0, NULL, &n), -EINVAL);
    unit_store_close(dir, st);
}

/* The journal survives a reopen (the migration runs once) and numbering goes on from there. */
TEST(events_reopen)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    struct event_row e;
    row_fill(&e, "111111111111", "us-east-1", "CreateBucket", true, 1,
             "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"kept\"}]");
    CHECK_EQ_INT(append_one(st, &e), 0);
    int64_t seq = e.seq;
    rows_free_fields(&e, 1);
    store_close(st);
    CHECK_EQ_INT(store_open(dir, &st), 0);
    CHECK_EQ_INT(lookup_count(st, "ResourceName", "kept"), 1);
    row_fill(&e, "111111111111", "us-east-1", "DeleteBucket", true, 2, NULL);
    CHECK_EQ_INT(append_one(st, &e), 0);
    CHECK(e.seq > seq);
    rows_free_fields(&e, 1);
    unit_store_close(dir, st);
}

/* ---- the append rate ---------------------------------------------------------------------- */

/* A record of the size real S3 management records have (~1.3 KB). */
static char *big_record(const char *event_id)
{
    char *r = malloc(1600);
    int n = snprintf(
        r, 1600,
        "{\"eventVersion\":\"1.11\",\"userIdentity\":{\"type\":\"Root\",\"principalId\":"
        "\"111111111111\",\"arn\":\"arn:aws:iam::111111111111:root\",\"accountId\":"
        "\"111111111111\",\"accessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"},\"eventTime\":"
        "\"2025-01-15T12:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":"
        "\"CreateBucket\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"127.0.0.1\","
        "\"userAgent\":\"[aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.1.0 "
        "md/arch#x86_64 lang/python#3.11.2 md/pyimpl#CPython m/b,Z,D cfg/retry-mode#standard "
        "botocore/1.43.11]\",\"requestParameters\":{\"bucketName\":\"bench-bucket\",\"Host\":"
        "\"127.0.0.1:9000\"},\"responseElements\":null,\"additionalEventData\":{"
        "\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
        "\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":"
        "\"c2VydmVyLWhvc3QtaWQtZm9yLWJlbmNobWFyay1yZWNvcmQtcGFkZGluZy1wYWRkaW5nLXBhZGRpbmc=\","
        "\"bytesTransferredOut\":0},\"requestID\":\"0123456789ABCDEF\",\"eventID\":\"%s\","
        "\"readOnly\":false,\"resources\":[{\"accountId\":\"111111111111\",\"type\":"
        "\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bench-bucket\"}],\"eventType\":"
        "\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"111111111111\","
        "\"eventCategory\":\"Management\",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\","
        "\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":"
        "\"127.0.0.1:9000\"}}",
        event_id);
    (void)n;
    return r;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100k rows in work items of 256 (one transaction and one fsync each, like a busy writer's
 * batches), management rows (every lookup index and a resource row) and data rows (the table
 * only). Prints rows/s; the only check is that every row landed. */
static void append_rate(bool management)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    enum { TOTAL = 100000, BATCH = 256 };
    struct event_row *v = calloc(BATCH, sizeof *v);
    double t = 0;
    size_t done = 0;
    while (done < TOTAL) {
        size_t k = TOTAL - done < BATCH ? TOTAL - done : BATCH;
        for (size_t i = 0; i < k; i++) {
            row_fill(&v[i], i % 5 ? "111111111111" : "222222222222", "us-east-1",
                     management ? (i % 2 ? "ListBuckets" : "CreateBucket") : "PutObject",
                     management, 1736942400000 + (int64_t)(done + i),
                     "[{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":\"bench-bucket\"}]");
            free(v[i].record);
            v[i].record = big_record(v[i].event_id);
        }
        double t0 = now_s();
        CHECK_EQ_INT(append_rows(st, v, k), 0);
        t += now_s() - t0;
        rows_free_fields(v, k);
        done += k;
    }
    free(v);
    printf("  events append (%s rows): %d rows in %.2f s = %.0f rows/s (batches of %d)\n",
           management ? "management" : "data", TOTAL, t, TOTAL / t, BATCH);
    struct event_row *out;
    size_t n;
    CHECK_EQ_INT(store_event_scan(st, TOTAL - 1, 0, &out, &n), 0);
    CHECK_EQ_INT(n, 1);
    store_event_rows_free(out, n);
    if (management) {
        struct event_query q = {.account_id = "111111111111",
                                .region = "us-east-1",
                                .attr_key = "ResourceName",
                                .attr_value = "bench-bucket",
                                .max = 50};
        double t0 = now_s();
        CHECK_EQ_INT(store_event_lookup(st, &q, &out, &n), 0);
        double tl = now_s() - t0;
        CHECK_EQ_INT(n, 50);
        store_event_rows_free(out, n);
        printf("  events lookup (ResourceName, 50 of 80k rows): %.3f ms\n", tl * 1e3);
    }
    unit_store_close(dir, st);
}

TEST(events_append_rate)
{
    append_rate(true);
    append_rate(false);
}

static int apply_last_seq(struct store_txn *t, void *arg)
{
    return store_txn_event_last_seq(t, arg);
}

TEST(events_last_seq)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    int64_t seq = -1;
    CHECK_EQ_INT(store_event_last_seq(st, &seq), 0);
    CHECK_EQ_INT(seq, 0);
    CHECK_EQ_INT(store_submit_wait(st, apply_last_seq, &seq), 0);
    CHECK_EQ_INT(seq, 0);
    unit_store_close(dir, st);
}

struct prune_data_args {
    int64_t upto, before_ms;
    int removed;
};

static int apply_prune_data(struct store_txn *t, void *arg)
{
    struct prune_data_args *a = arg;
    a->removed = store_txn_event_prune_data(t, a->upto, a->before_ms);
    return a->removed < 0 ? a->removed : 0;
}

/* Data rows go once passed (seq) and old enough (time); management rows never by this. */
TEST(events_prune_data)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "events", &st))
        return;
    enum { N = 10 };
    struct event_row v[N];
    for (int i = 0; i < N; i++)
        row_fill(&v[i], "111111111111", "us-east-1", i % 2 ? "PutObject" : "CreateBucket",
                 i % 2 == 0, 1000 + i, NULL);
    CHECK_EQ_INT(append_rows(st, v, N), 0);
    /* Passed up to row 6, old enough up to time 1004: rows 1 and 3 (data, seq <= v[6], t < 1005). */
    struct prune_data_args a = {.upto = v[6].seq, .before_ms = 1005};
    CHECK_EQ_INT(store_submit_wait(st, apply_prune_data, &a), 0);
    CHECK_EQ_INT(a.removed, 2);
    struct event_row *out;
    size_t n;
    CHECK_EQ_INT(store_event_scan(st, 0, 0, &out, &n), 0);
    CHECK_EQ_INT(n, N - 2);
    for (size_t i = 0; i < n; i++)
        CHECK(out[i].seq != v[1].seq && out[i].seq != v[3].seq);
    store_event_rows_free(out, n);
    rows_free_fields(v, N);
    unit_store_close(dir, st);
}
