"""What a person sees on a phone (390 px): every menu item reachable and on screen, no page
wider than the screen; and the same pages at 1280 px. Screenshots go to the test's tmp_path."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGES = ["/", "/catalog/", "/account/login", "/account/register", "/account/forgot"]


def _inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def _check_menu(page, url: str) -> None:
    page.goto(url)
    menu = page.get_by_role("navigation", name="Điều hướng chính")
    for name in ("Đăng nhập", "Đăng ký"):
        link = menu.get_by_role("link", name=name, exact=True)
        assert link.is_visible(), (url, name)
        assert _inside_viewport(page, link), (url, name, link.bounding_box())
    for link in menu.get_by_role("link").all():
        assert _inside_viewport(page, link), (url, link.inner_text(), link.bounding_box())
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= page.viewport_size["width"], (url, overflow)


def test_menu_fits_a_phone(live_server, page, tmp_path):
    for path in PAGES:
        _check_menu(page, f"{live_server}{path}")
    page.goto(f"{live_server}/")
    page.screenshot(path=str(tmp_path / "home-390.png"))
    # the items work: a person taps "Đăng ký" and gets the form
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Đăng ký", exact=True
    ).click()
    page.wait_for_url(f"{live_server}/account/register")


def test_menu_on_a_wide_screen(live_server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    try:
        for path in PAGES[:3]:
            _check_menu(page, f"{live_server}{path}")
        page.goto(f"{live_server}/")
        # one row: the brand and the menu share the header line
        header = page.locator(".site-header").bounding_box()
        assert header["height"] < 100, header
        page.screenshot(path=str(tmp_path / "home-1280.png"))
    finally:
        context.close()


def test_signed_in_organizer_menu_fits_a_phone(live_server, page, tmp_path):
    """An organizer has the most items (Đơn vị, Người dùng, their name, Đăng xuất)."""
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email").fill("btc.vungtau@demo.hoctap.vn")
    page.get_by_label("Mật khẩu").fill(_demo_password(live_server))
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    menu = page.get_by_role("navigation", name="Điều hướng chính")
    logout = menu.get_by_role("button", name="Đăng xuất")
    assert logout.is_visible() and _inside_viewport(page, logout)
    for link in menu.get_by_role("link").all():
        assert _inside_viewport(page, link), (link.inner_text(), link.bounding_box())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "organizer-390.png"))


def _demo_password(_live_server) -> str:
    import yaml

    from hoctap_learn.config import PROJECT_ROOT

    users = yaml.safe_load((PROJECT_ROOT / "content" / "demo" / "users.yaml").read_text())
    return {u["email"]: u["password"] for u in users}["btc.vungtau@demo.hoctap.vn"]


def test_dashboard_daily_chart_draws_bars_over_the_campaign_days(live_server, page, tmp_path):
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email").fill("admin@demo.hoctap.vn")
    page.get_by_label("Mật khẩu").fill("HocTap@2022-admin")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/organizer/reports/?campaign=2022")
    drawn = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById("chart-day"));
            return chart && {
                type: chart.config.type,
                labels: chart.data.labels,
                tension: chart.data.datasets.map((d) => d.tension || 0),
            };
        }"""
    )
    assert drawn is not None, "the daily chart is drawn"
    assert drawn["type"] == "bar"
    assert drawn["labels"] == [f"{d}/10/2022" for d in range(19, 27)]
    assert set(drawn["tension"]) <= {0}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#chart-day").screenshot(path=str(tmp_path / "chart-day-390.png"))
