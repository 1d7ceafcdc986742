"""Organizer use cases: scope checks, participation counters, winners, export tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from ..accounts.models import TARGET_GROUPS, User
from ..core.errors import PermissionDenied
from ..extensions import db
from ..units.models import Unit
from ..units.services import can_manage_unit, managed_root_id, subtree_ids_select
from .models import Attempt, Contest, Question, QuestionCategory, Round
from .ranking import leaderboard


def require_manage(user, contest: Contest) -> None:
    if not can_manage_unit(user, contest.unit):
        raise PermissionDenied("Bạn không có quyền quản lý cuộc thi này.")


def managed_contests(user) -> list[Contest]:
    """Contests run by the user's unit or any unit below it (all for admins)."""
    query = select(Contest).order_by(Contest.created_at.desc(), Contest.id.desc())
    root = managed_root_id(user)
    if root is not None:
        query = query.where(Contest.unit_id.in_(subtree_ids_select(root)))
    return list(db.session.scalars(query))


@dataclass
class RoundCounters:
    round: Round
    participants: int = 0
    attempts: int = 0
    finished: int = 0
    in_progress: int = 0


@dataclass
class Participation:
    rounds: list[RoundCounters] = field(default_factory=list)
    #: (unit name, participants, finished attempts) per unit of the participants.
    units: list[tuple[str, int, int]] = field(default_factory=list)


def participation(contest: Contest, now: datetime) -> Participation:
    """Live counters per round and per unit (in-progress attempts past time are not live)."""
    live = (Attempt.status == "in_progress") & (Attempt.deadline_at >= now)
    per_round = db.session.execute(
        select(
            Attempt.round_id,
            func.count(func.distinct(Attempt.user_id)),
            func.count(Attempt.id),
            func.sum(case((Attempt.status == "finished", 1), else_=0)),
            func.sum(case((live, 1), else_=0)),
        )
        .join(Round, Round.id == Attempt.round_id)
        .where(Round.contest_id == contest.id)
        .group_by(Attempt.round_id)
    ).all()
    by_round = {row[0]: row[1:] for row in per_round}
    result = Participation()
    for round_ in contest.rounds:
        people, total, finished, in_progress = by_round.get(round_.id, (0, 0, 0, 0))
        result.rounds.append(
            RoundCounters(round_, people, total, int(finished or 0), int(in_progress or 0))
        )
    per_unit = db.session.execute(
        select(
            func.coalesce(Unit.name, "(Chưa chọn đơn vị)"),
            func.count(func.distinct(Attempt.user_id)),
            func.sum(case((Attempt.status == "finished", 1), else_=0)),
        )
        .join(Round, Round.id == Attempt.round_id)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(Round.contest_id == contest.id)
        .group_by(Unit.name)
        .order_by(func.count(func.distinct(Attempt.user_id)).desc(), Unit.name)
    ).all()
    result.units = [(name, people, int(finished or 0)) for name, people, finished in per_unit]
    return result


def bank_summary(contest: Contest) -> list[tuple[str, str, int]]:
    """(category, type, count) of the active questions."""
    rows = db.session.execute(
        select(QuestionCategory.name, Question.type, func.count(Question.id))
        .outerjoin(QuestionCategory, QuestionCategory.id == Question.category_id)
        .where(Question.contest_id == contest.id, Question.active.is_(True))
        .group_by(QuestionCategory.name, Question.type)
        .order_by(QuestionCategory.name, Question.type)
    ).all()
    return [(name or "(không nhóm)", qtype, n) for name, qtype, n in rows]


# --- export tables: (headers, rows); the writers in xlsx.py turn them into files -------------

RANKING_HEADERS = ["Hạng", "Họ và tên", "Đơn vị", "Điểm", "Điểm tối đa",
                   "Thời gian làm bài (giây)", "Nộp bài lúc", "Dự đoán", "Số lượt"]  # fmt: skip
ATTEMPT_HEADERS = ["Mã lượt", "Vòng", "Lượt số", "Họ và tên", "Email", "Đơn vị", "Đối tượng",
                   "Năm sinh", "Trạng thái", "Bắt đầu", "Nộp bài", "Thời gian (giây)", "Điểm",
                   "Điểm tối đa"]  # fmt: skip


def ranking_table(contest: Contest, round_id: int | None, limit: int | None = None):
    """The leaderboard (the same query as the public page) with full names."""
    rows = leaderboard(contest, round_id, limit=limit, full_names=True)
    return RANKING_HEADERS, [
        [r.rank, r.name, r.unit, r.score, r.max_score, r.duration_ms / 1000, r.submitted_at,
         r.prediction, r.attempts]
        for r in rows
    ]  # fmt: skip


def attempts_table(contest: Contest, round_id: int | None = None):
    query = (
        select(Attempt, Round.title, User, Unit.name)
        .join(Round, Round.id == Attempt.round_id)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(Round.contest_id == contest.id)
        .order_by(Round.position, Attempt.id)
    )
    if round_id is not None:
        query = query.where(Attempt.round_id == round_id)
    rows = []
    for attempt, round_title, user, unit_name in db.session.execute(query):
        rows.append([
            attempt.id, round_title, attempt.number, user.full_name, user.email, unit_name or "",
            TARGET_GROUPS.get(user.target_group or "", ""), user.birth_year,
            "Đã nộp" if attempt.finished else "Đang làm", attempt.started_at,
            attempt.submitted_at,
            attempt.duration_ms / 1000 if attempt.duration_ms is not None else None,
            attempt.score, attempt.max_score,
        ])  # fmt: skip
    return ATTEMPT_HEADERS, rows
