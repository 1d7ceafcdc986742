"""The jobs the worker runs. Each is a thin call into the service that owns the work.

Periodic jobs fire every minute on every worker's scheduler. They are safe to run twice at
the same time: the stale sweep and finalizing are idempotent updates, and the scheduler
claims each due source with one conditional UPDATE, so only one worker queues its run.
"""

from __future__ import annotations

import logging

from ..core.types import utcnow
from ..extensions import db
from .queue import job, periodic

log = logging.getLogger("hoctap_learn.jobs")


@job("harvest.run")
def harvest_run(run_id: int) -> None:
    """Run a queued harvest (the row says what; the message only carries its id)."""
    from ..harvest.runner import run_queued

    run_queued(run_id)


@periodic("harvest.sweep")
def harvest_sweep() -> None:
    """Fail runs whose process stopped beating; queue again runs whose message was lost."""
    from ..harvest.runner import fail_stale_runs, requeue_lost_runs

    failed = fail_stale_runs()
    if failed:
        log.warning("harvest runs %s failed: no heartbeat", failed)
    requeue_lost_runs()


@periodic("harvest.schedule")
def harvest_schedule() -> None:
    """Queue the runs of the sources whose scheduled time has come."""
    from ..harvest.schedule import queue_due_sources

    queue_due_sources(utcnow())


@periodic("contests.finalize")
def contests_finalize() -> None:
    """What `hoctap contest finalize` does: submit attempts past their deadline and count
    ended attempts into the report figures."""
    from ..contests import attempts, tallies

    finalized = attempts.finalize_expired(utcnow())
    counted = tallies.fold()
    db.session.commit()
    if finalized or counted:
        log.info("finalized %d attempts, counted %d", finalized, counted)
