/*
 * multipart.c — multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts and ListMultipartUploads.
 *
 * Writes follow one shape: the handler does everything that needs no lock on the request
 * thread (parse the XML, write and finish the part's blob, copy a source range), stashes it in
 * r->handler_state and hands an apply function to the writer with req_commit(). apply re-reads
 * what it depends on inside the transaction — the upload may have been completed or aborted
 * since the handler looked — so every check that decides the outcome is made there, atomically
 * with the change. `then` maps the result to the answer.
 *
 * Parts are always blob files, never inline rows: a completed object's segments are its parts'
 * blobs, moved over without copying a byte. A part's blob belongs to the request until its row
 * commits; part_state_free() discards it on every path that did not commit.
 *
 * Checksums. An upload may declare an algorithm and a type (COMPOSITE: the checksum of the
 * parts' raw checksums, "-N" appended; FULL_OBJECT: the CRC of the whole object, combined from
 * the parts' CRCs). Every part of such an upload stores its checksum in that algorithm: the one
 * the client sent (verified by body intake), or, when the client sent none, one computed here
 * from the part's bytes. A part that carries a different algorithm is refused, as S3 does. Parts
 * of an upload without an algorithm store none; a checksum their client sent is still verified
 * and echoed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "auth/sigv4.h"
#include "http/req.h"
#include "s3/acl_ops.h"
#include "s3/errors.h"
#include "s3/handlers.h"
#include "s3/limits.h"
#include "s3/object.h"
#include "s3/s3util.h"
#include "util/checksum.h"
#include "util/hash.h"
#include "util/uri.h"


/* Shared with list.c, which defines them (see there). */

/* An apply function that refuses the change for a reason the client must hear returns this and
 * leaves the S3 error in its state; any other nonzero result is a store error. */
#define APPLY_REFUSED (-ECANCELED)

/* Read-back buffer for part checksums: a 5 GiB part is then a few thousand reads. */
#define READ_CHUNK (1024 * 1024)

/* ---- small shared pieces ------------------------------------------------------------------- */

static int no_such_upload(struct req *r, const char *upload_id)
{
    buf_put_xml_elem(&r->error_extra, "UploadId", upload_id ? upload_id : "");
    return req_error(r, S3E_NoSuchUpload, NULL);
}

/* The longest upload id the store can hold (struct upload.upload_id without its NUL). */
#define UPLOAD_ID_MAX (sizeof ((struct upload *)0)->upload_id - 1)

/* ?uploadId, or NULL (NoSuchUpload answered) when it cannot name an upload. */
static const char *upload_id_param(struct req *r)
{
    const char *id = req_query(r, "uploadId");
    if (!id || !*id || strlen(id) > UPLOAD_ID_MAX) {
        no_such_upload(r, id);
        return NULL;
    }
    return id;
}

/* An upload id must also belong to the bucket and key the request addresses. */
static bool upload_matches(const struct req *r, const struct upload *u)
{
    return u->bucket_id == r->bkt.id && strcmp(u->key, r->key) == 0;
}

static int upload_load(struct req *r, const char *id, struct upload *u)
{
    int rc = store_upload_get(r->st, id, u);
    if (rc == -ENOENT)
        return no_such_upload(r, id);
    if (rc)
        return s3err_from_errno(rc);
    if (!upload_matches(r, u)) {
        store_upload_free(u);
        return no_such_upload(r, id);
    }
    return 0;
}

static enum cksum_algo upload_algo(const struct upload *u)
{
    return u->checksum_algo[0] ? cksum_algo_from_name(u->checksum_algo) : CK_NONE;
}

/* "sha256" for messages, as S3 words them. */
static const char *algo_lower(enum cksum_algo a, char out[16])
{
    const char *n = a == CK_NONE ? "null" : cksum_name(a);
    size_t i = 0;
    for (; n[i] && i < 15; i++)
        out[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
    out[i] = '\0';
    return out;
}

/* <ChecksumSHA256>...</ChecksumSHA256> */
static void put_checksum(struct buf *b, enum cksum_algo a, const char *value)
{
    buf_printf(b, "<Checksum%s>", cksum_name(a));
    buf_put_xml(b, value);
    buf_printf(b, "</Checksum%s>", cksum_name(a));
}

static void put_etag(struct buf *b, const char *etag)
{
    buf_puts(b, "<ETag>&quot;");
    buf_put_xml(b, etag);
    buf_puts(b, "&quot;</ETag>");
}

/* partNumber: 1..10000. */
static int part_number_param(struct req *r, int *out)
{
    const char *v = req_query(r, "partNumber");
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || n < 1 || n > S3_MAX_PARTS) {
        buf_put_xml_elem(&r->error_extra, "ArgumentName", "partNumber");
        buf_put_xml_elem(&r->error_extra, "ArgumentValue", v ? v : "");
        return req_error(r, S3E_InvalidArgument,
                         "Part number must be an integer between 1 and 10000, inclusive");
    }
    *out = (int)n;
    return 0;
}

/* ---- CreateMultipartUpload ------------------------------------------------------------------ */

struct create_state {
    struct upload u;
};

static void create_state_free(void *p)
{
    struct create_state *s = p;
    if (s) {
        store_upload_free(&s->u);
        free(s);
    }
}

/* 64 URL-safe characters from 48 random bytes: unguessable, and usable in a query as is. */
static int new_upload_id(char out[65])
{
    unsigned char raw[48];
    if (hash_random_bytes(raw, sizeof raw))
        return -EIO;
    hash_base64_encode(raw, sizeof raw, out);
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return 0;
}

/* x-amz-checksum-algorithm and x-amz-checksum-type, with S3's defaults: CRC64NVME is always
 * FULL_OBJECT, the others COMPOSITE unless asked; SHA checksums cannot be combined as CRCs can,
 * so they are COMPOSITE only. */
static int checksum_choice(struct req *r, struct upload *u)
{
    const char *an = req_header(r, "x-amz-checksum-algorithm");
    const char *type = req_header(r, "x-amz-checksum-type");
    if (!an) {
        if (type)
            return req_error(r, S3E_InvalidRequest,
                             "The x-amz-checksum-type header can only be used with the "
                             "x-amz-checksum-algorithm header.");
        return 0;
    }
    enum cksum_algo a = strncasecmp(an, "x-amz-", 6) == 0 ? CK_NONE : cksum_algo_from_name(an);
    if (a == CK_NONE)
        return req_error(r, S3E_InvalidRequest,
                         "Checksum algorithm provided is unsupported. Please try again with any "
                         "of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
    if (!type)
        type = a == CK_CRC64NVME ? "FULL_OBJECT" : "COMPOSITE";
    char low[16];
    if (strcmp(type, "FULL_OBJECT") != 0 && strcmp(type, "COMPOSITE") != 0)
        return req_error(r, S3E_InvalidRequest, "Value for x-amz-checksum-type header is invalid.");
    if ((type[0] == 'F' && !cksum_is_crc(a)) || (type[0] == 'C' && a == CK_CRC64NVME))
        return req_errorf(r, S3E_InvalidRequest,
                          "The %s checksum type cannot be used with the %s checksum algorithm.",
                          type, algo_lower(a, low));
    snprintf(u->checksum_algo, sizeof u->checksum_algo, "%s", cksum_name(a));
    snprintf(u->checksum_type, sizeof u->checksum_type, "%s", type);
    return 0;
}

static int create_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct create_state *s = r->handler_state;
    return store_txn_upload_create(t, &s->u);
}

static int create_then(struct req *r)
{
    struct create_state *s = r->handler_state;
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    int rc = 0;
    if (s->u.checksum_algo[0]) {
        rc = req_add_header(r, "x-amz-checksum-algorithm", s->u.checksum_algo);
        if (!rc)
            rc = req_add_header(r, "x-amz-checksum-type", s->u.checksum_type);
    }
    struct buf *b = &r->resp_body;
    if (rc || req_xml_begin(r))
        return -S3E_ServiceUnavailable;
    buf_puts(b, "<InitiateMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
    buf_put_xml_elem(b, "Bucket", r->bkt.name);
    buf_put_xml_elem(b, "Key", s->u.key);
    buf_put_xml_elem(b, "UploadId", s->u.upload_id);
    buf_puts(b, "</InitiateMultipartUploadResult>");
    return buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

int h_create_multipart_upload(struct req *r)
{
    struct create_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    r->handler_state = s;
    r->handler_state_free = create_state_free;
    struct upload *u = &s->u;
    u->key = strdup(r->key);
    if (!u->key || new_upload_id(u->upload_id))
        return -S3E_ServiceUnavailable;
    u->bucket_id = r->bkt.id;
    u->initiated_ms = store_now_ms();
    snprintf(u->owner_account, sizeof u->owner_account, "%s", r->who.account_id);
    int rc = s3_reject_unbuilt_object_headers(r);
    if (!rc)
        rc = s3_storage_class(r, u->storage_class);
    if (!rc)
        rc = checksum_choice(r, u);
    if (!rc)
        rc = s3_headers_from_request(r, &u->headers);
    char object_owner[13]; /* kept in the ACL's owner until Complete (s3_upload_object_owner) */
    if (!rc)
        rc = s3_object_write_acl(r, &u->acl, object_owner);
    if (rc)
        return rc;
    return req_commit(r, create_apply, create_then);
}

/* ---- UploadPart and UploadPartCopy: a part's blob, then one commit ---------------------------- */

struct part_state {
    struct store *st;
    char upload_id[65];
    struct part p;
    bool blob_ready;          /* p.blob_id names a finished blob this request owns */
    bool committed;
    enum cksum_algo ck_algo;  /* the checksum the answer reports, CK_NONE for none */
    char ck_b64[128];
    bool copy;                /* UploadPartCopy: answer CopyPartResult */
    char src_version[64];
};

static void part_state_free(void *p)
{
    struct part_state *s = p;
    if (!s)
        return;
    if (s->blob_ready && !s->committed)
        store_blob_discard(s->st, s->p.blob_id);
    free(s);
}

/* Sets up the state both part handlers use and checks partNumber and uploadId. */
static int part_begin(struct req *r, bool copy, struct part_state **out, struct upload *u)
{
    struct part_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    r->handler_state = s;
    r->handler_state_free = part_state_free;
    s->st = r->st;
    s->copy = copy;
    *out = s;
    /* From here on a finished body blob is the state's to commit or discard. */
    if (r->body.in_blob && r->body.blob_finished) {
        snprintf(s->p.blob_id, sizeof s->p.blob_id, "%s", r->body.blob.id);
        s->blob_ready = true;
        r->body.blob_claimed = true;
    }
    int rc = part_number_param(r, &s->p.number);
    if (rc)
        return rc;
    const char *id = upload_id_param(r);
    if (!id)
        return -S3E_NoSuchUpload;
    snprintf(s->upload_id, sizeof s->upload_id, "%s", id);
    return upload_load(r, id, u);
}

static int part_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct part_state *s = r->handler_state;
    return store_txn_part_put(t, s->upload_id, &s->p);
}

static int part_answer_copy(struct req *r, struct part_state *s)
{
    char ts[32];
    s3_time_iso8601(s->p.mtime_ms, ts);
    struct buf *b = &r->resp_body;
    if (s->src_version[0] && req_add_header(r, "x-amz-copy-source-version-id", s->src_version))
        return -S3E_ServiceUnavailable;
    if (req_xml_begin(r))
        return -S3E_ServiceUnavailable;
    buf_puts(b, "<CopyPartResult xmlns=\"" S3_XMLNS "\">");
    buf_put_xml_elem(b, "LastModified", ts);
    put_etag(b, s->p.etag);
    if (s->ck_algo != CK_NONE)
        put_checksum(b, s->ck_algo, s->ck_b64);
    buf_puts(b, "</CopyPartResult>");
    return buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

static int part_then(struct req *r)
{
    struct part_state *s = r->handler_state;
    if (r->commit_rc == -ENOENT)
        return no_such_upload(r, s->upload_id);
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    s->committed = true;
    if (s->copy)
        return part_answer_copy(r, s);
    int rc = s3_add_etag(r, s->p.etag);
    if (!rc && s->ck_algo != CK_NONE)
        rc = req_add_header(r, cksum_header(s->ck_algo), s->ck_b64);
    return rc ? -S3E_ServiceUnavailable : 0;
}

/* Checksum of a finished blob, read back: only for a part whose client sent no checksum for an
 * upload that requires one, so the extra read is the exception, not the rule. */
static int blob_checksum(struct store *st, const char *blob_id, enum cksum_algo a, char *b64)
{
    struct cksum c;
    int fd = -1;
    int rc = cksum_init(&c, a);
    char *chunk = rc ? NULL : malloc(READ_CHUNK);
    if (!rc && !chunk)
        rc = -ENOMEM;
    if (!rc && (fd = store_blob_open(st, blob_id)) < 0)
        rc = fd;
    for (off_t off = 0; !rc;) {
        ssize_t got = pread(fd, chunk, READ_CHUNK, off);
        if (got < 0)
            rc = -errno;
        if (got <= 0)
            break;
        cksum_update(&c, chunk, (size_t)got);
        off += got;
    }
    if (!rc)
        rc = cksum_final(&c, NULL, b64);
    if (fd >= 0)
        close(fd);
    cksum_free(&c);
    free(chunk);
    return rc;
}

/* The part's checksum as the upload requires it (see the top of this file). */
static int part_checksum(struct req *r, struct part_state *s, enum cksum_algo want)
{
    enum cksum_algo got = r->body.ck_algo;
    if (want == CK_NONE || got == want) {
        s->ck_algo = got;
        snprintf(s->ck_b64, sizeof s->ck_b64, "%s", got == CK_NONE ? "" : r->body.ck_b64);
    } else if (got != CK_NONE) {
        char w[16], g[16];
        return req_errorf(r, S3E_InvalidRequest,
                          "Checksum Type mismatch occurred, expected checksum Type: %s, actual "
                          "checksum Type: %s",
                          algo_lower(want, w), algo_lower(got, g));
    } else {
        s->ck_algo = want;
        int rc = r->body.in_blob
                     ? blob_checksum(r->st, s->p.blob_id, want, s->ck_b64)
                     : cksum_compute(want, r->body.mem.data ? r->body.mem.data : "",
                                     r->body.mem.len, NULL, s->ck_b64);
        if (rc)
            return s3err_from_errno(rc);
    }
    if (want != CK_NONE)
        snprintf(s->p.checksum, sizeof s->p.checksum, "%s", s->ck_b64);
    return 0;
}

/* A small body arrives in memory; parts are always blobs, so write it to one. */
static int part_blob_from_memory(struct req *r, struct part_state *s)
{
    struct blob_writer w = {0};
    int rc = store_blob_begin(r->st, &w);
    if (!rc && r->body.mem.len)
        rc = store_blob_write(&w, r->body.mem.data, r->body.mem.len);
    if (!rc)
        rc = store_blob_finish(r->st, &w);
    if (rc) {
        store_blob_abort(r->st, &w);
        return s3err_from_errno(rc);
    }
    snprintf(s->p.blob_id, sizeof s->p.blob_id, "%s", w.id);
    s->blob_ready = true;
    return 0;
}

int pre_upload_part(struct req *r)
{
    int number;
    int rc = part_number_param(r, &number);
    if (rc)
        return rc;
    const char *id = upload_id_param(r);
    if (!id)
        return -S3E_NoSuchUpload;
    struct upload u;
    rc = upload_load(r, id, &u);
    if (rc)
        return rc;
    /* Body intake computes the upload's checksum while the part streams in, instead of
     * reading the part back afterwards. */
    r->body.ck_default = upload_algo(&u);
    store_upload_free(&u);
    return 0;
}

int h_upload_part(struct req *r)
{
    struct part_state *s;
    struct upload u;
    int rc = part_begin(r, false, &s, &u);
    if (rc)
        return rc;
    enum cksum_algo want = upload_algo(&u);
    store_upload_free(&u);
    if (!r->body.in_blob)
        rc = part_blob_from_memory(r, s);
    else if (!s->blob_ready)
        rc = -S3E_InternalError; /* body intake hands over only finished blobs */
    if (!rc)
        rc = part_checksum(r, s, want);
    if (rc)
        return rc;
    s->p.size = r->body.len;
    snprintf(s->p.etag, sizeof s->p.etag, "%s", r->body.md5_hex);
    s->p.mtime_ms = store_now_ms();
    return req_commit(r, part_apply, part_then);
}

/* ---- UploadPartCopy: finding, checking and copying the source ------------------------------- */

static bool parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(**p - '0');
    }
    *out = v;
    return *p > s;
}

/* x-amz-copy-source-range "bytes=first-last" (both required, one range) within the source. */
static int copy_range(struct req *r, uint64_t size, uint64_t *off, uint64_t *len)
{
    const char *h = req_header(r, "x-amz-copy-source-range");
    if (!h) {
        *off = 0;
        *len = size;
        return 0;
    }
    const char *p = h + 6;
    uint64_t first, last;
    bool ok = strncmp(h, "bytes=", 6) == 0 && parse_u64(&p, &first) && *p++ == '-' &&
              parse_u64(&p, &last) && !*p && first <= last;
    if (!ok) {
        buf_put_xml_elem(&r->error_extra, "ArgumentName", "x-amz-copy-source-range");
        buf_put_xml_elem(&r->error_extra, "ArgumentValue", h);
        return req_error(r, S3E_InvalidArgument,
                         "The x-amz-copy-source-range value must be of the form bytes=first-last "
                         "where first and last are the zero-based offsets of the first and last "
                         "bytes to copy");
    }
    if (last >= size) {
        buf_put_xml_elem(&r->error_extra, "RangeRequested", h);
        buf_printf(&r->error_extra, "<ActualObjectSize>%llu</ActualObjectSize>",
                   (unsigned long long)size);
        return req_error(r, S3E_InvalidRange, NULL);
    }
    *off = first;
    *len = last - first + 1;
    return 0;
}

/* Where copied bytes go: the part's blob, its MD5 (the part's ETag) and its checksum. */
struct copy_sink {
    struct blob_writer w;
    struct hash_stream md5;
    struct cksum ck;
    bool with_ck;
};

static int sink_write(void *arg, const void *p, size_t n)
{
    struct copy_sink *k = arg;
    hash_stream_update(&k->md5, p, n);
    if (k->with_ck)
        cksum_update(&k->ck, p, n);
    return store_blob_write(&k->w, p, n);
}

/* Copies the range into a new finished blob named by s->p, with its ETag and checksum. */
static int copy_to_part(struct req *r, struct part_state *s, const struct object_meta *m,
                        uint64_t off, uint64_t len, enum cksum_algo want)
{
    struct copy_sink k = {.md5 = HASH_STREAM_INIT, .with_ck = want != CK_NONE};
    unsigned char md5[HASH_MD5_LEN];
    int rc = hash_stream_init(&k.md5, HASH_MD5);
    if (!rc && k.with_ck)
        rc = cksum_init(&k.ck, want);
    if (!rc)
        rc = store_blob_begin(r->st, &k.w);
    if (!rc)
        rc = s3_object_read(r->st, m, off, len, sink_write, &k);
    if (!rc)
        rc = hash_stream_final(&k.md5, md5);
    if (!rc && k.with_ck)
        rc = cksum_final(&k.ck, NULL, s->ck_b64);
    if (!rc)
        rc = store_blob_finish(r->st, &k.w);
    if (rc) {
        store_blob_abort(r->st, &k.w);
    } else {
        hash_hex(md5, sizeof md5, s->p.etag);
        snprintf(s->p.blob_id, sizeof s->p.blob_id, "%s", k.w.id);
        s->blob_ready = true;
        s->p.size = len;
        s->ck_algo = want;
        snprintf(s->p.checksum, sizeof s->p.checksum, "%s", k.with_ck ? s->ck_b64 : "");
    }
    hash_stream_free(&k.md5);
    if (k.with_ck)
        cksum_free(&k.ck);
    /* A source blob unlinked under us (the source was overwritten): the caller starts over. */
    if (rc == -ENOENT)
        return -EAGAIN;
    return rc ? s3err_from_errno(rc) : 0;
}

static int part_copy_once(struct req *r)
{
    struct part_state *s;
    struct upload u;
    int rc = part_begin(r, true, &s, &u);
    if (rc)
        return rc;
    enum cksum_algo want = upload_algo(&u);
    store_upload_free(&u);
    struct bucket sb;
    struct object_meta src;
    rc = s3_copy_source(r, &sb, &src);
    if (rc)
        return rc;
    uint64_t off = 0, len = 0;
    rc = s3_conditions(r, src.etag, src.mtime_ms, "x-amz-copy-source-");
    if (!rc)
        rc = copy_range(r, src.size, &off, &len);
    if (!rc && len > S3_MAX_PART_BYTES)
        rc = req_errorf(r, S3E_InvalidRequest,
                        "The specified copy source is larger than the maximum allowable size for "
                        "a copy source: %llu",
                        (unsigned long long)S3_MAX_PART_BYTES);
    if (!rc)
        rc = copy_to_part(r, s, &src, off, len, want);
    if (!rc)
        snprintf(s->src_version, sizeof s->src_version, "%s", src.version_id);
    store_object_free(&src);
    store_bucket_free(&sb);
    if (rc)
        return rc;
    s->p.mtime_ms = store_now_ms();
    return 0;
}

/* On a worker thread (req_offload): the copy reads and writes up to 5 GiB, and starts over when
 * its source is replaced meanwhile, as CopyObject does. */
#define PART_COPY_ATTEMPTS 5

static int part_copy_work(struct req *r)
{
    int rc = -EAGAIN;
    for (int attempt = 0; attempt < PART_COPY_ATTEMPTS && rc == -EAGAIN; attempt++) {
        if (attempt)
            req_reset_response(r);
        rc = part_copy_once(r);
    }
    return rc == -EAGAIN ? -S3E_SlowDown : rc;
}

static int part_copy_commit(struct req *r)
{
    if (r->commit_rc)
        return r->commit_rc;
    return req_commit(r, part_apply, part_then);
}

int h_upload_part_copy(struct req *r)
{
    return req_offload(r, part_copy_work, part_copy_commit);
}

/* ---- CompleteMultipartUpload ------------------------------------------------------------------ */

/* One <Part> of the request. */
struct want_part {
    int number;
    char etag[40];            /* without quotes; "" when absent or too long to match */
    enum cksum_algo ck_algo;  /* the Checksum* element given, CK_NONE when none */
    char ck[128];
};

struct complete_state {
    char upload_id[65];
    struct want_part *want;
    size_t nwant;
    /* conditions and expectations from headers (values live as long as the request) */
    const char *if_match, *if_none_match;
    enum cksum_algo hdr_algo;
    const char *hdr_checksum, *hdr_type;
    bool has_mp_size;
    uint64_t mp_size;
    /* the outcome */
    int err;                  /* S3 error when apply returned APPLY_REFUSED */
    char err_msg[256];
    struct buf err_extra;
    char etag[48];
    enum cksum_algo ck_algo;
    char ck_type[16];
    char checksum[128];
    struct owner_rule owner_rule; /* who will own the object (s3/acl_ops.h) */
};

static void complete_state_free(void *p)
{
    struct complete_state *s = p;
    if (s) {
        free(s->want);
        buf_free(&s->err_extra);
        free(s);
    }
}

/* Records why apply refuses the change (runs on the writer thread: the answer is built later
 * by complete_then). Returns APPLY_REFUSED. */
static int refuse(struct complete_state *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(struct complete_state *s, int err, const char *fmt, ...)
{
    s->err = err;
    s->err_msg[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err_msg, sizeof s->err_msg, fmt, ap);
        va_end(ap);
    }
    return APPLY_REFUSED;
}

static int refuse_part(struct complete_state *s, const struct want_part *w)
{
    buf_put_xml_elem(&s->err_extra, "UploadId", s->upload_id);
    buf_printf(&s->err_extra, "<PartNumber>%d</PartNumber>", w->number);
    buf_put_xml_elem(&s->err_extra, "ETag", w->etag);
    return refuse(s, S3E_InvalidPart, NULL);
}

/* ETag text as clients send it: with or without quotes (and the whitespace XML may keep). */
static void etag_unquote(const char *in, char out[40])
{
    const char *s = in, *e = in + strlen(in);
    while (s < e && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    if (e - s >= 2 && *s == '"' && e[-1] == '"') {
        s++;
        e--;
    }
    size_t n = (size_t)(e - s);
    if (n >= 40)
        n = 0; /* cannot be a part's MD5: matches nothing */
    memcpy(out, s, n);
    out[n] = '\0';
}

static const enum cksum_algo all_algos[] = {CK_CRC32, CK_CRC32C, CK_CRC64NVME, CK_SHA1,
                                            CK_SHA256};
#define N_ALGOS (sizeof all_algos / sizeof all_algos[0])

static int parse_part(struct req *r, xmlNodePtr node, struct want_part *w)
{
    char *num = s3_xml_child_text(node, "PartNumber");
    char *etag = s3_xml_child_text(node, "ETag");
    char *end = NULL;
    long n = num ? strtol(num, &end, 10) : 0;
    while (end && (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r'))
        end++;
    bool num_ok = num && end != num && !*end;
    xmlFree(num);
    etag_unquote(etag ? etag : "", w->etag);
    xmlFree(etag);
    if (!num_ok)
        return req_error(r, S3E_MalformedXML, NULL);
    if (n < 1 || n > S3_MAX_PARTS)
        return req_error(r, S3E_InvalidArgument,
                         "Part number must be an integer between 1 and 10000, inclusive");
    w->number = (int)n;
    for (size_t i = 0; i < N_ALGOS && w->ck_algo == CK_NONE; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "Checksum%s", cksum_name(all_algos[i]));
        char *v = s3_xml_child_text(node, tag);
        if (v) {
            w->ck_algo = all_algos[i];
            snprintf(w->ck, sizeof w->ck, "%s", v);
            xmlFree(v);
        }
    }
    return 0;
}

static int parse_parts(struct req *r, xmlNodePtr root, struct complete_state *s)
{
    size_t n = 0;
    for (xmlNodePtr c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "Part") == 0)
            n++;
    if (n == 0 || n > S3_MAX_PARTS)
        return req_error(r, S3E_MalformedXML, NULL);
    s->want = calloc(n, sizeof *s->want);
    if (!s->want)
        return -S3E_ServiceUnavailable;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "Part") != 0)
            continue;
        struct want_part *w = &s->want[s->nwant];
        int rc = parse_part(r, c, w);
        if (rc)
            return rc;
        if (s->nwant && w->number <= s->want[s->nwant - 1].number)
            return req_error(r, S3E_InvalidPartOrder, NULL);
        s->nwant++;
    }
    return 0;
}

static int complete_parse_body(struct req *r, struct complete_state *s)
{
    xmlDocPtr doc;
    int rc = s3_parse_xml_body(r, &doc);
    if (rc)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (strcmp((const char *)root->name, "CompleteMultipartUpload") != 0)
        rc = req_error(r, S3E_MalformedXML, NULL);
    else
        rc = parse_parts(r, root, s);
    xmlFreeDoc(doc);
    return rc;
}

static int complete_parse_headers(struct req *r, struct complete_state *s)
{
    s->if_match = req_header(r, "If-Match");
    s->if_none_match = req_header(r, "If-None-Match");
    s->hdr_type = req_header(r, "x-amz-checksum-type");
    for (size_t i = 0; i < N_ALGOS && !s->hdr_checksum; i++) {
        s->hdr_checksum = req_header(r, cksum_header(all_algos[i]));
        s->hdr_algo = s->hdr_checksum ? all_algos[i] : CK_NONE;
    }
    const char *mp = req_header(r, "x-amz-mp-object-size");
    if (mp) {
        const char *p = mp;
        if (!parse_u64(&p, &s->mp_size) || *p) {
            buf_put_xml_elem(&r->error_extra, "ArgumentName", "x-amz-mp-object-size");
            buf_put_xml_elem(&r->error_extra, "ArgumentValue", mp);
            return req_error(r, S3E_InvalidArgument, "Invalid x-amz-mp-object-size value");
        }
        s->has_mp_size = true;
    }
    return 0;
}

/* If-Match / If-None-Match against the object the upload would replace, as PutObject does. */
static int complete_preconditions(struct store_txn *t, struct req *r, struct complete_state *s)
{
    if (!s->if_match && !s->if_none_match)
        return 0;
    struct object_meta cur;
    int rc = store_txn_object_get(t, r->bkt.id, r->key, &cur);
    if (rc && rc != -ENOENT)
        return rc;
    bool exists = rc == 0;
    rc = 0;
    if (s->if_match && !exists) {
        buf_put_xml_elem(&s->err_extra, "Key", r->key);
        rc = refuse(s, S3E_NoSuchKey, NULL);
    } else if (s->if_match && !s3_etag_matches(s->if_match, cur.etag)) {
        rc = refuse(s, S3E_PreconditionFailed, NULL);
    } else if (s->if_none_match && exists && s3_etag_matches(s->if_none_match, cur.etag)) {
        rc = refuse(s, S3E_PreconditionFailed, NULL);
    }
    if (exists)
        store_object_free(&cur);
    return rc;
}

/* Pairs the requested parts with the stored ones (both ascending) into segs, checking ETags,
 * given checksums and the minimum size of every part but the last. */
static int match_parts(struct complete_state *s, enum cksum_algo algo, const struct part *parts,
                       size_t n, struct segment *segs)
{
    size_t j = 0;
    for (size_t i = 0; i < s->nwant; i++) {
        const struct want_part *w = &s->want[i];
        while (j < n && parts[j].number < w->number)
            j++;
        if (j == n || parts[j].number != w->number || strcasecmp(parts[j].etag, w->etag) != 0)
            return refuse_part(s, w);
        /* A part checksum is compared only in the upload's algorithm: SDKs send the CRC32
         * they computed even for uploads that declared no algorithm. */
        if (algo != CK_NONE && w->ck_algo == algo && strcmp(w->ck, parts[j].checksum) != 0)
            return refuse_part(s, w);
        if (i + 1 < s->nwant && parts[j].size < S3_MIN_PART_BYTES) {
            buf_printf(&s->err_extra,
                       "<ProposedSize>%llu</ProposedSize><MinSizeAllowed>%llu</MinSizeAllowed>"
                       "<PartNumber>%d</PartNumber>",
                       (unsigned long long)parts[j].size, (unsigned long long)S3_MIN_PART_BYTES,
                       w->number);
            buf_put_xml_elem(&s->err_extra, "ETag", w->etag);
            return refuse(s, S3E_EntityTooSmall, NULL);
        }
        struct segment *g = &segs[i];
        snprintf(g->blob_id, sizeof g->blob_id, "%s", parts[j].blob_id);
        g->size = parts[j].size;
        g->part_number = parts[j].number;
        snprintf(g->etag, sizeof g->etag, "%s", parts[j].etag);
        snprintf(g->checksum, sizeof g->checksum, "%s", parts[j].checksum);
    }
    return 0;
}

/* S3's multipart ETag: MD5 of the concatenated binary part MD5s, "-N". */
static int multipart_etag(const struct segment *segs, size_t n, char out[48])
{
    unsigned char *all = malloc(n * HASH_MD5_LEN);
    if (!all)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (hash_unhex(segs[i].etag, HASH_MD5_LEN, all + i * HASH_MD5_LEN))
            rc = -EIO; /* a stored part ETag that is not an MD5 is damage */
    if (!rc) {
        unsigned char md5[HASH_MD5_LEN];
        char hex[2 * HASH_MD5_LEN + 1];
        hash_md5(all, n * HASH_MD5_LEN, md5);
        hash_hex(md5, sizeof md5, hex);
        snprintf(out, 48, "%.32s-%u", hex, (unsigned)n);
    }
    free(all);
    return rc;
}

/* The object's checksum from its parts': COMPOSITE "b64-N" or the FULL_OBJECT CRC. Part
 * checksums are stored by UploadPart in the upload's algorithm, so a bad one is damage. */
static int multipart_checksum(enum cksum_algo a, bool full, const struct segment *segs, size_t n,
                              char out[128])
{
    if (full) {
        uint64_t crc = 0, part;
        for (size_t i = 0; i < n; i++) {
            if (cksum_crc_from_b64(a, segs[i].checksum, &part))
                return -EIO;
            crc = cksum_crc_combine(a, crc, part, segs[i].size);
        }
        unsigned char raw[8];
        cksum_crc_to_raw(a, crc, raw);
        hash_base64_encode(raw, cksum_len(a), out);
        return 0;
    }
    struct cksum_composite cc;
    int rc = cksum_composite_init(&cc, a);
    for (size_t i = 0; i < n && !rc; i++)
        rc = cksum_composite_add(&cc, segs[i].checksum) ? -EIO : 0;
    if (!rc)
        rc = cksum_composite_final(&cc, out, 128);
    cksum_composite_free(&cc);
    return rc;
}

/* The base64 part of a checksum, without a composite "-N". */
static size_t checksum_span(const char *c)
{
    return strcspn(c, "-");
}

/* What the client's headers expect of the result, and S3's rule that a COMPOSITE upload's
 * complete request lists every part's checksum. */
static int complete_expectations(struct complete_state *s, const struct upload *u, uint64_t size)
{
    enum cksum_algo a = upload_algo(u);
    char w[16], g[16];
    if (s->hdr_checksum && s->hdr_algo != a)
        return refuse(s, S3E_InvalidRequest,
                      "Checksum Type mismatch occurred, expected checksum Type: %s, actual "
                      "checksum Type: %s",
                      algo_lower(a, w), algo_lower(s->hdr_algo, g));
    if (s->hdr_checksum && (checksum_span(s->hdr_checksum) != checksum_span(s->checksum) ||
                            strncmp(s->hdr_checksum, s->checksum, checksum_span(s->checksum))))
        return refuse(s, S3E_BadDigest,
                      "The %s you specified did not match the calculated checksum.",
                      cksum_name(a));
    if (s->hdr_type && strcmp(s->hdr_type, u->checksum_type) != 0)
        return refuse(s, S3E_InvalidRequest,
                      "The upload was created using the %s checksum mode. The complete request "
                      "must use the same checksum mode.",
                      u->checksum_type[0] ? u->checksum_type : "null");
    if (s->has_mp_size && s->mp_size != size)
        return refuse(s, S3E_InvalidRequest,
                      "The provided x-amz-mp-object-size header value %llu does not match the "
                      "object size %llu",
                      (unsigned long long)s->mp_size, (unsigned long long)size);
    for (size_t i = 0; i < s->nwant && strcmp(u->checksum_type, "COMPOSITE") == 0; i++)
        if (s->want[i].ck_algo != a)
            return refuse(s, S3E_InvalidRequest,
                          "The upload was created using a %s checksum. The complete request must "
                          "include the checksum for each part. It was missing for part %d in the "
                          "request.",
                          algo_lower(a, w), s->want[i].number);
    return 0;
}

/* The object the upload becomes; m borrows key, headers and ACL from u, owns segs. */
static int complete_object(struct req *r, struct complete_state *s, const struct upload *u,
                           const struct part *parts, size_t n, struct object_meta *m)
{
    enum cksum_algo a = upload_algo(u);
    m->segs = calloc(s->nwant, sizeof *m->segs);
    if (!m->segs)
        return -ENOMEM;
    int rc = match_parts(s, a, parts, n, m->segs);
    if (rc)
        return rc;
    m->nsegs = s->nwant;
    for (size_t i = 0; i < m->nsegs; i++)
        m->size += m->segs[i].size;
    rc = multipart_etag(m->segs, m->nsegs, s->etag);
    if (!rc && a != CK_NONE)
        rc = multipart_checksum(a, strcmp(u->checksum_type, "FULL_OBJECT") == 0, m->segs,
                                m->nsegs, s->checksum);
    if (!rc)
        rc = complete_expectations(s, u, m->size);
    if (rc)
        return rc;
    s->ck_algo = a;
    snprintf(s->ck_type, sizeof s->ck_type, "%s", u->checksum_type);
    m->bucket_id = r->bkt.id;
    m->key = u->key;
    snprintf(m->etag, sizeof m->etag, "%s", s->etag);
    m->mtime_ms = store_now_ms();
    s3_upload_object_owner(r, &s->owner_rule, u, m->owner_account);
    snprintf(m->storage_class, sizeof m->storage_class, "%s", u->storage_class);
    snprintf(m->checksum_algo, sizeof m->checksum_algo, "%s", u->checksum_algo);
    snprintf(m->checksum_type, sizeof m->checksum_type, "%s", u->checksum_type);
    snprintf(m->checksum, sizeof m->checksum, "%s", s->checksum);
    m->headers = u->headers;
    m->acl = u->acl;
    return 0;
}

/* A retried Complete of an upload that is already gone succeeds when the key holds exactly
 * the object that upload made (same parts and ETags, in order), as S3 answers it; anything else
 * is NoSuchUpload (-ENOENT). */
static int complete_again(struct store_txn *t, struct req *r, struct complete_state *s)
{
    struct object_meta cur;
    int rc = store_txn_object_get(t, r->bkt.id, r->key, &cur);
    if (rc)
        return rc;
    bool same = cur.nsegs == s->nwant;
    for (size_t i = 0; same && i < cur.nsegs; i++)
        same = cur.segs[i].part_number == s->want[i].number &&
               strcasecmp(cur.segs[i].etag, s->want[i].etag) == 0;
    if (same) {
        snprintf(s->etag, sizeof s->etag, "%s", cur.etag);
        s->ck_algo = cur.checksum_algo[0] ? cksum_algo_from_name(cur.checksum_algo) : CK_NONE;
        snprintf(s->ck_type, sizeof s->ck_type, "%s", cur.checksum_type);
        snprintf(s->checksum, sizeof s->checksum, "%s", cur.checksum);
    }
    store_object_free(&cur);
    return same ? 0 : -ENOENT;
}

static int complete_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct complete_state *s = r->handler_state;
    struct upload u;
    int rc = store_txn_upload_get(t, s->upload_id, &u);
    if (!rc && !upload_matches(r, &u)) {
        store_upload_free(&u);
        return -ENOENT;
    }
    if (rc == -ENOENT)
        return complete_again(t, r, s);
    if (rc)
        return rc;
    struct part *parts = NULL;
    size_t n = 0;
    struct object_meta m = {0};
    const char **keep = NULL;
    rc = complete_preconditions(t, r, s);
    if (!rc)
        rc = store_txn_part_list(t, s->upload_id, &parts, &n);
    if (!rc)
        rc = complete_object(r, s, &u, parts, n, &m);
    if (!rc)
        rc = store_txn_object_put(t, &m);
    if (!rc && !(keep = calloc(m.nsegs, sizeof *keep)))
        rc = -ENOMEM;
    for (size_t i = 0; !rc && i < m.nsegs; i++)
        keep[i] = m.segs[i].blob_id;
    /* The parts named by the object become its segments; the others go with the upload. */
    if (!rc)
        rc = store_txn_upload_delete(t, s->upload_id, keep, m.nsegs);
    free(keep);
    free(m.segs);
    free(parts);
    store_upload_free(&u);
    return rc;
}

/* http(s)://host/bucket/key, or http(s)://bucket.domain/key when addressed virtual-host style. */
static void put_location(struct buf *b, struct req *r)
{
    buf_printf(b, "<Location>%s://", r->tls_cipher ? "https" : "http");
    buf_put_xml(b, r->host ? r->host : "localhost");
    buf_putc(b, '/');
    if (!r->virtual_host && uri_encode(b, r->bucket, strlen(r->bucket), true) == 0)
        buf_putc(b, '/');
    if (uri_encode(b, r->key, strlen(r->key), false) == 0)
        buf_puts(b, "</Location>");
}

static int complete_then(struct req *r)
{
    struct complete_state *s = r->handler_state;
    if (r->commit_rc == APPLY_REFUSED && s->err) {
        if (s->err_extra.len)
            buf_append(&r->error_extra, s->err_extra.data, s->err_extra.len);
        return req_error(r, s->err, s->err_msg[0] ? s->err_msg : NULL);
    }
    if (r->commit_rc == -ENOENT)
        return no_such_upload(r, s->upload_id);
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    struct buf *b = &r->resp_body;
    if (req_xml_begin(r))
        return -S3E_ServiceUnavailable;
    buf_puts(b, "<CompleteMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
    put_location(b, r);
    buf_put_xml_elem(b, "Bucket", r->bkt.name);
    buf_put_xml_elem(b, "Key", r->key);
    put_etag(b, s->etag);
    if (s->ck_algo != CK_NONE) {
        put_checksum(b, s->ck_algo, s->checksum);
        buf_put_xml_elem(b, "ChecksumType", s->ck_type);
    }
    buf_puts(b, "</CompleteMultipartUploadResult>");
    return buf_ok(b) ? 0 : -S3E_ServiceUnavailable;
}

int h_complete_multipart_upload(struct req *r)
{
    struct complete_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    s->err_extra = (struct buf)BUF_INIT;
    r->handler_state = s;
    r->handler_state_free = complete_state_free;
    int rc = complete_parse_body(r, s);
    if (!rc)
        rc = complete_parse_headers(r, s);
    if (rc)
        return rc;
    const char *id = upload_id_param(r);
    if (!id)
        return -S3E_NoSuchUpload;
    snprintf(s->upload_id, sizeof s->upload_id, "%s", id);
    rc = s3_owner_rule(r, &s->owner_rule);
    return rc ? rc : req_commit(r, complete_apply, complete_then);
}

/* ---- AbortMultipartUpload ------------------------------------------------------------------- */

struct abort_state {
    char upload_id[65];
    bool has_if_initiated;   /* x-amz-if-match-initiated-time */
    int64_t if_initiated_s;
};

static int abort_apply(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    struct abort_state *s = r->handler_state;
    struct upload u;
    int rc = store_txn_upload_get(t, s->upload_id, &u);
    if (rc)
        return rc;
    if (!upload_matches(r, &u))
        rc = -ENOENT;
    else if (s->has_if_initiated && u.initiated_ms / 1000 != s->if_initiated_s)
        rc = APPLY_REFUSED;
    else
        rc = store_txn_upload_delete(t, s->upload_id, NULL, 0);
    store_upload_free(&u);
    return rc;
}

static int abort_then(struct req *r)
{
    struct abort_state *s = r->handler_state;
    if (r->commit_rc == -ENOENT)
        return no_such_upload(r, s->upload_id);
    if (r->commit_rc == APPLY_REFUSED)
        return req_error(r, S3E_PreconditionFailed, NULL);
    if (r->commit_rc)
        return s3err_from_errno(r->commit_rc);
    req_set_status(r, 204);
    return 0;
}

int h_abort_multipart_upload(struct req *r)
{
    const char *id = upload_id_param(r);
    if (!id)
        return -S3E_NoSuchUpload;
    struct abort_state *s = calloc(1, sizeof *s);
    if (!s)
        return -S3E_ServiceUnavailable;
    r->handler_state = s;
    r->handler_state_free = free;
    snprintf(s->upload_id, sizeof s->upload_id, "%s", id);
    const char *t = req_header(r, "x-amz-if-match-initiated-time");
    time_t when = 0;
    if (t && sigv4_parse_http_date(t, &when) != 0)
        return req_error(r, S3E_InvalidArgument,
                         "x-amz-if-match-initiated-time must be an HTTP date");
    s->has_if_initiated = t != NULL;
    s->if_initiated_s = when;
    return req_commit(r, abort_apply, abort_then);
}

/* ---- ListParts ------------------------------------------------------------------------------ */

/* Initiator and Owner: the account that created the upload. S3 names an IAM user initiator by
 * its ARN; the upload keeps only the account, so both name the account. */
static void put_initiator_owner(struct buf *b, struct store *st, const char *account)
{
    s3_put_owner(b, st, "Initiator", account);
    s3_put_owner(b, st, "Owner", account);
}

static void put_part(struct buf *b, const struct part *p, enum cksum_algo a)
{
    char ts[32];
    s3_time_iso8601(p->mtime_ms, ts);
    buf_printf(b, "<Part><PartNumber>%d</PartNumber>", p->number);
    buf_put_xml_elem(b, "LastModified", ts);
    put_etag(b, p->etag);
    buf_printf(b, "<Size>%llu</Size>", (unsigned long long)p->size);
    if (a != CK_NONE && p->checksum[0])
        put_checksum(b, a, p->checksum);
    buf_puts(b, "</Part>");
}

static void put_parts_result(struct buf *b, struct req *r, const struct upload *u, long marker,
                             long max, const struct part *v, size_t n, bool truncated)
{
    buf_puts(b, "<ListPartsResult xmlns=\"" S3_XMLNS "\">");
    buf_put_xml_elem(b, "Bucket", r->bkt.name);
    buf_put_xml_elem(b, "Key", u->key);
    buf_put_xml_elem(b, "UploadId", u->upload_id);
    put_initiator_owner(b, r->st, u->owner_account);
    buf_put_xml_elem(b, "StorageClass", u->storage_class[0] ? u->storage_class : "STANDARD");
    if (u->checksum_algo[0]) {
        buf_put_xml_elem(b, "ChecksumAlgorithm", u->checksum_algo);
        buf_put_xml_elem(b, "ChecksumType", u->checksum_type);
    }
    buf_printf(b, "<PartNumberMarker>%ld</PartNumberMarker>", marker);
    buf_printf(b, "<NextPartNumberMarker>%d</NextPartNumberMarker>", n ? v[n - 1].number : 0);
    buf_printf(b, "<MaxParts>%ld</MaxParts>", max);
    buf_printf(b, "<IsTruncated>%s</IsTruncated>", truncated ? "true" : "false");
    for (size_t i = 0; i < n; i++)
        put_part(b, &v[i], upload_algo(u));
    buf_puts(b, "</ListPartsResult>");
}

int h_list_parts(struct req *r)
{
    long max, marker;
    int rc = s3_query_count(r, "max-parts", S3_MAX_LIST_KEYS, &max);
    if (!rc)
        rc = s3_query_count(r, "part-number-marker", 0, &marker);
    if (rc)
        return rc;
    const char *id = upload_id_param(r);
    if (!id)
        return -S3E_NoSuchUpload;
    struct upload u;
    rc = upload_load(r, id, &u);
    if (rc)
        return rc;
    /* One more than a page, to know whether another follows (store: max 0 means all). */
    size_t page = max > S3_MAX_LIST_KEYS ? S3_MAX_LIST_KEYS : (size_t)max;
    struct part *v = NULL;
    size_t n = 0;
    rc = store_part_list(r->st, id, (int)marker, page + 1, &v, &n);
    /* An empty page (max-parts=0) is never truncated: a marker that cannot advance would make
     * a paginating client loop forever. The object and upload listings answer the same. */
    bool truncated = !rc && page > 0 && n > page;
    if (n > page)
        n = page;
    if (!rc && req_xml_begin(r))
        rc = -ENOMEM;
    if (!rc)
        put_parts_result(&r->resp_body, r, &u, marker, max, v, n, truncated);
    free(v);
    store_upload_free(&u);
    if (rc)
        return s3err_from_errno(rc);
    return buf_ok(&r->resp_body) ? 0 : -S3E_ServiceUnavailable;
}

/* ---- ListMultipartUploads ------------------------------------------------------------------- */

static void put_upload(struct buf *b, struct store *st, const struct upload_entry *e, bool url)
{
    char ts[32];
    s3_time_iso8601(e->initiated_ms, ts);
    buf_puts(b, "<Upload>");
    s3_put_name(b, "Key", e->key, url);
    buf_put_xml_elem(b, "UploadId", e->upload_id);
    put_initiator_owner(b, st, e->owner_account);
    buf_put_xml_elem(b, "StorageClass", e->storage_class[0] ? e->storage_class : "STANDARD");
    buf_put_xml_elem(b, "Initiated", ts);
    if (e->checksum_algo[0]) {
        buf_put_xml_elem(b, "ChecksumAlgorithm", e->checksum_algo);
        buf_put_xml_elem(b, "ChecksumType", e->checksum_type);
    }
    buf_puts(b, "</Upload>");
}

static void put_uploads_result(struct buf *b, struct req *r, const struct upload_list_params *p,
                               long max, bool url, const struct upload_list *l)
{
    const char *idm = req_query(r, "upload-id-marker");
    buf_puts(b, "<ListMultipartUploadsResult xmlns=\"" S3_XMLNS "\">");
    buf_put_xml_elem(b, "Bucket", r->bkt.name);
    s3_put_name(b, "KeyMarker", p->key_marker ? p->key_marker : "", url);
    buf_put_xml_elem(b, "UploadIdMarker", idm ? idm : "");
    if (l->truncated && l->next_key_marker) {
        s3_put_name(b, "NextKeyMarker", l->next_key_marker, url);
        buf_put_xml_elem(b, "NextUploadIdMarker", l->next_upload_id_marker);
    }
    if (p->delimiter)
        s3_put_name(b, "Delimiter", p->delimiter, url);
    if (p->prefix)
        s3_put_name(b, "Prefix", p->prefix, url);
    buf_printf(b, "<MaxUploads>%ld</MaxUploads>", max);
    if (url)
        buf_puts(b, "<EncodingType>url</EncodingType>");
    buf_printf(b, "<IsTruncated>%s</IsTruncated>", l->truncated ? "true" : "false");
    for (size_t i = 0; i < l->n; i++)
        if (!l->v[i].is_prefix)
            put_upload(b, r->st, &l->v[i], url);
    for (size_t i = 0; i < l->n; i++) {
        if (!l->v[i].is_prefix)
            continue;
        buf_puts(b, "<CommonPrefixes>");
        s3_put_name(b, "Prefix", l->v[i].key, url);
        buf_puts(b, "</CommonPrefixes>");
    }
    buf_puts(b, "</ListMultipartUploadsResult>");
}

int h_list_multipart_uploads(struct req *r)
{
    bool url;
    long max;
    int rc = s3_query_encoding(r, &url);
    if (!rc)
        rc = s3_query_count(r, "max-uploads", S3_MAX_LIST_KEYS, &max);
    if (rc)
        return rc;
    struct upload_list_params p = {
        .prefix = req_query(r, "prefix"),
        .delimiter = req_query(r, "delimiter"),
        .key_marker = req_query(r, "key-marker"),
        .max_uploads = max > S3_MAX_LIST_KEYS ? S3_MAX_LIST_KEYS : (size_t)max,
    };
    if (p.delimiter && !*p.delimiter)
        p.delimiter = NULL;
    /* upload-id-marker means nothing without key-marker. */
    if (p.key_marker && *p.key_marker)
        p.upload_id_marker = req_query(r, "upload-id-marker");
    struct upload_list l;
    rc = store_upload_list(r->st, r->bkt.id, &p, &l);
    if (rc)
        return s3err_from_errno(rc);
    if (req_xml_begin(r)) {
        store_upload_list_free(&l);
        return -S3E_ServiceUnavailable;
    }
    put_uploads_result(&r->resp_body, r, &p, max, url, &l);
    store_upload_list_free(&l);
    return buf_ok(&r->resp_body) ? 0 : -S3E_ServiceUnavailable;
}
