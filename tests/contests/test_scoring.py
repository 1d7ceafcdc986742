"""Scoring rules, without a database."""

from __future__ import annotations

import pytest

from hoctap_learn.contests.gift import parse_gift
from hoctap_learn.contests.scoring import correct_answer, fold, fraction_for, valid_response

from .helpers import BANK

QUESTIONS = {q.title: q for q in parse_gift(BANK).questions}


def score(title, response):
    q = QUESTIONS[title]
    return fraction_for(q.type, q.options, q.answer, response)


def test_fold_vietnamese():
    assert fold("  Đà   NẴNG ") == "da nang"
    assert fold("Học tập suốt đời") == fold("hoc tap suot doi")
    assert fold("đ Đ") == "d d"


@pytest.mark.parametrize(
    ("title", "response", "expected"),
    [
        ("SC", 0, 1.0),
        ("SC", 1, 0.0),
        ("SC", 7, 0.0),
        ("SC", True, 0.0),
        ("SC", None, 0.0),
        ("MC", [0, 1], 1.0),
        ("MC", [0], 0.5),
        ("MC", [0, 2], 0.0),
        ("MC", [0, 1, 2], 0.5),
        ("MC", [2, 3], 0.0),  # never below zero
        ("MC", [0, 1, 2, 3], 0.0),  # ticking everything earns nothing
        ("TF", True, 1.0),
        ("TF", False, 0.0),
        ("TF", "true", 0.0),
        ("SA", "đà nẵng", 1.0),
        ("SA", "  DA   NANG ", 1.0),
        ("SA", "Da", 0.5),
        ("SA", "Huế", 0.0),
        ("SA", "", 0.0),
        ("NU", "72", 1.0),
        ("NU", "70", 1.0),
        ("NU", "74,0", 1.0),
        ("NU", 74.5, 0.0),
        ("NU", "69.9", 0.0),
        ("NU", "bảy hai", 0.0),
        ("NU", "nan", 0.0),
    ],
)
def test_fraction(title, response, expected):
    assert score(title, response) == pytest.approx(expected)


def test_valid_response_shapes():
    sc, mc, tf = QUESTIONS["SC"], QUESTIONS["MC"], QUESTIONS["TF"]
    assert valid_response(sc.type, sc.options, 2) and not valid_response(sc.type, sc.options, 3)
    assert not valid_response(sc.type, sc.options, "0")
    assert valid_response(mc.type, mc.options, [0, 3]) and not valid_response(
        mc.type, mc.options, [9]
    )
    assert valid_response(tf.type, tf.options, False) and not valid_response(tf.type, [], 1)
    assert valid_response("short_answer", [], "x") and not valid_response(
        "short_answer", [], "x" * 501
    )
    assert valid_response("numerical", [], "1,5") and not valid_response("numerical", [], True)
    assert valid_response("single_choice", [], None)


def test_correct_answers():
    assert correct_answer("multiple_choice", QUESTIONS["MC"].options, None) == [0, 1]
    assert correct_answer("numerical", [], QUESTIONS["NU"].answer) == "72 ± 2"
    assert correct_answer("short_answer", [], QUESTIONS["SA"].answer) == "Đà Nẵng"
