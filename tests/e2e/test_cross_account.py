"""The seed's two cross-account examples, end to end: what each account's trail received.

Example 1 (CloudTrail delivers object-level events to the bucket owner only when it has
permission): account A owns a bucket, account B (the requester) reads an object in it, account C
owns that object. B always gets the event. A gets its own copy — same sharedEventID, its own
eventID and recipientAccountId — only when A owns the object or the object's ACL grants A the same
permission.

Example 2 (CloudTrail does not proliferate the e-mail addresses used in setting object ACLs): B
sets an object ACL granting by e-mail address. B's record carries the grant and the address; A's
copy says only that B made the ACL call.

Each account has its own trail, delivering every second into its own bucket, selecting every data
event of the shared bucket; the tests read the delivered log files.
"""
import gzip
import json
import time

import boto3
import pytest
from botocore.config import Config

CFG = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60,
             s3={"addressing_style": "path"})
SHARED = "shared-bucket"


def client(srv, name, ak, sk):
    return boto3.session.Session().client(name, endpoint_url=srv.endpoint, region_name="us-east-1",
                                          aws_access_key_id=ak, aws_secret_access_key=sk, config=CFG)


class Account:
    def __init__(self, srv, ak, sk, acct, canonical, email):
        self.s3 = client(srv, "s3", ak, sk)
        self.ct = client(srv, "cloudtrail", ak, sk)
        self.id, self.canonical, self.email = acct, canonical, email
        self.logs = f"logs-{acct}"

    def start_trail(self):
        self.s3.create_bucket(Bucket=self.logs)
        self.s3.put_bucket_policy(Bucket=self.logs, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                 "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{self.logs}"},
                {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                 "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{self.logs}/AWSLogs/{self.id}/*",
                 "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}))
        self.ct.create_trail(Name="own-trail", S3BucketName=self.logs)
        self.ct.put_event_selectors(TrailName="own-trail", EventSelectors=[{
            "ReadWriteType": "All", "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{SHARED}/"]}]}])
        self.ct.start_logging(Name="own-trail")

    def delivered(self):
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.logs):
            for o in page.get("Contents", []):
                body = self.s3.get_object(Bucket=self.logs, Key=o["Key"])["Body"].read()
                for r in json.loads(gzip.decompress(body))["Records"]:
                    out.setdefault(r["requestID"], []).append(r)
        return out


@pytest.fixture(scope="module")
def accounts(request):
    from conftest import ServerProcess, _SERVERS
    srv = ServerProcess("xacct", extra_args=["--delivery-interval", "1"])
    _SERVERS.append(srv)
    srv.start()
    made = []
    try:
        a_ids = client(srv, "s3", srv.access_key, srv.secret_key).list_buckets()["Owner"]
        a_acct = client(srv, "sts", srv.access_key, srv.secret_key).get_caller_identity()["Account"]
        made.append(Account(srv, srv.access_key, srv.secret_key, a_acct, a_ids["ID"], ""))
        for name in ("b", "c"):
            acct = srv.admin_json("account", "create", "--name", name, "--email", f"{name}@example.com")
            keys = srv.admin_json("key", "create", "--account", acct["AccountId"])
            made.append(Account(srv, keys["AccessKeyId"], keys["SecretAccessKey"], acct["AccountId"],
                                acct["CanonicalUserId"], f"{name}@example.com"))
        a, b, c = made
        for x in made:
            x.start_trail()
        # A's bucket: B and C may write into it and read from it (by bucket policy); objects stay
        # owned by their writer (ObjectWriter), so C can own an object in A's bucket.
        a.s3.create_bucket(Bucket=SHARED, ObjectOwnership="ObjectWriter")
        a.s3.put_bucket_policy(Bucket=SHARED, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": [b.id, c.id]},
                 "Action": ["s3:PutObject", "s3:GetObject", "s3:PutObjectAcl", "s3:GetObjectAcl"],
                 "Resource": f"arn:aws:s3:::{SHARED}/*"}]}))
        yield srv, a, b, c
    finally:
        problem = srv.stop()
        _SERVERS.remove(srv)
        srv.cleanup()
        if problem:
            pytest.fail(problem, pytrace=False)


def wait_delivered(acct, request_ids, timeout=20):
    end = time.monotonic() + timeout
    while True:
        got = acct.delivered()
        if all(r in got for r in request_ids) or time.monotonic() > end:
            return got
        time.sleep(0.3)


def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


def test_example_1_owner_gets_the_event_only_with_permission_on_the_object(accounts):
    srv, a, b, c = accounts
    # (1) A owns the object: A gets a copy of B's read.
    a.s3.put_object(Bucket=SHARED, Key="by-a", Body=b"a")
    read_a = rid(b.s3.get_object(Bucket=SHARED, Key="by-a"))
    # (2) C owns the object and grants B only: A gets nothing.
    c.s3.put_object(Bucket=SHARED, Key="by-c", Body=b"c",
                    GrantRead=f'id="{b.canonical}"', GrantFullControl=f'id="{c.canonical}"')
    read_c = rid(b.s3.get_object(Bucket=SHARED, Key="by-c"))
    # (3) C owns the object and grants A too: A gets a copy.
    c.s3.put_object(Bucket=SHARED, Key="by-c-shared", Body=b"cs",
                    GrantRead=f'id="{b.canonical}", id="{a.canonical}"',
                    GrantFullControl=f'id="{c.canonical}"')
    read_cs = rid(b.s3.get_object(Bucket=SHARED, Key="by-c-shared"))

    got_b = wait_delivered(b, [read_a, read_c, read_cs])
    got_a = wait_delivered(a, [read_a, read_cs])
    for r in (read_a, read_c, read_cs):
        assert len(got_b.get(r, [])) == 1, f"B did not get {r} exactly once"
        mine = got_b[r][0]
        assert mine["recipientAccountId"] == b.id and mine["eventName"] == "GetObject"
        assert mine["userIdentity"]["type"] == "Root" and mine["userIdentity"]["accountId"] == b.id
    for r in (read_a, read_cs):
        assert len(got_a.get(r, [])) == 1, f"A did not get {r} exactly once"
        owners, mine = got_a[r][0], got_b[r][0]
        assert owners["recipientAccountId"] == a.id
        assert owners["sharedEventID"] == mine["sharedEventID"]
        assert owners["eventID"] != mine["eventID"]
        assert owners["userIdentity"] == {"type": "AWSAccount", "principalId": b.id, "accountId": b.id}
        assert owners["resources"] == mine["resources"]
    assert read_c not in got_a, "A received the read of an object it has no permission on"
    assert "sharedEventID" not in got_b[read_c][0]
    # C, who owns by-c, is not the bucket owner and not the requester: it gets nothing.
    got_c = c.delivered()
    assert read_c not in got_c and read_a not in got_c


def test_example_2_grantee_email_never_reaches_the_bucket_owner(accounts):
    srv, a, b, c = accounts
    b.s3.put_object(Bucket=SHARED, Key="by-b", Body=b"b", ACL="bucket-owner-full-control")
    acl = {"Owner": {"ID": b.canonical}, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": b.canonical}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "CanonicalUser", "ID": a.canonical}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": c.email}, "Permission": "READ"}]}
    put = rid(b.s3.put_object_acl(Bucket=SHARED, Key="by-b", AccessControlPolicy=acl))
    hdr = rid(b.s3.put_object_acl(Bucket=SHARED, Key="by-b", GrantRead=f'emailAddress="{c.email}"',
                                  GrantFullControl=f'id="{b.canonical}", id="{a.canonical}"'))
    # The grant works: C reads the object it was granted by e-mail.
    assert c.s3.get_object(Bucket=SHARED, Key="by-b")["Body"].read() == b"b"

    got_b = wait_delivered(b, [put, hdr])
    got_a = wait_delivered(a, [put, hdr])
    for r in (put, hdr):
        mine, owners = got_b[r][0], got_a[r][0]
        assert mine["eventName"] == owners["eventName"] == "PutObjectAcl"
        assert mine["sharedEventID"] == owners["sharedEventID"]
        assert c.email in json.dumps(mine["requestParameters"]), "the requester keeps the e-mail"
        text = json.dumps(owners)
        assert c.email not in text and "EmailAddress" not in text and "emailAddress" not in text
        assert "AccessControlPolicy" not in owners["requestParameters"]
        assert not any(k.startswith("x-amz-grant") for k in owners["requestParameters"])
        assert owners["requestParameters"]["bucketName"] == SHARED
        assert owners["requestParameters"]["key"] == "by-b"
        assert owners["userIdentity"] == {"type": "AWSAccount", "principalId": b.id, "accountId": b.id}
    assert "AccessControlPolicy" in got_b[put][0]["requestParameters"]
    assert got_b[hdr][0]["requestParameters"]["x-amz-grant-read"] == f'emailAddress="{c.email}"'
