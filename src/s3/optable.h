/*
 * optable — the one static table of every S3 operation (botocore's S3 model, the three S3
 * Control account-level PublicAccessBlock calls, OPTIONS and PostObject).
 *
 * Routing, authorization, the CloudTrail catalog and the README's supported-operations table all
 * read it. Rows are matched IN ORDER: a row matches a request when the method and path shape
 * match, every query parameter in `query` is present (with the given value when written
 * "name=value"), and the `header` rule holds. So more specific rows come before less specific
 * ones with the same method and shape (UploadPartCopy before UploadPart before PutObjectAcl ...
 * before CopyObject before PutObject).
 *
 * Adding an operation is filling its `handler` column (and its tests).
 */
#ifndef S3TRAIL_OPTABLE_H
#define S3TRAIL_OPTABLE_H

#include <stdbool.h>
#include <stddef.h>

struct req;
typedef int (*s3_handler_fn)(struct req *r);

enum op_shape {
    SHAPE_SERVICE, /* GET / : no bucket */
    SHAPE_BUCKET,  /* /{bucket} */
    SHAPE_OBJECT,  /* /{bucket}/{key+} */
    SHAPE_ACCOUNT, /* S3 Control: /v20180820/... with x-amz-account-id */
};

enum op_category { CAT_MANAGEMENT, CAT_DATA };

/* What the CloudTrail record's resources[] holds. */
enum op_resources {
    RES_NONE,        /* ListBuckets */
    RES_BUCKET,      /* AWS::S3::Bucket */
    RES_OBJECT,      /* AWS::S3::Object + AWS::S3::Bucket */
    RES_LIST,        /* ARNPrefix AWS::S3::Object (bucket/prefix) + AWS::S3::Bucket */
    RES_ACCOUNT,     /* account-level (S3 Control) */
};

/* How the request body is taken before the handler runs. */
enum op_body {
    BODY_NONE,   /* a body is read and dropped (S3 ignores bodies on these) */
    BODY_XML,    /* buffered in memory up to OP_XML_BODY_MAX, for small XML/JSON documents */
    BODY_OBJECT, /* streamed into a blob (or kept inline when small), digests computed */
};

#define OP_XML_BODY_MAX (2u * 1024 * 1024)

enum op_flags {
    OPF_NONE = 0,
    OPF_FORM = 1 << 0,       /* Content-Type multipart/form-data (PostObject) */
    OPF_UNROUTED = 1 << 1,   /* only reachable on a special AWS host (s3express, object lambda)
                                or through SOAP: never matched by routing here */
    OPF_ANON_OK = 1 << 2,    /* unauthenticated by design (OPTIONS preflight) */
};

struct s3_op {
    const char *name;         /* SDK operation name: "ListObjectsV2" */
    const char *method;       /* "GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS" */
    enum op_shape shape;
    const char *query;        /* space-separated required query parameters ("partNumber
                                 uploadId", "list-type=2"), or NULL */
    const char *header;       /* a header that must be present ("x-amz-copy-source") or, with a
                                 leading '!', absent; or NULL */
    const char *iam_action;   /* "s3:GetObject" */
    const char *event_name;   /* CloudTrail eventName ("ListObjects" for ListObjectsV2) */
    const char *event_source; /* "s3.amazonaws.com" */
    enum op_category category;
    bool read_only;
    enum op_resources resources;
    enum op_body body;
    unsigned flags;
    s3_handler_fn handler;    /* NULL: answers NotImplemented */
    s3_handler_fn precheck;   /* optional: the handler's checks that need no body, run before
                                 the body is accepted (before `100 Continue`), so a request that
                                 will be refused never uploads gigabytes first */
};

extern const struct s3_op s3_ops[];
extern const size_t s3_ops_count;

/* Looks up a row by SDK operation name; NULL if none. */
const struct s3_op *optable_find(const char *name);

struct buf;
/* Appends the supported-operations table (Markdown: Operation | HTTP | CloudTrail eventName |
 * Category | readOnly | Status), one line per row in table order; the README embeds it. Returns
 * 0, or the buf error (-ENOMEM, -E2BIG) with `out` holding a partial table to discard. */
int optable_write_markdown(struct buf *out) __attribute__((warn_unused_result));

#endif
