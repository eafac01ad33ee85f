"""End-to-end harness: starts the real s3trail binary and hands tests clients for it.

The binary is $S3TRAIL_BIN (default <repo>/s3trail). One server runs per test session, on a free
port with a temporary data directory; its stdout/stderr go to files in that directory and are
attached to the report of every failing test (the part written during that test) and printed
when the server cannot start, dies, or reports a sanitizer error at shutdown.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e_support import Raw, install_request_id_check, purge_bucket, unique_bucket_name  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
REGIONS = "us-east-1,eu-west-1"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "ERROR: UndefinedBehaviorSanitizer", "WARNING: AddressSanitizer")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test (make check-slow); excluded from make check")


def binary_path():
    return os.environ.get("S3TRAIL_BIN") or str(REPO / "s3trail")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def random_access_key():
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def random_secret_key():
    return "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))


def tail(text, limit=6000):
    return text if len(text) <= limit else "...[cut]...\n" + text[-limit:]


class ServerProcess:
    """One s3trail server: `serve` on 127.0.0.1:<free port> with its own data directory."""

    def __init__(self, name="main", regions=REGIONS, domain="localhost", binary=None, extra_args=(), env=None):
        self.name = name
        self.extra_args = list(extra_args)
        self.extra_env = dict(env or {})
        self.binary = binary or binary_path()
        self.regions = regions
        self.domain = domain
        self.tmp = Path(tempfile.mkdtemp(prefix=f"s3trail-e2e-{name}-"))
        self.data_dir = self.tmp / "data"
        self.stdout_path = self.tmp / "server.stdout"
        self.stderr_path = self.tmp / "server.stderr"
        self.access_key = random_access_key()
        self.secret_key = random_secret_key()
        self.host = "127.0.0.1"
        self.port = None
        self.proc = None
        self.exit_code = None

    # -- life cycle --
    def env(self):
        env = dict(os.environ)
        env["S3TRAIL_ROOT_ACCESS_KEY"] = self.access_key
        env["S3TRAIL_ROOT_SECRET_KEY"] = self.secret_key
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        env.update(self.extra_env)
        return env

    def start(self, timeout=90):
        if not os.access(self.binary, os.X_OK):
            pytest.exit(f"s3trail binary not found or not executable: {self.binary} "
                        "(set S3TRAIL_BIN or build it)", returncode=3)
        for attempt in range(3):
            self.port = free_port()
            self.data_dir.mkdir(parents=True, exist_ok=True)
            cmd = [self.binary, "serve", "--listen", f"{self.host}:{self.port}", "--data", str(self.data_dir),
                   "--regions", self.regions, "--domain", self.domain, *self.extra_args]
            out = open(self.stdout_path, "ab")
            err = open(self.stderr_path, "ab")
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env(),
                                         cwd=str(self.tmp))
            out.close()
            err.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                rc = self.proc.poll()
                if rc is not None:
                    break
                try:
                    with socket.create_connection((self.host, self.port), timeout=0.5):
                        return self
                except OSError:
                    time.sleep(0.05)
            else:
                self.kill()
                raise RuntimeError(f"s3trail did not accept connections on port {self.port} within {timeout}s\n"
                                   + self.logs())
            if "in use" in self.stderr_text().lower() and attempt < 2:
                continue
            raise RuntimeError(f"s3trail exited with status {self.proc.returncode} during start-up\n"
                               f"command: {' '.join(cmd)}\n" + self.logs())
        raise RuntimeError("could not start s3trail")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, timeout=60):
        """SIGTERM, wait; returns a description of anything wrong (or None)."""
        problems = []
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                problems.append(f"did not exit within {timeout}s of SIGTERM (killed)")
                self.proc.kill()
                self.proc.wait()
        else:
            problems.append(f"had already exited (status {self.proc.returncode}) before the end of the session")
        self.exit_code = self.proc.returncode
        if self.exit_code != 0:
            problems.append(f"exit status {self.exit_code} after SIGTERM")
        err = self.stderr_text()
        if any(m in err for m in SANITIZER_MARKERS):
            problems.append("sanitizer report in stderr")
        if problems:
            return f"s3trail [{self.name}] " + "; ".join(problems) + "\n" + self.logs(limit=20000)
        return None

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- logs --
    def stdout_text(self):
        try:
            return self.stdout_path.read_text(errors="replace")
        except OSError:
            return ""

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_offsets(self):
        return tuple(p.stat().st_size if p.exists() else 0 for p in (self.stdout_path, self.stderr_path))

    def logs_since(self, offsets, limit=6000):
        parts = []
        for path, off in zip((self.stdout_path, self.stderr_path), offsets):
            try:
                with open(path, "rb") as f:
                    f.seek(off)
                    parts.append(f"--- {path.name} ---\n" + tail(f.read().decode(errors="replace"), limit))
            except OSError:
                pass
        return "\n".join(parts)

    def logs(self, limit=6000):
        return (f"--- {self.stdout_path} ---\n{tail(self.stdout_text(), limit)}\n"
                f"--- {self.stderr_path} ---\n{tail(self.stderr_text(), limit)}")

    def rss_peak_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    # -- admin CLI --
    def admin(self, *args, check=True):
        cmd = [self.binary, "admin", "--data", str(self.data_dir), *args]
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env(), timeout=120)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def admin_json(self, *args):
        p = self.admin(*args)
        try:
            return json.loads(p.stdout)
        except ValueError:
            raise RuntimeError(f"admin {' '.join(args)} did not print JSON: {p.stdout!r} {p.stderr!r}")

    # -- clients --
    @property
    def endpoint(self):
        return f"http://{self.host}:{self.port}"

    def client(self, access_key=None, secret_key=None, region="us-east-1", unsigned=False, **config):
        s3cfg = config.pop("s3", {"addressing_style": "path"})
        cfg = Config(signature_version=UNSIGNED if unsigned else config.pop("signature_version", "s3v4"),
                     retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=300,
                     s3=s3cfg, **config)
        client = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=region,
            aws_access_key_id=None if unsigned else (access_key or self.access_key),
            aws_secret_access_key=None if unsigned else (secret_key or self.secret_key),
            config=cfg)
        return install_request_id_check(client)


class ServerInfo:
    """What tests get from the `server` fixture."""

    def __init__(self, proc, alt_account, alt_keys):
        self.proc = proc
        self.endpoint = proc.endpoint
        self.host = proc.host
        self.port = proc.port
        self.access_key = proc.access_key
        self.secret_key = proc.secret_key
        self.data_dir = proc.data_dir
        self.tmp = proc.tmp
        self.alt_account = alt_account          # {"AccountId","CanonicalUserId","DisplayName","Email"}
        self.alt_access_key = alt_keys["AccessKeyId"]
        self.alt_secret_key = alt_keys["SecretAccessKey"]
        self.binary = proc.binary

    def client(self, **kw):
        return self.proc.client(**kw)

    def alt_client(self, **kw):
        return self.proc.client(access_key=self.alt_access_key, secret_key=self.alt_secret_key, **kw)


_SERVERS = []  # every ServerProcess started in this session, for failure reports


@pytest.fixture(scope="session")
def server():
    proc = ServerProcess("main")
    _SERVERS.append(proc)
    proc.start()
    try:
        alt_account = proc.admin_json("account", "create", "--name", "alt", "--email", "alt@example.com")
        alt_keys = proc.admin_json("key", "create", "--account", alt_account["AccountId"])
    except Exception:
        proc.stop()
        raise
    info = ServerInfo(proc, alt_account, alt_keys)
    yield info
    problem = proc.stop()
    if not os.environ.get("S3TRAIL_E2E_KEEP"):
        proc.cleanup()  # the failure message below carries the logs; S3TRAIL_E2E_KEEP=1 keeps the directory
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(autouse=True)
def _server_watch(request):
    """Remembers where the server logs stood when a test began; fails the test if the server
    died during it."""
    request.node._s3trail_offsets = [(s, s.log_offsets()) for s in _SERVERS]
    yield
    for s in _SERVERS:
        if s.proc is not None and s.exit_code is None and s.proc.poll() is not None:
            if getattr(s, "death_reported", False):
                pytest.fail(f"s3trail [{s.name}] is not running (it died in an earlier test)", pytrace=False)
            s.death_reported = True
            pytest.fail(f"s3trail [{s.name}] died (status {s.proc.returncode}) during this test\n" + s.logs(20000),
                        pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        offsets = dict(getattr(item, "_s3trail_offsets", []))
        for s in _SERVERS:
            text = s.logs_since(offsets.get(s, (0, 0)), limit=4000).strip()
            if text:
                rep.sections.append((f"s3trail [{s.name}] output during this test", text))


@pytest.fixture
def start_server():
    """Factory for a dedicated server (e.g. to measure its memory alone): start_server(name) ->
    ServerProcess, stopped after the test; a bad exit or sanitizer report fails the test."""
    started = []

    def start(name="extra", **kw):
        p = ServerProcess(name, **kw)
        _SERVERS.append(p)
        started.append(p)
        return p.start()

    yield start
    problems = []
    for p in started:
        problem = p.stop()
        if problem:
            problems.append(problem)
        if not os.environ.get("S3TRAIL_E2E_KEEP"):
            p.cleanup()
        _SERVERS.remove(p)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def s3(server):
    return server.client()


@pytest.fixture(scope="session")
def s3_alt(server):
    return server.alt_client()


@pytest.fixture(scope="session")
def s3_anon(server):
    return server.client(unsigned=True)


@pytest.fixture(scope="session")
def main_canonical_id(s3):
    return s3.list_buckets()["Owner"]["ID"]


@pytest.fixture
def make_bucket(request, server):
    """Factory: make_bucket(client=None, name=None, **create_bucket_kwargs) -> name. Every bucket
    made is emptied and deleted after the test (with the client that made it)."""
    made = []

    def make(client=None, name=None, **kwargs):
        client = client or server.client()
        name = name or unique_bucket_name(request.node.name)
        client.create_bucket(Bucket=name, **kwargs)
        made.append((client, name))
        return name

    yield make
    for client, name in reversed(made):
        purge_bucket(client, name)


@pytest.fixture
def bucket(make_bucket, s3):
    """A fresh, uniquely named bucket of the main account, emptied and deleted afterwards."""
    return make_bucket(s3)


@pytest.fixture(scope="session")
def raw(server):
    """Raw(method, path, ...) — see e2e_support.Raw."""
    return Raw(server.host, server.port, server.access_key, server.secret_key)


class AwsCli:
    """Runs the aws CLI against the server with env credentials and --endpoint-url."""

    def __init__(self, server):
        self.server = server
        self.exe = shutil.which("aws")
        self.config_file = server.tmp / "aws-config"
        self.config_file.write_text("[default]\nregion = us-east-1\n")

    def env(self, creds=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        ak, sk = creds or (self.server.access_key, self.server.secret_key)
        env.update({
            "AWS_ACCESS_KEY_ID": ak,
            "AWS_SECRET_ACCESS_KEY": sk,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(self.config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.server.tmp / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
        })
        return env

    def __call__(self, *args, creds=None, check=False, timeout=600, cwd=None, input=None):
        if self.exe is None:
            pytest.fail("aws CLI not found on PATH")
        cmd = [self.exe, "--endpoint-url", self.server.endpoint, *map(str, args)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env(creds), timeout=timeout,
                           cwd=cwd, input=input)
        if check and p.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}",
                        pytrace=False)
        return p


@pytest.fixture(scope="session")
def aws(server):
    return AwsCli(server)
