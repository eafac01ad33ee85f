/*
 * Tests of src/store/sse: the master key file, round trips of the segmented AES-256-GCM format
 * across segment boundaries (blob and inline, one-shot and streamed in odd pieces), ranged reads,
 * and every way a stored body can be altered (a ciphertext or tag byte, truncation, appended
 * bytes, swapped or dropped segments, a data key under another master key) failing with
 * -EBADMSG. `sse_bench` measures throughput when S3TRAIL_SSE_BENCH is set (it is a no-op
 * otherwise, so the sanitizer run stays fast).
 */
#include "fixture.h"
#include "unit.h"

#include "store/sse.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEG SSE_SEG_SIZE

/* ---- helpers ------------------------------------------------------------------------------ */

/* Deterministic, position-dependent bytes: a misplaced segment never decrypts to the right
 * plaintext by accident. */
static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    uint32_t x = 2463534242u ^ seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)(x ^ (i >> 16));
    }
    return p;
}

static void blob_path(const char *dir, const char *id, char *out, size_t size)
{
    snprintf(out, size, "%s/blobs/%.2s/%.2s/%s", dir, id, id + 2, id);
}

/* Encrypts p[0..n) into a finished blob; id and the sse document out. */
static bool seal_blob(struct store *st, const void *p, size_t n, char id[33], char **json)
{
    struct blob_writer w;
    *json = NULL;
    CHECK_EQ_INT(store_blob_begin(st, &w), 0);
    int rc = store_sse_encrypt_blob(st, p, n, &w, json);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        store_blob_abort(st, &w);
        return false;
    }
    CHECK_EQ_INT(w.size, store_sse_stored_len(n, SEG));
    memcpy(id, w.id, 33);
    CHECK_EQ_INT(store_blob_finish(st, &w), 0);
    return true;
}

/* Decrypts [off, off+len) of a body (blob fd or inline mem) into out, in reads of at most
 * `step` bytes. Returns 0 or the first error. */
static int read_range(struct store *st, const char *json, uint64_t size, int fd,
                      const unsigned char *mem, size_t mem_len, uint64_t off, uint64_t len,
                      unsigned char *out, size_t step)
{
    struct sse_dec *d;
    int rc = store_sse_dec_open(st, json, size, fd, mem, mem_len, &d);
    if (rc)
        return rc;
    while (len && !rc) {
        ssize_t got = store_sse_dec_read(d, off, out, len < step ? (size_t)len : step);
        if (got <= 0) {
            rc = got < 0 ? (int)got : -EIO;
            break;
        }
        out += got;
        off += (uint64_t)got;
        len -= (uint64_t)got;
    }
    store_sse_dec_free(d);
    return rc;
}

static int read_blob(struct store *st, const char *id, const char *json, uint64_t size,
                     uint64_t off, uint64_t len, unsigned char *out)
{
    int fd = store_blob_open(st, id);
    CHECK(fd >= 0);
    if (fd < 0)
        return fd;
    int rc = read_range(st, json, size, fd, NULL, 0, off, len, out, 100000);
    close(fd);
    return rc;
}

/* Rewrites `n` bytes of a blob file at `off` (to tamper with it). */
static void poke(const char *dir, const char *id, off_t off, const void *p, size_t n)
{
    char path[PATH_MAX];
    blob_path(dir, id, path, sizeof path);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK_EQ_INT(pwrite(fd, p, n, off), (long long)n);
    close(fd);
}

static void flip(const char *dir, const char *id, off_t off)
{
    char path[PATH_MAX];
    unsigned char b;
    blob_path(dir, id, path, sizeof path);
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ_INT(pread(fd, &b, 1, off), 1);
    b ^= 0x01;
    CHECK_EQ_INT(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

static void truncate_blob(const char *dir, const char *id, off_t len)
{
    char path[PATH_MAX];
    blob_path(dir, id, path, sizeof path);
    CHECK_EQ_INT(truncate(path, len), 0);
}

/* ---- the master key ----------------------------------------------------------------------- */

TEST(sse_master_key_created_0600_and_kept)
{
    char dir[64], path[PATH_MAX];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    snprintf(path, sizeof path, "%s/master.key", dir);
    struct stat sb;
    CHECK_EQ_INT(stat(path, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);
    CHECK_EQ_INT(sb.st_size, 32);

    /* What was sealed before a restart opens after it: the key is loaded, not made again.
     * (Inline ciphertext: a blob no row names would be swept at the reopen.) */
    const size_t n = 3 * SEG + 7;
    unsigned char *p = pattern(n, 1), *back = malloc(n), *c;
    size_t clen;
    char *json;
    CHECK_EQ_INT(store_sse_encrypt_inline(st, p, n, &c, &clen, &json), 0);
    store_close(st);
    CHECK_EQ_INT(store_open(dir, &st), 0);
    CHECK_EQ_INT(read_range(st, json, n, -1, c, clen, 0, n, back, 5000), 0);
    CHECK(memcmp(p, back, n) == 0);
    free(c);
    free(json);
    free(p);
    free(back);
    unit_store_close(dir, st);
}

TEST(sse_master_key_wrong_size_refuses_open)
{
    char dir[64], path[PATH_MAX];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    store_close(st);
    snprintf(path, sizeof path, "%s/master.key", dir);
    CHECK_EQ_INT(truncate(path, 31), 0);
    st = NULL;
    CHECK_EQ_INT(store_open(dir, &st), -EINVAL);
    CHECK(st == NULL);
    CHECK_EQ_INT(truncate(path, 33), 0);
    CHECK_EQ_INT(store_open(dir, &st), -EINVAL);
    CHECK_EQ_INT(truncate(path, 0), 0);
    CHECK_EQ_INT(store_open(dir, &st), -EINVAL);
    unit_rmtree(dir);
}

TEST(sse_wrong_master_key_fails)
{
    char dir[64], path[PATH_MAX];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    unsigned char *p = pattern(SEG + 1, 2), *back = malloc(SEG + 1), *inl, *big;
    size_t inl_len, big_len;
    char *json, *ijson;
    CHECK_EQ_INT(store_sse_encrypt_inline(st, p, SEG + 1, &big, &big_len, &json), 0);
    CHECK_EQ_INT(store_sse_encrypt_inline(st, p, 100, &inl, &inl_len, &ijson), 0);
    store_close(st);
    /* Another 32-byte key: the store opens, but no data key unwraps. */
    snprintf(path, sizeof path, "%s/master.key", dir);
    int fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    unsigned char other[32];
    memset(other, 0x5a, sizeof other);
    CHECK_EQ_INT(write(fd, other, sizeof other), 32);
    close(fd);
    CHECK_EQ_INT(store_open(dir, &st), 0);
    CHECK_EQ_INT(read_range(st, json, SEG + 1, -1, big, big_len, 0, SEG + 1, back, SEG),
                 -EBADMSG);
    CHECK_EQ_INT(read_range(st, ijson, 100, -1, inl, inl_len, 0, 100, back, 100), -EBADMSG);
    free(big);
    free(json);
    free(ijson);
    free(inl);
    free(p);
    free(back);
    unit_store_close(dir, st);
}

/* ---- round trips -------------------------------------------------------------------------- */

static const size_t sizes[] = {0, 1, 15, 16, SEG - 1, SEG, SEG + 1, 2 * SEG, 2 * SEG + 1,
                               3 * SEG - 1, 10u * 1000 * 1000, 10u * 1024 * 1024};
#define NSIZES (sizeof sizes / sizeof sizes[0])

TEST(sse_round_trip_blob)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    for (size_t k = 0; k < NSIZES; k++) {
        size_t n = sizes[k];
        unsigned char *p = pattern(n, (unsigned)k), *back = malloc(n + 1);
        char id[33], *json;
        if (!seal_blob(st, p, n, id, &json))
            break;
        CHECK(strstr(json, "\"alg\":\"AES256\"") != NULL);
        CHECK(strstr(json, "\"seg\":65536") != NULL);
        int rc = read_blob(st, id, json, n, 0, n, back);
        CHECK_EQ_INT(rc, 0);
        if (rc || memcmp(p, back, n) != 0) {
            fprintf(stderr, "  size %zu differs\n", n);
            unit_failures++;
        }
        /* The stored bytes are not the plaintext. */
        if (n >= 16) {
            int fd = store_blob_open(st, id);
            unsigned char head[16];
            CHECK_EQ_INT(pread(fd, head, 16, 0), 16);
            CHECK(memcmp(head, p, 16) != 0);
            close(fd);
        }
        free(json);
        free(p);
        free(back);
    }
    unit_store_close(dir, st);
}

TEST(sse_round_trip_inline)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    for (size_t k = 0; k < NSIZES; k++) {
        size_t n = sizes[k];
        unsigned char *p = pattern(n, (unsigned)k + 100), *back = malloc(n + 1), *c;
        size_t clen;
        char *json;
        CHECK_EQ_INT(store_sse_encrypt_inline(st, p, n, &c, &clen, &json), 0);
        CHECK_EQ_INT(clen, store_sse_stored_len(n, SEG));
        CHECK_EQ_INT(read_range(st, json, n, -1, c, clen, 0, n, back, 4096), 0);
        CHECK(memcmp(p, back, n) == 0);
        /* Every object gets its own key and salt: the same plaintext seals differently. */
        unsigned char *c2;
        size_t clen2;
        char *json2;
        CHECK_EQ_INT(store_sse_encrypt_inline(st, p, n, &c2, &clen2, &json2), 0);
        CHECK(strcmp(json, json2) != 0);
        CHECK(clen == clen2 && memcmp(c, c2, clen) != 0);
        free(c2);
        free(json2);
        free(c);
        free(json);
        free(p);
        free(back);
    }
    unit_store_close(dir, st);
}

static int out_buf(void *arg, const void *p, size_t n)
{
    unsigned char **w = arg;
    memcpy(*w, p, n);
    *w += n;
    return 0;
}

/* A body fed in odd pieces (as body intake sees it) seals to the same layout. */
TEST(sse_streamed_in_pieces)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    const size_t n = 5 * SEG + 12345;
    unsigned char *p = pattern(n, 7), *back = malloc(n);
    unsigned char *c = malloc(store_sse_stored_len(n, SEG)), *w = c;
    struct sse_enc *e;
    CHECK_EQ_INT(store_sse_enc_begin(st, out_buf, &w, &e), 0);
    static const size_t steps[] = {1, 7, 4096, SEG - 1, SEG, SEG + 1, 3 * SEG, 31};
    size_t off = 0;
    for (size_t i = 0; off < n; i++) {
        size_t k = steps[i % (sizeof steps / sizeof steps[0])];
        if (k > n - off)
            k = n - off;
        CHECK_EQ_INT(store_sse_enc_write(e, p + off, k), 0);
        off += k;
    }
    CHECK_EQ_INT(store_sse_enc_len(e), n);
    char *json;
    CHECK_EQ_INT(store_sse_enc_finish(e, &json), 0);
    CHECK_EQ_INT(store_sse_enc_write(e, p, 1), -EALREADY);
    store_sse_enc_free(e);
    CHECK_EQ_INT((size_t)(w - c), store_sse_stored_len(n, SEG));
    CHECK_EQ_INT(read_range(st, json, n, -1, c, (size_t)(w - c), 0, n, back, 65536), 0);
    CHECK(memcmp(p, back, n) == 0);
    free(json);
    free(c);
    free(p);
    free(back);
    unit_store_close(dir, st);
}

/* ---- ranges ------------------------------------------------------------------------------- */

TEST(sse_ranged_reads)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    const size_t n = 4 * SEG + 100;
    unsigned char *p = pattern(n, 3), *back = malloc(n);
    char id[33], *json;
    if (!seal_blob(st, p, n, id, &json))
        return;
    struct {
        uint64_t off, len;
    } ranges[] = {
        {0, 1},           {SEG - 1, 2},   {SEG, 1},          {SEG - 10, SEG + 20},
        {1, n - 1},       {n - 1, 1},     {4 * SEG, 100},    {2 * SEG + 5, 1},
        {3 * SEG - 1, 1}, {123, 3 * SEG}, {0, n},            {4 * SEG - 1, 101},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        memset(back, 0, n);
        CHECK_EQ_INT(read_blob(st, id, json, n, ranges[i].off, ranges[i].len, back), 0);
        if (memcmp(back, p + ranges[i].off, ranges[i].len) != 0) {
            fprintf(stderr, "  range %llu+%llu differs\n", (unsigned long long)ranges[i].off,
                    (unsigned long long)ranges[i].len);
            unit_failures++;
        }
    }
    /* Reads in small steps (as MHD's 64 KiB callback with an unaligned start does). */
    int fd = store_blob_open(st, id);
    CHECK_EQ_INT(read_range(st, json, n, fd, NULL, 0, 777, n - 777, back, 1000), 0);
    CHECK(memcmp(back, p + 777, n - 777) == 0);
    /* Past the end: nothing. */
    struct sse_dec *d;
    unsigned char b;
    CHECK_EQ_INT(store_sse_dec_open(st, json, n, fd, NULL, 0, &d), 0);
    CHECK_EQ_INT(store_sse_dec_read(d, n, &b, 1), 0);
    store_sse_dec_free(d);
    close(fd);

    /* Only the covering segments are read: with segment 0 destroyed, a range in segment 2
     * still decrypts, and one touching segment 0 fails. */
    flip(dir, id, 10);
    CHECK_EQ_INT(read_blob(st, id, json, n, 2 * SEG + 3, 1000, back), 0);
    CHECK(memcmp(back, p + 2 * SEG + 3, 1000) == 0);
    CHECK_EQ_INT(read_blob(st, id, json, n, SEG - 1, 2, back), -EBADMSG);
    free(json);
    free(p);
    free(back);
    unit_store_close(dir, st);
}

/* ---- tampering ---------------------------------------------------------------------------- */

#define STRIDE (SEG + SSE_TAG_LEN)

TEST(sse_tampering_fails)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    const size_t n = 3 * SEG + 500; /* segments 0..2 full, 3 holds 500 bytes */
    unsigned char *p = pattern(n, 4), *back = malloc(n);
    struct {
        const char *what;
        int kind;
        off_t at;
    } cases[] = {
        {"ciphertext byte, segment 0", 0, 0},
        {"ciphertext byte, middle segment", 0, STRIDE + 4000},
        {"ciphertext byte, last segment", 0, 3 * STRIDE + 499},
        {"tag byte, segment 1", 0, STRIDE + SEG + 3},
        {"tag byte, last segment", 0, 3 * STRIDE + 500 + 15},
        {"truncated by one byte", 1, 0},
        {"truncated to whole segments", 2, 0},
        {"a byte appended", 3, 0},
        {"segments 0 and 1 swapped", 4, 0},
        {"segment 1 replaced by segment 0", 5, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[33], *json;
        if (!seal_blob(st, p, n, id, &json))
            break;
        off_t stored = (off_t)store_sse_stored_len(n, SEG);
        unsigned char *seg0 = malloc(STRIDE), *seg1 = malloc(STRIDE);
        int fd = store_blob_open(st, id);
        CHECK_EQ_INT(pread(fd, seg0, STRIDE, 0), (long long)STRIDE);
        CHECK_EQ_INT(pread(fd, seg1, STRIDE, STRIDE), (long long)STRIDE);
        close(fd);
        uint64_t size = n;
        switch (cases[i].kind) {
        case 0:
            flip(dir, id, cases[i].at);
            break;
        case 1:
            truncate_blob(dir, id, stored - 1);
            break;
        case 2:
            /* Drop the last segment and claim the object ended there: the size and the stored
             * length agree, but segment 2 was sealed as not-last. */
            truncate_blob(dir, id, 3 * STRIDE);
            size = 3 * SEG;
            break;
        case 3: {
            char path[PATH_MAX];
            blob_path(dir, id, path, sizeof path);
            int afd = open(path, O_WRONLY | O_APPEND);
            CHECK_EQ_INT(write(afd, "x", 1), 1);
            close(afd);
            break;
        }
        case 4:
            poke(dir, id, 0, seg1, STRIDE);
            poke(dir, id, STRIDE, seg0, STRIDE);
            break;
        case 5:
            poke(dir, id, STRIDE, seg0, STRIDE);
            break;
        }
        int rc = read_blob(st, id, json, size, 0, size, back);
        if (rc != -EBADMSG) {
            fprintf(stderr, "  %s: %d, expected -EBADMSG\n", cases[i].what, rc);
            unit_failures++;
        }
        free(seg0);
        free(seg1);
        free(json);
    }
    free(p);
    free(back);
    unit_store_close(dir, st);
}

TEST(sse_tampered_inline_and_document)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    unsigned char *p = pattern(1000, 5), back[1000], *c;
    size_t clen;
    char *json;
    CHECK_EQ_INT(store_sse_encrypt_inline(st, p, 1000, &c, &clen, &json), 0);
    c[500] ^= 0x80;
    CHECK_EQ_INT(read_range(st, json, 1000, -1, c, clen, 0, 1000, back, 1000), -EBADMSG);
    c[500] ^= 0x80;
    CHECK_EQ_INT(read_range(st, json, 1000, -1, c, clen, 0, 1000, back, 1000), 0);
    /* A size that disagrees with the stored length. */
    CHECK_EQ_INT(read_range(st, json, 999, -1, c, clen, 0, 999, back, 1000), -EBADMSG);
    /* Documents this version does not understand. */
    static const char *const bad[] = {
        "", "[]", "{\"v\":2,\"alg\":\"AES256\",\"seg\":65536,\"salt\":\"AAAAAAAAAAA=\",\"wk\":\"\"}",
        "{\"v\":1,\"alg\":\"aws:kms\",\"seg\":65536,\"salt\":\"AAAAAAAAAAA=\",\"wk\":\"\"}",
        "{\"v\":1,\"alg\":\"AES256\",\"seg\":65536}",
    };
    struct sse_dec *d;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(store_sse_dec_open(st, bad[i], 1000, -1, c, clen, &d), -EINVAL);
    /* Another object's key and salt over this ciphertext. */
    unsigned char *c2;
    size_t clen2;
    char *json2;
    CHECK_EQ_INT(store_sse_encrypt_inline(st, p, 1000, &c2, &clen2, &json2), 0);
    CHECK_EQ_INT(read_range(st, json2, 1000, -1, c, clen, 0, 1000, back, 1000), -EBADMSG);
    free(c2);
    free(json2);
    free(c);
    free(json);
    free(p);
    unit_store_close(dir, st);
}

/* ---- metadata ----------------------------------------------------------------------------- */

struct put_arg {
    struct object_meta *m;
    struct bucket *b;
};

static int apply_setup(struct store_txn *t, void *arg)
{
    struct put_arg *a = arg;
    struct account acc = {.created_ms = 1};
    snprintf(acc.id, sizeof acc.id, "111111111111");
    snprintf(acc.canonical_id, sizeof acc.canonical_id, "canon");
    int rc = store_txn_account_create(t, &acc);
    return rc ? rc : store_txn_bucket_create(t, a->b);
}

static int apply_put(struct store_txn *t, void *arg)
{
    return store_txn_object_put(t, arg);
}

TEST(sse_metadata_round_trip)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    struct bucket b = {0};
    snprintf(b.name, sizeof b.name, "bkt");
    snprintf(b.owner_account, sizeof b.owner_account, "111111111111");
    snprintf(b.region, sizeof b.region, "us-east-1");
    struct put_arg a = {.b = &b};
    CHECK_EQ_INT(store_submit_wait(st, apply_setup, &a), 0);

    unsigned char *p = pattern(300, 6), *c;
    size_t clen;
    char *json;
    CHECK_EQ_INT(store_sse_encrypt_inline(st, p, 300, &c, &clen, &json), 0);
    struct object_meta m = {.bucket_id = b.id, .key = "k", .size = 300, .mtime_ms = 1,
                            .inline_data = c, .inline_len = clen, .sse = json};
    snprintf(m.etag, sizeof m.etag, "00000000000000000000000000000000");
    snprintf(m.owner_account, sizeof m.owner_account, "111111111111");
    CHECK_EQ_INT(store_submit_wait(st, apply_put, &m), 0);
    struct object_meta got;
    CHECK_EQ_INT(store_object_get(st, b.id, "k", &got), 0);
    CHECK_EQ_STR(got.sse, json);
    CHECK_EQ_INT(got.size, 300);
    CHECK_EQ_INT(got.inline_len, clen);
    unsigned char back[300];
    CHECK_EQ_INT(read_range(st, got.sse, got.size, -1, got.inline_data, got.inline_len, 0, 300,
                            back, 300),
                 0);
    CHECK(memcmp(back, p, 300) == 0);
    store_object_free(&got);

    /* A plaintext object reads back with sse NULL. */
    struct object_meta plain = {.bucket_id = b.id, .key = "plain", .size = 3, .mtime_ms = 1,
                                .inline_data = (unsigned char *)"abc", .inline_len = 3};
    snprintf(plain.etag, sizeof plain.etag, "00000000000000000000000000000000");
    snprintf(plain.owner_account, sizeof plain.owner_account, "111111111111");
    CHECK_EQ_INT(store_submit_wait(st, apply_put, &plain), 0);
    CHECK_EQ_INT(store_object_get(st, b.id, "plain", &got), 0);
    CHECK(got.sse == NULL);
    store_object_free(&got);

    /* Encrypted multipart objects are not a thing yet. */
    struct segment segs[2] = {{.size = 1}, {.size = 1}};
    memset(segs[0].blob_id, 'a', 32);
    memset(segs[1].blob_id, 'b', 32);
    struct object_meta mp = {.bucket_id = b.id, .key = "mp", .size = 2, .mtime_ms = 1,
                             .segs = segs, .nsegs = 2, .sse = json};
    CHECK_EQ_INT(store_submit_wait(st, apply_put, &mp), -EINVAL);
    free(c);
    free(json);
    free(p);
    unit_store_close(dir, st);
}

/* ---- throughput --------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* S3TRAIL_SSE_BENCH=<MiB> build/.../unit-tests sse_bench: encrypt (streamed as intake does, in
 * 16 KiB writes) and decrypt (sequential 64 KiB reads, as a GET) of an in-memory body, against
 * MD5 of the same bytes (what every PUT already computes). Best of three. */
TEST(sse_bench)
{
    const char *env = getenv("S3TRAIL_SSE_BENCH");
    if (!env)
        return;
    size_t n = (size_t)strtoul(env, NULL, 10) << 20;
    if (!n)
        n = 256u << 20;
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "sse", &st))
        return;
    unsigned char *p = pattern(n, 9);
    size_t stored = store_sse_stored_len(n, SEG);
    unsigned char *c = malloc(stored), *out = malloc(SEG);
    double enc = 1e9, dec = 1e9, md5 = 1e9;
    char *json = NULL;
    for (int rep = 0; rep < 3; rep++) {
        unsigned char *w = c;
        struct sse_enc *e;
        double t0 = now_s();
        CHECK_EQ_INT(store_sse_enc_begin(st, out_buf, &w, &e), 0);
        for (size_t off = 0; off < n; off += 16384)
            CHECK_EQ_INT(store_sse_enc_write(e, p + off, n - off < 16384 ? n - off : 16384), 0);
        free(json);
        CHECK_EQ_INT(store_sse_enc_finish(e, &json), 0);
        store_sse_enc_free(e);
        double t1 = now_s();
        struct sse_dec *d;
        CHECK_EQ_INT(store_sse_dec_open(st, json, n, -1, c, stored, &d), 0);
        for (uint64_t off = 0; off < n;) {
            ssize_t got = store_sse_dec_read(d, off, out, SEG);
            CHECK(got > 0);
            if (got <= 0)
                break;
            off += (uint64_t)got;
        }
        store_sse_dec_free(d);
        double t2 = now_s();
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        unsigned char dg[16];
        unsigned int dl;
        EVP_DigestInit_ex(m, EVP_md5(), NULL);
        for (size_t off = 0; off < n; off += 16384)
            EVP_DigestUpdate(m, p + off, n - off < 16384 ? n - off : 16384);
        EVP_DigestFinal_ex(m, dg, &dl);
        EVP_MD_CTX_free(m);
        double t3 = now_s();
        enc = t1 - t0 < enc ? t1 - t0 : enc;
        dec = t2 - t1 < dec ? t2 - t1 : dec;
        md5 = t3 - t2 < md5 ? t3 - t2 : md5;
    }
    printf("sse_bench: %zu MiB: encrypt %.0f MB/s, decrypt %.0f MB/s, md5 %.0f MB/s\n", n >> 20,
           (double)n / enc / 1e6, (double)n / dec / 1e6, (double)n / md5 / 1e6);
    free(json);
    free(c);
    free(out);
    free(p);
    unit_store_close(dir, st);
}
