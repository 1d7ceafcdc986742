"""Creative entries: upload checked by content and size, approval, rubric judging, gallery.

Files are stored under HOCTAP_UPLOAD_DIR/entries with random names (never the uploaded
name, never under the web root) and served by a view that checks who may see them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from .lookup import can_manage
from .models import Contest, Criterion, Entry, EntryScore
from .organizer import require_manage

#: Default size limits in megabytes per kind (HOCTAP_ENTRY_MAX_MB overrides).
DEFAULT_MAX_MB = {"image": 10, "audio": 30, "video": 60}
TEXT_MAX = 20_000


def detect_media(head: bytes) -> tuple[str, str, str] | None:
    """(family, mime type, extension) from a file's first bytes, or None if unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png", "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "image/webp", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio", "audio/wav", "wav"
    if head.startswith(b"OggS"):
        return "audio", "audio/ogg", "ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio", "audio/mpeg", "mp3"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm", "webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio", "audio/mp4", "m4a"
        if brand == b"qt  ":
            return "video", "video/quicktime", "mov"
        return "video", "video/mp4", "mp4"
    return None


@dataclass
class EntryInput:
    title: str
    kind: str
    body: str = ""
    data: bytes | None = None
    filename: str = ""
    video_url: str = ""


def _upload_dir() -> Path:
    folder = Path(current_app.config["HOCTAP_UPLOAD_DIR"]) / "entries"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def media_path(entry: Entry) -> Path:
    return _upload_dir() / entry.stored_name


def _max_bytes(family: str) -> int:
    limits = {**DEFAULT_MAX_MB, **current_app.config.get("HOCTAP_ENTRY_MAX_MB", {})}
    return int(limits[family] * 1024 * 1024)


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or len(url) > 500 or " " in url:
        raise ValidationError("Đường dẫn video phải là địa chỉ https:// hợp lệ.", field="video_url")
    return url


def replaceable(entry: Entry | None) -> bool:
    """A participant may replace their entry until organizers have reviewed or scored it."""
    return entry is not None and entry.status == "pending" and not entry.scores


def submit_entry(user, contest: Contest, data: EntryInput, now: datetime) -> Entry:
    """Store a participant's entry, or replace their entry while it awaits review.

    The file is written before the row is flushed; files are removed by the outcome of the
    transaction (`_files_follow_transaction`): a replaced file when it commits, the new
    file when it rolls back, so a failed request leaves neither a lost file nor an orphan.
    """
    if contest.kind not in ("creative", "both") or not contest.published:
        raise ValidationError("Cuộc thi này không nhận bài dự thi sáng tạo.")
    if not user.profile_complete:
        raise PermissionDenied("Vui lòng cập nhật đầy đủ hồ sơ trước khi gửi bài dự thi.")
    entry = entry_of(user, contest)
    if entry is not None and not replaceable(entry):
        raise Conflict("Bài dự thi đã được ban tổ chức xét nên không thể thay bài khác.")
    title = " ".join((data.title or "").split())
    if not title or len(title) > 255:
        raise ValidationError("Vui lòng nhập tên bài dự thi (tối đa 255 ký tự).", field="title")
    body = (data.body or "").strip()
    if len(body) > TEXT_MAX:
        raise ValidationError(f"Nội dung dài tối đa {TEXT_MAX:,} ký tự.", field="body")
    if data.kind == "text" and not body:
        raise ValidationError("Vui lòng nhập nội dung bài viết.", field="body")
    if data.kind not in ("text", "link", *DEFAULT_MAX_MB):
        raise ValidationError("Loại bài dự thi không hợp lệ.", field="kind")
    video_url = _check_url(data.video_url) if data.kind == "link" else None
    if entry is None:
        entry = Entry(contest_id=contest.id, user_id=user.id)
        db.session.add(entry)
    elif entry.stored_name:
        _remove_when(media_path(entry), "commit")
    entry.title, entry.body, entry.kind, entry.submitted_at = title, body, data.kind, now
    entry.video_url = video_url
    entry.stored_name = entry.original_name = entry.mime_type = entry.size_bytes = None
    if data.kind in DEFAULT_MAX_MB:
        _attach_file(entry, data)
        _remove_when(media_path(entry), "rollback")
    db.session.flush()
    return entry


def _remove_when(path: Path, outcome: str) -> None:
    db.session.info.setdefault("entry_files", []).append((outcome, path))


def _files_follow_transaction(session, outcome: str) -> None:
    for when, path in session.info.pop("entry_files", []):
        if when == outcome:
            path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    _files_follow_transaction(session, "commit")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction) -> None:
    # Rolled back, or closed without committing (after a commit the list is already gone).
    if transaction.parent is None:
        _files_follow_transaction(session, "rollback")


def _attach_file(entry: Entry, data: EntryInput) -> None:
    if not data.data:
        raise ValidationError("Vui lòng chọn tệp.", field="file")
    detected = detect_media(data.data[:32])
    if detected is None or detected[0] != data.kind:
        raise ValidationError(
            "Nội dung tệp không phải định dạng được nhận cho loại bài này "
            "(ảnh JPEG/PNG/WebP; âm thanh MP3/M4A/WAV/OGG; video MP4/WebM/MOV).",
            field="file",
        )
    family, mime, ext = detected
    limit = _max_bytes(family)
    if len(data.data) > limit:
        raise ValidationError(f"Tệp quá lớn: tối đa {limit // (1024 * 1024)} MB.", field="file")
    stored = f"{secrets.token_hex(16)}.{ext}"
    path = _upload_dir() / stored
    with open(path, "xb") as fh:  # x: never overwrite
        fh.write(data.data)
    os.chmod(path, 0o640)
    entry.stored_name = stored
    entry.original_name = os.path.basename(data.filename or "")[:255] or stored
    entry.mime_type = mime
    entry.size_bytes = len(data.data)


def get_entry(entry_id: int) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy bài dự thi.")
    return entry


def can_view(user, entry: Entry) -> bool:
    if entry.status == "approved":
        return True
    if user is None:
        return False
    return entry.user_id == user.id or can_manage(user, db.session.get(Contest, entry.contest_id))


def review(actor, entry: Entry, status: str, now: datetime) -> Entry:
    require_manage(actor, db.session.get(Contest, entry.contest_id))
    if status not in ("approved", "rejected", "pending"):
        raise ValidationError("Trạng thái không hợp lệ.")
    entry.status = status
    entry.reviewed_at = now
    db.session.flush()
    return entry


def set_rubric(actor, contest: Contest, lines: str) -> list[Criterion]:
    """Replace the rubric from lines "Tên tiêu chí | điểm tối đa" (while nothing is scored)."""
    require_manage(actor, contest)
    parsed = []
    for number, line in enumerate((lines or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, _, points = line.partition("|")
        name = " ".join(name.split())
        try:
            max_points = float(points.strip().replace(",", ".")) if points.strip() else 10.0
        except ValueError:
            raise ValidationError(
                f"Dòng {number}: điểm tối đa phải là số.", field="rubric"
            ) from None
        if not name or not 0 < max_points <= 1000:
            raise ValidationError(f"Dòng {number}: cần tên và điểm tối đa dương.", field="rubric")
        parsed.append((name[:255], max_points))
    if len({n for n, _ in parsed}) != len(parsed):
        raise ValidationError("Có tiêu chí trùng tên.", field="rubric")
    scored = db.session.scalar(
        select(func.count(EntryScore.id))
        .join(Entry, Entry.id == EntryScore.entry_id)
        .where(Entry.contest_id == contest.id)
    )
    if scored:
        raise Conflict("Đã có điểm chấm; không thể thay đổi tiêu chí.", field="rubric")
    for old in criteria_of(contest):
        db.session.delete(old)
    db.session.flush()
    rows = [Criterion(contest_id=contest.id, name=n, max_points=m, position=i)
            for i, (n, m) in enumerate(parsed, start=1)]  # fmt: skip
    db.session.add_all(rows)
    db.session.flush()
    return rows


def criteria_of(contest: Contest) -> list[Criterion]:
    return list(
        db.session.scalars(
            select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
        )
    )


def score_entry(judge, entry: Entry, points: dict[int, float], now: datetime) -> None:
    """A judge's points per criterion (all criteria at once); scoring again replaces them."""
    contest = db.session.get(Contest, entry.contest_id)
    require_manage(judge, contest)
    criteria = {c.id: c for c in criteria_of(contest)}
    if not criteria:
        raise ValidationError("Cuộc thi chưa có tiêu chí chấm.")
    if set(points) != set(criteria):
        raise ValidationError("Vui lòng chấm đủ mọi tiêu chí.")
    for cid, value in points.items():
        if value is None or not 0 <= value <= criteria[cid].max_points:
            raise ValidationError(
                f"Điểm “{criteria[cid].name}” phải từ 0 đến {criteria[cid].max_points:g}."
            )
    existing = {
        s.criterion_id: s
        for s in db.session.scalars(
            select(EntryScore).where(
                EntryScore.entry_id == entry.id, EntryScore.judge_id == judge.id
            )
        )
    }
    for cid, value in points.items():
        row = existing.get(cid)
        if row is None:
            db.session.add(EntryScore(entry_id=entry.id, judge_id=judge.id, criterion_id=cid,
                                      points=value, scored_at=now))  # fmt: skip
        else:
            row.points, row.scored_at = value, now
    db.session.flush()


@dataclass(frozen=True)
class EntryResult:
    entry: Entry
    #: Average over judges of each judge's total; None before any judge scored.
    score: float | None
    judges: int


def entry_results(contest: Contest, approved_only: bool = False) -> list[EntryResult]:
    """Entries with their judged score, best first (one query for totals per judge)."""
    per_judge = (
        select(EntryScore.entry_id, EntryScore.judge_id, func.sum(EntryScore.points).label("total"))
        .group_by(EntryScore.entry_id, EntryScore.judge_id)
        .subquery()
    )
    query = (
        select(Entry, func.avg(per_judge.c.total), func.count(per_judge.c.judge_id))
        .outerjoin(per_judge, per_judge.c.entry_id == Entry.id)
        .where(Entry.contest_id == contest.id)
        .group_by(Entry.id)
        .order_by(func.coalesce(func.avg(per_judge.c.total), -1).desc(), Entry.submitted_at)
    )
    if approved_only:
        query = query.where(Entry.status == "approved")
    return [
        EntryResult(entry, round(float(avg), 2) if avg is not None else None, judges)
        for entry, avg, judges in db.session.execute(query)
    ]


def entry_of(user, contest: Contest) -> Entry | None:
    return db.session.scalar(
        select(Entry).where(Entry.contest_id == contest.id, Entry.user_id == user.id)
    )
