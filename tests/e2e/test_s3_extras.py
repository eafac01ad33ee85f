"""Behaviours settled while running ceph s3-tests against the foundation: CORS preflight without
a CORS configuration, ListObjectVersions on an unversioned bucket, chunked transfer encoding,
If-None-Match with an ETag on PUT, Content-Encoding with aws-chunked, DeleteBucket with an
unfinished multipart upload, and malformed checksum values."""
import base64
import re
import http.client
import zlib

import pytest

from e2e_support import expect_error, quote_key


def status_of(resp):
    return resp["ResponseMetadata"]["HTTPStatusCode"]


# ---- OPTIONS (PreflightRequest) --------------------------------------------------------------

def test_preflight_needs_origin(bucket, raw):
    r = raw("OPTIONS", f"/{bucket}/k", sign=False)
    assert r.status == 400, r
    assert r.error["Code"] == "BadRequest"
    assert r.error["Message"] == "Insufficient information. Origin request header needed."


def test_preflight_needs_method(bucket, raw):
    r = raw("OPTIONS", f"/{bucket}/k", headers={"Origin": "https://example.com"}, sign=False)
    assert r.status == 400, r
    assert r.error["Code"] == "BadRequest"


def test_preflight_without_cors_configuration_is_forbidden(bucket, raw):
    r = raw("OPTIONS", f"/{bucket}/k", sign=False,
            headers={"Origin": "https://example.com", "Access-Control-Request-Method": "GET"})
    assert r.status == 403, r
    assert r.error["Code"] == "AccessForbidden"
    assert r.error["Message"] == "CORSResponse: CORS is not enabled for this bucket."
    assert r.error["Method"] == "GET"
    assert r.header("Access-Control-Allow-Origin") is None


def test_preflight_on_missing_bucket(raw):
    r = raw("OPTIONS", "/no-such-bucket-preflight/k", sign=False,
            headers={"Origin": "https://example.com", "Access-Control-Request-Method": "GET"})
    assert r.status == 404, r
    assert r.error["Code"] == "NoSuchBucket"


# ---- ListObjectVersions ----------------------------------------------------------------------

def test_list_object_versions_lists_null_versions(s3, bucket):
    for k in ("a/1", "a/2", "b", "c"):
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    got = s3.list_object_versions(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in got["CommonPrefixes"]] == ["a/"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"], v["Size"]) for v in got["Versions"]] == \
        [("b", "null", True, 1)]
    assert got["IsTruncated"] is True
    assert got["NextKeyMarker"] == "b"
    assert got["NextVersionIdMarker"] == "null"
    rest = s3.list_object_versions(Bucket=bucket, Delimiter="/", KeyMarker="b",
                                   VersionIdMarker="null")
    assert [v["Key"] for v in rest["Versions"]] == ["c"]
    assert rest["IsTruncated"] is False
    assert "DeleteMarkers" not in rest


def test_list_object_versions_bad_markers(s3, bucket):
    with expect_error("InvalidArgument", 400):
        s3.list_object_versions(Bucket=bucket, VersionIdMarker="null")
    with expect_error("InvalidArgument", 400):
        s3.list_object_versions(Bucket=bucket, KeyMarker="a", VersionIdMarker="v123")


# ---- PUT details -----------------------------------------------------------------------------

def test_put_with_chunked_transfer_encoding(s3, bucket, raw):
    pieces = [b"hello ", b"chunked ", b"world"]
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    r = raw("PUT", f"/{bucket}/te", headers={"Transfer-Encoding": "chunked"}, body=[body],
            payload_hash="UNSIGNED-PAYLOAD")
    assert r.status == 200, r
    assert s3.get_object(Bucket=bucket, Key="te")["Body"].read() == b"hello chunked world"


def test_put_if_none_match_etag(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["ETag"]
    with expect_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfNoneMatch=etag)
    assert status_of(s3.put_object(Bucket=bucket, Key="k", Body=b"three",
                                   IfNoneMatch='"0123456789abcdef0123456789abcdef"')) == 200
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"three"


@pytest.mark.parametrize("sent,stored", [
    ("gzip", "gzip"),
    ("deflate, gzip", "deflate, gzip"),
    ("gzip, aws-chunked", "gzip"),
    ("aws-chunked, gzip", "gzip"),
    ("aws-chunked", None),
])
def test_content_encoding_drops_aws_chunked(s3, bucket, sent, stored):
    s3.put_object(Bucket=bucket, Key="ce", Body=b"x", ContentEncoding=sent)
    head = s3.head_object(Bucket=bucket, Key="ce")
    assert head.get("ContentEncoding") == stored


def test_malformed_checksum_value_is_bad_digest(s3, bucket):
    with expect_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ChecksumAlgorithm="SHA256",
                      ChecksumSHA256="bad")
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="k")


# ---- buckets ---------------------------------------------------------------------------------

def test_delete_bucket_with_unfinished_upload(s3, make_bucket):
    name = make_bucket(s3)
    up = s3.create_multipart_upload(Bucket=name, Key="pending")["UploadId"]
    s3.upload_part(Bucket=name, Key="pending", UploadId=up, PartNumber=1, Body=b"p" * 1024)
    assert status_of(s3.delete_bucket(Bucket=name)) == 204
    with expect_error("404", 404):
        s3.head_bucket(Bucket=name)


def main_account_id(server):
    banner = (server.tmp / "server.stdout").read_text()
    return re.search(r"account:\s+(\d{12})", banner).group(1)


def test_expected_bucket_owner(s3, bucket, server):
    owner = main_account_id(server)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner=owner)
    with expect_error("AccessDenied", 403):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner="999999999999")
    with expect_error("AccessDenied", 403):
        s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                       ExpectedSourceBucketOwner="999999999999")
    assert status_of(s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                                    ExpectedSourceBucketOwner=owner)) == 200
