"""`hoctap catalog import/export`: per-row errors, dry run, XLSX, round trip, bad files."""

from __future__ import annotations

import csv
import json

from sqlalchemy import func, select

from hoctap_learn.catalog.models import Resource

from .conftest import COLUMNS, ROWS


def _write_csv(path, rows, header=COLUMNS):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Resource))


def test_import_reports_bad_rows_and_keeps_good_ones(runner, db, tmp_path):
    good = list(ROWS[:3])
    bad = [
        ("t:no-title", "", "", "", "", "", "", "", "", "", "https://example.org/a", ""),
        ("t:no-url", "Không có URL", "", "", "", "", "", "", "", "", "", ""),
        ("t:ftp", "Sai giao thức", "", "", "", "", "", "", "", "", "ftp://example.org/x", ""),
        ("t:year", "Năm sai", "", "", "", "", "", "", "", "", "https://example.org/y", "năm ngoái"),
        ("t:future", "Năm tương lai", "", "", "", "", "", "", "", "", "https://example.org/z",
         "2150"),
        (ROWS[0][0], "Trùng mã", "", "", "", "", "", "", "", "", "https://example.org/dup", ""),
        ("", "Không mã", "", "", "", "", "", "", "", "", "https://example.org/nid", ""),
    ]  # fmt: skip
    path = _write_csv(tmp_path / "in.csv", good + bad)
    result = runner.invoke(args=["catalog", "import", str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["created"] == 3 and report["rejected"] == 7
    rows = {e["row"]: e["message"] for e in report["errors"]}
    assert rows == {
        5: "thiếu nhan đề (title)",
        6: "thiếu đường dẫn (url)",
        7: "đường dẫn không hợp lệ: ftp://example.org/x",
        8: "năm không hợp lệ: năm ngoái",
        9: "năm 2150 ở tương lai",
        10: "mã định danh trùng với dòng 2",
        11: "thiếu mã định danh (identifier)",
    }
    assert _count(db) == 3


def test_dry_run_changes_nothing(runner, db, tmp_path):
    path = _write_csv(tmp_path / "in.csv", ROWS)
    result = runner.invoke(args=["catalog", "import", str(path), "--dry-run", "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["created"] == len(ROWS) and report["dry_run"] is True
    assert _count(db) == 0


def test_reimport_updates_in_place(runner, db, tmp_path):
    path = _write_csv(tmp_path / "in.csv", ROWS)
    runner.invoke(args=["catalog", "import", str(path)])
    changed = [list(r) for r in ROWS]
    changed[0][1] = "Học tập suốt đời (tái bản)"
    _write_csv(path, changed)
    report = json.loads(runner.invoke(args=["catalog", "import", str(path), "--json"]).stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, len(ROWS) - 1)
    assert _count(db) == len(ROWS)


def test_export_then_import_round_trips(runner, db, tmp_path, catalog):
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"catalog.{suffix}"
        exported = runner.invoke(args=["catalog", "export", str(out), "--json"])
        assert json.loads(exported.stdout)["exported"] == len(ROWS)
        again = runner.invoke(args=["catalog", "import", str(out), "--json"])
        report = json.loads(again.stdout)
        assert again.exit_code == 0, again.output
        assert report["unchanged"] == len(ROWS) and report["updated"] == 0, (suffix, report)


def test_xlsx_export_neutralises_formulas(runner, db, tmp_path):
    from openpyxl import load_workbook

    rows = [("t:f", '=HYPERLINK("http://evil","bấm")', "", "", "", "", "", "", "", "",
             "https://example.org/f", "")]  # fmt: skip
    runner.invoke(args=["catalog", "import", str(_write_csv(tmp_path / "in.csv", rows))])
    out = tmp_path / "out.xlsx"
    runner.invoke(args=["catalog", "export", str(out)])
    cell = load_workbook(out)["catalog"]["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_bad_files_get_clear_messages_and_change_nothing(runner, db, tmp_path):
    cases = {
        "latin1.csv": (b"identifier,title,url\nx,caf\xe9,https://e.org\n",
                       "không phải UTF-8"),
        "header.csv": (b"id,name\n1,2\n", "thiếu cột"),
        "extra.csv": (b"identifier,title,url,colour\n", "không được hỗ trợ"),
        "empty.csv": (b"", "rỗng"),
        "binary.csv": (b"\x00\x01\x02PK\x03\x04", "nhị phân"),
        "broken.xlsx": (b"PK\x03\x04 this is not a workbook", "Không đọc được tệp Excel"),
        "notes.txt": (b"hello", "Chỉ nhận tệp .csv hoặc .xlsx"),
    }  # fmt: skip
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = runner.invoke(args=["catalog", "import", str(path)])
        assert result.exit_code == 1, name
        assert message in result.output, (name, result.output)
    missing = runner.invoke(args=["catalog", "import", str(tmp_path / "missing.csv")])
    assert missing.exit_code == 1 and "Không tìm thấy tệp" in missing.output
    assert _count(db) == 0


def test_html_in_records_is_reduced_to_text(runner, db, tmp_path):
    rows = [("t:x", "<b>Tiêu đề</b> đậm", '<p onclick="x()">Mô tả<script>alert(1)</script></p>',
             "", "", "", "", "", "", "", "https://example.org/x", "")]  # fmt: skip
    runner.invoke(args=["catalog", "import", str(_write_csv(tmp_path / "in.csv", rows))])
    resource = db.session.scalar(select(Resource))
    assert resource.title == "Tiêu đề đậm" and resource.description == "Mô tả"


def test_overlong_fields_are_trimmed_with_a_note(runner, db, tmp_path):
    rows = [("t:long", "T" * 1200, "d" * 12000, "", "", "", "", "", "", "",
             "https://example.org/l", "")]  # fmt: skip
    result = runner.invoke(
        args=["catalog", "import", str(_write_csv(tmp_path / "in.csv", rows)), "--json"]
    )
    report = json.loads(result.stdout)
    assert report["created"] == 1 and len(report["notes"]) == 2
    resource = db.session.scalar(select(Resource))
    assert len(resource.title) == 1000 and len(resource.description) == 10000


def test_vocabularies_are_normalised(db, catalog):
    physics = db.session.scalar(select(Resource).where(Resource.identifier == "t:physics"))
    assert physics.type == "sach" and physics.source_type == "sách/giáo trình"
    assert physics.license == "cc-by-4.0" and physics.level == "dai-hoc"
    assert physics.language == "en" and physics.provider.name == "OpenStax"


def test_real_catalog_content_loads(full_content, db):
    counts = full_content.counts["resources"]
    assert counts.created >= 300
    assert _count(db) == counts.created
