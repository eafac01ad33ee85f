/*
 * cors.c — the CORS preflight (OPTIONS object, CloudTrail's PreflightRequest).
 *
 * A preflight is judged against the bucket's CORS configuration. Bucket CORS configurations
 * (PutBucketCors & co.) are not built yet and answer NotImplemented, so no bucket can have one:
 * every well-formed preflight is refused with 403 AccessForbidden, which is exactly S3's answer
 * for a bucket without CORS. When PutBucketCors lands, the rule matching goes here.
 */
#include <string.h>

#include "http/req.h"
#include "s3/errors.h"
#include "s3/handlers.h"

int h_options_object(struct req *r)
{
    if (!req_header(r, "Origin"))
        return req_error(r, S3E_BadRequest,
                         "Insufficient information. Origin request header needed.");
    const char *method = req_header(r, "Access-Control-Request-Method");
    if (!method)
        return req_error(r, S3E_BadRequest,
                         "Insufficient information. Access-Control-Request-Method request "
                         "header needed.");
    static const char *const methods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};
    bool known = false;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        known = known || strcmp(method, methods[i]) == 0;
    if (!known)
        return req_errorf(r, S3E_BadRequest, "Invalid Access-Control-Request-Method: %s", method);
    buf_puts(&r->error_extra, "<Method>");
    buf_put_xml(&r->error_extra, method);
    buf_puts(&r->error_extra, "</Method><ResourceType>OBJECT</ResourceType>");
    return req_error(r, S3E_AccessForbidden, "CORSResponse: CORS is not enabled for this bucket.");
}
