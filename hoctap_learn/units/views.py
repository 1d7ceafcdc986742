"""Campaign pages (public) and the unit tree (organizers)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core.auth import staff_required
from ..core.errors import PermissionDenied
from ..core.forms import saving
from . import services
from .forms import UnitForm

bp = Blueprint("units", __name__, template_folder="templates")


@bp.route("/campaigns/")
def campaign_list():
    return render_template("units/campaign_list.html", campaigns=services.list_campaigns())


@bp.route("/campaigns/<slug>")
def campaign_detail(slug: str):
    return render_template("units/campaign.html", campaign=services.get_campaign(slug))


@bp.route("/organizer/units/")
@staff_required
def unit_tree():
    rows = services.unit_tree(services.managed_root_id(current_user))
    return render_template("units/tree.html", rows=rows)


@bp.route("/organizer/units/<code>", methods=["GET", "POST"])
@staff_required
def unit_detail(code: str):
    unit = services.get_unit(code)
    if not services.can_manage_unit(current_user, unit):
        raise PermissionDenied("Bạn không có quyền quản lý đơn vị này.")
    form = UnitForm()
    if form.validate_on_submit():
        data = services.UnitInput(
            code=form.code.data,
            name=form.name.data,
            kind=form.kind.data,
            short_name=form.short_name.data or "",
        )
        with saving(form) as saved:
            child = services.add_unit(current_user, unit, data)
        if saved.ok:
            flash(f"Đã thêm đơn vị “{child.name}”.", "success")
            return redirect(url_for(".unit_detail", code=unit.code))
    status = 422 if form.errors or form.form_errors else 200
    rows = services.unit_tree(unit.id)
    return render_template("units/unit.html", unit=unit, rows=rows, form=form), status
