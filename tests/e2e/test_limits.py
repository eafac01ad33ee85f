"""S3's size limits: key length, user metadata, header section, single-PUT size; and (slow) a
1 GiB streaming PUT/GET under a memory bound."""
import hashlib
import http.client
import time
from urllib.parse import urlparse

import pytest

from e2e_support import MiB, expect_error, is_sanitized, purge_bucket, unique_bucket_name


def status_of(resp):
    return resp["ResponseMetadata"]["HTTPStatusCode"]


# ---- key length --------------------------------------------------------------------------------------

def test_key_1024_bytes_ok(s3, bucket):
    key = "k" * 1024
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"x"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]


def test_key_1025_bytes_too_long(s3, bucket):
    with expect_error("KeyTooLongError", 400):
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_key_length_counts_utf8_bytes(s3, bucket):
    ok = "\u00e9" * 512                # 1024 bytes
    s3.put_object(Bucket=bucket, Key=ok, Body=b"x")
    assert s3.head_object(Bucket=bucket, Key=ok)["ContentLength"] == 1
    with expect_error("KeyTooLongError", 400):
        s3.put_object(Bucket=bucket, Key=ok + "a", Body=b"x")   # 1025 bytes, 513 characters


def test_key_too_long_on_multipart_and_copy(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with expect_error("KeyTooLongError", 400):
        s3.create_multipart_upload(Bucket=bucket, Key="m" * 1025)
    with expect_error("KeyTooLongError", 400):
        s3.copy_object(Bucket=bucket, Key="c" * 1025, CopySource={"Bucket": bucket, "Key": "src"})


# ---- user metadata -----------------------------------------------------------------------------------------

def test_metadata_within_limit(s3, bucket):
    meta = {"a": "x" * 1000, "b": "y" * 900}
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata=meta)
    assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == meta


def test_metadata_too_large(s3, bucket):
    with expect_error("MetadataTooLarge", 400):
        s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"big": "v" * 2100})
    with expect_error("MetadataTooLarge", 400):
        s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={f"k{i}": "v" * 200 for i in range(12)})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_metadata_too_large_multipart_and_copy(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with expect_error("MetadataTooLarge", 400):
        s3.create_multipart_upload(Bucket=bucket, Key="m", Metadata={"big": "v" * 2100})
    with expect_error("MetadataTooLarge", 400):
        s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "src"},
                       MetadataDirective="REPLACE", Metadata={"big": "v" * 2100})


# ---- header section ----------------------------------------------------------------------------------------

def test_header_section_too_large(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"x")
    r = raw("GET", f"/{bucket}/obj", headers={"x-filler": "f" * 9000})
    assert r.status == 400, r
    assert r.error["Code"] == "RequestHeaderSectionTooLarge"
    r = raw("GET", f"/{bucket}/obj", sign=False, headers={"X-Filler-" + str(i): "g" * 1000 for i in range(10)})
    assert r.status == 400, r
    assert r.error["Code"] == "RequestHeaderSectionTooLarge"


def test_header_section_below_limit_ok(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"x")
    r = raw("GET", f"/{bucket}/obj", headers={"x-filler": "f" * 6500})
    assert r.status == 200, r
    assert r.body == b"x"


# ---- single PUT size -----------------------------------------------------------------------------------------

def test_put_over_5_gib_rejected_before_body(raw, bucket, s3):
    size = 5 * 1024 ** 3 + 1
    r = raw("PUT", f"/{bucket}/huge", body=b"", payload_hash="UNSIGNED-PAYLOAD",
            headers={"Content-Length": str(size), "Expect": "100-continue"}, expect_continue=True,
            timeout=20)
    assert r.status == 400, r
    assert r.error["Code"] == "EntityTooLarge"
    with expect_error("404", 404):
        s3.head_object(Bucket=bucket, Key="huge")


# ---- 1 GiB streaming under a memory bound (release binary only) -----------------------------------------------

GIB = 1024 ** 3
BLOCK = MiB


def _block(i, base):
    return i.to_bytes(8, "big") + base[8:]


@pytest.mark.slow
def test_1gib_streaming_put_get_rss(start_server):
    srv = start_server("rss")
    if is_sanitized(srv.binary):
        pytest.skip("the RSS bound is for the release binary (make check-slow uses S3TRAIL_BIN=./s3trail)")
    s3 = srv.client()
    name = unique_bucket_name("gib")
    s3.create_bucket(Bucket=name)
    try:
        base = hashlib.sha256(b"seed").digest() * (BLOCK // 32)
        url = urlparse(s3.generate_presigned_url("put_object", Params={"Bucket": name, "Key": "gib"}, ExpiresIn=3600))
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
        conn.putrequest("PUT", f"{url.path}?{url.query}", skip_accept_encoding=True)
        conn.putheader("Content-Length", str(GIB))
        conn.endheaders()
        md5 = hashlib.md5()
        t0 = time.monotonic()
        for i in range(GIB // BLOCK):
            b = _block(i, base)
            md5.update(b)
            conn.send(b)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        assert resp.status == 200, body
        assert resp.getheader("ETag") == f'"{md5.hexdigest()}"'
        put_s = time.monotonic() - t0

        url = urlparse(s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "gib"}, ExpiresIn=3600))
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
        conn.request("GET", f"{url.path}?{url.query}")
        resp = conn.getresponse()
        assert resp.status == 200
        assert int(resp.getheader("Content-Length")) == GIB
        i = 0
        pending = b""
        total = 0
        while True:
            chunk = resp.read(BLOCK)
            if not chunk:
                break
            total += len(chunk)
            pending += chunk
            while len(pending) >= BLOCK:
                assert pending[:BLOCK] == _block(i, base), f"block {i} differs"
                pending = pending[BLOCK:]
                i += 1
        conn.close()
        assert total == GIB and pending == b"" and i == GIB // BLOCK

        peak_kib = srv.rss_peak_kib()
        print(f"1 GiB PUT {put_s:.1f}s; server peak RSS {peak_kib} KiB")
        assert peak_kib < 64 * 1024, f"server peak RSS {peak_kib} KiB >= 64 MiB (PUT took {put_s:.1f}s)"
    finally:
        purge_bucket(s3, name)
