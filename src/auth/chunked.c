#include "auth/chunked.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "s3/errors.h"

enum {
    ST_SIZE,    /* collecting a chunk header line */
    ST_DATA,    /* passing chunk data through */
    ST_DATA_CR, /* the CR after chunk data */
    ST_DATA_LF, /* the LF after chunk data */
    ST_TRAILER, /* collecting trailer lines after the final chunk */
    ST_DONE,
};

static bool signed_mode(enum chunked_mode m)
{
    return m == CHUNKED_SIGNED || m == CHUNKED_SIGNED_TRAILER;
}

static bool trailer_mode(enum chunked_mode m)
{
    return m == CHUNKED_UNSIGNED_TRAILER || m == CHUNKED_SIGNED_TRAILER;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_lower_hex64(const char *s, size_t n)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int chunked_mode_from_header(const char *v, enum chunked_mode *mode)
{
    if (!v)
        return -1;
    if (strcmp(v, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == 0)
        *mode = CHUNKED_SIGNED;
    else if (strcmp(v, "STREAMING-UNSIGNED-PAYLOAD-TRAILER") == 0)
        *mode = CHUNKED_UNSIGNED_TRAILER;
    else if (strcmp(v, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") == 0)
        *mode = CHUNKED_SIGNED_TRAILER;
    else
        return -1;
    return 0;
}

/* "x-amz-checksum-crc32, x-amz-checksum-sha256" → lower-cased names in c->trailers. */
static int parse_trailer_names(struct chunked *c, const char *v)
{
    if (!v)
        return 0;
    const char *p = v;
    while (*p) {
        while (is_ws(*p))
            p++;
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        const char *end = e;
        while (end > p && is_ws(end[-1]))
            end--;
        size_t len = (size_t)(end - p);
        if (len == 0 && !*e && c->ntrailers > 0)
            break; /* a trailing comma */
        if (len == 0 || len >= CHUNKED_TRAILER_NAME_MAX || c->ntrailers == CHUNKED_MAX_TRAILERS)
            return -S3E_InvalidRequest;
        struct chunked_trailer *t = &c->trailers[c->ntrailers++];
        for (size_t i = 0; i < len; i++) {
            char ch = p[i];
            if (ch <= ' ' || ch == ':' || (unsigned char)ch >= 0x7f)
                return -S3E_InvalidRequest;
            t->name[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
        }
        t->name[len] = '\0';
        for (size_t i = 0; i + 1 < c->ntrailers; i++)
            if (strcmp(c->trailers[i].name, t->name) == 0)
                return -S3E_InvalidRequest;
        p = *e ? e + 1 : e;
    }
    return 0;
}

int chunked_init(struct chunked *c, const struct chunked_cfg *cfg)
{
    memset(c, 0, sizeof *c);
    c->sha = (struct hash_stream)HASH_STREAM_INIT;
    c->mode = cfg->mode;
    c->state = ST_SIZE;
    c->out = cfg->out;
    c->arg = cfg->arg;
    c->min_chunk = cfg->min_chunk_size;
    if (cfg->mode != CHUNKED_SIGNED && cfg->mode != CHUNKED_UNSIGNED_TRAILER &&
        cfg->mode != CHUNKED_SIGNED_TRAILER)
        return c->err = -S3E_InternalError;
    if (signed_mode(cfg->mode)) {
        /* These come from our own SigV4 verification, not from the body: a bad value is a bug
         * in the caller. */
        if (!cfg->amz_date || strlen(cfg->amz_date) != 16 || !cfg->scope ||
            strlen(cfg->scope) >= sizeof c->scope || !cfg->seed_signature ||
            !is_lower_hex64(cfg->seed_signature, strlen(cfg->seed_signature)))
            return c->err = -S3E_InternalError;
        memcpy(c->key, cfg->key, 32);
        memcpy(c->amz_date, cfg->amz_date, 17);
        memcpy(c->scope, cfg->scope, strlen(cfg->scope) + 1);
        memcpy(c->prev_sig, cfg->seed_signature, 65);
        if (hash_stream_init(&c->sha, HASH_SHA256) != 0)
            return c->err = s3err_from_errno(-ENOMEM);
    }
    int rc = parse_trailer_names(c, trailer_mode(cfg->mode) ? cfg->trailer_names : NULL);
    if (rc)
        return c->err = rc;
    return 0;
}

void chunked_close(struct chunked *c)
{
    hash_stream_free(&c->sha);
    OPENSSL_cleanse(c->key, sizeof c->key);
}

bool chunked_done(const struct chunked *c)
{
    return c->state == ST_DONE && !c->err;
}

uint64_t chunked_decoded_len(const struct chunked *c)
{
    return c->decoded;
}

const char *chunked_trailer(const struct chunked *c, const char *name)
{
    for (size_t i = 0; i < c->ntrailers; i++)
        if (c->trailers[i].seen && strcasecmp(c->trailers[i].name, name) == 0)
            return c->trailers[i].value;
    return NULL;
}

static int fail(struct chunked *c, int err)
{
    c->err = err;
    return err;
}

/* SHA-256 of the chunk data just received, signed and chained. */
static int check_chunk_signature(struct chunked *c)
{
    unsigned char h[32];
    char sig[65];
    if (hash_stream_final(&c->sha, h) != 0 || hash_stream_init(&c->sha, HASH_SHA256) != 0)
        return fail(c, s3err_from_errno(-ENOMEM));
    sigv4_chunk_signature(c->key, c->amz_date, c->scope, c->prev_sig, h, sig);
    if (!hash_equal_ct(sig, c->chunk_sig))
        return fail(c, -S3E_SignatureDoesNotMatch);
    memcpy(c->prev_sig, c->chunk_sig, 65);
    return 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* "<hex>[;name=value]*" */
static int chunk_header(struct chunked *c, const char *l, size_t n)
{
    size_t i = 0, sig_digits = 0;
    uint64_t size = 0;
    for (; i < n && hexval(l[i]) >= 0; i++) {
        if (size == 0 && l[i] == '0')
            continue; /* leading zeros do not count against the 16 digits */
        if (++sig_digits > 16)
            return fail(c, -S3E_InvalidRequest);
        size = size << 4 | (uint64_t)hexval(l[i]);
    }
    if (i == 0)
        return fail(c, -S3E_InvalidRequest);
    bool have_sig = false;
    while (i < n) {
        if (l[i] != ';')
            return fail(c, -S3E_InvalidRequest);
        size_t s = ++i;
        while (i < n && l[i] != ';')
            i++;
        const char *ext = l + s;
        size_t el = i - s;
        static const char key[] = "chunk-signature=";
        if (el >= sizeof key - 1 && memcmp(ext, key, sizeof key - 1) == 0) {
            const char *v = ext + sizeof key - 1;
            size_t vl = el - (sizeof key - 1);
            if (have_sig || !is_lower_hex64(v, vl))
                return fail(c, signed_mode(c->mode) ? -S3E_SignatureDoesNotMatch
                                                    : -S3E_InvalidRequest);
            memcpy(c->chunk_sig, v, 64);
            c->chunk_sig[64] = '\0';
            have_sig = true;
        }
        /* other chunk extensions carry nothing S3 defines; they are skipped */
    }
    if (signed_mode(c->mode) && !have_sig)
        return fail(c, -S3E_SignatureDoesNotMatch);
    if (size > UINT64_MAX - c->decoded)
        return fail(c, -S3E_InvalidRequest);
    if (size > 0 && c->small_seen)
        return fail(c, -S3E_InvalidChunkSizeError);
    if (size > 0 && size < c->min_chunk)
        c->small_seen = true;

    if (size == 0) {
        /* The final chunk: its (empty) data is signed like any other, and that signature is
         * what authenticates the end of the payload. */
        if (signed_mode(c->mode)) {
            int rc = check_chunk_signature(c);
            if (rc)
                return rc;
        }
        c->state = ST_TRAILER;
        return 0;
    }
    c->remaining = size;
    c->state = ST_DATA;
    return 0;
}

/* Everything after the final chunk is complete: signatures and declared trailers check out. */
static int finish_trailers(struct chunked *c)
{
    if (c->mode == CHUNKED_SIGNED_TRAILER) {
        unsigned char h[32];
        char sig[65];
        if (!c->trailer_sig_seen)
            return fail(c, -S3E_SignatureDoesNotMatch);
        if (hash_stream_final(&c->sha, h) != 0)
            return fail(c, s3err_from_errno(-ENOMEM));
        sigv4_trailer_signature(c->key, c->amz_date, c->scope, c->prev_sig, h, sig);
        if (!hash_equal_ct(sig, c->trailer_sig))
            return fail(c, -S3E_SignatureDoesNotMatch);
    }
    for (size_t i = 0; i < c->ntrailers; i++)
        if (!c->trailers[i].seen)
            return fail(c, -S3E_InvalidRequest);
    c->state = ST_DONE;
    return 0;
}

/* "name:value"; the empty line ends the trailers. */
static int trailer_line(struct chunked *c, const char *l, size_t n)
{
    if (n == 0)
        return finish_trailers(c);
    if (!trailer_mode(c->mode))
        return fail(c, -S3E_InvalidRequest);
    const char *colon = memchr(l, ':', n);
    if (!colon)
        return fail(c, -S3E_InvalidRequest);
    const char *ne = colon;
    while (ne > l && is_ws(ne[-1]))
        ne--;
    size_t nl = (size_t)(ne - l);
    const char *v = colon + 1, *ve = l + n;
    while (v < ve && is_ws(*v))
        v++;
    while (ve > v && is_ws(ve[-1]))
        ve--;
    size_t vl = (size_t)(ve - v);
    if (nl == 0 || nl >= CHUNKED_TRAILER_NAME_MAX)
        return fail(c, -S3E_InvalidRequest);
    char name[CHUNKED_TRAILER_NAME_MAX];
    for (size_t i = 0; i < nl; i++)
        name[i] = (l[i] >= 'A' && l[i] <= 'Z') ? (char)(l[i] - 'A' + 'a') : l[i];
    name[nl] = '\0';

    if (strcmp(name, "x-amz-trailer-signature") == 0) {
        if (c->mode != CHUNKED_SIGNED_TRAILER)
            return 0; /* nothing to check it against in unsigned mode */
        if (c->trailer_sig_seen || !is_lower_hex64(v, vl))
            return fail(c, -S3E_SignatureDoesNotMatch);
        memcpy(c->trailer_sig, v, 64);
        c->trailer_sig[64] = '\0';
        c->trailer_sig_seen = true;
        return 0;
    }
    struct chunked_trailer *t = NULL;
    for (size_t i = 0; i < c->ntrailers; i++)
        if (strcmp(c->trailers[i].name, name) == 0)
            t = &c->trailers[i];
    /* Only what x-amz-trailer announced (and the signature covers, in signed mode) may arrive,
     * once; anything else would let a client slip in a second, unannounced checksum. */
    if (!t || t->seen || vl >= CHUNKED_TRAILER_VALUE_MAX)
        return fail(c, -S3E_InvalidRequest);
    memcpy(t->value, v, vl);
    t->value[vl] = '\0';
    t->seen = true;
    if (c->mode == CHUNKED_SIGNED_TRAILER) {
        hash_stream_update(&c->sha, name, nl);
        hash_stream_update(&c->sha, ":", 1);
        hash_stream_update(&c->sha, v, vl);
        hash_stream_update(&c->sha, "\n", 1);
    }
    return 0;
}

/* Collects bytes of a CRLF-terminated line; returns the bytes consumed, and sets *complete when
 * the line (without CRLF) is in c->line[0..c->line_len). */
static size_t take_line(struct chunked *c, const char *p, size_t n, bool *complete, int *err)
{
    *complete = false;
    *err = 0;
    const char *lf = memchr(p, '\n', n);
    size_t k = lf ? (size_t)(lf - p) + 1 : n;
    if (c->line_len + k > sizeof c->line) {
        *err = fail(c, -S3E_InvalidRequest);
        return 0;
    }
    memcpy(c->line + c->line_len, p, k);
    c->line_len += k;
    /* Without its LF yet, the line may still end in the CR of its CRLF; more than that is
     * already too long, and is refused now rather than after more input. */
    if (!lf && c->line_len > CHUNKED_LINE_MAX + 1) {
        *err = fail(c, -S3E_InvalidRequest);
        return 0;
    }
    if (lf) {
        /* A bare LF is not a line end in this format: every line ends in CRLF. */
        if (c->line_len < 2 || c->line[c->line_len - 2] != '\r') {
            *err = fail(c, -S3E_InvalidRequest);
            return 0;
        }
        c->line_len -= 2;
        if (memchr(c->line, '\r', c->line_len)) {
            *err = fail(c, -S3E_InvalidRequest);
            return 0;
        }
        *complete = true;
    }
    return k;
}

int chunked_feed(struct chunked *c, const char *p, size_t n)
{
    if (c->err)
        return c->err;
    while (n) {
        switch (c->state) {
        case ST_SIZE:
        case ST_TRAILER: {
            bool complete;
            int err;
            size_t k = take_line(c, p, n, &complete, &err);
            if (err)
                return err;
            p += k;
            n -= k;
            if (complete) {
                size_t len = c->line_len;
                c->line_len = 0;
                int rc = c->state == ST_SIZE ? chunk_header(c, c->line, len)
                                             : trailer_line(c, c->line, len);
                if (rc)
                    return rc;
            }
            break;
        }
        case ST_DATA: {
            size_t k = n < c->remaining ? n : (size_t)c->remaining;
            if (signed_mode(c->mode))
                hash_stream_update(&c->sha, p, k);
            if (c->out) {
                int rc = c->out(c->arg, p, k);
                if (rc)
                    return fail(c, rc);
            }
            c->decoded += k;
            c->remaining -= k;
            p += k;
            n -= k;
            if (c->remaining == 0) {
                if (signed_mode(c->mode)) {
                    int rc = check_chunk_signature(c);
                    if (rc)
                        return rc;
                }
                c->state = ST_DATA_CR;
            }
            break;
        }
        case ST_DATA_CR:
        case ST_DATA_LF:
            if (*p != (c->state == ST_DATA_CR ? '\r' : '\n'))
                return fail(c, -S3E_InvalidRequest);
            c->state = c->state == ST_DATA_CR ? ST_DATA_LF : ST_SIZE;
            p++;
            n--;
            break;
        case ST_DONE:
            return fail(c, -S3E_InvalidRequest);
        }
    }
    return 0;
}

int chunked_finish(struct chunked *c)
{
    if (c->err)
        return c->err;
    if (c->state == ST_DONE)
        return 0;
    /* The last empty line is optional: at a line boundary after the final chunk the stream is
     * complete if the trailers are. */
    if (c->state == ST_TRAILER && c->line_len == 0)
        return finish_trailers(c);
    return fail(c, -S3E_IncompleteBody);
}
