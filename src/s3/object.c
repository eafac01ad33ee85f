/*
 * object.c — object handlers: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects,
 * CopyObject, and the object reader the copy operations share.
 */
#include <errno.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/acl.h"
#include "s3/acl_ops.h"
#include "auth/authz.h"
#include "auth/sigv4.h"
#include "http/req.h"
#include "s3/errors.h"
#include "s3/handlers.h"
#include "s3/limits.h"
#include "s3/object.h"
#include "s3/s3util.h"
#include "store/sse.h"
#include "util/checksum.h"
#include "util/hash.h"
#include "util/log.h"


/* ---- shared pieces ------------------------------------------------------------------------- */

static void object_state_free(void *p)
{
    struct object_meta *m = p;
    if (m) {
        store_object_free(m);
        free(m);
    }
}

/* Does an If-Match / If-None-Match list ("a", "b" or *) name this ETag? */
bool s3_etag_matches(const char *list, const char *etag)
{
    const char *p = list;
    size_t el = strlen(etag);
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        bool quoted = *p == '"';
        if (quoted)
            p++;
        size_t n = strcspn(p, quoted ? "\"" : ", ");
        if (n == el && strncmp(p, etag, n) == 0)
            return true;
        p += n;
        if (quoted && *p == '"')
            p++;
    }
    return false;
}

int s3_conditions(struct req *r, const char *etag, int64_t mtime_ms, const char *prefix)
{
    char name[64];
    time_t t, mtime = (time_t)(mtime_ms / 1000);
    snprintf(name, sizeof name, "%sIf-Match", prefix);
    const char *im = req_header(r, name);
    snprintf(name, sizeof name, "%sIf-Unmodified-Since", prefix);
    const char *ius = req_header(r, name);
    snprintf(name, sizeof name, "%sIf-None-Match", prefix);
    const char *inm = req_header(r, name);
    snprintf(name, sizeof name, "%sIf-Modified-Since", prefix);
    const char *ims = req_header(r, name);

    /* S3's precedence: If-Match decides over If-Unmodified-Since, If-None-Match over
     * If-Modified-Since; failed If-Match/If-Unmodified-Since beat the 304 cases. Unparsable
     * dates are ignored, as HTTP says. */
    if (im) {
        if (!s3_etag_matches(im, etag))
            return -S3E_PreconditionFailed;
    } else if (ius && !sigv4_parse_http_date(ius, &t) && mtime > t) {
        return -S3E_PreconditionFailed;
    }
    if (inm) {
        if (s3_etag_matches(inm, etag))
            return *prefix ? -S3E_PreconditionFailed : -S3E_NotModified;
    } else if (ims && !sigv4_parse_http_date(ims, &t) && mtime <= t) {
        return *prefix ? -S3E_PreconditionFailed : -S3E_NotModified;
    }
    return 0;
}

/* Opens a decryptor over an encrypted object's body: *fd gets the blob's descriptor (the caller
 * closes it) or -1 for inline data. -ENOENT when the blob is gone (the caller reads the metadata
 * again), -EBADMSG / -EINVAL for a body or document that does not authenticate (logged). */
static int sse_open(struct store *st, const struct object_meta *m, int *fd, struct sse_dec **d)
{
    *fd = -1;
    *d = NULL;
    if (m->nsegs > 1)
        return -EINVAL; /* store_txn_object_put refuses these: multipart SSE is not built */
    if (m->nsegs == 1) {
        *fd = store_blob_open(st, m->segs[0].blob_id);
        if (*fd < 0)
            return *fd;
    }
    int rc = store_sse_dec_open(st, m->sse, m->size, *fd, m->inline_data, m->inline_len, d);
    if (rc) {
        if (rc == -EBADMSG || rc == -EINVAL)
            log_error("object %lld (%s): encrypted body or key does not authenticate (%s)",
                      (long long)m->id, m->nsegs ? m->segs[0].blob_id : "inline",
                      rc == -EBADMSG ? "wrong length, or data key not wrapped by this master key"
                                     : "unreadable sse document");
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
    }
    return rc;
}

/* s3_object_read of an encrypted object: only the segments covering the range are decrypted,
 * each verified before its bytes reach the sink. */
static int object_read_sse(struct store *st, const struct object_meta *m, uint64_t off,
                           uint64_t len, int (*sink)(void *arg, const void *p, size_t n),
                           void *arg)
{
    if (off > m->size || len > m->size - off)
        return -EINVAL;
    int fd;
    struct sse_dec *d;
    int rc = sse_open(st, m, &fd, &d);
    if (rc)
        return rc;
    char *buf = malloc(SSE_SEG_SIZE);
    rc = buf ? 0 : -ENOMEM;
    while (!rc && len) {
        ssize_t got = store_sse_dec_read(d, off, buf, len < SSE_SEG_SIZE ? (size_t)len
                                                                        : SSE_SEG_SIZE);
        if (got <= 0) {
            rc = got < 0 ? (int)got : -EIO;
            if (rc == -EBADMSG)
                log_error("object %lld: segment at offset %llu fails authentication: the "
                          "stored body was altered",
                          (long long)m->id, (unsigned long long)off);
            break;
        }
        rc = sink(arg, buf, (size_t)got);
        off += (uint64_t)got;
        len -= (uint64_t)got;
    }
    free(buf);
    store_sse_dec_free(d);
    if (fd >= 0)
        close(fd);
    return rc;
}

int s3_object_read(struct store *st, const struct object_meta *m, uint64_t off, uint64_t len,
                   int (*sink)(void *arg, const void *p, size_t n), void *arg)
{
    if (m->sse)
        return object_read_sse(st, m, off, len, sink, arg);
    if (m->nsegs == 0) {
        if (off > m->inline_len || len > m->inline_len - off)
            return -EINVAL;
        return len ? sink(arg, m->inline_data + off, (size_t)len) : 0;
    }
    static const size_t chunk = 256 * 1024;
    char *buf = malloc(chunk);
    if (!buf)
        return -ENOMEM;
    int rc = 0;
    uint64_t base = 0;
    for (size_t i = 0; i < m->nsegs && len && !rc; i++) {
        const struct segment *s = &m->segs[i];
        if (off >= base + s->size) {
            base += s->size;
            continue;
        }
        int fd = store_blob_open(st, s->blob_id);
        if (fd < 0) {
            rc = fd;
            break;
        }
        uint64_t in = off - base;
        while (in < s->size && len && !rc) {
            size_t want = (size_t)(s->size - in < chunk ? s->size - in : chunk);
            if (want > len)
                want = (size_t)len;
            ssize_t got = pread(fd, buf, want, (off_t)in);
            if (got <= 0) {
                rc = got < 0 ? -errno : -EIO;
                break;
            }
            rc = sink(arg, buf, (size_t)got);
            in += (uint64_t)got;
            off += (uint64_t)got;
            len -= (uint64_t)got;
        }
        close(fd);
        base += s->size;
    }
    free(buf);
    return rc;
}

/* Builds the response body of [off, off+len) from the object's inline data or segments. An
 * encrypted body is one decrypting piece: server.c decrypts the segments the range covers as the
 * response goes out (never through sendfile). */
static int add_body_pieces(struct req *r, const struct object_meta *m, uint64_t off, uint64_t len)
{
    if (m->sse) {
        if (!len)
            return 0;
        int fd;
        struct sse_dec *d;
        int rc = sse_open(r->st, m, &fd, &d);
        return rc ? rc : req_add_sse_piece(r, fd, d, off, len);
    }
    if (m->nsegs == 0)
        return len ? req_add_mem_piece(r, m->inline_data + off, len) : 0;
    uint64_t base = 0;
    for (size_t i = 0; i < m->nsegs && len; i++) {
        const struct segment *s = &m->segs[i];
        if (off >= base + s->size) {
            base += s->size;
            continue;
        }
        uint64_t in = off - base, n = s->size - in < len ? s->size - in : len;
        int fd = store_blob_open(r->st, s->blob_id);
        if (fd < 0)
            return fd;
        /* A body file cut short (only damage outside the server can do that) would leave
         * sendfile(2) waiting for bytes that never come: refuse it before any byte goes out. */
        struct stat sb;
        if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size < in + n) {
            close(fd);
            log_error("blob %s of %s/%s is shorter than the object says: damaged", s->blob_id,
                      r->bucket, r->key);
            return -EIO;
        }
        int rc = req_add_file_piece(r, fd, in, n);
        if (rc)
            return rc;
        off += n;
        len -= n;
        base += s->size;
    }
    return 0;
}

static int no_such_key(struct req *r)
{
    return s3_no_such_key(r, r->key);
}

/* Versioning comes with its own issue; until then only the "null" version exists. */
static int check_version_id(struct req *r)
{
    const char *v = req_query(r, "versionId");
    if (!v || strcmp(v, "null") == 0)
        return 0;
    buf_put_xml_elem(&r->error_extra, "Key", r->key);
    return s3_error_naming(r, S3E_NoSuchVersion, "VersionId", v);
}

/* ---- GetObject / HeadObject ---------------------------------------------------------------- */

/* "bytes=a-b" | "bytes=a-" | "bytes=-n". 1 = no usable range (serve everything, as S3 does for
 * syntax it does not take), 0 = range set, -S3E_InvalidRange = unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *len)
{
    if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 1;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        if (p[1] < '0' || p[1] > '9')
            return 1;
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (*end)
            return 1;
        if (n == 0 || size == 0)
            return -S3E_InvalidRange;
        *len = n > size ? size : n;
        *start = size - *len;
        return 0;
    }
    if (*p < '0' || *p > '9')
        return 1;
    unsigned long long a = strtoull(p, &end, 10);
    if (*end != '-')
        return 1;
    unsigned long long b;
    if (end[1] == '\0') {
        b = size ? size - 1 : 0;
    } else {
        const char *q = end + 1;
        if (*q < '0' || *q > '9')
            return 1;
        b = strtoull(q, &end, 10);
        if (*end || b < a)
            return 1;
    }
    if (a >= size)
        return -S3E_InvalidRange;
    if (b >= size)
        b = size - 1;
    *start = a;
    *len = b - a + 1;
    return 0;
}

static int add_checksum_headers(struct req *r, const struct object_meta *m)
{
    if (!m->checksum_algo[0])
        return 0;
    enum cksum_algo a = cksum_algo_from_name(m->checksum_algo);
    int rc = req_add_header(r, cksum_header(a), m->checksum);
    if (!rc && m->checksum_type[0])
        rc = req_add_header(r, "x-amz-checksum-type", m->checksum_type);
    return rc;
}

static int object_headers(struct req *r, const struct object_meta *m)
{
    char lm[40];
    s3_time_http(m->mtime_ms, lm);
    int rc = req_add_header(r, "Last-Modified", lm);
    rc = rc ? rc : s3_add_etag(r, m->etag);
    if (!rc && strcmp(m->storage_class, "STANDARD") != 0)
        rc = req_add_header(r, "x-amz-storage-class", m->storage_class);
    if (!rc && m->sse)
        rc = req_add_header(r, "x-amz-server-side-encryption", SSE_ALG_AES256);
    return rc;
}

static int get_or_head(struct req *r, bool head)
{
    if (r->who.type == PRINCIPAL_ANONYMOUS) {
        for (size_t i = 0; i < r->nq; i++)
            if (strncmp(r->q[i].name, "response-", 9) == 0)
                return req_error(r, S3E_InvalidRequest,
                                 "Request specific response headers cannot be used for "
                                 "anonymous GET requests.");
    }
    struct object_meta *m = calloc(1, sizeof *m);
    if (!m)
        return -S3E_ServiceUnavailable;
    r->handler_state = m;
    r->handler_state_free = object_state_free;
    int rc = store_object_get(r->st, r->bkt.id, r->key, m);
    if (rc == -ENOENT)
        return authz_may_list(r) ? no_such_key(r) : req_error(r, S3E_AccessDenied, NULL);
    if (rc)
        return s3err_from_errno(rc);
    rc = s3_check_object_read(r, m);
    if (!rc)
        rc = check_version_id(r);
    if (rc)
        return rc;

    rc = s3_conditions(r, m->etag, m->mtime_ms, "");
    if (rc == -S3E_NotModified) {
        req_set_status(r, 304);
        return object_headers(r, m) ? -S3E_InternalError : 0;
    }
    if (rc)
        return req_error(r, rc, NULL);

    uint64_t start = 0, len = m->size;
    bool partial = false;
    const struct segment *part = NULL; /* the part a partNumber GET answers with */
    const char *pn = req_query(r, "partNumber");
    const char *range = req_header(r, "Range");
    if (pn) {
        char *end;
        long n = strtol(pn, &end, 10);
        if (*end || end == pn || n < 1 || n > S3_MAX_PARTS)
            return req_error(r, S3E_InvalidArgument,
                             "Part number must be an integer between 1 and 10000, inclusive");
        if (range)
            return req_error(r, S3E_InvalidRequest,
                             "Cannot specify both Range header and partNumber query parameter");
        bool multipart = m->nsegs > 0 && m->segs[0].part_number > 0;
        /* A part number beyond the object's parts: 400 InvalidPart, as ceph s3-tests
         * (test_multipart_get_part, test_non_multipart_get_part) hold S3 to. */
        if (!multipart) {
            if (n != 1)
                return req_error(r, S3E_InvalidPart, NULL);
        } else {
            if ((size_t)n > m->nsegs)
                return req_error(r, S3E_InvalidPart, NULL);
            start = 0;
            for (long i = 0; i < n - 1; i++)
                start += m->segs[i].size;
            len = m->segs[n - 1].size;
            partial = true;
            part = &m->segs[n - 1];
            rc = req_add_headerf(r, "x-amz-mp-parts-count", "%zu", m->nsegs);
        }
    } else if (range) {
        int pr = parse_range(range, m->size, &start, &len);
        if (pr < 0) {
            buf_puts(&r->error_extra, "<RangeRequested>");
            buf_put_xml(&r->error_extra, range);
            buf_printf(&r->error_extra, "</RangeRequested><ActualObjectSize>%llu</ActualObjectSize>",
                       (unsigned long long)m->size);
            return req_error(r, S3E_InvalidRange, NULL);
        }
        partial = pr == 0;
    }

    rc = rc ? rc : object_headers(r, m);
    rc = rc ? rc : req_add_header(r, "Accept-Ranges", "bytes");
    rc = rc ? rc : s3_headers_to_response(r, m->headers);
    const char *mode = req_header(r, "x-amz-checksum-mode");
    /* The whole object's checksum describes only the whole object: a part answers with its
     * own (when the upload kept one), a byte range with none. */
    if (!rc && mode && strcasecmp(mode, "ENABLED") == 0) {
        if (part && part->checksum[0] && m->checksum_algo[0])
            rc = req_add_header(r, cksum_header(cksum_algo_from_name(m->checksum_algo)),
                                part->checksum);
        else if (!partial)
            rc = add_checksum_headers(r, m);
    }
    if (!rc && partial) {
        req_set_status(r, 206);
        rc = req_add_headerf(r, "Content-Range", "bytes %llu-%llu/%llu",
                             (unsigned long long)start, (unsigned long long)(start + len - 1),
                             (unsigned long long)m->size);
    }
    if (rc)
        return -S3E_InternalError;
    if (head) {
        r->head_only = true;
        r->resp_len = len;
        return 0;
    }
    rc = add_body_pieces(r, m, start, len);
    if (rc == -ENOENT)
        return -EAGAIN;
    return rc ? s3err_from_errno(rc) : 0;
}

/* A blob named by the metadata just read can vanish before it is opened: the writer unlinks a
 * replaced or deleted object's blobs right after the commit that drops them. The metadata is
 * then stale, so read it again (it names the new blobs, or the key is gone). Open files stay
 * readable, so once opened the response is safe. */
#define GET_ATTEMPTS 5

static int get_or_head_retrying(struct req *r, bool head)
{
    int rc = -EAGAIN;
    for (int attempt = 0; attempt < GET_ATTEMPTS && rc == -EAGAIN; attempt++) {
        if (attempt)
            req_reset_response(r);
        rc = get_or_head(r, head);
    }
    return rc == -EAGAIN ? -S3E_SlowDown : rc;
}

int h_get_object(struct req *r)
{
    return get_or_head_retrying(r, false);
}

int h_head_object(struct req *r)
{
    return get_or_head_retrying(r, true);
}

/* ---- PutObject ------------------------------------------------------------------------------- */

struct put_state {
    struct store *st;
    struct object_meta m;
    struct segment seg;
    bool has_blob;  /* seg.blob_id names a finished blob this state owns */
    bool committed; /* ... and the metadata naming it is durable */
    const char *if_match;
    const char *if_none_match;
    unsigned char *sealed; /* owned: an encrypted inline body (m.inline_data points here) */
};

static void put_state_free(void *p)
{
    struct put_state *s = p;
    if (!s)
        return;
    if (s->has_blob && !s->committed)
        store_blob_discard(s->st, s->seg.blob_id);
    s->m.segs = NULL; /* points at s->seg */
    s->m.inline_data = NULL; /* points into the request body buffer, or at s->sealed */
    free(s->sealed);
    store_object_free(&s->m);
    free(s);
}

/* The conditional-write check runs inside the writer's transaction, so no other write to the
 * key can slip between the check and the put. */
static int put_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct put_state *s = r->handler_state;
    if (s->if_match || s->if_none_match) {
        struct object_meta cur;
        int rc = store_txn_object_get(t, s->m.bucket_id, s->m.key, &cur);
        if (rc && rc != -ENOENT)
            return rc;
        bool exists = rc == 0;
        bool ok = true;
        if (s->if_none_match && exists && s3_etag_matches(s->if_none_match, cur.etag))
            ok = false;
        if (s->if_match) {
            if (!exists)
                return -ENOKEY;
            ok = ok && s3_etag_matches(s->if_match, cur.etag);
        }
        if (exists)
            store_object_free(&cur);
        if (!ok)
            return -ECANCELED;
    }
    s->m.mtime_ms = store_now_ms();
    return store_txn_object_put(t, &s->m);
}

/* The outcome of put_apply: on failure the new blob is dropped and the error mapped. */
static int put_outcome(struct req *r)
{
    struct put_state *s = r->handler_state;
    int rc = r->commit_rc;
    if (!rc) {
        s->committed = true;
        return 0;
    }
    if (rc == -ECANCELED)
        return req_error(r, S3E_PreconditionFailed, NULL);
    if (rc == -ENOKEY)
        return no_such_key(r);
    if (rc == -ENOENT) /* the bucket was deleted while the body streamed in */
        return s3_no_such_bucket(r, r->bucket);
    return s3err_from_errno(rc);
}

static int put_then(struct req *r)
{
    struct put_state *s = r->handler_state;
    int rc = put_outcome(r);
    if (rc)
        return rc;
    rc = s3_add_etag(r, s->m.etag);
    if (!rc && s->m.checksum_algo[0])
        rc = add_checksum_headers(r, &s->m);
    /* The CloudTrail record turns this header into responseElements and SSEApplied. */
    if (!rc && s->m.sse)
        rc = req_add_header(r, "x-amz-server-side-encryption", SSE_ALG_AES256);
    return rc ? -S3E_InternalError : 0;
}

/* Request headers naming features not built yet. x-amz-server-side-encryption comes last so
 * that PutObject and CopyObject, which build SSE-S3, can leave it out (with_sse false) and check
 * its value with s3_sse_choice(); CreateMultipartUpload keeps refusing it (multipart SSE is not
 * built: an upload's parts would each need their own data key). SSE-C and KMS key ids stay
 * refused everywhere. */
static const char *const unbuilt_object_headers[] = {
    "x-amz-tagging",             "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-write-offset-bytes",
    "x-amz-server-side-encryption",
};
#define N_UNBUILT (sizeof unbuilt_object_headers / sizeof unbuilt_object_headers[0])

static int reject_unbuilt(struct req *r, bool with_sse)
{
    return s3_reject_headers(r, unbuilt_object_headers, with_sse ? N_UNBUILT : N_UNBUILT - 1);
}

int s3_reject_unbuilt_object_headers(struct req *r)
{
    return reject_unbuilt(r, true);
}

int pre_put_object(struct req *r)
{
    if (req_query(r, "uploadId") || req_query(r, "partNumber"))
        return req_error(r, S3E_InvalidRequest,
                         "UploadPart needs both the partNumber and uploadId parameters");
    char sc[32], *acl = NULL, owner[13];
    bool sse = false;
    int rc = reject_unbuilt(r, false);
    rc = rc ? rc : s3_sse_choice(r, &sse);
    rc = rc ? rc : s3_storage_class(r, sc);
    rc = rc ? rc : s3_object_write_acl(r, &acl, owner);
    free(acl);
    /* Decided before the body arrives: body intake encrypts a spilled body on its way in. */
    r->body.sse = sse;
    return rc;
}

int h_put_object(struct req *r)
{
    struct put_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    r->handler_state = s;
    r->handler_state_free = put_state_free;
    s->st = r->st;
    struct object_meta *m = &s->m;
    struct body_in *b = &r->body;
    if (b->in_blob) {
        /* The blob is the state's from here: put_state_free discards it unless committed. */
        b->blob_claimed = true;
        s->has_blob = true;
        snprintf(s->seg.blob_id, sizeof s->seg.blob_id, "%s", b->blob.id);
        s->seg.size = b->len;
        snprintf(s->seg.etag, sizeof s->seg.etag, "%s", b->md5_hex);
        m->segs = &s->seg;
        m->nsegs = 1;
        /* Encrypted during intake (body.c); the document comes with the blob. */
        m->sse = b->sse_json;
        b->sse_json = NULL;
    } else if (b->sse) {
        /* A small body: sealed here, in memory, into the row (one segment). */
        size_t n;
        int rc = store_sse_encrypt_inline(r->st, b->mem.data, b->mem.len, &s->sealed, &n,
                                          &m->sse);
        if (rc)
            return s3err_from_errno(rc);
        m->inline_data = s->sealed;
        m->inline_len = n;
    } else {
        m->inline_data = (unsigned char *)b->mem.data;
        m->inline_len = b->mem.len;
    }
    m->bucket_id = r->bkt.id;
    m->key = strdup(r->key);
    m->size = b->len;
    snprintf(m->etag, sizeof m->etag, "%s", b->md5_hex);
    snprintf(m->owner_account, sizeof m->owner_account, "%s", r->who.account_id);
    if (b->ck_algo != CK_NONE) {
        snprintf(m->checksum_algo, sizeof m->checksum_algo, "%s", cksum_name(b->ck_algo));
        snprintf(m->checksum_type, sizeof m->checksum_type, "FULL_OBJECT");
        snprintf(m->checksum, sizeof m->checksum, "%s", b->ck_b64);
        snprintf(s->seg.checksum, sizeof s->seg.checksum, "%s", b->ck_b64);
    }
    int rc = m->key ? 0 : -S3E_ServiceUnavailable;
    rc = rc ? rc : s3_storage_class(r, m->storage_class);
    rc = rc ? rc : s3_headers_from_request(r, &m->headers);
    rc = rc ? rc : s3_object_write_acl(r, &m->acl, m->owner_account);
    if (rc)
        return rc;
    s->if_match = req_header(r, "If-Match");
    s->if_none_match = req_header(r, "If-None-Match");
    return req_commit(r, put_apply, put_then);
}

/* ---- DeleteObject ---------------------------------------------------------------------------- */

/* A conditional delete (If-Match) is checked inside the writer's transaction, like a
 * conditional PUT: -ENOKEY when the key is absent, -ECANCELED when the ETag differs. */
static int delete_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    const char *if_match = req_header(r, "If-Match");
    if (if_match) {
        struct object_meta cur;
        int rc = store_txn_object_get(t, r->bkt.id, r->key, &cur);
        if (rc)
            return rc == -ENOENT ? -ENOKEY : rc;
        bool ok = s3_etag_matches(if_match, cur.etag);
        store_object_free(&cur);
        if (!ok)
            return -ECANCELED;
    }
    int rc = store_txn_object_delete(t, r->bkt.id, r->key);
    return rc == -ENOENT ? 0 : rc;
}

static int delete_then(struct req *r)
{
    if (r->commit_rc == -ENOKEY)
        return no_such_key(r);
    if (r->commit_rc == -ECANCELED)
        return req_error(r, S3E_PreconditionFailed, NULL);
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    req_set_status(r, 204);
    return 0;
}

int h_delete_object(struct req *r)
{
    /* Directory buckets' conditions; general purpose buckets have no such thing to honour. */
    static const char *const unbuilt[] = {"x-amz-if-match-last-modified-time",
                                          "x-amz-if-match-size",
                                          "x-amz-bypass-governance-retention"};
    int rc = s3_reject_headers(r, unbuilt, sizeof unbuilt / sizeof unbuilt[0]);
    if (rc)
        return rc;
    const char *v = req_query(r, "versionId");
    if (v && strcmp(v, "null") != 0)
        return check_version_id(r);
    return req_commit(r, delete_apply, delete_then);
}

/* ---- DeleteObjects --------------------------------------------------------------------------- */

struct del_entry {
    char *key;
    char *version_id;
    int error; /* S3 error for this key, 0 when deleted */
};

struct del_state {
    struct del_entry *v;
    size_t n;
    bool quiet;
};

static void del_state_free(void *p)
{
    struct del_state *s = p;
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        xmlFree(s->v[i].key);
        xmlFree(s->v[i].version_id);
    }
    free(s->v);
    free(s);
}

static int del_parse(struct req *r, struct del_state *s)
{
    xmlDocPtr doc;
    int rc = s3_parse_xml_body(r, &doc);
    if (rc)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    rc = strcmp((const char *)root->name, "Delete") == 0 ? 0 : -S3E_MalformedXML;
    char *quiet = rc ? NULL : s3_xml_child_text(root, "Quiet");
    s->quiet = quiet && strcasecmp(quiet, "true") == 0;
    xmlFree(quiet);
    for (xmlNodePtr c = rc ? NULL : root->children; c && !rc; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "Object") != 0)
            continue;
        if (s->n == S3_MAX_DELETE_KEYS) {
            rc = -S3E_MalformedXML;
            break;
        }
        xmlNodePtr kn = s3_xml_child(c, "Key");
        char *key = kn ? (char *)xmlNodeGetContent(kn) : NULL;
        if (!key) { /* no <Key>, or no memory for its text */
            rc = kn ? -S3E_ServiceUnavailable : -S3E_MalformedXML;
            break;
        }
        struct del_entry *v = realloc(s->v, (s->n + 1) * sizeof *v);
        if (!v) {
            xmlFree(key);
            rc = -S3E_ServiceUnavailable;
            break;
        }
        s->v = v;
        v[s->n++] = (struct del_entry){.key = key, .version_id = s3_xml_child_text(c, "VersionId")};
    }
    if (!rc && s->n == 0)
        rc = -S3E_MalformedXML;
    xmlFreeDoc(doc);
    return rc ? req_error(r, rc, NULL) : 0;
}

static int del_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct del_state *s = r->handler_state;
    for (size_t i = 0; i < s->n; i++) {
        struct del_entry *e = &s->v[i];
        if (e->error)
            continue;
        if (strlen(e->key) > S3_MAX_KEY_BYTES) {
            e->error = S3E_KeyTooLongError;
            continue;
        }
        if (e->version_id && strcmp(e->version_id, "null") != 0) {
            e->error = S3E_NoSuchVersion;
            continue;
        }
        int rc = store_txn_object_delete(t, r->bkt.id, e->key);
        if (rc && rc != -ENOENT)
            return rc;
    }
    return 0;
}

static int del_then(struct req *r)
{
    struct del_state *s = r->handler_state;
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    struct buf *b = &r->resp_body;
    int rc = req_xml_begin(r);
    buf_puts(b, "<DeleteResult xmlns=\"" S3_XMLNS "\">");
    for (size_t i = 0; i < s->n; i++) {
        struct del_entry *e = &s->v[i];
        if (e->error) {
            buf_puts(b, "<Error>");
            buf_put_xml_elem(b, "Key", e->key);
            if (e->version_id)
                buf_put_xml_elem(b, "VersionId", e->version_id);
            buf_put_xml_elem(b, "Code", s3err_code(e->error));
            buf_put_xml_elem(b, "Message", s3err_message(e->error));
            buf_puts(b, "</Error>");
        } else if (!s->quiet) {
            buf_puts(b, "<Deleted>");
            buf_put_xml_elem(b, "Key", e->key);
            if (e->version_id)
                buf_put_xml_elem(b, "VersionId", e->version_id);
            buf_puts(b, "</Deleted>");
        }
    }
    buf_puts(b, "</DeleteResult>");
    return !rc && buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

int h_delete_objects(struct req *r)
{
    /* S3 insists on an integrity check for this body: Content-MD5 or an x-amz-checksum-*. */
    if (!req_header(r, "Content-MD5") && r->body.ck_algo == CK_NONE)
        return req_error(r, S3E_InvalidRequest,
                         "Missing required header for this request: Content-MD5");
    struct del_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    r->handler_state = s;
    r->handler_state_free = del_state_free;
    int rc = del_parse(r, s);
    if (rc)
        return rc;
    /* Each key is its own s3:DeleteObject decision (a policy may allow some keys only); a
     * refused key is reported in the result and left alone, as S3 does. */
    const char **keys = calloc(s->n, sizeof *keys);
    bool *denied = calloc(s->n, sizeof *denied);
    rc = keys && denied ? 0 : -S3E_ServiceUnavailable;
    for (size_t i = 0; !rc && i < s->n; i++)
        keys[i] = s->v[i].key;
    if (!rc)
        rc = authz_check_keys(r, "s3:DeleteObject", &r->bkt, keys, s->n, denied);
    for (size_t i = 0; !rc && i < s->n; i++)
        if (denied[i])
            s->v[i].error = S3E_AccessDenied;
    free(keys);
    free(denied);
    if (rc)
        return req_error(r, -rc, NULL);
    return req_commit(r, del_apply, del_then);
}

/* ---- CopyObject ------------------------------------------------------------------------------ */

/* Splits "[/]bucket/key[?versionId=v]" (URL-encoded) into an owned "bucket\0key" buffer. */
static int parse_copy_source(struct req *r, char **path, const char **key)
{
    const char *cs = req_header(r, "x-amz-copy-source");
    const char *p = cs && cs[0] == '/' ? cs + 1 : cs;
    if (!p || !*p)
        goto malformed;
    const char *q = strchr(p, '?');
    size_t n;
    if (uri_decode(p, q ? (size_t)(q - p) : strlen(p), path, &n))
        return req_error(r, S3E_InvalidArgument, "Invalid copy source encoding");
    /* A source key that is not UTF-8 text could never have been stored (route.c refuses such
     * paths), and echoing it into the error document would make that document invalid. */
    if (!buf_utf8_text(*path, n)) {
        free(*path);
        *path = NULL;
        return req_error(r, S3E_InvalidArgument, "Invalid copy source encoding");
    }
    char *slash = strchr(*path, '/');
    if (!slash || slash == *path || !slash[1] || strlen(*path) != n) {
        free(*path);
        *path = NULL;
        goto malformed;
    }
    *slash = '\0';
    *key = slash + 1;
    if (q) {
        struct query_param *qp;
        size_t nq;
        int rc = uri_parse_query(q + 1, &qp, &nq) ? -S3E_InvalidArgument : 0;
        const char *v = rc ? NULL : uri_query_get(qp, nq, "versionId");
        if (v && strcmp(v, "null") != 0)
            rc = -S3E_NoSuchVersion;
        if (!rc || rc == -S3E_NoSuchVersion)
            uri_query_free(qp, nq);
        if (rc) {
            free(*path);
            *path = NULL;
            return req_error(r, rc, rc == -S3E_InvalidArgument ? "Invalid copy source encoding"
                                                                : NULL);
        }
    }
    return 0;
malformed:
    return req_error(r, S3E_InvalidArgument,
                     "Copy Source must mention the source bucket and key: "
                     "sourcebucket/sourcekey");
}

int s3_copy_source(struct req *r, struct bucket *sb, struct object_meta *src)
{
    char *path = NULL;
    const char *key = NULL;
    int rc = parse_copy_source(r, &path, &key);
    if (rc)
        return rc;
    bool have_bucket = false;
    rc = store_bucket_get(r->st, path, sb);
    if (rc == -ENOENT) {
        rc = s3_no_such_bucket(r, path);
        goto fail;
    }
    if (rc) {
        rc = s3err_from_errno(rc);
        goto fail;
    }
    have_bucket = true;
    const char *expected = req_header(r, "x-amz-source-expected-bucket-owner");
    if (expected && strcmp(expected, sb->owner_account) != 0) {
        rc = req_error(r, S3E_AccessDenied, NULL);
        goto fail;
    }
    rc = store_object_get(r->st, sb->id, key, src);
    if (rc == -ENOENT) {
        /* As for GET: only a caller who may list the source bucket learns the key is absent. */
        rc = authz_check(r, "s3:ListBucket", sb, NULL, NULL, NULL, false) == 0
                 ? s3_no_such_key(r, key)
                 : req_error(r, S3E_AccessDenied, NULL);
        goto fail;
    }
    if (rc) {
        rc = s3err_from_errno(rc);
        goto fail;
    }
    rc = authz_check(r, "s3:GetObject", sb, key, src->owner_account, src->acl, true);
    if (rc) {
        store_object_free(src);
        goto fail;
    }
    free(path);
    return 0;
fail:
    if (have_bucket)
        store_bucket_free(sb);
    free(path);
    return rc;
}

struct copy_state {
    struct put_state put; /* first: put_then and put_apply work on it */
    struct blob_writer w;
    struct hash_stream md5;
    struct cksum ck;
    enum cksum_algo algo;
    struct buf mem;
    bool sse;             /* the destination is encrypted (the request asked for AES256) */
    struct sse_enc *enc;  /* its encryptor into w, for a destination blob */
};

static void copy_state_free(void *p)
{
    struct copy_state *s = p;
    if (!s)
        return;
    hash_stream_free(&s->md5);
    if (s->algo != CK_NONE)
        cksum_free(&s->ck);
    store_sse_enc_free(s->enc);
    buf_free(&s->mem);
    put_state_free(p);
}

static int copy_blob_out(void *arg, const void *p, size_t n)
{
    return store_blob_write(arg, p, n);
}

/* Plaintext of the source (decrypted by s3_object_read when it is encrypted). */
static int copy_sink(void *arg, const void *p, size_t n)
{
    struct copy_state *s = arg;
    hash_stream_update(&s->md5, p, n);
    if (s->algo != CK_NONE)
        cksum_update(&s->ck, p, n);
    if (s->enc)
        return store_sse_enc_write(s->enc, p, n);
    if (s->put.has_blob)
        return store_blob_write(&s->w, p, n);
    return buf_append(&s->mem, p, n);
}

static int copy_then(struct req *r)
{
    struct copy_state *s = r->handler_state;
    int rc = put_outcome(r);
    if (rc)
        return rc;
    if (s->put.m.sse && req_add_header(r, "x-amz-server-side-encryption", SSE_ALG_AES256))
        return -S3E_ServiceUnavailable;
    char ts[32];
    s3_time_iso8601(s->put.m.mtime_ms, ts);
    struct buf *b = &r->resp_body;
    rc = req_xml_begin(r);
    buf_puts(b, "<CopyObjectResult xmlns=\"" S3_XMLNS "\">");
    buf_put_xml_elem(b, "LastModified", ts);
    buf_printf(b, "<ETag>&quot;%s&quot;</ETag>", s->put.m.etag);
    if (s->put.m.checksum_algo[0]) {
        buf_printf(b, "<ChecksumType>%s</ChecksumType>", s->put.m.checksum_type);
        buf_printf(b, "<Checksum%s>", s->put.m.checksum_algo);
        buf_put_xml(b, s->put.m.checksum);
        buf_printf(b, "</Checksum%s>", s->put.m.checksum_algo);
    }
    buf_puts(b, "</CopyObjectResult>");
    return !rc && buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

/* Copies the source bytes into a new blob (or inline buffer), hashing as it goes. */
static int copy_bytes(struct req *r, struct copy_state *s, const struct object_meta *src)
{
    int rc = hash_stream_init(&s->md5, HASH_MD5);
    if (rc)
        return -S3E_ServiceUnavailable;
    if (s->algo != CK_NONE && cksum_init(&s->ck, s->algo))
        return -S3E_ServiceUnavailable;
    struct object_meta *m = &s->put.m;
    s->put.has_blob = src->size > BODY_INLINE_MAX;
    if (s->put.has_blob) {
        rc = store_blob_begin(r->st, &s->w);
        if (!rc && s->sse)
            rc = store_sse_enc_begin(r->st, copy_blob_out, &s->w, &s->enc);
        if (rc) {
            store_blob_abort(r->st, &s->w);
            s->put.has_blob = false;
            return s3err_from_errno(rc);
        }
    }
    /* An encrypted source is decrypted as it is read (and verified segment by segment); the
     * destination is encrypted only when this request asks for it. */
    rc = s3_object_read(r->st, src, 0, src->size, copy_sink, s);
    if (!rc && s->enc)
        rc = store_sse_enc_finish(s->enc, &m->sse);
    if (!rc && s->put.has_blob)
        rc = store_blob_finish(r->st, &s->w);
    if (!rc && s->sse && !s->put.has_blob) {
        size_t n;
        rc = store_sse_encrypt_inline(r->st, s->mem.data, s->mem.len, &s->put.sealed, &n,
                                      &m->sse);
        if (!rc) {
            m->inline_data = s->put.sealed;
            m->inline_len = n;
        }
    }
    if (rc) {
        store_blob_abort(r->st, &s->w);
        s->put.has_blob = false;
        /* A source blob unlinked under us: the source was overwritten, start over. */
        return rc == -ENOENT ? -EAGAIN : s3err_from_errno(rc < 0 ? rc : -EIO);
    }
    unsigned char md5[16];
    if (hash_stream_final(&s->md5, md5))
        return -S3E_ServiceUnavailable;
    hash_hex(md5, 16, m->etag);
    if (s->algo != CK_NONE) {
        unsigned char raw[CKSUM_MAX_LEN];
        if (cksum_final(&s->ck, raw, m->checksum))
            return -S3E_ServiceUnavailable;
        snprintf(m->checksum_algo, sizeof m->checksum_algo, "%s", cksum_name(s->algo));
        snprintf(m->checksum_type, sizeof m->checksum_type, "FULL_OBJECT");
    }
    m->size = src->size;
    if (s->put.has_blob) {
        struct segment *g = &s->put.seg;
        snprintf(g->blob_id, sizeof g->blob_id, "%s", s->w.id);
        g->size = src->size;
        snprintf(g->etag, sizeof g->etag, "%.32s", m->etag);
        snprintf(g->checksum, sizeof g->checksum, "%s", m->checksum);
        m->segs = g;
        m->nsegs = 1;
    } else if (!s->sse) {
        m->inline_data = (unsigned char *)s->mem.data;
        m->inline_len = s->mem.len;
    }
    return 0;
}

/* Fills the destination's metadata per x-amz-metadata-directive (COPY keeps the source's). */
static int copy_metadata(struct req *r, struct object_meta *m, const struct object_meta *src,
                         bool same)
{
    const char *dir = req_header(r, "x-amz-metadata-directive");
    bool replace = dir && strcmp(dir, "REPLACE") == 0;
    if (dir && !replace && strcmp(dir, "COPY") != 0)
        return req_error(r, S3E_InvalidArgument, "Unknown metadata directive.");
    if (same && !replace && !req_header(r, "x-amz-storage-class") &&
        !req_header(r, "x-amz-website-redirect-location") &&
        !req_header(r, "x-amz-server-side-encryption"))
        return req_error(r, S3E_InvalidRequest,
                         "This copy request is illegal because it is trying to copy an object "
                         "to itself without changing the object's metadata, storage class, "
                         "website redirect location or encryption attributes.");
    if (replace)
        return s3_headers_from_request(r, &m->headers);
    m->headers = strdup(src->headers ? src->headers : "{}");
    return m->headers ? 0 : -S3E_ServiceUnavailable;
}

static int copy_once(struct req *r)
{
    struct bucket sb;
    struct object_meta src;
    int rc = s3_copy_source(r, &sb, &src);
    if (rc)
        return rc;
    struct copy_state *s = calloc(1, sizeof *s);
    if (!s) {
        rc = -S3E_ServiceUnavailable;
        goto out;
    }
    r->handler_state = s;
    r->handler_state_free = copy_state_free;
    s->put.st = r->st;
    rc = s3_conditions(r, src.etag, src.mtime_ms, "x-amz-copy-source-");
    if (rc) {
        rc = req_error(r, rc, NULL);
        goto out;
    }
    if (src.size > S3_MAX_PUT_BYTES) {
        rc = req_error(r, S3E_InvalidRequest,
                       "The specified copy source is larger than the maximum allowable size "
                       "for a copy source: 5368709120");
        goto out;
    }
    struct object_meta *m = &s->put.m;
    bool same = sb.id == r->bkt.id && strcmp(src.key, r->key) == 0;
    rc = copy_metadata(r, m, &src, same);
    if (rc)
        goto out;
    const char *want = req_header(r, "x-amz-checksum-algorithm");
    s->algo = want ? cksum_algo_from_name(want) : cksum_algo_from_name(src.checksum_algo);
    if (want && s->algo == CK_NONE) {
        rc = req_error(r, S3E_InvalidRequest, "Checksum algorithm provided is unsupported.");
        goto out;
    }
    m->bucket_id = r->bkt.id;
    m->key = strdup(r->key);
    snprintf(m->owner_account, sizeof m->owner_account, "%s", r->who.account_id);
    rc = m->key ? 0 : -S3E_ServiceUnavailable;
    rc = rc ? rc : s3_storage_class(r, m->storage_class);
    rc = rc ? rc : s3_object_write_acl(r, &m->acl, m->owner_account);
    rc = rc ? rc : s3_sse_choice(r, &s->sse);
    rc = rc ? rc : copy_bytes(r, s, &src);
    if (rc)
        goto out;
    s->put.if_match = req_header(r, "If-Match");
    s->put.if_none_match = req_header(r, "If-None-Match");
out:
    store_object_free(&src);
    store_bucket_free(&sb);
    return rc;
}

/* On a worker thread (req_offload): a copy reads and writes up to 5 GiB. Like GET, a copy
 * whose source is replaced while it reads starts over (see GET_ATTEMPTS). */
static int copy_work(struct req *r)
{
    int rc = -EAGAIN;
    for (int attempt = 0; attempt < GET_ATTEMPTS && rc == -EAGAIN; attempt++) {
        if (attempt)
            req_reset_response(r);
        rc = copy_once(r);
    }
    return rc == -EAGAIN ? -S3E_SlowDown : rc;
}

/* Back on an MHD thread: commit what copy_work prepared. */
static int copy_commit(struct req *r)
{
    if (r->commit_rc)
        return r->commit_rc;
    return req_commit(r, put_apply, copy_then);
}

int h_copy_object(struct req *r)
{
    bool sse;
    int rc = reject_unbuilt(r, false);
    rc = rc ? rc : s3_sse_choice(r, &sse); /* refused before any byte is copied */
    if (rc)
        return rc;
    if (req_header(r, "x-amz-tagging-directive"))
        return req_error(r, S3E_NotImplemented, "Object tagging is not implemented yet");
    return req_offload(r, copy_work, copy_commit);
}
