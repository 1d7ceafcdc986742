"""Heartbeats of the running `hoctap worker` processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime, utcnow
from ..extensions import db


class WorkerHeartbeat(db.Model):
    """One row per live worker process, beaten every few seconds; removed when the worker
    stops cleanly. A row whose `beat_at` is old belongs to a worker that died."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``host:pid``, unique among live workers.
    name: Mapped[str] = mapped_column(String(255), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column()
    #: Job queue the worker consumes: ``sqlite`` or ``redis``.
    queue: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The last beat (UTC).
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
