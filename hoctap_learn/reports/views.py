"""Dashboard, exports and the /api/v1/reports JSON: all from the same tables."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_login import current_user

from ..core.auth import staff_required
from ..core.errors import DomainError
from ..core.views import error_response
from ..units import services as units
from . import services
from .dashboard import dashboard_context
from .mau_bc import filename as mau_bc_filename
from .mau_bc import mau_bc_context, render_docx
from .tables import build_table, build_tables, table_builders
from .writers import csv_bytes, table_json, xlsx_bytes

bp = Blueprint("reports", __name__, url_prefix="/organizer/reports", template_folder="templates")
api_bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters():
    args = request.args
    return services.build_filters(
        current_user, args.get("campaign"), args.get("unit"), args.get("from"), args.get("to")
    )


def _filter_args(filters) -> dict:
    args = {"campaign": filters.campaign.slug}
    if request.args.get("unit"):
        args["unit"] = request.args["unit"]
    if filters.date_from:
        args["from"] = filters.date_from.isoformat()
    if filters.date_to:
        args["to"] = filters.date_to.isoformat()
    return args


@bp.route("/")
@staff_required
def dashboard():
    try:
        filters = _filters()
    except DomainError as error:
        if error.status != 400:
            raise
        return render_template(
            "reports/dashboard.html",
            error=error.message,
            args=request.args,
            data=None,
            campaigns=units.list_campaigns(),
            unit_rows=_unit_rows(),
        ), 400
    data = dashboard_context(filters)
    return render_template(
        "reports/dashboard.html",
        error=None,
        data=data,
        args=request.args,
        export_args=_filter_args(filters),
        campaigns=units.list_campaigns(),
        unit_rows=_unit_rows(),
    )


def _unit_rows():
    return units.unit_tree(units.managed_root_id(current_user), active_only=True)


def _filename(filters, name: str, ext: str) -> str:
    return f"bao-cao-{filters.campaign.slug}-{name}.{ext}"


@bp.route("/export/<name>.<any(csv, xlsx, json):fmt>")
@staff_required
def export(name: str, fmt: str):
    filters = _filters()
    if name == "all" and fmt == "xlsx":
        tables = build_tables(filters, list(table_builders()))
    elif name == "all":
        abort(404)
    else:
        tables = [build_table(filters, name)]
    if fmt == "csv":
        body, mime = csv_bytes(tables[0]), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mime = xlsx_bytes(tables), XLSX_MIME
    else:
        return jsonify(table_json(tables[0]))
    return Response(
        body,
        mimetype=mime,
        headers={"Content-Disposition": f"attachment; filename={_filename(filters, name, fmt)}"},
    )


DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/mau-bc.docx")
@staff_required
def mau_bc():
    filters = _filters()
    body = render_docx(mau_bc_context(filters))
    return Response(
        body,
        mimetype=DOCX_MIME,
        headers={"Content-Disposition": f"attachment; filename={mau_bc_filename(filters)}"},
    )


# --- JSON API ------------------------------------------------------------------------------


@api_bp.before_request
def _staff_only():
    if not current_user.is_authenticated:
        return error_response(401, "Bạn cần đăng nhập.")
    if not current_user.is_staff:
        return error_response(403, "Chỉ ban tổ chức được xem số liệu báo cáo.")
    return None


@api_bp.route("/")
def api_index():
    filters = _filters()
    data = dashboard_context(filters)
    return jsonify(
        campaign=filters.campaign.slug,
        unit=data["root_code"],
        date_from=filters.date_from.isoformat() if filters.date_from else None,
        date_to=filters.date_to.isoformat() if filters.date_to else None,
        figures=[
            {"key": f["key"], "label": f["label"], "measure": f["measure"], "value": f["value"]}
            for f in data["totals"]
        ],
        report_deadline=filters.campaign.report_deadline.isoformat(),
        missing_reports=[u.code for u in data["missing"]],
        tables={
            name: url_for(".api_table", name=name, **_filter_args(filters))
            for name in table_builders()
        },
    )


@api_bp.route("/<name>")
def api_table(name: str):
    return jsonify(table_json(build_table(_filters(), name)))
