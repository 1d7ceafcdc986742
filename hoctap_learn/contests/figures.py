"""Contest figures for the reports: participants (people), attempts (lượt), entries.

Registered in the reports' one query module, so the per-unit table, the dashboard, every
export, the API and MẪU BC show them. A person counts for the unit in their profile; the
practice round is left out (it is not part of the contest); an attempt counts on the day it
was submitted.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import distinct, func, select

from ..accounts.models import User
from ..extensions import db
from ..reports.figures import (
    Dimension,
    Filters,
    Row,
    people_rows,
    register_dimension,
    register_figure,
)
from .models import Attempt, Contest, Entry, Round


def _attempts(filters: Filters):
    return (
        select(Attempt)
        .join(User, User.id == Attempt.user_id)
        .join(Round, Round.id == Attempt.round_id)
        .join(Contest, Contest.id == Round.contest_id)
        .where(
            Contest.campaign_id == filters.campaign.id,
            Round.is_practice.is_(False),
            Attempt.status == "finished",
            filters.timestamp_clause(Attempt.submitted_at),
        )
    )


def _by_round(filters: Filters, value) -> list[Row]:
    stmt = (
        _attempts(filters)
        .with_only_columns(User.unit_id, Attempt.round_id, value)
        .where(User.unit_id.is_not(None))
        .group_by(User.unit_id, Attempt.round_id)
    )
    rows: dict[tuple[int, int], int] = defaultdict(int)
    for unit_id, round_id, count in db.session.execute(stmt):
        rows[(unit_id, round_id)] += int(count)
    return [(unit_id, round_id, v) for (unit_id, round_id), v in rows.items()]


def _rounds(filters: Filters) -> list[tuple[int, str]]:
    stmt = (
        select(Round.id, Contest.title, Round.title)
        .join(Contest, Contest.id == Round.contest_id)
        .where(Contest.campaign_id == filters.campaign.id, Round.is_practice.is_(False))
        .order_by(Contest.id, Round.position, Round.id)
    )
    return [(rid, f"{contest} – {title}") for rid, contest, title in db.session.execute(stmt)]


register_dimension(Dimension("round", "Vòng thi", "Theo vòng thi", _rounds))

_PEOPLE_DIMENSIONS = ("day", "round", "target_group", "gender", "age_band")


@register_figure("contest_people", "Người dự thi", "người", _PEOPLE_DIMENSIONS, order=30)
def contest_people(filters: Filters, by: str | None) -> list[Row]:
    value = func.count(distinct(Attempt.user_id))
    if by == "round":
        return _by_round(filters, value)
    return people_rows(filters, _attempts(filters), value, by, day_column=Attempt.submitted_at)


@register_figure("contest_attempts", "Lượt dự thi", "lượt", _PEOPLE_DIMENSIONS, order=31)
def contest_attempts(filters: Filters, by: str | None) -> list[Row]:
    value = func.count(Attempt.id)
    if by == "round":
        return _by_round(filters, value)
    return people_rows(filters, _attempts(filters), value, by, day_column=Attempt.submitted_at)


@register_figure(
    "contest_entries", "Bài dự thi sáng tạo", "bài", ("day", "target_group", "gender"), order=32
)
def contest_entries(filters: Filters, by: str | None) -> list[Row]:
    base = (
        select(Entry)
        .join(User, User.id == Entry.user_id)
        .join(Contest, Contest.id == Entry.contest_id)
        .where(
            Contest.campaign_id == filters.campaign.id,
            filters.timestamp_clause(Entry.submitted_at),
        )
    )
    return people_rows(filters, base, func.count(Entry.id), by, day_column=Entry.submitted_at)
