"""CloudTrail trails over the JSON 1.1 API on the server's port, with boto3's cloudtrail client, hand-made
requests and the aws CLI (shared/reference/cloudtrail.md §5.2, §6).

What is pinned here: every trail operation's success shape (exact dictionaries, JSON numbers for
times), every error with its exact __type (and AWS's message where AWS's is known); CreateTrail's
bucket checks (the bucket must exist and its policy must let CloudTrail deliver: the reference's
policy works, no policy or a policy for another prefix does not); the five-trail limit per region;
names against ARNs and home regions (a multi-region trail is seen from eu-west-1, a single-region
one is not; mutations elsewhere than the home region are InvalidHomeRegionException); selectors
validated, normalized and echoed; tags; and that every call is itself a CloudTrail management event
(eventSource cloudtrail.amazonaws.com, readOnly per operation) found by LookupEvents.

Every test deletes the trails it creates (the `trails` fixture), so the per-region count starts
from what other tests left: nothing.
"""
import datetime
import json
import time

import pytest
from botocore.exceptions import ClientError

from e2e_support import CT_JSON as JSON_CT, RawCT, cloudtrail_policy, ct_client, expect_error, \
    unique_bucket_name


# ---- clients and fixtures ------------------------------------------------------------------------


class RawCTJson(RawCT):
    """RawCT with the body parsed as JSON."""

    def __call__(self, op, body, region="us-east-1"):
        status, headers, data = super().__call__(op, body, region=region)
        return status, headers, json.loads(data)


@pytest.fixture(scope="module")
def ct(server):
    return ct_client(server)


@pytest.fixture(scope="module")
def ct_eu(server):
    return ct_client(server, region="eu-west-1")


@pytest.fixture(scope="module")
def ct_loose(server):
    """Lets through what botocore's parameter validation would stop."""
    return ct_client(server, validate=False)


@pytest.fixture(scope="module")
def ct_alt(server):
    return ct_client(server, creds=(server.alt_access_key, server.alt_secret_key))


@pytest.fixture(scope="module")
def raw_ct(server):
    return RawCTJson(server)


@pytest.fixture(scope="module")
def account(ct):
    """The main account's 12-digit id, as the journal records it for our own calls."""
    rid = ct.list_trails()["ResponseMetadata"]["RequestId"]
    for ev in ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                  "AttributeValue": "ListTrails"}])["Events"]:
        rec = json.loads(ev["CloudTrailEvent"])
        if rec["requestID"] == rid:
            return rec["recipientAccountId"]
    raise AssertionError("ListTrails left no event")


@pytest.fixture(scope="module")
def alt_account(server):
    return server.alt_account["AccountId"]


def trail_arn(region, account, name):
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def open_policy(bucket, account, prefix=None):
    """The same without the aws:SourceArn condition: any trail of the account may deliver."""
    logs = f"{prefix}/AWSLogs/{account}/*" if prefix else f"AWSLogs/{account}/*"
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/{logs}",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}


@pytest.fixture
def trail_bucket(make_bucket, s3, account):
    """A bucket whose policy lets every trail of the main account deliver (no prefix)."""
    name = make_bucket(s3)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(open_policy(name, account)))
    return name


@pytest.fixture
def trails(server):
    """make(client, Name, S3BucketName, **kw) -> the CreateTrail response; every trail made is
    deleted afterwards, in its home region."""
    made = []

    def make(client, **kw):
        resp = client.create_trail(**kw)
        made.append((client, resp["TrailARN"]))
        return resp

    yield make
    for client, arn in made:
        region = arn.split(":")[3]
        creds = client._request_signer._credentials
        c = ct_client(server, region=region, creds=(creds.access_key, creds.secret_key))
        try:
            c.delete_trail(Name=arn)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "TrailNotFoundException"


def unique_trail(hint="t"):
    return unique_bucket_name(hint)[:60]


def error(exc_info):
    return exc_info.value.response["Error"]


def meta_clean(resp):
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


# ---- CreateTrail and its bucket checks -----------------------------------------------------------

def test_create_trail_needs_a_bucket_policy_that_lets_cloudtrail_deliver(ct, s3, make_bucket, trails,
                                                                         account):
    name = unique_trail()
    bucket = make_bucket(s3)
    # no policy at all
    with expect_error("InsufficientS3BucketPolicyException", 400) as ei:
        ct.create_trail(Name=name, S3BucketName=bucket)
    assert error(ei)["Message"] == f"Incorrect S3 bucket policy is detected for bucket: {bucket}"
    # a policy that says nothing about CloudTrail
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    with expect_error("InsufficientS3BucketPolicyException", 400):
        ct.create_trail(Name=name, S3BucketName=bucket)
    # the reference's policy, for another trail's ARN only
    other = trail_arn("us-east-1", account, name + "-other")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(cloudtrail_policy(bucket, account, other)))
    with expect_error("InsufficientS3BucketPolicyException", 400):
        ct.create_trail(Name=name, S3BucketName=bucket)
    # the reference's policy for this trail
    arn = trail_arn("us-east-1", account, name)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(cloudtrail_policy(bucket, account, arn)))
    resp = trails(ct, Name=name, S3BucketName=bucket)
    assert meta_clean(resp) == {
        "Name": name, "S3BucketName": bucket, "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": False, "TrailARN": arn, "LogFileValidationEnabled": False,
        "IsOrganizationTrail": False}
    # a new trail is not logging
    status = meta_clean(ct.get_trail_status(Name=name))
    assert status == {"IsLogging": False, "LatestDeliveryAttemptTime": "",
                      "LatestNotificationAttemptTime": "", "LatestNotificationAttemptSucceeded": "",
                      "LatestDeliveryAttemptSucceeded": "", "TimeLoggingStarted": "",
                      "TimeLoggingStopped": ""}


def test_create_trail_bucket_must_exist(ct, trails):
    bucket = unique_bucket_name("nobucket")
    with expect_error("S3BucketDoesNotExistException", 400) as ei:
        ct.create_trail(Name=unique_trail(), S3BucketName=bucket)
    assert error(ei)["Message"] == f"S3 bucket {bucket} does not exist!"
    with expect_error("InvalidS3BucketNameException", 400):
        ct.create_trail(Name=unique_trail(), S3BucketName="Not_A_Bucket")


def test_create_trail_prefix_needs_the_policy_for_that_prefix(ct, s3, make_bucket, trails, account):
    bucket = make_bucket(s3)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(open_policy(bucket, account)))
    with expect_error("InsufficientS3BucketPolicyException", 400):
        ct.create_trail(Name=unique_trail(), S3BucketName=bucket, S3KeyPrefix="logs")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(open_policy(bucket, account, "logs")))
    name = unique_trail()
    resp = trails(ct, Name=name, S3BucketName=bucket, S3KeyPrefix="logs", IsMultiRegionTrail=True,
                  EnableLogFileValidation=False, IncludeGlobalServiceEvents=True)
    assert meta_clean(resp) == {
        "Name": name, "S3BucketName": bucket, "S3KeyPrefix": "logs", "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True, "TrailARN": trail_arn("us-east-1", account, name),
        "LogFileValidationEnabled": False, "IsOrganizationTrail": False}


def test_create_trail_refusals(ct, ct_loose, trail_bucket, trails, account):
    name = unique_trail()
    trails(ct, Name=name, S3BucketName=trail_bucket)
    with expect_error("TrailAlreadyExistsException", 400) as ei:
        ct.create_trail(Name=name, S3BucketName=trail_bucket)
    assert error(ei)["Message"] == f"Trail {name} already exists for customer: {account}"
    with expect_error("InvalidParameterCombinationException", 400) as ei:
        ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket, IsMultiRegionTrail=True,
                        IncludeGlobalServiceEvents=False)
    assert error(ei)["Message"] == "Multi-Region trail must include global service events."
    # features this server does not have are refused, never accepted and ignored
    for kw, word in [({"KmsKeyId": "arn:aws:kms:us-east-1:%s:key/1234" % account}, "KMS"),
                     ({"SnsTopicName": "topic"}, "SNS"),
                     ({"CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:%s:log-group:g:*" % account},
                      "CloudWatch"),
                     ({"CloudWatchLogsRoleArn": "arn:aws:iam::%s:role/r" % account}, "CloudWatch"),
                     ({"IsOrganizationTrail": True}, "Organization")]:
        with expect_error("UnsupportedOperationException", 400) as ei:
            ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket, **kw)
        assert word in error(ei)["Message"]
    with expect_error("InvalidS3PrefixException", 400):
        ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket, S3KeyPrefix="/logs")
    with expect_error("InvalidS3PrefixException", 400):
        ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket, S3KeyPrefix="p" * 201)
    # tags
    with expect_error("InvalidTagParameterException", 400):
        ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket,
                        TagsList=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])
    with expect_error("InvalidTagParameterException", 400):
        ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket, TagsList=[{"Key": "aws:x"}])
    with expect_error("TagsLimitExceededException", 400):
        ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket,
                        TagsList=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    # wrong JSON types
    with expect_error("SerializationException", 400):
        ct_loose.create_trail(Name=unique_trail(), S3BucketName=trail_bucket, IsMultiRegionTrail="yes")
    # nothing of the refused ones was created
    assert [t["Name"] for t in ct.list_trails()["Trails"]].count(name) == 1


@pytest.mark.parametrize("name,message", [
    ("ab", "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 2 "
           "characters."),
    ("a" * 129, "Trail name too long. Maximum allowed length: 128 characters. Specified name length: "
                "129 characters."),
    ("-abc", "Trail name must starts with a letter or number."),
    ("abc_", "Trail name must ends with a letter or number."),
    ("ab c", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, "
             "periods (.), hyphens (-), and underscores (_)."),
    ("my--namespace", None),
    ("my-_namespace", None),
    ("192.168.5.4", None),
])
def test_trail_name_rules(ct, trail_bucket, name, message):
    with expect_error("InvalidTrailNameException", 400) as ei:
        ct.create_trail(Name=name, S3BucketName=trail_bucket)
    if message:
        assert error(ei)["Message"] == message
    # the same rules for names given to the other operations
    with expect_error("InvalidTrailNameException", 400):
        ct.get_trail(Name=name)


def test_valid_names(ct, trail_bucket, trails):
    for name in ["a1b", "My.Trail_2-x", "Z" * 128, "1.2.3"]:
        assert trails(ct, Name=name, S3BucketName=trail_bucket)["Name"] == name


def test_missing_required_members(raw_ct, trail_bucket):
    status, headers, body = raw_ct("CreateTrail", {"S3BucketName": trail_bucket})
    assert status == 400 and body["__type"] == "InvalidParameterException"
    assert headers["x-amzn-ErrorType"] == "InvalidParameterException"
    assert headers["Content-Type"] == JSON_CT
    status, _, body = raw_ct("GetTrail", {})
    assert status == 400 and body["__type"] == "InvalidParameterException"
    status, _, body = raw_ct("GetTrail", b"[1,2]")
    assert status == 400 and body["__type"] == "SerializationException"


def test_five_trails_per_region(ct, ct_eu, trail_bucket, trails, account):
    # what us-east-1 sees counts: its own trails and other regions' multi-region ones
    have = len(ct.describe_trails()["trailList"])
    trails(ct_eu, Name=unique_trail("multi"), S3BucketName=trail_bucket, IsMultiRegionTrail=True)
    made = [trails(ct, Name=unique_trail(), S3BucketName=trail_bucket)["Name"] for _ in range(4 - have)]
    assert len(ct.describe_trails()["trailList"]) == 5
    with expect_error("MaximumNumberOfTrailsExceededException", 400) as ei:
        ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket)
    assert error(ei)["Message"] == f"User: {account} already has 5 trails in us-east-1."
    # eu-west-1 sees two (its multi-region trail, and now one more)
    eu_single = trails(ct_eu, Name=unique_trail(), S3BucketName=trail_bucket)["Name"]
    # but no trail that would also live in us-east-1
    with expect_error("MaximumNumberOfTrailsExceededException", 400) as ei:
        ct_eu.create_trail(Name=unique_trail(), S3BucketName=trail_bucket, IsMultiRegionTrail=True)
    assert error(ei)["Message"] == f"User: {account} already has 5 trails in us-east-1."
    with expect_error("MaximumNumberOfTrailsExceededException", 400):
        ct_eu.update_trail(Name=eu_single, IsMultiRegionTrail=True)
    assert ct_eu.get_trail(Name=eu_single)["Trail"]["IsMultiRegionTrail"] is False
    # a deleted trail frees its place
    ct.delete_trail(Name=made[0])
    trails(ct, Name=unique_trail(), S3BucketName=trail_bucket)


# ---- reading trails --------------------------------------------------------------------------------

def test_get_trail_describe_trails_list_trails(ct, trail_bucket, trails, account, raw_ct):
    name = unique_trail()
    arn = trail_arn("us-east-1", account, name)
    trails(ct, Name=name, S3BucketName=trail_bucket)
    want = {"Name": name, "S3BucketName": trail_bucket, "IncludeGlobalServiceEvents": True,
            "IsMultiRegionTrail": False, "HomeRegion": "us-east-1", "TrailARN": arn,
            "LogFileValidationEnabled": False, "HasCustomEventSelectors": False,
            "HasInsightSelectors": False, "IsOrganizationTrail": False}
    assert ct.get_trail(Name=name)["Trail"] == want
    assert ct.get_trail(Name=arn)["Trail"] == want
    listed = ct.describe_trails()["trailList"]
    assert want in listed
    assert ct.describe_trails(trailNameList=[name])["trailList"] == [want]
    assert ct.describe_trails(trailNameList=[arn])["trailList"] == [want]
    assert ct.describe_trails(trailNameList=[name, arn])["trailList"] == [want]
    assert ct.describe_trails(trailNameList=["no-such-trail"])["trailList"] == []
    with expect_error("InvalidTrailNameException", 400):
        ct.describe_trails(trailNameList=["x"])
    with expect_error("CloudTrailARNInvalidException", 400):
        ct.describe_trails(trailNameList=["arn:aws:cloudtrail:us-east-1:12345:trail/abc"])
    # the wire: lower-case keys, as the model has them
    status, _, body = raw_ct("DescribeTrails", {"trailNameList": [name]})
    assert status == 200 and list(body) == ["trailList"]
    assert {"TrailARN": arn, "Name": name, "HomeRegion": "us-east-1"} in ct.list_trails()["Trails"]
    with expect_error("TrailNotFoundException", 400) as ei:
        ct.get_trail(Name="no-such-trail")
    assert error(ei)["Message"] == (f"Unknown trail: {trail_arn('us-east-1', account, 'no-such-trail')}"
                                    f" for the user: {account}")
    with expect_error("CloudTrailARNInvalidException", 400):
        ct.get_trail(Name="arn:aws:cloudtrail:us-east-1:123:trail/abc")


def test_trails_are_per_account(ct, ct_alt, trail_bucket, trails, account, alt_account):
    name = unique_trail()
    arn = trails(ct, Name=name, S3BucketName=trail_bucket)["TrailARN"]
    assert all(t["Name"] != name for t in ct_alt.list_trails()["Trails"])
    assert ct_alt.describe_trails(trailNameList=[arn])["trailList"] == []
    with expect_error("TrailNotFoundException", 400) as ei:
        ct_alt.get_trail(Name=name)
    assert error(ei)["Message"] == (f"Unknown trail: {trail_arn('us-east-1', alt_account, name)} "
                                    f"for the user: {alt_account}")
    with expect_error("TrailNotFoundException", 400):
        ct_alt.get_trail(Name=arn)
    with expect_error("TrailNotFoundException", 400):
        ct_alt.delete_trail(Name=arn)
    with expect_error("ResourceNotFoundException", 400):
        ct_alt.add_tags(ResourceId=arn, TagsList=[{"Key": "k"}])
    assert ct.get_trail(Name=name)["Trail"]["Name"] == name


def test_multi_region_and_single_region_visibility(ct, ct_eu, trail_bucket, trails, account):
    single, multi = unique_trail("single"), unique_trail("multi")
    s_arn = trails(ct, Name=single, S3BucketName=trail_bucket)["TrailARN"]
    m_arn = trails(ct, Name=multi, S3BucketName=trail_bucket, IsMultiRegionTrail=True)["TrailARN"]
    eu_name = unique_trail("eu")
    e_arn = trails(ct_eu, Name=eu_name, S3BucketName=trail_bucket)["TrailARN"]
    assert e_arn == trail_arn("eu-west-1", account, eu_name)

    # DescribeTrails from eu-west-1: its own trails and the shadow of the multi-region one
    eu_view = {t["Name"]: t for t in ct_eu.describe_trails()["trailList"]}
    assert multi in eu_view and eu_name in eu_view and single not in eu_view
    assert eu_view[multi]["HomeRegion"] == "us-east-1" and eu_view[multi]["TrailARN"] == m_arn
    assert eu_view[eu_name]["HomeRegion"] == "eu-west-1"
    eu_own = {t["Name"] for t in ct_eu.describe_trails(includeShadowTrails=False)["trailList"]}
    assert eu_name in eu_own and multi not in eu_own and single not in eu_own
    # names resolve in the called region only; other regions' trails are named by ARN
    assert ct_eu.describe_trails(trailNameList=[single])["trailList"] == []
    assert [t["Name"] for t in ct_eu.describe_trails(trailNameList=[s_arn])["trailList"]] == [single]
    us_view = {t["Name"] for t in ct.describe_trails()["trailList"]}
    assert single in us_view and multi in us_view and eu_name not in us_view

    # ListTrails: every trail of the account, whatever the region called
    for client in (ct, ct_eu):
        listed = {t["Name"]: t for t in client.list_trails()["Trails"]}
        assert listed[single] == {"TrailARN": s_arn, "Name": single, "HomeRegion": "us-east-1"}
        assert listed[multi]["HomeRegion"] == "us-east-1"
        assert listed[eu_name] == {"TrailARN": e_arn, "Name": eu_name, "HomeRegion": "eu-west-1"}

    # reads of the shadow by ARN work; by name they do not; a single-region trail is not seen
    assert ct_eu.get_trail(Name=m_arn)["Trail"]["HomeRegion"] == "us-east-1"
    assert ct_eu.get_trail_status(Name=m_arn)["IsLogging"] is False
    assert ct_eu.get_event_selectors(TrailName=m_arn)["TrailARN"] == m_arn
    with expect_error("TrailNotFoundException", 400) as ei:
        ct_eu.get_trail(Name=multi)
    assert error(ei)["Message"] == (f"Unknown trail: {trail_arn('eu-west-1', account, multi)} "
                                    f"for the user: {account}")
    with expect_error("TrailNotFoundException", 400):
        ct_eu.get_trail(Name=s_arn)

    # mutations belong to the home region
    for call in (lambda n: ct_eu.start_logging(Name=n), lambda n: ct_eu.stop_logging(Name=n),
                 lambda n: ct_eu.delete_trail(Name=n),
                 lambda n: ct_eu.update_trail(Name=n, IncludeGlobalServiceEvents=True),
                 lambda n: ct_eu.put_event_selectors(TrailName=n, EventSelectors=[{}])):
        for n in (m_arn, multi, s_arn):
            with expect_error("InvalidHomeRegionException", 400) as ei:
                call(n)
            assert "us-east-1" in error(ei)["Message"]
    # tag operations take ARNs of the called region only
    with expect_error("CloudTrailARNInvalidException", 400) as ei:
        ct_eu.add_tags(ResourceId=m_arn, TagsList=[{"Key": "k", "Value": "v"}])
    assert error(ei)["Message"] == ("Region in ARN is wrong, you can only access resources in region "
                                    "eu-west-1.")
    with expect_error("CloudTrailARNInvalidException", 400):
        ct_eu.list_tags(ResourceIdList=[m_arn])
    # one name, one trail per region: the same name may live in both
    trails(ct_eu, Name=single, S3BucketName=trail_bucket)
    assert {t["HomeRegion"] for t in ct.list_trails()["Trails"] if t["Name"] == single} == \
        {"us-east-1", "eu-west-1"}
    # ... unless one of them is multi-region: it exists in every region, under its name
    with expect_error("TrailAlreadyExistsException", 400) as ei:
        ct_eu.create_trail(Name=multi, S3BucketName=trail_bucket)
    assert error(ei)["Message"] == f"Trail {multi} already exists for customer: {account}"
    with expect_error("TrailAlreadyExistsException", 400):
        ct_eu.update_trail(Name=single, IsMultiRegionTrail=True)
    with expect_error("TrailAlreadyExistsException", 400):
        ct.update_trail(Name=single, IsMultiRegionTrail=True)
    # and an unknown ARN of another region is not found
    with expect_error("TrailNotFoundException", 400):
        ct_eu.delete_trail(Name=trail_arn("us-east-1", account, "nothing-here"))


# ---- UpdateTrail / DeleteTrail -----------------------------------------------------------------------

def test_update_trail(ct, s3, make_bucket, trail_bucket, trails, account):
    name = unique_trail()
    arn = trails(ct, Name=name, S3BucketName=trail_bucket)["TrailARN"]
    resp = ct.update_trail(Name=name, IsMultiRegionTrail=True)
    assert meta_clean(resp) == {
        "Name": name, "S3BucketName": trail_bucket, "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True, "TrailARN": arn, "LogFileValidationEnabled": False,
        "IsOrganizationTrail": False}
    # Digest files are not written yet: asking for them is refused, never ignored.
    for call in (lambda: ct.update_trail(Name=name, EnableLogFileValidation=True),
                 lambda: ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket,
                                         EnableLogFileValidation=True)):
        with expect_error("UnsupportedOperationException", 400):
            call()
    assert ct.get_trail(Name=name)["Trail"]["LogFileValidationEnabled"] is False
    with expect_error("InvalidParameterCombinationException", 400):
        ct.update_trail(Name=arn, IncludeGlobalServiceEvents=False)
    ct.update_trail(Name=arn, IsMultiRegionTrail=False, IncludeGlobalServiceEvents=False)
    t = ct.get_trail(Name=name)["Trail"]
    assert t["IsMultiRegionTrail"] is False and t["IncludeGlobalServiceEvents"] is False
    # a prefix the policy does not cover, then one it does; "" removes it
    with expect_error("InsufficientS3BucketPolicyException", 400):
        ct.update_trail(Name=name, S3KeyPrefix="elsewhere")
    other = make_bucket(s3)
    s3.put_bucket_policy(Bucket=other, Policy=json.dumps(cloudtrail_policy(other, account, arn, "p/q")))
    resp = ct.update_trail(Name=name, S3BucketName=other, S3KeyPrefix="p/q")
    assert resp["S3BucketName"] == other and resp["S3KeyPrefix"] == "p/q"
    assert ct.get_trail(Name=name)["Trail"]["S3KeyPrefix"] == "p/q"
    with expect_error("InsufficientS3BucketPolicyException", 400):
        ct.update_trail(Name=name, S3KeyPrefix="")
    resp = ct.update_trail(Name=name, S3BucketName=trail_bucket, S3KeyPrefix="")
    assert "S3KeyPrefix" not in resp and "S3KeyPrefix" not in ct.get_trail(Name=name)["Trail"]
    with expect_error("S3BucketDoesNotExistException", 400):
        ct.update_trail(Name=name, S3BucketName=unique_bucket_name("gone"))
    with expect_error("UnsupportedOperationException", 400):
        ct.update_trail(Name=name, KmsKeyId="alias/x")
    # "" turns a feature off: nothing is on, so it is accepted
    ct.update_trail(Name=name, KmsKeyId="", SnsTopicName="")
    with expect_error("TrailNotFoundException", 400) as ei:
        ct.update_trail(Name="no-such-trail", IncludeGlobalServiceEvents=True)
    assert error(ei)["Message"] == (f"Unknown trail: {trail_arn('us-east-1', account, 'no-such-trail')} "
                                    f"for the user: {account}")


def test_delete_trail(ct, trail_bucket, trails, account):
    name = unique_trail()
    trails(ct, Name=name, S3BucketName=trail_bucket, TagsList=[{"Key": "k", "Value": "v"}])
    assert meta_clean(ct.delete_trail(Name=name)) == {}
    with expect_error("TrailNotFoundException", 400):
        ct.get_trail(Name=name)
    with expect_error("TrailNotFoundException", 400) as ei:
        ct.delete_trail(Name=name)
    assert error(ei)["Message"] == (f"Unknown trail: {trail_arn('us-east-1', account, name)} "
                                    f"for the user: {account}")
    # by ARN; a re-created trail of the same name starts afresh (no tags, default selectors)
    arn = trails(ct, Name=name, S3BucketName=trail_bucket)["TrailARN"]
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"] == [{"ResourceId": arn, "TagsList": []}]
    ct.delete_trail(Name=arn)
    assert all(t["Name"] != name for t in ct.list_trails()["Trails"])


# ---- logging -----------------------------------------------------------------------------------------

def test_start_and_stop_logging(ct, trail_bucket, trails, raw_ct):
    name = unique_trail()
    trails(ct, Name=name, S3BucketName=trail_bucket)
    before = time.time()
    assert meta_clean(ct.start_logging(Name=name)) == {}
    after = time.time()
    st = ct.get_trail_status(Name=name)
    assert st["IsLogging"] is True
    started = st["StartLoggingTime"].timestamp()
    assert before - 1 <= started <= after + 1
    assert st["TimeLoggingStarted"] == datetime.datetime.fromtimestamp(
        int(started), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert st["TimeLoggingStopped"] == "" and "StopLoggingTime" not in st
    # the wire: epoch seconds as JSON numbers, the deprecated twins as strings
    status, _, body = raw_ct("GetTrailStatus", {"Name": name})
    assert status == 200
    assert isinstance(body["StartLoggingTime"], (int, float)) and not isinstance(body["StartLoggingTime"], bool)
    assert isinstance(body["TimeLoggingStarted"], str)
    # starting again changes nothing
    ct.start_logging(Name=name)
    assert ct.get_trail_status(Name=name)["StartLoggingTime"].timestamp() == started
    ct.stop_logging(Name=name)
    st = ct.get_trail_status(Name=name)
    assert st["IsLogging"] is False
    assert st["StopLoggingTime"].timestamp() >= started
    assert st["TimeLoggingStopped"] != "" and st["StartLoggingTime"].timestamp() == started
    ct.stop_logging(Name=name)
    with expect_error("TrailNotFoundException", 400):
        ct.start_logging(Name="no-such-trail")
    with expect_error("TrailNotFoundException", 400) as ei:
        ct.get_trail_status(Name="no-such-trail")
    assert "arn:aws:cloudtrail:us-east-1:" in error(ei)["Message"]


# ---- event selectors ---------------------------------------------------------------------------------

DEFAULT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                      "ExcludeManagementEventSources": []}]


def test_event_selectors(ct, trail_bucket, trails):
    name = unique_trail()
    arn = trails(ct, Name=name, S3BucketName=trail_bucket)["TrailARN"]
    assert meta_clean(ct.get_event_selectors(TrailName=name)) == {"TrailARN": arn,
                                                                 "EventSelectors": DEFAULT_SELECTORS}
    basic = [{"ReadWriteType": "WriteOnly", "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket-1/", "arn:aws:s3:::bucket-2/prefix"]}]},
        {"IncludeManagementEvents": False, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]
    normalized = [
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket-1/", "arn:aws:s3:::bucket-2/prefix"]}],
         "ExcludeManagementEventSources": []},
        {"ReadWriteType": "All", "IncludeManagementEvents": False, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}], "ExcludeManagementEventSources": []}]
    resp = ct.put_event_selectors(TrailName=name, EventSelectors=basic)
    assert meta_clean(resp) == {"TrailARN": arn, "EventSelectors": normalized}
    assert meta_clean(ct.get_event_selectors(TrailName=arn)) == {"TrailARN": arn, "EventSelectors": normalized}
    assert ct.get_trail(Name=name)["Trail"]["HasCustomEventSelectors"] is True

    advanced = [
        {"Name": "Log all management events",
         "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"Name": "S3 writes except one bucket", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "eventName", "Equals": ["PutObject", "DeleteObject"]},
            {"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::amzn-s3-demo-bucket/"]}]}]
    resp = ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=advanced)
    assert meta_clean(resp) == {"TrailARN": arn, "AdvancedEventSelectors": advanced}
    # advanced ones replace the basic ones
    assert meta_clean(ct.get_event_selectors(TrailName=name)) == {"TrailARN": arn,
                                                                 "AdvancedEventSelectors": advanced}
    # and basic ones replace advanced ones
    ct.put_event_selectors(TrailName=name, EventSelectors=DEFAULT_SELECTORS)
    assert meta_clean(ct.get_event_selectors(TrailName=name)) == {"TrailARN": arn,
                                                                 "EventSelectors": DEFAULT_SELECTORS}


@pytest.mark.parametrize("kw,message", [
    ({"EventSelectors": []}, "Specify a valid number of event selectors (1 to 5) for a trail."),
    ({"EventSelectors": [{}] * 6}, "Specify a valid number of event selectors (1 to 5) for a trail."),
    ({"EventSelectors": [{"ReadWriteType": "read-only"}]}, "Value read-only for ReadWriteType is invalid."),
    ({"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::*"]}]}]},
     "Value arn:aws:s3:::* for DataResources.Values is invalid."),
    ({"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bkt"]}]}]},
     "Value arn:aws:s3:::bkt for DataResources.Values is invalid."),
    ({"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object",
                                             "Values": [f"arn:aws:s3:::b{i:03d}/" for i in range(251)]}]}]},
     "Specify a valid number of DataResources.Values (0 to 250) for all your selectors"),
    ({"EventSelectors": [{"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}]},
     None),
    ({"EventSelectors": [{"ExcludeManagementEventSources": ["s3.amazonaws.com"]}]},
     "Value s3.amazonaws.com for ExcludeManagementEventSources is invalid."),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}]}, None),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]},
     "The resources.type field is required for data events."),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "eventName", "Equals": ["CreateBucket"]}]}]},
     "The field eventName is not valid for management events."),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "eventName", "Equals": [f"Op{i}" for i in range(499)]}]}]}, None),
])
def test_event_selector_refusals(ct, trail_bucket, trails, kw, message):
    name = unique_trail()
    trails(ct, Name=name, S3BucketName=trail_bucket)
    with expect_error("InvalidEventSelectorsException", 400) as ei:
        ct.put_event_selectors(TrailName=name, **kw)
    if message:
        assert error(ei)["Message"] == message
    # nothing changed
    assert ct.get_event_selectors(TrailName=name)["EventSelectors"] == DEFAULT_SELECTORS
    assert ct.get_trail(Name=name)["Trail"]["HasCustomEventSelectors"] is False


def test_event_selectors_both_or_neither(ct, ct_loose, trail_bucket, trails):
    name = unique_trail()
    trails(ct, Name=name, S3BucketName=trail_bucket)
    with expect_error("InvalidParameterCombinationException", 400):
        ct.put_event_selectors(TrailName=name, EventSelectors=DEFAULT_SELECTORS, AdvancedEventSelectors=[
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}])
    with expect_error("InvalidParameterCombinationException", 400):
        ct_loose.put_event_selectors(TrailName=name)
    with expect_error("TrailNotFoundException", 400):
        ct.put_event_selectors(TrailName="no-such-trail", EventSelectors=DEFAULT_SELECTORS)
    with expect_error("TrailNotFoundException", 400):
        ct.get_event_selectors(TrailName="no-such-trail")


# ---- tags --------------------------------------------------------------------------------------------

def test_tags(ct, trail_bucket, trails, account):
    name = unique_trail()
    arn = trails(ct, Name=name, S3BucketName=trail_bucket,
                 TagsList=[{"Key": "team", "Value": "audit"}, {"Key": "bare"}])["TrailARN"]
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"] == [
        {"ResourceId": arn, "TagsList": [{"Key": "team", "Value": "audit"}, {"Key": "bare"}]}]
    assert meta_clean(ct.add_tags(ResourceId=arn, TagsList=[{"Key": "team", "Value": "sec"},
                                                            {"Key": "env", "Value": "prod"}])) == {}
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "team", "Value": "sec"}, {"Key": "bare"}, {"Key": "env", "Value": "prod"}]
    assert meta_clean(ct.remove_tags(ResourceId=arn, TagsList=[{"Key": "bare"}, {"Key": "absent"}])) == {}
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "team", "Value": "sec"}, {"Key": "env", "Value": "prod"}]
    # limits and refusals
    with expect_error("TagsLimitExceededException", 400):
        ct.add_tags(ResourceId=arn, TagsList=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert len(ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]) == 2
    # Tens of thousands of tags are refused by their count, before any per-tag check (which is
    # quadratic in their number: found by fuzz_ctjson's hand-made oversized inputs).
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(20000)]
    with expect_error("TagsLimitExceededException", 400):
        ct.add_tags(ResourceId=arn, TagsList=many)
    with expect_error("TagsLimitExceededException", 400):
        ct.create_trail(Name=unique_trail(), S3BucketName=trail_bucket, TagsList=many)
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": f"k{i}", "Value": "v"} for i in range(48)])
    with expect_error("InvalidTagParameterException", 400):
        ct.add_tags(ResourceId=arn, TagsList=[{"Key": "aws:reserved", "Value": "v"}])
    with expect_error("InvalidTagParameterException", 400):
        ct.add_tags(ResourceId=arn, TagsList=[{"Key": "k" * 129}])
    missing = trail_arn("us-east-1", account, "no-such-trail")
    with expect_error("ResourceNotFoundException", 400):
        ct.add_tags(ResourceId=missing, TagsList=[{"Key": "k"}])
    with expect_error("ResourceNotFoundException", 400):
        ct.remove_tags(ResourceId=missing, TagsList=[{"Key": "k"}])
    with expect_error("ResourceNotFoundException", 400):
        ct.list_tags(ResourceIdList=[arn, missing])
    for bad in ["no-arn", "arn:aws:s3:::bucket", "arn:aws:cloudtrail:us-east-1:1234:trail/abc",
                f"arn:aws:cloudtrail:us-east-1:{account}:eventdatastore/abc"]:
        with expect_error("CloudTrailARNInvalidException", 400):
            ct.add_tags(ResourceId=bad, TagsList=[{"Key": "k"}])
        with expect_error("CloudTrailARNInvalidException", 400):
            ct.list_tags(ResourceIdList=[bad])


# ---- every call is recorded ---------------------------------------------------------------------------

OPS_READ_ONLY = {"CreateTrail": False, "UpdateTrail": False, "DeleteTrail": False, "GetTrail": True,
                 "DescribeTrails": True, "ListTrails": True, "GetTrailStatus": True, "StartLogging": False,
                 "StopLogging": False, "PutEventSelectors": False, "GetEventSelectors": True,
                 "AddTags": False, "RemoveTags": False, "ListTags": True}


def test_every_call_is_a_cloudtrail_event(ct, trail_bucket, account, server):
    name = unique_trail()
    calls = {}

    def call(op, fn, **kw):
        try:
            resp = fn(**kw)
            calls[op] = (resp["ResponseMetadata"]["RequestId"], None)
        except ClientError as e:
            calls[op] = (e.response["ResponseMetadata"]["RequestId"], e.response["Error"]["Code"])

    call("CreateTrail", ct.create_trail, Name=name, S3BucketName=trail_bucket)
    arn = trail_arn("us-east-1", account, name)
    call("UpdateTrail", ct.update_trail, Name=name, IncludeGlobalServiceEvents=True)
    call("GetTrail", ct.get_trail, Name=name)
    call("DescribeTrails", ct.describe_trails)
    call("ListTrails", ct.list_trails)
    call("GetTrailStatus", ct.get_trail_status, Name=name)
    call("StartLogging", ct.start_logging, Name=name)
    call("StopLogging", ct.stop_logging, Name=name)
    call("PutEventSelectors", ct.put_event_selectors, TrailName=name, EventSelectors=DEFAULT_SELECTORS)
    call("GetEventSelectors", ct.get_event_selectors, TrailName=name)
    call("AddTags", ct.add_tags, ResourceId=arn, TagsList=[{"Key": "k", "Value": "v"}])
    call("RemoveTags", ct.remove_tags, ResourceId=arn, TagsList=[{"Key": "k"}])
    call("ListTags", ct.list_tags, ResourceIdList=[arn])
    call("DeleteTrail", ct.delete_trail, Name=name)
    assert all(err is None for _, err in calls.values()), calls
    # and a refused call is recorded with its error
    try:
        ct.get_trail(Name="no-such-trail")
    except ClientError as e:
        failed_rid = e.response["ResponseMetadata"]["RequestId"]

    for op, (rid, _) in calls.items():
        events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": op}],
                                  MaxResults=50)["Events"]
        recs = [json.loads(e["CloudTrailEvent"]) for e in events]
        mine = [(e, r) for e, r in zip(events, recs) if r["requestID"] == rid]
        assert len(mine) == 1, op
        ev, rec = mine[0]
        assert ev["EventSource"] == "cloudtrail.amazonaws.com"
        assert ev["ReadOnly"] == ("true" if OPS_READ_ONLY[op] else "false"), op
        assert rec["eventSource"] == "cloudtrail.amazonaws.com" and rec["eventName"] == op
        assert rec["readOnly"] is OPS_READ_ONLY[op]
        assert rec["eventCategory"] == "Management" and rec["managementEvent"] is True
        assert rec["awsRegion"] == "us-east-1" and rec["recipientAccountId"] == account
        assert "errorCode" not in rec
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetTrail"}],
                              MaxResults=50)["Events"]
    rec = [json.loads(e["CloudTrailEvent"]) for e in events
           if json.loads(e["CloudTrailEvent"])["requestID"] == failed_rid][0]
    assert rec["errorCode"] == "TrailNotFoundException"
    assert rec["errorMessage"].startswith("Unknown trail: ")
    # the CreateTrail record carries the request as requestParameters
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateTrail"}],
                              MaxResults=50)["Events"]
    rec = [json.loads(e["CloudTrailEvent"]) for e in events
           if json.loads(e["CloudTrailEvent"])["requestID"] == calls["CreateTrail"][0]][0]
    params = rec["requestParameters"]
    assert params.get("Name", params.get("name")) == name
    assert rec["responseElements"]["TrailARN"] == arn


# ---- the aws CLI ---------------------------------------------------------------------------------------

def test_aws_cli(aws, trail_bucket, account, ct):
    name = unique_trail("cli")
    try:
        p = aws("cloudtrail", "create-trail", "--name", name, "--s3-bucket-name", trail_bucket,
                "--is-multi-region-trail", "--output", "json", check=True)
        out = json.loads(p.stdout)
        assert out["TrailARN"] == trail_arn("us-east-1", account, name)
        assert out["IsMultiRegionTrail"] is True
        aws("cloudtrail", "start-logging", "--name", name, check=True)
        st = json.loads(aws("cloudtrail", "get-trail-status", "--name", name, "--output", "json",
                            check=True).stdout)
        assert st["IsLogging"] is True and st["TimeLoggingStarted"]
        d = json.loads(aws("cloudtrail", "describe-trails", "--trail-name-list", name, "--output", "json",
                           check=True).stdout)
        assert [t["Name"] for t in d["trailList"]] == [name]
        d = json.loads(aws("--region", "eu-west-1", "cloudtrail", "describe-trails", "--output", "json",
                           check=True).stdout)
        assert name in [t["Name"] for t in d["trailList"]]
        sel = json.loads(aws("cloudtrail", "get-event-selectors", "--trail-name", name, "--output", "json",
                             check=True).stdout)
        assert sel["EventSelectors"] == DEFAULT_SELECTORS
        p = aws("cloudtrail", "put-event-selectors", "--trail-name", name, "--event-selectors",
                '[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":'
                '[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::mybucket/prefix"]}]}]',
                "--output", "json", check=True)
        assert json.loads(p.stdout)["EventSelectors"][0]["DataResources"][0]["Values"] == \
            ["arn:aws:s3:::mybucket/prefix"]
        p = aws("cloudtrail", "get-trail", "--name", "no-such-trail")
        assert p.returncode != 0 and "TrailNotFoundException" in p.stderr
        aws("cloudtrail", "delete-trail", "--name", name, check=True)
    finally:
        try:
            ct.delete_trail(Name=name)
        except ClientError:
            pass
