"""A running harvest beats while it waits on a slow page, not only after each page, and
a run the sweep failed cannot write another page."""

from __future__ import annotations

import threading

from sqlalchemy import select

from hoctap_learn.harvest import services
from hoctap_learn.harvest.models import HarvestRun
from hoctap_learn.harvest.runner import fail_stale_runs, run_source

from .process import wait_for


def _fresh(db) -> HarvestRun | None:
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalar(select(HarvestRun).order_by(HarvestRun.id.desc()).limit(1))


def _harvest_in_thread(app, slug: str, outcome: list):
    def harvest():
        with app.app_context():
            run = run_source(services.get_source(slug))
            outcome.append((run.status, run.pages, run.message))

    thread = threading.Thread(target=harvest)
    thread.start()
    return thread


def test_run_beats_while_a_page_is_slow(app, db, oai_server):
    app.config["HOCTAP_JOB_HEARTBEAT_SECONDS"] = 0.5
    services.add_source(None, services.SourceInput(name="Kho", kind="oai-pmh",
                                                   url=oai_server.url))  # fmt: skip
    db.session.commit()
    arrived, release = threading.Event(), threading.Event()
    oai_server.faults.extend([None, ("gate", arrived, release)])
    outcome: list = []
    thread = _harvest_in_thread(app, "kho", outcome)
    try:
        wait_for(arrived.is_set, "page 2 to be asked for")
        after_page_1 = wait_for(lambda: _fresh(db).heartbeat_at if _fresh(db).pages == 1
                                else None, "page 1")  # fmt: skip
        # Page 2 is held by the server: the run still beats.
        wait_for(lambda: _fresh(db).heartbeat_at > after_page_1, "a beat during the wait")
        assert _fresh(db).pages == 1 and _fresh(db).status == "running"
    finally:
        release.set()
        thread.join(timeout=60)
    assert outcome == [("partial", 5, None)]


def test_a_swept_run_writes_no_further_page(app, db, oai_server):
    """If the sweep failed a run that was only slow, the run stops at its next page: that
    page is not written and the sweep's verdict stands."""
    services.add_source(None, services.SourceInput(name="Kho", kind="oai-pmh",
                                                   url=oai_server.url))  # fmt: skip
    db.session.commit()
    arrived, release = threading.Event(), threading.Event()
    oai_server.faults.extend([None, ("gate", arrived, release)])
    outcome: list = []
    thread = _harvest_in_thread(app, "kho", outcome)
    try:
        wait_for(arrived.is_set, "page 2 to be asked for")
        wait_for(lambda: _fresh(db).pages == 1, "page 1")
        app.config["HOCTAP_JOB_STALE_SECONDS"] = 0
        assert fail_stale_runs() == [_fresh(db).id]
    finally:
        release.set()
        thread.join(timeout=60)
    run = _fresh(db)
    assert run.status == "failed" and "dừng giữa chừng" in run.message
    assert run.pages == 1 and run.new == 7 - 2  # page 1 only (items 3 and 4 are rejected)
    assert outcome and outcome[0][:2] == ("failed", 1)
    assert services.get_source("kho").harvested_until is None  # `from` not moved
