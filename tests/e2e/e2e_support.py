"""Helpers shared by the end-to-end tests (imported by conftest.py and the test modules).

Nothing here talks to a particular server: the fixtures in conftest.py start s3trail and hand
these helpers its endpoint and keys.
"""
import base64
import contextlib
import datetime
import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
import os
import re
import uuid
import xml.etree.ElementTree as ET
import zlib
from urllib.parse import quote, urlsplit

import boto3
import pytest
from botocore.auth import HmacV1Auth, S3SigV4Auth, SigV4Auth, SIGV4_TIMESTAMP
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

MiB = 1024 * 1024
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
REQUEST_ID_RE = re.compile(r"^[0-9A-F]{16}$")
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


# ---- names -------------------------------------------------------------------------------------

def unique_bucket_name(hint="b"):
    """A fresh, valid bucket name: e2e-<hint>-<random>, at most 63 characters."""
    hint = re.sub(r"[^a-z0-9-]+", "-", hint.lower()).strip("-") or "b"
    suffix = uuid.uuid4().hex[:10]
    return f"e2e-{hint[:63 - 5 - 1 - len(suffix)].strip('-')}-{suffix}"


def unique_key(prefix="k"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ---- digests -----------------------------------------------------------------------------------

def _crc_table(poly):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc_table(0x82F63B78)
_CRC64NVME_TABLE = _crc_table(0x9A6C9329AC4BC9B5)


def crc32c(data):
    c = 0xFFFFFFFF
    t = _CRC32C_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc64nvme(data):
    m = 0xFFFFFFFFFFFFFFFF
    c = m
    t = _CRC64NVME_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ m


assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888


def b64(raw):
    return base64.b64encode(raw).decode()


def checksum(algorithm, data):
    """S3's x-amz-checksum-<algorithm> value (base64 of the big-endian digest)."""
    a = algorithm.upper()
    if a == "CRC32":
        return b64((zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big"))
    if a == "CRC32C":
        return b64(crc32c(data).to_bytes(4, "big"))
    if a == "CRC64NVME":
        return b64(crc64nvme(data).to_bytes(8, "big"))
    if a == "SHA1":
        return b64(hashlib.sha1(data).digest())
    if a == "SHA256":
        return b64(hashlib.sha256(data).digest())
    raise ValueError(algorithm)


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def content_md5(data):
    return b64(hashlib.md5(data).digest())


def multipart_etag(parts):
    """S3's ETag of a completed multipart upload: md5 of the concatenated binary part md5s, '-N'."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def multipart_etag_of_file(path, part_size):
    md5s = []
    n = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(part_size)
            if not chunk:
                break
            md5s.append(hashlib.md5(chunk).digest())
            n += 1
    return f'"{hashlib.md5(b"".join(md5s)).hexdigest()}-{n}"'


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- errors ------------------------------------------------------------------------------------

def error_of(exc):
    """(Code, HTTP status) of a botocore ClientError."""
    r = exc.response
    return r.get("Error", {}).get("Code"), r["ResponseMetadata"]["HTTPStatusCode"]


@contextlib.contextmanager
def expect_error(code, status):
    """Asserts that the block raises a ClientError with exactly this Code and HTTP status.
    For HEAD requests (no body) botocore reports the status as the Code ('404', '403')."""
    with pytest.raises(ClientError) as ei:
        yield ei
    got = error_of(ei.value)
    assert got == (code, status), f"expected {(code, status)}, got {got}: {ei.value.response.get('Error')}"


# ---- XML ---------------------------------------------------------------------------------------

def strip_ns(elem):
    for e in elem.iter():
        if isinstance(e.tag, str) and "}" in e.tag:
            e.tag = e.tag.split("}", 1)[1]
    return elem


def parse_xml(body):
    return strip_ns(ET.fromstring(body))


def xml_error(body):
    """The children of an S3 <Error> document as a dict {tag: text}."""
    root = parse_xml(body)
    assert root.tag == "Error", body
    return {c.tag: (c.text or "") for c in root}


def check_request_ids(status, headers, body, what):
    """The contract: every response carries x-amz-request-id (16 upper-case hex) and x-amz-id-2,
    and an error document's RequestId equals the header."""
    rid = headers.get("x-amz-request-id")
    if not rid or not REQUEST_ID_RE.match(rid):
        raise AssertionError(f"{what}: HTTP {status} response without a valid x-amz-request-id ({rid!r})")
    if not headers.get("x-amz-id-2"):
        raise AssertionError(f"{what}: HTTP {status} response without x-amz-id-2")
    if status >= 400 and body and body.lstrip().startswith(b"<"):
        try:
            err = xml_error(body)
        except (AssertionError, ET.ParseError):
            return
        if err.get("RequestId") != rid:
            raise AssertionError(f"{what}: error RequestId {err.get('RequestId')!r} != x-amz-request-id {rid!r}")


def install_request_id_check(client):
    """Makes every boto3 call on `client` fail loudly if its response lacks the request ids."""
    def after_call(http_response, model, **kwargs):
        body = http_response.content if http_response.status_code >= 400 else b""
        check_request_ids(http_response.status_code, http_response.headers, body, f"boto3 {model.name}")
    client.meta.events.register("after-call.s3", after_call)
    return client


# ---- bucket life cycle -------------------------------------------------------------------------

def purge_bucket(client, name):
    """Aborts uploads, deletes every object and the bucket. NoSuchBucket is not an error."""
    try:
        try:
            for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=name):
                for u in page.get("Uploads", []):
                    try:
                        client.abort_multipart_upload(Bucket=name, Key=u["Key"], UploadId=u["UploadId"])
                    except ClientError:
                        pass
        except ClientError as e:
            if error_of(e)[0] == "NoSuchBucket":
                return
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys.extend(o["Key"] for o in page.get("Contents", []))
        for i in range(0, len(keys), 1000):
            batch = keys[i:i + 1000]
            try:
                client.delete_objects(Bucket=name, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            except ClientError:
                for k in batch:
                    client.delete_object(Bucket=name, Key=k)
        client.delete_bucket(Bucket=name)
    except ClientError as e:
        if error_of(e)[0] != "NoSuchBucket":
            raise


# ---- raw HTTP ----------------------------------------------------------------------------------

class RawResponse:
    def __init__(self, status, reason, headers, body, signer=None):
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage (case-insensitive get)
        self.body = body
        self.signer = signer    # the signer used (canonical_request / string_to_sign), or None

    def header(self, name):
        return self.headers.get(name)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    def xml(self):
        return parse_xml(self.body)

    @property
    def error(self):
        return xml_error(self.body)

    def __repr__(self):
        return f"<RawResponse {self.status} {self.reason} {dict(self.headers)} {self.body[:600]!r}>"


def encode_query(params):
    """Query string from a dict or a list of pairs; None values give a bare name ('uploads')."""
    if params is None:
        return ""
    if isinstance(params, str):
        return params
    items = params.items() if isinstance(params, dict) else params
    out = []
    for k, v in items:
        if v is None:
            out.append(quote(k, safe="-_.~"))
        else:
            out.append(f"{quote(k, safe='-_.~')}={quote(str(v), safe='-_.~')}")
    return "&".join(out)


def quote_key(key):
    """A key as it goes in a path: every byte but unreserved characters and '/' percent-encoded."""
    return quote(key, safe="/-_.~")


class V2Record:
    """What a SigV2 (HmacV1) signature covered."""

    def __init__(self, string_to_sign):
        self.string_to_sign_value = string_to_sign


class SigV4Signer(S3SigV4Auth):
    """botocore's S3 SigV4 signer with a settable clock and payload hash, remembering what it
    signed (canonical request, string to sign, signature, signing key)."""

    def __init__(self, access_key, secret_key, region="us-east-1", when=None, payload_hash=None):
        super().__init__(Credentials(access_key, secret_key), "s3", region)
        self.when = when
        self.payload_hash = payload_hash
        self.canonical = self.string_to_sign_value = self.sig = self.timestamp = None

    def _modify_request_before_signing(self, request):
        SigV4Auth._modify_request_before_signing(self, request)
        if "X-Amz-Content-SHA256" in request.headers:
            del request.headers["X-Amz-Content-SHA256"]
        request.headers["X-Amz-Content-SHA256"] = self.payload_hash or self.payload(request)

    def add_auth(self, request):
        now = self.when or datetime.datetime.now(datetime.timezone.utc)
        request.context["timestamp"] = now.strftime(SIGV4_TIMESTAMP)
        self.timestamp = request.context["timestamp"]
        self._modify_request_before_signing(request)
        self.canonical = self.canonical_request(request)
        self.string_to_sign_value = self.string_to_sign(request, self.canonical)
        self.sig = self.signature(self.string_to_sign_value, request)
        self._inject_signature_to_request(request, self.sig)

    @property
    def scope_str(self):
        return f"{self.timestamp[:8]}/{self._region_name}/s3/aws4_request"

    def signing_key(self):
        k = hmac.new(f"AWS4{self.credentials.secret_key}".encode(), self.timestamp[:8].encode(), hashlib.sha256).digest()
        for part in (self._region_name, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        return k


def aws_chunked_signed(data, signer, chunk_size=64 * 1024, trailer=None, tamper=None):
    """The aws-chunked body of STREAMING-AWS4-HMAC-SHA256-PAYLOAD (trailer None) or
    STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (trailer=(name, value)), chained from the seed
    signature of an already signed request. tamper: 'chunk-signature' (corrupt the first
    chunk's signature), 'data' (flip a byte after signing), 'trailer-signature'."""
    key = signer.signing_key()
    prev = signer.sig
    out = bytearray()
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for i, ch in enumerate(chunks):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", signer.timestamp, signer.scope_str, prev,
                         EMPTY_SHA256, hashlib.sha256(ch).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        if tamper == "chunk-signature" and i == 0:
            sig = ("0" if sig[0] != "0" else "1") + sig[1:]
        if tamper == "data" and i == 0 and ch:
            ch = bytes([ch[0] ^ 0xFF]) + ch[1:]
        out += b"%x;chunk-signature=%s\r\n" % (len(ch), sig.encode())
        if ch or trailer is None:
            out += ch + b"\r\n"
    if trailer is not None:
        name, value = trailer
        canonical = f"{name}:{value}\n".encode()
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", signer.timestamp, signer.scope_str, prev,
                         hashlib.sha256(canonical).hexdigest()])
        tsig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if tamper == "trailer-signature":
            tsig = ("0" if tsig[0] != "0" else "1") + tsig[1:]
        out += f"{name}:{value}\r\n".encode()
        out += f"x-amz-trailer-signature:{tsig}\r\n\r\n".encode()
    return bytes(out)


def aws_chunked_unsigned(data, trailer, chunk_size=64 * 1024):
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER body, framed as botocore's AwsChunkedWrapper does."""
    out = bytearray()
    for i in range(0, len(data), chunk_size):
        ch = data[i:i + chunk_size]
        out += b"%x\r\n" % len(ch) + ch + b"\r\n"
    out += b"0\r\n"
    name, value = trailer
    out += f"{name}:{value}\r\n\r\n".encode()
    return bytes(out)


class Raw:
    """Sends hand-made HTTP requests to the server (http.client), optionally signed.

    raw(method, path, query=..., headers=..., body=b"" | iterable of bytes, sign=True|'v2'|False,
        host=None, creds=(ak, sk), region='us-east-1', payload_hash=None, when=None,
        stream=False, expect_continue=False)

    `path` is sent as given (already percent-encoded). The request carries exactly the headers
    given plus Host, Content-Length (for a bytes body) and what the signer adds; for an iterable
    body, Content-Length must be in `headers`. With stream=True the open HTTPResponse and
    connection are returned as (resp, conn) for the caller to read and close. Unless
    check_ids=False, every response must carry the request ids (check_request_ids).
    """

    def __init__(self, host, port, access_key, secret_key, timeout=120):
        self.host = host
        self.port = port
        self.creds = (access_key, secret_key)
        self.timeout = timeout

    def prepare(self, method, path, query=None, headers=None, body=b"", sign=True, host=None,
                creds=None, region="us-east-1", payload_hash=None, when=None):
        qs = encode_query(query)
        host_hdr = host or f"{self.host}:{self.port}"
        hdrs = {"Host": host_hdr}
        for k, v in (headers or {}).items():
            if k.lower() == "host":
                hdrs["Host"] = v
            else:
                hdrs[k] = v
        if isinstance(body, (bytes, bytearray)):
            if body or method in ("PUT", "POST"):
                if not any(k.lower() == "content-length" for k in hdrs):
                    hdrs["Content-Length"] = str(len(body))
        signer = None
        if sign:
            ak, sk = creds or self.creds
            url = f"http://{hdrs['Host']}{path}" + (f"?{qs}" if qs else "")
            sign_body = body if isinstance(body, (bytes, bytearray)) else b""
            req = AWSRequest(method=method, url=url, headers=dict(hdrs), data=sign_body)
            if sign == "v2":
                v2 = HmacV1Auth(Credentials(ak, sk))
                v2.add_auth(req)
                signer = V2Record(v2.canonical_string(req.method, urlsplit(req.url), req.headers))
            else:
                if payload_hash is None and not isinstance(body, (bytes, bytearray)):
                    payload_hash = "UNSIGNED-PAYLOAD"
                signer = SigV4Signer(ak, sk, region, when=when, payload_hash=payload_hash)
                signer.add_auth(req)
            hdrs = dict(req.headers.items())
        elif payload_hash is not None:
            hdrs["x-amz-content-sha256"] = payload_hash
        target = path + (f"?{qs}" if qs else "")
        return target, hdrs, signer

    def send(self, method, target, hdrs, body=b"", stream=False, expect_continue=False, signer=None,
             timeout=None, check_ids=True):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders()
        if expect_continue:
            # Caller decides: we only sent the headers; return what the server says first.
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            if check_ids:
                check_request_ids(resp.status, resp.headers, data, f"raw {method} {target[:200]}")
            return RawResponse(resp.status, resp.reason, resp.headers, data, signer)
        if isinstance(body, (bytes, bytearray)):
            if body:
                conn.send(body)
        else:
            for piece in body:
                conn.send(piece)
        resp = conn.getresponse()
        if stream:
            return resp, conn
        data = resp.read()
        conn.close()
        if check_ids:
            check_request_ids(resp.status, resp.headers, data, f"raw {method} {target[:200]}")
        return RawResponse(resp.status, resp.reason, resp.headers, data, signer)

    def __call__(self, method, path, query=None, headers=None, body=b"", sign=True, host=None,
                 creds=None, region="us-east-1", payload_hash=None, when=None, stream=False,
                 expect_continue=False, timeout=None, check_ids=True):
        target, hdrs, signer = self.prepare(method, path, query, headers, body, sign, host, creds,
                                            region, payload_hash, when)
        return self.send(method, target, hdrs, body, stream=stream,
                         expect_continue=expect_continue, signer=signer, timeout=timeout,
                         check_ids=check_ids)


def is_sanitized(path):
    """True for an ASan build (its RSS is not representative)."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def random_bytes(n, seed=None):
    if seed is None:
        return os.urandom(n)
    import random
    return random.Random(seed).randbytes(n)


# ---- CloudTrail --------------------------------------------------------------------------------

CT_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
CT_JSON = "application/x-amz-json-1.1"


def ct_client(server, region="us-east-1", creds=None, validate=True):
    """boto3's cloudtrail client for the server; validate=False lets out-of-range values through."""
    ak, sk = creds or (server.access_key, server.secret_key)
    cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=120,
                 parameter_validation=validate)
    return boto3.session.Session().client("cloudtrail", endpoint_url=server.endpoint,
                                          region_name=region, aws_access_key_id=ak,
                                          aws_secret_access_key=sk, config=cfg)


class RawCT:
    """A hand-made CloudTrail JSON 1.1 request (SigV4, service cloudtrail): (status, headers,
    body bytes). body may be a dict (sent as JSON) or raw bytes."""

    def __init__(self, server):
        self.server = server

    def __call__(self, op, body, region="us-east-1", creds=None, target=None):
        ak, sk = creds or (self.server.access_key, self.server.secret_key)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        url = self.server.endpoint + "/"
        req = AWSRequest(method="POST", url=url, data=data, headers={
            "Content-Type": CT_JSON,
            "X-Amz-Target": target or CT_TARGET + op,
        })
        SigV4Auth(Credentials(ak, sk), "cloudtrail", region).add_auth(req)
        r = urllib.request.Request(url, data=data, method="POST", headers=dict(req.prepare().headers))
        try:
            with urllib.request.urlopen(r, timeout=60) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


# ---- the journal -------------------------------------------------------------------------------

def journal(server):
    """Every record in the server's journal, in commit order (`admin events dump`, which runs
    beside the server). `server` is the session fixture or a ServerProcess."""
    proc = server if hasattr(server, "admin") else server.proc
    p = proc.admin("events", "dump")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def record_of(server, request_id):
    """The one record with this requestID."""
    found = [r for r in journal(server) if r.get("requestID") == request_id]
    assert len(found) == 1, f"{len(found)} records with requestID {request_id}"
    return found[0]


# ---- CloudTrail bucket policies ----------------------------------------------------------------

def cloudtrail_policy(bucket, account, arns, prefix=None):
    """The bucket policy CloudTrail documents (cloudtrail.md §3.4), for one or more trail ARNs."""
    logs = f"{prefix}/AWSLogs/{account}/*" if prefix else f"AWSLogs/{account}/*"
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": arns}}},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/{logs}",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "aws:SourceArn": arns}}}]}
