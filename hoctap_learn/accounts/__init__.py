"""Accounts: registration, login, profile, roles."""

from __future__ import annotations

from ..extensions import db, login_manager
from .models import User


def init_app(app) -> None:
    from . import cli, demo, views  # noqa: F401  (demo registers a content loader)

    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin_bp)
    app.cli.add_command(cli.user_group)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.unauthorized_handler
def unauthorized():
    from flask import flash, redirect, request, url_for

    from ..core.views import error_response, wants_json

    if wants_json():
        return error_response(401, "Bạn cần đăng nhập.")
    flash(login_manager.login_message, "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def _bearer_user() -> User | None:
    """On /api/ a bearer token, when presented, decides who calls (not a session cookie
    beside it); `contests.tokens.request_caller` is the one place it is resolved."""
    from ..contests import tokens
    from ..core.types import utcnow

    caller = tokens.request_caller(utcnow())
    return db.session.get(User, caller.id) if caller is not None else None


def _bearer_presented() -> bool:
    from flask import request

    from ..contests import tokens

    return request.path.startswith("/api/") and tokens.bearer_token() is not None


@login_manager.request_loader
def load_user_from_request(_request) -> User | None:
    return _bearer_user() if _bearer_presented() else None


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    if _bearer_presented():
        return _bearer_user()
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user
