#include "auth/authn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/sigv2.h"
#include "auth/sigv4.h"
#include "http/req.h"
#include "iam/iamstore.h"
#include "iam/qapi.h"
#include "s3/errors.h"
#include "util/hash.h"

/* What a key resolves to: a long-term key (root's or an IAM user's) or an STS session. */
struct cred {
    struct access_key k; /* for a session: its key id, secret, account and user */
    struct account a;
    bool is_session;
    struct sts_session s;     /* when is_session; owns its policy */
    struct iam_user_ids user; /* long-term IAM user keys: the user's id and ARN */
};

static void cred_free(struct cred *c)
{
    if (c->is_session)
        sts_session_free(&c->s);
}

static void fill_principal(struct req *r, const struct cred *c, int sig_version,
                           const char *method)
{
    const struct access_key *k = &c->k;
    const struct account *a = &c->a;
    struct principal *p = &r->who;
    memset(p, 0, sizeof *p);
    snprintf(p->account_id, sizeof p->account_id, "%s", a->id);
    snprintf(p->canonical_id, sizeof p->canonical_id, "%s", a->canonical_id);
    snprintf(p->display_name, sizeof p->display_name, "%s", a->display_name);
    snprintf(p->access_key, sizeof p->access_key, "%s", k->access_key);
    p->sig_version = sig_version;
    p->auth_method = method;
    free(r->session_policy);
    r->session_policy = NULL;
    if (c->is_session) {
        /* principal.h's rules per type; the session stored them ready-made. */
        const struct sts_session *s = &c->s;
        p->type = strcmp(s->type, "AssumedRole") == 0     ? PRINCIPAL_ASSUMED_ROLE
                  : strcmp(s->type, "FederatedUser") == 0 ? PRINCIPAL_FEDERATED_USER
                  : strcmp(s->type, "IAMUser") == 0       ? PRINCIPAL_IAM_USER
                                                          : PRINCIPAL_ROOT;
        snprintf(p->user_name, sizeof p->user_name, "%s", s->user_name);
        snprintf(p->arn, sizeof p->arn, "%s", s->arn);
        snprintf(p->principal_id, sizeof p->principal_id, "%s", s->principal_id);
        snprintf(p->unique_id, sizeof p->unique_id, "%s", s->unique_id);
        p->session = true;
        p->session_created_ms = s->created_ms;
        p->session_expires_ms = s->expires_ms;
        snprintf(p->session_name, sizeof p->session_name, "%s", s->session_name);
        snprintf(p->source_identity, sizeof p->source_identity, "%s", s->source_identity);
        snprintf(p->issuer_type, sizeof p->issuer_type, "%s", s->issuer_type);
        snprintf(p->issuer_principal_id, sizeof p->issuer_principal_id, "%s",
                 s->issuer_principal_id);
        snprintf(p->issuer_arn, sizeof p->issuer_arn, "%s", s->issuer_arn);
        snprintf(p->issuer_name, sizeof p->issuer_name, "%s", s->issuer_name);
        /* Out of memory here leaves no session policy, which would widen the session's rights:
         * the caller checks r->session_policy against s->policy. */
        if (s->policy)
            r->session_policy = strdup(s->policy);
        return;
    }
    p->type = k->user_name[0] ? PRINCIPAL_IAM_USER : PRINCIPAL_ROOT;
    snprintf(p->user_name, sizeof p->user_name, "%s", k->user_name);
    if (p->type == PRINCIPAL_ROOT) {
        snprintf(p->arn, sizeof p->arn, "arn:aws:iam::%s:root", a->id);
        snprintf(p->principal_id, sizeof p->principal_id, "%s", a->id);
    } else {
        snprintf(p->arn, sizeof p->arn, "%s", c->user.arn);
        snprintf(p->principal_id, sizeof p->principal_id, "%s", c->user.user_id);
        snprintf(p->unique_id, sizeof p->unique_id, "%s", c->user.user_id);
    }
}

/* fill_principal, and the one way it can fail: a session policy that could not be copied. */
static int set_principal(struct req *r, const struct cred *c, int sig_version, const char *method)
{
    fill_principal(r, c, sig_version, method);
    if (c->is_session && c->s.policy && !r->session_policy)
        return req_error(r, S3E_ServiceUnavailable, NULL);
    return 0;
}

/* The Query APIs (IAM, STS) say InvalidClientTokenId where S3 says InvalidAccessKeyId or
 * InvalidToken: the key id and the token are one "security token" to them. */
static int query_invalid_token(struct req *r)
{
    return req_api_error(r, 403, "InvalidClientTokenId",
                         "The security token included in the request is invalid.");
}

static int unknown_key(struct req *r, const char *ak)
{
    if (r->protocol == PROTO_QUERY)
        return query_invalid_token(r);
    buf_puts(&r->error_extra, "<AWSAccessKeyId>");
    buf_put_xml(&r->error_extra, ak);
    buf_puts(&r->error_extra, "</AWSAccessKeyId>");
    return req_error(r, S3E_InvalidAccessKeyId, NULL);
}

static int invalid_token(struct req *r)
{
    if (r->protocol == PROTO_QUERY)
        return query_invalid_token(r);
    return req_error(r, S3E_InvalidToken, NULL);
}

static int expired_token(struct req *r)
{
    if (r->protocol == PROTO_QUERY)
        return req_api_error(r, 403, "ExpiredToken",
                             "The security token included in the request is expired");
    return req_error(r, S3E_ExpiredToken, NULL);
}

/* The session token: a header, or a presigned URL's query parameter (SigV4 spells it
 * X-Amz-Security-Token, SigV2 presigners x-amz-security-token). */
static const char *security_token(const struct req *r)
{
    const char *t = req_header(r, "x-amz-security-token");
    if (!t)
        t = req_query(r, "X-Amz-Security-Token");
    return t ? t : req_query(r, "x-amz-security-token");
}

/* Temporary credentials (ASIA...): the session must exist, the request must carry its token,
 * and it must not have expired. The token is compared by its SHA-256, in constant time. */
static int load_session(struct req *r, const char *ak, struct cred *c)
{
    const char *token = security_token(r);
    if (!token)
        return unknown_key(r, ak);
    int rc = sts_session_get(r->st, ak, &c->s);
    if (rc == -ENOENT || rc == -EIO)
        return unknown_key(r, ak);
    if (rc)
        return req_error(r, -s3err_from_errno(rc), NULL);
    c->is_session = true;
    char h[65];
    hash_sha256_hex(token, strlen(token), h);
    if (!hash_equal_ct(h, c->s.token_sha256))
        return invalid_token(r);
    if (store_now_ms() >= c->s.expires_ms)
        return expired_token(r);
    snprintf(c->k.access_key, sizeof c->k.access_key, "%s", ak);
    snprintf(c->k.secret, sizeof c->k.secret, "%s", c->s.secret);
    snprintf(c->k.account_id, sizeof c->k.account_id, "%s", c->s.account_id);
    snprintf(c->k.user_name, sizeof c->k.user_name, "%s", c->s.user_name);
    c->k.active = true;
    c->k.created_ms = c->s.created_ms;
    return 0;
}

/* Looks the key up and loads its account; InvalidAccessKeyId when unknown or inactive. A
 * security token sent with a long-term key is refused (S3: InvalidToken). On failure c holds
 * nothing to free; on success the caller calls cred_free(). */
static int load_key(struct req *r, const char *ak, struct cred *c)
{
    memset(c, 0, sizeof *c);
    int rc;
    if (strncmp(ak, "ASIA", 4) == 0) {
        rc = load_session(r, ak, c);
        if (rc) {
            cred_free(c);
            return rc;
        }
    } else {
        rc = store_key_get(r->st, ak, &c->k);
        if (rc == -ENOENT || (!rc && !c->k.active))
            return unknown_key(r, ak);
        if (rc)
            return req_error(r, -s3err_from_errno(rc), NULL);
        if (security_token(r))
            return invalid_token(r);
        if (c->k.user_name[0]) {
            /* An IAM user's key: the principal is named by the user's id and ARN (with its
             * path). Keys outlive no user (DeleteUser refuses while keys remain). */
            rc = iam_user_ids(r->st, c->k.account_id, c->k.user_name, &c->user);
            if (rc == -ENOENT)
                return unknown_key(r, ak);
            if (rc)
                return req_error(r, -s3err_from_errno(rc), NULL);
        }
    }
    rc = store_account_get(r->st, c->k.account_id, &c->a);
    if (rc == -ENOENT)
        rc = unknown_key(r, ak);
    else if (rc)
        rc = req_error(r, -s3err_from_errno(rc), NULL);
    if (rc)
        cred_free(c);
    return rc;
}

static void iso_utc(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int check_skew(struct req *r, time_t t)
{
    time_t now = time(NULL);
    if (t > now - AUTHN_MAX_SKEW_S && t < now + AUTHN_MAX_SKEW_S)
        return 0;
    char rt[32], st[32];
    iso_utc(t, rt);
    iso_utc(now, st);
    buf_printf(&r->error_extra,
               "<RequestTime>%s</RequestTime><ServerTime>%s</ServerTime>"
               "<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>",
               rt, st);
    return req_error(r, S3E_RequestTimeTooSkewed, NULL);
}

/* S3's SignatureDoesNotMatch carries what it signed, so a client can diff its own. */
static int signature_mismatch(struct req *r, const char *ak, const char *sts, const char *creq,
                              const char *provided)
{
    struct buf *e = &r->error_extra;
    buf_puts(e, "<AWSAccessKeyId>");
    buf_put_xml(e, ak);
    buf_puts(e, "</AWSAccessKeyId><StringToSign>");
    buf_put_xml(e, sts);
    buf_puts(e, "</StringToSign><SignatureProvided>");
    buf_put_xml(e, provided);
    buf_puts(e, "</SignatureProvided><StringToSignBytes>");
    for (const unsigned char *p = (const unsigned char *)sts; *p; p++)
        buf_printf(e, "%s%02x", p == (const unsigned char *)sts ? "" : " ", *p);
    buf_puts(e, "</StringToSignBytes>");
    if (creq) {
        buf_puts(e, "<CanonicalRequest>");
        buf_put_xml(e, creq);
        buf_puts(e, "</CanonicalRequest><CanonicalRequestBytes>");
        for (const unsigned char *p = (const unsigned char *)creq; *p; p++)
            buf_printf(e, "%s%02x", p == (const unsigned char *)creq ? "" : " ", *p);
        buf_puts(e, "</CanonicalRequestBytes>");
    }
    return req_error(r, S3E_SignatureDoesNotMatch, NULL);
}

/* Whether name is in SignedHeaders ("host;x-amz-date;..."), case-insensitively. */
static bool is_signed(const char *signed_headers, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = signed_headers; *p;) {
        size_t m = strcspn(p, ";");
        if (m == n && strncasecmp(p, name, n) == 0)
            return true;
        p += m;
        if (*p == ';')
            p++;
    }
    return false;
}

/* A signature covers only the headers it names. Every x-amz-* header changes what a request
 * does (x-amz-copy-source turns a presigned PUT into a copy of another object, x-amz-acl makes
 * it public), so one the signer did not sign is refused, as S3 refuses it; so is a signature
 * that does not cover Host. x-amz-content-sha256 needs no signature of its own: it is bound
 * through the canonical request's payload hash. */
static int check_signed_headers(struct req *r, const struct sigv4_params *p)
{
    struct buf missing = BUF_INIT;
    if (!is_signed(p->signed_headers, "host"))
        buf_puts(&missing, "host");
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *name = r->headers[i].name;
        if (strncasecmp(name, "x-amz-", 6) != 0 || strcasecmp(name, "x-amz-content-sha256") == 0)
            continue;
        if (!is_signed(p->signed_headers, name)) {
            if (missing.len)
                buf_puts(&missing, ", ");
            buf_puts(&missing, name);
        }
    }
    int rc = 0;
    if (missing.len) {
        buf_puts(&r->error_extra, "<HeadersNotSigned>");
        buf_put_xml(&r->error_extra, missing.data);
        buf_puts(&r->error_extra, "</HeadersNotSigned>");
        rc = req_error(r, S3E_AccessDenied,
                       "There were headers present in the request which were not signed");
    }
    buf_free(&missing);
    return rc;
}

/* The payload protection a SigV4 request declares in x-amz-content-sha256 (header) or
 * X-Amz-Content-Sha256 (presigned query). */
static int sigv4_payload(struct req *r, const struct sigv4_params *p, const char *hash,
                         const unsigned char key[32])
{
    struct body_in *b = &r->body;
    if (strcmp(hash, "UNSIGNED-PAYLOAD") == 0) {
        b->payload = PAYLOAD_UNSIGNED;
        return 0;
    }
    enum chunked_mode mode;
    if (chunked_mode_from_header(hash, &mode) == 0)
        ;
    else if (strncmp(hash, "STREAMING-", 10) == 0)
        return req_errorf(r, S3E_NotImplemented, "The payload mode %s is not supported", hash);
    else {
        size_t n = strlen(hash);
        if (n != 64 || strspn(hash, "0123456789abcdef") != 64)
            return req_errorf(r, S3E_InvalidArgument,
                              "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* mode "
                              "or a hex SHA-256");
        b->payload = PAYLOAD_SIGNED;
        memcpy(b->signed_sha256, hash, 65);
        return 0;
    }
    b->payload = PAYLOAD_STREAMING;
    b->chunked = true;
    struct chunked_cfg *c = &b->chunk_cfg;
    memset(c, 0, sizeof *c);
    c->mode = mode;
    memcpy(c->key, key, 32);
    snprintf(b->chunk_amz_date, sizeof b->chunk_amz_date, "%s", p->amz_date);
    if (sigv4_scope(p, b->chunk_scope, sizeof b->chunk_scope))
        return req_error(r, S3E_AuthorizationHeaderMalformed, NULL);
    snprintf(b->chunk_seed, sizeof b->chunk_seed, "%s", p->signature);
    const char *trailer = req_header(r, "x-amz-trailer");
    snprintf(b->chunk_trailers, sizeof b->chunk_trailers, "%s", trailer ? trailer : "");
    c->amz_date = b->chunk_amz_date;
    c->scope = b->chunk_scope;
    c->seed_signature = b->chunk_seed;
    c->trailer_names = trailer ? b->chunk_trailers : NULL;
    /* AWS refuses chunks under 8 KiB except the last (InvalidChunkSizeError); so do we. */
    c->min_chunk_size = 8192;
    return 0;
}

static int sigv4_verify_request(struct req *r, struct sigv4_params *p, const struct cred *c,
                                const char *hash);
static int sigv4_with(struct req *r, struct sigv4_params *p, const struct cred *c, time_t t);

static int sigv4(struct req *r, struct sigv4_params *p)
{
    struct sigv4_input in = {.method = r->method, .raw_path = r->raw_path,
                             .raw_query = r->raw_query, .headers = r->headers,
                             .n_headers = r->nheaders};
    time_t t;
    int rc;
    if (p->presigned) {
        if (sigv4_parse_amz_date(p->amz_date, &t))
            return req_error(r, S3E_AuthorizationQueryParametersError, NULL);
    } else {
        rc = sigv4_request_time(&in, p, &t);
        if (rc)
            return req_error(r, -rc, NULL);
    }
    const char *service = r->protocol == PROTO_JSON    ? "cloudtrail"
                          : r->protocol == PROTO_QUERY ? qapi_service(r->op)
                                                       : "s3";
    if (strcmp(p->service, service) != 0)
        return req_errorf(r, S3E_AuthorizationHeaderMalformed,
                          "The authorization header is malformed; incorrect service \"%s\". "
                          "This endpoint belongs to \"%s\".",
                          p->service, service);
    struct cred c;
    rc = load_key(r, p->access_key, &c);
    if (rc)
        return rc;
    rc = sigv4_with(r, p, &c, t);
    cred_free(&c);
    return rc;
}

/* The rest of sigv4() once the key is known. */
static int sigv4_with(struct req *r, struct sigv4_params *p, const struct cred *c, time_t t)
{
    int rc;
    if (p->presigned) {
        time_t now = time(NULL);
        if (t > now + AUTHN_MAX_SKEW_S)
            return check_skew(r, t);
        if (now > t + p->expires) {
            char exp[32], st[32];
            iso_utc(t + p->expires, exp);
            iso_utc(now, st);
            buf_printf(&r->error_extra,
                       "<X-Amz-Expires>%lld</X-Amz-Expires><Expires>%s</Expires>"
                       "<ServerTime>%s</ServerTime>",
                       p->expires, exp, st);
            return req_error(r, S3E_AccessDenied, "Request has expired");
        }
    } else {
        rc = check_skew(r, t);
        if (rc)
            return rc;
    }

    const char *hash = p->presigned ? req_query(r, "X-Amz-Content-Sha256")
                                    : req_header(r, "x-amz-content-sha256");
    if (!hash && (r->protocol == PROTO_QUERY || (r->protocol == PROTO_JSON && !p->presigned))) {
        /* Services other than S3 sign the body's hash without sending it (a presigned Query
         * call too: it signs the empty body's): the signature can only be checked once the
         * (small, buffered) body is in. The principal is provisional until then;
         * authn_finish_body() decides. */
        r->sig_deferred = true;
        r->sig_params = *p;
        snprintf(r->sig_region, sizeof r->sig_region, "%s", p->region);
        return set_principal(r, c, 4, p->presigned ? "QueryString" : "AuthHeader");
    }
    if (!hash && p->presigned)
        hash = "UNSIGNED-PAYLOAD";
    if (!hash)
        return req_error(r, S3E_InvalidRequest,
                         "Missing required header for this request: x-amz-content-sha256");
    return sigv4_verify_request(r, p, c, hash);
}

/* Checks the signature over the request as it stands (hash: the payload hash it signed). */
static int sigv4_verify_request(struct req *r, struct sigv4_params *p, const struct cred *c,
                                const char *hash)
{
    struct sigv4_input in = {.method = r->method, .raw_path = r->raw_path,
                             .raw_query = r->raw_query, .headers = r->headers,
                             .n_headers = r->nheaders};
    int rc;
    struct buf creq = BUF_INIT, sts = BUF_INIT;
    unsigned char key[32];
    rc = sigv4_verify(&in, p, c->k.secret, hash, key, &creq, &sts);
    if (rc == -S3E_SignatureDoesNotMatch)
        rc = signature_mismatch(r, p->access_key, sts.data ? sts.data : "",
                                creq.data ? creq.data : "", p->signature);
    else if (rc)
        rc = req_error(r, -rc, NULL);
    if (!rc)
        rc = check_signed_headers(r, p);
    if (!rc && p->presigned && strncmp(hash, "STREAMING-", 10) == 0)
        rc = req_error(r, S3E_InvalidRequest,
                       "A presigned URL cannot use an aws-chunked streaming payload");
    if (!rc)
        rc = sigv4_payload(r, p, hash, key);
    if (!rc) {
        snprintf(r->sig_region, sizeof r->sig_region, "%s", p->region);
        rc = set_principal(r, c, 4, p->presigned ? "QueryString" : "AuthHeader");
    }
    buf_free(&creq);
    buf_free(&sts);
    return rc;
}

/* SigV2 signs the resource as /bucket/key even when the bucket came from the Host header, and a
 * bucket itself as "/bucket/" (botocore, the AWS docs); older clients sign a path-style bucket
 * request as sent ("/bucket"), which is the alternative tried second. */
static int sigv2_resource(struct req *r, struct buf *res, bool alternative)
{
    if (r->virtual_host) {
        buf_putc(res, '/');
        buf_puts(res, r->bucket);
    }
    buf_puts(res, r->raw_path);
    if (r->bucket && !r->key && !alternative && res->data[res->len - 1] != '/')
        buf_putc(res, '/');
    return buf_ok(res) ? 0 : -ENOMEM;
}

static int sigv2_with(struct req *r, const struct sigv2_params *p, const struct cred *c);

static int sigv2(struct req *r, const struct sigv2_params *p)
{
    struct cred c;
    int rc = load_key(r, p->access_key, &c);
    if (rc)
        return rc;
    rc = sigv2_with(r, p, &c);
    cred_free(&c);
    return rc;
}

/* The rest of sigv2() once the key is known. */
static int sigv2_with(struct req *r, const struct sigv2_params *p, const struct cred *c)
{
    int rc;
    time_t now = time(NULL);
    if (p->presigned) {
        if (now > p->expires_at) {
            char exp[32], st[32];
            iso_utc((time_t)p->expires_at, exp);
            iso_utc(now, st);
            buf_printf(&r->error_extra, "<Expires>%s</Expires><ServerTime>%s</ServerTime>", exp,
                       st);
            return req_error(r, S3E_AccessDenied, "Request has expired");
        }
    } else {
        const char *d = req_header(r, "x-amz-date");
        if (!d)
            d = req_header(r, "Date");
        time_t t;
        if (!d || sigv4_parse_http_date(d, &t))
            return req_error(r, S3E_AccessDenied,
                             "AWS authentication requires a valid Date or x-amz-date header");
        rc = check_skew(r, t);
        if (rc)
            return rc;
    }
    struct buf res = BUF_INIT, sts = BUF_INIT;
    for (int alt = 0; alt < 2; alt++) {
        buf_reset(&res);
        buf_reset(&sts);
        if (sigv2_resource(r, &res, alt)) {
            rc = -S3E_ServiceUnavailable;
            goto out;
        }
        struct sigv2_input in = {.method = r->method, .resource = res.data,
                                 .raw_query = r->raw_query, .headers = r->headers,
                                 .n_headers = r->nheaders};
        rc = sigv2_verify(&in, p, c->k.secret, &sts);
        if (rc != -S3E_SignatureDoesNotMatch || !r->bucket || r->key)
            break;
    }
    if (rc == -S3E_SignatureDoesNotMatch)
        rc = signature_mismatch(r, p->access_key, sts.data ? sts.data : "", NULL, p->signature);
    else if (rc)
        rc = req_error(r, -rc, NULL);
    if (!rc)
        rc = set_principal(r, c, 2, p->presigned ? "QueryString" : "AuthHeader");
out:
    buf_free(&res);
    buf_free(&sts);
    return rc;
}

int authn_finish_body(struct req *r)
{
    if (!r->sig_deferred)
        return 0;
    r->sig_deferred = false;
    struct cred c;
    int rc = load_key(r, r->sig_params.access_key, &c);
    char hash[65];
    hash_sha256_hex(r->body.mem.data ? r->body.mem.data : "", r->body.mem.len, hash);
    if (!rc) {
        rc = sigv4_verify_request(r, &r->sig_params, &c, hash);
        cred_free(&c);
    }
    if (rc)
        r->audited = false; /* an authentication failure: not recorded, as in AWS */
    return rc;
}

int authn_request(struct req *r)
{
    r->body.payload = PAYLOAD_UNSIGNED;

    const char *auth = req_header(r, "Authorization");
    if (auth) {
        if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) == 0) {
            struct sigv4_params p;
            int rc = sigv4_parse_authorization(auth, &p);
            if (rc)
                return req_error(r, -rc, NULL);
            return sigv4(r, &p);
        }
        if (strncmp(auth, "AWS ", 4) == 0) {
            struct sigv2_params p;
            int rc = sigv2_parse_authorization(auth, &p);
            if (rc)
                return req_error(r, -rc, "AWS authorization header is invalid.  Expected "
                                         "AwsAccessKeyId:signature");
            return sigv2(r, &p);
        }
        return req_error(r, S3E_InvalidArgument, "Unsupported Authorization Type");
    }
    if (req_query(r, "X-Amz-Algorithm") || req_query(r, "X-Amz-Credential")) {
        /* An X-Amz-Expires outside 1..604800 is a request that can never be valid: S3 answers
         * 403 AccessDenied (ceph s3-tests test_object_raw_get_x_amz_expires_out_*). */
        const char *exp = req_query(r, "X-Amz-Expires");
        if (exp) {
            char *end;
            long long e = strtoll(exp, &end, 10);
            if (end == exp || *end || e < 1 || e > 604800)
                return req_error(r, S3E_AccessDenied,
                                 "X-Amz-Expires must be between 1 and 604800 seconds");
        }
        struct sigv4_params p;
        int rc = sigv4_parse_presigned(r->q, r->nq, &p);
        if (rc < 0)
            return req_error(r, -rc, NULL);
        if (rc == 0)
            return sigv4(r, &p);
    }
    struct sigv2_params p2;
    int rc = sigv2_parse_presigned(r->q, r->nq, &p2);
    if (rc < 0)
        return req_error(r, -rc, NULL);
    if (rc == 0)
        return sigv2(r, &p2);
    /* A security token means temporary credentials, which only a signed request can use. */
    if (security_token(r))
        return invalid_token(r);
    r->who.type = PRINCIPAL_ANONYMOUS;
    snprintf(r->who.account_id, sizeof r->who.account_id, "anonymous");
    return 0;
}
