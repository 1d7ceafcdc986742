"""RSS/Atom feeds and CSV/XLSX sources, served from loopback or read from a path."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from hoctap_learn.catalog.models import Resource
from hoctap_learn.harvest import services
from hoctap_learn.harvest.runner import run_source

from ..catalog.conftest import COLUMNS, ROWS
from .servers import serve_wsgi

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Thư viện tỉnh — học liệu mới</title><link>https://thuvien.example.vn/</link>
  <description>Bản tin</description>
  <item>
    <title>Kỹ năng an toàn trên mạng</title>
    <link>https://thuvien.example.vn/a</link>
    <guid>tv-a</guid>
    <description><![CDATA[<p onclick="steal()">Bảo vệ <b>tài khoản</b></p><script>alert(1)</script><img src=x onerror=alert(2)>]]></description>
    <category>Kỹ năng số</category>
    <pubDate>Wed, 19 Oct 2022 08:00:00 +0700</pubDate>
  </item>
  <item>
    <title>Sổ tay chuyển đổi số</title>
    <link>https://thuvien.example.vn/b</link>
    <guid>tv-b</guid>
    <description>Sổ tay cho cán bộ cơ sở.</description>
  </item>
  <item>
    <title>Mục không có liên kết</title>
    <guid>tv-c</guid>
  </item>
</channel></rss>
"""  # noqa: E501

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Kho bài giảng</title><id>urn:kho</id><updated>2022-10-19T00:00:00Z</updated>
  <rights>CC BY-SA 4.0</rights>
  <entry>
    <title>Bài giảng: Dữ liệu mở</title><id>urn:kho:1</id>
    <link href="https://baigiang.example.vn/1"/>
    <updated>2021-05-01T00:00:00Z</updated>
    <author><name>Lê Văn C</name></author>
    <summary type="html">&lt;em&gt;Dữ liệu&lt;/em&gt; mở cho mọi người</summary>
  </entry>
  <entry>
    <title>Bài giảng: Chữ ký số</title><id>urn:kho:2</id>
    <link href="https://baigiang.example.vn/2"/>
    <updated>2022-01-01T00:00:00Z</updated>
  </entry>
</feed>
"""


def _csv_bytes(rows, header=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def files_server():
    documents = {
        "/rss.xml": ("application/rss+xml", RSS.encode()),
        "/atom.xml": ("application/atom+xml", ATOM.encode()),
        "/broken.xml": ("application/rss+xml", b"\x00\x01 day khong phai ban tin"),
        "/catalog.csv": ("text/csv", _csv_bytes(ROWS[:4])),
        "/catalog.xlsx": ("application/octet-stream", _xlsx_bytes(ROWS[4:])),
        "/bad.csv": ("text/csv", _csv_bytes(ROWS[:2], header=["ten", "duong-dan"])),
    }

    def app(environ, start_response):
        found = documents.get(environ["PATH_INFO"])
        if found is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", found[0])])
        return [found[1]]

    url, stop = serve_wsgi(app)
    yield url
    stop()


def add(db, kind, url, name="Nguồn thử", provider=""):
    source = services.add_source(
        None, services.SourceInput(name=name, kind=kind, url=url, provider=provider)
    )
    db.session.commit()
    return source


def by_id(db, identifier) -> Resource:
    return db.session.scalar(select(Resource).where(Resource.identifier == identifier))


def test_rss_feed(db, client, files_server):
    source = add(db, "rss", files_server + "/rss.xml", provider="Thư viện tỉnh Bà Rịa - Vũng Tàu")
    run = run_source(source)
    assert run.status == "partial"
    assert run.counts()["new"] == 2 and run.counts()["rejected"] == 1
    assert run.errors[-1] == {
        # RSS: a guid is a permalink unless it says otherwise, so "tv-c" became the link
        "identifier": "tv-c", "message": "đường dẫn không hợp lệ: tv-c", "level": "error"
    }  # fmt: skip
    a = by_id(db, "nguon-thu:tv-a")
    assert a.description == "Bảo vệ tài khoản"
    assert a.subjects == ["Kỹ năng số"] and a.year == 2022
    assert a.publisher == "Thư viện tỉnh Bà Rịa - Vũng Tàu"
    html = client.get(f"/resources/{a.id}").get_data(as_text=True)
    assert "Bảo vệ tài khoản" in html
    for bad in ("alert(", "onclick", "onerror", "steal()"):
        assert bad not in html
    again = run_source(source)
    assert again.counts()["unchanged"] == 2 and again.counts()["new"] == 0


def test_atom_feed(db, files_server):
    run = run_source(add(db, "atom", files_server + "/atom.xml"))
    assert run.status == "succeeded" and run.counts()["new"] == 2
    one = by_id(db, "nguon-thu:urn:kho:1")
    assert one.description == "Dữ liệu mở cho mọi người"
    assert one.license == "cc-by-sa-4.0" and one.creators == ["Lê Văn C"] and one.year == 2021


def test_broken_feed_fails_clearly(db, files_server):
    run = run_source(add(db, "rss", files_server + "/broken.xml"))
    assert run.message == "Không tải được (lý do: nội dung không phải RSS/Atom)."
    missing = run_source(add(db, "rss", files_server + "/khong-co.xml", name="Khác"))
    assert missing.status == "failed"
    assert missing.message == "Không tải được (lý do: máy chủ trả lỗi HTTP 404)."


def test_csv_and_xlsx_by_url(db, files_server):
    run = run_source(add(db, "csv", files_server + "/catalog.csv"))
    assert run.status == "succeeded" and run.counts()["new"] == 4
    assert by_id(db, "nguon-thu:t:hoc-tap").source == "harvest:nguon-thu"
    run = run_source(add(db, "xlsx", files_server + "/catalog.xlsx", name="Bảng tính"))
    assert run.status == "succeeded" and run.counts()["new"] == len(ROWS) - 4
    assert by_id(db, "bang-tinh:t:physics").description == "Sách vật lý bằng tiếng Anh."


def test_csv_with_wrong_columns_saves_nothing(db, files_server):
    run = run_source(add(db, "csv", files_server + "/bad.csv"))
    assert run.status == "failed" and run.message.startswith("Dòng tiêu đề thiếu cột")
    assert db.session.scalars(select(Resource)).all() == []


def test_csv_by_path_from_the_cli(runner, db, tmp_path):
    path = tmp_path / "nguon.csv"
    bad = ("t:x", "", "", "", "", "", "", "", "", "", "https://example.org/x", "")
    path.write_bytes(_csv_bytes([*ROWS[:3], bad]))
    added = runner.invoke(
        args=["harvest", "add", "--kind", "csv", "--url", str(path), "--name", "Tệp CSV"]
    )
    assert added.exit_code == 0, added.output
    result = runner.invoke(args=["harvest", "run", "tep-csv", "--json"])
    data = json.loads(result.stdout)
    assert (data["status"], data["new"], data["rejected"]) == ("partial", 3, 1)
    assert data["errors"] == [
        {"identifier": "dòng 5 (t:x)", "message": "thiếu nhan đề (title)", "level": "error"}
    ]


def test_organizers_cannot_point_a_file_source_at_a_server_path(db, tmp_path):
    from hoctap_learn.core.errors import ValidationError

    from ..factories import make_unit, make_user

    unit = make_unit()
    organizer = make_user(role="organizer", unit=unit)
    with pytest.raises(ValidationError, match="URL"):
        services.add_source(
            organizer,
            services.SourceInput(name="X", kind="csv", url="/etc/x.csv", unit_id=unit.id),
        )
