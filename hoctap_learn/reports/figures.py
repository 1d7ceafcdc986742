"""The one query module: every participation figure, by unit (rolled up the tree) and dimension.

A *figure* is a registered function ``query(filters, by)`` that returns rows
``(unit_id, key, value)``: the unit's **own** value (not its subtree's), split by the
dimension `by` (``None`` → key is ``None``). Each counted thing must be attributed to
exactly one unit (an activity to its organiser, a person to the unit in their profile),
so a unit's figure for its subtree is the plain sum of its own and its descendants' values;
that is how distinct *people* stay distinct when rolled up to the province.

Feature packages add their figures with `register_figure` (e.g. contests: participants,
attempts; catalog: views, click-throughs) and their own dimensions with
`register_dimension` (e.g. contest ``round``); the per-unit table, the dashboard, every
export and MẪU BC then show them with no change here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, select, text

from ..accounts.models import GENDERS, TARGET_GROUPS, User
from ..activities.models import ACTIVITY_KINDS, Activity, ActivityBreakdown, Funding
from ..core.timeutil import VN_TZ
from ..extensions import db
from ..units.models import Campaign, Unit

Row = tuple[int, Any, int]
FigureQuery = Callable[["Filters", str | None], Iterable[Row]]


@dataclass(frozen=True)
class Filters:
    """What the figures are computed for: a campaign, a subtree of units, a range of days."""

    campaign: Campaign
    #: The unit whose subtree is shown; None means the whole tree.
    root_id: int | None = None
    #: Local (Asia/Ho_Chi_Minh) days, both inclusive; None means open.
    date_from: date | None = None
    date_to: date | None = None

    def utc_bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC for timestamp columns."""
        start = end = None
        if self.date_from:
            start = datetime.combine(self.date_from, time(), VN_TZ).astimezone(UTC)
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time(), VN_TZ)
            end = end.astimezone(UTC)
        return start, end

    def timestamp_clause(self, column):
        """A WHERE clause limiting a UTCDateTime column to the range (or True)."""
        start, end = self.utc_bounds()
        clauses = []
        if start is not None:
            clauses.append(column >= start)
        if end is not None:
            clauses.append(column < end)
        return and_(True, *clauses)

    def date_clause(self, column):
        clauses = []
        if self.date_from:
            clauses.append(column >= self.date_from)
        if self.date_to:
            clauses.append(column <= self.date_to)
        return and_(True, *clauses)


# --- registries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    key: str
    #: Column heading in tables, e.g. "Đối tượng".
    label: str
    #: Title of the table split by this dimension.
    title: str
    #: Ordered (key, label) pairs of the known values; others are appended as they come.
    values: Callable[[Filters], list[tuple[Any, str]]] = field(default=lambda f: [])


@dataclass(frozen=True)
class Figure:
    key: str
    #: Column heading, e.g. "Lượt tham gia hoạt động".
    label: str
    #: What is counted: "người" (distinct people), "lượt" (times), "hoạt động", "đồng".
    measure: str
    query: FigureQuery
    #: Dimensions besides the unit that `query` can split by.
    dimensions: frozenset[str] = frozenset()
    order: int = 50


FIGURES: dict[str, Figure] = {}
DIMENSIONS: dict[str, Dimension] = {}
UNKNOWN_LABEL = "Không rõ / chưa phân loại"


def register_figure(key: str, label: str, measure: str, dimensions=(), order: int = 50):
    """Decorator: add a figure to every table, export and report."""

    def decorator(func: FigureQuery) -> FigureQuery:
        FIGURES[key] = Figure(key, label, measure, func, frozenset(dimensions), order)
        return func

    return decorator


def register_dimension(dimension: Dimension) -> None:
    DIMENSIONS[dimension.key] = dimension


def figures(by: str | None = None) -> list[Figure]:
    """Registered figures in display order; with `by`, only those that split by it."""
    found = sorted(FIGURES.values(), key=lambda f: (f.order, f.key))
    return [f for f in found if by is None or by in f.dimensions]


# --- helpers for figure queries ------------------------------------------------------------


def local_day(column):
    """SQL: the Asia/Ho_Chi_Minh calendar day of a UTC timestamp column (UTC+7, no DST)."""
    if db.engine.dialect.name == "sqlite":
        return func.date(column, "+7 hours")
    return cast(column.op("+")(text("INTERVAL '7 hours'")), Date)


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


#: Age bands (years reached in the campaign's year).
AGE_BANDS = [
    ("duoi_15", "Dưới 15 tuổi", 0, 14),
    ("15_17", "15–17 tuổi", 15, 17),
    ("18_24", "18–24 tuổi", 18, 24),
    ("25_34", "25–34 tuổi", 25, 34),
    ("35_44", "35–44 tuổi", 35, 44),
    ("45_59", "45–59 tuổi", 45, 59),
    ("60_tro_len", "Từ 60 tuổi", 60, 200),
]


def age_band(birth_year: int | None, year: int) -> str | None:
    if not birth_year:
        return None
    age = year - birth_year
    for key, _label, low, high in AGE_BANDS:
        if low <= age <= high:
            return key
    return None


def age_band_sql(birth_year_column, year: int):
    """SQL: the `AGE_BANDS` key of a birth year (NULL when unknown), so the database groups
    by band rather than returning every birth year of every unit."""
    age = year - birth_year_column
    return case(
        *[(and_(age >= low, age <= high), key) for key, _label, low, high in AGE_BANDS],
        else_=None,
    )


def people_rows(filters: Filters, base, value, by: str | None, day_column=None) -> list[Row]:
    """Group `base` (a SELECT that joins `User`) by the user's unit and a user dimension.

    `value` is the aggregate (``func.count()`` for times, ``func.count(distinct(user_id))``
    for people). Contest and catalog figures reuse this for their people-based dimensions.
    """
    if by in (None, "unit"):
        key = None
    elif by == "target_group":
        key = User.target_group
    elif by == "gender":
        key = User.gender
    elif by == "age_band":
        key = age_band_sql(User.birth_year, filters.campaign.year)
    elif by == "day" and day_column is not None:
        key = local_day(day_column)
    else:
        return []
    columns = [User.unit_id, value] if key is None else [User.unit_id, key, value]
    stmt = base.with_only_columns(*columns).where(User.unit_id.is_not(None))
    stmt = stmt.group_by(*columns[:-1])
    rows: dict[tuple[int, Any], int] = defaultdict(int)
    for row in db.session.execute(stmt):
        if key is None:
            rows[(row[0], None)] += row[1]
            continue
        k = row[1]
        if by == "day":
            k = as_date(k)
        rows[(row[0], k)] += row[2]
    return [(unit_id, k, v) for (unit_id, k), v in rows.items()]


# --- built-in dimensions -------------------------------------------------------------------


def _campaign_days(filters: Filters) -> list[tuple[Any, str]]:
    start = max(filters.campaign.start_date, filters.date_from or date.min)
    end = min(filters.campaign.end_date, filters.date_to or date.max)
    days = []
    while start <= end:
        days.append((start, start.strftime("%d/%m/%Y")))
        start += timedelta(days=1)
    return days


register_dimension(Dimension("day", "Ngày", "Theo ngày", _campaign_days))
register_dimension(
    Dimension("target_group", "Đối tượng", "Theo đối tượng", lambda f: list(TARGET_GROUPS.items()))
)
register_dimension(
    Dimension("gender", "Giới tính", "Theo giới tính", lambda f: list(GENDERS.items()))
)
register_dimension(
    Dimension(
        "age_band", "Độ tuổi", "Theo độ tuổi", lambda f: [(k, lbl) for k, lbl, _, _ in AGE_BANDS]
    )
)
register_dimension(
    Dimension(
        "kind", "Loại hoạt động", "Hoạt động theo loại", lambda f: list(ACTIVITY_KINDS.items())
    )
)


# --- built-in figures ----------------------------------------------------------------------


def _activity_base(filters: Filters):
    return select(Activity).where(
        Activity.campaign_id == filters.campaign.id, filters.date_clause(Activity.start_date)
    )


def _activity_rows(filters: Filters, by: str | None, value) -> list[Row]:
    key = {None: None, "day": Activity.start_date, "kind": Activity.kind}.get(by, False)
    if key is False:
        return []
    columns = [Activity.unit_id] if key is None else [Activity.unit_id, key]
    stmt = _activity_base(filters).with_only_columns(*columns, value).group_by(*columns)
    result = []
    for row in db.session.execute(stmt):
        if key is None:
            result.append((row[0], None, int(row[1] or 0)))
        else:
            k = as_date(row[1]) if by == "day" else row[1]
            result.append((row[0], k, int(row[2] or 0)))
    return result


@register_figure("activities", "Số hoạt động", "hoạt động", ("day", "kind"), order=10)
def activities_count(filters: Filters, by: str | None) -> list[Row]:
    return _activity_rows(filters, by, func.count(Activity.id))


@register_figure(
    "activity_participants",
    "Lượt người tham gia hoạt động",
    "lượt",
    ("day", "kind", "target_group", "gender"),
    order=20,
)
def activity_participants(filters: Filters, by: str | None) -> list[Row]:
    if by not in ("target_group", "gender"):
        return _activity_rows(filters, by, func.sum(Activity.participants))
    # The breakdown is optional: what it leaves out is reported as "unknown" (key None),
    # so the groups always add up to the same total as the per-unit table.
    totals = {u: v for u, _, v in _activity_rows(filters, None, func.sum(Activity.participants))}
    stmt = (
        _activity_base(filters)
        .join(ActivityBreakdown, ActivityBreakdown.activity_id == Activity.id)
        .where(ActivityBreakdown.dimension == by)
        .with_only_columns(
            Activity.unit_id, ActivityBreakdown.key, func.sum(ActivityBreakdown.count)
        )
        .group_by(Activity.unit_id, ActivityBreakdown.key)
    )
    result = []
    split: dict[int, int] = defaultdict(int)
    for unit_id, key, value in db.session.execute(stmt):
        result.append((unit_id, key, int(value)))
        split[unit_id] += int(value)
    for unit_id, total in totals.items():
        if total - split[unit_id]:
            result.append((unit_id, None, total - split[unit_id]))
    return result


@register_figure(
    "registered_people",
    "Người đăng ký tài khoản",
    "người",
    ("day", "target_group", "gender", "age_band"),
    order=40,
)
def registered_people(filters: Filters, by: str | None) -> list[Row]:
    """Participants' accounts (not staff), by the unit in their profile; dates = sign-up day."""
    base = select(User).where(User.role == "participant", filters.timestamp_clause(User.created_at))
    return people_rows(filters, base, func.count(User.id), by, day_column=User.created_at)


def _funding_rows(filters: Filters, by: str | None, column) -> list[Row]:
    if by is not None:
        return []
    stmt = select(Funding.unit_id, column).where(Funding.campaign_id == filters.campaign.id)
    return [(u, None, int(v or 0)) for u, v in db.session.execute(stmt)]


@register_figure("state_budget", "Ngân sách nhà nước (đồng)", "đồng", order=80)
def state_budget(filters: Filters, by: str | None) -> list[Row]:
    return _funding_rows(filters, by, Funding.state_budget)


@register_figure("sponsorship", "Hỗ trợ, vận động (đồng)", "đồng", order=81)
def sponsorship(filters: Filters, by: str | None) -> list[Row]:
    return _funding_rows(filters, by, Funding.sponsorship)


@register_figure("funding_total", "Tổng kinh phí (đồng)", "đồng", order=82)
def funding_total(filters: Filters, by: str | None) -> list[Row]:
    return _funding_rows(filters, by, Funding.state_budget + Funding.sponsorship)


# --- assembling: roll-up, totals, tables ----------------------------------------------------


@dataclass
class UnitNode:
    unit: Unit
    depth: int
    children: list[UnitNode] = field(default_factory=list)


def scope_tree(filters: Filters) -> list[UnitNode]:
    """The units in scope as a forest (usually one root), in display order."""
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


def own_values(figure: Figure, filters: Filters, by: str | None = None) -> dict:
    """``{(unit_id, key): value}`` for every unit (scope is applied by the caller)."""
    result: dict = defaultdict(int)
    for unit_id, key, value in figure.query(filters, by):
        result[(unit_id, key)] += value
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


def unit_figures(filters: Filters, keys: list[str] | None = None) -> tuple[list, dict]:
    """Rolled-up values per unit in scope: (nodes in order, {unit_id: {figure: value}})."""
    forest = scope_tree(filters)
    chosen = [f for f in figures() if keys is None or f.key in keys]
    own = {f.key: own_values(f, filters) for f in chosen}
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


def unit_table(filters: Filters) -> Table:
    nodes, rolled = unit_figures(filters)
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


def breakdown_table(filters: Filters, by: str) -> Table:
    """Figures of the whole scope split by `by` (day, target group, age band, gender, kind…)."""
    dimension = DIMENSIONS[by]
    chosen = figures(by)
    in_scope = {n.unit.id for n in _walk(scope_tree(filters))}
    values: dict[str, dict[Any, int]] = {}
    keys: dict[Any, str] = dict(dimension.values(filters))
    for figure in chosen:
        per_key: dict[Any, int] = defaultdict(int)
        for (unit_id, key), value in own_values(figure, filters, by).items():
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
    total = ["", "Tổng cộng", *(sum(values[f.key].values()) for f in chosen)]
    return Table(by, dimension.title, columns, rows, total)
