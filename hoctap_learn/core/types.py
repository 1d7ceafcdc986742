"""Column types shared by every feature."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime, stored the same way on SQLite and PostgreSQL.

    SQLite has no time zone support and hands back naive values; contest deadlines and
    report date ranges must compare correctly on both engines, so values are stored as
    naive UTC and always come back aware.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def sql_in(column: str, values) -> str:
    """SQL text "column IN ('a', 'b')" for a CheckConstraint over a fixed vocabulary."""
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def utcnow() -> datetime:
    return datetime.now(UTC)
