"""Organizer changes: create and edit contests and rounds, import into the bank."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..core.errors import Conflict, ValidationError
from ..core.timeutil import VN_TZ
from ..extensions import db
from ..units.models import Campaign, Unit
from ..units.services import require_manage_unit
from . import bank
from .models import Contest, QuestionCategory, Round, RoundCategory
from .models.contest import CONTEST_KINDS, NAME_DISPLAYS, REVEAL_MODES
from .organizer import require_manage

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass
class ContestInput:
    slug: str
    title: str
    unit_id: int | None
    campaign_id: int | None = None
    description: str = ""
    rules: str = ""
    kind: str = "quiz"
    min_age: int | None = None
    name_display: str = "abbreviated"
    published: bool = False


@dataclass
class RoundInput:
    slug: str
    title: str
    description: str = ""
    #: Local (Asia/Ho_Chi_Minh) naive or aware datetimes; None for always open.
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    is_practice: bool = False
    questions_per_attempt: int = 20
    time_limit_minutes: int = 20
    #: 0 or None: unlimited.
    attempts_allowed: int | None = 1
    shuffle_questions: bool = True
    shuffle_options: bool = True
    reveal_answers: str = "after_close"
    prediction_enabled: bool = False
    category_ids: list[int] = field(default_factory=list)


#: Path segments the contest pages use; a round cannot be named like them.
RESERVED = {"leaderboard", "entry", "gallery", "certificate", "attempts", "entries", "new"}


def _slug(value: str) -> str:
    slug = (value or "").strip().lower()
    if slug in RESERVED:
        raise ValidationError(f"Mã “{slug}” được hệ thống dùng; hãy chọn mã khác.", field="slug")
    if not SLUG_RE.match(slug):
        raise ValidationError(
            "Mã chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (tối đa 64 ký tự).",
            field="slug",
        )
    return slug


def _title(value: str) -> str:
    title = " ".join((value or "").split())
    if not title:
        raise ValidationError("Vui lòng nhập tên.", field="title")
    if len(title) > 255:
        raise ValidationError("Tên dài tối đa 255 ký tự.", field="title")
    return title


def _contest_values(actor, data: ContestInput) -> dict:
    unit = db.session.get(Unit, data.unit_id) if data.unit_id else None
    if unit is None:
        raise ValidationError("Vui lòng chọn đơn vị tổ chức.", field="unit_id")
    require_manage_unit(actor, unit)
    if data.campaign_id is not None and db.session.get(Campaign, data.campaign_id) is None:
        raise ValidationError("Tuần lễ không hợp lệ.", field="campaign_id")
    if data.kind not in CONTEST_KINDS:
        raise ValidationError("Hình thức thi không hợp lệ.", field="kind")
    if data.name_display not in NAME_DISPLAYS:
        raise ValidationError("Cách hiển thị tên không hợp lệ.", field="name_display")
    if data.min_age is not None and not 0 <= data.min_age <= 120:
        raise ValidationError("Tuổi tối thiểu không hợp lệ.", field="min_age")
    return {
        "title": _title(data.title),
        "unit_id": unit.id,
        "campaign_id": data.campaign_id,
        "description": (data.description or "").strip(),
        "rules": (data.rules or "").strip(),
        "kind": data.kind,
        "min_age": data.min_age,
        "name_display": data.name_display,
        "published": bool(data.published),
    }


def create_contest(actor, data: ContestInput) -> Contest:
    values = _contest_values(actor, data)
    slug = _slug(data.slug)
    if db.session.scalar(select(Contest.id).where(Contest.slug == slug)) is not None:
        raise Conflict(f"Mã cuộc thi “{slug}” đã được dùng.", field="slug")
    contest = Contest(slug=slug, **values)
    db.session.add(contest)
    db.session.flush()
    return contest


def update_contest(actor, contest: Contest, data: ContestInput) -> Contest:
    require_manage(actor, contest)
    for key, value in _contest_values(actor, data).items():
        setattr(contest, key, value)
    db.session.flush()
    return contest


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=VN_TZ) if value.tzinfo is None else value


def save_round(actor, contest: Contest, round_: Round | None, data: RoundInput) -> Round:
    """Create (`round_` None) or update a round of `contest`."""
    require_manage(actor, contest)
    slug = _slug(data.slug)
    clash = next((r for r in contest.rounds if r.slug == slug and r is not round_), None)
    if clash is not None:
        raise Conflict(f"Mã vòng thi “{slug}” đã được dùng.", field="slug")
    opens_at, closes_at = _aware(data.opens_at), _aware(data.closes_at)
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError("Thời điểm đóng phải sau thời điểm mở.", field="closes_at")
    if not 1 <= data.questions_per_attempt <= 200:
        raise ValidationError("Số câu hỏi mỗi lượt từ 1 đến 200.", field="questions_per_attempt")
    if not 1 <= data.time_limit_minutes <= 600:
        raise ValidationError("Thời gian làm bài từ 1 đến 600 phút.", field="time_limit_minutes")
    if data.attempts_allowed is not None and not 0 <= data.attempts_allowed <= 100:
        raise ValidationError(
            "Số lượt thi từ 0 (không giới hạn) đến 100.", field="attempts_allowed"
        )
    if data.reveal_answers not in REVEAL_MODES:
        raise ValidationError("Cách công bố đáp án không hợp lệ.", field="reveal_answers")
    valid_categories = set(
        db.session.scalars(
            select(QuestionCategory.id).where(QuestionCategory.contest_id == contest.id)
        )
    )
    if not set(data.category_ids) <= valid_categories:
        raise ValidationError("Nhóm câu hỏi không hợp lệ.", field="category_ids")
    values = {
        "slug": slug,
        "title": _title(data.title),
        "description": (data.description or "").strip(),
        "opens_at": opens_at,
        "closes_at": closes_at,
        "is_practice": bool(data.is_practice),
        "questions_per_attempt": data.questions_per_attempt,
        "time_limit_seconds": data.time_limit_minutes * 60,
        "attempts_allowed": data.attempts_allowed or None,
        "shuffle_questions": bool(data.shuffle_questions),
        "shuffle_options": bool(data.shuffle_options),
        "reveal_answers": data.reveal_answers,
        "prediction_enabled": bool(data.prediction_enabled),
    }
    if round_ is None:
        round_ = Round(contest=contest, position=len(contest.rounds) + 1, **values)
        db.session.add(round_)
    else:
        for key, value in values.items():
            setattr(round_, key, value)
    db.session.flush()
    if {rc.category_id for rc in round_.categories} != set(data.category_ids):
        round_.categories = [
            RoundCategory(category_id=cid) for cid in sorted(set(data.category_ids))
        ]
        db.session.flush()
    return round_


def import_file(
    actor, contest: Contest, data: bytes, filename: str, category: str | None, dry_run: bool,
    skip_invalid: bool = False,
) -> bank.ImportReport:  # fmt: skip
    """The organizer page's import: the same service as the CLI."""
    require_manage(actor, contest)
    if not data:
        raise ValidationError("Vui lòng chọn tệp câu hỏi.", field="file")
    parsed = bank.parse_file(data, filename, None, (category or "").strip() or None)
    return bank.import_questions(contest, parsed, dry_run=dry_run, skip_invalid=skip_invalid)
