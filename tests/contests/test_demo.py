"""Demo contest attempts: real scored attempts for the demo people, loaded once."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from hoctap_learn.accounts.models import User
from hoctap_learn.contests import ranking
from hoctap_learn.contests.models import Attempt, Contest, Round
from tests.conftest import csrf_from, login

DEMO_PARTICIPANT = ("thisinh@demo.hoctap.vn", "HocTap@2022-thisinh")


def _attempts(db):
    return db.session.scalars(select(Attempt).order_by(Attempt.id)).all()


def test_demo_attempts_are_real_scored_attempts_inside_their_rounds(runner, db):
    first = runner.invoke(args=["content", "load", "--json"])
    assert first.exit_code == 0, first.output
    created = json.loads(first.stdout)["counts"]["demo_attempts"]["created"]
    rows = _attempts(db)
    assert created == len(rows) > 30
    for attempt in rows:
        round_ = attempt.round
        assert not round_.is_practice and attempt.finished_by == "participant"
        assert round_.opens_at <= attempt.started_at <= attempt.submitted_at
        assert attempt.submitted_at <= attempt.deadline_at <= round_.closes_at
        assert 0 <= attempt.score <= attempt.max_score == len(attempt.questions)
        assert attempt.score == round(sum(aq.points for aq in attempt.questions), 4)
    # Scores differ from person to person (drawn accuracy), not all perfect or all zero.
    assert len({a.score for a in rows}) > 5
    again = runner.invoke(args=["content", "load", "--json"])
    counts = json.loads(again.stdout)["counts"]["demo_attempts"]
    assert counts["created"] == 0 and counts["unchanged"] == len(rows)
    assert len(_attempts(db)) == len(rows)

    contest = db.session.scalar(select(Contest).where(Contest.slug == "cong-dan-so"))
    vong_1 = db.session.scalar(select(Round).where(Round.slug == "vong-1"))
    people = db.session.scalar(
        select(func.count(func.distinct(Attempt.user_id))).where(Attempt.round_id == vong_1.id)
    )
    assert len(ranking.leaderboard(contest, vong_1.id, limit=1000)) == people


def test_no_demo_loads_no_attempts(runner, db):
    result = runner.invoke(args=["content", "load", "--no-demo", "--json"])
    assert result.exit_code == 0
    assert "demo_attempts" not in json.loads(result.stdout)["counts"]
    assert _attempts(db) == []


def test_demo_participant_logs_in_and_gets_a_participation_certificate(full_content, client, db):
    email, password = DEMO_PARTICIPANT
    user = db.session.scalar(select(User).where(User.email == email))
    assert user.profile_complete and user.role == "participant"
    assert login(client, email, password).status_code == 302
    token = csrf_from(client, "/contests/cong-dan-so")
    response = client.post("/contests/cong-dan-so/certificate", data={"csrf_token": token})
    assert response.status_code == 302 and "/certificates/HT-" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert user.full_name in page
