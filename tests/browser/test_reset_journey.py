"""Forgot the password → the message `make run` writes into instance/mail/ → the link →
a new password → log in with it, in Chromium at phone width."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from tests.mailserver import reset_link

pytestmark = pytest.mark.browser

EMAIL = "thisinh@demo.hoctap.vn"
NEW_PASSWORD = "Hoc-tap-moi-2023"


def test_forgot_password_journey(live_server, page, tmp_path):
    page.goto(f"{live_server}/account/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.get_by_label("Email của tài khoản").fill(EMAIL.upper())
    page.get_by_role("button", name="Gửi liên kết đặt lại mật khẩu").click()
    assert page.get_by_text("Nếu địa chỉ này là email của một tài khoản").is_visible()

    [written] = list((tmp_path / "instance" / "mail").iterdir())
    message = message_from_bytes(written.read_bytes(), policy=default_policy)
    assert message["To"] == EMAIL
    page.goto(reset_link(message))
    page.get_by_label("Mật khẩu mới (ít nhất 8 ký tự, có chữ và số)").fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    page.wait_for_url(f"{live_server}/account/login")
    assert page.get_by_text("Đã đặt lại mật khẩu").is_visible()
    page.screenshot(path=str(tmp_path / "reset-done-390.png"))

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mật khẩu").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("link", name="Nguyễn Thị Minh Anh (demo)").is_visible()
