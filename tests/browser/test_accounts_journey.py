"""Register → log in → home page with the campaign theme → log out, in Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

THEME = "Thúc đẩy chuyển đổi số phục vụ cho học tập suốt đời sau đại dịch COVID-19"


def test_register_login_logout(live_server, page, tmp_path):
    page.goto(f"{live_server}/account/register")
    page.get_by_label("Email").fill("minh.tran@example.vn")
    page.get_by_label("Mật khẩu (ít nhất 8 ký tự, có chữ và số)").fill("Hoc-tap-2022")
    page.get_by_label("Nhập lại mật khẩu").fill("Hoc-tap-2022")
    page.get_by_label("Họ và tên").fill("Trần Văn Minh")
    page.get_by_label("Năm sinh").fill("1988")
    page.get_by_label("Đơn vị (huyện/thành phố, cơ quan)").select_option(label="— Huyện Côn Đảo")
    page.get_by_label("Đối tượng").select_option("nguoi_lao_dong")
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("heading", level=1).inner_text() == THEME
    assert page.get_by_text("Đăng ký thành công").is_visible()

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_text("Bạn đã đăng xuất").is_visible()

    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email").fill("minh.tran@example.vn")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau-1")
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_text("Email hoặc mật khẩu không đúng").is_visible()
    page.get_by_label("Mật khẩu").fill("Hoc-tap-2022")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    assert THEME in page.inner_text("main")
    assert page.get_by_role("link", name="Trần Văn Minh").is_visible()
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("link", name="Đăng nhập").is_visible()


def test_campaign_programme_on_a_phone(live_server, page):
    page.goto(f"{live_server}/campaigns/2022")
    rows = page.locator("table tbody tr")
    assert rows.count() == 9
    assert "Tiếp đón đại biểu" in rows.first.inner_text()
    # Nothing wider than the phone's screen except the scrollable table region.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
