/*
 * server.c — libmicrohttpd glue and the request state machine.
 *
 * MHD calls the access handler several times per request:
 *   1st call  (PH_NEW)   headers are in: parse the target, route through the operation table,
 *                        authenticate, check limits, prepare body intake. Returning without a
 *                        response makes MHD answer `Expect: 100-continue` — so the client sends
 *                        its body only once authentication passed. Answering on this first call
 *                        forces `Connection: close` in MHD 0.9.75 (DESIGN §4), so an error is
 *                        answered here only when a body is on its way (closing is then right: we
 *                        do not want the body); otherwise it waits for the next call.
 *   body calls (PH_BODY) each chunk of the body goes through body intake (aws-chunked decoding,
 *                        digests, a blob file or a memory buffer).
 *   last call (PH_BODY, no data) body complete: verify digests, run the handler. A mutating
 *                        handler suspends the connection and hands a work item to the store's
 *                        writer (req_commit); MHD calls again after the writer resumes us.
 *   resumed   (PH_ASYNC) run the handler's continuation and answer.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/authn.h"
#include "http/req.h"
#include "http/route.h"
#include "iam/qapi.h"
#include "s3/errors.h"
#include "store/sse.h"
#include "util/hash.h"
#include "util/log.h"
#include "trail/record.h"
#include "util/workpool.h"

enum { PH_NEW, PH_BODY, PH_ASYNC, PH_DONE };

struct server {
    struct server_config cfg;
    struct store *st;
    struct MHD_Daemon *d;
    unsigned port;
    _Atomic int suspended; /* connections waiting for a commit or an offloaded job */
    _Atomic bool stopping;
    struct workpool *pool;  /* long blocking work (req_offload) */
};

void server_config_defaults(struct server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_host, sizeof cfg->listen_host, "127.0.0.1");
    cfg->port = 9000;
    snprintf(cfg->regions, sizeof cfg->regions, "us-east-1");
    snprintf(cfg->domain, sizeof cfg->domain, "localhost");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    /* Request threads block on SQLite reads and on fsync of large bodies, so the pool is larger
     * than the core count; 4 per core kept two cores busy in the 64-connection PUT runs. */
    cfg->threads = (unsigned)(n > 0 ? n * 4 : 8);
    if (cfg->threads < 8)
        cfg->threads = 8;
    cfg->idle_timeout_s = 60;
    cfg->max_header_bytes = 8192;
}

unsigned server_port(const struct server *srv)
{
    return srv->port;
}

const struct server_config *server_cfg(const struct server *srv)
{
    return &srv->cfg;
}

/* ---- request accessors and response building ---------------------------------------------- */

const char *req_header(const struct req *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

const char *req_query(const struct req *r, const char *name)
{
    return uri_query_get(r->q, r->nq, name);
}

void req_set_status(struct req *r, int status)
{
    r->status = status;
}

int req_add_header(struct req *r, const char *name, const char *value)
{
    if (r->n_resp_headers == r->cap_resp_headers) {
        size_t cap = r->cap_resp_headers ? 2 * r->cap_resp_headers : 16;
        struct resp_header *h = realloc(r->resp_headers, cap * sizeof *h);
        if (!h)
            return -ENOMEM;
        r->resp_headers = h;
        r->cap_resp_headers = cap;
    }
    char *n = strdup(name), *v = strdup(value ? value : "");
    if (!n || !v) {
        free(n);
        free(v);
        return -ENOMEM;
    }
    r->resp_headers[r->n_resp_headers].name = n;
    r->resp_headers[r->n_resp_headers].value = v;
    r->n_resp_headers++;
    return 0;
}

int req_add_headerf(struct req *r, const char *name, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (!rc)
        rc = req_add_header(r, name, b.data);
    buf_free(&b);
    return rc;
}

int req_xml_begin(struct req *r)
{
    int rc = req_add_header(r, "Content-Type", "application/xml");
    if (!rc)
        rc = buf_puts(&r->resp_body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    return rc;
}

static int add_piece(struct req *r, int fd, const unsigned char *mem, struct sse_dec *dec,
                     uint64_t off, uint64_t len)
{
    struct resp_piece *p = realloc(r->pieces, (r->npieces + 1) * sizeof *p);
    if (!p)
        return -ENOMEM;
    r->pieces = p;
    p[r->npieces++] =
        (struct resp_piece){.fd = fd, .mem = mem, .off = off, .len = len, .dec = dec};
    r->resp_len += len;
    return 0;
}

int req_add_sse_piece(struct req *r, int fd, struct sse_dec *dec, uint64_t off, uint64_t len)
{
    int rc = add_piece(r, fd, NULL, dec, off, len);
    if (rc) {
        store_sse_dec_free(dec);
        if (fd >= 0)
            close(fd);
    }
    return rc;
}

int req_add_file_piece(struct req *r, int fd, uint64_t off, uint64_t len)
{
    int rc = add_piece(r, fd, NULL, NULL, off, len);
    if (rc)
        close(fd);
    return rc;
}

int req_add_mem_piece(struct req *r, const unsigned char *mem, uint64_t len)
{
    return add_piece(r, -1, mem, NULL, 0, len);
}

int req_error(struct req *r, int e, const char *msg)
{
    if (e < 0)
        e = -e;
    r->error = e;
    free(r->error_message);
    r->error_message = msg ? strdup(msg) : NULL;
    return -e;
}

int req_api_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
    snprintf(r->api_error, sizeof r->api_error, "%s", code);
    r->status = status;
    struct buf b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(r->error_message);
    r->error_message = rc ? NULL : buf_detach(&b);
    buf_free(&b);
    return -S3E_InvalidRequest; /* any negative value: api_error decides the answer */
}

int req_errorf(struct req *r, int e, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    req_error(r, e, rc ? NULL : b.data);
    buf_free(&b);
    return e < 0 ? e : -e;
}

const char *req_default_region(const struct req *r)
{
    static __thread char region[32];
    const char *regions = r->srv->cfg.regions;
    size_t n = strcspn(regions, ",");
    if (n >= sizeof region)
        n = sizeof region - 1;
    memcpy(region, regions, n);
    region[n] = '\0';
    return region;
}

bool req_region_served(const struct req *r, const char *region)
{
    const char *p = r->srv->cfg.regions;
    size_t len = strlen(region);
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, region, n) == 0)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

/* ---- async commit ---------------------------------------------------------------------------- */

static void finalize(struct req *r, int rc);
static int audit_append(struct store_txn *t, struct req *r);

/*
 * One work item per request that changes something or must be recorded: the change (apply,
 * under its own savepoint, so a failed change still leaves its record), the handler's
 * continuation that shapes the response, and the CloudTrail record of that response — all in
 * one transaction. A request without a change (a read, an error) runs only the record part.
 */
static int commit_item(struct store_txn *t, void *arg)
{
    struct req *r = arg;
    if (r->commit_apply) {
        r->commit_rc = store_txn_nest(t, r->commit_apply, r);
        int rc = r->commit_then(r);
        finalize(r, rc);
    }
    return audit_append(t, r);
}

static void commit_done(void *arg, int rc)
{
    struct req *r = arg;
    r->batch_rc = rc;
    /* Runs on the writer thread. The connection was suspended before the item was queued, so
     * resuming here is always paired; MHD then calls the access handler (PH_ASYNC). */
    MHD_resume_connection(r->conn);
}

static void answer_unrecorded(struct req *r, int cause);

/* A commit or record that could not even be queued: the decided answer cannot go out. */
static int then_queue_failed(struct req *r)
{
    answer_unrecorded(r, r->commit_rc);
    return REQ_FINAL;
}

/* Counts and suspends the connection for a job (a commit, an offloaded piece of work) that will
 * resume it; `then` runs after the resume. Count first, then look: server_stop sets `stopping`
 * and then waits for the count, so a request either sees `stopping` here or is counted before
 * the wait begins. Suspending happens before the job is queued: it may finish and resume before
 * the queueing call even returns. */
static int suspend_for(struct req *r, int (*then)(struct req *r))
{
    r->srv->suspended++;
    if (r->srv->stopping) {
        r->srv->suspended--;
        return -S3E_ServiceUnavailable;
    }
    r->then = then;
    r->phase = PH_ASYNC;
    MHD_suspend_connection(r->conn);
    return 0;
}

/* The job was not queued (shutting down, out of memory): answer through the same resumed path
 * so suspend and resume stay paired. */
static int queue_failed(struct req *r, int rc)
{
    r->commit_rc = rc;
    r->then = then_queue_failed;
    MHD_resume_connection(r->conn);
    return REQ_ASYNC;
}

static int then_recorded(struct req *r);

int req_commit(struct req *r, store_apply_fn apply, int (*then)(struct req *r))
{
    int rc = suspend_for(r, then_recorded);
    if (rc)
        return rc;
    r->commit_apply = apply;
    r->commit_then = then;
    rc = store_submit(r->st, commit_item, commit_done, r);
    return rc ? queue_failed(r, rc) : REQ_ASYNC;
}

static void offload_job(void *arg)
{
    struct req *r = arg;
    r->commit_rc = r->offload_work(r);
    MHD_resume_connection(r->conn);
}

int req_offload(struct req *r, int (*work)(struct req *r), int (*then)(struct req *r))
{
    int rc = suspend_for(r, then);
    if (rc)
        return rc;
    r->offload_work = work;
    rc = workpool_submit(r->srv->pool, offload_job, r);
    return rc ? queue_failed(r, rc) : REQ_ASYNC;
}

/* ---- the response ---------------------------------------------------------------------------- */

/* Plaintext of a decrypting piece: at most to the end of the segment holding `at`. A segment
 * that fails authentication ends the response with an error (MHD closes the connection, so the
 * client sees a body shorter than Content-Length) and is logged; its bytes are never sent. */
static ssize_t sse_piece_read(struct req *r, struct resp_piece *p, uint64_t at, char *out,
                              size_t n)
{
    ssize_t got = store_sse_dec_read(p->dec, at, out, n);
    if (got > 0)
        return got;
    log_error("request %s: GET /%s/%s: encrypted body at offset %llu %s; response cut short",
              r->request_id, r->bucket ? r->bucket : "", r->key ? r->key : "",
              (unsigned long long)at,
              got == -EBADMSG ? "fails authentication (altered, truncated or reordered)"
                              : "cannot be read");
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Streams r->pieces (file ranges via pread, memory, decrypting pieces) for multi-piece and
 * encrypted bodies; a single plain file piece goes through MHD's sendfile path instead (see
 * build_response). */
static ssize_t pieces_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct req *r = cls;
    uint64_t base = 0;
    for (size_t i = 0; i < r->npieces; i++) {
        struct resp_piece *p = &r->pieces[i];
        if (pos < base + p->len) {
            uint64_t in = pos - base;
            size_t n = (size_t)((p->len - in) < max ? (p->len - in) : max);
            if (p->dec)
                return sse_piece_read(r, p, p->off + in, out, n);
            if (p->fd < 0) {
                memcpy(out, p->mem + in, n);
                return (ssize_t)n;
            }
            ssize_t got = pread(p->fd, out, n, (off_t)(p->off + in));
            if (got <= 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            return got;
        }
        base += p->len;
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void write_error_body(struct req *r)
{
    struct buf *b = &r->resp_body;
    buf_reset(b);
    buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    buf_put_xml_elem(b, "Code", s3err_code(r->error));
    buf_put_xml_elem(b, "Message", r->error_message ? r->error_message : s3err_message(r->error));
    if (r->error_extra.len)
        buf_append(b, r->error_extra.data, r->error_extra.len);
    /* Resource is the request path as S3 reports it: /bucket/key, decoded. */
    if (r->bucket) {
        buf_puts(b, "<Resource>/");
        buf_put_xml(b, r->bucket);
        if (r->key) {
            buf_putc(b, '/');
            buf_put_xml(b, r->key);
        }
        buf_puts(b, "</Resource>");
    } else if (r->raw_path) {
        buf_put_xml_elem(b, "Resource", r->raw_path);
    }
    buf_put_xml_elem(b, "RequestId", r->request_id);
    buf_put_xml_elem(b, "HostId", r->host_id);
    buf_puts(b, "</Error>");
}

static void drop_headers(struct req *r)
{
    for (size_t i = 0; i < r->n_resp_headers; i++) {
        free(r->resp_headers[i].name);
        free(r->resp_headers[i].value);
    }
    r->n_resp_headers = 0;
}

static void drop_pieces(struct req *r)
{
    for (size_t i = 0; i < r->npieces; i++) {
        if (r->pieces[i].fd >= 0)
            close(r->pieces[i].fd);
        store_sse_dec_free(r->pieces[i].dec);
    }
    free(r->pieces);
    r->pieces = NULL;
    r->npieces = 0;
    r->resp_len = 0;
}

void req_reset_response(struct req *r)
{
    drop_headers(r);
    drop_pieces(r);
    buf_reset(&r->resp_body);
    r->status = 0;
    r->head_only = false;
    if (r->handler_state_free)
        r->handler_state_free(r->handler_state);
    r->handler_state = NULL;
    r->handler_state_free = NULL;
}

static struct MHD_Response *build_response(struct req *r)
{
    struct MHD_Response *resp;
    bool head = strcmp(r->method, "HEAD") == 0;
    uint64_t len;
    if (r->status == 304 || r->status == 204 || (head && r->error)) {
        len = 0;
        resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    } else if (r->npieces == 1 && r->pieces[0].fd >= 0 && !r->pieces[0].dec && !head) {
        /* One file range: MHD sends it with sendfile(2), no copy through user space. The fd
         * passes to MHD, which closes it with the response. */
        len = r->pieces[0].len;
        resp = MHD_create_response_from_fd_at_offset64(len, r->pieces[0].fd, r->pieces[0].off);
        if (resp)
            r->pieces[0].fd = -1;
    } else if (r->npieces || r->head_only) {
        /* HEAD: MHD announces this length and sends no body. */
        len = r->resp_len;
        /* MHD allocates (and zeroes) the whole block for every response: a small object gets a
         * block of its own size, not 64 KiB (callgrind: a third of a 4 KiB GET's instructions). */
        size_t block = len && len < 64 * 1024 ? (size_t)len : 64 * 1024;
        resp = MHD_create_response_from_callback(len, block, pieces_reader, r, NULL);
    } else if (r->static_body) {
        len = strlen(r->static_body);
        resp = MHD_create_response_from_buffer(len, (void *)r->static_body,
                                               MHD_RESPMEM_PERSISTENT);
    } else {
        /* The document is handed over, not copied. */
        len = r->resp_body.len;
        char *data = buf_detach(&r->resp_body);
        resp = data ? MHD_create_response_from_buffer_with_free_callback(len, data, free) : NULL;
        if (!resp)
            free(data);
    }
    if (resp && !head)
        r->bytes_out = len;
    return resp;
}

/* A JSON 1.1 API's error document: {"__type":...,"message":...}. */
static void write_api_error_body(struct req *r, const char *code)
{
    struct buf *b = &r->resp_body;
    buf_reset(b);
    buf_puts(b, "{\"__type\":");
    buf_put_json_str(b, code);
    buf_puts(b, ",\"message\":");
    buf_put_json_str(b, r->error_message ? r->error_message
                                         : r->error ? s3err_message(r->error) : "");
    buf_putc(b, '}');
}

/* The error body could not be built (out of memory): answer ServiceUnavailable with a body
 * written into the request itself, which needs no allocation, and make the record agree. */
static void answer_out_of_memory(struct req *r)
{
    r->error = S3E_ServiceUnavailable;
    r->api_error[0] = '\0';
    r->status = s3err_status(r->error);
    free(r->error_message);
    r->error_message = NULL;
    buf_reset(&r->resp_body);
    const char *code = s3err_code(r->error), *msg = s3err_message(r->error);
    if (r->protocol == PROTO_JSON)
        snprintf(r->oom_body, sizeof r->oom_body, "{\"__type\":\"%s\",\"message\":\"%s\"}", code,
                 msg);
    else if (r->protocol == PROTO_QUERY)
        snprintf(r->oom_body, sizeof r->oom_body,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"%s\"><Error>"
                 "<Type>Receiver</Type><Code>%s</Code><Message>%s</Message></Error>"
                 "<RequestId>%s</RequestId></ErrorResponse>",
                 qapi_is_sts(r->op) ? QAPI_STS_XMLNS : QAPI_IAM_XMLNS, code, msg, r->request_id);
    else
        snprintf(r->oom_body, sizeof r->oom_body,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s"
                 "</Message><RequestId>%s</RequestId><HostId>%s</HostId></Error>",
                 code, msg, r->request_id, r->host_id);
    r->static_body = r->oom_body;
}

/*
 * Decides the response completely — status, headers, body, its length — without touching MHD,
 * so it can run on the writer thread inside the transaction that records it (the record says
 * how the request ended and how many bytes went out).
 */
static void finalize(struct req *r, int rc)
{
    if (rc < 0 && !r->error && !r->api_error[0])
        r->error = -rc;
    if (r->authz_object_pending && !r->error && !r->api_error[0]) {
        /* Fail closed: a handler answered without the object-level authorization it owed. */
        log_error("%s answered without authz_object(): refused", r->op ? r->op->name : "?");
        r->error = S3E_AccessDenied;
    }
    bool failed = r->error || r->api_error[0];
    bool head = strcmp(r->method, "HEAD") == 0;
    if (failed) {
        drop_pieces(r);
        r->head_only = false;
        drop_headers(r); /* headers a failed handler set do not belong on the error */
        if (r->api_error[0]) {
            r->status = r->status >= 400 ? r->status : 400;
        } else {
            r->status = s3err_status(r->error);
        }
        if (r->protocol == PROTO_QUERY) {
            qapi_write_error(r);
        } else if (r->protocol == PROTO_JSON) {
            const char *code = r->api_error[0] ? r->api_error : s3err_code(r->error);
            write_api_error_body(r, code);
            req_add_header(r, "Content-Type", "application/x-amz-json-1.1");
            req_add_header(r, "x-amzn-ErrorType", code);
        } else {
            /* S3 tells the bucket's region even when it refuses a HeadBucket, so clients can
             * redirect. */
            if (r->bkt_loaded && r->op && strcmp(r->op->name, "HeadBucket") == 0)
                req_add_header(r, "x-amz-bucket-region", r->bkt.region);
            if (!head && r->status != 304) {
                write_error_body(r);
                req_add_header(r, "Content-Type", "application/xml");
            }
        }
        if (!buf_ok(&r->resp_body))
            answer_out_of_memory(r);
    }
    if (!r->status)
        r->status = 200;
    if (head || r->status == 304 || r->status == 204)
        r->bytes_out = 0;
    else
        r->bytes_out = r->npieces        ? r->resp_len
                       : r->static_body ? strlen(r->static_body)
                                        : r->resp_body.len;
}

/* Hands the finalized response to MHD. */
static enum MHD_Result queue(struct req *r)
{
    struct MHD_Response *resp = build_response(r);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "x-amz-request-id", r->request_id);
    MHD_add_response_header(resp, "x-amz-id-2", r->host_id);
    if (r->protocol == PROTO_JSON || r->protocol == PROTO_QUERY)
        MHD_add_response_header(resp, "x-amzn-RequestId", r->request_id);
    MHD_add_response_header(resp, "Server", "s3trail");
    /* For HEAD, MHD sends the Content-Length of the (callback) response it would have sent,
     * which is the object's length; no body goes out. */
    for (size_t i = 0; i < r->n_resp_headers; i++) {
        /* MHD 0.9.75 refuses empty header values, but S3 answers `x-amz-meta-x: ` for empty
         * user metadata; a lone space is the same value once the client trims the field (RFC
         * 9110 §5.5: surrounding whitespace is not part of a field value). */
        const char *v = r->resp_headers[i].value;
        MHD_add_response_header(resp, r->resp_headers[i].name, *v ? v : " ");
    }
    r->phase = PH_DONE;
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* ---- the audit record ------------------------------------------------------------------------ */

/* Appends the request's CloudTrail record in the running transaction (writer thread). */
/* Builds the request's record into r->audit_ev (once; the response must be final). */
static int audit_build(struct req *r)
{
    if (r->audit_ev_ready)
        return 0;
    memset(&r->audit_ev, 0, sizeof r->audit_ev);
    memset(&r->audit_copy, 0, sizeof r->audit_copy);
    int rc = record_build(r, &r->audit_ev, &r->audit_copy);
    r->audit_ev_ready = rc == 0;
    return rc;
}

/* Appends the request's record in the running transaction (writer thread). A request that
 * changes nothing had its record built beforehand on its own thread (finish), so the single
 * writer only appends; one whose response is decided inside the transaction builds it here. */
static int audit_append(struct store_txn *t, struct req *r)
{
    if (!r->audited)
        return 0;
    int rc = audit_build(r);
    /* A record no account receives (an anonymous call naming no bucket) goes nowhere: AWS
     * delivers events to accounts, and there is none to give it to. */
    if (!rc && r->audit_ev.account_id[0])
        rc = store_txn_event_append(t, &r->audit_ev);
    if (!rc && r->audit_copy.record && r->audit_copy.account_id[0])
        rc = store_txn_event_append(t, &r->audit_copy);
    return rc;
}

/* After the writer: the response was finalized and recorded there; if the batch did not become
 * durable, neither did the record (nor the change), so the client gets an error instead. */
/* Replaces whatever response was decided with the error `cause` (-errno), unrecorded. */
static void answer_unrecorded(struct req *r, int cause)
{
    req_reset_response(r);
    r->error = 0;
    r->api_error[0] = '\0';
    free(r->error_message);
    r->error_message = NULL;
    buf_reset(&r->error_extra);
    r->audited = false; /* a prebuilt record is dropped with the answer it described */
    finalize(r, s3err_from_errno(cause));
}

static int then_recorded(struct req *r)
{
    if (r->batch_rc)
        answer_unrecorded(r, r->batch_rc);
    return REQ_FINAL;
}

/* The response is decided: record it (suspending until the record is durable), then answer. No
 * response leaves without its record. */
static enum MHD_Result finish(struct req *r, int rc)
{
    finalize(r, rc);
    if (!r->audited)
        return queue(r);
    if (suspend_for(r, then_recorded)) {
        /* Shutting down: nothing more can be made durable, so the answer cannot be this one
         * (no response without its record). */
        answer_unrecorded(r, -ESHUTDOWN);
        return queue(r);
    }
    r->commit_apply = NULL;
    int qrc = audit_build(r);
    if (!qrc)
        qrc = store_submit(r->st, commit_item, commit_done, r);
    if (qrc)
        queue_failed(r, qrc);
    return MHD_YES;
}

/* ---- MHD callbacks ----------------------------------------------------------------------------- */

static void req_free(struct req *r)
{
    body_free(&r->body, r->st);
    drop_pieces(r);
    drop_headers(r);
    free(r->resp_headers);
    if (r->handler_state_free)
        r->handler_state_free(r->handler_state);
    if (r->bkt_loaded)
        store_bucket_free(&r->bkt);
    free(r->audit_ev.resources);
    free(r->audit_ev.record);
    free(r->audit_copy.resources);
    free(r->audit_copy.record);
    free(r->session_policy);
    free(r->record_request_parameters);
    free(r->record_response_elements);
    uri_query_free(r->q, r->nq);
    free(r->headers);
    free(r->target);
    free(r->raw_path);
    free(r->raw_query);
    free(r->bucket);
    free(r->key);
    free(r->error_message);
    buf_free(&r->error_extra);
    buf_free(&r->resp_body);
    free(r);
}

/* x-amz-request-id: 16 upper-case hex digits; x-amz-id-2: base64 of 48 random bytes, the shapes
 * S3 uses. */
static void new_ids(struct req *r)
{
    unsigned char raw[56];
    if (hash_random_bytes(raw, sizeof raw))
        memset(raw, 0, sizeof raw);
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 8; i++) {
        r->request_id[2 * i] = hex[raw[i] >> 4];
        r->request_id[2 * i + 1] = hex[raw[i] & 15];
    }
    r->request_id[16] = '\0';
    hash_base64_encode(raw + 8, 48, r->host_id);
}

/*
 * MHD 0.9.75 gives up on a request whose header block overflows the connection's memory pool
 * (it queues a 431 and closes) without calling the access handler or on_completed, so the req
 * that on_uri allocated would leak, about 13 KB per such request and unauthenticated. Each
 * connection therefore keeps the request it has open, and frees it when the connection closes.
 */
struct conn_slot {
    struct req *open; /* from on_uri until on_completed */
};

static struct conn_slot *slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(struct conn_slot)); /* NULL: no slot, no safety net */
        return;
    }
    struct conn_slot *slot = *socket_context;
    if (slot && slot->open)
        req_free(slot->open);
    free(slot);
    *socket_context = NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct server *srv = cls;
    struct req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = srv;
    r->st = srv->st;
    r->conn = c;
    r->start_ms = store_now_ms();
    r->target = strdup(uri ? uri : "/");
    new_ids(r);
    struct conn_slot *slot = slot_of(c);
    if (slot)
        slot->open = r;
    return r;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                      const char *value)
{
    (void)kind;
    struct req *r = cls;
    struct kv *h = realloc(r->headers, (r->nheaders + 1) * sizeof *h);
    if (!h)
        return MHD_NO;
    r->headers = h;
    h[r->nheaders].name = name;
    h[r->nheaders].value = value ? value : "";
    r->nheaders++;
    r->header_bytes += strlen(name) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static void client_ip(struct req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->source_ip,
                  sizeof r->source_ip);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->source_ip,
                  sizeof r->source_ip);
}

/* The first call: everything that can be decided from the request line and headers. */
static int begin(struct req *r)
{
    client_ip(r);
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, r);
    if (!r->target)
        return -S3E_InternalError;
    if (r->header_bytes > r->srv->cfg.max_header_bytes) {
        buf_printf(&r->error_extra, "<MaxSizeAllowed>%u</MaxSizeAllowed>",
                   r->srv->cfg.max_header_bytes);
        return req_error(r, S3E_RequestHeaderSectionTooLarge, NULL);
    }
    const char *cl = req_header(r, "Content-Length");
    const char *te = req_header(r, "Transfer-Encoding");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(cl, &end, 10);
        if (errno || end == cl || *end || cl[0] == '-')
            return req_error(r, S3E_BadRequest, "Invalid Content-Length");
        r->has_content_length = true;
        r->content_length = v;
        r->has_body = v > 0;
    }
    if (te && strcasecmp(te, "identity") != 0)
        r->has_body = true;
    int rc = route_request(r);
    if (rc)
        return rc;
    /* A CORS preflight carries no credentials of its own (a browser sends it before the real,
     * signed request), so it is answered without authentication, as S3 does. */
    if (r->op->flags & OPF_ANON_OK) {
        r->who.type = PRINCIPAL_ANONYMOUS;
        snprintf(r->who.account_id, sizeof r->who.account_id, "anonymous");
    } else {
        rc = authn_request(r);
        if (rc)
            return rc;
    }
    /* From here on the request has reached an operation as a known (or anonymous) principal:
     * whatever happens next, it is recorded. */
    r->audited = true;
    return route_prepare(r);
}

static int dispatch_after_body_now(struct req *r)
{
    int rc = route_finish_body(r);
    return rc < 0 ? rc : route_dispatch(r);
}

/* After an offloaded route_finish_body: its result is in commit_rc. */
static int dispatch_after_body(struct req *r)
{
    return r->commit_rc < 0 ? r->commit_rc : route_dispatch(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    struct req *r = *con_cls;
    if (!r)
        return MHD_NO;
    r->conn = c;
    int rc;
    switch (r->phase) {
    case PH_NEW:
        r->method = method;
        r->phase = PH_BODY;
        rc = begin(r);
        if (rc < 0) {
            r->body.err = rc;
            if (r->has_body)
                return finish(r, rc);
        }
        return MHD_YES;
    case PH_BODY:
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            /* After a failure the rest of the body is read and dropped, so the error reaches
             * the client as a response on a connection that stays usable (MHD 0.9.75 cannot
             * answer in the middle of an upload). */
            if (!r->body.err) {
                rc = body_feed(&r->body, upload_data, n);
                if (rc < 0)
                    r->body.err = rc;
            }
            return MHD_YES;
        }
        if (r->body.err)
            return finish(r, r->body.err);
        /* A body in a blob is fsynced before anything names it; for a large one that takes
         * long enough to stall this thread's other connections, so it happens on a worker. */
        rc = r->body.in_blob ? req_offload(r, route_finish_body, dispatch_after_body)
                             : dispatch_after_body_now(r);
        if (rc == REQ_ASYNC)
            return MHD_YES;
        return finish(r, rc);
    case PH_ASYNC:
        r->srv->suspended--;
        rc = r->then(r);
        if (rc == REQ_ASYNC)
            return MHD_YES;
        if (rc == REQ_FINAL)
            return queue(r);
        return finish(r, rc);
    default:
        return MHD_NO;
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    struct req *r = *con_cls;
    struct conn_slot *slot = slot_of(c);
    if (slot && slot->open == r)
        slot->open = NULL;
    if (r)
        req_free(r);
    *con_cls = NULL;
}

int server_start(const struct server_config *cfg, struct store *st, struct server **out)
{
    struct server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return -ENOMEM;
    srv->cfg = *cfg;
    srv->st = st;
    /* Few workers: they do disk-bound copies and fsyncs, which more threads would not speed. */
    if (workpool_start(4, &srv->pool)) {
        free(srv);
        return -ENOMEM;
    }

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, cfg->listen_host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)cfg->port);
        sl = sizeof *in4;
    } else if (inet_pton(AF_INET6, cfg->listen_host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)cfg->port);
        sl = sizeof *in6;
        flags |= MHD_USE_IPv6;
    } else if (strcmp(cfg->listen_host, "localhost") == 0) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)cfg->port);
        in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof *in4;
    } else {
        workpool_stop(srv->pool);
        free(srv);
        return -EINVAL;
    }
    (void)sl;
    srv->d = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, srv, MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->idle_timeout_s,
        /* The pool holds the request line and headers and is zeroed per request: 32 KiB fits
         * S3's 8 KiB header limit with room, while 1 MiB made small GETs 4x slower (DESIGN §4). */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)4096, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!srv->d) {
        workpool_stop(srv->pool);
        free(srv);
        return -EADDRINUSE;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : cfg->port;
    *out = srv;
    return 0;
}

void server_stop(struct server *srv)
{
    if (!srv)
        return;
    /* MHD must not be stopped with suspended connections (its API forbids it). New commits are
     * refused from here on, and the writer resumes every waiting connection when its batch is
     * durable, so waiting for the count to reach zero is bounded by one batch. */
    srv->stopping = true;
    MHD_quiesce_daemon(srv->d);
    while (srv->suspended > 0)
        usleep(1000);
    MHD_stop_daemon(srv->d);
    workpool_stop(srv->pool);
    free(srv);
}
