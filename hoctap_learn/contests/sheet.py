"""Saving, submitting and reading an attempt as plain rows: the hot paths of a contest.

Every participant autosaves many times and submits once, mostly all in the same minutes,
so these paths run a handful of SQLAlchemy Core statements on the session's connection
and build no ORM objects. Ending an attempt (the participant's submit or the deadline)
has this one implementation, used by the API, the pages, the ranking and the CLI.

Only the server's clock counts: functions take ``now`` so tests control time. They never
commit; the caller does.

Locks (the attempt's row; an attempt that ends is only queued for the report tallies, see
contests/tallies.py) are held for the last statement or two of a request, never while it
reads. Ending an attempt reads it with its questions, scores what it read, then ends it
with one UPDATE that matches only while the attempt is in progress with the autosave count
(``save_count``) it read: two submits racing end it exactly once and both return the same
result, and an autosave acknowledged in between makes the ending statement match nothing,
so the attempt is read and scored again; no acknowledged answer is lost. An autosave takes
the attempt's row with one UPDATE that checks it, counts the save and returns what
validating the answers needs; a refused answer raises before anything else is written, and
the caller rolls back.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy.engine import Connection
from sqlalchemy.orm.util import identity_key

from ..core import fastsql, jsonfast
from ..core.errors import Conflict, NotFound, Unauthenticated, ValidationError
from ..extensions import db
from . import scoring, tokens
from . import sheet_sql as sql
from .models import Attempt
from .shown import Sheet, SheetQuestion

LATE_MESSAGE = "Đã hết thời gian làm bài; câu trả lời gửi sau thời hạn không được ghi nhận."
SUBMITTED_MESSAGE = "Bạn đã nộp bài; không thể sửa câu trả lời."


class AttemptClosed(Conflict):
    """Answers arrived after the deadline plus grace. The attempt has been finalised, so
    callers commit before turning this into a response."""


def grace() -> timedelta:
    return timedelta(seconds=current_app.config.get("HOCTAP_CONTEST_GRACE_SECONDS", 15))


#: How many times ending an attempt reads and scores it again after losing a race with an
#: autosave before it asks the participant to retry.
_TRIES = 5


def _dialect() -> str:
    return db.engine.dialect.name


#: A connection of its own that runs each statement as its own transaction, while a
#: submit uses one (`_statement_by_statement`); otherwise statements go through the session.
_own_connection: ContextVar[Connection | None] = ContextVar("sheet_connection", default=None)


def _execute(statement, params):
    connection = _own_connection.get() or db.session.connection()
    return fastsql.execute(connection, statement, params)


def _write_answers(attempt_id: int, rows: list[dict]) -> None:
    """Store {"id": attempt question id, "response": …, "points": … or absent} rows."""
    statement = sql.WRITE_ANSWERS[_dialect()]
    _execute(statement, {"the_attempt": attempt_id, "rows": jsonfast.dumps(rows)})


def _sheet(row) -> Sheet:
    values = row._asdict()
    values.pop("caller", None)
    questions = sorted((SheetQuestion(*fields) for fields in sql.decoded(values.pop("questions"))),
                       key=lambda q: q.position)  # fmt: skip
    return Sheet(**values, questions=questions)


def read(attempt_id: int) -> Sheet | None:
    """The attempt with its round's settings and its questions, or None."""
    row = _execute(sql.READ[_dialect()], {"the_attempt": attempt_id}).first()
    return _sheet(row) if row is not None else None


def _resolved(user):
    """The caller as someone with an id: a presented token is checked now (401 if dead)."""
    if not isinstance(user, tokens.Presented):
        return user
    caller = tokens.resolve_digest(user.digest, user.now)
    if caller is None:
        raise Unauthenticated(tokens.INVALID_MESSAGE)
    return caller


def _own(user, attempt_id: int) -> Sheet:
    """The caller's attempt (404 otherwise); a presented token is checked in the same read."""
    if isinstance(user, tokens.Presented):
        params = {"the_attempt": attempt_id, **tokens.holder_params(user)}
        row = _execute(sql.READ_BY_TOKEN[_dialect()], params).first()
        owner = row.caller if row is not None else _resolved(user).id
        if owner is None:
            raise Unauthenticated(tokens.INVALID_MESSAGE)
        sheet = _sheet(row) if row is not None else None
    else:
        sheet, owner = read(attempt_id), user.id
    if sheet is None or sheet.user_id != owner:
        raise NotFound("Không tìm thấy lượt thi.")
    return sheet


def _forget(attempt_id: int) -> None:
    """Expire the ORM copy of an attempt this module has just changed, if one is loaded."""
    if not db.session.registry.has():
        return  # no session in this request: nothing loaded
    session = db.session()
    attempt = session.identity_map.get(identity_key(Attempt, attempt_id))
    if attempt is not None:
        for aq in attempt.__dict__.get("questions", ()):
            session.expire(aq)
        session.expire(attempt)


def load(user, attempt_id: int, now: datetime) -> Sheet:
    """The participant's own attempt with its questions, finalised first if time is over."""
    sheet = _own(user, attempt_id)
    if not sheet.finished and now > sheet.deadline_at + grace():
        return _end_at_deadline(sheet, now)
    return sheet


def _validated(answers: dict, shapes: dict) -> dict[int, object]:
    """{attempt question id: response}, all checked before anything is written."""
    if not isinstance(answers, dict):
        raise ValidationError("“answers” phải là một đối tượng {mã câu hỏi: câu trả lời}.")
    changes = {}
    for key, value in answers.items():
        q = shapes.get(str(key))
        if q is None:
            raise ValidationError(f"Câu hỏi “{key}” không thuộc lượt thi này.")
        if not scoring.valid_response(q.type, q.options, value):
            raise ValidationError(f"Câu trả lời cho câu {q.position} không hợp lệ.")
        if q.type == "multiple_choice" and value is not None:
            value = sorted(set(value))
        changes[q.id] = value
    return changes


def _end_at_deadline(sheet: Sheet, now: datetime) -> Sheet:
    """End an attempt whose time is over, at its deadline, and score it. When a concurrent
    request ended it first, return that single result unchanged."""
    for _ in range(_TRIES):
        if _end(sheet, sheet.deadline_at, "deadline", now):
            return sheet
        sheet = read(sheet.id)
        if sheet.finished:
            return sheet
    raise Conflict("Không thể kết thúc lượt thi lúc này, vui lòng thử lại.")


def _end(sheet: Sheet, at: datetime, by: str, now: datetime, changes: dict | None = None) -> bool:
    """Score the attempt as read (with `changes`, its last answers) and end it, unless it
    has changed since it was read; False (nothing written) if it has."""
    total, rows = 0.0, []
    for q in sheet.questions:
        response = changes.get(q.id, q.response) if changes else q.response
        points = round(scoring.fraction_for(q.type, q.options, q.answer, response)
                       * q.max_points, 4)  # fmt: skip
        total += points
        rows.append({"id": q.id, "response": response, "points": points})
    score = round(total, 4)
    duration = int((at - sheet.started_at).total_seconds() * 1000)
    key = {"the_attempt": sheet.id, "seen_saves": sheet.save_count,
           "seen_deadline": sheet.deadline_at, "by": by, "at": at, "now": now,
           "total": score, "duration": duration}  # fmt: skip
    if _dialect() == "postgresql":
        key["rows"] = jsonfast.dumps(rows)
        if not _execute(sql.END_WITH_ANSWERS, key).rowcount:
            return False
    else:
        if _execute(sql.END, key).rowcount != 1:
            return False
        _write_answers(sheet.id, rows)  # the attempt's row is locked: its questions are ours
    for q, row in zip(sheet.questions, rows, strict=True):
        q.response, q.points = row["response"], row["points"]
    sheet.status, sheet.finished_by, sheet.submitted_at = "finished", by, at
    sheet.score, sheet.duration_ms = score, duration
    _forget(sheet.id)
    return True


def _check_prediction(enabled: bool, value) -> None:
    if not enabled:
        raise ValidationError("Vòng thi này không có câu hỏi dự đoán.")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
        raise ValidationError("Số dự đoán phải là số nguyên không âm.", field="prediction")


def _set_prediction(attempt_id: int, value: int) -> None:
    """Store the (checked) prediction on the attempt while it is in progress: it is fixed
    when the attempt ends, and a later attempt carries its own."""
    _execute(sql.SET_PREDICTION, {"the_attempt": attempt_id, "p_value": value})


@dataclass(frozen=True)
class Saved:
    """What an autosave acknowledges."""

    saved: int
    deadline_at: datetime

    def seconds_left(self, now: datetime) -> int:
        return max(0, int((self.deadline_at - now).total_seconds()))


class _Shape(NamedTuple):
    id: int
    position: int
    type: str
    options: list


def save_answers(user, attempt_id: int, answers: dict, now: datetime, prediction=None) -> Saved:
    """Autosave: store the given answers (and prediction), all or nothing (a refused
    answer raises before anything is committed; the caller rolls back)."""
    if not isinstance(answers, dict):
        raise ValidationError("“answers” phải là một đối tượng {mã câu hỏi: câu trả lời}.")
    # One conditional UPDATE checks the attempt, takes its lock, counts the save and
    # returns the questions' shapes. Only when it matches nothing do we look at why.
    key = {"the_attempt": attempt_id, "earliest": now - grace(), "now": now}
    if isinstance(user, tokens.Presented):  # checked in the same statement
        row = _execute(sql.LOCK_FOR_SAVE_BY_TOKEN[_dialect()],
                       {**key, **tokens.holder_params(user)}).first()  # fmt: skip
    else:
        row = _execute(sql.LOCK_FOR_SAVE[_dialect()], {**key, "owner": user.id}).first()
    if row is None:
        _refuse_save(user, attempt_id, now)
    if answers:
        changes = _validated(answers, {str(q[0]): _Shape(*q) for q in sql.decoded(row.shapes)})
        _write_answers(attempt_id, [{"id": k, "response": v} for k, v in changes.items()])
    if prediction is not None:
        _check_prediction(row.prediction_enabled, prediction)
        if prediction != row.prediction:  # clients resend it with every autosave
            _set_prediction(attempt_id, prediction)
    _forget(attempt_id)
    return Saved(len(answers), row.deadline_at)


def _refuse_save(user, attempt_id: int, now: datetime):
    """Raise the right error for an autosave that matched no attempt in progress."""
    sheet = _own(user, attempt_id)
    if not sheet.finished:
        sheet = _end_at_deadline(sheet, now)  # its time is over
    raise AttemptClosed(LATE_MESSAGE if sheet.finished_by == "deadline" else SUBMITTED_MESSAGE)


@contextmanager
def _statement_by_statement():
    """On PostgreSQL, when the request has not begun a transaction yet, let each statement
    be its own: there, reading needs none and ending an attempt is one statement (its
    answers and its row in the tally queue included), so BEGIN and COMMIT would only be two
    round trips more of four. The statements run on a pooled connection of their own: the
    session's transaction bookkeeping cost as much CPU as a statement."""
    if _dialect() != "postgresql" or (
        db.session.registry.has() and db.session().in_transaction()
    ):
        yield
        return
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        token = _own_connection.set(connection)
        try:
            yield
        finally:
            _own_connection.reset(token)


def submit_attempt(
    user, attempt_id: int, now: datetime, answers: dict | None = None, prediction=None
) -> Sheet:
    """Submit (with any last answers). Submitting again returns the same finished attempt."""
    if prediction is not None:  # a second write: in the request's transaction
        _check_prediction(True, prediction)
        return _submit(user, attempt_id, now, answers, prediction)
    with _statement_by_statement():
        return _submit(user, attempt_id, now, answers, prediction)


def _submit(user, attempt_id: int, now: datetime, answers: dict | None, prediction) -> Sheet:
    for _ in range(_TRIES):
        sheet = _own(user, attempt_id)
        if not sheet.finished and now > sheet.deadline_at + grace():
            sheet = _end_at_deadline(sheet, now)
        if sheet.finished:
            if answers and sheet.finished_by == "deadline":
                raise AttemptClosed(LATE_MESSAGE)
            return sheet
        changes = _validated(answers, {str(q.id): q for q in sheet.questions}) if answers else {}
        if prediction is not None:
            _check_prediction(sheet.prediction_enabled, prediction)
            # In the submit's transaction, before the statement that ends the attempt: the
            # prediction is fixed together with the score.
            _set_prediction(sheet.id, prediction)
            sheet.prediction = prediction
        # A submit inside the grace period counts as on time: time taken ≤ the limit.
        if _end(sheet, min(now, sheet.deadline_at), "participant", now, changes):
            return sheet
        # Ended by a concurrent request, or an autosave came in since it was read: again.
    raise Conflict("Không thể nộp bài lúc này, vui lòng thử lại.")


def finalize(attempt_id: int, now: datetime) -> bool:
    """End one attempt at its deadline if it is in progress and its time is over."""
    sheet = read(attempt_id)
    if sheet is None or sheet.finished or now <= sheet.deadline_at + grace():
        return False
    return _end_at_deadline(sheet, now).finished_by == "deadline"


def finalize_expired(now: datetime, round_id: int | None = None) -> int:
    """Finalise every attempt whose deadline plus grace has passed (the CLI, the ranking).

    Each attempt is finalised and committed on its own, so that a participant submitting
    at the same moment waits for one attempt's row lock, not for the whole batch."""
    query = sql.EXPIRED if round_id is None else sql.EXPIRED.where(sql.A.c.round_id == round_id)
    limit = {"limit": now - grace()}
    expired = db.session.execute(query.order_by(sql.A.c.id), limit).scalars().all()
    db.session.commit()
    finalized = 0
    for attempt_id in expired:
        finalized += finalize(attempt_id, now)
        db.session.commit()
    return finalized
