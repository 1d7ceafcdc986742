"""Read-side lookups shared by pages and the API: what a user may see."""

from __future__ import annotations

from sqlalchemy import select

from ..core.errors import NotFound
from ..extensions import db
from ..units.services import can_manage_unit
from .models import Contest, Round


def can_manage(user, contest: Contest) -> bool:
    return can_manage_unit(user, contest.unit)


def visible_contests(user) -> list[Contest]:
    contests = db.session.scalars(select(Contest).order_by(Contest.created_at.desc(), Contest.id))
    return [c for c in contests if c.published or can_manage(user, c)]


def visible_contest(slug: str, user) -> Contest:
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    if contest is None or not (contest.published or can_manage(user, contest)):
        raise NotFound(f"Không tìm thấy cuộc thi “{slug}”.")
    return contest


def round_of(contest: Contest, slug: str) -> Round:
    for round_ in contest.rounds:
        if round_.slug == slug:
            return round_
    raise NotFound(f"Không tìm thấy vòng thi “{slug}”.")
