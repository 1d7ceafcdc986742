"""An organizer on a phone adds an OAI-PMH source, runs it on the job worker while the run
page follows its progress, and finds a harvested record."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from ..harvest.servers import MemoryRepository, OaiServer, sample_items, serve_wsgi
from ..jobs.process import spawn_worker

pytestmark = pytest.mark.browser


@pytest.fixture
def oai():
    repository = MemoryRepository(sample_items())
    server = OaiServer(repository)
    url, stop = serve_wsgi(server)
    repository.base_url = server.url = url + "/oai"
    yield server
    stop()


@pytest.fixture
def worker(live_server, tmp_path):
    """`hoctap worker` on the live server's database, queue file and index."""
    process = spawn_worker(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}",
            "HOCTAP_JOBS_DB": str(tmp_path / "instance" / "jobs.db"),
            "HOCTAP_INDEX_DIR": str(tmp_path / "index"),
            "HOCTAP_UPLOAD_DIR": str(tmp_path / "uploads"),
        },
        tmp_path / "worker.log",
    )
    yield process
    process.kill()


def test_add_run_and_find(live_server, page, oai, worker):
    repository_url = oai.url
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

    # The worker will hold on page 3 until we have seen the progress of pages 1-2.
    arrived, release = threading.Event(), threading.Event()
    oai.faults.extend([None, None, ("gate", arrived, release)])
    try:
        page.get_by_role("button", name="Chạy ngay").click()
        page.wait_for_url("**/runs/*")
        assert "Đã đưa lần thu thập vào hàng đợi" in page.locator(".flashes").inner_text()
        page.evaluate("window.notReloaded = true")
        facts = page.locator("#run-progress")
        # Followed by the page's script, without reloading by hand.
        expect(facts.locator('[data-field="status_label"]')).to_have_text("Đang chạy")
        expect(facts.locator('[data-field="pages"]')).to_have_text("2")
        # 14 records, less record 10: deleted at the source, it was never in the catalog.
        expect(facts.locator('[data-field="records"]')).to_have_text("13")
        assert page.evaluate("window.notReloaded === true")
    finally:
        release.set()
    # At the end the page shows the finished run (once reloaded by the script).
    expect(page.get_by_role("cell", name="thiếu nhan đề (title)")).to_be_visible()
    assert "Xong, có bản ghi bị từ chối" in page.locator("#run-progress").inner_text()
    assert page.locator('[data-count="new"]').inner_text() == "30"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling of the page on a phone

    page.goto(f"{live_server}/resources/?q=hoc+lieu+mo+so+12")
    assert "Học liệu mở số 12" in page.locator(".result h3 a").first.inner_text()
