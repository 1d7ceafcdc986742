"""The centrepiece: a worker killed with SIGKILL in the middle of a harvest.

A real OAI-PMH server serves the changed records in pages of 7 and holds page 3 until the
test lets it go; `hoctap worker` runs in its own process on the same database and queue
file; the run is queued through the organizer page ("Chạy ngay"). Once page 2 is committed
and page 3 is in flight the worker is killed. Then the stale sweep (`hoctap worker --once`
with a zero stale limit) must fail the run with its reason and free the source; pages 1-2
stay, nothing of page 3 is written, and the next run goes on incrementally from the same
``from`` and ends with everything.
"""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest
from sqlalchemy import create_engine, func, select, text

from hoctap_learn.catalog.models import Resource
from hoctap_learn.harvest import services
from hoctap_learn.harvest.models import HarvestRun
from hoctap_learn.harvest.runner import run_source

from ..conftest import csrf_from, login
from ..factories import PASSWORD, make_user
from .process import wait_for

#: Records changed after the first harvest: 21, three pages of 7.
TOUCHED = [n for n in range(11, 34) if n not in (20, 30)]


def _titles(db) -> dict[str, str]:
    db.session.rollback()
    rows = db.session.execute(
        select(Resource.identifier, Resource.title).where(Resource.status == "active")
    ).all()
    return dict(rows)


def _run(db, run_id: int) -> HarvestRun:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(HarvestRun, run_id)


def test_sigkilled_worker_run_fails_keeps_committed_pages_and_next_run_goes_on(
    app, db, client, runner, oai_server, start_worker
):
    make_user("admin@example.vn", role="admin")
    source = services.add_source(
        None, services.SourceInput(name="Kho trường", kind="oai-pmh", url=oai_server.url)
    )
    db.session.commit()
    first = run_source(source)  # inline: the whole repository, 30 resources
    assert first.status == "partial" and first.new == 30
    mark = first.source.harvested_until
    assert mark

    for n in TOUCHED:
        oai_server.repository.touch(f"oai:kho-thu:{n}", title=[f"Học liệu số {n} (bản mới)"])
    arrived, release = threading.Event(), threading.Event()
    oai_server.faults.extend([None, None, ("gate", arrived, release)])
    worker = start_worker()
    try:
        login(client, "admin@example.vn", PASSWORD)
        token = csrf_from(client, "/organizer/harvest/kho-truong")
        response = client.post("/organizer/harvest/kho-truong/run", data={"csrf_token": token})
        assert response.status_code == 302
        run_id = int(response.headers["Location"].rsplit("/", 1)[1])

        wait_for(arrived.is_set, "the worker to ask for page 3")
        wait_for(lambda: _run(db, run_id).pages == 2, "page 2 to be committed")
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.process.wait(timeout=30) == -signal.SIGKILL
    finally:
        release.set()

    run = _run(db, run_id)
    assert run.status == "running" and run.started_by == "admin@example.vn"
    assert run.from_datestamp == mark  # incremental: only what changed since the first run
    # Pages 1-2 (14 changed records) are in the catalog, nothing of page 3.
    titles = _titles(db)
    new_titles = [n for n in TOUCHED if titles[f"kho-truong:oai:kho-thu:{n}"].endswith("(bản mới)")]
    assert len(new_titles) == 14
    assert run.updated == 14 and run.new == 0

    # Another run is refused while the dead one still holds the source.
    refused = runner.invoke(args=["harvest", "run", "kho-truong", "--json"])
    assert refused.exit_code == 1 and "đang được thu thập" in refused.output

    app.config["HOCTAP_JOB_STALE_SECONDS"] = 0
    swept = runner.invoke(args=["worker", "--once"])
    assert swept.exit_code == 0, swept.output
    run = _run(db, run_id)
    assert run.status == "failed" and run.finished_at is not None
    assert "Tiến trình chạy nền đã dừng giữa chừng" in run.message
    assert run.pages == 2 and run.updated == 14
    page = client.get(f"/organizer/harvest/kho-truong/runs/{run_id}").get_data(as_text=True)
    assert "Thất bại" in page and "Tiến trình chạy nền đã dừng giữa chừng" in page
    assert services.get_source("kho-truong").harvested_until == mark  # not moved on

    app.config["HOCTAP_JOB_STALE_SECONDS"] = 180
    result = runner.invoke(args=["harvest", "run", "kho-truong", "--json"])
    assert result.exit_code == 0, result.output
    again = db.session.scalar(select(HarvestRun).order_by(HarvestRun.id.desc()).limit(1))
    assert again.status == "succeeded" and again.from_datestamp == mark
    assert (again.updated, again.unchanged, again.new) == (7, 14, 0)
    titles = _titles(db)
    assert all(titles[f"kho-truong:oai:kho-thu:{n}"].endswith("(bản mới)") for n in TOUCHED)
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 30
    assert services.get_source("kho-truong").harvested_until > mark


def test_sigkill_inside_the_page_transaction_keeps_nothing_of_that_page(
    app, db, backend, runner, oai_server, start_worker
):
    """PostgreSQL: the test holds the run's row lock, so the worker gets page 3, writes its
    records in its transaction and then waits on the run row; it is killed there. The
    records it had written are rolled back with the connection."""
    if backend != "postgresql":
        pytest.skip(
            "SQLite has one write lock per file: a test cannot let the worker write some of a "
            "page and then hold it inside that transaction"
        )
    services.add_source(
        None, services.SourceInput(name="Kho trường", kind="oai-pmh", url=oai_server.url)
    )
    db.session.commit()
    arrived, release = threading.Event(), threading.Event()
    oai_server.faults.extend([None, None, ("gate", arrived, release)])
    queued = runner.invoke(args=["harvest", "run", "kho-truong", "--queue", "--json"])
    run_id = json.loads(queued.stdout)["run"]
    # No beats from the run's own thread: the one UPDATE of the run row that waits on the
    # test's lock is the worker's page transaction (it flushes the run's counts after the
    # first record of page 3 is written).
    worker = start_worker(HOCTAP_JOB_HEARTBEAT_SECONDS=3600)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as holder, engine.connect() as watcher:
            wait_for(arrived.is_set, "the worker to ask for page 3")
            wait_for(lambda: _run(db, run_id).pages == 2, "page 2 to be committed")
            holder.execute(
                text("SELECT id FROM harvest_runs WHERE id = :id FOR UPDATE"), {"id": run_id}
            )
            release.set()  # page 3 reaches the worker, which writes and then waits on us

            def worker_waits_on_the_run_row():
                waiting = watcher.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query ILIKE 'UPDATE harvest_runs%'"
                )).scalar()  # fmt: skip
                watcher.rollback()  # statistics are a snapshot per transaction
                return waiting

            wait_for(worker_waits_on_the_run_row, "the worker to wait inside page 3")
            os.kill(worker.pid, signal.SIGKILL)
            assert worker.process.wait(timeout=30) == -signal.SIGKILL
            holder.rollback()
    finally:
        release.set()
        engine.dispose()

    run = _run(db, run_id)
    assert run.status == "running" and run.pages == 2 and run.new == 11
    identifiers = set(_titles(db))
    assert len(identifiers) == 11  # pages 1-2: items 1-14 less 2 rejected and 1 deleted
    assert not any(f"kho-truong:oai:kho-thu:{n}" in identifiers for n in range(15, 22))

    app.config["HOCTAP_JOB_STALE_SECONDS"] = 0
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert _run(db, run_id).status == "failed"
    app.config["HOCTAP_JOB_STALE_SECONDS"] = 180
    result = runner.invoke(args=["harvest", "run", "kho-truong", "--json"])
    data = json.loads(result.stdout)
    assert (data["new"], data["unchanged"]) == (19, 11) and data["from"] is None
    assert len(_titles(db)) == 30
