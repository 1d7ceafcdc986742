"""API bearer tokens: issue (email + password), resolve, revoke. Only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select

from ..accounts import services as accounts
from ..accounts.models import User
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


class Caller(NamedTuple):
    """Who presented a live token: the user's id (all the hot API paths need) and the token's."""

    id: int
    token_id: int


_T = ApiToken.__table__
_U = User.__table__
_RESOLVE = (
    select(_T.c.id, _T.c.user_id, _T.c.expires_at, _T.c.revoked_at, _U.c.active)
    .join(_U, _U.c.id == _T.c.user_id)
    .where(_T.c.token_hash == bindparam("digest"))
)


def resolve(token: str, now: datetime) -> Caller | None:
    """The caller of a presented token, or None (unknown, expired, revoked, inactive user).

    Runs on every API request, so it is one prepared Core statement and loads no objects.
    """
    if not token or len(token) > 200:
        return None
    row = db.session.connection().execute(_RESOLVE, {"digest": _digest(token)}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.active:
        return None
    return Caller(row.user_id, row.id)


def revoke(token_id: int, now: datetime) -> None:
    db.session.get(ApiToken, token_id).revoked_at = now
    db.session.flush()
