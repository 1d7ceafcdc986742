"""Races the database must settle: two starts, two submits at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta

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
