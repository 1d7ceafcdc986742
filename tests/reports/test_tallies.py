"""The registered-people and activities tallies the database keeps equal what counting the
rows gives, after registrations, profile changes, activity edits and deletions, by every
path (services, plain SQL, cascades); on both databases, whose triggers differ."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select, update

from hoctap_learn.accounts.models import GENDERS, TARGET_GROUPS, User
from hoctap_learn.activities import services as activities
from hoctap_learn.activities.models import ACTIVITY_KINDS, Activity, ActivityBreakdown
from hoctap_learn.reports import tallies
from hoctap_learn.reports.builtin import (
    activities_and_participants,
    counted_activities,
    counted_registered_people,
    registered_people,
)
from hoctap_learn.reports.figures import Filters
from hoctap_learn.units import services as units
from tests.factories import make_user

SPLITS = [None, "day", "target_group", "gender", "age_band"]
ACTIVITY_SPLITS = [None, "day", "kind", "target_group", "gender"]
DAY = date(2022, 10, 19)


def _table(rows) -> dict:
    found: dict = {}
    for unit_id, key, *values in rows:
        before = found.get((unit_id, key), [0] * len(values))
        found[(unit_id, key)] = [a + int(b) for a, b in zip(before, values, strict=True)]
    return {cell: tuple(v) for cell, v in found.items() if any(v)}


def assert_tallies_match(db, campaign) -> None:
    db.session.expire_all()
    ranges = [(None, None), (DAY, DAY + timedelta(days=1)), (DAY + timedelta(days=2), None)]
    for date_from, date_to in ranges:
        filters = Filters(campaign=campaign, date_from=date_from, date_to=date_to)
        for by in SPLITS:
            kept = _table(registered_people(filters, by))
            assert kept == _table(counted_registered_people(filters, by)), (by, date_from)
        for by in ACTIVITY_SPLITS:
            kept = _table(activities_and_participants(filters, by))
            assert kept == _table(counted_activities(filters, by)), (by, date_from)


def _activity_input(rnd: random.Random) -> activities.ActivityInput:
    groups = rnd.sample(list(TARGET_GROUPS), 2)
    return activities.ActivityInput(
        title=f"Hoạt động {rnd.randint(1, 999)}",
        kind=rnd.choice(list(ACTIVITY_KINDS)),
        start_date=DAY + timedelta(days=rnd.randint(0, 5)),
        participants=rnd.randint(50, 200),
        breakdown={
            "target_group": {groups[0]: rnd.randint(0, 20), groups[1]: rnd.randint(0, 20)},
            "gender": {rnd.choice(list(GENDERS)): rnd.randint(0, 30)},
        },
    )


def test_registrations_profiles_and_activities_keep_the_tallies_exact(db, content):
    campaign = units.get_campaign("2022")
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    rnd = random.Random(11)
    unit_list = [units.get_unit(c) for c in ("brvt-vungtau", "brvt-datdo", "brvt-baria")]
    people = []
    made = []
    for step in range(30):
        person = make_user(
            unit=rnd.choice(unit_list + [None]), birth_year=rnd.choice([None, 1960, 2008]),
            target_group=rnd.choice([*TARGET_GROUPS, None]), gender=rnd.choice([*GENDERS, None]),
        )  # fmt: skip
        person.created_at = datetime(2022, 10, 18, 16, tzinfo=UTC) + timedelta(
            hours=rnd.randint(0, 100)
        )  # around local midnight on several days
        db.session.commit()
        people.append(person)
        made.append(activities.create_activity(admin, rnd.choice(unit_list), campaign,
                                               _activity_input(rnd)))  # fmt: skip
        db.session.commit()
        if step % 4 == 3:
            who = rnd.choice(people)
            who.unit_id = rnd.choice(unit_list).id
            who.birth_year = rnd.choice([1990, 2012, None])
            who.role = rnd.choice(["participant", "participant", "organizer"])
            db.session.commit()
            activities.update_activity(admin, rnd.choice(made), _activity_input(rnd))
            db.session.commit()
        if step % 6 == 5:
            activity = made.pop(rnd.randrange(len(made)))
            activities.delete_activity(admin, activity)  # the ORM deletes the breakdown first
            db.session.commit()
        if step % 9 == 8:
            # Plain SQL: the breakdown goes by ON DELETE CASCADE, a unit changes in place.
            activity = made.pop(rnd.randrange(len(made)))
            db.session.execute(delete(Activity).where(Activity.id == activity.id))
            moved = rnd.choice(made)
            db.session.execute(update(Activity).where(Activity.id == moved.id)
                               .values(unit_id=rnd.choice(unit_list).id))  # fmt: skip
            db.session.execute(update(ActivityBreakdown)
                               .where(ActivityBreakdown.activity_id == moved.id)
                               .values(count=ActivityBreakdown.count + 1))  # fmt: skip
            gone = people.pop(rnd.randrange(len(people)))
            db.session.execute(delete(User).where(User.id == gone.id))
            db.session.commit()
        assert_tallies_match(db, campaign)
    assert db.session.scalar(select(Activity.id).limit(1)) is not None


def test_rebuild_gives_what_the_triggers_kept(db, content):
    from hoctap_learn.reports.models import ReportTally

    campaign = units.get_campaign("2022")
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    rnd = random.Random(5)
    unit = units.get_unit("brvt-datdo")
    for _ in range(5):
        make_user(unit=unit, birth_year=2001, target_group="nguoi_dan")
        activities.create_activity(admin, unit, campaign, _activity_input(rnd))
    db.session.commit()

    def cells():
        db.session.expire_all()
        stmt = select(ReportTally).order_by(
            ReportTally.source,
            ReportTally.scope_id,
            ReportTally.dim,
            ReportTally.unit_id,
            ReportTally.cell,
        )
        return [(t.source, t.dim, t.unit_id, t.cell, t.v1, t.v2)
                for t in db.session.scalars(stmt) if t.v1 or t.v2]  # fmt: skip

    kept = cells()
    tallies.rebuild()
    db.session.commit()
    assert cells() == kept
    assert {(source, dim) for source, dim, *_ in kept} >= {
        ("registered", "unit"), ("registered", "birth_year"), ("activities", "kind"),
        ("activities", "gender"),
    }  # fmt: skip


def test_the_tallies_command_finds_a_drift_and_rebuilds(runner, db, content):
    """`hoctap report tallies` compares every kept figure with counting; a cell changed
    behind the triggers' back is reported (exit 1) until `--rebuild` counts again."""
    import json

    from sqlalchemy import text

    campaign = units.get_campaign("2022")
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    unit = units.get_unit("brvt-datdo")
    make_user(unit=unit, birth_year=2001, target_group="nguoi_dan")
    activities.create_activity(admin, unit, campaign, _activity_input(random.Random(1)))
    db.session.commit()

    result = runner.invoke(args=["report", "tallies", "--campaign", "2022", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["differences"] == []
    assert set(report["figures"]) == {"activities", "registered_people",
                                      "contest_people_and_attempts"}  # fmt: skip

    db.session.execute(text("UPDATE report_tallies SET v1 = v1 + 5 WHERE dim = 'unit' "
                            "AND source = 'registered'"))  # fmt: skip
    db.session.commit()
    result = runner.invoke(args=["report", "tallies", "--campaign", "2022", "--json"])
    assert result.exit_code == 1
    drift = json.loads(result.stdout)["differences"]
    assert {d["figures"] for d in drift} == {"registered_people"}
    assert any(d["by"] is None and d["unit_id"] == unit.id for d in drift)

    result = runner.invoke(args=["report", "tallies", "--campaign", "2022", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "Đã đếm lại" in result.output and "Khớp" in result.output
    result = runner.invoke(args=["report", "tallies", "--campaign", "2022", "--json"])
    assert json.loads(result.stdout)["differences"] == []
