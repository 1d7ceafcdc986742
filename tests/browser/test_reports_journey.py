"""An organizer logs in, opens the dashboard with its charts and downloads exports."""

from __future__ import annotations

import csv

import pytest

pytestmark = pytest.mark.browser


def test_organizer_dashboard_and_export(live_server, page, tmp_path):
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email").fill("btc.vungtau@demo.hoctap.vn")
    page.get_by_label("Mật khẩu").fill("HocTap@2022-btc")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Số liệu").first.click()
    page.wait_for_url(f"{live_server}/organizer/reports/")
    assert page.get_by_role("heading", name="Số liệu Tuần lễ").is_visible()
    # the demo data of Vũng Tàu: 4 activities, 770 attendances; nothing of other districts
    assert page.locator('[data-total="activity_participants"]').inner_text() == "770"
    assert "Huyện Đất Đỏ" not in page.inner_text("main")
    # Chart.js (served locally) drew the charts
    assert page.evaluate("typeof Chart") == "function"
    assert page.evaluate("Chart.getChart('chart-day') !== undefined")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    with page.expect_download() as info:
        page.locator('table[data-table="unit"] ~ p, .export-links').first.get_by_role(
            "link", name="CSV"
        ).click()
    path = tmp_path / "unit.csv"
    info.value.save_as(path)
    assert info.value.suggested_filename == "bao-cao-2022-unit.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    vungtau = next(r for r in rows if r[0] == "brvt-vungtau")
    assert vungtau[4] == "770"

    with page.expect_download() as info:
        page.get_by_role("link", name="Báo cáo MẪU BC (.docx)").click()
    assert info.value.suggested_filename == "mau-bc-2022-brvt-vungtau.docx"
