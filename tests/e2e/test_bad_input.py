"""Bad input over raw sockets: malformed request lines and headers, bad percent-encoding and
UTF-8, path-like keys, overlong targets, Range and Content-Length abuse, bodies that do not match
their framing, slow and idle clients, resets mid-body.

Every case asserts its exact outcome — a status with its S3 error Code, or (for what
libmicrohttpd answers itself, before any request reaches s3trail) a status and a closed
connection — and then, through the autouse `unharmed` fixture, that a normal boto3 call still
succeeds and that an object stored before reads back byte for byte. A refused request that reached
an operation leaves a CloudTrail record with the matching errorCode.

Requests are signed where they must get past authentication. The signature covers the canonical
form of the target (every segment and query piece decoded and re-encoded, as S3 and s3trail
compute it), while the wire carries the bytes under test; framing headers (Content-Length,
Transfer-Encoding) are left out of the signature so they can be anything.
"""
import os
import socket
import struct
import subprocess
import tempfile
import time
import uuid
from urllib.parse import quote, unquote_to_bytes

import pytest

from conftest import ServerProcess
from e2e_support import Raw, check_request_ids, expect_error, purge_bucket, quote_key, \
    random_bytes, record_of, unique_bucket_name, xml_error


# ---- raw connections ---------------------------------------------------------------------------

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value
        self.body = body

    @property
    def error(self):
        return xml_error(self.body)

    def __repr__(self):
        return f"<Resp {self.status} {self.headers} {self.body[:400]!r}>"


class Conn:
    """One TCP connection: send bytes, read whole HTTP/1.1 responses, see whether it closes."""

    def __init__(self, host, port, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.ended = None  # "eof" or "reset" once the server closed

    def send(self, data):
        self.sock.sendall(data)

    def _recv(self, deadline):
        if self.ended:
            return False
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.ended = "reset"
            return False
        if not chunk:
            self.ended = "eof"
            return False
        self.buf += chunk
        return True

    def _parse(self):
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        assert parts[0] == "HTTP/1.1", f"not a status line: {lines[0]!r}"
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        n = int(headers.get("content-length", "0"))
        if len(self.buf) < end + 4 + n:
            return None
        body = self.buf[end + 4:end + 4 + n]
        self.buf = self.buf[end + 4 + n:]
        return Resp(int(parts[1]), headers, body)

    def response(self, timeout=10):
        """The next complete response, or None if the connection ended (or the time ran out)
        before one arrived."""
        deadline = time.monotonic() + timeout
        while True:
            r = self._parse()
            if r is not None:
                return r
            if not self._recv(deadline) and (self.ended or time.monotonic() >= deadline):
                return None

    def closed_within(self, seconds):
        """True when the server closes the connection within `seconds`."""
        deadline = time.monotonic() + seconds
        while not self.ended and time.monotonic() < deadline:
            self._recv(deadline)
        return self.ended is not None

    def reset(self):
        """Closes with an RST instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def conn(srv, timeout=10):
    return Conn(srv.host, srv.port, timeout)


def exchange(srv, data, timeout=10):
    """Sends `data` on a fresh connection; (first response or None, the connection)."""
    c = conn(srv, timeout)
    c.send(data)
    return c.response(timeout), c


def assert_s3_error(r, status, code):
    assert r is not None, "no response"
    assert (r.status, r.error["Code"]) == (status, code), r
    check_request_ids(r.status, r.headers, r.body, f"{status} {code}")


def assert_refused_and_closed(c, r, status):
    """What libmicrohttpd answers by itself: the status, Connection: close, then the close."""
    assert r is not None and r.status == status, r
    assert r.headers.get("connection", "").lower() == "close", r
    assert c.closed_within(5), "the connection stayed open"


# ---- signing what the wire carries -------------------------------------------------------------

def canonical_path(wire):
    return "/".join(quote(unquote_to_bytes(seg), safe="-_.~") for seg in wire.split("/"))


def canonical_query(wire):
    if not wire:
        return None
    pairs = []
    for piece in wire.split("&"):
        name, _, value = piece.partition("=")
        pairs.append((quote(unquote_to_bytes(name), safe="-_.~"),
                      quote(unquote_to_bytes(value), safe="-_.~")))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def signed_headers(raw, method, wire_path, wire_query=None, headers=None):
    """SigV4 headers (UNSIGNED-PAYLOAD, no Content-Length signed) for the canonical form of a
    target sent as `wire_path?wire_query`."""
    _, hdrs, _ = raw.prepare(method, canonical_path(wire_path), query=canonical_query(wire_query),
                             headers=headers, body=[])
    return hdrs


def signed_head(raw, method, wire_path, wire_query=None, extra=(), headers=None):
    """A signed request head as bytes; `extra` lines ("Name: value") are added unsigned."""
    hdrs = signed_headers(raw, method, wire_path, wire_query, headers)
    target = wire_path + (f"?{wire_query}" if wire_query else "")
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in hdrs.items()] + list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def signed(raw, method, wire_path, wire_query=None, body=b"", headers=None):
    """A signed request through http.client whose target is sent exactly as given."""
    _, hdrs, signer = raw.prepare(method, canonical_path(wire_path), query=canonical_query(wire_query),
                                  headers=headers, body=body)
    target = wire_path + (f"?{wire_query}" if wire_query else "")
    return raw.send(method, target, hdrs, body, signer=signer)


# ---- CloudTrail ----------------------------------------------------------------------------------

def assert_recorded(server, r, event_name, error_code):
    rid = r.headers.get("x-amz-request-id") if isinstance(r, Resp) else r.header("x-amz-request-id")
    rec = record_of(server, rid)
    assert (rec["eventName"], rec.get("errorCode")) == (event_name, error_code), rec


# ---- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sentinel(server, s3):
    """A bucket of this module with one object stored before anything else: (bucket, key, body)."""
    name = unique_bucket_name("bad-input")
    s3.create_bucket(Bucket=name)
    body = random_bytes(100_000, seed=4)
    s3.put_object(Bucket=name, Key="sentinel/keep", Body=body)
    yield name, "sentinel/keep", body
    purge_bucket(s3, name)


@pytest.fixture(autouse=True)
def unharmed(s3, sentinel):
    """After every case: a normal boto3 call succeeds and the object stored before reads back
    byte for byte."""
    yield
    bucket, key, body = sentinel
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert any(b["Name"] == bucket for b in s3.list_buckets()["Buckets"])


@pytest.fixture
def b(sentinel):
    """The module's bucket (the sentinel's), for cases that store or look up keys of their own."""
    return sentinel[0]


def keys_of(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def no_such_key(s3, bucket, key):
    with expect_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key=key)


def wait_tmp_empty(data_dir, seconds=5):
    deadline = time.monotonic() + seconds
    while True:
        left = list((data_dir / "tmp").iterdir())
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


# ---- request lines -------------------------------------------------------------------------------

@pytest.mark.parametrize("line,status", [
    (b"GET /\r\n\r\n", 400),                                   # no HTTP version
    (b"GET /\r\n", 400),                                       # HTTP/0.9 simple request
    (b"GET / FOO/1.1\r\nHost: x\r\n\r\n", 400),                # not HTTP
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),               # HTTP/2 in HTTP/1 clothing
    (b"GET / HTTP/3.7\r\nHost: x\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400),  # header line without a colon
], ids=["no-version", "http-0.9", "not-http", "http-2.0", "http-3.7", "colonless-header"])
def test_malformed_request_line_is_refused_and_closed(server, line, status):
    r, c = exchange(server, line)
    with c:
        assert_refused_and_closed(c, r, status)


def test_single_token_request_line_is_closed_without_answer(server):
    r, c = exchange(server, b"garbage\r\n\r\n")
    with c:
        assert r is None and c.ended, r
        assert c.buf == b""


def test_bare_lf_line_ends_are_accepted(server, raw, sentinel):
    # RFC 9112 §2.2 lets a recipient take a bare LF as a line end; the request is understood.
    bucket, key, body = sentinel
    hdrs = signed_headers(raw, "GET", f"/{bucket}/{key}")
    head = f"GET /{bucket}/{key} HTTP/1.1\n" + "".join(f"{k}: {v}\n" for k, v in hdrs.items()) + "\n"
    r, c = exchange(server, head.encode())
    with c:
        assert r.status == 200, r
        assert r.body == body


@pytest.mark.parametrize("method", ["FOO", "PATCH", "TRACE", "CONNECT", "M" * 20000],
                         ids=["FOO", "PATCH", "TRACE", "CONNECT", "20k-method"])
def test_unknown_method_is_405_and_connection_kept(server, raw, sentinel, method):
    bucket, key, body = sentinel
    with conn(server) as c:
        c.send(f"{method} /{bucket}/{key} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert_s3_error(c.response(), 405, "MethodNotAllowed")
        c.send(signed_head(raw, "GET", f"/{bucket}/{key}"))  # same connection, still usable
        r = c.response()
        assert r.status == 200 and r.body == body, r


def test_target_without_leading_slash_is_invalid_uri(server, sentinel):
    bucket, key, _ = sentinel
    for target in (f"{bucket}/{key}", "*"):
        r, c = exchange(server, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        with c:
            assert_s3_error(r, 400, "InvalidURI")
            assert r.error["Resource"] == target


@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 truncates a request line or header "
                   "value at a NUL byte instead of refusing it (fixed in libmicrohttpd 1.0)")
@pytest.mark.parametrize("where", ["target", "header"])
def test_nul_byte_is_refused(server, raw, sentinel, where):
    bucket, key, _ = sentinel
    if where == "target":
        # Served today as GET /bucket/sentinel/keep: the bytes after the NUL are dropped.
        data = signed_head(raw, "GET", f"/{bucket}/{key}").replace(
            f"/{key} HTTP".encode(), f"/{key}\x00junk HTTP".encode(), 1)
    else:
        data = (f"GET /{bucket}/{key} HTTP/1.1\r\nHost: x\r\nX-Junk: a\x00b\r\n\r\n").encode()
    r, c = exchange(server, data)
    with c:
        assert r is not None and r.status == 400, r
        assert c.closed_within(5)


# ---- header sections ------------------------------------------------------------------------------
# test_limits covers a section just over S3's 8 KiB (RequestHeaderSectionTooLarge). Past what the
# 32 KiB connection pool holds, libmicrohttpd answers 431 itself and closes.

def test_single_huge_header_is_431_and_closed(server, sentinel):
    data = f"GET /{sentinel[0]} HTTP/1.1\r\nHost: x\r\nX-Huge: {'h' * 40000}\r\n\r\n".encode()
    r, c = exchange(server, data)
    with c:
        assert_refused_and_closed(c, r, 431)


def test_too_many_headers_is_431_and_closed(server, sentinel):
    data = (f"GET /{sentinel[0]} HTTP/1.1\r\nHost: x\r\n"
            + "".join(f"X-{i}: v\r\n" for i in range(2000)) + "\r\n").encode()
    r, c = exchange(server, data)
    with c:
        assert_refused_and_closed(c, r, 431)


# ---- percent-encoding and UTF-8 ------------------------------------------------------------------

@pytest.mark.parametrize("path,query", [
    ("/{b}/bad%zz", None), ("/{b}/bad%4", None), ("/{b}/bad%", None), ("/b%zz/k", None),
    ("/{b}", "list-type=2&prefix=%zz"), ("/{b}", "list-type=2&prefix=%4"),
    ("/{b}", "list-type=2&prefix=a%00b"), ("/{b}/k", "uploadId=%"),
], ids=["key-zz", "key-truncated", "key-lone-percent", "bucket-zz", "prefix-zz",
        "prefix-truncated", "prefix-nul", "uploadid-lone-percent"])
def test_invalid_percent_encoding_is_invalid_uri(raw, b, path, query):
    r = signed(raw, "GET", path.format(b=b), query)
    assert (r.status, r.error["Code"]) == (400, "InvalidURI"), r


BAD_UTF8 = {
    "lone-ff": "%FF",
    "continuation-only": "%80",
    "overlong-slash": "%C0%AF",
    "surrogate": "%ED%A0%80",
    "past-10ffff": "%F4%90%80%80",
    "truncated-euro": "%E2%82",
}


@pytest.mark.parametrize("bad", BAD_UTF8.values(), ids=BAD_UTF8.keys())
def test_invalid_utf8_key_is_invalid_uri_and_not_stored(raw, s3, b, bad):
    before = keys_of(s3, b)
    for method, body in (("PUT", b"x"), ("GET", b""), ("DELETE", b"")):
        r = signed(raw, method, f"/{b}/utf8-{bad}-x", body=body)
        assert (r.status, r.error["Code"]) == (400, "InvalidURI"), r
        assert r.error["Resource"] == f"/{b}", r  # the undecodable key is not echoed
    assert keys_of(s3, b) == before


@pytest.mark.parametrize("path,query", [
    ("/{b}", "list-type=2&prefix=p%FF"),
    ("/{b}", "list-type=2&delimiter=%C0%AF"),
    ("/{b}", "list-type=2&start-after=%ED%A0%80"),
    ("/{b}", "list-type=2&continuation-token=%FF%FE"),
    ("/{b}", "marker=%FF"),
    ("/{b}", "versions&key-marker=%80"),
    ("/{b}", "uploads&prefix=%FF"),
    ("/{b}/k", "uploadId=%FF"),
    ("/{b}/k", "uploadId=%FF&partNumber=1"),
    ("/{b}", "list-type=2&%FF=1"),
], ids=["prefix", "delimiter", "start-after", "continuation-token", "marker", "key-marker",
        "uploads-prefix", "uploadid-listparts", "uploadid-uploadpart", "parameter-name"])
def test_invalid_utf8_query_parameter_is_invalid_uri(raw, b, path, query):
    method = "PUT" if "partNumber" in query else "GET"
    r = signed(raw, method, path.format(b=b), query, body=b"x" if method == "PUT" else b"")
    assert (r.status, r.error["Code"]) == (400, "InvalidURI"), r
    assert b"\xff" not in r.body and b"\x80" not in r.body


def test_valid_utf8_keys_still_work(raw, s3, b):
    for key in ("caf\u00e9", "\u65e5\u672c", "\U0001F600-emoji", "\U0010FFFF-last"):
        r = signed(raw, "PUT", f"/{b}/{quote_key(key)}", body=key.encode())
        assert r.status == 200, r
        assert s3.get_object(Bucket=b, Key=key)["Body"].read() == key.encode()
        r = signed(raw, "GET", f"/{b}", f"list-type=2&prefix={quote_key(key)}")
        assert r.status == 200 and f"<Key>{key}</Key>".encode() in r.body, r
        s3.delete_object(Bucket=b, Key=key)


def test_bad_query_values_that_reach_the_operation_are_recorded(server, raw, s3, b):
    r = signed(raw, "GET", f"/{b}", "list-type=2&continuation-token=not-a-token")
    assert (r.status, r.error["Code"]) == (400, "InvalidArgument"), r
    assert r.error["ArgumentName"] == "continuation-token"
    assert_recorded(server, r, "ListObjects", "InvalidArgument")
    r = signed(raw, "GET", f"/{b}/k", "uploadId=no-such-upload-%C3%A9")
    assert (r.status, r.error["Code"]) == (404, "NoSuchUpload"), r
    assert r.error["UploadId"] == "no-such-upload-\u00e9"
    assert_recorded(server, r, "ListParts", "NoSuchUpload")
    r = signed(raw, "PUT", f"/{b}/copy", headers={"x-amz-copy-source": f"/{b}/src%FF"})
    assert (r.status, r.error["Code"]) == (400, "InvalidArgument"), r
    assert r.error["Message"] == "Invalid copy source encoding"
    assert_recorded(server, r, "CopyObject", "InvalidArgument")
    no_such_key(s3, b, "copy")


# ---- keys that look like paths ---------------------------------------------------------------------

# (what goes on the wire after /bucket/, the key S3 stores). Nothing is normalised: a key is an
# opaque string, and it never names a file.
PATHLIKE = [
    ("../{m}", "../{m}"),
    ("../../../../../../tmp/{m}", "../../../../../../tmp/{m}"),
    ("..%2F..%2F..%2F{m}", "../../../{m}"),
    ("%2E%2E%2F%2E%2E%2F{m}", "../../{m}"),
    ("%2e%2e/%2e%2e/{m}", "../../{m}"),
    ("./{m}", "./{m}"),
    ("a/./../{m}", "a/./../{m}"),
    ("a//{m}", "a//{m}"),
    ("/tmp/{m}", "/tmp/{m}"),                   # absolute: the wire is /bucket//tmp/...
    ("%2Ftmp%2F{m}", "/tmp/{m}"),
    ("..%5C..%5C{m}", "..\\..\\{m}"),
    ("C:%5C{m}", "C:\\{m}"),
    ("{m}/..", "{m}/.."),
    ("{m}/.", "{m}/."),
]


def stray_files(marker, roots):
    found = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            found += [os.path.join(dirpath, n) for n in dirnames + filenames if marker in n]
    p = subprocess.run(["find", "/", "-xdev", "-name", f"*{marker}*"], capture_output=True,
                       text=True, timeout=120)
    found += [line for line in p.stdout.splitlines() if line]
    return sorted(set(found))


def test_path_like_keys_are_opaque_and_stay_in_the_data_dir(server, raw, s3, bucket):
    marker = f"s3trail-escape-{uuid.uuid4().hex}"
    expected = {}
    for wire, key in PATHLIKE:
        wire, key = wire.format(m=marker), key.format(m=marker)
        body = f"body of {key}".encode()
        r = signed(raw, "PUT", f"/{bucket}/{wire}", body=body)
        assert r.status == 200, (wire, r)
        r = signed(raw, "GET", f"/{bucket}/{wire}")
        assert (r.status, r.body) == (200, body), (wire, r)
        expected[key] = body
    assert len(expected) == len(PATHLIKE) - 2  # two pairs of wire forms name the same key
    assert keys_of(s3, bucket) == sorted(expected)
    for key, body in expected.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    # A bucket named by dots is just a bucket that does not exist.
    for wire in ("..", "%2E%2E", "."):
        r = signed(raw, "PUT", f"/{wire}/{marker}", body=b"x")
        assert (r.status, r.error["Code"]) == (404, "NoSuchBucket"), (wire, r)
        assert_recorded(server, r, "PutObject", "NoSuchBucket")
    # No file anywhere is named after a key; every file the server has is inside its data
    # directory (or its own logs beside it).
    data = os.path.realpath(server.data_dir)
    for dirpath, _, filenames in os.walk(data):
        for n in filenames:
            assert os.path.realpath(os.path.join(dirpath, n)).startswith(data + os.sep)
    assert stray_files(marker, [tempfile.gettempdir(), server.tmp]) == []


# ---- overlong targets ---------------------------------------------------------------------------

def test_overlong_key_in_path(raw, s3, b):
    for n in (1025, 10 * 1024):
        r = signed(raw, "PUT", f"/{b}/{'k' * n}", body=b"x")
        assert (r.status, r.error["Code"]) == (400, "KeyTooLongError"), r
        assert (r.error["Size"], r.error["MaxSizeAllowed"]) == (str(n), "1024")
    assert "k" * 1025 not in keys_of(s3, b)


def test_target_past_the_connection_pool_is_414_and_closed(server, b):
    r, c = exchange(server, f"GET /{b}/{'k' * 40000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    with c:
        assert_refused_and_closed(c, r, 414)


def test_overlong_query_values_are_answered(raw, b):
    r = signed(raw, "GET", f"/{b}", f"list-type=2&prefix={'p' * 20000}")
    assert r.status == 200, r
    assert r.xml().find("KeyCount").text == "0"
    r = signed(raw, "GET", f"/{b}", f"list-type=2&x-unknown={'u' * 20000}")
    assert r.status == 200, r  # unknown parameters are ignored, as S3 does


def test_many_query_parameters_leak_nothing():
    """MHD 0.9.75 drops such a request without the completion callback; the connection's slot
    (server.c on_connection) frees the request context when the connection closes."""
    srv = ServerProcess("bad-input-leak", extra_args=["--idle-timeout", "1"])
    srv.start()
    try:
        query = "&".join(f"a{i}=1" for i in range(1000))
        for _ in range(3):
            r, c = exchange(srv, f"GET /b?list-type=2&{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
                            timeout=5)
            c.close()
        assert srv.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        stopped = srv.stop()
        srv.cleanup()
    assert stopped is None, stopped[:3000]


@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 keeps every query argument in the "
                   "32 KiB connection pool; when ~450 do not fit it queues a 431 it never sends, and "
                   "the client waits for the idle timeout")
def test_many_query_parameters_get_an_answer_and_leak_nothing():
    # A server of its own, stopped here: the leak shows in its sanitizer report at exit, which on
    # the session's server would fail the whole session instead of this test.
    srv = ServerProcess("bad-input-args", extra_args=["--idle-timeout", "2"])
    srv.start()
    problems = []
    try:
        query = "&".join(f"a{i}=1" for i in range(1000))
        r, c = exchange(srv, f"GET /b?list-type=2&{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
                        timeout=3)
        with c:
            if r is None or r.status not in (400, 414, 431):
                problems.append(f"no refusal within 3 s: {r!r}")
    finally:
        stopped = srv.stop()
        if stopped:
            problems.append(stopped[:3000])
        srv.cleanup()
    assert problems == []


# ---- Range --------------------------------------------------------------------------------------
# S3 (GetObject, RFC 9110 §14): an unsatisfiable range is 416 InvalidRange; a Range it cannot
# parse, several ranges, or a reversed one is ignored and the whole object is sent (200).

RANGES = [
    ("bytes=-5", 206, "bytes 5-9/10", b"56789"),
    ("bytes=3-3", 206, "bytes 3-3/10", b"3"),
    ("bytes=9-", 206, "bytes 9-9/10", b"9"),
    ("bytes=0-99999999999999999999999", 206, "bytes 0-9/10", b"0123456789"),
    ("bytes=-99999999999999999999999", 206, "bytes 0-9/10", b"0123456789"),
    ("bytes=0-18446744073709551616", 206, "bytes 0-9/10", b"0123456789"),
    ("bytes=10-", 416, None, None),
    ("bytes=10-20", 416, None, None),
    ("bytes=-0", 416, None, None),
    ("bytes=99999999999999999999999-", 416, None, None),
    ("bytes=18446744073709551615-", 416, None, None),
    ("bytes=5-2", 200, None, b"0123456789"),
    ("bytes=0-1,3-4", 200, None, b"0123456789"),
    ("bytes=--5", 200, None, b"0123456789"),
    ("bytes=garbage", 200, None, b"0123456789"),
    ("bytes=", 200, None, b"0123456789"),
    ("bytes=-", 200, None, b"0123456789"),
    ("bytes=+1-2", 200, None, b"0123456789"),
    ("bytes=0x1-2", 200, None, b"0123456789"),
    ("items=1-2", 200, None, b"0123456789"),
    ("garbage", 200, None, b"0123456789"),
]


@pytest.fixture(scope="module")
def ten(s3, sentinel):
    s3.put_object(Bucket=sentinel[0], Key="ten", Body=b"0123456789")
    return sentinel[0], "ten"


@pytest.mark.parametrize("rng,status,crange,body", RANGES, ids=[r[0] for r in RANGES])
def test_range(server, raw, ten, rng, status, crange, body):
    bucket, key = ten
    r = raw("GET", f"/{bucket}/{key}", headers={"Range": rng})
    assert r.status == status, r
    assert r.header("Content-Range") == crange
    if status == 416:
        assert r.error["Code"] == "InvalidRange"
        assert r.error["ActualObjectSize"] == "10"
        assert_recorded(server, r, "GetObject", "InvalidRange")
    else:
        assert r.body == body


# ---- Content-Length and Transfer-Encoding --------------------------------------------------------

@pytest.mark.parametrize("value,status", [
    ("-1", 400), ("abc", 400), ("3, 5", 400), ("+3", 400), ("0x3", 400),
    ("18446744073709551616", 413), ("99999999999999999999999", 413),
], ids=["negative", "non-numeric", "list", "plus-sign", "hex", "2^64", "huge"])
def test_bad_content_length_is_refused_and_closed(server, raw, s3, b, value, status):
    key = f"cl-{uuid.uuid4().hex[:8]}"
    r, c = exchange(server, signed_head(raw, "PUT", f"/{b}/{key}", extra=[f"Content-Length: {value}"])
                    + b"abcde")
    with c:
        assert_refused_and_closed(c, r, status)
    no_such_key(s3, b, key)


@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 sends the header block of its own "
                   "error response twice (a Content-Length error keeps the state machine going; "
                   "fixed upstream in f1bfbe71, libmicrohttpd 1.0)")
def test_bad_content_length_answer_is_one_http_message(server, raw, b):
    r, c = exchange(server, signed_head(raw, "PUT", f"/{b}/x", extra=["Content-Length: -1"]))
    with c:
        assert r is not None and r.status == 400
        assert c.closed_within(5)
        assert c.buf == b"", c.buf
        assert not r.body.startswith(b"HTTP/1.1"), r.body


def test_content_length_beyond_any_object_is_entity_too_large(server, raw, s3, b):
    r, c = exchange(server, signed_head(raw, "PUT", f"/{b}/huge",
                                        extra=[f"Content-Length: {2 ** 64 - 1}"]) + b"abc")
    with c:
        assert_s3_error(r, 400, "EntityTooLarge")
        assert c.closed_within(5)
    assert_recorded(server, r, "PutObject", "EntityTooLarge")
    no_such_key(s3, b, "huge")


@pytest.mark.parametrize("extra,body,status,code", [
    (["Content-Length: 3", "Content-Length: 5"], b"abcde", 400, "BadRequest"),
    (["Content-Length: 5", "Content-Length: 3"], b"abcde", 400, "BadRequest"),
    (["Content-Length: 0", "Content-Length: 5"], b"abcde", 400, "BadRequest"),
    (["Content-Length: 3", "Transfer-Encoding: chunked"], b"3\r\nabc\r\n0\r\n\r\n", 400, "BadRequest"),
    (["Transfer-Encoding: chunked", "Content-Length: 3"], b"3\r\nabc\r\n0\r\n\r\n", 400, "BadRequest"),
    (["Transfer-Encoding: gzip"], b"abc", 501, "NotImplemented"),
    (["Transfer-Encoding: identity"], b"abc", 501, "NotImplemented"),
    (["Transfer-Encoding: gzip, chunked"], b"3\r\nabc\r\n0\r\n\r\n", 501, "NotImplemented"),
    (["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], b"3\r\nabc\r\n0\r\n\r\n", 501,
     "NotImplemented"),
], ids=["cl-3-then-5", "cl-5-then-3", "cl-0-then-5", "cl-and-te", "te-and-cl", "te-gzip", "te-identity",
        "te-gzip-chunked", "te-twice"])
def test_ambiguous_framing_is_refused_and_closed(server, raw, s3, b, extra, body, status, code):
    # RFC 9112 §6: a body two parties could delimit differently is refused and the connection
    # closed, so no byte of it can be taken for the next request.
    key = f"frame-{uuid.uuid4().hex[:8]}"
    r, c = exchange(server, signed_head(raw, "PUT", f"/{b}/{key}", extra=extra) + body)
    with c:
        assert_s3_error(r, status, code)
        if code == "NotImplemented":
            assert r.error["Header"] == "Transfer-Encoding"
        assert r.headers.get("connection", "").lower() == "close"
        assert c.closed_within(5)
    no_such_key(s3, b, key)


def test_identical_duplicate_content_length_is_one(server, raw, s3, b):
    # RFC 9112 §6.3 lets a recipient take repeated identical values as one.
    r, c = exchange(server, signed_head(raw, "PUT", f"/{b}/dup-same",
                                        extra=["Content-Length: 3", "Content-Length: 3"]) + b"abc")
    with c:
        assert r.status == 200, r
    assert s3.get_object(Bucket=b, Key="dup-same")["Body"].read() == b"abc"


@pytest.mark.parametrize("chunks,status", [
    (b"zz\r\nabc\r\n0\r\n\r\n", 400),
    (b"ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n", 413),
], ids=["not-hex", "size-overflow"])
def test_bad_chunked_body_is_refused_and_closed(server, raw, s3, b, chunks, status):
    r, c = exchange(server, signed_head(raw, "PUT", f"/{b}/chunky", extra=["Transfer-Encoding: chunked"])
                    + chunks)
    with c:
        assert_refused_and_closed(c, r, status)
    no_such_key(s3, b, "chunky")


# ---- bodies that do not match their framing ---------------------------------------------------------

def test_body_longer_than_content_length_is_not_appended(server, raw, s3, b):
    # The extra bytes are the next request; not HTTP, so the connection is closed unanswered.
    with conn(server) as c:
        c.send(signed_head(raw, "PUT", f"/{b}/longer", extra=["Content-Length: 3"])
               + b"abcEXTRA-NOT-HTTP\r\n\r\n")
        r = c.response()
        assert r.status == 200, r
        assert r.headers["etag"] == '"900150983cd24fb0d6963f7d28e17f72"'  # md5("abc")
        assert c.closed_within(5)
        assert c.buf == b""
    assert s3.get_object(Bucket=b, Key="longer")["Body"].read() == b"abc"


def test_body_longer_than_content_length_is_the_next_request(server, raw, s3, b, sentinel):
    _, key, body = sentinel
    with conn(server) as c:
        c.send(signed_head(raw, "PUT", f"/{b}/pipelined", extra=["Content-Length: 3"]) + b"abc"
               + signed_head(raw, "GET", f"/{b}/{key}"))
        first, second = c.response(), c.response()
        assert first.status == 200, first
        assert (second.status, second.body) == (200, body), second
    assert s3.get_object(Bucket=b, Key="pipelined")["Body"].read() == b"abc"


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_connection_ending_mid_body_stores_nothing(server, raw, s3, b, how):
    key = f"cut-{how}"
    c = conn(server)
    c.send(signed_head(raw, "PUT", f"/{b}/{key}", extra=["Content-Length: 1000000"]) + b"x" * 300_000)
    time.sleep(0.2)  # let the server spill the body into a temp file first
    if how == "rst":
        c.reset()
    else:
        c.sock.shutdown(socket.SHUT_WR)
        assert c.closed_within(5)
        assert c.buf == b""
        c.close()
    assert wait_tmp_empty(server.data_dir) == []
    no_such_key(s3, b, key)


# ---- slow and idle clients ---------------------------------------------------------------------------

def test_slow_and_idle_clients(start_server):
    """A server with a 2 s idle timeout, and at once: 200 connections doing nothing, one sending
    a NUL-led request line, one that sent half a body, and one trickling its headers a byte a
    second. A normal client is served promptly throughout; every idle connection is closed after
    the timeout; the trickler, never idle for 2 s, gets its answer."""
    srv = start_server("bad-input-slow", extra_args=["--idle-timeout", "2"])
    s3 = srv.client()
    raw = Raw(srv.host, srv.port, srv.access_key, srv.secret_key)
    bucket = unique_bucket_name("slow")
    s3.create_bucket(Bucket=bucket)
    kept = random_bytes(80_000, seed=9)
    s3.put_object(Bucket=bucket, Key="kept", Body=kept)

    idle = [conn(srv) for _ in range(200)]
    nul = conn(srv)
    nul.send(b"\x00\x01garbage garbage\r\n\r\n")
    short = conn(srv)
    short.send(signed_head(raw, "PUT", f"/{bucket}/short", extra=["Content-Length: 100000"]) + b"y" * 5000)
    trickler = conn(srv)
    request = signed_head(raw, "GET", f"/{bucket}/kept")
    trickler.send(request[:-5])
    t0 = time.monotonic()
    for i in range(5):  # the last five bytes, one a second: 5 s, longer than the idle timeout
        t = time.monotonic()
        assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == kept
        assert time.monotonic() - t < 1.0, "a normal request waited behind the slow ones"
        time.sleep(max(0.0, t0 + i + 1 - time.monotonic()))
        trickler.send(request[-5 + i:len(request) - 4 + i])
    r = trickler.response(timeout=5)
    assert (r.status, r.body) == (200, kept), r
    trickler.close()

    for c in idle + [nul, short]:
        assert c.closed_within(3), "an idle connection outlived the idle timeout"
        assert c.buf == b""
        c.close()
    assert wait_tmp_empty(srv.data_dir) == []
    with expect_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="short")
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == kept
    purge_bucket(s3, bucket)
