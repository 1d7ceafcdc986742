"""Running a harvest: one `HarvestRun` per run, the catalog written page by page.

A harvest is a batch job, not a request: it commits by itself, and that is deliberate.
The `queued` (organizer page, ``--queue``, schedule) or `running` (inline CLI) row is
committed first — the partial unique index on ``harvest_runs(source_id) WHERE status IN
('queued', 'running')`` is the lock that refuses a second run of the same source, in any
process. Each OAI-PMH page is then committed with the run's counts and a heartbeat, so a
failure (broken XML, dead host, a killed worker) leaves the catalog as it was before that
page, and the next run simply starts again from the stored ``from``. A run whose process
died stops beating and is failed by `fail_stale_runs` (the worker's sweep, every minute,
and before any new run of the same source).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..catalog.models import Resource
from ..catalog.services import RecordError, ResourceInput, clean_record, upsert_resource, withdraw
from ..core.errors import Conflict, ValidationError
from ..core.timeutil import format_datetime
from ..core.types import utcnow
from ..extensions import db
from .fetch import HarvestFailure, RetryPolicy
from .mapping import from_dublin_core, namespaced
from .models import ACTIVE, HarvestRun, HarvestSource
from .oai import OaiClient, next_from

#: Per-record messages kept on a run; beyond this only the counts grow.
MAX_LOGGED = 500
#: Called after each committed page with (run, records expected in total or None).
ProgressHook = Callable[[HarvestRun, int | None], None]


class RecordSink:
    """Applies records to the catalog and keeps the run's counts and messages."""

    def __init__(self, run: HarvestRun):
        self.run = run
        self.log: list[dict] = list(run.errors or [])

    def note(self, ref: str, message: str, level: str = "note") -> None:
        if len(self.log) < MAX_LOGGED:
            self.log.append({"identifier": ref[:300], "message": message, "level": level})

    def reject(self, ref: str, message: str) -> None:
        self.run.rejected += 1
        self.note(ref, message, "error")

    def upsert(self, data: ResourceInput, ref: str) -> None:
        try:
            record = clean_record(data)
        except RecordError as error:
            self.reject(ref, str(error))
            return
        for note in record.notes:
            self.note(ref, note)
        identifier, url = record.values["identifier"], record.values["url"]
        # One resource per URL in search: a record whose URL an active resource already has
        # (from another source, or another record) is kept out of the catalog, not shown twice.
        other = db.session.scalar(
            select(Resource.identifier)
            .where(
                Resource.url == url,
                Resource.status == "active",
                Resource.identifier != identifier,
            )
            .order_by(Resource.id)
            .limit(1)
        )
        if other is not None:
            self.run.duplicates += 1
            mine = db.session.scalar(select(Resource).where(Resource.identifier == identifier))
            if mine is not None:
                withdraw(mine)
            self.note(ref, f"trùng đường dẫn với học liệu “{other}” đã có, không hiện hai lần")
            return
        _, status = upsert_resource(record)
        name = "new" if status == "created" else status
        setattr(self.run, name, getattr(self.run, name) + 1)

    def delete(self, identifier: str, ref: str) -> None:
        resource = db.session.scalar(select(Resource).where(Resource.identifier == identifier))
        if resource is not None and withdraw(resource):
            self.run.withdrawn += 1

    def commit_page(self) -> None:
        """Commit the page's records with the run's counts and a heartbeat, but only while
        the run is still ours: if the stale sweep failed it meanwhile, nothing of this
        page is written (RunLost)."""
        self.run.pages += 1
        self.run.errors = list(self.log)
        self.run.heartbeat_at = utcnow()
        owned = db.session.execute(
            update(HarvestRun)
            .where(HarvestRun.id == self.run.id, HarvestRun.status == "running")
            .values(heartbeat_at=self.run.heartbeat_at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not owned:
            db.session.rollback()
            raise RunLost(self.run.id)
        db.session.commit()


# --- starting and finishing ------------------------------------------------------------------

#: Why a run whose process stopped beating was failed.
STALE_MESSAGE = (
    "Tiến trình chạy nền đã dừng giữa chừng (không còn tín hiệu hoạt động). Các trang đã "
    "lưu được giữ lại; lần chạy sau tiếp tục từ mốc thu thập đã lưu."
)


class RunLost(Exception):
    """The run is no longer ``running`` (the stale sweep failed it): stop writing."""


def _stale_cutoff() -> datetime:
    seconds = float(current_app.config.get("HOCTAP_JOB_STALE_SECONDS", 180))
    return utcnow() - timedelta(seconds=seconds)


def fail_stale_runs(source_id: int | None = None) -> list[int]:
    """Fail the ``running`` runs whose heartbeat is older than HOCTAP_JOB_STALE_SECONDS
    (their process died: SIGKILL, a crash, a lost machine), freeing their sources.

    Pages committed before are kept; `harvested_until` was not moved, so the next run
    harvests incrementally from the same point. One conditional UPDATE: safe beside a
    run that beats at the same moment and beside other workers sweeping too."""
    now = utcnow()
    stale = [
        HarvestRun.status == "running",
        func.coalesce(HarvestRun.heartbeat_at, HarvestRun.started_at) < _stale_cutoff(),
    ]
    if source_id is not None:
        stale.append(HarvestRun.source_id == source_id)
    ids = list(db.session.scalars(select(HarvestRun.id).where(*stale)))
    if ids:
        db.session.execute(
            update(HarvestRun)
            .where(HarvestRun.id.in_(ids), *stale)
            .values(status="failed", finished_at=now, message=STALE_MESSAGE)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return ids


def requeue_lost_runs() -> list[int]:
    """Queue again the ``queued`` runs that waited longer than the stale limit: their
    message may be lost (a Redis flushed, a queue file removed). A duplicate message is
    harmless: only one worker can claim the run (`run_queued`)."""
    from ..jobs import enqueue

    rows = db.session.scalars(
        select(HarvestRun).where(
            HarvestRun.status == "queued",
            func.coalesce(HarvestRun.heartbeat_at, HarvestRun.started_at) < _stale_cutoff(),
        )
    ).all()
    ids = [run.id for run in rows]
    for run in rows:
        run.heartbeat_at = utcnow()
    db.session.commit()
    for run_id in ids:
        enqueue("harvest.run", run_id)
    return ids


def _insert_run(source: HarvestSource, status: str, started_by: str) -> HarvestRun:
    """Insert and commit an active (`queued`/`running`) row, or raise Conflict."""
    if not source.enabled:
        raise ValidationError(f"Nguồn “{source.name}” đang tắt; hãy bật lại trước khi chạy.")
    fail_stale_runs(source.id)
    source_id, name = source.id, source.name
    now = utcnow()
    run = HarvestRun(
        source=source,
        status=status,
        started_at=now,
        heartbeat_at=now,
        started_by=started_by[:255],
        from_datestamp=source.harvested_until if source.kind == "oai-pmh" else None,
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        active = db.session.scalar(
            select(HarvestRun).where(
                HarvestRun.source_id == source_id, HarvestRun.status.in_(ACTIVE)
            )
        )
        if active is not None and active.status == "queued":
            raise Conflict(
                f"Nguồn “{name}” đã có một lần thu thập đang chờ chạy (từ "
                f"{format_datetime(active.started_at)}); hãy chờ lần đó xong rồi thử lại."
            ) from error
        since = f" từ {format_datetime(active.started_at)}" if active else ""
        raise Conflict(
            f"Nguồn “{name}” đang được thu thập{since}; hãy chờ lần chạy đó xong rồi thử lại."
        ) from error
    return run


def start_run(source: HarvestSource, started_by: str = "cli") -> HarvestRun:
    """Insert and commit the `running` row, or refuse with Conflict if one is active."""
    return _insert_run(source, "running", started_by)


def queue_run(source: HarvestSource, started_by: str) -> HarvestRun:
    """Insert the `queued` row and wake a worker; returns at once.

    Conflict if the source has a run queued or running already; QueueUnavailable (and the
    row failed, so the source is free) if the queue refused the job."""
    from ..jobs import enqueue
    from ..jobs.queue import QueueUnavailable

    run = _insert_run(source, "queued", started_by)
    run_id = run.id
    try:
        enqueue("harvest.run", run_id)
    except QueueUnavailable as error:
        _finish(run_id, "failed", error.message, expected="queued")
        raise
    return db.session.get(HarvestRun, run_id)


def _finish(
    run_id: int,
    status: str,
    message: str | None = None,
    expected: str = "running",
    harvested_until: str | None = None,
) -> HarvestRun:
    """End the run if it is still `expected` (the sweep may have failed it meanwhile: its
    verdict stands, and `harvested_until` does not move)."""
    done = db.session.execute(
        update(HarvestRun)
        .where(HarvestRun.id == run_id, HarvestRun.status == expected)
        .values(status=status, finished_at=utcnow(), message=message, heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    run = db.session.get(HarvestRun, run_id)
    if done and harvested_until is not None:
        run.source.harvested_until = harvested_until
    db.session.commit()
    db.session.refresh(run)
    return run


def run_queued(run_id: int) -> HarvestRun | None:
    """The worker's side of `queue_run`: claim the queued row (one conditional UPDATE, so
    a duplicate message or a second worker does nothing) and run it."""
    claimed = db.session.execute(
        update(HarvestRun)
        .where(HarvestRun.id == run_id, HarvestRun.status == "queued")
        .values(status="running", heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        current_app.logger.info("harvest run %s is not queued any more: skipped", run_id)
        return None
    run = db.session.get(HarvestRun, run_id)
    if not run.source.enabled:  # switched off while the run waited
        return _finish(run_id, "failed", f"Nguồn “{run.source.name}” đã tắt trước khi chạy.")
    return _run(run_id, None)


def run_source(
    source: HarvestSource, started_by: str = "cli", on_page: ProgressHook | None = None
) -> HarvestRun:
    """Harvest one source now, in this process. Raises Conflict if it is already queued or
    running; otherwise returns the finished run (``succeeded``, ``partial`` or ``failed``
    with a message)."""
    run = start_run(source, started_by)
    return _run(run.id, on_page)


def _run(run_id: int, on_page: ProgressHook | None) -> HarvestRun:
    run = db.session.get(HarvestRun, run_id)
    source = run.source
    harvesters = {"oai-pmh": _harvest_oai, "csv": _harvest_file, "xlsx": _harvest_file}
    harvest = harvesters.get(source.kind, _harvest_feed)
    interval = float(current_app.config.get("HOCTAP_JOB_HEARTBEAT_SECONDS", 15))
    try:
        with RunHeartbeat(run_id, interval):
            next_from_value = harvest(run, source, on_page or (lambda run, total: None))
    except RunLost:
        db.session.rollback()
        current_app.logger.warning("harvest run %s was failed by the stale sweep", run_id)
        return db.session.get(HarvestRun, run_id)
    except HarvestFailure as error:
        db.session.rollback()
        return _finish(run_id, "failed", str(error))
    except Exception:
        db.session.rollback()
        current_app.logger.exception("harvest run %s failed unexpectedly", run_id)
        return _finish(
            run_id, "failed", "Lỗi không mong đợi trong lúc thu thập; xem nhật ký máy chủ."
        )
    run = db.session.get(HarvestRun, run_id)
    return _finish(
        run_id, "partial" if run.rejected else "succeeded", harvested_until=next_from_value
    )


class RunHeartbeat:
    """Beats the run's `heartbeat_at` every `interval` seconds from a thread of its own,
    on its own connection, while the harvest works (a slow page, a Retry-After wait). If
    the process dies the beats stop, and the stale sweep fails the run."""

    def __init__(self, run_id: int, interval: float):
        self.run_id = run_id
        self.interval = max(interval, 0.5)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self):
        engine = db.engine
        table = HarvestRun.__table__
        statement = update(table).where(table.c.id == self.run_id, table.c.status == "running")
        logger = current_app.logger

        def beat():
            while not self.stopping.wait(self.interval):
                try:
                    with engine.begin() as connection:
                        connection.execute(statement.values(heartbeat_at=utcnow()))
                except Exception:  # busy database: the next beat tries again
                    logger.warning("heartbeat of harvest run %s failed", self.run_id,
                                   exc_info=True)  # fmt: skip

        self.thread = threading.Thread(target=beat, name=f"run-{self.run_id}-heartbeat",
                                       daemon=True)  # fmt: skip
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()
        return False


# --- per kind --------------------------------------------------------------------------------


def _harvest_oai(run: HarvestRun, source: HarvestSource, on_page: ProgressHook) -> str | None:
    policy = RetryPolicy.from_config(current_app.config)
    sink = RecordSink(run)
    first_date: str | None = None
    with OaiClient(source.url, policy) as client:
        if source.granularity is None:  # added without a check: learn it now
            info = client.identify()
            source.granularity, source.deleted_record = info.granularity, info.deleted_record
            source.repository_name = info.name or None
        for page in client.list_records(run.from_datestamp, source.oai_set, source.metadata_prefix):
            if page.restarted:
                sink.note(
                    "",
                    "kho báo badResumptionToken: thu thập lại từ đầu"
                    + (f" (from={run.from_datestamp})" if run.from_datestamp else ""),
                )
            if first_date is None:
                first_date = page.response_date
            for record in page.records:
                ref = record.identifier
                if not ref:
                    sink.reject("", "bản ghi không có identifier trong header")
                elif record.deleted:
                    sink.delete(namespaced(source, ref), ref)
                else:
                    sink.upsert(from_dublin_core(source, ref, record.dc), ref)
            sink.commit_page()
            on_page(run, page.total)
    return next_from(first_date, source.granularity) if first_date else None


def _harvest_feed(run: HarvestRun, source: HarvestSource, on_page: ProgressHook) -> None:
    from .feeds import harvest_feed

    harvest_feed(run, source, RecordSink(run))
    on_page(run, None)


def _harvest_file(run: HarvestRun, source: HarvestSource, on_page: ProgressHook) -> None:
    from .feeds import harvest_file

    harvest_file(run, source, RecordSink(run))
    on_page(run, None)
