"""Certificates of participation and of prizes, each with a public verification code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import User
from ...core.types import UTCDateTime, utcnow
from ...extensions import db
from .contest import Contest, Round

CERTIFICATE_KINDS = {"participation": "Chứng nhận tham gia", "prize": "Chứng nhận đạt giải"}


class Certificate(db.Model):
    """A certificate as issued: names are copied so later profile edits do not alter it."""

    __tablename__ = "contest_certificates"
    __table_args__ = (
        UniqueConstraint("contest_id", "user_id", "kind", "round_key"),
        CheckConstraint("kind IN ('participation', 'prize')", "kind"),
        CheckConstraint("kind = 'participation' OR prize <> ''", "prize_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public verification code printed on the PDF, e.g. ``CDS-7K2M-QX9P``.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The round a prize is for; NULL for the contest as a whole.
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("contest_rounds.id", ondelete="CASCADE")
    )
    #: round id as text, or "" for the whole contest (NULLs never clash in a unique key).
    round_key: Mapped[str] = mapped_column(String(20), default="")
    #: One of `CERTIFICATE_KINDS`.
    kind: Mapped[str] = mapped_column(String(20))
    #: e.g. "Giải Nhất"; empty for participation.
    prize: Mapped[str] = mapped_column(String(100), default="")
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_unit: Mapped[str] = mapped_column(String(255), default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contest: Mapped[Contest] = relationship()
    round: Mapped[Round | None] = relationship()
    user: Mapped[User] = relationship()

    @property
    def kind_label(self) -> str:
        return CERTIFICATE_KINDS.get(self.kind, self.kind)
