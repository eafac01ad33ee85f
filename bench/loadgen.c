/*
 * loadgen — the S3 load generator of `make bench`.
 *
 * N threads, each owning one keep-alive HTTP/1.1 connection, issue requests back to back until
 * a duration has passed or a shared operation count is used up; every request's latency is kept
 * and one JSON object describing the run goes to stdout. Requests are signed with AWS SigV4
 * (header form, x-amz-content-sha256: UNSIGNED-PAYLOAD, path-style URLs), so the same binary
 * drives s3trail and its peers with identical settings.
 *
 * Workloads (--workload):
 *   put      PUT <prefix>/<index> with a --size body; indexes 0, 1, 2... are handed out in order,
 *            so a later get or delete run can name exactly the keys this run attempted
 *            ("issued" in the output).
 *   get      GET <prefix>/<index % --keys>; the body is read and discarded.
 *   delete   DELETE <prefix>/<index> for index < --keys, each key once.
 *   list-v2  ListObjectsV2 over <prefix>/, max-keys 1000; every connection walks the listing by
 *            continuation token, page after page, starting over at the end. One page = one op.
 *
 * Bodies of any size are streamed from a 1 MiB pattern and responses are read through a fixed
 * buffer, so a 1 GiB PUT or GET never holds more than that in memory. Responses may be framed by
 * Content-Length, chunked or connection close. A request on a reused connection that the server
 * closed while it was idle is retried once on a fresh connection.
 *
 * Non-2xx answers and transport failures count as errors; the first of each kind is described on
 * stderr. mb_per_s is object payload in MiB (2^20 bytes) per second (for list-v2: response bytes).
 *
 * Exit status: 0 when the run completed (errors included; they are in the JSON), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MUST_USE __attribute__((warn_unused_result))

enum {
    PATTERN_LEN = 1 << 20,       /* body bytes are drawn from this pattern, cyclically */
    RBUF_LEN = 256 * 1024,       /* per-connection receive buffer */
    HDR_CAP = 8192,              /* request line and headers */
    KEEP_CAP = 16 * 1024 * 1024, /* largest response body kept (listings, error bodies) */
    MAX_CONNS = 1024,
};

enum workload { WL_PUT, WL_GET, WL_DELETE, WL_LIST };
static const char *const workload_names[] = {"put", "get", "delete", "list-v2"};

struct opts {
    char host[256];
    char port[16];
    const char *access_key;
    const char *secret_key;
    const char *region;
    const char *bucket;
    const char *prefix;
    const char *name;
    const char *server;
    enum workload wl;
    unsigned conns;
    double duration; /* seconds; 0 = bounded by count only */
    uint64_t count;  /* total operations; 0 = bounded by duration only */
    uint64_t size;   /* PUT body bytes */
    uint64_t keys;   /* get: key set size; delete: keys to delete */
    int timeout_s;   /* per send/receive call */
};

/* State shared by all workers. */
struct shared {
    const struct opts *o;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    const EVP_MD *sha256;
    unsigned char *pattern; /* 2 * PATTERN_LEN: any PATTERN_LEN window is contiguous */
    _Atomic uint64_t next;  /* next operation index */
    _Atomic bool stop;
    _Atomic unsigned running;
    atomic_flag http_error_told;
    atomic_flag io_error_told;
};

struct conn {
    int fd;        /* -1 when closed */
    unsigned used; /* responses read on this connection */
    char *rbuf;
    size_t rpos, rlen;
    uint64_t got; /* bytes received for the response being read */
};

/* A response as far as the load generator cares. */
struct resp {
    int status;
    bool close;
    uint64_t body_bytes;
    bool keep; /* keep the body in buf (listings, errors) */
    char *buf;
    size_t blen, bcap;
};

struct signer {
    EVP_MD_CTX *ctx;
    time_t second;     /* time of amz_date */
    char amz_date[17]; /* YYYYMMDDTHHMMSSZ */
    char day[9];       /* day of key */
    unsigned char key[32];
};

struct worker {
    struct shared *sh;
    unsigned id;
    pthread_t tid;
    struct conn c;
    struct resp r;
    struct signer sg;
    char *token; /* list-v2 continuation token, NULL at the start of a walk */
    uint64_t *lat;
    size_t nlat, latcap;
    uint64_t ops, errors, bytes, connects, keys_listed, walks;
};

/* ---- small helpers --------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* RFC 3986 percent-encoding as SigV4 wants it; '/' kept when keep_slash. Returns the length, or
 * -ENOSPC when out is too small. */
static int MUST_USE uri_encode(const char *s, bool keep_slash, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~' ||
                     (keep_slash && ch == '/');
        if (n + 4 > cap)
            return -ENOSPC;
        if (plain) {
            out[n++] = (char)ch;
        } else {
            out[n++] = '%';
            out[n++] = digits[ch >> 4];
            out[n++] = digits[ch & 15];
        }
    }
    out[n] = '\0';
    return (int)n;
}

/* Parses "4096", "4K", "1M", "1G" (binary units). */
static int MUST_USE parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -EINVAL;
    uint64_t mul = 1;
    char up = (char)(*end & ~0x20); /* upper case; 0 for both NUL and space */
    const char *units = "KMG", *u = up ? strchr(units, up) : NULL;
    if (u) {
        mul = 1ull << (10 * (u - units + 1));
        end++;
    }
    if (*end == 'i' && end[1] == 'B')
        end += 2;
    if (*end)
        return -EINVAL;
    *out = (uint64_t)v * mul;
    return 0;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* ---- SigV4 ----------------------------------------------------------------------------------- */

static void sha256(struct signer *sg, const EVP_MD *md, const void *p, size_t n,
                   unsigned char out[32])
{
    EVP_DigestInit_ex2(sg->ctx, md, NULL);
    EVP_DigestUpdate(sg->ctx, p, n);
    EVP_DigestFinal_ex(sg->ctx, out, NULL);
}

/* HMAC-SHA256 (RFC 2104) over the reusable digest context: the one-shot HMAC() of OpenSSL 3
 * fetches its algorithm on every call, which showed up at 100k requests per second. */
static void hmac(struct signer *sg, const EVP_MD *md, const void *key, size_t klen, const void *msg,
                 size_t mlen, unsigned char out[32])
{
    unsigned char k[64] = {0}, pad[64], inner[32];
    if (klen > sizeof k)
        sha256(sg, md, key, klen, k);
    else
        memcpy(k, key, klen);
    for (size_t i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    EVP_DigestInit_ex2(sg->ctx, md, NULL);
    EVP_DigestUpdate(sg->ctx, pad, 64);
    EVP_DigestUpdate(sg->ctx, msg, mlen);
    EVP_DigestFinal_ex(sg->ctx, inner, NULL);
    for (size_t i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    EVP_DigestInit_ex2(sg->ctx, md, NULL);
    EVP_DigestUpdate(sg->ctx, pad, 64);
    EVP_DigestUpdate(sg->ctx, inner, 32);
    EVP_DigestFinal_ex(sg->ctx, out, NULL);
}

/* Refreshes x-amz-date, and the signing key when the day changed. */
static void signer_tick(struct signer *sg, const struct shared *sh)
{
    time_t t = time(NULL);
    if (t == sg->second && sg->amz_date[0])
        return;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(sg->amz_date, sizeof sg->amz_date, "%Y%m%dT%H%M%SZ", &tm);
    sg->second = t;
    if (memcmp(sg->day, sg->amz_date, 8) == 0)
        return;
    memcpy(sg->day, sg->amz_date, 8);
    sg->day[8] = '\0';
    char k0[256];
    int n = snprintf(k0, sizeof k0, "AWS4%s", sh->o->secret_key);
    unsigned char k1[32], k2[32], k3[32];
    hmac(sg, sh->sha256, k0, (size_t)n, sg->day, 8, k1);
    hmac(sg, sh->sha256, k1, 32, sh->o->region, strlen(sh->o->region), k2);
    hmac(sg, sh->sha256, k2, 32, "s3", 2, k3);
    hmac(sg, sh->sha256, k3, 32, "aws4_request", 12, sg->key);
}

/* Writes the request line and headers of a signed request into out. path and query are already
 * URI-encoded, the query's parameters sorted. Returns the length or -ENOSPC. */
static int MUST_USE build_request(struct worker *w, const char *method, const char *path,
                                  const char *query, bool has_body, uint64_t length, char *out,
                                  size_t cap)
{
    const struct opts *o = w->sh->o;
    struct signer *sg = &w->sg;
    signer_tick(sg, w->sh);
    char host[300];
    snprintf(host, sizeof host, "%s:%s", o->host, o->port);

    char creq[6144];
    int n = snprintf(creq, sizeof creq,
                     "%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"
                     "x-amz-date:%s\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD",
                     method, path, query, host, sg->amz_date);
    if (n < 0 || (size_t)n >= sizeof creq)
        return -ENOSPC;
    unsigned char digest[32];
    char creq_hex[65];
    sha256(sg, w->sh->sha256, creq, (size_t)n, digest);
    hex(digest, 32, creq_hex);

    char sts[512];
    n = snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s", sg->amz_date,
                 sg->day, o->region, creq_hex);
    if (n < 0 || (size_t)n >= sizeof sts)
        return -ENOSPC;
    unsigned char sig[32];
    char sig_hex[65];
    hmac(sg, w->sh->sha256, sg->key, 32, sts, (size_t)n, sig);
    hex(sig, 32, sig_hex);

    char clen[48] = "";
    if (has_body)
        snprintf(clen, sizeof clen, "Content-Length: %" PRIu64 "\r\n", length);
    n = snprintf(out, cap,
                 "%s %s%s%s HTTP/1.1\r\nHost: %s\r\nx-amz-date: %s\r\n"
                 "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"
                 "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/aws4_request, "
                 "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=%s\r\n"
                 "%s\r\n",
                 method, path, *query ? "?" : "", query, host, sg->amz_date, o->access_key, sg->day,
                 o->region, sig_hex, clen);
    if (n < 0 || (size_t)n >= cap)
        return -ENOSPC;
    return n;
}

/* ---- connection ------------------------------------------------------------------------------ */

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->used = 0;
    c->rpos = c->rlen = 0;
}

static int MUST_USE conn_open(struct conn *c, const struct shared *sh)
{
    int fd = socket(sh->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = sh->o->timeout_s};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (const struct sockaddr *)&sh->addr, sh->addrlen) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    c->fd = fd;
    c->used = 0;
    c->rpos = c->rlen = 0;
    return 0;
}

/* Sends all of iov, coping with partial writes. */
static int MUST_USE send_iov(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? -ETIMEDOUT : -errno;
        }
        while (n > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return 0;
}

/* Sends the header and then a body of length bytes drawn from the pattern at seed, a window of at
 * most PATTERN_LEN at a time; the first window goes out with the header in one call. */
static int MUST_USE send_request(struct conn *c, const struct shared *sh, const char *hdr,
                                 size_t hlen, uint64_t length, uint64_t seed)
{
    size_t off = (size_t)(seed % PATTERN_LEN);
    struct iovec iov[2] = {{.iov_base = (void *)hdr, .iov_len = hlen}};
    size_t first = length < PATTERN_LEN ? (size_t)length : PATTERN_LEN;
    iov[1].iov_base = sh->pattern + off;
    iov[1].iov_len = first;
    int rc = send_iov(c->fd, iov, first ? 2 : 1);
    for (uint64_t left = length - first; rc == 0 && left > 0;) {
        size_t k = left < PATTERN_LEN ? (size_t)left : PATTERN_LEN;
        off = (off + 4099) % PATTERN_LEN; /* successive windows differ */
        struct iovec one = {.iov_base = sh->pattern + off, .iov_len = k};
        rc = send_iov(c->fd, &one, 1);
        left -= k;
    }
    return rc;
}

/* Receives more bytes after rlen. Returns the count, 0 at end of stream, or a negative code. */
static ssize_t conn_fill(struct conn *c)
{
    if (c->rpos == c->rlen) {
        c->rpos = c->rlen = 0;
    } else if (c->rlen == RBUF_LEN && c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    if (c->rlen == RBUF_LEN)
        return -E2BIG;
    for (;;) {
        ssize_t k = recv(c->fd, c->rbuf + c->rlen, RBUF_LEN - c->rlen, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return errno == EAGAIN ? -ETIMEDOUT : -errno;
        c->rlen += (size_t)k;
        c->got += (uint64_t)k;
        return k;
    }
}

/* Returns the next CRLF-terminated line, NUL-terminated in place, valid until the next read. */
static int MUST_USE read_line(struct conn *c, char **line)
{
    for (;;) {
        char *start = c->rbuf + c->rpos;
        char *nl = memchr(start, '\n', c->rlen - c->rpos);
        if (nl) {
            *nl = '\0';
            if (nl > start && nl[-1] == '\r')
                nl[-1] = '\0';
            c->rpos = (size_t)(nl + 1 - c->rbuf);
            *line = start;
            return 0;
        }
        ssize_t k = conn_fill(c);
        if (k == 0)
            return -ECONNRESET;
        if (k < 0)
            return (int)k;
    }
}

static void resp_keep(struct resp *r, const char *p, size_t n)
{
    if (!r->keep || r->blen + n + 1 > KEEP_CAP)
        return;
    if (r->blen + n + 1 > r->bcap) {
        size_t cap = r->bcap ? r->bcap : 64 * 1024;
        while (cap < r->blen + n + 1)
            cap *= 2;
        char *b = realloc(r->buf, cap);
        if (!b)
            return;
        r->buf = b;
        r->bcap = cap;
    }
    memcpy(r->buf + r->blen, p, n);
    r->blen += n;
    r->buf[r->blen] = '\0';
}

/* Consumes n body bytes (UINT64_MAX: until the server closes). */
static int MUST_USE read_body(struct conn *c, struct resp *r, uint64_t n)
{
    bool to_eof = n == UINT64_MAX;
    while (n > 0) {
        if (c->rpos == c->rlen) {
            ssize_t k = conn_fill(c);
            if (k == 0)
                return to_eof ? 0 : -ECONNRESET;
            if (k < 0)
                return (int)k;
        }
        size_t avail = c->rlen - c->rpos;
        size_t take = (uint64_t)avail < n ? avail : (size_t)n;
        resp_keep(r, c->rbuf + c->rpos, take);
        r->body_bytes += take;
        c->rpos += take;
        if (!to_eof)
            n -= take;
    }
    return 0;
}

static int MUST_USE read_chunked(struct conn *c, struct resp *r)
{
    char *line;
    for (;;) {
        int rc = read_line(c, &line);
        if (rc)
            return rc;
        char *end;
        errno = 0;
        unsigned long long size = strtoull(line, &end, 16);
        if (errno || end == line)
            return -EPROTO;
        if (size == 0)
            break;
        if ((rc = read_body(c, r, size)) || (rc = read_line(c, &line)))
            return rc;
        if (*line)
            return -EPROTO;
    }
    do { /* trailers, up to the empty line */
        int rc = read_line(c, &line);
        if (rc)
            return rc;
    } while (*line);
    return 0;
}

/* Reads one response: status, the headers that frame the body, and the body. */
static int MUST_USE read_response(struct conn *c, struct resp *r)
{
    char *line;
    bool chunked, has_len;
    uint64_t len;
    int rc;
    do { /* 1xx answers precede the real one */
        chunked = has_len = false;
        len = 0;
        if ((rc = read_line(c, &line)))
            return rc;
        int minor;
        if (sscanf(line, "HTTP/1.%d %d", &minor, &r->status) != 2)
            return -EPROTO;
        r->close = minor == 0;
        for (;;) {
            if ((rc = read_line(c, &line)))
                return rc;
            if (!*line)
                break;
            char *colon = strchr(line, ':');
            if (!colon)
                return -EPROTO;
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if (strcasecmp(line, "content-length") == 0) {
                char *end;
                errno = 0;
                len = strtoull(v, &end, 10);
                if (errno || end == v)
                    return -EPROTO;
                has_len = true;
            } else if (strcasecmp(line, "transfer-encoding") == 0) {
                chunked = strcasestr(v, "chunked") != NULL;
            } else if (strcasecmp(line, "connection") == 0) {
                if (strcasestr(v, "close"))
                    r->close = true;
                else if (strcasestr(v, "keep-alive"))
                    r->close = false;
            }
        }
    } while (r->status >= 100 && r->status < 200);
    if (r->status > 299)
        r->keep = true; /* an error body is worth showing */

    c->used++;
    if (r->status == 204 || r->status == 304)
        return 0;
    if (chunked)
        return read_chunked(c, r);
    if (has_len)
        return read_body(c, r, len);
    r->close = true;
    return read_body(c, r, UINT64_MAX);
}

/* ---- one request ----------------------------------------------------------------------------- */

struct op {
    const char *method;
    char path[1200];
    char query[2600];
    bool has_body;
    uint64_t length;
    uint64_t seed;
    bool keep;
};

static void tell_io_error(struct worker *w, const struct op *op, int rc)
{
    if (!atomic_flag_test_and_set(&w->sh->io_error_told))
        fprintf(stderr, "loadgen: first transport error: %s %s: %s\n", op->method, op->path,
                strerror(-rc));
}

/* Sends op and reads its answer into w->r. A reused connection the server had closed gets one
 * more try on a new connection; any other failure closes the connection and is returned. */
static int MUST_USE do_request(struct worker *w, const struct op *op)
{
    struct conn *c = &w->c;
    char hdr[HDR_CAP];
    int rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0) {
            if ((rc = conn_open(c, w->sh)))
                return rc;
            w->connects++;
        }
        bool reused = c->used > 0;
        int hlen = build_request(w, op->method, op->path, op->query, op->has_body, op->length, hdr,
                                 sizeof hdr);
        if (hlen < 0)
            return hlen;
        free(w->r.buf);
        w->r = (struct resp){.keep = op->keep};
        c->got = 0;
        int src = send_request(c, w->sh, hdr, (size_t)hlen, op->length, op->seed);
        /* A server refusing a large body may answer and close before reading it all: its
         * answer is still worth reading. */
        rc = read_response(c, &w->r);
        if (rc == 0 && src == 0 && !w->r.close)
            return 0;
        conn_close(c);
        if (rc == 0)
            return 0;
        if (!(reused && c->got == 0))
            break;
    }
    return rc;
}

/* ---- workloads ------------------------------------------------------------------------------- */

static int MUST_USE key_path(const struct opts *o, uint64_t index, char *out, size_t cap)
{
    char raw[1024], enc[1100];
    int n = snprintf(raw, sizeof raw, "%s/%010" PRIu64, o->prefix, index);
    if (n < 0 || (size_t)n >= sizeof raw || uri_encode(raw, true, enc, sizeof enc) < 0)
        return -ENOSPC;
    n = snprintf(out, cap, "/%s/%s", o->bucket, enc);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

/* Takes the next operation index; false when the run is over. */
static bool next_index(struct shared *sh, uint64_t *i)
{
    const struct opts *o = sh->o;
    if (atomic_load(&sh->stop))
        return false;
    *i = atomic_fetch_add(&sh->next, 1);
    if (o->count && *i >= o->count)
        return false;
    if (o->wl == WL_DELETE && *i >= o->keys)
        return false;
    return true;
}

static int MUST_USE make_op(struct worker *w, uint64_t i, struct op *op)
{
    const struct opts *o = w->sh->o;
    *op = (struct op){.seed = i * 4099};
    switch (o->wl) {
    case WL_PUT:
        op->method = "PUT";
        op->has_body = true;
        op->length = o->size;
        return key_path(o, i, op->path, sizeof op->path);
    case WL_GET:
        op->method = "GET";
        return key_path(o, i % o->keys, op->path, sizeof op->path);
    case WL_DELETE:
        op->method = "DELETE";
        return key_path(o, i, op->path, sizeof op->path);
    case WL_LIST: {
        op->method = "GET";
        op->keep = true;
        snprintf(op->path, sizeof op->path, "/%s", o->bucket);
        char pfx[600], tok[1800] = "";
        char raw[520];
        snprintf(raw, sizeof raw, "%s/", o->prefix);
        if (uri_encode(raw, false, pfx, sizeof pfx) < 0 ||
            (w->token && uri_encode(w->token, false, tok, sizeof tok) < 0))
            return -ENOSPC;
        /* Parameters in SigV4's sorted order. */
        int n = snprintf(op->query, sizeof op->query, "%s%s%slist-type=2&max-keys=1000&prefix=%s",
                         w->token ? "continuation-token=" : "", tok, w->token ? "&" : "", pfx);
        return n < 0 || (size_t)n >= sizeof op->query ? -ENOSPC : 0;
    }
    }
    return -EINVAL;
}

/* The text of <tag>...</tag> in s, XML entities decoded; NULL when absent. Caller frees. */
static char *xml_value(const char *s, const char *tag)
{
    char open[64], close_[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close_, sizeof close_, "</%s>", tag);
    const char *a = strstr(s, open);
    if (!a)
        return NULL;
    a += strlen(open);
    const char *b = strstr(a, close_);
    if (!b)
        return NULL;
    char *v = malloc((size_t)(b - a) + 1);
    if (!v)
        return NULL;
    static const struct {
        const char *ent;
        char ch;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t n = 0;
    while (a < b) {
        size_t e;
        for (e = 0; e < sizeof ents / sizeof ents[0]; e++)
            if (strncmp(a, ents[e].ent, strlen(ents[e].ent)) == 0)
                break;
        if (e < sizeof ents / sizeof ents[0]) {
            v[n++] = ents[e].ch;
            a += strlen(ents[e].ent);
        } else {
            v[n++] = *a++;
        }
    }
    v[n] = '\0';
    return v;
}

/* Follows a ListObjectsV2 page: counts its keys and keeps the token of the next one. */
static void list_advance(struct worker *w)
{
    const char *body = w->r.buf ? w->r.buf : "";
    for (const char *p = body; (p = strstr(p, "<Contents>")); p += 10)
        w->keys_listed++;
    free(w->token);
    w->token = NULL;
    if (strstr(body, "<IsTruncated>true</IsTruncated>"))
        w->token = xml_value(body, "NextContinuationToken");
    if (!w->token)
        w->walks++;
}

static void record_latency(struct worker *w, uint64_t ns)
{
    if (w->nlat == w->latcap) {
        size_t cap = w->latcap ? w->latcap * 2 : 4096;
        uint64_t *v = realloc(w->lat, cap * sizeof *v);
        if (!v)
            return; /* the op still counts; its latency is lost */
        w->lat = v;
        w->latcap = cap;
    }
    w->lat[w->nlat++] = ns;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    uint64_t i;
    while (next_index(sh, &i)) {
        struct op op;
        int rc = make_op(w, i, &op);
        uint64_t t0 = now_ns();
        if (rc == 0)
            rc = do_request(w, &op);
        uint64_t t1 = now_ns();
        if (rc) {
            w->errors++;
            tell_io_error(w, &op, rc);
            if (rc == -ECONNREFUSED) /* no busy loop against a server that is gone */
                usleep(10000);
            continue;
        }
        if (w->r.status < 200 || w->r.status > 299) {
            w->errors++;
            if (!atomic_flag_test_and_set(&sh->http_error_told))
                fprintf(stderr, "loadgen: first error: HTTP %d on %s %s%s%s\n%s\n", w->r.status,
                        op.method, op.path, *op.query ? "?" : "", op.query,
                        w->r.buf ? w->r.buf : "");
            continue;
        }
        w->ops++;
        record_latency(w, t1 - t0);
        if (sh->o->wl == WL_PUT)
            w->bytes += op.length;
        else
            w->bytes += w->r.body_bytes;
        if (sh->o->wl == WL_LIST)
            list_advance(w);
    }
    conn_close(&w->c);
    atomic_fetch_sub(&sh->running, 1);
    return NULL;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen --endpoint HOST:PORT --bucket B --workload put|get|delete|list-v2\n"
            "               [--access-key AK --secret-key SK] [--region R] [--prefix P]\n"
            "               [--connections N] [--duration SECONDS] [--count OPS] [--size BYTES]\n"
            "               [--keys N] [--name NAME] [--server NAME] [--timeout SECONDS]\n");
    exit(2);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {{"endpoint", 1, 0, 'e'},   {"access-key", 1, 0, 'a'},
                                          {"secret-key", 1, 0, 's'}, {"region", 1, 0, 'r'},
                                          {"bucket", 1, 0, 'b'},     {"prefix", 1, 0, 'p'},
                                          {"workload", 1, 0, 'w'},   {"connections", 1, 0, 'c'},
                                          {"duration", 1, 0, 'd'},   {"count", 1, 0, 'n'},
                                          {"size", 1, 0, 'z'},       {"keys", 1, 0, 'k'},
                                          {"name", 1, 0, 'N'},       {"server", 1, 0, 'S'},
                                          {"timeout", 1, 0, 't'},    {0, 0, 0, 0}};
    *o = (struct opts){.access_key = "",
                       .secret_key = "",
                       .region = "us-east-1",
                       .prefix = "bench",
                       .name = "",
                       .server = "",
                       .conns = 1,
                       .timeout_s = 300,
                       .wl = WL_PUT};
    const char *endpoint = NULL;
    bool have_wl = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'e':
            endpoint = optarg;
            break;
        case 'a':
            o->access_key = optarg;
            break;
        case 's':
            o->secret_key = optarg;
            break;
        case 'r':
            o->region = optarg;
            break;
        case 'b':
            o->bucket = optarg;
            break;
        case 'p':
            o->prefix = optarg;
            break;
        case 'N':
            o->name = optarg;
            break;
        case 'S':
            o->server = optarg;
            break;
        case 'c':
            o->conns = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'd':
            o->duration = strtod(optarg, NULL);
            break;
        case 'n':
            o->count = strtoull(optarg, NULL, 10);
            break;
        case 'k':
            o->keys = strtoull(optarg, NULL, 10);
            break;
        case 't':
            o->timeout_s = atoi(optarg);
            break;
        case 'z':
            if (parse_size(optarg, &o->size))
                usage();
            break;
        case 'w':
            for (size_t i = 0; i < sizeof workload_names / sizeof *workload_names; i++)
                if (strcmp(optarg, workload_names[i]) == 0) {
                    o->wl = (enum workload)i;
                    have_wl = true;
                }
            if (!have_wl)
                usage();
            break;
        default:
            usage();
        }
    }
    if (!endpoint || !o->bucket || !have_wl || o->conns == 0 || o->conns > MAX_CONNS ||
        o->timeout_s <= 0 || optind != argc)
        usage();
    if ((o->wl == WL_GET || o->wl == WL_DELETE) && o->keys == 0)
        usage();
    if (o->wl != WL_DELETE && o->duration <= 0 && o->count == 0)
        usage();
    const char *colon = strrchr(endpoint, ':');
    if (!colon || (size_t)(colon - endpoint) >= sizeof o->host ||
        strlen(colon + 1) >= sizeof o->port)
        usage();
    memcpy(o->host, endpoint, (size_t)(colon - endpoint));
    o->host[colon - endpoint] = '\0';
    snprintf(o->port, sizeof o->port, "%s", colon + 1);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v, in ms. */
static double pct_ms(const uint64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1] / 1e6;
}

static void report(const struct opts *o, struct worker *ws, double secs, uint64_t issued)
{
    uint64_t ops = 0, errors = 0, bytes = 0, connects = 0, keys = 0, walks = 0;
    size_t nlat = 0;
    for (unsigned i = 0; i < o->conns; i++) {
        ops += ws[i].ops;
        errors += ws[i].errors;
        bytes += ws[i].bytes;
        connects += ws[i].connects;
        keys += ws[i].keys_listed;
        walks += ws[i].walks;
        nlat += ws[i].nlat;
    }
    uint64_t *all = malloc((nlat ? nlat : 1) * sizeof *all);
    size_t n = 0;
    double sum = 0;
    if (all)
        for (unsigned i = 0; i < o->conns; i++)
            for (size_t j = 0; j < ws[i].nlat; j++) {
                all[n++] = ws[i].lat[j];
                sum += (double)ws[i].lat[j];
            }
    qsort(all, n, sizeof *all, cmp_u64);

    FILE *f = stdout;
    fputs("{\"name\": ", f);
    json_string(f, o->name);
    fputs(", \"server\": ", f);
    json_string(f, o->server);
    fprintf(f, ", \"workload\": \"%s\", \"connections\": %u, \"size_bytes\": %" PRIu64,
            workload_names[o->wl], o->conns, o->size);
    fprintf(f, ", \"ops\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"issued\": %" PRIu64, ops, errors,
            issued);
    fprintf(f, ", \"seconds\": %.3f, \"ops_per_s\": %.3f, \"mb_per_s\": %.3f, \"bytes\": %" PRIu64,
            secs, secs > 0 ? (double)ops / secs : 0,
            secs > 0 ? (double)bytes / (1024.0 * 1024.0) / secs : 0, bytes);
    fprintf(f, ", \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f",
            pct_ms(all, n, 50), pct_ms(all, n, 90), pct_ms(all, n, 99), pct_ms(all, n, 99.9));
    fprintf(f, ", \"max_ms\": %.3f, \"mean_ms\": %.3f, \"connects\": %" PRIu64,
            n ? (double)all[n - 1] / 1e6 : 0, n ? sum / (double)n / 1e6 : 0, connects);
    if (o->wl == WL_LIST)
        fprintf(f, ", \"keys_listed\": %" PRIu64 ", \"keys_per_s\": %.1f, \"walks\": %" PRIu64,
                keys, secs > 0 ? (double)keys / secs : 0, walks);
    fputs("}\n", f);
    fflush(f);
    free(all);
}

int main(int argc, char **argv)
{
    struct opts o;
    parse_args(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);

    struct shared sh = {
        .o = &o, .http_error_told = ATOMIC_FLAG_INIT, .io_error_told = ATOMIC_FLAG_INIT};
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(o.host, o.port, &hints, &ai);
    if (rc) {
        fprintf(stderr, "loadgen: %s: %s\n", o.host, gai_strerror(rc));
        return 1;
    }
    memcpy(&sh.addr, ai->ai_addr, ai->ai_addrlen);
    sh.addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);

    sh.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    sh.pattern = malloc(2 * (size_t)PATTERN_LEN);
    struct worker *ws = calloc(o.conns, sizeof *ws);
    if (!sh.sha256 || !sh.pattern || !ws) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    /* Generated content: xorshift bytes, so nothing along the way can compress them away. */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < PATTERN_LEN; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sh.pattern[i] = (unsigned char)(x >> 32);
    }
    memcpy(sh.pattern + PATTERN_LEN, sh.pattern, PATTERN_LEN);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    uint64_t t0 = now_ns();
    atomic_store(&sh.running, o.conns);
    for (unsigned i = 0; i < o.conns; i++) {
        struct worker *w = &ws[i];
        w->sh = &sh;
        w->id = i;
        w->c.fd = -1;
        w->c.rbuf = malloc(RBUF_LEN);
        w->sg.ctx = EVP_MD_CTX_new();
        if (!w->c.rbuf || !w->sg.ctx || pthread_create(&w->tid, &attr, worker_main, w)) {
            fprintf(stderr, "loadgen: cannot start connection %u\n", i);
            return 1;
        }
    }
    uint64_t deadline = o.duration > 0 ? t0 + (uint64_t)(o.duration * 1e9) : UINT64_MAX;
    while (atomic_load(&sh.running) > 0 && now_ns() < deadline)
        usleep(5000);
    atomic_store(&sh.stop, true);
    for (unsigned i = 0; i < o.conns; i++)
        pthread_join(ws[i].tid, NULL);
    double secs = (double)(now_ns() - t0) / 1e9;

    uint64_t issued = 0;
    for (unsigned i = 0; i < o.conns; i++)
        issued += ws[i].ops + ws[i].errors;
    report(&o, ws, secs, issued);

    for (unsigned i = 0; i < o.conns; i++) {
        free(ws[i].c.rbuf);
        free(ws[i].r.buf);
        free(ws[i].token);
        free(ws[i].lat);
        EVP_MD_CTX_free(ws[i].sg.ctx);
    }
    free(ws);
    free(sh.pattern);
    EVP_MD_free((EVP_MD *)sh.sha256);
    pthread_attr_destroy(&attr);
    return 0;
}
