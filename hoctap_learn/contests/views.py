"""Contest pages for participants: thin views over the services."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.errors import DomainError, ValidationError
from ..core.types import utcnow
from ..extensions import db
from . import attempts, lookup, ranking, scoring, sheet
from .models import Round

bp = Blueprint("contests", __name__, url_prefix="/contests", template_folder="templates")


def _viewer():
    return current_user if current_user.is_authenticated else None


def answers_from_form(attempt, form: dict[str, list[str]]) -> dict:
    """The take page's fields (``q-<id>``) as API-shaped answers; the form is the full state."""
    answers = {}
    for aq in attempt.questions:
        values = [v for v in form.get(f"q-{aq.id}", []) if v != ""]
        qtype = aq.type
        try:
            if not values:
                value = [] if qtype == "multiple_choice" else None
            elif qtype == "single_choice":
                value = int(values[0])
            elif qtype == "multiple_choice":
                value = [int(v) for v in values]
            elif qtype == "true_false":
                value = {"true": True, "false": False}[values[0]]
            else:
                value = values[0].strip() or None
        except (ValueError, KeyError):
            raise ValidationError(f"Câu trả lời cho câu {aq.position} không hợp lệ.") from None
        answers[str(aq.id)] = value
    return answers


def _prediction_from_form(form) -> int | None:
    raw = (form.get("prediction") or "").strip().replace(".", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationError("Số dự đoán phải là số nguyên không âm.")
    return int(raw)


@bp.route("/")
def contest_list():
    return render_template(
        "contests/list.html", contests=lookup.visible_contests(_viewer()), now=utcnow()
    )


@bp.route("/<slug>")
def contest_detail(slug: str):
    contest = lookup.visible_contest(slug, _viewer())
    return render_template("contests/detail.html", contest=contest, now=utcnow())


@bp.route("/<slug>/leaderboard")
def leaderboard(slug: str):
    contest = lookup.visible_contest(slug, _viewer())
    round_slug = request.args.get("round") or None
    round_ = lookup.round_of(contest, round_slug) if round_slug else None
    now = utcnow()
    attempts.finalize_expired(now, round_.id if round_ else None)
    db.session.commit()
    public = ranking.predictions_public(contest, round_, now)
    rows = ranking.leaderboard(contest, round_.id if round_ else None, limit=100,
                               predictions=public)  # fmt: skip
    return render_template("contests/leaderboard.html", contest=contest, round=round_, rows=rows,
                           predictions=public)  # fmt: skip


@bp.route("/<slug>/<round_slug>")
def round_detail(slug: str, round_slug: str):
    contest = lookup.visible_contest(slug, _viewer())
    round_ = lookup.round_of(contest, round_slug)
    mine = attempts.attempts_of(current_user, round_.id) if _viewer() else []
    return render_template(
        "contests/round.html", contest=contest, round=round_, attempts=mine, now=utcnow()
    )


@bp.route("/<slug>/<round_slug>/start", methods=["POST"])
@login_required
def start(slug: str, round_slug: str):
    contest = lookup.visible_contest(slug, current_user)
    round_ = lookup.round_of(contest, round_slug)
    try:
        attempt = attempts.start_attempt(current_user, round_.id, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        if "cập nhật đầy đủ" in error.message:
            return redirect(url_for("accounts.profile"))
        return redirect(url_for(".round_detail", slug=slug, round_slug=round_slug))
    db.session.commit()
    return redirect(url_for(".take", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>")
@login_required
def take(attempt_id: int):
    now = utcnow()
    attempt = attempts.get_attempt(current_user, attempt_id, now)
    db.session.commit()  # an expired attempt has just been finalised
    if attempt.finished:
        return redirect(url_for(".result", attempt_id=attempt.id))
    return render_template(
        "contests/take.html",
        attempt=attempt,
        round=attempt.round,
        questions=attempts.question_views(attempt),
        seconds_left=attempts.seconds_left(attempt, now),
        prediction=attempt.prediction,
    )


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    now = utcnow()
    try:
        attempt = attempts.get_attempt(current_user, attempt_id, now)
        answers = (
            None
            if attempt.finished
            else answers_from_form(attempt, request.form.to_dict(flat=False))
        )
        attempts.submit_attempt(current_user, attempt_id, now, answers=answers,
                                prediction=_prediction_from_form(request.form))  # fmt: skip
    except attempts.AttemptClosed as error:
        db.session.commit()
        flash(error.message, "error")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".take", attempt_id=attempt_id))
    else:
        db.session.commit()
    return redirect(url_for(".result", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    now = utcnow()
    attempt = sheet.load(current_user, attempt_id, now)
    db.session.commit()  # an expired attempt has just been finalised
    if not attempt.finished:
        abort(409, "Lượt thi chưa kết thúc.")
    revealed = attempt.answers_revealed(now)
    rows = [
        {
            "view": q.view(),
            "aq": q,
            "correct": scoring.correct_answer(q.type, q.options, q.answer) if revealed else None,
            "feedback": q.feedback,
        }
        for q in attempt.questions
    ]
    return render_template(
        "contests/result.html",
        attempt=attempt,
        round=db.session.get(Round, attempt.round_id),
        rows=rows,
        revealed=revealed,
    )
