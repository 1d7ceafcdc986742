"""The hot statements run on the driver's cursor (core/fastsql.py) give what SQLAlchemy's
execution gives: same rows, names, types and conversions, same errors."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import exc

from hoctap_learn.contests import attempts, sheet, tokens
from hoctap_learn.contests import sheet_sql as sql
from hoctap_learn.core import fastsql
from hoctap_learn.core.triggers import Only, Trigger, create_ddl

from .helpers import T0, make_contest, participant

NOW = T0 + timedelta(minutes=5)


def both_ways(db, statement, params):
    """What `statement` gives run fast and run by SQLAlchemy, each from the same database
    state: its rows (names and values), or its row count if it returns no rows."""
    connection = db.session.connection()
    fast = fastsql.execute(connection, statement, params)
    fast = [(row._fields, tuple(row)) for row in fast.rows] if fast.returns_rows else (
        fast.rowcount)  # fmt: skip
    db.session.rollback()
    slow = db.session.connection().execute(statement, params)
    slow = [(tuple(slow.keys()), tuple(row)) for row in slow.all()] if slow.returns_rows else (
        slow.rowcount)  # fmt: skip
    db.session.rollback()
    return fast, slow


def as_dict(rows) -> dict:
    (fields, values), = rows
    return dict(zip(fields, values, strict=True))


@pytest.fixture()
def started(app, db):
    _contest, round_ = make_contest(prediction_enabled=True)
    user = participant()
    attempt = attempts.start_attempt(user, round_.id, NOW)
    db.session.commit()
    shapes = {str(aq.id): aq for aq in attempt.questions}
    answers = {key: [aq.options[0]["id"]] if aq.type == "multiple_choice" else None
               for key, aq in shapes.items()}  # fmt: skip
    sheet.save_answers(user, attempt.id, answers, NOW + timedelta(seconds=30), prediction=42)
    db.session.commit()
    token, _row = tokens.issue_for(user, NOW, timedelta(days=1))
    db.session.commit()
    return user, attempt.id, tokens.present(token, NOW + timedelta(minutes=1))


def test_reads_match_sqlalchemy(db, started, backend):
    user, attempt_id, presented = started
    dialect = db.session.get_bind().dialect.name
    for statement, params in [
        (sql.READ[dialect], {"the_attempt": attempt_id}),
        (sql.READ_BY_TOKEN[dialect],
         {"the_attempt": attempt_id, **tokens.holder_params(presented)}),  # fmt: skip
        (sql.READ[dialect], {"the_attempt": attempt_id + 1000}),  # no row
    ]:
        fast, slow = both_ways(db, statement, params)
        assert fast == slow
    row = as_dict(both_ways(db, sql.READ[dialect], {"the_attempt": attempt_id})[0])
    assert row["deadline_at"].tzinfo == UTC and row["started_at"] == NOW
    assert row["prediction_enabled"] is True and row["user_id"] == user.id


def test_writes_match_sqlalchemy(db, started):
    user, attempt_id, presented = started
    dialect = db.session.get_bind().dialect.name
    key = {"the_attempt": attempt_id, "earliest": NOW, "now": NOW + timedelta(minutes=1)}
    for statement, params in [
        (sql.LOCK_FOR_SAVE[dialect], {**key, "owner": user.id}),
        (sql.LOCK_FOR_SAVE_BY_TOKEN[dialect], {**key, **tokens.holder_params(presented)}),
        (sql.LOCK_FOR_SAVE[dialect], {**key, "owner": user.id + 1}),  # not theirs: no row
    ]:
        fast, slow = both_ways(db, statement, params)
        assert fast == slow
    fast, slow = both_ways(db, sql.LOCK_FOR_SAVE[dialect], {**key, "owner": user.id})
    assert as_dict(fast)["prediction"] == 42
    # Ending the attempt: the row count says whether it matched (a submit relies on it).
    read = as_dict(both_ways(db, sql.READ[dialect], {"the_attempt": attempt_id})[0])
    end = {"the_attempt": attempt_id, "seen_saves": read["save_count"], "by": "participant",
           "seen_deadline": read["deadline_at"], "at": key["now"], "now": key["now"],
           "total": 1.0, "duration": 60000}  # fmt: skip
    assert both_ways(db, sql.END, end) == (1, 1)
    assert both_ways(db, sql.END, {**end, "seen_saves": read["save_count"] - 1}) == (0, 0)


def test_driver_errors_are_sqlalchemy_errors(db, started):
    _user, attempt_id, _presented = started
    dialect = db.session.get_bind().dialect.name
    read = fastsql.execute(db.session.connection(), sql.READ[dialect],
                           {"the_attempt": attempt_id}).rows[0]  # fmt: skip
    end = {"the_attempt": attempt_id, "seen_saves": read.save_count, "by": "nobody",
           "seen_deadline": read.deadline_at, "at": NOW, "now": NOW, "total": 0.0,
           "duration": 0}  # fmt: skip
    with pytest.raises(exc.IntegrityError):  # finished_by outside its check constraint
        fastsql.execute(db.session.connection(), sql.END, end)
    db.session.rollback()


def test_guarded_trigger_statements():
    trigger = Trigger("t", "x", "UPDATE", ("SELECT 1", Only("OLD.a = 1", ("SELECT 2",))))
    postgresql = "\n".join(create_ddl("postgresql", [trigger]))
    assert "BEGIN\nSELECT 1;\nIF OLD.a = 1 THEN\nSELECT 2;\nEND IF;\nRETURN NULL;" in postgresql
    sqlite = "\n".join(create_ddl("sqlite", [trigger]))
    assert "BEGIN\nSELECT 1;\nSELECT 2;\nEND" in sqlite


def test_a_missing_value_is_an_error_not_null(db, started):
    _user, attempt_id, _presented = started
    dialect = db.session.get_bind().dialect.name
    with pytest.raises(exc.InvalidRequestError, match="the_attempt"):
        fastsql.execute(db.session.connection(), sql.READ[dialect], {"attempt": attempt_id})
