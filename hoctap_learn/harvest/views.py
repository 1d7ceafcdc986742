"""Organizer pages: sources, add, test connection, enable/disable, run now, run history."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.auth import staff_required
from ..core.errors import DomainError
from ..core.forms import saving, select_choices
from ..extensions import db
from ..units.services import managed_root_id, unit_tree
from . import services
from .forms import ActionForm, SourceForm
from .models import COUNTS
from .runner import run_source

bp = Blueprint("harvest", __name__, url_prefix="/organizer/harvest", template_folder="templates")

COUNT_LABELS = {
    "new": "Mới", "updated": "Cập nhật", "unchanged": "Không đổi", "withdrawn": "Gỡ",
    "duplicates": "Trùng", "rejected": "Từ chối",
}  # fmt: skip


@bp.route("/")
@staff_required
def source_list():
    return render_template("harvest/sources.html", sources=services.visible_sources(current_user))


def _unit_choices() -> list:
    rows = unit_tree(managed_root_id(current_user), active_only=True)
    pairs = [(str(r.unit.id), "— " * r.depth + r.unit.name) for r in rows]
    if current_user.is_admin:
        pairs.insert(0, ("", "(Không thuộc đơn vị nào — chỉ quản trị viên)"))
    return select_choices(pairs)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def source_new():
    form = SourceForm()
    form.unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        with saving(form) as saved:
            data = services.SourceInput(
                name=form.name.data,
                kind=form.kind.data,
                url=form.url.data,
                oai_set=form.oai_set.data or "",
                provider=form.provider.data or "",
                unit_id=int(form.unit_id.data) if form.unit_id.data else None,
                type_map=services.parse_type_map((form.type_map.data or "").splitlines()),
            )
            source = services.add_source(current_user, data)
        if saved.ok:
            flash(f"Đã thêm nguồn “{source.name}”.", "success")
            return redirect(url_for(".source_detail", slug=source.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("harvest/new.html", form=form), status


@bp.route("/<slug>")
@staff_required
def source_detail(slug: str):
    source = services.get_source_for(current_user, slug)
    return render_template(
        "harvest/source.html",
        source=source,
        runs=services.recent_runs(source, 30),
        form=ActionForm(),
        counts=COUNTS,
        count_labels=COUNT_LABELS,
    )


@bp.route("/<slug>/runs/<int:run_id>")
@staff_required
def run_detail(slug: str, run_id: int):
    source = services.get_source_for(current_user, slug)
    run = services.get_run(source, run_id)
    return render_template(
        "harvest/run.html", source=source, run=run, counts=COUNTS, count_labels=COUNT_LABELS
    )


def _checked_action() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.route("/<slug>/test", methods=["POST"])
@staff_required
def source_test(slug: str):
    _checked_action()
    source = services.get_source_for(current_user, slug)
    try:
        message = services.test_connection(current_user, source)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(".source_detail", slug=slug))


@bp.route("/<slug>/enabled", methods=["POST"])
@staff_required
def source_toggle(slug: str):
    _checked_action()
    source = services.get_source_for(current_user, slug)
    services.set_enabled(current_user, source, not source.enabled)
    db.session.commit()
    flash(f"Nguồn đã {'bật' if source.enabled else 'tắt'}.", "success")
    return redirect(url_for(".source_detail", slug=slug))


@bp.route("/<slug>/run", methods=["POST"])
@staff_required
def source_run(slug: str):
    _checked_action()
    source = services.get_source_for(current_user, slug)
    try:
        run = run_source(source, started_by=current_user.email)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".source_detail", slug=slug))
    counts = run.counts()
    category = "error" if run.status == "failed" else "success"
    flash(
        f"{run.status_label}: {counts['new']} mới, {counts['updated']} cập nhật, "
        f"{counts['withdrawn']} gỡ, {counts['rejected']} bị từ chối."
        + (f" {run.message}" if run.message else ""),
        category,
    )
    return redirect(url_for(".run_detail", slug=slug, run_id=run.id))
