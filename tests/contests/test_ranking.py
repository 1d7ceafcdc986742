"""The leaderboard query: every tie-break rule, best attempt, overall, name display."""

from __future__ import annotations

import random
from datetime import timedelta

from hoctap_learn.contests import attempts
from hoctap_learn.contests.models import Round
from hoctap_learn.contests.ranking import abbreviate, leaderboard

from .helpers import T0, as_ids, by_title, make_contest, participant

NOW = T0 + timedelta(hours=1)


def play(db, user, round_, correct: int, start=NOW, seconds=60, prediction=None):
    """An attempt with `correct` of the five questions right (SC, TF, NU, SA, MC order)."""
    attempt = attempts.start_attempt(user, round_.id, start, rng=random.Random(2))
    q = by_title(attempt)
    right = [("SC", 0), ("TF", True), ("NU", "72"), ("SA", "Đà Nẵng"), ("MC", [0, 1])]
    answers = {str(q[t].id): as_ids(q[t], v) for t, v in right[:correct]}
    attempts.submit_attempt(
        user, attempt.id, start + timedelta(seconds=seconds), answers=answers,
        prediction=prediction,
    )  # fmt: skip
    db.session.commit()
    return attempt


def names(rows):
    return [r.user_id for r in rows]


def test_score_first(db):
    contest, round_ = make_contest()
    a, b = participant(), participant()
    play(db, a, round_, 3, seconds=10)
    play(db, b, round_, 4, seconds=500)
    rows = leaderboard(contest, round_.id)
    assert names(rows) == [b.id, a.id]
    assert [r.rank for r in rows] == [1, 2] and rows[0].score == 4 and rows[0].max_score == 5


def test_prediction_closeness_breaks_score_ties(db):
    contest, round_ = make_contest(prediction_enabled=True)
    a, b, c = participant(), participant(), participant()
    play(db, a, round_, 3, seconds=10, prediction=100)  # 3 participants: gap 97
    play(db, b, round_, 3, seconds=300, prediction=4)  # gap 1
    play(db, c, round_, 3, seconds=5)  # no prediction: last among equals
    rows = leaderboard(contest, round_.id)
    assert names(rows) == [b.id, a.id, c.id]
    assert [r.prediction_gap for r in rows] == [1, 97, None]
    # An official count, once set, replaces the live count.
    round_.prediction_answer = 90
    db.session.commit()
    assert names(leaderboard(contest, round_.id)) == [a.id, b.id, c.id]


def test_time_taken_breaks_ties(db):
    contest, round_ = make_contest()
    a, b = participant(), participant()
    play(db, a, round_, 2, start=NOW, seconds=200)
    play(db, b, round_, 2, start=NOW + timedelta(minutes=5), seconds=100)
    assert names(leaderboard(contest, round_.id)) == [b.id, a.id]


def test_submission_time_breaks_remaining_ties(db):
    contest, round_ = make_contest()
    a, b = participant(), participant()
    play(db, a, round_, 2, start=NOW + timedelta(minutes=1), seconds=100)
    play(db, b, round_, 2, start=NOW, seconds=100)
    rows = leaderboard(contest, round_.id)
    assert names(rows) == [b.id, a.id]
    assert rows[0].submitted_at < rows[1].submitted_at


def test_best_attempt_counts(db):
    contest, round_ = make_contest()
    a, b = participant(), participant()
    play(db, a, round_, 1, seconds=10)
    play(db, a, round_, 4, start=NOW + timedelta(minutes=20), seconds=50)
    play(db, b, round_, 3)
    rows = leaderboard(contest, round_.id)
    assert names(rows) == [a.id, b.id]
    assert (rows[0].score, rows[0].duration_ms, rows[0].attempts) == (4, 50_000, 2)


def test_in_progress_attempts_are_not_ranked(db):
    contest, round_ = make_contest()
    a = participant()
    attempts.start_attempt(a, round_.id, NOW)
    db.session.commit()
    assert leaderboard(contest, round_.id) == []


def test_overall_sums_official_rounds_only(db):
    contest, round_ = make_contest()
    second = Round(contest=contest, slug="vong-2", title="Vòng 2", opens_at=T0,
                   closes_at=T0 + timedelta(days=5), questions_per_attempt=5,
                   time_limit_seconds=600, attempts_allowed=1, reveal_answers="never")  # fmt: skip
    practice = Round(contest=contest, slug="thu", title="Thử", is_practice=True,
                     questions_per_attempt=5, time_limit_seconds=600,
                     reveal_answers="after_submit")  # fmt: skip
    db.session.add_all([second, practice])
    db.session.commit()
    a, b = participant(), participant()
    play(db, a, round_, 3)
    play(db, a, second, 3)
    play(db, b, round_, 5)
    play(db, b, practice, 5)
    rows = leaderboard(contest)
    assert names(rows) == [a.id, b.id]
    assert (rows[0].score, rows[0].max_score, rows[1].score) == (6, 10, 5)
    assert names(leaderboard(contest, practice.id)) == [b.id]
    assert names(leaderboard(contest, round_.id, limit=1, offset=1)) == [a.id]


def test_names_full_or_abbreviated(db):
    contest, round_ = make_contest()
    user = participant(full_name="Nguyễn Văn An")
    play(db, user, round_, 1)
    assert leaderboard(contest, round_.id)[0].name == "Nguyễn V. A."
    contest.name_display = "full"
    db.session.commit()
    assert leaderboard(contest, round_.id)[0].name == "Nguyễn Văn An"
    assert abbreviate("Lê") == "Lê" and abbreviate("trần thị bích") == "trần T. B."
