"""JSON API of contests under /api/v1: tokens, contests, attempts, leaderboards.

Clients authenticate with ``Authorization: Bearer <token>`` (from ``POST
/api/v1/auth/token``) or the browser session. Only bearer-token requests skip CSRF: a
browser cannot attach that header cross-site, while a session cookie it sends by itself.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_login import current_user

from ..accounts import services as accounts
from ..accounts.models import User
from ..accounts.throttle import TooManyFailures
from ..core.errors import DomainError, Unauthenticated, ValidationError
from ..core.types import utcnow
from ..core.views import error_response
from ..extensions import csrf, db, limiter
from . import attempts, lookup, ranking, sheet, tokens
from .serialize import (
    attempt_dict,
    contest_dict,
    rank_dict,
    result_dict,
    round_dict,
    token_lifetime_days,
)

bp = Blueprint("contests_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked in `authenticate` below, except for bearer tokens


#: Endpoints whose services take a `tokens.Presented` and check it themselves.
_CHECKED_IN_SERVICE = frozenset({"contests_api.save", "contests_api.submit"})


@bp.before_request
def authenticate():
    # Who calls: a tokens.Caller or the session user (anything with the user's `.id`), or
    # for `_CHECKED_IN_SERVICE` a tokens.Presented that the service checks.
    g.api_caller = None
    presented = tokens.bearer_token()
    if presented is not None:
        if request.endpoint in _CHECKED_IN_SERVICE:
            # Autosave and submit check the token in their first statement (401 there).
            g.api_caller = tokens.present(presented, utcnow())
        else:
            g.api_caller = tokens.request_caller(utcnow())
        if g.api_caller is None:
            abort(401, tokens.INVALID_MESSAGE)
        return
    if not current_user.is_authenticated:
        return  # anonymous: reads only; routes that need a user answer 401
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.endpoint != (
        "contests_api.issue_token"
    ):
        csrf.protect()
    g.api_caller = current_user._get_current_object()


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """As the app's handler, except that a dead token presented to an endpoint that checks
    it in its service answers 401 whatever else was wrong with the request."""
    db.session.rollback()
    caller = g.get("api_caller")
    if (isinstance(caller, tokens.Presented) and error.status != 401
            and tokens.resolve_digest(caller.digest, caller.now) is None):  # fmt: skip
        error = Unauthenticated(tokens.INVALID_MESSAGE)
    return error_response(error.status, error.message)


def _caller():
    """The authenticated caller, for services that only need the user's id (for
    `_CHECKED_IN_SERVICE`, possibly a `tokens.Presented` not checked yet)."""
    if g.api_caller is None:
        abort(401, "Bạn cần đăng nhập.")
    return g.api_caller


def _viewer() -> User | None:
    """The calling user, loaded (for eligibility and visibility), or None if anonymous."""
    caller = g.api_caller
    if isinstance(caller, tokens.Caller):
        return db.session.get(User, caller.id)
    return caller


def _user() -> User:
    _caller()
    return _viewer()


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("Nội dung yêu cầu phải là một đối tượng JSON.")
    return data


def _committed(func, *args, render=None, **kwargs):
    """Run a service, build the response from its result with `render`, then commit once.

    A result of loaded ORM rows is rendered before the commit, because committing expires
    them (reloading an attempt's questions one by one costs more than the whole request);
    a plain result (a `Sheet`) is better rendered by the caller after it, once the locks
    are released. An AttemptClosed still commits: the attempt it finalised must stay so.
    """
    try:
        result = func(*args, **kwargs)
    except attempts.AttemptClosed:
        _commit()
        raise
    out = render(result) if render else result
    _commit()
    return out


def _commit():
    # A PostgreSQL submit runs on a connection of its own and may never open a session.
    if db.session.registry.has():
        db.session.commit()


# --- tokens ----------------------------------------------------------------------------------


def _login_limit() -> str:
    return current_app.config["HOCTAP_LOGIN_LIMIT"]


@bp.route("/auth/token", methods=["POST"])
@limiter.limit(_login_limit)
def issue_token():
    """The login page's rules: per-address limit above, delays per account and address."""
    data = _json_body()
    email, password = data.get("email"), data.get("password")
    tokens.check_credentials_shape(email, password)
    try:
        user = accounts.log_in(email, password, request.remote_addr)
    except TooManyFailures as error:
        response = error_response(429, error.message)
        response[0].headers["Retry-After"] = str(error.retry_after)
        return response
    if user is None:
        abort(401, "Email hoặc mật khẩu không đúng.")
    now = utcnow()
    token, row = tokens.issue_for(user, now, timedelta(days=token_lifetime_days()))
    db.session.commit()
    return jsonify(token=token, token_type="Bearer", expires_at=row.expires_at.isoformat()), 201


@bp.route("/auth/tokens", methods=["GET"])
def token_list():
    """The caller's live tokens: when issued, last used, expiry; never the secret."""
    user = _user()
    return jsonify(results=[tokens.token_dict(t) for t in tokens.live_tokens(user, utcnow())])


@bp.route("/auth/tokens", methods=["DELETE"])
def revoke_all_tokens():
    """Revoke every token of the caller (with a token or the browser session + CSRF)."""
    user = _user()
    revoked = tokens.revoke_all(user.id, utcnow())
    db.session.commit()
    return jsonify(revoked=revoked)


@bp.route("/auth/token", methods=["DELETE"])
def revoke_token():
    if not isinstance(g.api_caller, tokens.Caller):
        abort(401, "Gửi token cần thu hồi trong tiêu đề Authorization: Bearer.")
    tokens.revoke(g.api_caller.token_id, utcnow())
    db.session.commit()
    return "", 204


# --- contests --------------------------------------------------------------------------------


@bp.route("/contests")
def contest_list():
    now = utcnow()
    return jsonify(results=[contest_dict(c, now) for c in lookup.visible_contests(_viewer())])


@bp.route("/contests/<slug>")
def contest_detail(slug: str):
    contest = lookup.visible_contest(slug, _viewer())
    return jsonify(contest_dict(contest, utcnow(), with_rules=True))


@bp.route("/contests/<slug>/rounds")
def round_list(slug: str):
    contest = lookup.visible_contest(slug, _viewer())
    now = utcnow()
    return jsonify(results=[round_dict(r, now) for r in contest.rounds])


@bp.route("/contests/<slug>/rounds/<round_slug>/attempts", methods=["POST"])
def start(slug: str, round_slug: str):
    user = _user()
    round_ = lookup.round_of(lookup.visible_contest(slug, user), round_slug)
    now = utcnow()
    started = attempts.start_sheet(user, round_.id, now)
    status = 201 if started.started_at == now else 200
    data = attempt_dict(started, now)
    db.session.commit()
    return jsonify(data), status


@bp.route("/contests/attempts/<int:attempt_id>")
def attempt_detail(attempt_id: int):
    user = _caller()
    now = utcnow()
    data = _committed(
        attempts.get_attempt, user, attempt_id, now,
        render=lambda a: attempt_dict(a, now),
    )  # fmt: skip
    return jsonify(data)


@bp.route("/contests/attempts/<int:attempt_id>/answers", methods=["PUT", "POST"])
def save(attempt_id: int):
    user = _caller()
    data = _json_body()
    now = utcnow()
    saved = _committed(attempts.save_answers, user, attempt_id, data.get("answers") or {}, now,
                       prediction=data.get("prediction"))  # fmt: skip
    return jsonify(
        saved=saved.saved, seconds_left=saved.seconds_left(now), server_time=now.isoformat()
    )


@bp.route("/contests/attempts/<int:attempt_id>/submit", methods=["POST"])
def submit(attempt_id: int):
    user = _caller()
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        raise ValidationError("Nội dung yêu cầu phải là một đối tượng JSON.")
    now = utcnow()
    sheet = _committed(attempts.submit_attempt, user, attempt_id, now,
                       answers=data.get("answers") or None, prediction=data.get("prediction"))
    return jsonify(result_dict(sheet, now))  # plain data: rendered after the commit


@bp.route("/contests/attempts/<int:attempt_id>/result")
def result(attempt_id: int):
    user = _caller()
    now = utcnow()
    result = _committed(
        sheet.load, user, attempt_id, now,
        render=lambda a: result_dict(a, now) if a.finished else None,
    )  # fmt: skip
    if result is None:
        abort(409, "Lượt thi chưa kết thúc.")
    return jsonify(result)


@bp.route("/contests/<slug>/leaderboard")
def leaderboard(slug: str):
    contest = lookup.visible_contest(slug, _viewer())
    round_slug = request.args.get("round") or None
    round_ = lookup.round_of(contest, round_slug) if round_slug else None
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(200, max(1, int(request.args.get("per_page", 50))))
    except ValueError:
        raise ValidationError("“page” và “per_page” phải là số nguyên dương.") from None
    now = utcnow()
    _committed(attempts.finalize_expired, now, round_.id if round_ else None)
    public = ranking.predictions_public(contest, round_, now)
    rows = ranking.leaderboard(contest, round_.id if round_ else None, limit=per_page,
                               offset=(page - 1) * per_page, predictions=public)  # fmt: skip
    return jsonify(
        contest=contest.slug,
        round=round_.slug if round_ else None,
        page=page,
        per_page=per_page,
        results=[rank_dict(r) for r in rows],
    )
