"""Row triggers written once for SQLite and PostgreSQL (the counts the reports read).

A `Trigger` is a list of SQL statements that use ``NEW``/``OLD`` as both databases do; this
module wraps them in ``CREATE TRIGGER … BEGIN … END`` (SQLite) or a PL/pgSQL function and
its trigger (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Only:
    """Statements of a trigger's body that PostgreSQL runs only when `when` holds (an
    ``IF`` block: each statement it skips saves executing it for nothing). SQLite has no
    ``IF`` in triggers and runs them always, so they must be right without the guard."""

    when: str
    statements: tuple[str | Only, ...]


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    #: "INSERT", "DELETE" or "UPDATE OF column, …".
    event: str
    body: tuple[str | Only, ...]
    #: Condition on NEW/OLD for the trigger to run (None: always).
    when: str | None = None
    timing: str = "AFTER"


def local_day(dialect: str, column: str) -> str:
    """SQL: the Asia/Ho_Chi_Minh day (UTC+7, no DST) of a naive-UTC timestamp, as text."""
    if dialect == "sqlite":
        return f"date({column}, '+7 hours')"
    return f"to_char({column} + interval '7 hours', 'YYYY-MM-DD')"


def differs(dialect: str, old: str, new: str) -> str:
    """SQL: `old` and `new` differ, NULL being a value like any other."""
    return f"{old} {'IS NOT' if dialect == 'sqlite' else 'IS DISTINCT FROM'} {new}"


def changed(dialect: str, columns: Iterable[str]) -> str:
    """SQL: one of `columns` differs between OLD and NEW."""
    return " OR ".join(differs(dialect, f"OLD.{c}", f"NEW.{c}") for c in columns)


def _body(dialect: str, parts: Iterable[str | Only]) -> str:
    out = []
    for part in parts:
        if not isinstance(part, Only):
            out.append(f"{part};\n")
        elif dialect == "sqlite":
            out.append(_body(dialect, part.statements))
        else:
            out.append(f"IF {part.when} THEN\n{_body(dialect, part.statements)}END IF;\n")
    return "".join(out)


def create_ddl(dialect: str, triggers: Iterable[Trigger]) -> list[str]:
    """Statements (re)creating `triggers` (running them again replaces them)."""
    statements = []
    for t in triggers:
        body = _body(dialect, t.body)
        if dialect == "sqlite":
            condition = f" WHEN {t.when}" if t.when else ""
            statements += [
                f"DROP TRIGGER IF EXISTS {t.name}",
                f"CREATE TRIGGER {t.name} {t.timing} {t.event} ON {t.table} "
                f"FOR EACH ROW{condition}\nBEGIN\n{body}END",
            ]
            continue
        # A BEFORE trigger returns the row for the change to go ahead.
        result = "OLD" if t.timing == "BEFORE" else "NULL"
        condition = f" WHEN ({t.when})" if t.when else ""
        statements += [
            f"DROP TRIGGER IF EXISTS {t.name} ON {t.table}",
            # Generic plans: with custom ones, PostgreSQL plans every statement again on
            # every call (a statement guarded by OLD.status = 'finished' looks free to
            # re-plan), which cost 3–8× the statements themselves.
            f"CREATE OR REPLACE FUNCTION {t.name}() RETURNS trigger LANGUAGE plpgsql\n"
            "SET plan_cache_mode = force_generic_plan AS $$\n"
            f"BEGIN\n{body}RETURN {result};\nEND $$",
            f"CREATE TRIGGER {t.name} {t.timing} {t.event} ON {t.table} "
            f"FOR EACH ROW{condition} EXECUTE FUNCTION {t.name}()",
        ]
    return statements


def drop_ddl(dialect: str, triggers: Iterable[Trigger]) -> list[str]:
    statements = []
    for t in triggers:
        if dialect == "sqlite":
            statements.append(f"DROP TRIGGER IF EXISTS {t.name}")
        else:
            statements += [
                f"DROP TRIGGER IF EXISTS {t.name} ON {t.table}",
                f"DROP FUNCTION IF EXISTS {t.name}()",
            ]
    return statements


def execute(connection, statements: Iterable[str]) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)
