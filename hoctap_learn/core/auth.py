"""Access decorators for views: who may open an organizer or admin page."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def staff_required(view):
    """Organizers and admins only; others get 403 (anonymous users are sent to log in)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
