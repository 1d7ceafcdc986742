"""Moodle GIFT: parse a question file and export a bank.

Supported: ``//`` comment lines, ``$CATEGORY:``, ``::titles::``, ``[html]``-style format
markers (dropped), single choice (``=``/``~``), multiple choice with weights (``~%50%``),
true/false, short answer, numerical (``{#72:0}``, ``{#2018..2018}``, several ``=`` answers),
missing-word questions (text after the answer block), per-answer ``#feedback`` and
general feedback ``####``, escapes ``\\~ \\= \\# \\{ \\} \\:`` and ``\\n``.
Matching and essay questions are reported as unsupported. Every error carries the first
line of the question it concerns.
"""

from __future__ import annotations

import math
import re

from .parsed import ParsedQuestion, ParseError, ParseResult

# Escaped special characters become private-use placeholders while parsing, so the
# structural characters left in the text are exactly the unescaped ones.
_ESCAPES = {"\\~": "\ue000", "\\=": "\ue001", "\\#": "\ue002", "\\{": "\ue003",
            "\\}": "\ue004", "\\:": "\ue005", "\\\\": "\ue006"}  # fmt: skip
_RESTORE = {v: k[1] for k, v in _ESCAPES.items()}
_ESCAPE_RE = re.compile(r"\\[~=#{}:\\]")
_FORMAT_RE = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:[.,]\d+)?)%")
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}
BLANK = "_____"


class _BlockError(Exception):
    pass


def _protect(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


def _restore(text: str) -> str:
    text = text.replace("\\n", "\n")
    for placeholder, char in _RESTORE.items():
        text = text.replace(placeholder, char)
    return text


def _clean(text: str) -> str:
    """Restore escapes and normalise whitespace (GIFT text may wrap over lines)."""
    return " ".join(_restore(text).split())


def _split_blocks(source: str):
    """Yield (first_line, lines) for each blank-line separated block; comments removed."""
    block: list[str] = []
    start = 0
    for number, raw in enumerate(source.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("//"):
            continue
        if not stripped:
            if block:
                yield start, block
                block = []
            continue
        if not block:
            start = number
        block.append(raw)
    if block:
        yield start, block


def parse_gift(source: str, default_category: str | None = None) -> ParseResult:
    result = ParseResult()
    category = default_category
    source = source.lstrip("\ufeff")
    for line, lines in _split_blocks(source):
        # A block may start with one or more $CATEGORY lines.
        while lines and lines[0].strip().startswith("$CATEGORY:"):
            category = _category_name(lines[0].strip()[len("$CATEGORY:") :]) or default_category
            lines = lines[1:]
            line += 1
        if not lines:
            continue
        try:
            question = _parse_block(_protect("\n".join(lines)))
        except _BlockError as error:
            result.errors.append(ParseError(line, str(error)))
            continue
        question.line = line
        question.category = category
        result.questions.append(question)
    return result


def _category_name(raw: str) -> str:
    name = raw.strip()
    for prefix in ("$course$/", "$module$/", "$system$/", "$cat1$/", "$cat2$/", "$cat3$/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name.startswith("top/"):
        name = name[len("top/") :]
    return name.strip().strip("/")


def _parse_block(block: str) -> ParsedQuestion:
    title = ""
    text = block.strip()
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise _BlockError("Tiêu đề câu hỏi thiếu dấu “::” đóng.")
        title = _clean(text[2:end])
        text = text[end + 2 :].strip()
    open_at = text.find("{")
    if open_at < 0:
        if "}" in text:
            raise _BlockError("Có dấu “}” nhưng thiếu dấu “{” mở phần đáp án.")
        raise _BlockError("Không có phần đáp án {…}.")
    close_at = text.find("}", open_at)
    if close_at < 0:
        raise _BlockError("Phần đáp án thiếu dấu “}” đóng.")
    if "{" in text[open_at + 1 : close_at]:
        raise _BlockError("Phần đáp án chứa dấu “{” chưa được thoát (viết \\{).")
    before, body, after = text[:open_at], text[open_at + 1 : close_at], text[close_at + 1 :]
    if "{" in after or "}" in after:
        raise _BlockError("Câu hỏi có nhiều phần đáp án; hãy tách các câu bằng một dòng trống.")
    before = _FORMAT_RE.sub("", before.strip())
    after = after.strip()
    question_text = _clean(f"{before} {BLANK} {after}") if after else _clean(before)
    if not question_text:
        raise _BlockError("Câu hỏi không có nội dung.")
    body, general_feedback = _split_general_feedback(body)
    question = _parse_answers(body.strip())
    question.title = title
    question.text = question_text
    question.general_feedback = general_feedback
    return question


def _split_general_feedback(body: str) -> tuple[str, str]:
    at = body.find("####")
    if at < 0:
        return body, ""
    return body[:at], _clean(body[at + 4 :])


def _split_feedback(part: str) -> tuple[str, str]:
    at = part.find("#")
    if at < 0:
        return part, ""
    return part[:at], _clean(part[at + 1 :])


def _weight(part: str) -> tuple[float | None, str]:
    match = _WEIGHT_RE.match(part)
    if not match:
        return None, part
    value = float(match.group(1).replace(",", "."))
    if not -100 <= value <= 100:
        raise _BlockError(f"Trọng số {match.group(1)}% phải nằm trong khoảng -100% đến 100%.")
    return value / 100, part[match.end() :]


def _parse_answers(body: str) -> ParsedQuestion:
    if not body:
        raise _BlockError("Phần đáp án trống (câu hỏi tự luận không được hỗ trợ).")
    if body.startswith("#"):
        return _parse_numerical(body[1:])
    head, feedback = _split_feedback(body)
    if head.strip().upper() in _TF and "~" not in head and "=" not in head:
        return ParsedQuestion("true_false", "", 0, answer={"value": _TF[head.strip().upper()]})
    if "->" in body:
        raise _BlockError("Câu hỏi ghép cặp (->) không được hỗ trợ.")
    parts = [(m.group(1), m.group(2)) for m in re.finditer(r"([=~])([^=~]*)", body)]
    if not parts or body.strip()[0] not in "=~":
        raise _BlockError("Mỗi đáp án phải bắt đầu bằng “=” (đúng) hoặc “~” (sai).")
    answers = []
    for marker, raw in parts:
        weight, rest = _weight(raw.strip())
        answer_text, answer_feedback = _split_feedback(rest)
        answer_text = _clean(answer_text)
        if not answer_text:
            raise _BlockError("Có đáp án trống.")
        if weight is None:
            weight = 1.0 if marker == "=" else 0.0
        answers.append({"marker": marker, "text": answer_text, "fraction": weight,
                        "feedback": answer_feedback})  # fmt: skip
    if all(a["marker"] == "=" for a in answers):
        if not any(a["fraction"] > 0 for a in answers):
            raise _BlockError("Câu trả lời ngắn cần ít nhất một đáp án được điểm.")
        return ParsedQuestion(
            "short_answer", "", 0,
            answer=[{"text": a["text"], "fraction": a["fraction"]} for a in answers],
        )  # fmt: skip
    options = [{"text": a["text"], "fraction": a["fraction"], "feedback": a["feedback"]}
               for a in answers]  # fmt: skip
    if len(options) < 2:
        raise _BlockError("Câu hỏi lựa chọn cần ít nhất hai phương án.")
    equals = sum(1 for a in answers if a["marker"] == "=")
    if equals > 1:
        raise _BlockError("Câu hỏi một lựa chọn chỉ được có một đáp án “=”.")
    full = [a for a in answers if a["marker"] == "=" or a["fraction"] >= 0.999]
    if equals == 1 or (len(full) == 1 and all(a["fraction"] <= 0 for a in answers
                                              if a is not full[0])):  # fmt: skip
        return ParsedQuestion("single_choice", "", 0, options=options)
    positive = [a for a in answers if a["fraction"] > 0]
    if not positive:
        raise _BlockError("Không có đáp án đúng (dùng “=” hoặc trọng số dương như ~%50%).")
    total = sum(a["fraction"] for a in positive)
    if not math.isclose(total, 1.0, abs_tol=0.02):
        raise _BlockError(
            f"Tổng trọng số các đáp án đúng là {round(total * 100, 2):g}%, phải bằng 100%."
        )
    return ParsedQuestion("multiple_choice", "", 0, options=options)


def _number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise _BlockError(f"“{_restore(text.strip())}” không phải là số.") from None
    if not math.isfinite(value):
        raise _BlockError("Giá trị số không hợp lệ.")
    return value


def _parse_numerical(body: str) -> ParsedQuestion:
    body = body.strip()
    parts = [p for p in body.split("=")] if body.startswith("=") else [body]
    parts = [p.strip() for p in parts if p.strip()]
    if not parts:
        raise _BlockError("Câu hỏi số thiếu đáp án.")
    answers = []
    for part in parts:
        weight, rest = _weight(part)
        value_text, _feedback = _split_feedback(rest)
        value_text = value_text.strip()
        if ".." in value_text:
            low_text, _, high_text = value_text.partition("..")
            low, high = _number(low_text), _number(high_text)
            if high < low:
                raise _BlockError(f"Khoảng {low:g}..{high:g} có cận dưới lớn hơn cận trên.")
            value, tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in value_text:
            value_part, _, tolerance_part = value_text.partition(":")
            value, tolerance = _number(value_part), _number(tolerance_part)
            if tolerance < 0:
                raise _BlockError("Sai số cho phép không được âm.")
        else:
            value, tolerance = _number(value_text), 0.0
        answers.append({"value": value, "tolerance": tolerance,
                        "fraction": 1.0 if weight is None else weight})  # fmt: skip
    if not any(a["fraction"] > 0 for a in answers):
        raise _BlockError("Câu hỏi số cần ít nhất một đáp án được điểm.")
    return ParsedQuestion("numerical", "", 0, answer=answers)


# --- export -----------------------------------------------------------------------------------


def escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\n", "\\n")


def _percent(fraction: float) -> str:
    return f"%{round(fraction * 100, 5):g}%"


def export_question(q) -> str:
    """One question (anything with type/title/text/options/answer/general_feedback)."""
    lines = []
    head = f"::{escape(q.title)}:: " if q.title else ""
    text = escape(q.text)
    if BLANK in q.text and q.type != "short_answer":
        text = escape(q.text.replace(BLANK, "\ue010"))
    lines.append(f"{head}{text} {{")
    if q.type in ("single_choice", "multiple_choice"):
        for option in q.options:
            fraction = option["fraction"]
            if q.type == "single_choice" and fraction >= 0.999:
                prefix = "="
            elif fraction == 0 and q.type == "single_choice":
                prefix = "~"
            else:
                prefix = "~" + _percent(fraction)
            feedback = f"#{escape(option['feedback'])}" if option.get("feedback") else ""
            lines.append(f"{prefix}{escape(option['text'])}{feedback}")
    elif q.type == "true_false":
        lines.append("T" if q.answer["value"] else "F")
    elif q.type == "short_answer":
        for item in q.answer:
            weight = "" if item["fraction"] >= 0.999 else _percent(item["fraction"])
            lines.append(f"={weight}{escape(item['text'])}")
    elif q.type == "numerical":
        items = q.answer
        if len(items) == 1 and items[0]["fraction"] >= 0.999:
            lines[-1] += f"#{items[0]['value']:g}:{items[0]['tolerance']:g}"
        else:
            lines[-1] += "#"
            for item in items:
                weight = "" if item["fraction"] >= 0.999 else _percent(item["fraction"])
                lines.append(f"={weight}{item['value']:g}:{item['tolerance']:g}")
    if q.general_feedback:
        lines.append(f"####{escape(q.general_feedback)}")
    lines.append("}")
    out = "\n".join(lines)
    # A missing-word blank is written back as the answer block's position.
    if "\ue010" in out:
        first, rest = out.split("\n", 1)
        before, after = first.split("\ue010", 1)
        body = rest.rsplit("\n}", 1)[0]
        out = f"{before.rstrip()} {{\n{body}\n}} {after.removesuffix(' {').strip()}"
    return out


def export_gift(questions, category_of=lambda q: None) -> str:
    """A GIFT document for `questions`, grouped by category in the given order."""
    chunks = []
    current = object()
    for q in questions:
        category = category_of(q)
        if category != current and category:
            chunks.append(f"$CATEGORY: {category}")
        current = category
        chunks.append(export_question(q))
    return "\n\n".join(chunks) + "\n"
