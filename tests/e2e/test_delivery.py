"""Trails deliver log files: AWS's key layout, gzip JSON, management events by default, data
events by selector, StopLogging and shutdown flush, delivery errors, and exactly once across a
kill -9."""
import gzip
import json
import re
import threading
import time

import pytest

from e2e_support import ct_client

KEY_RE = re.compile(r"^(?:(?P<prefix>.+)/)?AWSLogs/(?P<acct>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/"
                    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P=acct)_CloudTrail_(?P=region)_"
                    r"(?P=y)(?P=m)(?P=d)T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$")


def account_of(srv):
    return re.search(r"account:\s+(\d{12})", srv.stdout_path.read_text()).group(1)


def clients(srv, region="us-east-1"):
    return srv.client(region=region), ct_client(srv, region=region)


def log_bucket(s3, account, name, prefix=""):
    s3.create_bucket(Bucket=name)
    base = f"arn:aws:s3:::{name}/" + (f"{prefix}/" if prefix else "")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{name}"},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"{base}AWSLogs/{account}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def delivered(s3, bucket):
    """Every record in every log file of the bucket, with the file key."""
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            doc = json.loads(gzip.decompress(body))
            assert list(doc) == ["Records"]
            out += [(o["Key"], r) for r in doc["Records"]]
    return out


def wait_for(pred, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    return pred()


@pytest.fixture
def fast(start_server):
    return start_server("delivery", extra_args=["--delivery-interval", "1"])


def test_management_events_by_default_in_aws_layout(fast):
    s3, ct = clients(fast)
    acct = account_of(fast)
    log_bucket(s3, acct, "trail-logs")
    ct.create_trail(Name="main-trail", S3BucketName="trail-logs")
    ct.start_logging(Name="main-trail")
    r1 = s3.create_bucket(Bucket="work-bucket")["ResponseMetadata"]["RequestId"]
    r2 = s3.list_buckets()["ResponseMetadata"]["RequestId"]
    s3.put_object(Bucket="work-bucket", Key="k", Body=b"x")  # a data event: not selected
    recs = wait_for(lambda: {r["requestID"]: (k, r) for k, r in delivered(s3, "trail-logs")}
                    if r2 in {r["requestID"] for _, r in delivered(s3, "trail-logs")} else None)
    assert recs, "the management events were not delivered within 15 s"
    assert r1 in recs and r2 in recs
    key, rec = recs[r1]
    m = KEY_RE.match(key)
    assert m and m.group("acct") == acct and m.group("region") == "us-east-1", key
    assert rec["eventName"] == "CreateBucket" and rec["managementEvent"] is True
    assert all(r["eventCategory"] == "Management" for _, r in delivered(s3, "trail-logs"))
    head = s3.head_object(Bucket="trail-logs", Key=key)
    assert head["ContentType"] == "application/json"
    assert head["ServerSideEncryption"] == "AES256"
    # Encrypted at rest: no file under the data directory holds the log file's bytes.
    gz = s3.get_object(Bucket="trail-logs", Key=key)["Body"].read()
    assert gz[:2] == b"\x1f\x8b"
    blobs = [p for p in (fast.data_dir / "blobs").rglob("*") if p.is_file()]
    assert blobs
    for p in blobs:
        raw = p.read_bytes()
        assert gz[:64] not in raw and not raw.startswith(b"\x1f\x8b"), p
    # The delivery's own writes are recorded as AWS records them (AWSService).
    dump = [json.loads(l) for l in fast_admin_dump(fast)]
    puts = [r for r in dump if r["eventName"] == "PutObject"
            and r["userIdentity"].get("invokedBy") == "cloudtrail.amazonaws.com"]
    assert puts and puts[0]["userIdentity"] == {"type": "AWSService",
                                                "invokedBy": "cloudtrail.amazonaws.com"}
    assert puts[0]["requestParameters"]["x-amz-acl"] == "bucket-owner-full-control"


def fast_admin_dump(srv):
    import subprocess
    out = subprocess.run([srv.binary, "admin", "--data", str(srv.data_dir), "events", "dump"],
                         check=True, capture_output=True, text=True, env=srv.env()).stdout
    return [l for l in out.splitlines() if l.strip()]


def test_data_events_by_prefix_selector(fast):
    s3, ct = clients(fast)
    acct = account_of(fast)
    log_bucket(s3, acct, "data-logs", prefix="pfx")
    ct.create_trail(Name="data-trail", S3BucketName="data-logs", S3KeyPrefix="pfx")
    ct.put_event_selectors(TrailName="data-trail", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": False,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::src-bucket/in/"]}]}])
    ct.start_logging(Name="data-trail")
    s3.create_bucket(Bucket="src-bucket")
    want = s3.put_object(Bucket="src-bucket", Key="in/a", Body=b"a")["ResponseMetadata"]["RequestId"]
    other = s3.put_object(Bucket="src-bucket", Key="out/b", Body=b"b")["ResponseMetadata"]["RequestId"]
    listed = s3.list_objects_v2(Bucket="src-bucket", Prefix="in/")["ResponseMetadata"]["RequestId"]
    recs = wait_for(lambda: (lambda d: d if want in d and listed in d else None)(
        {r["requestID"]: (k, r) for k, r in delivered(s3, "data-logs")}))
    assert recs, "the selected data events were not delivered"
    assert other not in recs
    assert all(r["eventCategory"] == "Data" for _, r in recs.values())
    assert all(k.startswith("pfx/AWSLogs/") for k, _ in recs.values())
    assert recs[listed][1]["eventName"] == "ListObjects"


def test_stop_logging_flushes_and_stops(start_server):
    srv = start_server("stop", extra_args=["--delivery-interval", "300"])
    s3, ct = clients(srv)
    acct = account_of(srv)
    log_bucket(s3, acct, "stop-logs")
    ct.create_trail(Name="stop-trail", S3BucketName="stop-logs")
    ct.start_logging(Name="stop-trail")
    rid = s3.create_bucket(Bucket="before-stop")["ResponseMetadata"]["RequestId"]
    ct.stop_logging(Name="stop-trail")
    after = s3.create_bucket(Bucket="after-stop")["ResponseMetadata"]["RequestId"]
    recs = wait_for(lambda: (lambda d: d if rid in d else None)(
        {r["requestID"]: r for _, r in delivered(s3, "stop-logs")}), timeout=10)
    assert recs, "StopLogging did not flush within 10 s (interval 300 s)"
    assert after not in recs
    status = ct.get_trail_status(Name="stop-trail")
    assert status["IsLogging"] is False and "LatestDeliveryTime" in status


def test_delivery_error_is_reported_and_cleared(fast):
    s3, ct = clients(fast)
    acct = account_of(fast)
    log_bucket(s3, acct, "gone-logs")
    ct.create_trail(Name="err-trail", S3BucketName="gone-logs")
    ct.start_logging(Name="err-trail")
    s3.delete_bucket_policy(Bucket="gone-logs")
    s3.delete_bucket(Bucket="gone-logs")
    s3.create_bucket(Bucket="trigger-1")
    st = wait_for(lambda: (lambda s: s if s.get("LatestDeliveryError") else None)(
        ct.get_trail_status(Name="err-trail")))
    assert st and st["LatestDeliveryError"] == "NoSuchBucket"
    log_bucket(s3, acct, "gone-logs")
    st = wait_for(lambda: (lambda s: s if not s.get("LatestDeliveryError") else None)(
        ct.get_trail_status(Name="err-trail")), timeout=90)
    assert st, "the error was not cleared after the bucket came back"
    assert any(r["eventName"] == "CreateBucket" and r["requestParameters"]["bucketName"] == "trigger-1"
               for _, r in delivered(s3, "gone-logs"))


def test_exactly_once_across_kill_9(start_server):
    srv = start_server("crash", extra_args=["--delivery-interval", "1"])
    s3, ct = clients(srv)
    acct = account_of(srv)
    log_bucket(s3, acct, "crash-logs")
    ct.create_trail(Name="crash-trail", S3BucketName="crash-logs")
    ct.put_event_selectors(TrailName="crash-trail", EventSelectors=[{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::load-bucket/"]}]}])
    ct.start_logging(Name="crash-trail")
    s3.create_bucket(Bucket="load-bucket")
    acked = []
    stop = threading.Event()

    def load(n):
        c, _ = clients(srv)
        i = 0
        while not stop.is_set():
            try:
                r = c.put_object(Bucket="load-bucket", Key=f"t{n}/{i}", Body=b"x" * 100)
                acked.append(r["ResponseMetadata"]["RequestId"])
            except Exception:  # noqa: BLE001 - the server dies under the load on purpose
                return
            i += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(2.5)
    srv.kill()  # SIGKILL mid-load, with deliveries under way
    stop.set()
    for t in threads:
        t.join()
    srv.start()
    s3, ct = clients(srv)
    assert len(acked) > 20

    def check():
        recs = [r for _, r in delivered(s3, "crash-logs")]
        ids = [r["requestID"] for r in recs]
        return recs if set(acked) <= set(ids) else None

    recs = wait_for(check, timeout=30)
    assert recs, "some acknowledged writes' records were never delivered"
    event_ids = [r["eventID"] for r in recs]
    assert len(event_ids) == len(set(event_ids)), "a record was delivered twice"


def test_seed_example_calls_are_delivered(fast):
    """The seed page's own example: ListBuckets, PutBucketAcl, GetBucketVersioning in a log file
    (the last two answer NotImplemented until their issues, and are recorded with that code)."""
    s3, ct = clients(fast)
    acct = account_of(fast)
    log_bucket(s3, acct, "seed-logs")
    ct.create_trail(Name="seed-trail", S3BucketName="seed-logs")
    ct.start_logging(Name="seed-trail")
    s3.create_bucket(Bucket="seed-bucket")
    ids = {"ListBuckets": s3.list_buckets()["ResponseMetadata"]["RequestId"]}
    for name, call in (("PutBucketAcl", lambda: s3.put_bucket_acl(Bucket="seed-bucket", ACL="private")),
                       ("GetBucketVersioning", lambda: s3.get_bucket_versioning(Bucket="seed-bucket"))):
        try:
            ids[name] = call()["ResponseMetadata"]["RequestId"]
        except s3.exceptions.ClientError as e:
            ids[name] = e.response["ResponseMetadata"]["RequestId"]
    recs = wait_for(lambda: (lambda d: d if set(ids.values()) <= set(d) else None)(
        {r["requestID"]: r for _, r in delivered(s3, "seed-logs")}))
    assert recs, "the seed calls were not all delivered"
    for name, rid in ids.items():
        r = recs[rid]
        assert r["eventName"] == name and r["eventSource"] == "s3.amazonaws.com"
        assert r["userIdentity"]["type"] == "Root" and r["userIdentity"]["accountId"] == acct
        assert r["awsRegion"] == "us-east-1" and r["eventType"] == "AwsApiCall"
        assert r["recipientAccountId"] == acct
    assert "errorCode" not in recs[ids["ListBuckets"]]
    for name in ("PutBucketAcl", "GetBucketVersioning"):
        if recs[ids[name]].get("errorCode"):
            assert recs[ids[name]]["errorCode"] == "NotImplemented"


def test_multi_region_and_single_region_trails(start_server):
    srv = start_server("regions", extra_args=["--delivery-interval", "1"])
    s3, ct = clients(srv)
    acct = account_of(srv)
    log_bucket(s3, acct, "multi-logs")
    log_bucket(s3, acct, "single-logs")
    ct.create_trail(Name="multi", S3BucketName="multi-logs", IsMultiRegionTrail=True)
    ct.create_trail(Name="single", S3BucketName="single-logs")
    ct.start_logging(Name="multi")
    ct.start_logging(Name="single")
    eu = s3.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    eu_id = eu["ResponseMetadata"]["RequestId"]
    us_id = s3.create_bucket(Bucket="us-bucket")["ResponseMetadata"]["RequestId"]
    multi = wait_for(lambda: (lambda d: d if {eu_id, us_id} <= set(d) else None)(
        {r["requestID"]: (k, r) for k, r in delivered(s3, "multi-logs")}))
    assert multi, "the multi-region trail did not receive both regions' events"
    assert "/CloudTrail/eu-west-1/" in multi[eu_id][0] and multi[eu_id][1]["awsRegion"] == "eu-west-1"
    single = wait_for(lambda: (lambda d: d if us_id in d else None)(
        {r["requestID"]: r for _, r in delivered(s3, "single-logs")}))
    assert single and eu_id not in single


def test_advanced_selectors(fast):
    s3, ct = clients(fast)
    acct = account_of(fast)
    log_bucket(s3, acct, "adv-logs")
    ct.create_trail(Name="adv-trail", S3BucketName="adv-logs")
    ct.put_event_selectors(TrailName="adv-trail", AdvancedEventSelectors=[{
        "Name": "deletes only",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "eventName", "Equals": ["DeleteObject", "DeleteObjects"]},
            {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::adv-src/"]}]}])
    ct.start_logging(Name="adv-trail")
    s3.create_bucket(Bucket="adv-src")
    put = s3.put_object(Bucket="adv-src", Key="a", Body=b"a")["ResponseMetadata"]["RequestId"]
    dele = s3.delete_object(Bucket="adv-src", Key="a")["ResponseMetadata"]["RequestId"]
    multi = s3.delete_objects(Bucket="adv-src", Delete={"Objects": [{"Key": "secret-name"}]})
    multi_id = multi["ResponseMetadata"]["RequestId"]
    recs = wait_for(lambda: (lambda d: d if {dele, multi_id} <= set(d) else None)(
        {r["requestID"]: r for _, r in delivered(s3, "adv-logs")}))
    assert recs, "the selected deletes were not delivered"
    assert put not in recs
    assert all(r["eventName"] in ("DeleteObject", "DeleteObjects") for r in recs.values())
    assert "secret-name" not in json.dumps(recs[multi_id])  # DeleteObjects records carry no keys


def test_graceful_shutdown_flushes(start_server):
    srv = start_server("shutdown", extra_args=["--delivery-interval", "300"])
    s3, ct = clients(srv)
    acct = account_of(srv)
    log_bucket(s3, acct, "shut-logs")
    ct.create_trail(Name="shut-trail", S3BucketName="shut-logs")
    ct.start_logging(Name="shut-trail")
    rid = s3.create_bucket(Bucket="shut-bucket")["ResponseMetadata"]["RequestId"]
    assert srv.stop() is None
    srv.start()
    s3, _ = clients(srv)
    assert rid in {r["requestID"] for _, r in delivered(s3, "shut-logs")}


def test_delete_trail_flushes(start_server):
    srv = start_server("delete", extra_args=["--delivery-interval", "300"])
    s3, ct = clients(srv)
    acct = account_of(srv)
    log_bucket(s3, acct, "del-logs")
    ct.create_trail(Name="del-trail", S3BucketName="del-logs")
    ct.start_logging(Name="del-trail")
    rid = s3.create_bucket(Bucket="before-delete")["ResponseMetadata"]["RequestId"]
    ct.delete_trail(Name="del-trail")
    with pytest.raises(ct.exceptions.TrailNotFoundException):
        ct.get_trail(Name="del-trail")
    after = s3.create_bucket(Bucket="after-delete")["ResponseMetadata"]["RequestId"]
    recs = wait_for(lambda: (lambda d: d if rid in d else None)(
        {r["requestID"]: r for _, r in delivered(s3, "del-logs")}), timeout=10)
    assert recs, "DeleteTrail did not flush within 10 s (interval 300 s)"
    assert after not in recs
    # A new trail of the same name starts clean.
    ct.create_trail(Name="del-trail", S3BucketName="del-logs")
    assert ct.get_trail_status(Name="del-trail")["IsLogging"] is False


def test_own_deliveries_do_not_feed_back(fast):
    """A trail that logs data events on its own log bucket sees each delivery's PutObject; those
    records travel with the next real events and never cause deliveries by themselves."""
    s3, ct = clients(fast)
    acct = account_of(fast)
    log_bucket(s3, acct, "loop-logs")
    ct.create_trail(Name="loop-trail", S3BucketName="loop-logs")
    # WriteOnly: this test's own reads of the log bucket must not count as activity.
    ct.put_event_selectors(TrailName="loop-trail", EventSelectors=[{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::loop-logs/"]}]}])
    ct.start_logging(Name="loop-trail")
    s3.create_bucket(Bucket="loop-trigger")

    def count():
        return len(s3.list_objects_v2(Bucket="loop-logs").get("Contents", []))

    assert wait_for(lambda: count() >= 1)
    time.sleep(3)  # three delivery intervals with nothing but our own activity
    settled = count()
    time.sleep(3)
    assert count() == settled, "deliveries keep producing deliveries"
    # The next real event carries the pending delivery records along.
    s3.create_bucket(Bucket="loop-trigger-2")
    recs = wait_for(lambda: (lambda rs: rs if any(r["eventName"] == "CreateBucket" and
                                                  r["requestParameters"]["bucketName"] == "loop-trigger-2"
                                                  for r in rs) else None)(
        [r for _, r in delivered(s3, "loop-logs")]))
    assert recs
    assert any(r["userIdentity"].get("invokedBy") == "cloudtrail.amazonaws.com" for r in recs)


def test_full_files_go_out_without_waiting_for_the_interval(start_server):
    """A file holds at most 5000 records: a backlog of full files is delivered at once, back to
    back, while the rest waits for the (here 300 s) interval, and StopLogging sends the rest."""
    srv = start_server("full-files", extra_args=["--delivery-interval", "300"])
    s3, ct = clients(srv)
    log_bucket(s3, account_of(srv), "full-logs")
    s3.create_bucket(Bucket="busy")
    ct.create_trail(Name="full-trail", S3BucketName="full-logs")
    ct.put_event_selectors(TrailName="full-trail", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": False,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::busy/"]}]}])
    ct.start_logging(Name="full-trail")
    total = 10_300

    def heads(n):
        c = srv.client()
        for i in range(n):
            try:
                c.head_object(Bucket="busy", Key=f"missing-{i}")
            except c.exceptions.ClientError:
                pass  # 404: recorded all the same

    threads = [threading.Thread(target=heads, args=(total // 4,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    files = wait_for(lambda: (lambda k: k if len(k) >= 2 else None)(
        [o["Key"] for o in s3.list_objects_v2(Bucket="full-logs").get("Contents", [])]), timeout=30)
    assert files and len(files) == 2, files
    recs = [r for _, r in delivered(s3, "full-logs")]
    assert len(recs) == 10_000 and {r["eventName"] for r in recs} == {"HeadObject"}
    ct.stop_logging(Name="full-trail")
    recs = wait_for(lambda: (lambda r: r if len(r) >= total else None)(
        [r for _, r in delivered(s3, "full-logs")]))
    assert recs and len(recs) == total
    assert len({r["eventID"] for r in recs}) == total


@pytest.mark.parametrize("interval", ["1", "300"])
def test_start_right_after_stop_still_delivers_what_was_owed(start_server, interval):
    """StopLogging then StartLogging before the stop's flush ran: events logged before the stop
    are still delivered, those made while stopped are not, those after the start are."""
    srv = start_server("stop-start", extra_args=["--delivery-interval", interval])
    s3, ct = clients(srv)
    log_bucket(s3, account_of(srv), "ss-logs")
    ct.create_trail(Name="ss-trail", S3BucketName="ss-logs")
    ct.start_logging(Name="ss-trail")
    s3.create_bucket(Bucket="made-while-logging")
    ct.stop_logging(Name="ss-trail")
    s3.create_bucket(Bucket="made-while-stopped")
    ct.start_logging(Name="ss-trail")
    s3.create_bucket(Bucket="made-after-restart")
    ct.stop_logging(Name="ss-trail")  # flushes

    def names():
        return [r["requestParameters"]["bucketName"] for _, r in delivered(s3, "ss-logs")
                if r["eventName"] == "CreateBucket"]

    got = wait_for(lambda: (lambda n: n if "made-after-restart" in n and "made-while-logging" in n
                            else None)(names()), timeout=30)
    assert got, names()
    assert sorted(got) == ["made-after-restart", "made-while-logging"]
