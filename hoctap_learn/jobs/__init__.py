"""Background jobs: a Huey queue (SQLite file by default, Redis with HOCTAP_REDIS_URL),
the `hoctap worker` command, periodic jobs, and the workers' heartbeats.

The database is the truth about every job (a harvest run's row holds its status and
heartbeat); a queue message carries only an id and merely wakes a worker.
"""

from __future__ import annotations

from datetime import datetime


def init_app(app) -> None:
    # The queue, stale limit and heartbeat settings are rows of config.SETTINGS.
    from ..core.health import register_readiness_check
    from . import cli, models  # noqa: F401  (models registered with the metadata)

    app.cli.add_command(cli.worker_command)
    register_readiness_check(app, "worker", worker_readiness)


def worker_readiness() -> dict:
    """/readyz: the age of the newest worker heartbeat. Information, never "down": a web
    node serves pages while the worker is away (queued jobs wait for it), so a dead worker
    must not take every node out of the load balancer. `stale` says the age is past
    HOCTAP_JOB_STALE_SECONDS (or no worker beats at all)."""
    from flask import current_app

    from ..core.types import utcnow

    beat = latest_heartbeat()
    age = None if beat is None else round((utcnow() - beat).total_seconds(), 1)
    limit = current_app.config["HOCTAP_JOB_STALE_SECONDS"]
    return {"ok": True, "heartbeat_age": age, "stale": age is None or age > limit}


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
