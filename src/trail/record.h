/*
 * record — the CloudTrail record of one request, shaped exactly like AWS's (formats:
 * ../shared/reference/cloudtrail.md §1–§2; real records: ../shared/reference/aws-samples/).
 *
 * record_build() runs once the response is decided: r->status, r->error / r->api_error and
 * r->error_message, the response headers, r->bytes_in and the response body length are final.
 * It fills every field of the journal row (event id, time, account, region, name, source,
 * readOnly, management, username, access key, the LookupEvents resources) and the record JSON.
 *
 * The record for S3 (eventSource s3.amazonaws.com) follows S3's conventions (bracketed
 * userAgent, requestParameters with bucketName/Host/key/every query parameter/XML body as nested
 * JSON, responseElements for writes, additionalEventData); other sources (the CloudTrail JSON
 * API) follow theirs (requestParameters = the JSON request, responseElements = the JSON response
 * for writes, plain userAgent, no additionalEventData); the Query API (IAM, STS) writes the JSON
 * texts its handler left in r->record_request_parameters / r->record_response_elements.
 *
 * Cross-account S3 calls (r->owner_copy, set by authz) make two records of one event: the
 * requester's, and the bucket owner's copy, in which the requester appears as
 * {"type":"AWSAccount","principalId":...,"accountId":...}, the journal row has no access key,
 * and e-mail grants are left out of requestParameters. The shapes and their sources are listed
 * at the top of record.c and in docs/records.md.
 */
#ifndef S3TRAIL_RECORD_H
#define S3TRAIL_RECORD_H

#include "store/store.h"

struct req;

/* Builds the requester's record into ev and, when copy is not NULL and r->owner_copy is set, the
 * bucket owner's copy into copy (copy->record stays NULL when there is none: not an S3 call, the
 * bucket not loaded, the requester anonymous, an AWS service or the owner itself). Both copies
 * of a cross-account event carry one sharedEventID and differ in eventID, recipientAccountId and
 * userIdentity; copy's journal row is ev's with the owner's account_id, a fresh event_id and
 * access_key "". Callers that never append a copy (delivery) pass NULL.
 * 0, or -ENOMEM, -EIO (no randomness for the event id), -EINVAL (r->op is NULL). The owned
 * fields of ev and copy are the caller's (free()), also on failure. */
int record_build(const struct req *r, struct event_row *ev, struct event_row *copy)
    __attribute__((warn_unused_result));

#endif
