#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include <zlib.h>

#include "util/checksum.h"

static const char *b64_of(enum cksum_algo a, const char *s, size_t n)
{
    static char out[CKSUM_B64_MAX];
    if (cksum_compute(a, s, n, NULL, out))
        return "(error)";
    return out;
}

/*
 * Known answers. The CRC check values are the catalogue's "123456789" entries (CRC32 0xCBF43926,
 * CRC32C 0xE3069283, CRC64NVME 0xAE8B14860A799888); the base64 forms are those values as
 * big-endian bytes, which is how S3 shows them (x-amz-checksum-crc32 of an empty body is
 * "AAAAAA=="). The 66560 'a' CRC32C is "sOO8/Q==", the trailer in AWS's
 * sigv4-streaming-trailers example.
 */
TEST(cksum_known_answers)
{
    CHECK_EQ_STR(b64_of(CK_CRC32, "", 0), "AAAAAA==");
    CHECK_EQ_STR(b64_of(CK_CRC32C, "", 0), "AAAAAA==");
    CHECK_EQ_STR(b64_of(CK_CRC64NVME, "", 0), "AAAAAAAAAAA=");
    CHECK_EQ_STR(b64_of(CK_SHA1, "", 0), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    CHECK_EQ_STR(b64_of(CK_SHA256, "", 0), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");

    CHECK_EQ_STR(b64_of(CK_CRC32, "123456789", 9), "y/Q5Jg==");
    CHECK_EQ_STR(b64_of(CK_CRC32C, "123456789", 9), "4waSgw==");
    CHECK_EQ_STR(b64_of(CK_CRC64NVME, "123456789", 9), "rosUhgp5mIg=");
    CHECK_EQ_STR(b64_of(CK_SHA1, "123456789", 9), "98O8HYCOBHMq32eZZczDTKeuNEE=");
    CHECK_EQ_STR(b64_of(CK_SHA256, "123456789", 9), "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=");

    CHECK_EQ_INT(cksum_crc_update(CK_CRC32, 0, "123456789", 9), 0xCBF43926u);
    CHECK_EQ_INT(cksum_crc_update(CK_CRC32C, 0, "123456789", 9), 0xE3069283u);
    CHECK(cksum_crc_update(CK_CRC64NVME, 0, "123456789", 9) == 0xAE8B14860A799888ull);

    char *a = malloc(66560);
    memset(a, 'a', 66560);
    CHECK_EQ_STR(b64_of(CK_CRC32C, a, 66560), "sOO8/Q==");
    CHECK_EQ_STR(b64_of(CK_CRC32, a, 66560), "sK4Y7A==");
    CHECK_EQ_STR(b64_of(CK_CRC64NVME, a, 66560), "pRf+emrnL+A=");
    free(a);

    unsigned char raw[CKSUM_MAX_LEN];
    CHECK_EQ_INT(cksum_compute(CK_CRC32, "123456789", 9, raw, NULL), 0);
    CHECK(raw[0] == 0xCB && raw[1] == 0xF4 && raw[2] == 0x39 && raw[3] == 0x26);
    CHECK_EQ_INT(cksum_compute(CK_NONE, "", 0, raw, NULL), -EINVAL);
}

/* Slicing paths (8 bytes at a time, then the tail) must agree with byte-at-a-time feeding for
 * every alignment and split. */
TEST(cksum_streaming_splits)
{
    static const enum cksum_algo algos[] = {CK_CRC32, CK_CRC32C, CK_CRC64NVME, CK_SHA1, CK_SHA256};
    unsigned char data[300];
    for (int i = 0; i < 300; i++)
        data[i] = (unsigned char)(i * 131 + 7);
    for (int a = 0; a < 5; a++) {
        char whole[CKSUM_B64_MAX];
        CHECK_EQ_INT(cksum_compute(algos[a], data, sizeof data, NULL, whole), 0);
        for (size_t split = 0; split <= sizeof data; split += 37) {
            struct cksum c;
            char got[CKSUM_B64_MAX];
            CHECK_EQ_INT(cksum_init(&c, algos[a]), 0);
            cksum_update(&c, data, split);
            for (size_t i = split; i < sizeof data; i++)
                cksum_update(&c, data + i, 1);
            CHECK_EQ_INT(cksum_final(&c, NULL, got), 0);
            CHECK_EQ_STR(got, whole);
            cksum_free(&c);
        }
    }
}

TEST(cksum_names)
{
    CHECK_EQ_INT(cksum_algo_from_name("CRC32"), CK_CRC32);
    CHECK_EQ_INT(cksum_algo_from_name("crc32"), CK_CRC32);
    CHECK_EQ_INT(cksum_algo_from_name("crc32c"), CK_CRC32C);
    CHECK_EQ_INT(cksum_algo_from_name("x-amz-checksum-crc32"), CK_CRC32);
    CHECK_EQ_INT(cksum_algo_from_name("X-Amz-Checksum-Crc64nvme"), CK_CRC64NVME);
    CHECK_EQ_INT(cksum_algo_from_name("x-amz-checksum-sha256"), CK_SHA256);
    CHECK_EQ_INT(cksum_algo_from_name("SHA1"), CK_SHA1);
    CHECK_EQ_INT(cksum_algo_from_name("md5"), CK_NONE);
    CHECK_EQ_INT(cksum_algo_from_name("x-amz-checksum-"), CK_NONE);
    CHECK_EQ_INT(cksum_algo_from_name(""), CK_NONE);
    CHECK_EQ_INT(cksum_algo_from_name(NULL), CK_NONE);
    CHECK_EQ_STR(cksum_name(CK_CRC64NVME), "CRC64NVME");
    CHECK_EQ_STR(cksum_header(CK_CRC32C), "x-amz-checksum-crc32c");
    CHECK(cksum_name(CK_NONE) == NULL);
    CHECK_EQ_INT(cksum_len(CK_CRC64NVME), 8);
    CHECK_EQ_INT(cksum_len(CK_SHA1), 20);
    CHECK(cksum_is_crc(CK_CRC32C));
    CHECK(!cksum_is_crc(CK_SHA256));
}

/* FULL_OBJECT: CRC(A||B) from CRC(A), CRC(B), |B|; checked against computing the whole and, for
 * CRC32, against zlib's own crc32_combine. */
TEST(cksum_combine)
{
    static const enum cksum_algo algos[] = {CK_CRC32, CK_CRC32C, CK_CRC64NVME};
    size_t n = 5000;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    for (int a = 0; a < 3; a++) {
        uint64_t whole = cksum_crc_update(algos[a], 0, data, n);
        for (size_t split = 0; split <= n; split += 613) {
            uint64_t ca = cksum_crc_update(algos[a], 0, data, split);
            uint64_t cb = cksum_crc_update(algos[a], 0, data + split, n - split);
            CHECK(cksum_crc_combine(algos[a], ca, cb, n - split) == whole);
            if (algos[a] == CK_CRC32)
                CHECK(cksum_crc_combine(algos[a], ca, cb, n - split) ==
                      (uint64_t)crc32_combine((uLong)ca, (uLong)cb, (z_off_t)(n - split)));
        }
        /* three parts folded from 0, as CompleteMultipartUpload does */
        uint64_t acc = 0;
        size_t cuts[] = {0, 1234, 1235, n};
        for (int p = 0; p < 3; p++) {
            size_t len = cuts[p + 1] - cuts[p];
            acc = cksum_crc_combine(algos[a], acc,
                                    cksum_crc_update(algos[a], 0, data + cuts[p], len), len);
        }
        CHECK(acc == whole);

        /* raw-byte form and base64 parsing */
        unsigned char ra[8], rb[8], ro[8], rw[8];
        uint64_t ca = cksum_crc_update(algos[a], 0, data, 100);
        uint64_t cb = cksum_crc_update(algos[a], 0, data + 100, n - 100);
        cksum_crc_to_raw(algos[a], ca, ra);
        cksum_crc_to_raw(algos[a], cb, rb);
        cksum_crc_to_raw(algos[a], whole, rw);
        CHECK_EQ_INT(cksum_combine(algos[a], ra, rb, n - 100, ro), 0);
        CHECK(memcmp(ro, rw, cksum_len(algos[a])) == 0);
        char b64[CKSUM_B64_MAX];
        uint64_t back;
        hash_base64_encode(rw, cksum_len(algos[a]), b64);
        CHECK_EQ_INT(cksum_crc_from_b64(algos[a], b64, &back), 0);
        CHECK(back == whole);
    }
    /* large lengths (a 5 TiB object) take the square-and-multiply path without trouble */
    uint64_t big = 5ull << 40;
    CHECK(cksum_crc_combine(CK_CRC32, 0, 0x12345678, big) == 0x12345678);
    CHECK(cksum_crc_combine(CK_CRC32, 0xCBF43926u, 0, 0) == 0xCBF43926u);
    CHECK(cksum_crc_combine(CK_CRC32, 1, 0, big) ==
          (uint64_t)crc32_combine64(1, 0, (z_off64_t)big));

    uint64_t v;
    CHECK_EQ_INT(cksum_crc_from_b64(CK_CRC32, "AAAAAAAAAAA=", &v), -EINVAL); /* 8 bytes */
    CHECK_EQ_INT(cksum_crc_from_b64(CK_SHA1, "AAAAAA==", &v), -EINVAL);
    CHECK_EQ_INT(cksum_crc_from_b64(CK_CRC32, "AAAA*A==", &v), -EINVAL);
    unsigned char o[8];
    CHECK_EQ_INT(cksum_combine(CK_SHA256, o, o, 1, o), -EINVAL);
    free(data);
}

/* COMPOSITE: checksum of the concatenated raw part checksums, "-N" appended. */
TEST(cksum_composite)
{
    static const enum cksum_algo algos[] = {CK_CRC32, CK_CRC32C, CK_CRC64NVME, CK_SHA1, CK_SHA256};
    static const char *parts[] = {"part one", "part two!", "3"};
    for (int a = 0; a < 5; a++) {
        struct cksum_composite cc;
        struct cksum ref;
        CHECK_EQ_INT(cksum_composite_init(&cc, algos[a]), 0);
        CHECK_EQ_INT(cksum_init(&ref, algos[a]), 0);
        for (int p = 0; p < 3; p++) {
            unsigned char raw[CKSUM_MAX_LEN];
            char b64[CKSUM_B64_MAX];
            CHECK_EQ_INT(cksum_compute(algos[a], parts[p], strlen(parts[p]), raw, b64), 0);
            CHECK_EQ_INT(cksum_composite_add(&cc, b64), 0);
            cksum_update(&ref, raw, cksum_len(algos[a]));
        }
        char want[CKSUM_COMPOSITE_MAX], got[CKSUM_COMPOSITE_MAX], refb64[CKSUM_B64_MAX];
        CHECK_EQ_INT(cksum_final(&ref, NULL, refb64), 0);
        snprintf(want, sizeof want, "%s-3", refb64);
        CHECK_EQ_INT(cksum_composite_add(&cc, "not base64"), -EINVAL);
        CHECK_EQ_INT(cksum_composite_add(&cc, algos[a] == CK_SHA256
                                                  ? "AAAAAA=="
                                                  : "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
                     -EINVAL);
        CHECK_EQ_INT(cksum_composite_final(&cc, got, sizeof got), 0);
        CHECK_EQ_STR(got, want);
        char small[4];
        cksum_composite_free(&cc);
        cksum_free(&ref);
        /* a too-small output buffer is reported */
        CHECK_EQ_INT(cksum_composite_init(&cc, CK_CRC32), 0);
        CHECK_EQ_INT(cksum_composite_final(&cc, small, sizeof small), -E2BIG);
        cksum_composite_free(&cc);
    }
    /* a known composite: CRC32 over the CRC32s of "a" and "b" */
    struct cksum_composite cc;
    CHECK_EQ_INT(cksum_composite_init(&cc, CK_CRC32), 0);
    char b64[CKSUM_B64_MAX], out[CKSUM_COMPOSITE_MAX];
    unsigned char both[8];
    CHECK_EQ_INT(cksum_compute(CK_CRC32, "a", 1, both, b64), 0);
    CHECK_EQ_INT(cksum_composite_add(&cc, b64), 0);
    CHECK_EQ_INT(cksum_compute(CK_CRC32, "b", 1, both + 4, b64), 0);
    CHECK_EQ_INT(cksum_composite_add(&cc, b64), 0);
    CHECK_EQ_INT(cksum_composite_final(&cc, out, sizeof out), 0);
    uint32_t v = (uint32_t)crc32(0, both, 8);
    unsigned char vr[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 8), (unsigned char)v};
    char want[CKSUM_COMPOSITE_MAX];
    hash_base64_encode(vr, 4, b64);
    snprintf(want, sizeof want, "%s-2", b64);
    CHECK_EQ_STR(out, want);
    cksum_composite_free(&cc);
}
