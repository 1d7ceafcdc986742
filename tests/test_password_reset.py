"""Password reset by email, end to end: the form, a real SMTP server on loopback, the link
read from the received message (plain text and HTML), the new password; bad input; the
file backend of `make run`; the mail settings."""

from __future__ import annotations

import json
import re
from email import message_from_bytes
from email.policy import default as default_policy
from urllib.parse import urlsplit

import pytest

from hoctap_learn.accounts import reset
from hoctap_learn.core import mail

from .conftest import csrf_from, login
from .factories import PASSWORD, make_user
from .mailserver import free_port, parts, reset_link, smtp_config, smtp_inbox  # noqa: F401

NEW_PASSWORD = "Hoc-tap-moi-2023"
CSRF_VALUE = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')
SENT = "Nếu địa chỉ này là email của một tài khoản"


@pytest.fixture
def inbox(app, smtp_inbox):  # noqa: F811
    """The app sends through the loopback SMTP server; yields its inbox."""
    box, port = smtp_inbox
    app.config.update(smtp_config(port))
    mail.mail.init_app(app)
    return box


def ask_reset(client, email: str, ip: str = "203.0.113.5"):
    token = csrf_from(client, "/account/forgot")
    return client.post(
        "/account/forgot",
        data={"email": email, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
    )


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def set_password(client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    path = urlsplit(link)
    url = f"{path.path}?{path.query}"
    token = csrf_from(client, url)
    return client.post(
        url,
        data={"password": password, "confirm": confirm or password, "csrf_token": token},
    )


def test_reset_through_smtp_end_to_end(app, client, db, inbox):
    user = make_user("lan.tran@example.vn", full_name="Trần Thị Lan")
    page = follow(client, ask_reset(client, "  LAN.Tran@Example.VN "))
    assert SENT in page

    [message] = inbox.messages
    assert inbox.recipients == [["lan.tran@example.vn"]]
    assert " ".join(message["Subject"].split()) == reset.SUBJECT
    text, html = parts(message)
    assert "Xin chào Trần Thị Lan" in text and "Xin chào Trần Thị Lan" in html
    assert "60 phút" in text
    link = reset_link(message)

    form = client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert form.status_code == 200 and "Đặt mật khẩu mới" in form.get_data(as_text=True)
    response = set_password(client, link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/login")

    assert login(app.test_client(), user.email, PASSWORD).status_code == 422  # old one refused
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302

    # single use: the same link no longer works, not even to show the form
    other = app.test_client()
    shown = other.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert shown.status_code == 400
    assert "đã được dùng hoặc đã hết hạn" in shown.get_data(as_text=True)
    again = other.post(
        urlsplit(link).path + "?" + urlsplit(link).query,
        data={"password": "Lai-mot-lan-2024", "confirm": "Lai-mot-lan-2024",
              "csrf_token": csrf_from(other, "/account/forgot")},
    )  # fmt: skip
    assert again.status_code == 400
    assert login(app.test_client(), user.email, "Lai-mot-lan-2024").status_code == 422


def test_unknown_address_gets_the_same_answer_and_no_mail(app, db, inbox):
    make_user("co.that@example.vn")
    known, unknown = app.test_client(), app.test_client()
    first = ask_reset(known, "co.that@example.vn")
    second = ask_reset(unknown, "khong.co@example.vn")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    pages = [CSRF_VALUE.sub("", follow(c, r)) for c, r in ((known, first), (unknown, second))]
    assert SENT in pages[0] and pages[0] == pages[1]
    assert inbox.recipients == [["co.that@example.vn"]]


def test_inactive_account_gets_no_mail(app, db, inbox):
    from hoctap_learn.accounts import services

    user = make_user("da.khoa@example.vn")
    services.set_active(user, False)
    db.session.commit()
    client = app.test_client()
    assert SENT in follow(client, ask_reset(client, user.email))
    assert inbox.messages == []


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Vui lòng điền mục này."), ("x" * 250 + "@a.vn", "Tối đa 254 ký tự.")],
)
def test_forgot_form_bad_input(client, db, inbox, email, message):
    response = ask_reset(client, email)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert inbox.messages == []


def test_bad_new_password_changes_nothing_and_the_link_still_works(app, client, db, inbox):
    user = make_user("yeu@example.vn")
    ask_reset(client, user.email)
    link = reset_link(inbox.messages[0])
    weak = set_password(client, link, "ngan1")
    assert weak.status_code == 422 and "ít nhất 8 ký tự" in weak.get_data(as_text=True)
    mismatch = set_password(client, link, NEW_PASSWORD, "Khac-hoan-toan-1")
    assert mismatch.status_code == 422
    assert "Hai mật khẩu không khớp." in mismatch.get_data(as_text=True)
    assert login(app.test_client(), user.email, PASSWORD).status_code == 302
    assert set_password(client, link).status_code == 302


@pytest.mark.parametrize("token", ["", "abc", "eyJ1IjoxfQ.ZZZ.bad", "%00", "x" * 5000])
def test_broken_links_say_so(client, db, token):
    response = client.get("/account/reset", query_string={"token": token})
    assert response.status_code == 400
    assert "Liên kết đặt lại mật khẩu không hợp lệ" in response.get_data(as_text=True)


def test_mail_server_down_gives_the_same_answer(app, client, db):
    app.config.update(smtp_config(free_port()))  # nobody listens there
    mail.mail.init_app(app)
    make_user("khong.gui.duoc@example.vn")
    assert SENT in follow(client, ask_reset(client, "khong.gui.duoc@example.vn"))


def test_file_backend_writes_the_message_to_instance_mail(app, client, db):
    """`make run`'s default: no mail server, the message is a file under instance/mail/."""
    assert app.config["MAIL_BACKEND"] == "file"
    folder = app.config["MAIL_FILE_PATH"]
    assert folder == str(app.instance_path) + "/mail"
    user = make_user("tep@example.vn")
    follow(client, ask_reset(client, user.email))
    from pathlib import Path

    [written] = list(Path(folder).iterdir())
    raw = written.read_bytes().rsplit(b"\n" + b"-" * 79, 1)[0]
    message = message_from_bytes(raw, policy=default_policy)
    assert message["To"] == user.email
    assert set_password(client, reset_link(message)).status_code == 302
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_config_show_masks_the_mail_password(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from hoctap_learn.cli import main

    monkeypatch.setenv("HOCTAP_MAIL_PASSWORD", "bi-mat-smtp")
    monkeypatch.setenv("HOCTAP_MAIL_BACKEND", "smtp")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    result = CliRunner().invoke(main, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert "bi-mat-smtp" not in result.output
    rows = json.loads(result.output)
    assert "HOCTAP_MAIL_PASSWORD" in str(rows)


def test_bad_mail_backend_stops_the_app(monkeypatch, tmp_path):
    from hoctap_learn import create_app
    from hoctap_learn.config import ConfigError

    monkeypatch.setenv("HOCTAP_MAIL_BACKEND", "sendmail")
    with pytest.raises(ConfigError, match="HOCTAP_MAIL_BACKEND"):
        create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})  # fmt: skip


def test_tls_and_ssl_together_stop_the_app(monkeypatch, tmp_path):
    from hoctap_learn import create_app
    from hoctap_learn.config import ConfigError

    monkeypatch.setenv("HOCTAP_MAIL_USE_TLS", "1")
    monkeypatch.setenv("HOCTAP_MAIL_USE_SSL", "1")
    with pytest.raises(ConfigError, match="HOCTAP_MAIL_USE_TLS"):
        create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})  # fmt: skip
