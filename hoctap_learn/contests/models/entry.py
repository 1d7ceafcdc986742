"""Creative entries (bài dự thi sáng tạo), the judging rubric and judges' scores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import User
from ...core.types import UTCDateTime, utcnow
from ...core.types import sql_in as _in
from ...extensions import db

ENTRY_KINDS = {
    "text": "Bài viết",
    "image": "Hình ảnh",
    "audio": "Âm thanh (bài đọc, thu âm)",
    "video": "Video",
    "link": "Đường dẫn video",
}
ENTRY_STATUSES = {"pending": "Chờ duyệt", "approved": "Đã duyệt", "rejected": "Không duyệt"}


class Entry(db.Model):
    """One participant's creative entry to a contest."""

    __tablename__ = "contest_entries"
    __table_args__ = (
        UniqueConstraint("contest_id", "user_id"),
        CheckConstraint(_in("kind", ENTRY_KINDS), "kind"),
        CheckConstraint(_in("status", ENTRY_STATUSES), "status"),
        CheckConstraint(
            "(kind IN ('image', 'audio', 'video')) = (stored_name IS NOT NULL)", "file_iff_media"
        ),
        CheckConstraint("(kind = 'link') = (video_url IS NOT NULL)", "url_iff_link"),
        CheckConstraint("size_bytes IS NULL OR size_bytes > 0", "size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    #: The participant's note, or the whole entry for a text entry.
    body: Mapped[str] = mapped_column(Text, default="")
    #: One of `ENTRY_KINDS`.
    kind: Mapped[str] = mapped_column(String(10))
    #: Random file name under HOCTAP_UPLOAD_DIR/entries (never the uploaded name).
    stored_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    #: The uploaded file's name, for display and download only.
    original_name: Mapped[str | None] = mapped_column(String(255))
    #: MIME type detected from the file's content.
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None]
    #: For ``link`` entries: an https URL to the video.
    video_url: Mapped[str | None] = mapped_column(String(500))
    #: One of `ENTRY_STATUSES`; only approved entries are public.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    scores: Mapped[list[EntryScore]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return ENTRY_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return ENTRY_STATUSES.get(self.status, self.status)


class Criterion(db.Model):
    """A line of a contest's judging rubric (tiêu chí chấm)."""

    __tablename__ = "contest_criteria"
    __table_args__ = (
        UniqueConstraint("contest_id", "name"),
        CheckConstraint("max_points > 0", "max_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    #: e.g. "Nội dung", "Sáng tạo", "Kỹ thuật thể hiện".
    name: Mapped[str] = mapped_column(String(255))
    max_points: Mapped[float] = mapped_column(default=10.0)
    position: Mapped[int] = mapped_column(default=0)


class EntryScore(db.Model):
    """One judge's points for one criterion of one entry; an entry's score is the
    judges' average of their totals."""

    __tablename__ = "contest_entry_scores"
    __table_args__ = (
        UniqueConstraint("entry_id", "judge_id", "criterion_id"),
        CheckConstraint("points >= 0", "points_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("contest_entries.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("contest_criteria.id", ondelete="CASCADE"), index=True
    )
    points: Mapped[float]
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()
