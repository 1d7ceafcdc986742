"""Contest figures for the reports: participants (people), attempts (lượt), entries.

Registered in the reports' one query module, so the per-unit table, the dashboard, every
export, the API and MẪU BC show them. A person counts for the unit in their profile; the
practice round is left out (it is not part of the contest); an attempt counts on the day it
was submitted.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..accounts.models import User
from ..extensions import db
from ..reports.figures import (
    PERSON_DIMENSIONS,
    Dimension,
    FigureSpec,
    Filters,
    Row,
    local_day,
    people_and_times,
    people_rows,
    register_dimension,
    register_figure,
    register_figures,
)
from ..reports.tallies import Kept, register_kept
from . import tallies
from .models import Attempt, Contest, Entry, Round


def _official_rounds(filters: Filters):
    return (
        select(Round.id)
        .join(Contest, Contest.id == Round.contest_id)
        .where(Contest.campaign_id == filters.campaign.id, Round.is_practice.is_(False))
    )


def _finished_attempts(filters: Filters):
    """Finished attempts at the campaign's official rounds, submitted in the date range.

    No join: `ix_attempts_report` (user, status, round, submitted_at) answers it alone, in
    the participant order `people_and_times` groups by.
    """
    return select(Attempt).where(
        Attempt.status == "finished",
        Attempt.round_id.in_(_official_rounds(filters)),
        filters.timestamp_clause(Attempt.submitted_at),
    )


def _rounds(filters: Filters) -> list[tuple[int, str]]:
    stmt = (
        select(Round.id, Contest.title, Round.title)
        .join(Contest, Contest.id == Round.contest_id)
        .where(Contest.campaign_id == filters.campaign.id, Round.is_practice.is_(False))
        .order_by(Contest.id, Round.position, Round.id)
    )
    return [(rid, f"{contest} – {title}") for rid, contest, title in db.session.execute(stmt)]


register_dimension(Dimension("round", "Vòng thi", "Theo vòng thi", _rounds, exclusive=False))


@register_figures(
    FigureSpec("contest_people", "Người dự thi", "người", order=30),
    FigureSpec("contest_attempts", "Lượt dự thi", "lượt", order=31),
    dimensions=("day", "round", *PERSON_DIMENSIONS),
    combined=PERSON_DIMENSIONS,
    combine_when=lambda filters: filters.dated,
)
def contest_people_and_attempts(filters: Filters, by: str | None) -> list[Row]:
    """Rows ``(unit_id, key, people, attempts)``: one person with two attempts is one người
    and two lượt, wherever they roll up.

    Read from the tallies the database keeps (tallies.py), except for a date range that
    does not split by day: people over several days are not the sum of each day's."""
    if by == "day" or not filters.dated:
        return tallies.rows(filters.campaign.id, by, filters.date_from, filters.date_to)
    return counted_people_and_attempts(filters, by)


def counted_people_and_attempts(filters: Filters, by: str | None) -> list[Row]:
    """The same rows counted from the attempts themselves."""
    event_keys = {"day": local_day(Attempt.submitted_at), "round": Attempt.round_id}
    return people_and_times(filters, _finished_attempts(filters), Attempt.user_id, by, event_keys)


register_kept(Kept(
    "contest_people_and_attempts", contest_people_and_attempts, counted_people_and_attempts,
    ("day", "round", *PERSON_DIMENSIONS), lambda campaign: tallies.rebuild(campaign.id),
))  # fmt: skip


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
