"""The one query module: every participation figure, by unit (rolled up the tree) and dimension.

A *figure* is a registered function ``query(filters, by)`` that returns rows
``(unit_id, key, value)``: the unit's **own** value (not its subtree's), split by the
dimension `by` (``None`` → key is ``None``). Each counted thing must be attributed to
exactly one unit (an activity to its organiser, a person to the unit in their profile),
so a unit's figure for its subtree is the plain sum of its own and its descendants' values;
that is how distinct *people* stay distinct when rolled up to the province.

Feature packages add their figures with `register_figure` (e.g. catalog: views,
click-throughs) and their own dimensions with `register_dimension` (e.g. contest ``round``);
the per-unit table, the dashboard, every export and MẪU BC then show them with no change
here. Figures counted by the same scan of the same table are registered together with
`register_figures`: one grouped query returns ``(unit_id, key, value1, value2, …)`` and runs
once for all of them (contests: people and attempts; activities: count and participants).
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
from . import tallies

#: ``(unit_id, key, value)``, or ``(unit_id, key, value1, value2, …)`` from a shared query.
Row = tuple
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
    #: What is computed once for these filters (the unit tree in scope), not compared.
    memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

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
    #: Whether a person falls under one key only (gender, age band…). Not so for days or
    #: rounds: someone taking part on three days is one of each day's people, and one
    #: person in the total, so people are not added up over such a dimension.
    exclusive: bool = True


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
    #: Where this figure's value is in the query's rows, after unit and key (a query
    #: shared by several figures returns one value for each).
    column: int = 0
    #: Dimensions `query` can split by in one go: given a tuple of them as `by`, it returns
    #: keys as tuples (one grouped query instead of one per dimension).
    combined: frozenset[str] = frozenset()
    #: When `query` does so (None: always), e.g. only when it counts rather than reads
    #: counts kept up to date.
    combine_when: Callable[[Filters], bool] | None = None

    def combined_for(self, filters: Filters) -> frozenset[str]:
        if self.combine_when is None or self.combine_when(filters):
            return self.combined
        return frozenset()


@dataclass(frozen=True)
class FigureSpec:
    """One of the figures a shared query counts (see `register_figures`)."""

    key: str
    label: str
    measure: str
    order: int = 50
    #: When this figure splits by fewer dimensions than the query (None: all of them).
    dimensions: tuple[str, ...] | None = None


FIGURES: dict[str, Figure] = {}
DIMENSIONS: dict[str, Dimension] = {}
UNKNOWN_LABEL = "Không rõ / chưa phân loại"


def register_figure(
    key: str, label: str, measure: str, dimensions=(), order: int = 50, combined=(),
    combine_when=None,
):  # fmt: skip
    """Decorator: add a figure to every table, export and report."""
    return register_figures(FigureSpec(key, label, measure, order), dimensions=dimensions,
                            combined=combined, combine_when=combine_when)  # fmt: skip


def register_figures(*specs: FigureSpec, dimensions=(), combined=(), combine_when=None):
    """Decorator: several figures from one query whose rows are ``(unit_id, key, *values)``,
    the values in the order of `specs`; the query runs once for all of them. `combined`: the
    dimensions the query also splits by together (see `Figure.combined`), for the filters
    `combine_when` accepts (None: always)."""

    def decorator(func: FigureQuery) -> FigureQuery:
        for column, spec in enumerate(specs):
            dims = frozenset(dimensions if spec.dimensions is None else spec.dimensions)
            FIGURES[spec.key] = Figure(
                spec.key,
                spec.label,
                spec.measure,
                func,
                dims,
                spec.order,
                column,
                frozenset(combined) & dims,
                combine_when,
            )
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


#: The dimensions every person has one value of, so that their people add up over each
#: of them and a query can split by all of them at once (`Figure.combined`).
PERSON_DIMENSIONS = ("target_group", "gender", "age_band")


def person_key(by: str | None, filters: Filters):
    """SQL: the key of a person (a `User` row) in dimension `by`; None for the unit alone,
    False for a dimension people do not have."""
    if by in (None, "unit"):
        return None
    if by == "target_group":
        return User.target_group
    if by == "gender":
        return User.gender
    if by == "age_band":
        return age_band_sql(User.birth_year, filters.campaign.year)
    return False


def _person_keys(by, filters: Filters) -> list | None:
    """The key columns for `by`: one dimension, or a tuple of `PERSON_DIMENSIONS`; None
    when people cannot be split so."""
    if isinstance(by, tuple):
        keys = [person_key(b, filters) for b in by]
        return None if any(k is None or k is False for k in keys) else keys
    key = person_key(by, filters)
    return None if key is False else ([] if key is None else [key])


def _grouped_rows(stmt, n_keys: int, by) -> Iterable[Row]:
    """Run a SELECT of ``unit_id, key…, value…`` and add up rows of the same unit and key
    (dates may come back as text from SQLite); several keys come back as one tuple."""
    if isinstance(by, tuple):
        # Tens of thousands of cells, each once: streamed to the caller, which adds them up
        # by dimension, rather than held in memory (the export's peak would grow with them).
        result = db.session.execute(stmt, execution_options={"yield_per": 2_000})
        return (
            (row[0], tuple(row[1 : 1 + n_keys]), *map(int, row[1 + n_keys :])) for row in result
        )
    rows: dict[tuple[int, Any], list[int]] = {}
    for row in db.session.execute(stmt):
        if n_keys == 0:
            key = None
        else:
            key = row[1]
            if by == "day" and key is not None:
                key = as_date(key)
        values = row[1 + n_keys :]
        found = rows.setdefault((row[0], key), [0] * len(values))
        for i, value in enumerate(values):
            found[i] += int(value or 0)
    return [(unit_id, key, *values) for (unit_id, key), values in rows.items()]


def people_rows(filters: Filters, base, value, by, day_column=None) -> Iterable[Row]:
    """Group `base` (a SELECT that joins `User`) by the user's unit and a user dimension
    (or a tuple of `PERSON_DIMENSIONS`).

    `value` is the aggregate, e.g. ``func.count()``. Registered people and creative entries
    use this; things a person does many times (attempts) use `people_and_times`.
    """
    keys = [local_day(day_column)] if by == "day" and day_column is not None else None
    keys = keys or _person_keys(by, filters)
    if keys is None:
        return []
    columns = [User.unit_id, *keys]
    stmt = base.with_only_columns(*columns, value).where(User.unit_id.is_not(None))
    return _grouped_rows(stmt.group_by(*columns), len(keys), by)


def people_and_times(filters: Filters, events, person, by, event_keys: dict | None = None):
    """Rows ``(unit_id, key, people, times)`` of `events`, a SELECT of things each done by
    one person (`person`, a user id column) and counted for the unit in their profile.

    The events are counted per person first (and per event key, e.g. day or round, from
    `event_keys`), a grouping that an index starting with the person's id gives in order
    without sorting the events; the per-person rows are then grouped by unit and key:
    ``count()`` is the distinct people and ``sum()`` the times (lượt). `by` may be a tuple
    of `PERSON_DIMENSIONS`.
    """
    event_key = None if isinstance(by, tuple) else (event_keys or {}).get(by)
    keys = None if event_key is not None else _person_keys(by, filters)
    if event_key is None and keys is None:
        return []
    labels = [person.label("person_id")]
    if event_key is not None:
        labels.append(event_key.label("key"))
    per_person = (
        events.with_only_columns(*labels, func.count().label("times"))
        .group_by(*([person] if event_key is None else [person, event_key]))
        .subquery("per_person")
    )
    if event_key is not None:
        keys = [per_person.c.key]
    columns = [User.unit_id, *keys]
    stmt = (
        select(*columns, func.count(), func.sum(per_person.c.times))
        .select_from(per_person)
        .join(User, User.id == per_person.c.person_id)
        .where(User.unit_id.is_not(None))
        .group_by(*columns)
    )
    return _grouped_rows(stmt, len(keys), by)


# --- built-in dimensions -------------------------------------------------------------------


def _campaign_days(filters: Filters) -> list[tuple[Any, str]]:
    start = max(filters.campaign.start_date, filters.date_from or date.min)
    end = min(filters.campaign.end_date, filters.date_to or date.max)
    days = []
    while start <= end:
        days.append((start, start.strftime("%d/%m/%Y")))
        start += timedelta(days=1)
    return days


register_dimension(Dimension("day", "Ngày", "Theo ngày", _campaign_days, exclusive=False))
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


def _activity_rows(filters: Filters, by: str | None, *values) -> list[Row]:
    key = {None: None, "day": Activity.start_date, "kind": Activity.kind}.get(by, False)
    if key is False:
        return []
    columns = [Activity.unit_id] if key is None else [Activity.unit_id, key]
    stmt = _activity_base(filters).with_only_columns(*columns, *values).group_by(*columns)
    return _grouped_rows(stmt, len(columns) - 1, by)


def _dated(filters: Filters) -> bool:
    return filters.date_from is not None or filters.date_to is not None


def _tally_rows(filters: Filters, tally: str, scope_id: int, by: str | None) -> list | None:
    """Rows ``(unit_id, key, v1, v2)`` of a tally (tallies.py) for `by`, or None when a
    date range needs the rows themselves counted. Each counted row (an account, an
    activity) is on one day, so the unit's total over a date range is the sum of its days."""
    if by is None and _dated(filters):
        totals: dict[int, list[int]] = {}
        for unit_id, _day, v1, v2 in tallies.rows(
            tally, scope_id, "day", filters.date_from, filters.date_to
        ):
            found = totals.setdefault(unit_id, [0, 0])
            found[0] += v1
            found[1] += v2
        return [(unit_id, None, v1, v2) for unit_id, (v1, v2) in totals.items()]
    if by != "day" and _dated(filters):
        return None
    dim = "unit" if by is None else by
    return [
        (unit_id, None if dim == "unit" else (cell or None), v1, v2)
        for unit_id, cell, v1, v2 in tallies.rows(
            tally, scope_id, dim, filters.date_from, filters.date_to
        )
    ]


@register_figures(
    FigureSpec("activities", "Số hoạt động", "hoạt động", 10, ("day", "kind")),
    FigureSpec("activity_participants", "Lượt người tham gia hoạt động", "lượt", 20),
    dimensions=("day", "kind", "target_group", "gender"),
)
def activities_and_participants(filters: Filters, by: str | None) -> list[Row]:
    """Rows ``(unit_id, key, activities, participants)``, from the tallies the database
    keeps; split by target group or gender, only participants (activities 0)."""
    if by not in (None, "day", "kind", "target_group", "gender"):
        return []
    campaign_id = filters.campaign.id
    found = _tally_rows(filters, tallies.ACTIVITIES, campaign_id, by)
    if found is None:
        return counted_activities(filters, by)
    if by not in ("target_group", "gender"):
        return found
    # The breakdown is optional: what it leaves out is reported as "unknown" (key None),
    # so the groups always add up to the same total as the per-unit table.
    totals = {u: v2 for u, _, _v1, v2 in _tally_rows(filters, tallies.ACTIVITIES, campaign_id,
                                                     None)}  # fmt: skip
    return _with_unknown(found, totals)


def _with_unknown(split_rows, totals: dict[int, int]) -> list[Row]:
    """Participants split by a dimension, plus each unit's part the split leaves out."""
    result = []
    split: dict[int, int] = defaultdict(int)
    for unit_id, key, _activities, value in split_rows:
        if value:
            result.append((unit_id, key, 0, int(value)))
            split[unit_id] += int(value)
    for unit_id, total in totals.items():
        if total - split[unit_id]:
            result.append((unit_id, None, 0, total - split[unit_id]))
    return result


def counted_activities(filters: Filters, by: str | None) -> list[Row]:
    """The same rows counted from the activities themselves (for a date range)."""
    if by not in ("target_group", "gender"):
        return _activity_rows(filters, by, func.count(Activity.id), func.sum(Activity.participants))
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
    rows = [(unit_id, key, 0, value) for unit_id, key, value in db.session.execute(stmt)]
    return _with_unknown(rows, totals)


@register_figure(
    "registered_people",
    "Người đăng ký tài khoản",
    "người",
    ("day", *PERSON_DIMENSIONS),
    order=40,
    combined=PERSON_DIMENSIONS,
    combine_when=_dated,
)
def registered_people(filters: Filters, by: str | None) -> list[Row]:
    """Participants' accounts (not staff), by the unit in their profile; dates = sign-up
    day. From the tallies the database keeps, but for a date range split by a person
    dimension (then counted). Age bands come from the birth years' cells."""
    if isinstance(by, tuple) or (by not in (None, "day") and _dated(filters)):
        return counted_registered_people(filters, by)
    if by == "age_band":  # the birth years' cells grouped by band in the database
        return tallies.bands(tallies.REGISTERED, 0, filters.campaign.year)
    return [(u, key, v1) for u, key, v1, _v2 in _tally_rows(filters, tallies.REGISTERED, 0, by)]


def counted_registered_people(filters: Filters, by) -> list[Row]:
    """The same rows counted from the accounts themselves."""
    base = select(User).where(User.role == "participant", filters.timestamp_clause(User.created_at))
    return people_rows(filters, base, func.count(User.id), by, day_column=User.created_at)


tallies.register_kept(tallies.Kept(
    "activities", activities_and_participants, counted_activities,
    ("day", "kind", "target_group", "gender"), lambda campaign: tallies.rebuild(),
))  # fmt: skip
tallies.register_kept(tallies.Kept(
    "registered_people", registered_people, counted_registered_people,
    ("day", *PERSON_DIMENSIONS), lambda campaign: tallies.rebuild(),
))  # fmt: skip


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
