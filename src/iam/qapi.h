/*
 * qapi — the AWS Query protocol (IAM, STS) served on the S3 port: recognising a call, its
 * operation table, reading its parameters, and writing its answers.
 *
 * Protocol: `POST /` with Content-Type application/x-www-form-urlencoded and a form body
 * (Action=CreateUser&Version=2010-05-08&UserName=bob), or `GET /?Action=...`. Which service is
 * called is the SigV4 credential scope's service ("iam" or "sts"); nothing else on the wire says
 * it, since both share this endpoint. Success is 200, Content-Type text/xml,
 *   <XxxResponse xmlns="<ns>"><XxxResult>...</XxxResult>
 *   <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></XxxResponse>
 * (no XxxResult for actions without output); errors are
 *   <ErrorResponse xmlns="<ns>"><Error><Type>Sender|Receiver</Type><Code>..</Code>
 *   <Message>..</Message></Error><RequestId>id</RequestId></ErrorResponse>
 * written by server.c (qapi_write_error) from r->api_error / r->error, with their HTTP status.
 *
 * Calling sequence: routing (route.c) asks qapi_detect(); for a Query call it sets
 * r->protocol = PROTO_QUERY and r->op = the service's pending row (QAPI_PENDING_IAM / _STS),
 * whose body is buffered (BODY_XML) and whose handler is qapi_dispatch(). Authentication checks
 * the signature against the service in the pending row's event_source. Until the action is
 * known the request is not audited (an unknown action is not recorded, as in AWS); once the body
 * is in, qapi_dispatch() parses the parameters (form body first, then the query string), finds
 * the action's row in iam_ops / sts_ops, makes it r->op, marks the request audited, sets the
 * record's region (IAM is global: us-east-1; STS: the signed region) and runs its handler.
 *
 * Handlers read parameters with qapi_param() and the validating qapi_str() / qapi_int(), answer
 * with qapi_result_begin() ... qapi_result_end() (or qapi_reply_empty()), and fail with
 * req_api_error() (status, IAM error code, message). Names of elements follow botocore's
 * iam/2010-05-08 and sts/2011-06-15 models; lists are <member> items; timestamps are ISO 8601
 * seconds in UTC ("2026-11-24T10:00:00Z").
 */
#ifndef S3TRAIL_QAPI_H
#define S3TRAIL_QAPI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3/optable.h"

struct req;
struct buf;

#define QAPI_IAM_XMLNS "https://iam.amazonaws.com/doc/2010-05-08/"
#define QAPI_STS_XMLNS "https://sts.amazonaws.com/doc/2011-06-15/"
#define QAPI_IAM_SOURCE "iam.amazonaws.com"
#define QAPI_STS_SOURCE "sts.amazonaws.com"
/* IAM is a global service: its events are recorded in us-east-1 whatever the endpoint. */
#define QAPI_IAM_REGION "us-east-1"

/* One row per operation of botocore's models (iam/2010-05-08: 176, sts/2011-06-15: 11), in the
 * models' order: name = the Action, method POST, SHAPE_SERVICE, iam_action "<svc>:<Action>",
 * event_name = the Action, event_source iam.amazonaws.com / sts.amazonaws.com, management,
 * read_only for IAM's Get, List and Simulate actions and for the STS calls that change nothing
 * in the account (see qapi.c), RES_NONE, BODY_XML. handler NULL: answered NotImplemented (501).
 */
extern const struct s3_op iam_ops[];
extern const size_t iam_ops_count;
extern const struct s3_op sts_ops[];
extern const size_t sts_ops_count;
/* The rows a Query call has before its Action is read (handler qapi_dispatch). */
extern const struct s3_op qapi_pending_iam;
extern const struct s3_op qapi_pending_sts;

/* Whether the request is a Query API call: POST / (no bucket, no X-Amz-Target) with a
 * form-urlencoded Content-Type, or GET / with an Action query parameter. Returns the pending row
 * of the service its SigV4 credential scope names; for an unsigned call (or one signed for
 * another service, which then fails authentication with the usual error) the IAM row. NULL when
 * it is not a Query call. `has_bucket`: the Host named a virtual-hosted bucket. */
const struct s3_op *qapi_detect(const struct req *r, bool has_bucket);

/* Whether op belongs to STS (else IAM). */
bool qapi_is_sts(const struct s3_op *op);
/* The service's signing name for authentication: "iam" or "sts". */
const char *qapi_service(const struct s3_op *op);

/* The pending rows' handler (see the top comment). */
int qapi_dispatch(struct req *r);

/* The ErrorResponse body for a failed Query call (server.c's finalize): sets Content-Type. */
void qapi_write_error(struct req *r);

/* ---- parameters -------------------------------------------------------------------------- */

/* The value of parameter `name` (case-sensitive), NULL when absent. Valid for the request. */
const char *qapi_param(const struct req *r, const char *name);

/* Answers 501 NotImplemented when the request carries any of the NULL-terminated `names`, as a
 * scalar or as a list or map (Tags.member.1.Key, PolicyArns.member.2.arn: any parameter named
 * name + "."...): parameters this server does not act on are refused, never ignored. 0 when
 * none is present. */
int qapi_refuse_unsupported(struct req *r, const char *const *names)
    __attribute__((warn_unused_result));

/* Character sets of the models' patterns. */
enum qapi_chars {
    QC_ANY,      /* no pattern */
    QC_NAME,     /* [\w+=,.@-] : user, role, policy and session names */
    QC_PATH,     /* (\u002F)|(\u002F[\u0021-\u007E]+\u002F) : entity paths */
    QC_POLPATH,  /* ((/[A-Za-z0-9\.,\+@=_-]+)*)/ : managed policy paths */
    QC_PREFIX,   /* \u002F[\u0021-\u007F]* : PathPrefix */
    QC_DOCUMENT, /* [\u0009\u000A\u000D\u0020-\u00FF]+ : policy documents (UTF-8 read as
                    code points) */
    QC_ID,       /* [\w] : access key ids */
};

/* Reads a string parameter and checks it against the model: presence (required), length in
 * characters (min..max, max 0 = none) and pattern. 0 with *out (NULL when absent and optional);
 * otherwise ValidationError (400) is set on r and a negative value returned. `member` is the
 * lowerCamelCase name AWS's messages use ("userName"). */
int qapi_str(struct req *r, const char *name, const char *member, bool required, size_t min,
             size_t max, enum qapi_chars chars, const char **out)
    __attribute__((warn_unused_result));
/* An integer parameter within min..max (ValidationError otherwise). *present false and *out
 * untouched when absent. */
int qapi_int(struct req *r, const char *name, const char *member, long long min, long long max,
             bool *present, long long *out) __attribute__((warn_unused_result));
/* A boolean parameter ("true"/"false"); *out untouched when absent. */
int qapi_bool(struct req *r, const char *name, const char *member, bool *out)
    __attribute__((warn_unused_result));

/* ---- answers ----------------------------------------------------------------------------- */

/* Starts <ActionResponse xmlns=...><ActionResult> in r->resp_body (Content-Type text/xml). */
int qapi_result_begin(struct req *r) __attribute__((warn_unused_result));
/* Closes the result, writes ResponseMetadata, status 200. 0, or the buffer's error mapped onto
 * r (ServiceUnavailable), negative. */
int qapi_result_end(struct req *r) __attribute__((warn_unused_result));
/* The whole answer of an action without output: <ActionResponse><ResponseMetadata>.... */
int qapi_reply_empty(struct req *r) __attribute__((warn_unused_result));

/* <tag>escaped text</tag>; nothing when text is NULL. */
void qapi_x(struct buf *b, const char *tag, const char *text);
/* <tag>2026-11-24T10:00:00Z</tag> for epoch milliseconds. */
void qapi_xtime(struct buf *b, const char *tag, int64_t ms);
void qapi_xint(struct buf *b, const char *tag, long long v);
/* "2026-11-24T10:00:00Z" for epoch ms (out: 21 bytes at least). */
void qapi_iso_time(int64_t ms, char out[32]);

/* Hands the request's record fields over: requestParameters / responseElements as compact JSON
 * (obj is consumed; NULL leaves the field null). 0 or -ENOMEM. */
int qapi_record_request(struct req *r, json_t *obj) __attribute__((warn_unused_result));
int qapi_record_response(struct req *r, json_t *obj) __attribute__((warn_unused_result));

/* A req_commit continuation for handlers whose apply built the whole answer (or set the error
 * with req_api_error and returned negative): returns r->commit_rc, mapping a store errno that
 * carries no API error to ServiceFailure (500). */
int qapi_then(struct req *r);
/* Maps a store -errno to ServiceFailure (500) / Throttling for -EBUSY; returns negative. */
int qapi_store_error(struct req *r, int rc);

#endif
