/*
 * errors — every S3 error s3trail can answer, defined once.
 *
 * S3_ERROR_MAP(X) lists X(name, http_status, "message"). `name` is S3's error code exactly as it
 * appears in <Code> (and later in a CloudTrail record's errorCode); the enum, the XML error body
 * and the status all come from this one table. Handlers return negative s3 error values
 * (-S3E_NoSuchKey); internal causes (ENOSPC, SQLITE_BUSY, ENOMEM) are mapped to service errors by
 * s3err_from_errno() in one place.
 */
#ifndef S3TRAIL_S3_ERRORS_H
#define S3TRAIL_S3_ERRORS_H

#define S3_ERROR_MAP(X)                                                                          \
    X(AccessDenied, 403, "Access Denied")                                                        \
    X(AccessForbidden, 403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.") \
    X(AccountProblem, 403, "There is a problem with your AWS account that prevents the operation from completing successfully.") \
    X(AuthorizationHeaderMalformed, 400, "The authorization header is malformed.")               \
    X(AuthorizationQueryParametersError, 400, "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.") \
    X(BadDigest, 400, "The Content-MD5 you specified did not match what we received.")           \
    X(BucketAlreadyExists, 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.") \
    X(BucketAlreadyOwnedByYou, 409, "Your previous request to create the named bucket succeeded and you already own it.") \
    X(BucketNotEmpty, 409, "The bucket you tried to delete is not empty")                        \
    X(ConditionalRequestConflict, 409, "The conditional request cannot succeed due to a conflicting operation against this resource.") \
    X(EntityTooLarge, 400, "Your proposed upload exceeds the maximum allowed size")              \
    X(EntityTooSmall, 400, "Your proposed upload is smaller than the minimum allowed size")      \
    X(ExpiredToken, 400, "The provided token has expired.")                                      \
    X(IllegalLocationConstraintException, 400, "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.") \
    X(IncompleteBody, 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.") \
    X(InternalError, 500, "We encountered an internal error. Please try again.")                 \
    X(InvalidAccessKeyId, 403, "The AWS Access Key Id you provided does not exist in our records.") \
    X(InvalidArgument, 400, "Invalid Argument")                                                  \
    X(InvalidBucketName, 400, "The specified bucket is not valid.")                              \
    X(InvalidBucketState, 409, "The request is not valid with the current state of the bucket.") \
    X(InvalidDigest, 400, "The Content-MD5 you specified is not valid.")                         \
    X(InvalidLocationConstraint, 400, "The specified location-constraint is not valid")          \
    X(InvalidObjectState, 403, "The operation is not valid for the current state of the object.") \
    X(InvalidPart, 400, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.") \
    X(InvalidPartOrder, 400, "The list of parts was not in ascending order. Parts must be ordered by part number.") \
    X(InvalidRange, 416, "The requested range is not satisfiable")                               \
    X(InvalidRequest, 400, "Invalid Request")                                                    \
    X(InvalidStorageClass, 400, "The storage class you specified is not valid")                  \
    X(InvalidToken, 400, "The provided token is malformed or otherwise invalid.")                \
    X(InvalidURI, 400, "Couldn't parse the specified URI.")                                      \
    X(KeyTooLongError, 400, "Your key is too long")                                              \
    X(MaxMessageLengthExceeded, 400, "Your request was too big.")                                \
    X(MalformedXML, 400, "The XML you provided was not well-formed or did not validate against our published schema") \
    X(MalformedPolicy, 400, "Policies must be valid JSON and the first byte must be '{'")         \
    X(MetadataTooLarge, 400, "Your metadata headers exceed the maximum allowed metadata size")   \
    X(MethodNotAllowed, 405, "The specified method is not allowed against this resource.")       \
    X(MissingContentLength, 411, "You must provide the Content-Length HTTP header.")             \
    X(MissingRequestBodyError, 400, "Request Body is empty")                                     \
    X(MissingSecurityHeader, 400, "Your request is missing a required header")                   \
    X(NoSuchBucket, 404, "The specified bucket does not exist")                                  \
    X(NoSuchBucketPolicy, 404, "The bucket policy does not exist")                               \
    X(NoSuchKey, 404, "The specified key does not exist.")                                       \
    X(NoSuchUpload, 404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.") \
    X(NoSuchVersion, 404, "The specified version does not exist.")                               \
    X(NotImplemented, 501, "A header you provided implies functionality that is not implemented") \
    X(NotModified, 304, "Not Modified")                                                          \
    X(PreconditionFailed, 412, "At least one of the pre-conditions you specified did not hold")  \
    X(RequestHeaderSectionTooLarge, 400, "Your request header section exceeds the maximum allowed size.") \
    X(RequestTimeout, 400, "Your socket connection to the server was not read from or written to within the timeout period.") \
    X(RequestTimeTooSkewed, 403, "The difference between the request time and the current time is too large.") \
    X(ServiceUnavailable, 503, "Please reduce your request rate.")                               \
    X(SignatureDoesNotMatch, 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.") \
    X(SlowDown, 503, "Please reduce your request rate.")                                         \
    X(TooManyBuckets, 400, "You have attempted to create more buckets than allowed")             \
    X(XAmzContentSHA256Mismatch, 400, "The provided 'x-amz-content-sha256' header does not match what was computed.") \
    X(InvalidChunkSizeError, 403, "Only the last chunk is allowed to have a size less than 8192 bytes") \
    X(InvalidEncryptionAlgorithmError, 400, "The encryption request you specified is not valid. The valid value is AES256.") \
    X(InvalidTag, 400, "The TagValue you have provided is invalid")                              \
    X(BadRequest, 400, "Bad Request")                                                            \
    X(UnexpectedContent, 400, "This request does not support content")                           \
    X(IncorrectNumberOfFilesInPostRequest, 400, "POST requires exactly one file upload per request.") \
    X(InvalidContinuationToken, 400, "The continuation token provided is incorrect")            \
    X(AccessControlListNotSupported, 400, "The bucket does not allow ACLs")                      \
    X(InvalidBucketAclWithObjectOwnership, 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting") \
    X(MalformedACLError, 400, "The XML you provided was not well-formed or did not validate against our published schema") \
    X(UnresolvableGrantByEmailAddress, 400, "The e-mail address you provided does not match any account on record.") \
    X(OwnershipControlsNotFoundError, 404, "The bucket ownership controls were not found")       \
    X(NoSuchPublicAccessBlockConfiguration, 404, "The public access block configuration was not found")

enum s3_error {
    S3E_OK = 0,
#define S3E_ENUM(name, status, msg) S3E_##name,
    S3_ERROR_MAP(S3E_ENUM)
#undef S3E_ENUM
        S3E__COUNT
};

/* Code string ("NoSuchKey"); e may be positive or negative. Unknown values give "InternalError". */
const char *s3err_code(int e);
int s3err_status(int e);
const char *s3err_message(int e);
/* Map an internal failure (-errno from util/ or store/) to the S3 error a client should see:
 * EBUSY/EAGAIN (the store's SQLITE_BUSY) → SlowDown, ENOMEM → ServiceUnavailable, anything else
 * (ENOSPC, EIO, ...) → InternalError. Returns a negative s3 error. This is the one place where
 * internal causes become service errors. */
int s3err_from_errno(int neg_errno);

#endif
