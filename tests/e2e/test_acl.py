"""ACLs and object ownership: GetBucketAcl / PutBucketAcl / GetObjectAcl / PutObjectAcl with boto3,
the aws CLI and raw HTTP; canned ACLs, x-amz-grant-* headers and AccessControlPolicy bodies (e-mail
grantees shown as CanonicalUser); the ACLs writes carry (PutObject, CopyObject,
CreateMultipartUpload, CreateBucket); Put/Get/DeleteBucketOwnershipControls and who owns an
object written by another account under each setting; and the CloudTrail record of each call.

Access decided by grants: another account reading or changing what an ACL grants it.
"""
import json
import uuid

import pytest

from e2e_support import S3_NS, expect_error, journal, record_of, unique_key

XSI = "http://www.w3.org/2001/XMLSchema-instance"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


@pytest.fixture(scope="module")
def main_owner(s3):
    return s3.list_buckets()["Owner"]


@pytest.fixture(scope="module")
def alt_owner(server):
    return {"ID": server.alt_account["CanonicalUserId"], "DisplayName": server.alt_account["DisplayName"]}


def user(owner, perm):
    return {"Grantee": {"ID": owner["ID"], "DisplayName": owner["DisplayName"], "Type": "CanonicalUser"},
            "Permission": perm}


def group(uri, perm):
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": perm}


def acl_of(resp):
    return {"Owner": resp["Owner"], "Grants": resp["Grants"]}


# ---- GetBucketAcl: the exact document --------------------------------------------------------------

def test_default_bucket_acl_exact_document(raw, bucket, main_owner):
    r = raw("GET", f"/{bucket}", query={"acl": None})
    assert r.status == 200
    assert r.header("Content-Type") == "application/xml"
    mid, name = main_owner["ID"], main_owner["DisplayName"]
    assert r.body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<AccessControlPolicy xmlns="{S3_NS}"><Owner><ID>{mid}</ID><DisplayName>{name}</DisplayName></Owner>'
        f'<AccessControlList><Grant><Grantee xmlns:xsi="{XSI}" xsi:type="CanonicalUser"><ID>{mid}</ID>'
        f'<DisplayName>{name}</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>'
        '</AccessControlList></AccessControlPolicy>')


def test_group_grant_exact_element(raw, s3, bucket):
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    body = raw("GET", f"/{bucket}", query={"acl": None}).body.decode()
    assert (f'<Grant><Grantee xmlns:xsi="{XSI}" xsi:type="Group"><URI>{ALL_USERS}</URI></Grantee>'
            '<Permission>READ</Permission></Grant></AccessControlList>') in body


CANNED_BUCKET = {
    "private": [],
    "public-read": [group(ALL_USERS, "READ")],
    "public-read-write": [group(ALL_USERS, "READ"), group(ALL_USERS, "WRITE")],
    "authenticated-read": [group(AUTH_USERS, "READ")],
    "log-delivery-write": [group(LOG_DELIVERY, "WRITE"), group(LOG_DELIVERY, "READ_ACP")],
    "bucket-owner-read": [],
    "bucket-owner-full-control": [],
    "aws-exec-read": [],
}


@pytest.mark.parametrize("canned", sorted(CANNED_BUCKET))
def test_put_bucket_acl_canned(server, s3, bucket, main_owner, canned):
    put = s3.put_bucket_acl(Bucket=bucket, ACL=canned)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = s3.get_bucket_acl(Bucket=bucket)
    assert acl_of(got) == {"Owner": main_owner,
                           "Grants": [user(main_owner, "FULL_CONTROL")] + CANNED_BUCKET[canned]}
    rec = record_of(server, rid(put))
    assert rec["eventName"] == "PutBucketAcl" and rec["managementEvent"] is True
    assert rec["readOnly"] is False and "errorCode" not in rec
    assert rec["requestParameters"]["x-amz-acl"] == canned
    rec = record_of(server, rid(got))
    assert rec["eventName"] == "GetBucketAcl" and rec["readOnly"] is True and "errorCode" not in rec


def test_create_bucket_with_canned_acl(make_bucket, s3, main_owner):
    name = make_bucket(s3, ACL="authenticated-read")
    assert acl_of(s3.get_bucket_acl(Bucket=name)) == {
        "Owner": main_owner, "Grants": [user(main_owner, "FULL_CONTROL"), group(AUTH_USERS, "READ")]}


# ---- grant headers ---------------------------------------------------------------------------------

def test_put_bucket_acl_grant_headers(server, s3, bucket, main_owner, alt_owner):
    put = s3.put_bucket_acl(
        Bucket=bucket,
        GrantRead=f'id="{alt_owner["ID"]}"',
        GrantWrite=f'uri="{LOG_DELIVERY}"',
        GrantReadACP=f'emailAddress="{server.alt_account["Email"]}", uri="{AUTH_USERS}"',
        GrantWriteACP=f'id="{main_owner["ID"]}"',
        GrantFullControl=f'id="{main_owner["ID"]}"')
    # The ACL is the grants listed, in header order; the e-mail grantee is shown as the
    # CanonicalUser it resolved to, as S3 shows it.
    assert acl_of(s3.get_bucket_acl(Bucket=bucket)) == {"Owner": main_owner, "Grants": [
        user(alt_owner, "READ"),
        group(LOG_DELIVERY, "WRITE"),
        user(alt_owner, "READ_ACP"),
        group(AUTH_USERS, "READ_ACP"),
        user(main_owner, "WRITE_ACP"),
        user(main_owner, "FULL_CONTROL"),
    ]}
    rp = record_of(server, rid(put))["requestParameters"]
    assert rp["x-amz-grant-read"] == f'id="{alt_owner["ID"]}"'
    assert rp["x-amz-grant-full-control"] == f'id="{main_owner["ID"]}"'


def test_create_bucket_and_put_object_with_grant_headers(server, make_bucket, s3, main_owner, alt_owner):
    name = make_bucket(s3, GrantRead=f'emailAddress="{server.alt_account["Email"]}"',
                       GrantFullControl=f'id="{main_owner["ID"]}"')
    assert s3.get_bucket_acl(Bucket=name)["Grants"] == [user(alt_owner, "READ"), user(main_owner, "FULL_CONTROL")]
    s3.put_object(Bucket=name, Key="k", Body=b"x", GrantRead=f'id="{alt_owner["ID"]}"',
                  GrantReadACP=f'uri="{ALL_USERS}"', GrantWriteACP=f'id="{alt_owner["ID"]}"')
    assert acl_of(s3.get_object_acl(Bucket=name, Key="k")) == {"Owner": main_owner, "Grants": [
        user(alt_owner, "READ"), group(ALL_USERS, "READ_ACP"), user(alt_owner, "WRITE_ACP")]}


def test_grant_header_errors(server, s3, bucket, main_owner):
    with expect_error("UnresolvableGrantByEmailAddress", 400) as ei:
        s3.put_bucket_acl(Bucket=bucket, GrantRead='emailAddress="nobody@example.com"')
    assert ei.value.response["Error"]["Message"] == \
        "The e-mail address you provided does not match any account on record."
    with expect_error("InvalidArgument", 400) as ei:
        s3.put_bucket_acl(Bucket=bucket, GrantRead='id="0123abcd"')
    err = ei.value.response["Error"]
    assert err["Message"] == "Invalid id"
    assert err["ArgumentName"] == "CanonicalUser/ID" and err["ArgumentValue"] == "0123abcd"
    with expect_error("InvalidArgument", 400) as ei:
        s3.put_bucket_acl(Bucket=bucket, GrantRead='uri="http://acs.amazonaws.com/groups/global/Nobody"')
    assert ei.value.response["Error"]["Message"] == "Invalid group uri"
    with expect_error("InvalidArgument", 400) as ei:
        s3.put_bucket_acl(Bucket=bucket, GrantRead='name="x"')
    assert ei.value.response["Error"]["ArgumentName"] == "x-amz-grant-read"
    with expect_error("InvalidRequest", 400) as ei:
        s3.put_bucket_acl(Bucket=bucket, ACL="private", GrantRead=f'id="{main_owner["ID"]}"')
    assert ei.value.response["Error"]["Message"] == "Specifying both Canned ACLs and Header Grants is not allowed"
    with expect_error("InvalidArgument", 400):
        s3.put_bucket_acl(Bucket=bucket, ACL="public")
    with expect_error("UnresolvableGrantByEmailAddress", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantRead='emailAddress="nobody@example.com"')
    with expect_error("NoSuchKey", 404):
        s3.get_object_acl(Bucket=bucket, Key="k")
    # Nothing changed on the way.
    assert s3.get_bucket_acl(Bucket=bucket)["Grants"] == [user(main_owner, "FULL_CONTROL")]


# ---- AccessControlPolicy bodies ----------------------------------------------------------------------

def test_put_bucket_acl_body(server, s3, bucket, main_owner, alt_owner):
    put = s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={
        "Owner": {"ID": main_owner["ID"]},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": main_owner["ID"]}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": server.alt_account["Email"]},
             "Permission": "WRITE"},
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ_ACP"},
        ]})
    assert acl_of(s3.get_bucket_acl(Bucket=bucket)) == {"Owner": main_owner, "Grants": [
        user(main_owner, "FULL_CONTROL"), user(alt_owner, "WRITE"), group(ALL_USERS, "READ_ACP")]}
    rec = record_of(server, rid(put))
    assert rec["eventName"] == "PutBucketAcl" and "errorCode" not in rec
    assert "AccessControlPolicy" in rec["requestParameters"]


def test_put_object_acl_body_and_record(server, s3, bucket, main_owner, alt_owner):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"x")
    put = s3.put_object_acl(Bucket=bucket, Key="doc", AccessControlPolicy={
        "Owner": {"ID": main_owner["ID"], "DisplayName": main_owner["DisplayName"]},
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": alt_owner["ID"]}, "Permission": "READ"}]})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = s3.get_object_acl(Bucket=bucket, Key="doc")
    assert acl_of(got) == {"Owner": main_owner, "Grants": [user(alt_owner, "READ")]}
    # Object ACL calls are data events.
    rec = record_of(server, rid(put))
    assert rec["eventName"] == "PutObjectAcl" and rec["managementEvent"] is False
    assert rec["eventCategory"] == "Data" and rec["readOnly"] is False
    assert {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/doc"} in rec["resources"]
    rec = record_of(server, rid(got))
    assert rec["eventName"] == "GetObjectAcl" and rec["managementEvent"] is False and rec["readOnly"] is True
    # versionId "null" is the only version there is.
    assert s3.get_object_acl(Bucket=bucket, Key="doc", VersionId="null")["Grants"] == [user(alt_owner, "READ")]
    with expect_error("NoSuchVersion", 404):
        s3.get_object_acl(Bucket=bucket, Key="doc", VersionId="3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
    with expect_error("NoSuchVersion", 404):
        s3.put_object_acl(Bucket=bucket, Key="doc", ACL="private", VersionId="3HL4kqtJlcpXroDTDmJ")


def acp(owner_id, grants_xml):
    owner = f"<Owner><ID>{owner_id}</ID></Owner>" if owner_id else ""
    return (f'<AccessControlPolicy xmlns="{S3_NS}">{owner}<AccessControlList>{grants_xml}'
            '</AccessControlList></AccessControlPolicy>').encode()


def grant_xml(type_, inner, perm):
    return (f'<Grant><Grantee xmlns:xsi="{XSI}" xsi:type="{type_}">{inner}</Grantee>'
            f'<Permission>{perm}</Permission></Grant>')


def test_put_acl_body_errors(raw, s3, bucket, main_owner, alt_owner):
    mid = main_owner["ID"]
    cases = [
        (b"<AccessControlPolicy><Owner>", "MalformedACLError", 400),
        (b"<NotAnAcl/>", "MalformedACLError", 400),
        (acp(None, grant_xml("CanonicalUser", f"<ID>{mid}</ID>", "READ")), "MalformedACLError", 400),
        (acp(mid, grant_xml("CanonicalUser", f"<ID>{mid}</ID>", "ALL")), "MalformedACLError", 400),
        (acp(mid, grant_xml("CanonicalUser", "<URI>x</URI>", "READ")), "MalformedACLError", 400),
        (acp(mid, grant_xml("Robot", f"<ID>{mid}</ID>", "READ")), "MalformedACLError", 400),
        (acp(mid, grant_xml("Group", "<URI>http://acs.amazonaws.com/groups/x</URI>", "READ")),
         "InvalidArgument", 400),
        (acp(mid, grant_xml("CanonicalUser", "<ID>deadbeef</ID>", "READ")), "InvalidArgument", 400),
        (acp(mid, grant_xml("AmazonCustomerByEmail", "<EmailAddress>no@example.com</EmailAddress>", "READ")),
         "UnresolvableGrantByEmailAddress", 400),
        # The document names another owner: refused.
        (acp(alt_owner["ID"], grant_xml("CanonicalUser", f"<ID>{mid}</ID>", "READ")), "AccessDenied", 403),
    ]
    for body, code, status in cases:
        r = raw("PUT", f"/{bucket}", query={"acl": None}, body=body)
        assert (r.status, r.error["Code"]) == (status, code), (body, r)
    r = raw("PUT", f"/{bucket}", query={"acl": None}, body=b"not xml")
    assert r.error["Message"] == ("The XML you provided was not well-formed or did not validate against "
                                  "our published schema")
    # Neither body nor header.
    r = raw("PUT", f"/{bucket}", query={"acl": None})
    assert (r.status, r.error["Code"], r.error["MissingHeaderName"]) == (400, "MissingSecurityHeader", "x-amz-acl")
    # Both.
    r = raw("PUT", f"/{bucket}", query={"acl": None}, headers={"x-amz-acl": "private"},
            body=acp(mid, grant_xml("CanonicalUser", f"<ID>{mid}</ID>", "READ")))
    assert (r.status, r.error["Code"]) == (400, "UnexpectedContent")
    assert s3.get_bucket_acl(Bucket=bucket)["Grants"] == [user(main_owner, "FULL_CONTROL")]


def test_get_acl_round_trips_through_put(s3, bucket, main_owner, alt_owner):
    """What GetBucketAcl answers is a document PutBucketAcl takes back unchanged."""
    s3.put_bucket_acl(Bucket=bucket, GrantRead=f'id="{alt_owner["ID"]}"', GrantFullControl=f'id="{main_owner["ID"]}"')
    got = acl_of(s3.get_bucket_acl(Bucket=bucket))
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=got)
    assert acl_of(s3.get_bucket_acl(Bucket=bucket)) == got


# ---- ACLs on writes --------------------------------------------------------------------------------

def test_object_acls_on_copy_and_multipart(s3, bucket, main_owner):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", ACL="public-read")
    assert s3.get_object_acl(Bucket=bucket, Key="src")["Grants"] == [
        user(main_owner, "FULL_CONTROL"), group(ALL_USERS, "READ")]
    # A copy does not take the source's ACL: private unless it asks.
    s3.copy_object(Bucket=bucket, Key="plain", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object_acl(Bucket=bucket, Key="plain")["Grants"] == [user(main_owner, "FULL_CONTROL")]
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"},
                   ACL="authenticated-read")
    assert s3.get_object_acl(Bucket=bucket, Key="copy")["Grants"] == [
        user(main_owner, "FULL_CONTROL"), group(AUTH_USERS, "READ")]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ACL="public-read-write")
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"y")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object_acl(Bucket=bucket, Key="mp")["Grants"] == [
        user(main_owner, "FULL_CONTROL"), group(ALL_USERS, "READ"), group(ALL_USERS, "WRITE")]
    with expect_error("InvalidArgument", 400):
        s3.create_multipart_upload(Bucket=bucket, Key="mp2", GrantRead='who="x"')


def test_put_object_acl_canned_and_cli(aws, s3, bucket, main_owner):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    p = aws("s3api", "put-object-acl", "--bucket", bucket, "--key", "k", "--acl", "public-read", check=True)
    assert p.stdout.strip() == ""
    out = json.loads(aws("s3api", "get-object-acl", "--bucket", bucket, "--key", "k", check=True).stdout)
    assert out["Owner"] == main_owner
    assert out["Grants"] == [user(main_owner, "FULL_CONTROL"), group(ALL_USERS, "READ")]
    out = json.loads(aws("s3api", "get-bucket-acl", "--bucket", bucket, check=True).stdout)
    assert out["Grants"] == [user(main_owner, "FULL_CONTROL")]


# ---- object ownership --------------------------------------------------------------------------------

def test_ownership_controls_round_trip(server, raw, s3, bucket):
    with expect_error("OwnershipControlsNotFoundError", 404) as ei:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert ei.value.response["Error"]["Message"] == "The bucket ownership controls were not found"
    assert ei.value.response["Error"]["BucketName"] == bucket
    for setting in ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"):
        put = s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": setting}]})
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
        got = s3.get_bucket_ownership_controls(Bucket=bucket)
        assert got["OwnershipControls"] == {"Rules": [{"ObjectOwnership": setting}]}
    r = raw("GET", f"/{bucket}", query={"ownershipControls": None})
    assert r.body.decode() == ('<?xml version="1.0" encoding="UTF-8"?>\n'
                               f'<OwnershipControls xmlns="{S3_NS}"><Rule><ObjectOwnership>BucketOwnerEnforced'
                               '</ObjectOwnership></Rule></OwnershipControls>')
    deleted = s3.delete_bucket_ownership_controls(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("OwnershipControlsNotFoundError", 404):
        s3.get_bucket_ownership_controls(Bucket=bucket)
    records = {r["requestID"]: r for r in journal(server)}
    assert records[rid(put)]["eventName"] == "PutBucketOwnershipControls"
    assert records[rid(got)]["eventName"] == "GetBucketOwnershipControls"
    assert records[rid(got)]["readOnly"] is True
    assert records[rid(deleted)]["eventName"] == "DeleteBucketOwnershipControls"


@pytest.mark.parametrize("body", [
    b"<OwnershipControls><Rule><ObjectOwnership>Everybody</ObjectOwnership></Rule></OwnershipControls>",
    b"<OwnershipControls/>",
    b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>"
    b"<Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
    b"<Ownership><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></Ownership>",
    b"",
])
def test_ownership_controls_malformed(raw, bucket, body):
    r = raw("PUT", f"/{bucket}", query={"ownershipControls": None}, body=body)
    assert (r.status, r.error["Code"]) == (400, "MalformedXML")


def test_create_bucket_with_object_ownership(make_bucket, s3, main_owner):
    name = make_bucket(s3, ObjectOwnership="BucketOwnerEnforced")
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    name2 = make_bucket(s3, ObjectOwnership="ObjectWriter")
    assert s3.get_bucket_ownership_controls(Bucket=name2)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}]
    with expect_error("InvalidArgument", 400):
        make_bucket(s3, ObjectOwnership="Whoever")
    # Enforced with an ACL that grants others: refused, and no bucket is made.
    name3 = f"e2e-enforced-{uuid.uuid4().hex[:10]}"
    with expect_error("InvalidBucketAclWithObjectOwnership", 400) as ei:
        s3.create_bucket(Bucket=name3, ACL="public-read", ObjectOwnership="BucketOwnerEnforced")
    assert ei.value.response["Error"]["Message"] == \
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"
    with expect_error("404", 404):
        s3.head_bucket(Bucket=name3)
    # The owner-only canned ACLs are accepted with it.
    name4 = make_bucket(s3, ACL="private", ObjectOwnership="BucketOwnerEnforced")
    assert s3.get_bucket_acl(Bucket=name4)["Grants"] == [user(main_owner, "FULL_CONTROL")]


def test_enforced_disables_acls(s3, bucket, main_owner, alt_owner):
    s3.put_object(Bucket=bucket, Key="old", Body=b"x", ACL="public-read")
    # The bucket's ACL grants others: Enforced is refused until it is reset.
    s3.put_bucket_acl(Bucket=bucket, GrantRead=f'id="{alt_owner["ID"]}"', GrantFullControl=f'id="{main_owner["ID"]}"')
    with expect_error("InvalidBucketAclWithObjectOwnership", 400):
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})

    only_owner = {"Owner": main_owner, "Grants": [user(main_owner, "FULL_CONTROL")]}
    # Reads answer the owner's FULL_CONTROL alone, whatever was stored before.
    assert acl_of(s3.get_object_acl(Bucket=bucket, Key="old")) == only_owner
    for call in (lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"),
                 lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead=f'id="{alt_owner["ID"]}"'),
                 lambda: s3.put_object_acl(Bucket=bucket, Key="old", ACL="authenticated-read"),
                 lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", ACL="public-read"),
                 lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", GrantRead=f'id="{alt_owner["ID"]}"'),
                 lambda: s3.create_multipart_upload(Bucket=bucket, Key="new", ACL="public-read"),
                 lambda: s3.copy_object(Bucket=bucket, Key="new", CopySource=f"{bucket}/old", ACL="public-read")):
        with expect_error("AccessControlListNotSupported", 400) as ei:
            call()
        assert ei.value.response["Error"]["Message"] == "The bucket does not allow ACLs"
    # The owner-only forms are accepted.
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_object(Bucket=bucket, Key="new", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="new2", Body=b"x", GrantFullControl=f'id="{main_owner["ID"]}"')
    s3.put_object_acl(Bucket=bucket, Key="old", ACL="private")
    assert acl_of(s3.get_object_acl(Bucket=bucket, Key="new")) == only_owner
    assert acl_of(s3.get_bucket_acl(Bucket=bucket)) == only_owner
    # Back to ObjectWriter: the ACLs stored apply again.
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    assert group(ALL_USERS, "READ") in s3.get_object_acl(Bucket=bucket, Key="pub")["Grants"]


def owner_in_listing(s3, bucket, key):
    for o in s3.list_objects_v2(Bucket=bucket, FetchOwner=True).get("Contents", []):
        if o["Key"] == key:
            return o["Owner"]["ID"]
    raise AssertionError(f"{key} not listed")


@pytest.fixture
def shared_bucket(make_bucket, s3, main_owner, alt_owner):
    """A bucket of main whose ACL lets alt write (the classic cross-account upload)."""
    name = make_bucket(s3)
    s3.put_bucket_acl(Bucket=name, GrantWrite=f'id="{alt_owner["ID"]}"',
                      GrantFullControl=f'id="{main_owner["ID"]}"')
    return name


def set_ownership(s3, bucket, setting):
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": setting}]})


def test_object_writer_owns_its_object(s3, s3_alt, shared_bucket, main_owner, alt_owner):
    s3_alt.put_object(Bucket=shared_bucket, Key="by-alt", Body=b"x")
    assert owner_in_listing(s3, shared_bucket, "by-alt") == alt_owner["ID"]
    s3_alt.put_object(Bucket=shared_bucket, Key="by-alt-bofc", Body=b"x", ACL="bucket-owner-full-control")
    assert owner_in_listing(s3, shared_bucket, "by-alt-bofc") == alt_owner["ID"]
    got = s3_alt.get_object_acl(Bucket=shared_bucket, Key="by-alt-bofc")
    assert acl_of(got) == {"Owner": alt_owner,
                           "Grants": [user(alt_owner, "FULL_CONTROL"), user(main_owner, "FULL_CONTROL")]}
    # The explicit setting behaves as the default.
    set_ownership(s3, shared_bucket, "ObjectWriter")
    s3_alt.put_object(Bucket=shared_bucket, Key="by-alt-2", Body=b"x", ACL="bucket-owner-read")
    assert owner_in_listing(s3, shared_bucket, "by-alt-2") == alt_owner["ID"]
    assert s3_alt.get_object_acl(Bucket=shared_bucket, Key="by-alt-2")["Grants"] == [
        user(alt_owner, "FULL_CONTROL"), user(main_owner, "READ")]


def test_bucket_owner_preferred(s3, s3_alt, shared_bucket, main_owner, alt_owner):
    set_ownership(s3, shared_bucket, "BucketOwnerPreferred")
    s3_alt.put_object(Bucket=shared_bucket, Key="bofc", Body=b"x", ACL="bucket-owner-full-control")
    assert owner_in_listing(s3, shared_bucket, "bofc") == main_owner["ID"]
    assert acl_of(s3.get_object_acl(Bucket=shared_bucket, Key="bofc")) == {
        "Owner": main_owner, "Grants": [user(main_owner, "FULL_CONTROL")]}
    s3_alt.put_object(Bucket=shared_bucket, Key="plain", Body=b"x")
    assert owner_in_listing(s3, shared_bucket, "plain") == alt_owner["ID"]
    # A multipart upload decides at CreateMultipartUpload, a copy like a PUT.
    up = s3_alt.create_multipart_upload(Bucket=shared_bucket, Key="mp", ACL="bucket-owner-full-control")
    etag = s3_alt.upload_part(Bucket=shared_bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                              Body=b"y")["ETag"]
    s3_alt.complete_multipart_upload(Bucket=shared_bucket, Key="mp", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert owner_in_listing(s3, shared_bucket, "mp") == main_owner["ID"]
    up = s3_alt.create_multipart_upload(Bucket=shared_bucket, Key="mp-alt")
    etag = s3_alt.upload_part(Bucket=shared_bucket, Key="mp-alt", UploadId=up["UploadId"], PartNumber=1,
                              Body=b"y")["ETag"]
    s3_alt.complete_multipart_upload(Bucket=shared_bucket, Key="mp-alt", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert owner_in_listing(s3, shared_bucket, "mp-alt") == alt_owner["ID"]
    s3_alt.copy_object(Bucket=shared_bucket, Key="copy", CopySource={"Bucket": shared_bucket, "Key": "plain"},
                       ACL="bucket-owner-full-control")
    assert owner_in_listing(s3, shared_bucket, "copy") == main_owner["ID"]


def test_bucket_owner_enforced_owns_earlier_objects(s3, s3_alt, shared_bucket, main_owner, alt_owner):
    s3_alt.put_object(Bucket=shared_bucket, Key="by-alt", Body=b"x")
    s3.put_bucket_acl(Bucket=shared_bucket, ACL="private")
    set_ownership(s3, shared_bucket, "BucketOwnerEnforced")
    assert acl_of(s3.get_object_acl(Bucket=shared_bucket, Key="by-alt")) == {
        "Owner": main_owner, "Grants": [user(main_owner, "FULL_CONTROL")]}


def test_bucket_owner_enforced_writes_by_others(s3, s3_alt, bucket, main_owner, alt_owner, server):
    """Under BucketOwnerEnforced another account writes through a bucket policy (ACLs grant
    nothing), and the bucket owner owns what it writes."""
    set_ownership(s3, bucket, "BucketOwnerEnforced")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": server.alt_account["AccountId"]},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    s3_alt.put_object(Bucket=bucket, Key="by-alt", Body=b"x", ACL="bucket-owner-full-control")
    s3_alt.put_object(Bucket=bucket, Key="by-alt-2", Body=b"x")
    assert owner_in_listing(s3, bucket, "by-alt") == main_owner["ID"]
    assert owner_in_listing(s3, bucket, "by-alt-2") == main_owner["ID"]


# ---- access decided by grants (the authorizer's) -------------------------------------------------------

def test_grants_let_another_account_read(s3, s3_alt, bucket, alt_owner):
    s3.put_object(Bucket=bucket, Key="for-alt", Body=b"secret", GrantRead=f'id="{alt_owner["ID"]}"')
    assert s3_alt.get_object(Bucket=bucket, Key="for-alt")["Body"].read() == b"secret"
    s3.put_bucket_acl(Bucket=bucket, GrantReadACP=f'emailAddress="alt@example.com"')
    assert s3_alt.get_bucket_acl(Bucket=bucket)["Grants"] == [user(alt_owner, "READ_ACP")]


def test_write_acp_lets_another_account_set_the_bucket_acl(s3, s3_alt, bucket, main_owner, alt_owner):
    s3.put_bucket_acl(Bucket=bucket, GrantWriteACP=f'id="{alt_owner["ID"]}"',
                      GrantFullControl=f'id="{main_owner["ID"]}"')
    s3_alt.put_bucket_acl(Bucket=bucket, ACL="public-read")
    # The bucket is still main's: the canned ACL is expanded for its owner.
    assert acl_of(s3.get_bucket_acl(Bucket=bucket)) == {
        "Owner": main_owner, "Grants": [user(main_owner, "FULL_CONTROL"), group(ALL_USERS, "READ")]}


def test_no_grant_no_bucket_acl(s3_alt, bucket):
    with expect_error("AccessDenied", 403):
        s3_alt.get_bucket_acl(Bucket=bucket)
    with expect_error("AccessDenied", 403):
        s3_alt.put_bucket_acl(Bucket=bucket, ACL="public-read")


def test_no_grant_no_object_acl(s3, s3_alt, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with expect_error("AccessDenied", 403):
        s3_alt.get_object_acl(Bucket=bucket, Key="k")
    with expect_error("AccessDenied", 403):
        s3_alt.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")


def test_read_acp_grant_on_object(s3, s3_alt, bucket, main_owner, alt_owner):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantReadACP=f'id="{alt_owner["ID"]}"')
    assert s3_alt.get_object_acl(Bucket=bucket, Key="k")["Grants"] == [user(alt_owner, "READ_ACP")]
    # READ_ACP is not WRITE_ACP.
    with expect_error("AccessDenied", 403):
        s3_alt.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")


def test_failed_acl_calls_are_recorded(server, s3, bucket):
    with expect_error("MalformedACLError", 400) as ei:
        s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={"Grants": []})
    rec = record_of(server, ei.value.response["ResponseMetadata"]["RequestId"])
    assert rec["eventName"] == "PutBucketAcl" and rec["errorCode"] == "MalformedACLError"
    with expect_error("NoSuchKey", 404) as ei:
        s3.put_object_acl(Bucket=bucket, Key=unique_key(), ACL="private")
    rec = record_of(server, ei.value.response["ResponseMetadata"]["RequestId"])
    assert rec["eventName"] == "PutObjectAcl" and rec["errorCode"] == "NoSuchKey"
