"""The aws CLI against the server (s3 high-level commands and s3api errors), the server's banner
and the admin CLI."""
import json
import os
import secrets
import string
import time


from e2e_support import MiB, file_sha256, multipart_etag_of_file, purge_bucket, unique_bucket_name


def test_banner(server):
    out = server.proc.stdout_text()
    assert f"http://127.0.0.1:{server.port}" in out, out
    assert "us-east-1" in out, out
    assert server.access_key in out, out
    assert server.secret_key in out, out
    assert "aws " in out and "--endpoint-url" in out, out


# ---- admin CLI ------------------------------------------------------------------------------------------

def test_admin_account_and_key_create(server):
    acct_id = "".join(secrets.choice(string.digits) for _ in range(12))
    canonical = secrets.token_hex(32)
    name = f"cli-{secrets.token_hex(4)}"
    acct = server.proc.admin_json("account", "create", "--id", acct_id, "--canonical-id", canonical,
                                  "--name", name, "--email", f"{name}@example.com")
    assert acct == {"AccountId": acct_id, "CanonicalUserId": canonical, "DisplayName": name,
                    "Email": f"{name}@example.com"}
    ak = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    sk = secrets.token_urlsafe(30)[:40]
    key = server.proc.admin_json("key", "create", "--account", acct_id, "--access-key", ak, "--secret", sk)
    assert key == {"AccessKeyId": ak, "SecretAccessKey": sk, "AccountId": acct_id}

    client = server.client(access_key=ak, secret_key=sk)
    listed = client.list_buckets()
    assert listed["Buckets"] == []
    assert listed["Owner"]["ID"] == canonical
    assert listed["Owner"]["DisplayName"] == name


def test_admin_generated_ids(server):
    acct = server.proc.admin_json("account", "create")
    assert len(acct["AccountId"]) == 12 and acct["AccountId"].isdigit()
    assert len(acct["CanonicalUserId"]) == 64
    int(acct["CanonicalUserId"], 16)
    key = server.proc.admin_json("key", "create", "--account", acct["AccountId"])
    assert key["AccountId"] == acct["AccountId"]
    assert key["AccessKeyId"] and key["SecretAccessKey"]
    assert server.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]).list_buckets()["Buckets"] == []


def test_admin_key_for_unknown_account_fails(server):
    p = server.proc.admin("key", "create", "--account", "000000000000", check=False)
    assert p.returncode != 0


# ---- aws s3 ------------------------------------------------------------------------------------------------

def test_cp_100_mib_multipart_roundtrip(aws, s3, bucket, tmp_path):
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        for i in range(100):
            f.write(os.urandom(MiB))
    p = aws("s3", "cp", src, f"s3://{bucket}/dir/big.bin", "--only-show-errors", check=True)
    assert p.stderr == ""
    head = s3.head_object(Bucket=bucket, Key="dir/big.bin")
    assert head["ContentLength"] == 100 * MiB
    # the CLI splits into 8 MiB parts: 13 parts
    assert head["ETag"] == multipart_etag_of_file(src, 8 * MiB)

    dst = tmp_path / "down.bin"
    aws("s3", "cp", f"s3://{bucket}/dir/big.bin", dst, "--only-show-errors", check=True)
    assert dst.stat().st_size == 100 * MiB
    assert file_sha256(dst) == file_sha256(src)


def make_tree(root):
    files = {
        "top.txt": b"top level\n",
        "docs/readme.md": b"# readme\n" * 50,
        "docs/with space.txt": b"spaces",
        "deep/a/b/c/leaf.bin": os.urandom(70_000),
        "empty.dat": b"",
    }
    old = time.time() - 3600  # S3's LastModified has 1 s resolution: keep local files clearly older
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, (old, old))
    return files


def test_sync_up_and_down(aws, s3, bucket, tmp_path):
    up = tmp_path / "up"
    files = make_tree(up)
    aws("s3", "sync", up, f"s3://{bucket}/tree", "--only-show-errors", check=True)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(f"tree/{k}" for k in files)

    # nothing changed: a second sync uploads nothing
    again = aws("s3", "sync", up, f"s3://{bucket}/tree", check=True)
    assert again.stdout.strip() == "", again.stdout

    down = tmp_path / "down"
    aws("s3", "sync", f"s3://{bucket}/tree", down, "--only-show-errors", check=True)
    for rel, data in files.items():
        assert (down / rel).read_bytes() == data, rel

    # a changed file is uploaded again
    (up / "top.txt").write_bytes(b"changed content, longer than before\n")
    changed = aws("s3", "sync", up, f"s3://{bucket}/tree", check=True)
    assert "top.txt" in changed.stdout
    assert "readme.md" not in changed.stdout
    assert s3.get_object(Bucket=bucket, Key="tree/top.txt")["Body"].read() == b"changed content, longer than before\n"


def test_ls(aws, s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/inner.txt", Body=b"12345")
    s3.put_object(Bucket=bucket, Key="file.txt", Body=b"1234567")
    buckets = aws("s3", "ls", check=True).stdout
    assert any(line.split()[-1] == bucket for line in buckets.splitlines()), buckets

    top = aws("s3", "ls", f"s3://{bucket}/", check=True).stdout.splitlines()
    assert any(line.split() == ["PRE", "dir/"] for line in top), top
    assert any(line.split()[-2:] == ["7", "file.txt"] for line in top), top

    rec = aws("s3", "ls", "--recursive", f"s3://{bucket}", check=True).stdout.splitlines()
    assert sorted(line.split()[-1] for line in rec) == ["dir/inner.txt", "file.txt"]


def test_ls_missing_bucket(aws):
    p = aws("s3", "ls", f"s3://{unique_bucket_name('nols')}/")
    assert p.returncode == 255
    assert "NoSuchBucket" in p.stderr


def test_rm_recursive(aws, s3, bucket):
    for i in range(30):
        s3.put_object(Bucket=bucket, Key=f"r/{i % 3}/{i}", Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    aws("s3", "rm", "--recursive", f"s3://{bucket}/r/", "--only-show-errors", check=True)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]


def test_mb_rb(aws, s3):
    name = unique_bucket_name("mbrb")
    try:
        aws("s3", "mb", f"s3://{name}", check=True)
        assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
        s3.put_object(Bucket=name, Key="x", Body=b"x")
        p = aws("s3", "rb", f"s3://{name}")
        assert p.returncode != 0
        assert "BucketNotEmpty" in p.stderr
        aws("s3", "rb", "--force", f"s3://{name}", check=True)
    finally:
        purge_bucket(s3, name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_cp_stdin_stdout(aws, s3, bucket):
    aws("s3", "cp", "-", f"s3://{bucket}/piped", input="from stdin\n", check=True)
    assert s3.get_object(Bucket=bucket, Key="piped")["Body"].read() == b"from stdin\n"
    p = aws("s3", "cp", f"s3://{bucket}/piped", "-", check=True)
    assert p.stdout == "from stdin\n"


# ---- aws s3api errors --------------------------------------------------------------------------------------

def test_s3api_no_such_key(aws, bucket, tmp_path):
    p = aws("s3api", "get-object", "--bucket", bucket, "--key", "missing", tmp_path / "o")
    assert p.returncode == 255
    assert "(NoSuchKey)" in p.stderr


def test_s3api_head_missing(aws, bucket):
    p = aws("s3api", "head-object", "--bucket", bucket, "--key", "missing")
    assert p.returncode == 255
    assert "(404)" in p.stderr


def test_s3api_invalid_bucket_name(aws):
    p = aws("s3api", "create-bucket", "--bucket", "Invalid..Name")
    assert p.returncode == 255
    assert "(InvalidBucketName)" in p.stderr


def test_s3api_success_json(aws, bucket):
    p = aws("s3api", "put-object", "--bucket", bucket, "--key", "j", "--body", __file__, check=True)
    assert json.loads(p.stdout)["ETag"].startswith('"')
    p = aws("s3api", "list-objects-v2", "--bucket", bucket, check=True)
    assert [o["Key"] for o in json.loads(p.stdout)["Contents"]] == ["j"]


def test_s3api_bad_credentials(aws, bucket):
    p = aws("s3api", "list-objects-v2", "--bucket", bucket, creds=("AKIAIOSFODNN7UNKNOWN", "x" * 40))
    assert p.returncode == 255
    assert "(InvalidAccessKeyId)" in p.stderr
