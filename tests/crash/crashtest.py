#!/usr/bin/env python3
"""crashtest — kill -9 s3trail under load, restart it, and check what it promised.

    make crashtest ROUNDS=20                   (python3 tests/crash/crashtest.py --rounds 20 --bin ./s3trail)
    make crashtest ROUNDS=2 S3TRAIL_BIN=build/asan/s3trail

One data directory is kept across all rounds. The very first start is killed once while it
creates the store, then started again. Three trails are set up: `crash-trail` (multi-region;
management events and every data event of two load buckets, one per region), `crash-mgmt-trail`
(us-east-1 only, management events, its own log bucket and key prefix) and `crash-eu-trail`
(homed in eu-west-1, advanced selectors: object writes in the eu load bucket). Deliveries run
every second. Every round then:

  1. runs a mixed load from several threads for a random 1-4 s: PutObject (inline bodies below
     64 KiB, blob bodies above, a few MiB now and then), CopyObject, multipart uploads (one small
     part, or 5 MiB + a small part) completed, aborted, or left open to be completed in a later
     round (after restarts), DeleteObject, DeleteObjects, and bucket configuration changes on
     scratch buckets (CreateBucket, DeleteBucket, PutBucketPolicy, DeleteBucketPolicy);
  2. kills the server with SIGKILL mid-load, with deliveries under way;
  3. restarts it on the same directory (one restart in four is itself killed while it recovers,
     --recovery-kill): it must accept connections within a timeout and print no sanitizer report;
  4. checks objects, open uploads and scratch buckets: every key reads back byte-exact as the last
     acknowledged request left it or, when a request on it was in flight at the kill, as that
     request would leave it — never anything else: no torn body, no half-done DeleteObjects, a
     CompleteMultipartUpload wholly done (object there, upload gone) or not at all; LIST agrees
     with GET; the uploads left open still list their parts;
  5. every third round (--stop-start-every) flushes crash-trail with StopLogging + StartLogging;
  6. waits until every record that must have been delivered by now is in the log buckets.

Every request carries a unique token in its User-Agent (CloudTrail records keep the userAgent),
so a record can be matched to its request even when the response never arrived. At the end, after
StopLogging of every trail (which flushes), every delivered log file has been read and, per trail:

  * no eventID and no requestID appears twice — across all rounds and files;
  * every acknowledged request the trail selects has its record, with the response's
    x-amz-request-id, and an errorCode exactly when the response was an error;
  * an unacknowledged request whose change is visible has its success record; one whose change is
    not visible has no success record (the record commits atomically with the change); one whose
    connection was refused has none at all.

Prints one line per round and, last, `crashtest: N rounds, L lost, D duplicated`. Exit status 0
only if nothing was lost, duplicated, torn or half-applied, the server always restarted, exited
cleanly at the end, and no sanitizer report appeared in its stderr. On failure the data directory
and the server's logs are kept (their path and the seed are printed; --seed reproduces the load,
not the timing).

Requests go through boto3 with retries off (one attempt: a retry would hide or duplicate an
operation); a request whose connection dies at the kill is unacknowledged.
"""
import argparse
import collections
import concurrent.futures
import gzip
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import (ClientError, EndpointConnectionError, HTTPClientError,
                                 IncompleteReadError, ResponseStreamingError)

try:  # urllib3 errors can escape botocore while a response body streams
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # pragma: no cover
    Urllib3Error = OSError

KiB = 1024
MiB = 1024 * KiB
INLINE_MAX = 64 * KiB
REGIONS = ("us-east-1", "eu-west-1")
LOAD_BUCKETS = {"crash-load-us": "us-east-1", "crash-load-eu": "eu-west-1"}
SCRATCH_BUCKETS = ("crash-scratch-0", "crash-scratch-1", "crash-scratch-2")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
                     "ERROR: UndefinedBehaviorSanitizer", "WARNING: AddressSanitizer")
UA_PREFIX = "crashtest-op/"
UA_RE = re.compile(r"crashtest-op/(c\d+)")
# Errors that mean "no response arrived": the request may or may not have happened.
TRANSPORT_ERRORS = (BotoConnectionError, HTTPClientError, ResponseStreamingError, IncompleteReadError,
                    Urllib3Error, OSError)


# ---- the server ------------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """s3trail serve on one data directory; stdout/stderr of every start appended to two files."""

    def __init__(self, binary, workdir, interval):
        # A private copy: a rebuild of the binary during the run must not change (or break) it.
        self.binary = str(workdir / "s3trail")
        shutil.copy2(binary, self.binary)
        self.workdir = workdir
        self.data = workdir / "data"
        self.stdout_path = workdir / "server.stdout"
        self.stderr_path = workdir / "server.stderr"
        self.access_key = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits)
                                           for _ in range(16))
        self.secret_key = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
        self.interval = interval
        self.port = free_port()
        self.proc = None
        self.starts = 0
        self.stderr_checked = 0  # offset up to which stderr was scanned for sanitizer reports

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def env(self):
        env = dict(os.environ)
        env["S3TRAIL_ROOT_ACCESS_KEY"] = self.access_key
        env["S3TRAIL_ROOT_SECRET_KEY"] = self.secret_key
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        return env

    def spawn(self):
        """Starts the process; returns (start time, stderr offset before it)."""
        self.data.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with open(self.stderr_path, "ab") as err, open(self.stdout_path, "ab") as out:
            banner = f"\n=== crashtest: start #{self.starts} on port {self.port} ===\n".encode()
            err.write(banner)
            out.write(banner)
            err.flush()
            out.flush()
            before = self.stderr_path.stat().st_size
            t0 = time.monotonic()
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data", str(self.data),
                 "--regions", ",".join(REGIONS), "--delivery-interval", str(self.interval)],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env(), cwd=str(self.workdir))
        return t0, before

    def start(self, timeout):
        """Starts the server; returns the seconds until it accepted a connection."""
        for attempt in range(3):
            t0, before = self.spawn()
            while time.monotonic() - t0 < timeout:
                if self.proc.poll() is not None:
                    break
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return time.monotonic() - t0
                except OSError:
                    time.sleep(0.01)
            else:
                self.kill()
                raise StartFailure(f"s3trail did not accept connections within {timeout:.0f} s")
            with open(self.stderr_path, "rb") as f:
                f.seek(before)
                said = f.read().decode(errors="replace")
            if "in use" in said.lower() and attempt < 2:
                self.port = free_port()
                continue
            raise StartFailure(f"s3trail exited with status {self.proc.returncode} during start-up")
        raise StartFailure("could not start s3trail")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self, timeout=120):
        """SIGTERM; returns the exit status (None when it had to be killed)."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def account_id(self):
        m = re.findall(r"account:\s+(\d{12})", self.stdout_path.read_text(errors="replace"))
        if not m:
            raise StartFailure("the server did not print its account id")
        return m[-1]

    def sanitizer_reports(self):
        """Sanitizer lines printed since the last call."""
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(self.stderr_checked)
                text = f.read().decode(errors="replace")
        except OSError:
            return []
        self.stderr_checked += len(text.encode(errors="replace"))
        return [line for line in text.splitlines() if any(m in line for m in SANITIZER_MARKERS)]

    def stderr_tail(self, limit=8000):
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""
        return text if len(text) <= limit else "...[cut]...\n" + text[-limit:]


class StartFailure(Exception):
    pass


class Unacked(Exception):
    """The request got no response: the connection died (the server was killed)."""


# ---- requests, tagged ------------------------------------------------------------------------------

_tls = threading.local()


def _tag_request(request, **_):
    """Puts the current operation's token in the User-Agent (kept by the CloudTrail record)."""
    token = getattr(_tls, "token", None)
    if token:
        ua = request.headers.get("User-Agent", b"")
        if isinstance(ua, bytes):
            ua = ua.decode("latin-1")
        request.headers["User-Agent"] = f"{UA_PREFIX}{token} {ua}"


class Op:
    """One request: what it was, whether it was acknowledged, and what it may have changed."""
    __slots__ = ("id", "token", "round", "phase", "kind", "target", "acked", "ok", "status", "code",
                 "request_id", "error", "effects", "expect", "upload_id", "died_alive", "never_sent",
                 "parked_upload")

    def __init__(self, oid, rnd, phase, kind, target):
        self.id = oid
        self.token = f"c{oid:07d}"
        self.round = rnd
        self.phase = phase
        self.kind = kind
        self.target = target
        self.acked = None     # True: a response (success or error) arrived; False: none did
        self.ok = None
        self.status = None
        self.code = None
        self.request_id = None
        self.error = None     # the transport error of an unacknowledged request
        self.effects = []     # [(domain, name, old state, new state)] if it succeeds
        self.expect = None    # what its record must look like, decided when the outcome is known
        self.upload_id = None
        self.died_alive = False
        self.never_sent = False  # the connection was refused: the server never saw it
        self.parked_upload = None  # an upload left open in an earlier round, being completed

    def describe(self):
        state = ("ok" if self.ok else f"error {self.status} {self.code}") if self.acked else \
            f"unacknowledged ({self.error})"
        rid = f" requestID {self.request_id}" if self.request_id else ""
        return f"op {self.token} round {self.round} {self.phase} {self.kind} {self.target}: {state}{rid}"


def digest(data):
    return hashlib.sha256(data).hexdigest()[:32], len(data)


def fmt_state(s):
    if s is None:
        return "absent"
    if isinstance(s, tuple):
        return f"{s[1]} bytes sha256 {s[0][:12]}"
    return repr(s)


def make_body(token, size):
    head = f"{token}:".encode()
    size = max(size, len(head))
    return head + os.urandom(size - len(head))


def pick_size(rng):
    r = rng.random()
    if r < 0.42:
        return rng.randint(64, INLINE_MAX - 64)               # inline
    if r < 0.52:
        return rng.randint(INLINE_MAX - 8, INLINE_MAX + 8)    # at the inline/blob boundary
    if r < 0.90:
        return rng.randint(INLINE_MAX + 9, 1 * MiB)           # blob
    return rng.randint(1 * MiB, 4 * MiB)                      # a few MiB


# ---- trails and their delivered log files ----------------------------------------------------------

MANAGEMENT_KINDS = {"CreateBucket", "DeleteBucket", "PutBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicy"}
OBJECT_WRITE_KINDS = {"PutObject", "CopyObject", "DeleteObject", "CreateMultipartUpload", "UploadPart",
                      "CompleteMultipartUpload", "AbortMultipartUpload"}


class TrailSpec:
    """takes(op): True if the trail selects the request's event, False if it must not, None if
    the test does not decide (then it only checks that the record comes at most once)."""

    def __init__(self, name, bucket, prefix, home, multi_region, takes):
        self.name = name
        self.bucket = bucket
        self.prefix = prefix
        self.home = home
        self.multi_region = multi_region
        self.takes = takes


def _eu_writes(op):
    if not op.target.startswith("crash-load-eu/"):
        return False
    if op.kind == "DeleteObjects":
        return None  # its record names the bucket, not the keys: left to the selector tests
    return op.kind in OBJECT_WRITE_KINDS


TRAILS = (
    # Everything: management events, every data event of both load buckets, both regions.
    TrailSpec("crash-trail", "crash-logs", "", "us-east-1", True, lambda op: True),
    # Management events of its home region only (the scratch buckets live in us-east-1).
    TrailSpec("crash-mgmt-trail", "crash-logs-mgmt", "mgmt", "us-east-1", False,
              lambda op: op.kind in MANAGEMENT_KINDS),
    # Homed in eu-west-1, advanced selectors: object writes in the eu load bucket.
    TrailSpec("crash-eu-trail", "crash-logs-eu", "eu", "eu-west-1", False, _eu_writes),
)
ADVANCED_SELECTORS = {"crash-eu-trail": [{
    "Name": "eu object writes",
    "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "readOnly", "Equals": ["false"]},
        {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::crash-load-eu/"]}]}]}


class Deliveries:
    """Every record of every log file of one trail, each file read once."""

    def __init__(self, trail):
        self.trail = trail
        self.files = {}                                # key -> number of records
        self.event_ids = collections.Counter()
        self.request_ids = collections.Counter()
        self.by_token = collections.defaultdict(list)  # token -> [record]
        self.bad_files = []

    def refresh(self, s3):
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.trail.bucket):
            keys += [o["Key"] for o in page.get("Contents", []) if o["Key"] not in self.files]
        for key in keys:
            body = s3.get_object(Bucket=self.trail.bucket, Key=key)["Body"].read()
            try:
                records = json.loads(gzip.decompress(body))["Records"]
            except (OSError, EOFError, ValueError, KeyError, TypeError) as e:
                self.bad_files.append(f"{key}: not a gzip JSON log file ({e})")
                self.files[key] = 0
                continue
            if self.trail.prefix and not key.startswith(self.trail.prefix + "/AWSLogs/"):
                self.bad_files.append(f"{key}: not under the trail's prefix {self.trail.prefix}/")
            self.files[key] = len(records)
            for rec in records:
                self.event_ids[rec.get("eventID")] += 1
                if rec.get("requestID"):
                    self.request_ids[rec["requestID"]] += 1
                m = UA_RE.search(rec.get("userAgent") or "")
                if m:
                    self.by_token[m.group(1)].append(dict(rec, _file=key))
        return len(keys)

    def duplicated(self):
        """Extra copies: records whose eventID or requestID had already been delivered."""
        ev = sum(n - 1 for n in self.event_ids.values() if n > 1)
        rq = sum(n - 1 for n in self.request_ids.values() if n > 1)
        return max(ev, rq)

    def records(self):
        return sum(self.files.values())


# ---- the test --------------------------------------------------------------------------------------

class CrashTest:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.workdir = Path(tempfile.mkdtemp(prefix="s3trail-crash-"))
        self.server = Server(args.bin, self.workdir, args.interval)
        self.ops = []
        self.ops_lock = threading.Lock()
        self.problems = []
        self.problems_lock = threading.Lock()
        self.warnings = []
        # The model: what each object and scratch bucket holds after the last acknowledged change.
        # Worker w owns keys w<w>/k*: requests on one key never overlap.
        self.objects = {(b, f"w{w}/k{k}"): None for b in LOAD_BUCKETS
                        for w in range(args.workers) for k in range(args.keys)}
        self.scratch = {b: None for b in SCRATCH_BUCKETS}  # None: absent; "": no policy; else its Sid
        self.pending = {}       # (domain, name) -> the unacknowledged Op that may have changed it
        self.parked = {w: [] for w in range(args.workers)}  # uploads left open across rounds
        self.killing = threading.Event()
        self.deliveries = [Deliveries(t) for t in TRAILS]
        self.session = None
        self.round = 0
        self.lost = self.duplicated = 0
        self.waited_upto = 1      # the records of ops with a smaller id were waited for
        self.stop_start = {}      # round -> first op id after its StopLogging+StartLogging
        self.lost_notes = []

    # -- bookkeeping --
    def problem(self, text):
        with self.problems_lock:
            self.problems.append(text)

    def new_op(self, phase, kind, target):
        with self.ops_lock:
            op = Op(len(self.ops) + 1, self.round, phase, kind, target)
            self.ops.append(op)
            return op

    # -- clients --
    def new_session(self):
        self.session = boto3.session.Session()

    def client(self, service="s3", region="us-east-1"):
        cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=10,
                     read_timeout=self.args.request_timeout, s3={"addressing_style": "path"},
                     max_pool_connections=4,
                     # The test compares bodies itself: a checksum mismatch must show as a wrong
                     # body, not as an exception.
                     response_checksum_validation="when_required")
        c = self.session.client(service, endpoint_url=self.server.endpoint, region_name=region,
                                aws_access_key_id=self.server.access_key,
                                aws_secret_access_key=self.server.secret_key, config=cfg)
        # After signing (SigV4 does not sign the User-Agent), just before it goes out.
        c.meta.events.register("before-send", _tag_request)
        return c

    def call(self, op, fn, **kw):
        """Makes the request of `op`; returns the response, None after an error response, and
        raises Unacked when no response arrived."""
        _tls.token = op.token
        try:
            resp = fn(**kw)
        except ClientError as e:
            md = e.response.get("ResponseMetadata", {})
            op.acked, op.ok = True, False
            op.status = md.get("HTTPStatusCode")
            op.code = e.response.get("Error", {}).get("Code")
            op.request_id = md.get("RequestId") or (md.get("HTTPHeaders") or {}).get("x-amz-request-id")
            if not op.request_id:
                self.problem(f"error response without a request id: {op.describe()}")
            if op.status and op.status >= 500:
                self.warnings.append(f"server error answered: {op.describe()}")
            return None
        except TRANSPORT_ERRORS as e:
            op.acked, op.ok = False, False
            op.error = f"{type(e).__name__}: {str(e)[:160]}"
            # Refused (not a timeout): nothing was sent, so nothing may have happened.
            op.never_sent = isinstance(e, EndpointConnectionError) and "refused" in repr(e.__context__).lower()
            if not self.killing.is_set():
                op.died_alive = True
                self.problem(f"a request failed while the server was up: {op.describe()}")
            raise Unacked(op) from e
        finally:
            _tls.token = None
        md = resp["ResponseMetadata"]
        op.acked, op.ok, op.status = True, True, md.get("HTTPStatusCode")
        op.request_id = md.get("RequestId") or (md.get("HTTPHeaders") or {}).get("x-amz-request-id")
        if not op.request_id:
            self.problem(f"response without a request id: {op.describe()}")
        return resp

    # -- effects --
    def begin(self, op, effects):
        """effects: [(domain, name, new state)]; pending until the answer arrives."""
        for domain, name, new in effects:
            old = self.objects[name] if domain == "obj" else self.scratch[name]
            op.effects.append((domain, name, old, new))
            self.pending[(domain, name)] = op

    def settle(self, op, applied=None):
        """After a response: an acknowledged success changes the model (every effect, or those
        named in `applied`); an error changes nothing."""
        for domain, name, _old, new in op.effects:
            if op.ok and (applied is None or name in applied):
                (self.objects if domain == "obj" else self.scratch)[name] = new
            self.pending.pop((domain, name), None)

    # -- the load --
    def object_worker(self, wid, seed, stop):
        rng = random.Random(seed)
        s3 = {b: self.client(region=r) for b, r in LOAD_BUCKETS.items()}
        buckets = list(LOAD_BUCKETS)
        keys = [f"w{wid}/k{k}" for k in range(self.args.keys)]
        try:
            while not stop.is_set():
                b = rng.choice(buckets)
                r = rng.random()
                if self.parked[wid] and r < 0.05:
                    self.complete_parked(s3, wid, rng)
                elif r < 0.42:
                    self.do_put(s3[b], b, rng.choice(keys), rng)
                elif r < 0.52:
                    src, dst = rng.sample(keys, 2)
                    self.do_copy(s3[b], b, src, dst)
                elif r < 0.67:
                    self.do_delete(s3[b], b, rng.choice(keys))
                elif r < 0.77:
                    self.do_delete_objects(s3[b], b, rng.sample(keys, rng.randint(2, 5)))
                else:
                    self.do_multipart(s3[b], b, rng.choice(keys), rng, wid)
        except Unacked:
            pass

    def do_put(self, s3, b, k, rng):
        op = self.new_op("load", "PutObject", f"{b}/{k}")
        body = make_body(op.token, pick_size(rng))
        self.begin(op, [("obj", (b, k), digest(body))])
        resp = self.call(op, s3.put_object, Bucket=b, Key=k, Body=body)
        if resp is not None and resp.get("ETag", "").strip('"') != hashlib.md5(body).hexdigest():
            self.problem(f"PutObject ETag {resp.get('ETag')} is not the body's MD5: {op.describe()}")
        self.settle(op)

    def do_copy(self, s3, b, src, dst):
        op = self.new_op("load", "CopyObject", f"{b}/{src} -> {dst}")
        source = self.objects[(b, src)]
        if source is not None:
            self.begin(op, [("obj", (b, dst), source)])
        self.call(op, s3.copy_object, Bucket=b, Key=dst, CopySource={"Bucket": b, "Key": src})
        if op.ok and source is None:
            self.problem(f"CopyObject of an absent source succeeded: {op.describe()}")
        self.settle(op)

    def do_delete(self, s3, b, k):
        op = self.new_op("load", "DeleteObject", f"{b}/{k}")
        self.begin(op, [("obj", (b, k), None)])
        self.call(op, s3.delete_object, Bucket=b, Key=k)
        self.settle(op)

    def do_delete_objects(self, s3, b, keys):
        op = self.new_op("load", "DeleteObjects", f"{b}/{{{','.join(keys)}}}")
        self.begin(op, [("obj", (b, k), None) for k in keys])
        resp = self.call(op, s3.delete_objects, Bucket=b,
                         Delete={"Objects": [{"Key": k} for k in keys], "Quiet": False})
        applied = None
        if resp is not None:
            applied = {(b, d["Key"]) for d in resp.get("Deleted", [])}
            for e in resp.get("Errors", []):
                self.warnings.append(f"DeleteObjects error for {e.get('Key')}: {e.get('Code')} ({op.token})")
        self.settle(op, applied)

    def do_multipart(self, s3, b, k, rng, wid):
        create = self.new_op("load", "CreateMultipartUpload", f"{b}/{k}")
        resp = self.call(create, s3.create_multipart_upload, Bucket=b, Key=k)
        if resp is None:
            return
        uid = resp["UploadId"]
        sizes = [rng.randint(1, 300 * KiB)] if rng.random() < 0.6 else [5 * MiB, rng.randint(1, 100 * KiB)]
        parts, bodies = [], []
        for n, size in enumerate(sizes, 1):
            op = self.new_op("load", "UploadPart", f"{b}/{k} #{n}")
            op.upload_id = uid
            body = make_body(op.token, size)
            r = self.call(op, s3.upload_part, Bucket=b, Key=k, UploadId=uid, PartNumber=n, Body=body)
            if r is None:
                return
            parts.append({"ETag": r["ETag"], "PartNumber": n})
            bodies.append(body)
        full = digest(b"".join(bodies))
        r = rng.random()
        if r < 0.1:
            op = self.new_op("load", "AbortMultipartUpload", f"{b}/{k}")
            op.upload_id = uid
            self.call(op, s3.abort_multipart_upload, Bucket=b, Key=k, UploadId=uid)
        elif r < 0.25 and len(self.parked[wid]) < 2:
            self.parked[wid].append((b, k, uid, parts, full))  # completed in a later round
        else:
            self.complete(s3, b, k, uid, parts, full)

    def complete(self, s3, b, k, uid, parts, full, parked=False):
        op = self.new_op("load", "CompleteMultipartUpload", f"{b}/{k}" + (" (parked)" if parked else ""))
        op.upload_id = uid
        self.begin(op, [("obj", (b, k), full)])
        self.call(op, s3.complete_multipart_upload, Bucket=b, Key=k, UploadId=uid,
                  MultipartUpload={"Parts": parts})
        self.settle(op)
        return op

    def complete_parked(self, s3, wid, rng):
        up = self.parked[wid].pop(rng.randrange(len(self.parked[wid])))
        b, k, uid, parts, full = up
        try:
            op = self.complete(s3[b], b, k, uid, parts, full, parked=True)
        except Unacked as e:
            e.args[0].parked_upload = up  # decided after the restart: still open or done
            raise
        if not op.ok:
            self.problem(f"an upload left open across restarts could not be completed: {op.describe()}")

    def config_worker(self, seed, stop):
        rng = random.Random(seed)
        s3 = self.client()
        try:
            while not stop.is_set():
                name = rng.choice(SCRATCH_BUCKETS)
                state = self.scratch[name]
                r = rng.random()
                if state is None:
                    op = self.new_op("load", "CreateBucket", name)
                    self.begin(op, [("bkt", name, "")])
                    self.call(op, s3.create_bucket, Bucket=name)
                elif r < 0.45:
                    op = self.new_op("load", "PutBucketPolicy", name)
                    sid = "crash" + op.token
                    policy = {"Version": "2012-10-17", "Statement": [{
                        "Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
                        "Resource": f"arn:aws:s3:::{name}/*"}]}
                    self.begin(op, [("bkt", name, sid)])
                    self.call(op, s3.put_bucket_policy, Bucket=name, Policy=json.dumps(policy))
                elif r < 0.75:
                    op = self.new_op("load", "DeleteBucketPolicy", name)
                    self.begin(op, [("bkt", name, "")])
                    self.call(op, s3.delete_bucket_policy, Bucket=name)
                else:
                    op = self.new_op("load", "DeleteBucket", name)
                    self.begin(op, [("bkt", name, None)])
                    self.call(op, s3.delete_bucket, Bucket=name)
                self.settle(op)
                time.sleep(rng.uniform(0, 0.02))
        except Unacked:
            pass

    def run_load(self, seconds, seed):
        """Runs the load, kills the server after `seconds`; returns the round's load ops."""
        first = len(self.ops)
        stop = threading.Event()
        self.killing.clear()
        rng = random.Random(seed)
        errors = []

        def guarded(fn, *a):
            def run():
                try:
                    fn(*a)
                except Exception:  # noqa: BLE001 - a bug in the test itself: report it loudly
                    errors.append(traceback.format_exc())
            return run

        threads = [threading.Thread(target=guarded(self.object_worker, w, rng.random(), stop),
                                    name=f"worker-{w}", daemon=True) for w in range(self.args.workers)]
        threads.append(threading.Thread(target=guarded(self.config_worker, rng.random(), stop),
                                        name="config", daemon=True))
        for t in threads:
            t.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.server.alive():
                self.problem(f"round {self.round}: the server died by itself during the load "
                             f"(status {self.server.proc.returncode})\n" + self.server.stderr_tail())
                break
            time.sleep(0.01)
        self.killing.set()
        self.server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=self.args.request_timeout + 30)
            if t.is_alive():
                raise RuntimeError(f"load thread {t.name} did not finish after the kill")
        if errors:
            raise RuntimeError("a load thread failed:\n" + "\n".join(errors))
        return self.ops[first:]

    # -- after a restart --
    def get_state(self, s3, b, k):
        op = self.new_op("check", "GetObject", f"{b}/{k}")
        resp = self.call(op, s3.get_object, Bucket=b, Key=k)
        if resp is None:
            if op.code not in ("NoSuchKey", "404"):
                self.problem(f"GET of {b}/{k} after restart: {op.describe()}")
                return "error"
            return None
        try:
            data = resp["Body"].read()
        except Exception as e:  # noqa: BLE001 - cut short, or a checksum that does not match
            self.problem(f"GET of {b}/{k} after restart: the body was cut short ({e}) "
                         f"(content-length {resp.get('ContentLength')}): {op.describe()}")
            return "cut"
        if len(data) != resp.get("ContentLength", len(data)):
            self.problem(f"GET of {b}/{k}: {len(data)} bytes for Content-Length {resp['ContentLength']}")
        return digest(data)

    def upload_open(self, s3, b, k, uid):
        """True if ListParts finds the upload, False on NoSuchUpload."""
        op = self.new_op("check", "ListParts", f"{b}/{k}")
        self.call(op, s3.list_parts, Bucket=b, Key=k, UploadId=uid)
        if op.acked and not op.ok and op.code != "NoSuchUpload":
            self.problem(f"ListParts after restart: {op.describe()}")
        return op.ok

    def check_state(self):
        """Reads back every object, the listings, the open uploads and the scratch buckets;
        decides what each request in flight at the kill did. Returns (mismatches, in flight)."""
        observed = {}
        pool = [{b: self.client(region=r) for b, r in LOAD_BUCKETS.items()}
                for _ in range(self.args.check_threads)]
        names = sorted(self.objects)
        chunks = [names[i::len(pool)] for i in range(len(pool))]

        def read(idx):
            for b, k in chunks[idx]:
                observed[("obj", (b, k))] = self.get_state(pool[idx][b], b, k)

        with concurrent.futures.ThreadPoolExecutor(len(pool)) as ex:
            for f in [ex.submit(read, i) for i in range(len(pool))]:
                f.result()
        s3 = pool[0]
        # LIST agrees with GET.
        for b in LOAD_BUCKETS:
            op = self.new_op("check", "ListObjectsV2", b)
            resp = self.call(op, s3[b].list_objects_v2, Bucket=b, MaxKeys=1000)
            if resp is None:
                self.problem(f"LIST of {b} after restart: {op.describe()}")
                continue
            if resp.get("IsTruncated"):
                self.problem(f"LIST of {b} is truncated at {resp.get('KeyCount')} keys (more than expected)")
            listed = {o["Key"]: o["Size"] for o in resp.get("Contents", [])}
            mine = {k for (bb, k) in names if bb == b}
            for k in sorted(mine):
                got = observed[("obj", (b, k))]
                size = got[1] if isinstance(got, tuple) else None
                if listed.get(k) != size and got not in ("cut", "error"):
                    self.problem(f"LIST of {b} says {k} is {listed.get(k, 'absent')} bytes; "
                                 f"GET says {fmt_state(got)}")
            for k in sorted(set(listed) - mine):
                self.problem(f"LIST of {b} shows {k}, which the test never wrote")
        # Uploads left open in earlier rounds still have their parts.
        for wid, ups in self.parked.items():
            for b, k, uid, _parts, _full in ups:
                if not self.upload_open(s3[b], b, k, uid):
                    self.problem(f"the upload {uid} of {b}/{k}, left open (all parts acknowledged), "
                                 f"is gone after the restart of round {self.round}")
        # Scratch buckets: there or not, and which policy.
        sc = self.client()
        for name in SCRATCH_BUCKETS:
            try:
                sc.head_bucket(Bucket=name)
            except ClientError as e:
                if e.response["ResponseMetadata"].get("HTTPStatusCode") != 404:
                    self.problem(f"HeadBucket {name} after restart: {e}")
                observed[("bkt", name)] = None
                continue
            op = self.new_op("check", "GetBucketPolicy", name)
            resp = self.call(op, sc.get_bucket_policy, Bucket=name)
            if resp is None:
                if op.code != "NoSuchBucketPolicy":
                    self.problem(f"GetBucketPolicy {name} after restart: {op.describe()}")
                observed[("bkt", name)] = ""
                continue
            try:
                observed[("bkt", name)] = json.loads(resp["Policy"])["Statement"][0]["Sid"]
            except (ValueError, KeyError, IndexError, TypeError):
                self.problem(f"GetBucketPolicy {name}: unexpected policy {resp['Policy']!r}")
                observed[("bkt", name)] = "?"

        mismatches = 0
        # Every name holds its last acknowledged state, or what the request in flight on it left.
        for key, got in observed.items():
            domain, name = key
            known = self.objects[name] if domain == "obj" else self.scratch[name]
            op = self.pending.get(key)
            allowed = [known] + ([new for d, n, _o, new in op.effects if (d, n) == key] if op else [])
            if got not in allowed:
                mismatches += 1
                label = "/".join(name) if domain == "obj" else name
                self.problem(
                    f"{'object' if domain == 'obj' else 'bucket'} {label} after the restart of round "
                    f"{self.round} is {fmt_state(got)}; expected {' or '.join(fmt_state(a) for a in allowed)}"
                    + (f" (in flight: {op.describe()})" if op else " (no request was in flight on it)")
                    + self.history(key))
        # The requests in flight: wholly applied or not at all.
        in_flight = {op.id: op for op in self.pending.values()}
        for op in [o for o in self.ops if o.round == self.round and o.acked is False]:
            in_flight.setdefault(op.id, op)
        for op in in_flight.values():
            verdicts = []
            for domain, name, old, new in op.effects:
                got = observed.get((domain, name))
                verdicts.append(None if old == new else True if got == new else False if got == old else None)
            applied = True if True in verdicts else False if False in verdicts else None
            if True in verdicts and False in verdicts:
                mismatches += 1
                self.problem(f"half-applied request: {op.describe()}: " + ", ".join(
                    f"{'/'.join(n) if d == 'obj' else n} is {fmt_state(observed.get((d, n)))} "
                    f"(was {fmt_state(o)}, would be {fmt_state(nw)})" for d, n, o, nw in op.effects))
            if op.kind == "CompleteMultipartUpload":
                b, k = op.effects[0][1]
                still_open = self.upload_open(s3[b], b, k, op.upload_id)
                if applied is True and still_open:
                    mismatches += 1
                    self.problem(f"half-done CompleteMultipartUpload: the object is there and the "
                                 f"upload still open: {op.describe()}")
                elif applied is False and not still_open:
                    mismatches += 1
                    self.problem(f"half-done CompleteMultipartUpload: the upload is gone but the "
                                 f"object is not there: {op.describe()}")
                if applied is None:
                    applied = not still_open
                up = op.parked_upload
                if up is not None and still_open:
                    self.parked[int(k.split("/")[0][1:])].append(up)  # still open: completed later
            if op.never_sent and applied:
                mismatches += 1
                self.problem(f"the change of a request that was never sent is visible: {op.describe()}")
            op.expect = {True: "applied", False: "not-applied", None: "any"}[applied]
        # What was seen is now what is known.
        for (domain, name), got in observed.items():
            if got not in ("error", "cut", "?"):
                (self.objects if domain == "obj" else self.scratch)[name] = got
        self.pending.clear()
        return mismatches, len(in_flight)

    def history(self, key):
        ops = [op for op in self.ops if op.phase == "load" and any((d, n) == key for d, n, _o, _n in op.effects)]
        return "".join(f"\n      {op.describe()}" for op in ops[-4:])

    # -- delivery --
    @staticmethod
    def expected_record(op):
        """'ok'/'err': exactly one record, success/error; 'applied': exactly one success record;
        'not-applied': no success record; 'any': at most one; 'none': no record at all."""
        if op.acked:
            return "ok" if op.ok else "err"
        if op.never_sent:
            return "none"
        return op.expect or "any"

    def missing(self, upto_id, from_id=1):
        """[(trail, op)] for ops (from_id <= id < upto_id) whose record must be delivered and is
        not (yet)."""
        out = []
        for d in self.deliveries:
            for op in self.ops[from_id - 1:upto_id - 1]:
                if d.trail.takes(op) is True and self.expected_record(op) in ("ok", "err", "applied") \
                        and op.token not in d.by_token:
                    out.append((d.trail.name, op))
        return out

    def refresh_deliveries(self):
        s3 = self.client()
        for d in self.deliveries:
            d.refresh(s3)

    def wait_delivered(self, upto_id, timeout):
        """Waits (at most `timeout`) for the records of the ops not waited for yet; returns every
        record still missing among the ops before upto_id."""
        end = time.monotonic() + timeout
        while True:
            self.refresh_deliveries()
            new = self.missing(upto_id, self.waited_upto)
            if not new or time.monotonic() >= end:
                break
            time.sleep(0.3)
        for tn, op in new[:5]:
            self.warnings.append(f"round {self.round}: {tn}: not delivered within {timeout:.0f} s: "
                                 f"{op.describe()}")
        self.waited_upto = max(self.waited_upto, upto_id)
        return self.missing(upto_id)

    def total_duplicated(self):
        return sum(d.duplicated() for d in self.deliveries)

    def verify_records(self):
        """The final check over every delivered record; returns (lost, duplicated)."""
        lost = 0
        for d in self.deliveries:
            tn = d.trail.name
            for f in d.bad_files:
                self.problem(f"{tn}: bad log file {f}")
            for ev, n in d.event_ids.items():
                if n > 1:
                    self.problem(f"{tn}: eventID {ev} delivered {n} times")
            for rid, n in d.request_ids.items():
                if n > 1:
                    self.problem(f"{tn}: requestID {rid} delivered {n} times")
            for op in self.ops:
                recs = d.by_token.get(op.token, [])
                takes = d.trail.takes(op)
                if takes is False and recs:
                    self.problem(f"{tn}: delivered a record it does not select: {op.describe()}")
                exp = self.expected_record(op) if takes else "any"
                where = ", ".join(f"{r['_file'].rsplit('/', 1)[-1]} eventID {r.get('eventID')}" for r in recs)
                if len(recs) > 1:
                    self.problem(f"{tn}: {len(recs)} records for one request: {op.describe()} ({where})")
                rec = recs[0] if recs else None
                if rec is None:
                    if exp in ("ok", "err", "applied"):
                        lost += 1
                        why = "acknowledged" if exp != "applied" else "unacknowledged, its change is visible"
                        self.problem(f"{tn}: record missing ({why}): {op.describe()}")
                    continue
                failed = bool(rec.get("errorCode"))
                if op.acked and rec.get("requestID") != op.request_id:
                    self.problem(f"{tn}: record requestID {rec.get('requestID')} is not the response's: "
                                 f"{op.describe()}")
                if exp == "ok" and failed:
                    self.problem(f"{tn}: success answered, error {rec.get('errorCode')} recorded: {op.describe()}")
                elif exp == "err" and not failed:
                    self.problem(f"{tn}: error answered, success recorded: {op.describe()}")
                elif exp == "applied" and failed:
                    self.problem(f"{tn}: the change is visible but its record says {rec.get('errorCode')}: "
                                 f"{op.describe()}")
                elif exp == "not-applied" and not failed:
                    self.problem(f"{tn}: a success record for a change that did not happen: {op.describe()} ({where})")
                elif exp == "none":
                    self.problem(f"{tn}: a record for a request that was never sent (connection refused): "
                                 f"{op.describe()}")
        if lost:
            self.explain_lost()
        return lost, self.total_duplicated()

    def explain_lost(self):
        """Where the lost records come from: by trail, round and phase, and whether a
        StopLogging+StartLogging came right after them."""
        groups = collections.Counter()
        for d in self.deliveries:
            for _tn, op in self.missing(len(self.ops) + 1):
                if _tn == d.trail.name:
                    groups[(d.trail.name, op.round, op.phase)] += 1
        for (tn, rnd, phase), n in sorted(groups.items()):
            note = ""
            if tn == TRAILS[0].name and rnd in self.stop_start:
                note = (f"; StopLogging+StartLogging of {tn} came after them in round {rnd} "
                        f"(logged before the stop, still owed)")
            self.lost_notes.append(f"lost: {n} records of {tn} from round {rnd}, {phase} phase{note}")

    # -- the run --
    def setup(self):
        s3 = self.client()
        ct = self.client("cloudtrail")
        acct = self.server.account_id()
        for b, region in LOAD_BUCKETS.items():
            kw = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            self.client(region=region).create_bucket(Bucket=b, **kw)
        for t in TRAILS:
            s3.create_bucket(Bucket=t.bucket)
            base = f"arn:aws:s3:::{t.bucket}/" + (f"{t.prefix}/" if t.prefix else "")
            s3.put_bucket_policy(Bucket=t.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow",
                 "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
                 "Resource": f"arn:aws:s3:::{t.bucket}"},
                {"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
                 "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
                 "Resource": f"{base}AWSLogs/{acct}/*",
                 "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}))
            kw = {"S3KeyPrefix": t.prefix} if t.prefix else {}
            home = self.client("cloudtrail", region=t.home)
            home.create_trail(Name=t.name, S3BucketName=t.bucket, IsMultiRegionTrail=t.multi_region, **kw)
            if t.name in ADVANCED_SELECTORS:
                home.put_event_selectors(TrailName=t.name, AdvancedEventSelectors=ADVANCED_SELECTORS[t.name])
        ct.put_event_selectors(TrailName=TRAILS[0].name, EventSelectors=[{
            "ReadWriteType": "All", "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object",
                               "Values": [f"arn:aws:s3:::{b}/" for b in LOAD_BUCKETS]}]}])
        for t in TRAILS:
            self.client("cloudtrail", region=t.home).start_logging(Name=t.name)

    def check_sanitizers(self, when):
        lines = self.server.sanitizer_reports()
        if lines:
            self.problem(f"sanitizer report {when}:\n  " + "\n  ".join(lines[:20])
                         + "\n--- server stderr (tail) ---\n" + self.server.stderr_tail())
            return True
        return False

    def run(self):
        args = self.args
        print(f"crashtest: {args.rounds} rounds, binary {args.bin}, seed {args.seed}, "
              f"data {self.server.data}", flush=True)
        self.new_session()
        if args.recovery_kill > 0:
            # The very first start, on an empty directory, killed while it creates the store
            # (schema, master key, default account).
            self.server.spawn()
            time.sleep(self.rng.uniform(0, 0.1))
            self.server.kill()
        self.server.start(args.start_timeout)
        if self.check_sanitizers("at the first start"):
            return None
        self.setup()
        for rnd in range(1, args.rounds + 1):
            self.round = rnd
            seconds = self.rng.uniform(args.min_load, args.max_load)
            load_ops = self.run_load(seconds, self.rng.random())
            kill_id = len(self.ops) + 1
            acked = sum(1 for op in load_ops if op.acked)
            in_flight = sum(1 for op in load_ops if op.acked is False)
            self.check_sanitizers(f"before the kill of round {rnd}")
            recovery_kill = ""
            if self.rng.random() < args.recovery_kill:
                # A second crash while the restart recovers (store open, orphan sweep, first pass).
                self.server.spawn()
                time.sleep(self.rng.uniform(0, 0.25))
                self.server.kill()
                recovery_kill = " (after a kill during recovery)"
            try:
                restart = self.server.start(args.start_timeout)
            except StartFailure as e:
                self.problem(f"round {rnd}: the restart failed: {e}\n--- server stderr (tail) ---\n"
                             + self.server.stderr_tail())
                return None
            if self.check_sanitizers(f"at the restart of round {rnd}"):
                return None
            self.new_session()
            self.killing.clear()  # from here on, a connection that fails is the server's fault
            t0 = time.monotonic()
            try:
                mismatches, _ = self.check_state()
            except Unacked as e:
                self.problem(f"round {rnd}: the server stopped answering during the checks: "
                             f"{e.args[0].describe()}\n" + self.server.stderr_tail())
                return None
            t_check = time.monotonic() - t0
            flushed = ""
            if args.stop_start_every and rnd % args.stop_start_every == 0:
                ct = self.client("cloudtrail")
                self.stop_start[rnd] = len(self.ops) + 1
                ct.stop_logging(Name=TRAILS[0].name)
                ct.start_logging(Name=TRAILS[0].name)
                flushed = ", Stop+StartLogging"
            # Every record committed before this kill must reach its log bucket.
            miss = self.wait_delivered(kill_id, args.delivery_timeout)
            self.lost, self.duplicated = len(miss), self.total_duplicated()
            files = sum(len(d.files) for d in self.deliveries)
            records = sum(d.records() for d in self.deliveries)
            print(f"round {rnd}/{args.rounds}: {acked} acked, {in_flight} in flight at kill, "
                  f"restart {restart:.2f} s{recovery_kill}, {self.lost} lost, {self.duplicated} duplicated"
                  + (f", {mismatches} bad objects" if mismatches else "")
                  + f"  [load {seconds:.1f} s, check {t_check:.1f} s{flushed}, {files} files, {records} records]",
                  flush=True)
            if not self.server.alive():
                self.problem(f"round {rnd}: the server died during the checks\n" + self.server.stderr_tail())
                return None
        # The final flush: StopLogging delivers what is pending; then every record is checked.
        for t in TRAILS:
            self.client("cloudtrail", region=t.home).stop_logging(Name=t.name)
        self.wait_delivered(len(self.ops) + 1, args.delivery_timeout)
        time.sleep(args.interval + 1)  # a second delivery of anything would show up now
        self.refresh_deliveries()
        for t in TRAILS:
            status = self.client("cloudtrail", region=t.home).get_trail_status(Name=t.name)
            if status.get("LatestDeliveryError"):
                self.warnings.append(f"{t.name}: LatestDeliveryError {status['LatestDeliveryError']}")
        rc = self.server.stop()
        if rc != 0:
            self.problem(f"exit status {rc} after SIGTERM\n" + self.server.stderr_tail())
        self.check_sanitizers("at shutdown")
        self.lost, self.duplicated = self.verify_records()
        return True

    def outcome_summary(self):
        unacked = [op for op in self.ops if op.acked is False]
        c = collections.Counter(self.expected_record(op) for op in unacked)
        with_rec = sum(1 for op in unacked if op.token in self.deliveries[0].by_token)
        return (f"{sum(1 for o in self.ops if o.acked)} acknowledged requests; "
                f"{len(unacked)} unacknowledged: {c['applied']} applied, {c['not-applied']} not applied, "
                f"{c['any']} undecidable, {c['none']} never sent; {with_rec} of them recorded")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 20)))
    ap.add_argument("--bin", default=os.environ.get("S3TRAIL_BIN", "./s3trail"))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--workers", type=int, default=6, help="object load threads (each owns its keys)")
    ap.add_argument("--keys", type=int, default=8, help="keys per worker per load bucket")
    ap.add_argument("--min-load", type=float, default=1.0, help="seconds of load before the kill, at least")
    ap.add_argument("--max-load", type=float, default=4.0, help="... and at most")
    ap.add_argument("--interval", type=int, default=1, help="serve --delivery-interval")
    ap.add_argument("--stop-start-every", type=int, default=3,
                    help="flush crash-trail with StopLogging+StartLogging every N rounds (0: never)")
    ap.add_argument("--recovery-kill", type=float, default=0.25,
                    help="probability that a restart is killed once more while it recovers")
    ap.add_argument("--check-threads", type=int, default=6)
    ap.add_argument("--start-timeout", type=float, default=60.0)
    ap.add_argument("--request-timeout", type=float, default=60.0)
    ap.add_argument("--delivery-timeout", type=float, default=20.0,
                    help="seconds to wait for a round's records to be delivered")
    ap.add_argument("--keep", action="store_true", help="keep the data directory even on success")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    if not os.access(args.bin, os.X_OK):
        print(f"crashtest: {args.bin} is not an executable (build it: make s3trail)", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    test = CrashTest(args)
    try:
        test.run()
    except StartFailure as e:
        test.problem(f"the server did not start: {e}\n--- server stderr (tail) ---\n" + test.server.stderr_tail())
    except Exception:  # noqa: BLE001
        test.problem("the test itself failed:\n" + traceback.format_exc())
    finally:
        test.server.kill()
    for w in test.warnings[:20]:
        print(f"warning: {w}")
    # Lost records come by the hundred when they do: show a few; the `lost:` lines sum them up.
    missing = [p for p in test.problems if ": record missing (" in p]
    shown = [p for p in test.problems if ": record missing (" not in p] + missing[:10]
    for p in shown[:60]:
        print(f"FAIL: {p}")
    if len(test.problems) > min(len(shown), 60):
        print(f"FAIL: ... and {len(test.problems) - min(len(shown), 60)} more")
    for n in test.lost_notes:
        print(f"FAIL: {n}")
    failed = bool(test.problems) or test.lost or test.duplicated
    if failed or args.keep:
        print(f"crashtest: data directory and server logs kept in {test.workdir} (seed {args.seed})")
    else:
        shutil.rmtree(test.workdir, ignore_errors=True)
    print(f"crashtest: {test.outcome_summary()}")
    print("crashtest: delivered " + ", ".join(f"{d.trail.name} {len(d.files)} files / {d.records()} records"
                                             for d in test.deliveries) + f"; {time.monotonic() - t0:.1f} s")
    print(f"crashtest: {test.round} rounds, {test.lost} lost, {test.duplicated} duplicated")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
