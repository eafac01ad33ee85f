/*
 * authn — who sent a request: SigV4 (Authorization header, presigned query, streaming chunk
 * signatures set up for body intake), SigV2 (header and query), or nobody (anonymous).
 *
 * authn_request() fills r->who and r->body's payload protection, or answers with S3's error:
 * InvalidAccessKeyId, SignatureDoesNotMatch (with StringToSign / CanonicalRequest elements),
 * RequestTimeTooSkewed (more than 15 minutes), AccessDenied "Request has expired" (presigned),
 * AuthorizationHeaderMalformed, AuthorizationQueryParametersError, InvalidToken.
 * These failures happen before an operation runs, so (as in AWS) they are not audited.
 */
#ifndef S3TRAIL_AUTHN_H
#define S3TRAIL_AUTHN_H

struct req;

#define AUTHN_MAX_SKEW_S (15 * 60)

int authn_request(struct req *r) __attribute__((warn_unused_result));
/* For requests whose signature covers a body hash they do not send (SigV4 for the JSON APIs):
 * verifies it once the body is in. 0 when nothing was deferred. */
int authn_finish_body(struct req *r) __attribute__((warn_unused_result));

#endif
