"""Server-side encryption at rest (SSE-S3, x-amz-server-side-encryption: AES256).

What is checked: the answers (PutObject / CopyObject responses, GET and HEAD headers, byte-exact
ranged GETs across the 64 KiB segment boundaries, small inline and multi-MB objects), the
CloudTrail record (responseElements and SSEApplied), the errors for what is not built, the
master key file, that a tampered blob never yields unauthenticated bytes, and, by reading the
raw files of the data directory (blobs, meta.db and its -wal), that the plaintext is not there.
"""
import http.client
import stat
import uuid

import pytest

from e2e_support import MiB, expect_error, journal, random_bytes, record_of

SEG = 64 * 1024


def blob_files(server):
    return {p for p in (server.data_dir / "blobs").rglob("*") if p.is_file()}


def data_files(server):
    """Every regular file under the data directory (blobs, tmp, meta.db, meta.db-wal, ...)."""
    return [p for p in server.data_dir.rglob("*") if p.is_file()]


def files_containing(server, needle):
    found = []
    for p in data_files(server):
        try:
            if needle in p.read_bytes():
                found.append(p)
        except FileNotFoundError:
            pass  # a temp file or blob unlinked while we looked
    return found


def marker():
    return b"S3TRAIL-PLAINTEXT-MARKER-" + uuid.uuid4().hex.encode()


def body_with(mark, size, seed):
    """size bytes of pseudo-random data with the marker at the start, across every segment
    boundary, and at the end."""
    b = bytearray(random_bytes(size, seed=seed))
    spots = [0, size - len(mark)] + [k * SEG - len(mark) // 2 for k in range(1, size // SEG + 1)]
    for at in spots:
        if 0 <= at and at + len(mark) <= size:
            b[at:at + len(mark)] = mark
    return bytes(b)


# ---- the master key --------------------------------------------------------------------------

def test_master_key_file(server):
    p = server.data_dir / "master.key"
    st = p.stat()
    assert stat.S_ISREG(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_size == 32


# ---- round trips ----------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 3 * MiB + 12345])
def test_put_get_head_encrypted(s3, bucket, size):
    data = random_bytes(size, seed=size)
    resp = s3.put_object(Bucket=bucket, Key="k", Body=data, ServerSideEncryption="AES256")
    assert resp["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["ContentLength"] == size
    assert got["Body"].read() == data
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == size
    assert head["ETag"] == resp["ETag"]  # the MD5 of the plaintext, as S3 has it for SSE-S3


def test_plain_object_has_no_sse_header(s3, bucket):
    resp = s3.put_object(Bucket=bucket, Key="plain", Body=b"hello")
    assert "ServerSideEncryption" not in resp
    assert "ServerSideEncryption" not in s3.head_object(Bucket=bucket, Key="plain")


def test_ranged_gets_across_segments(s3, bucket):
    size = 3 * MiB + 777
    data = random_bytes(size, seed=42)
    s3.put_object(Bucket=bucket, Key="big", Body=data, ServerSideEncryption="AES256")
    ranges = [(0, 0), (SEG - 1, SEG), (SEG - 1, SEG - 1), (SEG, SEG), (SEG - 100, 3 * SEG + 100),
              (5, 2 * SEG - 1), (size - 1, size - 1), (10 * SEG + 3, 20 * SEG + 5),
              (size - SEG - 1, size - 1), (0, size - 1), (2 * MiB, 2 * MiB + 2 * SEG)]
    for a, b in ranges:
        got = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={a}-{b}")
        assert got["ContentRange"] == f"bytes {a}-{b}/{size}"
        assert got["ServerSideEncryption"] == "AES256"
        assert got["Body"].read() == data[a:b + 1], (a, b)
    got = s3.get_object(Bucket=bucket, Key="big", Range="bytes=-70000")
    assert got["Body"].read() == data[-70000:]
    got = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={size - 5}-")
    assert got["Body"].read() == data[-5:]
    got = s3.get_object(Bucket=bucket, Key="big", PartNumber=1)
    assert got["Body"].read() == data


def test_ranged_get_of_small_inline_object(s3, bucket):
    data = random_bytes(5000, seed=1)
    s3.put_object(Bucket=bucket, Key="small", Body=data, ServerSideEncryption="AES256")
    assert s3.get_object(Bucket=bucket, Key="small", Range="bytes=100-199")["Body"].read() == \
        data[100:200]


def test_signed_payload_put(raw, bucket):
    """A signed (non-chunked) body takes the same path as boto3's aws-chunked one."""
    data = random_bytes(2 * SEG + 3, seed=5)
    r = raw("PUT", f"/{bucket}/signed", body=data,
            headers={"x-amz-server-side-encryption": "AES256"})
    assert r.status == 200, r
    assert r.header("x-amz-server-side-encryption") == "AES256"
    r = raw("GET", f"/{bucket}/signed")
    assert r.status == 200 and r.body == data
    assert r.header("x-amz-server-side-encryption") == "AES256"


# ---- CopyObject ------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [100, 2 * MiB + 1])
def test_copy_from_encrypted_source(s3, bucket, size):
    data = random_bytes(size, seed=size)
    s3.put_object(Bucket=bucket, Key="src", Body=data, ServerSideEncryption="AES256")
    # Without the header the destination is plaintext (no bucket default encryption yet).
    resp = s3.copy_object(Bucket=bucket, Key="plain", CopySource={"Bucket": bucket, "Key": "src"})
    assert "ServerSideEncryption" not in resp
    got = s3.get_object(Bucket=bucket, Key="plain")
    assert "ServerSideEncryption" not in got
    assert got["Body"].read() == data
    # Asked for: encrypted, with its own data key.
    resp = s3.copy_object(Bucket=bucket, Key="enc", CopySource={"Bucket": bucket, "Key": "src"},
                          ServerSideEncryption="AES256")
    assert resp["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="enc")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == data
    assert got["ETag"] == s3.head_object(Bucket=bucket, Key="src")["ETag"]


def test_copy_plain_object_onto_itself_encrypts_it(s3, bucket):
    data = random_bytes(SEG * 2 + 9, seed=3)
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    resp = s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"},
                          ServerSideEncryption="AES256")
    assert resp["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == data


def test_upload_part_copy_from_encrypted_source(s3, bucket):
    data = random_bytes(5 * MiB + 10, seed=8)
    s3.put_object(Bucket=bucket, Key="src", Body=data, ServerSideEncryption="AES256")
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    p1 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"},
                             CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    p2 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "src"},
                             CopySourceRange=f"bytes={5 * MiB}-{len(data) - 1}")
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == data


# ---- what is not built -----------------------------------------------------------------------

@pytest.mark.parametrize("value,code,status", [
    ("AES128", "InvalidArgument", 400),
    ("aes256", "InvalidArgument", 400),
    ("aws:kms", "NotImplemented", 501),
    ("aws:kms:dsse", "NotImplemented", 501),
])
def test_unsupported_sse_values(raw, bucket, value, code, status):
    r = raw("PUT", f"/{bucket}/k", body=b"x", headers={"x-amz-server-side-encryption": value})
    assert r.status == status, r
    assert r.error["Code"] == code
    if code == "InvalidArgument":
        assert r.error["Message"] == "The encryption method specified is not supported"
        assert r.error["ArgumentName"] == "x-amz-server-side-encryption"
        assert r.error["ArgumentValue"] == value
    r = raw("PUT", f"/{bucket}/copy", body=b"",
            headers={"x-amz-server-side-encryption": value, "x-amz-copy-source": f"/{bucket}/k"})
    assert r.status == status, r
    assert r.error["Code"] == code


def test_sse_c_and_kms_key_headers_not_implemented(raw, bucket):
    for h in ({"x-amz-server-side-encryption-customer-algorithm": "AES256"},
              {"x-amz-server-side-encryption-aws-kms-key-id": "alias/x",
               "x-amz-server-side-encryption": "AES256"}):
        r = raw("PUT", f"/{bucket}/k", body=b"x", headers=h)
        assert r.status == 501, r
        assert r.error["Code"] == "NotImplemented"


def test_multipart_sse_not_implemented(s3, bucket):
    with expect_error("NotImplemented", 501):
        s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="AES256")


# ---- the CloudTrail record -------------------------------------------------------------------

def test_record_says_sse_s3(server, s3, bucket):
    resp = s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 10, ServerSideEncryption="AES256")
    rec = record_of(server, resp["ResponseMetadata"]["RequestId"])
    assert rec["eventName"] == "PutObject"
    assert rec["responseElements"] == {"x-amz-server-side-encryption": "AES256"}
    assert rec["additionalEventData"]["SSEApplied"] == "SSE_S3"
    assert rec["requestParameters"]["x-amz-server-side-encryption"] == "AES256"
    resp = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                          ServerSideEncryption="AES256")
    rec = record_of(server, resp["ResponseMetadata"]["RequestId"])
    assert rec["responseElements"] == {"x-amz-server-side-encryption": "AES256"}
    assert rec["additionalEventData"]["SSEApplied"] == "SSE_S3"


# ---- nothing in clear on disk ------------------------------------------------------------------

def test_plaintext_is_not_on_disk(server, s3, bucket):
    # The control: a plaintext object's marker IS found (inline in meta.db / its -wal, and in a
    # blob), so the search below would see an encrypted one's if it were there.
    plain_small, plain_big = marker(), marker()
    s3.put_object(Bucket=bucket, Key="p1", Body=plain_small + b" tail")
    s3.put_object(Bucket=bucket, Key="p2", Body=body_with(plain_big, 300 * 1024, 1))
    assert files_containing(server, plain_small), "control: inline plaintext not found"
    assert files_containing(server, plain_big), "control: blob plaintext not found"

    mark = marker()
    small = mark + b" a small log line, stored inline"
    big = body_with(mark, 3 * MiB + 99, 2)
    edge = body_with(mark, SEG, 3)  # the largest inline body
    s3.put_object(Bucket=bucket, Key="e1", Body=small, ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="e2", Body=big, ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="e3", Body=edge, ServerSideEncryption="AES256")
    s3.copy_object(Bucket=bucket, Key="e4", CopySource={"Bucket": bucket, "Key": "e2"},
                   ServerSideEncryption="AES256")
    s3.copy_object(Bucket=bucket, Key="e5", CopySource={"Bucket": bucket, "Key": "e1"},
                   ServerSideEncryption="AES256")
    assert s3.get_object(Bucket=bucket, Key="e2")["Body"].read() == big
    names = sorted(p.name for p in data_files(server))
    assert "meta.db" in names
    found = files_containing(server, mark)
    assert found == [], f"plaintext marker found in {found}"
    # Nor a piece of the body that crosses no marker.
    assert files_containing(server, big[1000:1064]) == []


# ---- tampering ----------------------------------------------------------------------------------

def test_tampered_blob_is_never_served(server, s3, bucket, raw):
    data = random_bytes(4 * SEG, seed=11)
    before = blob_files(server)
    s3.put_object(Bucket=bucket, Key="t", Body=data, ServerSideEncryption="AES256")
    new = blob_files(server) - before
    assert len(new) == 1
    path = new.pop()
    assert path.stat().st_size == 4 * SEG + 4 * 16
    # Flip one byte of segment 2's ciphertext.
    with open(path, "r+b") as f:
        f.seek(2 * (SEG + 16) + 100)
        b = f.read(1)
        f.seek(2 * (SEG + 16) + 100)
        f.write(bytes([b[0] ^ 1]))
    # Segments 0 and 1 are intact: a range inside them is served.
    got = s3.get_object(Bucket=bucket, Key="t", Range=f"bytes=0-{2 * SEG - 1}")
    assert got["Body"].read() == data[:2 * SEG]
    # The whole object: headers went out, then the body stops before segment 2 (connection
    # closed short of Content-Length); no byte of segment 2 or later is sent.
    resp, conn = raw("GET", f"/{bucket}/t", stream=True)
    try:
        assert resp.status == 200
        assert resp.getheader("Content-Length") == str(4 * SEG)
        with pytest.raises(http.client.IncompleteRead) as ei:
            resp.read()
        assert ei.value.partial == data[:len(ei.value.partial)]
        assert len(ei.value.partial) <= 2 * SEG
    finally:
        conn.close()
    assert "fails authentication" in server.proc.stderr_text()
    # A range that starts in the bad segment gets nothing of it.
    resp, conn = raw("GET", f"/{bucket}/t", headers={"Range": f"bytes={2 * SEG}-{2 * SEG + 10}"},
                     stream=True)
    try:
        assert resp.status == 206
        with pytest.raises(http.client.IncompleteRead) as ei:
            resp.read()
        assert ei.value.partial == b""
    finally:
        conn.close()
    # The object can still be deleted.
    s3.delete_object(Bucket=bucket, Key="t")
