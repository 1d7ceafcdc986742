"""Registered people and Week activities per unit, kept up to date by the database.

The dashboard's figures must come back in well under a second at the scale of a province
(hundreds of thousands of accounts, a hundred thousand activities); grouping those rows at
every read cannot (bench/results/report.md). Triggers add each row's contribution to
`ReportTally` cells when it is inserted, take it back when it is deleted and do both when a
counted column changes, in the same transaction, whatever code path made the change. The
contest figures have their own tallies (contests/tallies.py): people there are distinct
across attempts, which needs a ledger; here every row simply adds its values.

A `Source` describes how one table's rows are counted; the same description gives the
triggers on SQLite and PostgreSQL and the statement that rebuilds the counts from scratch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select

from ..core.triggers import Trigger, changed, create_ddl, drop_ddl, execute, local_day
from ..extensions import db
from .models import ReportTally

REGISTERED = "registered"
ACTIVITIES = "activities"


def _date_text(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"CAST({column} AS TEXT)"
    return f"to_char({column}, 'YYYY-MM-DD')"


@dataclass(frozen=True)
class Source:
    """How the rows of `table` are counted into the `tally` cells. SQL fragments refer to
    the row as ``{r}`` (NEW, OLD, or the table in a rebuild) and, with `joined`, to the
    other table's row ``a`` that `guard` ties to it."""

    tally: str
    table: str
    #: Columns whose change moves the row's contribution.
    watched: tuple[str, ...]
    scope: str
    unit: str
    #: (dimension, cell) SQL pairs: every cell the row adds to.
    cells: tuple[tuple[str, str], ...]
    #: The two values added (people or activities, participants).
    values: tuple[str, str]
    guard: str = "1 = 1"
    joined: str = ""

    def statement(self, r: str, sign: str, grouped: bool = False) -> str:
        """SQL adding (`sign` '+') or taking back ('-') the contribution of row `r`; with
        `grouped`, of every row of the table (`r` is then its alias), for a rebuild."""

        def fill(sql: str) -> str:
            return sql.replace("{r}", r)

        insert = "INSERT INTO report_tallies (source, scope_id, dim, unit_id, cell, v1, v2) "
        upsert = (
            " ON CONFLICT (source, scope_id, dim, unit_id, cell) DO UPDATE SET "
            "v1 = report_tallies.v1 + excluded.v1, v2 = report_tallies.v2 + excluded.v2"
        )
        v1, v2 = (fill(v) for v in self.values)
        joined = f"{self.joined} a" if self.joined else ""
        scope, unit, guard = fill(self.scope), fill(self.unit), fill(self.guard)
        if grouped:
            # A rebuild: one grouped SELECT per cell, each adding to what is there.
            parts = []
            for dim, cell in self.cells:
                keys = [scope, fill(dim), unit, fill(cell)]
                group = ", ".join(k for k in keys if "." in k)  # constants are not grouped
                tables = ", ".join(t for t in (f"{self.table} {r}", joined) if t)
                parts.append(
                    f"{insert}SELECT '{self.tally}', {', '.join(keys)}, SUM({v1}), SUM({v2}) "
                    f"FROM {tables} WHERE {guard} GROUP BY {group}{upsert}"
                )
            return ";\n".join(parts)
        if len(self.cells) == 1:
            (dim, cell), tables = self.cells[0], joined
        else:
            # Several cells: a derived table of them (they refer to NEW/OLD only).
            cells = " UNION ALL ".join(
                f"SELECT {dim} AS dim, {cell} AS cell" if i == 0 else f"SELECT {dim}, {cell}"
                for i, (dim, cell) in enumerate(self.cells)
            )
            dim, cell = "d.dim", "d.cell"
            tables = ", ".join(t for t in (f"({fill(cells)}) d", joined) if t)
        source = f" FROM {tables}" if tables else ""
        return (
            f"{insert}SELECT '{self.tally}', {scope}, {fill(dim)}, {unit}, {fill(cell)}, "
            f"{sign}({v1}), {sign}({v2}){source} WHERE {guard}{upsert}"
        )


def sources(dialect: str) -> dict[str, Source]:
    return {
        "users": Source(
            REGISTERED,
            "users",
            ("role", "unit_id", "target_group", "gender", "birth_year", "created_at"),
            scope="0",
            unit="{r}.unit_id",
            cells=(
                ("'unit'", "''"),
                ("'target_group'", "COALESCE({r}.target_group, '')"),
                ("'gender'", "COALESCE({r}.gender, '')"),
                ("'birth_year'", "COALESCE(CAST({r}.birth_year AS TEXT), '')"),
                ("'day'", local_day(dialect, "{r}.created_at")),
            ),
            values=("1", "0"),
            guard="{r}.role = 'participant' AND {r}.unit_id IS NOT NULL",
        ),
        "activities": Source(
            ACTIVITIES,
            "activities",
            ("campaign_id", "unit_id", "kind", "start_date", "participants"),
            scope="{r}.campaign_id",
            unit="{r}.unit_id",
            cells=(
                ("'unit'", "''"),
                ("'kind'", "{r}.kind"),
                ("'day'", _date_text(dialect, "{r}.start_date")),
            ),
            values=("1", "{r}.participants"),
        ),
        "activity_breakdown": Source(
            ACTIVITIES,
            "activity_breakdown",
            ("activity_id", "dimension", "key", "count"),
            scope="a.campaign_id",
            unit="a.unit_id",
            cells=(("{r}.dimension", "{r}.key"),),
            values=("0", "{r}.count"),
            # Nothing when the activity is gone: its delete took the breakdown back first.
            guard="a.id = {r}.activity_id",
            joined="activities",
        ),
    }


def _breakdowns_of() -> Source:
    """An activity's breakdown rows, counted for the activity row ``{r}`` (moved with it
    when its unit or campaign changes)."""
    return Source(
        ACTIVITIES,
        "activities",
        (),
        scope="{r}.campaign_id",
        unit="{r}.unit_id",
        cells=(("a.dimension", "a.key"),),
        values=("0", "a.count"),
        guard="a.activity_id = {r}.id",
        joined="activity_breakdown",
    )


def triggers(dialect: str) -> list[Trigger]:
    """Every trigger that keeps the report tallies."""
    found = []
    for table, source in sources(dialect).items():
        update = [source.statement("OLD", "-"), source.statement("NEW", "+")]
        delete_ = [source.statement("OLD", "-")]
        timing = "AFTER"
        if table == "activities":
            moved = _breakdowns_of()
            update += [moved.statement("OLD", "-"), moved.statement("NEW", "+")]
            # Before the row goes, so its breakdown is still there to take back (a cascade
            # would delete it after the activity, when it can no longer be attributed).
            delete_ = ["DELETE FROM activity_breakdown WHERE activity_id = OLD.id", *delete_]
            timing = "BEFORE"
        found += [
            Trigger(f"tally_{table}_insert", table, "INSERT", (source.statement("NEW", "+"),)),
            Trigger(f"tally_{table}_delete", table, "DELETE", tuple(delete_), timing=timing),
            Trigger(f"tally_{table}_update", table, f"UPDATE OF {', '.join(source.watched)}",
                    tuple(update), changed(dialect, source.watched)),
        ]  # fmt: skip
    return found


def install(connection) -> None:
    """Create the triggers (migrations call this; running it again replaces them)."""
    execute(connection, create_ddl(connection.dialect.name, triggers(connection.dialect.name)))


def uninstall(connection) -> None:
    execute(connection, drop_ddl(connection.dialect.name, triggers(connection.dialect.name)))


def rebuild(connection=None) -> None:
    """Count every source again from its rows, in the caller's transaction."""
    connection = connection or db.session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("LOCK TABLE report_tallies IN EXCLUSIVE MODE")
    connection.execute(delete(ReportTally))
    for source in sources(dialect).values():
        for statement in source.statement("r", "", grouped=True).split(";\n"):
            connection.exec_driver_sql(statement)


def rows(tally: str, scope_id: int, dim: str, day_from=None, day_to=None) -> Iterable[tuple]:
    """``(unit_id, cell, v1, v2)`` of one dimension's cells; ``day`` cells (as dates) only
    from `day_from` to `day_to`."""
    stmt = select(ReportTally.unit_id, ReportTally.cell, ReportTally.v1, ReportTally.v2).where(
        ReportTally.source == tally,
        ReportTally.scope_id == scope_id,
        ReportTally.dim == dim,
        # Cells back to nothing after moves and deletions are not values of the dimension.
        (ReportTally.v1 != 0) | (ReportTally.v2 != 0),
    )
    if dim == "day":
        if day_from is not None:
            stmt = stmt.where(ReportTally.cell >= day_from.isoformat())
        if day_to is not None:
            stmt = stmt.where(ReportTally.cell <= day_to.isoformat())
        return [(u, date.fromisoformat(c), v1, v2) for u, c, v1, v2 in db.session.execute(stmt)]
    return list(db.session.execute(stmt))


def bands(tally: str, scope_id: int, year: int) -> list[tuple]:
    """``(unit_id, age band, v1)`` from the ``birth_year`` cells (a unit × year each: tens
    of thousands, mapped through a dict faster than a CASE in SQLite groups them)."""
    from .figures import age_band

    stmt = select(ReportTally.unit_id, ReportTally.cell, ReportTally.v1).where(
        ReportTally.source == tally,
        ReportTally.scope_id == scope_id,
        ReportTally.dim == "birth_year",
    )
    band_of: dict[str, str | None] = {}
    found: dict[tuple, int] = {}
    for unit_id, cell, value in db.session.execute(stmt):
        if cell not in band_of:
            band_of[cell] = age_band(int(cell) if cell else None, year)
        key = (unit_id, band_of[cell])
        found[key] = found.get(key, 0) + value
    return [(unit_id, band, value) for (unit_id, band), value in found.items() if value]


# --- checking and rebuilding every kept figure -------------------------------------------


@dataclass(frozen=True)
class Kept:
    """Figures read from counts the database keeps, with what they replace: `counted`
    gives the same rows by counting (a date range uses it; `check` compares the two)."""

    name: str
    query: Callable
    counted: Callable
    dimensions: tuple
    #: Counts the campaign's figures again from their rows (in the caller's transaction).
    rebuild: Callable


KEPT: dict[str, Kept] = {}


def register_kept(kept: Kept) -> None:
    KEPT[kept.name] = kept


def check(filters) -> list[dict]:
    """Differences between every kept figure and counting, for the whole campaign: a list
    of ``{"figures", "by", "unit_id", "key", "kept", "counted"}`` (empty when all agree)."""
    whole = type(filters)(campaign=filters.campaign)
    differences = []
    for kept in KEPT.values():
        for by in (None, *kept.dimensions):
            read, counted = _cells(kept.query(whole, by)), _cells(kept.counted(whole, by))
            for cell in sorted(read.keys() | counted.keys(), key=repr):
                if read.get(cell) != counted.get(cell):
                    differences.append({
                        "figures": kept.name, "by": by, "unit_id": cell[0], "key": cell[1],
                        "kept": read.get(cell), "counted": counted.get(cell),
                    })  # fmt: skip
    return differences


def _cells(rows) -> dict:
    """{(unit_id, key): values} without empty cells."""
    found: dict = {}
    for unit_id, key, *values in rows:
        before = found.get((unit_id, key), [0] * len(values))
        found[(unit_id, key)] = [a + int(b or 0) for a, b in zip(before, values, strict=True)]
    return {cell: values for cell, values in found.items() if any(values)}
