"""Attempts (lượt thi): the drawn questions, the answers and the score."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.types import UTCDateTime, utcnow
from ...extensions import db
from .contest import Round
from .question import Question

ATTEMPT_STATUSES = {"in_progress": "Đang làm bài", "finished": "Đã nộp bài"}
FINISHED_BY = {"participant": "Thí sinh nộp bài", "deadline": "Hết giờ, hệ thống tự nộp"}


class Attempt(db.Model):
    """One try at a round by one participant.

    The partial unique index lets the database itself refuse a second attempt in progress
    for the same participant and round, whatever two requests race to start one.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "number"),
        CheckConstraint("status IN ('in_progress', 'finished')", "status"),
        CheckConstraint(
            "(status = 'in_progress') = (submitted_at IS NULL)", "submitted_iff_finished"
        ),
        CheckConstraint(
            "finished_by IS NULL OR finished_by IN ('participant', 'deadline')", "finished_by"
        ),
        CheckConstraint("deadline_at >= started_at", "deadline_after_start"),
        CheckConstraint("number > 0", "number_positive"),
        # Covering index for the report figures: finished attempts counted per participant
        # (people vs lượt) in one ordered pass, without reading the table.
        Index("ix_attempts_report", "user_id", "status", "round_id", "submitted_at"),
        Index(
            "uq_attempts_one_in_progress",
            "round_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Neither key has an index of its own: the (round_id, user_id, number) key and
    # ix_attempts_report lead with them (migration 0013).
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: 1 for the participant's first attempt at the round, 2 for the second…
    number: Mapped[int] = mapped_column(default=1)
    #: One of `ATTEMPT_STATUSES`.
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    #: Who ended the attempt: one of `FINISHED_BY`.
    finished_by: Mapped[str | None] = mapped_column(String(20))
    #: Server time at start; only the server's clock counts.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: start + time limit, capped at the round's close.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the attempt ended (the deadline itself when the server finalised it).
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: Last autosave, for the organizer's live view.
    last_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Autosaves so far. Ending an attempt scores what it read, then ends it only if this
    #: is still the count it read (no answer saved in between is lost), see contests/sheet.py.
    save_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Sum of the questions' points, set when the attempt ends.
    score: Mapped[float | None]
    #: The best possible score of the drawn questions.
    max_score: Mapped[float] = mapped_column(default=0.0)
    #: submitted_at − started_at in milliseconds: the "time taken" tie-breaker.
    duration_ms: Mapped[int | None]
    #: The participant's guess of how many people take part in the round (tie-breaker),
    #: fixed when this attempt ends; the ranking uses the one of the attempt that counts.
    prediction: Mapped[int | None]

    round: Mapped[Round] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def finished(self) -> bool:
        return self.status == "finished"


class AttemptQuestion(db.Model):
    """A question drawn for an attempt, in the order shown, with the saved answer."""

    __tablename__ = "attempt_questions"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        UniqueConstraint("attempt_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="RESTRICT"), index=True
    )
    #: 1-based order in which the question is shown.
    position: Mapped[int]
    #: Option indices (into ``Question.options`` as drawn) in the order shown; [] for other
    #: types. Kept for the organizer; participants never see them.
    option_order: Mapped[list] = mapped_column(JSON, default=list)
    # The question as drawn (a snapshot): re-importing or editing the bank later never
    # changes what this attempt shows or how it is scored. Filled for every row (0015).
    #: The question's type when drawn (one of `QUESTION_TYPES`).
    type: Mapped[str | None] = mapped_column(String(20))
    #: The question's text when drawn.
    text: Mapped[str | None] = mapped_column(Text)
    #: The options in the order shown, each ``{"id", "text", "fraction", "feedback"}`` with
    #: an id drawn at random for this attempt (responses refer to it). Attempts drawn
    #: before 0015 hold the bank's options without ids: their ids are the bank indices.
    options: Mapped[list | None] = mapped_column(JSON)
    #: The expected answer for true/false, short answer and numerical questions.
    answer: Mapped[dict | list | None] = mapped_column(JSON)
    #: The explanation shown with the revealed answer.
    feedback: Mapped[str | None] = mapped_column(Text)
    #: The participant's answer, as stored by autosave; NULL when unanswered.
    response: Mapped[dict | list | str | int | float | bool | None] = mapped_column(JSON)
    #: Points earned, set when the attempt ends.
    points: Mapped[float | None]
    #: Points available for this question.
    max_points: Mapped[float] = mapped_column(default=1.0)

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship()
