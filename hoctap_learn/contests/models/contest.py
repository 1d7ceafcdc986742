"""Contests (cuộc thi) and their rounds (vòng thi)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.types import UTCDateTime, utcnow
from ...core.types import sql_in as _in
from ...extensions import db
from ...units.models import Campaign, Unit

CONTEST_KINDS = {"quiz": "Trắc nghiệm", "creative": "Bài dự thi sáng tạo", "both": "Cả hai"}
NAME_DISPLAYS = {"full": "Họ và tên đầy đủ", "abbreviated": "Viết tắt (Nguyễn V. A.)"}
REVEAL_MODES = {
    "after_submit": "Ngay sau khi nộp bài",
    "after_close": "Sau khi vòng thi kết thúc",
    "never": "Không công bố",
}


class Contest(db.Model):
    """A contest of a campaign, run by a unit: quiz rounds and/or creative entries."""

    __tablename__ = "contests"
    __table_args__ = (
        CheckConstraint(_in("kind", CONTEST_KINDS), "kind"),
        CheckConstraint(_in("name_display", NAME_DISPLAYS), "name_display"),
        CheckConstraint("min_age IS NULL OR min_age BETWEEN 0 AND 120", "min_age"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Natural key used by content files, the CLI and URLs, e.g. ``cong-dan-so``.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    #: The Week this contest belongs to.
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True
    )
    #: The organizing unit; its organizers (and those above) manage the contest.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Rules text (thể lệ) shown on the contest page.
    rules: Mapped[str] = mapped_column(Text, default="")
    #: One of `CONTEST_KINDS`.
    kind: Mapped[str] = mapped_column(String(20), default="quiz")
    #: Minimum age (in the contest's year) to take part; NULL means no limit.
    min_age: Mapped[int | None]
    #: How participants' names appear on leaderboards: one of `NAME_DISPLAYS`.
    name_display: Mapped[str] = mapped_column(String(20), default="abbreviated")
    #: Unpublished contests are visible to their organizers only.
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign | None] = relationship()
    unit: Mapped[Unit] = relationship()
    rounds: Mapped[list[Round]] = relationship(
        back_populates="contest", order_by="Round.position", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return CONTEST_KINDS.get(self.kind, self.kind)


class Round(db.Model):
    """A timed round (vòng/tuần thi) with its draw and timing rules."""

    __tablename__ = "contest_rounds"
    __table_args__ = (
        UniqueConstraint("contest_id", "slug"),
        CheckConstraint(
            "opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at", "times_ordered"
        ),
        CheckConstraint("questions_per_attempt > 0", "questions_positive"),
        CheckConstraint("time_limit_seconds > 0", "time_limit_positive"),
        CheckConstraint("attempts_allowed IS NULL OR attempts_allowed > 0", "attempts_positive"),
        CheckConstraint(_in("reveal_answers", REVEAL_MODES), "reveal_answers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    #: Natural key within the contest, e.g. ``vong-1``, ``thu``.
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Display order within the contest.
    position: Mapped[int] = mapped_column(default=0)
    #: When the round opens; NULL means it has always been open.
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When it closes; NULL means it never closes (practice rounds).
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A practice round (vòng thi thử): open to all, left out of the overall ranking.
    is_practice: Mapped[bool] = mapped_column(default=False)
    #: How many questions each attempt draws at random from the round's categories.
    questions_per_attempt: Mapped[int] = mapped_column(default=20)
    #: Time allowed per attempt; the deadline is also capped at `closes_at`.
    time_limit_seconds: Mapped[int] = mapped_column(default=1200)
    #: Attempts per participant (the best one counts); NULL means unlimited.
    attempts_allowed: Mapped[int | None]
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    #: When correct answers are shown: one of `REVEAL_MODES`.
    reveal_answers: Mapped[str] = mapped_column(String(20), default="after_close")
    #: Ask "Dự đoán số người tham gia vòng thi này" as a tie-breaker.
    prediction_enabled: Mapped[bool] = mapped_column(default=False)
    #: The official participant count for the prediction; NULL means count at ranking time.
    prediction_answer: Mapped[int | None]

    contest: Mapped[Contest] = relationship(back_populates="rounds")
    categories: Mapped[list[RoundCategory]] = relationship(cascade="all, delete-orphan")

    def is_open(self, now: datetime) -> bool:
        if self.opens_at is not None and now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at

    def is_closed(self, now: datetime) -> bool:
        return self.closes_at is not None and now >= self.closes_at


class RoundCategory(db.Model):
    """A bank category a round draws from; a round with none draws from the whole bank."""

    __tablename__ = "contest_round_categories"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("contest_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("question_categories.id", ondelete="CASCADE"), primary_key=True
    )
