"""Harvest sources (OAI-PMH repositories, spreadsheets, feeds) and the log of their runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Provider
from ..core.types import UTCDateTime, utcnow
from ..core.types import sql_in as _in
from ..extensions import db
from ..units.models import Unit

#: Kinds of source: code → Vietnamese label.
KINDS = {
    "oai-pmh": "Kho OAI-PMH",
    "csv": "Tệp CSV (tệp hoặc URL)",
    "xlsx": "Tệp Excel .xlsx (tệp hoặc URL)",
    "rss": "Bản tin RSS",
    "atom": "Bản tin Atom",
}
#: Run statuses: code → Vietnamese label.
STATUSES = {
    "queued": "Đang chờ chạy",
    "running": "Đang chạy",
    "succeeded": "Thành công",
    "partial": "Xong, có bản ghi bị từ chối",
    "failed": "Thất bại",
}
#: Statuses of a run not yet over: at most one such run per source (the per-source lock).
ACTIVE = ("queued", "running")
#: Schedule kinds: code → Vietnamese label (NULL: no schedule).
SCHEDULES = {"daily": "Hằng ngày", "weekly": "Hằng tuần"}
#: The counters of a run, in display order.
COUNTS = ("new", "updated", "unchanged", "withdrawn", "duplicates", "rejected")


class HarvestSource(db.Model):
    """Where resources come from: harvested again and again, records updated in place."""

    __tablename__ = "harvest_sources"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), "kind"),
        CheckConstraint(f"schedule IS NULL OR {_in('schedule', SCHEDULES)}", "schedule"),
        CheckConstraint(
            "(schedule IS NULL AND schedule_time IS NULL AND schedule_weekday IS NULL)"
            " OR (schedule = 'daily' AND schedule_time IS NOT NULL"
            " AND schedule_weekday IS NULL)"
            " OR (schedule = 'weekly' AND schedule_time IS NOT NULL"
            " AND schedule_weekday BETWEEN 0 AND 6)",
            "schedule_fields",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL and CLI key derived from the name; also the namespace of harvested identifiers.
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    #: Name shown to organizers, unique.
    name: Mapped[str] = mapped_column(String(255), unique=True)
    #: One of `KINDS`.
    kind: Mapped[str] = mapped_column(String(10))
    #: OAI-PMH base URL, feed URL, or a file's URL or path on the server.
    url: Mapped[str] = mapped_column(String(2000))
    #: OAI-PMH set to harvest (setSpec), or NULL for the whole repository.
    oai_set: Mapped[str | None] = mapped_column(String(255))
    #: OAI-PMH metadata format; only ``oai_dc`` is mapped.
    metadata_prefix: Mapped[str] = mapped_column(String(50), default="oai_dc")
    #: Publisher given to records that name none (dc:publisher missing).
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="SET NULL"), index=True
    )
    #: The unit that owns the source: its organizers (and those above) manage it.
    #: NULL means only admins manage it.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    #: The source's own type values → our type codes, checked before the built-in mapping.
    type_map: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Disabled sources are skipped by ``harvest run --all`` and cannot be run.
    enabled: Mapped[bool] = mapped_column(default=True)
    #: From Identify: ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``.
    granularity: Mapped[str | None] = mapped_column(String(30))
    #: From Identify: ``no``, ``transient`` or ``persistent``.
    deleted_record: Mapped[str | None] = mapped_column(String(20))
    #: Repository name from Identify.
    repository_name: Mapped[str | None] = mapped_column(String(500))
    #: The ``from`` of the next incremental run, at the repository's granularity: the
    #: responseDate of the first page of the last successful run. NULL: harvest everything.
    harvested_until: Mapped[str | None] = mapped_column(String(30))
    #: Harvested by itself: one of `SCHEDULES`, or NULL for "only when asked".
    schedule: Mapped[str | None] = mapped_column(String(10))
    #: Local time of day (HOCTAP_TIMEZONE) of a scheduled run, ``HH:MM``.
    schedule_time: Mapped[str | None] = mapped_column(String(5))
    #: Day of a weekly run: 0 = Monday … 6 = Sunday.
    schedule_weekday: Mapped[int | None] = mapped_column()
    #: When the scheduler queues the next run (UTC); NULL without a schedule. Moved on by
    #: the worker when it claims the run, so two workers never queue the same one.
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Provider | None] = relationship()
    unit: Mapped[Unit | None] = relationship()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def schedule_label(self) -> str:
        from .schedule import describe

        return describe(self.schedule, self.schedule_weekday, self.schedule_time)

    @property
    def record_source(self) -> str:
        """What `Resource.source` says for records this source brought."""
        return f"harvest:{self.slug}"


class HarvestRun(db.Model):
    """One harvest of a source: counts, errors and notes per record, how it ended.

    At most one run per source is ``queued`` or ``running``: a partial unique index makes
    the database refuse a second one, so two processes can never write the same source at
    once. The row is the truth about a run; the job queue only carries its id. A running
    run beats (`heartbeat_at`) while it works; one whose beats stopped is failed by the
    worker's sweep (harvest/runner.py `fail_stale_runs`).
    """

    __tablename__ = "harvest_runs"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), "status"),
        Index(
            "uq_harvest_runs_one_active",
            "source_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), index=True
    )
    #: One of `STATUSES`.
    status: Mapped[str] = mapped_column(String(10), default="running")
    #: When the run was asked for (queued, or started inline).
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last sign of life of the process running it: set when queued, when it starts, after
    #: every committed page and every few seconds in between (also while waiting out a
    #: Retry-After). NULL only on rows older than the job worker.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who started it: ``cli``, ``lịch`` (the schedule), or the e-mail of the organizer who
    #: clicked "run now".
    started_by: Mapped[str] = mapped_column(String(255), default="cli")
    #: The ``from`` sent to the repository (NULL: full harvest).
    from_datestamp: Mapped[str | None] = mapped_column(String(30))
    #: Pages (OAI-PMH responses) committed so far.
    pages: Mapped[int] = mapped_column(default=0)
    #: Records new to the catalog.
    new: Mapped[int] = mapped_column(default=0)
    #: Records already in the catalog that changed.
    updated: Mapped[int] = mapped_column(default=0)
    #: Records already in the catalog, unchanged.
    unchanged: Mapped[int] = mapped_column(default=0)
    #: Records withdrawn because the source deleted them.
    withdrawn: Mapped[int] = mapped_column(default=0)
    #: Records not shown because another resource already has the same URL.
    duplicates: Mapped[int] = mapped_column(default=0)
    #: Records refused (no title, no URL…): the reason is in `errors`.
    rejected: Mapped[int] = mapped_column(default=0)
    #: Why the run failed, in Vietnamese (NULL when it did not).
    message: Mapped[str | None] = mapped_column(Text)
    #: Per-record problems: ``{"identifier", "message", "level": "error"|"note"}``.
    errors: Mapped[list] = mapped_column(JSON, default=list)

    source: Mapped[HarvestSource] = relationship()

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) or 0 for name in COUNTS}

    def as_dict(self) -> dict:
        return {
            "run": self.id,
            "source": self.source.name,
            "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "heartbeat_at": self.heartbeat_at.isoformat() if self.heartbeat_at else None,
            "from": self.from_datestamp,
            "pages": self.pages,
            **self.counts(),
            "message": self.message,
            "errors": list(self.errors or []),
        }
