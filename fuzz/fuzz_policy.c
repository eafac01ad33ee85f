/*
 * fuzz_policy — bucket policy documents (s3/policy.h): the PutBucketPolicy checks, the
 * CloudTrail delivery question asked of a trail bucket's policy, and the policy as the
 * CloudTrail record of PutBucketPolicy carries it (requestParameters.bucketPolicy, re-serialised
 * by trail/record.c).
 *
 * Input: byte 0 picks the bucket (bits 0-1), the trail's key prefix (bits 2-3) and whether the
 * trail ARN is known (bit 4); the rest is the policy document as a client sends it.
 *
 * Invariants: policy_check answers 0, -EINVAL with a message, or -ENOMEM, and what it accepts
 * holds no NUL byte (the handler stores it as a C string); policy_allows_cloudtrail answers 0, 1,
 * -EINVAL or -ENOMEM, and 1 only for a JSON document; both answer the same for the document
 * re-indented (white space is not part of a policy: S3 counts its size normalised); the record
 * is one JSON object.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "http/req.h"
#include "s3/policy.h"
#include "trail/record.h"

static const char *const buckets[] = {"b", "examplebucket", "my-trail-bucket", "a.b-c"};
static const char *const prefixes[] = {NULL, "", "prefix", "a/b"};
#define TRAIL_ARN "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"
#define ACCOUNT "111122223333"

static void check_record(const uint8_t *doc, size_t n, const char *bucket)
{
    struct req *r = fuzz_req_new(doc, n);
    if (!r)
        return;
    r->op = optable_find("PutBucketPolicy");
    FUZZ_CHECK(r->op != NULL);
    r->method = r->op->method;
    r->bucket = (char *)bucket;
    struct event_row ev;
    memset(&ev, 0, sizeof ev);
    if (record_build(r, &ev, NULL) == 0) {
        json_error_t err;
        json_t *rec = json_loads(ev.record, JSON_REJECT_DUPLICATES, &err);
        if (!rec)
            fprintf(stderr, "record is not JSON (%s): %s\n", err.text, ev.record);
        FUZZ_CHECK(json_is_object(rec));
        FUZZ_CHECK(!strchr(ev.record, '\n'));
        json_decref(rec);
        free(ev.record);
        free(ev.resources);
    }
    fuzz_req_free(r);
}

/* The same document with other white space: the verdicts must not change. */
static void check_reindented(const char *doc, size_t n, const char *bucket, const char *prefix,
                             const char *arn, int rc, const struct buf *why, int ok)
{
    /* jansson skips a NUL after a number; such a document is refused, its re-indented
     * form need not be. */
    if (memchr(doc, '\0', n))
        return;
    json_t *j = json_loadb(doc, n, JSON_REJECT_DUPLICATES, NULL);
    char *re = json_is_object(j) ? json_dumps(j, JSON_INDENT(3)) : NULL;
    json_decref(j);
    if (!re || doc[0] != '{')
        goto out;
    struct buf why2 = BUF_INIT;
    int rc2 = policy_check(re, strlen(re), bucket, &why2);
    if (rc2 != rc || (rc == -EINVAL && strcmp(why2.data, why->data) != 0))
        fprintf(stderr, "verdicts differ: %d \"%s\" / %d \"%s\" for\n%s\n", rc,
                why->data ? why->data : "", rc2, why2.data ? why2.data : "", re);
    FUZZ_CHECK(rc2 == rc);
    FUZZ_CHECK(rc != -EINVAL || strcmp(why2.data, why->data) == 0);
    buf_free(&why2);
    FUZZ_CHECK(policy_allows_cloudtrail(re, bucket, prefix, ACCOUNT, arn) == ok);
out:
    free(re);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const char *bucket = buckets[sel & 3];
    const char *prefix = prefixes[sel >> 2 & 3];
    const char *arn = sel & 16 ? TRAIL_ARN : NULL;
    const char *doc = (const char *)data + 1;
    size_t n = size - 1;

    struct buf why = BUF_INIT;
    int rc = policy_check(doc, n, bucket, &why);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
    if (rc == 0)
        FUZZ_CHECK(memchr(doc, '\0', n) == NULL);
    if (rc == -EINVAL)
        FUZZ_CHECK(why.len > 0 && buf_ok(&why));

    /* Stored policies passed policy_check; the question is asked of every input all the same,
     * as the function takes any text. */
    char *text = malloc(n + 1);
    if (!text) {
        buf_free(&why);
        return 0;
    }
    memcpy(text, doc, n);
    text[n] = '\0';
    int ok = policy_allows_cloudtrail(text, bucket, prefix, ACCOUNT, arn);
    FUZZ_CHECK(ok == 0 || ok == 1 || ok == -EINVAL || ok == -ENOMEM);
    if (ok == 1) {
        json_t *j = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
        FUZZ_CHECK(j != NULL);
        json_decref(j);
    }
    if (n > 0)
        check_reindented(doc, n, bucket, prefix, arn, rc, &why, ok);
    buf_free(&why);
    free(text);

    check_record(data + 1, n, bucket);
    return 0;
}
