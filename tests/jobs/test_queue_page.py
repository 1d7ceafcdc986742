""""Chạy ngay" through the organizer page: queued at once, the JSON progress endpoint, its
permissions, the queue being down, and the sweep of runs whose process died."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hoctap_learn.harvest import services
from hoctap_learn.harvest.models import HarvestRun

from ..conftest import csrf_from, login
from ..factories import PASSWORD, make_unit, make_user


@pytest.fixture
def setup(db, oai_server):
    a = make_unit("huyen-a", name="Huyện A")
    b = make_unit("huyen-b", name="Huyện B")
    make_user("a@example.vn", role="organizer", unit=a)
    make_user("b@example.vn", role="organizer", unit=b)
    source = services.add_source(
        None,
        services.SourceInput(name="Kho A", kind="oai-pmh", url=oai_server.url, unit_id=a.id),
    )
    db.session.commit()
    return source


def _run_now(client):
    token = csrf_from(client, "/organizer/harvest/kho-a")
    return client.post("/organizer/harvest/kho-a/run", data={"csrf_token": token})


def test_run_now_returns_at_once_and_progress_is_json(client, runner, db, setup, oai_server):
    login(client, "a@example.vn", PASSWORD)
    response = _run_now(client)
    assert response.status_code == 302
    assert oai_server.requests[-1]["verb"] != "ListRecords"  # nothing harvested in the request
    run_url = response.headers["Location"]
    progress = client.get(run_url + ".json")
    assert progress.status_code == 200 and progress.headers["Cache-Control"] == "no-store"
    state = progress.get_json()
    assert state["status"] == "queued" and state["active"] is True
    assert state["status_label"] == "Đang chờ chạy" and state["pages"] == 0
    page = client.get(run_url).get_data(as_text=True)
    assert 'data-progress-url="' + run_url + '.json"' in page
    assert 'data-active="true"' in page and "Tải lại" in page
    assert "<script>" not in page  # no inline script (strict CSP)
    assert "Chưa thấy tiến trình chạy nền nào hoạt động" in page and not state["worker_seen"]

    again = _run_now(client)  # the source is taken while the run waits
    assert "đang chờ chạy" in client.get(again.headers["Location"]).get_data(as_text=True)

    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    state = client.get(run_url + ".json").get_json()
    assert state["status"] == "partial" and state["active"] is False
    assert state["pages"] == 5 and state["records"] == 32 and state["counts"]["new"] == 30
    assert state["finished_at"]


def test_progress_endpoint_has_the_page_permissions(app, client, db, setup):
    login(client, "a@example.vn", PASSWORD)
    run_url = _run_now(client).headers["Location"]
    anonymous = app.test_client().get(run_url + ".json")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    other = app.test_client()
    login(other, "b@example.vn", PASSWORD)
    assert other.get(run_url + ".json").status_code == 403
    assert other.get("/organizer/harvest/kho-a/runs/999999.json").status_code == 403


def test_unknown_run_is_404(client, db, setup):
    login(client, "a@example.vn", PASSWORD)
    assert client.get("/organizer/harvest/kho-a/runs/999999.json").status_code == 404


def test_queue_down_is_a_message_and_frees_the_source(app, client, db, setup):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config["HOCTAP_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    login(client, "a@example.vn", PASSWORD)
    response = _run_now(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Không đưa được việc vào hàng đợi chạy nền" in page
    db.session.rollback()
    run = db.session.scalar(select(HarvestRun))
    assert run.status == "failed" and "hàng đợi" in run.message
    assert not run.active  # the source is free for the next try


def test_database_refuses_two_active_runs_of_a_source(app, db, setup):
    """The per-source lock is the partial unique index over queued and running rows."""
    db.session.add(HarvestRun(source_id=setup.id, status="queued"))
    db.session.commit()
    db.session.add(HarvestRun(source_id=setup.id, status="running"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(HarvestRun(source_id=setup.id, status="failed"))
    db.session.commit()


def test_sweep_fails_only_runs_whose_heartbeat_is_stale(app, db, runner, setup, oai_server):
    other = services.add_source(
        None, services.SourceInput(name="Kho khác", kind="oai-pmh", url=oai_server.url)
    )
    db.session.commit()
    now = datetime.now(UTC)
    dead = HarvestRun(source_id=setup.id, status="running", heartbeat_at=now - timedelta(
        seconds=200))  # fmt: skip
    alive = HarvestRun(source_id=other.id, status="running", heartbeat_at=now)
    db.session.add_all([dead, alive])
    db.session.commit()
    result = runner.invoke(args=["worker", "--once", "--json"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert dead.status == "failed" and "dừng giữa chừng" in dead.message
    assert alive.status == "running" and alive.message is None
    # The swept source can be queued again at once.
    queued = runner.invoke(args=["harvest", "run", "kho-a", "--queue"])
    assert queued.exit_code == 0, queued.output


def test_lost_queue_message_is_queued_again(app, db, runner, setup):
    """A queued row older than the stale limit (its message lost) is queued again by the
    sweep and then harvested; a duplicate message would find it claimed and do nothing."""
    run = HarvestRun(source_id=setup.id, status="queued",
                     heartbeat_at=datetime.now(UTC) - timedelta(seconds=600))  # fmt: skip
    db.session.add(run)
    db.session.commit()
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0  # sweep re-queues it
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0  # …and it runs
    db.session.expire_all()
    assert run.status == "partial" and run.pages == 5


def test_run_of_a_source_switched_off_while_queued_does_not_harvest(client, runner, db, setup,
                                                                    oai_server):  # fmt: skip
    login(client, "a@example.vn", PASSWORD)
    run_url = _run_now(client).headers["Location"]
    token = csrf_from(client, "/organizer/harvest/kho-a")
    client.post("/organizer/harvest/kho-a/enabled", data={"csrf_token": token})
    asked = len(oai_server.requests)
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    state = client.get(run_url + ".json").get_json()
    assert state["status"] == "failed" and "đã tắt trước khi chạy" in state["message"]
    assert len(oai_server.requests) == asked
