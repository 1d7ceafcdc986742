"""Organizer pages for creative entries (approval, rubric, judging) and prize certificates."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core.auth import staff_required
from ..core.errors import DomainError, ValidationError
from ..core.forms import saving
from ..core.types import utcnow
from ..extensions import db
from . import certificates, entries, lookup
from .forms import PrizeForm, RubricForm
from .organizer_views import _managed, bp


@bp.route("/<slug>/entries", methods=["GET", "POST"])
@staff_required
def entry_list(slug: str):
    contest = _managed(slug)
    form = RubricForm()
    if request.method == "GET":
        form.rubric.data = "\n".join(
            f"{c.name} | {c.max_points:g}" for c in entries.criteria_of(contest)
        )
    if form.validate_on_submit():
        with saving(form) as saved:
            entries.set_rubric(current_user, contest, form.rubric.data)
        if saved.ok:
            flash("Đã lưu tiêu chí chấm.", "success")
            return redirect(url_for(".entry_list", slug=slug))
    return render_template(
        "contests/organizer/entries.html", contest=contest, form=form,
        results=entries.entry_results(contest), criteria=entries.criteria_of(contest),
    ), 422 if form.errors or form.form_errors else 200  # fmt: skip


@bp.route("/<slug>/entries/<int:entry_id>", methods=["GET", "POST"])
@staff_required
def entry_detail(slug: str, entry_id: int):
    contest = _managed(slug)
    item = entries.get_entry(entry_id)
    if item.contest_id != contest.id:
        abort(404)
    criteria = entries.criteria_of(contest)
    errors = []
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action in ("approved", "rejected", "pending"):
                entries.review(current_user, item, action, utcnow())
            elif action == "score":
                points = {}
                for c in criteria:
                    raw = (request.form.get(f"c-{c.id}") or "").strip().replace(",", ".")
                    try:
                        points[c.id] = float(raw)
                    except ValueError:
                        raise ValidationError(f"Điểm “{c.name}” phải là số.") from None
                entries.score_entry(current_user, item, points, utcnow())
            else:
                abort(400)
        except DomainError as error:
            db.session.rollback()
            errors.append(error.message)
        else:
            db.session.commit()
            flash("Đã lưu.", "success")
            return redirect(url_for(".entry_detail", slug=slug, entry_id=entry_id))
    mine = {s.criterion_id: s.points for s in item.scores if s.judge_id == current_user.id}
    return render_template(
        "contests/organizer/entry.html", contest=contest, entry=item, criteria=criteria,
        mine=mine, errors=errors,
    ), 422 if errors else 200  # fmt: skip


@bp.route("/<slug>/prizes", methods=["POST"])
@staff_required
def award(slug: str):
    contest = _managed(slug)
    form = PrizeForm()
    round_slug = request.args.get("round") or None
    round_ = lookup.round_of(contest, round_slug) if round_slug else None
    back = url_for(".winners", slug=slug, round=round_slug)
    if not form.validate_on_submit():
        flash("Thông tin giải không hợp lệ.", "error")
        return redirect(back)
    try:
        cert = certificates.award_prize(
            current_user, contest, form.user_id.data, form.prize.data, round_, utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(f"Đã cấp giấy chứng nhận {cert.prize} cho {cert.recipient_name} (mã {cert.code}).",
          "success")  # fmt: skip
    return redirect(back)
