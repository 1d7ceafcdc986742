"""Organizer pages: sources, add, test connection, enable/disable, run now, run history."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from ..core.auth import staff_required
from ..core.errors import DomainError
from ..core.forms import saving, select_choices
from ..extensions import db
from ..units.services import managed_root_id, unit_tree
from . import services
from .forms import ActionForm, ScheduleForm, SourceForm
from .models import COUNTS
from .runner import queue_run
from .schedule import make_schedule, set_schedule

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
    return _source_page(source, _schedule_form(source))


def _schedule_form(source) -> ScheduleForm:
    form = ScheduleForm()
    if not form.is_submitted():
        form.kind.data = source.schedule or "none"
        form.weekday.data = "" if source.schedule_weekday is None else str(source.schedule_weekday)
        form.at.data = source.schedule_time or ""
    return form


def _source_page(source, schedule_form: ScheduleForm, status: int = 200):
    return render_template(
        "harvest/source.html",
        source=source,
        runs=services.recent_runs(source, 30),
        form=ActionForm(),
        schedule_form=schedule_form,
        counts=COUNTS,
        count_labels=COUNT_LABELS,
    ), status


@bp.route("/<slug>/schedule", methods=["POST"])
@staff_required
def source_schedule(slug: str):
    source = services.get_source_for(current_user, slug)
    form = _schedule_form(source)
    if form.validate_on_submit():
        with saving(form) as saved:
            set_schedule(source, make_schedule(form.kind.data, form.at.data, form.weekday.data))
        if saved.ok:
            flash(f"Đã lưu lịch chạy: {source.schedule_label}.", "success")
            return redirect(url_for(".source_detail", slug=slug))
    return _source_page(source, form, 422)


@bp.route("/<slug>/runs/<int:run_id>")
@staff_required
def run_detail(slug: str, run_id: int):
    source = services.get_source_for(current_user, slug)
    run = services.get_run(source, run_id)
    return render_template(
        "harvest/run.html",
        source=source,
        run=run,
        counts=COUNTS,
        count_labels=COUNT_LABELS,
        worker_seen=services.worker_seen() if run.status == "queued" else True,
    )


@bp.route("/<slug>/runs/<int:run_id>.json")
@staff_required
def run_progress(slug: str, run_id: int):
    """The run's state for the run page's polling (harvest/run-progress.js)."""
    source = services.get_source_for(current_user, slug)
    run = services.get_run(source, run_id)
    response = jsonify(services.run_progress(run))
    response.headers["Cache-Control"] = "no-store"
    return response


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
    """ "Chạy ngay": queue the run for the worker and go to its page at once."""
    _checked_action()
    source = services.get_source_for(current_user, slug)
    try:
        run = queue_run(source, started_by=current_user.email)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".source_detail", slug=slug))
    flash(
        "Đã đưa lần thu thập vào hàng đợi; tiến trình chạy nền sẽ bắt đầu trong giây lát. "
        "Trang này tự cập nhật tiến độ.",
        "success",
    )
    return redirect(url_for(".run_detail", slug=slug, run_id=run.id))
