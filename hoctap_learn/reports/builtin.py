"""The reports' own dimensions and figures: days, person dimensions, activity kinds;
activities and their participants, registered participants, funding.

Imported by figures.py, so they are registered before other features add theirs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from ..accounts.models import GENDERS, TARGET_GROUPS, User
from ..activities.models import ACTIVITY_KINDS, Activity, ActivityBreakdown, Funding
from ..extensions import db
from . import tallies
from .figures import (
    AGE_BANDS,
    PERSON_DIMENSIONS,
    Dimension,
    FigureSpec,
    Filters,
    Row,
    grouped_rows,
    people_rows,
    register_dimension,
    register_figure,
    register_figures,
)


def _campaign_days(filters: Filters) -> list[tuple[Any, str]]:
    start = max(filters.campaign.start_date, filters.date_from or date.min)
    end = min(filters.campaign.end_date, filters.date_to or date.max)
    days = []
    while start <= end:
        days.append((start, start.strftime("%d/%m/%Y")))
        start += timedelta(days=1)
    return days


register_dimension(Dimension("day", "Ngày", "Theo ngày", _campaign_days, exclusive=False))
register_dimension(
    Dimension("target_group", "Đối tượng", "Theo đối tượng", lambda f: list(TARGET_GROUPS.items()))
)
register_dimension(
    Dimension("gender", "Giới tính", "Theo giới tính", lambda f: list(GENDERS.items()))
)
register_dimension(
    Dimension(
        "age_band", "Độ tuổi", "Theo độ tuổi", lambda f: [(k, lbl) for k, lbl, _, _ in AGE_BANDS]
    )
)
register_dimension(
    Dimension(
        "kind", "Loại hoạt động", "Hoạt động theo loại", lambda f: list(ACTIVITY_KINDS.items())
    )
)


# --- built-in figures ----------------------------------------------------------------------


def _activity_base(filters: Filters):
    return select(Activity).where(
        Activity.campaign_id == filters.campaign.id, filters.date_clause(Activity.start_date)
    )


def _activity_rows(filters: Filters, by: str | None, *values) -> list[Row]:
    key = {None: None, "day": Activity.start_date, "kind": Activity.kind}.get(by, False)
    if key is False:
        return []
    columns = [Activity.unit_id] if key is None else [Activity.unit_id, key]
    stmt = _activity_base(filters).with_only_columns(*columns, *values).group_by(*columns)
    return grouped_rows(stmt, len(columns) - 1, by)


def _tally_rows(filters: Filters, tally: str, scope_id: int, by: str | None) -> list | None:
    """Rows ``(unit_id, key, v1, v2)`` of a tally (tallies.py) for `by`, or None when a
    date range needs the rows themselves counted. Each counted row (an account, an
    activity) is on one day, so the unit's total over a date range is the sum of its days."""
    if by is None and filters.dated:
        totals: dict[int, list[int]] = {}
        for unit_id, _day, v1, v2 in tallies.rows(
            tally, scope_id, "day", filters.date_from, filters.date_to
        ):
            found = totals.setdefault(unit_id, [0, 0])
            found[0] += v1
            found[1] += v2
        return [(unit_id, None, v1, v2) for unit_id, (v1, v2) in totals.items()]
    if by != "day" and filters.dated:
        return None
    dim = "unit" if by is None else by
    return [
        (unit_id, None if dim == "unit" else (cell or None), v1, v2)
        for unit_id, cell, v1, v2 in tallies.rows(
            tally, scope_id, dim, filters.date_from, filters.date_to
        )
    ]


@register_figures(
    FigureSpec("activities", "Số hoạt động", "hoạt động", 10, ("day", "kind")),
    FigureSpec("activity_participants", "Lượt người tham gia hoạt động", "lượt", 20),
    dimensions=("day", "kind", "target_group", "gender"),
)
def activities_and_participants(filters: Filters, by: str | None) -> list[Row]:
    """Rows ``(unit_id, key, activities, participants)``, from the tallies the database
    keeps; split by target group or gender, only participants (activities 0)."""
    if by not in (None, "day", "kind", "target_group", "gender"):
        return []
    campaign_id = filters.campaign.id
    found = _tally_rows(filters, tallies.ACTIVITIES, campaign_id, by)
    if found is None:
        return counted_activities(filters, by)
    if by not in ("target_group", "gender"):
        return found
    # The breakdown is optional: what it leaves out is reported as "unknown" (key None),
    # so the groups always add up to the same total as the per-unit table.
    totals = {u: v2 for u, _, _v1, v2 in _tally_rows(filters, tallies.ACTIVITIES, campaign_id,
                                                     None)}  # fmt: skip
    return _with_unknown(found, totals)


def _with_unknown(split_rows, totals: dict[int, int]) -> list[Row]:
    """Participants split by a dimension, plus each unit's part the split leaves out."""
    result = []
    split: dict[int, int] = defaultdict(int)
    for unit_id, key, _activities, value in split_rows:
        if value:
            result.append((unit_id, key, 0, int(value)))
            split[unit_id] += int(value)
    for unit_id, total in totals.items():
        if total - split[unit_id]:
            result.append((unit_id, None, 0, total - split[unit_id]))
    return result


def counted_activities(filters: Filters, by: str | None) -> list[Row]:
    """The same rows counted from the activities themselves (for a date range)."""
    if by not in ("target_group", "gender"):
        return _activity_rows(filters, by, func.count(Activity.id), func.sum(Activity.participants))
    totals = {u: v for u, _, v in _activity_rows(filters, None, func.sum(Activity.participants))}
    stmt = (
        _activity_base(filters)
        .join(ActivityBreakdown, ActivityBreakdown.activity_id == Activity.id)
        .where(ActivityBreakdown.dimension == by)
        .with_only_columns(
            Activity.unit_id, ActivityBreakdown.key, func.sum(ActivityBreakdown.count)
        )
        .group_by(Activity.unit_id, ActivityBreakdown.key)
    )
    rows = [(unit_id, key, 0, value) for unit_id, key, value in db.session.execute(stmt)]
    return _with_unknown(rows, totals)


@register_figure(
    "registered_people",
    "Người đăng ký tài khoản",
    "người",
    ("day", *PERSON_DIMENSIONS),
    order=40,
    combined=PERSON_DIMENSIONS,
    combine_when=lambda filters: filters.dated,
)
def registered_people(filters: Filters, by: str | None) -> list[Row]:
    """Participants' accounts (not staff), by the unit in their profile; dates = sign-up
    day. From the tallies the database keeps, but for a date range split by a person
    dimension (then counted). Age bands come from the birth years' cells."""
    if isinstance(by, tuple) or (by not in (None, "day") and filters.dated):
        return counted_registered_people(filters, by)
    if by == "age_band":  # the birth years' cells grouped by band in the database
        return tallies.bands(tallies.REGISTERED, 0, filters.campaign.year)
    return [(u, key, v1) for u, key, v1, _v2 in _tally_rows(filters, tallies.REGISTERED, 0, by)]


def counted_registered_people(filters: Filters, by) -> list[Row]:
    """The same rows counted from the accounts themselves."""
    base = select(User).where(User.role == "participant", filters.timestamp_clause(User.created_at))
    return people_rows(filters, base, func.count(User.id), by, day_column=User.created_at)


tallies.register_kept(tallies.Kept(
    "activities", activities_and_participants, counted_activities,
    ("day", "kind", "target_group", "gender"), lambda campaign: tallies.rebuild(),
))  # fmt: skip
tallies.register_kept(tallies.Kept(
    "registered_people", registered_people, counted_registered_people,
    ("day", *PERSON_DIMENSIONS), lambda campaign: tallies.rebuild(),
))  # fmt: skip


def _funding_rows(filters: Filters, by: str | None, column) -> list[Row]:
    if by is not None:
        return []
    stmt = select(Funding.unit_id, column).where(Funding.campaign_id == filters.campaign.id)
    return [(u, None, int(v or 0)) for u, v in db.session.execute(stmt)]


@register_figure("state_budget", "Ngân sách nhà nước (đồng)", "đồng", order=80)
def state_budget(filters: Filters, by: str | None) -> list[Row]:
    return _funding_rows(filters, by, Funding.state_budget)


@register_figure("sponsorship", "Hỗ trợ, vận động (đồng)", "đồng", order=81)
def sponsorship(filters: Filters, by: str | None) -> list[Row]:
    return _funding_rows(filters, by, Funding.sponsorship)


@register_figure("funding_total", "Tổng kinh phí (đồng)", "đồng", order=82)
def funding_total(filters: Filters, by: str | None) -> list[Row]:
    return _funding_rows(filters, by, Funding.state_budget + Funding.sponsorship)
