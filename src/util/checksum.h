/*
 * checksum — the S3 "additional checksums" (x-amz-checksum-*) behind one streaming API:
 * CRC32 (zlib), CRC32C (Castagnoli), CRC64NVME, SHA-1 and SHA-256 (OpenSSL).
 *
 * How S3 shows a checksum: the raw value's bytes, base64-encoded. For the CRCs the raw value is
 * the CRC as a big-endian integer of its width (4 or 8 bytes), so the CRC32 of the empty body is
 * "AAAAAA==" and the CRC32 of "123456789" (0xCBF43926) is "y/Q5Jg==". For SHA-1/SHA-256 it is the
 * digest.
 *
 * Multipart uploads combine part checksums in one of two ways:
 *   - FULL_OBJECT (CRCs only): the checksum of the whole object, derived from the parts' CRCs
 *     and lengths without reading the data again: start with crc = 0 (the CRC of nothing) and for
 *     each part crc = cksum_crc_combine(algo, crc, part_crc, part_len).
 *   - COMPOSITE (every algorithm): the checksum of the concatenated raw part checksums, shown as
 *     "<base64>-<number of parts>" (struct cksum_composite).
 *
 * Calling sequence:
 *   struct cksum c;
 *   if (cksum_init(&c, CK_CRC32C)) fail;
 *   cksum_update(&c, p, n); ...
 *   if (cksum_final(&c, raw, b64)) fail;   // raw and/or b64 may be NULL
 *   cksum_free(&c);                        // always, also after a failed init
 *
 * Invariant: struct cksum owns at most one OpenSSL context (SHA types) and cksum_free releases it;
 * CRC types allocate nothing. Every function is thread-safe (the slice-by-8 tables are built once
 * under pthread_once).
 */
#ifndef S3TRAIL_CHECKSUM_H
#define S3TRAIL_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"

enum cksum_algo { CK_NONE, CK_CRC32, CK_CRC32C, CK_CRC64NVME, CK_SHA1, CK_SHA256 };

#define CKSUM_MAX_LEN 32 /* raw bytes of the largest checksum (SHA-256) */
#define CKSUM_B64_MAX 45 /* base64 of CKSUM_MAX_LEN bytes plus NUL */
/* "<base64>-<parts>" for a composite checksum, parts <= 10000 in S3 but up to UINT_MAX here */
#define CKSUM_COMPOSITE_MAX (CKSUM_B64_MAX + 11)

/* "CRC32", "crc32", "x-amz-checksum-crc32", "X-Amz-Checksum-Crc32" ... → CK_CRC32 (any case, with
 * or without the header prefix; also the SDKs' "CRC64NVME"). Unknown names and NULL → CK_NONE. */
enum cksum_algo cksum_algo_from_name(const char *name);
/* "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" as in x-amz-checksum-algorithm and
 * <ChecksumAlgorithm>; NULL for CK_NONE. */
const char *cksum_name(enum cksum_algo algo);
/* "x-amz-checksum-crc32", ..., NULL for CK_NONE. */
const char *cksum_header(enum cksum_algo algo);
/* Raw length in bytes: 4, 4, 8, 20, 32; 0 for CK_NONE. */
size_t cksum_len(enum cksum_algo algo);
/* True for CK_CRC32, CK_CRC32C, CK_CRC64NVME: the ones that have FULL_OBJECT combining. */
bool cksum_is_crc(enum cksum_algo algo);

struct cksum {
    enum cksum_algo algo;
    uint64_t crc;          /* running CRC (final form: init and xorout applied) */
    struct hash_stream sh; /* SHA-1 / SHA-256 */
};

/* Starts a checksum. Returns 0, -EINVAL for CK_NONE or an unknown value, or -ENOMEM. c must be
 * released with cksum_free() whatever the result. */
int cksum_init(struct cksum *c, enum cksum_algo algo) __attribute__((warn_unused_result));
void cksum_update(struct cksum *c, const void *p, size_t n);
/* Finishes: raw gets cksum_len() bytes (may be NULL), b64 the base64 text with NUL (may be NULL;
 * CKSUM_B64_MAX bytes suffice). Returns 0 or -EIO (an OpenSSL failure). After final, a CRC
 * checksum may continue to be updated (the value is not consumed); a SHA one may not. */
int cksum_final(struct cksum *c, unsigned char *raw, char *b64) __attribute__((warn_unused_result));
void cksum_free(struct cksum *c);

/* One-shot: checksum of p[0..n) into raw and/or b64. Returns 0, -EINVAL, -ENOMEM or -EIO. */
int cksum_compute(enum cksum_algo algo, const void *p, size_t n, unsigned char *raw, char *b64)
    __attribute__((warn_unused_result));

/* ---- CRC values ---- */

/* The CRC of p[0..n) continuing from crc (0 = start), in final form: for every CRC here the CRC
 * of A||B equals cksum_crc_update(cksum_crc_update(0, A), B). algo must be a CRC; else 0. */
uint64_t cksum_crc_update(enum cksum_algo algo, uint64_t crc, const void *p, size_t n);
/* CRC of A||B from crc_a = CRC(A), crc_b = CRC(B) and len_b = |B|, in O(log len_b) time: the
 * FULL_OBJECT rule. Works because all three CRCs have init == xorout (all ones). */
uint64_t cksum_crc_combine(enum cksum_algo algo, uint64_t crc_a, uint64_t crc_b, uint64_t len_b);
/* Big-endian raw bytes <-> value, and base64 text -> value (strict: exactly cksum_len() bytes).
 * The b64 parser returns 0 or -EINVAL. */
void cksum_crc_to_raw(enum cksum_algo algo, uint64_t crc, unsigned char *raw);
uint64_t cksum_crc_from_raw(enum cksum_algo algo, const unsigned char *raw);
int cksum_crc_from_b64(enum cksum_algo algo, const char *b64, uint64_t *crc)
    __attribute__((warn_unused_result));
/* Raw-byte form of cksum_crc_combine: out = combine(a, b, len_b), each cksum_len() bytes.
 * Returns 0, or -EINVAL when algo is not a CRC. */
int cksum_combine(enum cksum_algo algo, const unsigned char *a, const unsigned char *b,
                  uint64_t len_b, unsigned char *out) __attribute__((warn_unused_result));

/* ---- COMPOSITE multipart checksums ---- */

struct cksum_composite {
    struct cksum outer;
    unsigned parts;
};

/* cksum_composite_init → _add for each part in part-number order → _final. Always
 * cksum_composite_free(). */
int cksum_composite_init(struct cksum_composite *cc, enum cksum_algo algo)
    __attribute__((warn_unused_result));
/* Adds one part's checksum as S3 showed it (base64). Returns 0, or -EINVAL when part_b64 is not
 * the base64 of exactly cksum_len() bytes (the caller answers InvalidPart / BadDigest). */
int cksum_composite_add(struct cksum_composite *cc, const char *part_b64)
    __attribute__((warn_unused_result));
/* Writes "<base64>-<parts>" and NUL to out (cap bytes; CKSUM_COMPOSITE_MAX suffice). Returns 0,
 * -E2BIG or -EIO. */
int cksum_composite_final(struct cksum_composite *cc, char *out, size_t cap)
    __attribute__((warn_unused_result));
void cksum_composite_free(struct cksum_composite *cc);

#endif
