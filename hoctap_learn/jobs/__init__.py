"""Background jobs: a Huey queue (SQLite file by default, Redis with HOCTAP_REDIS_URL),
the `hoctap worker` command, periodic jobs, and the workers' heartbeats.

The database is the truth about every job (a harvest run's row holds its status and
heartbeat); a queue message carries only an id and merely wakes a worker.
"""

from __future__ import annotations

import os
from datetime import datetime

#: Settings (environment variable of the same name, or create_app config).
DEFAULTS = {
    #: Redis URL of the job queue; empty: the embedded SQLite queue file.
    "HOCTAP_REDIS_URL": "",
    #: The embedded queue's SQLite file; empty: ``instance/jobs.db``.
    "HOCTAP_JOBS_DB": "",
    #: A running job whose heartbeat is older than this (seconds) is failed by the sweep.
    "HOCTAP_JOB_STALE_SECONDS": 180,
    #: How often (seconds) a worker and a running harvest beat.
    "HOCTAP_JOB_HEARTBEAT_SECONDS": 15,
}


def init_app(app) -> None:
    from . import cli, models  # noqa: F401  (models registered with the metadata)

    for key, default in DEFAULTS.items():
        if key not in app.config:
            raw = os.environ.get(key)
            app.config[key] = default if raw in (None, "") else _coerce(raw, default)
    app.cli.add_command(cli.worker_command)


def _coerce(raw: str, default):
    if isinstance(default, int):
        try:
            return max(int(raw), 0)
        except ValueError as error:
            raise RuntimeError(f"{raw!r} is not a whole number of seconds") from error
    return raw


def latest_heartbeat() -> datetime | None:
    """The newest heartbeat of any worker (UTC), or None if no worker ever beat or the
    last one stopped cleanly. Needs an app context (used by /readyz)."""
    from sqlalchemy import func, select

    from ..extensions import db
    from .models import WorkerHeartbeat

    return db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))


def enqueue(name: str, *args) -> None:
    """Queue job `name` with plain arguments (ids); raises QueueUnavailable."""
    from .queue import enqueue as _enqueue

    _enqueue(name, *args)
