"""API bearer tokens: only a SHA-256 of the token is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import User
from ...core.types import UTCDateTime, utcnow
from ...extensions import db


class ApiToken(db.Model):
    """A bearer token issued by ``POST /api/v1/auth/token``; expiring and revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 hex digest of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when revoked; a revoked token is refused.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The account's `session_version` at issue; the token is dead once the account's moves on
    #: (password, role or active flag changed, "log out everywhere").
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: When the token was last presented, kept to within a minute (`tokens.TOUCH_EVERY`).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
