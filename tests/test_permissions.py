"""Roles: an organizer sees and changes only their unit and the units below it."""

from __future__ import annotations

import pytest

from hoctap_learn.core.errors import PermissionDenied
from hoctap_learn.units import services as units
from hoctap_learn.units.models import Unit

from .conftest import csrf_from, login
from .factories import PASSWORD, make_user


@pytest.fixture
def world(content, db):
    """Two districts, each with an organizer; a school under Vũng Tàu; a participant."""
    vungtau = units.get_unit("brvt-vungtau")
    datdo = units.get_unit("brvt-datdo")
    school = Unit(
        code="vt-thpt-vungtau", name="Trường THPT Vũng Tàu", kind="school", parent=vungtau
    )
    db.session.add(school)
    db.session.commit()
    return {
        "vungtau": vungtau,
        "datdo": datdo,
        "school": school,
        "org_vt": make_user(email="org.vt@example.vn", role="organizer", unit=vungtau),
        "org_dd": make_user(email="org.dd@example.vn", role="organizer", unit=datdo),
        "student_vt": make_user(
            email="hs.vt@example.vn", unit=school, full_name="Học Sinh Vũng Tàu"
        ),
        "citizen_dd": make_user(email="dan.dd@example.vn", unit=datdo, full_name="Dân Đất Đỏ"),
    }


def test_subtree_includes_descendants_only(world):
    ids = units.subtree_ids(world["vungtau"].id)
    assert world["school"].id in ids and world["vungtau"].id in ids
    assert world["datdo"].id not in ids


def test_organizer_scope_in_services(world):
    org = world["org_vt"]
    assert units.can_manage_unit(org, world["school"])
    assert not units.can_manage_unit(org, world["datdo"])
    assert not units.can_manage_unit(org, world["vungtau"].parent)  # not the province
    with pytest.raises(PermissionDenied):
        units.add_unit(org, world["datdo"], units.UnitInput("x-y", "X", "school"))


def test_organizer_pages_are_scoped(client, world):
    login(client, "org.vt@example.vn", PASSWORD)
    tree = client.get("/organizer/units/").get_data(as_text=True)
    assert "Trường THPT Vũng Tàu" in tree and "Huyện Đất Đỏ" not in tree
    assert client.get("/organizer/units/brvt-vungtau").status_code == 200
    assert client.get("/organizer/units/brvt-datdo").status_code == 403
    people = client.get("/organizer/users/").get_data(as_text=True)
    assert "Học Sinh Vũng Tàu" in people and "Dân Đất Đỏ" not in people
    assert client.get(f"/organizer/users/{world['student_vt'].id}").status_code == 200
    assert client.get(f"/organizer/users/{world['citizen_dd'].id}").status_code == 403


def test_organizer_cannot_add_unit_under_another_unit(client, db, world):
    login(client, "org.vt@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/units/brvt-vungtau")
    response = client.post(
        "/organizer/units/brvt-datdo",
        data={"code": "dd-thcs-x", "name": "THCS X", "kind": "school", "csrf_token": token},
    )
    assert response.status_code == 403
    assert db.session.query(Unit).filter_by(code="dd-thcs-x").count() == 0


def test_organizer_adds_school_under_own_unit(client, db, world):
    login(client, "org.vt@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/units/brvt-vungtau")
    bad = client.post(
        "/organizer/units/brvt-vungtau",
        data={"code": "Mã Có Dấu", "name": "X", "kind": "school", "csrf_token": token},
    )
    assert bad.status_code == 422 and "chữ thường không dấu" in bad.get_data(as_text=True)
    dup = client.post(
        "/organizer/units/brvt-vungtau",
        data={"code": "brvt-datdo", "name": "X", "kind": "school", "csrf_token": token},
    )
    assert dup.status_code == 422 and "đã được dùng" in dup.get_data(as_text=True)
    ok = client.post(
        "/organizer/units/brvt-vungtau",
        data={"code": "vt-thcs-a", "name": "Trường THCS A", "kind": "school", "csrf_token": token},
    )
    assert ok.status_code == 302
    unit = units.get_unit("vt-thcs-a")
    assert unit.parent_id == world["vungtau"].id


def test_participants_and_anonymous_are_kept_out(app, world):
    anonymous = app.test_client()
    response = anonymous.get("/organizer/units/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    participant = app.test_client()
    login(participant, "hs.vt@example.vn", PASSWORD)
    assert participant.get("/organizer/units/").status_code == 403
    assert participant.get("/organizer/users/").status_code == 403
    assert participant.get(f"/organizer/users/{world['citizen_dd'].id}").status_code == 403


def test_only_admin_changes_roles(app, db, world):
    organizer = app.test_client()
    login(organizer, "org.vt@example.vn", PASSWORD)
    token = csrf_from(organizer, "/account/profile")
    target = world["student_vt"]
    response = organizer.post(
        f"/organizer/users/{target.id}", data={"role": "admin", "unit_id": "", "csrf_token": token}
    )
    assert response.status_code == 403
    db.session.refresh(target)
    assert target.role == "participant"

    admin = app.test_client()
    login(admin, "admin@demo.hoctap.vn", "HocTap@2022-admin")
    token = csrf_from(admin, f"/organizer/users/{target.id}")
    missing_unit = admin.post(
        f"/organizer/users/{target.id}",
        data={"role": "organizer", "unit_id": "", "csrf_token": token},
    )
    assert missing_unit.status_code == 200 and "Hãy chọn đơn vị" in missing_unit.get_data(
        as_text=True
    )
    ok = admin.post(
        f"/organizer/users/{target.id}",
        data={"role": "organizer", "unit_id": str(world["school"].id), "csrf_token": token},
    )
    assert ok.status_code == 302
    db.session.refresh(target)
    assert target.role == "organizer" and target.unit_id == world["school"].id


def test_organizer_cannot_move_own_unit(client, db, world):
    login(client, "org.vt@example.vn", PASSWORD)
    token = csrf_from(client, "/account/profile")
    response = client.post(
        "/account/profile",
        data={
            "full_name": "BTC",
            "unit_id": str(world["datdo"].id),
            "target_group": "",
            "gender": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    db.session.refresh(world["org_vt"])
    assert world["org_vt"].unit_id == world["vungtau"].id
