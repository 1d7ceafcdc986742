"""An organizer on a phone adds an OAI-PMH source, runs it, and finds a harvested record."""

from __future__ import annotations

import pytest

from ..harvest.servers import MemoryRepository, OaiServer, sample_items, serve_wsgi

pytestmark = pytest.mark.browser


@pytest.fixture
def repository_url():
    repository = MemoryRepository(sample_items())
    server = OaiServer(repository)
    url, stop = serve_wsgi(server)
    repository.base_url = url + "/oai"
    yield repository.base_url
    stop()


def test_add_run_and_find(live_server, page, repository_url):
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email").fill("btc.vungtau@demo.hoctap.vn")
    page.get_by_label("Mật khẩu").fill("HocTap@2022-btc")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()

    page.goto(f"{live_server}/organizer/harvest/")
    page.get_by_role("link", name="Thêm nguồn").click()
    page.get_by_label("Tên nguồn").fill("Kho Đại học thử")
    page.get_by_label("Loại nguồn").select_option("oai-pmh")
    page.get_by_label("Địa chỉ (URL OAI-PMH, bản tin hoặc tệp)").fill(repository_url)
    page.get_by_role("button", name="Kiểm tra và lưu").click()
    page.wait_for_url("**/organizer/harvest/kho-dai-hoc-thu")
    assert "Đã thêm nguồn" in page.locator(".flashes").inner_text()

    page.get_by_role("button", name="Chạy ngay").click()
    page.wait_for_url("**/runs/*")
    assert "30 mới" in page.locator(".flashes").inner_text()
    assert page.get_by_role("cell", name="thiếu nhan đề (title)").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling of the page on a phone

    page.goto(f"{live_server}/resources/?q=hoc+lieu+mo+so+12")
    assert "Học liệu mở số 12" in page.locator(".result h3 a").first.inner_text()
