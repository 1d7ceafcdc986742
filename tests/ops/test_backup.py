"""`hoctap backup create|restore` while contest answers are being saved over HTTP, the
archive checks and refusals, and the PostgreSQL recipe (pg_dump / pg_restore) from README."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from hoctap_learn.extensions import db as _db
from tests.pgcluster import find_bindir

from .conftest import BIN, base_env, gunicorn
from .webclient import answer_for, call

BASE = "/api/v1/contests"
PARTICIPANT = ("thisinh@demo.hoctap.vn", "HocTap@2022-thisinh")
#: Upper bound of saves the writer makes (the loop always ends).
MAX_SAVES = 5000


def hoctap(env: dict, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "hoctap"), *args], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


class Writer(threading.Thread):
    """Answers the practice round one question per save; submits and starts again."""

    def __init__(self, url: str, token: str):
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.acked: list[tuple[float, int, str, object]] = []  # (time, attempt, question, value)
        self.submitted: list[tuple[float, int]] = []
        self.stop_event = threading.Event()
        self.error: str | None = None
        self.enough = threading.Event()

    def run(self):
        try:
            n = 0
            while not self.stop_event.is_set() and n < MAX_SAVES:
                status, attempt = call(
                    "POST", f"{self.url}{BASE}/cong-dan-so/rounds/thi-thu/attempts", self.token
                )
                assert status in (200, 201), attempt
                for question in attempt["questions"]:
                    if self.stop_event.is_set() or n >= MAX_SAVES:
                        return
                    value = answer_for(question, n)
                    body = {"answers": {str(question["id"]): value}}
                    status, reply = call(
                        "PUT", f"{self.url}{BASE}/attempts/{attempt['id']}/answers", self.token,
                        body,
                    )  # fmt: skip
                    assert status == 200, reply
                    self.acked.append((time.monotonic(), attempt["id"], str(question["id"]), value))
                    n += 1
                    if n >= 15:
                        self.enough.set()
                status, reply = call(
                    "POST", f"{self.url}{BASE}/attempts/{attempt['id']}/submit", self.token
                )
                assert status == 200, reply
                self.submitted.append((time.monotonic(), attempt["id"]))
        except BaseException as error:  # reported by the test
            self.error = repr(error)
        finally:
            self.enough.set()


def restored_answers(client, token: str, attempt_id: int) -> tuple[str, dict]:
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get(f"{BASE}/attempts/{attempt_id}/result", headers=headers)
    if response.status_code == 409:  # still in progress
        response = client.get(f"{BASE}/attempts/{attempt_id}", headers=headers)
        state = "in_progress"
    else:
        state = "finished"
    assert response.status_code == 200, response.json
    return state, {str(q["id"]): q["answer"] for q in response.json["questions"]}


def test_backup_while_answers_are_saved_then_restore(instance, tmp_path):
    uploads = Path(instance["HOCTAP_UPLOAD_DIR"]) / "entries"
    uploads.mkdir(parents=True)
    (uploads / "bai-du-thi.mp3").write_bytes(b"ID3" + bytes(range(256)) * 40)
    env = base_env(**instance)
    archive = tmp_path / "sao-luu.tar.gz"
    with gunicorn(env, tmp_path / "web.log") as url:
        status, body = call(
            "POST", url + "/api/v1/auth/token", body={"email": PARTICIPANT[0],
                                                      "password": PARTICIPANT[1]}
        )  # fmt: skip
        assert status == 201, body
        token = body["token"]
        writer = Writer(url, token)
        writer.start()
        assert writer.enough.wait(timeout=120) and writer.error is None, writer.error
        began = time.monotonic()
        created = hoctap(env, "backup", "create", str(archive), "--json")
        ended = time.monotonic()
        saves_at_end = len(writer.acked)
        # the app keeps answering after the backup: a few more saves, then stop
        deadline = time.monotonic() + 60
        while len(writer.acked) < saves_at_end + 5 and writer.is_alive():
            assert time.monotonic() < deadline, "the writer stopped answering"
            time.sleep(0.05)
        writer.stop_event.set()
        writer.join(timeout=60)
    assert writer.error is None, writer.error
    assert created.returncode == 0, created.stderr
    manifest = json.loads(created.stdout)
    assert manifest["upload_files"] == 1 and manifest["schema_revision"]
    assert archive.stat().st_mode & 0o777 == 0o600  # password hashes inside
    before = [a for a in writer.acked if a[0] < began]
    assert len(before) >= 15
    during = [a for a in writer.acked if began <= a[0] < ended]
    print(f"saves acknowledged before the backup: {len(before)}, during it: {len(during)}")

    # restore into a fresh instance
    fresh = tmp_path / "fresh"
    fresh_env = base_env(
        DATABASE_URL=f"sqlite:///{fresh / 'hoctap.db'}",
        HOCTAP_INDEX_DIR=fresh / "search-index",
        HOCTAP_UPLOAD_DIR=fresh / "uploads",
        SECRET_KEY="ops-test-secret",
        HOCTAP_ARGON2=instance["HOCTAP_ARGON2"],
    )
    restored = hoctap(fresh_env, "backup", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "Đã phục hồi" in restored.stdout and "chỉ mục tìm kiếm" in restored.stdout
    mp3 = fresh / "uploads" / "entries" / "bai-du-thi.mp3"
    assert mp3.read_bytes() == (uploads / "bai-du-thi.mp3").read_bytes()

    from .conftest import another_app

    config = {
        "INSTANCE_PATH": fresh,
        "SQLALCHEMY_DATABASE_URI": fresh_env["DATABASE_URL"],
        "HOCTAP_INDEX_DIR": str(fresh / "search-index"),
        "SECRET_KEY": "ops-test-secret",
    }
    with another_app(config) as app:
        client = app.test_client()
        by_attempt: dict[int, dict] = {}
        for _, attempt_id, question, value in before:
            if attempt_id not in by_attempt:
                by_attempt[attempt_id] = restored_answers(client, token, attempt_id)[1]
            got = by_attempt[attempt_id].get(question)
            if isinstance(value, list):  # multiple choice is kept in option order
                got, value = sorted(got or []), sorted(value)
            assert got == value, (attempt_id, question)
        for at, attempt_id in writer.submitted:
            if at < began:
                assert restored_answers(client, token, attempt_id)[0] == "finished"
    tallies = hoctap(fresh_env, "report", "tallies")
    assert tallies.returncode == 0, tallies.stdout + tallies.stderr
    check = hoctap(fresh_env, "search", "check", "--json")
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["ok"] is True


# --- refusals ---------------------------------------------------------------------------------


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_backup_refusals_leave_everything_as_it_was(instance, tmp_path):
    env = base_env(**instance)
    good = tmp_path / "good.tar.gz"
    assert hoctap(env, "backup", "create", str(good)).returncode == 0
    again = hoctap(env, "backup", "create", str(good))
    assert again.returncode == 1 and "đã tồn tại" in again.stderr
    wrong = hoctap(env, "backup", "create", str(tmp_path / "x.zip"))
    assert wrong.returncode == 1 and ".tar.gz" in wrong.stderr
    nowhere = hoctap(env, "backup", "create", str(tmp_path / "khong-co" / "x.tar.gz"))
    assert nowhere.returncode == 1 and "không tồn tại" in nowhere.stderr

    with tarfile.open(good) as tar:
        manifest = tar.extractfile("manifest.json").read()
        database = tar.extractfile("hoctap.db").read()
    newer = json.loads(manifest)
    target = tmp_path / "target"
    target_env = base_env(
        DATABASE_URL=f"sqlite:///{target / 'hoctap.db'}",
        HOCTAP_INDEX_DIR=target / "idx",
        HOCTAP_UPLOAD_DIR=target / "uploads",
        SECRET_KEY="x",
    )
    (target / "uploads").mkdir(parents=True)
    (target / "uploads" / "keep.txt").write_text("giữ nguyên")
    link = tarfile.TarInfo("uploads/link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    bad_db = _file("hoctap.db", b"SQLite format 3\x00" + b"\x00" * 100)
    cases = {
        "traversal": ([_file("manifest.json", manifest), _file("hoctap.db", database),
                       _file("uploads/../../evil.txt", b"x")], "đường dẫn không hợp lệ"),
        "absolute": ([_file("/tmp/evil.txt", b"x")], "đường dẫn không hợp lệ"),
        "symlink": ([_file("manifest.json", manifest), (link, None)], "liên kết"),
        "stranger": ([_file("manifest.json", manifest), _file("etc/cron", b"x")], "mục lạ"),
        "no manifest": ([_file("hoctap.db", database)], "thiếu manifest.json"),
        "format": ([_file("manifest.json", b'{"format": 99}'), _file("hoctap.db", database)],
                   "định dạng"),
        "corrupt db": ([_file("manifest.json", manifest), bad_db], "bị hỏng"),
    }  # fmt: skip
    for name, (members, message) in cases.items():
        archive = _tar(tmp_path / f"{name}.tar.gz", members)
        result = hoctap(target_env, "backup", "restore", str(archive))
        assert result.returncode == 1 and message in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a tarball at all")
    result = hoctap(target_env, "backup", "restore", str(garbage))
    assert result.returncode == 1 and "hỏng" in result.stderr
    missing = hoctap(target_env, "backup", "restore", str(tmp_path / "none.tar.gz"))
    assert missing.returncode == 1 and "Không tìm thấy" in missing.stderr
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    assert (target / "uploads" / "keep.txt").read_text() == "giữ nguyên"
    assert not (target / "hoctap.db").exists() or (target / "hoctap.db").stat().st_size == 0

    # an unknown (newer) schema revision is refused
    import sqlite3

    newer_db = tmp_path / "newer.db"
    newer_db.write_bytes(database)
    with sqlite3.connect(newer_db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    newer["schema_revision"] = "9999"
    archive = _tar(tmp_path / "newer.tar.gz", [
        _file("manifest.json", json.dumps(newer).encode()),
        _file("hoctap.db", newer_db.read_bytes()),
    ])  # fmt: skip
    result = hoctap(target_env, "backup", "restore", str(archive))
    assert result.returncode == 1 and "9999" in result.stderr

    # a database with data is only overwritten with --yes
    first = hoctap(target_env, "backup", "restore", str(good), "--no-rebuild")
    assert first.returncode == 0, first.stderr
    assert "hoctap search rebuild" in first.stdout
    assert not (target / "uploads" / "keep.txt").exists()  # the uploads are the backup's
    second = hoctap(target_env, "backup", "restore", str(good))
    assert second.returncode == 1 and "--yes" in second.stderr
    assert hoctap(target_env, "backup", "restore", str(good), "--yes").returncode == 0


def test_backup_refuses_postgresql_and_points_at_pg_dump(app, runner, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("the SQLite backup is tested above; this is the PostgreSQL refusal")
    result = runner.invoke(args=["backup", "create", str(tmp_path / "x.tar.gz")])
    assert result.exit_code == 1 and "pg_dump" in result.output
    assert not (tmp_path / "x.tar.gz").exists()


# --- PostgreSQL: the README's pg_dump / pg_restore commands ---------------------------------


def test_pg_dump_and_pg_restore_recipe(app, content, backend, postgres_url, tmp_path):
    if backend != "postgresql":
        pytest.skip("pg_dump/pg_restore are the PostgreSQL recipe")
    bindir = find_bindir()
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    dump = tmp_path / "hoctap.dump"
    copy_url = url.rsplit("/", 1)[0] + "/hoctap_restored"
    # the commands as README gives them
    subprocess.run([str(bindir / "pg_dump"), "--format=custom", "--no-owner",
                    f"--file={dump}", url], check=True)  # fmt: skip
    subprocess.run([str(bindir / "createdb"), f"--maintenance-db={url}", "hoctap_restored"],
                   check=True)  # fmt: skip
    try:
        subprocess.run([str(bindir / "pg_restore"), "--no-owner", "--exit-on-error",
                        f"--dbname={copy_url}", str(dump)], check=True)  # fmt: skip
        tables = [t.name for t in _db.metadata.sorted_tables] + ["alembic_version"]
        counts = {}
        for which in (url, copy_url):
            engine = create_engine(which.replace("postgresql://", "postgresql+psycopg://"))
            with engine.connect() as conn:
                counts[which] = {
                    t: conn.scalar(select(func.count()).select_from(text(f'"{t}"')))
                    for t in tables
                }
            engine.dispose()
        assert counts[url] == counts[copy_url]
        assert counts[url]["users"] >= 3 and counts[url]["units"] > 10
    finally:
        subprocess.run([str(bindir / "dropdb"), f"--maintenance-db={url}", "--if-exists",
                        "hoctap_restored"], check=False)  # fmt: skip
    assert shutil.which("tar")  # the SQLite archive is a plain .tar.gz
