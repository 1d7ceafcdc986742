"""Running a harvest: one `HarvestRun` per run, the catalog written page by page.

A harvest is a batch job, not a request: it commits by itself, and that is deliberate.
The `running` row is committed first — the partial unique index on
``harvest_runs(source_id) WHERE status = 'running'`` is the lock that refuses a second
run of the same source, in any process. Each OAI-PMH page is then committed with the
run's counts, so a failure (broken XML, dead host) leaves the catalog as it was before
that page, and the next run simply starts again from the stored ``from``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..catalog.models import Resource
from ..catalog.services import RecordError, ResourceInput, clean_record, upsert_resource, withdraw
from ..core.errors import Conflict, ValidationError
from ..core.timeutil import format_datetime
from ..core.types import utcnow
from ..extensions import db
from .fetch import HarvestFailure, RetryPolicy
from .mapping import from_dublin_core, namespaced
from .models import HarvestRun, HarvestSource
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
        self.run.pages += 1
        self.run.errors = list(self.log)
        db.session.commit()


# --- starting and finishing ------------------------------------------------------------------


def _expire_stale(source: HarvestSource) -> None:
    """A `running` row whose process died would lock the source for ever: expire it."""
    limit = float(current_app.config.get("HOCTAP_HARVEST_STALE_AFTER", 6 * 3600))
    cutoff = utcnow() - timedelta(seconds=limit)
    stale = db.session.scalars(
        select(HarvestRun).where(
            HarvestRun.source_id == source.id,
            HarvestRun.status == "running",
            HarvestRun.started_at < cutoff,
        )
    ).all()
    for run in stale:
        run.status = "failed"
        run.finished_at = utcnow()
        run.message = "Lần chạy bị bỏ dở (tiến trình dừng giữa chừng)."
    if stale:
        db.session.commit()


def start_run(source: HarvestSource, started_by: str = "cli") -> HarvestRun:
    """Insert and commit the `running` row, or refuse with Conflict if one is running."""
    if not source.enabled:
        raise ValidationError(f"Nguồn “{source.name}” đang tắt; hãy bật lại trước khi chạy.")
    _expire_stale(source)
    source_id, name = source.id, source.name
    run = HarvestRun(
        source=source,
        status="running",
        started_by=started_by[:255],
        from_datestamp=source.harvested_until if source.kind == "oai-pmh" else None,
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        running = db.session.scalar(
            select(HarvestRun).where(
                HarvestRun.source_id == source_id, HarvestRun.status == "running"
            )
        )
        since = f" từ {format_datetime(running.started_at)}" if running else ""
        raise Conflict(
            f"Nguồn “{name}” đang được thu thập{since}; hãy chờ lần chạy đó xong rồi thử lại."
        ) from error
    return run


def _finish(run_id: int, status: str, message: str | None = None) -> HarvestRun:
    run = db.session.get(HarvestRun, run_id)
    run.status = status
    run.finished_at = utcnow()
    run.message = message
    db.session.commit()
    return run


def run_source(
    source: HarvestSource, started_by: str = "cli", on_page: ProgressHook | None = None
) -> HarvestRun:
    """Harvest one source now. Raises Conflict if it is already running; otherwise
    returns the finished run (``succeeded``, ``partial`` or ``failed`` with a message)."""
    run = start_run(source, started_by)
    run_id = run.id
    harvesters = {"oai-pmh": _harvest_oai, "csv": _harvest_file, "xlsx": _harvest_file}
    harvest = harvesters.get(source.kind, _harvest_feed)
    try:
        next_from_value = harvest(run, source, on_page or (lambda run, total: None))
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
    if next_from_value is not None:
        run.source.harvested_until = next_from_value
    return _finish(run_id, "partial" if run.rejected else "succeeded")


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
