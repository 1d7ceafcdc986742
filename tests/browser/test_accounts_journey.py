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


def test_token_page_and_no_csp_violation(live_server, browser, tmp_path):
    """The profile's token page lists a token issued through the API and revokes it; the
    search page's script (a file now) and the dashboard's charts run under the CSP without
    a single violation in the console."""
    errors = []
    for width in (390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on("console", lambda m: errors.append((m.text, m.location.get("url")))
                if m.type == "error" and "favicon" not in m.location.get("url", "") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(f"{live_server}/account/login")
        page.get_by_label("Email").fill("admin@demo.hoctap.vn")
        page.get_by_label("Mật khẩu").fill("HocTap@2022-admin")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{live_server}/")
        issued = page.request.post(
            f"{live_server}/api/v1/auth/token",
            data={"email": "admin@demo.hoctap.vn", "password": "HocTap@2022-admin"},
        )
        assert issued.status == 201
        secret = issued.json()["token"]

        page.goto(f"{live_server}/account/profile")
        page.get_by_role("link", name="Mã truy cập API và thiết bị").click()
        page.wait_for_url(f"{live_server}/account/tokens")
        rows = page.locator("table tbody tr")
        assert rows.count() == 1 and "Chưa dùng" in rows.first.inner_text()
        assert secret not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"tokens-{width}.png"), full_page=True)
        page.get_by_role("button", name="Thu hồi tất cả mã truy cập").click()
        assert page.get_by_text("Đã thu hồi 1 mã truy cập API").is_visible()
        assert "Bạn không có mã truy cập nào" in page.inner_text("main")
        used = page.request.get(
            f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
        )
        assert used.status == 401

        # The search page's script: facets open on a wide screen, the order applies at once.
        page.goto(f"{live_server}/resources/?q=chuyen+doi+so")
        assert page.locator("#facet-panel").evaluate("e => e.open") == (width >= 760)
        with page.expect_navigation():
            page.locator("#sort").select_option("newest")
        assert "sort=newest" in page.url
        page.goto(f"{live_server}/organizer/reports/?campaign=2022")
        page.wait_for_load_state("networkidle")
        assert page.locator("canvas").count() >= 1
        page.goto(f"{live_server}/organizer/units/")
        assert errors == []
        context.close()
