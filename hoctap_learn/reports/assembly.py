"""Assembling the registered figures into tables: roll-up through the unit tree, totals,
the per-unit table and the tables split by a dimension."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..units.models import Unit
from .figures import DIMENSIONS, UNKNOWN_LABEL, Figure, FigureQuery, Filters, figures


@dataclass
class UnitNode:
    unit: Unit
    depth: int
    children: list[UnitNode] = field(default_factory=list)


def scope_tree(filters: Filters) -> list[UnitNode]:
    """The units in scope as a forest (usually one root), in display order; read once for
    the same filters (a dashboard builds several tables from it)."""
    if "forest" not in filters.memo:
        filters.memo["forest"] = _scope_tree(filters)
    return filters.memo["forest"]


def _scope_tree(filters: Filters) -> list[UnitNode]:
    units = db.session.scalars(select(Unit).order_by(Unit.position, Unit.name)).all()
    by_parent: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in units:
        by_parent[unit.parent_id].append(unit)

    def build(unit: Unit, depth: int) -> UnitNode:
        return UnitNode(unit, depth, [build(c, depth + 1) for c in by_parent[unit.id]])

    if filters.root_id is None:
        return [build(u, 0) for u in by_parent[None]]
    return [build(u, 0) for u in units if u.id == filters.root_id]


def _walk(nodes: list[UnitNode]):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def own_values(chosen: list[Figure], filters: Filters, by: str | None = None) -> dict:
    """``{figure key: {(unit_id, key): value}}`` for every unit (scope is applied by the
    caller); a query shared by several of the figures runs once."""
    return own_values_by({by: chosen}, filters)[by]


def own_values_by(wanted: dict[str | None, list[Figure]], filters: Filters) -> dict:
    """`own_values` for several dimensions at once: ``{by: {figure key: {(unit_id, key):
    value}}}``. A query runs once for all the dimensions it combines (and the unit alone,
    their sum), and once for each other dimension."""
    result = {by: {f.key: defaultdict(int) for f in chosen} for by, chosen in wanted.items()}
    queries: dict[FigureQuery, dict[str | None, list[Figure]]] = defaultdict(dict)
    for by, chosen in wanted.items():
        for figure in chosen:
            queries[figure.query].setdefault(by, []).append(figure)
    for query, bys in queries.items():
        combined = frozenset.intersection(
            *(f.combined_for(filters) for fs in bys.values() for f in fs)
        )
        together = tuple(by for by in bys if by in combined)
        if None in bys and together:
            together = (None, *together)
        if len(together) > 1:
            dims = tuple(by for by in together if by is not None)
            plan = [
                (
                    None if by is None else dims.index(by),
                    [(result[by][f.key], 2 + f.column) for f in bys[by]],
                )
                for by in together
            ]
            for row in query(filters, dims):
                unit_id, keys = row[0], row[1]
                for position, targets in plan:
                    cell = (unit_id, None if position is None else keys[position])
                    for values, column in targets:
                        values[cell] += row[column]
        for by, sharing in bys.items():
            if len(together) > 1 and by in together:
                continue
            for row in query(filters, by):
                for figure in sharing:
                    result[by][figure.key][(row[0], row[1])] += row[2 + figure.column]
    return result


@dataclass
class Column:
    key: str
    label: str
    #: "text" or "int".
    kind: str = "int"


@dataclass
class Table:
    """What every writer (page, CSV, XLSX, JSON, Word) takes: headings and rows of values."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list]
    #: The totals row (same columns) or None.
    total: list | None = None

    def as_dicts(self) -> list[dict]:
        return [dict(zip([c.key for c in self.columns], row, strict=True)) for row in self.rows]


def unit_figures(
    filters: Filters, keys: list[str] | None = None, own: dict | None = None
) -> tuple[list, dict]:
    """Rolled-up values per unit in scope: (nodes in order, {unit_id: {figure: value}}).
    `own`: the figures' own values when already computed (`own_values_by`)."""
    forest = scope_tree(filters)
    chosen = [f for f in figures() if keys is None or f.key in keys]
    if own is None:
        own = own_values(chosen, filters)
    rolled: dict[int, dict[str, int]] = {}

    def roll(node: UnitNode) -> dict[str, int]:
        values = {f.key: own[f.key].get((node.unit.id, None), 0) for f in chosen}
        for child in node.children:
            for key, value in roll(child).items():
                values[key] += value
        rolled[node.unit.id] = values
        return values

    for root in forest:
        roll(root)
    return list(_walk(forest)), rolled


def totals(filters: Filters) -> dict[str, int]:
    """The figures for the whole scope (the roots' rolled-up values added)."""
    nodes, rolled = unit_figures(filters)
    return _root_sums(nodes, rolled, figures())


def _root_sums(nodes, rolled, chosen) -> dict[str, int]:
    return {f.key: sum(rolled[n.unit.id][f.key] for n in nodes if n.depth == 0) for f in chosen}


def unit_table(filters: Filters, own: dict | None = None) -> Table:
    nodes, rolled = unit_figures(filters, own=own)
    chosen = figures()
    columns = [
        Column("code", "Mã đơn vị", "text"),
        Column("unit", "Đơn vị", "text"),
        Column("level", "Cấp", "int"),
    ]
    columns += [Column(f.key, f.label) for f in chosen]
    rows = [
        [n.unit.code, n.unit.name, n.depth, *(rolled[n.unit.id][f.key] for f in chosen)]
        for n in nodes
    ]
    total = _root_sums(nodes, rolled, chosen)
    return Table(
        "unit",
        "Số liệu theo đơn vị (gồm cả đơn vị trực thuộc)",
        columns,
        rows,
        ["", "Tổng cộng", None, *(total[f.key] for f in chosen)],
    )


PEOPLE = "người"


def breakdown_table(
    filters: Filters, by: str, own: dict | None = None, unit_own: dict | None = None
) -> Table:
    """Figures of the whole scope split by `by` (day, target group, age band, gender, kind…).
    `own`: the figures' own values by `by` when already computed (`own_values_by`);
    `unit_own`: their values by unit alone, if computed, for the totals of people over a
    dimension that is not exclusive (the people of the scope, each counted once)."""
    dimension = DIMENSIONS[by]
    chosen = figures(by)
    in_scope = {n.unit.id for n in _walk(scope_tree(filters))}
    values: dict[str, dict[Any, int]] = {}
    keys: dict[Any, str] = dict(dimension.values(filters))
    if own is None:
        own = own_values(chosen, filters, by)
    for figure in chosen:
        per_key: dict[Any, int] = defaultdict(int)
        for (unit_id, key), value in own[figure.key].items():
            if unit_id in in_scope:
                per_key[key] += value
        values[figure.key] = per_key
        for key in per_key:
            if key not in keys:
                keys[key] = UNKNOWN_LABEL if key is None else str(key)
    ordered = [k for k in keys if k is not None]
    if by == "day":
        ordered.sort()
    if None in keys:
        ordered.append(None)
    columns = [Column("key", "Mã", "text"), Column("label", dimension.label, "text")]
    columns += [Column(f.key, f.label) for f in chosen]
    rows = []
    for key in ordered:
        code = key.isoformat() if isinstance(key, date) else ("" if key is None else str(key))
        rows.append([code, keys[key], *(values[f.key].get(key, 0) for f in chosen)])
    totals = {f.key: sum(values[f.key].values()) for f in chosen}
    once = [f for f in chosen if f.measure == PEOPLE and not dimension.exclusive]
    if once:
        if unit_own is None or any(f.key not in unit_own for f in once):
            unit_own = own_values(once, filters)
        for f in once:
            totals[f.key] = sum(v for (u, _), v in unit_own[f.key].items() if u in in_scope)
    label = "Tổng cộng (mỗi người tính một lần)" if once else "Tổng cộng"
    total = ["", label, *(totals[f.key] for f in chosen)]
    return Table(by, dimension.title, columns, rows, total)
