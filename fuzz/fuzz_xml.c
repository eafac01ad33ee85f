/*
 * fuzz_xml — every XML request-body parser: the three S3 handlers that read a document
 * (CreateBucket's CreateBucketConfiguration, DeleteObjects' Delete, CompleteMultipartUpload's
 * part list; all through s3_parse_xml_body, reached through fuzz/shims.h), and the CloudTrail
 * record's requestParameters, which turns the XML body of any S3 write into JSON
 * (trail/record.c s3_xml_document / xml_value), for every operation that buffers an XML body.
 *
 * Input: byte 0 selects the parser, the rest is the body:
 *   0 CreateBucketConfiguration   1 Delete   2 CompleteMultipartUpload
 *   3.. the record of an XML-body operation (byte 0 - 3 indexes record_ops[])
 *
 * Invariants: a parser that refuses sets an S3 error on the request; what it accepts satisfies
 * what its handler relies on (checked in the shims); a record is one JSON object, without
 * duplicate members or line breaks, of at most 256 KiB.
 */
#include <jansson.h>
#include <libxml/parser.h>
#include <string.h>

#include "harness.h"
#include "http/req.h"
#include "shims.h"
#include "trail/record.h"

/* The operations whose record carries the XML body (the ones without handlers are recorded
 * too: their NotImplemented answer is audited like any other). */
static const char *const record_ops[] = {
    "CreateBucket",
    "CompleteMultipartUpload",
    "PutBucketTagging",
    "PutBucketAcl",
    "PutBucketLifecycleConfiguration",
    "PutBucketVersioning",
    "PutBucketCors",
    "PutObjectTagging",
    "PutObjectAcl",
    "RestoreObject",
};
#define N_RECORD_OPS (sizeof record_ops / sizeof record_ops[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    for (size_t i = 0; i < N_RECORD_OPS; i++)
        FUZZ_CHECK(optable_find(record_ops[i]) != NULL);
    return 0;
}

static void check_record(struct req *r, const char *op)
{
    r->op = optable_find(op);
    r->method = r->op->method;
    r->bucket = "examplebucket";
    if (r->op->shape == SHAPE_OBJECT)
        r->key = "photos/2006/February/sample.jpg";
    struct event_row ev;
    memset(&ev, 0, sizeof ev);
    if (record_build(r, &ev, NULL) != 0)
        return;
    FUZZ_CHECK(ev.record && ev.resources);
    FUZZ_CHECK(strlen(ev.record) <= 256 * 1024 && !strchr(ev.record, '\n'));
    json_error_t err;
    json_t *rec = json_loads(ev.record, JSON_REJECT_DUPLICATES, &err);
    if (!rec)
        fprintf(stderr, "record is not JSON (%s): %s\n", err.text, ev.record);
    FUZZ_CHECK(json_is_object(rec));
    FUZZ_CHECK(json_is_object(json_object_get(rec, "requestParameters")));
    json_decref(rec);
    json_t *res = json_loads(ev.resources, JSON_REJECT_DUPLICATES, &err);
    FUZZ_CHECK(json_is_array(res));
    json_decref(res);
    free(ev.record);
    free(ev.resources);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct req *r = fuzz_req_new(data + 1, size - 1);
    if (!r)
        return 0;
    char region[32];
    switch (data[0]) {
    case 0:
        (void)fuzz_xml_create_bucket(r, region);
        break;
    case 1:
        (void)fuzz_xml_delete_objects(r);
        break;
    case 2:
        (void)fuzz_xml_complete_multipart(r);
        break;
    default:
        check_record(r, record_ops[(data[0] - 3) % N_RECORD_OPS]);
        break;
    }
    fuzz_req_free(r);
    return 0;
}
