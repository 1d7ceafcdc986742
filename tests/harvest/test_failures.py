"""Failure modes against misbehaving loopback servers: 503, silence, broken XML, no host."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from hoctap_learn.catalog.models import Resource
from hoctap_learn.harvest import services
from hoctap_learn.harvest.fetch import retry_after_seconds
from hoctap_learn.harvest.runner import run_source

from .servers import closed_port_url, serve_silent


def add(db, url, check=True):
    source = services.add_source(
        None, services.SourceInput(name="Kho thử", kind="oai-pmh", url=url, check=check)
    )
    db.session.commit()
    return source


def identifiers(db) -> set[str]:
    return set(db.session.scalars(select(Resource.identifier)))


def test_retry_after_in_seconds_or_as_http_date():
    now = datetime(2026, 10, 19, 8, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", 5, now) == 7
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(later, 5, now) == 30
    earlier = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(earlier, 5, now) == 0
    assert retry_after_seconds("ngày mai", 5, now) == 5
    assert retry_after_seconds(None, 5, now) == 5


@pytest.mark.parametrize("header", ["1", "date"])
def test_503_with_retry_after_is_waited_out(db, oai_server, header):
    source = add(db, oai_server.url)
    if header == "date":
        header = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    # the first ListRecords page and the third one are "busy" once each
    oai_server.faults.extend([("503", header)])
    started = time.monotonic()
    run = run_source(source)
    elapsed = time.monotonic() - started
    assert run.status == "partial" and run.counts()["new"] == 30
    assert elapsed >= 0.9  # the wait really happened (capped at 1 s in tests)
    list_requests = [r for r in oai_server.requests if r.get("verb") == "ListRecords"]
    assert len(list_requests) == 6  # 5 pages + 1 retry


def test_503_for_ever_fails_after_the_bound(db, oai_server):
    source = add(db, oai_server.url)
    oai_server.faults.extend([("503", "0")] * 10)
    run = run_source(source)
    assert run.status == "failed"
    assert run.message == "Không tải được (lý do: máy chủ báo bận HTTP 503, đã thử 3 lần)."
    assert len(oai_server.faults) == 7  # 3 attempts, no more
    assert identifiers(db) == set()


def test_malformed_xml_keeps_the_pages_before(db, oai_server):
    source = add(db, oai_server.url)
    oai_server.faults.extend([None, None, ("malformed",)])  # third page is cut in half
    run = run_source(source)
    assert run.status == "failed"
    assert run.message.startswith("Kho OAI-PMH trả về XML hỏng")
    assert "trang này không được nhập" in run.message
    assert run.pages == 2
    assert len(identifiers(db)) == 11  # pages 1-2: 14 records, 2 refused, 1 deleted
    assert source.harvested_until is None  # the next run starts over


def test_timeouts_are_retried_then_fail(db):
    url, stop = serve_silent()
    try:
        source = add(db, url, check=False)
        started = time.monotonic()
        run = run_source(source)
        elapsed = time.monotonic() - started
    finally:
        stop()
    assert run.status == "failed"
    assert run.message == "Không tải được (lý do: hết thời gian, đã thử 3 lần)."
    assert 3 <= elapsed < 10


def test_a_timeout_then_an_answer_is_retried(db, oai_server):
    source = add(db, oai_server.url)
    oai_server.faults.extend([None, ("slow", 1.5)])  # page 2 times out once (timeout 1 s)
    run = run_source(source)
    assert run.status == "partial" and run.counts()["new"] == 30
    tokens = [r["resumptionToken"] for r in oai_server.requests if "resumptionToken" in r]
    assert len(tokens) == 5 and tokens[0] == tokens[1]  # the same page asked twice


def test_two_runs_at_once_never_write_together(app, db, oai_server):
    """A second run started while the first is writing is refused, in another thread."""
    import threading

    from hoctap_learn.core.errors import Conflict
    from hoctap_learn.extensions import db as _db

    source = add(db, oai_server.url)
    slug = source.slug
    oai_server.faults.extend([("slow", 0.8)])  # the first page is slow: run A is mid-way
    outcome = {}

    def run_a():
        with app.app_context():
            outcome["a"] = run_source(services.get_source(slug)).status
            _db.session.remove()

    thread = threading.Thread(target=run_a)
    thread.start()
    deadline = time.monotonic() + 5
    while not any(r.get("verb") == "ListRecords" for r in oai_server.requests):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with pytest.raises(Conflict, match="đang được thu thập"):
        run_source(services.get_source(slug))
    db.session.rollback()
    thread.join(timeout=30)
    assert outcome["a"] == "partial"
    assert len(identifiers(db)) == 30


def test_dead_host(db):
    url = closed_port_url()
    source = add(db, url, check=False)
    run = run_source(source)
    assert run.status == "failed"
    assert run.message == "Không tải được (lý do: không kết nối được, đã thử 3 lần)."
    assert identifiers(db) == set()


def test_dead_host_refused_when_adding(db):
    from hoctap_learn.core.errors import ValidationError

    refused = r"Không thêm được nguồn: Không tải được \(lý do: không kết nối được"
    with pytest.raises(ValidationError, match=refused):
        add(db, closed_port_url())


def test_stale_running_run_is_expired(app, db, oai_server):
    """A run whose heartbeat stopped longer ago than HOCTAP_JOB_STALE_SECONDS is failed
    when the source is run again; one that still beats keeps the source."""
    from hoctap_learn.core.errors import Conflict
    from hoctap_learn.harvest.runner import start_run

    source = add(db, oai_server.url)
    stale = start_run(source)
    stale.heartbeat_at = datetime.now(UTC) - timedelta(seconds=170)
    db.session.commit()
    with pytest.raises(Conflict, match="đang được thu thập"):
        run_source(source)
    stale.heartbeat_at = datetime.now(UTC) - timedelta(seconds=181)
    db.session.commit()
    run = run_source(source)
    assert run.status == "partial"
    db.session.refresh(stale)
    assert stale.status == "failed" and "dừng giữa chừng" in stale.message
