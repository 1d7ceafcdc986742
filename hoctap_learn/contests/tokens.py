"""API bearer tokens: issue (email + password), resolve, revoke. Only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts import services as accounts
from ..core.errors import ValidationError
from ..extensions import db
from .models import ApiToken

TOKEN_PREFIX = "htl_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(email: str, password: str, now: datetime, lifetime: timedelta):
    """Return (token, row) for valid credentials; the token is shown only this once."""
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise ValidationError("Vui lòng gửi “email” và “password”.")
    user = accounts.authenticate(email, password)
    if user is None:
        return None, None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now,
                   expires_at=now + lifetime)  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return token, row


def resolve(token: str, now: datetime) -> ApiToken | None:
    """The live token row for a presented token, or None (unknown, expired, revoked)."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == _digest(token))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.user.active:
        return None
    return row


def revoke(row: ApiToken, now: datetime) -> None:
    row.revoked_at = now
    db.session.flush()
