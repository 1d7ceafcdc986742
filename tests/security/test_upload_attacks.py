"""Spreadsheet zip bombs through every xlsx input: the question import page, the question
and catalog import commands, and an xlsx harvest source.

A bomb here is a real, valid workbook (openpyxl opens it) whose sheet XML is padded with
whitespace to ~200 MB uncompressed, ~200 KB on disk; generated streaming, once per session.
Each test fails if the file is opened: before the fix openpyxl inflated it (272 MB, 5 s).
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from hoctap_learn.catalog.models import Resource
from hoctap_learn.contests.models import Question
from hoctap_learn.contests.xlsx import TEMPLATE_HEADERS
from tests.conftest import csrf_from, login
from tests.harvest.servers import serve_wsgi

ADMIN = ("admin@demo.hoctap.vn", "HocTap@2022-admin")
CATALOG_HEADER = ["identifier", "title", "url"]
TOO_BIG = "khi giải nén lớn quá 100 MB; không mở tệp này."
ODD_RATIO = "có thành phần nén bất thường"


def bomb_xlsx(header: list[str], padding_mb: int) -> bytes:
    """A workbook whose first sheet's XML carries `padding_mb` MB of spaces."""
    book = Workbook()
    book.active.append(header)
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</worksheet>")
            spaces = b" " * (1024 * 1024)
            with bomb.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for _ in range(padding_mb):
                    sheet.write(spaces)
                sheet.write(b"</worksheet>" + tail)
    return out.getvalue()


@pytest.fixture(scope="session")
def question_bomb() -> bytes:
    return bomb_xlsx(TEMPLATE_HEADERS, 200)


@pytest.fixture(scope="session")
def catalog_bomb() -> bytes:
    return bomb_xlsx(CATALOG_HEADER, 200)


@pytest.fixture(scope="session")
def catalog_ratio_bomb() -> bytes:
    """Under the total cap (20 MB) but a 1000:1 member: refused by the ratio check."""
    return bomb_xlsx(CATALOG_HEADER, 20)


def test_the_bombs_are_small_valid_workbooks(question_bomb, catalog_ratio_bomb):
    assert len(question_bomb) < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(question_bomb)) as archive:
        assert sum(i.file_size for i in archive.infolist()) > 200 * 1024 * 1024
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(catalog_ratio_bomb), read_only=True)  # it is a workbook
    assert next(book.worksheets[0].iter_rows(values_only=True)) == tuple(CATALOG_HEADER)
    book.close()


def _questions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Question))


def test_question_import_page_refuses_a_zip_bomb(client, db, content, question_bomb):
    login(client, *ADMIN)
    url = "/organizer/contests/cong-dan-so/bank"
    before = _questions(db)
    token = csrf_from(client, url)
    tracemalloc.start()
    try:
        response = client.post(
            url,
            data={"csrf_token": token, "file": (io.BytesIO(question_bomb), "bom.xlsx")},
            content_type="multipart/form-data",
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 422
    assert TOO_BIG in response.get_data(as_text=True)
    assert peak < 50 * 1024 * 1024  # nothing was inflated
    assert _questions(db) == before


def test_question_import_command_refuses_a_zip_bomb(runner, db, content, question_bomb, tmp_path):
    path = tmp_path / "bom.xlsx"
    path.write_bytes(question_bomb)
    result = runner.invoke(
        args=["contest", "import-questions", str(path), "--contest", "cong-dan-so", "--json"]
    )
    assert result.exit_code == 1
    assert TOO_BIG in json.loads(result.stdout)["errors"][0]["message"]


@pytest.mark.parametrize("which", ["total", "ratio"])
def test_catalog_import_command_refuses_a_zip_bomb(
    runner, db, catalog_bomb, catalog_ratio_bomb, tmp_path, which
):
    path = tmp_path / "bom.xlsx"
    path.write_bytes(catalog_bomb if which == "total" else catalog_ratio_bomb)
    tracemalloc.start()
    try:
        result = runner.invoke(args=["catalog", "import", str(path)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 1
    assert (TOO_BIG if which == "total" else ODD_RATIO) in result.output
    assert peak < 50 * 1024 * 1024
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 0


def test_xlsx_harvest_source_refuses_a_zip_bomb(runner, db, app, catalog_bomb):
    app.config["HOCTAP_HARVEST_ALLOW_HOSTS"] = "127.0.0.2"

    def serve(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [catalog_bomb]

    url, stop = serve_wsgi(serve, "127.0.0.2")
    try:
        added = runner.invoke(
            args=["harvest", "add", "--kind", "xlsx", "--url", url + "/kho.xlsx", "--name", "Tệp"]
        )
        assert added.exit_code == 0, added.output
        result = runner.invoke(args=["harvest", "run", "tep", "--json"])
    finally:
        stop()
    data = json.loads(result.stdout)
    assert data["status"] == "failed" and TOO_BIG in data["message"]
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 0


def test_a_zip_with_too_many_members_is_refused(runner, db, tmp_path):
    """A directory bomb: 20,000 empty members, each an object once zipfile lists them."""
    path = tmp_path / "nhieu.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(20_000):
            archive.writestr(f"xl/{number}.xml", b"")
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 1
    assert "Tệp Excel (.xlsx) có quá nhiều thành phần; không mở tệp này." in result.output


@pytest.mark.parametrize(
    "data", [b"", b"PK\x03\x04 not really", b"not a zip at all", b"PK\x05\x06" + b"\0" * 18]
)
def test_broken_spreadsheets_are_a_message(runner, db, tmp_path, data):
    path = tmp_path / "hong.xlsx"
    path.write_bytes(data)
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 1
    assert "Không đọc được tệp Excel (.xlsx)" in result.output
