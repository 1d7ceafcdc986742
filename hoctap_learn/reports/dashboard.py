"""What the dashboard page shows, assembled from the query module's tables (no own queries)."""

from __future__ import annotations

from ..extensions import db
from ..units.models import Unit
from .figures import DIMENSIONS, figures
from .tables import build_tables, missing_units

#: Figures drawn in the charts (when registered); contests add theirs by registering figures.
CHART_FIGURES = ("activity_participants", "registered_people", "activities")


def dashboard_context(filters) -> dict:
    names = ("day", "target_group", "gender", "age_band", "kind", "submission")
    unit_tbl, *others = build_tables(filters, ["unit", *names])
    total = dict(zip([c.key for c in unit_tbl.columns], unit_tbl.total, strict=True))
    tables = dict(zip(names, others, strict=True))
    chart_keys = [k for k in CHART_FIGURES if k in total]
    root = db.session.get(Unit, filters.root_id) if filters.root_id else None
    return {
        "filters": filters,
        "root_code": root.code if root else None,
        "root_name": root.name if root else "Tất cả đơn vị",
        "totals": [
            {"key": f.key, "label": f.label, "measure": f.measure, "value": total[f.key]}
            for f in figures()
        ],
        "unit_table": unit_tbl,
        "tables": tables,
        "missing": missing_units(filters),
        "charts": {
            "day": _day_series(tables["day"], chart_keys, filters),
            "unit": _unit_series(unit_tbl, chart_keys),
            "target_group": _series(tables["target_group"], chart_keys),
        },
    }


def _series(table, keys) -> dict:
    index = {c.key: i for i, c in enumerate(table.columns)}
    return {
        "labels": [row[1] for row in table.rows],
        "datasets": [
            {
                "key": k,
                "label": table.columns[index[k]].label,
                "data": [row[index[k]] for row in table.rows],
            }
            for k in keys
            if k in index
        ],
    }


def _day_series(table, keys, filters) -> dict:
    """Every day of the campaign (within the filter's dates), in order, with 0 where nothing
    happened; rows of other days (people who registered after the Week) stay in the table
    below the chart, not on its axis."""
    days = [day.isoformat() for day, _ in DIMENSIONS["day"].values(filters)]
    by_code = {row[0]: row for row in table.rows}
    index = {c.key: i for i, c in enumerate(table.columns)}
    labels = [label for _, label in DIMENSIONS["day"].values(filters)]
    return {
        "labels": labels,
        "datasets": [
            {
                "key": k,
                "label": table.columns[index[k]].label,
                "data": [by_code[d][index[k]] if d in by_code else 0 for d in days],
            }
            for k in keys
            if k in index
        ],
    }


def _unit_series(table, keys) -> dict:
    """The units one level below the scope's root (or the roots when there is none)."""
    level = 1 if any(row[2] == 1 for row in table.rows) else 0
    rows = [row for row in table.rows if row[2] == level]
    index = {c.key: i for i, c in enumerate(table.columns)}
    return {
        "labels": [row[1] for row in rows],
        "datasets": [
            {
                "key": k,
                "label": table.columns[index[k]].label,
                "data": [row[index[k]] for row in rows],
            }
            for k in keys
            if k in index
        ],
    }
