"""ListObjects (v1) and ListObjectsV2: prefix, delimiter, markers, max-keys, fetch-owner,
encoding-type=url, byte-order sorting and pagination over many keys."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from e2e_support import expect_error, purge_bucket, unique_bucket_name

TREE = ["a/1", "a/2", "a/b/3", "b/1", "c", "d/e/f"]


@pytest.fixture(scope="module")
def tree(server):
    s3 = server.client()
    name = unique_bucket_name("tree")
    s3.create_bucket(Bucket=name)
    for k in TREE:
        s3.put_object(Bucket=name, Key=k, Body=k.encode())
    yield name
    purge_bucket(s3, name)


def keys(resp):
    return [o["Key"] for o in resp.get("Contents", [])]


def prefixes(resp):
    return [p["Prefix"] for p in resp.get("CommonPrefixes", [])]


# ---- prefix / delimiter ---------------------------------------------------------------------------

def test_v2_all(s3, tree):
    r = s3.list_objects_v2(Bucket=tree)
    assert keys(r) == TREE
    assert r["KeyCount"] == 6
    assert r["IsTruncated"] is False
    assert r["Name"] == tree
    assert r["MaxKeys"] == 1000
    sizes = {o["Key"]: o["Size"] for o in r["Contents"]}
    assert sizes == {k: len(k) for k in TREE}
    for o in r["Contents"]:
        assert o["ETag"].startswith('"') and o["ETag"].endswith('"')
        assert o["StorageClass"] == "STANDARD"
        assert "Owner" not in o


def test_v2_delimiter(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, Delimiter="/")
    assert keys(r) == ["c"]
    assert prefixes(r) == ["a/", "b/", "d/"]
    assert r["KeyCount"] == 4
    assert r["Delimiter"] == "/"


def test_v2_prefix_and_delimiter(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, Prefix="a/", Delimiter="/")
    assert keys(r) == ["a/1", "a/2"]
    assert prefixes(r) == ["a/b/"]
    assert r["Prefix"] == "a/"
    assert r["KeyCount"] == 3


def test_v2_prefix_only(s3, tree):
    assert keys(s3.list_objects_v2(Bucket=tree, Prefix="a/")) == ["a/1", "a/2", "a/b/3"]
    assert keys(s3.list_objects_v2(Bucket=tree, Prefix="d/e")) == ["d/e/f"]
    r = s3.list_objects_v2(Bucket=tree, Prefix="zzz")
    assert "Contents" not in r and r["KeyCount"] == 0


def test_v2_non_slash_delimiter(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, Delimiter="b")
    assert keys(r) == ["a/1", "a/2", "c", "d/e/f"]
    assert prefixes(r) == ["a/b", "b"]


def test_v1_delimiter_and_prefix(s3, tree):
    r = s3.list_objects(Bucket=tree, Delimiter="/")
    assert keys(r) == ["c"]
    assert prefixes(r) == ["a/", "b/", "d/"]
    r = s3.list_objects(Bucket=tree, Prefix="a/", Delimiter="/")
    assert keys(r) == ["a/1", "a/2"]
    assert prefixes(r) == ["a/b/"]
    assert r["Prefix"] == "a/"
    assert r["IsTruncated"] is False


def test_v1_includes_owner(s3, tree, main_canonical_id):
    r = s3.list_objects(Bucket=tree)
    assert keys(r) == TREE
    assert all(o["Owner"]["ID"] == main_canonical_id for o in r["Contents"])


def test_v2_fetch_owner(s3, tree, main_canonical_id):
    r = s3.list_objects_v2(Bucket=tree, FetchOwner=True)
    assert all(o["Owner"]["ID"] == main_canonical_id for o in r["Contents"])
    assert all("DisplayName" in o["Owner"] for o in r["Contents"])


# ---- markers and max-keys ---------------------------------------------------------------------------

def test_v1_marker_and_max_keys(s3, tree):
    r = s3.list_objects(Bucket=tree, MaxKeys=2)
    assert keys(r) == ["a/1", "a/2"]
    assert r["IsTruncated"] is True
    assert r["MaxKeys"] == 2
    r = s3.list_objects(Bucket=tree, MaxKeys=2, Marker="a/2")
    assert keys(r) == ["a/b/3", "b/1"]
    assert r["Marker"] == "a/2"
    r = s3.list_objects(Bucket=tree, MaxKeys=2, Marker="b/1")
    assert keys(r) == ["c", "d/e/f"]
    assert r["IsTruncated"] is False


def test_v1_next_marker_with_delimiter(s3, tree):
    r = s3.list_objects(Bucket=tree, Delimiter="/", MaxKeys=2)
    assert prefixes(r) == ["a/", "b/"]
    assert keys(r) == []
    assert r["IsTruncated"] is True
    assert r["NextMarker"] == "b/"
    r = s3.list_objects(Bucket=tree, Delimiter="/", MaxKeys=2, Marker=r["NextMarker"])
    assert keys(r) == ["c"]
    assert prefixes(r) == ["d/"]
    assert r["IsTruncated"] is False


def test_v2_continuation(s3, tree):
    seen = []
    token = None
    for _ in range(10):
        kw = {"ContinuationToken": token} if token else {}
        r = s3.list_objects_v2(Bucket=tree, MaxKeys=4, **kw)
        assert r["KeyCount"] == len(r.get("Contents", []))
        if token:
            assert r["ContinuationToken"] == token
        seen += keys(r)
        if not r["IsTruncated"]:
            assert "NextContinuationToken" not in r
            break
        token = r["NextContinuationToken"]
    assert seen == TREE


def test_v2_continuation_with_delimiter(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, Delimiter="/", MaxKeys=2)
    assert prefixes(r) == ["a/", "b/"] and keys(r) == []
    assert r["KeyCount"] == 2 and r["IsTruncated"] is True
    r = s3.list_objects_v2(Bucket=tree, Delimiter="/", MaxKeys=2, ContinuationToken=r["NextContinuationToken"])
    assert keys(r) == ["c"] and prefixes(r) == ["d/"]
    assert r["IsTruncated"] is False


def test_v2_start_after(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, StartAfter="a/2")
    assert keys(r) == ["a/b/3", "b/1", "c", "d/e/f"]
    assert r["StartAfter"] == "a/2"
    r = s3.list_objects_v2(Bucket=tree, StartAfter="a/0")
    assert keys(r) == ["a/1", "a/2", "a/b/3", "b/1", "c", "d/e/f"]
    r = s3.list_objects_v2(Bucket=tree, StartAfter="zzz")
    assert r["KeyCount"] == 0


def test_list_missing_bucket(s3):
    name = unique_bucket_name("nolist")
    with expect_error("NoSuchBucket", 404):
        s3.list_objects_v2(Bucket=name)
    with expect_error("NoSuchBucket", 404):
        s3.list_objects(Bucket=name)


def test_list_other_accounts_bucket(s3_alt, tree):
    with expect_error("AccessDenied", 403):
        s3_alt.list_objects_v2(Bucket=tree)


# ---- encoding and ordering ----------------------------------------------------------------------------

SPECIAL_KEYS = [
    "with space",
    "plus+sign",
    "caf\u00e9",
    "\u65e5\u672c\u8a9e/\u30ad\u30fc",
    "percent%20literal",
    "percent%",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "ctrl\x01char",
    "del\x7fchar",
    "xml&<>\"'chars",
    "question?mark",
    "hash#tag",
    "semi;colon=equals&amp",
    "tilde~",
    "trailing space ",
    "a/../b",
    "double//slash",
    "nbsp\u00a0here",
    "emoji\U0001F600",
]


@pytest.fixture
def special(s3, bucket):
    for i, k in enumerate(SPECIAL_KEYS):
        s3.put_object(Bucket=bucket, Key=k, Body=f"body {i}".encode())
    return bucket


def test_special_keys_roundtrip_v2(s3, special):
    r = s3.list_objects_v2(Bucket=special)
    assert r["EncodingType"] == "url"
    assert keys(r) == sorted(SPECIAL_KEYS, key=lambda k: k.encode())


def test_special_keys_roundtrip_v1(s3, special):
    r = s3.list_objects(Bucket=special)
    assert r["EncodingType"] == "url"
    assert keys(r) == sorted(SPECIAL_KEYS, key=lambda k: k.encode())


def test_special_keys_get_each(s3, special):
    for i, k in enumerate(SPECIAL_KEYS):
        assert s3.get_object(Bucket=special, Key=k)["Body"].read() == f"body {i}".encode(), repr(k)


def test_special_keys_prefix_and_start_after_encoded(s3, special):
    r = s3.list_objects_v2(Bucket=special, Prefix="percent%")
    assert keys(r) == ["percent%", "percent%20literal"]
    assert r["Prefix"] == "percent%"
    r = s3.list_objects_v2(Bucket=special, StartAfter="with space", Prefix="with")
    assert keys(r) == []
    assert r["StartAfter"] == "with space"
    r = s3.list_objects_v2(Bucket=special, Prefix="\u65e5", Delimiter="/")
    assert prefixes(r) == ["\u65e5\u672c\u8a9e/"]


def test_url_encoding_on_the_wire(raw, special):
    r = raw("GET", f"/{special}", query={"list-type": "2", "encoding-type": "url", "prefix": "plus"})
    assert r.status == 200
    root = r.xml()
    assert root.findtext("EncodingType") == "url"
    assert [c.findtext("Key") for c in root.findall("Contents")] == ["plus%2Bsign"]
    r = raw("GET", f"/{special}", query={"list-type": "2", "encoding-type": "url", "prefix": "with "})
    encoded = [c.findtext("Key") for c in r.xml().findall("Contents")]
    assert encoded in (["with+space"], ["with%20space"])


def test_xml_escaping_without_encoding_type(raw, bucket, s3):
    key = "xml&<>\"'chars"
    s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    r = raw("GET", f"/{bucket}", query={"list-type": "2"})
    assert r.status == 200
    root = r.xml()
    assert root.find("EncodingType") is None
    assert [c.findtext("Key") for c in root.findall("Contents")] == [key]


def test_invalid_encoding_type(raw, bucket):
    r = raw("GET", f"/{bucket}", query={"list-type": "2", "encoding-type": "base64"})
    assert r.status == 400
    assert r.error["Code"] == "InvalidArgument"


def test_utf8_byte_order(s3, bucket):
    names = ["a", "B", "\u00e9", "_", "Z", "0", "~", "aa", "a/", "\ufb01", "\U0001F600", "A", "-"]
    for k in names:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    expected = sorted(names, key=lambda k: k.encode("utf-8"))
    assert keys(s3.list_objects_v2(Bucket=bucket)) == expected
    assert keys(s3.list_objects(Bucket=bucket)) == expected
    # and page boundaries follow the same order
    paged = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}):
        paged += keys(page)
    assert paged == expected


# ---- many keys -----------------------------------------------------------------------------------------

N_BIG = 2500
BIG_KEYS = sorted(f"p{i % 5}/{i:05d}" for i in range(N_BIG))


@pytest.fixture(scope="module")
def big(server):
    s3 = server.client()
    name = unique_bucket_name("big")
    s3.create_bucket(Bucket=name)

    def put(k):
        s3.put_object(Bucket=name, Key=k, Body=b"")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, BIG_KEYS))
    yield name
    purge_bucket(s3, name)


def paginate(s3, op, **kw):
    out = []
    pages = []
    for page in s3.get_paginator(op).paginate(**kw):
        pages.append(page)
        out += keys(page)
        assert len(pages) < 5000
    return out, pages


def test_v2_paginator_1000(s3, big):
    got, pages = paginate(s3, "list_objects_v2", Bucket=big, PaginationConfig={"PageSize": 1000})
    assert [len(p.get("Contents", [])) for p in pages] == [1000, 1000, 500]
    assert got == BIG_KEYS


def test_v2_paginator_small_pages(s3, big):
    got, pages = paginate(s3, "list_objects_v2", Bucket=big, PaginationConfig={"PageSize": 7})
    assert len(pages) == (N_BIG + 6) // 7
    assert got == BIG_KEYS


def test_v1_paginator(s3, big):
    got, pages = paginate(s3, "list_objects", Bucket=big, PaginationConfig={"PageSize": 333})
    assert len(pages) == (N_BIG + 332) // 333
    assert got == BIG_KEYS


def test_v2_paginator_prefix(s3, big):
    got, _ = paginate(s3, "list_objects_v2", Bucket=big, Prefix="p3/", PaginationConfig={"PageSize": 100})
    assert got == [k for k in BIG_KEYS if k.startswith("p3/")]
    assert len(got) == 500


def test_v2_paginator_delimiter(s3, big):
    cps = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=big, Delimiter="/",
                                                             PaginationConfig={"PageSize": 2}):
        assert "Contents" not in page
        cps += prefixes(page)
    assert cps == ["p0/", "p1/", "p2/", "p3/", "p4/"]


def test_max_keys_capped_at_1000(s3, big):
    r = s3.list_objects_v2(Bucket=big, MaxKeys=5000)
    assert r["KeyCount"] == 1000
    assert r["IsTruncated"] is True
    r = s3.list_objects(Bucket=big, MaxKeys=5000)
    assert len(r["Contents"]) == 1000
    assert r["IsTruncated"] is True


def test_v2_start_after_within_big(s3, big):
    start = BIG_KEYS[1234]
    r = s3.list_objects_v2(Bucket=big, StartAfter=start, MaxKeys=10)
    assert keys(r) == BIG_KEYS[1235:1245]
