"""API bearer tokens: issue (email + password), resolve, list, revoke. Only hashes are stored.

A token is live while it is not revoked, not expired, its account is active and the
account's `session_version` is still the one the token was issued under: whatever ends the
browser sessions (a password, role or active change, "log out everywhere") ends the tokens.
`request_caller` is the one place a bearer header is turned into a caller, for Flask-Login
(accounts) and the contest API alike; autosave and submit check the same conditions inside
their first statement (`HOLDER`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import g, request
from sqlalchemy import bindparam, or_, select, update

from ..accounts.models import User
from ..core.errors import ValidationError
from ..extensions import db
from .models import ApiToken

TOKEN_PREFIX = "htl_"
#: `last_used_at` is written at most this often per token (one UPDATE, not one per request).
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_credentials_shape(email, password) -> None:
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise ValidationError("Vui lòng gửi “email” và “password”.")


def issue_for(user: User, now: datetime, lifetime: timedelta):
    """A new token for an authenticated user: (token, row)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now,
                   expires_at=now + lifetime,
                   session_version=user.session_version)  # fmt: skip
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
    select(_T.c.id, _T.c.user_id, _T.c.expires_at, _T.c.revoked_at, _T.c.last_used_at,
           _U.c.active, (_T.c.session_version == _U.c.session_version).label("current"))
    .join(_U, _U.c.id == _T.c.user_id)
    .where(_T.c.token_hash == bindparam("digest"))
)  # fmt: skip


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
        _T.c.session_version == _U.c.session_version,
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


def resolve(token: str, now: datetime, touch: bool = False) -> Caller | None:
    """The caller of a presented token, or None (unknown, expired, revoked, inactive user,
    or issued before the account's last password, role or active change).

    Runs on every API request, so it is one prepared Core statement and loads no objects.
    `touch` notes the use (`last_used_at`); only at the start of a request, see `_touch`.
    """
    return resolve_digest(_digest(token), now, touch) if well_formed(token) else None


def resolve_digest(digest: str, now: datetime, touch: bool = False) -> Caller | None:
    row = db.session.connection().execute(_RESOLVE, {"digest": digest}).first()
    if (row is None or row.revoked_at is not None or row.expires_at <= now or not row.active
            or not row.current):  # fmt: skip
        return None
    if touch and (row.last_used_at is None or row.last_used_at <= now - TOUCH_EVERY):
        _touch(row.id, now)
    return Caller(row.user_id, row.id)


def _touch(token_id: int, now: datetime) -> None:
    """Note the use in a short transaction of its own: GET requests never commit theirs, and
    a failed request must not lose it. At most once per `TOUCH_EVERY` (the WHERE also keeps
    two workers from writing it twice). Called before the request has written anything:
    on SQLite a second connection would wait for the request's own write lock."""
    stmt = (
        update(_T)
        .where(_T.c.id == token_id,
               or_(_T.c.last_used_at.is_(None), _T.c.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now)
    )  # fmt: skip
    with db.engine.begin() as conn:
        conn.execute(stmt)


def bearer_token() -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, or None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def request_caller(now: datetime) -> Caller | None:
    """The caller of the request's bearer token (None: no header or a dead token), resolved
    once per request."""
    if "hoctap_token_caller" not in g:
        token = bearer_token()
        g.hoctap_token_caller = resolve(token, now, touch=True) if token is not None else None
    return g.hoctap_token_caller


def revoke(token_id: int, now: datetime) -> None:
    db.session.get(ApiToken, token_id).revoked_at = now
    db.session.flush()


def revoke_all(user_id: int, now: datetime) -> int:
    """Revoke every token of the account not revoked yet; the number revoked."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def live_tokens(user: User, now: datetime) -> list[ApiToken]:
    """The account's tokens that still work, newest first (what the profile and the API list)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > now,
                   ApiToken.session_version == user.session_version)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )  # fmt: skip


def token_dict(row: ApiToken) -> dict:
    """What a holder may see of a token: never the secret nor its hash."""
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "expires_at": row.expires_at.isoformat(),
    }
