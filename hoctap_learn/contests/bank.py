"""Question bank use cases: import (GIFT, Aiken), export, queries."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..core.errors import NotFound, ValidationError
from ..extensions import db
from . import gift
from .aiken import parse_aiken
from .models import Attempt, AttemptQuestion, Contest, Question, QuestionCategory
from .models.question import QUESTION_TYPES
from .parsed import ParsedQuestion, ParseResult

FORMATS = ("gift", "aiken", "xlsx")
_AIKEN_ANSWER = re.compile(r"^ANSWER\s*:", re.IGNORECASE | re.MULTILINE)


def get_contest(slug: str) -> Contest:
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    if contest is None:
        raise NotFound(f"Không tìm thấy cuộc thi “{slug}”.")
    return contest


def list_contests(published_only: bool = False) -> list[Contest]:
    query = select(Contest).order_by(Contest.created_at.desc(), Contest.id.desc())
    if published_only:
        query = query.where(Contest.published.is_(True))
    return list(db.session.scalars(query))


def guess_format(filename: str, text: str | None) -> str:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".gift"):
        return "gift"
    if text is not None and _AIKEN_ANSWER.search(text) and "{" not in text:
        return "aiken"
    return "gift"


def parse_text(text: str, fmt: str, category: str | None = None) -> ParseResult:
    if fmt == "gift":
        return gift.parse_gift(text, default_category=category)
    if fmt == "aiken":
        return parse_aiken(text, default_category=category)
    raise ValidationError(f"Định dạng “{fmt}” không được hỗ trợ.")


def parse_file(data: bytes, filename: str, fmt: str | None = None, category=None) -> ParseResult:
    """Parse an uploaded or local question file in any supported format."""
    if (fmt or guess_format(filename, None)) == "xlsx":
        from .xlsx import parse_xlsx

        return parse_xlsx(data, default_category=category)
    text = decode(data)
    return parse_text(text, fmt or guess_format(filename, text), category)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("Tệp phải được mã hóa UTF-8.") from None


@dataclass
class ImportReport:
    imported: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_type: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUESTION_TYPES, 0))
    errors: list[dict] = field(default_factory=list)
    dry_run: bool = False
    #: Updated questions that attempts in progress had drawn: those attempts go on with
    #: (and are scored against) the question as drawn, see `in_use_message`.
    in_use: int = 0
    #: Attempts in progress that drew one of them.
    in_use_attempts: int = 0

    def as_dict(self) -> dict:
        """The JSON contract of ``hoctap contest import-questions --json``."""
        return {"imported": self.imported, "by_type": self.by_type, "errors": self.errors,
                "updated_in_use": self.in_use,
                "attempts_in_progress_kept": self.in_use_attempts}  # fmt: skip

    @property
    def in_use_message(self) -> str | None:
        """What the organizer is told when updated questions are in running attempts."""
        if not self.in_use:
            return None
        return (f"{self.in_use} câu hỏi vừa cập nhật đang có trong {self.in_use_attempts} "
                "lượt thi chưa nộp bài: các lượt thi đó vẫn hiển thị và chấm điểm theo nội "
                "dung câu hỏi lúc rút đề; nội dung mới áp dụng cho các lượt thi bắt đầu từ "
                "bây giờ.")  # fmt: skip


def _same_options(old: list, new: list) -> bool:
    """The same options, whatever their order."""
    def key(options):
        return sorted(json.dumps(o, sort_keys=True, ensure_ascii=False) for o in options or [])

    return key(old) == key(new)


def _stored_options(item: ParsedQuestion, existing: Question | None, rng) -> list:
    """The options in the order the bank keeps them.

    Question files usually list the right option first; stored like that, "always the
    first option" would score full marks in a round that does not shuffle, and would be
    the first thing to try in one that does. So a choice question's options are stored in
    an order drawn at random, kept on re-import while the options stay the same (otherwise
    every import would count as an update)."""
    if item.type not in ("single_choice", "multiple_choice"):
        return item.options
    if existing is not None and _same_options(existing.options, item.options):
        return existing.options
    options = list(item.options)
    rng.shuffle(options)
    return options


def _category(contest: Contest, name: str | None, cache: dict) -> QuestionCategory | None:
    if not name:
        return None
    name = name.strip()[:255]
    if name in cache:
        return cache[name]
    category = db.session.scalar(
        select(QuestionCategory).where(
            QuestionCategory.contest_id == contest.id, QuestionCategory.name == name
        )
    )
    if category is None:
        category = QuestionCategory(contest_id=contest.id, name=name)
        db.session.add(category)
        db.session.flush()
    cache[name] = category
    return category


def store_questions(
    contest: Contest,
    parsed: list[ParsedQuestion],
    report: ImportReport,
    rng: random.Random | None = None,
) -> None:
    """Insert or update questions by natural key (title or text digest).

    Attempts hold a snapshot of each question they drew, so an update never changes an
    attempt in progress; the report counts those it concerns (`ImportReport.in_use`)."""
    rng = rng or random.SystemRandom()
    existing = {
        q.key: q
        for q in db.session.scalars(select(Question).where(Question.contest_id == contest.id))
    }
    cache: dict = {}
    seen: set[str] = set()
    updated: list[int] = []
    for item in parsed:
        key = item.key
        if key in seen:
            continue  # the same question twice in one file: first one wins
        seen.add(key)
        category = _category(contest, item.category, cache)
        question = existing.get(key)
        values = {
            "title": item.title[:255],
            "type": item.type,
            "text": item.text,
            "options": _stored_options(item, question, rng),
            "answer": item.answer,
            "general_feedback": item.general_feedback,
            "points": item.points,
            "category_id": category.id if category else None,
            "active": True,
        }
        if question is None:
            db.session.add(Question(contest_id=contest.id, key=key, **values))
            report.created += 1
        elif any(getattr(question, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(question, k, v)
            report.updated += 1
            updated.append(question.id)
        else:
            report.unchanged += 1
    db.session.flush()
    if updated:
        report.in_use, report.in_use_attempts = db.session.execute(
            select(func.count(func.distinct(AttemptQuestion.question_id)),
                   func.count(func.distinct(AttemptQuestion.attempt_id)))
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .where(Attempt.status == "in_progress", AttemptQuestion.question_id.in_(updated))
        ).one()  # fmt: skip


def import_questions(
    contest: Contest,
    parsed: ParseResult,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import parsed questions. A file with errors imports nothing unless `skip_invalid`."""
    report = ImportReport(dry_run=dry_run)
    report.errors = [e.as_dict() for e in sorted(parsed.errors, key=lambda e: e.line)]
    if parsed.errors and not skip_invalid:
        return report
    for item in parsed.questions:
        report.by_type[item.type] = report.by_type.get(item.type, 0) + 1
    report.imported = len(parsed.questions)
    if not dry_run:
        store_questions(contest, parsed.questions, report)
    return report


def bank_questions(contest: Contest, category_name: str | None = None) -> list[Question]:
    query = (
        select(Question)
        .outerjoin(QuestionCategory, Question.category_id == QuestionCategory.id)
        .where(Question.contest_id == contest.id, Question.active.is_(True))
        .order_by(QuestionCategory.name.nulls_first(), Question.id)
    )
    if category_name:
        query = query.where(QuestionCategory.name == category_name)
    return list(db.session.scalars(query))


def export_bank(contest: Contest, category_name: str | None = None) -> str:
    questions = bank_questions(contest, category_name)
    header = f"// {contest.title} — xuất từ hoctap_learn\n\n"
    return header + gift.export_gift(
        questions, category_of=lambda q: q.category.name if q.category else None
    )
