"""Harvest schedules: daily or weekly at a local time, and the next run they give.

Times are local to the province (``HOCTAP_TIMEZONE``, Asia/Ho_Chi_Minh by default) and
stored as ``HH:MM``; `next_run_at` is stored in UTC. Viet Nam has no daylight saving time,
but the arithmetic is done in local wall time and converted, so a zone that has one works.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import select, update

from ..core.errors import DomainError, ValidationError
from ..core.types import utcnow
from ..extensions import db
from .models import SCHEDULES, HarvestSource

log = logging.getLogger("hoctap_learn.jobs")

#: Weekday codes (CLI) and Vietnamese names, Monday first (Python's weekday()).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Schedule:
    """A checked schedule: `kind` is None (no schedule), ``daily`` or ``weekly``."""

    kind: str | None = None
    at: str | None = None
    weekday: int | None = None


def local_zone() -> ZoneInfo:
    name = current_app.config.get("HOCTAP_TIMEZONE") or "Asia/Ho_Chi_Minh"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Ho_Chi_Minh")


def parse_time(value: str) -> str:
    """``H:MM`` or ``HH:MM`` (24-hour) → ``HH:MM``; ValidationError otherwise."""
    match = _TIME_RE.match((value or "").strip())
    if not match:
        raise ValidationError(
            f"Giờ chạy “{value}” không hợp lệ: hãy ghi theo dạng GG:PP, ví dụ 02:30.", "at"
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_weekday(value: str | int) -> int:
    text = str(value).strip().lower()
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    if text.isdigit() and 0 <= int(text) <= 6:
        return int(text)
    raise ValidationError(
        f"Thứ “{value}” không hợp lệ: hãy dùng một trong {', '.join(WEEKDAYS)}.", "weekday"
    )


def make_schedule(kind: str | None, at: str | None = None, weekday=None) -> Schedule:
    """Check raw values (form, CLI) and return a Schedule."""
    if not kind or kind == "none":
        return Schedule()
    if kind not in SCHEDULES:
        raise ValidationError("Kiểu lịch chạy không hợp lệ.", "kind")
    at = parse_time(at or "")
    if kind == "weekly":
        if weekday is None or weekday == "":
            raise ValidationError("Lịch hằng tuần cần chọn thứ trong tuần.", "weekday")
        return Schedule("weekly", at, parse_weekday(weekday))
    return Schedule("daily", at)


def next_occurrence(schedule: Schedule, after: datetime) -> datetime | None:
    """The first time strictly after `after` (aware) the schedule fires, in UTC."""
    if schedule.kind is None:
        return None
    zone = local_zone()
    hour, minute = (int(part) for part in schedule.at.split(":"))
    local = after.astimezone(zone)
    day = local.date()
    for offset in range(8):
        candidate_day = day + timedelta(days=offset)
        if schedule.kind == "weekly" and candidate_day.weekday() != schedule.weekday:
            continue
        candidate = datetime.combine(candidate_day, time(hour, minute), tzinfo=zone)
        if candidate > local:
            return candidate.astimezone(after.tzinfo)
    raise AssertionError("a weekly schedule fires within 8 days")  # pragma: no cover


def describe(kind: str | None, weekday: int | None, at: str | None) -> str:
    """Vietnamese text of a schedule, e.g. "Thứ Hai hằng tuần, lúc 02:30"."""
    if kind == "daily":
        return f"Hằng ngày, lúc {at}"
    if kind == "weekly" and weekday is not None:
        return f"{WEEKDAY_LABELS[weekday]} hằng tuần, lúc {at}"
    return "Không có (chỉ chạy khi bấm “Chạy ngay” hoặc bằng lệnh)"


# --- services -------------------------------------------------------------------------------


def set_schedule(source: HarvestSource, schedule: Schedule, now: datetime | None = None) -> None:
    """Store the schedule and its next run (the caller commits)."""
    source.schedule = schedule.kind
    source.schedule_time = schedule.at
    source.schedule_weekday = schedule.weekday
    source.next_run_at = next_occurrence(schedule, now or utcnow())


def source_schedule(source: HarvestSource) -> Schedule:
    return Schedule(source.schedule, source.schedule_time, source.schedule_weekday)


def claim_due_sources(now: datetime) -> list[int]:
    """Claim every source whose `next_run_at` has come; return the ids this caller won.

    Each due source is claimed with one conditional UPDATE that moves `next_run_at` on
    (from the value read to the next occurrence after now), committed at once: of several
    workers reading the same row only one moves it, and a worker that was down for days
    claims one run, not one per missed day."""
    due = db.session.execute(
        select(HarvestSource.id, HarvestSource.next_run_at).where(
            HarvestSource.next_run_at.is_not(None), HarvestSource.next_run_at <= now
        )
    ).all()
    won: list[int] = []
    for source_id, seen in due:
        source = db.session.get(HarvestSource, source_id)
        following = next_occurrence(source_schedule(source), now)
        claimed = db.session.execute(
            update(HarvestSource)
            .where(HarvestSource.id == source_id, HarvestSource.next_run_at == seen)
            .values(next_run_at=following)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed:
            won.append(source_id)
    return won


def queue_due_sources(now: datetime) -> list[int]:
    """Queue a run of every due source this caller claims; return the run ids. A disabled
    source, or one already queued or running, skips this occurrence."""
    from .runner import queue_run

    queued: list[int] = []
    for source_id in claim_due_sources(now):
        source = db.session.get(HarvestSource, source_id)
        if not source.enabled:
            continue
        try:
            queued.append(queue_run(source, "lịch").id)
        except DomainError as error:
            db.session.rollback()
            log.info("scheduled run of %s skipped: %s", source.slug, error.message)
    return queued
