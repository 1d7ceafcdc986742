"""Password reset by email.

The link carries a token signed with `SECRET_KEY` (itsdangerous, its own salt) holding the
account id and a fingerprint of the account's current password hash, email and
`session_version`. Nothing is stored: the token expires after `HOCTAP_RESET_MINUTES` (the
signature's timestamp), and it is single-use because using it changes the password hash
and moves `session_version` on, so the fingerprint no longer matches (a login, a password
change, a role change or "log out everywhere" also end links already sent). The password
is set by a conditional UPDATE on the version the token was checked against, so two
requests carrying one token cannot both set a password.

A request answers the same whether or not an account has the address; it is limited per
address spelling and per client address (`throttle.take_reset`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import update

from ..core import mail
from ..core.errors import ValidationError
from ..extensions import db
from .models import User
from .passwords import check_password_policy, hash_password
from .services import get_user_by_email

SALT = "hoctap-password-reset"
INVALID = (
    "Liên kết đặt lại mật khẩu không hợp lệ, đã được dùng hoặc đã hết hạn. "
    "Vui lòng yêu cầu một liên kết mới."
)
SUBJECT = "Đặt lại mật khẩu — Tuần lễ hưởng ứng học tập suốt đời"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    state = f"{user.password_hash}\n{user.email}\n{user.session_version}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_token(token: str) -> User:
    """The active account a live token belongs to; ValidationError otherwise."""
    max_age = current_app.config["HOCTAP_RESET_MINUTES"] * 60
    try:
        data = _serializer().loads(token or "", max_age=max_age)
    except BadData:
        raise ValidationError(INVALID) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise ValidationError(INVALID)
    user = db.session.get(User, data["u"])
    if (
        user is None
        or not user.active
        or not hmac.compare_digest(str(data.get("f")), _fingerprint(user))
    ):
        raise ValidationError(INVALID)
    return user


def request_reset(email: str, link_for: Callable[[str], str]) -> None:
    """Mail a reset link to the active account with this address, if there is one.

    Returns None either way, so callers cannot tell; `link_for(token)` builds the URL.
    Raises mail.MailNotSent only when the message could not be sent.
    """
    user = get_user_by_email(email)
    if user is None or not user.active:
        return
    minutes = current_app.config["HOCTAP_RESET_MINUTES"]
    mail.send(
        user.email,
        SUBJECT,
        "accounts/mail/password_reset",
        user=user,
        link=link_for(make_token(user)),
        minutes=minutes,
    )


def reset_password(token: str, password: str) -> User:
    """Set a new password with a live token; every session and API token of the account
    ends (`session_version` moves on). Raises ValidationError; nothing changes on error."""
    user = user_for_token(token)
    check_password_policy(password, user.email)
    checked = (user.session_version, user.password_hash)
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            User.session_version == checked[0],
            User.password_hash == checked[1],
        )
        .values(password_hash=hash_password(password), session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # another request used the token first
        raise ValidationError(INVALID)
    db.session.refresh(user)
    return user
