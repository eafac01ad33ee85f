/*
 * ctapi — the CloudTrail control-plane API (AWS JSON 1.1) served on the S3 port.
 *
 * Protocol (shared/reference/cloudtrail.md §5.1): every call is `POST /` with
 * `X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Operation>`, a JSON
 * object body (`{}` for no input), SigV4 for service `cloudtrail`. Success is 200 with
 * `Content-Type: application/x-amz-json-1.1` and a JSON object; errors are
 * {"__type":"<Exception>","message":"..."} written by the server from req_api_error().
 *
 * Calling sequence: routing sees X-Amz-Target on a POST and calls ct_route() to get the
 * operation's row (an s3_op, so authentication, authorization and the audit record treat
 * CloudTrail calls like S3 ones: the row's iam_action, event_name, event_source, category and
 * read_only feed them). The body is buffered (BODY_XML) in r->body.mem. A row without a handler
 * is answered with ct_not_implemented(); a handler reads its input with ct_request_body() and
 * answers with ct_reply() or req_api_error().
 *
 * Timestamps in requests and responses are JSON numbers of epoch seconds (the JS SDK refuses
 * anything else in responses); requests are read with ct_json_time(), which also takes floats
 * and numeric strings.
 */
#ifndef S3TRAIL_CTAPI_H
#define S3TRAIL_CTAPI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3/optable.h"

struct req;

#define CT_TARGET_PREFIX "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
#define CT_EVENT_SOURCE "cloudtrail.amazonaws.com"

/* One row per operation of botocore's CloudTrail model (cloudtrail/2013-11-01), in the model's
 * (alphabetical) order: name = operation, method POST, SHAPE_SERVICE, iam_action
 * "cloudtrail:<Op>", event_name = the operation, event_source cloudtrail.amazonaws.com,
 * management, read_only for Describe* / Get* / List* / LookupEvents, RES_NONE, BODY_XML (the JSON
 * body is buffered like a small XML document). handler NULL = not implemented yet. */
extern const struct s3_op ct_ops[];
extern const size_t ct_ops_count;

/* The row for an X-Amz-Target of CT_TARGET_PREFIX + <Operation> (exact, case-sensitive), or NULL
 * for anything else (another service's target, an unknown operation, NULL). */
const struct s3_op *ct_route(const char *x_amz_target);

/* The answer for a row without a handler: UnsupportedOperationException (400), "The <Op>
 * operation is not implemented by this server yet". Returns the negative value to hand back. */
int ct_not_implemented(struct req *r);

/* The request body as a JSON object: a new reference the caller json_decref()s. An empty body is
 * {}. A body that is not a JSON object answers SerializationException (400) through
 * req_api_error() and returns NULL (the handler then returns a negative value, e.g. -1). */
json_t *ct_request_body(struct req *r);

/* Answers 200 with `out` as compact JSON (Content-Type application/x-amz-json-1.1). Takes
 * ownership of out, also on failure. Returns 0, or a negative error already recorded in r (out
 * of memory). Reals are written with 15 significant digits, enough for epoch seconds with
 * millisecond fractions, so 1454022144.869 is not written as 1454022144.8689999. */
int ct_reply(struct req *r, json_t *out);

/* Reads a timestamp member: a JSON integer or real, or (defensively) a string holding a decimal
 * number, of epoch seconds. 0 with *secs set; -1 when v is none of these or not finite. */
int ct_json_time(const json_t *v, double *secs);

/* Event-history retention for LookupEvents: only events at most this old are returned (default
 * 90 days; the server sets it from --retention-days). 0 or less: no limit. */
extern int64_t ct_retention_ms;

/* ---- LookupEvents (lookup.c) --------------------------------------------------------------- */

/* The LookupEvents handler: the caller's (r->who.account_id) management events in r->region,
 * newest first, filtered and paged as cloudtrail.md §5.3 describes. */
int ct_lookup_events(struct req *r);

/*
 * Paging tokens. A NextToken carries the cursor (the next page holds rows with seq < before_seq)
 * and a hash of every other parameter that decides the result (caller's account and region,
 * lookup attribute, time range, event category; not MaxResults, which may change between pages).
 * It is 32 base64 characters: version, before_seq, the parameter hash and a check value over
 * both, so garbage or an edited token is refused. The check is not a secret MAC: a forged token
 * can only move the cursor within the caller's own history, which the caller may read anyway.
 * Consecutive pages have strictly decreasing cursors, so a token is never returned twice.
 */
#define CT_TOKEN_LEN 32
/* Writes the token and a NUL into out (CT_TOKEN_LEN + 1 bytes). before_seq must be > 0. */
void ct_token_encode(int64_t before_seq, uint64_t params_hash, char out[CT_TOKEN_LEN + 1]);
/* 0 with *before_seq (> 0) and *params_hash set, or -1 for anything that is not a token this
 * server wrote. */
int ct_token_decode(const char *token, int64_t *before_seq, uint64_t *params_hash);

#endif
