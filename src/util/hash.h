/*
 * hash — the small cryptographic toolbox every other module leans on: hex and base64 codecs,
 * SHA-256 / SHA-1 / MD5 (one-shot and streaming), HMAC-SHA256 / HMAC-SHA1, random bytes and ids,
 * and a constant-time comparison for secrets.
 *
 * All digests come from OpenSSL 3 (libcrypto). The EVP_MD objects are fetched once per process
 * (OpenSSL 3's implicit fetch behind EVP_sha256() takes a lock and a table lookup on every use,
 * which shows up when every request computes a dozen digests) and shared read-only by all
 * threads, so every function here is thread-safe.
 *
 * Conventions:
 *   - Hex output is lower-case, as SigV4 and ETags need it; `out` holds 2*n+1 bytes and is
 *     NUL-terminated.
 *   - Base64 is the standard alphabet with '=' padding (RFC 4648 §4), as S3 shows Content-MD5 and
 *     x-amz-checksum-* values. Decoding is strict: the length must be a multiple of 4, padding may
 *     only close the text, no whitespace, and the unused low bits of the last symbol must be zero.
 *     Strictness makes decoding a bijection, so two checksums may be compared as strings.
 *   - Streaming digests follow the buf pattern: update never fails loudly; a failure inside
 *     OpenSSL is remembered and reported once by hash_stream_final().
 *
 * Calling sequence for streaming:
 *   struct hash_stream h = HASH_STREAM_INIT;
 *   if (hash_stream_init(&h, HASH_SHA256)) fail;
 *   hash_stream_update(&h, p, n); ...
 *   if (hash_stream_final(&h, out)) fail;   // may be re-initialised and reused afterwards
 *   hash_stream_free(&h);                   // always safe, also on HASH_STREAM_INIT
 */
#ifndef S3TRAIL_HASH_H
#define S3TRAIL_HASH_H

#include <stdbool.h>
#include <stddef.h>

#define HASH_MD5_LEN 16
#define HASH_SHA1_LEN 20
#define HASH_SHA256_LEN 32
#define HASH_MAX_LEN 32

enum hash_algo { HASH_MD5, HASH_SHA1, HASH_SHA256 };

/* Digest length in bytes of `algo` (16, 20 or 32). */
size_t hash_len(enum hash_algo algo);

/* ---- hex ---- */

/* Writes 2*n lower-case hex digits and a NUL to out (2*n+1 bytes). Never fails. */
void hash_hex(const void *p, size_t n, char *out);
/* Decodes exactly 2*n hex digits (either case) from s into out[n]. Returns 0, or -1 when s is
 * shorter or holds a non-hex character. */
int hash_unhex(const char *s, size_t n, unsigned char *out) __attribute__((warn_unused_result));

/* ---- base64 ---- */

/* Length of the base64 text for n bytes, without the NUL: 4*ceil(n/3). */
size_t hash_base64_len(size_t n);
/* Writes the padded base64 text of p[0..n) and a NUL to out (hash_base64_len(n)+1 bytes). */
void hash_base64_encode(const void *p, size_t n, char *out);
/* Strictly decodes s[0..n) into out (at most cap bytes) and stores the length in *outlen.
 * Returns 0, or -1 when the text is not canonical base64 or the result would exceed cap; out is
 * then unspecified. */
int hash_base64_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen)
    __attribute__((warn_unused_result));

/* ---- one-shot digests and MACs ----
 * These return nothing because OpenSSL's software digests cannot fail once they have a context.
 * The context is allocated once per thread on first use (so hot paths allocate nothing) and
 * freed at thread exit; if that first allocation of a few hundred bytes fails, the process
 * aborts with a message rather than hand out a wrong digest. */

void hash_md5(const void *p, size_t n, unsigned char out[HASH_MD5_LEN]);
void hash_sha1(const void *p, size_t n, unsigned char out[HASH_SHA1_LEN]);
void hash_sha256(const void *p, size_t n, unsigned char out[HASH_SHA256_LEN]);
/* Lower-case hex of SHA-256: out holds 65 bytes. */
void hash_sha256_hex(const void *p, size_t n, char out[2 * HASH_SHA256_LEN + 1]);
void hash_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                      unsigned char out[HASH_SHA256_LEN]);
void hash_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen,
                    unsigned char out[HASH_SHA1_LEN]);

/* ---- streaming digests ---- */

struct hash_stream {
    void *ctx; /* EVP_MD_CTX *, owned */
    enum hash_algo algo;
    bool failed;
};

#define HASH_STREAM_INIT                                                                           \
    {                                                                                              \
        NULL, HASH_SHA256, false                                                                   \
    }

/* (Re)starts a digest. Allocates the context on first use; returns 0 or -ENOMEM. */
int hash_stream_init(struct hash_stream *h, enum hash_algo algo)
    __attribute__((warn_unused_result));
/* Feeds bytes. A failure is remembered and reported by hash_stream_final(). */
void hash_stream_update(struct hash_stream *h, const void *p, size_t n);
/* Writes hash_len(algo) bytes to out. Returns 0, or -EIO when any step failed. The stream must be
 * re-initialised before further updates. */
int hash_stream_final(struct hash_stream *h, unsigned char *out)
    __attribute__((warn_unused_result));
/* Releases the context; the struct is back to HASH_STREAM_INIT. Safe to call twice. */
void hash_stream_free(struct hash_stream *h);

/* ---- randomness (OpenSSL's CSPRNG) ---- */

/* Fills p[0..n) with cryptographically strong random bytes. Returns 0 or -EIO. */
int hash_random_bytes(void *p, size_t n) __attribute__((warn_unused_result));
/* nbytes random bytes as 2*nbytes lower-case hex digits plus NUL in out. Returns 0 or -EIO. */
int hash_random_hex(char *out, size_t nbytes) __attribute__((warn_unused_result));
/* n characters uniformly drawn from [A-Z0-9] plus NUL in out (n+1 bytes), the shape of AWS
 * request ids and access key ids. Returns 0 or -EIO. */
int hash_random_upper_alnum(char *out, size_t n) __attribute__((warn_unused_result));

/* ---- comparison ---- */

/* True when the NUL-terminated strings are equal. The time taken depends only on the lengths,
 * never on where the contents differ, so comparing a client's signature against the expected one
 * leaks nothing an attacker could climb byte by byte. NULL equals nothing. */
bool hash_equal_ct(const char *a, const char *b);
/* Same for byte ranges. */
bool hash_equal_ct_n(const void *a, size_t an, const void *b, size_t bn);

#endif
