"""Resource views and click-throughs in the reports: the province's row, by day, in range."""

from __future__ import annotations

from datetime import date

from hoctap_learn.catalog.models import ResourceDailyStat
from hoctap_learn.catalog.services import get_resource_by_identifier
from hoctap_learn.reports.services import build_filters
from hoctap_learn.reports.tables import build_table


def _rows(table) -> dict:
    return {
        row[0]: dict(zip([c.key for c in table.columns], row, strict=True)) for row in table.rows
    }


def test_views_and_clicks_count_for_the_province_within_the_week(db, content, catalog):
    resource = get_resource_by_identifier("t:physics")
    for day, views, clicks in (
        (date(2022, 10, 18), 100, 100),  # before the Week: not counted by default
        (date(2022, 10, 19), 5, 2),
        (date(2022, 10, 26), 7, 1),
    ):
        db.session.add(ResourceDailyStat(resource_id=resource.id, day=day, views=views,
                                         clicks=clicks))  # fmt: skip
    db.session.commit()

    rows = _rows(build_table(build_filters(None, "2022"), "unit"))
    assert (rows["brvt"]["resource_views"], rows["brvt"]["resource_clicks"]) == (12, 3)
    assert rows["brvt-vungtau"]["resource_views"] == 0

    by_day = build_table(build_filters(None, "2022"), "day")
    values = {row[0]: dict(zip([c.key for c in by_day.columns], row, strict=True))
              for row in by_day.rows}  # fmt: skip
    assert [v["resource_views"] for v in values.values() if v["resource_views"]] == [5, 7]

    ranged = _rows(build_table(build_filters(None, "2022", None, "2022-10-18", "2022-10-19"),
                               "unit"))  # fmt: skip
    assert ranged["brvt"]["resource_views"] == 105

    # a district's organizer sees no province-wide reading figures in their scope
    district = _rows(build_table(build_filters(None, "2022", "brvt-vungtau"), "unit"))
    assert district["brvt-vungtau"]["resource_views"] == 0
