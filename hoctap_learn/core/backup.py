"""Backups of an SQLite deployment: the database through SQLite's online backup API, plus
the uploads folder, in one `.tar.gz` with a manifest.

The database is copied first (one consistent snapshot while the app keeps writing), then the
uploads: a file a snapshot row refers to was written before that row was committed, so it is
in the copy. PostgreSQL deployments use pg_dump/pg_restore (README).

A restore checks the whole archive before it extracts anything (regular files and folders
only, inside the archive, a manifest this code understands, an intact database whose schema
revision this code knows), swaps the uploads folder in and writes the database through the
backup API into the live file, so other connections see the old or the new data, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from .errors import DomainError

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "hoctap.db"
UPLOADS = "uploads"


class BackupError(DomainError):
    status = 400


@dataclass
class BackupInfo:
    path: Path
    created_at: str
    schema_revision: str | None
    upload_files: int
    database_bytes: int

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "created_at": self.created_at,
            "schema_revision": self.schema_revision,
            "upload_files": self.upload_files,
            "database_bytes": self.database_bytes,
        }


def sqlite_path(database_uri: str) -> Path:
    """The file of an SQLite URL; a clear refusal for anything else."""
    if database_uri.startswith("postgresql"):
        raise BackupError(
            "Cơ sở dữ liệu là PostgreSQL: sao lưu bằng pg_dump và phục hồi bằng pg_restore "
            "(xem mục Sao lưu trong README)."
        )
    prefix = "sqlite:///"
    if not database_uri.startswith(prefix) or database_uri == prefix or ":memory:" in database_uri:
        raise BackupError("Chỉ sao lưu được cơ sở dữ liệu SQLite dạng tệp.")
    return Path(database_uri[len(prefix) :].split("?", 1)[0])


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def create(database_uri: str, upload_dir: Path, output: Path) -> BackupInfo:
    """Write a backup archive to `output` (a new `.tar.gz`; never overwrites a file)."""
    source = sqlite_path(database_uri)
    output = Path(output)
    if not output.name.endswith((".tar.gz", ".tgz")):
        raise BackupError("Tệp sao lưu phải có đuôi .tar.gz.")
    if output.exists():
        raise BackupError(f"Tệp {output} đã tồn tại; hãy chọn tên khác.")
    if not source.is_file():
        raise BackupError(f"Không tìm thấy cơ sở dữ liệu {source}.")
    if not output.parent.is_dir():
        raise BackupError(f"Thư mục {output.parent} không tồn tại.")
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix=".hoctap-backup-", dir=output.parent) as work:
        copy = Path(work) / DATABASE
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=15)
        dst = sqlite3.connect(copy)
        try:
            # One step (pages=-1): one read transaction, so one consistent snapshot; in WAL
            # mode the app's writers go on meanwhile.
            src.backup(dst, pages=-1)
            revision = _revision(dst)
        finally:
            dst.close()
            src.close()
        files = _regular_files(Path(upload_dir))
        manifest = {
            "format": FORMAT,
            "created_at": created_at,
            "schema_revision": revision,
            "database": DATABASE,
            "uploads": UPLOADS,
            "upload_files": len(files),
        }
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(work) / MANIFEST, arcname=MANIFEST)
            tar.add(copy, arcname=DATABASE)
            for path in files:
                rel = path.relative_to(upload_dir).as_posix()
                tar.add(path, arcname=f"{UPLOADS}/{rel}", recursive=False)
        size = copy.stat().st_size
        # The copy holds password hashes and token digests: readable by its owner only.
        os.chmod(partial, 0o600)
        os.replace(partial, output)
    return BackupInfo(output, created_at, revision, len(files), size)


def _regular_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# --- restore --------------------------------------------------------------------------------


def _check_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    names = set()
    for member in members:
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts or not member.name:
            raise BackupError(f"Tệp sao lưu có đường dẫn không hợp lệ: {member.name}")
        if not (member.isfile() or member.isdir()):
            raise BackupError(f"Tệp sao lưu chứa liên kết hoặc tệp đặc biệt: {member.name}")
        top = path.parts[0]
        if top not in (MANIFEST, DATABASE, UPLOADS):
            raise BackupError(f"Tệp sao lưu có mục lạ: {member.name}")
        names.add(member.name)
    if MANIFEST not in names or DATABASE not in names:
        raise BackupError("Tệp sao lưu thiếu manifest.json hoặc hoctap.db.")
    return members


def read_archive(archive: Path, into: Path, known_revisions: set[str]) -> dict:
    """Check `archive` and extract it into `into`; return its manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"Không tìm thấy tệp sao lưu {archive}.")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = _check_members(tar)
            tar.extractall(into, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"Tệp sao lưu hỏng hoặc không phải .tar.gz: {error}") from None
    try:
        manifest = json.loads((into / MANIFEST).read_text())
    except (ValueError, OSError):
        raise BackupError("manifest.json của tệp sao lưu không đọc được.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("Tệp sao lưu có định dạng mà phiên bản này không hiểu.")
    conn = sqlite3.connect(f"file:{into / DATABASE}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        revision = _revision(conn)
    except sqlite3.DatabaseError:
        ok, revision = False, None
    finally:
        conn.close()
    if not ok:
        raise BackupError("Cơ sở dữ liệu trong tệp sao lưu bị hỏng.")
    if revision not in known_revisions:
        raise BackupError(
            f"Cơ sở dữ liệu trong tệp sao lưu ở phiên bản lược đồ {revision}, phiên bản này "
            "của hoctap_learn không biết; hãy cài phiên bản mới hơn rồi phục hồi."
        )
    return manifest


def has_data(target: Path) -> bool:
    if not target.is_file() or target.stat().st_size == 0:
        return False
    conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users'"
        ).fetchall()
        return bool(tables) and conn.execute("SELECT count(*) FROM users").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        return True  # unreadable: do not overwrite it without --yes either
    finally:
        conn.close()


def restore(
    archive: Path, database_uri: str, upload_dir: Path, known_revisions: set[str], force: bool
) -> dict:
    """Put a backup back: uploads folder swapped in, then the database written in place."""
    target = sqlite_path(database_uri)
    upload_dir = Path(upload_dir)
    if not force and has_data(target):
        raise BackupError(
            f"Cơ sở dữ liệu {target} đang có dữ liệu; phục hồi sẽ ghi đè toàn bộ. "
            "Dừng máy chủ web và worker, rồi chạy lại với --yes."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    upload_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".hoctap-restore-", dir=upload_dir.parent) as work:
        work = Path(work)
        manifest = read_archive(archive, work, known_revisions)
        new_uploads = work / UPLOADS
        new_uploads.mkdir(exist_ok=True)
        aside = work / "uploads-before"
        had_uploads = upload_dir.exists()
        if had_uploads:
            os.replace(upload_dir, aside)
        os.replace(new_uploads, upload_dir)
        try:
            src = sqlite3.connect(f"file:{work / DATABASE}?mode=ro", uri=True)
            dst = sqlite3.connect(target, timeout=15)
            try:
                src.backup(dst, pages=-1)
            finally:
                dst.close()
                src.close()
        except sqlite3.Error as error:
            shutil.rmtree(upload_dir, ignore_errors=True)
            if had_uploads:
                os.replace(aside, upload_dir)
            raise BackupError(f"Không ghi được cơ sở dữ liệu {target}: {error}") from None
    return manifest
