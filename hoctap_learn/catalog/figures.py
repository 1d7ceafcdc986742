"""Catalog figures for the reports: views and click-throughs of open learning resources.

Citizens read resources without an account, so their use cannot be attributed to a district:
it is counted for the unit that runs the campaign (the province) and appears in its row and
in the consolidated report, never in a district's.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..reports.figures import Filters, Row, as_date, register_figure
from ..units.services import subtree_ids
from .models import ResourceDailyStat


def _stat_rows(filters: Filters, by: str | None, column) -> list[Row]:
    unit_id = filters.campaign.unit_id
    if unit_id is None or by not in (None, "day"):
        return []
    if filters.root_id is not None and unit_id not in subtree_ids(filters.root_id):
        return []
    # Without a date range, the campaign's own days.
    start = filters.date_from or filters.campaign.start_date
    end = filters.date_to or filters.campaign.end_date
    where = (ResourceDailyStat.day >= start, ResourceDailyStat.day <= end)
    if by is None:
        total = db.session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where))
        return [(unit_id, None, int(total))] if total else []
    stmt = (
        select(ResourceDailyStat.day, func.sum(column))
        .where(*where)
        .group_by(ResourceDailyStat.day)
    )
    return [(unit_id, as_date(day), int(value)) for day, value in db.session.execute(stmt)]


@register_figure("resource_views", "Lượt xem học liệu mở", "lượt", ("day",), order=80)
def resource_views(filters: Filters, by: str | None) -> list[Row]:
    return _stat_rows(filters, by, ResourceDailyStat.views)


@register_figure("resource_clicks", "Lượt mở học liệu tại nơi cung cấp", "lượt", ("day",), order=81)
def resource_clicks(filters: Filters, by: str | None) -> list[Row]:
    return _stat_rows(filters, by, ResourceDailyStat.clicks)
