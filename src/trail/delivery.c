#include "trail/delivery.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "http/req.h"
#include "s3/errors.h"
#include "s3/optable.h"
#include "store/store.h"
#include "trail/record.h"
#include "trail/trailview.h"
#include "util/hash.h"
#include "util/log.h"

/* A file holds at most this many records, and its compressed size stays under AWS's 50 MB cap:
 * records are at most 256 KB each, so 150 of them can never reach it uncompressed, and typical
 * 1-2 KB records compress 10x; the count bound keeps a file's memory small either way. */
#define FILE_MAX_RECORDS 5000
#define FILE_MAX_RAW_BYTES (45u * 1024 * 1024)
/* How many journal rows one pass reads per trail. */
#define SCAN_BATCH 2000
/* Retry backoff after a failed delivery, doubling up to the cap. */
#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 60
/* How often delivered data rows leave the journal, and how long they stay at least. */
#define PRUNE_EVERY_MS (60 * 1000)
#define DATA_GRACE_MS (3600 * 1000)

struct trail_state {
    char key[256]; /* account/name: matches across passes */
    int64_t due_ms; /* next time its pending events may be delivered */
    unsigned backoff_s;
    bool seen;
};

struct delivery {
    struct store *st;
    unsigned interval_s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    bool flush;
    struct trail_state *states;
    size_t nstates;
    int64_t next_prune_ms;
};

/* ---- the log file ----------------------------------------------------------------------------- */

/* zlib's fast levels (1-3) deflate CloudTrail JSON at 17x, the default level 6 at 19x for 2.5 times
 * the CPU (bench/pipeline, 200,000 varied records: 286,000 against 172,000 records/s per core,
 * gzip being 57% and 75% of the pipeline). Files 10% larger are worth the audit throughput. */
#define GZIP_LEVEL 3

int delivery_gzip(const char *p, size_t n, unsigned char **out, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    size_t cap = deflateBound(&z, (uLong)n);
    unsigned char *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&z);
        return -ENOMEM;
    }
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int zrc = deflate(&z, Z_FINISH);
    *outlen = z.total_out;
    deflateEnd(&z);
    if (zrc != Z_STREAM_END) {
        free(buf);
        return -EIO;
    }
    *out = buf;
    return 0;
}

/* <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 alphanumerics>.json.gz under the dated
 * folder; the date is the delivery time, as AWS names files. */
static int log_key(const struct trail_view *t, const char *region, int64_t now_ms, char *out,
                   size_t cap)
{
    time_t now = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    char day[16], stamp[32], uniq[17];
    strftime(day, sizeof day, "%Y/%m/%d", &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%MZ", &tm);
    if (hash_random_upper_alnum(uniq, 16))
        return -EIO;
    /* Upper-case letters and digits only from the helper; AWS mixes cases, consumers ignore it. */
    int n = snprintf(out, cap, "%s%sAWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
                     t->prefix, t->prefix[0] ? "/" : "", t->account_id, region, day,
                     t->account_id, region, stamp, uniq);
    return n > 0 && (size_t)n < cap ? 0 : -E2BIG;
}

/* ---- one delivery: a file, the cursor, the delivery's own record ------------------------------ */

struct file_job {
    struct store *st;
    const struct trail_view *trail;
    char key[1100];
    unsigned char *gz;
    size_t gzlen;
    char *sse;               /* the object's encryption document (store.h) */
    char blob_id[33];
    int64_t now_ms;
    char etag[33];
};

/* The record of the delivery's PutObject, as AWS writes it for its own deliveries: AWSService
 * identity invoked by cloudtrail.amazonaws.com, x-amz-acl bucket-owner-full-control. */
static int delivery_record(struct store_txn *t, const struct file_job *j,
                           const struct bucket *bkt)
{
    struct req *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    struct kv headers[] = {
        {"Host", ""},
        {"x-amz-acl", "bucket-owner-full-control"},
        {"User-Agent", "cloudtrail.amazonaws.com"},
    };
    r->op = optable_find("PutObject");
    r->method = "PUT";
    r->bucket = (char *)bkt->name;
    r->key = (char *)j->key;
    r->headers = headers;
    r->nheaders = sizeof headers / sizeof headers[0];
    r->host = "";
    r->bkt = *bkt;
    r->bkt_loaded = true;
    snprintf(r->region, sizeof r->region, "%s", bkt->region);
    r->who.type = PRINCIPAL_AWS_SERVICE;
    snprintf(r->who.principal_id, sizeof r->who.principal_id, "cloudtrail.amazonaws.com");
    snprintf(r->who.account_id, sizeof r->who.account_id, "%s", bkt->owner_account);
    snprintf(r->source_ip, sizeof r->source_ip, "cloudtrail.amazonaws.com");
    r->status = 200;
    r->audited = true;
    /* The record says what the write did: SSE-S3 (responseElements, SSEApplied). */
    struct resp_header sse_hdr = {"x-amz-server-side-encryption", "AES256"};
    r->resp_headers = &sse_hdr;
    r->n_resp_headers = 1;
    r->bytes_in = j->gzlen;
    r->start_ms = j->now_ms;
    unsigned char raw[56];
    if (hash_random_bytes(raw, sizeof raw) == 0) {
        hash_hex(raw, 8, r->request_id);
        for (char *p = r->request_id; *p; p++)
            if (*p >= 'a' && *p <= 'f')
                *p = (char)(*p - 'a' + 'A');
        hash_base64_encode(raw + 8, 48, r->host_id);
    }
    struct event_row ev;
    memset(&ev, 0, sizeof ev);
    int rc = record_build(r, &ev, NULL);
    if (!rc && ev.account_id[0])
        rc = store_txn_event_append(t, &ev);
    free(ev.resources);
    free(ev.record);
    free(r);
    return rc;
}

/* The records a pass gathered for one region. */
struct region_batch {
    char region[32];
    struct buf json;
    size_t n;
};

/* One delivery: a file per region the pass gathered, and the cursor after all of them. */
struct pass_job {
    struct store *st;
    const struct trail_view *trail;
    struct file_job *files;
    size_t nfiles;
    int64_t new_cursor;  /* the last journal row this delivery covers */
    int s3_error;        /* an S3 error code to remember (NoSuchBucket, ...), 0 for none */
};

/* Stores one log object in bucket b (inside the pass's transaction). */
static int put_log_object(struct store_txn *t, struct store *st, const struct bucket *b,
                          const struct file_job *j)
{
    struct object_meta m;
    memset(&m, 0, sizeof m);
    struct segment seg;
    memset(&seg, 0, sizeof seg);
    m.bucket_id = b->id;
    m.key = (char *)j->key;
    m.size = j->gzlen;
    snprintf(m.etag, sizeof m.etag, "%s", j->etag);
    m.mtime_ms = j->now_ms;
    snprintf(m.owner_account, sizeof m.owner_account, "%s", b->owner_account);
    snprintf(m.storage_class, sizeof m.storage_class, "STANDARD");
    m.headers = "{\"content-type\":\"application/json\",\"content-encoding\":\"gzip\"}";
    m.sse = j->sse; /* log files are encrypted at rest (SSE-S3), as AWS delivers them */
    m.acl = trail_bucket_owner_acl(st, b->owner_account);
    snprintf(seg.blob_id, sizeof seg.blob_id, "%s", j->blob_id);
    seg.size = j->gzlen;
    snprintf(seg.etag, sizeof seg.etag, "%s", j->etag);
    m.segs = &seg;
    m.nsegs = 1;
    int rc = m.acl ? store_txn_object_put(t, &m) : -ENOMEM;
    free(m.acl);
    return rc;
}

/*
 * Every file of the pass, the trail's advanced cursor and the deliveries' own records, in ONE
 * transaction: a crash leaves all of them or none, so no region's file is ever written twice or
 * skipped.
 */
static int pass_apply(struct store_txn *t, void *arg)
{
    struct pass_job *p = arg;
    /* The trail and its bucket, as they are now (the writer serialises us with every API
     * change): a trail deleted meanwhile, or moved to another bucket, gets nothing. */
    char *doc = NULL;
    int rc = store_txn_doc_get(t, p->trail->kind, p->trail->account_id, p->trail->doc_name, &doc);
    if (rc)
        return rc == -ENOENT ? -ECANCELED : rc;
    struct trail_view now;
    now.kind = p->trail->kind;
    snprintf(now.account_id, sizeof now.account_id, "%s", p->trail->account_id);
    snprintf(now.doc_name, sizeof now.doc_name, "%s", p->trail->doc_name);
    rc = trail_view_parse(doc, &now);
    free(doc);
    if (!rc) {
        if (now.cursor != p->trail->cursor || strcmp(now.bucket, p->trail->bucket) != 0)
            rc = -ECANCELED;
        trail_view_free(&now);
    }
    struct bucket b;
    if (!rc) {
        rc = store_txn_bucket_get(t, p->trail->bucket, &b);
        if (rc == -ENOENT)
            p->s3_error = S3E_NoSuchBucket;
    }
    if (rc)
        return rc;
    for (size_t i = 0; i < p->nfiles && !rc; i++) {
        struct file_job *j = &p->files[i];
        rc = put_log_object(t, p->st, &b, j);
        if (!rc)
            rc = delivery_record(t, j, &b);
    }
    if (!rc)
        rc = trail_doc_delivered(t, p->trail, p->new_cursor, p->files[0].now_ms);
    store_bucket_free(&b);
    return rc;
}

struct failure {
    const struct trail_view *trail;
    const char *code;
    int64_t now_ms;
};

static int failure_apply(struct store_txn *t, void *arg)
{
    struct failure *f = arg;
    return trail_doc_delivery_failed(t, f->trail, f->code, f->now_ms);
}

/* Cuts the file for `region` from the records in `json`: gzip, then an encrypted, fsynced blob
 * (a log file is a file on disk, never a row beside the journal it was cut from), before the
 * transaction that names it. */
static int cut_file(struct delivery *d, const struct trail_view *t, const char *region,
                    struct buf *json, int64_t now_ms, struct file_job *j)
{
    memset(j, 0, sizeof *j);
    j->st = d->st;
    j->trail = t;
    j->now_ms = now_ms;
    int rc = log_key(t, region, now_ms, j->key, sizeof j->key);
    if (!rc)
        rc = delivery_gzip(json->data, json->len, &j->gz, &j->gzlen);
    if (rc)
        return rc;
    unsigned char md5[16];
    hash_md5(j->gz, j->gzlen, md5);
    hash_hex(md5, 16, j->etag);
    struct blob_writer w = {0};
    rc = store_blob_begin(d->st, &w);
    if (!rc)
        rc = store_sse_encrypt_blob(d->st, j->gz, j->gzlen, &w, &j->sse);
    if (!rc)
        rc = store_blob_finish(d->st, &w);
    if (rc) {
        store_blob_abort(d->st, &w);
        return rc;
    }
    snprintf(j->blob_id, sizeof j->blob_id, "%s", w.id);
    return 0;
}

static void file_job_free(struct store *st, struct file_job *j, bool discard_blob)
{
    if (discard_blob && j->blob_id[0])
        store_blob_discard(st, j->blob_id);
    free(j->gz);
    free(j->sse);
}

/* Writes one file per region and commits them all with the cursor. */
static int deliver_files(struct delivery *d, const struct trail_view *t,
                         struct region_batch *batches, size_t nb, int64_t new_cursor)
{
    struct pass_job p = {.st = d->st, .trail = t, .new_cursor = new_cursor};
    p.files = calloc(nb, sizeof *p.files);
    if (!p.files)
        return -ENOMEM;
    int64_t now = store_now_ms();
    int rc = 0;
    for (; p.nfiles < nb && !rc; p.nfiles++) {
        buf_puts(&batches[p.nfiles].json, "]}");
        rc = buf_ok(&batches[p.nfiles].json)
                 ? cut_file(d, t, batches[p.nfiles].region, &batches[p.nfiles].json, now,
                            &p.files[p.nfiles])
                 : -ENOMEM;
    }
    if (!rc)
        rc = store_submit_wait(d->st, pass_apply, &p);
    if (rc && rc != -ECANCELED) {
        struct failure f = {t, p.s3_error ? s3err_code(p.s3_error) : "InternalError", now};
        if (store_submit_wait(d->st, failure_apply, &f))
            log_warn("trail %s: could not record its delivery error", t->name);
    }
    for (size_t i = 0; i < p.nfiles; i++)
        file_job_free(d->st, &p.files[i], rc != 0);
    free(p.files);
    return rc;
}

/* ---- a pass over one trail -------------------------------------------------------------------- */

static bool is_own_delivery(const struct event_row *e)
{
    return strcmp(e->username, "cloudtrail.amazonaws.com") == 0 && e->access_key[0] == '\0';
}

static struct region_batch *batch_for(struct region_batch **v, size_t *n, const char *region)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].region, region) == 0)
            return &(*v)[i];
    struct region_batch *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return NULL;
    *v = nv;
    struct region_batch *b = &nv[(*n)++];
    memset(b, 0, sizeof *b);
    snprintf(b->region, sizeof b->region, "%s", region);
    buf_puts(&b->json, "{\"Records\":[");
    return b;
}

/*
 * Delivers what the trail has pending up to `limit` (the journal's end, or where a stopped trail
 * stopped). Rows are gathered from the cursor on; a file is cut per region when it is full, and
 * at the end when the trail is due. The cursor after a file is the last row read before it was
 * cut, so every row the trail skipped before that point is behind it too.
 */
static int deliver_trail(struct delivery *d, const struct trail_view *t, bool due, bool *more)
{
    int64_t cursor = t->cursor;
    int64_t limit = t->limit_seq;
    *more = false;
    /* Not due, and too few rows even to fill a file by count: nothing could go out, so nothing is
     * read. Reading them anyway cost a scan of everything pending at every tick, about
     * interval-many times each row's delivery. (A file can also fill by bytes before the count;
     * it then waits for the interval, holding at most FILE_MAX_RECORDS rows' worth.) */
    if (!due && limit - cursor < FILE_MAX_RECORDS)
        return 0;
    struct region_batch *batches = NULL;
    size_t nb = 0;
    int rc = 0;
    bool any_real = false, full = false;
    int64_t scanned_to = cursor;
    while (!rc && scanned_to < limit) {
        struct event_row *rows = NULL;
        size_t n = 0;
        rc = store_event_scan(d->st, scanned_to, SCAN_BATCH, &rows, &n);
        if (rc || n == 0) {
            store_event_rows_free(rows, n);
            break;
        }
        for (size_t i = 0; i < n && !rc; i++) {
            struct event_row *e = &rows[i];
            if (e->seq > limit)
                break;
            scanned_to = e->seq;
            if (!trail_takes(t, e))
                continue;
            struct region_batch *b = batch_for(&batches, &nb, e->region);
            if (!b) {
                rc = -ENOMEM;
                break;
            }
            if (b->n)
                buf_putc(&b->json, ',');
            buf_puts(&b->json, e->record);
            b->n++;
            any_real = any_real || !is_own_delivery(e);
            if (!buf_ok(&b->json))
                rc = -ENOMEM;
            if (b->n >= FILE_MAX_RECORDS || b->json.len >= FILE_MAX_RAW_BYTES) {
                full = true; /* a file is full: it goes now, whatever the interval */
                break;
            }
        }
        store_event_rows_free(rows, n);
        if (full || n < SCAN_BATCH)
            break;
    }
    /* Nothing but our own deliveries: they wait for real events (no feedback loop). */
    if (!rc && (due || full) && any_real) {
        rc = deliver_files(d, t, batches, nb, scanned_to);
        *more = !rc && full && scanned_to < limit;
    } else if (!rc && due && nb == 0 && scanned_to > t->cursor) {
        /* Nothing for this trail in what was read: move the cursor past it. */
        rc = trail_doc_advance(d->st, t, scanned_to);
    }
    for (size_t k = 0; k < nb; k++)
        buf_free(&batches[k].json);
    free(batches);
    return rc;
}

static struct trail_state *state_for(struct delivery *d, const struct trail_view *t)
{
    char key[256];
    snprintf(key, sizeof key, "%s/%s/%s", t->kind, t->account_id, t->doc_name);
    for (size_t i = 0; i < d->nstates; i++)
        if (strcmp(d->states[i].key, key) == 0)
            return &d->states[i];
    struct trail_state *v = realloc(d->states, (d->nstates + 1) * sizeof *v);
    if (!v)
        return NULL;
    d->states = v;
    struct trail_state *s = &v[d->nstates++];
    memset(s, 0, sizeof *s);
    snprintf(s->key, sizeof s->key, "%s", key);
    s->due_ms = store_now_ms() + (int64_t)d->interval_s * 1000;
    return s;
}

/* One pass over the trails of one kind (live or retired). */
static void pass_kind(struct delivery *d, const char *kind, bool flush, int64_t last, bool *more)
{
    struct store_doc *docs = NULL;
    size_t n = 0;
    if (store_doc_list(d->st, kind, NULL, &docs, &n))
        return;
    int64_t now = store_now_ms();
    bool retired = strcmp(kind, TRAIL_RETIRED_KIND) == 0;
    for (size_t i = 0; i < n; i++) {
        struct trail_view t;
        t.kind = kind;
        snprintf(t.account_id, sizeof t.account_id, "%s", docs[i].account_id);
        snprintf(t.doc_name, sizeof t.doc_name, "%s", docs[i].name);
        if (trail_view_parse(docs[i].value, &t))
            continue;
        t.limit_seq = trail_limit_seq(&t, last);
        if (t.limit_seq <= t.cursor) {
            /* Nothing owed: a deleted trail's document goes now. */
            if (retired && trail_doc_retire(d->st, &t))
                log_warn("trail %s: could not remove its retired document", t.name);
            trail_view_free(&t);
            continue;
        }
        struct trail_state *s = state_for(d, &t);
        /* A stopped (or deleted) trail owes what it logged before: that goes out now, not after
         * the interval (StopLogging and DeleteTrail flush). */
        bool due = flush || (s && (now >= s->due_ms || (!t.logging && !s->backoff_s)));
        bool full = false;
        int rc = deliver_trail(d, &t, due, &full);
        *more = *more || full;
        if (s && due && !full) {
            if (rc && rc != -ECANCELED) {
                s->backoff_s = s->backoff_s ? s->backoff_s * 2 : BACKOFF_MIN_S;
                if (s->backoff_s > BACKOFF_MAX_S)
                    s->backoff_s = BACKOFF_MAX_S;
                s->due_ms = now + (int64_t)s->backoff_s * 1000;
            } else {
                s->backoff_s = 0;
                s->due_ms = now + (int64_t)d->interval_s * 1000;
            }
        }
        trail_view_free(&t);
    }
    store_docs_free(docs, n);
}

/* The lowest cursor of any trail of one kind (live or retired) into *min. */
static int min_cursor(struct store *st, const char *kind, int64_t *min)
{
    struct store_doc *docs = NULL;
    size_t n = 0;
    int rc = store_doc_list(st, kind, NULL, &docs, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        struct trail_view t;
        t.kind = kind;
        snprintf(t.account_id, sizeof t.account_id, "%s", docs[i].account_id);
        snprintf(t.doc_name, sizeof t.doc_name, "%s", docs[i].name);
        if (trail_view_parse(docs[i].value, &t))
            continue;
        if (t.cursor < *min)
            *min = t.cursor;
        trail_view_free(&t);
    }
    store_docs_free(docs, n);
    return rc;
}

struct prune_data {
    int64_t upto;
    int64_t before_ms;
    int removed;
};

static int prune_data_apply(struct store_txn *t, void *arg)
{
    struct prune_data *p = arg;
    p->removed = store_txn_event_prune_data(t, p->upto, p->before_ms);
    return p->removed < 0 ? p->removed : 0;
}

/*
 * Data events never reach event history; the journal keeps them only until every trail has
 * passed them. A trail created or started later begins at the journal's end, so the lowest
 * cursor of the trails that exist now is the bound. They stay an hour more all the same, so an
 * operator can still dump recent activity (`admin events dump`). Removed in bounded work items so
 * the writer is never held long.
 */
static void prune_delivered_data(struct delivery *d, int64_t last)
{
    struct prune_data p = {.upto = last, .before_ms = store_now_ms() - DATA_GRACE_MS};
    if (min_cursor(d->st, TRAIL_DOC_KIND, &p.upto) || min_cursor(d->st, TRAIL_RETIRED_KIND, &p.upto))
        return;
    do {
        if (store_submit_wait(d->st, prune_data_apply, &p))
            return;
    } while (p.removed == STORE_EVENT_PRUNE_MAX);
}

/* One pass over every trail (flush: deliver whatever is pending now); true when a trail cut a
 * full file and has more rows waiting. */
static bool pass(struct delivery *d, bool flush)
{
    int64_t last = 0;
    bool more = false;
    if (store_event_last_seq(d->st, &last))
        return false;
    pass_kind(d, TRAIL_DOC_KIND, flush, last, &more);
    pass_kind(d, TRAIL_RETIRED_KIND, flush, last, &more);
    int64_t now = store_now_ms();
    if (now >= d->next_prune_ms) {
        prune_delivered_data(d, last);
        d->next_prune_ms = now + PRUNE_EVERY_MS;
    }
    return more;
}

static void *loop(void *arg)
{
    struct delivery *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        bool flush = d->flush;
        d->flush = false;
        pthread_mutex_unlock(&d->mu);
        /* A backlog of full files goes out back to back, not one per tick. */
        bool more = pass(d, flush);
        pthread_mutex_lock(&d->mu);
        if (d->stop || d->flush || more)
            continue;
        /* A tick a second: the interval decides when a trail is due, the tick how late. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&d->cv, &d->mu, &ts);
    }
    pthread_mutex_unlock(&d->mu);
    while (pass(d, true)) {
        /* graceful stop: everything pending goes out, file after file */
    }
    return NULL;
}

/* The running instance, for delivery_kick(). */
static struct delivery *_Atomic running;

int delivery_start(struct store *st, unsigned interval_s, struct delivery **out)
{
    struct delivery *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    d->st = st;
    d->interval_s = interval_s ? interval_s : 1;
    d->next_prune_ms = store_now_ms() + PRUNE_EVERY_MS;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    if (pthread_create(&d->thread, NULL, loop, d) != 0) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return -EAGAIN;
    }
    running = d;
    *out = d;
    return 0;
}

void delivery_kick(void)
{
    delivery_flush(running);
}

void delivery_flush(struct delivery *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->flush = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

void delivery_stop(struct delivery *d)
{
    if (!d)
        return;
    running = NULL;
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d->states);
    free(d);
}
