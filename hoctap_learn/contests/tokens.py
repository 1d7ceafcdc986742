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


class Presented(NamedTuple):
    """A token not checked yet: autosave and submit check it inside their first statement
    (`HOLDER`), one round trip fewer on the busiest requests. Not a user: it has no id."""

    digest: str
    now: datetime


INVALID_MESSAGE = "Mã truy cập (token) không hợp lệ, đã hết hạn hoặc đã bị thu hồi."


_T = ApiToken.__table__
_U = User.__table__
_RESOLVE = (
    select(_T.c.id, _T.c.user_id, _T.c.expires_at, _T.c.revoked_at, _U.c.active)
    .join(_U, _U.c.id == _T.c.user_id)
    .where(_T.c.token_hash == bindparam("digest"))
)


#: SQL: the user holding the live token of `Presented` parameters (`holder_params`), or NULL.
#: The same conditions as `resolve`.
HOLDER = (
    select(_T.c.user_id)
    .join(_U, _U.c.id == _T.c.user_id)
    .where(
        _T.c.token_hash == bindparam("token_digest"),
        _T.c.revoked_at.is_(None),
        _T.c.expires_at > bindparam("token_now", type_=_T.c.expires_at.type),
        _U.c.active.is_(True),
    )
    .scalar_subquery()
)


def well_formed(token: str | None) -> bool:
    return bool(token) and len(token) <= 200


def present(token: str, now: datetime) -> Presented | None:
    """A presented token to be checked later by `HOLDER`, or None if it cannot be one."""
    return Presented(_digest(token), now) if well_formed(token) else None


def holder_params(presented: Presented) -> dict:
    return {"token_digest": presented.digest, "token_now": presented.now}


def resolve(token: str, now: datetime) -> Caller | None:
    """The caller of a presented token, or None (unknown, expired, revoked, inactive user).

    Runs on every API request, so it is one prepared Core statement and loads no objects.
    """
    return resolve_digest(_digest(token), now) if well_formed(token) else None


def resolve_digest(digest: str, now: datetime) -> Caller | None:
    row = db.session.connection().execute(_RESOLVE, {"digest": digest}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.active:
        return None
    return Caller(row.user_id, row.id)


def revoke(token_id: int, now: datetime) -> None:
    db.session.get(ApiToken, token_id).revoked_at = now
    db.session.flush()
