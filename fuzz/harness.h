/*
 * harness — what the libFuzzer targets in fuzz/ share: turning fuzz input into the shapes the
 * parsers receive from the HTTP layer (a request head, a struct req with a buffered body), a
 * cheap deterministic byte source for the choices a target makes (piece sizes, selectors), and
 * the invariant check that turns a wrong answer into a crash libFuzzer reports.
 *
 * Every target is one fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput; fuzz/fuzz.mk links it
 * with harness.c and the library objects (src/ without main.c) built by clang with
 * -fsanitize=fuzzer-no-link,address,undefined. Inputs must be handled without leaking: libFuzzer
 * runs with LeakSanitizer, and a leak per input is reported as a crash.
 *
 * Nothing here is used by the server; a target never writes outside build/ and its temp dirs.
 */
#ifndef S3TRAIL_FUZZ_HARNESS_H
#define S3TRAIL_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/uri.h"

struct req;

/* An invariant of the code under test: a violation aborts, which libFuzzer reports as a crash
 * with the input that caused it. Not assert(): it must hold in every build. */
#define FUZZ_CHECK(cond)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "fuzz: %s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

/* ---- a request head ------------------------------------------------------------------------ */

#define FUZZ_MAX_HEADERS 64

/*
 * A request head as text, the form the seed corpora are written in:
 *   METHOD SP target [SP HTTP/1.1] LF
 *   name ":" value LF            (any number; CR before LF is dropped)
 *   LF                           (optional: the head ends at an empty line or the input's end)
 * target is split at the first '?' into path and query (NULL without '?'). Names and values are
 * kept byte for byte (values with their leading spaces: the parsers trim). Bytes after the head
 * are the body. NUL bytes end a field early, as they would in MHD's strings.
 */
struct fuzz_http {
    char *text; /* owned copy of the input the pointers below point into */
    const char *method;
    const char *path;
    const char *query; /* NULL when the target has no '?' */
    struct kv h[FUZZ_MAX_HEADERS];
    size_t nh;
    const char *body; /* into text; NUL-terminated */
    size_t body_len;
};

/* 0, or -1 when the input is not a head at all (no request line) or memory ran out. h is to be
 * released with fuzz_http_free() either way. */
int fuzz_http_parse(struct fuzz_http *h, const uint8_t *data, size_t size);
void fuzz_http_free(struct fuzz_http *h);
/* First header named `name` (case-insensitive), or NULL. */
const char *fuzz_http_header(const struct fuzz_http *h, const char *name);

/* ---- a request as handlers see it ---------------------------------------------------------- */

/*
 * A calloc'ed struct req with no server, connection or store: account 111122223333 (root,
 * SigV4 header auth), region us-east-1, protocol S3, and `body` copied into r->body.mem (the
 * buffered body of a BODY_XML operation). Handlers and parsers that only read the request and
 * answer through req_error() / req_api_error() / req_add_header() / ct_reply() work on it;
 * anything that needs r->srv (req_commit, req_default_region) must be redirected by the target.
 * NULL when out of memory.
 */
struct req *fuzz_req_new(const uint8_t *body, size_t n);
/* Releases what fuzz_req_new allocated and whatever the handler left in r (response headers and
 * body, error message and extras, handler state, the audit record). NULL is fine. */
void fuzz_req_free(struct req *r);

/* ---- choices from the input ---------------------------------------------------------------- */

/* A byte source over a prefix of the input: targets take their selectors and split sizes from
 * it, so every choice is reproducible from the crashing input alone. Past the end it yields 0. */
struct fuzz_bytes {
    const uint8_t *p;
    size_t n;
};
uint8_t fuzz_byte(struct fuzz_bytes *b);

/* A xorshift generator seeded from input bytes, for long streams of choices (piece sizes). */
uint32_t fuzz_rand(uint32_t *state);

/* ---- a temporary store --------------------------------------------------------------------- */

/* Opens a store in a new directory under $TMPDIR (default /tmp) named s3trail-fuzz-<tag>-XXXXXX
 * and registers its removal at exit. NULL on failure (the target then aborts: it cannot run). */
struct store *fuzz_store_open(const char *tag);

#endif
