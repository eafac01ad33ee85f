"""IAM and STS over the AWS Query protocol on the server's port, with boto3's iam/sts clients,
hand-made requests and the aws CLI.

What is pinned here: every implemented IAM action's success shape and its errors (NoSuchEntity
404, EntityAlreadyExists 409, DeleteConflict 409, LimitExceeded 409, MalformedPolicyDocument 400,
ValidationError 400, InvalidInput 400), the Query error document (ErrorResponse, its namespace,
Type, Code, RequestId = x-amz-request-id, text/xml), routing (InvalidAction, unsigned calls,
GET /?Action=), temporary credentials from GetSessionToken / GetFederationToken (and AssumeRole
where the policy engine is present) working for S3 and STS calls, a wrong token, an expired token
and an inactive key, and the CloudTrail records of the calls (eventSource, eventName, region,
readOnly; never a secret or a session token in the journal).
"""
import datetime
import json
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from e2e_support import expect_error, journal, parse_xml

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


# ---- clients -------------------------------------------------------------------------------------

def client(server, service, creds=None, region="us-east-1", validate=True):
    creds = creds or (server.access_key, server.secret_key)
    ak, sk, tok = creds[0], creds[1], creds[2] if len(creds) > 2 else None
    cfg = Config(retries={"total_max_attempts": 1}, parameter_validation=validate)
    return boto3.session.Session().client(service, endpoint_url=server.endpoint, region_name=region,
                                          aws_access_key_id=ak, aws_secret_access_key=sk,
                                          aws_session_token=tok, config=cfg)


def temp(creds):
    """(ak, sk, token) of an STS Credentials dict."""
    return creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]


@pytest.fixture(scope="module")
def iam(server):
    return client(server, "iam")


@pytest.fixture(scope="module")
def iam_raw(server):
    """Root's iam client without botocore's parameter validation (to send what the server must
    refuse)."""
    return client(server, "iam", validate=False)


@pytest.fixture(scope="module")
def sts(server):
    return client(server, "sts")


@pytest.fixture(scope="module")
def account(sts):
    return sts.get_caller_identity()["Account"]


def name(hint):
    return f"{hint}-{uuid.uuid4().hex[:10]}"


def remove_user(iam, user):
    """Deletes a user and whatever hangs on it (keys, inline and attached policies)."""
    try:
        for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
        for p in iam.list_user_policies(UserName=user)["PolicyNames"]:
            iam.delete_user_policy(UserName=user, PolicyName=p)
        for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]:
            iam.detach_user_policy(UserName=user, PolicyArn=p["PolicyArn"])
        iam.delete_user(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        pass


def remove_role(iam, role):
    try:
        for p in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=p)
        for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=p["PolicyArn"])
        iam.delete_role(RoleName=role)
    except iam.exceptions.NoSuchEntityException:
        pass


@pytest.fixture
def users(iam):
    """Factory: users(path="/") -> a new user's name; every user made is removed afterwards."""
    made = []

    def make(path="/", hint="u"):
        n = name(hint)
        iam.create_user(UserName=n, Path=path)
        made.append(n)
        return n

    yield make
    for n in made:
        remove_user(iam, n)


@pytest.fixture
def roles(iam, account):
    made = []

    def make(trust=None, **kw):
        n = name("r")
        trust = trust or {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=json.dumps(trust), **kw)
        made.append(n)
        return n

    yield make
    for n in made:
        remove_role(iam, n)


@pytest.fixture
def policies(iam):
    made = []

    def make(doc=None, **kw):
        n = kw.pop("PolicyName", None) or name("p")
        arn = iam.create_policy(PolicyName=n, PolicyDocument=json.dumps(doc or ALLOW_ALL), **kw)["Policy"]["Arn"]
        made.append(arn)
        return arn

    yield make
    for arn in made:
        try:
            iam.delete_policy(PolicyArn=arn)
        except iam.exceptions.NoSuchEntityException:
            pass
        except iam.exceptions.DeleteConflictException:
            pass


def raw_body(client, op_name):
    """Captures the raw response body of the next `op_name` call of client."""
    box = {}

    def grab(http_response, **kw):
        box["body"] = http_response.content

    client.meta.events.register(f"after-call.{client.meta.service_model.endpoint_prefix}.{op_name}", grab)
    return box


class RawQuery:
    """A hand-made Query call: (status, headers, body bytes). SigV4 for `service` unless
    sign=False."""

    def __init__(self, server):
        self.server = server

    def __call__(self, params, service="iam", region="us-east-1", sign=True, method="POST", creds=None,
                 tamper=False):
        ak, sk = creds or (self.server.access_key, self.server.secret_key)
        url = self.server.endpoint + "/"
        data = urllib.parse.urlencode(params).encode()
        headers = {}
        if method == "GET":
            url += "?" + data.decode()
            data = b""
        else:
            headers["Content-Type"] = FORM
        if sign:
            req = AWSRequest(method=method, url=url, data=data, headers=headers)
            SigV4Auth(Credentials(ak, sk), service, region).add_auth(req)
            headers = dict(req.prepare().headers)
            if tamper:
                data = data + b"&Extra=1"
                headers.pop("Content-Length", None)
        r = urllib.request.Request(url, data=data if method == "POST" else None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(r, timeout=60) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def rawq(server):
    return RawQuery(server)


def query_error(status, headers, body, ns):
    """The Query ErrorResponse's fields, checking its frame: namespace, Type, RequestId equal to
    x-amz-request-id, Content-Type text/xml."""
    assert headers["Content-Type"] == "text/xml", headers
    root = ET_fromstring(body)
    assert root.tag == "{%s}ErrorResponse" % ns, body
    err = {c.tag.split("}")[1]: c.text for c in root.find("{%s}Error" % ns)}
    assert err["Type"] == ("Receiver" if status >= 500 else "Sender"), body
    assert root.find("{%s}RequestId" % ns).text == headers["x-amz-request-id"], body
    assert headers["x-amzn-RequestId"] == headers["x-amz-request-id"]
    return err


def ET_fromstring(body):
    import xml.etree.ElementTree as ET
    return ET.fromstring(body)


def records_with(server, request_id):
    return [r for r in journal(server) if r.get("requestID") == request_id]


def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


def dt(v):
    assert isinstance(v, datetime.datetime) and v.tzinfo is not None, v
    return v


# ---- routing and the error document -----------------------------------------------------------------

def test_get_caller_identity_root(sts, server, account):
    got = sts.get_caller_identity()
    assert got["UserId"] == account
    assert got["Account"] == account
    assert got["Arn"] == f"arn:aws:iam::{account}:root"
    assert re.fullmatch(r"\d{12}", account)
    h = got["ResponseMetadata"]["HTTPHeaders"]
    assert h["content-type"] == "text/xml"
    assert h["x-amzn-requestid"] == h["x-amz-request-id"]


def test_get_caller_identity_cli(aws, account):
    p = aws("sts", "get-caller-identity", check=True)
    assert json.loads(p.stdout) == {"UserId": account, "Account": account,
                                    "Arn": f"arn:aws:iam::{account}:root"}


def test_raw_response_shape(rawq, account):
    status, headers, body = rawq({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, service="sts")
    assert status == 200
    assert headers["Content-Type"] == "text/xml"
    root = ET_fromstring(body)
    ns = "{%s}" % STS_NS
    assert root.tag == ns + "GetCallerIdentityResponse"
    res = root.find(ns + "GetCallerIdentityResult")
    assert [c.tag for c in res] == [ns + "UserId", ns + "Account", ns + "Arn"]
    assert res.find(ns + "Account").text == account
    assert root.find(f"{ns}ResponseMetadata/{ns}RequestId").text == headers["x-amz-request-id"]


def test_get_query_form(rawq, account):
    status, headers, body = rawq({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, service="sts",
                                 method="GET")
    assert status == 200, body
    assert parse_xml(body).find("GetCallerIdentityResult/Account").text == account


def test_invalid_action_not_recorded(rawq, server):
    status, headers, body = rawq({"Action": "MakeCoffee", "Version": "2010-05-08"})
    assert status == 400
    err = query_error(status, headers, body, IAM_NS)
    assert err["Code"] == "InvalidAction"
    assert err["Message"] == "Could not find operation MakeCoffee for version 2010-05-08"
    assert records_with(server, headers["x-amz-request-id"]) == []
    status, headers, body = rawq({"Action": "Frobnicate", "Version": "2011-06-15"}, service="sts")
    assert query_error(status, headers, body, STS_NS)["Code"] == "InvalidAction"


def test_unimplemented_action(rawq):
    status, headers, body = rawq({"Action": "CreateGroup", "GroupName": "g", "Version": "2010-05-08"})
    assert status == 501
    err = query_error(status, headers, body, IAM_NS)
    assert err["Code"] == "NotImplemented"
    assert err["Type"] == "Receiver"


def test_unsigned_refused_not_recorded(rawq, server):
    status, headers, body = rawq({"Action": "ListUsers", "Version": "2010-05-08"}, sign=False)
    assert status == 403
    err = query_error(status, headers, body, IAM_NS)
    assert err == {"Type": "Sender", "Code": "MissingAuthenticationToken",
                   "Message": "Request is missing Authentication Token"}
    assert records_with(server, headers["x-amz-request-id"]) == []


def test_bad_signature_in_query_format(rawq, server):
    status, headers, body = rawq({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, service="sts",
                                 tamper=True)
    assert status == 403
    assert query_error(status, headers, body, STS_NS)["Code"] == "SignatureDoesNotMatch"
    status, headers, body = rawq({"Action": "ListUsers", "Version": "2010-05-08"},
                                 creds=("AKIANOSUCHKEY0000000", "x" * 40))
    assert status == 403
    err = query_error(status, headers, body, IAM_NS)
    assert err["Code"] == "InvalidClientTokenId"
    assert err["Message"] == "The security token included in the request is invalid."
    assert records_with(server, headers["x-amz-request-id"]) == []


def test_sts_region_must_be_served(rawq):
    status, headers, body = rawq({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, service="sts",
                                 region="ap-south-2")
    assert status == 400
    assert query_error(status, headers, body, STS_NS)["Code"] == "AuthorizationHeaderMalformed"
    # IAM is global: any signing region is accepted
    status, headers, body = rawq({"Action": "ListUsers", "Version": "2010-05-08"}, region="ap-south-2")
    assert status == 200, body


def test_iam_user_without_policies_denied(server, iam, users, account):
    u = users()
    k = iam.create_access_key(UserName=u)["AccessKey"]
    ui = client(server, "iam", creds=(k["AccessKeyId"], k["SecretAccessKey"]))
    with expect_error("AccessDenied", 403) as ei:
        ui.create_user(UserName=name("x"))
    msg = ei.value.response["Error"]["Message"]
    assert msg.startswith(f"User: arn:aws:iam::{account}:user/{u} is not authorized to perform: "
                          f"iam:CreateUser on resource: arn:aws:iam::{account}:user/"), msg


# ---- users ---------------------------------------------------------------------------------------------

def test_user_lifecycle(iam, account, server):
    n = name("bob")
    try:
        got = iam.create_user(UserName=n, Path="/eng/team/")
        u = got["User"]
        assert set(u) == {"Path", "UserName", "UserId", "Arn", "CreateDate"}
        assert u["Path"] == "/eng/team/" and u["UserName"] == n
        assert re.fullmatch(r"AIDA[A-Z0-9]{17}", u["UserId"])
        assert u["Arn"] == f"arn:aws:iam::{account}:user/eng/team/{n}"
        assert abs((dt(u["CreateDate"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 60
        rec = records_with(server, rid(got))
        assert len(rec) == 1
        rec = rec[0]
        assert (rec["eventSource"], rec["eventName"], rec["awsRegion"], rec["readOnly"]) == \
            ("iam.amazonaws.com", "CreateUser", "us-east-1", False)
        assert rec["eventCategory"] == "Management" and rec["managementEvent"] is True
        if rec["requestParameters"] is not None:  # once the Query record writer is in
            assert rec["requestParameters"] == {"userName": n, "path": "/eng/team/"}
            assert rec["responseElements"]["user"]["userId"] == u["UserId"]
            assert rec["responseElements"]["user"]["arn"] == u["Arn"]

        # names are unique regardless of case, and found in any case
        with expect_error("EntityAlreadyExists", 409) as ei:
            iam.create_user(UserName=n.upper())
        assert ei.value.response["Error"]["Message"] == f"User with name {n.upper()} already exists."
        again = iam.get_user(UserName=n.upper())["User"]
        assert again == u
        listed = [x for x in iam.list_users()["Users"] if x["UserName"] == n]
        assert listed == [u]
        assert [x["UserName"] for x in iam.list_users(PathPrefix="/eng/")["Users"]].count(n) == 1
        assert n not in [x["UserName"] for x in iam.list_users(PathPrefix="/ops/")["Users"]]
        rec = records_with(server, rid(iam.get_user(UserName=n)))[0]
        assert rec["readOnly"] is True and rec["responseElements"] is None

        iam.delete_user(UserName=n)
        with expect_error("NoSuchEntity", 404) as ei:
            iam.get_user(UserName=n)
        assert ei.value.response["Error"]["Message"] == f"The user with name {n} cannot be found."
        with expect_error("NoSuchEntity", 404):
            iam.delete_user(UserName=n)
    finally:
        remove_user(iam, n)


def test_get_user_root_and_self(iam, server, users, account):
    me = iam.get_user()["User"]
    assert me["UserId"] == account and me["Arn"] == f"arn:aws:iam::{account}:root"
    assert "UserName" not in me


def test_list_users_paging(iam, users):
    made = sorted(users(path="/paging/") for _ in range(3))
    page = iam.list_users(PathPrefix="/paging/", MaxItems=2)
    assert [u["UserName"] for u in page["Users"]] == made[:2]
    assert page["IsTruncated"] is True
    rest = iam.list_users(PathPrefix="/paging/", MaxItems=2, Marker=page["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == made[2:]
    assert rest["IsTruncated"] is False and "Marker" not in rest
    pages = iam.get_paginator("list_users").paginate(PathPrefix="/paging/", PaginationConfig={"PageSize": 1})
    assert [u["UserName"] for p in pages for u in p["Users"]] == made


@pytest.mark.parametrize("kw,member", [
    ({"UserName": "bad name"}, "userName"),
    ({"UserName": "x" * 65}, "userName"),
    ({"UserName": ""}, "userName"),
    ({"UserName": "ok", "Path": "noslash"}, "path"),
    ({"UserName": "ok", "Path": "/a b/"}, "path"),
])
def test_user_validation(iam_raw, kw, member):
    with expect_error("ValidationError", 400) as ei:
        iam_raw.create_user(**kw)
    assert f"at '{member}' failed to satisfy constraint" in ei.value.response["Error"]["Message"]


def test_unsupported_parameters_refused(iam, users):
    with expect_error("NotImplemented", 501):
        iam.create_user(UserName=name("t"), Tags=[{"Key": "k", "Value": "v"}])


# ---- access keys ---------------------------------------------------------------------------------------

def test_access_keys(iam, server, users, account):
    u = users(path="/keys/")
    made = iam.create_access_key(UserName=u)
    k = made["AccessKey"]
    assert set(k) == {"UserName", "AccessKeyId", "Status", "SecretAccessKey", "CreateDate"}
    assert k["UserName"] == u and k["Status"] == "Active"
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", k["AccessKeyId"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", k["SecretAccessKey"])
    dt(k["CreateDate"])
    rec = records_with(server, rid(made))[0]
    assert rec["eventName"] == "CreateAccessKey" and rec["readOnly"] is False
    if rec["responseElements"] is not None:
        assert rec["responseElements"]["accessKey"]["accessKeyId"] == k["AccessKeyId"]
        assert "secretAccessKey" not in rec["responseElements"]["accessKey"]

    # the key works: the caller is the user, named by its id and path
    ident = client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"])).get_caller_identity()
    uid = iam.get_user(UserName=u)["User"]["UserId"]
    assert ident["UserId"] == uid
    assert ident["Arn"] == f"arn:aws:iam::{account}:user/keys/{u}"

    k2 = iam.create_access_key(UserName=u)["AccessKey"]
    with expect_error("LimitExceeded", 409) as ei:
        iam.create_access_key(UserName=u)
    assert ei.value.response["Error"]["Message"] == "Cannot exceed quota for AccessKeysPerUser: 2"
    listed = iam.list_access_keys(UserName=u)["AccessKeyMetadata"]
    assert sorted(x["AccessKeyId"] for x in listed) == sorted([k["AccessKeyId"], k2["AccessKeyId"]])
    assert all(set(x) == {"UserName", "AccessKeyId", "Status", "CreateDate"} for x in listed)

    # inactive: refused as unknown, by S3 and by STS; active again: accepted
    iam.update_access_key(UserName=u, AccessKeyId=k["AccessKeyId"], Status="Inactive")
    st = {x["AccessKeyId"]: x["Status"] for x in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]}
    assert st == {k["AccessKeyId"]: "Inactive", k2["AccessKeyId"]: "Active"}
    with expect_error("InvalidAccessKeyId", 403):
        server.client(access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]).list_buckets()
    with expect_error("InvalidClientTokenId", 403):
        client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"])).get_caller_identity()
    iam.update_access_key(UserName=u, AccessKeyId=k["AccessKeyId"], Status="Active")
    client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"])).get_caller_identity()
    with expect_error("ValidationError", 400):
        client(server, "iam", validate=False).update_access_key(UserName=u, AccessKeyId=k["AccessKeyId"],
                                                                Status="Sleeping")

    # a user with keys cannot be deleted; a key of someone else is not found
    with expect_error("DeleteConflict", 409) as ei:
        iam.delete_user(UserName=u)
    assert ei.value.response["Error"]["Message"] == "Cannot delete entity, must delete access keys first."
    other = users()
    with expect_error("NoSuchEntity", 404) as ei:
        iam.delete_access_key(UserName=other, AccessKeyId=k["AccessKeyId"])
    assert ei.value.response["Error"]["Message"] == f"The Access Key with id {k['AccessKeyId']} cannot be found."
    with expect_error("NoSuchEntity", 404):
        iam.update_access_key(UserName=other, AccessKeyId=k["AccessKeyId"], Status="Inactive")

    iam.delete_access_key(UserName=u, AccessKeyId=k["AccessKeyId"])
    iam.delete_access_key(UserName=u, AccessKeyId=k2["AccessKeyId"])
    assert iam.list_access_keys(UserName=u)["AccessKeyMetadata"] == []
    with expect_error("InvalidAccessKeyId", 403):
        server.client(access_key=k2["AccessKeyId"], secret_key=k2["SecretAccessKey"]).list_buckets()
    iam.delete_user(UserName=u)
    with expect_error("NoSuchEntity", 404):
        iam.create_access_key(UserName=u)

    # no secret ever reaches the journal
    dump = json.dumps(journal(server))
    assert k["SecretAccessKey"] not in dump and k2["SecretAccessKey"] not in dump


def test_access_keys_cli(aws, iam, users):
    u = users()
    p = aws("iam", "create-access-key", "--user-name", u, check=True)
    key = json.loads(p.stdout)["AccessKey"]
    assert key["UserName"] == u and key["Status"] == "Active"
    p = aws("iam", "list-access-keys", "--user-name", u, check=True)
    assert [x["AccessKeyId"] for x in json.loads(p.stdout)["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    p = aws("iam", "delete-user", "--user-name", u)
    assert p.returncode != 0 and "DeleteConflict" in p.stderr


# ---- roles ------------------------------------------------------------------------------------------------

def test_role_lifecycle(iam, roles, account, server):
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
    n = roles(trust=trust, Path="/svc/", Description="the role", MaxSessionDuration=7200)
    got = iam.get_role(RoleName=n)["Role"]
    assert got["RoleName"] == n and got["Path"] == "/svc/"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}", got["RoleId"])
    assert got["Arn"] == f"arn:aws:iam::{account}:role/svc/{n}"
    assert got["AssumeRolePolicyDocument"] == trust  # URL-encoded on the wire, decoded by botocore
    assert got["Description"] == "the role" and got["MaxSessionDuration"] == 7200
    dt(got["CreateDate"])
    assert [r for r in iam.list_roles(PathPrefix="/svc/")["Roles"] if r["RoleName"] == n][0]["RoleId"] == got["RoleId"]
    with expect_error("EntityAlreadyExists", 409):
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=json.dumps(trust))

    iam.put_role_policy(RoleName=n, PolicyName="inline", PolicyDocument=json.dumps(ALLOW_ALL))
    with expect_error("DeleteConflict", 409) as ei:
        iam.delete_role(RoleName=n)
    assert ei.value.response["Error"]["Message"] == "Cannot delete entity, must delete policies first."
    iam.delete_role_policy(RoleName=n, PolicyName="inline")
    iam.delete_role(RoleName=n)
    with expect_error("NoSuchEntity", 404) as ei:
        iam.get_role(RoleName=n)
    assert ei.value.response["Error"]["Message"] == f"The role with name {n} cannot be found."


def test_role_validation(iam, iam_raw):
    with expect_error("MalformedPolicyDocument", 400):
        iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument="not json")
    with expect_error("ValidationError", 400):
        iam_raw.create_role(RoleName=name("r"), AssumeRolePolicyDocument=json.dumps(ALLOW_ALL),
                            MaxSessionDuration=3599)
    with expect_error("ValidationError", 400):
        iam_raw.create_role(RoleName=name("r"), AssumeRolePolicyDocument=json.dumps(ALLOW_ALL),
                            MaxSessionDuration=43201)
    with expect_error("ValidationError", 400):
        iam_raw.create_role(RoleName="r" * 65, AssumeRolePolicyDocument=json.dumps(ALLOW_ALL))
    with expect_error("LimitExceeded", 409):
        iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                      "Action": "sts:AssumeRole", "Sid": "x" * 2100}]}))


# ---- inline policies ----------------------------------------------------------------------------------

def test_user_inline_policies(iam, users, server):
    u = users()
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
    put = iam.put_user_policy(UserName=u, PolicyName="read", PolicyDocument=json.dumps(doc))
    rec = records_with(server, rid(put))[0]
    assert rec["eventName"] == "PutUserPolicy" and rec["responseElements"] is None
    if rec["requestParameters"] is not None:
        assert rec["requestParameters"] == {"userName": u, "policyName": "read",
                                            "policyDocument": json.dumps(doc)}
    box = raw_body(iam, "GetUserPolicy")
    got = iam.get_user_policy(UserName=u, PolicyName="read")
    assert got["UserName"] == u and got["PolicyName"] == "read" and got["PolicyDocument"] == doc
    raw = parse_xml(box["body"]).find("GetUserPolicyResult/PolicyDocument").text
    assert raw == urllib.parse.quote(json.dumps(doc), safe="")  # URL-encoded, as IAM sends it
    iam.put_user_policy(UserName=u, PolicyName="b", PolicyDocument=json.dumps(ALLOW_ALL))
    assert iam.list_user_policies(UserName=u)["PolicyNames"] == ["b", "read"]
    with expect_error("DeleteConflict", 409) as ei:
        iam.delete_user(UserName=u)
    assert ei.value.response["Error"]["Message"] == "Cannot delete entity, must delete policies first."
    with expect_error("NoSuchEntity", 404) as ei:
        iam.get_user_policy(UserName=u, PolicyName="nope")
    assert ei.value.response["Error"]["Message"] == "The user policy with name nope cannot be found."
    with expect_error("NoSuchEntity", 404):
        iam.delete_user_policy(UserName=u, PolicyName="nope")
    with expect_error("NoSuchEntity", 404):
        iam.put_user_policy(UserName=name("ghost"), PolicyName="p", PolicyDocument=json.dumps(doc))
    with expect_error("MalformedPolicyDocument", 400):
        iam.put_user_policy(UserName=u, PolicyName="bad", PolicyDocument="{nope")
    # 2048 characters of inline policy per user, all documents together
    big = {"Version": "2012-10-17", "Statement": [{"Sid": "x" * 1900, "Effect": "Allow", "Action": "s3:*",
                                                   "Resource": "*"}]}
    with expect_error("LimitExceeded", 409) as ei:
        iam.put_user_policy(UserName=u, PolicyName="big", PolicyDocument=json.dumps(big))
    assert ei.value.response["Error"]["Message"] == f"Maximum policy size of 2048 bytes exceeded for user {u}"
    iam.delete_user_policy(UserName=u, PolicyName="read")
    iam.delete_user_policy(UserName=u, PolicyName="b")
    assert iam.list_user_policies(UserName=u)["PolicyNames"] == []


def test_role_inline_policies(iam, roles):
    n = roles()
    iam.put_role_policy(RoleName=n, PolicyName="p1", PolicyDocument=json.dumps(ALLOW_ALL))
    got = iam.get_role_policy(RoleName=n, PolicyName="p1")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == (n, "p1", ALLOW_ALL)
    assert iam.list_role_policies(RoleName=n)["PolicyNames"] == ["p1"]
    with expect_error("NoSuchEntity", 404) as ei:
        iam.get_role_policy(RoleName=n, PolicyName="p2")
    assert ei.value.response["Error"]["Message"] == "The role policy with name p2 cannot be found."
    iam.delete_role_policy(RoleName=n, PolicyName="p1")
    assert iam.list_role_policies(RoleName=n)["PolicyNames"] == []


def test_inline_policies_cli(aws, users):
    u = users()
    doc = json.dumps(ALLOW_ALL)
    aws("iam", "put-user-policy", "--user-name", u, "--policy-name", "cli", "--policy-document", doc, check=True)
    p = aws("iam", "get-user-policy", "--user-name", u, "--policy-name", "cli", check=True)
    assert json.loads(p.stdout) == {"UserName": u, "PolicyName": "cli", "PolicyDocument": ALLOW_ALL}
    aws("iam", "delete-user-policy", "--user-name", u, "--policy-name", "cli", check=True)


# ---- managed policies ----------------------------------------------------------------------------------

def test_managed_policies(iam, users, roles, policies, account, server):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}]}
    pn = name("mp")
    made = iam.create_policy(PolicyName=pn, Path="/team/", PolicyDocument=json.dumps(doc), Description="d")
    p = made["Policy"]
    arn = f"arn:aws:iam::{account}:policy/team/{pn}"
    assert p["Arn"] == arn and p["PolicyName"] == pn and p["Path"] == "/team/"
    assert re.fullmatch(r"ANPA[A-Z0-9]{17}", p["PolicyId"])
    assert (p["DefaultVersionId"], p["AttachmentCount"], p["PermissionsBoundaryUsageCount"], p["IsAttachable"]) == \
        ("v1", 0, 0, True)
    dt(p["CreateDate"]), dt(p["UpdateDate"])
    rec = records_with(server, rid(made))[0]
    assert rec["eventName"] == "CreatePolicy"
    try:
        with expect_error("EntityAlreadyExists", 409) as ei:
            iam.create_policy(PolicyName=pn, PolicyDocument=json.dumps(doc))
        assert ei.value.response["Error"]["Message"] == \
            f"A policy called {pn} already exists. Duplicate names are not allowed."
        got = iam.get_policy(PolicyArn=arn)["Policy"]
        assert got["Description"] == "d" and got["PolicyId"] == p["PolicyId"]
        local = [x["Arn"] for x in iam.list_policies(Scope="Local")["Policies"]]
        assert arn in local
        assert iam.list_policies(Scope="AWS")["Policies"] == []
        assert arn not in [x["Arn"] for x in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]]
        assert [x["Arn"] for x in iam.list_policies(PathPrefix="/team/")["Policies"]].count(arn) == 1

        u, r = users(), roles()
        iam.attach_user_policy(UserName=u, PolicyArn=arn)
        iam.attach_user_policy(UserName=u, PolicyArn=arn)  # again: no change
        iam.attach_role_policy(RoleName=r, PolicyArn=arn)
        assert iam.list_attached_user_policies(UserName=u)["AttachedPolicies"] == [{"PolicyName": pn, "PolicyArn": arn}]
        assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"] == [{"PolicyName": pn, "PolicyArn": arn}]
        assert iam.list_attached_user_policies(UserName=u, PathPrefix="/other/")["AttachedPolicies"] == []
        assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2
        assert arn in [x["Arn"] for x in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]]

        with expect_error("DeleteConflict", 409) as ei:
            iam.delete_policy(PolicyArn=arn)
        assert ei.value.response["Error"]["Message"] == "Cannot delete a policy attached to entities."
        with expect_error("DeleteConflict", 409) as ei:
            iam.delete_user(UserName=u)
        assert ei.value.response["Error"]["Message"] == "Cannot delete entity, must detach all policies first."
        with expect_error("DeleteConflict", 409):
            iam.delete_role(RoleName=r)
        iam.detach_user_policy(UserName=u, PolicyArn=arn)
        with expect_error("NoSuchEntity", 404) as ei:
            iam.detach_user_policy(UserName=u, PolicyArn=arn)
        assert ei.value.response["Error"]["Message"] == f"Policy {arn} was not found."
        iam.detach_role_policy(RoleName=r, PolicyArn=arn)
        assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
        iam.delete_policy(PolicyArn=arn)
        with expect_error("NoSuchEntity", 404) as ei:
            iam.get_policy(PolicyArn=arn)
        assert ei.value.response["Error"]["Message"] == f"Policy {arn} does not exist or is not attachable."
        with expect_error("NoSuchEntity", 404):
            iam.attach_user_policy(UserName=u, PolicyArn=arn)
        with expect_error("NoSuchEntity", 404):
            iam.attach_user_policy(UserName=u, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        with expect_error("InvalidInput", 400):
            iam.attach_user_policy(UserName=u, PolicyArn="arn:aws:s3:::not-a-policy-arn")
    finally:
        try:
            iam.delete_policy(PolicyArn=arn)
        except Exception:
            pass


def test_managed_policy_limits(iam, users, policies):
    u = users()
    arns = [policies() for _ in range(11)]
    for a in arns[:10]:
        iam.attach_user_policy(UserName=u, PolicyArn=a)
    with expect_error("LimitExceeded", 409) as ei:
        iam.attach_user_policy(UserName=u, PolicyArn=arns[10])
    assert ei.value.response["Error"]["Message"] == "Cannot exceed quota for PoliciesPerUser: 10"
    page = iam.list_attached_user_policies(UserName=u, MaxItems=4)
    assert len(page["AttachedPolicies"]) == 4 and page["IsTruncated"] is True
    for a in arns[:10]:
        iam.detach_user_policy(UserName=u, PolicyArn=a)
    big = {"Version": "2012-10-17", "Statement": [{"Sid": "x" * 6200, "Effect": "Allow", "Action": "*",
                                                   "Resource": "*"}]}
    with expect_error("LimitExceeded", 409):
        iam.create_policy(PolicyName=name("big"), PolicyDocument=json.dumps(big))
    with expect_error("MalformedPolicyDocument", 400):
        iam.create_policy(PolicyName=name("bad"), PolicyDocument="[1,2")


# ---- STS: temporary credentials -----------------------------------------------------------------

def expire_session(server, access_key):
    """Moves a session's expiry into the past, in the server's database (the documents table the
    server reads sessions from on every request): waiting out the 15-minute minimum is not an
    option in a test run."""
    db = sqlite3.connect(str(server.data_dir / "meta.db"), timeout=30)
    try:
        with db:
            n = db.execute("UPDATE docs SET value = json_set(value, '$.ExpiresMs', 1000) "
                           "WHERE kind = 'sts.session' AND name = ?", (access_key,)).rowcount
        assert n == 1
    finally:
        db.close()


def test_session_token_root(server, sts, account, make_bucket):
    got = sts.get_session_token(DurationSeconds=900)
    c = got["Credentials"]
    assert set(c) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", c["SecretAccessKey"])
    assert len(c["SessionToken"]) >= 300
    left = (dt(c["Expiration"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 840 < left <= 901
    # root's sessions last at most an hour
    c2 = sts.get_session_token(DurationSeconds=7200)["Credentials"]
    assert (dt(c2["Expiration"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds() <= 3601
    rec = records_with(server, rid(got))[0]
    assert (rec["eventSource"], rec["eventName"], rec["readOnly"]) == ("sts.amazonaws.com", "GetSessionToken", True)
    if rec["requestParameters"] is not None:
        assert rec["requestParameters"] == {"durationSeconds": 900}

    ident = client(server, "sts", creds=temp(c)).get_caller_identity()
    assert (ident["UserId"], ident["Arn"]) == (account, f"arn:aws:iam::{account}:root")
    # S3 with the session: SigV4 and SigV2
    s3 = boto3.session.Session().client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                                        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                        aws_session_token=c["SessionToken"],
                                        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))
    b = make_bucket()
    s3.put_object(Bucket=b, Key="k", Body=b"hi")
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"hi"
    s3v2 = boto3.session.Session().client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                                          aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                          aws_session_token=c["SessionToken"],
                                          config=Config(signature_version="s3", s3={"addressing_style": "path"},
                                                        retries={"total_max_attempts": 1}))
    assert s3v2.get_object(Bucket=b, Key="k")["Body"].read() == b"hi"
    # presigned URLs carry the token in the query: SigV2 and SigV4
    s3v4 = boto3.session.Session().client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                                          aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                          aws_session_token=c["SessionToken"],
                                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    for cl, marker in ((s3v2, "x-amz-security-token="), (s3v4, "X-Amz-Security-Token=")):
        url = cl.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=60)
        assert marker in url
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert resp.read() == b"hi"

    # the journal never holds the secret or the token
    dump = json.dumps(journal(server))
    assert c["SessionToken"] not in dump and c["SecretAccessKey"] not in dump


def test_session_token_errors(server, sts, make_bucket):
    c = sts.get_session_token(DurationSeconds=900)["Credentials"]
    ak, sk, tok = temp(c)

    def s3(token):
        return boto3.session.Session().client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                                              aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token,
                                              config=Config(s3={"addressing_style": "path"},
                                                            retries={"total_max_attempts": 1}))
    with expect_error("InvalidToken", 400) as ei:
        s3(tok[:-4] + "AAAA").list_buckets()
    assert ei.value.response["Error"]["Message"] == "The provided token is malformed or otherwise invalid."
    with expect_error("InvalidAccessKeyId", 403):  # an ASIA key without its token
        s3(None).list_buckets()
    with expect_error("InvalidClientTokenId", 403):
        client(server, "sts", creds=(ak, sk, tok + "x")).get_caller_identity()
    # a token with a long-term key
    with expect_error("InvalidToken", 400):
        boto3.session.Session().client(
            "s3", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key, aws_session_token=tok,
            config=Config(retries={"total_max_attempts": 1})).list_buckets()
    # session credentials cannot ask for more
    with expect_error("AccessDenied", 403):
        client(server, "sts", creds=temp(c)).get_session_token()
    with expect_error("AccessDenied", 403):
        client(server, "sts", creds=temp(c)).get_federation_token(Name="nested")

    expire_session(server, ak)
    with expect_error("ExpiredToken", 400) as ei:
        s3(tok).list_buckets()
    assert ei.value.response["Error"]["Message"] == "The provided token has expired."
    with expect_error("ExpiredToken", 403) as ei:
        client(server, "sts", creds=(ak, sk, tok)).get_caller_identity()
    assert ei.value.response["Error"]["Message"] == "The security token included in the request is expired"


def test_session_token_iam_user(server, iam, users, account):
    u = users(path="/st/")
    k = iam.create_access_key(UserName=u)["AccessKey"]
    ust = client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"]))
    c = ust.get_session_token(DurationSeconds=129600)["Credentials"]
    left = (dt(c["Expiration"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 129500 < left <= 129601
    ident = client(server, "sts", creds=temp(c)).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{account}:user/st/{u}"
    assert ident["UserId"] == iam.get_user(UserName=u)["User"]["UserId"]
    with expect_error("ValidationError", 400):
        client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"]), validate=False).get_session_token(
            DurationSeconds=899)


def test_federation_token(server, iam, sts, users, account):
    u = users()
    k = iam.create_access_key(UserName=u)["AccessKey"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                                 "Resource": "*"}]})
    # IAM users need sts:GetFederationToken; root needs nothing
    got = sts.get_federation_token(Name="fed-user", Policy=policy, DurationSeconds=1800)
    fu = got["FederatedUser"]
    assert fu == {"FederatedUserId": f"{account}:fed-user",
                  "Arn": f"arn:aws:sts::{account}:federated-user/fed-user"}
    assert got["PackedPolicySize"] == (len(policy) * 100 + 2047) // 2048
    ident = client(server, "sts", creds=temp(got["Credentials"])).get_caller_identity()
    assert (ident["UserId"], ident["Arn"]) == (fu["FederatedUserId"], fu["Arn"])
    with expect_error("AccessDenied", 403):
        client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"])).get_federation_token(Name="nope")
    with expect_error("ValidationError", 400):
        client(server, "sts", validate=False).get_federation_token(Name="x")
    with expect_error("MalformedPolicyDocument", 400):
        sts.get_federation_token(Name="fed", Policy="{nope")
    with expect_error("PackedPolicyTooLarge", 400):
        client(server, "sts", validate=False).get_federation_token(
            Name="fed", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Sid": "x" * 2100, "Effect": "Allow", "Action": "*", "Resource": "*"}]}))


# ---- STS: AssumeRole ------------------------------------------------------------------------------------

def test_assume_role_refusals(server, iam, sts, users, roles, account):
    r = roles()
    arn = iam.get_role(RoleName=r)["Role"]["Arn"]
    with expect_error("AccessDenied", 403) as ei:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert ei.value.response["Error"]["Message"] == "Roles may not be assumed by root accounts."
    u = users()
    k = iam.create_access_key(UserName=u)["AccessKey"]
    ust = client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"]))
    ghost = f"arn:aws:iam::{account}:role/{name('ghost')}"
    with expect_error("AccessDenied", 403) as ei:
        ust.assume_role(RoleArn=ghost, RoleSessionName="s1")
    assert ei.value.response["Error"]["Message"] == \
        f"User: arn:aws:iam::{account}:user/{u} is not authorized to perform: sts:AssumeRole on resource: {ghost}"
    raw = client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"]), validate=False)
    for kw in ({"RoleSessionName": "a"}, {"RoleSessionName": "bad name"}, {"RoleSessionName": "ok", "DurationSeconds": 899},
               {"RoleSessionName": "ok", "DurationSeconds": 43201}):
        with expect_error("ValidationError", 400):
            raw.assume_role(RoleArn=arn, **kw)
    with expect_error("ValidationError", 400):
        raw.assume_role(RoleArn="arn:aws:iam::123:role/x" + "y" * 10, RoleSessionName="ok")
    with expect_error("MalformedPolicyDocument", 400):
        ust.assume_role(RoleArn=arn, RoleSessionName="ok", Policy="{nope")
    with expect_error("PackedPolicyTooLarge", 400) as ei:
        ust.assume_role(RoleArn=arn, RoleSessionName="ok", Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Sid": "x" * 3000, "Effect": "Allow", "Action": "*",
                                                      "Resource": "*"}]}))
    assert re.fullmatch(r"Packed policy consumes \d+% of allotted space, please use smaller policy\.",
                        ei.value.response["Error"]["Message"])


def test_assume_role(server, iam, users, roles, account, make_bucket):
    r = roles(MaxSessionDuration=7200)
    role = iam.get_role(RoleName=r)["Role"]
    iam.put_role_policy(RoleName=r, PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    u = users()
    k = iam.create_access_key(UserName=u)["AccessKey"]
    ust = client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"]))
    # the trust allows the account, but the user's own policies do not allow sts:AssumeRole yet
    with expect_error("AccessDenied", 403):
        ust.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    iam.put_user_policy(UserName=u, PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
    got = ust.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7200, SourceIdentity="alice")
    aru = got["AssumedRoleUser"]
    assert aru == {"AssumedRoleId": f"{role['RoleId']}:s1", "Arn": f"arn:aws:sts::{account}:assumed-role/{r}/s1"}
    assert got["SourceIdentity"] == "alice"
    left = (dt(got["Credentials"]["Expiration"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 7100 < left <= 7201
    rec = records_with(server, rid(got))[0]
    assert (rec["eventSource"], rec["eventName"], rec["awsRegion"]) == ("sts.amazonaws.com", "AssumeRole", "us-east-1")
    if rec["responseElements"] is not None:
        assert rec["responseElements"]["assumedRoleUser"] == {"assumedRoleId": aru["AssumedRoleId"], "arn": aru["Arn"]}
        assert rec["responseElements"]["credentials"]["accessKeyId"] == got["Credentials"]["AccessKeyId"]
    assert got["Credentials"]["SessionToken"] not in json.dumps(journal(server))

    ident = client(server, "sts", creds=temp(got["Credentials"])).get_caller_identity()
    assert (ident["UserId"], ident["Arn"]) == (aru["AssumedRoleId"], aru["Arn"])
    s3 = boto3.session.Session().client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                                        aws_access_key_id=got["Credentials"]["AccessKeyId"],
                                        aws_secret_access_key=got["Credentials"]["SecretAccessKey"],
                                        aws_session_token=got["Credentials"]["SessionToken"],
                                        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))
    s3.list_buckets()
    with expect_error("ValidationError", 400) as ei:
        ust.assume_role(RoleArn=role["Arn"], RoleSessionName="s2", DurationSeconds=10800)
    assert ei.value.response["Error"]["Message"] == \
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    # role chaining: at most an hour
    chained = client(server, "sts", creds=temp(got["Credentials"]))
    with expect_error("ValidationError", 400):
        chained.assume_role(RoleArn=role["Arn"], RoleSessionName="s3", DurationSeconds=3601)


def test_assume_role_trust_refuses(server, iam, users, roles, account):
    other = users()
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/{other}"}, "Action": "sts:AssumeRole"}]}
    r = roles(trust=trust)
    arn = iam.get_role(RoleName=r)["Role"]["Arn"]
    u = users()
    iam.put_user_policy(UserName=u, PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    k = iam.create_access_key(UserName=u)["AccessKey"]
    with expect_error("AccessDenied", 403) as ei:
        client(server, "sts", creds=(k["AccessKeyId"], k["SecretAccessKey"])).assume_role(RoleArn=arn,
                                                                                         RoleSessionName="s1")
    assert ei.value.response["Error"]["Message"] == \
        f"User: arn:aws:iam::{account}:user/{u} is not authorized to perform: sts:AssumeRole on resource: {arn}"


# ---- records ----------------------------------------------------------------------------------------

def test_sts_records_use_signed_region(server):
    st = client(server, "sts", region="eu-west-1")
    got = st.get_caller_identity()
    rec = records_with(server, rid(got))
    assert len(rec) == 1
    rec = rec[0]
    assert (rec["eventSource"], rec["eventName"], rec["awsRegion"], rec["readOnly"]) == \
        ("sts.amazonaws.com", "GetCallerIdentity", "eu-west-1", True)
    assert rec["requestParameters"] is None and rec["responseElements"] is None
    assert rec["userIdentity"]["type"] == "Root"
    ic = client(server, "iam", region="eu-west-1")
    rec = records_with(server, rid(ic.list_users()))[0]
    assert (rec["eventSource"], rec["awsRegion"]) == ("iam.amazonaws.com", "us-east-1")


def test_failed_calls_are_recorded(server, iam):
    with expect_error("NoSuchEntity", 404) as ei:
        iam.get_role(RoleName=name("none"))
    rec = records_with(server, ei.value.response["ResponseMetadata"]["RequestId"])
    assert len(rec) == 1
    assert rec[0]["eventName"] == "GetRole"
    assert rec[0]["errorCode"] in ("NoSuchEntity", "NoSuchEntityException")
