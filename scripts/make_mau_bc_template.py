"""Build content/reports/mau-bc.docx, the MẪU BC template filled by docxtpl.

Run `.venv/bin/python scripts/make_mau_bc_template.py` to regenerate it. An office may
instead open the .docx in Word and restyle it (fonts, spacing, logo, recipients): keep the
`{{ … }}`, `{%p … %}` and `{%tr … %}` tags and the report still fills in. Layout follows
Decree 30/2020/NĐ-CP: A4, Times New Roman, margins 20/20/30/15 mm, the national title and
motto, number and date line, the annex's sections I.1–I.5 and II.1–II.3, recipients and
the signature block.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

OUTPUT = Path(__file__).resolve().parent.parent / "content" / "reports" / "mau-bc.docx"
FONT = "Times New Roman"


def _font(run_or_style, size: float, bold=False, italic=False) -> None:
    font = run_or_style.font
    font.name = FONT
    font.size = Pt(size)
    font.bold = bold
    font.italic = italic
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _para(
    container, text="", size=14, bold=False, italic=False, align=None, indent=True, space_after=4
):
    paragraph = container.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.space_before = Pt(0)
    if indent and align is None:
        fmt.first_line_indent = Mm(10)
    if text:
        _font(paragraph.add_run(text), size, bold, italic)
    return paragraph


def _lines(doc, name: str) -> None:
    """A paragraph loop: one paragraph of the report per line of typed text."""
    _para(doc, f"{{%p for line in {name} %}}", indent=False)
    _para(doc, "{{ line }}")
    _para(doc, "{%p endfor %}", indent=False)


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.makeelement(qn("w:tblBorders"), {})
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = borders.makeelement(qn(f"w:{edge}"), {qn("w:val"): "nil"})
        borders.append(element)
    tbl_pr.append(borders)


def _cell(cell, text, size=13, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    _font(paragraph.add_run(text), size, bold, italic)
    return paragraph


def _add_line(cell, text, size=13, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    paragraph = cell.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    _font(paragraph.add_run(text), size, bold, italic)


def _data_table(doc, headings, row_tags, loop, total=None, widths=None):
    table = doc.add_table(rows=3 + (1 if total else 0), cols=len(headings))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        _cell(cell, text, 13, bold=True)
    _cell(table.rows[1].cells[0], f"{{%tr for r in {loop} %}}", 13)
    for cell, text in zip(table.rows[2].cells, row_tags, strict=True):
        align = WD_ALIGN_PARAGRAPH.LEFT if "label" in text else WD_ALIGN_PARAGRAPH.CENTER
        _cell(cell, text, 13, align=align)
    # the closing tag needs a row of its own, like the opening one
    closing = table.add_row() if total else None
    if total:
        _cell(table.rows[3].cells[0], "{%tr endfor %}", 13)
        for cell, text in zip(closing.cells, total, strict=True):
            _cell(cell, text, 13, bold=True)
    else:
        _cell(table.add_row().cells[0], "{%tr endfor %}", 13)
    if widths:
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Mm(width)
    return table


def build(path: Path = OUTPUT) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    _font(normal, 14)
    normal.paragraph_format.line_spacing = 1.15

    # national title and motto beside the issuing body, number and date
    header = doc.add_table(rows=1, cols=2)
    _no_borders(header)
    left, right = header.rows[0].cells
    left.width, right.width = Mm(70), Mm(95)
    _cell(left, "{{ issuer_parent }}", 13)
    _add_line(left, "{{ issuer }}", 13, bold=True)
    _add_line(left, "⎯⎯⎯⎯⎯", 13)
    _add_line(left, "Số: {{ number }}", 13)
    _cell(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13, bold=True)
    _add_line(right, "Độc lập - Tự do - Hạnh phúc", 14, bold=True)
    _add_line(right, "⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯", 13)
    _add_line(
        right, "{{ place }}, ngày {{ day }} tháng {{ month }} năm {{ date_year }}", 14, italic=True
    )

    _para(doc, "", indent=False)
    _para(doc, "BÁO CÁO", 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(
        doc,
        "Về việc tổ chức Tuần lễ hưởng ứng học tập suốt đời năm {{ year }}",
        14,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _para(doc, "{{ scope_note }}", 13, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    _para(doc, "I. TỔ CHỨC TRIỂN KHAI TUẦN LỄ", bold=True)
    _para(
        doc,
        "1. Công tác chỉ đạo, ban hành kế hoạch triển khai, kiểm tra, đôn đốc thực hiện",
        bold=True,
    )
    _lines(doc, "direction")
    _para(doc, "2. Lễ phát động Tuần lễ", bold=True)
    _lines(doc, "opening")
    _para(doc, "3. Nội dung các hoạt động đã triển khai trong Tuần lễ", bold=True)
    _lines(doc, "activities_text")
    _para(doc, "Các hoạt động theo loại (số liệu từ hệ thống):", italic=True)
    _data_table(
        doc,
        ["STT", "Loại hoạt động", "Số hoạt động", "Lượt người tham gia"],
        ["{{ r.n }}", "{{ r.label }}", "{{ r.activities }}", "{{ r.participants }}"],
        "kinds",
        total=["", "Tổng cộng", "{{ kinds_total.activities }}", "{{ kinds_total.participants }}"],
        widths=[12, 98, 25, 30],
    )
    _para(doc, "4. Kết quả (có số liệu cụ thể) các hoạt động tổ chức Tuần lễ", bold=True)
    _para(doc, "{%p for f in results %}", indent=False)
    _para(doc, "- {{ f.label }}: {{ f.value }} {{ f.measure }}.")
    _para(doc, "{%p endfor %}", indent=False)
    _para(doc, "Theo đối tượng:", italic=True)
    _data_table(
        doc,
        ["STT", "Đối tượng", "Lượt tham gia hoạt động", "Người đăng ký"],
        ["{{ r.n }}", "{{ r.label }}", "{{ r.participants }}", "{{ r.people }}"],
        "groups",
        widths=[12, 83, 35, 35],
    )
    _lines(doc, "results_text")
    _para(doc, "5. Kinh phí tổ chức Tuần lễ", bold=True)
    _para(doc, "- Ngân sách nhà nước: {{ state_budget }} đồng.")
    _para(
        doc,
        "- Ngân sách hỗ trợ, vận động từ doanh nghiệp và các nguồn hợp pháp khác "
        "(nếu có): {{ sponsorship }} đồng.",
    )
    _para(doc, "- Tổng cộng: {{ funding_total }} đồng.")

    _para(doc, "II. ĐÁNH GIÁ CHUNG", bold=True)
    _para(doc, "1. Những kết quả đã đạt được; bài học kinh nghiệm", bold=True)
    _lines(doc, "achievements")
    _para(doc, "2. Khó khăn, tồn tại", bold=True)
    _lines(doc, "difficulties")
    _para(doc, "3. Kiến nghị, đề xuất", bold=True)
    _lines(doc, "proposals")

    footer = doc.add_table(rows=1, cols=2)
    _no_borders(footer)
    recipients, signature = footer.rows[0].cells
    _cell(recipients, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _add_line(recipients, "- Sở GDĐT (GDTHTX);", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _add_line(recipients, "- ……;", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _add_line(recipients, "- Lưu: VT, ……", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell(signature, "THỦ TRƯỞNG ĐƠN VỊ", 14, bold=True)
    _add_line(signature, "(Ký, ghi rõ họ tên và đóng dấu)", 13, italic=True)
    for _ in range(3):
        _add_line(signature, "", 14)
    _add_line(signature, "{{ signer }}", 14, bold=True)

    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    print(build(target))
