"""Objects: PutObject, GetObject, HeadObject, conditional requests, DeleteObject(s), CopyObject,
request ids, virtual-hosted addressing and read-after-write consistency."""
import datetime
import socket

import pytest
from botocore.exceptions import ClientError

from e2e_support import (MiB, REQUEST_ID_RE, checksum, content_md5, expect_error, install_request_id_check,
                         md5_hex, multipart_etag, quote_key, random_bytes, unique_bucket_name, unique_key)

UTC = datetime.timezone.utc


def status_of(resp):
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def headers_of(resp):
    return resp["ResponseMetadata"]["HTTPHeaders"]


# ---- PutObject / HeadObject / GetObject basics -----------------------------------------------------

def test_put_get_head_roundtrip(s3, bucket):
    data = b"hello, s3trail\n"
    put = s3.put_object(Bucket=bucket, Key="greeting.txt", Body=data)
    assert status_of(put) == 200
    assert put["ETag"] == f'"{md5_hex(data)}"'

    head = s3.head_object(Bucket=bucket, Key="greeting.txt")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == put["ETag"]
    assert head["ContentType"] == "binary/octet-stream"
    assert head["AcceptRanges"] == "bytes"
    assert isinstance(head["LastModified"], datetime.datetime)
    assert "StorageClass" not in head  # STANDARD is not announced

    get = s3.get_object(Bucket=bucket, Key="greeting.txt")
    assert get["Body"].read() == data
    assert get["ETag"] == put["ETag"]
    assert get["ContentLength"] == len(data)
    assert get["LastModified"] == head["LastModified"]


def test_last_modified_is_recent(s3, bucket):
    before = datetime.datetime.now(UTC).replace(microsecond=0) - datetime.timedelta(seconds=2)
    s3.put_object(Bucket=bucket, Key="t", Body=b"t")
    lm = s3.head_object(Bucket=bucket, Key="t")["LastModified"]
    after = datetime.datetime.now(UTC) + datetime.timedelta(seconds=2)
    assert before <= lm <= after


def test_empty_object(s3, bucket, raw):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    head = s3.head_object(Bucket=bucket, Key="empty")
    assert head["ContentLength"] == 0
    assert head["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""
    r = raw("GET", f"/{bucket}/empty")
    assert r.status == 200
    assert r.header("Content-Length") == "0"


def test_overwrite(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", ContentType="text/plain", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second!")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second!"
    assert got["ContentType"] == "binary/octet-stream"
    assert got["Metadata"] == {}


def test_metadata_and_standard_headers(s3, bucket, raw):
    expires = datetime.datetime(2031, 5, 17, 8, 9, 10, tzinfo=UTC)
    s3.put_object(
        Bucket=bucket, Key="meta", Body=b"payload",
        Metadata={"Color": "Blue", "Mixed-Case-Name": "Some Value", "empty": ""},
        ContentType="text/plain; charset=utf-8",
        ContentEncoding="gzip",
        ContentDisposition='attachment; filename="report.txt"',
        ContentLanguage="de-CH",
        CacheControl="max-age=3600, must-revalidate",
        Expires=expires,
    )
    head = s3.head_object(Bucket=bucket, Key="meta")
    assert head["Metadata"] == {"color": "Blue", "mixed-case-name": "Some Value", "empty": ""}
    assert head["ContentType"] == "text/plain; charset=utf-8"
    assert head["ContentEncoding"] == "gzip"
    assert head["ContentDisposition"] == 'attachment; filename="report.txt"'
    assert head["ContentLanguage"] == "de-CH"
    assert head["CacheControl"] == "max-age=3600, must-revalidate"
    assert head["ExpiresString"] == "Sat, 17 May 2031 08:09:10 GMT"

    for method in ("HEAD", "GET"):
        r = raw(method, f"/{bucket}/meta")
        assert r.status == 200
        names = list(r.headers.keys())
        assert "x-amz-meta-color" in names, names          # exact, lower-case names
        assert "x-amz-meta-mixed-case-name" in names, names
        assert r.header("x-amz-meta-color") == "Blue"
        assert r.header("Expires") == "Sat, 17 May 2031 08:09:10 GMT"
        assert r.header("Content-Type") == "text/plain; charset=utf-8"
        assert r.header("Content-Encoding") == "gzip"
    assert raw("GET", f"/{bucket}/meta").body == b"payload"


def test_storage_class(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ia", Body=b"x", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="ia")["StorageClass"] == "STANDARD_IA"
    assert s3.get_object(Bucket=bucket, Key="ia")["StorageClass"] == "STANDARD_IA"
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["StorageClass"]) for o in listed] == [("ia", "STANDARD_IA")]


def test_invalid_storage_class(s3, bucket):
    with expect_error("InvalidStorageClass", 400):
        s3.put_object(Bucket=bucket, Key="bad", Body=b"x", StorageClass="PLATINUM")
    with expect_error("404", 404):
        s3.head_object(Bucket=bucket, Key="bad")


def test_put_into_missing_bucket(s3):
    with expect_error("NoSuchBucket", 404):
        s3.put_object(Bucket=unique_bucket_name("nob"), Key="k", Body=b"x")


def test_get_missing_key(s3, bucket, raw):
    with expect_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="nope")
    r = raw("GET", f"/{bucket}/nope")
    assert r.status == 404
    err = r.error
    assert err["Code"] == "NoSuchKey"
    assert err["Key"] == "nope"
    assert r.header("Content-Type") == "application/xml"


def test_head_missing_key(s3, bucket, raw):
    with expect_error("404", 404):
        s3.head_object(Bucket=bucket, Key="nope")
    r = raw("HEAD", f"/{bucket}/nope")
    assert r.status == 404
    assert r.body == b""


# ---- checksums -------------------------------------------------------------------------------------

ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checksum_stored_and_returned(s3, bucket, algorithm):
    data = random_bytes(70_000, seed=algorithm)
    value = checksum(algorithm, data)
    put = s3.put_object(Bucket=bucket, Key="c", Body=data, **{f"Checksum{algorithm}": value})
    assert put[f"Checksum{algorithm}"] == value

    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == value
    assert head["ChecksumType"] == "FULL_OBJECT"

    get = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert get[f"Checksum{algorithm}"] == value
    assert get["Body"].read() == data

    plain = s3.head_object(Bucket=bucket, Key="c")
    assert f"Checksum{algorithm}" not in plain


def test_default_sdk_checksum_is_crc32(s3, bucket):
    data = b"boto3 adds a CRC32 by default"
    s3.put_object(Bucket=bucket, Key="d", Body=data)
    head = s3.head_object(Bucket=bucket, Key="d", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == checksum("CRC32", data)


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA256", "CRC64NVME"])
def test_wrong_checksum_is_bad_digest(s3, bucket, algorithm):
    data = b"the real content"
    wrong = checksum(algorithm, b"something else")
    with expect_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="w", Body=data, **{f"Checksum{algorithm}": wrong})
    with expect_error("404", 404):
        s3.head_object(Bucket=bucket, Key="w")


def test_content_md5_good(s3, bucket):
    data = b"md5 me"
    put = s3.put_object(Bucket=bucket, Key="m", Body=data, ContentMD5=content_md5(data))
    assert put["ETag"] == f'"{md5_hex(data)}"'


def test_content_md5_mismatch_is_bad_digest(s3, bucket):
    s3.put_object(Bucket=bucket, Key="m", Body=b"previous")
    with expect_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="m", Body=b"md5 me", ContentMD5=content_md5(b"other"))
    assert s3.get_object(Bucket=bucket, Key="m")["Body"].read() == b"previous"


def test_content_md5_malformed_is_invalid_digest(s3, bucket):
    with expect_error("InvalidDigest", 400):
        s3.put_object(Bucket=bucket, Key="m", Body=b"x", ContentMD5="not-base64-md5")


# ---- ranges ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rng,body,content_range", [
    ("bytes=0-4", b"01234", "bytes 0-4/10"),
    ("bytes=-3", b"789", "bytes 7-9/10"),
    ("bytes=5-", b"56789", "bytes 5-9/10"),
    ("bytes=5-100", b"56789", "bytes 5-9/10"),
    ("bytes=9-9", b"9", "bytes 9-9/10"),
    ("bytes=-20", b"0123456789", "bytes 0-9/10"),
])
def test_range_get(s3, bucket, rng, body, content_range):
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="digits", Range=rng)
    assert status_of(got) == 206
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(body)
    assert got["Body"].read() == body


@pytest.mark.parametrize("rng", ["bytes=10-20", "bytes=10-", "bytes=100-200"])
def test_range_unsatisfiable(s3, bucket, raw, rng):
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    with expect_error("InvalidRange", 416):
        s3.get_object(Bucket=bucket, Key="digits", Range=rng)
    r = raw("GET", f"/{bucket}/digits", headers={"Range": rng})
    assert r.status == 416
    assert r.error["Code"] == "InvalidRange"


def test_range_head(s3, bucket):
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    head = s3.head_object(Bucket=bucket, Key="digits", Range="bytes=2-5")
    assert status_of(head) == 206
    assert head["ContentLength"] == 4
    assert head["ContentRange"] == "bytes 2-5/10"


def _two_part_object(s3, bucket, key):
    p1 = random_bytes(5 * MiB, seed=1)
    p2 = random_bytes(1234, seed=2)
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=1, Body=p1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=2, Body=p2)["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    return p1, p2


def test_get_part_number(s3, bucket):
    p1, p2 = _two_part_object(s3, bucket, "mp")
    total = len(p1) + len(p2)
    etag = multipart_etag([p1, p2])

    g1 = s3.get_object(Bucket=bucket, Key="mp", PartNumber=1)
    assert status_of(g1) == 206
    assert g1["PartsCount"] == 2
    assert g1["ContentLength"] == len(p1)
    assert g1["ContentRange"] == f"bytes 0-{len(p1) - 1}/{total}"
    assert g1["ETag"] == etag
    assert g1["Body"].read() == p1

    g2 = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert g2["PartsCount"] == 2
    assert g2["ContentRange"] == f"bytes {len(p1)}-{total - 1}/{total}"
    assert g2["Body"].read() == p2

    h1 = s3.head_object(Bucket=bucket, Key="mp", PartNumber=1)
    assert status_of(h1) == 206
    assert h1["PartsCount"] == 2
    assert h1["ContentLength"] == len(p1)

    whole = s3.head_object(Bucket=bucket, Key="mp")
    assert whole["ContentLength"] == total
    assert whole["ETag"] == etag


def test_get_part_number_out_of_range(s3, bucket):
    _two_part_object(s3, bucket, "mp")
    # 400 InvalidPart, as ceph s3-tests test_multipart_get_part holds S3 to.
    with expect_error("InvalidPart", 400):
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=3)


def test_response_header_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket, Key="o",
        ResponseContentType="application/x-override",
        ResponseContentLanguage="fr",
        ResponseCacheControl="no-cache",
        ResponseContentDisposition='attachment; filename="o.bin"',
        ResponseContentEncoding="identity",
    )
    assert got["ContentType"] == "application/x-override"
    assert got["ContentLanguage"] == "fr"
    assert got["CacheControl"] == "no-cache"
    assert got["ContentDisposition"] == 'attachment; filename="o.bin"'
    assert got["ContentEncoding"] == "identity"
    assert s3.head_object(Bucket=bucket, Key="o")["ContentType"] == "text/plain"


# ---- conditional GET / HEAD --------------------------------------------------------------------------

@pytest.fixture
def cond_obj(s3, bucket):
    s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")
    head = s3.head_object(Bucket=bucket, Key="c")
    return bucket, "c", head["ETag"], head["LastModified"]


DAY = datetime.timedelta(days=1)


def test_if_match(s3, cond_obj):
    b, k, etag, lm = cond_obj
    assert s3.get_object(Bucket=b, Key=k, IfMatch=etag)["Body"].read() == b"conditional"
    assert status_of(s3.head_object(Bucket=b, Key=k, IfMatch=etag)) == 200
    with expect_error("PreconditionFailed", 412):
        s3.get_object(Bucket=b, Key=k, IfMatch='"0123456789abcdef0123456789abcdef"')
    with expect_error("412", 412):
        s3.head_object(Bucket=b, Key=k, IfMatch='"0123456789abcdef0123456789abcdef"')


def test_if_none_match(s3, cond_obj, raw):
    b, k, etag, lm = cond_obj
    with expect_error("304", 304):
        s3.get_object(Bucket=b, Key=k, IfNoneMatch=etag)
    with expect_error("304", 304):
        s3.head_object(Bucket=b, Key=k, IfNoneMatch=etag)
    assert status_of(s3.get_object(Bucket=b, Key=k, IfNoneMatch='"ffffffffffffffffffffffffffffffff"')) == 200
    r = raw("GET", f"/{b}/{k}", headers={"If-None-Match": etag})
    assert r.status == 304
    assert r.body == b""
    assert r.header("ETag") == etag


def test_if_modified_since(s3, cond_obj):
    b, k, etag, lm = cond_obj
    with expect_error("304", 304):
        s3.get_object(Bucket=b, Key=k, IfModifiedSince=lm)
    with expect_error("304", 304):
        s3.head_object(Bucket=b, Key=k, IfModifiedSince=lm)
    assert status_of(s3.get_object(Bucket=b, Key=k, IfModifiedSince=lm - DAY)) == 200


def test_if_unmodified_since(s3, cond_obj):
    b, k, etag, lm = cond_obj
    with expect_error("PreconditionFailed", 412):
        s3.get_object(Bucket=b, Key=k, IfUnmodifiedSince=lm - DAY)
    with expect_error("412", 412):
        s3.head_object(Bucket=b, Key=k, IfUnmodifiedSince=lm - DAY)
    assert status_of(s3.get_object(Bucket=b, Key=k, IfUnmodifiedSince=lm)) == 200


def test_if_match_wins_over_if_unmodified_since(s3, cond_obj):
    b, k, etag, lm = cond_obj
    got = s3.get_object(Bucket=b, Key=k, IfMatch=etag, IfUnmodifiedSince=lm - DAY)
    assert status_of(got) == 200


def test_if_none_match_wins_over_if_modified_since(s3, cond_obj):
    b, k, etag, lm = cond_obj
    with expect_error("304", 304):
        s3.get_object(Bucket=b, Key=k, IfNoneMatch=etag, IfModifiedSince=lm - DAY)


# ---- conditional PUT -----------------------------------------------------------------------------------

def test_put_if_none_match_star(s3, bucket):
    assert status_of(s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")) == 200
    with expect_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"1"


def test_put_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="cas", Body=b"v1")["ETag"]
    with expect_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch='"00000000000000000000000000000000"')
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v1"
    new = s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch=etag)
    assert new["ETag"] == f'"{md5_hex(b"v2")}"'
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v2"


def test_put_if_match_missing_key(s3, bucket):
    with expect_error("NoSuchKey", 404):
        s3.put_object(Bucket=bucket, Key="ghost", Body=b"x", IfMatch='"00000000000000000000000000000000"')
    with expect_error("404", 404):
        s3.head_object(Bucket=bucket, Key="ghost")


# ---- DeleteObject / DeleteObjects ----------------------------------------------------------------------

def test_delete_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    assert status_of(s3.delete_object(Bucket=bucket, Key="d")) == 204
    with expect_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="d")
    assert status_of(s3.delete_object(Bucket=bucket, Key="d")) == 204
    assert status_of(s3.delete_object(Bucket=bucket, Key="never-existed")) == 204


def test_delete_object_missing_bucket(s3):
    with expect_error("NoSuchBucket", 404):
        s3.delete_object(Bucket=unique_bucket_name("nob"), Key="k")


def test_delete_objects(s3, bucket):
    for k in ("a", "b/c", "d e"):
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "a"}, {"Key": "b/c"}, {"Key": "d e"}, {"Key": "missing"}]})
    assert status_of(resp) == 200
    assert sorted(d["Key"] for d in resp["Deleted"]) == ["a", "b/c", "d e", "missing"]
    assert "Errors" not in resp
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]


def test_delete_objects_quiet(s3, bucket):
    for k in ("q1", "q2"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q1"}, {"Key": "q2"}], "Quiet": True})
    assert status_of(resp) == 200
    assert "Deleted" not in resp
    assert "Errors" not in resp
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_too_many(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k0", Body=b"x")
    with expect_error("MalformedXML", 400):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_delete_objects_exactly_1000(s3, bucket):
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"k{i}"} for i in range(1000)]})
    assert len(resp["Deleted"]) == 1000


@pytest.mark.parametrize("body", [
    b"<Delete><Object><Key>a</Key></Object>",                 # not well-formed
    b"this is not xml",
    b'<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></Delete>',  # no Object
])
def test_delete_objects_malformed(raw, bucket, body):
    r = raw("POST", f"/{bucket}", query={"delete": None}, body=body,
            headers={"Content-MD5": content_md5(body), "Content-Type": "application/xml"})
    assert r.status == 400, r
    assert r.error["Code"] == "MalformedXML"


# ---- CopyObject ----------------------------------------------------------------------------------------

@pytest.fixture
def src(s3, bucket):
    data = b"copy source data"
    etag = s3.put_object(Bucket=bucket, Key="src dir/ü ñ+%.txt", Body=data, ContentType="text/plain",
                         Metadata={"origin": "source"}, CacheControl="no-store")["ETag"]
    lm = s3.head_object(Bucket=bucket, Key="src dir/ü ñ+%.txt")["LastModified"]
    return {"Bucket": bucket, "Key": "src dir/ü ñ+%.txt"}, data, etag, lm


def test_copy_metadata_copy(s3, bucket, src):
    source, data, etag, lm = src
    resp = s3.copy_object(Bucket=bucket, Key="dst", CopySource=source)
    assert status_of(resp) == 200
    assert resp["CopyObjectResult"]["ETag"] == etag
    assert isinstance(resp["CopyObjectResult"]["LastModified"], datetime.datetime)
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"origin": "source"}
    assert head["ContentType"] == "text/plain"
    assert head["CacheControl"] == "no-store"
    assert head["ETag"] == etag
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == data


def test_copy_metadata_replace(s3, bucket, src):
    source, data, etag, lm = src
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, MetadataDirective="REPLACE",
                   Metadata={"fresh": "yes"}, ContentType="application/json")
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"fresh": "yes"}
    assert head["ContentType"] == "application/json"
    assert "CacheControl" not in head
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == data


@pytest.mark.parametrize("cond", ["match-wrong", "none-match-same", "unmodified-since-before", "modified-since-same"])
def test_copy_source_conditions_fail(s3, bucket, src, cond):
    source, data, etag, lm = src
    kwargs = {
        "match-wrong": {"CopySourceIfMatch": '"00000000000000000000000000000000"'},
        "none-match-same": {"CopySourceIfNoneMatch": etag},
        "unmodified-since-before": {"CopySourceIfUnmodifiedSince": lm - DAY},
        "modified-since-same": {"CopySourceIfModifiedSince": lm},
    }[cond]
    with expect_error("PreconditionFailed", 412):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, **kwargs)
    with expect_error("404", 404):
        s3.head_object(Bucket=bucket, Key="dst")


def test_copy_source_conditions_pass(s3, bucket, src):
    source, data, etag, lm = src
    s3.copy_object(Bucket=bucket, Key="d1", CopySource=source, CopySourceIfMatch=etag)
    s3.copy_object(Bucket=bucket, Key="d2", CopySource=source, CopySourceIfNoneMatch='"00000000000000000000000000000000"')
    s3.copy_object(Bucket=bucket, Key="d3", CopySource=source, CopySourceIfUnmodifiedSince=lm)
    s3.copy_object(Bucket=bucket, Key="d4", CopySource=source, CopySourceIfModifiedSince=lm - DAY)
    for k in ("d1", "d2", "d3", "d4"):
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == data


def test_copy_onto_itself_needs_replace(s3, bucket, src):
    source, data, etag, lm = src
    with expect_error("InvalidRequest", 400):
        s3.copy_object(Bucket=bucket, Key=source["Key"], CopySource=source)
    s3.copy_object(Bucket=bucket, Key=source["Key"], CopySource=source, MetadataDirective="REPLACE",
                   Metadata={"origin": "replaced"}, ContentType="text/csv")
    head = s3.head_object(Bucket=bucket, Key=source["Key"])
    assert head["Metadata"] == {"origin": "replaced"}
    assert head["ContentType"] == "text/csv"
    assert s3.get_object(Bucket=bucket, Key=source["Key"])["Body"].read() == data


def test_copy_cross_bucket(s3, make_bucket, src):
    source, data, etag, lm = src
    other = make_bucket(s3)
    resp = s3.copy_object(Bucket=other, Key="copied", CopySource=source)
    assert resp["CopyObjectResult"]["ETag"] == etag
    assert s3.get_object(Bucket=other, Key="copied")["Body"].read() == data
    assert s3.head_object(Bucket=other, Key="copied")["Metadata"] == {"origin": "source"}


def test_copy_missing_source(s3, bucket):
    with expect_error("NoSuchKey", 404):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "missing"})
    with expect_error("NoSuchBucket", 404):
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": unique_bucket_name("nob"), "Key": "k"})


def test_copy_from_other_accounts_private_object(s3_alt, make_bucket, src):
    source, data, etag, lm = src
    theirs = make_bucket(s3_alt)
    with expect_error("AccessDenied", 403):
        s3_alt.copy_object(Bucket=theirs, Key="stolen", CopySource=source)


# ---- request ids ------------------------------------------------------------------------------------------

def test_every_response_has_request_ids(s3, bucket, raw, server):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"0123456789")
    etag = s3.head_object(Bucket=bucket, Key="obj")["ETag"]
    responses = {
        "list buckets": raw("GET", "/"),
        "head bucket": raw("HEAD", f"/{bucket}"),
        "list objects": raw("GET", f"/{bucket}", query={"list-type": "2"}),
        "put": raw("PUT", f"/{bucket}/p", body=b"abc"),
        "get": raw("GET", f"/{bucket}/obj"),
        "head": raw("HEAD", f"/{bucket}/obj"),
        "range": raw("GET", f"/{bucket}/obj", headers={"Range": "bytes=0-1"}),
        "304": raw("GET", f"/{bucket}/obj", headers={"If-None-Match": etag}),
        "416": raw("GET", f"/{bucket}/obj", headers={"Range": "bytes=50-60"}),
        "delete": raw("DELETE", f"/{bucket}/p"),
        "no such key": raw("GET", f"/{bucket}/missing"),
        "head no such key": raw("HEAD", f"/{bucket}/missing"),
        "no such bucket": raw("GET", f"/{unique_bucket_name('nob')}/k"),
        "anonymous denied": raw("GET", f"/{bucket}/obj", sign=False),
        "unknown key id": raw("GET", f"/{bucket}/obj", creds=("AKIAUNKNOWNUNKNOWN00", "x" * 40)),
        "bad signature": raw("GET", f"/{bucket}/obj", creds=(server.access_key, "wrong" * 8)),
    }
    expected_status = {"list buckets": 200, "head bucket": 200, "list objects": 200, "put": 200, "get": 200,
                       "head": 200, "range": 206, "304": 304, "416": 416, "delete": 204, "no such key": 404,
                       "head no such key": 404, "no such bucket": 404, "anonymous denied": 403,
                       "unknown key id": 403, "bad signature": 403}
    ids = set()
    for name, r in responses.items():
        assert r.status == expected_status[name], (name, r)
        rid = r.header("x-amz-request-id")
        assert rid and REQUEST_ID_RE.match(rid), (name, rid)
        assert r.header("x-amz-id-2"), name
        ids.add(rid)
        if r.status >= 400 and r.body:
            err = r.error
            assert err["RequestId"] == rid, name
            assert err["HostId"] == r.header("x-amz-id-2"), name
    assert len(ids) == len(responses), "request ids are not unique"


def test_error_body_shape(raw, bucket):
    r = raw("GET", f"/{bucket}/missing-key")
    assert r.status == 404
    assert r.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    err = r.error
    assert err["Code"] == "NoSuchKey"
    assert err["Message"] == "The specified key does not exist."
    assert err["Key"] == "missing-key"
    assert err["RequestId"] == r.header("x-amz-request-id")


# ---- virtual-hosted addressing -------------------------------------------------------------------------

def test_virtual_hosted_raw(raw, bucket, server, s3):
    host = f"{bucket}.localhost:{server.port}"
    key = "vh dir/obj é.txt"
    r = raw("PUT", "/" + quote_key(key), host=host, body=b"virtual", headers={"Content-Type": "text/plain"})
    assert r.status == 200, r
    r = raw("GET", "/" + quote_key(key), host=host)
    assert r.status == 200, r
    assert r.body == b"virtual"
    assert r.header("Content-Type") == "text/plain"
    r = raw("GET", "/", host=host, query={"list-type": "2", "prefix": "vh "})
    assert r.status == 200, r
    root = r.xml()
    assert root.tag == "ListBucketResult"
    assert root.findtext("Name") == bucket
    assert [c.findtext("Key") for c in root.findall("Contents")] == [key]
    r = raw("HEAD", "/", host=host)
    assert r.status == 200
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"virtual"   # path style sees it
    r = raw("DELETE", "/" + quote_key(key), host=host)
    assert r.status == 204


def test_path_style_with_domain_host(raw, bucket, server):
    r = raw("PUT", f"/{bucket}/k", host=f"localhost:{server.port}", body=b"x")
    assert r.status == 200, r
    r = raw("GET", f"/{bucket}/k", host=f"localhost:{server.port}")
    assert r.status == 200 and r.body == b"x"


@pytest.fixture
def resolve_localhost_subdomains(monkeypatch):
    """Makes <anything>.localhost resolve to 127.0.0.1 inside this process (glibc does not)."""
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_virtual_hosted_boto3(server, bucket, resolve_localhost_subdomains):
    from boto3.session import Session
    from botocore.config import Config
    vclient = Session().client(
        "s3", endpoint_url=f"http://localhost:{server.port}", region_name="us-east-1",
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
        config=Config(s3={"addressing_style": "virtual"}, retries={"total_max_attempts": 1}))
    install_request_id_check(vclient)
    put = vclient.put_object(Bucket=bucket, Key="a/b c", Body=b"vhost boto3")
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = vclient.get_object(Bucket=bucket, Key="a/b c")
    assert got["Body"].read() == b"vhost boto3"
    listed = vclient.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["a/b c"]
    assert vclient.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert vclient.delete_object(Bucket=bucket, Key="a/b c")["ResponseMetadata"]["HTTPStatusCode"] == 204


# ---- strong read-after-write ------------------------------------------------------------------------------

def test_read_after_write(s3, bucket):
    for i in range(200):
        key = unique_key(f"raw{i}")
        body = f"version one of {key}".encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, i
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body), i
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)
        assert [(o["Key"], o["Size"]) for o in listed.get("Contents", [])] == [(key, len(body))], i

        body2 = b"v2" * (i + 1)
        s3.put_object(Bucket=bucket, Key=key, Body=body2)
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body2, i
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)
        assert [(o["Key"], o["Size"]) for o in listed.get("Contents", [])] == [(key, len(body2))], i

        s3.delete_object(Bucket=bucket, Key=key)
        try:
            s3.get_object(Bucket=bucket, Key=key)
            pytest.fail(f"iteration {i}: GET after DELETE still returns the object")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "NoSuchKey", i
        try:
            s3.head_object(Bucket=bucket, Key=key)
            pytest.fail(f"iteration {i}: HEAD after DELETE still finds the object")
        except ClientError as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, i
        assert s3.list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 0, i
