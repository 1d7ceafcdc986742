"""Beats: the worker's row in `worker_heartbeats`, and the node-local duties that run on
the same clock (this node's search index catching up with the catalog's change log)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from flask import Flask
from sqlalchemy import delete, update

from ..core.types import utcnow
from ..extensions import db
from .models import WorkerHeartbeat

log = logging.getLogger("hoctap_learn.jobs")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:255]


def beat(name: str, queue_kind: str) -> None:
    """Insert or refresh this worker's row (one short transaction)."""
    now = utcnow()
    done = db.session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.name == name).values(beat_at=now)
    ).rowcount
    if not done:
        db.session.add(
            WorkerHeartbeat(
                name=name,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                queue=queue_kind,
                started_at=now,
                beat_at=now,
            )
        )
    db.session.commit()


def forget(name: str) -> None:
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == name))
    db.session.commit()


def prune(older_than_seconds: float) -> None:
    """Drop rows of workers dead for long (a SIGKILL leaves its row behind)."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < cutoff))
    db.session.commit()


def search_catch_up() -> int:
    """Apply pending catalog changes to the search index of this node (HOCTAP_INDEX_DIR).

    Useful where the worker shares the index directory with the web processes (one
    machine, or a shared volume); a worker on another machine keeps its own copy current.
    """
    from ..search import store

    started = time.monotonic()
    applied = store.catch_up()
    db.session.rollback()  # end the read transaction catch_up opened
    if applied:
        log.info("job search.catch_up - done in %.3f s (%d resources)",
                 time.monotonic() - started, applied)  # fmt: skip
    return applied


class Beater(threading.Thread):
    """Beats every `interval` seconds until stopped; each duty's failure is logged and
    retried on the next beat."""

    def __init__(self, app: Flask, name: str, queue_kind: str, interval: float):
        super().__init__(name="hoctap-heartbeat", daemon=True)
        self.app, self.worker, self.queue_kind = app, name, queue_kind
        self.interval = max(interval, 0.5)
        self.stopping = threading.Event()

    def tick(self) -> None:
        with self.app.app_context():
            for duty in (lambda: beat(self.worker, self.queue_kind), search_catch_up):
                try:
                    duty()
                except Exception:
                    db.session.rollback()
                    log.exception("worker heartbeat duty failed")

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            self.tick()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
