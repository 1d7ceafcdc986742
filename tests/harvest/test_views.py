"""Organizer pages: scope by unit, CSRF on every form, add/test/toggle/run, history."""

from __future__ import annotations

import re

import pytest

from hoctap_learn.harvest import services
from hoctap_learn.harvest.runner import start_run

from ..conftest import csrf_from, login
from ..factories import PASSWORD, make_unit, make_user


@pytest.fixture
def people(db):
    province = make_unit("tinh", kind="province", name="Tỉnh thử")
    a = make_unit("huyen-a", parent=province, name="Huyện A")
    b = make_unit("huyen-b", parent=province, name="Huyện B")
    return {
        "a": a,
        "b": b,
        "org_a": make_user("a@example.vn", role="organizer", unit=a),
        "org_b": make_user("b@example.vn", role="organizer", unit=b),
        "admin": make_user("admin@example.vn", role="admin"),
        "citizen": make_user("dan@example.vn"),
    }


@pytest.fixture
def source_b(db, people, oai_server):
    source = services.add_source(
        None,
        services.SourceInput(
            name="Kho huyện B", kind="oai-pmh", url=oai_server.url, unit_id=people["b"].id
        ),
    )
    db.session.commit()
    return source


def test_pages_need_staff(client, people):
    assert client.get("/organizer/harvest/").status_code == 302
    login(client, "dan@example.vn", PASSWORD)
    assert client.get("/organizer/harvest/").status_code == 403


def test_organizer_of_another_unit_cannot_manage(client, people, source_b):
    login(client, "a@example.vn", PASSWORD)
    listing = client.get("/organizer/harvest/").get_data(as_text=True)
    assert "Kho huyện B" not in listing
    assert client.get("/organizer/harvest/kho-huyen-b").status_code == 403
    token = csrf_from(client, "/organizer/harvest/")
    for action in ("run", "test", "enabled"):
        response = client.post(
            f"/organizer/harvest/kho-huyen-b/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 403
    assert source_b.enabled and services.recent_runs(source_b) == []


def test_organizer_cannot_add_for_another_unit(client, people, oai_server):
    login(client, "a@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/new")
    response = client.post(
        "/organizer/harvest/new",
        data={"csrf_token": token, "name": "Lấn quyền", "kind": "oai-pmh", "url": oai_server.url,
              "unit_id": str(people["b"].id)},
    )  # fmt: skip
    assert response.status_code == 422
    assert services.list_sources() == []


def test_owner_adds_runs_and_sees_history(client, runner, people, oai_server, db):
    login(client, "a@example.vn", PASSWORD)
    form = client.get("/organizer/harvest/new").get_data(as_text=True)
    assert "Huyện A" in form and "Huyện B" not in form
    token = csrf_from(client, "/organizer/harvest/new")
    response = client.post(
        "/organizer/harvest/new",
        data={"csrf_token": token, "name": "Kho trường", "kind": "oai-pmh", "url": oai_server.url,
              "unit_id": str(people["a"].id), "type_map": "MovingImage=bai-giang"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/organizer/harvest/kho-truong")
    response = client.post("/organizer/harvest/kho-truong/run", data={"csrf_token": token})
    assert response.status_code == 302
    run_url = response.headers["Location"]
    page = client.get(run_url).get_data(as_text=True)
    assert "Đã đưa lần thu thập vào hàng đợi" in page  # the flash
    assert "Đang chờ chạy" in page and "harvest/run-progress.js" in page
    result = runner.invoke(args=["worker", "--once"])  # the worker takes the job
    assert result.exit_code == 0, result.output
    page = client.get(run_url).get_data(as_text=True)
    assert "Xong, có bản ghi bị từ chối" in page and "thiếu nhan đề (title)" in page
    assert "run-progress.js" not in page  # nothing left to follow
    detail = client.get("/organizer/harvest/kho-truong").get_data(as_text=True)
    assert re.search(r"<td>30</td>", detail)
    tested = client.post("/organizer/harvest/kho-truong/test", data={"csrf_token": token})
    assert "Kết nối được" in client.get(tested.headers["Location"]).get_data(as_text=True)
    client.post("/organizer/harvest/kho-truong/enabled", data={"csrf_token": token})
    assert services.get_source("kho-truong").enabled is False


def test_run_now_twice_is_refused_with_a_message(client, people, source_b, db):
    start_run(source_b)
    login(client, "b@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/")
    response = client.post("/organizer/harvest/kho-huyen-b/run", data={"csrf_token": token})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "đang được thu thập" in page


def test_forms_need_csrf(client, people, source_b):
    login(client, "admin@example.vn", PASSWORD)
    assert client.post("/organizer/harvest/kho-huyen-b/run").status_code == 400
    response = client.post("/organizer/harvest/new", data={"name": "X", "kind": "rss",
                                                           "url": "https://x.vn/rss"})  # fmt: skip
    assert response.status_code == 400 and services.list_sources() == [source_b]


def test_bad_input_is_a_message_not_a_500(client, people):
    login(client, "admin@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/new")
    response = client.post(
        "/organizer/harvest/new",
        data={"csrf_token": token, "name": "Sai", "kind": "oai-pmh", "url": "ftp://kho",
              "unit_id": "", "type_map": "abc"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "http://" in response.get_data(as_text=True) or "giá-trị=mã-loại" in (
        response.get_data(as_text=True)
    )
    assert client.get("/organizer/harvest/khong-co").status_code == 404


def test_admin_sees_every_source(client, people, source_b):
    login(client, "admin@example.vn", PASSWORD)
    assert "Kho huyện B" in client.get("/organizer/harvest/").get_data(as_text=True)
    assert client.get("/organizer/harvest/kho-huyen-b").status_code == 200
