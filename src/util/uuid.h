/*
 * uuid — random (version 4, RFC 9562 §5.4) UUIDs in their lower-case dashed text form, the shape
 * of a CloudTrail record's eventID: "8d96391c-83f4-4491-bb84-4b389122ffb9".
 *
 * The 122 random bits come from OpenSSL's CSPRNG (hash_random_bytes). Each thread draws them in
 * batches of several UUIDs, because one RAND_bytes call per record costs more than the rest of
 * the UUID and every request makes a record; the batch lives in thread-local storage, so the
 * function is thread-safe and never shares or reuses a draw. (A process that forks must not
 * keep generating in both halves from the same batch; s3trail never forks after start-up.)
 */
#ifndef S3TRAIL_UUID_H
#define S3TRAIL_UUID_H

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* Writes a fresh UUID v4 and a NUL to out. Returns 0, or -EIO when the random generator fails
 * (out is then an empty string). */
int uuid_v4(char out[UUID_STR_LEN]) __attribute__((warn_unused_result));

#endif
