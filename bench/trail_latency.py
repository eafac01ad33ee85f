#!/usr/bin/env python3
"""Measures, on a fresh server with --delivery-interval 1:
  - delivery latency: from a management call's response to its record in a delivered log file;
  - LookupEvents visibility: from the response to the event being returned by LookupEvents.
Prints p50/p99 for both. Usage: bench/trail_latency.py [BINARY] [N] [--json]
With --json, prints one JSON object instead (bench/run.py adds it to bench/results.json)."""
import argparse
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import boto3
from botocore.config import Config

ap = argparse.ArgumentParser(description="CloudTrail delivery latency and LookupEvents visibility")
ap.add_argument("binary", nargs="?", default="./s3trail")
ap.add_argument("n", nargs="?", type=int, default=60, help="management calls to time")
ap.add_argument("--json", action="store_true", help="print one JSON object")
ARGS = ap.parse_args()
BIN = ARGS.binary
N = ARGS.n


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    tmp = tempfile.mkdtemp(prefix="s3trail-bench-")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = dict(os.environ, S3TRAIL_ROOT_ACCESS_KEY="AKIABENCH0000000000", S3TRAIL_ROOT_SECRET_KEY="benchsecret")
    out = open(f"{tmp}/out", "w")
    proc = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data", f"{tmp}/data",
                             "--delivery-interval", "1"], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        kw = dict(endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                  aws_access_key_id="AKIABENCH0000000000", aws_secret_access_key="benchsecret",
                  config=Config(retries={"total_max_attempts": 1}))
        s3, ct = boto3.client("s3", **kw), boto3.client("cloudtrail", **kw)
        acct = re.search(r"account:\s+(\d{12})", open(f"{tmp}/out").read()).group(1)
        s3.create_bucket(Bucket="bench-logs")
        pol = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::bench-logs"},
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::bench-logs/AWSLogs/{acct}/*"}]}
        s3.put_bucket_policy(Bucket="bench-logs", Policy=json.dumps(pol))
        ct.create_trail(Name="bench-trail", S3BucketName="bench-logs")
        ct.start_logging(Name="bench-trail")
        sent = {}
        seen_lookup = {}
        delivered = {}
        done = threading.Event()

        def poll_logs():
            # Polls the log bucket all along, so a file is seen as soon as it lands.
            c = boto3.client("s3", **kw)
            keys_seen = set()
            while not done.is_set() or len(delivered) < len(sent):
                for page in c.get_paginator("list_objects_v2").paginate(Bucket="bench-logs"):
                    for o in page.get("Contents", []):
                        if o["Key"] in keys_seen:
                            continue
                        keys_seen.add(o["Key"])
                        now = time.monotonic()
                        body = gzip.decompress(c.get_object(Bucket="bench-logs", Key=o["Key"])["Body"].read())
                        for rec in json.loads(body)["Records"]:
                            rid = rec["requestID"]
                            if rid in sent and rid not in delivered:
                                delivered[rid] = now - sent[rid]
                if done.is_set() and time.monotonic() > done_at + 30:
                    break
                time.sleep(0.02)

        done_at = 0
        poller = threading.Thread(target=poll_logs)
        poller.start()
        for i in range(N):
            r = s3.create_bucket(Bucket=f"bench-{i:04d}")
            t0 = time.monotonic()
            rid = r["ResponseMetadata"]["RequestId"]
            sent[rid] = t0
            # LookupEvents visibility: poll until the event is returned.
            while True:
                ev = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                         "AttributeValue": "CreateBucket"}],
                                      MaxResults=5)["Events"]
                if any(json.loads(e["CloudTrailEvent"])["requestID"] == rid for e in ev):
                    seen_lookup[rid] = time.monotonic() - t0
                    break
            time.sleep(0.1)
        done_at = time.monotonic()
        done.set()
        poller.join()
        d = list(delivered.values())
        l = list(seen_lookup.values())
        if ARGS.json:
            def ms(v, p, digits):
                return round(pct(v, p) * 1000, digits) if v else None

            print(json.dumps({
                "name": "trail-latency", "server": "s3trail", "delivery_interval_s": 1,
                "calls": N, "delivered": len(d), "delivery_p50_ms": ms(d, 50, 1),
                "delivery_p99_ms": ms(d, 99, 1), "lookup_seen": len(l),
                "lookup_p50_ms": ms(l, 50, 2), "lookup_p99_ms": ms(l, 99, 2)}))
            return
        print(f"delivery latency (interval 1 s, n={len(d)}): p50 {pct(d, 50) * 1000:.0f} ms, "
              f"p99 {pct(d, 99) * 1000:.0f} ms")
        print(f"LookupEvents visibility (n={len(l)}): p50 {pct(l, 50) * 1000:.1f} ms, "
              f"p99 {pct(l, 99) * 1000:.1f} ms")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
