"""A citizen on a phone searches without diacritics, filters by a facet, opens a result."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_search_filter_open(live_server, page):
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Học liệu mở").first.click()
    page.get_by_label("Tìm sách, bài giảng, video, khóa học… (có dấu hoặc không dấu)").fill(
        "chuyen doi so"
    )
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url("**/resources/?q=chuyen+doi+so*")
    heading = page.locator("#results-heading").inner_text()
    total = int(heading.split(" ")[0].replace(".", ""))
    assert total > 1
    assert page.locator("mark").first.inner_text().lower() in ("chuyển", "đổi", "số")

    # facets are folded on a phone: open them, pick a type
    page.get_by_text("Bộ lọc").click()
    facet = page.locator(".facet").filter(has_text="Loại học liệu").locator("a").first
    label = facet.inner_text()
    facet.click()
    page.wait_for_url("**type=*")
    filtered = int(page.locator("#results-heading").inner_text().split(" ")[0].replace(".", ""))
    assert 0 < filtered <= total
    assert "✓" in page.locator(".facet a.active").first.inner_text()
    assert label.strip() in page.locator(".facet a.active").first.inner_text()

    first = page.locator(".result h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/resources/*")
    assert page.get_by_role("heading", level=1).inner_text() == title
    go = page.get_by_role("link", name="Mở học liệu tại nơi cung cấp ↗")
    assert "/go" in go.get_attribute("href")
