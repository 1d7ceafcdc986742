"""MẪU BC as a Word document: figures from the query module, narratives typed by units.

`mau_bc_context` gathers everything as plain values (the numbers come from the same tables
as the dashboard and exports); `render_docx` fills the office-editable template with docxtpl.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from docxtpl import DocxTemplate
from flask import current_app
from sqlalchemy import select

from ..activities.models import NARRATIVE_FIELDS, ReportSubmission
from ..core import format_number
from ..core.errors import NotFound
from ..core.timeutil import to_local
from ..core.types import utcnow
from ..extensions import db
from ..units.models import Unit
from .figures import Filters, figures
from .tables import build_table, reporting_units

#: Figures listed in section I.4 (all registered ones except the funding, which is I.5).
FUNDING_KEYS = ("state_budget", "sponsorship", "funding_total")
UNITS_OF_GOVERNMENT = ("province", "district", "commune")


def template_path() -> Path:
    return Path(current_app.config["HOCTAP_CONTENT_DIR"]) / "reports" / "mau-bc.docx"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _issuer_parent(unit: Unit) -> str:
    parent = unit.parent
    if parent is None:
        return ""
    name = parent.name.upper()
    if parent.kind in UNITS_OF_GOVERNMENT and not name.startswith("UBND"):
        return f"UBND {name}"
    return name


def is_consolidated(filters: Filters) -> bool:
    """The province's report (the whole tree) consolidates its units' reports."""
    return filters.root_id is None or filters.root_id == filters.campaign.unit_id


def mau_bc_context(filters: Filters, today: date | None = None) -> dict:
    campaign = filters.campaign
    unit_id = filters.root_id or campaign.unit_id
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        raise NotFound("Chưa xác định được đơn vị lập báo cáo.")
    today = today or to_local(utcnow()).date()
    unit_tbl = build_table(filters, "unit")
    total = dict(zip([c.key for c in unit_tbl.columns], unit_tbl.total, strict=True))
    kinds = build_table(filters, "kind").as_dicts()
    groups = build_table(filters, "target_group").as_dicts()
    own = db.session.scalar(
        select(ReportSubmission).where(
            ReportSubmission.unit_id == unit.id, ReportSubmission.campaign_id == campaign.id
        )
    )
    consolidated = is_consolidated(filters)
    narratives = {name: _lines(getattr(own, name, "")) for name in NARRATIVE_FIELDS}
    if consolidated:
        _add_units_narratives(filters, narratives)
    for name, lines in narratives.items():
        if not lines:
            narratives[name] = ["…"]
    n = format_number
    return {
        "year": campaign.year,
        "issuer_parent": _issuer_parent(unit),
        "issuer": unit.name.upper(),
        "number": (own.number if own and own.number else "      /BC-……"),
        "place": (own.place if own and own.place else "……"),
        "day": f"{today.day:02d}",
        "month": f"{today.month:02d}",
        "date_year": today.year,
        "signer": own.signer if own else "",
        "scope_note": (
            "(Tổng hợp từ báo cáo và số liệu của các đơn vị)"
            if consolidated
            else f"(Số liệu của {unit.name}, gồm cả các đơn vị trực thuộc)"
        ),
        **narratives,
        "kinds": [
            {
                "n": i,
                "label": r["label"],
                "activities": n(r["activities"]),
                "participants": n(r["activity_participants"]),
            }
            for i, r in enumerate(kinds, start=1)
        ],
        "kinds_total": {
            "activities": n(total["activities"]),
            "participants": n(total["activity_participants"]),
        },
        "results": [
            {"key": f.key, "label": f.label, "value": n(total[f.key]), "measure": f.measure}
            for f in figures()
            if f.key not in FUNDING_KEYS
        ],
        "groups": [
            {
                "n": i,
                "label": r["label"],
                "participants": n(r.get("activity_participants", 0)),
                "people": n(r.get("registered_people", 0)),
            }
            for i, r in enumerate(groups, start=1)
        ],
        "state_budget": n(total["state_budget"]),
        "sponsorship": n(total["sponsorship"]),
        "funding_total": n(total["funding_total"]),
    }


def _add_units_narratives(filters: Filters, narratives: dict[str, list[str]]) -> None:
    """The consolidated report lists each reporting unit's text under each section."""
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
    for unit in units:
        report = reports.get(unit.id)
        if report is None:
            continue
        for name in NARRATIVE_FIELDS:
            lines = _lines(getattr(report, name))
            if lines:
                narratives[name].append(f"{unit.name}: {lines[0]}")
                narratives[name].extend(lines[1:])


def render_docx(context: dict, template: Path | None = None) -> bytes:
    path = template or template_path()
    if not path.exists():
        raise NotFound(f"Không tìm thấy mẫu báo cáo {path.name}.")
    document = DocxTemplate(str(path))
    document.render(context, autoescape=True)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def filename(filters: Filters) -> str:
    unit = db.session.get(Unit, filters.root_id) if filters.root_id else None
    code = unit.code if unit else "tong-hop"
    return f"mau-bc-{filters.campaign.slug}-{code}.docx"
