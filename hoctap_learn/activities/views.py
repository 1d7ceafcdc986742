"""Organizer pages: a unit's activities, funding, report narratives and change history."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.auth import staff_required
from ..core.forms import saving
from ..extensions import db
from ..units import services as units
from . import services
from .forms import (
    ActivityForm,
    ConfirmForm,
    FundingForm,
    ReportForm,
    breakdown_fields,
    breakdown_from_form,
)
from .models import NARRATIVE_FIELDS

bp = Blueprint("activities", __name__, url_prefix="/organizer/week", template_folder="templates")


def _scope(slug: str, code: str):
    """The campaign and the unit, or 403 when the user does not manage that unit."""
    campaign = units.get_campaign(slug)
    unit = units.get_unit(code)
    if not units.can_manage_unit(current_user, unit):
        abort(403)
    return campaign, unit


def _status(form) -> int:
    return 422 if (form.errors or form.form_errors) else 200


@bp.route("/")
@staff_required
def index():
    campaign = units.current_campaign()
    if campaign is None:
        abort(404, "Chưa có Tuần lễ nào.")
    root_id = units.managed_root_id(current_user)
    rows = units.unit_tree(root_id)
    if not rows:
        abort(404, "Chưa có đơn vị nào.")
    return redirect(url_for(".unit_week", slug=campaign.slug, code=rows[0].unit.code))


@bp.route("/<slug>/<code>/")
@staff_required
def unit_week(slug: str, code: str):
    campaign, unit = _scope(slug, code)
    return render_template(
        "activities/unit_week.html",
        campaign=campaign,
        unit=unit,
        rows=units.unit_tree(unit.id),
        campaigns=units.list_campaigns(),
        activities=services.list_activities(unit, campaign, include_below=False),
        funding=services.get_funding(unit, campaign),
        report=services.get_report(unit, campaign),
        confirm=ConfirmForm(),
    )


def _activity_input(form: ActivityForm) -> services.ActivityInput:
    return services.ActivityInput(
        title=form.title.data,
        kind=form.kind.data,
        mode=form.mode.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        place=form.place.data,
        participants=form.participants.data,
        breakdown=breakdown_from_form(form),
        links=form.links.data,
        notes=form.notes.data,
    )


def _render_activity_form(form, campaign, unit, activity=None):
    groups, genders = breakdown_fields(form)
    return render_template(
        "activities/activity_form.html",
        form=form,
        campaign=campaign,
        unit=unit,
        activity=activity,
        group_fields=groups,
        gender_fields=genders,
    ), _status(form)


@bp.route("/<slug>/<code>/activities/new", methods=["GET", "POST"])
@staff_required
def activity_new(slug: str, code: str):
    campaign, unit = _scope(slug, code)
    form = ActivityForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            activity = services.create_activity(current_user, unit, campaign, _activity_input(form))
        if saved.ok:
            flash(f"Đã thêm hoạt động “{activity.title}”.", "success")
            return redirect(url_for(".unit_week", slug=slug, code=code))
    return _render_activity_form(form, campaign, unit)


def _own_activity(slug: str, code: str, activity_id: int):
    campaign, unit = _scope(slug, code)
    activity = services.get_activity(activity_id)
    if activity.unit_id != unit.id or activity.campaign_id != campaign.id:
        abort(404)
    return campaign, unit, activity


@bp.route("/<slug>/<code>/activities/<int:activity_id>", methods=["GET", "POST"])
@staff_required
def activity_edit(slug: str, code: str, activity_id: int):
    campaign, unit, activity = _own_activity(slug, code, activity_id)
    form = ActivityForm(obj=activity)
    if not form.is_submitted():
        for dimension, counts in activity.breakdown_dict().items():
            prefix = "tg" if dimension == "target_group" else "g"
            for key, count in counts.items():
                getattr(form, f"{prefix}_{key}").data = count
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_activity(current_user, activity, _activity_input(form))
        if saved.ok:
            flash("Đã lưu hoạt động.", "success")
            return redirect(url_for(".unit_week", slug=slug, code=code))
    return _render_activity_form(form, campaign, unit, activity)


@bp.route("/<slug>/<code>/activities/<int:activity_id>/delete", methods=["POST"])
@staff_required
def activity_delete(slug: str, code: str, activity_id: int):
    _campaign, _unit, activity = _own_activity(slug, code, activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    title = activity.title
    services.delete_activity(current_user, activity)
    db.session.commit()
    flash(f"Đã xóa hoạt động “{title}”.", "info")
    return redirect(url_for(".unit_week", slug=slug, code=code))


@bp.route("/<slug>/<code>/funding", methods=["GET", "POST"])
@staff_required
def funding(slug: str, code: str):
    campaign, unit = _scope(slug, code)
    current = services.get_funding(unit, campaign)
    form = FundingForm(obj=current)
    if form.validate_on_submit():
        data = services.FundingInput(
            state_budget=form.state_budget.data,
            sponsorship=form.sponsorship.data,
            note=form.note.data,
        )
        with saving(form) as saved:
            services.set_funding(current_user, unit, campaign, data)
        if saved.ok:
            flash("Đã lưu kinh phí.", "success")
            return redirect(url_for(".unit_week", slug=slug, code=code))
    return render_template(
        "activities/funding_form.html", form=form, campaign=campaign, unit=unit
    ), _status(form)


@bp.route("/<slug>/<code>/report", methods=["GET", "POST"])
@staff_required
def report(slug: str, code: str):
    campaign, unit = _scope(slug, code)
    current = services.get_report(unit, campaign)
    form = ReportForm(obj=current)
    if form.validate_on_submit():
        data = services.ReportInput(
            **{
                name: getattr(form, name).data or ""
                for name in services.ReportInput.__annotations__
            }
        )
        with saving(form) as saved:
            services.save_report(current_user, unit, campaign, data)
        if saved.ok:
            flash("Đã lưu nội dung báo cáo.", "success")
            return redirect(url_for(".report", slug=slug, code=code))
    return render_template(
        "activities/report_form.html",
        form=form,
        campaign=campaign,
        unit=unit,
        report=current,
        narrative_fields=[getattr(form, name) for name in NARRATIVE_FIELDS],
        confirm=ConfirmForm(),
    ), _status(form)


@bp.route("/<slug>/<code>/report/<any(submit, reopen):action>", methods=["POST"])
@staff_required
def report_submit(slug: str, code: str, action: str):
    campaign, unit = _scope(slug, code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_submitted(current_user, unit, campaign, action == "submit")
    db.session.commit()
    if action == "submit":
        flash("Đã đánh dấu báo cáo là đã gửi.", "success")
    else:
        flash("Đã mở lại báo cáo để chỉnh sửa.", "info")
    return redirect(url_for(".report", slug=slug, code=code))


@bp.route("/<slug>/<code>/history")
@staff_required
def history(slug: str, code: str):
    campaign, unit = _scope(slug, code)
    return render_template(
        "activities/history.html",
        campaign=campaign,
        unit=unit,
        entries=services.history(unit, campaign),
    )
