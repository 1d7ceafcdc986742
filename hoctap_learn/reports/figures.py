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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, select, text

from ..accounts.models import User
from ..core.timeutil import REPORT_DAY_TZ
from ..extensions import db
from ..units.models import Campaign

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

    @property
    def dated(self) -> bool:
        """Whether a range of days limits the figures."""
        return self.date_from is not None or self.date_to is not None

    def utc_bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC for timestamp columns."""
        start = end = None
        if self.date_from:
            start = datetime.combine(self.date_from, time(), REPORT_DAY_TZ).astimezone(UTC)
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time(), REPORT_DAY_TZ)
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


def grouped_rows(stmt, n_keys: int, by) -> Iterable[Row]:
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
    return grouped_rows(stmt.group_by(*columns), len(keys), by)


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
    return grouped_rows(stmt, len(keys), by)


# The built-in dimensions and figures (activities, accounts, funding) register on import,
# before any feature adds its own; the tables are assembled in assembly.py.
from . import builtin  # noqa: E402, F401
