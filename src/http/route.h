/*
 * route — from a request target to an operation row and a handler call.
 *
 * Calling sequence (server.c): route_request() on the first call (target → bucket, key, query;
 * operation lookup in the table), authn_request(), route_prepare() (bucket lookup, authorization,
 * limits, body intake set-up — still before `100 Continue`), then after the body
 * route_finish_body() (digest checks) and route_dispatch() (the handler).
 * Each returns 0 or a negative S3 error (with details recorded in r through req_error()).
 */
#ifndef S3TRAIL_ROUTE_H
#define S3TRAIL_ROUTE_H

struct req;

int route_request(struct req *r) __attribute__((warn_unused_result));
int route_prepare(struct req *r) __attribute__((warn_unused_result));
int route_finish_body(struct req *r) __attribute__((warn_unused_result));
int route_dispatch(struct req *r) __attribute__((warn_unused_result));

/* Matches the operation table against method, shape, query and headers; NULL if no row. */
const struct s3_op *route_match(const struct req *r, int shape);

#endif
