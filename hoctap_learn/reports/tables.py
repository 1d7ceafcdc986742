"""Every table the reports offer, by name, and the report-submission status of units."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from ..activities.models import ReportSubmission
from ..core.timeutil import to_local
from ..extensions import db
from ..units.models import Unit
from .assembly import Column, Table, breakdown_table, own_values_by, scope_tree, unit_table
from .figures import DIMENSIONS, Filters, figures


def reporting_units(filters: Filters) -> list[Unit]:
    """Units that owe a MẪU BC: the departments and districts directly under the campaign's
    unit (the plan's addressees), limited to the scope; a unit deeper down sees itself."""
    in_scope = scope_tree(filters)
    ids: set[int] = set()
    stack = list(in_scope)
    while stack:
        node = stack.pop()
        ids.add(node.unit.id)
        stack.extend(node.children)
    parent_id = filters.campaign.unit_id
    if parent_id is None:
        return [n.unit for n in in_scope]
    stmt = (
        select(Unit)
        .where(Unit.parent_id == parent_id, Unit.active.is_(True))
        .order_by(Unit.position, Unit.name)
    )
    units = [u for u in db.session.scalars(stmt) if u.id in ids]
    return units or [n.unit for n in in_scope]


def submission_status(filters: Filters) -> list[dict]:
    units = reporting_units(filters)
    reports = {
        r.unit_id: r
        for r in db.session.scalars(
            select(ReportSubmission).where(
                ReportSubmission.campaign_id == filters.campaign.id,
                ReportSubmission.unit_id.in_([u.id for u in units]),
            )
        )
    }
    deadline = filters.campaign.report_deadline
    result = []
    for unit in units:
        report = reports.get(unit.id)
        submitted_at: datetime | None = report.submitted_at if report and report.submitted else None
        on_time = submitted_at is not None and to_local(submitted_at).date() < deadline
        result.append({"unit": unit, "submitted_at": submitted_at, "on_time": on_time})
    return result


def missing_units(filters: Filters) -> list[Unit]:
    """Units that have not (yet) submitted before the deadline."""
    return [row["unit"] for row in submission_status(filters) if not row["on_time"]]


def submission_table(filters: Filters) -> Table:
    deadline = filters.campaign.report_deadline
    rows = []
    for row in submission_status(filters):
        at = row["submitted_at"]
        status = "Chưa gửi" if at is None else ("Đúng hạn" if row["on_time"] else "Quá hạn")
        local = to_local(at).strftime("%Y-%m-%d %H:%M") if at else ""
        rows.append([row["unit"].code, row["unit"].name, status, local])
    return Table(
        "submission",
        f"Tình hình gửi báo cáo (hạn trước ngày {deadline:%d/%m/%Y})",
        [
            Column("code", "Mã đơn vị", "text"),
            Column("unit", "Đơn vị", "text"),
            Column("status", "Tình trạng", "text"),
            Column("submitted_at", "Thời điểm gửi", "text"),
        ],
        rows,
    )


def _breakdown(by: str) -> Callable[[Filters], Table]:
    return lambda filters: breakdown_table(filters, by)


def table_builders() -> dict[str, Callable[[Filters], Table]]:
    """Table names (the `--by` values and URL parts) → builders; dimensions added by other
    features appear here by themselves."""
    builders: dict[str, Callable[[Filters], Table]] = {"unit": unit_table}
    for name in DIMENSIONS:
        builders[name] = _breakdown(name)
    builders["submission"] = submission_table
    return builders


def build_table(filters: Filters, name: str) -> Table:
    return build_tables(filters, [name])[0]


def build_tables(filters: Filters, names: list[str]) -> list[Table]:
    """Several tables at once (the dashboard, the all-tables export): the figures are queried
    together, so a query that splits by several dimensions in one go runs once for all."""
    from ..core.errors import NotFound

    builders = table_builders()
    for name in names:
        if name not in builders:
            raise NotFound(f"Không có bảng “{name}”. Các bảng: {', '.join(builders)}.")
    wanted = {None if n == "unit" else n: figures(None if n == "unit" else n) for n in names}
    wanted = {by: chosen for by, chosen in wanted.items() if by is None or by in DIMENSIONS}
    own = own_values_by(wanted, filters)
    tables = []
    for name in names:
        if name == "unit":
            tables.append(unit_table(filters, own[None]))
        elif name in DIMENSIONS:
            tables.append(breakdown_table(filters, name, own[name], own.get(None)))
        else:
            tables.append(builders[name](filters))
    return tables
