#!/usr/bin/env python3
"""The `make bench` orchestrator: s3trail against its peers, with one load generator.

Servers, each started fresh here on 127.0.0.1 with its own data directory under build/bench/run/:
  s3trail               ./s3trail (release build), no trail
  s3trail+data-events   ./s3trail with a started trail selecting every S3 data event (and
                        management events), delivering to a log bucket every 5 s
  s3rver                npm package s3rver, installed into build/bench/npm (not committed)
  moto                  moto's server (python3 -m moto.server)
  bare-mhd              build/bench/bare: libmicrohttpd answering 4 KiB, the small-GET ceiling
Every workload is one run of build/bench/loadgen with the same settings for every server. Before
each, the server's peak RSS is reset (/proc/PID/clear_refs <- 5); after, VmHWM is read.

Output:
  bench/results.json   a JSON list. Its first element is {"name": "machine", ...}: cores, CPU,
                       kernel, memory, date, command, git commit, quick. Every other element is
                       one measurement with at least name, server, connections, ops_per_s,
                       mb_per_s (MiB/s of object payload), p50_ms, p99_ms, rss_mb (the server's
                       peak RSS during that workload, in MiB); trail-latency, pipeline and
                       data-events-delivered elements carry their own fields.
  docs/benchmarks.md   the part between the BEGIN/END GENERATED BENCH markers is rewritten.

QUICK=1 (environment) makes the whole run take under 5 minutes: 3 s per workload, 10k keys for
the peers' listing, no 1 GiB transfers for the peers. Options (for development): --servers,
--seconds, --out, --docs, --render-only (rewrite the docs from an existing results file).
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "bench"
LOADGEN = BUILD / "loadgen"
BARE = BUILD / "bare"
S3TRAIL = REPO / "s3trail"
PIPELINE = REPO / "build" / "rel" / "bench" / "pipeline"
NPM_DIR = BUILD / "npm"
QUICK = os.environ.get("QUICK", "") not in ("", "0")

BEGIN = "<!-- BEGIN GENERATED BENCH (make bench) -->"
END = "<!-- END GENERATED BENCH -->"

DELIVERY_INTERVAL = 5
LIST_CONNS = 8
PEERS = ("s3rver", "moto")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} during start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def human_count(n):
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else (f"{n / 1000:.0f}k" if n >= 1000 else str(n))


# ---- servers -------------------------------------------------------------------------------------

class Server:
    """One server process on 127.0.0.1:port with a scratch directory; subclasses say how to start
    it and which credentials it takes."""
    label = "?"
    access_key = "AKIABENCH0000000000"
    secret_key = "benchsecret"

    def __init__(self):
        self.port = free_port()
        BUILD.joinpath("run").mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.label}-", dir=BUILD / "run"))
        self.proc = None
        self.out_path = self.tmp / "server.out"

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        raise NotImplementedError

    def env(self):
        return dict(os.environ)

    def start(self):
        self.prepare()
        out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env(), cwd=self.tmp)
        out.close()
        wait_port(self.port, self.proc)
        self.after_start()
        return self

    def prepare(self):
        """Installs what the server needs before it starts."""

    def after_start(self):
        pass

    def client(self, service="s3"):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                            config=Config(retries={"total_max_attempts": 1},
                                          s3={"addressing_style": "path"}))

    def output(self):
        try:
            return self.out_path.read_text(errors="replace")
        except OSError:
            return ""

    def pid(self):
        return self.proc.pid

    def reset_peak(self):
        try:
            Path(f"/proc/{self.pid()}/clear_refs").write_text("5")
        except OSError as e:
            log(f"cannot reset the peak RSS of {self.label}: {e}")

    def peak_rss_mb(self):
        try:
            for line in Path(f"/proc/{self.pid()}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        return None

    def cpu_seconds(self):
        """User + system CPU time of the server process so far (all its threads). CPU per
        operation is far less sensitive than throughput to other work on a shared machine."""
        try:
            fields = Path(f"/proc/{self.pid()}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        t0 = time.monotonic()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                log(f"{self.label} ignored SIGTERM for 60 s: killed")
                self.proc.kill()
                self.proc.wait()
        t1 = time.monotonic()
        shutil.rmtree(self.tmp, ignore_errors=True)
        log(f"stopped {self.label} in {t1 - t0:.1f} s, removed its data in {time.monotonic() - t1:.1f} s")


class S3trail(Server):
    label = "s3trail"

    def __init__(self, data_events=False):
        self.data_events = data_events
        if data_events:
            self.label = "s3trail+data-events"
        super().__init__()
        self.account = None

    def command(self):
        cmd = [str(S3TRAIL), "serve", "--listen", f"127.0.0.1:{self.port}", "--data", str(self.tmp / "data")]
        if self.data_events:
            cmd += ["--delivery-interval", str(DELIVERY_INTERVAL)]
        return cmd

    def env(self):
        return dict(os.environ, S3TRAIL_ROOT_ACCESS_KEY=self.access_key,
                    S3TRAIL_ROOT_SECRET_KEY=self.secret_key)

    def after_start(self):
        for _ in range(100):
            m = re.search(r"account:\s+(\d{12})", self.output())
            if m:
                self.account = m.group(1)
                break
            time.sleep(0.05)
        if self.data_events:
            self.start_trail()

    def start_trail(self):
        """A trail selecting all S3 data events ("arn:aws:s3" selects every bucket, see
        src/trail/selectors.c), delivering to bench-logs, which has CloudTrail's bucket policy."""
        s3, ct = self.client(), self.client("cloudtrail")
        s3.create_bucket(Bucket="bench-logs")
        pol = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::bench-logs"},
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::bench-logs/AWSLogs/{self.account}/*"}]}
        s3.put_bucket_policy(Bucket="bench-logs", Policy=json.dumps(pol))
        ct.create_trail(Name="bench-trail", S3BucketName="bench-logs")
        ct.put_event_selectors(TrailName="bench-trail", EventSelectors=[{
            "ReadWriteType": "All", "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
        ct.start_logging(Name="bench-trail")


class S3rver(Server):
    label = "s3rver"
    access_key = "S3RVER"
    secret_key = "S3RVER"

    @staticmethod
    def install():
        script = NPM_DIR / "node_modules" / "s3rver" / "bin" / "s3rver.js"
        if not script.exists():
            log("installing s3rver with npm into build/bench/npm")
            NPM_DIR.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--prefix", str(NPM_DIR), "--no-audit", "--no-fund",
                            "--loglevel=error", "s3rver"], check=True, stdout=subprocess.DEVNULL)
        return script

    def prepare(self):
        self.install()

    def command(self):
        # s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 keeps in its legacy
        # provider: without it every truncated listing is a 500.
        return ["node", "--openssl-legacy-provider", str(self.install()), "--directory",
                str(self.tmp / "data"), "--address", "127.0.0.1", "--port", str(self.port), "--silent"]

    def version(self):
        try:
            return json.loads((NPM_DIR / "node_modules/s3rver/package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return None


class Moto(Server):
    label = "moto"
    access_key = "AKIAMOTO"
    secret_key = "motosecret"

    def command(self):
        # The module rather than the moto_server shim, so the PID is the server's own.
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]


class Bare(Server):
    label = "bare-mhd"

    def command(self):
        return [str(BARE), str(self.port)]


# ---- workloads -----------------------------------------------------------------------------------

class Runner:
    """Runs loadgen against one server and collects the results."""

    def __init__(self, srv, seconds, results):
        self.srv = srv
        self.seconds = seconds
        self.results = results
        self.issued_total = 0  # requests sent to the server, for the data-event check

    def loadgen(self, workload, name, conns, prefix, size=0, seconds=None, count=None, keys=None,
                record=True, bucket="bench"):
        cmd = [str(LOADGEN), "--endpoint", f"127.0.0.1:{self.srv.port}", "--bucket", bucket,
               "--access-key", self.srv.access_key, "--secret-key", self.srv.secret_key,
               "--workload", workload, "--connections", str(conns), "--prefix", prefix,
               "--size", str(size), "--name", name, "--server", self.srv.label]
        if seconds:
            cmd += ["--duration", str(seconds)]
        if count:
            cmd += ["--count", str(count)]
        if keys:
            cmd += ["--keys", str(keys)]
        self.srv.reset_peak()
        load = loadavg()
        cpu0 = self.srv.cpu_seconds()
        p = subprocess.run(cmd, capture_output=True, text=True)
        cpu1 = self.srv.cpu_seconds()
        if p.stderr.strip():
            log(f"{self.srv.label} {name}: {p.stderr.strip()[:2000]}")
        if p.returncode != 0 or not p.stdout.strip():
            raise RuntimeError(f"loadgen failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
        r = json.loads(p.stdout)
        r["rss_mb"] = self.srv.peak_rss_mb()
        r["size_bytes"] = size
        r["loadavg_before"] = load
        if cpu0 is not None and cpu1 is not None:
            r["server_cpu_s"] = round(cpu1 - cpu0, 2)
            r["server_cpu_us_per_op"] = round((cpu1 - cpu0) / r["ops"] * 1e6, 1) if r["ops"] else None
        self.issued_total += r["issued"]
        if not self.srv.alive():
            raise RuntimeError(f"{self.srv.label} died during {name}:\n{self.srv.output()[-3000:]}")
        log(f"{self.srv.label:20} {name:18} c={conns:<3} {r['ops_per_s']:>10.1f} ops/s "
            f"{r['mb_per_s']:>8.1f} MiB/s p50 {r['p50_ms']:.2f} p99 {r['p99_ms']:.2f} ms "
            f"errors {r['errors']} rss {r['rss_mb']} MiB cpu {r.get('server_cpu_us_per_op')} us/op")
        if record:
            self.results.append(r)
        return r

    def run_all(self, scaling=False, big=True, list_keys=100_000, list_prepare_cap=120):
        s = self.seconds
        self.srv.client().create_bucket(Bucket="bench")
        # Not measured: lets JIT-compiled peers (node) warm up, and every server open its files.
        self.loadgen("put", "warm-up", 64, "warm", 4096, seconds=1 if QUICK else 3, record=False)
        if scaling:
            for c in (1, 8):
                self.loadgen("put", "put-4KiB", c, f"p4k-c{c}", 4096, seconds=s)
        put = self.loadgen("put", "put-4KiB", 64, "p4k", 4096, seconds=s)
        if put["issued"]:
            self.loadgen("get", "get-4KiB", 64, "p4k", 4096, seconds=s, keys=put["issued"])
            self.loadgen("delete", "delete-4KiB", 64, "p4k", 4096, seconds=s, keys=put["issued"])
        put = self.loadgen("put", "put-1MiB", 16, "p1m", 1 << 20, seconds=s)
        if put["issued"]:
            self.loadgen("get", "get-1MiB", 16, "p1m", 1 << 20, seconds=s, keys=put["issued"])
        if big:
            put = self.loadgen("put", "put-1GiB", 1, "p1g", 1 << 30, count=1)
            if put["ops"]:
                self.loadgen("get", "get-1GiB", 1, "p1g", 1 << 30, count=1, keys=1)
        # The listing's keys: 0-byte PUTs, bounded by count and by time (slow peers).
        prep = self.loadgen("put", "prepare-list", 64, "lst", 0, count=list_keys,
                            seconds=list_prepare_cap, record=False)
        if prep["ops"]:
            name = f"list-v2-{human_count(prep['ops'])}"
            r = self.loadgen("list-v2", name, LIST_CONNS, "lst", seconds=s)
            r["keys"] = prep["ops"]


def run_bare(results, seconds):
    srv = Bare().start()
    try:
        r = Runner(srv, seconds, results).loadgen("get", "get-4KiB", 64, "x", 4096, seconds=seconds, keys=1)
        r["note"] = "fixed 4 KiB answer, no S3 work: the small-GET ceiling"
    finally:
        srv.stop()


def count_delivered(srv, expected):
    """Waits for the deliveries to settle, then counts the records in the log bucket: every data
    event of bucket "bench" should be there."""
    s3 = srv.client()
    seen, by_event = set(), {}
    files = records = data = mgmt = 0
    quiet_since = time.monotonic()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        new = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench-logs", Prefix="AWSLogs/"):
            for o in page.get("Contents", []):
                if o["Key"] in seen or not o["Key"].endswith(".json.gz"):
                    continue
                seen.add(o["Key"])
                new += 1
                files += 1
                body = gzip.decompress(s3.get_object(Bucket="bench-logs", Key=o["Key"])["Body"].read())
                for rec in json.loads(body)["Records"]:
                    records += 1
                    params = rec.get("requestParameters") or {}
                    if rec.get("eventCategory") == "Data" and params.get("bucketName") == "bench":
                        data += 1
                        by_event[rec["eventName"]] = by_event.get(rec["eventName"], 0) + 1
                    elif rec.get("eventCategory") == "Management":
                        mgmt += 1
        if new:
            quiet_since = time.monotonic()
        elif data >= expected or time.monotonic() - quiet_since > 3 * DELIVERY_INTERVAL:
            break
        time.sleep(1)
    return {"name": "data-events-delivered", "server": srv.label, "log_files": files,
            "records": records, "data_records_bucket_bench": data, "management_records": mgmt,
            "requests_sent_to_bench": expected, "by_event": by_event,
            "complete": data >= expected}


def run_server(kind, results, seconds):
    if kind == "s3trail":
        srv = S3trail()
    elif kind == "s3trail+data-events":
        srv = S3trail(data_events=True)
    elif kind == "s3rver":
        srv = S3rver()
    elif kind == "moto":
        srv = Moto()
    else:
        raise ValueError(kind)
    log(f"starting {kind}")
    try:
        srv.start()
        runner = Runner(srv, seconds, results)
        if kind.startswith("s3trail"):
            runner.run_all(scaling=True, big=True, list_keys=100_000)
        else:
            # Peers: 1 GiB only in the full run; moto keeps objects in memory and both are slow,
            # so their listing gets fewer keys in the quick run and a time cap on preparing.
            runner.run_all(big=not QUICK, list_keys=10_000 if QUICK else 100_000,
                           list_prepare_cap=30 if QUICK else 240)
        if kind == "s3trail+data-events":
            log("waiting for the last deliveries and counting records in bench-logs")
            check = count_delivered(srv, runner.issued_total)
            log(f"delivered: {check}")
            results.append(check)
        if kind == "s3rver":
            for r in results:
                if r.get("server") == "s3rver":
                    r["version"] = srv.version()
    finally:
        srv.stop()


def run_trail_latency(results):
    n = 20 if QUICK else 100
    log(f"bench/trail_latency.py with {n} calls")
    p = subprocess.run([sys.executable, str(REPO / "bench" / "trail_latency.py"), str(S3TRAIL), str(n), "--json"],
                       capture_output=True, text=True, cwd=REPO, timeout=600)
    if p.returncode != 0:
        log(f"trail_latency.py failed: {p.stderr[-2000:]}")
        return
    r = json.loads(p.stdout.strip().splitlines()[-1])
    log(f"trail latency: {r}")
    results.append(r)


# ---- audit pipeline micro-benchmark (bench/pipeline.c, built by bench/bench.mk) -----------------
# build/rel/bench/pipeline prints one JSON object per line; each becomes an element of
# results.json (server "s3trail" unless it names one). Skipped when the binary is absent.
def run_pipeline(results):
    if not os.access(PIPELINE, os.X_OK):
        log(f"{PIPELINE.relative_to(REPO)} not built: skipping the audit pipeline benchmark")
        return
    log("audit pipeline micro-benchmark")
    p = subprocess.run([str(PIPELINE)], capture_output=True, text=True, cwd=REPO, timeout=600)
    if p.returncode != 0:
        log(f"pipeline failed ({p.returncode}): {p.stderr[-2000:]}")
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            r = json.loads(line)
        except ValueError:
            log(f"pipeline: not JSON: {line[:200]}")
            continue
        r.setdefault("name", "pipeline")
        r.setdefault("server", "s3trail")
        r["source"] = "pipeline"
        results.append(r)
# --------------------------------------------------------------------------------------------------


def machine(command):
    cpu = "unknown"
    mem = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=REPO).stdout.strip() or None
    except OSError:
        commit = None
    return {"name": "machine", "server": None, "nproc": os.cpu_count(), "cpu": cpu,
            "kernel": platform.release(), "mem_gib": mem,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": command, "quick": QUICK, "git_commit": commit, "loadavg_start": loadavg()}


def loadavg():
    """The 1-minute load average: other work on the machine shows here, and in the figures."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return None


# ---- docs/benchmarks.md --------------------------------------------------------------------------

SERVER_ORDER = ["s3trail", "s3trail+data-events", "s3rver", "moto", "bare-mhd"]
GROUP_ORDER = ["put-4KiB", "get-4KiB", "delete-4KiB", "put-1MiB", "get-1MiB", "put-1GiB", "get-1GiB",
               "list-v2"]


def group_of(r):
    return "list-v2" if r["name"].startswith("list-v2") else r["name"]


def find(results, server, name, conns=None):
    for r in results:
        if r.get("server") == server and (r.get("name") == name or (name == "list-v2" and
                                                                    r.get("name", "").startswith("list-v2"))):
            if conns is None or r.get("connections") == conns:
                return r
    return None


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float) and v >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}" if isinstance(v, float) else f"{v:,}"


def ratio(a, b):
    return a / b if a is not None and b else None


def render(results):
    m = results[0]
    rs = [r for r in results[1:] if "ops_per_s" in r and r.get("source") != "pipeline"]
    out = [BEGIN, "",
           f"Generated by `{m['command']}` on {m['date']} (commit {m['git_commit']}). "
           f"Machine: {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}, {m['mem_gib']} GiB; "
           "shared and noisy: the load generator runs on the same two cores as the server, so "
           "every figure is for client and server together; the 1-minute load average was "
           f"{m.get('loadavg_start')} at the start and {m.get('loadavg_end')} at the end (anything "
           "above ~2 at the start is someone else's work).",
           "",
           "Load generator: `build/bench/loadgen` (bench/loadgen.c), N keep-alive HTTP/1.1 "
           "connections, SigV4 with UNSIGNED-PAYLOAD, requests back to back"
           f" for {m.get('seconds_per_workload', 3 if m['quick'] else 15):g} s per workload after a "
           "warm-up (1 GiB: one transfer). "
           "MiB/s counts object payload (list-v2: response bytes); RSS is the server's peak during "
           "the workload"
           + ("; server CPU per op is the server process's user+system time over the ops (less "
              "sensitive to other load than ops/s)" if any("server_cpu_us_per_op" in r for r in rs) else "")
           + ". `s3trail+data-events` has a started trail selecting every S3 data event, "
           f"delivering every {DELIVERY_INTERVAL} s during the run. Raw figures: `bench/results.json`.",
           ""]
    if m["quick"]:
        out += ["*Quick run (`QUICK=1`): short workloads; the peers list 10k keys and skip 1 GiB.*", ""]

    # Goals first: they are what the figures are for.
    out += goals(results), ""

    groups = []
    for r in rs:
        g = group_of(r)
        if g not in groups:
            groups.append(g)
    groups.sort(key=lambda g: GROUP_ORDER.index(g) if g in GROUP_ORDER else 99)
    for g in groups:
        rows = [r for r in rs if group_of(r) == g]
        rows.sort(key=lambda r: (SERVER_ORDER.index(r["server"]) if r["server"] in SERVER_ORDER else 99,
                                 r["connections"]))
        out += [f"### {g}", ""]
        cols = [("server", lambda r: r["server"])]
        if g == "list-v2":
            cols += [("keys", lambda r: fmt(r.get("keys"))), ("conns", lambda r: r["connections"]),
                     ("pages/s", lambda r: fmt(r["ops_per_s"])), ("keys/s", lambda r: fmt(r.get("keys_per_s")))]
        else:
            cols += [("conns", lambda r: r["connections"]), ("ops/s", lambda r: fmt(r["ops_per_s"])),
                     ("MiB/s", lambda r: fmt(r["mb_per_s"]))]
        cols += [("p50 ms", lambda r: fmt(r["p50_ms"], 2)), ("p99 ms", lambda r: fmt(r["p99_ms"], 2)),
                 ("errors", lambda r: r["errors"]), ("server RSS MiB", lambda r: fmt(r["rss_mb"]))]
        if any(r.get("server_cpu_us_per_op") is not None for r in rows):  # absent from older results
            cols.append(("server CPU µs/" + ("page" if g == "list-v2" else "op"),
                         lambda r: fmt(r.get("server_cpu_us_per_op"))))
        out += ["| " + " | ".join(c[0] for c in cols) + " |", "|" + "---|" * len(cols)]
        out += ["| " + " | ".join(str(c[1](r)) for c in cols) + " |" for r in rows]
        out += [""] + ratios(rs, g) + [""]

    for r in results[1:]:
        if r.get("name") == "failed":
            out += [f"**{r['server']} failed** and was skipped: `{r['error'].splitlines()[0][:300]}`", ""]
    extra = [r for r in results[1:] if r.get("name") in ("trail-latency", "data-events-delivered")
             or r.get("source") == "pipeline"]
    if extra:
        out += ["### CloudTrail delivery and audit pipeline", ""]
        for r in extra:
            if r["name"] == "trail-latency":
                out.append(f"- `bench/trail_latency.py` ({r['calls']} CreateBucket calls, delivery interval "
                           f"{r['delivery_interval_s']} s): delivery p50 {fmt(r['delivery_p50_ms'], 0)} ms, "
                           f"p99 {fmt(r['delivery_p99_ms'], 0)} ms; LookupEvents visibility p50 "
                           f"{fmt(r['lookup_p50_ms'], 2)} ms, p99 {fmt(r['lookup_p99_ms'], 2)} ms.")
            elif r["name"] == "data-events-delivered":
                ev = ", ".join(f"{k} {v:,}" for k, v in sorted(r["by_event"].items()))
                out.append(f"- Data events delivered by the `s3trail+data-events` run: "
                           f"{r['data_records_bucket_bench']:,} records for bucket `bench` in {r['log_files']} "
                           f"log files, for {r['requests_sent_to_bench']:,} requests sent "
                           f"({'all delivered' if r['complete'] else 'INCOMPLETE'}; {ev}).")
            else:
                skip = ("name", "server", "source", "connections", "ops_per_s")
                fields = ", ".join(f"{k} {v}" for k, v in r.items() if k not in skip)
                out.append(f"- `build/rel/bench/pipeline` `{r['name']}` (one core): {fields}")
        out.append("")
    out.append(END)
    return "\n".join(out)


def ratios(rs, g):
    lines = []
    base = find(rs, "s3trail", g, 64 if g.endswith("4KiB") else None)
    if base is None:
        return lines
    conns = base["connections"]
    parts = []
    key = "keys_per_s" if g == "list-v2" else "mb_per_s" if g.endswith("GiB") else "ops_per_s"
    for peer in PEERS:
        p = find(rs, peer, g, conns)
        x = ratio(base.get(key), p.get(key) if p else None)
        if x is not None:
            parts.append(f"{x:.1f}× {peer}")
    if g == "get-4KiB":
        b = find(rs, "bare-mhd", g, conns)
        x = ratio(base["ops_per_s"], b["ops_per_s"] if b else None)
        if x is not None:
            parts.append(f"{x * 100:.0f}% of the bare-MHD ceiling")
    on = find(rs, "s3trail+data-events", g, conns)
    if on is not None and base.get(key):
        cost = (base[key] - on[key]) / base[key] * 100
        cpu = ratio(on.get("server_cpu_us_per_op"), base.get("server_cpu_us_per_op"))
        parts.append(f"data events on vs off: throughput {-cost:+.1f}%, p99 {on['p99_ms'] - base['p99_ms']:+.2f} ms"
                     + (f", server CPU per op {(cpu - 1) * 100:+.0f}%" if cpu else ""))
    if parts:
        unit = {"keys_per_s": "keys/s", "mb_per_s": "MiB/s"}.get(key, "ops/s")
        lines.append(f"s3trail ({conns} conns, {unit}): " + "; ".join(parts) + ".")
    return lines


def pipeline_rate(results):
    """Records per second per core of the whole audit pipeline, from the pipeline benchmark: its
    "audit-pipeline" element (records over CPU seconds), else the slowest element it printed."""
    rates = {}
    for r in results:
        if r.get("source") != "pipeline":
            continue
        if isinstance(r.get("records"), (int, float)) and r.get("cpu_seconds"):
            rates[r["name"]] = r["records"] / r["cpu_seconds"]
        elif isinstance(r.get("records_per_s_per_core"), (int, float)):
            rates[r["name"]] = r["records_per_s_per_core"]
        elif isinstance(r.get("records_per_s"), (int, float)):
            rates[r["name"]] = r["records_per_s"] / (r.get("threads") or 1)
    if not rates:
        return None, None
    name = "audit-pipeline" if "audit-pipeline" in rates else min(rates, key=rates.get)
    return rates[name], name


def goals(results):
    rs = [r for r in results[1:] if "ops_per_s" in r]
    rows = []

    def row(goal, measured, met):
        verdict = "–" if met is None else ("met" if met else "**missed**")
        rows.append(f"| {goal} | {measured} | {verdict} |")

    on = find(rs, "s3trail+data-events", "put-4KiB", 64)
    off = find(rs, "s3trail", "put-4KiB", 64)
    row("4 KiB durable PUT, data events on, 64 connections ≥ 10,000/s",
        f"{fmt(on['ops_per_s'])}/s" if on else "not run", on["ops_per_s"] >= 10000 if on else None)
    for peer, want in (("s3rver", 20), ("moto", 50)):
        p = find(rs, peer, "put-4KiB", 64)
        x = ratio(off["ops_per_s"] if off else None, p["ops_per_s"] if p else None)
        x_on = ratio(on["ops_per_s"] if on else None, p["ops_per_s"] if p else None)
        row(f"4 KiB PUT ≥ {want}× {peer} (64 connections)",
            f"{x:.1f}× (data events on: {x_on:.1f}×)" if x and x_on else (f"{x:.1f}×" if x else "not run"),
            x >= want if x else None)
    if on and off:
        cost = (off["ops_per_s"] - on["ops_per_s"]) / off["ops_per_s"] * 100
        dp99 = on["p99_ms"] - off["p99_ms"]
        worst = None
        for r in rs:
            if r["server"] != "s3trail+data-events":
                continue
            b = find(rs, "s3trail", r["name"], r["connections"])
            if b and b["ops_per_s"] and r["name"] != "get-1GiB" and r["name"] != "put-1GiB":
                c = (b["ops_per_s"] - r["ops_per_s"]) / b["ops_per_s"] * 100
                if worst is None or c > worst[0]:
                    worst = (c, r["name"], r["connections"])
        note = f"; worst workload: {worst[1]} at {worst[2]} conns, {worst[0]:.1f}%" if worst else ""
        cpu = ratio(on.get("server_cpu_us_per_op"), off.get("server_cpu_us_per_op"))
        if cpu:
            note += f"; server CPU per PUT {(cpu - 1) * 100:+.0f}%"
        row("audit cost (data events on vs off), 4 KiB PUT at 64 connections: ≤ 5% throughput, ≤ 1 ms p99",
            f"{cost:.1f}% throughput, {dp99:+.2f} ms p99{note}", cost <= 5 and dp99 <= 1)
    else:
        row("audit cost (data events on vs off): ≤ 5% throughput, ≤ 1 ms p99", "not run", None)
    g, b = find(rs, "s3trail", "get-4KiB", 64), find(rs, "bare-mhd", "get-4KiB", 64)
    x = ratio(g["ops_per_s"] if g else None, b["ops_per_s"] if b else None)
    row("4 KiB GET ≥ 50% of the bare-MHD ceiling (64 connections)",
        f"{x * 100:.0f}% ({fmt(g['ops_per_s'])} of {fmt(b['ops_per_s'])}/s)" if x else "not run",
        x >= 0.5 if x else None)
    big = [r for r in rs if r["server"].startswith("s3trail") and r["name"] in ("put-1GiB", "get-1GiB")]
    if big:
        worst = max(big, key=lambda r: r["rss_mb"] or 0)
        row("1 GiB PUT and GET with server RSS < 64 MiB",
            f"peak {fmt(worst['rss_mb'])} MiB ({worst['name']}, {worst['server']})",
            all(r["rss_mb"] is not None and r["rss_mb"] < 64 and r["errors"] == 0 for r in big))
    else:
        row("1 GiB PUT and GET with server RSS < 64 MiB", "not run", None)
    pr, pname = pipeline_rate(results)
    row("audit pipeline ≥ 200,000 records/s per core",
        f"{fmt(float(pr))} records/s per core (`{pname}`)" if pr
        else "not measured (build/rel/bench/pipeline absent)",
        pr >= 200000 if pr else None)
    tl = next((r for r in results if r.get("name") == "trail-latency"), None)
    row("delivery latency (interval 1 s), p50 / p99",
        f"{fmt(tl['delivery_p50_ms'], 0)} / {fmt(tl['delivery_p99_ms'], 0)} ms" if tl else "not run", None)
    row("LookupEvents visibility, p50 / p99",
        f"{fmt(tl['lookup_p50_ms'], 2)} / {fmt(tl['lookup_p99_ms'], 2)} ms" if tl else "not run", None)
    dd = next((r for r in results if r.get("name") == "data-events-delivered"), None)
    if dd:
        row("every data event delivered (s3trail+data-events run)",
            f"{dd['data_records_bucket_bench']:,} of {dd['requests_sent_to_bench']:,}", dd["complete"])
    return "\n".join(["### Goals", "", "| goal | measured | verdict |", "|---|---|---|"] + rows)


def write_docs(path, results):
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    gen = render(results)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + gen + tail
    else:
        lines = text.split("\n", 1)
        title, body = (lines[0], lines[1] if len(lines) > 1 else "") if lines[0].startswith("# ") \
            else ("# Benchmarks", text)
        text = f"{title}\n\n{gen}\n\n{body.lstrip()}"
    path.write_text(text)


# ---- main ----------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", default="s3trail,s3trail+data-events,s3rver,moto,bare-mhd",
                    help="comma-separated subset to run")
    ap.add_argument("--seconds", type=float, default=3 if QUICK else 15, help="seconds per workload")
    ap.add_argument("--out", default=str(REPO / "bench" / "results.json"))
    ap.add_argument("--docs", default=str(REPO / "docs" / "benchmarks.md"), help="'' to leave the docs alone")
    ap.add_argument("--no-extras", action="store_true", help="skip trail_latency.py and pipeline")
    ap.add_argument("--render-only", action="store_true",
                    help="run nothing: regenerate the docs from the --out file")
    args = ap.parse_args()
    if args.render_only:
        write_docs(Path(args.docs), json.loads(Path(args.out).read_text()))
        log(f"updated {args.docs} from {args.out}")
        return

    for f in (LOADGEN, BARE, S3TRAIL):
        if not os.access(f, os.X_OK):
            sys.exit(f"bench: {f} is missing: run `make bench` (it builds s3trail and build/bench/*)")
    command = "make bench" + (" QUICK=1" if QUICK else "")
    results = [machine(command)]
    results[0]["seconds_per_workload"] = args.seconds
    t0 = time.monotonic()
    servers = [s for s in args.servers.split(",") if s]
    for kind in servers:
        try:
            if kind == "bare-mhd":
                log("starting bare-mhd")
                run_bare(results, args.seconds)
            else:
                run_server(kind, results, args.seconds)
        except Exception as e:  # noqa: BLE001 — a broken peer must not hide s3trail's figures
            if kind.startswith("s3trail"):
                raise
            log(f"{kind} failed, skipped: {e}")
            results.append({"name": "failed", "server": kind, "error": str(e)[:2000]})
    if not args.no_extras:
        run_trail_latency(results)
        run_pipeline(results)
    results[0]["elapsed_s"] = round(time.monotonic() - t0, 1)
    results[0]["loadavg_end"] = loadavg()

    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    log(f"wrote {args.out} ({len(results) - 1} results) in {results[0]['elapsed_s']} s")
    if args.docs:
        write_docs(Path(args.docs), results)
        log(f"updated {args.docs}")


if __name__ == "__main__":
    main()
