"""The SQL of an attempt's hot paths (`sheet`): statements built once, with bind
parameters, per dialect where the two databases differ (building and caching a statement
costs about as much as running it on SQLite).

The attempt's questions travel as one JSON array (`questions_json`, read back with
`decoded`): one value to decode instead of a row per question and a value per field.
"""

from __future__ import annotations

from sqlalchemy import (
    Float,
    Integer,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.types import JSON

from ..core import jsonfast
from . import tokens
from .models import Attempt, AttemptQuestion, Contest, Round

A = Attempt.__table__
AQ = AttemptQuestion.__table__
R = Round.__table__
C = Contest.__table__

ID = bindparam("the_attempt")  # not "attempt_id": a column of attempt_questions
_HEAD = (
    select(
        A.c.id, A.c.user_id, A.c.round_id, A.c.number, A.c.status, A.c.finished_by,
        A.c.started_at, A.c.deadline_at, A.c.submitted_at, A.c.score, A.c.max_score,
        A.c.duration_ms, C.c.slug.label("contest_slug"), R.c.slug.label("round_slug"),
        R.c.reveal_answers, R.c.closes_at, R.c.prediction_enabled, A.c.prediction,
        A.c.save_count,
    )
    .join(R, R.c.id == A.c.round_id)
    .join(C, C.c.id == R.c.contest_id)
    .where(A.c.id == ID)
)  # fmt: skip
#: The questions as drawn: each row holds its own snapshot of the question (0015), so
#: re-importing or editing the bank never changes an attempt.
_QUESTIONS_FROM = f"FROM {AQ.name} AS aq WHERE aq.attempt_id = {A.name}.id"
#: SQLite stores JSON columns as text, which json() embeds as JSON rather than as strings.
_JSON_COLUMNS = {"aq.options", "aq.answer", "aq.option_order", "aq.response"}


def questions_json(dialect: str, fields: tuple[str, ...]) -> str:
    """SQL: `fields` of each of the attempt's questions as one JSON array of arrays; one
    value to decode instead of a row per question and a value per field."""
    if dialect == "postgresql":
        listed = ", ".join(fields)
        return f"(SELECT json_agg(json_build_array({listed})) {_QUESTIONS_FROM})"
    listed = ", ".join(f"json({f})" if f in _JSON_COLUMNS else f for f in fields)
    return f"(SELECT json_group_array(json_array({listed})) {_QUESTIONS_FROM})"


def decoded(value):
    """A JSON array from `_questions_json`: text from SQLite, decoded already by psycopg."""
    return jsonfast.loads(value) if isinstance(value, str) else value or ()


_DIALECTS = ("postgresql", "sqlite")
#: `SheetQuestion` fields, in order.
_SHEET_FIELDS = ("aq.id", "aq.position", "aq.type", "aq.text", "aq.options", "aq.answer",
                 "aq.feedback", "aq.option_order", "aq.response", "aq.points",
                 "aq.max_points")  # fmt: skip
#: The attempt, its round's settings and its questions in one statement.
READ = {
    dialect: _HEAD.add_columns(
        literal_column(questions_json(dialect, _SHEET_FIELDS)).label("questions")
    )
    for dialect in _DIALECTS
}
#: The same, with the holder of a presented API token (None if the token is not live).
READ_BY_TOKEN = {
    dialect: statement.add_columns(tokens.HOLDER.label("caller"))
    for dialect, statement in READ.items()
}


def _lock_for_save(owner) -> dict:
    """An autosave's check (own, in progress, in time), lock and count in one statement,
    returning what validating the answers needs; `owner`: a user id parameter or `HOLDER`."""
    base = (
        update(A)
        .where(
            A.c.id == ID,
            A.c.user_id == owner,
            A.c.status == "in_progress",
            A.c.deadline_at >= bindparam("earliest"),
        )
        .values(last_saved_at=bindparam("now"), save_count=A.c.save_count + 1)
        .returning(
            A.c.deadline_at,
            A.c.round_id,
            A.c.user_id,
            # Written out: the SQLite compiler drops table names inside RETURNING.
            literal_column(
                f"(SELECT r.prediction_enabled FROM {R.name} AS r "
                f"WHERE r.id = {A.name}.round_id)",
                R.c.prediction_enabled.type,
            ).label("prediction_enabled"),
            A.c.prediction,
        )
    )
    shapes = ("aq.id", "aq.position", "aq.type", "aq.options")
    return {
        dialect: base.returning(literal_column(questions_json(dialect, shapes)).label("shapes"))
        for dialect in _DIALECTS
    }


LOCK_FOR_SAVE = _lock_for_save(bindparam("owner"))
LOCK_FOR_SAVE_BY_TOKEN = _lock_for_save(tokens.HOLDER)

#: Ending an attempt with its score, as it was read: matches nothing when it has ended
#: since, or an autosave came in, or its deadline moved. The tally triggers count it here,
#: on its final day, in the one statement that changes its status.
END = (
    update(A)
    .where(
        A.c.id == ID,
        A.c.status == "in_progress",
        A.c.save_count == bindparam("seen_saves"),
        A.c.deadline_at == bindparam("seen_deadline", type_=A.c.deadline_at.type),
    )
    .values(
        status="finished",
        finished_by=bindparam("by"),
        submitted_at=bindparam("at"),
        last_saved_at=bindparam("now"),
        score=bindparam("total"),
        duration_ms=bindparam("duration"),
    )
)
#: PostgreSQL: the answers rows of a JSON array parameter.
_ANSWERS_ROWS = (
    func.json_to_recordset(cast(bindparam("rows"), JSON))
    .table_valued(column("id", Integer), column("response", JSON), column("points", Float))
    .render_derived(name="x", with_types=True)
)


def _set_answers(attempt_id) -> object:
    """PostgreSQL: an UPDATE of the answers (and points) of `attempt_id` from `_ANSWERS_ROWS`."""
    return (
        update(AQ)
        .where(AQ.c.attempt_id == attempt_id, AQ.c.id == _ANSWERS_ROWS.c.id)
        .values(response=_ANSWERS_ROWS.c.response, points=_ANSWERS_ROWS.c.points)
    )


#: PostgreSQL: `END` and the answers with their points in one statement (one round trip
#: fewer); it updates no row when `END` matches none.
_ENDED = END.returning(A.c.id).cte("ended")
END_WITH_ANSWERS = _set_answers(_ENDED.c.id)
#: An attempt's answers (and, when it ends, points) in one statement per dialect, the rows
#: passed as one JSON array: ten single-row UPDATEs cost several times more.
WRITE_ANSWERS = {
    "postgresql": _set_answers(ID),
    # SQLite 3.38+: `->` gives the JSON text of a value, `->>` the SQL value.
    "sqlite": text(
        f"""UPDATE {AQ.name} SET response = x.response, points = x.points
        FROM (SELECT value ->> 'id' AS id, value -> 'response' AS response,
                     value ->> 'points' AS points FROM json_each(:rows)) AS x
        WHERE {AQ.name}.id = x.id AND {AQ.name}.attempt_id = :the_attempt"""
    ),
}


#: The prediction of an attempt in progress (an ended attempt's prediction is fixed).
SET_PREDICTION = (
    update(A)
    .where(A.c.id == ID, A.c.status == "in_progress")
    .values(prediction=bindparam("p_value"))
)
EXPIRED = select(A.c.id).where(A.c.status == "in_progress", A.c.deadline_at < bindparam("limit"))
