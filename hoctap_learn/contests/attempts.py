"""Attempt use cases: start (draw the questions), resume, and what participants see.

Autosave, submit and finalisation are the hot paths: they live in `sheet` (plain rows)
and are re-exported here so callers have one module of attempt use cases. Only the
server's clock counts: functions take ``now`` so tests control time; the caller commits.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from . import sheet, shown
from .models import Attempt, AttemptQuestion, Question, Round, RoundCategory
from .sheet import (  # noqa: F401  (re-exported use cases)
    LATE_MESSAGE,
    SUBMITTED_MESSAGE,
    AttemptClosed,
    finalize_expired,
    grace,
    save_answers,
    submit_attempt,
)
from .shown import QuestionView, Sheet, shown_options

#: Loads an attempt with its questions (their snapshots) and round in two queries.
_WITH_QUESTIONS = (
    selectinload(Attempt.questions),
    joinedload(Attempt.round).joinedload(Round.contest),
)


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


_Q = Question.__table__


def _draw(round_: Round, rng: random.Random) -> list:
    """The drawn questions as rows (the columns of their snapshot), in the order shown."""
    chosen = select(RoundCategory.category_id).where(RoundCategory.round_id == round_.id)
    query = select(Question.id).where(
        Question.contest_id == round_.contest_id,
        Question.active.is_(True),
        # A round with categories draws from them; one without, from the whole bank.
        or_(~exists(chosen), Question.category_id.in_(chosen)),
    )
    pool = list(db.session.scalars(query.order_by(Question.id)))
    if not pool:
        raise ValidationError("Ngân hàng câu hỏi của vòng thi này chưa có câu hỏi nào.")
    drawn = rng.sample(pool, min(round_.questions_per_attempt, len(pool)))
    if not round_.shuffle_questions:
        drawn.sort()
    # Only the drawn questions are read (their JSON is what costs), as plain rows.
    rows = db.session.connection().execute(
        select(_Q.c.id, _Q.c.type, _Q.c.text, _Q.c.options, _Q.c.answer,
               _Q.c.general_feedback, _Q.c.points).where(_Q.c.id.in_(drawn))  # fmt: skip
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in drawn]


def _insert_unless_conflict(table):
    """INSERT … ON CONFLICT DO NOTHING on either database (the loser of a race inserts
    nothing instead of failing, so no savepoint is needed around it)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def start_attempt(user, round_id: int, now: datetime, rng: random.Random | None = None) -> Attempt:
    """Resume the attempt in progress or start a new one with freshly drawn questions,
    loaded with its questions."""
    return db.session.get(Attempt, _begin(user, round_id, now, rng), options=_WITH_QUESTIONS)


def start_sheet(user, round_id: int, now: datetime, rng: random.Random | None = None) -> Sheet:
    """`start_attempt` as plain data (one statement instead of loading objects): what the
    API answers to everyone at once when a round opens."""
    return sheet.read(_begin(user, round_id, now, rng))


def _begin(user, round_id: int, now: datetime, rng: random.Random | None) -> int:
    """The id of the attempt in progress, or of a new one with freshly drawn questions.

    A start happens for everyone at once when a round opens, so the new rows are written
    with two Core statements.
    """
    round_ = get_round(round_id)
    check_eligible(user, round_, now)
    current = _in_progress(user.id, round_.id)
    if current is not None and not finalize_if_expired(current, now):
        return current.id
    if not round_.is_open(now):
        if round_.opens_at and now < round_.opens_at:
            raise Conflict("Vòng thi chưa mở.")
        raise Conflict("Vòng thi đã kết thúc.")
    # Numbered after the last one: an organizer may have deleted an earlier attempt.
    used, last = db.session.execute(
        select(func.count(Attempt.id), func.coalesce(func.max(Attempt.number), 0)).where(
            Attempt.user_id == user.id, Attempt.round_id == round_.id
        )
    ).one()
    if round_.attempts_allowed is not None and used >= round_.attempts_allowed:
        raise Conflict(f"Bạn đã dùng hết {round_.attempts_allowed} lượt thi của vòng này.")
    rng = rng or random.SystemRandom()
    deadline = now + timedelta(seconds=round_.time_limit_seconds)
    if round_.closes_at is not None:
        deadline = min(deadline, round_.closes_at)
    questions = _draw(round_, rng)
    conn = db.session.connection()
    attempt_id = conn.execute(
        _insert_unless_conflict(Attempt.__table__).returning(Attempt.id),
        {"round_id": round_.id, "user_id": user.id, "number": last + 1,
         "status": "in_progress", "started_at": now, "deadline_at": deadline,
         "max_score": sum(q.points for q in questions)},
    ).scalar()  # fmt: skip
    if attempt_id is None:
        # Another request started an attempt at the same moment: the database kept one.
        current = _in_progress(user.id, round_.id)
        if current is None:
            raise Conflict("Không thể bắt đầu lượt thi, vui lòng thử lại.")
        return current.id
    rows = []
    for position, q in enumerate(questions, start=1):
        order, options = _drawn_options(q, round_.shuffle_options, rng)
        rows.append({"attempt_id": attempt_id, "question_id": q.id, "position": position,
                     "option_order": order, "max_points": q.points, "type": q.type,
                     "text": q.text, "options": options, "answer": q.answer,
                     "feedback": q.general_feedback})  # fmt: skip
    conn.execute(AttemptQuestion.__table__.insert(), rows)
    return attempt_id


#: Per-attempt option ids are drawn from here: any order of them (numeric or as text) is
#: as random as the draw, so no fixed rule ("the smallest id") points at the right option.
_OPTION_IDS = range(1, 2**31)


def _drawn_options(q, shuffle: bool, rng: random.Random) -> tuple[list[int], list[dict]]:
    """(bank indices in the order shown, the options as shown with fresh random ids).

    Without `shuffle` the options keep the bank's order, which the import has itself drawn
    at random (bank.store_questions), so "the first option" is no rule either."""
    if q.type not in ("single_choice", "multiple_choice"):
        return [], []
    order = list(range(len(q.options)))
    if shuffle:
        rng.shuffle(order)
    ids = rng.sample(_OPTION_IDS, len(order))
    options = [{**q.options[i], "id": option_id} for i, option_id in zip(order, ids, strict=True)]
    return order, options


def get_attempt(user, attempt_id: int, now: datetime) -> Attempt:
    """The participant's own attempt, finalised first if its time is over."""
    attempt = db.session.get(Attempt, attempt_id, options=_WITH_QUESTIONS)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound("Không tìm thấy lượt thi.")
    finalize_if_expired(attempt, now)
    return attempt


def finalize_if_expired(attempt: Attempt, now: datetime) -> bool:
    """End an attempt whose deadline plus grace has passed; True if it is finished."""
    if attempt.finished:
        return True
    if now <= attempt.deadline_at + grace():
        return False
    sheet.finalize(attempt.id, now)  # expires `attempt`: reading it again reloads it
    return True


# --- what participants see ------------------------------------------------------------------


def answers_revealed(attempt: Attempt, now: datetime) -> bool:
    round_ = attempt.round
    return shown.answers_revealed(round_.reveal_answers, attempt.finished, round_.closes_at, now)


def question_views(attempt: Attempt) -> list[QuestionView]:
    """Questions as drawn (their snapshot) without their answers, options in the attempt's
    order with the attempt's option ids."""
    return [
        QuestionView(aq.id, aq.position, aq.type, aq.text,
                     shown_options(aq.type, aq.options, aq.option_order), aq.response)
        for aq in attempt.questions
    ]  # fmt: skip


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
