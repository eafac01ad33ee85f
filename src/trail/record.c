/*
 * record — the CloudTrail record of one request (contract: record.h).
 *
 * The record is written straight into one growable buffer in AWS's key order (eventVersion,
 * userIdentity, eventTime, eventSource, eventName, awsRegion, sourceIPAddress, userAgent,
 * errorCode, errorMessage, requestParameters, responseElements, additionalEventData, requestID,
 * eventID, readOnly, resources, eventType, managementEvent, recipientAccountId, sharedEventID,
 * eventCategory, tlsDetails), not assembled as a jansson tree and then serialised: every request
 * makes a record and the audit path must sustain 200,000 records per second per core, which a
 * tree of ~40 allocated nodes per record does not. jansson is used only to re-serialise JSON
 * documents the client sent (PutBucketPolicy, the CloudTrail API) or a handler wrote (IAM, STS),
 * where a parse is needed anyway.
 *
 * Where the reference (shared/reference/cloudtrail.md) and the real records
 * (shared/reference/aws-samples) leave a choice, this file decides as follows.
 *
 * userIdentity: one writer per principal type (ident_*), chosen by a table. Root carries userName
 *   only when the principal has one (an account alias, as in the 2023 CloudShell samples).
 *   IAMUser's principalId is the user id (AIDA...), or the principal_id authn left when it has
 *   none. AWSService is {"type":"AWSService","invokedBy":S} with S = who.principal_id when set,
 *   else "cloudtrail.amazonaws.com"; its sourceIPAddress and userAgent are S as well (the real
 *   GetBucketAcl delivery-check record).
 *   Temporary credentials (who.session) add sessionContext after the other members, its own
 *   members in AWS's order: sessionIssuer, webIdFederationData, attributes {creationDate,
 *   mfaAuthenticated "false"}, sourceIdentity (when set).
 *    - IAMUser / Root with GetSessionToken credentials: attributes only (the 2024 "glitch"
 *      IAMUser records, the 2023 Root records; the IAM user guide's GetUserPolicy record shows
 *      the same on iam.amazonaws.com).
 *    - AssumedRole {type, principalId "<RoleId>:<session>", arn, accountId, accessKeyId,
 *      sessionContext}: sessionIssuer {type "Role", principalId RoleId, arn, accountId,
 *      userName role name}. webIdFederationData {} only in records of other sources than S3:
 *      every AssumedRole in the real S3 records (up to a 2024 eventVersion 1.10 one) goes from
 *      sessionIssuer straight to attributes, while KMS, SSM, Organizations and the other
 *      services' records of 2020-2022 carry the empty object between them.
 *    - FederatedUser {type, principalId "<account>:<name>", arn, accountId, accessKeyId,
 *      sessionContext}: sessionIssuer is the IAM user (with userName) or Root (without) that
 *      called GetFederationToken; no webIdFederationData (cloudtrail.md §1.1, a 2026 record).
 *   creationDate is the session's creation, ISO 8601 to the second.
 * The bucket owner's copy (r->owner_copy, an S3 call by another account on a loaded bucket;
 *   record_build's copy): the same record built a second time with its own eventID,
 *   recipientAccountId = the bucket owner and userIdentity {"type":"AWSAccount","principalId":P,
 *   "accountId":A}, P being the principalId of the requester's own record (the IAM user guide's
 *   role-owner copy of a cross-account AssumeRole). Both carry one sharedEventID. So does the
 *   single record of an anonymous or AWSService call on a bucket: it, too, is delivered to an
 *   account other than the caller's, and every such real record (23 anonymous, 1 CloudTrail
 *   service) has a sharedEventID, while no same-account record has one. The copy's journal row
 *   has the owner's account, the requester's username and no access key: the owner must not
 *   learn, nor look events up by, the requester's key id.
 *   E-mail grants (AWS S3 user guide, "CloudTrail does not proliferate email addresses used in
 *   setting object ACLs": the owner learns only that the ACL call was made): when the call
 *   grants by e-mail (an x-amz-grant-* header or query parameter naming emailAddress, or an
 *   AccessControlPolicy document with an EmailAddress grantee), the owner's copy leaves out
 *   every x-amz-grant-* member and the AccessControlPolicy document; x-amz-acl stays (a canned
 *   ACL names no one, and S3 refuses it together with grants anyway). Grants by canonical id,
 *   URI or without any e-mail are copied unchanged. The requester's record keeps everything.
 *
 * requestParameters (S3): bucketName, Host (the Host header as sent), every query parameter in
 *   request order (the first of duplicates; sub-resources as ""), the recorded x-amz-* request
 *   headers (s3_headers[] below), the request document, then key. Query parameters that carry
 *   credentials are never recorded: X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token
 *   (cloudtrail.md §2.2) and SigV2's Signature and AWSAccessKeyId (the same secrets in V2 form;
 *   Expires stays, as X-Amz-Expires does). A parameter, header or document named like one of
 *   our own members (bucketName, Host, key, or one already written) is skipped, so a client can
 *   never overwrite a member consumers rely on.
 *   Headers: the list is the ones seen in real records (x-amz-acl, x-amz-storage-class,
 *   x-amz-copy-source, x-amz-server-side-encryption, the s3express session mode) generalised to
 *   their siblings that S3 models as request parameters of the same kind (grants, KMS key and
 *   context, object lock, tagging and metadata directives, website redirect, request payer).
 *   Never recorded: signing headers (x-amz-date, x-amz-content-sha256, x-amz-security-token,
 *   x-amz-decoded-content-length, x-amz-trailer), checksums, user metadata (x-amz-meta-*), SSE-C
 *   keys and key MD5s, x-amz-mfa (a one-time code) and the expected-bucket-owner checks.
 *   Documents: an XML body is rendered the way the real records show it, which is the org.json
 *   XML.toJSONObject convention (S3 is a Java service): the root element becomes one member;
 *   an element with neither attributes nor child elements is its trimmed text, typed ("" when
 *   empty, true/false for the words true/false in any case, a JSON integer for a canonical
 *   64-bit integer such as ReplicationConfiguration's "Priority": 1, a string otherwise);
 *   other elements are objects whose members are the namespace declarations ("xmlns",
 *   "xmlns:xsi"), the attributes ("xsi:type") and the child elements, a name that repeats
 *   becoming an array, and the element's own text, if any, as "content". PutBucketPolicy's JSON
 *   document is recorded as "bucketPolicy" (as detection rules read it). DeleteObjects records
 *   no document at all (the real record is {"bucketName","Host","delete":"", ...}; key names are
 *   never logged). Documents that do not parse are left out.
 * requestParameters (other sources, the CloudTrail API): the JSON request document; null when
 *   it is empty, {} or not a JSON object. The Query API (IAM, STS): r->record_request_parameters
 *   as the handler wrote it (re-serialised compactly, member order kept), null when NULL, {} or
 *   not a JSON object.
 * responseElements: null for readOnly operations and for errors. S3 writes: the response headers
 *   of s3_resp_headers[] that the response carries (x-amz-server-side-encryption and its KMS
 *   companions, x-amz-version-id, x-amz-delete-marker, x-amz-expiration); ETag is not among
 *   them (real PutObject and CopyObject records show only the SSE header); null when none.
 *   Other sources: the JSON response document, null when empty or {} (StartLogging's record);
 *   the Query API: r->record_response_elements, likewise.
 * Sizes: requestParameters and responseElements are each limited to 100 KB of JSON; a larger
 *   one is replaced by {"omitted":true} (AWS: "CloudTrail truncates a field if the field content
 *   exceeds the maximum field size. If a field is truncated, omitted is present with a value of
 *   true"; cutting JSON text would not leave JSON). userAgent, errorCode and errorMessage are cut
 *   to 1 KB on a UTF-8 character boundary (for S3, the brackets included). Should a record still
 *   exceed 256 KB (only pathological headers can do that) it is rebuilt with both large fields
 *   omitted.
 * additionalEventData (S3 only): SignatureVersion and AuthenticationMethod only when signed,
 *   CipherSuite only over TLS, bytesTransferredIn/Out as numbers, x-amz-id-2 always (the
 *   anonymous 2018 records have it), SSEApplied on successful writes whose response names an
 *   encryption: SSE_S3 / SSE_KMS when the request asked for it, Default_SSE_S3 / Default_SSE_KMS
 *   when the bucket's default applied it, SSE_C for customer keys.
 * resources: per op->resources. The Object entry has no accountId, the Bucket entry carries the
 *   owner when the bucket was loaded. RES_LIST's ARNPrefix is bucket/<prefix query parameter>
 *   (DeleteObjects has none: "bucket/", as in the real record). Copies (CopyObject,
 *   UploadPartCopy) add the source object after the destination's entries, as the real CopyObject
 *   record does, and the source bucket too when it is another bucket (without accountId: its
 *   owner is not known here). RES_NONE and RES_ACCOUNT write no resources key (ListBuckets).
 *   STS AssumeRole* calls name the role of their roleArn request parameter, as the IAM user
 *   guide's AssumeRole records do: [{"ARN":role ARN,"accountId":its account,
 *   "type":"AWS::IAM::Role"}] (LookupEvents: AWS::IAM::Role, the ARN); other IAM and STS calls
 *   have none.
 * recipientAccountId: the requester's account; for anonymous and AWSService requests the bucket
 *   owner's (whose trails see them), and no recipientAccountId at all (journal account "") when
 *   there is no loaded bucket either.
 * Journal row: username is the IAM user name, "root" for Root, the session or federated user
 *   name (who.session_name, else the last segment of the ARN) for AssumedRole / FederatedUser,
 *   the service name for AWSService and "" for anonymous requests (LookupEvents values are at
 *   least one character, so an anonymous event is never found by Username). resources is the
 *   LookupEvents form of the record's resources, same order: ResourceName is the bucket name for
 *   AWS::S3::Bucket and "bucket/key" (or "bucket/prefix" for an ARNPrefix) for AWS::S3::Object.
 */
#include "trail/record.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "http/req.h"
#include "s3/errors.h"
#include "util/uri.h"
#include "util/xmlin.h"
#include "util/uuid.h"

#define EVENT_VERSION "1.11"
#define FIELD_MAX (100 * 1024)  /* requestParameters, responseElements */
#define RECORD_MAX (256 * 1024) /* a whole record */
#define TEXT_MAX 1024           /* userAgent, errorCode, errorMessage */
#define DEFAULT_SERVICE "cloudtrail.amazonaws.com"

/* ---- JSON text ------------------------------------------------------------------------------- */

/* The escaped contents of a JSON string, without quotes. Runs of plain ASCII are copied in one
 * append; invalid UTF-8 becomes U+FFFD, so the record is always valid JSON. Failures are left in
 * b->failed and checked once per record. */
static void j_inner(struct buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        buf_append(b, s + run, i - run);
        if (c >= 0x80) {
            size_t l = buf_utf8_len(u + i, n - i);
            if (l) {
                buf_append(b, s + i, l);
                i += l;
            } else {
                buf_append(b, "\xEF\xBF\xBD", 3);
                i++;
            }
        } else if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            buf_append(b, esc, 2);
            i++;
        } else {
            char esc[8];
            switch (c) {
            case '\n': buf_append(b, "\\n", 2); break;
            case '\r': buf_append(b, "\\r", 2); break;
            case '\t': buf_append(b, "\\t", 2); break;
            default:
                snprintf(esc, sizeof esc, "\\u%04x", c);
                buf_append(b, esc, 6);
            }
            i++;
        }
        run = i;
    }
    buf_append(b, s + run, n - run);
}

static void j_strn(struct buf *b, const char *s, size_t n)
{
    buf_putc(b, '"');
    j_inner(b, s, n);
    buf_putc(b, '"');
}

static void j_str(struct buf *b, const char *s)
{
    j_strn(b, s, strlen(s));
}

/* A literal piece of JSON. */
#define J_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

/* Writes the member name (with a separating comma after the first member). */
static void j_key(struct buf *b, bool *first, const char *key)
{
    if (!*first)
        buf_putc(b, ',');
    *first = false;
    j_str(b, key);
    buf_putc(b, ':');
}

static void j_member(struct buf *b, bool *first, const char *key, const char *value)
{
    j_key(b, first, key);
    j_str(b, value);
}

static void j_u64(struct buf *b, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    buf_append(b, num, (size_t)n);
}

/* The longest prefix of s[0..n) that is at most max bytes and does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

/* Re-serialises a JSON document (compact, key order kept). */
static int dump_to_buf(const char *p, size_t n, void *data)
{
    return buf_append(data, p, n) ? -1 : 0;
}

/* Parses s[0..n) and, when it is a JSON object with at least one member (or any JSON value when
 * any_value is true), appends it compactly and returns true. Appends nothing otherwise. */
static bool j_document(struct buf *b, const char *s, size_t n, bool any_value)
{
    if (!s || !n)
        return false;
    json_error_t err;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &err);
    if (!v)
        return false;
    bool ok = any_value || (json_is_object(v) && json_object_size(v) > 0);
    if (ok) {
        size_t mark = b->len;
        if (json_dump_callback(v, dump_to_buf, b, JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
            b->len = mark;
            if (b->data)
                b->data[mark] = '\0';
            ok = false;
        }
    }
    json_decref(v);
    return ok;
}

/* Replaces the field written after mark by {"omitted":true} when it is larger than FIELD_MAX,
 * or whenever force is set and the field is not null. */
static void limit_field(struct buf *b, size_t mark, bool force)
{
    size_t n = b->len - mark;
    bool is_null = n == 4 && memcmp(b->data + mark, "null", 4) == 0;
    if (b->failed || is_null || (!force && n <= FIELD_MAX))
        return;
    b->len = mark;
    b->data[mark] = '\0';
    J_LIT(b, "{\"omitted\":true}");
}

/* ---- the request at hand --------------------------------------------------------------------- */

struct recw {
    struct buf *b;   /* the record */
    struct buf *res; /* the LookupEvents resources */
    const struct req *r;
    const struct s3_op *op;
    bool s3;          /* S3's conventions (REST XML protocol), else a JSON API's */
    bool failed;      /* errorCode present */
    bool omit_fields; /* second attempt: requestParameters/responseElements omitted */
    bool res_first;   /* no LookupEvents resource written yet */
    char event_time[24];
    const char *event_id;
    const char *recipient; /* NULL: no recipientAccountId */
    const char *shared_id; /* NULL: no sharedEventID */
    bool owner_view;       /* the bucket owner's copy: the requester as AWSAccount */
    bool redact_grants;    /* the owner's copy of an e-mail grant: no grants, no ACL document */
};

static const char *header(const struct req *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (r->headers[i].name && strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static const char *resp_header(const struct req *r, const char *name)
{
    for (size_t i = 0; i < r->n_resp_headers; i++)
        if (strcasecmp(r->resp_headers[i].name, name) == 0)
            return r->resp_headers[i].value;
    return NULL;
}

/* The AWS service acting for AWSService principals. */
static const char *service_name(const struct principal *w)
{
    return w->principal_id[0] ? w->principal_id : DEFAULT_SERVICE;
}

/* "2024-11-28T15:22:39Z" for t; the text of the last second is kept per thread, since every
 * record of a busy second needs the same one. */
static void format_time(time_t t, char out[24])
{
    static __thread time_t cached_sec = (time_t)-1;
    static __thread char cached[24];
    if (t != cached_sec) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%SZ", &tm);
        cached_sec = t;
    }
    memcpy(out, cached, sizeof cached);
}

/* ---- userIdentity ---------------------------------------------------------------------------- */

/* "2024-11-28T15:21:54Z" for a time in milliseconds (sessionContext's creationDate). Not cached
 * like format_time: only temporary credentials need it, once per record. */
static void format_time_ms(int64_t ms, char out[24])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 24, "1970-01-01T00:00:00Z");
}

static void ident_access_key(struct buf *b, const struct principal *w)
{
    if (w->access_key[0]) {
        J_LIT(b, ",\"accessKeyId\":");
        j_str(b, w->access_key);
    }
}

/* The principalId of the principal's own userIdentity, which is also what another account's
 * copy names it by (AWSAccount). principal.h describes what authn leaves in principal_id; the
 * parts are preferred where they are there, so the id always has AWS's form. */
static void ident_principal_id(struct buf *b, const struct principal *w)
{
    switch (w->type) {
    case PRINCIPAL_ROOT:
        j_str(b, w->account_id);
        return;
    case PRINCIPAL_IAM_USER: /* AIDA...; before IAM user ids existed, the access key */
        j_str(b, w->unique_id[0] ? w->unique_id : w->principal_id);
        return;
    case PRINCIPAL_ASSUMED_ROLE: /* "<RoleId>:<session name>" */
        if (w->unique_id[0] && w->session_name[0]) {
            buf_putc(b, '"');
            j_inner(b, w->unique_id, strlen(w->unique_id));
            buf_putc(b, ':');
            j_inner(b, w->session_name, strlen(w->session_name));
            buf_putc(b, '"');
            return;
        }
        break;
    case PRINCIPAL_FEDERATED_USER: /* "<account>:<name>" */
        if (w->session_name[0]) {
            buf_putc(b, '"');
            j_inner(b, w->account_id, strlen(w->account_id));
            buf_putc(b, ':');
            j_inner(b, w->session_name, strlen(w->session_name));
            buf_putc(b, '"');
            return;
        }
        break;
    case PRINCIPAL_ANONYMOUS:
    case PRINCIPAL_AWS_SERVICE:
        break;
    }
    j_str(b, w->principal_id);
}

/* sessionContext of temporary credentials, in AWS's member order: sessionIssuer (when the
 * credentials were issued to another identity: the role, or the user or root that called
 * GetFederationToken), webIdFederationData (see the top of this file for when), attributes,
 * sourceIdentity (when set). */
static void session_context(struct buf *b, const struct principal *w, bool web_id)
{
    bool first = true;
    J_LIT(b, ",\"sessionContext\":{");
    if (w->issuer_type[0]) {
        bool root = strcmp(w->issuer_type, "Root") == 0;
        j_key(b, &first, "sessionIssuer");
        J_LIT(b, "{\"type\":");
        j_str(b, w->issuer_type);
        J_LIT(b, ",\"principalId\":");
        j_str(b, w->issuer_principal_id[0] || !root ? w->issuer_principal_id : w->account_id);
        J_LIT(b, ",\"arn\":");
        if (w->issuer_arn[0] || !root) {
            j_str(b, w->issuer_arn);
        } else {
            J_LIT(b, "\"arn:aws:iam::");
            j_inner(b, w->account_id, strlen(w->account_id));
            J_LIT(b, ":root\"");
        }
        J_LIT(b, ",\"accountId\":");
        j_str(b, w->account_id);
        if (!root && w->issuer_name[0]) {
            J_LIT(b, ",\"userName\":");
            j_str(b, w->issuer_name);
        }
        buf_putc(b, '}');
    }
    if (web_id) {
        j_key(b, &first, "webIdFederationData");
        J_LIT(b, "{}");
    }
    char created[24];
    format_time_ms(w->session_created_ms, created);
    j_key(b, &first, "attributes");
    J_LIT(b, "{\"creationDate\":");
    j_str(b, created);
    /* No MFA is ever presented to this server. */
    J_LIT(b, ",\"mfaAuthenticated\":\"false\"}");
    if (w->source_identity[0])
        j_member(b, &first, "sourceIdentity", w->source_identity);
    buf_putc(b, '}');
}

/* s3: the record is S3's (its AssumedRole sessionContext has no webIdFederationData). */
typedef void ident_writer(struct buf *b, const struct principal *w, bool s3);

static void ident_anonymous(struct buf *b, const struct principal *w, bool s3)
{
    (void)w;
    (void)s3;
    J_LIT(b, "{\"type\":\"AWSAccount\",\"principalId\":\"\",\"accountId\":\"anonymous\"}");
}

static void ident_root(struct buf *b, const struct principal *w, bool s3)
{
    (void)s3;
    J_LIT(b, "{\"type\":\"Root\",\"principalId\":");
    ident_principal_id(b, w);
    J_LIT(b, ",\"arn\":");
    if (w->arn[0]) {
        j_str(b, w->arn);
    } else {
        J_LIT(b, "\"arn:aws:iam::");
        j_inner(b, w->account_id, strlen(w->account_id));
        J_LIT(b, ":root\"");
    }
    J_LIT(b, ",\"accountId\":");
    j_str(b, w->account_id);
    ident_access_key(b, w);
    if (w->user_name[0]) { /* the account alias */
        J_LIT(b, ",\"userName\":");
        j_str(b, w->user_name);
    }
    if (w->session)
        session_context(b, w, false);
    buf_putc(b, '}');
}

static void ident_iam_user(struct buf *b, const struct principal *w, bool s3)
{
    (void)s3;
    J_LIT(b, "{\"type\":\"IAMUser\",\"principalId\":");
    ident_principal_id(b, w);
    J_LIT(b, ",\"arn\":");
    if (w->arn[0]) {
        j_str(b, w->arn);
    } else {
        J_LIT(b, "\"arn:aws:iam::");
        j_inner(b, w->account_id, strlen(w->account_id));
        J_LIT(b, ":user/");
        j_inner(b, w->user_name, strlen(w->user_name));
        buf_putc(b, '"');
    }
    J_LIT(b, ",\"accountId\":");
    j_str(b, w->account_id);
    ident_access_key(b, w);
    J_LIT(b, ",\"userName\":");
    j_str(b, w->user_name);
    if (w->session)
        session_context(b, w, false);
    buf_putc(b, '}');
}

/* AssumedRole and FederatedUser: no userName; the session's issuer is in sessionContext. */
static void ident_session(struct buf *b, const struct principal *w, const char *type,
                          bool web_id)
{
    J_LIT(b, "{\"type\":");
    j_str(b, type);
    J_LIT(b, ",\"principalId\":");
    ident_principal_id(b, w);
    J_LIT(b, ",\"arn\":");
    j_str(b, w->arn);
    J_LIT(b, ",\"accountId\":");
    j_str(b, w->account_id);
    ident_access_key(b, w);
    if (w->session)
        session_context(b, w, web_id);
    buf_putc(b, '}');
}

static void ident_assumed_role(struct buf *b, const struct principal *w, bool s3)
{
    ident_session(b, w, "AssumedRole", !s3);
}

static void ident_federated_user(struct buf *b, const struct principal *w, bool s3)
{
    (void)s3;
    ident_session(b, w, "FederatedUser", false);
}

static void ident_aws_service(struct buf *b, const struct principal *w, bool s3)
{
    (void)s3;
    J_LIT(b, "{\"type\":\"AWSService\",\"invokedBy\":");
    j_str(b, service_name(w));
    buf_putc(b, '}');
}

static ident_writer *const ident_writers[] = {
    [PRINCIPAL_ANONYMOUS] = ident_anonymous,
    [PRINCIPAL_ROOT] = ident_root,
    [PRINCIPAL_IAM_USER] = ident_iam_user,
    [PRINCIPAL_ASSUMED_ROLE] = ident_assumed_role,
    [PRINCIPAL_FEDERATED_USER] = ident_federated_user,
    [PRINCIPAL_AWS_SERVICE] = ident_aws_service,
};

static void user_identity(struct buf *b, const struct principal *w, bool s3)
{
    size_t t = (size_t)w->type;
    if (t < sizeof ident_writers / sizeof ident_writers[0] && ident_writers[t])
        ident_writers[t](b, w, s3);
    else /* a type added to principal.h without a writer here: say so rather than guess */
        J_LIT(b, "{\"type\":\"Unknown\"}");
}

/* The requester as the bucket owner's copy names it: another account, by the principalId the
 * requester's own record carries (IAM user guide, the role owner's copy of a cross-account
 * AssumeRole: {"type":"AWSAccount","principalId":"AIDA...","accountId":"777788889999"}). */
static void ident_aws_account(struct buf *b, const struct principal *w)
{
    J_LIT(b, "{\"type\":\"AWSAccount\",\"principalId\":");
    ident_principal_id(b, w);
    J_LIT(b, ",\"accountId\":");
    j_str(b, w->account_id);
    buf_putc(b, '}');
}

/* LookupEvents' Username. */
static void journal_username(const struct principal *w, char *out, size_t cap)
{
    const char *name = "";
    switch (w->type) {
    case PRINCIPAL_ROOT: name = "root"; break;
    case PRINCIPAL_IAM_USER: name = w->user_name; break;
    case PRINCIPAL_ASSUMED_ROLE:
    case PRINCIPAL_FEDERATED_USER: {
        /* the session name / federated user's name; else the ARN's last segment:
         * .../assumed-role/Role/Session → Session; .../federated-user/Bob → Bob */
        const char *slash = strrchr(w->arn, '/');
        name = w->session_name[0] ? w->session_name : slash ? slash + 1 : w->principal_id;
        break;
    }
    case PRINCIPAL_AWS_SERVICE: name = service_name(w); break;
    case PRINCIPAL_ANONYMOUS: break;
    }
    size_t n = strnlen(name, cap - 1); /* a name too long for the journal column is cut */
    memcpy(out, name, n);
    out[n] = '\0';
}

/* ---- XML documents as AWS renders them ------------------------------------------------------- */

/* Java's String.trim(): every byte <= ' ' at both ends. */
static void trim(const char **s, size_t *n)
{
    while (*n && (unsigned char)(*s)[0] <= ' ') {
        (*s)++;
        (*n)--;
    }
    while (*n && (unsigned char)(*s)[*n - 1] <= ' ')
        (*n)--;
}

/* A canonical 64-bit integer: what Long.parseLong(s).toString() gives back unchanged. */
static bool canonical_int64(const char *s, size_t n)
{
    size_t i = s[0] == '-' ? 1 : 0;
    size_t digits = n - i;
    if (digits == 0 || digits > 19)
        return false;
    for (size_t k = i; k < n; k++)
        if (s[k] < '0' || s[k] > '9')
            return false;
    if (s[i] == '0')
        return digits == 1 && i == 0; /* "0" yes; "007" and "-0" no */
    if (digits == 19) {
        const char *lim = i ? "9223372036854775808" : "9223372036854775807";
        if (memcmp(s + i, lim, 19) > 0)
            return false;
    }
    return true;
}

/* A text value, typed as org.json's XML.stringToValue does (see the top of this file). */
static void j_typed(struct buf *b, const char *s, size_t n)
{
    trim(&s, &n);
    if (n == 4 && strncasecmp(s, "true", 4) == 0)
        J_LIT(b, "true");
    else if (n == 5 && strncasecmp(s, "false", 5) == 0)
        J_LIT(b, "false");
    else if (n && canonical_int64(s, n))
        buf_append(b, s, n);
    else
        j_strn(b, s, n);
}

/* The text of a node list (text and CDATA nodes only: entity references are never expanded).
 * Points into the tree when there is one text node; otherwise concatenates into scratch. */
static void node_text(xmlNodePtr list, struct buf *scratch, const char **s, size_t *n)
{
    const char *only = NULL;
    int count = 0;
    for (xmlNodePtr c = list; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            only = (const char *)c->content;
            count++;
        }
    if (count <= 1) {
        *s = only ? only : "";
        *n = strlen(*s);
        return;
    }
    buf_reset(scratch);
    for (xmlNodePtr c = list; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            buf_puts(scratch, (const char *)c->content);
    *s = scratch->data ? scratch->data : "";
    *n = scratch->len;
}

enum xm_kind { XM_NS, XM_ATTR, XM_ELEM };

/* One member of an element's object: a namespace declaration, an attribute or a child. */
struct xm {
    const char *prefix; /* NULL or the part before ':' */
    const char *name;
    enum xm_kind kind;
    const void *node;
    size_t group; /* position in the sorted order of the first member with this name */
    size_t count; /* members with this name */
};

static int xm_name_cmp(const struct xm *a, const struct xm *b)
{
    if (!a->prefix != !b->prefix)
        return a->prefix ? 1 : -1;
    int c = a->prefix ? strcmp(a->prefix, b->prefix) : 0;
    return c ? c : strcmp(a->name, b->name);
}

static int xm_sort_cmp(const void *x, const void *y, void *ctx)
{
    const struct xm *m = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = xm_name_cmp(&m[i], &m[j]);
    return c ? c : (i < j ? -1 : i > j);
}

static void j_qname(struct buf *b, const char *prefix, const char *name)
{
    buf_putc(b, '"');
    if (prefix) {
        j_inner(b, prefix, strlen(prefix));
        buf_putc(b, ':');
    }
    j_inner(b, name, strlen(name));
    buf_putc(b, '"');
}

static void xml_value(struct buf *b, xmlNodePtr el, struct buf *scratch);

static void xm_value(struct buf *b, const struct xm *m, struct buf *scratch)
{
    const char *s;
    size_t n;
    switch (m->kind) {
    case XM_NS: {
        const xmlNs *ns = m->node;
        s = ns->href ? (const char *)ns->href : "";
        j_typed(b, s, strlen(s));
        break;
    }
    case XM_ATTR:
        node_text(((const xmlAttr *)m->node)->children, scratch, &s, &n);
        j_typed(b, s, n);
        break;
    case XM_ELEM:
        xml_value(b, (xmlNodePtr)m->node, scratch);
        break;
    }
}

static void xml_value(struct buf *b, xmlNodePtr el, struct buf *scratch)
{
    size_t n = 0;
    for (xmlNsPtr ns = el->nsDef; ns; ns = ns->next)
        n++;
    for (xmlAttrPtr a = el->properties; a; a = a->next)
        n++;
    for (xmlNodePtr c = el->children; c; c = c->next)
        n += c->type == XML_ELEMENT_NODE;
    const char *text;
    size_t tlen;
    if (n == 0) {
        node_text(el->children, scratch, &text, &tlen);
        j_typed(b, text, tlen);
        return;
    }
    struct xm *m = calloc(n, sizeof *m);
    size_t *order = malloc(n * sizeof *order);
    if (!m || !order) {
        free(m);
        free(order);
        b->failed = true;
        return;
    }
    size_t k = 0;
    for (xmlNsPtr ns = el->nsDef; ns; ns = ns->next, k++) {
        m[k].prefix = ns->prefix ? "xmlns" : NULL;
        m[k].name = ns->prefix ? (const char *)ns->prefix : "xmlns";
        m[k].kind = XM_NS;
        m[k].node = ns;
    }
    for (xmlAttrPtr a = el->properties; a; a = a->next, k++) {
        m[k].prefix = a->ns && a->ns->prefix ? (const char *)a->ns->prefix : NULL;
        m[k].name = (const char *)a->name;
        m[k].kind = XM_ATTR;
        m[k].node = a;
    }
    for (xmlNodePtr c = el->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        m[k].prefix = c->ns && c->ns->prefix ? (const char *)c->ns->prefix : NULL;
        m[k].name = (const char *)c->name;
        m[k].kind = XM_ELEM;
        m[k].node = c;
        k++;
    }
    /* Group equal names (repeated elements become an array) in O(n log n): a part list of a
     * CompleteMultipartUpload can hold 10,000 Part elements. */
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, xm_sort_cmp, m);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && xm_name_cmp(&m[order[i]], &m[order[j]]) == 0)
            j++;
        for (size_t g = i; g < j; g++) {
            m[order[g]].group = i;
            m[order[g]].count = j - i;
        }
        i = j;
    }
    buf_putc(b, '{');
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (order[m[i].group] != i)
            continue; /* written with the first member of its name */
        if (!first)
            buf_putc(b, ',');
        first = false;
        j_qname(b, m[i].prefix, m[i].name);
        buf_putc(b, ':');
        if (m[i].count == 1) {
            xm_value(b, &m[i], scratch);
            continue;
        }
        buf_putc(b, '[');
        for (size_t g = 0; g < m[i].count; g++) {
            if (g)
                buf_putc(b, ',');
            xm_value(b, &m[order[m[i].group + g]], scratch);
        }
        buf_putc(b, ']');
    }
    node_text(el->children, scratch, &text, &tlen);
    trim(&text, &tlen);
    if (tlen) {
        J_LIT(b, ",\"content\":");
        j_typed(b, text, tlen);
    }
    buf_putc(b, '}');
    free(m);
    free(order);
}

/* ---- requestParameters ----------------------------------------------------------------------- */

/* Query parameters that carry credentials (compared without case). */
static const char *const secret_params[] = {
    "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Signature", "AWSAccessKeyId",
};

/* The x-amz-* request headers S3 records as request parameters, sorted (strcmp) for bsearch.
 * Why these and not others: see the top of this file. At most 64 (a bitmask dedups them). */
static const char *const s3_headers[] = {
    "x-amz-acl",
    "x-amz-bucket-object-lock-enabled",
    "x-amz-bypass-governance-retention",
    "x-amz-copy-source",
    "x-amz-copy-source-range",
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-create-session-mode",
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
    "x-amz-metadata-directive",
    "x-amz-object-lock-legal-hold",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-ownership",
    "x-amz-request-payer",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-storage-class",
    "x-amz-tagging",
    "x-amz-tagging-directive",
    "x-amz-website-redirect-location",
};
#define N_S3_HEADERS (sizeof s3_headers / sizeof s3_headers[0])
_Static_assert(N_S3_HEADERS <= 64, "s3_headers is deduplicated with a 64-bit mask");

/* The response headers an S3 write's responseElements holds, in this order. */
static const char *const s3_resp_headers[] = {
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-version-id",
    "x-amz-delete-marker",
    "x-amz-expiration",
};

static int cmp_header_name(const void *key, const void *elem)
{
    return strcasecmp(key, *(const char *const *)elem);
}

static bool secret_param(const char *name)
{
    for (size_t i = 0; i < sizeof secret_params / sizeof secret_params[0]; i++)
        if (strcasecmp(name, secret_params[i]) == 0)
            return true;
    return false;
}

static bool reserved_name(const char *name)
{
    return strcmp(name, "bucketName") == 0 || strcmp(name, "Host") == 0 ||
           strcmp(name, "key") == 0;
}

static int qp_cmp(const void *x, const void *y, void *ctx)
{
    const struct query_param *q = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = strcmp(q[i].name, q[j].name);
    return c ? c : (i < j ? -1 : i > j);
}

/* dup[i] = a parameter of the same name came earlier. Quadratic for the usual handful, sorted
 * when a client sends many (a long query must not cost seconds). */
static int mark_duplicates(const struct query_param *q, size_t n, bool *dup)
{
    if (n <= 16) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < i && !dup[i]; j++)
                dup[i] = strcmp(q[i].name, q[j].name) == 0;
        return 0;
    }
    size_t *order = malloc(n * sizeof *order);
    if (!order)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, qp_cmp, (void *)q);
    for (size_t i = 1; i < n; i++)
        dup[order[i]] = strcmp(q[order[i]].name, q[order[i - 1]].name) == 0;
    free(order);
    return 0;
}

/* Was this name already written as a query parameter or header member? */
static bool member_written(const struct req *r, const char *name, const bool *dup, uint64_t hdrs)
{
    if (reserved_name(name))
        return true;
    for (size_t i = 0; i < r->nq; i++)
        if (!dup[i] && !secret_param(r->q[i].name) && strcmp(r->q[i].name, name) == 0)
            return true;
    for (size_t h = 0; h < N_S3_HEADERS; h++)
        if ((hdrs >> h & 1) && strcmp(s3_headers[h], name) == 0)
            return true;
    return false;
}

/* The XML request document as one member named after its root element. */
static void s3_xml_document(struct buf *b, bool *first, const struct req *r, const bool *dup,
                            uint64_t hdrs, bool redact)
{
    /* A document that does not parse whole (not XML, or memory ran out) is left out. */
    xmlDocPtr doc = NULL;
    xmlNodePtr root = xmlin_parse(r->body.mem.data, r->body.mem.len, XML_PARSE_NOCDATA, &doc) == 0
                          ? xmlDocGetRootElement(doc)
                          : NULL;
    if (root) {
        const char *prefix = root->ns && root->ns->prefix ? (const char *)root->ns->prefix : NULL;
        const char *name = (const char *)root->name;
        if (redact && strcmp(name, "AccessControlPolicy") == 0)
            name = NULL; /* the grants, e-mail included, stay out of the owner's copy */
        char qname[256];
        int qn = name ? snprintf(qname, sizeof qname, "%s%s%s", prefix ? prefix : "",
                                 prefix ? ":" : "", name)
                      : -1;
        if (qn > 0 && (size_t)qn < sizeof qname && !member_written(r, qname, dup, hdrs)) {
            struct buf scratch = BUF_INIT;
            if (!*first)
                buf_putc(b, ',');
            *first = false;
            j_qname(b, prefix, name);
            buf_putc(b, ':');
            xml_value(b, root, &scratch);
            if (!buf_ok(&scratch))
                b->failed = true;
            buf_free(&scratch);
        }
    }
    if (doc)
        xmlFreeDoc(doc);
}

static void s3_document(struct buf *b, bool *first, const struct req *r, const bool *dup,
                        uint64_t hdrs, bool redact)
{
    const struct s3_op *op = r->op;
    if (op->body != BODY_XML || !r->body.mem.data || !r->body.mem.len)
        return;
    if (strcmp(op->name, "DeleteObjects") == 0)
        return; /* key names are never logged */
    if (strcmp(op->name, "PutBucketPolicy") == 0) {
        if (member_written(r, "bucketPolicy", dup, hdrs))
            return;
        size_t mark = b->len;
        bool was_first = *first;
        j_key(b, first, "bucketPolicy");
        if (!j_document(b, r->body.mem.data, r->body.mem.len, false)) {
            b->len = mark; /* not a policy document: nothing */
            if (b->data)
                b->data[mark] = '\0';
            *first = was_first;
        }
        return;
    }
    s3_xml_document(b, first, r, dup, hdrs, redact);
}

static bool grant_name(const char *name)
{
    return strncasecmp(name, "x-amz-grant-", 12) == 0;
}

/* redact: the bucket owner's copy of a call that grants by e-mail (see the top of this file). */
static void s3_request_parameters(struct buf *b, const struct req *r, bool redact)
{
    bool dup_small[16] = {false};
    bool *dup = r->nq <= 16 ? dup_small : calloc(r->nq, sizeof *dup);
    if (!dup || mark_duplicates(r->q, r->nq, dup)) {
        if (dup != dup_small)
            free(dup);
        b->failed = true;
        return;
    }
    bool first = true;
    buf_putc(b, '{');
    if (r->bucket)
        j_member(b, &first, "bucketName", r->bucket);
    if (r->host)
        j_member(b, &first, "Host", r->host);
    for (size_t i = 0; i < r->nq; i++) {
        const char *name = r->q[i].name;
        if (dup[i] || secret_param(name) || reserved_name(name) || (redact && grant_name(name)))
            continue;
        j_member(b, &first, name, r->q[i].value ? r->q[i].value : "");
    }
    uint64_t hdrs = 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *name = r->headers[i].name;
        if (!name || strncasecmp(name, "x-amz-", 6) != 0)
            continue;
        const char *const *hit =
            bsearch(name, s3_headers, N_S3_HEADERS, sizeof s3_headers[0], cmp_header_name);
        if (!hit)
            continue;
        size_t h = (size_t)(hit - s3_headers);
        if ((hdrs >> h & 1) || (redact && grant_name(name)))
            continue;
        /* A query parameter of the same name (a presigned URL may carry x-amz-acl in its query)
         * was written already; the signed query wins. */
        bool in_query = false;
        for (size_t k = 0; k < r->nq && !in_query; k++)
            in_query = strcmp(r->q[k].name, s3_headers[h]) == 0;
        if (in_query)
            continue;
        hdrs |= (uint64_t)1 << h;
        j_member(b, &first, s3_headers[h], r->headers[i].value ? r->headers[i].value : "");
    }
    s3_document(b, &first, r, dup, hdrs, redact);
    if (r->key)
        j_member(b, &first, "key", r->key);
    buf_putc(b, '}');
    if (dup != dup_small)
        free(dup);
}

static void request_parameters(struct recw *w)
{
    struct buf *b = w->b;
    J_LIT(b, ",\"requestParameters\":");
    size_t mark = b->len;
    const char *qp = w->r->record_request_parameters;
    if (w->s3)
        s3_request_parameters(b, w->r, w->redact_grants);
    else if (w->r->protocol == PROTO_QUERY ? !qp || !j_document(b, qp, strlen(qp), false)
                                           : w->op->body != BODY_XML ||
                                                 !j_document(b, w->r->body.mem.data,
                                                             w->r->body.mem.len, false))
        J_LIT(b, "null");
    limit_field(b, mark, w->omit_fields);
}

/* ---- responseElements ------------------------------------------------------------------------ */

static void response_elements(struct recw *w)
{
    struct buf *b = w->b;
    const struct req *r = w->r;
    J_LIT(b, ",\"responseElements\":");
    size_t mark = b->len;
    bool any = false;
    if (!w->op->read_only && !w->failed) {
        if (w->s3) {
            bool first = true;
            for (size_t i = 0; i < sizeof s3_resp_headers / sizeof s3_resp_headers[0]; i++) {
                const char *v = resp_header(r, s3_resp_headers[i]);
                if (!v)
                    continue;
                if (first)
                    buf_putc(b, '{');
                j_member(b, &first, s3_resp_headers[i], v);
                any = true;
            }
            if (any)
                buf_putc(b, '}');
        } else if (r->protocol == PROTO_QUERY) {
            const char *re = r->record_response_elements;
            any = re && j_document(b, re, strlen(re), false);
        } else {
            any = j_document(b, r->resp_body.data, r->resp_body.len, false);
        }
    }
    if (!any)
        J_LIT(b, "null");
    limit_field(b, mark, w->omit_fields);
}

/* ---- additionalEventData (S3) ---------------------------------------------------------------- */

static const char *sse_applied(const struct req *r)
{
    if (resp_header(r, "x-amz-server-side-encryption-customer-algorithm"))
        return "SSE_C";
    const char *sse = resp_header(r, "x-amz-server-side-encryption");
    if (!sse)
        return NULL;
    bool asked = header(r, "x-amz-server-side-encryption") != NULL;
    if (strncmp(sse, "aws:kms", 7) == 0)
        return asked ? "SSE_KMS" : "Default_SSE_KMS";
    return asked ? "SSE_S3" : "Default_SSE_S3";
}

static void additional_event_data(struct recw *w)
{
    struct buf *b = w->b;
    const struct req *r = w->r;
    const struct principal *who = &r->who;
    bool first = true;
    J_LIT(b, ",\"additionalEventData\":{");
    if (who->sig_version == 4 || who->sig_version == 2)
        j_member(b, &first, "SignatureVersion", who->sig_version == 4 ? "SigV4" : "SigV2");
    if (r->tls_cipher)
        j_member(b, &first, "CipherSuite", r->tls_cipher);
    j_key(b, &first, "bytesTransferredIn");
    j_u64(b, r->bytes_in);
    const char *sse = !w->op->read_only && !w->failed ? sse_applied(r) : NULL;
    if (sse)
        j_member(b, &first, "SSEApplied", sse);
    if (who->sig_version && who->auth_method)
        j_member(b, &first, "AuthenticationMethod", who->auth_method);
    j_member(b, &first, "x-amz-id-2", r->host_id);
    j_key(b, &first, "bytesTransferredOut");
    j_u64(b, r->bytes_out);
    buf_putc(b, '}');
}

/* ---- resources ------------------------------------------------------------------------------- */

static void res_sep(struct recw *w, bool *first)
{
    if (!*first)
        buf_putc(w->b, ',');
    *first = false;
    if (!w->res_first)
        buf_putc(w->res, ',');
    w->res_first = false;
}

/* An AWS::S3::Object entry: ARN bucket/key, or ARNPrefix bucket/prefix. */
static void res_object(struct recw *w, bool *first, const char *bucket, const char *key,
                       size_t klen, bool prefix)
{
    res_sep(w, first);
    struct buf *b = w->b;
    J_LIT(b, "{\"type\":\"AWS::S3::Object\",");
    if (prefix)
        J_LIT(b, "\"ARNPrefix\":\"arn:aws:s3:::");
    else
        J_LIT(b, "\"ARN\":\"arn:aws:s3:::");
    j_inner(b, bucket, strlen(bucket));
    buf_putc(b, '/');
    j_inner(b, key, klen);
    J_LIT(b, "\"}");
    J_LIT(w->res, "{\"ResourceType\":\"AWS::S3::Object\",\"ResourceName\":\"");
    j_inner(w->res, bucket, strlen(bucket));
    buf_putc(w->res, '/');
    j_inner(w->res, key, klen);
    J_LIT(w->res, "\"}");
}

static void res_bucket(struct recw *w, bool *first, const char *bucket, const char *owner)
{
    res_sep(w, first);
    struct buf *b = w->b;
    buf_putc(b, '{');
    if (owner && owner[0]) {
        J_LIT(b, "\"accountId\":");
        j_str(b, owner);
        buf_putc(b, ',');
    }
    J_LIT(b, "\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::");
    j_inner(b, bucket, strlen(bucket));
    J_LIT(b, "\"}");
    J_LIT(w->res, "{\"ResourceType\":\"AWS::S3::Bucket\",\"ResourceName\":");
    j_str(w->res, bucket);
    buf_putc(w->res, '}');
}

/* The source of a copy: "[/]bucket/key[?versionId=...]", percent-encoded. */
static void res_copy_source(struct recw *w, bool *first)
{
    const char *cs = header(w->r, "x-amz-copy-source");
    if (!cs)
        return;
    if (cs[0] == '/')
        cs++;
    if (strncmp(cs, "arn:", 4) == 0)
        return; /* an access point ARN: not a bucket/key pair */
    const char *q = strchr(cs, '?');
    size_t n = q ? (size_t)(q - cs) : strlen(cs);
    char *path = NULL;
    size_t plen;
    if (n > 4096 || uri_decode(cs, n, &path, &plen))
        return; /* refused by the handler anyway; nothing trustworthy to name */
    char *slash = memchr(path, '/', plen);
    if (slash && slash != path && slash + 1 < path + plen && !memchr(path, '\0', plen)) {
        *slash = '\0';
        const char *key = slash + 1;
        res_object(w, first, path, key, strlen(key), false);
        if (!w->r->bucket || strcmp(path, w->r->bucket) != 0)
            res_bucket(w, first, path, NULL);
    }
    free(path);
}

/* STS AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity: the role, named by the request's
 * roleArn (the IAM user guide's AssumeRole records: {"ARN","accountId","type":"AWS::IAM::Role"},
 * in that order). Writes nothing and returns false for other calls, or when the roleArn is not an
 * IAM role ARN with a 12-digit account (the call failed validation then; there is no role). */
static bool res_role(struct recw *w)
{
    const struct req *r = w->r;
    if (r->protocol != PROTO_QUERY || !r->record_request_parameters ||
        strcmp(w->op->event_source, "sts.amazonaws.com") != 0 ||
        strncmp(w->op->event_name, "AssumeRole", 10) != 0)
        return false;
    json_t *v = json_loads(r->record_request_parameters, 0, NULL);
    const char *arn = json_string_value(json_object_get(v, "roleArn"));
    /* arn:<partition>:iam::<account>:role/<path and name> */
    const char *p = arn && strncmp(arn, "arn:", 4) == 0 ? strchr(arn + 4, ':') : NULL;
    const char *acct = p && strncmp(p, ":iam::", 6) == 0 ? p + 6 : NULL;
    bool ok = acct && strspn(acct, "0123456789") == 12 && strncmp(acct + 12, ":role/", 6) == 0 &&
              acct[18] != '\0';
    if (ok) {
        bool first = true;
        J_LIT(w->b, ",\"resources\":[{\"ARN\":");
        j_str(w->b, arn);
        J_LIT(w->b, ",\"accountId\":\"");
        buf_append(w->b, acct, 12);
        J_LIT(w->b, "\",\"type\":\"AWS::IAM::Role\"}]");
        res_sep(w, &first);
        J_LIT(w->res, "{\"ResourceType\":\"AWS::IAM::Role\",\"ResourceName\":");
        j_str(w->res, arn);
        buf_putc(w->res, '}');
    }
    json_decref(v);
    return ok;
}

static void resources(struct recw *w)
{
    const struct req *r = w->r;
    const struct s3_op *op = w->op;
    buf_putc(w->res, '[');
    w->res_first = true;
    if (res_role(w)) {
        buf_putc(w->res, ']');
        return;
    }
    if (!r->bucket || (op->resources != RES_BUCKET && op->resources != RES_OBJECT &&
                       op->resources != RES_LIST)) {
        buf_putc(w->res, ']');
        return;
    }
    const char *owner = r->bkt_loaded ? r->bkt.owner_account : NULL;
    bool first = true;
    J_LIT(w->b, ",\"resources\":[");
    if (op->resources == RES_OBJECT && r->key) {
        res_object(w, &first, r->bucket, r->key, strlen(r->key), false);
    } else if (op->resources == RES_LIST) {
        const char *prefix = NULL;
        for (size_t i = 0; i < r->nq && !prefix; i++)
            if (strcmp(r->q[i].name, "prefix") == 0)
                prefix = r->q[i].value ? r->q[i].value : "";
        prefix = prefix ? prefix : "";
        res_object(w, &first, r->bucket, prefix, strlen(prefix), true);
    }
    res_bucket(w, &first, r->bucket, owner);
    if (op->header && strcmp(op->header, "x-amz-copy-source") == 0)
        res_copy_source(w, &first);
    buf_putc(w->b, ']');
    buf_putc(w->res, ']');
}

/* ---- the record ------------------------------------------------------------------------------ */

static void user_agent(struct recw *w)
{
    struct buf *b = w->b;
    const struct req *r = w->r;
    if (r->who.type == PRINCIPAL_AWS_SERVICE) {
        J_LIT(b, ",\"userAgent\":");
        j_str(b, service_name(&r->who));
        return;
    }
    const char *ua = header(r, "User-Agent");
    if (!w->s3 && !ua)
        return;
    size_t n = ua ? strlen(ua) : 0;
    J_LIT(b, ",\"userAgent\":\"");
    if (w->s3) {
        buf_putc(b, '[');
        j_inner(b, ua ? ua : "", utf8_cut(ua ? ua : "", n, TEXT_MAX - 2));
        buf_putc(b, ']');
    } else {
        j_inner(b, ua, utf8_cut(ua, n, TEXT_MAX));
    }
    buf_putc(b, '"');
}

static void error_fields(struct recw *w)
{
    struct buf *b = w->b;
    const struct req *r = w->r;
    if (!w->failed)
        return;
    const char *code = r->api_error[0] ? r->api_error : s3err_code(r->error);
    const char *msg = r->error_message ? r->error_message
                      : r->api_error[0] && !r->error ? ""
                                                     : s3err_message(r->error);
    /* The owner's copy never explains an AccessDenied: the IAM-style text names the requester's
     * user or role ARN, which the copy's AWSAccount identity deliberately leaves out. */
    if (w->owner_view && !r->api_error[0] && r->error == S3E_AccessDenied)
        msg = s3err_message(r->error);
    J_LIT(b, ",\"errorCode\":\"");
    j_inner(b, code, utf8_cut(code, strlen(code), TEXT_MAX));
    J_LIT(b, "\",\"errorMessage\":\"");
    j_inner(b, msg, utf8_cut(msg, strlen(msg), TEXT_MAX));
    buf_putc(b, '"');
}

static void tls_details(struct recw *w)
{
    struct buf *b = w->b;
    const struct req *r = w->r;
    if (!r->tls_cipher || !r->tls_version)
        return;
    J_LIT(b, ",\"tlsDetails\":{\"tlsVersion\":\"");
    /* GnuTLS says "TLS1.3", CloudTrail "TLSv1.3". */
    const char *v = r->tls_version;
    if (strncmp(v, "TLS1", 4) == 0) {
        J_LIT(b, "TLSv");
        v += 3;
    }
    j_inner(b, v, strlen(v));
    J_LIT(b, "\",\"cipherSuite\":");
    j_str(b, r->tls_cipher);
    if (r->host) {
        J_LIT(b, ",\"clientProvidedHostHeader\":\"");
        j_inner(b, r->host, utf8_cut(r->host, strlen(r->host), TEXT_MAX));
        buf_putc(b, '"');
    }
    buf_putc(b, '}');
}

static void build(struct recw *w)
{
    struct buf *b = w->b;
    const struct req *r = w->r;
    const struct s3_op *op = w->op;
    buf_reserve(b, 2048);
    J_LIT(b, "{\"eventVersion\":\"" EVENT_VERSION "\",\"userIdentity\":");
    if (w->owner_view)
        ident_aws_account(b, &r->who);
    else
        user_identity(b, &r->who, w->s3);
    J_LIT(b, ",\"eventTime\":");
    j_str(b, w->event_time);
    J_LIT(b, ",\"eventSource\":");
    j_str(b, op->event_source);
    J_LIT(b, ",\"eventName\":");
    j_str(b, op->event_name);
    J_LIT(b, ",\"awsRegion\":");
    j_str(b, r->region);
    J_LIT(b, ",\"sourceIPAddress\":");
    j_str(b, r->who.type == PRINCIPAL_AWS_SERVICE ? service_name(&r->who) : r->source_ip);
    user_agent(w);
    error_fields(w);
    request_parameters(w);
    response_elements(w);
    if (w->s3)
        additional_event_data(w);
    J_LIT(b, ",\"requestID\":");
    j_str(b, r->request_id);
    J_LIT(b, ",\"eventID\":");
    j_str(b, w->event_id);
    if (op->read_only)
        J_LIT(b, ",\"readOnly\":true");
    else
        J_LIT(b, ",\"readOnly\":false");
    resources(w);
    J_LIT(b, ",\"eventType\":\"AwsApiCall\"");
    if (op->category == CAT_MANAGEMENT)
        J_LIT(b, ",\"managementEvent\":true");
    else
        J_LIT(b, ",\"managementEvent\":false");
    if (w->recipient) {
        J_LIT(b, ",\"recipientAccountId\":");
        j_str(b, w->recipient);
    }
    if (w->shared_id) {
        J_LIT(b, ",\"sharedEventID\":");
        j_str(b, w->shared_id);
    }
    if (op->category == CAT_MANAGEMENT)
        J_LIT(b, ",\"eventCategory\":\"Management\"");
    else
        J_LIT(b, ",\"eventCategory\":\"Data\"");
    tls_details(w);
    buf_putc(b, '}');
}

/* Whose history and trails get the record. */
static const char *recipient_account(const struct req *r)
{
    const struct principal *who = &r->who;
    if (who->type != PRINCIPAL_ANONYMOUS && who->type != PRINCIPAL_AWS_SERVICE)
        return who->account_id[0] ? who->account_id : NULL;
    if (r->bkt_loaded && r->bkt.owner_account[0])
        return r->bkt.owner_account;
    if (who->type == PRINCIPAL_AWS_SERVICE && who->account_id[0])
        return who->account_id;
    return NULL;
}

/* Does the request grant by e-mail address: an x-amz-grant-* header or query parameter naming
 * emailAddress=, or an AccessControlPolicy document with an EmailAddress element? Asked only for
 * the bucket owner's copy of a cross-account call. */
static bool xml_has_email(xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, "EmailAddress") == 0 || xml_has_email(n->children))
            return true;
    }
    return false;
}

static bool grants_by_email(const struct req *r)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (r->headers[i].name && grant_name(r->headers[i].name) && r->headers[i].value &&
            strcasestr(r->headers[i].value, "emailAddress"))
            return true;
    for (size_t i = 0; i < r->nq; i++)
        if (grant_name(r->q[i].name) && r->q[i].value && strcasestr(r->q[i].value, "emailAddress"))
            return true;
    if (r->op->body != BODY_XML || !r->body.mem.data || !r->body.mem.len)
        return false;
    /* Depth: libxml2 refuses documents nested deeper than 256 levels without XML_PARSE_HUGE, so
     * the recursion is bounded. */
    xmlDocPtr doc;
    int rc = xmlin_parse(r->body.mem.data, r->body.mem.len, 0, &doc);
    /* A parse that ran out of memory cannot tell: redact (a later parse of the same body for
     * requestParameters might succeed and would carry the address). */
    if (rc)
        return rc == -ENOMEM;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    bool found = strcmp((const char *)root->name, "AccessControlPolicy") == 0 &&
                 xml_has_email(root->children);
    xmlFreeDoc(doc);
    return found;
}

/* Builds w's record into row (record and resources), retrying with the large fields omitted
 * when the record would exceed 256 KB. 0 or -ENOMEM. */
static int build_row(struct recw *w, struct event_row *row)
{
    struct buf rec = BUF_INIT, res = BUF_INIT;
    w->b = &rec;
    w->res = &res;
    w->omit_fields = false;
    build(w);
    if (buf_ok(&rec) && rec.len > RECORD_MAX) {
        buf_reset(&rec);
        buf_reset(&res);
        w->omit_fields = true;
        build(w);
    }
    w->b = w->res = NULL;
    if (!buf_ok(&rec) || !buf_ok(&res)) {
        buf_free(&rec);
        buf_free(&res);
        return -ENOMEM;
    }
    row->record = buf_detach(&rec);
    row->resources = buf_detach(&res);
    if (!row->record || !row->resources) {
        free(row->record);
        free(row->resources);
        row->record = row->resources = NULL;
        return -ENOMEM;
    }
    return 0;
}

int record_build(const struct req *r, struct event_row *ev, struct event_row *copy)
{
    ev->record = NULL;
    ev->resources = NULL;
    if (copy) {
        copy->record = NULL;
        copy->resources = NULL;
    }
    if (!r->op)
        return -EINVAL;
    int rc = uuid_v4(ev->event_id);
    if (rc)
        return rc;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ev->event_time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

    const struct principal *who = &r->who;
    const char *recipient = recipient_account(r);
    snprintf(ev->account_id, sizeof ev->account_id, "%s", recipient ? recipient : "");
    snprintf(ev->region, sizeof ev->region, "%s", r->region);
    snprintf(ev->event_name, sizeof ev->event_name, "%s", r->op->event_name);
    snprintf(ev->event_source, sizeof ev->event_source, "%s", r->op->event_source);
    ev->read_only = r->op->read_only;
    ev->management = r->op->category == CAT_MANAGEMENT;
    journal_username(who, ev->username, sizeof ev->username);
    snprintf(ev->access_key, sizeof ev->access_key, "%s", who->access_key);

    /* The bucket owner's copy of another account's S3 call (authz decided the owner may see
     * it). Anonymous and AWSService requests have no account of their own: their one record
     * already goes to the bucket owner (recipient_account). */
    const char *owner = r->bkt_loaded ? r->bkt.owner_account : "";
    bool two = copy && r->owner_copy && owner[0] && who->account_id[0] &&
               who->type != PRINCIPAL_ANONYMOUS && who->type != PRINCIPAL_AWS_SERVICE &&
               strcmp(owner, who->account_id) != 0 &&
               strcmp(r->op->event_source, "s3.amazonaws.com") == 0;
    /* sharedEventID: on both copies of a cross-account event, and on the one record an
     * anonymous or AWSService call leaves in the bucket owner's account (every such record in
     * the real S3 samples carries one; no same-account record does). */
    char shared[UUID_STR_LEN];
    bool foreign = recipient && (who->type == PRINCIPAL_ANONYMOUS ||
                                 who->type == PRINCIPAL_AWS_SERVICE);
    if (two || foreign) {
        rc = uuid_v4(shared);
        if (rc)
            return rc;
    }

    struct recw w = {
        .r = r,
        .op = r->op,
        .s3 = r->protocol == PROTO_S3,
        .failed = r->error != 0 || r->api_error[0] != '\0',
        .event_id = ev->event_id,
        .recipient = recipient,
        .shared_id = two || foreign ? shared : NULL,
    };
    format_time(ts.tv_sec, w.event_time);
    rc = build_row(&w, ev);
    if (rc || !two)
        return rc;

    /* The copy: the same call seen from the owner's account. Its journal row has no access key:
     * the owner must not learn (nor look events up by) the requester's key id. */
    *copy = *ev;
    copy->record = copy->resources = NULL;
    copy->access_key[0] = '\0';
    snprintf(copy->account_id, sizeof copy->account_id, "%s", owner);
    rc = uuid_v4(copy->event_id);
    if (rc)
        return rc;
    w.event_id = copy->event_id;
    w.recipient = owner;
    w.owner_view = true;
    w.redact_grants = w.s3 && grants_by_email(r);
    return build_row(&w, copy);
}
