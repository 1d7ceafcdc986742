"""Races the database must settle: two starts, two submits at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from hoctap_learn.accounts.models import User
from hoctap_learn.contests import attempts
from hoctap_learn.contests.models import Attempt
from hoctap_learn.extensions import db as _db

from .helpers import T0, make_contest, participant

NOW = T0 + timedelta(hours=1)


def race(app, func_, n=4):
    """Run `func_(user)` in n threads at once, each with its own app context and session."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker(user_id):
        with app.app_context():
            try:
                user = _db.session.get(User, user_id)
                barrier.wait(timeout=10)
                results.append(func_(user))
                _db.session.commit()
            except Exception as error:  # collected and asserted below
                _db.session.rollback()
                errors.append(error)
            finally:
                _db.session.remove()

    return worker, results, errors


def run_threads(worker, args, n):
    threads = [threading.Thread(target=worker, args=(args,)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)


def test_concurrent_starts_create_one_attempt(app, db):
    _, round_ = make_contest()
    user = participant()
    round_id, user_id = round_.id, user.id
    db.session.remove()
    worker, results, errors = race(app, lambda u: attempts.start_attempt(u, round_id, NOW).id)
    run_threads(worker, user_id, 4)
    assert errors == []
    assert len(set(results)) == 1
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_concurrent_submits_finish_once(app, db):
    _, round_ = make_contest()
    user = participant()
    attempt = attempts.start_attempt(user, round_.id, NOW)
    db.session.commit()
    attempt_id, user_id = attempt.id, user.id
    db.session.remove()

    def submit(u):
        done = attempts.submit_attempt(u, attempt_id, NOW + timedelta(seconds=30))
        return (done.status, done.score, done.submitted_at)

    worker, results, errors = race(app, submit)
    run_threads(worker, user_id, 4)
    assert errors == []
    assert len(results) == 4 and len(set(results)) == 1
    row = db.session.get(Attempt, attempt_id)
    assert row.finished_by == "participant" and row.duration_ms == 30_000


def test_autosave_racing_a_submit_is_counted_or_refused(app, db):
    """An autosave acknowledged before the submit ended the attempt is in its score; one
    that arrives after is refused. Never acknowledged and then lost."""
    _, round_ = make_contest()
    user = participant()
    attempt = attempts.start_attempt(user, round_.id, NOW)
    db.session.commit()
    attempt_id, user_id = attempt.id, user.id
    tf = next(aq.id for aq in attempt.questions if aq.question.type == "true_false")
    db.session.remove()
    later = NOW + timedelta(seconds=30)

    def save_or_submit(u):
        if threading.current_thread().name.endswith("save"):
            return ("saved", attempts.save_answers(u, attempt_id, {str(tf): True}, later).saved)
        done = attempts.submit_attempt(u, attempt_id, later)
        return ("submitted", done.score)

    worker, results, errors = race(app, save_or_submit, n=2)
    threads = [threading.Thread(target=worker, args=(user_id,), name=f"race-{kind}")
               for kind in ("save", "submit")]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    saved = ("saved", 1) in results
    assert len(results) + len(errors) == 2
    assert all(isinstance(e, attempts.AttemptClosed) for e in errors)
    assert saved or len(errors) == 1  # the save either landed or was refused, with a message
    row = db.session.get(Attempt, attempt_id)
    assert row.finished and row.score == (1 if saved else 0)


def _autosave_between_read_and_end(app, monkeypatch, user_id, attempt_id, answers, at):
    """Make the next read of the attempt be followed, before the request goes on, by an
    autosave that another request (own session, own connection) commits: the interleaving
    that a submit or finalisation scoring what it read must notice."""
    from hoctap_learn.contests import sheet

    read = sheet.read
    saved = []

    def autosave_elsewhere():
        with app.app_context():
            try:
                user = _db.session.get(User, user_id)
                saved.append(attempts.save_answers(user, attempt_id, answers, at).saved)
                _db.session.commit()
            finally:
                _db.session.remove()

    def read_then_autosave(attempt_id_):
        result = read(attempt_id_)
        if not saved:
            thread = threading.Thread(target=autosave_elsewhere)
            thread.start()
            thread.join(timeout=30)
        return result

    monkeypatch.setattr(sheet, "read", read_then_autosave)
    return saved


def _started(db, **round_values):
    _, round_ = make_contest(**round_values)
    user = participant()
    attempt = attempts.start_attempt(user, round_.id, NOW)
    db.session.commit()
    tf = next(aq.id for aq in attempt.questions if aq.question.type == "true_false")
    ids = (attempt.id, user.id, attempt.deadline_at)
    db.session.remove()  # the submit below opens a new transaction: it sees the autosave
    return ids, tf


def test_autosave_committed_after_the_submit_read_it_is_scored(app, db, monkeypatch):
    (attempt_id, user_id, _), tf = _started(db)
    later = NOW + timedelta(seconds=30)
    saved = _autosave_between_read_and_end(app, monkeypatch, user_id, attempt_id,
                                           {str(tf): True}, later)  # fmt: skip
    done = attempts.submit_attempt(db.session.get(User, user_id), attempt_id, later)
    db.session.commit()
    assert saved == [1]  # acknowledged while the submit was scoring an older read…
    assert done.score == 1  # …and counted: the submit read and scored it again
    row = db.session.get(Attempt, attempt_id)
    assert row.score == 1 and row.save_count == 1 and row.finished_by == "participant"


def test_autosave_in_grace_racing_the_finalisation_is_scored(app, db, monkeypatch):
    (attempt_id, user_id, deadline), tf = _started(db)
    grace = attempts.grace()
    # An autosave stamped inside the grace period lands while the server, a moment
    # later, is finalising the attempt at its deadline.
    saved = _autosave_between_read_and_end(app, monkeypatch, user_id, attempt_id,
                                           {str(tf): True}, deadline + grace)  # fmt: skip
    assert attempts.finalize_expired(deadline + grace + timedelta(seconds=1)) == 1
    assert saved == [1]
    row = db.session.get(Attempt, attempt_id)
    assert row.finished_by == "deadline" and row.submitted_at == deadline and row.score == 1


def test_a_submit_on_postgresql_needs_no_transaction(app, db, backend):
    """Starting from a fresh session, PostgreSQL ends the attempt in one statement of its
    own (visible to others before the caller commits); with a prediction to store as well,
    or on SQLite, both writes wait for the caller's commit."""
    _, round_ = make_contest(prediction_enabled=True, attempts_allowed=3)
    user = participant()
    first = attempts.start_attempt(user, round_.id, NOW)
    db.session.commit()
    ids, user_id = [first.id], user.id
    caller = SimpleNamespace(id=user_id)

    def finished_elsewhere(attempt_id):
        with db.engine.connect() as other:
            return other.scalar(select(Attempt.status).where(Attempt.id == attempt_id))

    for prediction in (None, 7):
        db.session.remove()
        attempts.submit_attempt(caller, ids[-1], NOW + timedelta(seconds=30),
                                answers={}, prediction=prediction)  # fmt: skip
        alone = backend == "postgresql" and prediction is None
        assert finished_elsewhere(ids[-1]) == ("finished" if alone else "in_progress")
        db.session.commit()
        assert finished_elsewhere(ids[-1]) == "finished"
        ids.append(attempts.start_attempt(db.session.get(User, user_id), round_.id, NOW).id)
        db.session.commit()
