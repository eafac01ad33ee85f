#include "harness.h"

#include <ftw.h>
#include <string.h>
#include <strings.h>

#include "http/req.h"
#include "store/store.h"

/* ---- a request head ------------------------------------------------------------------------ */

/* The line starting at *p (without LF, and without a CR before it), NUL-terminated in place;
 * *p moves past the LF. NULL at the end of the text. */
static char *next_line(char **p, char *end)
{
    if (*p >= end)
        return NULL;
    char *line = *p;
    char *lf = memchr(line, '\n', (size_t)(end - line));
    char *stop = lf ? lf : end;
    *p = lf ? lf + 1 : end;
    if (stop > line && stop[-1] == '\r')
        stop--;
    *stop = '\0';
    return line;
}

int fuzz_http_parse(struct fuzz_http *h, const uint8_t *data, size_t size)
{
    memset(h, 0, sizeof *h);
    h->text = malloc(size + 1);
    if (!h->text)
        return -1;
    memcpy(h->text, data, size);
    h->text[size] = '\0';
    char *p = h->text, *end = h->text + size;

    char *line = next_line(&p, end);
    if (!line)
        return -1;
    char *sp = strchr(line, ' ');
    if (!sp)
        return -1;
    *sp = '\0';
    h->method = line;
    char *target = sp + 1;
    char *proto = strrchr(target, ' ');
    if (proto)
        *proto = '\0'; /* " HTTP/1.1" */
    char *q = strchr(target, '?');
    if (q) {
        *q = '\0';
        h->query = q + 1;
    }
    h->path = target;

    while ((line = next_line(&p, end)) != NULL && *line) {
        char *colon = strchr(line, ':');
        if (!colon || h->nh == FUZZ_MAX_HEADERS)
            continue; /* MHD drops such lines too */
        *colon = '\0';
        h->h[h->nh].name = line;
        h->h[h->nh].value = colon + 1;
        h->nh++;
    }
    h->body = p;
    h->body_len = (size_t)(end - p);
    return 0;
}

void fuzz_http_free(struct fuzz_http *h)
{
    free(h->text);
    h->text = NULL;
}

const char *fuzz_http_header(const struct fuzz_http *h, const char *name)
{
    for (size_t i = 0; i < h->nh; i++)
        if (strcasecmp(h->h[i].name, name) == 0)
            return h->h[i].value;
    return NULL;
}

/* ---- a request as handlers see it ---------------------------------------------------------- */

struct req *fuzz_req_new(const uint8_t *body, size_t n)
{
    struct req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->method = "PUT";
    r->protocol = PROTO_S3;
    r->status = 200;
    snprintf(r->request_id, sizeof r->request_id, "0123456789ABCDEF");
    snprintf(r->source_ip, sizeof r->source_ip, "192.0.2.1");
    snprintf(r->region, sizeof r->region, "us-east-1");
    r->host = "127.0.0.1:9000";
    r->who.type = PRINCIPAL_ROOT;
    snprintf(r->who.account_id, sizeof r->who.account_id, "111122223333");
    snprintf(r->who.canonical_id, sizeof r->who.canonical_id,
             "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be");
    snprintf(r->who.access_key, sizeof r->who.access_key, "AKIAIOSFODNN7EXAMPLE");
    r->who.sig_version = 4;
    r->who.auth_method = "AuthHeader";
    if (n && buf_append(&r->body.mem, body, n) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

void fuzz_req_free(struct req *r)
{
    if (!r)
        return;
    if (r->handler_state_free)
        r->handler_state_free(r->handler_state);
    for (size_t i = 0; i < r->n_resp_headers; i++) {
        free(r->resp_headers[i].name);
        free(r->resp_headers[i].value);
    }
    free(r->resp_headers);
    free(r->audit_ev.record);
    free(r->audit_ev.resources);
    free(r->error_message);
    buf_free(&r->error_extra);
    buf_free(&r->resp_body);
    buf_free(&r->body.mem);
    free(r);
}

/* ---- choices from the input ---------------------------------------------------------------- */

uint8_t fuzz_byte(struct fuzz_bytes *b)
{
    if (!b->n)
        return 0;
    b->n--;
    return *b->p++;
}

uint32_t fuzz_rand(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* ---- a temporary store --------------------------------------------------------------------- */

static char fuzz_dir[256];
static struct store *fuzz_st;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void store_cleanup(void)
{
    if (fuzz_st)
        store_close(fuzz_st);
    fuzz_st = NULL;
    if (fuzz_dir[0])
        nftw(fuzz_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct store *fuzz_store_open(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/s3trail-fuzz-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
             tag);
    if (!mkdtemp(fuzz_dir)) {
        fuzz_dir[0] = '\0';
        return NULL;
    }
    atexit(store_cleanup);
    if (store_open(fuzz_dir, &fuzz_st) != 0)
        return NULL;
    return fuzz_st;
}
