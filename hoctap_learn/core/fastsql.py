"""Running a few constant statements straight on the driver's cursor.

SQLAlchemy's execution layer (execution context, result object, events) costs about as
much CPU as SQLite takes to run a small statement. For the statements of the busiest
requests (a contest's autosave and submit), `execute` compiles the statement once per
dialect and then only binds its parameters through SQLAlchemy's own bind processors, runs
it on the session connection's DBAPI cursor and converts the row with SQLAlchemy's result
processors: same SQL, same conversions, same transaction as `Connection.execute`, a
fraction of the work. Driver errors go through SQLAlchemy's handling, so callers see the
usual `sqlalchemy.exc` exceptions and a dead connection is invalidated as usual.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement


class _Compiled:
    __slots__ = ("sql", "names", "processors", "compiled", "row", "results", "positional")

    def __init__(self, statement: ClauseElement, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.compiled = compiled
        self.sql = compiled.string
        self.positional = dialect.positional
        self.names = tuple(compiled.positiontup or ()) if dialect.positional else None
        self.processors = dict(compiled._bind_processors)
        columns = compiled._result_columns
        self.row = namedtuple("Row", [c.keyname for c in columns], rename=True) if columns else None
        self.results = None  # from the first cursor's description (types the driver reports)

    def processors_for(self, dialect: Dialect, cursor) -> tuple:
        if self.results is None:
            self.results = tuple(
                column.type._cached_result_processor(dialect, described[1])
                for column, described in zip(
                    self.compiled._result_columns, cursor.description, strict=True
                )
            )
        return self.results

    def parameters(self, values: dict[str, Any]):
        params = self.compiled.construct_params(values)  # a missing value raises
        for name, process in self.processors.items():
            if name in params:
                params[name] = process(params[name])
        if self.positional:
            return tuple(params[name] for name in self.names)
        return params


class Result:
    """What `execute` gives back: the rows read (if the statement `returns_rows`) and the
    driver's row count."""

    __slots__ = ("rows", "rowcount", "returns_rows")

    def __init__(self, rows: list, rowcount: int, returns_rows: bool):
        self.rows, self.rowcount, self.returns_rows = rows, rowcount, returns_rows

    def first(self):
        return self.rows[0] if self.rows else None


_cache: dict[tuple[int, str], _Compiled] = {}


def _compiled(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    key = (id(statement), dialect.name)
    found = _cache.get(key)
    if found is None or found.compiled.statement is not statement:
        found = _cache[key] = _Compiled(statement, dialect)
    return found


def execute(connection: Connection, statement: ClauseElement, values: dict[str, Any]) -> Result:
    """Run a constant `statement` (a module-level object: compiled once per dialect) with
    `values` on `connection`'s driver connection, in its current transaction."""
    compiled = _compiled(statement, connection.dialect)
    params = compiled.parameters(values)
    driver = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        cursor.execute(compiled.sql, params)
        rows = []
        if compiled.row is not None:
            make = compiled.row._make
            processors = compiled.processors_for(connection.dialect, cursor)
            for raw in cursor.fetchall():
                rows.append(make(
                    value if process is None else process(value)
                    for process, value in zip(processors, raw, strict=True)
                ))  # fmt: skip
        return Result(rows, cursor.rowcount, compiled.row is not None)
    except connection.dialect.loaded_dbapi.Error as error:
        connection._handle_dbapi_exception(error, compiled.sql, params, cursor, None)
    finally:
        cursor.close()
