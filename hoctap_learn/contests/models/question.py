"""The question bank of a contest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.types import UTCDateTime, utcnow
from ...extensions import db

QUESTION_TYPES = {
    "single_choice": "Một lựa chọn đúng",
    "multiple_choice": "Nhiều lựa chọn đúng",
    "true_false": "Đúng/Sai",
    "short_answer": "Trả lời ngắn",
    "numerical": "Số",
}


class QuestionCategory(db.Model):
    """A group of questions in a bank ($CATEGORY in GIFT); rounds draw from categories."""

    __tablename__ = "question_categories"
    __table_args__ = (UniqueConstraint("contest_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    #: e.g. ``an-toan-internet``.
    name: Mapped[str] = mapped_column(String(255))


class Question(db.Model):
    """A bank question. Its answers live in JSON: their shape depends on the type.

    - choice types: ``options`` = ``[{"text", "fraction", "feedback"}]``, fraction in [-1, 1]
    - true_false: ``answer`` = ``{"value": true|false}``
    - short_answer: ``answer`` = ``[{"text", "fraction"}]``
    - numerical: ``answer`` = ``[{"value", "tolerance", "fraction"}]`` (a range a..b is
      stored as its midpoint and half-width)
    """

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("contest_id", "key"),
        CheckConstraint("type IN ({})".format(", ".join(f"'{t}'" for t in QUESTION_TYPES)), "type"),
        CheckConstraint("points > 0", "points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_categories.id", ondelete="SET NULL"), index=True
    )
    #: Natural key: the GIFT title, or a hash of the text when the source has no title.
    key: Mapped[str] = mapped_column(String(255))
    #: The GIFT ``::title::``; may be empty.
    title: Mapped[str] = mapped_column(String(255), default="")
    #: One of `QUESTION_TYPES`.
    type: Mapped[str] = mapped_column(String(20))
    #: The question as shown; a missing-word question has ``_____`` where the blank is.
    text: Mapped[str] = mapped_column(Text)
    #: Choices for single/multiple choice (see the class docstring).
    options: Mapped[list] = mapped_column(JSON, default=list)
    #: Expected answer for true/false, short answer and numerical questions.
    answer: Mapped[dict | list | None] = mapped_column(JSON)
    #: Explanation shown with the revealed answer (GIFT ``####``).
    general_feedback: Mapped[str] = mapped_column(Text, default="")
    #: Points for a fully correct answer.
    points: Mapped[float] = mapped_column(default=1.0)
    #: Retired questions stay for old attempts but are no longer drawn.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[QuestionCategory | None] = relationship()

    @property
    def type_label(self) -> str:
        return QUESTION_TYPES.get(self.type, self.type)
