"""Block Public Access: the bucket calls (Put/Get/DeletePublicAccessBlock), the account calls of S3
Control (/v20180820/configuration/publicAccessBlock, with botocore's {AccountId}. host prefix),
BlockPublicAcls and BlockPublicPolicy refusing public ACLs and policies when they are stored,
GetBucketPolicyStatus, and the CloudTrail records of these calls.

IgnorePublicAcls and RestrictPublicBuckets act when access is decided.
"""
import json
import socket
import subprocess
import threading
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
from botocore.config import Config

from e2e_support import S3_NS, expect_error, journal, record_of

S3CONTROL_NS = "http://awss3control.amazonaws.com/doc/2018-08-20/"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
ALL_OFF = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
           "RestrictPublicBuckets": False}


def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


def s3control(server, access_key=None, secret_key=None):
    """boto3's s3control client for the server. botocore's endpoint rules send every call to
    <AccountId>.<endpoint host>, custom endpoints included (inject_host_prefix does not turn that
    off): no resolver here knows that name, so the connection is made to the server's address
    while the Host header keeps the name the request was signed for, which is what the server
    sees from a client with wildcard DNS."""
    cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60)
    c = boto3.session.Session().client(
        "s3control", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key, config=cfg)
    seen = []

    def redirect(request, **kwargs):
        u = urlsplit(request.url)
        seen.append(u.netloc)
        request.headers["Host"] = u.netloc
        request.url = urlunsplit(u._replace(netloc=f"{server.host}:{server.port}"))

    c.meta.events.register("before-send", redirect)
    c.hosts_seen = seen
    return c


# ---- bucket level ------------------------------------------------------------------------------

def test_bucket_round_trip(server, s3, bucket):
    with expect_error("NoSuchPublicAccessBlockConfiguration", 404) as ei:
        s3.get_public_access_block(Bucket=bucket)
    err = ei.value.response["Error"]
    assert err["Message"] == "The public access block configuration was not found"
    assert err["BucketName"] == bucket
    put = s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "RestrictPublicBuckets": True})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = s3.get_public_access_block(Bucket=bucket)
    assert got["PublicAccessBlockConfiguration"] == dict(ALL_OFF, BlockPublicAcls=True, RestrictPublicBuckets=True)
    # A second PUT replaces the first entirely: what it leaves out is false.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == \
        dict(ALL_OFF, IgnorePublicAcls=True)
    deleted = s3.delete_public_access_block(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("NoSuchPublicAccessBlockConfiguration", 404):
        s3.get_public_access_block(Bucket=bucket)
    assert s3.delete_public_access_block(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204

    records = {r["requestID"]: r for r in journal(server)}
    for resp, name, read_only in ((put, "PutBucketPublicAccessBlock", False),
                                  (got, "GetBucketPublicAccessBlock", True),
                                  (deleted, "DeleteBucketPublicAccessBlock", False)):
        rec = records[rid(resp)]
        assert rec["eventName"] == name and rec["eventSource"] == "s3.amazonaws.com"
        assert rec["readOnly"] is read_only and rec["managementEvent"] is True and "errorCode" not in rec
    assert records[rid(put)]["requestParameters"]["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True


def test_bucket_exact_document(raw, s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    r = raw("GET", f"/{bucket}", query={"publicAccessBlock": None})
    assert r.status == 200 and r.header("Content-Type") == "application/xml"
    assert r.body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<PublicAccessBlockConfiguration xmlns="{S3_NS}"><BlockPublicAcls>false</BlockPublicAcls>'
        '<IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>'
        '<RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>')


@pytest.mark.parametrize("body", [
    b"",
    b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>",
    b"<PublicAccessBlockConfiguration><BlockAll>true</BlockAll></PublicAccessBlockConfiguration>",
    b"<PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlock>",
    b"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
    b"<BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>",
])
def test_bucket_malformed(raw, s3, bucket, body):
    r = raw("PUT", f"/{bucket}", query={"publicAccessBlock": None}, body=body)
    assert (r.status, r.error["Code"]) == (400, "MalformedXML")
    with expect_error("NoSuchPublicAccessBlockConfiguration", 404):
        s3.get_public_access_block(Bucket=bucket)


# ---- BlockPublicAcls -----------------------------------------------------------------------------

def test_block_public_acls_refuses_public_acls(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    refused = [
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"),
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL="authenticated-read"),
        lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead=f'uri="{ALL_USERS}"'),
        lambda: s3.put_object_acl(Bucket=bucket, Key="src", ACL="public-read-write"),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read"),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantRead=f'uri="{ALL_USERS}"'),
        lambda: s3.copy_object(Bucket=bucket, Key="k", CopySource=f"{bucket}/src", ACL="public-read"),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", ACL="authenticated-read"),
    ]
    for call in refused:
        with expect_error("AccessDenied", 403) as ei:
            call()
        rec = record_of(server, ei.value.response["ResponseMetadata"]["RequestId"])
        assert rec["errorCode"] == "AccessDenied"
    with expect_error("NoSuchKey", 404):
        s3.get_object_acl(Bucket=bucket, Key="k")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # What is not public still goes through (LogDelivery is no public group).
    s3.put_bucket_acl(Bucket=bucket, ACL="log-delivery-write")
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object_acl(Bucket=bucket, Key="k", GrantRead=f'uri="{LOG_DELIVERY}"')
    # Only BlockPublicAcls refuses: the other three leave ACL writes alone.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    s3.delete_public_access_block(Bucket=bucket)


def test_existing_public_acl_survives_block(s3, bucket):
    s3.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    grants = s3.get_object_acl(Bucket=bucket, Key="pub")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants


def test_ignore_public_acls_at_access_time(s3, s3_anon, bucket):
    s3.put_object(Bucket=bucket, Key="pub", Body=b"hello", ACL="public-read")
    assert s3_anon.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"hello"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    with expect_error("AccessDenied", 403):
        s3_anon.get_object(Bucket=bucket, Key="pub")


# ---- BlockPublicPolicy and GetBucketPolicyStatus -------------------------------------------------

def public_policy(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def private_policy(bucket, account):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def test_policy_status(server, raw, s3, bucket):
    with expect_error("NoSuchBucketPolicy", 404) as ei:
        s3.get_bucket_policy_status(Bucket=bucket)
    assert ei.value.response["Error"]["BucketName"] == bucket
    s3.put_bucket_policy(Bucket=bucket, Policy=private_policy(bucket, server.alt_account["AccountId"]))
    got = s3.get_bucket_policy_status(Bucket=bucket)
    assert got["PolicyStatus"] == {"IsPublic": False}
    rec = record_of(server, rid(got))
    assert rec["eventName"] == "GetBucketPolicyStatus" and rec["readOnly"] is True
    assert rec["managementEvent"] is True and "errorCode" not in rec
    r = raw("GET", f"/{bucket}", query={"policyStatus": None})
    assert r.body.decode() == ('<?xml version="1.0" encoding="UTF-8"?>\n'
                               f'<PolicyStatus xmlns="{S3_NS}"><IsPublic>false</IsPublic></PolicyStatus>')


def test_policy_status_public(s3, bucket):
    s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": True}


def test_block_public_policy_accepts_private_policies(server, s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    s3.put_bucket_policy(Bucket=bucket, Policy=private_policy(bucket, server.alt_account["AccountId"]))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Principal"]["AWS"] \
        .startswith("arn:aws:iam::")


def test_block_public_policy_refuses_public_policy(server, s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    with expect_error("AccessDenied", 403) as ei:
        s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(bucket))
    assert record_of(server, ei.value.response["ResponseMetadata"]["RequestId"])["errorCode"] == "AccessDenied"
    with expect_error("NoSuchBucketPolicy", 404):
        s3.get_bucket_policy(Bucket=bucket)
    # Without the block the same policy is taken.
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(bucket))


# ---- account level (S3 Control) ------------------------------------------------------------------

def test_account_round_trip(server):
    """The alt account's settings, with the {AccountId}. host prefix botocore puts on the
    endpoint."""
    alt = server.alt_account["AccountId"]
    ctl = s3control(server, server.alt_access_key, server.alt_secret_key)
    try:
        with expect_error("NoSuchPublicAccessBlockConfiguration", 404) as ei:
            ctl.get_public_access_block(AccountId=alt)
        assert ei.value.response["Error"]["Message"] == "The public access block configuration was not found"
        put = ctl.put_public_access_block(AccountId=alt, PublicAccessBlockConfiguration={
            "BlockPublicPolicy": True, "IgnorePublicAcls": True})
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
        got = ctl.get_public_access_block(AccountId=alt)
        assert got["PublicAccessBlockConfiguration"] == dict(ALL_OFF, BlockPublicPolicy=True, IgnorePublicAcls=True)
        deleted = ctl.delete_public_access_block(AccountId=alt)
        assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 200
        with expect_error("NoSuchPublicAccessBlockConfiguration", 404):
            ctl.get_public_access_block(AccountId=alt)
    finally:
        ctl.delete_public_access_block(AccountId=alt)
    assert set(ctl.hosts_seen) == {f"{alt}.{server.host}:{server.port}"}

    records = {r["requestID"]: r for r in journal(server)}
    for resp, name, read_only in ((put, "PutAccountPublicAccessBlock", False),
                                  (got, "GetAccountPublicAccessBlock", True),
                                  (deleted, "DeleteAccountPublicAccessBlock", False)):
        rec = records[rid(resp)]
        assert rec["eventName"] == name and rec["eventSource"] == "s3.amazonaws.com"
        assert rec["readOnly"] is read_only and rec["managementEvent"] is True and "errorCode" not in rec
        assert rec["recipientAccountId"] == alt and rec["userIdentity"]["accountId"] == alt


def test_account_exact_document_and_other_accounts(server, raw):
    alt = server.alt_account["AccountId"]
    ctl = s3control(server, server.alt_access_key, server.alt_secret_key)
    main_ctl = s3control(server)
    try:
        ctl.put_public_access_block(AccountId=alt, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
        r = raw("GET", "/v20180820/configuration/publicAccessBlock", headers={"x-amz-account-id": alt},
                creds=(server.alt_access_key, server.alt_secret_key))
        assert r.status == 200
        assert r.body.decode() == (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<PublicAccessBlockConfiguration xmlns="{S3CONTROL_NS}"><BlockPublicAcls>true</BlockPublicAcls>'
            '<IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy>'
            '<RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>')
        # Another account's settings are not the caller's to read or change.
        for call in (lambda: main_ctl.get_public_access_block(AccountId=alt),
                     lambda: main_ctl.put_public_access_block(AccountId=alt, PublicAccessBlockConfiguration={}),
                     lambda: main_ctl.delete_public_access_block(AccountId=alt)):
            with expect_error("AccessDenied", 403) as ei:
                call()
            assert record_of(server, ei.value.response["ResponseMetadata"]["RequestId"])["errorCode"] == "AccessDenied"
        assert ctl.get_public_access_block(AccountId=alt)["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
        # Without x-amz-account-id, or unsigned: refused too.
        r = raw("GET", "/v20180820/configuration/publicAccessBlock", creds=(server.alt_access_key, server.alt_secret_key))
        assert (r.status, r.error["Code"]) == (403, "AccessDenied")
        r = raw("GET", "/v20180820/configuration/publicAccessBlock", headers={"x-amz-account-id": alt}, sign=False)
        assert (r.status, r.error["Code"]) == (403, "AccessDenied")
        r = raw("PUT", "/v20180820/configuration/publicAccessBlock", headers={"x-amz-account-id": alt},
                creds=(server.alt_access_key, server.alt_secret_key), body=b"<Nope/>")
        assert (r.status, r.error["Code"]) == (400, "MalformedXML")
    finally:
        ctl.delete_public_access_block(AccountId=alt)


class ForwardProxy:
    """A minimal HTTP forward proxy: takes the absolute-form request line a client sends to a proxy
    (GET http://<AccountId>.127.0.0.1:<port>/path HTTP/1.1), sends the origin form to the server
    and pipes the bytes both ways. The Host header is left as the client wrote it. It lets the aws
    CLI, which has no option to connect elsewhere, talk to <AccountId>.<host> without DNS."""

    def __init__(self, target):
        self.target = target
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.first_lines = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()

    def handle(self, c):
        data = b""
        while b"\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                c.close()
                return
            data += chunk
        line, rest = data.split(b"\r\n", 1)
        method, url, version = line.decode().split(" ")
        self.first_lines.append(line.decode())
        u = urlsplit(url)
        path = u.path + (f"?{u.query}" if u.query else "")
        up = socket.create_connection(self.target)
        up.sendall(f"{method} {path} {version}\r\n".encode() + rest)

        def pipe(a, b):
            try:
                while True:
                    d = a.recv(65536)
                    if not d:
                        break
                    b.sendall(d)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        t = threading.Thread(target=pipe, args=(up, c), daemon=True)
        t.start()
        pipe(c, up)
        t.join(10)
        c.close()
        up.close()

    def close(self):
        self.sock.close()


def test_account_with_aws_cli(server, aws):
    """aws s3control, which sends its calls to <AccountId>.<endpoint host>: through a forward proxy
    here, as no DNS knows <AccountId>.127.0.0.1 (README: wildcard DNS, an /etc/hosts line or a
    proxy)."""
    alt = server.alt_account["AccountId"]
    creds = (server.alt_access_key, server.alt_secret_key)
    proxy = ForwardProxy((server.host, server.port))

    def cli(*args):
        env = aws.env(creds)
        env.update(HTTP_PROXY=f"http://127.0.0.1:{proxy.port}", NO_PROXY="")
        return subprocess.run([aws.exe, "--endpoint-url", server.endpoint, "s3control", *args,
                               "--account-id", alt], capture_output=True, text=True, env=env, timeout=120)

    try:
        p = cli("get-public-access-block")
        assert p.returncode == 255 and "NoSuchPublicAccessBlockConfiguration" in p.stderr, p.stderr
        p = cli("put-public-access-block", "--public-access-block-configuration",
                "BlockPublicAcls=true,RestrictPublicBuckets=true")
        assert p.returncode == 0 and p.stdout == "", p.stderr
        p = cli("get-public-access-block")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout) == {"PublicAccessBlockConfiguration": dict(
            ALL_OFF, BlockPublicAcls=True, RestrictPublicBuckets=True)}
        p = cli("delete-public-access-block")
        assert p.returncode == 0 and p.stdout == "", p.stderr
        p = cli("get-public-access-block")
        assert p.returncode == 255 and "NoSuchPublicAccessBlockConfiguration" in p.stderr, p.stderr
        where = f"http://{alt}.{server.host}:{server.port}/v20180820/configuration/publicAccessBlock HTTP/1.1"
        assert proxy.first_lines == [f"GET {where}", f"PUT {where}", f"GET {where}", f"DELETE {where}",
                                     f"GET {where}"]
    finally:
        cli("delete-public-access-block")
        proxy.close()


def test_account_block_public_acls(start_server):
    """The account's BlockPublicAcls protects every bucket of the account, those it creates
    included; a bucket's own configuration cannot lift it. A dedicated server: the account's
    settings would reach every other test's buckets."""
    srv = start_server("pab-account")
    s3 = srv.client()
    owner = s3.list_buckets()["Owner"]
    account = record_account(srv)
    s3.create_bucket(Bucket="existing")
    s3.put_object(Bucket="existing", Key="k", Body=b"x")
    ctl = s3control(srv)
    ctl.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    with expect_error("AccessDenied", 403):
        s3.create_bucket(Bucket="public-one", ACL="public-read")
    with expect_error("404", 404):
        s3.head_bucket(Bucket="public-one")
    with expect_error("AccessDenied", 403):
        s3.create_bucket(Bucket="public-two", GrantRead=f'uri="{ALL_USERS}"')
    s3.put_public_access_block(Bucket="existing", PublicAccessBlockConfiguration={"BlockPublicAcls": False})
    with expect_error("AccessDenied", 403):
        s3.put_bucket_acl(Bucket="existing", ACL="public-read")
    with expect_error("AccessDenied", 403):
        s3.put_object_acl(Bucket="existing", Key="k", ACL="public-read")
    s3.create_bucket(Bucket="private-one", ACL="private")
    assert s3.get_bucket_acl(Bucket="private-one")["Owner"] == owner
    ctl.delete_public_access_block(AccountId=account)
    s3.put_object_acl(Bucket="existing", Key="k", ACL="public-read")
    s3.create_bucket(Bucket="public-one", ACL="public-read")


def record_account(srv):
    """The account id of the server's default account, from the record of one call."""
    s3 = srv.client()
    resp = s3.list_buckets()
    return record_of(srv, resp["ResponseMetadata"]["RequestId"])["recipientAccountId"]
