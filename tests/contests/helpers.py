"""Contest fixtures for tests: a small bank with one question of each type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hoctap_learn.contests import bank
from hoctap_learn.contests.gift import parse_gift
from hoctap_learn.contests.models import Contest, Round
from hoctap_learn.extensions import db
from tests.factories import make_unit, make_user

BANK = """$CATEGORY: a
::SC:: Một đáp án {=Đúng ~Sai một ~Sai hai}

::MC:: Nhiều đáp án {~%50%A ~%50%B ~%-50%C ~%-50%D}

::TF:: Đúng hay sai {T}

$CATEGORY: b
::SA:: Điền từ {=Đà Nẵng =%50%Da}

::NU:: Số {#72:2}
"""

T0 = datetime(2022, 10, 19, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam


def make_contest(unit=None, **round_values) -> tuple[Contest, Round]:
    unit = unit or make_unit()
    contest = Contest(slug=f"c-{unit.code}", title="Cuộc thi thử", unit_id=unit.id, published=True)
    db.session.add(contest)
    db.session.flush()
    bank.store_questions(contest, parse_gift(BANK).questions, bank.ImportReport())
    values = {
        "slug": "vong-1",
        "title": "Vòng 1",
        "opens_at": T0,
        "closes_at": T0 + timedelta(days=3),
        "questions_per_attempt": 5,
        "time_limit_seconds": 600,
        "attempts_allowed": 2,
        "reveal_answers": "after_submit",
    }
    values.update(round_values)
    round_ = Round(contest=contest, **values)
    db.session.add(round_)
    db.session.commit()
    return contest, round_


def participant(unit=None, **kw):
    kw.setdefault("birth_year", 2000)
    kw.setdefault("target_group", "nguoi_dan")
    return make_user(unit=unit or make_unit(), **kw)


def by_title(attempt) -> dict:
    return {aq.question.title: aq for aq in attempt.questions}


#: The choice options of `BANK` in the order the GIFT text lists them.
BANK_OPTIONS = {"SC": ["Đúng", "Sai một", "Sai hai"], "MC": ["A", "B", "C", "D"]}


def as_ids(aq, value):
    """A response written with the positions of the options in `BANK`'s text (``0`` is the
    first option listed there) as the attempt's own option ids; other types unchanged."""
    texts = BANK_OPTIONS.get(aq.question.title)
    if texts is None or value is None:
        return value
    ids = {o["text"]: o["id"] for o in aq.options}
    if isinstance(value, list):
        return [ids[texts[i]] for i in value]
    return ids[texts[value]]
