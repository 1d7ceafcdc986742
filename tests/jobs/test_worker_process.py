"""`hoctap worker` as a real process: jobs queued by another process run there, it beats,
logs each job with its duration, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import re
import signal

from sqlalchemy import select

from hoctap_learn.harvest import services
from hoctap_learn.harvest.models import HarvestRun
from hoctap_learn.jobs import latest_heartbeat

from .process import wait_for


def _status(db, run_id: int) -> str:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(HarvestRun, run_id).status


def test_run_queued_by_the_cli_runs_on_the_worker_process(app, db, runner, oai_server,
                                                          start_worker):  # fmt: skip
    services.add_source(
        None, services.SourceInput(name="Kho trường", kind="oai-pmh", url=oai_server.url)
    )
    db.session.commit()
    assert latest_heartbeat() is None

    queued = runner.invoke(args=["harvest", "run", "kho-truong", "--queue", "--json"])
    assert queued.exit_code == 0, queued.output
    data = json.loads(queued.stdout)
    assert data["status"] == "queued" and data["pages"] == 0
    # Queued is active: a second request for the same source is refused, nothing queued twice.
    twice = runner.invoke(args=["harvest", "run", "kho-truong", "--queue"])
    assert twice.exit_code == 1 and "đang chờ chạy" in twice.output

    worker = start_worker()
    wait_for(lambda: _status(db, data["run"]) not in ("queued", "running"), "the run to end")
    run = db.session.get(HarvestRun, data["run"])
    assert run.status == "partial" and run.new == 30 and run.pages == 5
    assert run.heartbeat_at is not None and run.finished_at is not None
    def beat():
        db.session.rollback()  # a new snapshot each time
        return latest_heartbeat()

    wait_for(beat, "the worker's heartbeat row")

    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=60) == 0
    db.session.rollback()
    assert latest_heartbeat() is None  # a worker that stopped cleanly removes its row
    log = worker.log()
    assert re.search(r"job harvest\.run [0-9a-f-]{36} done in \d+\.\d{3} s", log), log
    assert re.search(r"worker \S+ stopped", log), log


def test_worker_refuses_an_unreachable_redis_with_a_message(app, runner, tmp_path):
    import socket

    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config["HOCTAP_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 1
    assert "hàng đợi" in result.output and "Traceback" not in result.output


def test_with_redis_the_queue_is_shared_through_redis(app, db, runner, oai_server, redis_url,
                                                      start_worker, tmp_path):  # fmt: skip
    """HOCTAP_REDIS_URL: the page's process and the worker process share no queue file."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    app.config["HOCTAP_REDIS_URL"] = redis_url
    app.config["HOCTAP_JOBS_DB"] = str(tmp_path / "unused-by-the-page.db")
    services.add_source(
        None, services.SourceInput(name="Kho trường", kind="oai-pmh", url=oai_server.url)
    )
    db.session.commit()
    queued = runner.invoke(args=["harvest", "run", "kho-truong", "--queue", "--json"])
    assert queued.exit_code == 0, queued.output
    run_id = json.loads(queued.stdout)["run"]
    worker = start_worker(HOCTAP_REDIS_URL=redis_url,
                          HOCTAP_JOBS_DB=str(tmp_path / "unused-by-the-worker.db"))  # fmt: skip
    wait_for(lambda: _status(db, run_id) not in ("queued", "running"), "the run to end")
    assert _status(db, run_id) == "partial"
    from hoctap_learn.jobs.models import WorkerHeartbeat

    def worker_queue():
        db.session.rollback()  # a new snapshot each time
        return db.session.scalar(select(WorkerHeartbeat.queue))

    assert wait_for(worker_queue, "the worker's row") == "redis"
    assert not (tmp_path / "unused-by-the-page.db").exists()
    assert not (tmp_path / "unused-by-the-worker.db").exists()
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=60) == 0
