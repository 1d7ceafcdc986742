"""`hoctap content load` for contests: content/contests/<slug>/contest.yaml + question file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..core.content import ContentError, LoadReport, apply_fields, read_yaml, register_loader
from ..core.timeutil import VN_TZ
from ..extensions import db
from ..units.models import Campaign, Unit
from . import bank
from .models import Contest, QuestionCategory, Round, RoundCategory
from .models.contest import CONTEST_KINDS, NAME_DISPLAYS, REVEAL_MODES


def _local_time(value, field: str, path: Path) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        local = value
    else:
        try:
            local = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise ContentError(f"{path}: “{field}” phải có dạng YYYY-MM-DD HH:MM.") from exc
    if local.tzinfo is None:
        local = local.replace(tzinfo=VN_TZ)
    return local


def _lookup(model, column, value, what: str, path: Path):
    row = db.session.scalar(select(model).where(column == str(value)))
    if row is None:
        raise ContentError(f"{path}: không có {what} “{value}”.")
    return row


@register_loader("contests", order=40)
def load_contests(content_dir: Path, report: LoadReport) -> None:
    folder = content_dir / "contests"
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*/contest.yaml")):
        _load_contest(path, report)


def _load_contest(path: Path, report: LoadReport) -> None:
    data = read_yaml(path) or {}
    for key in ("slug", "title", "unit"):
        if not data.get(key):
            raise ContentError(f"{path}: thiếu trường “{key}”.")
    if data.get("kind", "quiz") not in CONTEST_KINDS:
        raise ContentError(f"{path}: “kind” không hợp lệ.")
    if data.get("name_display", "abbreviated") not in NAME_DISPLAYS:
        raise ContentError(f"{path}: “name_display” không hợp lệ.")
    unit = _lookup(Unit, Unit.code, data["unit"], "đơn vị", path)
    campaign = None
    if data.get("campaign"):
        campaign = _lookup(Campaign, Campaign.slug, data["campaign"], "Tuần lễ", path)
    values = {
        "title": str(data["title"]).strip(),
        "description": (data.get("description") or "").strip(),
        "rules": (data.get("rules") or "").strip(),
        "kind": data.get("kind", "quiz"),
        "min_age": data.get("min_age"),
        "name_display": data.get("name_display", "abbreviated"),
        "published": bool(data.get("published", False)),
        "unit_id": unit.id,
        "campaign_id": campaign.id if campaign else None,
    }
    counts = report.for_kind("contests")
    contest = db.session.scalar(select(Contest).where(Contest.slug == str(data["slug"])))
    if contest is None:
        contest = Contest(slug=str(data["slug"]), **values)
        db.session.add(contest)
        db.session.flush()
        counts.created += 1
    elif apply_fields(contest, values):
        counts.updated += 1
    else:
        counts.unchanged += 1

    if data.get("questions"):
        _load_questions(contest, path.parent / data["questions"], report)
    _load_rounds(contest, data.get("rounds") or [], path, report)


def _load_questions(contest: Contest, path: Path, report: LoadReport) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ContentError(f"Không tìm thấy tệp câu hỏi {path}") from exc
    parsed = bank.parse_text(text, bank.guess_format(path.name, text))
    if parsed.errors:
        first = parsed.errors[0]
        raise ContentError(f"{path}, dòng {first.line}: {first.message}")
    result = bank.ImportReport()
    bank.store_questions(contest, parsed.questions, result)
    counts = report.for_kind("questions")
    counts.created += result.created
    counts.updated += result.updated
    counts.unchanged += result.unchanged


def _load_rounds(contest: Contest, rounds: list, path: Path, report: LoadReport) -> None:
    counts = report.for_kind("contest_rounds")
    existing = {r.slug: r for r in contest.rounds}
    for position, entry in enumerate(rounds, start=1):
        if not isinstance(entry, dict) or not entry.get("slug") or not entry.get("title"):
            raise ContentError(f"{path}: vòng thi số {position} cần “slug” và “title”.")
        reveal = entry.get("reveal_answers", "after_close")
        if reveal not in REVEAL_MODES:
            raise ContentError(f"{path}: “reveal_answers” của vòng {entry['slug']} không hợp lệ.")
        values = {
            "title": str(entry["title"]).strip(),
            "description": (entry.get("description") or "").strip(),
            "position": position,
            "opens_at": _local_time(entry.get("opens_at"), "opens_at", path),
            "closes_at": _local_time(entry.get("closes_at"), "closes_at", path),
            "is_practice": bool(entry.get("practice", False)),
            "questions_per_attempt": int(entry.get("questions_per_attempt", 20)),
            "time_limit_seconds": int(float(entry.get("time_limit_minutes", 20)) * 60),
            "attempts_allowed": entry.get("attempts_allowed", 1),
            "shuffle_questions": bool(entry.get("shuffle_questions", True)),
            "shuffle_options": bool(entry.get("shuffle_options", True)),
            "reveal_answers": reveal,
            "prediction_enabled": bool(entry.get("prediction", False)),
            "prediction_answer": entry.get("prediction_answer"),
        }
        if values["opens_at"] and values["closes_at"] and values["closes_at"] <= values["opens_at"]:
            raise ContentError(f"{path}: vòng {entry['slug']} đóng trước khi mở.")
        round_ = existing.get(str(entry["slug"]))
        if round_ is None:
            round_ = Round(contest=contest, slug=str(entry["slug"]), **values)
            db.session.add(round_)
            db.session.flush()
            counts.created += 1
            changed = False
        else:
            changed = apply_fields(round_, values)
        changed |= _set_round_categories(contest, round_, entry.get("categories") or [], path)
        if changed:
            counts.updated += 1
        elif round_.id in {r.id for r in existing.values()}:
            counts.unchanged += 1
    db.session.flush()


def _set_round_categories(contest, round_: Round, names: list, path: Path) -> bool:
    wanted = set()
    for name in names:
        category = db.session.scalar(
            select(QuestionCategory).where(
                QuestionCategory.contest_id == contest.id, QuestionCategory.name == str(name)
            )
        )
        if category is None:
            raise ContentError(f"{path}: vòng {round_.slug} dùng nhóm câu hỏi “{name}” không có.")
        wanted.add(category.id)
    current = {rc.category_id for rc in round_.categories}
    if current == wanted:
        return False
    round_.categories = [RoundCategory(category_id=cid) for cid in sorted(wanted)]
    return True
