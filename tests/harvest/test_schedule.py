"""Harvest schedules: set by CLI and form (bad input refused with a message), the next run
computed in Vietnamese time, due sources queued once by the worker even when several
workers look at the same moment."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hoctap_learn.harvest import services
from hoctap_learn.harvest.models import HarvestRun, HarvestSource
from hoctap_learn.harvest.schedule import Schedule, claim_due_sources, next_occurrence

from ..conftest import csrf_from, login
from ..factories import PASSWORD, make_unit, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def source(db, oai_server):
    unit = make_unit("huyen-a", name="Huyện A")
    make_user("a@example.vn", role="organizer", unit=unit)
    make_user("b@example.vn", role="organizer", unit=make_unit("huyen-b"))
    made = services.add_source(
        None,
        services.SourceInput(name="Kho A", kind="oai-pmh", url=oai_server.url, unit_id=unit.id),
    )
    db.session.commit()
    return made


def test_next_occurrence_is_in_vietnamese_time(app):
    daily = Schedule("daily", "02:30")
    before = datetime(2026, 12, 3, 1, 0, tzinfo=VN)
    after = datetime(2026, 12, 3, 2, 30, tzinfo=VN)  # exactly at the time: the next day
    assert next_occurrence(daily, before.astimezone(UTC)) == datetime(2026, 12, 2, 19, 30,
                                                                       tzinfo=UTC)  # fmt: skip
    assert next_occurrence(daily, after.astimezone(UTC)).astimezone(VN) == datetime(
        2026, 12, 4, 2, 30, tzinfo=VN
    )
    weekly = Schedule("weekly", "23:15", 0)  # Monday
    thursday = datetime(2026, 12, 3, 12, 0, tzinfo=VN)
    got = next_occurrence(weekly, thursday.astimezone(UTC)).astimezone(VN)
    assert got == datetime(2026, 12, 7, 23, 15, tzinfo=VN) and got.weekday() == 0
    monday_late = datetime(2026, 12, 7, 23, 16, tzinfo=VN)
    assert next_occurrence(weekly, monday_late.astimezone(UTC)).astimezone(VN).day == 14
    assert next_occurrence(Schedule(), thursday) is None


def test_cli_sets_shows_and_clears_a_schedule(runner, db, source):
    result = runner.invoke(args=["harvest", "schedule", "kho-a", "--weekly", "mon", "02:30",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["schedule"], data["schedule_weekday"], data["schedule_time"]) == (
        "weekly", "mon", "02:30")  # fmt: skip
    upcoming = datetime.fromisoformat(data["next_run_at"]).astimezone(VN)
    assert upcoming.weekday() == 0 and (upcoming.hour, upcoming.minute) == (2, 30)
    assert upcoming > datetime.now(UTC)

    listed = json.loads(runner.invoke(args=["harvest", "sources", "--json"]).stdout)
    assert listed[0]["schedule"] == "weekly" and listed[0]["next_run_at"] == data["next_run_at"]
    assert listed[0]["slug"] == "kho-a" and "harvested_until" in listed[0]  # shape kept
    text = runner.invoke(args=["harvest", "sources"]).output
    assert "Thứ Hai hằng tuần, lúc 02:30" in text and "lần tới" in text

    daily = runner.invoke(args=["harvest", "schedule", "kho-a", "--daily", "7:05"])
    assert daily.exit_code == 0 and "Hằng ngày, lúc 07:05" in daily.output
    assert "Lần chạy tiếp theo" in daily.output
    off = runner.invoke(args=["harvest", "schedule", "kho-a", "--off", "--json"])
    assert off.exit_code == 0 and json.loads(off.stdout)["next_run_at"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--daily", "25:00"], "Giờ chạy “25:00” không hợp lệ"),
        (["--daily", "2h30"], "không hợp lệ"),
        (["--weekly", "thu5", "02:30"], "Thứ “thu5” không hợp lệ"),
        (["--daily", "02:30", "--off"], "đúng một"),
        ([], "đúng một"),
    ],
)
def test_cli_refuses_bad_schedules(runner, db, source, args, message):
    result = runner.invoke(args=["harvest", "schedule", "kho-a", *args])
    assert result.exit_code != 0 and message in result.output
    db.session.expire_all()
    assert source.schedule is None and source.next_run_at is None  # nothing half-applied


def test_unknown_source_is_a_message(runner, db, source):
    result = runner.invoke(args=["harvest", "schedule", "khong-co", "--off", "--json"])
    assert result.exit_code == 1 and "error" in json.loads(result.stdout)


def test_form_sets_the_schedule_and_shows_the_next_run(client, db, source):
    login(client, "a@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/kho-a")
    page = client.get("/organizer/harvest/kho-a").get_data(as_text=True)
    assert "Không có (chỉ chạy khi bấm" in page and "Lần chạy tiếp theo" not in page
    response = client.post(
        "/organizer/harvest/kho-a/schedule",
        data={"csrf_token": token, "kind": "daily", "weekday": "", "at": "02:30"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu lịch chạy: Hằng ngày, lúc 02:30" in page
    db.session.expire_all()
    shown = source.next_run_at.astimezone(VN).strftime("%H:%M ngày %d/%m/%Y")
    assert "Lần chạy tiếp theo" in page and shown in page and shown.startswith("02:30")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "daily", "weekday": "", "at": "24:00"}, "Giờ chạy “24:00” không hợp lệ"),
        ({"kind": "weekly", "weekday": "", "at": "02:30"}, "cần chọn thứ"),
        ({"kind": "weekly", "weekday": "9", "at": "02:30"}, "Lựa chọn không hợp lệ"),
        ({"kind": "hourly", "weekday": "", "at": "02:30"}, "Lựa chọn không hợp lệ"),
        ({"kind": "daily", "weekday": "", "at": "02:30:00"}, "GG:PP"),
    ],
)
def test_form_refuses_bad_schedules_with_a_message(client, db, source, data, message):
    login(client, "a@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/kho-a")
    response = client.post("/organizer/harvest/kho-a/schedule", data={"csrf_token": token, **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert source.schedule is None and source.next_run_at is None


def test_form_needs_the_right_organizer_and_csrf(client, db, source):
    login(client, "b@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/")
    data = {"csrf_token": token, "kind": "daily", "weekday": "", "at": "02:30"}
    assert client.post("/organizer/harvest/kho-a/schedule", data=data).status_code == 403
    other = client.application.test_client()
    login(other, "a@example.vn", PASSWORD)
    no_token = other.post("/organizer/harvest/kho-a/schedule", data={"kind": "daily",
                                                                     "at": "02:30"})  # fmt: skip
    assert no_token.status_code == 400
    db.session.expire_all()
    assert source.schedule is None


def _make_due(db, source, kind="daily"):
    runner_args = {"schedule": kind, "schedule_time": "02:30"}
    for key, value in runner_args.items():
        setattr(source, key, value)
    if kind == "weekly":
        source.schedule_weekday = 2
    source.next_run_at = datetime.now(UTC) - timedelta(days=3)  # the worker was down
    db.session.commit()


def test_worker_queues_and_runs_a_due_source_once(runner, db, source):
    _make_due(db, source)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    runs = db.session.scalars(select(HarvestRun)).all()
    assert len(runs) == 1 and runs[0].started_by == "lịch" and runs[0].status == "partial"
    db.session.expire_all()
    upcoming = source.next_run_at
    assert upcoming > datetime.now(UTC)  # one run for three missed days, then the next 02:30
    assert upcoming.astimezone(VN).strftime("%H:%M") == "02:30"
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert len(db.session.scalars(select(HarvestRun)).all()) == 1  # not due again


def test_disabled_source_skips_its_turn(runner, db, source):
    _make_due(db, source, "weekly")
    source.enabled = False
    db.session.commit()
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert db.session.scalars(select(HarvestRun)).all() == []
    db.session.expire_all()
    assert source.next_run_at > datetime.now(UTC)


def test_workers_looking_at_once_queue_a_due_source_once(app, db, source):
    """Four schedulers at the same moment (threads, each with its own session and
    connection): the conditional claim lets exactly one of them win the due source (the
    active-run index would also refuse a second queued run; the claim is what keeps a
    second run from starting after the first one already ended)."""
    _make_due(db, source)
    source_id = source.id
    db.session.remove()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def scheduler():
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results.append(claim_due_sources(datetime.now(UTC)))
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert db.session.get(HarvestSource, source_id).next_run_at > datetime.now(UTC)
