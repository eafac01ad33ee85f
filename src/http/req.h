/*
 * req — the context of one HTTP request, from the first byte to the last.
 *
 * It holds everything a CloudTrail record is built from (issue: CloudTrail core): the request id
 * and x-amz-id-2, the principal and how it authenticated (signature version, auth method, access
 * key), TLS details, the source address, bytes in and out, the operation row, the bucket's region,
 * the parsed query and headers, and how the request ended (status, S3 error code and message).
 *
 * Ownership: a req is allocated when MHD reports the request line (server.c) and freed when MHD
 * reports completion; every field it owns is released by req_free(). Header values point into
 * MHD's connection memory, valid for the request's life.
 *
 * Handlers (s3/handlers.h) read the request through the accessors below and answer by filling the
 * response part: req_set_status / req_add_header / the body buffer / a file body. Every request
 * that reached an operation after authentication (`audited`) commits its CloudTrail record
 * before its response is sent. Mutating handlers hand a work item to the store's writer with
 * req_commit(); long blocking work goes to a worker with req_offload().
 */
#ifndef S3TRAIL_REQ_H
#define S3TRAIL_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "http/body.h"
#include "auth/principal.h"
#include "auth/sigv4.h"
#include "s3/optable.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/uri.h"

#define REQ_ASYNC 1
#define REQ_FINAL 2 /* internal to server.c: the response is finalized and recorded */

struct server;
struct MHD_Connection;
struct sse_dec;

enum req_protocol {
    PROTO_S3,   /* REST XML: errors are <Error> documents */
    PROTO_JSON, /* JSON 1.1 (CloudTrail): errors are {"__type":...,"message":...} */
    PROTO_QUERY, /* AWS Query (IAM, STS): errors are <ErrorResponse><Error>... documents */
};

struct resp_header {
    char *name;  /* owned */
    char *value; /* owned */
};

/* A response body made of file ranges and memory (multi-part objects, ranges across parts).
 * A piece with `dec` is an encrypted body: off and len are plaintext offsets, and the bytes come
 * out of the decryptor (which reads fd, or the inline ciphertext it was opened on), segment by
 * segment, each verified before it is sent; such a piece never goes through sendfile. */
struct resp_piece {
    int fd;              /* -1 for memory */
    const unsigned char *mem;
    uint64_t off, len;
    struct sse_dec *dec; /* owned, NULL for plaintext */
};

struct req {
    struct server *srv;
    struct store *st;
    struct MHD_Connection *conn;

    /* identity of this request (the response's x-amz-request-id / x-amz-id-2) */
    char request_id[17];
    char host_id[96];
    int64_t start_ms;
    char source_ip[INET6_ADDRSTRLEN];

    /* what arrived */
    const char *method;
    char *target;       /* raw request target, owned */
    char *raw_path;     /* the path part, still percent-encoded, owned */
    char *raw_query;    /* after '?', or NULL, owned */
    struct query_param *q;
    size_t nq;
    struct kv *headers; /* every request header; names/values point into MHD memory */
    size_t nheaders;
    size_t header_bytes;
    const char *host;   /* Host header without port handling */
    char *bucket;       /* decoded bucket name, NULL for service requests; owned */
    char *key;          /* decoded key, NULL when none; owned */
    bool virtual_host;
    bool has_body;      /* Content-Length > 0 or chunked transfer */
    bool has_content_length;
    uint64_t content_length;

    /* routing and identity */
    const struct s3_op *op;
    struct bucket bkt;  /* the addressed bucket, loaded by routing when it exists */
    bool bkt_loaded;
    char region[32];    /* the bucket's region, else the endpoint's default */
    struct principal who;
    char *session_policy;    /* owned: the inline session policy of temporary credentials
                                (AssumeRole / GetFederationToken Policy), NULL when none */
    char sig_region[64];     /* the region a SigV4 signature was scoped to, "" otherwise */
    bool sig_deferred;       /* the signature is checked when the body is in (authn.h) */
    struct sigv4_params sig_params;
    const char *tls_cipher;  /* NULL without TLS */
    const char *tls_version;

    /* body intake */
    struct body_in body;
    uint64_t bytes_in;  /* decoded payload bytes */
    uint64_t bytes_out; /* body bytes sent */

    /* response */
    enum req_protocol protocol; /* how errors are written: S3 XML, or a JSON 1.1 API's */
    bool audited;             /* the request reached an operation after authentication: it gets
                                 a CloudTrail record (authentication failures get none, as in
                                 AWS) */
    /* What the record says of a Query API (IAM, STS) call, which has no JSON document of its
     * own: owned JSON object texts for requestParameters and responseElements, written by the
     * handler (never holding a secret access key or password); NULL is written as null. */
    char *record_request_parameters;
    char *record_response_elements;
    char api_error[96];       /* a JSON API's error code ("TrailNotFoundException"), set with
                                 req_api_error(); takes precedence over `error` */
    int status;
    int error;                /* S3 error (positive enum s3_error) when the answer is an error */
    char *error_message;      /* owned override of the table's message, or NULL */
    struct buf error_extra;   /* extra XML elements inside <Error> */
    struct resp_header *resp_headers; /* owned, grows (an object may replay many x-amz-meta-*) */
    size_t n_resp_headers, cap_resp_headers;
    struct buf resp_body;
    const char *static_body;  /* when set, sent instead of resp_body (an answer that needed no
                                 allocation: the error body could not be built) */
    char oom_body[384];       /* where that answer is written */
    struct resp_piece *pieces; /* owned; fds owned and closed by req_free */
    size_t npieces;
    uint64_t resp_len;        /* total of pieces (or the HEAD Content-Length) */
    bool head_only;           /* HEAD: send headers with resp_len as Content-Length, no body */

    /* async commit */
    store_apply_fn commit_apply; /* runs on the writer thread with arg = r */
    int (*commit_then)(struct req *r); /* req_commit's continuation, also on the writer thread */
    int batch_rc;                /* whether the writer's batch became durable */
    struct event_row audit_ev;   /* the request's CloudTrail record, once built */
    struct event_row audit_copy; /* the bucket owner's copy (cross-account), record NULL if none */
    bool audit_ev_ready;
    /* Cross-account events (authz decides, record.c writes): another account owns the bucket
     * and may see this event (it owns the object, or the object's ACL grants it the same
     * permission, or the operation is bucket-level), so the owner gets its own copy. */
    bool owner_copy;
    /* authz_request() left the decision to the handler, which must call authz_object() once it
     * has the object (auth/authz.h); a success answered with this still set is refused. */
    bool authz_object_pending;
    int (*offload_work)(struct req *r);
    int (*then)(struct req *r);
    int commit_rc;
    int phase;                /* server.c's state machine */
    void *handler_state;      /* a handler's private state across the commit */
    void (*handler_state_free)(void *);
};

/* ---- reading the request ------------------------------------------------------------------- */

/* Header value by name (case-insensitive), NULL if absent. */
const char *req_header(const struct req *r, const char *name);
/* Query parameter value (decoded), NULL if absent, "" when present without value. */
const char *req_query(const struct req *r, const char *name);

/* ---- answering ----------------------------------------------------------------------------- */

void req_set_status(struct req *r, int status);
/* Adds a response header (copied). Returns 0 or -ENOMEM. */
int req_add_header(struct req *r, const char *name, const char *value);
int req_add_headerf(struct req *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Forgets the response built so far (status, headers, body, pieces, handler state) so a handler
 * can start over, e.g. after reading metadata that went stale. */
void req_reset_response(struct req *r);
/* Starts the XML body: sets Content-Type application/xml and writes the declaration. */
int req_xml_begin(struct req *r);
/* Appends a body piece from a file (fd ownership passes to r) or from memory the request keeps
 * alive (e.g. an object's inline data held in handler_state). */
int req_add_file_piece(struct req *r, int fd, uint64_t off, uint64_t len);
int req_add_mem_piece(struct req *r, const unsigned char *mem, uint64_t len);
/* A decrypting piece: plaintext [off, off+len) of the body dec was opened on (store/sse.h). dec
 * and fd (the blob it reads, or -1 for inline data the request keeps alive) pass to r, also on
 * failure. */
int req_add_sse_piece(struct req *r, int fd, struct sse_dec *dec, uint64_t off, uint64_t len);
/* An error answer with the table's message (or msg when not NULL); extra XML elements can be
 * appended to r->error_extra. Returns -e so handlers can `return req_error(...)`. */
int req_error(struct req *r, int e, const char *msg);
int req_errorf(struct req *r, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* An error of a JSON 1.1 API (CloudTrail): HTTP status, the exception name as the API models it
 * and a message. Returns a negative value to hand back from the handler. */
int req_api_error(struct req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Hands apply (called with arg = r) to the store's writer; the connection is suspended until the
 * batch is durable. On the writer thread, inside the same transaction: apply runs under its own
 * savepoint (a nonzero result rolls back its changes only), then `then` runs with
 * r->commit_rc = apply's result and builds the response like a handler does (0 or -S3E_x; it
 * must not call MHD, req_commit or req_offload), then the request's CloudTrail record is
 * appended — so the change and its record commit together, and the response goes out only once
 * both are durable. Returns REQ_ASYNC (return it from the handler) or a negative S3 error when
 * the work item could not be queued. */
int req_commit(struct req *r, store_apply_fn apply, int (*then)(struct req *r));

/* Runs work(r) on a worker thread (long blocking work: copying or fsyncing gigabytes) while the
 * connection is suspended, then `then` on an MHD thread with r->commit_rc = work's result, like
 * req_commit. work may touch r freely (nothing else does meanwhile) but must not call MHD or
 * req_commit; `then` may. Returns REQ_ASYNC. */
int req_offload(struct req *r, int (*work)(struct req *r), int (*then)(struct req *r));

/* Server configuration a handler may need. */
const char *req_default_region(const struct req *r);
bool req_region_served(const struct req *r, const char *region);

#endif
