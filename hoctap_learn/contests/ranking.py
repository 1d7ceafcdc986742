"""The leaderboard: one query for a round or a whole contest, used by every page, the API
and the exports alike.

Order: score (desc), then how close the participant's prediction of the number of
participants is, then time taken, then submission time. Only each participant's best
attempt of a round counts (best by score, time taken and submission time), with the
prediction that attempt carried.

Until a round closes its predictions and gaps are nobody's business but the organizers':
the gaps would tell the true participant count. The public board then leaves them out,
from the rows and from the order (`predictions_public`), so even the order of two equal
scores gives nothing away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..extensions import db
from ..units.models import Unit
from .models import Attempt, Contest, Round

#: The gap counted for a participant who made no prediction in a round that asks for one.
NO_PREDICTION = 10**12


@dataclass(frozen=True)
class RankRow:
    rank: int
    user_id: int
    name: str
    unit: str
    score: float
    max_score: float
    duration_ms: int
    submitted_at: datetime
    prediction: int | None
    prediction_gap: int | None
    attempts: int


def abbreviate(full_name: str) -> str:
    """``Nguyễn Văn An`` → ``Nguyễn V. A.``: family name kept, the rest as initials."""
    parts = full_name.split()
    if len(parts) <= 1:
        return full_name
    return " ".join([parts[0], *(p[0].upper() + "." for p in parts[1:])])


def _best_attempts(contest_id: int, round_id: int | None):
    """Per participant and round, the best finished attempt with its prediction gap."""
    other = aliased(Attempt)
    participants = (
        select(func.count(func.distinct(other.user_id)))
        .where(other.round_id == Attempt.round_id, other.status == "finished")
        .correlate(Attempt)
        .scalar_subquery()
    )
    actual = func.coalesce(Round.prediction_answer, participants)
    gap = case(
        (Round.prediction_enabled.is_(False), literal(0)),
        (Attempt.prediction.is_(None), literal(NO_PREDICTION)),
        else_=func.abs(Attempt.prediction - actual),
    )
    order = (Attempt.score.desc(), Attempt.duration_ms, Attempt.submitted_at, Attempt.id)
    query = (
        select(
            Attempt.user_id,
            Attempt.round_id,
            Attempt.score,
            Attempt.max_score,
            Attempt.duration_ms,
            Attempt.submitted_at,
            Attempt.prediction,
            gap.label("gap"),
            func.count().over(partition_by=(Attempt.user_id, Attempt.round_id)).label("n"),
            func.row_number()
            .over(partition_by=(Attempt.user_id, Attempt.round_id), order_by=order)
            .label("rn"),
        )
        .join(Round, Round.id == Attempt.round_id)
        .where(Attempt.status == "finished", Round.contest_id == contest_id)
    )
    if round_id is not None:
        query = query.where(Attempt.round_id == round_id)
    else:
        query = query.where(Round.is_practice.is_(False))
    return query.subquery("ranked_attempts")


def leaderboard(
    contest: Contest,
    round_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    full_names: bool = False,
    predictions: bool = True,
) -> list[RankRow]:
    """Ranking of a round (`round_id`) or of the contest's official rounds (None).

    Names follow the contest's setting; organizers' exports ask for `full_names`. Without
    `predictions` (the public board before the close, see `predictions_public`) the rows
    carry no prediction or gap, and the gap does not break ties either.
    """
    best = _best_attempts(contest.id, round_id)
    best_only = best.c.rn == 1
    score = func.sum(best.c.score)
    gap = func.sum(best.c.gap)
    duration = func.sum(best.c.duration_ms)
    submitted = func.max(best.c.submitted_at)
    query = (
        select(
            best.c.user_id,
            User.full_name,
            func.coalesce(Unit.short_name, Unit.name).label("unit"),
            score.label("score"),
            func.sum(best.c.max_score).label("max_score"),
            duration.label("duration_ms"),
            submitted.label("submitted_at"),
            func.max(best.c.prediction).label("prediction"),
            gap.label("gap"),
            func.sum(best.c.n).label("attempts"),
        )
        .join(User, User.id == best.c.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(best_only)
        .group_by(best.c.user_id, User.full_name, Unit.short_name, Unit.name)
        .order_by(*((score.desc(), gap) if predictions else (score.desc(),)),
                  duration, submitted, best.c.user_id)  # fmt: skip
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    abbreviated = contest.name_display == "abbreviated" and not full_names
    rows = []
    for position, row in enumerate(db.session.execute(query), start=offset + 1):
        submitted_at = row.submitted_at
        if isinstance(submitted_at, datetime) and submitted_at.tzinfo is None:
            from datetime import UTC

            submitted_at = submitted_at.replace(tzinfo=UTC)
        gap_value = int(row.gap) if row.gap is not None else None
        rows.append(
            RankRow(
                rank=position,
                user_id=row.user_id,
                name=abbreviate(row.full_name) if abbreviated else row.full_name,
                unit=row.unit or "",
                score=float(row.score),
                max_score=float(row.max_score),
                duration_ms=int(row.duration_ms),
                submitted_at=submitted_at,
                prediction=row.prediction if predictions else None,
                prediction_gap=None
                if not predictions or gap_value is None or gap_value >= NO_PREDICTION
                else gap_value,
                attempts=int(row.attempts),
            )
        )
    return rows


def predictions_public(contest: Contest, round_: Round | None, now: datetime) -> bool:
    """Whether everyone may see the predictions (and their gaps) of a board: once its
    round has closed; for the contest's board, once every official round asking for one has.
    """
    if round_ is not None:
        return round_.is_closed(now)
    return all(r.is_closed(now) for r in contest.rounds
               if r.prediction_enabled and not r.is_practice)  # fmt: skip


def participant_count(round_id: int) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Attempt.user_id))).where(Attempt.round_id == round_id)
    )
