/*
 * chunked — streaming decoder for "Content-Encoding: aws-chunked" request bodies.
 *
 * Wire format (S3 API reference, sigv4-streaming and sigv4-streaming-trailers):
 *   <hex size>[;chunk-signature=<64 hex>]\r\n <size bytes> \r\n      ... repeated
 *   0[;chunk-signature=<64 hex>]\r\n                                   the final, empty chunk
 *   [<name>:<value>\r\n ...] [x-amz-trailer-signature:<64 hex>\r\n]    trailers (trailer modes)
 *   \r\n
 *
 * Modes, from the x-amz-content-sha256 header (chunked_mode_from_header):
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          CHUNKED_SIGNED
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER          CHUNKED_UNSIGNED_TRAILER
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  CHUNKED_SIGNED_TRAILER
 * In the signed modes every chunk carries a signature chained from the seed (the request's own
 * SigV4 signature) over the SHA-256 of its data (sigv4_chunk_signature), and in
 * CHUNKED_SIGNED_TRAILER the trailers are signed too (sigv4_trailer_signature, over each trailer
 * as "name:value\n"). In CHUNKED_UNSIGNED_TRAILER chunk signatures and a trailer signature, if a
 * client sends them, are ignored.
 *
 * Streaming and memory: feed any split of the body (one byte at a time works). Data bytes are
 * handed to the out() callback as they arrive, straight from the caller's buffer, while their
 * SHA-256 is computed incrementally; a chunk's signature is checked when its last byte arrives.
 * So payload can reach out() before the signature covering it is checked: the caller must treat
 * everything it received as provisional and discard it unless chunked_finish() returns 0. Memory
 * is the struct itself (chunk headers and trailer lines are limited to CHUNKED_LINE_MAX bytes,
 * trailers to CHUNKED_MAX_TRAILERS) plus one OpenSSL digest context.
 *
 * Errors (negative S3 errors; sticky: once a feed fails, every later call returns the same):
 *   -S3E_SignatureDoesNotMatch  a chunk or trailer signature is wrong or missing (signed modes)
 *   -S3E_IncompleteBody         chunked_finish() before the final chunk (and trailers) arrived
 *   -S3E_InvalidRequest         malformed framing: bad hex size, missing CRLF, an over-long
 *                               line, a trailer that is malformed, undeclared, repeated or
 *                               declared but never sent, bytes after the end
 *   -S3E_InvalidChunkSizeError  a chunk below cfg.min_chunk_size that was not the last one
 *   any nonzero value out() returns, passed through unchanged.
 * The end of the stream is accepted with or without the last empty line once the final chunk
 * (and, in trailer modes, the declared trailers) are complete, since the final chunk's signature
 * already authenticates the end of the data.
 *
 * Calling sequence:
 *   struct chunked c;
 *   struct chunked_cfg cfg = {.mode = m, .amz_date = p.amz_date, .scope = scope,
 *                             .seed_signature = p.signature, .trailer_names = x_amz_trailer,
 *                             .out = write_body, .arg = ctx};
 *   memcpy(cfg.key, signing_key, 32);            // from sigv4_verify(..., key_out, ...)
 *   if ((rc = chunked_init(&c, &cfg))) fail;
 *   for each piece of the body: if ((rc = chunked_feed(&c, p, n))) fail;
 *   if ((rc = chunked_finish(&c))) fail;
 *   check chunked_decoded_len(&c) == x-amz-decoded-content-length, and any checksum trailer
 *   (chunked_trailer(&c, "x-amz-checksum-crc32")) against the checksum of what out() received;
 *   chunked_close(&c);                           // always, also after a failed init
 */
#ifndef S3TRAIL_CHUNKED_H
#define S3TRAIL_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/sigv4.h"
#include "util/hash.h"

#define CHUNKED_LINE_MAX 4096  /* a chunk header or trailer line, without CRLF */
#define CHUNKED_MAX_TRAILERS 8 /* names in x-amz-trailer */
#define CHUNKED_TRAILER_NAME_MAX 64
#define CHUNKED_TRAILER_VALUE_MAX 256

enum chunked_mode { CHUNKED_SIGNED, CHUNKED_UNSIGNED_TRAILER, CHUNKED_SIGNED_TRAILER };

/* Maps an x-amz-content-sha256 value to a mode. Returns 0, or -1 when the value is not one of
 * the three streaming values above (a plain hash, UNSIGNED-PAYLOAD, or the SigV4a
 * STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD*, which s3trail does not implement). */
int chunked_mode_from_header(const char *x_amz_content_sha256, enum chunked_mode *mode)
    __attribute__((warn_unused_result));

struct chunked_cfg {
    enum chunked_mode mode;
    unsigned char key[32];      /* SigV4 signing key (signed modes) */
    const char *amz_date;       /* request time "20130524T000000Z" (signed modes) */
    const char *scope;          /* "20130524/us-east-1/s3/aws4_request" (signed modes) */
    const char *seed_signature; /* the request's SigV4 signature (signed modes) */
    const char *trailer_names;  /* the x-amz-trailer header value (comma-separated), or NULL */
    uint32_t min_chunk_size;    /* 0 = no rule; AWS requires 8192 for every chunk but the last */
    int (*out)(void *arg, const char *p, size_t n); /* decoded payload; nonzero aborts */
    void *arg;
};

struct chunked_trailer {
    char name[CHUNKED_TRAILER_NAME_MAX];   /* lower-cased */
    char value[CHUNKED_TRAILER_VALUE_MAX]; /* trimmed */
    bool seen;
};

struct chunked {
    enum chunked_mode mode;
    int state;
    int err;
    unsigned char key[32];
    char amz_date[17];
    char scope[SIGV4_SCOPE_MAX];
    char prev_sig[65];
    char chunk_sig[65];
    uint64_t remaining; /* data bytes still due in the current chunk */
    uint64_t decoded;
    uint32_t min_chunk;
    bool small_seen;
    bool trailer_sig_seen;
    char trailer_sig[65];
    struct hash_stream sha;
    size_t line_len;
    char line[CHUNKED_LINE_MAX + 2];
    size_t ntrailers;
    struct chunked_trailer trailers[CHUNKED_MAX_TRAILERS];
    int (*out)(void *arg, const char *p, size_t n);
    void *arg;
};

/* Prepares c from cfg (which need not outlive the call). Returns 0, -S3E_InvalidRequest for an
 * x-amz-trailer value with too many, empty or over-long names, -S3E_InternalError for a signed
 * mode without a valid amz_date/scope/seed, or an allocation error. c must be closed with
 * chunked_close() whatever the result. */
int chunked_init(struct chunked *c, const struct chunked_cfg *cfg)
    __attribute__((warn_unused_result));
/* Decodes p[0..n). Returns 0 or an error as listed above. */
int chunked_feed(struct chunked *c, const char *p, size_t n) __attribute__((warn_unused_result));
/* End of the body. Returns 0 when the stream was complete, else an error as listed above. */
int chunked_finish(struct chunked *c) __attribute__((warn_unused_result));
/* True once the whole stream (final chunk and trailers) has been decoded. */
bool chunked_done(const struct chunked *c);
/* Value of a received trailer (name case-insensitive), or NULL. Lives as long as c. */
const char *chunked_trailer(const struct chunked *c, const char *name);
/* Payload bytes handed to out() so far. */
uint64_t chunked_decoded_len(const struct chunked *c);
/* Releases the digest context; wipes the signing key. Safe to call twice. */
void chunked_close(struct chunked *c);

#endif
