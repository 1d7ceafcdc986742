"""The Huey instance of an app, built from its config, with every job registered on it.

Jobs are plain functions registered here by name (`job`, `periodic`); `get_queue(app)`
builds the Huey instance once per app — `SqliteHuey` on a file under instance/ by default,
`RedisHuey` when HOCTAP_REDIS_URL is set — and wraps each job so that it runs inside an
app context, rolls back on error and logs one line with its name, id and duration.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab

from ..core.errors import DomainError

log = logging.getLogger("hoctap_learn.jobs")


class QueueUnavailable(DomainError):
    """The job queue could not take the job (Redis down, queue file unwritable)."""

    status = 503


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable
    #: crontab() keyword arguments for a periodic job, None for one run on demand.
    cron: dict | None = None


#: Every job, by name. Filled by `job`/`periodic` in jobs/tasks.py.
REGISTRY: dict[str, JobSpec] = {}
_build_lock = threading.Lock()


def job(name: str):
    def register(func):
        REGISTRY[name] = JobSpec(name, func)
        return func

    return register


def periodic(name: str, **cron):
    def register(func):
        REGISTRY[name] = JobSpec(name, func, cron or {"minute": "*"})
        return func

    return register


@dataclass
class JobQueue:
    huey: object
    #: Huey task wrappers by job name; calling one enqueues it.
    tasks: dict
    kind: str


def get_queue(app: Flask | None = None) -> JobQueue:
    app = app or current_app._get_current_object()
    queue = app.extensions.get("hoctap_jobs")
    if queue is None:
        with _build_lock:
            queue = app.extensions.get("hoctap_jobs")
            if queue is None:
                queue = app.extensions["hoctap_jobs"] = _build(app)
    return queue


def jobs_db_path(app: Flask) -> str:
    return app.config.get("HOCTAP_JOBS_DB") or os.path.join(app.instance_path, "jobs.db")


def _build(app: Flask) -> JobQueue:
    from . import tasks  # noqa: F401  (fills REGISTRY)

    redis_url = app.config.get("HOCTAP_REDIS_URL")
    # results=False: nobody reads a job's return value, the database holds the outcome.
    if redis_url:
        huey = RedisHuey("hoctap", url=redis_url, results=False, utc=True)
        kind = "redis"
    else:
        path = jobs_db_path(app)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        huey = SqliteHuey("hoctap", filename=path, results=False, utc=True, timeout=15)
        kind = "sqlite"
    wrappers = {}
    for spec in REGISTRY.values():
        body = _in_app_context(app, spec)
        if spec.cron is None:
            wrappers[spec.name] = huey.task(name=spec.name, context=True)(body)
        else:
            wrappers[spec.name] = huey.periodic_task(
                crontab(**spec.cron), name=spec.name, context=True
            )(body)
    return JobQueue(huey, wrappers, kind)


def _in_app_context(app: Flask, spec: JobSpec):
    def run(*args, task=None):
        from ..extensions import db

        started = time.monotonic()
        ident = getattr(task, "id", "-")
        with app.app_context():
            try:
                spec.func(*args)
            except Exception:
                db.session.rollback()
                log.exception(
                    "job %s %s failed after %.3f s", spec.name, ident, time.monotonic() - started
                )
                raise
        log.info("job %s %s done in %.3f s", spec.name, ident, time.monotonic() - started)

    run.__name__ = spec.name
    run.__qualname__ = spec.name
    return run


def enqueue(name: str, *args) -> None:
    queue = get_queue()
    try:
        queue.tasks[name](*args)
    except Exception as error:
        log.exception("could not enqueue job %s%r", name, args)
        raise QueueUnavailable(
            "Không đưa được việc vào hàng đợi chạy nền; hãy thử lại sau ít phút."
        ) from error


def run_pending(app: Flask, periodic: bool = False) -> int:
    """Run every job waiting in the queue (and, with `periodic`, each periodic job once)
    in this process and thread; return how many ran. For `hoctap worker --once` (cron
    deployments without a long-running worker) and tests."""
    queue = get_queue(app)
    huey = queue.huey
    count = 0
    if periodic:
        for spec in REGISTRY.values():
            if spec.cron is not None:
                huey.execute(queue.tasks[spec.name].s())
                count += 1
    while True:
        task = huey.dequeue()
        if task is None:
            return count
        huey.execute(task)
        count += 1
