"""The contest tallies the database keeps equal what counting the attempts gives, whatever
happens to attempts, profiles, rounds and campaigns (both databases: the triggers differ)."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from hoctap_learn.accounts.models import GENDERS, TARGET_GROUPS, User
from hoctap_learn.contests import attempts, sheet, tallies
from hoctap_learn.contests.figures import counted_people_and_attempts
from hoctap_learn.contests.models import (
    Attempt,
    Contest,
    Round,
    Tally,
    TallyPending,
    TallyStale,
)
from hoctap_learn.reports.figures import Filters
from hoctap_learn.units import services as units
from hoctap_learn.units.models import Campaign

from .helpers import T0, make_contest, participant

SPLITS = [None, "day", "round", "target_group", "gender", "age_band"]


def _table(rows) -> dict:
    """{(unit, key): (people, attempts)} without empty cells."""
    found: dict = {}
    for unit_id, key, people, times in rows:
        people_before, times_before = found.get((unit_id, key), (0, 0))
        found[(unit_id, key)] = (people_before + people, times_before + times)
    return {cell: value for cell, value in found.items() if value != (0, 0)}


def assert_tallies_match(campaign, db) -> None:
    db.session.expire_all()
    filters = Filters(campaign=campaign)
    for by in SPLITS:
        counted = _table(counted_people_and_attempts(filters, by))
        kept = _table(tallies.rows(campaign.id, by))
        assert kept == counted, by


def _play(db, user, round_, start, seconds=30):
    attempt = attempts.start_attempt(user, round_.id, start, rng=random.Random(1))
    attempts.submit_attempt(user, attempt.id, start + timedelta(seconds=seconds), answers={})
    db.session.commit()
    return attempt.id


def _setup(db):
    campaign = units.get_campaign("2022")
    contest, round1 = make_contest(unit=units.get_unit("brvt-sogddt"), attempts_allowed=9,
                                   closes_at=T0 + timedelta(days=6))  # fmt: skip
    contest.campaign_id = campaign.id
    round2 = Round(
        contest=contest,
        slug="vong-2",
        title="Vòng 2",
        opens_at=T0,
        closes_at=T0 + timedelta(days=6),
        questions_per_attempt=3,
        time_limit_seconds=600,
        attempts_allowed=9,
        reveal_answers="after_submit",
    )
    practice = Round(
        contest=contest,
        slug="thu",
        title="Vòng thi thử",
        is_practice=True,
        opens_at=T0,
        closes_at=None,
        questions_per_attempt=3,
        time_limit_seconds=600,
        attempts_allowed=9,
        reveal_answers="after_submit",
    )
    # fmt: skip
    db.session.add_all([round2, practice])
    db.session.commit()
    # Moving the contest into the campaign marked it stale; rebuilt now, so that what the
    # tests check afterwards is what the triggers keep, not a rebuild at the first read.
    assert db.session.get(TallyStale, campaign.id) is not None
    tallies.ensure_fresh(campaign.id)
    assert db.session.get(TallyStale, campaign.id) is None
    return campaign, [round1, round2, practice]


@pytest.mark.parametrize("read_every", [1, 13])
def test_random_attempts_profiles_and_deletions_keep_the_tallies_exact(db, content, read_every):
    """Read after every step, or seldom: then profiles change, attempts are deleted and
    moved while others still wait in the queue to be counted."""
    campaign, rounds = _setup(db)
    rnd = random.Random(7)
    unit_codes = ["brvt-vungtau", "brvt-datdo", "brvt-baria", None]
    people = [
        participant(
            unit=units.get_unit(rnd.choice(unit_codes[:3])),
            full_name=f"Người {i}",
            birth_year=rnd.choice([1950, 1985, 2004, 2009, 2015]),
            gender=rnd.choice([*GENDERS, None]),
        )  # fmt: skip
        for i in range(8)
    ]
    for step in range(40):
        # Only a complete profile can take part; the changes below may leave one incomplete.
        person = rnd.choice([p for p in people if p.profile_complete])
        round_ = rnd.choice(rounds)
        # Around local midnight (17:00 UTC) on several days, so attempts change day.
        start = T0 + timedelta(days=rnd.randint(0, 3), hours=15, minutes=rnd.randint(0, 150))
        _play(db, person, round_, start, seconds=rnd.randint(5, 500))
        if step % 5 == 4:
            who = rnd.choice(people)
            code = rnd.choice(unit_codes)
            who.unit_id = units.get_unit(code).id if code else None
            who.target_group = rnd.choice([*TARGET_GROUPS, None])
            who.birth_year = rnd.choice([None, 1960, 2008, 2012, 2012])
            db.session.commit()
        if step % 10 == 9:
            victim = rnd.choice(db.session.scalars(select(Attempt.id)).all())
            db.session.execute(delete(Attempt).where(Attempt.id == victim))
            db.session.commit()
        if step % 7 == 6:  # a data fix: an attempt moved to another day
            moved = rnd.choice(db.session.scalars(select(Attempt)).all())
            db.session.execute(update(Attempt).where(Attempt.id == moved.id).values(
                submitted_at=moved.submitted_at + timedelta(days=1)))  # fmt: skip
            db.session.commit()
        if step % read_every == 0:
            assert_tallies_match(campaign, db)

    # A participant removed: their attempts go with them (ON DELETE CASCADE).
    gone = people.pop()
    db.session.execute(delete(User).where(User.id == gone.id))
    db.session.commit()
    assert_tallies_match(campaign, db)


def test_an_attempt_ended_at_the_deadline_or_in_the_grace_period_counts_once(db, content):
    campaign, (round1, _round2, _practice) = _setup(db)
    lan = participant(unit=units.get_unit("brvt-vungtau"))
    # The deadline is 23:59:50 in Vietnam; the submit arrives 15 s later, in the grace
    # period, and counts at the deadline: on the 19th, not the 20th.
    start = datetime(2022, 10, 19, 16, 49, 50, tzinfo=UTC)
    attempt = attempts.start_attempt(lan, round1.id, start, rng=random.Random(1))
    attempts.submit_attempt(lan, attempt.id, start + timedelta(seconds=615), answers={})
    db.session.commit()
    assert tallies.rows(campaign.id, "day") == [(lan.unit_id, T0.date(), 1, 1)]
    # Left to time out, finalised by the server afterwards.
    later = attempts.start_attempt(lan, round1.id, start + timedelta(hours=1))
    db.session.commit()
    assert tallies.rows(campaign.id, None) == [(lan.unit_id, None, 1, 1)]
    sheet.finalize(later.id, start + timedelta(hours=2))
    db.session.commit()
    assert tallies.rows(campaign.id, None) == [(lan.unit_id, None, 1, 2)]
    assert_tallies_match(campaign, db)


def test_rounds_contests_and_campaign_years_changed_rebuild_the_tallies(db, content):
    campaign, (round1, round2, practice) = _setup(db)
    lan = participant(unit=units.get_unit("brvt-vungtau"), birth_year=2008)
    _play(db, lan, round1, T0)
    _play(db, lan, practice, T0)
    assert_tallies_match(campaign, db)

    practice.is_practice = False  # the practice round made official: its attempt counts
    db.session.commit()
    assert tallies.rows(campaign.id, None) == [(lan.unit_id, None, 1, 2)]
    assert_tallies_match(campaign, db)

    campaign.year = 2030  # Lan's age band changes with the campaign's year
    db.session.commit()
    assert_tallies_match(campaign, db)
    assert {key for _u, key, _p, _a in tallies.rows(campaign.id, "age_band")} == {"18_24"}

    contest = db.session.get(Contest, round1.contest_id)
    contest.campaign_id = None  # the contest taken out of the campaign
    db.session.commit()
    assert tallies.rows(campaign.id, None) == []
    assert_tallies_match(campaign, db)


def test_rebuild_gives_what_the_triggers_kept(db, content):
    campaign, rounds = _setup(db)
    rnd = random.Random(3)
    people = [participant(unit=units.get_unit("brvt-datdo"), full_name=f"P{i}") for i in range(4)]
    for _ in range(12):
        _play(db, rnd.choice(people), rnd.choice(rounds), T0 + timedelta(hours=rnd.randint(0, 60)))
    # Ended attempts wait in the queue (practice ones too) until a reader folds them in.
    assert db.session.scalar(select(func.count()).select_from(TallyPending)) == 12
    assert db.session.scalar(select(func.count()).select_from(Tally)) == 0
    assert tallies.fold() == 12
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(TallyPending)) == 0
    kept = db.session.execute(select(Tally).order_by(Tally.dim, Tally.unit_id, Tally.cell))
    kept = [(t.dim, t.unit_id, t.cell, t.people, t.attempts) for (t,) in kept]
    tallies.rebuild(campaign.id)
    db.session.commit()
    db.session.expire_all()
    rebuilt = db.session.scalars(select(Tally).order_by(Tally.dim, Tally.unit_id, Tally.cell))
    assert kept == [(t.dim, t.unit_id, t.cell, t.people, t.attempts) for t in rebuilt
                    if t.attempts]  # fmt: skip
    assert {dim for dim, *_ in kept} == set(tallies.PERSON_DIMS + tallies.EVENT_DIMS)


def test_a_new_submission_time_moves_the_attempt_only_to_another_day(db, content):
    campaign, (round1, *_rest) = _setup(db)
    lan = participant(unit=units.get_unit("brvt-vungtau"))
    attempt_id = _play(db, lan, round1, T0)
    before = _table(tallies.rows(campaign.id, "day"))
    # A later time the same local day, and a new score: nothing to move.
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(submitted_at=T0 + timedelta(hours=3), score=1))  # fmt: skip
    db.session.commit()
    assert _table(tallies.rows(campaign.id, "day")) == before
    assert_tallies_match(campaign, db)
    # Another local day (plain SQL, as a data fix would do): the attempt moves with it.
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(submitted_at=T0 + timedelta(days=1)))  # fmt: skip
    db.session.commit()
    next_day = T0.date() + timedelta(days=1)
    assert tallies.rows(campaign.id, "day") == [(lan.unit_id, next_day, 1, 1)]
    assert_tallies_match(campaign, db)


def test_attempts_changed_while_queued_are_counted_once(db, content):
    """An attempt deleted, moved to another day or whose participant moves to another unit
    while it waits in the queue: taken out of the queue, not out of counts it never had."""
    campaign, (round1, round2, _practice) = _setup(db)
    lan = participant(unit=units.get_unit("brvt-vungtau"))
    _play(db, lan, round1, T0)
    assert tallies.rows(campaign.id, None) == [(lan.unit_id, None, 1, 1)]  # folded in
    queued = _play(db, lan, round1, T0 + timedelta(minutes=5))
    db.session.execute(delete(Attempt).where(Attempt.id == queued))
    db.session.commit()
    assert tallies.rows(campaign.id, None) == [(lan.unit_id, None, 1, 1)]
    assert_tallies_match(campaign, db)

    moved = _play(db, lan, round2, T0 + timedelta(minutes=10))
    db.session.execute(update(Attempt).where(Attempt.id == moved)
                       .values(submitted_at=T0 + timedelta(days=1)))  # fmt: skip
    lan.unit_id = units.get_unit("brvt-datdo").id
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(TallyPending)) == 1
    assert tallies.rows(campaign.id, None) == [(lan.unit_id, None, 1, 2)]
    assert_tallies_match(campaign, db)


def test_an_attempt_deleted_while_a_reader_folds_it_in_is_taken_back(app, db, content, backend):
    """PostgreSQL: the reader holds the attempt's queue row; the delete waits for the fold
    to commit, then takes the count back (SQLite writes one transaction at a time)."""
    if backend != "postgresql":
        return
    campaign, (round1, *_rest) = _setup(db)
    lan = participant(unit=units.get_unit("brvt-vungtau"))
    _play(db, lan, round1, T0)
    tallies.fold()
    db.session.commit()
    queued = _play(db, lan, round1, T0 + timedelta(minutes=5))
    campaign_id, unit_id = campaign.id, lan.unit_id
    db.session.remove()

    engine = db.engine
    reader = engine.connect()
    assert tallies.fold(reader) == 1  # not committed yet
    done = threading.Event()

    def delete_it():
        with engine.begin() as connection:
            connection.execute(delete(Attempt).where(Attempt.id == queued))
        done.set()

    thread = threading.Thread(target=delete_it)
    thread.start()
    assert not done.wait(0.5)  # waits for the reader
    reader.commit()
    reader.close()
    thread.join(timeout=10)
    assert done.is_set()
    assert tallies.rows(campaign_id, None) == [(unit_id, None, 1, 1)]
    assert_tallies_match(db.session.get(Campaign, campaign_id), db)


def test_submits_racing_readers_that_fold_are_each_counted_once(app, db, content):
    """Participants submit while two readers fold the queue over and over: no error, no
    deadlock, every attempt counted once (PostgreSQL: real concurrency)."""
    campaign, (round1, round2, _practice) = _setup(db)
    units_ = [units.get_unit(code) for code in ("brvt-vungtau", "brvt-datdo", "brvt-baria")]
    started = []
    for i in range(12):
        person = participant(unit=units_[i % 3], full_name=f"Người {i}")
        for round_ in (round1, round2):
            attempt = attempts.start_attempt(person, round_.id, T0, rng=random.Random(i))
            started.append((person.id, attempt.id))
    db.session.commit()
    campaign_id = campaign.id
    db.session.remove()
    submitting = threading.Event()
    submitting.set()
    errors = []

    def submitter(pairs):
        with app.app_context():
            try:
                for user_id, attempt_id in pairs:
                    user = db.session.get(User, user_id)
                    attempts.submit_attempt(user, attempt_id, T0 + timedelta(seconds=60))
                    db.session.commit()
            except Exception as error:  # asserted below
                errors.append(error)
            finally:
                db.session.remove()

    def reader():
        with app.app_context():
            try:
                while submitting.is_set():
                    tallies.fold()
                    db.session.commit()
            except Exception as error:  # asserted below
                errors.append(error)
            finally:
                db.session.remove()

    readers = [threading.Thread(target=reader) for _ in range(2)]
    submitters = [threading.Thread(target=submitter, args=(started[i::4],)) for i in range(4)]
    for thread in readers + submitters:
        thread.start()
    for thread in submitters:
        thread.join(timeout=60)
    submitting.clear()
    for thread in readers:
        thread.join(timeout=60)
    assert errors == []
    assert tallies.rows(campaign_id, None) and not db.session.scalar(
        select(func.count()).select_from(TallyPending))  # fmt: skip
    assert_tallies_match(db.session.get(Campaign, campaign_id), db)
    assert sum(a for _u, _k, _p, a in tallies.rows(campaign_id, None)) == len(started)


def _columns_of_0015(db, add: bool) -> None:
    """Add (or drop again) the columns migration 0015 brings, which the code of this
    revision reads and writes, on a database taken back before it."""
    from sqlalchemy import text

    columns = [("attempts", "prediction", "INTEGER"), ("attempt_questions", "type", "TEXT"),
               ("attempt_questions", "text", "TEXT"), ("attempt_questions", "options", "JSON"),
               ("attempt_questions", "answer", "JSON"),
               ("attempt_questions", "feedback", "TEXT")]  # fmt: skip
    with db.engine.begin() as conn:
        for table, column, type_ in columns:
            change = f"ADD COLUMN {column} {type_}" if add else f"DROP COLUMN {column}"
            conn.execute(text(f"ALTER TABLE {table} {change}"))


def test_going_back_before_the_queue_counts_what_waits_in_it(db, content):
    """Migration 0014 taken back: the queued attempts are counted first, and attempts are
    counted as they end again; applied again, they are queued."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    campaign, (round1, *_rest) = _setup(db)
    lan = participant(unit=units.get_unit("brvt-vungtau"))
    _play(db, lan, round1, T0)
    campaign_id, unit_id, lan_id, round_id = campaign.id, lan.unit_id, lan.id, round1.id
    db.session.remove()
    downgrade(revision="0013")
    assert "contest_tally_pending" not in inspect(db.engine).get_table_names()
    _columns_of_0015(db, add=True)  # this code needs them; they are not about the tallies
    kept = select(func.sum(Tally.attempts)).where(Tally.campaign_id == campaign_id,
                                                  Tally.dim == "unit")  # fmt: skip
    assert db.session.scalar(kept) == 1
    _play(db, db.session.get(User, lan_id), db.session.get(Round, round_id),
          T0 + timedelta(minutes=5))  # fmt: skip
    assert db.session.scalar(kept) == 2  # counted by the statement that ended it
    db.session.remove()
    _columns_of_0015(db, add=False)
    upgrade()
    _play(db, db.session.get(User, lan_id), db.session.get(Round, round_id),
          T0 + timedelta(minutes=10))  # fmt: skip
    assert db.session.scalar(kept) == 2
    assert tallies.rows(campaign_id, None) == [(unit_id, None, 1, 3)]
