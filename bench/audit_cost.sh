#!/bin/bash
# Audit cost on one workload: server CPU per operation with data events off and on, alternated
# ROUNDS times (the machine is shared: compare runs made side by side, never across sessions).
#   bench/audit_cost.sh [BINARY] [WORKLOAD put|get] [CONNECTIONS] [SECONDS] [ROUNDS]
# "on" is a started trail selecting every S3 data event, delivering every 5 s; the CPU read
# from /proc/<pid>/stat includes the deliveries that follow the load (6 s are waited for them).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-./s3trail}; W=${2:-put}; C=${3:-64}; T=${4:-5}; ROUNDS=${5:-2}
AK=AKIAAUDITCOST0000000; SK=auditcostsecret
LG=build/bench/loadgen
[ -x "$LG" ] || make --no-print-directory "$LG" >/dev/null

one() { # $1: 0 = no trail, 1 = trail with data events
    local dir port pid t0 t1
    dir=$(mktemp -d); port=$((20000 + RANDOM % 20000))
    S3TRAIL_ROOT_ACCESS_KEY=$AK S3TRAIL_ROOT_SECRET_KEY=$SK "$BIN" serve --listen 127.0.0.1:$port \
        --data "$dir/data" --delivery-interval 5 >"$dir/out" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q serving "$dir/out" 2>/dev/null && break; sleep 0.05; done
    python3 - "$port" "$1" "$AK" "$SK" <<'PY'
import json, sys, boto3
port, trail, ak, sk = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]
kw = dict(endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
          aws_access_key_id=ak, aws_secret_access_key=sk)
s3 = boto3.client("s3", **kw)
s3.create_bucket(Bucket="load")
if trail:
    ct = boto3.client("cloudtrail", **kw)
    s3.create_bucket(Bucket="logs")
    s3.put_bucket_policy(Bucket="logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::logs"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs/*"}]}))
    ct.create_trail(Name="audit-cost", S3BucketName="logs")
    ct.put_event_selectors(TrailName="audit-cost", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
    ct.start_logging(Name="audit-cost")
PY
    local lg=("$LG" --endpoint 127.0.0.1:$port --bucket load --access-key $AK --secret-key $SK
              --size 4096 --keys 2000)
    [ "$W" = get ] && "${lg[@]}" --workload put --connections 16 --count 2000 >/dev/null
    t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    "${lg[@]}" --workload "$W" --connections "$C" --duration "$T" >"$dir/lg.json"
    sleep 6
    t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    python3 -c "import json,sys; d=json.load(open('$dir/lg.json')); \
print('data events %-3s %s: %7.0f ops/s  p99 %6.2f ms  server CPU %5.1f us/op' % \
(('off','on')[$1], '$W', d['ops_per_s'], d['p99_ms'], ($t1 - $t0) * 1e6 / $(getconf CLK_TCK) / d['ops']))"
    kill "$pid"; wait "$pid" || true; rm -rf "$dir"
}

for _ in $(seq "$ROUNDS"); do one 0; one 1; done
