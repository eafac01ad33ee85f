"""Defects a review found, each pinned by the request that showed it."""
import base64
import datetime
import hashlib
import hmac
import re
import threading
import zlib
from urllib.parse import quote, urlparse

import pytest
import requests

from e2e_support import expect_error


def status_of(resp):
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def blob_files(server):
    return sorted(p.name for p in (server.data_dir / "blobs").rglob("*") if p.is_file())


# ---- authentication ----------------------------------------------------------------------------

def test_unsigned_x_amz_header_on_presigned_put_is_refused(s3, s3_anon, bucket, make_bucket):
    secret_bucket = make_bucket(s3)
    s3.put_object(Bucket=secret_bucket, Key="secret.txt", Body=b"TOP SECRET")
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "upload"},
                                    ExpiresIn=600)
    r = requests.put(url, data=b"", headers={"x-amz-copy-source": f"{secret_bucket}/secret.txt",
                                             "x-amz-acl": "public-read"})
    assert r.status_code == 403, r.text
    assert "<Code>AccessDenied</Code>" in r.text
    assert "<HeadersNotSigned>x-amz-copy-source, x-amz-acl</HeadersNotSigned>" in r.text
    with expect_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="upload")


def presign_with_payload_hash(server, path, sha):
    """A SigV4 presigned PUT whose X-Amz-Content-Sha256 binds the body (botocore's presigner
    always signs UNSIGNED-PAYLOAD, so this is written out)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/us-east-1/s3/aws4_request"
    q = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Content-Sha256": sha,
         "X-Amz-Credential": f"{server.access_key}/{scope}", "X-Amz-Date": amz_date,
         "X-Amz-Expires": "600", "X-Amz-SignedHeaders": "host"}
    qs = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(q.items()))
    host = f"{server.host}:{server.port}"
    creq = f"PUT\n{path}\n{qs}\nhost:{host}\n\nhost\n{sha}"
    sts = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + hashlib.sha256(creq.encode()).hexdigest()
    key = ("AWS4" + server.secret_key).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return f"{server.endpoint}{path}?{qs}&X-Amz-Signature={sig}"


def test_presigned_payload_hash_is_checked(s3, bucket, server):
    good = b"intended body"
    url = presign_with_payload_hash(server, f"/{bucket}/bound", hashlib.sha256(good).hexdigest())
    r = requests.put(url, data=b"EVIL different body")
    assert r.status_code == 400, r.text
    assert "<Code>XAmzContentSHA256Mismatch</Code>" in r.text
    r = requests.put(url, data=good)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="bound")["Body"].read() == good


def test_signature_for_another_region_names_the_buckets(s3, bucket, raw):
    r = raw("GET", f"/{bucket}", region="eu-west-1")
    assert r.status == 400, r
    assert r.error["Code"] == "AuthorizationHeaderMalformed"
    assert r.error["Region"] == "us-east-1"
    r = raw("GET", "/", region="xx-nowhere-9")
    assert r.status == 400, r
    assert r.error["Region"] == "us-east-1"


def test_anonymous_cannot_probe_keys(s3, s3_anon, bucket):
    s3.put_object(Bucket=bucket, Key="exists", Body=b"x")
    with expect_error("AccessDenied", 403):
        s3_anon.get_object(Bucket=bucket, Key="exists")
    with expect_error("AccessDenied", 403):
        s3_anon.get_object(Bucket=bucket, Key="does-not-exist")
    with expect_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="does-not-exist")


def test_anonymous_response_overrides_refused(s3, s3_anon, bucket):
    s3.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    with expect_error("InvalidRequest", 400):
        s3_anon.get_object(Bucket=bucket, Key="pub", ResponseContentType="text/html")
    assert s3_anon.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"x"


# ---- bodies and blobs ------------------------------------------------------------------------

def test_refused_put_leaves_no_blob(s3, bucket, server, raw):
    before = blob_files(server)
    body = b"z" * 200_000
    r = raw("PUT", f"/{bucket}/tagged", body=body, headers={"x-amz-tagging": "a=b"})
    assert r.status == 501, r
    assert r.error["Code"] == "NotImplemented"
    r = raw("PUT", f"/{bucket}/k", query={"uploadId": "x"}, body=body)
    assert r.status == 400, r
    assert blob_files(server) == before


def test_many_metadata_keys_read_back(s3, bucket):
    meta = {f"k{i}": "v" for i in range(60)}
    s3.put_object(Bucket=bucket, Key="meta", Body=b"x", Metadata=meta)
    assert s3.head_object(Bucket=bucket, Key="meta")["Metadata"] == meta
    assert s3.get_object(Bucket=bucket, Key="meta")["Metadata"] == meta


def test_non_utf8_metadata_round_trips(s3, make_bucket, raw):
    # Signing would encode the value as UTF-8 while http.client sends latin-1, so this goes
    # anonymously into a bucket that lets everyone write.
    bucket = make_bucket(s3, ACL="public-read-write")
    r = raw("PUT", f"/{bucket}/latin", body=b"x", sign=False,
            headers={"x-amz-meta-a": "caf\xe9", "x-amz-acl": "public-read"})
    assert r.status == 200, r
    r = raw("HEAD", f"/{bucket}/latin", sign=False)
    assert r.status == 200, r
    assert r.header("x-amz-meta-a") == "caf\xe9"  # http.client reads headers as latin-1


def test_part_number_get_answers_the_parts_checksum(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32",
                                    ChecksumType="FULL_OBJECT")["UploadId"]
    parts, crcs = [], []
    for n, body in ((1, b"a" * (5 * 1024 * 1024)), (2, b"tail")):
        crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        e = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=n, Body=body,
                           ChecksumAlgorithm="CRC32", ChecksumCRC32=crc)
        parts.append({"PartNumber": n, "ETag": e["ETag"], "ChecksumCRC32": crc})
        crcs.append(crc)
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                 MultipartUpload={"Parts": parts})
    got = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2, ChecksumMode="ENABLED")
    assert got["Body"].read() == b"tail"
    assert got["ChecksumCRC32"] == crcs[1]


# ---- conditional delete, listings ------------------------------------------------------------

def test_delete_object_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="d", Body=b"x")["ETag"]
    with expect_error("PreconditionFailed", 412):
        s3.delete_object(Bucket=bucket, Key="d", IfMatch='"ffffffffffffffffffffffffffffffff"')
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"x"
    assert status_of(s3.delete_object(Bucket=bucket, Key="d", IfMatch=etag)) == 204
    with expect_error("NoSuchKey", 404):
        s3.delete_object(Bucket=bucket, Key="d", IfMatch=etag)


def test_list_parts_max_zero_is_not_truncated(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="p")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="p", UploadId=up, PartNumber=1, Body=b"x")
    got = s3.list_parts(Bucket=bucket, Key="p", UploadId=up, MaxParts=0)
    assert got["IsTruncated"] is False
    assert "Parts" not in got
    s3.abort_multipart_upload(Bucket=bucket, Key="p", UploadId=up)


def test_list_buckets_pages_with_url_safe_tokens(s3, make_bucket):
    names = sorted(make_bucket(s3, name=f"lbtok-{i:02d}-{'x' * 40}") for i in range(5))
    seen, token = [], None
    while True:
        kw = {"MaxBuckets": 2, "Prefix": "lbtok-"}
        if token:
            kw["ContinuationToken"] = token
        page = s3.list_buckets(**kw)
        seen += [b["Name"] for b in page["Buckets"]]
        token = page.get("ContinuationToken")
        if not token:
            break
        assert re.fullmatch(r"[A-Za-z0-9_=-]+", token), token
    assert seen == names


# ---- concurrency -----------------------------------------------------------------------------

def test_get_racing_overwrites_never_fails(server, bucket):
    writer = server.client()
    reader = server.client()
    bodies = [bytes([65 + i]) * 100_000 for i in range(4)]
    writer.put_object(Bucket=bucket, Key="hot", Body=bodies[0])
    stop = threading.Event()
    errors = []

    def write():
        i = 0
        while not stop.is_set():
            i += 1
            writer.put_object(Bucket=bucket, Key="hot", Body=bodies[i % 4])

    t = threading.Thread(target=write)
    t.start()
    try:
        for _ in range(150):
            try:
                got = reader.get_object(Bucket=bucket, Key="hot")["Body"].read()
                assert got in bodies
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(e))
    finally:
        stop.set()
        t.join()
    assert errors == []
