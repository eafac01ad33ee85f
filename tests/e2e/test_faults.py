"""Injected faults (src/util/fault.h): ENOSPC and short writes on body files, fsync failure,
SQLITE_BUSY and SQLITE_FULL, allocation failure. Each gives the client a clear S3 error, stores
nothing half-done, records what it must, and the server goes on serving once the fault is gone."""
import os
import random
import signal
import time

import botocore.exceptions
import pytest

from e2e_support import error_of, journal, random_bytes
from test_delivery import account_of, clients, delivered, log_bucket, wait_for


class FaultyServer:
    """A dedicated server whose fault rules the test changes while it runs (file + SIGUSR2)."""

    def __init__(self, start_server, extra_args=()):
        self.rules_path = None
        self.srv = None
        self._start(start_server, extra_args)

    def _start(self, start_server, extra_args):
        import tempfile
        fd, self.rules_path = tempfile.mkstemp(prefix="s3trail-faults-")
        os.close(fd)
        self.srv = start_server("faults", extra_args=list(extra_args),
                                env={"S3TRAIL_FAULTS_FILE": self.rules_path})
        self.s3 = self.srv.client()

    def arm(self, rules=""):
        """Replaces the rules and waits until the server has read them."""
        marker = "fault injection armed" if rules.strip() else "fault injection disarmed"
        before = self.srv.stderr_text().count(marker)
        with open(self.rules_path, "w") as f:
            f.write(rules)
        os.kill(self.srv.proc.pid, signal.SIGUSR2)
        end = time.monotonic() + 10
        while self.srv.stderr_text().count(marker) <= before:
            assert time.monotonic() < end, "the server did not re-read its fault rules"
            time.sleep(0.02)

    def records_of(self, request_id):
        return [r for r in journal(self.srv) if r.get("requestID") == request_id]

    def leftovers(self):
        """Files in the temp directory of bodies being written: none once requests are over."""
        tmp = self.srv.data_dir / "tmp"
        return sorted(os.listdir(tmp)) if tmp.exists() else []

    def cleanup(self):
        os.unlink(self.rules_path)


@pytest.fixture
def faulty(start_server):
    f = FaultyServer(start_server)
    f.s3.create_bucket(Bucket="faults")
    yield f
    f.cleanup()


def failed_put(f, key, body, code, status):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        f.s3.put_object(Bucket="faults", Key=key, Body=body)
    assert error_of(ei.value) == (code, status), ei.value.response
    return ei.value.response["ResponseMetadata"]["RequestId"]


def assert_unchanged(f, key, body):
    if body is None:
        with pytest.raises(botocore.exceptions.ClientError) as ei:
            f.s3.head_object(Bucket="faults", Key=key)
        assert error_of(ei.value)[1] == 404
    else:
        assert f.s3.get_object(Bucket="faults", Key=key)["Body"].read() == body


@pytest.mark.parametrize("rule", ["blob_write enospc after=3", "blob_write eio", "blob_fsync eio"])
@pytest.mark.parametrize("size", [300 * 1024, 5 * 1024 * 1024])
def test_body_file_failure_is_internal_error_and_keeps_the_old_object(faulty, rule, size):
    old = random_bytes(2000, seed=1)
    faulty.s3.put_object(Bucket="faults", Key="k", Body=old)
    faulty.arm(rule)
    rid = failed_put(faulty, "k", random_bytes(size, seed=2), "InternalError", 500)
    faulty.arm()
    assert_unchanged(faulty, "k", old)
    rec = faulty.records_of(rid)
    assert [(r["eventName"], r.get("errorCode")) for r in rec] == [("PutObject", "InternalError")]
    assert faulty.leftovers() == []
    body = random_bytes(size, seed=3)
    faulty.s3.put_object(Bucket="faults", Key="k", Body=body)
    assert_unchanged(faulty, "k", body)


def test_short_writes_store_the_whole_body(faulty):
    faulty.arm("blob_write short times=0")
    body = random_bytes(5 * 1024 * 1024 + 17, seed=4)  # a first part is at least 5 MiB
    faulty.s3.put_object(Bucket="faults", Key="short", Body=body)
    up = faulty.s3.create_multipart_upload(Bucket="faults", Key="mp")
    parts = []
    for n in (1, 2):
        r = faulty.s3.upload_part(Bucket="faults", Key="mp", UploadId=up["UploadId"], PartNumber=n,
                                  Body=body if n == 1 else b"tail")
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    faulty.s3.complete_multipart_upload(Bucket="faults", Key="mp", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": parts})
    faulty.arm()
    assert_unchanged(faulty, "short", body)
    assert_unchanged(faulty, "mp", body + b"tail")


@pytest.mark.parametrize("rule,code,status", [
    ("sql_commit busy", "SlowDown", 503),
    ("sql_commit full", "InternalError", 500),
    ("sql_commit ioerr", "InternalError", 500),
])
def test_failed_commit_answers_an_error_and_records_nothing(faulty, rule, code, status):
    """The change and its record are one transaction: when the COMMIT fails, neither exists,
    and the client is told so."""
    faulty.arm(rule)
    rid = failed_put(faulty, "c", b"small body", code, status)
    faulty.arm()
    assert_unchanged(faulty, "c", None)
    assert faulty.records_of(rid) == []
    faulty.s3.put_object(Bucket="faults", Key="c", Body=b"again")
    assert_unchanged(faulty, "c", b"again")


@pytest.mark.parametrize("rule,code,status", [
    ("sql_write full", "InternalError", 500),
    ("sql_write busy", "SlowDown", 503),
])
def test_failed_statement_rolls_back_the_change_but_records_the_call(faulty, rule, code, status):
    faulty.s3.put_object(Bucket="faults", Key="w", Body=b"before")
    faulty.arm(rule)
    rid = failed_put(faulty, "w", b"after", code, status)
    faulty.arm(rule)  # times=1: the PUT spent the first rule
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        faulty.s3.delete_object(Bucket="faults", Key="w")
    assert error_of(ei.value) == (code, status)
    faulty.arm()
    assert_unchanged(faulty, "w", b"before")
    assert [(r["eventName"], r.get("errorCode")) for r in faulty.records_of(rid)] == [("PutObject", code)]


def test_busy_reads_answer_slow_down(faulty):
    faulty.s3.put_object(Bucket="faults", Key="r", Body=b"read me")
    faulty.arm("sql_read busy")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        faulty.s3.get_object(Bucket="faults", Key="r")
    assert error_of(ei.value) == ("SlowDown", 503), ei.value.response
    faulty.arm()
    assert_unchanged(faulty, "r", b"read me")


def test_allocation_failures_under_mixed_load(faulty):
    """Every answer under random allocation failures is a success or a clear 5xx; nothing
    acknowledged is lost, and the server ends without a sanitizer report (checked at stop)."""
    rnd = random.Random(7)
    faulty.arm("alloc nomem times=0 rate=0.02")
    acked = {}
    outcomes = {}
    for i in range(150):
        key = f"a{rnd.randrange(20)}"
        op = rnd.choice(["put", "put", "get", "list", "delete", "multi", "policy"])
        try:
            if op == "put":
                body = random_bytes(rnd.choice([10, 100_000]), seed=i)
                faulty.s3.put_object(Bucket="faults", Key=key, Body=body)
                acked[key] = body
            elif op == "get":
                got = faulty.s3.get_object(Bucket="faults", Key=key)["Body"].read()
                assert key not in acked or got == acked[key], key
            elif op == "list":
                faulty.s3.list_objects_v2(Bucket="faults", Prefix="a")
            elif op == "delete":
                faulty.s3.delete_object(Bucket="faults", Key=key)
                acked[key] = None
            elif op == "multi":
                out = faulty.s3.delete_objects(Bucket="faults", Delete={"Objects": [{"Key": key}]})
                assert not out.get("Errors"), out["Errors"]
                acked[key] = None
            else:
                faulty.s3.get_bucket_policy(Bucket="faults")
            outcomes["ok"] = outcomes.get("ok", 0) + 1
        except botocore.exceptions.ClientError as e:
            err = error_of(e)
            if err == ("NoSuchKey", 404):
                assert acked.get(key) is None, f"{key} was lost"
                continue
            if err == ("NoSuchBucketPolicy", 404):
                continue
            assert err in (("ServiceUnavailable", 503), ("InternalError", 500)), (op, err)
            outcomes[err[0]] = outcomes.get(err[0], 0) + 1
            # A failed write may or may not have happened (the answer, not the change, failed):
            # either state is acceptable, so forget what we knew.
            if op in ("put", "delete", "multi"):
                acked.pop(key, None)
        except botocore.exceptions.ConnectionError:
            outcomes["closed"] = outcomes.get("closed", 0) + 1
            acked.pop(key, None)
    faulty.arm()
    assert outcomes.get("ok", 0) > 50 and len(outcomes) > 1, outcomes
    for key, body in acked.items():
        assert_unchanged(faulty, key, body)


def test_delivery_survives_a_full_disk(start_server):
    """A trail whose log file cannot be written reports LatestDeliveryError, retries, and once
    the disk has room delivers every record exactly once."""
    f = FaultyServer(start_server, extra_args=["--delivery-interval", "1"])
    try:
        s3, ct = clients(f.srv)
        log_bucket(s3, account_of(f.srv), "fault-logs")
        ct.create_trail(Name="fault-trail", S3BucketName="fault-logs")
        ct.start_logging(Name="fault-trail")
        f.arm("blob_write enospc times=0")
        s3.create_bucket(Bucket="during-fault")
        st = wait_for(lambda: (lambda s: s if s.get("LatestDeliveryError") else None)(
            ct.get_trail_status(Name="fault-trail")))
        assert st and st["LatestDeliveryError"] == "InternalError", st
        f.arm()
        names = wait_for(lambda: (lambda r: r if any(x.get("requestParameters", {}).get("bucketName") ==
                                                      "during-fault" for x in r) else None)(
            [r for _, r in delivered(s3, "fault-logs")]), timeout=90)
        assert names, "the record made during the fault was never delivered"
        ids = [r["eventID"] for r in names]
        assert len(ids) == len(set(ids))
        st = wait_for(lambda: (lambda s: s if not s.get("LatestDeliveryError") else None)(
            ct.get_trail_status(Name="fault-trail")), timeout=30)
        assert st, "the delivery error was not cleared"
    finally:
        f.cleanup()


def test_damaged_body_file_is_an_error_not_a_hang(faulty):
    """A body file cut short behind the server's back (disk damage): GET answers 500 at once
    instead of leaving sendfile waiting for the idle timeout; the server goes on."""
    body = random_bytes(300 * 1024, seed=9)
    faulty.s3.put_object(Bucket="faults", Key="damaged", Body=body)
    blobs = [p for p in (faulty.srv.data_dir / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 1, blobs
    with open(blobs[0], "r+b") as f:
        f.truncate(1000)
    start = time.monotonic()
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        faulty.s3.get_object(Bucket="faults", Key="damaged")
    assert error_of(ei.value) == ("InternalError", 500)
    assert time.monotonic() - start < 5
    assert "shorter than the object says" in faulty.srv.stderr_text()
    faulty.s3.put_object(Bucket="faults", Key="fine", Body=b"ok")
    assert_unchanged(faulty, "fine", b"ok")
