"""Fixtures of the report tests: the real units and campaign, exact data of our own."""

from __future__ import annotations

from datetime import date

import pytest

from hoctap_learn.activities import services as week
from hoctap_learn.units import services as units
from hoctap_learn.units.models import Unit

from ..factories import make_user


@pytest.fixture
def base_content(app, db):
    """Units and campaigns only: the demo's activities would blur the exact numbers here."""
    from pathlib import Path

    from hoctap_learn.core.content import load_content

    load_content(Path(app.config["HOCTAP_CONTENT_DIR"]), include_demo=False)
    db.session.commit()


@pytest.fixture
def world(base_content, db):
    """Vũng Tàu with a school below it, Đất Đỏ beside it; activities, funding, people."""
    campaign = units.get_campaign("2022")
    vungtau, datdo = units.get_unit("brvt-vungtau"), units.get_unit("brvt-datdo")
    school = Unit(code="vt-thpt", name="Trường THPT Vũng Tàu", kind="school", parent=vungtau)
    db.session.add(school)
    db.session.commit()
    admin = make_user(email="root@example.vn", role="admin")
    org_vt = make_user(email="org.vt@example.vn", role="organizer", unit=vungtau)

    def activity(unit, participants, day=19, kind="opening", breakdown=None):
        week.create_activity(
            admin,
            unit,
            campaign,
            week.ActivityInput(
                title=f"Hoạt động {unit.code} {day} {participants}",
                kind=kind,
                start_date=date(2022, 10, day),
                participants=participants,
                breakdown=breakdown or {},
            ),
        )

    activity(vungtau, 300, 19, "opening", {"target_group": {"hoc_sinh": 200, "giao_vien": 40}})
    activity(school, 200, 20, "classes", {"target_group": {"hoc_sinh": 150}})
    activity(datdo, 50, 21, "banners")
    week.set_funding(admin, vungtau, campaign, week.FundingInput(40_000_000, 10_000_000))
    week.set_funding(admin, school, campaign, week.FundingInput(5_000_000, 0))
    db.session.commit()
    # three people in the school, one in Vũng Tàu itself, one in Đất Đỏ
    for n, (unit, group, gender, year) in enumerate(
        [
            (school, "hoc_sinh", "nu", 2007),
            (school, "hoc_sinh", "nam", 2006),
            (school, "giao_vien", "nu", 1980),
            (vungtau, "nguoi_dan", None, None),
            (datdo, "nguoi_dan", "nam", 1950),
        ]
    ):
        make_user(
            email=f"p{n}@example.vn",
            unit=unit,
            target_group=group,
            gender=gender,
            birth_year=year,
        )
    return {
        "campaign": campaign,
        "vungtau": vungtau,
        "datdo": datdo,
        "school": school,
        "admin": admin,
        "org_vt": org_vt,
    }
