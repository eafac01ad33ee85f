"""CloudTrail event history: LookupEvents on the server's port, with boto3's cloudtrail client and
the aws CLI (shared/reference/cloudtrail.md §5).

What is pinned here: management S3 calls (successful or not) are in the history within 1 s of
their response, newest first, with the Event shape of the model (ReadOnly a string, EventTime an
epoch-seconds number, CloudTrailEvent the record as a string); data events never are; every
LookupAttributes key filters; StartTime/EndTime are inclusive; paging with MaxResults=2 walks
every event once without repeating a token (boto3's paginator and the CLI's auto-pagination);
every error answers HTTP 400 with its exact __type; LookupEvents calls are events themselves;
the history is per account and per region.

Events of one test are told apart from the rest of the session's by the request id each S3 or
CloudTrail response carries, which the record holds as `requestID`. Bucket-scoped lookups
(ResourceName) anchor on GetBucketLocation, whose record names the bucket in resources[];
CreateBucket's and DeleteBucket's real records have no resources, so whether their history
entries carry the bucket is left open here.
"""
import datetime
import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e_support import CT_JSON as JSON_CT, RawCT, ct_client, purge_bucket, unique_bucket_name

VISIBLE_WITHIN = 1.0  # seconds: the design's "events are searchable within a second"


# ---- clients -------------------------------------------------------------------------------------

def s3_client(server, region="us-east-1", creds=None):
    if creds:
        return server.proc.client(access_key=creds[0], secret_key=creds[1], region=region)
    return server.client(region=region)


@pytest.fixture(scope="module")
def ct(server):
    return ct_client(server)


@pytest.fixture(scope="module")
def ct_eu(server):
    return ct_client(server, region="eu-west-1")


@pytest.fixture(scope="module")
def ct_loose(server):
    """A client that lets out-of-range values through to the server."""
    return ct_client(server, validate=False)


@pytest.fixture(scope="module")
def raw_ct(server):
    return RawCT(server)


@pytest.fixture
def buckets(server):
    """make(client) -> a fresh bucket name created with that client; all purged afterwards."""
    made = []

    def make(client, **kw):
        name = unique_bucket_name("ct")
        resp = client.create_bucket(Bucket=name, **kw)
        made.append((client, name))
        return name, rid(resp)

    yield make
    for client, name in reversed(made):
        purge_bucket(client, name)


# ---- helpers -------------------------------------------------------------------------------------

def rid(resp):
    return resp["ResponseMetadata"]["RequestId"]


def touch(s3, name):
    """A management call whose event names the bucket; its request id."""
    return rid(s3.get_bucket_location(Bucket=name))


def record(ev):
    return json.loads(ev["CloudTrailEvent"])


def lookup(ct, **kw):
    kw.setdefault("MaxResults", 50)
    return ct.lookup_events(**kw)


def lookup_all(ct, max_pages=1000, **kw):
    """Every event of a query, through the paginator (PageSize defaults to 50)."""
    page_size = kw.pop("PageSize", 50)
    out = []
    for i, page in enumerate(ct.get_paginator("lookup_events").paginate(
            PaginationConfig={"PageSize": page_size}, **kw)):
        out.extend(page["Events"])
        assert i < max_pages, "too many pages"
    return out


def attr(key, value):
    return {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]}


def wait_for(ct, request_ids, since, **kw):
    """Polls LookupEvents (newest page of the query kw) until every request id is there; asserts
    that took at most VISIBLE_WITHIN seconds after `since` (the monotonic time of the last
    response). Returns {request id: event} and the list of events of the last page."""
    want = set(request_ids)
    while True:
        events = lookup(ct, **kw)["Events"]
        found = {}
        for ev in events:
            r = record(ev).get("requestID")
            if r in want:
                found[r] = ev
        if len(found) == len(want):
            return found, events
        if time.monotonic() - since > VISIBLE_WITHIN:
            missing = want - set(found)
            raise AssertionError(f"events of requests {sorted(missing)} not in the history "
                                 f"{VISIBLE_WITHIN} s after their responses; newest: "
                                 f"{[(e['EventName'], record(e).get('requestID')) for e in events[:10]]}")
        time.sleep(0.02)


def client_error(exc_info):
    e = exc_info.value
    return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


def expect_ct_error(raw_ct, body, code, op="LookupEvents", **kw):
    """The exact JSON 1.1 error: HTTP 400, __type, x-amzn-ErrorType, a message, the content type
    and a request id."""
    status, headers, data = raw_ct(op, body, **kw)
    assert status == 400, (status, data)
    doc = json.loads(data)
    assert doc.get("__type") == code, doc
    assert isinstance(doc.get("message"), str) and doc["message"], doc
    assert headers.get("x-amzn-ErrorType") == code, dict(headers)
    assert headers.get("Content-Type") == JSON_CT, dict(headers)
    assert headers.get("x-amzn-RequestId"), dict(headers)
    return doc


@pytest.fixture(scope="module")
def main_account(server, ct):
    """The main account's 12-digit id, as its own records name it."""
    resp = server.client().list_buckets()
    found, _ = wait_for(ct, [rid(resp)], time.monotonic())
    return record(found[rid(resp)])["recipientAccountId"]


# ---- management calls in the history --------------------------------------------------------------

def test_management_calls_newest_first(server, ct, raw_ct):
    s3 = server.client()
    name = unique_bucket_name("ct-mgmt")
    bad = "Bad_Name-" + uuid.uuid4().hex[:8]
    try:
        r_create = rid(s3.create_bucket(Bucket=name))
        r_list = rid(s3.list_buckets())
        r_loc = rid(s3.get_bucket_location(Bucket=name))
        with pytest.raises(ClientError) as ei:
            s3.create_bucket(Bucket=bad)
        assert client_error(ei) == ("InvalidBucketName", 400)
        r_fail = rid(ei.value.response)
        r_delete = rid(s3.delete_bucket(Bucket=name))
        done = time.monotonic()
    finally:
        purge_bucket(s3, name)
        purge_bucket(s3, bad)
    order = [r_delete, r_fail, r_loc, r_list, r_create]
    found, events = wait_for(ct, order, done)

    # Newest first: their relative order in the page is the reverse of the calls.
    positions = [next(i for i, e in enumerate(events) if record(e).get("requestID") == r) for r in order]
    assert positions == sorted(positions), [(events[p]["EventName"]) for p in positions]

    expect = {  # name, readOnly, resources: None = none, "" = not pinned
        r_create: ("CreateBucket", "false", ""),
        r_list: ("ListBuckets", "true", None),
        r_loc: ("GetBucketLocation", "true", name),
        r_fail: ("CreateBucket", "false", ""),
        r_delete: ("DeleteBucket", "false", ""),
    }
    now = datetime.datetime.now(datetime.timezone.utc)
    for r, (ename, ro, bucket) in expect.items():
        ev = found[r]
        rec = record(ev)
        assert ev["EventName"] == ename
        assert ev["ReadOnly"] == ro
        assert ev["EventSource"] == "s3.amazonaws.com"
        assert ev["AccessKeyId"] == server.access_key
        assert ev["Username"] == "root"
        assert abs((now - ev["EventTime"]).total_seconds()) < 60
        assert ev["EventId"] == rec["eventID"]
        assert rec["eventName"] == ename
        assert rec["eventSource"] == "s3.amazonaws.com"
        assert rec["readOnly"] is (ro == "true")
        assert rec["awsRegion"] == "us-east-1"
        assert rec["managementEvent"] is True
        assert rec["eventCategory"] == "Management"
        assert isinstance(ev["Resources"], list)
        if bucket is None:
            assert ev["Resources"] == []
        elif bucket:
            assert {"ResourceType": "AWS::S3::Bucket", "ResourceName": bucket} in ev["Resources"]
    assert record(found[r_fail])["errorCode"] == "InvalidBucketName"
    assert "errorCode" not in record(found[r_create])

    # The wire: EventTime a JSON number of epoch seconds, ReadOnly a string, CloudTrailEvent a
    # string holding the record.
    status, headers, data = raw_ct("LookupEvents", {"LookupAttributes": [
        {"AttributeKey": "EventId", "AttributeValue": found[r_create]["EventId"]}]})
    assert status == 200, data
    assert headers.get("Content-Type") == JSON_CT
    assert headers.get("x-amzn-RequestId")
    doc = json.loads(data)
    assert set(doc) == {"Events"}, doc
    (ev,) = doc["Events"]
    assert isinstance(ev["EventTime"], (int, float)) and not isinstance(ev["EventTime"], bool)
    assert abs(ev["EventTime"] - time.time()) < 60
    assert ev["EventTime"] == int(ev["EventTime"])  # whole seconds, as the record's eventTime
    rec = json.loads(ev["CloudTrailEvent"])
    assert datetime.datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() == ev["EventTime"]
    assert ev["ReadOnly"] == "false"
    assert set(ev) == {"EventId", "EventName", "ReadOnly", "AccessKeyId", "EventTime", "EventSource",
                       "Username", "Resources", "CloudTrailEvent"}


def test_data_events_never_in_history(server, ct, buckets):
    s3 = server.client()
    name, _ = buckets(s3)
    r_put = rid(s3.put_object(Bucket=name, Key="k", Body=b"data"))
    got = s3.get_object(Bucket=name, Key="k")
    got["Body"].read()
    r_get = rid(got)
    r_head = rid(s3.head_object(Bucket=name, Key="k"))
    r_listobj = rid(s3.list_objects_v2(Bucket=name))
    # A management call after them: once it is visible, the earlier ones would be too.
    r_loc = rid(s3.get_bucket_location(Bucket=name))
    wait_for(ct, [r_loc], time.monotonic(), **attr("ResourceName", name))
    data_rids = {r_put, r_get, r_head, r_listobj}
    for kw in ({}, attr("ResourceName", name), attr("EventName", "PutObject"),
               attr("EventName", "GetObject"), attr("ResourceType", "AWS::S3::Object")):
        events = lookup_all(ct, max_pages=3, **kw) if kw else lookup(ct)["Events"]
        for ev in events:
            assert ev["EventName"] not in ("PutObject", "GetObject", "HeadObject", "ListObjects"), ev
            assert record(ev).get("requestID") not in data_rids, ev
            assert record(ev).get("managementEvent") is True


# ---- every lookup attribute ---------------------------------------------------------------------

def test_lookup_attributes_each_key(server, ct, buckets, main_account):
    # A second key of the main account: its calls are told apart by AccessKeyId.
    keys = server.proc.admin_json("key", "create", "--account", main_account)
    other = (keys["AccessKeyId"], keys["SecretAccessKey"])
    s3 = server.client()
    s3_other = s3_client(server, creds=other)
    name, r_create = buckets(s3)
    r_loc = touch(s3_other, name)
    r_acl = touch(s3, name)  # the same call with the main key
    found, _ = wait_for(ct, [r_create, r_loc, r_acl], time.monotonic())
    create = found[r_create]

    # EventId: exactly that event.
    events = lookup(ct, **attr("EventId", create["EventId"]))["Events"]
    assert [e["EventId"] for e in events] == [create["EventId"]]
    assert lookup(ct, **attr("EventId", str(uuid.uuid4())))["Events"] == []

    # EventName
    events = lookup(ct, **attr("EventName", "CreateBucket"))["Events"]
    assert events and all(e["EventName"] == "CreateBucket" for e in events)
    assert create["EventId"] in {e["EventId"] for e in events}
    assert lookup(ct, **attr("EventName", "NoSuchEvent"))["Events"] == []

    # ReadOnly
    ro = lookup(ct, **attr("ReadOnly", "true"))["Events"]
    assert ro and all(e["ReadOnly"] == "true" for e in ro)
    assert found[r_acl]["EventId"] in {e["EventId"] for e in ro}
    rw = lookup(ct, **attr("ReadOnly", "false"))["Events"]
    assert rw and all(e["ReadOnly"] == "false" for e in rw)
    assert create["EventId"] in {e["EventId"] for e in rw}

    # Username
    events = lookup(ct, **attr("Username", "root"))["Events"]
    assert events and all(e["Username"] == "root" for e in events)
    assert lookup(ct, **attr("Username", "nobody-" + uuid.uuid4().hex[:6]))["Events"] == []

    # ResourceType
    events = lookup(ct, **attr("ResourceType", "AWS::S3::Bucket"))["Events"]
    assert events and all(any(r.get("ResourceType") == "AWS::S3::Bucket" for r in e["Resources"])
                          for e in events)
    assert lookup(ct, **attr("ResourceType", "AWS::EC2::Instance"))["Events"] == []

    # ResourceName: exactly this bucket's events.
    events = lookup_all(ct, **attr("ResourceName", name))
    assert {r_loc, r_acl} <= {record(e)["requestID"] for e in events} <= {r_create, r_loc, r_acl}
    assert all(any(r.get("ResourceName") == name for r in e["Resources"]) for e in events)

    # EventSource
    events = lookup(ct, **attr("EventSource", "s3.amazonaws.com"))["Events"]
    assert events and all(e["EventSource"] == "s3.amazonaws.com" for e in events)
    events = lookup(ct, **attr("EventSource", "cloudtrail.amazonaws.com"))["Events"]
    assert events and all(e["EventSource"] == "cloudtrail.amazonaws.com" for e in events)
    assert lookup(ct, **attr("EventSource", "ec2.amazonaws.com"))["Events"] == []

    # AccessKeyId
    events = lookup(ct, **attr("AccessKeyId", other[0]))["Events"]
    assert [record(e)["requestID"] for e in events] == [r_loc]
    assert events[0]["AccessKeyId"] == other[0]
    events = lookup(ct, **attr("AccessKeyId", server.access_key))["Events"]
    assert events and all(e["AccessKeyId"] == server.access_key for e in events)
    assert found[r_acl]["EventId"] in {e["EventId"] for e in events}


# ---- time range ---------------------------------------------------------------------------------

def test_start_end_time_inclusive(server, ct, buckets):
    s3 = server.client()
    name, _ = buckets(s3)
    r = touch(s3, name)
    found, _ = wait_for(ct, [r], time.monotonic(), **attr("ResourceName", name))
    t = found[r]["EventTime"]  # datetime, whole seconds
    one = datetime.timedelta(seconds=1)
    by_name = attr("ResourceName", name)

    def ids(**kw):
        events = lookup(ct, **by_name, **kw)["Events"]
        assert all(kw.get("StartTime", t - 9 * one) <= e["EventTime"] <= kw.get("EndTime", t + 9 * one)
                   for e in events)
        return [e["EventId"] for e in events]

    ev_id = found[r]["EventId"]
    assert ev_id in ids(StartTime=t, EndTime=t)          # both ends inclusive
    assert ev_id in ids(StartTime=t)
    assert ev_id in ids(EndTime=t)
    assert ev_id in ids(StartTime=t - one, EndTime=t + one)
    assert ev_id not in ids(StartTime=t + one)
    assert ev_id not in ids(EndTime=t - one)
    # Every event of an unfiltered window lies inside it.
    events = lookup(ct, StartTime=t - 5 * one, EndTime=t + one)["Events"]
    assert ev_id in {e["EventId"] for e in events}
    assert all(t - 5 * one <= e["EventTime"] <= t + one for e in events)
    # Far in the past (before the retention) and in the future: nothing.
    assert ids(EndTime=datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)) == []
    assert ids(StartTime=t + datetime.timedelta(days=1)) == []


def test_time_as_numeric_string(server, raw_ct, buckets, ct):
    s3 = server.client()
    name, _ = buckets(s3)
    r = touch(s3, name)
    found, _ = wait_for(ct, [r], time.monotonic(), **attr("ResourceName", name))
    ev_id = found[r]["EventId"]
    t = int(found[r]["EventTime"].timestamp())
    by_name = [{"AttributeKey": "ResourceName", "AttributeValue": name}]
    # An int, a float, a numeric string: the event's whole second is inside each window...
    for start, end in ((t, t), (float(t), t + 0.5), (str(t), str(t)), (t - 0.25, f"{t}.75")):
        status, _, data = raw_ct("LookupEvents", {"LookupAttributes": by_name,
                                                  "StartTime": start, "EndTime": end})
        assert status == 200, data
        assert ev_id in [e["EventId"] for e in json.loads(data)["Events"]], (start, end)
    # ... and outside these (boto3 sends whole seconds, so fractions only come raw).
    for window in ({"StartTime": t + 0.001}, {"EndTime": t - 0.001}, {"StartTime": f"{t + 1}"}):
        status, _, data = raw_ct("LookupEvents", {"LookupAttributes": by_name, **window})
        assert status == 200, data
        assert ev_id not in [e["EventId"] for e in json.loads(data)["Events"]], window


# ---- paging -------------------------------------------------------------------------------------

def test_paging_max_results_2_boto3(server, ct, buckets):
    s3 = server.client()
    name, _ = buckets(s3)
    rids = [touch(s3, name) for _ in range(7)]
    wait_for(ct, rids, time.monotonic(), **attr("ResourceName", name))
    # The whole answer in one page is the reference the walks must reproduce.
    whole = [record(e)["requestID"] for e in lookup(ct, **attr("ResourceName", name))["Events"]]
    assert [x for x in whole if x in rids] == list(reversed(rids))

    # By hand: each page at most 2, a token on every page but the last, never the same token.
    pages, tokens, seen = [], [], []
    kw = dict(attr("ResourceName", name), MaxResults=2)
    while True:
        page = ct.lookup_events(**kw)
        pages.append(page)
        assert len(page["Events"]) <= 2
        seen.extend(record(e)["requestID"] for e in page["Events"])
        tok = page.get("NextToken")
        if not tok:
            break
        assert tok not in tokens
        tokens.append(tok)
        kw["NextToken"] = tok
        assert len(pages) < 20
    assert seen == whole  # every event once, newest first
    assert len(pages) == (len(whole) + 1) // 2

    # boto3's paginator raises on a repeated token; it must see the same events.
    walked = lookup_all(ct, PageSize=2, **attr("ResourceName", name))
    assert [record(e)["requestID"] for e in walked] == whole

    # Exactly a page's worth: no token (the server fetches max+1 to know).
    page = ct.lookup_events(**attr("ResourceName", name), MaxResults=len(whole))
    assert len(page["Events"]) == len(whole) and "NextToken" not in page
    page = ct.lookup_events(**attr("ResourceName", name), MaxResults=len(whole) - 1)
    assert len(page["Events"]) == len(whole) - 1 and page.get("NextToken")


def test_paging_whole_history_no_repeats(server, ct):
    """The unfiltered history, page by page of 2: every event once, newest first (events appended
    meanwhile, such as these very LookupEvents calls, never slip into later pages)."""
    s3 = server.client()
    for _ in range(5):
        s3.list_buckets()
    first = ct.lookup_events(MaxResults=50)["Events"]
    walked = lookup_all(ct, PageSize=2, max_pages=5000)
    ids = [e["EventId"] for e in walked]
    assert len(ids) == len(set(ids))
    times = [e["EventTime"] for e in walked]
    assert times == sorted(times, reverse=True)
    # Everything the first single page showed (older than the walk) is in the walk, in order.
    pos = {eid: i for i, eid in enumerate(ids)}
    older = [e["EventId"] for e in first]
    assert all(eid in pos for eid in older)
    assert [pos[eid] for eid in older] == sorted(pos[eid] for eid in older)


def test_paging_aws_cli(server, ct, buckets, aws):
    s3 = server.client()
    name, _ = buckets(s3)
    rids = [touch(s3, name) for _ in range(5)]
    wait_for(ct, rids, time.monotonic(), **attr("ResourceName", name))
    whole = [record(e)["requestID"] for e in lookup(ct, **attr("ResourceName", name))["Events"]]
    p = aws("cloudtrail", "lookup-events", "--page-size", "2", "--output", "json",
            "--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={name}", check=True)
    out = json.loads(p.stdout)
    assert [json.loads(e["CloudTrailEvent"])["requestID"] for e in out["Events"]] == whole
    assert "NextToken" not in out
    # --max-items: the CLI stops and hands out a resumable token, and resumes from it.
    p = aws("cloudtrail", "lookup-events", "--page-size", "2", "--max-items", "3", "--output", "json",
            "--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={name}", check=True)
    part = json.loads(p.stdout)
    assert len(part["Events"]) == 3 and part.get("NextToken")
    p = aws("cloudtrail", "lookup-events", "--page-size", "2", "--starting-token", part["NextToken"],
            "--output", "json", "--lookup-attributes",
            f"AttributeKey=ResourceName,AttributeValue={name}", check=True)
    rest = json.loads(p.stdout)
    got = [json.loads(e["CloudTrailEvent"])["requestID"] for e in part["Events"] + rest["Events"]]
    assert got == whole
    # Time options as the CLI writes them.
    t = out["Events"][0]["EventTime"]
    p = aws("cloudtrail", "lookup-events", "--output", "json", "--start-time", str(t), "--end-time", str(t),
            "--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={name}", check=True)
    assert json.loads(p.stdout)["Events"], p.stdout


# ---- errors -------------------------------------------------------------------------------------

def test_errors_exact_types(raw_ct):
    one = {"AttributeKey": "EventName", "AttributeValue": "CreateBucket"}
    cases = [
        ({"LookupAttributes": [one, one]}, "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "Bogus", "AttributeValue": "x"}]},
         "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "eventname", "AttributeValue": "x"}]},
         "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": ""}]},
         "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "x" * 2001}]},
         "InvalidLookupAttributesException"),
        # '_', ' ', ',' and newline count twice towards the 2000 (the model's documentation).
        ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "_" * 1001}]},
         "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "EventName"}]}, "InvalidLookupAttributesException"),
        ({"StartTime": 1700000001, "EndTime": 1700000000}, "InvalidTimeRangeException"),
        ({"MaxResults": 0}, "InvalidMaxResultsException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"MaxResults": -1}, "InvalidMaxResultsException"),
        ({"EventCategory": "management"}, "InvalidEventCategoryException"),
        ({"EventCategory": "Insight"}, "InvalidEventCategoryException"),
        ({"NextToken": "garbage"}, "InvalidNextTokenException"),
        ({"NextToken": "A" * 32}, "InvalidNextTokenException"),
        (b"{not json", "SerializationException"),
        (b"[]", "SerializationException"),
        ({"MaxResults": "10"}, "SerializationException"),
        ({"StartTime": "yesterday"}, "SerializationException"),
    ]
    for body, code in cases:
        expect_ct_error(raw_ct, body, code)
    # At the limits: fine.
    for body in ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "x" * 2000}]},
                 {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "_" * 1000}]},
                 {"MaxResults": 1}, {"MaxResults": 50}, {"LookupAttributes": []},
                 {"StartTime": 1700000000, "EndTime": 1700000000}, b"", b"{}"):
        status, _, data = raw_ct("LookupEvents", body)
        assert status == 200, (body if isinstance(body, bytes) else list(body), data)


def test_errors_through_boto3(ct_loose):
    with pytest.raises(ClientError) as ei:
        ct_loose.lookup_events(MaxResults=51)
    assert client_error(ei) == ("InvalidMaxResultsException", 400)
    with pytest.raises(ClientError) as ei:
        ct_loose.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "a"},
                                                 {"AttributeKey": "Username", "AttributeValue": "b"}])
    assert client_error(ei) == ("InvalidLookupAttributesException", 400)
    with pytest.raises(ClientError) as ei:
        ct_loose.lookup_events(StartTime=datetime.datetime(2024, 2, 1), EndTime=datetime.datetime(2024, 1, 1))
    assert client_error(ei) == ("InvalidTimeRangeException", 400)
    with pytest.raises(ClientError) as ei:
        ct_loose.lookup_events(NextToken="nope")
    assert client_error(ei) == ("InvalidNextTokenException", 400)
    with pytest.raises(ClientError) as ei:
        ct_loose.lookup_events(EventCategory="data")
    assert client_error(ei) == ("InvalidEventCategoryException", 400)


def test_insight_category_is_empty(ct, raw_ct):
    assert ct.lookup_events(EventCategory="insight")["Events"] == []
    # Insights events are looked up by EventId, EventName or EventSource only.
    expect_ct_error(raw_ct, {"EventCategory": "insight", "LookupAttributes": [
        {"AttributeKey": "Username", "AttributeValue": "root"}]}, "InvalidLookupAttributesException")


def test_next_token_bound_to_its_parameters(server, ct, buckets, raw_ct):
    s3 = server.client()
    name, _ = buckets(s3)
    rids = [touch(s3, name) for _ in range(3)]
    wait_for(ct, rids, time.monotonic(), **attr("ResourceName", name))
    by_name = attr("ResourceName", name)
    tok = ct.lookup_events(MaxResults=1, **by_name)["NextToken"]
    # Same parameters (MaxResults may change): fine.
    assert len(ct.lookup_events(MaxResults=2, NextToken=tok, **by_name)["Events"]) == 2
    # Other parameters: refused.
    for other in (attr("ResourceName", name + "x"), attr("EventName", "CreateBucket"), {},
                  dict(by_name, StartTime=datetime.datetime(2020, 1, 1)),
                  dict(by_name, EndTime=datetime.datetime(2099, 1, 1))):
        expect_ct_error(raw_ct, {**{k: (v.timestamp() if isinstance(v, datetime.datetime) else v)
                                    for k, v in other.items()}, "NextToken": tok},
                        "InvalidNextTokenException")
    # Another region or another account: refused too.
    body = {**by_name, "NextToken": tok}
    expect_ct_error(raw_ct, body, "InvalidNextTokenException", region="eu-west-1")
    expect_ct_error(raw_ct, body, "InvalidNextTokenException",
                    creds=(server.alt_access_key, server.alt_secret_key))
    # Edited: refused.
    edited = tok[:-2] + ("A" if tok[-2] != "A" else "B") + tok[-1]
    expect_ct_error(raw_ct, {**by_name, "NextToken": edited}, "InvalidNextTokenException")


def test_unimplemented_operation(raw_ct):
    doc = expect_ct_error(raw_ct, {}, "UnsupportedOperationException", op="CreateChannel")
    assert doc["message"] == "The CreateChannel operation is not implemented by this server yet"


# ---- CloudTrail's own calls, accounts, regions ----------------------------------------------------

def test_lookup_events_calls_are_events(server, ct):
    resp = ct.lookup_events(MaxResults=1)
    r = rid(resp)
    found, _ = wait_for(ct, [r], time.monotonic(), **attr("EventName", "LookupEvents"))
    ev = found[r]
    rec = record(ev)
    assert ev["EventName"] == "LookupEvents"
    assert ev["EventSource"] == "cloudtrail.amazonaws.com"
    assert ev["ReadOnly"] == "true"
    assert ev["Resources"] == []
    assert ev["Username"] == "root"
    assert ev["AccessKeyId"] == server.access_key
    assert rec["eventSource"] == "cloudtrail.amazonaws.com"
    assert rec["readOnly"] is True
    assert rec["managementEvent"] is True
    assert rec["awsRegion"] == "us-east-1"
    # EventSource filter finds it as well.
    events = lookup(ct, **attr("EventSource", "cloudtrail.amazonaws.com"))["Events"]
    assert r in {record(e)["requestID"] for e in events}


def test_other_accounts_events_invisible(server, ct, buckets):
    alt_creds = (server.alt_access_key, server.alt_secret_key)
    ct_alt = ct_client(server, creds=alt_creds)
    s3_alt = s3_client(server, creds=alt_creds)
    s3 = server.client()
    alt_name, _ = buckets(s3_alt)
    main_name, _ = buckets(s3)
    r_alt, r_main = touch(s3_alt, alt_name), touch(s3, main_name)
    found_alt, _ = wait_for(ct_alt, [r_alt], time.monotonic(), **attr("ResourceName", alt_name))
    wait_for(ct, [r_main], time.monotonic(), **attr("ResourceName", main_name))
    assert record(found_alt[r_alt])["recipientAccountId"] == server.alt_account["AccountId"]
    assert found_alt[r_alt]["AccessKeyId"] == server.alt_access_key
    # Neither sees the other's events, whichever way it asks.
    assert lookup(ct, **attr("ResourceName", alt_name))["Events"] == []
    assert lookup(ct, **attr("EventId", found_alt[r_alt]["EventId"]))["Events"] == []
    assert lookup(ct_alt, **attr("ResourceName", main_name))["Events"] == []
    assert lookup(ct, **attr("AccessKeyId", server.alt_access_key))["Events"] == []
    for ev in lookup(ct_alt)["Events"]:
        assert record(ev)["recipientAccountId"] == server.alt_account["AccountId"]
        assert ev.get("AccessKeyId") != server.access_key


def test_history_is_per_region(server, ct, ct_eu, buckets):
    s3_eu = s3_client(server, region="eu-west-1")
    name, r_create = buckets(s3_eu, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    r_loc = touch(s3_eu, name)
    found, _ = wait_for(ct_eu, [r_create, r_loc], time.monotonic())
    assert record(found[r_create])["awsRegion"] == "eu-west-1"
    assert record(found[r_loc])["awsRegion"] == "eu-west-1"
    assert lookup(ct_eu, **attr("ResourceName", name))["Events"]
    # Not in us-east-1's history.
    assert lookup(ct, **attr("ResourceName", name))["Events"] == []
    assert lookup(ct, **attr("EventId", found[r_create]["EventId"]))["Events"] == []
    # And us-east-1's events are not in eu-west-1's.
    for ev in lookup(ct_eu)["Events"]:
        assert record(ev)["awsRegion"] == "eu-west-1"
    # A LookupEvents call in eu-west-1 is an eu-west-1 event.
    r = rid(ct_eu.lookup_events(MaxResults=1))
    found, _ = wait_for(ct_eu, [r], time.monotonic(), **attr("EventName", "LookupEvents"))
    assert record(found[r])["awsRegion"] == "eu-west-1"


def test_retention_option(start_server):
    """A server started with --retention-days answers LookupEvents; a StartTime older than the
    retention is accepted and clipped, not refused. (That older events drop out cannot be shown
    without a clock to move; the unit tests of the store cover the prune.)"""
    srv = start_server("retention", extra_args=["--retention-days", "1"])
    s3 = srv.client()
    name = unique_bucket_name("ct-ret")
    s3.create_bucket(Bucket=name)
    try:
        r = touch(s3, name)
        ct = boto3.session.Session().client(
            "cloudtrail", endpoint_url=srv.endpoint, region_name="us-east-1",
            aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
            config=Config(retries={"total_max_attempts": 1}))
        found, _ = wait_for(ct, [r], time.monotonic(), **attr("ResourceName", name))
        # Asking for more than the retention is not refused; it is clipped to it.
        events = lookup(ct, StartTime=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30))
        assert found[r]["EventId"] in {e["EventId"] for e in events["Events"]}
    finally:
        purge_bucket(s3, name)
