"""Attempt flow as services: drawing, timing and grace, resuming, submits, limits."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hoctap_learn.contests import attempts
from hoctap_learn.contests.models import (
    Attempt,
    AttemptQuestion,
    QuestionCategory,
    RoundCategory,
    TallyPending,
)
from hoctap_learn.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.factories import make_user

from .helpers import T0, as_ids, by_title, make_contest, participant

NOW = T0 + timedelta(hours=1)
GRACE = timedelta(seconds=15)


def start(db, user, round_, now=NOW, **kw):
    attempt = attempts.start_attempt(user, round_.id, now, rng=random.Random(1), **kw)
    db.session.commit()
    return attempt


def all_correct(attempt) -> dict:
    answers = {"SC": 0, "MC": [0, 1], "TF": True, "SA": "da nang", "NU": "72"}
    return {str(aq.id): as_ids(aq, answers[title]) for title, aq in by_title(attempt).items()}


def test_start_draws_and_stores_questions(db):
    _, round_ = make_contest(questions_per_attempt=3)
    user = participant()
    attempt = start(db, user, round_)
    assert len(attempt.questions) == 3 and attempt.max_score == 3
    assert attempt.deadline_at == NOW + timedelta(seconds=600)
    assert attempt.status == "in_progress" and attempt.number == 1
    views = attempts.question_views(attempt)
    as_text = json.dumps([v.__dict__ for v in views], ensure_ascii=False, default=str)
    assert "fraction" not in as_text and "Đà Nẵng" not in as_text
    for aq, view in zip(attempt.questions, views, strict=True):
        # The question as drawn is the attempt's own: ids drawn for it, not bank indices.
        assert aq.text == aq.question.text and view.text == aq.text
        if view.type in ("single_choice", "multiple_choice"):
            ids = [o["id"] for o in view.options]
            assert ids == [o["id"] for o in aq.options] and len(set(ids)) == len(ids)
            assert all(i >= 1 for i in ids) and not set(ids) <= set(range(len(ids)))


def test_draw_respects_round_categories(db):
    contest, round_ = make_contest(questions_per_attempt=10)
    category = db.session.scalar(select(QuestionCategory).where(QuestionCategory.name == "b"))
    db.session.add(RoundCategory(round_id=round_.id, category_id=category.id))
    db.session.commit()
    attempt = start(db, participant(), round_)
    assert sorted(by_title(attempt)) == ["NU", "SA"]


def test_deadline_capped_at_round_close(db):
    _, round_ = make_contest()
    late = round_.closes_at - timedelta(minutes=3)
    attempt = start(db, participant(), round_, now=late)
    assert attempt.deadline_at == round_.closes_at


def test_resume_returns_same_attempt_with_remaining_time(db):
    _, round_ = make_contest()
    user = participant()
    first = start(db, user, round_)
    again = start(db, user, round_, now=NOW + timedelta(minutes=4))
    assert again.id == first.id
    assert attempts.seconds_left(again, NOW + timedelta(minutes=4)) == 360


def test_database_refuses_two_attempts_in_progress(db):
    _, round_ = make_contest()
    user = participant()
    first = start(db, user, round_)
    db.session.add(
        Attempt(
            round_id=round_.id,
            user_id=user.id,
            number=2,
            status="in_progress",
            started_at=NOW,
            deadline_at=first.deadline_at,
        )  # fmt: skip
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_round_not_open_or_closed(db):
    _, round_ = make_contest()
    user = participant()
    with pytest.raises(Conflict, match="chưa mở"):
        attempts.start_attempt(user, round_.id, T0 - timedelta(seconds=1))
    with pytest.raises(Conflict, match="đã kết thúc"):
        attempts.start_attempt(user, round_.id, round_.closes_at)


def test_incomplete_profile_and_min_age(db):
    contest, round_ = make_contest()
    with pytest.raises(PermissionDenied, match="cập nhật đầy đủ"):
        attempts.start_attempt(make_user(), round_.id, NOW)
    contest.min_age = 30
    db.session.commit()
    with pytest.raises(PermissionDenied, match="30 tuổi"):
        attempts.start_attempt(participant(birth_year=2000), round_.id, NOW)


def test_unpublished_contest_is_hidden(db):
    contest, round_ = make_contest()
    contest.published = False
    db.session.commit()
    with pytest.raises(NotFound):
        attempts.start_attempt(participant(), round_.id, NOW)


def test_autosave_and_submit_scores_all_types(db):
    _, round_ = make_contest()
    user = participant()
    attempt = start(db, user, round_)
    assert attempts.save_answers(user, attempt.id, all_correct(attempt), NOW).saved == 5
    db.session.commit()
    done = attempts.submit_attempt(user, attempt.id, NOW + timedelta(minutes=2))
    db.session.commit()
    assert done.status == "finished" and done.finished_by == "participant"
    assert done.score == 5 and done.duration_ms == 120_000


def test_partial_credit_in_total(db):
    _, round_ = make_contest()
    user = participant()
    attempt = start(db, user, round_)
    q = by_title(attempt)
    answers = {str(q["MC"].id): as_ids(q["MC"], [0, 2, 1]), str(q["SA"].id): "DA",
               str(q["SC"].id): as_ids(q["SC"], 1)}  # fmt: skip
    done = attempts.submit_attempt(user, attempt.id, NOW, answers=answers)
    db.session.commit()
    assert done.score == pytest.approx(1.0)
    assert (q["MC"].points, q["SA"].points, q["SC"].points) == (0.5, 0.5, 0.0)
    assert q["MC"].response == sorted(as_ids(q["MC"], [0, 1, 2]))


def test_double_submit_gives_the_same_single_result(db):
    _, round_ = make_contest()
    user = participant()
    attempt = start(db, user, round_)
    first = attempts.submit_attempt(user, attempt.id, NOW + timedelta(seconds=30),
                                    answers=all_correct(attempt))  # fmt: skip
    db.session.commit()
    result = (first.id, first.score, first.submitted_at, first.duration_ms)
    second = attempts.submit_attempt(user, attempt.id, NOW + timedelta(seconds=90))
    db.session.commit()
    assert (second.id, second.score, second.submitted_at, second.duration_ms) == result
    count = db.session.scalar(select(func.count()).select_from(Attempt))
    assert count == 1


def test_submit_within_grace_counts_as_on_time(db):
    _, round_ = make_contest()
    user = participant()
    attempt = start(db, user, round_)
    in_grace = attempt.deadline_at + GRACE - timedelta(seconds=1)
    attempts.save_answers(user, attempt.id, all_correct(attempt), in_grace)
    done = attempts.submit_attempt(user, attempt.id, in_grace)
    db.session.commit()
    assert done.finished_by == "participant" and done.score == 5
    assert done.submitted_at == attempt.deadline_at and done.duration_ms == 600_000


def test_late_answers_are_refused_and_attempt_finalised(db):
    _, round_ = make_contest()
    user = participant()
    attempt = start(db, user, round_)
    q = by_title(attempt)
    attempts.save_answers(user, attempt.id, {str(q["TF"].id): True}, NOW)
    db.session.commit()
    late = attempt.deadline_at + GRACE + timedelta(seconds=1)
    with pytest.raises(attempts.AttemptClosed, match="hết thời gian"):
        attempts.save_answers(user, attempt.id, all_correct(attempt), late)
    db.session.commit()  # the view commits the finalisation before answering 409
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.finished_by == "deadline" and attempt.score == 1
    assert attempt.submitted_at == attempt.deadline_at
    with pytest.raises(attempts.AttemptClosed):
        attempts.submit_attempt(user, attempt.id, late, answers=all_correct(attempt))
    # A plain retry of the submit still gives the (single) result.
    assert attempts.submit_attempt(user, attempt.id, late).score == 1


def test_finalize_expired_and_cli(db, runner):
    _, round_ = make_contest()
    users = [participant() for _ in range(3)]
    started = [start(db, u, round_) for u in users]
    assert attempts.finalize_expired(started[0].deadline_at) == 0
    result = runner.invoke(args=["contest", "finalize", "--json"])  # real clock: 2026 > 2022
    assert result.exit_code == 0, result.output
    # The three ended attempts, queued for the report figures, counted in too.
    assert json.loads(result.stdout)["finalized"] == 3
    assert json.loads(result.stdout)["counted"] == 3
    db.session.expire_all()
    statuses = db.session.scalars(select(Attempt.finished_by)).all()
    assert statuses == ["deadline"] * 3
    assert db.session.scalar(select(func.count()).select_from(TallyPending)) == 0
    result = runner.invoke(args=["contest", "finalize", "--json"])
    assert json.loads(result.stdout) | {"at": None} == {"finalized": 0, "counted": 0, "at": None}


def test_attempt_is_finalised_on_next_request(db):
    _, round_ = make_contest()
    user = participant()
    attempt = start(db, user, round_)
    later = attempt.deadline_at + timedelta(minutes=5)
    again = attempts.get_attempt(user, attempt.id, later)
    assert again.finished and again.finished_by == "deadline"
    # And starting again opens the second attempt.
    second = start(db, user, round_, now=later)
    assert second.number == 2 and second.id != attempt.id


def test_attempts_limit(db):
    _, round_ = make_contest(attempts_allowed=1)
    user = participant()
    attempt = start(db, user, round_)
    attempts.submit_attempt(user, attempt.id, NOW)
    db.session.commit()
    with pytest.raises(Conflict, match="hết 1 lượt"):
        attempts.start_attempt(user, round_.id, NOW)


def test_unlimited_attempts(db):
    _, round_ = make_contest(attempts_allowed=None, opens_at=None, closes_at=None)
    user = participant()
    for n in range(1, 4):
        attempt = start(db, user, round_)
        assert attempt.number == n
        attempts.submit_attempt(user, attempt.id, NOW)
        db.session.commit()


def test_deleted_attempt_gives_the_turn_back_and_numbers_go_on(db):
    _, round_ = make_contest(attempts_allowed=2)
    user = participant()
    first_id = None
    for _ in range(2):
        attempt = start(db, user, round_)
        first_id = first_id or attempt.id
        attempts.submit_attempt(user, attempt.id, NOW)
        db.session.commit()
    db.session.delete(db.session.get(Attempt, first_id))  # an organizer removes the first
    db.session.commit()
    again = start(db, user, round_)
    assert again.number == 3  # not 2 again: numbers stay unique per participant and round
    assert [a.number for a in attempts.attempts_of(user, round_.id)] == [2, 3]


def test_bad_answers_save_nothing(db):
    _, round_ = make_contest()
    user = participant()
    attempt = start(db, user, round_)
    q = by_title(attempt)
    with pytest.raises(ValidationError, match="không thuộc"):
        attempts.save_answers(user, attempt.id, {str(q["SC"].id): as_ids(q["SC"], 0),
                                                 "999999": 1}, NOW)  # fmt: skip
    db.session.rollback()
    with pytest.raises(ValidationError, match="không hợp lệ"):
        attempts.save_answers(user, attempt.id, {str(q["SC"].id): as_ids(q["SC"], 0),
                                                 str(q["TF"].id): "x"}, NOW)  # fmt: skip
    db.session.rollback()
    with pytest.raises(ValidationError, match="không hợp lệ"):  # a bank index is no option id
        attempts.save_answers(user, attempt.id, {str(q["SC"].id): 0}, NOW)
    db.session.rollback()
    with pytest.raises(ValidationError):
        attempts.save_answers(user, attempt.id, ["not", "a", "dict"], NOW)
    db.session.rollback()
    saved = db.session.scalars(select(AttemptQuestion.response)).all()
    assert saved == [None] * 5


def test_someone_elses_attempt_is_not_found(db):
    _, round_ = make_contest()
    attempt = start(db, participant(), round_)
    with pytest.raises(NotFound):
        attempts.save_answers(participant(), attempt.id, {}, NOW)


def test_prediction_only_when_enabled(db):
    _, round_ = make_contest()
    user = participant()
    attempt = start(db, user, round_)
    with pytest.raises(ValidationError, match="dự đoán"):
        attempts.save_answers(user, attempt.id, {}, NOW, prediction=10)
    db.session.rollback()
    round_.prediction_enabled = True
    db.session.commit()
    with pytest.raises(ValidationError, match="không âm"):
        attempts.save_answers(user, attempt.id, {}, NOW, prediction=-1)
    db.session.rollback()
    attempts.save_answers(user, attempt.id, {}, NOW, prediction=10)
    db.session.commit()
    db.session.refresh(attempt)
    assert attempt.prediction == 10
    attempts.save_answers(user, attempt.id, {}, NOW, prediction=12)
    attempts.save_answers(user, attempt.id, {}, NOW, prediction=12)  # unchanged: no write
    db.session.commit()
    db.session.refresh(attempt)
    assert attempt.prediction == 12


def test_answers_revealed_per_round_setting(db):
    _, round_ = make_contest(reveal_answers="after_close")
    user = participant()
    attempt = start(db, user, round_)
    attempts.submit_attempt(user, attempt.id, NOW)
    db.session.commit()
    assert not attempts.answers_revealed(attempt, NOW)
    assert attempts.answers_revealed(attempt, round_.closes_at)
    round_.reveal_answers = "never"
    assert not attempts.answers_revealed(attempt, round_.closes_at)
    round_.reveal_answers = "after_submit"
    assert attempts.answers_revealed(attempt, NOW)
