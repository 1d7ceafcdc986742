"""MẪU BC in Word: read the generated .docx back and compare with the query module."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.shared import Mm

from hoctap_learn.activities import services as week
from hoctap_learn.core import format_number
from hoctap_learn.reports import assembly
from hoctap_learn.reports import figures as fig
from hoctap_learn.reports.services import build_filters
from hoctap_learn.reports.tables import build_table

from ..conftest import login
from ..factories import PASSWORD


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _kinds_table(document):
    return next(t for t in document.tables if t.rows[0].cells[1].text == "Loại hoạt động")


@pytest.fixture
def narratives(world, db):
    campaign = world["campaign"]
    week.save_report(
        world["admin"],
        world["vungtau"],
        campaign,
        week.ReportInput(
            number="125/BC-PGDĐT",
            place="Vũng Tàu",
            signer="Nguyễn Văn An",
            direction="Ban hành kế hoạch <số 88> & phân công\nKiểm tra các trường",
            difficulties="Thiếu thiết bị",
        ),
    )
    week.save_report(
        world["admin"],
        world["datdo"],
        campaign,
        week.ReportInput(direction="Đất Đỏ triển khai kế hoạch", proposals="Bổ sung kinh phí"),
    )
    db.session.commit()


def test_unit_report_numbers_match_the_query_module(client, world, narratives):
    login(client, "org.vt@example.vn", PASSWORD)
    response = client.get("/organizer/reports/mau-bc.docx?campaign=2022&unit=brvt-vungtau")
    assert response.status_code == 200
    assert "mau-bc-2022-brvt-vungtau.docx" in response.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.data))
    text = _text(document)
    filters = build_filters(None, "2022", "brvt-vungtau")
    totals = assembly.totals(filters)
    # I.4: every registered figure with its value, formatted as on the dashboard
    for key in ("activities", "activity_participants", "registered_people"):
        line = f"- {fig.FIGURES[key].label}: {format_number(totals[key])} "
        assert line in text, line
    assert "- Lượt người tham gia hoạt động: 500 lượt." in text
    # I.5 funding split
    assert "- Ngân sách nhà nước: 45.000.000 đồng." in text
    assert "các nguồn hợp pháp khác (nếu có): 10.000.000 đồng." in text
    assert "- Tổng cộng: 55.000.000 đồng." in text
    # I.3 activities by kind: the same rows as the dashboard's table
    kinds = {r["label"]: r for r in build_table(filters, "kind").as_dicts()}
    table = _kinds_table(document)
    for row in table.rows[1:-1]:
        label, count, people = row.cells[1].text, row.cells[2].text, row.cells[3].text
        assert int(count) == kinds[label]["activities"]
        assert int(people.replace(".", "")) == kinds[label]["activity_participants"]
    assert [c.text for c in table.rows[-1].cells[1:]] == ["Tổng cộng", "2", "500"]
    # administrative layout and the organizer's typed narrative (escaped, line by line)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: 125/BC-PGDĐT" in text and "THÀNH PHỐ VŨNG TÀU" in text
    assert "Về việc tổ chức Tuần lễ hưởng ứng học tập suốt đời năm 2022" in text
    assert "THỦ TRƯỞNG ĐƠN VỊ" in text and "Nơi nhận:" in text and "Nguyễn Văn An" in text
    paragraphs = [p.text for p in document.paragraphs]
    assert "Ban hành kế hoạch <số 88> & phân công" in paragraphs
    assert "Kiểm tra các trường" in paragraphs
    assert "Thiếu thiết bị" in paragraphs
    assert "Đất Đỏ triển khai kế hoạch" not in text  # another unit's text stays out
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert document.styles["Normal"].font.name == "Times New Roman"
    for heading in (
        "I. TỔ CHỨC TRIỂN KHAI TUẦN LỄ",
        "5. Kinh phí tổ chức Tuần lễ",
        "II. ĐÁNH GIÁ CHUNG",
        "3. Kiến nghị, đề xuất",
    ):
        assert heading in paragraphs


def test_consolidated_report_sums_units_and_lists_their_narratives(
    runner, world, narratives, tmp_path
):
    out = tmp_path / "tong-hop.docx"
    result = runner.invoke(args=["report", "mau-bc", "--campaign", "2022", "--output", str(out)])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out))
    text = _text(document)
    totals = assembly.totals(build_filters(None, "2022"))
    assert totals["activity_participants"] == 550
    assert "- Lượt người tham gia hoạt động: 550 lượt." in text
    assert "- Số hoạt động: 3 hoạt động." in text
    assert "- Người đăng ký tài khoản: 5 người." in text
    assert "- Ngân sách nhà nước: 45.000.000 đồng." in text
    assert "Tổng hợp từ báo cáo" in text and "TỈNH BÀ RỊA - VŨNG TÀU" in text
    paragraphs = [p.text for p in document.paragraphs]
    assert "Thành phố Vũng Tàu: Ban hành kế hoạch <số 88> & phân công" in paragraphs
    assert "Huyện Đất Đỏ: Đất Đỏ triển khai kế hoạch" in paragraphs
    assert "Huyện Đất Đỏ: Bổ sung kinh phí" in paragraphs


def test_mau_bc_permissions_and_errors(app, runner, world, tmp_path):
    client = app.test_client()
    login(client, "org.vt@example.vn", PASSWORD)
    assert client.get("/organizer/reports/mau-bc.docx?unit=brvt-datdo").status_code == 403
    assert client.get("/organizer/reports/mau-bc.docx?campaign=1999").status_code == 404
    bad = runner.invoke(
        args=["report", "mau-bc", "--unit", "khong-co", "--output", str(tmp_path / "x.docx")]
    )
    assert bad.exit_code == 1 and "Không tìm thấy đơn vị" in bad.output
    assert not (tmp_path / "x.docx").exists()


def test_template_is_in_content_and_can_be_rebuilt(app, tmp_path):
    import importlib.util

    shipped = Path(app.config["HOCTAP_CONTENT_DIR"]) / "reports" / "mau-bc.docx"
    assert shipped.exists()
    script = Path(__file__).resolve().parents[2] / "scripts" / "make_mau_bc_template.py"
    spec = importlib.util.spec_from_file_location("make_mau_bc_template", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build(tmp_path / "mau-bc.docx")
    assert _text(docx.Document(str(rebuilt))) == _text(docx.Document(str(shipped)))
