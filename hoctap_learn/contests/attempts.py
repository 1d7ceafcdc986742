"""Attempt use cases: start, autosave, submit, finalise expired attempts, results.

Only the server's clock counts. Functions take ``now`` so tests control time; they only
flush, the caller commits. Submitting is idempotent: the row update that ends an attempt
is conditional on it still being in progress, so two submits racing each other end it
exactly once and both return the same result.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from . import scoring
from .models import Attempt, AttemptQuestion, Prediction, Question, Round, RoundCategory


class AttemptClosed(Conflict):
    """Answers arrived after the deadline plus grace. The attempt has been finalised, so
    callers commit before turning this into a response."""


#: Loads an attempt with its questions and round in three queries instead of one per question.
_WITH_QUESTIONS = (
    selectinload(Attempt.questions).joinedload(AttemptQuestion.question),
    joinedload(Attempt.round).joinedload(Round.contest),
)
_STATE = ["status", "finished_by", "submitted_at", "last_saved_at", "score", "duration_ms"]


def grace() -> timedelta:
    return timedelta(seconds=current_app.config.get("HOCTAP_CONTEST_GRACE_SECONDS", 15))


def get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound("Không tìm thấy vòng thi.")
    return round_


def check_eligible(user, round_: Round, now: datetime) -> None:
    contest = round_.contest
    if not contest.published and not user.is_staff:
        raise NotFound("Không tìm thấy vòng thi.")
    if not user.profile_complete:
        raise PermissionDenied(
            "Vui lòng cập nhật đầy đủ họ tên, năm sinh, đơn vị và đối tượng trước khi dự thi."
        )
    if contest.min_age and user.birth_year:
        year = contest.campaign.year if contest.campaign else now.year
        if year - user.birth_year < contest.min_age:
            raise PermissionDenied(f"Cuộc thi dành cho người từ {contest.min_age} tuổi trở lên.")
    if contest.kind == "creative":
        raise ValidationError("Cuộc thi này không có phần thi trắc nghiệm.")


def _in_progress(user_id: int, round_id: int) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(
            Attempt.user_id == user_id,
            Attempt.round_id == round_id,
            Attempt.status == "in_progress",
        )
    )


def _draw(round_: Round, rng: random.Random) -> list[Question]:
    query = select(Question.id).where(
        Question.contest_id == round_.contest_id, Question.active.is_(True)
    )
    category_ids = select(RoundCategory.category_id).where(RoundCategory.round_id == round_.id)
    if db.session.scalar(select(func.count()).select_from(category_ids.subquery())):
        query = query.where(Question.category_id.in_(category_ids))
    pool = list(db.session.scalars(query.order_by(Question.id)))
    if not pool:
        raise ValidationError("Ngân hàng câu hỏi của vòng thi này chưa có câu hỏi nào.")
    drawn = rng.sample(pool, min(round_.questions_per_attempt, len(pool)))
    if not round_.shuffle_questions:
        drawn.sort()
    # Only the drawn questions are loaded (their JSON is what costs).
    by_id = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(drawn)))}
    return [by_id[i] for i in drawn]


def start_attempt(user, round_id: int, now: datetime, rng: random.Random | None = None) -> Attempt:
    """Resume the attempt in progress or start a new one with freshly drawn questions."""
    round_ = get_round(round_id)
    check_eligible(user, round_, now)
    current = _in_progress(user.id, round_.id)
    if current is not None and not finalize_if_expired(current, now):
        return current
    if not round_.is_open(now):
        if round_.opens_at and now < round_.opens_at:
            raise Conflict("Vòng thi chưa mở.")
        raise Conflict("Vòng thi đã kết thúc.")
    used = db.session.scalar(
        select(func.count(Attempt.id)).where(
            Attempt.user_id == user.id, Attempt.round_id == round_.id
        )
    )
    if round_.attempts_allowed is not None and used >= round_.attempts_allowed:
        raise Conflict(f"Bạn đã dùng hết {round_.attempts_allowed} lượt thi của vòng này.")
    rng = rng or random.SystemRandom()
    deadline = now + timedelta(seconds=round_.time_limit_seconds)
    if round_.closes_at is not None:
        deadline = min(deadline, round_.closes_at)
    attempt = Attempt(
        round_id=round_.id,
        user_id=user.id,
        number=used + 1,
        status="in_progress",
        started_at=now,
        deadline_at=deadline,
    )
    for position, question in enumerate(_draw(round_, rng), start=1):
        order = list(range(len(question.options)))
        if round_.shuffle_options and question.type in ("single_choice", "multiple_choice"):
            rng.shuffle(order)
        attempt.questions.append(
            AttemptQuestion(
                question=question,
                position=position,
                option_order=order,
                max_points=question.points,
            )
        )
    attempt.max_score = sum(q.max_points for q in attempt.questions)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        # Another request started an attempt at the same moment: the database kept one.
        current = _in_progress(user.id, round_.id)
        if current is None:
            raise Conflict("Không thể bắt đầu lượt thi, vui lòng thử lại.") from None
        return current
    return attempt


def get_attempt(user, attempt_id: int, now: datetime) -> Attempt:
    """The participant's own attempt, finalised first if its time is over."""
    attempt = db.session.get(Attempt, attempt_id, options=_WITH_QUESTIONS)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound("Không tìm thấy lượt thi.")
    finalize_if_expired(attempt, now)
    return attempt


def _lock_in_progress(attempt: Attempt, now: datetime, **values) -> bool:
    """Conditionally touch the attempt row; False when it is no longer in progress.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) first, so
    everything after it in the transaction sees the attempt's final state.
    """
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(last_saved_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(attempt, _STATE)
    if result.rowcount == 1:
        # Answers saved by a concurrent request before we took the lock: reload them all.
        db.session.execute(
            select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt.id)
            .execution_options(populate_existing=True)
        ).all()
    return result.rowcount == 1


def _apply_answers(attempt: Attempt, answers: dict) -> int:
    if not isinstance(answers, dict):
        raise ValidationError("“answers” phải là một đối tượng {mã câu hỏi: câu trả lời}.")
    rows = {
        str(aq.id): _QuestionRow(aq.id, aq.position, aq.question.type, aq.question.options)
        for aq in attempt.questions
    }
    by_id = {aq.id: aq for aq in attempt.questions}
    changes = _validated(answers, rows)
    for aq_id, value in changes:
        by_id[aq_id].response = value
    return len(changes)


@dataclass(frozen=True)
class _QuestionRow:
    id: int
    position: int
    type: str
    options: list


def _set_prediction(user, round_: Round, value) -> None:
    if value is None:
        return
    if not round_.prediction_enabled:
        raise ValidationError("Vòng thi này không có câu hỏi dự đoán.")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
        raise ValidationError("Số dự đoán phải là số nguyên không âm.", field="prediction")
    prediction = db.session.scalar(
        select(Prediction).where(Prediction.user_id == user.id, Prediction.round_id == round_.id)
    )
    if prediction is None:
        db.session.add(Prediction(user_id=user.id, round_id=round_.id, value=value))
    else:
        prediction.value = value


LATE_MESSAGE = "Đã hết thời gian làm bài; câu trả lời gửi sau thời hạn không được ghi nhận."


def save_answers(user, attempt_id: int, answers: dict, now: datetime, prediction=None) -> int:
    """Autosave: store the given answers; returns how many were saved.

    The hot path of a contest (every change autosaves), so it reads plain rows with Core
    and writes the answers in one executemany instead of hydrating the whole attempt.
    """
    if not isinstance(answers, dict):
        raise ValidationError("“answers” phải là một đối tượng {mã câu hỏi: câu trả lời}.")
    # Fast path: one conditional UPDATE both checks the attempt (own, in progress, in time)
    # and takes its lock. Only when it matches nothing do we look at why.
    locked = db.session.execute(
        update(Attempt)
        .where(
            Attempt.id == attempt_id,
            Attempt.user_id == user.id,
            Attempt.status == "in_progress",
            Attempt.deadline_at >= now - grace(),
        )
        .values(last_saved_at=now)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount != 1:
        _refuse_save(user, attempt_id, now)
    questions = db.session.execute(
        select(AttemptQuestion.id, AttemptQuestion.position, Question.type, Question.options)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.attempt_id == attempt_id)
    ).all()
    changes = _validated(answers, {str(q.id): q for q in questions})
    if changes:
        db.session.execute(
            update(AttemptQuestion).execution_options(synchronize_session=False),
            [{"id": aq_id, "response": value} for aq_id, value in changes],
        )
    if prediction is not None:
        round_id = db.session.scalar(select(Attempt.round_id).where(Attempt.id == attempt_id))
        _set_prediction(user, db.session.get(Round, round_id), prediction)
    db.session.flush()
    return len(changes)


def _refuse_save(user, attempt_id: int, now: datetime):
    """Raise the right error for an autosave that matched no attempt in progress."""
    row = db.session.execute(
        select(Attempt.user_id, Attempt.status, Attempt.finished_by).where(Attempt.id == attempt_id)
    ).first()
    if row is None or row.user_id != user.id:
        raise NotFound("Không tìm thấy lượt thi.")
    attempt = get_attempt(user, attempt_id, now)  # finalises it if its time is over
    if attempt.finished and attempt.finished_by == "deadline":
        raise AttemptClosed(LATE_MESSAGE)
    raise AttemptClosed(SUBMITTED_MESSAGE)


SUBMITTED_MESSAGE = "Bạn đã nộp bài; không thể sửa câu trả lời."


def _validated(answers: dict, by_id: dict) -> list[tuple[int, object]]:
    """(attempt question id, response) pairs, all checked before anything is written."""
    changes = []
    for key, value in answers.items():
        q = by_id.get(str(key))
        if q is None:
            raise ValidationError(f"Câu hỏi “{key}” không thuộc lượt thi này.")
        if not scoring.valid_response(q.type, q.options, value):
            raise ValidationError(f"Câu trả lời cho câu {q.position} không hợp lệ.")
        if q.type == "multiple_choice" and value is not None:
            value = sorted(set(value))
        changes.append((q.id, value))
    return changes


def _score(attempt: Attempt) -> None:
    total = 0.0
    for aq in attempt.questions:
        q = aq.question
        fraction = scoring.fraction_for(q.type, q.options, q.answer, aq.response)
        aq.points = round(fraction * aq.max_points, 4)
        total += aq.points
    attempt.score = round(total, 4)


def _finish(attempt: Attempt, at: datetime, by: str, now: datetime) -> bool:
    if not _lock_in_progress(attempt, now, status="finished", submitted_at=at, finished_by=by):
        return False
    _record_score(attempt, at)
    return True


def _record_score(attempt: Attempt, at: datetime) -> None:
    attempt.duration_ms = int((at - attempt.started_at).total_seconds() * 1000)
    _score(attempt)
    db.session.flush()


def finalize_if_expired(attempt: Attempt, now: datetime) -> bool:
    """End an attempt whose deadline plus grace has passed; True if it is finished."""
    if attempt.finished:
        return True
    if now <= attempt.deadline_at + grace():
        return False
    _finish(attempt, attempt.deadline_at, "deadline", now)
    return True


def submit_attempt(
    user, attempt_id: int, now: datetime, answers: dict | None = None, prediction=None
) -> Attempt:
    """Submit (with any last answers). Submitting again returns the same finished attempt."""
    attempt = get_attempt(user, attempt_id, now)
    if attempt.finished:
        if answers and attempt.finished_by == "deadline":
            raise AttemptClosed(LATE_MESSAGE)
        return attempt
    # Time taken never exceeds the limit: a submit inside the grace period counts as on time.
    at = min(now, attempt.deadline_at)
    # Ending the attempt is the lock: a concurrent submit waits here, then finds it ended.
    if not _lock_in_progress(
        attempt, now, status="finished", submitted_at=at, finished_by="participant"
    ):
        return attempt  # a concurrent submit ended it first: same single result
    if answers:
        _apply_answers(attempt, answers)
    _set_prediction(user, attempt.round, prediction)
    _record_score(attempt, at)
    return attempt


def finalize_expired(now: datetime, round_id: int | None = None) -> int:
    """Finalise every attempt whose deadline plus grace has passed (the CLI, the ranking)."""
    query = select(Attempt).where(
        Attempt.status == "in_progress", Attempt.deadline_at < now - grace()
    )
    if round_id is not None:
        query = query.where(Attempt.round_id == round_id)
    count = 0
    for attempt in db.session.scalars(query.order_by(Attempt.id)).all():
        if finalize_if_expired(attempt, now):
            count += 1
    return count


# --- what participants see ------------------------------------------------------------------


def answers_revealed(attempt: Attempt, now: datetime) -> bool:
    if not attempt.finished:
        return False
    mode = attempt.round.reveal_answers
    if mode == "after_submit":
        return True
    if mode == "after_close":
        return attempt.round.is_closed(now)
    return False


@dataclass
class QuestionView:
    id: int
    position: int
    type: str
    text: str
    options: list[dict]
    response: object


def question_views(attempt: Attempt) -> list[QuestionView]:
    """Questions without their answers, options in the attempt's order (ids are stable)."""
    views = []
    for aq in attempt.questions:
        q = aq.question
        options = [{"id": i, "text": q.options[i]["text"]} for i in aq.option_order]
        if q.type == "true_false":
            options = [{"id": True, "text": "Đúng"}, {"id": False, "text": "Sai"}]
        views.append(QuestionView(aq.id, aq.position, q.type, q.text, options, aq.response))
    return views


def seconds_left(attempt: Attempt, now: datetime) -> int:
    if attempt.finished:
        return 0
    return max(0, int((attempt.deadline_at - now).total_seconds()))


def attempts_of(user, round_id: int) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.round_id == round_id)
            .order_by(Attempt.number)
        )
    )
