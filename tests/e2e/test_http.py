"""HTTP-level behaviour: Expect: 100-continue only after authentication, keep-alive across
requests (including errors), idle connections closed after the idle timeout while others are
served, and a client that stops sending its body mid-way."""
import http.client
import socket
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_headers(server, method, path, body_len, access_key=None, secret_key=None):
    req = AWSRequest(method=method, url=f"http://{server.host}:{server.port}{path}",
                     headers={"Content-Length": str(body_len), "Expect": "100-continue",
                              "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(access_key or server.access_key, secret_key or server.secret_key),
              "s3", "us-east-1").add_auth(req)
    return dict(req.headers.items())


def send_head(sock, method, path, headers):
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())


def read_until(sock, marker, limit=65536):
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_100_continue_after_authentication(server, s3, bucket):
    body = b"c" * 1000
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        hdrs = signed_headers(server, "PUT", f"/{bucket}/cont", len(body))
        hdrs["Host"] = f"{server.host}:{server.port}"
        send_head(sock, "PUT", f"/{bucket}/cont", hdrs)
        first = read_until(sock, b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 100 Continue"), first
        sock.sendall(body)
        rest = read_until(sock, b"\r\n\r\n")
        assert b" 200 " in rest.split(b"\r\n")[0] or b"HTTP/1.1 200" in rest, rest
    assert s3.get_object(Bucket=bucket, Key="cont")["Body"].read() == body


def test_100_continue_refused_when_authentication_fails(server, s3, bucket):
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        hdrs = signed_headers(server, "PUT", f"/{bucket}/nope", 1000, secret_key="wrong-secret")
        hdrs["Host"] = f"{server.host}:{server.port}"
        send_head(sock, "PUT", f"/{bucket}/nope", hdrs)
        first = read_until(sock, b"</Error>")
        status_line = first.split(b"\r\n")[0]
        assert status_line == b"HTTP/1.1 403 Forbidden", first
        assert b"<Code>SignatureDoesNotMatch</Code>" in first
        assert b"100 Continue" not in first
    objs = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert objs == []


def test_keep_alive_across_requests_and_errors(server, bucket, raw):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        for path in (f"/{bucket}/missing-1", "/no-such-bucket-ka/x", f"/{bucket}/missing-2"):
            conn.request("GET", path)  # anonymous: AccessDenied / NoSuchBucket, connection kept
            resp = conn.getresponse()
            resp.read()
            assert resp.status in (403, 404)
            assert resp.getheader("Connection", "").lower() != "close"
        assert conn.sock is not None
    finally:
        conn.close()


def test_idle_connection_is_closed_and_others_served(start_server):
    srv = start_server("idle", extra_args=["--idle-timeout", "2"])
    idle = socket.create_connection((srv.host, srv.port), timeout=10)
    slow = socket.create_connection((srv.host, srv.port), timeout=10)
    try:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # an unfinished header block
        time.sleep(4)
        # Both were closed by the server: recv sees EOF (or a reset).
        for s in (idle, slow):
            try:
                assert s.recv(1) == b""
            except ConnectionResetError:
                pass
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
        conn.request("GET", "/")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 403  # anonymous ListBuckets; the server still answers
        conn.close()
    finally:
        idle.close()
        slow.close()


def test_body_shorter_than_content_length_stores_nothing(start_server):
    srv = start_server("short", extra_args=["--idle-timeout", "2"])
    s3 = srv.client()
    s3.create_bucket(Bucket="short-body")
    with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
        hdrs = signed_headers(srv, "PUT", "/short-body/partial", 100000)
        hdrs.pop("Expect")
        hdrs["Host"] = f"{srv.host}:{srv.port}"
        send_head(sock, "PUT", "/short-body/partial", hdrs)
        sock.sendall(b"x" * 5000)
        time.sleep(3.5)  # the idle timeout ends the half-sent request
    assert s3.list_objects_v2(Bucket="short-body").get("KeyCount") == 0
    tmp = list((srv.data_dir / "tmp").iterdir())
    assert tmp == [], tmp
    s3.delete_bucket(Bucket="short-body")
