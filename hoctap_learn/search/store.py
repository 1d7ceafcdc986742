"""The index on disk: open, catch up with the change log, rebuild and swap, check.

Layout of HOCTAP_INDEX_DIR::

    current -> gen-000003      symlink swapped atomically by a rebuild
    gen-000003/                a Whoosh index + `applied_seq` (last change applied)
    gen-000002/                the previous generation, kept for readers still open
    rebuild.lock               held while a rebuild runs

The database is the source of truth: everything here can be deleted and rebuilt.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.query import Term

from ..catalog.models import Resource, SearchChange
from ..core.errors import DomainError
from ..core.types import utcnow
from ..extensions import db
from .documents import document_for
from .schema import SCHEMA_VERSION, make_schema

#: How long a writer waits for Whoosh's lock before leaving the work to the lock holder.
WRITER_LOCK_TIMEOUT = 2.0
#: A hole in the change sequence younger than this may be a transaction still committing
#: (PostgreSQL hands out sequence numbers before commit): do not move past it yet.
GAP_GRACE = timedelta(seconds=60)
#: Changes applied per writer commit during catch-up.
CATCH_UP_BATCH = 2000
#: How long a search waits for a rebuild another thread or process is making of a missing or
#: unreadable index (the first searches on a new node arrive together) before giving up.
REBUILD_WAIT = 120.0


class SearchUnavailable(DomainError):
    """The index cannot be opened or rebuilt right now."""

    status = 503


class RebuildRunning(Exception):
    """Another process is rebuilding the index."""


def index_root() -> Path:
    return Path(current_app.config["HOCTAP_INDEX_DIR"])


def _current_dir(root: Path) -> Path | None:
    link = root / "current"
    try:
        target = link.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, OSError):
        return None
    return target if target.is_dir() else None


def _read_applied(gen_dir: Path) -> int:
    try:
        return int((gen_dir / "applied_seq").read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _write_applied(gen_dir: Path, seq: int) -> None:
    tmp = gen_dir / "applied_seq.tmp"
    tmp.write_text(str(seq))
    os.replace(tmp, gen_dir / "applied_seq")


# --- the process-wide handle ---------------------------------------------------------------


class _Handle(threading.local):
    """Per-thread open index and searcher; reopened when the generation changes."""

    gen_dir: Path | None = None
    index = None
    searcher = None


_local = _Handle()


def _open(gen_dir: Path):
    storage = FileStorage(str(gen_dir))
    return storage.open_index()


def get_searcher():
    """A current searcher, after catching up with committed changes.

    A missing or unreadable index is rebuilt from the database instead of failing.
    """
    root = index_root()
    gen_dir = _current_dir(root)
    if gen_dir is None or not _exists(gen_dir):
        gen_dir = _rebuild_or_wait(root)
    try:
        return _current_searcher(gen_dir)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # corrupt segment files, wrong schema, truncated TOC…
        current_app.logger.warning("search index unreadable (%s): rebuilding", exc)
        close_searcher()
        return _current_searcher(_rebuild_or_wait(root, unreadable=gen_dir))


def _rebuild_or_wait(root: Path, unreadable: Path | None = None) -> Path:
    """Rebuild the index, or wait for the rebuild another thread or process is making, and
    return the new current generation (not `unreadable`, the one that failed to open).

    Without the wait, every search but one that reaches a new node (empty index folder)
    while it builds its index would fail (RebuildRunning).
    """
    deadline = time.monotonic() + REBUILD_WAIT
    while True:
        try:
            rebuild(quiet=True)
        except RebuildRunning:
            _wait_for_rebuild(root, deadline)
            gen_dir = _current_dir(root)
            if gen_dir is not None and gen_dir != unreadable and _exists(gen_dir):
                return gen_dir
            continue  # the other rebuild failed: try ourselves
        return _current_dir(root)


def _wait_for_rebuild(root: Path, deadline: float) -> None:
    with open(root / "rebuild.lock", "a") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SearchUnavailable(
                        "Chức năng tìm kiếm đang được chuẩn bị, vui lòng thử lại sau ít phút."
                    ) from None
                time.sleep(0.05)
            else:
                fcntl.flock(fh, fcntl.LOCK_UN)
                return


def _exists(gen_dir: Path) -> bool:
    """A readable index of the schema version this code writes."""
    try:
        version = (gen_dir / "schema_version").read_text().strip()
    except OSError:
        return False
    if version != SCHEMA_VERSION:
        return False
    try:
        return whoosh_index.exists_in(str(gen_dir))
    except Exception:  # a TOC that cannot be read is no index
        return False


def _current_searcher(gen_dir: Path):
    catch_up(gen_dir)
    if _local.gen_dir != gen_dir or _local.index is None:
        close_searcher()
        _local.index = _open(gen_dir)
        _local.gen_dir = gen_dir
        _local.searcher = _local.index.searcher()
    elif not _local.searcher.up_to_date():
        # Not Searcher.refresh(): it reuses segment readers and can miss new deletions.
        _local.searcher.close()
        _local.searcher = _local.index.searcher()
    return _local.searcher


def close_searcher() -> None:
    if _local.searcher is not None:
        _local.searcher.close()
    _local.searcher = None
    _local.index = None
    _local.gen_dir = None


# --- applying the change log ---------------------------------------------------------------


def _watermark(rows: list[tuple[int, object]], start: int) -> int:
    """The highest seq up to which no recent hole remains (see GAP_GRACE)."""
    mark = start
    now = utcnow()
    for seq, created_at in rows:
        if seq != mark + 1 and created_at is not None and now - created_at < GAP_GRACE:
            break
        mark = seq
    return mark


def _session() -> Session:
    """A session of its own, so index work never touches the caller's objects or transaction."""
    return Session(db.engine, expire_on_commit=False)


def _load_resources(session: Session, ids: set[int]) -> dict[int, Resource]:
    stmt = (
        select(Resource)
        .where(Resource.id.in_(ids))
        .options(selectinload(Resource.subject_rows), selectinload(Resource.provider))
    )
    return {r.id: r for r in session.scalars(stmt)}


def catch_up(gen_dir: Path | None = None) -> int:
    """Apply committed changes newer than the index's mark; return how many were applied.

    Safe to call from any process at any time: one writer at a time (Whoosh's lock); a
    process that cannot get the lock leaves the work to the one that holds it.
    """
    gen_dir = gen_dir or _current_dir(index_root())
    if gen_dir is None:
        return 0
    with _session() as session:
        return _catch_up(session, gen_dir)


def _catch_up(session: Session, gen_dir: Path) -> int:
    applied = _read_applied(gen_dir)
    latest = session.scalar(select(func.max(SearchChange.seq))) or 0
    if latest <= applied:
        return 0
    try:
        ix = _open(gen_dir)
        writer = ix.writer(timeout=WRITER_LOCK_TIMEOUT)
    except LockError:
        return 0
    total = 0
    try:
        applied = _read_applied(gen_dir)  # re-read under the lock
        rows = session.execute(
            select(SearchChange.seq, SearchChange.resource_id, SearchChange.created_at)
            .where(SearchChange.seq > applied)
            .order_by(SearchChange.seq)
            .limit(CATCH_UP_BATCH)
        ).all()
        ids = {row.resource_id for row in rows}
        resources = _load_resources(session, ids) if ids else {}
        for resource_id in ids:
            resource = resources.get(resource_id)
            if resource is None or resource.status != "active":
                writer.delete_by_term("id", str(resource_id))
            else:
                writer.update_document(**document_for(resource))
        writer.commit()
        total = len(ids)
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()
    mark = _watermark([(r.seq, r.created_at) for r in rows], applied)
    _write_applied(gen_dir, mark)
    if len(rows) == CATCH_UP_BATCH:
        session.expunge_all()
        total += _catch_up(session, gen_dir)
    return total


# --- rebuild --------------------------------------------------------------------------------


@contextmanager
def _rebuild_lock(root: Path):
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "rebuild.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RebuildRunning("Một tiến trình khác đang dựng lại chỉ mục.") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _next_gen_dir(root: Path) -> Path:
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    return root / f"gen-{max(numbers, default=0) + 1:06d}"


def rebuild(
    quiet: bool = False,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 1000,
    limitmb: int = 256,
    procs: int = 1,
) -> int:
    """Build a fresh index beside the current one from the database and swap it in.

    Returns the number of documents indexed. Readers keep using the old generation until
    they notice the swap; the old generation is deleted one rebuild later.
    """
    root = index_root()
    with _rebuild_lock(root), _session() as session:
        # Everything committed up to this mark is in the rows read below.
        rows = session.execute(
            select(SearchChange.seq, SearchChange.created_at).order_by(SearchChange.seq)
        ).all()
        mark = _watermark([(r.seq, r.created_at) for r in rows], 0) if rows else 0
        gen_dir = _next_gen_dir(root)
        gen_dir.mkdir(parents=True)
        ix = FileStorage(str(gen_dir)).create_index(make_schema())
        # procs > 1: Whoosh's multiprocessing writer, one segment per process.
        writer = (
            ix.writer(limitmb=limitmb, procs=procs, multisegment=True)
            if procs > 1
            else ix.writer(limitmb=limitmb)
        )
        total = session.scalar(
            select(func.count()).select_from(Resource).where(Resource.status == "active")
        )
        done = 0
        last_id = 0
        try:
            while True:
                chunk = session.scalars(
                    select(Resource)
                    .where(Resource.status == "active", Resource.id > last_id)
                    .order_by(Resource.id)
                    .limit(batch)
                    .options(selectinload(Resource.subject_rows), selectinload(Resource.provider))
                ).all()
                if not chunk:
                    break
                for resource in chunk:
                    writer.add_document(**document_for(resource))
                last_id = chunk[-1].id
                done += len(chunk)
                session.expunge_all()
                if progress:
                    progress(done, total)
            writer.commit()
        except BaseException:
            writer.cancel()
            shutil.rmtree(gen_dir, ignore_errors=True)
            raise
        finally:
            ix.close()
        _write_applied(gen_dir, mark)
        (gen_dir / "schema_version").write_text(SCHEMA_VERSION)
        _swap(root, gen_dir)
    if not quiet:
        current_app.logger.info("search index rebuilt: %d documents in %s", done, gen_dir.name)
    catch_up(gen_dir)
    return done


def _swap(root: Path, gen_dir: Path) -> None:
    tmp_link = root / f"current.{os.getpid()}.{time.monotonic_ns()}"
    os.symlink(gen_dir.name, tmp_link)
    os.replace(tmp_link, root / "current")
    keep = {gen_dir.name}
    generations = sorted(p for p in root.glob("gen-*") if p.is_dir())
    if len(generations) >= 2:
        keep.add(generations[-2].name if generations[-1] == gen_dir else generations[-1].name)
    for old in generations:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


# --- check ----------------------------------------------------------------------------------


def check() -> dict:
    """Compare the database with the index: missing, extra and stale documents."""
    searcher = get_searcher()
    indexed = {int(fields["id"]) for fields in searcher.all_stored_fields()}
    active = set(db.session.scalars(select(Resource.id).where(Resource.status == "active")))
    gen_dir = _current_dir(index_root())
    latest = db.session.scalar(select(func.max(SearchChange.seq))) or 0
    missing = sorted(active - indexed)
    extra = sorted(indexed - active)
    return {
        "database_active": len(active),
        "indexed": len(indexed),
        "missing": missing[:100],
        "extra": extra[:100],
        "missing_count": len(missing),
        "extra_count": len(extra),
        "applied_seq": _read_applied(gen_dir) if gen_dir else 0,
        "latest_seq": latest,
        "ok": not missing and not extra,
        "generation": gen_dir.name if gen_dir else None,
    }


def delete_document(resource_id: int) -> None:
    """Used by tests to simulate drift; normal deletes go through the change log."""
    ix = _open(_current_dir(index_root()))
    try:
        writer = ix.writer(timeout=WRITER_LOCK_TIMEOUT)
        writer.delete_by_query(Term("id", str(resource_id)))
        writer.commit()
    finally:
        ix.close()


def lag() -> dict:
    """`/readyz`: how many catalog changes this node's index has not applied yet.

    Reads only the `applied_seq` file and the change log (never opens or rebuilds the index):
    the next search catches up by itself, so a lag is information, not a failure.
    """
    gen_dir = _current_dir(index_root())
    applied = _read_applied(gen_dir) if gen_dir else 0
    pending = db.session.scalar(
        select(func.count()).select_from(SearchChange).where(SearchChange.seq > applied)
    )
    return {
        "ok": True,
        "generation": gen_dir.name if gen_dir else None,
        "applied_seq": applied,
        "pending_changes": pending or 0,
    }
