"""Register → complete the profile → take the practice round to the end → see the result."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def answer_everything(page):
    for box in page.locator("fieldset.question").all():
        kind = box.get_attribute("data-type")
        if kind in ("single_choice", "true_false", "multiple_choice"):
            box.locator("label.choice").first.click()
        elif kind == "numerical":
            box.locator("input").fill("72")
        else:
            box.locator("input").fill("đà nẵng")


def test_take_practice_round_on_a_phone(live_server, page, tmp_path):
    page.goto(f"{live_server}/account/register")
    page.get_by_label("Email").fill("lan.nguyen@example.vn")
    page.get_by_label("Mật khẩu (ít nhất 8 ký tự, có chữ và số)").fill("Hoc-tap-2022")
    page.get_by_label("Nhập lại mật khẩu").fill("Hoc-tap-2022")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(f"{live_server}/")

    page.get_by_role("link", name="Cuộc thi").first.click()
    page.get_by_role("link", name="Cuộc thi trực tuyến “Công dân số”").click()
    page.get_by_role("link", name="Vòng thi thử").click()
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    # The profile is not complete yet: the site says so and opens the profile.
    page.wait_for_url(re.compile(r".*/account/profile$"))
    assert page.get_by_text("cập nhật đầy đủ").is_visible()
    page.get_by_label("Năm sinh").fill("1995")
    page.get_by_label("Đơn vị (huyện/thành phố, cơ quan)").select_option(
        label="— Thành phố Vũng Tàu"
    )
    page.get_by_label("Đối tượng").select_option("giao_vien")
    page.get_by_role("button", name="Lưu hồ sơ").click()
    assert page.get_by_text("Đã lưu hồ sơ").is_visible()

    page.goto(f"{live_server}/contests/cong-dan-so/thi-thu")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.wait_for_url(re.compile(r".*/contests/attempts/\d+$"))
    assert page.locator("fieldset.question").count() == 10
    assert "phút" in page.locator("#countdown").inner_text()
    answer_everything(page)
    page.wait_for_selector("#save-status:has-text('Đã lưu')")

    # Reloading resumes the same attempt with the autosaved answers.
    url = page.url
    page.reload()
    assert page.url == url
    checked = page.locator("fieldset.question input:checked").count()
    typed = [v for v in page.locator("input.answer-input").all() if v.input_value()]
    assert checked + len(typed) == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "take.png"), full_page=True)

    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url(re.compile(r".*/result$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Kết quả lượt thi 1"
    assert re.search(r"\d+(,\d+)? / 10", page.locator("#score").inner_text())
    assert page.get_by_text("Đáp án:").first.is_visible()
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
