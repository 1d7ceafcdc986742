"""Registration, login, profile and password: happy paths and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hoctap_learn.accounts import services
from hoctap_learn.accounts.models import User
from hoctap_learn.core.errors import Conflict, ValidationError

from .conftest import csrf_from, login
from .factories import PASSWORD, make_user


def _register_form(client, **overrides):
    data = {
        "email": "lan.nguyen@example.vn",
        "password": "Hoc-tap-2022",
        "confirm": "Hoc-tap-2022",
        "full_name": "Nguyễn Thị Lan",
        "birth_year": "2005",
        "gender": "nu",
        "unit_id": "",
        "workplace": "Trường THPT Vũng Tàu",
        "target_group": "hoc_sinh",
        "phone": "",
        "csrf_token": csrf_from(client, "/account/register"),
    }
    data.update(overrides)
    return data


def _user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_logs_in_and_keeps_profile(client, db, content):
    from hoctap_learn.units.services import get_unit

    unit = get_unit("brvt-datdo")
    response = client.post("/account/register", data=_register_form(client, unit_id=str(unit.id)))
    assert response.status_code == 302
    user = services.get_user_by_email("lan.nguyen@example.vn")
    assert user.full_name == "Nguyễn Thị Lan" and user.unit_id == unit.id
    assert user.role == "participant" and user.profile_complete
    assert user.password_hash.startswith("$argon2id$")
    html = client.get("/").get_data(as_text=True)
    assert "Nguyễn Thị Lan" in html and "Đăng xuất" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "abc", "confirm": "abc"}, "ít nhất 8 ký tự"),
        ({"password": "abcdefghij", "confirm": "abcdefghij"}, "cả chữ và số"),
        ({"password": "12345678a", "confirm": "12345678a"}, None),  # acceptable
        ({"password": "password1", "confirm": "password1"}, "quá phổ biến"),
        ({"confirm": "Khac-nhau-2022"}, "Hai mật khẩu không khớp"),
        ({"full_name": ""}, "Vui lòng điền mục này"),
        ({"full_name": "A" * 121}, "Tối đa 120 ký tự"),
        ({"email": "khong-phai-email"}, "Địa chỉ email không hợp lệ"),
        ({"birth_year": "1800"}, "Năm sinh không hợp lệ"),
        ({"birth_year": "hai nghìn"}, "Vui lòng nhập một số nguyên"),
        ({"target_group": "hacker"}, "Lựa chọn không hợp lệ"),
        ({"unit_id": "999999"}, "Lựa chọn không hợp lệ"),
    ],
)
def test_register_bad_input_saves_nothing(client, db, content, overrides, message):
    before = _user_count(db)
    response = client.post("/account/register", data=_register_form(client, **overrides))
    html = response.get_data(as_text=True)
    if message is None and "password" in overrides:
        assert response.status_code == 302  # control case: a good password is accepted
        return
    assert response.status_code == 422
    if message:
        assert message in html
    assert _user_count(db) == before


def test_wtforms_messages_are_vietnamese(client, content):
    """Built-in validator messages must not leak English to users."""
    response = client.post("/account/register", data=_register_form(client, target_group="x"))
    assert response.status_code == 422
    assert "Not a valid choice" not in response.get_data(as_text=True)


def test_register_taken_email_case_insensitive(client, db, content):
    make_user(email="lan.nguyen@example.vn")
    before = _user_count(db)
    response = client.post(
        "/account/register", data=_register_form(client, email="LAN.Nguyen@Example.VN")
    )
    assert response.status_code == 422
    assert "Email này đã được đăng ký" in response.get_data(as_text=True)
    assert _user_count(db) == before


def test_register_without_or_with_forged_csrf_is_refused(client, db, content):
    data = _register_form(client)
    for token in (None, "forged-token"):
        if token is None:
            data.pop("csrf_token")
        else:
            data["csrf_token"] = token
        response = client.post("/account/register", data=data)
        assert response.status_code in (400, 422)
        assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert services.get_user_by_email("lan.nguyen@example.vn") is None


def test_login_wrong_password_and_unknown_email(client, db):
    make_user(email="a@example.vn")
    for email, password in (("a@example.vn", "Sai-mat-khau-1"), ("b@example.vn", PASSWORD)):
        response = login(client, email, password)
        assert response.status_code == 422
        assert "Email hoặc mật khẩu không đúng" in response.get_data(as_text=True)
    assert login(client, "A@Example.vn", PASSWORD).status_code == 302


def test_disabled_account_cannot_log_in(client, db):
    user = make_user(email="a@example.vn")
    user.active = False
    db.session.commit()
    assert login(client, "a@example.vn", PASSWORD).status_code == 422


def test_login_flood_is_rate_limited(app, client, db):
    app.config["HOCTAP_LOGIN_LIMIT"] = "5 per minute"
    make_user(email="a@example.vn")
    token = csrf_from(client, "/account/login")
    statuses = [
        client.post(
            "/account/login",
            data={"email": "a@example.vn", "password": f"wrong-{i}", "csrf_token": token},
        ).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429, 429]
    response = client.post(
        "/account/login", data={"email": "a@example.vn", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Bạn thao tác quá nhanh" in response.get_data(as_text=True)


def test_login_redirect_is_local_only(client, db):
    make_user(email="a@example.vn")
    token = csrf_from(client, "/account/login")
    response = client.post(
        "/account/login?next=https://evil.example/x",
        data={"email": "a@example.vn", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_logout_needs_post_with_csrf(client, db):
    make_user(email="a@example.vn")
    login(client, "a@example.vn", PASSWORD)
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400
    token = csrf_from(client, "/account/profile")
    assert client.post("/account/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account/profile").status_code == 302  # back to login


def test_profile_edit(client, db, content):
    user = make_user(email="a@example.vn")
    login(client, "a@example.vn", PASSWORD)
    token = csrf_from(client, "/account/profile")
    response = client.post(
        "/account/profile",
        data={
            "full_name": "  Trần   Văn  Đức ",
            "birth_year": "1990",
            "gender": "nam",
            "unit_id": "",
            "workplace": "",
            "target_group": "nguoi_lao_dong",
            "phone": "0912 345 678",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.full_name == "Trần Văn Đức" and user.phone == "0912345678"
    assert user.target_group == "nguoi_lao_dong" and not user.profile_complete


def test_change_password_ends_other_sessions(app, db):
    make_user(email="a@example.vn")
    browser_a, browser_b = app.test_client(), app.test_client()
    login(browser_a, "a@example.vn", PASSWORD)
    login(browser_b, "a@example.vn", PASSWORD)
    token = csrf_from(browser_a, "/account/password")
    bad = browser_a.post(
        "/account/password",
        data={
            "current_password": "sai-roi-123",
            "password": "Moi-2023-ok",
            "confirm": "Moi-2023-ok",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422 and "Mật khẩu hiện tại không đúng" in bad.get_data(as_text=True)
    ok = browser_a.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "Moi-2023-ok",
            "confirm": "Moi-2023-ok",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 302
    assert browser_a.get("/account/profile").status_code == 200
    assert browser_b.get("/account/profile").status_code == 302
    assert services.authenticate("a@example.vn", "Moi-2023-ok") is not None


def test_service_errors_name_their_field(app, db):
    with pytest.raises(ValidationError) as info:
        services.register("x@example.vn", "short", services.ProfileInput(full_name="X"))
    assert info.value.field == "password"
    make_user(email="x@example.vn")
    with pytest.raises(Conflict):
        services.register("x@example.vn", PASSWORD, services.ProfileInput(full_name="X"))
    with pytest.raises(ValidationError):
        services.register(
            "o@example.vn", PASSWORD, services.ProfileInput(full_name="O"), role="organizer"
        )
