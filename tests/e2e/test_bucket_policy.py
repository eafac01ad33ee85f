"""Bucket policies: PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy with boto3 and raw HTTP,
S3's MalformedPolicy answers, and the CloudTrail record of each call.

The policy is kept as sent and given back byte for byte; every fault of a document is 400
MalformedPolicy with the message S3 answers (the sources are listed in src/s3/policy.c); only the
bucket owner may set, read or delete a policy.
"""
import json

import pytest
from botocore.exceptions import ClientError

from e2e_support import cloudtrail_policy, expect_error, journal, record_of

def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


def policy_for(bucket, **extra):
    doc = {"Version": "2012-10-17",
           "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                          "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    doc.update(extra)
    return doc


# ---- the round trip ------------------------------------------------------------------------------

def test_put_get_delete_round_trip(s3, bucket):
    with expect_error("NoSuchBucketPolicy", 404) as ei:
        s3.get_bucket_policy(Bucket=bucket)
    err = ei.value.response["Error"]
    assert err["Message"] == "The bucket policy does not exist"
    assert err["BucketName"] == bucket

    # Indentation, key order and a trailing newline survive: the policy comes back as sent.
    text = json.dumps(policy_for(bucket), indent=4) + "\n"
    put = s3.put_bucket_policy(Bucket=bucket, Policy=text)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = s3.get_bucket_policy(Bucket=bucket)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"
    assert got["Policy"] == text

    # A second PUT replaces the first.
    text2 = json.dumps(cloudtrail_policy(bucket, "111122223333",
                                         "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"))
    s3.put_bucket_policy(Bucket=bucket, Policy=text2)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text2

    deleted = s3.delete_bucket_policy(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("NoSuchBucketPolicy", 404):
        s3.get_bucket_policy(Bucket=bucket)
    # Deleting again: 204 again, as S3 answers.
    again = s3.delete_bucket_policy(Bucket=bucket)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_raw_exact_bytes(raw, bucket):
    body = ('{ "Statement" : { "Effect":"Deny", "Principal":{"AWS":"*"}, "Action":"s3:DeleteObject",\r\n'
            '  "Resource":"arn:aws:s3:::' + bucket + '/keep/*" } }}\t').encode()
    # The trailing tab after the document is white space JSON allows; the extra '}' is not.
    r = raw("PUT", f"/{bucket}", query={"policy": None}, body=body)
    assert r.status == 400 and r.error["Code"] == "MalformedPolicy", r
    body = body.replace(b"} }}\t", b"} }\t")
    r = raw("PUT", f"/{bucket}", query={"policy": None}, body=body)
    assert r.status == 204, r
    assert r.body == b""
    r = raw("GET", f"/{bucket}", query={"policy": None})
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/json"
    assert r.body == body
    assert int(r.header("Content-Length")) == len(body)


def test_policy_is_per_bucket(s3, make_bucket):
    a, b = make_bucket(), make_bucket()
    s3.put_bucket_policy(Bucket=a, Policy=json.dumps(policy_for(a)))
    with expect_error("NoSuchBucketPolicy", 404):
        s3.get_bucket_policy(Bucket=b)
    # A policy naming the other bucket is refused.
    with expect_error("MalformedPolicy", 400) as ei:
        s3.put_bucket_policy(Bucket=b, Policy=json.dumps(policy_for(a)))
    assert ei.value.response["Error"]["Message"] == "Policy has invalid resource"


def test_confirm_remove_self_bucket_access(s3, bucket):
    text = json.dumps(policy_for(bucket))
    resp = s3.put_bucket_policy(Bucket=bucket, Policy=text, ConfirmRemoveSelfBucketAccess=True)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    # The owner keeps every right over the policy (it cannot lock the owner out here).
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text
    s3.delete_bucket_policy(Bucket=bucket)


def test_policy_dropped_with_bucket(s3, make_bucket):
    name = make_bucket()
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy_for(name)))
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    with expect_error("NoSuchBucketPolicy", 404):
        s3.get_bucket_policy(Bucket=name)


def test_no_such_bucket(s3):
    for call in (lambda: s3.get_bucket_policy(Bucket="no-such-bucket-policy-e2e"),
                 lambda: s3.delete_bucket_policy(Bucket="no-such-bucket-policy-e2e"),
                 lambda: s3.put_bucket_policy(Bucket="no-such-bucket-policy-e2e",
                                              Policy=json.dumps(policy_for("no-such-bucket-policy-e2e")))):
        with expect_error("NoSuchBucket", 404):
            call()


# ---- MalformedPolicy -----------------------------------------------------------------------------

def stmt(bucket, **members):
    """A one-statement policy: a valid statement with members replaced (None removes one)."""
    s = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}
    for k, v in members.items():
        if v is None:
            s.pop(k, None)
        else:
            s[k] = v
    return json.dumps({"Version": "2012-10-17", "Statement": [s]})


NOT_JSON = "Policies must be valid JSON and the first byte must be '{'"
INVALID_JSON = "This policy contains invalid Json"

MALFORMED = [
    # (id, body for bucket b, message)
    ("empty", lambda b: "", NOT_JSON),
    ("random-string", lambda b: "invalid json", NOT_JSON),
    ("leading-space", lambda b: " " + json.dumps(policy_for(b)), NOT_JSON),
    ("array", lambda b: "[" + json.dumps(policy_for(b)) + "]", NOT_JSON),
    ("bad-json", lambda b: "{asdfsdaf", INVALID_JSON),
    ("true-in-braces", lambda b: "{true}", INVALID_JSON),
    ("duplicate-member", lambda b: '{"Statement":[],"Statement":[]}', INVALID_JSON),
    ("no-statement", lambda b: "{}", "Missing required field Statement"),
    ("empty-statement", lambda b: '{"Version":"2012-10-17","Statement":[]}',
     "Could not parse the policy: Statement is empty!"),
    ("statement-string", lambda b: '{"Statement":"x"}', "Invalid policy syntax."),
    ("statement-number-item", lambda b: '{"Statement":[5]}', "Invalid policy syntax."),
    ("bad-version", lambda b: json.dumps(policy_for(b, Version="2012-10-18")),
     "The policy must contain a valid version string"),
    ("unknown-top-field", lambda b: json.dumps(policy_for(b, Extra="x")), "Unknown field Extra"),
    ("unknown-statement-field", lambda b: stmt(b, condition={}), "Unknown field condition"),
    ("no-effect", lambda b: stmt(b, Effect=None), "Missing required field Effect"),
    ("bad-effect", lambda b: stmt(b, Effect="hello"), "Invalid effect: hello"),
    ("no-principal", lambda b: stmt(b, Principal=None), "Missing required field Principal"),
    ("bad-principal", lambda b: stmt(b, Principal={"AWS": "someone"}), "Invalid principal in policy"),
    ("empty-principal", lambda b: stmt(b, Principal={}), "Invalid principal in policy"),
    ("no-action", lambda b: stmt(b, Action=None), "Statement is missing required element"),
    ("bad-action", lambda b: stmt(b, Action="invalid_action"), "Policy has invalid action"),
    ("empty-action", lambda b: stmt(b, Action=[]), "Policy has invalid action"),
    ("action-and-notaction", lambda b: stmt(b, NotAction="s3:PutObject"), "Invalid policy syntax."),
    ("no-resource", lambda b: stmt(b, Resource=None), "Statement is missing required element"),
    ("resource-star", lambda b: stmt(b, Resource="*"), "Policy has invalid resource"),
    ("other-bucket", lambda b: stmt(b, Resource="arn:aws:s3:::some-other-bucket/*"),
     "Policy has invalid resource"),
    ("other-service", lambda b: stmt(b, Resource=f"arn:aws:iam:::{b}"), "Policy has invalid resource"),
    ("bad-condition-type", lambda b: stmt(b, Condition={"stringequals": {"aws:SourceIp": "1"}}),
     "Invalid Condition type : stringequals"),
    ("too-large", lambda b: stmt(b, Sid="x" * 20480),
     "Normalized policy document exceeds the maximum allowed size of 20480 bytes"),
]


@pytest.mark.parametrize("body,message", [(m[1], m[2]) for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_policy(raw, s3, bucket, body, message):
    r = raw("PUT", f"/{bucket}", query={"policy": None}, body=body(bucket).encode())
    assert r.status == 400, r
    err = r.error
    assert err["Code"] == "MalformedPolicy"
    assert err["Message"] == message
    # Nothing was stored.
    with expect_error("NoSuchBucketPolicy", 404):
        s3.get_bucket_policy(Bucket=bucket)


def test_malformed_policy_boto3(s3, bucket):
    with expect_error("MalformedPolicy", 400) as ei:
        s3.put_bucket_policy(Bucket=bucket, Policy=stmt(bucket, Effect="Permit"))
    assert ei.value.response["Error"]["Message"] == "Invalid effect: Permit"
    # A refused PUT leaves the policy that was there.
    good = json.dumps(policy_for(bucket))
    s3.put_bucket_policy(Bucket=bucket, Policy=good)
    with expect_error("MalformedPolicy", 400):
        s3.put_bucket_policy(Bucket=bucket, Policy="{}")
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == good


def test_large_indented_policy_accepted(s3, bucket):
    # Indentation does not count against the 20 KB: the limit is on the normalized document.
    compact = stmt(bucket, Sid="x" * 20000).replace(", ", ",").replace(": ", ":")
    assert len(compact) <= 20480
    text = "{\n" + " " * 1000 + compact[1:]
    assert len(text) > 20480
    s3.put_bucket_policy(Bucket=bucket, Policy=text)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text


def test_accepted_shapes(s3, bucket):
    for doc in (
        # The PutBucketPolicy API reference's sample, for this bucket.
        {"Version": "2008-10-17", "Id": "aaaa-bbbb-cccc-dddd",
         "Statement": [{"Effect": "Allow", "Sid": "1",
                        "Principal": {"AWS": ["111122223333", "444455556666"]},
                        "Action": ["s3:*"], "Resource": f"arn:aws:s3:::{bucket}/*"}]},
        # No Version; one statement as an object; Not* elements; conditions.
        {"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
                       "NotAction": ["s3:Get*", "s3:List*"],
                       "NotResource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/public/*"],
                       "Condition": {"Bool": {"aws:SecureTransport": False},
                                     "NumericLessThanIfExists": {"s3:max-keys": 10}}}},
        cloudtrail_policy(bucket, "111122223333", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"),
    ):
        text = json.dumps(doc)
        s3.put_bucket_policy(Bucket=bucket, Policy=text)
        assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text


# ---- who may -------------------------------------------------------------------------------------

def test_other_account_denied(s3, s3_alt, s3_anon, bucket):
    text = json.dumps(policy_for(bucket))
    s3.put_bucket_policy(Bucket=bucket, Policy=text)
    for client in (s3_alt, s3_anon):
        with expect_error("AccessDenied", 403):
            client.get_bucket_policy(Bucket=bucket)
        with expect_error("AccessDenied", 403):
            client.put_bucket_policy(Bucket=bucket, Policy=text)
        with expect_error("AccessDenied", 403):
            client.delete_bucket_policy(Bucket=bucket)
    # Still there, unchanged.
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text


# ---- CloudTrail records --------------------------------------------------------------------------

def check_record(rec, server, bucket, event_name, read_only):
    assert rec["eventName"] == event_name
    assert rec["eventSource"] == "s3.amazonaws.com"
    assert rec["eventType"] == "AwsApiCall"
    assert rec["eventCategory"] == "Management"
    assert rec["managementEvent"] is True
    assert rec["readOnly"] is read_only
    assert rec["awsRegion"] == "us-east-1"
    assert rec["resources"][0]["type"] == "AWS::S3::Bucket"
    assert rec["resources"][0]["ARN"] == f"arn:aws:s3:::{bucket}"
    assert rec["requestParameters"]["bucketName"] == bucket
    assert rec["requestParameters"]["Host"] == f"127.0.0.1:{server.port}"
    assert rec["requestParameters"]["policy"] == ""
    assert rec["responseElements"] is None


def test_records(server, s3, s3_alt, bucket):
    doc = cloudtrail_policy(bucket, "111122223333", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t")
    text = json.dumps(doc, indent=2)

    put = s3.put_bucket_policy(Bucket=bucket, Policy=text)
    rec = record_of(server, rid(put))
    check_record(rec, server, bucket, "PutBucketPolicy", False)
    # AWS records the document as a nested JSON object named bucketPolicy.
    assert rec["requestParameters"]["bucketPolicy"] == doc
    assert set(rec["requestParameters"]) == {"bucketName", "Host", "policy", "bucketPolicy"}
    assert "errorCode" not in rec
    assert rec["additionalEventData"]["bytesTransferredIn"] == len(text.encode())
    assert rec["additionalEventData"]["bytesTransferredOut"] == 0
    assert rec["userIdentity"]["type"] == "Root"

    get = s3.get_bucket_policy(Bucket=bucket)
    rec = record_of(server, rid(get))
    check_record(rec, server, bucket, "GetBucketPolicy", True)
    assert "bucketPolicy" not in rec["requestParameters"]
    assert rec["additionalEventData"]["bytesTransferredOut"] == len(text.encode())

    delete = s3.delete_bucket_policy(Bucket=bucket)
    rec = record_of(server, rid(delete))
    check_record(rec, server, bucket, "DeleteBucketPolicy", False)
    assert "errorCode" not in rec

    # Failures are recorded too, with S3's code and message.
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_policy(Bucket=bucket)
    rec = record_of(server, ei.value.response["ResponseMetadata"]["RequestId"])
    check_record(rec, server, bucket, "GetBucketPolicy", True)
    assert rec["errorCode"] == "NoSuchBucketPolicy"
    assert rec["errorMessage"] == "The bucket policy does not exist"

    with pytest.raises(ClientError) as ei:
        s3.put_bucket_policy(Bucket=bucket, Policy=stmt(bucket, Effect="Permit"))
    rec = record_of(server, ei.value.response["ResponseMetadata"]["RequestId"])
    check_record(rec, server, bucket, "PutBucketPolicy", False)
    assert rec["errorCode"] == "MalformedPolicy"
    assert rec["errorMessage"] == "Invalid effect: Permit"

    with pytest.raises(ClientError) as ei:
        s3_alt.put_bucket_policy(Bucket=bucket, Policy=text)
    # Another account's attempt on the bucket: the requester's record, and the bucket owner's copy.
    recs = [r for r in journal(server)
            if r.get("requestID") == ei.value.response["ResponseMetadata"]["RequestId"]]
    assert len(recs) == 2 and recs[0]["sharedEventID"] == recs[1]["sharedEventID"]
    rec = next(r for r in recs if r["recipientAccountId"] == server.alt_account["AccountId"])
    assert rec["eventName"] == "PutBucketPolicy"
    assert rec["errorCode"] == "AccessDenied"
