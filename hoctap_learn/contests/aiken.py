"""Aiken format: a question, options ``A.``/``A)`` one per line, then ``ANSWER: X``."""

from __future__ import annotations

import re

from .parsed import ParsedQuestion, ParseError, ParseResult

_OPTION_RE = re.compile(r"^([A-Z])[.)]\s+(.*\S)\s*$")
_ANSWER_RE = re.compile(r"^ANSWER\s*:\s*(.*?)\s*$", re.IGNORECASE)


def parse_aiken(source: str, default_category: str | None = None) -> ParseResult:
    result = ParseResult()
    lines = source.lstrip("\ufeff").splitlines()
    block: list[tuple[int, str]] = []

    def flush():
        if block:
            _parse_block(block, default_category, result)
            block.clear()

    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            # A blank line ends a question only once its ANSWER line is in.
            if block and any(_OPTION_RE.match(text) for _, text in block[1:]):
                flush()
            continue
        block.append((number, raw.strip()))
        if _ANSWER_RE.match(raw.strip()):
            flush()
    if block:
        flush()
    return result


def _parse_block(block, category, result: ParseResult) -> None:
    first_line = block[0][0]
    question_lines: list[str] = []
    options: list[tuple[str, str]] = []
    answer_letter = None
    for _number, text in block:
        answer = _ANSWER_RE.match(text)
        if answer:
            answer_letter = answer.group(1).upper()
            continue
        option = _OPTION_RE.match(text)
        if option and question_lines:
            options.append((option.group(1), option.group(2)))
        elif options:
            result.errors.append(
                ParseError(first_line, f"Dòng {_number}: phương án phải có dạng “A. …”.")
            )
            return
        else:
            question_lines.append(text)

    def error(message):
        result.errors.append(ParseError(first_line, message))

    if answer_letter is None:
        return error("Thiếu dòng “ANSWER: …”.")
    if not question_lines:
        return error("Câu hỏi không có nội dung.")
    if len(options) < 2:
        return error("Câu hỏi cần ít nhất hai phương án A., B., …")
    letters = [letter for letter, _ in options]
    if len(set(letters)) != len(letters):
        return error("Có hai phương án trùng chữ cái.")
    if answer_letter not in letters:
        return error(f"Đáp án “{answer_letter}” không có trong các phương án.")
    result.questions.append(
        ParsedQuestion(
            "single_choice",
            " ".join(" ".join(question_lines).split()),
            first_line,
            category=category,
            options=[
                {"text": text, "fraction": 1.0 if letter == answer_letter else 0.0, "feedback": ""}
                for letter, text in options
            ],  # fmt: skip
        )
    )
