"""Excel: the question template organizers fill in, its parser, and table writers.

Writers take ``(headers, rows)`` and never query. Every text cell that a spreadsheet
would read as a formula (``= + - @``, tab, CR) is written with a leading apostrophe,
so an answer like ``=HYPERLINK(...)`` typed by a participant stays text.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from ..core.archives import check_zip
from ..core.errors import ValidationError
from ..core.timeutil import to_local
from .parsed import ParsedQuestion, ParseError, ParseResult

LETTERS = "ABCDEF"
TEMPLATE_HEADERS = [
    "Nhóm",
    "Loại",
    "Tiêu đề",
    "Câu hỏi",
    *[f"Phương án {letter}" for letter in LETTERS],
    "Đáp án",
    "Giải thích",
]
TYPE_NAMES = {
    "single_choice": "single_choice", "mot lua chon": "single_choice",
    "multiple_choice": "multiple_choice", "nhieu lua chon": "multiple_choice",
    "true_false": "true_false", "dung/sai": "true_false", "dung sai": "true_false",
    "short_answer": "short_answer", "tra loi ngan": "short_answer",
    "numerical": "numerical", "so": "numerical",
}  # fmt: skip
TEMPLATE_EXAMPLES = [
    ["an-toan-internet", "Một lựa chọn", "AT-X1", "Mật khẩu nào an toàn nhất?",
     "12345678", "mB7!rQ2#vLx9", "matkhau", "", "", "", "B", "Mật khẩu dài, đủ loại ký tự."],
    ["an-toan-internet", "Nhiều lựa chọn", "AT-X2", "Dấu hiệu của tin nhắn lừa đảo? (chọn nhiều)",
     "Tên miền lạ", "Thúc giục chuyển tiền gấp", "Gửi trong giờ hành chính", "", "", "",
     "A,B", ""],
    ["tin-gia", "Đúng/Sai", "TG-X1", "Tin có nhiều lượt chia sẻ thì là tin thật.",
     "", "", "", "", "", "", "Sai", ""],
    ["tin-gia", "Trả lời ngắn", "TG-X2", "Video giả mạo bằng trí tuệ nhân tạo gọi là gì?",
     "", "", "", "", "", "", "deepfake | deep fake", ""],
    ["dich-vu-cong", "Số", "DV-X1", "Số định danh cá nhân có bao nhiêu chữ số?",
     "", "", "", "", "", "", "12", "Sai số: 12:0; khoảng: 10..14"],
]  # fmt: skip
MAX_ROWS = 5000
TRUE_FALSE = {"dung": True, "d": True, "true": True, "t": True,
              "sai": False, "s": False, "false": False, "f": False}  # fmt: skip


def _fold_key(text: str) -> str:
    from .scoring import fold

    return fold(text)


# --- writers -----------------------------------------------------------------------------------


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value as a spreadsheet cell: dates local and naive, formula-like text neutralised."""
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(headers: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        cells = [safe_cell(v) for v in row]
        writer.writerow(
            [c.strftime("%Y-%m-%d %H:%M:%S") if isinstance(c, datetime) else c for c in cells]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def write_xlsx(headers: list[str], rows, title: str = "Dữ liệu") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for cell in sheet[1]:
        sheet.column_dimensions[cell.column_letter].width = max(12, min(60, len(cell.value) + 4))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def question_template() -> bytes:
    return write_xlsx(TEMPLATE_HEADERS, TEMPLATE_EXAMPLES, title="Câu hỏi")


# --- parser ----------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def parse_xlsx(data: bytes, default_category: str | None = None) -> ParseResult:
    """Questions from the template's first sheet; errors carry the row number."""
    # before openpyxl inflates anything: a zip bomb is refused here
    check_zip(data, broken="Tệp không phải bảng tính Excel (.xlsx) hợp lệ.")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationError("Tệp không phải bảng tính Excel (.xlsx) hợp lệ.") from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(v) for v in next(rows, ())]
    if header[: len(TEMPLATE_HEADERS)] != TEMPLATE_HEADERS:
        workbook.close()
        raise ValidationError("Dòng tiêu đề không đúng mẫu; hãy tải tệp mẫu và giữ nguyên các cột.")
    result = ParseResult()
    for number, row in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            result.errors.append(ParseError(number, f"Tệp có quá {MAX_ROWS} câu hỏi."))
            break
        cells = [_text(v) for v in (*row, *([None] * len(TEMPLATE_HEADERS)))][
            : len(TEMPLATE_HEADERS)
        ]
        if not any(cells):
            continue
        try:
            question = _row_question(cells, default_category)
        except ValueError as error:
            result.errors.append(ParseError(number, str(error)))
            continue
        question.line = number
        result.questions.append(question)
    workbook.close()
    return result


def _row_question(cells: list[str], default_category: str | None) -> ParsedQuestion:
    category, kind, title, text = cells[:4]
    options = [o for o in cells[4 : 4 + len(LETTERS)]]
    answer, feedback = cells[4 + len(LETTERS)], cells[5 + len(LETTERS)]
    qtype = TYPE_NAMES.get(_fold_key(kind))
    if qtype is None:
        raise ValueError(f"Loại câu hỏi “{kind}” không hợp lệ.")
    if not text:
        raise ValueError("Thiếu nội dung câu hỏi.")
    if not answer:
        raise ValueError("Thiếu đáp án.")
    question = ParsedQuestion(qtype, text, 0, title=title, category=category or default_category,
                              general_feedback=feedback)  # fmt: skip
    if qtype in ("single_choice", "multiple_choice"):
        present = [(LETTERS[i], o) for i, o in enumerate(options) if o]
        if len(present) < 2:
            raise ValueError("Câu hỏi lựa chọn cần ít nhất hai phương án.")
        letters = [p.strip().upper() for p in re.split(r"[,;\s]+", answer) if p.strip()]
        available = {letter for letter, _ in present}
        if not letters or any(letter not in available for letter in letters):
            raise ValueError(f"Đáp án “{answer}” không khớp các phương án có nội dung.")
        if qtype == "single_choice" and len(letters) != 1:
            raise ValueError("Câu hỏi một lựa chọn chỉ có một đáp án.")
        right = 1 / len(letters)
        wrong = 0.0 if qtype == "single_choice" else -right
        question.options = [
            {"text": o, "fraction": right if letter in letters else wrong, "feedback": ""}
            for letter, o in present
        ]
    elif qtype == "true_false":
        value = TRUE_FALSE.get(_fold_key(answer))
        if value is None:
            raise ValueError("Đáp án đúng/sai phải là “Đúng” hoặc “Sai”.")
        question.answer = {"value": value}
    elif qtype == "short_answer":
        texts = [t.strip() for t in answer.split("|") if t.strip()]
        question.answer = [{"text": t, "fraction": 1.0} for t in texts]
    else:
        question.answer = [_numeric_answer(answer)]
    return question


def _numeric_answer(text: str) -> dict:
    from .scoring import parse_number

    if ".." in text:
        low, _, high = text.partition("..")
        a, b = parse_number(low), parse_number(high)
        if a is None or b is None or b < a:
            raise ValueError(f"Khoảng số “{text}” không hợp lệ.")
        return {"value": (a + b) / 2, "tolerance": (b - a) / 2, "fraction": 1.0}
    value_text, _, tolerance_text = text.partition(":")
    value = parse_number(value_text)
    tolerance = parse_number(tolerance_text) if tolerance_text else 0.0
    if value is None or tolerance is None or tolerance < 0:
        raise ValueError(f"Đáp án số “{text}” không hợp lệ.")
    return {"value": value, "tolerance": tolerance, "fraction": 1.0}
