/*
 * fuzz_chunked — the aws-chunked body decoder (auth/chunked.h) in all three modes.
 *
 * Input:
 *   byte 0   bits 0-1 the mode (0 and 3 SIGNED, 1 UNSIGNED_TRAILER, 2 SIGNED_TRAILER); bits 2-3
 *            the minimum chunk size (0, 1, 16, 8192); bit 4: an x-amz-trailer value follows;
 *            bit 5: the output callback refuses once `byte 1` bytes arrived (the body writer
 *            failing mid-stream)
 *   byte 1   that limit
 *   byte 2-3 seed of the piece sizes
 *   [x-amz-trailer value up to LF]   when bit 4 is set
 *   the body
 * The signed modes use the S3 documentation's key, date, scope and seed signature (as
 * tests/unit/test_chunked.c does), so the committed seeds carry valid chunk signatures and
 * mutations reach past the first chunk.
 *
 * Each body is decoded twice: in one piece, and in pieces of random sizes (1 byte to 4 KiB) as
 * the server receives it. Invariants: both give the same result, the same payload and the same
 * trailers; the payload is never longer than the body; what out() received is what
 * chunked_decoded_len() says; errors are sticky; a finished stream is done and has every
 * declared trailer.
 */
#include <string.h>

#include "auth/chunked.h"
#include "harness.h"
#include "s3/errors.h"
#include "util/hash.h"

#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define TSEED "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
#define OUT_REFUSED 12345

struct sink {
    struct hash_stream sha; /* of everything accepted */
    uint64_t n;
    bool limited;
    uint64_t limit;
};

static int sink_out(void *arg, const char *p, size_t n)
{
    struct sink *s = arg;
    if (s->limited && s->n + n > s->limit)
        return OUT_REFUSED;
    FUZZ_CHECK(n > 0);
    hash_stream_update(&s->sha, p, n);
    s->n += n;
    return 0;
}

struct result {
    int rc;
    uint64_t decoded;
    unsigned char sha[32];
    struct chunked_trailer trailers[CHUNKED_MAX_TRAILERS];
    size_t ntrailers;
};

/* Decodes body[0..n) in pieces (step_seed 0: one piece). */
static void decode(const struct chunked_cfg *base, struct sink *s, const char *body, size_t n,
                   uint32_t step_seed, struct result *res)
{
    struct chunked_cfg cfg = *base;
    cfg.arg = s;
    s->sha = (struct hash_stream)HASH_STREAM_INIT;
    FUZZ_CHECK(hash_stream_init(&s->sha, HASH_SHA256) == 0);
    struct chunked c;
    int rc = chunked_init(&c, &cfg);
    size_t off = 0;
    while (!rc && off < n) {
        size_t k = n - off;
        if (step_seed) {
            uint32_t r = fuzz_rand(&step_seed);
            size_t want = 1 + (r >> 4) % ((size_t)1 << (r & 15) % 13);
            k = want < k ? want : k;
        }
        rc = chunked_feed(&c, body + off, k);
        off += k;
        FUZZ_CHECK(chunked_decoded_len(&c) <= off);
        FUZZ_CHECK(chunked_decoded_len(&c) == s->n);
    }
    if (!rc) {
        rc = chunked_finish(&c);
        if (!rc) {
            FUZZ_CHECK(chunked_done(&c));
            for (size_t i = 0; i < c.ntrailers; i++)
                FUZZ_CHECK(chunked_trailer(&c, c.trailers[i].name) != NULL);
        }
    } else {
        /* Sticky: nothing more is accepted, and finishing reports the same error. */
        FUZZ_CHECK(chunked_feed(&c, "0\r\n\r\n", 5) == rc);
        FUZZ_CHECK(chunked_finish(&c) == rc);
        FUZZ_CHECK(!chunked_done(&c));
    }
    res->rc = rc;
    res->decoded = chunked_decoded_len(&c);
    res->ntrailers = c.ntrailers;
    memcpy(res->trailers, c.trailers, sizeof c.trailers);
    FUZZ_CHECK(hash_stream_final(&s->sha, res->sha) == 0);
    hash_stream_free(&s->sha);
    chunked_close(&c);
    chunked_close(&c); /* documented as safe */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_bytes in = {data, size};
    uint8_t flags = fuzz_byte(&in);
    uint8_t limit = fuzz_byte(&in);
    uint32_t seed = (uint32_t)fuzz_byte(&in) << 8 | fuzz_byte(&in);
    static const uint32_t min_sizes[] = {0, 1, 16, 8192};

    struct chunked_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mode = (enum chunked_mode)((flags & 3) % 3);
    cfg.min_chunk_size = min_sizes[flags >> 2 & 3];
    sigv4_signing_key(DOC_SECRET, "20130524", "us-east-1", "s3", cfg.key);
    cfg.amz_date = "20130524T000000Z";
    cfg.scope = "20130524/us-east-1/s3/aws4_request";
    cfg.seed_signature = cfg.mode == CHUNKED_SIGNED ? SEED : TSEED;
    cfg.out = sink_out;

    char names[256] = "";
    if (flags & 16) {
        const uint8_t *lf = memchr(in.p, '\n', in.n);
        size_t len = lf ? (size_t)(lf - in.p) : in.n;
        size_t keep = len < sizeof names - 1 ? len : sizeof names - 1;
        memcpy(names, in.p, keep);
        names[keep] = '\0';
        size_t skip = lf ? len + 1 : len;
        in.p += skip;
        in.n -= skip;
        cfg.trailer_names = names;
    }

    struct sink s1 = {.limited = flags & 32, .limit = limit};
    struct sink s2 = s1;
    struct result whole, pieces;
    decode(&cfg, &s1, (const char *)in.p, in.n, 0, &whole);
    decode(&cfg, &s2, (const char *)in.p, in.n, seed | 1, &pieces);

    FUZZ_CHECK(whole.rc == pieces.rc);
    FUZZ_CHECK(whole.decoded <= in.n);
    if (whole.rc == 0) {
        FUZZ_CHECK(whole.decoded == pieces.decoded);
        FUZZ_CHECK(memcmp(whole.sha, pieces.sha, sizeof whole.sha) == 0);
        FUZZ_CHECK(whole.ntrailers == pieces.ntrailers);
        for (size_t i = 0; i < whole.ntrailers; i++) {
            FUZZ_CHECK(strcmp(whole.trailers[i].name, pieces.trailers[i].name) == 0);
            FUZZ_CHECK(strcmp(whole.trailers[i].value, pieces.trailers[i].value) == 0);
        }
    }
    return 0;
}
