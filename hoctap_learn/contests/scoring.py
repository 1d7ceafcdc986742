"""Scoring of one answer against one question, for the five question types.

Pure functions of the stored question data and the participant's response, so they are
tested without a database. Responses refer to options by their id: the random id drawn for
the attempt (``{"id": …}`` in the attempt's snapshot of the options), or, for options
without one (the bank's own, and attempts drawn before migration 0015), their index.
"""

from __future__ import annotations

import math
import unicodedata


def fold(text: str) -> str:
    """Vietnamese folding for comparing short answers: case, accents (đ→d), whitespace."""
    text = unicodedata.normalize("NFD", str(text).lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.split())


def parse_number(value) -> float | None:
    """A participant's number: ``72``, ``72.5`` or the Vietnamese ``72,5``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _clamp(fraction: float) -> float:
    return max(0.0, min(1.0, fraction))


def option_id(option: dict, index: int):
    """The id a response uses for an option: its drawn id, else its index."""
    return option.get("id", index)


def _fractions(options: list) -> dict:
    """{option id: fraction} of a choice question."""
    return {option_id(o, i): o["fraction"] for i, o in enumerate(options)}


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def fraction_for(qtype: str, options: list, answer, response) -> float:
    """The share of the question's points earned by `response`, between 0 and 1."""
    if response is None:
        return 0.0
    if qtype == "single_choice":
        if not _is_id(response):
            return 0.0
        return _clamp(_fractions(options).get(response, 0.0))
    if qtype == "multiple_choice":
        if not isinstance(response, list):
            return 0.0
        fractions = _fractions(options)
        chosen = {i for i in response if _is_id(i) and i in fractions}
        # Partial credit: each correct option adds its weight, each wrong one subtracts.
        return _clamp(sum(fractions[i] for i in chosen))
    if qtype == "true_false":
        return 1.0 if isinstance(response, bool) and response == answer["value"] else 0.0
    if qtype == "short_answer":
        if not isinstance(response, str) or not response.strip():
            return 0.0
        given = fold(response)
        matches = [a["fraction"] for a in answer if fold(a["text"]) == given]
        return _clamp(max(matches, default=0.0))
    if qtype == "numerical":
        number = parse_number(response)
        if number is None:
            return 0.0
        matches = [
            a["fraction"]
            for a in answer
            if abs(number - a["value"]) <= a["tolerance"] + 1e-9 * max(1.0, abs(a["value"]))
        ]
        return _clamp(max(matches, default=0.0))
    return 0.0


def valid_response(qtype: str, options: list, response) -> bool:
    """Whether a response has the right shape for its question type (None clears it)."""
    if response is None:
        return True
    if qtype == "single_choice":
        return _is_id(response) and response in _fractions(options)
    if qtype == "multiple_choice":
        ids = _fractions(options)
        return (
            isinstance(response, list)
            and len(response) <= len(options)
            and all(_is_id(i) and i in ids for i in response)
        )
    if qtype == "true_false":
        return isinstance(response, bool)
    if qtype == "short_answer":
        return isinstance(response, str) and len(response) <= 500
    if qtype == "numerical":
        return (
            isinstance(response, str | int | float)
            and not isinstance(response, bool)
            and (len(str(response)) <= 50)
        )
    return False


def correct_answer(qtype: str, options: list, answer):
    """The correct answer in response form, for the result page once revealed."""
    if qtype == "single_choice":
        best = max(range(len(options)), key=lambda i: options[i]["fraction"])
        return option_id(options[best], best)
    if qtype == "multiple_choice":
        return [option_id(o, i) for i, o in enumerate(options) if o["fraction"] > 0]
    if qtype == "true_false":
        return answer["value"]
    if qtype == "short_answer":
        return max(answer, key=lambda a: a["fraction"])["text"]
    if qtype == "numerical":
        best = max(answer, key=lambda a: a["fraction"])
        return (
            best["value"] if not best["tolerance"] else f"{best['value']:g} ± {best['tolerance']:g}"
        )
    return None
