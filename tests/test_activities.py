"""Activities, funding and report narratives: validation, permissions and the change history."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hoctap_learn.activities import services
from hoctap_learn.activities.models import Activity, ChangeLog, Funding, ReportSubmission
from hoctap_learn.core.errors import PermissionDenied, ValidationError
from hoctap_learn.units import services as units
from hoctap_learn.units.models import Unit

from .conftest import csrf_from, login
from .factories import PASSWORD, make_user


@pytest.fixture
def base_content(app, db):
    """Units and campaigns only: the demo's activities would blur the exact numbers here."""
    from pathlib import Path

    from hoctap_learn.core.content import load_content

    load_content(Path(app.config["HOCTAP_CONTENT_DIR"]), include_demo=False)
    db.session.commit()


@pytest.fixture
def world(base_content, db):
    vungtau = units.get_unit("brvt-vungtau")
    school = Unit(code="vt-thpt", name="Trường THPT Vũng Tàu", kind="school", parent=vungtau)
    db.session.add(school)
    db.session.commit()
    return {
        "campaign": units.get_campaign("2022"),
        "vungtau": vungtau,
        "datdo": units.get_unit("brvt-datdo"),
        "school": school,
        "org_vt": make_user(email="org.vt@example.vn", role="organizer", unit=vungtau),
        "org_dd": make_user(
            email="org.dd@example.vn", role="organizer", unit=units.get_unit("brvt-datdo")
        ),
        "admin": make_user(email="root@example.vn", role="admin"),
    }


def _input(**overrides) -> services.ActivityInput:
    values = dict(
        title="Lễ khai mạc Tuần lễ",
        kind="opening",
        mode="ket_hop",
        start_date=date(2022, 10, 19),
        participants=300,
        breakdown={"target_group": {"hoc_sinh": 200, "giao_vien": 50}, "gender": {"nu": 160}},
        links="https://vungtau.example.vn/tin/khai-mac",
    )
    values.update(overrides)
    return services.ActivityInput(**values)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_update_delete_are_logged_with_who(db, world):
    org, campaign = world["org_vt"], world["campaign"]
    activity = services.create_activity(org, world["vungtau"], campaign, _input())
    db.session.commit()
    assert activity.end_date == activity.start_date  # one-day event
    assert activity.breakdown_dict() == {
        "target_group": {"hoc_sinh": 200, "giao_vien": 50},
        "gender": {"nu": 160},
    }
    services.update_activity(
        org, activity, _input(participants=320, breakdown={"gender": {"nu": 170, "nam": 150}})
    )
    db.session.commit()
    assert activity.breakdown_dict()["target_group"] == {}
    services.delete_activity(org, activity)
    db.session.commit()
    log = db.session.scalars(select(ChangeLog).order_by(ChangeLog.id)).all()
    assert [e.action for e in log] == ["create", "update", "delete"]
    assert all(e.user_id == org.id and e.at is not None for e in log)
    assert log[1].changes["participants"] == [300, 320]
    assert "breakdown" in log[1].changes
    assert _count(db, Activity) == 0


def test_update_without_change_logs_nothing(db, world):
    org = world["org_vt"]
    activity = services.create_activity(org, world["vungtau"], world["campaign"], _input())
    services.update_activity(org, activity, _input())
    db.session.commit()
    assert _count(db, ChangeLog) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "Vui lòng nhập tên hoạt động"),
        ({"title": "x" * 256}, "title", "dài quá 255"),
        ({"kind": "party"}, "kind", "loại hoạt động"),
        ({"mode": "xx"}, "mode", "hình thức"),
        ({"start_date": None}, "start_date", "ngày bắt đầu"),
        ({"start_date": date(2021, 1, 1)}, "start_date", "Ngày phải trong khoảng"),
        ({"end_date": date(2022, 10, 18)}, "end_date", "không được trước ngày bắt đầu"),
        ({"participants": -1}, "participants", "không được âm"),
        ({"participants": 10**9}, "participants", "quá lớn"),
        ({"participants": 100}, "participants", "vượt quá tổng số người tham gia"),
        ({"breakdown": {"gender": {"nu": -3}}}, "g_nu", "không được âm"),
        ({"breakdown": {"gender": {"robot": 3}}}, "participants", "không hợp lệ"),
        ({"links": "javascript:alert(1)"}, "links", "không hợp lệ"),
        ({"notes": "x" * 20_001}, "notes", "dài quá 20.000"),
    ],
)
def test_bad_activity_is_refused_and_nothing_saved(db, world, overrides, field, message):
    with pytest.raises(ValidationError) as info:
        services.create_activity(
            world["org_vt"], world["vungtau"], world["campaign"], _input(**overrides)
        )
    db.session.rollback()
    assert info.value.field == field and message in info.value.message
    assert _count(db, Activity) == 0 and _count(db, ChangeLog) == 0


def test_organizer_manages_own_unit_and_below_only(db, world):
    org, campaign = world["org_vt"], world["campaign"]
    services.create_activity(org, world["school"], campaign, _input())  # a school below
    with pytest.raises(PermissionDenied):
        services.create_activity(org, world["datdo"], campaign, _input())
    with pytest.raises(PermissionDenied):
        services.set_funding(org, world["datdo"], campaign, services.FundingInput(1, 2))
    with pytest.raises(PermissionDenied):
        services.set_submitted(org, world["datdo"], campaign, True)
    # the province admin manages everything
    services.create_activity(world["admin"], world["datdo"], campaign, _input())


def test_activity_pages_of_another_unit_are_403(client, db, world):
    other = services.create_activity(world["org_dd"], world["datdo"], world["campaign"], _input())
    db.session.commit()
    login(client, "org.vt@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/week/2022/brvt-vungtau/activities/new")
    base = "/organizer/week/2022/brvt-datdo"
    for url in (
        "/",
        "/activities/new",
        f"/activities/{other.id}",
        "/funding",
        "/report",
        "/history",
    ):
        assert client.get(base + url).status_code == 403, url
    data = {
        "title": "Hack",
        "kind": "other",
        "mode": "truc_tiep",
        "start_date": "2022-10-20",
        "participants": "1",
        "csrf_token": token,
    }
    assert client.post(base + "/activities/new", data=data).status_code == 403
    assert client.post(base + f"/activities/{other.id}", data=data).status_code == 403
    assert (
        client.post(base + f"/activities/{other.id}/delete", data={"csrf_token": token}).status_code
        == 403
    )
    assert (
        client.post(base + "/funding", data={"state_budget": "1", "csrf_token": token}).status_code
        == 403
    )
    assert client.post(base + "/report/submit", data={"csrf_token": token}).status_code == 403
    # an activity id of another unit under one's own unit's URL is not found
    own = "/organizer/week/2022/brvt-vungtau"
    assert client.get(own + f"/activities/{other.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Activity, other.id).title == "Lễ khai mạc Tuần lễ"
    assert _count(db, Funding) == 0 and _count(db, ReportSubmission) == 0
    assert _count(db, Activity) == 1


def test_participants_cannot_open_organizer_pages(app, world):
    make_user(email="hs@example.vn", unit=world["school"])
    client = app.test_client()
    login(client, "hs@example.vn", PASSWORD)
    assert client.get("/organizer/week/2022/vt-thpt/").status_code == 403


def test_organizer_enters_activity_through_the_form(client, db, world):
    login(client, "org.vt@example.vn", PASSWORD)
    index = client.get("/organizer/week/")
    assert index.status_code == 302 and index.headers["Location"].endswith(
        "/organizer/week/2022/brvt-vungtau/"
    )
    url = "/organizer/week/2022/brvt-vungtau/activities/new"
    token = csrf_from(client, url)
    form = {
        "title": "Lớp tập huấn kỹ năng số",
        "kind": "classes",
        "mode": "truc_tuyen",
        "start_date": "2022-10-21",
        "end_date": "2022-10-22",
        "place": "Zoom",
        "participants": "120",
        "tg_giao_vien": "40",
        "tg_nguoi_dan": "80",
        "g_nu": "70",
        "links": "",
        "notes": "",
        "csrf_token": token,
    }
    bad_date = client.post(url, data={**form, "start_date": "2022-13-45"})
    assert bad_date.status_code == 422 and "Ngày không hợp lệ" in bad_date.get_data(as_text=True)
    not_number = client.post(url, data={**form, "participants": "một trăm"})
    assert not_number.status_code == 422
    assert "Vui lòng nhập một số nguyên" in not_number.get_data(as_text=True)
    too_many = client.post(url, data={**form, "tg_hoc_sinh": "500"})
    assert too_many.status_code == 422
    assert "vượt quá tổng số người tham gia" in too_many.get_data(as_text=True)
    assert _count(db, Activity) == 0
    ok = client.post(url, data=form)
    assert ok.status_code == 302
    activity = db.session.scalar(select(Activity))
    assert activity.participants == 120 and activity.mode == "truc_tuyen"
    assert activity.breakdown_dict()["target_group"] == {"giao_vien": 40, "nguoi_dan": 80}
    page = client.get("/organizer/week/2022/brvt-vungtau/").get_data(as_text=True)
    assert "Lớp tập huấn kỹ năng số" in page
    edit = client.get(f"/organizer/week/2022/brvt-vungtau/activities/{activity.id}")
    assert 'value="40"' in edit.get_data(as_text=True)
    history = client.get("/organizer/week/2022/brvt-vungtau/history").get_data(as_text=True)
    assert "Hoạt động #" in history and "tạo mới" in history


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12.500.000", 12_500_000),
        ("12 500 000", 12_500_000),
        ("7000000", 7_000_000),
        ("", 0),
        ("3.000.000 đ", 3_000_000),
    ],
)
def test_funding_accepts_vietnamese_amounts(client, db, world, typed, expected):
    login(client, "org.vt@example.vn", PASSWORD)
    url = "/organizer/week/2022/brvt-vungtau/funding"
    token = csrf_from(client, url)
    response = client.post(
        url, data={"state_budget": typed, "sponsorship": "1.000", "note": "", "csrf_token": token}
    )
    assert response.status_code == 302
    funding = db.session.scalar(select(Funding))
    assert funding.state_budget == expected and funding.sponsorship == 1000
    assert funding.updated_by_id == world["org_vt"].id


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "không được âm"),
        ("1,5", "số nguyên đồng"),
        ("abc", "số nguyên đồng"),
        ("99999999999999999", "quá lớn"),
    ],
)
def test_bad_funding_is_refused(client, db, world, typed, message):
    login(client, "org.vt@example.vn", PASSWORD)
    url = "/organizer/week/2022/brvt-vungtau/funding"
    token = csrf_from(client, url)
    response = client.post(
        url, data={"state_budget": "5.000.000", "sponsorship": typed, "csrf_token": token}
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _count(db, Funding) == 0 and _count(db, ChangeLog) == 0


def test_report_narrative_submit_and_reopen(client, db, world):
    login(client, "org.vt@example.vn", PASSWORD)
    url = "/organizer/week/2022/brvt-vungtau/report"
    token = csrf_from(client, url)
    too_long = client.post(url, data={"direction": "x" * 20_001, "csrf_token": token})
    assert too_long.status_code == 422 and "dài quá" in too_long.get_data(as_text=True)
    assert _count(db, ReportSubmission) == 0
    ok = client.post(
        url, data={"number": "125/BC-PGDĐT", "direction": "Ban hành kế hoạch", "csrf_token": token}
    )
    assert ok.status_code == 302
    assert client.post(url + "/submit", data={"csrf_token": token}).status_code == 302
    report = db.session.scalar(select(ReportSubmission))
    assert report.submitted and report.submitted_at is not None
    assert report.direction == "Ban hành kế hoạch"
    assert client.post(url + "/reopen", data={"csrf_token": token}).status_code == 302
    db.session.refresh(report)
    assert not report.submitted and report.submitted_at is None
    actions = db.session.scalars(select(ChangeLog.action).order_by(ChangeLog.id)).all()
    assert actions == ["create", "submit", "reopen"]
