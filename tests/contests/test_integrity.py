"""Attempts drawn before migration 0015 (option ids = bank indices, no snapshot of their own)
keep their results and still work, and the migration carries old data over."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select, text

from hoctap_learn.contests import attempts, ranking
from hoctap_learn.contests.models import Attempt, AttemptQuestion, Question
from hoctap_learn.core.types import utcnow
from tests.conftest import login
from tests.factories import PASSWORD

from .helpers import T0, as_ids, by_title, make_contest, participant
from .test_api import BASE, open_contest, token_for


def _as_before_0015(db, attempt_id: int) -> dict[str, int]:
    """Rewrite an attempt's questions the way attempts were stored before 0015: the bank's
    options without ids, shown in `option_order` (bank indices), reversed here."""
    titles = {}
    for aq in db.session.scalars(select(AttemptQuestion).where(
            AttemptQuestion.attempt_id == attempt_id)):  # fmt: skip
        q = aq.question
        aq.options = q.options
        aq.option_order = list(reversed(range(len(q.options))))
        titles[q.title] = aq.id
    db.session.commit()
    return titles


def test_an_attempt_drawn_before_0015_goes_on_with_bank_indices(client, db):
    contest, _round = open_contest(reveal_answers="after_submit")
    user = participant()
    headers = token_for(client, user)
    started = client.post(f"{BASE}/{contest.slug}/rounds/vong-1/attempts", headers=headers).json
    ids = _as_before_0015(db, started["id"])
    shown = client.get(f"{BASE}/attempts/{started['id']}", headers=headers).json
    sc = next(q for q in shown["questions"] if q["id"] == ids["SC"])
    bank_sc = db.session.get(AttemptQuestion, ids["SC"]).question.options
    assert [o["id"] for o in sc["options"]] == list(reversed(range(len(bank_sc))))
    right_sc = next(i for i, o in enumerate(bank_sc) if o["text"] == "Đúng")
    bank_mc = db.session.get(AttemptQuestion, ids["MC"]).question.options
    right_mc = [i for i, o in enumerate(bank_mc) if o["text"] in ("A", "B")]
    answers = {str(ids["SC"]): right_sc, str(ids["MC"]): right_mc, str(ids["TF"]): True,
               str(ids["SA"]): "Đà Nẵng", str(ids["NU"]): "72"}  # fmt: skip
    assert client.put(f"{BASE}/attempts/{started['id']}/answers", headers=headers,
                      json={"answers": answers}).status_code == 200  # fmt: skip
    done = client.post(f"{BASE}/attempts/{started['id']}/submit", headers=headers).json
    assert done["score"] == 5.0
    by_id = {q["id"]: q for q in done["questions"]}
    assert by_id[ids["SC"]]["correct_answer"] == right_sc
    assert by_id[ids["MC"]]["correct_answer"] == right_mc
    login(client, user.email, PASSWORD)
    page = client.get(f"/contests/attempts/{started['id']}/result").get_data(as_text=True)
    assert "Đáp án: Đúng" in page and "<strong>5</strong> / 5" in page


def test_migration_0015_keeps_old_results_and_predictions(app, db):
    from flask_migrate import downgrade, upgrade

    _contest, round_ = make_contest(prediction_enabled=True)
    user = participant()
    now = T0 + timedelta(minutes=5)
    attempt = attempts.start_attempt(user, round_.id, now, rng=random.Random(3))
    q = by_title(attempt)
    attempts.submit_attempt(user, attempt.id, now + timedelta(minutes=1),
                            answers={str(q["SC"].id): as_ids(q["SC"], 0)}, prediction=7)
    db.session.commit()
    attempt_id, round_id, user_id = attempt.id, round_.id, user.id
    db.session.remove()
    downgrade(revision="0014")
    with db.engine.connect() as conn:
        kept = conn.execute(text("SELECT round_id, user_id, value FROM contest_predictions"))
        assert kept.all() == [(round_id, user_id, 7)]
    upgrade()
    db.session.remove()
    back = db.session.get(Attempt, attempt_id)
    assert (back.prediction, back.score, back.status) == (7, 1.0, "finished")
    for aq in back.questions:  # the snapshot is filled from the bank
        question = db.session.get(Question, aq.question_id)
        assert (aq.type, aq.text, aq.options, aq.answer, aq.feedback) == (
            question.type, question.text, question.options, question.answer,
            question.general_feedback)  # fmt: skip
    closed = db.session.get(Attempt, attempt_id).round
    closed.closes_at = utcnow() - timedelta(seconds=1)
    closed.opens_at = closed.closes_at - timedelta(days=1)
    db.session.commit()
    (row,) = ranking.leaderboard(closed.contest, round_id)
    assert (row.prediction, row.prediction_gap, row.score) == (7, 6, 1.0)
