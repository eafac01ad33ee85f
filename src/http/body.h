/*
 * body — request body intake: aws-chunked decoding, payload verification and storage.
 *
 * Authentication (authn.c) decides how the payload is protected and records it here
 * (payload mode, the signed SHA-256, the chunk-signing material). route_prepare() then calls
 * body_init_for() with the operation's body kind:
 *   BODY_NONE    bytes are counted and dropped;
 *   BODY_XML     bytes are kept in `mem` up to OP_XML_BODY_MAX (then MalformedXML / EntityTooLarge);
 *   BODY_OBJECT  bytes are kept in `mem` while they fit BODY_INLINE_MAX, and spill into a blob
 *                temp file beyond it — never a whole large object in memory. When the operation's
 *                precheck set `sse` (PutObject asking for x-amz-server-side-encryption: AES256),
 *                the blob receives the encrypted form (store/sse.h) as the bytes arrive, so the
 *                plaintext never touches the disk; `mem` stays plaintext, for the handler to
 *                encrypt into the inline row.
 * body_feed() takes each raw chunk from MHD; body_finish() checks length, Content-MD5, the signed
 * SHA-256, chunk signatures and the x-amz-checksum-* value (header or trailer), and finishes the
 * blob (fsync + rename) so a handler can commit metadata naming it.
 *
 * Ownership: a finished blob stays the request's until a handler claims it (blob_claimed = true)
 * and from then on commits metadata naming blob.id or discards it. body_free() removes an
 * unfinished temp file and discards a finished blob nobody claimed, so a request refused after
 * its body arrived (a bad header, a full queue at shutdown) leaves nothing behind.
 */
#ifndef S3TRAIL_BODY_H
#define S3TRAIL_BODY_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/chunked.h"
#include "store/sse.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/checksum.h"
#include "util/hash.h"

struct req;

/* Objects up to this size live inline in the metadata row: one fsync covers body, metadata and
 * (next issue) the event record, which is what makes small durable PUTs cheap. */
#define BODY_INLINE_MAX (64u * 1024)

enum payload_mode {
    PAYLOAD_UNSIGNED,          /* UNSIGNED-PAYLOAD, SigV2, anonymous, presigned */
    PAYLOAD_SIGNED,            /* x-amz-content-sha256 is the hex SHA-256 of the body */
    PAYLOAD_STREAMING,         /* aws-chunked: STREAMING-* modes, see chunked_mode */
};

struct body_in {
    /* set by authn */
    enum payload_mode payload;
    char signed_sha256[65];
    bool chunked;
    struct chunked_cfg chunk_cfg; /* its strings point at the arrays below */
    char chunk_amz_date[17];
    char chunk_scope[SIGV4_SCOPE_MAX];
    char chunk_seed[65];
    char chunk_trailers[256];

    /* set by body_init_for */
    bool active;
    int sink;                 /* enum op_body */
    struct store *st;
    uint64_t max_len;
    bool want_md5;
    struct hash_stream md5;
    bool want_sha256;
    struct hash_stream sha;
    enum cksum_algo ck_algo;  /* CK_NONE unless the client sent or announced a checksum */
    enum cksum_algo ck_default; /* computed when the client names none (a precheck sets it:
                                   an upload's parts all carry the upload's algorithm) */
    struct cksum ck;
    char ck_expect[128];      /* from the header; "" when it comes as a trailer */
    bool ck_trailer;
    struct chunked dec;

    /* storage */
    struct buf mem;
    bool in_blob;
    struct blob_writer blob;
    bool blob_finished;
    bool blob_claimed;        /* a handler took the finished blob over (see below) */
    bool sse;                 /* set by a precheck: encrypt a spilled body at rest */
    struct sse_enc *enc;      /* the blob's encryptor while sse and in_blob */
    char *sse_json;           /* owned: the finished encrypted blob's sse document (a handler
                                 claiming the blob takes it and sets this to NULL) */

    /* outcome */
    uint64_t len;             /* decoded payload bytes */
    int err;                  /* first error (negative S3 error), reported once the body ends */
    char md5_hex[33];
    char ck_b64[128];         /* computed checksum (base64) when ck_algo != CK_NONE */
};

/* Prepares intake for r->op->body; checks Content-Length against the operation's limit and
 * reads x-amz-checksum-* / x-amz-sdk-checksum-algorithm / x-amz-trailer. */
int body_init_for(struct req *r) __attribute__((warn_unused_result));
int body_feed(struct body_in *b, const char *p, size_t n) __attribute__((warn_unused_result));
int body_finish(struct body_in *b, struct req *r) __attribute__((warn_unused_result));
void body_free(struct body_in *b, struct store *st);

#endif
