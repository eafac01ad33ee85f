"""Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
ListMultipartUploads."""
import hashlib

import pytest

from e2e_support import MiB, expect_error, md5_hex, multipart_etag, random_bytes


def status_of(resp):
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def create(s3, bucket, key, **kw):
    return s3.create_multipart_upload(Bucket=bucket, Key=key, **kw)["UploadId"]


def upload(s3, bucket, key, upload_id, n, data):
    return s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=data)["ETag"]


def complete(s3, bucket, key, upload_id, parts):
    return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})


def test_complete_multipart(s3, bucket):
    p1 = random_bytes(5 * MiB, seed=11)
    p2 = random_bytes(5 * MiB + 17, seed=12)
    p3 = random_bytes(333, seed=13)
    created = s3.create_multipart_upload(Bucket=bucket, Key="big/object.bin", ContentType="application/x-test",
                                         Metadata={"purpose": "mpu"})
    assert created["Bucket"] == bucket and created["Key"] == "big/object.bin"
    up = created["UploadId"]
    assert up
    etags = [upload(s3, bucket, "big/object.bin", up, n, d) for n, d in ((1, p1), (2, p2), (3, p3))]
    assert etags == [f'"{md5_hex(d)}"' for d in (p1, p2, p3)]

    done = complete(s3, bucket, "big/object.bin", up, list(zip((1, 2, 3), etags)))
    assert status_of(done) == 200
    expected_etag = multipart_etag([p1, p2, p3])
    assert done["ETag"] == expected_etag
    assert done["Bucket"] == bucket and done["Key"] == "big/object.bin"

    head = s3.head_object(Bucket=bucket, Key="big/object.bin")
    assert head["ETag"] == expected_etag
    assert head["ContentLength"] == len(p1) + len(p2) + len(p3)
    assert head["ContentType"] == "application/x-test"
    assert head["Metadata"] == {"purpose": "mpu"}
    body = s3.get_object(Bucket=bucket, Key="big/object.bin")["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(p1 + p2 + p3).digest()
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ETag"], o["Size"]) for o in listed] == [("big/object.bin", expected_etag, len(body))]
    # the upload is gone once completed
    with expect_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="big/object.bin", UploadId=up)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_single_small_part(s3, bucket):
    data = b"only part, smaller than 5 MiB"
    up = create(s3, bucket, "small")
    e = upload(s3, bucket, "small", up, 1, data)
    done = complete(s3, bucket, "small", up, [(1, e)])
    assert done["ETag"] == multipart_etag([data])
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == data


def test_part_overwrite_last_wins(s3, bucket):
    up = create(s3, bucket, "ow")
    first = upload(s3, bucket, "ow", up, 1, b"first version")
    second = upload(s3, bucket, "ow", up, 1, b"second version")
    parts = s3.list_parts(Bucket=bucket, Key="ow", UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, second, len(b"second version"))]
    with expect_error("InvalidPart", 400):
        complete(s3, bucket, "ow", up, [(1, first)])
    complete(s3, bucket, "ow", up, [(1, second)])
    assert s3.get_object(Bucket=bucket, Key="ow")["Body"].read() == b"second version"


def test_entity_too_small(s3, bucket):
    up = create(s3, bucket, "tiny")
    e1 = upload(s3, bucket, "tiny", up, 1, b"a" * 1024)
    e2 = upload(s3, bucket, "tiny", up, 2, b"b" * 1024)
    with expect_error("EntityTooSmall", 400):
        complete(s3, bucket, "tiny", up, [(1, e1), (2, e2)])
    with expect_error("404", 404):
        s3.head_object(Bucket=bucket, Key="tiny")
    # the upload survives a failed completion
    assert len(s3.list_parts(Bucket=bucket, Key="tiny", UploadId=up)["Parts"]) == 2


def test_invalid_part_etag(s3, bucket):
    up = create(s3, bucket, "ip")
    upload(s3, bucket, "ip", up, 1, b"x")
    with expect_error("InvalidPart", 400):
        complete(s3, bucket, "ip", up, [(1, '"00000000000000000000000000000000"')])


def test_invalid_part_missing_number(s3, bucket):
    up = create(s3, bucket, "ip")
    e1 = upload(s3, bucket, "ip", up, 1, random_bytes(5 * MiB, seed=3))
    with expect_error("InvalidPart", 400):
        complete(s3, bucket, "ip", up, [(1, e1), (2, '"' + md5_hex(b"never uploaded") + '"')])


def test_invalid_part_order(s3, bucket):
    up = create(s3, bucket, "order")
    e1 = upload(s3, bucket, "order", up, 1, random_bytes(5 * MiB, seed=4))
    e2 = upload(s3, bucket, "order", up, 2, random_bytes(5 * MiB, seed=5))  # no size rule can apply
    with expect_error("InvalidPartOrder", 400):
        complete(s3, bucket, "order", up, [(2, e2), (1, e1)])


@pytest.mark.parametrize("part_number", [0, 10001])
def test_invalid_part_number(s3, bucket, part_number):
    up = create(s3, bucket, "pn")
    with expect_error("InvalidArgument", 400):
        s3.upload_part(Bucket=bucket, Key="pn", UploadId=up, PartNumber=part_number, Body=b"x")


def test_abort(s3, bucket):
    up = create(s3, bucket, "ab")
    upload(s3, bucket, "ab", up, 1, b"data")
    resp = s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=up)
    assert status_of(resp) == 204
    with expect_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="ab", UploadId=up)
    with expect_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="ab", UploadId=up, PartNumber=2, Body=b"more")
    with expect_error("NoSuchUpload", 404):
        complete(s3, bucket, "ab", up, [(1, f'"{md5_hex(b"data")}"')])
    with expect_error("NoSuchUpload", 404):
        s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=up)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    with expect_error("404", 404):
        s3.head_object(Bucket=bucket, Key="ab")


def test_unknown_upload_id(s3, bucket):
    with expect_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="k", UploadId="no-such-upload-id", PartNumber=1, Body=b"x")
    with expect_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="k", UploadId="no-such-upload-id")


def test_upload_id_bound_to_key(s3, bucket):
    up = create(s3, bucket, "right-key")
    with expect_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="wrong-key", UploadId=up, PartNumber=1, Body=b"x")


# ---- ListParts -------------------------------------------------------------------------------------------

def test_list_parts_paging(s3, bucket, main_canonical_id):
    up = create(s3, bucket, "lp")
    data = {n: f"part {n} ".encode() * n for n in (1, 2, 3)}
    etags = {n: upload(s3, bucket, "lp", up, n, d) for n, d in data.items()}

    page1 = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, MaxParts=2)
    assert [p["PartNumber"] for p in page1["Parts"]] == [1, 2]
    assert page1["IsTruncated"] is True
    assert page1["NextPartNumberMarker"] == 2
    assert page1["MaxParts"] == 2
    assert page1["UploadId"] == up
    assert page1["Bucket"] == bucket and page1["Key"] == "lp"
    assert page1["StorageClass"] == "STANDARD"
    assert page1["Initiator"]["ID"] == main_canonical_id
    assert page1["Owner"]["ID"] == main_canonical_id
    for p in page1["Parts"]:
        assert p["ETag"] == etags[p["PartNumber"]]
        assert p["Size"] == len(data[p["PartNumber"]])
        assert p["LastModified"] is not None

    page2 = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, MaxParts=2, PartNumberMarker=2)
    assert [p["PartNumber"] for p in page2["Parts"]] == [3]
    assert page2["IsTruncated"] is False
    assert page2["PartNumberMarker"] == 2

    every = []
    for page in s3.get_paginator("list_parts").paginate(Bucket=bucket, Key="lp", UploadId=up,
                                                         PaginationConfig={"PageSize": 1}):
        every += [p["PartNumber"] for p in page.get("Parts", [])]
    assert every == [1, 2, 3]


# ---- UploadPartCopy -----------------------------------------------------------------------------------------

def test_upload_part_copy_ranges(s3, bucket, make_bucket):
    src_bucket = make_bucket(s3)
    source = random_bytes(6 * MiB + 100, seed=21)
    s3.put_object(Bucket=src_bucket, Key="source.bin", Body=source)
    up = create(s3, bucket, "assembled")
    cut = 5 * MiB
    r1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=up, PartNumber=1,
                             CopySource={"Bucket": src_bucket, "Key": "source.bin"},
                             CopySourceRange=f"bytes=0-{cut - 1}")
    r2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=up, PartNumber=2,
                             CopySource={"Bucket": src_bucket, "Key": "source.bin"},
                             CopySourceRange=f"bytes={cut}-{len(source) - 1}")
    assert r1["CopyPartResult"]["ETag"] == f'"{md5_hex(source[:cut])}"'
    assert r2["CopyPartResult"]["ETag"] == f'"{md5_hex(source[cut:])}"'
    assert r1["CopyPartResult"]["LastModified"] is not None

    done = complete(s3, bucket, "assembled", up, [(1, r1["CopyPartResult"]["ETag"]),
                                                   (2, r2["CopyPartResult"]["ETag"])])
    assert done["ETag"] == multipart_etag([source[:cut], source[cut:]])
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == source


def test_upload_part_copy_whole_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="tail src", Body=b"the whole small object")
    up = create(s3, bucket, "whole")
    r = s3.upload_part_copy(Bucket=bucket, Key="whole", UploadId=up, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "tail src"})
    assert r["CopyPartResult"]["ETag"] == f'"{md5_hex(b"the whole small object")}"'
    done = complete(s3, bucket, "whole", up, [(1, r["CopyPartResult"]["ETag"])])
    assert done["ETag"] == multipart_etag([b"the whole small object"])
    assert s3.get_object(Bucket=bucket, Key="whole")["Body"].read() == b"the whole small object"


def test_upload_part_copy_source_condition(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    up = create(s3, bucket, "dst")
    with expect_error("PreconditionFailed", 412):
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "src"},
                            CopySourceIfMatch='"00000000000000000000000000000000"')


def test_upload_part_copy_missing_source(s3, bucket):
    up = create(s3, bucket, "dst")
    with expect_error("NoSuchKey", 404):
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "does-not-exist"})


# ---- ListMultipartUploads ---------------------------------------------------------------------------------------

@pytest.fixture
def uploads(s3, bucket):
    ids = {}
    for k in ("a/1", "a/2", "b/1", "c", "c"):
        ids.setdefault(k, []).append(create(s3, bucket, k))
    return bucket, ids


def upload_pairs(resp):
    return [(u["Key"], u["UploadId"]) for u in resp.get("Uploads", [])]


def test_list_uploads_all(s3, uploads, main_canonical_id):
    bucket, ids = uploads
    r = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in r["Uploads"]] == ["a/1", "a/2", "b/1", "c", "c"]
    assert sorted(upload_pairs(r)) == sorted((k, i) for k, l in ids.items() for i in l)
    assert r["IsTruncated"] is False
    assert r["Bucket"] == bucket
    for u in r["Uploads"]:
        assert u["Initiated"] is not None
        assert u["StorageClass"] == "STANDARD"
        assert u["Initiator"]["ID"] == main_canonical_id
        assert u["Owner"]["ID"] == main_canonical_id


def test_list_uploads_prefix(s3, uploads):
    bucket, ids = uploads
    r = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert upload_pairs(r) == [("a/1", ids["a/1"][0]), ("a/2", ids["a/2"][0])]
    assert r["Prefix"] == "a/"


def test_list_uploads_delimiter(s3, uploads):
    bucket, ids = uploads
    r = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/"]
    assert [u["Key"] for u in r["Uploads"]] == ["c", "c"]
    assert r["Delimiter"] == "/"


def test_list_uploads_key_marker(s3, uploads):
    bucket, ids = uploads
    r = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/2")
    assert [u["Key"] for u in r["Uploads"]] == ["b/1", "c", "c"]
    assert r["KeyMarker"] == "a/2"


def test_list_uploads_paging(s3, uploads):
    bucket, ids = uploads
    r = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2)
    assert upload_pairs(r) == [("a/1", ids["a/1"][0]), ("a/2", ids["a/2"][0])]
    assert r["IsTruncated"] is True
    assert r["MaxUploads"] == 2
    assert r["NextKeyMarker"] == "a/2"
    assert r["NextUploadIdMarker"] == ids["a/2"][0]
    seen = upload_pairs(r)
    for _ in range(10):
        if not r["IsTruncated"]:
            break
        r = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2, KeyMarker=r["NextKeyMarker"],
                                      UploadIdMarker=r["NextUploadIdMarker"])
        seen += upload_pairs(r)
    assert len(seen) == 5
    assert sorted(seen) == sorted((k, i) for k, l in ids.items() for i in l)
    assert [k for k, _ in seen] == ["a/1", "a/2", "b/1", "c", "c"]


def test_list_uploads_paginator_one_per_page(s3, uploads):
    bucket, ids = uploads
    seen = []
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1}):
        seen += upload_pairs(page)
        assert len(seen) <= 5
    assert sorted(seen) == sorted((k, i) for k, l in ids.items() for i in l)
