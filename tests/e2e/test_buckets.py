"""Buckets: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation."""
import pytest

from e2e_support import REQUEST_ID_RE, expect_error, purge_bucket, unique_bucket_name


def status_of(resp):
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def headers_of(resp):
    return resp["ResponseMetadata"]["HTTPHeaders"]


# ---- CreateBucket / ListBuckets / HeadBucket / DeleteBucket life cycle --------------------------

def test_create_list_head_delete(s3, raw):
    name = unique_bucket_name("life")
    try:
        resp = s3.create_bucket(Bucket=name)
        assert status_of(resp) == 200
        assert resp["Location"] == f"/{name}"

        listed = s3.list_buckets()
        names = [b["Name"] for b in listed["Buckets"]]
        assert name in names
        assert names == sorted(names)
        entry = next(b for b in listed["Buckets"] if b["Name"] == name)
        assert entry["CreationDate"] is not None
        assert listed["Owner"]["ID"]
        assert "DisplayName" in listed["Owner"]

        head = s3.head_bucket(Bucket=name)
        assert status_of(head) == 200
        assert headers_of(head)["x-amz-bucket-region"] == "us-east-1"
    finally:
        resp = s3.delete_bucket(Bucket=name)
    assert status_of(resp) == 204
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    r = raw("HEAD", f"/{name}")
    assert r.status == 404
    assert r.body == b""


def test_list_buckets_prefix_max_buckets_continuation(s3, make_bucket):
    prefix = unique_bucket_name("lb")
    names = [make_bucket(s3, name=f"{prefix}-{c}") for c in "cab"]
    expected = sorted(names)

    page1 = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in page1["Buckets"]] == expected[:2]
    assert page1["Prefix"] == prefix
    assert page1.get("ContinuationToken")
    assert all(b["BucketRegion"] == "us-east-1" for b in page1["Buckets"])

    page2 = s3.list_buckets(Prefix=prefix, MaxBuckets=2, ContinuationToken=page1["ContinuationToken"])
    assert [b["Name"] for b in page2["Buckets"]] == expected[2:]
    assert "ContinuationToken" not in page2

    everything = s3.list_buckets(Prefix=prefix)
    assert [b["Name"] for b in everything["Buckets"]] == expected
    assert "ContinuationToken" not in everything

    assert s3.list_buckets(Prefix=prefix + "-zzz")["Buckets"] == []


def test_list_buckets_paginator_one_per_page(s3, make_bucket):
    prefix = unique_bucket_name("lbp")
    names = sorted(make_bucket(s3, name=f"{prefix}-{i}") for i in range(4))
    seen = []
    pages = 0
    for page in s3.get_paginator("list_buckets").paginate(Prefix=prefix, PaginationConfig={"PageSize": 1}):
        pages += 1
        seen.extend(b["Name"] for b in page["Buckets"])
        assert pages < 20, "paginator does not stop"
    assert seen == names


def test_list_buckets_only_own(s3, s3_alt, make_bucket):
    mine = make_bucket(s3)
    theirs = make_bucket(s3_alt)
    main_names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    alt_names = [b["Name"] for b in s3_alt.list_buckets()["Buckets"]]
    assert mine in main_names and theirs not in main_names
    assert theirs in alt_names and mine not in alt_names


# ---- bucket names -------------------------------------------------------------------------------

INVALID_NAMES = [
    "ab",                 # too short
    "a" * 64,             # too long
    "UPPER",              # upper case
    "a..b",               # adjacent periods
    "192.168.1.1",        # IP address
    "-abc",               # must start with a letter or digit
    "abc-",               # must end with a letter or digit
    "abc_def",            # underscore
    "xn--abc",            # reserved prefix
    "sthree-abc",         # reserved prefix
    "abc-s3alias",        # reserved suffix
    "abc--ol-s3",         # reserved suffix
]


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_create_bucket_invalid_name(s3, name):
    try:
        with expect_error("InvalidBucketName", 400):
            s3.create_bucket(Bucket=name)
    finally:
        purge_bucket(s3, name)  # in case the server wrongly accepted it


@pytest.mark.parametrize("name", ["abc", "a.b-c.0", "0" * 63, "9lives.example-bucket"])
def test_create_bucket_valid_names(s3, name):
    # Suffix-free names can collide with another run's leftovers only if that run crashed.
    purge_bucket(s3, name)
    resp = s3.create_bucket(Bucket=name)
    assert status_of(resp) == 200
    try:
        assert status_of(s3.head_bucket(Bucket=name)) == 200
    finally:
        purge_bucket(s3, name)


# ---- regions --------------------------------------------------------------------------------------

def test_location_us_east_1_is_null(s3, bucket):
    loc = s3.get_bucket_location(Bucket=bucket)
    assert loc["LocationConstraint"] is None


def test_create_with_location_constraint(s3, make_bucket, raw):
    name = make_bucket(s3, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    r = raw("HEAD", f"/{name}", region="eu-west-1")
    assert r.status == 200
    assert r.header("x-amz-bucket-region") == "eu-west-1"
    listed = s3.list_buckets(Prefix=name, MaxBuckets=10)
    assert [(b["Name"], b["BucketRegion"]) for b in listed["Buckets"]] == [(name, "eu-west-1")]


def test_create_with_explicit_us_east_1_is_invalid(s3):
    name = unique_bucket_name("useast")
    try:
        with expect_error("InvalidLocationConstraint", 400):
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    finally:
        purge_bucket(s3, name)


def test_create_in_unserved_region(s3):
    name = unique_bucket_name("unserved")
    try:
        with expect_error("IllegalLocationConstraintException", 400):
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-south-1"})
    finally:
        purge_bucket(s3, name)
    with expect_error("404", 404):
        s3.head_bucket(Bucket=name)


# ---- conflicts ------------------------------------------------------------------------------------

def test_recreate_own_bucket_us_east_1_is_ok_and_changes_nothing(s3, bucket):
    # S3's legacy us-east-1 behaviour (ceph s3-tests test_bucket_recreate_not_overriding).
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    assert status_of(s3.create_bucket(Bucket=bucket)) == 200
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]
    s3.delete_object(Bucket=bucket, Key="keep")


def test_recreate_own_bucket_elsewhere_is_owned_by_you(s3, make_bucket):
    name = make_bucket(s3, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with expect_error("BucketAlreadyOwnedByYou", 409):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})


def test_create_other_accounts_bucket(s3_alt, bucket):
    with expect_error("BucketAlreadyExists", 409):
        s3_alt.create_bucket(Bucket=bucket)


def test_delete_non_empty_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="x", Body=b"x")
    with expect_error("BucketNotEmpty", 409):
        s3.delete_bucket(Bucket=bucket)
    assert status_of(s3.head_bucket(Bucket=bucket)) == 200
    s3.delete_object(Bucket=bucket, Key="x")
    assert status_of(s3.delete_bucket(Bucket=bucket)) == 204


def test_delete_missing_bucket(s3):
    with expect_error("NoSuchBucket", 404):
        s3.delete_bucket(Bucket=unique_bucket_name("missing"))


def test_delete_other_accounts_bucket(s3_alt, s3, bucket):
    with expect_error("AccessDenied", 403):
        s3_alt.delete_bucket(Bucket=bucket)
    assert status_of(s3.head_bucket(Bucket=bucket)) == 200


def test_delete_then_recreate(s3):
    name = unique_bucket_name("again")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"old")
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    try:
        s3.create_bucket(Bucket=name)
        assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
    finally:
        purge_bucket(s3, name)


# ---- HeadBucket -------------------------------------------------------------------------------------

def test_head_bucket_raw(raw, bucket):
    r = raw("HEAD", f"/{bucket}")
    assert r.status == 200
    assert r.header("x-amz-bucket-region") == "us-east-1"
    assert r.body == b""
    assert REQUEST_ID_RE.match(r.header("x-amz-request-id") or "")
    assert r.header("x-amz-id-2")


def test_head_missing_bucket(s3, raw):
    name = unique_bucket_name("nohead")
    with expect_error("404", 404):
        s3.head_bucket(Bucket=name)
    r = raw("HEAD", f"/{name}")
    assert r.status == 404
    assert r.body == b""
    assert REQUEST_ID_RE.match(r.header("x-amz-request-id") or "")


def test_head_other_accounts_bucket(s3_alt, bucket, server, raw):
    with expect_error("403", 403):
        s3_alt.head_bucket(Bucket=bucket)
    r = raw("HEAD", f"/{bucket}", creds=(server.alt_access_key, server.alt_secret_key))
    assert r.status == 403
    assert r.body == b""


def test_head_other_accounts_bucket_tells_region(bucket, server, raw):
    # botocore's region redirector relies on x-amz-bucket-region in a 403 HeadBucket.
    r = raw("HEAD", f"/{bucket}", creds=(server.alt_access_key, server.alt_secret_key))
    assert r.status == 403
    assert r.header("x-amz-bucket-region") == "us-east-1"


# ---- GetBucketLocation ---------------------------------------------------------------------------------

def test_get_bucket_location_missing(s3):
    with expect_error("NoSuchBucket", 404):
        s3.get_bucket_location(Bucket=unique_bucket_name("noloc"))


def test_get_bucket_location_other_account(s3_alt, bucket):
    with expect_error("AccessDenied", 403):
        s3_alt.get_bucket_location(Bucket=bucket)


def test_get_bucket_location_raw_xml(raw, bucket):
    r = raw("GET", f"/{bucket}", query={"location": None})
    assert r.status == 200
    root = r.xml()
    assert root.tag == "LocationConstraint"
    assert (root.text or "") == ""
