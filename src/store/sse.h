/*
 * sse — server-side encryption at rest with keys the server manages (SSE-S3, "AES256").
 *
 * Who calls what:
 *   body.c      streams a PutObject body through an encryptor into its blob while it arrives
 *               (store_sse_enc_*), so plaintext never reaches the disk;
 *   object.c    encrypts small (inline) bodies in one go, decrypts copy sources, and opens a
 *               decryptor for GET;
 *   server.c    pulls plaintext out of a decryptor, segment by segment, as the response goes out;
 *   delivery    (CloudTrail log files) uses the one-shot calls in store.h:
 *               store_sse_encrypt_blob() / store_sse_encrypt_inline().
 *
 * FORMAT, version 1 (ours; everything here is derived from it, change it only with a new "v")
 *
 *   Master key   <data>/master.key: exactly 32 random bytes, mode 0600, created at the first
 *                store_open() (temp file in <data>/tmp, fsync, link(2) into place so a crash or a
 *                second process can never leave a short or a second key, fsync of <data>). Any
 *                other size refuses to open the store (-EINVAL): a key silently replaced would make
 *                every encrypted object unreadable.
 *
 *   Data key     one per object: 32 random bytes, never stored in clear. It is wrapped with
 *                AES-256-GCM under the master key:
 *                    nonce = 12 random bytes,
 *                    AAD   = "s3trail-sse-data-key" (20 bytes, no NUL) || 0x01 (format version),
 *                    wk    = nonce (12) || ciphertext of the data key (32) || tag (16) = 60 bytes.
 *
 *   Metadata     the object's `sse` column (object_meta.sse), NULL for a plaintext object:
 *                    {"v":1,"alg":"AES256","seg":65536,"salt":"<b64 8 bytes>","wk":"<b64 60>"}
 *                salt = 8 random bytes per object.
 *
 *   Body         the plaintext (object_meta.size bytes, which stays the plaintext size) is cut
 *                into N = max(1, ceil(size / seg)) segments of `seg` bytes, the last one shorter
 *                (or empty, for the empty object: so even an empty body is authenticated). Segment
 *                i (0-based) is stored as
 *                    AES-256-GCM ciphertext (same length as its plaintext) || 16-byte tag
 *                with, under the data key,
 *                    nonce = be32(i) || salt (8)
 *                    AAD   = salt (8) || be32(i) || last (1 byte: 1 for segment N-1, else 0).
 *                Segments follow each other with no header: segment i starts at stored offset
 *                i * (seg + 16), and the stored length is size + 16 * N bytes — the blob file,
 *                or the inline_data of a small object, which is encrypted the same way.
 *                Because the index is in the nonce and the AAD, swapping or repeating segments
 *                fails; because `last` is in the AAD, cutting whole segments off the end fails
 *                (the new final segment was sealed as not-last); a stored length other than
 *                size + 16 * N is refused before anything is decrypted. At most 2^32 segments.
 *
 *   Ranges       a read of [off, off+len) decrypts only segments off/seg .. (off+len-1)/seg,
 *                each verified whole before a byte of it is released.
 *
 * Not yet: multipart objects are never encrypted (CreateMultipartUpload with
 * x-amz-server-side-encryption answers NotImplemented), so an encrypted object is inline or one
 * blob; when parts get SSE, each part will carry its own sse (its own data key and salt), since
 * one key and salt over several independently numbered streams would repeat nonces.
 *
 * Errors: -ENOMEM; -EIO (randomness or OpenSSL failed); -EINVAL (an sse document this version
 * does not understand); -EBADMSG (authentication failed: tampered, truncated or reordered
 * ciphertext, a stored length that does not match, or a data key wrapped by another master key —
 * nothing decrypted is ever handed out then); -EFBIG (more than 2^32 segments); an output
 * callback's own error is passed through.
 */
#ifndef S3TRAIL_SSE_H
#define S3TRAIL_SSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store.h"

#define SSE_VERSION 1
#define SSE_SEG_SIZE (64u * 1024)  /* see the measurement in sse.c */
#define SSE_TAG_LEN 16u
#define SSE_MASTER_KEY_LEN 32u
/* The value of x-amz-server-side-encryption for an object with an sse document. */
#define SSE_ALG_AES256 "AES256"

/* Stored (ciphertext + tags) length of a plaintext of n bytes cut into seg-byte segments. */
uint64_t store_sse_stored_len(uint64_t n, uint32_t seg);

/* ---- encrypting ------------------------------------------------------------------------------
 *
 *   struct sse_enc *e;
 *   store_sse_enc_begin(st, out, arg, &e);    // fresh data key and salt
 *   store_sse_enc_write(e, p, n); ...          // out(arg, ...) gets whole sealed segments
 *   store_sse_enc_finish(e, &json);            // seals the last one; *json: the sse document
 *   store_sse_enc_free(e);                     // always, also after a failure
 *
 * A full segment is sealed only once a byte past it arrives (until then it might be the last),
 * so an encryptor holds at most one segment (64 KiB) of plaintext in memory. After any failure
 * every later call returns the same error. */
struct sse_enc;
typedef int (*sse_out_fn)(void *arg, const void *p, size_t n);

int store_sse_enc_begin(struct store *st, sse_out_fn out, void *arg, struct sse_enc **e) WUR;
int store_sse_enc_write(struct sse_enc *e, const void *p, size_t n) WUR;
/* *json is owned by the caller (it becomes object_meta.sse). */
int store_sse_enc_finish(struct sse_enc *e, char **json) WUR;
/* Plaintext bytes accepted so far. */
uint64_t store_sse_enc_len(const struct sse_enc *e);
void store_sse_enc_free(struct sse_enc *e);

/* ---- decrypting ------------------------------------------------------------------------------
 *
 * A decryptor reads one encrypted body of plain_len plaintext bytes from fd (a blob, not owned:
 * it must stay open while the decryptor is used) or, when fd < 0, from mem[0..mem_len) (inline
 * data, not copied: it must outlive the decryptor). Opening unwraps the data key and checks the
 * stored length (fstat for a file). */
struct sse_dec;

int store_sse_dec_open(struct store *st, const char *json, uint64_t plain_len, int fd,
                       const unsigned char *mem, size_t mem_len, struct sse_dec **d) WUR;
/* Plaintext from offset off: decrypts and verifies the segment holding off (unless it is the one
 * decrypted last) and copies at most max bytes of it, never past that segment's end, to out.
 * Returns the count (> 0), 0 when off >= plain_len, or a negative errno (-EBADMSG: failed
 * authentication; nothing was copied). Sequential reads decrypt each segment once. */
ssize_t store_sse_dec_read(struct sse_dec *d, uint64_t off, void *out, size_t max) WUR;
void store_sse_dec_free(struct sse_dec *d);

#endif
