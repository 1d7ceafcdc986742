"""GIFT and Aiken parsing: the formats organizers already have, with their edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from hoctap_learn.contests.aiken import parse_aiken
from hoctap_learn.contests.gift import export_gift, parse_gift

CONTENT = Path(__file__).resolve().parents[2] / "content" / "contests" / "cong-dan-so"


def one(source: str):
    result = parse_gift(source)
    assert result.errors == [], result.errors
    assert len(result.questions) == 1
    return result.questions[0]


def test_sample_bank_parses_completely():
    result = parse_gift((CONTENT / "questions.gift").read_text(encoding="utf-8"))
    assert result.errors == []
    assert len(result.questions) == 81
    types = {q.type for q in result.questions}
    assert types == {"single_choice", "multiple_choice", "true_false", "short_answer", "numerical"}
    assert len({q.category for q in result.questions}) == 6
    assert len({q.key for q in result.questions}) == 81


def test_single_choice_with_title_and_feedback():
    q = one("::Q1:: Thủ đô? {=Hà Nội#Đúng ~Huế#Sai ~Đà Nẵng ####Giải thích}")
    assert (q.title, q.type, q.text) == ("Q1", "single_choice", "Thủ đô?")
    assert [o["fraction"] for o in q.options] == [1.0, 0.0, 0.0]
    assert q.options[0]["feedback"] == "Đúng"
    assert q.general_feedback == "Giải thích"


def test_escaped_special_characters_are_literal():
    q = one(r"Ký hiệu \{ \} \~ \= \# \: trong câu {=a \= b ~c \~ d ~e \# f \{g\}}")
    assert q.text == "Ký hiệu { } ~ = # : trong câu"
    assert [o["text"] for o in q.options] == ["a = b", "c ~ d", "e # f {g}"]


def test_escaped_colon_in_title():
    q = one(r"::Tiêu đề\: phụ:: Câu hỏi {T}")
    assert q.title == "Tiêu đề: phụ"


def test_comments_and_categories_and_line_numbers():
    source = (
        "// chú thích\n"
        "$CATEGORY: $course$/top/nhom-a\n"
        "\n"
        "// chú thích giữa\n"
        "Câu một {T}\n"
        "\n"
        "$CATEGORY: nhom-b\n"
        "Câu\nhai {F}\n"
    )
    result = parse_gift(source)
    assert result.errors == []
    assert [(q.line, q.category, q.text) for q in result.questions] == [
        (5, "nhom-a", "Câu một"),
        (8, "nhom-b", "Câu hai"),
    ]


def test_missing_word_question():
    q = one("Luật An ninh mạng được thông qua năm {=2018 ~2015 ~2020} tại kỳ họp thứ 5.")
    assert q.text == "Luật An ninh mạng được thông qua năm _____ tại kỳ họp thứ 5."
    assert q.type == "single_choice"


def test_multiple_choice_weights():
    q = one("Chọn các ý đúng {~%50%A ~%50%B ~%-50%C ~%-50%D}")
    assert q.type == "multiple_choice"
    assert [o["fraction"] for o in q.options] == [0.5, 0.5, -0.5, -0.5]


def test_multiple_choice_weights_must_sum_to_100():
    result = parse_gift("Chọn {~%50%A ~%30%B ~C}")
    assert result.questions == []
    assert result.errors[0].line == 1 and "100%" in result.errors[0].message


def test_true_false_forms():
    assert one("Câu {TRUE}").answer == {"value": True}
    assert one("Câu {F#không đúng####giải thích}").answer == {"value": False}


def test_short_answer_with_alternatives():
    q = one("Viết tắt? {=QR =%50%mã vạch}")
    assert q.type == "short_answer"
    assert q.answer == [{"text": "QR", "fraction": 1.0}, {"text": "mã vạch", "fraction": 0.5}]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{#72:0}", [{"value": 72.0, "tolerance": 0.0, "fraction": 1.0}]),
        ("{#3.14:0.01}", [{"value": 3.14, "tolerance": 0.01, "fraction": 1.0}]),
        ("{#2018..2018}", [{"value": 2018.0, "tolerance": 0.0, "fraction": 1.0}]),
        ("{#10..20}", [{"value": 15.0, "tolerance": 5.0, "fraction": 1.0}]),
        (
            "{#=72:0 =%50%70:2}",
            [
                {"value": 72.0, "tolerance": 0.0, "fraction": 1.0},
                {"value": 70.0, "tolerance": 2.0, "fraction": 0.5},
            ],
        ),
    ],
)
def test_numerical_forms(source, expected):
    q = one("Bao nhiêu? " + source)
    assert q.type == "numerical" and q.answer == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Không có đáp án", "Không có phần đáp án"),
        ("Thiếu đóng {=a ~b", "thiếu dấu “}”"),
        ("Hai đáp án đúng {=a =b ~c}", "một đáp án"),
        ("Không đúng {~a ~b}", "Không có đáp án đúng"),
        ("Số sai {#abc}", "không phải là số"),
        ("Khoảng ngược {#20..10}", "cận dưới"),
        ("Tự luận {}", "tự luận"),
        ("Ghép {=a -> 1 =b -> 2}", "ghép cặp"),
        ("Trọng số {~%150%a ~b}", "-100% đến 100%"),
        ("Một phương án {=a ~}", "trống"),
        ("::Tiêu đề chưa đóng Câu {T}", "::"),
        ("Câu {T} và {F}", "nhiều phần đáp án"),
    ],
)
def test_malformed_blocks_are_reported(source, message):
    result = parse_gift(source)
    assert result.questions == []
    assert len(result.errors) == 1
    assert message.lower() in result.errors[0].message.lower()


def test_error_line_is_first_line_of_the_question():
    source = "Câu tốt {T}\n\n// chú thích\n::X::\nCâu\nlỗi {=a =b ~c}\n\nCâu tốt hai {F}\n"
    result = parse_gift(source)
    assert [e.line for e in result.errors] == [4]
    assert len(result.questions) == 2


def test_export_round_trips_the_sample_bank():
    source = (CONTENT / "questions.gift").read_text(encoding="utf-8")
    first = parse_gift(source).questions
    again = parse_gift(export_gift(first, lambda q: q.category))
    assert again.errors == []
    fields = ("type", "title", "text", "options", "answer", "general_feedback", "category")
    assert [[getattr(q, f) for f in fields] for q in again.questions] == [
        [getattr(q, f) for f in fields] for q in first
    ]


def test_export_escapes_and_missing_word():
    q = one(r"Năm {=2018 ~2015 ####a \# b} có ký hiệu \{ và \:")
    text = export_gift([q])
    assert r"\{" in text and r"\:" in text
    assert one(text).text == q.text and one(text).general_feedback == "a # b"


def test_aiken_sample_and_errors():
    result = parse_aiken((CONTENT / "sample-aiken.txt").read_text(encoding="utf-8"))
    assert result.errors == [] and len(result.questions) == 8
    assert result.questions[0].line == 1
    assert result.questions[1].line == 8
    bad = (
        "Câu một?\nA. x\nB. y\nANSWER: C\n\n"
        "Câu hai?\nA) x\nB) y\n\n"
        "Câu ba?\nA. chỉ một\nANSWER: A\n\n"
        "Câu bốn?\nA. x\nB. y\nANSWER: b\n"
    )
    result = parse_aiken(bad, default_category="nhom")
    assert [(e.line, e.message[:12]) for e in result.errors] == [
        (1, "Đáp án “C” k"),
        (6, "Thiếu dòng “"),
        (10, "Câu hỏi cần "),
    ]
    assert len(result.questions) == 1
    q = result.questions[0]
    assert (q.line, q.category, [o["fraction"] for o in q.options]) == (14, "nhom", [0.0, 1.0])
