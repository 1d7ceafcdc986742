"""Contest figures in the reports: people vs lượt, roll-up, rounds, practice left out."""

from __future__ import annotations

import random
from datetime import timedelta

from hoctap_learn.contests import attempts
from hoctap_learn.contests.models import Round
from hoctap_learn.reports.services import build_filters
from hoctap_learn.reports.tables import build_table
from hoctap_learn.units import services as units

from .helpers import T0, make_contest, participant


def _play(db, user, round_, start):
    attempt = attempts.start_attempt(user, round_.id, start, rng=random.Random(1))
    attempts.submit_attempt(user, attempt.id, start + timedelta(seconds=30), answers={})
    db.session.commit()


def _rows(table) -> dict:
    keys = [c.key for c in table.columns]
    return {row[0]: dict(zip(keys, row, strict=True)) for row in table.rows}


def test_people_and_attempts_roll_up_and_split_by_round(db, content):
    campaign = units.get_campaign("2022")
    vungtau, datdo = units.get_unit("brvt-vungtau"), units.get_unit("brvt-datdo")
    contest, round1 = make_contest(unit=units.get_unit("brvt-sogddt"), attempts_allowed=3)
    contest.campaign_id = campaign.id
    practice = Round(
        contest=contest, slug="thu", title="Vòng thi thử", is_practice=True, opens_at=T0,
        closes_at=None, questions_per_attempt=5, time_limit_seconds=600, attempts_allowed=5,
        reveal_answers="after_submit",
    )  # fmt: skip
    db.session.add(practice)
    db.session.commit()
    lan = participant(unit=vungtau, full_name="Lan")
    minh = participant(unit=datdo, full_name="Minh")
    day1, day2 = T0 + timedelta(hours=2), T0 + timedelta(days=1, hours=2)
    _play(db, lan, round1, day1)
    _play(db, lan, round1, day2)  # a second attempt: one person, two lượt
    _play(db, minh, round1, day1)
    _play(db, minh, practice, day1)  # practice: not counted

    rows = _rows(build_table(build_filters(None, "2022"), "unit"))
    assert (rows["brvt-vungtau"]["contest_people"], rows["brvt-vungtau"]["contest_attempts"]) == (
        1, 2,
    )  # fmt: skip
    assert (rows["brvt-datdo"]["contest_people"], rows["brvt-datdo"]["contest_attempts"]) == (1, 1)
    assert (rows["brvt"]["contest_people"], rows["brvt"]["contest_attempts"]) == (2, 3)

    by_round = build_table(build_filters(None, "2022"), "round")
    mine = {row[1]: row[2:] for row in by_round.rows}
    assert mine["Cuộc thi thử – Vòng 1"] == [2, 3]
    assert not any("Vòng thi thử" in label for label in mine)

    first_day = _rows(build_table(build_filters(None, "2022", None, "2022-10-19", "2022-10-19"),
                                  "unit"))  # fmt: skip
    assert first_day["brvt"]["contest_attempts"] == 2


def test_attempts_count_on_the_local_day_across_midnight(db, content):
    """17:00 UTC is midnight in Hồ Chí Minh city: an attempt submitted at 16:59:30 UTC counts
    on the 19th, one at 17:00:30 UTC on the 20th; one person on two days is one người each
    day, and two attempts of the same person on one day one người and two lượt."""
    from datetime import UTC, datetime

    from hoctap_learn.reports.tables import build_tables

    campaign = units.get_campaign("2022")
    contest, round1 = make_contest(unit=units.get_unit("brvt-sogddt"), attempts_allowed=5)
    contest.campaign_id = campaign.id
    db.session.commit()
    lan = participant(unit=units.get_unit("brvt-vungtau"), full_name="Lan", birth_year=2007)
    minh = participant(unit=units.get_unit("brvt-datdo"), full_name="Minh", birth_year=1962)
    _play(db, lan, round1, datetime(2022, 10, 19, 16, 59, tzinfo=UTC))  # 23:59:30 on 19/10
    _play(db, lan, round1, datetime(2022, 10, 19, 17, 0, tzinfo=UTC))  # 00:00:30 on 20/10
    _play(db, lan, round1, datetime(2022, 10, 20, 2, 0, tzinfo=UTC))  # 09:00:30 on 20/10
    _play(db, minh, round1, datetime(2022, 10, 20, 16, 59, tzinfo=UTC))  # 23:59:30 on 20/10

    days = _rows(build_table(build_filters(None, "2022"), "day"))
    pick = ("contest_people", "contest_attempts")
    assert [days["2022-10-19"][k] for k in pick] == [1, 1]
    assert [days["2022-10-20"][k] for k in pick] == [2, 3]
    assert [days["2022-10-21"][k] for k in pick] == [0, 0]
    # The total counts Lan once although she took part on two days; lượt add up.
    total = build_table(build_filters(None, "2022"), "day").total
    columns = [c.key for c in build_table(build_filters(None, "2022"), "day").columns]
    totals = dict(zip(columns, total, strict=True))
    assert [totals[k] for k in pick] == [2, 4]
    assert totals["label"] == "Tổng cộng (mỗi người tính một lần)"
    by_round = build_table(build_filters(None, "2022"), "round")
    assert by_round.total[2:4] == [2, 4]
    only_20th = build_filters(None, "2022", None, "2022-10-20", "2022-10-20")
    rows = _rows(build_table(only_20th, "unit"))
    assert [rows["brvt"][k] for k in pick] == [2, 3]
    assert [rows["brvt-vungtau"][k] for k in pick] == [1, 2]
    # people split by age band, gender and group come from one query; same as one by one
    names = ["unit", "target_group", "gender", "age_band", "day", "round"]
    for filters in (build_filters(None, "2022"), only_20th):
        together = build_tables(filters, names)
        for name, table in zip(names, together, strict=True):
            alone = build_table(filters, name)
            assert (table.rows, table.total) == (alone.rows, alone.total), name
    bands = _rows(build_table(build_filters(None, "2022"), "age_band"))
    assert [bands["15_17"][k] for k in pick] == [1, 3]  # born 2007: 15 in 2022
    assert [bands["60_tro_len"][k] for k in pick] == [1, 1]  # born 1962: 60 in 2022
