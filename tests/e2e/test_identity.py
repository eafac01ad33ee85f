"""Who may do what, and what the record says about who: a boto3 matrix over two accounts.

Account A is the session's main account (root keys from the fixture), account B the "alt"
account made with `s3trail admin`. In A: IAM users without policies (alice) and with them
(bob), a role B may assume (reader), a federated user issued by bob; in B: a user allowed to
assume A's role (carol) and one who is not (dave). Anonymous and presigned requests too. For
each path: the exact outcome (status, code, message) and the userIdentity of the record.
"""
import json
import re
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

from e2e_support import journal, record_of, unique_bucket_name

pytestmark = pytest.mark.usefixtures("server")

CFG = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60,
             s3={"addressing_style": "path"})


def svc(server, name, ak, sk, token=None, region="us-east-1"):
    return boto3.session.Session().client(name, endpoint_url=server.endpoint, region_name=region,
                                          aws_access_key_id=ak, aws_secret_access_key=sk,
                                          aws_session_token=token, config=CFG)


def s3_of(server, creds):
    return svc(server, "s3", creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken"))


def denied(call):
    """(code, message, request id) of a refused call."""
    with pytest.raises(Exception) as ei:
        call()
    resp = ei.value.response
    return resp["Error"]["Code"], resp["Error"].get("Message"), resp["ResponseMetadata"]["RequestId"]


def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


def records_of(server, request_id):
    return [r for r in journal(server) if r.get("requestID") == request_id]


class World:
    pass


@pytest.fixture(scope="module")
def world(server):
    w = World()
    w.server = server
    iam_a = svc(server, "iam", server.access_key, server.secret_key)
    iam_b = svc(server, "iam", server.alt_access_key, server.alt_secret_key)
    sts_a = svc(server, "sts", server.access_key, server.secret_key)
    w.acct_a = sts_a.get_caller_identity()["Account"]
    w.acct_b = server.alt_account["AccountId"]
    w.s3_a = server.client()
    w.s3_b = server.alt_client()
    w.bucket = unique_bucket_name("idm")
    w.s3_a.create_bucket(Bucket=w.bucket)
    for key in ("doc.txt", "public/p.txt", "secret/s.txt"):
        w.s3_a.put_object(Bucket=w.bucket, Key=key, Body=key.encode())

    def user(iam, name, policy=None):
        u = iam.create_user(UserName=name)["User"]
        if policy:
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        k = iam.create_access_key(UserName=name)["AccessKey"]
        return u, k

    read_bucket = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{w.bucket}", f"arn:aws:s3:::{w.bucket}/*"]},
        {"Effect": "Allow", "Action": ["sts:GetFederationToken", "sts:GetSessionToken"], "Resource": "*"}]}
    w.alice, w.alice_key = user(iam_a, "alice")
    w.bob, w.bob_key = user(iam_a, "bob", read_bucket)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{w.acct_b}:root"},
         "Action": "sts:AssumeRole"}]}
    w.role = iam_a.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam_a.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{w.bucket}/*"}]}))
    w.carol, w.carol_key = user(iam_b, "carol", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": w.role["Arn"]}]})
    w.dave, w.dave_key = user(iam_b, "dave")
    w.arn = lambda key: f"arn:aws:s3:::{w.bucket}/{key}"
    # IAM changes take effect at once here (AWS: eventually); give the keys a moment anyway.
    time.sleep(0.2)
    return w


# ---- root --------------------------------------------------------------------------------------

def test_root_reads_its_own_object_and_is_recorded_as_root(world):
    r = world.s3_a.get_object(Bucket=world.bucket, Key="doc.txt")
    assert r["Body"].read() == b"doc.txt"
    rec = record_of(world.server, rid(r))
    ui = rec["userIdentity"]
    assert ui == {"type": "Root", "principalId": world.acct_a, "arn": f"arn:aws:iam::{world.acct_a}:root",
                  "accountId": world.acct_a, "accessKeyId": world.server.access_key}
    assert rec["recipientAccountId"] == world.acct_a and "sharedEventID" not in rec


# ---- IAM users -----------------------------------------------------------------------------------

def test_user_without_policy_is_refused_with_the_iam_style_message(world):
    s3 = s3_of(world.server, world.alice_key)
    code, msg, request_id = denied(lambda: s3.get_object(Bucket=world.bucket, Key="doc.txt"))
    want = (f'User: arn:aws:iam::{world.acct_a}:user/alice is not authorized to perform: s3:GetObject '
            f'on resource: "{world.arn("doc.txt")}" because no identity-based policy allows the '
            f's3:GetObject action')
    assert code == "AccessDenied" and msg == want
    rec = record_of(world.server, request_id)
    assert rec["errorCode"] == "AccessDenied" and rec["errorMessage"] == want
    ui = rec["userIdentity"]
    assert ui["type"] == "IAMUser" and ui["userName"] == "alice"
    assert ui["principalId"] == world.alice["UserId"] and ui["principalId"].startswith("AIDA")
    assert ui["arn"] == world.alice["Arn"] and ui["accountId"] == world.acct_a
    assert ui["accessKeyId"] == world.alice_key["AccessKeyId"]


def test_user_with_policy_reads_but_may_not_write(world):
    s3 = s3_of(world.server, world.bob_key)
    r = s3.get_object(Bucket=world.bucket, Key="doc.txt")
    assert r["Body"].read() == b"doc.txt"
    assert record_of(world.server, rid(r))["userIdentity"]["userName"] == "bob"
    code, msg, _ = denied(lambda: s3.put_object(Bucket=world.bucket, Key="new", Body=b"x"))
    assert code == "AccessDenied"
    assert msg.endswith("because no identity-based policy allows the s3:PutObject action")
    # s3:ListBucket is allowed, so a missing key is NoSuchKey, not AccessDenied.
    code, _, _ = denied(lambda: s3.get_object(Bucket=world.bucket, Key="absent"))
    assert code == "NoSuchKey"
    # alice may not list: the same miss is AccessDenied, so keys cannot be probed.
    code, _, _ = denied(lambda: s3_of(world.server, world.alice_key).get_object(Bucket=world.bucket, Key="absent"))
    assert code == "AccessDenied"


def test_explicit_deny_in_the_bucket_policy_beats_the_users_allow(world):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": world.bob["Arn"]}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{world.bucket}/secret/*"}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        s3 = s3_of(world.server, world.bob_key)
        code, msg, request_id = denied(lambda: s3.get_object(Bucket=world.bucket, Key="secret/s.txt"))
        assert code == "AccessDenied"
        assert msg == (f'User: {world.bob["Arn"]} is not authorized to perform: s3:GetObject on resource: '
                       f'"{world.arn("secret/s.txt")}" with an explicit deny in a resource-based policy')
        assert record_of(world.server, request_id)["errorMessage"] == msg
        assert s3.get_object(Bucket=world.bucket, Key="doc.txt")["Body"].read() == b"doc.txt"
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)


def test_bucket_policy_naming_a_user_allows_without_an_identity_policy(world):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.alice["Arn"]}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{world.bucket}/public/*"}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        s3 = s3_of(world.server, world.alice_key)
        assert s3.get_object(Bucket=world.bucket, Key="public/p.txt")["Body"].read() == b"public/p.txt"
        assert denied(lambda: s3.get_object(Bucket=world.bucket, Key="doc.txt"))[0] == "AccessDenied"
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)


def test_inactive_key_is_refused(world, server):
    iam_a = svc(server, "iam", server.access_key, server.secret_key)
    k = iam_a.create_access_key(UserName="alice")["AccessKey"]
    iam_a.update_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"], Status="Inactive")
    try:
        code, _, _ = denied(lambda: s3_of(server, k).list_buckets())
        assert code == "InvalidAccessKeyId"
    finally:
        iam_a.delete_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"])


# ---- session credentials ---------------------------------------------------------------------

def test_get_session_token_gives_the_user_session_credentials(world):
    sts = svc(world.server, "sts", world.bob_key["AccessKeyId"], world.bob_key["SecretAccessKey"])
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    r = s3_of(world.server, creds).get_object(Bucket=world.bucket, Key="doc.txt")
    ui = record_of(world.server, rid(r))["userIdentity"]
    assert ui["type"] == "IAMUser" and ui["userName"] == "bob" and ui["arn"] == world.bob["Arn"]
    assert ui["principalId"] == world.bob["UserId"] and ui["accessKeyId"] == creds["AccessKeyId"]
    assert ui["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ui["sessionContext"]["attributes"]["creationDate"])
    assert "sessionIssuer" not in ui["sessionContext"]
    # The session can do no more than bob.
    assert denied(lambda: s3_of(world.server, creds).put_object(Bucket=world.bucket, Key="n", Body=b""))[0] \
        == "AccessDenied"


def test_session_token_must_match(world):
    sts = svc(world.server, "sts", world.bob_key["AccessKeyId"], world.bob_key["SecretAccessKey"])
    creds = dict(sts.get_session_token(DurationSeconds=900)["Credentials"])
    creds["SessionToken"] = creds["SessionToken"][:-4] + "AAAA"
    code, _, _ = denied(lambda: s3_of(world.server, creds).list_buckets())
    assert code == "InvalidToken"


# ---- a role assumed across accounts ------------------------------------------------------------

def test_role_assumed_from_another_account(world):
    sts_c = svc(world.server, "sts", world.carol_key["AccessKeyId"], world.carol_key["SecretAccessKey"])
    out = sts_c.assume_role(RoleArn=world.role["Arn"], RoleSessionName="carol-session",
                            SourceIdentity="carol", DurationSeconds=900)
    creds = out["Credentials"]
    session_arn = f"arn:aws:sts::{world.acct_a}:assumed-role/reader/carol-session"
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f'{world.role["RoleId"]}:carol-session',
                                      "Arn": session_arn}
    s3 = s3_of(world.server, creds)
    ident = svc(world.server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"],
                creds["SessionToken"]).get_caller_identity()
    assert ident["Arn"] == session_arn and ident["Account"] == world.acct_a
    r = s3.get_object(Bucket=world.bucket, Key="doc.txt")
    rec = record_of(world.server, rid(r))
    ui = rec["userIdentity"]
    assert ui["type"] == "AssumedRole"
    assert ui["principalId"] == f'{world.role["RoleId"]}:carol-session'
    assert ui["arn"] == session_arn and ui["accountId"] == world.acct_a
    assert ui["accessKeyId"] == creds["AccessKeyId"]
    sc = ui["sessionContext"]
    assert sc["sessionIssuer"] == {"type": "Role", "principalId": world.role["RoleId"],
                                   "arn": world.role["Arn"], "accountId": world.acct_a, "userName": "reader"}
    assert sc["attributes"]["mfaAuthenticated"] == "false"
    assert sc["sourceIdentity"] == "carol"
    # The role's account is A: a same-account read, one record, to A.
    assert rec["recipientAccountId"] == world.acct_a and "sharedEventID" not in rec
    code, msg, _ = denied(lambda: s3.put_object(Bucket=world.bucket, Key="n", Body=b""))
    assert code == "AccessDenied" and msg.startswith(f"User: {session_arn} is not authorized")


def test_assume_role_needs_the_callers_permission(world):
    sts_d = svc(world.server, "sts", world.dave_key["AccessKeyId"], world.dave_key["SecretAccessKey"])
    code, msg, _ = denied(lambda: sts_d.assume_role(RoleArn=world.role["Arn"], RoleSessionName="denied-session"))
    assert code == "AccessDenied"
    assert msg.startswith(f"User: {world.dave['Arn']} is not authorized to perform: sts:AssumeRole")


def test_assume_role_needs_the_trust_policy(world):
    # alice is in A, but the trust policy names only account B.
    iam_a = svc(world.server, "iam", world.server.access_key, world.server.secret_key)
    iam_a.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    try:
        sts_al = svc(world.server, "sts", world.alice_key["AccessKeyId"], world.alice_key["SecretAccessKey"])
        assert denied(lambda: sts_al.assume_role(RoleArn=world.role["Arn"], RoleSessionName="denied-session"))[0] == "AccessDenied"
    finally:
        iam_a.delete_user_policy(UserName="alice", PolicyName="assume")


# ---- a federated user ------------------------------------------------------------------------

def test_federated_user_is_scoped_by_its_policy(world):
    sts = svc(world.server, "sts", world.bob_key["AccessKeyId"], world.bob_key["SecretAccessKey"])
    scope = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{world.bucket}/public/*"}]}
    out = sts.get_federation_token(Name="fed-bob", Policy=json.dumps(scope), DurationSeconds=900)
    creds = out["Credentials"]
    fed_arn = f"arn:aws:sts::{world.acct_a}:federated-user/fed-bob"
    assert out["FederatedUser"]["Arn"] == fed_arn
    s3 = s3_of(world.server, creds)
    r = s3.get_object(Bucket=world.bucket, Key="public/p.txt")
    ui = record_of(world.server, rid(r))["userIdentity"]
    assert ui["type"] == "FederatedUser" and ui["arn"] == fed_arn
    assert ui["principalId"] == f"{world.acct_a}:fed-bob" and ui["accountId"] == world.acct_a
    assert ui["sessionContext"]["sessionIssuer"] == {
        "type": "IAMUser", "principalId": world.bob["UserId"], "arn": world.bob["Arn"],
        "accountId": world.acct_a, "userName": "bob"}
    # bob may read doc.txt, but the session's policy does not reach it.
    code, msg, _ = denied(lambda: s3.get_object(Bucket=world.bucket, Key="doc.txt"))
    assert code == "AccessDenied" and msg.endswith("because no session policy allows the s3:GetObject action")


# ---- another account --------------------------------------------------------------------------

def test_other_account_needs_the_bucket_policy_and_both_get_the_event(world):
    code, msg, request_id = denied(lambda: world.s3_b.get_object(Bucket=world.bucket, Key="doc.txt"))
    assert code == "AccessDenied" and msg == "Access Denied"  # no context across accounts
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.acct_b}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{world.bucket}/*"}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        r = world.s3_b.get_object(Bucket=world.bucket, Key="doc.txt")
        assert r["Body"].read() == b"doc.txt"
        recs = records_of(world.server, rid(r))
        by = {x["recipientAccountId"]: x for x in recs}
        assert set(by) == {world.acct_a, world.acct_b}
        mine, owners = by[world.acct_b], by[world.acct_a]
        assert mine["sharedEventID"] == owners["sharedEventID"]
        assert mine["eventID"] != owners["eventID"]
        assert mine["userIdentity"]["type"] == "Root" and mine["userIdentity"]["accountId"] == world.acct_b
        assert owners["userIdentity"] == {"type": "AWSAccount", "principalId": world.acct_b,
                                          "accountId": world.acct_b}
        # B's user dave has no identity policy: the bucket policy naming B's account is not enough.
        s3_d = s3_of(world.server, world.dave_key)
        assert denied(lambda: s3_d.get_object(Bucket=world.bucket, Key="doc.txt"))[0] == "AccessDenied"
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)


# ---- anonymous and presigned ------------------------------------------------------------------

def test_anonymous_needs_a_public_grant_and_public_access_blocks_apply(world, s3_anon):
    code, msg, request_id = denied(lambda: s3_anon.get_object(Bucket=world.bucket, Key="public/p.txt"))
    assert code == "AccessDenied" and msg == "Access Denied"
    rec = record_of(world.server, request_id)
    assert rec["userIdentity"] == {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"}
    assert rec["recipientAccountId"] == world.acct_a
    world.s3_a.put_object_acl(Bucket=world.bucket, Key="public/p.txt", ACL="public-read")
    r = s3_anon.get_object(Bucket=world.bucket, Key="public/p.txt")
    assert r["Body"].read() == b"public/p.txt"
    world.s3_a.put_public_access_block(Bucket=world.bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})
    try:
        assert denied(lambda: s3_anon.get_object(Bucket=world.bucket, Key="public/p.txt"))[0] == "AccessDenied"
    finally:
        world.s3_a.delete_public_access_block(Bucket=world.bucket)
        world.s3_a.put_object_acl(Bucket=world.bucket, Key="public/p.txt", ACL="private")


def test_public_policy_and_restrict_public_buckets(world, s3_anon):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{world.bucket}/public/*"}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        assert s3_anon.get_object(Bucket=world.bucket, Key="public/p.txt")["Body"].read() == b"public/p.txt"
        assert world.s3_a.get_bucket_policy_status(Bucket=world.bucket)["PolicyStatus"]["IsPublic"] is True
        world.s3_a.put_public_access_block(Bucket=world.bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True})
        assert denied(lambda: s3_anon.get_object(Bucket=world.bucket, Key="public/p.txt"))[0] == "AccessDenied"
        assert denied(lambda: world.s3_b.get_object(Bucket=world.bucket, Key="public/p.txt"))[0] == "AccessDenied"
        # alice is in the owner's account: the policy still speaks for her.
        s3 = s3_of(world.server, world.alice_key)
        assert s3.get_object(Bucket=world.bucket, Key="public/p.txt")["Body"].read() == b"public/p.txt"
    finally:
        world.s3_a.delete_public_access_block(Bucket=world.bucket)
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)


def _fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_presigned_urls_carry_the_signers_rights(world):
    ok = s3_of(world.server, world.bob_key).generate_presigned_url(
        "get_object", Params={"Bucket": world.bucket, "Key": "doc.txt"}, ExpiresIn=300)
    status, body = _fetch(ok)
    assert status == 200 and body == b"doc.txt"
    recs = [r for r in journal(world.server)
            if r.get("additionalEventData", {}).get("AuthenticationMethod") == "QueryString"
            and r["userIdentity"].get("userName") == "bob"]
    assert recs and recs[-1]["eventName"] == "GetObject" and "errorCode" not in recs[-1]
    bad = s3_of(world.server, world.alice_key).generate_presigned_url(
        "get_object", Params={"Bucket": world.bucket, "Key": "doc.txt"}, ExpiresIn=300)
    status, body = _fetch(bad)
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert b"because no identity-based policy allows the s3:GetObject action" in body


# ---- conditions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("condition,allowed", [
    ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, True),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, False),
    ({"StringEquals": {"aws:PrincipalAccount": "ACCT_B"}}, True),
    ({"StringNotEquals": {"aws:PrincipalAccount": "ACCT_B"}}, False),
    ({"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}, False),
    ({"DateGreaterThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}, True),
    ({"Null": {"aws:SourceArn": "true"}}, True),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}, True),
    ({"StringLike": {"aws:Referer": "http://www.example.com/*"}}, False),  # boto3 sends none
    ({"StringLikeIfExists": {"aws:Referer": "http://www.example.com/*"}}, True),
    ({"StringLike": {"aws:UserAgent": "*Boto3*"}}, True),
])
def test_bucket_policy_conditions(world, condition, allowed):
    cond = json.loads(json.dumps(condition).replace("ACCT_B", world.acct_b))
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{world.acct_b}:root"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{world.bucket}/*", "Condition": cond}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        if allowed:
            assert world.s3_b.get_object(Bucket=world.bucket, Key="doc.txt")["Body"].read() == b"doc.txt"
        else:
            assert denied(lambda: world.s3_b.get_object(Bucket=world.bucket, Key="doc.txt"))[0] == "AccessDenied"
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)


@pytest.mark.parametrize("prefix,allowed", [("public/", True), ("secret/", False)])
def test_list_bucket_prefix_condition(world, prefix, allowed):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.acct_b}, "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{world.bucket}",
         "Condition": {"StringLike": {"s3:prefix": ["public/*", "public/"]}}}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        if allowed:
            keys = [o["Key"] for o in world.s3_b.list_objects_v2(Bucket=world.bucket, Prefix=prefix)["Contents"]]
            assert keys == ["public/p.txt"]
        else:
            assert denied(lambda: world.s3_b.list_objects_v2(Bucket=world.bucket, Prefix=prefix))[0] == "AccessDenied"
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)


def test_cross_account_management_event_is_in_both_event_histories(world):
    """A bucket-level call by B on A's bucket is a management event of both accounts: each
    LookupEvents finds its own copy, with one sharedEventID between them."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.acct_b}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{world.bucket}"}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        request_id = rid(world.s3_b.get_bucket_acl(Bucket=world.bucket))
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)
    server = world.server
    ct_a = svc(server, "cloudtrail", server.access_key, server.secret_key)
    ct_b = svc(server, "cloudtrail", server.alt_access_key, server.alt_secret_key)

    def found(ct):
        events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                     "AttributeValue": "GetBucketAcl"}])["Events"]
        return [json.loads(e["CloudTrailEvent"]) for e in events
                if json.loads(e["CloudTrailEvent"])["requestID"] == request_id]

    (mine,), (owners,) = found(ct_b), found(ct_a)
    assert mine["recipientAccountId"] == world.acct_b and owners["recipientAccountId"] == world.acct_a
    assert mine["sharedEventID"] == owners["sharedEventID"] and mine["eventID"] != owners["eventID"]
    assert owners["userIdentity"] == {"type": "AWSAccount", "principalId": world.acct_b,
                                      "accountId": world.acct_b}
    assert mine["userIdentity"]["type"] == "Root"


# ---- regressions from review ----------------------------------------------------------------------

def test_another_account_never_gets_the_bucket_policy_calls(world):
    """Even with s3:* granted, the policy calls belong to the owner's account: 405 (S3's answer
    to a permitted identity of another account)."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.acct_b}, "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{world.bucket}", f"arn:aws:s3:::{world.bucket}/*"]}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        for call in (lambda: world.s3_b.get_bucket_policy(Bucket=world.bucket),
                     lambda: world.s3_b.delete_bucket_policy(Bucket=world.bucket),
                     lambda: world.s3_b.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))):
            assert denied(call)[0] == "MethodNotAllowed"
        assert json.loads(world.s3_a.get_bucket_policy(Bucket=world.bucket)["Policy"]) == policy
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)


def test_session_policy_limits_what_a_bucket_policy_grants_the_role(world, server):
    iam_a = svc(server, "iam", server.access_key, server.secret_key)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.acct_a}, "Action": "sts:AssumeRole"}]}
    role = iam_a.create_role(RoleName="narrowed", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam_a.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": role["Arn"]}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{world.bucket}/*"}]}))
    try:
        sts = svc(server, "sts", world.alice_key["AccessKeyId"], world.alice_key["SecretAccessKey"])
        wide = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="wide")["Credentials"]
        assert s3_of(server, wide).get_object(Bucket=world.bucket, Key="doc.txt")["Body"].read() == b"doc.txt"
        narrow = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))["Credentials"]
        assert denied(lambda: s3_of(server, narrow).get_object(Bucket=world.bucket, Key="doc.txt"))[0] \
            == "AccessDenied"
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)
        iam_a.delete_user_policy(UserName="alice", PolicyName="assume")


def test_public_read_object_is_readable_by_a_user_without_policies(world):
    world.s3_a.put_object(Bucket=world.bucket, Key="public/open.txt", Body=b"open", ACL="public-read")
    s3 = s3_of(world.server, world.alice_key)
    assert s3.get_object(Bucket=world.bucket, Key="public/open.txt")["Body"].read() == b"open"


def test_owner_copy_of_a_refusal_does_not_name_the_requesters_user(world, server):
    """B's object in A's bucket, readable by A: B's user without policies is refused with the
    IAM-style text naming its ARN; A's copy of the event says only Access Denied."""
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.acct_b}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{world.bucket}/*"}]}))
    try:
        world.s3_b.put_object(Bucket=world.bucket, Key="from-b", Body=b"b", ACL="bucket-owner-read")
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)
    code, msg, request_id = denied(lambda: s3_of(server, world.dave_key).get_object(Bucket=world.bucket, Key="from-b"))
    assert code == "AccessDenied" and msg.startswith(f"User: {world.dave['Arn']} is not authorized")
    by = {r["recipientAccountId"]: r for r in records_of(server, request_id)}
    assert by[world.acct_b]["errorMessage"] == msg
    assert by[world.acct_a]["errorMessage"] == "Access Denied"
    assert world.dave["Arn"] not in json.dumps(by[world.acct_a])


def test_session_credentials_without_a_role_cannot_call_iam(world, server):
    iam_a = svc(server, "iam", server.access_key, server.secret_key)
    iam_a.put_user_policy(UserName="bob", PolicyName="iam-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    try:
        sts = svc(server, "sts", world.bob_key["AccessKeyId"], world.bob_key["SecretAccessKey"])
        assert svc(server, "iam", world.bob_key["AccessKeyId"], world.bob_key["SecretAccessKey"]) \
            .get_user()["User"]["UserName"] == "bob"
        for creds in (sts.get_session_token(DurationSeconds=900)["Credentials"],
                      sts.get_federation_token(Name="fed-iam", DurationSeconds=900, Policy=json.dumps({
                          "Version": "2012-10-17",
                          "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}))["Credentials"]):
            iam = svc(server, "iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
            assert denied(lambda: iam.get_user(UserName="bob"))[0] == "AccessDenied"
    finally:
        iam_a.delete_user_policy(UserName="bob", PolicyName="iam-read")


def test_a_recreated_role_does_not_serve_old_sessions(world, server):
    iam_a = svc(server, "iam", server.access_key, server.secret_key)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.acct_a}, "Action": "sts:AssumeRole"}]})
    read = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{world.bucket}/*"}]})
    iam_a.create_role(RoleName="phoenix", AssumeRolePolicyDocument=trust)
    iam_a.put_role_policy(RoleName="phoenix", PolicyName="read", PolicyDocument=read)
    iam_a.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    try:
        sts = svc(server, "sts", world.alice_key["AccessKeyId"], world.alice_key["SecretAccessKey"])
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{world.acct_a}:role/phoenix",
                                RoleSessionName="old")["Credentials"]
        assert s3_of(server, creds).get_object(Bucket=world.bucket, Key="doc.txt")["Body"].read() == b"doc.txt"
        iam_a.delete_role_policy(RoleName="phoenix", PolicyName="read")
        iam_a.delete_role(RoleName="phoenix")
        iam_a.create_role(RoleName="phoenix", AssumeRolePolicyDocument=trust)
        iam_a.put_role_policy(RoleName="phoenix", PolicyName="read", PolicyDocument=read)
        assert denied(lambda: s3_of(server, creds).get_object(Bucket=world.bucket, Key="doc.txt"))[0] \
            == "AccessDenied"
    finally:
        iam_a.delete_user_policy(UserName="alice", PolicyName="assume")
        iam_a.delete_role_policy(RoleName="phoenix", PolicyName="read")
        iam_a.delete_role(RoleName="phoenix")


def test_a_missing_key_is_revealed_only_under_a_listable_prefix(world):
    """NoSuchKey needs s3:ListBucket, judged as a listing of the key as prefix."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": world.acct_b}, "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{world.bucket}", "Condition": {"StringLike": {"s3:prefix": "public/*"}}},
        {"Effect": "Allow", "Principal": {"AWS": world.acct_b}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{world.bucket}/*"}]}
    world.s3_a.put_bucket_policy(Bucket=world.bucket, Policy=json.dumps(policy))
    try:
        assert denied(lambda: world.s3_b.get_object(Bucket=world.bucket, Key="public/none"))[0] == "NoSuchKey"
        assert denied(lambda: world.s3_b.get_object(Bucket=world.bucket, Key="secret/none"))[0] == "AccessDenied"
    finally:
        world.s3_a.delete_bucket_policy(Bucket=world.bucket)
